//! The repaint policy. Mesa's llvmpipe renders in software, so every frame costs real CPU: an
//! editor repaints only when something changed. Three sources wake it:
//! - input (egui repaints on mouse and keyboard events by itself);
//! - the audio thread, through [`AudioWake`], when a processed block carried signal or gain
//!   reduction (a relaxed atomic store, real-time safe);
//! - the meters themselves while they still move (falling peaks, hold lines), via [`FrameClock`].
//!
//! nice-plug-egui polls the wake flag every [`FRAME`], which caps the rate at 30 frames/s.

use egui::Context;
use nice_plug_egui::RepaintNotifier;
use std::time::{Duration, Instant};

/// The frame period while meters move: 30 frames/s, smooth for meters, half a 60 Hz display.
pub const FRAME: Duration = Duration::from_millis(33);

/// Below this level (dBFS) a block counts as silence and wakes nobody.
pub const SILENCE_DB: f32 = -100.0;

/// Audio-thread handle that asks the editor for a frame.
#[derive(Clone)]
pub struct AudioWake(RepaintNotifier);

impl Default for AudioWake {
    fn default() -> Self {
        Self(RepaintNotifier::new())
    }
}

impl AudioWake {
    /// Requests a frame if the block was audible or reduced gain. Real-time safe.
    pub fn wake_if(&self, block_peak_db: f32, gain_reduction_db: f32) {
        if block_peak_db > SILENCE_DB || gain_reduction_db > 0.01 {
            self.0.request_repaint();
        }
    }

    /// The notifier to hand to `create_egui_editor`.
    pub fn notifier(&self) -> RepaintNotifier {
        self.0.clone()
    }
}

/// Measures the time between frames for meter ballistics and schedules the next frame only while
/// something moves.
#[derive(Debug, Default)]
pub struct FrameClock {
    last: Option<Instant>,
}

impl FrameClock {
    /// Seconds since the previous frame, at most 0.1 s (after idling, ballistics resume from rest
    /// instead of jumping).
    pub fn tick(&mut self) -> f32 {
        let now = Instant::now();
        let dt = self
            .last
            .map_or(0.0, |t| now.duration_since(t).as_secs_f32().min(0.1));
        self.last = Some(now);
        dt
    }

    /// Schedules the next frame if `moving`; otherwise the editor sleeps until woken.
    pub fn keep_alive(&self, ctx: &Context, moving: bool) {
        if moving {
            ctx.request_repaint_after(FRAME);
        }
    }
}

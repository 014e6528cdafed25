//! What the audio thread streams to the editor beyond the meter atomics: the output samples for
//! the goniometer and a gain-reduction history at a fixed rate of audio time. Both go through
//! lathe-shared's wait-free rings, created in `activate`. The plugin streams only while an editor
//! is open (nobody else reads the rings); the editor drains what is left in them when it opens.

use lathe_shared::editor::repaint::AudioWake;
use lathe_shared::editor::stream::{ReaderSlot, StreamWriter};

/// History points per second of audio. The editor scrolls by one point per 20 ms, smooth at
/// any frame rate, and the limiter's fastest release (1 ms) still shows as a spike because each
/// point is the maximum over its 20 ms.
pub const HISTORY_RATE_HZ: f64 = 50.0;
/// Seconds of history the ring holds for an editor that repaints late (the editor keeps its own
/// longer display buffer).
const HISTORY_RING_SECONDS: f64 = 2.0;
/// Seconds of output samples the goniometer ring holds.
const SCOPE_RING_SECONDS: f64 = 0.25;

/// Where the editor picks up the readers each time it opens.
#[derive(Clone, Default)]
pub struct Readers {
    /// Output frames (left, right).
    pub scope: ReaderSlot,
    /// One frame per 1/[`HISTORY_RATE_HZ`] s: (gain reduction dB, output sample peak dBFS),
    /// each the maximum over the interval.
    pub history: ReaderSlot,
    /// Wakes an idle editor when audible audio arrives (a relaxed atomic store: real-time safe).
    pub wake: AudioWake,
}

#[derive(Default)]
pub struct EditorFeed {
    readers: Readers,
    scope: StreamWriter,
    history: StreamWriter,
    /// Samples per history point, and how far the current point has come.
    hop: usize,
    pos: usize,
    /// Maxima of the current point: gain reduction (dB) and output peak (linear).
    acc: [f32; 2],
}

impl EditorFeed {
    pub fn readers(&self) -> Readers {
        self.readers.clone()
    }

    /// Creates the rings for `sample_rate`. Call from `activate`, never from `process`.
    pub fn open(&mut self, sample_rate: f64) {
        self.scope.open(
            (sample_rate * SCOPE_RING_SECONDS) as usize,
            sample_rate as f32,
            &self.readers.scope,
        );
        self.history.open(
            (HISTORY_RATE_HZ * HISTORY_RING_SECONDS) as usize,
            HISTORY_RATE_HZ as f32,
            &self.readers.history,
        );
        self.hop = (sample_rate / HISTORY_RATE_HZ).round().max(1.0) as usize;
        self.restart();
    }

    /// Starts the history's next point afresh: the plugin streams only while an editor is open,
    /// and a point must not carry a maximum from before the editor was last closed.
    pub fn restart(&mut self) {
        self.pos = 0;
        self.acc = [0.0; 2];
    }

    /// Streams one processed block (`output`: one or two channels) and the limiter's largest gain
    /// reduction in it. History points fall on fixed sample counts, so the history runs at
    /// [`HISTORY_RATE_HZ`] of audio time whatever the block size; a block longer than a point
    /// contributes its maximum to every point it spans.
    pub fn push(&mut self, output: &[&[f32]], gr_db: f32) {
        let (left, right) = match output {
            [l, r, ..] => (*l, *r),
            [m] => (*m, *m),
            [] => return,
        };
        self.scope.push(left, right);
        let peak = left
            .iter()
            .chain(right.iter())
            .fold(0.0f32, |m, x| m.max(x.abs()));
        let mut remaining = left.len();
        self.acc = [self.acc[0].max(gr_db), self.acc[1].max(peak)];
        while self.hop > 0 && self.pos + remaining >= self.hop {
            remaining -= self.hop - self.pos;
            self.pos = 0;
            let peak_db = 20.0 * self.acc[1].max(1e-6).log10();
            self.history.push(&[self.acc[0]], &[peak_db]);
            self.acc = if remaining > 0 {
                [gr_db, peak]
            } else {
                [0.0; 2]
            };
        }
        self.pos += remaining;
        self.readers
            .wake
            .wake_if(20.0 * peak.max(1e-10).log10(), gr_db);
    }
}

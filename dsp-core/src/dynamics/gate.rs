//! Noise gate / downward expander.
//!
//! A stereo-linked peak detector (instant attack, [`Gate::DETECTOR_RELEASE_MS`] release) drives a
//! two-state machine with hysteresis and hold: the gate opens when the level rises above the
//! threshold and closes only after the level has stayed below `threshold - hysteresis` for the
//! hold time. Hysteresis and hold together stop the chatter a single threshold produces on a
//! decaying note, whose detected level ripples across the threshold for many periods.
//!
//! The gain moves on a one-pole in the linear domain (like the RC-smoothed control voltage of an
//! analog VCA gate): attack towards open, release towards closed, so it covers 63% of the step in
//! the set time, and every change of state or setting is click-free.
//! While closed the gain target is `-range` dB (gate), or with a finite expander ratio `R` the
//! downward expansion `(R - 1)(L - T_close)` dB, floored at `-range`.
//!
//! Plugins call every setter every block: a setter given its current value returns at once.
//!
//! A range of 0 dB is how a plugin switches the gate off. Once the gain has then reached exactly
//! 1 the gate is *idle*: it passes the signal through and holds its detector at rest (closed,
//! level 0) without per-sample work, so a switched-off gate costs nothing. Idleness is decided
//! per sample from the state alone, so the output and the state stay independent of the block
//! partition.

use super::{db_to_log2, fast_exp2, fast_log2, log2_to_db};
use crate::util::{db_to_gain, flush, one_pole_coeff, sanitize};

/// Stereo-linked noise gate and downward expander.
#[derive(Debug, Clone)]
pub struct Gate {
    sample_rate: f64,
    threshold_db: f64,
    hysteresis_db: f64,
    range_db: f64,
    ratio: f64,
    attack_ms: f64,
    hold_ms: f64,
    release_ms: f64,

    open_level: f64,
    close_level: f64,
    close_log2: f64,
    floor_gain: f64,
    floor_log2: f64,
    attack_w: f64,
    release_w: f64,
    detector_a: f64,
    hold_samples: u64,

    level: f64,
    open: bool,
    hold_left: u64,
    gain: f64,
}

impl Default for Gate {
    fn default() -> Self {
        Self::new()
    }
}

impl Gate {
    /// Release of the level detector: bridges the zero crossings of the signal (together with
    /// the hold) while letting the gate react within milliseconds.
    pub const DETECTOR_RELEASE_MS: f64 = 10.0;

    pub fn new() -> Self {
        let mut g = Self {
            sample_rate: 48_000.0,
            threshold_db: -40.0,
            hysteresis_db: 6.0,
            range_db: 80.0,
            ratio: f64::INFINITY,
            attack_ms: 0.5,
            hold_ms: 20.0,
            release_ms: 100.0,
            open_level: 0.0,
            close_level: 0.0,
            close_log2: 0.0,
            floor_gain: 0.0,
            floor_log2: 0.0,
            attack_w: 1.0,
            release_w: 1.0,
            detector_a: 0.0,
            hold_samples: 0,
            level: 0.0,
            open: false,
            hold_left: 0,
            gain: 0.0,
        };
        g.update();
        g.reset();
        g
    }

    pub fn prepare(&mut self, sample_rate: f64, _max_block: usize) {
        self.sample_rate = sample_rate;
        self.update();
        self.reset();
    }

    /// Starts closed (at the range floor), as a gate on a silent input would be.
    pub fn reset(&mut self) {
        self.level = 0.0;
        self.open = false;
        self.hold_left = 0;
        self.gain = self.floor_gain;
    }

    pub fn latency_samples(&self) -> usize {
        0
    }

    /// Opening threshold in dBFS (peak).
    pub fn set_threshold_db(&mut self, db: f64) {
        if self.threshold_db != db {
            self.threshold_db = db;
            self.update();
        }
    }

    /// The gate closes `hysteresis` dB below the opening threshold.
    pub fn set_hysteresis_db(&mut self, db: f64) {
        let db = db.max(0.0);
        if self.hysteresis_db != db {
            self.hysteresis_db = db;
            self.update();
        }
    }

    /// Attenuation when closed, in dB (positive).
    pub fn set_range_db(&mut self, db: f64) {
        let db = db.max(0.0);
        if self.range_db != db {
            self.range_db = db;
            self.update();
        }
    }

    /// Expander ratio below the closing threshold; `f64::INFINITY` (default) for a gate.
    pub fn set_ratio(&mut self, ratio: f64) {
        self.ratio = ratio.max(1.0);
    }

    pub fn set_attack_ms(&mut self, ms: f64) {
        let ms = ms.max(0.0);
        if self.attack_ms != ms {
            self.attack_ms = ms;
            self.update();
        }
    }

    /// Time the gate stays open after the level fell below the closing threshold.
    pub fn set_hold_ms(&mut self, ms: f64) {
        let ms = ms.max(0.0);
        if self.hold_ms != ms {
            self.hold_ms = ms;
            self.update();
        }
    }

    pub fn set_release_ms(&mut self, ms: f64) {
        let ms = ms.max(0.0);
        if self.release_ms != ms {
            self.release_ms = ms;
            self.update();
        }
    }

    /// State of the gate after the last processed sample.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Current attenuation in dB (>= 0), the same for both channels (the detector is linked).
    pub fn gain_reduction_db(&self, _channel: usize) -> f32 {
        (-log2_to_db(fast_log2(self.gain.max(1e-12)))).max(0.0) as f32
    }

    fn update(&mut self) {
        let sr = self.sample_rate;
        self.open_level = db_to_gain(self.threshold_db);
        self.close_level = db_to_gain(self.threshold_db - self.hysteresis_db);
        self.close_log2 = db_to_log2(self.threshold_db - self.hysteresis_db);
        self.floor_gain = db_to_gain(-self.range_db);
        self.floor_log2 = db_to_log2(-self.range_db);
        self.attack_w = 1.0 - one_pole_coeff(self.attack_ms * 1e-3, sr);
        self.release_w = 1.0 - one_pole_coeff(self.release_ms * 1e-3, sr);
        self.detector_a = one_pole_coeff(Self::DETECTOR_RELEASE_MS * 1e-3, sr);
        self.hold_samples = (self.hold_ms * 1e-3 * sr).round() as u64;
    }

    /// Range 0 and the gain at exactly 1: see the module documentation.
    #[inline]
    fn idle(&self) -> bool {
        self.floor_gain == 1.0 && self.gain == 1.0
    }

    /// The idle gate's whole block: what `tick` returns for each sample, without the loop.
    fn pass_idle(&mut self, main: &mut [&mut [f32]]) {
        self.rest();
        for ch in main.iter_mut() {
            ch.iter_mut().for_each(|x| *x = sanitize(*x));
        }
    }

    /// The detector at rest: a gate switched on again starts as on silence.
    #[inline]
    fn rest(&mut self) {
        self.level = 0.0;
        self.open = false;
        self.hold_left = 0;
    }

    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let nch = channels.len().min(2);
        if self.idle() {
            return self.pass_idle(&mut channels[..nch]);
        }
        let n = channels[..nch].iter().map(|c| c.len()).min().unwrap_or(0);
        for i in 0..n {
            let mut peak = 0.0f64;
            for ch in channels[..nch].iter() {
                peak = peak.max((sanitize(ch[i]) as f64).abs());
            }
            let g = self.tick(peak);
            for ch in channels[..nch].iter_mut() {
                ch[i] = (sanitize(ch[i]) as f64 * g) as f32;
            }
        }
    }

    /// Gates `main` in place, keyed by `sidechain` (one or two channels, linked).
    pub fn process_with_sidechain(&mut self, main: &mut [&mut [f32]], sidechain: &[&[f32]]) {
        if sidechain.is_empty() {
            return self.process(main);
        }
        let nch = main.len().min(2);
        if self.idle() {
            return self.pass_idle(&mut main[..nch]);
        }
        let n = main[..nch].iter().map(|c| c.len()).min().unwrap_or(0);
        for i in 0..n {
            let mut peak = 0.0f64;
            for sc in sidechain.iter().take(2) {
                peak = peak.max((sanitize(sc[i]) as f64).abs());
            }
            let g = self.tick(peak);
            for ch in main[..nch].iter_mut() {
                ch[i] = (sanitize(ch[i]) as f64 * g) as f32;
            }
        }
    }

    #[inline]
    fn tick(&mut self, peak: f64) -> f64 {
        if self.idle() {
            self.rest();
            return 1.0;
        }
        self.level = if peak >= self.level {
            peak
        } else {
            flush(peak + self.detector_a * (self.level - peak))
        };
        if self.open {
            if self.level >= self.close_level {
                self.hold_left = self.hold_samples;
            } else if self.hold_left > 0 {
                self.hold_left -= 1;
            } else {
                self.open = false;
            }
        } else if self.level >= self.open_level {
            self.open = true;
            self.hold_left = self.hold_samples;
        }
        let target = if self.open {
            1.0
        } else if self.ratio.is_finite() && self.level > 0.0 {
            let l = fast_log2(self.level.max(1e-12));
            fast_exp2(
                ((self.ratio - 1.0) * (l - self.close_log2))
                    .max(self.floor_log2)
                    .min(0.0),
            )
        } else {
            self.floor_gain
        };
        let w = if target > self.gain {
            self.attack_w
        } else {
            self.release_w
        };
        self.gain += w * (target - self.gain);
        // A one-pole never lands on its target in floating point; 1e-12 (1e-11 dB) from it is
        // there, so a gate whose range went to 0 does become idle.
        if (target - self.gain).abs() < 1e-12 {
            self.gain = target;
        }
        self.gain
    }
}

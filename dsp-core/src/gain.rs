//! A smoothed gain stage with polarity inversion: the input and output trims of the plugins.
//! The gain ramps linearly in amplitude over [`RAMP_MS`] per change, which is click-free for any
//! step within the plugins' +-24 dB ranges.

use crate::smoother::Smoother;
use crate::util::db_to_gain;

const RAMP_MS: f64 = 20.0;

#[derive(Debug, Clone)]
pub struct Gain {
    gain: Smoother,
    db: f64,
    invert: bool,
}

impl Default for Gain {
    fn default() -> Self {
        Self {
            gain: Smoother::new(1.0),
            db: 0.0,
            invert: false,
        }
    }
}

impl Gain {
    pub fn prepare(&mut self, sample_rate: f64, _max_block: usize) {
        self.gain.prepare(sample_rate, RAMP_MS);
        self.gain.reset();
    }

    pub fn reset(&mut self) {
        self.gain.reset();
    }

    pub fn latency_samples(&self) -> usize {
        0
    }

    pub fn set_gain_db(&mut self, db: f64) {
        self.db = db;
        self.update();
    }

    /// Polarity inversion is part of the ramped gain (1 -> -1 crosses zero smoothly).
    pub fn set_invert(&mut self, invert: bool) {
        self.invert = invert;
        self.update();
    }

    fn update(&mut self) {
        let sign = if self.invert { -1.0 } else { 1.0 };
        self.gain.set_target(sign * db_to_gain(self.db));
    }

    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let len = channels.first().map_or(0, |c| c.len());
        if !self.gain.is_smoothing() {
            let g = self.gain.value() as f32;
            if g != 1.0 {
                for ch in channels.iter_mut() {
                    ch.iter_mut().for_each(|x| *x *= g);
                }
            }
            return;
        }
        for i in 0..len {
            let g = self.gain.tick() as f32;
            for ch in channels.iter_mut() {
                ch[i] *= g;
            }
        }
    }
}

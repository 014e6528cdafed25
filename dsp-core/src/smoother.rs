//! Per-sample parameter smoothing.
//!
//! Setters store a target; the processor pulls one value per sample with [`Smoother::tick`]. The
//! ramp is linear over a fixed time, so a change always completes in the same number of samples
//! whatever the block size, which keeps processing bit-identical across block partitions.

#[derive(Debug, Clone)]
pub struct Smoother {
    current: f64,
    target: f64,
    step: f64,
    remaining: u32,
    ramp_samples: u32,
}

impl Default for Smoother {
    fn default() -> Self {
        Self::new(0.0)
    }
}

impl Smoother {
    pub fn new(value: f64) -> Self {
        Self {
            current: value,
            target: value,
            step: 0.0,
            remaining: 0,
            ramp_samples: 0,
        }
    }

    /// Sets the ramp time; takes effect for the next change.
    pub fn prepare(&mut self, sample_rate: f64, ramp_ms: f64) {
        self.ramp_samples = (sample_rate * ramp_ms * 1e-3).round().max(0.0) as u32;
    }

    pub fn set_target(&mut self, target: f64) {
        if target == self.target {
            return;
        }
        self.target = target;
        if self.ramp_samples == 0 {
            self.current = target;
            self.remaining = 0;
        } else {
            self.remaining = self.ramp_samples;
            self.step = (target - self.current) / self.ramp_samples as f64;
        }
    }

    /// Jumps to `value` without a ramp (for `reset` and for the first value after `prepare`).
    pub fn set_immediate(&mut self, value: f64) {
        self.current = value;
        self.target = value;
        self.remaining = 0;
    }

    /// Finishes any ramp in progress.
    pub fn reset(&mut self) {
        self.set_immediate(self.target);
    }

    #[inline]
    pub fn tick(&mut self) -> f64 {
        if self.remaining > 0 {
            self.remaining -= 1;
            self.current = if self.remaining == 0 {
                self.target
            } else {
                self.current + self.step
            };
        }
        self.current
    }

    #[inline]
    pub fn is_smoothing(&self) -> bool {
        self.remaining > 0
    }

    #[inline]
    pub fn value(&self) -> f64 {
        self.current
    }

    #[inline]
    pub fn target(&self) -> f64 {
        self.target
    }
}

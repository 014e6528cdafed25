//! Lock-free handoff of meter values from the audio thread to the editor: plain atomics, relaxed
//! ordering (a meter value is independent of every other value), no allocation, no blocking.

use atomic_float::AtomicF32;
use std::sync::atomic::Ordering;

/// One meter reading. The audio thread accumulates the maximum since the editor's last read; the
/// editor takes it (and the value resets), so no peak between two redraws is lost.
#[derive(Debug)]
pub struct MeterValue(AtomicF32);

impl Default for MeterValue {
    fn default() -> Self {
        Self::new(f32::NEG_INFINITY)
    }
}

impl MeterValue {
    pub fn new(v: f32) -> Self {
        Self(AtomicF32::new(v))
    }

    pub fn set(&self, v: f32) {
        self.0.store(v, Ordering::Relaxed);
    }

    pub fn get(&self) -> f32 {
        self.0.load(Ordering::Relaxed)
    }

    pub fn update_max(&self, v: f32) {
        self.0.fetch_max(v, Ordering::Relaxed);
    }

    /// Reads the accumulated maximum and starts a new accumulation.
    pub fn take(&self) -> f32 {
        self.0.swap(f32::NEG_INFINITY, Ordering::Relaxed)
    }
}

/// Peak and RMS of up to two channels, as an editor's level meter shows them.
#[derive(Debug, Default)]
pub struct LevelReadout {
    /// Sample peak since the editor's last read, dBFS.
    pub peak_db: [MeterValue; 2],
    /// RMS over dsp-core's 300 ms window, dBFS.
    pub rms_db: [MeterValue; 2],
}

impl LevelReadout {
    /// Publishes the levels of the block [`BlockLevel::measure`] just measured.
    pub fn publish_block(&self, level: &BlockLevel) {
        for ch in 0..level.channels {
            self.peak_db[ch].update_max(level.peak_db(ch));
            self.rms_db[ch].set(level.rms_db(ch));
        }
    }

    /// Publishes what `meter` measured in the block it just processed.
    pub fn publish(&self, meter: &dsp_core::meter::level::LevelMeter, channels: usize) {
        for ch in 0..channels.min(2) {
            self.peak_db[ch].update_max(meter.block_peak_dbfs(ch) as f32);
            self.rms_db[ch].set(meter.rms_dbfs(ch) as f32);
        }
    }
}

/// A plugin's input or output level for its editor, at the cost of one pass over the block:
/// the block's sample peak, and an RMS level whose mean square integrates per block with a
/// [`BlockLevel::RMS_TIME_S`] time constant (the exponential integrator of analog RMS meters;
/// the weight of a block is computed once per block, so the reading does not depend on the
/// block size beyond the block's own granularity). Peak and sum of squares run in `f32` lanes
/// the compiler vectorises; a block's sum is accumulated in 8 partial sums, exact enough for a
/// meter (relative error ~1e-7 per addition).
#[derive(Debug, Clone)]
pub struct BlockLevel {
    sample_rate: f64,
    channels: usize,
    peak: [f32; 2],
    mean_square: [f64; 2],
}

impl Default for BlockLevel {
    fn default() -> Self {
        Self {
            sample_rate: 48_000.0,
            channels: 2,
            peak: [0.0; 2],
            mean_square: [0.0; 2],
        }
    }
}

impl BlockLevel {
    /// RMS integration time: 300 ms, the VU meter's and most DAW RMS meters'.
    pub const RMS_TIME_S: f64 = 0.3;

    pub fn prepare(&mut self, sample_rate: f64) {
        self.sample_rate = sample_rate;
        self.reset();
    }

    pub fn reset(&mut self) {
        self.peak = [0.0; 2];
        self.mean_square = [0.0; 2];
    }

    /// Measures the first one or two channels of a block.
    pub fn measure(&mut self, channels: &[&mut [f32]]) {
        let n = channels.first().map_or(0, |c| c.len());
        self.channels = channels.len().min(2);
        if n == 0 {
            return;
        }
        let keep = (-(n as f64) / (Self::RMS_TIME_S * self.sample_rate)).exp();
        for (c, x) in channels.iter().take(2).enumerate() {
            let mut peak = [0.0f32; 8];
            let mut sum = [0.0f32; 8];
            let mut lanes = x.chunks_exact(8);
            for v in &mut lanes {
                for k in 0..8 {
                    peak[k] = peak[k].max(v[k].abs());
                    sum[k] += v[k] * v[k];
                }
            }
            for (k, &v) in lanes.remainder().iter().enumerate() {
                peak[k] = peak[k].max(v.abs());
                sum[k] += v * v;
            }
            let block_peak = peak.iter().fold(0.0f32, |m, &p| m.max(p));
            let block_ms = sum.iter().map(|&s| s as f64).sum::<f64>() / n as f64;
            // A NaN or an infinity in the block: the block is not measured (checked once per
            // block, not per sample).
            if block_ms.is_finite() && block_peak.is_finite() {
                self.peak[c] = block_peak;
                self.mean_square[c] = block_ms + keep * (self.mean_square[c] - block_ms);
            } else {
                self.peak[c] = 0.0;
            }
        }
    }

    /// Sample peak of the last block, dBFS.
    pub fn peak_db(&self, channel: usize) -> f32 {
        (20.0 * (self.peak[channel.min(1)] as f64).max(1e-10).log10()) as f32
    }

    /// The louder channel's sample peak of the last block, dBFS (what wakes an idle editor).
    pub fn max_peak_db(&self) -> f32 {
        (0..self.channels)
            .map(|c| self.peak_db(c))
            .fold(f32::NEG_INFINITY, f32::max)
    }

    /// RMS level, dBFS (AES17: a full-scale sine reads -3.01 dBFS).
    pub fn rms_db(&self, channel: usize) -> f32 {
        (10.0 * self.mean_square[channel.min(1)].max(1e-20).log10()) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_level_reads_a_sine_at_its_peak_and_rms() {
        let mut m = BlockLevel::default();
        m.prepare(48_000.0);
        let sine: Vec<f32> = (0..48_000)
            .map(|i| 0.5 * (2.0 * std::f64::consts::PI * 997.0 * i as f64 / 48_000.0).sin() as f32)
            .collect();
        // Two seconds in odd-sized blocks (the RMS has integrated: 6.7 time constants), one
        // with a NaN in the right channel: skipped, not poisoning the reading.
        for _ in 0..2 {
            for (i, block) in sine.chunks(333).enumerate() {
                let mut l = block.to_vec();
                let mut r = block.to_vec();
                if i == 100 {
                    r[0] = f32::NAN;
                }
                m.measure(&[&mut l, &mut r]);
            }
        }
        let peak = 20.0 * 0.5f32.log10();
        assert!((m.peak_db(0) - peak).abs() < 0.01, "peak {}", m.peak_db(0));
        assert!((m.rms_db(0) - (peak - 3.0103)).abs() < 0.01, "rms {}", m.rms_db(0));
        assert!((m.rms_db(1) - (peak - 3.0103)).abs() < 0.01, "rms {}", m.rms_db(1));
    }
}

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
    /// Publishes what `meter` measured in the block it just processed.
    pub fn publish(&self, meter: &dsp_core::meter::level::LevelMeter, channels: usize) {
        for ch in 0..channels.min(2) {
            self.peak_db[ch].update_max(meter.block_peak_dbfs(ch) as f32);
            self.rms_db[ch].set(meter.rms_dbfs(ch) as f32);
        }
    }
}

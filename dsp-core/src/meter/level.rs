//! Sample-peak and RMS level meter with peak hold, per channel.
//!
//! - Sample peak: the largest `|x|`, since reset and per block, in dBFS (a full-scale sine reads
//!   0 dBFS peak).
//! - RMS: a rectangular sliding window (default 300 ms, the integration time of the classic VU
//!   and of most DAW RMS meters), updated every millisecond. Squares are summed per 1 ms chunk
//!   and the window is a ring of chunk sums, so memory stays small at 384 kHz and the window can
//!   be changed without reallocation. RMS is reported as AES17 dBFS: the RMS of a full-scale sine
//!   (0.707) reads -3.01 dBFS.
//! - Peak hold: the displayed peak holds for a set time, then falls at a set rate (IEC 60268-18's
//!   digital peak meter falls 20 dB in 1.7 s, about 11.8 dB/s).

use crate::util::{gain_to_db, sanitize};

/// Longest RMS window.
pub const MAX_RMS_WINDOW_MS: f64 = 3000.0;
const MAX_RMS_CHUNKS: usize = 3000;

#[derive(Debug, Clone)]
struct ChannelLevel {
    max_peak: f32,
    block_peak: f32,
    hold: f64,
    hold_left: u64,
    chunk_acc: f64,
    ring: Vec<f64>,
    ring_idx: usize,
    rms_sum: f64,
}

impl ChannelLevel {
    fn new() -> Self {
        Self {
            max_peak: 0.0,
            block_peak: 0.0,
            hold: 0.0,
            hold_left: 0,
            chunk_acc: 0.0,
            ring: vec![0.0; MAX_RMS_CHUNKS],
            ring_idx: 0,
            rms_sum: 0.0,
        }
    }

    fn reset(&mut self) {
        self.max_peak = 0.0;
        self.block_peak = 0.0;
        self.hold = 0.0;
        self.hold_left = 0;
        self.chunk_acc = 0.0;
        self.ring.fill(0.0);
        self.ring_idx = 0;
        self.rms_sum = 0.0;
    }

    fn window_sum(&self, chunks: usize) -> f64 {
        (1..=chunks)
            .map(|k| self.ring[(self.ring_idx + MAX_RMS_CHUNKS - k) % MAX_RMS_CHUNKS])
            .sum()
    }
}

/// Streaming sample-peak / RMS / peak-hold meter.
#[derive(Debug, Clone)]
pub struct LevelMeter {
    sample_rate: f64,
    channels: Vec<ChannelLevel>,
    chunk_len: usize,
    chunk_pos: usize,
    rms_window_ms: f64,
    rms_chunks: usize,
    /// Chunks since the RMS running sums were last re-summed exactly.
    since_resum: usize,
    resum_due: bool,
    hold_ms: f64,
    hold_samples: u64,
    fall_db_per_s: f64,
    fall_gain: f64,
}

impl Default for LevelMeter {
    fn default() -> Self {
        Self::new()
    }
}

impl LevelMeter {
    /// 300 ms RMS window, 1 s peak hold, 11.8 dB/s fall; call [`prepare`](Self::prepare).
    pub fn new() -> Self {
        let mut m = Self {
            sample_rate: 48_000.0,
            channels: Vec::new(),
            chunk_len: 48,
            chunk_pos: 0,
            rms_window_ms: 300.0,
            rms_chunks: 300,
            since_resum: 0,
            resum_due: false,
            hold_ms: 1000.0,
            hold_samples: 48_000,
            fall_db_per_s: 11.8,
            fall_gain: 1.0,
        };
        m.prepare(48_000.0, 0, 2);
        m
    }

    /// Sizes the meter for `channels` at `sample_rate` (allocates the RMS rings).
    pub fn prepare(&mut self, sample_rate: f64, _max_block: usize, channels: usize) {
        self.sample_rate = sample_rate;
        self.chunk_len = ((sample_rate / 1000.0).round() as usize).max(1);
        self.channels = (0..channels.max(1)).map(|_| ChannelLevel::new()).collect();
        self.set_rms_window_ms(self.rms_window_ms);
        self.set_hold_ms(self.hold_ms);
        self.set_fall_rate_db_per_s(self.fall_db_per_s);
        self.reset();
    }

    /// Clears readings, held peaks and the RMS history; keeps the settings.
    pub fn reset(&mut self) {
        for c in &mut self.channels {
            c.reset();
        }
        self.chunk_pos = 0;
        self.since_resum = 0;
        self.resum_due = false;
    }

    /// RMS window in ms (1 ms steps, 1..=3000). Applies at the next 1 ms update.
    pub fn set_rms_window_ms(&mut self, ms: f64) {
        self.rms_window_ms = ms.clamp(1.0, MAX_RMS_WINDOW_MS);
        let chunk_ms = self.chunk_len as f64 * 1000.0 / self.sample_rate;
        self.rms_chunks =
            ((self.rms_window_ms / chunk_ms).round() as usize).clamp(1, MAX_RMS_CHUNKS);
        self.resum_due = true;
    }

    /// How long a peak is held before it starts to fall, ms (`f64::INFINITY`: hold forever).
    /// Applies from the next new peak on.
    pub fn set_hold_ms(&mut self, ms: f64) {
        self.hold_ms = ms.max(0.0);
        let samples = self.hold_ms * 1e-3 * self.sample_rate;
        self.hold_samples = if samples >= u64::MAX as f64 {
            u64::MAX
        } else {
            samples.round() as u64
        };
    }

    /// Fall rate of the held peak after the hold time, dB per second.
    pub fn set_fall_rate_db_per_s(&mut self, db_per_s: f64) {
        self.fall_db_per_s = db_per_s.max(0.0);
        self.fall_gain = 10f64.powf(-self.fall_db_per_s / 20.0 / self.sample_rate);
    }

    /// Measures one block (read-only). Never allocates.
    pub fn process(&mut self, channels: &[&[f32]]) {
        let len = channels.first().map_or(0, |c| c.len());
        let mut pos = 0;
        while pos < len {
            let seg = (self.chunk_len - self.chunk_pos).min(len - pos);
            for (x, c) in channels.iter().zip(&mut self.channels) {
                if pos == 0 {
                    c.block_peak = 0.0;
                }
                let mut acc = c.chunk_acc;
                for &v in &x[pos..pos + seg] {
                    let a = sanitize(v).abs();
                    acc += (a as f64) * (a as f64);
                    c.block_peak = c.block_peak.max(a);
                    if a as f64 >= c.hold {
                        c.hold = a as f64;
                        c.hold_left = self.hold_samples;
                    } else if c.hold_left > 0 {
                        c.hold_left -= 1;
                    } else {
                        c.hold *= self.fall_gain;
                        if c.hold < 1e-30 {
                            c.hold = 0.0;
                        }
                    }
                }
                c.chunk_acc = acc;
                c.max_peak = c.max_peak.max(c.block_peak);
            }
            self.chunk_pos += seg;
            pos += seg;
            if self.chunk_pos == self.chunk_len {
                self.end_chunk();
            }
        }
    }

    fn end_chunk(&mut self) {
        self.chunk_pos = 0;
        self.since_resum += 1;
        // Running sums are re-summed exactly once per window length (and on a window change),
        // so rounding residue from a loud passage never outlives the window.
        let resum = self.resum_due || self.since_resum >= self.rms_chunks;
        let w = self.rms_chunks;
        for c in &mut self.channels {
            let leaving = c.ring[(c.ring_idx + MAX_RMS_CHUNKS - w) % MAX_RMS_CHUNKS];
            c.ring[c.ring_idx] = c.chunk_acc;
            c.ring_idx = (c.ring_idx + 1) % MAX_RMS_CHUNKS;
            c.rms_sum += c.chunk_acc - leaving;
            c.chunk_acc = 0.0;
            if resum {
                c.rms_sum = c.window_sum(w);
            }
        }
        if resum {
            self.since_resum = 0;
            self.resum_due = false;
        }
    }

    /// Highest sample peak of channel `ch` since reset, dBFS.
    pub fn max_peak_dbfs(&self, ch: usize) -> f64 {
        self.read(ch, |c| c.max_peak as f64)
    }

    /// Sample peak of channel `ch` in the last `process` call, dBFS.
    pub fn block_peak_dbfs(&self, ch: usize) -> f64 {
        self.read(ch, |c| c.block_peak as f64)
    }

    /// Held peak of channel `ch` (hold, then fall), dBFS.
    pub fn hold_peak_dbfs(&self, ch: usize) -> f64 {
        self.read(ch, |c| c.hold)
    }

    /// RMS of channel `ch` over the window ending at the last completed 1 ms chunk, dBFS
    /// (the stream is taken as preceded by silence).
    pub fn rms_dbfs(&self, ch: usize) -> f64 {
        let n = (self.rms_chunks * self.chunk_len) as f64;
        self.read(ch, |c| (c.rms_sum.max(0.0) / n).sqrt())
    }

    /// Samples between two RMS updates (about 1 ms).
    pub fn update_interval_samples(&self) -> usize {
        self.chunk_len
    }

    /// Samples in the RMS window as currently set.
    pub fn rms_window_samples(&self) -> usize {
        self.rms_chunks * self.chunk_len
    }

    fn read(&self, ch: usize, f: impl Fn(&ChannelLevel) -> f64) -> f64 {
        gain_to_db(self.channels.get(ch).map_or(0.0, f))
    }
}

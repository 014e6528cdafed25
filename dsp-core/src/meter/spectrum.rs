//! A real-time spectrum analyzer for editors, in 1/6-octave bands (the resolution of
//! FabFilter-style analyzers: fine enough to see a resonance, smooth enough to read while music
//! plays). It runs on the editor thread, never on the audio thread: the editor pushes the samples
//! it received, then asks for the band levels once per frame.
//!
//! Each frame is the last `size` samples with a Hann window (sidelobes fall 18 dB/octave, so a
//! loud low note does not mask the highs). A band's level is the power of the FFT bins whose
//! centres fall in the band, scaled so a sine of peak amplitude `A` inside a band reads
//! `20·log10(A)` dB (a full-scale sine reads 0 dB): by Parseval, a windowed sine's power summed
//! over bins is `A²/4 · N · Σw²`. Bands narrower than a bin (the lowest octaves) read the bin
//! nearest their centre. Band centres follow the base-10-aligned series `1 kHz · 2^(k/6)`
//! (IEC 61260-1 uses the same 1 kHz reference).
//!
//! Smoothing is peak-style: a band rises at once and falls at `release_db_per_s`, so transients
//! show and the display does not flicker.

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Lowest and highest band centres shown (the audible range).
const LOWEST_HZ: f64 = 20.0;
const HIGHEST_HZ: f64 = 20_000.0;
/// Bands per octave.
pub const BANDS_PER_OCTAVE: f64 = 6.0;
/// Levels are clamped here: below any display's floor, and finite for drawing.
pub const FLOOR_DB: f32 = -140.0;

#[derive(Debug, Clone, Copy)]
struct Band {
    /// Bins `lo..hi` fall in the band; `lo == hi` means the band reads bin `nearest`.
    lo: usize,
    hi: usize,
    nearest: usize,
}

pub struct SpectrumAnalyzer {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    history: Vec<f32>,
    write: usize,
    frame: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// Converts summed bin power to the power of the sine it came from (see the module doc).
    power_scale: f32,
    bands: Vec<Band>,
    centres: Vec<f32>,
    levels: Vec<f32>,
    release_db_per_s: f32,
}

impl SpectrumAnalyzer {
    /// An analyzer of `size`-sample frames (a power of two; 8192 at 48 kHz resolves 5.9 Hz, so
    /// bands from about 70 Hz up hold at least one bin) at `sample_rate`.
    pub fn new(sample_rate: f64, size: usize) -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(size);
        let window: Vec<f32> = (0..size)
            .map(|i| {
                let x = std::f64::consts::PI * i as f64 / size as f64;
                (x.sin() * x.sin()) as f32
            })
            .collect();
        let sum_sq: f32 = window.iter().map(|w| w * w).sum();
        let bin_hz = sample_rate / size as f64;
        let nyquist_bin = size / 2;
        let mut bands = Vec::new();
        let mut centres = Vec::new();
        let half = 2f64.powf(0.5 / BANDS_PER_OCTAVE);
        let k_lo = (BANDS_PER_OCTAVE * (LOWEST_HZ / 1000.0).log2()).round() as i32;
        let k_hi = (BANDS_PER_OCTAVE * (HIGHEST_HZ / 1000.0).log2()).round() as i32;
        for k in k_lo..=k_hi {
            let centre = 1000.0 * 2f64.powf(k as f64 / BANDS_PER_OCTAVE);
            if centre * half >= sample_rate / 2.0 {
                break;
            }
            let lo = ((centre / half) / bin_hz).ceil() as usize;
            let hi = (((centre * half) / bin_hz).ceil() as usize).min(nyquist_bin + 1);
            bands.push(Band {
                lo: lo.min(hi),
                hi,
                nearest: ((centre / bin_hz).round() as usize).min(nyquist_bin),
            });
            centres.push(centre as f32);
        }
        let n = bands.len();
        Self {
            scratch: fft.make_scratch_vec(),
            spectrum: fft.make_output_vec(),
            frame: fft.make_input_vec(),
            fft,
            window,
            history: vec![0.0; size],
            write: 0,
            power_scale: 4.0 / (size as f32 * sum_sq),
            bands,
            centres,
            levels: vec![FLOOR_DB; n],
            release_db_per_s: 30.0,
        }
    }

    /// How fast a band falls after its level drops, dB per second.
    pub fn set_release_db_per_s(&mut self, rate: f32) {
        self.release_db_per_s = rate.max(0.0);
    }

    /// Band centre frequencies, Hz, in the order of [`Self::levels`].
    pub fn centres(&self) -> &[f32] {
        &self.centres
    }

    /// The smoothed band levels, dB (see the module doc for the scale).
    pub fn levels(&self) -> &[f32] {
        &self.levels
    }

    /// Appends samples to the analysis history.
    pub fn push(&mut self, x: f32) {
        self.history[self.write] = if x.is_finite() { x } else { 0.0 };
        self.write = (self.write + 1) % self.history.len();
    }

    /// Forgets the history and the smoothed levels.
    pub fn reset(&mut self) {
        self.history.fill(0.0);
        self.write = 0;
        self.levels.fill(FLOOR_DB);
    }

    /// Analyzes the latest frame and applies `dt` seconds of smoothing; returns whether any band
    /// moved by more than 0.1 dB (the editor repaints only then).
    pub fn analyze(&mut self, dt: f32) -> bool {
        let n = self.history.len();
        for i in 0..n {
            self.frame[i] = self.history[(self.write + i) % n] * self.window[i];
        }
        if self
            .fft
            .process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.scratch)
            .is_err()
        {
            return false;
        }
        let fall = self.release_db_per_s * dt;
        let mut moved = false;
        for (band, level) in self.bands.iter().zip(self.levels.iter_mut()) {
            let power: f32 = if band.hi > band.lo {
                self.spectrum[band.lo..band.hi]
                    .iter()
                    .map(|c| c.norm_sqr())
                    .sum()
            } else {
                self.spectrum[band.nearest].norm_sqr()
            };
            let db = (10.0 * (power * self.power_scale).max(1e-30).log10()).max(FLOOR_DB);
            let next = if db >= *level - fall {
                db
            } else {
                *level - fall
            };
            moved |= (next - *level).abs() > 0.1;
            *level = next;
        }
        moved
    }
}

//! Metering: loudness (ITU-R BS.1770-4 / EBU R 128), true peak (BS.1770-4 Annex 2), sample peak
//! and RMS. Meters read their input and never modify it; their `process` takes `&[&[f32]]`.
//! Every reading depends only on the samples since `reset`, never on the block partitioning.

pub mod level;
pub mod loudness;
pub mod spectrum;
pub mod true_peak;

pub use level::LevelMeter;
pub use loudness::LoudnessMeter;
pub use true_peak::TruePeakMeter;

use crate::util::gain_to_db;

/// Offline measurement of a whole programme, as the command-line renderer reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    /// Integrated loudness, LUFS (BS.1770-4 gated).
    pub integrated: f64,
    /// Loudness range, LU (EBU Tech 3342).
    pub lra: f64,
    /// Maximum true peak over all channels, dBTP (4x oversampling, BS.1770-4 Annex 2).
    pub true_peak_dbtp: f64,
    /// Maximum sample peak over all channels, dBFS.
    pub sample_peak_dbfs: f64,
    /// Maximum momentary loudness, LUFS.
    pub max_momentary: f64,
    /// Maximum short-term loudness, LUFS.
    pub max_short_term: f64,
}

/// Measures a programme given as one slice per channel (channel order and weights as in
/// [`LoudnessMeter::prepare`]). Allocates; not for the audio thread.
pub fn measure(sample_rate: f64, channels: &[&[f32]]) -> Report {
    let n_ch = channels.len().max(1);
    let len = channels.first().map_or(0, |c| c.len());
    let mut loudness = LoudnessMeter::new();
    loudness.prepare(sample_rate, len, n_ch);
    loudness.process(channels);
    let mut tp = TruePeakMeter::new(4);
    tp.prepare(sample_rate, len, n_ch);
    tp.process(channels);
    // Run the interpolator past the end so the last samples' neighbourhoods are measured.
    let tail = vec![0.0f32; tp.detection_delay_samples()];
    let tails: Vec<&[f32]> = (0..n_ch).map(|_| tail.as_slice()).collect();
    tp.process(&tails);
    let sample_peak = channels
        .iter()
        .flat_map(|c| c.iter())
        .fold(
            0.0f32,
            |m, &v| if v.is_finite() { m.max(v.abs()) } else { m },
        );
    Report {
        integrated: loudness.integrated_lufs(),
        lra: loudness.loudness_range_lu(),
        true_peak_dbtp: tp.true_peak_dbtp(),
        sample_peak_dbfs: gain_to_db(sample_peak as f64),
        max_momentary: loudness.max_momentary_lufs(),
        max_short_term: loudness.max_short_term_lufs(),
    }
}

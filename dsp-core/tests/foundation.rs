//! The shared pieces every processor builds on: the biquad runtime, the smoother and the signal
//! generators, checked against closed-form expectations.
mod common;

use common::*;
use dsp_core::filter::{BiquadCoeffs, BiquadState};
use dsp_core::signal;
use dsp_core::smoother::Smoother;

#[test]
fn butterworth_biquad_is_3db_down_at_cutoff_and_matches_its_own_response() {
    let fs = 48_000.0;
    let c = BiquadCoeffs::rbj_lowpass(fs, 1000.0, std::f64::consts::FRAC_1_SQRT_2);
    assert!((db(c.magnitude(1000.0, fs)) + 3.0103).abs() < 1e-3);
    // Measured through the runtime: a 3 kHz sine comes out at the predicted level.
    let x = signal::sine(3000.0, fs, 48_000, 0.5, 0.0);
    let mut st = BiquadState::default();
    let y: Vec<f32> = x.iter().map(|&v| st.tick(&c, v as f64) as f32).collect();
    let measured = tone_amplitude(&y[4800..], 3000.0, fs) / 0.5;
    assert!((db(measured) - db(c.magnitude(3000.0, fs))).abs() < 0.01);
}

#[test]
fn smoother_ramps_linearly_in_the_set_time() {
    let mut s = Smoother::new(0.0);
    s.prepare(1000.0, 10.0);
    s.set_target(1.0);
    let v: Vec<f64> = (0..12).map(|_| s.tick()).collect();
    assert!((v[0] - 0.1).abs() < 1e-12 && (v[4] - 0.5).abs() < 1e-12);
    assert_eq!(v[9], 1.0);
    assert!(!s.is_smoothing());
}

#[test]
fn reference_true_peak_finds_the_fs4_45_degree_overshoot() {
    // A sine at fs/4 sampled at 45 degrees: every sample is at 0.7071 of the peak, so the true
    // peak is 3.01 dB above the sample peak.
    let mut x = signal::sine(12_000.0, 48_000.0, 4800, 1.0, std::f64::consts::FRAC_PI_4);
    assert!((db(peak(&x)) + 3.0103).abs() < 1e-3);
    // Fade the ends: an abruptly cut sine really does overshoot at the cut.
    let n = x.len();
    for i in 0..400 {
        let g = (0.5 - 0.5 * (std::f64::consts::PI * i as f64 / 400.0).cos()) as f32;
        x[i] *= g;
        x[n - 1 - i] *= g;
    }
    assert!(
        db(true_peak_16x(&x)).abs() < 0.01,
        "{}",
        db(true_peak_16x(&x))
    );
}

#[test]
fn thd_n_of_a_clean_sine_is_at_the_f32_floor() {
    let x = signal::sine(1000.0, 48_000.0, 48_000, 0.5, 0.3);
    assert!(thd_n_db(&x, 1000.0, 48_000.0) < -130.0);
}

#[test]
fn music_like_signal_is_deterministic_and_music_like() {
    let a = signal::music_like(48_000.0, 4.0, 7);
    let b = signal::music_like(48_000.0, 4.0, 7);
    assert_eq!(a, b);
    let p = peak(&a[0]).max(peak(&a[1]));
    let crest = db(p / rms(&a[0]));
    assert!(p < 1.0 && p > 0.3, "peak {p}");
    assert!((8.0..20.0).contains(&crest), "crest factor {crest} dB");
}

//! The editors' spectrum analyzer: a sine lands in its 1/6-octave band at its level, its
//! neighbours stay far below, and the display falls at the release rate after the signal stops.

use dsp_core::meter::spectrum::SpectrumAnalyzer;
use std::f64::consts::PI;

const SR: f64 = 48_000.0;

fn feed_sine(a: &mut SpectrumAnalyzer, freq: f64, peak_db: f64, n: usize) {
    let amp = 10f64.powf(peak_db / 20.0);
    for i in 0..n {
        a.push((amp * (2.0 * PI * freq * i as f64 / SR).sin()) as f32);
    }
}

fn band_of(a: &SpectrumAnalyzer, freq: f32) -> usize {
    a.centres()
        .iter()
        .enumerate()
        .min_by(|x, y| {
            (x.1.ln() - freq.ln())
                .abs()
                .total_cmp(&(y.1.ln() - freq.ln()).abs())
        })
        .unwrap()
        .0
}

#[test]
fn bands_are_sixth_octaves_from_20_hz_to_20_khz() {
    let a = SpectrumAnalyzer::new(SR, 8192);
    let c = a.centres();
    assert!((c[0] - 19.7).abs() < 0.5, "{}", c[0]);
    assert!(
        (c[c.len() - 1] - 20_159.0).abs() < 50.0,
        "{}",
        c[c.len() - 1]
    );
    for w in c.windows(2) {
        let ratio = w[1] / w[0];
        assert!((ratio - 2f32.powf(1.0 / 6.0)).abs() < 1e-4, "{ratio}");
    }
    assert_eq!(c.len(), 61);
}

#[test]
fn a_sine_reads_its_peak_level_in_its_band_and_the_neighbours_stay_far_below() {
    for (freq, level) in [(1000.0, -12.0), (5039.7, -3.0), (251.98, -20.0)] {
        let mut a = SpectrumAnalyzer::new(SR, 8192);
        feed_sine(&mut a, freq, level, 8192);
        a.analyze(0.0);
        let b = band_of(&a, freq as f32);
        let got = a.levels()[b];
        assert!(
            (got as f64 - level).abs() < 0.5,
            "{freq} Hz at {level} dB read {got} dB in band {}",
            a.centres()[b]
        );
        for (i, &l) in a.levels().iter().enumerate() {
            if i.abs_diff(b) >= 2 {
                assert!(
                    l < got - 40.0,
                    "{freq} Hz leaks into {} Hz: {l} dB",
                    a.centres()[i]
                );
            }
        }
    }
}

#[test]
fn after_the_signal_stops_the_display_falls_at_the_release_rate() {
    let mut a = SpectrumAnalyzer::new(SR, 4096);
    a.set_release_db_per_s(30.0);
    feed_sine(&mut a, 1000.0, -6.0, 4096);
    a.analyze(0.0);
    let b = band_of(&a, 1000.0);
    let start = a.levels()[b];
    for _ in 0..4096 {
        a.push(0.0);
    }
    assert!(a.analyze(0.5), "a falling band reports movement");
    assert!((a.levels()[b] - (start - 15.0)).abs() < 1e-3);
    a.push(f32::NAN);
    a.analyze(0.1);
    assert!(a.levels().iter().all(|l| l.is_finite()));
}

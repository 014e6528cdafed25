//! The half-band oversampler: passband flatness of the round trip, image and alias rejection,
//! exact latency and block invariance, each measured at every factor.
mod common;

use common::*;
use dsp_core::oversampling::Oversampler;
use dsp_core::signal;
use std::f64::consts::PI;

const FS: f64 = 44_100.0;

fn prepared(log2: usize, max_block: usize, channels: usize) -> Oversampler {
    let mut os = Oversampler::new(4);
    os.prepare(max_block, channels);
    os.set_factor_log2(log2);
    os
}

/// Up then down through one channel, in one call.
fn round_trip(os: &mut Oversampler, x: &[f32]) -> Vec<f32> {
    let mut hi = vec![0.0f32; x.len() * os.factor()];
    let mut y = vec![0.0f32; x.len()];
    os.upsample(0, x, &mut hi);
    os.downsample(0, &hi, &mut y);
    y
}

/// Magnitude (dB) of an impulse response at `freq` (direct DTFT, f64).
fn response_db(h: &[f32], freq: f64, fs: f64) -> f64 {
    let w = 2.0 * PI * freq / fs;
    let (mut re, mut im) = (0.0, 0.0);
    for (n, &v) in h.iter().enumerate() {
        re += v as f64 * (w * n as f64).cos();
        im -= v as f64 * (w * n as f64).sin();
    }
    db((re * re + im * im).sqrt())
}

#[test]
fn round_trip_passband_is_flat_within_0_01_db_to_20k_at_44k1() {
    for log2 in 1..=4 {
        let mut os = prepared(log2, 512, 1);
        let mut x = vec![0.0f32; 2048];
        x[0] = 1.0;
        let h = round_trip(&mut os, &x);
        let mut worst = 0.0f64;
        for i in 0..=400 {
            let f = 20_000.0 * i as f64 / 400.0;
            worst = worst.max(response_db(&h, f, FS).abs());
        }
        println!(
            "{}x round-trip passband deviation 0..20 kHz: {worst:.6} dB",
            1 << log2
        );
        assert!(worst < 0.01, "{}x: {worst} dB", 1 << log2);
    }
}

#[test]
fn images_after_upsampling_are_100_db_down() {
    // A 15 kHz tone, coherent with the 1 s analysis window: everything in the upsampled signal
    // that is not the fitted 15 kHz sine is an image (or rounding noise).
    let x = signal::sine(15_000.0, FS, 3 * 44_100, 1.0, 0.2);
    for log2 in 1..=4 {
        let f = 1usize << log2;
        let mut os = prepared(log2, 1024, 1);
        let mut hi = vec![0.0f32; x.len() * f];
        os.upsample(0, &x, &mut hi);
        let seg = &hi[44_100 * f..2 * 44_100 * f];
        let (amp, _) = fit_sine(seg, 15_000.0, FS * f as f64);
        let thd = thd_n_db(seg, 15_000.0, FS * f as f64);
        // The strongest single image, for the record.
        let image = tone_amplitude(seg, FS - 15_000.0, FS * f as f64);
        println!(
            "{f}x: 15 kHz through upsampler: tone {:.5} dB, all images {thd:.1} dB, image at {} Hz {:.1} dB",
            db(amp),
            FS - 15_000.0,
            db(image / amp)
        );
        assert!((db(amp)).abs() < 0.01);
        assert!(thd < -100.0, "{f}x: images at {thd} dB");
    }
}

#[test]
fn aliases_after_downsampling_are_100_db_down() {
    // Tones above the base Nyquist whose alias would land in 0..20 kHz: the whole base-rate
    // output after settling is alias.
    for log2 in 1..=4 {
        let f = 1usize << log2;
        let hi_fs = FS * f as f64;
        let mut worst = -400.0f64;
        let mut worst_at = 0.0;
        let mut tone = 24_150.0;
        while tone < hi_fs / 2.0 {
            let alias = (tone % FS).min(FS - tone % FS);
            if alias <= 20_000.0 {
                let x = signal::sine(tone, hi_fs, 8192 * f, 1.0, 0.1);
                let mut os = prepared(log2, 700, 1);
                let mut y = vec![0.0f32; 8192];
                os.downsample(0, &x, &mut y);
                let level = db(rms(&y[1024..]) * 2f64.sqrt());
                if level > worst {
                    worst = level;
                    worst_at = tone;
                }
            }
            tone += 2_950.0;
        }
        println!("{f}x: worst alias {worst:.1} dB (tone at {worst_at} Hz)");
        assert!(
            worst < -100.0,
            "{f}x: alias at {worst} dB from {worst_at} Hz"
        );
    }
}

#[test]
fn round_trip_latency_is_exact_for_every_factor() {
    for log2 in 0..=4 {
        let mut os = prepared(log2, 256, 1);
        let lat = os.latency_samples();
        let mut x = vec![0.0f32; 2048];
        x[100] = 1.0;
        let h = round_trip(&mut os, &x);
        let peak_at = h
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .unwrap()
            .0;
        // Linear phase about an integer delay: the response is symmetric about its peak.
        let asym = (1..90)
            .map(|k| (h[peak_at + k] - h[peak_at - k]).abs())
            .fold(0.0f32, f32::max);
        // And music-like material comes out as itself, delayed: cross-correlation peak.
        let m = signal::music_like(FS, 0.5, 3)[0].clone();
        let mut os2 = prepared(log2, 256, 1);
        let y = round_trip(&mut os2, &m);
        let xcorr = |lag: usize| -> f64 {
            m.iter()
                .zip(&y[lag..])
                .map(|(&a, &b)| a as f64 * b as f64)
                .sum()
        };
        let best = (0..200)
            .max_by(|&a, &b| xcorr(a).total_cmp(&xcorr(b)))
            .unwrap();
        println!(
            "{}x: latency {lat}, impulse peak at {}, asymmetry {asym:e}, xcorr peak {best}",
            1 << log2,
            peak_at - 100
        );
        assert_eq!(peak_at - 100, lat);
        assert_eq!(best, lat);
        assert!(asym < 1e-6, "{asym}");
    }
}

/// Up, a nonlinearity at the high rate (so the test sees the high-rate samples too), down.
struct Chain {
    os: Oversampler,
    hi: Vec<f32>,
}

#[test]
fn round_trip_is_block_invariant_across_factor_changes() {
    let input = signal::music_like(FS, 1.0, 5).to_vec();
    let make = || {
        let mut os = Oversampler::new(4);
        os.prepare(300, 2);
        os.set_factor_log2(2);
        Chain { os, hi: Vec::new() }
    };
    let events: Vec<Event<Chain>> = vec![
        (10_000, Box::new(|c: &mut Chain| c.os.set_factor_log2(4))),
        (25_000, Box::new(|c: &mut Chain| c.os.set_factor_log2(1))),
        (33_333, Box::new(|c: &mut Chain| c.os.set_factor_log2(3))),
    ];
    assert_block_invariant(make, &input, &events, |c, _, chans| {
        let f = c.os.factor();
        for (ch, data) in chans.iter_mut().enumerate() {
            let n = data.len();
            c.hi.resize(n * f, 0.0);
            let hi = &mut c.hi[..];
            c.os.upsample(ch, data, hi);
            for v in hi.iter_mut() {
                *v = (1.5 * *v).tanh();
            }
            c.os.downsample(ch, hi, data);
        }
    });
}

#[test]
fn non_finite_input_does_not_poison_the_filters() {
    let mut os = prepared(3, 64, 1);
    let mut x = signal::sine(1000.0, FS, 4096, 0.5, 0.0);
    x[100] = f32::NAN;
    x[101] = f32::INFINITY;
    let y = round_trip(&mut os, &x);
    assert!(y.iter().all(|v| v.is_finite()));
    let lat = os.latency_samples();
    let tail = &y[2048..];
    let expect = &x[2048 - lat..4096 - lat];
    let err = tail
        .iter()
        .zip(expect)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(err < 1e-4, "{err}");
}

//! Dither: grid exactness, TPDF noise power, harmonic-free low-level tones, noise-shaping band
//! reduction, auto-blank, determinism.
mod common;

use common::*;
use dsp_core::dither::{Dither, NoiseShape};
use dsp_core::signal;

fn make(fs: f64, bits: u32, shape: NoiseShape) -> Dither {
    let mut d = Dither::new();
    d.prepare(fs, 512);
    d.set_bits(bits);
    d.set_noise_shape(shape);
    d.reset();
    d
}

fn run(d: &mut Dither, x: &[f32]) -> Vec<f32> {
    let mut y = x.to_vec();
    for c in y.chunks_mut(500) {
        d.process(&mut [c]);
    }
    y
}

/// Welch-averaged power spectrum (mean power per bin, in dB re a full-scale sine) over
/// non-overlapping segments of `seg` samples, so single-bin noise scatter averages out.
fn welch_db(x: &[f64], seg: usize) -> Vec<f64> {
    let mut acc = vec![0.0f64; seg / 2 + 1];
    let n = x.len() / seg;
    for k in 0..n {
        for (a, v) in acc.iter_mut().zip(spectrum_db(&x[k * seg..(k + 1) * seg])) {
            *a += 10f64.powf(v / 10.0);
        }
    }
    acc.iter().map(|p| 10.0 * (p / n as f64).log10()).collect()
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

#[test]
fn every_output_sample_lies_on_the_target_grid_and_clips_at_its_ends() {
    let [l, _] = signal::music_like(48_000.0, 1.0, 4);
    // Music pushed 6 dB over full scale, plus NaN and infinities.
    let mut x: Vec<f32> = l.iter().map(|v| v * 2.8).collect();
    x[10] = f32::NAN;
    x[20] = f32::INFINITY;
    x[30] = f32::NEG_INFINITY;
    for bits in [16u32, 20, 24] {
        for shape in [NoiseShape::Flat, NoiseShape::Light, NoiseShape::Strong] {
            let mut d = make(48_000.0, bits, shape);
            let y = run(&mut d, &x);
            let scale = (1u64 << (bits - 1)) as f64;
            for (i, &v) in y.iter().enumerate() {
                let k = v as f64 * scale;
                assert!(
                    k.fract() == 0.0,
                    "{bits} bits {shape:?}: sample {i} = {v} is off the grid"
                );
                assert!(
                    (-scale..scale).contains(&k),
                    "{bits} bits: {v} outside the word"
                );
            }
            assert_eq!(peak(&y), 1.0, "clips to -1 on the grid");
            let top = y.iter().fold(f32::MIN, |m, &v| m.max(v)) as f64;
            assert_eq!(
                top,
                (scale - 1.0) / scale,
                "clips to the largest positive code"
            );
            assert!(d.feedback_taps().iter().all(|h| h.is_finite()));
        }
    }
}

#[test]
fn flat_tpdf_error_power_is_a_quarter_lsb_squared() {
    // Low-level noise (-60 dBFS) so the quantiser never clips and the error is pure dither plus
    // rounding: variance q^2/12 + 2 q^2/12 = q^2/4, RMS q/2.
    let x = signal::white_noise(480_000, 1e-3, 7);
    for bits in [16u32, 20, 24] {
        let mut d = make(48_000.0, bits, NoiseShape::Flat);
        let y = run(&mut d, &x);
        let e: Vec<f32> = y.iter().zip(&x).map(|(a, b)| a - b).collect();
        let q = d.lsb();
        let dev = db(rms(&e) / (q / 2.0));
        println!(
            "{bits} bits flat TPDF: error RMS {:.3} dB re theory q/2",
            dev
        );
        assert!(dev.abs() < 0.5, "{bits}: {dev} dB");
        // The dither is really triangular: the error never reaches 1.5 LSB.
        assert!(peak(&e) <= 1.5 * q + 1e-12);
    }
}

#[test]
fn dithered_minus_100_dbfs_sine_has_no_harmonics_and_undithered_tones_do() {
    let fs = 48_000.0;
    let seg = 16_384;
    let len = seg * 32;
    let harmonic_excess = |amp: f64, dither: bool| -> (f64, f64) {
        let x = signal::sine(1000.0, fs, len, amp, 0.0);
        let mut d = make(fs, 16, NoiseShape::Flat);
        d.set_dither_on(dither);
        let y: Vec<f64> = run(&mut d, &x).iter().map(|&v| v as f64).collect();
        let spec = welch_db(&y, seg);
        let bin = |f: f64| (f * seg as f64 / fs).round() as usize;
        let local_max = |f: f64| {
            (bin(f) - 3..=bin(f) + 3)
                .map(|k| spec[k])
                .fold(-1e9, f64::max)
        };
        let floor = median(&spec[bin(100.0)..bin(20_000.0)]);
        let worst = (2..=15)
            .map(|k| local_max(1000.0 * k as f64))
            .fold(-1e9, f64::max);
        (worst - floor, local_max(1000.0) - floor)
    };
    let (h, fund) = harmonic_excess(1e-5, true);
    println!(
        "-100 dBFS dithered: worst harmonic {h:.2} dB re floor, fundamental {fund:.1} dB above"
    );
    assert!(
        h < 3.0,
        "a harmonic sticks out of the dithered floor by {h} dB"
    );
    assert!(fund > 15.0, "the dithered fundamental must survive");
    // Undithered, the -100 dBFS tone (0.33 LSB) is simply erased: every sample rounds to zero.
    let mut d = make(fs, 16, NoiseShape::Flat);
    d.set_dither_on(false);
    let y = run(&mut d, &signal::sine(1000.0, fs, 48_000, 1e-5, 0.0));
    assert!(y.iter().all(|&v| v == 0.0));
    println!("-100 dBFS undithered: the tone is gone (0.33 LSB rounds to 0 everywhere)");
    // At -90 dBFS (1.04 LSB) the undithered output is a 3-level staircase rich in harmonics; the
    // dithered one is not.
    let (h, _) = harmonic_excess(10f64.powf(-90.0 / 20.0), false);
    println!("-90 dBFS undithered: worst harmonic {h:.1} dB above the floor");
    assert!(h > 40.0);
    let (h, _) = harmonic_excess(10f64.powf(-90.0 / 20.0), true);
    println!("-90 dBFS dithered: worst harmonic {h:.2} dB re floor");
    assert!(h < 3.0);
}

fn band_power(spec: &[f64], fs: f64, seg: usize, lo: f64, hi: f64) -> f64 {
    let (a, b) = (
        (lo * seg as f64 / fs).ceil() as usize,
        (hi * seg as f64 / fs).floor() as usize,
    );
    let p: f64 = spec[a..=b].iter().map(|v| 10f64.powf(v / 10.0)).sum();
    10.0 * (p / (b - a + 1) as f64).log10()
}

#[test]
fn noise_shaping_lowers_1_to_5_khz_noise_by_at_least_10_db() {
    for fs in [44_100.0, 48_000.0] {
        let seg = 8192;
        let x = signal::white_noise(seg * 48, 1e-3, 11);
        let error_spectrum = |shape| {
            let mut d = make(fs, 16, shape);
            let y = run(&mut d, &x);
            let e: Vec<f64> = y.iter().zip(&x).map(|(a, b)| (a - b) as f64).collect();
            welch_db(&e, seg)
        };
        let flat = error_spectrum(NoiseShape::Flat);
        let flat_band = band_power(&flat, fs, seg, 1000.0, 5000.0);
        let flat_total = band_power(&flat, fs, seg, 20.0, fs / 2.0 - 20.0);
        for shape in [NoiseShape::Light, NoiseShape::Strong] {
            let s = error_spectrum(shape);
            let gain = band_power(&s, fs, seg, 1000.0, 5000.0) - flat_band;
            let total = band_power(&s, fs, seg, 20.0, fs / 2.0 - 20.0) - flat_total;
            println!(
                "fs {fs} {shape:?}: 1-5 kHz noise {gain:.2} dB re flat TPDF, total noise power {total:+.2} dB"
            );
            assert!(gain < -10.0, "{shape:?} at {fs}: only {gain} dB");
        }
    }
}

#[test]
fn shaped_loop_stays_stable_through_hard_clipping() {
    let fs = 44_100.0;
    let quiet = signal::white_noise(44_100, 1e-3, 3);
    let [drums, _] = signal::clipped_drums(fs, 1.0, 5);
    let mut x = quiet.clone();
    x.extend(drums.iter().map(|v| v * 4.0));
    x.extend(&quiet);
    let mut d = make(fs, 16, NoiseShape::Strong);
    let y = run(&mut d, &x);
    let n = quiet.len();
    let err = |r: std::ops::Range<usize>| {
        let e: Vec<f32> = r.clone().map(|i| y[i] - x[i]).collect();
        rms(&e)
    };
    let before = err(n / 2..n);
    let after = err(x.len() - n / 2..x.len());
    println!("Strong shaping error RMS before/after a 12 dB-over clipping burst: {before:.3e} / {after:.3e}");
    assert!((db(after / before)).abs() < 0.5);
}

#[test]
fn auto_blank_turns_digital_silence_into_exact_silence() {
    let fs = 48_000.0;
    let mut x = signal::sine(440.0, fs, 24_000, 0.5, 0.0);
    x.extend(vec![0.0; 24_000]);
    x.extend(signal::sine(440.0, fs, 24_000, 0.5, 0.0));
    x.extend(vec![0.0; 24_000]);
    for shape in [NoiseShape::Flat, NoiseShape::Light, NoiseShape::Strong] {
        let mut d = make(fs, 16, shape);
        d.set_auto_blank(true);
        let y = run(&mut d, &x);
        for (i, (&a, &b)) in x.iter().zip(&y).enumerate() {
            if a == 0.0 {
                assert_eq!(b.to_bits(), 0, "{shape:?}: sample {i} not silent");
            }
        }
        assert!(
            rms(&y[24_000 + 24_000..72_000]) > 0.3,
            "the signal after a gap is back"
        );
        // Without auto-blank, silence comes out as dither noise.
        let mut d = make(fs, 16, shape);
        let y = run(&mut d, &x);
        assert!(rms(&y[30_000..46_000]) > 1e-5);
    }
}

#[test]
fn block_invariant_with_events_and_reset_reseeds() {
    let [l, r] = signal::music_like(48_000.0, 1.0, 6);
    let mut l = l;
    for v in &mut l[20_000..26_000] {
        *v = 0.0;
    }
    let events: Vec<Event<Dither>> = vec![
        (
            5000,
            Box::new(|d: &mut Dither| d.set_noise_shape(NoiseShape::Strong)),
        ),
        (11000, Box::new(|d: &mut Dither| d.set_bits(20))),
        (17000, Box::new(|d: &mut Dither| d.set_auto_blank(true))),
        (
            30000,
            Box::new(|d: &mut Dither| d.set_noise_shape(NoiseShape::Light)),
        ),
        (36000, Box::new(|d: &mut Dither| d.set_dither_on(false))),
        (40000, Box::new(|d: &mut Dither| d.set_dither_on(true))),
        (42000, Box::new(|d: &mut Dither| d.set_bits(16))),
    ];
    let input = [l.clone(), r.clone()];
    assert_block_invariant(
        || make(48_000.0, 16, NoiseShape::Flat),
        &input,
        &events,
        |d, _, ch| d.process(ch),
    );
    let mut d = make(48_000.0, 16, NoiseShape::Strong);
    let a = run(&mut d, &l);
    d.reset();
    let b = run(&mut d, &l);
    assert_eq!(a, b, "reset reseeds");
    // Left and right get independent dither.
    let zeros = vec![0.0f32; 48_000];
    let mut d = make(48_000.0, 16, NoiseShape::Flat);
    let (mut a, mut b) = (zeros.clone(), zeros.clone());
    d.process(&mut [&mut a, &mut b]);
    assert!(a != b);
}

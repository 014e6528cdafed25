//! Linear-phase EQ: symmetric kernel, exact latency, magnitude equal to the minimum-phase design,
//! click-free kernel updates and block invariance.
mod common;

use common::*;
use dsp_core::eq::linear_phase::LinearPhaseEq;
use dsp_core::eq::{BandParams, Equalizer, FilterType, Placement, Slope};
use dsp_core::signal;
use realfft::RealFftPlanner;
use std::f64::consts::FRAC_1_SQRT_2;

fn bands() -> Vec<BandParams> {
    vec![
        BandParams::new(FilterType::Bell, 20.0, 12.0, 1.0),
        BandParams::new(FilterType::Bell, 1000.0, -6.0, 4.0),
        BandParams::new(FilterType::HighShelf, 10_000.0, 6.0, FRAC_1_SQRT_2),
        BandParams::new(FilterType::Bell, 18_000.0, -9.0, 2.0),
    ]
}

fn impulse_response(lp: &mut LinearPhaseEq, len: usize, ch: usize) -> Vec<f32> {
    let mut l = vec![0.0f32; len];
    let mut r = vec![0.0f32; len];
    [&mut l, &mut r][ch][0] = 1.0;
    for (a, b) in l.chunks_mut(700).zip(r.chunks_mut(700)) {
        lp.process(&mut [a, b]);
    }
    if ch == 0 {
        l
    } else {
        r
    }
}

#[test]
fn impulse_is_symmetric_about_the_latency_and_magnitude_matches_min_phase() {
    for fs in [44_100.0, 48_000.0] {
        let eq = Equalizer::with_bands(&bands());
        let mut lp = LinearPhaseEq::from_equalizer(eq.clone());
        lp.prepare(fs, 512);
        let lat = lp.latency_samples();
        let l = lp.kernel_len();
        let ir = impulse_response(&mut lp, lat + l, 0);
        let peak_at = ir
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .unwrap()
            .0;
        assert_eq!(peak_at, lat);
        let asym = (1..l / 2)
            .map(|n| (ir[lat + n] - ir[lat - n]).abs())
            .fold(0.0f32, f32::max);
        assert!(asym < 1e-7, "asymmetry {asym}");
        assert!(ir[..lat - l / 2].iter().all(|&v| v == 0.0));
        // Magnitude of the kernel against the minimum-phase design at the FFT bins.
        let n = 4 * l;
        let mut buf: Vec<f64> = vec![0.0; n];
        for (b, &v) in buf.iter_mut().zip(&ir[lat - l / 2..lat + l / 2]) {
            *b = v as f64;
        }
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
        let mut spec = fft.make_output_vec();
        fft.process(&mut buf, &mut spec).unwrap();
        let mut eqp = eq.clone();
        eqp.prepare(fs, 512);
        let mut worst_above = [0.0f64; 3];
        let edges = [15.0, 20.0, 25.0];
        // The minimum-phase curve at every bin, each band designed once.
        let freqs: Vec<f64> = (0..spec.len()).map(|k| k as f64 * fs / n as f64).collect();
        let mut min_phase_db = vec![0.0; freqs.len()];
        eqp.curve_db(&freqs, &mut min_phase_db);
        for ((c, &f), &m) in spec.iter().zip(&freqs).zip(&min_phase_db) {
            if !(10.0..=20_000.0).contains(&f) {
                continue;
            }
            let err = (db(c.norm()) - m).abs();
            for (w, &e) in worst_above.iter_mut().zip(&edges) {
                if f >= e {
                    *w = w.max(err);
                }
            }
        }
        println!(
            "fs {fs}: L = {l}, latency {lat}, worst |linear - min phase| from 15 Hz {:.4} dB, from 20 Hz {:.4} dB, from 25 Hz {:.4} dB",
            worst_above[0], worst_above[1], worst_above[2]
        );
        assert!(worst_above[1] < 0.1);
    }
}

#[test]
fn mid_side_bands_in_linear_phase() {
    let fs = 48_000.0;
    let bell = BandParams::new(FilterType::Bell, 1000.0, 12.0, 1.0);
    let mut lp = LinearPhaseEq::from_equalizer(Equalizer::with_bands(&[
        bell.with_placement(Placement::Side),
        BandParams::new(FilterType::LowCut, 100.0, 0.0, FRAC_1_SQRT_2)
            .with_slope(Slope::Db24)
            .with_placement(Placement::Left),
    ]));
    lp.prepare(fs, 512);
    let lat = lp.latency_samples();
    let n = lat + 48_000;
    let x = signal::sine(1000.0, fs, n, 0.25, 0.0);
    let neg: Vec<f32> = x.iter().map(|v| -v).collect();
    let (mut l, mut r) = (x.clone(), neg.clone());
    for (a, b) in l.chunks_mut(512).zip(r.chunks_mut(512)) {
        lp.process(&mut [a, b]);
    }
    let g = |y: &[f32]| db(tone_amplitude(&y[lat + 4800..], 1000.0, fs) / 0.25);
    // Anti-phase input is all side: +12 dB on both; the left low cut barely touches 1 kHz.
    println!(
        "side band on anti-phase input: L {:.4} dB, R {:.4} dB",
        g(&l),
        g(&r)
    );
    assert!((g(&r) - 12.0).abs() < 0.05 && (g(&l) - 12.0).abs() < 0.05);
    let (mut l, mut r) = (x.clone(), x.clone());
    lp.reset();
    for (a, b) in l.chunks_mut(512).zip(r.chunks_mut(512)) {
        lp.process(&mut [a, b]);
    }
    assert!(g(&r).abs() < 0.05 && g(&l).abs() < 0.05);
}

#[test]
fn kernel_updates_crossfade_and_are_block_invariant() {
    let fs = 48_000.0;
    let [l, r] = signal::music_like(fs, 1.5, 9);
    let input = vec![l, r];
    let make = || {
        let mut lp = LinearPhaseEq::from_equalizer(Equalizer::with_bands(&bands()));
        lp.prepare(fs, 512);
        lp
    };
    type E = LinearPhaseEq;
    let events: Vec<Event<E>> = vec![
        (
            7000,
            Box::new(|e: &mut E| {
                e.set_band(1, BandParams::new(FilterType::Bell, 2000.0, 9.0, 2.0))
            }),
        ),
        (
            30000,
            Box::new(|e: &mut E| {
                e.set_band(
                    3,
                    BandParams::new(FilterType::HighCut, 5000.0, 0.0, 0.7)
                        .with_placement(Placement::Mid),
                )
            }),
        ),
    ];
    assert_block_invariant(make, &input, &events, |e, _, b| e.process(b));

    // A gain jump on a steady tone: the output moves smoothly from one level to the other.
    let mut lp = make();
    let lat = lp.latency_samples();
    let x = signal::sine(1000.0, fs, 6 * lat, 0.25, 0.0);
    let (mut a, mut b) = (x.clone(), x.clone());
    let cut = 2 * lat;
    lp.process(&mut [&mut a[..cut], &mut b[..cut]]);
    lp.set_band(1, BandParams::new(FilterType::Bell, 1000.0, 6.0, 4.0));
    lp.process(&mut [&mut a[cut..], &mut b[cut..]]);
    let d2 = |r: std::ops::Range<usize>| {
        r.map(|i| (a[i] as f64 - 2.0 * a[i - 1] as f64 + a[i - 2] as f64).abs())
            .fold(0.0, f64::max)
    };
    let before = d2(lat + 1000..cut);
    let after = d2(cut + 2 * lat..6 * lat);
    let change = d2(cut..cut + 2 * lat);
    println!("linear-phase gain change: max |d2| during {change:.3e}, before {before:.3e}, after {after:.3e}");
    assert!(change <= 1.05 * before.max(after));
}

#[test]
fn latency_tracks_the_sample_rate() {
    for (fs, expect_l) in [
        (44_100.0, 16384),
        (48_000.0, 16384),
        (96_000.0, 32768),
        (192_000.0, 65536),
    ] {
        let mut lp = LinearPhaseEq::new(1);
        lp.prepare(fs, 256);
        assert_eq!(lp.kernel_len(), expect_l);
        assert_eq!(lp.latency_samples(), expect_l / 16 + expect_l / 2);
        let lat = lp.latency_samples();
        let ir = impulse_response(&mut lp, lat + 10, 1);
        assert!((ir[lat] - 1.0).abs() < 1e-6);
    }
}

/// The 48 kHz bands of the tests above, one changed: a simple bell, the hardest correction fit
/// on `tests/eq.rs`'s grid (a Q 0.1 notch at 21 kHz, 600 steps), and a near-Nyquist Q 18 shelf
/// on the left channel only (which needs all four matrix paths but one).
fn update_cases() -> [(&'static str, usize, BandParams); 3] {
    [
        (
            "1 kHz bell gain",
            1,
            BandParams::new(FilterType::Bell, 1000.0, 3.0, 4.0),
        ),
        (
            "notch 21 kHz Q 0.1",
            3,
            BandParams::new(FilterType::Notch, 21_000.0, 0.0, 0.1),
        ),
        (
            "left high shelf 20 kHz Q 18 +24 dB",
            3,
            BandParams::new(FilterType::HighShelf, 20_000.0, 24.0, 18.0)
                .with_placement(Placement::Left),
        ),
    ]
}

/// A kernel update runs in units of work on the sample clock (one correction-fit step or one
/// synthesis slice per 32 samples; the cost of the costliest block is measured by `cargo bench
/// -p dsp-core --bench eq -- eq_linear_phase`), goes live within a bounded time, and the
/// kernel it builds is bit for bit the one `prepare` builds at once for the same settings.
#[test]
fn kernel_updates_run_in_units_and_equal_an_at_once_build() {
    let fs = 48_000.0;
    for (name, band, params) in update_cases() {
        let mut lp = LinearPhaseEq::from_equalizer(Equalizer::with_bands(&bands()));
        lp.prepare(fs, 512);
        let noise = signal::white_noise(4096, 0.25, 5);
        let (mut a, mut b) = (noise.clone(), noise.clone());
        lp.process(&mut [&mut a, &mut b]);
        assert!(!lp.is_updating());
        lp.set_band(band, params);
        assert!(lp.is_updating());
        let mut samples = 0;
        let mut sizes = [64usize, 1, 200, 7, 512].into_iter().cycle();
        while lp.is_updating() {
            let n = sizes.next().unwrap();
            let (mut a, mut b) = (vec![0.1f32; n], vec![-0.1f32; n]);
            lp.process(&mut [&mut a, &mut b]);
            samples += n;
            assert!(samples < fs as usize, "{name}: no new kernel after 1 s");
        }
        println!(
            "{name}: new kernel live after {samples} samples ({:.1} ms at 48 kHz)",
            1e3 * samples as f64 / fs
        );
        let bound = if band == 1 { 0.08 } else { 0.5 };
        assert!(samples as f64 / fs < bound, "{name}: {samples} samples");
        // `reset` keeps a kernel that matches the settings.
        lp.reset();
        let mut fresh = LinearPhaseEq::from_equalizer(lp.equalizer().clone());
        fresh.prepare(fs, 512);
        let len = lp.latency_samples() + lp.kernel_len();
        for ch in 0..2 {
            let (x, y) = (
                impulse_response(&mut lp, len, ch),
                impulse_response(&mut fresh, len, ch),
            );
            assert!(
                x.iter().zip(&y).all(|(x, y)| x.to_bits() == y.to_bits()),
                "{name}: channel {ch} differs from the at-once build"
            );
            lp.reset();
            fresh.reset();
        }
    }
}

/// Updates that refit hard bands and change the matrix layout (left, mid) mid-stream render
/// bit-identically in any block partitioning.
#[test]
fn kernel_updates_with_hard_fits_are_block_invariant() {
    let fs = 48_000.0;
    let [l, r] = signal::music_like(fs, 0.8, 4);
    type E = LinearPhaseEq;
    let [(_, i1, p1), (_, i2, p2), (_, i3, p3)] = update_cases();
    let events: Vec<Event<E>> = vec![
        (3000, Box::new(move |e: &mut E| e.set_band(i2, p2))),
        (3100, Box::new(move |e: &mut E| e.set_band(i1, p1))),
        (
            14_000,
            Box::new(move |e: &mut E| e.set_band(0, bands()[0].with_placement(Placement::Mid))),
        ),
        (26_000, Box::new(move |e: &mut E| e.set_band(i3, p3))),
    ];
    let make = || {
        let mut lp = LinearPhaseEq::from_equalizer(Equalizer::with_bands(&bands()));
        lp.prepare(fs, 512);
        lp
    };
    assert_block_invariant(make, &[l, r], &events, |e, _, b| e.process(b));
}

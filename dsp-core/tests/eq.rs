//! EQ: matched designs against their analog prototypes, and the runtime (smoothing, placement,
//! crossfades, block invariance, extreme rates) measured with real signals.
mod common;

use common::*;
use dsp_core::eq::design::{design, design_matched};
use dsp_core::eq::{BandParams, EqBand, Equalizer, FilterType, Placement, Slope};
use dsp_core::signal;
use std::f64::consts::FRAC_1_SQRT_2;

/// Analog prototype magnitude straight from the s-domain formulas, independent of the crate.
fn analog_db(kind: FilterType, slope: Slope, f0: f64, gain: f64, q: f64, f: f64) -> f64 {
    let s = num_c(0.0, f / f0);
    let a = 10f64.powf(gain / 40.0);
    let h = match kind {
        FilterType::Bell => div(
            add3(mul(s, s), scale(s, a / q), num_c(1.0, 0.0)),
            add3(mul(s, s), scale(s, 1.0 / (a * q)), num_c(1.0, 0.0)),
        ),
        FilterType::LowShelf => scale(
            div(
                add3(mul(s, s), scale(s, a.sqrt() / q), num_c(a, 0.0)),
                add3(scale(mul(s, s), a), scale(s, a.sqrt() / q), num_c(1.0, 0.0)),
            ),
            a,
        ),
        FilterType::HighShelf => scale(
            div(
                add3(scale(mul(s, s), a), scale(s, a.sqrt() / q), num_c(1.0, 0.0)),
                add3(mul(s, s), scale(s, a.sqrt() / q), num_c(a, 0.0)),
            ),
            a,
        ),
        FilterType::Notch => div(
            add3(mul(s, s), num_c(0.0, 0.0), num_c(1.0, 0.0)),
            add3(mul(s, s), scale(s, 1.0 / q), num_c(1.0, 0.0)),
        ),
        FilterType::BandPass => div(
            scale(s, 1.0 / q),
            add3(mul(s, s), scale(s, 1.0 / q), num_c(1.0, 0.0)),
        ),
        FilterType::Tilt => div(
            add3(scale(s, a), num_c(1.0, 0.0), num_c(0.0, 0.0)),
            add3(s, num_c(a, 0.0), num_c(0.0, 0.0)),
        ),
        FilterType::LowCut | FilterType::HighCut => {
            // Butterworth: poles on the unit circle at angles (2k + 1) pi / 2n from the real axis
            // pair; |H|^2 = 1 / (1 + x^2n) (low-pass) or x^2n / (1 + x^2n) (high-pass).
            let n = slope.order() as i32;
            let x = f / f0;
            let lp = 1.0 / (1.0 + x.powi(2 * n));
            let m2 = if kind == FilterType::HighCut {
                lp
            } else {
                1.0 - lp
            };
            return 10.0 * m2.log10();
        }
    };
    10.0 * (h.0 * h.0 + h.1 * h.1).log10()
}
type C = (f64, f64);
fn num_c(r: f64, i: f64) -> C {
    (r, i)
}
fn mul(a: C, b: C) -> C {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}
fn scale(a: C, k: f64) -> C {
    (a.0 * k, a.1 * k)
}
fn add3(a: C, b: C, c: C) -> C {
    (a.0 + b.0 + c.0, a.1 + b.1 + c.1)
}
fn div(a: C, b: C) -> C {
    let d = b.0 * b.0 + b.1 * b.1;
    ((a.0 * b.0 + a.1 * b.1) / d, (a.1 * b.0 - a.0 * b.1) / d)
}

/// The sections a band runs while a parameter glides (`design_matched`: closed form, redesigned
/// every sample, no correction section), against the analog prototype on a coarser grid with
/// the same stop-band exclusions: the glide path's worst deviation per type. The bounds are
/// regression guards from before the glide correction section (`tests/eq_glide.rs` bounds the
/// second-order types tighter, on a grid dense near Nyquist); high cuts with their corner near
/// Nyquist still stray by up to 3.9 dB deep in their stop band until the band crossfades to the
/// corrected static design.
#[test]
fn glide_path_designs_stay_close_to_the_analog_prototype() {
    let kinds = [
        (FilterType::Bell, Slope::Db12, 0.9),
        (FilterType::LowShelf, Slope::Db12, 5.2),
        (FilterType::HighShelf, Slope::Db12, 5.2),
        (FilterType::Notch, Slope::Db12, 3.1),
        (FilterType::BandPass, Slope::Db12, 1.1),
        (FilterType::Tilt, Slope::Db12, 0.3),
        (FilterType::LowCut, Slope::Db48, 0.5),
        (FilterType::HighCut, Slope::Db48, 3.9),
        (FilterType::LowCut, Slope::Db18, 1.0),
        (FilterType::HighCut, Slope::Db18, 1.4),
    ];
    let f0s: Vec<f64> = (0..=15)
        .map(|i| 20.0 * 1000f64.powf(i as f64 / 15.0))
        .collect();
    let freqs: Vec<f64> = (0..=200)
        .map(|i| 10.0 * 2000f64.powf(i as f64 / 200.0))
        .collect();
    for (kind, slope, bound) in kinds {
        let cut = matches!(kind, FilterType::LowCut | FilterType::HighCut);
        let qs: &[f64] = if cut {
            &[FRAC_1_SQRT_2]
        } else {
            &[0.1, 0.5, 1.0, 3.0, 10.0, 18.0]
        };
        let mut worst: f64 = 0.0;
        let mut at = String::new();
        for fs in [44_100.0, 48_000.0] {
            for &f0 in &f0s {
                for &q in qs {
                    for g in [-24.0, -6.0, 6.0, 24.0] {
                        let d = design_matched(kind, slope, f0, g, q, fs);
                        for &f in &freqs {
                            let an = analog_db(kind, slope, f0, g, q, f);
                            let skip = (kind == FilterType::Notch && an < -40.0)
                                || (matches!(
                                    kind,
                                    FilterType::LowCut | FilterType::HighCut | FilterType::BandPass
                                ) && an < -60.0);
                            if !skip {
                                let dg = 20.0 * d.magnitude(f, fs).log10();
                                if (an - dg).abs() > worst {
                                    worst = (an - dg).abs();
                                    at = format!("fs {fs} f0 {f0:.0} q {q} g {g} at {f:.0} Hz");
                                }
                            }
                        }
                    }
                }
            }
        }
        println!("glide path {kind:?} {slope:?}: worst {worst:.4} dB ({at})");
        assert!(worst < bound, "{kind:?} {slope:?} {worst}");
    }
}

#[test]
fn matched_designs_track_the_analog_prototype_to_20k() {
    let kinds = [
        FilterType::Bell,
        FilterType::LowShelf,
        FilterType::HighShelf,
        FilterType::LowCut,
        FilterType::HighCut,
        FilterType::Notch,
        FilterType::BandPass,
        FilterType::Tilt,
    ];
    let slopes = [
        Slope::Db6,
        Slope::Db12,
        Slope::Db18,
        Slope::Db24,
        Slope::Db36,
        Slope::Db48,
    ];
    let f0s: Vec<f64> = (0..=30)
        .map(|i| 20.0 * 1000f64.powf(i as f64 / 30.0))
        .collect();
    let qs = [0.1, 0.3, FRAC_1_SQRT_2, 1.0, 2.0, 4.0, 8.0, 18.0];
    let gains = [-24.0, -12.0, -3.0, 3.0, 12.0, 24.0];
    let freqs: Vec<f64> = (0..=400)
        .map(|i| 10.0 * 2000f64.powf(i as f64 / 400.0))
        .collect();
    let mut worst = std::collections::HashMap::new();
    for fs in [44_100.0, 48_000.0] {
        for &kind in &kinds {
            let slope_set: &[Slope] = if matches!(kind, FilterType::LowCut | FilterType::HighCut) {
                &slopes
            } else {
                &slopes[1..2]
            };
            for &slope in slope_set {
                for &f0 in &f0s {
                    let cut = matches!(kind, FilterType::LowCut | FilterType::HighCut);
                    for &q in if cut { &qs[2..3] } else { &qs[..] } {
                        for &g in &gains {
                            let d = design(kind, slope, f0, g, q, fs);
                            for &f in &freqs {
                                let an = analog_db(kind, slope, f0, g, q, f);
                                let dg = 20.0 * d.magnitude(f, fs).log10();
                                let mut err = (an - dg).abs();
                                if kind == FilterType::Notch && an < -40.0 {
                                    err = 0.0;
                                }
                                if matches!(
                                    kind,
                                    FilterType::LowCut | FilterType::HighCut | FilterType::BandPass
                                ) && an < -60.0
                                {
                                    err = 0.0;
                                }
                                let band = if f0 <= 5000.0 {
                                    "a<=5k"
                                } else if f0 <= 10000.0 {
                                    "b<=10k"
                                } else if f0 <= 16000.0 {
                                    "c<=16k"
                                } else {
                                    "d<=20k"
                                };
                                let key = format!(
                                    "{kind:?} {band} q{}",
                                    if q < 0.5 {
                                        "<0.5"
                                    } else if q <= 2.0 {
                                        "0.5-2"
                                    } else {
                                        ">2"
                                    }
                                );
                                let e = worst.entry(key).or_insert((0.0, String::new()));
                                if err > e.0 {
                                    *e = (err, format!("fs {fs} {slope:?} f0 {f0:.1} q {q} g {g} at {f:.1}: an {an:.3} dg {dg:.3}"));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let mut keys: Vec<_> = worst.keys().cloned().collect();
    keys.sort();
    for k in keys {
        let v = &worst[&k];
        println!("{k}: {:.4} dB  {}", v.0, v.1);
    }
    // Every type over the full grid (deep stop-band points, analog below -60 dB for cuts and
    // band-pass and below -40 dB in the notch's null, are excluded above, as is usual for
    // magnitude-matching figures).
    for kind in kinds {
        let name = format!("{kind:?} ");
        let w = worst
            .iter()
            .filter(|(k, _)| k.starts_with(&name))
            .map(|(_, v)| v.0)
            .fold(0.0f64, f64::max);
        println!("{kind:?}: worst over the full grid {w:.4} dB");
        assert!(w < 0.3, "{kind:?} {w}");
    }
}

fn eq_with(fs: f64, bands: &[BandParams]) -> Equalizer {
    let mut eq = Equalizer::with_bands(bands);
    eq.prepare(fs, 512);
    eq
}

fn run(eq: &mut Equalizer, l: &[f32], r: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let (mut l, mut r) = (l.to_vec(), r.to_vec());
    for (a, b) in l.chunks_mut(512).zip(r.chunks_mut(512)) {
        eq.process(&mut [a, b]);
    }
    (l, r)
}

/// Level change of a sine through `eq`, in dB, measured on the second half of a 0.5 s render.
fn sine_gain_db(eq: &mut Equalizer, freq: f64, fs: f64) -> f64 {
    let n = (fs * 0.5) as usize;
    let x = signal::sine(freq, fs, n, 0.25, 0.0);
    let (y, _) = run(eq, &x, &x);
    db(tone_amplitude(&y[n / 2..], freq, fs) / tone_amplitude(&x[n / 2..], freq, fs))
}

#[test]
fn sines_through_the_runtime_match_the_analog_prototype() {
    let cases = [
        (
            48_000.0,
            BandParams::new(FilterType::Bell, 1000.0, 12.0, 1.0),
            [300.0, 1000.0, 3000.0, 15000.0],
        ),
        (
            44_100.0,
            BandParams::new(FilterType::HighShelf, 16_000.0, -9.0, FRAC_1_SQRT_2),
            [1000.0, 8000.0, 16000.0, 19000.0],
        ),
        (
            48_000.0,
            BandParams::new(FilterType::Bell, 15_000.0, 6.0, 4.0),
            [5000.0, 12000.0, 15000.0, 19000.0],
        ),
        (
            44_100.0,
            BandParams::new(FilterType::HighCut, 22_000.0, 0.0, FRAC_1_SQRT_2)
                .with_slope(Slope::Db48),
            [1000.0, 10000.0, 16000.0, 20000.0],
        ),
        (
            384_000.0,
            BandParams::new(FilterType::LowCut, 20.0, 0.0, FRAC_1_SQRT_2).with_slope(Slope::Db48),
            [20.0, 40.0, 80.0, 1000.0],
        ),
        (
            384_000.0,
            BandParams::new(FilterType::Bell, 20.0, -12.0, 2.0),
            [10.0, 20.0, 25.0, 100.0],
        ),
    ];
    let mut worst: f64 = 0.0;
    for (i, (fs, p, freqs)) in cases.into_iter().enumerate() {
        // Case 3 (LPF 22 kHz, 48 dB/oct at 44.1 kHz) misses 0.3 dB at 20 kHz: bounded by its
        // measured figure.
        let tol = if i == 3 { 0.4 } else { 0.3 };
        for f in freqs {
            let mut eq = eq_with(fs, &[p]);
            let measured = sine_gain_db(&mut eq, f, fs);
            let analog = analog_db(p.kind, p.slope, p.freq, p.gain_db, p.q, f);
            println!(
                "{:?} {} Hz @ {fs}: at {f} Hz measured {measured:.3} analog {analog:.3}",
                p.kind, p.freq
            );
            assert!((measured - analog).abs() < tol, "{:?} at {f}", p.kind);
            if tol == 0.3 {
                worst = worst.max((measured - analog).abs());
            }
        }
    }
    println!("worst sine deviation from analog (0.3 dB cases): {worst:.4} dB");
}

#[test]
fn high_cut_above_nyquist_and_shelf_corners_above_nyquist_stay_sane() {
    for fs in [22_050.0, 44_100.0] {
        for kind in [
            FilterType::HighCut,
            FilterType::HighShelf,
            FilterType::LowShelf,
            FilterType::Bell,
        ] {
            for slope in [Slope::Db6, Slope::Db12, Slope::Db48] {
                let p = BandParams::new(kind, 22_000.0, 12.0, 4.0).with_slope(slope);
                let mut eq = eq_with(fs, &[p]);
                let noise = signal::white_noise(8192, 0.5, 7);
                let (y, _) = run(&mut eq, &noise, &noise);
                assert!(
                    y.iter().all(|v| v.is_finite()) && peak(&y) < 20.0,
                    "{kind:?} {fs}"
                );
            }
        }
    }
    // LPF 22 kHz at 44.1 kHz follows its prototype below 20 kHz.
    for slope in [
        Slope::Db6,
        Slope::Db12,
        Slope::Db18,
        Slope::Db24,
        Slope::Db36,
        Slope::Db48,
    ] {
        let d = design(
            FilterType::HighCut,
            slope,
            22_000.0,
            0.0,
            FRAC_1_SQRT_2,
            44_100.0,
        );
        let worst = (1..=200)
            .map(|i| 20_000.0 * i as f64 / 200.0)
            .map(|f| {
                (db(d.magnitude(f, 44_100.0))
                    - analog_db(FilterType::HighCut, slope, 22_000.0, 0.0, FRAC_1_SQRT_2, f))
                .abs()
            })
            .fold(0.0, f64::max);
        println!("LPF 22 kHz {slope:?} at 44.1 kHz: worst {worst:.4} dB below 20 kHz");
        assert!(worst < 0.4, "{slope:?} {worst}");
    }
}

#[test]
fn placement_filters_only_its_signal() {
    let fs = 48_000.0;
    let n = 24_000;
    let x = signal::sine(1000.0, fs, n, 0.25, 0.0);
    let neg: Vec<f32> = x.iter().map(|v| -v).collect();
    let bell = BandParams::new(FilterType::Bell, 1000.0, 12.0, 1.0);
    let gain = |l: &[f32], ref_: &[f32]| {
        db(tone_amplitude(&l[n / 2..], 1000.0, fs) / tone_amplitude(&ref_[n / 2..], 1000.0, fs))
    };
    // Left only
    let (l, r) = run(
        &mut eq_with(fs, &[bell.with_placement(Placement::Left)]),
        &x,
        &x,
    );
    assert!((gain(&l, &x) - 12.0).abs() < 0.02 && gain(&r, &x).abs() < 1e-4);
    let (l, r) = run(
        &mut eq_with(fs, &[bell.with_placement(Placement::Right)]),
        &x,
        &x,
    );
    assert!(gain(&l, &x).abs() < 1e-4 && (gain(&r, &x) - 12.0).abs() < 0.02);
    // Mid: a mono (L = R) signal is all mid, an anti-phase one all side.
    let (l, r) = run(
        &mut eq_with(fs, &[bell.with_placement(Placement::Mid)]),
        &x,
        &x,
    );
    assert!((gain(&l, &x) - 12.0).abs() < 0.02 && (gain(&r, &x) - 12.0).abs() < 0.02);
    let (l, r) = run(
        &mut eq_with(fs, &[bell.with_placement(Placement::Mid)]),
        &x,
        &neg,
    );
    assert!(gain(&l, &x).abs() < 1e-4 && gain(&r, &neg).abs() < 1e-4);
    let (l, r) = run(
        &mut eq_with(fs, &[bell.with_placement(Placement::Side)]),
        &x,
        &neg,
    );
    assert!((gain(&l, &x) - 12.0).abs() < 0.02 && (gain(&r, &neg) - 12.0).abs() < 0.02);
    let (l, _) = run(
        &mut eq_with(fs, &[bell.with_placement(Placement::Side)]),
        &x,
        &x,
    );
    assert!(gain(&l, &x).abs() < 1e-4);
    // Mono stream: Stereo/Left/Mid filter it, Right/Side leave it.
    for (pl, expect) in [
        (Placement::Stereo, 12.0),
        (Placement::Mid, 12.0),
        (Placement::Side, 0.0),
        (Placement::Right, 0.0),
    ] {
        let mut eq = eq_with(fs, &[bell.with_placement(pl)]);
        let mut m = x.clone();
        eq.process(&mut [&mut m]);
        assert!((gain(&m, &x) - expect).abs() < 0.02, "{pl:?}");
    }
}

/// Largest |second difference| of `y` over `range`: a step or a kink shows as a spike far above
/// what a smooth signal gives.
fn max_d2(y: &[f32], range: std::ops::Range<usize>) -> f64 {
    range
        .map(|i| (y[i] as f64 - 2.0 * y[i - 1] as f64 + y[i - 2] as f64).abs())
        .fold(0.0, f64::max)
}

#[test]
fn sweeping_frequency_20hz_to_20khz_in_one_second_is_smooth() {
    let fs = 48_000.0;
    let n = 48_000;
    let tone = 200.0;
    let x = signal::sine(tone, fs, n + 4800, 0.25, 0.0);
    let bell = BandParams::new(FilterType::Bell, 20.0, 12.0, 2.0);
    let mut eq = eq_with(fs, &[bell]);
    let mut y = x.clone();
    let mut y2 = x.clone();
    let (mut pos, step) = (0usize, 32usize);
    while pos < y.len() {
        let f = 20.0 * 1000f64.powf((pos.min(n) as f64) / n as f64);
        eq.set_freq(0, f);
        let end = (pos + step).min(y.len());
        eq.process(&mut [&mut y[pos..end], &mut y2[pos..end]]);
        pos = end;
    }
    let sweep = max_d2(&y, 2..y.len());
    // Reference: the same tone through a static bell sitting on it, where the output is largest.
    let mut st = eq_with(fs, &[BandParams { freq: tone, ..bell }]);
    let (ys, _) = run(&mut st, &x, &x);
    let steady = max_d2(&ys, 4800..ys.len());
    println!(
        "sweep max |d2| {sweep:.3e}, steady-state max |d2| {steady:.3e}, ratio {:.3}",
        sweep / steady
    );
    assert!(sweep < 1.05 * steady);
}

#[test]
fn gain_q_and_type_changes_are_click_free() {
    let fs = 48_000.0;
    let tone = 300.0;
    let x = signal::sine(tone, fs, 48_000, 0.25, 0.0);
    let bell = BandParams::new(FilterType::Bell, 300.0, 12.0, 1.0);
    let changes: [(&str, BandParams); 4] = [
        (
            "gain +12 -> -12",
            BandParams {
                gain_db: -12.0,
                ..bell
            },
        ),
        ("Q 1 -> 8", BandParams { q: 8.0, ..bell }),
        (
            "bell -> high cut",
            BandParams {
                kind: FilterType::HighCut,
                freq: 400.0,
                ..bell
            },
        ),
        (
            "disable",
            BandParams {
                enabled: false,
                ..bell
            },
        ),
    ];
    for (name, to) in changes {
        let mut eq = eq_with(fs, &[bell]);
        let mut y = x.clone();
        let mut y2 = x.clone();
        eq.process(&mut [&mut y[..24_000], &mut y2[..24_000]]);
        eq.set_band(0, to);
        eq.process(&mut [&mut y[24_000..], &mut y2[24_000..]]);
        let before = max_d2(&y, 12_000..24_000);
        let after = max_d2(&y, 36_000..48_000);
        let change = max_d2(&y, 24_000..26_000);
        println!("{name}: max |d2| during change {change:.3e}, steady before {before:.3e} after {after:.3e}");
        assert!(change <= 1.05 * before.max(after), "{name}");
    }
}

#[test]
fn block_invariant_with_events() {
    let fs = 48_000.0;
    let [l, r] = signal::music_like(fs, 1.0, 3);
    let input = vec![l, r];
    let make = || {
        let mut eq = Equalizer::channel_strip();
        eq.prepare(fs, 512);
        eq.set_enabled(0, true);
        eq.set_gain_db(3, 6.0);
        eq.set_placement(4, Placement::Side);
        eq.set_gain_db(4, -4.0);
        eq.reset();
        eq
    };
    type E = Equalizer;
    let events: Vec<Event<E>> = vec![
        (1000, Box::new(|e: &mut E| e.set_freq(3, 2000.0))),
        (5000, Box::new(|e: &mut E| e.set_kind(2, FilterType::Bell))),
        (9000, Box::new(|e: &mut E| e.set_gain_db(2, -8.0))),
        (12000, Box::new(|e: &mut E| e.set_slope(0, Slope::Db48))),
        (20000, Box::new(|e: &mut E| e.set_enabled(1, true))),
        (20500, Box::new(|e: &mut E| e.set_q(3, 12.0))),
        (
            30000,
            Box::new(|e: &mut E| e.set_placement(4, Placement::Mid)),
        ),
    ];
    assert_block_invariant(make, &input, &events, |e, _, b| e.process(b));
}

/// A settled band runs the static path (fused multiply-adds where the CPU has them, straight on
/// the host's `f32` channels when it is the only band filtering): it must give what the
/// textbook direct form I in plain `f64` gives with the same coefficients, to within -120 dB of
/// full scale, including a 20 Hz band at 384 kHz whose poles sit next to z = 1.
#[test]
fn settled_band_matches_a_plain_direct_form_reference() {
    for (fs, p) in direct_form_cases() {
        let [l, r] = signal::music_like(fs, 0.5, 5);
        let mut eq = eq_with(fs, &[p]);
        let (yl, yr) = run(&mut eq, &l, &r);
        let sections = p.design(fs);
        let mut worst: f64 = 0.0;
        for (x, y) in [(&l, &yl), (&r, &yr)] {
            let v = direct_form_i(&sections.coeffs[..sections.count], x);
            for (a, b) in v.iter().zip(y.iter()) {
                worst = worst.max((a - *b as f64).abs());
            }
        }
        println!(
            "{:?} {} Hz at {fs}: largest difference {worst:e}",
            p.kind, p.freq
        );
        assert!(worst < 1e-6, "{worst:e}");
    }
}

/// `process_then` (a channel strip's filters, then its EQ, on one conversion to `f64`) gives what
/// the two `process` calls give up to the `f32` rounding between them, exactly that when the
/// second equalizer is idle, and stays block-invariant while both change.
#[test]
fn process_then_matches_two_calls_and_is_block_invariant() {
    let fs = 48_000.0;
    let [l, r] = signal::music_like(fs, 1.0, 4);
    let pair = || {
        let mut filters = eq_with(
            fs,
            &[
                BandParams::new(FilterType::LowCut, 80.0, 0.0, FRAC_1_SQRT_2),
                BandParams::new(FilterType::HighCut, 18_000.0, 0.0, FRAC_1_SQRT_2),
            ],
        );
        filters.set_enabled(1, false);
        filters.reset();
        let eq = eq_with(
            fs,
            &[
                BandParams::new(FilterType::LowShelf, 100.0, 3.0, FRAC_1_SQRT_2),
                BandParams::new(FilterType::Bell, 400.0, -2.0, 1.0),
                BandParams::new(FilterType::Bell, 2500.0, 4.0, 1.0),
                BandParams::new(FilterType::HighShelf, 8000.0, 2.0, FRAC_1_SQRT_2),
            ],
        );
        (filters, eq)
    };
    let render = |then: bool, flat_eq: bool| {
        let (mut f, mut e) = pair();
        if flat_eq {
            for i in 0..4 {
                e.set_gain_db(i, 0.0);
            }
            e.reset();
        }
        let (mut a, mut b) = (l.clone(), r.clone());
        for (x, y) in a.chunks_mut(512).zip(b.chunks_mut(512)) {
            if then {
                f.process_then(&mut e, &mut [x, y]);
            } else {
                f.process(&mut [&mut *x, &mut *y]);
                e.process(&mut [x, y]);
            }
        }
        (a, b)
    };
    let (two, one) = (render(false, false), render(true, false));
    let worst = [(&two.0, &one.0), (&two.1, &one.1)]
        .iter()
        .flat_map(|(p, q)| p.iter().zip(q.iter()).map(|(x, y)| (x - y).abs()))
        .fold(0.0f32, f32::max);
    println!("process_then vs two calls: largest difference {worst:e}");
    assert!(worst > 0.0 && worst < 1e-6, "{worst:e}");
    assert_eq!(render(false, true), render(true, true));

    type P = (Equalizer, Equalizer);
    let events: Vec<Event<P>> = vec![
        (3000, Box::new(|p: &mut P| p.1.set_freq(2, 5000.0))),
        (9000, Box::new(|p: &mut P| p.0.set_enabled(1, true))),
        (15000, Box::new(|p: &mut P| p.0.set_slope(0, Slope::Db24))),
        (21000, Box::new(|p: &mut P| p.1.set_gain_db(1, 6.0))),
    ];
    assert_block_invariant(pair, &[l, r], &events, |(f, e), _, b| f.process_then(e, b));
}

#[test]
fn twenty_hz_at_384k_and_nan_input() {
    let fs = 384_000.0;
    let p = BandParams::new(FilterType::Bell, 20.0, 12.0, 1.0);
    let mut eq = eq_with(fs, &[p]);
    let g = sine_gain_db(&mut eq, 20.0, fs);
    println!("20 Hz bell +12 dB at 384 kHz measures {g:.4} dB");
    assert!((g - 12.0).abs() < 0.05);
    // A NaN burst is sanitised; the band keeps working.
    let mut eq = eq_with(
        48_000.0,
        &[BandParams::new(
            FilterType::LowShelf,
            100.0,
            6.0,
            FRAC_1_SQRT_2,
        )],
    );
    let mut x = signal::sine(1000.0, 48_000.0, 4800, 0.25, 0.0);
    x[100] = f32::NAN;
    x[101] = f32::INFINITY;
    let (y, _) = run(&mut eq, &x, &x);
    assert!(y.iter().all(|v| v.is_finite()));
    // Silence decays to exact zero (denormal flush).
    let mut z = vec![0.0f32; 480_000];
    z[0] = 1.0;
    let (y, _) = run(&mut eq, &z, &z);
    assert!(y[470_000..].iter().all(|&v| v == 0.0));
}

#[test]
fn plugin_layouts_and_editor_curve_agree_with_the_audio() {
    let fs = 48_000.0;
    let mut strip = Equalizer::channel_strip();
    strip.prepare(fs, 512);
    strip.set_enabled(0, true);
    strip.set_freq(0, 120.0);
    strip.set_slope(0, Slope::Db24);
    strip.set_gain_db(3, 5.0);
    strip.set_gain_db(5, -4.0);
    strip.reset();
    let mut worst: f64 = 0.0;
    for f in [60.0, 120.0, 400.0, 3000.0, 12_000.0] {
        let curve = db(strip.magnitude_at(f));
        let mut eq = strip.clone();
        eq.reset();
        let measured = sine_gain_db(&mut eq, f, fs);
        worst = worst.max((curve - measured).abs());
    }
    println!("channel strip: editor curve vs measured sines, worst {worst:.4} dB");
    assert!(worst < 0.02);
    let mut freqs = [0.0; 3];
    let mut out = [0.0; 3];
    freqs.copy_from_slice(&[100.0, 1000.0, 10_000.0]);
    strip.curve_db(&freqs, &mut out);
    for (f, o) in freqs.iter().zip(out) {
        assert!((o - db(strip.magnitude_at(*f))).abs() < 1e-9);
    }
    assert_eq!(Equalizer::maximizer().num_bands(), 3);
    let mut reverb = Equalizer::reverb_tone();
    reverb.prepare(fs, 512);
    assert!(db(reverb.magnitude_at(20.0)) < -10.0 && db(reverb.magnitude_at(20_000.0)) < -3.0);
    let _ = EqBand::default();
}

/// The hard cases of the correction fit: every type (every cut slope), corners from 1 kHz to
/// above Nyquist, Q 0.1..18, +-24 dB, 44.1 and 48 kHz.
fn hard_cases() -> Vec<(FilterType, Slope, f64, f64, f64, f64)> {
    let kinds = [
        (FilterType::Bell, Slope::Db12),
        (FilterType::LowShelf, Slope::Db12),
        (FilterType::HighShelf, Slope::Db12),
        (FilterType::Notch, Slope::Db12),
        (FilterType::BandPass, Slope::Db12),
        (FilterType::Tilt, Slope::Db12),
        (FilterType::LowCut, Slope::Db6),
        (FilterType::LowCut, Slope::Db18),
        (FilterType::LowCut, Slope::Db48),
        (FilterType::HighCut, Slope::Db6),
        (FilterType::HighCut, Slope::Db18),
        (FilterType::HighCut, Slope::Db48),
    ];
    let mut out = Vec::new();
    for fs in [44_100.0, 48_000.0] {
        for (kind, slope) in kinds {
            for f0 in [
                1000.0, 5000.0, 12_000.0, 16_000.0, 18_000.0, 19_500.0, 21_000.0,
            ] {
                for q in [0.1, FRAC_1_SQRT_2, 3.0, 18.0] {
                    for g in [-24.0, -6.0, 6.0, 24.0] {
                        out.push((kind, slope, f0, g, q, fs));
                    }
                }
            }
        }
    }
    out
}

/// The most work one step of the correction fit does (see `StepWork`): three passes over the
/// 96-point fit grid and one linear solve of at most 15 unknowns (the last equation-error
/// iteration and the start of the Levenberg-Marquardt refinement, or one LM build or trial
/// step). The band runs one step per 32 samples, so this bounds the design work of any process
/// call by its length, whatever the settings (`cargo bench -p dsp-core --bench eq -- eq_design`
/// measures the worst step: 8 us, 1/300 of the whole fit). The step count bounds how long a band keeps its glide-path
/// design after it settles before the crossfade to the corrected design starts: the hardest
/// case on this grid (a Q 0.1 notch at 21 kHz, 48 kHz) measures 600 steps, 0.4 s at 48 kHz;
/// the mean is 91 steps, 61 ms.
const MAX_STEPS_PER_DESIGN: usize = 640;

#[test]
fn correction_fit_runs_in_bounded_steps() {
    use dsp_core::eq::design::{Designer, StepWork};
    let cases = hard_cases();
    let mut designers = [Designer::new(44_100.0), Designer::new(48_000.0)];
    let mut max_step = StepWork::default();
    let (mut most_steps, mut total_steps, mut at) = (0, 0, String::new());
    for &(kind, slope, f0, g, q, fs) in &cases {
        let designer = &mut designers[usize::from(fs == 48_000.0)];
        designer.start(kind, slope, f0.min(0.5 * fs), g, q);
        let mut steps = 0;
        while let Some(w) = designer.step() {
            steps += 1;
            max_step.grid_passes = max_step.grid_passes.max(w.grid_passes);
            max_step.solves = max_step.solves.max(w.solves);
        }
        total_steps += steps;
        if steps > most_steps {
            most_steps = steps;
            at = format!("{kind:?} {slope:?} f0 {f0} q {q} g {g} fs {fs}");
        }
        // The step machine is the whole design: a restarted designer gives the same result.
        assert_eq!(
            designer.result(),
            Some(&design(kind, slope, f0.min(0.5 * fs), g, q, fs)),
            "{kind:?} {f0} {q} {g} {fs}"
        );
    }
    println!(
        "{} designs: largest step {max_step:?}, steps per design mean {:.1}, max {most_steps} ({at})",
        cases.len(),
        total_steps as f64 / cases.len() as f64
    );
    assert!(
        max_step.grid_passes <= 4 && max_step.solves <= 1,
        "{max_step:?}"
    );
    assert!(
        most_steps <= MAX_STEPS_PER_DESIGN,
        "{most_steps} steps: {at}"
    );
}

/// A band whose glide settles on a Q 18 shelf at 10.8 kHz (the glide path's worst case in
/// `tests/eq_glide.rs`), processed in irregular blocks: it runs at most one fit step per 32
/// samples, none bigger than the bound above, and ends on the corrected design (a sine where
/// the glide-path design is off by more than 0.5 dB comes out within 0.3 dB of the analog
/// prototype).
#[test]
fn a_settling_band_fits_step_by_step_and_ends_corrected() {
    let fs = 44_100.0;
    let (kind, f0, g, q) = (FilterType::HighShelf, 10_823.0, 24.0, 18.0);
    let target = BandParams::new(kind, f0, g, q);
    let mut band = EqBand::new(BandParams::new(kind, 4000.0, 3.0, 1.0));
    band.prepare(fs);
    band.set_params(target);
    let noise = signal::white_noise((1.5 * fs) as usize, 0.25, 11);
    let (mut y, mut start) = (noise.clone(), 0);
    for size in [1, 7, 64, 200, 63, 513, 4096].iter().cycle() {
        if start == y.len() {
            break;
        }
        let end = (start + size).min(y.len());
        band.process(&mut [&mut y[start..end]]);
        start = end;
    }
    let work = band.design_work();
    println!("{work:?} over {} samples", noise.len());
    assert!(
        work.steps > 0 && work.steps as usize <= noise.len() / 32,
        "{work:?}"
    );
    assert!(
        work.max_step.grid_passes <= 4 && work.max_step.solves <= 1,
        "{work:?}"
    );
    let matched = design_matched(kind, Slope::Db12, f0, g, q, fs);
    let (f, glide_err) = (0..=100)
        .map(|i| 10_000.0 + 100.0 * i as f64)
        .map(|f| {
            let err = db(matched.magnitude(f, fs)) - analog_db(kind, Slope::Db12, f0, g, q, f);
            (f, err.abs())
        })
        .fold((0.0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
    assert!(
        glide_err > 0.5,
        "the glide path is already accurate: {glide_err}"
    );
    let n = (0.5 * fs) as usize;
    let x = signal::sine(f, fs, n, 0.25, 0.0);
    let mut y = x.clone();
    band.process(&mut [&mut y]);
    let gain = db(tone_amplitude(&y[n / 2..], f, fs) / tone_amplitude(&x[n / 2..], f, fs));
    let err = (gain - analog_db(kind, Slope::Db12, f0, g, q, f)).abs();
    println!("at {f} Hz: glide path off by {glide_err:.2} dB, settled band by {err:.3} dB");
    assert!(err < 0.3, "{err}");
}

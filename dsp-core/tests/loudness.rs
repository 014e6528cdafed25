//! Loudness meter against ITU-R BS.1770-4 and the synthetic cases of EBU Tech 3341 (M, S, I)
//! and Tech 3342 (LRA), generated here from the specifications' descriptions, at 44.1, 48,
//! 88.2, 96 and 192 kHz. Tech 3341 cases 7 and 8 are authentic programme recordings and are not
//! reproduced.
mod common;

use common::*;
use dsp_core::filter::{BiquadCoeffs, BiquadState};
use dsp_core::meter::loudness::{
    k_weighting, k_weighting_prototypes, PRE_FILTER_48K, RLB_FILTER_48K, SILENCE_LUFS,
};
use dsp_core::meter::{measure, LoudnessMeter};
use std::cell::RefCell;
use std::f64::consts::TAU;
use std::rc::Rc;

/// A level in dBFS (`None`: silence) held for a number of seconds.
type Segment = (Option<f64>, f64);

const RATES: [f64; 5] = [44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0];

/// A 1 kHz sine whose level steps through `(dBFS, seconds)` segments with continuous phase
/// (0 dBFS = full-scale sine peak, the Tech 3341 convention); `None` is silence. The phasor is
/// rotated sample by sample and re-anchored to the exact phase every 4096 samples, which keeps
/// hours of test signal cheap to generate.
fn tone_segments(fs: f64, segments: &[Segment]) -> Vec<f32> {
    let w = TAU * 1000.0 / fs;
    let (sw, cw) = w.sin_cos();
    let (mut s, mut c) = (0.0f64, 1.0f64);
    let mut out = Vec::new();
    for &(level, secs) in segments {
        let amp = level.map_or(0.0, |db| 10f64.powf(db / 20.0));
        for _ in 0..(secs * fs).round() as usize {
            if out.len() % 4096 == 0 {
                (s, c) = (w * out.len() as f64).sin_cos();
            }
            out.push((amp * s) as f32);
            (s, c) = (s * cw + c * sw, c * cw - s * sw);
        }
    }
    out
}

fn stereo_meter(fs: f64, x: &[f32]) -> LoudnessMeter {
    let mut m = LoudnessMeter::new();
    m.prepare(fs, 4096, 2);
    m.process(&[x, x]);
    m
}

fn assert_within(name: &str, measured: f64, expected: f64, tol: f64) {
    println!("{name}: {measured:.4} (expected {expected:.1} +-{tol})");
    assert!(
        (measured - expected).abs() <= tol,
        "{name}: measured {measured:.4}, expected {expected} +-{tol}"
    );
}

#[test]
fn derived_k_weighting_reproduces_the_published_48k_coefficients() {
    let [pre, rlb] = k_weighting(48_000.0);
    let diff = |a: &BiquadCoeffs, b: &BiquadCoeffs| {
        [
            a.b0 - b.b0,
            a.b1 - b.b1,
            a.b2 - b.b2,
            a.a1 - b.a1,
            a.a2 - b.a2,
        ]
        .iter()
        .fold(0.0f64, |m, d| m.max(d.abs()))
    };
    let (d_pre, d_rlb) = (diff(&pre, &PRE_FILTER_48K), diff(&rlb, &RLB_FILTER_48K));
    println!("max coefficient error at 48 kHz: pre-filter {d_pre:.2e}, RLB {d_rlb:.2e}");
    assert!(d_pre < 1e-9 && d_rlb < 1e-9);
}

#[test]
fn recovered_analog_prototypes_are_the_known_shelf_and_high_pass() {
    // The analog parameters libebur128 and De Man's analysis give for BS.1770's filters:
    // shelf f0 1681.97 Hz, Q 0.7072, +4.0 dB; RLB f0 38.135 Hz, Q 0.5003.
    let [shelf, hp] = k_weighting_prototypes();
    println!("shelf {shelf:?}\nhigh-pass {hp:?}");
    assert!((shelf.f0_hz - 1681.974).abs() < 0.01);
    assert!((shelf.q - 0.70718).abs() < 1e-4);
    assert!((db(shelf.hf_gain) - 3.99984).abs() < 1e-3);
    assert!((shelf.dc_gain - 1.0).abs() < 1e-4);
    assert!((hp.f0_hz - 38.1355).abs() < 0.01);
    assert!((hp.q - 0.50033).abs() < 1e-4);
    assert!(hp.dc_gain.abs() < 1e-12);
}

fn k_response_db(c: &[BiquadCoeffs; 2], f: f64, fs: f64) -> f64 {
    db(c[0].magnitude(f, fs) * c[1].magnitude(f, fs))
}

#[test]
fn k_weighting_at_every_rate_matches_48k_below_16k() {
    let reference = k_weighting(48_000.0);
    for fs in [
        22_050.0, 32_000.0, 44_100.0, 88_200.0, 96_000.0, 176_400.0, 192_000.0, 384_000.0,
    ] {
        let c = k_weighting(fs);
        let top: f64 = if fs < 40_000.0 { 0.45 * fs } else { 16_000.0 };
        let mut worst: f64 = 0.0;
        let mut f: f64 = 10.0;
        while f <= top {
            let d = k_response_db(&c, f, fs) - k_response_db(&reference, f, 48_000.0);
            worst = worst.max(d.abs());
            f *= 1.01;
        }
        println!("fs {fs}: max |K(f) - K48(f)| below {top:.0} Hz = {worst:.4} dB");
        assert!(worst < 0.1, "fs {fs}: {worst} dB");
    }
}

#[test]
fn k_weighting_measured_through_the_meter_matches_the_design() {
    // A steady sine's momentary loudness is -0.691 + 10 log10(A^2 / 2 |K(f)|^2); checks the
    // runtime path (states, squaring, windowing) against the coefficients at every rate.
    for fs in RATES {
        let c = k_weighting(fs);
        for f in [25.0, 100.0, 1000.0, 4000.0, 15_000.0] {
            let x = dsp_core::signal::sine(f, fs, (fs * 1.0) as usize, 0.5, 0.0);
            let mut m = LoudnessMeter::new();
            m.prepare(fs, 4096, 1);
            m.process(&[&x]);
            let expected = -0.691 + 10.0 * (0.125f64).log10() + k_response_db(&c, f, fs);
            let d = m.momentary_lufs() - expected;
            assert!(d.abs() < 0.02, "fs {fs} f {f}: {d}");
        }
    }
}

#[test]
fn tech_3341_cases_1_to_5_integrated_at_all_rates() {
    let cases: [(&str, Vec<Segment>, f64); 5] = [
        ("case 1", vec![(Some(-23.0), 20.0)], -23.0),
        ("case 2", vec![(Some(-33.0), 20.0)], -33.0),
        (
            "case 3",
            vec![
                (Some(-36.0), 10.0),
                (Some(-23.0), 60.0),
                (Some(-36.0), 10.0),
            ],
            -23.0,
        ),
        (
            "case 4",
            vec![
                (Some(-72.0), 10.0),
                (Some(-36.0), 10.0),
                (Some(-23.0), 60.0),
                (Some(-36.0), 10.0),
                (Some(-72.0), 10.0),
            ],
            -23.0,
        ),
        (
            "case 5",
            vec![
                (Some(-26.0), 20.0),
                (Some(-20.0), 20.1),
                (Some(-26.0), 20.0),
            ],
            -23.0,
        ),
    ];
    for fs in RATES {
        for (name, segments, expected) in &cases {
            let x = tone_segments(fs, segments);
            let m = stereo_meter(fs, &x);
            assert_within(
                &format!("{name} I at {fs} Hz"),
                m.integrated_lufs(),
                *expected,
                0.1,
            );
            if *name == "case 1" || *name == "case 2" {
                // Steady tone: M and S read the same value (Tech 3341 cases 1 and 2).
                assert_within(
                    &format!("{name} M at {fs} Hz"),
                    m.momentary_lufs(),
                    *expected,
                    0.1,
                );
                assert_within(
                    &format!("{name} S at {fs} Hz"),
                    m.short_term_lufs(),
                    *expected,
                    0.1,
                );
            }
        }
    }
}

#[test]
fn tech_3341_case_6_five_channels_with_surround_weights() {
    // L, R at -28 dBFS, C at -24, Ls, Rs at -30, weighted 1, 1, 1, 1.41, 1.41: I = -23.0.
    for fs in RATES {
        let chans: Vec<Vec<f32>> = [-28.0, -28.0, -24.0, -30.0, -30.0]
            .iter()
            .map(|&l| tone_segments(fs, &[(Some(l), 20.0)]))
            .collect();
        let refs: Vec<&[f32]> = chans.iter().map(|c| c.as_slice()).collect();
        let mut m = LoudnessMeter::new();
        m.prepare(fs, 4096, 5);
        m.process(&refs);
        assert_within(
            &format!("case 6 I at {fs} Hz"),
            m.integrated_lufs(),
            -23.0,
            0.1,
        );
    }
    // The same as 5.1 (L R C LFE Ls Rs): the LFE is excluded, even carrying a loud tone.
    let fs = 48_000.0;
    let chans: Vec<Vec<f32>> = [-28.0, -28.0, -24.0, -10.0, -30.0, -30.0]
        .iter()
        .map(|&l| tone_segments(fs, &[(Some(l), 20.0)]))
        .collect();
    let refs: Vec<&[f32]> = chans.iter().map(|c| c.as_slice()).collect();
    let mut m = LoudnessMeter::new();
    m.prepare(fs, 4096, 6);
    m.process(&refs);
    assert_within("case 6 as 5.1, I", m.integrated_lufs(), -23.0, 0.1);
}

/// Feeds `x` in `step`-sample blocks and returns the readings after each block.
fn readings(
    m: &mut LoudnessMeter,
    x: &[f32],
    step: usize,
    read: impl Fn(&LoudnessMeter) -> f64,
) -> Vec<f64> {
    x.chunks(step)
        .map(|c| {
            m.process(&[c, c]);
            read(m)
        })
        .collect()
}

#[test]
fn tech_3341_case_9_short_term_constant_after_3_s() {
    // 1.34 s at -20 dBFS, 1.66 s at -30 dBFS, repeated: every 3 s window holds -23.0 LUFS.
    for fs in RATES {
        let pattern: Vec<Segment> = (0..7)
            .flat_map(|_| [(Some(-20.0), 1.34), (Some(-30.0), 1.66)])
            .collect();
        let x = tone_segments(fs, &pattern);
        let mut m = LoudnessMeter::new();
        m.prepare(fs, 4096, 2);
        let step = (fs / 100.0) as usize;
        let s = readings(&mut m, &x, step, |m| m.short_term_lufs());
        let after = &s[300..];
        let (lo, hi) = after
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        println!("case 9 at {fs}: S after 3 s in [{lo:.4}, {hi:.4}]");
        assert!(lo >= -23.1 && hi <= -22.9);
    }
}

#[test]
fn tech_3341_case_10_max_short_term_of_offset_3_s_bursts() {
    // A 3 s burst at -23 dBFS placed at 20 offsets that do not fall on any 100 ms grid.
    for fs in RATES {
        for i in 0..20 {
            let offset = 0.5 + i as f64 * 0.1037;
            let x = tone_segments(fs, &[(None, offset), (Some(-23.0), 3.0), (None, 1.0)]);
            let m = stereo_meter(fs, &x);
            assert_within(
                &format!("case 10-{} max S at {fs}", i + 1),
                m.max_short_term_lufs(),
                -23.0,
                0.1,
            );
        }
    }
}

#[test]
fn tech_3341_case_11_max_short_term_steps_from_minus_38_to_minus_19() {
    for fs in RATES {
        let mut m = LoudnessMeter::new();
        m.prepare(fs, 4096, 2);
        for k in 0..20 {
            let level = -38.0 + k as f64;
            let x = tone_segments(fs, &[(None, 2.0 + 0.0371 * k as f64), (Some(level), 3.0)]);
            m.process(&[&x, &x]);
            assert!(
                (m.max_short_term_lufs() - level).abs() <= 0.1,
                "segment {k}: {}",
                m.max_short_term_lufs()
            );
        }
    }
}

#[test]
fn tech_3341_case_12_momentary_constant_after_1_s() {
    // 0.18 s at -20 dBFS, 0.22 s at -30 dBFS, repeated: every 400 ms window holds -23.0 LUFS.
    for fs in RATES {
        let pattern: Vec<Segment> = (0..50)
            .flat_map(|_| [(Some(-20.0), 0.18), (Some(-30.0), 0.22)])
            .collect();
        let x = tone_segments(fs, &pattern);
        let mut m = LoudnessMeter::new();
        m.prepare(fs, 4096, 2);
        let step = (fs / 1000.0) as usize;
        let mm = readings(&mut m, &x, step, |m| m.momentary_lufs());
        let after = &mm[1000..];
        let (lo, hi) = after
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        println!("case 12 at {fs}: M after 1 s (every 1 ms) in [{lo:.4}, {hi:.4}]");
        assert!(lo >= -23.1 && hi <= -22.9);
    }
}

#[test]
fn tech_3341_case_13_max_momentary_of_offset_400_ms_bursts() {
    for fs in RATES {
        for i in 0..20 {
            let offset = 0.5 + i as f64 * 0.0173;
            let x = tone_segments(fs, &[(None, offset), (Some(-23.0), 0.4), (None, 0.5)]);
            let m = stereo_meter(fs, &x);
            assert_within(
                &format!("case 13-{} max M at {fs}", i + 1),
                m.max_momentary_lufs(),
                -23.0,
                0.1,
            );
        }
    }
}

#[test]
fn tech_3341_case_14_max_momentary_steps_from_minus_38_to_minus_19() {
    for fs in RATES {
        let mut m = LoudnessMeter::new();
        m.prepare(fs, 4096, 2);
        for k in 0..20 {
            let level = -38.0 + k as f64;
            let x = tone_segments(fs, &[(None, 0.6 + 0.0137 * k as f64), (Some(level), 0.4)]);
            m.process(&[&x, &x]);
            assert!(
                (m.max_momentary_lufs() - level).abs() <= 0.1,
                "segment {k}: {}",
                m.max_momentary_lufs()
            );
        }
    }
}

#[test]
fn tech_3342_cases_1_to_4_loudness_range() {
    let cases: [(&str, Vec<f64>, f64); 4] = [
        ("case 1", vec![-20.0, -30.0], 10.0),
        ("case 2", vec![-20.0, -15.0], 5.0),
        ("case 3", vec![-40.0, -20.0], 20.0),
        ("case 4", vec![-50.0, -35.0, -20.0, -35.0, -50.0], 15.0),
    ];
    for fs in RATES {
        for (name, levels, expected) in &cases {
            let segments: Vec<Segment> = levels.iter().map(|&l| (Some(l), 20.0)).collect();
            let x = tone_segments(fs, &segments);
            let m = stereo_meter(fs, &x);
            assert_within(
                &format!("Tech 3342 {name} LRA at {fs}"),
                m.loudness_range_lu(),
                *expected,
                1.0,
            );
        }
    }
}

/// Independent reference for gating: every 400 ms block (100 ms hop) of the K-weighted signal,
/// gated with exact sorted lists instead of the meter's histogram.
fn reference_integrated_and_lra(fs: f64, chans: &[Vec<f32>]) -> (f64, f64) {
    let c = k_weighting(fs);
    let hop = (fs / 10.0).round() as usize;
    let mut hops = vec![0.0f64; chans[0].len() / hop];
    for x in chans {
        let (mut s0, mut s1) = (BiquadState::default(), BiquadState::default());
        for (i, &v) in x.iter().enumerate().take(hops.len() * hop) {
            let y = s1.tick(&c[1], s0.tick(&c[0], v as f64));
            hops[i / hop] += y * y;
        }
    }
    let lufs = |z: f64| -0.691 + 10.0 * z.log10();
    let blocks = |k: usize| -> Vec<f64> {
        (k..=hops.len())
            .map(|j| hops[j - k..j].iter().sum::<f64>() / (k * hop) as f64)
            .filter(|&z| lufs(z) > -70.0)
            .collect()
    };
    let gated = |v: &[f64], rel: f64| -> Vec<f64> {
        let gate = lufs(v.iter().sum::<f64>() / v.len() as f64) + rel;
        v.iter().copied().filter(|&z| lufs(z) > gate).collect()
    };
    let m = gated(&blocks(4), -10.0);
    let integrated = lufs(m.iter().sum::<f64>() / m.len() as f64);
    let mut s: Vec<f64> = gated(&blocks(30), -20.0).into_iter().map(lufs).collect();
    s.sort_by(f64::total_cmp);
    let pick = |p: f64| s[((s.len() - 1) as f64 * p).round() as usize];
    (integrated, pick(0.95) - pick(0.10))
}

#[test]
fn histogram_gating_matches_exact_gating_on_programme_material() {
    for (seed, fs) in [(3u64, 48_000.0), (4, 44_100.0)] {
        let mut prog = dsp_core::signal::music_like(fs, 40.0, seed);
        // Give it dynamics: a quiet passage and a fade, so both gates matter.
        let n = prog[0].len();
        for ch in prog.iter_mut() {
            for (i, v) in ch.iter_mut().enumerate() {
                let t = i as f64 / n as f64;
                let g = if (0.3..0.5).contains(&t) {
                    0.05
                } else if t > 0.8 {
                    (1.0 - t) * 5.0
                } else {
                    1.0
                };
                *v *= g as f32;
            }
        }
        let (ref_i, ref_lra) = reference_integrated_and_lra(fs, &prog);
        let mut m = LoudnessMeter::new();
        m.prepare(fs, 4096, 2);
        m.process(&[&prog[0], &prog[1]]);
        let (i, lra) = (m.integrated_lufs(), m.loudness_range_lu());
        println!(
            "fs {fs}: integrated {i:.5} vs exact {ref_i:.5}; LRA {lra:.4} vs exact {ref_lra:.4}"
        );
        assert!((i - ref_i).abs() < 0.005, "integrated {i} vs {ref_i}");
        assert!((lra - ref_lra).abs() < 0.011, "LRA {lra} vs {ref_lra}");
    }
}

#[test]
fn one_hour_of_programme_keeps_exact_gating() {
    // 5 s at -20 dBFS, 5 s at -30 dBFS, repeated for an hour (1 kHz is a whole number of
    // periods in each half, so the repetition is seamless). The histogram must give the same
    // integrated loudness and LRA after an hour as after the first minute, with no drift of the
    // running window sums, and the momentary value must still be exact at the end.
    let fs = 48_000.0;
    let pattern = tone_segments(fs, &[(Some(-20.0), 5.0), (Some(-30.0), 5.0)]);
    let mut m = LoudnessMeter::new();
    m.prepare(fs, 4096, 2);
    for _ in 0..6 {
        m.process(&[&pattern, &pattern]);
    }
    let (i_minute, lra_minute) = (m.integrated_lufs(), m.loudness_range_lu());
    for _ in 6..360 {
        m.process(&[&pattern, &pattern]);
    }
    let (i_hour, lra_hour) = (m.integrated_lufs(), m.loudness_range_lu());
    // All blocks pass the -10 LU relative gate (-22.6 - 10 < -30): the power mean is -22.6.
    let analytic = 10.0 * ((0.01 + 0.001) / 2.0f64).log10();
    println!(
        "after 1 min: I {i_minute:.4} LRA {lra_minute:.3}; after 1 h: I {i_hour:.4} LRA {lra_hour:.3}; analytic I {analytic:.4}"
    );
    assert!((i_hour - i_minute).abs() < 0.01 && (lra_hour - lra_minute).abs() < 0.011);
    assert!((i_hour - analytic).abs() < 0.05);
    assert_within("LRA of the 10 dB steps", lra_hour, 10.0, 1.0);
    // The last 400 ms are the -30 dBFS half.
    assert_within("momentary after an hour", m.momentary_lufs(), -30.0, 0.02);
}

#[test]
fn readings_are_independent_of_block_partitioning() {
    let fs = 48_000.0;
    let prog = dsp_core::signal::music_like(fs, 5.0, 9);
    let log: Rc<RefCell<Vec<f64>>> = Rc::new(RefCell::new(Vec::new()));
    let make = || {
        let mut m = LoudnessMeter::new();
        m.prepare(fs, 512, 2);
        m
    };
    let mut events: Vec<Event<LoudnessMeter>> = Vec::new();
    for k in 1..60 {
        let log = log.clone();
        events.push((
            k * 3989,
            Box::new(move |m: &mut LoudnessMeter| {
                log.borrow_mut().extend([
                    m.momentary_lufs(),
                    m.short_term_lufs(),
                    m.integrated_lufs(),
                    m.loudness_range_lu(),
                    m.max_momentary_lufs(),
                ]);
            }),
        ));
    }
    // A weight change mid-stream (e.g. a surround weight edited by the host).
    events.push((
        100_003,
        Box::new(|m: &mut LoudnessMeter| m.set_channel_weight(1, 1.41)),
    ));
    events.sort_by_key(|e| e.0);
    let input = prog.to_vec();
    assert_block_invariant(make, &input, &events, |m, _, block| {
        let chans: Vec<&[f32]> = block.iter().map(|c| &c[..]).collect();
        m.process(&chans);
    });
    let log = log.borrow();
    let per_run = log.len() / 5;
    assert_eq!(per_run * 5, log.len());
    let reference = &log[..per_run];
    for run in 1..5 {
        let other = &log[run * per_run..(run + 1) * per_run];
        for (a, b) in reference.iter().zip(other) {
            assert_eq!(a.to_bits(), b.to_bits(), "run {run}: {a} vs {b}");
        }
    }
}

#[test]
fn non_finite_input_is_ignored_and_silence_reads_the_floor() {
    let fs = 48_000.0;
    let mut m = LoudnessMeter::new();
    m.prepare(fs, 4096, 2);
    assert_eq!(m.integrated_lufs(), SILENCE_LUFS);
    assert_eq!(m.distance_to_target_lu(-14.0), None);
    let x = tone_segments(fs, &[(Some(-23.0), 10.0)]);
    let mut poisoned = x.clone();
    poisoned[1000] = f32::NAN;
    poisoned[2000] = f32::INFINITY;
    m.process(&[&poisoned, &x]);
    assert!(m.integrated_lufs().is_finite());
    assert_within("integrated after NaN/Inf", m.integrated_lufs(), -23.0, 0.1);
    let d = m.distance_to_target_lu(-14.0).unwrap();
    assert_within("distance to a -14 LUFS target", d, 9.0, 0.1);
    // Then silence: momentary decays to the floor, integrated keeps the programme's value.
    let silence = vec![0.0f32; 48_000];
    m.process(&[&silence, &silence]);
    assert!(m.momentary_lufs() < -200.0);
    assert_within("integrated after silence", m.integrated_lufs(), -23.0, 0.1);
}

#[test]
fn offline_report_of_a_steady_tone() {
    let fs = 48_000.0;
    let x = tone_segments(fs, &[(Some(-20.0), 20.0)]);
    let r = measure(fs, &[&x, &x]);
    println!("{r:?}");
    assert_within("report integrated", r.integrated, -20.0, 0.05);
    assert!(r.lra < 0.1);
    assert_within("report true peak", r.true_peak_dbtp, -20.0, 0.05);
    assert_within("report sample peak", r.sample_peak_dbfs, -20.0, 0.01);
    assert_within("report max M", r.max_momentary, -20.0, 0.05);
    assert_within("report max S", r.max_short_term, -20.0, 0.05);
}

/// Every reading of a meter, as bits.
fn reading_bits(m: &LoudnessMeter) -> [u64; 7] {
    [
        m.momentary_lufs(),
        m.short_term_lufs(),
        m.max_momentary_lufs(),
        m.max_short_term_lufs(),
        m.integrated_lufs(),
        m.loudness_range_lu(),
        m.hops() as f64,
    ]
    .map(f64::to_bits)
}

#[test]
fn joint_input_output_pass_reads_exactly_as_two_meters() {
    // The Maximizer measures its input and its output in one four-lane pass
    // (`LoudnessMeter::process_pair`); an engineer compares those readings with any other
    // meter's, so they must be the per-meter readings to the bit. Two different programmes
    // (lanes must not mix), with dynamics, poisoned samples and a silence long enough for the
    // K-filters to reach the denormal flush; the output meters start 7 samples ahead, so the
    // joint segments end at both meters' ticks; blocks of pseudo-random length (at 22.05 kHz,
    // 15-sample ticks, up to four K-filter passes of at most 32 ticks per block).
    for fs in [22_050.0, 44_100.0, 48_000.0, 192_000.0] {
        let mut input = dsp_core::signal::music_like(fs, 12.0, 5);
        let mut output = dsp_core::signal::music_like(fs, 12.0, 6);
        let n = input[0].len();
        for (i, v) in input[0].iter_mut().enumerate() {
            if (n / 3..n / 2).contains(&i) {
                *v *= 0.01;
            }
        }
        for ch in output.iter_mut() {
            ch[n / 4..n / 4 + (2.0 * fs) as usize].fill(0.0);
        }
        output[1][1000] = f32::NAN;
        input[0][5000] = f32::INFINITY;
        let make = || {
            let mut m = LoudnessMeter::new();
            m.prepare(fs, 4096, 2);
            m
        };
        let (mut joint_in, mut joint_out, mut alone_in, mut alone_out) =
            (make(), make(), make(), make());
        const LEAD: usize = 7;
        joint_out.process(&[&output[0][..LEAD], &output[1][..LEAD]]);
        alone_out.process(&[&output[0][..LEAD], &output[1][..LEAD]]);
        let (mut pos, mut seed, mut blocks) = (0, 0x2545_f491u32, 0);
        while pos + LEAD < n {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let len = (1 + (seed >> 8) as usize % 2000).min(n - LEAD - pos);
            let x = [&input[0][pos..pos + len], &input[1][pos..pos + len]];
            let o = pos + LEAD..pos + LEAD + len;
            let y = [&output[0][o.clone()], &output[1][o]];
            LoudnessMeter::process_pair(&mut joint_in, &x, &mut joint_out, &y);
            alone_in.process(&x);
            alone_out.process(&y);
            assert_eq!(
                reading_bits(&joint_in),
                reading_bits(&alone_in),
                "fs {fs}: input meter after {pos} samples"
            );
            assert_eq!(
                reading_bits(&joint_out),
                reading_bits(&alone_out),
                "fs {fs}: output meter after {pos} samples"
            );
            pos += len;
            blocks += 1;
        }
        println!(
            "fs {fs}: {blocks} blocks, input I {:.3} LUFS, output I {:.3} LUFS, identical",
            joint_in.integrated_lufs(),
            joint_out.integrated_lufs()
        );
        assert!(joint_in.integrated_lufs() > -70.0 && joint_out.integrated_lufs() > -70.0);
    }
}

#[test]
fn meters_at_different_rates_paired_read_as_two_meters() {
    // 48 kHz and 46.08 kHz meters close a tick every 24 samples alike but have different
    // K-filters: handed to `process_pair` together they must not share the first one's.
    let make = |fs: f64| {
        let mut m = LoudnessMeter::new();
        m.prepare(fs, 4096, 2);
        m
    };
    let (fa, fb) = (48_000.0, 46_080.0);
    assert_eq!(make(fa).update_interval_samples(), 24);
    assert_eq!(make(fb).update_interval_samples(), 24);
    let x = dsp_core::signal::music_like(fa, 4.0, 3);
    let (mut a, mut b, mut alone_a, mut alone_b) = (make(fa), make(fb), make(fa), make(fb));
    for (l, r) in x[0].chunks(1000).zip(x[1].chunks(1000)) {
        LoudnessMeter::process_pair(&mut a, &[l, r], &mut b, &[r, l]);
        alone_a.process(&[l, r]);
        alone_b.process(&[r, l]);
    }
    assert_eq!(reading_bits(&a), reading_bits(&alone_a));
    assert_eq!(reading_bits(&b), reading_bits(&alone_b));
}

#[test]
fn baseline_and_avx2_paths_read_the_same_bits() {
    // The K-filter lanes are dispatched to AVX2 where the CPU has it; every CPU without it runs
    // the baseline SSE2 form. Both must read the same to the bit, alone and in the joint pass.
    // (The switch is process-wide; the other tests here read the same on either path.)
    let fs = 48_000.0;
    let prog = dsp_core::signal::music_like(fs, 8.0, 11);
    let run = |baseline: bool| {
        dsp_core::simd::force_baseline(baseline);
        let make = || {
            let mut m = LoudnessMeter::new();
            m.prepare(fs, 4096, 2);
            m
        };
        let (mut alone, mut a, mut b) = (make(), make(), make());
        let mut log = Vec::new();
        for (l, r) in prog[0].chunks(1000).zip(prog[1].chunks(1000)) {
            alone.process(&[l, r]);
            LoudnessMeter::process_pair(&mut a, &[l, r], &mut b, &[r, l]);
            log.extend(reading_bits(&alone));
            log.extend(reading_bits(&a));
            log.extend(reading_bits(&b));
        }
        dsp_core::simd::force_baseline(false);
        log
    };
    println!("AVX2 on this CPU: {}", dsp_core::simd::avx2_available());
    assert_eq!(run(true), run(false));
}

#[test]
fn a_channel_left_out_of_a_block_is_not_measured() {
    // A stereo meter handed only its first channel measures that one (the vector's spare lanes
    // must not count a copy of it): the same bits as being handed silence in the second.
    let fs = 48_000.0;
    let x = dsp_core::signal::music_like(fs, 3.0, 2);
    let silence = vec![0.0f32; x[0].len()];
    let make = || {
        let mut m = LoudnessMeter::new();
        m.prepare(fs, 4096, 2);
        m
    };
    let (mut one, mut with_silence) = (make(), make());
    for (c, z) in x[0].chunks(777).zip(silence.chunks(777)) {
        one.process(&[c]);
        with_silence.process(&[c, z]);
        assert_eq!(reading_bits(&one), reading_bits(&with_silence));
    }
}

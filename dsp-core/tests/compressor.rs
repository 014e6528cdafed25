//! Compressor acceptance: static curve against the GMR 2012 formula, attack/release timing,
//! auto release, lookahead latency, side chain, link, range, make-up, mix, block invariance and
//! click-free automation. Every figure is measured on the processor's output.
mod common;

use common::*;
use dsp_core::dynamics::{Compressor, Detection, Topology};
use dsp_core::signal;

const FS: f64 = 48_000.0;

/// The textbook static curve (GMR 2012, eq. 4), written independently of the crate's.
fn textbook_db(x: f64, t: f64, r: f64, w: f64) -> f64 {
    if 2.0 * (x - t) < -w {
        x
    } else if 2.0 * (x - t).abs() <= w && w > 0.0 {
        x + (1.0 / r - 1.0) * (x - t + w / 2.0).powi(2) / (2.0 * w)
    } else {
        t + (x - t) / r
    }
}

fn comp() -> Compressor {
    let mut c = Compressor::new();
    c.prepare(FS, 512);
    c
}

fn run(c: &mut Compressor, input: &[Vec<f32>]) -> Vec<Vec<f32>> {
    let mut out = input.to_vec();
    let mut refs: Vec<&mut [f32]> = out.iter_mut().map(|v| v.as_mut_slice()).collect();
    c.process(&mut refs);
    out
}

fn from_db(db_: f64) -> f64 {
    10f64.powf(db_ / 20.0)
}

/// Worst deviation from the textbook curve, over a grid of settings, of the steady-state gain on
/// constant levels (peak detection: a DC level is a steady peak level).
fn static_curve_worst_peak(topology: Topology, ratios: &[f64]) -> (f64, usize) {
    let n = 1200;
    let mut worst = 0.0f64;
    let mut count = 0;
    for &t in &[-60.0, -45.0, -30.0, -18.0, -6.0, 0.0] {
        for &r in ratios {
            for &w in &[0.0, 3.0, 6.0, 12.0, 24.0] {
                let mut c = comp();
                c.set_topology(topology);
                c.set_threshold_db(t);
                c.set_ratio(r);
                c.set_knee_db(w);
                c.set_attack_ms(0.5);
                c.set_release_ms(5.0);
                let mut x = -84.0;
                while x <= 6.0 {
                    c.reset();
                    let a = from_db(x) as f32;
                    let out = run(&mut c, &[vec![a; n]]);
                    let measured = db(out[0][n - 1] as f64 / a as f64);
                    let expected = textbook_db(x, t, r, w) - x;
                    worst = worst.max((measured - expected).abs());
                    count += 1;
                    x += 1.5;
                }
            }
        }
    }
    (worst, count)
}

#[test]
fn static_curve_feed_forward_peak_matches_gmr_2012() {
    let ratios = [1.0, 1.5, 2.0, 4.0, 10.0, 100.0, f64::INFINITY];
    let (worst, count) = static_curve_worst_peak(Topology::FeedForward, &ratios);
    println!("feed-forward peak: worst static-curve deviation {worst:.2e} dB over {count} points");
    assert!(worst < 0.2, "{worst} dB");
    assert!(worst < 1e-3, "far inside the budget expected: {worst} dB");
}

#[test]
fn static_curve_feedback_peak_matches_gmr_2012() {
    // Feedback realises ratios up to Compressor::FEEDBACK_MAX_RATIO.
    let ratios = [1.0, 1.5, 2.0, 4.0, 10.0, 30.0, 100.0];
    let (worst, count) = static_curve_worst_peak(Topology::FeedBack, &ratios);
    println!("feedback peak: worst static-curve deviation {worst:.2e} dB over {count} points");
    assert!(worst < 0.2, "{worst} dB");
}

#[test]
fn static_curve_rms_on_sines_matches_gmr_2012() {
    let n = 14_400;
    let mut worst = [0.0f64; 2];
    let mut count = 0;
    for (ti, topology) in [Topology::FeedForward, Topology::FeedBack]
        .into_iter()
        .enumerate()
    {
        for &t in &[-60.0, -30.0, -10.0, 0.0] {
            for &r in &[1.5, 4.0, if ti == 0 { f64::INFINITY } else { 100.0 }] {
                for &w in &[0.0, 12.0, 24.0] {
                    let mut c = comp();
                    c.set_topology(topology);
                    c.set_detection(Detection::Rms);
                    c.set_rms_window_ms(10.0);
                    c.set_threshold_db(t);
                    c.set_ratio(r);
                    c.set_knee_db(w);
                    c.set_attack_ms(5.0);
                    c.set_release_ms(50.0);
                    let mut x = -72.0;
                    while x <= 3.0 {
                        c.reset();
                        // RMS level x dBFS: amplitude sqrt2 * 10^(x/20).
                        let amp = from_db(x) * 2f64.sqrt();
                        let input = signal::sine(1000.0, FS, n, amp, 0.1);
                        let out = run(&mut c, &[input]);
                        let (a, _) = fit_sine(&out[0][n - 2400..], 1000.0, FS);
                        let measured = db(a / amp);
                        let expected = textbook_db(x, t, r, w) - x;
                        worst[ti] = worst[ti].max((measured - expected).abs());
                        count += 1;
                        x += 3.0;
                    }
                }
            }
        }
    }
    println!(
        "RMS on 1 kHz sines: worst deviation feed-forward {:.4} dB, feedback {:.4} dB ({count} points)",
        worst[0], worst[1]
    );
    assert!(worst[0] < 0.2 && worst[1] < 0.2, "{worst:?}");
}

/// Gain reduction in dB per sample, from output over input (no lookahead).
fn reduction_db(input: &[f32], output: &[f32]) -> Vec<f64> {
    input
        .iter()
        .zip(output)
        .map(|(&i, &o)| -db(o as f64 / i as f64))
        .collect()
}

/// Samples until the reduction has covered 63.2% of the step from `from` to `to`: the sample at
/// `start` is the first one processed after the step, so index `start + k` is the value after
/// `k + 1` samples; linearly interpolated.
fn time_to_63(gr: &[f64], start: usize, from: f64, to: f64) -> f64 {
    let goal = from + (1.0 - (-1.0f64).exp()) * (to - from);
    let rising = to > from;
    for i in start..gr.len() {
        let reached = if rising { gr[i] >= goal } else { gr[i] <= goal };
        if reached {
            let prev = if i > start { gr[i - 1] } else { from };
            let frac = (goal - prev) / (gr[i] - prev);
            return (i - start) as f64 + frac;
        }
    }
    f64::INFINITY
}

fn step_signal(quiet: f64, loud: f64, pre: usize, on: usize, post: usize) -> Vec<f32> {
    let mut x = vec![from_db(quiet) as f32; pre + on + post];
    x[pre..pre + on]
        .iter_mut()
        .for_each(|v| *v = from_db(loud) as f32);
    x
}

#[test]
fn attack_and_release_cover_63_percent_in_the_set_time() {
    // Threshold -40, infinity:1, hard knee: a step from -60 to 0 dBFS asks for 40 dB of reduction.
    let mut worst = 0.0f64;
    for &(attack, release) in &[(0.1, 5.0), (1.0, 50.0), (10.0, 300.0), (100.0, 1000.0)] {
        let mut c = comp();
        c.set_threshold_db(-40.0);
        c.set_ratio(f64::INFINITY);
        c.set_knee_db(0.0);
        c.set_attack_ms(attack);
        c.set_release_ms(release);
        let (pre, on) = (4800, (attack * 1e-3 * FS * 12.0) as usize + 4800);
        let post = (release * 1e-3 * FS * 4.0) as usize + 100;
        let x = step_signal(-60.0, 0.0, pre, on, post);
        let y = run(&mut c, std::slice::from_ref(&x));
        let gr = reduction_db(&x, &y[0]);
        let ta = time_to_63(&gr, pre, 0.0, 40.0) / FS * 1e3;
        let tr = time_to_63(&gr, pre + on, gr[pre + on - 1], 0.0) / FS * 1e3;
        println!("attack {attack} ms -> measured {ta:.4} ms; release {release} ms -> measured {tr:.4} ms");
        worst = worst
            .max((ta / attack - 1.0).abs())
            .max((tr / release - 1.0).abs());
    }
    println!("worst timing error {:.3}%", worst * 100.0);
    assert!(worst < 0.10, "{worst}");
}

#[test]
fn feedback_timing_is_reported_and_faster_at_higher_ratios() {
    // Feedback loop gain speeds the ballistics up with the ratio (as in analog feedback designs);
    // at 1.5:1 it stays close to the setting.
    let mut times = Vec::new();
    for &ratio in &[1.5, 4.0, 20.0] {
        let mut c = comp();
        c.set_topology(Topology::FeedBack);
        c.set_threshold_db(-40.0);
        c.set_ratio(ratio);
        c.set_knee_db(0.0);
        c.set_attack_ms(10.0);
        c.set_release_ms(100.0);
        let x = step_signal(-60.0, 0.0, 4800, 24_000, 48_000);
        let y = run(&mut c, std::slice::from_ref(&x));
        let gr = reduction_db(&x, &y[0]);
        let full = gr[4800 + 24_000 - 1];
        let ta = time_to_63(&gr, 4800, 0.0, full) / FS * 1e3;
        let tr = time_to_63(&gr, 4800 + 24_000, full, 0.0) / FS * 1e3;
        println!(
            "feedback ratio {ratio}: attack 10 ms -> {ta:.3} ms, release 100 ms -> {tr:.3} ms"
        );
        times.push(ta);
    }
    assert!(times[0] > times[1] && times[1] > times[2], "{times:?}");
    assert!(times[0] > 3.0 && times[0] < 10.5, "{times:?}");
}

#[test]
fn auto_release_is_faster_after_transients_than_after_sustained_compression() {
    let measure = |burst: usize, auto: bool| {
        let mut c = comp();
        c.set_threshold_db(-30.0);
        c.set_ratio(4.0);
        c.set_knee_db(0.0);
        c.set_attack_ms(1.0);
        c.set_release_ms(50.0);
        c.set_auto_release(auto);
        let x = step_signal(-60.0, 0.0, 4800, burst, 96_000);
        let y = run(&mut c, std::slice::from_ref(&x));
        let gr = reduction_db(&x, &y[0]);
        let end = 4800 + burst;
        time_to_63(&gr, end, gr[end - 1], 0.0) / FS * 1e3
    };
    let transient = measure(480, true);
    let sustained = measure(96_000, true);
    let manual_t = measure(480, false);
    let manual_s = measure(96_000, false);
    println!(
        "auto release (release 50 ms): after a 10 ms transient {transient:.1} ms, after 2 s of \
         compression {sustained:.1} ms; manual release: {manual_t:.1} ms / {manual_s:.1} ms"
    );
    assert!(sustained > 3.0 * transient, "{transient} {sustained}");
    assert!((transient / 50.0 - 1.0).abs() < 0.3, "{transient}");
    assert!((manual_t / 50.0 - 1.0).abs() < 0.1 && (manual_s / 50.0 - 1.0).abs() < 0.1);
}

#[test]
fn lookahead_latency_is_exact_and_the_dry_path_is_aligned() {
    for &fs in &[44_100.0, 48_000.0, 96_000.0] {
        for &ms in &[0.0, 1.0, 2.5, 5.0, 10.0] {
            let mut c = Compressor::new();
            c.set_lookahead_ms(ms);
            c.set_threshold_db(0.0);
            c.set_knee_db(0.0);
            c.set_mix(0.5);
            c.prepare(fs, 256);
            let lat = c.latency_samples();
            assert_eq!(lat, (ms * 1e-3 * fs).round() as usize);
            let mut x = vec![0.0f32; 2000];
            x[100] = 0.75;
            let y = run(&mut c, &[x.clone(), x]);
            for ch in &y {
                for (i, &v) in ch.iter().enumerate() {
                    let expect = if i == 100 + lat { 0.75 } else { 0.0 };
                    assert_eq!(v, expect, "fs {fs} lookahead {ms} ms at {i}");
                }
            }
        }
    }
    // With 5 ms lookahead and a 0.5 ms attack the reduction is in place when the step arrives.
    let first_sample_gr = |look: f64| {
        let mut c = comp();
        c.set_threshold_db(-20.0);
        c.set_ratio(f64::INFINITY);
        c.set_knee_db(0.0);
        c.set_attack_ms(0.5);
        c.set_lookahead_ms(look);
        let lat = c.latency_samples();
        let x = step_signal(-60.0, 0.0, 4800, 4800, 0);
        let y = run(&mut c, &[x]);
        -db(y[0][4800 + lat] as f64)
    };
    let (without, with) = (first_sample_gr(0.0), first_sample_gr(5.0));
    println!("reduction on the step's first sample: no lookahead {without:.2} dB, 5 ms lookahead {with:.2} dB (target 20 dB)");
    assert!(with > 19.9 && without < 1.0);
}

#[test]
fn external_sidechain_keys_the_reduction() {
    let n = 9600;
    let main = signal::sine(440.0, FS, n, from_db(-30.0), 0.0);
    let key = vec![1.0f32; n];
    let mut c = comp();
    c.set_threshold_db(-20.0);
    c.set_ratio(4.0);
    c.set_knee_db(0.0);
    c.set_attack_ms(1.0);
    let mut out = main.clone();
    c.process_with_sidechain(&mut [&mut out], &[&key]);
    let gr = -db(fit_sine(&out[n - 2400..], 440.0, FS).0 / from_db(-30.0));
    c.reset();
    let own = run(&mut c, &[main]);
    let own_gr = -db(fit_sine(&own[0][n - 2400..], 440.0, FS).0 / from_db(-30.0));
    println!(
        "keyed by a 0 dBFS side chain: {gr:.4} dB (expected 15); keyed by itself: {own_gr:.5} dB"
    );
    assert!((gr - 15.0).abs() < 0.01 && own_gr.abs() < 1e-4);
}

#[test]
fn sidechain_high_pass_reduces_low_frequency_triggering_by_the_filter_gain() {
    let n = 96_000;
    let gr_for = |freq: f64, hpf: Option<f64>| {
        let mut c = comp();
        c.set_detection(Detection::Rms);
        c.set_rms_window_ms(100.0);
        c.set_threshold_db(-40.0);
        c.set_ratio(4.0);
        c.set_knee_db(0.0);
        c.set_attack_ms(50.0);
        c.set_release_ms(200.0);
        if let Some(f) = hpf {
            c.set_sidechain_hpf(true, f);
            c.reset();
        }
        let x = signal::sine(freq, FS, n, 0.5, 0.0);
        let y = run(&mut c, &[x]);
        -db(fit_sine(&y[0][n - 9600..], freq, FS).0 / 0.5)
    };
    let level = db(0.5 / 2f64.sqrt());
    for &(freq, cutoff) in &[(50.0, 200.0), (40.0, 100.0), (100.0, 500.0)] {
        let (off, on) = (gr_for(freq, None), gr_for(freq, Some(cutoff)));
        let h = dsp_core::filter::BiquadCoeffs::rbj_highpass(
            FS,
            cutoff,
            std::f64::consts::FRAC_1_SQRT_2,
        )
        .magnitude(freq, FS);
        let predicted_drop = (level + 40.0).min(-db(h)) * 0.75;
        println!(
            "{freq} Hz tone, SC HPF {cutoff} Hz: reduction {off:.3} -> {on:.3} dB, drop {:.3} dB \
             (predicted from the filter's {:.2} dB: {predicted_drop:.3})",
            off - on,
            db(h)
        );
        assert!(((off - on) - predicted_drop).abs() < 0.2);
    }
    // A 2 kHz tone passes the filter: no change.
    let (off, on) = (gr_for(2000.0, None), gr_for(2000.0, Some(500.0)));
    println!("2 kHz tone: {off:.3} vs {on:.3} dB");
    assert!((off - on).abs() < 0.1);
}

#[test]
fn stereo_link_from_independent_to_identical_gain() {
    let n = 4800;
    let l = vec![1.0f32; n];
    let r = vec![from_db(-30.0) as f32; n];
    let gains = |link: f64| {
        let mut c = comp();
        c.set_threshold_db(-20.0);
        c.set_ratio(4.0);
        c.set_knee_db(0.0);
        c.set_attack_ms(1.0);
        c.set_stereo_link(link);
        c.reset();
        let y = run(&mut c, &[l.clone(), r.clone()]);
        let gl = -db(y[0][n - 1] as f64 / l[0] as f64);
        let gr = -db(y[1][n - 1] as f64 / r[0] as f64);
        (gl, gr, c.gain_reduction_db(0), c.gain_reduction_db(1), y)
    };
    let (l100, r100, ml, mr, _) = gains(1.0);
    let (l0, r0, _, _, y0) = gains(0.0);
    let (l50, r50, _, _, _) = gains(0.5);
    println!("link 100%: L {l100:.4} R {r100:.4} dB (meters {ml} {mr}); 0%: L {l0:.4} R {r0:.4}; 50%: L {l50:.4} R {r50:.4}");
    assert!((l100 - 15.0).abs() < 1e-3 && (r100 - l100).abs() < 1e-5 && ml == mr);
    assert!((l0 - 15.0).abs() < 1e-3 && y0[1] == r);
    assert!((l50 - 15.0).abs() < 1e-3 && (r50 - 7.5).abs() < 1e-3);
}

#[test]
fn range_clamps_the_reduction() {
    for &range in &[1.0, 6.0, 12.0, 40.0] {
        let mut c = comp();
        c.set_threshold_db(-40.0);
        c.set_ratio(10.0);
        c.set_attack_ms(1.0);
        c.set_range_db(range);
        c.reset();
        let y = run(&mut c, &[vec![1.0; 4800]]);
        let gr = -db(y[0][4799] as f64);
        println!("range {range} dB (curve asks for 36 dB): measured {gr:.4} dB");
        assert!((gr - range.min(36.0)).abs() < 1e-3);
    }
}

#[test]
fn manual_and_auto_makeup() {
    let measure = |c: &mut Compressor, level: f64| {
        c.reset();
        let a = from_db(level) as f32;
        let y = run(c, &[vec![a; 4800]]);
        db(y[0][4799] as f64 / a as f64)
    };
    let mut c = comp();
    c.set_threshold_db(-30.0);
    c.set_ratio(4.0);
    c.set_knee_db(6.0);
    c.set_makeup_db(6.0);
    let below = measure(&mut c, -50.0);
    c.set_makeup_db(0.0);
    c.set_auto_makeup(true);
    let at_ref = measure(&mut c, Compressor::AUTO_MAKEUP_REFERENCE_DB);
    let loud = measure(&mut c, -6.0);
    let expected_loud = textbook_db(-6.0, -30.0, 4.0, 6.0) + 9.0;
    println!(
        "manual +6 dB -> {below:.4} dB; auto make-up {:.3} dB: at the -18 dBFS reference {at_ref:.5} dB, \
         at -6 dBFS out {:.4} dBFS (expected {expected_loud:.4})",
        c.auto_makeup_db(),
        loud - 6.0
    );
    assert!((below - 6.0).abs() < 1e-3);
    assert!(at_ref.abs() < 1e-3 && (c.auto_makeup_db() - 9.0).abs() < 1e-9);
    assert!((loud - 6.0 - expected_loud).abs() < 1e-3);
}

#[test]
fn half_mix_without_reduction_is_bit_exact_and_aligned_with_lookahead() {
    let x = signal::music_like(FS, 1.0, 3);
    for &look in &[0.0, 3.0] {
        let mut c = comp();
        c.set_threshold_db(0.0);
        c.set_knee_db(0.0);
        c.set_mix(0.5);
        c.set_lookahead_ms(look);
        c.reset();
        let lat = c.latency_samples();
        let y = run(&mut c, &x);
        for ch in 0..2 {
            assert!(y[ch][..lat].iter().all(|&v| v == 0.0));
            assert_eq!(
                &y[ch][lat..],
                &x[ch][..x[ch].len() - lat],
                "lookahead {look}"
            );
        }
    }
    // With reduction, 50% mix is the average of dry and fully wet.
    let mut wet = comp();
    wet.set_threshold_db(-30.0);
    wet.set_lookahead_ms(2.0);
    wet.reset();
    let mut half = wet.clone();
    half.set_mix(0.5);
    half.reset();
    let (yw, yh) = (run(&mut wet, &x), run(&mut half, &x));
    let lat = wet.latency_samples();
    let mut worst = 0.0f64;
    for i in lat..x[0].len() {
        let expect = 0.5 * (x[0][i - lat] as f64 + yw[0][i] as f64);
        worst = worst.max((yh[0][i] as f64 - expect).abs());
    }
    println!("50% mix vs (dry + wet)/2 with 2 ms lookahead: worst {worst:.2e}");
    assert!(worst < 1e-6);
}

fn events() -> Vec<Event<Compressor>> {
    vec![
        (
            7_000,
            Box::new(|c: &mut Compressor| c.set_threshold_db(-35.0)),
        ),
        (15_000, Box::new(|c: &mut Compressor| c.set_ratio(8.0))),
        (21_111, Box::new(|c: &mut Compressor| c.set_knee_db(12.0))),
        (30_000, Box::new(|c: &mut Compressor| c.set_attack_ms(0.3))),
        (
            33_333,
            Box::new(|c: &mut Compressor| c.set_release_ms(600.0)),
        ),
        (
            40_000,
            Box::new(|c: &mut Compressor| c.set_sidechain_hpf(true, 150.0)),
        ),
        (
            47_000,
            Box::new(|c: &mut Compressor| c.set_sidechain_hpf(true, 400.0)),
        ),
        (52_000, Box::new(|c: &mut Compressor| c.set_mix(0.6))),
        (60_000, Box::new(|c: &mut Compressor| c.set_makeup_db(4.0))),
        (
            66_000,
            Box::new(|c: &mut Compressor| c.set_stereo_link(0.3)),
        ),
        (
            70_000,
            Box::new(|c: &mut Compressor| c.set_auto_makeup(true)),
        ),
        (75_000, Box::new(|c: &mut Compressor| c.set_range_db(8.0))),
        (
            80_000,
            Box::new(|c: &mut Compressor| c.set_sidechain_hpf(false, 400.0)),
        ),
        (
            84_000,
            Box::new(|c: &mut Compressor| c.set_lookahead_ms(2.0)),
        ),
        (
            86_000,
            Box::new(|c: &mut Compressor| c.set_detection(Detection::Rms)),
        ),
        (
            88_000,
            Box::new(|c: &mut Compressor| c.set_topology(Topology::FeedBack)),
        ),
        (
            90_000,
            Box::new(|c: &mut Compressor| c.set_detection(Detection::Peak)),
        ),
        (
            92_000,
            Box::new(|c: &mut Compressor| c.set_topology(Topology::FeedForward)),
        ),
    ]
}

#[test]
fn block_invariant_with_automation_in_every_mode() {
    let x = signal::music_like(FS, 2.0, 11);
    let x: Vec<Vec<f32>> = x.to_vec();
    for (topology, detection, auto, look) in [
        (Topology::FeedForward, Detection::Peak, false, 5.0),
        // The bus settings: the fused linked-pair pass whenever every ramp is settled.
        (Topology::FeedForward, Detection::Peak, true, 0.0),
        (Topology::FeedForward, Detection::Rms, true, 0.0),
        (Topology::FeedBack, Detection::Peak, true, 1.0),
        (Topology::FeedBack, Detection::Rms, false, 0.0),
    ] {
        let make = || {
            let mut c = Compressor::new();
            c.set_topology(topology);
            c.set_detection(detection);
            c.set_auto_release(auto);
            c.set_lookahead_ms(look);
            c.set_threshold_db(-24.0);
            c.prepare(FS, 256);
            c
        };
        assert_block_invariant(make, &x, &events(), |c, _, b| c.process(b));
    }
    // External side chain: the harness passes the block position to slice the key.
    let key = signal::music_like(FS, 2.0, 12);
    let make = || {
        let mut c = Compressor::new();
        c.set_threshold_db(-30.0);
        c.prepare(FS, 256);
        c
    };
    assert_block_invariant(make, &x, &events(), |c, pos, b| {
        let n = b[0].len();
        c.process_with_sidechain(b, &[&key[0][pos..pos + n], &key[1][pos..pos + n]]);
    });
}

#[test]
fn parameter_changes_are_click_free() {
    // Gain change per sample on a steady tone while make-up, threshold and mix jump.
    let n = 48_000;
    let x = signal::sine(100.0, FS, n, 0.5, 0.0);
    let mut c = comp();
    c.set_threshold_db(-10.0);
    c.set_ratio(4.0);
    c.set_attack_ms(0.05);
    c.set_release_ms(5.0);
    c.set_detection(Detection::Rms);
    c.reset();
    let mut y = x.clone();
    let cuts = [0, 12_000, 24_000, 36_000, n];
    for k in 0..4 {
        match k {
            1 => c.set_makeup_db(12.0),
            2 => c.set_threshold_db(-40.0),
            3 => c.set_mix(0.0),
            _ => {}
        }
        c.process(&mut [&mut y[cuts[k]..cuts[k + 1]]]);
    }
    let mut worst = 0.0f64;
    let mut prev: Option<f64> = None;
    for i in 4800..n {
        if x[i].abs() > 0.05 {
            let g = db(y[i] as f64 / x[i] as f64);
            if let Some(p) = prev {
                worst = worst.max((g - p).abs());
            }
            prev = Some(g);
        } else {
            prev = None;
        }
    }
    println!("largest gain step between samples across +12 dB make-up, -30 dB threshold and mix 1->0 jumps: {worst:.4} dB");
    assert!(worst < 0.05, "{worst}");
}

#[test]
fn non_finite_input_does_not_poison_the_state() {
    let mut x = signal::music_like(FS, 0.5, 5).to_vec();
    let mut clean = x.clone();
    for (i, v) in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY]
        .into_iter()
        .enumerate()
    {
        x[0][1000 + i] = v;
        x[1][2000 + i] = v;
        clean[0][1000 + i] = 0.0;
        clean[1][2000 + i] = 0.0;
    }
    for topology in [Topology::FeedForward, Topology::FeedBack] {
        let mut a = comp();
        a.set_topology(topology);
        a.set_sidechain_hpf(true, 80.0);
        a.set_detection(Detection::Rms);
        a.reset();
        let mut b = a.clone();
        let (ya, yb) = (run(&mut a, &x), run(&mut b, &clean));
        assert_eq!(ya, yb);
        assert!(ya.iter().flatten().all(|v| v.is_finite()));
    }
}

#[test]
fn feedback_loop_is_stable_at_extreme_settings() {
    // Fastest attack, highest ratio, lowest and highest rates: the linearly implicit loop update
    // must settle on the curve without ringing.
    let mut worst_ripple = 0.0f64;
    let mut worst_error = 0.0f64;
    for &fs in &[22_050.0, 384_000.0] {
        for &(attack, knee) in &[(0.0, 0.0), (0.05, 0.0), (0.05, 24.0)] {
            for &detection in &[Detection::Peak, Detection::Rms] {
                let mut c = Compressor::new();
                c.set_topology(Topology::FeedBack);
                c.set_detection(detection);
                c.set_threshold_db(-40.0);
                c.set_ratio(100.0);
                c.set_knee_db(knee);
                c.set_attack_ms(attack);
                c.set_release_ms(5.0);
                c.set_rms_window_ms(1.0);
                c.prepare(fs, 512);
                let n = (0.1 * fs) as usize;
                let y = run(&mut c, &[vec![1.0; n]]);
                let tail: Vec<f64> = y[0][n - 200..].iter().map(|&v| db(v as f64)).collect();
                let (lo, hi) = tail
                    .iter()
                    .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
                worst_ripple = worst_ripple.max(hi - lo);
                worst_error = worst_error.max((hi - textbook_db(0.0, -40.0, 100.0, knee)).abs());
            }
        }
    }
    println!("feedback 100:1, attack 0..0.05 ms at 22.05/384 kHz: steady-state ripple {worst_ripple:.2e} dB, error vs curve {worst_error:.2e} dB");
    assert!(worst_ripple < 1e-3 && worst_error < 0.2);
}

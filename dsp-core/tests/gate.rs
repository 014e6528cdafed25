//! Gate/expander acceptance: no chatter on a decaying tone, attack/hold/release timing,
//! expander curve, meters, block invariance.
mod common;

use common::*;
use dsp_core::dynamics::Gate;
use dsp_core::signal::{self, Rng};

const FS: f64 = 48_000.0;

fn gate(threshold: f64, hysteresis: f64, hold: f64, attack: f64, release: f64) -> Gate {
    let mut g = Gate::new();
    g.set_threshold_db(threshold);
    g.set_hysteresis_db(hysteresis);
    g.set_hold_ms(hold);
    g.set_attack_ms(attack);
    g.set_release_ms(release);
    g.set_range_db(80.0);
    g.prepare(FS, 512);
    g
}

/// Runs sample by sample, returning the output and the sample indices where the gate opened and
/// closed.
fn run_tracking(g: &mut Gate, x: &[f32]) -> (Vec<f32>, Vec<usize>, Vec<usize>) {
    let mut y = x.to_vec();
    let (mut opens, mut closes) = (Vec::new(), Vec::new());
    let mut was = g.is_open();
    for i in 0..y.len() {
        g.process(&mut [&mut y[i..i + 1]]);
        let now = g.is_open();
        if now && !was {
            opens.push(i);
        }
        if !now && was {
            closes.push(i);
        }
        was = now;
    }
    (y, opens, closes)
}

/// 200 Hz sine decaying 60 dB over 2 s from -6 dBFS, over noise at -80 dBFS.
fn decaying_tone() -> Vec<f32> {
    let n = (3.0 * FS) as usize;
    let mut rng = Rng::new(9);
    (0..n)
        .map(|i| {
            let t = i as f64 / FS;
            let env = 0.5 * 10f64.powf(-30.0 * t / 20.0);
            (env * (std::f64::consts::TAU * 200.0 * t).sin() + 1e-4 * rng.bipolar()) as f32
        })
        .collect()
}

#[test]
fn decaying_tone_closes_exactly_once_and_a_naive_gate_chatters() {
    let x = decaying_tone();
    let mut naive = gate(-40.0, 0.0, 0.0, 0.1, 5.0);
    let (_, o_naive, c_naive) = run_tracking(&mut naive, &x);
    let mut good = gate(-40.0, 6.0, 20.0, 0.1, 50.0);
    let (_, o_good, c_good) = run_tracking(&mut good, &x);
    println!(
        "decaying 200 Hz tone: naive gate (hysteresis 0, hold 0) {} opens / {} closes; \
         hysteresis 6 dB + hold 20 ms: {} open / {} close (closed at {:.3} s, level there {:.1} dBFS)",
        o_naive.len(),
        c_naive.len(),
        o_good.len(),
        c_good.len(),
        c_good[0] as f64 / FS,
        -6.0 - 30.0 * c_good[0] as f64 / FS
    );
    assert!(c_naive.len() > 3, "the naive gate was expected to chatter");
    assert_eq!((o_good.len(), c_good.len()), (1, 1));
    // It closes after the tone decayed through the closing threshold (-46 dBFS at 1.33 s).
    let t = c_good[0] as f64 / FS;
    assert!(t > 1.33 && t < 1.45, "{t}");
}

/// Samples from `start` until the gain `g` covered 63.2% of its step from `from` to `to`: the
/// sample at `start` is the first one processed after the change, so index `start + k` is the
/// value after `k + 1` samples; linearly interpolated.
fn time_to_63(g: &[f64], start: usize, from: f64, to: f64) -> f64 {
    let goal = from + (1.0 - (-1.0f64).exp()) * (to - from);
    let up = to > from;
    for i in start..g.len() {
        if (up && g[i] >= goal) || (!up && g[i] <= goal) {
            let prev = if i > start { g[i - 1] } else { from };
            return (i - start) as f64 + (goal - prev) / (g[i] - prev);
        }
    }
    f64::INFINITY
}

#[test]
fn attack_hold_and_release_follow_the_settings() {
    // A constant level (DC at -10 dBFS) for 0.5 s, then -90 dBFS: gain = output / input.
    let on = (0.5 * FS) as usize;
    let n = on + (3.0 * FS) as usize;
    let mut x = vec![10f32.powf(-90.0 / 20.0); n];
    x[..on]
        .iter_mut()
        .for_each(|v| *v = 10f32.powf(-10.0 / 20.0));
    let floor = 10f64.powf(-80.0 / 20.0);
    let mut worst = 0.0f64;
    let mut close_at = Vec::new();
    for &(attack, hold, release) in &[(0.1, 0.0, 20.0), (1.0, 50.0, 100.0), (10.0, 200.0, 500.0)] {
        let mut g = gate(-40.0, 6.0, hold, attack, release);
        let (y, opens, closes) = run_tracking(&mut g, &x);
        let gain: Vec<f64> = y
            .iter()
            .zip(&x)
            .map(|(&o, &i)| o as f64 / i as f64)
            .collect();
        assert_eq!((opens.len(), closes.len()), (1, 1));
        let ta = time_to_63(&gain, opens[0], floor, 1.0) / FS * 1e3;
        let tr = time_to_63(&gain, closes[0], 1.0, floor) / FS * 1e3;
        println!(
            "attack {attack} ms -> {ta:.4} ms; release {release} ms -> {tr:.4} ms; hold {hold} ms: closed {:.3} ms after the level dropped",
            (closes[0] - on) as f64 / FS * 1e3
        );
        worst = worst
            .max((ta / attack - 1.0).abs())
            .max((tr / release - 1.0).abs());
        close_at.push((hold, closes[0]));
    }
    // Hold delays the close by exactly the hold time (the detector's own fall time is the same in
    // every run, so it cancels).
    let base = close_at[0].1 as f64;
    for &(hold, at) in &close_at[1..] {
        let measured = (at as f64 - base) / FS * 1e3;
        println!("hold {hold} ms -> close delayed by {measured:.4} ms");
        assert!((measured - hold).abs() < 1.0 / FS * 1e3 + 1e-9);
    }
    println!("worst attack/release error {:.3}%", worst * 100.0);
    assert!(worst < 0.10);
}

#[test]
fn closed_gate_attenuates_by_the_range_and_meters_report_it() {
    let mut g = gate(-30.0, 4.0, 10.0, 1.0, 10.0);
    g.set_range_db(24.0);
    let x = signal::sine(1000.0, FS, 24_000, 10f64.powf(-50.0 / 20.0), 0.0);
    let mut y = x.clone();
    g.process(&mut [&mut y]);
    let att = -db(fit_sine(&y[19_200..], 1000.0, FS).0 / fit_sine(&x[19_200..], 1000.0, FS).0);
    println!(
        "closed gate, range 24 dB: measured {att:.4} dB, meter {:.4} dB",
        g.gain_reduction_db(0)
    );
    assert!((att - 24.0).abs() < 0.01 && (g.gain_reduction_db(0) as f64 - 24.0).abs() < 0.01);
    // Open on a loud tone: no attenuation, meter at 0.
    let loud = signal::sine(1000.0, FS, 24_000, 0.5, 0.0);
    let mut y = loud.clone();
    g.process(&mut [&mut y]);
    assert_eq!(&y[12_000..], &loud[12_000..]);
    assert!(g.gain_reduction_db(0).abs() < 1e-6);
}

#[test]
fn expander_ratio_follows_the_downward_curve() {
    // Ratio 2 below the closing threshold (-40 - 0 = -40 dBFS): a DC level at L gets (L + 40) dB.
    let mut worst = 0.0f64;
    for &level in &[-45.0, -50.0, -60.0, -70.0] {
        let mut g = gate(-40.0, 0.0, 0.0, 1.0, 5.0);
        g.set_ratio(2.0);
        g.set_range_db(60.0);
        let a = 10f32.powf(level as f32 / 20.0);
        let mut y = vec![a; 9600];
        g.process(&mut [&mut y]);
        let gain = db(y[9599] as f64 / a as f64);
        let expected = (level + 40.0f64).max(-60.0);
        println!("expander 2:1 at {level} dBFS: gain {gain:.4} dB (expected {expected})");
        worst = worst.max((gain - expected).abs());
    }
    assert!(worst < 0.01);
}

#[test]
fn gate_is_block_invariant_with_automation() {
    let x: Vec<Vec<f32>> = signal::music_like(FS, 2.0, 4).to_vec();
    let events: Vec<Event<Gate>> = vec![
        (9_000, Box::new(|g: &mut Gate| g.set_threshold_db(-20.0))),
        (20_000, Box::new(|g: &mut Gate| g.set_hold_ms(5.0))),
        (31_000, Box::new(|g: &mut Gate| g.set_release_ms(30.0))),
        (40_000, Box::new(|g: &mut Gate| g.set_ratio(3.0))),
        (55_555, Box::new(|g: &mut Gate| g.set_hysteresis_db(2.0))),
        (70_000, Box::new(|g: &mut Gate| g.set_range_db(30.0))),
        (80_000, Box::new(|g: &mut Gate| g.set_attack_ms(5.0))),
        // Switched off (it idles once its gain reaches 1) and on again.
        (84_000, Box::new(|g: &mut Gate| g.set_range_db(0.0))),
        (90_000, Box::new(|g: &mut Gate| g.set_range_db(40.0))),
    ];
    let make = || gate(-30.0, 6.0, 20.0, 0.5, 80.0);
    assert_block_invariant(make, &x, &events, |g, _, b| g.process(b));
    let key: Vec<Vec<f32>> = signal::music_like(FS, 2.0, 5).to_vec();
    assert_block_invariant(make, &x, &events, |g, pos, b| {
        let n = b[0].len();
        g.process_with_sidechain(b, &[&key[0][pos..pos + n], &key[1][pos..pos + n]]);
    });
}

/// A plugin switches its gate off with range 0: once the gain has reached 1 the output must be
/// the input exactly (the idle pass), and switching on again must gate as a fresh gate does.
#[test]
fn switched_off_gate_is_bit_transparent_and_switches_on_like_a_fresh_one() {
    let x: Vec<Vec<f32>> = signal::music_like(FS, 1.0, 6).to_vec();
    let mut g = gate(-20.0, 6.0, 20.0, 0.5, 80.0);
    let mut warm = x.clone();
    for b in warm.iter_mut() {
        b.iter_mut().for_each(|v| *v *= 0.01);
    }
    let (a, b) = warm.split_at_mut(1);
    g.process(&mut [&mut a[0], &mut b[0]]);
    g.set_range_db(0.0);
    let settle = 24_000;
    let mut y = x.clone();
    let (a, b) = y.split_at_mut(1);
    g.process(&mut [&mut a[0][..settle], &mut b[0][..settle]]);
    g.process(&mut [&mut a[0][settle..], &mut b[0][settle..]]);
    assert_eq!(&y[0][settle..], &x[0][settle..]);
    assert_eq!(&y[1][settle..], &x[1][settle..]);

    g.set_range_db(80.0);
    let mut fresh = gate(-20.0, 6.0, 20.0, 0.5, 80.0);
    fresh.set_range_db(80.0);
    // A fresh gate starts closed at the floor; the idle one at unity gain: compare after both
    // have opened on the first loud sample and their gains have met.
    let mut y1 = x.clone();
    let mut y2 = x.clone();
    let (a, b) = y1.split_at_mut(1);
    g.process(&mut [&mut a[0], &mut b[0]]);
    let (a, b) = y2.split_at_mut(1);
    fresh.process(&mut [&mut a[0], &mut b[0]]);
    assert_eq!(g.is_open(), fresh.is_open());
    let tail = 40_000;
    let worst = y1[0][tail..]
        .iter()
        .zip(&y2[0][tail..])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-6, "after switching on: {worst} from a fresh gate");
}

#[test]
fn gate_survives_non_finite_input() {
    let mut x = signal::sine(300.0, FS, 9600, 0.5, 0.0);
    x[100] = f32::NAN;
    x[200] = f32::INFINITY;
    let mut g = gate(-30.0, 6.0, 10.0, 1.0, 20.0);
    let mut y = x.clone();
    g.process(&mut [&mut y]);
    assert!(y.iter().all(|v| v.is_finite()));
    assert!((fit_sine(&y[4800..], 300.0, FS).0 - 0.5).abs() < 1e-6);
}

//! Stereo imager: bit-exact mono sum, LR8 mono-bass on the side only, balance law, Pearson
//! correlation meter, block invariance.
mod common;

use common::*;
use dsp_core::imager::{balance_gains, mono_exact_pair, Imager};
use dsp_core::signal::{self, Rng};

fn make(fs: f64) -> Imager {
    let mut im = Imager::new();
    im.prepare(fs, 512);
    im
}

fn run(im: &mut Imager, l: &[f32], r: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let (mut a, mut b) = (l.to_vec(), r.to_vec());
    for (ca, cb) in a.chunks_mut(333).zip(b.chunks_mut(333)) {
        im.process(&mut [ca, cb]);
    }
    (a, b)
}

/// Random samples with random exponents (2^0 .. 2^-40) and signs: the binade mixes where
/// rounding bites.
fn adversarial(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..len)
        .map(|_| {
            let e = rng.range(0, 40) as i32;
            let m = 0.5 + 0.5 * rng.uniform();
            let s = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
            (s * m * 2f64.powi(-e)) as f32
        })
        .collect()
}

type Signals = Vec<(&'static str, Vec<f32>, Vec<f32>)>;

fn test_signals() -> Signals {
    let n = 96_000;
    let music = signal::music_like(48_000.0, 2.0, 3);
    vec![
        (
            "white noise",
            signal::white_noise(n, 0.9, 1),
            signal::white_noise(n, 0.9, 2),
        ),
        ("random exponents", adversarial(n, 3), adversarial(n, 4)),
        ("music", music[0].clone(), music[1].clone()),
        (
            "anti-phase",
            signal::white_noise(n, 0.5, 5),
            signal::white_noise(n, 0.5, 5)
                .iter()
                .map(|v| -v * 0.9)
                .collect(),
        ),
    ]
}

/// Renders with width automation: a new random width (within `lo..hi` percent) every few hundred
/// samples, so the smoother is ramping most of the time.
fn render_automated(l: &[f32], r: &[f32], lo: f64, hi: f64, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut im = make(48_000.0);
    let mut rng = Rng::new(seed);
    let (mut a, mut b) = (l.to_vec(), r.to_vec());
    let mut pos = 0;
    while pos < a.len() {
        im.set_width_percent(lo + (hi - lo) * rng.uniform());
        let n = rng.range(1, 1500).min(a.len() - pos);
        im.process(&mut [&mut a[pos..pos + n], &mut b[pos..pos + n]]);
        pos += n;
    }
    (a, b)
}

#[test]
fn mono_sum_is_bit_exact_at_every_width_up_to_unity_including_automation() {
    let mut checked = 0usize;
    for (name, l, r) in test_signals() {
        for w in [0.0, 12.5, 50.0, 77.7, 99.9, 100.0] {
            let mut im = make(48_000.0);
            im.set_width_percent(w);
            im.reset();
            let (a, b) = run(&mut im, &l, &r);
            for i in 0..l.len() {
                assert_eq!(
                    (a[i] + b[i]).to_bits(),
                    (l[i] + r[i]).to_bits(),
                    "{name} width {w}%: sample {i}: {} + {} vs {} + {}",
                    a[i],
                    b[i],
                    l[i],
                    r[i]
                );
                checked += 1;
            }
        }
        let (a, b) = render_automated(&l, &r, 0.0, 100.0, 9);
        for i in 0..l.len() {
            assert_eq!(
                (a[i] + b[i]).to_bits(),
                (l[i] + r[i]).to_bits(),
                "{name} automated: {i}"
            );
            checked += 1;
        }
    }
    // Width 0 really is mono and 100 % really is the input.
    let (l, r) = (
        signal::white_noise(4800, 0.7, 1),
        signal::white_noise(4800, 0.7, 2),
    );
    let mut im = make(48_000.0);
    let (a, b) = run(&mut im, &l, &r);
    assert!(a == l && b == r, "100 % is bit-transparent");
    im.set_width_percent(0.0);
    im.reset();
    let (a, b) = run(&mut im, &l, &r);
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max);
    assert!(worst <= 2.0 * f32::EPSILON, "width 0: L-R up to {worst}");
    println!("mono sum bit-exact on {checked} samples (width 0..100 %, static and automated)");
}

#[test]
fn widening_beyond_unity_is_exact_when_possible_and_within_half_an_ulp_otherwise() {
    let (mut total, mut exact) = (0usize, 0usize);
    let mut worst_rel = 0f64;
    for (name, l, r) in test_signals() {
        let (a, b) = render_automated(&l, &r, 100.0, 200.0, 11);
        for i in 0..l.len() {
            total += 1;
            let (got, want) = (a[i] + b[i], l[i] + r[i]);
            if got.to_bits() == want.to_bits() {
                exact += 1;
                continue;
            }
            // The miss is bounded by half an ulp of the smaller output.
            let small = a[i].abs().min(b[i].abs());
            let half_ulp = (small.next_up() - small) as f64 / 2.0;
            let err = (got as f64 - want as f64).abs();
            assert!(
                err <= half_ulp * 1.000_001 + (want.next_up() - want).abs() as f64,
                "{name} sample {i}: sum error {err} vs half ulp {half_ulp}"
            );
            let big = a[i].abs().max(b[i].abs()) as f64;
            worst_rel = worst_rel.max(err / big);
        }
    }
    println!(
        "width 100..200 %: {:.2} % of samples bit-exact, worst mono-sum error {:.1} dB re the larger output",
        100.0 * exact as f64 / total as f64,
        db(worst_rel)
    );
    assert!(worst_rel < 1e-7);
}

#[test]
fn widening_beyond_unity_cannot_be_bit_exact() {
    // L = 0.75, R = -(0.3 with its last mantissa bit set): the f32 sum 0.45... has a bit at 2^-25.
    let l = 0.75f32;
    let r = -f32::from_bits(0.3f32.to_bits() | 1);
    let sum = l + r;
    assert_eq!(sum as f64, l as f64 + r as f64, "the input sum is exact");
    assert!(
        (sum as f64 * 2f64.powi(25)).fract() == 0.0 && (sum as f64 * 2f64.powi(24)).fract() != 0.0
    );
    // Width 200 %: ideal L' = 1.275, R' = -0.825. Search every float pair within 2^20 ulps of the
    // ideal left output, solving the right one exactly and trying its neighbours.
    let (mid, side) = (0.5 * (l as f64 + r as f64), 0.5 * (l as f64 - r as f64));
    let (tl, tr) = (mid + 2.0 * side, mid - 2.0 * side);
    let mut a = (tl as f32).to_bits() - (1 << 20);
    let end = (tl as f32).to_bits() + (1 << 20);
    while a <= end {
        let af = f32::from_bits(a);
        let b0 = sum - af;
        for b in [b0.next_down(), b0, b0.next_up()] {
            assert_ne!((af + b).to_bits(), sum.to_bits(), "found {af} + {b}");
        }
        a += 1;
    }
    let span = f32::from_bits((tl as f32).to_bits() + (1 << 20)) as f64 - tl;
    println!("no f32 pair within +-{span:.3} of (L', R') = ({tl:.4}, {tr:.4}) sums to fl(L + R)");
    // The imager returns the nearest achievable pair: the sum misses by exactly 2^-25.
    let (a, b) = mono_exact_pair(l, r, tl, tr);
    assert_eq!(((a + b) as f64 - sum as f64).abs(), 2f64.powi(-25));
    assert!((a as f64 - tl).abs() < 1e-6 && (b as f64 - tr).abs() < 1e-6);
}

#[test]
fn mono_bass_removes_side_below_half_f_and_keeps_side_above_2f_and_leaves_mid_untouched() {
    for fs in [44_100.0, 48_000.0, 192_000.0] {
        for f in [20.0, 120.0, 500.0] {
            let len = (fs * 2.0) as usize;
            let level = |freq: f64| -> (f64, f64) {
                // Side-only tone plus a mid tone at the same frequency on top.
                let side = signal::sine(freq, fs, len, 0.25, 0.0);
                let mid = signal::sine(freq * 1.37, fs, len, 0.25, 0.5);
                let l: Vec<f32> = mid.iter().zip(&side).map(|(m, s)| m + s).collect();
                let r: Vec<f32> = mid.iter().zip(&side).map(|(m, s)| m - s).collect();
                let mut im = make(fs);
                im.set_mono_bass_freq(f);
                im.set_mono_bass_on(true);
                im.reset();
                let (a, b) = run(&mut im, &l, &r);
                // The LR8 side can briefly exceed the input side (its phase shift), which is a local
                // widening: the mono sum is then within half an ulp, not always bit-exact.
                let mut exact = 0usize;
                for i in 0..len {
                    let (got, want) = (a[i] + b[i], l[i] + r[i]);
                    if got.to_bits() == want.to_bits() {
                        exact += 1;
                    } else {
                        let small = a[i].abs().min(b[i].abs());
                        let err = (got - want).abs();
                        assert!(err <= (small.next_up() - small).max(want.next_up() - want));
                    }
                }
                let mono_ok = exact as f64 / len as f64;
                let s_out: Vec<f32> = a.iter().zip(&b).map(|(x, y)| 0.5 * (x - y)).collect();
                let settle = len / 2;
                (
                    db(tone_amplitude(&s_out[settle..], freq, fs) / 0.25),
                    mono_ok,
                )
            };
            let (low, mono_low) = level(f / 2.0);
            let (high, mono_high) = level(2.0 * f);
            let (far, _) = level((8.0 * f).min(0.4 * fs));
            println!(
                "fs {fs} f {f}: side at f/2 {low:.2} dB, at 2f {high:.4} dB, at 8f {far:.4} dB; mono sum bit-exact on {:.1} % / {:.1} % of samples",
                100.0 * mono_low,
                100.0 * mono_high
            );
            assert!(low < -40.0, "side at f/2: {low} dB");
            assert!(high.abs() < 0.1, "side at 2f: {high} dB");
            assert!(far.abs() < 0.01, "side at 8f: {far} dB");
        }
    }
}

#[test]
fn mono_bass_leaves_a_pure_mid_signal_bit_identical() {
    let x = signal::music_like(48_000.0, 1.0, 2)[0].clone();
    let mut im = make(48_000.0);
    im.set_mono_bass_on(true);
    im.set_mono_bass_freq(250.0);
    let (a, b) = run(&mut im, &x, &x);
    assert!(a == x && b == x);
}

#[test]
fn balance_law_is_unity_at_centre_and_constant_power_taper_off_centre() {
    let (l, r) = (
        signal::white_noise(9600, 0.5, 1),
        signal::white_noise(9600, 0.5, 2),
    );
    let mut im = make(48_000.0);
    im.set_pan(0.0);
    let (a, b) = run(&mut im, &l, &r);
    assert!(a == l && b == r, "centre is bit-transparent");
    for pan in [-100.0, -50.0, -10.0, 25.0, 50.0, 100.0] {
        let mut im = make(48_000.0);
        im.set_pan(pan);
        im.reset();
        let (a, b) = run(&mut im, &l, &r);
        let (gl, gr) = (rms(&a) / rms(&l), rms(&b) / rms(&r));
        let theta = (pan / 100.0 + 1.0) * std::f64::consts::FRAC_PI_4;
        let want_l = (2f64.sqrt() * theta.cos()).min(1.0);
        let want_r = (2f64.sqrt() * theta.sin()).min(1.0);
        println!("pan {pan}: L {:.2} dB, R {:.2} dB", db(gl), db(gr));
        assert!((gl - want_l).abs() < 1e-6 && (gr - want_r).abs() < 1e-6);
        if pan == 50.0 {
            assert!((db(gl) + 5.33).abs() < 0.01);
        }
    }
    assert_eq!(balance_gains(1.0), (0.0, 1.0));
    assert_eq!(balance_gains(0.0), (1.0, 1.0));
}

fn pearson(x: &[f32], y: &[f32]) -> f64 {
    let n = x.len() as f64;
    let mx = x.iter().map(|&v| v as f64).sum::<f64>() / n;
    let my = y.iter().map(|&v| v as f64).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        let (a, b) = (a as f64 - mx, b as f64 - my);
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    sxy / (sxx * syy).sqrt()
}

#[test]
fn correlation_equals_pearson_over_its_window() {
    for fs in [44_100.0, 48_000.0, 96_000.0] {
        let len = (fs * 1.5) as usize;
        let common_part = signal::white_noise(len, 0.5, 1);
        let other = signal::white_noise(len, 0.5, 2);
        for (k, mix) in [1.0f32, 0.7, 0.2, 0.0, -0.5, -1.0].iter().enumerate() {
            // R = mix * L-ish + (1 - |mix|) * independent noise, plus a DC offset on L, and the
            // input changes character halfway so the window really slides.
            let l: Vec<f32> = common_part.iter().map(|v| v + 0.05).collect();
            let r: Vec<f32> = (0..len)
                .map(|i| {
                    let m = if i < len / 2 { *mix } else { -mix * 0.5 };
                    m * common_part[i] + (1.0 - m.abs()) * other[i]
                })
                .collect();
            let mut im = make(fs);
            let win = im.meter().window_len();
            let (mut a, mut b) = (l.clone(), r.clone());
            let mut worst = 0f64;
            let mut checks = 0;
            let mut pos = 0;
            let step = win / 30; // one sub-block
            while pos + step <= len {
                im.process(&mut [&mut a[pos..pos + step], &mut b[pos..pos + step]]);
                pos += step;
                if pos >= win {
                    let direct = pearson(&a[pos - win..pos], &b[pos - win..pos]);
                    worst = worst.max((direct - im.correlation() as f64).abs());
                    checks += 1;
                }
            }
            println!(
                "fs {fs} case {k}: worst |meter - Pearson| = {worst:.2e} over {checks} readings"
            );
            assert!(worst < 1e-3);
        }
    }
    let mut im = make(48_000.0);
    let x = signal::white_noise(48_000, 0.5, 3);
    let (_, _) = run(&mut im, &x, &x);
    assert!((im.correlation() - 1.0).abs() < 1e-6);
    let neg: Vec<f32> = x.iter().map(|v| -v).collect();
    let (_, _) = run(&mut im, &x, &neg);
    assert!((im.correlation() + 1.0).abs() < 1e-6);
    let zeros = vec![0f32; 48_000];
    let (_, _) = run(&mut im, &zeros, &zeros);
    assert_eq!(im.correlation(), 0.0);
}

#[test]
fn block_invariant_with_events() {
    let [l, r] = signal::music_like(48_000.0, 1.5, 9);
    let events: Vec<Event<Imager>> = vec![
        (3000, Box::new(|p: &mut Imager| p.set_width_percent(180.0))),
        (9000, Box::new(|p: &mut Imager| p.set_mono_bass_on(true))),
        (
            15000,
            Box::new(|p: &mut Imager| p.set_mono_bass_freq(400.0)),
        ),
        (21000, Box::new(|p: &mut Imager| p.set_pan(-35.0))),
        (30001, Box::new(|p: &mut Imager| p.set_width_percent(20.0))),
        (40000, Box::new(|p: &mut Imager| p.set_mono_bass_on(false))),
        (52000, Box::new(|p: &mut Imager| p.set_mono_bass_on(true))),
        (60000, Box::new(|p: &mut Imager| p.set_mono_bass_freq(30.0))),
    ];
    assert_block_invariant(
        || make(48_000.0),
        &[l, r],
        &events,
        |p, _, ch| p.process(ch),
    );
}

#[test]
fn parameter_changes_are_click_free_and_nan_does_not_poison() {
    let fs = 48_000.0;
    let l = signal::sine(80.0, fs, 48_000, 0.5, 0.0);
    let r = signal::sine(80.0, fs, 48_000, 0.5, 2.0);
    let mut im = make(fs);
    let (mut a, mut b) = (l.clone(), r.clone());
    im.process(&mut [&mut a[..10_000], &mut b[..10_000]]);
    im.set_mono_bass_on(true);
    im.set_width_percent(200.0);
    im.set_pan(60.0);
    im.process(&mut [&mut a[10_000..30_000], &mut b[10_000..30_000]]);
    im.set_mono_bass_on(false);
    im.process(&mut [&mut a[30_000..], &mut b[30_000..]]);
    // An 80 Hz sine of amplitude <= 1 moves at most 2 pi 80 / 48000 per sample; a click would jump.
    let max_step = a
        .windows(2)
        .chain(b.windows(2))
        .map(|w| (w[1] - w[0]).abs())
        .fold(0f32, f32::max);
    assert!(max_step < 0.025, "largest step {max_step}");

    let mut x = signal::white_noise(4800, 0.5, 1);
    x[100] = f32::NAN;
    x[200] = f32::INFINITY;
    let mut im = make(fs);
    im.set_mono_bass_on(true);
    im.set_width_percent(150.0);
    let (a, b) = run(&mut im, &x, &signal::white_noise(4800, 0.5, 2));
    assert!(a.iter().chain(&b).all(|v| v.is_finite()));
    assert!(rms(&a[4000..]) > 0.1);
}

#[test]
fn crossover_sweep_lands_exactly_on_the_new_frequency() {
    let fs = 48_000.0;
    let len = 96_000;
    let side = signal::sine(200.0, fs, len, 0.25, 0.0);
    let l = side.clone();
    let r: Vec<f32> = side.iter().map(|v| -v).collect();
    let level = |swept: bool| {
        let mut im = make(fs);
        im.set_mono_bass_on(true);
        im.set_mono_bass_freq(if swept { 120.0 } else { 400.0 });
        im.reset();
        let (mut a, mut b) = (l.clone(), r.clone());
        im.process(&mut [&mut a[..1001], &mut b[..1001]]);
        im.set_mono_bass_freq(400.0);
        im.process(&mut [&mut a[1001..], &mut b[1001..]]);
        db(tone_amplitude(&a[48_000..], 200.0, fs) / 0.25)
    };
    let (swept, fresh) = (level(true), level(false));
    println!(
        "side at 200 Hz after a 120 -> 400 Hz sweep: {swept:.4} dB, set directly: {fresh:.4} dB"
    );
    assert!((swept - fresh).abs() < 1e-6);
}

/// Mono bass switched off at 100 % width must bring the imager back to its transparent path.
/// Its side filter was only cleared while the width was off 100 %, so this order of changes
/// (found by the Maximizer's 24-hour soak: 5 % slower than a fresh instance for good) left it
/// running the per-sample path forever, its output the input all the same.
#[test]
fn mono_bass_off_at_full_width_returns_to_the_transparent_path() {
    let fs = 48_000.0;
    let x = signal::music_like(fs, 1.0, 5);
    for width_first in [false, true] {
        let mut im = make(fs);
        assert!(im.is_transparent());
        if width_first {
            im.set_width_percent(150.0);
            run(&mut im, &x[0], &x[1]);
        }
        im.set_mono_bass_on(true);
        run(&mut im, &x[0], &x[1]);
        im.set_width_percent(100.0);
        im.set_mono_bass_on(false);
        run(&mut im, &x[0], &x[1]);
        let (l, r) = run(&mut im, &x[0], &x[1]);
        assert!(im.is_transparent(), "width changed first: {width_first}");
        assert_eq!((l, r), (x[0].clone(), x[1].clone()));
    }
}

#[test]
fn correlation_meter_switched_off_skips_and_reads_only_new_audio_once_back_on() {
    // A plugin switches the meter off while its editor is closed. The audio must not change,
    // the reading must hold still while off, and once back on the meter must read the audio
    // since then alone: Pearson's over that audio after one sub-block and after a full window.
    // Before: the channels out of phase; after: in phase, so a leftover would show.
    let fs = 48_000.0;
    let x = signal::white_noise(fs as usize, 0.5, 7);
    let neg: Vec<f32> = x.iter().map(|v| -v).collect();
    let (mut metered, mut blind) = (make(fs), make(fs));
    blind.set_width_percent(80.0);
    metered.set_width_percent(80.0);
    let (a, b) = run(&mut metered, &x, &neg);
    blind.set_metering(false);
    let (c, d) = run(&mut blind, &x, &neg);
    assert_eq!((a, b), (c, d), "metering changed the audio");
    assert!((metered.correlation() + 1.0).abs() < 1e-6);
    assert_eq!(
        blind.correlation(),
        0.0,
        "a meter switched off from the start read"
    );
    let held = metered.correlation();
    metered.set_metering(false);
    run(&mut metered, &x, &x);
    assert_eq!(metered.correlation(), held, "the reading moved while off");

    metered.set_metering(true);
    let win = metered.meter().window_len();
    let sub = win / 30;
    let (mut l, mut r) = (x.clone(), x.clone());
    metered.process(&mut [&mut l[..sub], &mut r[..sub]]);
    let first = metered.correlation() as f64;
    let direct = pearson(&l[..sub], &r[..sub]);
    println!("one sub-block after switching on: {first} (Pearson of that audio {direct})");
    assert!((first - direct).abs() < 1e-6);
    metered.process(&mut [&mut l[sub..win], &mut r[sub..win]]);
    let full = metered.correlation() as f64;
    assert!((full - pearson(&l[..win], &r[..win])).abs() < 1e-6);
}

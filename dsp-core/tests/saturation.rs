//! Saturation: exact bypass at 0 %, smooth harmonic growth, level compensation, aliasing of a
//! 5 kHz tone at full drive, half-band filter specs, zero latency, block invariance.
mod common;

use common::*;
use dsp_core::saturation::Saturation;
use dsp_core::signal;

fn make(fs: f64, drive: f64) -> Saturation {
    let mut s = Saturation::new();
    s.prepare(fs, 512);
    s.set_drive_percent(drive);
    s.reset();
    s
}

fn run(s: &mut Saturation, x: &[f32]) -> Vec<f32> {
    let mut y = x.to_vec();
    for c in y.chunks_mut(700) {
        s.process(&mut [c]);
    }
    y
}

#[test]
fn zero_drive_is_bit_transparent_including_after_automation() {
    let [l, r] = signal::music_like(48_000.0, 1.0, 2);
    let mut s = make(48_000.0, 0.0);
    let (mut a, mut b) = (l.clone(), r.clone());
    s.process(&mut [&mut a, &mut b]);
    assert!(a == l && b == r);
    // Up to 60 % and back to 0: once the 20 ms crossfade is over, the output is the input again.
    let mut s = make(48_000.0, 0.0);
    let mut y = l.clone();
    s.set_drive_percent(60.0);
    s.process(&mut [&mut y[..10_000]]);
    s.set_drive_percent(0.0);
    s.process(&mut [&mut y[10_000..]]);
    assert!(y[..10_000] != l[..10_000]);
    assert_eq!(&y[10_000 + 960..], &l[10_000 + 960..]);
}

#[test]
fn halfband_stages_meet_their_specs() {
    let s = make(48_000.0, 50.0);
    let [steep, relaxed] = s.stages();
    // Frequencies normalised to each stage's high rate.
    let check = |h: &dsp_core::saturation::HalfbandIir, pass: f64, stop: f64, atten: f64| {
        let ripple = (0..=2000)
            .map(|i| db(h.magnitude(pass * i as f64 / 2000.0)).abs())
            .fold(0.0, f64::max);
        let rejection = (0..=4000)
            .map(|i| db(h.magnitude(stop + (0.5 - stop) * i as f64 / 4000.0)))
            .fold(-1e9, f64::max);
        println!("half-band: passband ripple {ripple:.2e} dB to {pass}, stopband {rejection:.1} dB from {stop}");
        assert!(ripple < 1e-3 && rejection < -atten);
    };
    check(steep, 0.2396, 0.2604, 85.0);
    check(relaxed, 0.1302, 0.37, 75.0);
}

#[test]
fn aliasing_of_a_5khz_sine_at_full_drive_is_60_db_down() {
    for fs in [44_100.0, 48_000.0, 96_000.0, 192_000.0] {
        for level_db in [0.0, -6.0, -12.0] {
            let n = 1 << 16;
            let settle = 24_000;
            let amp = 10f64.powf(level_db / 20.0);
            let x = signal::sine(5000.0, fs, n + settle, amp, 0.0);
            let mut s = make(fs, 100.0);
            let y: Vec<f64> = run(&mut s, &x)[settle..]
                .iter()
                .map(|&v| v as f64)
                .collect();
            let spec = spectrum_db(&y);
            let bin_hz = fs / n as f64;
            let fund = spec
                [(5000.0 / bin_hz).round() as usize - 3..=(5000.0 / bin_hz).round() as usize + 3]
                .iter()
                .fold(-1e9f64, |m, &v| m.max(v));
            let mut worst = (-1e9f64, 0.0f64);
            let mut harmonics = vec![];
            for (k, &v) in spec.iter().enumerate() {
                let f = k as f64 * bin_hz;
                if f < 20.0 {
                    continue;
                }
                // Legitimate: every harmonic below Nyquist.
                let near_harmonic = (1..)
                    .map(|h| 5000.0 * h as f64)
                    .take_while(|&fh| fh < fs / 2.0)
                    .any(|fh| (f - fh).abs() <= 10.0 * bin_hz);
                if near_harmonic {
                    continue;
                }
                if v - fund > worst.0 {
                    worst = (v - fund, f);
                }
            }
            for h in 2..=4 {
                let c = (5000.0 * h as f64 / bin_hz).round() as usize;
                harmonics.push(spec[c - 3..=c + 3].iter().fold(-1e9f64, |m, &v| m.max(v)) - fund);
            }
            println!(
                "fs {fs}, {level_db} dBFS, 100 % drive: H2..H4 {:.1} / {:.1} / {:.1} dB, worst non-harmonic {:.1} dB at {:.0} Hz",
                harmonics[0], harmonics[1], harmonics[2], worst.0, worst.1
            );
            assert!(worst.0 < -60.0);
        }
    }
}

fn harmonic_levels(s: &mut Saturation, amp: f64) -> (f64, f64, f64, f64) {
    let fs = 48_000.0;
    let x = signal::sine(1000.0, fs, 48_000, amp, 0.0);
    let y = run(s, &x);
    let t = &y[24_000..];
    let h1 = tone_amplitude(t, 1000.0, fs);
    (
        db(h1 / amp),
        db(tone_amplitude(t, 2000.0, fs) / h1),
        db(tone_amplitude(t, 3000.0, fs) / h1),
        db(tone_amplitude(t, 5000.0, fs) / h1),
    )
}

#[test]
fn harmonics_grow_smoothly_with_drive_mostly_odd_with_some_even() {
    let mut last_h3 = -300.0;
    for step in 1..=10 {
        let drive = 10.0 * step as f64;
        let mut s = make(48_000.0, drive);
        let (g1, h2, h3, h5) = harmonic_levels(&mut s, 0.5);
        println!("drive {drive}% at -6 dBFS: fundamental {g1:+.2} dB, H2 {h2:.1}, H3 {h3:.1}, H5 {h5:.1} dB");
        assert!(h3 > last_h3, "H3 must rise with drive");
        if step > 1 {
            assert!(h3 - last_h3 < 12.0, "no jumps: {last_h3} -> {h3}");
        }
        assert!(h3 > h2 + 3.0, "mostly odd");
        assert!(h2 > -70.0, "a touch of even");
        last_h3 = h3;
    }
    // Just above zero the distortion is tiny: no step from bypass.
    let mut s = make(48_000.0, 1.0);
    let (_, _, h3, _) = harmonic_levels(&mut s, 0.5);
    println!("drive 1%: H3 {h3:.1} dB");
    assert!(h3 < -45.0);
}

#[test]
fn level_is_compensated_at_mix_levels() {
    let [l, _] = signal::music_like(48_000.0, 3.0, 5);
    // Programme at -18 dBFS RMS, the usual channel-strip operating level.
    let g = 10f64.powf(-18.0 / 20.0) / rms(&l);
    let x: Vec<f32> = l.iter().map(|v| (*v as f64 * g) as f32).collect();
    let mut worst = 0f64;
    for drive in [25.0, 50.0, 75.0, 100.0] {
        let mut s = make(48_000.0, drive);
        let y = run(&mut s, &x);
        let d = db(rms(&y[4800..]) / rms(&x[4800..]));
        println!("drive {drive}%: programme level {d:+.2} dB");
        worst = worst.max(d.abs());
        let mut s = make(48_000.0, drive);
        let (g1, _, _, _) = harmonic_levels(&mut s, 0.25);
        println!("drive {drive}%: -12 dBFS sine fundamental {g1:+.2} dB");
        assert!(g1.abs() < 0.05);
    }
    assert!(worst < 1.0, "level moves {worst} dB");
}

#[test]
fn zero_latency_and_small_group_delay() {
    let fs = 48_000.0;
    let s = make(fs, 100.0);
    assert_eq!(s.latency_samples(), 0);
    assert_eq!(s.oversampling_factor(), 4);
    assert_eq!(make(96_000.0, 1.0).oversampling_factor(), 2);
    // Phase delay of the (nearly linear) path at low level, from the fitted phase of a sine.
    for f in [1000.0, 10_000.0] {
        let x = signal::sine(f, fs, 48_000, 1e-3, 0.0);
        let mut s = make(fs, 100.0);
        let y = run(&mut s, &x);
        let w = std::f64::consts::TAU * f / fs;
        let phase = |v: &[f32]| {
            let (mut re, mut im) = (0.0, 0.0);
            for (n, &s) in v.iter().enumerate().skip(24_000) {
                re += s as f64 * (w * n as f64).cos();
                im += s as f64 * (w * n as f64).sin();
            }
            im.atan2(re)
        };
        let mut dphi = phase(&y) - phase(&x);
        while dphi < 0.0 {
            dphi += std::f64::consts::TAU;
        }
        let delay = dphi / w;
        println!("phase delay at {f} Hz: {delay:.2} samples");
        if f == 1000.0 {
            assert!(delay < 5.0);
        }
    }
}

#[test]
fn block_invariant_with_events_and_nan_safe() {
    let [l, r] = signal::music_like(48_000.0, 1.0, 8);
    let events: Vec<Event<Saturation>> = vec![
        (
            2000,
            Box::new(|s: &mut Saturation| s.set_drive_percent(40.0)),
        ),
        (
            9000,
            Box::new(|s: &mut Saturation| s.set_drive_percent(100.0)),
        ),
        (
            20000,
            Box::new(|s: &mut Saturation| s.set_drive_percent(0.0)),
        ),
        (
            30000,
            Box::new(|s: &mut Saturation| s.set_drive_percent(70.0)),
        ),
    ];
    assert_block_invariant(
        || make(48_000.0, 0.0),
        &[l, r],
        &events,
        |s, _, ch| s.process(ch),
    );

    let mut x = signal::sine(440.0, 48_000.0, 9600, 0.5, 0.0);
    x[100] = f32::NAN;
    x[101] = f32::INFINITY;
    let mut s = make(48_000.0, 80.0);
    let y = run(&mut s, &x);
    assert!(y.iter().all(|v| v.is_finite()));
    assert!(rms(&y[4800..]) > 0.2);
}

#[test]
fn aliasing_stays_60_db_down_across_the_band() {
    let fs = 48_000.0;
    let n = 1 << 15;
    let settle = 12_000;
    let bin_hz = fs / n as f64;
    let mut report = vec![];
    for f0 in [997.0, 3001.0, 7003.0, 10_007.0, 15_013.0] {
        let x = signal::sine(f0, fs, n + settle, 0.5, 0.0);
        let mut s = make(fs, 100.0);
        let y: Vec<f64> = run(&mut s, &x)[settle..]
            .iter()
            .map(|&v| v as f64)
            .collect();
        let spec = spectrum_db(&y);
        let fund = spec[(f0 / bin_hz).round() as usize];
        let (mut worst, mut at) = (-1e9f64, 0.0);
        for (k, &v) in spec.iter().enumerate() {
            let f = k as f64 * bin_hz;
            let harmonic = (1..=24).any(|h| (f - f0 * h as f64).abs() <= 10.0 * bin_hz);
            if f >= 20.0 && !harmonic && v - fund > worst {
                (worst, at) = (v - fund, f);
            }
        }
        report.push(format!("{f0} Hz: {worst:.1} dB at {at:.0} Hz"));
        assert!(worst < -60.0, "{f0} Hz: alias at {worst} dB");
    }
    println!(
        "-6 dBFS, 100 % drive, worst non-harmonic: {}",
        report.join(", ")
    );
}

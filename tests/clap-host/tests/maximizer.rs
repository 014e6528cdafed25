//! Lathe Maximizer, loaded from its built CLAP bundle: the standard checks, the ceiling, and
//! latency that follows the lookahead.

use lathe_host_tests::analysis::*;
use lathe_host_tests::suite::{self as s, Spec};
use lathe_host_tests::*;

const SPEC: Spec = Spec {
    plugin: MAXIMIZER,
    features: &["stereo"],
    gain: ("gain", "6", None),
    transparent: &[],
    busy: &[("gain", "12")],
};

lathe_suite!(SPEC);

/// Reported latency follows the lookahead and equals the measured delay for two lookahead
/// values; changing the lookahead while active ends with reported == measured again (after the
/// restart the plugin asks for, which the harness performs as a DAW does).
#[test]
fn latency_follows_lookahead() {
    let sr = 48_000.0;
    let mut figures = Vec::new();
    for la in ["1 ms", "5 ms"] {
        let mut p = SPEC.new_instance();
        p.set_text("lookahead", la);
        p.activate(sr, 512);
        let (reported, delay, lag) = s::measure_latency(&mut p, &SPEC);
        assert_eq!((delay, lag), (reported as usize, reported as usize),
            "lookahead {la}: reported {reported}, measured {delay} (impulse) / {lag} (music)");
        figures.push(reported);
    }
    let grew = figures[1] as i64 - figures[0] as i64;
    assert!((grew - 192).abs() <= 2, "4 ms more lookahead added {grew} samples of latency at 48 kHz (expected 192)");

    // Changed while active (as a knob turned during playback).
    let mut p = SPEC.new_instance();
    p.set_text("lookahead", "1 ms");
    p.activate(sr, 512);
    p.set_text("lookahead", "5 ms");
    let x = music(sr, 0.1, 3);
    p.render(&[x], &[], Blocks::Fixed(512));
    p.serve_restart();
    let (reported, delay, lag) = s::measure_latency(&mut p, &SPEC);
    println!("lookahead 1 ms / 5 ms: latency {figures:?}; after a live change: reported {reported}, measured {delay}/{lag}, restarts {}", p.restarts_handled);
    assert_eq!((delay, lag), (reported as usize, reported as usize),
        "after changing the lookahead while active: reported {reported}, measured {delay} (impulse) / {lag} (music)");
    assert_eq!(reported, figures[1], "after the live change and restart the latency should be the 5 ms one");
    // The host learns of the change the CLAP way: a restart request, then latency.changed
    // (on the main thread) when reactivated, so a DAW re-queries the latency for its PDC.
    let notified = p.with_record(|r| r.latency_changed.load(std::sync::atomic::Ordering::SeqCst));
    assert!(p.restarts_handled >= 1 && notified >= 1, "restarts {}, latency.changed {notified}", p.restarts_handled);
    assert!(p.violations().is_empty(), "{:?}", p.violations());
}

/// With default settings (ceiling -1 dBFS) and +12 dB of gain into music and clipped drums,
/// no output sample exceeds the ceiling, at every sample rate.
#[test]
fn output_stays_under_the_ceiling() {
    let ceiling = 10f32.powf(-1.0 / 20.0);
    for sr in s::SAMPLE_RATES {
        let mut p = SPEC.new_instance();
        p.set_text("gain", "12");
        p.activate(sr, 512);
        let [l, r] = dsp_core::signal::clipped_drums(sr, 0.3, 5);
        for input in [music(sr, 0.3, 4), vec![l, r]] {
            let out = p.render(&[input], &[], Blocks::Fixed(512));
            let pk = peak(&out);
            assert!(pk <= ceiling * 1.0001, "{sr} Hz: sample peak {pk} ({:.2} dBFS) over the -1 dBFS ceiling", db(pk as f64));
        }
    }
}

/// With True Peak on (the default), the output's true peak stays under the -1 dBTP ceiling
/// (BS.1770 4x measurement with dsp-core's meter, 0.1 dB allowance for the meter's
/// interpolator) for music and clipped drums pushed +12 dB, at 44.1 and 48 kHz, also with the
/// width and tone EQ stages (before the limiter) engaged. The 16x reading is printed.
#[test]
fn true_peak_stays_under_the_ceiling() {
    for sr in [44_100.0, 48_000.0] {
        for extra in [&[][..], &[("width", "150"), ("eq_high_gain", "6"), ("eq_low_gain", "6")][..]] {
            let mut p = SPEC.new_instance();
            p.set_text("gain", "12");
            for (id, t) in extra {
                p.set_text(id, t);
            }
            p.activate(sr, 512);
            let [l, r] = dsp_core::signal::clipped_drums(sr, 0.5, 9);
            for (what, input) in [("music", music(sr, 0.5, 4)), ("clipped drums", vec![l, r])] {
                let out = p.render(&[input], &[], Blocks::Fixed(512));
                let tp = |factor: usize| {
                    let mut meter = dsp_core::meter::true_peak::TruePeakMeter::new(factor);
                    meter.prepare(sr, out[0].len(), 2);
                    meter.process(&[&out[0], &out[1]]);
                    meter.true_peak_dbtp()
                };
                let (tp4, tp16) = (tp(4), tp(16));
                println!("{sr} Hz {what} {extra:?}: true peak {tp4:+.3} dBTP (4x), {tp16:+.3} (16x)");
                assert!(
                    tp4 <= -1.0 + 0.1,
                    "{sr} Hz, {what}, {extra:?}: true peak {tp4:+.3} dBTP (4x; {tp16:+.3} at 16x) over the -1 dBTP ceiling"
                );
            }
        }
    }
}

//! The drive search: it converges on a limiter-like (compressive, saturating) loudness curve in
//! few renders, stays in the Gain range, and says so when the target is out of reach.

mod common;

use common::*;
use lathe_cli::{miss_note, search_gain, AIM_LU, GAIN_RANGE_DB, MAX_RENDERS};

/// Loudness of a programme at `gain` dB of drive into a limiter: 1:1 while under the ceiling,
/// then growing ever slower towards `max`.
fn limiter_like(input: f64, knee: f64, max: f64) -> impl Fn(f64) -> f64 {
    move |g: f64| {
        let l = input + g;
        if l <= knee {
            l
        } else {
            max - (max - knee) * (-(l - knee) / (max - knee)).exp()
        }
    }
}

#[test]
fn converges_on_a_saturating_curve() {
    for (input, target) in [
        (-24.0, -14.0),
        (-30.0, -12.0),
        (-18.0, -16.0),
        (-40.0, -20.0),
    ] {
        let f = limiter_like(input, -18.0, -7.0);
        let mut calls = Vec::new();
        let (g, l, renders) = search_gain(input, target, |g| {
            calls.push(g);
            f(g)
        });
        assert!(renders <= MAX_RENDERS && renders == calls.len());
        assert!(
            (l - target).abs() <= AIM_LU,
            "{input} -> {target}: {l:.3} after {calls:?}"
        );
        assert_eq!(l, f(g), "the kept render is the one reported");
        assert!(calls
            .iter()
            .all(|g| (GAIN_RANGE_DB.0..=GAIN_RANGE_DB.1).contains(g)));
        assert_eq!(g as f32 as f64, g, "a drive the plugin's f32 Gain can hold");
        assert!(miss_note(g, l, target, input).is_none());
    }
}

#[test]
fn unreachable_targets_are_reported() {
    // Saturates at -12 LUFS: -9 is out of reach at any drive.
    let f = limiter_like(-30.0, -18.0, -12.0);
    let (g, l, _) = search_gain(-30.0, -9.0, &f);
    assert!(l < -9.0 - AIM_LU);
    let note = miss_note(g, l, -9.0, -30.0).expect("a miss is reported");
    assert!(note.contains("not reachable under the ceiling"), "{note}");

    // Louder than the target already: the drive cannot go below 0 dB.
    let (g, l, renders) = search_gain(-8.0, -14.0, |g| -8.0 + g);
    assert_eq!((g, l, renders), (0.0, -8.0, 1));
    assert!(miss_note(g, l, -14.0, -8.0)
        .unwrap()
        .contains("already louder"));
}

#[test]
fn the_binary_reports_an_unreachable_target() {
    let dir = scratch("unreachable");
    let (inp, out, rep) = (dir.join("in.wav"), dir.join("out.wav"), dir.join("r.json"));
    write_f32(&inp, &music_at(6.0, 4, -30.0));
    // -3 LUFS under a -6 dBTP ceiling: impossible for music.
    let o = lathe(&[
        "master",
        s(&inp),
        "-o",
        s(&out),
        "--target",
        "-3",
        "--ceiling",
        "-6",
        "--bits",
        "32f",
        "--report",
        s(&rep),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("not reachable"), "{stdout}");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    assert_eq!(
        json["tracks"][0]["target_reached"],
        serde_json::Value::Bool(false)
    );
    let (_, ch, _) = read(&out);
    let tp = true_peak_16x(SR, &ch);
    println!("unreachable: true peak {tp:.3} dBTP under a -6 ceiling");
    assert!(
        tp <= -6.0,
        "the ceiling holds even when the target is missed: {tp:.3}"
    );
}

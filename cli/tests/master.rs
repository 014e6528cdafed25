//! The `lathe` binary end to end: loudness on target, true peak under the ceiling (measured
//! independently at 16x), formats as asked, album and track gain.

mod common;

use common::*;

#[test]
fn single_file_lands_on_target_under_the_ceiling_at_16_bit() {
    let dir = scratch("single");
    let input = music_at(20.0, 1, -24.0);
    let (inp, out, rep) = (dir.join("in.wav"), dir.join("out.wav"), dir.join("r.json"));
    write_f32(&inp, &input);
    let o = lathe(&[
        "master",
        s(&inp),
        "-o",
        s(&out),
        "--target",
        "-14",
        "--ceiling",
        "-1",
        "--bits",
        "16",
        "--report",
        s(&rep),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("in.wav"),
        "the table names the track: {table}"
    );

    let (spec, ch, raw) = read(&out);
    assert_eq!(
        (
            spec.channels,
            spec.sample_rate,
            spec.bits_per_sample,
            spec.sample_format
        ),
        (2, SR, 16, hound::SampleFormat::Int)
    );
    assert_eq!(
        ch[0].len(),
        input[0].len(),
        "latency compensated, length kept"
    );
    // Dithered 16-bit output uses the grid's fine steps: odd values occur (not a coarser grid).
    assert!(raw[0].iter().any(|v| v % 2 != 0));

    let l = loudness(SR, &ch);
    let tp = true_peak_16x(SR, &ch);
    println!(
        "single: {l:.3} LUFS (error {:+.3} LU), true peak {tp:.3} dBTP (16x)",
        l + 14.0
    );
    assert!((l + 14.0).abs() <= 0.5, "loudness {l:.3} LUFS, target -14");
    assert!(
        tp <= -1.0,
        "true peak {tp:.3} dBTP over the -1 dBTP ceiling"
    );

    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    let t = &json["tracks"][0];
    let reported = t["output"]["integrated_lufs"].as_f64().unwrap();
    assert!(
        (reported - l).abs() < 0.05,
        "report {reported} vs measured {l}"
    );
    assert!((t["input"]["integrated_lufs"].as_f64().unwrap() + 24.0).abs() < 0.05);
    assert!(t["gain_reduction"]["max_db"].as_f64().unwrap() > 0.0);
    assert_eq!(t["target_reached"], serde_json::Value::Bool(true));
}

#[test]
fn album_gain_keeps_relative_levels_track_gain_levels_each() {
    let dir = scratch("album");
    let levels = [-24.0, -27.0, -30.0];
    let tracks: Vec<_> = levels
        .iter()
        .enumerate()
        .map(|(i, &lufs)| music_at(10.0, 10 + i as u64, lufs))
        .collect();
    let mut paths = Vec::new();
    for (i, t) in tracks.iter().enumerate() {
        let p = dir.join(format!("t{i}.wav"));
        write_f32(&p, t);
        paths.push(p);
    }
    let names: Vec<&str> = paths.iter().map(|p| s(p)).collect();

    // Album gain: one drive for all, album (all tracks gated together) on target.
    let album_dir = dir.join("album_out");
    let mut args = vec!["master"];
    args.extend(&names);
    args.extend([
        "-o",
        s(&album_dir),
        "--album",
        "--target",
        "-20",
        "--bits",
        "24",
    ]);
    let o = lathe(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let outs: Vec<Vec<Vec<f32>>> = (0..3)
        .map(|i| read(&album_dir.join(format!("t{i}.wav"))).1)
        .collect();
    let mut concat = vec![Vec::new(), Vec::new()];
    for t in &outs {
        for (c, x) in concat.iter_mut().zip(t) {
            c.extend_from_slice(x);
        }
    }
    let album = loudness(SR, &concat);
    let out_l: Vec<f64> = outs.iter().map(|t| loudness(SR, t)).collect();
    let in_l: Vec<f64> = tracks.iter().map(|t| loudness(SR, t)).collect();
    println!(
        "album: {album:.3} LUFS (error {:+.3} LU); tracks {out_l:.3?}",
        album + 20.0
    );
    assert!((album + 20.0).abs() <= 0.5, "album loudness {album:.3}");
    for i in 1..3 {
        let (din, dout) = (in_l[0] - in_l[i], out_l[0] - out_l[i]);
        println!("album: relative level of track {i}: {din:.3} LU in, {dout:.3} LU out");
        assert!(
            (din - dout).abs() <= 0.1,
            "track {i}: {din:.3} LU apart in, {dout:.3} out"
        );
    }
    for t in &outs {
        let tp = true_peak_16x(SR, t);
        assert!(tp <= -1.0, "album track true peak {tp:.3} dBTP");
    }

    // Track gain (the default): every track on the target.
    let track_dir = dir.join("track_out");
    let mut args = vec!["master"];
    args.extend(&names);
    args.extend(["-o", s(&track_dir), "--target", "-14", "--bits", "32f"]);
    let o = lathe(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for i in 0..3 {
        let (spec, ch, _) = read(&track_dir.join(format!("t{i}.wav")));
        assert_eq!(
            (spec.bits_per_sample, spec.sample_format),
            (32, hound::SampleFormat::Float)
        );
        let (l, tp) = (loudness(SR, &ch), true_peak_16x(SR, &ch));
        println!(
            "track {i}: {l:.3} LUFS (error {:+.3} LU), true peak {tp:.3} dBTP",
            l + 14.0
        );
        assert!((l + 14.0).abs() <= 0.5, "track {i}: {l:.3} LUFS");
        assert!(tp <= -1.0, "track {i}: true peak {tp:.3} dBTP");
    }
}

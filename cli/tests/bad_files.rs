//! Unreadable inputs: a clear error naming the file and the reason, a non-zero exit, and nothing
//! written (no output, no temporary left in the destination folder).

mod common;

use common::*;
use std::path::Path;

fn assert_fails_cleanly(input: &Path, reason: &str, out_dir: &Path) {
    let out = out_dir.join("out.wav");
    let o = lathe(&["master", s(input), "-o", s(&out), "--bits", "16"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success(),
        "{}: exit status {:?}",
        input.display(),
        o.status
    );
    assert!(
        err.contains(s(input)),
        "the message names the file {}: {err}",
        input.display()
    );
    assert!(
        err.to_lowercase().contains(reason),
        "the message gives the reason ({reason}): {err}"
    );
    assert!(!out.exists(), "no output for {}", input.display());
    assert!(
        files_in(out_dir).is_empty(),
        "nothing left behind: {:?}",
        files_in(out_dir)
    );
}

#[test]
fn unreadable_inputs_fail_cleanly() {
    let dir = scratch("bad");
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();

    assert_fails_cleanly(&dir.join("missing.wav"), "cannot open", &out_dir);

    let garbage = dir.join("garbage.wav");
    std::fs::write(
        &garbage,
        (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert_fails_cleanly(&garbage, "not a readable", &out_dir);

    let empty = dir.join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    assert_fails_cleanly(&empty, "empty", &out_dir);

    // A valid 16-bit WAV cut in the middle of its data chunk.
    let good = dir.join("good.wav");
    {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: SR,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&good, spec).unwrap();
        for i in 0..96_000 {
            w.write_sample(((i % 200) as i16 - 100) * 50).unwrap();
        }
        w.finalize().unwrap();
    }
    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.join("truncated.wav");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert_fails_cleanly(&truncated, "truncated", &out_dir);

    // In a batch, one bad file stops the run before anything is written.
    let batch_out = dir.join("batch");
    let o = lathe(&["master", s(&good), s(&truncated), "-o", s(&batch_out)]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(s(&truncated)) && err.contains("nothing was written"),
        "{err}"
    );
    assert!(
        files_in(&batch_out).is_empty(),
        "{:?}",
        files_in(&batch_out)
    );

    // The good file alone goes through (the test inputs are not broken by construction).
    let o = lathe(&["master", s(&good), "-o", s(&out_dir.join("ok.wav"))]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(files_in(&out_dir), vec!["ok.wav".to_string()]);
}

#[test]
fn a_foreign_preset_is_refused_by_name() {
    let dir = scratch("bad_preset");
    let input = dir.join("in.wav");
    write_f32(&input, &music_at(2.0, 5, -20.0));
    let preset = dir.join("reverb.json");
    std::fs::write(
        &preset,
        r#"{"version":"0.1.0","params":{"gain":{"f32":3.0}},"fields":{"lathe":"{\"plugin\":\"audio.lathe.reverb\",\"version\":1}"}}"#,
    )
    .unwrap();
    let out = dir.join("out.wav");
    let o = lathe(&["master", s(&input), "-o", s(&out), "--preset", s(&preset)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("reverb.json") && err.contains("audio.lathe.reverb"),
        "{err}"
    );
    assert!(!out.exists());
}

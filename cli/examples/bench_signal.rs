//! Writes the throughput bench signal — `seconds` (default 60) of dsp-core's `music_like` at
//! 48 kHz, stereo 32-bit float WAV — and times one render through the Maximizer chain and one
//! measurement pass on it, single-threaded. Usage:
//! `cargo run -p lathe-cli --release --example bench_signal -- out.wav [seconds]`,
//! then time `lathe master out.wav -o mastered.wav` for the whole job.

use lathe_cli::{measure, render, Audio, Job};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: bench_signal OUT.wav [SECONDS]");
    let seconds: f64 = args.next().map_or(60.0, |s| s.parse().expect("seconds"));
    let [l, r] = dsp_core::signal::music_like(48_000.0, seconds, 1);
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&path, spec).expect("create");
    for (a, b) in l.iter().zip(&r) {
        w.write_sample(*a).expect("write");
        w.write_sample(*b).expect("write");
    }
    w.finalize().expect("finalize");

    let audio = Audio {
        sample_rate: 48_000,
        channels: vec![l, r],
    };
    let job = Job {
        target_lufs: -14.0,
        settings: dsp_core::mastering::MasteringSettings {
            dither_bits: Some(16),
            ..Default::default()
        },
        bits: lathe_cli::Bits::I16,
    };
    let t = Instant::now();
    let (out, gr) = render(&audio, &job.with_gain(7.0));
    let render_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let m = measure(&out);
    let measure_s = t.elapsed().as_secs_f64();
    println!(
        "{seconds} s stereo 48 kHz: render {render_s:.3} s ({:.1}x realtime), measure {measure_s:.3} s ({:.1}x realtime); {:.2} LUFS, GR max {:.2} dB",
        seconds / render_s,
        seconds / measure_s,
        m.integrated_lufs,
        gr.max_db
    );
}

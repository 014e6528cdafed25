//! Input formats: the same 16-bit programme as WAV, FLAC (encoded with flacenc) and AIFF (written
//! here from the spec) decodes to the same samples; output keeps the sample rate and takes the
//! word length asked for.

mod common;

use common::*;
use flacenc::component::BitRepr;
use flacenc::error::Verify;
use std::path::Path;

const RATE: u32 = 44_100;

/// 32 blocks of 4096 frames: flacenc 0.5 writes a STREAMINFO that symphonia rejects when the
/// last block is short (flacenc-rs issue 242), a limit of the test's encoder, not of `lathe`.
const FRAMES: usize = 32 * 4096;

fn programme() -> Vec<Vec<i32>> {
    let [l, r] = dsp_core::signal::music_like(RATE as f64, 3.0, 9);
    [l, r]
        .iter()
        .map(|c| {
            c[..FRAMES]
                .iter()
                .map(|&x| (x as f64 * 32767.0).round() as i32)
                .collect()
        })
        .collect()
}

fn interleave(ch: &[Vec<i32>]) -> Vec<i32> {
    (0..ch[0].len())
        .flat_map(|i| ch.iter().map(move |c| c[i]))
        .collect()
}

fn write_wav16(path: &Path, ch: &[Vec<i32>]) {
    let spec = hound::WavSpec {
        channels: ch.len() as u16,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for v in interleave(ch) {
        w.write_sample(v as i16).unwrap();
    }
    w.finalize().unwrap();
}

fn write_flac16(path: &Path, ch: &[Vec<i32>]) {
    let samples = interleave(ch);
    let config = flacenc::config::Encoder::default()
        .into_verified()
        .expect("default config");
    let source = flacenc::source::MemSource::from_samples(&samples, ch.len(), 16, RATE as usize);
    let stream =
        flacenc::encode_with_fixed_block_size(&config, source, config.block_size).expect("encodes");
    let mut sink = flacenc::bitsink::ByteSink::new();
    stream.write(&mut sink).unwrap();
    std::fs::write(path, sink.as_slice()).unwrap();
}

/// 80-bit IEEE extended big-endian, as AIFF stores the sample rate.
fn extended(rate: u32) -> [u8; 10] {
    let mut out = [0u8; 10];
    let exp = 31 - rate.leading_zeros(); // position of the top bit
    let mant = (rate as u64) << (63 - exp);
    out[..2].copy_from_slice(&((16383 + exp) as u16).to_be_bytes());
    out[2..].copy_from_slice(&mant.to_be_bytes());
    out
}

fn write_aiff16(path: &Path, ch: &[Vec<i32>]) {
    let frames = ch[0].len() as u32;
    let mut comm = Vec::new();
    comm.extend((ch.len() as u16).to_be_bytes());
    comm.extend(frames.to_be_bytes());
    comm.extend(16u16.to_be_bytes());
    comm.extend(extended(RATE));
    let mut ssnd = vec![0u8; 8]; // offset, block size
    for v in interleave(ch) {
        ssnd.extend((v as i16).to_be_bytes());
    }
    let mut body = b"AIFF".to_vec();
    for (id, data) in [(b"COMM", comm), (b"SSND", ssnd)] {
        body.extend(id);
        body.extend((data.len() as u32).to_be_bytes());
        body.extend(&data);
    }
    let mut file = b"FORM".to_vec();
    file.extend((body.len() as u32).to_be_bytes());
    file.extend(body);
    std::fs::write(path, file).unwrap();
}

#[test]
fn wav_flac_and_aiff_decode_to_the_same_samples() {
    let dir = scratch("formats");
    let prog = programme();
    let expected: Vec<Vec<f32>> = prog
        .iter()
        .map(|c| c.iter().map(|&v| v as f32 / 32768.0).collect())
        .collect();
    let files = [
        (dir.join("p.wav"), write_wav16 as fn(&Path, &[Vec<i32>])),
        (dir.join("p.flac"), write_flac16),
        (dir.join("p.aiff"), write_aiff16),
    ];
    for (path, write) in &files {
        write(path, &prog);
        let a = lathe_cli::decode(path).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
        assert_eq!(a.sample_rate, RATE, "{}", path.display());
        assert_eq!(a.channels, expected, "{}: samples", path.display());
    }

    // The FLAC through the binary: 24-bit out, the sample rate kept, no resampling.
    let out = dir.join("out.wav");
    let o = lathe(&[
        "master",
        s(&files[1].0),
        "-o",
        s(&out),
        "--target",
        "-16",
        "--bits",
        "24",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (spec, ch, raw) = read(&out);
    assert_eq!(
        (spec.sample_rate, spec.bits_per_sample, spec.channels),
        (RATE, 24, 2)
    );
    assert_eq!(ch[0].len(), prog[0].len());
    assert!(
        raw[0].iter().any(|v| v % 256 != 0),
        "24-bit resolution is used"
    );
    let mut m = dsp_core::meter::LoudnessMeter::new();
    m.prepare(RATE as f64, 4096, 2);
    m.process(&[&ch[0], &ch[1]]);
    let l = m.integrated_lufs();
    assert!((l + 16.0).abs() <= 0.5, "{l:.3} LUFS");
}

//! Shared helpers of the CLI's tests: WAV files made with hound from dsp-core's test signals,
//! independent measurements (BS.1770 loudness, 16x true peak) of what the binary wrote.
#![allow(dead_code)]

use dsp_core::meter::{LoudnessMeter, TruePeakMeter};
use dsp_core::signal;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const SR: u32 = 48_000;

/// A fresh, empty scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn loudness(sr: u32, ch: &[Vec<f32>]) -> f64 {
    let mut m = LoudnessMeter::new();
    m.prepare(sr as f64, 4096, ch.len());
    let views: Vec<&[f32]> = ch.iter().map(Vec::as_slice).collect();
    m.process(&views);
    m.integrated_lufs()
}

/// True peak at 16x oversampling, including the samples' neighbourhood past the end.
pub fn true_peak_16x(sr: u32, ch: &[Vec<f32>]) -> f64 {
    let mut tp = TruePeakMeter::new(16);
    tp.prepare(sr as f64, 4096, ch.len());
    let views: Vec<&[f32]> = ch.iter().map(Vec::as_slice).collect();
    tp.process(&views);
    let tail = vec![0.0f32; tp.detection_delay_samples() + 64];
    let tails: Vec<&[f32]> = ch.iter().map(|_| tail.as_slice()).collect();
    tp.process(&tails);
    tp.true_peak_dbtp()
}

/// `seconds` of music_like scaled to `lufs` integrated loudness.
pub fn music_at(seconds: f64, seed: u64, lufs: f64) -> Vec<Vec<f32>> {
    let [l, r] = signal::music_like(SR as f64, seconds, seed);
    let ch = vec![l, r];
    let g = 10f64.powf((lufs - loudness(SR, &ch)) / 20.0) as f32;
    ch.into_iter()
        .map(|c| c.into_iter().map(|x| x * g).collect())
        .collect()
}

/// Writes 32-bit float WAV (the input format of the tests: no quantisation of the test signal).
pub fn write_f32(path: &Path, ch: &[Vec<f32>]) {
    let spec = hound::WavSpec {
        channels: ch.len() as u16,
        sample_rate: SR,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..ch[0].len() {
        for c in ch {
            w.write_sample(c[i]).unwrap();
        }
    }
    w.finalize().unwrap();
}

/// Reads a WAV: its spec and the samples as float (integer formats scaled by 2^(bits-1)), plus
/// the raw integers for integer formats.
pub fn read(path: &Path) -> (hound::WavSpec, Vec<Vec<f32>>, Vec<Vec<i32>>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let n = spec.channels as usize;
    let mut ch = vec![Vec::new(); n];
    let mut raw = vec![Vec::new(); n];
    match spec.sample_format {
        hound::SampleFormat::Float => {
            for (i, s) in r.samples::<f32>().enumerate() {
                ch[i % n].push(s.unwrap());
            }
        }
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample - 1)) as f32;
            for (i, s) in r.samples::<i32>().enumerate() {
                let v = s.unwrap();
                raw[i % n].push(v);
                ch[i % n].push(v as f32 / scale);
            }
        }
    }
    (spec, ch, raw)
}

pub fn lathe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lathe"))
        .args(args)
        .output()
        .expect("the lathe binary runs")
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Files in `dir`, hidden temporaries included.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

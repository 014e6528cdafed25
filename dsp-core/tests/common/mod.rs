//! Measurement tools and the block-partition harness shared by dsp-core's integration tests.
//! Each test file uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use dsp_core::eq::{BandParams, FilterType};
use dsp_core::filter::BiquadCoeffs;
use dsp_core::signal::Rng;
use realfft::RealFftPlanner;
use std::f64::consts::PI;

/// A setter call applied at a sample index, as sample-accurate host automation would.
pub type Event<P> = (usize, Box<dyn Fn(&mut P)>);

/// Renders `input` through `proc` in blocks whose lengths `next_block` chooses, cutting blocks at
/// every event so each setter lands on its sample. `process` gets the block's start position (for
/// side-chain inputs) and the block.
pub fn render<P>(
    proc: &mut P,
    input: &[Vec<f32>],
    events: &[Event<P>],
    mut next_block: impl FnMut() -> usize,
    process: &impl Fn(&mut P, usize, &mut [&mut [f32]]),
) -> Vec<Vec<f32>> {
    let len = input[0].len();
    let mut out: Vec<Vec<f32>> = input.to_vec();
    let (mut pos, mut ev) = (0usize, 0usize);
    while pos < len {
        while ev < events.len() && events[ev].0 <= pos {
            (events[ev].1)(proc);
            ev += 1;
        }
        let until_event = events.get(ev).map_or(len, |e| e.0);
        let n = next_block().max(1).min(len - pos).min(until_event - pos);
        let mut block: Vec<&mut [f32]> = out.iter_mut().map(|c| &mut c[pos..pos + n]).collect();
        process(proc, pos, &mut block);
        pos += n;
    }
    out
}

/// Asserts that rendering with one block, blocks of 1 and random blocks of 1..4096 gives
/// bit-identical output. `make` returns a freshly prepared processor.
pub fn assert_block_invariant<P>(
    make: impl Fn() -> P,
    input: &[Vec<f32>],
    events: &[Event<P>],
    process: impl Fn(&mut P, usize, &mut [&mut [f32]]),
) {
    let len = input[0].len();
    let reference = render(&mut make(), input, events, || len, &process);
    type Partition = Box<dyn FnMut() -> usize>;
    let mut partitions: Vec<(&str, Partition)> = vec![("blocks of 1", Box::new(|| 1))];
    for seed in [1u64, 2, 3] {
        let mut rng = Rng::new(seed);
        partitions.push(("random blocks", Box::new(move || rng.range(1, 4096))));
    }
    for (name, mut next) in partitions {
        let out = render(&mut make(), input, events, &mut next, &process);
        if let Some((ch, i)) = first_difference(&reference, &out) {
            panic!(
                "{name}: channel {ch} differs from the one-block render at sample {i}: {} vs {}",
                reference[ch][i], out[ch][i]
            );
        }
    }
}

/// The channel and sample of the first bit-level difference between two renders, if any.
pub fn first_difference(a: &[Vec<f32>], b: &[Vec<f32>]) -> Option<(usize, usize)> {
    a.iter().zip(b).enumerate().find_map(|(ch, (x, y))| {
        x.iter()
            .zip(y)
            .position(|(p, q)| p.to_bits() != q.to_bits())
            .map(|i| (ch, i))
    })
}

/// `x` through a cascade of biquads as the textbook direct form I in plain `f64`: the reference
/// the EQ's fast paths are held to.
pub fn direct_form_i(sections: &[BiquadCoeffs], x: &[f32]) -> Vec<f64> {
    let mut v: Vec<f64> = x.iter().map(|&s| s as f64).collect();
    for c in sections {
        let (mut x1, mut x2, mut y1, mut y2) = (0.0, 0.0, 0.0, 0.0);
        for s in v.iter_mut() {
            let out = c.b0 * *s + c.b1 * x1 + c.b2 * x2 - c.a1 * y1 - c.a2 * y2;
            (x2, x1, y2, y1) = (x1, *s, y1, out);
            *s = out;
        }
    }
    v
}

/// The settled bands held to [`direct_form_i`], with their sample rates: an ordinary bell, a
/// shelf near Nyquist, and a 20 Hz bell at 384 kHz whose poles sit next to z = 1.
pub fn direct_form_cases() -> [(f64, BandParams); 3] {
    [
        (
            48_000.0,
            BandParams::new(FilterType::Bell, 1000.0, 6.0, 1.0),
        ),
        (
            44_100.0,
            BandParams::new(FilterType::HighShelf, 12_000.0, -9.0, 2.0),
        ),
        (
            384_000.0,
            BandParams::new(FilterType::Bell, 20.0, 12.0, 1.0),
        ),
    ]
}

pub fn db(x: f64) -> f64 {
    20.0 * x.abs().max(1e-300).log10()
}

pub fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

pub fn peak(x: &[f32]) -> f64 {
    x.iter().fold(0.0f64, |m, &v| m.max((v as f64).abs()))
}

/// Least-squares fit of `a sin + b cos + c` at `freq`: returns the fitted amplitude and the
/// residual (everything that is not the fundamental) for THD+N.
pub fn fit_sine(x: &[f32], freq: f64, sample_rate: f64) -> (f64, Vec<f64>) {
    let w = 2.0 * PI * freq / sample_rate;
    // Normal equations of the 3-parameter sine fit (IEEE 1057).
    let mut m = [[0.0f64; 3]; 3];
    let mut v = [0.0f64; 3];
    for (n, &s) in x.iter().enumerate() {
        let (sn, cs) = (w * n as f64).sin_cos();
        let basis = [sn, cs, 1.0];
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] += basis[i] * basis[j];
            }
            v[i] += basis[i] * s as f64;
        }
    }
    let coef = solve3(m, v);
    let residual = x
        .iter()
        .enumerate()
        .map(|(n, &s)| {
            let (sn, cs) = (w * n as f64).sin_cos();
            s as f64 - (coef[0] * sn + coef[1] * cs + coef[2])
        })
        .collect();
    ((coef[0] * coef[0] + coef[1] * coef[1]).sqrt(), residual)
}

fn solve3(mut m: [[f64; 3]; 3], mut v: [f64; 3]) -> [f64; 3] {
    for col in 0..3 {
        let piv = (col..3)
            .max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
            .unwrap();
        m.swap(col, piv);
        v.swap(col, piv);
        for row in col + 1..3 {
            let f = m[row][col] / m[col][col];
            let pivot_row = m[col];
            for (dst, src) in m[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *dst -= f * src;
            }
            v[row] -= f * v[col];
        }
    }
    let mut out = [0.0; 3];
    for row in (0..3).rev() {
        let s: f64 = (row + 1..3).map(|k| m[row][k] * out[k]).sum();
        out[row] = (v[row] - s) / m[row][row];
    }
    out
}

/// THD+N in dB: RMS of everything but the fitted fundamental, relative to the fundamental's RMS.
pub fn thd_n_db(x: &[f32], freq: f64, sample_rate: f64) -> f64 {
    let (amp, residual) = fit_sine(x, freq, sample_rate);
    let res_rms = (residual.iter().map(|r| r * r).sum::<f64>() / residual.len() as f64).sqrt();
    db(res_rms / (amp / 2f64.sqrt()))
}

/// Amplitude of the component at `freq` (single-bin DFT with a Hann window, corrected for the
/// window's coherent gain). Use a length of many periods.
pub fn tone_amplitude(x: &[f32], freq: f64, sample_rate: f64) -> f64 {
    let n = x.len();
    let w = 2.0 * PI * freq / sample_rate;
    let (mut re, mut im, mut wsum) = (0.0, 0.0, 0.0);
    for (i, &s) in x.iter().enumerate() {
        let win = 0.5 - 0.5 * (2.0 * PI * i as f64 / n as f64).cos();
        let (sn, cs) = (w * i as f64).sin_cos();
        re += win * s as f64 * cs;
        im += win * s as f64 * sn;
        wsum += win;
    }
    2.0 * (re * re + im * im).sqrt() / wsum
}

/// Power spectrum in dB (relative to a full-scale sine) with a 4-term Blackman-Harris window
/// (sidelobes under -92 dB); bin `k` is at `k * fs / x.len()`.
pub fn spectrum_db(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let a = [0.35875, 0.48829, 0.14128, 0.01168];
    let mut buf: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let p = 2.0 * PI * i as f64 / n as f64;
            s * (a[0] - a[1] * p.cos() + a[2] * (2.0 * p).cos() - a[3] * (3.0 * p).cos())
        })
        .collect();
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let mut spec = fft.make_output_vec();
    fft.process(&mut buf, &mut spec).unwrap();
    let norm = a[0] * n as f64 / 2.0;
    spec.iter().map(|c| db(c.norm() / norm)).collect()
}

/// Reference true peak: the signal's band-limited reconstruction sampled at 16x, by a long
/// Kaiser-windowed sinc (128 taps a side, beta 12), independent of the crate's own oversamplers.
pub fn true_peak_16x(x: &[f32]) -> f64 {
    const HALF: isize = 128;
    const OS: usize = 16;
    let beta = 12.0;
    let i0b = bessel_i0(beta);
    // kernel[phase][k]: weight of x[n - k + HALF] for output n + phase / OS
    let kernels: Vec<Vec<f64>> = (1..OS)
        .map(|p| {
            let frac = p as f64 / OS as f64;
            (-HALF + 1..=HALF)
                .map(|k| {
                    let t = k as f64 - frac;
                    let sinc = if t.abs() < 1e-12 {
                        1.0
                    } else {
                        (PI * t).sin() / (PI * t)
                    };
                    let r = t / (HALF as f64 + 1.0);
                    let win = if r.abs() >= 1.0 {
                        0.0
                    } else {
                        bessel_i0(beta * (1.0 - r * r).sqrt()) / i0b
                    };
                    sinc * win
                })
                .collect()
        })
        .collect();
    let len = x.len() as isize;
    let mut tp = peak(x);
    for n in 0..len {
        for kern in &kernels {
            let mut acc = 0.0;
            for (j, w) in kern.iter().enumerate() {
                let k = -HALF + 1 + j as isize;
                let idx = n + k;
                if idx >= 0 && idx < len {
                    acc += w * x[idx as usize] as f64;
                }
            }
            tp = tp.max(acc.abs());
        }
    }
    tp
}

fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term) = (1.0, 1.0);
    for k in 1..64 {
        term *= (x / (2.0 * k as f64)).powi(2);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

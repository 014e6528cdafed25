//! Multichannel input diffuser after Geraint Luff, "Let's write a reverb" (ADC 2021): a chain of
//! stages, each delaying the eight channels by different amounts, shuffling and flipping their
//! polarities, then mixing them with an orthonormal Hadamard matrix. No feedback, so it is
//! unconditionally stable and its output energy equals its input energy; one impulse in becomes
//! `8^STAGES` echoes spread over the sum of the stage lengths, which is what makes the
//! network's onset dense instead of a handful of discrete repeats.

use super::lanes::{HADAMARD_SCALE, LINES};
use super::{copy_chunk, GRID};
use crate::signal::Rng;

pub const STAGES: usize = 4;

/// Lane permutations of each stage (different per stage so that consecutive Hadamards do not
/// undo each other).
const PERM: [[usize; LINES]; STAGES] = [
    [3, 6, 0, 5, 7, 1, 4, 2],
    [5, 2, 7, 0, 6, 4, 1, 3],
    [6, 4, 1, 7, 2, 0, 3, 5],
    [1, 7, 4, 2, 0, 3, 5, 6],
];

const SIGN: [[f32; LINES]; STAGES] = [
    [1.0, -1.0, 1.0, 1.0, -1.0, 1.0, -1.0, -1.0],
    [-1.0, 1.0, 1.0, -1.0, 1.0, -1.0, -1.0, 1.0],
    [1.0, 1.0, -1.0, 1.0, -1.0, -1.0, 1.0, -1.0],
    [-1.0, -1.0, 1.0, -1.0, 1.0, 1.0, 1.0, -1.0],
];

/// Channel-major chunk: `x[channel][t]`.
pub type Planar = [[f32; GRID]; LINES];

#[derive(Debug, Clone, Default)]
pub struct Diffuser {
    /// One ring buffer of `size` samples per stage and channel (channel-major, so a chunk moves
    /// through a stage as contiguous copies and the Hadamard runs across time in SIMD).
    buf: Vec<f32>,
    size: usize,
    mask: usize,
    pos: usize,
    delays: [[usize; LINES]; STAGES],
}

impl Diffuser {
    /// Allocates for stage lengths up to `max_stage_ms`.
    pub fn prepare(&mut self, sample_rate: f64, max_stage_ms: f64) {
        let max = (max_stage_ms * 1e-3 * sample_rate).ceil() as usize + GRID + 2;
        self.size = max.next_power_of_two();
        self.mask = self.size - 1;
        self.buf = vec![0.0; self.size * STAGES * LINES];
        self.pos = 0;
    }

    /// Per-channel delays (samples) of a stage set: channel `i` of a stage of length `len` sits
    /// at `(i + 0.25 + 0.5 r) / 8 * len` with a fixed pseudo-random `r`, so the channels spread
    /// evenly over the stage without coinciding; the seed makes it identical on every run.
    pub fn delay_table(
        sample_rate: f64,
        stage_ms: &[f64; STAGES],
        seed: u64,
    ) -> [[usize; LINES]; STAGES] {
        let mut rng = Rng::new(seed);
        let mut t = [[1usize; LINES]; STAGES];
        for (row, &ms) in t.iter_mut().zip(stage_ms) {
            let len = ms * 1e-3 * sample_rate;
            for (i, d) in row.iter_mut().enumerate() {
                let frac = (i as f64 + 0.25 + 0.5 * rng.uniform()) / LINES as f64;
                *d = ((frac * len).round() as usize).max(1);
            }
        }
        t
    }

    pub fn set_delays(&mut self, delays: [[usize; LINES]; STAGES]) {
        self.delays = delays;
    }

    pub fn reset(&mut self) {
        self.buf.fill(0.0);
        self.pos = 0;
    }

    pub fn is_zero(&self) -> bool {
        self.buf.iter().all(|&v| v == 0.0)
    }

    /// Diffuses the first `n` samples (at most `GRID`) of `x` in place. Each stage writes the
    /// chunk into its rings, reads it back delayed, permuted and with the polarity flip and the
    /// Hadamard scale folded into one multiply, then mixes it with the butterflies of a
    /// fast Walsh-Hadamard transform, four time steps per register. Where no read run wraps
    /// (most chunks), the reads go straight into the butterflies' registers.
    pub fn process(&mut self, x: &mut Planar, n: usize) {
        let (pos, mask, size) = (self.pos, self.mask, self.size);
        for k in 0..STAGES {
            for (ch, xs) in x.iter().enumerate() {
                let ring = &mut self.buf[(k * LINES + ch) * size..][..size];
                ring_write(ring, pos, &xs[..n]);
            }
            // Delays are at least one sample; a read run may reach into the samples written
            // just above, exactly as a sample-by-sample write-then-read would.
            let start: [usize; LINES] =
                std::array::from_fn(|i| pos.wrapping_sub(self.delays[k][PERM[k][i]]) & mask);
            let gain: [f32; LINES] = std::array::from_fn(|i| SIGN[k][i] * HADAMARD_SCALE);
            if start.iter().all(|&a| a + GRID <= size) {
                // The whole chunk (past `n`: values never read), a loop without remainder.
                let runs: [&[f32; GRID]; LINES] = std::array::from_fn(|i| {
                    let run = &self.buf[(k * LINES + PERM[k][i]) * size + start[i]..][..GRID];
                    run.try_into().expect("a run of GRID samples")
                });
                for q in 0..GRID / 4 {
                    let v = std::array::from_fn(|i| {
                        std::array::from_fn(|j| runs[i][4 * q + j] * gain[i])
                    });
                    let v = butterflies(v);
                    for (row, vals) in x.iter_mut().zip(&v) {
                        row[4 * q..4 * q + 4].copy_from_slice(vals);
                    }
                }
            } else {
                for (i, xi) in x.iter_mut().enumerate() {
                    let ring = &self.buf[(k * LINES + PERM[k][i]) * size..][..size];
                    ring_read(ring, start[i], &mut xi[..n], gain[i]);
                }
                hadamard_planar(x);
            }
        }
        self.pos = (pos + n) & mask;
    }

    /// Advances `n` samples of a diffuser that holds only zeros (its rings stay zero).
    pub fn skip(&mut self, n: usize) {
        self.pos = (self.pos + n) & self.mask;
    }
}

/// Copies `src` into the ring from `start` on (in two pieces where it wraps).
#[inline(always)]
fn ring_write(ring: &mut [f32], start: usize, src: &[f32]) {
    let first = src.len().min(ring.len() - start);
    copy_chunk(&mut ring[start..start + first], &src[..first]);
    // Most chunks do not wrap: skip the library call of an empty copy.
    if first < src.len() {
        ring[..src.len() - first].copy_from_slice(&src[first..]);
    }
}

/// Reads `dst.len()` samples from `start` on, scaled by `gain`.
#[inline(always)]
fn ring_read(ring: &[f32], start: usize, dst: &mut [f32], gain: f32) {
    let first = dst.len().min(ring.len() - start);
    let (a, b) = dst.split_at_mut(first);
    for (d, s) in a.iter_mut().zip(&ring[start..]) {
        *d = s * gain;
    }
    for (d, s) in b.iter_mut().zip(ring) {
        *d = s * gain;
    }
}

/// The (unscaled) Hadamard transform of every time step of a chunk, in place: for each group
/// of four time steps the eight channels are loaded once and all twelve butterflies run in
/// registers.
fn hadamard_planar(x: &mut Planar) {
    for q in (0..GRID).step_by(4) {
        let v = butterflies(std::array::from_fn(|i| {
            let mut a = [0.0; 4];
            a.copy_from_slice(&x[i][q..q + 4]);
            a
        }));
        for (row, vals) in x.iter_mut().zip(&v) {
            row[q..q + 4].copy_from_slice(vals);
        }
    }
}

/// The twelve butterflies of an unscaled order-8 fast Walsh-Hadamard transform, on four time
/// steps at once.
#[inline(always)]
fn butterflies(mut v: [[f32; 4]; LINES]) -> [[f32; 4]; LINES] {
    for h in [4, 2, 1] {
        for i in (0..LINES).filter(|i| i & h == 0) {
            let (lo, hi) = v.split_at_mut(i + h);
            for (p, q) in lo[i].iter_mut().zip(hi[0].iter_mut()) {
                let (a, b) = (*p, *q);
                *p = a + b;
                *q = a - b;
            }
        }
    }
    v
}

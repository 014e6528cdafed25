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

/// Time steps per register in the butterflies: one AVX2 register (two SSE registers).
const W: usize = 8;

#[derive(Debug, Clone, Default)]
pub struct Diffuser {
    /// One ring buffer of `size + GRID` samples per stage and channel (channel-major, so a
    /// chunk moves through a stage as contiguous copies and the Hadamard runs across time in
    /// SIMD). The first `GRID` samples are mirrored past `size`, so every read run of a chunk is
    /// contiguous, whatever its start.
    buf: Vec<f32>,
    size: usize,
    mask: usize,
    pos: usize,
    /// Per stage and output channel `i`: the delay of the channel it reads (`PERM`), and the
    /// offset of that channel's ring in `buf`, resolved once in `set_delays`.
    read_delay: [[usize; LINES]; STAGES],
    read_ring: [[usize; LINES]; STAGES],
}

/// Per stage and output channel: the polarity flip times the Hadamard scale, one multiply.
const GAIN: [[f32; LINES]; STAGES] = {
    let mut g = [[0.0; LINES]; STAGES];
    let mut k = 0;
    while k < STAGES {
        let mut i = 0;
        while i < LINES {
            g[k][i] = SIGN[k][i] * HADAMARD_SCALE;
            i += 1;
        }
        k += 1;
    }
    g
};

impl Diffuser {
    /// Allocates for stage lengths up to `max_stage_ms`.
    pub fn prepare(&mut self, sample_rate: f64, max_stage_ms: f64) {
        let max = (max_stage_ms * 1e-3 * sample_rate).ceil() as usize + GRID + 2;
        self.size = max.next_power_of_two();
        self.mask = self.size - 1;
        self.buf = vec![0.0; self.stride() * STAGES * LINES];
        self.pos = 0;
    }

    fn stride(&self) -> usize {
        self.size + GRID
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
        let stride = self.stride();
        for (k, perm) in PERM.iter().enumerate() {
            for (i, &c) in perm.iter().enumerate() {
                self.read_delay[k][i] = delays[k][c];
                self.read_ring[k][i] = (k * LINES + c) * stride;
            }
        }
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
    /// Hadamard scale folded into one multiply, straight into the butterflies of a fast
    /// Walsh-Hadamard transform, [`W`] time steps per register.
    #[inline(always)]
    pub fn process(&mut self, x: &mut Planar, n: usize) {
        let (pos, mask, stride) = (self.pos, self.mask, self.stride());
        for (k, &gain) in GAIN.iter().enumerate() {
            for (c, xs) in x.iter().enumerate() {
                let ring = &mut self.buf[(k * LINES + c) * stride..][..stride];
                // Chunks never cross a grid point and `size` is a multiple of it: no write wraps.
                copy_chunk(&mut ring[pos..pos + n], &xs[..n]);
                if pos < GRID {
                    copy_chunk(&mut ring[stride - GRID + pos..][..n], &xs[..n]);
                }
            }
            // Delays are at least one sample; a read run may reach into the samples written
            // just above, exactly as a sample-by-sample write-then-read would. The whole chunk
            // is read (past `n`: values never used), a loop without remainder.
            let mut runs: [&[f32; GRID]; LINES] = [&[0.0; GRID]; LINES];
            for (i, run) in runs.iter_mut().enumerate() {
                let start = pos.wrapping_sub(self.read_delay[k][i]) & mask;
                *run = self.buf[self.read_ring[k][i] + start..][..GRID]
                    .try_into()
                    .expect("a run of GRID samples");
            }
            for q in 0..GRID / W {
                let mut v = [[0.0f32; W]; LINES];
                for i in 0..LINES {
                    for j in 0..W {
                        v[i][j] = runs[i][W * q + j] * gain[i];
                    }
                }
                let v = butterflies(v);
                for i in 0..LINES {
                    x[i][W * q..W * q + W].copy_from_slice(&v[i]);
                }
            }
        }
        self.pos = (pos + n) & mask;
    }

    /// Advances `n` samples of a diffuser that holds only zeros (its rings stay zero).
    #[inline(always)]
    pub fn skip(&mut self, n: usize) {
        self.pos = (self.pos + n) & self.mask;
    }
}

/// The twelve butterflies of an unscaled order-8 fast Walsh-Hadamard transform (pairs four
/// apart, then two, then one), on [`W`] time steps at once; written out with named values so
/// the eight vectors stay in registers.
#[inline(always)]
fn butterflies(v: [[f32; W]; LINES]) -> [[f32; W]; LINES] {
    let [a0, a1, a2, a3, a4, a5, a6, a7] = v;
    let ((b0, b4), (b1, b5)) = (butterfly(a0, a4), butterfly(a1, a5));
    let ((b2, b6), (b3, b7)) = (butterfly(a2, a6), butterfly(a3, a7));
    let ((c0, c2), (c1, c3)) = (butterfly(b0, b2), butterfly(b1, b3));
    let ((c4, c6), (c5, c7)) = (butterfly(b4, b6), butterfly(b5, b7));
    let ((d0, d1), (d2, d3)) = (butterfly(c0, c1), butterfly(c2, c3));
    let ((d4, d5), (d6, d7)) = (butterfly(c4, c5), butterfly(c6, c7));
    [d0, d1, d2, d3, d4, d5, d6, d7]
}

#[inline(always)]
fn butterfly(a: [f32; W], b: [f32; W]) -> ([f32; W], [f32; W]) {
    let (mut s, mut d) = ([0.0; W], [0.0; W]);
    for j in 0..W {
        s[j] = a[j] + b[j];
        d[j] = a[j] - b[j];
    }
    (s, d)
}

//! Multichannel input diffuser after Geraint Luff, "Let's write a reverb" (ADC 2021): a chain of
//! stages, each delaying the eight channels by different amounts, shuffling and flipping their
//! polarities, then mixing them with an orthogonal Hadamard matrix. No feedback, so it is
//! unconditionally stable and its output energy equals its input energy; one impulse in becomes
//! `8^STAGES` echoes spread over the sum of the stage lengths, which is what makes the
//! network's onset dense instead of a handful of discrete repeats.
//!
//! Per sample and stage: eight reads, eight multiplies (polarity flip and Hadamard scale in
//! one), 24 additions, eight writes into the caller's chunk and, for all but the last stage, a
//! whole-chunk copy of it into the next stage's rings. Stage 0's eight channels are the left or
//! right input times [`INJECT_SIGN`], so it keeps two rings (the input itself) and folds those
//! signs into its multiplies (exact: a sign flip rounds nothing, so the output is bit-identical
//! to flipping the input first). The butterflies write into the chunk, whose eight rows sit at
//! fixed offsets, rather than straight into the rings: LLVM's vectoriser then keeps every row
//! one register wide (into the rings it split some rows into scalar pieces: 5 instructions per
//! sample more than the copies cost, callgrind).

use super::lanes::{Lanes, HADAMARD_SCALE, LINES};
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

/// Polarity of the input in each channel of stage 0 (left on even channels, right on odd ones).
pub const INJECT_SIGN: Lanes = [1.0, 1.0, -1.0, 1.0, 1.0, -1.0, -1.0, -1.0];

/// Channel-major chunk: `x[channel][t]`.
pub type Planar = [[f32; GRID]; LINES];

/// Time steps per register in the butterflies: one AVX2 register (two SSE registers).
const W: usize = 8;

/// Rings of stage 0 (the left and right input).
const INPUT_RINGS: usize = 2;

/// Per stage and output channel `i`: the polarity flip times the Hadamard scale, one multiply;
/// stage 0's also flips channel `PERM[0][i]` by its [`INJECT_SIGN`].
const GAIN: [[f32; LINES]; STAGES] = {
    let mut g = [[0.0; LINES]; STAGES];
    let mut k = 0;
    while k < STAGES {
        let mut i = 0;
        while i < LINES {
            let inject = if k == 0 { INJECT_SIGN[PERM[0][i]] } else { 1.0 };
            g[k][i] = SIGN[k][i] * inject * HADAMARD_SCALE;
            i += 1;
        }
        k += 1;
    }
    g
};

#[derive(Debug, Clone, Default)]
pub struct Diffuser {
    /// Ring buffers of `size + GRID` samples, channel-major (so a chunk moves through a stage
    /// as contiguous runs and the butterflies run across time in SIMD): stage 0's two, then
    /// eight per later stage. The first `GRID` samples are mirrored past `size`, so every read
    /// run of a chunk is contiguous, whatever its start.
    buf: Vec<f32>,
    size: usize,
    mask: usize,
    pos: usize,
    /// Per stage and output channel `i`: the delay of the channel it reads (`PERM`), and the
    /// offset of that channel's ring in the stage's part of `buf`, resolved once in
    /// `set_delays`.
    read_delay: [[usize; LINES]; STAGES],
    read_ring: [[usize; LINES]; STAGES],
}

impl Diffuser {
    /// Allocates for stage lengths up to `max_stage_ms`.
    pub fn prepare(&mut self, sample_rate: f64, max_stage_ms: f64) {
        let max = (max_stage_ms * 1e-3 * sample_rate).ceil() as usize + GRID + 2;
        self.size = max.next_power_of_two();
        self.mask = self.size - 1;
        self.buf = vec![0.0; self.stride() * (INPUT_RINGS + (STAGES - 1) * LINES)];
        self.pos = 0;
    }

    fn stride(&self) -> usize {
        self.size + GRID
    }

    /// Rings of stage `k`.
    const fn rings(k: usize) -> usize {
        if k == 0 {
            INPUT_RINGS
        } else {
            LINES
        }
    }

    /// Offset of stage `k`'s rings in `buf`, in rings.
    const fn first_ring(k: usize) -> usize {
        if k == 0 {
            0
        } else {
            INPUT_RINGS + (k - 1) * LINES
        }
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
                self.read_ring[k][i] = (c % Self::rings(k)) * stride;
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

    /// Diffuses the first `n` samples (at most `GRID`) of the stereo input `x` into `out`
    /// (channel `c` of stage 0 is `x[c % 2]` times `INJECT_SIGN[c]`). Each stage reads its
    /// rings delayed and permuted, with the polarity flip and the Hadamard scale folded into one
    /// multiply, straight into the butterflies of a fast Walsh-Hadamard transform, [`W`] time
    /// steps per register; `out` holds each stage's result on its way into the next stage's
    /// rings.
    #[inline(always)]
    pub fn process(&mut self, x: &[[f32; GRID]; 2], n: usize, out: &mut Planar) {
        let (pos, stride) = (self.pos, self.stride());
        for (c, xs) in x.iter().enumerate() {
            let ring = &mut self.buf[c * stride..][..stride];
            // Chunks never cross a grid point and `size` is a multiple of it: no write wraps.
            copy_chunk(&mut ring[pos..pos + n], &xs[..n]);
        }
        self.mirror(0, n);
        // Stage by stage, unrolled: each stage's gains and ring offsets are constants (2
        // instructions per sample fewer than a loop over the stages, callgrind).
        self.stage::<0>(n, out);
        self.stage::<1>(n, out);
        self.stage::<2>(n, out);
        let (runs, _) = self.runs(STAGES - 1);
        run_stage(&runs, out, &GAIN[STAGES - 1]);
        self.pos = (pos + n) & self.mask;
    }

    /// Stage `K` (not the last): from its rings through `chunk` into the next stage's. The
    /// whole chunk is copied (past `n`: values never read, in ring samples the next chunk
    /// overwrites before it reads them), as whole-register moves without remainder.
    #[inline(always)]
    fn stage<const K: usize>(&mut self, n: usize, chunk: &mut Planar) {
        let (pos, stride) = (self.pos, self.stride());
        let (runs, next) = self.runs(K);
        run_stage(&runs, chunk, &GAIN[K]);
        for (ring, row) in next.chunks_exact_mut(stride).zip(chunk.iter()) {
            // `pos + GRID <= size + GRID`: within the ring.
            *<&mut [f32; GRID]>::try_from(&mut ring[pos..pos + GRID]).expect("a run of GRID") =
                *row;
        }
        self.mirror(K + 1, n);
    }

    /// Stage `k`'s read runs for this chunk, and the rings after that stage's. Delays are at
    /// least one sample; a read run may reach into the samples written just before, exactly
    /// as a sample-by-sample write-then-read would. The whole chunk is read (past `n`: values
    /// never used).
    #[inline(always)]
    fn runs(&mut self, k: usize) -> ([&[f32; GRID]; LINES], &mut [f32]) {
        let (pos, mask, stride) = (self.pos, self.mask, self.stride());
        let (delay, ring) = (self.read_delay[k], self.read_ring[k]);
        let (cur, next) =
            self.buf[Self::first_ring(k) * stride..].split_at_mut(Self::rings(k) * stride);
        let cur = &*cur;
        let mut runs: [&[f32; GRID]; LINES] = [&[0.0; GRID]; LINES];
        for (i, run) in runs.iter_mut().enumerate() {
            let start = pos.wrapping_sub(delay[i]) & mask;
            *run = cur[ring[i] + start..][..GRID]
                .try_into()
                .expect("a run of GRID samples");
        }
        (runs, next)
    }

    /// Copies the chunk just written into stage `k`'s rings to their mirror when it lies in
    /// the first `GRID` samples.
    #[inline(always)]
    fn mirror(&mut self, k: usize, n: usize) {
        let (pos, size, stride) = (self.pos, self.size, self.stride());
        if pos >= GRID {
            return;
        }
        let rings = &mut self.buf[Self::first_ring(k) * stride..][..Self::rings(k) * stride];
        for ring in rings.chunks_exact_mut(stride) {
            let (head, tail) = ring.split_at_mut(size);
            tail[pos..pos + n].copy_from_slice(&head[pos..pos + n]);
        }
    }

    /// Advances `n` samples of a diffuser that holds only zeros (its rings stay zero).
    #[inline(always)]
    pub fn skip(&mut self, n: usize) {
        self.pos = (self.pos + n) & self.mask;
    }
}

/// One stage's butterflies over a whole chunk, [`W`] time steps at a time.
#[inline(always)]
fn run_stage(runs: &[&[f32; GRID]; LINES], dst: &mut Planar, gain: &[f32; LINES]) {
    for q in 0..GRID / W {
        let mut v = [[0.0f32; W]; LINES];
        for i in 0..LINES {
            for j in 0..W {
                v[i][j] = runs[i][W * q + j] * gain[i];
            }
        }
        let v = butterflies(v);
        for i in 0..LINES {
            for j in 0..W {
                dst[i][W * q + j] = v[i][j];
            }
        }
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

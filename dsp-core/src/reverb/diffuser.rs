//! Multichannel input diffuser after Geraint Luff, "Let's write a reverb" (ADC 2021): a chain of
//! stages, each delaying the eight channels by different amounts, shuffling and flipping their
//! polarities, then mixing them with an orthonormal Hadamard matrix. No feedback, so it is
//! unconditionally stable and its output energy equals its input energy; one impulse in becomes
//! `8^STAGES` echoes spread over the sum of the stage lengths, which is what makes the
//! network's onset dense instead of a handful of discrete repeats.

use super::lanes::{HADAMARD_SCALE, LINES};
use super::GRID;
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

    /// Diffuses the first `n` samples (at most `GRID`) of `x` in place.
    pub fn process(&mut self, x: &mut Planar, n: usize) {
        let (pos, mask, size) = (self.pos, self.mask, self.size);
        for k in 0..STAGES {
            for (ch, xs) in x.iter().enumerate() {
                let ring = &mut self.buf[(k * LINES + ch) * size..][..size];
                ring_write(ring, pos, &xs[..n]);
            }
            let mut r: Planar = [[0.0; GRID]; LINES];
            for (i, ri) in r.iter_mut().enumerate() {
                let src = PERM[k][i];
                let ring = &self.buf[(k * LINES + src) * size..][..size];
                // Delays are at least one sample; the span may reach into the samples written
                // just above, exactly as a sample-by-sample write-then-read would.
                ring_read(ring, pos.wrapping_sub(self.delays[k][src]) & mask, &mut ri[..n]);
                let sign = SIGN[k][i];
                for v in ri.iter_mut() {
                    *v *= sign;
                }
            }
            hadamard_planar(&r, x);
        }
        self.pos = (pos + n) & mask;
    }
}

/// Copies `src` into the ring from `start` on; a full chunk that does not wrap (the common
/// case) is a fixed-size copy the compiler inlines as vector moves.
#[inline(always)]
fn ring_write(ring: &mut [f32], start: usize, src: &[f32]) {
    if src.len() == GRID && start + GRID <= ring.len() {
        let dst: &mut [f32; GRID] = (&mut ring[start..start + GRID]).try_into().unwrap();
        let s: &[f32; GRID] = src.try_into().unwrap();
        *dst = *s;
    } else {
        for (t, &v) in src.iter().enumerate() {
            ring[(start + t) % ring.len()] = v;
        }
    }
}

#[inline(always)]
fn ring_read(ring: &[f32], start: usize, dst: &mut [f32]) {
    if dst.len() == GRID && start + GRID <= ring.len() {
        let s: &[f32; GRID] = (&ring[start..start + GRID]).try_into().unwrap();
        let d: &mut [f32; GRID] = dst.try_into().unwrap();
        *d = *s;
    } else {
        for (t, v) in dst.iter_mut().enumerate() {
            *v = ring[(start + t) % ring.len()];
        }
    }
}

/// The Hadamard transform of every time step of a chunk, vectorised across time.
fn hadamard_planar(x: &Planar, out: &mut Planar) {
    let mut a: Planar = [[0.0; GRID]; LINES];
    for i in 0..4 {
        for t in 0..GRID {
            a[i][t] = x[i][t] + x[i + 4][t];
            a[i + 4][t] = x[i][t] - x[i + 4][t];
        }
    }
    let mut b: Planar = [[0.0; GRID]; LINES];
    for h in [0, 4] {
        for i in h..h + 2 {
            for t in 0..GRID {
                b[i][t] = a[i][t] + a[i + 2][t];
                b[i + 2][t] = a[i][t] - a[i + 2][t];
            }
        }
    }
    for h in [0, 2, 4, 6] {
        for t in 0..GRID {
            out[h][t] = (b[h][t] + b[h + 1][t]) * HADAMARD_SCALE;
            out[h + 1][t] = (b[h][t] - b[h + 1][t]) * HADAMARD_SCALE;
        }
    }
}

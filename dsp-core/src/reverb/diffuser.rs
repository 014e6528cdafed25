//! Multichannel input diffuser after Geraint Luff, "Let's write a reverb" (ADC 2021): a chain of
//! stages, each delaying the eight channels by different amounts, shuffling and flipping their
//! polarities, then mixing them with an orthonormal Hadamard matrix. No feedback, so it is
//! unconditionally stable and its output energy equals its input energy; one impulse in becomes
//! `8^STAGES` echoes spread over the sum of the stage lengths, which is what makes the
//! network's onset dense instead of a handful of discrete repeats.

use super::lanes::{hadamard, Lanes, LINES};
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

#[derive(Debug, Clone, Default)]
pub struct Diffuser {
    /// `STAGES` ring buffers of `size` frames each, back to back.
    buf: Vec<Lanes>,
    size: usize,
    mask: usize,
    pos: usize,
    delays: [[usize; LINES]; STAGES],
}

impl Diffuser {
    /// Allocates for stage lengths up to `max_stage_ms`.
    pub fn prepare(&mut self, sample_rate: f64, max_stage_ms: f64) {
        let max = (max_stage_ms * 1e-3 * sample_rate).ceil() as usize + 2;
        self.size = max.next_power_of_two();
        self.mask = self.size - 1;
        self.buf = vec![[0.0; LINES]; self.size * STAGES];
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
        self.buf.fill([0.0; LINES]);
        self.pos = 0;
    }

    pub fn is_zero(&self) -> bool {
        self.buf.iter().all(|f| f.iter().all(|&v| v == 0.0))
    }

    #[inline(always)]
    pub fn tick(&mut self, x: Lanes) -> Lanes {
        let mut v = x;
        let (pos, mask, size) = (self.pos, self.mask, self.size);
        for k in 0..STAGES {
            let stage = &mut self.buf[k * size..(k + 1) * size];
            stage[pos] = v;
            let mut r = [0.0f32; LINES];
            for i in 0..LINES {
                let src = PERM[k][i];
                r[i] = stage[pos.wrapping_sub(self.delays[k][src]) & mask][src] * SIGN[k][i];
            }
            v = hadamard(r);
        }
        self.pos = (pos + 1) & mask;
        v
    }
}

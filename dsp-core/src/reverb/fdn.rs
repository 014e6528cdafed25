//! The feedback delay network: eight modulated delay lines, per-line absorption filters and an
//! orthonormal Hadamard feedback matrix (Jot & Chaigne 1991; Jot's "Efficient models for
//! reverberation and distance rendering", 1997).
//!
//! Why Hadamard and not Householder: for eight lines the Householder reflection
//! `I - (2/8) 1 1^T` keeps 3/4 of every line in itself, so echo density builds slowly and each
//! line rings like a comb; the Hadamard matrix spreads every line equally (`±1/sqrt 8`) over
//! all eight on each pass, which gives the fastest density growth an orthogonal matrix can, at
//! 24 additions (fast Walsh-Hadamard). Orthogonality makes the loop lossless before the
//! absorption filters, so the decay is set by those filters alone.
//!
//! Exact per-band RT60 (Jot's absorption rule): a line of `L` samples must lose
//! `60 dB * L / (fs RT60(f))` per pass at every frequency, so its filter gain is
//! `g(f) = 10^(-3 L / (fs RT60(f)))`. Each line gets `g_mid` times a low shelf (DC gain
//! `g_low / g_mid`) times a high shelf (Nyquist gain `g_high / g_mid`). The shelves are
//! Andrew Simper's trapezoidal state-variable shelves ("SvfLinearTrapOptimised2"): their plateau
//! gains are structurally exact (the low-pass state equals the input at DC whatever the rounded
//! coefficients), they are monotonic for `k = sqrt 2`, so the loop gain never exceeds
//! `max(g_low, g_mid, g_high) < 1`, and they stay well conditioned in `f32` at 250 Hz and
//! 384 kHz where a direct-form biquad would not.
//!
//! Modulation (against metallic ringing): each line's length is swept by a slow sine with a
//! first-order allpass fractional delay (Dattorro, "Effect Design part 1", JAES 1997). Unlike
//! polynomial interpolation, the allpass has unit magnitude at every fractional position, so the
//! modulation never adds high-frequency loss to the loop and the per-band RT60 stays as set.
//! The fractional part is kept in `[0.5, 1.5)`, where the allpass coefficient stays within
//! `[-1/5, 1/3]` and its own transient dies within a few samples.

use super::lanes::{flush, hadamard, Lanes, LINES};
use std::f64::consts::{LN_10, PI, SQRT_2};

/// Offset that makes the fractional read position positive before truncation, so that
/// `as i32` acts as `floor` (no `floor` call, which is a library call on baseline x86-64).
const FLOOR_BIAS: f32 = 4096.0;

/// Trapezoidal SVF shelf coefficients (Simper), per line.
#[derive(Debug, Clone, Copy, Default)]
struct Shelf {
    a1: Lanes,
    a2: Lanes,
    a3: Lanes,
    m0: Lanes,
    m1: Lanes,
    m2: Lanes,
    ic1: Lanes,
    ic2: Lanes,
}

impl Shelf {
    #[inline(always)]
    fn tick(&mut self, v0: Lanes) -> Lanes {
        let mut out = [0.0f32; LINES];
        for i in 0..LINES {
            let v3 = v0[i] - self.ic2[i];
            let v1 = self.a1[i] * self.ic1[i] + self.a2[i] * v3;
            let v2 = self.ic2[i] + self.a2[i] * self.ic1[i] + self.a3[i] * v3;
            self.ic1[i] = 2.0 * v1 - self.ic1[i];
            self.ic2[i] = 2.0 * v2 - self.ic2[i];
            out[i] = self.m0[i] * v0[i] + self.m1[i] * v1 + self.m2[i] * v2;
        }
        out
    }

    fn set_lane(&mut self, i: usize, c: &ShelfDesign) {
        self.a1[i] = c.a1 as f32;
        self.a2[i] = c.a2 as f32;
        self.a3[i] = c.a3 as f32;
        self.m0[i] = c.m0 as f32;
        self.m1[i] = c.m1 as f32;
        self.m2[i] = c.m2 as f32;
    }

    fn flush_state(&mut self, floor: f32) {
        self.ic1 = flush(self.ic1, floor);
        self.ic2 = flush(self.ic2, floor);
    }

    fn clear(&mut self) {
        self.ic1 = [0.0; LINES];
        self.ic2 = [0.0; LINES];
    }

    fn state_is_zero(&self) -> bool {
        self.ic1.iter().chain(&self.ic2).all(|&v| v == 0.0)
    }
}

/// One shelf in `f64`, with its exact analog-prototype response for the decay display.
#[derive(Debug, Clone, Copy)]
pub struct ShelfDesign {
    a1: f64,
    a2: f64,
    a3: f64,
    m0: f64,
    m1: f64,
    m2: f64,
    g: f64,
}

impl ShelfDesign {
    fn from_g(g: f64, m0: f64, m1: f64, m2: f64) -> Self {
        let a1 = 1.0 / (1.0 + g * (g + SQRT_2));
        let a2 = g * a1;
        Self {
            a1,
            a2,
            a3: g * a2,
            m0,
            m1,
            m2,
            g,
        }
    }

    /// Low shelf with linear gain `rho` at DC and 1 above `fc`; `tan_wc = tan(pi fc / fs)`.
    pub fn low(tan_wc: f64, rho: f64) -> Self {
        let a = rho.sqrt();
        Self::from_g(tan_wc / a.sqrt(), 1.0, SQRT_2 * (a - 1.0), rho - 1.0)
    }

    /// High shelf with linear gain 1 at DC and `rho` at Nyquist.
    pub fn high(tan_wc: f64, rho: f64) -> Self {
        let a = rho.sqrt();
        Self::from_g(tan_wc * a.sqrt(), rho, SQRT_2 * (1.0 - a) * a, 1.0 - rho)
    }

    /// Magnitude at `freq`: the trapezoidal SVF is the bilinear transform of
    /// `m0 + m1 s/(s^2 + k s + 1) + m2/(s^2 + k s + 1)` with `s = j tan(pi f / fs) / g`.
    pub fn magnitude(&self, freq: f64, sample_rate: f64) -> f64 {
        let w = (PI * (freq / sample_rate).min(0.5 - 1e-9)).tan() / self.g;
        // s = j w: s^2 + k s + 1 = (1 - w^2) + j k w
        let (dr, di) = (1.0 - w * w, SQRT_2 * w);
        let den = dr * dr + di * di;
        // m1 * j w / D + m2 / D, with 1/D = (dr - j di)/den
        let (nr, ni) = (self.m2, self.m1 * w);
        let re = self.m0 + (nr * dr + ni * di) / den;
        let im = (ni * dr - nr * di) / den;
        (re * re + im * im).sqrt()
    }
}

/// Absorption targets in "decay rate" form: `alpha = 1 / RT60` in 1/s per band (0 = frozen).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Absorption {
    pub alpha_low: f64,
    pub alpha_mid: f64,
    pub alpha_high: f64,
    pub low_xover_hz: f64,
    pub high_xover_hz: f64,
}

impl Absorption {
    /// The three filter sections of a line of `len` samples: (mid gain, low shelf, high shelf).
    pub fn design(&self, len: f64, sample_rate: f64) -> (f64, ShelfDesign, ShelfDesign) {
        // g = 10^(-3 L alpha / fs) = exp(-3 ln10 L alpha / fs)
        let k = -3.0 * LN_10 * len / sample_rate;
        let g_mid = (k * self.alpha_mid).exp();
        let rho_low = (k * (self.alpha_low - self.alpha_mid)).exp();
        let rho_high = (k * (self.alpha_high - self.alpha_mid)).exp();
        let tan = |f: f64| (PI * (f / sample_rate).min(0.45)).tan();
        (
            g_mid,
            ShelfDesign::low(tan(self.low_xover_hz), rho_low),
            ShelfDesign::high(tan(self.high_xover_hz), rho_high),
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct Fdn {
    buf: Vec<Lanes>,
    mask: usize,
    pos: usize,
    /// Nominal line lengths in samples (before modulation), ramped per sample.
    len: [f64; LINES],
    len_target: [f64; LINES],
    len_step: [f64; LINES],
    len_remaining: u32,
    len_int: [usize; LINES],
    len_frac: Lanes,
    ap: Lanes,
    low: Shelf,
    high: Shelf,
    lfo_cos: Lanes,
    lfo_sin: Lanes,
    rot_cos: Lanes,
    rot_sin: Lanes,
    lfo_weight: Lanes,
    floor: f32,
}

/// Per-line LFO rates (Hz): incommensurate, so the lines never sweep in step.
const LFO_HZ: [f64; LINES] = [0.31, 0.43, 0.53, 0.67, 0.79, 0.89, 1.03, 1.13];
/// Per-line share of the modulation depth (slower lines swing further).
const LFO_WEIGHT: Lanes = [1.0, 0.93, 0.87, 0.8, 0.75, 0.7, 0.64, 0.6];

impl Fdn {
    /// Allocates for nominal lengths up to `max_len` samples plus `max_mod` samples of sweep.
    pub fn prepare(&mut self, sample_rate: f64, max_len: f64, max_mod: f64, floor: f32) {
        let frames = (max_len + max_mod).ceil() as usize + 4;
        self.buf = vec![[0.0; LINES]; frames.next_power_of_two()];
        self.mask = self.buf.len() - 1;
        for i in 0..LINES {
            let w = 2.0 * PI * LFO_HZ[i] / sample_rate;
            self.rot_cos[i] = w.cos() as f32;
            self.rot_sin[i] = w.sin() as f32;
        }
        self.lfo_weight = LFO_WEIGHT;
        self.floor = floor;
        self.reset();
    }

    /// Clears the signal state and restarts the LFOs at their fixed initial phases.
    pub fn reset(&mut self) {
        self.buf.fill([0.0; LINES]);
        self.pos = 0;
        self.ap = [0.0; LINES];
        self.low.clear();
        self.high.clear();
        for i in 0..LINES {
            let ph = 2.0 * PI * i as f64 * 0.382;
            self.lfo_cos[i] = ph.cos() as f32;
            self.lfo_sin[i] = ph.sin() as f32;
        }
        self.len = self.len_target;
        self.len_remaining = 0;
        self.split_lengths();
    }

    pub fn state_is_zero(&self) -> bool {
        self.ap.iter().all(|&v| v == 0.0)
            && self.low.state_is_zero()
            && self.high.state_is_zero()
            && self.buf.iter().all(|f| f.iter().all(|&v| v == 0.0))
    }

    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Glides every nominal length to `target` over `ramp` samples (0 = jump). Reading positions
    /// move continuously, so a size or mode change is a short pitch glide, never a click.
    pub fn set_lengths(&mut self, target: [f64; LINES], ramp: u32) {
        let max = (self.mask as f64 - 2.0).max(3.0);
        self.len_target = target.map(|l| l.clamp(3.0, max));
        if ramp == 0 {
            self.len = self.len_target;
            self.len_remaining = 0;
            self.split_lengths();
        } else {
            self.len_remaining = ramp;
            for i in 0..LINES {
                self.len_step[i] = (self.len_target[i] - self.len[i]) / ramp as f64;
            }
        }
    }

    pub fn is_gliding(&self) -> bool {
        self.len_remaining > 0
    }

    fn split_lengths(&mut self) {
        for i in 0..LINES {
            let int = self.len[i].floor();
            self.len_int[i] = int as usize;
            self.len_frac[i] = (self.len[i] - int) as f32;
        }
    }

    /// Recomputes every line's absorption filter for the current lengths.
    pub fn set_absorption(&mut self, abs: &Absorption, sample_rate: f64) {
        for i in 0..LINES {
            let (g, lo, hi) = abs.design(self.len[i], sample_rate);
            // The mid gain is folded into the low shelf's output mix.
            let lo = ShelfDesign {
                m0: lo.m0 * g,
                m1: lo.m1 * g,
                m2: lo.m2 * g,
                ..lo
            };
            self.low.set_lane(i, &lo);
            self.high.set_lane(i, &hi);
        }
    }

    /// Housekeeping on the coefficient grid: flushes the shelf states and renormalises the LFO
    /// oscillators (one Newton step towards unit radius) so rounding never lets them drift.
    pub fn grid_update(&mut self) {
        self.low.flush_state(self.floor);
        self.high.flush_state(self.floor);
        for i in 0..LINES {
            let r2 = self.lfo_cos[i] * self.lfo_cos[i] + self.lfo_sin[i] * self.lfo_sin[i];
            let k = 1.5 - 0.5 * r2;
            self.lfo_cos[i] *= k;
            self.lfo_sin[i] *= k;
        }
    }

    /// Runs `inject.len()` (at most `GRID`) samples. Phase 1 reads and filters every line for the
    /// whole chunk; phase 2 mixes and writes back `mixed + inject`. The split is exact, not an
    /// approximation: the shortest line (2.8 ms minus the sweep) is longer than a chunk at every
    /// sample rate, so no read in a chunk can see a write of the same chunk. `mixed[t]` (each
    /// lane an orthogonal combination of all lines) is where the caller takes its decorrelated
    /// output taps; `depth[t]` is the sweep in samples.
    pub fn process(&mut self, inject: &[Lanes], depth: &[f32], mixed: &mut [Lanes]) {
        let n = inject.len();
        for (t, out) in mixed.iter_mut().enumerate().take(n) {
            if self.len_remaining > 0 {
                self.glide_step();
            }
            let mut y = [0.0f32; LINES];
            let d_mod = depth[t];
            for i in 0..LINES {
                let c = self.lfo_cos[i];
                let s = self.lfo_sin[i];
                self.lfo_cos[i] = c * self.rot_cos[i] - s * self.rot_sin[i];
                self.lfo_sin[i] = s * self.rot_cos[i] + c * self.rot_sin[i];
            }
            let base = self.pos.wrapping_add(t);
            let mask = self.mask;
            // A slice of exactly `mask + 1` frames: indices `& mask` need no bounds check.
            let buf = &self.buf[..mask + 1];
            for i in 0..LINES {
                // Total delay = len_int + q: an integer tap plus an allpass part in [0.5, 1.5).
                let q = self.len_frac[i] + d_mod * self.lfo_weight[i] * self.lfo_sin[i];
                let k = (q - 0.5 + FLOOR_BIAS) as i32 - FLOOR_BIAS as i32;
                let frac = q - k as f32;
                let d = (self.len_int[i] as isize + k as isize) as usize;
                let u0 = buf[base.wrapping_sub(d) & mask][i];
                let u1 = buf[base.wrapping_sub(d + 1) & mask][i];
                let eta = (1.0 - frac) / (1.0 + frac);
                y[i] = eta * (u0 - self.ap[i]) + u1;
            }
            self.ap = flush(y, self.floor);
            *out = self.high.tick(self.low.tick(self.ap));
        }
        for (m, inj) in mixed.iter_mut().zip(inject) {
            let h = hadamard(*m);
            let mut w = [0.0f32; LINES];
            for i in 0..LINES {
                w[i] = h[i] + inj[i];
            }
            self.buf[self.pos] = flush(w, self.floor);
            self.pos = (self.pos + 1) & self.mask;
            *m = h;
        }
    }

    fn glide_step(&mut self) {
        self.len_remaining -= 1;
        if self.len_remaining == 0 {
            self.len = self.len_target;
        } else {
            for i in 0..LINES {
                self.len[i] += self.len_step[i];
            }
        }
        self.split_lengths();
    }

}

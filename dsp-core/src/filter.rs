//! The biquad runtime shared by every processor that filters: plain coefficients, a transposed
//! direct form II state in `f64`, and the textbook bilinear designs (RBJ's Audio EQ Cookbook) for
//! uses where cramping near Nyquist does not matter (side-chain filters, low crossovers).
//! The analog-matched designs of the EQ live in [`crate::eq`].

use crate::util::flush;
use std::f64::consts::PI;

/// Normalised biquad coefficients (`a0 == 1`):
/// `H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BiquadCoeffs {
    pub b0: f64,
    pub b1: f64,
    pub b2: f64,
    pub a1: f64,
    pub a2: f64,
}

impl Default for BiquadCoeffs {
    fn default() -> Self {
        Self::IDENTITY
    }
}

impl BiquadCoeffs {
    pub const IDENTITY: Self = Self {
        b0: 1.0,
        b1: 0.0,
        b2: 0.0,
        a1: 0.0,
        a2: 0.0,
    };

    fn normalised(b0: f64, b1: f64, b2: f64, a0: f64, a1: f64, a2: f64) -> Self {
        Self {
            b0: b0 / a0,
            b1: b1 / a0,
            b2: b2 / a0,
            a1: a1 / a0,
            a2: a2 / a0,
        }
    }

    /// RBJ cookbook low-pass (bilinear, pre-warped at `freq`).
    pub fn rbj_lowpass(sample_rate: f64, freq: f64, q: f64) -> Self {
        let w0 = 2.0 * PI * (freq / sample_rate).clamp(1e-6, 0.4999);
        let (s, c) = w0.sin_cos();
        let alpha = s / (2.0 * q);
        Self::normalised(
            (1.0 - c) / 2.0,
            1.0 - c,
            (1.0 - c) / 2.0,
            1.0 + alpha,
            -2.0 * c,
            1.0 - alpha,
        )
    }

    /// RBJ cookbook high-pass (bilinear, pre-warped at `freq`).
    pub fn rbj_highpass(sample_rate: f64, freq: f64, q: f64) -> Self {
        let w0 = 2.0 * PI * (freq / sample_rate).clamp(1e-6, 0.4999);
        let (s, c) = w0.sin_cos();
        let alpha = s / (2.0 * q);
        Self::normalised(
            (1.0 + c) / 2.0,
            -(1.0 + c),
            (1.0 + c) / 2.0,
            1.0 + alpha,
            -2.0 * c,
            1.0 - alpha,
        )
    }

    /// Complex response at `freq` as (magnitude, phase in radians).
    pub fn response(&self, freq: f64, sample_rate: f64) -> (f64, f64) {
        let w = 2.0 * PI * freq / sample_rate;
        let (s1, c1) = w.sin_cos();
        let (s2, c2) = (2.0 * w).sin_cos();
        // e^{-jw} = c1 - j s1
        let (nr, ni) = (
            self.b0 + self.b1 * c1 + self.b2 * c2,
            -(self.b1 * s1 + self.b2 * s2),
        );
        let (dr, di) = (
            1.0 + self.a1 * c1 + self.a2 * c2,
            -(self.a1 * s1 + self.a2 * s2),
        );
        let mag = ((nr * nr + ni * ni) / (dr * dr + di * di)).sqrt();
        (mag, ni.atan2(nr) - di.atan2(dr))
    }

    #[inline]
    pub fn magnitude(&self, freq: f64, sample_rate: f64) -> f64 {
        self.response(freq, sample_rate).0
    }
}

/// One channel's memory of a biquad in transposed direct form II, which has the best
/// numerical behaviour of the direct forms in floating point and needs two state words.
#[derive(Debug, Clone, Copy, Default)]
pub struct BiquadState {
    s1: f64,
    s2: f64,
}

impl BiquadState {
    #[inline]
    pub fn tick(&mut self, c: &BiquadCoeffs, x: f64) -> f64 {
        let y = c.b0 * x + self.s1;
        self.s1 = c.b1 * x - c.a1 * y + self.s2;
        self.s2 = c.b2 * x - c.a2 * y;
        y
    }

    /// Flushes denormal-range state; call once per sample or per block on the recursive path.
    #[inline]
    pub fn flush(&mut self) {
        self.s1 = flush(self.s1);
        self.s2 = flush(self.s2);
    }

    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// True when a poisoned input reached the state: the caller resets it.
    #[inline]
    pub fn is_finite(&self) -> bool {
        self.s1.is_finite() && self.s2.is_finite()
    }
}

/// Coefficients of a trapezoidal-integrated state-variable filter (Simper, "Linear Trapezoidal
/// Integrated SVF", Cytomic 2013). Its states are the integrators' currents, so it stays
/// well-behaved when the cutoff moves quickly, where a direct-form biquad whose coefficients jump
/// puts out transients: the filter for swept cutoffs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SvfCoeffs {
    a1: f64,
    a2: f64,
    a3: f64,
    k: f64,
}

impl SvfCoeffs {
    /// Cutoff `freq` (kept below 0.49 fs) and resonance `q` (0.7071: Butterworth).
    pub fn new(sample_rate: f64, freq: f64, q: f64) -> Self {
        let g = (std::f64::consts::PI * (freq / sample_rate).clamp(1e-6, 0.49)).tan();
        let k = 1.0 / q;
        let a1 = 1.0 / (1.0 + g * (g + k));
        let a2 = g * a1;
        Self {
            a1,
            a2,
            a3: g * a2,
            k,
        }
    }
}

/// One channel of an SVF; [`SvfState::tick`] returns the (low-pass, high-pass) outputs.
#[derive(Debug, Clone, Copy, Default)]
pub struct SvfState {
    ic1: f64,
    ic2: f64,
}

impl SvfState {
    #[inline]
    pub fn tick(&mut self, c: &SvfCoeffs, x: f64) -> (f64, f64) {
        let v3 = x - self.ic2;
        let v1 = c.a1 * self.ic1 + c.a2 * v3;
        let v2 = self.ic2 + c.a2 * self.ic1 + c.a3 * v3;
        self.ic1 = 2.0 * v1 - self.ic1;
        self.ic2 = 2.0 * v2 - self.ic2;
        (v2, x - c.k * v1 - v2)
    }

    /// Flushes denormal-range state; call once per sample or per block on the recursive path.
    #[inline]
    pub fn flush(&mut self) {
        self.ic1 = flush(self.ic1);
        self.ic2 = flush(self.ic2);
    }

    pub fn is_zero(&self) -> bool {
        self.ic1 == 0.0 && self.ic2 == 0.0
    }
}

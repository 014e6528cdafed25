//! Word-length reduction to 24, 20 or 16 bits: TPDF dither, optional error-feedback noise
//! shaping and auto-blank, the last stage of the Maximizer.
//!
//! # Quantiser
//! Output samples are `k / 2^(bits-1)` with `k` an integer in `-2^(bits-1) ..= 2^(bits-1) - 1`,
//! exactly representable in `f32` for every supported word length, so a host that writes the
//! float as an integer of that width gets the value bit for bit. Out-of-range input clips to the
//! grid's end points.
//!
//! # Dither
//! TPDF (the difference of two independent uniform variables, 2 LSB peak to peak) is the lowest
//! power dither that makes both the first and second moments of the total error independent of
//! the signal (Lipshitz, Wannamaker & Vanderkooy, "Quantization and Dither: A Theoretical
//! Survey", JAES 1992): the error is then white with variance `q^2/12 + 2 q^2/12 = q^2/4`, and a
//! low-level tone leaves no harmonics, only a steady noise floor.
//!
//! # Noise shaping
//! Error feedback: `v = x - sum_k h_k e[n-k]`, `y = Q(v + d)`, `e = y - v`, so the total error
//! (dither included) reaching the output is filtered by `NTF(z) = 1 - sum_k h_k z^-k`. The NTF is
//! an FIR filter, so the loop has no poles and cannot be unstable in the linear regime; the only
//! way it could run away is quantiser overload (clipping feeding huge errors back), so the error
//! fed back is limited to +-2 LSB, which the TPDF quantiser's own error (at most 1.5 LSB) never
//! reaches outside clipping.
//! - [`NoiseShape::Light`]: second order, NTF zeros at 3 kHz on radius 0.95, designed at the
//!   running sample rate: about -17 dB in 1-5 kHz for +6.8 dB of total noise power.
//! - [`NoiseShape::Strong`]: Wannamaker's 9-tap F-weighted filter ("Psychoacoustically Optimal
//!   Noise Shaping", JAES 40(7/8), 1992), the coefficients as published there and shipped by SoX
//!   (`dither.c`, `fwe44`): `2.412, -3.370, 3.937, -4.174, 3.353, -2.205, 1.281, -0.569, 0.0847`.
//!   Designed for 44.1 kHz, used as is at every rate (at 48 kHz its curve moves up 9 %, still
//!   about -19 dB in 1-5 kHz; at 88.2 kHz and above the extra noise lands mostly above hearing).
//!
//! # Auto-blank
//! With auto-blank on, an input sample of exact digital zero gives an output of exact zero and
//! clears the error history, so silence between tracks stays silence (no dither hiss, no shaped
//! error ringing on) and the next sound starts from a clean state.
//!
//! # Determinism
//! Each channel has its own SplitMix64 generator ([`crate::signal::Rng`]), seeded from the channel
//! index; `reset` reseeds. The output depends only on the input samples and when setters were
//! called, never on block sizes.

use crate::signal::Rng;
use crate::util::sanitize;

/// Channels with their own generator and error history; more are passed through unchanged.
pub const MAX_CHANNELS: usize = 8;
const MAX_TAPS: usize = 9;
/// Error fed back, in LSB: above the quantiser's normal 1.5 LSB, small enough that clipping can
/// never drive the loop into oscillation.
const ERROR_LIMIT: f64 = 2.0;
const SEED: u64 = 0x4C61_7468_6544_6974;

/// Wannamaker's 9-tap F-weighted error-feedback coefficients (see the module documentation).
pub const F_WEIGHTED_9: [f64; 9] = [
    2.412, -3.370, 3.937, -4.174, 3.353, -2.205, 1.281, -0.569, 0.0847,
];

/// Round to the nearest integer (ties to even) by the 1.5 * 2^52 trick: adding it pushes the
/// fraction bits out of the `f64` mantissa, so the sum is rounded by the FPU itself. A plain
/// `f64::round` is a library call on baseline x86-64 (no SSE4.1). Exact for |t| < 2^51; larger
/// values come back approximately unchanged and are clipped to the word by the caller anyway.
#[inline]
fn round_to_integer(t: f64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    (t + MAGIC) - MAGIC
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseShape {
    /// Flat (white) TPDF.
    Flat,
    /// Gentle second-order shaping (notch around 3 kHz).
    Light,
    /// Wannamaker's 9-tap F-weighted psychoacoustic curve.
    Strong,
}

#[derive(Debug, Clone)]
pub struct Dither {
    sample_rate: f64,
    bits: u32,
    shape: NoiseShape,
    dither_on: bool,
    auto_blank: bool,
    taps: [f64; MAX_TAPS],
    n_taps: usize,
    scale: f64,
    rng: [Rng; MAX_CHANNELS],
    /// Per channel, the error-feedback filter's transposed-form state: `history[c][0]` is the
    /// feedback for the next sample.
    history: [[f64; MAX_TAPS]; MAX_CHANNELS],
}

impl Default for Dither {
    fn default() -> Self {
        Self::new()
    }
}

impl Dither {
    /// 16 bits, flat TPDF, auto-blank off.
    pub fn new() -> Self {
        let mut d = Self {
            sample_rate: 48_000.0,
            bits: 16,
            shape: NoiseShape::Flat,
            dither_on: true,
            auto_blank: false,
            taps: [0.0; MAX_TAPS],
            n_taps: 0,
            scale: 32_768.0,
            rng: std::array::from_fn(Self::seeded),
            history: [[0.0; MAX_TAPS]; MAX_CHANNELS],
        };
        d.configure();
        d
    }

    fn seeded(channel: usize) -> Rng {
        Rng::new(SEED ^ (channel as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    pub fn prepare(&mut self, sample_rate: f64, _max_block: usize) {
        self.sample_rate = sample_rate;
        self.configure();
        self.reset();
    }

    /// Clears the error histories and reseeds the generators.
    pub fn reset(&mut self) {
        self.rng = std::array::from_fn(Self::seeded);
        self.history = [[0.0; MAX_TAPS]; MAX_CHANNELS];
    }

    /// Target word length: 16, 20 or 24 (other values are clamped to 8..=24).
    pub fn set_bits(&mut self, bits: u32) {
        let bits = bits.clamp(8, 24);
        if bits != self.bits {
            self.bits = bits;
            self.configure();
        }
    }

    pub fn set_noise_shape(&mut self, shape: NoiseShape) {
        if shape != self.shape {
            self.shape = shape;
            self.configure();
        }
    }

    /// Off: plain rounding to the grid (for comparison; it distorts low-level signals).
    pub fn set_dither_on(&mut self, on: bool) {
        self.dither_on = on;
    }

    pub fn set_auto_blank(&mut self, on: bool) {
        self.auto_blank = on;
    }

    pub fn latency_samples(&self) -> usize {
        0
    }

    /// One LSB of the target word length, `2^-(bits-1)`.
    pub fn lsb(&self) -> f64 {
        1.0 / self.scale
    }

    /// The noise transfer function's error-feedback taps `h_1..h_n` in use.
    pub fn feedback_taps(&self) -> &[f64] {
        &self.taps[..self.n_taps]
    }

    /// Sets the grid and the taps; the old error history is in other units or belongs to another
    /// filter, so it is cleared (a change takes effect at the next sample, like any setter).
    fn configure(&mut self) {
        self.scale = (1u64 << (self.bits - 1)) as f64;
        self.taps = [0.0; MAX_TAPS];
        self.n_taps = match self.shape {
            NoiseShape::Flat => 0,
            NoiseShape::Light => {
                let r = 0.95;
                let w = std::f64::consts::TAU * 3000.0 / self.sample_rate;
                self.taps[0] = 2.0 * r * w.cos();
                self.taps[1] = -r * r;
                2
            }
            NoiseShape::Strong => {
                self.taps = F_WEIGHTED_9;
                9
            }
        };
        self.history = [[0.0; MAX_TAPS]; MAX_CHANNELS];
    }

    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let n_ch = channels.len().min(MAX_CHANNELS);
        let len = channels.first().map_or(0, |c| c.len());
        // Frame by frame, channels inside: each channel's loop carries a dependency through its
        // error feedback, and interleaving the channels lets the CPU overlap the chains.
        for i in 0..len {
            for (ch, data) in channels.iter_mut().enumerate().take(n_ch) {
                data[i] = self.tick(ch, data[i]);
            }
        }
    }

    #[inline]
    fn tick(&mut self, ch: usize, input: f32) -> f32 {
        let x = sanitize(input);
        let acc = &mut self.history[ch];
        if self.auto_blank && x == 0.0 {
            *acc = [0.0; MAX_TAPS];
            return 0.0;
        }
        // Transposed FIR: `acc[0]` already holds sum_k h_k e[n-k], so the loop's critical path is
        // one multiply-add per sample instead of a chain of nine additions.
        let v = x as f64 * self.scale - acc[0];
        let d = if self.dither_on {
            let u = self.rng[ch].next_u64();
            ((u >> 32) as f64 - (u & 0xFFFF_FFFF) as f64) * (1.0 / 4_294_967_296.0)
        } else {
            0.0
        };
        let q = round_to_integer(v + d).clamp(-self.scale, self.scale - 1.0);
        if self.n_taps > 0 {
            let e = (q - v).clamp(-ERROR_LIMIT, ERROR_LIMIT);
            for k in 0..MAX_TAPS - 1 {
                acc[k] = acc[k + 1] + self.taps[k] * e;
            }
            acc[MAX_TAPS - 1] = self.taps[MAX_TAPS - 1] * e;
        }
        (q / self.scale) as f32
    }
}

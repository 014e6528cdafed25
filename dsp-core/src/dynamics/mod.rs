//! Dynamics processors: the compressor (feed-forward and feedback, peak and RMS, soft knee,
//! lookahead, side-chain filter, stereo link, auto release, auto make-up, dry/wet) and the
//! gate/expander.
//!
//! Both work on levels in the *log2 domain* ("octaves of amplitude": one unit is
//! 20 log10 2 = 6.0206 dB). The gain computer of Giannoulis, Massberg & Reiss (JAES 2012) is
//! scale-invariant, so it runs unchanged in log2 units, and the conversions to and from the linear
//! domain then need only the exponent bits of an `f64` plus a short polynomial ([`fast_log2`],
//! [`fast_exp2`]) instead of libm's `log10`/`powf`. Their error (below 1e-6 dB) is far inside the
//! 0.2 dB budget of the static curve.

pub mod compressor;
pub mod detector;
pub mod gain_computer;
pub mod gate;

pub use compressor::{Compressor, Detection, Topology};
pub use gain_computer::GainComputer;
pub use gate::Gate;

/// Decibels per log2 unit of amplitude: 20 log10(2).
pub const DB_PER_LOG2: f64 = 6.020_599_913_279_624;

/// Converts decibels to log2 units.
#[inline]
pub fn db_to_log2(db: f64) -> f64 {
    db * (1.0 / DB_PER_LOG2)
}

/// Converts log2 units to decibels.
#[inline]
pub fn log2_to_db(l: f64) -> f64 {
    l * DB_PER_LOG2
}

const MANTISSA: u64 = (1u64 << 52) - 1;

/// `log2(x)` for positive, finite, normal `x` (callers floor their levels at a normal number).
///
/// The exponent comes from the bits; the mantissa is folded into [1/sqrt2, sqrt2) and its log is
/// the odd series of `2 atanh(s) / ln 2` with `s = (m - 1)/(m + 1)`, `|s| <= 0.1716`. The first
/// omitted term (`s^9/9`) bounds the error at 4e-8 log2 units, 3e-7 dB.
#[inline]
pub fn fast_log2(x: f64) -> f64 {
    const C1: f64 = 2.0 / std::f64::consts::LN_2;
    const C3: f64 = C1 / 3.0;
    const C5: f64 = C1 / 5.0;
    const C7: f64 = C1 / 7.0;
    let bits = x.to_bits();
    let m = f64::from_bits((bits & MANTISSA) | (1023u64 << 52));
    // Folding by selects, not a branch: the mantissa of programme material is random.
    let big = m > std::f64::consts::SQRT_2;
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023 + i64::from(big);
    let m = if big { m * 0.5 } else { m };
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    e as f64 + s * (C1 + s2 * (C3 + s2 * (C5 + s2 * C7)))
}

/// `2^x`, for `x` clamped to +-1000.
///
/// `x = n + f` with `n` the nearest integer and `|f| <= 1/2`; `2^f = e^(f ln2)` by its Taylor
/// series to the 7th power (truncation error 1.3e-8 relative, 1e-7 dB) and `2^n` is written into
/// the exponent bits. `fast_exp2(0.0)` is exactly 1, so a processor that reduces nothing is
/// bit-transparent.
#[inline]
pub fn fast_exp2(x: f64) -> f64 {
    let x = x.clamp(-1000.0, 1000.0);
    // Truncation of a positive number is floor; this avoids `round`, which is a libm call on
    // baseline x86-64.
    let n = (x + 1024.5) as i64 - 1024;
    let t = (x - n as f64) * std::f64::consts::LN_2;
    let p = 1.0
        + t * (1.0
            + t * (0.5
                + t * (1.0 / 6.0
                    + t * (1.0 / 24.0
                        + t * (1.0 / 120.0 + t * (1.0 / 720.0 + t * (1.0 / 5040.0)))))));
    p * f64::from_bits(((n + 1023) as u64) << 52)
}

/// Single-precision [`fast_log2`] for the block passes of the feed-forward compressor: the same
/// fold and series, written with selects and 32-bit integer operations only so that the loop
/// vectorises with baseline SSE2 (four lanes). Its rounding (6e-8 relative, 4e-6 dB at -100
/// dBFS) is still four orders of magnitude inside the static curve's budget.
#[inline]
pub fn fast_log2_f32(x: f32) -> f32 {
    const C1: f32 = (2.0 / std::f64::consts::LN_2) as f32;
    const C3: f32 = C1 / 3.0;
    const C5: f32 = C1 / 5.0;
    const C7: f32 = C1 / 7.0;
    let bits = x.to_bits();
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    let big = m > std::f32::consts::SQRT_2;
    let e = ((bits >> 23) & 0xff) as i32 - 127 + i32::from(big);
    let m = if big { m * 0.5 } else { m };
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    e as f32 + s * (C1 + s2 * (C3 + s2 * (C5 + s2 * C7)))
}

/// Single-precision [`fast_exp2`] (clamped to +-126), vectorisable like [`fast_log2_f32`];
/// `fast_exp2_f32(0.0)` is exactly 1.
#[inline]
pub fn fast_exp2_f32(x: f32) -> f32 {
    // Adding 1.5 * 2^23 rounds to the nearest integer and leaves it in the low mantissa bits:
    // integer-only, so the loop vectorises (a float-to-int cast would not on SSE2).
    const MAGIC: f32 = 12_582_912.0;
    let x = x.clamp(-126.0, 126.0);
    let r = x + MAGIC;
    let n = (r.to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32);
    let t = (x - (r - MAGIC)) * std::f32::consts::LN_2;
    let p = 1.0
        + t * (1.0
            + t * (0.5
                + t * (1.0 / 6.0 + t * (1.0 / 24.0 + t * (1.0 / 120.0 + t * (1.0 / 720.0))))));
    p * f32::from_bits(((n + 127) as u32) << 23)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_log2_and_exp2_are_far_inside_the_static_curve_budget() {
        let mut worst_log = 0.0f64;
        let mut worst_exp = 0.0f64;
        let mut x = 1e-12f64;
        while x < 1e6 {
            worst_log = worst_log.max((fast_log2(x) - x.log2()).abs());
            x *= 1.0007;
        }
        let mut l = -60.0f64;
        while l < 20.0 {
            worst_exp = worst_exp.max((fast_exp2(l) / l.exp2()).log2().abs());
            l += 0.000_731;
        }
        assert!(
            log2_to_db(worst_log) < 1e-6,
            "log2 {} dB",
            log2_to_db(worst_log)
        );
        assert!(
            log2_to_db(worst_exp) < 1e-6,
            "exp2 {} dB",
            log2_to_db(worst_exp)
        );
        assert_eq!(fast_exp2(0.0), 1.0);
    }

    #[test]
    fn single_precision_versions_stay_within_a_thousandth_of_a_db() {
        let mut worst = 0.0f64;
        let mut x = 1e-30f32;
        while x < 1e6 {
            worst = worst.max((fast_log2_f32(x) as f64 - (x as f64).log2()).abs());
            x *= 1.0007;
        }
        let mut l = -100.0f32;
        while l < 20.0 {
            worst = worst.max((fast_exp2_f32(l) as f64 / (l as f64).exp2()).log2().abs());
            l += 0.000_731;
        }
        assert!(log2_to_db(worst) < 1e-3, "{} dB", log2_to_db(worst));
        assert_eq!(fast_exp2_f32(0.0), 1.0);
    }
}

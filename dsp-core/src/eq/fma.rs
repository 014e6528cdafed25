//! The static EQ cascade with fused multiply-adds, chosen at run time: the crate's one use of
//! `unsafe`. Plugins ship for baseline x86-64 (SSE2), where a biquad's recursion is a multiply
//! then an add (6 cycles of latency per sample on Zen 4); with FMA it is one fused
//! multiply-add (4 cycles), which no SSE2 arrangement reaches: measured on one settled bell,
//! 0.73x the time of the SSE2 loop (see the README's Speed section). `avx` comes with it for
//! the three-operand encoding, which saves the register copies of SSE2's two-operand one.
#![allow(unsafe_code)]

use super::band::{Df1, Frames, LaneIo, Plain};
use crate::filter::BiquadCoeffs;
use std::ops::Range;

/// True when the CPU has AVX and FMA (the standard library caches the answer).
pub(super) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// [`super::band::cascade`] in the machine's arithmetic: [`super::band::Fused`] where the CPU
/// has AVX and FMA ([`available`], checked once per run), else [`Plain`].
#[inline(always)]
pub(super) fn cascade<const N: usize, P: LaneIo, F: Frames + ?Sized>(
    c: &[BiquadCoeffs],
    st: &mut [Df1],
    frames: &mut F,
    range: Range<usize>,
) {
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: the CPU supports the features `fused` is compiled for (checked just above).
        unsafe { fused::<N, P, F>(c, st, frames, range) };
        return;
    }
    super::band::cascade::<N, P, Plain, F>(c, st, frames, range);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx,fma")]
fn fused<const N: usize, P: LaneIo, F: Frames + ?Sized>(
    c: &[BiquadCoeffs],
    st: &mut [Df1],
    frames: &mut F,
    range: Range<usize>,
) {
    super::band::cascade::<N, P, super::band::Fused, F>(c, st, frames, range);
}

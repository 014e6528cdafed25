//! The EQ's static cascade and its per-sample glide path with fused multiply-adds, chosen at
//! run time through [`crate::simd::dispatch_fused`]. Plugins ship for baseline x86-64 (SSE2), where a biquad's
//! recursion is a multiply then an add (6 cycles of latency per sample on Zen 4); with FMA it is
//! one fused multiply-add (4 cycles), which no SSE2 arrangement reaches: measured on one settled
//! bell, 0.73x the time of the SSE2 loop (see the README's Speed section). `avx` comes with it
//! for the three-operand encoding, which saves the register copies of SSE2's two-operand one.
use super::band::{Df1, EqBand, Frames, Fused, LaneIo, Plain};
use crate::filter::BiquadCoeffs;
use crate::simd::{self, FusedKernel};
use std::marker::PhantomData;
use std::ops::Range;

/// One call of [`super::band::cascade`], in either arithmetic.
struct Cascade<'a, const N: usize, P, F: ?Sized> {
    c: &'a [BiquadCoeffs],
    st: &'a mut [Df1],
    frames: &'a mut F,
    range: Range<usize>,
    lanes: PhantomData<P>,
}

impl<const N: usize, P: LaneIo, F: Frames + ?Sized> FusedKernel for Cascade<'_, N, P, F> {
    type Output = ();

    #[inline(always)]
    fn run_fused(self) {
        super::band::cascade::<N, P, Fused, F>(self.c, self.st, self.frames, self.range);
    }

    #[inline(always)]
    fn run_plain(self) {
        super::band::cascade::<N, P, Plain, F>(self.c, self.st, self.frames, self.range);
    }
}

/// [`super::band::cascade`] in the machine's arithmetic: fused where the CPU has AVX and FMA
/// ([`simd::fma_available`]), else plain.
#[inline(always)]
pub(super) fn cascade<const N: usize, P: LaneIo, F: Frames + ?Sized>(
    c: &[BiquadCoeffs],
    st: &mut [Df1],
    frames: &mut F,
    range: Range<usize>,
) {
    simd::dispatch_fused(Cascade::<N, P, F> {
        c,
        st,
        frames,
        range,
        lanes: PhantomData,
    });
}

/// One call of [`EqBand::glide_frames`], in either arithmetic.
struct Glide<'a> {
    band: &'a mut EqBand,
    frames: &'a mut [[f64; 2]],
    stereo: bool,
}

impl FusedKernel for Glide<'_> {
    type Output = ();

    #[inline(always)]
    fn run_fused(self) {
        self.band.glide_frames::<Fused>(self.frames, self.stereo);
    }

    #[inline(always)]
    fn run_plain(self) {
        self.band.glide_frames::<Plain>(self.frames, self.stereo);
    }
}

/// [`EqBand::glide_frames`] in the machine's arithmetic, as [`cascade`].
pub(super) fn glide(band: &mut EqBand, frames: &mut [[f64; 2]], stereo: bool) {
    simd::dispatch_fused(Glide {
        band,
        frames,
        stereo,
    });
}

//! Runtime dispatch to AVX2 for the hottest processors (the true-peak limiter, the true-peak
//! meter, the loudness meter's K-filters, the reverb and the compressor's fused pass), and to FMA
//! for the EQ's cascades: the one place in the crate allowed to use `unsafe`.
//!
//! Shipped plugins are compiled for baseline x86-64 (SSE2), so four-lane vectors. Those
//! processors' inner loops are written eight lanes wide; compiled with AVX2 they run as one
//! 256-bit vector instead of two 128-bit ones, and measured on this project's machine the
//! limiter ran about a third faster (see the README's Speed table). Only AVX2 is enabled, never
//! FMA: every lane does the same IEEE multiplies and adds in the same order as the SSE2 code, so
//! the output is bit-identical with and without AVX2, and block invariance and the offline
//! renderer's bit-identity with the plugin hold on every machine.
//!
//! [`force_baseline`] switches the dispatch off, so that tests and benchmarks run the baseline
//! paths on machines that have AVX2 and FMA, as the ones that build and test Lathe do.
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicBool, Ordering};

/// Set by [`force_baseline`].
static BASELINE: AtomicBool = AtomicBool::new(false);

/// Makes every dispatch in the crate take its baseline x86-64 path (SSE2, no FMA) even where the
/// CPU has AVX2 and FMA (`true`), or lets it choose again (`false`). For tests and benchmarks:
/// without it, a machine with AVX2 and FMA never runs the code every CPU without them runs.
/// Process-wide and read on each dispatch, so switch it only between streams: the EQ's
/// arithmetic changes with it (last bits), the other processors' output does not.
pub fn force_baseline(on: bool) {
    BASELINE.store(on, Ordering::Relaxed);
}

/// Whether [`dispatch`] runs its AVX2 form: the CPU has AVX2 and [`force_baseline`] is off.
#[inline]
pub fn avx2_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        !BASELINE.load(Ordering::Relaxed) && std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// A unit of work to compile for AVX2: [`Kernel::run`] and everything it calls must be
/// `#[inline(always)]` down to the loops that matter, so they are compiled inside the AVX2
/// function (a closure would not do: its body is not inlined into the dispatcher).
pub(crate) trait Kernel {
    type Output;
    fn run(self) -> Self::Output;
}

/// Runs `k`, compiled for AVX2 when the CPU has it. `is_x86_feature_detected!` reads a cached
/// atomic after its first call: no system call, no allocation, safe on the audio thread.
#[inline(always)]
pub(crate) fn dispatch<K: Kernel>(k: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        fn avx2<K: Kernel>(k: K) -> K::Output {
            k.run()
        }
        if avx2_available() {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { avx2(k) };
        }
    }
    k.run()
}

/// A unit of work with two forms that differ in the last bits: fused (`f64::mul_add`, one
/// instruction where the CPU has FMA) and plain (a multiply, then an add). Everything either
/// form calls must be `#[inline(always)]`, as for [`Kernel`].
pub(crate) trait FusedKernel {
    type Output;
    fn run_fused(self) -> Self::Output;
    fn run_plain(self) -> Self::Output;
}

/// Whether [`dispatch_fused`] takes the fused form: the CPU has AVX (for the three-operand
/// encoding) and FMA, and [`force_baseline`] is off. Cached by the standard library after the
/// first call, as in [`dispatch`].
#[inline(always)]
pub fn fma_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        !BASELINE.load(Ordering::Relaxed)
            && std::arch::is_x86_feature_detected!("avx")
            && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Runs `k`'s fused form compiled for AVX and FMA when the CPU has both, else its plain form.
/// Unlike [`dispatch`], the result then depends on the machine in the last bits; on any one
/// machine every call takes the same form, so block invariance and the offline renderer's
/// bit-identity with the plugin hold.
#[inline(always)]
pub(crate) fn dispatch_fused<K: FusedKernel>(k: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx,fma")]
        fn fused<K: FusedKernel>(k: K) -> K::Output {
            k.run_fused()
        }
        if fma_available() {
            // SAFETY: the CPU supports AVX and FMA, checked just above.
            return unsafe { fused(k) };
        }
    }
    k.run_plain()
}

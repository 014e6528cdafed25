//! Eight-lane vector helpers. The network runs its eight delay lines side by side in plain
//! `[f32; 8]` arrays so that every per-line operation is a lane-wise loop the compiler turns into
//! SIMD without `unsafe`.

/// Number of delay lines (and diffuser channels).
pub const LINES: usize = 8;

/// One value per delay line.
pub type Lanes = [f32; LINES];

/// `1/sqrt(8)` rounded to `f32`. The nearest `f32` happens to lie *below* the exact value
/// (`8 s^2 - 1 = -3.4e-8`), so the normalised Hadamard matrix is very slightly contractive in
/// `f32` and a frozen network (feedback gain exactly 1) can never grow by rounding of the scale.
/// The network multiplies each line by it before the butterflies (folded into the line's output
/// gain, `H (s x) = s H x`); frozen, that gain is exactly this `f32`, so the property holds there.
pub const HADAMARD_SCALE: f32 = 0.353_553_38;

/// Orthonormal Sylvester Hadamard transform of order 8: [`butterflies`], then one scale.
/// Symmetric and its own inverse.
#[inline(always)]
pub fn hadamard(x: Lanes) -> Lanes {
    butterflies(x, &BUTTERFLY_SIGNS).map(|v| v * HADAMARD_SCALE)
}

/// The sign patterns of the three butterfly stages of [`butterflies`].
pub type ButterflySigns = [Lanes; 3];

/// `+1` on the lower lane of each pair of a stage (pairs 4, 2, 1 apart), `-1` on the upper.
pub const BUTTERFLY_SIGNS: ButterflySigns = [
    [1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0],
    [1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0],
    [1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0],
];

/// The unnormalised Hadamard transform (fast Walsh-Hadamard: three butterfly stages, 24
/// additions); the network folds the `1/sqrt 8` into its line gains. Each stage pairs every lane
/// with the one `h` away as "swap, multiply by the sign pattern, add": `x[i + h] + x[i]` on the
/// lower lane of a pair, `x[i - h] + (-1 x[i])` (which is `x[i - h] - x[i]` to the bit) on the
/// upper: three vector instructions on an AVX2 register (a swap of the 128-bit halves for
/// `h = 4`, an in-lane shuffle for 2 and 1). The hot loop passes `signs` from memory (a copy of
/// [`BUTTERFLY_SIGNS`] held by the network): with constant signs LLVM folds the multiplies into
/// lanes that alternate additions and subtractions, which its vectoriser lowers to about twice
/// the instructions (measured with callgrind).
#[inline(always)]
pub fn butterflies(x: Lanes, signs: &ButterflySigns) -> Lanes {
    let x = butterfly_stage::<4>(x, &signs[0]);
    let x = butterfly_stage::<2>(x, &signs[1]);
    butterfly_stage::<1>(x, &signs[2])
}

#[inline(always)]
fn butterfly_stage<const H: usize>(x: Lanes, sign: &Lanes) -> Lanes {
    let mut out = [0.0f32; LINES];
    for i in 0..LINES {
        out[i] = x[i ^ H] + sign[i] * x[i];
    }
    out
}

/// Lane-wise flush of values below `floor` to exact zero.
#[inline(always)]
pub fn flush(x: Lanes, floor: f32) -> Lanes {
    x.map(|v| if v.abs() < floor { 0.0 } else { v })
}

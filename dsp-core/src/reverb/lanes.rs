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
pub const HADAMARD_SCALE: f32 = 0.353_553_38;

/// Orthonormal Sylvester Hadamard transform of order 8 (fast Walsh-Hadamard: three butterfly
/// stages, 24 additions, then one scale). Symmetric and its own inverse.
#[inline(always)]
pub fn hadamard(x: Lanes) -> Lanes {
    let mut a = [0.0f32; LINES];
    for i in 0..4 {
        a[i] = x[i] + x[i + 4];
        a[i + 4] = x[i] - x[i + 4];
    }
    let mut b = [0.0f32; LINES];
    for h in [0, 4] {
        for i in 0..2 {
            b[h + i] = a[h + i] + a[h + i + 2];
            b[h + i + 2] = a[h + i] - a[h + i + 2];
        }
    }
    let mut c = [0.0f32; LINES];
    for h in [0, 2, 4, 6] {
        c[h] = (b[h] + b[h + 1]) * HADAMARD_SCALE;
        c[h + 1] = (b[h] - b[h + 1]) * HADAMARD_SCALE;
    }
    c
}

/// Lane-wise flush of values below `floor` to exact zero.
#[inline(always)]
pub fn flush(x: Lanes, floor: f32) -> Lanes {
    x.map(|v| if v.abs() < floor { 0.0 } else { v })
}

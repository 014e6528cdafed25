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
/// stages, 24 additions, then one scale). Symmetric and its own inverse. The first stage pairs the
/// two halves; the other two run within each half as "shuffle, multiply by a sign pattern, add",
/// which is what four-lane SIMD does in one instruction each (multiplying by ±1 is exact, so this
/// is the plain butterfly to the bit).
#[inline(always)]
pub fn hadamard(x: Lanes) -> Lanes {
    let mut out = [0.0f32; LINES];
    for (half, sign) in [1.0f32, -1.0].into_iter().enumerate() {
        let p: [f32; 4] = std::array::from_fn(|i| x[i] + sign * x[i + 4]);
        let q = add_signed(
            [p[0], p[1], p[0], p[1]],
            [p[2], p[3], p[2], p[3]],
            [1.0, 1.0, -1.0, -1.0],
        );
        let r = add_signed(
            [q[0], q[0], q[2], q[2]],
            [q[1], q[1], q[3], q[3]],
            [1.0, -1.0, 1.0, -1.0],
        );
        for i in 0..4 {
            out[4 * half + i] = r[i] * HADAMARD_SCALE;
        }
    }
    out
}

#[inline(always)]
fn add_signed(a: [f32; 4], b: [f32; 4], sign: [f32; 4]) -> [f32; 4] {
    std::array::from_fn(|i| a[i] + sign[i] * b[i])
}

/// Lane-wise flush of values below `floor` to exact zero.
#[inline(always)]
pub fn flush(x: Lanes, floor: f32) -> Lanes {
    x.map(|v| if v.abs() < floor { 0.0 } else { v })
}

//! Small numeric helpers shared by every processor.

/// Recursive state below this magnitude is flushed to zero: it is 600 dB under full scale, far
/// below any audible or measurable level, and it keeps `f32`/`f64` arithmetic out of the denormal
/// range, which costs tens of times more cycles on x86.
pub const DENORMAL_FLOOR: f64 = 1e-30;

#[inline]
pub fn db_to_gain(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// Gain in decibels; silence maps to a large negative number instead of `-inf` so that meters and
/// gain computers never see an infinity.
#[inline]
pub fn gain_to_db(gain: f64) -> f64 {
    20.0 * gain.abs().max(1e-15).log10()
}

/// Flushes tiny values to zero (see [`DENORMAL_FLOOR`]).
#[inline]
pub fn flush(x: f64) -> f64 {
    if x.abs() < DENORMAL_FLOOR {
        0.0
    } else {
        x
    }
}

/// Replaces NaN and infinities by silence: a poisoned input sample must never reach recursive
/// state, where it would stay forever.
#[inline]
pub fn sanitize(x: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

/// `max(a, b)` for values that are never NaN (sanitised audio and what is computed from it):
/// one `maxss`/`maxps`, where `f32::max`'s NaN handling costs a compare and a blend besides, in
/// every vectorised peak search.
#[inline(always)]
pub fn max_f32(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

/// The larger of `init` and the largest `|v|` of `x` (never NaN), as eight lane-wise maxima
/// reduced once at the end (max is exact in any order): a running scalar maximum does not
/// vectorise.
#[inline(always)]
pub fn peak_abs(x: &[f32], init: f32) -> f32 {
    let mut lanes = [init; 8];
    let mut groups = x.chunks_exact(8);
    for g in &mut groups {
        for (m, &v) in lanes.iter_mut().zip(g) {
            *m = max_f32(*m, v.abs());
        }
    }
    for &v in groups.remainder() {
        lanes[0] = max_f32(lanes[0], v.abs());
    }
    lanes.iter().fold(init, |a, &v| max_f32(a, v))
}

/// The largest of eight values (never NaN) by halving: a vector reduction, where a running
/// maximum over them is a chain of scalar selects (exact in any order, so the same value).
#[inline(always)]
pub fn max_lanes(mut v: [f32; 8]) -> f32 {
    let mut w = 4;
    while w > 0 {
        for l in 0..w {
            v[l] = max_f32(v[l], v[l + w]);
        }
        w /= 2;
    }
    v[0]
}

/// `rows[r]` = the largest `|x|` over `x[8r .. 8r + 8]` (never NaN; a short last row counts
/// only its samples, rows past the end of `x` are 0): each row reduced across its lanes by
/// [`max_lanes`], since a running scalar maximum over the samples does not vectorise. With
/// [`window_max`] over the rows, the skip bounds of the true-peak meter and the limiter.
///
/// Whole rows are read as arrays of 8: each is then one vector load and a reduction in
/// registers. (Rows of any length, `chunks(8)`, were copied lane by lane into a stack array and
/// read back wider, a stalled store-to-load forward per row: an eighth of the limiter's time.)
#[inline(always)]
pub fn row_peaks<const N: usize>(x: &[f32]) -> [f32; N] {
    let mut rows = [0.0f32; N];
    let mut whole = x.chunks_exact(8);
    for (m, r) in rows.iter_mut().zip(&mut whole) {
        let r: &[f32; 8] = r.try_into().expect("a row of 8");
        *m = max_lanes(r.map(f32::abs));
    }
    if let Some(m) = rows.get_mut(x.len() / 8) {
        *m = peak_abs(whole.remainder(), 0.0);
    }
    rows
}

/// `out[b]` = the largest of `m[b..b + w]` (never NaN), `1 <= w <= N`, by doubling: passes give
/// the maxima of pairs, fours, eights.., and one more combines two of those overlapping into `w`.
/// Each pass is a plain loop over a fixed length (it vectorises). Past `N - w` the windows are
/// cut short by the end of `m`.
#[inline(always)]
pub fn window_max<const N: usize>(m: &[f32; N], w: usize) -> [f32; N] {
    debug_assert!(w >= 1 && w <= N);
    let mut cur = *m;
    let mut span = 1;
    while span < w {
        let step = span.min(w - span);
        let prev = cur;
        for (d, &v) in cur.iter_mut().zip(&prev[step..]) {
            *d = max_f32(*d, v);
        }
        span += step;
    }
    cur
}

/// Row weights of a skip bound on linear functionals of a window (interpolated values), for
/// [`row_bounds`]. `points[k][q]` is point `k`'s weight on window position `q` (its tap there,
/// or the sum of its taps on that position); the window is cut into aligned rows of 8, row `r`
/// holding `q = 8r .. 8r + 8`. With `R_r` the largest `|x|` on row `r` (see [`row_peaks`]),
/// every point is at most `sum_r W_kr R_r`, `W_kr` = the sum of its `|weights|` on row `r`:
/// much tighter than `sum |taps|` times the window's peak when the local signal is under it,
/// since the central rows carry most of an interpolator's mass.
///
/// The points' rows are reduced to at most 8 lane classes, each the row-wise maximum of the
/// points merged into it (a bound of each of them): points dominated row by row by another are
/// dropped, then the pair whose merge adds the least total weight is merged until 8 remain.
/// Each weight is stored as `W (1 + 1e-4) + 1e-4` rounded to `f32` (a relative `2^-24` at
/// most): the relative part covers the `f32` evaluation of the bound (a dot product of
/// non-negative terms: relative error under `1e-6`), the absolute part an error of `1e-4`
/// times the window's peak in the point itself (the `f32` rounding of a dot product of a few
/// dozen taps whose `|taps|` sum to a few units: under `1e-5` of it), since `R_r` is that peak
/// on some row. Lanes without a class weigh 0.
pub fn skip_weights<const R: usize>(points: &[Vec<f64>]) -> [[f32; 8]; R] {
    let rows = |w: &Vec<f64>| -> [f64; R] {
        let mut r = [0.0; R];
        for (q, &v) in w.iter().enumerate() {
            r[q / 8] += v.abs();
        }
        r
    };
    let all: Vec<[f64; R]> = points.iter().map(rows).collect();
    let below = |a: &[f64; R], b: &[f64; R]| a.iter().zip(b).all(|(x, y)| x <= y);
    let mut cls: Vec<[f64; R]> = Vec::new();
    for (k, a) in all.iter().enumerate() {
        // Dropped when another point bounds it, keeping the first of equal ones.
        let covered = all
            .iter()
            .enumerate()
            .any(|(j, b)| j != k && below(a, b) && (a != b || j < k));
        if !covered {
            cls.push(*a);
        }
    }
    let total = |a: &[f64; R]| a.iter().sum::<f64>();
    let merged =
        |a: &[f64; R], b: &[f64; R]| -> [f64; R] { std::array::from_fn(|r| a[r].max(b[r])) };
    while cls.len() > 8 {
        let mut best = (f64::INFINITY, 0, 1);
        for i in 0..cls.len() {
            for j in i + 1..cls.len() {
                let added = total(&merged(&cls[i], &cls[j])) - total(&cls[i]).max(total(&cls[j]));
                if added < best.0 {
                    best = (added, i, j);
                }
            }
        }
        let (_, i, j) = best;
        cls[i] = merged(&cls[i], &cls[j]);
        cls.remove(j);
    }
    let mut w = [[0.0f32; 8]; R];
    for (l, c) in cls.iter().enumerate() {
        for (w, &v) in w.iter_mut().zip(c) {
            w[l] = (v * (1.0 + 1e-4) + 1e-4) as f32;
        }
    }
    w
}

/// The skip bounds of [`skip_weights`]' lane classes over the row maxima `rows` of a window,
/// `sum_r W_r R_r` a lane: their largest bounds every point. Left as lanes for the caller to
/// compare with its threshold (`any` over them vectorises; a reduction to their maximum here
/// made the compiler split the multiply-adds into pairs of lanes).
#[inline(always)]
pub fn row_bounds<const R: usize>(w: &[[f32; 8]; R], rows: &[f32; R]) -> [f32; 8] {
    let mut acc = [0.0f32; 8];
    for r in 0..R {
        for l in 0..8 {
            acc[l] += w[r][l] * rows[r];
        }
    }
    acc
}

/// Windows of `len` samples that stress a skip bound of [`skip_weights`] (for the tests of its
/// users): the sign pattern of each of `points` over its window placed at row `g` for each of
/// `groups` (there `|value| = sum |taps|`, the case such a bound is tight for), isolated spikes
/// of either sign at every position (the group edges included), near-Nyquist bursts,
/// full-scale naive squares, noise and sparse clicks.
#[cfg(test)]
pub(crate) fn stress_windows(len: usize, points: &[Vec<f64>], groups: &[usize]) -> Vec<Vec<f32>> {
    use crate::signal::{sine, square, white_noise, Rng};
    let mut out = Vec::new();
    for &g in groups {
        for p in points {
            let mut x = vec![0.0f32; len];
            for (q, &w) in p.iter().enumerate().filter(|(_, &w)| w != 0.0) {
                x[8 * g + q] = w.signum() as f32;
            }
            out.push(x);
        }
    }
    for at in 0..len {
        for v in [1.0f32, -0.5] {
            let mut x = vec![0.0f32; len];
            x[at] = v;
            out.push(x);
        }
    }
    for (k, f) in [0.45, 0.48, 0.49, 0.499].into_iter().enumerate() {
        let mut x = sine(f, 1.0, len, 1.0, 0.3 * k as f64);
        x[..len / 3].fill(0.0);
        out.push(x);
    }
    for period in [2.0, 3.0, 4.0, 7.0, 11.0] {
        out.push(square(1.0 / period, 1.0, len, 1.0));
    }
    let mut rng = Rng::new(7);
    for seed in 0..8 {
        out.push(white_noise(len, 1.0, seed));
        out.push(
            (0..len)
                .map(|_| {
                    if rng.uniform() < 0.05 {
                        rng.bipolar() as f32
                    } else {
                        0.0
                    }
                })
                .collect(),
        );
    }
    out
}

/// `min(a, b)` for values that are never NaN (gains computed from sanitised audio): one
/// `minsd`/`minpd`, where `f64::min`'s NaN handling costs a compare and a blend besides.
#[inline(always)]
pub fn min_f64(a: f64, b: f64) -> f64 {
    if a < b {
        a
    } else {
        b
    }
}

/// The smaller of `init` and the smallest of `x` (never NaN), as eight lane-wise minima reduced
/// once at the end (min is exact in any order), like [`peak_abs`]: a running scalar minimum does
/// not vectorise.
#[inline(always)]
pub fn min_lanes_f64(x: &[f64], init: f64) -> f64 {
    let mut lanes = [init; 8];
    let mut groups = x.chunks_exact(8);
    for g in &mut groups {
        for (m, &v) in lanes.iter_mut().zip(g) {
            *m = min_f64(*m, v);
        }
    }
    for &v in groups.remainder() {
        lanes[0] = min_f64(lanes[0], v);
    }
    lanes.iter().fold(init, |a, &v| min_f64(a, v))
}

/// Time constant of a one-pole smoother so that it covers `1 - 1/e` (63.2%) of a step in
/// `time_s` seconds: the classic analog RC definition used for attack and release settings.
#[inline]
pub fn one_pole_coeff(time_s: f64, sample_rate: f64) -> f64 {
    if time_s <= 0.0 {
        0.0
    } else {
        (-1.0 / (time_s * sample_rate)).exp()
    }
}

/// The modified Bessel function of the first kind, order 0, by its power series: the Kaiser
/// window `I0(beta sqrt(1 - r^2)) / I0(beta)` of every windowed-sinc design in the crate
/// (oversampling half-bands, the true-peak interpolators, the limiter's band split).
pub fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term) = (1.0, 1.0);
    for k in 1..64 {
        term *= (x / (2.0 * k as f64)).powi(2);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

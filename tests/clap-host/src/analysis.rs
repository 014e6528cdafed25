//! Measurements on rendered audio.

use crate::render::Audio;

/// The first (sample, channel) where two renders differ bit for bit, or `None` if identical.
/// NaNs compare by bits, so two identical NaN renders are equal here (check finiteness apart).
pub fn first_difference(a: &Audio, b: &Audio) -> Option<(usize, usize)> {
    assert_eq!(a.len(), b.len(), "channel counts differ");
    let mut first: Option<(usize, usize)> = None;
    for (c, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(x.len(), y.len(), "lengths differ");
        if let Some(i) = x.iter().zip(y).position(|(p, q)| p.to_bits() != q.to_bits()) {
            if first.is_none_or(|(f, _)| i < f) {
                first = Some((i, c));
            }
        }
    }
    first
}

/// A description of how two renders differ, for assertion messages.
pub fn describe_difference(a: &Audio, b: &Audio) -> String {
    match first_difference(a, b) {
        None => "identical".into(),
        Some((i, c)) => {
            let count: usize = a
                .iter()
                .zip(b)
                .map(|(x, y)| x.iter().zip(y).filter(|(p, q)| p.to_bits() != q.to_bits()).count())
                .sum();
            let max = a
                .iter()
                .zip(b)
                .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| (p - q).abs()))
                .fold(0.0f32, f32::max);
            format!(
                "first difference at sample {i} channel {c} ({} vs {}); {count} samples differ, \
                 max |difference| {max:e} ({:.1} dBFS)",
                a[c][i],
                b[c][i],
                20.0 * (max.max(1e-30)).log10()
            )
        }
    }
}

/// The first non-finite sample, as (sample, channel, value).
pub fn first_non_finite(a: &Audio) -> Option<(usize, usize, f32)> {
    let mut first: Option<(usize, usize, f32)> = None;
    for (c, x) in a.iter().enumerate() {
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            if first.is_none_or(|(f, _, _)| i < f) {
                first = Some((i, c, x[i]));
            }
        }
    }
    first
}

pub fn peak(a: &Audio) -> f32 {
    a.iter()
        .flat_map(|c| c.iter())
        .fold(0.0f32, |m, v| m.max(v.abs()))
}

pub fn rms(a: &Audio) -> f64 {
    let (sum, n) = a.iter().flat_map(|c| c.iter()).fold((0.0f64, 0usize), |(s, n), v| {
        (s + (*v as f64) * (*v as f64), n + 1)
    });
    if n == 0 {
        0.0
    } else {
        (sum / n as f64).sqrt()
    }
}

pub fn db(x: f64) -> f64 {
    20.0 * x.max(1e-30).log10()
}

/// The samples `range` of every channel.
pub fn slice(a: &Audio, range: std::ops::Range<usize>) -> Audio {
    a.iter().map(|c| c[range.clone()].to_vec()).collect()
}

/// Where the output's largest absolute value is (the arrival of an impulse through a plugin
/// whose direct path dominates), summed over channels.
pub fn argmax_abs(a: &Audio) -> usize {
    let n = a[0].len();
    let mut best = (0usize, -1.0f64);
    for i in 0..n {
        let v: f64 = a.iter().map(|c| (c[i] as f64).abs()).sum();
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

/// The lag (0..max_lag) that best aligns `output` with `input` (largest normalised
/// cross-correlation, summed over channels): the delay a plugin adds to programme material.
pub fn best_lag(input: &Audio, output: &Audio, max_lag: usize) -> (usize, f64) {
    let n = input[0].len();
    let mut best = (0usize, f64::MIN);
    for lag in 0..=max_lag.min(n - 1) {
        let mut num = 0.0f64;
        let mut ex = 0.0f64;
        let mut ey = 0.0f64;
        for (x, y) in input.iter().zip(output) {
            for i in 0..n - lag {
                let a = x[i] as f64;
                let b = y[i + lag] as f64;
                num += a * b;
                ex += a * a;
                ey += b * b;
            }
        }
        let r = num / (ex.sqrt() * ey.sqrt()).max(1e-30);
        if r > best.1 {
            best = (lag, r);
        }
    }
    best
}

/// Silence with a single impulse of `amplitude` at `at` on every channel.
pub fn impulse(channels: usize, len: usize, at: usize, amplitude: f32) -> Audio {
    (0..channels)
        .map(|_| {
            let mut v = vec![0.0f32; len];
            v[at] = amplitude;
            v
        })
        .collect()
}

/// Scales every sample by `gain`.
pub fn scaled(a: &Audio, gain: f32) -> Audio {
    a.iter().map(|c| c.iter().map(|v| v * gain).collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difference_and_delay_measurements() {
        let a: Audio = vec![vec![0.0, 1.0, 2.0], vec![0.0, 1.0, 2.0]];
        let mut b = a.clone();
        assert_eq!(first_difference(&a, &b), None);
        b[1][1] = 1.0000001;
        assert_eq!(first_difference(&a, &b), Some((1, 1)));
        let x = impulse(2, 100, 10, 0.5);
        assert_eq!(argmax_abs(&x), 10);
        let noise: Audio = vec![dsp_core::signal::white_noise(2000, 0.5, 3)];
        let delayed: Audio = vec![[vec![0.0; 37], noise[0][..2000 - 37].to_vec()].concat()];
        assert_eq!(best_lag(&noise, &delayed, 100).0, 37);
        assert!(first_non_finite(&vec![vec![0.0, f32::NAN]]).is_some());
    }
}

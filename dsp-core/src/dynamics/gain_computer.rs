//! The static curve of a compressor: Giannoulis, Massberg & Reiss, "Digital Dynamic Range
//! Compressor Design -- A Tutorial and Analysis", JAES 60(6), 2012, eq. (4), the hard knee
//! extended by a quadratic segment of width `W` centred on the threshold `T`:
//!
//! ```text
//! y = x                                  2(x - T) <  -W
//! y = x + (1/R - 1)(x - T + W/2)^2 / 2W  2|x - T| <=  W
//! y = T + (x - T)/R                      2(x - T) >   W
//! ```
//!
//! The curve is scale-invariant: `x`, `T`, `W` and the result may be in dB or (as the processors
//! use it) in log2 units. It is parameterised by the slope `S = 1/R - 1` (0 for 1:1, -1 for
//! infinity:1) so that an infinite ratio needs no special case and the ratio can be smoothed.

/// The static gain computer, in whichever log unit its settings were given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GainComputer {
    threshold: f64,
    slope: f64,
    knee: f64,
    knee_lo: f64,
    knee_hi: f64,
    quad: f64,
}

impl GainComputer {
    /// `ratio >= 1` (`f64::INFINITY` allowed), `knee >= 0`, in the same unit as `threshold`.
    pub fn new(threshold: f64, ratio: f64, knee: f64) -> Self {
        Self::from_slope(threshold, ratio_to_slope(ratio), knee)
    }

    /// Builds the curve from the slope `S = 1/R - 1` in [-1, 0].
    pub fn from_slope(threshold: f64, slope: f64, knee: f64) -> Self {
        let knee = knee.max(0.0);
        let slope = slope.clamp(-1.0, 0.0);
        Self {
            threshold,
            slope,
            knee,
            knee_lo: threshold - 0.5 * knee,
            knee_hi: threshold + 0.5 * knee,
            quad: if knee > 0.0 {
                slope / (2.0 * knee)
            } else {
                0.0
            },
        }
    }

    /// Lowest level at which the curve reduces the gain (`T - W/2`).
    #[inline]
    pub fn knee_start(&self) -> f64 {
        self.knee_lo
    }

    /// Gain change `y - x` (<= 0) for the input level `x`.
    ///
    /// Written without branches (the knee's quadratic saturates at `u = W`, where it has reached
    /// `S W / 2`, and the linear part continues from `T + W/2`), because on programme material
    /// the level crosses the knee boundaries unpredictably from sample to sample.
    #[inline]
    pub fn gain(&self, x: f64) -> f64 {
        let u = (x - self.knee_lo).max(0.0).min(self.knee);
        let over = (x - self.knee_hi).max(0.0);
        self.quad * u * u + self.slope * over
    }

    /// Output level `y` for the input level `x`.
    #[inline]
    pub fn output(&self, x: f64) -> f64 {
        x + self.gain(x)
    }

    /// For a feedback compressor, which only sees its *output* level `y`: the gain change
    /// `h(y) = y - F^-1(y)` that puts the loop's fixed point on the textbook curve `F`, and the
    /// magnitude of its slope `-h'(y)` (used for the loop's semi-implicit update). Inverting the
    /// knee's quadratic uses the cancellation-free root `u = 2v / (1 + sqrt(1 + 4 a v))`.
    /// The slope must be above -1 (a finite ratio): a feedback loop cannot reach infinity:1.
    #[inline]
    pub fn feedback_gain(&self, y: f64) -> (f64, f64) {
        if y <= self.knee_lo {
            return (0.0, 0.0);
        }
        let v = y - self.knee_lo;
        let knee_out = self.knee * (1.0 + 0.5 * self.slope);
        if v < knee_out {
            let disc = (1.0 + 4.0 * self.quad * v).max(0.0);
            let u = 2.0 * v / (1.0 + disc.sqrt());
            let d = 1.0 + 2.0 * self.quad * u;
            (v - u, 1.0 / d - 1.0)
        } else {
            let k = self.slope / (1.0 + self.slope);
            (k * (y - self.threshold), -k)
        }
    }

    #[inline]
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    #[inline]
    pub fn slope(&self) -> f64 {
        self.slope
    }

    #[inline]
    pub fn knee(&self) -> f64 {
        self.knee
    }
}

/// `S = 1/R - 1`: 0 for 1:1, -1 for infinity:1.
#[inline]
pub fn ratio_to_slope(ratio: f64) -> f64 {
    (1.0 / ratio.max(1.0) - 1.0).clamp(-1.0, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feedback_inverse_puts_the_fixed_point_on_the_curve() {
        for &(t, r, w) in &[(-20.0, 4.0, 12.0), (-40.0, 50.0, 24.0), (-6.0, 1.5, 0.0)] {
            let gc = GainComputer::new(t, r, w);
            let mut x = -80.0;
            while x < 10.0 {
                let y = gc.output(x);
                let (h, _) = gc.feedback_gain(y);
                assert!((y - h - x).abs() < 1e-9, "t {t} r {r} w {w} x {x}");
                x += 0.37;
            }
        }
    }
}

//! Analog-matched biquad designs (M. Vicanek, "Matched Second Order Digital Filters", 2016).
//!
//! The bilinear transform squeezes the whole analog frequency axis into `[0, fs/2)`, so a
//! bilinear bell or shelf near Nyquist is narrower than its analog prototype ("cramping"). The
//! matched design avoids that:
//! - the poles are the analog poles mapped by impulse invariance, `z = exp(s T)`, which keeps
//!   their frequency and damping exactly;
//! - the zeros are chosen so that the digital magnitude equals the analog prototype's magnitude
//!   at DC and Nyquist exactly, and fits it around the band's centre (exact there for narrow
//!   bands; a weighted least-squares fit over the centre, octaves around it and fixed points up
//!   to 0.92 pi, instead of Vicanek's single third point). With
//!   `phi0 = cos^2(w/2)`, `phi1 = sin^2(w/2)`, `phi2 = 4 phi0 phi1`, a biquad's squared
//!   magnitude is `(B0 phi0 + B1 phi1 + B2 phi2) / (A0 phi0 + A1 phi1 + A2 phi2)` with
//!   `A0 = (1 + a1 + a2)^2`, `A1 = (1 - a1 + a2)^2`, `A2 = -4 a2` (Vicanek eq. 8-10), which is
//!   linear in `B0, B1, B2`: magnitude constraints give them directly, and the minimum-phase
//!   numerator follows from the spectral factorisation of his eq. 11-12. Low-pass and high-pass
//!   sections follow his special forms (zeros at Nyquist or DC); cut bells, low-shelf cuts,
//!   high-shelf boosts and positive tilts are designed as the exact inverse of the opposite gain,
//!   whose poles lie below Nyquist.
//! - one biquad cannot follow a wide analog shape to 20 kHz (its slope at Nyquist is zero, the
//!   analog one is not), so [`design`] appends correction sections fitted to the residual.
//!
//! Departures from Vicanek's single recipe, each closed form (so the glide path can redesign
//! every sample):
//! - shelves map their zeros by the matched z-transform like their poles (resonant zeros up to
//!   0.97..0.995 pi, real zeros for Q < 0.5), gain matched at DC; resonant zeros nearer Nyquist
//!   match DC and two points inside the audio band (see `resonant_zeros`, `in_band_match`);
//! - bells above 0.25 pi fix DC and fit `B1, B2` by least squares over six points up to
//!   0.905 pi (19.95 kHz at 44.1 kHz) instead of matching Nyquist (see `in_band_fit`);
//! - band-pass matches its low-frequency asymptote and 0.905 pi, tilt matches DC, its pivot and
//!   0.905 pi; the notch's gain moves from the DC/Nyquist mean to DC alone near Nyquist.
//!
//! Measured (tests/eq.rs, grid f0 20 Hz..20 kHz, Q 0.1..18, +-24 dB, 44.1/48 kHz, every
//! frequency 10 Hz..20 kHz, static design with its correction sections): within 0.3 dB for
//! every type over the whole grid (worst 0.29 dB: a +24 dB bell near 20 kHz at 44.1 kHz).
//! The corrections cost design time, not run time where they are not needed: a band that is
//! already within [`CORRECTION_THRESHOLD_DB`] gets none (a 1 kHz bell is one section), the worst
//! corner cases take five or six sections and up to ~6 ms to fit. On the audio thread the fit
//! runs as a [`Designer`], one bounded step at a time (see `band.rs`).
//!
//! Every band type is a cascade of at most [`MAX_SECTIONS`] such sections, each described by a
//! normalised analog biquadratic `(n0 + n1 s + n2 s^2) / (d0 + d1 s + d2 s^2)` with
//! `s = j f / f0`. First-order sections (6 dB/oct cuts, tilt) use the same machinery with one
//! real pole and `a2 = 0`, which leaves three free numerator coefficients instead of two.

use crate::filter::BiquadCoeffs;
use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// The most biquad sections one band has: an 8th-order (48 dB/oct) Butterworth cut plus up to
/// three correction sections (see [`design`]).
pub const MAX_SECTIONS: usize = 7;

/// Band shapes. Frequencies are in Hz, gains in dB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterType {
    /// Peaking bell `(s^2 + s A/Q + 1) / (s^2 + s/(A Q) + 1)`, `A = 10^(gain/40)` (RBJ's analog
    /// prototype): `gain` at `freq`, bandwidth set by `q`.
    Bell,
    /// RBJ low shelf: `gain` below `freq`, half the gain in dB at `freq`; `q` shapes the knee
    /// (0.7071 is the maximally flat shelf).
    LowShelf,
    /// RBJ high shelf, the mirror image of [`FilterType::LowShelf`].
    HighShelf,
    /// Butterworth high-pass (removes lows) with [`Slope`] 6..48 dB/oct.
    LowCut,
    /// Butterworth low-pass (removes highs) with [`Slope`] 6..48 dB/oct.
    HighCut,
    /// `(s^2 + 1) / (s^2 + s/Q + 1)`.
    Notch,
    /// Constant 0 dB peak band-pass `(s/Q) / (s^2 + s/Q + 1)`.
    BandPass,
    /// First-order tilt around the pivot `freq`: `-gain/2` dB at DC, `+gain/2` dB at high
    /// frequencies, `(T s + 1) / (s + T)` with `T = 10^(gain/40)`.
    Tilt,
}

/// Slope of the cut filters in dB per octave (the Butterworth order times 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slope {
    Db6,
    Db12,
    Db18,
    Db24,
    Db36,
    Db48,
}

impl Slope {
    pub fn order(self) -> usize {
        match self {
            Slope::Db6 => 1,
            Slope::Db12 => 2,
            Slope::Db18 => 3,
            Slope::Db24 => 4,
            Slope::Db36 => 6,
            Slope::Db48 => 8,
        }
    }

    /// Butterworth section Q values in increasing order (pole angles `(2k + 1) pi / 2n`), plus
    /// whether the cascade starts with a first-order section (odd orders).
    fn butterworth_qs(self) -> (&'static [f64], bool) {
        match self {
            Slope::Db6 => (&[], true),
            Slope::Db12 => (&[FRAC_1_SQRT_2], false),
            Slope::Db18 => (&[1.0], true),
            Slope::Db24 => (&[0.541_196_100_146_197, 1.306_562_964_876_376_6], false),
            Slope::Db36 => (
                &[
                    0.517_638_090_205_041_5,
                    FRAC_1_SQRT_2,
                    1.931_851_652_578_136_6,
                ],
                false,
            ),
            Slope::Db48 => (
                &[
                    0.509_795_579_104_159_2,
                    0.601_344_886_935_045_3,
                    0.899_976_223_136_415_7,
                    2.562_915_447_741_506_5,
                ],
                false,
            ),
        }
    }
}

/// A normalised analog biquadratic section at `w0` (radians per sample of its corner):
/// `(n0 + n1 s + n2 s^2) / (d0 + d1 s + d2 s^2)`, `s = j w / w0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalogSection {
    pub n: [f64; 3],
    pub d: [f64; 3],
    pub w0: f64,
}

impl AnalogSection {
    /// Squared analog magnitude at `w` radians per (digital) sample.
    #[inline]
    pub fn magnitude_sq(&self, w: f64) -> f64 {
        let x = w / self.w0;
        let x2 = x * x;
        let (nr, ni) = (self.n[0] - self.n[2] * x2, self.n[1] * x);
        let (dr, di) = (self.d[0] - self.d[2] * x2, self.d[1] * x);
        (nr * nr + ni * ni) / (dr * dr + di * di)
    }
}

/// The analog prototype of a band: up to [`MAX_SECTIONS`] sections whose magnitudes multiply.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalogPrototype {
    pub sections: [AnalogSection; MAX_SECTIONS],
    pub count: usize,
}

impl AnalogPrototype {
    /// Analog magnitude at `freq` Hz.
    pub fn magnitude(&self, freq: f64, sample_rate: f64) -> f64 {
        let w = 2.0 * PI * freq / sample_rate;
        self.sections[..self.count]
            .iter()
            .map(|s| s.magnitude_sq(w))
            .product::<f64>()
            .sqrt()
    }
}

/// The digital cascade of one band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SectionSet {
    pub coeffs: [BiquadCoeffs; MAX_SECTIONS],
    pub count: usize,
    /// How many of the leading sections are the matched ones (the rest are corrections).
    pub matched: usize,
}

impl Default for SectionSet {
    fn default() -> Self {
        Self {
            coeffs: [BiquadCoeffs::IDENTITY; MAX_SECTIONS],
            count: 0,
            matched: 0,
        }
    }
}

impl SectionSet {
    /// Digital magnitude of the cascade at `freq` Hz.
    pub fn magnitude(&self, freq: f64, sample_rate: f64) -> f64 {
        self.coeffs[..self.count]
            .iter()
            .map(|c| c.magnitude(freq, sample_rate))
            .product()
    }
}

/// Lowest design frequency: keeps the poles strictly inside the unit circle at 384 kHz.
const MIN_FREQ: f64 = 1.0;
/// Highest damped pole angle. Impulse invariance maps a pole above Nyquist onto an alias; a
/// corner that would do so (a high cut at 22 kHz at 44.1 kHz has its sharpest pole pair close to
/// Nyquist) keeps its pole angle just under Nyquist and its radius, while the three-point match
/// still uses the true analog magnitudes.
const MAX_POLE_ANGLE: f64 = 0.995 * PI;
/// Above this centre the third match point leaves the centre and moves down towards the band
/// where the digital response is defined (`phi2` vanishes at Nyquist, where the match would be
/// ill-conditioned), continuously so that a frequency sweep never steps the coefficients.
const MATCH_LIMIT: f64 = 0.9 * PI;

fn section(n: [f64; 3], d: [f64; 3], w0: f64) -> AnalogSection {
    AnalogSection { n, d, w0 }
}

/// The analog prototype of a band (`freq` in Hz, `gain_db` in dB; `q` is ignored by tilt and
/// by 6 dB/oct cuts; for the other cuts `q = 0.7071` is Butterworth, other values scale the Q of
/// the sharpest section, as analog-modelled EQs give the cut a resonance control).
pub fn prototype(
    kind: FilterType,
    slope: Slope,
    freq: f64,
    gain_db: f64,
    q: f64,
    sample_rate: f64,
) -> AnalogPrototype {
    let w0 = 2.0 * PI * freq.max(MIN_FREQ) / sample_rate;
    let q = q.clamp(0.025, 100.0);
    let a = 10f64.powf(gain_db / 40.0);
    let mut p = AnalogPrototype {
        sections: [section([1.0, 0.0, 0.0], [1.0, 0.0, 0.0], w0); MAX_SECTIONS],
        count: 1,
    };
    match kind {
        FilterType::Bell => {
            p.sections[0] = section([1.0, a / q, 1.0], [1.0, 1.0 / (a * q), 1.0], w0);
        }
        FilterType::LowShelf => {
            let sa = a.sqrt();
            p.sections[0] = section([a * a, a * sa / q, a], [1.0, sa / q, a], w0);
        }
        FilterType::HighShelf => {
            let sa = a.sqrt();
            p.sections[0] = section([a, a * sa / q, a * a], [a, sa / q, 1.0], w0);
        }
        FilterType::Notch => p.sections[0] = section([1.0, 0.0, 1.0], [1.0, 1.0 / q, 1.0], w0),
        FilterType::BandPass => {
            p.sections[0] = section([0.0, 1.0 / q, 0.0], [1.0, 1.0 / q, 1.0], w0);
        }
        FilterType::Tilt => p.sections[0] = section([1.0, a, 0.0], [a, 1.0, 0.0], w0),
        FilterType::LowCut | FilterType::HighCut => {
            let high_pass = kind == FilterType::LowCut;
            let (qs, first_order) = slope.butterworth_qs();
            let mut k = 0;
            if first_order {
                let n = if high_pass {
                    [0.0, 1.0, 0.0]
                } else {
                    [1.0, 0.0, 0.0]
                };
                p.sections[k] = section(n, [1.0, 1.0, 0.0], w0);
                k += 1;
            }
            let resonance = q / FRAC_1_SQRT_2;
            for (i, &qb) in qs.iter().enumerate() {
                let qs_i = if i + 1 == qs.len() {
                    qb * resonance
                } else {
                    qb
                };
                let n = if high_pass {
                    [0.0, 0.0, 1.0]
                } else {
                    [1.0, 0.0, 0.0]
                };
                p.sections[k] = section(n, [1.0, 1.0 / qs_i, 1.0], w0);
                k += 1;
            }
            p.count = k;
        }
    }
    p
}

#[inline]
fn phis(w: f64) -> (f64, f64, f64) {
    let s = (0.5 * w).sin();
    let phi1 = s * s;
    let phi0 = 1.0 - phi1;
    (phi0, phi1, 4.0 * phi0 * phi1)
}

/// Denominator `(a1, a2)` from the analog poles by impulse invariance.
fn matched_poles(s: &AnalogSection) -> (f64, f64) {
    if s.d[2] == 0.0 {
        // One real pole at s = -w0 d0 / d1.
        return (-(-s.w0 * s.d[0] / s.d[1]).exp(), 0.0);
    }
    let wn = s.w0 * (s.d[0] / s.d[2]).sqrt();
    let zeta = s.d[1] / (2.0 * (s.d[0] * s.d[2]).sqrt());
    let r = (-zeta * wn).exp();
    let a2 = r * r;
    let a1 = if zeta < 1.0 {
        let wd = (wn * (1.0 - zeta * zeta).sqrt()).min(MAX_POLE_ANGLE);
        -2.0 * r * wd.cos()
    } else {
        -2.0 * r * (wn * (zeta * zeta - 1.0).sqrt()).cosh()
    };
    (a1, a2)
}

/// Minimum-phase numerator from the squared-magnitude coefficients (Vicanek eq. 11-12). A
/// negative discriminant (a centre target no biquad numerator reaches once DC and Nyquist are
/// matched) is clamped to the nearest realisable numerator, a double zero on the unit circle.
fn numerator(b0sq: f64, b1sq: f64, b2cap: f64) -> (f64, f64, f64) {
    let (r0, r1) = (b0sq.max(0.0).sqrt(), b1sq.max(0.0).sqrt());
    let w = 0.5 * (r0 + r1);
    let b2cap = b2cap.max(-w * w);
    let disc = w * w + b2cap;
    let b0 = 0.5 * (w + disc.sqrt());
    let b1 = 0.5 * (r0 - r1);
    let b2 = if b0 > 0.0 { -b2cap / (4.0 * b0) } else { 0.0 };
    (b0, b1, b2)
}

/// One matched section: poles by impulse invariance, magnitude matched at DC, Nyquist and the
/// section's centre.
pub fn match_section(s: &AnalogSection) -> BiquadCoeffs {
    match_section_after(s, &[], &[])
}

/// [`match_section`] for the next section of a cascade: the free numerator coefficients fit
/// the analog magnitude of all sections so far divided by the digital magnitude of the ones
/// already designed, so each section also corrects the residual error of the earlier ones
/// (which keeps a 48 dB/oct cut near Nyquist from adding up its sections' errors).
pub fn match_section_after(
    s: &AnalogSection,
    prior_analog: &[AnalogSection],
    prior_digital: &[BiquadCoeffs],
) -> BiquadCoeffs {
    match_section_with(s, prior_analog, prior_digital, true)
}

/// `bell_fit` selects the least-squares in-band fit for bells high in the band; the smooth bell
/// of a split notch keeps the three-point match, because the fit's error at the notch's centre
/// adds to the notch section's.
fn match_section_with(
    s: &AnalogSection,
    prior_analog: &[AnalogSection],
    prior_digital: &[BiquadCoeffs],
    bell_fit: bool,
) -> BiquadCoeffs {
    let target = |w: f64| {
        let mut t = s.magnitude_sq(w);
        for (a, d) in prior_analog.iter().zip(prior_digital) {
            let dm = power(d, w);
            if dm > 0.0 {
                t *= a.magnitude_sq(w) / dm;
            }
        }
        t
    };
    let (a1, a2) = matched_poles(s);
    let ac0 = (1.0 + a1 + a2).powi(2);
    let ac1 = (1.0 - a1 + a2).powi(2);
    let ac2 = -4.0 * a2;
    let h0 = target(0.0);
    let hpi = target(PI);
    let is_notch = s.n[1] == 0.0 && s.n[0] != 0.0 && s.n[2] != 0.0;
    if is_notch {
        // Zeros exactly on the unit circle at the notch frequency (a depth no three-point match
        // can guarantee: a double zero of |N|^2 is the edge of realisability); the gain is the
        // geometric mean of the DC and Nyquist matches (splitting the residual error) for notches
        // well below Nyquist.
        let c = s.w0.min(PI).cos();
        let g_dc = ac0.sqrt() * h0.sqrt() / (2.0 - 2.0 * c).max(1e-300);
        let g_ny = ac1.sqrt() * hpi.sqrt() / (2.0 + 2.0 * c).max(1e-300);
        // Near Nyquist the digital notch cannot follow the analog slope there, so the weight of
        // the Nyquist match fades out between 0.5 pi and 0.8 pi (DC only above).
        let t = 0.5 * ((0.8 * PI - s.w0) / (0.3 * PI)).clamp(0.0, 1.0);
        let g = g_dc.powf(1.0 - t) * g_ny.powf(t);
        return BiquadCoeffs {
            b0: g,
            b1: -2.0 * c * g,
            b2: g,
            a1,
            a2,
        };
    }
    let (g0, gpi) = ((ac0 * h0).sqrt(), (ac1 * hpi).sqrt());
    if s.n == [1.0, 0.0, 0.0] && s.d[2] == 0.0 {
        // Low-pass: Vicanek's choice of a first-order numerator matched at DC and Nyquist; a
        // three-point match would pull a zero onto the unit circle for corners near Nyquist.
        let b0 = 0.5 * (g0 + gpi);
        return BiquadCoeffs {
            b0,
            b1: g0 - b0,
            b2: 0.0,
            a1,
            a2,
        };
    }
    if s.n == [0.0, 0.0, 1.0] || (s.n == [0.0, 1.0, 0.0] && s.d[2] == 0.0) {
        // High-pass: the analog zeros at DC stay there (a double zero for the second-order
        // section, a single one for the first-order one); the gain matches Nyquist, or, as
        // the corner nears Nyquist and the audio band becomes all skirt, the stop band at
        // w0 / 20 (geometric blend, up to halfway at 0.9 pi: the two errors balance there).
        let wl = 0.05 * s.w0;
        let (l0, l1, l2) = phis(wl);
        let tl = target(wl) * (ac0 * l0 + ac1 * l1 + ac2 * l2);
        let gl = if s.d[2] == 0.0 {
            (tl / l1).sqrt()
        } else {
            tl.sqrt() / l1
        };
        let t = 0.5 * ((s.w0 - 0.5 * PI) / (0.4 * PI)).clamp(0.0, 1.0);
        let g = if gl.is_finite() && gl > 0.0 {
            gpi.powf(1.0 - t) * gl.powf(t)
        } else {
            gpi
        };
        let (b0, b1, b2) = if s.d[2] == 0.0 {
            (0.5 * g, -0.5 * g, 0.0)
        } else {
            (0.25 * g, -0.5 * g, 0.25 * g)
        };
        return BiquadCoeffs { b0, b1, b2, a1, a2 };
    }
    if s.n[0] == 0.0 && s.n[2] == 0.0 && s.d[2] != 0.0 && prior_analog.is_empty() {
        // Band-pass: a zero at DC, the magnitude at 0.905 pi (19.95 kHz at 44.1 kHz) and the
        // low-frequency asymptote `|H|^2 ~ (n1 w / (d0 w0))^2` matched instead of the centre
        // and Nyquist (a Nyquist match leaves the lower skirt of a band-pass near Nyquist 2 dB
        // off; with exact poles the peak stays within hundredths of a dB).
        let slope = ac0 * (s.n[1] / (s.d[0] * s.w0)).powi(2);
        let wc = 0.905 * PI;
        let (p0, p1, p2) = phis(wc);
        let tc = target(wc) * (ac0 * p0 + ac1 * p1 + ac2 * p2);
        // B1 p1 + B2 p2 = tc with B2 = slope - B1 / 4.
        let bc1 = (tc - slope * p2) / (p1 - 0.25 * p2);
        let (b0, b1, b2) = numerator(0.0, bc1, slope - 0.25 * bc1);
        return BiquadCoeffs { b0, b1, b2, a1, a2 };
    }
    match resonant_zeros(s, ac0 * h0, a1, a2) {
        Some(Ok(c)) => return c,
        Some(Err(())) => {
            // Resonant zeros near or above Nyquist: match DC and two points inside the band
            // (0.905 pi is 19.95 kHz at 44.1 kHz) instead of Nyquist, where the digital slope
            // is zero and the analog one is not.
            return in_band_match(&target, [ac0, ac1, ac2], h0, 0.7 * PI, 0.905 * PI, a1, a2);
        }
        None => {}
    }
    if s.d[2] == 0.0 && s.n[2] == 0.0 && s.n[0] != 0.0 && s.n[1] != 0.0 {
        // Tilt (a first-order shelf): DC, its pivot and 20 kHz instead of Nyquist, where the
        // analog shelf is still moving.
        let wa = s.w0.min(0.7 * PI);
        return in_band_match(&target, [ac0, ac1, ac2], h0, wa, 0.905 * PI, a1, a2);
    }
    if s.n[0] == s.n[2] && s.n[0] == s.d[0] && s.d[0] == s.d[2] && s.w0 > IN_BAND_BELL {
        // A bell high in the band: DC, 20 kHz and a point on its lower skirt that moves up
        // to the centre as the bell narrows (`s.d[1]` is `1 / (A Q)`, so `q` is its Q).
        let wc = s.w0.min(0.905 * PI);
        let pts = [0.25 * wc, 0.5 * wc, 0.75 * wc, wc, 0.8 * PI, 0.905 * PI];
        if bell_fit {
            if let Some(c) = in_band_fit(&target, [ac0, ac1, ac2], h0, &pts, a1, a2) {
                return c;
            }
        }
        let q = 1.0 / (s.d[1] * s.n[1]).sqrt();
        let wa = (s.w0 * q / (q + 0.6)).min(0.7 * PI);
        return in_band_match(&target, [ac0, ac1, ac2], h0, wa, 0.905 * PI, a1, a2);
    }
    let wm = if s.w0 <= MATCH_LIMIT {
        s.w0
    } else {
        MATCH_LIMIT * MATCH_LIMIT / s.w0
    };
    let bc0 = ac0 * h0;
    let bc1 = ac1 * hpi;
    // B2 by weighted least squares of the relative error of |H|^2 over the centre (heavily
    // weighted, so narrow bells keep their peak), octaves around it and fixed points up to
    // 0.92 pi: DC and Nyquist stay exact, the error in between is spread instead of growing
    // away from the single third point.
    let (mut num, mut den) = (0.0, 0.0);
    let mut add = |w: f64, weight: f64| {
        let (p0, p1, p2) = phis(w);
        let t = target(w) * (ac0 * p0 + ac1 * p1 + ac2 * p2);
        if t <= 1e-300 {
            return;
        }
        let g = p2 / t;
        num += weight * g * (1.0 - (bc0 * p0 + bc1 * p1) / t);
        den += weight * g * g;
    };
    add(wm, 16.0);
    if s.n[0] != 0.0 && s.n[2] != 0.0 {
        // A shelf's zeros sit at sqrt(A) f0 (or f0 / sqrt(A)): a sharp dip at high Q.
        let wz = s.w0 * (s.n[0] / s.n[2]).sqrt();
        if (wz - s.w0).abs() > 1e-9 * s.w0 && wz < 0.95 * PI {
            add(wz, 16.0);
        }
    }
    for k in [0.25, 0.5, 2.0, 4.0] {
        let w = s.w0 * k;
        if w < 0.95 * PI {
            add(w, 1.0);
        }
    }
    for w in [0.3 * PI, 0.6 * PI, 0.8 * PI, 0.92 * PI] {
        add(w, 1.0);
    }
    let bc2 = num / den;
    let (b0, b1, b2) = numerator(bc0, bc1, bc2);
    BiquadCoeffs { b0, b1, b2, a1, a2 }
}

/// Highest resonant zero angle mapped exactly (21.4 kHz at 44.1 kHz), rising to 0.995 pi for
/// zeros with Q above 5.
const RESONANT_ZERO_LIMIT: f64 = 0.97 * PI;

/// A shelf's zeros sit at `f0 sqrt(A)` or `f0 / sqrt(A)`, not at `f0`, and at high Q they are a
/// sharp resonant dip that three magnitude matches cannot place off the match points; so the
/// zeros are mapped by the matched z-transform `z = exp(s T)` exactly like the poles (which
/// keeps the dip's frequency and width, and at low Q the two real zeros), and the gain matches
/// DC. Resonant zeros near or above Nyquist, where the mapping aliases, return `Err` (matched
/// inside the audio band instead).
fn resonant_zeros(
    s: &AnalogSection,
    bc0: f64,
    a1: f64,
    a2: f64,
) -> Option<Result<BiquadCoeffs, ()>> {
    if s.n[0] <= 0.0 || s.n[2] <= 0.0 || s.d[2] == 0.0 || s.n[0] == s.n[2] {
        return None;
    }
    let wz = s.w0 * (s.n[0] / s.n[2]).sqrt();
    let zeta = s.n[1] / (2.0 * (s.n[0] * s.n[2]).sqrt());
    let r = (-zeta * wz).exp();
    let c1 = if zeta < 1.0 {
        let wd = wz * (1.0 - zeta * zeta).sqrt();
        // A sharp dip just above 20 kHz still shapes the top of the band and maps well; a
        // broad one that close to Nyquist aliases, so the limit rises with the zeros' Q.
        let limit = RESONANT_ZERO_LIMIT + 0.025 * PI * ((0.25 - zeta) / 0.15).clamp(0.0, 1.0);
        if wd >= limit {
            return Some(Err(()));
        }
        -2.0 * r * wd.cos()
    } else {
        -2.0 * r * (wz * (zeta * zeta - 1.0).sqrt()).cosh()
    };
    let c2 = r * r;
    let g = bc0.sqrt() / (1.0 + c1 + c2);
    Some(Ok(BiquadCoeffs {
        b0: g,
        b1: g * c1,
        b2: g * c2,
        a1,
        a2,
    }))
}

/// Above this centre a bell matches DC, its centre and 20 kHz instead of Nyquist.
const IN_BAND_BELL: f64 = 0.25 * PI;

/// Numerator matched to the target magnitude at DC, `wa` and `wb` (Vicanek's three-point
/// match with the two upper points moved inside the audio band): linear in `B1, B2` once `B0`
/// is fixed by DC, then spectrally factored.
fn in_band_match(
    target: &impl Fn(f64) -> f64,
    ac: [f64; 3],
    h0: f64,
    wa: f64,
    wb: f64,
    a1: f64,
    a2: f64,
) -> BiquadCoeffs {
    let bc0 = ac[0] * h0;
    let t = |w: f64| {
        let (p0, p1, p2) = phis(w);
        (
            target(w) * (ac[0] * p0 + ac[1] * p1 + ac[2] * p2) - bc0 * p0,
            p1,
            p2,
        )
    };
    let (ra, p1a, p2a) = t(wa);
    let (rb, p1b, p2b) = t(wb);
    let det = p1a * p2b - p2a * p1b;
    let bc1 = (ra * p2b - p2a * rb) / det;
    let bc2 = (p1a * rb - ra * p1b) / det;
    let (b0, b1, b2) = numerator(bc0, bc1, bc2);
    BiquadCoeffs { b0, b1, b2, a1, a2 }
}

/// Like [`in_band_match`], but `B1, B2` by least squares of the relative error of `|H|^2` over
/// `pts` (a 2x2 normal system: still closed form). `None` when the fit is not a realisable
/// squared magnitude (negative at Nyquist or a negative discriminant in [`numerator`]).
fn in_band_fit(
    target: &impl Fn(f64) -> f64,
    ac: [f64; 3],
    h0: f64,
    pts: &[f64],
    a1: f64,
    a2: f64,
) -> Option<BiquadCoeffs> {
    let bc0 = ac[0] * h0;
    let (mut m11, mut m12, mut m22, mut v1, mut v2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &w in pts {
        let (p0, p1, p2) = phis(w);
        let t = target(w) * (ac[0] * p0 + ac[1] * p1 + ac[2] * p2);
        if t <= 1e-300 {
            continue;
        }
        let (x1, x2, r) = (p1 / t, p2 / t, 1.0 - bc0 * p0 / t);
        m11 += x1 * x1;
        m12 += x1 * x2;
        m22 += x2 * x2;
        v1 += x1 * r;
        v2 += x2 * r;
    }
    let det = m11 * m22 - m12 * m12;
    let bc1 = (v1 * m22 - m12 * v2) / det;
    let bc2 = (m11 * v2 - m12 * v1) / det;
    let half_sum = 0.5 * (bc0.sqrt() + bc1.max(0.0).sqrt());
    if !(bc1 >= 0.0 && half_sum * half_sum + bc2 >= 0.0) {
        return None;
    }
    let (b0, b1, b2) = numerator(bc0, bc1, bc2);
    Some(BiquadCoeffs { b0, b1, b2, a1, a2 })
}

/// The orientation in which a band's poles lie at or below its zeros: a cut bell, a low-shelf
/// cut, a high-shelf boost and a positive tilt have their poles near or above Nyquist (a low
/// shelf at 16 kHz cutting 12 dB has its poles at 22.6 kHz), where impulse invariance cannot
/// place them. Those are designed as the exact inverse of the opposite gain (the RBJ prototypes
/// and the tilt satisfy `H(-g) = 1 / H(g)`), whose poles are the well-behaved ones.
fn inverted(kind: FilterType, gain_db: f64) -> bool {
    match kind {
        FilterType::Bell | FilterType::LowShelf => gain_db < 0.0,
        FilterType::HighShelf | FilterType::Tilt => gain_db > 0.0,
        _ => false,
    }
}

/// Q of the notch section when a wide notch is split in two (see [`design`]).
const NOTCH_SPLIT_Q: f64 = 2.0;

/// Designs the digital cascade of a band (see [`prototype`] for the parameters): the matched
/// sections of [`matched_sections`] plus correction sections (see [`Designer`]) while the cascade
/// strays from the analog prototype by more than [`CORRECTION_THRESHOLD_DB`] between 10 Hz and
/// 20.5 kHz and a fit reduces that. Runs the whole fit at once (editor curves, `prepare`); the
/// audio thread runs the same fit one bounded [`Designer::step`] at a time.
pub fn design(
    kind: FilterType,
    slope: Slope,
    freq: f64,
    gain_db: f64,
    q: f64,
    sample_rate: f64,
) -> SectionSet {
    let mut d = Designer::new(sample_rate);
    d.start(kind, slope, freq, gain_db, q);
    while d.step().is_some() {}
    *d.result().expect("a started design runs to completion")
}

/// What one [`Designer::step`] did: passes over the fit grid (each point through at most
/// [`MAX_SECTIONS`] sections, or one row of at most `5 JOINT` normal-equation columns) and
/// linear solves (at most `5 JOINT` unknowns). The largest step is what bounds the audio
/// thread's design work per chunk of samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepWork {
    pub grid_passes: u32,
    pub solves: u32,
}

/// Where a [`Designer`] is in the fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// No design requested.
    Idle,
    /// Prototype, matched sections and the analog target on the grid.
    Begin,
    /// Residual of the cascade so far: done, or seed one more correction section.
    Pass,
    /// One iteration of the equation-error fit of the residual (see [`EquationFit`]).
    Direct,
    /// The same for the inverse residual.
    Inverse,
    /// Normal equations of one Levenberg-Marquardt iteration (see [`Lm`]).
    RefineBuild,
    /// One damped trial step of that iteration.
    RefineTry,
    /// `out` holds the result.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Spec {
    kind: FilterType,
    slope: Slope,
    freq: f64,
    gain_db: f64,
    q: f64,
}

/// The correction fit of [`design`] as a resumable state machine, so that the audio thread can
/// amortise it over many samples: each [`step`](Designer::step) does at most three passes over
/// the fit grid and one linear solve (one equation-error iteration, one LM normal-equation
/// build, or one LM trial step), whatever the band. All storage is inline (no allocation);
/// create it where allocation is allowed and reuse it with [`start`](Designer::start). The
/// result equals [`design`]'s bit for bit, because `design` is this machine run to the end.
#[derive(Debug, Clone)]
pub struct Designer {
    grid: FitGrid,
    sample_rate: f64,
    spec: Spec,
    stage: Stage,
    out: SectionSet,
    analog_sq: [f64; FIT_POINTS],
    care: [f64; FIT_POINTS],
    /// Sections never refined (the matched ones, except a bell's).
    locked: usize,
    /// First section refined in this pass.
    first: usize,
    /// Residual of the sections before `first`, and of all of them.
    base: [f64; FIT_POINTS],
    t: [f64; FIT_POINTS],
    /// Worst log error before this pass.
    before: f64,
    fit: EquationFit,
    direct: Option<(BiquadCoeffs, f64)>,
    seed: Option<(BiquadCoeffs, f64)>,
    trial: [BiquadCoeffs; MAX_SECTIONS],
    lm: Lm,
    work: StepWork,
}

impl Designer {
    pub fn new(sample_rate: f64) -> Self {
        Self {
            grid: FitGrid::new(sample_rate),
            sample_rate,
            spec: Spec {
                kind: FilterType::Bell,
                slope: Slope::Db12,
                freq: 1000.0,
                gain_db: 0.0,
                q: FRAC_1_SQRT_2,
            },
            stage: Stage::Idle,
            out: SectionSet::default(),
            analog_sq: [0.0; FIT_POINTS],
            care: [0.0; FIT_POINTS],
            locked: 0,
            first: 0,
            base: [0.0; FIT_POINTS],
            t: [0.0; FIT_POINTS],
            before: 0.0,
            fit: EquationFit::new(&[1.0; FIT_POINTS], &[0.0; FIT_POINTS]),
            direct: None,
            seed: None,
            trial: [BiquadCoeffs::IDENTITY; MAX_SECTIONS],
            lm: Lm::default(),
            work: StepWork::default(),
        }
    }

    /// Starts a new design (dropping any one in progress); costs nothing until the first step.
    pub fn start(&mut self, kind: FilterType, slope: Slope, freq: f64, gain_db: f64, q: f64) {
        self.spec = Spec {
            kind,
            slope,
            freq,
            gain_db,
            q,
        };
        self.stage = Stage::Begin;
    }

    /// Drops the design in progress or its result.
    pub fn cancel(&mut self) {
        self.stage = Stage::Idle;
    }

    /// True while steps remain.
    pub fn is_running(&self) -> bool {
        !matches!(self.stage, Stage::Idle | Stage::Done)
    }

    /// The finished design.
    pub fn result(&self) -> Option<&SectionSet> {
        (self.stage == Stage::Done).then_some(&self.out)
    }

    /// Advances the fit by one bounded unit of work; `None` when there was nothing to do.
    pub fn step(&mut self) -> Option<StepWork> {
        self.work = StepWork::default();
        match self.stage {
            Stage::Idle | Stage::Done => return None,
            Stage::Begin => self.begin(),
            Stage::Pass => self.pass(),
            Stage::Direct => {
                if !self.fit.iterate(&self.grid, &self.care, &mut self.work) {
                    self.direct = self.fit.best;
                    self.fit = EquationFit::new(&self.t.map(|v| 1.0 / v), &self.care);
                    self.stage = Stage::Inverse;
                }
            }
            Stage::Inverse => {
                if !self.fit.iterate(&self.grid, &self.care, &mut self.work) {
                    self.seed_refinement();
                }
            }
            Stage::RefineBuild => {
                if self.lm.build(&self.grid, &self.care, &mut self.work) {
                    self.stage = Stage::RefineTry;
                } else {
                    self.finish_refinement();
                }
            }
            Stage::RefineTry => match self.lm.try_step(&self.grid, &self.care, &mut self.work) {
                Trial::Rejected => {}
                Trial::Accepted => self.stage = Stage::RefineBuild,
                Trial::Finished => self.finish_refinement(),
            },
        }
        Some(self.work)
    }

    fn begin(&mut self) {
        let Spec {
            kind,
            slope,
            freq,
            gain_db,
            q,
        } = self.spec;
        let fs = self.sample_rate;
        self.out = matched_sections(kind, slope, freq, gain_db, q, fs);
        let analog = prototype(kind, slope, freq, gain_db, q, fs);
        // Deep stop-band points do not count (below -60 dB for every type, below -40 dB in a
        // notch's null, which only the notch's exact unit-circle zeros define): fitting a -90 dB
        // skirt would spend the correction where nothing is heard.
        let floor_db = if kind == FilterType::Notch {
            -40.0
        } else {
            -60.0
        };
        let floor = 10f64.powf(floor_db / 10.0);
        for i in 0..FIT_POINTS {
            let w = self.grid.w[i];
            self.analog_sq[i] = analog.sections[..analog.count]
                .iter()
                .map(|s| s.magnitude_sq(w))
                .product();
            self.care[i] = if self.analog_sq[i] > floor { 1.0 } else { 0.0 };
        }
        self.work.grid_passes += 1;
        // A bell's matched section has no structure to keep (a cut's zeros at DC or Nyquist, a
        // notch's on the unit circle), so it is refined together with its corrections: near
        // Nyquist the best cascade is not the matched bell plus a fix.
        self.locked = if kind == FilterType::Bell {
            0
        } else {
            self.out.matched
        };
        self.stage = Stage::Pass;
    }

    /// Each pass fits what the cascade so far still misses with one more section, then refines
    /// it together with the previous corrections (up to [`JOINT`]); a second or third section
    /// takes out what one biquad could not (a wide bell near Nyquist leaves a residual with two
    /// bumps).
    fn pass(&mut self) {
        if self.out.count >= MAX_SECTIONS {
            self.stage = Stage::Done;
            return;
        }
        let count = self.out.count;
        let first = count.saturating_sub(JOINT - 1).max(self.locked);
        for i in 0..FIT_POINTS {
            let gain = |cs: &[BiquadCoeffs]| -> f64 {
                cs.iter().map(|c| power_at(c, self.grid.phi[i])).product()
            };
            self.base[i] = self.analog_sq[i] / gain(&self.out.coeffs[..first]);
            self.t[i] = self.base[i] / gain(&self.out.coeffs[first..count]);
        }
        self.work.grid_passes += 1;
        let before = self.grid.worst(&self.t, &self.care);
        let threshold = CORRECTION_THRESHOLD_DB * 10f64.ln() / 10.0;
        if !before.is_finite() || before < threshold {
            self.stage = Stage::Done;
            return;
        }
        self.first = first;
        self.before = before;
        // A starting section for the new one: the equation-error fit of the residual or of its
        // inverse (the fit is not symmetric in numerator and denominator), else the identity.
        self.fit = EquationFit::new(&self.t, &self.care);
        self.stage = Stage::Direct;
    }

    fn seed_refinement(&mut self) {
        let inverse = self
            .fit
            .best
            .filter(|(c, _)| c.b0 > 0.0 && (c.b2 / c.b0).abs() < 0.9999)
            .map(|(c, e)| (invert_section(&c), e));
        self.seed = match (self.direct, inverse) {
            (Some(a), Some(b)) => Some(if a.1 <= b.1 { a } else { b }),
            (a, b) => a.or(b),
        };
        let count = self.out.count;
        self.trial = self.out.coeffs;
        self.trial[count] = self.seed.map_or(BiquadCoeffs::IDENTITY, |(c, _)| c);
        if self.lm.start(
            &self.grid,
            &self.base,
            &self.care,
            &self.trial[self.first..=count],
            &mut self.work,
        ) {
            self.stage = Stage::RefineBuild;
        } else {
            self.accept(None);
        }
    }

    fn finish_refinement(&mut self) {
        let count = self.out.count;
        let after = self.lm.finish(
            &self.grid,
            &self.base,
            &self.care,
            &mut self.trial[self.first..=count],
            &mut self.work,
        );
        self.accept(after);
    }

    /// Keeps the new section if the pass lowered the worst error, and moves on.
    fn accept(&mut self, after: Option<f64>) {
        let count = self.out.count;
        let after = match (after, self.seed) {
            (Some(a), _) => a,
            (None, Some((c, e))) if self.first == count => {
                self.trial[count] = c;
                e
            }
            _ => {
                self.stage = Stage::Done;
                return;
            }
        };
        if after >= 0.99 * self.before {
            self.stage = Stage::Done;
            return;
        }
        self.out.coeffs = self.trial;
        self.out.count += 1;
        // The refined leading sections no longer equal the glide path's.
        self.out.matched = self.out.matched.min(self.first);
        self.stage = Stage::Pass;
    }
}

/// Correction sections are added while the cascade is further than this from the prototype
/// (well inside the 0.3 dB the EQ is specified to; below it a section would cost more than it
/// fixes).
pub const CORRECTION_THRESHOLD_DB: f64 = 0.05;
/// Log-spaced points of the correction fit, 10 Hz to [`FIT_TOP_HZ`].
const LOG_POINTS: usize = 48;
/// Linearly spaced points over the top of the band, where the matched sections stray most
/// (a log grid alone leaves 10..20 kHz with a handful of points).
const LIN_POINTS: usize = 48;
const FIT_POINTS: usize = LOG_POINTS + LIN_POINTS;
/// A little past 20 kHz, so that the specified band's edge lies inside the fit.
const FIT_TOP_HZ: f64 = 20_500.0;
/// Iterations of the reweighted fit (see [`EquationFit`]).
const FIT_ITERATIONS: usize = 6;

/// The frequencies of the correction fit with their phi values (see [`phis`]).
#[derive(Debug, Clone)]
struct FitGrid {
    w: [f64; FIT_POINTS],
    phi: [(f64, f64, f64); FIT_POINTS],
}

impl FitGrid {
    fn new(sample_rate: f64) -> Self {
        let lo = 2.0 * PI * 10.0 / sample_rate;
        let hi = (2.0 * PI * FIT_TOP_HZ / sample_rate).min(0.95 * PI);
        let w: [f64; FIT_POINTS] = std::array::from_fn(|i| {
            if i < LOG_POINTS {
                lo * (hi / lo).powf(i as f64 / (LOG_POINTS - 1) as f64)
            } else {
                let k = (i - LOG_POINTS) as f64 + 0.5;
                hi * (0.4 + 0.6 * k / LIN_POINTS as f64)
            }
        });
        Self {
            w,
            phi: w.map(phis),
        }
    }

    /// Largest `|ln t|` over the points that count (half the natural-log error of `|H|`).
    fn worst(&self, t: &[f64; FIT_POINTS], care: &[f64; FIT_POINTS]) -> f64 {
        t.iter()
            .zip(care)
            .filter(|(_, &c)| c > 0.0)
            .map(|(&t, _)| if t > 0.0 { t.ln().abs() } else { f64::INFINITY })
            .fold(0.0, f64::max)
    }
}

/// One correction section: a biquad with free poles and zeros whose squared magnitude fits the
/// residual `t` (analog prototype over the cascade so far, squared) in the minimax sense on the
/// log scale. The matched sections can only be exact at a few frequencies, and any digital
/// response has zero slope at Nyquist while a wide analog bell, shelf or near-Nyquist cut does
/// not, so a matched biquad alone strays by up to 2 dB below 20 kHz.
///
/// The fit is linear in the squared-magnitude coefficients (`B0..B2` over `1, A1, A2`, the
/// "equation error" of Levy's method). Each iteration divides the weights by the previous
/// denominator, which turns the equation error into the relative output error
/// (Steiglitz-McBride), and multiplies them by the previous iteration's log error (Lawson's
/// algorithm), which drives the least-squares solution towards the minimax one: the quantity
/// the specification bounds is the largest deviation. Both polynomials are spectrally factored
/// into minimum-phase (so stable) coefficients, and the iterate with the smallest true worst
/// error is kept with that error in `best`.
#[derive(Debug, Clone)]
struct EquationFit {
    t: [f64; FIT_POINTS],
    den_est: [f64; FIT_POINTS],
    lawson: [f64; FIT_POINTS],
    best: Option<(BiquadCoeffs, f64)>,
    iteration: usize,
}

impl EquationFit {
    fn new(t: &[f64; FIT_POINTS], care: &[f64; FIT_POINTS]) -> Self {
        Self {
            t: *t,
            den_est: [1.0; FIT_POINTS],
            lawson: *care,
            best: None,
            iteration: 0,
        }
    }

    /// One reweighted iteration (three grid passes, one solve); false when the fit is over.
    fn iterate(&mut self, grid: &FitGrid, care: &[f64; FIT_POINTS], work: &mut StepWork) -> bool {
        let (t, lawson, den_est) = (&self.t, &self.lawson, &self.den_est);
        let mut m = [[0.0; 5]; 5];
        let mut v = [0.0; 5];
        for i in 0..FIT_POINTS {
            if lawson[i] <= 0.0 {
                continue;
            }
            let (p0, p1, p2) = grid.phi[i];
            let ti = t[i];
            // residual = B0 p0 + B1 p1 + B2 p2 - t (p0 + A1 p1 + A2 p2), relative to t * den.
            let row = [p0, p1, p2, -ti * p1, -ti * p2];
            let rhs = ti * p0;
            let wgt = lawson[i] / (ti * den_est[i]).powi(2);
            for r in 0..5 {
                for c in 0..5 {
                    m[r][c] += wgt * row[r] * row[c];
                }
                v[r] += wgt * row[r] * rhs;
            }
        }
        work.grid_passes += 1;
        // Jacobi scaling: the phi columns span many decades between 10 Hz and Nyquist.
        let sc: [f64; 5] = std::array::from_fn(|i| m[i][i].sqrt().max(1e-300));
        for r in 0..5 {
            for c in 0..5 {
                m[r][c] /= sc[r] * sc[c];
            }
            v[r] /= sc[r];
        }
        work.solves += 1;
        let Some(mut x) = solve(m, v, 5) else {
            return false;
        };
        for (xi, si) in x.iter_mut().zip(&sc) {
            *xi /= si;
        }
        for (&(p0, p1, p2), d) in grid.phi.iter().zip(self.den_est.iter_mut()) {
            *d = (p0 + x[3] * p1 + x[4] * p2).max(1e-12);
        }
        work.grid_passes += 1;
        let Some(c) = factor_section(&x) else {
            return false;
        };
        let mut err = [0.0; FIT_POINTS];
        let mut worst: f64 = 0.0;
        for i in 0..FIT_POINTS {
            err[i] = (t[i] / power_at(&c, grid.phi[i])).ln().abs();
            if care[i] > 0.0 {
                worst = worst.max(err[i]);
            }
        }
        work.grid_passes += 1;
        if !worst.is_finite() {
            return false;
        }
        if self.best.is_none_or(|(_, b)| worst < b) {
            self.best = Some((c, worst));
        }
        let total: f64 = self.lawson.iter().zip(&err).map(|(l, e)| l * e).sum();
        if total <= 0.0 {
            return false;
        }
        for (l, e) in self.lawson.iter_mut().zip(&err) {
            *l *= e * FIT_POINTS as f64 / total;
        }
        self.iteration += 1;
        self.iteration < FIT_ITERATIONS
    }
}

/// Exponent of the `L^p` norm [`Lm`] minimises: large enough to act like the maximum
/// (the specified figure), small enough to keep the Gauss-Newton steps smooth.
const REFINE_NORM: i32 = 10;
/// Levenberg-Marquardt iterations of [`Lm`].
const REFINE_ITERATIONS: usize = 40;
/// Damped trial steps per Levenberg-Marquardt iteration before it gives up.
const REFINE_TRIALS: usize = 8;

/// Squared-magnitude coefficients `[B0, B1, B2, A1, A2]` of a biquad, normalised to `A0 = 1`.
fn power_coeffs(c: &BiquadCoeffs) -> [f64; 5] {
    let a0 = (1.0 + c.a1 + c.a2).powi(2);
    [
        (c.b0 + c.b1 + c.b2).powi(2) / a0,
        (c.b0 - c.b1 + c.b2).powi(2) / a0,
        -4.0 * c.b0 * c.b2 / a0,
        (1.0 - c.a1 + c.a2).powi(2) / a0,
        -4.0 * c.a2 / a0,
    ]
}

/// How many correction sections [`Lm`] adjusts together.
const JOINT: usize = 3;
const JOINT_PARAMS: usize = 5 * JOINT;

type Nd = [[(f64, f64); JOINT]; FIT_POINTS];

/// Outcome of one [`Lm::try_step`].
enum Trial {
    /// The step raised the cost; the next trial is more damped.
    Rejected,
    /// The step lowered the cost; the next iteration builds new normal equations.
    Accepted,
    /// Converged, out of iterations or trials, or singular.
    Finished,
}

/// Refines correction sections together by minimising the `L^p` norm of the log-magnitude error
/// itself (`sum (ln N_k - ln D_k) - ln t`, Levenberg-Marquardt on iteratively reweighted least
/// squares). The equation-error fit of [`EquationFit`] degenerates when the residual is small
/// (with `t ~ 1` any denominator with `N = D` nearly solves it, and its minimiser drives both
/// through zero mid-band); the log error has no such null space once the first damped step
/// leaves the identity. Fitting the sections jointly matters: a greedy minimax fit leaves an
/// equiripple residual that one more section alone cannot lower. Steps that would make an `N`
/// or `D` non-positive at a grid point (no realisable section) are rejected like steps that
/// raise the cost. Split into `start`, `build` (normal equations) and `try_step` (one damped
/// solve) so that [`Designer`] can run it one bounded step at a time.
#[derive(Debug, Clone)]
struct Lm {
    /// Sections refined together (at most [`JOINT`]).
    k: usize,
    x: [f64; JOINT_PARAMS],
    lt: [f64; FIT_POINTS],
    r: [f64; FIT_POINTS],
    nd: Nd,
    cost: f64,
    lambda: f64,
    iteration: usize,
    m: [[f64; JOINT_PARAMS]; JOINT_PARAMS],
    v: [f64; JOINT_PARAMS],
    trials: usize,
}

impl Default for Lm {
    fn default() -> Self {
        Self {
            k: 0,
            x: [0.0; JOINT_PARAMS],
            lt: [0.0; FIT_POINTS],
            r: [0.0; FIT_POINTS],
            nd: [[(0.0, 0.0); JOINT]; FIT_POINTS],
            cost: 0.0,
            lambda: 0.0,
            iteration: 0,
            m: [[0.0; JOINT_PARAMS]; JOINT_PARAMS],
            v: [0.0; JOINT_PARAMS],
            trials: 0,
        }
    }
}

impl Lm {
    /// The `L^p` cost of `x` with its log errors `r` and factors `nd`; infinite when a section
    /// is not realisable at some grid point.
    fn eval(
        &self,
        grid: &FitGrid,
        care: &[f64; FIT_POINTS],
        x: &[f64; JOINT_PARAMS],
        r: &mut [f64; FIT_POINTS],
        nd: &mut Nd,
    ) -> f64 {
        let mut cost = 0.0;
        for i in 0..FIT_POINTS {
            let (p0, p1, p2) = grid.phi[i];
            let mut ratio = 1.0;
            for j in 0..self.k {
                let s = &x[5 * j..5 * j + 5];
                let n = s[0] * p0 + s[1] * p1 + s[2] * p2;
                let d = p0 + s[3] * p1 + s[4] * p2;
                if !(n > 0.0 && d > 0.0) {
                    return f64::INFINITY;
                }
                nd[i][j] = (n, d);
                ratio *= n / d;
            }
            let e = ratio.ln() - self.lt[i];
            r[i] = e;
            cost += care[i] * e.abs().powi(REFINE_NORM);
        }
        cost
    }

    /// Starts from `secs` against the residual `t`; false when they are not realisable.
    fn start(
        &mut self,
        grid: &FitGrid,
        t: &[f64; FIT_POINTS],
        care: &[f64; FIT_POINTS],
        secs: &[BiquadCoeffs],
        work: &mut StepWork,
    ) -> bool {
        self.k = secs.len().min(JOINT);
        self.x = [0.0; JOINT_PARAMS];
        for (j, c) in secs[..self.k].iter().enumerate() {
            self.x[5 * j..5 * j + 5].copy_from_slice(&power_coeffs(c));
        }
        self.lt = t.map(f64::ln);
        let (x, mut r, mut nd) = (self.x, self.r, self.nd);
        self.cost = self.eval(grid, care, &x, &mut r, &mut nd);
        (self.r, self.nd) = (r, nd);
        work.grid_passes += 1;
        self.lambda = 1e-2;
        self.iteration = 0;
        self.cost.is_finite()
    }

    /// The reweighted normal equations at `x`; false when the error is already zero.
    fn build(&mut self, grid: &FitGrid, care: &[f64; FIT_POINTS], work: &mut StepWork) -> bool {
        let np = 5 * self.k;
        let rmax = self
            .r
            .iter()
            .zip(care)
            .map(|(r, c)| c * r.abs())
            .fold(0.0, f64::max);
        if rmax <= 0.0 {
            return false;
        }
        let mut m = [[0.0; JOINT_PARAMS]; JOINT_PARAMS];
        let mut v = [0.0; JOINT_PARAMS];
        let (nd, r) = (&self.nd, &self.r);
        for i in 0..FIT_POINTS {
            if care[i] <= 0.0 {
                continue;
            }
            let (p0, p1, p2) = grid.phi[i];
            let mut row = [0.0; JOINT_PARAMS];
            for j in 0..self.k {
                let (n, d) = nd[i][j];
                row[5 * j..5 * j + 5].copy_from_slice(&[p0 / n, p1 / n, p2 / n, -p1 / d, -p2 / d]);
            }
            let wgt = (r[i].abs() / rmax).powi(REFINE_NORM - 2);
            for a in 0..np {
                let wa = wgt * row[a];
                for b in a..np {
                    m[a][b] += wa * row[b];
                }
                v[a] -= wa * r[i];
            }
        }
        work.grid_passes += 1;
        // Mirror the upper triangle (the normal matrix is symmetric).
        for a in 1..np {
            let (upper, lower) = m.split_at_mut(a);
            for (b, row) in upper.iter().enumerate() {
                lower[0][b] = row[a];
            }
        }
        (self.m, self.v) = (m, v);
        self.trials = 0;
        true
    }

    /// One damped step from the current normal equations.
    fn try_step(&mut self, grid: &FitGrid, care: &[f64; FIT_POINTS], work: &mut StepWork) -> Trial {
        let np = 5 * self.k;
        let mut md = self.m;
        for (d, row) in md.iter_mut().enumerate().take(np) {
            row[d] += self.lambda * self.m[d][d].max(1e-12);
        }
        work.solves += 1;
        let Some(step) = solve(md, self.v, np) else {
            return Trial::Finished;
        };
        let trial: [f64; JOINT_PARAMS] = std::array::from_fn(|d| self.x[d] + step[d]);
        let mut rt = [0.0; FIT_POINTS];
        let mut ndt = self.nd;
        let ct = self.eval(grid, care, &trial, &mut rt, &mut ndt);
        work.grid_passes += 1;
        if ct < self.cost {
            // Converged: the last step gained less than 0.01 % of the cost.
            let converged = ct > (1.0 - 1e-4) * self.cost;
            (self.x, self.r, self.nd, self.cost) = (trial, rt, ndt, ct);
            self.lambda = (self.lambda / 3.0).max(1e-9);
            self.iteration += 1;
            return if converged || self.iteration == REFINE_ITERATIONS {
                Trial::Finished
            } else {
                Trial::Accepted
            };
        }
        self.lambda *= 4.0;
        self.trials += 1;
        if self.trials == REFINE_TRIALS {
            Trial::Finished
        } else {
            Trial::Rejected
        }
    }

    /// Replaces `secs` by the refined sections and returns their worst log error against `t`;
    /// `None` (and `secs` untouched) when they are not realisable.
    fn finish(
        &self,
        grid: &FitGrid,
        t: &[f64; FIT_POINTS],
        care: &[f64; FIT_POINTS],
        secs: &mut [BiquadCoeffs],
        work: &mut StepWork,
    ) -> Option<f64> {
        let k = self.k;
        let mut out = [BiquadCoeffs::IDENTITY; JOINT];
        for (j, o) in out[..k].iter_mut().enumerate() {
            let s: [f64; 5] = std::array::from_fn(|d| self.x[5 * j + d]);
            *o = factor_section(&s)?;
        }
        work.grid_passes += 1;
        let worst = (0..FIT_POINTS)
            .filter(|&i| care[i] > 0.0)
            .map(|i| {
                let d: f64 = out[..k].iter().map(|c| power_at(c, grid.phi[i])).product();
                (t[i] / d).ln().abs()
            })
            .fold(0.0, f64::max);
        if !worst.is_finite() {
            return None;
        }
        secs[..k].copy_from_slice(&out[..k]);
        Some(worst)
    }
}

/// The minimum-phase biquad of fitted squared-magnitude coefficients `[B0, B1, B2, A1, A2]`
/// (`A0 = 1`); `None` when the denominator is not realisable as a stable section.
fn factor_section(x: &[f64; 5]) -> Option<BiquadCoeffs> {
    let (c0, c1, c2) = numerator(1.0, x[3], x[4]);
    let (b0, b1, b2) = numerator(x[0], x[1], x[2]);
    if c0.is_nan() || c0 <= 0.0 || (c2 / c0).abs() >= 0.9999 {
        return None;
    }
    let c = BiquadCoeffs {
        b0: b0 / c0,
        b1: b1 / c0,
        b2: b2 / c0,
        a1: c1 / c0,
        a2: c2 / c0,
    };
    [c.b0, c.b1, c.b2, c.a1, c.a2]
        .iter()
        .all(|v| v.is_finite())
        .then_some(c)
}

/// Gaussian elimination with partial pivoting on the leading `n x n` block; `None` for a
/// singular system.
fn solve<const N: usize>(mut m: [[f64; N]; N], mut v: [f64; N], n: usize) -> Option<[f64; N]> {
    for col in 0..n {
        let piv = (col..n).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[piv][col].abs() < 1e-300 {
            return None;
        }
        m.swap(col, piv);
        v.swap(col, piv);
        for row in col + 1..n {
            let f = m[row][col] / m[col][col];
            let pivot_row = m[col];
            for (dst, src) in m[row][col..n].iter_mut().zip(&pivot_row[col..n]) {
                *dst -= f * src;
            }
            v[row] -= f * v[col];
        }
    }
    let mut out = [0.0; N];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| m[row][k] * out[k]).sum();
        out[row] = (v[row] - s) / m[row][row];
    }
    Some(out)
}

/// The glide-path design: the matched sections of [`matched_sections`] plus, for the
/// second-order types (bell, shelves, notch, band-pass), one closed-form correction section
/// (see [`glide_correction`]). What a band runs while a parameter glides and until the full
/// fit of [`design`] is ready: cheap enough to redesign every sample and continuous in the
/// parameters.
pub fn design_matched(
    kind: FilterType,
    slope: Slope,
    freq: f64,
    gain_db: f64,
    q: f64,
    sample_rate: f64,
) -> SectionSet {
    let mut out = matched_sections(kind, slope, freq, gain_db, q, sample_rate);
    if matches!(
        kind,
        FilterType::Bell
            | FilterType::LowShelf
            | FilterType::HighShelf
            | FilterType::Notch
            | FilterType::BandPass
    ) {
        let analog = prototype(kind, slope, freq, gain_db, q, sample_rate);
        out.coeffs[out.count] = glide_correction(&analog, &out, kind, sample_rate);
        out.count += 1;
    }
    out
}

/// Double real pole of the glide correction, at `z = -GLIDE_POLE`: a fixed denominator keeps
/// the fit linear (so closed form and continuous in the parameters), and a pole pair on the
/// negative real axis concentrates the section's freedom in the top octaves, where a matched
/// biquad strays from its prototype (its slope at Nyquist is zero, the analog one is not).
/// 0.5 measured best over `tests/eq_glide.rs`'s grid among double poles at radii 0.35..0.6 and
/// pole pairs at angles 0.93..1.0 pi.
const GLIDE_POLE: f64 = 0.5;
/// Fit points of the glide correction from [`GLIDE_LOW`] to 20.5 kHz, denser towards the top
/// (`w = lo + (hi - lo) (2 s - s^2)` for `s` evenly spaced in `0..1`), where the matched
/// sections stray most. Eight measured as good as twelve; even spacing left the shelves 0.3 dB
/// worse.
const GLIDE_POINTS: usize = 8;
const GLIDE_LOW: f64 = 0.2 * PI;

/// The glide path's correction section: its numerator fits the residual `t` (analog prototype
/// over the matched cascade, squared) with `B0` fixed by DC (where the matched sections are
/// exact) and `B1, B2` by least squares of the relative error of `|H|^2` over
/// [`GLIDE_POINTS`] points, as in [`in_band_fit`] but with the fixed poles of [`GLIDE_POLE`].
/// Points in a deep stop band (analog below -60 dB, -40 dB for a notch) fade out of the fit
/// smoothly, so the coefficients stay continuous while a band glides. With no residual the
/// fit is `B = A`, the identity.
fn glide_correction(
    analog: &AnalogPrototype,
    matched: &SectionSet,
    kind: FilterType,
    sample_rate: f64,
) -> BiquadCoeffs {
    let (a1, a2) = (2.0 * GLIDE_POLE, GLIDE_POLE * GLIDE_POLE);
    let ac = [(1.0 + a1 + a2).powi(2), (1.0 - a1 + a2).powi(2), -4.0 * a2];
    let floor = if kind == FilterType::Notch {
        1e-4
    } else {
        1e-6
    };
    let hi = (2.0 * PI * FIT_TOP_HZ / sample_rate).min(0.95 * PI);
    // Squared magnitudes as numerator and denominator polynomials in phi, so that each point
    // costs one division: the analog sections' (in x^2 = (w / w0)^2) and the matched ones'.
    let mut dig = [([0.0; 3], [0.0; 3]); MAX_SECTIONS];
    for (d, c) in dig.iter_mut().zip(&matched.coeffs[..matched.count]) {
        *d = (
            [
                (c.b0 + c.b1 + c.b2).powi(2),
                (c.b0 - c.b1 + c.b2).powi(2),
                -4.0 * c.b0 * c.b2,
            ],
            [
                (1.0 + c.a1 + c.a2).powi(2),
                (1.0 - c.a1 + c.a2).powi(2),
                -4.0 * c.a2,
            ],
        );
    }
    let dig = &dig[..matched.count];
    let analog_parts = |w: f64| -> (f64, f64) {
        analog.sections[..analog.count]
            .iter()
            .fold((1.0, 1.0), |(n, d), s| {
                let x = w / s.w0;
                let x2 = x * x;
                let (nr, ni) = (s.n[0] - s.n[2] * x2, s.n[1] * x);
                let (dr, di) = (s.d[0] - s.d[2] * x2, s.d[1] * x);
                (n * (nr * nr + ni * ni), d * (dr * dr + di * di))
            })
    };
    // A band-pass has a zero at DC in both; its matched section follows the analog asymptote
    // there, so the residual's limit is 1.
    let (an0, ad0) = analog_parts(0.0);
    let bc0 = ac[0]
        * if an0 > 0.0 {
            let (dn, dd) = dig
                .iter()
                .fold((1.0, 1.0), |(n, d), (b, a)| (n * b[0], d * a[0]));
            an0 * dd / (ad0 * dn)
        } else {
            1.0
        };
    let (mut m11, mut m12, mut m22, mut v1, mut v2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    // The points' `e^(i w)` by rotation: the steps between them shrink linearly, so the
    // rotation itself rotates by a fixed angle (three `sin_cos` instead of one per point).
    let m = (GLIDE_POINTS - 1) as f64;
    let span = hi - GLIDE_LOW;
    let (mut zs, mut zc) = GLIDE_LOW.sin_cos();
    let (mut rs, mut rc) = (span * (2.0 * m - 1.0) / (m * m)).sin_cos();
    let (ds, dc) = (-2.0 * span / (m * m)).sin_cos();
    for k in 0..GLIDE_POINTS {
        let s = k as f64 / m;
        let w = GLIDE_LOW + span * (2.0 - s) * s;
        let c = zc;
        (zc, zs) = (zc * rc - zs * rs, zc * rs + zs * rc);
        (rc, rs) = (rc * dc - rs * ds, rc * ds + rs * dc);
        // Vicanek's phi values from cos(w): phi1 = sin^2(w/2) = (1 - cos w) / 2.
        let (p0, p1) = (0.5 * (1.0 + c), 0.5 * (1.0 - c));
        let p2 = 4.0 * p0 * p1;
        let (an, ad) = analog_parts(w);
        let (dn, dd) = dig.iter().fold((1.0, 1.0), |(n, d), (b, a)| {
            (
                n * (b[0] * p0 + b[1] * p1 + b[2] * p2),
                d * (a[0] * p0 + a[1] * p1 + a[2] * p2),
            )
        });
        // 1 / t, t the residual times the correction's denominator.
        let inv_t = ad * dn / (an * dd * (ac[0] * p0 + ac[1] * p1 + ac[2] * p2));
        if !(inv_t.is_finite() && inv_t > 0.0) {
            continue;
        }
        let wgt = an / (an + floor * ad);
        let (x1, x2, r) = (p1 * inv_t, p2 * inv_t, 1.0 - bc0 * p0 * inv_t);
        m11 += wgt * x1 * x1;
        m12 += wgt * x1 * x2;
        m22 += wgt * x2 * x2;
        v1 += wgt * x1 * r;
        v2 += wgt * x2 * r;
    }
    let det = m11 * m22 - m12 * m12;
    let bc1 = (v1 * m22 - m12 * v2) / det;
    let bc2 = (m11 * v2 - m12 * v1) / det;
    let (b0, b1, b2) = numerator(bc0, bc1, bc2);
    let c = BiquadCoeffs { b0, b1, b2, a1, a2 };
    if [b0, b1, b2].iter().all(|v| v.is_finite()) {
        c
    } else {
        BiquadCoeffs::IDENTITY
    }
}

/// The matched sections alone (no correction section): the glide path's leading sections and
/// the start of [`design`]'s fit.
///
/// A single biquad notch has one free parameter once its zeros sit on the unit circle, so a wide
/// notch (Q 0.1 at 20 kHz) cannot match both DC and Nyquist. It is factored exactly as
/// `notch(Q) = notch(Qn) * bell(gain Q/Qn, Q sqrt(Q Qn))` with `Qn = 2`: a narrow notch, which a
/// biquad matches, times a smooth bell.
pub fn matched_sections(
    kind: FilterType,
    slope: Slope,
    freq: f64,
    gain_db: f64,
    q: f64,
    sample_rate: f64,
) -> SectionSet {
    let invert = inverted(kind, gain_db);
    let g = if invert { -gain_db } else { gain_db };
    let mut out = SectionSet::default();
    if kind == FilterType::Notch && q < NOTCH_SPLIT_Q {
        let q = q.max(0.025);
        let notch = prototype(kind, slope, freq, 0.0, NOTCH_SPLIT_Q, sample_rate);
        let bell_db = 20.0 * (q / NOTCH_SPLIT_Q).log10();
        let qb = (q * NOTCH_SPLIT_Q).sqrt();
        out.coeffs[0] = match_section(&notch.sections[0]);
        // A cut bell (Q < 2): designed as the inverse of the boost, see `inverted`.
        let boost = prototype(FilterType::Bell, slope, freq, -bell_db, qb, sample_rate);
        out.coeffs[1] = invert_section(&match_section_with(&boost.sections[0], &[], &[], false));
        out.count = 2;
        out.matched = 2;
        return out;
    }
    let p = prototype(kind, slope, freq, g, q, sample_rate);
    out.count = p.count;
    out.matched = p.count;
    for k in 0..p.count {
        let m = match_section_after(&p.sections[k], &p.sections[..k], &out.coeffs[..k]);
        out.coeffs[k] = if invert { invert_section(&m) } else { m };
    }
    out
}

/// Squared magnitude of a biquad at `w` radians per sample (Vicanek's phi form).
fn power(c: &BiquadCoeffs, w: f64) -> f64 {
    power_at(c, phis(w))
}

/// [`power`] from precomputed `(phi0, phi1, phi2)`.
fn power_at(c: &BiquadCoeffs, (p0, p1, p2): (f64, f64, f64)) -> f64 {
    let num = (c.b0 + c.b1 + c.b2).powi(2) * p0 + (c.b0 - c.b1 + c.b2).powi(2) * p1
        - 4.0 * c.b0 * c.b2 * p2;
    let den = (1.0 + c.a1 + c.a2).powi(2) * p0 + (1.0 - c.a1 + c.a2).powi(2) * p1 - 4.0 * c.a2 * p2;
    num / den
}

/// `1 / H(z)` of a minimum-phase biquad (its zeros become the poles).
fn invert_section(c: &BiquadCoeffs) -> BiquadCoeffs {
    let k = 1.0 / c.b0;
    BiquadCoeffs {
        b0: k,
        b1: c.a1 * k,
        b2: c.a2 * k,
        a1: c.b1 * k,
        a2: c.b2 * k,
    }
}

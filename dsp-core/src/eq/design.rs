//! Analog-matched biquad designs (M. Vicanek, "Matched Second Order Digital Filters", 2016).
//!
//! The bilinear transform squeezes the whole analog frequency axis into `[0, fs/2)`, so a
//! bilinear bell or shelf near Nyquist is narrower than its analog prototype ("cramping"). The
//! matched design avoids that:
//! - the poles are the analog poles mapped by impulse invariance, `z = exp(s T)`, which keeps
//!   their frequency and damping exactly;
//! - the zeros are chosen so that the digital magnitude equals the analog prototype's magnitude
//!   at three frequencies: DC, Nyquist and the band's centre. With
//!   `phi0 = cos^2(w/2)`, `phi1 = sin^2(w/2)`, `phi2 = 4 phi0 phi1`, a biquad's squared
//!   magnitude is `(B0 phi0 + B1 phi1 + B2 phi2) / (A0 phi0 + A1 phi1 + A2 phi2)` with
//!   `A0 = (1 + a1 + a2)^2`, `A1 = (1 - a1 + a2)^2`, `A2 = -4 a2` (Vicanek eq. 8-10), which is
//!   linear in `B0, B1, B2`: three magnitude constraints give them directly, and the minimum-phase
//!   numerator follows from the spectral factorisation of his eq. 11-12.
//!
//! Every band type is a cascade of at most [`MAX_SECTIONS`] such sections, each described by a
//! normalised analog biquadratic `(n0 + n1 s + n2 s^2) / (d0 + d1 s + d2 s^2)` with
//! `s = j f / f0`. First-order sections (6 dB/oct cuts, tilt) use the same machinery with one
//! real pole and `a2 = 0`, which leaves three free numerator coefficients for the three-point
//! match instead of the two of a first-order section.

use crate::filter::BiquadCoeffs;
use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// The most biquad sections one band needs (an 8th-order, 48 dB/oct Butterworth cut).
pub const MAX_SECTIONS: usize = 4;

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
}

impl Default for SectionSet {
    fn default() -> Self {
        Self {
            coeffs: [BiquadCoeffs::IDENTITY; MAX_SECTIONS],
            count: 0,
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
                let n = if high_pass { [0.0, 1.0, 0.0] } else { [1.0, 0.0, 0.0] };
                p.sections[k] = section(n, [1.0, 1.0, 0.0], w0);
                k += 1;
            }
            let resonance = q / FRAC_1_SQRT_2;
            for (i, &qb) in qs.iter().enumerate() {
                let qs_i = if i + 1 == qs.len() { qb * resonance } else { qb };
                let n = if high_pass { [0.0, 0.0, 1.0] } else { [1.0, 0.0, 0.0] };
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
    let (a1, a2) = matched_poles(s);
    let ac0 = (1.0 + a1 + a2).powi(2);
    let ac1 = (1.0 - a1 + a2).powi(2);
    let ac2 = -4.0 * a2;
    let h0 = s.magnitude_sq(0.0);
    let hpi = s.magnitude_sq(PI);
    let is_notch = s.n[1] == 0.0 && s.n[0] != 0.0 && s.n[2] != 0.0;
    if is_notch {
        // Zeros exactly on the unit circle at the notch frequency (a depth no three-point match
        // can guarantee: a double zero of |N|^2 is the edge of realisability); the gain is the
        // geometric mean of the DC and Nyquist matches, which splits the residual error.
        let c = s.w0.min(PI).cos();
        let g_dc = ac0.sqrt() * h0.sqrt() / (2.0 - 2.0 * c).max(1e-300);
        let g_ny = ac1.sqrt() * hpi.sqrt() / (2.0 + 2.0 * c).max(1e-300);
        let g = (g_dc * g_ny).sqrt();
        return BiquadCoeffs {
            b0: g,
            b1: -2.0 * c * g,
            b2: g,
            a1,
            a2,
        };
    }
    let (g0, gpi) = ((ac0 * h0).sqrt(), (ac1 * hpi).sqrt());
    if s.n == [1.0, 0.0, 0.0] {
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
        // section, a single one for the first-order one); the gain matches Nyquist.
        let (b0, b1, b2) = if s.d[2] == 0.0 {
            (0.5 * gpi, -0.5 * gpi, 0.0)
        } else {
            (0.25 * gpi, -0.5 * gpi, 0.25 * gpi)
        };
        return BiquadCoeffs { b0, b1, b2, a1, a2 };
    }
    let wm = if s.w0 <= MATCH_LIMIT {
        s.w0
    } else {
        MATCH_LIMIT * MATCH_LIMIT / s.w0
    };
    let hm = s.magnitude_sq(wm);
    let (p0, p1, p2) = phis(wm);
    let bc0 = ac0 * h0;
    let bc1 = ac1 * hpi;
    let bc2 = (hm * (ac0 * p0 + ac1 * p1 + ac2 * p2) - bc0 * p0 - bc1 * p1) / p2;
    let (b0, b1, b2) = numerator(bc0, bc1, bc2);
    BiquadCoeffs { b0, b1, b2, a1, a2 }
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

/// Designs the digital cascade of a band (see [`prototype`] for the parameters).
///
/// A single biquad notch has one free parameter once its zeros sit on the unit circle, so a wide
/// notch (Q 0.1 at 20 kHz) cannot match both DC and Nyquist. It is factored exactly as
/// `notch(Q) = notch(Qn) * bell(gain Q/Qn, Q sqrt(Q Qn))` with `Qn = 2`: a narrow notch, which a
/// biquad matches, times a smooth bell, which the three-point match handles.
pub fn design(
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
        out.coeffs[1] = design(FilterType::Bell, slope, freq, bell_db, qb, sample_rate).coeffs[0];
        out.count = 2;
        return out;
    }
    let p = prototype(kind, slope, freq, g, q, sample_rate);
    out.count = p.count;
    for (c, s) in out.coeffs.iter_mut().zip(&p.sections[..p.count]) {
        let m = match_section(s);
        *c = if invert { invert_section(&m) } else { m };
    }
    out
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

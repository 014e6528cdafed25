mod common;

use dsp_core::eq::design::{design, FilterType, Slope};
use std::f64::consts::PI;

/// Analog prototype magnitude straight from the s-domain formulas, independent of the crate.
fn analog_db(kind: FilterType, slope: Slope, f0: f64, gain: f64, q: f64, f: f64) -> f64 {
    let s = num_c(0.0, f / f0);
    let a = 10f64.powf(gain / 40.0);
    let h = match kind {
        FilterType::Bell => div(
            add3(mul(s, s), scale(s, a / q), num_c(1.0, 0.0)),
            add3(mul(s, s), scale(s, 1.0 / (a * q)), num_c(1.0, 0.0)),
        ),
        FilterType::LowShelf => scale(
            div(
                add3(mul(s, s), scale(s, a.sqrt() / q), num_c(a, 0.0)),
                add3(scale(mul(s, s), a), scale(s, a.sqrt() / q), num_c(1.0, 0.0)),
            ),
            a,
        ),
        FilterType::HighShelf => scale(
            div(
                add3(scale(mul(s, s), a), scale(s, a.sqrt() / q), num_c(1.0, 0.0)),
                add3(mul(s, s), scale(s, a.sqrt() / q), num_c(a, 0.0)),
            ),
            a,
        ),
        FilterType::Notch => div(
            add3(mul(s, s), num_c(0.0, 0.0), num_c(1.0, 0.0)),
            add3(mul(s, s), scale(s, 1.0 / q), num_c(1.0, 0.0)),
        ),
        FilterType::BandPass => div(
            scale(s, 1.0 / q),
            add3(mul(s, s), scale(s, 1.0 / q), num_c(1.0, 0.0)),
        ),
        FilterType::Tilt => div(
            add3(scale(s, a), num_c(1.0, 0.0), num_c(0.0, 0.0)),
            add3(s, num_c(a, 0.0), num_c(0.0, 0.0)),
        ),
        FilterType::LowCut | FilterType::HighCut => {
            // Butterworth: poles on the unit circle at angles (2k + 1) pi / 2n from the real axis
            // pair; |H|^2 = 1 / (1 + x^2n) (low-pass) or x^2n / (1 + x^2n) (high-pass).
            let n = slope.order() as i32;
            let x = f / f0;
            let lp = 1.0 / (1.0 + x.powi(2 * n));
            let m2 = if kind == FilterType::HighCut { lp } else { 1.0 - lp };
            return 10.0 * m2.log10();
        }
    };
    10.0 * (h.0 * h.0 + h.1 * h.1).log10()
}
type C = (f64, f64);
fn num_c(r: f64, i: f64) -> C {
    (r, i)
}
fn mul(a: C, b: C) -> C {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}
fn scale(a: C, k: f64) -> C {
    (a.0 * k, a.1 * k)
}
fn add3(a: C, b: C, c: C) -> C {
    (a.0 + b.0 + c.0, a.1 + b.1 + c.1)
}
fn div(a: C, b: C) -> C {
    let d = b.0 * b.0 + b.1 * b.1;
    ((a.0 * b.0 + a.1 * b.1) / d, (a.1 * b.0 - a.0 * b.1) / d)
}

#[test]
fn matched_designs_track_the_analog_prototype_to_20k() {
    let kinds = [
        FilterType::Bell,
        FilterType::LowShelf,
        FilterType::HighShelf,
        FilterType::LowCut,
        FilterType::HighCut,
        FilterType::Notch,
        FilterType::BandPass,
        FilterType::Tilt,
    ];
    let slopes = [Slope::Db6, Slope::Db12, Slope::Db18, Slope::Db24, Slope::Db36, Slope::Db48];
    let f0s: Vec<f64> = (0..=30).map(|i| 20.0 * 1000f64.powf(i as f64 / 30.0)).collect();
    let qs = [0.1, 0.3, 0.7071, 1.0, 2.0, 4.0, 8.0, 18.0];
    let gains = [-24.0, -12.0, -3.0, 3.0, 12.0, 24.0];
    let freqs: Vec<f64> = (0..=400).map(|i| 10.0 * 2000f64.powf(i as f64 / 400.0)).collect();
    let mut worst = std::collections::HashMap::new();
    for fs in [44_100.0, 48_000.0] {
        for &kind in &kinds {
            let slope_set: &[Slope] = if matches!(kind, FilterType::LowCut | FilterType::HighCut) {
                &slopes
            } else {
                &slopes[1..2]
            };
            for &slope in slope_set {
                for &f0 in &f0s {
                    let cut = matches!(kind, FilterType::LowCut | FilterType::HighCut);
                    for &q in if cut { &qs[2..3] } else { &qs[..] } {
                        for &g in &gains {
                            let d = design(kind, slope, f0, g, q, fs);
                            for &f in &freqs {
                                let an = analog_db(kind, slope, f0, g, q, f);
                                let dg = 20.0 * d.magnitude(f, fs).log10();
                                let mut err = (an - dg).abs();
                                if kind == FilterType::Notch && an < -40.0 {
                                    err = 0.0;
                                }
                                if matches!(kind, FilterType::LowCut | FilterType::HighCut | FilterType::BandPass) && an < -60.0 {
                                    err = 0.0;
                                }
                                let band = if f0 <= 5000.0 { "a<=5k" } else if f0 <= 10000.0 { "b<=10k" } else if f0 <= 16000.0 { "c<=16k" } else { "d<=20k" };
                                let key = format!("{kind:?} {band} q{}", if q < 0.5 { "<0.5" } else if q <= 8.0 { "0.5-8" } else { ">8" });
                                let e = worst.entry(key).or_insert((0.0, String::new()));
                                if err > e.0 {
                                    *e = (err, format!("fs {fs} {slope:?} f0 {f0:.1} q {q} g {g} at {f:.1}: an {an:.3} dg {dg:.3}"));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let mut keys: Vec<_> = worst.keys().cloned().collect();
    keys.sort();
    for k in keys {
        let v = &worst[&k];
        println!("{k}: {:.4} dB  {}", v.0, v.1);
    }
    let _ = PI;
}
#[test]
fn dbg_one() {
    let fs = 44100.0;
    let d = design(FilterType::Bell, Slope::Db12, 6324.6, -24.0, 0.7071, fs);
    println!("{:?}", d.coeffs[0]);
    for f in [10.0, 1000.0, 3000.0, 5390.0, 6324.6, 10000.0, 22049.0] {
        println!("{f} an {:.3} dg {:.3}", analog_db(FilterType::Bell, Slope::Db12, 6324.6, -24.0, 0.7071, f), 20.0*d.magnitude(f, fs).log10());
    }
}

//! The glide path (what a band runs while a parameter moves, and until its correction fit is
//! ready: `design_matched`, redesigned every sample) against the analog prototype, with and
//! without its closed-form correction section, over a grid that is dense near Nyquist.
use dsp_core::eq::design::{design_matched, matched_sections, prototype};
use dsp_core::eq::{FilterType, Slope};

/// Worst |glide path - analog| in dB per second-order type over f0 20 Hz..20 kHz (91 log-spaced
/// centres, 12 of them between 8 and 20 kHz), Q 0.1..18, +-24 dB, 44.1 and 48 kHz, every
/// frequency 10 Hz..20 kHz (201 log-spaced), deep stop-band points excluded as in `tests/eq.rs`
/// (analog below -40 dB for the notch, -60 dB for the band-pass). Before the correction
/// section (the matched sections alone) the shelves strayed by 10.1 dB (a Q 18, 24 dB shelf at
/// 10.8 kHz, at 20 kHz), the notch by 3.0 dB, the band-pass by 1.1 dB and the bell by 0.9 dB;
/// the bounds are what the corrected glide path measures, with a little margin. (Cuts and tilt
/// keep their matched sections: `tests/eq.rs` bounds them.)
#[test]
fn glide_path_with_its_correction_stays_close_to_the_analog_prototype_near_nyquist() {
    let kinds = [
        (FilterType::Bell, 0.45),
        (FilterType::LowShelf, 0.95),
        (FilterType::HighShelf, 0.95),
        (FilterType::Notch, 0.4),
        (FilterType::BandPass, 0.25),
    ];
    let f0s: Vec<f64> = (0..=90)
        .map(|i| 20.0 * 1000f64.powf(i as f64 / 90.0))
        .collect();
    let freqs: Vec<f64> = (0..=200)
        .map(|i| 10.0 * 2000f64.powf(i as f64 / 200.0))
        .collect();
    let qs = [
        0.1,
        0.3,
        std::f64::consts::FRAC_1_SQRT_2,
        1.0,
        3.0,
        10.0,
        18.0,
    ];
    let gains = [-24.0, -12.0, -6.0, 6.0, 12.0, 24.0];
    for (kind, bound) in kinds {
        let floor = if kind == FilterType::Notch {
            -40.0
        } else {
            -60.0
        };
        let (mut before, mut after) = ((0.0f64, String::new()), (0.0f64, String::new()));
        for fs in [44_100.0, 48_000.0] {
            for &f0 in &f0s {
                for q in qs {
                    for g in gains {
                        let analog = prototype(kind, Slope::Db12, f0, g, q, fs);
                        let old = matched_sections(kind, Slope::Db12, f0, g, q, fs);
                        let new = design_matched(kind, Slope::Db12, f0, g, q, fs);
                        for &f in &freqs {
                            let an = 20.0 * analog.magnitude(f, fs).log10();
                            if an < floor {
                                continue;
                            }
                            let at = || format!("fs {fs} f0 {f0:.0} q {q} g {g} at {f:.0} Hz");
                            for (d, w) in [(&old, &mut before), (&new, &mut after)] {
                                let err = (20.0 * d.magnitude(f, fs).log10() - an).abs();
                                if err > w.0 {
                                    *w = (err, at());
                                }
                            }
                        }
                    }
                }
            }
        }
        println!(
            "glide path {kind:?}: worst {:.3} dB ({}), matched sections alone {:.3} dB ({})",
            after.0, after.1, before.0, before.1
        );
        assert!(after.0 < bound, "{kind:?}: {} dB ({})", after.0, after.1);
    }
}

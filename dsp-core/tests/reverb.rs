//! Reverb: RT60 per band measured from impulse responses (Schroeder backward integration, T30),
//! stereo decorrelation, exact-zero tails, freeze, click-free size changes and block invariance.
mod common;

use common::*;
use dsp_core::filter::{BiquadCoeffs, BiquadState};
use dsp_core::reverb::{Mode, Reverb, HADAMARD_SCALE};
use dsp_core::signal;
use std::f64::consts::FRAC_1_SQRT_2;

const FS: f64 = 48_000.0;

fn reverb(setup: impl Fn(&mut Reverb)) -> Reverb {
    let mut r = Reverb::new();
    r.set_mix(1.0);
    setup(&mut r);
    r.prepare(FS, 512);
    r
}

/// Stereo impulse response (unit impulse on both inputs) of `seconds`.
fn impulse_response(r: &mut Reverb, seconds: f64) -> [Vec<f32>; 2] {
    let n = (seconds * FS) as usize;
    let mut l = vec![0.0f32; n];
    let mut rr = vec![0.0f32; n];
    l[0] = 1.0;
    rr[0] = 1.0;
    for (a, b) in l.chunks_mut(512).zip(rr.chunks_mut(512)) {
        r.process(&mut [a, b]);
    }
    [l, rr]
}

/// Octave band (4th-order high-pass at f/sqrt2, 4th-order low-pass at f*sqrt2, each two
/// cascaded Butterworth-Q biquads).
fn octave_band(x: &[f32], center: f64) -> Vec<f64> {
    let hp = BiquadCoeffs::rbj_highpass(FS, center / 2f64.sqrt(), FRAC_1_SQRT_2);
    let lp = BiquadCoeffs::rbj_lowpass(FS, center * 2f64.sqrt(), FRAC_1_SQRT_2);
    let mut st = [BiquadState::default(); 4];
    x.iter()
        .map(|&v| {
            let mut y = v as f64;
            y = st[0].tick(&hp, y);
            y = st[1].tick(&hp, y);
            y = st[2].tick(&lp, y);
            st[3].tick(&lp, y)
        })
        .collect()
}

/// T30 RT60 (ISO 3382-1): Schroeder backward integration of the energy, least-squares line
/// through the -5..-35 dB part of the decay curve, extrapolated to 60 dB.
fn t30(energy: &[f64]) -> f64 {
    let mut edc = vec![0.0; energy.len()];
    let mut acc = 0.0;
    for i in (0..energy.len()).rev() {
        acc += energy[i];
        edc[i] = acc;
    }
    let total = edc[0];
    let db: Vec<f64> = edc.iter().map(|&e| 10.0 * (e / total).log10()).collect();
    let start = db.iter().position(|&d| d <= -5.0).expect("no -5 dB point");
    let end = db
        .iter()
        .position(|&d| d <= -35.0)
        .expect("no -35 dB point");
    let n = (end - start) as f64;
    let (mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0);
    for (i, &d) in db.iter().enumerate().take(end).skip(start) {
        let t = i as f64 / FS;
        sx += t;
        sy += d;
        sxx += t * t;
        sxy += t * d;
    }
    let slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    -60.0 / slope
}

/// RT60 of the band around `center` of a stereo IR (energies of both channels summed).
fn band_rt60(ir: &[Vec<f32>; 2], center: f64) -> f64 {
    let l = octave_band(&ir[0], center);
    let r = octave_band(&ir[1], center);
    let e: Vec<f64> = l.iter().zip(&r).map(|(a, b)| a * a + b * b).collect();
    t30(&e)
}

#[test]
fn hadamard_scale_is_contractive_and_orthonormal() {
    let s = HADAMARD_SCALE as f64;
    assert!(8.0 * s * s <= 1.0 && 8.0 * s * s > 1.0 - 1e-7);
    // H * H = I (to f32 rounding): the transform is its own inverse.
    let x = [0.3f32, -1.0, 0.25, 0.7, -0.1, 0.9, -0.6, 0.05];
    let y = dsp_core::reverb::hadamard(dsp_core::reverb::hadamard(x));
    for (a, b) in x.iter().zip(&y) {
        assert!((a - b).abs() < 1e-6);
    }
}

#[test]
fn rt60_at_1khz_matches_the_decay_setting() {
    for decay in [0.3, 1.0, 3.0, 10.0] {
        let mut r = reverb(|r| {
            r.set_decay_s(decay);
            r.set_hf_damp_hz(20_000.0);
            r.set_bass_mult(1.0);
        });
        let expected = r.rt60_at(1000.0);
        let ir = impulse_response(&mut r, (0.9 * decay).max(0.6));
        let measured = band_rt60(&ir, 1000.0);
        println!(
            "decay {decay} s: measured T30 (1 kHz octave) {measured:.4} s, rt60_at(1k) {expected:.4} s, error {:+.2} %",
            100.0 * (measured / decay - 1.0)
        );
        assert!((expected / decay - 1.0).abs() < 0.02, "rt60_at {expected}");
        assert!(
            (measured / decay - 1.0).abs() < 0.10,
            "decay {decay}: {measured}"
        );
    }
}

/// Pearson correlation coefficient.
fn pearson(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len() as f64;
    let ma = a.iter().map(|&v| v as f64).sum::<f64>() / n;
    let mb = b.iter().map(|&v| v as f64).sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (x as f64 - ma, y as f64 - mb);
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    sab / (saa * sbb).sqrt()
}

#[test]
fn left_and_right_impulse_responses_are_decorrelated() {
    for mode in [Mode::Room, Mode::Hall, Mode::Plate] {
        let mut r = reverb(|r| r.set_mode(mode));
        let ir = impulse_response(&mut r, 2.0);
        let whole = pearson(&ir[0], &ir[1]);
        let t = (0.1 * FS) as usize;
        let tail = pearson(&ir[0][t..], &ir[1][t..]);
        println!("{mode:?}: L/R correlation whole IR {whole:+.4}, tail after 100 ms {tail:+.4}");
        assert!(whole.abs() < 0.3 && tail.abs() < 0.3);
    }
}

#[test]
fn silent_tail_reaches_exact_zero_and_all_state_clears() {
    let mut r = reverb(|r| {
        r.set_decay_s(1.0);
        r.set_predelay_ms(50.0);
        r.set_low_cut_hz(40.0);
    });
    let ir = impulse_response(&mut r, 10.0);
    let last = ir[0]
        .iter()
        .zip(&ir[1])
        .rposition(|(a, b)| *a != 0.0 || *b != 0.0)
        .unwrap();
    println!(
        "decay 1 s: last non-zero output sample at {:.3} s",
        last as f64 / FS
    );
    assert!(last < (7.0 * FS) as usize, "tail still running at {last}");
    assert!(r.state_is_zero(), "internal state not exactly zero");
    assert!(r.is_idle());
    // Silence keeps the tail off until signal returns.
    let mut l = vec![0.0f32; 512];
    let mut rr = vec![0.0f32; 512];
    r.process(&mut [&mut l, &mut rr]);
    assert!(l.iter().chain(&rr).all(|&v| v == 0.0));
    let mut l = vec![0.0f32; 9600];
    let mut rr = vec![0.0f32; 9600];
    l[0] = 0.5;
    r.process(&mut [&mut l, &mut rr]);
    assert!(!r.is_idle() && rms(&l[1..]) > 1e-4);
}

#[test]
fn freeze_holds_the_tail_level_and_mutes_the_input() {
    let n = (7.5 * FS) as usize;
    let noise_l = signal::white_noise(n, 0.3, 5);
    let noise_r = signal::white_noise(n, 0.3, 6);
    let mut r = reverb(|r| {
        r.set_decay_s(1.5);
        r.set_mod_depth(0.5);
    });
    let freeze_at = FS as usize;
    let events: Vec<Event<Reverb>> = vec![(freeze_at, Box::new(|r: &mut Reverb| r.set_freeze(true)))];
    // Input noise keeps playing during the freeze: it must not get in.
    let out = render(
        &mut r,
        &[noise_l, noise_r],
        &events,
        || 480,
        &|r: &mut Reverb, _, b: &mut [&mut [f32]]| r.process(b),
    );
    let win = (0.25 * FS) as usize;
    let start = freeze_at + (0.5 * FS) as usize;
    let levels: Vec<f64> = (0..20)
        .map(|k| {
            let a = start + k * win;
            let e = rms(&out[0][a..a + win]).powi(2) + rms(&out[1][a..a + win]).powi(2);
            10.0 * e.log10()
        })
        .collect();
    let (lo, hi) = levels
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let drift = levels[16..].iter().sum::<f64>() / 4.0 - levels[..4].iter().sum::<f64>() / 4.0;
    let p = peak(&out[0]).max(peak(&out[1]));
    println!(
        "freeze: 250 ms window levels over 5 s span {:.3} dB (min {lo:.2}, max {hi:.2} dB), first-to-last-second drift {drift:+.3} dB, peak {p:.3}",
        hi - lo
    );
    assert!(hi - lo < 1.0);
    assert!(drift.abs() < 0.5);
    assert!(p < 4.0 && lo > -30.0);
}

#[test]
fn hf_damp_shortens_the_high_band_decay() {
    let mut r = reverb(|r| {
        r.set_decay_s(2.0);
        r.set_hf_damp_hz(2000.0);
    });
    let expect_hi = r.rt60_at(8000.0);
    let expect_mid = r.rt60_at(500.0);
    let ir = impulse_response(&mut r, 2.0);
    let hi = band_rt60(&ir, 8000.0);
    let mid = band_rt60(&ir, 500.0);
    println!(
        "hf_damp 2 kHz, decay 2 s (Hall): 8 kHz band T30 {hi:.4} s (expected {expect_hi:.4}), 500 Hz band T30 {mid:.4} s (expected {expect_mid:.4})"
    );
    assert!((hi / expect_hi - 1.0).abs() < 0.15);
    assert!((mid / expect_mid - 1.0).abs() < 0.15);
    assert!(hi < 0.4 * mid);
    // Raising hf_damp moves the shortening out of the 8 kHz band.
    let mut r = reverb(|r| {
        r.set_decay_s(2.0);
        r.set_hf_damp_hz(20_000.0);
    });
    let ir = impulse_response(&mut r, 2.0);
    let hi_open = band_rt60(&ir, 8000.0);
    println!("hf_damp 20 kHz: 8 kHz band T30 {hi_open:.4} s (expected {:.4})", r.rt60_at(8000.0));
    assert!(hi_open > 0.85 * 2.0);
}

#[test]
fn bass_mult_scales_the_low_band_decay() {
    let measure = |bass: f64| {
        let mut r = reverb(|r| {
            r.set_decay_s(1.5);
            r.set_bass_mult(bass);
        });
        let ir = impulse_response(&mut r, 1.0 + 1.5 * bass);
        (band_rt60(&ir, 63.0), r.rt60_at(63.0))
    };
    let (one, e1) = measure(1.0);
    let (two, e2) = measure(2.0);
    let (half, eh) = measure(0.5);
    println!(
        "decay 1.5 s, 63 Hz band T30: bass 1x {one:.4} s (exp {e1:.4}), bass 2x {two:.4} s (exp {e2:.4}), ratio {:.4}; bass 0.5x {half:.4} s (exp {eh:.4}), ratio {:.4}",
        two / one,
        half / one
    );
    assert!((two / one / 2.0 - 1.0).abs() < 0.15);
    assert!((half / one / 0.5 - 1.0).abs() < 0.15);
    assert!((two / e2 - 1.0).abs() < 0.15);
}

#[test]
fn block_invariant_with_parameter_changes() {
    let input = signal::music_like(FS, 2.5, 3);
    let input = vec![input[0].clone(), input[1].clone()];
    let s = |t: f64| (t * FS) as usize;
    let events: Vec<Event<Reverb>> = vec![
        (s(0.1), Box::new(|r: &mut Reverb| r.set_size(0.9))),
        (s(0.25), Box::new(|r: &mut Reverb| r.set_decay_s(6.0))),
        (s(0.3), Box::new(|r: &mut Reverb| r.set_mod_depth(1.0))),
        (s(0.45), Box::new(|r: &mut Reverb| r.set_predelay_ms(80.0))),
        (s(0.6), Box::new(|r: &mut Reverb| r.set_mode(Mode::Plate))),
        (s(0.7), Box::new(|r: &mut Reverb| r.set_hf_damp_hz(3000.0))),
        (s(0.8), Box::new(|r: &mut Reverb| r.set_bass_mult(1.7))),
        (s(0.9), Box::new(|r: &mut Reverb| r.set_freeze(true))),
        (s(1.3), Box::new(|r: &mut Reverb| r.set_freeze(false))),
        (s(1.35), Box::new(|r: &mut Reverb| r.set_diffusion(0.2))),
        (s(1.5), Box::new(|r: &mut Reverb| r.set_low_cut_hz(300.0))),
        (s(1.55), Box::new(|r: &mut Reverb| r.set_high_cut_hz(4000.0))),
        (s(1.7), Box::new(|r: &mut Reverb| r.set_width(1.8))),
        (s(1.8), Box::new(|r: &mut Reverb| r.set_mix(0.4))),
        (s(1.9), Box::new(|r: &mut Reverb| r.set_mode(Mode::Room))),
        (s(2.0), Box::new(|r: &mut Reverb| r.set_size(0.1))),
    ];
    let make = || {
        let mut r = Reverb::new();
        r.prepare(FS, 512);
        r
    };
    assert_block_invariant(make, &input, &events, |r, _, b| r.process(b));
    // Mono processing is block invariant too.
    let mono = vec![input[0].clone()];
    assert_block_invariant(make, &mono, &events, |r, _, b| r.process(b));
}

#[test]
fn mono_process_is_the_average_of_stereo_with_duplicated_input() {
    let x = signal::music_like(FS, 0.5, 9)[0].clone();
    let mut a = Reverb::new();
    a.prepare(FS, 512);
    let mut b = a.clone();
    let mut m = x.clone();
    a.process(&mut [&mut m]);
    let (mut l, mut r) = (x.clone(), x.clone());
    b.process(&mut [&mut l, &mut r]);
    for i in 0..x.len() {
        assert_eq!(m[i].to_bits(), (0.5 * (l[i] + r[i])).to_bits());
    }
}

#[test]
fn non_finite_input_never_poisons_the_tail() {
    let mut r = reverb(|_| {});
    let mut l = signal::white_noise(4800, 0.5, 1);
    let mut rr = l.clone();
    l[100] = f32::NAN;
    rr[200] = f32::INFINITY;
    l[300] = 1e30;
    r.process(&mut [&mut l, &mut rr]);
    let ir = impulse_response(&mut r, 1.0);
    assert!(ir[0].iter().chain(&ir[1]).all(|v| v.is_finite()));
    assert!(rms(&ir[0][24_000..]) > 1e-4, "the tail kept going");
    assert!(l.iter().chain(&rr).all(|v| v.is_finite()));
}

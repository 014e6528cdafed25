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

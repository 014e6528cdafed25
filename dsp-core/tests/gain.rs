//! The trim stage: exact static gain, a bounded ramp, polarity, block invariance.
mod common;

use common::*;
use dsp_core::gain::Gain;
use dsp_core::signal;

fn prepared() -> Gain {
    let mut g = Gain::default();
    g.prepare(48_000.0, 512);
    g
}

#[test]
fn static_gain_is_exact_and_changes_ramp_without_steps() {
    let mut g = prepared();
    g.set_gain_db(-6.0);
    g.reset();
    let mut x = vec![1.0f32; 4800];
    g.process(&mut [&mut x[..]]);
    assert!((db(x[0] as f64) + 6.0).abs() < 1e-5);
    // A +24 dB step ramps over 20 ms: no sample-to-sample jump bigger than one ramp step.
    g.set_gain_db(18.0);
    let mut y = vec![1.0f32; 4800];
    g.process(&mut [&mut y[..]]);
    let max_step = y
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max);
    let expected_step = (7.943 - 0.501) / 960.0;
    assert!(max_step <= expected_step * 1.01, "{max_step}");
    assert!((db(y[1000] as f64) - 18.0).abs() < 1e-4);
}

#[test]
fn polarity_inversion_negates() {
    let mut g = prepared();
    g.set_invert(true);
    g.reset();
    let mut x = signal::sine(1000.0, 48_000.0, 480, 0.5, 0.0);
    let orig = x.clone();
    g.process(&mut [&mut x[..]]);
    assert!(x.iter().zip(&orig).all(|(a, b)| *a == -*b));
}

#[test]
fn output_is_independent_of_block_size() {
    let [l, r] = signal::music_like(48_000.0, 1.0, 3);
    let events: Vec<Event<Gain>> = vec![
        (1000, Box::new(|g: &mut Gain| g.set_gain_db(12.0))),
        (7000, Box::new(|g: &mut Gain| g.set_invert(true))),
        (30_000, Box::new(|g: &mut Gain| g.set_gain_db(-24.0))),
    ];
    assert_block_invariant(prepared, &[l, r], &events, |g, _, block| g.process(block));
}

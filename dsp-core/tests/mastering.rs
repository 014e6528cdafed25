//! The Maximizer's chain as one processor: block-size invariance with every stage engaged and
//! settings changed mid-stream, exact latency, and a limited output under its ceiling.

mod common;

use common::*;
use dsp_core::dither::NoiseShape;
use dsp_core::limiter::Character;
use dsp_core::mastering::{MasteringChain, MasteringSettings};
use dsp_core::meter::TruePeakMeter;
use dsp_core::signal;

const SR: f64 = 48_000.0;

/// Every stage doing something: tone EQ, width and mono bass, heavy limiting, shaped dither.
fn busy() -> MasteringSettings {
    MasteringSettings {
        gain_db: 9.0,
        ceiling_db: -1.0,
        eq_low_gain_db: 2.0,
        eq_mid_gain_db: -1.5,
        eq_high_gain_db: 1.0,
        width_percent: 130.0,
        mono_bass_on: true,
        character: Character::Punchy,
        dither_bits: Some(16),
        noise_shape: NoiseShape::Light,
        ..MasteringSettings::default()
    }
}

fn make(s: MasteringSettings) -> impl Fn() -> MasteringChain {
    move || {
        let mut c = MasteringChain::new();
        c.prepare(SR, 4096, 2);
        c.apply(&s);
        c.reset();
        c
    }
}

#[test]
fn chain_is_block_size_invariant_with_mid_stream_changes() {
    let [l, r] = signal::music_like(SR, 2.0, 7);
    let input = vec![l, r];
    let later = MasteringSettings {
        gain_db: 4.0,
        width_percent: 80.0,
        character: Character::Aggressive,
        noise_shape: NoiseShape::Strong,
        ..busy()
    };
    let events: Vec<Event<MasteringChain>> = vec![
        (
            30_000,
            Box::new(move |c: &mut MasteringChain| c.apply(&later)),
        ),
        (
            61_111,
            Box::new(|c: &mut MasteringChain| {
                c.apply(&MasteringSettings {
                    dither_bits: None,
                    ..busy()
                })
            }),
        ),
    ];
    assert_block_invariant(make(busy()), &input, &events, |c, _, block| {
        c.process(block)
    });
}

#[test]
fn mono_chain_is_block_size_invariant() {
    let [l, _] = signal::music_like(SR, 1.0, 3);
    assert_block_invariant(make(busy()), &[l], &[], |c, _, block| c.process(block));
}

#[test]
fn latency_is_exact_and_output_respects_the_ceiling() {
    // Quiet impulse (no limiting, no dither): it comes out exactly latency_samples() late.
    let quiet = MasteringSettings::default();
    let mut c = make(quiet)();
    let lat = c.latency_samples();
    assert!(lat > 0, "the limiter's lookahead is latency");
    let mut x = vec![0.0f32; lat + 64];
    x[10] = 0.25;
    c.process(&mut [&mut x[..]]);
    let peak_at = x
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .unwrap()
        .0;
    assert_eq!(peak_at, 10 + lat);

    // Loud programme: true peak (16x) at or below the ceiling.
    let [mut l, mut r] = signal::music_like(SR, 3.0, 11);
    let mut c = make(busy())();
    c.process(&mut [&mut l[..], &mut r[..]]);
    let mut tp = TruePeakMeter::new(16);
    tp.prepare(SR, l.len(), 2);
    tp.process(&[&l, &r]);
    let peak = tp.true_peak_dbtp();
    assert!(
        peak <= -1.0 + 0.05,
        "true peak {peak:.3} dBTP over a -1 dBTP ceiling"
    );
    assert!(
        peak > -3.0,
        "9 dB of drive must reach the ceiling: {peak:.3} dBTP"
    );
}

/// With Dither Off the chain's output stays 32-bit float: a signal far below the 16-bit step
/// survives (the dither stage alone would round it to its grid), and with 16 bits chosen every
/// sample lands on the 16-bit grid.
#[test]
fn dither_off_leaves_float_output_and_a_bit_depth_quantizes() {
    let fs = 48_000.0;
    let quiet = signal::sine(1000.0, fs, 4800, 1e-6, 0.0);
    let render = |bits: Option<u32>| {
        let mut chain = MasteringChain::new();
        chain.prepare(fs, 512, 2);
        chain.apply(&MasteringSettings {
            dither_bits: bits,
            ..MasteringSettings::default()
        });
        chain.reset();
        let (mut l, mut r) = (quiet.clone(), quiet.clone());
        chain.process(&mut [&mut l, &mut r]);
        l
    };
    let off = render(None);
    assert!(
        peak(&off) > 0.5e-6,
        "the quiet sine was rounded away: {}",
        peak(&off)
    );
    let q16 = render(Some(16));
    assert!(q16.iter().all(|&v| (v as f64 * 32768.0).fract() == 0.0));
}

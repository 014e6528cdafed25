//! The plugins call every setter at the start of every block (nice-plug hands them parameter
//! values, not changes). So calling a setter with the value it already has must change nothing:
//! output with all setters re-applied every 64 samples is bit-identical to output with them
//! applied once. A setter that restarts a ramp or re-designs a filter would fail here. The
//! renders outlast the longest glide a setter starts (the reverb's 1.5 s size glide), so a
//! redesign timed by the setter calls after a glide ends is caught too.
mod common;

use common::*;
use dsp_core::dither::{Dither, NoiseShape};
use dsp_core::dynamics::{Compressor, Gate};
use dsp_core::eq::Equalizer;
use dsp_core::gain::Gain;
use dsp_core::imager::Imager;
use dsp_core::limiter::{Character, Limiter};
use dsp_core::reverb::{Mode, Reverb};
use dsp_core::saturation::Saturation;
use dsp_core::signal;

const FS: f64 = 48_000.0;

/// Renders with `configure` applied once, then with it re-applied before every 64-sample block,
/// and compares.
fn assert_idempotent<P>(
    name: &str,
    make: impl Fn() -> P,
    configure: impl Fn(&mut P),
    process: impl Fn(&mut P, &mut [&mut [f32]]),
) {
    let [l, r] = signal::music_like(FS, 2.5, 11);
    let render = |every_block: bool| {
        let mut p = make();
        configure(&mut p);
        let (mut a, mut b) = (l.clone(), r.clone());
        for (ca, cb) in a.chunks_mut(64).zip(b.chunks_mut(64)) {
            if every_block {
                configure(&mut p);
            }
            process(&mut p, &mut [ca, cb]);
        }
        [a, b]
    };
    let once = render(false);
    let repeated = render(true);
    for ch in 0..2 {
        if let Some(i) = once[ch]
            .iter()
            .zip(&repeated[ch])
            .position(|(x, y)| x.to_bits() != y.to_bits())
        {
            panic!("{name}: re-applying unchanged settings changed channel {ch} at sample {i}");
        }
    }
    assert!(rms(&once[0]) > 0.0, "{name}: silent render proves nothing");
}

#[test]
fn gain() {
    assert_idempotent(
        "gain",
        || {
            let mut g = Gain::default();
            g.prepare(FS, 512);
            g
        },
        |g| {
            g.set_gain_db(-3.0);
            g.set_invert(true);
        },
        |g, b| g.process(b),
    );
}

#[test]
fn equalizer() {
    assert_idempotent(
        "equalizer",
        || {
            let mut e = Equalizer::maximizer();
            e.prepare(FS, 512);
            e
        },
        |e| {
            e.set_gain_db(0, 3.0);
            e.set_freq(1, 2500.0);
            e.set_gain_db(1, -4.0);
            e.set_q(1, 2.0);
            e.set_gain_db(2, 2.0);
        },
        |e, b| e.process(b),
    );
}

#[test]
fn compressor() {
    assert_idempotent(
        "compressor",
        || {
            let mut c = Compressor::new();
            c.prepare(FS, 512);
            c
        },
        |c| {
            c.set_threshold_db(-24.0);
            c.set_ratio(4.0);
            c.set_knee_db(6.0);
            c.set_attack_ms(5.0);
            c.set_release_ms(120.0);
            c.set_auto_release(true);
            c.set_makeup_db(3.0);
            c.set_auto_makeup(true);
            c.set_mix(0.8);
            c.set_range_db(20.0);
            c.set_sidechain_hpf(true, 120.0);
            c.set_stereo_link(0.5);
        },
        |c, b| c.process(b),
    );
}

#[test]
fn gate() {
    assert_idempotent(
        "gate",
        || {
            let mut g = Gate::new();
            g.prepare(FS, 512);
            g
        },
        |g| {
            g.set_threshold_db(-30.0);
            g.set_range_db(40.0);
            g.set_attack_ms(1.0);
            g.set_hold_ms(20.0);
            g.set_release_ms(100.0);
        },
        |g, b| g.process(b),
    );
}

#[test]
fn imager() {
    assert_idempotent(
        "imager",
        || {
            let mut i = Imager::new();
            i.prepare(FS, 512);
            i
        },
        |i| {
            i.set_width_percent(140.0);
            i.set_pan(-20.0);
            i.set_mono_bass_on(true);
            i.set_mono_bass_freq(150.0);
        },
        |i, b| i.process(b),
    );
}

#[test]
fn saturation() {
    assert_idempotent(
        "saturation",
        || {
            let mut s = Saturation::new();
            s.prepare(FS, 512);
            s
        },
        |s| s.set_drive_percent(60.0),
        |s, b| s.process(b),
    );
}

#[test]
fn limiter() {
    assert_idempotent(
        "limiter",
        || {
            let mut l = Limiter::new();
            l.prepare(FS, 512);
            l
        },
        |l| {
            l.set_drive_db(9.0);
            l.set_ceiling_db(-1.0);
            l.set_release_ms(80.0);
            l.set_auto_release(true);
            l.set_lookahead_ms(3.0);
            l.set_true_peak(true);
            l.set_stereo_link(70.0);
            l.set_character(Character::Punchy);
        },
        |l, b| l.process(b),
    );
}

#[test]
fn dither() {
    assert_idempotent(
        "dither",
        || {
            let mut d = Dither::new();
            d.prepare(FS, 512);
            d
        },
        |d| {
            d.set_dither_on(true);
            d.set_bits(16);
            d.set_noise_shape(NoiseShape::Strong);
            d.set_auto_blank(true);
        },
        |d, b| d.process(b),
    );
}

#[test]
fn reverb() {
    assert_idempotent(
        "reverb",
        || {
            let mut r = Reverb::new();
            r.prepare(FS, 512);
            r
        },
        |r| {
            r.set_mode(Mode::Plate);
            r.set_mix(0.4);
            r.set_predelay_ms(20.0);
            r.set_decay_s(1.5);
            r.set_size(0.7);
            r.set_diffusion(0.8);
            r.set_hf_damp_hz(6000.0);
            r.set_bass_mult(1.3);
            r.set_low_cut_hz(100.0);
            r.set_high_cut_hz(12_000.0);
            r.set_mod_depth(0.5);
            r.set_width(1.2);
            r.set_freeze(false);
        },
        |r, b| r.process(b),
    );
}

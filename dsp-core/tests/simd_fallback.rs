//! The baseline x86-64 paths (SSE2, no FMA) that every CPU without AVX2 or FMA runs, forced with
//! `simd::force_baseline` on machines that have both (as the ones that build and test Lathe do,
//! where the other tests only ever run the dispatched forms). The AVX2 forms must give the same
//! bits as the baseline; the EQ's plain arithmetic must meet the same reference as its fused one.
mod common;

use common::*;
use dsp_core::dynamics::Compressor;
use dsp_core::eq::{BandParams, Equalizer, FilterType};
use dsp_core::limiter::{Character, Limiter};
use dsp_core::meter::TruePeakMeter;
use dsp_core::reverb::{Mode, Reverb};
use dsp_core::{signal, simd};
use std::sync::Mutex;

/// The switch is process-wide, and the test harness runs tests on several threads: the tests of
/// this file take turns holding it.
static SWITCH: Mutex<()> = Mutex::new(());

/// Runs `f` with the baseline forced (`true`) or with dispatch free to choose (`false`).
fn paths<T>(baseline: bool, f: impl FnOnce() -> T) -> T {
    simd::force_baseline(baseline);
    let out = f();
    simd::force_baseline(false);
    out
}

fn report_cpu() {
    println!(
        "this CPU: AVX2 {}, FMA {} (without them, both sides of each comparison run the baseline)",
        simd::avx2_available(),
        simd::fma_available()
    );
}

fn limiter(character: Character, true_peak: bool) -> Limiter {
    let mut l = Limiter::new();
    l.set_drive_db(9.0);
    l.set_ceiling_db(-1.0);
    l.set_true_peak(true_peak);
    l.set_character(character);
    l.prepare(48_000.0, 512);
    l
}

/// `x` through `proc` in 512-sample blocks, with `events` on their samples.
fn in_blocks<P>(
    proc: &mut P,
    x: &[Vec<f32>],
    events: &[Event<P>],
    process: impl Fn(&mut P, &mut [&mut [f32]]),
) -> Vec<Vec<f32>> {
    render(proc, x, events, || 512, &|p, _, b| process(p, b))
}

/// The limiter and the true-peak meter are compiled for AVX2 where the CPU has it and promise
/// the same bits as their SSE2 form (no FMA, the same operations in the same order).
#[test]
fn limiter_and_true_peak_meter_give_the_same_bits_on_both_paths() {
    let _turn = SWITCH.lock().unwrap_or_else(|e| e.into_inner());
    report_cpu();
    let input = signal::music_like(48_000.0, 2.0, 11).to_vec();
    for character in [
        Character::Transparent,
        Character::Punchy,
        Character::Aggressive,
    ] {
        for true_peak in [true, false] {
            let [fast, base] = [false, true].map(|baseline| {
                paths(baseline, || {
                    in_blocks(&mut limiter(character, true_peak), &input, &[], |l, b| {
                        l.process(b)
                    })
                })
            });
            assert_eq!(
                first_difference(&fast, &base),
                None,
                "{character:?}, true peak {true_peak}: (channel, sample) of the first difference"
            );
        }
    }
    let readings = |baseline: bool| {
        paths(baseline, || {
            let mut m = (TruePeakMeter::new(4), Vec::new());
            m.0.prepare(48_000.0, 512, 2);
            in_blocks(&mut m, &input, &[], |(m, per_block), b| {
                m.process(&[&*b[0], &*b[1]]);
                per_block.push([0, 1].map(|ch| m.channel_true_peak_dbtp(ch).to_bits()));
                m.reset_max();
            });
            m.1
        })
    };
    assert_eq!(readings(false), readings(true));
    println!("limiter (3 characters x true peak on/off) and true-peak meter: bit-identical");
}

/// The Bus Glue's compressor (full link, peak detection, auto release: the fused pass that runs
/// on AVX2 where the CPU has it), through threshold and ratio changes, on both paths.
#[test]
fn compressor_gives_the_same_bits_on_both_paths() {
    let _turn = SWITCH.lock().unwrap_or_else(|e| e.into_inner());
    report_cpu();
    let input = signal::music_like(48_000.0, 2.0, 13).to_vec();
    let [fast, base] = [false, true].map(|baseline| {
        paths(baseline, || {
            let events: Vec<Event<Compressor>> = vec![(
                30_720,
                Box::new(|c: &mut Compressor| {
                    c.set_threshold_db(-30.0);
                    c.set_ratio(10.0);
                }),
            )];
            in_blocks(&mut bus_compressor(), &input, &events, |c, b| c.process(b))
        })
    });
    assert_eq!(first_difference(&fast, &base), None);
    println!("compressor (Bus Glue settings, then a threshold and ratio change): bit-identical");
}

/// The reverb (its whole `process` runs on AVX2 where the CPU has it) in each mode, through a
/// decay, size and mode change, with a silent tail, on both paths.
#[test]
fn reverb_gives_the_same_bits_on_both_paths() {
    let _turn = SWITCH.lock().unwrap_or_else(|e| e.into_inner());
    report_cpu();
    let mut input = signal::music_like(48_000.0, 3.0, 14).to_vec();
    for ch in input.iter_mut() {
        ch[96_000..].fill(0.0);
    }
    for mode in [Mode::Room, Mode::Hall, Mode::Plate] {
        let [fast, base] = [false, true].map(|baseline| {
            paths(baseline, || {
                let mut r = Reverb::new();
                r.set_mode(mode);
                r.set_mix(1.0);
                r.prepare(48_000.0, 512);
                let events: Vec<Event<Reverb>> = vec![
                    (
                        20_480,
                        Box::new(|r: &mut Reverb| {
                            r.set_decay_s(6.0);
                            r.set_size(0.3);
                        }),
                    ),
                    (61_440, Box::new(|r: &mut Reverb| r.set_mode(Mode::Hall))),
                ];
                in_blocks(&mut r, &input, &events, |r, b| r.process(b))
            })
        });
        assert_eq!(first_difference(&fast, &base), None, "{mode:?}");
    }
    println!(
        "reverb (Room, Hall, Plate; decay, size and mode changes; a silent tail): bit-identical"
    );
}

fn bus_compressor() -> Compressor {
    let mut c = Compressor::new();
    c.set_knee_db(6.0);
    c.set_threshold_db(-20.0);
    c.set_ratio(4.0);
    c.set_attack_ms(10.0);
    c.set_auto_release(true);
    c.set_range_db(40.0);
    c.prepare(48_000.0, 512);
    c
}

/// The EQ's settled bands without FMA (a multiply, then an add) meet the reference the fused
/// form meets in `eq.rs`: within -120 dB of a plain `f64` direct form I, including a 20 Hz bell
/// at 384 kHz whose poles sit next to z = 1.
#[test]
fn eq_without_fma_matches_a_plain_direct_form_reference() {
    let _turn = SWITCH.lock().unwrap_or_else(|e| e.into_inner());
    report_cpu();
    for (fs, p) in direct_form_cases() {
        let input = signal::music_like(fs, 0.5, 5).to_vec();
        let [fused, plain] = [false, true].map(|baseline| {
            paths(baseline, || {
                let mut eq = Equalizer::with_bands(&[p]);
                eq.prepare(fs, 512);
                in_blocks(&mut eq, &input, &[], |e, b| e.process(b))
            })
        });
        let sections = p.design(fs);
        let mut worst: f64 = 0.0;
        let mut apart: f64 = 0.0;
        for ((x, y), z) in input.iter().zip(&plain).zip(&fused) {
            let reference = direct_form_i(&sections.coeffs[..sections.count], x);
            for ((a, b), c) in reference.iter().zip(y).zip(z) {
                worst = worst.max((a - *b as f64).abs());
                apart = apart.max((*b as f64 - *c as f64).abs());
            }
        }
        println!(
            "{:?} {} Hz at {fs}: without FMA {worst:e} from the reference, {apart:e} from the fused form",
            p.kind, p.freq
        );
        assert!(worst < 1e-6, "{worst:e}");
    }
}

/// Block invariance on the baseline paths, while settings move: the limiter through its
/// character and detection changes, and an EQ band gliding (the path that picks its arithmetic
/// per block, so that where a band turns static changes no bit).
#[test]
fn baseline_paths_are_block_invariant() {
    let _turn = SWITCH.lock().unwrap_or_else(|e| e.into_inner());
    let input = signal::music_like(48_000.0, 1.0, 12).to_vec();
    paths(true, || {
        let events: Vec<Event<Limiter>> = vec![
            (
                9_000,
                Box::new(|l: &mut Limiter| l.set_character(Character::Punchy)),
            ),
            (21_000, Box::new(|l: &mut Limiter| l.set_true_peak(false))),
            (33_000, Box::new(|l: &mut Limiter| l.set_true_peak(true))),
        ];
        assert_block_invariant(
            || limiter(Character::Transparent, true),
            &input,
            &events,
            |l, _, b| l.process(b),
        );
        let events: Vec<Event<Equalizer>> = vec![
            (4_000, Box::new(|e: &mut Equalizer| e.set_freq(0, 6_000.0))),
            (20_000, Box::new(|e: &mut Equalizer| e.set_gain_db(0, -8.0))),
        ];
        let make = || {
            let mut eq =
                Equalizer::with_bands(&[BandParams::new(FilterType::Bell, 300.0, 6.0, 1.0)]);
            eq.prepare(48_000.0, 512);
            eq
        };
        assert_block_invariant(make, &input, &events, |e, _, b| e.process(b));
        let events: Vec<Event<Compressor>> = vec![(
            15_000,
            Box::new(|c: &mut Compressor| c.set_threshold_db(-32.0)),
        )];
        assert_block_invariant(bus_compressor, &input, &events, |c, _, b| c.process(b));
    });
}

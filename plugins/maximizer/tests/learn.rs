//! Learn: the gain step as a pure function, and the whole loop (audio-thread tap, editor-thread
//! state machine, dsp-core's mastering chain) run on a programme until the output's integrated
//! loudness meets the target.

use dsp_core::mastering::{MasteringChain, MasteringSettings};
use dsp_core::meter::loudness::LoudnessMeter;
use lathe_maximizer::learn::{
    next_step, LearnShared, LearnTap, Learner, Pass, Status, Step, MAX_PASSES, STALL_SECONDS,
    TOLERANCE_LU,
};

fn pass(gain_db: f64, input_lufs: f64, output_lufs: f64) -> Pass {
    Pass {
        gain_db,
        input_lufs,
        output_lufs,
    }
}

#[test]
fn first_step_assumes_no_limiting() {
    assert_eq!(
        next_step(&[pass(0.0, -20.0, -20.0)], -20.0, -14.0),
        Step::Measure(6.0)
    );
}

#[test]
fn fitted_slope_accounts_for_what_the_limiter_takes() {
    // 6 dB of gain lifted the output by only 4 dB: slope 2/3, 2 LU missing -> 3 dB more gain.
    let step = next_step(
        &[pass(0.0, -20.0, -20.0), pass(6.0, -20.0, -16.0)],
        -20.0,
        -14.0,
    );
    let Step::Measure(g) = step else {
        panic!("expected another pass, got {step:?}");
    };
    assert!((g - 9.0).abs() < 1e-9, "{g}");
}

#[test]
fn stops_within_tolerance_and_keeps_the_gain() {
    let miss = TOLERANCE_LU * 0.5;
    assert_eq!(
        next_step(&[pass(6.0, -20.0, -14.0 - miss)], -20.0, -14.0),
        Step::Done(6.0)
    );
}

#[test]
fn the_programme_estimate_over_all_passes_sets_the_goal() {
    // The last pass happened to be a quiet section (-23 in, -17 out at 6 dB); the programme is
    // -20 LUFS: the chain's lift at 6 dB is 6 LU, exactly what -20 -> -14 needs.
    assert_eq!(
        next_step(&[pass(6.0, -23.0, -17.0)], -20.0, -14.0),
        Step::Done(6.0)
    );
}

#[test]
fn gain_range_limits_end_learn() {
    // Needs 30 dB: Gain pins at its maximum and Learn stops there.
    assert_eq!(
        next_step(&[pass(24.0, -44.0, -20.0)], -44.0, -14.0),
        Step::Done(24.0)
    );
    // Already louder than the target: Gain 0 dB is the best the Maximizer can do.
    assert_eq!(
        next_step(&[pass(0.0, -10.0, -10.0)], -10.0, -14.0),
        Step::Done(0.0)
    );
}

#[test]
fn gives_up_after_max_passes_with_the_best_estimate() {
    let passes: Vec<Pass> = (0..MAX_PASSES)
        .map(|i| pass(i as f64, -30.0, -30.0 + i as f64 * 0.5))
        .collect();
    assert!(matches!(next_step(&passes, -30.0, -14.0), Step::Done(_)));
}

/// Deterministic music-like stereo programme: band-limited noise with a slow swell and a
/// transient every half second (crest factor ~15 dB, so a limiter has work to do).
fn programme(sample_rate: f64, seconds: f64, level: f32) -> [Vec<f32>; 2] {
    let n = (sample_rate * seconds) as usize;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f32 / (1u64 << 53) as f32 * 2.0 - 1.0
    };
    let (mut lp_l, mut lp_r) = (0.0f32, 0.0f32);
    let (mut left, mut right) = (vec![0.0; n], vec![0.0; n]);
    for (i, (l, r)) in left.iter_mut().zip(right.iter_mut()).enumerate() {
        let t = i as f64 / sample_rate;
        let swell = 0.6 + 0.4 * (2.0 * std::f64::consts::PI * 0.3 * t).sin() as f32;
        let hit = 4.0 * (-(t % 0.5) / 0.025).exp() as f32;
        let common = noise();
        lp_l += 0.2 * (0.8 * common + 0.2 * noise() - lp_l);
        lp_r += 0.2 * (0.8 * common + 0.2 * noise() - lp_r);
        *l = level * lp_l * (swell + hit);
        *r = level * lp_r * (swell + hit);
    }
    [left, right]
}

fn settings(gain_db: f64) -> MasteringSettings {
    MasteringSettings {
        gain_db,
        ..MasteringSettings::default()
    }
}

/// Integrated output loudness of `input` through the chain at a fixed gain.
fn render_lufs(input: &[Vec<f32>; 2], sample_rate: f64, gain_db: f64) -> f64 {
    let block = 512;
    let mut chain = MasteringChain::new();
    chain.prepare(sample_rate, block, 2);
    chain.apply(&settings(gain_db));
    chain.reset();
    let mut meter = LoudnessMeter::new();
    meter.prepare(sample_rate, block, 2);
    let (mut l, mut r) = (input[0].clone(), input[1].clone());
    for (cl, cr) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
        let mut chans = [cl, cr];
        chain.process(&mut chans);
        meter.process(&[&*chans[0], &*chans[1]]);
    }
    meter.integrated_lufs()
}

/// Runs Learn as the plugin and its editor do: per audio block the tap measures around the
/// chain, per "frame" the editor polls the learner and applies the Gain it returns.
fn learn(input: &[Vec<f32>; 2], sample_rate: f64, target: f64) -> (f64, usize, Status) {
    let block = 480;
    let shared = LearnShared::default();
    let mut tap = LearnTap::default();
    tap.prepare(sample_rate, block, 2);
    let mut learner = Learner::default();
    let mut chain = MasteringChain::new();
    chain.prepare(sample_rate, block, 2);
    let mut gain = 0.0;
    let mut steps = 0;
    chain.apply(&settings(gain));
    learner.start(&shared);
    let (mut l, mut r) = (input[0].clone(), input[1].clone());
    for (k, (cl, cr)) in l.chunks_mut(block).zip(r.chunks_mut(block)).enumerate() {
        chain.apply(&settings(gain));
        let learning = tap.input(&shared, &[&*cl, &*cr]);
        let mut chans = [cl, cr];
        chain.process(&mut chans);
        if learning {
            tap.output(&shared, &[&*chans[0], &*chans[1]]);
        }
        let now = (k * block) as f64 / sample_rate;
        if let Some(g) = learner.poll(&shared, gain, target, now) {
            gain = g;
            steps += 1;
        }
        if !learner.is_running() {
            break;
        }
    }
    (gain, steps, learner.status())
}

#[test]
fn learn_reaches_the_target_through_heavy_limiting() {
    let fs = 48_000.0;
    let input = programme(fs, 40.0, 0.5);
    let target = -9.0;
    let (gain, steps, status) = learn(&input, fs, target);
    assert!(
        matches!(status, Status::Done { .. }),
        "Learn did not finish: {status:?}"
    );
    let out = render_lufs(&input, fs, gain);
    let unlimited = render_lufs(&input, fs, 0.0) + gain;
    println!(
        "heavy: gain {gain:.2} dB in {steps} steps, output {out:.2} LUFS (target {target}), \
         limiter took {:.1} LU",
        unlimited - out
    );
    assert!(unlimited - out > 2.0, "the limiter should work hard here");
    assert!((out - target).abs() < 0.5, "output {out:.2} LUFS");
}

#[test]
fn learn_reaches_the_target_with_light_limiting_in_one_or_two_steps() {
    let fs = 44_100.0;
    let input = programme(fs, 30.0, 0.15);
    let target = -21.0;
    let (gain, steps, status) = learn(&input, fs, target);
    assert!(matches!(status, Status::Done { .. }), "{status:?}");
    let out = render_lufs(&input, fs, gain);
    let limited = render_lufs(&input, fs, 0.0) + gain - out;
    println!(
        "light: gain {gain:.2} dB in {steps} steps, output {out:.2} LUFS (target {target}), \
         limiter took {limited:.1} LU"
    );
    assert!((out - target).abs() < 0.5, "output {out:.2} LUFS");
    assert!(steps <= 2, "{steps} steps");
}

#[test]
fn learn_gives_up_on_silence() {
    let fs = 48_000.0;
    let input = [vec![0.0; 48_000 * 15], vec![0.0; 48_000 * 15]];
    let (gain, steps, status) = learn(&input, fs, -14.0);
    assert_eq!(status, Status::NoSignal);
    assert_eq!((gain, steps), (0.0, 0));
}

#[test]
fn learn_reaches_the_target_with_moderate_limiting() {
    let fs = 44_100.0;
    let input = programme(fs, 40.0, 0.15);
    let target = -16.0;
    let (gain, steps, status) = learn(&input, fs, target);
    assert!(matches!(status, Status::Done { .. }), "{status:?}");
    let out = render_lufs(&input, fs, gain);
    println!(
        "moderate: gain {gain:.2} dB in {steps} steps, output {out:.2} LUFS (target {target})"
    );
    assert!((out - target).abs() < 0.5, "output {out:.2} LUFS");
}

#[test]
fn learn_gives_up_when_the_host_stops_processing() {
    let shared = LearnShared::default();
    let mut learner = Learner::default();
    learner.start(&shared);
    let mut t = 0.0;
    while t < STALL_SECONDS - 0.05 {
        assert_eq!(learner.poll(&shared, 0.0, -14.0, t), None);
        assert!(learner.is_running(), "gave up after {t} s");
        t += 1.0 / 30.0;
    }
    assert_eq!(learner.poll(&shared, 0.0, -14.0, STALL_SECONDS + 0.5), None);
    assert_eq!(learner.status(), Status::NoSignal);
}

//! Learn: measure the playing programme and set Gain so the output's integrated loudness reaches
//! the target.
//!
//! # What is measured, and why both sides
//! The output loudness is what has to hit the target, but it depends on Gain through the tone EQ,
//! the imager and, above all, the limiter, whose loudness loss grows with the drive. The input
//! loudness does not depend on Gain, so it is the stable estimate of the programme. Learn measures
//! both over the same stretch of programme (ITU-R BS.1770-4 gated integrated loudness) and models
//! the chain as `out = in + gain + d(gain)`, where `d` (EQ and width colour minus what the limiter
//! takes) is a property of the chain and the programme's crest, not of its level.
//!
//! Each pass measures `d` at the current Gain; the next Gain solves `in_all + g + d(g) = target`
//! by Newton steps on the passes measured so far, the slope fitted over all of them (`in_all` is
//! the input loudness over the whole Learn, the best estimate of the programme). `g + d(g)` rises
//! monotonically with slope in `(0, 1]` (a limiter never makes a louder input quieter), so the
//! first step assumes slope 1 (no limiting) and later ones correct it: two to four passes of a
//! few seconds land within 0.5 LU of the target (tests `tests/learn.rs`).
//!
//! # Threads
//! The audio thread ([`LearnTap`]) runs the three loudness meters only while a Learn is active and
//! publishes through [`LearnShared`]'s atomics; the editor thread ([`Learner`]) reads them, decides
//! and sets Gain through the host with begin/set/end gestures. Neither ever waits for the other.

use dsp_core::meter::loudness::LoudnessMeter;
use lathe_shared::meters::MeterValue;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// Programme measured per pass once the chain has settled, seconds of audio. Integrated loudness
/// needs a few dozen 400 ms gating blocks to be stable to a tenth of an LU on music.
pub const PASS_SECONDS: f64 = 3.0;
/// Audio skipped after each Gain change before a pass measures: covers the limiter's auto
/// release and one momentary window (400 ms, BS.1770-4).
pub const SETTLE_SECONDS: f64 = 0.5;
/// Learn stops once the model predicts the output within this distance of the target. Finer
/// would chase the pass-to-pass spread of the limiter's share between sections of a programme
/// (measured 0.2-0.3 LU on 3 s passes).
pub const TOLERANCE_LU: f64 = 0.3;
/// Passes before Learn settles on its last estimate.
pub const MAX_PASSES: usize = 5;
/// The Gain parameter's range (dB, `params.rs`).
pub const GAIN_RANGE: (f64, f64) = (0.0, 24.0);

/// One pass: the Gain it ran at and the integrated loudness of the input and the output over the
/// same programme.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pass {
    pub gain_db: f64,
    pub input_lufs: f64,
    pub output_lufs: f64,
}

impl Pass {
    /// `g + d(g)`: the chain's loudness change from input to output at this pass's Gain.
    fn lift(&self) -> f64 {
        self.output_lufs - self.input_lufs
    }
}

/// What Learn does after a pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// Set Gain to this and measure another pass.
    Measure(f64),
    /// Set Gain to this and stop.
    Done(f64),
}

/// The next Gain after `passes` (oldest first, at least one) for a programme whose input
/// loudness over the whole Learn is `programme_lufs`. Pure: the editor and the tests call it.
pub fn next_step(passes: &[Pass], programme_lufs: f64, target_lufs: f64) -> Step {
    let last = passes[passes.len() - 1];
    let wanted_lift = target_lufs - programme_lufs;
    let miss = wanted_lift - last.lift();
    let slope = lift_slope(passes);
    let gain = (last.gain_db + miss / slope).clamp(GAIN_RANGE.0, GAIN_RANGE.1);
    let pinned =
        (gain - last.gain_db).abs() < 0.05 && (gain == GAIN_RANGE.0 || gain == GAIN_RANGE.1);
    if miss.abs() <= TOLERANCE_LU || pinned || passes.len() >= MAX_PASSES {
        Step::Done(if miss.abs() <= TOLERANCE_LU {
            last.gain_db
        } else {
            gain
        })
    } else {
        Step::Measure(gain)
    }
}

/// Slope of lift over gain: 1 while the limiter is idle, smaller the harder it works. A
/// least-squares fit over every pass rather than the secant of the last two: passes measure
/// different sections of the programme, and two passes close in gain give a slope dominated by
/// that spread. Clamped so a noisy fit cannot send the step far outside the bracket.
fn lift_slope(passes: &[Pass]) -> f64 {
    let n = passes.len() as f64;
    let mean_g = passes.iter().map(|p| p.gain_db).sum::<f64>() / n;
    let mean_l = passes.iter().map(|p| p.lift()).sum::<f64>() / n;
    let (sgl, sgg) = passes.iter().fold((0.0, 0.0), |(sgl, sgg), p| {
        let dg = p.gain_db - mean_g;
        (sgl + dg * (p.lift() - mean_l), sgg + dg * dg)
    });
    if sgg > 0.25 {
        (sgl / sgg).clamp(0.1, 1.0)
    } else {
        1.0
    }
}

/// What the audio thread publishes for Learn, and the editor's requests to it.
#[derive(Debug, Default)]
pub struct LearnShared {
    /// Set by the editor while a Learn runs; the audio thread measures only then.
    active: AtomicBool,
    /// Incremented by the editor for each Learn: the programme meter restarts.
    session: AtomicU32,
    /// Incremented by the editor for each pass (after it set the pass's Gain): the pass meters
    /// restart after [`SETTLE_SECONDS`].
    pass: AtomicU32,
    /// The pass the values below belong to (the audio thread's copy of `pass`).
    published_pass: AtomicU32,
    /// Programme measured in the current pass, seconds (settling excluded).
    pub pass_seconds: MeterValue,
    pub pass_input_lufs: MeterValue,
    pub pass_output_lufs: MeterValue,
    /// Input over the whole Learn so far.
    pub programme_lufs: MeterValue,
}

/// The audio-thread side: three loudness meters that run only during a Learn.
pub struct LearnTap {
    programme: LoudnessMeter,
    pass_in: LoudnessMeter,
    pass_out: LoudnessMeter,
    session: u32,
    pass: u32,
    sample_rate: f64,
    /// Samples still to skip before the pass meters run.
    settle: usize,
    measured: usize,
    /// Samples until the next publication (integrated loudness is a histogram pass: published
    /// at 10 Hz, not per block).
    publish_in: usize,
    running: bool,
}

impl Default for LearnTap {
    fn default() -> Self {
        Self {
            programme: LoudnessMeter::new(),
            pass_in: LoudnessMeter::new(),
            pass_out: LoudnessMeter::new(),
            session: 0,
            pass: 0,
            sample_rate: 48_000.0,
            settle: 0,
            measured: 0,
            publish_in: 0,
            running: false,
        }
    }
}

impl LearnTap {
    pub fn prepare(&mut self, sample_rate: f64, max_block: usize, channels: usize) {
        self.sample_rate = sample_rate;
        for m in [&mut self.programme, &mut self.pass_in, &mut self.pass_out] {
            m.prepare(sample_rate, max_block, channels);
        }
        self.running = false;
    }

    /// Measures the chain's input block (before processing). Returns whether the output should
    /// be measured too ([`output`](Self::output) after processing).
    pub fn input(&mut self, shared: &LearnShared, input: &[&[f32]]) -> bool {
        if !shared.active.load(Ordering::Relaxed) {
            self.running = false;
            return false;
        }
        let session = shared.session.load(Ordering::Relaxed);
        let pass = shared.pass.load(Ordering::Relaxed);
        if !self.running || session != self.session {
            self.session = session;
            self.programme.reset();
            self.running = true;
            self.pass = pass.wrapping_sub(1);
        }
        if pass != self.pass {
            self.pass = pass;
            self.pass_in.reset();
            self.pass_out.reset();
            self.settle = (SETTLE_SECONDS * self.sample_rate) as usize;
            self.measured = 0;
            self.publish_in = 0;
            shared.pass_seconds.set(0.0);
        }
        self.programme.process(input);
        let len = input.first().map_or(0, |c| c.len());
        if self.settle >= len {
            self.settle -= len;
            return false;
        }
        // A pass starts on a block boundary after settling: the few samples lost are noise
        // against seconds of programme, and the meters stay block-size independent per pass.
        self.settle = 0;
        self.pass_in.process(input);
        true
    }

    /// Measures the chain's output block and publishes at 10 Hz.
    pub fn output(&mut self, shared: &LearnShared, output: &[&[f32]]) {
        self.pass_out.process(output);
        let len = output.first().map_or(0, |c| c.len());
        self.measured += len;
        if self.publish_in > len {
            self.publish_in -= len;
            return;
        }
        self.publish_in = (self.sample_rate / 10.0) as usize;
        shared
            .programme_lufs
            .set(self.programme.integrated_lufs() as f32);
        shared
            .pass_input_lufs
            .set(self.pass_in.integrated_lufs() as f32);
        shared
            .pass_output_lufs
            .set(self.pass_out.integrated_lufs() as f32);
        shared
            .pass_seconds
            .set((self.measured as f64 / self.sample_rate) as f32);
        shared.published_pass.store(self.pass, Ordering::Release);
    }
}

/// Where a Learn stands, for the editor's button and status line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Status {
    Idle,
    /// Measuring pass `pass` (1-based), `progress` 0..1.
    Measuring {
        pass: usize,
        progress: f32,
    },
    /// Finished: the Gain it set.
    Done {
        gain_db: f64,
    },
    /// No programme: nothing above the BS.1770 absolute gate for three passes, or the host
    /// stopped processing (transport stopped) for [`STALL_SECONDS`].
    NoSignal,
}

/// The editor-thread side: a state machine polled once per frame.
#[derive(Debug)]
pub struct Learner {
    passes: Vec<Pass>,
    status: Status,
    /// Passes measured without any signal: after this many, Learn gives up.
    silent_passes: usize,
    /// The last (pass, measured seconds) the audio thread published, and when it changed
    /// (editor clock, seconds).
    heard: Option<((u32, f32), f64)>,
}

/// Editor-clock seconds without any audio measured before Learn gives up.
pub const STALL_SECONDS: f64 = 5.0;

/// Passes of silence (each [`PASS_SECONDS`]) before Learn gives up.
const MAX_SILENT_PASSES: usize = 3;

impl Default for Learner {
    fn default() -> Self {
        Self {
            passes: Vec::with_capacity(MAX_PASSES),
            status: Status::Idle,
            silent_passes: 0,
            heard: None,
        }
    }
}

impl Learner {
    pub fn status(&self) -> Status {
        self.status
    }

    pub fn is_running(&self) -> bool {
        matches!(self.status, Status::Measuring { .. })
    }

    /// Starts a Learn at the current Gain.
    pub fn start(&mut self, shared: &LearnShared) {
        self.passes.clear();
        self.silent_passes = 0;
        self.heard = None;
        shared.session.fetch_add(1, Ordering::Relaxed);
        shared.pass.fetch_add(1, Ordering::Release);
        shared.active.store(true, Ordering::Release);
        self.status = Status::Measuring {
            pass: 1,
            progress: 0.0,
        };
    }

    pub fn cancel(&mut self, shared: &LearnShared) {
        shared.active.store(false, Ordering::Release);
        if self.is_running() {
            self.status = Status::Idle;
        }
    }

    /// Advances the Learn at editor-clock time `now` (seconds). `gain_db` is the Gain the audio
    /// ran at during the pass. Returns the
    /// Gain to set, if any; the caller sets it (with a host gesture) right away. The next pass is
    /// already requested by then, but it measures only after [`SETTLE_SECONDS`] of audio, by
    /// which time the host has long delivered the new Gain.
    pub fn poll(
        &mut self,
        shared: &LearnShared,
        gain_db: f64,
        target_lufs: f64,
        now: f64,
    ) -> Option<f64> {
        let Status::Measuring { pass, .. } = self.status else {
            return None;
        };
        let published = shared.published_pass.load(Ordering::Acquire);
        let marker = (published, shared.pass_seconds.get());
        match self.heard {
            Some((m, _)) if m == marker => {}
            _ => self.heard = Some((marker, now)),
        }
        if self
            .heard
            .is_some_and(|(_, since)| now - since > STALL_SECONDS)
        {
            shared.active.store(false, Ordering::Release);
            self.status = Status::NoSignal;
            return None;
        }
        if published != shared.pass.load(Ordering::Relaxed) {
            return None;
        }
        let seconds = marker.1 as f64;
        self.status = Status::Measuring {
            pass,
            progress: (seconds / PASS_SECONDS).min(1.0) as f32,
        };
        if seconds < PASS_SECONDS {
            return None;
        }
        let (input, output, programme) = (
            shared.pass_input_lufs.get() as f64,
            shared.pass_output_lufs.get() as f64,
            shared.programme_lufs.get() as f64,
        );
        let gate = dsp_core::meter::loudness::SILENCE_LUFS;
        if input <= gate || output <= gate || programme <= gate {
            self.silent_passes += 1;
            if self.silent_passes >= MAX_SILENT_PASSES {
                shared.active.store(false, Ordering::Release);
                self.status = Status::NoSignal;
            } else {
                shared.pass.fetch_add(1, Ordering::Release);
            }
            return None;
        }
        self.passes.push(Pass {
            gain_db,
            input_lufs: input,
            output_lufs: output,
        });
        match next_step(&self.passes, programme, target_lufs) {
            Step::Measure(g) => {
                shared.pass.fetch_add(1, Ordering::Release);
                self.status = Status::Measuring {
                    pass: self.passes.len() + 1,
                    progress: 0.0,
                };
                Some(g)
            }
            Step::Done(g) => {
                shared.active.store(false, Ordering::Release);
                self.status = Status::Done { gain_db: g };
                Some(g)
            }
        }
    }
}

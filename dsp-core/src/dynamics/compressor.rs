//! The compressor every Lathe dynamics plugin wraps (Bus Glue, Channel Strip).
//!
//! Signal flow per sample and channel:
//! side chain (own input or external) -> optional high-pass (RBJ, 12 dB/oct) -> level detector
//! (peak or RMS; in feedback topology on `input * previous gain`) -> static curve (GMR 2012 soft
//! knee, in log2 units, see [`super::gain_computer`]) -> range clamp -> stereo link -> ballistics
//! on the reduction in the log domain (attack/release or program-dependent auto release) ->
//! gain, applied with make-up to the main input delayed by the lookahead; the dry path is delayed
//! identically, so the dry/wet mix is sample-aligned.
//!
//! Units: dB, ms, Hz and ratios at the interface. Plugins call every setter every block, so a
//! setter given its current value returns at once (no curve, timing or filter recomputed). Level settings (threshold, ratio, knee, range,
//! make-up, mix, link, side-chain filter) ramp per sample over [`Compressor::SMOOTHING_MS`].
//! Attack, release, RMS window, topology and detection switch at once: they change the speed or
//! the target of the reduction, which still moves through the ballistics, so they cannot click.
//! Lookahead switches at once too: it changes the latency, which the host must re-compensate.
//!
//! # Serving both plugins
//! - Bus Glue (SSL-style bus compressor): `Topology::FeedForward`, `Detection::Peak`, knee ~6 dB,
//!   ratio 1.5/2/4/10, attack 0.1..30 ms, release 100..1200 ms or `set_auto_release(true)` (with
//!   release at 100 ms: 100 ms after transients, up to 600 ms after sustained compression),
//!   threshold -40..0, range 1..40 dB, mix, side-chain HPF, `process_with_sidechain` for the
//!   external stereo key, stereo link 100%.
//! - Channel Strip: either topology (the "character" switch: `FeedBack` for the smoother
//!   vintage response), peak or RMS, threshold -60..0, ratio 1..100 (infinity in feed-forward),
//!   knee 0..24, attack 0.05..200 ms, release 5..3000 ms, auto release, make-up 0..24 dB, auto
//!   make-up, mix, side-chain HPF 20..500 Hz.
//!
//! # Cost
//! Feed-forward (peak or RMS) and peak feedback run in chunks of 256 samples whose
//! logarithms, static curve and exponentials are vectorised; RMS feedback runs its averager,
//! logarithm, curve and ballistics sample by sample (the averager needs each sample's gain
//! first) and costs about four times as much. The commonest case (a linked pair, peak
//! detection, no side-chain filter or lookahead, nothing ramping: the Bus Glue as it sits on a
//! bus) runs each chunk as one software-pipelined pass, compiled for AVX2 where the CPU has it
//! ([`Compressor::fused_linked_pair`]): the envelope's serial chain then overlaps the vector
//! work instead of adding to it.

use super::detector::{smoothing_weight, Ballistics, Envelope, Stages, GROUP};
use super::gain_computer::{ratio_to_slope, GainComputer};
use super::{db_to_log2, fast_exp2, fast_exp2_f32, fast_log2, fast_log2_f32, log2_to_db};
use crate::filter::{BiquadCoeffs, BiquadState};
use crate::smoother::Smoother;
use crate::util::{flush, sanitize};

pub use super::detector::Detection;

/// Where the side chain taps the signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    /// The detector sees the input: exact static curve, any ratio up to infinity:1, attack and
    /// release exactly as set (modern "clean" character).
    FeedForward,
    /// The detector sees the output (the input times the gain of the previous sample), as in
    /// classic analog bus and opto designs. The gain computer uses the inverse curve, so the steady
    /// state still lies on the textbook curve, but the ratio is limited to
    /// [`Compressor::FEEDBACK_MAX_RATIO`], and the loop gain makes attack and release act faster
    /// the higher the ratio: the smoother, program-dependent "glue" character.
    FeedBack,
}

/// Detector levels are floored here (-600 dB): keeps `fast_log2` on normal numbers, and is far
/// below any threshold, where the static curve gives exactly 0 dB (so the gain is exactly 1).
const LEVEL_FLOOR: f64 = 1e-30;

/// Samples per pass (stack scratch, no allocation): long enough that the per-pass set-up is
/// small next to the per-sample work. (128 measured 4 % slower in the fused pass, whose first
/// and last groups do not overlap the chain; 512 would be 2 % faster again, but the envelope
/// flush per chunk then needs time constants above 0.8 samples, see
/// [`Ballistics::run_feed_forward`].)
const CHUNK: usize = 256;

/// The static curve in single precision for the vectorised passes, in the branch-free form of
/// [`GainComputer::gain`], with the range floor.
#[derive(Debug, Clone, Copy)]
struct CurveF32 {
    lo: f32,
    knee: f32,
    hi: f32,
    quad: f32,
    slope: f32,
    floor: f32,
}

impl CurveF32 {
    #[inline]
    fn new(gc: &GainComputer, range: f64) -> Self {
        let knee = gc.knee();
        Self {
            lo: (gc.threshold() - 0.5 * knee) as f32,
            knee: knee as f32,
            hi: (gc.threshold() + 0.5 * knee) as f32,
            quad: if knee > 0.0 {
                gc.slope() / (2.0 * knee)
            } else {
                0.0
            } as f32,
            slope: gc.slope() as f32,
            floor: -range as f32,
        }
    }

    #[inline]
    fn gain(&self, x: f32) -> f32 {
        let u = (x - self.lo).max(0.0).min(self.knee);
        let over = (x - self.hi).max(0.0);
        greater(self.quad * u * u + self.slope * over, self.floor)
    }

    /// Stereo link: each channel's reduction moves towards the deeper one by `link`.
    #[inline]
    fn link(&self, a: f32, b: f32, link: f32) -> (f32, f32) {
        let lo = a.min(b);
        (a + link * (lo - a), b + link * (lo - b))
    }
}

/// Pushes `input` (sanitised) into the ring `line` at `pos` and returns in `dry` the samples
/// `latency` samples older, exactly as the sample-by-sample loop does: the part of `dry` that
/// comes from before this chunk is read before anything is overwritten.
fn delay_chunk(line: &mut [f32], pos: usize, latency: usize, input: &[f32], dry: &mut [f32]) {
    let len = line.len();
    let m = input.len();
    let old = latency.min(m);
    let r = (pos + len - latency) % len;
    let first = old.min(len - r);
    dry[..first].copy_from_slice(&line[r..r + first]);
    dry[first..old].copy_from_slice(&line[..old - first]);
    for (d, &x) in dry[old..m].iter_mut().zip(input) {
        *d = sanitize(x);
    }
    let first = m.min(len - pos);
    for (l, &x) in line[pos..pos + first].iter_mut().zip(input) {
        *l = sanitize(x);
    }
    for (l, &x) in line[..m - first].iter_mut().zip(&input[first..]) {
        *l = sanitize(x);
    }
}

/// The larger of two levels as one `maxps` lane: `f32::max`'s NaN handling costs four more
/// instructions per vector, and the side chain is sanitised, so no NaN reaches here.
#[inline(always)]
fn greater(x: f32, y: f32) -> f32 {
    if x > y {
        x
    } else {
        y
    }
}

/// The dry/wet mix. At 100 % exactly the wet signal (one multiply less per sample); otherwise
/// `dry + mix (wet - dry)`, which without reduction (`wet == dry`) returns the dry signal
/// bit-exactly at any mix. Whether the mix is exactly 1 is the state of its ramp, the same
/// whichever path computes the sample, so the choice does not depend on the block partition.
#[inline(always)]
fn mixed(dry: f32, wet: f32, mix: f32) -> f32 {
    if mix == 1.0 {
        wet
    } else {
        dry + mix * (wet - dry)
    }
}

/// The output of a linked pair without lookahead: the gain changes `e` (log2) to gains and the
/// mix, in one pass over both channels. `FULL_WET` is `mix == 1`, decided once per pass.
#[inline(always)]
fn apply_linked_pair<const FULL_WET: bool>(
    l: &mut [f32],
    r: &mut [f32],
    e: &[f32],
    makeup: f32,
    mix: f32,
) {
    let mix = if FULL_WET { 1.0 } else { mix };
    for ((x, y), &e) in l.iter_mut().zip(r.iter_mut()).zip(e) {
        let g = fast_exp2_f32(e) * makeup;
        let (dx, dy) = (sanitize(*x), sanitize(*y));
        *x = mixed(dx, dx * g, mix);
        *y = mixed(dy, dy * g, mix);
    }
}

/// The stages of [`Compressor::fused_linked_pair`] around the shared envelope. `FULL_WET`: the
/// mix is exactly 1 (decided once per chunk, as in [`apply_linked_pair`]).
struct LinkedPair<'a, const FULL_WET: bool> {
    l: &'a mut [f32],
    r: &'a mut [f32],
    key: Option<[&'a [f32]; 2]>,
    curve: CurveF32,
    makeup: f32,
    mix: f32,
}

/// One chunk of [`Compressor::fused_linked_pair`], for [`crate::simd::dispatch`].
struct FusedChunk<'a, S>(&'a Ballistics, &'a mut Envelope, usize, S);

impl<S: Stages> crate::simd::Kernel for FusedChunk<'_, S> {
    type Output = f32;
    #[inline(always)]
    fn run(self) -> f32 {
        let FusedChunk(ballistics, env, m, mut stages) = self;
        ballistics.run_fused(env, m, &mut stages)
    }
}

/// The `n <= GROUP` samples of `src` from `i`, zero-padded to a group.
#[inline(always)]
fn load_group(src: &[f32], i: usize, n: usize) -> [f32; GROUP] {
    let mut v = [0.0; GROUP];
    if n == GROUP {
        v.copy_from_slice(&src[i..i + GROUP]);
    } else {
        for (v, &x) in v.iter_mut().zip(&src[i..i + n]) {
            *v = x;
        }
    }
    v
}

impl<const FULL_WET: bool> Stages for LinkedPair<'_, FULL_WET> {
    #[inline(always)]
    fn targets(&mut self, i: usize, n: usize) -> [f32; GROUP] {
        let (kl, kr) = match self.key {
            Some([a, b]) => (a, b),
            None => (&*self.l, &*self.r),
        };
        let (x, y) = (load_group(kl, i, n), load_group(kr, i, n));
        let mut t = [0.0; GROUP];
        for ((t, &x), &y) in t.iter_mut().zip(&x).zip(&y) {
            let level = greater(sanitize(x).abs(), sanitize(y).abs());
            *t = self
                .curve
                .gain(fast_log2_f32(greater(level, LEVEL_FLOOR as f32)));
        }
        t
    }

    #[inline(always)]
    fn apply(&mut self, i: usize, n: usize, e: &[f32; GROUP]) {
        let mix = if FULL_WET { 1.0 } else { self.mix };
        let (mut x, mut y) = (load_group(self.l, i, n), load_group(self.r, i, n));
        for ((x, y), &e) in x.iter_mut().zip(y.iter_mut()).zip(e) {
            let g = fast_exp2_f32(e) * self.makeup;
            let (dx, dy) = (sanitize(*x), sanitize(*y));
            *x = mixed(dx, dx * g, mix);
            *y = mixed(dy, dy * g, mix);
        }
        self.l[i..i + n].copy_from_slice(&x[..n]);
        self.r[i..i + n].copy_from_slice(&y[..n]);
    }
}

/// Stereo link of the feedback loop: target and loop stiffness of each channel move towards
/// those of the channel asking for the deeper reduction.
#[inline]
fn link_feedback(target: &mut [f64; 2], stiffness: &mut [f64; 2], link: f64) {
    if link > 0.0 {
        let m = usize::from(target[1] < target[0]);
        let (tm, km) = (target[m], stiffness[m]);
        for c in 0..2 {
            target[c] += link * (tm - target[c]);
            stiffness[c] += link * (km - stiffness[c]);
        }
    }
}

/// Linear detector levels to log2 (times `scale`: 1/2 turns a mean square into an RMS level).
fn log2_levels(level: &mut [[f32; CHUNK]; 2], nch: usize, m: usize, scale: f32) {
    for lv in level.iter_mut().take(nch) {
        for v in lv[..m].iter_mut() {
            *v = scale * fast_log2_f32(v.max(LEVEL_FLOOR as f32));
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Channel {
    hpf: BiquadState,
    mean_square: f64,
    env: Envelope,
    gain: f64,
}

impl Channel {
    /// Feed-forward detector front end for one side-chain sample: the high-pass crossfaded in by
    /// `hpf_mix`, then the linear level (absolute value, or mean square for RMS).
    #[inline]
    fn detect(&mut self, x: f32, coeffs: &BiquadCoeffs, hpf_mix: f64, rms: bool, w: f64) -> f32 {
        let mut s = sanitize(x) as f64;
        if hpf_mix > 0.0 {
            let y = self.hpf.tick(coeffs, s);
            self.hpf.flush();
            s += hpf_mix * (y - s);
        }
        if rms {
            self.mean_square = flush(self.mean_square + w * (s * s - self.mean_square));
            self.mean_square as f32
        } else {
            s.abs() as f32
        }
    }
}

/// Stereo (or mono) compressor; see the module documentation.
#[derive(Debug, Clone)]
pub struct Compressor {
    sample_rate: f64,
    topology: Topology,
    detection: Detection,
    threshold_db: f64,
    ratio: f64,
    knee_db: f64,
    attack_ms: f64,
    release_ms: f64,
    auto_release: bool,
    rms_ms: f64,
    lookahead_ms: f64,
    hpf_enabled: bool,
    hpf_hz: f64,
    range_db: f64,
    makeup_db: f64,
    auto_makeup: bool,

    threshold: Smoother,
    slope: Smoother,
    knee: Smoother,
    range: Smoother,
    makeup: Smoother,
    mix: Smoother,
    link: Smoother,
    hpf_mix: Smoother,
    hpf_freq: Smoother,

    gc: GainComputer,
    makeup_gain: f64,
    ballistics: Ballistics,
    rms_weight: f64,
    hpf_coeffs: BiquadCoeffs,

    ch: [Channel; 2],
    delay: [Vec<f32>; 2],
    delay_pos: usize,
    latency: usize,
    clock: u64,
    gr_meter: [f32; 2],
}

impl Default for Compressor {
    fn default() -> Self {
        Self::new()
    }
}

impl Compressor {
    /// Ramp time of every level-affecting setting.
    pub const SMOOTHING_MS: f64 = 20.0;
    /// Longest lookahead (and so the largest latency).
    pub const MAX_LOOKAHEAD_MS: f64 = 10.0;
    /// Highest ratio the feedback topology realises (its loop gain grows with the ratio; infinity:1
    /// would need an infinite loop gain).
    pub const FEEDBACK_MAX_RATIO: f64 = 100.0;
    /// Detector level at which auto make-up restores unity gain: -18 dBFS, the 0 VU alignment
    /// level of digital studios (EBU R68), i.e. where the average of a well-levelled mix sits.
    /// Auto make-up adds back exactly the static curve's reduction at this level (limited by the
    /// range), so material around the reference keeps its loudness while peaks come down;
    /// unlike "compensate the reduction at 0 dBFS" it does not blast quiet material at high
    /// ratios and low thresholds.
    pub const AUTO_MAKEUP_REFERENCE_DB: f64 = -18.0;
    /// Sub-sampling of the side-chain filter's coefficient updates while its cutoff glides,
    /// counted in samples since `reset` (so block-size independent).
    const HPF_UPDATE_INTERVAL: u64 = 16;

    pub fn new() -> Self {
        let mut c = Self {
            sample_rate: 48_000.0,
            topology: Topology::FeedForward,
            detection: Detection::Peak,
            threshold_db: -18.0,
            ratio: 4.0,
            knee_db: 6.0,
            attack_ms: 10.0,
            release_ms: 100.0,
            auto_release: false,
            rms_ms: 10.0,
            lookahead_ms: 0.0,
            hpf_enabled: false,
            hpf_hz: 100.0,
            range_db: 120.0,
            makeup_db: 0.0,
            auto_makeup: false,
            threshold: Smoother::default(),
            slope: Smoother::default(),
            knee: Smoother::default(),
            range: Smoother::default(),
            makeup: Smoother::default(),
            mix: Smoother::new(1.0),
            link: Smoother::new(1.0),
            hpf_mix: Smoother::default(),
            hpf_freq: Smoother::default(),
            gc: GainComputer::new(0.0, 1.0, 0.0),
            makeup_gain: 1.0,
            ballistics: Ballistics::new(0.01, 0.1, false, 48_000.0),
            rms_weight: 0.0,
            hpf_coeffs: BiquadCoeffs::IDENTITY,
            ch: [Channel::default(); 2],
            delay: [Vec::new(), Vec::new()],
            delay_pos: 0,
            latency: 0,
            clock: 0,
            gr_meter: [0.0; 2],
        };
        c.push_targets();
        c.reset();
        c
    }

    pub fn prepare(&mut self, sample_rate: f64, _max_block: usize) {
        self.sample_rate = sample_rate;
        let len = (Self::MAX_LOOKAHEAD_MS * 1e-3 * sample_rate).ceil() as usize + 1;
        self.delay = [vec![0.0; len], vec![0.0; len]];
        for s in [
            &mut self.threshold,
            &mut self.slope,
            &mut self.knee,
            &mut self.range,
            &mut self.makeup,
            &mut self.mix,
            &mut self.link,
            &mut self.hpf_mix,
            &mut self.hpf_freq,
        ] {
            s.prepare(sample_rate, Self::SMOOTHING_MS);
        }
        self.update_timing();
        self.set_lookahead_ms(self.lookahead_ms);
        self.reset();
    }

    pub fn reset(&mut self) {
        for s in [
            &mut self.threshold,
            &mut self.slope,
            &mut self.knee,
            &mut self.range,
            &mut self.makeup,
            &mut self.mix,
            &mut self.link,
            &mut self.hpf_mix,
            &mut self.hpf_freq,
        ] {
            s.reset();
        }
        self.ch = [Channel {
            gain: 1.0,
            ..Channel::default()
        }; 2];
        for d in &mut self.delay {
            d.iter_mut().for_each(|v| *v = 0.0);
        }
        self.delay_pos = 0;
        self.clock = 0;
        self.gr_meter = [0.0; 2];
        self.update_curve();
        self.makeup_gain = fast_exp2(self.makeup.value());
        self.update_hpf();
    }

    /// Exact latency: the lookahead in samples.
    pub fn latency_samples(&self) -> usize {
        self.latency
    }

    /// Current gain reduction of `channel` in dB (>= 0; 0 = none), as of the last processed
    /// sample: a plain value for meters.
    pub fn gain_reduction_db(&self, channel: usize) -> f32 {
        self.gr_meter[channel.min(1)]
    }

    pub fn set_topology(&mut self, topology: Topology) {
        if self.topology != topology {
            self.topology = topology;
            self.push_targets();
        }
    }

    pub fn set_detection(&mut self, detection: Detection) {
        self.detection = detection;
    }

    /// Threshold in dBFS (of peak or RMS level, per the detection mode).
    pub fn set_threshold_db(&mut self, db: f64) {
        if self.threshold_db != db {
            self.threshold_db = db;
            self.push_targets();
        }
    }

    /// Ratio >= 1; `f64::INFINITY` for limiting (feed-forward only).
    pub fn set_ratio(&mut self, ratio: f64) {
        let ratio = ratio.max(1.0);
        if self.ratio != ratio {
            self.ratio = ratio;
            self.push_targets();
        }
    }

    /// Knee width in dB (0 = hard knee), centred on the threshold.
    pub fn set_knee_db(&mut self, db: f64) {
        let db = db.max(0.0);
        if self.knee_db != db {
            self.knee_db = db;
            self.push_targets();
        }
    }

    /// Time for the reduction to cover 63% of a step towards more reduction.
    pub fn set_attack_ms(&mut self, ms: f64) {
        let ms = ms.max(0.0);
        if self.attack_ms != ms {
            self.attack_ms = ms;
            self.update_timing();
        }
    }

    /// Time for the reduction to cover 63% of a step back towards none. With auto release this is
    /// the fast stage; sustained compression recovers up to 6x slower.
    pub fn set_release_ms(&mut self, ms: f64) {
        let ms = ms.max(0.0);
        if self.release_ms != ms {
            self.release_ms = ms;
            self.update_timing();
        }
    }

    pub fn set_auto_release(&mut self, on: bool) {
        if self.auto_release != on {
            self.auto_release = on;
            self.update_timing();
        }
    }

    /// Averaging time constant of the RMS detector.
    pub fn set_rms_window_ms(&mut self, ms: f64) {
        let ms = ms.max(0.0);
        if self.rms_ms != ms {
            self.rms_ms = ms;
            self.update_timing();
        }
    }

    /// Lookahead 0..10 ms: delays the main and dry paths so the side chain sees transients early.
    /// Changes the latency immediately.
    /// The delay lines restart from silence when the latency changes: without lookahead they
    /// are not written, and a new latency is a jump in time the host re-aligns anyway.
    pub fn set_lookahead_ms(&mut self, ms: f64) {
        self.lookahead_ms = ms.clamp(0.0, Self::MAX_LOOKAHEAD_MS);
        let max = self.delay[0].len().saturating_sub(1);
        let latency = ((self.lookahead_ms * 1e-3 * self.sample_rate).round() as usize).min(max);
        if latency != self.latency {
            self.latency = latency;
            for d in &mut self.delay {
                d.fill(0.0);
            }
        }
    }

    /// Side-chain high-pass (12 dB/oct Butterworth), 20..500 Hz; switching it crossfades.
    pub fn set_sidechain_hpf(&mut self, enabled: bool, freq_hz: f64) {
        let hz = freq_hz.clamp(20.0, 500.0);
        if self.hpf_enabled != enabled || self.hpf_hz != hz {
            self.hpf_enabled = enabled;
            self.hpf_hz = hz;
            self.push_targets();
        }
    }

    /// Stereo link 0..1: 1 applies the same gain to both channels (driven by the louder), 0 lets
    /// each channel compress on its own; in between the reduction in dB is interpolated.
    pub fn set_stereo_link(&mut self, link: f64) {
        self.link.set_target(link.clamp(0.0, 1.0));
    }

    /// Maximum gain reduction in dB.
    pub fn set_range_db(&mut self, db: f64) {
        let db = db.max(0.0);
        if self.range_db != db {
            self.range_db = db;
            self.push_targets();
        }
    }

    /// Manual make-up gain in dB (added to the auto make-up when both are on).
    pub fn set_makeup_db(&mut self, db: f64) {
        if self.makeup_db != db {
            self.makeup_db = db;
            self.push_targets();
        }
    }

    /// Auto make-up: see [`Compressor::AUTO_MAKEUP_REFERENCE_DB`].
    pub fn set_auto_makeup(&mut self, on: bool) {
        if self.auto_makeup != on {
            self.auto_makeup = on;
            self.push_targets();
        }
    }

    /// Dry/wet mix 0..1 (parallel compression); the dry path is delayed like the wet one.
    pub fn set_mix(&mut self, mix: f64) {
        self.mix.set_target(mix.clamp(0.0, 1.0));
    }

    /// The static curve currently targeted, in dB, as the plugin's curve display should draw it.
    pub fn static_curve(&self) -> GainComputer {
        GainComputer::from_slope(self.threshold_db, self.target_slope(), self.knee_db)
    }

    /// Auto make-up currently targeted, in dB.
    pub fn auto_makeup_db(&self) -> f64 {
        if self.auto_makeup {
            let g = self
                .static_curve()
                .gain(Self::AUTO_MAKEUP_REFERENCE_DB)
                .max(-self.range_db);
            -g
        } else {
            0.0
        }
    }

    fn target_slope(&self) -> f64 {
        let s = ratio_to_slope(self.ratio);
        match self.topology {
            Topology::FeedForward => s,
            Topology::FeedBack => s.max(ratio_to_slope(Self::FEEDBACK_MAX_RATIO)),
        }
    }

    fn push_targets(&mut self) {
        self.threshold.set_target(db_to_log2(self.threshold_db));
        self.slope.set_target(self.target_slope());
        self.knee.set_target(db_to_log2(self.knee_db));
        self.range.set_target(db_to_log2(self.range_db));
        self.makeup
            .set_target(db_to_log2(self.makeup_db + self.auto_makeup_db()));
        self.hpf_mix
            .set_target(if self.hpf_enabled { 1.0 } else { 0.0 });
        self.hpf_freq.set_target(self.hpf_hz.log2());
    }

    fn update_timing(&mut self) {
        self.ballistics = Ballistics::new(
            self.attack_ms * 1e-3,
            self.release_ms * 1e-3,
            self.auto_release,
            self.sample_rate,
        );
        self.rms_weight = smoothing_weight(self.rms_ms * 1e-3, self.sample_rate);
    }

    fn update_curve(&mut self) {
        self.gc = GainComputer::from_slope(
            self.threshold.value(),
            self.slope.value(),
            self.knee.value(),
        );
    }

    fn update_hpf(&mut self) {
        self.hpf_coeffs = BiquadCoeffs::rbj_highpass(
            self.sample_rate,
            self.hpf_freq.value().exp2(),
            std::f64::consts::FRAC_1_SQRT_2,
        );
    }

    /// Compresses in place, keyed by the input itself.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        self.run(channels, None);
    }

    /// Compresses `main` in place, keyed by `sidechain`: main channel `c` is keyed by side-chain
    /// channel `min(c, sidechain.len() - 1)`, so a mono key drives both channels (and the stereo
    /// link still couples them). Each side-chain slice must be at least as long as the block.
    pub fn process_with_sidechain(&mut self, main: &mut [&mut [f32]], sidechain: &[&[f32]]) {
        if sidechain.is_empty() {
            self.run(main, None);
        } else {
            self.run(main, Some(sidechain));
        }
    }

    fn run(&mut self, channels: &mut [&mut [f32]], sidechain: Option<&[&[f32]]>) {
        let nch = channels.len().min(2);
        if nch == 0 {
            return;
        }
        let n = channels[..nch].iter().map(|c| c.len()).min().unwrap_or(0);
        self.run_chunked(channels, sidechain, nch, n);
        for c in 0..nch {
            let g = self.ch[c].env.value(self.ballistics.auto_release());
            self.gr_meter[c] = (-log2_to_db(g)) as f32;
        }
        if nch == 1 {
            self.gr_meter[1] = self.gr_meter[0];
        }
    }

    /// Works in chunks of [`CHUNK`] samples, pass by pass, so that the log2, the static curve,
    /// the link and the exp2 run as straight loops the compiler vectorises; only the recursive
    /// parts (side-chain filter, RMS averager, ballistics, delay line) and parameter ramps run
    /// sample by sample. Every ramp still advances once per sample, in order, so the result does
    /// not depend on where blocks or chunks start.
    fn run_chunked(
        &mut self,
        channels: &mut [&mut [f32]],
        sidechain: Option<&[&[f32]]>,
        nch: usize,
        n: usize,
    ) {
        let feedback = self.topology == Topology::FeedBack;
        let rms = self.detection == Detection::Rms;
        // RMS feedback averages the *output*: its averager runs inside the loop, on the side
        // chain's absolute value times the previous gain.
        let fb_rms = feedback && rms;
        let rms = rms && !fb_rms;
        let dlen = self.delay[0].len();
        let mut start = 0;
        while start < n {
            // Chunks end on multiples of CHUNK samples since `reset`: per-chunk work (the
            // envelopes' flush) then happens at the same samples whatever the block partition.
            let m = (n - start).min(CHUNK - (self.clock % CHUNK as u64) as usize);
            let hpf_steady = !self.hpf_mix.is_smoothing() && !self.hpf_freq.is_smoothing();
            let stereo = nch == 2;
            let plain = hpf_steady && self.hpf_mix.value() == 0.0 && !rms;
            // A linked pair's feed-forward path needs only the louder level (see
            // `feed_forward_envelopes`): taken here, in the detector's own pass.
            let premaxed = plain && stereo && !feedback && self.steady_full_link();
            if premaxed
                && self.latency == 0
                && !self.mix.is_smoothing()
                && !self.makeup.is_smoothing()
                && self.ch[0].env.same_as(&self.ch[1].env)
            {
                let (l, r) = channels.split_at_mut(1);
                let (l, r) = (&mut l[0][start..start + m], &mut r[0][start..start + m]);
                let key = sidechain
                    .map(|sc| [0, 1].map(|c: usize| &sc[c.min(sc.len() - 1)][start..start + m]));
                let g = fast_exp2_f32(self.fused_linked_pair(l, r, key)) as f64;
                self.ch[0].gain = g;
                self.ch[1].gain = g;
                self.delay_pos = (self.delay_pos + m) % dlen;
                self.clock += m as u64;
                start += m;
                continue;
            }
            let mut level = [[0.0f32; CHUNK]; 2];
            let src = |c: usize| -> &[f32] {
                match sidechain {
                    Some(sc) => &sc[c.min(sc.len() - 1)][start..start + m],
                    None => &channels[c.min(nch - 1)][start..start + m],
                }
            };
            let (s0, s1) = (src(0), src(1));
            let w = self.rms_weight;
            if premaxed {
                for ((v, &x), &y) in level[0][..m].iter_mut().zip(s0).zip(s1) {
                    *v = greater(sanitize(x).abs(), sanitize(y).abs());
                }
            } else if plain {
                for (c, lv) in level.iter_mut().enumerate().take(nch) {
                    for (v, &x) in lv[..m].iter_mut().zip(src(c)) {
                        *v = sanitize(x).abs();
                    }
                }
            } else if hpf_steady {
                // Both channels' recursions in one loop so that their latencies overlap.
                let (coeffs, hpf_mix) = (self.hpf_coeffs, self.hpf_mix.value());
                let [c0, c1] = &mut self.ch;
                let [l0, l1] = &mut level;
                for i in 0..m {
                    l0[i] = c0.detect(s0[i], &coeffs, hpf_mix, rms, w);
                    if stereo {
                        l1[i] = c1.detect(s1[i], &coeffs, hpf_mix, rms, w);
                    }
                }
            } else {
                for i in 0..m {
                    self.tick_hpf(self.clock + i as u64);
                    let (coeffs, hpf_mix) = (self.hpf_coeffs, self.hpf_mix.value());
                    let [c0, c1] = &mut self.ch;
                    level[0][i] = c0.detect(s0[i], &coeffs, hpf_mix, rms, w);
                    if stereo {
                        level[1][i] = c1.detect(s1[i], &coeffs, hpf_mix, rms, w);
                    }
                }
            }
            // With one gain for every channel, `gain[0]` serves them all.
            let shared = if fb_rms {
                self.feedback_rms_envelopes(&mut level, nch, m);
                false
            } else if feedback {
                log2_levels(&mut level, nch, m, 1.0);
                self.feedback_envelopes(&mut level, nch, m);
                false
            } else {
                let scale = if rms { 0.5 } else { 1.0 };
                self.feed_forward_envelopes(&mut level, nch, m, scale, premaxed)
            };
            let gain_of = |c: usize| if shared { 0 } else { c };
            let gain = &mut level;
            let last = [
                fast_exp2_f32(gain[gain_of(0)][m - 1]),
                fast_exp2_f32(gain[gain_of(1)][m - 1]),
            ];
            if self.mix.is_smoothing() || self.makeup.is_smoothing() {
                for g in gain.iter_mut().take(if shared { 1 } else { nch }) {
                    for v in g[..m].iter_mut() {
                        *v = fast_exp2_f32(*v);
                    }
                }
                for i in 0..m {
                    self.tick_output();
                    let mix = self.mix.value();
                    let read = if self.delay_pos >= self.latency {
                        self.delay_pos - self.latency
                    } else {
                        self.delay_pos + dlen - self.latency
                    };
                    for c in 0..nch {
                        let line = &mut self.delay[c];
                        let x = &mut channels[c][start + i];
                        line[self.delay_pos] = sanitize(*x);
                        let dry = line[read];
                        let wet = dry * (gain[gain_of(c)][i] * self.makeup_gain as f32);
                        *x = mixed(dry, wet, mix as f32);
                    }
                    self.delay_pos += 1;
                    if self.delay_pos == dlen {
                        self.delay_pos = 0;
                    }
                }
            } else {
                let (mix, makeup) = (self.mix.value() as f32, self.makeup_gain as f32);
                // The exponential in f32 lanes, once per gain (rounding ~1e-7, -134 dB).
                if shared && nch == 2 && self.latency == 0 {
                    // The common case (a linked pair without lookahead) in one pass.
                    let (l, r) = channels.split_at_mut(1);
                    let (l, r) = (&mut l[0][start..start + m], &mut r[0][start..start + m]);
                    // The test on the mix outside the loop (a constant inside it).
                    if mix == 1.0 {
                        apply_linked_pair::<true>(l, r, &gain[0][..m], makeup, mix);
                    } else {
                        apply_linked_pair::<false>(l, r, &gain[0][..m], makeup, mix);
                    }
                } else {
                    for g in gain.iter_mut().take(if shared { 1 } else { nch }) {
                        for v in g[..m].iter_mut() {
                            *v = fast_exp2_f32(*v) * makeup;
                        }
                    }
                    for c in 0..nch {
                        let g = &gain[gain_of(c)][..m];
                        let io = &mut channels[c][start..start + m];
                        if self.latency == 0 {
                            // No lookahead: the dry signal is the input itself, the delay line
                            // is not needed (`set_lookahead_ms` clears it when the latency
                            // changes).
                            for (x, &g) in io.iter_mut().zip(g) {
                                let d = sanitize(*x);
                                *x = mixed(d, d * g, mix);
                            }
                            continue;
                        }
                        let mut dry = [0.0f32; CHUNK];
                        delay_chunk(
                            &mut self.delay[c],
                            self.delay_pos,
                            self.latency,
                            io,
                            &mut dry[..m],
                        );
                        for ((x, &d), &g) in io.iter_mut().zip(&dry[..m]).zip(g) {
                            *x = mixed(d, d * g, mix);
                        }
                    }
                }
                self.delay_pos = (self.delay_pos + m) % dlen;
            }
            for (st, g) in self.ch.iter_mut().zip(last).take(nch) {
                st.gain = g as f64;
            }
            self.clock += m as u64;
            start += m;
        }
    }

    /// The whole chunk of the commonest case in one fused pass (see [`Ballistics::run_fused`]):
    /// a fully linked pair with sample-peak detection, no side-chain filter, no lookahead, and
    /// every setting settled, so one envelope serves both channels. Exactly the arithmetic of
    /// the separate passes (premaxed detector, [`Compressor::feed_forward_envelopes`],
    /// [`apply_linked_pair`]), so the same bits. `key`: the external side chain, if any.
    /// Returns the last applied gain change (log2).
    fn fused_linked_pair(&mut self, l: &mut [f32], r: &mut [f32], key: Option<[&[f32]; 2]>) -> f32 {
        let curve = CurveF32::new(&self.gc, self.range.value());
        let (mix, makeup) = (self.mix.value() as f32, self.makeup_gain as f32);
        let m = l.len();
        let (ballistics, env) = (&self.ballistics, &mut self.ch[0].env);
        let e = if mix == 1.0 {
            let st = LinkedPair::<true> {
                l,
                r,
                key,
                curve,
                makeup,
                mix,
            };
            crate::simd::dispatch(FusedChunk(ballistics, env, m, st))
        } else {
            let st = LinkedPair::<false> {
                l,
                r,
                key,
                curve,
                makeup,
                mix,
            };
            crate::simd::dispatch(FusedChunk(ballistics, env, m, st))
        };
        self.ch[1].env = self.ch[0].env;
        e
    }

    /// Logarithm, static curve, link and ballistics of the feed-forward path for one chunk of
    /// linear detector levels (`scale` as in [`log2_levels`]), in place: they become the gain
    /// changes (log2). Returns whether only `level[0]` holds them (one gain for every channel).
    /// `premaxed`: `level[0]` already holds the louder of the two levels (only ever with
    /// [`Compressor::steady_full_link`]).
    ///
    /// At full link both channels get the reduction of the louder one. The curve is
    /// non-increasing in the level (in floating point too: every operation of
    /// [`CurveF32::gain`] is monotonic), so that is `gain(log2(max(a, b)))`: one logarithm and
    /// one curve instead of two; every path computes it this way, so whichever runs gives the
    /// same bits. When the two envelopes are identical as well (always, unless the link was
    /// just automated), one envelope serves both channels.
    fn feed_forward_envelopes(
        &mut self,
        level: &mut [[f32; CHUNK]; 2],
        nch: usize,
        m: usize,
        scale: f32,
        premaxed: bool,
    ) -> bool {
        let stereo = nch == 2;
        let floor = LEVEL_FLOOR as f32;
        let log2 = |x: f32| scale * fast_log2_f32(x.max(floor));
        let [l, r] = &mut *level;
        if self.curve_is_smoothing() || self.range.is_smoothing() || self.link.is_smoothing() {
            debug_assert!(!premaxed);
            for (a, b) in l[..m].iter_mut().zip(r[..m].iter_mut()) {
                self.tick_curve();
                let curve = CurveF32::new(&self.gc, self.range.value());
                let link = self.link.value();
                (*a, *b) = if !stereo {
                    (curve.gain(log2(*a)), 0.0)
                } else if link == 1.0 {
                    let g = curve.gain(log2(greater(*a, *b)));
                    (g, g)
                } else {
                    curve.link(curve.gain(log2(*a)), curve.gain(log2(*b)), link as f32)
                };
            }
        } else {
            let curve = CurveF32::new(&self.gc, self.range.value());
            let link = self.link.value();
            let shared = !stereo || (link == 1.0 && self.ch[0].env.same_as(&self.ch[1].env));
            if !stereo {
                for a in l[..m].iter_mut() {
                    *a = curve.gain(log2(*a));
                }
            } else if link == 1.0 {
                if premaxed {
                    for a in l[..m].iter_mut() {
                        *a = curve.gain(log2(*a));
                    }
                } else {
                    for (a, &b) in l[..m].iter_mut().zip(r[..m].iter()) {
                        *a = curve.gain(log2(greater(*a, b)));
                    }
                }
                if !shared {
                    r[..m].copy_from_slice(&l[..m]);
                }
            } else {
                let link = link as f32;
                for (a, b) in l[..m].iter_mut().zip(r[..m].iter_mut()) {
                    (*a, *b) = curve.link(curve.gain(log2(*a)), curve.gain(log2(*b)), link);
                }
            }
            if shared {
                let env = &mut self.ch[0].env;
                self.ballistics.run_feed_forward_mono(env, &mut l[..m]);
                self.ch[1].env = self.ch[0].env;
                return true;
            }
        }
        if stereo {
            let mut envs = [self.ch[0].env, self.ch[1].env];
            self.ballistics
                .run_feed_forward(&mut envs, &mut l[..m], &mut r[..m]);
            [self.ch[0].env, self.ch[1].env] = envs;
            false
        } else {
            self.ballistics
                .run_feed_forward_mono(&mut self.ch[0].env, &mut l[..m]);
            self.ch[1].env = self.ch[0].env;
            true
        }
    }

    /// The feedback loop for one chunk of detector levels (log2) of the side chain. The detector
    /// sees the side chain times the previous sample's gain, whose level is simply the sum of the
    /// two in the log domain, so the logarithm stays out of the loop and only the curve and the
    /// ballistics run per sample.
    fn feedback_envelopes(&mut self, gain: &mut [[f32; CHUNK]; 2], nch: usize, m: usize) {
        let auto = self.ballistics.auto_release();
        let stereo = nch == 2;
        let [g0, g1] = gain;
        for (a, b) in g0[..m].iter_mut().zip(g1[..m].iter_mut()) {
            self.tick_curve();
            let (gc, range, link) = (self.gc, -self.range.value(), self.link.value());
            let ballistics = self.ballistics;
            let [c0, c1] = &mut self.ch;
            let loop_target = |level: f32, env: &Envelope| {
                let (t, k) = gc.feedback_gain(level as f64 + env.value(auto));
                if t < range {
                    (range, 0.0)
                } else {
                    (t, k)
                }
            };
            let (t0, k0) = loop_target(*a, &c0.env);
            if stereo {
                let (t1, k1) = loop_target(*b, &c1.env);
                let (mut target, mut stiffness) = ([t0, t1], [k0, k1]);
                link_feedback(&mut target, &mut stiffness, link);
                *a = ballistics.step(&mut c0.env, target[0], stiffness[0]) as f32;
                *b = ballistics.step(&mut c1.env, target[1], stiffness[1]) as f32;
            } else {
                *a = ballistics.step(&mut c0.env, t0, k0) as f32;
            }
        }
    }

    /// RMS feedback for one chunk of side-chain magnitudes: the averager needs each sample's gain
    /// before the next sample's detection, so averaging, logarithm, curve and ballistics all run
    /// per sample; the exponential of the applied gain and the output stay vectorised.
    fn feedback_rms_envelopes(&mut self, gain: &mut [[f32; CHUNK]; 2], nch: usize, m: usize) {
        let w = self.rms_weight;
        let [g0, g1] = gain;
        for (a, b) in g0[..m].iter_mut().zip(g1[..m].iter_mut()) {
            self.tick_curve();
            let range = -self.range.value();
            let mut target = [0.0f64; 2];
            let mut stiffness = [0.0f64; 2];
            for (c, magnitude) in [*a, *b].into_iter().enumerate().take(nch) {
                let st = &mut self.ch[c];
                let s = magnitude as f64 * st.gain;
                st.mean_square = flush(st.mean_square + w * (s * s - st.mean_square));
                let level = 0.5 * fast_log2(st.mean_square.max(LEVEL_FLOOR * LEVEL_FLOOR));
                let (t, k) = self.gc.feedback_gain(level);
                (target[c], stiffness[c]) = if t < range { (range, 0.0) } else { (t, k) };
            }
            if nch == 2 {
                link_feedback(&mut target, &mut stiffness, self.link.value());
            }
            let mut out = [0.0f32; 2];
            for c in 0..nch {
                let st = &mut self.ch[c];
                out[c] = self.ballistics.step(&mut st.env, target[c], stiffness[c]) as f32;
                // Exactly the gain the output pass applies (and stores at the end of a chunk).
                st.gain = fast_exp2_f32(out[c]) as f64;
            }
            (*a, *b) = (out[0], out[1]);
        }
    }

    /// Full stereo link with the curve, range and link all settled: the feed-forward path's
    /// one-level case.
    #[inline]
    fn steady_full_link(&self) -> bool {
        self.link.value() == 1.0
            && !self.link.is_smoothing()
            && !self.curve_is_smoothing()
            && !self.range.is_smoothing()
    }

    #[inline]
    fn curve_is_smoothing(&self) -> bool {
        self.threshold.is_smoothing() || self.slope.is_smoothing() || self.knee.is_smoothing()
    }

    /// Advances the static curve, range and link ramps by one sample.
    #[inline]
    fn tick_curve(&mut self) {
        if self.curve_is_smoothing() {
            self.threshold.tick();
            self.slope.tick();
            self.knee.tick();
            self.update_curve();
        }
        self.range.tick();
        self.link.tick();
    }

    /// Advances the make-up and mix ramps by one sample.
    #[inline]
    fn tick_output(&mut self) {
        if self.makeup.is_smoothing() {
            self.makeup_gain = fast_exp2(self.makeup.tick());
        }
        self.mix.tick();
    }

    /// Advances the side-chain filter's ramps by one sample; `clock` is the sample's index since
    /// `reset`, which places coefficient updates on a fixed grid.
    #[inline]
    fn tick_hpf(&mut self, clock: u64) {
        let was_off = self.hpf_mix.value() == 0.0;
        self.hpf_mix.tick();
        if was_off && self.hpf_mix.value() > 0.0 {
            // The filter did not run while switched off: start it from silence, not stale state.
            self.ch[0].hpf.reset();
            self.ch[1].hpf.reset();
        }
        if self.hpf_freq.is_smoothing() {
            self.hpf_freq.tick();
            if clock.is_multiple_of(Self::HPF_UPDATE_INTERVAL) || !self.hpf_freq.is_smoothing() {
                self.update_hpf();
            }
        }
    }
}

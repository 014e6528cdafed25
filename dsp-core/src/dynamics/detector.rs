//! Level detection and gain-reduction ballistics.
//!
//! Following Giannoulis, Massberg & Reiss (JAES 2012, section 3), the ballistics run on the gain
//! *reduction* in the log domain after the static curve ("log domain, smooth branching peak
//! detector", their fig. 7): attack and release then act on decibels of reduction, so a step of
//! reduction covers 63% in exactly the set time whatever its depth, and the static curve is not
//! distorted by the smoothing.

use crate::util::{flush, one_pole_coeff};

/// Level detection mode of the side chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detection {
    /// Instantaneous absolute value: the curve responds to sample peaks.
    Peak,
    /// Mean square through a one-pole averager (the RC-integrator RMS of analog designs): the
    /// curve responds to the RMS level (a sine reads 3.01 dB below its peak).
    Rms,
}

/// Smoothing weight `1 - a` of a one-pole with time constant `time_s`.
#[inline]
pub fn smoothing_weight(time_s: f64, sample_rate: f64) -> f64 {
    1.0 - one_pole_coeff(time_s, sample_rate)
}

/// Attack/release weights of the branching smoother, plus the optional program-dependent
/// release.
///
/// Auto release is the dual-time-constant scheme of classic bus compressors: a fast envelope
/// (attack, and release at the release setting) drives a slow envelope that charges only while
/// compression lasts (time constant [`Ballistics::AUTO_CHARGE_S`]) and lets go at
/// [`Ballistics::AUTO_SLOW_FACTOR`] times the release setting; the applied reduction is the deeper
/// of the two. A short transient barely charges the slow envelope, so the reduction recovers at
/// the fast rate; sustained compression charges it fully, so recovery is slow and does not pump.
#[derive(Debug, Clone, Copy)]
pub struct Ballistics {
    attack: f64,
    release: f64,
    auto_release: bool,
    slow_charge: f64,
    slow_release: f64,
}

/// One channel's envelope state (log2 units of gain change, <= 0).
#[derive(Debug, Clone, Copy, Default)]
pub struct Envelope {
    fast: f64,
    slow: f64,
}

impl Envelope {
    /// The state with both envelopes flushed of values too small to matter.
    #[inline]
    fn flushed(self) -> Self {
        Self {
            fast: flush(self.fast),
            slow: flush(self.slow),
        }
    }

    /// Bitwise equality: a linked pair may share one envelope only if both are identical.
    #[inline]
    pub fn same_as(&self, other: &Envelope) -> bool {
        self.fast.to_bits() == other.fast.to_bits() && self.slow.to_bits() == other.slow.to_bits()
    }

    /// The gain change currently applied.
    #[inline]
    pub fn value(&self, auto_release: bool) -> f64 {
        if auto_release {
            self.fast.min(self.slow)
        } else {
            self.fast
        }
    }
}

/// The smaller of two numbers as one `minsd` (no NaN special case: the envelopes never hold NaN).
#[inline(always)]
fn lesser(x: f64, y: f64) -> f64 {
    if x < y {
        x
    } else {
        y
    }
}

#[inline(always)]
fn greater(x: f64, y: f64) -> f64 {
    if x > y {
        x
    } else {
        y
    }
}

/// Runs `$pass!(fast_select, slow_select)` with the selects that fit the weights (see
/// [`FeedForwardStep`]): decided once per chunk, never per sample.
macro_rules! dispatch {
    ($step:ident, $pass:ident) => {
        match ($step.auto_release, $step.attack_wins, $step.charge_wins) {
            (false, true, _) => $pass!(false, lesser, lesser),
            (false, false, _) => $pass!(false, greater, lesser),
            (true, true, true) => $pass!(true, lesser, lesser),
            (true, true, false) => $pass!(true, lesser, greater),
            (true, false, true) => $pass!(true, greater, lesser),
            (true, false, false) => $pass!(true, greater, greater),
        }
    };
}

/// One sample of the branching one-pole `f += (t < f ? a : r) (t - f)` without its branch.
///
/// Both candidates `(1 - a) f + a t` and `(1 - r) f + r t` are computed and the right one
/// selected by size alone: when `a >= r` the attack candidate is the smaller one exactly when
/// `t < f` (moving down by the larger weight goes further), so the step is their minimum; when
/// `a < r` it is their maximum. The loop-carried chain is then multiply, add and min (about 7
/// cycles) instead of subtract, compare, select, multiply and add, and `a t`, `r t` are computed
/// off the chain. The same holds for the slow envelope of auto release with its charge and
/// release weights.
#[derive(Debug, Clone, Copy)]
struct FeedForwardStep {
    a: f64,
    keep_a: f64,
    r: f64,
    keep_r: f64,
    sc: f64,
    keep_sc: f64,
    sr: f64,
    keep_sr: f64,
    auto_release: bool,
    attack_wins: bool,
    charge_wins: bool,
}

impl FeedForwardStep {
    #[inline]
    fn new(b: &Ballistics) -> Self {
        Self {
            a: b.attack,
            keep_a: 1.0 - b.attack,
            r: b.release,
            keep_r: 1.0 - b.release,
            sc: b.slow_charge,
            keep_sc: 1.0 - b.slow_charge,
            sr: b.slow_release,
            keep_sr: 1.0 - b.slow_release,
            auto_release: b.auto_release,
            attack_wins: b.attack >= b.release,
            charge_wins: b.slow_charge >= b.slow_release,
        }
    }

    /// Advances `env` towards the target `t` and returns the applied gain change.
    #[inline(always)]
    fn tick<const AUTO: bool>(
        &self,
        env: &mut Envelope,
        t: f32,
        fast: impl Fn(f64, f64) -> f64,
        slow: impl Fn(f64, f64) -> f64,
    ) -> f32 {
        let t = t as f64;
        let (f0, s0) = (env.fast, env.slow);
        let f = fast(self.keep_a * f0 + self.a * t, self.keep_r * f0 + self.r * t);
        env.fast = f;
        if AUTO {
            let s = slow(
                self.keep_sc * s0 + self.sc * f0,
                self.keep_sr * s0 + self.sr * f0,
            );
            env.slow = s;
            lesser(f, s) as f32
        } else {
            f as f32
        }
    }
}

/// Samples per group of [`Ballistics::run_fused`]: two SSE2 vectors, one AVX2 vector. (Groups
/// of 16 measured the same; groups of 4 were a third slower, the chain of one group then too
/// short to hide the next group's vector work.)
pub(crate) const GROUP: usize = 8;

/// The vectorisable work around the ballistics in [`Ballistics::run_fused`], for the group of
/// `n <= GROUP` samples from `i` of the chunk. Everything must be `#[inline(always)]`.
pub(crate) trait Stages {
    /// The targets (log2 gain changes) of the group; lanes from `n` on are not used.
    fn targets(&mut self, i: usize, n: usize) -> [f32; GROUP];
    /// Takes the applied gain changes of the group (lanes from `n` on are not used).
    fn apply(&mut self, i: usize, n: usize, e: &[f32; GROUP]);
}

impl Ballistics {
    /// Charge time of the slow envelope in auto-release mode.
    pub const AUTO_CHARGE_S: f64 = 0.5;
    /// Slow release of auto-release mode, as a multiple of the release setting.
    pub const AUTO_SLOW_FACTOR: f64 = 6.0;

    pub fn new(attack_s: f64, release_s: f64, auto_release: bool, sample_rate: f64) -> Ballistics {
        Ballistics {
            attack: smoothing_weight(attack_s, sample_rate),
            release: smoothing_weight(release_s, sample_rate),
            auto_release,
            slow_charge: smoothing_weight(Self::AUTO_CHARGE_S, sample_rate),
            slow_release: smoothing_weight(release_s * Self::AUTO_SLOW_FACTOR, sample_rate),
        }
    }

    #[inline]
    pub fn auto_release(&self) -> bool {
        self.auto_release
    }

    /// The feed-forward ballistics of one chunk for two channels: `g0`/`g1` hold the targets
    /// (log2 gain changes) and receive the applied gain changes. [`Ballistics::step`] with no
    /// loop stiffness, rewritten for speed (see [`FeedForwardStep`]); the state is flushed once at
    /// the end of the chunk instead of after every sample. A one-pole cannot fall from the flush
    /// floor (1e-30) to a subnormal (< 2.2e-308) within one chunk of 256 samples unless its weight
    /// exceeds 0.918, a time constant under 0.4 samples (the plugins' shortest, the Channel
    /// Strip's 0.05 ms attack, is 1.1 samples at 22.05 kHz). Callers put chunk ends on a fixed grid of
    /// the sample clock, so where the flush happens does not depend on the block partition.
    pub fn run_feed_forward(&self, envs: &mut [Envelope; 2], g0: &mut [f32], g1: &mut [f32]) {
        let step = FeedForwardStep::new(self);
        let [e0, e1] = envs;
        let (mut s0, mut s1) = (*e0, *e1);
        macro_rules! pass {
            ($auto:literal, $fast:expr, $slow:expr) => {
                for (x, y) in g0.iter_mut().zip(g1.iter_mut()) {
                    *x = step.tick::<$auto>(&mut s0, *x, $fast, $slow);
                    *y = step.tick::<$auto>(&mut s1, *y, $fast, $slow);
                }
            };
        }
        dispatch!(step, pass);
        *e0 = s0.flushed();
        *e1 = s1.flushed();
    }

    /// [`Ballistics::run_feed_forward`] for one envelope: a mono signal, or a fully linked
    /// stereo pair whose two envelopes are equal (bit for bit the same results as the two-channel
    /// pass given equal states and targets).
    pub fn run_feed_forward_mono(&self, env: &mut Envelope, g: &mut [f32]) {
        let step = FeedForwardStep::new(self);
        let mut s = *env;
        macro_rules! pass {
            ($auto:literal, $fast:expr, $slow:expr) => {
                for x in g.iter_mut() {
                    *x = step.tick::<$auto>(&mut s, *x, $fast, $slow);
                }
            };
        }
        dispatch!(step, pass);
        *env = s.flushed();
    }

    /// One envelope through a chunk of `m` samples in groups of [`GROUP`], with the vector work
    /// before and after it (`stages`: the targets, the output) in the same loop. The
    /// ballistics are a serial chain (multiply, add and min per sample, 7 to 8 cycles) that
    /// leaves most of the core idle; as separate passes over the chunk, the chain's latency and
    /// the vector work add up, while here the out-of-order core runs the neighbouring groups'
    /// vector work in the chain's shadow. Same arithmetic in the same order as
    /// [`Ballistics::run_feed_forward_mono`], so the same bits. Returns the last applied gain
    /// change.
    #[inline(always)]
    pub(crate) fn run_fused<S: Stages>(&self, env: &mut Envelope, m: usize, stages: &mut S) -> f32 {
        let step = FeedForwardStep::new(self);
        let mut s = *env;
        let mut last = 0.0;
        // Software-pipelined: each step of the loop runs the ballistics of group `g`, then the
        // targets of group `g + 1` and the output of group `g - 1`, neither of which waits for
        // the chain in flight. (In the order targets, chain, output, the output's instructions
        // all wait for the chain just issued and fill the scheduler, and the next group's
        // independent work cannot start.) The group size is a constant in the full groups, so
        // the stages are straight vector code; a block boundary may leave a partial group.
        let groups = m / GROUP;
        macro_rules! pass {
            ($auto:literal, $fast:expr, $slow:expr) => {{
                if groups > 0 {
                    let mut t = stages.targets(0, GROUP);
                    let mut done = [0.0f32; GROUP];
                    for g in 0..groups {
                        let mut e = t;
                        for x in e.iter_mut() {
                            *x = step.tick::<$auto>(&mut s, *x, $fast, $slow);
                        }
                        if g + 1 < groups {
                            t = stages.targets((g + 1) * GROUP, GROUP);
                        }
                        if g > 0 {
                            stages.apply((g - 1) * GROUP, GROUP, &done);
                        }
                        done = e;
                    }
                    stages.apply((groups - 1) * GROUP, GROUP, &done);
                    last = done[GROUP - 1];
                }
                let (i, n) = (groups * GROUP, m % GROUP);
                if n > 0 {
                    let mut e = stages.targets(i, n);
                    for x in e[..n].iter_mut() {
                        *x = step.tick::<$auto>(&mut s, *x, $fast, $slow);
                    }
                    stages.apply(i, n, &e);
                    last = e[n - 1];
                }
            }};
        }
        dispatch!(step, pass);
        *env = s.flushed();
        last
    }

    /// Advances the envelope towards `target` and returns the applied gain change.
    ///
    /// `stiffness` is `-dh/dy`, the slope of a feedback loop's target against its own output
    /// (0 in feed-forward). The update is then linearly implicit (one Newton step of
    /// `g = g' + k (h(x + g) - g')`), which keeps a feedback loop stable at any ratio and attack,
    /// and reduces to the ordinary one-pole step in feed-forward.
    #[inline]
    pub fn step(&self, env: &mut Envelope, target: f64, stiffness: f64) -> f64 {
        let current = env.fast;
        let k = if target < current {
            self.attack
        } else {
            self.release
        };
        let delta = k * (target - current);
        env.fast = if stiffness > 0.0 {
            flush(current + delta / (1.0 + k * stiffness))
        } else {
            flush(current + delta)
        };
        if self.auto_release {
            let ks = if env.fast < env.slow {
                self.slow_charge
            } else {
                self.slow_release
            };
            env.slow = flush(env.slow + ks * (env.fast - env.slow));
            env.fast.min(env.slow)
        } else {
            env.fast
        }
    }
}

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
    /// (log2 gain changes) and receive the applied gain changes. Exactly [`Ballistics::step`]
    /// with no loop stiffness, except that the state is flushed once at the end of the chunk
    /// instead of after every sample: the recursion is then only compare, select, multiply and
    /// add (the loop-carried chain that bounds the compressor's speed), and both channels run in
    /// one loop so that their chains overlap. A one-pole cannot fall from the flush floor
    /// (1e-30) to a subnormal (< 2.2e-308) within one chunk unless its weight exceeds 0.9999,
    /// which no attack or release setting gives. Callers put chunk ends on a fixed grid of the
    /// sample clock, so where the flush happens does not depend on the block partition.
    pub fn run_feed_forward(&self, envs: &mut [Envelope; 2], g0: &mut [f32], g1: &mut [f32]) {
        let (a, r) = (self.attack, self.release);
        let [e0, e1] = envs;
        let (mut f0, mut f1) = (e0.fast, e1.fast);
        if self.auto_release {
            let (sc, sr) = (self.slow_charge, self.slow_release);
            let (mut s0, mut s1) = (e0.slow, e1.slow);
            for (x, y) in g0.iter_mut().zip(g1.iter_mut()) {
                let (t0, t1) = (*x as f64, *y as f64);
                f0 += if t0 < f0 { a } else { r } * (t0 - f0);
                f1 += if t1 < f1 { a } else { r } * (t1 - f1);
                s0 += if f0 < s0 { sc } else { sr } * (f0 - s0);
                s1 += if f1 < s1 { sc } else { sr } * (f1 - s1);
                *x = f0.min(s0) as f32;
                *y = f1.min(s1) as f32;
            }
            (e0.slow, e1.slow) = (flush(s0), flush(s1));
        } else {
            for (x, y) in g0.iter_mut().zip(g1.iter_mut()) {
                let (t0, t1) = (*x as f64, *y as f64);
                f0 += if t0 < f0 { a } else { r } * (t0 - f0);
                f1 += if t1 < f1 { a } else { r } * (t1 - f1);
                *x = f0 as f32;
                *y = f1 as f32;
            }
        }
        (e0.fast, e1.fast) = (flush(f0), flush(f1));
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

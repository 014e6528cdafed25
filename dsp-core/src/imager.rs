//! Stereo imager: mid/side width, mono-bass, balance and a phase-correlation meter, as used by the
//! Channel Strip (`pan`, `width`) and the Maximizer (`width`, `mono_bass_on`, `mono_bass_freq`).
//!
//! # Mono compatibility, to the bit
//! Width only scales the side signal, so in exact arithmetic `L' + R' = L + R`. In `f32` the
//! obvious `L' = M + wS, R' = M - wS` rounds twice and the mono sum drifts by an ulp. Every output
//! pair goes through [`mono_exact_pair`], which keeps the larger output as rounded and solves the
//! smaller one from the input's own `f32` mono sum, `fl(L' + R') == fl(L + R)`, checking the
//! result (and its two neighbours) explicitly.
//!
//! That guarantee holds for every width up to 100 % (proof sketch on [`mono_exact_pair`]; the
//! tests check it on random signals with random exponents and width automation). Beyond 100 % it
//! cannot hold for every input, in any formulation: with `L = 0.75` and `R` = -0.3 with its last
//! mantissa bit set, the `f32` sum (exact, about 0.45) has a bit at `2^-25`; a 200 % width asks
//! for `L' ~ 1.275` and `R' ~ -0.825`, and any two floats that close add exactly to a multiple of
//! `2^-24`, which can never equal that sum. There the imager keeps the rounded larger output (or
//! one of its neighbours) and solves the smaller one, which is exact whenever that search finds an
//! exact pair (89 % of samples on wide random material at 100-200 %) and otherwise misses the mono
//! sum by at most an ulp of the smaller output (worst measured: -144.5 dB relative to the larger
//! output). The test `widening_beyond_unity_cannot_be_bit_exact` proves the
//! counterexample exhaustively. Mono-bass is a local widening too (the high-passed side can
//! momentarily exceed the input side through its phase shift), with the same bound (about 99 %
//! of samples bit-exact on the test tones).
//!
//! # Mono-bass
//! The side signal alone goes through a Linkwitz-Riley high-pass; the mid signal is untouched, so
//! the low end of the mono sum is not altered at all (no allpass phase on the main signal). The
//! brief asked for LR4, but LR4 (24 dB/oct) is only -24.6 dB at f/2 and -0.53 dB at 2f, far from
//! the required "-40 dB below f/2, within 0.1 dB above 2f": meeting both needs a transition of
//! 9.6:1 with LR4 but only 3.1:1 with LR8. So the filter is LR8 (48 dB/oct, two 4th-order
//! Butterworth high-passes in cascade, the classic Linkwitz-Riley construction): -48.2 dB at f/2,
//! -0.034 dB at 2f, -6.02 dB at f.
//!
//! # Balance law
//! Stereo input at centre is untouched (0 dB centre), which is what mixing engineers expect of a
//! stereo channel's pan (a balance control, as in Ableton Live, Cubase and Logic's stereo
//! balancer): a -3 dB centre would drop every stereo track by 3 dB. Off centre, the near side stays
//! at 0 dB and the far side follows the constant-power sine/cosine law scaled to 0 dB at centre:
//! with `theta = (pan + 1) * pi / 4`, `g_L = min(1, sqrt2 * cos theta)`,
//! `g_R = min(1, sqrt2 * sin theta)`. Pan +50 puts the left side at -5.33 dB, +100 mutes it.

use crate::filter::{BiquadCoeffs, BiquadState};
use crate::smoother::Smoother;
use crate::util::sanitize;
use std::f64::consts::{FRAC_PI_4, PI, SQRT_2};

/// Ramp time of width, balance and the mono-bass switch: long enough to be click-free on bass.
const RAMP_MS: f64 = 20.0;
/// Ramp time of the mono-bass crossover frequency (swept in the log domain).
const FREQ_RAMP_MS: f64 = 50.0;
/// While the crossover frequency moves, its coefficients are redesigned on this grid of samples
/// counted since `reset`, so the output is independent of the host's block partition.
const COEFF_GRID: u64 = 16;
/// Length of the correlation meter's window.
pub const CORRELATION_WINDOW_MS: f64 = 300.0;
/// The window is made of this many sub-blocks; the reading refreshes at every sub-block.
const CORR_SUBBLOCKS: usize = 30;

/// Returns an output pair close to `(target_l, target_r)` whose `f32` sum equals `fl(l + r)`.
///
/// Why it works for width <= 100 %: the target outputs are then no further from the mid than the
/// inputs. If they have the same sign, each is smaller than `|L + R|`, so its ulp divides the ulp
/// of `fl(L + R)`; if they have opposite signs, the smaller one is no larger than the smaller
/// input, so its ulp divides the grid on which `fl(L + R)` lies. Either way `fl(L + R) - C`, with
/// `C` the larger output rounded to `f32`, lies on the smaller output's grid and is computed
/// exactly, so `C + F` adds back to the sum exactly. Binade edges are covered by trying the two
/// neighbours of `C`; the final check makes the guarantee explicit rather than assumed.
#[inline]
pub fn mono_exact_pair(l: f32, r: f32, target_l: f64, target_r: f64) -> (f32, f32) {
    let sum = l + r;
    let (a, b) = (target_l as f32, target_r as f32);
    if a + b == sum {
        return (a, b);
    }
    let left_is_larger = target_l.abs() >= target_r.abs();
    let c = if left_is_larger { a } else { b };
    for cand in [c, c.next_up(), c.next_down()] {
        let f = sum - cand;
        if cand + f == sum {
            return if left_is_larger { (cand, f) } else { (f, cand) };
        }
    }
    let f = sum - c;
    if left_is_larger {
        (c, f)
    } else {
        (f, c)
    }
}

/// Balance gains for `pan` in -1..1 (law documented at module level).
pub fn balance_gains(pan: f64) -> (f64, f64) {
    let p = pan.clamp(-1.0, 1.0);
    if p >= 1.0 {
        return (0.0, 1.0);
    }
    if p <= -1.0 {
        return (1.0, 0.0);
    }
    let theta = (p + 1.0) * FRAC_PI_4;
    (
        (SQRT_2 * theta.cos()).min(1.0),
        (SQRT_2 * theta.sin()).min(1.0),
    )
}

/// Pearson correlation of the two channels over a 300 ms window that slides in 10 ms steps.
///
/// Each sub-block keeps the five sums (`x`, `y`, `x^2`, `y^2`, `xy`) in `f64`; the reading is
/// recomputed from the 30 sub-block sums when a sub-block completes, so the cost is O(1) per sample
/// (amortised), nothing is allocated, and there is no running-sum drift. A silent or constant
/// channel has no defined correlation; the meter then reads 0, the neutral needle position.
#[derive(Debug, Clone)]
pub struct CorrelationMeter {
    sub_len: usize,
    count: usize,
    acc: [f64; 5],
    ring: [[f64; 5]; CORR_SUBBLOCKS],
    filled: usize,
    head: usize,
    value: f32,
}

impl Default for CorrelationMeter {
    fn default() -> Self {
        Self {
            sub_len: 480,
            count: 0,
            acc: [0.0; 5],
            ring: [[0.0; 5]; CORR_SUBBLOCKS],
            filled: 0,
            head: 0,
            value: 0.0,
        }
    }
}

impl CorrelationMeter {
    pub fn prepare(&mut self, sample_rate: f64) {
        let window = sample_rate * CORRELATION_WINDOW_MS * 1e-3;
        self.sub_len = ((window / CORR_SUBBLOCKS as f64).round() as usize).max(1);
        self.reset();
    }

    pub fn reset(&mut self) {
        self.count = 0;
        self.acc = [0.0; 5];
        self.ring = [[0.0; 5]; CORR_SUBBLOCKS];
        self.filled = 0;
        self.head = 0;
        self.value = 0.0;
    }

    /// Samples in the full window (30 sub-blocks).
    pub fn window_len(&self) -> usize {
        self.sub_len * CORR_SUBBLOCKS
    }

    #[inline]
    pub fn push(&mut self, x: f32, y: f32) {
        let (x, y) = (x as f64, y as f64);
        self.acc[0] += x;
        self.acc[1] += y;
        self.acc[2] += x * x;
        self.acc[3] += y * y;
        self.acc[4] += x * y;
        self.count += 1;
        if self.count == self.sub_len {
            self.end_sub_block();
        }
    }

    /// [`push`](Self::push) for every sample pair of `x` and `y` (equal lengths), with the
    /// sub-block bookkeeping once per run instead of once per sample.
    pub fn push_block(&mut self, x: &[f32], y: &[f32]) {
        let mut i = 0;
        while i < x.len() {
            let run = (self.sub_len - self.count).min(x.len() - i);
            let mut acc = self.acc;
            for (&a, &b) in x[i..i + run].iter().zip(&y[i..i + run]) {
                let (a, b) = (a as f64, b as f64);
                acc[0] += a;
                acc[1] += b;
                acc[2] += a * a;
                acc[3] += b * b;
                acc[4] += a * b;
            }
            self.acc = acc;
            self.count += run;
            i += run;
            if self.count == self.sub_len {
                self.end_sub_block();
            }
        }
    }

    fn end_sub_block(&mut self) {
        self.ring[self.head] = self.acc;
        self.head = (self.head + 1) % CORR_SUBBLOCKS;
        self.filled = (self.filled + 1).min(CORR_SUBBLOCKS);
        self.acc = [0.0; 5];
        self.count = 0;
        self.value = self.compute();
    }

    fn compute(&self) -> f32 {
        let mut s = [0.0f64; 5];
        for block in &self.ring[..self.filled] {
            for (t, v) in s.iter_mut().zip(block) {
                *t += v;
            }
        }
        let n = (self.filled * self.sub_len) as f64;
        let var_x = s[2] - s[0] * s[0] / n;
        let var_y = s[3] - s[1] * s[1] / n;
        let cov = s[4] - s[0] * s[1] / n;
        // -200 dBFS of RMS: below that a channel counts as silent.
        let floor = n * 1e-20;
        if var_x <= floor || var_y <= floor {
            return 0.0;
        }
        (cov / (var_x * var_y).sqrt()).clamp(-1.0, 1.0) as f32
    }

    /// The latest reading, -1 (out of phase) .. +1 (mono).
    pub fn value(&self) -> f32 {
        self.value
    }
}

/// Mid/side width, mono-bass and balance with a correlation meter on the output. Zero latency.
///
/// With one channel the signal passes unchanged (width, mono-bass and balance need two); the
/// meter then reads +1 for any non-silent signal.
#[derive(Debug, Clone)]
pub struct Imager {
    sample_rate: f64,
    width: Smoother,
    gain_l: Smoother,
    gain_r: Smoother,
    mono_bass_mix: Smoother,
    log_freq: Smoother,
    coeffs: [BiquadCoeffs; 2],
    hp: [BiquadState; 4],
    hp_warm: bool,
    clock: u64,
    meter: CorrelationMeter,
    /// Whether the correlation meter runs (see [`set_metering`](Self::set_metering)).
    metering: bool,
}

impl Default for Imager {
    fn default() -> Self {
        Self::new()
    }
}

impl Imager {
    pub fn new() -> Self {
        let mut s = Self {
            sample_rate: 48_000.0,
            width: Smoother::new(1.0),
            gain_l: Smoother::new(1.0),
            gain_r: Smoother::new(1.0),
            mono_bass_mix: Smoother::new(0.0),
            log_freq: Smoother::new(120f64.ln()),
            coeffs: [BiquadCoeffs::IDENTITY; 2],
            hp: [BiquadState::default(); 4],
            hp_warm: false,
            clock: 0,
            meter: CorrelationMeter::default(),
            metering: true,
        };
        s.design();
        s
    }

    pub fn prepare(&mut self, sample_rate: f64, _max_block: usize) {
        self.sample_rate = sample_rate;
        self.width.prepare(sample_rate, RAMP_MS);
        self.gain_l.prepare(sample_rate, RAMP_MS);
        self.gain_r.prepare(sample_rate, RAMP_MS);
        self.mono_bass_mix.prepare(sample_rate, RAMP_MS);
        self.log_freq.prepare(sample_rate, FREQ_RAMP_MS);
        self.meter.prepare(sample_rate);
        self.reset();
    }

    /// Clears filter memories and the meter, and jumps every ramp to its target.
    pub fn reset(&mut self) {
        self.width.reset();
        self.gain_l.reset();
        self.gain_r.reset();
        self.mono_bass_mix.reset();
        self.log_freq.reset();
        self.hp = [BiquadState::default(); 4];
        self.hp_warm = false;
        self.clock = 0;
        self.meter.reset();
        self.design();
    }

    /// Width in percent, 0 (mono) .. 200 (side doubled); 100 is bit-transparent.
    pub fn set_width_percent(&mut self, percent: f64) {
        self.width.set_target(percent.clamp(0.0, 200.0) / 100.0);
    }

    /// Balance, -100 (left) .. 100 (right); 0 is bit-transparent.
    pub fn set_pan(&mut self, pan: f64) {
        let (gl, gr) = balance_gains(pan / 100.0);
        self.gain_l.set_target(gl);
        self.gain_r.set_target(gr);
    }

    pub fn set_mono_bass_on(&mut self, on: bool) {
        self.mono_bass_mix.set_target(if on { 1.0 } else { 0.0 });
    }

    /// Mono-bass crossover in Hz, 20..500.
    pub fn set_mono_bass_freq(&mut self, hz: f64) {
        self.log_freq.set_target(hz.clamp(20.0, 500.0).ln());
    }

    pub fn latency_samples(&self) -> usize {
        0
    }

    /// Runs the correlation meter (`true`, the default) or skips it. The meter only feeds a
    /// display, so a plugin switches it off while its editor is closed; switched back on, it
    /// starts from an empty window and reads the new audio alone, over its full 300 ms once that
    /// much has passed. The audio is the same either way.
    pub fn set_metering(&mut self, on: bool) {
        if on && !self.metering {
            self.meter.reset();
        }
        self.metering = on;
    }

    /// Correlation of the output, -1..1, over the last 300 ms.
    pub fn correlation(&self) -> f32 {
        self.meter.value()
    }

    pub fn meter(&self) -> &CorrelationMeter {
        &self.meter
    }

    fn design(&mut self) {
        let f = self.log_freq.value().exp();
        // 4th-order Butterworth = biquads with Q = 1 / (2 cos(pi/8)) and 1 / (2 cos(3 pi/8)).
        self.coeffs = [
            BiquadCoeffs::rbj_highpass(self.sample_rate, f, 1.0 / (2.0 * (PI / 8.0).cos())),
            BiquadCoeffs::rbj_highpass(self.sample_rate, f, 1.0 / (2.0 * (3.0 * PI / 8.0).cos())),
        ];
    }

    #[inline]
    fn side_highpass(&mut self, x: f64) -> f64 {
        let mut y = x;
        for (i, st) in self.hp.iter_mut().enumerate() {
            y = st.tick(&self.coeffs[i & 1], y);
        }
        y
    }

    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        match channels {
            [mono] => {
                if self.metering {
                    self.meter.push_block(mono, mono);
                }
            }
            [left, right, ..] => {
                if self.is_transparent() {
                    // Exactly what `tick` does at rest with these settings, without four
                    // smoother ticks and the branches per sample.
                    for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                        *l = sanitize(*l);
                        *r = sanitize(*r);
                    }
                    if self.metering {
                        self.meter.push_block(left, right);
                    }
                    self.clock = self.clock.wrapping_add(left.len() as u64);
                    return;
                }
                for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                    let (ol, or) = self.tick(sanitize(*l), sanitize(*r));
                    *l = ol;
                    *r = or;
                }
            }
            [] => {}
        }
    }

    /// Width 100 %, no balance, mono bass off and settled, nothing ramping: the output is the
    /// input, and a block costs a copy (public so tests can check the imager comes back to it).
    pub fn is_transparent(&self) -> bool {
        let rest = |s: &Smoother| !s.is_smoothing();
        rest(&self.width)
            && rest(&self.gain_l)
            && rest(&self.gain_r)
            && rest(&self.mono_bass_mix)
            && rest(&self.log_freq)
            && self.width.value() == 1.0
            && self.gain_l.value() == 1.0
            && self.gain_r.value() == 1.0
            && self.mono_bass_mix.value() <= 0.0
            && !self.hp_warm
    }

    #[inline]
    fn tick(&mut self, l: f32, r: f32) -> (f32, f32) {
        let w = self.width.tick();
        let gl = self.gain_l.tick();
        let gr = self.gain_r.tick();
        let mb = self.mono_bass_mix.tick();
        if self.log_freq.is_smoothing() {
            self.log_freq.tick();
            // On the grid, and once more when the ramp lands, so the final frequency is exact.
            if self.clock.is_multiple_of(COEFF_GRID) || !self.log_freq.is_smoothing() {
                self.design();
            }
        }
        self.clock = self.clock.wrapping_add(1);

        let (mut ol, mut or) = (l, r);
        let mono_bass_active = mb > 0.0 || self.mono_bass_mix.is_smoothing();
        if !mono_bass_active && self.hp_warm {
            // The switch-off ramp has finished: start cold at the next switch-on, where the
            // ramp from the dry side masks the filter's onset. Whatever the width: at 100 % a
            // filter left warm kept the imager off its transparent path for good.
            self.hp = [BiquadState::default(); 4];
            self.hp_warm = false;
        }
        if w != 1.0 || mono_bass_active {
            let mid = 0.5 * (l as f64 + r as f64);
            let side = 0.5 * (l as f64 - r as f64);
            let mut s = side;
            if mono_bass_active {
                let hp = self.side_highpass(side);
                s += mb * (hp - side);
                for st in &mut self.hp {
                    st.flush();
                    if !st.is_finite() {
                        st.reset();
                    }
                }
                self.hp_warm = true;
            }
            s *= w;
            (ol, or) = mono_exact_pair(l, r, mid + s, mid - s);
        }
        if gl != 1.0 {
            ol = (ol as f64 * gl) as f32;
        }
        if gr != 1.0 {
            or = (or as f64 * gr) as f32;
        }
        if self.metering {
            self.meter.push(ol, or);
        }
        (ol, or)
    }
}

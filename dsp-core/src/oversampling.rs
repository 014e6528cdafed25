//! Linear-phase polyphase half-band oversampling, 2x to 16x, for nonlinear processors (saturation,
//! clipping) and true-peak side chains.
//!
//! # Design
//! Each factor of two is one half-band FIR stage, cascaded (the classic multistage design of
//! Crochiere & Rabiner, "Multirate Digital Signal Processing", ch. 5). A half-band filter has
//! every other tap zero except the centre one, so in polyphase form one branch is a plain delay
//! and the other a symmetric FIR: each stage costs only its non-zero taps at the *lower* rate.
//!
//! The filters are Kaiser-windowed sincs designed here at construction time. The audio band is
//! fixed in normalised terms: flat to 0.4535 of the base rate (20 kHz at 44.1 kHz), and every
//! image or alias that would fold into that band is rejected by at least [`STOPBAND_DB`]. The
//! first stage has the narrow transition (0.4535..0.5465 fs) and so the long filter; later
//! stages only have to reject the images of that band around higher multiples of fs, their
//! transition is wide and their filters short. Each stage's length is the shortest that meets
//! the specification when its response is evaluated densely (see [`design_halfband`]).
//!
//! # Latency
//! A linear-phase stage of length `4K+3` delays by `2K+1` samples at its high rate, in each
//! direction. The round trip through stage `k` therefore delays by `(2K+1) / 2^(k-1)` base-rate
//! samples, which is fractional for `k >= 2`; a short integer delay at the highest rate, ahead
//! of the decimators, tops the total up to a whole number of base-rate samples, so
//! [`Oversampler::latency_samples`] is exact and the round trip stays linear phase.

use crate::util::bessel_i0;
use crate::util::sanitize;
use std::f64::consts::PI;

/// Highest supported oversampling exponent (16x).
pub const MAX_FACTOR_LOG2: usize = 4;
/// Upper edge of the band kept flat, as a fraction of the base sample rate (20 kHz / 44.1 kHz).
pub const PASSBAND_EDGE: f64 = 20_000.0 / 44_100.0;
/// Design rejection of images/aliases that fold into the passband, per stage, in dB.
pub const STOPBAND_DB: f64 = 110.0;

/// Outputs computed together by [`fir_block`]: one vector register's worth of accumulators.
const LANES: usize = 8;

/// One half-band stage's polyphase branch: the non-zero even taps `g[j] = 2 h[2j]` (symmetric,
/// `2K+2` of them, summing to 1).
#[derive(Debug, Clone)]
struct HalfbandCoeffs {
    /// Branch taps, oldest-sample-first order (the branch is symmetric, so the same order as
    /// newest-first).
    taps: Vec<f32>,
    /// The same taps scaled by 1/2 for decimation (the half-band's own gain).
    taps_half: Vec<f32>,
    /// `K`: the delay branch taps the input `K` samples back (up) or `K+1` (down).
    k: usize,
}

impl HalfbandCoeffs {
    fn new(k: usize, beta: f64) -> Self {
        let taps: Vec<f32> = halfband_branch(k, beta).iter().map(|&v| v as f32).collect();
        let taps_half = taps.iter().map(|&v| 0.5 * v).collect();
        Self { taps, taps_half, k }
    }

    /// Round-trip delay of this stage in samples at its high rate (`2K+1` each way).
    fn round_trip(&self) -> usize {
        2 * (2 * self.k + 1)
    }
}

/// The non-zero branch of a Kaiser-windowed half-band lowpass of length `4K+3` (cutoff at a
/// quarter of the high rate): `g[j] = 2 h[2j]`, `j = 0..=2K+1`, normalised to unit DC gain so the
/// interpolator passes DC exactly.
fn halfband_branch(k: usize, beta: f64) -> Vec<f64> {
    let n = 4 * k + 3;
    let c = (n - 1) / 2; // 2K+1, odd: the even-indexed taps are the non-zero ones
    let i0b = bessel_i0(beta);
    let mut g: Vec<f64> = (0..=c)
        .map(|j| {
            let i = 2 * j;
            let t = i as f64 - c as f64; // odd
            let sinc = (PI * t / 2.0).sin() / (PI * t / 2.0);
            let r = t / c as f64;
            let w = bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / i0b;
            sinc * w
        })
        .collect();
    let sum: f64 = g.iter().sum();
    for v in &mut g {
        *v /= sum;
    }
    g
}

/// Frequency response magnitude of the full half-band filter (at its high rate, gain 1 at DC) at
/// normalised frequency `f` (cycles per high-rate sample).
fn halfband_response(g: &[f64], f: f64) -> f64 {
    // H(f) = 1/2 [ centre tap 1 ] + 1/2 sum_j g[j] e^{-i 2 pi f (2j - c)}, with c = 2K+1; the
    // branch is symmetric about c/2, so its contribution is real.
    let c = (g.len() - 1) as f64;
    let mut acc = 0.0;
    for (j, &v) in g.iter().enumerate() {
        acc += v * (2.0 * PI * f * (2.0 * j as f64 - c)).cos();
    }
    (0.5 + 0.5 * acc).abs()
}

/// Finds the shortest Kaiser half-band whose passband `[0, pass]` deviates from unity by at most
/// the stopband ripple and whose stopband `[0.5 - pass, 0.5]` is at least [`STOPBAND_DB`] down
/// (`pass` in cycles per high-rate sample). The window's beta follows Kaiser's formula for a
/// slightly higher attenuation so that the length, not the window, is the limiting factor.
/// Returns `(K, beta)`.
fn design_halfband(pass: f64) -> (usize, f64) {
    let target = 10f64.powf(-STOPBAND_DB / 20.0);
    let beta = 0.1102 * (STOPBAND_DB + 5.0 - 8.7);
    let stop = 0.5 - pass;
    for k in 1..400 {
        let g = halfband_branch(k, beta);
        let grid = 256;
        let ok_stop = (0..=grid).all(|i| {
            let f = stop + (0.5 - stop) * i as f64 / grid as f64;
            halfband_response(&g, f) <= target
        });
        let ok_pass = (0..=grid).all(|i| {
            let f = pass * i as f64 / grid as f64;
            (halfband_response(&g, f) - 1.0).abs() <= target
        });
        if ok_stop && ok_pass {
            return (k, beta);
        }
    }
    unreachable!("a half-band meeting the specification exists well below 400 taps")
}

/// `out[i] = sum_j g[j] buf[i + j]`, vectorised across [`LANES`] consecutive outputs (one
/// broadcast multiply-add per tap, no horizontal sums). Every output sums its taps in the same
/// order, in the vector body and in the scalar tail alike, so results do not depend on where a
/// block starts.
#[inline]
pub(crate) fn fir_block(g: &[f32], buf: &[f32], out: &mut [f32]) {
    let n = out.len();
    let p = g.len();
    let mut chunks = out.chunks_exact_mut(LANES);
    for (c, o) in (&mut chunks).enumerate() {
        let win = &buf[c * LANES..c * LANES + p + LANES - 1];
        let mut acc = [0.0f32; LANES];
        for (w, &gj) in win.windows(LANES).zip(g) {
            for l in 0..LANES {
                acc[l] += gj * w[l];
            }
        }
        o.copy_from_slice(&acc);
    }
    let done = n - chunks.into_remainder().len();
    for (i, o) in out[done..].iter_mut().enumerate() {
        let mut acc = 0.0f32;
        for (&x, &gj) in buf[done + i..done + i + p].iter().zip(g) {
            acc += gj * x;
        }
        *o = acc;
    }
}

/// Per-channel, per-stage interpolator state: a linear history buffer `[past | new input]`, so
/// every output is one contiguous dot product.
#[derive(Debug, Clone, Default)]
struct UpState {
    buf: Vec<f32>,
}

impl UpState {
    fn new(coeffs: &HalfbandCoeffs, max_in: usize) -> Self {
        Self {
            buf: vec![0.0; coeffs.taps.len() - 1 + max_in],
        }
    }

    /// `output.len() == 2 * input.len()`, `input.len() <= max_in`.
    fn process(&mut self, c: &HalfbandCoeffs, input: &[f32], output: &mut [f32], tmp: &mut [f32]) {
        let p = c.taps.len();
        let hist = p - 1;
        let n = input.len();
        self.buf[hist..hist + n].copy_from_slice(input);
        let fir = &mut tmp[..n];
        fir_block(&c.taps, &self.buf, fir);
        let delayed = &self.buf[p - 1 - c.k..];
        for ((out, &f), &d) in output.chunks_exact_mut(2).zip(fir.iter()).zip(delayed) {
            out[0] = f;
            out[1] = d;
        }
        self.buf.copy_within(n..n + hist, 0);
    }
}

/// Per-channel, per-stage decimator state: the even and odd input phases in separate linear
/// buffers (the FIR branch runs on the even phase, the delay branch on the odd phase).
#[derive(Debug, Clone, Default)]
struct DownState {
    even: Vec<f32>,
    odd: Vec<f32>,
}

impl DownState {
    fn new(coeffs: &HalfbandCoeffs, max_out: usize) -> Self {
        Self {
            even: vec![0.0; coeffs.taps.len() - 1 + max_out],
            odd: vec![0.0; coeffs.k + 1 + max_out],
        }
    }

    /// `input.len() == 2 * output.len()`, `output.len() <= max_out`.
    fn process(&mut self, c: &HalfbandCoeffs, input: &[f32], output: &mut [f32]) {
        let p = c.taps.len();
        let he = p - 1;
        let ho = c.k + 1;
        let n = output.len();
        for (i, pair) in input.chunks_exact(2).enumerate() {
            self.even[he + i] = pair[0];
            self.odd[ho + i] = pair[1];
        }
        fir_block(&c.taps_half, &self.even, output);
        for (out, &o) in output.iter_mut().zip(&self.odd[..n]) {
            *out += 0.5 * o;
        }
        self.even.copy_within(n..n + he, 0);
        self.odd.copy_within(n..n + ho, 0);
    }
}

/// Integer delay at the highest rate that makes the round-trip latency a whole number of
/// base-rate samples.
#[derive(Debug, Clone, Default)]
struct Delay {
    buf: Vec<f32>,
    len: usize,
}

impl Delay {
    fn new(len: usize, max_block: usize) -> Self {
        Self {
            buf: vec![0.0; len + max_block],
            len,
        }
    }

    fn process(&mut self, data: &mut [f32]) {
        if self.len == 0 {
            return;
        }
        let n = data.len();
        self.buf[self.len..self.len + n].copy_from_slice(data);
        data.copy_from_slice(&self.buf[..n]);
        self.buf.copy_within(n..n + self.len, 0);
    }

    fn reset(&mut self) {
        self.buf.fill(0.0);
    }
}

#[derive(Debug, Clone, Default)]
struct Channel {
    up: Vec<UpState>,
    down: Vec<DownState>,
    /// One compensation delay per factor (index = log2 factor), since each factor needs its own.
    comp: Vec<Delay>,
}

/// Multichannel 2^n oversampler (n = 0..=4): [`upsample`](Self::upsample) to the high rate,
/// process there, [`downsample`](Self::downsample) back. The round trip is linear phase, flat to
/// 20 kHz at 44.1 kHz within 0.001 dB, rejects images and aliases by at least 100 dB and delays
/// by exactly [`latency_samples`](Self::latency_samples) base-rate samples.
#[derive(Debug, Clone)]
pub struct Oversampler {
    max_log2: usize,
    log2: usize,
    stages: Vec<HalfbandCoeffs>,
    channels: Vec<Channel>,
    /// Ping-pong scratch at the highest rate (one chunk), and the interpolators' FIR branch.
    scratch: [Vec<f32>; 2],
    branch: Vec<f32>,
    max_block: usize,
    /// Compensation delay (high-rate samples) and latency (base-rate samples), per factor.
    comp_len: Vec<usize>,
    latency: Vec<usize>,
}

impl Oversampler {
    /// Designs the stages for factors up to `2^max_factor_log2` (clamped to 16x). Allocates;
    /// call [`prepare`](Self::prepare) before processing.
    pub fn new(max_factor_log2: usize) -> Self {
        let max_log2 = max_factor_log2.min(MAX_FACTOR_LOG2);
        let stages: Vec<HalfbandCoeffs> = (1..=max_log2)
            .map(|s| {
                // Stage s runs at 2^s fs: it must keep [0, PASSBAND_EDGE fs] and reject the
                // images of that band around 2^(s-1) fs.
                // Half-band symmetry puts that image edge at 0.5 - pass of the high rate.
                let (k, beta) = design_halfband(PASSBAND_EDGE / (1u32 << s) as f64);
                HalfbandCoeffs::new(k, beta)
            })
            .collect();
        let mut comp_len = vec![0usize; max_log2 + 1];
        let mut latency = vec![0usize; max_log2 + 1];
        for l in 1..=max_log2 {
            let top = 1usize << l;
            let total: usize = (1..=l).map(|s| stages[s - 1].round_trip() << (l - s)).sum();
            latency[l] = total.div_ceil(top);
            comp_len[l] = latency[l] * top - total;
        }
        Self {
            max_log2,
            log2: max_log2,
            stages,
            channels: Vec::new(),
            scratch: [Vec::new(), Vec::new()],
            branch: Vec::new(),
            max_block: 0,
            comp_len,
            latency,
        }
    }

    /// Sizes the per-channel state for `channels` channels and chunks of up to `max_block`
    /// base-rate samples (longer calls are processed in chunks). The design does not depend on
    /// the sample rate: the passband scales with it.
    pub fn prepare(&mut self, max_block: usize, channels: usize) {
        let max_block = max_block.max(1);
        self.max_block = max_block;
        let top = max_block << self.max_log2;
        self.scratch = [vec![0.0; top], vec![0.0; top]];
        self.branch = vec![0.0; top / 2];
        self.channels = (0..channels)
            .map(|_| Channel {
                up: self
                    .stages
                    .iter()
                    .enumerate()
                    .map(|(s, c)| UpState::new(c, max_block << s))
                    .collect(),
                down: self
                    .stages
                    .iter()
                    .enumerate()
                    .map(|(s, c)| DownState::new(c, max_block << s))
                    .collect(),
                comp: self
                    .comp_len
                    .iter()
                    .enumerate()
                    .map(|(l, &d)| Delay::new(d, max_block << l))
                    .collect(),
            })
            .collect();
    }

    /// Clears every filter memory.
    pub fn reset(&mut self) {
        for ch in &mut self.channels {
            for u in &mut ch.up {
                u.buf.fill(0.0);
            }
            for d in &mut ch.down {
                d.even.fill(0.0);
                d.odd.fill(0.0);
            }
            for c in &mut ch.comp {
                c.reset();
            }
        }
    }

    /// Selects the factor `2^log2` (clamped to the designed maximum). Changing the factor
    /// changes the latency and clears the filter memories (a structural change, like a sample
    /// rate change: the host should be told of the new latency).
    pub fn set_factor_log2(&mut self, log2: usize) {
        let log2 = log2.min(self.max_log2);
        if log2 != self.log2 {
            self.log2 = log2;
            self.reset();
        }
    }

    pub fn factor_log2(&self) -> usize {
        self.log2
    }

    pub fn factor(&self) -> usize {
        1 << self.log2
    }

    /// Exact latency of `upsample` followed by `downsample`, in base-rate samples.
    pub fn latency_samples(&self) -> usize {
        self.latency[self.log2]
    }

    /// Interpolates `input` (base rate) into `output` (`factor()` times as long). NaN and
    /// infinities are replaced by silence on the way in.
    pub fn upsample(&mut self, ch: usize, input: &[f32], output: &mut [f32]) {
        let l = self.log2;
        assert_eq!(
            output.len(),
            input.len() << l,
            "output must be factor x input"
        );
        if l == 0 {
            for (o, &i) in output.iter_mut().zip(input) {
                *o = sanitize(i);
            }
            return;
        }
        let state = &mut self.channels[ch];
        let [a, b] = &mut self.scratch;
        for (cin, cout) in input
            .chunks(self.max_block)
            .zip(output.chunks_mut(self.max_block << l))
        {
            let n = cin.len();
            for (d, &s) in a[..n].iter_mut().zip(cin) {
                *d = sanitize(s);
            }
            // Stage s reads n << s samples from one scratch and writes n << (s+1) to the other;
            // the last stage writes straight into the output.
            let (mut src, mut dst) = (&mut *a, &mut *b);
            for s in 0..l {
                let len_in = n << s;
                let (c, tmp) = (&self.stages[s], &mut self.branch[..]);
                if s + 1 == l {
                    state.up[s].process(c, &src[..len_in], cout, tmp);
                } else {
                    state.up[s].process(c, &src[..len_in], &mut dst[..2 * len_in], tmp);
                    std::mem::swap(&mut src, &mut dst);
                }
            }
        }
    }

    /// Decimates `input` (`factor()` times the base rate) into `output` (base rate). NaN and
    /// infinities are replaced by silence on the way in.
    pub fn downsample(&mut self, ch: usize, input: &[f32], output: &mut [f32]) {
        let l = self.log2;
        assert_eq!(
            input.len(),
            output.len() << l,
            "input must be factor x output"
        );
        if l == 0 {
            for (o, &i) in output.iter_mut().zip(input) {
                *o = sanitize(i);
            }
            return;
        }
        let state = &mut self.channels[ch];
        let [a, b] = &mut self.scratch;
        for (cin, cout) in input
            .chunks(self.max_block << l)
            .zip(output.chunks_mut(self.max_block))
        {
            let n = cout.len();
            let top = n << l;
            for (d, &s) in a[..top].iter_mut().zip(cin) {
                *d = sanitize(s);
            }
            state.comp[l].process(&mut a[..top]);
            let (mut src, mut dst) = (&mut *a, &mut *b);
            for s in (0..l).rev() {
                let len_out = n << s;
                if s == 0 {
                    state.down[s].process(&self.stages[s], &src[..2 * len_out], cout);
                } else {
                    state.down[s].process(
                        &self.stages[s],
                        &src[..2 * len_out],
                        &mut dst[..len_out],
                    );
                    std::mem::swap(&mut src, &mut dst);
                }
            }
        }
    }

    /// Non-zero taps per stage (first = the stage next to the base rate), for documentation and
    /// cost estimates.
    pub fn stage_taps(&self) -> Vec<usize> {
        self.stages.iter().map(|c| 2 * c.k + 2).collect()
    }
}

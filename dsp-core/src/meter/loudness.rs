//! Loudness per ITU-R BS.1770-4 and EBU R 128 (Tech 3341 "EBU mode", Tech 3342 loudness range).
//!
//! # Signal path
//! Each channel is K-weighted (a high shelf that models the head, then the RLB high-pass), squared
//! and weighted by its channel gain `G_i` (1.0 for L, R, C; 1.41 for the surrounds; BS.1770-4
//! Table 3). The weighted mean square `z` over a window gives `L = -0.691 + 10 log10(z)` LUFS.
//!
//! # Time grid
//! Everything runs on a grid counted in samples since `reset`, so readings are bit-identical
//! however the host cuts the stream into blocks:
//! - a *hop* is 100 ms (`round(fs / 10)` samples): the 75 % overlap step of the 400 ms gating
//!   blocks (BS.1770-4 Annex 1) and the 10 Hz rate of the short-term values used for the
//!   loudness range (Tech 3342);
//! - a *tick* is the smallest divisor of the hop that is at least 0.5 ms. Momentary (400 ms) and
//!   short-term (3 s) windows slide tick by tick, so their maxima are found to within one tick
//!   (0.5 to 0.7 ms at the standard rates) of the true alignment. Tone bursts need not start on
//!   the 100 ms grid, and on that grid alone a 400 ms burst could read up to 1.2 LU low.
//!
//! # Integrated loudness and loudness range for hours, without allocation
//! Gating needs the whole history of block loudness. As libebur128's histogram mode does, every
//! block is filed into a fixed histogram of 0.01 LU bins from -70 to +10 LUFS; each bin keeps its
//! block count and the exact sum of its blocks' energies. The means over gated blocks are
//! therefore exact; only the relative gate's decision for blocks in the same 0.01 LU bin as the
//! threshold, and LRA's percentiles, are quantised to the bin.
//!
//! Each histogram is also kept as two Fenwick trees (counts and energies; Fenwick, "A new data
//! structure for cumulative frequency tables", 1994), so a readout of the integrated loudness or
//! the loudness range costs O(log bins) instead of a pass over 8000 bins, and a host can poll
//! them every block.
//!
//! # K-weighting as a short recursion, four channels a vector
//! The transposed direct form II biquad carries `s1 -> y -> a1 y -> s1'` from one sample to the
//! next: four dependent operations, about 16 cycles a sample and stage, which bounds the meter
//! however many execution units are free. Substituting `y = b0 x + s1` into the state update
//! gives the same filter in state-space form,
//!
//! ```text
//! y   = b0 x + s1
//! s1' = (b1 - a1 b0) x + s2 - a1 s1
//! s2' = (b2 - a2 b0) x      - a2 s1
//! ```
//!
//! whose carried path is one multiply and one subtraction (`s2` is ready a sample early). It
//! stays in `f64`: the RLB high-pass sits near 38 Hz, whose poles at 192 kHz are within 1e-3 of
//! `z = 1`. Channels run as lanes of one vector (`KBank`): a stereo meter's two channels, or,
//! through [`LoudnessMeter::process_pair`], a stereo input meter and a stereo output meter as
//! four lanes, compiled for AVX2 where the CPU has it ([`crate::simd::dispatch`]). Every lane
//! does the same operations in the same order whatever it shares a vector with, so the joint
//! pass reads bit-identically to two separate meters.

use crate::filter::BiquadCoeffs;
use crate::util::flush;
use std::f64::consts::PI;
use std::ops::AddAssign;

/// BS.1770-4 Table 1: the stage-1 pre-filter (high shelf) at 48 kHz.
pub const PRE_FILTER_48K: BiquadCoeffs = BiquadCoeffs {
    b0: 1.535_124_859_586_97,
    b1: -2.691_696_189_406_38,
    b2: 1.198_392_810_852_85,
    a1: -1.690_659_293_182_41,
    a2: 0.732_480_774_215_85,
};

/// BS.1770-4 Table 2: the stage-2 RLB high-pass at 48 kHz.
pub const RLB_FILTER_48K: BiquadCoeffs = BiquadCoeffs {
    b0: 1.0,
    b1: -2.0,
    b2: 1.0,
    a1: -1.990_047_454_833_98,
    a2: 0.990_072_250_366_21,
};

/// The sample rate the standard's coefficients are published for.
const REFERENCE_RATE: f64 = 48_000.0;

/// BS.1770-4 equation (2): the -0.691 dB offset makes a 997 Hz full-scale sine in one channel
/// read -3.01 LKFS, cancelling the K-filter's gain at 1 kHz.
const LUFS_OFFSET: f64 = -0.691;

/// Absolute gate of BS.1770-4 Annex 1 and Tech 3342.
pub const ABSOLUTE_GATE_LUFS: f64 = -70.0;
/// Relative gate of the integrated loudness (BS.1770-4).
pub const INTEGRATED_RELATIVE_GATE_LU: f64 = -10.0;
/// Relative gate of the loudness range (Tech 3342).
pub const LRA_RELATIVE_GATE_LU: f64 = -20.0;

/// Histogram resolution; the integrated value is exact and LRA exact to this step.
pub const HISTOGRAM_BIN_LU: f64 = 0.01;
/// Bins from the absolute gate up to +10 LUFS; louder blocks (only reachable with several
/// channels near full scale) share the top bin but still count with their exact energy.
const HISTOGRAM_BINS: usize = 8000;

/// Hops in a momentary (400 ms) and a short-term (3 s) window.
const MOMENTARY_HOPS: usize = 4;
const SHORT_TERM_HOPS: usize = 30;

/// The most channels a meter takes (7.1).
pub const MAX_CHANNELS: usize = 8;

/// Loudness of a channel-weighted mean square (BS.1770-4 eq. 2). Silence reads
/// [`SILENCE_LUFS`] rather than `-inf`, as everywhere in the crate (see `util::gain_to_db`).
#[inline]
pub fn lufs_from_energy(z: f64) -> f64 {
    LUFS_OFFSET + 10.0 * z.max(SILENCE_ENERGY).log10()
}

const SILENCE_ENERGY: f64 = 1e-30;
/// The reading of silence, and of the integrated loudness before any block passed the gates.
pub const SILENCE_LUFS: f64 = LUFS_OFFSET - 300.0;

/// A second-order analog section `H(s) = (n2 s^2 + n1 s + n0) / (d2 s^2 + d1 s + d0)` with `s`
/// normalised so that its poles have unit natural frequency; `f0_hz` is the pole frequency on
/// the digital frequency axis (the bilinear transform's pre-warping frequency).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalogSection {
    pub f0_hz: f64,
    pub q: f64,
    /// Gain as `s -> 0` (DC).
    pub dc_gain: f64,
    /// Gain as `s -> inf` (the high shelf's plateau, 1.58 = +4 dB for the pre-filter).
    pub hf_gain: f64,
    num: [f64; 3],
    den: [f64; 3],
}

impl AnalogSection {
    /// Recovers the analog prototype of a digital biquad by inverting the bilinear transform:
    /// with `z^-1 = (1 - u) / (1 + u)`, `u = s / (2 fs)`, the numerator becomes
    /// `(b0 - b1 + b2) u^2 + 2 (b0 - b2) u + (b0 + b1 + b2)` and likewise the denominator. Any
    /// biquad is the bilinear image of exactly one analog biquad, so nothing is fitted.
    pub fn from_digital(c: &BiquadCoeffs, sample_rate: f64) -> Self {
        let num_u = [c.b0 + c.b1 + c.b2, 2.0 * (c.b0 - c.b2), c.b0 - c.b1 + c.b2];
        let den_u = [1.0 + c.a1 + c.a2, 2.0 * (1.0 - c.a2), 1.0 - c.a1 + c.a2];
        // Pole natural frequency in u; rescale u = u0 p so the poles sit at |p| = 1.
        let u0 = (den_u[0] / den_u[2]).sqrt();
        let scale = |v: [f64; 3]| [v[0], v[1] * u0, v[2] * u0 * u0];
        let (num, den) = (scale(num_u), scale(den_u));
        Self {
            f0_hz: sample_rate / PI * u0.atan(),
            q: (den[0] * den[2]).sqrt() / den[1],
            dc_gain: num[0] / den[0],
            hf_gain: num[2] / den[2],
            num,
            den,
        }
    }

    /// Bilinear transform at `sample_rate`, pre-warped so the pole frequency `f0_hz` lands
    /// where it was: `p = (1 - z^-1) / (K (1 + z^-1))`, `K = tan(pi f0 / fs)`. This is the
    /// design libebur128 uses (f0, Q and gains of each stage, recomputed per rate); at the
    /// reference rate it reproduces the published coefficients.
    pub fn to_digital(&self, sample_rate: f64) -> BiquadCoeffs {
        let k = (PI * (self.f0_hz / sample_rate).min(0.499)).tan();
        // Multiply through by K^2 (1 + z^-1)^2.
        let poly = |v: [f64; 3]| {
            let (c0, c1, c2) = (v[0] * k * k, v[1] * k, v[2]);
            [c2 + c1 + c0, 2.0 * (c0 - c2), c2 - c1 + c0]
        };
        let (b, a) = (poly(self.num), poly(self.den));
        BiquadCoeffs {
            b0: b[0] / a[0],
            b1: b[1] / a[0],
            b2: b[2] / a[0],
            a1: a[1] / a[0],
            a2: a[2] / a[0],
        }
    }
}

/// The analog prototypes of BS.1770's two K-weighting stages, recovered from the 48 kHz
/// coefficients (the only numbers the standard publishes): `[pre-filter shelf, RLB high-pass]`.
pub fn k_weighting_prototypes() -> [AnalogSection; 2] {
    [
        AnalogSection::from_digital(&PRE_FILTER_48K, REFERENCE_RATE),
        AnalogSection::from_digital(&RLB_FILTER_48K, REFERENCE_RATE),
    ]
}

/// K-weighting `[pre-filter, RLB]` biquads for any sample rate.
pub fn k_weighting(sample_rate: f64) -> [BiquadCoeffs; 2] {
    k_weighting_prototypes().map(|p| p.to_digital(sample_rate))
}

/// One K-weighting biquad in the state-space form of the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
struct KStage {
    b0: f64,
    /// `b1 - a1 b0` and `b2 - a2 b0`: the input's path into the states once `y` is substituted.
    c1: f64,
    c2: f64,
    a1: f64,
    a2: f64,
}

impl KStage {
    fn new(c: &BiquadCoeffs) -> Self {
        Self {
            b0: c.b0,
            c1: c.b1 - c.a1 * c.b0,
            c2: c.b2 - c.a2 * c.b0,
            a1: c.a1,
            a2: c.a2,
        }
    }

    /// One sample through the stage in every lane; `x` becomes the output.
    #[inline(always)]
    fn tick(&self, x: &mut [f64; LANES], s1: &mut [f64; LANES], s2: &mut [f64; LANES]) {
        for l in 0..LANES {
            let y = self.b0 * x[l] + s1[l];
            let next = (self.c1 * x[l] + s2[l]) - self.a1 * s1[l];
            s2[l] = self.c2 * x[l] - self.a2 * s1[l];
            s1[l] = next;
            x[l] = y;
        }
    }
}

/// Channels a [`KBank`] holds: one 256-bit vector of `f64` (two 128-bit ones without AVX2).
const LANES: usize = 4;

/// Samples widened per pass of [`KBank::run`].
const K_CHUNK: usize = 64;

/// Tick ends one [`KBank::run`] records at most; the meter cuts longer blocks into spans of at
/// most `MAX_TICK_ENDS / 2` ticks (two meters' ticks in the joint pass end at different samples).
const MAX_TICK_ENDS: usize = 64;

/// A tick end inside [`KBank::run`]: the four lanes' sums at that sample, and which lanes' ticks
/// closed there (their sums are those ticks' energies; the other lanes' run on).
#[derive(Debug, Clone, Copy, Default)]
struct TickEnd {
    acc: [f64; LANES],
    closed: [bool; LANES],
}

/// Four channels' K-filter memories (`[s1, s2]` of the pre-filter, then of the RLB high-pass)
/// and tick sums, lane by lane. A meter with fewer channels still runs all four lanes, the
/// spare ones on a copy of its first channel: a vector costs the same however many lanes are
/// read, and a lane whose result is dropped would let the compiler shrink the vector back to
/// scalar code.
#[derive(Debug, Clone, Copy, Default)]
struct KBank {
    s: [[f64; LANES]; 4],
    acc: [f64; LANES],
}

impl KBank {
    /// K-weights `x[l]` (all the same length) in lane `l` and adds the squares to its sum. Lane
    /// `l`'s tick ends `to_end[l]` samples in and then every `tick_len[l]` samples: there its
    /// sum is recorded in `ends` and restarts, and its memories are flushed of denormals.
    /// Returns the number of entries of `ends` written; `to_end` is left counting from the end
    /// of the block.
    ///
    /// One pass over the block, where a pass per tick reloaded the memories and widened 24
    /// samples at a time: the tick ends only break the filter loop (at the samples where those
    /// passes ended, so every lane does the same operations in the same order), and each tick
    /// is closed by the meter afterwards from its recorded sums. The four inputs are widened
    /// [`K_CHUNK`] samples at a time, `[a, b, c, d]` per sample, which the compiler turns into
    /// vector loads and a 4x4 transpose: one store a sample, where filling each lane of the
    /// frames in turn cost four.
    #[inline(always)]
    fn run(
        &mut self,
        k: &[KStage; 2],
        x: [&[f32]; LANES],
        tick_len: [usize; LANES],
        to_end: &mut [usize; LANES],
        ends: &mut [TickEnd; MAX_TICK_ENDS],
    ) -> usize {
        let len = x.iter().map(|c| c.len()).min().unwrap_or(0);
        let mut n_ends = 0;
        let mut pos = 0;
        let mut frames = [[0.0f64; LANES]; K_CHUNK];
        while pos < len {
            let n = (len - pos).min(K_CHUNK);
            let r = pos..pos + n;
            let samples = x[0][r.clone()]
                .iter()
                .zip(&x[1][r.clone()])
                .zip(&x[2][r.clone()])
                .zip(&x[3][r]);
            for (f, (((&a, &b), &c), &d)) in frames.iter_mut().zip(samples) {
                *f = [a, b, c, d].map(f64::from);
            }
            let mut i = 0;
            while i < n {
                let seg = to_end.iter().fold(n - i, |m, &t| m.min(t));
                self.filter(k, &frames[i..i + seg]);
                i += seg;
                for t in to_end.iter_mut() {
                    *t -= seg;
                }
                if to_end.contains(&0) {
                    let closed = to_end.map(|t| t == 0);
                    ends[n_ends] = TickEnd {
                        acc: self.acc,
                        closed,
                    };
                    n_ends += 1;
                    for l in 0..LANES {
                        if closed[l] {
                            to_end[l] = tick_len[l];
                        }
                    }
                    // Lane-wise selects, so the memories stay whole vectors: written lane by
                    // lane they cost a store-forwarding stall when the filter reloads them.
                    self.acc = std::array::from_fn(|l| if closed[l] { 0.0 } else { self.acc[l] });
                    // Flushing on the tick grid keeps the K-filters out of denormals without a
                    // per-sample branch, and stays block-partition independent.
                    self.s = self.s.map(|s| {
                        std::array::from_fn(|l| if closed[l] { flush(s[l]) } else { s[l] })
                    });
                }
            }
            pos += n;
        }
        n_ends
    }

    /// The K-filters and sums over `frames`, with the memories in registers.
    #[inline(always)]
    fn filter(&mut self, k: &[KStage; 2], frames: &[[f64; LANES]]) {
        let [mut s1a, mut s2a, mut s1b, mut s2b] = self.s;
        let mut acc = self.acc;
        for f in frames {
            // `util::sanitize` on the widened value (finite in `f32` is finite in `f64`), as
            // a select the vector can do.
            let mut v = f.map(|v| if v.abs() <= f64::MAX { v } else { 0.0 });
            k[0].tick(&mut v, &mut s1a, &mut s2a);
            k[1].tick(&mut v, &mut s1b, &mut s2b);
            for l in 0..LANES {
                acc[l] += v[l] * v[l];
            }
        }
        self.s = [s1a, s2a, s1b, s2b];
        self.acc = acc;
    }

    /// Takes lanes 0 and 1 of `other` (a second stereo meter) into this stereo meter's spare
    /// lanes 2 and 3, in memory: the recursion then loads each state as one four-lane vector.
    /// (Assembled in registers from two halves, the compiler keeps the halves apart and runs
    /// two 128-bit vectors.)
    #[inline(always)]
    fn borrow_lanes(&mut self, other: &Self) {
        for (s, o) in self.s.iter_mut().zip(&other.s) {
            s[2] = o[0];
            s[3] = o[1];
        }
        self.acc[2] = other.acc[0];
        self.acc[3] = other.acc[1];
    }

    /// Hands lanes 2 and 3 back to `other` after [`borrow_lanes`](Self::borrow_lanes).
    #[inline(always)]
    fn return_lanes(&self, other: &mut Self) {
        for (s, o) in self.s.iter().zip(&mut other.s) {
            o[0] = s[2];
            o[1] = s[3];
        }
        other.acc[0] = self.acc[2];
        other.acc[1] = self.acc[3];
    }
}

/// One call of [`LoudnessMeter::process`], for [`crate::simd::dispatch`].
struct Single<'a, 'b, 'c>(&'a mut LoudnessMeter, &'b [&'c [f32]]);

impl crate::simd::Kernel for Single<'_, '_, '_> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        self.0.process_block(self.1)
    }
}

/// One call of [`LoudnessMeter::process_pair`], for [`crate::simd::dispatch`].
struct Pair<'a, 'b, 'c>([&'a mut LoudnessMeter; 2], [&'b [&'c [f32]]; 2]);

impl crate::simd::Kernel for Pair<'_, '_, '_> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let Pair([a, b], [xa, xb]) = self;
        LoudnessMeter::process_pair_block(a, xa, b, xb)
    }
}

/// Default BS.1770-4 channel weights (Annex 1, Table 3) for the layouts whose channel order is
/// unambiguous: 5 channels are L R C Ls Rs, 6 channels are 5.1 in WAV/SMPTE order
/// L R C LFE Ls Rs (the LFE is excluded). Other counts start at 1.0 for every channel; 7.1
/// orders differ between formats, so its side/rear weights are left to `set_channel_weight`.
fn default_weight(channels: usize, ch: usize) -> f64 {
    const SURROUND: f64 = 1.41;
    match (channels, ch) {
        (5, 3 | 4) | (6, 4 | 5) => SURROUND,
        (6, 3) => 0.0,
        _ => 1.0,
    }
}

/// Sums over a prefix of the histogram's bins with O(log bins) updates and queries: a Fenwick
/// tree, one-based, node `i` holding the bins `i - lowbit(i) .. i`.
#[derive(Debug, Clone)]
struct Fenwick<T> {
    tree: Vec<T>,
}

impl<T: Copy + Default + AddAssign> Fenwick<T> {
    fn new() -> Self {
        Self {
            tree: vec![T::default(); HISTOGRAM_BINS + 1],
        }
    }

    fn clear(&mut self) {
        self.tree.fill(T::default());
    }

    fn add(&mut self, bin: usize, v: T) {
        let mut i = bin + 1;
        while i <= HISTOGRAM_BINS {
            self.tree[i] += v;
            i += i & i.wrapping_neg();
        }
    }

    /// Sum of the bins `0..end`.
    fn prefix(&self, end: usize) -> T {
        let mut sum = T::default();
        let mut i = end;
        while i > 0 {
            sum += self.tree[i];
            i &= i - 1;
        }
        sum
    }
}

impl Fenwick<u64> {
    /// The bin that holds the block of 0-based `rank` in bin order: the last `pos` with
    /// `prefix(pos) <= rank`, found by descending the tree's powers of two.
    fn bin_of_rank(&self, rank: u64) -> usize {
        let mut pos = 0;
        let mut rest = rank;
        let mut step = 1 << HISTOGRAM_BINS.ilog2();
        while step > 0 {
            let next = pos + step;
            if next <= HISTOGRAM_BINS && self.tree[next] <= rest {
                pos = next;
                rest -= self.tree[next];
            }
            step >>= 1;
        }
        pos.min(HISTOGRAM_BINS - 1)
    }
}

/// Block loudness distribution with a fixed memory footprint (see the module documentation).
#[derive(Debug, Clone)]
struct Histogram {
    count: Fenwick<u64>,
    energy: Fenwick<f64>,
    total_count: u64,
    total_energy: f64,
}

impl Histogram {
    fn new() -> Self {
        Self {
            count: Fenwick::new(),
            energy: Fenwick::new(),
            total_count: 0,
            total_energy: 0.0,
        }
    }

    fn clear(&mut self) {
        self.count.clear();
        self.energy.clear();
        self.total_count = 0;
        self.total_energy = 0.0;
    }

    fn bin_of(l: f64) -> usize {
        (((l - ABSOLUTE_GATE_LUFS) / HISTOGRAM_BIN_LU)
            .floor()
            .max(0.0) as usize)
            .min(HISTOGRAM_BINS - 1)
    }

    fn bin_centre(b: usize) -> f64 {
        ABSOLUTE_GATE_LUFS + (b as f64 + 0.5) * HISTOGRAM_BIN_LU
    }

    /// Files a block; blocks at or below the absolute gate are dropped (BS.1770-4: `l_j > -70`).
    fn add(&mut self, z: f64) {
        let l = lufs_from_energy(z);
        if l > ABSOLUTE_GATE_LUFS {
            let b = Self::bin_of(l);
            self.count.add(b, 1);
            self.energy.add(b, z);
            self.total_count += 1;
            self.total_energy += z;
        }
    }

    /// First bin above the relative gate `relative_lu` below the mean of the absolute-gated
    /// blocks, or `None` when no block passed the absolute gate.
    fn relative_gate_start(&self, relative_lu: f64) -> Option<usize> {
        if self.total_count == 0 {
            return None;
        }
        let gate = lufs_from_energy(self.total_energy / self.total_count as f64) + relative_lu;
        if gate < ABSOLUTE_GATE_LUFS {
            return Some(0);
        }
        let b = Self::bin_of(gate);
        Some(if Self::bin_centre(b) > gate { b } else { b + 1 })
    }

    /// Block count and energy sum of the blocks that pass both gates. The blocks below the
    /// relative gate hold less than a tenth of the total energy (their loudness is at least
    /// 10 LU under the mean), so taking their sum from the total loses no precision.
    fn gated(&self, relative_lu: f64) -> Option<(u64, f64)> {
        let start = self.relative_gate_start(relative_lu)?;
        Some((
            self.total_count - self.count.prefix(start),
            self.total_energy - self.energy.prefix(start),
        ))
    }

    /// Nearest-rank percentiles `p` (0..1) of the blocks that pass both gates, as bin centres
    /// (Tech 3342's reference pseudocode), or `None` with fewer than two such blocks.
    fn gated_percentiles<const P: usize>(&self, relative_lu: f64, p: [f64; P]) -> Option<[f64; P]> {
        let start = self.relative_gate_start(relative_lu)?;
        let below = self.count.prefix(start);
        let n = self.total_count - below;
        (n >= 2).then(|| {
            p.map(|p| {
                let rank = ((n - 1) as f64 * p).round() as u64;
                Self::bin_centre(self.count.bin_of_rank(below + rank))
            })
        })
    }
}

/// A tick's energy: its channels' sums of squares `sums` (in channel order) weighted by `G_i`.
#[inline(always)]
fn tick_energy(weights: &[f64], sums: &[f64]) -> f64 {
    let mut e = 0.0;
    for (w, s) in weights.iter().zip(sums) {
        e += w * s;
    }
    e
}

/// Streaming loudness meter: momentary, short-term, integrated (gated) loudness and loudness
/// range, for 1 to [`MAX_CHANNELS`] channels at any sample rate.
#[derive(Debug, Clone)]
pub struct LoudnessMeter {
    channels: usize,
    weights: Vec<f64>,
    k: [KStage; 2],
    /// Channel `ch` is lane `ch % 4` of bank `ch / 4`. Its tick sum is the unweighted sum of
    /// its squared K-weighted samples, so the per-sample summation order never depends on block
    /// boundaries.
    banks: Vec<KBank>,
    /// Each bank's tick ends of one pass ([`KBank::run`]), closed after it.
    ends: Box<[[TickEnd; MAX_TICK_ENDS]; MAX_CHANNELS / LANES]>,
    hop_len: usize,
    tick_len: usize,
    ticks_per_hop: usize,
    tick_pos: usize,
    ticks_in_hop: usize,
    /// The last 3 s of tick energies (zeros before the stream began: silence).
    tick_ring: Vec<f64>,
    tick_idx: usize,
    hop_acc: f64,
    hop_ring: [f64; SHORT_TERM_HOPS],
    hop_idx: usize,
    hops_done: u64,
    momentary_sum: f64,
    short_term_sum: f64,
    max_momentary_sum: f64,
    max_short_term_sum: f64,
    gating_blocks: Histogram,
    short_term_values: Histogram,
}

impl Default for LoudnessMeter {
    fn default() -> Self {
        Self::new()
    }
}

impl LoudnessMeter {
    /// An unprepared meter; call [`prepare`](Self::prepare) before processing.
    pub fn new() -> Self {
        let mut m = Self {
            channels: 0,
            weights: Vec::new(),
            k: k_weighting(REFERENCE_RATE).map(|c| KStage::new(&c)),
            banks: Vec::new(),
            ends: Box::new([[TickEnd::default(); MAX_TICK_ENDS]; MAX_CHANNELS / LANES]),
            hop_len: 1,
            tick_len: 1,
            ticks_per_hop: 1,
            tick_pos: 0,
            ticks_in_hop: 0,
            tick_ring: Vec::new(),
            tick_idx: 0,
            hop_acc: 0.0,
            hop_ring: [0.0; SHORT_TERM_HOPS],
            hop_idx: 0,
            hops_done: 0,
            momentary_sum: 0.0,
            short_term_sum: 0.0,
            max_momentary_sum: 0.0,
            max_short_term_sum: 0.0,
            gating_blocks: Histogram::new(),
            short_term_values: Histogram::new(),
        };
        m.prepare(REFERENCE_RATE, 0, 2);
        m
    }

    /// Sizes the meter for `channels` (1..=8) at `sample_rate`; resets all readings and the
    /// channel weights to BS.1770's defaults for that channel count. `_max_block` is accepted
    /// for the common processor shape: the meter has no scratch buffers, any block length works.
    pub fn prepare(&mut self, sample_rate: f64, _max_block: usize, channels: usize) {
        let channels = channels.clamp(1, MAX_CHANNELS);
        self.channels = channels;
        self.weights = (0..channels)
            .map(|ch| default_weight(channels, ch))
            .collect();
        self.k = k_weighting(sample_rate).map(|c| KStage::new(&c));
        self.banks = vec![KBank::default(); channels.div_ceil(LANES)];
        self.hop_len = (sample_rate / 10.0).round().max(1.0) as usize;
        let min_tick = ((sample_rate / 2000.0).ceil() as usize).max(1);
        self.tick_len = (min_tick..=self.hop_len)
            .find(|&d| self.hop_len.is_multiple_of(d))
            .unwrap_or(self.hop_len);
        self.ticks_per_hop = self.hop_len / self.tick_len;
        self.tick_ring = vec![0.0; SHORT_TERM_HOPS * self.ticks_per_hop];
        self.reset();
    }

    /// Clears all signal state and readings (integrated and LRA histories included); keeps the
    /// sample rate, channel count and weights.
    pub fn reset(&mut self) {
        self.banks.fill(KBank::default());
        self.tick_pos = 0;
        self.ticks_in_hop = 0;
        self.tick_ring.fill(0.0);
        self.tick_idx = 0;
        self.hop_acc = 0.0;
        self.hop_ring = [0.0; SHORT_TERM_HOPS];
        self.hop_idx = 0;
        self.hops_done = 0;
        self.momentary_sum = 0.0;
        self.short_term_sum = 0.0;
        self.max_momentary_sum = 0.0;
        self.max_short_term_sum = 0.0;
        self.gating_blocks.clear();
        self.short_term_values.clear();
    }

    /// Sets channel `ch`'s BS.1770 weight `G_i` (linear power weight; 1.41 for surrounds, 0 to
    /// exclude a channel). Applies from the tick in progress on.
    pub fn set_channel_weight(&mut self, ch: usize, weight: f64) {
        if let Some(w) = self.weights.get_mut(ch) {
            *w = weight.max(0.0);
        }
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Measures one block (read-only: a meter never touches the audio). Uses the first
    /// `channels` slices; all slices must have the same length. Never allocates.
    pub fn process(&mut self, channels: &[&[f32]]) {
        crate::simd::dispatch(Single(self, channels));
    }

    /// Measures `a_in` with `a` and `b_in` with `b` (blocks of the same length), with the
    /// readings of `a.process(a_in); b.process(b_in)` to the bit. Two stereo meters with the same
    /// K-filters (the same rate: a plugin's input and output meters) run as one four-lane pass,
    /// which filters all four lanes with `a`'s coefficients; any other pair runs one meter after
    /// the other.
    pub fn process_pair(
        a: &mut LoudnessMeter,
        a_in: &[&[f32]],
        b: &mut LoudnessMeter,
        b_in: &[&[f32]],
    ) {
        let stereo = |m: &LoudnessMeter, x: &[&[f32]]| m.channels == 2 && x.len() >= 2;
        if stereo(a, a_in) && stereo(b, b_in) && a.k == b.k {
            crate::simd::dispatch(Pair([a, b], [a_in, b_in]));
        } else {
            a.process(a_in);
            b.process(b_in);
        }
    }

    #[inline(always)]
    fn process_block(&mut self, channels: &[&[f32]]) {
        let n_ch = channels.len().min(self.channels);
        let len = channels.first().map_or(0, |c| c.len());
        // Every lane closes a tick at the same samples: at most `MAX_TICK_ENDS / 2` per span.
        let span_max = MAX_TICK_ENDS / 2 * self.tick_len;
        let mut pos = 0;
        while pos < len {
            let span = (len - pos).min(span_max);
            let mut n_ends = 0;
            let mut to_end = [0; LANES];
            for (b, (bank, ends)) in self.banks.iter_mut().zip(self.ends.iter_mut()).enumerate() {
                let first = b * LANES;
                let x = std::array::from_fn(|l| {
                    let ch = if first + l < n_ch {
                        first + l
                    } else {
                        first.min(n_ch - 1)
                    };
                    &channels[ch][pos..pos + span]
                });
                let before = *bank;
                to_end = [self.tick_len - self.tick_pos; LANES];
                n_ends = bank.run(&self.k, x, [self.tick_len; LANES], &mut to_end, ends);
                // A channel the caller left out is not measured: its lane ran on a copy, so it
                // gets back its memories (flushed at the first tick end, as every lane's are)
                // and its sum, which closes the first tick and is zero after it.
                let absent = if n_ch < self.channels {
                    n_ch.saturating_sub(first).min(LANES)..LANES
                } else {
                    0..0
                };
                for l in absent {
                    let closed = n_ends > 0;
                    for (s, was) in bank.s.iter_mut().zip(&before.s) {
                        s[l] = if closed { flush(was[l]) } else { was[l] };
                    }
                    bank.acc[l] = if closed { 0.0 } else { before.acc[l] };
                    for (t, end) in ends[..n_ends].iter_mut().enumerate() {
                        end.acc[l] = if t == 0 { before.acc[l] } else { 0.0 };
                    }
                }
            }
            let mut energy = [0.0; MAX_TICK_ENDS];
            for (t, e) in energy[..n_ends].iter_mut().enumerate() {
                let sums: [f64; MAX_CHANNELS] =
                    std::array::from_fn(|ch| self.ends[ch / LANES][t].acc[ch % LANES]);
                *e = tick_energy(&self.weights, &sums);
            }
            self.end_ticks(&energy[..n_ends]);
            self.tick_pos = self.tick_len - to_end[0];
            pos += span;
        }
    }

    /// The joint pass of [`process_pair`](Self::process_pair): `a`'s channels in lanes 0 and 1,
    /// `b`'s in lanes 2 and 3, each pair of lanes closing its meter's ticks.
    #[inline(always)]
    fn process_pair_block(a: &mut Self, a_in: &[&[f32]], b: &mut Self, b_in: &[&[f32]]) {
        let len = a_in[0].len().min(b_in[0].len());
        // Each meter closes at most `MAX_TICK_ENDS / 2` ticks per span.
        let span_max = MAX_TICK_ENDS / 2 * a.tick_len.min(b.tick_len);
        let mut pos = 0;
        while pos < len {
            let span = (len - pos).min(span_max);
            let r = pos..pos + span;
            let (bank, other) = (&mut a.banks[0], &mut b.banks[0]);
            let (ta, tb) = (a.tick_len - a.tick_pos, b.tick_len - b.tick_pos);
            let mut to_end = [ta, ta, tb, tb];
            bank.borrow_lanes(other);
            let n_ends = bank.run(
                &a.k,
                [
                    &a_in[0][r.clone()],
                    &a_in[1][r.clone()],
                    &b_in[0][r.clone()],
                    &b_in[1][r],
                ],
                [a.tick_len, a.tick_len, b.tick_len, b.tick_len],
                &mut to_end,
                &mut a.ends[0],
            );
            bank.return_lanes(other);
            let (mut ea, mut eb) = ([0.0; MAX_TICK_ENDS], [0.0; MAX_TICK_ENDS]);
            let (mut na, mut nb) = (0, 0);
            for end in &a.ends[0][..n_ends] {
                if end.closed[0] {
                    ea[na] = tick_energy(&a.weights, &end.acc[..2]);
                    na += 1;
                }
                if end.closed[2] {
                    eb[nb] = tick_energy(&b.weights, &end.acc[2..]);
                    nb += 1;
                }
            }
            a.end_ticks(&ea[..na]);
            b.end_ticks(&eb[..nb]);
            a.tick_pos = a.tick_len - to_end[0];
            b.tick_pos = b.tick_len - to_end[2];
            pos += span;
        }
    }

    /// Closes one tick per entry of `energies` (each [`tick_energy`]). The running sums, ring
    /// position and maxima live in locals for the whole batch: closed one call a tick, reloading
    /// and storing them each time, the ticks cost about a third as much as the K-filters.
    #[inline(always)]
    fn end_ticks(&mut self, energies: &[f64]) {
        // Ring positions wrap by comparison: a division per tick (every 24 samples at 48 kHz)
        // cost as much as the K-filters of a dozen samples.
        let ring_len = self.tick_ring.len();
        let momentary_ticks = MOMENTARY_HOPS * self.ticks_per_hop;
        let mut idx = self.tick_idx;
        let (mut momentary, mut short_term) = (self.momentary_sum, self.short_term_sum);
        let (mut max_momentary, mut max_short_term) =
            (self.max_momentary_sum, self.max_short_term_sum);
        for &e in energies {
            let momentary_idx = if idx >= momentary_ticks {
                idx - momentary_ticks
            } else {
                idx + ring_len - momentary_ticks
            };
            momentary += e - self.tick_ring[momentary_idx];
            short_term += e - self.tick_ring[idx];
            self.tick_ring[idx] = e;
            idx += 1;
            if idx == ring_len {
                idx = 0;
            }
            self.hop_acc += e;
            self.ticks_in_hop += 1;
            if self.ticks_in_hop == self.ticks_per_hop {
                (self.momentary_sum, self.short_term_sum) = (momentary, short_term);
                self.end_hop();
                (momentary, short_term) = (self.momentary_sum, self.short_term_sum);
            }
            max_momentary = max_momentary.max(momentary);
            max_short_term = max_short_term.max(short_term);
        }
        self.tick_idx = idx;
        (self.momentary_sum, self.short_term_sum) = (momentary, short_term);
        (self.max_momentary_sum, self.max_short_term_sum) = (max_momentary, max_short_term);
    }

    fn end_hop(&mut self) {
        self.ticks_in_hop = 0;
        self.hop_ring[self.hop_idx] = self.hop_acc;
        self.hop_acc = 0.0;
        self.hop_idx = (self.hop_idx + 1) % SHORT_TERM_HOPS;
        self.hops_done += 1;
        // Re-sum the windows from the hop totals: the tick-by-tick running sums never drift for
        // longer than 100 ms (a loud passage leaving the window cannot leave residue behind).
        self.momentary_sum = (1..=MOMENTARY_HOPS)
            .map(|k| self.hop_ring[(self.hop_idx + SHORT_TERM_HOPS - k) % SHORT_TERM_HOPS])
            .sum();
        self.short_term_sum = self.hop_ring.iter().sum();
        if self.hops_done >= MOMENTARY_HOPS as u64 {
            let z = self.momentary_sum / (MOMENTARY_HOPS * self.hop_len) as f64;
            self.gating_blocks.add(z);
        }
        if self.hops_done >= SHORT_TERM_HOPS as u64 {
            let z = self.short_term_sum / (SHORT_TERM_HOPS * self.hop_len) as f64;
            self.short_term_values.add(z);
        }
    }

    /// Momentary loudness (400 ms rectangular window, Tech 3341 "M"), LUFS.
    /// Updated every tick (<= 0.5 ms + one divisor step); the stream is taken as preceded by silence.
    pub fn momentary_lufs(&self) -> f64 {
        lufs_from_energy(self.momentary_sum / (MOMENTARY_HOPS * self.hop_len) as f64)
    }

    /// Short-term loudness (3 s window, Tech 3341 "S"), LUFS.
    pub fn short_term_lufs(&self) -> f64 {
        lufs_from_energy(self.short_term_sum / (SHORT_TERM_HOPS * self.hop_len) as f64)
    }

    /// Highest momentary loudness since reset, LUFS.
    pub fn max_momentary_lufs(&self) -> f64 {
        lufs_from_energy(self.max_momentary_sum / (MOMENTARY_HOPS * self.hop_len) as f64)
    }

    /// Highest short-term loudness since reset, LUFS.
    pub fn max_short_term_lufs(&self) -> f64 {
        lufs_from_energy(self.max_short_term_sum / (SHORT_TERM_HOPS * self.hop_len) as f64)
    }

    /// Integrated (programme) loudness since reset, BS.1770-4 gating: 400 ms blocks every
    /// 100 ms, absolute gate -70 LUFS, relative gate -10 LU. [`SILENCE_LUFS`] until a block passes
    /// the absolute gate. O(log bins): cheap enough for every block.
    pub fn integrated_lufs(&self) -> f64 {
        match self.gating_blocks.gated(INTEGRATED_RELATIVE_GATE_LU) {
            Some((n, e)) if n > 0 => lufs_from_energy(e / n as f64),
            _ => SILENCE_LUFS,
        }
    }

    /// Loudness range (EBU Tech 3342), LU: the spread between the 10th and 95th percentiles of
    /// the short-term (3 s, every 100 ms) values that pass the -70 LUFS absolute gate and the
    /// -20 LU relative gate. 0 until two values are available. O(log bins).
    pub fn loudness_range_lu(&self) -> f64 {
        self.short_term_values
            .gated_percentiles(LRA_RELATIVE_GATE_LU, [0.10, 0.95])
            .map_or(0.0, |[lo, hi]| hi - lo)
    }

    /// Gain in dB that brings the integrated loudness to `target_lufs` (the Maximizer's "Learn"),
    /// or `None` before anything passed the gates.
    pub fn distance_to_target_lu(&self, target_lufs: f64) -> Option<f64> {
        let i = self.integrated_lufs();
        (i > ABSOLUTE_GATE_LUFS).then_some(target_lufs - i)
    }

    /// Completed 100 ms hops since reset. The integrated loudness and the loudness range only
    /// change when this does.
    pub fn hops(&self) -> u64 {
        self.hops_done
    }

    /// Samples between two momentary/short-term updates.
    pub fn update_interval_samples(&self) -> usize {
        self.tick_len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The histogram as plain bins, read by a pass over them: how the readouts were computed
    /// before the Fenwick trees.
    #[derive(Default)]
    struct Scan {
        count: Vec<u64>,
        energy: Vec<f64>,
    }

    impl Scan {
        fn gated(&self, start: usize) -> (u64, f64) {
            (
                self.count[start..].iter().sum(),
                self.energy[start..].iter().sum(),
            )
        }

        fn percentile(&self, start: usize, p: f64) -> f64 {
            let n: u64 = self.count[start..].iter().sum();
            let rank = ((n - 1) as f64 * p).round() as u64;
            let mut seen = 0;
            for (b, &c) in self.count.iter().enumerate().skip(start) {
                seen += c;
                if seen > rank {
                    return Histogram::bin_centre(b);
                }
            }
            unreachable!("rank {rank} of {n}")
        }
    }

    #[test]
    fn fenwick_readouts_match_a_scan_of_the_bins() {
        // Three hours of 100 ms blocks: a random walk of loudness from below the absolute gate
        // to above the top bin, with silences, so both relative gates move over the whole range.
        let mut h = Histogram::new();
        let mut scan = Scan {
            count: vec![0; HISTOGRAM_BINS],
            energy: vec![0.0; HISTOGRAM_BINS],
        };
        let (mut seed, mut level) = (0x9e37_79b9u32, -30.0f64);
        let mut compared = 0;
        for block in 0..108_000 {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let step = (seed >> 8) as f64 / (1u32 << 24) as f64 - 0.5;
            level = (level + 3.0 * step).clamp(-90.0, 15.0);
            let z = if seed % 61 == 0 {
                0.0
            } else {
                10f64.powf((level - LUFS_OFFSET) / 10.0)
            };
            h.add(z);
            let l = lufs_from_energy(z);
            if l > ABSOLUTE_GATE_LUFS {
                let b = Histogram::bin_of(l);
                scan.count[b] += 1;
                scan.energy[b] += z;
            }
            if block % 331 != 0 {
                continue;
            }
            for relative in [INTEGRATED_RELATIVE_GATE_LU, LRA_RELATIVE_GATE_LU] {
                let Some(start) = h.relative_gate_start(relative) else {
                    assert_eq!(h.gated(relative), None);
                    continue;
                };
                let (n, e) = h.gated(relative).expect("blocks passed the gate");
                let (scan_n, scan_e) = scan.gated(start);
                assert_eq!(n, scan_n, "block {block}: gated count");
                assert!(
                    (e - scan_e).abs() <= 1e-12 * scan_e,
                    "block {block}: gated energy {e} vs {scan_e}"
                );
                let p = [0.0, 0.10, 0.5, 0.95, 1.0];
                match h.gated_percentiles(relative, p) {
                    Some(fast) => {
                        let slow = p.map(|p| scan.percentile(start, p));
                        assert_eq!(fast, slow, "block {block}: percentiles");
                        compared += 1;
                    }
                    None => assert!(scan_n < 2),
                }
            }
        }
        assert!(compared > 500, "{compared} comparisons");
    }
}

//! Lookahead brickwall limiter with true-peak detection: the core of the Maximizer.
//!
//! # Signal flow (per sample, per channel)
//! 1. Drive (smoothed input gain), then into a delay line of `lookahead + DETECT_DELAY`
//!    samples.
//! 2. Detection, one "segment" `[m, m+1)` at a time, ahead of the output. In true-peak mode the
//!    signal is split into complementary bands, `lo` (a linear-phase lowpass at 0.44 fs) and
//!    `hi = x - lo`, and the segment's peak is bounded by `peak(lo) + envelope(hi)`, with a
//!    fixed 0.1 dB detection margin for the residual interpolation error:
//!    - `lo` has no content near Nyquist, so a short 4x polyphase Kaiser-windowed-sinc
//!      interpolator (the ITU-R BS.1770-4 Annex 2 method) reconstructs it accurately; each 4x
//!      point that is a local maximum is refined by the parabola through its neighbours (a 4x
//!      grid alone misses up to 0.56 dB of a 20 kHz peak at 44.1 kHz, the parabola 0.05 dB).
//!    - Content close to Nyquist hides its inter-sample peaks for tens of samples (a 0.49 fs
//!      tone beats against the sample grid: its samples are near zero for ~25 samples while the
//!      waveform between them swings to full amplitude), which only a very long interpolator
//!      could resolve. Instead `|hi|` is bounded by its envelope, taken as the running maximum of
//!      `|hi[n]|` over +-ENV_HALF samples: at least half a beat period for content up to
//!      0.485 fs, times a safety factor for multi-component content. This is conservative only
//!      for material with strong content above ~0.42 fs: measured, the output peaks 0.35-0.4 dB
//!      under the ceiling on `music_like` (bright, white-noise hats) at 44.1/48 kHz and up to
//!      ~1.8 dB under it on hard-clipped drums at 96 kHz, against 0.1 dB for clean tones.
//! 3. Stereo link: each channel's peak moves towards the louder channel's by the link amount,
//!    so the required gain never rises above what the channel itself needs.
//! 4. Gain computer: required gain `min(1, ceiling / peak)`.
//! 5. Peak hold: sliding minimum of the required gain over the attack window plus two samples
//!    (van Herk / Gil-Werman block decomposition: O(1) per value, no allocation).
//! 6. Release: instant attack, exponential release (manual), or program-dependent (auto).
//! 7. Attack smoothing: box filters (moving averages) whose total support equals the attack
//!    window. Because every value entering the average is at most the required gain of the
//!    samples it must protect, the smoothed gain is at or below it when the peak reaches the
//!    output (Signalsmith, "Designing a straightforward limiter", 2022). The gain therefore
//!    never overshoots and no clipper is needed in true-peak mode.
//!
//! # Characters
//! - [`Character::Transparent`]: attack over the whole lookahead through two cascaded boxes
//!   (a quadratic-spline S curve, the lowest distortion), release as set.
//! - [`Character::Punchy`]: attack over half the lookahead, one box (linear ramp): the gain
//!   drops later, so transients keep their leading edge; release as set.
//! - [`Character::Aggressive`]: attack over a quarter of the lookahead and release twice as
//!   fast: the loudest setting, with audible gain modulation on dense material.
//!
//! The attack window is placed so the ramp ends exactly at the peak: the detection for shorter
//! attacks reads the delay line further back, so the latency only depends on the lookahead.

use crate::smoother::Smoother;
use crate::util::bessel_i0;
use crate::util::{
    db_to_gain, gain_to_db, max_f32, min_f64, min_lanes_f64, one_pole_coeff, peak_abs, row_bounds,
    row_peaks, sanitize, skip_weights, window_max,
};
use std::cell::Cell;
use std::f64::consts::PI;

/// Half length of the true-peak interpolator (taps each side).
const TP_HALF: usize = 16;
/// Half length of the band-split lowpass.
const SPLIT_HALF: usize = 32;
/// Half width of the window over which the near-Nyquist band's envelope is held.
const ENV_HALF: usize = 32;
/// Values of `|hi|` each envelope value is the maximum of.
const ENV_SPAN: usize = 2 * ENV_HALF + 2;
/// Taps of the band-split lowpass.
const SPLIT_TAPS: usize = 2 * SPLIT_HALF + 1;
/// Outputs the FIR stages compute side by side (vectorised across samples).
const LANES: usize = 8;
/// Aligned rows of [`LANES`] a group's interpolator window `lo[8g .. 8g + 8 + 2 TP_HALF]` spans
/// (relative to the group's first segment less `TP_HALF`).
const SPAN_RUNS: usize = (2 * TP_HALF).div_ceil(LANES) + 1;
/// Groups of [`LANES`] outputs the band split computes side by side (independent sums).
const FIR_GROUPS: usize = 4;
/// Detection delay in samples: how far ahead of a segment the detector has to see.
pub const DETECT_DELAY: usize = SPLIT_HALF
    + if TP_HALF > ENV_HALF + 1 {
        TP_HALF
    } else {
        ENV_HALF + 1
    };
/// Safety factor on the sampled envelope of the near-Nyquist band: with several components in
/// that band the waveform between samples (the quadrature part the samples do not show) can
/// rise above every sample in the window; measured on naive square waves, 1.2 covers it.
const ENV_SAFETY: f64 = 1.2;
/// Cutoff (cycles per sample) and Kaiser beta of the band-split lowpass: passes to ~0.41 fs,
/// 60 dB down from ~0.47 fs.
const SPLIT_CUTOFF: f64 = 0.44;
const SPLIT_BETA: f64 = 6.0;
/// Oversampling of the true-peak detector.
const TP_OS: usize = 4;
/// Detection headroom in true-peak mode, 0.1 dB as a gain: covers the interpolator's deviation
/// from an ideal reconstruction and the parabola's residual error (see the module doc).
const TP_MARGIN: f64 = 0.988_553_094_656_938;
/// Kaiser beta of the true-peak interpolator.
const TP_BETA: f64 = 7.0;
/// Lookahead range, ms.
pub const MIN_LOOKAHEAD_MS: f64 = 0.5;
pub const MAX_LOOKAHEAD_MS: f64 = 10.0;
/// Samples per internal chunk: the FIR stages run a chunk at a time (vectorised across samples),
/// the gain path sample by sample.
const CHUNK: usize = 64;
/// Room past a box filter's values for this many chunks before they move back to the front of
/// its line (see [`BoxAvg::line`]).
const BOX_SLACK: usize = 8 * CHUNK;
/// Ramp time of drive, ceiling and link changes.
const SMOOTH_MS: f64 = 20.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Character {
    Transparent,
    Punchy,
    Aggressive,
}

impl Character {
    /// Attack window in samples for a lookahead of `la` samples.
    fn attack(self, la: usize) -> usize {
        match self {
            Character::Transparent => la,
            Character::Punchy => la / 2,
            Character::Aggressive => la / 4,
        }
        .max(1)
    }

    fn release_scale(self) -> f64 {
        match self {
            Character::Aggressive => 0.5,
            _ => 1.0,
        }
    }
}

/// Box-filter stage: moving average over the last `len` values, run a chunk at a time.
#[derive(Debug, Clone, Default)]
struct BoxAvg {
    /// The last `len` values, oldest first, from `start`, then room for a chunk: while a chunk
    /// of `n` values is averaged, `line[start + len + k]` enters as `line[start + k]` leaves,
    /// both read in one pass over contiguous memory (a ring needs a wrapped index a value and
    /// keeps the running state in memory). The window moves on by a chunk at a time and back to
    /// the front only when [`BOX_SLACK`] is used up: one copy every few chunks.
    line: Vec<f64>,
    start: usize,
    len: usize,
    sum: f64,
    inv: f64,
    /// `len` less a relative 1e-9: the running sum's rounding drifts it by about 1e-16 a tick
    /// (a random walk: about 1e-11 of `len` after a day), so a line of only ones is read as
    /// exactly 1 once the sum is within this of `len`, or the stage could never rest at unity
    /// again after its first reduction. 1e-9 is -9e-9 dB.
    full: f64,
}

impl BoxAvg {
    fn new(max: usize) -> Self {
        Self {
            line: vec![1.0; max.max(1) + BOX_SLACK],
            start: 0,
            len: 1,
            sum: 1.0,
            inv: 1.0,
            full: 1.0 - 1e-9,
        }
    }

    /// Sets the length and fills the average with `v`.
    fn fill(&mut self, len: usize, v: f64) {
        self.len = len.clamp(1, self.line.len() - BOX_SLACK);
        self.start = 0;
        self.line[..self.len].fill(v);
        self.sum = v * self.len as f64;
        self.inv = 1.0 / self.len as f64;
        self.full = self.len as f64 * (1.0 - 1e-9);
    }

    /// Holds only ones and puts out exactly 1: further ones change nothing (each adds
    /// `1 - 1 = 0` to the sum). A scan rather than a count kept per value: it runs once a chunk,
    /// and only once the hold and the release already rest at 1.
    fn at_unity(&self) -> bool {
        self.sum >= self.full && self.values().iter().all(|&v| v == 1.0)
    }

    /// Becomes a copy of `o` (same capacity: no allocation).
    fn copy_from(&mut self, o: &Self) {
        self.line.copy_from_slice(&o.line);
        (self.start, self.len, self.sum, self.inv, self.full) =
            (o.start, o.len, o.sum, o.inv, o.full);
    }

    /// The `len` values in the average.
    fn values(&self) -> &[f64] {
        &self.line[self.start..self.start + self.len]
    }

    /// The places on the line of the chunk of `n` values about to enter and of the `n` values
    /// leaving as they do (see [`step`](Self::step)), `(leaving, entering)`: `len` apart and
    /// overlapping when `len < n`, hence cells. Walked in step with the chunk they need no
    /// index checks, where indexing by `len + i` cost a compare and a branch per access.
    #[inline(always)]
    fn chunk_cells(&mut self, n: usize) -> (&[Cell<f64>], &[Cell<f64>]) {
        let line = Cell::from_mut(&mut self.line[self.start..self.start + self.len + n]);
        let cells = line.as_slice_of_cells();
        (&cells[..n], &cells[self.len..])
    }

    /// Same state, to the bit, as `o` when both hold only ones (the lines then agree).
    fn same_unity_state(&self, o: &Self) -> bool {
        self.at_unity() && o.at_unity() && self.len == o.len && self.sum == o.sum
    }

    /// Takes in the value `x` entering at `enter` (see [`chunk_cells`](Self::chunk_cells)) and
    /// returns the average of the `len` values ending at it: the value leaving, at `leave`, is
    /// the one `len` places back on the line (taken in earlier in this chunk, or before it).
    /// After the chunk, [`end`](Self::end) moves the line on.
    #[inline(always)]
    fn step(
        enter: &Cell<f64>,
        leave: &Cell<f64>,
        sum: &mut f64,
        inv: f64,
        full: f64,
        x: f64,
    ) -> f64 {
        enter.set(x);
        *sum += x - leave.get();
        // The gain never exceeds unity however the sum drifts (see `full`).
        if *sum >= full {
            1.0
        } else {
            *sum * inv
        }
    }

    /// Moves the window past a chunk of `n` values, and its `len` values back to the front of
    /// the line when the room for another chunk is used up.
    #[inline(always)]
    fn end(&mut self, n: usize, sum: f64) {
        self.sum = sum;
        self.start += n;
        if self.start + self.len + CHUNK > self.line.len() {
            self.line.copy_within(self.start..self.start + self.len, 0);
            self.start = 0;
        }
    }
}

/// Sliding minimum over the last `window` pushed values (all at most 1), by van Herk and
/// Gil & Werman's block decomposition (van Herk, "A fast algorithm for local minimum and
/// maximum filters on rectangular and octagonal kernels", Pattern Recognit. Lett. 13, 1992):
/// the stream is cut into blocks of `window` values; the window ending at offset `o` of the
/// current block is the current block's prefix `0..=o` plus the previous block's suffix
/// `o+1..`, so its minimum is `min(prefix, suffix[o + 1])`. The prefix is a running minimum and
/// the suffix minima are one backward pass per completed block: three operations a value,
/// without the data-dependent pops of a monotonic deque, whose mispredicted branches dominated
/// the limiter's gain path.
#[derive(Debug, Clone, Default)]
struct SlidingMin {
    /// The current block's values so far.
    cur: Vec<f64>,
    /// `suf[i]` = minimum of the previous block's values `i..window`; `suf[window]` = 1.
    suf: Vec<f64>,
    /// Minimum of the current block's values so far.
    prefix: f64,
    /// Offset of the next value in the current block.
    pos: usize,
    window: usize,
    /// Values pushed since the last one under 1 (saturating at `window`).
    low_age: usize,
    /// Every stored value is 1 (then the window's minimum is 1 whatever the offset).
    clean: bool,
    /// Every suffix minimum is 1: a block of only ones then leaves them as they are, and its
    /// suffix pass is skipped (most blocks of a driven master's required gains hold only ones).
    suf_ones: bool,
}

impl SlidingMin {
    fn new(max_window: usize) -> Self {
        Self {
            cur: vec![1.0; max_window.max(1)],
            suf: vec![1.0; max_window.max(1) + 1],
            prefix: 1.0,
            pos: 0,
            window: 1,
            low_age: 1,
            clean: true,
            suf_ones: true,
        }
    }

    /// Empties the window (as if it held only ones) and sets its length.
    fn clear(&mut self, window: usize) {
        self.window = window.clamp(1, self.cur.len());
        self.cur.fill(1.0);
        self.suf.fill(1.0);
        self.prefix = 1.0;
        self.pos = 0;
        self.low_age = self.window;
        self.clean = true;
        self.suf_ones = true;
    }

    /// Every value in the window is 1.
    fn at_unity(&self) -> bool {
        self.low_age >= self.window
    }

    /// Becomes a copy of `o` (same capacity: no allocation).
    fn copy_from(&mut self, o: &Self) {
        self.cur.copy_from_slice(&o.cur);
        self.suf.copy_from_slice(&o.suf);
        (self.prefix, self.pos, self.window, self.low_age) = (o.prefix, o.pos, o.window, o.low_age);
        (self.clean, self.suf_ones) = (o.clean, o.suf_ones);
    }

    /// `n` pushes of 1 while [`at_unity`](Self::at_unity): the window then holds only ones
    /// before and after, so any state whose every stored value is 1 gives the same minima from
    /// here on; the block phase moves on as `n` pushes would move it.
    fn skip_unity(&mut self, n: usize) {
        if !self.clean {
            self.cur.fill(1.0);
            self.suf.fill(1.0);
            self.clean = true;
        }
        self.suf_ones = true;
        self.prefix = 1.0;
        self.pos = (self.pos + n) % self.window;
        self.low_age = self.window;
    }

    /// Replaces each of `x` by the minimum of the `window` values ending at it. A chunk at a
    /// time, one block segment at a time: the running state stays in registers and the
    /// bookkeeping of [`at_unity`](Self::at_unity) is done once a chunk.
    #[inline(always)]
    fn run(&mut self, x: &mut [f64]) {
        self.run_blocks::<false>(x);
    }

    /// [`run`](Self::run) for an `x` of only ones (a chunk whose peaks need no reduction): the
    /// running minimum of each segment is then one value, so the minima are a lane-wise pass
    /// instead of a chain of dependent minima.
    #[inline(always)]
    fn run_ones(&mut self, x: &mut [f64]) {
        self.run_blocks::<true>(x);
    }

    #[inline(always)]
    fn run_blocks<const ONES: bool>(&mut self, x: &mut [f64]) {
        let w = self.window;
        // One past the last value under 1 (0: none), as a max-reduction that vectorises: the
        // required gains are mostly exactly 1 even in a driven master, so a backward search for
        // it read most of the chunk one value at a time.
        let mut end = 0isize;
        if !ONES {
            for (i, &v) in (1..).zip(x.iter()) {
                end = end.max(if v < 1.0 { i } else { 0 });
            }
        }
        if end > 0 {
            self.low_age = (x.len() - end as usize).min(w);
            self.clean = false;
        } else {
            self.low_age = (self.low_age + x.len()).min(w);
        }
        let (mut k, n) = (0, x.len());
        while k < n {
            let o = self.pos;
            let seg = &mut x[k..(k + w - o).min(n)];
            let m = seg.len();
            let mut prefix = if o == 0 { f64::INFINITY } else { self.prefix };
            // The block's values are kept for its suffix pass as they are read (a store a value,
            // where a separate copy was a call to `memcpy` a segment).
            let lanes = seg
                .iter_mut()
                .zip(&self.suf[o + 1..])
                .zip(&mut self.cur[o..o + m]);
            if ONES {
                // What the loop below computes for values of 1: the first sets the running
                // minimum for the segment (`m > 0`).
                prefix = min_f64(prefix, 1.0);
                for ((v, &s), c) in lanes {
                    *c = 1.0;
                    *v = min_f64(prefix, s);
                }
            } else {
                for ((v, &s), c) in lanes {
                    *c = *v;
                    prefix = min_f64(prefix, *v);
                    *v = min_f64(prefix, s);
                }
            }
            self.prefix = prefix;
            self.pos = o + m;
            if self.pos == w {
                self.pos = 0;
                // The block's minimum is `prefix`: 1 only if every value of it is 1 (none is
                // over 1), when its suffix minima are all 1.
                let ones = prefix == 1.0;
                if !(ones && self.suf_ones) {
                    let mut m = 1.0f64;
                    for (s, &c) in self.suf[1..w].iter_mut().zip(&self.cur[1..w]).rev() {
                        m = min_f64(m, c);
                        *s = m;
                    }
                    self.suf_ones = ones;
                }
            }
            k += m;
        }
    }
}

/// A filter tap repeated across [`LANES`]: the FIR loops, vectorised across outputs, multiply
/// by it straight from memory instead of broadcasting a scalar into a register first (one
/// instruction less per tap and group of outputs).
type Splat = [f32; LANES];

/// Writes `src` at `at..` (`at < cap`) of a mirrored ring of `2 cap` values (see
/// [`Channel::ring`]), wrapping at `cap`: whole-slice copies, where two indexed stores a value
/// compile to scalar code with bounds checks.
#[inline(always)]
fn write_mirrored(buf: &mut [f32], cap: usize, at: usize, src: &[f32]) {
    // A whole chunk that does not wrap (every chunk of a block of a multiple of CHUNK): copies
    // of a length known at compile time are inlined, where each call to `memcpy` cost about 40
    // instructions (the slices are only 64 values).
    if let (Ok(s), true) = (<&[f32; CHUNK]>::try_from(src), at + CHUNK <= cap) {
        let lo: &mut [f32; CHUNK] = (&mut buf[at..at + CHUNK]).try_into().expect("chunk");
        *lo = *s;
        let hi: &mut [f32; CHUNK] = (&mut buf[at + cap..at + cap + CHUNK])
            .try_into()
            .expect("chunk");
        *hi = *s;
        return;
    }
    let (a, b) = src.split_at(src.len().min(cap - at));
    buf[at..at + a.len()].copy_from_slice(a);
    buf[at + cap..at + cap + a.len()].copy_from_slice(a);
    buf[..b.len()].copy_from_slice(b);
    buf[cap..cap + b.len()].copy_from_slice(b);
}

/// Wing taps of the band split per residue class `j mod LANES` (see [`symmetric_fir`]).
const SPLIT_ROUNDS: usize = SPLIT_HALF / LANES;
const _: () = assert!(SPLIT_HALF.is_multiple_of(LANES));

/// The band split's wing taps in the order every output sums them: by residue class
/// `r = j mod LANES`, then ascending (`j = r, r + LANES, ...`). One order for the grouped loop
/// and the remainders, so an output has the same bits whichever loop computes it (block
/// invariance).
#[inline(always)]
fn split_taps() -> impl Iterator<Item = usize> {
    (0..LANES).flat_map(|r| (0..SPLIT_ROUNDS).map(move |t| r + LANES * t))
}

/// `out[i] = h[H] x[i + H] + sum_{j < H} h[j] (x[i + j] + x[i + 2H - j])` with `H` =
/// [`SPLIT_HALF`]: a linear-phase FIR of `2H + 1` taps at half the multiplies, [`LANES`]
/// outputs side by side. Each tap comes as a whole vector of [`LANES`] copies (see
/// [`Splat`]).
///
/// [`FIR_GROUPS`] groups of outputs at once: one group's sum is a chain of dependent adds, so
/// with one group in flight the loop waited on the adder. The wing taps are summed by residue
/// class ([`split_taps`]) because of the loads: group `g` at tap `j` reads the rows at
/// `j + g LANES` and `2H - j + g LANES`, so for the taps `j = r + LANES t` of one class all
/// groups read from the same `SPLIT_ROUNDS + FIR_GROUPS - 1` rows on each side, loaded once.
/// In ascending tap order every product loaded two unaligned rows, almost half of which
/// straddle a cache line (two loads each): the loop ran on the load ports at about 7 cycles an
/// output (AMD Zen 4), against about 4.5 now.
#[inline(always)]
fn symmetric_fir(h: &[Splat; SPLIT_HALF + 1], x: &[f32], out: &mut [f32]) {
    const H: usize = SPLIT_HALF;
    const ROWS: usize = SPLIT_ROUNDS + FIR_GROUPS - 1;
    let (centre, wing) = h.split_last().expect("at least one tap");
    let mut i = 0;
    while i + FIR_GROUPS * LANES <= out.len() {
        let win: &[f32; 2 * H + FIR_GROUPS * LANES] = x[i..i + 2 * H + FIR_GROUPS * LANES]
            .try_into()
            .expect("window");
        let mut acc = [[0.0f32; LANES]; FIR_GROUPS];
        for (g, acc) in acc.iter_mut().enumerate() {
            for l in 0..LANES {
                acc[l] = centre[l] * win[H + g * LANES + l];
            }
        }
        let row = |at: usize| -> [f32; LANES] { win[at..at + LANES].try_into().expect("row") };
        for r in 0..LANES {
            // Tap `r + LANES t` of group `g` reads `a[t + g]` and `b[g + SPLIT_ROUNDS - 1 - t]`.
            let a: [[f32; LANES]; ROWS] = std::array::from_fn(|m| row(r + LANES * m));
            let b: [[f32; LANES]; ROWS] =
                std::array::from_fn(|n| row(2 * H - r - LANES * (SPLIT_ROUNDS - 1) + LANES * n));
            for t in 0..SPLIT_ROUNDS {
                let c = &wing[r + LANES * t];
                for (g, acc) in acc.iter_mut().enumerate() {
                    let (a, b) = (&a[t + g], &b[g + SPLIT_ROUNDS - 1 - t]);
                    for l in 0..LANES {
                        acc[l] += c[l] * (a[l] + b[l]);
                    }
                }
            }
        }
        out[i..i + FIR_GROUPS * LANES].copy_from_slice(acc.as_flattened());
        i += FIR_GROUPS * LANES;
    }
    while i + LANES <= out.len() {
        let win = &x[i..i + 2 * H + LANES];
        let mut acc = [0.0f32; LANES];
        for l in 0..LANES {
            acc[l] = centre[l] * win[H + l];
        }
        for j in split_taps() {
            let (a, b) = (&win[j..j + LANES], &win[2 * H - j..2 * H - j + LANES]);
            for l in 0..LANES {
                acc[l] += wing[j][l] * (a[l] + b[l]);
            }
        }
        out[i..i + LANES].copy_from_slice(&acc);
        i += LANES;
    }
    for (k, o) in out.iter_mut().enumerate().skip(i) {
        let mut acc = centre[0] * x[k + H];
        for j in split_taps() {
            acc += wing[j][0] * (x[k + j] + x[k + 2 * H - j]);
        }
        *o = acc;
    }
}

/// The 4x true-peak interpolator (ITU-R BS.1770-4 Annex 2 method): Kaiser-windowed sinc phases
/// at 1/4, 1/2 and 3/4 of a sample. The 3/4 phase is the 1/4 phase reversed and the 1/2 phase
/// is symmetric, so with `s_i = x_i + x_{2H-1-i}` and `d_i = x_i - x_{2H-1-i}` the three
/// values are `A + B`, `C` and `A - B` for `A = sum a_i s_i`, `B = sum b_i d_i`,
/// `C = sum c_i s_i`: 48 multiplies for three outputs instead of 96.
#[derive(Debug, Clone)]
struct Interpolator {
    a: [Splat; TP_HALF],
    b: [Splat; TP_HALF],
    c: [Splat; TP_HALF],
    /// Largest `sum |taps|` of the three phases (the gain bound of [`Limiter::detect`]).
    gain_bound: f32,
    /// Row weights of the tighter skip bound (see [`skip_weights`] and [`Limiter::detect`]):
    /// the points a group's parabolas are centred on, against the rows of its window.
    skip: [[f32; LANES]; SPAN_RUNS],
}

impl Interpolator {
    fn design() -> Self {
        let i0b = bessel_i0(TP_BETA);
        // Phase `frac`: tap i weighs x[m - H + 1 + i] for the value at m + frac.
        let phase = |frac: f64| -> Vec<f64> {
            let raw: Vec<f64> = (0..2 * TP_HALF)
                .map(|i| {
                    let t = (i as f64 - (TP_HALF - 1) as f64) - frac;
                    let sinc = (PI * t).sin() / (PI * t);
                    let r = t / TP_HALF as f64;
                    sinc * bessel_i0(TP_BETA * (1.0 - r * r).max(0.0).sqrt()) / i0b
                })
                .collect();
            let sum: f64 = raw.iter().sum();
            raw.iter().map(|v| v / sum).collect()
        };
        let (q, h) = (phase(0.25), phase(0.5));
        let (mut a, mut b, mut c) = ([0.0f32; TP_HALF], [0.0f32; TP_HALF], [0.0f32; TP_HALF]);
        for i in 0..TP_HALF {
            let m = 2 * TP_HALF - 1 - i;
            a[i] = (0.5 * (q[i] + q[m])) as f32;
            b[i] = (0.5 * (q[i] - q[m])) as f32;
            c[i] = (0.5 * (h[i] + h[m])) as f32;
        }
        let quarter: f32 = (0..TP_HALF)
            .map(|i| (a[i] + b[i]).abs() + (a[i] - b[i]).abs())
            .sum();
        let half: f32 = c.iter().map(|c| 2.0 * c.abs()).sum();
        Self {
            a: a.map(|v| [v; LANES]),
            b: b.map(|v| [v; LANES]),
            c: c.map(|v| [v; LANES]),
            gain_bound: quarter.max(half),
            skip: skip_weights(&skip_points(&a, &b, &c)),
        }
    }

    /// Phases 1/4, 1/2, 3/4 for outputs `at..at + n` into `out[..][at..at + n]`, output `j`
    /// from `x[j..j + 2 TP_HALF]`. Every output sums its taps in the same order whatever its
    /// lane, so a value never depends on which outputs were computed with it.
    #[inline(always)]
    fn run(&self, x: &[f32], at: usize, n: usize, out: &mut [[f32; CHUNK + 1]; TP_OS - 1]) {
        const W: usize = 2 * TP_HALF - 1;
        let mut j = at;
        while j < at + n {
            let lanes = LANES.min(at + n - j);
            let mut pad = [0.0f32; 2 * TP_HALF + LANES - 1];
            let win = if j + W + LANES <= x.len() {
                &x[j..j + W + LANES]
            } else {
                pad[..W + lanes].copy_from_slice(&x[j..j + W + lanes]);
                &pad[..]
            };
            let (mut sa, mut sb, mut sc) = ([0.0f32; LANES], [0.0f32; LANES], [0.0f32; LANES]);
            for i in 0..TP_HALF {
                let lo: &[f32; LANES] = win[i..i + LANES].try_into().expect("lanes");
                let hi: &[f32; LANES] = win[W - i..W - i + LANES].try_into().expect("lanes");
                for l in 0..LANES {
                    let (s, d) = (lo[l] + hi[l], lo[l] - hi[l]);
                    sa[l] += self.a[i][l] * s;
                    sb[l] += self.b[i][l] * d;
                    sc[l] += self.c[i][l] * s;
                }
            }
            for l in 0..lanes {
                out[0][j + l] = sa[l] + sb[l];
                out[1][j + l] = sc[l];
                out[2][j + l] = sa[l] - sb[l];
            }
            j += LANES;
        }
    }
}

/// The middle points of the parabolas of a group (see [`parabola_peaks`]) as weights on its
/// window `lo[8g .. 8g + 8 + 2 TP_HALF]`, for [`skip_weights`]: segment `l` has the sample that
/// starts it (`l + TP_HALF`) and its three interpolated values, output `l + 1`, computed as
/// `sum a_i s_i +- sum b_i d_i` and `sum c_i s_i` (see [`Interpolator`]), so they weigh `x_i`
/// and `x_{2H-1-i}` of the output's window by `a_i +- b_i` and `c_i`.
fn skip_points(a: &[f32; TP_HALF], b: &[f32; TP_HALF], c: &[f32; TP_HALF]) -> Vec<Vec<f64>> {
    let mut points = Vec::new();
    for l in 0..LANES {
        let mut sample = vec![0.0f64; SPAN_RUNS * LANES];
        sample[l + TP_HALF] = 1.0;
        points.push(sample);
        for phase in 0..TP_OS - 1 {
            let mut w = vec![0.0f64; SPAN_RUNS * LANES];
            for i in 0..TP_HALF {
                let (a, b, c) = (a[i] as f64, b[i] as f64, c[i] as f64);
                let (near, far) = match phase {
                    0 => (a + b, a - b),
                    1 => (c, c),
                    _ => (a - b, a + b),
                };
                w[l + 1 + i] += near;
                w[l + 2 * TP_HALF - i] += far;
            }
            points.push(w);
        }
    }
    points
}

/// Peaks of segments `k0 .. k0 + LANES` from the interpolated points `iv` (output `j` =
/// segment `j - 1`) and the samples `ls` (`ls[k + TP_HALF]` starts segment `k`): the largest
/// of the segment's points, each local maximum refined by the vertex of the parabola through
/// it and its neighbours. Lane-wise over the segments (selects, no branches: it vectorises).
#[inline(always)]
fn parabola_peaks(iv: &[[f32; CHUNK + 1]; TP_OS - 1], ls: &[f32], k0: usize) -> [f32; LANES] {
    // One slice (one bounds check) per row, not an index per lane.
    let row = |x: &[f32], at: usize| -> [f32; LANES] {
        let x: &[f32; LANES] = x[at..at + LANES].try_into().expect("lanes");
        x.map(f32::abs)
    };
    let v: [[f32; LANES]; TP_OS + 2] = [
        row(&iv[2], k0),
        row(ls, k0 + TP_HALF),
        row(&iv[0], k0 + 1),
        row(&iv[1], k0 + 1),
        row(&iv[2], k0 + 1),
        row(ls, k0 + TP_HALF + 1),
    ];
    let mut p = [0.0f32; LANES];
    for j in 1..=TP_OS {
        for l in 0..LANES {
            let (a, c0, b) = (v[j - 1][l], v[j][l], v[j + 1][l]);
            // Vertex of the parabola through three equally spaced points, where the middle one
            // is a local maximum: `c0 + (a - b)^2 / 8 (2 c0 - a - b)`, at most `c0 / 8` above it
            // for `0 <= a, b <= c0` (`(a - b)^2 <= |a - b| (2 c0 - a - b)`). The clamp holds
            // that when `2 c0 - a - b` rounds to far under its value: with `c0` a power of two,
            // `a` an ulp under it and `b = c0`, it rounds to 0 and the rise came out at 3.6e15,
            // a false peak that would have silenced the output for the attack window. Elsewhere
            // the rise is its value within a few roundings, under the clamp but where it is
            // `c0 / 8` exactly.
            let rise = (a - b) * (a - b) / (8.0 * (2.0 * c0 - a - b)).max(1e-30);
            let vertex = c0 + rise.min(0.125 * c0);
            p[l] = max_f32(p[l], if c0 >= a && c0 >= b { vertex } else { c0 });
        }
    }
    p
}

/// Whole rows of [`LANES`] inside the envelope window of every segment of a group: rows
/// `1 ..= ENV_MID_ROWS` after the group's own (values `LANES .. LANES (ENV_MID_ROWS + 1)` from
/// its start).
const ENV_MID_ROWS: usize = ENV_SPAN / LANES - 1;
/// Shifted loads that cover the window's far end past those rows, for every lane.
const ENV_TAIL: usize = ENV_SPAN - (ENV_MID_ROWS + 1) * LANES + LANES - 1;

/// Envelopes of the near-Nyquist band for segments `k0 .. k0 + LANES` (`k0` a multiple of
/// [`LANES`]): segment `k0 + l` gets the largest `|hi|` over `hs[k0 + l .. k0 + l + ENV_SPAN]`
/// (segments `k - ENV_HALF ..= k + ENV_HALF + 1`), lane-wise. Only groups the skip bound lets
/// through need it, so it is computed there rather than for every segment; windows past the end
/// of `hs` (a partial last group) read zeros.
///
/// The window of lane `l` is covered, within itself, by three parts: `hs[k0 + l ..][..LANES]`
/// (eight shifted loads, reaching the group's next row), the whole rows after the group's
/// own up to `k0 + LANES (ENV_MID_ROWS + 1)` (whose maximum `mid` the caller has from the skip
/// bound's row maxima), and the last [`ENV_TAIL`] values of the window (shifted loads again,
/// starting at or before that row end for `l = LANES - 1`). Max is exact whatever the cover, so
/// the value is the window's maximum to the bit, for 17 loads where one per window value took 66.
#[inline(always)]
fn envelope(hs: &[f32], k0: usize, mid: f32) -> [f32; LANES] {
    const SPAN: usize = ENV_SPAN + LANES - 1;
    const _: () = assert!(ENV_SPAN - ENV_TAIL + LANES - 1 <= (ENV_MID_ROWS + 1) * LANES);
    let mut pad = [0.0f32; SPAN];
    let win = if k0 + SPAN <= hs.len() {
        &hs[k0..k0 + SPAN]
    } else {
        pad[..hs.len() - k0].copy_from_slice(&hs[k0..]);
        &pad[..]
    };
    let mut acc = [mid; LANES];
    for j in (0..LANES).chain(ENV_SPAN - ENV_TAIL..ENV_SPAN) {
        let w: &[f32; LANES] = win[j..j + LANES].try_into().expect("lanes");
        for (a, &v) in acc.iter_mut().zip(w) {
            *a = max_f32(*a, v);
        }
    }
    acc
}

/// Gain computer with stereo link: the channel's peak moves towards the louder channel's
/// `pmax` by `link`, and the gain brings it down to `thr`.
#[inline(always)]
fn required_gain(p: f64, pmax: f64, link: f64, thr: f64) -> f64 {
    gain_for(linked_peak(p, pmax, link), thr)
}

/// The channel's peak `p` moved towards the louder channel's `pmax` by `link` (0..=1).
#[inline(always)]
fn linked_peak(p: f64, pmax: f64, link: f64) -> f64 {
    p + link * (pmax - p)
}

/// The gain that brings the linked peak `q` down to `thr`.
#[inline(always)]
fn gain_for(q: f64, thr: f64) -> f64 {
    if q > thr {
        thr / q
    } else {
        1.0
    }
}

/// Where a release lands on its target. The recursion `h + (r - h) k` stalls one unit in the last
/// place short of `h` (the step rounds away), so the gain path would never rest at exactly 1
/// again and the limiter would stay off its at-rest fast path for good after its first reduction.
/// 2^-25 is under half an f32 step at unity: the output, whose gain is applied in f32, cannot
/// tell the difference.
const RELEASE_SNAP: f64 = 1.0 / (1u64 << 25) as f64;

/// One exponential recursion `r -> h + (r - h) k` towards `h`, computed as `r k + h (1 - k)`:
/// from the state `r` the dependency chain is one multiply and one add (the product with `h`
/// does not wait for it), where `h + (r - h) k` chains a subtract, a multiply and an add. The
/// recursions of the gain path run once a sample in sequence, so this chain sets their speed.
#[derive(Debug, Clone, Copy)]
struct Expo {
    k: f64,
    /// `1 - k`.
    j: f64,
    /// `RELEASE_SNAP / k`: a state within this under `h` moves by less than [`RELEASE_SNAP`].
    snap: f64,
}

impl Expo {
    fn new(k: f64) -> Self {
        Self {
            k,
            j: 1.0 - k,
            snap: RELEASE_SNAP / k.max(f64::MIN_POSITIVE),
        }
    }

    #[inline(always)]
    fn towards(self, h: f64, r: f64) -> f64 {
        r * self.k + h * self.j
    }

    /// Instant attack, exponential release: when `h` is under the state `r` the result is `h`
    /// exactly; from below, [`towards`](Self::towards) until it lands.
    #[inline(always)]
    fn release(self, h: f64, r: f64) -> f64 {
        if r > h - self.snap {
            h
        } else {
            self.towards(h, r)
        }
    }
}

/// Release coefficients of the gain path (see [`Limiter::update_release`]).
struct ReleaseCoeffs {
    rel: Expo,
    fast: Expo,
    slow_att: Expo,
    slow_rel: Expo,
}

/// Per-channel state.
#[derive(Debug, Clone, Default)]
struct Channel {
    /// Mirrored delay line: every sample is written at `i` and `i + cap`, so any window of up to
    /// `cap` recent samples is one contiguous slice.
    ring: Vec<f32>,
    /// The `lo` band and `|hi|`, mirrored like `ring`.
    lo: Vec<f32>,
    hi: Vec<f32>,
    hold: SlidingMin,
    box1: BoxAvg,
    box2: BoxAvg,
    release: f64,
    slow: f64,
}

impl Channel {
    /// Takes over `o`'s gain-path state (hold, release, smoothing); the delay lines stay.
    fn copy_gain_state(&mut self, o: &Self) {
        self.hold.copy_from(&o.hold);
        self.box1.copy_from(&o.box1);
        self.box2.copy_from(&o.box2);
        (self.release, self.slow) = (o.release, o.slow);
    }

    /// At rest at unity gain in a state that gives the same gains as `o`'s from here on, for
    /// the same required gains: a hold of only ones puts out the next value pushed whatever
    /// else it holds, and everything else is compared to the bit.
    fn same_unity_state(&self, o: &Self) -> bool {
        self.hold.at_unity()
            && o.hold.at_unity()
            && self.hold.window == o.hold.window
            && (self.release, self.slow) == (o.release, o.slow)
            && self.box1.same_unity_state(&o.box1)
            && self.box2.same_unity_state(&o.box2)
    }

    /// The gain path over a chunk, from the required gains in `g` to the gains, in place: hold, then
    /// instant attack and exponential release (auto: a fast release bounded by a slow
    /// envelope), then the attack smoothing boxes. The release and both boxes run in one loop:
    /// each is a chain of dependent operations a sample, and in one loop the three chains
    /// overlap instead of adding up (each stage's own loop waited on its adder). `ones`: every
    /// required gain is 1 (see [`SlidingMin::run_ones`]).
    #[inline(always)]
    fn gain_run<const AUTO: bool>(&mut self, g: &mut [f64], ones: bool, k: &ReleaseCoeffs) {
        if ones {
            self.hold.run_ones(g);
        } else {
            self.hold.run(g);
        }
        let n = g.len();
        let (mut rel, mut slow) = (self.release, self.slow);
        let (b1, b2) = (&mut self.box1, &mut self.box2);
        let (inv1, full1, mut sum1) = (b1.inv, b1.full, b1.sum);
        let (inv2, full2, mut sum2) = (b2.inv, b2.full, b2.sum);
        let (leave1, enter1) = b1.chunk_cells(n);
        let (leave2, enter2) = b2.chunk_cells(n);
        // Indexed in one counter (four slices of `n`: no checks): a zip stepped a pointer each.
        let (leave1, enter1, leave2, enter2) =
            (&leave1[..n], &enter1[..n], &leave2[..n], &enter2[..n]);
        for i in 0..n {
            let (v, l1, e1, l2, e2) = (&mut g[i], &leave1[i], &enter1[i], &leave2[i], &enter2[i]);
            let h = *v;
            let r = if AUTO {
                // The slow envelope attacks smoothly from above and releases from below; only
                // the release lands on `h`.
                slow = if h < slow {
                    k.slow_att.towards(h, slow)
                } else {
                    k.slow_rel.release(h, slow)
                };
                rel = k.fast.release(h, rel);
                min_f64(rel, slow)
            } else {
                rel = k.rel.release(h, rel);
                rel
            };
            let y1 = BoxAvg::step(e1, l1, &mut sum1, inv1, full1, r);
            *v = BoxAvg::step(e2, l2, &mut sum2, inv2, full2, y1);
        }
        (self.release, self.slow) = (rel, slow);
        b1.end(n, sum1);
        b2.end(n, sum2);
    }
}

/// One call of [`Limiter::process`], for [`crate::simd::dispatch`].
struct Block<'a, 'b, 'c>(&'a mut Limiter, &'b mut [&'c mut [f32]]);

impl crate::simd::Kernel for Block<'_, '_, '_> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        self.0.process_block(self.1)
    }
}

/// Lookahead true-peak brickwall limiter, mono or stereo.
#[derive(Debug, Clone)]
pub struct Limiter {
    sample_rate: f64,
    ch: [Channel; 2],
    cap: usize,
    mask: usize,
    /// Samples written since reset.
    n: usize,
    interp: Interpolator,
    /// Band-split lowpass taps `0..=SPLIT_HALF` (the other half mirrors them).
    split: [Splat; SPLIT_HALF + 1],

    drive: Smoother,
    ceiling: Smoother,
    link: Smoother,

    lookahead_ms: f64,
    la: usize,
    release_ms: f64,
    auto_release: bool,
    true_peak: bool,
    character: Character,
    /// Settings as the running structure was built from (changes are applied at block starts).
    active_true_peak: bool,
    active_character: Character,
    needs_rebuild: bool,

    rel_coeff: f64,
    fast_coeff: f64,
    slow_att_coeff: f64,
    slow_rel_coeff: f64,

    /// Channel 1's gain path is channel 0's: their states were identical when this was set and
    /// every required gain since was the same in both (a 100 % link), so channel 0's gains are
    /// channel 1's and its gain path runs once. Channel 1's own state is stale until
    /// [`unmirror`](Self::unmirror) copies it over.
    mirrored: bool,
    /// Gain of the channel reduced most, now and lowest since the meter was last read.
    gain_now: f64,
    gain_low: f64,
}

impl Default for Limiter {
    fn default() -> Self {
        Self::new()
    }
}

impl Limiter {
    pub fn new() -> Self {
        let mut split = [[0.0f32; LANES]; SPLIT_HALF + 1];
        let lp: Vec<f64> = (0..=SPLIT_HALF)
            .map(|i| {
                let t = i as f64 - SPLIT_HALF as f64;
                let sinc = if i == SPLIT_HALF {
                    2.0 * SPLIT_CUTOFF
                } else {
                    (2.0 * PI * SPLIT_CUTOFF * t).sin() / (PI * t)
                };
                let r = t / (SPLIT_HALF as f64 + 1.0);
                sinc * bessel_i0(SPLIT_BETA * (1.0 - r * r).sqrt()) / bessel_i0(SPLIT_BETA)
            })
            .collect();
        // DC gain of the whole (symmetric) filter: both halves and the centre tap once.
        let lp_sum: f64 = 2.0 * lp.iter().sum::<f64>() - lp[SPLIT_HALF];
        for (d, v) in split.iter_mut().zip(&lp) {
            *d = [(v / lp_sum) as f32; LANES];
        }
        Self {
            split,
            sample_rate: 48_000.0,
            ch: [Channel::default(), Channel::default()],
            cap: 0,
            mask: 0,
            n: 0,
            interp: Interpolator::design(),
            drive: Smoother::new(1.0),
            ceiling: Smoother::new(1.0),
            link: Smoother::new(1.0),
            lookahead_ms: 5.0,
            la: 1,
            release_ms: 100.0,
            auto_release: false,
            true_peak: true,
            character: Character::Transparent,
            active_true_peak: true,
            active_character: Character::Transparent,
            needs_rebuild: true,
            rel_coeff: 0.0,
            fast_coeff: 0.0,
            slow_att_coeff: 0.0,
            slow_rel_coeff: 0.0,
            mirrored: true,
            gain_now: 1.0,
            gain_low: 1.0,
        }
    }

    /// Allocates for the maximum lookahead at `sample_rate`. `max_block` is not needed: the
    /// limiter works sample by sample without scratch.
    pub fn prepare(&mut self, sample_rate: f64, _max_block: usize) {
        self.sample_rate = sample_rate;
        let max_la = Self::la_samples(MAX_LOOKAHEAD_MS, sample_rate);
        self.cap = (max_la + DETECT_DELAY + 2 * ENV_HALF + 2 * TP_HALF + SPLIT_TAPS + CHUNK)
            .next_power_of_two();
        self.mask = self.cap - 1;
        for c in &mut self.ch {
            c.ring = vec![0.0; 2 * self.cap];
            c.lo = vec![0.0; 2 * self.cap];
            c.hi = vec![0.0; 2 * self.cap];
            c.hold = SlidingMin::new(max_la + 2);
            c.box1 = BoxAvg::new(max_la + 1);
            c.box2 = BoxAvg::new(max_la + 1);
        }
        for s in [&mut self.drive, &mut self.ceiling, &mut self.link] {
            s.prepare(sample_rate, SMOOTH_MS);
        }
        self.update_release();
        self.reset();
    }

    /// Clears the delay line and the gain state; settings are kept and ramps finished.
    pub fn reset(&mut self) {
        self.drive.reset();
        self.ceiling.reset();
        self.link.reset();
        self.la = Self::la_samples(self.lookahead_ms, self.sample_rate);
        self.n = 0;
        for c in &mut self.ch {
            c.ring.fill(0.0);
            c.lo.fill(0.0);
            c.hi.fill(0.0);
            c.release = 1.0;
            c.slow = 1.0;
        }
        self.active_true_peak = self.true_peak;
        self.active_character = self.character;
        self.init_gain_path(1.0);
        self.mirrored = true;
        self.needs_rebuild = false;
        self.gain_now = 1.0;
        self.gain_low = 1.0;
    }

    fn la_samples(ms: f64, fs: f64) -> usize {
        ((ms.clamp(MIN_LOOKAHEAD_MS, MAX_LOOKAHEAD_MS) * 1e-3 * fs).round() as usize).max(1)
    }

    /// Output ceiling in dBFS (true peak or sample peak, see [`set_true_peak`](Self::set_true_peak)).
    pub fn set_ceiling_db(&mut self, db: f64) {
        self.ceiling.set_target(db_to_gain(db.min(0.0)));
    }

    /// Input gain in dB applied before limiting (smoothed), clamped to +-48 dB so no finite
    /// input can overflow to infinity inside the detector.
    pub fn set_drive_db(&mut self, db: f64) {
        self.drive.set_target(db_to_gain(db.clamp(-48.0, 48.0)));
    }

    /// Release time in ms (time constant of the exponential recovery).
    pub fn set_release_ms(&mut self, ms: f64) {
        self.release_ms = ms.max(1.0);
        self.update_release();
    }

    /// Program-dependent release: transients recover three times faster than the set release,
    /// sustained gain reduction (built up over ~100 ms) twice as slowly.
    pub fn set_auto_release(&mut self, on: bool) {
        self.auto_release = on;
    }

    /// Lookahead in ms (0.5..10). Changes the latency, so it clears the delay line (the host
    /// must be told of the new latency anyway).
    pub fn set_lookahead_ms(&mut self, ms: f64) {
        let ms = ms.clamp(MIN_LOOKAHEAD_MS, MAX_LOOKAHEAD_MS);
        if ms != self.lookahead_ms {
            self.lookahead_ms = ms;
            if self.cap > 0 {
                self.reset();
            }
        }
    }

    /// True-peak (4x inter-sample) detection on or off. Off: sample peaks, plus a final
    /// sample-peak safety clip. Applied at the next block start like a character change.
    pub fn set_true_peak(&mut self, on: bool) {
        self.true_peak = on;
        self.needs_rebuild |= on != self.active_true_peak;
    }

    /// Stereo link, 0..=100 %.
    pub fn set_stereo_link(&mut self, percent: f64) {
        self.link.set_target((percent / 100.0).clamp(0.0, 1.0));
    }

    /// Applied at the next block start: the segments already inside the lookahead are
    /// re-detected so no peak escapes, and the smoother restarts at the lower of the current
    /// gain and what those segments need, which can step the gain down once if a peak is
    /// already in the window (a character switch is not a continuous automation target).
    pub fn set_character(&mut self, c: Character) {
        self.character = c;
        self.needs_rebuild |= c != self.active_character;
    }

    /// Latency in samples: the lookahead plus [`DETECT_DELAY`] (the same in both detection
    /// modes, so toggling true peak does not change it).
    pub fn latency_samples(&self) -> usize {
        Self::la_samples(self.lookahead_ms, self.sample_rate) + DETECT_DELAY
    }

    /// Current gain reduction in dB (positive), of the channel reduced most.
    pub fn gain_reduction_db(&self) -> f64 {
        -gain_to_db(self.gain_now)
    }

    /// Largest gain reduction (dB, positive) since the previous call, for peak-holding meters.
    pub fn take_max_gain_reduction_db(&mut self) -> f64 {
        -gain_to_db(std::mem::replace(&mut self.gain_low, 1.0))
    }

    fn update_release(&mut self) {
        let fs = self.sample_rate;
        let r = self.release_ms * 1e-3 * self.character.release_scale();
        self.rel_coeff = one_pole_coeff(r, fs);
        self.fast_coeff = one_pole_coeff(r / 3.0, fs);
        self.slow_att_coeff = one_pole_coeff(0.1, fs);
        self.slow_rel_coeff = one_pole_coeff(2.0 * r, fs);
    }

    /// Attack window, its detection offset behind the newest sample, and hold length.
    fn geometry(&self) -> (usize, usize, usize) {
        let s = self.active_character.attack(self.la);
        (s, self.la - s, s + 2)
    }

    /// Restarts the hold and smoothing stages at gain `v` for the active character.
    fn init_gain_path(&mut self, v: f64) {
        let (s, _, w) = self.geometry();
        let two_boxes = self.active_character == Character::Transparent && s >= 2;
        let b1 = if two_boxes { s.div_ceil(2) } else { s };
        let b2 = if two_boxes { s + 1 - b1 } else { 1 };
        for c in &mut self.ch {
            c.hold.clear(w);
            c.box1.fill(b1, v);
            c.box2.fill(b2, v);
            c.release = v;
        }
    }

    /// Applies a character or detection-mode change without letting a peak through: every
    /// segment still ahead of the output is re-detected into the new hold, and the smoother
    /// restarts at the lower of the current gain and what those segments need.
    fn rebuild(&mut self, channels: usize) {
        self.unmirror();
        let g_now: f64 = self.ch[..channels]
            .iter()
            .map(|c| c.box2.sum / c.box2.len as f64)
            .fold(1.0, f64::min);
        self.active_true_peak = self.true_peak;
        self.active_character = self.character;
        self.update_release();
        self.init_gain_path(g_now);
        if self.n == 0 {
            return;
        }
        let (_, e, _) = self.geometry();
        let newest = self.n as isize - 1 - DETECT_DELAY as isize - e as isize;
        let first = (self.n as isize - 1 - (self.la + DETECT_DELAY) as isize - 1).max(0) as usize;
        let mut lowest = g_now;
        let mut m = first as isize;
        let mut peaks = [[0.0f32; CHUNK]; 2];
        while m <= newest {
            let cn = ((newest - m + 1) as usize).min(CHUNK);
            // No shortcut (threshold 0): every segment's exact gain enters the new hold.
            self.detect(channels, m as usize & self.mask, cn, 0.0, &mut peaks);
            let mut t = [[1.0f64; CHUNK]; 2];
            for (k, (&p0, &p1)) in peaks[0][..cn].iter().zip(&peaks[1][..cn]).enumerate() {
                let tk = self.linked_gains([p0 as f64, p1 as f64], channels);
                for (t, &tc) in t.iter_mut().zip(&tk).take(channels) {
                    t[k] = tc;
                    lowest = lowest.min(tc);
                }
            }
            for (c, t) in self.ch[..channels].iter_mut().zip(&mut t) {
                c.hold.run(&mut t[..cn]);
            }
            m += cn as isize;
        }
        for c in &mut self.ch[..channels] {
            c.box1.fill(c.box1.len, lowest);
            c.box2.fill(c.box2.len, lowest);
            c.release = lowest;
        }
    }

    /// Peaks of the segments `[m, m+1)`, `m = m0 .. m0 + cn`, of the first `nch` channels into
    /// `out`: the true-peak bound (see the module doc) or the sample peak.
    ///
    /// In true-peak mode the segments go in groups of [`LANES`]. When a cheap upper bound on a
    /// group stays at or under `thr` in every channel, no segment of it can need gain reduction
    /// in any channel whatever the stereo link (the louder channel's peak, which the link
    /// mixes in, is under `thr` too): the interpolation is skipped and the group gets that
    /// bound (0 where the rows' bound below decides: any peak at or under `thr` gives the same
    /// gains), and the required gains are exactly 1 either way. The bound is
    /// `(9/8 P + ENV_SAFETY * E) * 1.001`:
    /// - a segment's peak is the largest of its points, or a parabola's vertex, at most 9/8 of
    ///   its middle point (see [`parabola_peaks`]), plus `ENV_SAFETY` times its envelope, the
    ///   largest `|hi|` in a window inside the group's: at most `E`, the maxima of the rows
    ///   that cover the group's windows;
    /// - `P` bounds every middle point of the group's parabolas (its samples and interpolated
    ///   values): first `sum |taps|` times the largest `|lo|` in the group's window; where that
    ///   does not decide, the largest of [`row_bounds`] of [`Interpolator::skip`], each point's
    ///   `|taps|` summed per row of the window times the row's largest `|lo|` (see
    ///   [`skip_weights`], whose weights also carry the rounding of the interpolator's sums).
    ///   Measured on the Maximizer's bench signal (`music_like` +6 dB into -1 dB), it lets
    ///   17.0 % of the groups through to the interpolator where the window bound alone let
    ///   21.1 % through; 0.9 % of all groups need reduction;
    /// - the 0.1 % covers the remaining `f32` roundings (the vertex, the sums of the bound).
    #[inline(always)]
    fn detect(&self, nch: usize, m0: usize, cn: usize, thr: f32, out: &mut [[f32; CHUNK]; 2]) {
        const GROUPS: usize = CHUNK / LANES;
        let (cap, mask) = (self.cap, self.mask);
        if !self.active_true_peak {
            for (ch, o) in self.ch.iter().zip(out.iter_mut()).take(nch) {
                for (o, &x) in o.iter_mut().zip(&ch.ring[m0..m0 + cn]) {
                    *o = x.abs();
                }
            }
            return;
        }
        let groups = cn.div_ceil(LANES);
        // A group's envelopes (see `envelope`) together span hs[8g .. 8g + 8 + ENV_SPAN - 1]:
        // bounded by the maxima of the aligned rows of LANES that cover it.
        const ENV_ROWS: usize = (LANES + ENV_SPAN - 1).div_ceil(LANES);
        let mut bound = [[0.0f32; GROUPS]; 2];
        let mut hrows = [[0.0f32; GROUPS + ENV_ROWS]; 2];
        for ((ch, bound), hrows) in self.ch.iter().zip(&mut bound).zip(&mut hrows).take(nch) {
            let hs = &ch.hi[(m0 + cap - ENV_HALF) & mask..][..cn + ENV_SPAN - 1];
            *hrows = row_peaks(hs);
            let emax = window_max(hrows, ENV_ROWS);
            // Group g's interpolator outputs read lo[8g .. 8g + 8 + 2 TP_HALF] (relative to
            // m0 - TP_HALF): the maxima of |lo| over aligned rows of LANES, each reduced across
            // its lanes, then over the group's rows (scalar running maxima do not vectorise: they
            // were a tenth of the detector's instructions).
            let ls = &ch.lo[(m0 + cap - TP_HALF) & mask..][..cn + 2 * TP_HALF + 1];
            let rows: [f32; GROUPS + SPAN_RUNS] = row_peaks(ls);
            let lmax = window_max(&rows, SPAN_RUNS);
            for (g, b) in bound[..groups].iter_mut().enumerate() {
                let env = ENV_SAFETY as f32 * emax[g];
                *b = (1.125 * self.interp.gain_bound * lmax[g] + env) * 1.001;
                // The rows' bound only where the window's does not decide: it is a few
                // multiply-adds a group, and the window's decides most of them.
                if *b > thr {
                    let r = rows[g..g + SPAN_RUNS].try_into().expect("a group's rows");
                    let lanes = row_bounds(&self.interp.skip, r);
                    // Any peak at or under `thr` gives the same gains (all exactly 1), so a
                    // group the rows' bound skips gets 0.
                    if !lanes.iter().any(|&p| (1.125 * p + env) * 1.001 > thr) {
                        *b = 0.0;
                    }
                }
            }
        }
        let mut needed = [false; GROUPS];
        for (g, n) in needed[..groups].iter_mut().enumerate() {
            *n = bound[..nch].iter().any(|b| b[g] > thr);
        }
        for c in 0..nch {
            let ls = &self.ch[c].lo[(m0 + cap - TP_HALF) & mask..][..cn + 2 * TP_HALF + 1];
            let hs = &self.ch[c].hi[(m0 + cap - ENV_HALF) & mask..][..cn + ENV_SPAN - 1];
            // Output j of the interpolator is segment m0 - 1 + j (j = 0 is the previous
            // segment's last point, the first parabola's left neighbour): a run of needed groups
            // covering segments s..e needs outputs s..=e.
            // mid[g + 1]: the largest |hi| over the whole rows inside group g's envelope windows.
            let mid = window_max(&hrows[c], ENV_MID_ROWS);
            let mut iv = [[0.0f32; CHUNK + 1]; TP_OS - 1];
            let mut g = 0;
            while g < groups {
                if !needed[g] {
                    let end = ((g + 1) * LANES).min(cn);
                    out[c][g * LANES..end].fill(bound[c][g]);
                    g += 1;
                    continue;
                }
                let first = g;
                while g < groups && needed[g] {
                    g += 1;
                }
                let (s, e) = (first * LANES, (g * LANES).min(cn));
                self.interp.run(ls, s, e - s + 1, &mut iv);
                for k0 in (s..e).step_by(LANES) {
                    let p = parabola_peaks(&iv, ls, k0);
                    let en = envelope(hs, k0, mid[k0 / LANES + 1]);
                    let n = LANES.min(e - k0);
                    for ((o, &p), &en) in out[c][k0..k0 + n].iter_mut().zip(&p).zip(&en) {
                        *o = p + ENV_SAFETY as f32 * en;
                    }
                }
            }
        }
    }

    /// Required gains for per-channel peaks `p`, after stereo link.
    fn linked_gains(&self, p: [f64; 2], channels: usize) -> [f64; 2] {
        let margin = if self.active_true_peak {
            TP_MARGIN
        } else {
            1.0
        };
        let (thr, link) = (self.ceiling.value() * margin, self.link.value());
        let pmax = p[0].max(p[1]);
        let mut t = [1.0f64; 2];
        for c in 0..channels {
            t[c] = required_gain(p[c], pmax, link, thr);
        }
        t
    }

    /// Gives channel 1 its own gain-path state again (see [`Limiter::mirrored`]).
    fn unmirror(&mut self) {
        if self.mirrored {
            self.mirrored = false;
            let [c0, c1] = &mut self.ch;
            c1.copy_gain_state(c0);
        }
    }

    /// Every stage of the gain path of the first `nch` channels holds exactly 1 (with a chunk
    /// that needs no reduction, see `quiet` in [`process_block`](Self::process_block), the
    /// output is then the delayed input).
    fn at_unity(&self, nch: usize, auto: bool) -> bool {
        self.ch[..if self.mirrored { 1 } else { nch }]
            .iter()
            .all(|c| {
                c.release == 1.0
                    && (!auto || c.slow == 1.0)
                    && c.hold.at_unity()
                    && c.box1.at_unity()
                    && c.box2.at_unity()
            })
    }

    /// Processes one block in place (1 or 2 channels of equal length).
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        crate::simd::dispatch(Block(self, channels));
    }

    #[inline(always)]
    fn process_block(&mut self, channels: &mut [&mut [f32]]) {
        let nch = channels.len().min(2);
        if nch == 0 || self.cap == 0 {
            return;
        }
        if self.needs_rebuild {
            self.needs_rebuild = false;
            self.rebuild(nch);
        }
        let len = channels[0].len();
        let (_, e, _) = self.geometry();
        let delay = self.la + DETECT_DELAY;
        let auto = self.auto_release;
        let coeffs = ReleaseCoeffs {
            rel: Expo::new(self.rel_coeff),
            fast: Expo::new(self.fast_coeff),
            slow_att: Expo::new(self.slow_att_coeff),
            slow_rel: Expo::new(self.slow_rel_coeff),
        };
        let sample_clip = !self.active_true_peak;
        let (cap, mask) = (self.cap, self.mask);
        let mut i0 = 0;
        while i0 < len {
            let cn = CHUNK.min(len - i0);
            let n0 = self.n;
            // Drive and delay line, then the band split, for the whole chunk: each stage a
            // plain loop over local arrays (it vectorises), then whole slices copied into the
            // mirrored rings (indexed stores into a ring compile to scalar code).
            let mut drive = [0.0f32; CHUNK];
            if self.drive.is_smoothing() {
                for d in &mut drive[..cn] {
                    *d = self.drive.tick() as f32;
                }
            } else {
                // At rest a tick returns the value unchanged.
                drive[..cn].fill(self.drive.value() as f32);
            }
            let split_start = (n0 + cap - 2 * SPLIT_HALF) & mask;
            let band_at = (n0 + cap - SPLIT_HALF) & mask;
            for (c, data) in channels.iter().enumerate().take(nch) {
                let ch = &mut self.ch[c];
                let mut x = [0.0f32; CHUNK];
                for ((x, &v), &d) in x[..cn].iter_mut().zip(&data[i0..i0 + cn]).zip(&drive) {
                    *x = sanitize(v) * d;
                }
                write_mirrored(&mut ch.ring, cap, n0 & mask, &x[..cn]);
                let mut lo = [0.0f32; CHUNK];
                let span = &ch.ring[split_start..split_start + cn + 2 * SPLIT_HALF];
                symmetric_fir(&self.split, span, &mut lo[..cn]);
                let mut hi = [0.0f32; CHUNK];
                let centre = &ch.ring[band_at..band_at + cn];
                for ((h, &l), &x) in hi[..cn].iter_mut().zip(&lo).zip(centre) {
                    *h = (x - l).abs();
                }
                write_mirrored(&mut ch.lo, cap, band_at, &lo[..cn]);
                write_mirrored(&mut ch.hi, cap, band_at, &hi[..cn]);
            }
            // Segments before the first input sample are detected too (the rings start as
            // silence): skipping them left the near-Nyquist envelope window without the first
            // samples' values, and a signal starting at full scale went up to 0.7 dB over the
            // true-peak ceiling.
            let m0 = (n0 + cap - DETECT_DELAY - e) & mask;
            let thr = if self.ceiling.is_smoothing() {
                0.0
            } else {
                (self.ceiling.value() * TP_MARGIN) as f32
            };
            let mut peaks = [[0.0f32; CHUNK]; 2];
            // Below the f32 rounding of the threshold, so a skipped group is one the f64 gain
            // computer would leave at exactly 1.
            self.detect(nch, m0, cn, thr * (1.0 - 1e-6), &mut peaks);
            let margin = if sample_clip { 1.0 } else { TP_MARGIN };
            let ramp = self.ceiling.is_smoothing() || self.link.is_smoothing();
            // No segment of the chunk needs reduction (most chunks, even of a driven master): the
            // linked peaks are at most the louder peak give or take a few roundings of the `f64`
            // link arithmetic, which the headroom covers, so every required gain is exactly 1 and
            // the channels agree (a channel past `nch` holds zeros).
            let quiet = !ramp
                && (peak_abs(&peaks[1][..cn], peak_abs(&peaks[0][..cn], 0.0)) as f64)
                    < self.ceiling.value() * margin * (1.0 - 1e-6);
            if !sample_clip && quiet && self.at_unity(nch, auto) {
                // Exactly what the loop below computes when no segment needs reduction and the
                // gain path already rests at 1: the output is the delayed input.
                let out = (n0 + cap - delay) & mask;
                for (ch, data) in self.ch.iter_mut().zip(channels.iter_mut()).take(nch) {
                    data[i0..i0 + cn].copy_from_slice(&ch.ring[out..out + cn]);
                    ch.hold.skip_unity(cn);
                }
                if nch == 2 && !self.mirrored {
                    self.mirrored = self.ch[1].same_unity_state(&self.ch[0]);
                }
                self.n += cn;
                self.gain_now = 1.0;
                i0 += cn;
                continue;
            }
            // The gain path stage by stage over the chunk: the lane-wise stages vectorise, and
            // each channel's recursions run in one tight loop.
            // At rest a tick returns the value unchanged: the arrays start at the values at rest.
            let ceiling = self.ceiling.value();
            let mut thr_k = [ceiling * margin; CHUNK];
            let mut link_k = [self.link.value(); CHUNK];
            let mut ceil_k = [ceiling as f32; CHUNK];
            if ramp {
                for k in 0..cn {
                    let ceiling = self.ceiling.tick();
                    link_k[k] = self.link.tick();
                    ceil_k[k] = ceiling as f32;
                    thr_k[k] = ceiling * margin;
                }
            }
            // One pass from the peaks to channel 0's required gains and channel 1's linked peaks,
            // which stay put until channel 1 is known to need its own (a pass a stage, through
            // arrays of the louder peak and the linked peaks, was twice the instructions).
            // Mirrored channels stay so while their linked peaks agree or neither needs
            // reduction: channel 0's required gains are then channel 1's to the bit, and only
            // they are computed (the division is the dearest operation of the gain computer).
            // A quiet chunk skips that pass.
            let mut g = [[1.0f64; CHUNK]; 2];
            let mut same = true;
            if !quiet {
                let [g0, q1] = &mut g;
                let lanes = g0[..cn]
                    .iter_mut()
                    .zip(&mut q1[..cn])
                    .zip(&peaks[0])
                    .zip(&peaks[1]);
                for ((((g0, q1), &a), &b), (&l, &thr)) in lanes.zip(link_k.iter().zip(&thr_k)) {
                    // The louder channel's peak (a channel past `nch` holds zeros); the
                    // conversion to f64 is exact, so the f32 maximum is the f64 one.
                    let m = max_f32(a, b) as f64;
                    let (qa, qb) = (linked_peak(a as f64, m, l), linked_peak(b as f64, m, l));
                    same &= (qa == qb) | ((qa <= thr) & (qb <= thr));
                    *g0 = gain_for(qa, thr);
                    *q1 = qb;
                }
            }
            let run = if self.mirrored && nch == 2 && same {
                1
            } else {
                self.unmirror();
                if nch == 2 && !quiet {
                    for (g, &thr) in g[1][..cn].iter_mut().zip(&thr_k) {
                        *g = gain_for(*g, thr);
                    }
                }
                nch
            };
            // The required gains, turned into the gains in place by the gain path.
            for (c, g) in self.ch.iter_mut().zip(&mut g).take(run) {
                if auto {
                    c.gain_run::<true>(&mut g[..cn], quiet, &coeffs);
                } else {
                    c.gain_run::<false>(&mut g[..cn], quiet, &coeffs);
                }
            }
            let out = (n0 + cap - delay) & mask;
            for (c, (ch, data)) in self
                .ch
                .iter()
                .zip(channels.iter_mut())
                .enumerate()
                .take(nch)
            {
                // A mirrored channel 1 takes channel 0's gains.
                let g = &g[c.min(run - 1)];
                let lanes = data[i0..i0 + cn].iter_mut().zip(&ch.ring[out..]).zip(g);
                if sample_clip {
                    for (((y, &x), &g), &c) in lanes.zip(&ceil_k) {
                        *y = (x * g as f32).clamp(-c, c);
                    }
                } else {
                    for ((y, &x), &g) in lanes {
                        *y = x * g as f32;
                    }
                }
            }
            self.n += cn;
            // The meter over the gain paths that ran (a mirrored channel 1's gains are channel
            // 0's). Lane-wise (a fold of `f64::min` is a scalar chain with NaN checks: it was an
            // eighth of the Maximizer's instructions); gains are never NaN, so it is the same
            // minimum in any order.
            let (mut now, mut low) = (1.0, self.gain_low);
            for g in &g[..run] {
                now = min_f64(now, g[cn - 1]);
                low = min_lanes_f64(&g[..cn], low);
            }
            (self.gain_now, self.gain_low) = (now, low);
            i0 += cn;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::{max_lanes, stress_windows};

    /// A parabola whose middle point is a power of two with one neighbour an ulp under it and
    /// the other equal: `2 c0 - a - b` rounds to 0, and the vertex came out at 3.6e15 (a false
    /// peak: the gain computer would have silenced the attack window). It is at most 9/8 of
    /// the point, as [`Limiter::detect`]'s skip bound assumes.
    #[test]
    fn parabola_through_a_rounded_flat_top_stays_under_nine_eighths() {
        for c0 in [1.0f32, 0.25, 4.0] {
            let mut iv = [[0.5 * c0; CHUNK + 1]; TP_OS - 1];
            let mut ls = [0.5 * c0; CHUNK + 2 * TP_HALF + 1];
            iv[2][0] = c0 - c0 * f32::EPSILON / 2.0;
            ls[TP_HALF] = c0;
            iv[0][1] = c0;
            let p = parabola_peaks(&iv, &ls, 0)[0];
            assert!(p >= c0 && p <= 1.125 * c0, "vertex {p} for a top at {c0}");
        }
    }

    /// The per-row skip bound of [`Limiter::detect`] holds: every middle point of a group's
    /// parabolas is at most the largest of [`row_bounds`] over the group's rows, and every computed segment peak
    /// at most 9/8 of that plus 0.1 %, on windows built to reach the bound. The tightest window
    /// comes within 0.1 % of it, so the test sits at the edge a wrong weight or a missing
    /// rounding allowance would cross.
    #[test]
    fn row_bound_covers_every_point_of_the_detector() {
        const GROUPS: usize = CHUNK / LANES;
        const LEN: usize = CHUNK + 2 * TP_HALF + 1;
        let it = Interpolator::design();
        let (a, b, c) = (it.a.map(|v| v[0]), it.b.map(|v| v[0]), it.c.map(|v| v[0]));
        let mut tightest = 0.0f32;
        for ls in stress_windows(LEN, &skip_points(&a, &b, &c), &[0, 3, GROUPS - 1]) {
            let rows: [f32; GROUPS + SPAN_RUNS] = row_peaks(&ls);
            let mut iv = [[0.0f32; CHUNK + 1]; TP_OS - 1];
            it.run(&ls, 0, CHUNK + 1, &mut iv);
            for g in 0..GROUPS {
                let r = rows[g..g + SPAN_RUNS].try_into().unwrap();
                let bound = max_lanes(row_bounds(&it.skip, r));
                let k0 = g * LANES;
                let mut top = 0.0f32;
                for l in 0..LANES {
                    top = top.max(ls[k0 + TP_HALF + l].abs());
                    for phase in &iv {
                        top = top.max(phase[k0 + 1 + l].abs());
                    }
                }
                assert!(
                    top <= bound,
                    "group {g}: point {top} over its bound {bound}"
                );
                let peak = parabola_peaks(&iv, &ls, k0).into_iter().fold(0.0, f32::max);
                assert!(
                    peak <= 1.125 * bound * 1.001,
                    "group {g}: {peak} over {bound}"
                );
                tightest = tightest.max(top / bound);
            }
        }
        assert!(
            tightest > 0.999,
            "the stress windows reach {tightest} of the bound"
        );
    }

    /// The hold against a brute-force window minimum, fed in chunks of 1 to 13 values across
    /// blocks of 7: short dips among long runs of exact ones, so most blocks hold only ones and
    /// skip their suffix pass (a block after them that holds a dip must not), and chunks of only
    /// ones go through `run_ones`.
    #[test]
    fn hold_is_the_window_minimum_across_blocks_of_ones() {
        const W: usize = 7;
        let x: Vec<f64> = (0..3000)
            .map(|i| match i * 7919 % 97 {
                r if r < 6 => 0.5 + r as f64 / 16.0,
                _ => 1.0,
            })
            .collect();
        let mut hold = SlidingMin::new(16);
        hold.clear(W);
        let mut y = x.clone();
        let (mut at, mut len) = (0, 1);
        while at < y.len() {
            let end = (at + len).min(y.len());
            let chunk = &mut y[at..end];
            if chunk.iter().all(|&v| v == 1.0) {
                hold.run_ones(chunk);
            } else {
                hold.run(chunk);
            }
            (at, len) = (end, len % 13 + 1);
        }
        for (i, &y) in y.iter().enumerate() {
            let want = x[i.saturating_sub(W - 1)..=i]
                .iter()
                .fold(1.0f64, |m, &v| m.min(v));
            assert_eq!(y, want, "at {i}");
        }
    }
}

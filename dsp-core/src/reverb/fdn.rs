//! The feedback delay network: eight modulated delay lines, per-line absorption filters and an
//! orthonormal Hadamard feedback matrix (Jot & Chaigne 1991; Jot's "Efficient models for
//! reverberation and distance rendering", 1997).
//!
//! Why Hadamard and not Householder: for eight lines the Householder reflection
//! `I - (2/8) 1 1^T` keeps 3/4 of every line in itself, so echo density builds slowly and each
//! line rings like a comb; the Hadamard matrix spreads every line equally (`±1/sqrt 8`) over
//! all eight on each pass, which gives the fastest density growth an orthogonal matrix can, at
//! 24 additions (fast Walsh-Hadamard). Orthogonality makes the loop lossless before the
//! absorption filters, so the decay is set by those filters alone.
//!
//! Exact per-band RT60 (Jot's absorption rule): a line of `L` samples must lose
//! `60 dB * L / (fs RT60(f))` per pass at every frequency, so its filter gain is
//! `g(f) = 10^(-3 L / (fs RT60(f)))`. Each line gets `g_mid` times a first-order low shelf (DC
//! gain `g_low / g_mid`) times a first-order high shelf (Nyquist gain `g_high / g_mid`), the
//! classic first-order absorbent of Jot's design. Each shelf is one zero-delay-feedback
//! (trapezoidal) one-pole (Zavalishin, "The Art of VA Filter Design", ch. 3) whose corner sits at
//! `f_x / sqrt(rho)` (low) or `f_x sqrt(rho)` (high), so the shelf's pole and zero lie
//! geometrically around the crossover `f_x` and the decay is halfway (in dB) between the two
//! plateaus there. The plateau gains are structurally exact (the one-pole's low-pass equals its
//! input at DC), each shelf is monotonic, so the loop gain never exceeds
//! `max(g_low, g_mid, g_high) < 1`, and with `rho = 1` a shelf is exactly the identity (the
//! frozen network is lossless to the bit). Eight lines run side by side as `[f32; 8]` lanes;
//! the two one-poles take about half the operations of two state-variable shelves.
//!
//! The sample loop runs each one-pole expanded into state-space form on the same state
//! ([`ShelfDesign::state_space`]), the allpass as `(eta u0 + u1) - eta ap`, and the line gain
//! and the Hadamard's `1/sqrt 8` folded into the high shelf's output coefficients: every state's
//! recursion is one multiply and one add (it was three or four dependent operations) and a
//! tap's path to the line it feeds is about half as deep. Those chains, not the instruction
//! count, bounded the loop (perf placed its samples on the butterflies waiting for them).
//!
//! Modulation (against metallic ringing): each line's length is swept by a slow sine with a
//! first-order allpass fractional delay (Dattorro, "Effect Design part 1", JAES 1997). Unlike
//! polynomial interpolation, the allpass has unit magnitude at every fractional position, so the
//! modulation never adds high-frequency loss to the loop and the per-band RT60 stays as set.
//! The sine is a rotating phasor advanced once per [`GRID`] cell; within a cell the total delay
//! moves linearly (at most 0.14 samples per cell at full depth), so each line's read positions
//! are one contiguous run per cell and its allpass coefficient a linear ramp: the integer read
//! offset is fixed per cell with the fractional part kept within `[0.5, 1.5)` at the cell's
//! middle, where the allpass coefficient stays within `[-1/4, 1/2]` and its transient dies within
//! a few samples. While size or mode glide the lengths (up to 3 samples per cell), the offset is
//! chosen per sample instead.

use super::lanes::{
    butterflies, flush, ButterflySigns, Lanes, BUTTERFLY_SIGNS, HADAMARD_SCALE, LINES,
};
use super::GRID;
use std::f64::consts::{LN_10, PI};

/// Offset that makes the fractional read position positive for the rounding trick below
/// (`floor` is a library call on baseline x86-64 and would not vectorise).
const FLOOR_BIAS: f32 = 4096.0;
/// `2^23`: adding and subtracting it rounds a positive `f32` below `2^23` to an integer.
const ROUND_MAGIC: f32 = 8_388_608.0;
/// Largest delay change within one cell (samples) that still runs on per-cell read offsets.
const FAST_SPAN: f64 = 0.25;

/// One first-order shelf in `f64`: `out = m_x x + m_lp lp(x)`, `lp` a trapezoidal one-pole with
/// prewarped corner `g = tan(pi fc / fs)`; also its exact response for the decay display.
#[derive(Debug, Clone, Copy)]
pub struct ShelfDesign {
    g: f64,
    m_x: f64,
    m_lp: f64,
}

impl ShelfDesign {
    /// Low shelf with linear gain `rho` at DC and 1 far above the crossover; `tan_wc =
    /// tan(pi f_x / fs)`.
    pub fn low(tan_wc: f64, rho: f64) -> Self {
        Self {
            g: tan_wc / rho.sqrt(),
            m_x: 1.0,
            m_lp: rho - 1.0,
        }
    }

    /// High shelf with linear gain 1 at DC and `rho` at Nyquist.
    pub fn high(tan_wc: f64, rho: f64) -> Self {
        Self {
            g: tan_wc * rho.sqrt(),
            m_x: rho,
            m_lp: 1.0 - rho,
        }
    }

    /// `[a, b, c, d]` of the shelf as `s' = a s + b x`, `out = c x + d s` on the one-pole's
    /// trapezoidal state `s`. With `G = g / (1 + g)` (Zavalishin's instantaneous gain) the
    /// one-pole is `v = G (x - s)`, `lp = v + s`, `s' = lp + v`, so `s' = (1 - 2G) s + 2G x`,
    /// `lp = G x + (1 - G) s` and `out = m_x x + m_lp lp`.
    ///
    /// `b = 2G` is rounded to a multiple of `2^-24`, so that `b` and `a = 1 - b` are both exact in
    /// `f32`: the state then equals the input at DC (`b / (1 - a) = 1`) and the plateaus stay
    /// structurally `m_x + m_lp` (DC) and `m_x` (Nyquist), up to the rounding of `c` and `d`
    /// (`1e-7`, far inside the loop's margin below 1). With `rho = 1`, `m_lp = 0` and `m_x = 1`,
    /// so `c = 1` and `d = 0` exactly: the frozen shelf is still the identity.
    pub fn state_space(&self) -> [f64; 4] {
        const Q: f64 = (1u32 << 24) as f64;
        let b = (2.0 * self.g / (1.0 + self.g) * Q).round() / Q;
        let big_g = 0.5 * b;
        [
            1.0 - b,
            b,
            self.m_x + self.m_lp * big_g,
            self.m_lp * (1.0 - big_g),
        ]
    }

    /// Magnitude at `freq`: the trapezoidal one-pole is the bilinear transform of
    /// `m_x + m_lp / (1 + s / g)` with `s = j tan(pi f / fs)`.
    pub fn magnitude(&self, freq: f64, sample_rate: f64) -> f64 {
        let w = (PI * (freq / sample_rate).min(0.5 - 1e-9)).tan() / self.g;
        // 1 / (1 + j w) = (1 - j w) / (1 + w^2)
        let d = 1.0 + w * w;
        let re = self.m_x + self.m_lp / d;
        let im = -self.m_lp * w / d;
        (re * re + im * im).sqrt()
    }
}

/// Absorption targets in "decay rate" form: `alpha = 1 / RT60` in 1/s per band (0 = frozen).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Absorption {
    pub alpha_low: f64,
    pub alpha_mid: f64,
    pub alpha_high: f64,
    pub low_xover_hz: f64,
    pub high_xover_hz: f64,
}

impl Absorption {
    /// The three filter sections of a line of `len` samples: (mid gain, low shelf, high shelf).
    pub fn design(&self, len: f64, sample_rate: f64) -> (f64, ShelfDesign, ShelfDesign) {
        // g = 10^(-3 L alpha / fs) = exp(-3 ln10 L alpha / fs)
        let k = -3.0 * LN_10 * len / sample_rate;
        let g_mid = (k * self.alpha_mid).exp();
        let rho_low = (k * (self.alpha_low - self.alpha_mid)).exp();
        let rho_high = (k * (self.alpha_high - self.alpha_mid)).exp();
        let tan = |f: f64| (PI * (f / sample_rate).min(0.45)).tan();
        (
            g_mid,
            ShelfDesign::low(tan(self.low_xover_hz), rho_low),
            ShelfDesign::high(tan(self.high_xover_hz), rho_high),
        )
    }
}

/// Per-line coefficients of the absorption filter: both shelves' [`ShelfDesign::state_space`]
/// but the high shelf's output pair, which carries the line gain (see `Fdn::out_c`).
#[derive(Debug, Clone, Copy, Default)]
struct Damping {
    low_a: Lanes,
    low_b: Lanes,
    low_c: Lanes,
    low_d: Lanes,
    high_a: Lanes,
    high_b: Lanes,
}

#[derive(Debug, Clone, Default)]
pub struct Fdn {
    buf: Vec<Lanes>,
    mask: usize,
    pos: usize,
    /// The write position at the start of the current cell.
    cell: usize,
    /// Nominal line lengths in samples (before modulation), stepped once per cell.
    len: [f64; LINES],
    len_target: [f64; LINES],
    len_step: [f64; LINES],
    /// Cells left in the current length glide.
    len_cells: u32,
    /// The current cell: integer read offset per line (frames back from the write position).
    offset: [usize; LINES],
    /// Fast cells: allpass coefficient now and its per-sample step.
    eta: Lanes,
    eta_step: Lanes,
    /// Gliding cells: fractional delay (relative to `offset`) at the cell start and its step.
    frac0: Lanes,
    frac_step: Lanes,
    fast: bool,
    /// Fast cells' read runs: `taps[t][i]` is line `i`'s frame one sample older than its read
    /// at cell position `t`.
    taps: Taps,
    ap: Lanes,
    low_s: Lanes,
    high_s: Lanes,
    damp: Damping,
    lfo_cos: [f64; LINES],
    lfo_sin: [f64; LINES],
    rot_cos: [f64; LINES],
    rot_sin: [f64; LINES],
    /// The high shelf's `c` and `d` times the line's broadband gain `g_mid` and
    /// [`HADAMARD_SCALE`]: one line's output into the (unnormalised) butterflies. After a design
    /// change they ramp linearly to their targets across a cell.
    out_c: Lanes,
    out_d: Lanes,
    out_c_target: Lanes,
    out_d_target: Lanes,
    out_c_step: Lanes,
    out_d_step: Lanes,
    /// Bitwise OR of every frame written since the last `end_run` (non-zero: the lines are live).
    written: [u32; LINES],
    floor: f32,
    /// [`BUTTERFLY_SIGNS`], read from memory in the sample loop (see `butterflies`).
    signs: ButterflySigns,
    /// `run`'s filtered line outputs of the current run, between its two passes.
    mix: [Lanes; GRID],
}

/// A cell's read runs plus the one older frame each allpass needs.
#[derive(Debug, Clone)]
struct Taps([Lanes; GRID + 1]);

impl Default for Taps {
    fn default() -> Self {
        Self([[0.0; LINES]; GRID + 1])
    }
}

/// `2^52`: adding and subtracting it rounds a non-negative `f64` below `2^52` to an integer,
/// and the sum's bits minus its own are that integer.
const ROUND_MAGIC_F64: f64 = 4_503_599_627_370_496.0;

/// `x.floor()` for the read positions, which are non-negative (every line is at least 3 samples
/// long and the sweep is smaller): round to nearest by the `2^52` trick, then step down where
/// that rounded up. Exact, and plain vector arithmetic: `floor` is a library call on baseline
/// x86-64 and a cast to an integer and back (saturating in Rust) cost six instructions per
/// line (callgrind).
#[inline(always)]
fn floor_positive(x: f64) -> f64 {
    debug_assert!((0.0..ROUND_MAGIC_F64).contains(&x));
    let r = (x + ROUND_MAGIC_F64) - ROUND_MAGIC_F64;
    if r > x {
        r - 1.0
    } else {
        r
    }
}

/// The integer `k` (a [`floor_positive`] result) as an index, read from the bits of
/// `k + 2^52` (whose mantissa is `k`): an integer subtraction instead of a saturating cast.
#[inline(always)]
fn index_of(k: f64) -> usize {
    ((k + ROUND_MAGIC_F64).to_bits() - ROUND_MAGIC_F64.to_bits()) as usize
}

/// Per-line LFO rates (Hz): incommensurate, so the lines never sweep in step.
const LFO_HZ: [f64; LINES] = [0.31, 0.43, 0.53, 0.67, 0.79, 0.89, 1.03, 1.13];
/// Per-line share of the modulation depth (slower lines swing further).
const LFO_WEIGHT: [f64; LINES] = [1.0, 0.93, 0.87, 0.8, 0.75, 0.7, 0.64, 0.6];

impl Fdn {
    /// Allocates for nominal lengths up to `max_len` samples plus `max_mod` samples of sweep.
    pub fn prepare(&mut self, sample_rate: f64, max_len: f64, max_mod: f64, floor: f32) {
        let frames = (max_len + max_mod).ceil() as usize + 4;
        // A power of two of at least a cell: the write run of a cell never wraps.
        self.buf = vec![[0.0; LINES]; frames.next_power_of_two().max(GRID)];
        self.mask = self.buf.len() - 1;
        for (i, hz) in LFO_HZ.iter().enumerate() {
            let w = 2.0 * PI * hz * GRID as f64 / sample_rate;
            self.rot_cos[i] = w.cos();
            self.rot_sin[i] = w.sin();
        }
        self.floor = floor;
        self.signs = BUTTERFLY_SIGNS;
        self.reset();
    }

    /// Clears the signal state and restarts the LFOs at their fixed initial phases.
    pub fn reset(&mut self) {
        self.buf.fill([0.0; LINES]);
        self.pos = 0;
        self.cell = 0;
        self.ap = [0.0; LINES];
        self.low_s = [0.0; LINES];
        self.high_s = [0.0; LINES];
        for i in 0..LINES {
            let ph = 2.0 * PI * i as f64 * 0.382;
            self.lfo_cos[i] = ph.cos();
            self.lfo_sin[i] = ph.sin();
        }
        self.len = self.len_target;
        self.len_cells = 0;
        self.land_output_gains();
        self.eta_step = [0.0; LINES];
        self.frac_step = [0.0; LINES];
    }

    /// Ends any output-gain ramp exactly on its target.
    #[inline(always)]
    fn land_output_gains(&mut self) {
        self.out_c = self.out_c_target;
        self.out_d = self.out_d_target;
        self.out_c_step = [0.0; LINES];
        self.out_d_step = [0.0; LINES];
    }

    pub fn state_is_zero(&self) -> bool {
        self.ap
            .iter()
            .chain(&self.low_s)
            .chain(&self.high_s)
            .all(|&v| v == 0.0)
            && self.buf.iter().all(|f| f.iter().all(|&v| v == 0.0))
    }

    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Glides every nominal length to `target` over `ramp` samples (0 = jump), in steps of one
    /// cell. Reading positions move continuously, so a size or mode change is a short pitch
    /// glide, never a click.
    pub fn set_lengths(&mut self, target: [f64; LINES], ramp: u32) {
        let max = (self.mask as f64 - 2.0).max(3.0);
        self.len_target = target.map(|l| l.clamp(3.0, max));
        let cells = ramp.div_ceil(GRID as u32);
        if cells == 0 {
            self.len = self.len_target;
            self.len_cells = 0;
        } else {
            self.len_cells = cells;
            for i in 0..LINES {
                self.len_step[i] = (self.len_target[i] - self.len[i]) / cells as f64;
            }
        }
    }

    pub fn mean_length(&self) -> f64 {
        self.len.iter().sum::<f64>() / LINES as f64
    }

    pub fn is_gliding(&self) -> bool {
        self.len_cells > 0
    }

    /// Recomputes every line's absorption filter for the current lengths.
    /// The output coefficients (which carry the broadband gain) ramp linearly to their new values
    /// across the next cell when `ramp`: the broadband gain carries most of the change when decay
    /// or size move, and a per-cell step of it would be an audible zipper. While they ramp, the
    /// high shelf's state runs with its new `a` and `b`: at DC its state equals the input
    /// (`b / (1 - a) = 1`) whatever the design, so the ramp passes between the two DC gains.
    pub fn set_absorption(&mut self, abs: &Absorption, sample_rate: f64, ramp: bool) {
        let d = &mut self.damp;
        for i in 0..LINES {
            let (g, lo, hi) = abs.design(self.len[i], sample_rate);
            let [a, b, c, dd] = lo.state_space().map(|v| v as f32);
            (d.low_a[i], d.low_b[i], d.low_c[i], d.low_d[i]) = (a, b, c, dd);
            let [a, b, c, dd] = hi.state_space();
            (d.high_a[i], d.high_b[i]) = (a as f32, b as f32);
            // Frozen, `g = c = 1` and this is exactly `HADAMARD_SCALE` (see there).
            let k = g * HADAMARD_SCALE as f64;
            self.out_c_target[i] = (k * c) as f32;
            self.out_d_target[i] = (k * dd) as f32;
        }
        if ramp {
            for i in 0..LINES {
                self.out_c_step[i] = (self.out_c_target[i] - self.out_c[i]) / GRID as f32;
                self.out_d_step[i] = (self.out_d_target[i] - self.out_d[i]) / GRID as f32;
            }
        } else {
            self.land_output_gains();
        }
    }

    /// Starts a cell: lands the previous cell's ramps exactly on their targets, flushes the
    /// filter states, advances the lengths and the LFOs by one cell and plans the cell's reads
    /// (`depth0`/`depth1`: the modulation sweep in samples at the cell's start and end).
    /// Inlined into the caller's [`crate::simd::dispatch`] kernel and written as lane loops over
    /// the eight lines, so that each step is two AVX2 `f64` vectors (a third of a cell's
    /// instructions ran here, scalar, before).
    #[inline(always)]
    pub fn begin_cell(&mut self, depth0: f64, depth1: f64) {
        self.land_output_gains();
        self.ap = flush(self.ap, self.floor);
        self.low_s = flush(self.low_s, self.floor);
        self.high_s = flush(self.high_s, self.floor);
        let len0 = self.len;
        if self.len_cells > 0 {
            self.len_cells -= 1;
            if self.len_cells == 0 {
                self.len = self.len_target;
            } else {
                for i in 0..LINES {
                    self.len[i] += self.len_step[i];
                }
            }
        }
        let sin0 = self.lfo_sin;
        let (c, s, rc, rs) = (self.lfo_cos, self.lfo_sin, self.rot_cos, self.rot_sin);
        for i in 0..LINES {
            let c1 = c[i] * rc[i] - s[i] * rs[i];
            let s1 = s[i] * rc[i] + c[i] * rs[i];
            // One Newton step towards unit radius, so rounding never lets the phasor drift.
            let k = 1.5 - 0.5 * (c1 * c1 + s1 * s1);
            self.lfo_cos[i] = c1 * k;
            self.lfo_sin[i] = s1 * k;
        }
        self.cell = self.pos;
        let mut d0 = [0.0f64; LINES];
        let mut d1 = [0.0f64; LINES];
        for i in 0..LINES {
            d0[i] = len0[i] + depth0 * LFO_WEIGHT[i] * sin0[i];
            d1[i] = self.len[i] + depth1 * LFO_WEIGHT[i] * self.lfo_sin[i];
        }
        // A fold without an early exit: one vector compare, not eight branches.
        self.fast = (0..LINES).fold(true, |fast, i| fast & ((d1[i] - d0[i]).abs() <= FAST_SPAN));
        let step = 1.0 / GRID as f64;
        let mut k = [0.0f64; LINES];
        if self.fast {
            // Fractional part within [0.5, 1.5) at the middle of the cell.
            for i in 0..LINES {
                k[i] = floor_positive(0.5 * (d0[i] + d1[i]) - 0.5);
            }
            for i in 0..LINES {
                let (f0, f1) = (d0[i] - k[i], d1[i] - k[i]);
                let (e0, e1) = ((1.0 - f0) / (1.0 + f0), (1.0 - f1) / (1.0 + f1));
                self.eta[i] = e0 as f32;
                self.eta_step[i] = ((e1 - e0) * step) as f32;
            }
        } else {
            for i in 0..LINES {
                k[i] = floor_positive(d0[i]) - 2.0;
                self.frac0[i] = (d0[i] - k[i]) as f32;
                self.frac_step[i] = ((d1[i] - d0[i]) * step) as f32;
            }
            self.eta_step = [0.0; LINES];
        }
        self.offset = k.map(index_of);
        if self.fast {
            self.load_taps();
        }
    }

    /// Copies the cell's read runs into `taps` (fast cells). The shortest line is longer than a
    /// cell, so every frame the cell reads was written before it started.
    #[inline(always)]
    fn load_taps(&mut self) {
        let mask = self.mask;
        let buf = &self.buf[..mask + 1];
        // Cell sample t reads u0 = frame `pos + t - off` and u1 one older: taps[t] = u1(t).
        let start = self.offset.map(|off| self.pos.wrapping_sub(off + 1) & mask);
        if start.iter().all(|&a| a + GRID < buf.len()) {
            // No run wraps: one frame of eight loads per tap, no index masking. Fixed-size runs,
            // so the copy has no bounds checks (with slices it had one per line and tap).
            let runs: [&[Lanes; GRID + 1]; LINES] = std::array::from_fn(|i| {
                buf[start[i]..start[i] + GRID + 1]
                    .try_into()
                    .expect("a run of GRID + 1 frames")
            });
            for (t, dst) in self.taps.0.iter_mut().enumerate() {
                for (i, v) in dst.iter_mut().enumerate() {
                    *v = runs[i][t][i];
                }
            }
        } else {
            for (t, dst) in self.taps.0.iter_mut().enumerate() {
                *dst = std::array::from_fn(|i| buf[(start[i] + t) & mask][i]);
            }
        }
    }

    /// Whether this cell reads by runs (`run::<true>`) or per sample (`run::<false>`).
    #[inline(always)]
    pub fn is_fast(&self) -> bool {
        self.fast
    }

    /// Runs the network over `inject.len()` samples from cell position `from`: per sample, the
    /// Hadamard mix of the filtered line outputs is computed (each lane an orthogonal
    /// combination of all lines), `mix + inject` is written into the lines, and lanes 1 and 2 of
    /// the mix (the decorrelated output taps) go to `out_l` and `out_r`. `FAST` must equal
    /// [`Fdn::is_fast`] (a per-cell choice, so the sample loop has no branch). The filter states
    /// live in locals for the run: kept in registers, not stored back to `self` every sample.
    #[inline(always)]
    pub fn run<const FAST: bool>(
        &mut self,
        from: usize,
        inject: &[Lanes],
        out_l: &mut [f32],
        out_r: &mut [f32],
    ) {
        let d = self.damp;
        let (eta_step, floor) = (self.eta_step, self.floor);
        let (c_step, d_step) = (self.out_c_step, self.out_d_step);
        let signs = self.signs;
        let (mut ap, mut low_s, mut high_s) = (self.ap, self.low_s, self.high_s);
        let (mut eta, mut written) = (self.eta, self.written);
        let (mut out_c, mut out_d) = (self.out_c, self.out_d);
        let base = self.cell + from;
        let (mask, offset, frac0, frac_step) = (self.mask, self.offset, self.frac0, self.frac_step);
        // The ring as a local slice with its length checked once for the whole write run: with
        // `self.buf` indexed in the loop, its pointer and length were reloaded and checked on
        // every sample (the store into it may alias `self`).
        let buf = &mut self.buf[..];
        let n = inject.len();
        assert!(base + n <= buf.len());
        // Two passes over the run. The first holds every recursion (allpass, shelves, ramps):
        // its carried chains are one multiply and one add each. The second (mix, inject, write,
        // output taps) carries nothing from sample to sample. In one loop the mix waited about
        // 25 dependent operations for each sample's filters, and those waiting operations filled
        // the out-of-order window, so few samples overlapped (perf: the loop was latency-bound);
        // split, each pass overlaps freely. No line is read within a cell of its write, so the
        // writes may all come after the reads.
        let mix = &mut self.mix[..n];
        // Zipped with the taps (no bounds checks in the loop; gliding cells ignore them).
        let taps = self.taps.0[from..].windows(2);
        for (t, (m, tap)) in mix.iter_mut().zip(taps).enumerate() {
            let (u0, u1, e) = if FAST {
                let e = eta;
                for i in 0..LINES {
                    eta[i] += eta_step[i];
                }
                (tap[1], tap[0], e)
            } else {
                gather(buf, mask, base + t, &offset, &frac0, &frac_step, from + t)
            };
            for i in 0..LINES {
                let y = (e[i] * u0[i] + u1[i]) - e[i] * ap[i];
                ap[i] = y;
                let x = d.low_c[i] * y + d.low_d[i] * low_s[i];
                low_s[i] = d.low_a[i] * low_s[i] + d.low_b[i] * y;
                out_c[i] += c_step[i];
                out_d[i] += d_step[i];
                m[i] = out_c[i] * x + out_d[i] * high_s[i];
                high_s[i] = d.high_a[i] * high_s[i] + d.high_b[i] * x;
            }
        }
        // A cell's write run never wraps (`prepare`): no mask.
        let lines = &mut buf[base..base + n];
        for (((m, inj), (yl, yr)), line) in mix
            .iter()
            .zip(inject)
            .zip(out_l.iter_mut().zip(out_r))
            .zip(lines)
        {
            let h = butterflies(*m, &signs);
            let mut w = [0.0f32; LINES];
            for i in 0..LINES {
                w[i] = h[i] + inj[i];
            }
            let w = flush(w, floor);
            for (b, v) in written.iter_mut().zip(&w) {
                *b |= v.to_bits();
            }
            *line = w;
            *yl = h[1];
            *yr = h[2];
        }
        (self.ap, self.low_s, self.high_s) = (ap, low_s, high_s);
        (self.eta, self.written) = (eta, written);
        (self.out_c, self.out_d) = (out_c, out_d);
    }

    /// Ends a run of `n` samples: advances the write position; returns whether the run wrote
    /// anything but zeros, and whether the state is finite (always, with clamped input; if not,
    /// the caller clears everything).
    #[inline(always)]
    pub fn end_run(&mut self, n: usize) -> (bool, bool) {
        self.pos = (self.pos + n) & self.mask;
        let live = self.written.iter().any(|&b| b != 0);
        self.written = [0; LINES];
        let finite = self.ap.iter().chain(&self.high_s).all(|v| v.is_finite());
        (live, finite)
    }

    /// Advances `n` samples of a network known to hold only zeros (every line, every filter
    /// state): what `run` would do with zero input, without the arithmetic.
    #[inline(always)]
    pub fn skip(&mut self, n: usize) {
        for _ in 0..n {
            for i in 0..LINES {
                self.eta[i] += self.eta_step[i];
                self.out_c[i] += self.out_c_step[i];
                self.out_d[i] += self.out_d_step[i];
            }
        }
        self.pos = (self.pos + n) & self.mask;
    }
}

/// Gliding cells: per-sample read offsets, as the delay may move several samples per cell.
/// `at` is the frame the sample writes, `t` its position in the cell.
#[inline(always)]
fn gather(
    buf: &[Lanes],
    mask: usize,
    at: usize,
    offset: &[usize; LINES],
    frac0: &Lanes,
    frac_step: &Lanes,
    t: usize,
) -> (Lanes, Lanes, Lanes) {
    let mut u0 = [0.0f32; LINES];
    let mut u1 = [0.0f32; LINES];
    let mut eta = [0.0f32; LINES];
    for i in 0..LINES {
        let q = frac0[i] + frac_step[i] * t as f32;
        // floor(q - 0.5) without a library call or a saturating cast: round to nearest by
        // the 2^23 trick, then step down where that rounded up.
        let x = q - 0.5 + FLOOR_BIAS;
        let r = (x + ROUND_MAGIC) - ROUND_MAGIC;
        let k = if r > x { r - 1.0 } else { r } - FLOOR_BIAS;
        let frac = q - k;
        eta[i] = (1.0 - frac) / (1.0 + frac);
        let at = at.wrapping_sub(offset[i]).wrapping_sub(k as isize as usize);
        u0[i] = buf[at & mask][i];
        u1[i] = buf[at.wrapping_sub(1) & mask][i];
    }
    (u0, u1, eta)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Magnitude at `freq` of the shelf as the loop runs it: `out = c x + d s`, `s' = a s + b x`
    /// with the coefficients rounded to `f32`, i.e. `H(z) = c + d b / (z - a)`.
    fn state_space_magnitude(shelf: &ShelfDesign, freq: f64, sample_rate: f64) -> f64 {
        let [a, b, c, d] = shelf.state_space().map(|v| v as f32 as f64);
        let w = 2.0 * PI * freq / sample_rate;
        // b / (z - a) with z = cos w + j sin w.
        let (re, im) = (w.cos() - a, w.sin());
        let den = re * re + im * im;
        let (hr, hi) = (c + d * b * re / den, -d * b * im / den);
        (hr * hr + hi * hi).sqrt()
    }

    #[test]
    fn frozen_shelves_are_exactly_the_identity() {
        for fs in [22_050.0f64, 48_000.0, 384_000.0] {
            for hz in [50.0, 250.0, 2_000.0, 9_000.0] {
                let tan_wc = (PI * (hz / fs).min(0.45)).tan();
                for shelf in [
                    ShelfDesign::low(tan_wc, 1.0),
                    ShelfDesign::high(tan_wc, 1.0),
                ] {
                    let [a, b, c, d] = shelf.state_space().map(|v| v as f32);
                    assert_eq!((c, d), (1.0, 0.0), "{hz} Hz at {fs} Hz");
                    assert_eq!(a + b, 1.0, "{hz} Hz at {fs} Hz");
                }
            }
        }
    }

    /// The `f32` state-space shelves the loop runs have the designed response (the one the
    /// decay display and the RT60 rule use) and never gain: a wrong coefficient in the
    /// expansion, or a plateau rounded above its design, fails here.
    #[test]
    fn state_space_shelves_match_the_design_and_stay_below_their_plateaus() {
        let mut worst = 0.0f64;
        for fs in [22_050.0, 48_000.0, 384_000.0] {
            for len in [62.0, 1_500.0, 9_000.0] {
                for rt_mid in [0.1, 2.0, 20.0] {
                    for (bass, hf_ratio) in [(0.5, 0.3), (1.0, 1.0), (2.0, 0.8)] {
                        let abs = Absorption {
                            alpha_low: 1.0 / (rt_mid * bass),
                            alpha_mid: 1.0 / rt_mid,
                            alpha_high: 1.0 / (rt_mid * hf_ratio),
                            low_xover_hz: 250.0,
                            high_xover_hz: 4_000.0,
                        };
                        let (_, lo, hi) = abs.design(len, fs);
                        let rho_low = lo.magnitude(0.0, fs);
                        let rho_high = hi.magnitude(fs / 2.0, fs);
                        // DC is the structural `c + d` (`b / (1 - a) = 1`), checked below.
                        for k in 1..=200 {
                            let f = fs / 2.0 * k as f64 / 200.0;
                            for (shelf, top) in [(&lo, rho_low.max(1.0)), (&hi, rho_high.max(1.0))]
                            {
                                let m = state_space_magnitude(shelf, f, fs);
                                let r = shelf.magnitude(f, fs);
                                worst = worst.max((m - r).abs() / top);
                                assert!(m <= top * (1.0 + 1e-6), "{m} above {top} at {f} Hz");
                            }
                        }
                        for (shelf, dc) in [(&lo, rho_low), (&hi, 1.0)] {
                            let [_, _, c, d] = shelf.state_space().map(|v| v as f32 as f64);
                            // The two roundings to `f32`.
                            let tol = f32::EPSILON as f64 * (c.abs() + d.abs());
                            assert!((c + d - dc).abs() <= tol, "DC {} for {dc}", c + d);
                        }
                    }
                }
            }
        }
        println!("f32 state-space shelves: at most {worst:e} (relative to the larger plateau) from their design");
        assert!(worst < 1e-5, "state-space shelf {worst:e} from its design");
    }
}

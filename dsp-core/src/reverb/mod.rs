//! Algorithmic reverb: pre-delay, a multichannel Hadamard input diffuser (Luff, "Let's write a
//! reverb", ADC 2021), an eight-line feedback delay network with per-line absorption filters
//! that make the RT60 exact in three bands (Jot 1991/1997), slow allpass-interpolated delay
//! modulation, and a wet output stage (low/high cut, width, dry/wet mix).
//!
//! # Channels
//! Stereo in, stereo out, in place: `process` with two channels. For a mono-in/stereo-out bus
//! the plugin copies its one input into both output channels and calls `process` with those
//! two (the network sums nothing it would not sum anyway: a mono input is simply `L == R`).
//! With a single channel `process` runs mono in/mono out and returns `(L + R) / 2` of the
//! stereo result.
//!
//! # Signal flow (per sample)
//! `in -> pre-delay -> [direct, diffuser] blended by diffusion -> FDN (8 lines) -> two
//! orthogonal output taps (+ early taps from the diffuser) -> low cut -> high cut -> width ->
//! dry/wet`.
//!
//! # Speed
//! Work runs in chunks that never cross a point of a fixed grid of [`GRID`] samples counted
//! since `reset`. Every setting of the tank is smoothed on that grid and reaches the audio as a
//! linear ramp across the cell (per-sample values without per-sample smoother state); mix and
//! width, which act on the output directly, move at the exact sample of a change; the pre-delay, the
//! diffuser and the input blend run stage by stage over the chunk as vector loops across time;
//! the network runs a chunk in two passes across time whose eight lines are one vector (the
//! recursions, then the mix and the writes; see `fdn`), the wet output as loops across time.
//! The shortest line is longer than a cell, so every read of a cell is known when it starts. A
//! reverb whose every buffer and filter holds zeros skips the arithmetic while its input stays
//! silent. Output is bit-identical for any block partition.
//!
//! `process` runs through [`crate::simd::dispatch`]: on a CPU with AVX2 the network's eight
//! lanes, the diffuser's eight time steps per butterfly and the wet filters' four lanes are one
//! register each, with the same operations in the same order (no FMA), so the output is
//! bit-identical with and without AVX2. The once-per-cell work (smoothers, the network's read
//! plan) runs inside the same dispatch, its per-line steps as `f64` lane loops. Measured with
//! callgrind on the Hall benchmark: 503 instructions per stereo sample before this path existed,
//! 279 with AVX2 while the per-cell work still ran on SSE2 outside it, 258 while every diffuser
//! stage copied its eight input channels into its rings, 223 now (449, then 405 on baseline
//! SSE2, where eight time steps are two registers each).
//!
//! # Smoothing
//! Mix and width ramp per sample over 20 ms, diffusion, input gain and modulation depth per
//! cell over 20 ms; decay, bass/high
//! multipliers, crossovers and the wet filters over 60/20 ms, their coefficients recomputed
//! per cell only while something changes (the broadband line gains and the output gain then
//! ramp linearly across the cell, so even a decay jump is zipper-free). Line lengths (size,
//! mode) glide per cell; the pre-delay glides per sample.
//!
//! # Decay display
//! [`Reverb::rt60_at`] and [`Reverb::band_rt60`] give the RT60 the current settings produce,
//! from the same closed-form filter design the network runs, without rendering anything.

mod diffuser;
mod fdn;
mod lanes;

pub use lanes::{hadamard, HADAMARD_SCALE, LINES};

use crate::smoother::Smoother;
use crate::util::{sanitize, DENORMAL_FLOOR};
use diffuser::{Diffuser, Planar, INJECT_SIGN, STAGES};
use fdn::{Absorption, Fdn};
use lanes::Lanes;
use std::f64::consts::{FRAC_1_SQRT_2, FRAC_PI_2, PI};

/// Coefficient grid (samples): decay, damping and wet-filter coefficients are recomputed at most
/// this often, always at the same sample indices since `reset`.
pub const GRID: usize = 32;

/// Below this crossover the RT60 is `decay * bass_mult` (a fixed, room-acoustics-style
/// "bass ratio" band: the 125/250 Hz octaves).
pub const LOW_CROSSOVER_HZ: f64 = 250.0;

/// Longest pre-delay (ms).
pub const MAX_PREDELAY_MS: f64 = 250.0;

/// Peak modulation sweep at `mod_depth = 1` (ms): 0.6 ms at the LFO rates of 0.3-1.1 Hz is a
/// pitch deviation of at most about 7 cents, enough to smear the modes of the network (no
/// metallic ringing) without audible chorus.
pub const MAX_MOD_MS: f64 = 0.6;

/// State below this magnitude (300 dB under full scale, far below any 24-bit or f32 output
/// floor) is flushed to zero, so a tail reaches exact silence within about 5 RT60 and no
/// arithmetic ever runs on denormals.
const FLOOR: f32 = 1e-15;

/// Injection gain into the lines.
const INJECT: f64 = 0.5;
/// Output gain at a mean line length of [`REF_LEN_MS`]. The steady-state energy the network
/// holds per stored sample scales as `RT60 / sum(L)` (the input energy stays for about the
/// RT60 and spreads over all stored samples), so the output gain grows as `sqrt(mean L)`: the
/// wet level then depends on the decay but not on size or mode.
const OUT_GAIN: f64 = 0.7;
const REF_LEN_MS: f64 = 15.0;

/// Line-length glide for size and mode changes. The first-order allpass interpolator is exact
/// in magnitude but leaves a small high-frequency transient each time a read tap crosses a
/// sample; a full-range size sweep over 1.5 s (read speed change under 10 %) keeps those
/// below -70 dB (test `parameter_changes_are_click_free`), 0.3 s measured -53 dB.
const SIZE_RAMP_MS: f64 = 1500.0;
const PREDELAY_RAMP_MS: f64 = 120.0;
const GAIN_RAMP_MS: f64 = 20.0;
const MODE_FADE_MS: f64 = 15.0;
const DECAY_RAMP_MS: f64 = 60.0;

/// Size maps to a length scale of `2.5^(2 size - 1)`: 0.4x (size 0) to 2.5x (size 1) of the
/// mode's nominal lengths, a geometric law so equal size steps sound like equal room ratios.
fn size_scale(size: f64) -> f64 {
    2.5f64.powf(2.0 * size - 1.0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Short lines, strong early reflections, moderate high-frequency damping.
    Room,
    /// Long lines, slow diffuser, longest high-frequency decay falloff.
    #[default]
    Hall,
    /// Compact lines and a very short diffuser: an immediately dense, bright onset with no
    /// distinct early reflections, like a steel plate.
    Plate,
}

struct ModeSpec {
    /// Nominal line lengths (ms) at size 50 %, geometrically spread so no two share a
    /// common period.
    lines_ms: [f64; LINES],
    /// Diffuser stage lengths (ms), doubling as in Luff's design.
    diffuser_ms: [f64; STAGES],
    /// Level of the diffuser taps added to the wet output (the early reflections).
    early: f64,
    /// RT60 above `hf_damp` as a fraction of the mid RT60.
    hf_ratio: f64,
    seed: u64,
}

const MODES: [ModeSpec; 3] = [
    ModeSpec {
        lines_ms: [10.03, 11.71, 13.47, 15.61, 18.17, 20.89, 24.31, 27.97],
        diffuser_ms: [3.1, 6.3, 12.7, 21.9],
        early: 0.5,
        hf_ratio: 0.35,
        seed: 11,
    },
    ModeSpec {
        lines_ms: [30.11, 34.33, 39.23, 44.87, 51.19, 58.53, 66.91, 76.49],
        diffuser_ms: [4.3, 8.9, 17.3, 33.7],
        early: 0.3,
        hf_ratio: 0.25,
        seed: 23,
    },
    ModeSpec {
        lines_ms: [7.07, 8.21, 9.43, 10.93, 12.71, 14.59, 17.03, 19.57],
        diffuser_ms: [1.3, 2.7, 4.9, 9.1],
        early: 0.0,
        hf_ratio: 0.5,
        seed: 37,
    },
];

fn spec(mode: Mode) -> &'static ModeSpec {
    &MODES[mode as usize]
}

/// The reverb processor. See the module documentation for the signal flow.
#[derive(Debug, Clone)]
pub struct Reverb {
    sample_rate: f64,
    prepared: bool,
    // Settings (targets).
    mode: Mode,
    pending_mode: Option<Mode>,
    mix: f64,
    predelay_ms: f64,
    decay_s: f64,
    size: f64,
    diffusion: f64,
    hf_damp_hz: f64,
    bass_mult: f64,
    low_cut_hz: f64,
    high_cut_hz: f64,
    mod_depth: f64,
    width: f64,
    freeze: bool,
    // Smoothers, all ticked once per grid cell.
    dry_s: Smoother,
    wet_s: Smoother,
    width_s: Smoother,
    direct_s: Smoother,
    diffuse_s: Smoother,
    input_s: Smoother,
    mode_gain_s: Smoother,
    early_s: Smoother,
    depth_s: Smoother,
    alpha_s: Smoother,
    bass_s: Smoother,
    hf_ratio_s: Smoother,
    hf_log_s: Smoother,
    low_cut_log_s: Smoother,
    high_cut_log_s: Smoother,
    grid_pos: usize,
    absorption_dirty: bool,
    out_gain: f64,
    /// This cell's per-sample ramps of the settings smoothed on the grid (indexed by the `R_*`
    /// constants).
    ramps: [Ramp; GRID_RAMPS],
    /// Samples the diffuser has been fed silence while a mode change waits for it to empty.
    mode_drain: usize,
    /// First grid update since `reset`: coefficients jump instead of ramping.
    fresh: bool,
    filters_dirty: bool,
    // Signal state.
    predelay: Predelay,
    diffuser: Diffuser,
    diffuser_tables: [[[usize; LINES]; STAGES]; 3],
    fdn: Fdn,
    wet_filters: WetFilters,
    quiet: usize,
    scratch: Box<Scratch>,
}

impl Default for Reverb {
    fn default() -> Self {
        Self::new()
    }
}

impl Reverb {
    /// A reverb with the plugin's defaults (Hall, mix 25 %, decay 2 s, size 50 %, diffusion
    /// 80 %, hf_damp 8 kHz, bass 1x, cuts 20 Hz / 20 kHz, modulation 30 %, width 100 %).
    /// Call [`Reverb::prepare`] before processing.
    pub fn new() -> Self {
        Self {
            sample_rate: 48_000.0,
            prepared: false,
            mode: Mode::Hall,
            pending_mode: None,
            mix: 0.25,
            predelay_ms: 0.0,
            decay_s: 2.0,
            size: 0.5,
            diffusion: 0.8,
            hf_damp_hz: 8000.0,
            bass_mult: 1.0,
            low_cut_hz: 20.0,
            high_cut_hz: 20_000.0,
            mod_depth: 0.3,
            width: 1.0,
            freeze: false,
            dry_s: Smoother::default(),
            wet_s: Smoother::default(),
            width_s: Smoother::default(),
            direct_s: Smoother::default(),
            diffuse_s: Smoother::default(),
            input_s: Smoother::default(),
            mode_gain_s: Smoother::default(),
            early_s: Smoother::default(),
            depth_s: Smoother::default(),
            alpha_s: Smoother::default(),
            bass_s: Smoother::default(),
            hf_ratio_s: Smoother::default(),
            hf_log_s: Smoother::default(),
            low_cut_log_s: Smoother::default(),
            high_cut_log_s: Smoother::default(),
            grid_pos: 0,
            absorption_dirty: true,
            out_gain: OUT_GAIN,
            ramps: [Ramp::default(); GRID_RAMPS],
            mode_drain: 0,
            fresh: true,
            filters_dirty: true,
            predelay: Predelay::default(),
            diffuser: Diffuser::default(),
            diffuser_tables: [[[1; LINES]; STAGES]; 3],
            fdn: Fdn::default(),
            wet_filters: WetFilters::default(),
            quiet: 0,
            scratch: Box::default(),
        }
    }

    /// Allocates every delay line for `sample_rate` (22.05-384 kHz) and resets. `max_block` is
    /// not needed: the reverb has no block-sized scratch.
    pub fn prepare(&mut self, sample_rate: f64, _max_block: usize) {
        let fs = sample_rate;
        self.sample_rate = fs;
        self.prepared = true;
        let pd = (MAX_PREDELAY_MS * 1e-3 * fs).ceil() as usize + 3;
        self.predelay.prepare(pd);
        let max_stage = MODES
            .iter()
            .flat_map(|m| m.diffuser_ms)
            .fold(0.0f64, f64::max);
        self.diffuser.prepare(fs, max_stage);
        for (t, m) in self.diffuser_tables.iter_mut().zip(&MODES) {
            *t = Diffuser::delay_table(fs, &m.diffuser_ms, m.seed);
        }
        let max_line_ms =
            MODES.iter().flat_map(|m| m.lines_ms).fold(0.0f64, f64::max) * size_scale(1.0);
        self.fdn.prepare(
            fs,
            max_line_ms * 1e-3 * fs,
            MAX_MOD_MS * 1e-3 * fs + 2.0,
            FLOOR,
        );
        let grid_rate = fs / GRID as f64;
        for s in [&mut self.dry_s, &mut self.wet_s, &mut self.width_s] {
            s.prepare(fs, GAIN_RAMP_MS);
        }
        for s in [
            &mut self.direct_s,
            &mut self.diffuse_s,
            &mut self.input_s,
            &mut self.early_s,
            &mut self.depth_s,
        ] {
            s.prepare(grid_rate, GAIN_RAMP_MS);
        }
        self.mode_gain_s.prepare(grid_rate, MODE_FADE_MS);
        self.predelay.delay.prepare(fs, PREDELAY_RAMP_MS);
        for s in [
            &mut self.alpha_s,
            &mut self.bass_s,
            &mut self.hf_ratio_s,
            &mut self.hf_log_s,
        ] {
            s.prepare(grid_rate, DECAY_RAMP_MS);
        }
        self.low_cut_log_s.prepare(grid_rate, GAIN_RAMP_MS);
        self.high_cut_log_s.prepare(grid_rate, GAIN_RAMP_MS);
        self.reset();
    }

    /// Clears all signal state (the tail stops), completes every ramp and applies a pending
    /// mode change. Settings are kept.
    pub fn reset(&mut self) {
        if let Some(m) = self.pending_mode.take() {
            self.mode = m;
        }
        self.push_targets();
        for s in [
            &mut self.dry_s,
            &mut self.wet_s,
            &mut self.width_s,
            &mut self.direct_s,
            &mut self.diffuse_s,
            &mut self.input_s,
            &mut self.early_s,
            &mut self.depth_s,
            &mut self.predelay.delay,
            &mut self.alpha_s,
            &mut self.bass_s,
            &mut self.hf_ratio_s,
            &mut self.hf_log_s,
            &mut self.low_cut_log_s,
            &mut self.high_cut_log_s,
        ] {
            s.reset();
        }
        self.mode_gain_s.set_immediate(1.0);
        if self.prepared {
            self.diffuser
                .set_delays(self.diffuser_tables[self.mode as usize]);
            self.fdn.set_lengths(self.line_lengths(self.mode), 0);
        }
        self.clear_signal();
        self.grid_pos = 0;
        self.mode_drain = 0;
        self.fresh = true;
        self.absorption_dirty = true;
        self.filters_dirty = true;
    }

    fn clear_signal(&mut self) {
        self.predelay.clear();
        self.diffuser.reset();
        self.fdn.reset();
        self.wet_filters.clear();
        self.quiet = 0;
    }

    /// The reverb adds no latency: the dry path is untouched and the wet path starts at once.
    pub fn latency_samples(&self) -> usize {
        0
    }

    /// Room, Hall or Plate. The change is click-free: the input fades out over 15 ms, the
    /// diffuser is left to empty (its taps can only switch when it holds silence, or the
    /// discontinuity between stages would surface later), the taps switch, the line lengths
    /// glide to the new set (the running tail keeps going) and the input fades back in.
    pub fn set_mode(&mut self, mode: Mode) {
        if mode == self.pending_mode.unwrap_or(self.mode) {
            return;
        }
        if mode == self.mode {
            self.pending_mode = None;
            self.mode_gain_s.set_target(1.0);
        } else {
            self.pending_mode = Some(mode);
            self.mode_gain_s.set_target(0.0);
        }
        self.push_targets();
    }

    /// Dry/wet, 0-1 (equal-power law: dry `sin((1 - mix) pi/2)`, wet `sin(mix pi/2)`, since dry and
    /// reverb are uncorrelated).
    pub fn set_mix(&mut self, mix: f64) {
        self.update(|r| &mut r.mix, mix.clamp(0.0, 1.0));
    }

    /// Pre-delay, 0-250 ms (glides over 120 ms when changed).
    pub fn set_predelay_ms(&mut self, ms: f64) {
        self.update(|r| &mut r.predelay_ms, ms.clamp(0.0, MAX_PREDELAY_MS));
    }

    /// Mid-band RT60, 0.1-20 s.
    pub fn set_decay_s(&mut self, seconds: f64) {
        self.update(|r| &mut r.decay_s, seconds.clamp(0.1, 20.0));
    }

    /// Size, 0-1: scales every line length by 0.4x-2.5x of the mode's nominal set; the lengths
    /// glide over 1.5 s (a slow pitch glide of the running tail, never a click).
    pub fn set_size(&mut self, size: f64) {
        let size = size.clamp(0.0, 1.0);
        if size == self.size {
            return;
        }
        self.size = size;
        if self.prepared {
            let ramp = (SIZE_RAMP_MS * 1e-3 * self.sample_rate).round() as u32;
            self.fdn.set_lengths(self.line_lengths(self.mode), ramp);
            self.absorption_dirty = true;
        }
    }

    /// Input diffusion, 0-1: equal-power blend from the undiffused input (discrete early
    /// echoes) to the fully diffused one.
    pub fn set_diffusion(&mut self, diffusion: f64) {
        self.update(|r| &mut r.diffusion, diffusion.clamp(0.0, 1.0));
    }

    /// Frequency (1-20 kHz) above which the RT60 falls to the mode's high ratio of the decay.
    pub fn set_hf_damp_hz(&mut self, hz: f64) {
        self.update(|r| &mut r.hf_damp_hz, hz.clamp(1000.0, 20_000.0));
    }

    /// RT60 multiplier below [`LOW_CROSSOVER_HZ`], 0.5-2.
    pub fn set_bass_mult(&mut self, mult: f64) {
        self.update(|r| &mut r.bass_mult, mult.clamp(0.5, 2.0));
    }

    /// Wet high-pass, 20-1000 Hz (12 dB/oct Butterworth).
    pub fn set_low_cut_hz(&mut self, hz: f64) {
        self.update(|r| &mut r.low_cut_hz, hz.clamp(20.0, 1000.0));
    }

    /// Wet low-pass, 1-20 kHz (12 dB/oct Butterworth, at most 0.45 fs).
    pub fn set_high_cut_hz(&mut self, hz: f64) {
        self.update(|r| &mut r.high_cut_hz, hz.clamp(1000.0, 20_000.0));
    }

    /// Delay modulation depth, 0-1 (1 = [`MAX_MOD_MS`] peak sweep).
    pub fn set_mod_depth(&mut self, depth: f64) {
        self.update(|r| &mut r.mod_depth, depth.clamp(0.0, 1.0));
    }

    /// Stereo width of the wet signal, 0-2 (0 mono, 1 as generated, 2 side doubled).
    pub fn set_width(&mut self, width: f64) {
        self.update(|r| &mut r.width, width.clamp(0.0, 2.0));
    }

    /// Freeze: the loop gain goes to exactly 1 at every frequency (absorption filters become
    /// identities), the input is muted and the modulation stops (so the frozen network is a
    /// time-invariant lossless system whose energy is conserved; a time-varying interpolator
    /// would not conserve it exactly). All three ramp over 20-60 ms.
    pub fn set_freeze(&mut self, freeze: bool) {
        self.update(|r| &mut r.freeze, freeze);
    }

    /// Stores a setting and re-targets the smoothers only if it moved: hosts call every setter
    /// every block, and the targets cost a dozen transcendental calls.
    fn update<T: PartialEq>(&mut self, field: fn(&mut Self) -> &mut T, value: T) {
        let f = field(self);
        if *f != value {
            *f = value;
            self.push_targets();
        }
    }

    /// Sends every smoothed setting its target.
    fn push_targets(&mut self) {
        let (fs, m) = (
            self.sample_rate,
            spec(self.pending_mode.unwrap_or(self.mode)),
        );
        // sin((1 - x) pi/2) rather than cos(x pi/2): exactly 0 at x = 1 (and exactly 1 at 0).
        self.dry_s.set_target(((1.0 - self.mix) * FRAC_PI_2).sin());
        self.wet_s.set_target((self.mix * FRAC_PI_2).sin());
        self.width_s.set_target(self.width);
        self.direct_s
            .set_target(((1.0 - self.diffusion) * FRAC_PI_2).sin());
        self.diffuse_s
            .set_target((self.diffusion * FRAC_PI_2).sin());
        self.input_s
            .set_target(if self.freeze { 0.0 } else { INJECT });
        self.early_s.set_target(m.early);
        let depth = if self.freeze { 0.0 } else { self.mod_depth };
        self.depth_s.set_target(depth * MAX_MOD_MS * 1e-3 * fs);
        self.predelay
            .delay
            .set_target((self.predelay_ms * 1e-3 * fs).round());
        // Redesign only when a target really moved: plugins call every setter every block,
        // and a redesign at a block-dependent moment (while the line lengths glide) would make
        // the output depend on the host's block size.
        let absorption = [
            if self.freeze { 0.0 } else { 1.0 / self.decay_s },
            self.bass_mult,
            m.hf_ratio,
            self.hf_damp_hz.log2(),
        ];
        for (s, t) in [
            &mut self.alpha_s,
            &mut self.bass_s,
            &mut self.hf_ratio_s,
            &mut self.hf_log_s,
        ]
        .into_iter()
        .zip(absorption)
        {
            if s.target() != t {
                s.set_target(t);
                self.absorption_dirty = true;
            }
        }
        let cuts = [self.low_cut_hz.log2(), self.high_cut_hz.log2()];
        for (s, t) in [&mut self.low_cut_log_s, &mut self.high_cut_log_s]
            .into_iter()
            .zip(cuts)
        {
            if s.target() != t {
                s.set_target(t);
                self.filters_dirty = true;
            }
        }
    }

    fn line_lengths(&self, mode: Mode) -> [f64; LINES] {
        let k = size_scale(self.size) * 1e-3 * self.sample_rate;
        spec(mode).lines_ms.map(|ms| ms * k)
    }

    fn absorption(alpha_mid: f64, bass: f64, hf_ratio: f64, hf_hz: f64) -> Absorption {
        Absorption {
            alpha_low: alpha_mid / bass,
            alpha_mid,
            alpha_high: alpha_mid / hf_ratio,
            low_xover_hz: LOW_CROSSOVER_HZ,
            high_xover_hz: hf_hz,
        }
    }

    fn target_absorption(&self) -> Absorption {
        let m = spec(self.pending_mode.unwrap_or(self.mode));
        let alpha = if self.freeze { 0.0 } else { 1.0 / self.decay_s };
        Self::absorption(alpha, self.bass_mult, m.hf_ratio, self.hf_damp_hz)
    }

    /// RT60 (s) at `freq_hz` that the current settings produce once all ramps are done
    /// (`f64::INFINITY` when frozen): the closed-form response of the absorption filters of each
    /// line, `RT60 = -3 L / (fs log10 |H(f)|)`, averaged over the lines (they agree to rounding).
    /// Cheap (a few dozen transcendental calls): meant for the editor's decay display.
    pub fn rt60_at(&self, freq_hz: f64) -> f64 {
        let abs = self.target_absorption();
        if abs.alpha_mid == 0.0 {
            return f64::INFINITY;
        }
        let fs = self.sample_rate;
        let lens = self.line_lengths(self.pending_mode.unwrap_or(self.mode));
        lens.iter()
            .map(|&l| {
                let (g, lo, hi) = abs.design(l, fs);
                let mag = g * lo.magnitude(freq_hz, fs) * hi.magnitude(freq_hz, fs);
                -3.0 * l / (fs * mag.log10())
            })
            .sum::<f64>()
            / LINES as f64
    }

    /// The three plateau RT60s (s): below [`LOW_CROSSOVER_HZ`], mid band, above `hf_damp`.
    pub fn band_rt60(&self) -> [f64; 3] {
        if self.freeze {
            return [f64::INFINITY; 3];
        }
        let m = spec(self.pending_mode.unwrap_or(self.mode));
        [
            self.decay_s * self.bass_mult,
            self.decay_s,
            self.decay_s * m.hf_ratio,
        ]
    }

    /// True once the output is exactly zero and stays so until a non-zero input arrives (every
    /// delay line and filter holds zeros): lets the host put the plugin to sleep.
    pub fn is_idle(&self) -> bool {
        self.quiet > self.fdn.capacity() + self.predelay.len()
    }

    /// Scans every buffer and filter state for a non-zero value (O(buffer size); for tests and
    /// diagnostics, not for the audio thread).
    pub fn state_is_zero(&self) -> bool {
        self.fdn.state_is_zero()
            && self.diffuser.is_zero()
            && self.predelay.is_zero()
            && self.wet_filters.is_zero()
    }

    /// Once per cell, inside the [`crate::simd::dispatch`] kernel (inlined there so that the
    /// per-line planning in `Fdn::begin_cell` runs as AVX2 vectors); the rare redesigns it calls
    /// stay out of line.
    #[inline(always)]
    fn grid_update(&mut self) {
        if let Some(m) = self.pending_mode {
            if self.mode_gain_s.value() == 0.0 && !self.mode_gain_s.is_smoothing() {
                self.mode_drain += GRID;
            }
            let span = spec(self.mode).diffuser_ms.iter().sum::<f64>() * 1e-3 * self.sample_rate;
            if self.mode_drain as f64 > span + 1.0 {
                self.mode_drain = 0;
                self.mode = m;
                self.pending_mode = None;
                self.diffuser.set_delays(self.diffuser_tables[m as usize]);
                let ramp = (SIZE_RAMP_MS * 1e-3 * self.sample_rate).round() as u32;
                self.fdn.set_lengths(self.line_lengths(m), ramp);
                self.mode_gain_s.set_target(1.0);
            }
        }
        let gin0 = self.input_s.value() * self.mode_gain_s.value();
        self.input_s.tick();
        self.mode_gain_s.tick();
        let gin1 = self.input_s.value() * self.mode_gain_s.value();
        self.ramps[R_INPUT] = Ramp::between(gin0, gin1);
        for (r, s) in [
            (R_DIRECT, &mut self.direct_s),
            (R_DIFFUSE, &mut self.diffuse_s),
            (R_EARLY, &mut self.early_s),
        ] {
            self.ramps[r] = Ramp::tick(s);
        }
        let depth0 = self.depth_s.value();
        let depth1 = self.depth_s.tick();
        let mut abs_changed = self.absorption_dirty || self.fdn.is_gliding();
        self.fdn.begin_cell(depth0, depth1);
        for s in [
            &mut self.alpha_s,
            &mut self.bass_s,
            &mut self.hf_ratio_s,
            &mut self.hf_log_s,
        ] {
            abs_changed |= s.is_smoothing();
            s.tick();
        }
        if abs_changed {
            let abs = Self::absorption(
                self.alpha_s.value(),
                self.bass_s.value(),
                self.hf_ratio_s.value(),
                self.hf_log_s.value().exp2(),
            );
            // Right after reset the gains jump; afterwards they ramp over the grid cell.
            self.fdn.set_absorption(&abs, self.sample_rate, !self.fresh);
            self.absorption_dirty = false;
        }
        let mut filt_changed = self.filters_dirty;
        for s in [&mut self.low_cut_log_s, &mut self.high_cut_log_s] {
            filt_changed |= s.is_smoothing();
            s.tick();
        }
        if filt_changed {
            let fs = self.sample_rate;
            let lc = self.low_cut_log_s.value().exp2();
            let hc = self.high_cut_log_s.value().exp2().min(0.45 * fs);
            self.wet_filters.design(fs, lc, hc);
            self.filters_dirty = false;
        }
        let mean_len = self.fdn.mean_length() * 1e3 / self.sample_rate;
        let gain = OUT_GAIN * (mean_len / REF_LEN_MS).sqrt();
        let prev = if self.fresh { gain } else { self.out_gain };
        self.ramps[R_OUT] = Ramp::between(prev, gain);
        self.out_gain = gain;
        self.fresh = false;
        self.wet_filters.flush();
    }

    /// Runs one chunk of `n <= GRID` samples that does not cross a grid point, in place on a
    /// stereo pair. The stages before the network run as loops across time over the whole
    /// chunk; every sample still sees exactly the values it would in a sample-by-sample loop, so
    /// the output does not depend on the chunking.
    #[inline(always)]
    fn run_chunk(&mut self, ol: &mut [f32], or: &mut [f32]) {
        let n = ol.len();
        let from = self.grid_pos;
        let idle = self.is_idle();
        let sc = &mut *self.scratch;
        // Zipped (no bounds checks) and branch-free: one vector loop per channel.
        let mut nonzero = 0u32;
        for (c, x) in [&*ol, &*or].into_iter().enumerate() {
            for ((d, p), &v) in sc.dry[c].iter_mut().zip(&mut sc.pre[c]).zip(x) {
                *d = sanitize(v);
                let w = clean(v);
                *p = w;
                nonzero |= w.to_bits();
            }
        }
        let silent = nonzero == 0;
        for (k, r) in self.ramps.iter().enumerate() {
            r.fill(&mut sc.ramps[k], from, n);
        }
        for (k, s) in [
            (R_WIDTH, &mut self.width_s),
            (R_DRY, &mut self.dry_s),
            (R_WET, &mut self.wet_s),
        ] {
            fill(s, &mut sc.ramps[k], n);
        }
        if silent && idle {
            // Every buffer and filter holds zeros: the wet signal is exactly zero.
            self.predelay.skip(n);
            self.diffuser.skip(n);
            self.fdn.skip(n);
            let r = &sc.ramps;
            for t in 0..n {
                ol[t] = r[R_DRY][t] * sc.dry[0][t] + r[R_WET][t] * 0.0;
                or[t] = r[R_DRY][t] * sc.dry[1][t] + r[R_WET][t] * 0.0;
            }
            self.quiet = self.quiet.saturating_add(n);
            return;
        }
        self.predelay.process(&mut sc.pre, n);
        let gin = &sc.ramps[R_INPUT];
        for c in 0..2 {
            for (v, g) in sc.pre[c][..n].iter_mut().zip(gin) {
                *v *= g;
            }
        }
        self.diffuser.process(&sc.pre, n, &mut sc.diffused);
        let (direct, diffuse) = (&sc.ramps[R_DIRECT], &sc.ramps[R_DIFFUSE]);
        for (i, row) in sc.planar.iter_mut().enumerate() {
            let sign = INJECT_SIGN[i];
            let pre = &sc.pre[i % 2];
            // The whole chunk (past `n`: values never read), a loop without remainder.
            for t in 0..GRID {
                row[t] = direct[t] * (sign * pre[t]) + diffuse[t] * sc.diffused[i][t];
            }
        }
        transpose(&sc.planar, &mut sc.inject);
        let [wl, wr] = &mut sc.wet;
        let (wl, wr) = (&mut wl[..n], &mut wr[..n]);
        if self.fdn.is_fast() {
            self.fdn.run::<true>(from, &sc.inject[..n], wl, wr);
        } else {
            self.fdn.run::<false>(from, &sc.inject[..n], wl, wr);
        }
        let (written, finite) = self.fdn.end_run(n);
        // The wet output stage, as loops across time except the recursive wet filters.
        let r = &sc.ramps;
        for t in 0..n {
            wl[t] = wl[t] * r[R_OUT][t] + r[R_EARLY][t] * sc.diffused[0][t];
            wr[t] = wr[t] * r[R_OUT][t] + r[R_EARLY][t] * sc.diffused[3][t];
        }
        self.wet_filters.process(wl, wr);
        // Any non-zero wet sample (the sign bit masked: -0 is silence too).
        let mut live = 0u32;
        for t in 0..n {
            live |= (wl[t].to_bits() | wr[t].to_bits()) & 0x7fff_ffff;
            let mid = 0.5 * (wl[t] + wr[t]);
            let side = 0.5 * (wl[t] - wr[t]) * r[R_WIDTH][t];
            let (dry, wet) = (r[R_DRY][t], r[R_WET][t]);
            ol[t] = dry * sc.dry[0][t] + wet * (mid + side);
            or[t] = dry * sc.dry[1][t] + wet * (mid - side);
        }
        if !finite || !self.wet_filters.is_finite() {
            // Unreachable with clamped input, but a poisoned state must never persist.
            let dry = self.dry_s.value() as f32;
            for t in 0..n {
                ol[t] = self.scratch.dry[0][t] * dry;
                or[t] = self.scratch.dry[1][t] * dry;
            }
            self.clear_signal();
            return;
        }
        if silent && !written && live == 0 {
            self.quiet = self.quiet.saturating_add(n);
        } else {
            self.quiet = 0;
        }
    }

    /// Processes one block in place: two channels (stereo in/out; for mono-in/stereo-out copy
    /// the input into both first) or one (mono in/out, returns `(L + R) / 2`).
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        crate::simd::dispatch(Block(self, channels));
    }

    #[inline(always)]
    fn process_block(&mut self, channels: &mut [&mut [f32]]) {
        if !matches!(channels.len(), 1 | 2) {
            return;
        }
        let len = channels[0].len();
        let mut done = 0;
        while done < len {
            if self.grid_pos == 0 {
                self.grid_update();
            }
            let n = (GRID - self.grid_pos).min(len - done);
            match channels {
                [l, r] => self.run_chunk(&mut l[done..done + n], &mut r[done..done + n]),
                [m] => {
                    let m = &mut m[done..done + n];
                    let mut r = [0.0f32; GRID];
                    r[..n].copy_from_slice(m);
                    self.run_chunk(m, &mut r[..n]);
                    for (y, r) in m.iter_mut().zip(&r) {
                        *y = 0.5 * (*y + r);
                    }
                }
                _ => unreachable!(),
            }
            self.grid_pos = (self.grid_pos + n) % GRID;
            done += n;
        }
    }
}

/// One call of [`Reverb::process`], for [`crate::simd::dispatch`]: the network's eight lanes,
/// the diffuser's butterflies and the wet filters' four lanes then run as one AVX2 register each
/// where the CPU has it (bit-identical: no FMA, the same operations in the same order).
struct Block<'a, 'b, 'c>(&'a mut Reverb, &'b mut [&'c mut [f32]]);

impl crate::simd::Kernel for Block<'_, '_, '_> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        self.0.process_block(self.1)
    }
}

/// The wet low and high cuts, both channels, as one four-lane vector `[low cut L, low cut R,
/// high cut L, high cut R]`: Simper's trapezoidal state-variable filter ("Linear Trapezoidal
/// Integrated SVF", Cytomic 2013), Butterworth, whose cutoff glides without the transients a
/// direct-form biquad puts out when its coefficients jump every grid cell (-27 dBFS on a 10 ms
/// sweep of the high cut). The high cut filters the low cut's output of the previous sample
/// (a pipeline: the four lanes run as one SIMD operation), so the wet path is one sample late.
///
/// Simper's update (`v3 = x - ic2`, `v1 = a1 ic1 + a2 v3`, `v2 = ic2 + a2 ic1 + a3 v3`,
/// `ic1' = 2 v1 - ic1`, `ic2' = 2 v2 - ic2`, `y = m0 x + m1 v1 + m2 v2`) runs expanded into its
/// state-space form on the same two states, `ic' = A ic + B x`, `y = C ic + D x`: the same
/// filter under gliding coefficients, but each state's recursion is a multiply and two adds
/// instead of five dependent operations, and that chain, not the instruction count, bounds
/// this loop (it took a fifth of the reverb's time at a ninth of its instructions, perf).
#[derive(Debug, Clone, Copy, Default)]
struct WetFilters {
    /// `A = [[2 a1 - 1, -2 a2], [2 a2, 1 - 2 a3]]`.
    a11: [f32; 4],
    a12: [f32; 4],
    a21: [f32; 4],
    a22: [f32; 4],
    /// `B = [2 a2, 2 a3]`.
    b1: [f32; 4],
    b2: [f32; 4],
    /// `C = [m1 a1 + m2 a2, m2 (1 - a3) - m1 a2]`, `D = m0 + m1 a2 + m2 a3`, with the output
    /// mix (1, -sqrt 2, -1) for the high-pass, (0, 0, 1) for the low-pass.
    c1: [f32; 4],
    c2: [f32; 4],
    d: [f32; 4],
    ic1: [f32; 4],
    ic2: [f32; 4],
    /// The low cut's last output, the high cut's next input.
    mid: [f32; 2],
}

impl WetFilters {
    fn design(&mut self, sample_rate: f64, low_cut: f64, high_cut: f64) {
        let k = 2.0 * FRAC_1_SQRT_2;
        for (lane, hz) in [low_cut, low_cut, high_cut, high_cut]
            .into_iter()
            .enumerate()
        {
            let g = (PI * (hz / sample_rate).clamp(1e-6, 0.49)).tan();
            let a1 = 1.0 / (1.0 + g * (g + k));
            let a2 = g * a1;
            let a3 = g * a2;
            let (m0, m1, m2) = if lane < 2 {
                (1.0, -k, -1.0)
            } else {
                (0.0, 0.0, 1.0)
            };
            self.a11[lane] = (2.0 * a1 - 1.0) as f32;
            self.a12[lane] = (-2.0 * a2) as f32;
            self.a21[lane] = (2.0 * a2) as f32;
            self.a22[lane] = (1.0 - 2.0 * a3) as f32;
            self.b1[lane] = (2.0 * a2) as f32;
            self.b2[lane] = (2.0 * a3) as f32;
            self.c1[lane] = (m1 * a1 + m2 * a2) as f32;
            self.c2[lane] = (m2 * (1.0 - a3) - m1 * a2) as f32;
            self.d[lane] = (m0 + m1 * a2 + m2 * a3) as f32;
        }
    }

    /// Filters the wet pair (at most [`GRID`] samples) in place. Each sample's four outputs
    /// are stored as one vector and the pair is picked out afterwards: a four-lane store is
    /// what lets LLVM's vectoriser treat the whole update as four-lane operations (storing the
    /// pair straight back, it computed part of the update lane by lane).
    #[inline(always)]
    fn process(&mut self, l: &mut [f32], r: &mut [f32]) {
        let (a11, a12, a21, a22) = (self.a11, self.a12, self.a21, self.a22);
        let (b1, b2, c1, c2, d) = (self.b1, self.b2, self.c1, self.c2, self.d);
        let (mut ic1, mut ic2, mut mid) = (self.ic1, self.ic2, self.mid);
        let mut ys = [[0.0f32; 4]; GRID];
        for ((out, &l), &r) in ys.iter_mut().zip(&*l).zip(&*r) {
            let x = [l, r, mid[0], mid[1]];
            let mut y = [0.0f32; 4];
            for c in 0..4 {
                let (s1, s2) = (ic1[c], ic2[c]);
                ic1[c] = b1[c] * x[c] + a12[c] * s2 + a11[c] * s1;
                ic2[c] = b2[c] * x[c] + a21[c] * s1 + a22[c] * s2;
                y[c] = d[c] * x[c] + c1[c] * s1 + c2[c] * s2;
            }
            mid = [y[0], y[1]];
            *out = y;
        }
        (self.ic1, self.ic2, self.mid) = (ic1, ic2, mid);
        for ((l, r), y) in l.iter_mut().zip(r).zip(&ys) {
            (*l, *r) = (y[2], y[3]);
        }
    }

    fn is_finite(&self) -> bool {
        self.ic1.iter().chain(&self.ic2).all(|v| v.is_finite())
    }

    /// [`crate::util::flush`] of every state, once per cell, in `f32` lanes: a chained
    /// iterator over the ten states through `f64` compiled to a branchy scalar loop, 5
    /// instructions per sample (callgrind).
    fn flush(&mut self) {
        let f = |v: f32| if v.abs() < WET_FLOOR { 0.0 } else { v };
        self.ic1 = self.ic1.map(f);
        self.ic2 = self.ic2.map(f);
        self.mid = self.mid.map(f);
    }

    fn clear(&mut self) {
        self.ic1 = [0.0; 4];
        self.ic2 = [0.0; 4];
        self.mid = [0.0; 2];
    }

    fn is_zero(&self) -> bool {
        self.ic1
            .iter()
            .chain(&self.ic2)
            .chain(&self.mid)
            .all(|&v| v == 0.0)
    }
}

/// The smallest `f32` not below [`DENORMAL_FLOOR`]: for any `f32` `x`, `|x| < WET_FLOOR` exactly
/// when `|x| as f64 < DENORMAL_FLOOR` (no `f32` lies between the two), so the wet filters flush
/// in `f32` with the bits of the `f64` comparison.
const WET_FLOOR: f32 = {
    let t = DENORMAL_FLOOR as f32;
    if (t as f64) < DENORMAL_FLOOR {
        f32::from_bits(t.to_bits() + 1)
    } else {
        t
    }
};

/// Per-chunk working arrays (fixed size, allocated once with the processor).
#[derive(Debug, Clone)]
struct Scratch {
    /// The input with non-finite samples zeroed: the dry path.
    dry: [[f32; GRID]; 2],
    /// The conditioned input, then the pre-delayed input times the input gain.
    pre: [[f32; GRID]; 2],
    diffused: Planar,
    /// Per-sample values of the smoothed settings (indexed by the `R_*` constants).
    ramps: [[f32; GRID]; RAMPS],
    /// The injection into the lines, channel-major, then one vector per sample.
    planar: Planar,
    inject: [Lanes; GRID],
    /// The network's two output taps, then the wet output.
    wet: [[f32; GRID]; 2],
}

impl Default for Scratch {
    fn default() -> Self {
        Self {
            dry: [[0.0; GRID]; 2],
            pre: [[0.0; GRID]; 2],
            diffused: [[0.0; GRID]; LINES],
            ramps: [[0.0; GRID]; RAMPS],
            planar: [[0.0; GRID]; LINES],
            inject: [[0.0; LINES]; GRID],
            wet: [[0.0; GRID]; 2],
        }
    }
}

const R_INPUT: usize = 0;
const R_DIRECT: usize = 1;
const R_DIFFUSE: usize = 2;
const R_EARLY: usize = 3;
const R_OUT: usize = 4;
/// Ramps up to here come from the grid; the rest (what the output mixes, which automation must
/// move at the exact sample) from per-sample smoothers.
const GRID_RAMPS: usize = 5;
const R_WIDTH: usize = 5;
const R_DRY: usize = 6;
const R_WET: usize = 7;
const RAMPS: usize = 8;

/// A setting's linear ramp across one cell: its value at cell position `t` is
/// `start + step (t + 1)`, a function of the position only (so a cell split between blocks gives
/// the same values), reaching the smoother's grid value at the cell's last sample.
#[derive(Debug, Clone, Copy, Default)]
struct Ramp {
    start: f32,
    step: f32,
}

impl Ramp {
    fn between(a: f64, b: f64) -> Self {
        Self {
            start: a as f32,
            step: ((b - a) / GRID as f64) as f32,
        }
    }

    /// The ramp of a smoother across the next cell (ticks it once).
    fn tick(s: &mut Smoother) -> Self {
        let a = s.value();
        Self::between(a, s.tick())
    }

    /// The first `n` values of the chunk starting at cell position `from` (a settled ramp fills
    /// the whole array: fixed-size stores, the values past `n` never read).
    #[inline(always)]
    fn fill(&self, out: &mut [f32; GRID], from: usize, n: usize) {
        if self.step == 0.0 {
            *out = [self.start; GRID];
        } else {
            for (t, v) in out[..n].iter_mut().enumerate() {
                *v = self.start + self.step * (from + t + 1) as f32;
            }
        }
    }
}

/// Channel-major chunk to one vector per sample (fixed sizes: unrolled into register moves; an
/// 8x8 block transpose in interleave rounds measured 3 instructions per sample more, callgrind).
#[inline(always)]
fn transpose(x: &Planar, out: &mut [Lanes; GRID]) {
    for (t, o) in out.iter_mut().enumerate() {
        for (i, v) in o.iter_mut().enumerate() {
            *v = x[i][t];
        }
    }
}

/// One chunk of `n` values of a per-sample smoother (at rest, a constant fill of the whole array:
/// fixed-size stores, the values past `n` never read).
#[inline(always)]
fn fill(s: &mut Smoother, out: &mut [f32; GRID], n: usize) {
    if s.is_smoothing() {
        for v in &mut out[..n] {
            *v = s.tick() as f32;
        }
    } else {
        *out = [s.value() as f32; GRID];
    }
}

/// `dst.copy_from_slice(src)`, as inline vector moves for a full chunk (a library call costs
/// more than the copy at this size).
#[inline(always)]
fn copy_chunk(dst: &mut [f32], src: &[f32]) {
    match (
        <&mut [f32; GRID]>::try_from(&mut *dst),
        <&[f32; GRID]>::try_from(src),
    ) {
        (Ok(d), Ok(s)) => *d = *s,
        _ => dst.copy_from_slice(src),
    }
}

/// Conditioning of the reverb's input (the dry path only gets `sanitize`): non-finite samples
/// become silence; an input 80 dB over full scale is not
/// audio, so the clamp keeps every state finite; input below the flush floor (denormals
/// included) is zero, so it never reaches the delay lines as denormal arithmetic.
/// (One select on a comparison, so it vectorises: `clean` of a NaN is 0 because both
/// comparisons are false. A zero result is always `+0.0`, so its bits tell silence.)
#[inline(always)]
fn clean(x: f32) -> f32 {
    let a = x.abs();
    if (FLOOR..f32::INFINITY).contains(&a) {
        x.clamp(-1e4, 1e4)
    } else {
        0.0
    }
}

/// Stereo pre-delay line. At rest the delay is a whole number of samples and a chunk moves
/// through as two copies; while it glides to a new setting, per sample, with linear
/// interpolation between the two neighbours.
#[derive(Debug, Clone, Default)]
struct Predelay {
    buf: [Vec<f32>; 2],
    pos: usize,
    delay: Smoother,
}

impl Predelay {
    fn prepare(&mut self, len: usize) {
        let len = len.next_power_of_two().max(GRID);
        self.buf = [vec![0.0; len], vec![0.0; len]];
    }

    fn clear(&mut self) {
        for b in &mut self.buf {
            b.fill(0.0);
        }
        self.pos = 0;
    }

    fn is_zero(&self) -> bool {
        self.buf.iter().flatten().all(|&v| v == 0.0)
    }

    fn len(&self) -> usize {
        self.buf[0].len()
    }

    /// Delays the first `n` samples of both channels in place.
    #[inline(always)]
    fn process(&mut self, x: &mut [[f32; GRID]; 2], n: usize) {
        let mask = self.len() - 1;
        let pos = self.pos;
        if self.delay.is_smoothing() {
            for t in 0..n {
                let at = (pos + t) & mask;
                let d = self.delay.tick();
                let di = d as usize;
                let f = (d - di as f64) as f32;
                for (buf, x) in self.buf.iter_mut().zip(x.iter_mut()) {
                    buf[at] = x[t];
                    let a = buf[at.wrapping_sub(di) & mask];
                    x[t] = if f == 0.0 {
                        a
                    } else {
                        a + f * (buf[at.wrapping_sub(di + 1) & mask] - a)
                    };
                }
            }
        } else {
            // The cell is aligned with the ring (both count from `reset`): the write never wraps.
            let di = self.delay.value() as usize;
            let start = pos.wrapping_sub(di) & mask;
            for (buf, x) in self.buf.iter_mut().zip(x.iter_mut()) {
                copy_chunk(&mut buf[pos..pos + n], &x[..n]);
                if start + n <= buf.len() {
                    copy_chunk(&mut x[..n], &buf[start..start + n]);
                } else {
                    for (t, v) in x[..n].iter_mut().enumerate() {
                        *v = buf[(start + t) & mask];
                    }
                }
            }
        }
        self.pos = (pos + n) & mask;
    }

    /// Advances `n` samples of a line that holds only zeros (ticking the delay's glide).
    #[inline(always)]
    fn skip(&mut self, n: usize) {
        for _ in 0..n {
            self.delay.tick();
        }
        self.pos = (self.pos + n) & (self.len() - 1);
    }
}

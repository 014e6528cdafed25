//! Linear-phase mode of the [`Equalizer`]: the same band settings, applied as a symmetric FIR
//! whose magnitude is the minimum-phase design's magnitude.
//!
//! # Design choices
//! - **Kernel by frequency sampling.** The target magnitude is the product of the matched
//!   biquads' magnitudes, sampled at the `L/2 + 1` bins of an `L`-point grid (`L` = 16384 at
//!   44.1/48 kHz, scaled with the sample rate so the bin spacing stays near 3 Hz). A zero-phase
//!   inverse FFT gives a symmetric impulse response, centred at `L/2` and shaped by a Tukey
//!   window (flat over the central half, cosine tapers outside). The flat centre leaves the
//!   decaying responses of low bands untouched, so the kernel's magnitude stays within 0.1 dB
//!   of the minimum-phase design from 15 Hz to 20 kHz with a 20 Hz Q 1 bell in the set
//!   (`tests/eq_linear_phase.rs`; a Hann window of the same length only reached 0.1 dB from
//!   30 Hz up).
//! - **Uniformly partitioned overlap-save convolution** (partitions of `P = L/16`, FFT size `2P`,
//!   a frequency-domain delay line of `L/P` input spectra). Latency is exactly `P + L/2`: `P` for
//!   collecting one partition, `L/2` the group delay of the symmetric kernel.
//! - **Per-band placement** (left/right/mid/side) makes the EQ a 2x2 matrix of zero-phase
//!   responses per bin (a mid band `H` is `[[H+1, H-1], [H-1, H+1]] / 2` in L/R), multiplied in
//!   band order; the cross terms are convolved only when some band is mid or side.
//! - **Kernel updates in bounded units on the sample clock.** Every [`UNIT`] samples counted
//!   from `reset` (half a unit off the partition boundaries, so the two never share a sample)
//!   the EQ does one unit of update work, whatever the host's block sizes: at most one
//!   [`Designer`] step of a band's correction fit (a band whose settings did not change reuses
//!   its last fit), or one slice of the kernel synthesis. Settings are snapshot when an update
//!   starts; once the new kernel is complete, the partition after next is a linear crossfade
//!   from the old kernel's output to the new one's, so a change never clicks, then the next
//!   update starts if the settings moved meanwhile. The new kernel's share of that partition
//!   is summed in units during the partition before, except the newest input's term, so the
//!   crossfade boundary costs about one convolution, not two. Doing the whole update at one partition
//!   boundary (the correction fits, up to ~2.5 ms each, plus a 16384-point inverse FFT and
//!   16 partition FFTs per path) made that one block cost up to 6 ms, more than a 64-sample
//!   buffer lasts (`cargo bench -p dsp-core --bench eq -- eq_linear_phase`).
//! - **Synthesis slices.** The `L`-point zero-phase inverse FFT is the four-step (Cooley-Tukey)
//!   factorisation `L = N1 N2` with `N1 = L/P`: `N1` inverse FFTs of `N2` points over the
//!   strided bins, twiddles, then `N2` inverse FFTs of `N1` points (Bailey, "FFTs in external or
//!   hierarchical memory", 1990), each slice a unit; the windowing and the `L/P` partition
//!   FFTs are one partition per unit. With no left or right band the 2x2 matrix keeps the
//!   form `[[a, b], [b, a]]` (stereo, mid and side bands commute), so `RR = LL` and `RL = LR`
//!   share kernels and only one or two paths are synthesised.

use super::design::{Designer, SectionSet, MAX_SECTIONS};
use super::{BandParams, Equalizer, Placement};
use crate::util::sanitize;
use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftPlanner};
use std::f64::consts::PI;
use std::sync::Arc;

type Cx = Complex<f64>;

/// Paths of the 2x2 matrix: output L from input L, output L from R, R from L, R from R.
const PATHS: usize = 4;

/// Samples per unit of update work (a divisor of every partition length `P`). Measured at
/// 48 kHz: a fit step 3-12 us, a response slice ~16 us, a column 10-14 us, a row slice or a
/// partition FFT 5-9 us, against 54 us for a partition boundary's convolution and 0.67 ms of
/// audio per 32 samples.
pub const UNIT: usize = 32;
/// Units run when the sample count since `reset` is `UNIT_PHASE` modulo [`UNIT`]: never on a
/// partition boundary (a multiple of `UNIT`), which already does the convolution's FFTs.
const UNIT_PHASE: usize = UNIT / 2;
/// Section evaluations (one bin through one biquad's squared magnitude) per unit of the
/// response stage (about as costly as a fit step or a column).
const RESPONSE_BUDGET: usize = 4096;
/// `N1`-point inverse FFTs per unit of the second four-step stage.
const ROWS_PER_UNIT: usize = 256;

/// Squared-magnitude coefficients of one section (Vicanek's `A0..A2`, `B0..B2`).
#[derive(Debug, Clone, Copy, Default)]
struct PowerSection {
    a: [f64; 3],
    b: [f64; 3],
}

#[derive(Debug, Clone, Copy)]
struct PowerBand {
    sections: [PowerSection; MAX_SECTIONS],
    count: usize,
    placement: Placement,
}

impl PowerBand {
    fn new(d: &SectionSet, placement: Placement) -> Self {
        let mut pb = PowerBand {
            sections: [PowerSection::default(); MAX_SECTIONS],
            count: d.count,
            placement,
        };
        for (ps, c) in pb.sections.iter_mut().zip(&d.coeffs[..d.count]) {
            ps.a = [
                (1.0 + c.a1 + c.a2).powi(2),
                (1.0 - c.a1 + c.a2).powi(2),
                -4.0 * c.a2,
            ];
            ps.b = [
                (c.b0 + c.b1 + c.b2).powi(2),
                (c.b0 - c.b1 + c.b2).powi(2),
                -4.0 * c.b0 * c.b2,
            ];
        }
        pb
    }
}

/// Which matrix paths a kernel set holds, and where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Layout {
    /// Some band is mid or side: the cross paths `LR`, `RL` are non-zero.
    cross: bool,
    /// No band is left or right: the matrix is `[[a, b], [b, a]]`, so `RR` is `LL` and `RL` is
    /// `LR`.
    mirror: bool,
}

impl Layout {
    /// The paths to synthesise.
    fn paths(self) -> &'static [usize] {
        match (self.mirror, self.cross) {
            (true, false) => &[0],
            (true, true) => &[0, 1],
            (false, false) => &[0, 3],
            (false, true) => &[0, 1, 2, 3],
        }
    }

    /// The kernel slot that holds `path`.
    fn slot(self, path: usize) -> usize {
        if self.mirror {
            [0, 1, 1, 0][path]
        } else {
            path
        }
    }
}

/// Where the kernel update is. Each variant but `Idle` and `Ready` is one unit of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Build {
    /// The kernel is the current settings' (or no update started yet).
    Idle,
    /// Fitting band `i` of the snapshot (one [`Designer`] step per unit).
    Fit(usize),
    /// The 2x2 response matrix from bin `k` on.
    Response(usize),
    /// Four-step stage 1 of the `n`-th synthesised path: the `N2`-point inverse FFT of column
    /// `k1` (bins `k1 + N1 k2`), twiddled and stored transposed.
    Columns(usize, usize),
    /// Stage 2: the `N1`-point inverse FFTs of rows `n2..`.
    Rows(usize, usize),
    /// Windowing and the partition FFT of partition `j`.
    Partition(usize, usize),
    /// `next` holds the new kernel; the next partition boundary starts its crossfade.
    Synthesised,
    /// Partition `j` of the new kernel's share of the crossfade partition: the terms that use
    /// input already in the delay line, so that the crossfade boundary adds only the newest
    /// input's term instead of a second full convolution.
    Prefade(usize),
    /// The new kernel goes live, with a crossfade, at the next partition boundary.
    Ready,
}

#[derive(Clone)]
pub struct LinearPhaseEq {
    eq: Equalizer,
    sample_rate: f64,
    kernel_len: usize,
    part: usize,
    parts: usize,
    fwd: Option<Arc<dyn RealToComplex<f64>>>,
    inv: Option<Arc<dyn ComplexToReal<f64>>>,
    /// Four-step factors of the `L`-point inverse FFT: `N1 = L/P` points and `N2 = P` points.
    fft_n1: Option<Arc<dyn Fft<f64>>>,
    fft_n2: Option<Arc<dyn Fft<f64>>>,
    scratch: Vec<Cx>,
    time: Vec<f64>,
    /// The zero-phase response at taps `0..=L/2` (the rest is its mirror image).
    long_time: Vec<f64>,
    column: Vec<Cx>,
    /// Stage 1's output, transposed: row `n2` holds the `N1` inputs of stage 2's FFT `n2`.
    rows: Vec<Cx>,
    /// `exp(2 pi i m / L)`.
    twiddles: Vec<Cx>,
    window: Vec<f64>,
    phi1: Vec<f64>,
    matrix: Vec<[f64; PATHS]>,
    /// Last correction fit per band, with the settings it is for (placement aside).
    fits: Vec<(BandParams, SectionSet)>,
    designer: Designer,
    build: Build,
    /// The snapshot the update in progress is for, and its bands' responses.
    building: Vec<BandParams>,
    bands: Vec<PowerBand>,
    /// The settings of the live kernel.
    applied: Vec<BandParams>,
    kernels: [Vec<Cx>; PATHS],
    next: [Vec<Cx>; PATHS],
    layout: Layout,
    next_layout: Layout,
    fdl: [Vec<Cx>; 2],
    ring: usize,
    input: [Vec<f64>; 2],
    output: [Vec<f64>; 2],
    acc: Vec<Cx>,
    /// The new kernel's output spectra for the crossfade partition, all but the newest input.
    prefade: [Vec<Cx>; 2],
    faded: Vec<f64>,
    pos: usize,
}

impl LinearPhaseEq {
    /// A linear-phase equalizer with `bands` disabled bands.
    pub fn new(bands: usize) -> Self {
        Self::from_equalizer(Equalizer::new(bands))
    }

    /// Takes over the band layout and settings of `eq`.
    pub fn from_equalizer(eq: Equalizer) -> Self {
        let n = eq.num_bands();
        Self {
            eq,
            sample_rate: 0.0,
            kernel_len: 0,
            part: 0,
            parts: 0,
            fwd: None,
            inv: None,
            fft_n1: None,
            fft_n2: None,
            scratch: Vec::new(),
            time: Vec::new(),
            long_time: Vec::new(),
            column: Vec::new(),
            rows: Vec::new(),
            twiddles: Vec::new(),
            window: Vec::new(),
            phi1: Vec::new(),
            matrix: Vec::new(),
            fits: vec![(BandParams::default(), SectionSet::default()); n],
            designer: Designer::new(48_000.0),
            build: Build::Idle,
            building: Vec::with_capacity(n),
            bands: Vec::with_capacity(n),
            applied: Vec::with_capacity(n),
            kernels: Default::default(),
            next: Default::default(),
            layout: Layout::default(),
            next_layout: Layout::default(),
            fdl: Default::default(),
            ring: 0,
            input: Default::default(),
            output: Default::default(),
            acc: Vec::new(),
            prefade: Default::default(),
            faded: Vec::new(),
            pos: 0,
        }
    }

    /// Kernel length for a sample rate: 16384 taps at 44.1/48 kHz, doubling with the rate.
    pub fn kernel_len_for(sample_rate: f64) -> usize {
        let ratio = (sample_rate / 48_000.0).max(0.5);
        (16384.0 * ratio).round() as usize
    }

    pub fn prepare(&mut self, sample_rate: f64, max_block: usize) {
        self.eq.prepare(sample_rate, max_block);
        self.sample_rate = sample_rate;
        let l = Self::kernel_len_for(sample_rate).next_power_of_two();
        let p = l / 16;
        self.kernel_len = l;
        self.part = p;
        self.parts = l / p;
        let mut planner = RealFftPlanner::<f64>::new();
        let fwd = planner.plan_fft_forward(2 * p);
        let inv = planner.plan_fft_inverse(2 * p);
        let mut cplanner = FftPlanner::<f64>::new();
        let fft_n1 = cplanner.plan_fft_inverse(self.parts);
        let fft_n2 = cplanner.plan_fft_inverse(p);
        let scratch_len = fwd
            .get_scratch_len()
            .max(inv.get_scratch_len())
            .max(fft_n1.get_inplace_scratch_len())
            .max(fft_n2.get_inplace_scratch_len());
        self.scratch = vec![Cx::default(); scratch_len];
        self.fwd = Some(fwd);
        self.inv = Some(inv);
        self.fft_n1 = Some(fft_n1);
        self.fft_n2 = Some(fft_n2);
        self.time = vec![0.0; 2 * p];
        self.acc = vec![Cx::default(); p + 1];
        self.prefade = std::array::from_fn(|_| vec![Cx::default(); p + 1]);
        self.faded = vec![0.0; p];
        self.long_time = vec![0.0; l / 2 + 1];
        self.column = vec![Cx::default(); p];
        self.rows = vec![Cx::default(); l];
        self.twiddles = (0..l)
            .map(|m| Cx::from_polar(1.0, 2.0 * PI * m as f64 / l as f64))
            .collect();
        // Tukey window centred on L/2; w(0) = 0 leaves the one unpaired tap out, so the kernel
        // is exactly symmetric about L/2.
        self.window = (0..l)
            .map(|n| {
                let m = (n as f64 - (l / 2) as f64).abs() / (l / 2) as f64;
                if m <= 0.5 {
                    1.0
                } else {
                    0.5 + 0.5 * (PI * (m - 0.5) / 0.5).cos()
                }
            })
            .collect();
        self.phi1 = (0..=l / 2)
            .map(|k| (PI * k as f64 / l as f64).sin().powi(2))
            .collect();
        self.matrix = vec![[0.0; PATHS]; l / 2 + 1];
        let bins = self.parts * (p + 1);
        self.kernels = std::array::from_fn(|_| vec![Cx::default(); bins]);
        self.next = std::array::from_fn(|_| vec![Cx::default(); bins]);
        self.fdl = std::array::from_fn(|_| vec![Cx::default(); bins]);
        self.input = std::array::from_fn(|_| vec![0.0; 2 * p]);
        self.output = std::array::from_fn(|_| vec![0.0; p]);
        self.designer = Designer::new(sample_rate);
        self.fits
            .fill((BandParams::default(), SectionSet::default()));
        self.applied.clear();
        self.build = Build::Idle;
        self.reset();
    }

    /// Clears the signal state. When the live kernel is not the current settings' (after
    /// `prepare`, or with an update pending) the whole update runs here, at once.
    pub fn reset(&mut self) {
        for v in self.fdl.iter_mut() {
            v.fill(Cx::default());
        }
        for v in self.input.iter_mut().chain(self.output.iter_mut()) {
            v.fill(0.0);
        }
        self.ring = 0;
        self.pos = 0;
        self.build = Build::Idle;
        if self.start_update() {
            while self.build != Build::Synthesised {
                self.unit();
            }
            self.go_live();
        }
    }

    /// Exactly `P + L/2` samples (9216 at 48 kHz).
    pub fn latency_samples(&self) -> usize {
        self.part + self.kernel_len / 2
    }

    /// Kernel length `L` in taps.
    pub fn kernel_len(&self) -> usize {
        self.kernel_len
    }

    /// The band settings (same setters as the minimum-phase [`Equalizer`]; they take effect
    /// once the update they start is complete, with a one-partition crossfade).
    pub fn equalizer(&self) -> &Equalizer {
        &self.eq
    }

    pub fn set_band(&mut self, i: usize, p: BandParams) {
        self.eq.set_band(i, p);
    }

    /// True while the live kernel is not the current settings' (an update is pending or
    /// running).
    pub fn is_updating(&self) -> bool {
        self.build != Build::Idle || self.settings_changed()
    }

    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let stereo = channels.len() > 1;
        let len = channels.first().map_or(0, |c| c.len());
        let mut i = 0;
        while i < len {
            // Run to the next event: a unit of update work or a partition boundary.
            let r = self.pos % UNIT;
            let next_unit = self.pos - r + if r < UNIT_PHASE { 0 } else { UNIT } + UNIT_PHASE;
            let n = (next_unit.min(self.part) - self.pos).min(len - i);
            for (ch, buf) in channels.iter_mut().enumerate().take(2) {
                let seg = &mut buf[i..i + n];
                let input = &mut self.input[ch][self.part + self.pos..self.part + self.pos + n];
                let output = &self.output[ch][self.pos..self.pos + n];
                for ((x, y), o) in input.iter_mut().zip(seg.iter_mut()).zip(output) {
                    *x = sanitize(*y) as f64;
                    *y = *o as f32;
                }
            }
            i += n;
            self.pos += n;
            if self.pos % UNIT == UNIT_PHASE {
                self.unit();
            }
            if self.pos == self.part {
                self.pos = 0;
                self.partition(stereo);
            }
        }
    }

    fn settings_changed(&self) -> bool {
        self.applied.len() != self.eq.num_bands()
            || self.eq.targets().zip(&self.applied).any(|(a, b)| a != b)
    }

    /// Snapshots the settings and starts an update if they differ from the live kernel's.
    fn start_update(&mut self) -> bool {
        if !self.settings_changed() {
            return false;
        }
        self.building.clear();
        self.building.extend(self.eq.targets());
        self.bands.clear();
        self.designer.cancel();
        self.build = Build::Fit(0);
        true
    }

    /// The kernel in `next` takes over (after its crossfade, or at `reset`).
    fn go_live(&mut self) {
        std::mem::swap(&mut self.kernels, &mut self.next);
        std::mem::swap(&mut self.applied, &mut self.building);
        self.layout = self.next_layout;
        self.build = Build::Idle;
    }

    /// One bounded unit of update work.
    fn unit(&mut self) {
        match self.build {
            Build::Idle => {
                self.start_update();
            }
            Build::Fit(i) => self.fit(i),
            Build::Response(k) => self.response(k),
            Build::Columns(n, k1) => self.column(n, k1),
            Build::Rows(n, n2) => self.rows(n, n2),
            Build::Partition(n, j) => self.partition_fft(n, j),
            Build::Prefade(j) => self.prefade(j),
            Build::Synthesised | Build::Ready => {}
        }
    }

    /// Band designs in snapshot order: a reused fit or an identity band costs nothing, so the
    /// unit moves on until it has run one [`Designer`] step or every band is known.
    fn fit(&mut self, mut i: usize) {
        let fs = self.sample_rate;
        while i < self.building.len() {
            let p = self.building[i];
            let key = BandParams {
                placement: Placement::Stereo,
                ..p
            };
            let design = if !p.needs_fit() {
                SectionSet::default()
            } else if self.fits[i].0 == key {
                self.fits[i].1
            } else {
                if !self.designer.is_running() {
                    self.designer
                        .start(p.kind, p.slope, p.fit_freq(fs), p.gain_db, p.q);
                }
                self.designer.step();
                self.build = Build::Fit(i);
                let Some(&d) = self.designer.result() else {
                    return;
                };
                self.designer.cancel();
                self.fits[i] = (key, d);
                self.bands.push(PowerBand::new(&d, p.placement));
                self.build = Build::Fit(i + 1);
                return;
            };
            if p.enabled {
                self.bands.push(PowerBand::new(&design, p.placement));
            }
            i += 1;
        }
        let placed = |pl: Placement| self.bands.iter().any(|b| b.count > 0 && b.placement == pl);
        self.next_layout = Layout {
            cross: placed(Placement::Mid) || placed(Placement::Side),
            mirror: !placed(Placement::Left) && !placed(Placement::Right),
        };
        self.build = Build::Response(0);
    }

    /// The 2x2 zero-phase response matrix, a slice of bins per unit.
    fn response(&mut self, start: usize) {
        let sections: usize = self.bands.iter().map(|b| b.count).sum();
        let end = (start + (RESPONSE_BUDGET / sections.max(1)).max(1)).min(self.matrix.len());
        for (m, &phi1) in self.matrix[start..end]
            .iter_mut()
            .zip(&self.phi1[start..end])
        {
            let phi0 = 1.0 - phi1;
            let phi2 = 4.0 * phi0 * phi1;
            // [[LL, LR], [RL, RR]]
            let mut mat = [1.0, 0.0, 0.0, 1.0];
            for b in &self.bands {
                let mut h2 = 1.0;
                for s in &b.sections[..b.count] {
                    let num = s.b[0] * phi0 + s.b[1] * phi1 + s.b[2] * phi2;
                    let den = s.a[0] * phi0 + s.a[1] * phi1 + s.a[2] * phi2;
                    h2 *= num.max(0.0) / den;
                }
                let h = h2.sqrt();
                let band = match b.placement {
                    Placement::Stereo => [h, 0.0, 0.0, h],
                    Placement::Left => [h, 0.0, 0.0, 1.0],
                    Placement::Right => [1.0, 0.0, 0.0, h],
                    Placement::Mid => {
                        let (s, d) = (0.5 * (h + 1.0), 0.5 * (h - 1.0));
                        [s, d, d, s]
                    }
                    Placement::Side => {
                        let (s, d) = (0.5 * (1.0 + h), 0.5 * (1.0 - h));
                        [s, d, d, s]
                    }
                };
                mat = [
                    band[0] * mat[0] + band[1] * mat[2],
                    band[0] * mat[1] + band[1] * mat[3],
                    band[2] * mat[0] + band[3] * mat[2],
                    band[2] * mat[1] + band[3] * mat[3],
                ];
            }
            *m = mat;
        }
        self.build = if end == self.matrix.len() {
            Build::Columns(0, 0)
        } else {
            Build::Response(end)
        };
    }

    /// Four-step stage 1 for column `k1` of the `n`-th path: `a[n2] = sum_k2 X[k1 + N1 k2]
    /// e^(2 pi i k2 n2 / N2)`, times the twiddle `e^(2 pi i k1 n2 / L)`. `X` is real and even
    /// (a zero-phase response), stored for bins `0..=L/2`.
    fn column(&mut self, n: usize, k1: usize) {
        let path = self.next_layout.paths()[n];
        let (l, n1) = (self.kernel_len, self.parts);
        for (k2, c) in self.column.iter_mut().enumerate() {
            let k = k1 + n1 * k2;
            *c = Cx::new(self.matrix[k.min(l - k)][path], 0.0);
        }
        let fft = self.fft_n2.clone().expect("prepared");
        fft.process_with_scratch(&mut self.column, &mut self.scratch);
        for (n2, c) in self.column.iter().enumerate() {
            self.rows[n2 * n1 + k1] = c * self.twiddles[k1 * n2];
        }
        self.build = if k1 + 1 == n1 {
            Build::Rows(n, 0)
        } else {
            Build::Columns(n, k1 + 1)
        };
    }

    /// Four-step stage 2 for rows `start..`: `x[N2 n1 + n2] = sum_k1 row_n2[k1] e^(2 pi i k1
    /// n1 / N1)`, kept for taps `0..=L/2`.
    fn rows(&mut self, n: usize, start: usize) {
        let (n1, n2s) = (self.parts, self.part);
        let end = (start + ROWS_PER_UNIT).min(n2s);
        let fft = self.fft_n1.clone().expect("prepared");
        let rows = &mut self.rows[start * n1..end * n1];
        fft.process_with_scratch(rows, &mut self.scratch);
        let half = self.kernel_len / 2;
        for (r, row) in rows.chunks_exact(n1).enumerate() {
            for (k, v) in row.iter().enumerate() {
                let tap = n2s * k + start + r;
                if tap <= half {
                    self.long_time[tap] = v.re;
                }
            }
        }
        self.build = if end == n2s {
            Build::Partition(n, 0)
        } else {
            Build::Rows(n, end)
        };
    }

    /// Partition `j` of the `n`-th path: the zero-phase response centred on `L/2` (tap
    /// `L/2 +- d` is `x[d]`, so the kernel is exactly symmetric), windowed, scaled for the
    /// unnormalised inverse FFT and for the unnormalised partition FFTs' inverse (applied in
    /// `convolve`), and transformed.
    fn partition_fft(&mut self, n: usize, j: usize) {
        let paths = self.next_layout.paths();
        let path = paths[n];
        let (l, p) = (self.kernel_len, self.part);
        let norm = 1.0 / l as f64;
        for (i, t) in self.time[..p].iter_mut().enumerate() {
            let tap = j * p + i;
            *t = self.long_time[tap.abs_diff(l / 2)] * self.window[tap] * norm;
        }
        self.time[p..].fill(0.0);
        let slot = self.next_layout.slot(path);
        let dst = &mut self.next[slot][j * (p + 1)..(j + 1) * (p + 1)];
        let fwd = self.fwd.clone().expect("prepared");
        fwd.process_with_scratch(&mut self.time, dst, &mut self.scratch)
            .expect("sizes set in prepare");
        self.build = if j + 1 < self.parts {
            Build::Partition(n, j + 1)
        } else if n + 1 < paths.len() {
            Build::Columns(n + 1, 0)
        } else {
            Build::Synthesised
        };
    }

    /// Term `j` (`1..L/P`) of the new kernel's output spectra for the next partition boundary,
    /// for both outputs. `L/P - 1` units, fewer than a partition holds (`P / UNIT` is at least
    /// 16, at 22.05 kHz), so the sums are complete before the boundary they are for.
    fn prefade(&mut self, j: usize) {
        let (p, k) = (self.part, self.parts);
        let layout = self.next_layout;
        let slot = (self.ring + k - j) % k;
        for (out, acc) in self.prefade.iter_mut().enumerate() {
            for input in 0..2 {
                if input != out && !layout.cross {
                    continue;
                }
                let x = &self.fdl[input][slot * (p + 1)..(slot + 1) * (p + 1)];
                let h = &self.next[layout.slot(out * 2 + input)][j * (p + 1)..(j + 1) * (p + 1)];
                for ((a, x), h) in acc.iter_mut().zip(x).zip(h) {
                    *a += x * h;
                }
            }
        }
        self.build = if j + 1 < k {
            Build::Prefade(j + 1)
        } else {
            Build::Ready
        };
    }

    /// One partition boundary: one FFT per input channel, the spectral multiply-accumulate over
    /// the delay line, one inverse FFT per output (two, crossfaded, when a new kernel is
    /// ready).
    fn partition(&mut self, stereo: bool) {
        let fading = self.build == Build::Ready;
        let (p, k) = (self.part, self.parts);
        let channels = if stereo { 2 } else { 1 };
        let fwd = self.fwd.clone().expect("prepared");
        for ch in 0..channels {
            self.time.copy_from_slice(&self.input[ch]);
            let slot = &mut self.fdl[ch][self.ring * (p + 1)..(self.ring + 1) * (p + 1)];
            fwd.process_with_scratch(&mut self.time, slot, &mut self.scratch)
                .expect("sizes set in prepare");
            self.input[ch].copy_within(p.., 0);
        }
        for out in 0..channels {
            self.convolve(out, channels, false);
            if fading {
                self.faded.copy_from_slice(&self.output[out]);
                self.convolve(out, channels, true);
                for (n, (y, old)) in self.output[out].iter_mut().zip(&self.faded).enumerate() {
                    let t = (n + 1) as f64 / p as f64;
                    *y = old + t * (*y - old);
                }
            }
        }
        if fading {
            self.go_live();
        }
        self.ring = (self.ring + 1) % k;
        if self.build == Build::Synthesised {
            for acc in self.prefade.iter_mut() {
                acc.fill(Cx::default());
            }
            self.build = Build::Prefade(1);
        }
    }

    /// Output partition of channel `out` with the current kernel set, or with the next one
    /// (its precomputed terms plus the newest input's).
    fn convolve(&mut self, out: usize, channels: usize, next: bool) {
        let (p, k) = (self.part, self.parts);
        let (kernels, layout, terms) = if next {
            self.acc.copy_from_slice(&self.prefade[out]);
            (&self.next, self.next_layout, 1)
        } else {
            self.acc.fill(Cx::default());
            (&self.kernels, self.layout, k)
        };
        for input in 0..channels {
            if input != out && !layout.cross {
                continue;
            }
            let kernel = &kernels[layout.slot(out * 2 + input)];
            for j in 0..terms {
                let slot = (self.ring + k - j) % k;
                let x = &self.fdl[input][slot * (p + 1)..(slot + 1) * (p + 1)];
                let h = &kernel[j * (p + 1)..(j + 1) * (p + 1)];
                for ((a, x), h) in self.acc.iter_mut().zip(x).zip(h) {
                    *a += x * h;
                }
            }
        }
        self.acc[0].im = 0.0;
        self.acc[p].im = 0.0;
        let inv = self.inv.clone().expect("prepared");
        inv.process_with_scratch(&mut self.acc, &mut self.time, &mut self.scratch)
            .expect("sizes set in prepare");
        let norm = 1.0 / (2 * p) as f64;
        for (y, t) in self.output[out].iter_mut().zip(&self.time[p..]) {
            *y = t * norm;
        }
    }
}

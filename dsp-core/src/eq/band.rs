//! One minimum-phase EQ band at run time: smoothed parameters, per-sample coefficient updates
//! while they move, a crossfade for structural changes, and per-band channel placement.

use super::design::{
    design, design_matched, Designer, FilterType, SectionSet, Slope, StepWork, MAX_SECTIONS,
};
use crate::filter::BiquadCoeffs;
use crate::smoother::Smoother;
#[cfg(doc)]
use crate::util::DENORMAL_FLOOR;
use crate::util::{flush, sanitize};

/// Which signal a band filters. On a mono stream `Stereo`, `Left` and `Mid` filter the one
/// channel and `Right` and `Side` leave it alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    Stereo,
    Left,
    Right,
    /// `(L + R) / 2`, recombined as `L = M + S`, `R = M - S`.
    Mid,
    /// `(L - R) / 2`.
    Side,
}

/// The settings of one band. `freq` in Hz, `gain_db` in dB (bell, shelves, tilt), `q`
/// dimensionless (0.1..18 is the tested range), `slope` for the cuts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandParams {
    pub enabled: bool,
    pub kind: FilterType,
    pub freq: f64,
    pub gain_db: f64,
    pub q: f64,
    pub slope: Slope,
    pub placement: Placement,
}

impl Default for BandParams {
    fn default() -> Self {
        Self {
            enabled: false,
            kind: FilterType::Bell,
            freq: 1000.0,
            gain_db: 0.0,
            q: std::f64::consts::FRAC_1_SQRT_2,
            slope: Slope::Db12,
            placement: Placement::Stereo,
        }
    }
}

impl BandParams {
    pub fn new(kind: FilterType, freq: f64, gain_db: f64, q: f64) -> Self {
        Self {
            enabled: true,
            kind,
            freq,
            gain_db,
            q,
            ..Self::default()
        }
    }

    pub fn with_slope(mut self, slope: Slope) -> Self {
        self.slope = slope;
        self
    }

    pub fn with_placement(mut self, placement: Placement) -> Self {
        self.placement = placement;
        self
    }

    /// The digital cascade these settings give at `sample_rate` (identity when disabled),
    /// including the correction section of [`design`].
    pub fn design(&self, sample_rate: f64) -> SectionSet {
        self.design_with(sample_rate, true)
    }

    /// `corrected = false` gives the matched sections alone ([`design_matched`]): what the band
    /// runs while its parameters glide, because the correction fit is not continuous in the
    /// parameters (it is dropped where it would not help) and is far too slow to run per sample.
    fn design_with(&self, sample_rate: f64, corrected: bool) -> SectionSet {
        if !self.needs_fit() && (corrected || !self.enabled) {
            return SectionSet::default();
        }
        let freq = self.fit_freq(sample_rate);
        let f = if corrected { design } else { design_matched };
        f(
            self.kind,
            self.slope,
            freq,
            self.gain_db,
            self.q,
            sample_rate,
        )
    }

    /// False when the static design is the identity: a disabled band, or a 0 dB bell, shelf or
    /// tilt, which is exactly flat and costs nothing. (Only the static design: a glide passing
    /// 0 dB keeps its sections and their state.)
    pub(crate) fn needs_fit(&self) -> bool {
        let identity = self.gain_db == 0.0
            && matches!(
                self.kind,
                FilterType::Bell | FilterType::LowShelf | FilterType::HighShelf | FilterType::Tilt
            );
        self.enabled && !identity
    }

    pub(crate) fn fit_freq(&self, sample_rate: f64) -> f64 {
        self.freq.clamp(1.0, 0.5 * sample_rate)
    }

    /// True when `self` and `other` have the same static design (placement aside).
    fn same_design(&self, other: &Self) -> bool {
        *self
            == Self {
                placement: self.placement,
                ..*other
            }
    }

    /// True when switching between `self` and `other` changes the filter structure (and so
    /// needs a crossfade rather than coefficient smoothing).
    fn structure_differs(&self, other: &Self) -> bool {
        self.enabled != other.enabled
            || self.kind != other.kind
            || self.slope != other.slope
            || self.placement != other.placement
    }
}

/// Parameter ramp time: long enough that a full-range gain or frequency jump has no audible
/// zipper or click, short enough to follow automation.
const SMOOTH_MS: f64 = 20.0;
/// The band's clock period: its state is flushed once per `CHUNK` samples (see
/// [`Engine::flush`]); a power of two so that it is also a multiple of [`DESIGN_STEP`].
const CHUNK: usize = 256;
/// Samples per step of the correction fit (a divisor of [`CHUNK`], on the same clock). The
/// costliest step measures 8 us (21 us under heavy load; `cargo bench -p dsp-core --bench eq
/// -- eq_design`), 1-3 % of the 0.67 ms that 32 samples last at 48 kHz, and only while a band
/// settles; the hardest fit on the test grid takes 600 steps (0.4 s at 48 kHz), the mean is 91
/// (61 ms).
const DESIGN_STEP: usize = 32;
/// Crossfade for changes of type, slope, placement and enable.
const FADE_MS: f64 = 20.0;
/// Samples between redesigns of a gliding band's matched sections (on the clock of
/// [`DESIGN_STEP`]). In between, each coefficient moves linearly from one
/// design to the next: a design costs about 0.2 us, far more than a sample's filtering, while
/// a 20 ms parameter ramp moves only 1/30 of its way in 32 samples at 48 kHz. Every
/// interpolated section is stable, because the stable region of a biquad's `(a1, a2)` (the
/// triangle `|a2| < 1`, `|a1| < 1 + a2`) is convex and both ends lie in it.
const GLIDE_STEP: usize = 32;

/// A gliding band's coefficients on their way to the next design: `step` is added once per
/// sample for `left` more samples, and the last one lands exactly on `to`.
#[derive(Debug, Clone, Copy, Default)]
struct CoeffRamp {
    to: SectionSet,
    step: [BiquadCoeffs; MAX_SECTIONS],
    left: u32,
}

impl CoeffRamp {
    fn start(&mut self, from: &SectionSet, to: SectionSet) {
        let k = 1.0 / GLIDE_STEP as f64;
        for (d, (a, b)) in self.step.iter_mut().zip(from.coeffs.iter().zip(&to.coeffs)) {
            *d = BiquadCoeffs {
                b0: (b.b0 - a.b0) * k,
                b1: (b.b1 - a.b1) * k,
                b2: (b.b2 - a.b2) * k,
                a1: (b.a1 - a.a1) * k,
                a2: (b.a2 - a.a2) * k,
            };
        }
        self.to = to;
        self.left = GLIDE_STEP as u32;
    }

    /// One sample's move of `coeffs` towards the target.
    #[inline]
    fn advance(&mut self, coeffs: &mut SectionSet) {
        self.left -= 1;
        if self.left == 0 {
            *coeffs = self.to;
            return;
        }
        for (c, d) in coeffs.coeffs[..coeffs.count].iter_mut().zip(&self.step) {
            c.b0 += d.b0;
            c.b1 += d.b1;
            c.b2 += d.b2;
            c.a1 += d.a1;
            c.a2 += d.a2;
        }
    }
}

/// A cascade with its state: two lanes (left/right or mid/side) side by side so that the
/// per-sample arithmetic is one 2-wide vector operation per coefficient.
#[derive(Debug, Clone, Copy)]
struct Engine {
    params: BandParams,
    coeffs: SectionSet,
    /// Whether `coeffs` includes the correction section.
    corrected: bool,
    st: [Df1; MAX_SECTIONS],
}

impl Engine {
    fn new(params: BandParams, coeffs: SectionSet, corrected: bool) -> Self {
        Self {
            params,
            coeffs,
            corrected,
            st: [Df1::default(); MAX_SECTIONS],
        }
    }

    /// Flushes state under [`DENORMAL_FLOOR`] to zero. Called on a fixed grid of [`CHUNK`]
    /// samples counted from `reset`, which keeps it off the recursion's critical path and
    /// independent of the host's block sizes; a state needs far more than 256 samples to decay
    /// from 1e-30 into the `f64` subnormal range (below 2.2e-308).
    fn flush(&mut self) {
        for v in self.st.iter_mut().flat_map(|s| s.0.iter_mut()).flatten() {
            *v = flush(*v);
        }
    }

    fn clear(&mut self) {
        self.st = [Df1::default(); MAX_SECTIONS];
    }

    /// The cascade on both lanes, in the static path's arithmetic `A` (see
    /// [`EqBand::glide_frames`]).
    #[inline(always)]
    fn filter<A: Arith>(&mut self, mut v: [f64; 2]) -> [f64; 2] {
        let n = self.coeffs.count;
        for (c, st) in self.coeffs.coeffs[..n].iter().zip(&mut self.st[..n]) {
            v = A::tick(st, c, v);
        }
        v
    }

    /// One stereo (or mono when `stereo` is false) sample through the band in its placement.
    #[inline(always)]
    fn tick<A: Arith>(&mut self, l: f64, r: f64, stereo: bool) -> (f64, f64) {
        if !self.params.enabled {
            return (l, r);
        }
        if !stereo {
            return match self.params.placement {
                Placement::Right | Placement::Side => (l, r),
                _ => (self.filter::<A>([l, 0.0])[0], r),
            };
        }
        match self.params.placement {
            Placement::Stereo => {
                let y = self.filter::<A>([l, r]);
                (y[0], y[1])
            }
            Placement::Left => (self.filter::<A>([l, 0.0])[0], r),
            Placement::Right => (l, self.filter::<A>([0.0, r])[1]),
            Placement::Mid | Placement::Side => {
                let (m, s) = (0.5 * (l + r), 0.5 * (l - r));
                let (m, s) = if self.params.placement == Placement::Mid {
                    (self.filter::<A>([m, 0.0])[0], s)
                } else {
                    (m, self.filter::<A>([0.0, s])[1])
                };
                (m + s, m - s)
            }
        }
    }
}

/// Direct form I memory of one section on both lanes: `[x1, x2, y1, y2]`. Direct form I keeps
/// the recursion to one multiply and one add per sample (transposed form II needs two adds
/// on that path), which is what bounds a single biquad's speed; in `f64` its rounding is far
/// below audibility, and it behaves well when coefficients change every sample.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Df1([[f64; 2]; 4]);

impl Df1 {
    #[inline(always)]
    fn tick(&mut self, c: &BiquadCoeffs, x: [f64; 2]) -> [f64; 2] {
        let [x1, x2, y1, y2] = &mut self.0;
        let mut y = [0.0; 2];
        for k in 0..2 {
            let ff = c.b0 * x[k] + c.b1 * x1[k] + c.b2 * x2[k] - c.a2 * y2[k];
            y[k] = ff - c.a1 * y1[k];
        }
        *x2 = *x1;
        *x1 = x;
        *y2 = *y1;
        *y1 = y;
        y
    }

    /// [`Self::tick`] with fused multiply-adds, `y[n-2]` and then `y[n-1]` entering last: the
    /// loop-carried path is one fused multiply-add per sample (4 cycles on Zen 4, against 6 for
    /// a multiply and an add). Inlined into [`super::fma`]'s `avx,fma` code there; elsewhere
    /// `mul_add` is a library call (exact all the same).
    #[inline(always)]
    fn tick_fused(&mut self, c: &BiquadCoeffs, x: [f64; 2]) -> [f64; 2] {
        let [x1, x2, y1, y2] = &mut self.0;
        let mut y = [0.0; 2];
        for k in 0..2 {
            let ff = c.b2.mul_add(x2[k], c.b1.mul_add(x1[k], c.b0 * x[k]));
            y[k] = (-c.a1).mul_add(y1[k], (-c.a2).mul_add(y2[k], ff));
        }
        *x2 = *x1;
        *x1 = x;
        *y2 = *y1;
        *y1 = y;
        y
    }
}

/// The arithmetic of a static cascade: separate multiplies and adds ([`Df1::tick`], every
/// machine) or fused multiply-adds ([`Df1::tick_fused`], chosen at run time where the CPU has
/// them, see [`super::fma`]). The choice is fixed per machine, so the output is bit-identical
/// across block sizes and between the plugins and the CLI on any one machine; across machines
/// the two differ in the last bits of `f64`, far below `f32` output resolution.
pub(super) trait Arith {
    fn tick(st: &mut Df1, c: &BiquadCoeffs, x: [f64; 2]) -> [f64; 2];
}

pub(super) struct Plain;
pub(super) struct Fused;

impl Arith for Plain {
    #[inline(always)]
    fn tick(st: &mut Df1, c: &BiquadCoeffs, x: [f64; 2]) -> [f64; 2] {
        st.tick(c, x)
    }
}

impl Arith for Fused {
    #[inline(always)]
    fn tick(st: &mut Df1, c: &BiquadCoeffs, x: [f64; 2]) -> [f64; 2] {
        st.tick_fused(c, x)
    }
}

/// Where a static run reads its input frames and writes its output: an [`super::Equalizer`]'s
/// `f64` frame buffer, or straight from and to the host's `f32` channels when one band is all
/// that filters ([`Channels`]), with the same conversion [`for_each_chunk`] does, so both give
/// the same bits.
pub(super) trait Frames {
    fn len(&self) -> usize;
    /// Replaces each frame in `range` by `f(frame)`, in order.
    fn map(&mut self, range: std::ops::Range<usize>, f: impl FnMut([f64; 2]) -> [f64; 2]);
}

impl Frames for [[f64; 2]] {
    #[inline(always)]
    fn len(&self) -> usize {
        <[[f64; 2]]>::len(self)
    }
    #[inline(always)]
    fn map(&mut self, range: std::ops::Range<usize>, mut f: impl FnMut([f64; 2]) -> [f64; 2]) {
        for fr in &mut self[range] {
            *fr = f(*fr);
        }
    }
}

/// A host block of one or two `f32` channels as frames (`[mono, 0]` for one channel).
pub(super) struct Channels<'a, 'b>(pub &'a mut [&'b mut [f32]]);

impl Frames for Channels<'_, '_> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.0.first().map_or(0, |c| c.len())
    }
    #[inline(always)]
    fn map(&mut self, range: std::ops::Range<usize>, mut f: impl FnMut([f64; 2]) -> [f64; 2]) {
        match &mut *self.0 {
            [l, r, ..] => {
                for (a, b) in l[range.clone()].iter_mut().zip(&mut r[range]) {
                    let y = f([sanitize(*a) as f64, sanitize(*b) as f64]);
                    (*a, *b) = (y[0] as f32, y[1] as f32);
                }
            }
            [m] => {
                for a in &mut m[range] {
                    *a = f([sanitize(*a) as f64, 0.0])[0] as f32;
                }
            }
            [] => {}
        }
    }
}

/// One EQ band. Frequency is smoothed in log2(Hz) and Q in ln(Q), so a sweep moves at a constant
/// musical rate; gain is smoothed in dB (20 ms linear ramps). While any of them moves, the
/// matched sections are redesigned every [`GLIDE_STEP`] samples and their coefficients move
/// linearly in between (continuous in the parameters, ~0.2 us per design); when
/// they settle, the correction fit runs one bounded [`Designer`] step per `DESIGN_STEP` samples
/// of the band's clock (counted from `reset`, so the moment the fit completes does not depend on
/// the host's block sizes) while the band keeps the matched sections, and then the band
/// crossfades (20 ms) to the full design with its correction sections and runs a tight loop with
/// fixed coefficients. Type, slope, placement and enable changes crossfade too, and start from
/// the matched sections unless the last completed fit was for the same settings.
#[derive(Debug, Clone)]
pub struct EqBand {
    sample_rate: f64,
    target: BandParams,
    log_freq: Smoother,
    gain_db: Smoother,
    log_q: Smoother,
    cur: Engine,
    old: Engine,
    fade_left: u32,
    fade_len: u32,
    /// Samples since `reset` modulo [`CHUNK`] (the state-flush, glide and design-step grids).
    clock: usize,
    /// The smoothed parameters moved since the last glide design: the next [`GLIDE_STEP`]
    /// grid point designs for them.
    glide_due: bool,
    /// The matched sections' coefficients between two glide designs.
    ramp: CoeffRamp,
    /// The correction fit in progress (sized for the sample rate in `prepare`).
    designer: Designer,
    /// The last completed fit and the settings it is for: `reset` and structural changes reuse
    /// it instead of fitting again on the audio thread.
    settled: (BandParams, SectionSet),
    /// Design work since `reset`: the largest single step and the number of steps.
    work: DesignWork,
}

/// The correction-fit work a band has done on the audio thread since `reset`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DesignWork {
    /// Steps run (at most one per `DESIGN_STEP` samples).
    pub steps: u64,
    /// The largest step.
    pub max_step: StepWork,
}

impl Default for EqBand {
    fn default() -> Self {
        Self::new(BandParams::default())
    }
}

impl EqBand {
    pub fn new(params: BandParams) -> Self {
        let mut band = Self {
            sample_rate: 48_000.0,
            target: params,
            log_freq: Smoother::new(0.0),
            gain_db: Smoother::new(0.0),
            log_q: Smoother::new(0.0),
            cur: Engine::new(params, SectionSet::default(), true),
            old: Engine::new(params, SectionSet::default(), true),
            fade_left: 0,
            fade_len: 1,
            clock: 0,
            glide_due: false,
            ramp: CoeffRamp::default(),
            designer: Designer::new(48_000.0),
            settled: (params, SectionSet::default()),
            work: DesignWork::default(),
        };
        band.prepare(48_000.0);
        band
    }

    pub fn prepare(&mut self, sample_rate: f64) {
        self.sample_rate = sample_rate;
        for s in [&mut self.log_freq, &mut self.gain_db, &mut self.log_q] {
            s.prepare(sample_rate, SMOOTH_MS);
        }
        self.fade_len = ((sample_rate * FADE_MS * 1e-3).round() as u32).max(1);
        self.designer = Designer::new(sample_rate);
        // Off the audio thread: the whole fit at once.
        self.settled = (self.target, self.target.design(sample_rate));
        self.reset();
    }

    /// Clears the filter state and jumps every parameter to its target. Real-time safe: the
    /// band starts from the last completed fit if it is for these settings, else from the
    /// matched sections while the fit runs step by step.
    pub fn reset(&mut self) {
        let p = self.target;
        self.log_freq.set_immediate(p.freq.max(1.0).log2());
        self.gain_db.set_immediate(p.gain_db);
        self.log_q.set_immediate(p.q.max(1e-3).ln());
        self.cur = self.engine_for(p);
        self.designer.cancel();
        self.fade_left = 0;
        self.clock = 0;
        self.glide_due = false;
        self.ramp.left = 0;
        self.work = DesignWork::default();
    }

    /// Correction-fit work done on the audio thread since `reset`.
    pub fn design_work(&self) -> DesignWork {
        self.work
    }

    /// A fresh engine for `p`: the settled fit when it matches, the identity when there is
    /// nothing to fit, else the matched sections (the fit follows in `process`).
    fn engine_for(&self, p: BandParams) -> Engine {
        if self.settled.0.same_design(&p) {
            Engine::new(p, self.settled.1, true)
        } else if !p.needs_fit() {
            Engine::new(p, SectionSet::default(), true)
        } else {
            Engine::new(p, p.design_with(self.sample_rate, false), false)
        }
    }

    pub fn params(&self) -> &BandParams {
        &self.target
    }

    /// Stores new settings; continuous ones glide, structural ones crossfade.
    pub fn set_params(&mut self, p: BandParams) {
        self.target = p;
        self.log_freq.set_target(p.freq.max(1.0).log2());
        self.gain_db.set_target(p.gain_db);
        self.log_q.set_target(p.q.max(1e-3).ln());
    }

    /// True when the band is enabled or still fading out.
    pub fn is_active(&self) -> bool {
        self.cur.params.enabled || self.fade_left > 0
    }

    fn smoothed_params(&self) -> BandParams {
        BandParams {
            freq: self.log_freq.value().exp2(),
            gain_db: self.gain_db.value(),
            q: self.log_q.value().exp(),
            ..self.cur.params
        }
    }

    /// Moves between the corrected design (static) and the matched-only one (gliding) with a
    /// crossfade. The matched sections are identical in both, so their state carries over; only
    /// the correction section starts from rest, and the fade hides its start-up.
    fn switch_design(&mut self, p: BandParams, coeffs: SectionSet, corrected: bool) {
        // During a fade already running (a type change that also glides) the old engine keeps
        // fading out and the incoming one just changes design.
        if self.fade_left == 0 {
            self.old = self.cur;
            self.fade_left = self.fade_len;
        }
        // The matched sections lead both cascades; only the correction sections differ.
        let shared = self.cur.coeffs.matched.min(coeffs.count);
        self.cur.params = p;
        self.cur.coeffs = coeffs;
        self.cur.corrected = corrected;
        for k in shared..MAX_SECTIONS {
            self.cur.st[k] = Df1::default();
        }
    }

    fn start_crossfade(&mut self) {
        self.old = self.cur;
        let p = BandParams {
            enabled: self.target.enabled,
            kind: self.target.kind,
            slope: self.target.slope,
            placement: self.target.placement,
            ..self.smoothed_params()
        };
        self.cur = self.engine_for(p);
        self.ramp.left = 0;
        self.designer.cancel();
        self.fade_left = self.fade_len;
    }

    /// Processes one block in place (1 or 2 channels): [`Self::process_frames`] on `f64`
    /// frames, converted on a [`CHUNK`]-frame stack buffer (an [`super::Equalizer`] converts
    /// once for all its bands).
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let stereo = channels.len() > 1;
        self.begin_block();
        let len = channels.first().map_or(0, |c| c.len());
        if self.is_transparent(stereo) {
            self.skip(len);
            return;
        }
        let mut scratch = [[0.0; 2]; 64];
        for_each_chunk(channels, &mut scratch, |frames| {
            self.process_frames(frames, stereo)
        });
    }

    /// Starts the crossfade a structural change (type, slope, placement, enable) needs; the
    /// first thing each block does.
    pub(super) fn begin_block(&mut self) {
        if self.target.structure_differs(&self.cur.params) {
            self.start_crossfade();
        }
    }

    fn is_moving(&self) -> bool {
        self.log_freq.is_smoothing() || self.gain_db.is_smoothing() || self.log_q.is_smoothing()
    }

    /// Static: settled parameters, no fade, the corrected design in place (the tight loop).
    pub(super) fn is_static(&self) -> bool {
        !self.is_moving() && !self.glide_due && self.fade_left == 0 && self.cur.corrected
    }

    /// True when the band leaves the signal untouched for now (disabled and faded out, or
    /// static on an identity design, or a right/side band on a mono stream): it only counts
    /// samples on its clock ([`Self::skip`]). Valid after [`Self::begin_block`].
    pub(super) fn is_transparent(&self, stereo: bool) -> bool {
        !self.is_active()
            || (self.is_static()
                && (self.cur.coeffs.count == 0
                    || (!stereo
                        && matches!(
                            self.cur.params.placement,
                            Placement::Right | Placement::Side
                        ))))
    }

    /// Static and filtering both frame lanes as one cascade (stereo placement; on a mono
    /// stream, whose second lane is silent, also left and mid): [`process_fused`] can chain
    /// it with its neighbours.
    pub(super) fn is_fusable(&self, stereo: bool) -> bool {
        self.is_active()
            && self.is_static()
            && self.cur.coeffs.count > 0
            && match self.cur.params.placement {
                Placement::Stereo => true,
                Placement::Left | Placement::Mid => !stereo,
                Placement::Right | Placement::Side => false,
            }
    }

    /// Advances the clock over `len` samples the band leaves untouched.
    pub(super) fn skip(&mut self, len: usize) {
        self.clock = (self.clock + len) % CHUNK;
    }

    /// Processes `f64` frames `[left, right]` in place (`[mono, 0]` when `stereo` is false).
    /// Call [`Self::begin_block`] first, once per host block.
    // The per-sample path indexes the frames and the band's state with the same index.
    #[allow(clippy::needless_range_loop)]
    pub(super) fn process_frames(&mut self, frames: &mut [[f64; 2]], stereo: bool) {
        if self.is_transparent(stereo) {
            self.skip(frames.len());
            return;
        }
        if self.is_static() {
            self.process_static(frames, stereo);
            return;
        }
        super::fma::glide(self, frames, stereo);
    }

    /// The per-sample path (gliding, fitting, crossfading) in the static path's arithmetic `A`
    /// ([`super::fma::glide`] picks it), so that where a band turns static, which happens at a
    /// block boundary, changes no bit; with FMA it runs inside `avx,fma` code, where `mul_add`
    /// is one instruction instead of a call to the C library's `fma`.
    #[inline(always)]
    pub(super) fn glide_frames<A: Arith>(&mut self, frames: &mut [[f64; 2]], stereo: bool) {
        for f in frames.iter_mut() {
            if self.is_moving() {
                self.log_freq.tick();
                self.gain_db.tick();
                self.log_q.tick();
                self.glide_due = true;
            }
            if self.glide_due && self.clock.is_multiple_of(GLIDE_STEP) {
                self.glide_due = false;
                self.glide_design();
            }
            if self.ramp.left > 0 {
                self.ramp.advance(&mut self.cur.coeffs);
            } else if !self.glide_due && !self.cur.corrected {
                self.settle();
            }
            let [l, r] = *f;
            let (mut yl, mut yr) = self.cur.tick::<A>(l, r, stereo);
            if self.fade_left > 0 {
                let t = self.fade_left as f64 / self.fade_len as f64;
                let (ol, or) = self.old.tick::<A>(l, r, stereo);
                yl += t * (ol - yl);
                yr += t * (or - yr);
                self.fade_left -= 1;
                if self.fade_left == 0 {
                    self.old.clear();
                }
            }
            *f = [yl, yr];
            self.tick_clock();
        }
    }

    /// A glide grid point: the matched sections for the smoothed parameters, reached by a
    /// [`CoeffRamp`] from the current ones, or by a crossfade from the corrected design (whose
    /// extra section has no counterpart to move from).
    fn glide_design(&mut self) {
        let p = self.smoothed_params();
        let coeffs = p.design_with(self.sample_rate, false);
        self.designer.cancel();
        if self.cur.corrected {
            self.switch_design(p, coeffs, false);
        } else if coeffs.count == self.cur.coeffs.count {
            self.ramp.start(&self.cur.coeffs, coeffs);
        } else {
            self.cur.coeffs = coeffs;
        }
    }

    /// Settled on the matched sections: start the fit, or once it is done and any fade is
    /// over, crossfade to its result.
    fn settle(&mut self) {
        let p = self.smoothed_params();
        if !p.needs_fit() {
            if self.fade_left == 0 {
                self.switch_design(p, SectionSet::default(), true);
            }
            return;
        }
        if let Some(&coeffs) = self.designer.result() {
            if self.fade_left == 0 {
                self.designer.cancel();
                self.settled = (p, coeffs);
                self.switch_design(p, coeffs, true);
            }
        } else if !self.designer.is_running() {
            let freq = p.fit_freq(self.sample_rate);
            self.designer.start(p.kind, p.slope, freq, p.gain_db, p.q);
        }
    }

    #[inline]
    fn tick_clock(&mut self) {
        self.clock += 1;
        if self.clock.is_multiple_of(DESIGN_STEP) {
            if let Some(w) = self.designer.step() {
                self.work.steps += 1;
                let m = &mut self.work.max_step;
                m.grid_passes = m.grid_passes.max(w.grid_passes);
                m.solves = m.solves.max(w.solves);
            }
        }
        if self.clock == CHUNK {
            self.clock = 0;
            self.cur.flush();
            self.old.flush();
        }
    }

    /// The static path: fixed coefficients, no per-sample parameter work. Each frame is one
    /// pair of `f64` lanes (left/right, or mid/side through [`LaneIo`], one 2-wide vector),
    /// run through the whole cascade with the section count and the placement compile-time
    /// constants ([`cascade`]: coefficients and state in registers, no branch in the loop, and
    /// the sections' recursions overlap in the pipeline instead of running one after the
    /// other). Runs end on the [`CHUNK`] flush grid.
    pub(super) fn process_static<F: Frames + ?Sized>(&mut self, frames: &mut F, stereo: bool) {
        let placement = if stereo {
            self.cur.params.placement
        } else {
            // The second lane of a mono stream is silent: filtering it costs nothing extra and
            // leaves it silent, so every filtering placement is the stereo one.
            Placement::Stereo
        };
        let len = frames.len();
        let mut start = 0;
        while start < len {
            let n = (CHUNK - self.clock).min(len - start);
            let (c, st) = (&self.cur.coeffs, &mut self.cur.st[..]);
            let (c, run) = (&c.coeffs[..c.count], start..start + n);
            match placement {
                Placement::Stereo => run_cascade::<StereoIo, F>(c, st, frames, run),
                Placement::Left => run_cascade::<LeftIo, F>(c, st, frames, run),
                Placement::Right => run_cascade::<RightIo, F>(c, st, frames, run),
                Placement::Mid => run_cascade::<MidIo, F>(c, st, frames, run),
                Placement::Side => run_cascade::<SideIo, F>(c, st, frames, run),
            }
            start += n;
            self.clock += n;
            if self.clock == CHUNK {
                self.clock = 0;
                self.cur.flush();
            }
        }
    }
}

/// Frames converted per pass of [`for_each_chunk`] by an [`super::Equalizer`] (a 4 KiB buffer it
/// owns): a 128- or 256-sample
/// host block is one pass, so the per-pass work of a chain of bands (gathering a fused cascade's
/// state) is paid once per block.
pub(super) const FRAMES: usize = 256;

/// Runs `f` over the block as `f64` frames, [`FRAMES`] at a time: `[left, right]`, or
/// `[mono, 0]` for one channel, sanitized on the way in (a NaN or an infinity becomes silence
/// before it can reach a filter's state) and rounded to `f32` once on the way out, so a chain of
/// bands converts once, not per band.
/// `scratch` is the frame buffer (any non-zero length; [`FRAMES`] for whole host blocks).
pub(super) fn for_each_chunk(
    channels: &mut [&mut [f32]],
    scratch: &mut [[f64; 2]],
    mut f: impl FnMut(&mut [[f64; 2]]),
) {
    let size = scratch.len();
    match channels {
        [l, r, ..] => {
            for (l, r) in l.chunks_mut(size).zip(r.chunks_mut(size)) {
                let frames = &mut scratch[..l.len()];
                for ((fr, &a), &b) in frames.iter_mut().zip(l.iter()).zip(r.iter()) {
                    *fr = [sanitize(a) as f64, sanitize(b) as f64];
                }
                f(frames);
                for ((fr, a), b) in frames.iter().zip(l.iter_mut()).zip(r.iter_mut()) {
                    (*a, *b) = (fr[0] as f32, fr[1] as f32);
                }
            }
        }
        [m] => {
            for m in m.chunks_mut(size) {
                let frames = &mut scratch[..m.len()];
                for (fr, &a) in frames.iter_mut().zip(m.iter()) {
                    *fr = [sanitize(a) as f64, 0.0];
                }
                f(frames);
                for (fr, a) in frames.iter().zip(m.iter_mut()) {
                    *a = fr[0] as f32;
                }
            }
        }
        [] => {}
    }
}

/// Sections one fused pass runs: enough for a channel strip's bands (one or two sections each)
/// in one pass; more are run in further passes over the same frames.
const FUSED: usize = 8;

/// Runs a chain of bands, each [`EqBand::is_fusable`] or [`EqBand::is_transparent`] and all on
/// the same clock, as one cascade per pass: each frame is loaded once, goes through up to
/// [`FUSED`] sections of several bands in registers, and is stored once. Every sample sees the
/// same operations in the same order as band after band would apply them, so the output is
/// bit-identical to the unfused path.
pub(super) fn process_fused(bands: &mut [EqBand], frames: &mut [[f64; 2]], stereo: bool) {
    let Some(clock) = bands.first().map(|b| b.clock) else {
        return;
    };
    debug_assert!(bands.iter().all(|b| b.clock == clock));
    let mut first = 0;
    while first < bands.len() {
        // The bands of this pass: as many whole bands as fit in FUSED sections.
        let mut last = first;
        let mut total = 0;
        while last < bands.len() {
            let count = if bands[last].is_fusable(stereo) {
                bands[last].cur.coeffs.count
            } else {
                0
            };
            if total + count > FUSED && last > first {
                break;
            }
            total += count;
            last += 1;
        }
        let group = &mut bands[first..last];
        let mut coeffs = [BiquadCoeffs::IDENTITY; FUSED];
        let mut st = [Df1::default(); FUSED];
        let mut k = 0;
        for b in group.iter().filter(|b| b.is_fusable(stereo)) {
            let n = b.cur.coeffs.count;
            coeffs[k..k + n].copy_from_slice(&b.cur.coeffs.coeffs[..n]);
            st[k..k + n].copy_from_slice(&b.cur.st[..n]);
            k += n;
        }
        let mut start = 0;
        let mut c = clock;
        while start < frames.len() {
            let n = (CHUNK - c).min(frames.len() - start);
            run_cascade::<StereoIo, _>(&coeffs[..k], &mut st[..k], frames, start..start + n);
            start += n;
            c += n;
            if c == CHUNK {
                c = 0;
                for v in st[..k].iter_mut().flat_map(|s| s.0.iter_mut()).flatten() {
                    *v = flush(*v);
                }
            }
        }
        let mut k = 0;
        for b in group.iter_mut() {
            if b.is_fusable(stereo) {
                let n = b.cur.coeffs.count;
                b.cur.st[..n].copy_from_slice(&st[k..k + n]);
                k += n;
            }
            b.skip(frames.len());
        }
        first = last;
    }
}

/// How a placement maps a frame onto the two filter lanes and back.
pub(super) trait LaneIo {
    fn load(f: [f64; 2]) -> [f64; 2];
    /// `f` still holds the input frame.
    fn store(y: [f64; 2], f: &mut [f64; 2]);
}

pub(super) struct StereoIo;
pub(super) struct LeftIo;
pub(super) struct RightIo;
pub(super) struct MidIo;
pub(super) struct SideIo;

impl LaneIo for StereoIo {
    #[inline(always)]
    fn load(f: [f64; 2]) -> [f64; 2] {
        f
    }
    #[inline(always)]
    fn store(y: [f64; 2], f: &mut [f64; 2]) {
        *f = y;
    }
}

impl LaneIo for LeftIo {
    #[inline(always)]
    fn load(f: [f64; 2]) -> [f64; 2] {
        [f[0], 0.0]
    }
    #[inline(always)]
    fn store(y: [f64; 2], f: &mut [f64; 2]) {
        f[0] = y[0];
    }
}

impl LaneIo for RightIo {
    #[inline(always)]
    fn load(f: [f64; 2]) -> [f64; 2] {
        [0.0, f[1]]
    }
    #[inline(always)]
    fn store(y: [f64; 2], f: &mut [f64; 2]) {
        f[1] = y[1];
    }
}

impl LaneIo for MidIo {
    #[inline(always)]
    fn load([l, r]: [f64; 2]) -> [f64; 2] {
        [0.5 * (l + r), 0.5 * (l - r)]
    }
    #[inline(always)]
    fn store(y: [f64; 2], f: &mut [f64; 2]) {
        let s = 0.5 * (f[0] - f[1]);
        *f = [y[0] + s, y[0] - s];
    }
}

impl LaneIo for SideIo {
    #[inline(always)]
    fn load(f: [f64; 2]) -> [f64; 2] {
        MidIo::load(f)
    }
    #[inline(always)]
    fn store(y: [f64; 2], f: &mut [f64; 2]) {
        let m = 0.5 * (f[0] + f[1]);
        *f = [m + y[1], m - y[1]];
    }
}

/// Runs `range` of `frames` through the cascade `c` with state `st` ([`cascade`] with the
/// section count as a constant, in the machine's [`Arith`]).
fn run_cascade<P: LaneIo, F: Frames + ?Sized>(
    c: &[BiquadCoeffs],
    st: &mut [Df1],
    frames: &mut F,
    range: std::ops::Range<usize>,
) {
    match c.len() {
        0 => {}
        1 => super::fma::cascade::<1, P, F>(c, st, frames, range),
        2 => super::fma::cascade::<2, P, F>(c, st, frames, range),
        3 => super::fma::cascade::<3, P, F>(c, st, frames, range),
        4 => super::fma::cascade::<4, P, F>(c, st, frames, range),
        5 => super::fma::cascade::<5, P, F>(c, st, frames, range),
        6 => super::fma::cascade::<6, P, F>(c, st, frames, range),
        7 => super::fma::cascade::<7, P, F>(c, st, frames, range),
        _ => super::fma::cascade::<FUSED, P, F>(c, st, frames, range),
    }
}

/// `N` sections, every section per sample: section `k + 1` of sample `i` and section `k` of
/// sample `i + 1` are independent, so an out-of-order core runs the sections' recursions (one
/// multiply and one add each, or one fused multiply-add, see [`Df1`]) side by side and a
/// cascade costs little more than its longest chain.
#[inline(always)]
pub(super) fn cascade<const N: usize, P: LaneIo, A: Arith, F: Frames + ?Sized>(
    c: &[BiquadCoeffs],
    st: &mut [Df1],
    frames: &mut F,
    range: std::ops::Range<usize>,
) {
    let coeffs: [BiquadCoeffs; N] = std::array::from_fn(|k| c[k]);
    let mut s: [Df1; N] = std::array::from_fn(|k| st[k]);
    frames.map(range, |mut f| {
        let mut y = P::load(f);
        for (sk, ck) in s.iter_mut().zip(&coeffs) {
            y = A::tick(sk, ck, y);
        }
        P::store(y, &mut f);
        f
    });
    st[..N].copy_from_slice(&s);
}

//! The equalizer: analog-matched minimum-phase bands ([`design`], [`band`]), the multi-band
//! [`Equalizer`] the plugins use, and a linear-phase mode ([`linear_phase`]).
pub mod band;
pub mod design;
mod fma;
pub mod linear_phase;

pub use band::{BandParams, EqBand, Placement};
pub use design::{FilterType, Slope};

/// N minimum-phase bands in series. Zero latency.
#[derive(Debug, Clone)]
pub struct Equalizer {
    sample_rate: f64,
    bands: Vec<EqBand>,
    /// The `f64` frames the bands process ([`band::FRAMES`] long).
    frames: Vec<[f64; 2]>,
}

impl Equalizer {
    /// An equalizer with `bands` disabled bands (allocates; call before `prepare`).
    pub fn new(bands: usize) -> Self {
        Self {
            sample_rate: 48_000.0,
            bands: (0..bands).map(|_| EqBand::default()).collect(),
            frames: vec![[0.0; 2]; band::FRAMES],
        }
    }

    /// An equalizer with the given bands.
    pub fn with_bands(params: &[BandParams]) -> Self {
        let mut eq = Self::new(params.len());
        for (i, p) in params.iter().enumerate() {
            eq.set_band(i, *p);
        }
        eq.reset();
        eq
    }

    /// Channel Strip layout: 0 = high-pass (LowCut, 10..1000 Hz, 6..48 dB/oct), 1 = low-pass
    /// (HighCut, 1..22 kHz), 2 = LF (LowShelf or Bell), 3 = LMF bell, 4 = HMF bell, 5 = HF
    /// (HighShelf or Bell). The cuts start disabled, the others at 0 dB.
    pub fn channel_strip() -> Self {
        Self::with_bands(&[
            BandParams {
                enabled: false,
                ..BandParams::new(
                    FilterType::LowCut,
                    80.0,
                    0.0,
                    std::f64::consts::FRAC_1_SQRT_2,
                )
                .with_slope(Slope::Db12)
            },
            BandParams {
                enabled: false,
                ..BandParams::new(
                    FilterType::HighCut,
                    18_000.0,
                    0.0,
                    std::f64::consts::FRAC_1_SQRT_2,
                )
                .with_slope(Slope::Db12)
            },
            BandParams::new(
                FilterType::LowShelf,
                100.0,
                0.0,
                std::f64::consts::FRAC_1_SQRT_2,
            ),
            BandParams::new(FilterType::Bell, 400.0, 0.0, 1.0),
            BandParams::new(FilterType::Bell, 2500.0, 0.0, 1.0),
            BandParams::new(
                FilterType::HighShelf,
                8000.0,
                0.0,
                std::f64::consts::FRAC_1_SQRT_2,
            ),
        ])
    }

    /// Maximizer tone section: 0 = low shelf, 1 = mid bell, 2 = high shelf (+-12 dB in the UI).
    pub fn maximizer() -> Self {
        Self::with_bands(&[
            BandParams::new(
                FilterType::LowShelf,
                120.0,
                0.0,
                std::f64::consts::FRAC_1_SQRT_2,
            ),
            BandParams::new(FilterType::Bell, 1000.0, 0.0, 0.7),
            BandParams::new(
                FilterType::HighShelf,
                8000.0,
                0.0,
                std::f64::consts::FRAC_1_SQRT_2,
            ),
        ])
    }

    /// Reverb tone section: 0 = low cut, 1 = high cut (12 dB/oct), both enabled.
    pub fn reverb_tone() -> Self {
        Self::with_bands(&[
            BandParams::new(
                FilterType::LowCut,
                100.0,
                0.0,
                std::f64::consts::FRAC_1_SQRT_2,
            ),
            BandParams::new(
                FilterType::HighCut,
                12_000.0,
                0.0,
                std::f64::consts::FRAC_1_SQRT_2,
            ),
        ])
    }

    pub fn prepare(&mut self, sample_rate: f64, _max_block: usize) {
        self.sample_rate = sample_rate;
        for b in &mut self.bands {
            b.prepare(sample_rate);
        }
    }

    pub fn reset(&mut self) {
        for b in &mut self.bands {
            b.reset();
        }
    }

    pub fn num_bands(&self) -> usize {
        self.bands.len()
    }

    pub fn band(&self, i: usize) -> &BandParams {
        self.bands[i].params()
    }

    pub fn set_band(&mut self, i: usize, p: BandParams) {
        self.bands[i].set_params(p);
    }

    pub fn set_enabled(&mut self, i: usize, on: bool) {
        self.update(i, |p| p.enabled = on);
    }

    pub fn set_kind(&mut self, i: usize, kind: FilterType) {
        self.update(i, |p| p.kind = kind);
    }

    /// Hz.
    pub fn set_freq(&mut self, i: usize, hz: f64) {
        self.update(i, |p| p.freq = hz);
    }

    /// dB.
    pub fn set_gain_db(&mut self, i: usize, db: f64) {
        self.update(i, |p| p.gain_db = db);
    }

    pub fn set_q(&mut self, i: usize, q: f64) {
        self.update(i, |p| p.q = q);
    }

    pub fn set_slope(&mut self, i: usize, slope: Slope) {
        self.update(i, |p| p.slope = slope);
    }

    pub fn set_placement(&mut self, i: usize, placement: Placement) {
        self.update(i, |p| p.placement = placement);
    }

    fn update(&mut self, i: usize, f: impl FnOnce(&mut BandParams)) {
        let mut p = *self.bands[i].params();
        f(&mut p);
        self.bands[i].set_params(p);
    }

    pub fn latency_samples(&self) -> usize {
        0
    }

    /// Processes one block in place (1 or 2 channels). The bands run on `f64` frames converted
    /// once per block (not once per band), and runs of neighbouring static bands are chained
    /// into one cascade ([`band::process_fused`]); a block in which no band touches the signal
    /// costs a clock update per band.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let stereo = channels.len() > 1;
        if !self.begin_block(channels) {
            return;
        }
        if self.lone_static(stereo) {
            let len = channels.first().map_or(0, |c| c.len());
            for b in &mut self.bands {
                if b.is_transparent(stereo) {
                    b.skip(len);
                } else {
                    b.process_static(&mut band::Channels(channels), stereo);
                }
            }
            return;
        }
        let bands = &mut self.bands;
        band::for_each_chunk(channels, &mut self.frames, |frames| {
            run_bands(bands, frames, stereo)
        });
    }

    /// True when one static band is all that touches the signal: it then runs straight on the
    /// host's `f32` channels, its conversions in the same loop as its recursion (bit for bit
    /// the frame path; a lone biquad leaves most of the core idle waiting on its recursion, so
    /// the conversions cost next to nothing there).
    fn lone_static(&self, stereo: bool) -> bool {
        let mut active = self.bands.iter().filter(|b| !b.is_transparent(stereo));
        matches!((active.next(), active.next()), (Some(b), None) if b.is_static())
    }

    /// `self` then `next` on one block, as [`Self::process`] twice but with one conversion to
    /// `f64` frames and back for both (a channel strip's filters and EQ, back to back): the
    /// signal stays in `f64` between them, so the result differs from two calls only by the
    /// `f32` rounding the second call would add in between.
    pub fn process_then(&mut self, next: &mut Equalizer, channels: &mut [&mut [f32]]) {
        let stereo = channels.len() > 1;
        match (self.begin_block(channels), next.begin_block(channels)) {
            (false, false) => {}
            (true, false) => {
                let bands = &mut self.bands;
                band::for_each_chunk(channels, &mut self.frames, |frames| {
                    run_bands(bands, frames, stereo)
                });
            }
            (false, true) => {
                let bands = &mut next.bands;
                band::for_each_chunk(channels, &mut next.frames, |frames| {
                    run_bands(bands, frames, stereo)
                });
            }
            (true, true) => {
                let (first, second) = (&mut self.bands, &mut next.bands);
                band::for_each_chunk(channels, &mut self.frames, |frames| {
                    run_bands(first, frames, stereo);
                    run_bands(second, frames, stereo);
                });
            }
        }
    }

    /// Starts a block on every band; false (and the bands' clocks advanced over the block) when
    /// no band touches the signal in it.
    fn begin_block(&mut self, channels: &[&mut [f32]]) -> bool {
        let stereo = channels.len() > 1;
        let len = channels.first().map_or(0, |c| c.len());
        for b in &mut self.bands {
            b.begin_block();
        }
        if self.bands.iter().all(|b| b.is_transparent(stereo)) {
            for b in &mut self.bands {
                b.skip(len);
            }
            return false;
        }
        true
    }

    /// Linear magnitude of the target settings at `freq` Hz, every enabled band multiplied
    /// (the curve an editor draws). Placement is ignored; see [`Self::magnitude_for`].
    pub fn magnitude_at(&self, freq: f64) -> f64 {
        self.magnitude_for(freq, None)
    }

    /// As [`Self::magnitude_at`] but only the bands with the given placement (`Some`), or all.
    pub fn magnitude_for(&self, freq: f64, placement: Option<Placement>) -> f64 {
        self.bands
            .iter()
            .map(|b| b.params())
            .filter(|p| p.enabled && placement.is_none_or(|pl| pl == p.placement))
            .map(|p| p.design(self.sample_rate).magnitude(freq, self.sample_rate))
            .product()
    }

    /// Fills `out_db` with the combined curve at `freqs` (Hz), designing each band once.
    pub fn curve_db(&self, freqs: &[f64], out_db: &mut [f64]) {
        out_db.iter_mut().for_each(|v| *v = 0.0);
        for p in self.bands.iter().map(|b| b.params()).filter(|p| p.enabled) {
            let d = p.design(self.sample_rate);
            for (o, &f) in out_db.iter_mut().zip(freqs) {
                *o += crate::util::gain_to_db(d.magnitude(f, self.sample_rate));
            }
        }
    }

    pub(crate) fn targets(&self) -> impl Iterator<Item = &BandParams> {
        self.bands.iter().map(|b| b.params())
    }
}

/// The bands over one pass of frames, in order, runs of neighbouring static bands chained into
/// one cascade ([`band::process_fused`]).
fn run_bands(bands: &mut [EqBand], frames: &mut [[f64; 2]], stereo: bool) {
    let mut i = 0;
    while i < bands.len() {
        let chained = bands[i..]
            .iter()
            .take_while(|b| b.is_fusable(stereo) || b.is_transparent(stereo))
            .count();
        if chained > 1 {
            band::process_fused(&mut bands[i..i + chained], frames, stereo);
            i += chained;
        } else {
            bands[i].process_frames(frames, stereo);
            i += 1;
        }
    }
}

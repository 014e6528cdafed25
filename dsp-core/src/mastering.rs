//! The Maximizer's audio chain, shared by the Maximizer plugin and the offline `lathe` renderer so
//! the two give the same samples by construction: tone EQ ([`Equalizer::maximizer`]) -> imager
//! (width, mono bass; stereo only) -> true-peak lookahead limiter -> dither.
//!
//! [`MasteringSettings`] holds every audio parameter in plain units; [`MasteringChain::apply`]
//! forwards them to the processors' idempotent setters, so calling it at the start of every block
//! (as the plugin does) with unchanged settings changes nothing.

use crate::dither::{Dither, NoiseShape};
use crate::eq::Equalizer;
use crate::imager::Imager;
use crate::limiter::{Character, Limiter};

/// Band indices of the tone EQ (see [`Equalizer::maximizer`]).
const LOW: usize = 0;
const MID: usize = 1;
const HIGH: usize = 2;

/// Every audio parameter of the Maximizer in plain units. `Default` is the plugin's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MasteringSettings {
    /// Limiter drive, dB (0..24 in the plugin).
    pub gain_db: f64,
    /// Output ceiling, dBFS (or dBTP with `true_peak`).
    pub ceiling_db: f64,
    pub release_ms: f64,
    pub auto_release: bool,
    /// Sets the latency.
    pub lookahead_ms: f64,
    pub true_peak: bool,
    pub character: Character,
    /// Stereo link, percent.
    pub link_percent: f64,

    pub eq_low_freq: f64,
    pub eq_low_gain_db: f64,
    pub eq_mid_freq: f64,
    pub eq_mid_gain_db: f64,
    pub eq_mid_q: f64,
    pub eq_high_freq: f64,
    pub eq_high_gain_db: f64,

    /// Stereo width, percent (100 = unchanged).
    pub width_percent: f64,
    pub mono_bass_on: bool,
    pub mono_bass_freq: f64,

    /// Dither word length (16, 20 or 24); `None` = dither off (32-bit float out).
    pub dither_bits: Option<u32>,
    pub noise_shape: NoiseShape,
}

impl Default for MasteringSettings {
    fn default() -> Self {
        Self {
            gain_db: 0.0,
            ceiling_db: -1.0,
            release_ms: 100.0,
            auto_release: true,
            lookahead_ms: 2.0,
            true_peak: true,
            character: Character::Transparent,
            link_percent: 100.0,
            eq_low_freq: 100.0,
            eq_low_gain_db: 0.0,
            eq_mid_freq: 1000.0,
            eq_mid_gain_db: 0.0,
            // The plugin's parameters are f32: its 0.7 is this value, not 0.7f64.
            eq_mid_q: 0.7f32 as f64,
            eq_high_freq: 8000.0,
            eq_high_gain_db: 0.0,
            width_percent: 100.0,
            mono_bass_on: false,
            mono_bass_freq: 120.0,
            dither_bits: None,
            noise_shape: NoiseShape::Flat,
        }
    }
}

/// EQ -> imager -> limiter -> dither, with the processor life cycle of this crate.
#[derive(Debug, Clone)]
pub struct MasteringChain {
    eq: Equalizer,
    imager: Imager,
    limiter: Limiter,
    dither: Dither,
    /// Word-length reduction runs only when a bit depth is chosen: with dither off the chain's
    /// output stays 32-bit float (the dither stage alone would still round to its grid).
    reduce_word_length: bool,
}

impl Default for MasteringChain {
    fn default() -> Self {
        Self::new()
    }
}

impl MasteringChain {
    pub fn new() -> Self {
        Self {
            eq: Equalizer::maximizer(),
            imager: Imager::new(),
            limiter: Limiter::new(),
            dither: Dither::new(),
            reduce_word_length: false,
        }
    }

    /// `channels` is accepted for the uniform life cycle; every stage sizes itself per channel
    /// at process time (the imager only runs on stereo).
    pub fn prepare(&mut self, sample_rate: f64, max_block: usize, _channels: usize) {
        self.eq.prepare(sample_rate, max_block);
        self.imager.prepare(sample_rate, max_block);
        self.limiter.prepare(sample_rate, max_block);
        self.dither.prepare(sample_rate, max_block);
    }

    pub fn reset(&mut self) {
        self.eq.reset();
        self.imager.reset();
        self.limiter.reset();
        self.dither.reset();
    }

    /// Forwards `s` to the processors' setters (idempotent: call it every block).
    pub fn apply(&mut self, s: &MasteringSettings) {
        self.eq.set_freq(LOW, s.eq_low_freq);
        self.eq.set_gain_db(LOW, s.eq_low_gain_db);
        self.eq.set_freq(MID, s.eq_mid_freq);
        self.eq.set_gain_db(MID, s.eq_mid_gain_db);
        self.eq.set_q(MID, s.eq_mid_q);
        self.eq.set_freq(HIGH, s.eq_high_freq);
        self.eq.set_gain_db(HIGH, s.eq_high_gain_db);

        self.imager.set_width_percent(s.width_percent);
        self.imager.set_mono_bass_on(s.mono_bass_on);
        self.imager.set_mono_bass_freq(s.mono_bass_freq);

        let l = &mut self.limiter;
        l.set_drive_db(s.gain_db);
        l.set_ceiling_db(s.ceiling_db);
        l.set_release_ms(s.release_ms);
        l.set_auto_release(s.auto_release);
        l.set_lookahead_ms(s.lookahead_ms);
        l.set_true_peak(s.true_peak);
        l.set_stereo_link(s.link_percent);
        l.set_character(s.character);

        self.reduce_word_length = s.dither_bits.is_some();
        if let Some(bits) = s.dither_bits {
            self.dither.set_bits(bits);
        }
        self.dither.set_noise_shape(s.noise_shape);
    }

    /// Processes one block in place (one slice per channel, mono or stereo).
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        if channels.is_empty() || channels[0].is_empty() {
            return;
        }
        self.eq.process(channels);
        if channels.len() == 2 {
            self.imager.process(channels);
        }
        self.limiter.process(channels);
        if self.reduce_word_length {
            self.dither.process(channels);
        }
    }

    /// Exact latency of the chain (the limiter's lookahead and detection delay).
    pub fn latency_samples(&self) -> usize {
        self.eq.latency_samples() + self.imager.latency_samples() + self.limiter.latency_samples()
    }

    /// The limiter's current gain reduction, dB (positive).
    pub fn gain_reduction_db(&self) -> f64 {
        self.limiter.gain_reduction_db()
    }

    /// The limiter's largest gain reduction (dB, positive) since the previous call.
    pub fn take_max_gain_reduction_db(&mut self) -> f64 {
        self.limiter.take_max_gain_reduction_db()
    }

    /// Runs the imager's correlation meter or skips it ([`Imager::set_metering`]).
    pub fn set_correlation_metering(&mut self, on: bool) {
        self.imager.set_metering(on);
    }

    /// Output correlation over the last 300 ms, -1..1 (stereo).
    pub fn correlation(&self) -> f32 {
        self.imager.correlation()
    }
}

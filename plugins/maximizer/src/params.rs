//! Maximizer parameters. The string IDs are a public contract; `tests/params.rs` freezes them.

use atomic_float::AtomicF32;
use lathe_shared::format;
use lathe_shared::params::{db, hz, ms, percent, q, switch};
use lathe_shared::state::{header, StateHeader};
use nice_plug::prelude::*;
use std::sync::{Arc, RwLock};

pub const STATE_VERSION: u32 = 1;

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    #[id = "transparent"]
    Transparent,
    #[id = "punchy"]
    Punchy,
    #[id = "aggressive"]
    Aggressive,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DitherBits {
    #[id = "off"]
    Off,
    #[id = "24"]
    #[name = "24 bit"]
    B24,
    #[id = "20"]
    #[name = "20 bit"]
    B20,
    #[id = "16"]
    #[name = "16 bit"]
    B16,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseShaping {
    #[id = "none"]
    None,
    #[id = "light"]
    Light,
    #[id = "strong"]
    Strong,
}

#[derive(Params)]
pub struct MaximizerParams {
    #[persist = "lathe"]
    pub header: RwLock<StateHeader>,
    /// The editor's user scale, saved with the session (see `lathe_shared::editor::scale`).
    #[persist = "editor-scale"]
    pub editor_scale: Arc<AtomicF32>,

    #[id = "bypass"]
    pub bypass: BoolParam,
    #[id = "gain"]
    pub gain: FloatParam,
    #[id = "ceiling"]
    pub ceiling: FloatParam,
    #[id = "release"]
    pub release: FloatParam,
    #[id = "auto_release"]
    pub auto_release: BoolParam,
    #[id = "lookahead"]
    pub lookahead: FloatParam,
    #[id = "true_peak"]
    pub true_peak: BoolParam,
    #[id = "style"]
    pub style: EnumParam<Style>,
    #[id = "link"]
    pub link: FloatParam,

    #[id = "eq_low_freq"]
    pub eq_low_freq: FloatParam,
    #[id = "eq_low_gain"]
    pub eq_low_gain: FloatParam,
    #[id = "eq_mid_freq"]
    pub eq_mid_freq: FloatParam,
    #[id = "eq_mid_gain"]
    pub eq_mid_gain: FloatParam,
    #[id = "eq_mid_q"]
    pub eq_mid_q: FloatParam,
    #[id = "eq_high_freq"]
    pub eq_high_freq: FloatParam,
    #[id = "eq_high_gain"]
    pub eq_high_gain: FloatParam,

    #[id = "width"]
    pub width: FloatParam,
    #[id = "mono_bass_on"]
    pub mono_bass_on: BoolParam,
    #[id = "mono_bass_freq"]
    pub mono_bass_freq: FloatParam,

    #[id = "target_lufs"]
    pub target_lufs: FloatParam,
    #[id = "dither_bits"]
    pub dither_bits: EnumParam<DitherBits>,
    #[id = "noise_shaping"]
    pub noise_shaping: EnumParam<NoiseShaping>,
    #[id = "unity_monitor"]
    pub unity_monitor: BoolParam,
}

impl Default for MaximizerParams {
    fn default() -> Self {
        Self {
            header: header(crate::CLAP_ID, STATE_VERSION),
            editor_scale: lathe_shared::editor::scale::persisted(),
            bypass: switch("Bypass", false).make_bypass(),
            gain: db("Gain", 0.0, 0.0, 24.0),
            ceiling: db("Ceiling", -1.0, -12.0, 0.0),
            release: ms("Release", 100.0, 1.0, 1000.0),
            auto_release: switch("Auto Release", true),
            // The lookahead sets the latency, which hosts only accept on reactivation: not
            // automatable.
            lookahead: ms("Lookahead", 2.0, 0.5, 10.0).non_automatable(),
            true_peak: switch("True Peak", true),
            style: EnumParam::new("Style", Style::Transparent),
            link: percent("Stereo Link", 100.0, 100.0),

            eq_low_freq: hz("Low Freq", 100.0, 20.0, 1000.0),
            eq_low_gain: db("Low Gain", 0.0, -12.0, 12.0),
            eq_mid_freq: hz("Mid Freq", 1000.0, 100.0, 10_000.0),
            eq_mid_gain: db("Mid Gain", 0.0, -12.0, 12.0),
            eq_mid_q: q("Mid Q", 0.7, 0.1, 10.0),
            eq_high_freq: hz("High Freq", 8000.0, 1000.0, 20_000.0),
            eq_high_gain: db("High Gain", 0.0, -12.0, 12.0),

            width: percent("Width", 100.0, 200.0),
            mono_bass_on: switch("Mono Bass", false),
            mono_bass_freq: hz("Mono Bass Freq", 120.0, 20.0, 500.0),

            target_lufs: FloatParam::new(
                "Target",
                -14.0,
                FloatRange::Linear {
                    min: -24.0,
                    max: -6.0,
                },
            )
            .with_step_size(0.1)
            .with_value_to_string(format::v2s_lufs())
            .with_string_to_value(format::s2v_lufs()),
            dither_bits: EnumParam::new("Dither", DitherBits::Off),
            noise_shaping: EnumParam::new("Noise Shaping", NoiseShaping::None),
            unity_monitor: switch("Unity Gain Monitor", false),
        }
    }
}

//! Reverb parameters. The string IDs are a public contract; `tests/params.rs` freezes them.

use atomic_float::AtomicF32;
use lathe_shared::format;
use lathe_shared::params::{hz, percent, switch};
use lathe_shared::state::{header, StateHeader};
use nice_plug::prelude::*;
use std::sync::{Arc, RwLock};

pub const STATE_VERSION: u32 = 1;

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    #[id = "room"]
    Room,
    #[id = "hall"]
    Hall,
    #[id = "plate"]
    Plate,
}

#[derive(Params)]
pub struct ReverbParams {
    #[persist = "lathe"]
    pub header: RwLock<StateHeader>,
    /// The editor's user scale, saved with the session (see `lathe_shared::editor::scale`).
    #[persist = "editor-scale"]
    pub editor_scale: Arc<AtomicF32>,

    #[id = "bypass"]
    pub bypass: BoolParam,
    #[id = "mode"]
    pub mode: EnumParam<Mode>,
    #[id = "mix"]
    pub mix: FloatParam,
    #[id = "predelay"]
    pub predelay: FloatParam,
    #[id = "decay"]
    pub decay: FloatParam,
    #[id = "size"]
    pub size: FloatParam,
    #[id = "diffusion"]
    pub diffusion: FloatParam,
    #[id = "hf_damp"]
    pub hf_damp: FloatParam,
    #[id = "bass_mult"]
    pub bass_mult: FloatParam,
    #[id = "low_cut"]
    pub low_cut: FloatParam,
    #[id = "high_cut"]
    pub high_cut: FloatParam,
    #[id = "mod_depth"]
    pub mod_depth: FloatParam,
    #[id = "width"]
    pub width: FloatParam,
    #[id = "freeze"]
    pub freeze: BoolParam,
}

impl Default for ReverbParams {
    fn default() -> Self {
        Self {
            header: header(crate::CLAP_ID, STATE_VERSION),
            editor_scale: lathe_shared::editor::scale::persisted(),
            bypass: switch("Bypass", false).make_bypass(),
            mode: EnumParam::new("Mode", Mode::Hall),
            mix: percent("Mix", 25.0, 100.0),
            predelay: FloatParam::new(
                "Pre-Delay",
                10.0,
                FloatRange::Linear {
                    min: 0.0,
                    max: 250.0,
                },
            )
            .with_step_size(0.1)
            .with_value_to_string(format::v2s_ms())
            .with_string_to_value(format::s2v_ms()),
            decay: FloatParam::new(
                "Decay",
                2.0,
                FloatRange::Skewed {
                    min: 0.1,
                    max: 20.0,
                    factor: FloatRange::skew_factor(-2.0),
                },
            )
            .with_value_to_string(format::v2s_seconds())
            .with_string_to_value(format::s2v_seconds()),
            size: percent("Size", 50.0, 100.0),
            diffusion: percent("Diffusion", 70.0, 100.0),
            hf_damp: hz("HF Damping", 8000.0, 1000.0, 20_000.0),
            bass_mult: FloatParam::new(
                "Bass Multiplier",
                1.0,
                FloatRange::Linear { min: 0.5, max: 2.0 },
            )
            .with_step_size(0.01)
            .with_value_to_string(format::v2s_multiplier())
            .with_string_to_value(format::s2v_plain()),
            low_cut: hz("Low Cut", 80.0, 20.0, 1000.0),
            high_cut: hz("High Cut", 16_000.0, 1000.0, 20_000.0),
            mod_depth: percent("Modulation", 30.0, 100.0),
            width: percent("Width", 100.0, 200.0),
            freeze: switch("Freeze", false),
        }
    }
}

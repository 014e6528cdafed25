//! Bus Glue parameters: the stepped controls of the classic console bus compressor. The string IDs
//! are a public contract; `tests/params.rs` freezes them.

use atomic_float::AtomicF32;
use lathe_shared::editor::scale;
use lathe_shared::params::{db, hz, percent, switch};
use lathe_shared::state::{header, StateHeader};
use nice_plug::prelude::*;
use std::sync::{Arc, RwLock};

pub const STATE_VERSION: u32 = 1;

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ratio {
    #[id = "1.5"]
    #[name = "1.5:1"]
    R1_5,
    #[id = "2"]
    #[name = "2:1"]
    R2,
    #[id = "4"]
    #[name = "4:1"]
    R4,
    #[id = "10"]
    #[name = "10:1"]
    R10,
}

impl Ratio {
    pub fn value(self) -> f64 {
        match self {
            Ratio::R1_5 => 1.5,
            Ratio::R2 => 2.0,
            Ratio::R4 => 4.0,
            Ratio::R10 => 10.0,
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attack {
    #[id = "0.1"]
    #[name = "0.1 ms"]
    Ms0_1,
    #[id = "0.3"]
    #[name = "0.3 ms"]
    Ms0_3,
    #[id = "1"]
    #[name = "1 ms"]
    Ms1,
    #[id = "3"]
    #[name = "3 ms"]
    Ms3,
    #[id = "10"]
    #[name = "10 ms"]
    Ms10,
    #[id = "30"]
    #[name = "30 ms"]
    Ms30,
}

impl Attack {
    pub fn ms(self) -> f64 {
        match self {
            Attack::Ms0_1 => 0.1,
            Attack::Ms0_3 => 0.3,
            Attack::Ms1 => 1.0,
            Attack::Ms3 => 3.0,
            Attack::Ms10 => 10.0,
            Attack::Ms30 => 30.0,
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    #[id = "0.1"]
    #[name = "0.1 s"]
    S0_1,
    #[id = "0.3"]
    #[name = "0.3 s"]
    S0_3,
    #[id = "0.6"]
    #[name = "0.6 s"]
    S0_6,
    #[id = "1.2"]
    #[name = "1.2 s"]
    S1_2,
    #[id = "auto"]
    #[name = "Auto"]
    Auto,
}

impl Release {
    /// `None` for the program-dependent auto release.
    pub fn ms(self) -> Option<f64> {
        match self {
            Release::S0_1 => Some(100.0),
            Release::S0_3 => Some(300.0),
            Release::S0_6 => Some(600.0),
            Release::S1_2 => Some(1200.0),
            Release::Auto => None,
        }
    }
}

#[derive(Params)]
pub struct BusGlueParams {
    #[persist = "lathe"]
    pub header: RwLock<StateHeader>,

    #[id = "bypass"]
    pub bypass: BoolParam,
    #[id = "threshold"]
    pub threshold: FloatParam,
    #[id = "ratio"]
    pub ratio: EnumParam<Ratio>,
    #[id = "attack"]
    pub attack: EnumParam<Attack>,
    #[id = "release"]
    pub release: EnumParam<Release>,
    #[id = "makeup"]
    pub makeup: FloatParam,
    #[id = "range"]
    pub range: FloatParam,
    #[id = "mix"]
    pub mix: FloatParam,
    #[id = "sc_hpf"]
    pub sc_hpf: FloatParam,
    #[id = "sc_external"]
    pub sc_external: BoolParam,
    #[id = "out_gain"]
    pub out_gain: FloatParam,
    /// Monitors the detector's input (the key after the side-chain high-pass) instead of the
    /// compressed signal, to hear what drives the compressor while setting the HPF. Last in the
    /// struct: hosts that index parameters by position keep every older index.
    #[id = "sc_listen"]
    pub sc_listen: BoolParam,

    /// The editor's user scale (see `lathe_shared::editor::scale`).
    #[persist = "editor-scale"]
    pub editor_scale: Arc<AtomicF32>,
}

impl Default for BusGlueParams {
    fn default() -> Self {
        Self {
            header: header(crate::CLAP_ID, STATE_VERSION),
            bypass: switch("Bypass", false).make_bypass(),
            threshold: db("Threshold", -10.0, -40.0, 0.0),
            ratio: EnumParam::new("Ratio", Ratio::R2),
            attack: EnumParam::new("Attack", Attack::Ms10),
            release: EnumParam::new("Release", Release::Auto),
            makeup: db("Makeup", 0.0, 0.0, 24.0),
            range: db("Range", 40.0, 1.0, 40.0),
            mix: percent("Mix", 100.0, 100.0),
            sc_hpf: hz("Sidechain HPF", 20.0, 20.0, 500.0),
            sc_external: switch("External Sidechain", false),
            out_gain: db("Output", 0.0, -24.0, 24.0),
            sc_listen: switch("Sidechain Listen", false),
            editor_scale: scale::persisted(),
        }
    }
}

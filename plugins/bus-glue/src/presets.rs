//! Factory presets: saved Bus Glue states (the JSON a host stores), in the editor's preset menu.

use lathe_shared::factory_presets;
use lathe_shared::presets::{Identity, Preset};

pub const FACTORY: &[Preset] = factory_presets![
    "Drum Bus" => "drum-bus.json",
    "Mix Bus Glue" => "mix-bus-glue.json",
    "Parallel Smash" => "parallel-smash.json",
    "Vocal Bus" => "vocal-bus.json",
    "Gentle Master" => "gentle-master.json",
    "Sidechain Duck" => "sidechain-duck.json",
];

pub fn identity() -> Identity {
    Identity {
        clap_id: crate::CLAP_ID,
        state_version: crate::params::STATE_VERSION,
        migrate: crate::migrate,
    }
}

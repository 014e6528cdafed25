//! Factory presets: saved Channel Strip states (the JSON a host stores), in the editor's preset menu.

use lathe_shared::factory_presets;
use lathe_shared::presets::{Identity, Preset};

pub const FACTORY: &[Preset] = factory_presets![
    "Init" => "init.json",
    "Vocal" => "vocal.json",
    "Kick" => "kick.json",
    "Snare" => "snare.json",
    "Acoustic Guitar" => "acoustic-guitar.json",
    "Bass DI" => "bass-di.json",
];

pub fn identity() -> Identity {
    Identity {
        clap_id: crate::CLAP_ID,
        state_version: crate::params::STATE_VERSION,
        migrate: crate::migrate,
    }
}

//! Factory presets: saved Reverb states (the JSON a host stores), in the editor's preset menu.

use lathe_shared::factory_presets;
use lathe_shared::presets::{Identity, Preset};

pub const FACTORY: &[Preset] = factory_presets![
    "Plate" => "plate.json",
    "Small Room" => "small_room.json",
    "Vocal Hall" => "vocal_hall.json",
    "Drum Room" => "drum_room.json",
    "Cathedral" => "cathedral.json",
    "Ambience" => "ambience.json",
];

pub fn identity() -> Identity {
    Identity {
        clap_id: crate::CLAP_ID,
        state_version: crate::params::STATE_VERSION,
        migrate: crate::migrate,
    }
}

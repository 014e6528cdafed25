//! Factory presets: saved Maximizer states (the JSON a host stores), in the editor's preset menu.

use lathe_shared::factory_presets;
use lathe_shared::presets::{Identity, Preset};

pub const FACTORY: &[Preset] = factory_presets![
    "Streaming -14 LUFS" => "streaming.json",
    "CD Loud" => "cd_loud.json",
    "Gentle Master" => "gentle_master.json",
    "Podcast -16 LUFS" => "podcast.json",
    "Club -8 LUFS" => "club.json",
    "Broadcast -23 LUFS (EBU R128)" => "broadcast.json",
];

pub fn identity() -> Identity {
    Identity {
        clap_id: crate::CLAP_ID,
        state_version: crate::params::STATE_VERSION,
        migrate: crate::migrate,
    }
}

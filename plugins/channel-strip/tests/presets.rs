//! The factory presets: each one parses as this plugin's state, passes the state guard, names
//! only existing parameters with in-range values and leaves none out; names are unique.

use lathe_channel_strip::params::ChannelStripParams;
use lathe_channel_strip::{editor, PRESETS};
use lathe_shared::presets::decode;

#[test]
fn every_factory_preset_is_a_complete_valid_state() {
    assert!(PRESETS.len() >= 5);
    for preset in PRESETS {
        decode(preset, editor::identity(), &ChannelStripParams::default())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let mut names: Vec<_> = PRESETS.iter().map(|p| p.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), PRESETS.len(), "duplicate preset names");
}

#[test]
fn a_broken_preset_is_refused() {
    let good = PRESETS[0];
    let foreign = good.json.replace("audio.lathe.", "audio.other.");
    let unknown = good.json.replacen(
        "\"params\": {",
        "\"params\": {\n    \"no_such\": { \"f32\": 1.0 },",
        1,
    );
    for json in [foreign.as_str(), unknown.as_str(), "{}"] {
        let p = lathe_shared::presets::Preset {
            name: "broken",
            json: Box::leak(json.to_string().into_boxed_str()),
        };
        assert!(
            decode(&p, editor::identity(), &ChannelStripParams::default()).is_err(),
            "{json}"
        );
    }
}

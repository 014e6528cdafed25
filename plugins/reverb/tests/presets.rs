//! The factory presets: each one parses as this plugin's state, passes the state guard, names
//! only existing parameters with in-range values and leaves none out; names are unique.

use lathe_reverb::params::ReverbParams;
use lathe_reverb::presets::{identity, FACTORY};
use lathe_shared::presets::{decode, Preset};

#[test]
fn every_factory_preset_is_a_complete_valid_state() {
    assert!(FACTORY.len() >= 5);
    for preset in FACTORY {
        decode(preset, identity(), &ReverbParams::default()).unwrap_or_else(|e| panic!("{e}"));
    }
    let mut names: Vec<_> = FACTORY.iter().map(|p| p.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), FACTORY.len(), "duplicate preset names");
}

#[test]
fn a_broken_preset_is_refused() {
    let good = FACTORY[0];
    let foreign = good.json.replace("audio.lathe.", "audio.other.");
    let unknown = good.json.replacen(
        "\"params\": {",
        "\"params\": {\n    \"no_such\": { \"f32\": 1.0 },",
        1,
    );
    // The first parameter left out.
    let start = good.json.find("\"params\": {\n").unwrap() + "\"params\": {\n".len();
    let end = start + good.json[start..].find("\n    },\n").unwrap() + "\n    },\n".len();
    let missing = format!("{}{}", &good.json[..start], &good.json[end..]);
    for json in [foreign, unknown, missing, "{}".to_owned()] {
        let p = Preset {
            name: "broken",
            json: Box::leak(json.clone().into_boxed_str()),
        };
        assert!(
            decode(&p, identity(), &ReverbParams::default()).is_err(),
            "{json}"
        );
    }
}

//! Factory presets through the host's state path: each preset's JSON, loaded with CLAP
//! `state.load` into the built bundle, is accepted, leaves every parameter at exactly the value
//! the preset names (compared as knob positions; decoded with the same code the editor's preset menu uses), and the plugin
//! then renders finite, audible output. (One test binary per plugin: two plugin crates in one
//! binary would export `clap_entry` twice.)

use lathe_host_tests::analysis::*;
use lathe_host_tests::render::Blocks;
use lathe_host_tests::{hash_param_id, music, Audio, LathePlugin, Plugin};
use lathe_shared::presets::{decode, Identity, Preset};
use nice_plug::prelude::*;

pub fn check(
    plugin: LathePlugin,
    presets: &[Preset],
    identity: Identity,
    scratch: impl Fn() -> Box<dyn Params>,
) {
    assert!(
        presets.len() >= 5,
        "{}: at least five factory presets",
        plugin.name
    );
    for preset in presets {
        let expected = scratch();
        decode(preset, identity, &*expected).unwrap_or_else(|e| panic!("{e}"));
        let mut p = Plugin::lathe(plugin);
        let mut blob = (preset.json.len() as u64).to_le_bytes().to_vec();
        blob.extend_from_slice(preset.json.as_bytes());
        assert!(
            p.load_state(&blob),
            "{}: {} rejected",
            plugin.name,
            preset.name
        );
        for (id, ptr, _) in expected.param_map() {
            // SAFETY: `expected` outlives the loop.
            let (want, bypass) = unsafe {
                (
                    ptr.unmodulated_normalized_value() as f64,
                    ptr.flags().contains(ParamFlags::BYPASS),
                )
            };
            if bypass {
                continue;
            }
            let info = p.param(&id);
            let got = info.position(p.get_value(hash_param_id(&id)).expect("parameter exists"));
            assert!(
                (got - want).abs() <= 1e-4 * want.abs().max(1.0),
                "{} / {}: {id} is {got}, the preset says {want}",
                plugin.name,
                preset.name
            );
        }
        p.activate(48_000.0, 512);
        let inputs: Vec<Audio> = p
            .audio_ports()
            .inputs
            .iter()
            .enumerate()
            .map(|(i, port)| {
                let m = music(48_000.0, 1.0, 7 + i as u64);
                (0..port.channels as usize)
                    .map(|c| m[c % 2].clone())
                    .collect()
            })
            .collect();
        let out = p.render(&inputs, &[], Blocks::Fixed(512));
        p.deactivate();
        assert_eq!(
            first_non_finite(&out),
            None,
            "{} / {}",
            plugin.name,
            preset.name
        );
        let level = db(rms(&out));
        assert!(
            level > -40.0 && peak(&out) < 4.0,
            "{} / {}: output at {level:.1} dBFS RMS, peak {}",
            plugin.name,
            preset.name,
            peak(&out)
        );
    }
}

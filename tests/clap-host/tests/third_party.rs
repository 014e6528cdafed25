//! Harness self-checks against a real third-party CLAP (Debian's zam-plugins), so the harness is
//! proven on a plugin it did not grow up with. Ignored by default (CI does not install
//! zam-plugins): `apt-get install zam-plugins` then `cargo test -p lathe-host-tests --test
//! third_party -- --ignored --nocapture`.

use lathe_host_tests::analysis::*;
use lathe_host_tests::bundles::load_entry;
use lathe_host_tests::plugin::descriptors;
use lathe_host_tests::*;
use std::path::Path;

fn zam(name: &str) -> (clack_host::prelude::PluginEntry, String) {
    let path = Path::new("/usr/lib/clap").join(format!("{name}.clap"));
    assert!(path.exists(), "{} is missing: apt-get install zam-plugins", path.display());
    let entry = load_entry(&path);
    let id = descriptors(&entry)[0].id.clone();
    (entry, id)
}

fn mono(sr: f64, seconds: f64) -> Audio {
    vec![music(sr, seconds, 1).swap_remove(0)]
}

#[test]
#[ignore]
fn zamcomp_loads_enumerates_and_renders() {
    let (entry, id) = zam("ZamComp");
    let mut p = Plugin::new(&entry, &id);
    assert!(!p.params().is_empty());
    for info in p.params() {
        let v = p.get_value(info.id).unwrap();
        assert!(p.value_to_text(info.id, v).is_some());
    }
    let thr = p.params().into_iter().find(|i| i.name == "Threshold").unwrap();
    p.activate(48000.0, 512);
    let x = mono(48000.0, 0.5);
    let y = p.render(std::slice::from_ref(&x), &[], Blocks::Fixed(512));
    assert!(first_non_finite(&y).is_none());
    // Threshold -40 dB compresses music peaking at -3 dBFS.
    let mut q = Plugin::new(&entry, &id);
    q.set_param(thr.id, -40.0);
    q.activate(48000.0, 512);
    let z = q.render(std::slice::from_ref(&x), &[], Blocks::Fixed(512));
    println!("in {:.1} dB, threshold 0: {:.1} dB, threshold -40: {:.1} dB", db(rms(&x)), db(rms(&y)), db(rms(&z)));
    assert!(db(rms(&z)) < db(rms(&y)) - 3.0);
    assert!(p.violations().is_empty() && q.violations().is_empty());
}

/// A plugin that is not sample-accurate is caught: ZamComp (DPF 1.x) applies a parameter event
/// at the start of its block (1024), not at the event (1224). The Lathe check
/// (`suite::sample_accurate_change`) requires the first change at or after the event.
#[test]
#[ignore]
fn zamcomp_mid_block_event_position() {
    let (entry, id) = zam("ZamComp");
    let x = mono(48000.0, 0.3);
    let render = |event: bool| {
        let mut p = Plugin::new(&entry, &id);
        let makeup = p.params().into_iter().find(|i| i.name == "Makeup").unwrap();
        p.activate(48000.0, 512);
        let ev = if event { vec![ParamEvent { sample: 1224, id: makeup.id, value: 12.0 }] } else { vec![] };
        p.render(std::slice::from_ref(&x), &ev, Blocks::Fixed(512))
    };
    let (a, b) = (render(false), render(true));
    println!("ZamComp: makeup event at 1224 (block start 1024): first change at {:?}", first_difference(&a, &b));
    let first = first_difference(&a, &b).expect("the event had no effect").0;
    assert!(first < 1224, "ZamComp became sample-accurate? first change at {first}");
}

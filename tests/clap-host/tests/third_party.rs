//! Harness self-checks against a real third-party CLAP (Debian's zam-plugins), so the harness is
//! proven on a plugin it did not grow up with. Ignored by default (CI does not install
//! zam-plugins): `apt-get install zam-plugins` then `cargo test -p lathe-host-tests --test
//! third_party -- --ignored`.

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

#[test]
#[ignore]
fn zamcomp_loads_enumerates_renders_and_restores_state() {
    let (entry, id) = zam("ZamComp");
    println!("{:#?}", descriptors(&entry));
    let mut p = Plugin::new(&entry, &id);
    println!("{:#?}", p.audio_ports());
    for info in p.params() {
        let v = p.get_value(info.id).unwrap();
        println!("{info:?} value {v} text {:?}", p.value_to_text(info.id, v));
    }
    p.activate(48000.0, 512);
    println!("latency {}", p.latency());
    let x = music(48000.0, 0.5, 1);
    let y = p.render_simple(&x, 512);
    assert!(first_non_finite(&y).is_none());
    println!("in rms {} out rms {}", db(rms(&x)), db(rms(&y)));
    let state = p.save_state();
    println!("state {} bytes", state.len());
    println!("violations {:?}", p.violations());
}

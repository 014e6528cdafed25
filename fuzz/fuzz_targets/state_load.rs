//! Untrusted project data: any bytes handed to `state.load` of any of the four plugins. Never a
//! panic, and the parameters always end up finite and in range.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static TARGETS: OnceLock<Vec<lathe_fuzz::Target>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let targets = TARGETS.get_or_init(lathe_fuzz::targets);
    if let Some(state) = lathe_fuzz::parse_clap_state(data) {
        for t in targets {
            lathe_fuzz::load(t, state.clone());
        }
    }
});

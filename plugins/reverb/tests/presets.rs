//! The factory presets: each one parses as this plugin's state, passes the state guard, names
//! only existing parameters with in-range values and leaves none out; names are unique; broken
//! variants are refused (`lathe_shared::presets::audit`).

use lathe_reverb::params::ReverbParams;
use lathe_reverb::presets::{identity, FACTORY};

#[test]
fn factory_presets_are_complete_valid_states_and_broken_ones_are_refused() {
    lathe_shared::presets::audit(FACTORY, identity(), &ReverbParams::default())
        .unwrap_or_else(|e| panic!("{e}"));
}

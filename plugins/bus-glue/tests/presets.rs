//! The factory presets: each one parses as this plugin's state, passes the state guard, names
//! only existing parameters with in-range values and leaves none out; names are unique; broken
//! variants are refused (`lathe_shared::presets::audit`).

use lathe_bus_glue::params::BusGlueParams;
use lathe_bus_glue::presets::{identity, FACTORY};

#[test]
fn factory_presets_are_complete_valid_states_and_broken_ones_are_refused() {
    lathe_shared::presets::audit(FACTORY, identity(), &BusGlueParams::default())
        .unwrap_or_else(|e| panic!("{e}"));
}

//! Bus Glue's factory presets through CLAP `state.load`; see `preset_check`.

mod preset_check;

use lathe_host_tests::BUS_GLUE;

#[test]
fn bus_glue_presets_load_exactly_and_render() {
    preset_check::check(
        BUS_GLUE,
        lathe_bus_glue::presets::FACTORY,
        lathe_bus_glue::presets::identity(),
        || Box::new(lathe_bus_glue::params::BusGlueParams::default()),
    );
}

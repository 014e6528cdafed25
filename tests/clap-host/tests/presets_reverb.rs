//! Reverb's factory presets through CLAP `state.load`; see `preset_check`.

mod preset_check;

use lathe_host_tests::REVERB;

#[test]
fn reverb_presets_load_exactly_and_render() {
    preset_check::check(
        REVERB,
        lathe_reverb::presets::FACTORY,
        lathe_reverb::presets::identity(),
        || Box::new(lathe_reverb::params::ReverbParams::default()),
    );
}

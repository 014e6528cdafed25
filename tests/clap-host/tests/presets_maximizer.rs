//! Maximizer's factory presets through CLAP `state.load`; see `preset_check`.

mod preset_check;

use lathe_host_tests::MAXIMIZER;

#[test]
fn maximizer_presets_load_exactly_and_render() {
    preset_check::check(
        MAXIMIZER,
        lathe_maximizer::presets::FACTORY,
        lathe_maximizer::presets::identity(),
        || Box::new(lathe_maximizer::params::MaximizerParams::default()),
    );
}

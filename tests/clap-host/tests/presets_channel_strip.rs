//! The Channel Strip's factory presets through CLAP `state.load`; see `preset_check`.

mod preset_check;

use lathe_host_tests::CHANNEL_STRIP;

#[test]
fn channel_strip_presets_load_exactly_and_render() {
    preset_check::check(
        CHANNEL_STRIP,
        lathe_channel_strip::presets::FACTORY,
        lathe_channel_strip::presets::identity(),
        || Box::new(lathe_channel_strip::params::ChannelStripParams::default()),
    );
}

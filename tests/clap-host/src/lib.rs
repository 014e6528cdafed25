//! Lathe's CLAP host harness: loads each built `.clap` bundle with `clack-host` the way a DAW
//! does (main thread for instantiation, parameters, state, latency and activation; a separate
//! audio thread for processing; the `thread-check`, `params`, `latency`, `state` and `log` host
//! extensions) and provides the measurements the tests in `tests/` make.

pub mod analysis;
pub mod bundles;
pub mod host;
pub mod plugin;
pub mod reliability;
pub mod render;
pub mod scale;
pub mod suite;

pub use bundles::{hash_param_id, LathePlugin, ALL, BUS_GLUE, CHANNEL_STRIP, MAXIMIZER, REVERB};
pub use plugin::{ParamChange, ParamInfo, Plugin};
pub use render::{Audio, Blocks, ParamEvent, Step};

/// `dsp_core::signal::music_like` as a stereo port.
pub fn music(sample_rate: f64, seconds: f64, seed: u64) -> Audio {
    let [l, r] = dsp_core::signal::music_like(sample_rate, seconds, seed);
    vec![l, r]
}

//! Loading a preset from the editor is what a host must see as a user turning every control:
//! one begin/set/end gesture per changed parameter with the preset's value, nothing for
//! parameters already at their value, and the bypass switch never touched.

use lathe_channel_strip::params::ChannelStripParams;
use lathe_channel_strip::presets::{identity, FACTORY};
use lathe_shared::presets::{apply, decode};
use nice_plug::context::gui::GuiContextInner;
use nice_plug::context::PluginApi;
use nice_plug::params::internals::ParamPtr;
use nice_plug::prelude::*;
use std::sync::Mutex;

#[derive(Default)]
struct Recorder(Mutex<Vec<(&'static str, ParamPtr, f32)>>);

// SAFETY (for the raw pointers in the log): the test keeps the parameters alive.
unsafe impl Send for Recorder {}
unsafe impl Sync for Recorder {}

impl GuiContextInner for Recorder {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }
    unsafe fn raw_begin_set_parameter(&self, param: ParamPtr) {
        self.0.lock().unwrap().push(("begin", param, f32::NAN));
    }
    unsafe fn raw_set_parameter_normalized(&self, param: ParamPtr, normalized: f32) {
        self.0.lock().unwrap().push(("set", param, normalized));
    }
    unsafe fn raw_end_set_parameter(&self, param: ParamPtr) {
        self.0.lock().unwrap().push(("end", param, f32::NAN));
    }
    fn get_state(&self) -> PluginState {
        panic!("preset loading goes parameter by parameter, never through the whole state")
    }
    fn set_state(&self, _state: PluginState) {
        panic!("preset loading goes parameter by parameter, never through the whole state")
    }
    fn request_restart(&self) {}
}

#[test]
fn a_preset_loads_as_one_gesture_per_changed_parameter() {
    let vocal = FACTORY.iter().find(|p| p.name == "Vocal").unwrap();
    let scratch = ChannelStripParams::default();
    decode(vocal, identity(), &scratch).unwrap();
    let live = ChannelStripParams::default();
    let recorder = Recorder::default();
    apply(&live, &scratch, &ParamSetter::new(&recorder));
    let log = recorder.0.into_inner().unwrap();

    let changed: Vec<(String, ParamPtr, f32)> = live
        .param_map()
        .into_iter()
        .zip(scratch.param_map())
        .filter_map(|((id, ptr, _), (_, src, _))| unsafe {
            let want = src.unmodulated_normalized_value();
            ((ptr.unmodulated_normalized_value() - want).abs() > 1e-6).then_some((id, ptr, want))
        })
        .collect();
    assert!(
        changed.len() >= 10,
        "Vocal changes {} parameters",
        changed.len()
    );
    assert_eq!(log.len(), 3 * changed.len());
    for ((id, ptr, want), calls) in changed.iter().zip(log.chunks(3)) {
        assert_eq!(
            calls.iter().map(|c| c.0).collect::<Vec<_>>(),
            ["begin", "set", "end"],
            "{id}"
        );
        assert!(
            calls.iter().all(|c| c.1 == *ptr),
            "{id}: gesture on another parameter"
        );
        assert_eq!(calls[1].2, *want, "{id}");
    }
    assert!(changed.iter().all(|(id, _, _)| id != "bypass"));
}

//! What the fuzz targets share: the four plugins' parameter sets, and nice-plug's state loading
//! path reproduced with its public API (nice-plug keeps `deserialize_json`/`deserialize_object`
//! crate-private): the CLAP stream's length prefix, the JSON, the plugin's `filter_state` (our
//! identity guard and migration), then every saved value applied to the live parameter and the
//! persisted fields restored, exactly as `nice_plug::wrapper::state::deserialize_object` does.

use nice_plug::params::internals::ParamPtr;
use nice_plug::params::InternalParamMut;
use nice_plug::plugin::ParamValue;
use nice_plug::prelude::*;
use std::sync::Arc;

/// A plugin's parameters and its state filter.
pub struct Target {
    pub name: &'static str,
    pub params: Arc<dyn Params>,
    pub filter_state: fn(&mut PluginState),
}

pub fn targets() -> Vec<Target> {
    fn t<P: Plugin + Default>(name: &'static str) -> Target {
        Target {
            name,
            params: P::default().params(),
            filter_state: P::filter_state,
        }
    }
    vec![
        t::<lathe_channel_strip::ChannelStrip>("channel-strip"),
        t::<lathe_bus_glue::BusGlue>("bus-glue"),
        t::<lathe_maximizer::Maximizer>("maximizer"),
        t::<lathe_reverb::Reverb>("reverb"),
    ]
}

/// nice-plug's CLAP `state.load`: 8-byte little-endian length, then that many bytes of JSON.
pub fn parse_clap_state(bytes: &[u8]) -> Option<PluginState> {
    let len = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as usize;
    let json = bytes.get(8..8usize.checked_add(len)?)?;
    serde_json::from_slice(json).ok()
}

/// Loads `state` into `target` as nice-plug does; afterwards every parameter must hold a finite
/// value inside its range.
pub fn load(target: &Target, mut state: PluginState) {
    (target.filter_state)(&mut state);
    let map = target.params.param_map();
    for (id, value) in &state.params {
        let Some((_, ptr, _)) = map.iter().find(|(i, _, _)| i == id) else {
            continue;
        };
        // SAFETY: the pointers come from `param_map` of `params`, which is alive.
        unsafe {
            match (*ptr, value) {
                (ParamPtr::FloatParam(p), ParamValue::F32(v)) => {
                    (*p)._internal_set_plain_value(*v);
                }
                (ParamPtr::IntParam(p), ParamValue::I32(v)) => {
                    (*p)._internal_set_plain_value(*v);
                }
                (ParamPtr::BoolParam(p), ParamValue::Bool(v)) => {
                    (*p)._internal_set_plain_value(*v);
                }
                (ParamPtr::EnumParam(p), ParamValue::I32(v)) => {
                    (*p)._internal_set_plain_value(*v);
                }
                (ParamPtr::EnumParam(p), ParamValue::String(s)) => {
                    (*p).set_from_id(s);
                }
                _ => {}
            }
        }
    }
    target.params.deserialize_fields(&state.fields);
    check_values(target);
}

/// Every parameter's normalised value is finite and in 0..=1, and displays without panicking.
pub fn check_values(target: &Target) {
    for (id, ptr, _) in target.params.param_map() {
        // SAFETY: as above.
        unsafe {
            let v = ptr.unmodulated_normalized_value();
            assert!(
                (0.0..=1.0).contains(&v),
                "{}: {id} has the normalised value {v}",
                target.name
            );
            let _ = ptr.normalized_value_to_string(v, true);
        }
    }
}

//! Factory presets. A preset is exactly the JSON state a Lathe plugin saves (nice-plug's
//! `PluginState`, with the `lathe` identity header), embedded in the binary with `include_str!`, so
//! a preset and a saved session are one format with one validation path ([`crate::state::guard`]).
//!
//! The editor applies a preset as a host would see a user turn every control: it decodes the
//! preset into a scratch copy of the plugin's parameters (the same decoding nice-plug does when it
//! loads a state) and then sets each live parameter to the scratch value inside a begin/set/end
//! gesture, so hosts record the change as automation and undo it as one step.

use crate::state;
use nice_plug::params::internals::ParamPtr;
use nice_plug::params::InternalParamMut;
use nice_plug::plugin::ParamValue;
use nice_plug::prelude::*;

/// One factory preset: its menu name and the state JSON it carries.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    pub name: &'static str,
    pub json: &'static str,
}

/// Embeds `presets/<file>` of the calling crate as a [`Preset`] list:
/// `factory_presets!["Vocal" => "vocal.json", ...]`.
#[macro_export]
macro_rules! factory_presets {
    ($($name:literal => $file:literal),* $(,)?) => {
        &[$($crate::presets::Preset {
            name: $name,
            json: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/presets/", $file)),
        }),*]
    };
}

/// The plugin-specific facts a preset is checked against.
#[derive(Clone, Copy)]
pub struct Identity {
    pub clap_id: &'static str,
    pub state_version: u32,
    pub migrate: fn(&mut PluginState, u32),
}

/// Parses `preset`, runs the state guard, and writes every value into `scratch` (a private
/// `Params` instance, never the live one). Fails if the preset is not valid JSON, belongs to
/// another plugin or a future layout, names a parameter the plugin does not have, gives a value
/// of the wrong kind or outside the parameter's range, or leaves a parameter out (a preset is a
/// complete snapshot: loading one through the host's state path must give the same sound). The
/// bypass switch is the one exception: it belongs to the session, not to a sound, so presets
/// neither carry nor change it.
pub fn decode(preset: &Preset, who: Identity, scratch: &dyn Params) -> Result<(), String> {
    decode_json(preset.name, preset.json, who, scratch)
}

fn decode_json(name: &str, json: &str, who: Identity, scratch: &dyn Params) -> Result<(), String> {
    let mut s: PluginState =
        serde_json::from_str(json).map_err(|e| format!("{name}: not a plugin state: {e}"))?;
    match state::guard(&mut s, who.clap_id, who.state_version, who.migrate) {
        state::Verdict::Rejected(why) => return Err(format!("{name}: {why}")),
        state::Verdict::Accepted | state::Verdict::Migrated { .. } => {}
    }
    let map = scratch.param_map();
    for (id, ptr, _) in &map {
        if !is_bypass(*ptr) && !s.params.contains_key(id) {
            return Err(format!("{name}: no value for `{id}`"));
        }
    }
    for (id, value) in &s.params {
        let Some((_, ptr, _)) = map.iter().find(|(pid, _, _)| pid == id) else {
            return Err(format!("{name}: unknown parameter `{id}`"));
        };
        // SAFETY: `ptr` points into `scratch`, which outlives this call and is not shared.
        let ok = unsafe { set_scratch(*ptr, value) };
        if !ok {
            return Err(format!(
                "{name}: `{id}` = {value:?} is not a value of this parameter"
            ));
        }
    }
    Ok(())
}

/// Checks a plugin's factory list, for its `tests/presets.rs`: at least five presets (what users
/// expect of a professional plugin's menu), unique names, every preset a complete valid state
/// ([`decode`]), and the checks biting for this plugin: the first preset relabelled as another
/// plugin's, given an unknown parameter, missing a parameter, or emptied is refused.
pub fn audit(factory: &[Preset], who: Identity, scratch: &dyn Params) -> Result<(), String> {
    if factory.len() < 5 {
        return Err(format!("only {} factory presets", factory.len()));
    }
    let mut names: Vec<_> = factory.iter().map(|p| p.name).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("two presets are named {:?}", w[0]));
    }
    for preset in factory {
        decode(preset, who, scratch)?;
    }
    let good: serde_json::Value =
        serde_json::from_str(factory[0].json).map_err(|e| e.to_string())?;
    let mut unknown = good.clone();
    unknown["params"]["no_such"] = serde_json::json!({ "f32": 1.0 });
    let mut missing = good.clone();
    let first = missing["params"]
        .as_object()
        .and_then(|m| m.keys().next().cloned())
        .ok_or("the first preset has no parameters")?;
    if let Some(m) = missing["params"].as_object_mut() {
        m.remove(&first);
    }
    let broken = [
        (
            "another plugin's".to_owned(),
            factory[0].json.replace("audio.lathe.", "audio.other."),
        ),
        ("an unknown parameter's".to_owned(), unknown.to_string()),
        (format!("`{first}` left out of the"), missing.to_string()),
        ("an empty".to_owned(), "{}".to_owned()),
    ];
    for (what, json) in &broken {
        if decode_json(what, json, who, scratch).is_ok() {
            return Err(format!("{what} preset was accepted"));
        }
    }
    Ok(())
}

fn is_bypass(ptr: ParamPtr) -> bool {
    // SAFETY: called with pointers into `Params` objects that outlive the call.
    unsafe { ptr.flags().contains(ParamFlags::BYPASS) }
}

/// Writes one saved value into a scratch parameter; `false` if the value has the wrong kind, is
/// not finite, lies outside the range or names no enum variant.
unsafe fn set_scratch(ptr: ParamPtr, value: &ParamValue) -> bool {
    let in_range = |v: f32| {
        let (lo, hi) = unsafe { (ptr.preview_plain(0.0), ptr.preview_plain(1.0)) };
        v.is_finite() && v >= lo.min(hi) && v <= lo.max(hi)
    };
    unsafe {
        match (ptr, value) {
            (ParamPtr::FloatParam(p), ParamValue::F32(v)) if in_range(*v) => {
                (*p)._internal_set_plain_value(*v);
                true
            }
            (ParamPtr::IntParam(p), ParamValue::I32(v)) if in_range(*v as f32) => {
                (*p)._internal_set_plain_value(*v);
                true
            }
            (ParamPtr::BoolParam(p), ParamValue::Bool(v)) => {
                (*p)._internal_set_plain_value(*v);
                true
            }
            (ParamPtr::EnumParam(p), ParamValue::String(id)) => (*p).set_from_id(id),
            _ => false,
        }
    }
}

/// Whether every live parameter already holds the scratch value (the editor marks the preset
/// name as modified otherwise).
pub fn matches(live: &dyn Params, scratch: &dyn Params) -> bool {
    let scratch_map = scratch.param_map();
    live.param_map()
        .iter()
        .zip(scratch_map.iter())
        .filter(|((_, a, _), _)| !is_bypass(*a))
        // SAFETY: both pointer sets point into `Params` objects that outlive this call.
        .all(|((_, a, _), (_, b, _))| unsafe {
            (a.unmodulated_normalized_value() - b.unmodulated_normalized_value()).abs() < 1e-6
        })
}

/// Sets every live parameter to its scratch value, each inside its own begin/set/end gesture
/// (what a host records as automation). Parameters already at the value are left alone.
pub fn apply(live: &dyn Params, scratch: &dyn Params, setter: &ParamSetter) {
    let scratch_map = scratch.param_map();
    for ((_, ptr, _), (_, src, _)) in live.param_map().iter().zip(scratch_map.iter()) {
        if is_bypass(*ptr) {
            continue;
        }
        // SAFETY: both pointer sets point into `Params` objects that outlive this call; the two
        // maps list the same struct's fields in the same order.
        unsafe {
            let target = src.unmodulated_normalized_value();
            if (ptr.unmodulated_normalized_value() - target).abs() < 1e-6 {
                continue;
            }
            setter.raw_context.raw_begin_set_parameter(*ptr);
            setter
                .raw_context
                .raw_set_parameter_normalized(*ptr, target);
            setter.raw_context.raw_end_set_parameter(*ptr);
        }
    }
}

//! The editor's scale is part of the saved state: a session reopens the editor at its size.

use lathe_bus_glue::params::BusGlueParams;
use nice_plug::prelude::*;
use std::sync::atomic::Ordering;

#[test]
fn the_editor_scale_is_saved_and_restored_with_the_state() {
    let saved = BusGlueParams::default();
    saved.editor_scale.store(1.5, Ordering::Relaxed);
    let fields = saved.serialize_fields();
    assert_eq!(fields.get("editor-scale").map(String::as_str), Some("1.5"));

    let restored = BusGlueParams::default();
    assert_eq!(restored.editor_scale.load(Ordering::Relaxed), 1.0);
    restored.deserialize_fields(&fields);
    assert_eq!(restored.editor_scale.load(Ordering::Relaxed), 1.5);
}

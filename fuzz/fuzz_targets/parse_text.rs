//! Typed text: any string entered into any parameter of the four plugins. The parser either
//! refuses it or gives a finite normalised value in 0..=1 that displays without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static TARGETS: OnceLock<Vec<lathe_fuzz::Target>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for t in TARGETS.get_or_init(lathe_fuzz::targets) {
        for (id, ptr, _) in t.params.param_map() {
            // SAFETY: the pointer comes from `param_map` of live parameters.
            unsafe {
                if let Some(v) = ptr.string_to_normalized_value(text) {
                    assert!(
                        (0.0..=1.0).contains(&v),
                        "{}: {id} parsed {text:?} to the normalised value {v}",
                        t.name
                    );
                    let _ = ptr.normalized_value_to_string(v, true);
                }
            }
        }
    }
});

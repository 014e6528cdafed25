//! Glue the four Lathe plugins share. No DSP lives here (that is `dsp-core`); only what sits
//! between the framework and the DSP: value formatting, the bypass crossfade, the state identity
//! check and the lock-free meter handoff to the editors.

pub mod bypass;
pub mod channels;
#[cfg(feature = "editor")]
pub mod editor;
pub mod format;
pub mod meters;
pub mod params;
pub mod presets;
pub mod state;

pub mod poison;

//! The equalizer: analog-matched minimum-phase bands, the multi-band container the plugins use,
//! and a linear-phase mode.
pub mod design;

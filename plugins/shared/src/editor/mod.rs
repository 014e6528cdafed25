//! The suite's editor look and building blocks, shared by the four plugins' egui editors:
//! [`theme`], parameter [`controls`] (knob, toggle, choice), [`meter`]s with ballistics,
//! [`section`] frames, the [`header`] with the preset menu, the persisted [`scale`], the
//! [`repaint`] policy, the audio-to-editor sample [`stream`] and the [`shell`] every editor runs in.
//!
//! Behind the crate's `editor` feature: the plugins enable it, the offline renderer (`cli`) does
//! not, so it builds without egui and baseview.

pub mod controls;
pub mod header;
pub mod meter;
pub mod repaint;
pub mod scale;
pub mod section;
pub mod shell;
pub mod stream;
pub mod theme;

pub use controls::{choice, Knob, Toggle};
pub use header::{header, PresetMenu};
pub use section::section;

//! Lathe's DSP engine. Every plugin of the suite and the offline renderer are thin wrappers
//! around the processors in this crate.
//!
//! # The processor shape
//! Every processor follows one life cycle (as JUCE's `dsp` module does):
//! - `prepare(sample_rate, max_block)` sizes every buffer; it is the only place that allocates.
//! - `reset()` clears the signal state (delay lines, envelopes, filter memories) but keeps the
//!   settings.
//! - `process(&mut self, channels: &mut [&mut [f32]])` processes one block in place. One slice a
//!   channel; all slices have the same length. A block may be longer than `max_block`: processors
//!   with scratch buffers work through it in chunks. Never allocates, locks or makes a system call.
//! - cheap setters (`set_*`) that only store a target; changes are smoothed or
//!   coefficient-interpolated per sample, so they are click-free. Setters are idempotent: the
//!   plugins call every setter at the start of every block, so calling one with the value it
//!   already has must change nothing (not restart a ramp, not mark state dirty).
//! - `latency_samples()` is exact: an impulse comes out exactly that many samples late.
//!
//! # Determinism
//! The output depends only on the input samples and on the sample index at which each setter was
//! called, never on how the host cut the stream into blocks. To keep that true, all smoothing and
//! all coefficient updates run on a per-sample clock (or on a fixed grid counted in samples since
//! `reset`), never "once per block". `tests/` checks it for every processor.
//!
//! # Numbers
//! Audio is `f32` at the interfaces. Recursive filter state is `f64` where the precision matters
//! (low frequencies at high sample rates). Recursive state is flushed to zero below
//! [`util::DENORMAL_FLOOR`] so silence decays to exact zero and never costs denormal arithmetic.
// `unsafe` only in `simd` (runtime AVX2 and FMA dispatch, measured): see that module.
#![deny(unsafe_code)]

pub mod dither;
pub mod dynamics;
pub mod eq;
pub mod filter;
pub mod gain;
pub mod imager;
pub mod limiter;
pub mod mastering;
pub mod meter;
pub mod oversampling;
pub mod reverb;
pub mod saturation;
pub mod signal;
pub mod simd;
pub mod smoother;
pub mod util;

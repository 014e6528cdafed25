//! What a hostile world does to a plugin, as a host can do it: poisoned audio (NaN, infinities,
//! 1e30), every parameter thrown around inside every block, odd host shapes (8 kHz, 384 kHz,
//! blocks of 0 and 65536, process calls with no ports or null buffers, mono layouts), untrusted
//! state, threads racing the audio thread, and day-long runs. The checks are run for every plugin
//! by `tests/reliability.rs`; `src/bin/lathe-soak.rs` runs the long ones at full length.

use crate::analysis::*;
use crate::bundles::LathePlugin;
use crate::host::{AudioThreadGuard, Harness};
use crate::music;
use crate::plugin::{ParamInfo, Plugin};
use crate::render::{Audio, BlockBuffers, Blocks, ParamEvent};
use clack_extensions::audio_ports_config::AudioPortsConfigBuffer;
use clack_host::prelude::*;
use clap_sys::audio_buffer::clap_audio_buffer;
use dsp_core::signal::Rng;
use std::time::{Duration, Instant};

/// A main-port layout the plugin offers through `clap_plugin_audio_ports_config`.
#[derive(Debug, Clone, PartialEq)]
pub struct PortConfig {
    pub id: u32,
    pub name: String,
    pub main_in: u32,
    pub main_out: u32,
}

impl Plugin {
    /// The layouts offered through the audio-ports-config extension (empty without it).
    pub fn port_configs(&mut self) -> Vec<PortConfig> {
        let Some(ext) = self.ext.audio_ports_config else {
            return vec![];
        };
        let handle = self.instance.plugin_handle();
        let mut buf = AudioPortsConfigBuffer::new();
        (0..ext.count(&handle))
            .filter_map(|i| {
                ext.get(&handle, i, &mut buf).map(|c| PortConfig {
                    id: c.id.get(),
                    name: String::from_utf8_lossy(c.name).into_owned(),
                    main_in: c.main_input.map_or(0, |m| m.channel_count),
                    main_out: c.main_output.map_or(0, |m| m.channel_count),
                })
            })
            .collect()
    }

    /// `audio_ports_config.select` (inactive only), then reads the new port layout.
    pub fn select_port_config(&mut self, id: u32) -> bool {
        assert!(!self.is_active(), "select a port config while inactive");
        let ext = self
            .ext
            .audio_ports_config
            .expect("no audio-ports-config extension");
        let ok = ext
            .select(&self.instance.plugin_handle(), ClapId::new(id))
            .is_ok();
        self.layout = self.read_audio_ports();
        ok
    }
}

// ------------------------------------------------------------------------------ streaming

/// One host block of a stream: the host fills `inputs` (per port, per channel, the first `len`
/// samples) and `events` (sample offsets within the block, sorted); the plugin's output lands in
/// `outputs`; `process_time` is the wall time of the process call.
pub struct StreamBlock {
    pub index: u64,
    pub len: usize,
    pub inputs: Vec<Audio>,
    pub events: Vec<ParamEvent>,
    pub outputs: Vec<Audio>,
    pub process_time: Duration,
    /// One per twin of [`Plugin::stream_with_twins`].
    pub twins: Vec<TwinBlock>,
}

/// A twin's share of a [`StreamBlock`]: `fill` sets `on` when the twin is to process this block
/// (the same inputs and events, right after the streamed instance); its output and the wall time
/// of its process call land here.
pub struct TwinBlock {
    pub on: bool,
    pub outputs: Vec<Audio>,
    pub process_time: Duration,
}

impl Plugin {
    /// Processes an unbounded stream in one processing session on an audio thread, block by
    /// block: `fill` prepares each block (returns `false` to stop), `drain` sees the processed
    /// block; neither keeps the whole render in memory, so hours of audio fit. The main thread
    /// serves the plugin and calls `on_main` meanwhile.
    pub fn stream(
        &mut self,
        fill: impl FnMut(&mut StreamBlock) -> bool + Send,
        drain: impl FnMut(&StreamBlock) + Send,
        on_main: impl FnMut(&mut Plugin),
    ) {
        self.stream_with_twins(&mut [], fill, drain, on_main);
    }

    /// [`Plugin::stream`] with `twins`: other active instances of the same plugin that process a
    /// block (its inputs and events) right after this one, on the same audio thread, whenever
    /// `fill` turns them on. Timing a twin beside the streamed instance, block by block, compares
    /// the two under the same machine load (the soak's fresh-instance reference).
    pub fn stream_with_twins(
        &mut self,
        twins: &mut [Plugin],
        mut fill: impl FnMut(&mut StreamBlock) -> bool + Send,
        mut drain: impl FnMut(&StreamBlock) + Send,
        on_main: impl FnMut(&mut Plugin),
    ) {
        let processor = self
            .processor
            .take()
            .expect("activate the plugin before streaming");
        let max_block = self.max_block();
        let in_ch: Vec<u32> = self.layout.inputs.iter().map(|p| p.channels).collect();
        let out_ch: Vec<u32> = self.layout.outputs.iter().map(|p| p.channels).collect();
        let initial = std::mem::take(&mut self.pending);
        let mut twin_processors = Vec::with_capacity(twins.len());
        for t in twins.iter_mut() {
            assert!(
                t.layout == self.layout && t.max_block() == max_block,
                "a twin must have the streamed instance's ports and block size"
            );
            let p = t
                .processor
                .take()
                .expect("activate every twin before streaming");
            twin_processors.push((p, std::mem::take(&mut t.pending)));
        }
        let mk = |chs: &[u32]| -> Vec<Audio> {
            chs.iter()
                .map(|&c| vec![vec![0.0f32; max_block]; c as usize])
                .collect()
        };
        let mut block = StreamBlock {
            index: 0,
            len: 0,
            inputs: mk(&in_ch),
            events: Vec::with_capacity(1024),
            outputs: mk(&out_ch),
            process_time: Duration::ZERO,
            twins: twins
                .iter()
                .map(|_| TwinBlock {
                    on: false,
                    outputs: mk(&out_ch),
                    process_time: Duration::ZERO,
                })
                .collect(),
        };
        let (processor, twin_processors) = std::thread::scope(|s| {
            let audio = s.spawn(move || {
                let _audio = AudioThreadGuard::enter();
                let start = |p: StoppedPluginAudioProcessor<Harness>| {
                    p.start_processing()
                        .unwrap_or_else(|e| panic!("start_processing failed: {e}"))
                };
                let mut started = start(processor);
                let mut buffers = BlockBuffers::new(&in_ch, &out_ch, max_block);
                let mut first = initial;
                let mut twins: Vec<_> = twin_processors
                    .into_iter()
                    .map(|(p, first)| (start(p), first))
                    .collect();
                loop {
                    block.events.clear();
                    if !fill(&mut block) {
                        break;
                    }
                    assert!(block.len <= max_block, "block longer than max_frames_count");
                    let mut next = 0;
                    let t = Instant::now();
                    buffers.process_block(
                        &mut started,
                        &block.inputs,
                        &mut block.outputs,
                        0,
                        block.len,
                        &block.events,
                        &mut next,
                        &first,
                    );
                    block.process_time = t.elapsed();
                    first.clear();
                    for ((twin, twin_first), tb) in twins.iter_mut().zip(&mut block.twins) {
                        if tb.on {
                            let mut next = 0;
                            let t = Instant::now();
                            buffers.process_block(
                                twin,
                                &block.inputs,
                                &mut tb.outputs,
                                0,
                                block.len,
                                &block.events,
                                &mut next,
                                twin_first,
                            );
                            tb.process_time = t.elapsed();
                            twin_first.clear();
                        }
                    }
                    drain(&block);
                    block.index += 1;
                }
                let twins: Vec<_> = twins
                    .into_iter()
                    .map(|(p, _)| p.stop_processing())
                    .collect();
                (started.stop_processing(), twins)
            });
            self.serve_main_thread(twins, audio, on_main)
        });
        self.processor = Some(processor);
        for (t, p) in twins.iter_mut().zip(twin_processors) {
            t.processor = Some(p);
        }
        self.pump();
    }
}

// ------------------------------------------------------------------------------ odd process calls

/// A process call a well-behaved host would not make but real ones do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OddCall {
    /// `frames_count` 0 with the normal ports (a block of 0 samples).
    EmptyBlock,
    /// No audio ports at all (`audio_inputs_count = audio_outputs_count = 0`) and `frames`
    /// samples: what Ableton Live does with a bypassed plugin.
    NoPorts(u32),
    /// Every port present with its channel count but `data32 == NULL`.
    NullBuffers(u32),
    /// Every port present with zero channels.
    ZeroChannels(u32),
}

/// Runs `calls` and then a normal render of `inputs` in blocks of `block`, in one processing
/// session; returns whether each odd call was answered without `CLAP_PROCESS_ERROR`, and the
/// render's main output.
pub fn odd_calls_then_render(
    p: &mut Plugin,
    calls: &[OddCall],
    inputs: &[Audio],
    block: usize,
) -> (Vec<bool>, Audio) {
    let processor = p.processor.take().expect("activate first");
    let max_block = p.max_block();
    let in_ch: Vec<u32> = p.layout.inputs.iter().map(|x| x.channels).collect();
    let out_ch: Vec<u32> = p.layout.outputs.iter().map(|x| x.channels).collect();
    let n = inputs[0][0].len();
    let result = std::thread::scope(|s| {
        let audio = s.spawn(|| {
            let _audio = AudioThreadGuard::enter();
            let mut started = processor.start_processing().expect("start_processing");
            let mut verdicts = Vec::new();
            let mut in_events = EventBuffer::new();
            let mut out_events = EventBuffer::new();
            // Real storage behind the "empty block" call, so only the frame count is odd.
            let mut storage: Vec<Vec<Vec<f32>>> = in_ch
                .iter()
                .chain(&out_ch)
                .map(|&c| vec![vec![0.0f32; 16]; c as usize])
                .collect();
            let mut ptrs: Vec<Vec<*mut f32>> = storage
                .iter_mut()
                .map(|port| port.iter_mut().map(|c| c.as_mut_ptr()).collect())
                .collect();
            for call in calls {
                let raw = |chs: &[u32], ptrs: &mut [Vec<*mut f32>], call: OddCall| {
                    chs.iter()
                        .zip(ptrs.iter_mut())
                        .map(|(&c, p)| clap_audio_buffer {
                            data32: match call {
                                OddCall::EmptyBlock => p.as_mut_ptr(),
                                _ => std::ptr::null_mut(),
                            },
                            data64: std::ptr::null_mut(),
                            channel_count: match call {
                                OddCall::ZeroChannels(_) => 0,
                                _ => c,
                            },
                            latency: 0,
                            constant_mask: 0,
                        })
                        .collect::<Vec<_>>()
                };
                let (in_ptrs, out_ptrs) = ptrs.split_at_mut(in_ch.len());
                let (ins, mut outs) = match call {
                    OddCall::NoPorts(_) => (vec![], vec![]),
                    _ => (raw(&in_ch, in_ptrs, *call), raw(&out_ch, out_ptrs, *call)),
                };
                let frames = match call {
                    OddCall::EmptyBlock => 0,
                    OddCall::NoPorts(f) | OddCall::NullBuffers(f) | OddCall::ZeroChannels(f) => *f,
                };
                // SAFETY: every buffer struct lives until the call returns; the pointers are
                // either null (which the CLAP contract lets the plugin see only as "no data",
                // and the point of this test) or point to real channels with `frames` (0)
                // samples.
                let (input, mut output) = unsafe {
                    (
                        InputAudioBuffers::from_raw_buffers(&ins, frames),
                        OutputAudioBuffers::from_raw_buffers(&mut outs, frames),
                    )
                };
                let r = started.process(
                    &input,
                    &mut output,
                    &in_events.as_input(),
                    &mut out_events.as_output(),
                    None,
                    None,
                );
                verdicts.push(r.is_ok());
                in_events.clear();
                out_events.clear();
            }
            let mut buffers = BlockBuffers::new(&in_ch, &out_ch, max_block);
            let mut out: Vec<Audio> = out_ch
                .iter()
                .map(|&c| vec![vec![0.0f32; n]; c as usize])
                .collect();
            let mut pos = 0;
            let mut next = 0;
            for len in Blocks::Fixed(block).sizes(n) {
                buffers.process_block(
                    &mut started,
                    inputs,
                    &mut out,
                    pos,
                    len,
                    &[],
                    &mut next,
                    &[],
                );
                pos += len;
            }
            (started.stop_processing(), verdicts, out.swap_remove(0))
        });
        audio.join()
    });
    match result {
        Ok((processor, verdicts, out)) => {
            p.processor = Some(processor);
            p.pump();
            (verdicts, out)
        }
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

// ------------------------------------------------------------------------------ helpers

/// Sets parameters by typed text, as a user would.
pub fn apply(p: &mut Plugin, settings: &[(&str, &str)]) {
    for (id, text) in settings {
        p.set_text(id, text);
    }
}

/// Music on the main input, other music on every other input port (a sidechain).
pub fn port_inputs(p: &Plugin, sample_rate: f64, seconds: f64, seed: u64) -> Vec<Audio> {
    p.audio_ports()
        .inputs
        .iter()
        .enumerate()
        .map(|(i, port)| {
            let m = music(sample_rate, seconds, seed + 1000 * i as u64);
            (0..port.channels as usize)
                .map(|c| m[c % 2].clone())
                .collect()
        })
        .collect()
}

/// RMS in dBFS of every channel of `a` over `range`, pooled.
pub fn rms_db(a: &Audio, range: std::ops::Range<usize>) -> f64 {
    db(rms(&slice(a, range)))
}

/// The parameters a host may automate (the bypass excluded: it is its own test).
pub fn automatable(p: &mut Plugin) -> Vec<ParamInfo> {
    p.params()
        .into_iter()
        .filter(|i| i.is_automatable() && !i.is_bypass() && !i.is_readonly())
        .collect()
}

// ------------------------------------------------------------------------------ bad audio

/// What the poison is made of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Poison {
    Nan,
    PosInf,
    NegInf,
    /// +-1e30, alternating: finite, but 600 dB above full scale.
    Huge,
    /// NaN, +Inf, -Inf, 1e30 and -3e38 in turn, on the left channel only.
    MixedLeftOnly,
}

impl Poison {
    pub const ALL: [Poison; 5] = [
        Poison::Nan,
        Poison::PosInf,
        Poison::NegInf,
        Poison::Huge,
        Poison::MixedLeftOnly,
    ];
    fn value(self, i: usize) -> f32 {
        match self {
            Poison::Nan => f32::NAN,
            Poison::PosInf => f32::INFINITY,
            Poison::NegInf => f32::NEG_INFINITY,
            Poison::Huge => {
                if i.is_multiple_of(2) {
                    1e30
                } else {
                    -1e30
                }
            }
            Poison::MixedLeftOnly => {
                [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e30, -3e38][i % 5]
            }
        }
    }
}

/// One poisoning: the output stayed finite; `recovery_ms` after the poison ended, every 10 ms
/// window of output matched normal output (within 1 dB) from then on.
#[derive(Debug, Clone)]
pub struct Recovery {
    pub poison: Poison,
    pub samples: usize,
    pub recovery_ms: f64,
}

/// Feeds music with a burst of `poison` (`samples` long, every input port) and checks that the
/// output is finite throughout and, from 50 ms after the burst, matches "normal output" in every
/// 10 ms window within 1 dB (or both under -40 dBFS, 20 dB below the music): either a fresh instance fed the clean signal from the end of the
/// burst (a plugin that resets what the poison reached), or an instance fed the whole signal
/// with the burst replaced by silence (a plugin that ignores the poisoned samples). A plugin
/// stuck silent, still ringing with 1e30 or still outputting NaN matches neither.
pub fn poison_recovery(
    plugin: LathePlugin,
    settings: &[(&str, &str)],
    poison: Poison,
    samples: usize,
) -> Recovery {
    let sr = 48_000.0;
    let block = 256;
    let total = (1.0 * sr) as usize;
    let start = (0.5 * sr) as usize + 37;
    let end = start + samples;
    let new = || {
        let mut p = Plugin::lathe(plugin);
        apply(&mut p, settings);
        p.activate(sr, block);
        p
    };
    let mut p = new();
    let clean = port_inputs(&p, sr, total as f64 / sr, 21);
    let mut poisoned = clean.clone();
    let mut silenced = clean.clone();
    for (port_p, port_s) in poisoned.iter_mut().zip(silenced.iter_mut()) {
        for (c, (ch_p, ch_s)) in port_p.iter_mut().zip(port_s.iter_mut()).enumerate() {
            for i in start..end {
                if poison != Poison::MixedLeftOnly || c == 0 {
                    ch_p[i] = poison.value(i);
                }
                ch_s[i] = 0.0;
            }
        }
    }
    let what = format!("{} {settings:?}: {poison:?} x {samples}", plugin.name);
    let out = p.render(&poisoned, &[], Blocks::Fixed(block));
    if let Some((s, c, v)) = first_non_finite(&out) {
        panic!("{what}: non-finite output {v} at sample {s} channel {c}");
    }
    let with_silence = new().render(&silenced, &[], Blocks::Fixed(block));
    let tail: Vec<Audio> = clean.iter().map(|a| slice(a, end..total)).collect();
    let fresh = new().render(&tail, &[], Blocks::Fixed(block));

    let win = (0.010 * sr) as usize;
    let settle = (0.050 * sr) as usize;
    // Below -40 dBFS (20 dB under the music) both are onset or tail, not programme: equal enough.
    let level_ok = |a: f64, b: f64| (a - b).abs() <= 1.0 || (a < -40.0 && b < -40.0);
    let mut last_bad: Option<usize> = None;
    let mut bad_levels = String::new();
    let mut w = end;
    while w + win <= total {
        let o = rms_db(&out, w..w + win);
        let s = rms_db(&with_silence, w..w + win);
        let f = rms_db(&fresh, w - end..w - end + win);
        if !level_ok(o, s) && !level_ok(o, f) {
            last_bad = Some(w + win);
            bad_levels = format!(
                "at {:.0} ms: {o:.1} dBFS, normal {s:.1} (poison as silence) or {f:.1} (fresh)",
                (w - end) as f64 / sr * 1000.0
            );
        }
        w += win;
    }
    let recovered_at = last_bad.unwrap_or(end);
    let recovery_ms = (recovered_at - end) as f64 / sr * 1000.0;
    let reference = rms_db(&fresh, settle..total - end);
    assert!(
        reference > -40.0,
        "{what}: control failed: the reference output is {reference:.1} dBFS"
    );
    assert!(
        recovered_at <= end + settle,
        "{what}: output not back to normal until {recovery_ms:.0} ms after the poison \
         (last bad window {bad_levels})"
    );
    Recovery {
        poison,
        samples,
        recovery_ms,
    }
}

// ------------------------------------------------------------------------------ hostile automation

/// A value a hostile host sends: the extremes, values just inside the ends (continuous
/// parameters), values outside the contract (NaN, infinities, far out of range: a broken host or
/// a corrupt automation lane) and random values.
fn hostile_value(i: &ParamInfo, rng: &mut Rng) -> f64 {
    match rng.range(0, 6) {
        0 => i.min,
        1 => i.max,
        2 if !i.is_stepped() => i.min + (i.max - i.min) * 1e-9,
        3 => [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            i.min - 1e6,
            i.max + 1e6,
        ][rng.range(0, 4)],
        _ => i.at(rng.uniform()),
    }
}

/// Every automatable parameter set to a hostile value at the start of every block, and
/// `per_block` more random changes at random samples inside it (sample-accurate CLAP events),
/// for `seconds` of music at 48 kHz in random blocks of 1..=1024. Returns the output's peak;
/// panics on a non-finite sample.
pub fn hostile_automation(plugin: LathePlugin, seconds: f64, per_block: usize, seed: u64) -> f32 {
    let sr = 48_000.0;
    let max_block = 1024;
    let mut p = Plugin::lathe(plugin);
    p.activate(sr, max_block);
    let params = automatable(&mut p);
    let source = port_inputs(&p, sr, 10.0, seed);
    let src_len = source[0][0].len();
    let total = (seconds * sr) as u64;
    let mut done = 0u64;
    let mut rng = Rng::new(seed);
    let mut peak = 0.0f32;
    let mut bad: Option<String> = None;
    p.stream(
        |b| {
            if done >= total {
                return false;
            }
            b.len = rng.range(1, max_block).min((total - done) as usize);
            for (port, src) in b.inputs.iter_mut().zip(&source) {
                for (ch, s) in port.iter_mut().zip(src) {
                    for (k, x) in ch[..b.len].iter_mut().enumerate() {
                        *x = s[(done as usize + k) % src_len];
                    }
                }
            }
            for i in &params {
                b.events.push(ParamEvent {
                    sample: 0,
                    id: i.id,
                    value: hostile_value(i, &mut rng),
                });
            }
            for _ in 0..per_block {
                let i = &params[rng.range(0, params.len() - 1)];
                b.events.push(ParamEvent {
                    sample: rng.range(0, b.len - 1),
                    id: i.id,
                    value: hostile_value(i, &mut rng),
                });
            }
            b.events.sort_by_key(|e| e.sample);
            done += b.len as u64;
            true
        },
        |b| {
            for ch in &b.outputs[0] {
                for (k, &x) in ch[..b.len].iter().enumerate() {
                    if !x.is_finite() && bad.is_none() {
                        bad = Some(format!("{x} at block {} sample {k}", b.index));
                    }
                    peak = peak.max(x.abs());
                }
            }
        },
        |_| {},
    );
    if let Some(b) = bad {
        panic!("{}: hostile automation: non-finite output {b}", plugin.name);
    }
    let v = p.violations();
    assert!(v.is_empty(), "{}: {}", plugin.name, v.join("\n"));
    peak
}

// ------------------------------------------------------------------------------ soak

/// The starting (and final) settings of a soak: the defaults, except that the reverb's delay
/// modulation is off there, so its response to the test tone is time-invariant and the level
/// at the end can be compared with the start (automation still moves the modulation between).
pub fn soak_settings(plugin: LathePlugin) -> &'static [(&'static str, &'static str)] {
    match plugin.clap_id {
        "audio.lathe.reverb" => &[("mod_depth", "0")],
        _ => &[],
    }
}

/// The automation of the soak in the test command and, unless `--seed` says otherwise, of
/// `lathe-soak`.
pub const SOAK_SEED: u64 = 0x50A4;

/// What a soak run measured.
#[derive(Debug, Clone)]
pub struct SoakReport {
    pub plugin: &'static str,
    pub seconds: f64,
    /// The test tone's output level in the last window minus the first (same settings), dB.
    pub drift_db: f64,
    pub peak: f32,
    /// Median process time per block, last hour (or last tenth) over the first. Machine load
    /// moves this: it compares two different hours of a shared machine.
    pub time_ratio: f64,
    pub first_median_us: f64,
    pub last_median_us: f64,
    /// The soaked instance's time over a fresh twin's, block by block on the same input, as the
    /// median of the per-block ratios: in the first window (both fresh, so about 1 apart from
    /// the order they run in) and the last (the twin has processed nothing before it).
    pub twin_ratio_first: f64,
    pub twin_ratio_last: f64,
    /// `twin_ratio_last / twin_ratio_first`: how much slower the soaked instance has become
    /// than a fresh one, measured under the same load as the fresh one. The flatness figure.
    pub slowdown: f64,
    pub wall_seconds: f64,
}

fn median(v: &mut [f32]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(f32::NAN) as f64
}

/// Processes `seconds` of audio at 48 kHz in 512-sample blocks: a -18 dBFS 997 Hz tone that
/// stops for one second in every ten (so filters, envelopes and the reverb decay towards silence
/// where denormals would appear), under slow random automation: every 2 s one automatable
/// parameter glides over 0.5 s to a random value (from `seed`). The first and last `window` seconds run with
/// the starting settings (the defaults plus `settings`), so the tone's level in them must match:
/// the drift. Block times are kept for the first and last `window` (one hour in a 24-hour run,
/// a tenth otherwise) and compared by their medians. Because a shared machine's load changes
/// over hours, each window is also timed against a fresh twin instance (same settings, same
/// input, processed right after the soaked one on the same audio thread, block by block): one
/// for the first window, where it must also produce bit-identical output, and one that starts
/// with the last window, having processed nothing before.
pub fn soak(plugin: LathePlugin, settings: &[(&str, &str)], seconds: f64, seed: u64) -> SoakReport {
    // The first level window sits at 14-15 s, inside the first tenth; the last needs the restored
    // settings to have settled for a few seconds inside the last tenth.
    assert!(
        seconds >= 300.0,
        "a soak needs at least 300 s of audio, not {seconds}"
    );
    let sr = 48_000.0;
    let block = 512usize;
    let fresh = || {
        let mut p = Plugin::lathe(plugin);
        apply(&mut p, settings);
        p
    };
    let mut p = fresh();
    let params = automatable(&mut p);
    let start_values: Vec<(u32, f64)> = p.values();
    p.activate(sr, block);
    let mut twins = [fresh(), fresh()];
    for t in &mut twins {
        t.activate(sr, block);
    }
    let total_blocks = (seconds * sr / block as f64) as u64;
    let window_s = if seconds >= 2.0 * 3600.0 {
        3600.0
    } else {
        seconds / 10.0
    };
    let window_blocks = (window_s * sr / block as f64) as u64;
    let automate_from = window_blocks;
    let automate_to = total_blocks - window_blocks;
    let step = (2.0 * sr) as u64 / block as u64;
    let glide = (0.5 * sr) as u64 / block as u64;
    let tone_amp = 10f64.powf(-18.0 / 20.0);
    let w = 2.0 * std::f64::consts::PI * 997.0 / sr;
    let in_ports = p.audio_ports().inputs.len();
    let mut rng = Rng::new(seed);
    // (parameter, from, to, first block) of the glide under way.
    let mut glide_now: Option<(usize, f64, f64, u64)> = None;
    let mut current: Vec<f64> = params
        .iter()
        .map(|i| start_values.iter().find(|v| v.0 == i.id).unwrap().1)
        .collect();
    let mut first_times = Vec::with_capacity(window_blocks as usize);
    let mut last_times = Vec::with_capacity(window_blocks as usize);
    let mut first_twin_ratios = Vec::with_capacity(window_blocks as usize);
    let mut last_twin_ratios = Vec::with_capacity(window_blocks as usize);
    let mut peak = 0.0f32;
    let mut bad: Option<String> = None;
    // Sum of squares of the tone's output over one second near the start and one near the end
    // (both within the tone's nine seconds on, the settings equal).
    let level_at = |b: u64| -> bool {
        let t = b as f64 * block as f64 / sr;
        (t % 10.0) >= 4.0 && (t % 10.0) < 5.0
    };
    let first_level_block = (0..window_blocks)
        .find(|&b| level_at(b) && b as f64 * block as f64 / sr > 5.0)
        .unwrap_or(0);
    let last_level_block = (automate_to..total_blocks)
        .rev()
        .find(|&b| level_at(b))
        .unwrap_or(total_blocks - 1);
    let (mut e_first, mut e_last) = (0.0f64, 0.0f64);
    let started = Instant::now();
    let restore_at = automate_to;
    p.stream_with_twins(
        &mut twins,
        |b| {
            if b.index >= total_blocks {
                return false;
            }
            b.len = block;
            b.twins[0].on = b.index < window_blocks;
            b.twins[1].on = b.index >= total_blocks - window_blocks;
            let n0 = b.index * block as u64;
            let on = ((n0 as f64 / sr) % 10.0) < 9.0;
            for (k, x) in b.inputs[0][0][..block].iter_mut().enumerate() {
                // Phase from the absolute sample number modulo the tone's period in samples
                // keeps the argument small (no precision loss after billions of samples).
                let n = (n0 + k as u64) % 48_000_000;
                *x = if on {
                    (tone_amp * (w * n as f64).sin()) as f32
                } else {
                    0.0
                };
            }
            let (left, others) = b.inputs[0].split_at_mut(1);
            for ch in others {
                ch[..block].copy_from_slice(&left[0][..block]);
            }
            for port in b.inputs.iter_mut().skip(1).take(in_ports) {
                for ch in port.iter_mut() {
                    ch[..block].fill(0.0);
                }
            }
            let i = b.index;
            if i >= automate_from && i < automate_to {
                if (i - automate_from).is_multiple_of(step) {
                    let k = rng.range(0, params.len() - 1);
                    let to = params[k].at(rng.uniform());
                    glide_now = Some((k, current[k], to, i));
                }
                if let Some((k, from, to, g0)) = glide_now {
                    let t = ((i - g0 + 1) as f64 / glide as f64).min(1.0);
                    let v = if params[k].is_stepped() {
                        to
                    } else {
                        from + (to - from) * t
                    };
                    current[k] = v;
                    b.events.push(ParamEvent {
                        sample: 0,
                        id: params[k].id,
                        value: v,
                    });
                    if t >= 1.0 {
                        glide_now = None;
                    }
                }
            } else if i == restore_at {
                for (k, info) in params.iter().enumerate() {
                    let v = start_values.iter().find(|v| v.0 == info.id).unwrap().1;
                    current[k] = v;
                    b.events.push(ParamEvent {
                        sample: 0,
                        id: info.id,
                        value: v,
                    });
                }
            }
            true
        },
        |b| {
            let i = b.index;
            let us = b.process_time.as_secs_f32() * 1e6;
            let twin_ratio = |t: &TwinBlock| {
                b.process_time.as_secs_f32() / t.process_time.as_secs_f32().max(1e-9)
            };
            if i < window_blocks {
                first_times.push(us);
                first_twin_ratios.push(twin_ratio(&b.twins[0]));
                if b.twins[0].outputs != b.outputs && bad.is_none() {
                    bad = Some(format!(
                        "block {i} differs from a fresh instance's with the same input and \
                         settings"
                    ));
                }
            } else if i >= total_blocks - window_blocks {
                last_times.push(us);
                last_twin_ratios.push(twin_ratio(&b.twins[1]));
            }
            for ch in &b.outputs[0] {
                for &x in &ch[..b.len] {
                    if !x.is_finite() && bad.is_none() {
                        bad = Some(format!("non-finite output {x} in block {i}"));
                    }
                    peak = peak.max(x.abs());
                }
            }
            let e: f64 = b.outputs[0][0][..b.len]
                .iter()
                .map(|&x| (x as f64) * (x as f64))
                .sum();
            if (first_level_block..first_level_block + (sr as u64 / block as u64)).contains(&i) {
                e_first += e;
            }
            if (last_level_block + 1 - (sr as u64 / block as u64)..=last_level_block).contains(&i) {
                e_last += e;
            }
        },
        |_| {},
    );
    if let Some(b) = bad {
        panic!("{}: soak: {b}", plugin.name);
    }
    let first_median_us = median(&mut first_times);
    let last_median_us = median(&mut last_times);
    let twin_ratio_first = median(&mut first_twin_ratios);
    let twin_ratio_last = median(&mut last_twin_ratios);
    SoakReport {
        plugin: plugin.name,
        seconds,
        drift_db: 10.0 * (e_last / e_first).log10(),
        peak,
        time_ratio: last_median_us / first_median_us,
        first_median_us,
        last_median_us,
        twin_ratio_first,
        twin_ratio_last,
        slowdown: twin_ratio_last / twin_ratio_first,
        wall_seconds: started.elapsed().as_secs_f64(),
    }
}

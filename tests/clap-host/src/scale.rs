//! How many instances fit in real time: N instances of one plugin in this process, 48 kHz,
//! 128-sample blocks, all processed block by block on one audio thread (as a DAW's engine
//! thread runs a session's tracks). Reports the realtime factor; tests make no timing claims
//! (debug builds on a shared machine): `cargo xtask bench` runs [`CHANNEL_STRIP_SCALE`] against
//! release bundles and reports whether it is faster than real time.

use crate::bundles::LathePlugin;
use crate::host::AudioThreadGuard;
use crate::plugin::Plugin;
use crate::render::{Audio, BlockBuffers};
use clack_host::prelude::PluginEntry;
use std::time::{Duration, Instant};

pub const SCALE_SAMPLE_RATE: f64 = 48_000.0;
pub const SCALE_BLOCK: usize = 128;

#[derive(Debug, Clone)]
pub struct ScaleReport {
    pub instances: usize,
    /// Seconds of audio each instance processed.
    pub audio_seconds: f64,
    /// Wall time the audio thread spent processing all instances.
    pub wall: Duration,
    /// `audio_seconds / wall`: above 1, the N instances together run faster than real time on
    /// one core.
    pub realtime_factor: f64,
}

/// The Channel Strip as a mixing engineer leaves it on a track, the setting issue 6's scale
/// target is about: high-pass, all four EQ bands boosting or cutting, compressor working.
/// (string ID, text typed into the host).
pub const CHANNEL_STRIP_SCALE: &[(&str, &str)] = &[
    ("hpf_on", "On"),
    ("eq_lf_gain", "3"),
    ("eq_lmf_gain", "-2"),
    ("eq_hmf_gain", "2"),
    ("eq_hf_gain", "3"),
    ("comp_on", "On"),
    ("comp_threshold", "-24"),
];

/// Runs `instances` instances of a Lathe plugin at its defaults for `seconds` of music-like
/// audio.
pub fn realtime_factor(plugin: LathePlugin, instances: usize, seconds: f64) -> ScaleReport {
    realtime_factor_of(&plugin.entry(), plugin.clap_id, &[], instances, seconds)
}

/// The same with every instance set up by `settings` (string ID, text) before activation.
pub fn realtime_factor_with(
    plugin: LathePlugin,
    settings: &[(&str, &str)],
    instances: usize,
    seconds: f64,
) -> ScaleReport {
    realtime_factor_of(
        &plugin.entry(),
        plugin.clap_id,
        settings,
        instances,
        seconds,
    )
}

/// The same for any CLAP plugin in a loaded bundle.
pub fn realtime_factor_of(
    entry: &PluginEntry,
    clap_id: &str,
    settings: &[(&str, &str)],
    instances: usize,
    seconds: f64,
) -> ScaleReport {
    assert!(instances > 0);
    let mut plugins: Vec<Plugin> = (0..instances)
        .map(|_| {
            let mut p = Plugin::new(entry, clap_id);
            for (id, text) in settings {
                p.set_text(id, text);
            }
            p.activate(SCALE_SAMPLE_RATE, SCALE_BLOCK);
            p
        })
        .collect();
    let [l, r] = dsp_core::signal::music_like(SCALE_SAMPLE_RATE, seconds, 7);
    let n = l.len();
    let input: Vec<Audio> = vec![vec![l, r]];
    let layout = plugins[0].audio_ports().clone();
    let in_ch: Vec<u32> = layout.inputs.iter().map(|p| p.channels).collect();
    let out_ch: Vec<u32> = layout.outputs.iter().map(|p| p.channels).collect();
    let processors: Vec<_> = plugins
        .iter_mut()
        .map(|p| p.processor.take().expect("active"))
        .collect();

    let (stopped, wall) = std::thread::scope(|s| {
        let input = &input;
        let audio = s.spawn(move || {
            let _audio = AudioThreadGuard::enter();
            let mut started: Vec<_> = processors
                .into_iter()
                .map(|p| p.start_processing().expect("start_processing"))
                .collect();
            let mut buffers: Vec<BlockBuffers> = (0..instances)
                .map(|_| BlockBuffers::new(&in_ch, &out_ch, SCALE_BLOCK))
                .collect();
            let mut outs: Vec<Vec<Audio>> = (0..instances)
                .map(|_| {
                    out_ch
                        .iter()
                        .map(|&c| vec![vec![0.0f32; n]; c as usize])
                        .collect()
                })
                .collect();
            let t0 = Instant::now();
            let mut pos = 0;
            while pos < n {
                let len = SCALE_BLOCK.min(n - pos);
                for ((p, b), out) in started.iter_mut().zip(&mut buffers).zip(&mut outs) {
                    let mut next = 0;
                    b.process_block(p, input, out, pos, len, &[], &mut next, &[]);
                }
                pos += len;
            }
            let wall = t0.elapsed();
            let stopped: Vec<_> = started.into_iter().map(|p| p.stop_processing()).collect();
            (stopped, wall)
        });
        let (first, others) = plugins.split_first_mut().expect("instances > 0");
        first.serve_main_thread(others, audio, |_| {})
    });
    for (p, s) in plugins.iter_mut().zip(stopped) {
        p.processor = Some(s);
    }
    let audio_seconds = n as f64 / SCALE_SAMPLE_RATE;
    ScaleReport {
        instances,
        audio_seconds,
        wall,
        realtime_factor: audio_seconds / wall.as_secs_f64().max(1e-9),
    }
}

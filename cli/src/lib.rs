//! `lathe`: offline mastering through the Maximizer's chain ([`MasteringChain`]), the same code
//! and the same parameter mapping ([`lathe_maximizer::settings_from_params`]) as the plugin, so a
//! preset renders to the same samples in the plugin and here.
//!
//! Two passes per track (or per album): measure (BS.1770 integrated loudness, loudness range,
//! true peak), then render with the limiter drive that lands the output on the target. The
//! limiter takes loudness away as it limits, so the render is measured and the drive corrected
//! (secant steps) until the output is within [`AIM_LU`] of the target, or the drive range
//! (0..24 dB, the plugin's Gain range) runs out.

use anyhow::{anyhow, bail, Context, Result};
use dsp_core::dither::NoiseShape;
use dsp_core::mastering::{MasteringChain, MasteringSettings};
use dsp_core::meter::{self, LoudnessMeter};
use lathe_maximizer::params::{MaximizerParams, STATE_VERSION};
use lathe_maximizer::{settings_from_params, Maximizer, CLAP_ID};
use lathe_shared::state::{guard, Verdict};
use nice_plug::params::internals::ParamPtr;
use nice_plug::params::{InternalParamMut, Params};
use nice_plug::plugin::{ParamValue, PluginState};
use nice_plug::prelude::Plugin;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The block size the renderer feeds the chain, as a host at 512 samples would; the output does
/// not depend on it (dsp-core's processors are block-size invariant).
pub const BLOCK: usize = 512;
/// Loudness accuracy promised: an output further than this from the target is reported as missed.
pub const TOLERANCE_LU: f64 = 0.2;
/// The gain search stops once this close (half the promise, for margin).
pub const AIM_LU: f64 = 0.1;
/// The Maximizer's Gain (limiter drive) range.
pub const GAIN_RANGE_DB: (f64, f64) = (0.0, 24.0);
/// Renders per track (or album) at most: the first plus the corrections.
pub const MAX_RENDERS: usize = 4;

// ---------------------------------------------------------------------------------------------
// Presets

/// Loads a Maximizer preset (the plugin's serialized `PluginState` JSON) into the plugin's own
/// parameter struct: the identity check of `lathe_shared::state::guard`, the plugin's migration
/// (`Plugin::filter_state`), then every value applied through `Params::param_map` exactly as
/// nice-plug's state loader does.
pub fn load_preset(path: &Path) -> Result<MaximizerParams> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the preset", path.display()))?;
    preset_from_json(&text).with_context(|| format!("{}: not a usable preset", path.display()))
}

pub fn preset_from_json(text: &str) -> Result<MaximizerParams> {
    let mut state: PluginState =
        serde_json::from_str(text).context("not a Lathe plugin state (JSON)")?;
    // The verdict, for a clear message; the state the plugin would load comes from its own
    // filter_state below (same guard, plus the plugin's migrations).
    if let Verdict::Rejected(why) = guard(&mut state.clone(), CLAP_ID, STATE_VERSION, |_, _| {}) {
        bail!("{why}");
    }
    Maximizer::filter_state(&mut state);
    let params = MaximizerParams::default();
    apply_state(&params, &state)?;
    Ok(params)
}

fn apply_state(params: &MaximizerParams, state: &PluginState) -> Result<()> {
    let map = params.param_map();
    for (id, value) in &state.params {
        let Some((_, ptr, _)) = map.iter().find(|(pid, _, _)| pid == id) else {
            eprintln!("lathe: preset parameter {id:?} is unknown to this Maximizer; ignored");
            continue;
        };
        // SAFETY: the pointers come from `params.param_map()` and point into `params`, which
        // outlives this loop; nothing else accesses the parameters meanwhile. These are the
        // calls nice-plug's own state loader makes (`wrapper::state::deserialize_object`).
        let ok = unsafe {
            match (*ptr, value) {
                (ParamPtr::FloatParam(p), ParamValue::F32(v)) => {
                    (*p)._internal_set_plain_value(*v);
                    true
                }
                (ParamPtr::IntParam(p), ParamValue::I32(v)) => {
                    (*p)._internal_set_plain_value(*v);
                    true
                }
                (ParamPtr::BoolParam(p), ParamValue::Bool(v)) => {
                    (*p)._internal_set_plain_value(*v);
                    true
                }
                (ParamPtr::EnumParam(p), ParamValue::I32(v)) => {
                    (*p)._internal_set_plain_value(*v);
                    true
                }
                (ParamPtr::EnumParam(p), ParamValue::String(s)) => (*p).set_from_id(s),
                _ => false,
            }
        };
        if !ok {
            bail!("parameter {id:?} has an invalid value {value:?}");
        }
    }
    params.deserialize_fields(&state.fields);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Decoding and writing

/// A decoded programme: one `Vec` per channel.
#[derive(Debug, Clone)]
pub struct Audio {
    pub sample_rate: u32,
    pub channels: Vec<Vec<f32>>,
}

impl Audio {
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }
    pub fn views(&self) -> Vec<&[f32]> {
        self.channels.iter().map(Vec::as_slice).collect()
    }
}

/// Reads WAV, FLAC or AIFF (mono or stereo, as the Maximizer takes) with symphonia. Errors say
/// why; a file shorter than its header promises is an error, not a silently short track.
pub fn decode(path: &Path) -> Result<Audio> {
    use symphonia::core::audio::SampleBuffer;
    use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
    use symphonia::core::errors::Error as SymError;
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    use symphonia::core::probe::Hint;

    let mut file = std::fs::File::open(path).context("cannot open")?;
    if file.metadata().map(|m| m.len() == 0).unwrap_or(false) {
        bail!("the file is empty");
    }
    let is_aiff = {
        use std::io::{Read, Seek};
        let mut magic = [0u8; 12];
        let n = file.read(&mut magic).context("cannot read")?;
        file.rewind().context("cannot read")?;
        n == 12 && &magic[..4] == b"FORM" && (&magic[8..] == b"AIFF" || &magic[8..] == b"AIFC")
    };
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            mss,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| anyhow!("not a readable WAV, FLAC or AIFF file ({e})"))?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| anyhow!("no audio track"))?;
    let track_id = track.id;
    let params = track.codec_params.clone();
    let sample_rate = params
        .sample_rate
        .ok_or_else(|| anyhow!("no sample rate"))?;
    let n_ch = params
        .channels
        .map(|c| c.count())
        .ok_or_else(|| anyhow!("unknown channel count"))?;
    if !(1..=2).contains(&n_ch) {
        bail!("{n_ch} channels: the Maximizer takes mono or stereo");
    }
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .map_err(|e| anyhow!("unsupported codec ({e})"))?;
    let mut channels = vec![Vec::<f32>::new(); n_ch];
    let mut buf: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => bail!("read error ({e})"),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = decoder
            .decode(&packet)
            .map_err(|e| anyhow!("decode error ({e})"))?;
        let spec = *decoded.spec();
        if spec.channels.count() != n_ch {
            bail!("the channel count changes mid-stream");
        }
        let b = match &mut buf {
            Some(b) if b.capacity() >= decoded.capacity() * n_ch => b,
            _ => buf.insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
        };
        b.copy_interleaved_ref(decoded);
        for frame in b.samples().chunks_exact(n_ch) {
            for (ch, &s) in channels.iter_mut().zip(frame) {
                ch.push(s);
            }
        }
    }
    let got = channels[0].len() as u64;
    if let Some(mut expected) = params.n_frames {
        if is_aiff {
            // symphonia 0.5 counts the SSND chunk's 8-byte offset/block-size header as audio,
            // announcing up to 8 bytes' worth of frames more than a complete file holds.
            let bytes = params
                .bits_per_coded_sample
                .or(params.bits_per_sample)
                .unwrap_or(16);
            let frame_bytes = (bytes as u64).div_ceil(8) * n_ch as u64;
            expected = expected.saturating_sub(8u64.div_ceil(frame_bytes));
        }
        if got < expected {
            bail!("truncated: the header announces {expected} frames, the file holds {got}");
        }
    }
    if got == 0 {
        bail!("no audio in the file");
    }
    Ok(Audio {
        sample_rate,
        channels,
    })
}

/// Output word length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Bits {
    I16,
    I24,
    F32,
}

impl Bits {
    pub fn dither_bits(self) -> Option<u32> {
        match self {
            Bits::I16 => Some(16),
            Bits::I24 => Some(24),
            Bits::F32 => None,
        }
    }
}

/// Writes `audio` to `dest` through a temporary file in the same folder, renamed into place only
/// once complete, so a failure never leaves a partial file under the destination name. Integer
/// output expects samples on the word length's grid (the chain's dither puts them there); they
/// are converted exactly.
pub fn write_wav(dest: &Path, audio: &Audio, bits: Bits) -> Result<()> {
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dest
        .file_name()
        .ok_or_else(|| anyhow!("{}: not a file name", dest.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.lathe-tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = write_wav_to(&tmp, audio, bits).and_then(|()| {
        std::fs::rename(&tmp, dest)
            .with_context(|| format!("cannot move into place: {}", dest.display()))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_wav_to(path: &Path, audio: &Audio, bits: Bits) -> Result<()> {
    let (bits_per_sample, sample_format) = match bits {
        Bits::I16 => (16, hound::SampleFormat::Int),
        Bits::I24 => (24, hound::SampleFormat::Int),
        Bits::F32 => (32, hound::SampleFormat::Float),
    };
    let spec = hound::WavSpec {
        channels: audio.channels.len() as u16,
        sample_rate: audio.sample_rate,
        bits_per_sample,
        sample_format,
    };
    let mut w = hound::WavWriter::create(path, spec)
        .with_context(|| format!("cannot create {}", path.display()))?;
    let scale = match bits {
        Bits::I16 => 32_768.0,
        Bits::I24 => 8_388_608.0,
        Bits::F32 => 1.0,
    };
    let max = scale - 1.0;
    for i in 0..audio.frames() {
        for ch in &audio.channels {
            let x = ch[i];
            match bits {
                Bits::F32 => w.write_sample(x)?,
                _ => {
                    let v = (x as f64 * scale).round().clamp(-scale, max) as i32;
                    w.write_sample(v)?
                }
            }
        }
    }
    w.finalize().context("cannot finish the WAV file")?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Rendering

/// Limiter gain-reduction statistics of a render, dB (positive): the largest, and the mean of
/// the per-block (512-sample) maxima.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct GrStats {
    pub max_db: f64,
    pub mean_db: f64,
}

/// Renders `input` through the Maximizer chain as the plugin runs it: prepared, settings applied,
/// reset, then the settings re-applied at the start of every 512-sample block. The chain's
/// latency is compensated (the input is followed by `latency` samples of silence and the first
/// `latency` output samples are dropped), so the output lines up with the input sample for
/// sample.
pub fn render(input: &Audio, settings: &MasteringSettings) -> (Audio, GrStats) {
    let sr = input.sample_rate as f64;
    let n_ch = input.channels.len();
    let mut chain = MasteringChain::new();
    chain.prepare(sr, BLOCK, n_ch);
    chain.apply(settings);
    chain.reset();
    let lat = chain.latency_samples();
    let len = input.frames();
    let mut out: Vec<Vec<f32>> = input
        .channels
        .iter()
        .map(|c| {
            let mut v = Vec::with_capacity(len + lat);
            v.extend_from_slice(c);
            v.resize(len + lat, 0.0);
            v
        })
        .collect();
    let (mut gr_max, mut gr_sum, mut blocks) = (0.0f64, 0.0f64, 0usize);
    let mut pos = 0;
    while pos < len + lat {
        let n = BLOCK.min(len + lat - pos);
        let mut block: Vec<&mut [f32]> = out.iter_mut().map(|c| &mut c[pos..pos + n]).collect();
        chain.apply(settings);
        chain.process(&mut block);
        let gr = chain.take_max_gain_reduction_db().max(0.0);
        if pos >= lat {
            // Blocks whose output is programme (past the latency), for the statistics.
            gr_max = gr_max.max(gr);
            gr_sum += gr;
            blocks += 1;
        }
        pos += n;
    }
    for c in &mut out {
        c.drain(..lat);
    }
    let stats = GrStats {
        max_db: gr_max,
        mean_db: if blocks > 0 {
            gr_sum / blocks as f64
        } else {
            0.0
        },
    };
    (
        Audio {
            sample_rate: input.sample_rate,
            channels: out,
        },
        stats,
    )
}

// ---------------------------------------------------------------------------------------------
// Loudness targeting

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Measurement {
    /// Integrated loudness, LUFS.
    pub integrated_lufs: f64,
    /// Loudness range, LU.
    pub lra_lu: f64,
    /// True peak (4x, BS.1770-4 Annex 2), dBTP.
    pub true_peak_dbtp: f64,
}

pub fn measure(audio: &Audio) -> Measurement {
    let r = meter::measure(audio.sample_rate as f64, &audio.views());
    Measurement {
        integrated_lufs: r.integrated,
        lra_lu: r.lra,
        true_peak_dbtp: r.true_peak_dbtp,
    }
}

/// Integrated loudness of several programmes played one after the other (gated together), as
/// an album's loudness is defined.
pub fn album_loudness<'a>(tracks: impl IntoIterator<Item = &'a Audio>) -> f64 {
    let mut meter: Option<LoudnessMeter> = None;
    for t in tracks {
        let m = meter.get_or_insert_with(|| {
            let mut m = LoudnessMeter::new();
            m.prepare(t.sample_rate as f64, BLOCK, t.channels.len());
            m
        });
        m.process(&t.views());
    }
    meter.map_or(f64::NEG_INFINITY, |m| m.integrated_lufs())
}

/// The next drive to try: a secant step through the last two renders once there are two (the
/// limiter makes loudness grow slower than the drive), a 1:1 step before that; clamped to the
/// Gain range.
fn next_gain(history: &[(f64, f64)], target: f64) -> f64 {
    let &(g1, l1) = history.last().expect("one render at least");
    let slope = match history.len() {
        0 | 1 => 1.0,
        n => {
            let (g0, l0) = history[n - 2];
            if (g1 - g0).abs() > 1e-6 {
                ((l1 - l0) / (g1 - g0)).clamp(0.05, 1.0)
            } else {
                1.0
            }
        }
    };
    plugin_gain(g1 + (target - l1) / slope)
}

/// A drive the plugin's Gain parameter can hold: clamped to its range and rounded to `f32`.
fn plugin_gain(g: f64) -> f64 {
    g.clamp(GAIN_RANGE_DB.0, GAIN_RANGE_DB.1) as f32 as f64
}

/// Drive search: `loudness_at(gain)` renders and returns the resulting loudness. Returns the
/// chosen gain, its loudness and the number of renders.
pub fn search_gain(
    start_loudness: f64,
    target: f64,
    mut loudness_at: impl FnMut(f64) -> f64,
) -> (f64, f64, usize) {
    let mut gain = plugin_gain(if start_loudness.is_finite() {
        target - start_loudness
    } else {
        0.0
    });
    let mut history: Vec<(f64, f64)> = Vec::new();
    loop {
        let l = loudness_at(gain);
        history.push((gain, l));
        if (l - target).abs() <= AIM_LU || history.len() >= MAX_RENDERS || !l.is_finite() {
            break;
        }
        let next = next_gain(&history, target);
        if (next - gain).abs() < 1e-3 {
            break; // at the end of the Gain range
        }
        gain = next;
    }
    // The render closest to the target is the one kept.
    let best = history
        .iter()
        .min_by(|a, b| (a.1 - target).abs().total_cmp(&(b.1 - target).abs()))
        .copied()
        .expect("one render at least");
    (best.0, best.1, history.len())
}

/// What the renderer is asked for.
#[derive(Debug, Clone, Copy)]
pub struct Job {
    pub target_lufs: f64,
    /// The Maximizer settings (from a preset or the plugin's defaults) with the ceiling, dither
    /// and noise shaping of the command line; the drive is what the search sets.
    pub settings: MasteringSettings,
    pub bits: Bits,
}

impl Job {
    /// The settings at `gain_db` of drive, rounded to the `f32` the plugin's Gain parameter
    /// holds, so the plugin can be set to exactly what was rendered.
    pub fn with_gain(&self, gain_db: f64) -> MasteringSettings {
        MasteringSettings {
            gain_db: gain_db as f32 as f64,
            ..self.settings
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TrackReport {
    pub input_file: PathBuf,
    pub output_file: PathBuf,
    pub input: Measurement,
    pub output: Measurement,
    /// Limiter drive applied, dB.
    pub gain_db: f64,
    pub gain_reduction: GrStats,
    pub renders: usize,
    /// Output within the tolerance of the target.
    pub target_reached: bool,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub mode: &'static str,
    pub target_lufs: f64,
    pub ceiling_dbtp: f64,
    pub bits: Bits,
    /// Album mode: the album's integrated loudness before and after.
    pub album_input_lufs: Option<f64>,
    pub album_output_lufs: Option<f64>,
    pub tracks: Vec<TrackReport>,
}

/// Why the target was missed, for the report.
pub fn miss_note(gain: f64, loudness: f64, target: f64, input_loudness: f64) -> Option<String> {
    if (loudness - target).abs() <= TOLERANCE_LU {
        return None;
    }
    Some(if !input_loudness.is_finite() {
        "the input is silent (below the BS.1770 gate): left at 0 dB of drive".to_string()
    } else if loudness > target && gain <= GAIN_RANGE_DB.0 + 1e-9 {
        format!(
            "input ({input_loudness:.1} LUFS) already louder than the target; the Maximizer's gain cannot go below 0 dB"
        )
    } else {
        format!(
            "target {target:.1} LUFS not reachable under the ceiling: {loudness:.1} LUFS at {gain:.1} dB of drive"
        )
    })
}

/// Parses `--noise-shaping`.
pub fn noise_shape(name: &str) -> Result<NoiseShape> {
    Ok(match name {
        "none" | "flat" => NoiseShape::Flat,
        "light" => NoiseShape::Light,
        "strong" => NoiseShape::Strong,
        other => bail!("unknown noise shaping {other:?} (none, light, strong)"),
    })
}

/// The preset's settings, or the plugin's defaults.
pub fn base_settings(preset: Option<&MaximizerParams>) -> MasteringSettings {
    match preset {
        Some(p) => settings_from_params(p),
        None => settings_from_params(&MaximizerParams::default()),
    }
}

//! Lathe Maximizer: the mastering chain's last stage. Tone EQ (low shelf, mid bell, high shelf),
//! width and mono bass, a true-peak lookahead limiter with gain, ceiling and three characters,
//! loudness metering against a target, and dither to the delivery bit depth. Stereo or mono.

mod editor;
pub mod feed;
pub mod learn;
pub mod params;
pub mod presets;

use dsp_core::dither::NoiseShape;
use dsp_core::gain::Gain;
use dsp_core::limiter::Character;
use dsp_core::mastering::{MasteringChain, MasteringSettings};
use dsp_core::meter::loudness::LoudnessMeter;
use dsp_core::meter::true_peak::TruePeakMeter;
use feed::EditorFeed;
use lathe_shared::bypass::Bypass;
use lathe_shared::channels::stereo_view;
use lathe_shared::meters::MeterValue;
use lathe_shared::state;
use learn::{LearnShared, LearnTap};
use nice_plug::prelude::*;
use params::{DitherBits, MaximizerParams, NoiseShaping, Style, STATE_VERSION};
use std::sync::Arc;

pub const CLAP_ID: &str = "audio.lathe.maximizer";

/// The largest latency the plugin can report: 10 ms of lookahead plus the limiter's detection
/// delay, at the highest supported rate, with room to spare.
fn max_latency(sample_rate: f64) -> usize {
    (sample_rate * 0.012).ceil() as usize + 256
}

/// What the editor shows, published lock-free from the audio thread.
#[derive(Debug, Default)]
pub struct Meters {
    /// Limiter gain reduction since the editor's last read, dB (positive).
    pub gr_db: MeterValue,
    /// Output loudness (ITU-R BS.1770-4 / EBU R128), LUFS and LU.
    pub momentary_lufs: MeterValue,
    pub short_term_lufs: MeterValue,
    pub integrated_lufs: MeterValue,
    pub loudness_range_lu: MeterValue,
    /// Highest output true peak since reset (4x, BS.1770-4 Annex 2), dBTP.
    pub true_peak_dbtp: MeterValue,
    /// Input short-term loudness: what Learn measures against the target.
    pub input_short_term_lufs: MeterValue,
    /// Pearson correlation of the output channels over 300 ms, -1..1.
    pub correlation: MeterValue,
    /// The editor's Learn button: requests in, integrated loudness out.
    pub learn: LearnShared,
}

pub struct Maximizer {
    params: Arc<MaximizerParams>,
    pub meters: Arc<Meters>,
    /// Held here so `process` knows whether an editor is open: the correlation meter and the
    /// editor feed exist only for it.
    editor_state: Arc<nice_plug_egui::EguiEditorState>,
    /// Whether an editor was open in the last block.
    editor_open: bool,
    true_peak: TruePeakMeter,
    /// EQ -> imager -> limiter -> dither: the same chain the offline renderer runs.
    chain: MasteringChain,
    /// Loudness of the input and of the output, for the unity-gain monitor and the editor's
    /// loudness panel.
    input_loudness: LoudnessMeter,
    output_loudness: LoudnessMeter,
    /// The block's input, kept for the input meter while the chain processes in place: both
    /// meters then run as one four-lane pass after the chain (`LoudnessMeter::process_pair`).
    /// Sized in `activate` to the host's largest block.
    input_copy: [Vec<f32>; 2],
    /// The unity-gain monitor's trim: output loudness brought back to the input's.
    monitor: Gain,
    bypass: Bypass,
    latency: usize,
    /// The output meter's hop count when the integrated loudness and LRA were last published.
    published_hops: Option<u64>,
    learn: LearnTap,
    /// Gain-reduction history and goniometer samples for the editor.
    feed: EditorFeed,
}

impl Default for Maximizer {
    fn default() -> Self {
        let params = Arc::new(MaximizerParams::default());
        Self {
            editor_state: lathe_shared::editor::scale::editor_state(
                editor::SIZE,
                &params.editor_scale,
            ),
            editor_open: false,
            params,
            meters: Arc::new(Meters::default()),
            true_peak: TruePeakMeter::new(4),
            chain: MasteringChain::new(),
            input_loudness: LoudnessMeter::new(),
            output_loudness: LoudnessMeter::new(),
            input_copy: Default::default(),
            monitor: Gain::default(),
            bypass: Bypass::default(),
            latency: 0,
            published_hops: None,
            learn: LearnTap::default(),
            feed: EditorFeed::default(),
        }
    }
}

/// The plain-unit settings of the audio chain for the current parameter values. The plugin calls
/// it every block; the offline renderer uses it on parameters loaded from a preset, so both map
/// the parameters identically.
pub fn settings_from_params(p: &MaximizerParams) -> MasteringSettings {
    let v = |param: &FloatParam| param.value() as f64;
    MasteringSettings {
        gain_db: v(&p.gain),
        ceiling_db: v(&p.ceiling),
        release_ms: v(&p.release),
        auto_release: p.auto_release.value(),
        lookahead_ms: v(&p.lookahead),
        true_peak: p.true_peak.value(),
        character: match p.style.value() {
            Style::Transparent => Character::Transparent,
            Style::Punchy => Character::Punchy,
            Style::Aggressive => Character::Aggressive,
        },
        link_percent: v(&p.link),
        eq_low_freq: v(&p.eq_low_freq),
        eq_low_gain_db: v(&p.eq_low_gain),
        eq_mid_freq: v(&p.eq_mid_freq),
        eq_mid_gain_db: v(&p.eq_mid_gain),
        eq_mid_q: v(&p.eq_mid_q),
        eq_high_freq: v(&p.eq_high_freq),
        eq_high_gain_db: v(&p.eq_high_gain),
        width_percent: v(&p.width),
        mono_bass_on: p.mono_bass_on.value(),
        mono_bass_freq: v(&p.mono_bass_freq),
        dither_bits: match p.dither_bits.value() {
            DitherBits::Off => None,
            DitherBits::B24 => Some(24),
            DitherBits::B20 => Some(20),
            DitherBits::B16 => Some(16),
        },
        noise_shape: match p.noise_shaping.value() {
            NoiseShaping::None => NoiseShape::Flat,
            NoiseShaping::Light => NoiseShape::Light,
            NoiseShaping::Strong => NoiseShape::Strong,
        },
    }
}

impl Maximizer {
    fn apply_params(&mut self) {
        self.chain.apply(&settings_from_params(&self.params));
        self.bypass.set_bypassed(self.params.bypass.value());
    }

    /// The unity-gain monitor plays the output at the input's short-term loudness, so the
    /// engineer hears what the processing does, not that it is louder. Off, the trim is 0 dB.
    fn update_monitor(&mut self) {
        let trim = if self.params.unity_monitor.value() {
            let (i, o) = (
                self.input_loudness.short_term_lufs(),
                self.output_loudness.short_term_lufs(),
            );
            if i.is_finite() && o.is_finite() {
                (i - o).clamp(-36.0, 12.0)
            } else {
                0.0
            }
        } else {
            0.0
        };
        self.monitor.set_gain_db(trim);
    }
}

impl Maximizer {
    fn publish_meters(&mut self) {
        let m = &self.meters;
        let out = &self.output_loudness;
        m.gr_db.update_max(self.chain.gain_reduction_db() as f32);
        m.momentary_lufs.set(out.momentary_lufs() as f32);
        m.short_term_lufs.set(out.short_term_lufs() as f32);
        // Both change only at the end of a 100 ms hop.
        if self.published_hops != Some(out.hops()) {
            self.published_hops = Some(out.hops());
            m.integrated_lufs.set(out.integrated_lufs() as f32);
            m.loudness_range_lu.set(out.loudness_range_lu() as f32);
        }
        m.true_peak_dbtp.set(self.true_peak.true_peak_dbtp() as f32);
        m.input_short_term_lufs
            .set(self.input_loudness.short_term_lufs() as f32);
        m.correlation.set(self.chain.correlation());
    }
}

fn migrate(_state: &mut PluginState, _from: u32) {}

impl Plugin for Maximizer {
    const NAME: &'static str = "Lathe Maximizer";
    const VENDOR: &'static str = "Lathe Audio";
    const URL: &'static str = "";
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];
    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type Editor = editor::Editor;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(
            self.params.clone(),
            self.meters.clone(),
            self.feed.readers(),
            self.editor_state.clone(),
        )
    }

    fn filter_state(state: &mut PluginState) {
        state::guard(state, CLAP_ID, STATE_VERSION, migrate);
    }

    fn activate(
        &mut self,
        layout: &AudioIOLayout,
        config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let sr = config.sample_rate as f64;
        let max = config.max_buffer_size as usize;
        let channels = layout.main_output_channels.map_or(2, |c| c.get() as usize);
        self.chain.prepare(sr, max, channels);
        self.input_loudness.prepare(sr, max, channels);
        self.output_loudness.prepare(sr, max, channels);
        self.input_copy = [vec![0.0; max], vec![0.0; max]];
        self.true_peak.prepare(sr, max, channels);
        self.monitor.prepare(sr, max);
        self.learn.prepare(sr, max, channels);
        self.feed.open(sr);
        self.bypass.prepare(sr, max, channels, max_latency(sr));
        self.apply_params();
        self.latency = self.chain.latency_samples();
        self.bypass.set_latency(self.latency);
        context.set_latency_samples(self.latency as u32);
        true
    }

    fn reset(&mut self) {
        self.apply_params();
        self.chain.reset();
        self.input_loudness.reset();
        self.output_loudness.reset();
        self.true_peak.reset();
        self.monitor.reset();
        self.bypass.reset();
        self.published_hops = None;
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let channels = buffer.as_slice();
        if channels.is_empty() || channels[0].is_empty() {
            return ProcessStatus::Normal;
        }
        if lathe_shared::poison::scrub(channels) {
            self.reset();
        }
        self.apply_params();
        let latency = self.chain.latency_samples();
        if latency != self.latency {
            self.latency = latency;
            self.bypass.set_latency(latency);
            context.set_latency_samples(latency as u32);
        }
        self.bypass.capture(channels);
        // The correlation meter and the editor feed run only while an editor shows them.
        let editor_open = self.editor_state.is_open();
        self.chain.set_correlation_metering(editor_open);
        if editor_open && !self.editor_open {
            self.feed.restart();
        }
        self.editor_open = editor_open;
        let (view, n) = stereo_view(channels);
        let len = view[0].len();
        let joint = len <= self.input_copy[0].len();
        if joint {
            for (copy, x) in self.input_copy.iter_mut().zip(&view[..n]) {
                copy[..len].copy_from_slice(x);
            }
        } else {
            // A block beyond the announced maximum: measure the input before it is overwritten.
            self.input_loudness.process(&view[..n]);
        }
        let learning = self.learn.input(&self.meters.learn, &view[..n]);
        self.chain.process(channels);
        let (view, n) = stereo_view(channels);
        if joint {
            let input = [&self.input_copy[0][..len], &self.input_copy[1][..len]];
            LoudnessMeter::process_pair(
                &mut self.input_loudness,
                &input[..n],
                &mut self.output_loudness,
                &view[..n],
            );
        } else {
            self.output_loudness.process(&view[..n]);
        }
        self.true_peak.process(&view[..n]);
        if learning {
            self.learn.output(&self.meters.learn, &view[..n]);
        }
        let gain_reduction = self.chain.take_max_gain_reduction_db() as f32;
        if editor_open {
            self.feed.push(&view[..n], gain_reduction);
        }
        self.publish_meters();
        self.update_monitor();
        self.monitor.process(channels);
        self.bypass.apply(channels);
        ProcessStatus::Normal
    }
}

impl ClapPlugin for Maximizer {
    const CLAP_ID: &'static str = CLAP_ID;
    const CLAP_DESCRIPTION: Option<&'static str> = Some(env!("CARGO_PKG_DESCRIPTION"));
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Limiter,
        ClapFeature::Mastering,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];

    fn remote_controls(&self, context: &mut impl RemoteControlsContext) {
        let p = &self.params;
        context.add_section("Maximizer", |section| {
            section.add_page("Main", |page| {
                page.add_param(&p.gain);
                page.add_param(&p.ceiling);
                page.add_param(&p.release);
                page.add_param(&p.style);
                page.add_param(&p.true_peak);
                page.add_param(&p.link);
                page.add_param(&p.width);
                page.add_param(&p.target_lufs);
            });
            section.add_page("Tone", |page| {
                page.add_param(&p.eq_low_freq);
                page.add_param(&p.eq_low_gain);
                page.add_param(&p.eq_mid_freq);
                page.add_param(&p.eq_mid_gain);
                page.add_param(&p.eq_mid_q);
                page.add_param(&p.eq_high_freq);
                page.add_param(&p.eq_high_gain);
                page.add_param(&p.mono_bass_freq);
            });
            section.add_page("Output", |page| {
                page.add_param(&p.dither_bits);
                page.add_param(&p.noise_shaping);
                page.add_param(&p.auto_release);
                page.add_param(&p.mono_bass_on);
                page.add_param(&p.unity_monitor);
            });
        });
    }
}

impl Vst3Plugin for Maximizer {
    const VST3_CLASS_ID: [u8; 16] = *b"LatheMaximizer01";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::Mastering,
        Vst3SubCategory::Dynamics,
        Vst3SubCategory::Stereo,
    ];
}

nice_export_clap!(Maximizer);
nice_export_vst3!(Maximizer);

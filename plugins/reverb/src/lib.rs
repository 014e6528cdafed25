//! Lathe Reverb: a feedback-delay-network reverb (dsp-core's `reverb`) with room, hall and plate
//! modes, pre-delay, frequency-dependent decay, modulation and freeze. Mono or stereo in, stereo
//! out.

mod editor;
pub mod params;
pub mod presets;

use dsp_core::meter::level::LevelMeter;
use dsp_core::reverb::Reverb as ReverbDsp;
use lathe_shared::bypass::Bypass;
use lathe_shared::channels::stereo_view;
use lathe_shared::editor::repaint::AudioWake;
use lathe_shared::meters::LevelReadout;
use lathe_shared::state;
use nice_plug::prelude::*;
use params::{Mode, ReverbParams, STATE_VERSION};
use std::sync::Arc;

pub const CLAP_ID: &str = "audio.lathe.reverb";

/// What the editor shows, published lock-free from the audio thread.
#[derive(Default)]
pub struct Meters {
    pub input: LevelReadout,
    pub output: LevelReadout,
    /// Wakes an idle editor while the output is audible (the tail included).
    pub wake: AudioWake,
}

pub struct Reverb {
    params: Arc<ReverbParams>,
    pub meters: Arc<Meters>,
    /// Held here so `process` knows whether an editor is open: the meters feed only the editor.
    editor_state: Arc<nice_plug_egui::EguiEditorState>,
    /// Whether the meters ran in the last block (they restart from silence when an editor opens,
    /// so it never shows levels, or a decay capture, from before it was closed).
    metering: bool,
    in_level: LevelMeter,
    out_level: LevelMeter,
    dsp: ReverbDsp,
    bypass: Bypass,
    /// With a mono input the host hands us the input in channel 0 only; it is duplicated to
    /// channel 1 so the reverb always sees a stereo pair.
    mono_in: bool,
}

impl Default for Reverb {
    fn default() -> Self {
        let params = Arc::new(ReverbParams::default());
        Self {
            editor_state: lathe_shared::editor::scale::editor_state(
                editor::SIZE,
                &params.editor_scale,
            ),
            metering: false,
            params,
            meters: Arc::new(Meters::default()),
            in_level: LevelMeter::new(),
            out_level: LevelMeter::new(),
            dsp: ReverbDsp::default(),
            bypass: Bypass::default(),
            mono_in: false,
        }
    }
}

/// Forwards the parameters to the reverb's setters (idempotent: called every block, and by the
/// editor's decay display on its own unprepared copy, so both read the settings identically).
pub fn apply_settings(d: &mut ReverbDsp, p: &ReverbParams) {
    d.set_mode(match p.mode.value() {
        Mode::Room => dsp_core::reverb::Mode::Room,
        Mode::Hall => dsp_core::reverb::Mode::Hall,
        Mode::Plate => dsp_core::reverb::Mode::Plate,
    });
    d.set_mix(p.mix.value() as f64 / 100.0);
    d.set_predelay_ms(p.predelay.value() as f64);
    d.set_decay_s(p.decay.value() as f64);
    d.set_size(p.size.value() as f64 / 100.0);
    d.set_diffusion(p.diffusion.value() as f64 / 100.0);
    d.set_hf_damp_hz(p.hf_damp.value() as f64);
    d.set_bass_mult(p.bass_mult.value() as f64);
    d.set_low_cut_hz(p.low_cut.value() as f64);
    d.set_high_cut_hz(p.high_cut.value() as f64);
    d.set_mod_depth(p.mod_depth.value() as f64 / 100.0);
    d.set_width(p.width.value() as f64 / 100.0);
    d.set_freeze(p.freeze.value());
}

impl Reverb {
    fn apply_params(&mut self) {
        apply_settings(&mut self.dsp, &self.params);
        self.bypass.set_bypassed(self.params.bypass.value());
    }
}

fn migrate(_state: &mut PluginState, _from: u32) {}

impl Plugin for Reverb {
    const NAME: &'static str = "Lathe Reverb";
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
            main_output_channels: NonZeroU32::new(2),
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
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let sr = config.sample_rate as f64;
        let max = config.max_buffer_size as usize;
        self.in_level.prepare(sr, max, 2);
        self.out_level.prepare(sr, max, 2);
        self.dsp.prepare(sr, max);
        self.bypass.prepare(sr, max, 2, 0);
        self.mono_in = layout.main_input_channels == NonZeroU32::new(1);
        true
    }

    fn reset(&mut self) {
        self.apply_params();
        self.in_level.reset();
        self.out_level.reset();
        self.dsp.reset();
        self.bypass.reset();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let channels = buffer.as_slice();
        if channels.len() < 2 || channels[0].is_empty() {
            return ProcessStatus::Normal;
        }
        if lathe_shared::poison::scrub(channels) {
            self.reset();
        }
        if self.mono_in {
            let (left, right) = channels.split_at_mut(1);
            right[0].copy_from_slice(left[0]);
        }
        self.apply_params();
        self.bypass.capture(channels);
        // Meters are for the editor: a closed one costs nothing per block.
        let metering = self.editor_state.is_open();
        if metering && !self.metering {
            self.in_level.reset();
            self.out_level.reset();
        }
        self.metering = metering;
        if metering {
            let (view, n) = stereo_view(channels);
            self.in_level.process(&view[..n]);
        }
        self.dsp.process(channels);
        self.bypass.apply(channels);
        if !metering {
            return ProcessStatus::Normal;
        }
        let (view, n) = stereo_view(channels);
        self.out_level.process(&view[..n]);
        self.meters.input.publish(&self.in_level, n);
        self.meters.output.publish(&self.out_level, n);
        let peak = (0..n).fold(f64::NEG_INFINITY, |m, ch| {
            m.max(self.out_level.block_peak_dbfs(ch))
        });
        self.meters.wake.wake_if(peak as f32, 0.0);
        ProcessStatus::Normal
    }
}

impl ClapPlugin for Reverb {
    const CLAP_ID: &'static str = CLAP_ID;
    const CLAP_DESCRIPTION: Option<&'static str> = Some(env!("CARGO_PKG_DESCRIPTION"));
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Reverb,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];

    fn remote_controls(&self, context: &mut impl RemoteControlsContext) {
        let p = &self.params;
        context.add_section("Reverb", |section| {
            section.add_page("Main", |page| {
                page.add_param(&p.mix);
                page.add_param(&p.decay);
                page.add_param(&p.predelay);
                page.add_param(&p.size);
                page.add_param(&p.diffusion);
                page.add_param(&p.width);
                page.add_param(&p.mode);
                page.add_param(&p.freeze);
            });
            section.add_page("Tone", |page| {
                page.add_param(&p.hf_damp);
                page.add_param(&p.bass_mult);
                page.add_param(&p.low_cut);
                page.add_param(&p.high_cut);
                page.add_param(&p.mod_depth);
            });
        });
    }
}

impl Vst3Plugin for Reverb {
    const VST3_CLASS_ID: [u8; 16] = *b"LatheReverbFDN01";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::Reverb,
        Vst3SubCategory::Stereo,
    ];
}

nice_export_clap!(Reverb);
nice_export_vst3!(Reverb);

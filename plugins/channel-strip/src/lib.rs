//! Lathe Channel Strip: input trim and polarity, high- and low-pass filters, a four-band
//! analog-matched EQ, gate, compressor (before or after the EQ), saturation, pan and width, and
//! output trim. Zero latency, mono or stereo.

pub mod editor;
pub mod params;
pub mod presets;

use dsp_core::dynamics::{Compressor, Gate};
use dsp_core::eq::Equalizer;
use dsp_core::gain::Gain;
use dsp_core::imager::Imager;
use dsp_core::saturation::Saturation;
use lathe_shared::bypass::Bypass;
use lathe_shared::editor::repaint::AudioWake;
use lathe_shared::editor::stream::{ReaderSlot, StreamWriter};
use lathe_shared::meters::{BlockLevel, LevelReadout, MeterValue};
use lathe_shared::state;
use nice_plug::prelude::*;
use params::{ChannelStripParams, STATE_VERSION};
use std::sync::Arc;

pub const CLAP_ID: &str = "audio.lathe.channel-strip";

/// What the editor shows, published lock-free from the audio thread.
#[derive(Debug, Default)]
pub struct Meters {
    pub input: LevelReadout,
    pub output: LevelReadout,
    /// Gain reduction since the editor's last read, dB (positive).
    pub gate_gr_db: MeterValue,
    pub comp_gr_db: MeterValue,
}

pub struct ChannelStrip {
    params: Arc<ChannelStripParams>,
    pub meters: Arc<Meters>,
    in_level: BlockLevel,
    out_level: BlockLevel,
    input: Gain,
    filters: Equalizer,
    eq: Equalizer,
    gate: Gate,
    comp: Compressor,
    saturation: Saturation,
    imager: Imager,
    output: Gain,
    bypass: Bypass,
    /// The parameter values last pushed to the DSP (`None`: push on the next block).
    applied: Option<[f32; PARAM_COUNT]>,
    editor_state: Arc<nice_plug_egui::EguiEditorState>,
    wake: AudioWake,
    /// Pre (input) and post (output) mono sums for the editor's analyzer.
    scope: StreamWriter,
    scope_reader: ReaderSlot,
    scope_buf: [Vec<f32>; 2],
}

impl Default for ChannelStrip {
    fn default() -> Self {
        let params = Arc::new(ChannelStripParams::default());
        Self {
            editor_state: lathe_shared::editor::scale::editor_state(
                editor::SIZE,
                &params.editor_scale,
            ),
            params,
            meters: Arc::new(Meters::default()),
            in_level: BlockLevel::default(),
            out_level: BlockLevel::default(),
            input: Gain::default(),
            filters: params::filters_layout(),
            eq: params::eq_layout(),
            gate: Gate::new(),
            comp: Compressor::new(),
            saturation: Saturation::new(),
            imager: Imager::new(),
            output: Gain::default(),
            bypass: Bypass::default(),
            applied: None,
            wake: AudioWake::default(),
            scope: StreamWriter::default(),
            scope_reader: ReaderSlot::default(),
            scope_buf: [Vec::new(), Vec::new()],
        }
    }
}

/// Sums up to two channels to mono into `out` (the analyzer shows the strip's total spectrum).
fn mono_sum(channels: &[&mut [f32]], out: &mut [f32]) {
    let n = out.len();
    match channels {
        [l, r, ..] => {
            for ((o, a), b) in out.iter_mut().zip(&l[..n]).zip(&r[..n]) {
                *o = 0.5 * (a + b);
            }
        }
        [m] => out.copy_from_slice(&m[..n]),
        [] => {}
    }
}

/// Number of parameters in [`param_snapshot`].
const PARAM_COUNT: usize = 46;

/// Every parameter's normalised value: `apply_params` compares it with the previous block's and
/// only pushes settings to the DSP when something moved. The setters are idempotent, but at
/// 128-sample blocks calling all of them every block (the EQ's and the imager's included) cost
/// more than the compressor's audio path.
fn param_snapshot(p: &ChannelStripParams) -> [f32; PARAM_COUNT] {
    fn n(p: &impl Param) -> f32 {
        p.modulated_normalized_value()
    }
    [
        n(&p.bypass),
        n(&p.in_gain),
        n(&p.phase),
        n(&p.hpf_on),
        n(&p.hpf_freq),
        n(&p.hpf_slope),
        n(&p.lpf_on),
        n(&p.lpf_freq),
        n(&p.lpf_slope),
        n(&p.eq_on),
        n(&p.eq_lf_type),
        n(&p.eq_lf_freq),
        n(&p.eq_lf_gain),
        n(&p.eq_lf_q),
        n(&p.eq_lmf_freq),
        n(&p.eq_lmf_gain),
        n(&p.eq_lmf_q),
        n(&p.eq_hmf_freq),
        n(&p.eq_hmf_gain),
        n(&p.eq_hmf_q),
        n(&p.eq_hf_type),
        n(&p.eq_hf_freq),
        n(&p.eq_hf_gain),
        n(&p.eq_hf_q),
        n(&p.gate_on),
        n(&p.gate_threshold),
        n(&p.gate_range),
        n(&p.gate_attack),
        n(&p.gate_hold),
        n(&p.gate_release),
        n(&p.comp_on),
        n(&p.comp_threshold),
        n(&p.comp_ratio),
        n(&p.comp_knee),
        n(&p.comp_attack),
        n(&p.comp_release),
        n(&p.comp_auto_release),
        n(&p.comp_makeup),
        n(&p.comp_auto_makeup),
        n(&p.comp_mix),
        n(&p.comp_sc_hpf),
        n(&p.dyn_pre_eq),
        n(&p.sat_drive),
        n(&p.pan),
        n(&p.width),
        n(&p.out_gain),
    ]
}

impl ChannelStrip {
    fn apply_params(&mut self) {
        let snapshot = param_snapshot(&self.params);
        if self.applied == Some(snapshot) {
            return;
        }
        self.applied = Some(snapshot);
        let p = &self.params;
        let v = |param: &FloatParam| param.value() as f64;

        self.input.set_gain_db(v(&p.in_gain));
        self.input.set_invert(p.phase.value());

        p.configure_filters(&mut self.filters);
        p.configure_eq(&mut self.eq);

        let g = &mut self.gate;
        g.set_threshold_db(v(&p.gate_threshold));
        g.set_range_db(if p.gate_on.value() {
            v(&p.gate_range)
        } else {
            0.0
        });
        g.set_attack_ms(v(&p.gate_attack));
        g.set_hold_ms(v(&p.gate_hold));
        g.set_release_ms(v(&p.gate_release));

        let c = &mut self.comp;
        c.set_threshold_db(v(&p.comp_threshold));
        c.set_ratio(if p.comp_on.value() {
            v(&p.comp_ratio)
        } else {
            1.0
        });
        c.set_knee_db(v(&p.comp_knee));
        c.set_attack_ms(v(&p.comp_attack));
        c.set_release_ms(v(&p.comp_release));
        c.set_auto_release(p.comp_auto_release.value());
        c.set_makeup_db(if p.comp_on.value() {
            v(&p.comp_makeup)
        } else {
            0.0
        });
        c.set_auto_makeup(p.comp_on.value() && p.comp_auto_makeup.value());
        c.set_mix(v(&p.comp_mix) / 100.0);
        let sc_hpf = v(&p.comp_sc_hpf);
        c.set_sidechain_hpf(sc_hpf > 20.5, sc_hpf);

        self.saturation.set_drive_percent(v(&p.sat_drive));
        self.imager.set_pan(v(&p.pan));
        self.imager.set_width_percent(v(&p.width));
        self.output.set_gain_db(v(&p.out_gain));
        self.bypass.set_bypassed(p.bypass.value());
    }
}

fn migrate(_state: &mut PluginState, _from: u32) {}

impl Plugin for ChannelStrip {
    const NAME: &'static str = "Lathe Channel Strip";
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

    type Editor = lathe_shared::editor::shell::Editor<editor::ChannelStripEditor>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(
            self.params.clone(),
            self.meters.clone(),
            self.scope_reader.clone(),
            self.editor_state.clone(),
            &self.wake,
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
        let channels = layout.main_output_channels.map_or(2, |c| c.get() as usize);
        // Settings before `prepare`: it designs each EQ band's full correction fit for them off
        // the audio thread, so a fresh and a reactivated instance start from the same design
        // (the step-by-step fit on the audio thread is for changes while running).
        self.applied = None;
        self.apply_params();
        self.in_level.prepare(sr);
        self.out_level.prepare(sr);
        self.input.prepare(sr, max);
        self.filters.prepare(sr, max);
        self.eq.prepare(sr, max);
        self.gate.prepare(sr, max);
        self.comp.prepare(sr, max);
        self.saturation.prepare(sr, max);
        self.imager.prepare(sr, max);
        // The strip's editor shows no correlation, so the imager's meter would only cost time.
        self.imager.set_metering(false);
        self.output.prepare(sr, max);
        self.bypass.prepare(sr, max, channels, 0);
        self.scope_buf = [vec![0.0; max], vec![0.0; max]];
        // Half a second of frames: the editor drains at 30 frames/s, so it never overflows
        // while open.
        self.scope
            .open((sr / 2.0) as usize, sr as f32, &self.scope_reader);
        true
    }

    fn reset(&mut self) {
        self.applied = None;
        self.apply_params();
        self.in_level.reset();
        self.out_level.reset();
        self.input.reset();
        self.filters.reset();
        self.eq.reset();
        self.gate.reset();
        self.comp.reset();
        self.saturation.reset();
        self.imager.reset();
        self.output.reset();
        self.bypass.reset();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let channels = buffer.as_slice();
        if channels.is_empty() || channels[0].is_empty() {
            return ProcessStatus::Normal;
        }
        if lathe_shared::poison::scrub(channels) {
            self.reset();
        }
        self.apply_params();
        self.bypass.capture(channels);
        self.in_level.measure(channels);
        let scoped = self.editor_state.is_open();
        let len = channels[0].len().min(self.scope_buf[0].len());
        if scoped {
            mono_sum(channels, &mut self.scope_buf[0][..len]);
        }
        self.input.process(channels);
        if self.params.dyn_pre_eq.value() {
            self.filters.process(channels);
            self.gate.process(channels);
            self.comp.process(channels);
            self.eq.process(channels);
        } else {
            // Back to back: one conversion to `f64` frames and back for both.
            self.filters.process_then(&mut self.eq, channels);
            self.gate.process(channels);
            self.comp.process(channels);
        }
        self.saturation.process(channels);
        if channels.len() == 2 {
            self.imager.process(channels);
        }
        self.output.process(channels);
        self.bypass.apply(channels);
        self.out_level.measure(channels);
        if scoped {
            mono_sum(channels, &mut self.scope_buf[1][..len]);
            let [pre, post] = &self.scope_buf;
            self.scope.push(&pre[..len], &post[..len]);
        }
        let m = &self.meters;
        m.input.publish_block(&self.in_level);
        m.output.publish_block(&self.out_level);
        let gate_gr = self
            .gate
            .gain_reduction_db(0)
            .max(self.gate.gain_reduction_db(1));
        let comp_gr = self
            .comp
            .gain_reduction_db(0)
            .max(self.comp.gain_reduction_db(1));
        m.gate_gr_db.update_max(gate_gr);
        m.comp_gr_db.update_max(comp_gr);
        let peak = self
            .in_level
            .max_peak_db()
            .max(self.out_level.max_peak_db());
        self.wake.wake_if(peak, gate_gr.max(comp_gr));
        ProcessStatus::Normal
    }
}

impl ClapPlugin for ChannelStrip {
    const CLAP_ID: &'static str = CLAP_ID;
    const CLAP_DESCRIPTION: Option<&'static str> = Some(env!("CARGO_PKG_DESCRIPTION"));
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Equalizer,
        ClapFeature::Compressor,
        ClapFeature::Gate,
        ClapFeature::Mixing,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];

    fn remote_controls(&self, context: &mut impl RemoteControlsContext) {
        let p = &self.params;
        context.add_section("Channel Strip", |section| {
            section.add_page("Main", |page| {
                page.add_param(&p.in_gain);
                page.add_param(&p.hpf_freq);
                page.add_param(&p.comp_threshold);
                page.add_param(&p.comp_ratio);
                page.add_param(&p.sat_drive);
                page.add_param(&p.pan);
                page.add_param(&p.width);
                page.add_param(&p.out_gain);
            });
            section.add_page("EQ", |page| {
                page.add_param(&p.eq_lf_freq);
                page.add_param(&p.eq_lf_gain);
                page.add_param(&p.eq_lmf_freq);
                page.add_param(&p.eq_lmf_gain);
                page.add_param(&p.eq_hmf_freq);
                page.add_param(&p.eq_hmf_gain);
                page.add_param(&p.eq_hf_freq);
                page.add_param(&p.eq_hf_gain);
            });
            section.add_page("Dynamics", |page| {
                page.add_param(&p.comp_threshold);
                page.add_param(&p.comp_ratio);
                page.add_param(&p.comp_attack);
                page.add_param(&p.comp_release);
                page.add_param(&p.comp_makeup);
                page.add_param(&p.comp_mix);
                page.add_param(&p.gate_threshold);
                page.add_param(&p.gate_range);
            });
            section.add_page("Filters", |page| {
                page.add_param(&p.hpf_on);
                page.add_param(&p.hpf_freq);
                page.add_param(&p.hpf_slope);
                page.add_param(&p.lpf_on);
                page.add_param(&p.lpf_freq);
                page.add_param(&p.lpf_slope);
                page.add_param(&p.phase);
                page.add_param(&p.eq_on);
            });
        });
    }
}

impl Vst3Plugin for ChannelStrip {
    const VST3_CLASS_ID: [u8; 16] = *b"LatheChanStrip01";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::Eq,
        Vst3SubCategory::Dynamics,
        Vst3SubCategory::Stereo,
    ];
}

nice_export_clap!(ChannelStrip);
nice_export_vst3!(ChannelStrip);

#[cfg(test)]
mod tests {
    use super::*;

    /// A parameter missing from the snapshot would never reach the DSP after the first block.
    #[test]
    fn the_snapshot_covers_every_parameter() {
        assert_eq!(PARAM_COUNT, ChannelStripParams::default().param_map().len());
    }
}

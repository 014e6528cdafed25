//! Lathe Channel Strip: input trim and polarity, high- and low-pass filters, a four-band
//! analog-matched EQ, gate, compressor (before or after the EQ), saturation, pan and width, and
//! output trim. Zero latency, mono or stereo.

pub mod params;

use dsp_core::dynamics::{Compressor, Gate};
use dsp_core::eq::{BandParams, Equalizer, FilterType, Slope as EqSlope};
use dsp_core::gain::Gain;
use dsp_core::imager::Imager;
use dsp_core::saturation::Saturation;
use lathe_shared::bypass::Bypass;
use lathe_shared::meters::{BlockLevel, LevelReadout, MeterValue};
use lathe_shared::state;
use nice_plug::prelude::*;
use params::{ChannelStripParams, ShelfOrBell, Slope, STATE_VERSION};
use std::f64::consts::FRAC_1_SQRT_2;
use std::sync::Arc;

pub const CLAP_ID: &str = "audio.lathe.channel-strip";

/// Band indices of the two equalizers.
const HPF: usize = 0;
const LPF: usize = 1;
const LF: usize = 0;
const LMF: usize = 1;
const HMF: usize = 2;
const HF: usize = 3;

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
}

impl Default for ChannelStrip {
    fn default() -> Self {
        let q = FRAC_1_SQRT_2;
        Self {
            params: Arc::new(ChannelStripParams::default()),
            meters: Arc::new(Meters::default()),
            in_level: BlockLevel::default(),
            out_level: BlockLevel::default(),
            input: Gain::default(),
            filters: Equalizer::with_bands(&[
                BandParams::new(FilterType::LowCut, 80.0, 0.0, q),
                BandParams::new(FilterType::HighCut, 18_000.0, 0.0, q),
            ]),
            eq: Equalizer::with_bands(&[
                BandParams::new(FilterType::LowShelf, 100.0, 0.0, q),
                BandParams::new(FilterType::Bell, 400.0, 0.0, 1.0),
                BandParams::new(FilterType::Bell, 2500.0, 0.0, 1.0),
                BandParams::new(FilterType::HighShelf, 8000.0, 0.0, q),
            ]),
            gate: Gate::new(),
            comp: Compressor::new(),
            saturation: Saturation::new(),
            imager: Imager::new(),
            output: Gain::default(),
            bypass: Bypass::default(),
            applied: None,
        }
    }
}

fn eq_slope(s: Slope) -> EqSlope {
    match s {
        Slope::Db6 => EqSlope::Db6,
        Slope::Db12 => EqSlope::Db12,
        Slope::Db18 => EqSlope::Db18,
        Slope::Db24 => EqSlope::Db24,
        Slope::Db36 => EqSlope::Db36,
        Slope::Db48 => EqSlope::Db48,
    }
}

fn shelf_or_bell(t: ShelfOrBell, shelf: FilterType) -> FilterType {
    match t {
        ShelfOrBell::Shelf => shelf,
        ShelfOrBell::Bell => FilterType::Bell,
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

        let f = &mut self.filters;
        f.set_enabled(HPF, p.hpf_on.value());
        f.set_freq(HPF, v(&p.hpf_freq));
        f.set_slope(HPF, eq_slope(p.hpf_slope.value()));
        f.set_enabled(LPF, p.lpf_on.value());
        f.set_freq(LPF, v(&p.lpf_freq));
        f.set_slope(LPF, eq_slope(p.lpf_slope.value()));

        let eq_on = p.eq_on.value();
        let e = &mut self.eq;
        let bands = [
            (LF, &p.eq_lf_freq, &p.eq_lf_gain, &p.eq_lf_q),
            (LMF, &p.eq_lmf_freq, &p.eq_lmf_gain, &p.eq_lmf_q),
            (HMF, &p.eq_hmf_freq, &p.eq_hmf_gain, &p.eq_hmf_q),
            (HF, &p.eq_hf_freq, &p.eq_hf_gain, &p.eq_hf_q),
        ];
        for (band, freq, gain, q) in bands {
            e.set_enabled(band, eq_on);
            e.set_freq(band, v(freq));
            e.set_gain_db(band, v(gain));
            e.set_q(band, v(q));
        }
        e.set_kind(
            LF,
            shelf_or_bell(p.eq_lf_type.value(), FilterType::LowShelf),
        );
        e.set_kind(
            HF,
            shelf_or_bell(p.eq_hf_type.value(), FilterType::HighShelf),
        );

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

    type Editor = ();
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
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
        self.in_level.prepare(sr);
        self.out_level.prepare(sr);
        self.input.prepare(sr, max);
        self.filters.prepare(sr, max);
        self.eq.prepare(sr, max);
        self.gate.prepare(sr, max);
        self.comp.prepare(sr, max);
        self.saturation.prepare(sr, max);
        self.imager.prepare(sr, max);
        self.output.prepare(sr, max);
        self.bypass.prepare(sr, max, channels, 0);
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
        self.apply_params();
        self.bypass.capture(channels);
        self.in_level.measure(channels);
        self.input.process(channels);
        self.filters.process(channels);
        if self.params.dyn_pre_eq.value() {
            self.gate.process(channels);
            self.comp.process(channels);
            self.eq.process(channels);
        } else {
            self.eq.process(channels);
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
        let m = &self.meters;
        m.input.publish_block(&self.in_level);
        m.output.publish_block(&self.out_level);
        m.gate_gr_db.update_max(
            self.gate
                .gain_reduction_db(0)
                .max(self.gate.gain_reduction_db(1)),
        );
        m.comp_gr_db.update_max(
            self.comp
                .gain_reduction_db(0)
                .max(self.comp.gain_reduction_db(1)),
        );
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

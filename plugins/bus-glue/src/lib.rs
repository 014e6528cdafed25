//! Lathe Bus Glue: a console-style stereo bus compressor (dsp-core's compressor in its bus
//! character) with stepped controls, range, mix, a side-chain high-pass and an optional external
//! stereo side-chain input.

pub mod editor;
pub mod params;
pub mod presets;

use dsp_core::dynamics::{Compressor, Detection, Topology};
use dsp_core::filter::{BiquadCoeffs, BiquadState};
use dsp_core::gain::Gain;
use lathe_shared::bypass::Bypass;
use lathe_shared::channels::stereo_view;
use lathe_shared::editor::repaint::AudioWake;
use lathe_shared::meters::{BlockLevel, LevelReadout, MeterValue};
use lathe_shared::state;
use nice_plug::prelude::*;
use params::{BusGlueParams, STATE_VERSION};
use std::sync::Arc;

pub const CLAP_ID: &str = "audio.lathe.bus-glue";

/// What the editor shows, published lock-free from the audio thread.
#[derive(Debug, Default)]
pub struct Meters {
    pub input: LevelReadout,
    pub output: LevelReadout,
    /// Gain reduction since the editor's last read, dB (positive).
    pub gr_db: MeterValue,
}

pub struct BusGlue {
    params: Arc<BusGlueParams>,
    pub meters: Arc<Meters>,
    in_level: BlockLevel,
    out_level: BlockLevel,
    comp: Compressor,
    output: Gain,
    bypass: Bypass,
    editor_state: Arc<nice_plug_egui::EguiEditorState>,
    wake: AudioWake,
    listen: Listen,
}

/// Side-chain listen: the key the detector sees, rebuilt with the detector's own high-pass
/// (dsp-core's compressor: 12 dB/oct Butterworth, bypassed at the bottom of the range) on a
/// copy of the key taken before compression.
struct Listen {
    key: [Vec<f32>; 2],
    hpf: [BiquadState; 2],
    coeffs: BiquadCoeffs,
    freq: f64,
    sample_rate: f64,
}

impl Default for Listen {
    fn default() -> Self {
        Self {
            key: [Vec::new(), Vec::new()],
            hpf: [BiquadState::default(); 2],
            coeffs: BiquadCoeffs::default(),
            freq: 0.0,
            sample_rate: 48_000.0,
        }
    }
}

impl Listen {
    fn prepare(&mut self, sample_rate: f64, max_block: usize) {
        self.sample_rate = sample_rate;
        self.key = [vec![0.0; max_block], vec![0.0; max_block]];
        self.freq = 0.0;
    }

    fn reset(&mut self) {
        self.hpf.iter_mut().for_each(BiquadState::reset);
    }

    /// Copies the key (up to two channels) before the compressor changes the signal.
    fn capture(&mut self, key: &[&[f32]], len: usize) {
        for (c, dst) in self.key.iter_mut().enumerate() {
            let src = key[c.min(key.len() - 1)];
            dst[..len].copy_from_slice(&src[..len]);
        }
    }

    /// Writes the filtered key into the output channels.
    fn render(&mut self, out: &mut [&mut [f32]], sc_hpf: f64) {
        let filtered = sc_hpf > 20.5;
        if filtered && sc_hpf != self.freq {
            self.coeffs = BiquadCoeffs::rbj_highpass(
                self.sample_rate,
                sc_hpf,
                std::f64::consts::FRAC_1_SQRT_2,
            );
            self.freq = sc_hpf;
        }
        for (c, ch) in out.iter_mut().enumerate().take(2) {
            let len = ch.len();
            let key = &self.key[c][..len];
            let state = &mut self.hpf[c];
            for (y, &x) in ch.iter_mut().zip(key) {
                *y = if filtered {
                    let v = state.tick(&self.coeffs, x as f64);
                    state.flush();
                    v as f32
                } else {
                    x
                };
            }
        }
    }
}

/// The bus character: a soft knee and one gain for both channels (the stereo image never
/// shifts). Feed-forward detection, so attack and release take exactly the stepped times the
/// panel shows at every ratio (a feedback detector speeds the attack up with the ratio).
fn bus_character(c: &mut Compressor) {
    c.set_topology(Topology::FeedForward);
    c.set_detection(Detection::Peak);
    c.set_knee_db(6.0);
    c.set_stereo_link(1.0);
}

impl Default for BusGlue {
    fn default() -> Self {
        let params = Arc::new(BusGlueParams::default());
        Self {
            editor_state: lathe_shared::editor::scale::editor_state(
                editor::SIZE,
                &params.editor_scale,
            ),
            params,
            meters: Arc::new(Meters::default()),
            in_level: BlockLevel::default(),
            out_level: BlockLevel::default(),
            comp: {
                let mut c = Compressor::new();
                bus_character(&mut c);
                c
            },
            output: Gain::default(),
            bypass: Bypass::default(),
            wake: AudioWake::default(),
            listen: Listen::default(),
        }
    }
}

impl BusGlue {
    fn apply_params(&mut self) {
        let p = &self.params;
        let c = &mut self.comp;
        c.set_threshold_db(p.threshold.value() as f64);
        c.set_ratio(p.ratio.value().value());
        c.set_attack_ms(p.attack.value().ms());
        match p.release.value().ms() {
            Some(ms) => {
                c.set_auto_release(false);
                c.set_release_ms(ms);
            }
            None => c.set_auto_release(true),
        }
        c.set_makeup_db(p.makeup.value() as f64);
        c.set_range_db(p.range.value() as f64);
        c.set_mix(p.mix.value() as f64 / 100.0);
        // The bottom of the range (20 Hz) is "off": a flat side chain.
        let sc_hpf = p.sc_hpf.value() as f64;
        c.set_sidechain_hpf(sc_hpf > 20.5, sc_hpf);
        self.output.set_gain_db(p.out_gain.value() as f64);
        self.bypass.set_bypassed(p.bypass.value());
    }
}

fn migrate(_state: &mut PluginState, _from: u32) {}

impl Plugin for BusGlue {
    const NAME: &'static str = "Lathe Bus Glue";
    const VENDOR: &'static str = "Lathe Audio";
    const URL: &'static str = "";
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            aux_input_ports: &[new_nonzero_u32(2)],
            names: PortNames {
                aux_inputs: &["Sidechain"],
                ..PortNames::const_default()
            },
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
    ];
    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type Editor = lathe_shared::editor::shell::Editor<editor::BusGlueEditor>;
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
            &self.wake,
        )
    }

    fn filter_state(state: &mut PluginState) {
        state::guard(state, CLAP_ID, STATE_VERSION, migrate);
    }

    fn activate(
        &mut self,
        _layout: &AudioIOLayout,
        config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let sr = config.sample_rate as f64;
        let max = config.max_buffer_size as usize;
        self.in_level.prepare(sr);
        self.out_level.prepare(sr);
        self.comp.prepare(sr, max);
        self.output.prepare(sr, max);
        self.bypass.prepare(sr, max, 2, 0);
        self.listen.prepare(sr, max);
        true
    }

    fn reset(&mut self) {
        self.apply_params();
        self.in_level.reset();
        self.out_level.reset();
        self.comp.reset();
        self.output.reset();
        self.bypass.reset();
        self.listen.reset();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        aux: &mut AuxiliaryBuffers,
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let channels = buffer.as_slice();
        if channels.is_empty() || channels[0].is_empty() {
            return ProcessStatus::Normal;
        }
        let external = self.params.sc_external.value();
        let mut poisoned = lathe_shared::poison::scrub(channels);
        // The side-chain input is read only as the external key.
        if external {
            for sc in aux.inputs.iter_mut() {
                poisoned |= lathe_shared::poison::scrub(sc.as_slice());
            }
        }
        if poisoned {
            self.reset();
        }
        self.apply_params();
        self.bypass.capture(channels);
        // Meters are for the editor: a closed one costs nothing per block.
        let metering = self.editor_state.is_open();
        if metering {
            self.in_level.measure(channels);
        }
        let listen = self.params.sc_listen.value();
        let len = channels[0].len().min(self.listen.key[0].len());
        match aux.inputs.first_mut() {
            Some(sc) if external && sc.channels() > 0 => {
                let sc = sc.as_slice_immutable();
                let left: &[f32] = &sc[0][..];
                let right: &[f32] = &sc[sc.len().min(2) - 1][..];
                if listen {
                    self.listen.capture(&[left, right], len);
                }
                self.comp.process_with_sidechain(channels, &[left, right]);
            }
            _ => {
                if listen {
                    let (view, n) = stereo_view(channels);
                    self.listen.capture(&view[..n], len);
                }
                self.comp.process(channels);
            }
        }
        self.output.process(channels);
        if listen {
            self.listen
                .render(channels, self.params.sc_hpf.value() as f64);
        } else {
            self.listen.reset();
        }
        self.bypass.apply(channels);
        if !metering {
            return ProcessStatus::Normal;
        }
        self.out_level.measure(channels);
        let m = &self.meters;
        m.input.publish_block(&self.in_level);
        m.output.publish_block(&self.out_level);
        let gr = self
            .comp
            .gain_reduction_db(0)
            .max(self.comp.gain_reduction_db(1));
        m.gr_db.update_max(gr);
        let peak = self
            .in_level
            .max_peak_db()
            .max(self.out_level.max_peak_db());
        self.wake.wake_if(peak, gr);
        ProcessStatus::Normal
    }
}

impl ClapPlugin for BusGlue {
    const CLAP_ID: &'static str = CLAP_ID;
    const CLAP_DESCRIPTION: Option<&'static str> = Some(env!("CARGO_PKG_DESCRIPTION"));
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Compressor,
        ClapFeature::Mixing,
        ClapFeature::Stereo,
    ];

    fn remote_controls(&self, context: &mut impl RemoteControlsContext) {
        let p = &self.params;
        context.add_section("Bus Glue", |section| {
            section.add_page("Main", |page| {
                page.add_param(&p.threshold);
                page.add_param(&p.ratio);
                page.add_param(&p.attack);
                page.add_param(&p.release);
                page.add_param(&p.makeup);
                page.add_param(&p.mix);
                page.add_param(&p.range);
                page.add_param(&p.out_gain);
            });
            section.add_page("Sidechain", |page| {
                page.add_param(&p.sc_hpf);
                page.add_param(&p.sc_external);
                page.add_param(&p.sc_listen);
            });
        });
    }
}

impl Vst3Plugin for BusGlue {
    const VST3_CLASS_ID: [u8; 16] = *b"LatheBusGlueComp";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::Dynamics,
        Vst3SubCategory::Stereo,
    ];
}

nice_export_clap!(BusGlue);
nice_export_vst3!(BusGlue);

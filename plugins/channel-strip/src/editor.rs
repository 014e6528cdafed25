//! The Channel Strip editor: header (presets, scale), then the EQ display over the live spectrum
//! between the input and output meters, then the sections in signal-flow order: input, filters,
//! EQ bands, gate, compressor, then saturation, pan/width and output gain in one stage.

mod eq_display;

use crate::params::ChannelStripParams;
use crate::Meters;
use dsp_core::meter::spectrum::SpectrumAnalyzer;
use egui::{vec2, Ui};
use eq_display::EqDisplay;
use lathe_shared::editor::meter::{GainReductionMeter, LevelMeter};
use lathe_shared::editor::repaint::AudioWake;
use lathe_shared::editor::shell::{self, Editor, Page};
use lathe_shared::editor::stream::ReaderSlot;
use lathe_shared::editor::{choice, header, scale, section, theme, Knob, PresetMenu, Toggle};
use nice_plug::prelude::*;
use nice_plug_egui::EguiEditorState;
use std::sync::Arc;

/// The layout's size in points at 100 %.
pub const SIZE: egui::Vec2 = vec2(1160.0, 615.0);
const ACCENT: egui::Color32 = theme::accent::CHANNEL_STRIP;
/// 8192-sample frames resolve 5.9 Hz at 48 kHz (see dsp-core's spectrum analyzer).
const FFT_SIZE: usize = 8192;

pub fn create(
    params: Arc<ChannelStripParams>,
    meters: Arc<Meters>,
    reader: ReaderSlot,
    state: Arc<EguiEditorState>,
    wake: &AudioWake,
) -> Option<Editor<ChannelStripEditor>> {
    let page = ChannelStripEditor {
        presets: PresetMenu::new(crate::presets::FACTORY, crate::presets::identity()),
        params,
        meters,
        reader,
        input: LevelMeter::default(),
        output: LevelMeter::default(),
        gate_gr: GainReductionMeter::default(),
        comp_gr: GainReductionMeter::default(),
        analyzers: None,
        display: EqDisplay::new(),
    };
    shell::create(page, state, wake.notifier())
}

struct Analyzers {
    pre: SpectrumAnalyzer,
    post: SpectrumAnalyzer,
    sample_rate: f32,
}

pub struct ChannelStripEditor {
    params: Arc<ChannelStripParams>,
    meters: Arc<Meters>,
    reader: ReaderSlot,
    presets: PresetMenu<ChannelStripParams>,
    input: LevelMeter,
    output: LevelMeter,
    gate_gr: GainReductionMeter,
    comp_gr: GainReductionMeter,
    analyzers: Option<Analyzers>,
    display: EqDisplay,
}

impl ChannelStripEditor {
    /// Feeds what the audio thread streamed into the analyzers; returns whether the spectrum moved.
    fn analyze(&mut self, dt: f32) -> bool {
        let mut slot = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let Some(reader) = slot.as_mut() else {
            return false;
        };
        let sr = reader.sample_rate();
        if self.analyzers.as_ref().is_none_or(|a| a.sample_rate != sr) {
            self.analyzers = Some(Analyzers {
                pre: SpectrumAnalyzer::new(sr as f64, FFT_SIZE),
                post: SpectrumAnalyzer::new(sr as f64, FFT_SIZE),
                sample_rate: sr,
            });
        }
        let a = self.analyzers.as_mut().expect("created above");
        let mut fresh = false;
        reader.drain(|[pre, post]| {
            a.pre.push(pre);
            a.post.push(post);
            fresh = true;
        });
        // Without new audio the frames are the same; analyzing lets the display fall.
        let moved_pre = a.pre.analyze(dt);
        let moved_post = a.post.analyze(dt);
        fresh || moved_pre || moved_post
    }
}

impl Page for ChannelStripEditor {
    const TITLE: &'static str = "Lathe Channel Strip";
    const ACCENT: egui::Color32 = ACCENT;

    fn scale(&self) -> &AtomicF32 {
        &self.params.editor_scale
    }

    fn draw(&mut self, ui: &mut Ui, setter: &ParamSetter, dt: f32) -> bool {
        let mut moving = self.input.update(&self.meters.input, dt);
        moving |= self.output.update(&self.meters.output, dt);
        moving |= self.gate_gr.update(&self.meters.gate_gr_db, dt);
        moving |= self.comp_gr.update(&self.meters.comp_gr_db, dt);
        moving |= self.analyze(dt);

        let params = self.params.clone();
        let p = &*params;
        egui::CentralPanel::default().show(ui, |ui| {
            header(
                ui,
                "Channel Strip",
                ACCENT,
                &mut self.presets,
                p,
                setter,
                &p.editor_scale,
            );
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                self.input.show(ui, "IN", vec2(40.0, 290.0));
                let (rect, _) = ui.allocate_exact_size(
                    vec2(ui.available_width() - 46.0, 290.0),
                    egui::Sense::hover(),
                );
                let spectra = self
                    .analyzers
                    .as_ref()
                    .map(|a| (&a.pre, &a.post, a.sample_rate as f64));
                self.display.show(ui, rect, p, setter, spectra, ACCENT);
                self.output.show(ui, "OUT", vec2(40.0, 290.0));
            });
            ui.add_space(4.0);
            ui.horizontal_top(|ui| {
                let k = |ui: &mut Ui, param: &FloatParam, label: &str| {
                    ui.add(Knob::new(param, setter, ACCENT).label(label).diameter(34.0));
                };
                section(ui, "Input", ACCENT, None, |ui| {
                    ui.add(
                        Knob::new(&p.in_gain, setter, ACCENT)
                            .label("Gain")
                            .diameter(34.0)
                            .bipolar(),
                    );
                    ui.add(Toggle::new(&p.phase, setter, ACCENT).label("Ø Invert"));
                    ui.add(Toggle::new(&p.dyn_pre_eq, setter, ACCENT).label("Dyn > EQ"));
                });
                section(ui, "Filters", ACCENT, None, |ui| {
                    ui.horizontal_top(|ui| {
                        ui.vertical(|ui| {
                            ui.add(Toggle::new(&p.hpf_on, setter, ACCENT).label("HPF"));
                            k(ui, &p.hpf_freq, "Freq");
                            choice(ui, &p.hpf_slope, setter, 66.0);
                        });
                        ui.vertical(|ui| {
                            ui.add(Toggle::new(&p.lpf_on, setter, ACCENT).label("LPF"));
                            k(ui, &p.lpf_freq, "Freq");
                            choice(ui, &p.lpf_slope, setter, 66.0);
                        });
                    });
                });
                section(ui, "EQ", ACCENT, Some((&p.eq_on, setter)), |ui| {
                    egui::Grid::new("eq-bands")
                        .spacing(vec2(0.0, 0.0))
                        .show(ui, |ui| {
                            for (name, _) in ["LF", "LMF", "HMF", "HF"].iter().zip(0..) {
                                ui.label(
                                    egui::RichText::new(*name).color(theme::TEXT_DIM).size(10.0),
                                );
                            }
                            ui.end_row();
                            for (f, _, _) in p.eq_bands() {
                                ui.add(Knob::new(f, setter, ACCENT).label("Freq").diameter(28.0));
                            }
                            ui.end_row();
                            for (_, g, _) in p.eq_bands() {
                                ui.add(
                                    Knob::new(g, setter, ACCENT)
                                        .label("Gain")
                                        .diameter(28.0)
                                        .bipolar(),
                                );
                            }
                            ui.end_row();
                            for (i, (_, _, q)) in p.eq_bands().into_iter().enumerate() {
                                ui.vertical(|ui| {
                                    ui.add(Knob::new(q, setter, ACCENT).label("Q").diameter(28.0));
                                    match i {
                                        0 => {
                                            choice(ui, &p.eq_lf_type, setter, 56.0);
                                        }
                                        3 => {
                                            choice(ui, &p.eq_hf_type, setter, 56.0);
                                        }
                                        _ => {}
                                    }
                                });
                            }
                            ui.end_row();
                        });
                });
                section(ui, "Gate", ACCENT, Some((&p.gate_on, setter)), |ui| {
                    ui.horizontal_top(|ui| {
                        ui.vertical(|ui| {
                            k(ui, &p.gate_threshold, "Thresh");
                            k(ui, &p.gate_attack, "Attack");
                            k(ui, &p.gate_release, "Release");
                        });
                        ui.vertical(|ui| {
                            k(ui, &p.gate_range, "Range");
                            k(ui, &p.gate_hold, "Hold");
                        });
                        self.gate_gr.show_bar(ui, "GR", vec2(34.0, 190.0));
                    });
                });
                section(ui, "Compressor", ACCENT, Some((&p.comp_on, setter)), |ui| {
                    ui.horizontal_top(|ui| {
                        ui.vertical(|ui| {
                            k(ui, &p.comp_threshold, "Thresh");
                            k(ui, &p.comp_attack, "Attack");
                            k(ui, &p.comp_makeup, "Makeup");
                        });
                        ui.vertical(|ui| {
                            k(ui, &p.comp_ratio, "Ratio");
                            k(ui, &p.comp_release, "Release");
                            k(ui, &p.comp_mix, "Mix");
                        });
                        ui.vertical(|ui| {
                            k(ui, &p.comp_knee, "Knee");
                            k(ui, &p.comp_sc_hpf, "SC HPF");
                            ui.add(
                                Toggle::new(&p.comp_auto_release, setter, ACCENT).label("Auto Rel"),
                            );
                            ui.add(
                                Toggle::new(&p.comp_auto_makeup, setter, ACCENT).label("Auto Gain"),
                            );
                        });
                        self.comp_gr.show_bar(ui, "GR", vec2(34.0, 190.0));
                    });
                });
                section(ui, "Color · Image · Out", ACCENT, None, |ui| {
                    egui::Grid::new("output-stage")
                        .spacing(vec2(0.0, 4.0))
                        .show(ui, |ui| {
                            k(ui, &p.sat_drive, "Drive");
                            ui.add(
                                Knob::new(&p.pan, setter, ACCENT)
                                    .label("Pan")
                                    .diameter(34.0)
                                    .bipolar(),
                            );
                            ui.end_row();
                            k(ui, &p.width, "Width");
                            ui.add(
                                Knob::new(&p.out_gain, setter, ACCENT)
                                    .label("Output")
                                    .diameter(34.0)
                                    .bipolar(),
                            );
                            ui.end_row();
                        });
                });
            });
            scale::corner(ui, &p.editor_scale);
        });
        moving
    }
}

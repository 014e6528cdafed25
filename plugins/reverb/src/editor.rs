//! The Reverb's editor: input meter, the controls in signal-flow order (pre-delay and early
//! field, decay, wet tone and output), the decay display, and the output meter.

mod decay;

use crate::params::ReverbParams;
use crate::Meters;
use egui::{vec2, Ui};
use lathe_shared::editor::meter::LevelMeter;
use lathe_shared::editor::section::section_width;
use lathe_shared::editor::shell::{self, Page};
use lathe_shared::editor::theme::{self, accent::REVERB as ACCENT};
use lathe_shared::editor::{choice, header, scale, Knob, PresetMenu, Toggle};
use nice_plug::prelude::*;
use std::sync::Arc;

pub type Editor = shell::Editor<App>;

/// Logical size at 100 % scale.
pub const SIZE: egui::Vec2 = vec2(1020.0, 560.0);

pub fn create(
    params: Arc<ReverbParams>,
    meters: Arc<Meters>,
    state: Arc<nice_plug_egui::EguiEditorState>,
) -> Option<Editor> {
    let notifier = meters.wake.notifier();
    let page = App {
        presets: PresetMenu::new(crate::presets::FACTORY, crate::presets::identity()),
        params,
        meters,
        input: LevelMeter::default(),
        output: LevelMeter::default(),
        decay: decay::DecayDisplay::default(),
    };
    shell::create(page, state, notifier)
}

pub struct App {
    presets: PresetMenu<ReverbParams>,
    params: Arc<ReverbParams>,
    meters: Arc<Meters>,
    input: LevelMeter,
    output: LevelMeter,
    decay: decay::DecayDisplay,
}

impl Page for App {
    const TITLE: &'static str = "Lathe Reverb";
    const ACCENT: egui::Color32 = ACCENT;

    fn scale(&self) -> &AtomicF32 {
        &self.params.editor_scale
    }

    fn draw(&mut self, ui: &mut Ui, setter: &ParamSetter, dt: f32) -> bool {
        let p = self.params.clone();
        let now = ui.input(|i| i.time);
        let mut moving = self.input.update(&self.meters.input, dt);
        moving |= self.output.update(&self.meters.output, dt);
        moving |= self.decay.update(&self.meters, now);

        egui::CentralPanel::default()
            .frame(egui::Frame::new().fill(theme::BACKGROUND).inner_margin(10))
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    header(
                        ui,
                        "REVERB",
                        ACCENT,
                        &mut self.presets,
                        &*p,
                        setter,
                        &p.editor_scale,
                    );
                });
                ui.horizontal(|ui| {
                    ui.add(Toggle::new(&p.bypass, setter, ACCENT).label("Bypass"));
                    ui.add(Toggle::new(&p.freeze, setter, ACCENT).label("Freeze"));
                });
                ui.add_space(6.0);
                ui.horizontal_top(|ui| {
                    self.input.show(ui, "IN", vec2(44.0, 470.0));
                    ui.vertical(|ui| {
                        ui.horizontal_top(|ui| {
                            section_width(ui, 230.0, "Early", ACCENT, None, |ui| {
                                ui.horizontal(|ui| {
                                    ui.label("Mode");
                                    choice(ui, &p.mode, setter, 80.0);
                                });
                                egui::Grid::new("early")
                                    .spacing(vec2(6.0, 2.0))
                                    .show(ui, |ui| {
                                        knob(ui, &p.predelay, setter, "Pre-Delay");
                                        knob(ui, &p.size, setter, "Size");
                                        knob(ui, &p.diffusion, setter, "Diffusion");
                                    });
                            });
                            section_width(ui, 320.0, "Decay", ACCENT, None, |ui| {
                                egui::Grid::new("decay")
                                    .spacing(vec2(6.0, 2.0))
                                    .show(ui, |ui| {
                                        ui.add(
                                            Knob::new(&p.decay, setter, ACCENT)
                                                .label("Decay")
                                                .diameter(56.0),
                                        );
                                        knob(ui, &p.bass_mult, setter, "Bass Mult");
                                        knob(ui, &p.hf_damp, setter, "HF Damp");
                                        knob(ui, &p.mod_depth, setter, "Modulation");
                                    });
                            });
                            section_width(ui, 320.0, "Output", ACCENT, None, |ui| {
                                egui::Grid::new("output")
                                    .spacing(vec2(6.0, 2.0))
                                    .show(ui, |ui| {
                                        knob(ui, &p.low_cut, setter, "Low Cut");
                                        knob(ui, &p.high_cut, setter, "High Cut");
                                        knob(ui, &p.width, setter, "Width");
                                        ui.add(
                                            Knob::new(&p.mix, setter, ACCENT)
                                                .label("Mix")
                                                .diameter(56.0),
                                        );
                                    });
                            });
                        });
                        ui.add_space(8.0);
                        section_width(ui, 886.0, "Decay by band", ACCENT, None, |ui| {
                            self.decay.show(ui, &p, vec2(872.0, 300.0));
                        });
                    });
                    self.output.show(ui, "OUT", vec2(44.0, 470.0));
                });
            });
        scale::corner(ui, &p.editor_scale);
        moving
    }
}

fn knob<P: Param>(ui: &mut Ui, param: &P, setter: &ParamSetter, label: &str) {
    ui.add(Knob::new(param, setter, ACCENT).label(label));
}

//! The Bus Glue editor: a VU-style gain-reduction meter with peak hold at the centre, the
//! stepped console controls around it, the side-chain section (HPF, external key, listen) and
//! input/output meters at the edges.

use crate::params::BusGlueParams;
use crate::Meters;
use egui::{vec2, Ui};
use lathe_shared::editor::meter::{GainReductionMeter, LevelMeter};
use lathe_shared::editor::repaint::AudioWake;
use lathe_shared::editor::shell::{self, Editor, Page};
use lathe_shared::editor::{header, scale, section, theme, Knob, PresetMenu, Toggle};
use nice_plug::prelude::*;
use nice_plug_egui::EguiEditorState;
use std::sync::Arc;

/// The layout's size in points at 100 %.
pub const SIZE: egui::Vec2 = vec2(780.0, 430.0);
const ACCENT: egui::Color32 = theme::accent::BUS_GLUE;

pub fn create(
    params: Arc<BusGlueParams>,
    meters: Arc<Meters>,
    state: Arc<EguiEditorState>,
    wake: &AudioWake,
) -> Option<Editor<BusGlueEditor>> {
    let page = BusGlueEditor {
        presets: PresetMenu::new(crate::presets::FACTORY, crate::presets::identity()),
        params,
        meters,
        input: LevelMeter::default(),
        output: LevelMeter::default(),
        gr: GainReductionMeter::default(),
    };
    shell::create(page, state, wake.notifier())
}

pub struct BusGlueEditor {
    params: Arc<BusGlueParams>,
    meters: Arc<Meters>,
    presets: PresetMenu<BusGlueParams>,
    input: LevelMeter,
    output: LevelMeter,
    gr: GainReductionMeter,
}

impl Page for BusGlueEditor {
    const TITLE: &'static str = "Lathe Bus Glue";
    const ACCENT: egui::Color32 = ACCENT;

    fn scale(&self) -> &AtomicF32 {
        &self.params.editor_scale
    }

    fn draw(&mut self, ui: &mut Ui, setter: &ParamSetter, dt: f32) -> bool {
        let mut moving = self.input.update(&self.meters.input, dt);
        moving |= self.output.update(&self.meters.output, dt);
        moving |= self.gr.update(&self.meters.gr_db, dt);

        let params = self.params.clone();
        let p = &*params;
        egui::CentralPanel::default().show(ui, |ui| {
            header(
                ui,
                "Bus Glue",
                ACCENT,
                &mut self.presets,
                p,
                setter,
                &p.editor_scale,
            );
            ui.add_space(6.0);
            ui.horizontal_top(|ui| {
                self.input.show(ui, "IN", vec2(40.0, 350.0));
                ui.vertical(|ui| {
                    self.gr.show_vu(ui, vec2(300.0, 170.0), ACCENT);
                    ui.add_space(4.0);
                    section(ui, "Sidechain", ACCENT, None, |ui| {
                        ui.set_width(288.0);
                        ui.horizontal(|ui| {
                            ui.add(
                                Knob::new(&p.sc_hpf, setter, ACCENT)
                                    .label("SC HPF")
                                    .diameter(40.0),
                            );
                            ui.vertical(|ui| {
                                ui.add_space(10.0);
                                ui.add(
                                    Toggle::new(&p.sc_external, setter, ACCENT)
                                        .label("External Key"),
                                );
                                ui.add(Toggle::new(&p.sc_listen, setter, ACCENT).label("Listen"));
                            });
                        });
                    });
                });
                section(ui, "Compressor", ACCENT, None, |ui| {
                    egui::Grid::new("bus-glue-controls")
                        .spacing(vec2(4.0, 6.0))
                        .show(ui, |ui| {
                            ui.add(Knob::new(&p.threshold, setter, ACCENT).diameter(46.0));
                            ui.add(Knob::new(&p.ratio, setter, ACCENT).diameter(46.0));
                            ui.add(Knob::new(&p.makeup, setter, ACCENT).diameter(46.0));
                            ui.end_row();
                            ui.add(Knob::new(&p.attack, setter, ACCENT).diameter(46.0));
                            ui.add(Knob::new(&p.release, setter, ACCENT).diameter(46.0));
                            ui.add(Knob::new(&p.range, setter, ACCENT).diameter(46.0));
                            ui.end_row();
                            ui.add(Knob::new(&p.mix, setter, ACCENT).diameter(46.0));
                            ui.add(
                                Knob::new(&p.out_gain, setter, ACCENT)
                                    .label("Output")
                                    .diameter(46.0)
                                    .bipolar(),
                            );
                            ui.end_row();
                        });
                });
                self.output.show(ui, "OUT", vec2(40.0, 350.0));
            });
            scale::corner(ui, &p.editor_scale);
        });
        moving
    }
}

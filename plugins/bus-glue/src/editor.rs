//! The Bus Glue editor: a VU-style gain-reduction meter with peak hold at the centre, the
//! stepped console controls around it, the side-chain section (HPF, external key, listen) and
//! input/output meters at the edges.

use crate::params::BusGlueParams;
use crate::Meters;
use egui::{vec2, Ui};
use lathe_shared::editor::meter::{GainReductionMeter, LevelMeter};
use lathe_shared::editor::repaint::{AudioWake, FrameClock, FRAME};
use lathe_shared::editor::{header, scale, section, theme, Knob, PresetMenu, Toggle};
use nice_plug::context::gui::GuiContext;
use nice_plug_egui::{
    create_egui_editor, EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp,
};
use std::sync::Arc;

/// The layout's size in points at 100 %.
pub const SIZE: egui::Vec2 = vec2(780.0, 430.0);
const ACCENT: egui::Color32 = theme::accent::BUS_GLUE;

pub fn create(
    params: Arc<BusGlueParams>,
    meters: Arc<Meters>,
    state: Arc<EguiEditorState>,
    wake: &AudioWake,
) -> Option<EguiEditor<BusGlueEditor>> {
    let app = BusGlueEditor {
        presets: PresetMenu::new(crate::presets::FACTORY, crate::presets::identity()),
        params,
        meters,
        gui: None,
        clock: FrameClock::default(),
        input: LevelMeter::default(),
        output: LevelMeter::default(),
        gr: GainReductionMeter::default(),
    };
    create_egui_editor(
        state,
        wake.notifier(),
        EguiNiceSettings::new()
            .with_tile("Lathe Bus Glue")
            .with_repaint_poll_interval(FRAME),
        app,
    )
}

pub struct BusGlueEditor {
    params: Arc<BusGlueParams>,
    meters: Arc<Meters>,
    gui: Option<GuiContext>,
    presets: PresetMenu<BusGlueParams>,
    clock: FrameClock,
    input: LevelMeter,
    output: LevelMeter,
    gr: GainReductionMeter,
}

impl NiceEguiApp for BusGlueEditor {
    fn build(
        &mut self,
        ctx: egui::Context,
        gui: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        theme::apply(&ctx, ACCENT);
        scale::restore(&ctx, &self.params.editor_scale);
        self.gui = Some(gui);
        Ok(())
    }

    fn editor_closed(&mut self) {
        self.gui = None;
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut nice_plug_egui::Frame) {
        let Some(gui) = self.gui.clone() else {
            return;
        };
        let setter = gui.param_setter();
        let dt = self.clock.tick();
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
                &setter,
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
                                Knob::new(&p.sc_hpf, &setter, ACCENT)
                                    .label("SC HPF")
                                    .diameter(40.0),
                            );
                            ui.vertical(|ui| {
                                ui.add_space(10.0);
                                ui.add(
                                    Toggle::new(&p.sc_external, &setter, ACCENT)
                                        .label("External Key"),
                                );
                                ui.add(Toggle::new(&p.sc_listen, &setter, ACCENT).label("Listen"));
                            });
                        });
                    });
                });
                section(ui, "Compressor", ACCENT, None, |ui| {
                    egui::Grid::new("bus-glue-controls")
                        .spacing(vec2(4.0, 6.0))
                        .show(ui, |ui| {
                            ui.add(Knob::new(&p.threshold, &setter, ACCENT).diameter(46.0));
                            ui.add(Knob::new(&p.ratio, &setter, ACCENT).diameter(46.0));
                            ui.add(Knob::new(&p.makeup, &setter, ACCENT).diameter(46.0));
                            ui.end_row();
                            ui.add(Knob::new(&p.attack, &setter, ACCENT).diameter(46.0));
                            ui.add(Knob::new(&p.release, &setter, ACCENT).diameter(46.0));
                            ui.add(Knob::new(&p.range, &setter, ACCENT).diameter(46.0));
                            ui.end_row();
                            ui.add(Knob::new(&p.mix, &setter, ACCENT).diameter(46.0));
                            ui.add(
                                Knob::new(&p.out_gain, &setter, ACCENT)
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
        self.clock.keep_alive(ui.ctx(), moving);
    }
}

//! The Maximizer's editor: every control in signal-flow order (tone EQ, image, limiter, output),
//! the tone curve, a scrolling gain-reduction history, a goniometer with correlation, the
//! loudness panel and Learn.

mod goniometer;
mod history;
mod loudness;
mod tone_curve;

use crate::feed::Readers;
use crate::learn::{Learner, Status};
use crate::params::MaximizerParams;
use crate::Meters;
use egui::{vec2, RichText, Ui};
use lathe_shared::editor::section::section_width;
use lathe_shared::editor::shell::{self, Page};
use lathe_shared::editor::theme::{self, accent::MAXIMIZER as ACCENT};
use lathe_shared::editor::{choice, header, scale, Knob, PresetMenu, Toggle};
use nice_plug::prelude::*;
use std::sync::Arc;

pub type Editor = shell::Editor<App>;

/// Logical size at 100 % scale.
pub const SIZE: egui::Vec2 = vec2(1060.0, 660.0);

pub fn create(
    params: Arc<MaximizerParams>,
    meters: Arc<Meters>,
    readers: Readers,
    state: Arc<nice_plug_egui::EguiEditorState>,
) -> Option<Editor> {
    let notifier = readers.wake.notifier();
    let page = App {
        presets: PresetMenu::new(crate::presets::FACTORY, crate::presets::identity()),
        params,
        meters,
        readers,
        history: history::History::default(),
        goniometer: goniometer::Goniometer::default(),
        loudness: loudness::Loudness::default(),
        tone: tone_curve::ToneCurve::default(),
        learner: Learner::default(),
    };
    shell::create(page, state, notifier)
}

pub struct App {
    presets: PresetMenu<MaximizerParams>,
    params: Arc<MaximizerParams>,
    meters: Arc<Meters>,
    readers: Readers,
    history: history::History,
    goniometer: goniometer::Goniometer,
    loudness: loudness::Loudness,
    tone: tone_curve::ToneCurve,
    learner: Learner,
}

impl Page for App {
    const TITLE: &'static str = "Lathe Maximizer";
    const ACCENT: egui::Color32 = ACCENT;

    fn scale(&self) -> &AtomicF32 {
        &self.params.editor_scale
    }

    fn opened(&mut self) {
        self.history.open(&self.readers.history);
        self.goniometer.open(&self.readers.scope);
    }

    fn closed(&mut self) {
        self.learner.cancel(&self.meters.learn);
    }

    fn draw(&mut self, ui: &mut Ui, setter: &ParamSetter, _dt: f32) -> bool {
        let p = self.params.clone();
        let now = ui.input(|i| i.time);
        self.run_learn(setter, now);
        let fresh_history = self.history.update();
        let fresh_scope = self.goniometer.update(now);
        let fresh_meters = self.loudness.update(&self.meters);

        egui::CentralPanel::default()
            .frame(egui::Frame::new().fill(theme::BACKGROUND).inner_margin(10))
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    header(
                        ui,
                        "MAXIMIZER",
                        ACCENT,
                        &mut self.presets,
                        &*p,
                        setter,
                        &p.editor_scale,
                    );
                });
                ui.horizontal(|ui| {
                    ui.add(Toggle::new(&p.bypass, setter, ACCENT).label("Bypass"));
                });
                ui.add_space(6.0);
                ui.horizontal_top(|ui| {
                    section_width(ui, 290.0, "TONE", ACCENT, None, |ui| {
                        self.tone.show(ui, &p, setter, vec2(272.0, 112.0));
                        egui::Grid::new("tone")
                            .spacing(vec2(12.0, 2.0))
                            .show(ui, |ui| {
                                knob(ui, &p.eq_low_freq, setter, "Low");
                                knob(ui, &p.eq_mid_freq, setter, "Mid");
                                knob(ui, &p.eq_mid_q, setter, "Mid Q");
                                knob(ui, &p.eq_high_freq, setter, "High");
                                ui.end_row();
                                bipolar(ui, &p.eq_low_gain, setter, "Low Gain");
                                bipolar(ui, &p.eq_mid_gain, setter, "Mid Gain");
                                ui.label("");
                                bipolar(ui, &p.eq_high_gain, setter, "High Gain");
                                ui.end_row();
                            });
                    });
                    section_width(ui, 110.0, "IMAGE", ACCENT, None, |ui| {
                        knob(ui, &p.width, setter, "Width");
                        ui.add(Toggle::new(&p.mono_bass_on, setter, ACCENT).label("Mono Bass"));
                        knob(ui, &p.mono_bass_freq, setter, "Mono Below");
                    });
                    section_width(ui, 250.0, "LIMITER", ACCENT, None, |ui| {
                        egui::Grid::new("drive")
                            .spacing(vec2(6.0, 2.0))
                            .show(ui, |ui| {
                                ui.add(
                                    Knob::new(&p.gain, setter, ACCENT)
                                        .label("Gain")
                                        .diameter(58.0),
                                );
                                ui.add(
                                    Knob::new(&p.ceiling, setter, ACCENT)
                                        .label("Ceiling")
                                        .diameter(58.0),
                                );
                            });
                        egui::Grid::new("timing")
                            .spacing(vec2(6.0, 2.0))
                            .show(ui, |ui| {
                                knob(ui, &p.lookahead, setter, "Lookahead");
                                knob(ui, &p.release, setter, "Release");
                                knob(ui, &p.link, setter, "Link");
                            });
                        ui.horizontal(|ui| {
                            ui.add(Toggle::new(&p.auto_release, setter, ACCENT).label("Auto"));
                            ui.add(Toggle::new(&p.true_peak, setter, ACCENT).label("True Peak"));
                        });
                        labelled(ui, "Style", |ui| choice(ui, &p.style, setter, 110.0));
                    });
                    section_width(ui, 200.0, "OUTPUT", ACCENT, None, |ui| {
                        knob(ui, &p.target_lufs, setter, "Target");
                        labelled(ui, "Dither", |ui| choice(ui, &p.dither_bits, setter, 96.0));
                        labelled(ui, "Shaping", |ui| {
                            choice(ui, &p.noise_shaping, setter, 96.0)
                        });
                        ui.add(
                            Toggle::new(&p.unity_monitor, setter, ACCENT).label("Unity Monitor"),
                        );
                    });
                });
                ui.add_space(8.0);
                ui.horizontal_top(|ui| {
                    section_width(ui, 470.0, "GAIN REDUCTION", ACCENT, None, |ui| {
                        self.history.show(ui, vec2(452.0, 216.0), p.ceiling.value());
                    });
                    section_width(ui, 240.0, "STEREO", ACCENT, None, |ui| {
                        self.goniometer.show(
                            ui,
                            vec2(222.0, 190.0),
                            self.meters.correlation.get(),
                            now,
                        );
                    });
                    section_width(ui, 290.0, "LOUDNESS", ACCENT, None, |ui| {
                        self.loudness.show(ui, p.target_lufs.value());
                        ui.add_space(6.0);
                        self.learn_button(ui);
                    });
                });
            });

        scale::corner(ui, &p.editor_scale);
        // Frames only while something moves (audio plays, a display is still scrolling or
        // fading out, Learn runs); the audio thread wakes an idle editor (`feed`).
        fresh_history
            || fresh_scope
            || fresh_meters
            || self.goniometer.is_fading(now)
            || self.learner.is_running()
    }
}

impl App {
    /// Learn measures the input and the output together (see `crate::learn` for why both) and
    /// sets Gain with one host gesture per step, so the host's automation and undo see it.
    fn run_learn(&mut self, setter: &ParamSetter, now: f64) {
        let p = &self.params;
        if let Some(gain) = self.learner.poll(
            &self.meters.learn,
            p.gain.value() as f64,
            p.target_lufs.value() as f64,
            now,
        ) {
            setter.begin_set_parameter(&p.gain);
            setter.set_parameter(&p.gain, gain as f32);
            setter.end_set_parameter(&p.gain);
        }
    }

    fn learn_button(&mut self, ui: &mut Ui) {
        let running = self.learner.is_running();
        let text = if running { "Stop Learn" } else { "Learn" };
        let button = egui::Button::new(RichText::new(text).color(theme::TEXT))
            .fill(if running { ACCENT } else { theme::PANEL_EDGE })
            .min_size(vec2(120.0, 26.0));
        let response = ui.add(button).on_hover_text(
            "Learn: play the loudest typical part of the programme. Learn measures the input \
             and output loudness for a few seconds per pass and sets Gain so the output's \
             integrated loudness meets the Target, refining until the limiter's share is \
             accounted for.",
        );
        if response.clicked() {
            if running {
                self.learner.cancel(&self.meters.learn);
            } else {
                self.learner.start(&self.meters.learn);
            }
        }
        let status = match self.learner.status() {
            Status::Idle => String::new(),
            Status::Measuring { pass, progress } => {
                format!("Pass {pass}: {:.0} %", progress * 100.0)
            }
            Status::Done { gain_db } => format!("Gain set to {gain_db:.1} dB"),
            Status::NoSignal => "No programme playing".to_owned(),
        };
        ui.label(RichText::new(status).color(theme::TEXT_DIM));
    }
}

fn labelled(ui: &mut Ui, label: &str, add: impl FnOnce(&mut Ui) -> egui::Response) {
    ui.horizontal(|ui| {
        ui.add_sized(
            vec2(52.0, 18.0),
            egui::Label::new(
                RichText::new(label)
                    .font(theme::label_font())
                    .color(theme::TEXT_DIM),
            ),
        );
        add(ui);
    });
}

fn knob<P: Param>(ui: &mut Ui, param: &P, setter: &ParamSetter, label: &str) {
    ui.add(Knob::new(param, setter, ACCENT).label(label));
}

fn bipolar<P: Param>(ui: &mut Ui, param: &P, setter: &ParamSetter, label: &str) {
    ui.add(Knob::new(param, setter, ACCENT).label(label).bipolar());
}

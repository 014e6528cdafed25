//! The title bar every Lathe editor shares: plugin name in its accent, the factory preset menu,
//! and the editor scale.

use super::{scale, theme};
use crate::presets::{self, Identity, Preset};
use atomic_float::AtomicF32;
use egui::{Color32, RichText, Ui};
use nice_plug::prelude::*;

/// The preset menu's state: the last preset loaded, and a scratch copy of the parameters to
/// decode presets into (see [`crate::presets`]).
pub struct PresetMenu<P: Params> {
    presets: &'static [Preset],
    identity: Identity,
    scratch: P,
    loaded: Option<usize>,
}

impl<P: Params + Default> PresetMenu<P> {
    pub fn new(presets: &'static [Preset], identity: Identity) -> Self {
        Self {
            presets,
            identity,
            scratch: P::default(),
            loaded: None,
        }
    }

    /// Loads preset `index` into the live parameters, one gesture per parameter.
    pub fn load(&mut self, index: usize, live: &dyn Params, setter: &ParamSetter) {
        let Some(preset) = self.presets.get(index) else {
            return;
        };
        match presets::decode(preset, self.identity, &self.scratch) {
            Ok(()) => {
                presets::apply(live, &self.scratch, setter);
                self.loaded = Some(index);
            }
            Err(why) => nice_error!("factory preset not loaded: {why}"),
        }
    }

    fn label(&self, live: &dyn Params) -> String {
        match self.loaded {
            Some(i) if presets::matches(live, &self.scratch) => self.presets[i].name.to_string(),
            Some(i) => format!("{} *", self.presets[i].name),
            None => "Presets".to_string(),
        }
    }

    /// The drop-down: preset names, plus previous/next arrows.
    pub fn show(&mut self, ui: &mut Ui, live: &dyn Params, setter: &ParamSetter) {
        let n = self.presets.len();
        if ui
            .small_button("<")
            .on_hover_text("Previous preset")
            .clicked()
            && n > 0
        {
            self.load(self.loaded.map_or(n - 1, |i| (i + n - 1) % n), live, setter);
        }
        let mut chosen = None;
        egui::ComboBox::from_id_salt("lathe-presets")
            .width(150.0)
            .selected_text(self.label(live))
            .show_ui(ui, |ui| {
                for (i, p) in self.presets.iter().enumerate() {
                    if ui
                        .selectable_label(self.loaded == Some(i), p.name)
                        .clicked()
                    {
                        chosen = Some(i);
                    }
                }
            })
            .response
            .on_hover_text("Factory presets (a * marks edits since loading)");
        if ui.small_button(">").on_hover_text("Next preset").clicked() && n > 0 {
            chosen = Some(self.loaded.map_or(0, |i| (i + 1) % n));
        }
        if let Some(i) = chosen {
            self.load(i, live, setter);
        }
    }
}

/// The header bar: `name` in the accent colour, then the preset menu and the scale menu at the
/// right.
pub fn header<P: Params + Default>(
    ui: &mut Ui,
    name: &str,
    accent: Color32,
    presets: &mut PresetMenu<P>,
    live: &dyn Params,
    setter: &ParamSetter,
    editor_scale: &AtomicF32,
) {
    ui.horizontal(|ui| {
        ui.label(
            RichText::new("LATHE")
                .size(15.0)
                .color(theme::TEXT_DIM)
                .strong(),
        );
        ui.label(RichText::new(name).size(15.0).color(accent).strong());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            scale::menu(ui, editor_scale);
            ui.add_space(8.0);
            ui.horizontal(|ui| presets.show(ui, live, setter));
        });
    });
}

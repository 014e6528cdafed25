//! Grouped sections in signal-flow order: a framed panel with a title bar and an optional power
//! switch, the way channel strips and FabFilter-style editors group their controls.

use super::controls::gesture;
use super::theme;
use egui::{pos2, vec2, Color32, Frame, Margin, RichText, Sense, Stroke, Ui};
use nice_plug::prelude::*;

/// A titled panel. `power` puts the section's on/off parameter in the title bar; the section's
/// contents are dimmed while it is off.
pub fn section<R>(
    ui: &mut Ui,
    title: &str,
    accent: Color32,
    power: Option<(&BoolParam, &ParamSetter)>,
    add_contents: impl FnOnce(&mut Ui) -> R,
) -> R {
    Frame::new()
        .fill(theme::PANEL)
        .stroke(Stroke::new(1.0, theme::PANEL_EDGE))
        .corner_radius(4)
        .inner_margin(Margin::same(6))
        .show(ui, |ui| {
            ui.vertical(|ui| {
                ui.spacing_mut().item_spacing.y = 3.0;
                let on = power.is_none_or(|(p, _)| p.value());
                ui.horizontal(|ui| {
                    if let Some((param, setter)) = power {
                        let (rect, r) = ui.allocate_exact_size(vec2(14.0, 14.0), Sense::click());
                        if r.clicked() {
                            gesture(setter, param, if on { 0.0 } else { 1.0 });
                        }
                        let c = rect.center();
                        let colour = if on { accent } else { theme::TEXT_DIM };
                        ui.painter().circle_stroke(c, 5.0, (1.5, colour));
                        ui.painter().line_segment(
                            [pos2(c.x, c.y - 7.0), pos2(c.x, c.y - 1.0)],
                            (1.5, colour),
                        );
                        r.on_hover_text(format!("{}: {}\nClick to switch", param.name(), param));
                    }
                    ui.label(
                        RichText::new(title.to_uppercase())
                            .font(theme::title_font())
                            .color(if on { accent } else { theme::TEXT_DIM }),
                    );
                });
                if !on {
                    ui.multiply_opacity(0.55);
                }
                add_contents(ui)
            })
            .inner
        })
        .inner
}

/// A [`section`] of a fixed width: the section fills the width it is given, so a row of
/// sections in a horizontal layout needs each one's width set (added by editors-b).
pub fn section_width<R>(
    ui: &mut Ui,
    width: f32,
    title: &str,
    accent: Color32,
    power: Option<(&BoolParam, &ParamSetter)>,
    add_contents: impl FnOnce(&mut Ui) -> R,
) -> R {
    ui.allocate_ui_with_layout(
        vec2(width, 0.0),
        egui::Layout::top_down(egui::Align::Min),
        |ui| {
            ui.set_width(width);
            section(ui, title, accent, power, add_contents)
        },
    )
    .inner
}

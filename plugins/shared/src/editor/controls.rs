//! Parameter controls in the suite's conventions: every value shows its unit (the parameter's own
//! value-to-string), a click on the value opens typed entry parsed by the parameter's own
//! string-to-value, double-click or Ctrl/Cmd-click resets to the default, Shift-drag adjusts ten
//! times finer, the tooltip names the parameter and its range, and every change is one
//! begin/set/end gesture through `ParamSetter` so hosts record it as automation.

use super::theme;
use egui::{
    pos2, vec2, Align2, Color32, Id, Key, Response, Sense, Shape, Stroke, TextEdit, Ui, Vec2,
    Widget,
};
use nice_plug::prelude::*;
use std::f32::consts::PI;

/// Knob travel for the whole range in points of vertical (or horizontal) drag.
const DRAG_RANGE: f32 = 240.0;
/// Shift-drag divides the travel speed by this.
const FINE: f32 = 10.0;
/// The knob's arc: from 7:30 to 4:30 o'clock, the convention of hardware and most plugins.
const ARC_START: f32 = 0.75 * PI;
const ARC_SWEEP: f32 = 1.5 * PI;

/// The tooltip every control shows.
pub fn tooltip<P: Param>(param: &P) -> String {
    let lo = param.normalized_value_to_string(0.0, true);
    let hi = param.normalized_value_to_string(1.0, true);
    let default = param.normalized_value_to_string(param.default_normalized_value(), true);
    format!(
        "{}: {lo} to {hi} (default {default})\nDrag to adjust, Shift-drag for fine, \
         double-click to reset, click the value to type one",
        param.name()
    )
}

/// Sets `param` to `normalized` as one complete gesture (typed entry, reset, clicks).
pub fn gesture<P: Param>(setter: &ParamSetter, param: &P, normalized: f32) {
    setter.begin_set_parameter(param);
    setter.set_parameter_normalized(param, normalized);
    setter.end_set_parameter(param);
}

/// A band's node on an EQ curve (the Channel Strip's EQ display, the Maximizer's tone curve):
/// dragging moves the frequency, and the gain if the band has one, in one gesture; the wheel over
/// it moves Q by `wheel_range` points of scroll per whole range; a double-click resets the gain.
/// `to_plain` maps a pointer position to (frequency, gain) in the parameters' plain units.
pub fn eq_node(
    ui: &Ui,
    response: &Response,
    setter: &ParamSetter,
    band: (&FloatParam, Option<&FloatParam>, Option<&FloatParam>),
    wheel_range: f32,
    to_plain: impl Fn(egui::Pos2) -> (f32, f32),
) {
    let (freq, gain, q) = band;
    if response.drag_started() {
        setter.begin_set_parameter(freq);
        gain.inspect(|g| setter.begin_set_parameter(*g));
    }
    if let (true, Some(pos)) = (response.dragged(), response.interact_pointer_pos()) {
        let (f, db) = to_plain(pos);
        setter.set_parameter(freq, f);
        gain.inspect(|g| setter.set_parameter(*g, db));
    }
    if response.drag_stopped() {
        setter.end_set_parameter(freq);
        gain.inspect(|g| setter.end_set_parameter(*g));
    }
    if let (Some(q), true) = (q, response.hovered()) {
        let wheel = ui.input(|i| i.smooth_scroll_delta.y);
        if wheel != 0.0 {
            let n = (q.unmodulated_normalized_value() + wheel / wheel_range).clamp(0.0, 1.0);
            gesture(setter, q, n);
        }
    }
    if let (Some(g), true) = (gain, response.double_clicked()) {
        gesture(setter, g, g.default_normalized_value());
    }
}

/// The knob behaviour, for any widget: applies what `response` saw this frame to `param`. Up or
/// right increases; Shift divides the speed by ten; double-click or Ctrl/Cmd-click resets.
pub fn drag_param<P: Param>(ui: &Ui, response: &Response, setter: &ParamSetter, param: &P) {
    let id = response.id.with("drag");
    if response.drag_started() {
        setter.begin_set_parameter(param);
        ui.data_mut(|d| d.insert_temp(id, param.unmodulated_normalized_value()));
    }
    if response.dragged() {
        let d = response.drag_delta();
        let fine = if ui.input(|i| i.modifiers.shift) {
            FINE
        } else {
            1.0
        };
        let travel = (d.x - d.y) / (DRAG_RANGE * fine);
        let unsnapped: f32 = ui.data(|d| d.get_temp(id)).unwrap_or(0.0) + travel;
        let unsnapped = unsnapped.clamp(0.0, 1.0);
        ui.data_mut(|d| d.insert_temp(id, unsnapped));
        let snapped = param.preview_normalized(param.preview_plain(unsnapped));
        if snapped != param.unmodulated_normalized_value() {
            setter.set_parameter_normalized(param, snapped);
        }
    }
    if response.drag_stopped() {
        setter.end_set_parameter(param);
    }
    let reset_click = response.clicked() && ui.input(|i| i.modifiers.command);
    if response.double_clicked() || reset_click {
        gesture(setter, param, param.default_normalized_value());
    }
}

/// The value line under a control: the formatted value, or a text field after a click.
fn value_entry<P: Param>(ui: &mut Ui, id: Id, width: f32, setter: &ParamSetter, param: &P) {
    let edit_id = id.with("entry");
    let text_id = id.with("entry-text");
    let editing = ui.memory(|m| m.has_focus(edit_id));
    if editing {
        let mut text: String = ui.data(|d| d.get_temp(text_id)).unwrap_or_default();
        let r = ui.add_sized(
            vec2(width, 16.0),
            TextEdit::singleline(&mut text)
                .id(edit_id)
                .font(theme::value_font())
                .align(egui::Align2::CENTER_CENTER),
        );
        ui.data_mut(|d| d.insert_temp(text_id, text.clone()));
        if ui.input(|i| i.key_pressed(Key::Enter)) {
            if let Some(n) = param.string_to_normalized_value(&text) {
                gesture(setter, param, n);
            }
            ui.memory_mut(|m| m.surrender_focus(edit_id));
        } else if r.lost_focus() || ui.input(|i| i.key_pressed(Key::Escape)) {
            ui.memory_mut(|m| m.surrender_focus(edit_id));
        }
    } else {
        let (rect, r) = ui.allocate_exact_size(vec2(width, 16.0), Sense::click());
        let color = if r.hovered() {
            theme::TEXT
        } else {
            theme::TEXT_DIM
        };
        ui.painter().text(
            rect.center(),
            Align2::CENTER_CENTER,
            param.to_string(),
            theme::value_font(),
            color,
        );
        if r.hovered() {
            ui.ctx().set_cursor_icon(egui::CursorIcon::Text);
        }
        if r.clicked() {
            ui.data_mut(|d| d.insert_temp(text_id, param.to_string()));
            ui.memory_mut(|m| m.request_focus(edit_id));
        }
    }
}

/// A rotary control with its label above and its value below.
pub struct Knob<'a, P: Param> {
    param: &'a P,
    setter: &'a ParamSetter<'a>,
    label: Option<&'a str>,
    diameter: f32,
    accent: Color32,
    bipolar: bool,
}

impl<'a, P: Param> Knob<'a, P> {
    pub fn new(param: &'a P, setter: &'a ParamSetter<'a>, accent: Color32) -> Self {
        Self {
            param,
            setter,
            label: None,
            diameter: 40.0,
            accent,
            bipolar: false,
        }
    }

    /// A shorter label than the parameter's name (the tooltip still names it in full).
    pub fn label(mut self, label: &'a str) -> Self {
        self.label = Some(label);
        self
    }

    pub fn diameter(mut self, diameter: f32) -> Self {
        self.diameter = diameter;
        self
    }

    /// Draw the value arc from the centre (pan, EQ gain) instead of from the left end.
    pub fn bipolar(mut self) -> Self {
        self.bipolar = true;
        self
    }
}

impl<P: Param> Widget for Knob<'_, P> {
    fn ui(self, ui: &mut Ui) -> Response {
        let width = (self.diameter + 22.0).max(56.0);
        let label = self.label.unwrap_or_else(|| self.param.name());
        let height = 14.0 + self.diameter + 16.0 + 2.0;
        let layout = egui::Layout::top_down(egui::Align::Center);
        ui.allocate_ui_with_layout(vec2(width, height), layout, |ui| {
            ui.set_width(width);
            ui.spacing_mut().item_spacing.y = 1.0;
            let (lrect, _) = ui.allocate_exact_size(vec2(width, 14.0), Sense::hover());
            ui.painter().text(
                lrect.center(),
                Align2::CENTER_CENTER,
                label,
                theme::label_font(),
                theme::TEXT_DIM,
            );
            let (rect, response) =
                ui.allocate_exact_size(Vec2::splat(self.diameter), Sense::click_and_drag());
            drag_param(ui, &response, self.setter, self.param);
            let response = response.on_hover_text(tooltip(self.param));
            paint_knob(
                ui,
                rect,
                self.param.unmodulated_normalized_value(),
                self.param.step_count(),
                self.accent,
                self.bipolar,
                response.hovered() || response.dragged(),
            );
            value_entry(ui, response.id, width, self.setter, self.param);
            response
        })
        .inner
    }
}

fn paint_knob(
    ui: &Ui,
    rect: egui::Rect,
    value: f32,
    steps: Option<usize>,
    accent: Color32,
    bipolar: bool,
    hot: bool,
) {
    let p = ui.painter();
    let c = rect.center();
    let r = rect.width() * 0.5 - 2.0;
    let angle = |n: f32| ARC_START + ARC_SWEEP * n;
    let at = |a: f32, rr: f32| pos2(c.x + rr * a.cos(), c.y + rr * a.sin());
    let arc = |from: f32, to: f32, rr: f32| -> Vec<egui::Pos2> {
        let n = ((to - from).abs() * 24.0).ceil().max(2.0) as usize;
        (0..=n)
            .map(|i| at(angle(from + (to - from) * i as f32 / n as f32), rr))
            .collect()
    };
    p.add(Shape::line(arc(0.0, 1.0, r), Stroke::new(3.0, theme::WELL)));
    if let Some(steps) = steps.filter(|&s| s > 0 && s <= 12) {
        for i in 0..=steps {
            let a = angle(i as f32 / steps as f32);
            p.line_segment([at(a, r + 1.0), at(a, r + 4.0)], (1.0, theme::TEXT_DIM));
        }
    }
    let from = if bipolar { 0.5 } else { 0.0 };
    p.add(Shape::line(arc(from, value, r), Stroke::new(3.0, accent)));
    let body = if hot { theme::GRID } else { theme::PANEL_EDGE };
    p.circle_filled(c, r - 5.0, body);
    p.circle_stroke(c, r - 5.0, (1.0, theme::WELL));
    p.line_segment(
        [
            at(angle(value), (r - 5.0) * 0.35),
            at(angle(value), r - 6.0),
        ],
        (2.0, theme::TEXT),
    );
}

/// An on/off switch: a lit button that flips its parameter in one gesture.
pub struct Toggle<'a> {
    param: &'a BoolParam,
    setter: &'a ParamSetter<'a>,
    label: Option<&'a str>,
    accent: Color32,
}

impl<'a> Toggle<'a> {
    pub fn new(param: &'a BoolParam, setter: &'a ParamSetter<'a>, accent: Color32) -> Self {
        Self {
            param,
            setter,
            label: None,
            accent,
        }
    }

    pub fn label(mut self, label: &'a str) -> Self {
        self.label = Some(label);
        self
    }
}

impl Widget for Toggle<'_> {
    fn ui(self, ui: &mut Ui) -> Response {
        let on = self.param.value();
        let label = self.label.unwrap_or_else(|| self.param.name());
        let galley =
            ui.painter()
                .layout_no_wrap(label.to_string(), theme::label_font(), theme::TEXT);
        let size = vec2(galley.size().x + 22.0, 18.0);
        let (rect, response) = ui.allocate_exact_size(size, Sense::click());
        if response.clicked() {
            gesture(self.setter, self.param, if on { 0.0 } else { 1.0 });
        }
        let p = ui.painter();
        let fill = if response.hovered() {
            theme::GRID
        } else {
            theme::WELL
        };
        p.rect(
            rect,
            3.0,
            fill,
            Stroke::new(1.0, theme::PANEL_EDGE),
            egui::StrokeKind::Inside,
        );
        let led = pos2(rect.left() + 9.0, rect.center().y);
        p.circle_filled(led, 3.5, if on { self.accent } else { theme::PANEL_EDGE });
        p.galley(
            pos2(rect.left() + 16.0, rect.center().y - galley.size().y * 0.5),
            galley,
            if on { theme::TEXT } else { theme::TEXT_DIM },
        );
        response.on_hover_text(format!(
            "{}: {}\nClick to switch",
            self.param.name(),
            self.param
        ))
    }
}

/// A drop-down for an enum parameter (filter slopes, shelf/bell): the variant names are the
/// parameter's own value strings.
pub fn choice<P: Param>(ui: &mut Ui, param: &P, setter: &ParamSetter, width: f32) -> Response {
    let steps = param.step_count().unwrap_or(1).max(1);
    let current = param.unmodulated_normalized_value();
    let inner = egui::ComboBox::from_id_salt(param.name())
        .width(width)
        .selected_text(param.to_string())
        .show_ui(ui, |ui| {
            for i in 0..=steps {
                let n = i as f32 / steps as f32;
                let name = param.normalized_value_to_string(n, true);
                if ui
                    .selectable_label((current - n).abs() < 1e-4, name)
                    .clicked()
                {
                    gesture(setter, param, n);
                }
            }
        });
    inner.response.on_hover_text(tooltip(param))
}

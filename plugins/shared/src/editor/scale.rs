//! Editor scale. The layout is designed in points at a fixed base size; the user scale (egui's
//! zoom factor) multiplies it, on top of the host/OS scale factor that nice-plug-egui applies for
//! HiDPI. The scale is persisted in the plugin state (a `#[persist = "editor-scale"]` field), so
//! a session reopens its editors at the size they had.

use super::theme;
use atomic_float::AtomicF32;
use egui::{pos2, Id, Rect, Sense, Ui, Vec2};
use nice_plug::editor::dpi::LogicalSize;
use nice_plug_egui::EguiEditorState;
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub const MIN: f32 = 0.75;
pub const MAX: f32 = 2.0;
pub const STEPS: [f32; 6] = [0.75, 1.0, 1.25, 1.5, 1.75, 2.0];

/// The persisted field's type: `#[persist = "editor-scale"] pub editor_scale: Arc<AtomicF32>`.
pub fn persisted() -> Arc<AtomicF32> {
    Arc::new(AtomicF32::new(1.0))
}

fn clamp(scale: f32) -> f32 {
    if scale.is_finite() {
        scale.clamp(MIN, MAX)
    } else {
        1.0
    }
}

/// The editor state for a layout of `base` points at the persisted scale.
pub fn editor_state(base: Vec2, scale: &AtomicF32) -> Arc<EguiEditorState> {
    EguiEditorState::from_size(
        LogicalSize::new(base.x as f64, base.y as f64),
        clamp(scale.load(Ordering::Relaxed)),
    )
}

/// Applies the persisted scale when an editor opens (the state may have been loaded since).
pub fn restore(ctx: &egui::Context, scale: &AtomicF32) {
    ctx.set_zoom_factor(clamp(scale.load(Ordering::Relaxed)));
}

fn set(ui: &Ui, scale: &AtomicF32, value: f32) {
    let value = clamp(value);
    scale.store(value, Ordering::Relaxed);
    ui.ctx().set_zoom_factor(value);
}

/// A compact scale menu for the header bar.
pub fn menu(ui: &mut Ui, scale: &AtomicF32) {
    let current = clamp(scale.load(Ordering::Relaxed));
    egui::ComboBox::from_id_salt("lathe-scale")
        .width(58.0)
        .selected_text(format!("{:.0} %", current * 100.0))
        .show_ui(ui, |ui| {
            for s in STEPS {
                if ui
                    .selectable_label((s - current).abs() < 1e-3, format!("{:.0} %", s * 100.0))
                    .clicked()
                {
                    set(ui, scale, s);
                }
            }
        })
        .response
        .on_hover_text("Editor size (saved with the session); or drag the bottom-right corner");
}

/// A resize grip in the bottom-right corner: dragging it scales the whole editor, keeping the
/// layout's proportions.
pub fn corner(ui: &mut Ui, scale: &AtomicF32) {
    let screen = ui.ctx().content_rect();
    let size = 14.0;
    let rect = Rect::from_min_max(screen.max - Vec2::splat(size), screen.max);
    let id = Id::unique("lathe-resize-corner");
    let response = ui.interact(rect, id, Sense::drag());
    let zoom = ui.ctx().zoom_factor();
    if response.drag_started() {
        // Pointer positions are in points, which change with the zoom: work in window pixels.
        let start = response.interact_pointer_pos().unwrap_or(screen.max) * zoom;
        ui.data_mut(|d| d.insert_temp(id, (start, zoom, screen.width() * zoom)));
    }
    if response.dragged() {
        if let (Some(pos), Some((start, start_zoom, start_w))) = (
            response.interact_pointer_pos(),
            ui.data(|d| d.get_temp::<(egui::Pos2, f32, f32)>(id)),
        ) {
            let dx = pos.x * zoom - start.x;
            let target = start_zoom * (start_w + dx) / start_w;
            // Snap to 5 % so a drag does not resize the window on every pixel.
            let snapped = clamp((target * 20.0).round() / 20.0);
            if (snapped - zoom).abs() > 1e-3 {
                set(ui, scale, snapped);
            }
        }
    }
    let p = ui.painter();
    let c = if response.hovered() || response.dragged() {
        theme::TEXT
    } else {
        theme::TEXT_DIM
    };
    for i in 1..=3 {
        let o = i as f32 * 4.0;
        p.line_segment(
            [
                pos2(rect.max.x - o, rect.max.y - 1.0),
                pos2(rect.max.x - 1.0, rect.max.y - o),
            ],
            (1.0, c),
        );
    }
    response.on_hover_text(format!(
        "Drag to resize the editor ({:.0} % to {:.0} %)",
        MIN * 100.0,
        MAX * 100.0
    ));
}

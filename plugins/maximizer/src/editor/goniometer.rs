//! Goniometer (mid/side scatter of the output samples, the vectorscope of broadcast metering)
//! with decaying persistence, and the correlation meter under it.

use egui::{pos2, vec2, Align2, Color32, Mesh, Rect, Sense, Stroke, Ui, Vec2};
use lathe_shared::editor::stream::ReaderSlot;
use lathe_shared::editor::theme::{self, accent::MAXIMIZER as ACCENT};
use std::f32::consts::FRAC_1_SQRT_2;

/// Points kept. At 48 kHz and 30 frames per second a frame brings 1600 samples; every second
/// one is kept, so the scatter holds the last ~170 ms, the integration time of an analogue
/// phase scope's phosphor.
const POINTS: usize = 4096;
const DECIMATE: usize = 2;
/// Persistence time constant, seconds of wall clock: a frozen transport fades out.
const PERSISTENCE_S: f64 = 0.35;
/// Below this brightness a point is not drawn, and when all are below it, repainting stops.
const VISIBLE: f32 = 0.03;

pub struct Goniometer {
    /// The feed's reader slot, locked by the editor thread only.
    slot: ReaderSlot,
    /// (side, mid, arrival time) as a ring.
    points: Vec<(f32, f32, f64)>,
    next: usize,
    phase: usize,
    newest: f64,
}

impl Default for Goniometer {
    fn default() -> Self {
        Self {
            slot: ReaderSlot::default(),
            points: vec![(0.0, 0.0, f64::NEG_INFINITY); POINTS],
            next: 0,
            phase: 0,
            newest: f64::NEG_INFINITY,
        }
    }
}

impl Goniometer {
    /// Follows `slot` and drops what piled up while the editor was closed.
    pub fn open(&mut self, slot: &ReaderSlot) {
        self.slot = slot.clone();
        if let Some(r) = self.slot.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            r.drain(|_| {});
        }
    }

    /// Pulls the samples that arrived since the last frame; true if any was audible.
    pub fn update(&mut self, now: f64) -> bool {
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        let Some(reader) = slot.as_mut() else {
            return false;
        };
        let mut audible = false;
        let (points, next, phase) = (&mut self.points, &mut self.next, &mut self.phase);
        reader.drain(|[l, r]| {
            *phase = (*phase + 1) % DECIMATE;
            if *phase != 0 {
                return;
            }
            let (side, mid) = ((r - l) * FRAC_1_SQRT_2, (l + r) * FRAC_1_SQRT_2);
            audible |= side.abs() > 1e-5 || mid.abs() > 1e-5;
            points[*next] = (side, mid, now);
            *next = (*next + 1) % POINTS;
        });
        if audible {
            self.newest = now;
        }
        audible
    }

    pub fn is_fading(&self, now: f64) -> bool {
        brightness(now - self.newest) > VISIBLE
    }

    pub fn show(&self, ui: &mut Ui, size: Vec2, correlation: f32, now: f64) {
        let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 4.0, theme::WELL);
        let c = rect.center();
        let r = rect.width().min(rect.height()) * 0.46;
        let grid = Stroke::new(1.0, theme::GRID);
        painter.line_segment([c - vec2(r, 0.0), c + vec2(r, 0.0)], grid);
        painter.line_segment([c - vec2(0.0, r), c + vec2(0.0, r)], grid);
        let d = r * FRAC_1_SQRT_2;
        painter.line_segment([c + vec2(-d, -d), c + vec2(d, d)], grid);
        painter.line_segment([c + vec2(d, -d), c + vec2(-d, d)], grid);
        for (text, at) in [
            ("M", c - vec2(0.0, r)),
            ("S", c + vec2(r, 0.0)),
            ("L", c + vec2(-d, -d)),
            ("R", c + vec2(d, -d)),
        ] {
            painter.text(
                at,
                Align2::CENTER_CENTER,
                text,
                theme::label_font(),
                theme::TEXT_DIM,
            );
        }
        let mut mesh = Mesh::default();
        let dot = 1.6;
        for &(side, mid, t) in &self.points {
            let b = brightness(now - t);
            if b < VISIBLE {
                continue;
            }
            let p = pos2(c.x + side * r, c.y - mid * r);
            if !rect.contains(p) {
                continue;
            }
            let color = Color32::from_rgba_unmultiplied(
                ACCENT.r(),
                ACCENT.g(),
                ACCENT.b(),
                (b * 200.0) as u8,
            );
            mesh.add_colored_rect(Rect::from_center_size(p, vec2(dot, dot)), color);
        }
        ui.painter().add(mesh);

        ui.add_space(6.0);
        correlation_meter(ui, vec2(size.x, 16.0), correlation);
    }
}

/// Phosphor-like exponential fade with wall-clock age.
fn brightness(age: f64) -> f32 {
    (-age / PERSISTENCE_S).exp() as f32
}

/// Correlation -1..+1: red left of 0 (out of phase, mono-incompatible), green right of it.
fn correlation_meter(ui: &mut Ui, size: Vec2, correlation: f32) {
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 3.0, theme::WELL);
    let x = |v: f32| rect.left() + (v.clamp(-1.0, 1.0) + 1.0) * 0.5 * rect.width();
    painter.vline(x(0.0), rect.y_range(), Stroke::new(1.0, theme::GRID));
    if correlation.is_finite() {
        let color = if correlation < 0.0 {
            theme::METER_HIGH
        } else {
            theme::METER_LOW
        };
        let (a, b) = (x(0.0).min(x(correlation)), x(0.0).max(x(correlation)));
        painter.rect_filled(
            Rect::from_x_y_ranges(a..=b.max(a + 2.0), rect.shrink(3.0).y_range()),
            1.0,
            color,
        );
    }
    for (v, t) in [(-1.0, "-1"), (1.0, "+1")] {
        let align = if v < 0.0 {
            Align2::LEFT_CENTER
        } else {
            Align2::RIGHT_CENTER
        };
        painter.text(
            pos2(x(v) + 3.0 * -v, rect.center().y),
            align,
            t,
            theme::value_font(),
            theme::TEXT_DIM,
        );
    }
    response.on_hover_text(format!(
        "Correlation {:+.2} (300 ms): +1 mono, 0 unrelated, below 0 phase problems in mono",
        if correlation.is_finite() {
            correlation
        } else {
            0.0
        }
    ));
}

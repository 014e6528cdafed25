//! Scrolling history of the limiter: output peak level rising from the bottom, gain reduction
//! hanging from the top (the layout of FabFilter Pro-L's display), over the last
//! [`SECONDS`] of audio at the feed's fixed point rate.

use crate::feed::HISTORY_RATE_HZ;
use egui::{pos2, Align2, Color32, Mesh, Pos2, Sense, Shape, Stroke, Ui, Vec2};
use lathe_shared::editor::stream::ReaderSlot;
use lathe_shared::editor::theme::{self, accent::MAXIMIZER as ACCENT};
use std::collections::VecDeque;

/// Seconds shown.
const SECONDS: f64 = 8.0;
const POINTS: usize = (SECONDS * HISTORY_RATE_HZ) as usize;
/// Output level scale: 0 dBFS at the top to this at the bottom.
const LEVEL_FLOOR_DB: f32 = -36.0;
/// Gain-reduction scale: 0 dB at the top to this at the bottom.
const GR_RANGE_DB: f32 = 12.0;

pub struct History {
    /// The feed's reader slot, locked by the editor thread only (a re-activation replaces the
    /// ring and its reader).
    slot: ReaderSlot,
    /// (gain reduction dB, output peak dBFS), oldest first, always [`POINTS`] long.
    points: VecDeque<[f32; 2]>,
    /// Points since the last audible one: silent audio keeps the display scrolling until the
    /// last audible point has left the window, then it stops repainting.
    quiet_for: usize,
}

impl Default for History {
    fn default() -> Self {
        Self {
            slot: ReaderSlot::default(),
            points: std::iter::repeat_n([0.0, LEVEL_FLOOR_DB], POINTS).collect(),
            quiet_for: POINTS,
        }
    }
}

impl History {
    /// Follows `slot` and drops what piled up while the editor was closed.
    pub fn open(&mut self, slot: &ReaderSlot) {
        self.slot = slot.clone();
        if let Some(r) = self.slot.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            r.drain(|_| {});
        }
    }

    /// Pulls new points; true if the display scrolled (points arrived while an audible one is
    /// still in the window). A stopped transport delivers no points: the display stands still.
    pub fn update(&mut self) -> bool {
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        let Some(reader) = slot.as_mut() else {
            return false;
        };
        let mut fresh = false;
        let (points, quiet) = (&mut self.points, &mut self.quiet_for);
        reader.drain(|[gr, peak]| {
            points.pop_front();
            points.push_back([gr, peak]);
            *quiet = if gr > 0.01 || peak > LEVEL_FLOOR_DB {
                0
            } else {
                (*quiet + 1).min(POINTS)
            };
            fresh = true;
        });
        fresh && self.quiet_for < POINTS
    }

    pub fn show(&self, ui: &mut Ui, size: Vec2, ceiling_db: f32) {
        let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 4.0, theme::WELL);
        let level_y = |db: f32| {
            let t = (db / LEVEL_FLOOR_DB).clamp(0.0, 1.0);
            rect.top() + t * rect.height()
        };
        let gr_y = |db: f32| rect.top() + (db / GR_RANGE_DB).clamp(0.0, 1.0) * rect.height();
        for db in [-6.0, -12.0, -18.0, -24.0, -30.0] {
            let y = level_y(db);
            painter.hline(rect.x_range(), y, Stroke::new(1.0, theme::GRID));
            painter.text(
                pos2(rect.right() - 4.0, y - 1.0),
                Align2::RIGHT_BOTTOM,
                format!("{db:.0}"),
                theme::value_font(),
                theme::TEXT_DIM,
            );
        }
        let x = |i: usize| rect.left() + rect.width() * i as f32 / (POINTS - 1) as f32;
        // Output level: a filled area from the bottom, one quad per point.
        let level = area(
            &self.points,
            x,
            |p| level_y(p[1]),
            rect.bottom(),
            Color32::from_rgb(0x5a, 0x62, 0x70),
        );
        painter.add(Shape::mesh(level));
        // Gain reduction: filled from the top.
        let gr = area(
            &self.points,
            x,
            |p| gr_y(p[0]),
            rect.top(),
            theme::GAIN_REDUCTION,
        );
        painter.add(Shape::mesh(gr));
        let cy = level_y(ceiling_db);
        painter.hline(rect.x_range(), cy, Stroke::new(1.0, ACCENT));
        painter.text(
            pos2(rect.right() - 30.0, cy + 2.0),
            Align2::RIGHT_TOP,
            format!("Ceiling {ceiling_db:.1} dB"),
            theme::value_font(),
            ACCENT,
        );
        let recent = self
            .points
            .iter()
            .rev()
            .take(HISTORY_RATE_HZ as usize)
            .fold(0.0f32, |m, p| m.max(p[0]));
        painter.text(
            rect.left_bottom() + Vec2::new(4.0, -18.0),
            Align2::LEFT_BOTTOM,
            format!("GR {recent:.1} dB (1 s max)"),
            theme::value_font(),
            theme::TEXT,
        );
        painter.text(
            rect.left_bottom() + Vec2::new(4.0, -4.0),
            Align2::LEFT_BOTTOM,
            format!("-{SECONDS:.0} s"),
            theme::value_font(),
            theme::TEXT_DIM,
        );
    }
}

/// A filled band between `edge` (a fixed y) and `y(point)`, as one mesh.
fn area(
    points: &VecDeque<[f32; 2]>,
    x: impl Fn(usize) -> f32,
    y: impl Fn(&[f32; 2]) -> f32,
    edge: f32,
    color: Color32,
) -> Mesh {
    let mut mesh = Mesh::default();
    mesh.reserve_vertices(points.len() * 2);
    mesh.reserve_triangles(points.len() * 2);
    for (i, p) in points.iter().enumerate() {
        let base = mesh.vertices.len() as u32;
        let px = x(i);
        mesh.colored_vertex(Pos2::new(px, edge), color);
        mesh.colored_vertex(Pos2::new(px, y(p)), color);
        if i > 0 {
            mesh.add_triangle(base - 2, base - 1, base);
            mesh.add_triangle(base - 1, base, base + 1);
        }
    }
    mesh
}

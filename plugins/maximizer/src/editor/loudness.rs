//! The loudness panel: EBU R128 momentary, short-term and integrated loudness, loudness range,
//! true peak, and the integrated loudness's distance to the target, with a short-term bar
//! against the target.

use crate::Meters;
use egui::{pos2, vec2, Align2, Rect, RichText, Sense, Stroke, Ui};
use lathe_shared::editor::theme::{self, accent::MAXIMIZER as ACCENT};

/// Bar scale, LUFS.
const BAR_RANGE: (f32, f32) = (-36.0, 0.0);

#[derive(Default)]
pub struct Loudness {
    momentary: f32,
    short_term: f32,
    integrated: f32,
    range: f32,
    true_peak: f32,
}

impl Loudness {
    /// Reads the meters; true if any shown value changed.
    pub fn update(&mut self, m: &Meters) -> bool {
        let now = Self {
            momentary: m.momentary_lufs.get(),
            short_term: m.short_term_lufs.get(),
            integrated: m.integrated_lufs.get(),
            range: m.loudness_range_lu.get(),
            true_peak: m.true_peak_dbtp.get(),
        };
        let changed = [
            (now.momentary, self.momentary),
            (now.short_term, self.short_term),
            (now.integrated, self.integrated),
            (now.range, self.range),
            (now.true_peak, self.true_peak),
        ]
        .iter()
        .any(|(a, b)| (a - b).abs() >= 0.05 || a.is_finite() != b.is_finite());
        *self = now;
        changed
    }

    pub fn show(&self, ui: &mut Ui, target: f32) {
        egui::Grid::new("loudness")
            .num_columns(2)
            .spacing(vec2(18.0, 5.0))
            .show(ui, |ui| {
                row(ui, "Momentary", lufs(self.momentary), "400 ms window");
                row(ui, "Short-term", lufs(self.short_term), "3 s window");
                row(
                    ui,
                    "Integrated",
                    lufs(self.integrated),
                    "Gated programme loudness since the transport started (BS.1770-4)",
                );
                row(
                    ui,
                    "Range",
                    format!("{:.1} LU", self.range.max(0.0)),
                    "Loudness range (EBU Tech 3342)",
                );
                row(
                    ui,
                    "True Peak",
                    if self.true_peak > -200.0 {
                        format!("{:.1} dBTP", self.true_peak)
                    } else {
                        "-inf dBTP".to_owned()
                    },
                    "Highest inter-sample peak of the output (4x oversampled)",
                );
                let distance = if self.integrated > -70.0 {
                    format!("{:+.1} LU", self.integrated - target)
                } else {
                    "--".to_owned()
                };
                row(
                    ui,
                    "To Target",
                    distance,
                    "Integrated loudness minus the target: negative is quieter than the target",
                );
            });
        ui.add_space(6.0);
        self.bar(ui, target);
    }

    fn bar(&self, ui: &mut Ui, target: f32) {
        let (rect, _) = ui.allocate_exact_size(vec2(230.0, 14.0), Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 3.0, theme::WELL);
        let x = |v: f32| {
            let t = (v - BAR_RANGE.0) / (BAR_RANGE.1 - BAR_RANGE.0);
            rect.left() + t.clamp(0.0, 1.0) * rect.width()
        };
        if self.short_term > BAR_RANGE.0 {
            let color = if self.short_term > target + 1.0 {
                theme::METER_HIGH
            } else {
                theme::METER_LOW
            };
            painter.rect_filled(
                Rect::from_x_y_ranges(rect.left()..=x(self.short_term), rect.y_range()),
                3.0,
                color,
            );
        }
        painter.vline(x(target), rect.y_range(), Stroke::new(2.0, ACCENT));
        painter.text(
            pos2(x(target), rect.bottom() + 1.0),
            Align2::CENTER_TOP,
            format!("Target {target:.1} LUFS"),
            theme::value_font(),
            ACCENT,
        );
        ui.add_space(14.0);
    }
}

fn lufs(v: f32) -> String {
    if v > -70.0 {
        format!("{v:.1} LUFS")
    } else {
        "-inf LUFS".to_owned()
    }
}

fn row(ui: &mut Ui, name: &str, value: String, tip: &str) {
    ui.label(
        RichText::new(name)
            .font(theme::label_font())
            .color(theme::TEXT_DIM),
    )
    .on_hover_text(tip);
    ui.label(
        RichText::new(value)
            .font(theme::value_font())
            .color(theme::TEXT)
            .strong(),
    );
    ui.end_row();
}

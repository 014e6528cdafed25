//! Meters on the editor side: ballistics applied to what the audio thread published in
//! [`crate::meters`], and their drawing. Each `update` returns whether the display still moves,
//! which drives the repaint policy ([`super::repaint`]): a meter at rest costs no frames.

use super::theme;
use crate::meters::{LevelReadout, MeterValue};
use egui::{pos2, Align2, Color32, Rect, Sense, Shape, Stroke, Ui, Vec2};

/// Level meter scale, dBFS: the bottom is where digital silence sits on every console meter.
const LEVEL_FLOOR: f32 = -60.0;
const LEVEL_TOP: f32 = 6.0;
/// Peak fall rate (dB/s), as digital peak meters after IEC 60268-18's 20 dB in 1.7 s.
const PEAK_FALL_DB_PER_S: f32 = 11.8;
/// How long the peak hold line stays before falling.
const HOLD_S: f32 = 1.5;
/// Changes smaller than this are invisible at any editor size, so they request no repaint.
const VISIBLE_DB: f32 = 0.05;

/// Instant rise, fall at a constant rate, and a held maximum that falls after [`HOLD_S`].
#[derive(Debug, Clone, Copy)]
pub struct PeakBallistics {
    pub value: f32,
    pub hold: f32,
    hold_age: f32,
}

impl Default for PeakBallistics {
    fn default() -> Self {
        Self {
            value: f32::NEG_INFINITY,
            hold: f32::NEG_INFINITY,
            hold_age: 0.0,
        }
    }
}

impl PeakBallistics {
    /// Feeds the maximum since the last frame (`-inf` when none) after `dt` seconds, with values
    /// below `floor` treated as rest; returns whether the display moved.
    pub fn update(&mut self, input: f32, dt: f32, fall_db_per_s: f32, floor: f32) -> bool {
        let before = (self.value, self.hold);
        let fallen = self.value - fall_db_per_s * dt;
        self.value = if input >= fallen { input } else { fallen };
        if self.value < floor {
            self.value = f32::NEG_INFINITY;
        }
        if self.value >= self.hold {
            self.hold = self.value;
            self.hold_age = 0.0;
        } else {
            self.hold_age += dt;
            if self.hold_age > HOLD_S {
                self.hold -= fall_db_per_s * 2.0 * dt;
                if self.hold < floor {
                    self.hold = f32::NEG_INFINITY;
                }
            }
        }
        moved(before.0, self.value) || moved(before.1, self.hold)
    }
}

fn moved(a: f32, b: f32) -> bool {
    if a.is_finite() || b.is_finite() {
        !(a.is_finite() && b.is_finite() && (a - b).abs() < VISIBLE_DB)
    } else {
        false
    }
}

/// A stereo (or mono) peak + RMS meter's display state.
#[derive(Debug)]
pub struct LevelMeter {
    peak: [PeakBallistics; 2],
    rms: [f32; 2],
}

/// RMS readings are clamped just below the scale, so silence is a value that does not change.
const RMS_REST: f32 = LEVEL_FLOOR - 1.0;

impl Default for LevelMeter {
    fn default() -> Self {
        Self {
            peak: Default::default(),
            rms: [RMS_REST; 2],
        }
    }
}

impl LevelMeter {
    /// Reads `readout` (taking its peaks); returns whether anything visible changed.
    pub fn update(&mut self, readout: &LevelReadout, dt: f32) -> bool {
        let mut moving = false;
        for ch in 0..2 {
            moving |= self.peak[ch].update(
                readout.peak_db[ch].take(),
                dt,
                PEAK_FALL_DB_PER_S,
                LEVEL_FLOOR,
            );
            let rms = readout.rms_db[ch].get().max(RMS_REST);
            moving |= (rms - self.rms[ch]).abs() >= VISIBLE_DB;
            self.rms[ch] = rms;
        }
        moving
    }

    /// Draws two bars (RMS solid, peak translucent above it, hold line) with a dB scale.
    pub fn show(&self, ui: &mut Ui, label: &str, size: Vec2) {
        let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
        let p = ui.painter();
        let label_h = 14.0;
        let value_h = 14.0;
        p.text(
            pos2(rect.center().x, rect.top()),
            Align2::CENTER_TOP,
            label,
            theme::label_font(),
            theme::TEXT_DIM,
        );
        // Wide enough for "-60" at 8.5 px, so no label reaches under the bars.
        let scale_w = 22.0;
        let bars = Rect::from_min_max(
            pos2(rect.left(), rect.top() + label_h),
            pos2(rect.right() - scale_w, rect.bottom() - value_h),
        );
        let y = |db: f32| {
            let t = ((db - LEVEL_FLOOR) / (LEVEL_TOP - LEVEL_FLOOR)).clamp(0.0, 1.0);
            bars.bottom() - t * bars.height()
        };
        let gap = 2.0;
        let w = (bars.width() - gap) / 2.0;
        for ch in 0..2 {
            let x0 = bars.left() + ch as f32 * (w + gap);
            let well = Rect::from_min_max(pos2(x0, bars.top()), pos2(x0 + w, bars.bottom()));
            p.rect_filled(well, 1.0, theme::WELL);
            let peak = self.peak[ch].value;
            if peak.is_finite() {
                let r = Rect::from_min_max(pos2(x0, y(peak)), pos2(x0 + w, bars.bottom()));
                p.rect_filled(r, 1.0, level_colour(peak).gamma_multiply(0.45));
            }
            let rms = self.rms[ch];
            if rms > LEVEL_FLOOR {
                let r = Rect::from_min_max(pos2(x0, y(rms)), pos2(x0 + w, bars.bottom()));
                p.rect_filled(r, 1.0, level_colour(rms));
            }
            let hold = self.peak[ch].hold;
            if hold.is_finite() {
                p.line_segment(
                    [pos2(x0, y(hold)), pos2(x0 + w, y(hold))],
                    (1.5, level_colour(hold)),
                );
            }
        }
        p.line_segment(
            [pos2(bars.left(), y(0.0)), pos2(bars.right(), y(0.0))],
            (1.0, theme::TEXT_DIM.gamma_multiply(0.5)),
        );
        // Drawn after the bars: a label is never painted over.
        for db in [6.0, 0.0, -6.0, -12.0, -18.0, -24.0, -36.0, -48.0, -60.0] {
            p.text(
                pos2(rect.right(), y(db)),
                Align2::RIGHT_CENTER,
                if db > 0.0 {
                    format!("+{db}")
                } else {
                    format!("{db}")
                },
                egui::FontId::proportional(8.5),
                theme::TEXT_DIM,
            );
        }
        let hold = self.peak[0].hold.max(self.peak[1].hold);
        p.text(
            pos2(bars.center().x, rect.bottom()),
            Align2::CENTER_BOTTOM,
            db_text(hold),
            theme::value_font(),
            if hold > 0.0 {
                theme::METER_HIGH
            } else {
                theme::TEXT
            },
        );
        response.on_hover_text(format!(
            "{label}: peak (light) and 300 ms RMS (solid), dBFS; the number is the held peak"
        ));
    }
}

fn level_colour(db: f32) -> Color32 {
    if db > -0.1 {
        theme::METER_HIGH
    } else if db > -9.0 {
        theme::METER_MID
    } else {
        theme::METER_LOW
    }
}

fn db_text(db: f32) -> String {
    if db.is_finite() {
        format!("{db:+.1}")
    } else {
        "-inf".into()
    }
}

/// Gain reduction as a negative gain ("0.0" at rest, never "-0.0").
fn gr_text(gr: f32) -> String {
    if gr < 0.05 {
        "0.0".into()
    } else {
        format!("{:.1}", -gr)
    }
}

/// Gain-reduction scale, dB.
const GR_RANGE: f32 = 24.0;

/// A gain-reduction meter's display state: fast peak ballistics with hold, or VU ballistics.
#[derive(Debug, Default)]
pub struct GainReductionMeter {
    peak: PeakBallistics,
    vu: f32,
}

/// VU ballistics (IEC 60268-17: 99 % of the step in 300 ms) as a one-pole follower, tau =
/// 300 ms / ln(100).
const VU_TAU_S: f32 = 0.3 / 4.605;

impl GainReductionMeter {
    /// Takes the gain reduction (dB, positive) published since the last frame.
    pub fn update(&mut self, gr: &MeterValue, dt: f32) -> bool {
        let taken = gr.take();
        let input = if taken.is_finite() {
            taken.max(0.0)
        } else {
            0.0
        };
        // The peak follower treats 0.01 dB as rest, so an idle compressor draws nothing.
        let moved_peak = self.peak.update(
            if input > 0.01 {
                input
            } else {
                f32::NEG_INFINITY
            },
            dt,
            PEAK_FALL_DB_PER_S * 2.0,
            0.01,
        );
        let before = self.vu;
        self.vu += (input - self.vu) * (1.0 - (-dt / VU_TAU_S).exp());
        if self.vu < 0.01 {
            self.vu = 0.0;
        }
        moved_peak || (self.vu - before).abs() >= VISIBLE_DB * 0.5
    }

    fn peak(&self) -> f32 {
        self.peak.value.max(0.0)
    }

    fn hold(&self) -> f32 {
        self.peak.hold.max(0.0)
    }

    /// A vertical bar growing down from 0 dB, with a hold line and the held value in dB.
    pub fn show_bar(&self, ui: &mut Ui, label: &str, size: Vec2) {
        let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
        let p = ui.painter();
        p.text(
            pos2(rect.center().x, rect.top()),
            Align2::CENTER_TOP,
            label,
            theme::label_font(),
            theme::TEXT_DIM,
        );
        let bar = Rect::from_min_max(
            pos2(rect.left(), rect.top() + 14.0),
            pos2(rect.right() - 16.0, rect.bottom() - 14.0),
        );
        let y = |db: f32| bar.top() + (db / GR_RANGE).clamp(0.0, 1.0) * bar.height();
        p.rect_filled(bar, 1.0, theme::WELL);
        for db in [0.0, 3.0, 6.0, 10.0, 15.0, 20.0] {
            p.text(
                pos2(rect.right(), y(db)),
                Align2::RIGHT_CENTER,
                format!("{}", db as i32),
                egui::FontId::proportional(8.5),
                theme::TEXT_DIM,
            );
        }
        if self.peak() > 0.0 {
            p.rect_filled(
                Rect::from_min_max(bar.min, pos2(bar.right(), y(self.peak()))),
                1.0,
                theme::GAIN_REDUCTION,
            );
        }
        if self.hold() > 0.0 {
            p.line_segment(
                [
                    pos2(bar.left(), y(self.hold())),
                    pos2(bar.right(), y(self.hold())),
                ],
                (1.5, theme::TEXT),
            );
        }
        p.text(
            pos2(bar.center().x, rect.bottom()),
            Align2::CENTER_BOTTOM,
            gr_text(self.hold()),
            theme::value_font(),
            theme::TEXT,
        );
        response.on_hover_text(format!("{label}: gain reduction in dB, with peak hold"));
    }

    /// A VU-style needle meter for gain reduction (the console bus compressor's meter): 0 dB at
    /// the right, the needle swings left with VU ballistics; a red hold mark shows the peak.
    pub fn show_vu(&self, ui: &mut Ui, size: Vec2, accent: Color32) {
        let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
        let p = ui.painter();
        p.rect_filled(rect, 4.0, Color32::from_rgb(0x2a, 0x26, 0x1f));
        let face = rect.shrink(6.0);
        p.rect_filled(face, 3.0, Color32::from_rgb(0xe9, 0xdc, 0xbd));
        let pivot = pos2(face.center().x, face.bottom() + face.height() * 0.35);
        let radius = face.height() * 1.05;
        // 0 dB at +40 degrees right of vertical, 20 dB at -40 degrees.
        let ang = |db: f32| {
            let t = (db / 20.0).clamp(0.0, 1.0);
            (-90.0f32 + 40.0 - 80.0 * t).to_radians()
        };
        let at = |a: f32, r: f32| pos2(pivot.x + r * a.cos(), pivot.y + r * a.sin());
        let ink = Color32::from_rgb(0x2a, 0x26, 0x1f);
        let arc: Vec<_> = (0..=40)
            .map(|i| at(ang(20.0 * i as f32 / 40.0), radius * 0.86))
            .collect();
        p.add(Shape::line(arc, Stroke::new(1.2, ink)));
        for db in [0.0f32, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 14.0, 20.0] {
            let a = ang(db);
            p.line_segment([at(a, radius * 0.86), at(a, radius * 0.92)], (1.2, ink));
            if [0.0, 2.0, 4.0, 6.0, 10.0, 20.0].contains(&db) {
                p.text(
                    at(a, radius * 0.99),
                    Align2::CENTER_CENTER,
                    format!("{}", db as i32),
                    egui::FontId::proportional(10.0),
                    ink,
                );
            }
        }
        p.text(
            pos2(face.center().x, face.bottom() - 14.0),
            Align2::CENTER_CENTER,
            "GAIN REDUCTION dB",
            egui::FontId::proportional(9.0),
            ink,
        );
        let hold = self.hold();
        if hold > 0.05 {
            let a = ang(hold);
            p.line_segment(
                [at(a, radius * 0.80), at(a, radius * 0.93)],
                (2.5, theme::METER_HIGH),
            );
        }
        let clip = p.with_clip_rect(face);
        clip.line_segment(
            [
                at(ang(self.vu), radius * 0.15),
                at(ang(self.vu), radius * 0.93),
            ],
            (1.8, Color32::from_rgb(0x1a, 0x1a, 0x1a)),
        );
        p.circle_filled(
            pos2(face.center().x, face.bottom()),
            3.0,
            accent.gamma_multiply(0.8),
        );
        p.text(
            pos2(face.right() - 4.0, face.top() + 4.0),
            Align2::RIGHT_TOP,
            format!("peak {}", gr_text(hold)),
            egui::FontId::monospace(9.5),
            ink,
        );
        response.on_hover_text(
            "Gain reduction: the needle has VU ballistics (300 ms), the red mark holds the peak",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME_S: f32 = 1.0 / 30.0;

    #[test]
    fn peaks_rise_at_once_hold_then_fall_and_a_meter_at_rest_asks_for_no_frames() {
        let readout = LevelReadout::default();
        let mut m = LevelMeter::default();
        assert!(
            !m.update(&readout, FRAME_S),
            "silence at rest must not repaint"
        );
        readout.peak_db[0].update_max(-6.0);
        assert!(m.update(&readout, FRAME_S));
        assert_eq!(m.peak[0].value, -6.0);
        // One second later the bar has fallen at the fall rate, the hold line has not moved.
        for _ in 0..30 {
            m.update(&readout, FRAME_S);
        }
        assert!((m.peak[0].value - (-6.0 - PEAK_FALL_DB_PER_S)).abs() < 0.1);
        assert_eq!(m.peak[0].hold, -6.0);
        // Long after, everything is below the floor and the meter rests again.
        let mut frames = 0;
        while m.update(&readout, FRAME_S) {
            frames += 1;
            assert!(frames < 30 * 10, "the meter never came to rest");
        }
        assert!(m.peak[0].value == f32::NEG_INFINITY && m.peak[0].hold == f32::NEG_INFINITY);
    }

    #[test]
    fn gain_reduction_vu_needle_reaches_99_percent_in_300_ms() {
        let gr = MeterValue::default();
        let mut m = GainReductionMeter::default();
        assert!(
            !m.update(&gr, FRAME_S),
            "no reduction at rest must not repaint"
        );
        let steps = (0.3 / 0.001) as usize;
        for _ in 0..steps {
            gr.update_max(10.0);
            m.update(&gr, 0.001);
        }
        assert!((m.vu - 9.9).abs() < 0.02, "{}", m.vu);
        assert_eq!(m.hold(), 10.0);
    }
}

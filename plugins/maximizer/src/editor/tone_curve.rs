//! The tone EQ's magnitude response, computed by dsp-core's own equaliser from the current
//! settings (the curve and the audio agree: dsp-core test
//! `plugin_layouts_and_editor_curve_agree_with_the_audio`), with a node per band: drag for
//! frequency and gain, wheel over the mid node for its Q, double-click for 0 dB.

use crate::params::MaximizerParams;
use crate::settings_from_params;
use dsp_core::eq::Equalizer;
use egui::{pos2, Align2, Pos2, Rect, Sense, Shape, Stroke, Ui, Vec2};
use lathe_shared::editor::controls::eq_node;
use lathe_shared::editor::theme::{self, accent::MAXIMIZER as ACCENT};
use nice_plug::prelude::*;

const POINTS: usize = 160;
const F_MIN: f64 = 20.0;
const F_MAX: f64 = 20_000.0;
/// The bands' gain range is +-12 dB; the plot leaves headroom above it.
const DB_RANGE: f32 = 15.0;
/// Sample rate the curve is evaluated at: the response below 20 kHz barely depends on it.
const DISPLAY_RATE: f64 = 48_000.0;
/// Wheel travel (points) for the whole Q range.
const WHEEL_RANGE: f32 = 400.0;

pub struct ToneCurve {
    eq: Equalizer,
    freqs: Vec<f64>,
    db: Vec<f64>,
    /// The settings the cached curve belongs to.
    key: [f64; 7],
}

impl Default for ToneCurve {
    fn default() -> Self {
        let mut eq = Equalizer::maximizer();
        eq.prepare(DISPLAY_RATE, 0);
        let freqs = (0..POINTS)
            .map(|i| F_MIN * (F_MAX / F_MIN).powf(i as f64 / (POINTS - 1) as f64))
            .collect();
        Self {
            eq,
            freqs,
            db: vec![0.0; POINTS],
            key: [f64::NAN; 7],
        }
    }
}

impl ToneCurve {
    pub fn show(&mut self, ui: &mut Ui, p: &MaximizerParams, setter: &ParamSetter, size: Vec2) {
        let s = settings_from_params(p);
        let key = [
            s.eq_low_freq,
            s.eq_low_gain_db,
            s.eq_mid_freq,
            s.eq_mid_gain_db,
            s.eq_mid_q,
            s.eq_high_freq,
            s.eq_high_gain_db,
        ];
        if key != self.key {
            // Band order of `Equalizer::maximizer`: low shelf, mid bell, high shelf.
            self.eq.set_freq(0, s.eq_low_freq);
            self.eq.set_gain_db(0, s.eq_low_gain_db);
            self.eq.set_freq(1, s.eq_mid_freq);
            self.eq.set_gain_db(1, s.eq_mid_gain_db);
            self.eq.set_q(1, s.eq_mid_q);
            self.eq.set_freq(2, s.eq_high_freq);
            self.eq.set_gain_db(2, s.eq_high_gain_db);
            self.eq.curve_db(&self.freqs, &mut self.db);
            self.key = key;
        }

        let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 4.0, theme::WELL);
        let x =
            |f: f64| rect.left() + ((f / F_MIN).ln() / (F_MAX / F_MIN).ln()) as f32 * rect.width();
        let y = |db: f64| rect.center().y - (db as f32 / DB_RANGE) * rect.height() * 0.5;
        for f in [100.0, 1000.0, 10_000.0] {
            painter.vline(x(f), rect.y_range(), Stroke::new(1.0, theme::GRID));
            painter.text(
                pos2(x(f) + 2.0, rect.bottom() - 2.0),
                Align2::LEFT_BOTTOM,
                if f >= 1000.0 {
                    format!("{}k", f / 1000.0)
                } else {
                    format!("{f}")
                },
                theme::value_font(),
                theme::TEXT_DIM,
            );
        }
        for db in [-12.0, -6.0, 0.0, 6.0, 12.0] {
            painter.hline(rect.x_range(), y(db), Stroke::new(1.0, theme::GRID));
        }
        let line: Vec<Pos2> = self
            .freqs
            .iter()
            .zip(&self.db)
            .map(|(&f, &d)| pos2(x(f), y(d)))
            .collect();
        painter.add(Shape::line(line, Stroke::new(2.0, ACCENT)));
        let f_of = |px: f32| {
            let u = ((px - rect.left()) / rect.width()).clamp(0.0, 1.0) as f64;
            (F_MIN * (F_MAX / F_MIN).powf(u)) as f32
        };
        let db_of = |py: f32| (rect.center().y - py) / (rect.height() * 0.5) * DB_RANGE;
        let nodes = [
            ("Low", &p.eq_low_freq, &p.eq_low_gain, None),
            ("Mid", &p.eq_mid_freq, &p.eq_mid_gain, Some(&p.eq_mid_q)),
            ("High", &p.eq_high_freq, &p.eq_high_gain, None),
        ];
        for (i, (name, freq, gain, q)) in nodes.into_iter().enumerate() {
            let centre = pos2(x(freq.value() as f64), y(gain.value() as f64));
            let hit = Rect::from_center_size(centre, Vec2::splat(16.0));
            let r = ui.interact(
                hit,
                ui.scope_id().with(("tone-node", i)),
                Sense::click_and_drag(),
            );
            eq_node(ui, &r, setter, (freq, Some(gain), q), WHEEL_RANGE, |pos| {
                (f_of(pos.x), db_of(pos.y))
            });
            let hot = r.hovered() || r.dragged();
            painter.circle_filled(centre, if hot { 6.0 } else { 4.0 }, ACCENT);
            let q_text = q.map_or(String::new(), |q| format!(", Q {q}"));
            r.on_hover_text(format!(
                "{name}: {freq}, {gain}{q_text}\nDrag: frequency and gain{}, double-click: 0 dB",
                if q.is_some() { ", wheel: Q" } else { "" }
            ));
        }
    }
}

//! The decay display: the energy decay each band follows with the current settings (straight
//! lines in dB, `-60 dB per RT60` after the pre-delay: an exponential decay), from the three
//! plateau RT60s of dsp-core's reverb (`Reverb::band_rt60`); an RT60-over-frequency inset from
//! the closed-form response of the network's absorption filters (`Reverb::rt60_at`), which shows
//! the crossovers; and the live output energy of the last tail, captured when the input stops,
//! drawn over the predictions.

use crate::params::ReverbParams;
use crate::{apply_settings, Meters};
use dsp_core::reverb::{Reverb as ReverbDsp, LOW_CROSSOVER_HZ};
use egui::{pos2, vec2, Align2, Color32, Pos2, Rect, Sense, Shape, Stroke, Ui, Vec2};
use lathe_shared::editor::theme::{self, accent::REVERB as ACCENT};

/// Dynamic range shown: the RT60's own -60 dB plus a margin.
const FLOOR_DB: f64 = -70.0;
/// The input counts as stopped below this RMS (dBFS), and as playing above `ON_DB`; the gap
/// keeps a noisy fade from restarting the capture.
const OFF_DB: f32 = -80.0;
const ON_DB: f32 = -60.0;
/// The level meters' RMS window (dsp-core `LevelMeter`, 300 ms): the input's RMS reaches
/// silence one window after the input stopped, and the output's RMS lags the true energy by
/// half a window.
const RMS_WINDOW_S: f64 = 0.3;
/// The most points a capture keeps (30 frames/s for 20 s).
const MAX_CAPTURE: usize = 600;
/// Band colours: low warm, mid the accent, high cool.
const LOW: Color32 = Color32::from_rgb(0xf0, 0x9a, 0x4a);
const HIGH: Color32 = Color32::from_rgb(0x5a, 0xc8, 0xe8);
const LIVE: Color32 = Color32::from_rgb(0xe4, 0xe7, 0xec);

pub struct DecayDisplay {
    /// An unprepared copy of the reverb: setters and `rt60_at` only, no delay lines.
    dsp: ReverbDsp,
    input_playing: bool,
    /// Wall-clock time the input stopped, and the output RMS then.
    capture_start: Option<(f64, f32)>,
    /// (seconds since the input stopped, output energy relative to the start, dB).
    capture: Vec<(f32, f32)>,
    /// RT60 at [`INSET_POINTS`] log-spaced frequencies, and the settings it was computed for
    /// (recomputed only when they change: each point designs the eight lines' filters).
    inset: Vec<f64>,
    inset_key: [f32; 6],
}

const INSET_POINTS: usize = 64;

impl Default for DecayDisplay {
    fn default() -> Self {
        Self {
            dsp: ReverbDsp::new(),
            input_playing: false,
            capture_start: None,
            capture: Vec::with_capacity(MAX_CAPTURE),
            inset: vec![0.0; INSET_POINTS],
            inset_key: [f32::NAN; 6],
        }
    }
}

fn db_max(m: &lathe_shared::meters::LevelReadout) -> f32 {
    m.rms_db[0].get().max(m.rms_db[1].get())
}

impl DecayDisplay {
    /// Follows the input and output levels; true while a capture is recording.
    pub fn update(&mut self, meters: &Meters, now: f64) -> bool {
        let input = db_max(&meters.input);
        let output = db_max(&meters.output);
        if input > ON_DB {
            self.input_playing = true;
            self.capture_start = None;
        } else if input < OFF_DB && self.input_playing {
            self.input_playing = false;
            self.capture.clear();
            self.capture_start = Some((now - RMS_WINDOW_S, output));
        }
        let Some((t0, ref_db)) = self.capture_start else {
            return false;
        };
        let t = (now - t0 - RMS_WINDOW_S * 0.5) as f32;
        let rel = output - ref_db;
        if self.capture.len() < MAX_CAPTURE && output.is_finite() && rel > FLOOR_DB as f32 {
            self.capture.push((t, rel));
            true
        } else {
            self.capture_start = None;
            false
        }
    }

    pub fn show(&mut self, ui: &mut Ui, p: &ReverbParams, size: Vec2) {
        apply_settings(&mut self.dsp, p);
        let [low, mid, high] = self.dsp.band_rt60();
        let key = [
            p.mode.value() as usize as f32,
            p.size.value(),
            p.decay.value(),
            p.bass_mult.value(),
            p.hf_damp.value(),
            p.freeze.value() as u8 as f32,
        ];
        if key != self.inset_key {
            for (i, rt) in self.inset.iter_mut().enumerate() {
                let u = i as f64 / (INSET_POINTS - 1) as f64;
                *rt = self.dsp.rt60_at(20.0 * 1000f64.powf(u));
            }
            self.inset_key = key;
        }
        let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 4.0, theme::WELL);
        let plot = rect.shrink2(vec2(34.0, 16.0)).translate(vec2(10.0, -2.0));
        let predelay = p.predelay.value() as f64 * 1e-3;
        let longest = low.max(mid).max(high);
        let span = if longest.is_finite() {
            (predelay + longest * 1.15).clamp(0.5, 25.0)
        } else {
            25.0
        };
        let x = |t: f64| plot.left() + (t / span).clamp(0.0, 1.0) as f32 * plot.width();
        let y = |db: f64| plot.top() + (db / FLOOR_DB).clamp(0.0, 1.0) as f32 * plot.height();
        for db in [-10.0, -20.0, -30.0, -40.0, -50.0, -60.0] {
            painter.hline(plot.x_range(), y(db), Stroke::new(1.0, theme::GRID));
            painter.text(
                pos2(plot.left() - 4.0, y(db)),
                Align2::RIGHT_CENTER,
                format!("{db:.0}"),
                theme::value_font(),
                theme::TEXT_DIM,
            );
        }
        let step = nice_step(span);
        let mut t = step;
        while t < span {
            painter.vline(x(t), plot.y_range(), Stroke::new(1.0, theme::GRID));
            painter.text(
                pos2(x(t), plot.bottom() + 2.0),
                Align2::CENTER_TOP,
                format!("{t:.1} s"),
                theme::value_font(),
                theme::TEXT_DIM,
            );
            t += step;
        }
        for (rt60, color) in [(low, LOW), (mid, ACCENT), (high, HIGH)] {
            let end = if rt60.is_finite() {
                predelay + rt60 * (-FLOOR_DB / 60.0)
            } else {
                span
            };
            let floor_or_flat = if rt60.is_finite() { FLOOR_DB } else { 0.0 };
            let line = vec![
                pos2(x(0.0), y(0.0)),
                pos2(x(predelay), y(0.0)),
                pos2(
                    x(end.min(span)),
                    y(floor_or_flat * (end.min(span) - predelay) / (end - predelay).max(1e-9)),
                ),
            ];
            painter.add(Shape::line(line, Stroke::new(2.0, color)));
        }
        if self.capture.len() > 1 {
            let live: Vec<Pos2> = self
                .capture
                .iter()
                .map(|&(t, db)| pos2(x(t as f64), y(db as f64)))
                .collect();
            painter.add(Shape::line(live, Stroke::new(1.5, LIVE)));
        }
        let crossover = p.hf_damp.value();
        let legend = [
            (
                LOW,
                format!("Low < {LOW_CROSSOVER_HZ:.0} Hz  {}", seconds(low)),
            ),
            (ACCENT, format!("Mid  {}", seconds(mid))),
            (HIGH, format!("High > {}  {}", hz(crossover), seconds(high))),
            (LIVE, "Last tail (live output)".to_owned()),
        ];
        for (i, (color, text)) in legend.iter().enumerate() {
            let at = pos2(plot.right() - 190.0, plot.top() + 4.0 + 16.0 * i as f32);
            painter.line_segment([at + vec2(0.0, 7.0), at + vec2(14.0, 7.0)], (2.0, *color));
            painter.text(
                at + vec2(20.0, 0.0),
                Align2::LEFT_TOP,
                text,
                theme::value_font(),
                theme::TEXT,
            );
        }
        self.rt60_inset(
            &painter,
            Rect::from_min_size(
                pos2(plot.right() - 190.0, plot.top() + 74.0),
                vec2(184.0, 80.0),
            ),
            longest,
        );
    }

    /// RT60 over frequency, 20 Hz to 20 kHz, from the network's actual absorption filters.
    fn rt60_inset(&self, painter: &egui::Painter, rect: Rect, longest: f64) {
        painter.rect_filled(rect, 3.0, theme::PANEL);
        if !longest.is_finite() {
            painter.text(
                rect.center(),
                Align2::CENTER_CENTER,
                "Frozen: infinite decay",
                theme::value_font(),
                theme::TEXT,
            );
            return;
        }
        let top = longest * 1.2;
        let points: Vec<Pos2> = self
            .inset
            .iter()
            .enumerate()
            .map(|(i, &rt)| {
                let u = i as f64 / (INSET_POINTS - 1) as f64;
                let rt = rt.min(top);
                pos2(
                    rect.left() + u as f32 * rect.width(),
                    rect.bottom() - (rt / top) as f32 * (rect.height() - 14.0),
                )
            })
            .collect();
        painter.add(Shape::line(points, Stroke::new(1.5, ACCENT)));
        painter.text(
            rect.left_top() + vec2(4.0, 2.0),
            Align2::LEFT_TOP,
            "RT60 over frequency",
            theme::value_font(),
            theme::TEXT_DIM,
        );
    }
}

/// A grid step giving 4-8 lines over `span` seconds.
fn nice_step(span: f64) -> f64 {
    [0.1, 0.25, 0.5, 1.0, 2.0, 5.0]
        .into_iter()
        .find(|s| span / s <= 8.0)
        .unwrap_or(5.0)
}

fn seconds(s: f64) -> String {
    if s.is_finite() {
        format!("RT60 {s:.2} s")
    } else {
        "RT60 inf".to_owned()
    }
}

fn hz(f: f32) -> String {
    if f >= 1000.0 {
        format!("{:.1} kHz", f / 1000.0)
    } else {
        format!("{f:.0} Hz")
    }
}

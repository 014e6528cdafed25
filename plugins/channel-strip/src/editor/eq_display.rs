//! The EQ display: the filters' and EQ's combined response (computed by the same `Equalizer`
//! objects the audio path runs) over the live 1/6-octave spectrum before (grey) and after
//! (accent) the strip. Band nodes are dragged for frequency and gain; the wheel sets Q.

use crate::params::{eq_layout, filters_layout, ChannelStripParams};
use dsp_core::eq::Equalizer;
use dsp_core::meter::spectrum::SpectrumAnalyzer;
use egui::{pos2, Align2, Color32, Mesh, Pos2, Rect, Sense, Shape, Stroke, Ui};
use lathe_shared::editor::controls::eq_node;
use lathe_shared::editor::theme;
use nice_plug::prelude::*;

const F_LO: f32 = 20.0;
const F_HI: f32 = 20_000.0;
/// The curve's vertical range, dB (the EQ gains reach ±18).
const EQ_RANGE: f32 = 20.0;
/// The spectrum's vertical range, dB: 0 at the top.
const SPEC_FLOOR: f32 = -84.0;
const CURVE_POINTS: usize = 240;
/// Wheel travel (points) for the whole Q range.
const WHEEL_RANGE: f32 = 600.0;

const BAND_COLOURS: [Color32; 6] = [
    Color32::from_rgb(0x9a, 0xa3, 0xb0),
    Color32::from_rgb(0xf0, 0x6e, 0x5a),
    Color32::from_rgb(0xf0, 0xc0, 0x4a),
    Color32::from_rgb(0x5a, 0xd0, 0x8c),
    Color32::from_rgb(0x5a, 0xb4, 0xf0),
    Color32::from_rgb(0x9a, 0xa3, 0xb0),
];

/// A draggable node: a filter (frequency only) or an EQ band (frequency, gain, Q).
struct Node<'a> {
    name: &'static str,
    freq: &'a FloatParam,
    gain: Option<&'a FloatParam>,
    q: Option<&'a FloatParam>,
    on: bool,
}

pub struct EqDisplay {
    filters: Equalizer,
    eq: Equalizer,
    freqs: Vec<f64>,
    curve: Vec<f64>,
    band: Vec<f64>,
    prepared_rate: f64,
}

impl EqDisplay {
    pub fn new() -> Self {
        let freqs = (0..CURVE_POINTS)
            .map(|i| (F_LO * (F_HI / F_LO).powf(i as f32 / (CURVE_POINTS - 1) as f32)) as f64)
            .collect();
        Self {
            filters: filters_layout(),
            eq: eq_layout(),
            freqs,
            curve: vec![0.0; CURVE_POINTS],
            band: vec![0.0; CURVE_POINTS],
            prepared_rate: 0.0,
        }
    }

    /// Draws the display into `rect`; `spectra` are the pre and post analyzers, if audio runs.
    pub fn show(
        &mut self,
        ui: &mut Ui,
        rect: Rect,
        params: &ChannelStripParams,
        setter: &ParamSetter,
        spectra: Option<(&SpectrumAnalyzer, &SpectrumAnalyzer, f64)>,
        accent: Color32,
    ) {
        let sample_rate = spectra.map_or(48_000.0, |s| s.2);
        if sample_rate != self.prepared_rate {
            self.filters.prepare(sample_rate, 1);
            self.eq.prepare(sample_rate, 1);
            self.prepared_rate = sample_rate;
        }
        params.configure_filters(&mut self.filters);
        params.configure_eq(&mut self.eq);
        self.filters.reset();
        self.eq.reset();
        self.filters.curve_db(&self.freqs, &mut self.curve);
        self.eq.curve_db(&self.freqs, &mut self.band);
        for (c, b) in self.curve.iter_mut().zip(&self.band) {
            *c += b;
        }

        let p = ui.painter().with_clip_rect(rect);
        p.rect_filled(rect, 3.0, theme::WELL);
        let x = |f: f32| rect.left() + rect.width() * (f / F_LO).ln() / (F_HI / F_LO).ln();
        let f_of = |px: f32| {
            F_LO * (F_HI / F_LO).powf(((px - rect.left()) / rect.width()).clamp(0.0, 1.0))
        };
        let y = |db: f32| rect.center().y - db / EQ_RANGE * rect.height() * 0.5;
        let db_of = |py: f32| (rect.center().y - py) / (rect.height() * 0.5) * EQ_RANGE;
        let ys = |db: f32| {
            rect.bottom() - ((db - SPEC_FLOOR) / -SPEC_FLOOR).clamp(0.0, 1.0) * rect.height()
        };

        for f in [50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0] {
            p.line_segment(
                [pos2(x(f), rect.top()), pos2(x(f), rect.bottom())],
                (1.0, theme::GRID),
            );
            let label = if f >= 1000.0 {
                format!("{}k", f / 1000.0)
            } else {
                format!("{f}")
            };
            p.text(
                pos2(x(f) + 2.0, rect.bottom() - 2.0),
                Align2::LEFT_BOTTOM,
                label,
                egui::FontId::proportional(9.0),
                theme::TEXT_DIM,
            );
        }
        for db in [-18.0, -12.0, -6.0, 0.0, 6.0, 12.0, 18.0] {
            let c = if db == 0.0 {
                theme::PANEL_EDGE
            } else {
                theme::GRID
            };
            p.line_segment(
                [pos2(rect.left(), y(db)), pos2(rect.right(), y(db))],
                (1.0, c),
            );
            p.text(
                pos2(rect.right() - 3.0, y(db)),
                Align2::RIGHT_BOTTOM,
                format!("{db:+}"),
                egui::FontId::proportional(9.0),
                theme::TEXT_DIM,
            );
        }

        if let Some((pre, post, _)) = spectra {
            let line = |a: &SpectrumAnalyzer| -> Vec<Pos2> {
                a.centres()
                    .iter()
                    .zip(a.levels())
                    .map(|(&f, &l)| pos2(x(f), ys(l)))
                    .collect()
            };
            let post_line = line(post);
            let mut mesh = Mesh::default();
            let fill = accent.gamma_multiply(0.18);
            for (i, pt) in post_line.iter().enumerate() {
                mesh.colored_vertex(*pt, fill);
                mesh.colored_vertex(pos2(pt.x, rect.bottom()), fill);
                if i > 0 {
                    let k = 2 * i as u32;
                    mesh.add_triangle(k - 2, k - 1, k);
                    mesh.add_triangle(k - 1, k, k + 1);
                }
            }
            p.add(Shape::mesh(mesh));
            p.add(Shape::line(
                line(pre),
                Stroke::new(1.0, theme::TEXT_DIM.gamma_multiply(0.7)),
            ));
            p.add(Shape::line(
                post_line,
                Stroke::new(1.2, accent.gamma_multiply(0.8)),
            ));
        }

        let curve: Vec<Pos2> = self
            .freqs
            .iter()
            .zip(&self.curve)
            .map(|(&f, &db)| {
                pos2(
                    x(f as f32),
                    y((db as f32).clamp(-EQ_RANGE * 1.5, EQ_RANGE * 1.5)),
                )
            })
            .collect();
        p.add(Shape::line(curve, Stroke::new(2.0, theme::TEXT)));

        // Nodes: HPF, the four bands, LPF.
        let bands = params.eq_bands();
        let mut nodes = vec![Node {
            name: "HPF",
            freq: &params.hpf_freq,
            gain: None,
            q: None,
            on: params.hpf_on.value(),
        }];
        for (name, (freq, gain, q)) in ["LF", "LMF", "HMF", "HF"].into_iter().zip(bands) {
            nodes.push(Node {
                name,
                freq,
                gain: Some(gain),
                q: Some(q),
                on: params.eq_on.value(),
            });
        }
        nodes.push(Node {
            name: "LPF",
            freq: &params.lpf_freq,
            gain: None,
            q: None,
            on: params.lpf_on.value(),
        });
        for (i, node) in nodes.into_iter().enumerate() {
            let Node {
                name,
                freq,
                gain,
                q,
                on,
            } = node;
            let centre = pos2(x(freq.value()), y(gain.map_or(0.0, |g| g.value())));
            let hit = Rect::from_center_size(centre, egui::Vec2::splat(18.0));
            let id = ui.scope_id().with(("eq-node", i));
            let r = ui.interact(hit, id, Sense::click_and_drag());
            eq_node(ui, &r, setter, (freq, gain, q), WHEEL_RANGE, |pos| {
                (f_of(pos.x), db_of(pos.y))
            });
            let colour = if on {
                BAND_COLOURS[i]
            } else {
                theme::TEXT_DIM.gamma_multiply(0.5)
            };
            let hot = r.hovered() || r.dragged();
            p.circle_filled(centre, if hot { 7.0 } else { 5.5 }, colour);
            p.circle_stroke(centre, if hot { 7.0 } else { 5.5 }, (1.0, theme::WELL));
            p.text(
                centre + egui::vec2(0.0, -10.0),
                Align2::CENTER_BOTTOM,
                name,
                egui::FontId::proportional(9.0),
                colour,
            );
            let mut tip = format!("{name}: {freq}");
            if let (Some(g), Some(q)) = (gain, q) {
                tip += &format!(
                    ", {g}, Q {q}\nDrag: frequency and gain · wheel: Q · double-click: 0 dB"
                );
            } else {
                tip += "\nDrag: frequency";
            }
            r.on_hover_text(tip);
        }
    }
}

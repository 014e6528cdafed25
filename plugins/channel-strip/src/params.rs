//! Channel Strip parameters. The string IDs are a public contract (saved sessions and automation
//! use them): never rename one; add a migration in `lib.rs` instead. `tests/params.rs` freezes the
//! list.

use atomic_float::AtomicF32;
use dsp_core::eq::{BandParams, Equalizer, FilterType, Slope as EqSlope};
use lathe_shared::editor::scale;
use lathe_shared::format;
use lathe_shared::params::{db, hz, ms, percent, q, switch};
use lathe_shared::state::{header, StateHeader};
use nice_plug::prelude::*;
use std::f64::consts::FRAC_1_SQRT_2;
use std::sync::{Arc, RwLock};

/// Bumped whenever a parameter's meaning changes; `lib.rs` migrates older states.
pub const STATE_VERSION: u32 = 1;

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slope {
    #[id = "6"]
    #[name = "6 dB/oct"]
    Db6,
    #[id = "12"]
    #[name = "12 dB/oct"]
    Db12,
    #[id = "18"]
    #[name = "18 dB/oct"]
    Db18,
    #[id = "24"]
    #[name = "24 dB/oct"]
    Db24,
    #[id = "36"]
    #[name = "36 dB/oct"]
    Db36,
    #[id = "48"]
    #[name = "48 dB/oct"]
    Db48,
}

impl Slope {
    pub fn db_per_octave(self) -> u32 {
        match self {
            Slope::Db6 => 6,
            Slope::Db12 => 12,
            Slope::Db18 => 18,
            Slope::Db24 => 24,
            Slope::Db36 => 36,
            Slope::Db48 => 48,
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShelfOrBell {
    #[id = "shelf"]
    Shelf,
    #[id = "bell"]
    Bell,
}

#[derive(Params)]
pub struct ChannelStripParams {
    #[persist = "lathe"]
    pub header: RwLock<StateHeader>,
    /// The editor's user scale (see `lathe_shared::editor::scale`).
    #[persist = "editor-scale"]
    pub editor_scale: Arc<AtomicF32>,

    #[id = "bypass"]
    pub bypass: BoolParam,
    #[id = "in_gain"]
    pub in_gain: FloatParam,
    #[id = "phase"]
    pub phase: BoolParam,

    #[id = "hpf_on"]
    pub hpf_on: BoolParam,
    #[id = "hpf_freq"]
    pub hpf_freq: FloatParam,
    #[id = "hpf_slope"]
    pub hpf_slope: EnumParam<Slope>,
    #[id = "lpf_on"]
    pub lpf_on: BoolParam,
    #[id = "lpf_freq"]
    pub lpf_freq: FloatParam,
    #[id = "lpf_slope"]
    pub lpf_slope: EnumParam<Slope>,

    #[id = "eq_on"]
    pub eq_on: BoolParam,
    #[id = "eq_lf_type"]
    pub eq_lf_type: EnumParam<ShelfOrBell>,
    #[id = "eq_lf_freq"]
    pub eq_lf_freq: FloatParam,
    #[id = "eq_lf_gain"]
    pub eq_lf_gain: FloatParam,
    #[id = "eq_lf_q"]
    pub eq_lf_q: FloatParam,
    #[id = "eq_lmf_freq"]
    pub eq_lmf_freq: FloatParam,
    #[id = "eq_lmf_gain"]
    pub eq_lmf_gain: FloatParam,
    #[id = "eq_lmf_q"]
    pub eq_lmf_q: FloatParam,
    #[id = "eq_hmf_freq"]
    pub eq_hmf_freq: FloatParam,
    #[id = "eq_hmf_gain"]
    pub eq_hmf_gain: FloatParam,
    #[id = "eq_hmf_q"]
    pub eq_hmf_q: FloatParam,
    #[id = "eq_hf_type"]
    pub eq_hf_type: EnumParam<ShelfOrBell>,
    #[id = "eq_hf_freq"]
    pub eq_hf_freq: FloatParam,
    #[id = "eq_hf_gain"]
    pub eq_hf_gain: FloatParam,
    #[id = "eq_hf_q"]
    pub eq_hf_q: FloatParam,

    #[id = "gate_on"]
    pub gate_on: BoolParam,
    #[id = "gate_threshold"]
    pub gate_threshold: FloatParam,
    #[id = "gate_range"]
    pub gate_range: FloatParam,
    #[id = "gate_attack"]
    pub gate_attack: FloatParam,
    #[id = "gate_hold"]
    pub gate_hold: FloatParam,
    #[id = "gate_release"]
    pub gate_release: FloatParam,

    #[id = "comp_on"]
    pub comp_on: BoolParam,
    #[id = "comp_threshold"]
    pub comp_threshold: FloatParam,
    #[id = "comp_ratio"]
    pub comp_ratio: FloatParam,
    #[id = "comp_knee"]
    pub comp_knee: FloatParam,
    #[id = "comp_attack"]
    pub comp_attack: FloatParam,
    #[id = "comp_release"]
    pub comp_release: FloatParam,
    #[id = "comp_auto_release"]
    pub comp_auto_release: BoolParam,
    #[id = "comp_makeup"]
    pub comp_makeup: FloatParam,
    #[id = "comp_auto_makeup"]
    pub comp_auto_makeup: BoolParam,
    #[id = "comp_mix"]
    pub comp_mix: FloatParam,
    #[id = "comp_sc_hpf"]
    pub comp_sc_hpf: FloatParam,

    #[id = "dyn_pre_eq"]
    pub dyn_pre_eq: BoolParam,
    #[id = "sat_drive"]
    pub sat_drive: FloatParam,
    #[id = "pan"]
    pub pan: FloatParam,
    #[id = "width"]
    pub width: FloatParam,
    #[id = "out_gain"]
    pub out_gain: FloatParam,
}

impl Default for ChannelStripParams {
    fn default() -> Self {
        Self {
            header: header(crate::CLAP_ID, STATE_VERSION),
            editor_scale: scale::persisted(),
            bypass: switch("Bypass", false).make_bypass(),
            in_gain: db("Input", 0.0, -24.0, 24.0),
            phase: switch("Phase Invert", false),

            hpf_on: switch("HPF", false),
            hpf_freq: hz("HPF Freq", 80.0, 10.0, 1000.0),
            hpf_slope: EnumParam::new("HPF Slope", Slope::Db12),
            lpf_on: switch("LPF", false),
            lpf_freq: hz("LPF Freq", 18_000.0, 1000.0, 22_000.0),
            lpf_slope: EnumParam::new("LPF Slope", Slope::Db12),

            eq_on: switch("EQ", true),
            eq_lf_type: EnumParam::new("LF Type", ShelfOrBell::Shelf),
            eq_lf_freq: hz("LF Freq", 100.0, 20.0, 1000.0),
            eq_lf_gain: db("LF Gain", 0.0, -18.0, 18.0),
            eq_lf_q: q("LF Q", 0.71, 0.1, 10.0),
            eq_lmf_freq: hz("LMF Freq", 400.0, 100.0, 5000.0),
            eq_lmf_gain: db("LMF Gain", 0.0, -18.0, 18.0),
            eq_lmf_q: q("LMF Q", 1.0, 0.1, 10.0),
            eq_hmf_freq: hz("HMF Freq", 2500.0, 500.0, 16_000.0),
            eq_hmf_gain: db("HMF Gain", 0.0, -18.0, 18.0),
            eq_hmf_q: q("HMF Q", 1.0, 0.1, 10.0),
            eq_hf_type: EnumParam::new("HF Type", ShelfOrBell::Shelf),
            eq_hf_freq: hz("HF Freq", 8000.0, 1500.0, 22_000.0),
            eq_hf_gain: db("HF Gain", 0.0, -18.0, 18.0),
            eq_hf_q: q("HF Q", 0.71, 0.1, 10.0),

            gate_on: switch("Gate", false),
            gate_threshold: db("Gate Threshold", -50.0, -80.0, 0.0),
            gate_range: db("Gate Range", 40.0, 0.0, 80.0),
            gate_attack: ms("Gate Attack", 0.5, 0.01, 100.0),
            gate_hold: ms("Gate Hold", 50.0, 1.0, 2000.0),
            gate_release: ms("Gate Release", 150.0, 5.0, 4000.0),

            comp_on: switch("Compressor", false),
            comp_threshold: db("Comp Threshold", -18.0, -60.0, 0.0),
            comp_ratio: FloatParam::new(
                "Comp Ratio",
                3.0,
                FloatRange::Skewed {
                    min: 1.0,
                    max: 100.0,
                    factor: FloatRange::skew_factor(-2.0),
                },
            )
            .with_value_to_string(format::v2s_ratio())
            .with_string_to_value(format::s2v_ratio()),
            comp_knee: db("Comp Knee", 6.0, 0.0, 24.0),
            comp_attack: ms("Comp Attack", 10.0, 0.05, 200.0),
            comp_release: ms("Comp Release", 150.0, 5.0, 3000.0),
            comp_auto_release: switch("Comp Auto Release", false),
            comp_makeup: db("Comp Makeup", 0.0, 0.0, 24.0),
            comp_auto_makeup: switch("Comp Auto Makeup", false),
            comp_mix: percent("Comp Mix", 100.0, 100.0),
            comp_sc_hpf: hz("Comp SC HPF", 20.0, 20.0, 500.0),

            dyn_pre_eq: switch("Dynamics Before EQ", false),
            sat_drive: percent("Saturation", 0.0, 100.0),
            pan: FloatParam::new(
                "Pan",
                0.0,
                FloatRange::Linear {
                    min: -100.0,
                    max: 100.0,
                },
            )
            .with_step_size(1.0)
            .with_value_to_string(format::v2s_pan())
            .with_string_to_value(format::s2v_pan()),
            width: percent("Width", 100.0, 200.0),
            out_gain: db("Output", 0.0, -24.0, 24.0),
        }
    }
}

/// Band indices of the two equalizers.
const HPF: usize = 0;
const LPF: usize = 1;
const LF: usize = 0;
const LMF: usize = 1;
const HMF: usize = 2;
const HF: usize = 3;

/// The high- and low-pass pair, band layout as the audio path runs it (the editor draws the same
/// object's response, so the curve is the sound).
pub fn filters_layout() -> Equalizer {
    let q = FRAC_1_SQRT_2;
    Equalizer::with_bands(&[
        BandParams::new(FilterType::LowCut, 80.0, 0.0, q),
        BandParams::new(FilterType::HighCut, 18_000.0, 0.0, q),
    ])
}

/// The four-band EQ's layout.
pub fn eq_layout() -> Equalizer {
    let q = FRAC_1_SQRT_2;
    Equalizer::with_bands(&[
        BandParams::new(FilterType::LowShelf, 100.0, 0.0, q),
        BandParams::new(FilterType::Bell, 400.0, 0.0, 1.0),
        BandParams::new(FilterType::Bell, 2500.0, 0.0, 1.0),
        BandParams::new(FilterType::HighShelf, 8000.0, 0.0, q),
    ])
}

fn eq_slope(s: Slope) -> EqSlope {
    match s {
        Slope::Db6 => EqSlope::Db6,
        Slope::Db12 => EqSlope::Db12,
        Slope::Db18 => EqSlope::Db18,
        Slope::Db24 => EqSlope::Db24,
        Slope::Db36 => EqSlope::Db36,
        Slope::Db48 => EqSlope::Db48,
    }
}

fn shelf_or_bell(t: ShelfOrBell, shelf: FilterType) -> FilterType {
    match t {
        ShelfOrBell::Shelf => shelf,
        ShelfOrBell::Bell => FilterType::Bell,
    }
}

impl ChannelStripParams {
    /// Applies the filter parameters to a [`filters_layout`] equalizer (the audio path's and
    /// the editor's curve).
    pub fn configure_filters(&self, f: &mut Equalizer) {
        f.set_enabled(HPF, self.hpf_on.value());
        f.set_freq(HPF, self.hpf_freq.value() as f64);
        f.set_slope(HPF, eq_slope(self.hpf_slope.value()));
        f.set_enabled(LPF, self.lpf_on.value());
        f.set_freq(LPF, self.lpf_freq.value() as f64);
        f.set_slope(LPF, eq_slope(self.lpf_slope.value()));
    }

    /// The four EQ bands' parameters, low to high: (freq, gain, q).
    pub fn eq_bands(&self) -> [(&FloatParam, &FloatParam, &FloatParam); 4] {
        [
            (&self.eq_lf_freq, &self.eq_lf_gain, &self.eq_lf_q),
            (&self.eq_lmf_freq, &self.eq_lmf_gain, &self.eq_lmf_q),
            (&self.eq_hmf_freq, &self.eq_hmf_gain, &self.eq_hmf_q),
            (&self.eq_hf_freq, &self.eq_hf_gain, &self.eq_hf_q),
        ]
    }

    /// Applies the EQ parameters to an [`eq_layout`] equalizer.
    pub fn configure_eq(&self, e: &mut Equalizer) {
        let on = self.eq_on.value();
        for (band, (freq, gain, q)) in [LF, LMF, HMF, HF].into_iter().zip(self.eq_bands()) {
            e.set_enabled(band, on);
            e.set_freq(band, freq.value() as f64);
            e.set_gain_db(band, gain.value() as f64);
            e.set_q(band, q.value() as f64);
        }
        e.set_kind(
            LF,
            shelf_or_bell(self.eq_lf_type.value(), FilterType::LowShelf),
        );
        e.set_kind(
            HF,
            shelf_or_bell(self.eq_hf_type.value(), FilterType::HighShelf),
        );
    }
}

//! Parameter builders in the suite's conventions, so the four plugins' ranges, mappings and value
//! strings agree. Plain values are in the unit the user reads (dB, Hz, ms, %), which is also what
//! hosts like Ardour automate in.

use crate::format;
use nice_plug::prelude::*;

/// A level in dB, linear in dB.
pub fn db(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min, max })
        .with_step_size(0.1)
        .with_value_to_string(format::v2s_db(1))
        .with_string_to_value(format::s2v_db())
}

/// An on/off switch that reads what people type ("on", "1", "true"...).
pub fn switch(name: &str, default: bool) -> BoolParam {
    BoolParam::new(name, default)
        .with_value_to_string(format::v2s_switch())
        .with_string_to_value(format::s2v_switch())
}

/// A frequency, mapped logarithmically (equal knob travel per octave).
pub fn hz(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min,
            max,
            factor: log_skew(min, max),
        },
    )
    .with_value_to_string(format::v2s_hz())
    .with_string_to_value(format::s2v_hz())
}

/// A time in milliseconds, mapped logarithmically.
pub fn ms(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min,
            max,
            factor: log_skew(min, max),
        },
    )
    .with_value_to_string(format::v2s_ms())
    .with_string_to_value(format::s2v_ms())
}

/// A percentage stored as 0..max (the host shows the same number the plugin does).
pub fn percent(name: &str, default: f32, max: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min: 0.0, max })
        .with_step_size(1.0)
        .with_value_to_string(format::v2s_percent())
        .with_string_to_value(format::s2v_percent())
}

/// A filter Q, mapped logarithmically.
pub fn q(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min,
            max,
            factor: log_skew(min, max),
        },
    )
    .with_value_to_string(format::v2s_q())
    .with_string_to_value(format::s2v_plain())
}

/// The skew factor that makes nice-plug's power-law mapping approximate a logarithmic one: it
/// puts the geometric mean of the range at the knob's centre.
fn log_skew(min: f32, max: f32) -> f32 {
    let centre = (min * max).sqrt();
    (0.5f32).ln() / ((centre - min) / (max - min)).ln()
}

/// One line per parameter, "id | name | min | max | default" as the host displays them: the
/// public contract each plugin's `tests/params.rs` freezes.
pub fn contract(params: &dyn Params) -> Vec<String> {
    params
        .param_map()
        .into_iter()
        .map(|(id, ptr, _)| {
            // SAFETY: the pointers come from `params`, which outlives this call.
            unsafe {
                let text = |n: f32| ptr.normalized_value_to_string(n, true);
                format!(
                    "{id} | {} | {} | {} | {}",
                    ptr.name(),
                    text(0.0),
                    text(1.0),
                    text(ptr.default_normalized_value())
                )
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_mapping_puts_the_geometric_mean_at_the_centre() {
        let p = hz("F", 1000.0, 20.0, 20_000.0);
        let centre = p.preview_plain(0.5);
        assert!((centre - 632.5).abs() < 1.0, "{centre}");
        assert_eq!(p.preview_plain(0.0), 20.0);
        assert_eq!(p.preview_plain(1.0), 20_000.0);
    }
}

//! Value-to-text and text-to-value conversions in the conventions engineers know from other
//! plugins ("-3.0 dB", "1.50 kHz", "4:1", "35 %"). Parsers accept what people type: "-3",
//! "1.5k", "1500", "4", "35%". Display strings include their unit, so parameters built with these
//! do not also set `with_unit`.

use std::sync::Arc;

pub type V2s = Arc<dyn Fn(f32) -> String + Send + Sync>;
pub type S2v = Arc<dyn Fn(&str) -> Option<f32> + Send + Sync>;
pub type V2sBool = Arc<dyn Fn(bool) -> String + Send + Sync>;
pub type S2vBool = Arc<dyn Fn(&str) -> Option<bool> + Send + Sync>;

/// Strips a case-insensitive unit suffix (and the spaces before it) if present.
fn strip_unit<'a>(text: &'a str, units: &[&str]) -> &'a str {
    let t = text.trim();
    for unit in units {
        // Typed text is any UTF-8: the suffix must start on a character boundary ("€" is three
        // bytes; slicing inside it panicked, found by `fuzz/` parse_text).
        let Some(at) = t.len().checked_sub(unit.len()) else {
            continue;
        };
        if t.is_char_boundary(at) && t[at..].eq_ignore_ascii_case(unit) {
            return t[..at].trim_end();
        }
    }
    t
}

fn parse_number(text: &str) -> Option<f32> {
    let v: f32 = text.trim().trim_start_matches('+').parse().ok()?;
    v.is_finite().then_some(v)
}

pub fn v2s_db(digits: usize) -> V2s {
    Arc::new(move |v| format!("{v:.digits$} dB"))
}

pub fn s2v_db() -> S2v {
    Arc::new(|s| parse_number(strip_unit(s, &["db"])))
}

pub fn v2s_lufs() -> V2s {
    Arc::new(|v| format!("{v:.1} LUFS"))
}

pub fn s2v_lufs() -> S2v {
    Arc::new(|s| parse_number(strip_unit(s, &["lufs", "lu"])))
}

/// Hz below 1 kHz, kHz with two decimals above.
pub fn v2s_hz() -> V2s {
    Arc::new(|v| {
        if v < 999.5 {
            format!("{v:.0} Hz")
        } else {
            format!("{:.2} kHz", v / 1000.0)
        }
    })
}

/// Accepts "1500", "1500 Hz", "1.5k", "1.5 kHz".
pub fn s2v_hz() -> S2v {
    Arc::new(|s| {
        let t = strip_unit(s, &["hz"]);
        match t.strip_suffix(['k', 'K']) {
            Some(k) => parse_number(k).map(|v| v * 1000.0),
            None => parse_number(t),
        }
    })
}

/// Milliseconds below one second, seconds above.
pub fn v2s_ms() -> V2s {
    Arc::new(|v| {
        if v < 10.0 {
            format!("{v:.2} ms")
        } else if v < 999.5 {
            format!("{v:.1} ms")
        } else {
            format!("{:.2} s", v / 1000.0)
        }
    })
}

/// Accepts "10", "10 ms", "1.2 s".
pub fn s2v_ms() -> S2v {
    Arc::new(|s| {
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        if lower.ends_with("ms") {
            parse_number(&t[..t.len() - 2])
        } else if lower.ends_with('s') {
            parse_number(&t[..t.len() - 1]).map(|v| v * 1000.0)
        } else {
            parse_number(t)
        }
    })
}

/// Seconds, for reverb decay times.
pub fn v2s_seconds() -> V2s {
    Arc::new(|v| format!("{v:.2} s"))
}

pub fn s2v_seconds() -> S2v {
    Arc::new(|s| {
        let t = s.trim();
        if t.to_ascii_lowercase().ends_with("ms") {
            parse_number(&t[..t.len() - 2]).map(|v| v / 1000.0)
        } else {
            parse_number(strip_unit(t, &["s"]))
        }
    })
}

/// Percent values are stored as 0..100 (or 0..200) so the host shows the same number.
pub fn v2s_percent() -> V2s {
    Arc::new(|v| format!("{v:.0} %"))
}

pub fn s2v_percent() -> S2v {
    Arc::new(|s| parse_number(strip_unit(s, &["%"])))
}

/// "4:1"; ratios of 1.5 keep their decimal.
pub fn v2s_ratio() -> V2s {
    Arc::new(|v| {
        if (v - v.round()).abs() < 0.05 {
            format!("{v:.0}:1")
        } else {
            format!("{v:.1}:1")
        }
    })
}

pub fn s2v_ratio() -> S2v {
    Arc::new(|s| parse_number(strip_unit(s, &[":1"])))
}

pub fn v2s_q() -> V2s {
    Arc::new(|v| format!("{v:.2}"))
}

pub fn s2v_plain() -> S2v {
    Arc::new(|s| parse_number(strip_unit(s, &["x"])))
}

pub fn v2s_multiplier() -> V2s {
    Arc::new(|v| format!("{v:.2}x"))
}

/// Pan -100..100 as "L50", "C", "R50"; accepts those and plain numbers.
pub fn v2s_pan() -> V2s {
    Arc::new(|v| {
        let r = v.round();
        if r == 0.0 {
            "C".to_string()
        } else if r < 0.0 {
            format!("L{:.0}", -r)
        } else {
            format!("R{r:.0}")
        }
    })
}

pub fn s2v_pan() -> S2v {
    Arc::new(|s| {
        let t = s.trim();
        let (sign, rest) = match t.chars().next()? {
            'c' | 'C' if t.len() == 1 => return Some(0.0),
            'l' | 'L' => (-1.0, &t[1..]),
            'r' | 'R' => (1.0, &t[1..]),
            _ => (1.0, t),
        };
        parse_number(rest).map(|v| sign * v)
    })
}

pub fn v2s_switch() -> V2sBool {
    Arc::new(|on| if on { "On" } else { "Off" }.to_string())
}

/// Accepts on/off, true/false, yes/no and 1/0 in any case; anything else is rejected (nice-plug's
/// default reads every unknown word, and "1", as Off).
pub fn s2v_switch() -> S2vBool {
    Arc::new(|s| match s.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Some(true),
        "off" | "false" | "no" | "0" => Some(false),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_follows_the_ecosystem_and_typed_text_parses_back() {
        assert_eq!(v2s_db(1)(-3.0), "-3.0 dB");
        assert_eq!(v2s_hz()(1500.0), "1.50 kHz");
        assert_eq!(v2s_hz()(80.0), "80 Hz");
        assert_eq!(v2s_ratio()(4.0), "4:1");
        assert_eq!(v2s_ratio()(1.5), "1.5:1");
        assert_eq!(v2s_percent()(35.0), "35 %");
        assert_eq!(v2s_pan()(-50.0), "L50");
        assert_eq!(s2v_hz()("1.5k"), Some(1500.0));
        assert_eq!(s2v_hz()("1.50 kHz"), Some(1500.0));
        assert_eq!(s2v_hz()("80 Hz"), Some(80.0));
        assert_eq!(s2v_db()("-3"), Some(-3.0));
        assert_eq!(s2v_db()("-3.0 dB"), Some(-3.0));
        assert_eq!(s2v_ratio()("4:1"), Some(4.0));
        assert_eq!(s2v_percent()("35 %"), Some(35.0));
        assert_eq!(s2v_ms()("1.20 s"), Some(1200.0));
        assert_eq!(s2v_ms()("10.0 ms"), Some(10.0));
        assert_eq!(s2v_pan()("R25"), Some(25.0));
        assert_eq!(s2v_pan()("C"), Some(0.0));
        assert_eq!(s2v_seconds()("2.00 s"), Some(2.0));
        assert_eq!(s2v_switch()("1"), Some(true));
        assert_eq!(s2v_switch()("OFF"), Some(false));
        assert_eq!(s2v_switch()("abc"), None);
        for bad in ["", "abc", "nan", "inf", "k", "--3", "€", "3 €", "ü", "1ｋ"] {
            assert_eq!(s2v_db()(bad), None, "{bad}");
            assert_eq!(s2v_hz()(bad), None, "{bad}");
            assert_eq!(s2v_lufs()(bad), None, "{bad}");
            assert_eq!(s2v_seconds()(bad), None, "{bad}");
            assert_eq!(s2v_ms()(bad), None, "{bad}");
            assert_eq!(s2v_percent()(bad), None, "{bad}");
            assert_eq!(s2v_ratio()(bad), None, "{bad}");
            assert_eq!(s2v_pan()(bad), None, "{bad}");
        }
    }
}

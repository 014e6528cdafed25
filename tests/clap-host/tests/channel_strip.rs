//! Lathe Channel Strip, loaded from its built CLAP bundle. The standard checks (see
//! `lathe_host_tests::suite`) plus the typed-text examples of the issue.

use lathe_host_tests::suite::Spec;
use lathe_host_tests::*;

const SPEC: Spec = Spec {
    plugin: CHANNEL_STRIP,
    features: &["equalizer", "compressor", "gate", "stereo"],
    gain: ("out_gain", "-6", Some(-6.0)),
    transparent: &[],
    busy: &[
        ("hpf_on", "On"),
        ("eq_lmf_gain", "6"),
        ("gate_on", "On"),
        ("gate_threshold", "-45"),
        ("comp_on", "On"),
        ("comp_threshold", "-30"),
        ("sat_drive", "40"),
    ],
};

lathe_suite!(SPEC);

#[test]
fn typed_text_examples_parse() {
    let mut p = SPEC.new_instance();
    for (id, typed, shown) in [
        ("eq_lmf_freq", "1.5k", "1.50 kHz"),
        ("eq_lmf_freq", "1500", "1.50 kHz"),
        ("hpf_freq", "80hz", "80 Hz"),
        ("in_gain", "-3", "-3.0 dB"),
        ("out_gain", "+4.5 dB", "4.5 dB"),
        ("comp_ratio", "4", "4:1"),
        ("comp_release", "1.2 s", "1.20 s"),
        ("pan", "L50", "L50"),
        ("pan", "-50", "L50"),
        ("width", "35%", "35 %"),
    ] {
        let id_n = hash_param_id(id);
        let v = p
            .text_to_value(id_n, typed)
            .unwrap_or_else(|| panic!("{id}: {typed:?} rejected"));
        assert_eq!(p.value_to_text(id_n, v).unwrap(), shown, "{id}: typed {typed:?}");
    }
}

#[test]
fn in_gain_is_sample_accurate_too() {
    let spec = Spec { gain: ("in_gain", "-6", None), ..SPEC };
    suite::sample_accurate_change(&spec, 512, 700);
}

/// Saturation oversamples with minimum-phase filters: no pure delay (the plugin reports 0), but
/// an impulse's peak arrives a few samples late (group delay). Programme material must still
/// line up at the reported latency, and the impulse peak within 8 samples of it.
#[test]
fn latency_with_saturation_and_filters_engaged() {
    let spec = Spec {
        transparent: &[("sat_drive", "10"), ("hpf_on", "On"), ("hpf_freq", "20"), ("lpf_on", "On"), ("comp_on", "On"), ("comp_threshold", "0")],
        ..SPEC
    };
    for sr in [48_000.0, 96_000.0] {
        let mut p = spec.new_instance();
        for (id, text) in spec.transparent {
            p.set_text(id, text);
        }
        p.activate(sr, 512);
        let (reported, delay, lag) = suite::measure_latency(&mut p, &spec);
        println!("{sr} Hz, saturation on: reported {reported}, impulse peak +{delay}, music lag {lag}");
        assert_eq!(lag, reported as usize, "{sr} Hz: music lines up at {lag}, reported {reported}");
        assert!(delay <= reported as usize + 8, "{sr} Hz: impulse peak {delay} samples late, reported {reported}");
    }
}

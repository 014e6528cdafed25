//! The CLI renders what the plugin renders. The plugin's code path: a preset (the plugin's saved
//! state) loaded into `MaximizerParams`, mapped by `settings_from_params` every block, and the
//! `MasteringChain` run in 512-sample host blocks (prepare, apply, reset on activation; apply
//! then process per block; the reported latency then trimmed). The CLI's code path: the preset
//! through `lathe_cli::load_preset`, the same mapping, `lathe_cli::render`, and the binary's
//! written file. Both must agree bit for bit. (The CLAP-level check through a real host belongs
//! to the CLAP host harness.)

mod common;

use common::*;
use dsp_core::dither::NoiseShape;
use dsp_core::limiter::Character;
use dsp_core::mastering::{MasteringChain, MasteringSettings};
use lathe_cli::{load_preset, render, Audio};
use lathe_maximizer::params::{DitherBits, MaximizerParams, NoiseShaping, Style};
use lathe_maximizer::settings_from_params;

/// A preset as the plugin saves it (nice-plug's PluginState JSON), every kind of value set away
/// from its default.
const PRESET: &str = r#"{
  "version": "0.1.0",
  "params": {
    "bypass": {"bool": false},
    "gain": {"f32": 6.5},
    "ceiling": {"f32": -1.5},
    "release": {"f32": 180.0},
    "auto_release": {"bool": false},
    "lookahead": {"f32": 3.0},
    "true_peak": {"bool": true},
    "style": {"string": "punchy"},
    "link": {"f32": 80.0},
    "eq_low_freq": {"f32": 90.0},
    "eq_low_gain": {"f32": 1.5},
    "eq_mid_freq": {"f32": 2500.0},
    "eq_mid_gain": {"f32": -2.0},
    "eq_mid_q": {"f32": 1.2},
    "eq_high_freq": {"f32": 9000.0},
    "eq_high_gain": {"f32": 2.0},
    "width": {"f32": 120.0},
    "mono_bass_on": {"bool": true},
    "mono_bass_freq": {"f32": 150.0},
    "target_lufs": {"f32": -12.0},
    "dither_bits": {"string": "16"},
    "noise_shaping": {"string": "light"},
    "unity_monitor": {"bool": false}
  },
  "fields": {"lathe": "{\"plugin\":\"audio.lathe.maximizer\",\"version\":1}"}
}"#;

/// The plugin's processing of a whole file: host blocks of `block`, the plugin's per-block
/// `apply(settings_from_params(params))`, the latency trimmed as a host's delay compensation does.
fn plugin_path(params: &MaximizerParams, input: &[Vec<f32>], block: usize) -> Vec<Vec<f32>> {
    let mut chain = MasteringChain::new();
    chain.prepare(SR as f64, block, input.len());
    chain.apply(&settings_from_params(params)); // activate()
    chain.apply(&settings_from_params(params)); // reset()
    chain.reset();
    let lat = chain.latency_samples();
    let len = input[0].len();
    let mut buf: Vec<Vec<f32>> = input
        .iter()
        .map(|c| {
            let mut v = c.clone();
            v.resize(len + lat, 0.0);
            v
        })
        .collect();
    let mut pos = 0;
    while pos < len + lat {
        let n = block.min(len + lat - pos);
        chain.apply(&settings_from_params(params)); // process(): apply_params()
        let mut b: Vec<&mut [f32]> = buf.iter_mut().map(|c| &mut c[pos..pos + n]).collect();
        chain.process(&mut b);
        pos += n;
    }
    buf.into_iter().map(|c| c[lat..].to_vec()).collect()
}

fn assert_bit_identical(a: &[Vec<f32>], b: &[Vec<f32>], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: channel count");
    for (ch, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(x.len(), y.len(), "{what}: length");
        if let Some(i) = x
            .iter()
            .zip(y)
            .position(|(p, q)| p.to_bits() != q.to_bits())
        {
            panic!(
                "{what}: channel {ch} differs at sample {i}: {} vs {}",
                x[i], y[i]
            );
        }
    }
}

#[test]
fn preset_loads_into_the_plugins_parameters() {
    let dir = scratch("preset_load");
    let path = dir.join("p.json");
    std::fs::write(&path, PRESET).unwrap();
    let p = load_preset(&path).unwrap();
    assert_eq!(p.gain.value(), 6.5);
    assert_eq!(p.ceiling.value(), -1.5);
    assert_eq!(p.eq_mid_freq.value(), 2500.0);
    assert!(!p.auto_release.value());
    assert!(p.mono_bass_on.value());
    assert_eq!(p.style.value(), Style::Punchy);
    assert_eq!(p.dither_bits.value(), DitherBits::B16);
    assert_eq!(p.noise_shaping.value(), NoiseShaping::Light);
    let s = settings_from_params(&p);
    assert_eq!(s.character, Character::Punchy);
    assert_eq!(s.dither_bits, Some(16));
    assert_eq!(s.noise_shape, NoiseShape::Light);
    assert_eq!(s.lookahead_ms, 3.0);
    // Defaults are the plugin's defaults.
    assert_eq!(
        settings_from_params(&MaximizerParams::default()),
        MasteringSettings::default()
    );
}

#[test]
fn cli_render_is_bit_identical_to_the_plugin_path() {
    let dir = scratch("bit_identity");
    let preset = dir.join("p.json");
    std::fs::write(&preset, PRESET).unwrap();
    let input = music_at(4.0, 21, -16.0);
    let params = load_preset(&preset).unwrap();

    let reference = plugin_path(&params, &input, 512);
    // Heavy enough to be a real test: the limiter, the EQ, the imager and the dither all act.
    assert!(reference[0].iter().zip(&input[0]).any(|(a, b)| a != b));
    assert!(
        reference[0].iter().all(|&x| (x * 32768.0).fract() == 0.0),
        "16-bit grid"
    );

    let audio = Audio {
        sample_rate: SR,
        channels: input.clone(),
    };
    let (cli, gr) = render(&audio, &settings_from_params(&params));
    assert!(gr.max_db > 1.0, "the limiter works: {gr:?}");
    assert_bit_identical(
        &cli.channels,
        &reference,
        "lathe_cli::render vs plugin path",
    );

    // Host buffer size does not matter either.
    for block in [64, 1000] {
        let other = plugin_path(&params, &input, block);
        assert_bit_identical(
            &other,
            &reference,
            &format!("plugin path in blocks of {block}"),
        );
    }
}

#[test]
fn binary_output_is_bit_identical_to_the_plugin_at_the_reported_gain() {
    let dir = scratch("bit_identity_bin");
    let preset = dir.join("p.json");
    std::fs::write(&preset, PRESET).unwrap();
    let input = music_at(6.0, 22, -20.0);
    let (inp, out, rep) = (dir.join("in.wav"), dir.join("out.wav"), dir.join("r.json"));
    write_f32(&inp, &input);
    // The preset's dither (16 bit, light) and target (-12) stand; only the drive is searched.
    let o = lathe(&[
        "master",
        s(&inp),
        "-o",
        s(&out),
        "--preset",
        s(&preset),
        "--bits",
        "16",
        "--noise-shaping",
        "light",
        "--report",
        s(&rep),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    assert_eq!(
        json["target_lufs"].as_f64().unwrap(),
        -12.0,
        "the preset's target"
    );
    let gain = json["tracks"][0]["gain_db"].as_f64().unwrap();

    // Set the plugin's Gain to the reported drive (it is an f32 the parameter holds exactly).
    let params = load_preset(&preset).unwrap();
    assert_eq!(gain as f32 as f64, gain);
    let with_gain = PRESET.replace(
        r#""gain": {"f32": 6.5}"#,
        &format!(r#""gain": {{"f32": {}}}"#, gain as f32),
    );
    std::fs::write(&preset, with_gain).unwrap();
    let params_at_gain = load_preset(&preset).unwrap();
    assert_eq!(params_at_gain.gain.value() as f64, gain);
    assert_ne!(params.gain.value(), params_at_gain.gain.value());

    let reference = plugin_path(&params_at_gain, &input, 512);
    let (spec, _, raw) = read(&out);
    assert_eq!(spec.bits_per_sample, 16);
    let expected: Vec<Vec<i32>> = reference
        .iter()
        .map(|c| c.iter().map(|&x| (x * 32768.0) as i32).collect())
        .collect();
    assert_eq!(raw.len(), expected.len());
    for (ch, (a, b)) in raw.iter().zip(&expected).enumerate() {
        assert_eq!(a.len(), b.len());
        if let Some(i) = a.iter().zip(b).position(|(x, y)| x != y) {
            panic!(
                "channel {ch} differs at sample {i}: file {} vs plugin {}",
                a[i], b[i]
            );
        }
    }
}

//! Bus Glue's Sidechain Listen, from the built CLAP bundle: the output is the key the detector
//! sees after the side-chain high-pass (12 dB/oct Butterworth), from the main input or from the
//! external side-chain port, regardless of the compression, make-up and output settings.

use lathe_host_tests::analysis::*;
use lathe_host_tests::render::Blocks;
use lathe_host_tests::*;

const SR: f64 = 48_000.0;
const N: usize = 48_000;

fn tones(freqs: &[f64]) -> Audio {
    let mut x = vec![0.0f32; N];
    for &f in freqs {
        for (v, s) in x
            .iter_mut()
            .zip(dsp_core::signal::sine(f, SR, N, 0.25, 0.0))
        {
            *v += s;
        }
    }
    vec![x.clone(), x]
}

/// Amplitude of the `freq` component over the last half second (an integer number of cycles
/// for every frequency used here), left channel.
fn amplitude(a: &Audio, freq: f64) -> f64 {
    let tail = &a[0][N / 2..];
    let (mut re, mut im) = (0.0, 0.0);
    for (i, &x) in tail.iter().enumerate() {
        let w = 2.0 * std::f64::consts::PI * freq * (N / 2 + i) as f64 / SR;
        re += x as f64 * w.cos();
        im += x as f64 * w.sin();
    }
    2.0 * (re * re + im * im).sqrt() / tail.len() as f64
}

/// 12 dB/oct Butterworth high-pass magnitude, dB.
fn butterworth_db(f: f64, fc: f64) -> f64 {
    let r = (f / fc).powi(2);
    20.0 * (r / (1.0 + r * r).sqrt()).log10()
}

fn render(settings: &[(&str, &str)], main: &Audio, sidechain: &Audio) -> Audio {
    let mut p = Plugin::lathe(BUS_GLUE);
    for (id, text) in [
        ("threshold", "-30"),
        ("ratio", "10:1"),
        ("makeup", "6"),
        ("out_gain", "-6"),
    ]
    .iter()
    .chain(settings)
    {
        p.set_text(id, text);
    }
    p.activate(SR, 512);
    p.render(&[main.clone(), sidechain.clone()], &[], Blocks::Fixed(512))
}

#[test]
fn listen_outputs_the_internal_key_after_the_sidechain_hpf() {
    let main = tones(&[50.0, 2000.0]);
    let silent = vec![vec![0.0; N]; 2];
    let out = render(&[("sc_hpf", "200"), ("sc_listen", "On")], &main, &silent);
    let (a50, a2k) = (
        db(amplitude(&out, 50.0) / 0.25),
        db(amplitude(&out, 2000.0) / 0.25),
    );
    println!("internal key through a 200 Hz HPF: 50 Hz {a50:.2} dB, 2 kHz {a2k:.2} dB");
    assert!(
        (a50 - butterworth_db(50.0, 200.0)).abs() < 0.5,
        "50 Hz at {a50:.2} dB"
    );
    assert!(a2k.abs() < 0.2, "2 kHz at {a2k:.2} dB");

    // At the bottom of the range the side chain is flat: the output is the input, bit for bit.
    let flat = render(&[("sc_hpf", "20"), ("sc_listen", "On")], &main, &silent);
    assert_eq!(
        first_difference(&flat, &main),
        None,
        "{}",
        describe_difference(&flat, &main)
    );
    // Listen off: the compressed signal, not the key.
    let off = render(&[("sc_hpf", "200")], &main, &silent);
    assert!(first_difference(&off, &out).is_some());
}

#[test]
fn listen_outputs_the_external_key_not_the_main_signal() {
    let main = tones(&[1000.0]);
    let key = tones(&[50.0, 2000.0]);
    let out = render(
        &[
            ("sc_external", "On"),
            ("sc_hpf", "200"),
            ("sc_listen", "On"),
        ],
        &main,
        &key,
    );
    let a1k = db(amplitude(&out, 1000.0) / 0.25);
    let (a50, a2k) = (
        db(amplitude(&out, 50.0) / 0.25),
        db(amplitude(&out, 2000.0) / 0.25),
    );
    println!("external key through a 200 Hz HPF: 50 Hz {a50:.2} dB, 2 kHz {a2k:.2} dB, main 1 kHz {a1k:.2} dB");
    assert!(
        a1k < -100.0,
        "the main signal leaks into the listen output: {a1k:.1} dB"
    );
    assert!(
        (a50 - butterworth_db(50.0, 200.0)).abs() < 0.5,
        "50 Hz at {a50:.2} dB"
    );
    assert!(a2k.abs() < 0.2, "2 kHz at {a2k:.2} dB");
}

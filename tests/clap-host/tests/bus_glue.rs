//! Lathe Bus Glue, loaded from its built CLAP bundle: the standard checks (which feed music to
//! the sidechain port too) and the external sidechain.

use lathe_host_tests::analysis::*;
use lathe_host_tests::suite::Spec;
use lathe_host_tests::*;

const SPEC: Spec = Spec {
    plugin: BUS_GLUE,
    features: &["compressor", "stereo"],
    gain: ("out_gain", "-6", Some(-6.0)),
    transparent: &[("threshold", "0")],
    busy: &[("threshold", "-30"), ("ratio", "4:1"), ("attack", "0.3 ms")],
};

lathe_suite!(SPEC);

/// The second input port is a stereo, non-main sidechain. With `sc_external` on, a loud
/// sidechain compresses a quiet main signal that alone stays under the threshold; with it off,
/// the sidechain port has no effect at all (bit-identical output).
#[test]
fn external_sidechain_drives_gain_reduction() {
    let sr = 48_000.0;
    let probe = SPEC.new_instance();
    let ports = probe.audio_ports().clone();
    assert_eq!(ports.inputs.len(), 2, "expected main + sidechain inputs: {ports:?}");
    assert!(!ports.inputs[1].is_main && ports.inputs[1].channels == 2, "sidechain port: {:?}", ports.inputs[1]);
    drop(probe);

    let n = (sr * 0.6) as usize;
    let main: Audio = (0..2).map(|_| dsp_core::signal::sine(1000.0, sr, n, 0.01, 0.0)).collect(); // -40 dBFS
    let loud = music(sr, 0.6, 17);
    let silent: Audio = vec![vec![0.0; n]; 2];
    let render = |external: &str, sc: &Audio| -> Audio {
        let mut p = SPEC.new_instance();
        p.set_text("threshold", "-30");
        p.set_text("ratio", "10:1");
        p.set_text("attack", "0.3 ms");
        p.set_text("sc_external", external);
        p.activate(sr, 512);
        p.render(&[main.clone(), sc.clone()], &[], Blocks::Fixed(512))
    };
    let tail = |a: &Audio| rms(&slice(a, (0.1 * sr) as usize..n));
    let quiet_sc = render("On", &silent);
    let loud_sc = render("On", &loud);
    let internal_loud = render("Off", &loud);
    let internal_silent = render("Off", &silent);
    let in_level = db(tail(&main));
    println!(
        "main {in_level:.2} dB; external sidechain silent {:.2} dB, loud {:.2} dB; internal {:.2} dB",
        db(tail(&quiet_sc)),
        db(tail(&loud_sc)),
        db(tail(&internal_loud))
    );
    assert!((db(tail(&quiet_sc)) - in_level).abs() < 0.5, "a silent sidechain should leave the quiet main signal alone");
    assert!(db(tail(&loud_sc)) < db(tail(&quiet_sc)) - 3.0, "a loud external sidechain did not compress the main signal");
    assert!(
        first_difference(&internal_loud, &internal_silent).is_none(),
        "with sc_external off the sidechain port changed the output: {}",
        describe_difference(&internal_loud, &internal_silent)
    );
}

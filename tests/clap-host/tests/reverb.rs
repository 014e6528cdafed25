//! Lathe Reverb, loaded from its built CLAP bundle: the standard checks.

use lathe_host_tests::suite::Spec;
use lathe_host_tests::*;

const SPEC: Spec = Spec {
    plugin: REVERB,
    features: &["reverb", "stereo"],
    // The reverb has no output gain: the dry/wet mix is the parameter whose change must land
    // on the sample.
    gain: ("mix", "100", None),
    transparent: &[("mix", "0")],
    busy: &[("mix", "50"), ("decay", "3 s"), ("predelay", "5")],
    sweep: &[("mix", "50"), ("decay", "3 s"), ("predelay", "5")],
};

lathe_suite!(SPEC);

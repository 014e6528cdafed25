//! The parameter contract: string IDs, names, ranges and defaults as hosts display them. Saved
//! sessions and automation depend on the IDs; this list may only grow.
use lathe_bus_glue::params::BusGlueParams;
use lathe_shared::params::contract;

#[test]
fn parameter_contract_is_frozen() {
    let got = contract(&BusGlueParams::default());
    let frozen: Vec<String> = FROZEN.iter().map(|s| s.to_string()).collect();
    assert_eq!(got, frozen, "got:\n{}", got.join("\n"));
}

const FROZEN: &[&str] = &[
    "bypass | Bypass | Off | On | Off",
    "threshold | Threshold | -40.0 dB | 0.0 dB | -10.0 dB",
    "ratio | Ratio | 1.5:1 | 10:1 | 2:1",
    "attack | Attack | 0.1 ms | 30 ms | 10 ms",
    "release | Release | 0.1 s | Auto | Auto",
    "makeup | Makeup | 0.0 dB | 24.0 dB | 0.0 dB",
    "range | Range | 1.0 dB | 40.0 dB | 40.0 dB",
    "mix | Mix | 0 % | 100 % | 100 %",
    "sc_hpf | Sidechain HPF | 20 Hz | 500 Hz | 20 Hz",
    "sc_external | External Sidechain | Off | On | Off",
    "out_gain | Output | -24.0 dB | 24.0 dB | 0.0 dB",
    "sc_listen | Sidechain Listen | Off | On | Off",
];

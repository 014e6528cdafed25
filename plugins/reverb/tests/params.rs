//! The parameter contract: string IDs, names, ranges and defaults as hosts display them. Saved
//! sessions and automation depend on the IDs; this list may only grow.
use lathe_reverb::params::ReverbParams;
use lathe_shared::params::contract;

#[test]
fn parameter_contract_is_frozen() {
    let got = contract(&ReverbParams::default());
    let frozen: Vec<String> = FROZEN.iter().map(|s| s.to_string()).collect();
    assert_eq!(got, frozen, "got:\n{}", got.join("\n"));
}

const FROZEN: &[&str] = &[
    "bypass | Bypass | Off | On | Off",
    "mode | Mode | Room | Plate | Hall",
    "mix | Mix | 0 % | 100 % | 25 %",
    "predelay | Pre-Delay | 0.00 ms | 250.0 ms | 10.0 ms",
    "decay | Decay | 0.10 s | 20.00 s | 2.00 s",
    "size | Size | 0 % | 100 % | 50 %",
    "diffusion | Diffusion | 0 % | 100 % | 70 %",
    "hf_damp | HF Damping | 1.00 kHz | 20.00 kHz | 8.00 kHz",
    "bass_mult | Bass Multiplier | 0.50x | 2.00x | 1.00x",
    "low_cut | Low Cut | 20 Hz | 1.00 kHz | 80 Hz",
    "high_cut | High Cut | 1.00 kHz | 20.00 kHz | 16.00 kHz",
    "mod_depth | Modulation | 0 % | 100 % | 30 %",
    "width | Width | 0 % | 200 % | 100 %",
    "freeze | Freeze | Off | On | Off",
];

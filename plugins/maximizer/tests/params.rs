//! The parameter contract: string IDs, names, ranges and defaults as hosts display them. Saved
//! sessions and automation depend on the IDs; this list may only grow.
use lathe_maximizer::params::MaximizerParams;
use lathe_shared::params::contract;

#[test]
fn parameter_contract_is_frozen() {
    let got = contract(&MaximizerParams::default());
    let frozen: Vec<String> = FROZEN.iter().map(|s| s.to_string()).collect();
    assert_eq!(got, frozen, "got:\n{}", got.join("\n"));
}

const FROZEN: &[&str] = &[
    "bypass | Bypass | Off | On | Off",
    "gain | Gain | 0.0 dB | 24.0 dB | 0.0 dB",
    "ceiling | Ceiling | -12.0 dB | 0.0 dB | -1.0 dB",
    "release | Release | 1.00 ms | 1.00 s | 100.0 ms",
    "auto_release | Auto Release | Off | On | On",
    "lookahead | Lookahead | 0.50 ms | 10.0 ms | 2.00 ms",
    "true_peak | True Peak | Off | On | On",
    "style | Style | Transparent | Aggressive | Transparent",
    "link | Stereo Link | 0 % | 100 % | 100 %",
    "eq_low_freq | Low Freq | 20 Hz | 1.00 kHz | 100 Hz",
    "eq_low_gain | Low Gain | -12.0 dB | 12.0 dB | 0.0 dB",
    "eq_mid_freq | Mid Freq | 100 Hz | 10.00 kHz | 1.00 kHz",
    "eq_mid_gain | Mid Gain | -12.0 dB | 12.0 dB | 0.0 dB",
    "eq_mid_q | Mid Q | 0.10 | 10.00 | 0.70",
    "eq_high_freq | High Freq | 1.00 kHz | 20.00 kHz | 8.00 kHz",
    "eq_high_gain | High Gain | -12.0 dB | 12.0 dB | 0.0 dB",
    "width | Width | 0 % | 200 % | 100 %",
    "mono_bass_on | Mono Bass | Off | On | Off",
    "mono_bass_freq | Mono Bass Freq | 20 Hz | 500 Hz | 120 Hz",
    "target_lufs | Target | -24.0 LUFS | -6.0 LUFS | -14.0 LUFS",
    "dither_bits | Dither | Off | 16 bit | Off",
    "noise_shaping | Noise Shaping | None | Strong | None",
    "unity_monitor | Unity Gain Monitor | Off | On | Off",
];

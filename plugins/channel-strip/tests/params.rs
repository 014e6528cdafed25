//! The parameter contract: string IDs, names, ranges and defaults as hosts display them. Saved
//! sessions and automation depend on the IDs; this list may only grow.
use lathe_channel_strip::params::ChannelStripParams;
use lathe_shared::params::contract;

#[test]
fn parameter_contract_is_frozen() {
    let got = contract(&ChannelStripParams::default());
    let frozen: Vec<String> = FROZEN.iter().map(|s| s.to_string()).collect();
    assert_eq!(got, frozen, "got:\n{}", got.join("\n"));
}

const FROZEN: &[&str] = &[
    "bypass | Bypass | Off | On | Off",
    "in_gain | Input | -24.0 dB | 24.0 dB | 0.0 dB",
    "phase | Phase Invert | Off | On | Off",
    "hpf_on | HPF | Off | On | Off",
    "hpf_freq | HPF Freq | 10 Hz | 1.00 kHz | 80 Hz",
    "hpf_slope | HPF Slope | 6 dB/oct | 48 dB/oct | 12 dB/oct",
    "lpf_on | LPF | Off | On | Off",
    "lpf_freq | LPF Freq | 1.00 kHz | 22.00 kHz | 18.00 kHz",
    "lpf_slope | LPF Slope | 6 dB/oct | 48 dB/oct | 12 dB/oct",
    "eq_on | EQ | Off | On | On",
    "eq_lf_type | LF Type | Shelf | Bell | Shelf",
    "eq_lf_freq | LF Freq | 20 Hz | 1.00 kHz | 100 Hz",
    "eq_lf_gain | LF Gain | -18.0 dB | 18.0 dB | 0.0 dB",
    "eq_lf_q | LF Q | 0.10 | 10.00 | 0.71",
    "eq_lmf_freq | LMF Freq | 100 Hz | 5.00 kHz | 400 Hz",
    "eq_lmf_gain | LMF Gain | -18.0 dB | 18.0 dB | 0.0 dB",
    "eq_lmf_q | LMF Q | 0.10 | 10.00 | 1.00",
    "eq_hmf_freq | HMF Freq | 500 Hz | 16.00 kHz | 2.50 kHz",
    "eq_hmf_gain | HMF Gain | -18.0 dB | 18.0 dB | 0.0 dB",
    "eq_hmf_q | HMF Q | 0.10 | 10.00 | 1.00",
    "eq_hf_type | HF Type | Shelf | Bell | Shelf",
    "eq_hf_freq | HF Freq | 1.50 kHz | 22.00 kHz | 8.00 kHz",
    "eq_hf_gain | HF Gain | -18.0 dB | 18.0 dB | 0.0 dB",
    "eq_hf_q | HF Q | 0.10 | 10.00 | 0.71",
    "gate_on | Gate | Off | On | Off",
    "gate_threshold | Gate Threshold | -80.0 dB | 0.0 dB | -50.0 dB",
    "gate_range | Gate Range | 0.0 dB | 80.0 dB | 40.0 dB",
    "gate_attack | Gate Attack | 0.01 ms | 100.0 ms | 0.50 ms",
    "gate_hold | Gate Hold | 1.00 ms | 2.00 s | 50.0 ms",
    "gate_release | Gate Release | 5.00 ms | 4.00 s | 150.0 ms",
    "comp_on | Compressor | Off | On | Off",
    "comp_threshold | Comp Threshold | -60.0 dB | 0.0 dB | -18.0 dB",
    "comp_ratio | Comp Ratio | 1:1 | 100:1 | 3:1",
    "comp_knee | Comp Knee | 0.0 dB | 24.0 dB | 6.0 dB",
    "comp_attack | Comp Attack | 0.05 ms | 200.0 ms | 10.00 ms",
    "comp_release | Comp Release | 5.00 ms | 3.00 s | 150.0 ms",
    "comp_auto_release | Comp Auto Release | Off | On | Off",
    "comp_makeup | Comp Makeup | 0.0 dB | 24.0 dB | 0.0 dB",
    "comp_auto_makeup | Comp Auto Makeup | Off | On | Off",
    "comp_mix | Comp Mix | 0 % | 100 % | 100 %",
    "comp_sc_hpf | Comp SC HPF | 20 Hz | 500 Hz | 20 Hz",
    "dyn_pre_eq | Dynamics Before EQ | Off | On | Off",
    "sat_drive | Saturation | 0 % | 100 % | 0 %",
    "pan | Pan | L100 | R100 | C",
    "width | Width | 0 % | 200 % | 100 %",
    "out_gain | Output | -24.0 dB | 24.0 dB | 0.0 dB",
];

//! Reliability of all four plugins, loaded from their debug bundles (where nice-plug's
//! `assert_process_allocs` aborts on any allocation on the audio thread): poisoned audio,
//! hostile automation, odd host shapes, untrusted state, threads racing the audio thread and a
//! bounded soak. README "Reliability" quotes the figures these print.

use lathe_host_tests::analysis::*;
use lathe_host_tests::reliability::*;
use lathe_host_tests::*;

/// Settings per plugin under which poison is fed: defaults, and the stateful stages engaged
/// (filters, gate, compressor, limiter, reverb tank).
fn poison_settings(p: LathePlugin) -> Vec<Vec<(&'static str, &'static str)>> {
    match p.clap_id {
        "audio.lathe.channel-strip" => vec![
            vec![],
            vec![
                ("hpf_on", "On"),
                ("lpf_on", "On"),
                ("eq_lmf_gain", "6"),
                ("gate_on", "On"),
                ("gate_threshold", "-40"),
                ("comp_on", "On"),
                ("comp_threshold", "-30"),
                ("comp_auto_release", "On"),
                ("sat_drive", "50"),
            ],
            vec![("comp_on", "On"), ("comp_threshold", "-40"), ("dyn_pre_eq", "On"), ("comp_mix", "50")],
        ],
        "audio.lathe.bus-glue" => vec![
            vec![],
            vec![("threshold", "-30"), ("ratio", "10:1"), ("mix", "50")],
            vec![("threshold", "-30"), ("sc_external", "On"), ("sc_hpf", "200")],
        ],
        "audio.lathe.maximizer" => vec![
            vec![],
            vec![("gain", "12"), ("style", "Aggressive")],
            vec![
                ("gain", "9"),
                ("mono_bass_on", "On"),
                ("eq_low_gain", "3"),
                ("dither_bits", "16 bit"),
            ],
        ],
        _ => vec![
            vec![],
            vec![("mix", "100"), ("decay", "10 s"), ("predelay", "100")],
            vec![("mix", "50"), ("mode", "Plate"), ("freeze", "On")],
        ],
    }
}

fn each_plugin(f: impl Fn(LathePlugin) + Sync) {
    for p in ALL {
        f(p);
    }
}

#[test]
fn poisoned_input_gives_finite_output_and_recovers_within_50_ms() {
    each_plugin(|plugin| {
        let mut worst = 0.0f64;
        let mut cases = 0;
        for settings in poison_settings(plugin) {
            for poison in Poison::ALL {
                for samples in [1, 960] {
                    let r = poison_recovery(plugin, &settings, poison, samples);
                    worst = worst.max(r.recovery_ms);
                    cases += 1;
                }
            }
        }
        println!(
            "{}: {cases} poisonings, output finite throughout, back to normal within {worst:.0} ms",
            plugin.name
        );
    });
}

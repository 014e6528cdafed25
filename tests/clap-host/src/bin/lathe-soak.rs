//! The long soak: `cargo xtask soak --hours 24` (release bundles) runs every plugin for that many
//! hours of audio at 48 kHz, in parallel, and prints what `reliability::soak` measured. Exits
//! non-zero if a plugin's output went non-finite (a panic), its level drifted by 0.01 dB or more,
//! or its blocks became 5 % slower than a fresh twin instance's (the slowdown).
//! `--plugin <dir>` (e.g. `reverb`) runs one plugin only; `--seed <n>` draws other automation.

use lathe_host_tests::analysis::db;
use lathe_host_tests::reliability::{soak, soak_settings, SOAK_SEED};
use lathe_host_tests::ALL;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| {
        args.iter()
            .position(|a| a == f)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let hours: f64 = flag("--hours").map_or(24.0, |h| h.parse().expect("--hours <number>"));
    let only = flag("--plugin");
    let seed: u64 = flag("--seed").map_or(SOAK_SEED, |s| s.parse().expect("--seed <integer>"));
    let plugins: Vec<_> = ALL
        .into_iter()
        .filter(|p| only.as_deref().is_none_or(|o| o == p.dir))
        .collect();
    // Each plugin reports as soon as it finishes: a day-long run shows the quick ones early.
    let verdicts: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = plugins
            .iter()
            .map(|&p| {
                s.spawn(move || {
                    let r = soak(p, soak_settings(p), hours * 3600.0, seed);
                    println!(
                        "{}: {hours} h of audio in {:.0} s: drift {:+.5} dB, peak {:.1} dBFS, \
                         median time per block last/first hour {:.3} ({:.1} / {:.1} us), \
                         against a fresh twin {:.3} first hour / {:.3} last hour: \
                         slowdown {:.3}",
                        r.plugin,
                        r.wall_seconds,
                        r.drift_db,
                        db(r.peak as f64),
                        r.time_ratio,
                        r.last_median_us,
                        r.first_median_us,
                        r.twin_ratio_first,
                        r.twin_ratio_last,
                        r.slowdown
                    );
                    r.drift_db.abs() < 0.01 && r.slowdown < 1.05
                })
            })
            .collect();
        handles
            .into_iter()
            .zip(&plugins)
            .map(|(h, p)| {
                h.join().unwrap_or_else(|_| {
                    println!("{}: FAILED (see the panic above)", p.name);
                    false
                })
            })
            .collect()
    });
    let ok = verdicts.iter().all(|&v| v);
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

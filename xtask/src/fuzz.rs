//! The fuzz step of `cargo xtask test`: each `fuzz/` target (libFuzzer through cargo-fuzz) runs
//! for a bounded time from the committed seeds; a crash fails the test run and leaves the input
//! in `fuzz/artifacts/`. cargo-fuzz is installed from crates.io when missing; libFuzzer needs
//! nightly Rust, used when installed (`cargo +nightly`), else the stable compiler is unlocked
//! with `RUSTC_BOOTSTRAP=1`. No sanitizer (`-s none`): the code fuzzed is safe Rust, so what can go
//! wrong is a panic, which libFuzzer reports by itself, and the build is twice as fast.

use std::path::Path;
use std::process::Command;

/// Seconds each target runs.
const SECONDS_PER_TARGET: u32 = 30;
const TARGETS: [&str; 2] = ["state_load", "parse_text"];

fn succeeds(cmd: &mut Command) -> bool {
    cmd.output().is_ok_and(|o| o.status.success())
}

pub fn run(root: &Path) -> Result<(), String> {
    if !succeeds(Command::new("cargo").args(["fuzz", "--version"])) {
        eprintln!("xtask: installing cargo-fuzz");
        let ok = succeeds(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]));
        if !ok {
            return Err("cargo install cargo-fuzz --locked failed".into());
        }
    }
    let nightly = succeeds(Command::new("cargo").args(["+nightly", "--version"]));
    for target in TARGETS {
        let corpus = root.join("target/fuzz-corpus").join(target);
        std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
        let seeds = root.join("fuzz/seeds").join(target);
        let mut cmd = Command::new("cargo");
        if nightly {
            cmd.arg("+nightly");
        } else {
            cmd.env("RUSTC_BOOTSTRAP", "1");
        }
        // New inputs go to the first corpus directory (under target/), never into the seeds.
        cmd.args(["fuzz", "run", "-s", "none", target])
            .arg(&corpus)
            .arg(&seeds)
            .arg("--")
            .arg(format!("-max_total_time={SECONDS_PER_TARGET}"))
            .current_dir(root);
        eprintln!("xtask: fuzzing {target} for {SECONDS_PER_TARGET} s");
        let status = cmd
            .status()
            .map_err(|e| format!("could not start cargo fuzz: {e}"))?;
        if !status.success() {
            return Err(format!(
                "fuzz target {target} failed ({status}): the crashing input is in fuzz/artifacts/{target}/"
            ));
        }
    }
    Ok(())
}

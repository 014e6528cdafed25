//! `cargo xtask`: the project's commands (see README.md).
//! - `test`: the whole test suite, exactly what CI runs.
//! - `bench`: the benchmarks.
//! - anything else is handed to nice-plug-xtask (`bundle`, `bundle-universal`).

use std::process::{Command, ExitCode};

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("xtask: {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .status()
        .map_err(|e| format!("could not start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} {} failed ({status})", args.join(" ")))
    }
}

fn test() -> Result<(), String> {
    run("cargo", &["test", "--workspace", "--all-targets"])
}

fn bench() -> Result<(), String> {
    run("cargo", &["bench", "-p", "dsp-core"])
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("bench") => bench(),
        _ => nice_plug_xtask::main_with_args("cargo xtask", args).map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

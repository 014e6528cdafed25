//! `cargo xtask`: the project's commands (see README.md).
//! - `install [--dest DIR]`: release bundles of all four plugins, copied to the user's plugin
//!   folders (or DIR).
//! - `bundle-all [--debug]`: the bundles only, into `target/bundled/`.
//! - `soak [--hours H] [--plugin DIR]`: release bundles of all four plugins each process H hours
//!   (default 24) of audio under slow automation; drift, peak and time-per-block trend.
//! - `test`: the whole test suite, exactly what CI runs.
//! - `bench`: the benchmarks: dsp-core's criterion benches, then the plugins against their peers
//!   in pedalboard (`bench/hosts.py`) and 256 Channel Strips in one process.
//! - anything else is handed to nice-plug-xtask (`bundle`, `bundle-universal`).

mod fuzz;
mod hosts;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The plugin packages, in the order the README lists them.
const PLUGINS: [&str; 4] = [
    "lathe-channel-strip",
    "lathe-bus-glue",
    "lathe-maximizer",
    "lathe-reverb",
];

type Result<T = ()> = std::result::Result<T, String>;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn run(program: &str, args: &[&str]) -> Result {
    eprintln!("xtask: {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(workspace_root())
        .status()
        .map_err(|e| format!("could not start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} {} failed ({status})", args.join(" ")))
    }
}

/// Builds the CLAP and VST3 bundles of every plugin into `target/bundled/`. Tests use debug
/// builds: dsp-core is optimised even there, and debug builds are the ones where nice-plug's
/// `assert_process_allocs` turns any allocation on the audio thread into a failure.
fn bundle_all(release: bool) -> Result {
    let mut args = vec!["bundle".to_string()];
    for p in PLUGINS {
        args.push("-p".into());
        args.push(p.into());
    }
    if release {
        args.push("--release".into());
    }
    eprintln!("xtask: bundling {}", args.join(" "));
    nice_plug_xtask::main_with_args("cargo xtask", args).map_err(|e| e.to_string())
}

fn bundles() -> Result<Vec<PathBuf>> {
    let dir = workspace_root().join("target/bundled");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("Lathe ") && (name.ends_with(".clap") || name.ends_with(".vst3"))
        })
        .collect();
    found.sort();
    Ok(found)
}

/// The standard per-user plugin folders: (CLAP, VST3).
fn default_destinations() -> Result<(PathBuf, PathBuf)> {
    let home = |var: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .ok_or_else(|| format!("{var} is not set; pass --dest DIR"))
    };
    if cfg!(target_os = "macos") {
        let base = home("HOME")?.join("Library/Audio/Plug-Ins");
        Ok((base.join("CLAP"), base.join("VST3")))
    } else if cfg!(target_os = "windows") {
        let base = home("LOCALAPPDATA")?.join("Programs/Common");
        Ok((base.join("CLAP"), base.join("VST3")))
    } else {
        let h = home("HOME")?;
        Ok((h.join(".clap"), h.join(".vst3")))
    }
}

fn copy_recursively(from: &Path, to: &Path) -> Result {
    if from.is_dir() {
        std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
        for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
            let entry = entry.map_err(|e| e.to_string())?;
            copy_recursively(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to)
            .map(|_| ())
            .map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))
    }
}

fn install(dest: Option<PathBuf>) -> Result {
    bundle_all(true)?;
    let (clap_dir, vst3_dir) = match dest {
        Some(d) => (d.clone(), d),
        None => default_destinations()?,
    };
    let found = bundles()?;
    if found.len() != 2 * PLUGINS.len() {
        return Err(format!(
            "expected {} bundles, found {found:?}",
            2 * PLUGINS.len()
        ));
    }
    for bundle in found {
        let name = bundle.file_name().expect("bundle has a name");
        let dir = if bundle.extension().is_some_and(|e| e == "clap") {
            &clap_dir
        } else {
            &vst3_dir
        };
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let target = dir.join(name);
        if target.is_dir() {
            std::fs::remove_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
        }
        copy_recursively(&bundle, &target)?;
        println!("installed {}", target.display());
    }
    Ok(())
}

/// Everything CI runs: debug bundles, the workspace's tests (dsp-core, the plugins' contracts,
/// the CLAP host harness over the bundles), then the VST3 hosts and the headless Ardour session.
fn test() -> Result {
    bundle_all(false)?;
    // nice-plug's log (rejected states, host misbehaviour the tests provoke on purpose) goes to a
    // file instead of flooding the test output.
    let log = workspace_root().join("target/nice-plug-test.log");
    std::env::set_var("NICE_LOG", &log);
    run("cargo", &["test", "--workspace", "--all-targets"])?;
    fuzz::run(&workspace_root())?;
    hosts::run_host_tests(&workspace_root())
}

/// The long soak (README "Reliability"): release bundles, copied aside so the debug bundles the
/// tests use can be rebuilt meanwhile, run by the harness's `lathe-soak`.
fn soak(hours: &str, plugin: Option<&str>) -> Result {
    bundle_all(true)?;
    let dir = workspace_root().join("target/soak-bundles");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for b in bundles()?
        .into_iter()
        .filter(|b| b.extension().is_some_and(|e| e == "clap"))
    {
        copy_recursively(&b, &dir.join(b.file_name().expect("bundle has a name")))?;
    }
    std::env::set_var("LATHE_BUNDLE_DIR", &dir);
    let mut args = vec![
        "run",
        "--release",
        "-p",
        "lathe-host-tests",
        "--bin",
        "lathe-soak",
        "--",
        "--hours",
        hours,
    ];
    if let Some(p) = plugin {
        args.extend(["--plugin", p]);
    }
    run("cargo", &args)
}

/// Runs dsp-core's criterion benchmarks and writes `docs/bench-dsp.md`: ns per stereo sample
/// (every benchmark processes one 512-sample stereo block per iteration at 48 kHz). Then the
/// host-level comparison of issue 6 ([`bench_hosts`]).
fn bench() -> Result {
    run("cargo", &["bench", "-p", "dsp-core"])?;
    let table = dsp_bench_table(&workspace_root().join("target/criterion"))?;
    let docs = workspace_root().join("docs");
    std::fs::create_dir_all(&docs).map_err(|e| e.to_string())?;
    std::fs::write(docs.join("bench-dsp.md"), &table).map_err(|e| e.to_string())?;
    println!("{table}");
    bench_hosts()
}

/// The plugins against their peers, as users run them: release bundles; 256 Channel Strips in
/// one process through the CLAP harness (optimised too, so the harness adds no debug overhead);
/// then `bench/hosts.py` in the shared `.venv` (pedalboard, with Debian's zam-plugins installed
/// if missing), which writes `docs/bench-hosts.{md,png,json}`.
fn bench_hosts() -> Result {
    let root = workspace_root();
    bundle_all(true)?;
    let bundled = root.join("target/bundled");
    let scale = root.join("target/bench-scale.json");
    let _ = std::fs::remove_file(&scale);
    eprintln!("xtask: 256 Channel Strips through the CLAP harness (release bundles)");
    let status = Command::new("cargo")
        .args([
            "test",
            "--release",
            "-p",
            "lathe-host-tests",
            "--test",
            "scale",
            "--",
            "--ignored",
            "--exact",
            "channel_strip_256_instances_at_128_samples",
            "--nocapture",
        ])
        .current_dir(&root)
        .env("LATHE_BUNDLE_DIR", &bundled)
        .env("LATHE_SCALE_REPORT", &scale)
        .status()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    if !status.success() {
        return Err(format!("the scale run failed ({status})"));
    }
    let python = hosts::ensure_bench_hosts(&root)?;
    let status = Command::new(python)
        .arg(root.join("bench/hosts.py"))
        .arg("--bundles")
        .arg(&bundled)
        .arg("--out")
        .arg(root.join("docs"))
        .arg("--scale")
        .arg(&scale)
        .current_dir(&root)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .status()
        .map_err(|e| format!("could not start bench/hosts.py: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("bench/hosts.py failed ({status})"))
    }
}

fn dsp_bench_table(criterion_dir: &Path) -> Result<String> {
    let mut rows = Vec::new();
    let mut stack = vec![criterion_dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir()
                && path
                    .file_name()
                    .is_some_and(|n| n != "report" && n != "base")
            {
                stack.push(path);
            } else if path.ends_with("new/estimates.json") {
                let read = |name: &str| -> Result<serde_json::Value> {
                    let file = path.with_file_name(name);
                    let text = std::fs::read_to_string(&file)
                        .map_err(|e| format!("{}: {e}", file.display()))?;
                    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))
                };
                let id = read("benchmark.json")?["full_id"]
                    .as_str()
                    .unwrap_or("?")
                    .to_string();
                let mean_ns = read("estimates.json")?["mean"]["point_estimate"]
                    .as_f64()
                    .unwrap_or(f64::NAN);
                rows.push((id, mean_ns / 512.0));
            }
        }
    }
    if rows.is_empty() {
        return Err(format!(
            "no criterion results under {}",
            criterion_dir.display()
        ));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut table = String::from("| benchmark | ns per stereo sample |\n|---|---:|\n");
    for (id, ns) in rows {
        table.push_str(&format!("| {id} | {ns:.2} |\n"));
    }
    Ok(table)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag_value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(PathBuf::from)
    };
    let result = match args.first().map(String::as_str) {
        // Relative to where the user ran the command: bundling changes the working directory.
        Some("install") => install(
            flag_value("--dest")
                .map(|d| std::env::current_dir().map(|cwd| cwd.join(&d)).unwrap_or(d)),
        ),
        Some("bundle-all") => bundle_all(!args.iter().any(|a| a == "--debug")),
        Some("test") => test(),
        Some("bench") => bench(),
        Some("soak") => soak(
            args.iter()
                .position(|a| a == "--hours")
                .and_then(|i| args.get(i + 1))
                .map_or("24", String::as_str),
            args.iter()
                .position(|a| a == "--plugin")
                .and_then(|i| args.get(i + 1))
                .map(String::as_str),
        ),
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

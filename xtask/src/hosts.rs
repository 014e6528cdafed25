//! The VST3 host tests: the plugins' bundles in pedalboard, DawDreamer (both from PyPI) and a
//! headless Ardour 7 session, driven by pytest (`tests/python`, `tests/ardour`).
//!
//! `run_host_tests` prepares what those tests need and runs them:
//! 1. the project-local virtualenv `.venv/` with `tests/python/requirements.txt` installed
//!    (skipped when the installed set already matches the file),
//! 2. Ardour 7 (Debian's `ardour` package), installed with apt-get when missing and we are root,
//! 3. the editor test's X11 tools (Xvfb, openbox, xsettingsd, ImageMagick, xdotool, Tesseract,
//!    Mesa EGL/GL), the same way,
//! 4. `.venv/bin/python -m pytest tests/python -q` with `LATHE_BUNDLES=<root>/target/bundled`.
//!
//! Under `CI=true` a host that cannot be provided is a failure, never a skip.

use std::path::{Path, PathBuf};
use std::process::Command;

type Result<T = ()> = std::result::Result<T, String>;

const REQUIREMENTS: &str = "tests/python/requirements.txt";
/// Written into the virtualenv after a successful install: a copy of the requirements file it
/// was installed from, so an unchanged file needs no pip run at all.
const STAMP: &str = ".lathe-requirements";

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn status(cmd: &mut Command) -> Result {
    eprintln!("xtask: {cmd:?}");
    let s = cmd
        .status()
        .map_err(|e| format!("could not start {cmd:?}: {e}"))?;
    if s.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed ({s})"))
    }
}

fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .is_some_and(|s| s.trim() == "0")
}

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Runs `apt-get update` at most once per xtask run, then installs `packages`.
struct Apt {
    updated: bool,
}

impl Apt {
    fn install(&mut self, packages: &[&str]) -> Result {
        if !self.updated {
            status(Command::new("apt-get").args(["update", "-qq"]))?;
            self.updated = true;
        }
        status(
            Command::new("apt-get")
                .args(["install", "-y", "-qq", "--no-install-recommends"])
                .args(packages)
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
    }
}

/// A Python 3 interpreter to create the virtualenv with.
fn system_python() -> Result<PathBuf> {
    ["python3", "python"]
        .iter()
        .find_map(|p| on_path(p))
        .ok_or_else(|| "no python3 on PATH: the VST3 host tests need Python 3.11".to_string())
}

fn ensure_venv(root: &Path, apt: &mut Apt) -> Result<PathBuf> {
    let venv = root.join(".venv");
    let python = venv.join("bin/python");
    let requirements = std::fs::read_to_string(root.join(REQUIREMENTS))
        .map_err(|e| format!("{REQUIREMENTS}: {e}"))?;
    if !python.is_file() {
        let base = system_python()?;
        let create = || succeeds(Command::new(&base).args(["-m", "venv"]).arg(&venv));
        if !create() {
            // Debian's python3 has no ensurepip without python3-venv.
            if is_root() {
                let _ = std::fs::remove_dir_all(&venv);
                apt.install(&["python3-venv"])?;
            }
            let _ = std::fs::remove_dir_all(&venv);
            status(Command::new(&base).args(["-m", "venv"]).arg(&venv))?;
        }
    }
    let stamp = venv.join(STAMP);
    let up_to_date = std::fs::read_to_string(&stamp).is_ok_and(|s| s == requirements)
        && succeeds(Command::new(&python).args(["-c", "import pedalboard, dawdreamer, pytest"]));
    if up_to_date {
        eprintln!("xtask: {} matches {REQUIREMENTS}", venv.display());
    } else {
        status(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(root.join(REQUIREMENTS))
                .current_dir(root),
        )?;
        std::fs::write(&stamp, &requirements).map_err(|e| format!("{}: {e}", stamp.display()))?;
    }
    Ok(python)
}

/// Ardour's headless Lua interpreter and its VST3 scanner.
fn ardour_present() -> bool {
    on_path("ardour7-lua").is_some() && Path::new("/usr/lib/ardour7/ardour-vst3-scanner").is_file()
}

/// Returns whether Ardour is available.
fn ensure_ardour(apt: &mut Apt) -> Result<bool> {
    if ardour_present() {
        return Ok(true);
    }
    if is_root() && on_path("apt-get").is_some() {
        apt.install(&["ardour"])?;
        if ardour_present() {
            return Ok(true);
        }
        return Err(
            "installed Debian's `ardour` but ardour7-lua or ardour-vst3-scanner is still missing"
                .into(),
        );
    }
    let msg =
        "Ardour 7 is missing (ardour7-lua and /usr/lib/ardour7/ardour-vst3-scanner): install \
               Debian's `ardour` package (`sudo apt-get install --no-install-recommends ardour`)";
    if ci() {
        return Err(format!("{msg}; under CI a missing host is a failure"));
    }
    eprintln!("xtask: WARNING: {msg}; the Ardour tests will be skipped");
    Ok(false)
}

/// The editor screenshot test's tools (`tests/python/test_editors.py`): a virtual X server, a
/// window manager and an XSETTINGS owner (JUCE needs both under Xvfb), Mesa's EGL/GL (llvmpipe
/// renders the egui editors), ImageMagick for screenshots, xdotool for synthetic mouse input and
/// Tesseract to read the rendered labels back.
const EDITOR_PROGRAMS: &[(&str, &str)] = &[
    ("Xvfb", "xvfb"),
    ("openbox", "openbox"),
    ("xsettingsd", "xsettingsd"),
    ("import", "imagemagick"),
    ("xdotool", "xdotool"),
    ("tesseract", "tesseract-ocr"),
];
const EDITOR_LIBRARIES: &[(&str, &str)] = &[
    ("libEGL.so.1", "libegl1"),
    ("libEGL_mesa.so.0", "libegl-mesa0"),
    ("libGL.so.1", "libgl1"),
    ("dri/swrast_dri.so", "libgl1-mesa-dri"),
];

fn library_present(name: &str) -> bool {
    [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib",
    ]
    .iter()
    .any(|dir| Path::new(dir).join(name).exists())
}

fn missing_editor_packages() -> Vec<&'static str> {
    let mut missing: Vec<&str> = EDITOR_PROGRAMS
        .iter()
        .filter(|(program, _)| on_path(program).is_none())
        .map(|(_, package)| *package)
        .collect();
    missing.extend(
        EDITOR_LIBRARIES
            .iter()
            .filter(|(lib, _)| !library_present(lib))
            .map(|(_, package)| *package),
    );
    if !missing.is_empty() {
        // Tesseract's English model ships separately on some releases.
        missing.push("tesseract-ocr-eng");
    }
    missing
}

fn ensure_editor_tools(apt: &mut Apt) -> Result {
    let missing = missing_editor_packages();
    if missing.is_empty() {
        return Ok(());
    }
    if is_root() && on_path("apt-get").is_some() {
        apt.install(&missing)?;
        let still = missing_editor_packages();
        if still.is_empty() {
            return Ok(());
        }
        return Err(format!(
            "installed the editor test's tools but {still:?} are still missing"
        ));
    }
    let msg = format!("the editor test needs Debian's {missing:?}");
    if ci() {
        return Err(format!("{msg}; under CI a missing host is a failure"));
    }
    eprintln!("xtask: WARNING: {msg}; the editor test will be skipped");
    Ok(())
}

/// Prepares the hosts and runs the VST3 host tests on the bundles in `<root>/target/bundled`.
pub fn run_host_tests(root: &Path) -> std::result::Result<(), String> {
    let bundles = root.join("target/bundled");
    if !bundles.is_dir() {
        return Err(format!(
            "{} is missing: bundle the plugins first (`cargo xtask bundle-all --debug`)",
            bundles.display()
        ));
    }
    let mut apt = Apt { updated: false };
    let python = ensure_venv(root, &mut apt)?;
    let ardour = ensure_ardour(&mut apt)?;
    // Without the tools the editor test skips itself (it fails instead under CI).
    ensure_editor_tools(&mut apt)?;

    let mut pytest = Command::new(&python);
    pytest
        .args([
            "-m",
            "pytest",
            "tests/python",
            "-q",
            "-p",
            "no:cacheprovider",
        ])
        .current_dir(root)
        .env("LATHE_BUNDLES", &bundles)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    if ci() || ardour {
        // Every host is there (or must be): a test that cannot reach one fails.
        pytest.env("LATHE_REQUIRE_HOSTS", "1");
    }
    status(&mut pytest).map_err(|e| format!("VST3 host tests failed: {e}"))
}

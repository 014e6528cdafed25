//! Where the built bundles are, what each Lathe plugin is (CLAP ID, bundle name, frozen parameter
//! contract), and nice-plug's CLAP parameter ID hash.

use clack_host::prelude::PluginEntry;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

/// One of the suite's plugins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LathePlugin {
    /// The folder under `plugins/`.
    pub dir: &'static str,
    /// The bundle's file stem: `target/bundled/<name>.clap`. Also the CLAP descriptor's name.
    pub name: &'static str,
    pub clap_id: &'static str,
    /// The source of `plugins/<dir>/tests/params.rs`, whose `FROZEN` list is the public
    /// parameter contract ("id | name | min | max | default", as hosts display them).
    frozen_source: &'static str,
}

pub const CHANNEL_STRIP: LathePlugin = LathePlugin {
    dir: "channel-strip",
    name: "Lathe Channel Strip",
    clap_id: "audio.lathe.channel-strip",
    frozen_source: include_str!("../../../plugins/channel-strip/tests/params.rs"),
};
pub const BUS_GLUE: LathePlugin = LathePlugin {
    dir: "bus-glue",
    name: "Lathe Bus Glue",
    clap_id: "audio.lathe.bus-glue",
    frozen_source: include_str!("../../../plugins/bus-glue/tests/params.rs"),
};
pub const MAXIMIZER: LathePlugin = LathePlugin {
    dir: "maximizer",
    name: "Lathe Maximizer",
    clap_id: "audio.lathe.maximizer",
    frozen_source: include_str!("../../../plugins/maximizer/tests/params.rs"),
};
pub const REVERB: LathePlugin = LathePlugin {
    dir: "reverb",
    name: "Lathe Reverb",
    clap_id: "audio.lathe.reverb",
    frozen_source: include_str!("../../../plugins/reverb/tests/params.rs"),
};

pub const ALL: [LathePlugin; 4] = [CHANNEL_STRIP, BUS_GLUE, MAXIMIZER, REVERB];

/// One line of a frozen parameter contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrozenParam {
    pub id: String,
    pub name: String,
    pub min_text: String,
    pub max_text: String,
    pub default_text: String,
}

impl LathePlugin {
    /// The frozen parameter contract, parsed from the plugin's `tests/params.rs`.
    pub fn frozen_params(&self) -> Vec<FrozenParam> {
        let start = self
            .frozen_source
            .find("const FROZEN")
            .unwrap_or_else(|| panic!("plugins/{}/tests/params.rs has no FROZEN list", self.dir));
        let body = &self.frozen_source[start..];
        let body = &body[body.find('[').expect("FROZEN = &[") + 1..body.find("];").expect("];")];
        let params: Vec<FrozenParam> = body
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with('"'))
            .map(|l| {
                let l = l.trim_end_matches(',').trim_matches('"');
                let f: Vec<&str> = l.split(" | ").collect();
                assert_eq!(f.len(), 5, "malformed FROZEN line in plugins/{}: {l}", self.dir);
                FrozenParam {
                    id: f[0].to_string(),
                    name: f[1].to_string(),
                    min_text: f[2].to_string(),
                    max_text: f[3].to_string(),
                    default_text: f[4].to_string(),
                }
            })
            .collect();
        assert!(!params.is_empty(), "empty FROZEN list in plugins/{}", self.dir);
        params
    }

    pub fn frozen_ids(&self) -> Vec<String> {
        self.frozen_params().into_iter().map(|p| p.id).collect()
    }

    /// `target/bundled/<name>.clap`, or a panic that says how to build it.
    pub fn bundle_path(&self) -> PathBuf {
        let path = bundle_dir().join(format!("{}.clap", self.name));
        if !path.is_file() {
            panic!(
                "the CLAP bundle {} is missing: run `cargo xtask bundle-all --debug` first \
                 (`cargo xtask test` does this before running the tests){}",
                path.display(),
                if std::env::var_os("CI").is_some() {
                    " [CI: a missing bundle is a failure, never a skip]"
                } else {
                    ""
                }
            );
        }
        check_not_stale(&path, self.dir);
        path
    }

    /// The loaded CLAP entry (loaded once per test process and kept, as a DAW keeps it).
    pub fn entry(&self) -> PluginEntry {
        load_entry(&self.bundle_path())
    }
}

/// The workspace root (this crate lives in `tests/clap-host`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// `LATHE_BUNDLE_DIR`, else `$CARGO_TARGET_DIR/bundled`, else `<workspace>/target/bundled`.
pub fn bundle_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LATHE_BUNDLE_DIR") {
        return PathBuf::from(dir);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_relative() { workspace_root().join(t) } else { t })
        .unwrap_or_else(|| workspace_root().join("target"));
    target.join("bundled")
}

fn newest_mtime(dir: &Path, newest: &mut Option<(SystemTime, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            newest_mtime(&p, newest);
        } else if p.extension().is_some_and(|x| x == "rs" || x == "toml") {
            if let Ok(m) = e.metadata().and_then(|m| m.modified()) {
                if newest.as_ref().is_none_or(|(t, _)| m > *t) {
                    *newest = Some((m, p));
                }
            }
        }
    }
}

/// A bundle older than the code it is built from would test stale code: fail and say so.
/// `LATHE_ALLOW_STALE_BUNDLES=1` turns this off (for testing a bundle copied from elsewhere).
fn check_not_stale(bundle: &Path, dir: &str) {
    if std::env::var_os("LATHE_ALLOW_STALE_BUNDLES").is_some() || std::env::var_os("LATHE_BUNDLE_DIR").is_some() {
        return;
    }
    let Ok(built) = bundle.metadata().and_then(|m| m.modified()) else {
        return;
    };
    let root = workspace_root();
    let mut newest = None;
    for src in [
        root.join("plugins").join(dir).join("src"),
        root.join("plugins/shared/src"),
        root.join("dsp-core/src"),
    ] {
        newest_mtime(&src, &mut newest);
    }
    if let Some((t, p)) = newest {
        if t > built {
            panic!(
                "the bundle {} is older than {}: run `cargo xtask bundle-all --debug` to rebuild it \
                 (or set LATHE_ALLOW_STALE_BUNDLES=1 to test it anyway)",
                bundle.display(),
                p.display()
            );
        }
    }
}

/// Loads a `.clap` file once per process. Entries are never unloaded: a DAW keeps a plugin
/// library loaded, and re-initialising one repeatedly is not what we test here.
pub fn load_entry(path: &Path) -> PluginEntry {
    static ENTRIES: OnceLock<Mutex<HashMap<PathBuf, PluginEntry>>> = OnceLock::new();
    let mut map = ENTRIES.get_or_init(Default::default).lock().unwrap();
    map.entry(path.to_path_buf())
        .or_insert_with(|| {
            // SAFETY: loading a plugin library runs its initialisers; that is what a host does.
            unsafe { PluginEntry::load(path) }
                .unwrap_or_else(|e| panic!("could not load the CLAP entry {}: {e}", path.display()))
        })
        .clone()
}

/// nice-plug's CLAP parameter ID for a string parameter ID (`nice_plug::wrapper::util::
/// hash_param_id`, reproduced): a Rabin fingerprint over the bytes, `h = h * 31 + byte`
/// (wrapping), with the top bit cleared (VST3 reserves it for host parameters).
pub fn hash_param_id(id: &str) -> u32 {
    let mut hash: u32 = 0;
    for b in id.bytes() {
        hash = hash.wrapping_mul(31).wrapping_add(b as u32);
    }
    hash & !(1 << 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_nice_plug_for_known_ids() {
        // Values computed independently (Python, the same recurrence on the UTF-8 bytes).
        assert_eq!(hash_param_id("gain"), 3_165_055);
        assert_eq!(hash_param_id("bypass"), 773_352_680);
        assert_eq!(hash_param_id(""), 0);
    }

    #[test]
    fn frozen_lists_parse() {
        for p in ALL {
            let f = p.frozen_params();
            assert_eq!(f[0].id, "bypass", "{}", p.dir);
            let mut ids = p.frozen_ids();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), f.len(), "duplicate IDs in {}", p.dir);
        }
        assert_eq!(MAXIMIZER.frozen_params()[5].id, "lookahead");
        assert_eq!(MAXIMIZER.frozen_params()[5].min_text, "0.50 ms");
    }
}

//! State identity, versioning and migration. Project files are untrusted input: a blob saved by
//! another plugin, or by a future version we cannot read, must leave the current settings alone.
//! nice-plug already rejects malformed JSON (the load fails and nothing changes); what it cannot
//! tell is whose state a well-formed blob is. Every Lathe plugin persists a [`StateHeader`] under
//! [`HEADER_KEY`], and [`guard`] (called from `Plugin::filter_state`) empties any state that does
//! not carry this plugin's header, so loading it changes nothing.

use nice_plug::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::RwLock;

pub const HEADER_KEY: &str = "lathe";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateHeader {
    /// The plugin's CLAP ID.
    pub plugin: String,
    /// The state layout version: bumped whenever a parameter's meaning changes.
    pub version: u32,
}

/// The persisted header field for a plugin's `Params` struct.
pub fn header(plugin: &str, version: u32) -> RwLock<StateHeader> {
    RwLock::new(StateHeader {
        plugin: plugin.to_string(),
        version,
    })
}

/// What [`guard`] decided, for logging and tests.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Accepted,
    Migrated { from: u32 },
    Rejected(String),
}

/// Validates `state` against this plugin's identity and runs `migrate(state, from_version)` for
/// older layouts. A rejected state is emptied (so loading it keeps the current settings) and the
/// reason is logged.
pub fn guard(
    state: &mut PluginState,
    plugin: &str,
    version: u32,
    migrate: fn(&mut PluginState, u32),
) -> Verdict {
    let found = state
        .fields
        .get(HEADER_KEY)
        .and_then(|json| serde_json::from_str::<StateHeader>(json).ok());
    let verdict = match found {
        None => Verdict::Rejected("the state carries no Lathe header".into()),
        Some(h) if h.plugin != plugin => {
            Verdict::Rejected(format!("the state belongs to {}, not {plugin}", h.plugin))
        }
        Some(h) if h.version > version => Verdict::Rejected(format!(
            "the state has layout version {} but this build reads up to {version}",
            h.version
        )),
        Some(h) if h.version < version => {
            migrate(state, h.version);
            state.fields.insert(
                HEADER_KEY.into(),
                serde_json::to_string(&StateHeader {
                    plugin: plugin.into(),
                    version,
                })
                .expect("a header always serialises"),
            );
            Verdict::Migrated { from: h.version }
        }
        Some(_) => Verdict::Accepted,
    };
    if let Verdict::Rejected(why) = &verdict {
        nice_error!("{plugin}: ignoring a state blob ({why}); current settings are kept");
        state.params.clear();
        state.fields.clear();
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use nice_plug::plugin::ParamValue;
    use std::collections::BTreeMap;

    fn state(header: Option<StateHeader>) -> PluginState {
        let mut fields = BTreeMap::new();
        if let Some(h) = header {
            fields.insert(HEADER_KEY.to_string(), serde_json::to_string(&h).unwrap());
        }
        let mut params = BTreeMap::new();
        params.insert("gain".to_string(), ParamValue::F32(3.0));
        PluginState {
            version: String::new(),
            params,
            fields,
        }
    }

    fn no_migration(_: &mut PluginState, _: u32) {}

    fn bump_gain(s: &mut PluginState, _: u32) {
        s.params.insert("gain".into(), ParamValue::F32(4.0));
    }

    #[test]
    fn foreign_headerless_and_future_states_are_emptied_own_and_old_ones_load() {
        let own = |v| StateHeader {
            plugin: "audio.lathe.maximizer".into(),
            version: v,
        };
        let mut s = state(Some(own(1)));
        assert_eq!(
            guard(&mut s, "audio.lathe.maximizer", 1, no_migration),
            Verdict::Accepted
        );
        assert_eq!(s.params.len(), 1);

        for bad in [
            None,
            Some(StateHeader {
                plugin: "audio.lathe.reverb".into(),
                version: 1,
            }),
            Some(own(9)),
        ] {
            let mut s = state(bad);
            assert!(matches!(
                guard(&mut s, "audio.lathe.maximizer", 1, no_migration),
                Verdict::Rejected(_)
            ));
            assert!(s.params.is_empty() && s.fields.is_empty());
        }

        let mut s = state(Some(own(1)));
        assert_eq!(
            guard(&mut s, "audio.lathe.maximizer", 2, bump_gain),
            Verdict::Migrated { from: 1 }
        );
        assert!(matches!(s.params["gain"], ParamValue::F32(v) if v == 4.0));
    }
}

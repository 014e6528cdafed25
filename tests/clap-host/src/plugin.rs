//! One plugin instance, driven from the thread that created it (its main thread) exactly as a
//! DAW drives it: parameters, state and latency on the main thread; `activate`/`deactivate` on the
//! main thread; processing on an audio thread (see [`crate::render`]).

use crate::bundles::{hash_param_id, LathePlugin};
use crate::host::{Harness, MainThread, PluginExtensions, Shared};
use clack_extensions::audio_ports::{AudioPortFlags, AudioPortInfoBuffer};
use clack_extensions::params::{ParamInfoBuffer, ParamInfoFlags};
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use std::ffi::CString;
use std::io::Cursor;
use std::sync::atomic::Ordering;

/// The descriptor a plugin factory publishes.
#[derive(Debug, Clone)]
pub struct Descriptor {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub version: String,
    pub url: String,
    pub description: String,
    pub features: Vec<String>,
}

fn cstr(c: Option<&std::ffi::CStr>) -> String {
    c.map(|c| c.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// All descriptors in a bundle's plugin factory.
pub fn descriptors(entry: &PluginEntry) -> Vec<Descriptor> {
    let factory = entry
        .get_plugin_factory()
        .expect("the bundle has no plugin factory");
    factory
        .plugin_descriptors()
        .map(|d| Descriptor {
            id: cstr(d.id()),
            name: cstr(d.name()),
            vendor: cstr(d.vendor()),
            version: cstr(d.version()),
            url: cstr(d.url()),
            description: cstr(d.description()),
            features: d
                .features()
                .map(|f| f.to_string_lossy().into_owned())
                .collect(),
        })
        .collect()
}

/// A parameter as `clap_plugin_params.get_info` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamInfo {
    pub id: u32,
    pub name: String,
    pub module: String,
    pub flags: ParamInfoFlags,
    pub min: f64,
    pub max: f64,
    pub default: f64,
}

impl ParamInfo {
    pub fn is_stepped(&self) -> bool {
        self.flags.contains(ParamInfoFlags::IS_STEPPED)
    }
    pub fn is_automatable(&self) -> bool {
        self.flags.contains(ParamInfoFlags::IS_AUTOMATABLE)
    }
    pub fn is_bypass(&self) -> bool {
        self.flags.contains(ParamInfoFlags::IS_BYPASS)
    }
    pub fn is_hidden(&self) -> bool {
        self.flags.contains(ParamInfoFlags::IS_HIDDEN)
    }
    pub fn is_readonly(&self) -> bool {
        self.flags.contains(ParamInfoFlags::IS_READONLY)
    }
    /// The CLAP value at knob position `n` in 0..=1 (stepped parameters snap to a step).
    pub fn at(&self, n: f64) -> f64 {
        let v = self.min + n.clamp(0.0, 1.0) * (self.max - self.min);
        if self.is_stepped() {
            v.round()
        } else {
            v
        }
    }
    /// The knob position 0..=1 of a CLAP value.
    pub fn position(&self, value: f64) -> f64 {
        if self.max > self.min {
            (value - self.min) / (self.max - self.min)
        } else {
            0.0
        }
    }
    /// The number of steps of a stepped parameter (`max - min`), `None` for continuous ones.
    pub fn steps(&self) -> Option<u32> {
        self.is_stepped()
            .then(|| (self.max - self.min).round() as u32)
    }
}

/// One audio port as `clap_plugin_audio_ports.get` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct PortInfo {
    pub id: u32,
    pub name: String,
    pub channels: u32,
    pub is_main: bool,
    pub port_type: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PortLayout {
    pub inputs: Vec<PortInfo>,
    pub outputs: Vec<PortInfo>,
}

/// A parameter change for the plugin: a CLAP param ID and a value in CLAP units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamChange {
    pub id: u32,
    pub value: f64,
}

pub struct Plugin {
    pub(crate) instance: PluginInstance<Harness>,
    pub(crate) ext: PluginExtensions,
    pub(crate) processor: Option<StoppedPluginAudioProcessor<Harness>>,
    pub(crate) config: Option<PluginAudioConfiguration>,
    /// Changes made while active, delivered as events at sample 0 of the next render (a DAW
    /// sends a knob turned during playback with the next process call).
    pub(crate) pending: Vec<ParamChange>,
    pub(crate) layout: PortLayout,
    pub clap_id: String,
    /// Restarts this harness performed because the plugin asked (`request_restart`).
    pub restarts_handled: usize,
}

fn host_info() -> HostInfo {
    HostInfo::new(
        "Lathe CLAP harness",
        "Lathe Audio",
        "https://lathe.audio",
        env!("CARGO_PKG_VERSION"),
    )
    .expect("host info")
}

impl Plugin {
    /// Instantiates a Lathe plugin from its built bundle.
    pub fn lathe(p: LathePlugin) -> Plugin {
        Plugin::new(&p.entry(), p.clap_id)
    }

    /// Instantiates the plugin `clap_id` from a loaded bundle. The calling thread becomes this
    /// instance's main thread.
    pub fn new(entry: &PluginEntry, clap_id: &str) -> Plugin {
        let id = CString::new(clap_id).unwrap();
        let instance = PluginInstance::<Harness>::new(
            |_| Shared::new(),
            |shared| MainThread { shared },
            entry,
            &id,
            &host_info(),
        )
        .unwrap_or_else(|e| panic!("could not instantiate {clap_id}: {e}"));
        let ext = instance
            .access_shared_handler(|s| s.extensions.get().copied())
            .unwrap_or_default();
        let mut plugin = Plugin {
            instance,
            ext,
            processor: None,
            config: None,
            pending: Vec::new(),
            layout: PortLayout {
                inputs: vec![],
                outputs: vec![],
            },
            clap_id: clap_id.to_string(),
            restarts_handled: 0,
        };
        plugin.layout = plugin.read_audio_ports();
        plugin
    }

    pub fn extensions(&self) -> PluginExtensions {
        self.ext
    }

    /// Reads something the host recorded (counts, violations, log).
    pub fn with_record<R>(&self, f: impl FnOnce(&crate::host::HostRecord) -> R) -> R {
        self.instance.access_shared_handler(|s| f(&s.record))
    }

    /// Broken thread rules and misbehaviour the host saw.
    pub fn violations(&self) -> Vec<String> {
        self.with_record(|r| {
            let mut v = r.violations.lock().unwrap().clone();
            for (sev, msg) in r.log.lock().unwrap().iter() {
                use clack_extensions::log::LogSeverity::*;
                if matches!(sev, HostMisbehaving | PluginMisbehaving | Fatal) {
                    v.push(format!("log [{sev}]: {msg}"));
                }
            }
            v
        })
    }

    // ---------------------------------------------------------------- audio ports

    pub(crate) fn read_audio_ports(&mut self) -> PortLayout {
        let Some(ports) = self.ext.audio_ports else {
            return PortLayout {
                inputs: vec![],
                outputs: vec![],
            };
        };
        let handle = self.instance.plugin_handle();
        let mut buf = AudioPortInfoBuffer::new();
        let mut read = |is_input: bool| -> Vec<PortInfo> {
            (0..ports.count(&handle, is_input))
                .map(|i| {
                    let info = ports
                        .get(&handle, i, is_input, &mut buf)
                        .unwrap_or_else(|| {
                            panic!("audio port {i} (input: {is_input}) has no info")
                        });
                    PortInfo {
                        id: info.id.get(),
                        name: String::from_utf8_lossy(info.name).into_owned(),
                        channels: info.channel_count,
                        is_main: info.flags.contains(AudioPortFlags::IS_MAIN),
                        port_type: info
                            .port_type
                            .map(|t| t.0.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                    }
                })
                .collect()
        };
        let inputs = read(true);
        let outputs = read(false);
        PortLayout { inputs, outputs }
    }

    pub fn audio_ports(&self) -> &PortLayout {
        &self.layout
    }

    // ---------------------------------------------------------------- parameters

    fn params_ext(&self) -> clack_extensions::params::PluginParams {
        self.ext
            .params
            .unwrap_or_else(|| panic!("{} has no params extension", self.clap_id))
    }

    /// Every parameter, in the plugin's order.
    pub fn params(&mut self) -> Vec<ParamInfo> {
        let ext = self.params_ext();
        let handle = self.instance.plugin_handle();
        let mut buf = ParamInfoBuffer::new();
        (0..ext.count(&handle))
            .map(|i| {
                let p = ext
                    .get_info(&handle, i, &mut buf)
                    .unwrap_or_else(|| panic!("params.get_info({i}) failed"));
                ParamInfo {
                    id: p.id.get(),
                    name: String::from_utf8_lossy(p.name).into_owned(),
                    module: String::from_utf8_lossy(p.module).into_owned(),
                    flags: p.flags,
                    min: p.min_value,
                    max: p.max_value,
                    default: p.default_value,
                }
            })
            .collect()
    }

    /// The parameter whose nice-plug string ID is `string_id` (found through the ID hash).
    pub fn param(&mut self, string_id: &str) -> ParamInfo {
        let id = hash_param_id(string_id);
        self.params()
            .into_iter()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("{} has no parameter {string_id:?}", self.clap_id))
    }

    pub fn get_value(&mut self, id: u32) -> Option<f64> {
        let ext = self.params_ext();
        ext.get_value(&self.instance.plugin_handle(), ClapId::new(id))
    }

    /// Every parameter's current value, in the plugin's order.
    pub fn values(&mut self) -> Vec<(u32, f64)> {
        self.params()
            .iter()
            .map(|p| {
                (
                    p.id,
                    self.get_value(p.id)
                        .unwrap_or_else(|| panic!("params.get_value({}) failed", p.name)),
                )
            })
            .collect()
    }

    pub fn value_to_text(&mut self, id: u32, value: f64) -> Option<String> {
        let ext = self.params_ext();
        let mut buf = [0u8; 256];
        ext.value_to_text(
            &self.instance.plugin_handle(),
            ClapId::new(id),
            value,
            &mut buf,
        )
        .ok()
        .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    pub fn text_to_value(&mut self, id: u32, text: &str) -> Option<f64> {
        let ext = self.params_ext();
        let c = CString::new(text).ok()?;
        ext.text_to_value(&self.instance.plugin_handle(), ClapId::new(id), &c)
    }

    /// Sets parameters the way a DAW does: through `params.flush` on the main thread while the
    /// plugin is inactive, or as events at the start of the next process call while active.
    pub fn set_params(&mut self, changes: &[ParamChange]) {
        if self.instance.is_active() {
            self.pending.extend_from_slice(changes);
            return;
        }
        let ext = self.params_ext();
        let mut events = EventBuffer::with_capacity(changes.len());
        for c in changes {
            events.push(&ParamValueEvent::new(
                0,
                ClapId::new(c.id),
                Pckn::match_all(),
                c.value,
            ));
        }
        let mut out = EventBuffer::new();
        let mut handle = self.instance.inactive_plugin_handle().expect("inactive");
        ext.flush(&mut handle, &events.as_input(), &mut out.as_output());
    }

    pub fn set_param(&mut self, id: u32, value: f64) {
        self.set_params(&[ParamChange { id, value }]);
    }

    /// Sets a parameter by string ID from text a user would type ("-3", "1.5k", "On").
    pub fn set_text(&mut self, string_id: &str, text: &str) {
        let id = hash_param_id(string_id);
        let v = self.text_to_value(id, text).unwrap_or_else(|| {
            panic!(
                "{}: {string_id} does not accept the text {text:?}",
                self.clap_id
            )
        });
        self.set_param(id, v);
    }

    // ---------------------------------------------------------------- state

    pub fn save_state(&mut self) -> Vec<u8> {
        let ext = self
            .ext
            .state
            .unwrap_or_else(|| panic!("{} has no state extension", self.clap_id));
        let mut out = Vec::new();
        ext.save(&self.instance.plugin_handle(), &mut out)
            .unwrap_or_else(|e| panic!("{}: state.save failed: {e}", self.clap_id));
        out
    }

    /// `state.load`; `true` if the plugin accepted it.
    pub fn load_state(&mut self, bytes: &[u8]) -> bool {
        let ext = self
            .ext
            .state
            .unwrap_or_else(|| panic!("{} has no state extension", self.clap_id));
        let ok = ext
            .load(&self.instance.plugin_handle(), &mut Cursor::new(bytes))
            .is_ok();
        self.pump();
        ok
    }

    // ---------------------------------------------------------------- latency

    /// The latency the plugin reports (`clap_plugin_latency.get`, main thread), 0 without the
    /// extension.
    pub fn latency(&mut self) -> u32 {
        match self.ext.latency {
            Some(l) => l.get(&self.instance.plugin_handle()),
            None => 0,
        }
    }

    // ---------------------------------------------------------------- activation

    pub fn is_active(&self) -> bool {
        self.instance.is_active()
    }

    pub fn sample_rate(&self) -> f64 {
        self.config.expect("not active").sample_rate
    }

    pub fn max_block(&self) -> usize {
        self.config.expect("not active").max_frames_count as usize
    }

    /// `activate(sample_rate, 1, max_block)` on the main thread.
    pub fn activate(&mut self, sample_rate: f64, max_block: usize) {
        assert!(!self.is_active(), "already active");
        let config = PluginAudioConfiguration {
            sample_rate,
            min_frames_count: 1,
            max_frames_count: max_block as u32,
        };
        let processor = self
            .instance
            .activate(|_, _| (), config)
            .unwrap_or_else(|e| {
                panic!(
                    "{}: activate({sample_rate}, {max_block}) failed: {e}",
                    self.clap_id
                )
            });
        self.processor = Some(processor);
        self.config = Some(config);
        self.pump();
    }

    pub fn deactivate(&mut self) {
        if let Some(p) = self.processor.take() {
            self.instance.deactivate(p);
        }
        self.config = None;
        self.pump();
    }

    /// Serves what the plugin asked of the main thread: the `on_main_thread` callback.
    pub fn pump(&mut self) {
        let pending = self
            .instance
            .access_shared_handler(|s| s.callback_pending.swap(false, Ordering::SeqCst));
        if pending {
            self.instance.call_on_main_thread_callback();
        }
    }

    /// Whether the plugin has asked to be restarted and the harness has not done it yet.
    pub fn restart_pending(&self) -> bool {
        self.instance
            .access_shared_handler(|s| s.restart_pending.load(Ordering::SeqCst))
    }

    /// What a DAW does after a `request_restart`: deactivate and reactivate with the same
    /// configuration, then serve main-thread callbacks. Returns whether a restart happened.
    pub fn serve_restart(&mut self) -> bool {
        self.pump();
        let pending = self
            .instance
            .access_shared_handler(|s| s.restart_pending.swap(false, Ordering::SeqCst));
        if pending && self.is_active() {
            let c = self.config.unwrap();
            self.deactivate();
            self.activate(c.sample_rate, c.max_frames_count as usize);
            self.restarts_handled += 1;
            true
        } else {
            false
        }
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        if let Some(p) = self.processor.take() {
            self.instance.deactivate(p);
        }
    }
}

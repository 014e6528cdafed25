//! The host side: the callbacks a plugin can make into us, answered the way a DAW answers them,
//! with every call's thread recorded so tests can prove the thread model is kept.
//!
//! Threads: the thread that creates a [`crate::Plugin`] is its main thread (as in a DAW, where the
//! GUI thread creates plugins). Processing runs on separate audio threads that mark themselves
//! with [`AudioThreadGuard`]. The host implements `thread-check`, so the plugin can ask which
//! thread it is on; main-thread-only host callbacks (`params.rescan`, `params.clear`,
//! `latency.changed`, `state.mark_dirty`) record a violation when called from any other thread.

use clack_extensions::audio_ports::PluginAudioPorts;
use clack_extensions::audio_ports_config::PluginAudioPortsConfig;
use clack_extensions::latency::{HostLatency, HostLatencyImpl, PluginLatency};
use clack_extensions::log::{HostLog, HostLogImpl, LogSeverity};
use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamRescanFlags,
    PluginParams,
};
use clack_extensions::state::{HostState, HostStateImpl, PluginState};
use clack_extensions::thread_check::{HostThreadCheck, HostThreadCheckImpl};
use clack_host::prelude::*;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::{self, Thread, ThreadId};

thread_local! {
    static IS_AUDIO_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current thread as an audio thread for as long as it lives.
pub struct AudioThreadGuard(());

impl AudioThreadGuard {
    pub fn enter() -> Self {
        IS_AUDIO_THREAD.with(|a| a.set(true));
        AudioThreadGuard(())
    }
}

impl Drop for AudioThreadGuard {
    fn drop(&mut self) {
        IS_AUDIO_THREAD.with(|a| a.set(false));
    }
}

pub fn on_audio_thread() -> bool {
    IS_AUDIO_THREAD.with(|a| a.get())
}

/// The plugin's extensions, queried once while it initialises.
#[derive(Clone, Copy, Default)]
pub struct PluginExtensions {
    pub params: Option<PluginParams>,
    pub state: Option<PluginState>,
    pub latency: Option<PluginLatency>,
    pub audio_ports: Option<PluginAudioPorts>,
    pub audio_ports_config: Option<PluginAudioPortsConfig>,
}

/// Counters and records of what the plugin asked of the host.
#[derive(Default)]
pub struct HostRecord {
    pub callback_requests: AtomicUsize,
    pub restart_requests: AtomicUsize,
    pub process_requests: AtomicUsize,
    pub flush_requests: AtomicUsize,
    pub rescans: AtomicUsize,
    pub clears: AtomicUsize,
    pub latency_changed: AtomicUsize,
    pub marked_dirty: AtomicUsize,
    pub is_main_thread_queries: AtomicUsize,
    pub is_audio_thread_queries: AtomicUsize,
    /// Main-thread-only callbacks made from another thread, and other broken rules.
    pub violations: Mutex<Vec<String>>,
    /// Messages the plugin sent through the `log` extension (and clack's own host-side errors).
    pub log: Mutex<Vec<(LogSeverity, String)>>,
}

/// `[thread-safe]` host data shared by the main thread, the audio thread and the plugin.
pub struct Shared {
    pub main_thread: ThreadId,
    main_thread_handle: Thread,
    pub extensions: OnceLock<PluginExtensions>,
    pub callback_pending: AtomicBool,
    pub restart_pending: AtomicBool,
    pub record: HostRecord,
}

impl Shared {
    pub fn new() -> Self {
        Self {
            main_thread: thread::current().id(),
            main_thread_handle: thread::current(),
            extensions: OnceLock::new(),
            callback_pending: AtomicBool::new(false),
            restart_pending: AtomicBool::new(false),
            record: HostRecord::default(),
        }
    }

    fn is_main(&self) -> bool {
        thread::current().id() == self.main_thread
    }

    pub fn violation(&self, what: String) {
        self.record.violations.lock().unwrap().push(what);
    }

    fn require_main(&self, call: &str) {
        if !self.is_main() {
            self.violation(format!(
                "{call} was called on thread {:?} ({}), not on the main thread",
                thread::current().id(),
                if on_audio_thread() {
                    "an audio thread"
                } else {
                    "another thread"
                }
            ));
        }
    }
}

impl Default for Shared {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> SharedHandler<'a> for Shared {
    fn initializing(&self, instance: InitializingPluginHandle<'a>) {
        let _ = self.extensions.set(PluginExtensions {
            params: instance.get_extension(),
            state: instance.get_extension(),
            latency: instance.get_extension(),
            audio_ports: instance.get_extension(),
            audio_ports_config: instance.get_extension(),
        });
    }

    fn request_restart(&self) {
        self.record.restart_requests.fetch_add(1, Ordering::SeqCst);
        self.restart_pending.store(true, Ordering::SeqCst);
        self.main_thread_handle.unpark();
    }

    fn request_process(&self) {
        self.record.process_requests.fetch_add(1, Ordering::SeqCst);
    }

    fn request_callback(&self) {
        self.record.callback_requests.fetch_add(1, Ordering::SeqCst);
        self.callback_pending.store(true, Ordering::SeqCst);
        // The main thread may be waiting for the audio thread: wake it to serve the callback.
        self.main_thread_handle.unpark();
    }
}

impl HostThreadCheckImpl for Shared {
    fn is_main_thread(&self) -> bool {
        self.record
            .is_main_thread_queries
            .fetch_add(1, Ordering::SeqCst);
        self.is_main()
    }

    fn is_audio_thread(&self) -> bool {
        self.record
            .is_audio_thread_queries
            .fetch_add(1, Ordering::SeqCst);
        on_audio_thread()
    }
}

impl HostParamsImplShared for Shared {
    fn request_flush(&self) {
        self.record.flush_requests.fetch_add(1, Ordering::SeqCst);
    }
}

impl HostLogImpl for Shared {
    fn log(&self, severity: LogSeverity, message: &str) {
        self.record
            .log
            .lock()
            .unwrap()
            .push((severity, message.to_string()));
    }
}

/// `[main-thread]` host callbacks. clack calls these on whatever thread the plugin calls from,
/// so each one checks that it really is the main thread.
pub struct MainThread<'a> {
    pub shared: &'a Shared,
}

impl<'a> MainThreadHandler<'a> for MainThread<'a> {}

impl HostParamsImplMainThread for MainThread<'_> {
    fn rescan(&self, _flags: ParamRescanFlags) {
        self.shared.require_main("clap_host_params.rescan");
        self.shared.record.rescans.fetch_add(1, Ordering::SeqCst);
    }

    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {
        self.shared.require_main("clap_host_params.clear");
        self.shared.record.clears.fetch_add(1, Ordering::SeqCst);
    }
}

impl HostLatencyImpl for MainThread<'_> {
    fn changed(&self) {
        self.shared.require_main("clap_host_latency.changed");
        self.shared
            .record
            .latency_changed
            .fetch_add(1, Ordering::SeqCst);
    }
}

impl HostStateImpl for MainThread<'_> {
    fn mark_dirty(&self) {
        self.shared.require_main("clap_host_state.mark_dirty");
        self.shared
            .record
            .marked_dirty
            .fetch_add(1, Ordering::SeqCst);
    }
}

/// The host: ties the handlers together and declares the extensions it implements.
pub struct Harness;

impl HostHandlers for Harness {
    type Shared<'a> = Shared;
    type MainThread<'a> = MainThread<'a>;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder
            .register::<HostThreadCheck>()
            .register::<HostParams>()
            .register::<HostLatency>()
            .register::<HostState>()
            .register::<HostLog>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_thread_callbacks_from_other_threads_are_violations() {
        let shared = Shared::new();
        let main = MainThread { shared: &shared };
        main.rescan(ParamRescanFlags::VALUES);
        assert!(shared.record.violations.lock().unwrap().is_empty());
        assert!(shared.is_main_thread());
        std::thread::scope(|s| {
            s.spawn(|| {
                let _a = AudioThreadGuard::enter();
                assert!(!shared.is_main_thread());
                assert!(shared.is_audio_thread());
                main.changed();
            });
        });
        assert!(!shared.is_audio_thread());
        let v = shared.record.violations.lock().unwrap();
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].contains("latency.changed") && v[0].contains("audio thread"),
            "{v:?}"
        );
    }
}

//! The scale function runs: N instances per plugin in one process at 48 kHz / 128-sample
//! blocks. It reports a realtime factor; no timing is asserted here (debug bundles on a shared
//! machine). Release figures: `LATHE_SCALE_INSTANCES=32 cargo test -p lathe-host-tests --test
//! scale -- --nocapture` against release bundles (`LATHE_BUNDLE_DIR`).

use lathe_host_tests::scale::realtime_factor;
use lathe_host_tests::*;

#[test]
fn scale_reports_a_realtime_factor_for_each_plugin() {
    let n: usize = std::env::var("LATHE_SCALE_INSTANCES").ok().and_then(|v| v.parse().ok()).unwrap_or(4);
    for p in ALL {
        let r = realtime_factor(p, n, 0.5);
        println!("{}: {} instances, {:.2} s of audio each in {:?}: {:.1}x realtime", p.name, r.instances, r.audio_seconds, r.wall, r.realtime_factor);
        assert_eq!(r.instances, n);
        assert!(r.realtime_factor.is_finite() && r.realtime_factor > 0.0);
    }
}

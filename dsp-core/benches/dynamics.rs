//! Compressor and gate throughput: one 512-sample stereo block at 48 kHz per iteration.
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use dsp_core::dynamics::{Compressor, Detection, Gate, Topology};
use dsp_core::signal;

const FS: f64 = 48_000.0;
const BLOCK: usize = 512;

fn bench_block<P>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: &str,
    proc: &mut P,
    process: impl Fn(&mut P, &mut [&mut [f32]]),
) {
    let music = signal::music_like(FS, 1.0, 1);
    let mut pos = 0;
    let (mut l, mut r) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    group.bench_function(id, |b| {
        b.iter(|| {
            if pos + BLOCK > music[0].len() {
                pos = 0;
            }
            l.copy_from_slice(&music[0][pos..pos + BLOCK]);
            r.copy_from_slice(&music[1][pos..pos + BLOCK]);
            pos += BLOCK;
            process(proc, &mut [&mut l, &mut r]);
            black_box((&l, &r));
        })
    });
}

fn compressor(c: &mut Criterion) {
    let mut group = c.benchmark_group("compressor");
    group.throughput(Throughput::Elements(BLOCK as u64));
    let variants: [(&str, Topology, Detection, bool, f64, bool); 7] = [
        (
            "ff_peak",
            Topology::FeedForward,
            Detection::Peak,
            false,
            0.0,
            false,
        ),
        (
            "ff_peak_unlinked",
            Topology::FeedForward,
            Detection::Peak,
            false,
            0.0,
            false,
        ),
        (
            "ff_rms",
            Topology::FeedForward,
            Detection::Rms,
            false,
            0.0,
            false,
        ),
        (
            "feedback_peak",
            Topology::FeedBack,
            Detection::Peak,
            false,
            0.0,
            false,
        ),
        (
            "feedback_rms",
            Topology::FeedBack,
            Detection::Rms,
            false,
            0.0,
            false,
        ),
        (
            "ff_peak_auto_release",
            Topology::FeedForward,
            Detection::Peak,
            true,
            0.0,
            false,
        ),
        (
            "ff_full_lookahead_hpf",
            Topology::FeedForward,
            Detection::Peak,
            true,
            5.0,
            true,
        ),
    ];
    for (name, topology, detection, auto, look, hpf) in variants {
        let mut comp = Compressor::new();
        comp.set_topology(topology);
        comp.set_detection(detection);
        comp.set_auto_release(auto);
        comp.set_lookahead_ms(look);
        comp.set_sidechain_hpf(hpf, 120.0);
        comp.set_threshold_db(-30.0);
        comp.set_ratio(4.0);
        comp.set_knee_db(6.0);
        comp.set_mix(if hpf { 0.7 } else { 1.0 });
        // Fully linked (the default, as both plugins run it) takes the one-envelope path.
        comp.set_stereo_link(if name == "ff_peak_unlinked" { 0.0 } else { 1.0 });
        comp.prepare(FS, BLOCK);
        bench_block(&mut group, name, &mut comp, |p, b| p.process(b));
    }
    // The Bus Glue as `bench/hosts.py` runs it (its character: knee 6 dB, full link; then
    // threshold -20 dB, 4:1, attack 10 ms, auto release, range 40 dB): the fused pass.
    let mut comp = Compressor::new();
    comp.set_knee_db(6.0);
    comp.set_stereo_link(1.0);
    comp.set_threshold_db(-20.0);
    comp.set_ratio(4.0);
    comp.set_attack_ms(10.0);
    comp.set_release_ms(100.0);
    comp.set_auto_release(true);
    comp.set_range_db(40.0);
    comp.prepare(FS, BLOCK);
    bench_block(&mut group, "bus_glue", &mut comp, |p, b| p.process(b));
    // The same on the baseline path every CPU without AVX2 runs.
    dsp_core::simd::force_baseline(true);
    bench_block(&mut group, "bus_glue_baseline", &mut comp, |p, b| {
        p.process(b)
    });
    dsp_core::simd::force_baseline(false);
    group.finish();
}

fn gate(c: &mut Criterion) {
    let mut group = c.benchmark_group("gate");
    group.throughput(Throughput::Elements(BLOCK as u64));
    for (name, ratio) in [("gate", f64::INFINITY), ("expander", 2.0)] {
        let mut g = Gate::new();
        g.set_threshold_db(-20.0);
        g.set_ratio(ratio);
        g.prepare(FS, BLOCK);
        bench_block(&mut group, name, &mut g, |p, b| p.process(b));
    }
    group.finish();
}

criterion_group!(benches, compressor, gate);
criterion_main!(benches);

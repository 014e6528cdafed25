//! Limiter cost, ns per stereo sample at 48 kHz in 512-sample blocks: one block of driven music
//! repeated, per detection mode, and the Maximizer's own setting on programme material.
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use dsp_core::limiter::{Character, Limiter};
use dsp_core::signal;

const BLOCK: usize = 512;
const FS: f64 = 48_000.0;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("limiter");
    g.throughput(Throughput::Elements(BLOCK as u64));
    let input = signal::music_like(FS, BLOCK as f64 / FS, 1);
    // `true_peak_baseline`: the SSE2 path every CPU without AVX2 runs.
    for (name, true_peak, character, baseline) in [
        ("true_peak", true, Character::Transparent, false),
        ("true_peak_punchy", true, Character::Punchy, false),
        ("sample_peak", false, Character::Transparent, false),
        ("true_peak_baseline", true, Character::Transparent, true),
    ] {
        dsp_core::simd::force_baseline(baseline);
        let mut l = Limiter::new();
        l.set_drive_db(9.0);
        l.set_ceiling_db(-1.0);
        l.set_true_peak(true_peak);
        l.set_character(character);
        l.prepare(FS, BLOCK);
        let mut block = input.clone();
        g.bench_function(name, |b| {
            b.iter(|| {
                block[0].copy_from_slice(&input[0]);
                block[1].copy_from_slice(&input[1]);
                let [l0, r0] = &mut block;
                l.process(&mut [&mut l0[..], &mut r0[..]]);
                black_box(&block);
            })
        });
        dsp_core::simd::force_baseline(false);
    }
    maximizer_setting(&mut g);
    g.finish();
}

/// The Maximizer's defaults (2 ms lookahead, auto release, Transparent, full link, true peak,
/// ceiling -1 dBTP) as `cargo xtask bench` drives it in the host: music with its sample peaks
/// at +4 dBFS (`music_like` peaks at -3 dBFS, +7 dB), 4 s played block by block, so the
/// limiter meets programme material (quiet passages, hits, recovery) rather than one block
/// over and over.
fn maximizer_setting(g: &mut criterion::BenchmarkGroup<criterion::measurement::WallTime>) {
    let input = signal::music_like(FS, 4.0, 1);
    let blocks = input[0].len() / BLOCK;
    let mut l = Limiter::new();
    l.set_drive_db(7.0);
    l.set_ceiling_db(-1.0);
    l.set_lookahead_ms(2.0);
    l.set_auto_release(true);
    l.prepare(FS, BLOCK);
    let mut block = [vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]];
    let mut k = 0;
    g.bench_function("true_peak_maximizer", |b| {
        b.iter(|| {
            let at = (k % blocks) * BLOCK;
            k += 1;
            block[0].copy_from_slice(&input[0][at..at + BLOCK]);
            block[1].copy_from_slice(&input[1][at..at + BLOCK]);
            let [l0, r0] = &mut block;
            l.process(&mut [&mut l0[..], &mut r0[..]]);
            black_box(&block);
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

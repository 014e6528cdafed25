//! Limiter cost: one 512-sample stereo block of driven music at 48 kHz, per detection mode.
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use dsp_core::limiter::{Character, Limiter};
use dsp_core::signal;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("limiter");
    g.throughput(Throughput::Elements(512));
    let input = signal::music_like(48_000.0, 512.0 / 48_000.0, 1);
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
        l.prepare(48_000.0, 512);
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
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Oversampler cost: one 512-sample stereo block at 48 kHz, up then down, per factor.
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use dsp_core::oversampling::Oversampler;
use dsp_core::signal;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("oversampler");
    g.throughput(Throughput::Elements(512));
    let input = signal::music_like(48_000.0, 512.0 / 48_000.0, 1);
    for log2 in 1..=4 {
        let mut os = Oversampler::new(4);
        os.prepare(512, 2);
        os.set_factor_log2(log2);
        let mut hi = vec![0.0f32; 512 << log2];
        let mut block = input.clone();
        g.bench_function(format!("{}x_round_trip", 1 << log2), |b| {
            b.iter(|| {
                for (ch, data) in block.iter_mut().enumerate() {
                    os.upsample(ch, &input[ch], &mut hi);
                    os.downsample(ch, &hi, data);
                }
                black_box(&block);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

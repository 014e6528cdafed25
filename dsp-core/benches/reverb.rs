//! Reverb cost per 512-sample stereo block at 48 kHz: with signal, with a long silent tail that
//! has decayed to exact zero (must not cost more: no denormal stalls), and while a size glide
//! recomputes the absorption filters on every grid step.
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use dsp_core::reverb::{Mode, Reverb};
use dsp_core::signal;

const FS: f64 = 48_000.0;
const BLOCK: usize = 512;

fn prepared(mode: Mode) -> Reverb {
    let mut r = Reverb::new();
    r.set_mode(mode);
    r.prepare(FS, BLOCK);
    r
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("reverb");
    g.throughput(Throughput::Elements(BLOCK as u64));
    let input = signal::music_like(FS, 1.0, 1);

    // `signal_baseline`: the Hall on the SSE2 path every CPU without AVX2 runs.
    for (name, mode, baseline) in [
        ("signal", Mode::Hall, false),
        ("signal_room", Mode::Room, false),
        ("signal_plate", Mode::Plate, false),
        ("signal_baseline", Mode::Hall, true),
    ] {
        dsp_core::simd::force_baseline(baseline);
        let mut r = prepared(mode);
        let (mut l, mut rr) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
        let mut pos = 0;
        g.bench_function(name, |b| {
            b.iter(|| {
                l.copy_from_slice(&input[0][pos..pos + BLOCK]);
                rr.copy_from_slice(&input[1][pos..pos + BLOCK]);
                pos = (pos + BLOCK) % (input[0].len() - BLOCK);
                r.process(&mut [&mut l, &mut rr]);
                black_box(&l);
            })
        });
        dsp_core::simd::force_baseline(false);
    }

    // A tail decayed all the way to exact zero, then more silence.
    let mut r = prepared(Mode::Hall);
    r.set_decay_s(0.5);
    let (mut l, mut rr) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    l.copy_from_slice(&input[0][..BLOCK]);
    rr.copy_from_slice(&input[1][..BLOCK]);
    r.process(&mut [&mut l, &mut rr]);
    while !r.is_idle() {
        l.fill(0.0);
        rr.fill(0.0);
        r.process(&mut [&mut l, &mut rr]);
    }
    g.bench_function("tail_silence", |b| {
        b.iter(|| {
            l.fill(0.0);
            rr.fill(0.0);
            r.process(&mut [&mut l, &mut rr]);
            black_box(&l);
        })
    });

    // Size sweeping back and forth: absorption filters recomputed every 32 samples.
    let mut r = prepared(Mode::Hall);
    let mut pos = 0;
    let mut k = 0u32;
    g.bench_function("size_glide", |b| {
        b.iter(|| {
            k += 1;
            if k.is_multiple_of(8) {
                r.set_size(if (k / 8).is_multiple_of(2) { 0.2 } else { 0.8 });
            }
            l.copy_from_slice(&input[0][pos..pos + BLOCK]);
            rr.copy_from_slice(&input[1][pos..pos + BLOCK]);
            pos = (pos + BLOCK) % (input[0].len() - BLOCK);
            r.process(&mut [&mut l, &mut rr]);
            black_box(&l);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Imager, dither and saturation cost: one 512-sample stereo block at 48 kHz per iteration (the
//! block is refilled from the same music-like input each time; the copy is part of the figure).
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use dsp_core::dither::{Dither, NoiseShape};
use dsp_core::imager::Imager;
use dsp_core::saturation::Saturation;
use dsp_core::signal;

const FS: f64 = 48_000.0;

fn input() -> [Vec<f32>; 2] {
    signal::music_like(FS, 512.0 / FS, 1)
}

fn run<P>(
    c: &mut Criterion,
    group: &str,
    id: &str,
    mut p: P,
    process: impl Fn(&mut P, &mut [&mut [f32]]),
) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(512));
    let src = input();
    let mut block = src.clone();
    g.bench_function(format!("{group}/{id}"), |b| {
        b.iter(|| {
            block[0].copy_from_slice(&src[0]);
            block[1].copy_from_slice(&src[1]);
            let [l, r] = &mut block;
            process(&mut p, &mut [l.as_mut_slice(), r.as_mut_slice()]);
            black_box(&block);
        })
    });
    g.finish();
}

fn imager(width: f64, mono_bass: bool) -> Imager {
    let mut im = Imager::new();
    im.prepare(FS, 512);
    im.set_width_percent(width);
    im.set_mono_bass_on(mono_bass);
    im.set_mono_bass_freq(120.0);
    im.set_pan(20.0);
    im.reset();
    im
}

fn dither(shape: NoiseShape) -> Dither {
    let mut d = Dither::new();
    d.prepare(FS, 512);
    d.set_bits(16);
    d.set_noise_shape(shape);
    d.reset();
    d
}

fn saturation(drive: f64) -> Saturation {
    let mut s = Saturation::new();
    s.prepare(FS, 512);
    s.set_drive_percent(drive);
    s.reset();
    s
}

fn bench(c: &mut Criterion) {
    run(
        c,
        "imager",
        "width_150_pan",
        imager(150.0, false),
        |p, ch| p.process(ch),
    );
    run(
        c,
        "imager",
        "width_150_mono_bass",
        imager(150.0, true),
        |p, ch| p.process(ch),
    );
    run(
        c,
        "dither",
        "tpdf_flat_16",
        dither(NoiseShape::Flat),
        |p, ch| p.process(ch),
    );
    run(
        c,
        "dither",
        "light_16",
        dither(NoiseShape::Light),
        |p, ch| p.process(ch),
    );
    run(
        c,
        "dither",
        "strong_16",
        dither(NoiseShape::Strong),
        |p, ch| p.process(ch),
    );
    run(c, "saturation", "drive_50_4x", saturation(50.0), |p, ch| {
        p.process(ch)
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

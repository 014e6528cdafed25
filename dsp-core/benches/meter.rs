//! Meter throughput: one 512-sample stereo block at 48 kHz per iteration.
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use dsp_core::filter::BiquadState;
use dsp_core::limiter::Limiter;
use dsp_core::meter::loudness::k_weighting;
use dsp_core::meter::{LevelMeter, LoudnessMeter, TruePeakMeter};
use dsp_core::signal;

const BLOCK: usize = 512;
const FS: f64 = 48_000.0;

fn input() -> [Vec<f32>; 2] {
    signal::music_like(FS, BLOCK as f64 / FS, 1)
}

fn loudness(c: &mut Criterion) {
    let x = input();
    let mut g = c.benchmark_group("loudness_meter");
    g.throughput(Throughput::Elements(BLOCK as u64));
    let meter = || {
        let mut m = LoudnessMeter::new();
        m.prepare(FS, BLOCK, 2);
        m
    };
    let mut m = meter();
    g.bench_function("loudness_meter/stereo", |b| {
        b.iter(|| {
            m.process(&[black_box(&x[0][..]), black_box(&x[1][..])]);
            black_box(m.momentary_lufs())
        })
    });
    // A plugin's input and output meters (the Maximizer's): one after the other, then as one
    // four-lane pass. Throughput counts stereo samples, so these are two meters' cost each.
    let (mut i, mut o) = (meter(), meter());
    g.bench_function("loudness_meter/input_and_output_separate", |b| {
        b.iter(|| {
            i.process(&[black_box(&x[0][..]), black_box(&x[1][..])]);
            o.process(&[black_box(&x[1][..]), black_box(&x[0][..])]);
            black_box(i.momentary_lufs() + o.momentary_lufs())
        })
    });
    g.bench_function("loudness_meter/input_and_output_joint", |b| {
        b.iter(|| {
            LoudnessMeter::process_pair(
                &mut i,
                &[black_box(&x[0][..]), black_box(&x[1][..])],
                &mut o,
                &[black_box(&x[1][..]), black_box(&x[0][..])],
            );
            black_box(i.momentary_lufs() + o.momentary_lufs())
        })
    });
    // The K-weighting and squaring alone in transposed direct form II, as the meter ran it
    // before its state-space lanes: the reference the recursion's speed-up is measured against.
    let k = k_weighting(FS);
    let mut st = [[BiquadState::default(); 2]; 2];
    g.bench_function("loudness_meter/reference_tdf2_k_weighting", |b| {
        b.iter(|| {
            let mut acc = [0.0f64; 2];
            let [[l0, l1], [r0, r1]] = &mut st;
            for (&xl, &xr) in black_box(&x[0]).iter().zip(black_box(&x[1])) {
                let yl = l1.tick(&k[1], l0.tick(&k[0], xl as f64));
                let yr = r1.tick(&k[1], r0.tick(&k[0], xr as f64));
                acc[0] += yl * yl;
                acc[1] += yr * yr;
            }
            black_box(acc)
        })
    });
    g.bench_function("loudness_meter/integrated_and_lra_readout", |b| {
        b.iter(|| black_box(m.integrated_lufs() + m.loudness_range_lu()))
    });
    g.finish();
}

fn true_peak(c: &mut Criterion) {
    let x = input();
    let mut g = c.benchmark_group("true_peak_meter");
    g.throughput(Throughput::Elements(BLOCK as u64));
    for factor in [4, 8, 16] {
        let mut m = TruePeakMeter::new(factor);
        m.prepare(FS, BLOCK, 2);
        g.bench_function(format!("true_peak_meter/{factor}x"), |b| {
            // The held maximum is cleared first: the block repeats, and once its peak is held
            // the meter skips nearly all of it, which programme material does not allow.
            b.iter(|| {
                m.reset_max();
                m.process(&[black_box(&x[0][..]), black_box(&x[1][..])]);
                black_box(m.true_peak_dbtp())
            })
        });
    }
    // The Maximizer's case: its own output (every peak near the ceiling) streamed through a meter
    // that holds the programme's peak, where the skip bounds decide which groups are computed.
    let limited = limited_programme();
    let mut m = TruePeakMeter::new(4);
    m.prepare(FS, BLOCK, 2);
    let mut at = 0;
    g.bench_function("true_peak_meter/4x_limited_programme", |b| {
        b.iter(|| {
            m.process(&[
                black_box(&limited[0][at..at + BLOCK]),
                black_box(&limited[1][at..at + BLOCK]),
            ]);
            at = (at + BLOCK) % limited[0].len();
            black_box(m.true_peak_dbtp())
        })
    });
    g.finish();
}

/// Two seconds of `music_like` through the Maximizer's limiter as the host bench drives it
/// (+6 dB into a -1 dB ceiling, true peak), a whole number of blocks.
fn limited_programme() -> [Vec<f32>; 2] {
    let mut x = signal::music_like(FS, 2.0, 1);
    let mut l = Limiter::new();
    l.set_drive_db(6.0);
    l.set_ceiling_db(-1.0);
    l.prepare(FS, BLOCK);
    for c in &mut x {
        c.truncate(c.len() / BLOCK * BLOCK);
    }
    let [a, b] = &mut x;
    for (a, b) in a.chunks_mut(BLOCK).zip(b.chunks_mut(BLOCK)) {
        l.process(&mut [a, b]);
    }
    x
}

fn level(c: &mut Criterion) {
    let x = input();
    let mut g = c.benchmark_group("level_meter");
    g.throughput(Throughput::Elements(BLOCK as u64));
    let mut m = LevelMeter::new();
    m.prepare(FS, BLOCK, 2);
    g.bench_function("level_meter/peak_rms_hold", |b| {
        b.iter(|| {
            m.process(&[black_box(&x[0][..]), black_box(&x[1][..])]);
            black_box(m.rms_dbfs(0))
        })
    });
    g.finish();
}

criterion_group!(benches, loudness, true_peak, level);
criterion_main!(benches);

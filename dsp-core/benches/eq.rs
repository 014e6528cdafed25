//! EQ benchmarks: one 512-sample stereo block at 48 kHz per iteration; the correction fit's
//! steps and the 64-sample block in which a settling band does its costliest step.
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use dsp_core::eq::design::{design, design_matched, matched_sections, Designer};
use dsp_core::eq::linear_phase::LinearPhaseEq;
use dsp_core::eq::{BandParams, EqBand, Equalizer, FilterType, Placement, Slope};
use dsp_core::filter::BiquadState;
use dsp_core::signal;
use std::hint::black_box;
use std::time::Instant;

const FS: f64 = 48_000.0;
const BLOCK: usize = 512;

fn bench_eq(c: &mut Criterion) {
    let [l, r] = signal::music_like(FS, 0.1, 1);
    let (l, r) = (l[..BLOCK].to_vec(), r[..BLOCK].to_vec());
    let mut g = c.benchmark_group("eq");
    g.throughput(Throughput::Elements(BLOCK as u64));
    let mut one = |name: &str, mut eq: Equalizer, sweep: bool| {
        eq.prepare(FS, BLOCK);
        let (mut a, mut b) = (l.clone(), r.clone());
        let mut f = 100.0;
        g.bench_function(name, |bench| {
            bench.iter(|| {
                if sweep {
                    f = if f > 10_000.0 { 100.0 } else { f * 1.1 };
                    eq.set_freq(0, f);
                }
                a.copy_from_slice(&l);
                b.copy_from_slice(&r);
                eq.process(&mut [&mut a, &mut b]);
                black_box(&a);
            })
        });
    };
    let bell = BandParams::new(FilterType::Bell, 1000.0, 6.0, 1.0);
    one("eq_band/bell", Equalizer::with_bands(&[bell]), false);
    // The same without FMA (a multiply, then an add), as every CPU without FMA runs it.
    dsp_core::simd::force_baseline(true);
    one(
        "eq_band/bell_baseline",
        Equalizer::with_bands(&[bell]),
        false,
    );
    dsp_core::simd::force_baseline(false);
    one(
        "eq_band/bell_mid",
        Equalizer::with_bands(&[bell.with_placement(Placement::Mid)]),
        false,
    );
    one(
        "eq_band/low_cut_48",
        Equalizer::with_bands(&[BandParams::new(
            FilterType::LowCut,
            80.0,
            0.0,
            std::f64::consts::FRAC_1_SQRT_2,
        )
        .with_slope(Slope::Db48)]),
        false,
    );
    one(
        "eq_band/bell_sweeping",
        Equalizer::with_bands(&[bell]),
        true,
    );
    let mut strip = Equalizer::channel_strip();
    strip.set_enabled(0, true);
    strip.set_enabled(1, true);
    strip.reset();
    one("equalizer/channel_strip_6_bands", strip, false);
    // The yardstick for the band's figure in the same run: one plain transposed-direct-form-II
    // biquad per channel (`filter::BiquadState`, the textbook loop) with the bell's
    // coefficients.
    let coeffs = bell.design(FS).coeffs[0];
    let mut states = [BiquadState::default(); 2];
    let (mut a, mut b) = (l.clone(), r.clone());
    g.bench_function("reference/tdf2_biquad_per_channel", |bench| {
        bench.iter(|| {
            a.copy_from_slice(&l);
            b.copy_from_slice(&r);
            for (ch, st) in [&mut a, &mut b].into_iter().zip(&mut states) {
                for x in ch.iter_mut() {
                    *x = st.tick(&coeffs, *x as f64) as f32;
                }
            }
            black_box(&a);
        })
    });
    let mut lp = LinearPhaseEq::from_equalizer(Equalizer::with_bands(&[bell, bell]));
    lp.prepare(FS, BLOCK);
    let (mut a, mut b) = (l.clone(), r.clone());
    g.bench_function("linear_phase_eq/stereo_16384", |bench| {
        bench.iter(|| {
            a.copy_from_slice(&l);
            b.copy_from_slice(&r);
            lp.process(&mut [&mut a, &mut b]);
            black_box(&a);
        })
    });
    g.finish();
}

/// The hardest case of the correction fit in `tests/eq.rs` (`correction_fit_runs_in_bounded_steps`
/// prints it): a Q 0.1 notch at 21 kHz, the most steps at 48 kHz.
const HARD: (FilterType, f64, f64, f64) = (FilterType::Notch, 21_000.0, 0.0, 0.1);

/// Index of the slowest of `n` operations, each timed (best of 5) on a fresh clone of the state
/// it starts from (`states[i]`); setup only, the figures come from criterion.
fn slowest<T: Clone>(states: &[T], mut op: impl FnMut(&mut T)) -> usize {
    let time = |s: &T, op: &mut dyn FnMut(&mut T)| {
        (0..5)
            .map(|_| {
                let mut c = s.clone();
                let t = Instant::now();
                op(&mut c);
                t.elapsed()
            })
            .min()
            .unwrap_or_default()
    };
    (0..states.len())
        .max_by_key(|&i| time(&states[i], &mut op))
        .unwrap_or(0)
}

fn bench_design(c: &mut Criterion) {
    let (kind, f0, gain, q) = HARD;
    let mut g = c.benchmark_group("eq_design");
    // The old behaviour: the whole fit at once, when the glide settles.
    g.bench_function("full_design_hard", |b| {
        b.iter(|| black_box(design(kind, Slope::Db12, f0, gain, q, FS)))
    });
    let mut d = Designer::new(FS);
    d.start(kind, Slope::Db12, f0, gain, q);
    let mut states = Vec::new();
    while d.is_running() {
        states.push(d.clone());
        d.step();
    }
    println!("hard case: {} steps", states.len());
    let worst = slowest(&states, |d| {
        d.step();
    });
    g.bench_function("worst_step_hard", |b| {
        b.iter_batched_ref(
            || states[worst].clone(),
            |d| black_box(d.step()),
            BatchSize::SmallInput,
        )
    });
    // A 64-sample stereo block of a band that has just settled on the hard case: before, the
    // block ran the full fit (emulated: the same block plus `design`); now it runs at most two
    // steps (one per 32 samples), and the bench takes the costliest block of the whole glide
    // and fit. For scale: a block of the glide alone (the matched sections redesigned per
    // sample), and one of the settled band.
    let [l, r] = signal::music_like(FS, 1.0, 2);
    const B: usize = 64;
    let mut band = EqBand::new(BandParams::new(kind, 2000.0, 6.0, 1.0));
    band.prepare(FS);
    band.set_params(BandParams::new(kind, f0, gain, q));
    let mut blocks = Vec::new();
    for (a, b) in l.chunks_exact(B).zip(r.chunks_exact(B)) {
        blocks.push(band.clone());
        let (mut a, mut b) = (a.to_vec(), b.to_vec());
        band.process(&mut [&mut a, &mut b]);
    }
    let (mut a, mut b) = (l[..B].to_vec(), r[..B].to_vec());
    let worst = slowest(&blocks, |band| {
        band.process(&mut [&mut a, &mut b]);
    });
    let settled = blocks.last().expect("blocks").clone();
    g.bench_function("block64_before_full_fit", |bench| {
        bench.iter_batched_ref(
            || settled.clone(),
            |band| {
                black_box(design(kind, Slope::Db12, f0, gain, q, FS));
                band.process(&mut [&mut a, &mut b]);
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("block64_after_worst_step", |bench| {
        bench.iter_batched_ref(
            || blocks[worst].clone(),
            |band| band.process(&mut [&mut a, &mut b]),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("block64_gliding", |bench| {
        bench.iter_batched_ref(
            || blocks[1].clone(),
            |band| band.process(&mut [&mut a, &mut b]),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("block64_settled", |bench| {
        bench.iter_batched_ref(
            || settled.clone(),
            |band| band.process(&mut [&mut a, &mut b]),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// Linear-phase kernel updates: the costliest 64-sample stereo block from a change to a hard band
/// ([`HARD`], joining three others) until the new kernel is live, against a block of the settled
/// EQ that also crosses a partition boundary (the steady cost's peak).
fn bench_linear_phase_update(c: &mut Criterion) {
    const B: usize = 64;
    let (kind, f0, gain, q) = HARD;
    let bands = [
        BandParams::new(FilterType::Bell, 20.0, 12.0, 1.0),
        BandParams::new(FilterType::Bell, 1000.0, -6.0, 4.0),
        BandParams::new(FilterType::HighShelf, 10_000.0, 6.0, 0.7),
        BandParams::new(FilterType::Bell, 18_000.0, -9.0, 2.0),
    ];
    let mut lp = LinearPhaseEq::from_equalizer(Equalizer::with_bands(&bands));
    lp.prepare(FS, B);
    let [l, r] = signal::music_like(FS, 0.7, 3);
    let (mut a, mut b) = (vec![0.0f32; B], vec![0.0f32; B]);
    let mut run = |lp: &mut LinearPhaseEq, k: usize| {
        a.copy_from_slice(&l[k * B..(k + 1) * B]);
        b.copy_from_slice(&r[k * B..(k + 1) * B]);
        lp.process(&mut [&mut a, &mut b]);
    };
    // Two partitions of steady signal, then the change; 0.6 s of blocks after it (the update's
    // whole span), each timed as the best of 3 runs on a clone.
    for k in 0..31 {
        run(&mut lp, k);
    }
    // Block 31 ends on a partition boundary.
    let steady = lp.clone();
    run(&mut lp, 31);
    lp.set_band(3, BandParams::new(kind, f0, gain, q));
    let (mut worst, mut worst_t, mut worst_k) = (lp.clone(), std::time::Duration::ZERO, 0);
    for k in 32..(0.6 * FS) as usize / B {
        let t = (0..3)
            .map(|_| {
                let mut c = lp.clone();
                let t = Instant::now();
                run(&mut c, k);
                t.elapsed()
            })
            .min()
            .unwrap_or_default();
        if t > worst_t {
            (worst, worst_t, worst_k) = (lp.clone(), t, k);
        }
        let updating = lp.is_updating();
        run(&mut lp, k);
        if updating && !lp.is_updating() {
            println!(
                "linear-phase update live {:.1} ms after the change",
                ((k + 1 - 32) * B) as f64 / FS * 1e3
            );
        }
    }
    println!(
        "costliest block {:.1} ms after the change{}",
        ((worst_k - 32) * B) as f64 / FS * 1e3,
        if ((worst_k + 1) * B).is_multiple_of(lp.latency_samples() - lp.kernel_len() / 2) {
            " (ends on a partition boundary)"
        } else {
            ""
        }
    );
    let mut g = c.benchmark_group("eq_linear_phase");
    let (mut a, mut b) = (l[..B].to_vec(), r[..B].to_vec());
    g.bench_function("block64_worst_during_update", |bench| {
        bench.iter_batched_ref(
            || worst.clone(),
            |lp| lp.process(&mut [&mut a, &mut b]),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("block64_partition_boundary_settled", |bench| {
        bench.iter_batched_ref(
            || steady.clone(),
            |lp| lp.process(&mut [&mut a, &mut b]),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// The glide path's per-sample redesign with its correction section (`design_matched`) against
/// the matched sections alone, for a shelf near Nyquist.
fn bench_glide_design(c: &mut Criterion) {
    let mut g = c.benchmark_group("eq_glide_design");
    let args = (FilterType::HighShelf, Slope::Db12, 12_000.0, 9.0, 3.0, FS);
    g.bench_function("matched_sections", |b| {
        b.iter(|| {
            let (k, s, f, gain, q, fs) = black_box(args);
            black_box(matched_sections(k, s, f, gain, q, fs))
        })
    });
    g.bench_function("with_correction", |b| {
        b.iter(|| {
            let (k, s, f, gain, q, fs) = black_box(args);
            black_box(design_matched(k, s, f, gain, q, fs))
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    bench_eq,
    bench_design,
    bench_linear_phase_update,
    bench_glide_design
);
criterion_main!(benches);

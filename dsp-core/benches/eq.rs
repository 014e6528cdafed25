//! EQ benchmarks: one 512-sample stereo block at 48 kHz per iteration.
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dsp_core::eq::linear_phase::LinearPhaseEq;
use dsp_core::eq::{BandParams, Equalizer, FilterType, Placement, Slope};
use dsp_core::filter::BiquadState;
use dsp_core::signal;
use std::hint::black_box;

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

criterion_group!(benches, bench_eq);
criterion_main!(benches);

//! The Maximizer's DSP as its plugin runs it, for instruction counts and profiles: the
//! `MasteringChain` at the plugin's defaults (true peak on, -1 dB ceiling, 2 ms lookahead, auto
//! release), then the input and output loudness meters in one joint pass and the 4x true-peak
//! meter on the output, over 10 s of `signal::music_like` 6 dB hotter (the host bench's
//! `LIMITER_DRIVE_DB`) in 512-sample blocks. The correlation meter stays off, as in the plugin
//! while its editor is closed.
//!
//! `cargo run --release -p dsp-core --example maximizer_chain -- [reps] [stages]`: `stages` picks
//! the chain (`c`), the loudness pass (`l`) and the true-peak meter (`t`), default `clt`. It
//! prints the CPU time per stereo sample, a hash of the chain's output (equal hashes: the same
//! output to the bit) and the meters' readings. The README's instruction counts are
//! `valgrind --tool=callgrind --toggle-collect='dsp_core::limiter::Limiter::process'
//! --toggle-collect='dsp_core::meter::loudness::LoudnessMeter::process_pair'
//! --toggle-collect='dsp_core::meter::true_peak::TruePeakMeter::process'` of `-- 1 clt`,
//! inclusive, divided by the 479,744 stereo samples it processes.

use dsp_core::mastering::{MasteringChain, MasteringSettings};
use dsp_core::meter::loudness::LoudnessMeter;
use dsp_core::meter::true_peak::TruePeakMeter;
use std::hint::black_box;
use std::time::Instant;

const BLOCK: usize = 512;
const RATE: f64 = 48_000.0;
const DRIVE_DB: f32 = 6.0;

struct Meters {
    input: LoudnessMeter,
    output: LoudnessMeter,
    true_peak: TruePeakMeter,
}

/// Runs `reps` passes of `input` through the selected stages and returns the output's hash.
#[inline(never)]
fn run(
    chain: &mut MasteringChain,
    meters: &mut Meters,
    input: &[Vec<f32>],
    reps: usize,
    stages: &str,
) -> u64 {
    let mut block = [vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]];
    let mut hash = 0u64;
    for _ in 0..reps {
        for at in (0..input[0].len() - BLOCK).step_by(BLOCK) {
            let dry = [&input[0][at..at + BLOCK], &input[1][at..at + BLOCK]];
            block[0].copy_from_slice(dry[0]);
            block[1].copy_from_slice(dry[1]);
            let [l, r] = &mut block;
            if stages.contains('c') {
                chain.process(&mut [&mut l[..], &mut r[..]]);
            }
            let wet = [&l[..], &r[..]];
            if stages.contains('l') {
                LoudnessMeter::process_pair(&mut meters.input, &dry, &mut meters.output, &wet);
            }
            if stages.contains('t') {
                meters.true_peak.process(&wet);
            }
            for v in l.iter().chain(r.iter()) {
                hash = hash.wrapping_mul(31).wrapping_add(v.to_bits() as u64);
            }
        }
    }
    hash
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let reps = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(1);
    let stages = args.get(2).map_or("clt", |s| s.as_str());
    let mut input = dsp_core::signal::music_like(RATE, 10.0, 1);
    let drive = 10f32.powf(DRIVE_DB / 20.0);
    for v in input.iter_mut().flatten() {
        *v *= drive;
    }
    let mut chain = MasteringChain::new();
    chain.prepare(RATE, BLOCK, 2);
    chain.apply(&MasteringSettings::default());
    chain.set_correlation_metering(false);
    let mut meters = Meters {
        input: LoudnessMeter::new(),
        output: LoudnessMeter::new(),
        true_peak: TruePeakMeter::new(4),
    };
    meters.input.prepare(RATE, BLOCK, 2);
    meters.output.prepare(RATE, BLOCK, 2);
    meters.true_peak.prepare(RATE, BLOCK, 2);
    let t = Instant::now();
    let hash = run(&mut chain, &mut meters, &input, reps, stages);
    let samples = reps * (input[0].len() - BLOCK).div_ceil(BLOCK) * BLOCK;
    println!(
        "hash {hash:x}  {:.2} ns per stereo sample  output {:.3} LUFS, {:.3} dBTP",
        t.elapsed().as_secs_f64() * 1e9 / samples as f64,
        meters.output.integrated_lufs(),
        meters.true_peak.true_peak_dbtp()
    );
    black_box(hash);
}

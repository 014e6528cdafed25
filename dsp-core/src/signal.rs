//! Deterministic test and measurement signals. The tests, the benchmarks, the host tests and the
//! offline renderer's examples all use these, so a figure measured in one place can be reproduced
//! in another from the same seed.

use std::f64::consts::{PI, TAU};

/// A small, fast, seedable generator (SplitMix64): good enough statistics for audio noise and
/// random test partitions, and identical on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [-1, 1).
    pub fn bipolar(&mut self) -> f64 {
        2.0 * self.uniform() - 1.0
    }

    /// Uniform integer in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }
}

/// `amplitude * sin(2 pi f n / fs + phase)`.
pub fn sine(freq: f64, sample_rate: f64, len: usize, amplitude: f64, phase: f64) -> Vec<f32> {
    (0..len)
        .map(|n| (amplitude * (TAU * freq * n as f64 / sample_rate + phase).sin()) as f32)
        .collect()
}

/// A naive (not band-limited) square wave at `amplitude`: its samples sit at +-amplitude but its
/// band-limited reconstruction overshoots (Gibbs), the classic inter-sample-peak torture test.
pub fn square(freq: f64, sample_rate: f64, len: usize, amplitude: f64) -> Vec<f32> {
    (0..len)
        .map(|n| {
            let ph = (freq * n as f64 / sample_rate).fract();
            (if ph < 0.5 { amplitude } else { -amplitude }) as f32
        })
        .collect()
}

/// White noise, uniform in +-amplitude.
pub fn white_noise(len: usize, amplitude: f64, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..len)
        .map(|_| (amplitude * rng.bipolar()) as f32)
        .collect()
}

/// Pink-ish noise (Paul Kellet's economy filter on white noise), normalised to unit-ish RMS.
pub fn pink_noise(len: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let (mut b0, mut b1, mut b2) = (0.0, 0.0, 0.0);
    (0..len)
        .map(|_| {
            let w = rng.bipolar();
            b0 = 0.99765 * b0 + w * 0.0990460;
            b1 = 0.96300 * b1 + w * 0.2965164;
            b2 = 0.57000 * b2 + w * 1.0526913;
            (b0 + b1 + b2 + w * 0.1848) * 0.25
        })
        .collect()
}

/// Stereo music-like programme: kick, snare and hats on a 120 BPM grid, a bass line, sustained
/// chords and a pink-noise bed, panned across the field, with a crest factor and spectrum close to
/// a mixed pop song, normalised to peaks at -3 dBFS.
pub fn music_like(sample_rate: f64, seconds: f64, seed: u64) -> [Vec<f32>; 2] {
    band(sample_rate, seconds, seed, true)
}

/// Drums hard-clipped at full scale: flat-topped peaks whose reconstruction overshoots 0 dBFS,
/// the material that defeats sample-peak limiters.
pub fn clipped_drums(sample_rate: f64, seconds: f64, seed: u64) -> [Vec<f32>; 2] {
    band(sample_rate, seconds, seed, false)
        .map(|ch| ch.into_iter().map(|x| (x * 6.0).clamp(-1.0, 1.0)).collect())
}

fn band(sample_rate: f64, seconds: f64, seed: u64, tonal: bool) -> [Vec<f32>; 2] {
    let tonal = if tonal { 1.0 } else { 0.0 };
    let len = (sample_rate * seconds).round() as usize;
    let mut rng = Rng::new(seed);
    let bed = pink_noise(len, seed ^ 0x5EED);
    let beat = (sample_rate * 0.5) as usize; // 120 BPM
    let bass_notes = [41.2, 41.2, 55.0, 49.0]; // E1 E1 A1 G1
    let chords: [[f64; 3]; 4] = [
        [329.6, 415.3, 493.9],
        [329.6, 415.3, 493.9],
        [440.0, 554.4, 659.3],
        [392.0, 493.9, 587.3],
    ];
    let (mut l, mut r) = (vec![0f32; len], vec![0f32; len]);
    let mut hat_state = 0.0f64;
    let mut snare_noise = 0.0f64;
    let mut bass_phase = 0.0f64;
    let mut chord_phase = [0.0f64; 3];
    for n in 0..len {
        let t = n as f64 / sample_rate;
        let in_beat = n % beat;
        let beat_idx = n / beat;
        let bar = (beat_idx / 4) % 4;
        let tb = in_beat as f64 / sample_rate;
        // Kick on every beat: a pitch-dropping sine with a fast decay.
        let kick_f = 50.0 + 120.0 * (-tb * 30.0).exp();
        let kick = 0.55 * (TAU * kick_f * tb).sin() * (-tb * 9.0).exp();
        // Snare on beats 2 and 4: a tone plus a noise burst.
        let white = rng.bipolar();
        snare_noise = 0.6 * snare_noise + 0.4 * white;
        let snare = if beat_idx % 2 == 1 {
            (0.25 * (TAU * 190.0 * tb).sin() + 0.35 * snare_noise) * (-tb * 18.0).exp()
        } else {
            0.0
        };
        // Hats on eighth notes: high-passed noise.
        let half = beat / 2;
        let th = (n % half) as f64 / sample_rate;
        let hp = white - hat_state;
        hat_state = white;
        let hat = 0.12 * hp * (-th * 60.0).exp();
        // Bass: a soft-clipped saw-ish tone following the bar.
        bass_phase = (bass_phase + bass_notes[bar] / sample_rate).fract();
        let saw = 2.0 * bass_phase - 1.0;
        let bass = 0.28 * (1.6 * saw).tanh() * (0.6 + 0.4 * (-tb * 4.0).exp());
        // Chords: three detuned partial stacks with a slow swell.
        let mut chord = 0.0;
        for (k, ph) in chord_phase.iter_mut().enumerate() {
            *ph = (*ph + chords[bar][k] * (1.0 + 0.002 * k as f64) / sample_rate).fract();
            chord += (TAU * *ph).sin() + 0.3 * (2.0 * TAU * *ph).sin();
        }
        let swell = 0.5 - 0.5 * (PI * t / 2.0).cos();
        let chord = 0.05 * chord * (0.4 + 0.6 * swell);
        let noise = 0.02 * bed[n];
        let (bass, chord, noise) = (tonal * bass, tonal * chord, tonal * noise);
        let centre = kick + snare + bass;
        l[n] = (centre + 0.8 * hat + 1.2 * chord + noise) as f32;
        r[n] = (centre + 1.2 * hat + 0.8 * chord - noise) as f32;
    }
    // Peaks at -3 dBFS, as a mixed (not yet mastered) song.
    let peak = l.iter().chain(&r).fold(0f32, |m, v| m.max(v.abs()));
    let scale = 0.707_946 / peak.max(1e-9);
    for v in l.iter_mut().chain(r.iter_mut()) {
        *v *= scale;
    }
    [l, r]
}

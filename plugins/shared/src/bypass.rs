//! The host's bypass with a click-free crossfade. The dry signal is delayed by the plugin's
//! latency so that a bypassed plugin still delays by what it reports (hosts compensate the
//! reported latency whether or not the plugin is bypassed). The DSP keeps running while bypassed
//! so un-bypassing blends two continuous signals instead of waking up stale filters.

/// Crossfade length: long enough to be click-free on a full-scale low tone, short enough to feel
/// instant.
const FADE_MS: f64 = 10.0;

#[derive(Default)]
pub struct Bypass {
    /// Per channel: a ring of past input samples, `capacity` long.
    rings: Vec<Vec<f32>>,
    /// Per channel: the delayed dry signal of the current block.
    dry: Vec<Vec<f32>>,
    write: usize,
    delay: usize,
    /// 0 = processed, 1 = bypassed.
    mix: f32,
    target: f32,
    step: f32,
}

impl Bypass {
    /// `max_latency` is the largest latency the plugin can report at this sample rate.
    pub fn prepare(
        &mut self,
        sample_rate: f64,
        max_block: usize,
        channels: usize,
        max_latency: usize,
    ) {
        self.rings = vec![vec![0.0; max_latency + 1]; channels];
        self.dry = vec![vec![0.0; max_block]; channels];
        self.step = (1.0 / (sample_rate * FADE_MS * 1e-3)) as f32;
        self.write = 0;
        self.delay = self.delay.min(max_latency);
    }

    pub fn reset(&mut self) {
        for r in &mut self.rings {
            r.fill(0.0);
        }
        self.mix = self.target;
    }

    /// Cheap: the ring was sized for the largest latency in `prepare`.
    pub fn set_latency(&mut self, samples: usize) {
        self.delay = samples.min(self.rings.first().map_or(0, |r| r.len() - 1));
    }

    pub fn set_bypassed(&mut self, bypassed: bool) {
        self.target = if bypassed { 1.0 } else { 0.0 };
    }

    /// Jumps to the target without a fade (after `reset`, or on the first block).
    pub fn settle(&mut self) {
        self.mix = self.target;
    }

    /// Stores the block's input before the DSP overwrites it. Blocks are at most `max_block`.
    /// While fully active (no bypass, no fade) only the ring is kept, and only its last
    /// `capacity` samples are written: the same ring, without the per-sample copy.
    pub fn capture(&mut self, channels: &[&mut [f32]]) {
        let len = channels.first().map_or(0, |c| c.len());
        let start = self.write;
        if self.mix == 0.0 && self.target == 0.0 {
            for (ring, input) in self.rings.iter_mut().zip(channels.iter()) {
                let cap = ring.len();
                let keep = len.min(cap);
                // At most two runs: up to the ring's end, then from its start.
                let w = (start + len - keep) % cap;
                let (head, tail) = input[len - keep..len].split_at(keep.min(cap - w));
                ring[w..w + head.len()].copy_from_slice(head);
                ring[..tail.len()].copy_from_slice(tail);
            }
            if let Some(ring) = self.rings.first() {
                self.write = (start + len) % ring.len();
            }
            return;
        }
        for ((ring, dry), input) in self
            .rings
            .iter_mut()
            .zip(&mut self.dry)
            .zip(channels.iter())
        {
            let cap = ring.len();
            let mut w = start;
            for (d, &x) in dry[..len].iter_mut().zip(input.iter()) {
                ring[w] = x;
                let r = if w >= self.delay {
                    w - self.delay
                } else {
                    w + cap - self.delay
                };
                *d = ring[r];
                w = if w + 1 == cap { 0 } else { w + 1 };
            }
        }
        if let Some(ring) = self.rings.first() {
            self.write = (start + len) % ring.len();
        }
    }

    /// Blends the processed block with the captured dry signal. A no-op when fully active.
    pub fn apply(&mut self, channels: &mut [&mut [f32]]) {
        let len = channels.first().map_or(0, |c| c.len());
        if self.mix == 0.0 && self.target == 0.0 {
            return;
        }
        let start_mix = self.mix;
        for (out, dry) in channels.iter_mut().zip(&self.dry) {
            let mut m = start_mix;
            for (y, &d) in out[..len].iter_mut().zip(&dry[..len]) {
                m = if m < self.target {
                    (m + self.step).min(self.target)
                } else {
                    (m - self.step).max(self.target)
                };
                *y = *y * (1.0 - m) + d * m;
            }
            self.mix = m;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bypassed_output_is_the_input_delayed_by_the_latency_and_the_fade_is_smooth() {
        let mut b = Bypass::default();
        b.prepare(48_000.0, 64, 1, 100);
        b.set_latency(5);
        b.set_bypassed(true);
        b.settle();
        let input: Vec<f32> = (0..64).map(|i| i as f32).collect();
        let mut block = input.clone();
        b.capture(&[&mut block[..]]);
        block.fill(-1.0); // whatever the DSP produced
        b.apply(&mut [&mut block[..]]);
        assert_eq!(&block[5..], &input[..59]);
        assert_eq!(&block[..5], &[0.0; 5]);
        // Flush the delayed input with silence, then un-bypass: the mix ramps over 10 ms, never
        // jumping by more than one step.
        let mut silence = vec![0.0f32; 64];
        b.capture(&[&mut silence[..]]);
        b.apply(&mut [&mut silence[..]]);
        b.set_bypassed(false);
        let mut ones = vec![1.0f32; 64];
        let mut prev = 0.0f32;
        for _ in 0..10 {
            let mut blk = vec![0.0f32; 64];
            b.capture(&[&mut blk[..]]);
            ones.fill(1.0);
            b.apply(&mut [&mut ones[..]]);
            for &v in &ones {
                assert!((v - prev).abs() <= 1.0 / 480.0 + 1e-6);
                prev = v;
            }
        }
        assert_eq!(prev, 1.0);
    }

    /// The active path keeps only the ring: bypassing afterwards must output exactly what a
    /// bypass that had copied every sample outputs, for blocks shorter and longer than the ring.
    #[test]
    fn bypass_after_active_blocks_delays_exactly() {
        let input: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        for &block in &[3usize, 7, 64] {
            let mut b = Bypass::default();
            b.prepare(48_000.0, 64, 1, 10);
            b.set_latency(10);
            let mut pos = 0;
            while pos + block <= 500 {
                let mut blk = input[pos..pos + block].to_vec();
                b.capture(&[&mut blk[..]]);
                b.apply(&mut [&mut blk[..]]);
                pos += block;
            }
            b.set_bypassed(true);
            b.settle();
            let mut blk = input[pos..pos + block].to_vec();
            b.capture(&[&mut blk[..]]);
            b.apply(&mut [&mut blk[..]]);
            assert_eq!(
                &blk[..],
                &input[pos - 10..pos - 10 + block],
                "blocks of {block}"
            );
        }
    }
}

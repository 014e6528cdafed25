//! A lock-free stream of sample frames from the audio thread to the editor (the Channel Strip's
//! spectrum analyzer, the Maximizer's goniometer). `rtrb` is a wait-free single-producer
//! single-consumer ring: the audio thread writes without locking or allocating, and when the
//! editor is closed or slow the ring fills and the newest samples are dropped, so the audio thread
//! never waits for the editor.
//!
//! The ring is created in `Plugin::initialize` (on the main thread): the plugin keeps the
//! [`StreamWriter`], the editor takes the [`StreamReader`] from a shared slot each time it opens.
//! Only the main and editor threads touch the slot's mutex, never the audio thread.

use rtrb::{Consumer, Producer, RingBuffer};
use std::sync::{Arc, Mutex};

/// One frame: two channels (pre/post for the analyzer, left/right for the goniometer).
pub type Frame = [f32; 2];

/// Audio-thread side.
pub struct StreamWriter(Option<Producer<Frame>>);

/// Editor side; knows the sample rate the frames were produced at.
pub struct StreamReader {
    consumer: Consumer<Frame>,
    sample_rate: f32,
}

/// Where the editor picks up the reader of the current ring.
pub type ReaderSlot = Arc<Mutex<Option<StreamReader>>>;

impl Default for StreamWriter {
    /// A writer with no ring (before `initialize`): pushes are ignored.
    fn default() -> Self {
        Self(None)
    }
}

impl StreamWriter {
    /// Creates a ring of `capacity` frames at `sample_rate` and hands its reader to `slot`,
    /// replacing any reader of an older ring. Call from `initialize`, never from `process`.
    pub fn open(&mut self, capacity: usize, sample_rate: f32, slot: &ReaderSlot) {
        let (producer, consumer) = RingBuffer::new(capacity);
        self.0 = Some(producer);
        *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(StreamReader {
            consumer,
            sample_rate,
        });
    }

    /// Pushes `a[i], b[i]` frames; frames that do not fit are dropped. Wait-free, no allocation.
    pub fn push(&mut self, a: &[f32], b: &[f32]) {
        let Some(producer) = self.0.as_mut() else {
            return;
        };
        let n = a.len().min(b.len()).min(producer.slots());
        if n == 0 {
            return;
        }
        if let Ok(chunk) = producer.write_chunk_uninit(n) {
            chunk.fill_from_iter(a.iter().zip(b).map(|(&x, &y)| [x, y]));
        }
    }
}

impl StreamReader {
    /// Hands every frame written since the last call to `f`, oldest first.
    pub fn drain(&mut self, mut f: impl FnMut(Frame)) {
        let n = self.consumer.slots();
        if let Ok(chunk) = self.consumer.read_chunk(n) {
            let (first, second) = chunk.as_slices();
            first.iter().chain(second).for_each(|&fr| f(fr));
            chunk.commit_all();
        }
    }

    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_arrive_in_order_and_overflow_drops_the_newest() {
        let slot = ReaderSlot::default();
        let mut w = StreamWriter::default();
        w.push(&[1.0], &[1.0]);
        w.open(4, 48_000.0, &slot);
        w.push(&[1.0, 2.0, 3.0], &[-1.0, -2.0, -3.0]);
        w.push(&[4.0, 5.0], &[-4.0, -5.0]);
        let mut got = Vec::new();
        slot.lock()
            .unwrap()
            .as_mut()
            .unwrap()
            .drain(|f| got.push(f));
        assert_eq!(
            got,
            vec![[1.0, -1.0], [2.0, -2.0], [3.0, -3.0], [4.0, -4.0]]
        );
        w.push(&[6.0], &[-6.0]);
        got.clear();
        slot.lock()
            .unwrap()
            .as_mut()
            .unwrap()
            .drain(|f| got.push(f));
        assert_eq!(got, vec![[6.0, -6.0]]);
    }
}

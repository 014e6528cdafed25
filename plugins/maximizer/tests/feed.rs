//! The editor feed's gain-reduction history runs at a fixed rate of audio time: the same points,
//! each the maximum of its interval, whatever the host's block size.

use lathe_maximizer::feed::{EditorFeed, HISTORY_RATE_HZ};

const FS: f64 = 48_000.0;

/// Feeds 0.5 s of audio in blocks of `sizes` (cycled) with gain reduction ramping per sample
/// block, and returns the history points the editor would read.
fn history(sizes: &[usize]) -> Vec<[f32; 2]> {
    let mut feed = EditorFeed::default();
    let readers = feed.readers();
    feed.open(FS);
    let total = (FS * 0.5) as usize;
    let silence = vec![0.0f32; 4096];
    let (mut pos, mut i) = (0, 0);
    while pos < total {
        let n = sizes[i % sizes.len()].min(total - pos);
        // A spike of 6 dB in the block holding sample 10_000, otherwise 1 dB.
        let gr = if (pos..pos + n).contains(&10_000) {
            6.0
        } else {
            1.0
        };
        feed.push(&[&silence[..n], &silence[..n]], gr);
        pos += n;
        i += 1;
    }
    let mut points = Vec::new();
    readers
        .history
        .lock()
        .unwrap()
        .as_mut()
        .expect("open() hands the reader to its slot")
        .drain(|p| points.push(p));
    points
}

#[test]
fn history_has_one_point_per_interval_at_any_block_size() {
    let expected = (0.5 * HISTORY_RATE_HZ) as usize;
    let hop = (FS / HISTORY_RATE_HZ) as usize;
    for sizes in [&[64][..], &[480], &[1000], &[4096], &[1, 333, 2048, 17]] {
        let points = history(sizes);
        assert_eq!(points.len(), expected, "blocks {sizes:?}");
        // The spike lands in the point covering sample 10_000 (or, for blocks longer than a
        // point, in every point its block spans), never elsewhere.
        let spike = 10_000 / hop;
        assert_eq!(points[spike][0], 6.0, "blocks {sizes:?}");
        let max_block = *sizes.iter().max().unwrap();
        let spread = max_block.div_ceil(hop) + 1;
        for (k, p) in points.iter().enumerate() {
            if k.abs_diff(spike) > spread {
                assert_eq!(p[0], 1.0, "blocks {sizes:?}, point {k}");
            }
        }
    }
}

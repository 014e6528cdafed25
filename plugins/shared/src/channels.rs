//! Views of nice-plug's channel slices for dsp-core's read-only processors (meters).

/// A read-only view of the first two channels without allocating: meters take `&[&[f32]]`
/// while the plugin holds `&mut [&mut [f32]]`. Returns the view and how many channels it has
/// (1 or 2); use `&view[..n]`.
pub fn stereo_view<'a>(channels: &'a [&mut [f32]]) -> ([&'a [f32]; 2], usize) {
    let n = channels.len().min(2);
    let first: &[f32] = channels.first().map_or(&[], |c| &c[..]);
    let second: &[f32] = channels.get(1).map_or(first, |c| &c[..]);
    ([first, second], n)
}

//! Shrinking 8-bit RGB images with a Catmull-Rom cubic (B = 0, C = ½), its support widened
//! by the reduction factor so that every source pixel is weighed (no aliasing): the usual
//! separable resampler. Several times faster than `image::imageops::resize`, which matters
//! because fitting a photo tries several sizes.

use image::RgbImage;

/// The Catmull-Rom kernel (support 2).
fn catmull_rom(x: f64) -> f64 {
    let x = x.abs();
    if x < 1.0 {
        (1.5 * x - 2.5) * x * x + 1.0
    } else if x < 2.0 {
        ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    } else {
        0.0
    }
}

/// For each output index along one axis: the first source index and `taps` weights.
struct Weights {
    starts: Vec<usize>,
    taps: usize,
    /// `taps` weights per output index, summing to 1, zero-padded.
    values: Vec<f32>,
}

impl Weights {
    /// Sizes are pixel counts (far below 2^52), so the float conversions are exact.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    fn new(from: u32, to: u32) -> Self {
        let (from_len, to_len) = (from as usize, to as usize);
        let scale = f64::from(from) / f64::from(to);
        let widen = scale.max(1.0);
        let support = 2.0 * widen;
        let taps = (2.0 * support).ceil() as usize + 2;
        let mut starts = Vec::with_capacity(to_len);
        let mut weights = vec![0.0; to_len * taps];
        for (i, out) in weights.chunks_exact_mut(taps).enumerate() {
            let center = (i as f64 + 0.5) * scale;
            let start = ((center - support).floor().max(0.0) as usize).min(from_len - 1);
            let end = ((center + support).ceil() as usize)
                .min(from_len)
                .min(start + taps);
            let exact = (start..end).map(|j| catmull_rom((j as f64 + 0.5 - center) / widen));
            let sum: f64 = exact.clone().sum();
            for (w, e) in out.iter_mut().zip(exact) {
                *w = (e / sum) as f32;
            }
            starts.push(start);
        }
        Self {
            starts,
            taps,
            values: weights,
        }
    }

    /// First source index and the weights of output index `i`, clipped to the source.
    fn of(&self, i: usize, source_len: usize) -> (usize, &[f32]) {
        let start = self.starts[i];
        let taps = self.taps.min(source_len - start);
        (start, &self.values[i * self.taps..][..taps])
    }
}

/// A weighted sum back to 8 bits, rounded and clamped (the kernel's lobes overshoot).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn to_u8(sum: f32) -> u8 {
    (sum + 0.5).clamp(0.0, 255.0) as u8
}

/// `image` shrunk to `width`×`height` (neither larger than the original), with
/// `fast_image_resize`'s SIMD convolution (the same Catmull-Rom kernel, widened the same way);
/// the portable resampler below if it refuses.
pub(super) fn shrink(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    use fast_image_resize::images::{Image, ImageRef};
    use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
    let (from_width, from_height) = image.dimensions();
    let Ok(source) = ImageRef::new(from_width, from_height, image.as_raw(), PixelType::U8x3) else {
        return shrink_portable(image, width, height);
    };
    let mut target = Image::new(width, height, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    if Resizer::new()
        .resize(&source, &mut target, &options)
        .is_err()
    {
        return shrink_portable(image, width, height);
    }
    RgbImage::from_raw(width, height, target.into_vec())
        .unwrap_or_else(|| shrink_portable(image, width, height))
}

/// `image` shrunk to `width`×`height` (neither larger than the original), without SIMD.
fn shrink_portable(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    let (from_width, from_height) = image.dimensions();
    let (from_row, to_row) = (from_width as usize * 3, width as usize * 3);
    let source = image.as_raw();
    // Vertical pass first, whole rows at a time (the inner loop vectorises).
    let vertical = Weights::new(from_height, height);
    let mut columns = vec![0u8; from_row * height as usize];
    let mut sums = vec![0f32; from_row];
    for (y, out) in columns.chunks_exact_mut(from_row).enumerate() {
        let (start, weights) = vertical.of(y, from_height as usize);
        sums.fill(0.0);
        for (k, &w) in weights.iter().enumerate() {
            let row = &source[(start + k) * from_row..][..from_row];
            for (sum, &p) in sums.iter_mut().zip(row) {
                *sum += w * f32::from(p);
            }
        }
        for (o, &sum) in out.iter_mut().zip(&sums) {
            *o = to_u8(sum);
        }
    }
    // Then horizontal, pixel by pixel.
    let horizontal = Weights::new(from_width, width);
    let mut pixels = vec![0u8; to_row * height as usize];
    for (row, out) in columns
        .chunks_exact(from_row)
        .zip(pixels.chunks_exact_mut(to_row))
    {
        for (x, out) in out.chunks_exact_mut(3).enumerate() {
            let (start, weights) = horizontal.of(x, from_width as usize);
            let mut sum = [0f32; 3];
            for (p, &w) in row[start * 3..].chunks_exact(3).zip(weights) {
                sum[0] += w * f32::from(p[0]);
                sum[1] += w * f32::from(p[1]);
                sum[2] += w * f32::from(p[2]);
            }
            out.copy_from_slice(&sum.map(to_u8));
        }
    }
    RgbImage::from_raw(width, height, pixels).unwrap_or_else(|| RgbImage::new(width, height))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn flat_stays_flat_and_edges_stay_put() {
        let grey = RgbImage::from_pixel(301, 157, Rgb([200, 100, 7]));
        let small = shrink(&grey, 97, 51);
        assert_eq!(small.dimensions(), (97, 51));
        assert!(small.pixels().all(|p| p.0 == [200, 100, 7]));

        // Left half black, right half white: the left quarter of the result is black, the
        // right quarter white, whatever the factor.
        let halves = RgbImage::from_fn(400, 10, |x, _| Rgb([if x < 200 { 0 } else { 255 }; 3]));
        for width in [399, 200, 101, 13] {
            let small = shrink(&halves, width, 5);
            assert_eq!(small.get_pixel(width / 4, 2).0, [0; 3], "{width}");
            assert_eq!(
                small.get_pixel(width - 1 - width / 4, 2).0,
                [255; 3],
                "{width}"
            );
        }
    }

    #[test]
    fn one_pixel_and_same_size() {
        let image = RgbImage::from_fn(7, 5, |x, y| Rgb([u8::try_from(x * 30 + y).unwrap(); 3]));
        assert_eq!(shrink(&image, 7, 5), image);
        assert_eq!(shrink(&image, 1, 1).dimensions(), (1, 1));
        assert_eq!(shrink_portable(&image, 7, 5), image);
        assert_eq!(shrink_portable(&image, 1, 1).dimensions(), (1, 1));
    }

    #[test]
    fn simd_and_portable_agree() {
        let image = RgbImage::from_fn(640, 480, |x, y| {
            Rgb([
                u8::try_from((x / 3 + y / 5) % 256).unwrap(),
                u8::try_from((x * y / 97) % 256).unwrap(),
                if (x / 40 + y / 40) % 2 == 0 { 30 } else { 220 },
            ])
        });
        for (w, h) in [(320, 240), (211, 158), (97, 73)] {
            let (fast, portable) = (shrink(&image, w, h), shrink_portable(&image, w, h));
            let worst = fast
                .as_raw()
                .iter()
                .zip(portable.as_raw())
                .map(|(a, b)| a.abs_diff(*b))
                .max();
            assert!(worst <= Some(12), "{w}×{h}: {worst:?}");
        }
    }
}

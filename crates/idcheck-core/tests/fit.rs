//! `FaceImage::fit_within` (feature `fit`) on real encoded images: noisy gradients that
//! compress badly, as JPEG (by `jpeg-encoder`), PNG and BMP (by `image`), portrait and
//! landscape, from tiny to phone-sized.
#![cfg(feature = "fit")]

use std::io::Cursor;

use idcheck_core::{
    DEFAULT_MAX_BASE64_LEN, DEFAULT_MIN_SIDE, FaceImage, FaceImageError, FaceImageParser,
    FittedPhoto, ImageFormat, ImageInfo,
};
use image::{Rgb, RgbImage, Rgba, RgbaImage};
use proptest::prelude::*;

/// A gradient with per-pixel noise of amplitude `noise`: like a photo's texture, it keeps a
/// JPEG large (0 gives a smooth gradient, which compresses very well).
fn noisy(width: u32, height: u32, noise: u32, seed: u32) -> RgbImage {
    let mut state = seed | 1;
    RgbImage::from_fn(width, height, |x, y| {
        let mut channel = |base: u32| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let n = if noise == 0 { 0 } else { state % noise };
            u8::try_from((base + n).min(255)).unwrap()
        };
        Rgb([
            channel(x * 200 / width),
            channel(y * 200 / height),
            channel((x + y) * 100 / (width + height) + 50),
        ])
    })
}

fn jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(
            image.as_raw(),
            u16::try_from(image.width()).unwrap(),
            u16::try_from(image.height()).unwrap(),
            jpeg_encoder::ColorType::Rgb,
        )
        .unwrap();
    out
}

fn encoded(image: impl Into<image::DynamicImage>, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    image
        .into()
        .write_to(&mut Cursor::new(&mut out), format)
        .unwrap();
    out
}

fn base64_len(bytes: &[u8]) -> usize {
    bytes.len().div_ceil(3) * 4
}

/// Everything a fitted photo promises, for an original of `width`×`height` (upright).
fn assert_fitted(fitted: &FittedPhoto, width: u32, height: u32, limit: usize) {
    let info = fitted.info();
    assert_eq!(info.format(), ImageFormat::Jpeg);
    assert!(fitted.base64_len() <= limit, "{fitted}");
    assert_eq!(fitted.photo().base64_len(), Some(fitted.base64_len()));
    assert_eq!(fitted.base64_len(), base64_len(fitted.bytes()));
    // A valid photo under the same limit, identical to the one returned.
    let parser = FaceImageParser::new().max_base64_len(limit);
    assert_eq!(&parser.from_bytes(fitted.bytes()).unwrap(), fitted.photo());
    assert_eq!(ImageInfo::sniff(fitted.bytes()).unwrap(), info);
    // Never upscaled, never below the minimum side, the aspect ratio kept within a pixel.
    let (w, h) = (info.width(), info.height());
    assert!(w <= width && h <= height, "{fitted}");
    assert!(
        w.min(h) >= DEFAULT_MIN_SIDE.min(width.min(height)),
        "{fitted}"
    );
    let expected_h = f64::from(w) * f64::from(height) / f64::from(width);
    let expected_w = f64::from(h) * f64::from(width) / f64::from(height);
    assert!((f64::from(h) - expected_h).abs() <= 1.0, "{fitted}");
    assert!((f64::from(w) - expected_w).abs() <= 1.0, "{fitted}");
    // It decodes to what it says.
    let decoded = image::load_from_memory(fitted.bytes()).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (w, h));
    let quality = fitted.quality().unwrap();
    assert!((70..=90).contains(&quality), "{fitted}");
    assert!(!fitted.is_unchanged());
}

#[test]
fn a_phone_sized_jpeg_is_downscaled_until_it_fits() {
    let original = jpeg(&noisy(1080, 1440, 48, 1), 90);
    assert!(matches!(
        FaceImage::from_bytes(&original),
        Err(FaceImageError::TooLargeImage { .. })
    ));
    let fitted = FaceImage::fit_within(&original, DEFAULT_MAX_BASE64_LEN).unwrap();
    assert_fitted(&fitted, 1080, 1440, DEFAULT_MAX_BASE64_LEN);
    assert!(fitted.is_downscaled());
    assert_eq!(fitted.original().width(), 1080);
    assert_eq!(fitted.original_base64_len(), base64_len(&original));
    // Only as far as needed: a little larger would not fit at quality 70 (within 1.5 %),
    // and a little smaller would be wasted room: the result uses most of the limit.
    assert!(
        fitted.base64_len() > DEFAULT_MAX_BASE64_LEN * 85 / 100,
        "{fitted}"
    );
    let shown = fitted.to_string();
    assert!(
        shown.starts_with(&format!(
            "JPEG 1080×1440, {} base64 chars → JPEG ",
            base64_len(&original)
        )),
        "{shown}"
    );
}

#[test]
fn a_480_by_640_photo_over_the_limit_fits() {
    // The example: quality 85 at 480×640 is already over.
    let original = jpeg(&noisy(480, 640, 40, 2), 95);
    assert!(base64_len(&original) > DEFAULT_MAX_BASE64_LEN);
    let fitted = FaceImage::fit_within(&original, DEFAULT_MAX_BASE64_LEN).unwrap();
    assert_fitted(&fitted, 480, 640, DEFAULT_MAX_BASE64_LEN);
}

#[test]
fn landscape_keeps_its_orientation_and_ratio() {
    let original = jpeg(&noisy(800, 600, 48, 3), 90);
    let fitted = FaceImage::fit_within(&original, 40_000).unwrap();
    assert_fitted(&fitted, 800, 600, 40_000);
    assert!(fitted.is_downscaled());
    assert!(fitted.info().width() > fitted.info().height());
}

#[test]
fn png_and_bmp_become_jpegs() {
    let png = encoded(noisy(480, 640, 32, 4), image::ImageFormat::Png);
    let fitted = FaceImage::fit_within(&png, DEFAULT_MAX_BASE64_LEN).unwrap();
    assert_eq!(fitted.original().format(), ImageFormat::Png);
    assert_fitted(&fitted, 480, 640, DEFAULT_MAX_BASE64_LEN);

    let bmp = encoded(noisy(500, 375, 32, 5), image::ImageFormat::Bmp);
    let fitted = FaceImage::fit_within(&bmp, DEFAULT_MAX_BASE64_LEN).unwrap();
    assert_eq!(fitted.original().format(), ImageFormat::Bmp);
    assert_fitted(&fitted, 500, 375, DEFAULT_MAX_BASE64_LEN);
}

#[test]
fn quality_is_lowered_before_the_size() {
    // A smooth 480×640 BMP (921,654 bytes) is a small JPEG: it keeps every pixel.
    let bmp = encoded(noisy(480, 640, 0, 6), image::ImageFormat::Bmp);
    let fitted = FaceImage::fit_within(&bmp, DEFAULT_MAX_BASE64_LEN).unwrap();
    assert_fitted(&fitted, 480, 640, DEFAULT_MAX_BASE64_LEN);
    assert_eq!((fitted.info().width(), fitted.info().height()), (480, 640));
    assert_eq!(fitted.quality(), Some(90));
    assert!(!fitted.is_downscaled());

    // With a limit between its sizes at quality 70 and 90, full size at a quality between.
    let image = noisy(480, 640, 24, 7);
    let len_at = |quality| {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
            .encode_image(&image)
            .unwrap();
        base64_len(&out)
    };
    let limit = usize::midpoint(len_at(70), len_at(90));
    let fitted =
        FaceImage::fit_within(&encoded(image.clone(), image::ImageFormat::Png), limit).unwrap();
    assert_fitted(&fitted, 480, 640, limit);
    assert!(!fitted.is_downscaled(), "{fitted}");
    let quality = fitted.quality().unwrap();
    assert!((71..90).contains(&quality), "{fitted}");
    assert!(len_at(quality + 1) > limit || quality + 1 == 90, "{fitted}");
}

#[test]
fn a_photo_that_fits_is_returned_untouched() {
    let original = jpeg(&noisy(300, 400, 16, 8), 80);
    assert!(base64_len(&original) <= DEFAULT_MAX_BASE64_LEN);
    let fitted = FaceImage::fit_within(&original, DEFAULT_MAX_BASE64_LEN).unwrap();
    assert!(fitted.is_unchanged());
    assert_eq!(fitted.quality(), None);
    assert_eq!(fitted.bytes(), original.as_slice());
    assert_eq!(fitted.photo(), &FaceImage::from_bytes(&original).unwrap());
    assert_eq!(fitted.info(), fitted.original());
    assert!(
        fitted
            .to_string()
            .ends_with("(unchanged: already within the limit)")
    );
    // Also a PNG: kept as it is, not converted.
    let png = encoded(noisy(120, 160, 0, 9), image::ImageFormat::Png);
    let fitted = FaceImage::fit_within(&png, DEFAULT_MAX_BASE64_LEN).unwrap();
    assert_eq!(fitted.into_parts().1, png);
}

#[test]
fn never_below_the_minimum_side() {
    // A limit that only a tiny JPEG meets: the smallest allowed is tried and reported.
    let original = jpeg(&noisy(450, 600, 48, 10), 90);
    let error = FaceImage::fit_within(&original, 2_000).unwrap_err();
    let FaceImageError::CannotFit {
        width,
        height,
        quality,
        base64_len,
        min_side,
        limit,
    } = error
    else {
        panic!("{error:?}")
    };
    assert_eq!(
        (width, height, quality, min_side, limit),
        (100, 133, 70, 100, 2_000)
    );
    assert!(base64_len > 2_000);
    assert_eq!(
        error.to_string(),
        format!(
            "photo cannot fit in 2000 bytes of base64 without going below the recommended 100 px side: at 100×133 px and JPEG quality 70 it still takes {base64_len} bytes"
        )
    );
    // A larger minimum side from the parser.
    let parser = FaceImageParser::new().max_base64_len(10_000).min_side(300);
    let error = parser.fit(&original).unwrap_err();
    assert!(
        matches!(
            error,
            FaceImageError::CannotFit {
                width: 300,
                height: 400,
                min_side: 300,
                ..
            }
        ),
        "{error:?}"
    );
    let fitted = FaceImageParser::new()
        .max_base64_len(25_000)
        .min_side(200)
        .fit(&original)
        .unwrap();
    assert!(fitted.info().width() >= 200, "{fitted}");
    assert!(fitted.is_downscaled(), "{fitted}");
}

#[test]
fn a_tiny_photo_below_the_minimum_side_is_not_shrunk_further() {
    let bmp = encoded(noisy(90, 60, 64, 11), image::ImageFormat::Bmp);
    let error = FaceImage::fit_within(&bmp, 1_000).unwrap_err();
    assert!(
        matches!(
            error,
            FaceImageError::CannotFit {
                width: 90,
                height: 60,
                min_side: 100,
                limit: 1_000,
                ..
            }
        ),
        "{error:?}"
    );
    // Re-encoding alone is fine, and it stays as small as it was, with its warning.
    let fitted = FaceImage::fit_within(&bmp, 12_000).unwrap();
    assert_eq!((fitted.info().width(), fitted.info().height()), (90, 60));
    assert_eq!(fitted.photo().warnings().len(), 1);
}

#[test]
fn the_exif_orientation_is_applied() {
    // A 160×120 JPEG whose EXIF says "rotate 90° clockwise to display" (orientation 6).
    let plain = jpeg(&noisy(160, 120, 64, 12), 95);
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01".to_vec();
    exif.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]);
    let mut rotated = plain[..2].to_vec();
    rotated.extend_from_slice(&[0xFF, 0xE1]);
    rotated.extend_from_slice(&u16::try_from(exif.len() + 2).unwrap().to_be_bytes());
    rotated.extend_from_slice(&exif);
    rotated.extend_from_slice(&plain[2..]);
    let limit = base64_len(&rotated) - 4;
    let fitted = FaceImage::fit_within(&rotated, limit).unwrap();
    assert!(fitted.orientation_applied());
    assert_eq!(
        (fitted.original().width(), fitted.original().height()),
        (160, 120)
    );
    assert_fitted(&fitted, 120, 160, limit);
    assert!(
        fitted
            .to_string()
            .ends_with("(turned upright by its EXIF orientation)")
    );
}

#[test]
fn transparency_is_flattened_onto_white() {
    // Left half transparent (over noisy colours, which keep the PNG large), right half black.
    let noise = noisy(400, 300, 255, 14);
    let png = encoded(
        RgbaImage::from_fn(400, 300, |x, y| {
            if x < 200 {
                let Rgb([r, g, b]) = *noise.get_pixel(x, y);
                Rgba([r, g, b, 0])
            } else {
                Rgba([0, 0, 0, 255])
            }
        }),
        image::ImageFormat::Png,
    );
    assert!(base64_len(&png) > DEFAULT_MAX_BASE64_LEN);
    let fitted = FaceImage::fit_within(&png, DEFAULT_MAX_BASE64_LEN).unwrap();
    assert_fitted(&fitted, 400, 300, DEFAULT_MAX_BASE64_LEN);
    let decoded = image::load_from_memory(fitted.bytes()).unwrap().into_rgb8();
    let (w, h) = decoded.dimensions();
    assert!(decoded.get_pixel(w / 4, h / 2).0.iter().all(|&c| c > 245));
    assert!(
        decoded
            .get_pixel(w * 3 / 4, h / 2)
            .0
            .iter()
            .all(|&c| c < 10)
    );
}

#[test]
fn undecodable_pixel_data_and_huge_headers_are_errors() {
    // A PNG header and nothing after it: the header is fine, the pixels are not there.
    let mut header_only = vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];
    header_only.extend_from_slice(&13u32.to_be_bytes());
    header_only.extend_from_slice(b"IHDR");
    header_only.extend_from_slice(&640u32.to_be_bytes());
    header_only.extend_from_slice(&480u32.to_be_bytes());
    header_only.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    let error = FaceImage::fit_within(&header_only, 20).unwrap_err();
    assert!(
        matches!(
            error,
            FaceImageError::CannotReencode {
                format: ImageFormat::Png,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("cannot re-encode the PNG image: ")
    );

    // 10,000 × 10,000: refused before decoding anything.
    header_only[16..20].copy_from_slice(&10_000u32.to_be_bytes());
    header_only[20..24].copy_from_slice(&10_000u32.to_be_bytes());
    assert_eq!(
        FaceImage::fit_within(&header_only, 20),
        Err(FaceImageError::CannotReencode {
            format: ImageFormat::Png,
            reason: "over 64 megapixels, more than is safe to decode"
        })
    );
    // Header errors are the parser's.
    assert_eq!(
        FaceImage::fit_within(b"GIF89a....", 20).unwrap_err(),
        FaceImage::from_bytes(b"GIF89a....").unwrap_err()
    );
    assert_eq!(
        FaceImage::fit_within(b"", 20).unwrap_err(),
        FaceImageError::Empty
    );
}

#[test]
fn the_too_large_error_gives_the_dimensions_and_the_way_out() {
    let original = jpeg(&noisy(480, 640, 40, 2), 95);
    let error = FaceImage::from_bytes(&original).unwrap_err();
    let len = base64_len(&original);
    assert_eq!(
        error.to_string(),
        format!(
            "photo too large: JPEG 480×640 px is {len} bytes as base64 ({} bytes of image), the limit is 102400 bytes of base64: make it fit with `idcheck photo --fit OUT.jpg FILE` or `FaceImage::fit_within`",
            original.len()
        )
    );
}

/// The 12-megapixel phone photo; too slow for a debug build (decoding alone takes seconds):
/// `cargo test --release -p idcheck-core --features fit --test fit`.
#[test]
#[cfg_attr(debug_assertions, ignore = "slow in debug builds; run with --release")]
fn a_twelve_megapixel_photo_fits() {
    let original = jpeg(&noisy(3000, 4000, 48, 13), 85);
    let started = std::time::Instant::now();
    let fitted = FaceImage::fit_within(&original, DEFAULT_MAX_BASE64_LEN).unwrap();
    eprintln!("{fitted} in {:?}", started.elapsed());
    assert_fitted(&fitted, 3000, 4000, DEFAULT_MAX_BASE64_LEN);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Arbitrary bytes, often behind a real format's magic so that the decoder runs: an
    /// error or a photo, never a panic.
    #[test]
    fn fit_within_never_panics(
        magic in prop::sample::select(vec![
            &b""[..],
            &[0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8, 0, 64, 0, 48, 3][..],
            &[0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n', 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 40, 0, 0, 0, 30][..],
            &b"BM\0\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0\x20\0\0\0\x18\0\0\0\x01\0\x18\0"[..],
        ]),
        tail in prop::collection::vec(any::<u8>(), 0..600),
        limit in 0usize..400,
    ) {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&tail);
        if let Ok(fitted) = FaceImage::fit_within(&bytes, limit) {
            prop_assert!(fitted.base64_len() <= limit);
        }
    }
}

/// The sampling factors of each component in a JPEG's frame header.
fn sampling(jpeg: &[u8]) -> Vec<u8> {
    let sof = jpeg
        .windows(2)
        .position(|w| w[0] == 0xFF && matches!(w[1], 0xC0 | 0xC2))
        .unwrap();
    let count = usize::from(jpeg[sof + 9]);
    (0..count).map(|i| jpeg[sof + 11 + 3 * i]).collect()
}

#[test]
fn the_result_has_colour_at_half_resolution() {
    let original = jpeg(&noisy(480, 640, 40, 21), 95);
    let fitted = FaceImage::fit_within(&original, DEFAULT_MAX_BASE64_LEN).unwrap();
    assert_fitted(&fitted, 480, 640, DEFAULT_MAX_BASE64_LEN);
    // 4:2:0: luma 2×2, each chroma 1×1.
    assert_eq!(sampling(fitted.bytes()), [0x22, 0x11, 0x11]);
}

/// What a hostile or unusual file may be: each is fitted or refused, never a panic, and a
/// fitted one is within the limit.
#[test]
fn odd_and_hostile_images_fit_or_are_refused() {
    let noise = noisy(320, 240, 255, 31);
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    // Grayscale and CMYK JPEGs.
    let gray: Vec<u8> = noise.pixels().map(|p| p.0[0]).collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 100)
        .encode(&gray, 320, 240, jpeg_encoder::ColorType::Luma)
        .unwrap();
    cases.push(("grayscale jpeg", out));
    let cmyk: Vec<u8> = noise
        .pixels()
        .flat_map(|p| [p.0[0], p.0[1], p.0[2], 255 - p.0[0]])
        .collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 100)
        .encode(&cmyk, 320, 240, jpeg_encoder::ColorType::Cmyk)
        .unwrap();
    cases.push(("cmyk jpeg", out));
    // A progressive JPEG.
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 100);
    encoder.set_progressive(true);
    encoder
        .encode(noise.as_raw(), 320, 240, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    cases.push(("progressive jpeg", out));
    // A JPEG cut in half, and one cut right after its header.
    let whole = jpeg(&noise, 100);
    cases.push(("truncated jpeg", whole[..whole.len() / 2].to_vec()));
    let sos = whole.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    cases.push(("jpeg cut after its header", whole[..sos + 14].to_vec()));
    // A 1×20000 sliver (cannot keep its aspect and a 100 px side), and a PNG with alpha.
    cases.push((
        "1×20000 png",
        encoded(noisy(1, 20_000, 255, 32), image::ImageFormat::Png),
    ));
    cases.push((
        "png with alpha",
        encoded(
            RgbaImage::from_fn(320, 240, |x, y| {
                let Rgb([r, g, b]) = *noise.get_pixel(x, y);
                Rgba([r, g, b, u8::try_from(x % 256).unwrap()])
            }),
            image::ImageFormat::Png,
        ),
    ));
    for (name, bytes) in cases {
        let limit = 40_000;
        match FaceImage::fit_within(&bytes, limit) {
            Ok(fitted) => {
                assert!(fitted.base64_len() <= limit, "{name}: {fitted}");
                let info = ImageInfo::sniff(fitted.bytes()).unwrap();
                assert!(
                    info.width().min(info.height()) >= DEFAULT_MIN_SIDE,
                    "{name}"
                );
                assert!(!name.contains("1×20000"), "{name}: {fitted}");
            }
            Err(error) => {
                assert!(
                    name.contains("cut") || name.contains("truncated") || name.contains("1×20000"),
                    "{name}: {error}"
                );
            }
        }
    }
}

#[test]
fn a_jpeg_header_one_pixel_over_64_megapixels_is_refused_before_decoding() {
    // 8193 × 8192 = 64 Mi + 8192 pixels: refused; 8192 × 8192 would be decoded.
    let mut header = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8];
    header.extend_from_slice(&8192u16.to_be_bytes());
    header.extend_from_slice(&8193u16.to_be_bytes());
    header.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    assert_eq!(
        FaceImage::fit_within(&header, 20),
        Err(FaceImageError::CannotReencode {
            format: ImageFormat::Jpeg,
            reason: "over 64 megapixels, more than is safe to decode"
        })
    );
}

/// A photo whose file is large (quality 100 keeps fine grain) but that shrinks to almost
/// nothing at quality 70: decoded at reduced size first, the reduced image fits whole, so it
/// is decoded again larger; the result is still the largest that fits.
#[test]
#[cfg_attr(debug_assertions, ignore = "slow in debug builds; run with --release")]
fn a_jpeg_decoded_too_small_is_decoded_again_larger() {
    let original = jpeg(&noisy(2400, 1800, 12, 41), 100);
    // A limit 1/36 of the file: decoded first at 1/2 (1200×900), which fits whole; then in
    // full, which fits too (at quality 73).
    let limit = base64_len(&original) / 36;
    let fitted = FaceImage::fit_within(&original, limit).unwrap();
    eprintln!("{fitted}");
    assert_fitted(&fitted, 2400, 1800, limit);
    assert_eq!(fitted.info().width(), 2400, "{fitted}");
}

/// A PNG or BMP is halved after decoding while still larger than any size that could fit (as
/// a JPEG is decoded at reduced size); when the halved image fits whole, it is decoded again in
/// full: the result is still the largest that fits.
#[test]
fn a_png_or_bmp_halved_too_far_is_decoded_again_in_full() {
    // Smooth: 5.8 MB as a BMP, first halved to 800×600 for a limit of 20,000 characters
    // (taken for a phone JPEG of 0.3 bytes a pixel), which then fits whole.
    let limit = 20_000;
    let bmp = encoded(noisy(1600, 1200, 0, 43), image::ImageFormat::Bmp);
    let fitted = FaceImage::fit_within(&bmp, limit).unwrap();
    assert_fitted(&fitted, 1600, 1200, limit);
    assert!(fitted.info().width() > 800, "{fitted}");
}

/// Odd sides are halved rounding up: the aspect ratio is kept within a pixel.
#[test]
fn a_png_with_odd_sides_keeps_its_aspect_ratio() {
    // Halved to 601×801 first, for a limit of 20,000 characters.
    let limit = 20_000;
    let png = encoded(noisy(1201, 1601, 40, 44), image::ImageFormat::Png);
    let fitted = FaceImage::fit_within(&png, limit).unwrap();
    assert_fitted(&fitted, 1201, 1601, limit);
    assert!(fitted.is_downscaled(), "{fitted}");
}

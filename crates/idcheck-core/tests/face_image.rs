//! `FaceImage`: format, dimensions and size from headers, offline, before a billed call.
//!
//! Images are generated here: JPEGs by a real encoder (`jpeg-encoder`), PNG and BMP headers
//! written field by field, the unsupported formats by their documented magic bytes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use idcheck_core::{
    DEFAULT_MAX_BASE64_LEN, FaceImage, FaceImageError, FaceImageParser, ImageFormat, ImageInfo,
    PhotoPayload, PhotoWarning, UnsupportedFormat,
};
use proptest::prelude::*;

fn jpeg(width: u16, height: u16, progressive: bool) -> Vec<u8> {
    let pixels: Vec<u8> = (0..usize::from(width) * usize::from(height) * 3)
        .map(|i| u8::try_from(i % 251).unwrap())
        .collect();
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 80);
    encoder.set_progressive(progressive);
    encoder
        .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// Inserts APP1 segments (EXIF-like) of `total` payload bytes right after SOI, as cameras do.
fn with_exif(jpeg: &[u8], total: usize) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    let mut left = total;
    while left > 0 {
        let chunk = left.min(65_000);
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&u16::try_from(chunk + 2).unwrap().to_be_bytes());
        out.extend(std::iter::repeat_n(0xAB, chunk));
        left -= chunk;
    }
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Makes a JPEG exactly `len` bytes long by padding before EOI with a comment segment and
/// bytes after EOI (which decoders ignore).
fn jpeg_of_len(len: usize) -> Vec<u8> {
    let mut image = jpeg(120, 160, false);
    assert!(image.len() < len);
    image.resize(len, 0);
    image
}

/// The first 33 bytes of a PNG: signature, IHDR with its CRC, as the spec lays them out.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(b"IHDR");
    out.extend_from_slice(&width.to_be_bytes());
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    out.extend_from_slice(&[0; 4]); // CRC (not read by the sniffer)
    out
}

/// A BMP file header plus a DIB header of `dib_size` bytes.
fn bmp(width: i32, height: i32, dib_size: u32) -> Vec<u8> {
    let mut out = b"BM".to_vec();
    out.extend_from_slice(&0u32.to_le_bytes()); // file size
    out.extend_from_slice(&0u32.to_le_bytes()); // reserved
    out.extend_from_slice(&(14 + dib_size).to_le_bytes()); // pixel offset
    out.extend_from_slice(&dib_size.to_le_bytes());
    if dib_size == 12 {
        out.extend_from_slice(&u16::try_from(width).unwrap().to_le_bytes());
        out.extend_from_slice(&u16::try_from(height).unwrap().to_le_bytes());
    } else {
        out.extend_from_slice(&width.to_le_bytes());
        out.extend_from_slice(&height.to_le_bytes());
    }
    out.resize(14 + usize::try_from(dib_size).unwrap(), 0);
    out
}

fn info(format: ImageFormat, width: u32, height: u32) -> ImageInfo {
    let bytes = match format {
        ImageFormat::Png => png(width, height),
        _ => bmp(
            i32::try_from(width).unwrap(),
            i32::try_from(height).unwrap(),
            40,
        ),
    };
    ImageInfo::sniff(&bytes).unwrap()
}

/// Base64 with MIME line breaks every 76 characters.
fn mime_base64(bytes: &[u8]) -> String {
    let plain = STANDARD.encode(bytes);
    plain
        .as_bytes()
        .chunks(76)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn dims(result: Result<ImageInfo, FaceImageError>) -> (ImageFormat, u32, u32) {
    let info = result.unwrap();
    (info.format(), info.width(), info.height())
}

#[test]
fn jpeg_baseline_and_progressive() {
    for (width, height) in [(1, 1), (120, 160), (333, 17)] {
        for progressive in [false, true] {
            let image = jpeg(width, height, progressive);
            let expected = (ImageFormat::Jpeg, u32::from(width), u32::from(height));
            assert_eq!(dims(ImageInfo::sniff(&image)), expected);
            assert_eq!(
                dims(ImageInfo::sniff_base64(&STANDARD.encode(&image))),
                expected
            );
        }
    }
}

#[test]
fn jpeg_walks_past_exif_and_fill_bytes() {
    let image = with_exif(&jpeg(200, 100, true), 150_000);
    let expected = (ImageFormat::Jpeg, 200, 100);
    assert_eq!(dims(ImageInfo::sniff(&image)), expected);
    let text = mime_base64(&image);
    assert_eq!(dims(ImageInfo::sniff_base64(&text)), expected);
    let data_url = format!("data:image/jpeg;base64,{text}");
    assert_eq!(dims(ImageInfo::sniff_base64(&data_url)), expected);
    // Fill bytes (0xFF) may precede any marker.
    let mut filled = image[..2].to_vec();
    filled.extend_from_slice(&[0xFF, 0xFF, 0xFF]);
    filled.extend_from_slice(&image[2..]);
    assert_eq!(dims(ImageInfo::sniff(&filled)), expected);
}

#[test]
fn png_and_bmp_headers() {
    assert_eq!(
        dims(ImageInfo::sniff(&png(640, 480))),
        (ImageFormat::Png, 640, 480)
    );
    for dib in [40, 52, 56, 64, 108, 124] {
        assert_eq!(
            dims(ImageInfo::sniff(&bmp(300, 400, dib))),
            (ImageFormat::Bmp, 300, 400)
        );
    }
    // Negative height: rows stored top-down; the height is still 400.
    assert_eq!(
        dims(ImageInfo::sniff(&bmp(300, -400, 40))),
        (ImageFormat::Bmp, 300, 400)
    );
    assert_eq!(
        dims(ImageInfo::sniff(&bmp(64, 32, 12))),
        (ImageFormat::Bmp, 64, 32)
    );
    assert_eq!(
        dims(ImageInfo::sniff_base64(
            &STANDARD.encode(bmp(300, -400, 124))
        )),
        (ImageFormat::Bmp, 300, 400)
    );
}

#[test]
fn unsupported_formats_are_named() {
    let mut webp = b"RIFF\0\0\0\0WEBPVP8 ".to_vec();
    webp.resize(32, 0);
    let ftyp = |brands: &[&[u8; 4]]| {
        let mut out = u32::try_from(12 + 4 * brands.len())
            .unwrap()
            .to_be_bytes()
            .to_vec();
        out.extend_from_slice(b"ftyp");
        for (i, brand) in brands.iter().enumerate() {
            out.extend_from_slice(*brand);
            if i == 0 {
                out.extend_from_slice(&[0; 4]); // minor version
            }
        }
        out
    };
    let cases: [(Vec<u8>, UnsupportedFormat); 8] = [
        (b"GIF89a\x10\x00\x10\x00".to_vec(), UnsupportedFormat::Gif),
        (b"GIF87a\x10\x00\x10\x00".to_vec(), UnsupportedFormat::Gif),
        (webp, UnsupportedFormat::WebP),
        (ftyp(&[b"heic", b"mif1", b"heic"]), UnsupportedFormat::Heic),
        (ftyp(&[b"avif", b"mif1", b"avif"]), UnsupportedFormat::Avif),
        (ftyp(&[b"mif1", b"mif1", b"avif"]), UnsupportedFormat::Avif),
        (b"II*\0\x08\0\0\0".to_vec(), UnsupportedFormat::Tiff),
        (b"MM\0*\0\0\0\x08".to_vec(), UnsupportedFormat::Tiff),
    ];
    for (bytes, format) in cases {
        let expected = Err(FaceImageError::UnsupportedFormat { format });
        assert_eq!(ImageInfo::sniff(&bytes), expected, "{format}");
        assert_eq!(ImageInfo::sniff_base64(&STANDARD.encode(&bytes)), expected);
        assert_eq!(
            FaceImage::from_bytes(&bytes),
            expected.map(|_| unreachable!())
        );
    }
    assert_eq!(
        FaceImageError::UnsupportedFormat {
            format: UnsupportedFormat::Heic
        }
        .to_string(),
        "HEIC images are not accepted: use JPEG, PNG or BMP"
    );
    // An MP4 is an ISO media file too, but not an image.
    assert_eq!(
        ImageInfo::sniff(&ftyp(&[b"isom", b"mp42"])),
        Err(FaceImageError::UnrecognizedFormat)
    );
}

#[test]
fn truncated_headers_never_give_a_size() {
    let image = jpeg(120, 160, false);
    // Where the frame header ends: the sniff needs everything up to it.
    let needed = (2..image.len())
        .find(|&n| ImageInfo::sniff(&image[..n]).is_ok())
        .unwrap();
    assert!(needed > 20 && needed < image.len());
    for n in 0..needed {
        let expected = if n == 0 {
            FaceImageError::Empty
        } else {
            FaceImageError::Truncated {
                format: ImageFormat::Jpeg,
            }
        };
        let prefix = &image[..n];
        if n >= 2 {
            assert_eq!(ImageInfo::sniff(prefix), Err(expected), "{n} bytes");
        }
        let from_text = ImageInfo::sniff_base64(&STANDARD.encode(prefix));
        assert!(from_text.is_err(), "{n} bytes via base64: {from_text:?}");
    }
    for n in 2..24 {
        assert_eq!(
            ImageInfo::sniff(&png(10, 10)[..n]),
            Err(FaceImageError::Truncated {
                format: ImageFormat::Png
            }),
            "{n}"
        );
    }
    for n in 18..26 {
        assert_eq!(
            ImageInfo::sniff(&bmp(10, 10, 40)[..n]),
            Err(FaceImageError::Truncated {
                format: ImageFormat::Bmp
            }),
            "{n}"
        );
    }
}

#[test]
fn corrupt_headers_and_non_images() {
    let corrupt = |format, bytes: &[u8]| match ImageInfo::sniff(bytes) {
        Err(FaceImageError::Corrupt { format: f, .. }) => assert_eq!(f, format),
        other => panic!("{format}: {other:?}"),
    };
    // SOF0 with height 0 (deferred to DNL) and a segment length below 2.
    corrupt(
        ImageFormat::Jpeg,
        &[0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8, 0, 0, 0, 10, 3],
    );
    corrupt(ImageFormat::Jpeg, &[0xFF, 0xD8, 0xFF, 0xE0, 0, 1, 0, 0]);
    corrupt(ImageFormat::Jpeg, &[0xFF, 0xD8, 0xFF, 0xDA, 0, 8]);
    corrupt(ImageFormat::Jpeg, &[0xFF, 0xD8, 0x12, 0x34]);
    let mut not_ihdr = png(10, 10);
    not_ihdr[12..16].copy_from_slice(b"IDAT");
    corrupt(ImageFormat::Png, &not_ihdr);
    corrupt(ImageFormat::Png, &png(0, 10));
    corrupt(ImageFormat::Bmp, &bmp(0, 10, 40));
    corrupt(ImageFormat::Bmp, &bmp(-5, 10, 40));
    corrupt(ImageFormat::Bmp, &bmp(10, 10, 99));

    assert_eq!(ImageInfo::sniff(b""), Err(FaceImageError::Empty));
    assert_eq!(
        ImageInfo::sniff(b"%PDF-1.7"),
        Err(FaceImageError::UnrecognizedFormat)
    );
    assert_eq!(
        ImageInfo::sniff(b"hello"),
        Err(FaceImageError::UnrecognizedFormat)
    );
    assert_eq!(FaceImage::from_base64("  \r\n"), Err(FaceImageError::Empty));
    assert_eq!(
        FaceImage::from_base64("data:image/jpeg;base64,"),
        Err(FaceImageError::Empty)
    );
}

#[test]
fn size_limit_on_the_base64_the_vendor_receives() {
    // 76,800 bytes of image are exactly 102,400 of base64: the largest accepted.
    let fits = jpeg_of_len(76_800);
    let photo = FaceImage::from_bytes(&fits).unwrap();
    assert_eq!(photo.base64_len(), Some(DEFAULT_MAX_BASE64_LEN));
    assert_eq!(FaceImage::from_base64(&mime_base64(&fits)).unwrap(), photo);

    let over = jpeg_of_len(76_801);
    let too_large = FaceImageError::TooLargeImage {
        info: ImageInfo::sniff(&over).unwrap(),
        base64_len: 102_404,
        raw_len: 76_801,
        limit: 102_400,
    };
    let expected = Err(too_large);
    assert_eq!(FaceImage::from_bytes(&over), expected);
    assert_eq!(FaceImage::from_base64(&STANDARD.encode(&over)), expected);
    assert_eq!(FaceImage::from_base64(&mime_base64(&over)), expected);
    assert_eq!(
        too_large.to_string(),
        "photo too large: JPEG 120×160 px is 102404 bytes as base64 (76801 bytes of image), the limit is 102400 bytes of base64: make it fit with `idcheck photo --fit OUT.jpg FILE` or `FaceImage::fit_within`"
    );
    // Where no header was read (a vendor's check of a payload), without the dimensions.
    assert_eq!(
        FaceImageError::TooLarge {
            base64_len: 102_404,
            raw_len: 76_801,
            limit: 102_400,
        }
        .to_string(),
        "photo too large: 102404 bytes as base64 (76801 bytes of image), the limit is 102400 bytes of base64: make it fit with `idcheck photo --fit OUT.jpg FILE` or `FaceImage::fit_within`"
    );

    let roomy = FaceImageParser::new().max_base64_len(200_000);
    assert!(roomy.from_bytes(&over).is_ok());
    let tight = FaceImageParser::new().max_base64_len(1_000);
    assert!(matches!(
        tight.from_bytes(&jpeg(120, 160, false)),
        Err(FaceImageError::TooLargeImage { limit: 1_000, .. })
    ));
}

#[test]
fn a_five_megabyte_photo_is_refused_without_decoding() {
    let big = with_exif(&jpeg(640, 480, true), 5 * 1024 * 1024);
    let text = format!("data:image/jpeg;base64,{}", mime_base64(&big));
    assert_eq!(
        dims(ImageInfo::sniff_base64(&text)),
        (ImageFormat::Jpeg, 640, 480)
    );
    match FaceImage::from_base64(&text) {
        Err(FaceImageError::TooLargeImage {
            info,
            base64_len,
            raw_len,
            limit,
        }) => {
            assert_eq!(dims(Ok(info)), (ImageFormat::Jpeg, 640, 480));
            assert_eq!(base64_len, big.len().div_ceil(3) * 4);
            assert_eq!(raw_len, big.len());
            assert_eq!(limit, DEFAULT_MAX_BASE64_LEN);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn canonical_base64_is_what_the_vendor_receives() {
    let image = jpeg(120, 160, false);
    let canonical = STANDARD.encode(&image);
    let unpadded = canonical.trim_end_matches('=').to_owned();
    for text in [
        canonical.clone(),
        mime_base64(&image),
        format!("data:image/jpeg;base64,{canonical}"),
        format!("DATA:image/jpeg;BASE64,{}", mime_base64(&image)),
        format!("  {unpadded}\n"),
    ] {
        let photo = FaceImage::from_base64(&text).unwrap();
        assert_eq!(photo.payload(), PhotoPayload::Base64(&canonical));
    }
    let from_bytes = FaceImage::from_bytes(&image).unwrap();
    assert_eq!(from_bytes.payload(), PhotoPayload::Base64(&canonical));
    assert_eq!(from_bytes.info(), Some(info_of(&image)));
}

fn info_of(bytes: &[u8]) -> ImageInfo {
    ImageInfo::sniff(bytes).unwrap()
}

#[test]
fn invalid_base64_is_located() {
    let canonical = STANDARD.encode(jpeg(120, 160, false));
    // In the header: found while sniffing.
    assert_eq!(
        ImageInfo::sniff_base64("/9j/4A!Q"),
        Err(FaceImageError::InvalidBase64 { position: 7 })
    );
    // Past the header: found by the full check before acceptance.
    let mut broken = canonical.clone();
    broken.replace_range(1000..1001, "!");
    assert_eq!(
        FaceImage::from_base64(&broken),
        Err(FaceImageError::InvalidBase64 { position: 1001 })
    );
    let mut url_safe = canonical.clone();
    url_safe.replace_range(2000..2001, "_");
    assert_eq!(
        FaceImage::from_base64(&format!("data:image/jpeg;base64,{url_safe}")),
        Err(FaceImageError::InvalidBase64 {
            position: 23 + 2001
        })
    );
    assert!(matches!(
        FaceImage::from_base64("data:image/jpeg,%FF%D8"),
        Err(FaceImageError::InvalidBase64 { .. })
    ));
}

#[test]
fn small_photos_are_accepted_with_a_warning() {
    let small = FaceImage::from_bytes(&jpeg(64, 80, false)).unwrap();
    assert_eq!(
        small.warnings(),
        [PhotoWarning::SmallerThanRecommended {
            width: 64,
            height: 80,
            min_side: 100
        }]
    );
    assert!(
        FaceImage::from_bytes(&jpeg(120, 160, false))
            .unwrap()
            .warnings()
            .is_empty()
    );
    let relaxed = FaceImageParser::new().min_side(50);
    assert!(
        relaxed
            .from_bytes(&jpeg(64, 80, false))
            .unwrap()
            .warnings()
            .is_empty()
    );
    assert_eq!(info(ImageFormat::Png, 99, 300).width(), 99);
}

#[test]
fn urls_are_checked_for_syntax_and_passed_through() {
    for url in [
        "https://example.com/face.jpg",
        "http://oss-cn-hangzhou.aliyuncs.com/bucket/a.jpg?Expires=1&Signature=x%2By",
        "HTTPS://EXAMPLE.COM",
        "https://127.0.0.1:8080/a.png",
        "https://[::1]:443/a.png",
    ] {
        let photo = FaceImage::from_url(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(photo.payload(), PhotoPayload::Url(url));
        assert_eq!(photo.info(), None);
        assert_eq!(photo.base64_len(), None);
    }
    for (url, reason) in [
        ("ftp://example.com/a.jpg", "scheme is not http or https"),
        (
            "example.com/a.jpg",
            "no scheme: expected http:// or https://",
        ),
        ("https:///a.jpg", "no host"),
        (
            "https://exa mple.com/a.jpg",
            "contains a space or control character",
        ),
        (
            "https://example.com/照片.jpg",
            "contains a non-ASCII character: percent-encode it",
        ),
        (
            "https://user:pw@example.com/a.jpg",
            "credentials in the URL",
        ),
        ("https://example.com:99999/a.jpg", "bad port"),
        ("https://exa_mple.com/a.jpg", "bad host name"),
        (
            "javascript:alert(1)",
            "no scheme: expected http:// or https://",
        ),
    ] {
        assert_eq!(
            FaceImage::from_url(url),
            Err(FaceImageError::InvalidUrl { reason }),
            "{url}"
        );
    }
    assert_eq!(FaceImage::from_url("  "), Err(FaceImageError::Empty));
}

#[test]
fn debug_shows_no_image_data_and_no_url_path() {
    let photo = FaceImage::from_bytes(&jpeg(120, 160, false)).unwrap();
    assert_eq!(
        format!("{photo:?}"),
        format!(
            "FaceImage {{ format: Jpeg, width: 120, height: 160, base64_len: {}, .. }}",
            photo.base64_len().unwrap()
        )
    );
    let url =
        FaceImage::from_url("https://oss.example.com/people/110105194912310021.jpg?token=s3cr3t")
            .unwrap();
    let shown = format!("{url:?}");
    assert_eq!(
        shown,
        r#"FaceImage { payload: Url("https://oss.example.com"), .. }"#
    );
}

/// An accepted photo round-trips through the base64 the vendor receives, plain and MIME.
fn round_trips_through_base64(bytes: &[u8], photo: &FaceImage) -> Result<(), TestCaseError> {
    let PhotoPayload::Base64(text) = photo.payload() else {
        return Err(TestCaseError::fail("bytes became a URL"));
    };
    prop_assert_eq!(STANDARD.decode(text).unwrap(), bytes);
    prop_assert_eq!(FaceImage::from_base64(text), Ok(photo.clone()));
    prop_assert_eq!(
        FaceImage::from_base64(&mime_base64(bytes)),
        Ok(photo.clone())
    );
    Ok(())
}

proptest! {
    #[test]
    fn sniff_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = ImageInfo::sniff(&bytes);
        let _ = FaceImage::from_bytes(&bytes);
    }

    #[test]
    fn sniff_never_panics_after_a_magic(
        magic in prop_oneof![
            Just(vec![0xFF, 0xD8]), Just(b"\x89PNG\r\n\x1a\n".to_vec()), Just(b"BM".to_vec()),
            Just(b"\0\0\0\x18ftyp".to_vec()), Just(b"RIFF".to_vec())
        ],
        tail in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut bytes = magic;
        bytes.extend(tail);
        let direct = ImageInfo::sniff(&bytes);
        // The same answer through base64, with and without line breaks.
        prop_assert_eq!(ImageInfo::sniff_base64(&STANDARD.encode(&bytes)), direct);
        prop_assert_eq!(ImageInfo::sniff_base64(&mime_base64(&bytes)), direct);
        if let Ok(info) = direct {
            prop_assert!(info.width() > 0 && info.height() > 0);
        }
        if let Ok(photo) = FaceImage::from_bytes(&bytes) {
            round_trips_through_base64(&bytes, &photo)?;
        }
    }

    #[test]
    fn generated_headers_give_their_size_and_round_trip(
        width in 1u16..=u16::MAX,
        height in 1u16..=u16::MAX,
        format in 0..3,
        exif in 0usize..3000,
        tail in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut bytes = match format {
            0 => {
                // SOI, an APP1 segment, a SOF2 (progressive) frame header, EOI.
                let mut jpeg = vec![0xFF, 0xD8];
                jpeg.extend(with_exif(&[0xFF, 0xD8], exif).into_iter().skip(2));
                jpeg.extend_from_slice(&[0xFF, 0xC2, 0, 11, 8]);
                jpeg.extend_from_slice(&height.to_be_bytes());
                jpeg.extend_from_slice(&width.to_be_bytes());
                jpeg.extend_from_slice(&[1, 1, 0x11, 0, 0xFF, 0xD9]);
                jpeg
            }
            1 => png(u32::from(width), u32::from(height)),
            _ => bmp(i32::from(width), -i32::from(height), 124),
        };
        bytes.extend(tail);
        let info = ImageInfo::sniff(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!((info.width(), info.height()), (u32::from(width), u32::from(height)));
        prop_assert_eq!(ImageInfo::sniff_base64(&mime_base64(&bytes)), Ok(info));
        let photo = FaceImage::from_bytes(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        round_trips_through_base64(&bytes, &photo)?;
    }

    #[test]
    fn base64_text_never_panics(text in "\\PC{0,80}") {
        let _ = ImageInfo::sniff_base64(&text);
        let _ = FaceImage::from_base64(&text);
        let _ = FaceImage::from_url(&text);
    }

    #[test]
    fn base64_alphabet_soup_never_panics(text in "(data:image/jpeg;base64,)?[A-Za-z0-9+/=\r\n]{0,200}") {
        let _ = ImageInfo::sniff_base64(&text);
        let _ = FaceImage::from_base64(&text);
    }

    #[test]
    fn every_truncation_of_a_real_jpeg_is_an_error_or_the_right_size(cut in 0usize..2000) {
        let image = with_exif(&jpeg(40, 30, true), 500);
        let cut = cut.min(image.len());
        if let Ok(info) = ImageInfo::sniff(&image[..cut]) {
            prop_assert_eq!((info.width(), info.height()), (40, 30));
        }
    }
}

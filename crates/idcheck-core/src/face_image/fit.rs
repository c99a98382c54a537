//! Making a photo fit the vendor's limit (cargo feature `fit`): re-encoding it as a JPEG,
//! lowering the quality, then the size, only as far as needed.

use std::fmt;
use std::io::{self, Cursor, Write};

use base64::Engine as _;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder as _, ImageError, ImageReader, Limits, RgbImage};

use super::resample;
use super::sniff::BASE64;
use super::{FaceImage, FaceImageParser, ImageFormat, ImageInfo};
use crate::FaceImageError;

/// The highest JPEG quality tried.
const MAX_QUALITY: u8 = 90;

/// The lowest JPEG quality used: below it, block artefacts start to hurt face matching, so a
/// photo is made smaller instead.
const MIN_QUALITY: u8 = 70;

/// Larger images are refused before decoding (a 200-megapixel phone mode, a decompression
/// bomb): decoding alone would take gigabytes.
const MAX_PIXELS: u64 = 64 * 1024 * 1024;

/// What the decoder may allocate.
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

impl FaceImage {
    /// Makes a photo (a JPEG, PNG or BMP file's bytes) fit in `limit` bytes of base64, with
    /// the default recommended minimum side ([`DEFAULT_MIN_SIDE`](crate::DEFAULT_MIN_SIDE)).
    /// Cargo feature `fit`.
    ///
    /// A photo that already fits is returned unchanged. Otherwise it is decoded (turned upright
    /// by its EXIF orientation, transparency flattened onto white) and re-encoded as a baseline
    /// JPEG with colour at half resolution (4:2:0, as cameras write): at full size with the
    /// highest quality from 90 down to 70 that fits; if even quality 70 is too large, at the
    /// largest size that fits at quality 70 (found to within 1.5 % in a few tries, aspect
    /// ratio kept, Catmull-Rom resampling, never below the minimum side), then at the highest
    /// quality that still fits at that size. A JPEG is decoded at 1/2, 1/4 or 1/8 size when
    /// that is still well above any size that could fit (decoded again larger when it turns
    /// out not to be). The result is validated like any other photo. A 12-megapixel JPEG
    /// takes about 0.2 s (release build, one core; 0.3 s progressive); memory peaks at about
    /// its decoded pixel data at the reduced size (progressive: plus its DCT coefficients).
    ///
    /// ```
    /// # use idcheck_core::{FaceImage, FaceImageError};
    /// // A 400×300 noisy BMP: 360,054 bytes, 480,072 of base64.
    /// let mut bmp = Vec::new();
    /// let pixels = image::RgbImage::from_fn(400, 300, |x, y| {
    ///     image::Rgb([(x * 7 % 256) as u8, (y * 13 % 256) as u8, ((x * y) % 256) as u8])
    /// });
    /// pixels.write_to(&mut std::io::Cursor::new(&mut bmp), image::ImageFormat::Bmp).unwrap();
    ///
    /// let fitted = FaceImage::fit_within(&bmp, 20_000)?;
    /// assert!(fitted.photo().base64_len().unwrap() <= 20_000);
    /// assert!(fitted.info().height() >= 100); // the recommended minimum side
    /// assert!(fitted.is_downscaled());
    /// println!("{fitted}"); // BMP 400×300, 480072 base64 chars → JPEG …×… q…, … base64 chars
    /// let jpeg: &[u8] = fitted.bytes(); // to write to a file
    /// # let _ = jpeg;
    /// # Ok::<(), FaceImageError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The header's errors ([`FaceImageError::UnrecognizedFormat`], `UnsupportedFormat`,
    /// `Truncated`, `Corrupt`, `Empty`); [`FaceImageError::CannotReencode`] when the pixel
    /// data does not decode or the image is over 64 megapixels;
    /// [`FaceImageError::CannotFit`] when even the smallest allowed JPEG is over the limit.
    pub fn fit_within(bytes: &[u8], limit: usize) -> Result<FittedPhoto, FaceImageError> {
        FaceImageParser::new().max_base64_len(limit).fit(bytes)
    }
}

impl FaceImageParser {
    /// Image bytes over the limit given to [`FaceImageParser::from_bytes`], or base64 text over
    /// it given to [`FaceImageParser::from_base64`], are re-encoded to fit
    /// ([`FaceImageParser::fit`]) instead of refused: `idcheck batch --fit-photos`. URLs are
    /// never re-encoded. Cargo feature `fit`.
    #[must_use]
    pub const fn fit_oversized(mut self, yes: bool) -> Self {
        self.fit_oversized = yes;
        self
    }

    /// [`FaceImageParser::fit`] for a photo given as base64 text, read as
    /// [`FaceImageParser::from_base64`] reads it (a `data:` prefix, line breaks, padding) but
    /// whatever its size: `idcheck serve`'s `fit_photo`. Cargo feature `fit`.
    ///
    /// # Errors
    ///
    /// [`FaceImageError::InvalidBase64`] and the header's errors, then those of
    /// [`FaceImage::fit_within`].
    pub fn fit_base64(&self, text: &str) -> Result<FittedPhoto, FaceImageError> {
        let any_size = Self {
            max_base64_len: usize::MAX,
            ..*self
        };
        let canonical = match any_size.from_base64(text)?.payload {
            super::Payload::Base64(canonical) => canonical,
            super::Payload::Url(_) => return Err(FaceImageError::InvalidBase64 { position: 0 }),
        };
        let bytes = BASE64
            .decode(canonical.as_bytes())
            .map_err(|_| FaceImageError::InvalidBase64 { position: 0 })?;
        self.fit(&bytes)
    }

    /// [`FaceImage::fit_within`] with this parser's limit and minimum side. Cargo feature
    /// `fit`.
    ///
    /// # Errors
    ///
    /// See [`FaceImage::fit_within`].
    pub fn fit(&self, bytes: &[u8]) -> Result<FittedPhoto, FaceImageError> {
        let original = ImageInfo::sniff(bytes)?;
        let original_base64_len = bytes.len().div_ceil(3) * 4;
        if original_base64_len <= self.max_base64_len {
            return Ok(FittedPhoto {
                photo: self.accepted(BASE64.encode(bytes), original),
                bytes: bytes.to_vec(),
                original,
                original_base64_len,
                quality: None,
                oriented: false,
            });
        }
        let cap = self.max_base64_len / 4 * 3;
        // A JPEG is decoded at 1/8, 1/4 or 1/2 size when that is still larger than any size
        // that could fit; if even that reduced image fits, it is decoded again, larger.
        let mut want = first_guess(original, bytes.len(), cap, self.min_side);
        let (jpeg, quality, oriented) = loop {
            let decoded = decode(bytes, original, want)?;
            if let Some((jpeg, quality)) =
                self.shrink(&decoded.image, original.format, cap, decoded.reduced)?
            {
                break (jpeg, quality, decoded.oriented);
            }
            let (width, height) = decoded.image.dimensions();
            want = width.max(height).saturating_mul(2);
        };
        let photo = self.from_bytes(&jpeg)?;
        Ok(FittedPhoto {
            photo,
            bytes: jpeg,
            original,
            original_base64_len,
            quality: Some(quality),
            oriented,
        })
    }

    /// The JPEG and its quality: full size if possible, else the largest that fits; `None`
    /// when `image` is `reduced` (decoded smaller than the original) and a larger one may fit.
    fn shrink(
        &self,
        image: &RgbImage,
        format: ImageFormat,
        cap: usize,
        reduced: bool,
    ) -> Result<Option<(Vec<u8>, u8)>, FaceImageError> {
        if let Some(jpeg) = encode(image, MIN_QUALITY, cap) {
            return Ok((!reduced).then(|| best_quality(image, jpeg, cap)));
        }
        let (width, height) = image.dimensions();
        let (long, short) = (width.max(height), width.min(height));
        // The smallest long side whose short side, rounded, is still at least `min_side`.
        let mut min_long = u32::try_from(
            (u64::from((2 * self.min_side).saturating_sub(1)) * u64::from(long))
                .div_ceil(2 * u64::from(short)),
        )
        .unwrap_or(u32::MAX)
        .max(1);
        while min_long < long && {
            let (w, h) = scaled(width, height, min_long);
            w.min(h) < self.min_side
        } {
            min_long += 1;
        }
        if min_long >= long {
            if reduced {
                return Ok(None);
            }
            return Err(self.cannot_fit(image, format));
        }
        let mut search = Search::new(min_long, long, f64::from(long) / f64::from(short), cap);
        while let Some(candidate) = search.next_probe() {
            let (w, h) = scaled(width, height, candidate);
            // From the smallest larger probe when there is one (a small shrink), not from
            // the whole photo; the result is resampled from the photo once at the end.
            let resized = resample::shrink(search.source(candidate).unwrap_or(image), w, h);
            // At the smallest size, encode in full: the error says how large it still is.
            let probe_cap = if candidate == min_long {
                usize::MAX
            } else {
                cap.saturating_mul(4)
            };
            let jpeg = encode(&resized, MIN_QUALITY, probe_cap);
            if let Some(jpeg) = jpeg
                .as_ref()
                .filter(|j| candidate == min_long && j.len() > cap)
            {
                return Err(FaceImageError::CannotFit {
                    width: w,
                    height: h,
                    quality: MIN_QUALITY,
                    base64_len: jpeg.len().div_ceil(3) * 4,
                    min_side: self.min_side,
                    limit: self.max_base64_len,
                });
            }
            search.record(candidate, resized, jpeg);
        }
        match search.into_best() {
            Some((side, best, jpeg, direct)) => {
                if !direct {
                    let (w, h) = scaled(width, height, side);
                    let once = resample::shrink(image, w, h);
                    if let Some(jpeg) = encode(&once, MIN_QUALITY, cap) {
                        return Ok(Some(best_quality_near(&once, jpeg, cap)));
                    }
                }
                Ok(Some(best_quality_near(&best, jpeg, cap)))
            }
            None => Err(FaceImageError::CannotReencode {
                format,
                reason: "the JPEG encoder refused it",
            }),
        }
    }

    /// The error for a photo that cannot be made smaller: its full-size JPEG's size.
    fn cannot_fit(&self, image: &RgbImage, format: ImageFormat) -> FaceImageError {
        match encode(image, MIN_QUALITY, usize::MAX) {
            Some(jpeg) => FaceImageError::CannotFit {
                width: image.width(),
                height: image.height(),
                quality: MIN_QUALITY,
                base64_len: jpeg.len().div_ceil(3) * 4,
                min_side: self.min_side,
                limit: self.max_base64_len,
            },
            None => FaceImageError::CannotReencode {
                format,
                reason: "a side over 65535 px, more than a JPEG can hold",
            },
        }
    }
}

/// A photo made to fit: the [`FaceImage`] the vendor receives, the image file behind it (a
/// new JPEG, or the original bytes when they already fitted), and what was done.
///
/// `Display` says what was done, e.g. `JPEG 3000×4000, 3958312 base64 chars → JPEG 870×1160
/// q70, 102392 base64 chars`. `Debug` never shows image data.
#[derive(Clone, PartialEq, Eq)]
pub struct FittedPhoto {
    photo: FaceImage,
    bytes: Vec<u8>,
    original: ImageInfo,
    original_base64_len: usize,
    quality: Option<u8>,
    oriented: bool,
}

impl FittedPhoto {
    /// The photo, within the limit.
    #[must_use]
    pub const fn photo(&self) -> &FaceImage {
        &self.photo
    }

    /// The photo, within the limit.
    #[must_use]
    pub fn into_photo(self) -> FaceImage {
        self.photo
    }

    /// The image file: a JPEG, or the original bytes when they already fitted (then of the
    /// original's format). Write it to a file to keep the fitted photo.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The photo and the image file.
    #[must_use]
    pub fn into_parts(self) -> (FaceImage, Vec<u8>) {
        (self.photo, self.bytes)
    }

    /// Format and dimensions of the original, from its header (before any EXIF rotation).
    #[must_use]
    pub const fn original(&self) -> ImageInfo {
        self.original
    }

    /// Bytes of base64 of the original.
    #[must_use]
    pub const fn original_base64_len(&self) -> usize {
        self.original_base64_len
    }

    /// Format and dimensions of the result.
    #[must_use]
    pub fn info(&self) -> ImageInfo {
        self.photo.info.unwrap_or(self.original)
    }

    /// Bytes of base64 the vendor receives.
    #[must_use]
    pub fn base64_len(&self) -> usize {
        self.photo.base64_len().unwrap_or(self.original_base64_len)
    }

    /// The JPEG quality (1–100) of the re-encoded photo; `None` when the original already
    /// fitted and was kept.
    #[must_use]
    pub const fn quality(&self) -> Option<u8> {
        self.quality
    }

    /// Whether the original already fitted and is returned as it was.
    #[must_use]
    pub const fn is_unchanged(&self) -> bool {
        self.quality.is_none()
    }

    /// Whether the result has fewer pixels than the original.
    #[must_use]
    pub fn is_downscaled(&self) -> bool {
        let info = self.info();
        u64::from(info.width) * u64::from(info.height)
            < u64::from(self.original.width) * u64::from(self.original.height)
    }

    /// Whether the original's EXIF orientation was applied (the result is upright, and its
    /// width and height may be the original's swapped).
    #[must_use]
    pub const fn orientation_applied(&self) -> bool {
        self.oriented
    }
}

impl fmt::Display for FittedPhoto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (from, to) = (self.original, self.info());
        write!(
            f,
            "{} {}×{}, {} base64 chars",
            from.format, from.width, from.height, self.original_base64_len
        )?;
        let Some(quality) = self.quality else {
            return f.write_str(" (unchanged: already within the limit)");
        };
        write!(
            f,
            " → {} {}×{} q{quality}, {} base64 chars",
            to.format,
            to.width,
            to.height,
            self.base64_len()
        )?;
        if self.oriented {
            f.write_str(" (turned upright by its EXIF orientation)")?;
        }
        Ok(())
    }
}

impl fmt::Debug for FittedPhoto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FittedPhoto")
            .field("photo", &self.photo)
            .field("original", &self.original)
            .field("original_base64_len", &self.original_base64_len)
            .field("quality", &self.quality)
            .field("orientation_applied", &self.oriented)
            .finish_non_exhaustive()
    }
}

/// A decoded photo, upright.
struct Decoded {
    image: RgbImage,
    /// An EXIF orientation was applied.
    oriented: bool,
    /// Decoded at 1/2, 1/4 or 1/8 size (a JPEG), or halved after decoding (the others).
    reduced: bool,
}

/// The long side to decode a photo at, at least: well above the largest that could fit, by
/// a JPEG's own bytes per pixel (a JPEG re-encoded at quality 70 with 4:2:0 is seldom under
/// a quarter of a phone's quality-90 original; size goes about as the pixel count). A PNG or
/// BMP is taken for the phone JPEG it would be: 0.3 bytes a pixel.
fn first_guess(info: ImageInfo, len: usize, cap: usize, min_side: u32) -> u32 {
    let long = info.width.max(info.height);
    #[allow(clippy::cast_precision_loss)] // sizes are far below 2^52
    let len = match info.format {
        ImageFormat::Jpeg => len as f64,
        ImageFormat::Png | ImageFormat::Bmp => f64::from(info.width) * f64::from(info.height) * 0.3,
    };
    #[allow(clippy::cast_precision_loss)] // sizes are far below 2^52
    let ratio = (cap as f64 / (len / 4.0).max(1.0)).sqrt();
    to_side(f64::from(long) * ratio * 1.5).max(min_side.saturating_mul(4))
}

/// Decodes to 8-bit RGB, upright; a JPEG at the smallest of 1/8, 1/4, 1/2 or full size whose
/// long side is at least `want`.
fn decode(bytes: &[u8], info: ImageInfo, want: u32) -> Result<Decoded, FaceImageError> {
    let format = info.format;
    let refuse = |reason| FaceImageError::CannotReencode { format, reason };
    if u64::from(info.width) * u64::from(info.height) > MAX_PIXELS {
        return Err(refuse("over 64 megapixels, more than is safe to decode"));
    }
    // (No let chain: the workspace builds with Rust 1.85.)
    if format == ImageFormat::Jpeg {
        if let Some(decoded) = decode_jpeg(bytes, want)? {
            return Ok(decoded);
        }
    }
    let codec = match format {
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Bmp => image::ImageFormat::Bmp,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), codec);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| refuse(reason(&e)))?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| refuse(reason(&e)))?;
    image.apply_orientation(orientation);
    let mut image = flatten(image);
    // As a JPEG is decoded at reduced size: halved while still at least `want` (a 12 MP PNG
    // or BMP is resampled from 3 MP, and its full pixels are freed before the size search).
    let mut reduced = false;
    while image.width().max(image.height()) / 2 >= want.max(1) {
        image = halve(&image);
        reduced = true;
    }
    Ok(Decoded {
        image,
        oriented: orientation != Orientation::NoTransforms,
        reduced,
    })
}

/// Half the width and height (rounded up), each pixel the mean of the 2×2 it covers (of the
/// 2×1, 1×2 or 1×1 left at an odd edge).
fn halve(image: &RgbImage) -> RgbImage {
    let (width, height) = image.dimensions();
    let (half_width, half_height) = (width.div_ceil(2), height.div_ceil(2));
    let stride = width as usize * 3;
    let mut out = Vec::with_capacity(half_width as usize * half_height as usize * 3);
    for pair in image.as_raw().chunks(2 * stride) {
        let (top, bottom) = pair.split_at(stride.min(pair.len()));
        let bottom = if bottom.is_empty() { top } else { bottom };
        let mut top_pixels = top.chunks_exact(6);
        let mut bottom_pixels = bottom.chunks_exact(6);
        for (t, b) in (&mut top_pixels).zip(&mut bottom_pixels) {
            for c in 0..3 {
                let sum =
                    u16::from(t[c]) + u16::from(t[c + 3]) + u16::from(b[c]) + u16::from(b[c + 3]);
                out.push(u8::try_from((sum + 2) / 4).unwrap_or(u8::MAX));
            }
        }
        // An odd width: the last column's pixel alone in its row pair.
        let (t, b) = (top_pixels.remainder(), bottom_pixels.remainder());
        if t.len() == 3 && b.len() == 3 {
            for c in 0..3 {
                let sum = u16::from(t[c]) + u16::from(b[c]);
                out.push(u8::try_from(sum.div_ceil(2)).unwrap_or(u8::MAX));
            }
        }
    }
    RgbImage::from_raw(half_width, half_height, out).unwrap_or_else(|| image.clone())
}

/// A JPEG decoded at reduced size in the DCT domain; `None` for what this decoder leaves to
/// the general one (CMYK, 16-bit).
fn decode_jpeg(bytes: &[u8], want: u32) -> Result<Option<Decoded>, FaceImageError> {
    let refuse = |reason| FaceImageError::CannotReencode {
        format: ImageFormat::Jpeg,
        reason,
    };
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.set_max_decoding_buffer_size(usize::try_from(MAX_DECODE_BYTES).unwrap_or(usize::MAX));
    decoder.read_info().map_err(|e| refuse(jpeg_reason(&e)))?;
    let Some(header) = decoder.info() else {
        return Err(refuse("the image data is corrupt"));
    };
    let rgb = match header.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => true,
        jpeg_decoder::PixelFormat::L8 => false,
        _ => return Ok(None),
    };
    let (width, height) = (u32::from(header.width), u32::from(header.height));
    let long = width.max(height);
    let mut reduced = false;
    if want < long {
        let side = |s: u32| {
            u16::try_from((u64::from(s) * u64::from(want)).div_ceil(u64::from(long)))
                .unwrap_or(u16::MAX)
        };
        let (w, _) = decoder
            .scale(side(width), side(height))
            .map_err(|e| refuse(jpeg_reason(&e)))?;
        reduced = u32::from(w) < width;
    }
    let pixels = decoder.decode().map_err(|e| refuse(jpeg_reason(&e)))?;
    let Some(header) = decoder.info() else {
        return Err(refuse("the image data is corrupt"));
    };
    let (w, h) = (u32::from(header.width), u32::from(header.height));
    let pixels = if rgb {
        pixels
    } else {
        pixels.iter().flat_map(|&l| [l; 3]).collect()
    };
    let Some(image) = RgbImage::from_raw(w, h, pixels) else {
        return Err(refuse("the image data is corrupt"));
    };
    let orientation = decoder
        .exif_data()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    let image = if orientation == Orientation::NoTransforms {
        image
    } else {
        let mut image = DynamicImage::ImageRgb8(image);
        image.apply_orientation(orientation);
        image.into_rgb8()
    };
    Ok(Some(Decoded {
        image,
        oriented: orientation != Orientation::NoTransforms,
        reduced,
    }))
}

/// A short reason for a JPEG decoding error (the decoder's own text may quote the data).
fn jpeg_reason(error: &jpeg_decoder::Error) -> &'static str {
    match error {
        jpeg_decoder::Error::Unsupported(_) => {
            "a variant of the format the decoder does not support"
        }
        jpeg_decoder::Error::Io(_) => "the image data is truncated",
        _ => "the image data is corrupt",
    }
}

/// A short reason for a decoding error (the decoder's own text may quote the data).
fn reason(error: &ImageError) -> &'static str {
    match error {
        ImageError::Limits(_) => "too large to decode safely",
        ImageError::Unsupported(_) => "a variant of the format the decoder does not support",
        ImageError::IoError(_) => "the image data is truncated",
        _ => "the image data is corrupt",
    }
}

/// 8-bit RGB, any transparency composed onto white (JPEG has none; white, not black, is what
/// a viewer shows behind a transparent ID photo).
fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut out = RgbImage::new(rgba.width(), rgba.height());
    for (from, to) in rgba.pixels().zip(out.pixels_mut()) {
        let [r, g, b, a] = from.0;
        let a = u16::from(a);
        let over_white =
            |c: u8| u8::try_from((u16::from(c) * a + 255 * (255 - a) + 127) / 255).unwrap_or(255);
        to.0 = [over_white(r), over_white(g), over_white(b)];
    }
    out
}

/// The JPEG of `image` at `quality`, or `None` as soon as it grows over `cap` bytes (or if
/// the encoder refuses the image), so that a hopeless try costs little.
fn encode(image: &RgbImage, quality: u8, cap: usize) -> Option<Vec<u8>> {
    let width = u16::try_from(image.width()).ok()?;
    let height = u16::try_from(image.height()).ok()?;
    let mut out = Capped {
        bytes: Vec::with_capacity(cap.min(1 << 20)),
        cap,
    };
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    // Colour at half resolution both ways, as cameras and libjpeg do by default: about a
    // third more pixels in the same bytes than full-resolution colour.
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    encoder
        .encode(image.as_raw(), width, height, jpeg_encoder::ColorType::Rgb)
        .ok()?;
    Some(out.bytes)
}

/// A `Vec` that refuses to grow past `cap` bytes.
struct Capped {
    bytes: Vec<u8>,
    cap: usize,
}

impl Write for Capped {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.bytes.len().saturating_add(data.len()) > self.cap {
            return Err(io::Error::new(io::ErrorKind::FileTooLarge, "over the cap"));
        }
        self.bytes.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// [`best_quality`] for an image sized so that its JPEG at `MIN_QUALITY` is just within
/// `cap` (to the search's 1.5 %): a step or two up is all that can fit, so the qualities are
/// tried upwards one by one (each failure costs a whole encode), a bisection only if more fit.
fn best_quality_near(image: &RgbImage, at_min: Vec<u8>, cap: usize) -> (Vec<u8>, u8) {
    let (mut best, mut fits) = (at_min, MIN_QUALITY);
    while fits < MIN_QUALITY + 3 {
        match encode(image, fits + 1, cap) {
            Some(jpeg) => (best, fits) = (jpeg, fits + 1),
            None => return (best, fits),
        }
    }
    bisect_quality(image, best, fits, cap)
}

/// The highest quality from `MAX_QUALITY` down whose JPEG is within `cap`, given the JPEG at
/// `MIN_QUALITY`, which is.
fn best_quality(image: &RgbImage, at_min: Vec<u8>, cap: usize) -> (Vec<u8>, u8) {
    bisect_quality(image, at_min, MIN_QUALITY, cap)
}

/// The highest quality from `MAX_QUALITY` down to `fits` whose JPEG is within `cap`, given
/// `at_fits`, the JPEG at `fits`, which is.
fn bisect_quality(image: &RgbImage, at_fits: Vec<u8>, fits: u8, cap: usize) -> (Vec<u8>, u8) {
    if let Some(jpeg) = encode(image, MAX_QUALITY, cap) {
        return (jpeg, MAX_QUALITY);
    }
    // Size grows with quality (not strictly, so this finds a good one, maybe not the best).
    let (mut best, mut fits, mut over) = (at_fits, fits, MAX_QUALITY);
    while over - fits > 1 {
        let quality = fits + (over - fits) / 2;
        match encode(image, quality, cap) {
            Some(jpeg) => (best, fits) = (jpeg, quality),
            None => over = quality,
        }
    }
    (best, fits)
}

/// Width and height with a long side of `long` pixels and the aspect ratio of
/// `width`×`height` (the short side rounded to the nearest pixel, at least 1).
fn scaled(width: u32, height: u32, long: u32) -> (u32, u32) {
    let (big, small) = (u64::from(width.max(height)), u64::from(width.min(height)));
    let short = (2 * small * u64::from(long) + big) / (2 * big);
    let short = u32::try_from(short).unwrap_or(u32::MAX).max(1);
    if width >= height {
        (long, short)
    } else {
        (short, long)
    }
}

/// Search for the largest long side whose JPEG at `MIN_QUALITY` fits: each probe aimed by a
/// power law of size against side (bytes ≈ k·side^γ) through the nearest probes, kept inside
/// the bracket, bisecting when the model stops narrowing it. Usually 4–6 probes.
struct Search {
    min_long: u32,
    /// Long side over short side.
    aspect: f64,
    cap: usize,
    /// Sides tried whose JPEG size is known.
    sizes: Vec<(u32, usize)>,
    /// The largest side known to fit, its image and JPEG, and whether that image was
    /// resampled from the photo itself (not from a larger probe).
    fits: Option<(u32, RgbImage, Vec<u8>, bool)>,
    /// The smallest side known not to fit that has an image, and the image.
    over_image: Option<(u32, RgbImage)>,
    /// The smallest side known not to fit.
    over: u32,
    /// Width of the bracket before the last probe, to notice slow progress.
    last_width: u32,
    /// Probes in a row that did not halve the bracket.
    slow: u32,
}

impl Search {
    fn new(min_long: u32, long: u32, aspect: f64, cap: usize) -> Self {
        Self {
            min_long,
            aspect,
            cap,
            sizes: Vec::new(),
            fits: None,
            over_image: None,
            over: long,
            last_width: u32::MAX,
            slow: 0,
        }
    }

    /// The next long side to try, `None` once the bracket is narrow enough (1.5 %).
    fn next_probe(&mut self) -> Option<u32> {
        // Below `low` nothing needs trying: it fits, or it is under the minimum.
        let low = self
            .fits
            .as_ref()
            .map_or(self.min_long - 1, |(side, _, _, _)| *side);
        if self.over <= self.min_long {
            return None; // not even the smallest fits (reported by the caller)
        }
        let width = self.over - low;
        let tolerance = (low / 64).max(1);
        if self.fits.is_some() && width <= tolerance {
            return None;
        }
        // Bisect after two probes in a row that did not halve the bracket.
        self.slow = if u64::from(width) * 2 > u64::from(self.last_width) {
            self.slow + 1
        } else {
            0
        };
        self.last_width = width;
        let candidate = if self.slow >= 2 {
            self.slow = 0;
            low + width / 2
        } else {
            to_side(self.model())
        };
        if self.fits.is_none() && candidate <= self.min_long {
            return Some(self.min_long); // only the smallest may fit: try it
        }
        // Keep clear of the bracket's ends, so that each probe narrows it: near the answer,
        // a probe one tolerance above the largest fit or below the smallest miss closes it.
        let margin = tolerance.max(width / 16);
        let lowest = (low + margin).max(self.min_long);
        let highest = self.over.saturating_sub(margin);
        Some(
            if lowest <= highest {
                candidate.clamp(lowest, highest)
            } else {
                low + width / 2
            }
            .max(self.min_long),
        )
    }

    /// Where the power law through the probes nearest the limit reaches it.
    #[allow(clippy::cast_precision_loss)] // sizes are far below 2^52
    fn model(&self) -> f64 {
        let cap = self.cap as f64;
        let below = self.nearest(|len| len <= self.cap);
        let above = self.nearest(|len| len > self.cap);
        let (anchor, other) = match (below, above) {
            (Some(a), Some(b)) => (a, Some(b)),
            (Some(a), None) | (None, Some(a)) => {
                (a, self.sizes.iter().copied().find(|&(side, _)| side != a.0))
            }
            // Nothing measured yet: guess 0.06 bytes a pixel (photos at quality 70 with 4:2:0:
            // 0.05–0.3), on the large side, so that later probes shrink this one, not the photo.
            (None, None) => return (cap / 0.06 * self.aspect).sqrt(),
        };
        let (side, len) = (f64::from(anchor.0), anchor.1 as f64);
        // Size grows about as the pixel count (γ = 2); faster for noise that shrinking
        // averages away, slower for detail that shrinking packs closer.
        let gamma = other.map_or(2.0, |(other_side, other_len)| {
            let gamma = (other_len as f64 / len).ln() / (f64::from(other_side) / side).ln();
            if gamma.is_finite() {
                gamma.clamp(1.2, 4.0)
            } else {
                2.0
            }
        });
        side * (cap / len.max(1.0)).powf(1.0 / gamma)
    }

    /// The probe with a known size meeting `test` whose size is nearest the limit.
    fn nearest(&self, test: impl Fn(usize) -> bool) -> Option<(u32, usize)> {
        self.sizes
            .iter()
            .copied()
            .filter(|&(_, len)| test(len))
            .min_by_key(|&(_, len)| len.abs_diff(self.cap))
    }

    /// The image to resample a probe of long side `side` from: the smallest larger probe.
    fn source(&self, side: u32) -> Option<&RgbImage> {
        self.over_image
            .as_ref()
            .filter(|(over, _)| *over > side)
            .map(|(_, image)| image)
    }

    fn record(&mut self, side: u32, image: RgbImage, jpeg: Option<Vec<u8>>) {
        if let Some(jpeg) = &jpeg {
            self.sizes.push((side, jpeg.len()));
        }
        let direct = self.source(side).is_none();
        match jpeg {
            Some(jpeg) if jpeg.len() <= self.cap => {
                if self
                    .fits
                    .as_ref()
                    .is_none_or(|(best, _, _, _)| side > *best)
                {
                    self.fits = Some((side, image, jpeg, direct));
                }
            }
            _ => {
                self.over = self.over.min(side);
                if direct
                    && self
                        .over_image
                        .as_ref()
                        .is_none_or(|(over, _)| side < *over)
                {
                    self.over_image = Some((side, image));
                }
            }
        }
    }

    /// The largest side that fits, its image and JPEG, and whether the image was resampled
    /// from the photo itself.
    fn into_best(self) -> Option<(u32, RgbImage, Vec<u8>, bool)> {
        self.fits
    }
}

/// A side in pixels from a model's estimate (clamped by the caller).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn to_side(side: f64) -> u32 {
    if side.is_finite() {
        side.clamp(1.0, f64::from(u32::MAX)) as u32
    } else {
        u32::MAX
    }
}

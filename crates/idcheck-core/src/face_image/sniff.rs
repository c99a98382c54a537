//! Format and dimensions from the first bytes of an image, without decoding pixels.
//!
//! The sniffer reads through [`ByteSource`], at offsets that only grow, so that a base64 source
//! decodes only the bytes the header needs and skips the rest (EXIF, ICC profiles, thumbnails)
//! by counting characters.

use base64::Engine as _;

use super::{ImageFormat, ImageInfo, UnsupportedFormat};
use crate::FaceImageError;

/// Base64 as the vendor reads it: the standard alphabet, padding optional.
pub(super) const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// Random access (forward only) to the bytes of an image.
pub(super) trait ByteSource {
    /// Copies the bytes at `offset..` into `out`; returns how many there were (fewer than
    /// `out.len()` only at the end of the data).
    fn read_at(&mut self, offset: usize, out: &mut [u8]) -> Result<usize, FaceImageError>;
}

impl ByteSource for &[u8] {
    fn read_at(&mut self, offset: usize, out: &mut [u8]) -> Result<usize, FaceImageError> {
        let available = self.get(offset..).unwrap_or_default();
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        Ok(n)
    }
}

/// Base64 text (whitespace allowed anywhere) read as the bytes it encodes.
pub(super) struct Base64Source<'a> {
    text: &'a [u8],
    /// Characters of the original input before `text`, for error positions.
    text_start: usize,
    /// Index in `text` of the first character of group `group` (a group is 4 characters,
    /// 3 bytes).
    cursor: usize,
    group: usize,
}

impl<'a> Base64Source<'a> {
    pub(super) fn new(text: &'a str, text_start: usize) -> Self {
        Self {
            text: text.as_bytes(),
            text_start,
            cursor: 0,
            group: 0,
        }
    }

    /// Moves the cursor forward to the start of `group`, skipping whitespace.
    fn seek_group(&mut self, group: usize) {
        let mut to_skip = (group - self.group) * 4;
        // Jump over `to_skip` characters at once, then over as many more as there were
        // whitespace characters among them; the count vectorises, so skipping a 64 KiB EXIF
        // segment costs microseconds.
        while to_skip > 0 && self.cursor < self.text.len() {
            let end = (self.cursor + to_skip).min(self.text.len());
            let whitespace = self.text[self.cursor..end]
                .iter()
                .filter(|b| b.is_ascii_whitespace())
                .count();
            to_skip -= (end - self.cursor) - whitespace;
            self.cursor = end;
        }
        // Land on a significant character, so the group's start is exact.
        while self.cursor < self.text.len() && self.text[self.cursor].is_ascii_whitespace() {
            self.cursor += 1;
        }
        self.group = group;
    }
}

impl ByteSource for Base64Source<'_> {
    fn read_at(&mut self, offset: usize, out: &mut [u8]) -> Result<usize, FaceImageError> {
        const MAX_READ: usize = 32;
        debug_assert!(out.len() <= MAX_READ);
        let first_group = offset / 3;
        if first_group < self.group {
            // Offsets only grow in the sniffers; going back would need a rescan.
            return Err(FaceImageError::InvalidBase64 { position: 0 });
        }
        self.seek_group(first_group);
        let groups = (offset % 3 + out.len()).div_ceil(3);
        let mut chars = [0u8; (MAX_READ / 3 + 2) * 4];
        let mut positions = [0usize; (MAX_READ / 3 + 2) * 4];
        let mut n = 0;
        let mut at = self.cursor;
        while n < groups * 4 && at < self.text.len() {
            let c = self.text[at];
            if !c.is_ascii_whitespace() {
                chars[n] = c;
                positions[n] = at;
                n += 1;
            }
            at += 1;
        }
        let mut decoded = [0u8; (MAX_READ / 3 + 2) * 3];
        let written = BASE64
            .decode_slice(&chars[..n], &mut decoded)
            .map_err(|e| self.error_at(&e, &positions[..n]))?;
        let skip = offset % 3;
        let available = written.saturating_sub(skip).min(out.len());
        out[..available].copy_from_slice(&decoded[skip..skip + available]);
        Ok(available)
    }
}

impl Base64Source<'_> {
    fn error_at(&self, error: &base64::DecodeSliceError, positions: &[usize]) -> FaceImageError {
        let index = match error {
            base64::DecodeSliceError::DecodeError(
                base64::DecodeError::InvalidByte(i, _)
                | base64::DecodeError::InvalidLastSymbol(i, _),
            ) => Some(*i),
            base64::DecodeSliceError::DecodeError(base64::DecodeError::InvalidPadding) => {
                positions.len().checked_sub(1)
            }
            _ => None,
        };
        let position = index
            .and_then(|i| positions.get(i))
            .map_or(0, |&p| self.char_position(p));
        FaceImageError::InvalidBase64 { position }
    }

    /// 1-based character position in the original input of byte `index` of `text`.
    fn char_position(&self, index: usize) -> usize {
        // Base64 text before an invalid byte is ASCII, so bytes and characters agree, except
        // when the invalid byte starts a multi-byte character.
        self.text_start + String::from_utf8_lossy(&self.text[..index]).chars().count() + 1
    }
}

fn read_exact(
    source: &mut impl ByteSource,
    offset: usize,
    out: &mut [u8],
    format: ImageFormat,
) -> Result<(), FaceImageError> {
    if source.read_at(offset, out)? == out.len() {
        Ok(())
    } else {
        Err(FaceImageError::Truncated { format })
    }
}

const PNG_MAGIC: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];

/// Identifies the format and reads width and height from the header.
pub(super) fn sniff(source: &mut impl ByteSource) -> Result<ImageInfo, FaceImageError> {
    let mut head = [0u8; 16];
    let n = source.read_at(0, &mut head)?;
    let head = &head[..n];
    if head.is_empty() {
        return Err(FaceImageError::Empty);
    }
    if head.starts_with(&[0xFF, 0xD8]) {
        return sniff_jpeg(source);
    }
    if head.len() >= 2 && PNG_MAGIC.starts_with(&head[..head.len().min(8)]) {
        return sniff_png(source);
    }
    if head.starts_with(b"BM") {
        return sniff_bmp(source);
    }
    let unsupported = if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some(UnsupportedFormat::Gif)
    } else if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        Some(UnsupportedFormat::WebP)
    } else if head.get(4..8) == Some(b"ftyp") {
        iso_bmff_brand(source)?
    } else if [b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"]
        .iter()
        .any(|magic| head.starts_with(*magic))
    {
        Some(UnsupportedFormat::Tiff)
    } else {
        None
    };
    match unsupported {
        Some(format) => Err(FaceImageError::UnsupportedFormat { format }),
        None => Err(FaceImageError::UnrecognizedFormat),
    }
}

/// HEIC or AVIF from the `ftyp` box's major and compatible brands; `None` for other ISO
/// media files (MP4, MOV, JPEG 2000 …).
fn iso_bmff_brand(
    source: &mut impl ByteSource,
) -> Result<Option<UnsupportedFormat>, FaceImageError> {
    let mut ftyp = [0u8; 32];
    let n = source.read_at(0, &mut ftyp)?;
    let box_len = usize::try_from(u32::from_be_bytes([ftyp[0], ftyp[1], ftyp[2], ftyp[3]]))
        .unwrap_or(usize::MAX)
        .min(n);
    let brands = ftyp[8..box_len.max(8)]
        .chunks_exact(4)
        .enumerate()
        .filter(|&(i, _)| i != 1) // the minor version, not a brand
        .map(|(_, brand)| brand);
    let mut found = None;
    for brand in brands {
        match brand {
            b"avif" | b"avis" => return Ok(Some(UnsupportedFormat::Avif)),
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"hevm" | b"hevs"
            | b"mif1" | b"msf1" => found = Some(UnsupportedFormat::Heic),
            _ => {}
        }
    }
    Ok(found)
}

fn sniff_jpeg(source: &mut impl ByteSource) -> Result<ImageInfo, FaceImageError> {
    const F: ImageFormat = ImageFormat::Jpeg;
    let corrupt = |reason| FaceImageError::Corrupt { format: F, reason };
    let mut pos = 2;
    loop {
        let mut byte = [0u8; 1];
        read_exact(source, pos, &mut byte, F)?;
        if byte[0] != 0xFF {
            return Err(corrupt("expected a marker"));
        }
        // Any number of 0xFF fill bytes may precede a marker.
        while byte[0] == 0xFF {
            pos += 1;
            read_exact(source, pos, &mut byte, F)?;
        }
        let marker = byte[0];
        pos += 1;
        match marker {
            // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC): the frame header.
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                let mut sof = [0u8; 7];
                read_exact(source, pos, &mut sof, F)?;
                let height = u32::from(u16::from_be_bytes([sof[3], sof[4]]));
                let width = u32::from(u16::from_be_bytes([sof[5], sof[6]]));
                if u16::from_be_bytes([sof[0], sof[1]]) < 8 {
                    return Err(corrupt("frame header shorter than 8 bytes"));
                }
                if height == 0 {
                    return Err(corrupt(
                        "height 0 (deferred to a DNL marker, which vendors do not read)",
                    ));
                }
                if width == 0 {
                    return Err(corrupt("width 0"));
                }
                return Ok(ImageInfo {
                    format: F,
                    width,
                    height,
                });
            }
            0xD8..=0xDA => return Err(corrupt("no frame header before the image data")),
            // Standalone markers: no length follows.
            0x01 | 0xD0..=0xD7 => {}
            0x00 => return Err(corrupt("stuffed zero byte where a marker should be")),
            _ => {
                let mut len = [0u8; 2];
                read_exact(source, pos, &mut len, F)?;
                let len = usize::from(u16::from_be_bytes(len));
                if len < 2 {
                    return Err(corrupt("segment length below 2"));
                }
                pos += len;
            }
        }
    }
}

fn sniff_png(source: &mut impl ByteSource) -> Result<ImageInfo, FaceImageError> {
    const F: ImageFormat = ImageFormat::Png;
    let corrupt = |reason| FaceImageError::Corrupt { format: F, reason };
    let mut header = [0u8; 24];
    read_exact(source, 0, &mut header, F)?;
    if header[..8] != PNG_MAGIC {
        return Err(corrupt("bad signature"));
    }
    if &header[12..16] != b"IHDR" {
        return Err(corrupt("first chunk is not IHDR"));
    }
    let width = u32::from_be_bytes([header[16], header[17], header[18], header[19]]);
    let height = u32::from_be_bytes([header[20], header[21], header[22], header[23]]);
    // PNG limits both to 2^31 - 1.
    if width == 0 || height == 0 || width > i32::MAX as u32 || height > i32::MAX as u32 {
        return Err(corrupt("width or height out of range"));
    }
    Ok(ImageInfo {
        format: F,
        width,
        height,
    })
}

fn sniff_bmp(source: &mut impl ByteSource) -> Result<ImageInfo, FaceImageError> {
    const F: ImageFormat = ImageFormat::Bmp;
    let corrupt = |reason| FaceImageError::Corrupt { format: F, reason };
    let mut header = [0u8; 26];
    let n = source.read_at(0, &mut header)?;
    if n < 18 {
        return Err(FaceImageError::Truncated { format: F });
    }
    let dib_size = u32::from_le_bytes([header[14], header[15], header[16], header[17]]);
    let (width, height) = match dib_size {
        // BITMAPCOREHEADER (OS/2 1.x): unsigned 16-bit sizes.
        12 => {
            if n < 22 {
                return Err(FaceImageError::Truncated { format: F });
            }
            (
                i64::from(u16::from_le_bytes([header[18], header[19]])),
                i64::from(u16::from_le_bytes([header[20], header[21]])),
            )
        }
        // BITMAPINFOHEADER, its V2/V3 extensions, OS/2 2.x, V4 and V5: signed 32-bit sizes,
        // a negative height meaning top-down rows.
        40 | 52 | 56 | 64 | 108 | 124 => {
            if n < 26 {
                return Err(FaceImageError::Truncated { format: F });
            }
            (
                i64::from(i32::from_le_bytes([
                    header[18], header[19], header[20], header[21],
                ])),
                i64::from(i32::from_le_bytes([
                    header[22], header[23], header[24], header[25],
                ])),
            )
        }
        _ => return Err(corrupt("unknown DIB header size")),
    };
    let (Ok(width), Ok(height)) = (u32::try_from(width), u32::try_from(height.abs())) else {
        return Err(corrupt("negative width"));
    };
    if width == 0 || height == 0 {
        return Err(corrupt("width or height 0"));
    }
    Ok(ImageInfo {
        format: F,
        width,
        height,
    })
}

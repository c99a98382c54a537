//! Face photos for the face-verification vendor: format, dimensions and size, checked offline.

#[cfg(feature = "fit")]
mod fit;
#[cfg(feature = "fit")]
mod resample;
mod sniff;

use std::fmt;

use base64::Engine as _;

use crate::FaceImageError;
use sniff::{BASE64, Base64Source, sniff};

#[cfg(feature = "fit")]
pub use fit::FittedPhoto;

/// The vendor's limit on the base64 text of a photo ("大小限制100k以内"), in bytes.
pub const DEFAULT_MAX_BASE64_LEN: usize = 102_400;

/// Below this width or height (pixels) face-quality checks usually fail; a warning, not an error.
pub const DEFAULT_MIN_SIDE: u32 = 100;

/// URLs longer than this are refused: gateways and vendors truncate or reject them.
const MAX_URL_LEN: usize = 2048;

/// An image format the vendor accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImageFormat {
    /// JPEG (baseline or progressive); the vendor's recommendation.
    Jpeg,
    /// PNG.
    Png,
    /// Windows bitmap.
    Bmp,
}

impl ImageFormat {
    /// The usual name, e.g. `JPEG`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::Bmp => "BMP",
        }
    }

    /// The MIME type, e.g. `image/jpeg`.
    #[must_use]
    pub const fn mime_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Bmp => "image/bmp",
        }
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An image format recognised but not accepted by the vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnsupportedFormat {
    /// GIF.
    Gif,
    /// WebP.
    WebP,
    /// HEIC / HEIF (iPhone photos).
    Heic,
    /// AVIF.
    Avif,
    /// TIFF.
    Tiff,
}

impl UnsupportedFormat {
    /// The usual name, e.g. `HEIC`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Gif => "GIF",
            Self::WebP => "WebP",
            Self::Heic => "HEIC",
            Self::Avif => "AVIF",
            Self::Tiff => "TIFF",
        }
    }
}

impl fmt::Display for UnsupportedFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an image's header says: format and size in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ImageInfo {
    format: ImageFormat,
    width: u32,
    height: u32,
}

impl ImageInfo {
    /// Reads format and dimensions from the header of raw image bytes, without decoding pixels:
    /// the cost depends on the header, not on the image.
    ///
    /// # Errors
    ///
    /// [`FaceImageError::Empty`], `UnsupportedFormat`, `UnrecognizedFormat`, `Truncated` or
    /// `Corrupt`.
    pub fn sniff(bytes: &[u8]) -> Result<Self, FaceImageError> {
        sniff(&mut { bytes })
    }

    /// Like [`ImageInfo::sniff`], from base64 text (a `data:image/…;base64,` prefix and line
    /// breaks allowed), decoding only the characters that encode the header.
    ///
    /// # Errors
    ///
    /// As [`ImageInfo::sniff`], and `InvalidBase64` for a bad character in the header.
    pub fn sniff_base64(text: &str) -> Result<Self, FaceImageError> {
        let (payload, start) = base64_payload(text)?;
        sniff(&mut Base64Source::new(payload, start))
    }

    /// The format.
    #[must_use]
    pub const fn format(&self) -> ImageFormat {
        self.format
    }

    /// Width in pixels.
    #[must_use]
    pub const fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels (positive, also for top-down BMPs).
    #[must_use]
    pub const fn height(&self) -> u32 {
        self.height
    }
}

/// Something worth knowing about an accepted photo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PhotoWarning {
    /// Smaller than the recommended minimum on at least one side; the vendor will probably
    /// answer "photo quality" (-4), which is billed.
    SmallerThanRecommended {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The recommended minimum for each side.
        min_side: u32,
    },
}

impl fmt::Display for PhotoWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SmallerThanRecommended {
                width,
                height,
                min_side,
            } => write!(
                f,
                "{width}×{height} px is below the recommended {min_side}×{min_side}: face-quality checks may fail"
            ),
        }
    }
}

/// What the vendor receives in its `image` parameter.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PhotoPayload<'a> {
    /// Canonical base64: standard alphabet, padded, no prefix, no line breaks.
    Base64(&'a str),
    /// An `http(s)` URL the vendor fetches itself.
    Url(&'a str),
}

impl fmt::Debug for PhotoPayload<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Base64(text) => write!(f, "Base64({} bytes)", text.len()),
            Self::Url(url) => write!(f, "Url({:?})", url_origin(url)),
        }
    }
}

/// Builds [`FaceImage`]s with a chosen size limit; [`FaceImage`]'s constructors use the
/// defaults ([`DEFAULT_MAX_BASE64_LEN`], [`DEFAULT_MIN_SIDE`]).
#[derive(Clone, Copy, Debug)]
pub struct FaceImageParser {
    max_base64_len: usize,
    min_side: u32,
    /// Re-encode image files over the limit instead of refusing them (feature `fit`).
    #[cfg_attr(not(feature = "fit"), allow(dead_code))]
    fit_oversized: bool,
}

impl Default for FaceImageParser {
    fn default() -> Self {
        Self::new()
    }
}

impl FaceImageParser {
    /// The vendor's defaults.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_base64_len: DEFAULT_MAX_BASE64_LEN,
            min_side: DEFAULT_MIN_SIDE,
            fit_oversized: false,
        }
    }

    /// The largest base64 text (bytes) the vendor accepts.
    #[must_use]
    pub const fn max_base64_len(mut self, bytes: usize) -> Self {
        self.max_base64_len = bytes;
        self
    }

    /// The smallest width and height (pixels) that does not raise a warning.
    #[must_use]
    pub const fn min_side(mut self, pixels: u32) -> Self {
        self.min_side = pixels;
        self
    }

    /// A photo from raw image bytes (a JPEG, PNG or BMP file's contents).
    ///
    /// # Errors
    ///
    /// Format errors first, then [`FaceImageError::TooLargeImage`].
    pub fn from_bytes(&self, bytes: &[u8]) -> Result<FaceImage, FaceImageError> {
        let info = ImageInfo::sniff(bytes)?;
        let base64_len = bytes.len().div_ceil(3) * 4;
        #[cfg(feature = "fit")]
        if self.fit_oversized && base64_len > self.max_base64_len {
            let plain = Self {
                fit_oversized: false,
                ..*self
            };
            return plain.fit(bytes).map(fit::FittedPhoto::into_photo);
        }
        self.check_size(base64_len, bytes.len(), info)?;
        Ok(self.accepted(BASE64.encode(bytes), info))
    }

    /// A photo from base64 text, with or without a `data:image/…;base64,` prefix, with or
    /// without line breaks and padding. Only the header is decoded before the size check, so a
    /// multi-megabyte photo is refused in time proportional to a scan of its text.
    ///
    /// # Errors
    ///
    /// Format errors first (from the header), then [`FaceImageError::TooLargeImage`], then
    /// [`FaceImageError::InvalidBase64`] for a bad character anywhere.
    pub fn from_base64(&self, text: &str) -> Result<FaceImage, FaceImageError> {
        let (payload, start) = base64_payload(text)?;
        let info = sniff(&mut Base64Source::new(payload, start))?;
        let significant = if payload.len() <= self.max_base64_len {
            payload.len() // an upper bound, enough to pass
        } else {
            payload.bytes().filter(|b| !b.is_ascii_whitespace()).count()
        };
        if significant > self.max_base64_len {
            #[cfg(feature = "fit")]
            if self.fit_oversized {
                let plain = Self {
                    fit_oversized: false,
                    ..*self
                };
                return plain.fit_base64(text).map(fit::FittedPhoto::into_photo);
            }
            let padding = payload
                .bytes()
                .rev()
                .filter(|b| !b.is_ascii_whitespace())
                .take(2)
                .filter(|&b| b == b'=')
                .count();
            let base64_len = significant.div_ceil(4) * 4;
            let raw_len = (significant - padding) * 3 / 4;
            self.check_size(base64_len, raw_len, info)?;
        }
        let mut canonical = String::with_capacity(payload.len() + 3);
        canonical.extend(payload.chars().filter(|c| !c.is_ascii_whitespace()));
        let raw = BASE64.decode(canonical.as_bytes()).map_err(|e| {
            let index = match e {
                base64::DecodeError::InvalidByte(i, _)
                | base64::DecodeError::InvalidLastSymbol(i, _) => Some(i),
                base64::DecodeError::InvalidLength(_) | base64::DecodeError::InvalidPadding => {
                    canonical.len().checked_sub(1)
                }
            };
            FaceImageError::InvalidBase64 {
                position: index.map_or(0, |i| significant_position(payload, start, i)),
            }
        })?;
        // Pad to whole groups: the vendor's decoder may insist on it.
        while canonical.len() % 4 != 0 {
            canonical.push('=');
        }
        self.check_size(canonical.len(), raw.len(), info)?;
        Ok(self.accepted(canonical, info))
    }

    /// A photo the vendor fetches from a URL: checked for syntax only and passed through.
    ///
    /// # Errors
    ///
    /// [`FaceImageError::Empty`] or [`FaceImageError::InvalidUrl`].
    pub fn from_url(&self, url: &str) -> Result<FaceImage, FaceImageError> {
        let url = url.trim();
        check_url(url)?;
        Ok(FaceImage {
            payload: Payload::Url(url.to_owned()),
            info: None,
            warning: None,
        })
    }

    fn check_size(
        &self,
        base64_len: usize,
        raw_len: usize,
        info: ImageInfo,
    ) -> Result<(), FaceImageError> {
        if base64_len > self.max_base64_len {
            Err(FaceImageError::TooLargeImage {
                info,
                base64_len,
                raw_len,
                limit: self.max_base64_len,
            })
        } else {
            Ok(())
        }
    }

    fn accepted(&self, base64: String, info: ImageInfo) -> FaceImage {
        let small = info.width < self.min_side || info.height < self.min_side;
        FaceImage {
            payload: Payload::Base64(base64),
            info: Some(info),
            warning: small.then_some(PhotoWarning::SmallerThanRecommended {
                width: info.width,
                height: info.height,
                min_side: self.min_side,
            }),
        }
    }
}

/// Strips surrounding whitespace and a `data:…;base64,` prefix; returns the base64 text and
/// the number of characters before it in the input.
fn base64_payload(text: &str) -> Result<(&str, usize), FaceImageError> {
    let trimmed = text.trim_start();
    let mut skipped = text.len() - trimmed.len();
    let mut payload = trimmed.trim_end();
    if payload
        .get(..5)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("data:"))
    {
        let comma = payload
            .find(',')
            .ok_or(FaceImageError::InvalidBase64 { position: 0 })?;
        let is_base64 =
            comma >= 7 && payload.as_bytes()[comma - 7..comma].eq_ignore_ascii_case(b";base64");
        if !is_base64 {
            // A data URL that is not base64 (percent-encoded bytes): not what the vendor takes.
            return Err(FaceImageError::InvalidBase64 {
                position: text[..skipped].chars().count() + payload[..comma].chars().count() + 1,
            });
        }
        skipped += comma + 1;
        payload = &payload[comma + 1..];
    }
    if payload.trim_start().is_empty() {
        return Err(FaceImageError::Empty);
    }
    Ok((payload, text[..skipped].chars().count()))
}

/// 1-based character position in the input of the `index`-th non-whitespace byte of `payload`.
fn significant_position(payload: &str, start: usize, index: usize) -> usize {
    let byte = payload
        .bytes()
        .enumerate()
        .filter(|(_, b)| !b.is_ascii_whitespace())
        .nth(index)
        .map_or(payload.len(), |(i, _)| i);
    start + payload[..byte].chars().count() + 1
}

fn check_url(url: &str) -> Result<(), FaceImageError> {
    let invalid = |reason| Err(FaceImageError::InvalidUrl { reason });
    if url.is_empty() {
        return Err(FaceImageError::Empty);
    }
    if url.len() > MAX_URL_LEN {
        return invalid("longer than 2048 characters");
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return invalid("no scheme: expected http:// or https://");
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return invalid("scheme is not http or https");
    }
    if let Some(c) = url.chars().find(|c| !c.is_ascii_graphic()) {
        return if c.is_ascii() {
            invalid("contains a space or control character")
        } else {
            invalid("contains a non-ASCII character: percent-encode it")
        };
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if authority.contains('@') {
        return invalid("credentials in the URL");
    }
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        let Some((address, after)) = v6.split_once(']') else {
            return invalid("unclosed IPv6 address");
        };
        if address.is_empty()
            || !address
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return invalid("bad IPv6 address");
        }
        (address, after.strip_prefix(':'))
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return invalid("no host");
    }
    if !host_port.starts_with('[')
        && !host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
    {
        return invalid("bad host name");
    }
    if let Some(port) = port
        && (port.is_empty()
            || port.len() > 5
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u16>().is_err())
    {
        return invalid("bad port");
    }
    Ok(())
}

/// `https://host` of a URL, for `Debug`: paths and queries may carry tokens or personal data.
fn url_origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

#[derive(Clone, PartialEq, Eq)]
enum Payload {
    Base64(String),
    Url(String),
}

/// A face photo the vendor will accept: a JPEG, PNG or BMP within the size limit, held as the
/// canonical base64 the vendor receives; or an `http(s)` URL, passed through.
///
/// `Debug` shows format, dimensions and size, never image data, and only the origin of a URL.
#[derive(Clone, PartialEq, Eq)]
pub struct FaceImage {
    payload: Payload,
    info: Option<ImageInfo>,
    warning: Option<PhotoWarning>,
}

impl FaceImage {
    /// [`FaceImageParser::from_bytes`] with the default limits.
    ///
    /// # Errors
    ///
    /// See [`FaceImageParser::from_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FaceImageError> {
        FaceImageParser::new().from_bytes(bytes)
    }

    /// [`FaceImageParser::from_base64`] with the default limits.
    ///
    /// # Errors
    ///
    /// See [`FaceImageParser::from_base64`].
    pub fn from_base64(text: &str) -> Result<Self, FaceImageError> {
        FaceImageParser::new().from_base64(text)
    }

    /// [`FaceImageParser::from_url`].
    ///
    /// # Errors
    ///
    /// See [`FaceImageParser::from_url`].
    pub fn from_url(url: &str) -> Result<Self, FaceImageError> {
        FaceImageParser::new().from_url(url)
    }

    /// What the vendor receives.
    #[must_use]
    pub fn payload(&self) -> PhotoPayload<'_> {
        match &self.payload {
            Payload::Base64(text) => PhotoPayload::Base64(text),
            Payload::Url(url) => PhotoPayload::Url(url),
        }
    }

    /// Format and dimensions; `None` for a URL (not fetched offline).
    #[must_use]
    pub const fn info(&self) -> Option<ImageInfo> {
        self.info
    }

    /// Bytes of base64 the vendor receives; `None` for a URL.
    #[must_use]
    pub fn base64_len(&self) -> Option<usize> {
        match &self.payload {
            Payload::Base64(text) => Some(text.len()),
            Payload::Url(_) => None,
        }
    }

    /// Warnings about an accepted photo (e.g. smaller than recommended).
    #[must_use]
    pub fn warnings(&self) -> &[PhotoWarning] {
        self.warning.as_slice()
    }
}

impl fmt::Debug for FaceImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("FaceImage");
        match (self.info, self.base64_len()) {
            (Some(info), Some(len)) => s
                .field("format", &info.format)
                .field("width", &info.width)
                .field("height", &info.height)
                .field("base64_len", &len),
            _ => s.field("payload", &self.payload()),
        };
        // The image data itself is left out on purpose.
        s.finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_drops_path_and_query() {
        assert_eq!(
            url_origin("https://oss.example.com/a/b.jpg?sig=x"),
            "https://oss.example.com"
        );
        assert_eq!(url_origin("http://h:8080"), "http://h:8080");
    }
}

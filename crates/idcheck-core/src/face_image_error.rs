//! Why a photo cannot be sent to the face-verification vendor.

use crate::{ImageFormat, ImageInfo, UnsupportedFormat};

/// Why a photo is refused before any paid call. No variant carries image data or a URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FaceImageError {
    /// No bytes (or only whitespace, or a data URL with nothing after the comma).
    #[error("empty photo")]
    Empty,
    /// A known image format the vendor does not take.
    #[error("{format} images are not accepted: use JPEG, PNG or BMP")]
    UnsupportedFormat {
        /// The format found.
        format: UnsupportedFormat,
    },
    /// Not an image format we know (random bytes, text, a PDF …).
    #[error("not a JPEG, PNG or BMP image")]
    UnrecognizedFormat,
    /// The data ends inside the header.
    #[error("{format} header is truncated")]
    Truncated {
        /// The format its first bytes announce.
        format: ImageFormat,
    },
    /// The header is not well formed.
    #[error("corrupt {format} header: {reason}")]
    Corrupt {
        /// The format its first bytes announce.
        format: ImageFormat,
        /// What is wrong.
        reason: &'static str,
    },
    /// A character that is not standard base64, or misplaced padding.
    #[error("invalid base64 at position {position}")]
    InvalidBase64 {
        /// 1-based character position in the text as given (0 when the text ends too early).
        position: usize,
    },
    /// The base64 text the vendor would receive is over the limit; the vendor would answer
    /// "photo too large" and still charge. Raised where the image's header was not read (a
    /// payload checked against a vendor's limit); [`FaceImageParser`](crate::FaceImageParser)
    /// raises [`FaceImageError::TooLargeImage`], which also gives the dimensions.
    #[error(
        "photo too large: {base64_len} bytes as base64 ({raw_len} bytes of image), the limit is {limit} bytes of base64: {hint}",
        hint = FIT_HINT
    )]
    TooLarge {
        /// Bytes of base64 text the vendor would receive.
        base64_len: usize,
        /// Bytes of image data.
        raw_len: usize,
        /// The configured limit on `base64_len`.
        limit: usize,
    },
    /// A JPEG, PNG or BMP whose base64 text is over the limit, with what its header says.
    /// `FaceImage::fit_within` (cargo feature `fit`) or `idcheck photo --fit` re-encode it to
    /// fit.
    #[error(
        "photo too large: {} {}×{} px is {base64_len} bytes as base64 ({raw_len} bytes of image), the limit is {limit} bytes of base64: {hint}",
        info.format(), info.width(), info.height(), hint = FIT_HINT
    )]
    TooLargeImage {
        /// Format and dimensions from the header.
        info: ImageInfo,
        /// Bytes of base64 text the vendor would receive.
        base64_len: usize,
        /// Bytes of image data.
        raw_len: usize,
        /// The configured limit on `base64_len`.
        limit: usize,
    },
    /// No JPEG of the photo at least the recommended minimum size on each side, at the lowest
    /// quality `fit_within` uses, is within the limit (a very small limit, or a photo already
    /// at or below the minimum side).
    #[error(
        "photo cannot fit in {limit} bytes of base64 without going below the recommended {min_side} px side: at {width}×{height} px and JPEG quality {quality} it still takes {base64_len} bytes"
    )]
    CannotFit {
        /// Width of the smallest JPEG tried.
        width: u32,
        /// Height of the smallest JPEG tried.
        height: u32,
        /// Its JPEG quality (the lowest `fit_within` uses).
        quality: u8,
        /// Bytes of base64 it takes.
        base64_len: usize,
        /// The recommended minimum for each side, in pixels.
        min_side: u32,
        /// The configured limit on the base64 text.
        limit: usize,
    },
    /// The header is well formed but the image cannot be re-encoded to fit: its pixel data
    /// does not decode, or it is too large to decode safely.
    #[error("cannot re-encode the {format} image: {reason}")]
    CannotReencode {
        /// The format of the photo.
        format: ImageFormat,
        /// What went wrong.
        reason: &'static str,
    },
    /// Not an `http://` or `https://` URL the vendor can fetch.
    #[error("invalid photo URL: {reason}")]
    InvalidUrl {
        /// What is wrong.
        reason: &'static str,
    },
}

/// Where a too-large error points.
const FIT_HINT: &str =
    "make it fit with `idcheck photo --fit OUT.jpg FILE` or `FaceImage::fit_within`";

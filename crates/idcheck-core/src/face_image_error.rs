//! Why a photo cannot be sent to the face-verification vendor.

use crate::{ImageFormat, UnsupportedFormat};

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
    /// "photo too large" and still charge.
    #[error(
        "photo too large: {base64_len} bytes as base64 ({raw_len} bytes of image), the limit is {limit} bytes of base64"
    )]
    TooLarge {
        /// Bytes of base64 text the vendor would receive.
        base64_len: usize,
        /// Bytes of image data.
        raw_len: usize,
        /// The configured limit on `base64_len`.
        limit: usize,
    },
    /// Not an `http://` or `https://` URL the vendor can fetch.
    #[error("invalid photo URL: {reason}")]
    InvalidUrl {
        /// What is wrong.
        reason: &'static str,
    },
}

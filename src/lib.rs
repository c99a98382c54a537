//! `idcheck`: Chinese real-name verification (实名认证) for Rust.
//!
//! This facade re-exports the offline core, [`idcheck_core`]: reject bad input for free before
//! any paid call. Vendor crates and the fallback router join it behind cargo features.
//!
//! ```
//! use idcheck::IdNumber;
//! let id = IdNumber::parse("11010519491231002X")?;
//! assert_eq!(id.masked().as_str(), "110105********002X");
//! # Ok::<(), idcheck::IdError>(())
//! ```

#[doc(inline)]
pub use idcheck_core::{
    Carrier, CharClass, DEFAULT_MAX_BASE64_LEN, DEFAULT_MIN_SIDE, EARLIEST_BIRTH_YEAR, FaceImage,
    FaceImageError, FaceImageParser, IdError, IdKind, IdNumber, IdParser, ImageFormat, ImageInfo,
    MIDDLE_DOT, MaskedId, MaskedMobile, MaskedName, Mobile, MobileError, MobileKind, MobileParser,
    Name, NameError, PhotoPayload, PhotoWarning, Region, RegionStatus, Segment, Sex,
    UnsupportedFormat, today_in_china,
};

/// The offline core, whole.
pub use idcheck_core as core;

//! Offline validation for Chinese real-name verification (实名认证): everything an ID number,
//! a mobile number, a name and a face photo say by themselves, with no network and no async.
//!
//! Reject a typo for free before paying a verification API for it:
//!
//! ```
//! use idcheck_core::{IdError, IdNumber, Mobile, Name, NameError};
//! let id = IdNumber::parse(" 11010519491231002x ")?; // as people type it
//! assert_eq!(id.region().unwrap().to_string(), "北京市 朝阳区");
//! let typo = IdNumber::parse("110105194912310021").unwrap_err();
//! assert_eq!(typo, IdError::CheckCharacter { expected: 'X', found: '1' });
//! assert_eq!(Mobile::parse("+86 138-0013-8000").unwrap().to_string(), "138****8000");
//! assert_eq!(Name::parse("阿卜杜•热合曼").unwrap().as_str(), "阿卜杜·热合曼");
//! assert!(matches!(Name::parse("张 三"), Err(NameError::InvalidCharacter { position: 2, .. })));
//! # Ok::<(), IdError>(())
//! ```
//!
//! - [`IdNumber`]: GB 11643 numbers (18 characters with the MOD 11-2 check character, or the
//!   15-digit first generation), residence permits and the 2023 foreigners' permanent residence
//!   ID. `Copy`, stored inline, masked in `Debug`/`Display`.
//! - [`IdParser`]: lenient by default (reject only what is certainly wrong); strict on request.
//! - [`Region`]: every GB/T 2260 address code since 1980 with the names it carried and the years
//!   it was valid, because an ID keeps its address code for life.
//! - [`Mobile`]: the 11-digit national number from what people type, its [`Segment`]
//!   (original carrier, kind); IoT numbers, data cards and unallocated segments refused.
//! - [`Name`]: Chinese characters (supplementary planes included) and normalised middle dots,
//!   stored inline, masked `张*` / `欧阳**` / `阿卜杜·***`.
//! - [`FaceImage`]: a JPEG/PNG/BMP photo within the vendor's size limit, or a URL; format and
//!   dimensions read from the header only ([`ImageInfo::sniff`], also from base64). With the
//!   cargo feature `fit`, `FaceImage::fit_within` re-encodes a photo that is too large.
//!
//! Parsing allocates nothing (ID numbers, mobiles, names, image headers); accepting a photo
//! allocates its canonical base64 text, which is what the vendor receives.

mod face_image;
mod face_image_error;
mod id_error;
mod id_number;
mod mobile;
mod mobile_error;
mod name;
mod name_error;
mod nationality;
pub mod region;

#[cfg(feature = "fit")]
pub use face_image::FittedPhoto;
pub use face_image::{
    DEFAULT_MAX_BASE64_LEN, DEFAULT_MIN_SIDE, FaceImage, FaceImageParser, ImageFormat, ImageInfo,
    PhotoPayload, PhotoWarning, UnsupportedFormat,
};
pub use face_image_error::FaceImageError;
pub use id_error::{DatePart, IdError};
pub use id_number::{
    EARLIEST_BIRTH_YEAR, FOREIGN_ID_EDITION_YEAR, IdKind, IdNumber, IdParser, MaskedId, Sex,
    today_in_china,
};
pub use mobile::{Carrier, MaskedMobile, Mobile, MobileKind, MobileParser, Segment};
pub use mobile_error::MobileError;
pub use name::{MIDDLE_DOT, MaskedName, Name};
pub use name_error::{CharClass, NameError};
pub use nationality::{Nationality, NationalityStatus};
pub use region::{Region, RegionStatus};

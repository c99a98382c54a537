//! `idcheck`: Chinese real-name verification (实名认证) for Rust.
//!
//! This facade re-exports the offline core, [`idcheck_core`]: reject bad input for free before
//! any paid call. Each vendor joins it behind a cargo feature named after it (`idcardcert`,
//! `checkphone`, `facever`, `idenauthen`, `checkone`, or `full`), together with the contract
//! ([`provider`]), the gateway client ([`gateway`]) and the fallback router ([`router`]).
//! With no vendor feature, no HTTP client is compiled in. TLS: `rustls` (default) or
//! `native-tls`.
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

/// The contract every vendor implements: `Provider`, `Request`, `Report`, `Error`.
#[cfg(feature = "_online")]
pub use provider_trait as provider;

/// The Alibaba Cloud API Gateway client the vendors share: `Auth`, `GatewayClient`.
#[cfg(feature = "_online")]
pub use aliyun_gateway as gateway;

/// The fallback router (single-flight, on the ledger).
#[cfg(feature = "_online")]
pub use idcheck_router as router;

/// The ledger of paid calls: memory always; SQLite and PostgreSQL with the `ledger-sqlite`
/// and `ledger-postgres` features.
#[cfg(feature = "_online")]
pub use idcheck_ledger as ledger;

/// Vendor `idcardcert`: ID number + name, `GET /idCardCert`.
#[cfg(feature = "idcardcert")]
pub use provider_idcardcert as idcardcert;

/// Vendor `checkphone`: ID number + name + mobile, `GET /carrieroperator`.
#[cfg(feature = "checkphone")]
pub use provider_checkphone as checkphone;

/// Vendor `facever`: ID number + name + face photo, `POST /face`.
#[cfg(feature = "facever")]
pub use provider_facever as facever;

/// Vendor `idenauthen`: ID number + name, `POST /idenAuthentication`.
#[cfg(feature = "idenauthen")]
pub use provider_idenauthen as idenauthen;

/// Vendor `checkone`: ID number + name, `POST /chinadatapay/1882`.
#[cfg(feature = "checkone")]
pub use provider_checkone as checkone;

//! `idcheck`: Chinese real-name verification (实名认证) for Rust.
//!
//! Two halves:
//! - **Offline validation**, always here ([`idcheck_core`] re-exported): ID numbers
//!   (GB 11643, with the GB/T 2260 region timeline), mobile numbers, names and face photos are
//!   parsed for free before any paid call. No network, no async.
//! - **Paid verification** through the Alibaba Cloud marketplace vendors, each behind a cargo
//!   feature named after it (`idcardcert`, `checkphone`, `facever`, `idenauthen`,
//!   `checkone`, or `full` for all five and both ledger stores). [`Verifier::builder`] is the
//!   front door: credentials read once, vendors by id with fallback, prices, the ledger of
//!   paid calls (so nobody is paid for twice), timeouts and retries. With no vendor feature,
//!   no HTTP client is compiled in. TLS: `rustls` (default) or `native-tls`.
//!
//! ```
//! use idcheck::IdNumber;
//! let id = IdNumber::parse("11010519491231002X")?;
//! assert_eq!(id.masked().as_str(), "110105********002X");
//! # Ok::<(), idcheck::IdError>(())
//! ```
//!
//! The paid path needs a [tokio](https://docs.rs/tokio) runtime. With the features
//! `idcardcert`, `checkone` and `ledger-sqlite`, and `IDCHECK_APPCODE` set:
//!
//! ```no_run
//! # #[cfg(all(feature = "idcardcert", feature = "checkone", feature = "ledger-sqlite"))]
//! # mod example {
//! use idcheck::provider::{Price, Request};
//! use idcheck::{IdNumber, Name, Verifier};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let verifier = Verifier::builder() // reads IDCHECK_APPCODE once
//!         .vendor("idcardcert")
//!         .vendor("checkone") // asked only when idcardcert cannot say, unbilled
//!         .price("idcardcert", Price::from_milli_yuan(70))
//!         .price("checkone", Price::from_milli_yuan(50))
//!         .ledger_at("ledger.sqlite") // every paid call recorded; answers reused
//!         .build()
//!         .await?;
//!
//!     // Invalid input is rejected here, for free: a request cannot be built from it.
//!     let request = Request::identity(IdNumber::parse("11010519491231002X")?, Name::parse("张三")?);
//!     let routed = verifier.route(&request).await;
//!     match &routed.result {
//!         Ok(report) => println!("{}", report.verdict), // match, mismatch, unverifiable (…)
//!         Err(error) => println!("no answer: {error}"), // never holds the ID or the name
//!     }
//!     let asked: Vec<_> = routed.route.tried.iter().map(|step| step.provider).collect();
//!     println!("asked {asked:?}, billed {} call(s)", routed.route.billed_calls);
//!     if let Some(cost) = routed.route.cost {
//!         println!("cost {cost}"); // 0.000 yuan when the ledger already had the answer
//!     }
//!     Ok(())
//! }
//! # }
//! # fn main() {}
//! ```
//!
//! Try it without paying: `idcheck sandbox` serves the five vendors on loopback from
//! synthetic people; point the verifier at it with `.base_url("http://127.0.0.1:8787")`.
//! The `examples/` directory has runnable programs.

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

#[cfg(feature = "_online")]
mod verifier;
#[cfg(feature = "_online")]
pub use verifier::{SetupError, VENDOR_IDS, Verifier, VerifierBuilder, vendor_by_id};

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

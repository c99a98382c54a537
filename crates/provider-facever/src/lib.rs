//! The `facever` vendor (seed 002): ID number + name + face photo (人证比对) on the Alibaba
//! Cloud marketplace, `POST /face` with the form fields `idCard`, `image` (an image URL or
//! base64, at most 100k) and `name`. Answers `status` `1` same person, `2` probably the same
//! (retouched), `3` different person, `-1` ID and name do not match, `-2` no record, `-3` no
//! photo on file, `-4` photo quality, `-5` photo too large, `203` exceptional situation, `204`
//! / `205` bad name / ID.
//!
//! The photo is checked offline before any request: a base64 photo over the vendor's 100k
//! ([`MAX_BASE64_LEN`]) is refused, so `-5` is never paid for. A URL photo is passed through
//! (the vendor fetches it).
//!
//! ```
//! use aliyun_gateway::Auth;
//! use provider_facever::FaceVer;
//! use provider_trait::Provider;
//! let provider = FaceVer::from_auth(Auth::app_code("0123456789abcdef0123456789abcdef")?)?;
//! assert_eq!(provider.id(), provider_facever::PROVIDER_ID);
//! // let report = provider.verify(&request).await?;
//! # Ok::<(), aliyun_gateway::ConfigError>(())
//! ```
//!
//! Through the `idcheck` facade (feature `facever`) the same type is `idcheck::facever::FaceVer`,
//! the contract is `idcheck::provider` and the gateway client `idcheck::gateway`; most
//! programs name the vendor by id instead and let the facade build it, with fallback and the
//! ledger of paid calls:
//!
//! ```text
//! let verifier = idcheck::Verifier::builder().vendor("facever").build().await?;
//! ```

mod client;
mod response;

pub use client::FaceVer;
pub use response::map_response;

/// The provider id in reports, logs and configuration.
pub const PROVIDER_ID: &str = "facever";

/// The vendor's endpoint, over HTTPS (the vendor document shows `http://`).
pub const DEFAULT_BASE_URL: &str = "https://facever.market.alicloudapi.com";

/// The path of the check.
pub const PATH: &str = "/face";

/// The vendor's photo limit ("大小限制100k以内"), read as bytes of the base64 text it
/// receives: the stricter reading, since whether 100k means raw or encoded is not documented.
pub const MAX_BASE64_LEN: usize = idcheck_core::DEFAULT_MAX_BASE64_LEN;

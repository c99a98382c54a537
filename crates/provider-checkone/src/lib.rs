//! The `checkone` vendor (seed 004): ID number + name (实名认证) on the Alibaba Cloud
//! marketplace, `POST /chinadatapay/1882` with the form fields `idcard` and `name`. Answers
//! `code` `10000` with `data.result` `1` match, `2` mismatch, `3` cannot say (the vendor
//! hides the reason on purpose); `10001` no result; `10002`..`10020` errors. `data` may be an
//! object, the same object JSON-encoded in a string, or the string `"null"`.
//!
//! The document also lists a `key` parameter; with APPCODE auth the gateway's generated SDK
//! declares only `name` and `idcard`, so it is sent only when set ([`CheckOne::with_key`]).
//!
//! ```
//! use aliyun_gateway::Auth;
//! use provider_checkone::CheckOne;
//! use provider_trait::Provider;
//! let provider = CheckOne::from_auth(Auth::app_code("0123456789abcdef0123456789abcdef")?)?;
//! assert_eq!(provider.id(), provider_checkone::PROVIDER_ID);
//! // let report = provider.verify(&request).await?;
//! # Ok::<(), aliyun_gateway::ConfigError>(())
//! ```
//!
//! Through the `idcheck` facade (feature `checkone`) the same type is `idcheck::checkone::CheckOne`,
//! the contract is `idcheck::provider` and the gateway client `idcheck::gateway`; most
//! programs name the vendor by id instead and let the facade build it, with fallback and the
//! ledger of paid calls:
//!
//! ```text
//! let verifier = idcheck::Verifier::builder().vendor("checkone").build().await?;
//! ```

mod client;
mod response;

pub use client::CheckOne;
pub use response::map_response;

/// The provider id in reports, logs and configuration.
pub const PROVIDER_ID: &str = "checkone";

/// The vendor's endpoint, over HTTPS (the vendor document shows `http://`).
pub const DEFAULT_BASE_URL: &str = "https://checkone.market.alicloudapi.com";

/// The path of the check.
pub const PATH: &str = "/chinadatapay/1882";

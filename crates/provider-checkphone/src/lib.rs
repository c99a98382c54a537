//! The `checkphone` vendor (seed 001): ID number + name + mobile (运营商三要素) on the Alibaba
//! Cloud marketplace, `GET /carrieroperator` with `idCard`, `mobile` and `name`. Answers
//! `status` `01` match, `02` mismatch, `202` cannot verify; `203` exceptional situation (a
//! virtual-operator number, or one number checked too often in 24 hours), `204` / `205` /
//! `206` bad name / ID / mobile, `207` unsupported segment. The vendor names the carrier
//! serving the number today (`mobileType`); when it differs from the carrier the segment was
//! allocated to, the report notes the number was ported. Virtual-operator numbers, which the
//! vendor refuses (203, billed), are refused offline.
//!
//! ```
//! use aliyun_gateway::Auth;
//! use provider_checkphone::CheckPhone;
//! use provider_trait::Provider;
//! let provider = CheckPhone::from_auth(Auth::app_code("0123456789abcdef0123456789abcdef")?)?;
//! assert_eq!(provider.id(), provider_checkphone::PROVIDER_ID);
//! // let report = provider.verify(&request).await?;
//! # Ok::<(), aliyun_gateway::ConfigError>(())
//! ```
//!
//! Through the `idcheck` facade (feature `checkphone`) the same type is `idcheck::checkphone::CheckPhone`,
//! the contract is `idcheck::provider` and the gateway client `idcheck::gateway`; most
//! programs name the vendor by id instead and let the facade build it, with fallback and the
//! ledger of paid calls:
//!
//! ```text
//! let verifier = idcheck::Verifier::builder().vendor("checkphone").build().await?;
//! ```

mod client;
mod response;

pub use client::CheckPhone;
pub use response::map_response;

/// The provider id in reports, logs and configuration.
pub const PROVIDER_ID: &str = "checkphone";

/// The vendor's endpoint, over HTTPS (the vendor document shows `http(s)://`).
pub const DEFAULT_BASE_URL: &str = "https://checkphone.market.alicloudapi.com";

/// The path of the check.
pub const PATH: &str = "/carrieroperator";

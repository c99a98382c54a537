//! The `idenauthen` vendor (seed 003): ID number + name (身份证二要素) on the Alibaba Cloud
//! marketplace, `POST /idenAuthentication` with the form fields `idNo` and `name`. Answers
//! `respCode` `0000` match, `0008` mismatch, `0007` no such ID number; `0001` / `0002` bad
//! name, `0003` / `0004` bad ID number, `0010` maintenance. The vendor returns province, city,
//! county, birthday, sex and age (also on a mismatch); they are checked against what the ID
//! number itself says.
//!
//! ```
//! use aliyun_gateway::Auth;
//! use provider_idenauthen::IdenAuthen;
//! use provider_trait::Provider;
//! let provider = IdenAuthen::from_auth(Auth::app_code("0123456789abcdef0123456789abcdef")?)?;
//! assert_eq!(provider.id(), provider_idenauthen::PROVIDER_ID);
//! // let report = provider.verify(&request).await?;
//! # Ok::<(), aliyun_gateway::ConfigError>(())
//! ```
//!
//! Through the `idcheck` facade (feature `idenauthen`) the same type is `idcheck::idenauthen::IdenAuthen`,
//! the contract is `idcheck::provider` and the gateway client `idcheck::gateway`; most
//! programs name the vendor by id instead and let the facade build it, with fallback and the
//! ledger of paid calls:
//!
//! ```text
//! let verifier = idcheck::Verifier::builder().vendor("idenauthen").build().await?;
//! ```

mod client;
mod response;

pub use client::IdenAuthen;
pub use response::map_response;

/// The provider id in reports, logs and configuration.
pub const PROVIDER_ID: &str = "idenauthen";

/// The vendor's endpoint, over HTTPS.
pub const DEFAULT_BASE_URL: &str = "https://idenauthen.market.alicloudapi.com";

/// The path of the check.
pub const PATH: &str = "/idenAuthentication";

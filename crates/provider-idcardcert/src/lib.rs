//! The `idcardcert` vendor (seed 000): ID number + name (身份证二要素) on the Alibaba Cloud
//! marketplace, `GET /idCardCert` with `idCard` and `name`. Answers `status` `01` match, `02`
//! mismatch, `202` no record; `203` exceptional situation, `204` bad name, `205` bad ID. On a
//! match the vendor returns sex, birthday, address code and region, which are checked against
//! what the ID number itself says.
//!
//! ```
//! use aliyun_gateway::Auth;
//! use provider_idcardcert::IdCardCert;
//! use provider_trait::Provider;
//! let provider = IdCardCert::from_auth(Auth::app_code("0123456789abcdef0123456789abcdef")?)?;
//! assert_eq!(provider.id(), provider_idcardcert::PROVIDER_ID);
//! // let report = provider.verify(&request).await?;
//! # Ok::<(), aliyun_gateway::ConfigError>(())
//! ```
//!
//! Through the `idcheck` facade (feature `idcardcert`) the same type is `idcheck::idcardcert::IdCardCert`,
//! the contract is `idcheck::provider` and the gateway client `idcheck::gateway`; most
//! programs name the vendor by id instead and let the facade build it, with fallback and the
//! ledger of paid calls:
//!
//! ```text
//! let verifier = idcheck::Verifier::builder().vendor("idcardcert").build().await?;
//! ```

mod client;
mod response;

pub use client::IdCardCert;
pub use response::map_response;

/// The provider id in reports, logs and configuration.
pub const PROVIDER_ID: &str = "idcardcert";

/// The vendor's endpoint, over HTTPS (the vendor document shows `http(s)://`).
pub const DEFAULT_BASE_URL: &str = "https://idcardcert.market.alicloudapi.com";

/// The path of the check.
pub const PATH: &str = "/idCardCert";

//! The client for Alibaba Cloud API Gateway, which fronts all five idcheck vendors: APPCODE
//! and AppKey/AppSecret (HMAC-SHA256) authentication, UTF-8 form encoding, timeouts on every
//! call, a response-body cap, the mapping of gateway refusals to [`provider_trait::Error`], and
//! opt-in retries of failures that were certainly not billed. Vendor crates build on it; an
//! application builds one [`GatewayClient`] and shares it.
//!
//! ```
//! use aliyun_gateway::{Auth, BaseUrl, Call, GatewayClient, Method, RetryPolicy};
//! # fn main() -> Result<(), aliyun_gateway::ConfigError> {
//! let client = GatewayClient::builder(Auth::app_code("0123456789abcdef0123456789abcdef")?)
//!     .with_retry(RetryPolicy::unbilled_failures())
//!     .build()?;
//! let base = BaseUrl::parse("https://idcardcert.market.alicloudapi.com")?;
//! let call = Call::new("idcardcert", &base, Method::Get, "/idCardCert", &[("idCard", "…"), ("name", "…")]);
//! # let _ = (client, call);
//! // let answer = client.send(&call).await?; // HTTP 200 only; answer.body() is the vendor's JSON
//! # Ok(()) }
//! ```
//!
//! Credentials never print: `Debug` of [`Auth`] and [`GatewayClient`] shows `REDACTED`, and
//! tracing spans carry masked inputs only. No `reqwest` type appears in an error; a caller's
//! own `reqwest::Client` can be handed in with [`GatewayClientBuilder::with_http_client`]
//! (`reqwest` is re-exported for that).

mod answer;
mod auth;
mod client;
mod config_error;
mod endpoint;
mod error_mapping;
mod retry;
mod signature;

pub use answer::{AnswerKeys, CodeMeaning, Detail, DetailKeys, VendorAnswer};
pub use auth::{Auth, ENV_APP_KEY, ENV_APP_SECRET, ENV_APPCODE};
pub use client::{
    BaseUrl, Call, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT, GatewayClient,
    GatewayClientBuilder, GatewayResponse, Method, random_uuid,
};
pub use config_error::ConfigError;
pub use endpoint::Endpoint;
pub use error_mapping::gateway_error;
pub use reqwest;
pub use retry::RetryPolicy;
pub use signature::{SigningInput, content_md5, sign_string};

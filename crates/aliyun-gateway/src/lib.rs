//! Alibaba Cloud API Gateway, the front of all five idcheck vendors: the AppKey/AppSecret
//! signature and the mapping of gateway refusals to [`provider_trait::Error`].
//!
//! ```
//! use aliyun_gateway::SigningInput;
//! use secrecy::SecretString;
//! let input = SigningInput { method: "GET", accept: Some("application/json"), path: "/idCardCert",
//!     query: &[("idCard", "1"), ("name", "张三")], ..SigningInput::default() };
//! assert!(input.string_to_sign().ends_with("/idCardCert?idCard=1&name=张三"));
//! let signature = input.sign(&SecretString::from("secret"));
//! assert_eq!(signature.len(), 44);
//! ```

mod error_mapping;
mod signature;

pub use error_mapping::gateway_error;
pub use signature::{SigningInput, content_md5, sign_string};

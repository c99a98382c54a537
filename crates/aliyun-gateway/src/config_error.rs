//! Mistakes in building a client, found before any call.

/// A client could not be built. Messages never contain a credential or a URL's query.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An AppCode, AppKey or AppSecret is malformed.
    #[error("invalid {what}: {reason}")]
    InvalidCredential {
        /// Which credential.
        what: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// [`crate::Auth::from_env`] found no credential.
    #[error("environment variable {name} is not set")]
    MissingEnv {
        /// The variable that is needed.
        name: &'static str,
    },
    /// A base URL is not an `http(s)://host[:port][/path]` URL.
    #[error("invalid base URL: {reason}")]
    InvalidBaseUrl {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The HTTP client (TLS backend) could not be initialised.
    #[error("could not build the HTTP client: {reason}")]
    HttpClient {
        /// The underlying error's message.
        reason: String,
    },
}

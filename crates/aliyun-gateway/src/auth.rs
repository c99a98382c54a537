//! Credentials: an AppCode, or an AppKey with its AppSecret. Held in `secrecy` types; the
//! AppCode is exposed only in [`Auth::app_code_header`], the AppSecret only in
//! [`crate::sign_string`].

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::ConfigError;

/// Environment variable read by [`Auth::from_env`] for an AppCode.
pub const ENV_APPCODE: &str = "IDCHECK_APPCODE";
/// Environment variable read by [`Auth::from_env`] for an AppKey (with [`ENV_APP_SECRET`]).
pub const ENV_APP_KEY: &str = "IDCHECK_APP_KEY";
/// Environment variable read by [`Auth::from_env`] for an AppSecret (with [`ENV_APP_KEY`]).
pub const ENV_APP_SECRET: &str = "IDCHECK_APP_SECRET";

/// How calls authenticate to the gateway. `Debug` never shows the AppCode or AppSecret.
#[derive(Clone)]
pub enum Auth {
    /// `Authorization: APPCODE <code>` ("simple auth"; the marketplace default).
    AppCode(SecretString),
    /// The HMAC-SHA256 signature over each request with an AppKey and AppSecret.
    AppKey {
        /// The AppKey, sent as `X-Ca-Key` (not secret).
        key: String,
        /// The AppSecret, used only to sign.
        secret: SecretString,
    },
}

impl Auth {
    /// An AppCode, trimmed (copy-pasted codes often carry spaces or a newline).
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidCredential`] when it is empty or holds anything but visible ASCII.
    pub fn app_code(code: impl Into<String>) -> Result<Self, ConfigError> {
        let code = credential(code.into(), "AppCode")?;
        Ok(Self::AppCode(SecretString::from(code)))
    }

    /// An AppKey and AppSecret, trimmed.
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidCredential`] when either is empty or holds anything but visible
    /// ASCII.
    pub fn app_key(key: impl Into<String>, secret: impl Into<String>) -> Result<Self, ConfigError> {
        let key = credential(key.into(), "AppKey")?;
        let secret = credential(secret.into(), "AppSecret")?;
        Ok(Self::AppKey {
            key,
            secret: SecretString::from(secret),
        })
    }

    /// Reads [`ENV_APPCODE`], or else [`ENV_APP_KEY`] and [`ENV_APP_SECRET`]. Only called when
    /// the caller asks: nothing in idcheck reads the environment by itself.
    ///
    /// # Errors
    ///
    /// [`ConfigError::MissingEnv`] when neither is set, [`ConfigError::InvalidCredential`] when
    /// a value is malformed.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Auth::from_env`] over any source of variables (a config map, a test).
    ///
    /// # Errors
    ///
    /// As [`Auth::from_env`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let set = |name| lookup(name).filter(|v| !v.trim().is_empty());
        if let Some(code) = set(ENV_APPCODE) {
            return Self::app_code(code);
        }
        match (set(ENV_APP_KEY), set(ENV_APP_SECRET)) {
            (Some(key), Some(secret)) => Self::app_key(key, secret),
            (Some(_), None) => Err(ConfigError::MissingEnv {
                name: ENV_APP_SECRET,
            }),
            _ => Err(ConfigError::MissingEnv { name: ENV_APPCODE }),
        }
    }

    /// A one-way fingerprint of the account these credentials bill (SHA-256 of the AppCode,
    /// or of the AppKey): what a ledger binds answers to, so an answer paid by one account is
    /// never taken for another's. It cannot be turned back into the credential.
    #[must_use]
    pub fn account_fingerprint(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        match self {
            Self::AppCode(code) => {
                hash.update(b"idcheck-account-v1\0appcode\0");
                hash.update(code.expose_secret().as_bytes());
            }
            Self::AppKey { key, .. } => {
                hash.update(b"idcheck-account-v1\0appkey\0");
                hash.update(key.as_bytes());
            }
        }
        hash.finalize().into()
    }

    /// The `Authorization` header value for APPCODE auth: exactly one space after `APPCODE`.
    /// The one place the AppCode is exposed.
    pub(crate) fn app_code_header(code: &SecretString) -> String {
        format!("APPCODE {}", code.expose_secret())
    }
}

fn credential(value: String, what: &'static str) -> Result<String, ConfigError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ConfigError::InvalidCredential {
            what,
            reason: "it is empty",
        });
    }
    if !trimmed.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ConfigError::InvalidCredential {
            what,
            reason: "it holds a space, control character or non-ASCII character",
        });
    }
    Ok(if trimmed.len() == value.len() {
        value
    } else {
        trimmed.to_owned()
    })
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AppCode(_) => f.write_str("AppCode(REDACTED)"),
            Self::AppKey { key, .. } => f
                .debug_struct("AppKey")
                .field("key", key)
                .field("secret", &"REDACTED")
                .finish(),
        }
    }
}

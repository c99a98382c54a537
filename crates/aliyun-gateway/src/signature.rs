//! The API Gateway's AppKey/AppSecret signature (HMAC-SHA256), as the official demo signers
//! (`api-gateway-demo-sign-java` `SignUtil`, `api-gateway-demo-sign-python`) compute it.
//!
//! ```text
//! StringToSign = METHOD "\n" Accept "\n" Content-MD5 "\n" Content-Type "\n" Date "\n"
//!                Headers (each "Key:Value\n", sorted by name)
//!                Url (path, then "?" and the query and form parameters merged and sorted,
//!                     "k=v" or "k" when the value is empty, joined by "&"; values raw)
//! Signature    = Base64(HMAC-SHA256(AppSecret, StringToSign))
//! ```

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// Headers that are part of the signature's fixed lines or the signature itself, never signed
/// as `Key:Value` lines.
const NEVER_SIGNED: [&str; 6] = [
    "x-ca-signature",
    "x-ca-signature-headers",
    "accept",
    "content-md5",
    "content-type",
    "date",
];

/// Everything the signature covers, borrowed from the request about to be sent.
///
/// Its `Debug` shows header, query and form names but not their values: values are ID
/// numbers, names, mobiles, photos and the AppKey.
#[derive(Clone, Copy, Default)]
pub struct SigningInput<'a> {
    /// HTTP method (any case; upper-cased).
    pub method: &'a str,
    /// The `Accept` header, if sent. Set it explicitly: some clients add `*/*` after signing.
    pub accept: Option<&'a str>,
    /// `Content-MD5`, only for bodies that are not forms.
    pub content_md5: Option<&'a str>,
    /// The `Content-Type` header, if sent.
    pub content_type: Option<&'a str>,
    /// The `Date` header, if sent.
    pub date: Option<&'a str>,
    /// Headers sent with the request; those named `X-Ca-…` (except the signature's own) are
    /// signed.
    pub headers: &'a [(&'a str, &'a str)],
    /// The path, e.g. `/idCardCert`.
    pub path: &'a str,
    /// Query parameters, raw (not percent-encoded).
    pub query: &'a [(&'a str, &'a str)],
    /// Form-body parameters, raw. On a name clash with the query the form value wins.
    pub form: &'a [(&'a str, &'a str)],
}

/// Names of name-value pairs, each value replaced by its length, for `Debug`.
struct MaskedPairs<'a>(&'a [(&'a str, &'a str)]);

impl fmt::Debug for MaskedPairs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.0
                    .iter()
                    .map(|(name, value)| (name, ValueLength(value.len()))),
            )
            .finish()
    }
}

/// A value shown as its length only.
struct ValueLength(usize);

impl fmt::Debug for ValueLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.0)
    }
}

impl fmt::Debug for SigningInput<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningInput")
            .field("method", &self.method)
            .field("accept", &self.accept)
            .field("content_md5", &self.content_md5)
            .field("content_type", &self.content_type)
            .field("date", &self.date)
            .field("headers", &MaskedPairs(self.headers))
            .field("path", &self.path)
            .field("query", &MaskedPairs(self.query))
            .field("form", &MaskedPairs(self.form))
            .finish()
    }
}

impl SigningInput<'_> {
    /// The `X-Ca-…` headers that are signed, sorted by name (byte order, as the demos sort).
    fn signed_headers(&self) -> Vec<(&str, &str)> {
        let mut signed: Vec<(&str, &str)> = self
            .headers
            .iter()
            .copied()
            .filter(|(name, _)| {
                name.len() >= 5
                    && name[..5].eq_ignore_ascii_case("x-ca-")
                    && !NEVER_SIGNED.iter().any(|n| n.eq_ignore_ascii_case(name))
            })
            .collect();
        signed.sort_unstable_by(|a, b| a.0.cmp(b.0));
        signed
    }

    /// The exact text the gateway signs.
    #[must_use]
    pub fn string_to_sign(&self) -> String {
        let mut text = String::with_capacity(256);
        text.push_str(&self.method.to_ascii_uppercase());
        text.push('\n');
        for line in [self.accept, self.content_md5, self.content_type, self.date] {
            text.push_str(line.unwrap_or(""));
            text.push('\n');
        }
        for (name, value) in self.signed_headers() {
            text.push_str(name);
            text.push(':');
            text.push_str(value);
            text.push('\n');
        }
        text.push_str(self.path);
        let mut params: BTreeMap<&str, &str> = BTreeMap::new();
        // Form after query: on a clash the body value wins, as in both official demos.
        for (key, value) in self.query.iter().chain(self.form) {
            params.insert(key, value);
        }
        for (i, (key, value)) in params.into_iter().enumerate() {
            text.push(if i == 0 { '?' } else { '&' });
            text.push_str(key);
            // Only an empty value drops the "=": "0" and "false" are values (nodejs-sdk #21).
            if !value.is_empty() {
                text.push('=');
                text.push_str(value);
            }
        }
        text
    }

    /// The value of `X-Ca-Signature-Headers`: the signed header names joined by `,`.
    #[must_use]
    pub fn signature_headers(&self) -> String {
        self.signed_headers()
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// `Base64(HMAC-SHA256(secret, string_to_sign))`, the value of `X-Ca-Signature`.
    #[must_use]
    pub fn sign(&self, app_secret: &SecretString) -> String {
        sign_string(app_secret, &self.string_to_sign())
    }
}

/// `Base64(HMAC-SHA256(secret, text))`. The one place the AppSecret is exposed.
#[must_use]
pub fn sign_string(app_secret: &SecretString, text: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret.expose_secret().as_bytes()) else {
        unreachable!("HMAC accepts keys of any length")
    };
    mac.update(text.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// `Content-MD5` of a body that is not a form: `Base64(MD5(body))`.
#[must_use]
pub fn content_md5(body: &[u8]) -> String {
    STANDARD.encode(Md5::digest(body))
}

//! Where a provider sends its calls: what an answer is bound to, so that an answer from one
//! target (the sandbox, another account) never answers a request meant for another.

use std::fmt;

/// A provider's target: its id, the base URL it calls and a fingerprint of the account it
/// calls with. `Debug` shows the fingerprint's first bytes only.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Target {
    provider: &'static str,
    base_url: String,
    account: [u8; 32],
}

impl Target {
    /// A target. `account` is a one-way fingerprint of the credential (never the credential):
    /// two calls with the same fingerprint are billed to the same account.
    #[must_use]
    pub fn new(provider: &'static str, base_url: impl Into<String>, account: [u8; 32]) -> Self {
        Self {
            provider,
            base_url: base_url.into(),
            account,
        }
    }

    /// A provider that does not say where it calls: bound by its id alone.
    #[must_use]
    pub fn unbound(provider: &'static str) -> Self {
        Self::new(provider, String::new(), [0; 32])
    }

    /// The provider's id.
    #[must_use]
    pub const fn provider(&self) -> &'static str {
        self.provider
    }

    /// The base URL (empty when the provider does not say).
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The account fingerprint.
    #[must_use]
    pub const fn account(&self) -> &[u8; 32] {
        &self.account
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field(
                "account",
                &format_args!("{:02x}{:02x}…", self.account[0], self.account[1]),
            )
            .finish()
    }
}

//! The service's clients: who may call, with which token (kept only as its SHA-256), which
//! checks, and how much a day.

use std::collections::HashMap;
use std::fmt;

use provider_trait::{Check, Checks};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// A client of the service.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Client {
    /// Its name, in logs, metrics and the ledger's audit.
    pub name: String,
    /// What it may spend a day (UTC), thousandths of a yuan.
    pub daily_budget_milli_yuan: Option<i64>,
    /// The checks it may ask for.
    pub checks: Checks,
}

/// The clients file, read: tokens by their SHA-256. `Debug` shows names only.
#[derive(Clone, Default)]
pub struct Clients {
    by_token_hash: HashMap<[u8; 32], Client>,
}

impl fmt::Debug for Clients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.by_token_hash.values().map(|c| &c.name))
            .finish()
    }
}

/// The clients file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientsError {
    /// Not TOML, or not the expected shape.
    #[error("the clients file is malformed: {0}")]
    Malformed(String),
    /// An entry is wrong.
    #[error("client {index} ({name}): {reason}")]
    Entry {
        /// 1-based position in the file.
        index: usize,
        /// Its name as written.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// No client at all: nobody could call.
    #[error("the clients file has no [[client]] entry")]
    Empty,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    client: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    token_sha256: String,
    daily_budget_yuan: Option<f64>,
    checks: Option<Vec<String>>,
}

impl Clients {
    /// Reads a clients file:
    ///
    /// ```toml
    /// [[client]]
    /// name = "signup"
    /// token_sha256 = "<hex SHA-256 of the token>"
    /// daily_budget_yuan = 50.0      # optional
    /// checks = ["identity"]         # optional; default all
    /// ```
    ///
    /// # Errors
    ///
    /// Malformed TOML, unknown keys, a bad hash, name, budget or check, a token or name used
    /// twice, or no client.
    pub fn from_toml(text: &str) -> Result<Self, ClientsError> {
        let file: File =
            toml::from_str(text).map_err(|e| ClientsError::Malformed(e.message().to_owned()))?;
        if file.client.is_empty() {
            return Err(ClientsError::Empty);
        }
        let mut by_token_hash = HashMap::new();
        for (i, entry) in file.client.into_iter().enumerate() {
            let bad = |reason: &str| ClientsError::Entry {
                index: i + 1,
                name: entry.name.chars().take(40).collect(),
                reason: reason.to_owned(),
            };
            if entry.name.is_empty()
                || entry.name.len() > 64
                || !entry
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            {
                return Err(bad("name: 1 to 64 letters, digits, '-', '_' or '.'"));
            }
            let hash = unhex32(entry.token_sha256.trim())
                .ok_or_else(|| bad("token_sha256: 64 hexadecimal characters"))?;
            let daily_budget_milli_yuan = match entry.daily_budget_yuan {
                None => None,
                Some(yuan) if yuan.is_finite() && (0.0..=1_000_000.0).contains(&yuan) => {
                    // Checked range: fits.
                    #[allow(clippy::cast_possible_truncation)]
                    Some((yuan * 1000.0).round() as i64)
                }
                Some(_) => return Err(bad("daily_budget_yuan: 0 to 1000000")),
            };
            let checks = match &entry.checks {
                None => Check::ALL.into_iter().fold(Checks::NONE, Checks::with),
                Some(names) => {
                    let mut checks = Checks::NONE;
                    for name in names {
                        let check = Check::ALL
                            .into_iter()
                            .find(|c| c.label() == name)
                            .ok_or_else(|| bad("checks: identity, mobile or face"))?;
                        checks = checks.with(check);
                    }
                    checks
                }
            };
            if by_token_hash
                .values()
                .any(|c: &Client| c.name == entry.name)
            {
                return Err(bad("the name is used twice"));
            }
            let client = Client {
                name: entry.name.clone(),
                daily_budget_milli_yuan,
                checks,
            };
            if by_token_hash.insert(hash, client).is_some() {
                return Err(bad("the token is used twice"));
            }
        }
        Ok(Self { by_token_hash })
    }

    /// The client whose token is `token`.
    #[must_use]
    pub fn find(&self, token: &str) -> Option<&Client> {
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        self.by_token_hash.get(&hash)
    }

    /// Every client.
    pub fn iter(&self) -> impl Iterator<Item = &Client> {
        self.by_token_hash.values()
    }
}

/// A new client: a fresh random token (printed once, never stored) and the entry to add to
/// the clients file.
///
/// # Errors
///
/// No randomness, or a name the file would refuse.
pub fn new_client(name: &str) -> Result<(String, String), String> {
    let mut bytes = [0; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
    let token = format!("idck_{}", hex(&bytes));
    let entry = format!(
        "[[client]]\nname = \"{name}\"\ntoken_sha256 = \"{}\"\n# daily_budget_yuan = 50.0\n# checks = [\"identity\"]\n",
        hex(&Sha256::digest(token.as_bytes()))
    );
    Clients::from_toml(&entry).map_err(|e| e.to_string())?;
    Ok((token, entry))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(64), |mut text, b| {
        use fmt::Write as _;
        let _ = write!(text, "{b:02x}");
        text
    })
}

fn unhex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_client_is_found_by_its_token_only() {
        let (token, entry) = new_client("signup").unwrap();
        let clients = Clients::from_toml(&entry).unwrap();
        let client = clients.find(&token).unwrap();
        assert_eq!(client.name, "signup");
        assert!(client.checks.contains(Check::Face));
        assert!(clients.find("idck_wrong").is_none());
        assert!(!entry.contains(&token));
        assert!(!format!("{clients:?}").contains(&token));
    }

    #[test]
    fn malformed_files_are_refused_with_the_reason() {
        let hash = "0".repeat(64);
        for (text, expected) in [
            ("not toml [", "malformed"),
            ("", "no [[client]]"),
            (
                &*format!("[[client]]\nname = \"a b\"\ntoken_sha256 = \"{hash}\""),
                "name:",
            ),
            (
                "[[client]]\nname = \"a\"\ntoken_sha256 = \"xyz\"",
                "token_sha256",
            ),
            (
                &*format!(
                    "[[client]]\nname = \"a\"\ntoken_sha256 = \"{hash}\"\ndaily_budget_yuan = -1.0"
                ),
                "daily_budget_yuan",
            ),
            (
                &*format!(
                    "[[client]]\nname = \"a\"\ntoken_sha256 = \"{hash}\"\nchecks = [\"dna\"]"
                ),
                "checks",
            ),
            (
                &*format!(
                    "[[client]]\nname = \"a\"\ntoken_sha256 = \"{hash}\"\n[[client]]\nname = \"b\"\ntoken_sha256 = \"{hash}\""
                ),
                "token is used twice",
            ),
            (
                &*format!("[[client]]\nname = \"a\"\ntoken_sha256 = \"{hash}\"\nbudget = 1"),
                "malformed",
            ),
        ] {
            let error = Clients::from_toml(text).unwrap_err().to_string();
            assert!(error.contains(expected), "{text:?}: {error}");
        }
    }

    #[test]
    fn budgets_and_checks_are_read() {
        let hash = "ab".repeat(32);
        let clients = Clients::from_toml(&format!(
            "[[client]]\nname = \"kyc\"\ntoken_sha256 = \"{hash}\"\ndaily_budget_yuan = 50.5\nchecks = [\"identity\", \"mobile\"]"
        ))
        .unwrap();
        let client = clients.iter().next().unwrap();
        assert_eq!(client.daily_budget_milli_yuan, Some(50_500));
        assert!(client.checks.contains(Check::Mobile));
        assert!(!client.checks.contains(Check::Face));
    }
}

//! The ledger key and the keys it makes. Entries are found by HMAC-SHA256 of the canonical
//! inputs under a secret key that is never stored in the ledger: without the key, a ledger
//! cannot be searched for a person by brute force over ID numbers.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use idcheck_core::PhotoPayload;
use provider_trait::{Request, Target};
use secrecy::{ExposeSecret, SecretBox};
use sha2::{Digest, Sha256};

use crate::KeyError;

/// Environment variable holding the ledger key: 64 hexadecimal characters (32 bytes).
pub const ENV_LEDGER_KEY: &str = "IDCHECK_LEDGER_KEY";

/// The secret the ledger's keys are made with. `Debug` never shows it.
pub struct LedgerKey(SecretBox<[u8; 32]>);

/// Where a [`LedgerKey`] came from, for the user to be told.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySource {
    /// [`ENV_LEDGER_KEY`].
    Environment,
    /// A key file that already existed.
    File(PathBuf),
    /// A key file created just now (mode 0600): keep it, or every entry is lost.
    Created(PathBuf),
}

impl LedgerKey {
    /// A key from its 64 hexadecimal characters (surrounding white space ignored).
    ///
    /// # Errors
    ///
    /// [`KeyError::Malformed`] when it is not 64 hexadecimal characters.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let bytes = unhex32(text.trim()).ok_or(KeyError::Malformed)?;
        Ok(Self(SecretBox::new(Box::new(bytes))))
    }

    /// A new random key.
    ///
    /// # Errors
    ///
    /// [`KeyError::NoRandomness`] when the operating system has none to give.
    pub fn random() -> Result<Self, KeyError> {
        let mut bytes = [0; 32];
        getrandom::fill(&mut bytes).map_err(|_| KeyError::NoRandomness)?;
        Ok(Self(SecretBox::new(Box::new(bytes))))
    }

    /// The key from [`ENV_LEDGER_KEY`], or else from the key file in the user's config
    /// directory (`…/idcheck/ledger.key`), created with mode 0600 on first use.
    ///
    /// # Errors
    ///
    /// A malformed variable or file, no config directory, or a file that cannot be written.
    pub fn from_env_or_file() -> Result<(Self, KeySource), KeyError> {
        if let Some(text) = std::env::var(ENV_LEDGER_KEY)
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            return Ok((Self::from_hex(&text)?, KeySource::Environment));
        }
        let path = default_key_path().ok_or(KeyError::NoConfigDir)?;
        Self::from_file_or_create(&path)
    }

    /// The key from [`ENV_LEDGER_KEY`], or else from the key file in the user's config
    /// directory when it exists: never creates one (for commands that only read a ledger).
    ///
    /// # Errors
    ///
    /// [`KeyError::NoKey`] when neither is there; a malformed variable or file.
    pub fn from_env_or_existing_file() -> Result<(Self, KeySource), KeyError> {
        if let Some(text) = std::env::var(ENV_LEDGER_KEY)
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            return Ok((Self::from_hex(&text)?, KeySource::Environment));
        }
        let path = default_key_path().ok_or(KeyError::NoConfigDir)?;
        if !path.exists() {
            return Err(KeyError::NoKey { path });
        }
        Self::from_file_or_create(&path)
    }

    /// The key in `path`, or a new random key written there (mode 0600) when the file does not
    /// exist. Two processes creating it at once agree on one key: the file is created
    /// exclusively and the loser reads the winner's.
    ///
    /// # Errors
    ///
    /// A file that cannot be read or created, or does not hold a key.
    pub fn from_file_or_create(path: &Path) -> Result<(Self, KeySource), KeyError> {
        let io = |e: std::io::Error| KeyError::File {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                return Self::from_hex(&text)
                    .map(|key| (key, KeySource::File(path.to_owned())))
                    .map_err(|_| KeyError::File {
                        path: path.to_owned(),
                        reason: "it does not hold 64 hexadecimal characters".to_owned(),
                    });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let key = Self::random()?;
        // Written whole to a file of our own, then linked into place: the link either lands
        // (a complete key) or finds another process's complete key. Never half a key, never
        // an overwrite.
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|_| KeyError::NoRandomness)?;
        let staging = path.with_extension(format!("key.{}.tmp", hex(&nonce)));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options.open(&staging).and_then(|mut file| {
            file.write_all(format!("{}\n", hex(key.0.expose_secret())).as_bytes())?;
            file.sync_all()
        });
        if let Err(e) = written {
            let _ = std::fs::remove_file(&staging);
            return Err(io(e));
        }
        let linked = std::fs::hard_link(&staging, path);
        let _ = std::fs::remove_file(&staging);
        match linked {
            Ok(()) => Ok((key, KeySource::Created(path.to_owned()))),
            // Another process made it first: use its key.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Self::from_file_or_create(path)
            }
            Err(e) => Err(io(e)),
        }
    }

    fn mac(&self, domain: &[u8], fields: &[&[u8]]) -> [u8; 32] {
        // HMAC takes a key of any length; a 32-byte key cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(domain);
        for field in fields {
            mac.update(&(field.len() as u64).to_le_bytes());
            mac.update(field);
        }
        mac.finalize().into_bytes().into()
    }

    /// The check value stored in a ledger: a wrong key is told apart from a missing entry.
    pub(crate) fn check_value(&self) -> String {
        hex(&self.mac(b"idcheck-ledger-key-check-v1", &[]))
    }

    /// The key of `request`'s entry: the check and every input, length-prefixed; a photo by
    /// the SHA-256 of its bytes (or its URL).
    #[must_use]
    pub fn entry_key(&self, request: &Request) -> EntryKey {
        let check = request.check().label().as_bytes();
        let id = request.id().as_str().as_bytes();
        let name = request.name().as_str().as_bytes();
        EntryKey(match request {
            Request::Mobile(mobile) => self.mac(
                b"idcheck-entry-v1",
                &[check, id, name, mobile.mobile.as_str().as_bytes()],
            ),
            Request::Face(face) => {
                // Canonical base64, so the same image always hashes the same.
                let photo = match face.photo.payload() {
                    PhotoPayload::Base64(text) => Sha256::new()
                        .chain_update(b"base64\0")
                        .chain_update(text)
                        .finalize(),
                    PhotoPayload::Url(url) => Sha256::new()
                        .chain_update(b"url\0")
                        .chain_update(url)
                        .finalize(),
                };
                self.mac(b"idcheck-entry-v1", &[check, id, name, &photo])
            }
            _ => self.mac(b"idcheck-entry-v1", &[check, id, name]),
        })
    }

    /// The key of `target`: provider, base URL and account fingerprint under the ledger key.
    #[must_use]
    pub fn target_key(&self, target: &Target) -> TargetKey {
        TargetKey(self.mac(
            b"idcheck-target-v1",
            &[
                target.provider().as_bytes(),
                target.base_url().as_bytes(),
                target.account(),
            ],
        ))
    }
}

impl fmt::Debug for LedgerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LedgerKey(REDACTED)")
    }
}

/// The default key file: `idcheck/ledger.key` in the user's config directory.
#[must_use]
pub fn default_key_path() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("idcheck").join("ledger.key"))
}

/// An entry's key: an HMAC of a request's inputs. `Display` is its hex (safe to print: it
/// cannot be reversed or checked without the ledger key); `Debug` shows a prefix.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryKey(pub(crate) [u8; 32]);

/// A target's key: an HMAC of provider, base URL and account fingerprint.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TargetKey(pub(crate) [u8; 32]);

impl EntryKey {
    /// The key bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for EntryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl fmt::Debug for EntryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryKey({}…)", &hex(&self.0)[..8])
    }
}

impl fmt::Display for TargetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl fmt::Debug for TargetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TargetKey({}…)", &hex(&self.0)[..8])
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    text
}

fn unhex32(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let nibble = |b: u8| {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let mut out = [0; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = nibble(bytes[2 * i])? << 4 | nibble(bytes[2 * i + 1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn hex_keys_parse_and_bad_ones_do_not() {
        let text = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
        assert!(LedgerKey::from_hex(text).is_ok());
        assert!(LedgerKey::from_hex(&text[1..]).is_err());
        assert!(LedgerKey::from_hex(&text.replace('0', "g")).is_err());
        assert_eq!(
            format!("{:?}", LedgerKey::from_hex(text).unwrap()),
            "LedgerKey(REDACTED)"
        );
    }

    #[test]
    fn different_keys_give_different_check_values() {
        let a = LedgerKey::random().unwrap();
        let b = LedgerKey::random().unwrap();
        assert_ne!(a.check_value(), b.check_value());
        assert_eq!(a.check_value(), a.check_value());
    }

    #[test]
    fn a_key_file_is_created_once_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("idcheck-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("sub").join("ledger.key");
        let (first, source) = LedgerKey::from_file_or_create(&path).unwrap();
        assert_eq!(source, KeySource::Created(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, source) = LedgerKey::from_file_or_create(&path).unwrap();
        assert_eq!(source, KeySource::File(path.clone()));
        assert_eq!(first.check_value(), again.check_value());
        // Racing creators agree on one key.
        let racing = dir.join("race.key");
        let keys: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let racing = racing.clone();
                    scope.spawn(move || {
                        LedgerKey::from_file_or_create(&racing)
                            .unwrap()
                            .0
                            .check_value()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.windows(2).all(|w| w[0] == w[1]));
        std::fs::write(&path, "not a key").unwrap();
        let error = LedgerKey::from_file_or_create(&path).err().unwrap();
        assert!(error.to_string().contains("64 hexadecimal"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    proptest! {
        #[test]
        fn any_text_as_a_key_does_not_panic(text in "\\PC{0,80}") {
            let _ = LedgerKey::from_hex(&text);
        }

        #[test]
        fn hex_round_trips(bytes in any::<[u8; 32]>()) {
            prop_assert_eq!(unhex32(&hex(&bytes)), Some(bytes));
        }
    }
}

//! An in-process key for a request: a salted hash, for grouping identical requests (a batch's
//! duplicate rows) without holding an ID number, a name or a mobile in plain text. Keys that
//! outlive the process are the ledger's (HMACs under a secret key).

use std::fmt;

use provider_trait::Request;
use sha2::{Digest, Sha256};

/// A salted SHA-256 of a request's inputs. `Debug` shows its first bytes only.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    /// The key of `request` under `salt`: the check and every input, length-prefixed so no two
    /// different requests share a preimage. `None` for face checks (a photo is not a key).
    #[must_use]
    pub fn of(request: &Request, salt: &[u8; 32]) -> Option<Self> {
        match request {
            Request::Identity(_) | Request::Mobile(_) => {
                Some(Self::naming_photo(request, salt, ""))
            }
            _ => None,
        }
    }

    /// The key of any request, a face check's photo standing as `photo_source` (its file
    /// path or URL): for callers that know two photos are the same by where they come from.
    #[must_use]
    pub fn naming_photo(request: &Request, salt: &[u8; 32], photo_source: &str) -> Self {
        let mut hash = Sha256::new();
        hash.update(salt);
        let mut field = |bytes: &[u8]| {
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(bytes);
        };
        field(request.check().label().as_bytes());
        field(request.id().as_str().as_bytes());
        field(request.name().as_str().as_bytes());
        match request {
            Request::Mobile(mobile) => field(mobile.mobile.as_str().as_bytes()),
            Request::Face(_) => field(photo_source.as_bytes()),
            _ => {}
        }
        Self(hash.finalize().into())
    }

    /// The hash bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CacheKey({:02x}{:02x}{:02x}{:02x}…)",
            self.0[0], self.0[1], self.0[2], self.0[3]
        )
    }
}

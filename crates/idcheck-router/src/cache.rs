//! Answers remembered for a while, under keys that are salted hashes: a cache never holds an
//! ID number, a name or a mobile in plain text.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use provider_trait::{Report, Request};
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

/// Where a router keeps answers. Implementations decide how long an answer stays valid.
pub trait AnswerCache: fmt::Debug + Send + Sync {
    /// The key for `request`, salted as this cache salts; `None` when it must not be cached.
    fn key(&self, request: &Request) -> Option<CacheKey>;
    /// A still-valid answer.
    fn get(&self, key: &CacheKey) -> Option<Report>;
    /// Remembers an answer.
    fn put(&self, key: CacheKey, report: Report);
}

/// An in-memory [`AnswerCache`]: answers stay valid for a fixed time. The salt is random per
/// cache, so its keys are useless outside the process.
pub struct MemoryCache {
    salt: [u8; 32],
    ttl: Duration,
    entries: Mutex<HashMap<CacheKey, (Instant, Report)>>,
}

impl MemoryCache {
    /// A cache whose answers stay valid for `ttl`.
    ///
    /// # Panics
    ///
    /// When the operating system has no randomness to give (it always has, on supported
    /// targets).
    #[must_use]
    pub fn new(ttl: Duration) -> Self {
        let mut salt = [0; 32];
        getrandom::fill(&mut salt).unwrap_or_else(|e| panic!("no randomness for a salt: {e}"));
        Self {
            salt,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Answers held, expired ones included until they are next looked up.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether nothing is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for MemoryCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryCache")
            .field("ttl", &self.ttl)
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
}

impl AnswerCache for MemoryCache {
    fn key(&self, request: &Request) -> Option<CacheKey> {
        CacheKey::of(request, &self.salt)
    }

    fn get(&self, key: &CacheKey) -> Option<Report> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        match entries.get(key) {
            Some((stored, report)) if stored.elapsed() < self.ttl => Some(report.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    fn put(&self, key: CacheKey, report: Report) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, (Instant::now(), report));
    }
}

//! The nonces (`X-Ca-Nonce`) of correctly signed requests, remembered to refuse replays only as
//! long as the gateway's timestamp window lets a replay pass the timestamp check, and never
//! more than a fixed number of them.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// The gateway allows this much clock skew on `X-Ca-Timestamp` (15 minutes).
pub(crate) const TIMESTAMP_WINDOW_MS: u128 = 15 * 60 * 1000;

/// What [`Nonces::admit`] decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Not seen within the window: remembered now.
    Fresh,
    /// Seen within the window: a replay.
    Used,
    /// The store holds its limit of nonces still inside the window: refused, not remembered.
    Full,
}

/// Nonces with the timestamp of the request that carried them.
pub(crate) struct Nonces {
    inner: Mutex<Inner>,
    limit: usize,
}

#[derive(Default)]
struct Inner {
    seen: HashSet<Arc<str>>,
    /// The same nonces, oldest timestamp first, to drop them once out of the window.
    by_age: BinaryHeap<Reverse<(u128, Arc<str>)>>,
}

/// The count only.
impl fmt::Debug for Nonces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Nonces")
            .field("stored", &self.len())
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl Nonces {
    pub(crate) fn with_limit(limit: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            limit,
        }
    }

    /// Admits `nonce`, sent with a request timestamped `timestamp_ms` (its `X-Ca-Timestamp`,
    /// or the time it arrived), at `now_ms`; first forgets the nonces whose requests are older
    /// than the window, since a replay of those fails the timestamp check anyway.
    pub(crate) fn admit(&self, nonce: &str, timestamp_ms: u128, now_ms: u128) -> Admission {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let Inner { seen, by_age } = &mut *inner;
        while let Some(Reverse((timestamp, _))) = by_age.peek() {
            if now_ms.saturating_sub(*timestamp) <= TIMESTAMP_WINDOW_MS {
                break;
            }
            if let Some(Reverse((_, old))) = by_age.pop() {
                seen.remove(&old);
            }
        }
        if seen.contains(nonce) {
            return Admission::Used;
        }
        if seen.len() >= self.limit {
            return Admission::Full;
        }
        let nonce: Arc<str> = Arc::from(nonce);
        seen.insert(Arc::clone(&nonce));
        by_age.push(Reverse((timestamp_ms, nonce)));
        Admission::Fresh
    }

    /// How many nonces are remembered.
    pub(crate) fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .seen
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::{Admission, Nonces, TIMESTAMP_WINDOW_MS};

    const NOW: u128 = 1_700_000_000_000;

    #[test]
    fn a_nonce_is_refused_again_within_the_window_and_forgotten_after_it() {
        let nonces = Nonces::with_limit(10);
        assert_eq!(nonces.admit("a", NOW, NOW), Admission::Fresh);
        assert_eq!(nonces.admit("a", NOW, NOW + 1), Admission::Used);
        // A request timestamped just inside the window can still be replayed: kept.
        assert_eq!(
            nonces.admit("a", NOW, NOW + TIMESTAMP_WINDOW_MS),
            Admission::Used
        );
        assert_eq!(nonces.len(), 1);
        // Past the window a replay fails the timestamp check: forgotten.
        assert_eq!(
            nonces.admit(
                "b",
                NOW + TIMESTAMP_WINDOW_MS + 1,
                NOW + TIMESTAMP_WINDOW_MS + 1
            ),
            Admission::Fresh
        );
        assert_eq!(nonces.len(), 1);
    }

    #[test]
    fn a_request_timestamped_ahead_is_remembered_until_its_own_timestamp_leaves_the_window() {
        let nonces = Nonces::with_limit(10);
        let ahead = NOW + TIMESTAMP_WINDOW_MS;
        assert_eq!(nonces.admit("ahead", ahead, NOW), Admission::Fresh);
        assert_eq!(nonces.admit("now", NOW, NOW), Admission::Fresh);
        let later = NOW + 2 * TIMESTAMP_WINDOW_MS;
        assert_eq!(nonces.admit("ahead", ahead, later), Admission::Used);
        assert_eq!(
            nonces.len(),
            1,
            "the older one is gone, the one ahead stays"
        );
        assert_eq!(nonces.admit("x", later + 1, later + 1), Admission::Fresh);
        assert_eq!(nonces.len(), 1);
    }

    #[test]
    fn a_full_store_refuses_new_nonces_until_old_ones_expire() {
        let nonces = Nonces::with_limit(2);
        assert_eq!(nonces.admit("a", NOW, NOW), Admission::Fresh);
        assert_eq!(nonces.admit("b", NOW + 1, NOW + 1), Admission::Fresh);
        assert_eq!(nonces.admit("c", NOW + 2, NOW + 2), Admission::Full);
        assert_eq!(nonces.admit("a", NOW, NOW + 2), Admission::Used);
        assert_eq!(nonces.len(), 2);
        let expired = NOW + TIMESTAMP_WINDOW_MS + 1;
        assert_eq!(nonces.admit("c", expired, expired), Admission::Fresh);
        assert_eq!(nonces.len(), 2);
        assert_eq!(format!("{nonces:?}"), "Nonces { stored: 2, limit: 2, .. }");
    }
}

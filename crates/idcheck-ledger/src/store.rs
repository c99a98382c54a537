//! What a backend does: a few atomic steps, every time in them read from the store's own clock
//! (so that processes and machines with different clocks agree). The claim protocol built on
//! them lives in [`crate::Ledger`], the same for every backend, so every backend passes one
//! conformance suite.
//!
//! Exclusion comes from the store: at most one call per (entry, target) is `claimed` or
//! `unresolved` at a time (a unique index over those states), so an insert of a second claim
//! fails in the store itself, whichever process or machine tries it.

use crate::LedgerError;
use crate::record::{CallEnd, CallRecord, CallState, NewClaim, OpenCall, Stats};

/// A recorded answer row: id, when it ended, the stored answer's JSON.
pub(crate) type AnswerRow = (i64, i64, String);

/// Which answers count as reusable, by the store's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Since {
    /// Answers that ended within this many milliseconds before now.
    Age(i64),
    /// Answers that ended at or after this time (ms since the epoch, store clock).
    From(i64),
    /// None: only answers recorded from now on.
    Now,
}

impl Since {
    /// The two parameters the SQL statements take: an absolute start, or an age (−1 for
    /// "after now").
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) const fn params(self) -> (Option<i64>, i64) {
        match self {
            Self::Age(age) => (None, age),
            Self::From(at) => (Some(at), 0),
            Self::Now => (None, -1),
        }
    }

    /// The start it means at `now_ms`.
    pub(crate) const fn start_at(self, now_ms: i64) -> i64 {
        match self {
            Self::Age(age) => now_ms.saturating_sub(age),
            Self::From(at) => at,
            Self::Now => now_ms.saturating_add(1),
        }
    }
}

/// A claim that went in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Claimed {
    pub(crate) id: i64,
    /// When it was claimed, by the store's clock.
    pub(crate) now_ms: i64,
}

/// What one claim step found.
#[derive(Debug)]
pub(crate) enum Step {
    /// The claim is in: send.
    Claimed(Claimed),
    /// An answer recorded within the window: reuse it.
    Answered(AnswerRow),
    /// Another call is open for the entry and target (or took its place meanwhile).
    Blocked,
}

/// How [`Store::finish`] went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Finished {
    /// Written now.
    Written,
    /// This holder had recorded it already (a retry after a reply was lost).
    AlreadyWritten,
    /// The ledger no longer holds the call as this holder's (purged, deleted, replaced).
    Lost,
}

/// A budget reservation's outcome: the day it was counted on, or when the spent day ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reserved {
    /// Counted on this day (days since the epoch in the budget's time zone).
    On(i64),
    /// Refused: the day has no room left; it ends at this time (ms since the epoch).
    Refused {
        /// When the day ends.
        resets_at_ms: i64,
    },
}

#[async_trait::async_trait]
pub(crate) trait Store: std::fmt::Debug + Send + Sync {
    /// Creates or migrates the schema and checks (or, for a new ledger, stores) the key's
    /// check value.
    async fn init(&self, key_check: &str) -> Result<(), LedgerError>;
    /// The store's clock, ms since the epoch.
    async fn now_ms(&self) -> Result<i64, LedgerError>;
    /// Claims unless the entry and target have an answer within `since` (then that answer)
    /// or an open call ([`Step::Blocked`]). Atomic: an answer recorded by a holder whose
    /// claim blocked this one is seen.
    async fn claim(&self, claim: &NewClaim, since: Since) -> Result<Step, LedgerError>;
    /// The newest answer of an entry and target within `since`.
    async fn latest_answer(
        &self,
        entry: &str,
        target: &str,
        since: Since,
    ) -> Result<Option<AnswerRow>, LedgerError>;
    /// The claim of `holder` (a claim's own token) on an entry and target, if it went in.
    async fn own_claim(
        &self,
        entry: &str,
        target: &str,
        holder: &str,
    ) -> Result<Option<i64>, LedgerError>;
    /// The open call of an entry and target.
    async fn open_call(&self, entry: &str, target: &str) -> Result<Option<OpenCall>, LedgerError>;
    /// Removes a claim that was never sent.
    async fn delete_claim(&self, id: i64, holder: &str) -> Result<(), LedgerError>;
    /// `claimed` → `unresolved` when its lease has ended (its holder died or stalled).
    async fn expire(&self, id: i64) -> Result<bool, LedgerError>;
    /// Every `claimed` call whose lease has ended → `unresolved`.
    async fn expire_stale(&self) -> Result<u64, LedgerError>;
    /// `unresolved` (or lapsed `claimed`) → `resent`, freeing the entry and target for a new
    /// claim, once the call's whole possible life (lease, then its longest call) has passed.
    async fn mark_resent(&self, id: i64) -> Result<bool, LedgerError>;
    /// Ends the holder's call (claimed, lapsed into unresolved, or re-sent elsewhere since: a
    /// late answer is kept).
    async fn finish(&self, id: i64, holder: &str, end: &CallEnd) -> Result<Finished, LedgerError>;
    /// Extends the lease of the holder's claimed call to `lease_ms` from now; `false` when it
    /// is no longer claimed or its lease already ended.
    async fn renew(&self, id: i64, holder: &str, lease_ms: i64) -> Result<bool, LedgerError>;
    /// Calls in `state`, oldest first.
    async fn calls_in(&self, state: CallState) -> Result<Vec<CallRecord>, LedgerError>;
    /// Calls claimed at or after `since_ms`, oldest first.
    async fn calls_since(&self, since_ms: i64) -> Result<Vec<CallRecord>, LedgerError>;
    /// `unresolved` → `answered` (billed) or `released` on the user's word; `false` when no
    /// unresolved call has that id.
    async fn resolve(&self, id: i64, end: &CallEnd) -> Result<bool, LedgerError>;
    /// Gives a call's budget reservation back to its client's budget, once: the call's
    /// reservation is marked given back and the counter lowered in one transaction, so trying
    /// again after an unknown outcome never gives it back twice. `false` when it held none.
    async fn give_back(&self, id: i64) -> Result<bool, LedgerError>;
    /// Deletes ended calls that ended more than `age_ms` ago; unresolved and claimed calls
    /// stay.
    async fn purge(&self, age_ms: i64) -> Result<u64, LedgerError>;
    /// Adds `amount` to `client`'s spending on today (the store's day, shifted by
    /// `day_offset_ms` from UTC) if it stays within `limit`. Atomic across processes.
    async fn reserve_budget(
        &self,
        client: &str,
        day_offset_ms: i64,
        amount: i64,
        limit: i64,
    ) -> Result<Reserved, LedgerError>;
    /// Takes `amount` back from `client`'s spending on `day` (not below zero).
    async fn refund_budget(&self, client: &str, day: i64, amount: i64) -> Result<(), LedgerError>;
    /// What `client` has spent or holds reserved on `day`.
    async fn budget_used(&self, client: &str, day: i64) -> Result<i64, LedgerError>;
    /// Takes the next start slot of the limit `name` (slots `interval_us` apart, shared by
    /// every process): the wait until it in ms, or `None` (nothing taken) when it is more
    /// than `max_wait_ms` away.
    async fn take_slot(
        &self,
        name: &str,
        interval_us: i64,
        max_wait_ms: i64,
    ) -> Result<Option<i64>, LedgerError>;
    /// Counts.
    async fn stats(&self) -> Result<Stats, LedgerError>;
    /// Flushes and closes the store (SQLite: the write-ahead log is folded into the file, so
    /// the file alone holds the ledger). Nothing may be done with it afterwards.
    async fn close(&self) -> Result<(), LedgerError> {
        Ok(())
    }
    /// Whether the store still answers (and, for a file, is still the file that was opened).
    async fn ping(&self) -> Result<(), LedgerError>;
}

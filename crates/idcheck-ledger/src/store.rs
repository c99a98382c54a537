//! What a backend does: a few atomic steps. The claim protocol built on them lives in
//! [`crate::Ledger`], the same for every backend, so every backend passes one conformance suite.
//!
//! Exclusion comes from the store: at most one call per (entry, target) is `claimed` or
//! `unresolved` at a time (a unique index over those states), so an insert of a second claim
//! fails in the store itself, whichever process or machine tries it.

use crate::LedgerError;
use crate::record::{CallEnd, CallRecord, CallState, NewClaim, OpenCall, Stats};

/// A recorded answer row: id, when it ended, the stored answer's JSON.
pub(crate) type AnswerRow = (i64, i64, String);

#[async_trait::async_trait]
pub(crate) trait Store: std::fmt::Debug + Send + Sync {
    /// Creates or migrates the schema and checks (or, for a new ledger, stores) the key's
    /// check value.
    async fn init(&self, key_check: &str) -> Result<(), LedgerError>;
    /// Inserts a claim; `None` when the entry and target already have an open call.
    async fn insert_claim(&self, claim: &NewClaim) -> Result<Option<i64>, LedgerError>;
    /// Inserts a claim unless the entry and target have an open call or an answer that ended
    /// at or after `since_ms`; `None` when it did not. Atomic: an answer recorded by a holder
    /// whose claim blocked this one is seen. Stores that can do it in one statement do.
    async fn claim_unless_answered(
        &self,
        claim: &NewClaim,
        since_ms: i64,
    ) -> Result<Option<i64>, LedgerError> {
        let Some(id) = self.insert_claim(claim).await? else {
            return Ok(None);
        };
        // Looked at after the claim is in, so an answer recorded by the holder whose claim
        // blocked ours is visible (looking first would race with it).
        if self
            .latest_answer(&claim.entry, &claim.target, since_ms)
            .await?
            .is_some()
        {
            self.delete_claim(id, &claim.holder).await?;
            return Ok(None);
        }
        Ok(Some(id))
    }
    /// The open call of an entry and target.
    async fn open_call(&self, entry: &str, target: &str) -> Result<Option<OpenCall>, LedgerError>;
    /// The newest answered call of an entry and target that ended at or after `since_ms`.
    async fn latest_answer(
        &self,
        entry: &str,
        target: &str,
        since_ms: i64,
    ) -> Result<Option<AnswerRow>, LedgerError>;
    /// Removes a claim that was never sent.
    async fn delete_claim(&self, id: i64, holder: &str) -> Result<(), LedgerError>;
    /// `claimed` → `unresolved` when its lease ended before `now_ms` (its holder died).
    async fn expire(&self, id: i64, now_ms: i64) -> Result<bool, LedgerError>;
    /// Every `claimed` call whose lease ended before `now_ms` → `unresolved`.
    async fn expire_stale(&self, now_ms: i64) -> Result<u64, LedgerError>;
    /// `unresolved` → `resent`, freeing the entry and target for a new claim.
    async fn mark_resent(&self, id: i64, now_ms: i64) -> Result<bool, LedgerError>;
    /// Ends the holder's call; `false` when the ledger no longer holds it.
    async fn finish(
        &self,
        id: i64,
        holder: &str,
        end: &CallEnd,
        now_ms: i64,
    ) -> Result<bool, LedgerError>;
    /// Extends the lease of the holder's claimed call; `false` when it is no longer claimed.
    async fn renew(&self, id: i64, holder: &str, until_ms: i64) -> Result<bool, LedgerError>;
    /// Calls in `state`, oldest first.
    async fn calls_in(&self, state: CallState) -> Result<Vec<CallRecord>, LedgerError>;
    /// Calls claimed at or after `since_ms`, oldest first.
    async fn calls_since(&self, since_ms: i64) -> Result<Vec<CallRecord>, LedgerError>;
    /// `unresolved` → `answered` (billed) or `released` on the user's word.
    async fn resolve(&self, id: i64, end: &CallEnd, now_ms: i64) -> Result<bool, LedgerError>;
    /// Deletes ended calls that ended before `before_ms`; unresolved and claimed calls stay.
    async fn purge(&self, before_ms: i64) -> Result<u64, LedgerError>;
    /// Adds `amount` to the counter (`kind`, `name`, `window`) if the sum stays within
    /// `limit`; `false` (and nothing added) when it would not. Atomic across processes.
    async fn reserve(
        &self,
        kind: &str,
        name: &str,
        window: i64,
        amount: i64,
        limit: i64,
    ) -> Result<bool, LedgerError>;
    /// Takes `amount` back from a counter (not below zero).
    async fn refund(
        &self,
        kind: &str,
        name: &str,
        window: i64,
        amount: i64,
    ) -> Result<(), LedgerError>;
    /// A counter's value (0 when absent).
    async fn counter(&self, kind: &str, name: &str, window: i64) -> Result<i64, LedgerError>;
    /// Deletes counters of `kind` older than `window`.
    async fn forget_counters(&self, kind: &str, before_window: i64) -> Result<(), LedgerError>;
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

//! The record of paid verification calls: so that no path of idcheck's pays twice for one
//! person, across runs, processes and machines.
//!
//! One entry per request (keyed by an HMAC of its inputs under a [`LedgerKey`] kept outside
//! the ledger); within it one record per vendor call, bound to its [`Target`] (vendor, base
//! URL, account). A call is **claimed** before it is sent — exclusively, in the store, across
//! every process that shares it — and ends **answered** (verdict or billed error, reused
//! later), **released** (certainly not billed: may be sent again) or **unresolved** (may have
//! been billed: never sent again unless the user says so). A holder that dies leaves its
//! claims to expire into unresolved calls when their lease runs out.
//!
//! Stores: SQLite (the default, a file per user), PostgreSQL (many processes and machines)
//! and memory (tests, short-lived programs).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use idcheck_ledger::{Claim, ClaimPolicy, Ledger, LedgerKey};
//! use idcheck_core::{IdNumber, Name};
//! use provider_trait::{Request, Target};
//! let ledger = Ledger::open("memory", LedgerKey::random()?).await?;
//! let request = Request::identity(IdNumber::parse("11010519491231002X")?, Name::parse("张三")?);
//! let claim = ledger.claim(&request, &Target::unbound("demo"), &ClaimPolicy::default()).await?;
//! assert!(matches!(claim, Claim::Send(_))); // nobody asked before: send it, then record
//! # Ok(()) }
//! ```

mod error;
mod key;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod record;
mod scrub;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use provider_trait::{Billing, Error, Price, Report, Request, Target};

pub use error::{KeyError, LedgerError};
pub use key::{ENV_LEDGER_KEY, EntryKey, KeySource, LedgerKey, TargetKey, default_key_path};
pub use record::{CallId, CallRecord, CallState, DailyUsage, Reused, Stats, StoredAnswer};
pub use scrub::scrub;

use record::{CallEnd, NewClaim};
use store::Store;

/// Environment variable naming the ledger (a path, `sqlite:PATH`, `postgres://…`, `memory`).
pub const ENV_LEDGER: &str = "IDCHECK_LEDGER";

/// How long answers are reused by default: 30 days. A person's identity record (ID number
/// with name) does not change; a mobile's owner or a vendor's record can, and a month is
/// the horizon within which teams re-check the same person (sign-up retries, batch re-runs)
/// while a stale "mismatch" still ages out.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(30 * 24 * 3600);

/// How long a claim lives without its holder renewing it (it renews every third of it while
/// the call is in flight). A holder killed mid-call leaves an unresolved call this long after.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(15);

/// How long a claim made elsewhere is awaited before giving up (the lease, plus a margin).
pub const DEFAULT_WAIT: Duration = Duration::from_secs(20);

/// The default ledger file: `idcheck/ledger.sqlite` in the user's data directory.
#[must_use]
pub fn default_location() -> Option<PathBuf> {
    dirs::data_dir().map(|dir| dir.join("idcheck").join("ledger.sqlite"))
}

/// What a claim says to do.
#[derive(Debug)]
#[non_exhaustive]
pub enum Claim {
    /// Send it: the call is claimed for this holder. Record how it ended with
    /// [`Ledger::record`].
    Send(Call),
    /// Answered earlier for this target, within the maximum age: no call.
    Reused(Reused),
    /// Claimed by a live holder elsewhere (another task, process or machine).
    InFlight {
        /// The other holder's call.
        call: CallId,
        /// When its lease ends unless renewed (ms since the epoch).
        lease_until_ms: i64,
    },
    /// An earlier call may have been billed and has no answer: not sent again.
    Unresolved(CallId),
}

/// A claimed call, to be recorded when it ends.
#[derive(Debug)]
#[must_use = "a claimed call must be recorded, or it ends unresolved"]
pub struct Call {
    id: CallId,
}

impl Call {
    /// The call's id in the ledger.
    #[must_use]
    pub const fn id(&self) -> CallId {
        self.id
    }
}

/// What a caller wants of a claim.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ClaimPolicy {
    /// Do not reuse answers recorded before this claim (answers that arrive while it waits
    /// for another holder are still taken: that holder paid for them for this request).
    pub fresh: bool,
    /// Send again a call left unresolved (it is kept, marked re-sent, billing unknown).
    pub resend_unresolved: bool,
    /// The client on whose behalf the call is made (a service's client name), for audits.
    pub client: Option<String>,
}

impl ClaimPolicy {
    /// Fresh answers only.
    #[must_use]
    pub fn fresh(mut self, yes: bool) -> Self {
        self.fresh = yes;
        self
    }

    /// Re-send unresolved calls.
    #[must_use]
    pub fn resend_unresolved(mut self, yes: bool) -> Self {
        self.resend_unresolved = yes;
        self
    }

    /// On behalf of `client`.
    #[must_use]
    pub fn for_client(mut self, client: impl Into<String>) -> Self {
        self.client = Some(client.into());
        self
    }
}

/// The ledger: a store, the key its entries are made with, and this holder's identity.
pub struct Ledger {
    store: Box<dyn Store>,
    key: LedgerKey,
    location: String,
    holder: String,
    lease: Duration,
    wait: Duration,
    max_age: Duration,
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ledger")
            .field("location", &self.location)
            .field("lease", &self.lease)
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl Ledger {
    /// Opens (creating if needed) the ledger at `location`: `memory`, a file path or
    /// `sqlite:PATH` (SQLite), or `postgres://…` (PostgreSQL; `?schema=NAME` for a schema of
    /// its own). The key is checked against the ledger's check value.
    ///
    /// # Errors
    ///
    /// An unknown scheme, a store that cannot be opened (missing directory rights, a corrupt
    /// file, an unreachable server), a ledger made with another key.
    pub async fn open(location: &str, key: LedgerKey) -> Result<Self, LedgerError> {
        let (store, shown): (Box<dyn Store>, String) = open_store(location).await?;
        store.init(&key.check_value()).await?;
        Ok(Self::with_store(store, key, shown))
    }

    /// A new ledger in memory, for one process: tests, short-lived programs, and routers given
    /// no other.
    #[must_use]
    pub fn in_memory(key: LedgerKey) -> Self {
        Self::with_store(
            Box::new(memory::MemoryStore::default()),
            key,
            "memory".to_owned(),
        )
    }

    fn with_store(store: Box<dyn Store>, key: LedgerKey, location: String) -> Self {
        let mut nonce = [0; 8];
        // Two holders in one process only need different nonces; the pid separates processes.
        let _ = getrandom::fill(&mut nonce);
        Self {
            store,
            key,
            location,
            holder: format!("{}-{}", std::process::id(), key::hex(&nonce)),
            lease: DEFAULT_LEASE,
            wait: DEFAULT_WAIT,
            max_age: DEFAULT_MAX_AGE,
        }
    }

    /// Answers older than `max_age` are not reused.
    #[must_use]
    pub const fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The lease of this holder's claims (renewed every third of it while a call is held).
    #[must_use]
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(30));
        self
    }

    /// How long [`Ledger::claim_waiting`] waits for another holder.
    #[must_use]
    pub const fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// Where it is (a path, or a URL without its password).
    #[must_use]
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The maximum age of a reused answer.
    #[must_use]
    pub const fn max_age(&self) -> Duration {
        self.max_age
    }

    /// The entry key of `request`.
    #[must_use]
    pub fn entry_key(&self, request: &Request) -> EntryKey {
        self.key.entry_key(request)
    }

    /// Claims the call of `request` to `target`: reuse, send, wait or stop, as the ledger says.
    ///
    /// # Errors
    ///
    /// The store failed, or lost its file.
    pub async fn claim(
        &self,
        request: &Request,
        target: &Target,
        policy: &ClaimPolicy,
    ) -> Result<Claim, LedgerError> {
        let entry = self.key.entry_key(request);
        self.claim_entry(&entry, target, policy, now_ms()).await
    }

    /// [`Ledger::claim`], waiting while the call is in flight elsewhere (polling, up to the
    /// wait bound): returns `InFlight` only when the bound ran out.
    ///
    /// # Errors
    ///
    /// As [`Ledger::claim`].
    pub async fn claim_waiting(
        &self,
        request: &Request,
        target: &Target,
        policy: &ClaimPolicy,
    ) -> Result<Claim, LedgerError> {
        let entry = self.key.entry_key(request);
        let started = now_ms();
        let deadline = tokio::time::Instant::now() + self.wait;
        let mut pause = Duration::from_millis(5);
        loop {
            let claim = self.claim_entry(&entry, target, policy, started).await?;
            let Claim::InFlight { lease_until_ms, .. } = &claim else {
                return Ok(claim);
            };
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(claim);
            }
            // Poll sooner when the lease is about to run out.
            let to_lease_end = Duration::from_millis(
                u64::try_from(lease_until_ms.saturating_sub(now_ms()).max(1)).unwrap_or(1),
            );
            tokio::time::sleep(pause.min(to_lease_end).min(deadline - now)).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    async fn claim_entry(
        &self,
        entry: &EntryKey,
        target: &Target,
        policy: &ClaimPolicy,
        started_ms: i64,
    ) -> Result<Claim, LedgerError> {
        let entry_hex = entry.to_string();
        let target_hex = self.key.target_key(target).to_string();
        // Several rounds only when other holders keep changing the entry under us.
        for _ in 0..16 {
            let now = now_ms();
            let since = if policy.fresh {
                // Answers recorded in the very millisecond the request started count as old.
                started_ms.saturating_add(1)
            } else {
                now.saturating_sub(millis(self.max_age))
            };
            let claim = NewClaim {
                entry: entry_hex.clone(),
                target: target_hex.clone(),
                vendor: target.provider().to_owned(),
                base_url: target.base_url().to_owned(),
                holder: self.holder.clone(),
                client: policy.client.clone(),
                now_ms: now,
                lease_until_ms: now.saturating_add(millis(self.lease)),
            };
            if let Some(id) = self.store.claim_unless_answered(&claim, since).await? {
                return Ok(Claim::Send(Call { id: CallId(id) }));
            }
            if let Some(reused) = self.reusable(&entry_hex, &target_hex, since).await? {
                return Ok(Claim::Reused(reused));
            }
            let Some(open) = self.store.open_call(&entry_hex, &target_hex).await? else {
                continue;
            };
            match open.state {
                CallState::Claimed if open.lease_until_ms >= now => {
                    return Ok(Claim::InFlight {
                        call: CallId(open.id),
                        lease_until_ms: open.lease_until_ms,
                    });
                }
                CallState::Claimed => {
                    // Its holder stopped renewing: it died, maybe after sending.
                    self.store.expire(open.id, now).await?;
                }
                CallState::Unresolved if policy.resend_unresolved => {
                    self.store.mark_resent(open.id, now).await?;
                }
                _ => return Ok(Claim::Unresolved(CallId(open.id))),
            }
        }
        Err(LedgerError::Store(
            "the entry kept changing under this claim; try again".to_owned(),
        ))
    }

    async fn reusable(
        &self,
        entry: &str,
        target: &str,
        since_ms: i64,
    ) -> Result<Option<Reused>, LedgerError> {
        let Some((id, ended, json)) = self.store.latest_answer(entry, target, since_ms).await?
        else {
            return Ok(None);
        };
        let answer: StoredAnswer = serde_json::from_str(&json)
            .map_err(|e| LedgerError::Store(format!("call {id}: unreadable answer: {e}")))?;
        Ok(Some(Reused {
            call: CallId(id),
            answered_at_ms: ended,
            answer,
        }))
    }

    /// Runs `call_future` (the vendor call) while renewing `call`'s lease, so that other
    /// holders keep waiting for it however long it takes.
    pub async fn hold<F: Future>(&self, call: &Call, call_future: F) -> F::Output {
        let period = (self.lease / 3).max(Duration::from_millis(10));
        tokio::pin!(call_future);
        loop {
            tokio::select! {
                out = &mut call_future => return out,
                () = tokio::time::sleep(period) => {
                    let until = now_ms().saturating_add(millis(self.lease));
                    // A failed renewal shows when the call is recorded.
                    let _ = self.store.renew(call.id.0, &self.holder, until).await;
                }
            }
        }
    }

    /// Records how `call` ended: an answer (reused later), a billed error, an unbilled failure
    /// (released: may be sent again) or a failure after sending (unresolved). Vendor text is
    /// scrubbed of digit runs and `request`'s name first.
    ///
    /// # Errors
    ///
    /// The store failed, or no longer holds the call ([`LedgerError::Lost`]).
    pub async fn record(
        &self,
        call: Call,
        request: &Request,
        result: &Result<Report, Error>,
        unit_price: Option<Price>,
    ) -> Result<(), LedgerError> {
        let name = request.name().as_str();
        let cost = |billing| {
            (billing == Billing::Billed)
                .then_some(unit_price)
                .flatten()
                .map(|p| i64::from(p.milli_yuan()))
        };
        let end = match result {
            Ok(report) => CallEnd {
                state: CallState::Answered,
                billing: report.trace.billing,
                cost_milli_yuan: cost(report.trace.billing),
                outcome: report.verdict.to_string(),
                answer: Some(json(&StoredAnswer::of_report(report, name))?),
                gateway_request_id: report.trace.gateway_request_id.clone(),
                vendor_request_id: report.trace.vendor_request_id.clone(),
            },
            Err(error) => {
                let billing = error.billing();
                let state = match billing {
                    Billing::Billed => CallState::Answered,
                    Billing::NotBilled => CallState::Released,
                    Billing::Unknown => CallState::Unresolved,
                };
                CallEnd {
                    state,
                    billing,
                    cost_milli_yuan: cost(billing),
                    outcome: scrub(&error.to_string(), name),
                    answer: (billing == Billing::Billed)
                        .then(|| json(&StoredAnswer::of_error(error, name)))
                        .transpose()?,
                    gateway_request_id: error.request_id().map(str::to_owned),
                    vendor_request_id: None,
                }
            }
        };
        if self
            .store
            .finish(call.id.0, &self.holder, &end, now_ms())
            .await?
        {
            Ok(())
        } else {
            Err(LedgerError::Lost(format!("call {}", call.id)))
        }
    }

    /// Gives a claimed call back without sending it (nothing was sent).
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn abandon(&self, call: Call) -> Result<(), LedgerError> {
        self.store.delete_claim(call.id.0, &self.holder).await
    }

    /// Unresolved calls, oldest first.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn unresolved(&self) -> Result<Vec<CallRecord>, LedgerError> {
        // Claims whose holder stopped renewing are unresolved, whether or not anyone has
        // asked for the same request since.
        self.store.expire_stale(now_ms()).await?;
        self.store.calls_in(CallState::Unresolved).await
    }

    /// Settles an unresolved call on the user's word: billed (it counts in reports) or not.
    /// Either way the request may then be sent again. `false` when no unresolved call has
    /// that id.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn resolve(&self, call: CallId, billed: bool) -> Result<bool, LedgerError> {
        let end = CallEnd {
            state: if billed {
                CallState::Answered
            } else {
                CallState::Released
            },
            billing: if billed {
                Billing::Billed
            } else {
                Billing::NotBilled
            },
            cost_milli_yuan: None,
            outcome: if billed {
                "resolved by hand: billed".to_owned()
            } else {
                "resolved by hand: not billed".to_owned()
            },
            answer: None,
            gateway_request_id: None,
            vendor_request_id: None,
        };
        self.store.expire_stale(now_ms()).await?;
        self.store.resolve(call.0, &end, now_ms()).await
    }

    /// Deletes ended calls older than `age`; claimed and unresolved calls stay. Returns how
    /// many were deleted.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn purge_older_than(&self, age: Duration) -> Result<u64, LedgerError> {
        self.store.purge(now_ms().saturating_sub(millis(age))).await
    }

    /// Counts over the whole ledger.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn stats(&self) -> Result<Stats, LedgerError> {
        self.store.expire_stale(now_ms()).await?;
        self.store.stats().await
    }

    /// Every call claimed at or after `since_ms`, oldest first.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn calls_since(&self, since_ms: i64) -> Result<Vec<CallRecord>, LedgerError> {
        self.store.calls_since(since_ms).await
    }

    /// Billed calls and cost per vendor per day (UTC) since `since_ms`, and per client too
    /// when `by_client`.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn usage(
        &self,
        since_ms: i64,
        by_client: bool,
    ) -> Result<Vec<DailyUsage>, LedgerError> {
        let mut days: BTreeMap<(String, String, Option<String>), DailyUsage> = BTreeMap::new();
        for call in self.store.calls_since(since_ms).await? {
            let at = call.ended_at_ms.unwrap_or(call.claimed_at_ms);
            let day = chrono::DateTime::from_timestamp_millis(at)
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            let client = if by_client { call.client.clone() } else { None };
            let usage = days
                .entry((day.clone(), call.vendor.clone(), client.clone()))
                .or_insert_with(|| DailyUsage {
                    day,
                    vendor: call.vendor.clone(),
                    client,
                    billed_calls: 0,
                    maybe_billed_calls: 0,
                    cost_milli_yuan: 0,
                });
            match (call.state, call.billing) {
                (_, Some(Billing::Billed)) => {
                    usage.billed_calls += 1;
                    usage.cost_milli_yuan += call.cost_milli_yuan.unwrap_or(0);
                }
                (CallState::Unresolved | CallState::Resent, _) | (_, Some(Billing::Unknown)) => {
                    usage.maybe_billed_calls += 1;
                }
                _ => {}
            }
        }
        Ok(days.into_values().collect())
    }

    /// Adds `amount_milli_yuan` to `client`'s spending on `day` (days since the Unix epoch,
    /// UTC) if it stays within `limit_milli_yuan`: `false`, and nothing added, when it would
    /// not. Atomic across every process sharing the store, so a budget holds across replicas.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn reserve_budget(
        &self,
        client: &str,
        day: i64,
        amount_milli_yuan: i64,
        limit_milli_yuan: i64,
    ) -> Result<bool, LedgerError> {
        self.store
            .reserve("budget", client, day, amount_milli_yuan, limit_milli_yuan)
            .await
    }

    /// Gives back part of a reservation (what a call did not cost after all).
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn refund_budget(
        &self,
        client: &str,
        day: i64,
        amount_milli_yuan: i64,
    ) -> Result<(), LedgerError> {
        self.store
            .refund("budget", client, day, amount_milli_yuan)
            .await
    }

    /// What `client` has spent (or holds reserved) on `day`.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn budget_spent(&self, client: &str, day: i64) -> Result<i64, LedgerError> {
        self.store.counter("budget", client, day).await
    }

    /// Waits for one of `per_second` call slots of the limit `name`, shared by every process
    /// on the store (a gateway's QPS limit per AppCode, shared by service replicas).
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn take_rate_slot(&self, name: &str, per_second: u32) -> Result<(), LedgerError> {
        loop {
            let now = now_ms();
            let second = now.div_euclid(1000);
            if self
                .store
                .reserve("rate", name, second, 1, i64::from(per_second))
                .await?
            {
                if second % 60 == 0 {
                    self.store.forget_counters("rate", second - 60).await?;
                }
                return Ok(());
            }
            let to_next = u64::try_from(1000 - now.rem_euclid(1000)).unwrap_or(1);
            tokio::time::sleep(Duration::from_millis(to_next.max(1))).await;
        }
    }

    /// Closes the store: SQLite folds its write-ahead log into the file (so the file alone
    /// holds the ledger, to copy or back up). Call it when done; nothing may follow.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn close(&self) -> Result<(), LedgerError> {
        self.store.close().await
    }

    /// Whether the store still answers (and is still the file that was opened).
    ///
    /// # Errors
    ///
    /// The store is unreachable, or its file was deleted or replaced.
    pub async fn ping(&self) -> Result<(), LedgerError> {
        self.store.ping().await
    }
}

fn json(answer: &StoredAnswer) -> Result<String, LedgerError> {
    serde_json::to_string(answer).map_err(|e| LedgerError::Store(e.to_string()))
}

// Without a SQL store feature, nothing here awaits.
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    allow(clippy::unused_async)
)]
async fn open_store(location: &str) -> Result<(Box<dyn Store>, String), LedgerError> {
    let location = location.trim();
    let unsupported = |reason: &str| LedgerError::Location {
        location: location.to_owned(),
        reason: reason.to_owned(),
    };
    if location.is_empty() {
        return Err(unsupported("it is empty"));
    }
    if location == "memory" || location == ":memory:" {
        return Ok((
            Box::new(memory::MemoryStore::default()),
            "memory".to_owned(),
        ));
    }
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        {
            let store = postgres::PostgresStore::open(location).await?;
            return Ok((Box::new(store), postgres::redact(location)));
        }
        #[cfg(not(feature = "postgres"))]
        return Err(unsupported("built without the `postgres` feature"));
    }
    if let Some((scheme, _)) = location.split_once("://") {
        if scheme != "sqlite" && !scheme.contains(['/', '\\']) && scheme.len() < 12 {
            return Err(unsupported(
                "use a file path, sqlite:PATH, postgres://… or memory",
            ));
        }
    }
    let path = location
        .strip_prefix("sqlite://")
        .or_else(|| location.strip_prefix("sqlite:"))
        .unwrap_or(location);
    #[cfg(feature = "sqlite")]
    {
        let path = PathBuf::from(path);
        let store = sqlite::SqliteStore::open(&path).await?;
        Ok((Box::new(store), path.display().to_string()))
    }
    #[cfg(not(feature = "sqlite"))]
    {
        let _ = path;
        Err(unsupported("built without the `sqlite` feature"))
    }
}

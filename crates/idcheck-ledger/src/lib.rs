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

mod clock;
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
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use provider_trait::{Billing, Error, NotSent, Price, Report, Request, SendGate, Target};

pub use error::{KeyError, LedgerError};
pub use key::{ENV_LEDGER_KEY, EntryKey, KeySource, LedgerKey, TargetKey, default_key_path};
pub use record::{CallId, CallRecord, CallState, DailyUsage, Reused, Stats, StoredAnswer};
pub use scrub::scrub;

use record::{CallEnd, NewClaim, Reservation};
use store::{Finished, Reserved, Since, Step, Store};

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

/// The longest a call can last once sent, unless set ([`Ledger::with_max_call`]): the
/// gateway client's default timeout (20 s) with a margin. An unresolved call may be sent
/// again only once its lease and then this much have passed, by the store's clock, so that
/// a slow holder's call has surely ended (and its answer been recorded, if it came).
pub const DEFAULT_MAX_CALL: Duration = Duration::from_secs(30);

/// The vendors' day: budgets reset at midnight in China (UTC+8, no daylight saving), when
/// the marketplace's own daily counts do.
pub const VENDOR_DAY_OFFSET_SECS: i32 = 8 * 3600;

/// Calls started under a shared calls-per-second limit are spaced by this much more than
/// `1 s / limit`, so that arrival jitter (timers, scheduling, the network) can never put one
/// call too many into a one-second window the gateway counts.
pub const RATE_SPACING_MARGIN: f64 = 0.05;

const DAY_MS: i64 = 86_400_000;

/// The day (days since the epoch) that `at_ms` falls on, with days starting `offset_ms`
/// before UTC midnight.
pub(crate) const fn day_of(at_ms: i64, offset_ms: i64) -> i64 {
    (at_ms + offset_ms).div_euclid(DAY_MS)
}

/// When the day after the one `at_ms` falls on starts (ms since the epoch).
pub(crate) const fn next_day_start(at_ms: i64, offset_ms: i64) -> i64 {
    (day_of(at_ms, offset_ms) + 1) * DAY_MS - offset_ms
}

/// The default ledger file: `idcheck/ledger.sqlite` in the user's data directory.
#[must_use]
pub fn default_location() -> Option<PathBuf> {
    dirs::data_dir().map(|dir| dir.join("idcheck").join("ledger.sqlite"))
}

/// What a claim says to do.
#[derive(Debug)]
#[non_exhaustive]
pub enum Claim {
    /// Send it: the call is claimed for this holder. Send it inside [`Ledger::hold`], then
    /// record how it ended with [`Ledger::record`].
    Send(Call),
    /// Answered earlier for this target, within the maximum age: no call.
    Reused(Reused),
    /// Claimed by a live holder elsewhere (another task, process or machine).
    InFlight {
        /// The other holder's call.
        call: CallId,
        /// How long until its lease ends unless renewed (by the store's clock).
        retry_in: Duration,
    },
    /// An earlier call may have been billed and has no answer: not sent again.
    Unresolved(CallId),
    /// Asked to re-send an unresolved call that may still be under way (its holder stalled
    /// less than its lease plus its longest call ago): it may be re-sent after `settles_in`.
    Settling {
        /// The unresolved call.
        call: CallId,
        /// How long until nothing its holder sent can still be under way.
        settles_in: Duration,
    },
    /// The client's daily budget has no room for this call: nothing was claimed.
    BudgetSpent {
        /// When the budget's day ends (ms since the epoch, store clock).
        resets_at_ms: i64,
    },
}

/// A claimed call, to be sent inside [`Ledger::hold`] and recorded when it ends.
#[derive(Debug)]
#[must_use = "a claimed call must be recorded, or it ends unresolved"]
pub struct Call {
    id: CallId,
    /// The claim's own holder token.
    holder: String,
    /// Until when (boot clock) this holder may still send it.
    gate: Arc<Gate>,
    /// It holds a client budget reservation (recorded on the call in the store).
    reserved: bool,
}

impl Call {
    /// The call's id in the ledger.
    #[must_use]
    pub const fn id(&self) -> CallId {
        self.id
    }
}

/// The end of a call that the store could not take yet.
#[derive(Debug)]
struct Unrecorded {
    call: Call,
    end: CallEnd,
}

/// A holder's own deadline for sending a claimed call: its lease as last confirmed by the
/// store, on this process's boot clock (which counts a paused or suspended process's time),
/// measured from before the statement that confirmed it — so it ends no later than the lease
/// the store sees.
#[derive(Debug)]
struct Gate {
    call: i64,
    deadline_boot_ms: AtomicI64,
}

impl Gate {
    fn new(call: i64, confirmed_at_boot_ms: i64, lease_ms: i64) -> Self {
        Self {
            call,
            deadline_boot_ms: AtomicI64::new(confirmed_at_boot_ms.saturating_add(lease_ms)),
        }
    }

    fn extend(&self, confirmed_at_boot_ms: i64, lease_ms: i64) {
        self.deadline_boot_ms.fetch_max(
            confirmed_at_boot_ms.saturating_add(lease_ms),
            Ordering::SeqCst,
        );
    }

    fn check(&self) -> Result<(), NotSent> {
        if clock::boot_ms() < self.deadline_boot_ms.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(NotSent::LeaseLapsed { call: self.call })
        }
    }
}

/// A client's daily spending limit, kept in the ledger so that it holds across every
/// process and machine sharing it. Each vendor call reserves its price before it is claimed;
/// a call that was certainly not billed gives it back; a call that may have been billed keeps
/// it until settled by hand ([`Ledger::resolve`]). The limit is a cap: spent fully, never
/// beyond.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Budget {
    /// The client (a service's client name) whose budget it is.
    pub client: String,
    /// The most the client may spend a day, thousandths of a yuan.
    pub limit_milli_yuan: i64,
    /// Days start this far east of UTC midnight (default [`VENDOR_DAY_OFFSET_SECS`]).
    pub day_offset_secs: i32,
    /// What the call about to be claimed costs (the router sets it per vendor); `None`
    /// means unpriced, which a budget cannot admit.
    pub charge_milli_yuan: Option<i64>,
}

impl Budget {
    /// `limit_milli_yuan` a day for `client`, days starting at midnight in China.
    #[must_use]
    pub fn new(client: impl Into<String>, limit_milli_yuan: i64) -> Self {
        Self {
            client: client.into(),
            limit_milli_yuan,
            day_offset_secs: VENDOR_DAY_OFFSET_SECS,
            charge_milli_yuan: None,
        }
    }

    /// Days starting at midnight `offset_secs` east of UTC.
    #[must_use]
    pub const fn with_day_offset(mut self, offset_secs: i32) -> Self {
        self.day_offset_secs = offset_secs;
        self
    }

    /// This budget, charging `price` for the next call.
    #[must_use]
    pub fn charging(mut self, price: Option<Price>) -> Self {
        self.charge_milli_yuan = price.map(|p| i64::from(p.milli_yuan()));
        self
    }

    const fn offset_ms(&self) -> i64 {
        self.day_offset_secs as i64 * 1000
    }
}

/// What a caller wants of a claim.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ClaimPolicy {
    /// Do not reuse answers recorded before this claim (answers that arrive while it waits
    /// for another holder are still taken: that holder paid for them for this request).
    pub fresh: bool,
    /// Send again a call left unresolved (it is kept, marked re-sent, billing unknown), once
    /// nothing its holder sent can still be under way.
    pub resend_unresolved: bool,
    /// The client on whose behalf the call is made (a service's client name), for audits.
    pub client: Option<String>,
    /// The client's daily budget, if it has one.
    pub budget: Option<Budget>,
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

    /// Within `budget` (its client is also the policy's client).
    #[must_use]
    pub fn within(mut self, budget: Budget) -> Self {
        self.client = Some(budget.client.clone());
        self.budget = Some(budget);
        self
    }
}

/// The ledger: a store, the key its entries are made with, and this holder's identity.
pub struct Ledger {
    store: Box<dyn Store>,
    key: LedgerKey,
    location: String,
    holder: String,
    /// Claims made: each gets a holder token of its own.
    claims: std::sync::atomic::AtomicU64,
    /// Ends of calls the store could not take when they ended, written when it can.
    unrecorded: std::sync::Mutex<Vec<Unrecorded>>,
    lease: Duration,
    wait: Duration,
    max_age: Duration,
    max_call: Duration,
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ledger")
            .field("location", &self.location)
            .field("lease", &self.lease)
            .field("max_age", &self.max_age)
            .field("max_call", &self.max_call)
            .finish_non_exhaustive()
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn duration_ms(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// How many times a start slot that came too late is given up for another before the call
/// starts anyway (a store that is always slower than the spacing margin must not stall calls:
/// the gateway's throttling costs nothing but a retry).
const SLOT_RETAKES: u32 = 5;

/// How long a claim or a record is tried again when the store fails (connections broken by a
/// database restart fail one by one, each on its next use, and are replaced).
const STORE_RETRY_FOR: Duration = Duration::from_secs(3);

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
        let (store, shown): (Box<dyn Store>, String) = open_store(location, true).await?;
        store.init(&key.check_value()).await?;
        Ok(Self::with_store(store, key, shown))
    }

    /// Whether `location` names a store this build can open (`memory`, a path, `sqlite:…`,
    /// `postgres://…`), without opening it: checked before a key is looked for or made.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Location`], saying why.
    pub fn check_location(location: &str) -> Result<(), LedgerError> {
        location_kind(location).map(|_| ())
    }

    /// Opens the ledger at `location` only if one is there: a path that does not exist, or a
    /// PostgreSQL schema without a ledger, is [`LedgerError::Missing`], and nothing is
    /// created (for commands that look into a ledger: a typo must not make an empty one).
    ///
    /// # Errors
    ///
    /// As [`Ledger::open`], and [`LedgerError::Missing`].
    pub async fn open_existing(location: &str, key: LedgerKey) -> Result<Self, LedgerError> {
        let (store, shown): (Box<dyn Store>, String) = open_store(location, false).await?;
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
            claims: std::sync::atomic::AtomicU64::new(0),
            unrecorded: std::sync::Mutex::new(Vec::new()),
            lease: DEFAULT_LEASE,
            wait: DEFAULT_WAIT,
            max_age: DEFAULT_MAX_AGE,
            max_call: DEFAULT_MAX_CALL,
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

    /// The longest this holder's calls can last once sent (its HTTP client's timeout, with a
    /// margin). Recorded with each claim: others re-send an unresolved call only after its
    /// lease and then this much have passed.
    #[must_use]
    pub const fn with_max_call(mut self, max_call: Duration) -> Self {
        self.max_call = max_call;
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

    /// The longest a call of this holder can last once sent.
    #[must_use]
    pub const fn max_call(&self) -> Duration {
        self.max_call
    }

    fn has_unrecorded(&self) -> bool {
        !self
            .unrecorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_empty()
    }

    /// The entry key of `request`.
    #[must_use]
    pub fn entry_key(&self, request: &Request) -> EntryKey {
        self.key.entry_key(request)
    }

    /// The store's clock: milliseconds since the epoch, as every process sharing the ledger
    /// sees them (PostgreSQL's clock; for SQLite and memory, this machine's).
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn now_ms(&self) -> Result<i64, LedgerError> {
        self.store.now_ms().await
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
        let since = if policy.fresh {
            Since::Now
        } else {
            Since::Age(millis(self.max_age))
        };
        self.claim_entry(&entry, target, policy, since)
            .await
            .map(|(claim, _)| claim)
    }

    /// [`Ledger::claim`], waiting while the call is in flight elsewhere (polling, up to the
    /// wait bound), and — when re-sending unresolved calls — while an unresolved call may
    /// still be under way: returns `InFlight` or `Settling` only when the bound ran out.
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
        let mut since = if policy.fresh {
            Since::Now
        } else {
            Since::Age(millis(self.max_age))
        };
        let started = tokio::time::Instant::now();
        let deadline = started + self.wait;
        // An unresolved call is re-sendable after its holder's lease and longest call.
        let settle_deadline = started + self.lease + self.max_call + Duration::from_secs(5);
        let mut pause = Duration::from_millis(5);
        loop {
            let (claim, store_now) = self.claim_entry(&entry, target, policy, since).await?;
            if since == Since::Now {
                // Answers that arrive while this waits were paid for this request: taken.
                since = Since::From(store_now.unwrap_or(0).saturating_add(1));
            }
            let now = tokio::time::Instant::now();
            let wait = match &claim {
                Claim::InFlight { retry_in, .. } if now < deadline => {
                    // Poll sooner when the lease is about to run out.
                    pause.min(*retry_in).min(deadline - now)
                }
                Claim::Settling { settles_in, .. } if now < settle_deadline => {
                    (*settles_in + Duration::from_millis(5)).min(settle_deadline - now)
                }
                _ => return Ok(claim),
            };
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    /// One claim: the outcome, and the store's time when it was seen (if the store said). A
    /// store that fails (a connection broken by a database restart, a busy file) is tried
    /// again for a while; a claim that went in before its reply was lost is found by its
    /// holder token and kept.
    async fn claim_entry(
        &self,
        entry: &EntryKey,
        target: &Target,
        policy: &ClaimPolicy,
        since: Since,
    ) -> Result<(Claim, Option<i64>), LedgerError> {
        // A token of its own per claim: a claim found after a lost reply is this one's, never
        // another task's of the same process.
        let holder = format!(
            "{}/{}",
            self.holder,
            self.claims.fetch_add(1, Ordering::Relaxed)
        );
        let claim = NewClaim {
            entry: entry.to_string(),
            target: self.key.target_key(target).to_string(),
            vendor: target.provider().to_owned(),
            base_url: target.base_url().to_owned(),
            holder,
            client: policy.client.clone(),
            lease_ms: millis(self.lease),
            max_call_ms: millis(self.max_call),
            reservation: None,
        };
        if self.has_unrecorded() {
            self.record_unrecorded().await;
        }
        let first_try_boot_ms = clock::boot_ms();
        let give_up = tokio::time::Instant::now() + STORE_RETRY_FOR;
        let mut wait = Duration::from_millis(10);
        loop {
            match self
                .claim_rounds(claim.clone(), policy, since, first_try_boot_ms)
                .await
            {
                Err(LedgerError::Unavailable(e)) => {
                    if tokio::time::Instant::now() + wait > give_up {
                        return Err(LedgerError::Unavailable(e));
                    }
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_millis(500));
                    if let Ok(Some(id)) = self
                        .store
                        .own_claim(&claim.entry, &claim.target, &claim.holder)
                        .await
                    {
                        // It went in; its reservation, if any, went with it (and stays).
                        let adopted =
                            self.adopt(id, claim.holder.clone(), policy, first_try_boot_ms);
                        return Ok((adopted, None));
                    }
                }
                other => return other,
            }
        }
    }

    /// A claim found in the store after its reply was lost. Its lease started no earlier than
    /// `first_try_boot_ms`, when the first claim statement was sent.
    fn adopt(
        &self,
        id: i64,
        holder: String,
        policy: &ClaimPolicy,
        first_try_boot_ms: i64,
    ) -> Claim {
        Claim::Send(Call {
            id: CallId(id),
            holder,
            gate: Arc::new(Gate::new(id, first_try_boot_ms, millis(self.lease))),
            reserved: policy
                .budget
                .as_ref()
                .is_some_and(|b| b.charge_milli_yuan.is_some()),
        })
    }

    async fn claim_rounds(
        &self,
        mut claim: NewClaim,
        policy: &ClaimPolicy,
        since: Since,
        first_try_boot_ms: i64,
    ) -> Result<(Claim, Option<i64>), LedgerError> {
        let mut seen_at = None;
        // Several rounds only when other holders keep changing the entry under us.
        for _ in 0..16 {
            if let Some(budget) = &policy.budget {
                // A reusable answer costs nothing: looked for before the budget is asked.
                if let Some(row) = self
                    .store
                    .latest_answer(&claim.entry, &claim.target, since)
                    .await?
                {
                    return Ok((Claim::Reused(self.reused(row)?), seen_at));
                }
                match self.reserve(budget).await? {
                    Ok(reservation) => claim.reservation = Some(reservation),
                    Err(resets_at_ms) => {
                        return Ok((Claim::BudgetSpent { resets_at_ms }, seen_at));
                    }
                }
            }
            let confirmed_at = clock::boot_ms();
            let step = match self.store.claim(&claim, since).await {
                Err(e) => {
                    // Given back only when the claim surely did not go in (an unknown outcome
                    // leaves the budget under-spent, never over).
                    if let Some(reservation) = claim.reservation.take() {
                        if let Ok(None) = self
                            .store
                            .own_claim(&claim.entry, &claim.target, &claim.holder)
                            .await
                        {
                            self.refund(&reservation).await;
                        }
                    }
                    return Err(e);
                }
                Ok(step) => step,
            };
            if !matches!(step, Step::Claimed(_)) {
                // Nothing claimed: what was reserved for it goes back.
                if let Some(reservation) = claim.reservation.take() {
                    self.refund(&reservation).await;
                }
            }
            match step {
                Step::Claimed(claimed) => {
                    return Ok((
                        Claim::Send(Call {
                            id: CallId(claimed.id),
                            holder: claim.holder,
                            gate: Arc::new(Gate::new(claimed.id, confirmed_at, claim.lease_ms)),
                            reserved: claim.reservation.is_some(),
                        }),
                        Some(claimed.now_ms),
                    ));
                }
                Step::Answered(row) => return Ok((Claim::Reused(self.reused(row)?), seen_at)),
                Step::Blocked => {}
            }
            let Some(open) = self.store.open_call(&claim.entry, &claim.target).await? else {
                continue;
            };
            seen_at = Some(open.now_ms);
            if open.state == CallState::Claimed && open.holder == claim.holder {
                // This claim's own, gone in before a reply that was lost.
                let adopted = self.adopt(open.id, claim.holder, policy, first_try_boot_ms);
                return Ok((adopted, seen_at));
            }
            match open.state {
                CallState::Claimed if !open.lapsed() => {
                    let retry_in = duration_ms(open.lease_until_ms - open.now_ms + 1);
                    return Ok((
                        Claim::InFlight {
                            call: CallId(open.id),
                            retry_in,
                        },
                        seen_at,
                    ));
                }
                CallState::Claimed | CallState::Unresolved
                    if policy.resend_unresolved && open.settled() =>
                {
                    self.store.mark_resent(open.id).await?;
                }
                CallState::Claimed | CallState::Unresolved if policy.resend_unresolved => {
                    return Ok((
                        Claim::Settling {
                            call: CallId(open.id),
                            settles_in: duration_ms(open.settle_at_ms - open.now_ms + 1),
                        },
                        seen_at,
                    ));
                }
                CallState::Claimed => {
                    // Its holder stopped renewing: it died or stalled, maybe after sending.
                    self.store.expire(open.id).await?;
                    return Ok((Claim::Unresolved(CallId(open.id)), seen_at));
                }
                _ => return Ok((Claim::Unresolved(CallId(open.id)), seen_at)),
            }
        }
        Err(LedgerError::Store(
            "the entry kept changing under this claim; try again".to_owned(),
        ))
    }

    fn reused(&self, (id, ended, json): store::AnswerRow) -> Result<Reused, LedgerError> {
        let _ = self;
        let answer: StoredAnswer = serde_json::from_str(&json)
            .map_err(|e| LedgerError::Store(format!("call {id}: unreadable answer: {e}")))?;
        Ok(Reused {
            call: CallId(id),
            answered_at_ms: ended,
            answer,
        })
    }

    /// Reserves the budget's charge: the reservation, or when the spent day ends.
    async fn reserve(&self, budget: &Budget) -> Result<Result<Reservation, i64>, LedgerError> {
        let Some(amount) = budget.charge_milli_yuan else {
            return Err(LedgerError::Store(format!(
                "client {} has a budget but the vendor has no price: set one",
                budget.client
            )));
        };
        Ok(
            match self
                .store
                .reserve_budget(
                    &budget.client,
                    budget.offset_ms(),
                    amount,
                    budget.limit_milli_yuan,
                )
                .await?
            {
                Reserved::On(day) => Ok(Reservation {
                    client: budget.client.clone(),
                    day,
                    amount,
                }),
                Reserved::Refused { resets_at_ms } => Err(resets_at_ms),
            },
        )
    }

    /// Gives a reservation back; a failure leaves the budget under-spent, never over.
    async fn refund(&self, reservation: &Reservation) {
        let _ = self
            .store
            .refund_budget(&reservation.client, reservation.day, reservation.amount)
            .await;
    }

    /// Runs `call_future` (the vendor call) while renewing `call`'s lease, so that other
    /// holders keep waiting for it however long it takes, with a send gate in force: a
    /// request is sent only while this holder's lease is live (checked here, and by the
    /// gateway client right before the request leaves). A call whose lease lapsed before it
    /// was sent (the process was paused) ends as [`NotSent::LeaseLapsed`], certainly not
    /// billed.
    ///
    /// # Errors
    ///
    /// `call_future`'s error, or [`Error::NotSent`] when the lease lapsed before it started.
    pub async fn hold<T, F>(
        &self,
        call: &Call,
        provider: &'static str,
        call_future: F,
    ) -> Result<T, Error>
    where
        F: Future<Output = Result<T, Error>>,
    {
        let not_sent = |reason| Error::NotSent { provider, reason };
        call.gate.check().map_err(not_sent)?;
        let gate = Arc::clone(&call.gate);
        let call_future = SendGate::new(move || gate.check()).run(call_future);
        let period = (self.lease / 3).max(Duration::from_millis(10));
        let lease_ms = millis(self.lease);
        tokio::pin!(call_future);
        loop {
            tokio::select! {
                out = &mut call_future => return out,
                () = tokio::time::sleep(period) => {
                    let confirmed_at = clock::boot_ms();
                    // A failed renewal leaves the gate to close when the last lease ends.
                    if let Ok(true) = self.store.renew(call.id.0, &call.holder, lease_ms).await {
                        call.gate.extend(confirmed_at, lease_ms);
                    }
                }
            }
        }
    }

    /// Records how `call` ended: an answer (reused later), a billed error, an unbilled failure
    /// (released: may be sent again) or a failure after sending (unresolved). Vendor text is
    /// scrubbed of digit runs and `request`'s name first. A late answer — the call's lease
    /// lapsed meanwhile, and it may even have been re-sent elsewhere — is kept. A store that
    /// fails (a broken connection, a restarting database) is tried again for about 3 s.
    /// A call certainly not billed gives its budget reservation back.
    ///
    /// # Errors
    ///
    /// The store failed every time, or no longer holds the call ([`LedgerError::Lost`]).
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
        let finished = self
            .retrying(|| self.store.finish(call.id.0, &call.holder, &end))
            .await;
        match finished {
            Ok(Finished::Lost) => Err(LedgerError::Lost(format!("call {}", call.id))),
            Ok(_) => {
                if end.billing == Billing::NotBilled && call.reserved {
                    self.give_back(call.id).await;
                }
                Ok(())
            }
            Err(e) => {
                // Kept, and written as soon as the store answers again (before this ledger's
                // next claim, or when it is closed): meanwhile the call stays claimed, then
                // unresolved, never re-sent silently.
                self.unrecorded
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(Unrecorded { call, end });
                Err(e)
            }
        }
    }

    /// Runs `step` again while the store is unavailable (broken connections are replaced as
    /// they fail), for [`STORE_RETRY_FOR`] at most.
    async fn retrying<T, F, Fut>(&self, mut step: F) -> Result<T, LedgerError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, LedgerError>>,
    {
        let give_up = tokio::time::Instant::now() + STORE_RETRY_FOR;
        let mut wait = Duration::from_millis(10);
        loop {
            match step().await {
                Err(LedgerError::Unavailable(e)) => {
                    if tokio::time::Instant::now() + wait > give_up {
                        return Err(LedgerError::Unavailable(e));
                    }
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_millis(500));
                }
                other => return other,
            }
        }
    }

    /// Writes the ends of calls whose recording failed earlier, each once now; those that
    /// still fail stay for the next time.
    async fn record_unrecorded(&self) {
        let pending = std::mem::take(
            &mut *self
                .unrecorded
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let mut still = Vec::new();
        for pending in pending {
            match self
                .store
                .finish(pending.call.id.0, &pending.call.holder, &pending.end)
                .await
            {
                Ok(Finished::Lost) => {}
                Ok(_) => {
                    if pending.end.billing == Billing::NotBilled && pending.call.reserved {
                        self.give_back(pending.call.id).await;
                    }
                }
                Err(_) => still.push(pending),
            }
        }
        if !still.is_empty() {
            self.unrecorded
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend(still);
        }
    }

    /// Gives back the budget reservation a call holds, once; a failure leaves the budget
    /// under-spent, never over.
    async fn give_back(&self, call: CallId) {
        let _ = self.retrying(|| self.store.give_back(call.0)).await;
    }

    /// Gives a claimed call back without sending it (nothing was sent), with its budget
    /// reservation.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn abandon(&self, call: Call) -> Result<(), LedgerError> {
        if call.reserved {
            self.give_back(call.id).await;
        }
        self.store.delete_claim(call.id.0, &call.holder).await
    }

    /// Unresolved calls, oldest first.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn unresolved(&self) -> Result<Vec<CallRecord>, LedgerError> {
        // Claims whose holder stopped renewing are unresolved, whether or not anyone has
        // asked for the same request since.
        self.store.expire_stale().await?;
        self.store.calls_in(CallState::Unresolved).await
    }

    /// Settles an unresolved call on the user's word: billed (it counts in reports, and the
    /// request is not sent again unless fresh answers are asked for: it was paid for) or not
    /// (its budget reservation, if any, goes back to the client, and the request may be sent
    /// again). `false` when no unresolved call has that id.
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
            // Paid for, with no answer kept: the request is not sent again (as after a billed
            // error) unless fresh answers are asked for.
            answer: billed
                .then(|| {
                    json(&StoredAnswer {
                        verdict: None,
                        face: None,
                        carrier: None,
                        raw_code: None,
                        raw_message: None,
                        vendor_request_id: None,
                        gateway_request_id: None,
                        notes: Vec::new(),
                        error: Some(
                            "resolved by hand as billed; no answer was kept (ask for a fresh one to pay again)"
                                .to_owned(),
                        ),
                    })
                })
                .transpose()?,
            gateway_request_id: None,
            vendor_request_id: None,
        };
        self.store.expire_stale().await?;
        let resolved = self.store.resolve(call.0, &end).await?;
        if resolved && !billed {
            self.retrying(|| self.store.give_back(call.0)).await?;
        }
        Ok(resolved)
    }

    /// Deletes ended calls older than `age`; claimed and unresolved calls stay. Returns how
    /// many were deleted.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn purge_older_than(&self, age: Duration) -> Result<u64, LedgerError> {
        self.store.purge(millis(age)).await
    }

    /// Counts over the whole ledger.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn stats(&self) -> Result<Stats, LedgerError> {
        self.store.expire_stale().await?;
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

    /// What `client` has spent or holds reserved today (the store's day, days starting
    /// `day_offset_secs` east of UTC midnight), and the day (days since the epoch).
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn budget_today(
        &self,
        client: &str,
        day_offset_secs: i32,
    ) -> Result<(i64, i64), LedgerError> {
        let now = self.store.now_ms().await?;
        let day = day_of(now, i64::from(day_offset_secs) * 1000);
        Ok((day, self.store.budget_used(client, day).await?))
    }

    /// Waits for a start slot of the limit `name` (`per_second` calls a second), shared by
    /// every process on the store — a gateway's QPS limit per AppCode, shared by service
    /// replicas and batches. Slots are spaced evenly, [`RATE_SPACING_MARGIN`] wider than
    /// `1 s / per_second`, by the store's clock, so no one-second window, wherever it
    /// starts, holds more than `per_second` starts. `false` (nothing taken, no wait) when the
    /// next free slot is more than `max_wait` away.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn take_rate_slot(
        &self,
        name: &str,
        per_second: u32,
        max_wait: Duration,
    ) -> Result<bool, LedgerError> {
        let spacing_us = 1_000_000.0 * (1.0 + RATE_SPACING_MARGIN) / f64::from(per_second.max(1));
        // At most ~1.05 s: representable.
        #[allow(clippy::cast_possible_truncation)]
        let interval_us = spacing_us.ceil() as i64;
        // How late a start may be and still keep every window within the limit: the margin
        // the slots are spaced by.
        #[allow(clippy::cast_possible_truncation)]
        let tolerance_ms = (1000.0 * RATE_SPACING_MARGIN) as i64;
        for attempt in 0..=SLOT_RETAKES {
            let asked_at = clock::boot_ms();
            let Some(wait_ms) = self
                .store
                .take_slot(name, interval_us, millis(max_wait))
                .await?
            else {
                return Ok(false);
            };
            // Never early: the slot is `wait_ms` after the store's now, which was no earlier
            // than the question was asked and no later than the answer came.
            let start_at = clock::boot_ms().saturating_add(wait_ms);
            loop {
                let now = clock::boot_ms();
                if now >= start_at {
                    break;
                }
                tokio::time::sleep(duration_ms(start_at - now)).await;
            }
            // Too late — the process was paused, or the store answered slowly — and this start
            // could crowd a later slot into its window: that slot is left unused, another
            // taken.
            let late_by = clock::boot_ms() - asked_at.saturating_add(wait_ms);
            if late_by <= tolerance_ms || attempt == SLOT_RETAKES {
                return Ok(true);
            }
        }
        Ok(true)
    }

    /// Closes the store: SQLite folds its write-ahead log into the file (so the file alone
    /// holds the ledger, to copy or back up). Call it when done; nothing may follow.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn close(&self) -> Result<(), LedgerError> {
        self.record_unrecorded().await;
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

/// A ledger location, parsed.
enum LocationKind<'a> {
    Memory,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres(&'a str),
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    Sqlite(&'a str),
}

fn location_kind(location: &str) -> Result<LocationKind<'_>, LedgerError> {
    let location = location.trim();
    let unsupported = |reason: &str| LedgerError::Location {
        location: location.to_owned(),
        reason: reason.to_owned(),
    };
    if location.is_empty() {
        return Err(unsupported("it is empty"));
    }
    if location == "memory" || location == ":memory:" {
        return Ok(LocationKind::Memory);
    }
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        if cfg!(feature = "postgres") {
            return Ok(LocationKind::Postgres(location));
        }
        return Err(unsupported("built without the `postgres` feature"));
    }
    if let Some((scheme, _)) = location.split_once("://") {
        if scheme != "sqlite" && !scheme.contains(['/', '\\']) && scheme.len() < 12 {
            return Err(unsupported(
                "use a file path, sqlite:PATH, postgres://… or memory",
            ));
        }
    }
    if !cfg!(feature = "sqlite") {
        return Err(unsupported("built without the `sqlite` feature"));
    }
    Ok(LocationKind::Sqlite(
        location
            .strip_prefix("sqlite://")
            .or_else(|| location.strip_prefix("sqlite:"))
            .unwrap_or(location),
    ))
}

// Without a SQL store feature, nothing here awaits.
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    allow(clippy::unused_async)
)]
async fn open_store(location: &str, create: bool) -> Result<(Box<dyn Store>, String), LedgerError> {
    match location_kind(location)? {
        LocationKind::Memory => Ok((
            Box::new(memory::MemoryStore::default()),
            "memory".to_owned(),
        )),
        #[cfg(feature = "postgres")]
        LocationKind::Postgres(url) => {
            let store = postgres::PostgresStore::open(url, create).await?;
            Ok((Box::new(store), postgres::redact(url)))
        }
        #[cfg(feature = "sqlite")]
        LocationKind::Sqlite(path) => {
            let path = PathBuf::from(path);
            let store = sqlite::SqliteStore::open(&path, create).await?;
            Ok((Box::new(store), path.display().to_string()))
        }
        // `location_kind` refuses stores that are not built in.
        #[allow(unreachable_patterns)]
        _ => {
            let _ = create;
            Err(LedgerError::Location {
                location: location.to_owned(),
                reason: "this store is not built in".to_owned(),
            })
        }
    }
}

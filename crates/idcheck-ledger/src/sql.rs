//! The SQL stores, SQLite and PostgreSQL, from one set of statements (`$N` parameters, which
//! both accept). Exclusion is the partial unique index `idcheck_calls_open`; every step is one
//! statement, so each runs atomically in either store.
//!
//! Every time a statement compares or stamps is the store's: the statements say `{now}`,
//! which each backend renders as its clock — PostgreSQL's `statement_timestamp()`, read in
//! the statement itself; for SQLite (one machine) the machine's kernel clock, bound as `$1`.
//! `$1` is the clock parameter in every statement that uses `{now}`: SQLite binds the time,
//! PostgreSQL binds NULL and reads its own.
//!
//! Statements that return rows after writing (`RETURNING`) are read to the end: SQLite
//! commits such a statement only when it is stepped to completion, and a failed commit (a
//! full disk) must be an error, never a claim that seems to have gone in.

use crate::LedgerError;
use crate::record::{CallEnd, CallId, CallRecord, CallState, Stats};
use crate::record::{billing_str, parse_billing};

/// The schema this program writes: 2 added each call's longest life and budget reservation.
pub(crate) const SCHEMA_VERSION: i64 = 2;

/// The statements, rendered for one backend's clock.
#[derive(Debug)]
pub(crate) struct Statements {
    pub(crate) now: String,
    pub(crate) latest_answer: String,
    pub(crate) claim_unless_answered: String,
    pub(crate) claim_or_answer: String,
    pub(crate) open_call: String,
    pub(crate) expire: String,
    pub(crate) expire_stale: String,
    pub(crate) mark_resent: String,
    pub(crate) finish: String,
    pub(crate) renew: String,
    pub(crate) resolve: String,
    pub(crate) purge: String,
    pub(crate) reserve_budget: String,
    pub(crate) take_slot: String,
}

/// The columns a claim inserts, and their values (`$2`…`$11`; `{now}` is `$1`).
const CLAIM_COLUMNS: &str = "(entry, target, vendor, base_url, state, holder, client, \
    claimed_at, lease_until, max_call_ms, budget_day, reserved_milli)";
const CLAIM_VALUES: &str = "$2, $3, $4, $5, 'claimed', $6, $7, {now}, {now} + $8, $9, $10, $11";
/// Answers of entry `$2` and target `$3` that ended since `$12` (absolute) or within `$13`
/// ms before now (−1: after now).
const ANSWERED_SINCE: &str = "entry = $2 AND target = $3 AND state = 'answered' \
    AND answer IS NOT NULL \
    AND ended_at >= (CASE WHEN $12 IS NOT NULL THEN $12 ELSE {now} - $13 END)";

impl Statements {
    /// The statements with `{now}` rendered as `now` (an expression of `$1`).
    pub(crate) fn render(now: &str) -> Self {
        let sql = |template: &str| template.replace("{now}", now);
        Self {
            now: sql("SELECT {now} AS now_ms"),
            // $2 entry, $3 target, $4 since (absolute), $5 age.
            latest_answer: sql("SELECT id, ended_at, answer FROM idcheck_calls \
                 WHERE entry = $2 AND target = $3 AND state = 'answered' AND answer IS NOT NULL \
                 AND ended_at >= (CASE WHEN $4 IS NOT NULL THEN $4 ELSE {now} - $5 END) \
                 ORDER BY ended_at DESC, id DESC LIMIT 1"),
            // One statement: the claim goes in only when no answer within the window exists
            // (and the unique index lets it). Atomic in SQLite, whose writes are serialised and
            // see the latest commit.
            claim_unless_answered: sql(&format!(
                "INSERT INTO idcheck_calls {CLAIM_COLUMNS} SELECT {CLAIM_VALUES} \
                 WHERE NOT EXISTS (SELECT 1 FROM idcheck_calls WHERE {ANSWERED_SINCE}) \
                 ON CONFLICT DO NOTHING RETURNING id, claimed_at, lease_until"
            )),
            // PostgreSQL in one round trip: the newest answer within the window if there is
            // one (nothing written), else the claim. Under READ COMMITTED the answer check
            // uses the statement's snapshot, so a claim that went in is checked once more.
            claim_or_answer: sql(&format!(
                "WITH answer AS (SELECT id, ended_at, answer FROM idcheck_calls \
                 WHERE {ANSWERED_SINCE} ORDER BY ended_at DESC, id DESC LIMIT 1), \
                 claimed AS (INSERT INTO idcheck_calls {CLAIM_COLUMNS} SELECT {CLAIM_VALUES} \
                 WHERE NOT EXISTS (SELECT 1 FROM answer) \
                 ON CONFLICT DO NOTHING RETURNING id, claimed_at, lease_until) \
                 SELECT 'answer' AS kind, id, ended_at AS at_ms, ended_at AS until_ms, answer \
                 FROM answer \
                 UNION ALL SELECT 'claim', id, claimed_at, lease_until, NULL FROM claimed"
            )),
            open_call: sql(
                "SELECT id, state, holder, lease_until, lease_until + max_call_ms AS settle_at, \
                 ended_at, {now} AS now_ms FROM idcheck_calls \
                 WHERE entry = $2 AND target = $3 AND state IN ('claimed', 'unresolved')",
            ),
            expire: sql("UPDATE idcheck_calls SET state = 'unresolved' \
                 WHERE id = $2 AND state = 'claimed' AND lease_until < {now}"),
            expire_stale: sql("UPDATE idcheck_calls SET state = 'unresolved' \
                 WHERE state = 'claimed' AND lease_until < {now}"),
            // Its holder recorded it unresolved (it gave up on it), or nothing it sent can
            // still be under way.
            mark_resent: sql(
                "UPDATE idcheck_calls SET state = 'resent', ended_at = {now}, \
                 billing = 'unknown', outcome = 'unresolved; sent again on the user''s word' \
                 WHERE id = $2 AND state IN ('claimed', 'unresolved') \
                 AND (ended_at IS NOT NULL OR lease_until + max_call_ms < {now})",
            ),
            // The holder's call, wherever it stands: claimed; unresolved because its lease
            // lapsed; re-sent elsewhere since (a late answer is kept, and a call re-sent
            // elsewhere never goes back into the open states); settled by hand (an answer
            // that arrives after all is kept). Never over an answer already recorded.
            finish: sql("UPDATE idcheck_calls SET \
                 state = CASE WHEN state IN ('claimed', 'unresolved') OR $4 = 'answered' \
                 OR ($4 = 'released' AND state = 'resent') THEN $4 ELSE state END, \
                 ended_at = {now}, billing = $5, cost_milli = $6, outcome = $7, answer = $8, \
                 gateway_request_id = $9, vendor_request_id = $10 \
                 WHERE id = $2 AND holder = $3 \
                 AND NOT (state = 'answered' AND answer IS NOT NULL \
                 AND outcome NOT LIKE 'resolved by hand%') \
                 AND NOT (state = 'answered' AND billing = 'billed' AND $4 <> 'answered')"),
            // Only a live lease is extended: once lapsed, another holder may act on it.
            renew: sql("UPDATE idcheck_calls SET lease_until = {now} + $4 \
                 WHERE id = $2 AND holder = $3 AND state = 'claimed' AND lease_until >= {now}"),
            resolve: sql(
                "UPDATE idcheck_calls SET state = $3, ended_at = {now}, billing = $4, \
                 cost_milli = $5, outcome = $6, answer = $7 WHERE id = $2 AND state = 'unresolved'",
            ),
            purge: sql("DELETE FROM idcheck_calls \
                 WHERE state IN ('answered', 'released', 'resent') AND ended_at < {now} - $2"),
            // $2 client, $3 day offset (ms from UTC), $4 amount, $5 limit.
            reserve_budget: sql("INSERT INTO idcheck_counters (kind, name, win, used) \
                 SELECT 'budget', $2, ({now} + $3) / 86400000, $4 WHERE $4 <= $5 \
                 ON CONFLICT (kind, name, win) DO UPDATE \
                 SET used = idcheck_counters.used + excluded.used \
                 WHERE idcheck_counters.used + excluded.used <= $5 RETURNING win"),
            // A generic cell rate: slots `$3` µs apart; the counter holds the next free slot
            // (µs). The slot taken is the later of that and now, if within `$4` ms.
            take_slot: sql("INSERT INTO idcheck_counters (kind, name, win, used) \
                 SELECT 'slots', $2, 0, {now} * 1000 + $3 WHERE $3 > 0 \
                 ON CONFLICT (kind, name, win) DO UPDATE SET used = \
                 (CASE WHEN idcheck_counters.used > {now} * 1000 THEN idcheck_counters.used \
                 ELSE {now} * 1000 END) + $3 \
                 WHERE (CASE WHEN idcheck_counters.used > {now} * 1000 \
                 THEN idcheck_counters.used ELSE {now} * 1000 END) <= {now} * 1000 + $4 * 1000 \
                 RETURNING used - $3 - {now} * 1000 AS wait_us"),
        }
    }
}

pub(crate) const RECORD_COLUMNS: &str = "id, entry, vendor, base_url, state, claimed_at, \
    ended_at, billing, cost_milli, outcome, gateway_request_id, vendor_request_id, client";
pub(crate) const CALL_OWNER: &str = "SELECT holder, state FROM idcheck_calls WHERE id = $1";
pub(crate) const OWN_CLAIM: &str = "SELECT id FROM idcheck_calls \
    WHERE entry = $1 AND target = $2 AND holder = $3 AND state = 'claimed'";
pub(crate) const DELETE_CLAIM: &str =
    "DELETE FROM idcheck_calls WHERE id = $1 AND holder = $2 AND state = 'claimed'";
/// Takes a call's budget reservation once: the amount is negated (kept for audits, and so a
/// second take finds nothing).
pub(crate) const TAKE_RESERVATION: &str = "UPDATE idcheck_calls \
    SET reserved_milli = -reserved_milli \
    WHERE id = $1 AND reserved_milli > 0 AND client IS NOT NULL AND budget_day IS NOT NULL \
    RETURNING client, budget_day, -reserved_milli AS amount";
pub(crate) const STATS: &str = "SELECT state, CAST(COUNT(*) AS BIGINT) AS calls, \
    CAST(SUM(CASE WHEN billing = 'billed' THEN 1 ELSE 0 END) AS BIGINT) AS billed, \
    CAST(SUM(CASE WHEN billing = 'billed' THEN COALESCE(cost_milli, 0) ELSE 0 END) AS BIGINT) \
    AS cost \
    FROM idcheck_calls GROUP BY state";
pub(crate) const ENTRIES: &str =
    "SELECT CAST(COUNT(DISTINCT entry) AS BIGINT) AS entries FROM idcheck_calls";
pub(crate) const REFUND: &str = "UPDATE idcheck_counters \
    SET used = CASE WHEN used > $4 THEN used - $4 ELSE 0 END \
    WHERE kind = $1 AND name = $2 AND win = $3";
pub(crate) const COUNTER: &str =
    "SELECT used FROM idcheck_counters WHERE kind = $1 AND name = $2 AND win = $3";
pub(crate) const META_INSERT: &str =
    "INSERT INTO idcheck_meta (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING";
pub(crate) const META_GET: &str = "SELECT value FROM idcheck_meta WHERE name = $1";
/// The schema version and the key's check value, in one read.
pub(crate) const META_BOTH: &str = "SELECT \
    (SELECT value FROM idcheck_meta WHERE name = 'schema_version') AS version, \
    (SELECT value FROM idcheck_meta WHERE name = 'key_check') AS key_check";
/// Raises the stored schema version (never lowers it).
pub(crate) const META_RAISE_VERSION: &str = "UPDATE idcheck_meta SET value = $1 \
    WHERE name = 'schema_version' AND CAST(value AS BIGINT) < CAST($1 AS BIGINT)";

/// Columns added by schema version 2, as `ALTER TABLE … ADD COLUMN` clauses.
pub(crate) const VERSION_2_COLUMNS: [&str; 3] = [
    "max_call_ms BIGINT NOT NULL DEFAULT 0",
    "budget_day BIGINT",
    "reserved_milli BIGINT",
];

pub(crate) fn check_version(location: &str, version: &str) -> Result<(), LedgerError> {
    let found: i64 = version.parse().unwrap_or(i64::MAX);
    if found > SCHEMA_VERSION {
        return Err(LedgerError::NewerSchema {
            location: location.to_owned(),
            found,
            known: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// The values of a call's end, in `finish`'s order from `$4`.
pub(crate) fn end_values(end: &CallEnd) -> (&'static str, &'static str, Option<i64>) {
    (
        end.state.as_str(),
        billing_str(end.billing),
        end.cost_milli_yuan,
    )
}

/// One row of `RECORD_COLUMNS`, decoded by a backend.
pub(crate) struct RecordRow {
    pub(crate) id: i64,
    pub(crate) entry: String,
    pub(crate) vendor: String,
    pub(crate) base_url: String,
    pub(crate) state: String,
    pub(crate) claimed_at: i64,
    pub(crate) ended_at: Option<i64>,
    pub(crate) billing: Option<String>,
    pub(crate) cost_milli: Option<i64>,
    pub(crate) outcome: Option<String>,
    pub(crate) gateway_request_id: Option<String>,
    pub(crate) vendor_request_id: Option<String>,
    pub(crate) client: Option<String>,
}

impl RecordRow {
    pub(crate) fn into_record(self) -> Result<CallRecord, LedgerError> {
        Ok(CallRecord {
            id: CallId(self.id),
            entry: self.entry,
            vendor: self.vendor,
            base_url: self.base_url,
            state: CallState::parse(&self.state)?,
            claimed_at_ms: self.claimed_at,
            ended_at_ms: self.ended_at,
            billing: parse_billing(self.billing.as_deref()),
            cost_milli_yuan: self.cost_milli,
            outcome: self.outcome,
            gateway_request_id: self.gateway_request_id,
            vendor_request_id: self.vendor_request_id,
            client: self.client,
        })
    }
}

/// Adds one `STATS` row to `stats`.
pub(crate) fn add_stats(
    stats: &mut Stats,
    state_label: &str,
    calls: i64,
    billed: Option<i64>,
    cost: Option<i64>,
) -> Result<(), LedgerError> {
    let calls = u64::try_from(calls).unwrap_or(0);
    match CallState::parse(state_label)? {
        CallState::Claimed => stats.claimed += calls,
        CallState::Answered => stats.answered += calls,
        CallState::Released => stats.released += calls,
        CallState::Unresolved => stats.unresolved += calls,
        CallState::Resent => stats.resent += calls,
    }
    stats.billed += u64::try_from(billed.unwrap_or(0)).unwrap_or(0);
    stats.cost_milli_yuan += cost.unwrap_or(0);
    Ok(())
}

/// Implements [`crate::store::Store`] for a sqlx pool type with the statements above; the
/// backend supplies `claim` (its own atomic claim), `now_param` (the clock parameter `$1`),
/// `ping` (liveness, file identity) and the schema.
macro_rules! sql_store {
    ($store:ty, $db:ty, { $($own:item)* }) => {
        #[async_trait::async_trait]
        impl crate::store::Store for $store {
            $($own)*

            async fn init(&self, key_check: &str) -> Result<(), LedgerError> {
                // A ledger that is already current is opened without a write (a writer that
                // holds the lock elsewhere does not hold up opening).
                if let Ok((Some(version), Some(stored))) =
                    sqlx::query_as::<$db, (Option<String>, Option<String>)>(crate::sql::META_BOTH)
                        .fetch_one(&self.pool)
                        .await
                {
                    if version == crate::sql::SCHEMA_VERSION.to_string() {
                        if stored != key_check {
                            return Err(LedgerError::WrongKey {
                                location: self.location.clone(),
                            });
                        }
                        return Ok(());
                    }
                }
                self.migrate().await?;
                let pool = &self.pool;
                sqlx::query(crate::sql::META_INSERT)
                    .bind("key_check")
                    .bind(key_check)
                    .execute(pool)
                    .await?;
                let stored: String = sqlx::query_scalar(crate::sql::META_GET)
                    .bind("key_check")
                    .fetch_one(pool)
                    .await?;
                if stored != key_check {
                    return Err(LedgerError::WrongKey {
                        location: self.location.clone(),
                    });
                }
                Ok(())
            }

            async fn now_ms(&self) -> Result<i64, LedgerError> {
                Ok(sqlx::query_scalar::<$db, i64>(&self.sql().now)
                    .bind(self.now_param())
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn open_call(
                &self,
                entry: &str,
                target: &str,
            ) -> Result<Option<OpenCall>, LedgerError> {
                use sqlx::Row as _;
                let row = sqlx::query(&self.sql().open_call)
                    .bind(self.now_param())
                    .bind(entry)
                    .bind(target)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|row| {
                    Ok(OpenCall {
                        id: row.try_get("id")?,
                        state: CallState::parse(&row.try_get::<String, _>("state")?)?,
                        holder: row.try_get("holder")?,
                        lease_until_ms: row.try_get("lease_until")?,
                        settle_at_ms: row.try_get("settle_at")?,
                        ended: row.try_get::<Option<i64>, _>("ended_at")?.is_some(),
                        now_ms: row.try_get("now_ms")?,
                    })
                })
                .transpose()
            }

            async fn own_claim(
                &self,
                entry: &str,
                target: &str,
                holder: &str,
            ) -> Result<Option<i64>, LedgerError> {
                Ok(sqlx::query_scalar::<$db, i64>(crate::sql::OWN_CLAIM)
                    .bind(entry)
                    .bind(target)
                    .bind(holder)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn delete_claim(&self, id: i64, holder: &str) -> Result<(), LedgerError> {
                sqlx::query(crate::sql::DELETE_CLAIM)
                    .bind(id)
                    .bind(holder)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn expire(&self, id: i64) -> Result<bool, LedgerError> {
                let done = sqlx::query(&self.sql().expire)
                    .bind(self.now_param())
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn expire_stale(&self) -> Result<u64, LedgerError> {
                let done = sqlx::query(&self.sql().expire_stale)
                    .bind(self.now_param())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn mark_resent(&self, id: i64) -> Result<bool, LedgerError> {
                let done = sqlx::query(&self.sql().mark_resent)
                    .bind(self.now_param())
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn finish(
                &self,
                id: i64,
                holder: &str,
                end: &CallEnd,
            ) -> Result<crate::store::Finished, LedgerError> {
                use sqlx::Row as _;
                self.check_identity()?;
                let (state, billing, cost) = crate::sql::end_values(end);
                let done = sqlx::query(&self.sql().finish)
                    .bind(self.now_param())
                    .bind(id)
                    .bind(holder)
                    .bind(state)
                    .bind(billing)
                    .bind(cost)
                    .bind(&end.outcome)
                    .bind(end.answer.as_deref())
                    .bind(end.gateway_request_id.as_deref())
                    .bind(end.vendor_request_id.as_deref())
                    .execute(self.finish_pool())
                    .await?;
                if done.rows_affected() == 1 {
                    return Ok(crate::store::Finished::Written);
                }
                // Written already by this holder (an earlier attempt whose reply was lost)?
                let row = sqlx::query(crate::sql::CALL_OWNER)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                let ours = match row {
                    Some(row) => {
                        let owner: String = row.try_get("holder")?;
                        let current: String = row.try_get("state")?;
                        owner == holder && current != "claimed"
                    }
                    None => false,
                };
                Ok(if ours {
                    crate::store::Finished::AlreadyWritten
                } else {
                    crate::store::Finished::Lost
                })
            }

            async fn renew(
                &self,
                id: i64,
                holder: &str,
                lease_ms: i64,
            ) -> Result<bool, LedgerError> {
                let done = sqlx::query(&self.sql().renew)
                    .bind(self.now_param())
                    .bind(id)
                    .bind(holder)
                    .bind(lease_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn calls_in(&self, state: CallState) -> Result<Vec<CallRecord>, LedgerError> {
                let sql = format!(
                    "SELECT {} FROM idcheck_calls WHERE state = $1 ORDER BY id",
                    crate::sql::RECORD_COLUMNS
                );
                let rows = sqlx::query(&sql)
                    .bind(state.as_str())
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| Self::record(r)?.into_record())
                    .collect()
            }

            async fn calls_since(&self, since_ms: i64) -> Result<Vec<CallRecord>, LedgerError> {
                let sql = format!(
                    "SELECT {} FROM idcheck_calls WHERE claimed_at >= $1 ORDER BY id",
                    crate::sql::RECORD_COLUMNS
                );
                let rows = sqlx::query(&sql)
                    .bind(since_ms)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| Self::record(r)?.into_record())
                    .collect()
            }

            async fn resolve(&self, id: i64, end: &CallEnd) -> Result<bool, LedgerError> {
                let (state, billing, cost) = crate::sql::end_values(end);
                let done = sqlx::query(&self.sql().resolve)
                    .bind(self.now_param())
                    .bind(id)
                    .bind(state)
                    .bind(billing)
                    .bind(cost)
                    .bind(&end.outcome)
                    .bind(end.answer.as_deref())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn give_back(&self, id: i64) -> Result<bool, LedgerError> {
                let mut transaction = self.pool.begin().await?;
                // Read to the end: within the transaction, committed below.
                let taken = sqlx::query_as::<$db, (String, i64, i64)>(
                    crate::sql::TAKE_RESERVATION,
                )
                .bind(id)
                .fetch_all(&mut *transaction)
                .await?;
                let Some((client, day, amount)) = taken.into_iter().next() else {
                    return Ok(false);
                };
                sqlx::query(crate::sql::REFUND)
                    .bind("budget")
                    .bind(client)
                    .bind(day)
                    .bind(amount)
                    .execute(&mut *transaction)
                    .await?;
                transaction.commit().await?;
                Ok(true)
            }

            async fn latest_answer(
                &self,
                entry: &str,
                target: &str,
                since: crate::store::Since,
            ) -> Result<Option<crate::store::AnswerRow>, LedgerError> {
                let (since_from, age) = since.params();
                Ok(
                    sqlx::query_as::<$db, (i64, i64, String)>(&self.sql().latest_answer)
                        .bind(self.now_param())
                        .bind(entry)
                        .bind(target)
                        .bind(since_from)
                        .bind(age)
                        .fetch_optional(&self.pool)
                        .await?,
                )
            }

            async fn purge(&self, age_ms: i64) -> Result<u64, LedgerError> {
                let done = sqlx::query(&self.sql().purge)
                    .bind(self.now_param())
                    .bind(age_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn reserve_budget(
                &self,
                client: &str,
                day_offset_ms: i64,
                amount: i64,
                limit: i64,
            ) -> Result<crate::store::Reserved, LedgerError> {
                let days = sqlx::query_scalar::<$db, i64>(&self.sql().reserve_budget)
                    .bind(self.now_param())
                    .bind(client)
                    .bind(day_offset_ms)
                    .bind(amount)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                if let Some(day) = days.first() {
                    return Ok(crate::store::Reserved::On(*day));
                }
                let now = self.now_ms().await?;
                Ok(crate::store::Reserved::Refused {
                    resets_at_ms: crate::next_day_start(now, day_offset_ms),
                })
            }

            async fn refund_budget(
                &self,
                client: &str,
                day: i64,
                amount: i64,
            ) -> Result<(), LedgerError> {
                sqlx::query(crate::sql::REFUND)
                    .bind("budget")
                    .bind(client)
                    .bind(day)
                    .bind(amount)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn budget_used(&self, client: &str, day: i64) -> Result<i64, LedgerError> {
                Ok(sqlx::query_scalar::<$db, i64>(crate::sql::COUNTER)
                    .bind("budget")
                    .bind(client)
                    .bind(day)
                    .fetch_optional(&self.pool)
                    .await?
                    .unwrap_or(0))
            }

            async fn take_slot(
                &self,
                name: &str,
                interval_us: i64,
                max_wait_ms: i64,
            ) -> Result<Option<i64>, LedgerError> {
                let waits = sqlx::query_scalar::<$db, i64>(&self.sql().take_slot)
                    .bind(self.now_param())
                    .bind(name)
                    .bind(interval_us)
                    .bind(max_wait_ms)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(waits.first().map(|us| us.max(&0) / 1000))
            }

            async fn stats(&self) -> Result<Stats, LedgerError> {
                let mut stats = Stats::default();
                let rows = sqlx::query_as::<$db, (String, i64, Option<i64>, Option<i64>)>(
                    crate::sql::STATS,
                )
                .fetch_all(&self.pool)
                .await?;
                for (state, calls, billed, cost) in rows {
                    crate::sql::add_stats(&mut stats, &state, calls, billed, cost)?;
                }
                let entries: i64 = sqlx::query_scalar(crate::sql::ENTRIES)
                    .fetch_one(&self.pool)
                    .await?;
                stats.entries = u64::try_from(entries).unwrap_or(0);
                Ok(stats)
            }

            async fn ping(&self) -> Result<(), LedgerError> {
                self.check_identity()?;
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }
        }

        impl $store {
            /// Creates the tables (after the backend's prelude; in one transaction where the
            /// backend wants it) and checks the schema version.
            async fn migrate(&self) -> Result<(), LedgerError> {
                let open_error = |e: sqlx::Error| LedgerError::Open {
                    location: self.location.clone(),
                    reason: e.to_string(),
                };
                // Statements that meet another process creating the same new SQLite file
                // can answer "database is locked" (code 5) without waiting: the migration
                // is idempotent, so it is tried again for up to 10 s.
                let started = std::time::Instant::now();
                let version = loop {
                    let attempt = if Self::MIGRATE_IN_ONE_TRANSACTION {
                        self.migrate_once_in_transaction().await
                    } else {
                        match self.pool.acquire().await {
                            Ok(mut connection) => self.migration_steps(&mut connection).await,
                            Err(e) => Err(e),
                        }
                    };
                    match attempt {
                        Err(sqlx::Error::Database(e))
                            if e.code().as_deref() == Some("5")
                                && started.elapsed() < std::time::Duration::from_secs(10) =>
                        {
                            let jitter = u64::from(started.elapsed().subsec_nanos() % 30);
                            tokio::time::sleep(std::time::Duration::from_millis(20 + jitter))
                                .await;
                        }
                        other => break other.map_err(open_error)?,
                    }
                };
                crate::sql::check_version(&self.location, &version)
            }

            async fn migrate_once_in_transaction(&self) -> Result<String, sqlx::Error> {
                let mut tx = self.pool.begin().await?;
                let version = self.migration_steps(&mut tx).await?;
                tx.commit().await?;
                Ok(version)
            }

            async fn migration_steps(
                &self,
                connection: &mut <$db as sqlx::Database>::Connection,
            ) -> Result<String, sqlx::Error> {
                for statement in self.migration_prelude() {
                    sqlx::query(&statement).execute(&mut *connection).await?;
                }
                for statement in SCHEMA {
                    sqlx::query(statement).execute(&mut *connection).await?;
                }
                sqlx::query(crate::sql::META_INSERT)
                    .bind("schema_version")
                    .bind(crate::sql::SCHEMA_VERSION.to_string())
                    .execute(&mut *connection)
                    .await?;
                let version: String = sqlx::query_scalar(crate::sql::META_GET)
                    .bind("schema_version")
                    .fetch_one(&mut *connection)
                    .await?;
                if version.parse::<i64>().is_ok_and(|v| v < crate::sql::SCHEMA_VERSION) {
                    // Version 1 → 2: new columns (each added once, whoever gets there first).
                    for column in crate::sql::VERSION_2_COLUMNS {
                        Self::add_column(&mut *connection, column).await?;
                    }
                    sqlx::query(crate::sql::META_RAISE_VERSION)
                        .bind(crate::sql::SCHEMA_VERSION.to_string())
                        .execute(&mut *connection)
                        .await?;
                    return Ok(crate::sql::SCHEMA_VERSION.to_string());
                }
                Ok(version)
            }

            fn record(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<crate::sql::RecordRow, LedgerError> {
                use sqlx::Row as _;
                Ok(crate::sql::RecordRow {
                    id: row.try_get("id")?,
                    entry: row.try_get("entry")?,
                    vendor: row.try_get("vendor")?,
                    base_url: row.try_get("base_url")?,
                    state: row.try_get("state")?,
                    claimed_at: row.try_get("claimed_at")?,
                    ended_at: row.try_get("ended_at")?,
                    billing: row.try_get("billing")?,
                    cost_milli: row.try_get("cost_milli")?,
                    outcome: row.try_get("outcome")?,
                    gateway_request_id: row.try_get("gateway_request_id")?,
                    vendor_request_id: row.try_get("vendor_request_id")?,
                    client: row.try_get("client")?,
                })
            }
        }
    };
}

pub(crate) use sql_store;

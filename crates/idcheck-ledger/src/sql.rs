//! The SQL stores, SQLite and PostgreSQL, from one set of statements (`$N` parameters, which
//! both accept). Exclusion is the partial unique index `idcheck_calls_open`; every step is one
//! statement, so each runs atomically in either store.

use crate::LedgerError;
use crate::record::{CallEnd, CallId, CallRecord, CallState, Stats};
use crate::record::{billing_str, parse_billing};

/// The schema this program writes.
pub(crate) const SCHEMA_VERSION: i64 = 1;

pub(crate) const INSERT_CLAIM: &str = "INSERT INTO idcheck_calls \
    (entry, target, vendor, base_url, state, holder, client, claimed_at, lease_until) \
    VALUES ($1, $2, $3, $4, 'claimed', $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING id";
/// One statement: the claim goes in only when no answer newer than `$9` exists (and the
/// unique index lets it). Atomic in SQLite, whose writes are serialised and see the latest
/// commit; not in PostgreSQL under READ COMMITTED, which takes the default two steps.
pub(crate) const CLAIM_UNLESS_ANSWERED: &str = "INSERT INTO idcheck_calls \
    (entry, target, vendor, base_url, state, holder, client, claimed_at, lease_until) \
    SELECT $1, $2, $3, $4, 'claimed', $5, $6, $7, $8 WHERE NOT EXISTS ( \
    SELECT 1 FROM idcheck_calls WHERE entry = $1 AND target = $2 AND state = 'answered' \
    AND ended_at >= $9 AND answer IS NOT NULL) ON CONFLICT DO NOTHING RETURNING id";
pub(crate) const OPEN_CALL: &str = "SELECT id, state, lease_until FROM idcheck_calls \
    WHERE entry = $1 AND target = $2 AND state IN ('claimed', 'unresolved')";
pub(crate) const LATEST_ANSWER: &str = "SELECT id, ended_at, answer FROM idcheck_calls \
    WHERE entry = $1 AND target = $2 AND state = 'answered' AND ended_at >= $3 \
    AND answer IS NOT NULL ORDER BY ended_at DESC, id DESC LIMIT 1";
pub(crate) const DELETE_CLAIM: &str =
    "DELETE FROM idcheck_calls WHERE id = $1 AND holder = $2 AND state = 'claimed'";
pub(crate) const EXPIRE: &str = "UPDATE idcheck_calls SET state = 'unresolved' \
    WHERE id = $1 AND state = 'claimed' AND lease_until < $2";
pub(crate) const EXPIRE_STALE: &str = "UPDATE idcheck_calls SET state = 'unresolved' \
    WHERE state = 'claimed' AND lease_until < $1";
pub(crate) const MARK_RESENT: &str = "UPDATE idcheck_calls SET state = 'resent', ended_at = $2, \
    billing = 'unknown', outcome = 'unresolved; sent again on the user''s word' \
    WHERE id = $1 AND state = 'unresolved'";
pub(crate) const FINISH: &str = "UPDATE idcheck_calls SET state = $3, ended_at = $4, \
    billing = $5, cost_milli = $6, outcome = $7, answer = $8, gateway_request_id = $9, \
    vendor_request_id = $10 \
    WHERE id = $1 AND holder = $2 AND state IN ('claimed', 'unresolved')";
pub(crate) const RESOLVE: &str = "UPDATE idcheck_calls SET state = $2, ended_at = $3, \
    billing = $4, cost_milli = $5, outcome = $6 WHERE id = $1 AND state = 'unresolved'";
pub(crate) const RENEW: &str = "UPDATE idcheck_calls SET lease_until = $3 \
    WHERE id = $1 AND holder = $2 AND state = 'claimed' AND lease_until < $3";
pub(crate) const RECORD_COLUMNS: &str = "id, entry, vendor, base_url, state, claimed_at, \
    ended_at, billing, cost_milli, outcome, gateway_request_id, vendor_request_id, client";
pub(crate) const PURGE: &str = "DELETE FROM idcheck_calls \
    WHERE state IN ('answered', 'released', 'resent') AND ended_at < $1";
pub(crate) const STATS: &str = "SELECT state, CAST(COUNT(*) AS BIGINT) AS calls, \
    CAST(SUM(CASE WHEN billing = 'billed' THEN 1 ELSE 0 END) AS BIGINT) AS billed, \
    CAST(SUM(CASE WHEN billing = 'billed' THEN COALESCE(cost_milli, 0) ELSE 0 END) AS BIGINT) \
    AS cost \
    FROM idcheck_calls GROUP BY state";
pub(crate) const ENTRIES: &str =
    "SELECT CAST(COUNT(DISTINCT entry) AS BIGINT) AS entries FROM idcheck_calls";
pub(crate) const RESERVE: &str = "INSERT INTO idcheck_counters (kind, name, win, used) \
    SELECT $1, $2, $3, $4 WHERE $4 <= $5 \
    ON CONFLICT (kind, name, win) DO UPDATE SET used = idcheck_counters.used + excluded.used \
    WHERE idcheck_counters.used + excluded.used <= $5 RETURNING used";
pub(crate) const REFUND: &str = "UPDATE idcheck_counters \
    SET used = CASE WHEN used > $4 THEN used - $4 ELSE 0 END \
    WHERE kind = $1 AND name = $2 AND win = $3";
pub(crate) const COUNTER: &str =
    "SELECT used FROM idcheck_counters WHERE kind = $1 AND name = $2 AND win = $3";
pub(crate) const FORGET_COUNTERS: &str =
    "DELETE FROM idcheck_counters WHERE kind = $1 AND win < $2";
pub(crate) const META_INSERT: &str =
    "INSERT INTO idcheck_meta (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING";
pub(crate) const META_GET: &str = "SELECT value FROM idcheck_meta WHERE name = $1";

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

/// The values of a call's end, in `FINISH`'s order from `$3`.
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
/// backend supplies `init` (schema and key check) and `ping` (liveness, file identity).
macro_rules! sql_store {
    ($store:ty, $db:ty, { $($own:item)* }) => {
        #[async_trait::async_trait]
        impl crate::store::Store for $store {
            $($own)*

            async fn init(&self, key_check: &str) -> Result<(), LedgerError> {
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

            async fn insert_claim(&self, claim: &NewClaim) -> Result<Option<i64>, LedgerError> {
                self.check_identity()?;
                Ok(sqlx::query_scalar::<$db, i64>(crate::sql::INSERT_CLAIM)
                    .bind(&claim.entry)
                    .bind(&claim.target)
                    .bind(&claim.vendor)
                    .bind(&claim.base_url)
                    .bind(&claim.holder)
                    .bind(claim.client.as_deref())
                    .bind(claim.now_ms)
                    .bind(claim.lease_until_ms)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn open_call(
                &self,
                entry: &str,
                target: &str,
            ) -> Result<Option<OpenCall>, LedgerError> {
                use sqlx::Row as _;
                let row = sqlx::query(crate::sql::OPEN_CALL)
                    .bind(entry)
                    .bind(target)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|row| {
                    Ok(OpenCall {
                        id: row.try_get("id")?,
                        state: CallState::parse(&row.try_get::<String, _>("state")?)?,
                        lease_until_ms: row.try_get("lease_until")?,
                    })
                })
                .transpose()
            }

            async fn latest_answer(
                &self,
                entry: &str,
                target: &str,
                since_ms: i64,
            ) -> Result<Option<AnswerRow>, LedgerError> {
                Ok(
                    sqlx::query_as::<$db, (i64, i64, String)>(crate::sql::LATEST_ANSWER)
                        .bind(entry)
                        .bind(target)
                        .bind(since_ms)
                        .fetch_optional(&self.pool)
                        .await?,
                )
            }

            async fn delete_claim(&self, id: i64, holder: &str) -> Result<(), LedgerError> {
                sqlx::query(crate::sql::DELETE_CLAIM)
                    .bind(id)
                    .bind(holder)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn expire(&self, id: i64, now_ms: i64) -> Result<bool, LedgerError> {
                let done = sqlx::query(crate::sql::EXPIRE)
                    .bind(id)
                    .bind(now_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn expire_stale(&self, now_ms: i64) -> Result<u64, LedgerError> {
                let done = sqlx::query(crate::sql::EXPIRE_STALE)
                    .bind(now_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn mark_resent(&self, id: i64, now_ms: i64) -> Result<bool, LedgerError> {
                let done = sqlx::query(crate::sql::MARK_RESENT)
                    .bind(id)
                    .bind(now_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn finish(
                &self,
                id: i64,
                holder: &str,
                end: &CallEnd,
                now_ms: i64,
            ) -> Result<bool, LedgerError> {
                self.check_identity()?;
                let (state, billing, cost) = crate::sql::end_values(end);
                let done = sqlx::query(crate::sql::FINISH)
                    .bind(id)
                    .bind(holder)
                    .bind(state)
                    .bind(now_ms)
                    .bind(billing)
                    .bind(cost)
                    .bind(&end.outcome)
                    .bind(end.answer.as_deref())
                    .bind(end.gateway_request_id.as_deref())
                    .bind(end.vendor_request_id.as_deref())
                    .execute(self.finish_pool())
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn renew(
                &self,
                id: i64,
                holder: &str,
                until_ms: i64,
            ) -> Result<bool, LedgerError> {
                let done = sqlx::query(crate::sql::RENEW)
                    .bind(id)
                    .bind(holder)
                    .bind(until_ms)
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

            async fn resolve(
                &self,
                id: i64,
                end: &CallEnd,
                now_ms: i64,
            ) -> Result<bool, LedgerError> {
                let (state, billing, cost) = crate::sql::end_values(end);
                let done = sqlx::query(crate::sql::RESOLVE)
                    .bind(id)
                    .bind(state)
                    .bind(now_ms)
                    .bind(billing)
                    .bind(cost)
                    .bind(&end.outcome)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn purge(&self, before_ms: i64) -> Result<u64, LedgerError> {
                let done = sqlx::query(crate::sql::PURGE)
                    .bind(before_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn reserve(
                &self,
                kind: &str,
                name: &str,
                window: i64,
                amount: i64,
                limit: i64,
            ) -> Result<bool, LedgerError> {
                let used = sqlx::query_scalar::<$db, i64>(crate::sql::RESERVE)
                    .bind(kind)
                    .bind(name)
                    .bind(window)
                    .bind(amount)
                    .bind(limit)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(used.is_some())
            }

            async fn refund(
                &self,
                kind: &str,
                name: &str,
                window: i64,
                amount: i64,
            ) -> Result<(), LedgerError> {
                sqlx::query(crate::sql::REFUND)
                    .bind(kind)
                    .bind(name)
                    .bind(window)
                    .bind(amount)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn counter(
                &self,
                kind: &str,
                name: &str,
                window: i64,
            ) -> Result<i64, LedgerError> {
                Ok(sqlx::query_scalar::<$db, i64>(crate::sql::COUNTER)
                    .bind(kind)
                    .bind(name)
                    .bind(window)
                    .fetch_optional(&self.pool)
                    .await?
                    .unwrap_or(0))
            }

            async fn forget_counters(
                &self,
                kind: &str,
                before_window: i64,
            ) -> Result<(), LedgerError> {
                sqlx::query(crate::sql::FORGET_COUNTERS)
                    .bind(kind)
                    .bind(before_window)
                    .execute(&self.pool)
                    .await?;
                Ok(())
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
                sqlx::query_scalar(crate::sql::META_GET)
                    .bind("schema_version")
                    .fetch_one(&mut *connection)
                    .await
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

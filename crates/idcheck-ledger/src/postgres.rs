//! PostgreSQL: one ledger for many processes and machines. Migrations run under an advisory
//! lock, so replicas starting at once do not race.

use std::str::FromStr as _;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::LedgerError;
use crate::record::{CallEnd, CallRecord, CallState, NewClaim, OpenCall, Stats};
use crate::sql::{Statements, sql_store};
use crate::store::{Claimed, Since, Step};

/// The statements with the server's clock: `$1` is always NULL, and every time is read from
/// `statement_timestamp()` (milliseconds since the epoch), so machines whose clocks differ
/// still agree on leases, reuse windows, budget days and rate slots.
static STATEMENTS: std::sync::LazyLock<Statements> = std::sync::LazyLock::new(|| {
    Statements::render(
        "COALESCE($1, CAST(FLOOR(EXTRACT(EPOCH FROM statement_timestamp()) * 1000) AS BIGINT))",
    )
});

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS idcheck_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS idcheck_calls (
        id BIGSERIAL PRIMARY KEY,
        entry TEXT NOT NULL, target TEXT NOT NULL, vendor TEXT NOT NULL, base_url TEXT NOT NULL,
        state TEXT NOT NULL, holder TEXT NOT NULL, client TEXT,
        claimed_at BIGINT NOT NULL, lease_until BIGINT NOT NULL, ended_at BIGINT,
        billing TEXT, cost_milli BIGINT, outcome TEXT, answer TEXT,
        gateway_request_id TEXT, vendor_request_id TEXT,
        max_call_ms BIGINT NOT NULL DEFAULT 0, budget_day BIGINT, reserved_milli BIGINT)",
    "CREATE TABLE IF NOT EXISTS idcheck_counters (
        kind TEXT NOT NULL, name TEXT NOT NULL, win BIGINT NOT NULL, used BIGINT NOT NULL,
        PRIMARY KEY (kind, name, win))",
    "CREATE UNIQUE INDEX IF NOT EXISTS idcheck_calls_open ON idcheck_calls (entry, target)
        WHERE state IN ('claimed', 'unresolved')",
    "CREATE INDEX IF NOT EXISTS idcheck_calls_answers ON idcheck_calls (entry, target, ended_at)
        WHERE state = 'answered'",
    // Listings of unresolved calls; reports and purges scan (they are rare), so that each
    // claim and record writes as few index pages as it can.
    "CREATE INDEX IF NOT EXISTS idcheck_calls_unresolved ON idcheck_calls (id)
        WHERE state = 'unresolved'",
];

/// Any number; the same in every process that migrates this schema.
const MIGRATION_LOCK: i64 = 0x1dc4_ec6b_1ed6;

#[derive(Debug)]
pub(crate) struct PostgresStore {
    pool: sqlx::PgPool,
    /// Records how calls ended without waiting for the WAL flush: an answer lost in a server
    /// crash leaves its claim to expire into an unresolved call (never a second payment),
    /// while a claim is always committed durably before the call is sent.
    record_pool: sqlx::PgPool,
    location: String,
    schema: Option<String>,
}

/// `url` without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}@{}", &url[..scheme + 3], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

impl PostgresStore {
    /// Opens `url`; a `schema=NAME` query parameter puts the ledger's tables in that schema
    /// (created if missing), so one database can hold several ledgers.
    /// Without `create`, a schema (or database) without a ledger is [`LedgerError::Missing`]
    /// and nothing is created in it.
    pub(crate) async fn open(url: &str, create: bool) -> Result<Self, LedgerError> {
        let location = redact(url);
        let open_error = |reason: String| LedgerError::Open {
            location: location.clone(),
            reason,
        };
        let (url, schema) = take_schema(url);
        if let Some(schema) = &schema {
            if schema.is_empty()
                || !schema
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return Err(LedgerError::Location {
                    location,
                    reason: "schema= takes letters, digits and _ only".to_owned(),
                });
            }
        }
        let mut options =
            PgConnectOptions::from_str(&url).map_err(|e| open_error(e.to_string()))?;
        if let Some(schema) = &schema {
            options = options.options([("search_path", schema.as_str())]);
        }
        // No ping before each use (a round trip per statement): a connection broken since
        // its last use fails its statement, which stops the call as a ledger error, never
        // sends it.
        let pools = PgPoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .acquire_timeout(std::time::Duration::from_secs(5));
        let pool = pools
            .clone()
            .connect_with(options.clone())
            .await
            .map_err(|e| open_error(e.to_string()))?;
        if !create {
            // `search_path` names the ledger's schema: no table there, no ledger.
            let found: Option<String> =
                sqlx::query_scalar("SELECT CAST(to_regclass('idcheck_meta') AS TEXT)")
                    .fetch_one(&pool)
                    .await
                    .map_err(|e| open_error(e.to_string()))?;
            if found.is_none() {
                return Err(LedgerError::Missing { location });
            }
        }
        let record_pool = pools.connect_lazy_with(options.options([("synchronous_commit", "off")]));
        Ok(Self {
            pool,
            record_pool,
            location,
            schema,
        })
    }

    /// One transaction under an advisory lock.
    const MIGRATE_IN_ONE_TRANSACTION: bool = true;

    /// Statements run before the schema's, in its transaction: an advisory lock, so replicas
    /// starting at once do not race, and the ledger's own schema.
    fn migration_prelude(&self) -> Vec<String> {
        let mut prelude = vec![format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")];
        if let Some(schema) = &self.schema {
            // Checked when opened: letters, digits and _ only.
            prelude.push(format!("CREATE SCHEMA IF NOT EXISTS {schema}"));
        }
        prelude
    }

    const fn finish_pool(&self) -> &sqlx::PgPool {
        &self.record_pool
    }

    #[allow(clippy::unnecessary_wraps, clippy::unused_self)]
    fn check_identity(&self) -> Result<(), LedgerError> {
        Ok(())
    }

    #[allow(clippy::unused_self)]
    fn sql(&self) -> &'static Statements {
        &STATEMENTS
    }

    /// The clock parameter `$1`: NULL, so the server's clock is read.
    #[allow(clippy::unused_self)]
    const fn now_param(&self) -> Option<i64> {
        None
    }

    async fn add_column(
        connection: &mut sqlx::PgConnection,
        column: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(&format!(
            "ALTER TABLE idcheck_calls ADD COLUMN IF NOT EXISTS {column}"
        ))
        .execute(connection)
        .await
        .map(|_| ())
    }
}

/// Splits a `schema=NAME` query parameter off `url`.
fn take_schema(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut schema = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.strip_prefix("schema=") {
            Some(name) => {
                schema = Some(name.to_owned());
                false
            }
            None => true,
        })
        .collect();
    let url = if rest.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    (url, schema)
}

sql_store!(PostgresStore, sqlx::Postgres, {
    async fn close(&self) -> Result<(), LedgerError> {
        self.pool.close().await;
        self.record_pool.close().await;
        Ok(())
    }

    async fn claim(&self, claim: &NewClaim, since: Since) -> Result<Step, LedgerError> {
        let (since_from, age) = since.params();
        let reservation = claim.reservation.as_ref();
        // One round trip: a reusable answer (nothing written), or the claim (committed
        // durably: this pool commits synchronously).
        let rows = sqlx::query_as::<sqlx::Postgres, (String, i64, i64, i64, Option<String>)>(
            &self.sql().claim_or_answer,
        )
        .bind(self.now_param())
        .bind(&claim.entry)
        .bind(&claim.target)
        .bind(&claim.vendor)
        .bind(&claim.base_url)
        .bind(&claim.holder)
        .bind(claim.client.as_deref())
        .bind(claim.lease_ms)
        .bind(claim.max_call_ms)
        .bind(reservation.map(|r| r.day))
        .bind(reservation.map(|r| r.amount))
        .bind(since_from)
        .bind(age)
        .fetch_all(&self.pool)
        .await?;
        let Some((kind, id, at_ms, _until_ms, answer)) = rows.into_iter().next() else {
            return Ok(Step::Blocked);
        };
        if kind == "answer" {
            return Ok(Step::Answered((id, at_ms, answer.unwrap_or_default())));
        }
        // The statement's snapshot predates any answer committed while the claim waited on
        // the unique index (the holder that blocked it finishing): look again, now.
        let recheck = match since {
            Since::Now => Since::From(at_ms),
            other => other,
        };
        if let Some(answer) =
            crate::store::Store::latest_answer(self, &claim.entry, &claim.target, recheck).await?
        {
            sqlx::query(crate::sql::DELETE_CLAIM)
                .bind(id)
                .bind(&claim.holder)
                .execute(&self.pool)
                .await?;
            return Ok(Step::Answered(answer));
        }
        Ok(Step::Claimed(Claimed { id, now_ms: at_ms }))
    }
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown_and_schemas_are_taken_off() {
        assert_eq!(
            redact("postgres://app:secret@db:5432/ledger"),
            "postgres://app@db:5432/ledger"
        );
        assert_eq!(redact("postgres://db/ledger"), "postgres://db/ledger");
        assert_eq!(
            take_schema("postgres://db/x?schema=a1&sslmode=disable"),
            (
                "postgres://db/x?sslmode=disable".to_owned(),
                Some("a1".to_owned())
            )
        );
        assert_eq!(
            take_schema("postgres://db/x"),
            ("postgres://db/x".to_owned(), None)
        );
    }
}

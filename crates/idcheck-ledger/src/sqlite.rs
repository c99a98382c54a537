//! The embedded default: one SQLite file (WAL, busy timeout) shared by every process on the
//! machine that opens it.

use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::LedgerError;
use crate::record::{CallEnd, CallRecord, CallState, NewClaim, OpenCall, Stats};
use crate::sql::{Statements, sql_store};
use crate::store::{Claimed, Since, Step};

/// The statements with the clock bound as `$1`: the machine's kernel clock (see
/// [`crate::clock`]), the same for every process on the machine that shares the file.
static STATEMENTS: std::sync::LazyLock<Statements> =
    std::sync::LazyLock::new(|| Statements::render("$1"));

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS idcheck_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS idcheck_calls (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        entry TEXT NOT NULL, target TEXT NOT NULL, vendor TEXT NOT NULL, base_url TEXT NOT NULL,
        state TEXT NOT NULL, holder TEXT NOT NULL, client TEXT,
        claimed_at INTEGER NOT NULL, lease_until INTEGER NOT NULL, ended_at INTEGER,
        billing TEXT, cost_milli INTEGER, outcome TEXT, answer TEXT,
        gateway_request_id TEXT, vendor_request_id TEXT,
        max_call_ms INTEGER NOT NULL DEFAULT 0, budget_day INTEGER, reserved_milli INTEGER)",
    "CREATE TABLE IF NOT EXISTS idcheck_counters (
        kind TEXT NOT NULL, name TEXT NOT NULL, win INTEGER NOT NULL, used INTEGER NOT NULL,
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

#[derive(Debug)]
pub(crate) struct SqliteStore {
    pool: sqlx::SqlitePool,
    /// Claims only: each commit is synced to disk (`synchronous=FULL`) before the call it
    /// claims can be sent, so not even a power loss forgets a claim whose call went out. The
    /// other writes (answers, expiries) need no sync of their own: a lost answer leaves its
    /// claim to lapse into an unresolved call, never into a second payment, and the next
    /// claim's sync writes them too.
    claim_pool: sqlx::SqlitePool,
    /// Claims waiting for the writer's turn, and the turn: concurrent claims of this process
    /// are written in one transaction, one sync for all of them.
    pending: std::sync::Mutex<Vec<PendingClaim>>,
    writer: tokio::sync::Mutex<()>,
    location: String,
    path: PathBuf,
    /// Device and inode of the file when opened: a file deleted or replaced while in use is
    /// noticed instead of written to unseen.
    identity: Option<(u64, u64)>,
}

fn file_identity(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path).ok().map(|_| (0, 0))
    }
}

/// A new file only its owner can read and write, whatever the umask.
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}

/// `dir` and its missing parents, those made here readable by their owner only.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// SQLite's `SQLITE_BUSY` (5): another connection holds the lock.
fn is_locked(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().as_deref() == Some("5"))
}

impl SqliteStore {
    /// Opens the file at `path`; with `create`, makes it first when missing: mode 0600 (its
    /// `-wal` and `-shm` files take the same), in directories made 0700.
    pub(crate) async fn open(path: &Path, create: bool) -> Result<Self, LedgerError> {
        let location = path.display().to_string();
        let open_error = |reason: String| LedgerError::Open {
            location: location.clone(),
            reason,
        };
        if !create && !path.exists() {
            return Err(LedgerError::Missing { location });
        }
        if create {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                private_dir(dir).map_err(|e| open_error(e.to_string()))?;
            }
            match private_file(path) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(open_error(e.to_string())),
            }
        }
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|e| open_error(e.to_string()))?
            .filename(path)
            .create_if_missing(false)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL with NORMAL survives a killed process (what "never pay twice" needs); only
            // a power loss can drop the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        // No ping before each use: a local file needs none, and it would double each
        // statement's trip to SQLite's worker thread.
        // Two processes creating the same new file at once: switching it to WAL can answer
        // "database is locked" at once, without waiting out the busy timeout (seen in CI).
        // Opening is idempotent, so try again for as long as the busy timeout would wait.
        let started = std::time::Instant::now();
        let pool = loop {
            match SqlitePoolOptions::new()
                .max_connections(4)
                .test_before_acquire(false)
                .connect_with(options.clone())
                .await
            {
                Ok(pool) => break pool,
                Err(e) if is_locked(&e) && started.elapsed() < Duration::from_secs(10) => {
                    let jitter = u64::from(started.elapsed().subsec_nanos() % 30);
                    tokio::time::sleep(Duration::from_millis(20 + jitter)).await;
                }
                Err(e) => return Err(open_error(e.to_string())),
            }
        };
        // Opened once the file exists in WAL mode (the pool above made it so).
        let claim_pool = SqlitePoolOptions::new()
            .max_connections(2)
            .test_before_acquire(false)
            .connect_lazy_with(options.synchronous(SqliteSynchronous::Full));
        Ok(Self {
            pool,
            claim_pool,
            pending: std::sync::Mutex::new(Vec::new()),
            writer: tokio::sync::Mutex::new(()),
            identity: file_identity(path),
            path: path.to_owned(),
            location,
        })
    }

    /// Each statement on its own: a deferred transaction upgraded to a write while another
    /// process opens the same file fails with "database is locked" instead of waiting, while
    /// single statements wait (busy timeout), and each is idempotent.
    const MIGRATE_IN_ONE_TRANSACTION: bool = false;

    /// Statements run before the schema's, in its transaction: none for SQLite, whose
    /// writers are serialised anyway.
    #[allow(clippy::unused_self)]
    const fn migration_prelude(&self) -> Vec<String> {
        Vec::new()
    }

    const fn finish_pool(&self) -> &sqlx::SqlitePool {
        &self.pool
    }

    #[allow(clippy::unused_self)]
    fn sql(&self) -> &'static Statements {
        &STATEMENTS
    }

    /// The clock parameter `$1`: this machine's kernel clock (an `Option` as PostgreSQL's is,
    /// so both backends bind it alike).
    #[allow(clippy::unused_self, clippy::unnecessary_wraps)]
    fn now_param(&self) -> Option<i64> {
        Some(crate::clock::machine_now_ms())
    }

    /// Adds a column to a ledger made by schema version 1; another process may have added it
    /// first.
    async fn add_column(
        connection: &mut sqlx::SqliteConnection,
        column: &str,
    ) -> Result<(), sqlx::Error> {
        match sqlx::query(&format!("ALTER TABLE idcheck_calls ADD COLUMN {column}"))
            .execute(connection)
            .await
        {
            Err(sqlx::Error::Database(e)) if e.message().contains("duplicate column") => Ok(()),
            other => other.map(|_| ()),
        }
    }

    fn check_identity(&self) -> Result<(), LedgerError> {
        if self.identity.is_some() && file_identity(&self.path) != self.identity {
            return Err(LedgerError::Lost(format!(
                "the file {} was deleted or replaced",
                self.location
            )));
        }
        Ok(())
    }
}

sql_store!(SqliteStore, sqlx::Sqlite, {
    async fn close(&self) -> Result<(), LedgerError> {
        self.claim_pool.close().await;
        // Another process may hold the log open: then it folds it in when it closes.
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await;
        self.pool.close().await;
        Ok(())
    }

    async fn claim(&self, claim: &NewClaim, since: Since) -> Result<Step, LedgerError> {
        self.check_identity()?;
        // A reusable answer is read without taking the write lock.
        if let Some(answer) =
            crate::store::Store::latest_answer(self, &claim.entry, &claim.target, since).await?
        {
            return Ok(Step::Answered(answer));
        }
        let (outcome, mut done) = tokio::sync::oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(PendingClaim {
                claim: claim.clone(),
                since,
                outcome,
            });
        // Group commit: whoever holds the writer turn writes every claim queued meanwhile in
        // one synced transaction.
        let _turn = self.writer.lock().await;
        if let Ok(result) = done.try_recv() {
            return result;
        }
        let group = std::mem::take(
            &mut *self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        self.write_claims(group).await;
        done.try_recv().unwrap_or_else(|_| {
            Err(LedgerError::Unavailable(
                "the claim's group commit was interrupted".to_owned(),
            ))
        })
    }
});

/// A claim waiting for the writer's turn.
#[derive(Debug)]
struct PendingClaim {
    claim: NewClaim,
    since: Since,
    outcome: tokio::sync::oneshot::Sender<Result<Step, LedgerError>>,
}

impl SqliteStore {
    /// Writes `group` in one transaction, synced once, and tells each claim how it went. One
    /// claim alone is one statement.
    async fn write_claims(&self, group: Vec<PendingClaim>) {
        let result = if group.len() == 1 {
            match self.claim_pool.acquire().await {
                Ok(mut connection) => {
                    Self::insert_claim(&mut connection, &group[0].claim, group[0].since)
                        .await
                        .map(|step| vec![step])
                }
                Err(e) => Err(e),
            }
        } else {
            self.claims_in_one_transaction(&group).await
        };
        match result {
            Ok(steps) => {
                for (pending, step) in group.into_iter().zip(steps) {
                    let _ = pending.outcome.send(Ok(step));
                }
            }
            Err(e) => {
                let error = LedgerError::from(e);
                for pending in group {
                    let _ = pending.outcome.send(Err(clone_error(&error)));
                }
            }
        }
    }

    async fn claims_in_one_transaction(
        &self,
        group: &[PendingClaim],
    ) -> Result<Vec<Step>, sqlx::Error> {
        let mut transaction = self.claim_pool.begin().await?;
        let mut steps = Vec::with_capacity(group.len());
        for pending in group {
            steps.push(Self::insert_claim(&mut transaction, &pending.claim, pending.since).await?);
        }
        // Committed (and synced: this pool is `synchronous=FULL`) before any call is sent; a
        // commit that fails fails every claim of the group.
        transaction.commit().await?;
        Ok(steps)
    }

    async fn insert_claim(
        connection: &mut sqlx::SqliteConnection,
        claim: &NewClaim,
        since: Since,
    ) -> Result<Step, sqlx::Error> {
        let (since_from, age) = since.params();
        let reservation = claim.reservation.as_ref();
        let rows =
            sqlx::query_as::<sqlx::Sqlite, (i64, i64, i64)>(&STATEMENTS.claim_unless_answered)
                .bind(Some(crate::clock::machine_now_ms()))
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
                // To the end: a statement outside a transaction commits only once it is done.
                .fetch_all(connection)
                .await?;
        Ok(match rows.first() {
            Some(&(id, now_ms, _lease_until_ms)) => Step::Claimed(Claimed { id, now_ms }),
            None => Step::Blocked,
        })
    }
}

/// The same error for each claim of a failed group.
fn clone_error(error: &LedgerError) -> LedgerError {
    match error {
        LedgerError::Unavailable(e) => LedgerError::Unavailable(e.clone()),
        other => LedgerError::Store(other.to_string()),
    }
}

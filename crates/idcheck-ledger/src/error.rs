//! What can go wrong with a ledger. Messages never hold personal data or the key.

use std::path::PathBuf;

/// The ledger key could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not 64 hexadecimal characters.
    #[error("the ledger key must be 64 hexadecimal characters (32 bytes)")]
    Malformed,
    /// The operating system gave no randomness for a new key.
    #[error("no randomness for a new ledger key")]
    NoRandomness,
    /// No config directory to keep a key file in.
    #[error("no config directory for the ledger key file: set IDCHECK_LEDGER_KEY")]
    NoConfigDir,
    /// No key: neither the environment variable nor the key file (which only commands that
    /// write a ledger create).
    #[error("no ledger key: IDCHECK_LEDGER_KEY is not set and {path} does not exist")]
    NoKey {
        /// Where the key file was looked for.
        path: PathBuf,
    },
    /// The key file could not be read or written.
    #[error("ledger key file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// A ledger operation failed. Nothing should be sent when one does.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The location is not a path, `sqlite:…`, `postgres://…` or `memory`.
    #[error("ledger location {location:?}: {reason}")]
    Location {
        /// The location as given (without any password).
        location: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// No ledger exists there (and the command does not create one).
    #[error(
        "no ledger at {location}: check --ledger or IDCHECK_LEDGER (`idcheck batch` and `idcheck verify` create one on first use)"
    )]
    Missing {
        /// Where one was looked for (without any password).
        location: String,
    },
    /// The store could not be opened: missing, corrupt, unreachable.
    #[error("cannot open the ledger at {location}: {reason}")]
    Open {
        /// Where (without any password).
        location: String,
        /// Why.
        reason: String,
    },
    /// The ledger was made with another key: every entry would be missed.
    #[error(
        "the ledger at {location} was made with another key (IDCHECK_LEDGER_KEY or the key file): with this key every entry would be missed and paid again"
    )]
    WrongKey {
        /// Where.
        location: String,
    },
    /// The ledger's schema is newer than this program.
    #[error(
        "the ledger at {location} has schema version {found}; this program knows up to {known}"
    )]
    NewerSchema {
        /// Where.
        location: String,
        /// The stored version.
        found: i64,
        /// This program's version.
        known: i64,
    },
    /// The store failed during an operation.
    #[error("ledger store: {0}")]
    Store(String),
    /// The store could not be reached or was busy (a broken connection, a database
    /// restarting, a locked file): trying again may succeed.
    #[error("ledger store unavailable: {0}")]
    Unavailable(String),
    /// The ledger no longer holds a call this process claimed, or its file was replaced or
    /// deleted: continuing could pay twice.
    #[error(
        "the ledger lost a claimed call ({0}): was it deleted, replaced or purged while in use?"
    )]
    Lost(String),
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl From<sqlx::Error> for LedgerError {
    fn from(error: sqlx::Error) -> Self {
        // sqlx errors name tables and SQL, never bound values.
        let transient = match &error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(e) => e.code().is_some_and(|code| {
                // SQLite: busy, locked. PostgreSQL: connection exceptions, shutdowns, a
                // server not yet accepting connections, serialization failures, deadlocks.
                matches!(&*code, "5" | "6" | "40001" | "40P01")
                    || code.starts_with("08")
                    || code.starts_with("57P")
            }),
            _ => false,
        };
        if transient {
            Self::Unavailable(error.to_string())
        } else {
            Self::Store(error.to_string())
        }
    }
}

//! The store's errors: each says whether the caller or the system is at fault.
//! A refusal the user can fix is a typed `Refusal` (a key and arguments) that
//! the web layer words in the user's language; the store speaks no language.

use cordon_domain::Refusal;

use crate::imports::ImportReport;

/// What can go wrong in a store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record, or not in the actor's scope (the two are not told apart).
    #[error("not found")]
    NotFound,
    /// The actor's role may not do this.
    #[error("not permitted")]
    Forbidden,
    /// The input breaks a rule.
    #[error("{0}")]
    Invalid(Refusal),
    /// The record already exists, was changed meanwhile, or needs a confirmation.
    #[error("{0}")]
    Conflict(Refusal),
    /// Too many attempts in a short time; try again later.
    #[error("{0}")]
    TooMany(Refusal),
    /// An import with bad rows, rejected whole.
    #[error("the file has {} bad cells; nothing was imported", .0.total)]
    Rejected(ImportReport),
    /// The file could not be read as a table.
    #[error(transparent)]
    Sheet(#[from] crate::sheets::SheetError),
    /// The database cannot be reached or is too busy to answer in time: try again.
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    /// A file system error.
    #[error("io: {0}")]
    Io(String),
    /// The database failed.
    #[error("database: {0}")]
    Database(sqlx::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        if is_unavailable(&e) { StoreError::Unavailable(e) } else { StoreError::Database(e) }
    }
}

impl From<rusqlite::Error> for StoreError {
    // The SQLite bulk path's errors, told apart as sqlx's are: busy is 503.
    fn from(e: rusqlite::Error) -> StoreError {
        let busy = matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        let e = sqlx::Error::Protocol(format!("SQLite: {e}"));
        if busy { StoreError::Unavailable(e) } else { StoreError::Database(e) }
    }
}

/// Whether an error means the database is away or busy rather than that the
/// query is wrong: the caller may try again and should be told so (503).
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(d) => {
            let code = d.code().map(|c| c.to_string()).unwrap_or_default();
            if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // SQLITE_BUSY or SQLITE_LOCKED (with their extended codes): the
                // write lock was not free within the busy timeout.
                code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
            } else {
                // PostgreSQL: connection exceptions, and a server shutting down or starting.
                code.starts_with("08") || code.starts_with("57P")
            }
        }
        _ => false,
    }
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// A refusal of bad input.
    pub fn invalid(r: impl Into<Refusal>) -> StoreError {
        StoreError::Invalid(r.into())
    }

    /// A refusal because of the state of the records (changed meanwhile, exists, needs confirming).
    pub fn conflict(r: impl Into<Refusal>) -> StoreError {
        StoreError::Conflict(r.into())
    }

    /// The refusal this error carries, if it is one.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            StoreError::Invalid(r) | StoreError::Conflict(r) | StoreError::TooMany(r) => Some(r),
            _ => None,
        }
    }

    /// Maps a unique-constraint violation to a conflict with this refusal.
    pub(crate) fn unique_as(self, refusal: impl Into<Refusal>) -> StoreError {
        match &self {
            StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation() => StoreError::conflict(refusal),
            _ => self,
        }
    }
}

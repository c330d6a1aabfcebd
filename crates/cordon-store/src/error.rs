//! The store's errors: each says whether the caller or the system is at fault.

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
    /// The input breaks a rule; the text is for the user.
    #[error("{0}")]
    Invalid(String),
    /// The record already exists or was changed meanwhile.
    #[error("{0}")]
    Conflict(String),
    /// An import with bad rows, rejected whole.
    #[error("the file has {} bad rows; nothing was imported", .0.bad_rows.len())]
    Rejected(ImportReport),
    /// The file could not be read as a table.
    #[error(transparent)]
    Sheet(#[from] crate::sheets::SheetError),
    /// A file system error.
    #[error("io: {0}")]
    Io(String),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A refusal the web layer words in the user's language: the message key of
/// the locales and its arguments, written `@key|name=value|…` into the text of
/// `Invalid` or `Conflict` (and read back by `cordon_web::i18n::Tr::localise`).
/// The store itself speaks no language.
pub fn refusal(key: &str, args: &[(&str, &str)]) -> String {
    let mut s = format!("@{key}");
    for (k, v) in args {
        // A bar in a value (a name, say) would split it.
        s.push_str(&format!("|{k}={}", v.replace('|', "／")));
    }
    s
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// Maps a unique-constraint violation to a conflict with this message.
    pub(crate) fn unique_as(self, message: &str) -> StoreError {
        match &self {
            StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                StoreError::Conflict(message.to_string())
            }
            _ => self,
        }
    }
}

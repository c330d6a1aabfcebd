//! The record of finished imports of files, which also keeps one file from
//! being imported twice at once.
//!
//! An import reads the database while it checks the file (the compounds, the
//! residents already there) and only then takes the write lock. If the same
//! file is imported meanwhile, what it read is stale and its inserts would
//! clash. So an import notes the newest finished import of the same file when
//! it begins (`Run::seen`), and inside its write transaction refuses to go on
//! when a newer one has finished since (`claim_run!`). The ids of runs of one
//! file grow in the order they commit, because each is inserted under the lock
//! that orders them; no clock is compared, and nothing outlives a transaction.
//!
//! A file streamed from disk is hashed as it is read, so its hash is known only
//! at the end: `seen` is therefore the newest import of any file when this one
//! began, and the check is made once the hash is known, still inside the write
//! transaction and before anything of the import is final.

use chrono::{DateTime, Utc};
use cordon_domain::{Actor, Capability};
use serde::Serialize;
use sqlx::{PgPool, SqlitePool};

use super::{ImportKind, ImportSummary};
use crate::{Store, StoreError, StoreResult};

/// The newest finished import of a file (`$1`, its hash) and kind (`$2`); 0 for none.
/// `Run::seen` is the newest of all (`LAST_ANY_RUN_SQL`) when the import began.
pub(crate) const LAST_RUN_SQL: &str = "SELECT COALESCE(MAX(id), 0) FROM import_runs WHERE sha256 = $1 AND kind = $2";

const LAST_ANY_RUN_SQL: &str = "SELECT COALESCE(MAX(id), 0) FROM import_runs";

/// An import of an uploaded file, from its beginning to its commit.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub kind: ImportKind,
    pub file_name: String,
    /// The file's SHA-256, in hex.
    pub sha256: String,
    /// The first eight bytes of the hash, as PostgreSQL's advisory lock key.
    lock_key: i64,
    pub started: DateTime<Utc>,
    /// The newest finished import of any file when this one began (0: none).
    pub seen: i64,
}

impl Run {
    /// The key of the advisory lock that queues imports of this file.
    pub fn lock_key(&self) -> i64 {
        self.lock_key
    }

    /// Sets the file's hash, once its bytes have been read.
    pub fn hashed(&mut self, digest: [u8; 32]) {
        let mut key = [0u8; 8];
        key.copy_from_slice(&digest[..8]);
        self.sha256 = hex::encode(digest);
        self.lock_key = i64::from_be_bytes(key);
    }

    /// The audit entry's contents: the file, what the import did, and how many
    /// places (buildings, entrances, households) it created on the way.
    pub fn audit_json(&self, summary: &ImportSummary, places_created: u64) -> String {
        serde_json::json!({
            "kind": self.kind.as_str(),
            "file_name": self.file_name,
            "sha256": self.sha256,
            "imported": summary.imported,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
            "places_created": places_created,
            "started_at": self.started,
        })
        .to_string()
    }
}

/// The statement that queues imports of one file inside a write transaction,
/// per engine: none on SQLite, whose `BEGIN IMMEDIATE` already holds the whole
/// database.
pub(crate) trait RunLock {
    /// The statement, taking the lock key as `$1`.
    const SQL: Option<&'static str>;
}

impl RunLock for SqlitePool {
    const SQL: Option<&'static str> = None;
}

impl RunLock for PgPool {
    // Transaction-scoped: released by commit, rollback or a dropped connection.
    const SQL: Option<&'static str> = Some("SELECT pg_advisory_xact_lock($1)");
}

/// The run-lock statement of the pool's engine (see `RunLock`).
pub(crate) fn run_lock_sql<P: RunLock>(_: &P) -> Option<&'static str> {
    P::SQL
}

/// A finished import of a file, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ImportRun {
    /// Its id.
    pub id: i64,
    /// `places`, `residents` or `cadres`.
    pub kind: String,
    /// The file's name as uploaded.
    pub file_name: String,
    /// The file's SHA-256, in hex.
    pub sha256: String,
    /// New records.
    pub imported: i64,
    /// Changed records.
    pub updated: i64,
    /// Records the file repeated as they were.
    pub unchanged: i64,
    /// The importing user (none for the operator at the command line).
    pub user_id: Option<i64>,
    /// The importing user's name.
    pub actor: String,
    /// When the import began.
    pub started_at: DateTime<Utc>,
    /// When it was written.
    pub finished_at: DateTime<Utc>,
}

impl Store {
    /// Begins the import of a file: the instant, and the newest finished import
    /// of any file so far (the hash is set when the bytes are read).
    pub(super) async fn begin_run(&self, kind: ImportKind, file_name: &str) -> StoreResult<Run> {
        let started = self.now();
        let seen: i64 = on_pool!(self, |p| { sqlx::query_scalar(LAST_ANY_RUN_SQL).fetch_one(p).await? });
        Ok(Run {
            kind,
            // A name is for people to recognise the file by; a longer one is cut.
            file_name: crate::clean(file_name).chars().take(255).collect(),
            sha256: String::new(),
            lock_key: 0,
            started,
            seen,
        })
    }

    /// The latest finished imports of files, newest first; for those who read the audit log.
    pub async fn import_runs(&self, actor: &Actor, limit: i64) -> StoreResult<Vec<ImportRun>> {
        if !actor.can(Capability::ViewAudit) {
            return Err(StoreError::Forbidden);
        }
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT id, kind, file_name, sha256, imported, updated, unchanged, user_id, actor, started_at, \
                 finished_at FROM import_runs ORDER BY id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(p)
            .await?
        }))
    }
}

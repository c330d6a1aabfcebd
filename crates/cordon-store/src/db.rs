//! The connection to one of the two engines, and the macro that runs the same
//! query code against either.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use cordon_domain::clock::{Clock, SystemClock};

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::error::StoreResult;

/// Which database to use; only the binary chooses.
#[derive(Debug, Clone)]
pub enum Database {
    /// A SQLite file in this directory.
    Sqlite {
        /// The data directory; the file is `cordon.db` inside it.
        data_dir: PathBuf,
    },
    /// A PostgreSQL server.
    Postgres {
        /// A `postgres://` URL.
        url: String,
    },
}

impl Database {
    /// Picks the engine: a `postgres://` URL wins, else SQLite in the data directory.
    pub fn choose(data_dir: PathBuf, url: Option<&str>) -> Database {
        match url {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Database::Postgres { url: u.to_string() }
            }
            Some(u) if u.starts_with("sqlite://") => {
                Database::Sqlite { data_dir: PathBuf::from(u.trim_start_matches("sqlite://")) }
            }
            _ => Database::Sqlite { data_dir },
        }
    }

    /// A description without the password, for logs.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite { data_dir } => format!("SQLite at {}", data_dir.join("cordon.db").display()),
            Database::Postgres { url } => {
                let safe = match (url.find("://"), url.rfind('@')) {
                    (Some(s), Some(at)) => format!("{}://…{}", &url[..s], &url[at..]),
                    _ => url.clone(),
                };
                format!("PostgreSQL at {safe}")
            }
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs one body of query code against whichever engine the store has. The
/// body is compiled once per engine, so the same SQL (written with `$1`
/// placeholders, which both engines accept) serves both.
macro_rules! on_pool {
    ($store:expr, |$p:ident| $body:expr) => {
        match &$store.pool {
            $crate::db::Pool::Sqlite($p) => $body,
            $crate::db::Pool::Postgres($p) => $body,
        }
    };
}

/// Begins a write transaction. On SQLite it takes the write lock up front
/// (`BEGIN IMMEDIATE`), waiting for it up to the busy timeout: a deferred
/// transaction that reads first and then writes cannot wait (SQLite refuses
/// its upgrade at once with "database is locked"), and what it read might be
/// stale. On PostgreSQL row locks and constraints do that work.
pub(crate) trait WritePool {
    /// The engine.
    type Db: sqlx::Database;
    /// What a SELECT ends with to hold the rows it reads until the
    /// transaction ends: `FOR UPDATE` on PostgreSQL; nothing on SQLite, whose
    /// `BEGIN IMMEDIATE` holds the whole database already.
    const FOR_UPDATE: &'static str;
    /// Begins the transaction.
    fn begin_write(&self) -> impl std::future::Future<Output = Result<WriteTx<Self::Db>, sqlx::Error>> + Send;
    /// Begins a write that is one statement (after reads that need no
    /// lock): on SQLite only the turn, in autocommit, since one statement
    /// takes the write lock for its own length and is atomic, and a BEGIN
    /// and a COMMIT would be two round trips more inside the turn that every
    /// other writer waits for; on PostgreSQL the transaction of
    /// `begin_write`, so that rows can be held first (`FOR_UPDATE`).
    fn begin_one_write(&self) -> impl std::future::Future<Output = Result<WriteTx<Self::Db>, sqlx::Error>> + Send;
}

/// A write transaction: the connection in its transaction (`&mut *tx` is
/// the executor), and on SQLite this process's turn to write.
pub(crate) struct WriteTx<DB: sqlx::Database> {
    conn: Held<DB>,
    // After `conn`: fields drop in order, so the turn passes on only once the
    // transaction has ended.
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// The connection a write holds: in a transaction, or (`begin_one_write`
/// on SQLite) in autocommit.
enum Held<DB: sqlx::Database> {
    Transaction(sqlx::Transaction<'static, DB>),
    Autocommit(sqlx::pool::PoolConnection<DB>),
}

impl<DB: sqlx::Database> WriteTx<DB> {
    /// Commits (in autocommit the statement did), then gives the turn to the next writer.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self.conn {
            Held::Transaction(tx) => tx.commit().await,
            Held::Autocommit(_) => Ok(()),
        }
    }
}

impl<DB: sqlx::Database> std::ops::Deref for WriteTx<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        match &self.conn {
            Held::Transaction(tx) => tx,
            Held::Autocommit(conn) => conn,
        }
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for WriteTx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match &mut self.conn {
            Held::Transaction(tx) => tx,
            Held::Autocommit(conn) => conn,
        }
    }
}

/// The turn to write to one SQLite file, shared by every pool of this
/// process on that file. SQLite has one writer at a time, and a writer that
/// finds the lock taken sleeps in steps that grow to 100 ms before it looks
/// again, so under a burst of writes (ID-number look-ups, each one audited)
/// the unlucky waited 100–250 ms while the lock was free most of that time.
/// Queued here, in arrival order, the next writer starts the moment the last
/// one commits. Another process (`cordon import`) still meets the busy timeout.
fn sqlite_write_turn(pool: &SqlitePool) -> Arc<tokio::sync::Mutex<()>> {
    static TURNS: std::sync::LazyLock<
        std::sync::Mutex<std::collections::HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>,
    > = std::sync::LazyLock::new(Default::default);
    let file = pool.connect_options().get_filename().to_path_buf();
    let mut turns = TURNS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    turns.entry(file).or_default().clone()
}

/// This process's turn to write to the pool's SQLite file. Waiting for it is
/// bounded like waiting for the lock: a writer stuck behind a long one is
/// told "busy", not left hanging.
async fn sqlite_turn(pool: &SqlitePool) -> Result<tokio::sync::OwnedMutexGuard<()>, sqlx::Error> {
    tokio::time::timeout(SQLITE_BUSY_TIMEOUT, sqlite_write_turn(pool).lock_owned())
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)
}

impl WritePool for SqlitePool {
    type Db = sqlx::Sqlite;
    const FOR_UPDATE: &'static str = "";
    async fn begin_write(&self) -> Result<WriteTx<sqlx::Sqlite>, sqlx::Error> {
        let turn = sqlite_turn(self).await?;
        let tx = self.begin_with("BEGIN IMMEDIATE").await?;
        Ok(WriteTx { conn: Held::Transaction(tx), _turn: Some(turn) })
    }
    async fn begin_one_write(&self) -> Result<WriteTx<sqlx::Sqlite>, sqlx::Error> {
        let turn = sqlite_turn(self).await?;
        Ok(WriteTx { conn: Held::Autocommit(self.acquire().await?), _turn: Some(turn) })
    }
}

impl WritePool for PgPool {
    type Db = sqlx::Postgres;
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    async fn begin_write(&self) -> Result<WriteTx<sqlx::Postgres>, sqlx::Error> {
        Ok(WriteTx { conn: Held::Transaction(self.begin().await?), _turn: None })
    }
    async fn begin_one_write(&self) -> Result<WriteTx<sqlx::Postgres>, sqlx::Error> {
        self.begin_write().await
    }
}

/// A connection for a run of reads (held like a write, `WriteTx`, without
/// a turn; `commit` ends it), which with `generic` keeps one plan for any
/// values: for statements that use every parameter they take (no
/// `$n IS NULL OR …`), which such a plan serves as well as one made for the
/// values at hand. PostgreSQL plans a statement again on every run while
/// the plan for the values looks cheaper than the one for any, and its
/// estimate for the range of a compound's paths, or of names, is a row: a
/// list of residents took 0.9 ms to plan and 0.6 ms to run (1M, six tables
/// joined). There `generic` reads in a transaction of its own that keeps the
/// generic plan (`plan_cache_mode`, for that transaction alone); three short
/// round trips more, so only for the statements it changes. SQLite plans a
/// statement once, when it is prepared: a plain connection.
pub(crate) trait PlannedRead {
    /// The engine.
    type Db: sqlx::Database;
    /// Takes the connection (and on PostgreSQL, with `generic`, begins the transaction).
    fn planned_read(
        &self,
        generic: bool,
    ) -> impl std::future::Future<Output = Result<WriteTx<Self::Db>, sqlx::Error>> + Send;
}

impl PlannedRead for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn planned_read(&self, _generic: bool) -> Result<WriteTx<sqlx::Sqlite>, sqlx::Error> {
        Ok(WriteTx { conn: Held::Autocommit(self.acquire().await?), _turn: None })
    }
}

impl PlannedRead for PgPool {
    type Db = sqlx::Postgres;
    async fn planned_read(&self, generic: bool) -> Result<WriteTx<sqlx::Postgres>, sqlx::Error> {
        if !generic {
            return Ok(WriteTx { conn: Held::Autocommit(self.acquire().await?), _turn: None });
        }
        let mut tx = self.begin().await?;
        sqlx::query("SET LOCAL plan_cache_mode = force_generic_plan").execute(&mut *tx).await?;
        Ok(WriteTx { conn: Held::Transaction(tx), _turn: None })
    }
}

/// The `FOR UPDATE` of the pool's engine (see `WritePool::FOR_UPDATE`).
pub(crate) fn for_update<P: WritePool>(_: &P) -> &'static str {
    P::FOR_UPDATE
}

/// How long a SQLite writer waits for the write lock before giving up with
/// "busy" (503): long enough to queue behind a large import.
pub(crate) const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The store: clone it freely, it holds a connection pool and the clock.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: Pool,
    clock: Arc<dyn Clock>,
    /// The import jobs this process runs (`imports::jobs`).
    pub(crate) jobs: Arc<crate::imports::Live>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How much of the SQLite file the pages' connections map into memory: the
/// database of a city's ten million residents (about 3 GiB) in the end; the
/// address space is reserved, only the pages read are in memory, and they
/// are the OS's to drop.
const SQLITE_MMAP_BYTES: u64 = 4 << 30;

impl Store {
    /// Opens the database (creating the SQLite file if needed) without migrating.
    pub async fn open(db: &Database) -> StoreResult<Store> {
        let pool = match db {
            Database::Sqlite { data_dir } => {
                std::fs::create_dir_all(data_dir).map_err(|e| crate::StoreError::Io(e.to_string()))?;
                let opts = SqliteConnectOptions::from_str("sqlite://")?
                    .filename(data_dir.join("cordon.db"))
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    // Pages read through the OS's page cache instead of copied
                    // into each connection's own 2 MiB cache: a list of a large
                    // roll touches pages all over the file (a tag's residents,
                    // their households), and eight connections shared none.
                    .pragma("mmap_size", SQLITE_MMAP_BYTES.to_string());
                // No ping before each statement: the pool pings a connection
                // when it is handed back anyway, and a connection to a local
                // file cannot go away while idle. A ping is a round trip to the
                // connection's thread, and those hand-offs, not SQLite, are
                // half of a list's time under load (bench/README.md, "Where a
                // page's time goes"); without it a list is a few per cent faster.
                Pool::Sqlite(
                    SqlitePoolOptions::new().max_connections(8).test_before_acquire(false).connect_with(opts).await?,
                )
            }
            Database::Postgres { url } => Pool::Postgres(
                // A server that is down is said within seconds (503), not after a long wait.
                PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(5)).connect(url).await?,
            ),
        };
        Ok(Store { pool, clock: Arc::new(SystemClock), jobs: Arc::default() })
    }

    /// The same store reading "now" from another clock (tests at chosen instants).
    pub fn with_clock(&self, clock: Arc<dyn Clock>) -> Store {
        Store { pool: self.pool.clone(), clock, jobs: self.jobs.clone() }
    }

    /// The SQLite database file, for the bulk paths that open a connection of
    /// their own to it (none on PostgreSQL).
    pub(crate) fn sqlite_file(&self) -> Option<PathBuf> {
        match &self.pool {
            Pool::Sqlite(p) => Some(p.connect_options().get_filename().to_path_buf()),
            Pool::Postgres(_) => None,
        }
    }

    /// The present instant, by the store's clock: every store call reads it
    /// here, never from the system directly.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The clock itself, for the parts of the server that keep time too (the webhook worker).
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// Opens and applies every pending migration: what `serve` does at start.
    pub async fn connect(db: &Database) -> StoreResult<Store> {
        let store = Store::open(db).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the embedded migrations of this engine.
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.pool {
            Pool::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Pool::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// "sqlite" or "postgres".
    pub fn engine(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Answers when the database answers: the health check.
    pub async fn ping(&self) -> StoreResult<()> {
        on_pool!(self, |p| {
            sqlx::query("SELECT 1").execute(p).await?;
        });
        Ok(())
    }

    /// Closes the pool, waiting for connections to return.
    pub async fn close(&self) {
        on_pool!(self, |p| p.close().await)
    }
}

impl Store {
    /// Runs one statement of fixed SQL; for tests and administration only.
    #[cfg(feature = "test-support")]
    pub async fn execute_raw(&self, sql: &str) -> StoreResult<()> {
        on_pool!(self, |p| {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(p).await?;
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Migration 0016 makes SQLite's outbox again: on a database that has a
    /// queued message and its delivery log (foreign keys on, as the server
    /// opens it), every row is kept, the log still refers to its message, and
    /// the new rule (an order or a compound) holds.
    #[tokio::test]
    async fn the_outbox_made_again_keeps_its_messages_and_their_delivery_log() {
        let dir = std::env::temp_dir().join(format!("cordon_mig_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Store::open(&Database::Sqlite { data_dir: dir.clone() }).await.unwrap();
        let Pool::Sqlite(p) = &store.pool else { unreachable!() };
        let before: Vec<_> = SQLITE_MIGRATIONS.migrations.iter().filter(|m| m.version < 16).cloned().collect();
        let upto_15 =
            sqlx::migrate::Migrator { migrations: std::borrow::Cow::Owned(before), ..sqlx::migrate::Migrator::DEFAULT };
        upto_15.run(p).await.unwrap();
        sqlx::raw_sql(
            "INSERT INTO units (id, name) VALUES (1, '市林草局');
             INSERT INTO orders (id, unit_id, people, deadline, state, issued_at) VALUES (7, 1, 2, 'x', 'issued', 'x');
             INSERT INTO webhooks (id, name, format, url, enabled, created_at) VALUES (1, 't', 'json', 'https://e.x/h', 1, 'x');
             INSERT INTO webhook_outbox (id, webhook_id, event, order_id, payload, created_at, next_attempt_at)
               VALUES (3, 1, 'order.issued', 7, '{}', 'x', 'x');
             INSERT INTO webhook_deliveries (outbox_id, webhook_id, at, attempt, ok, duration_ms, state)
               VALUES (3, 1, 'x', 1, 0, 5, 'done');",
        )
        .execute(p)
        .await
        .unwrap();
        store.migrate().await.unwrap();
        let kept: (i64, Option<i64>, Option<i64>) =
            sqlx::query_as("SELECT id, order_id, compound_id FROM webhook_outbox").fetch_one(p).await.unwrap();
        assert_eq!(kept, (3, Some(7), None));
        let logged: i64 = sqlx::query_scalar("SELECT outbox_id FROM webhook_deliveries").fetch_one(p).await.unwrap();
        assert_eq!(logged, 3);
        let broken: Vec<(String,)> =
            sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check").fetch_all(p).await.unwrap();
        assert!(broken.is_empty(), "{broken:?}");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(p).await.unwrap();
        assert_eq!(fk, 1, "foreign keys on again");
        // Neither subject, or both: refused.
        let neither = "INSERT INTO webhook_outbox (webhook_id, event, payload, created_at, next_attempt_at) \
                       VALUES (1, 'x', '{}', 'x', 'x')";
        assert!(sqlx::query(neither).execute(p).await.is_err());
        // A delivery of a message that does not exist: refused, foreign keys work on the new table.
        let orphan = "INSERT INTO webhook_deliveries (outbox_id, webhook_id, at, attempt, ok, duration_ms, state) \
                      VALUES (99, 1, 'x', 1, 0, 5, 'done')";
        assert!(sqlx::query(orphan).execute(p).await.is_err());
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

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
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

impl WritePool for SqlitePool {
    type Db = sqlx::Sqlite;
    const FOR_UPDATE: &'static str = "";
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error>> + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl WritePool for PgPool {
    type Db = sqlx::Postgres;
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error>> + Send {
        self.begin()
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
                    .busy_timeout(SQLITE_BUSY_TIMEOUT);
                Pool::Sqlite(SqlitePoolOptions::new().max_connections(8).connect_with(opts).await?)
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

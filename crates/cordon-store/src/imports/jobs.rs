//! Uploads on the page run as jobs kept in the database: the page that
//! started one, a reload of it, or another instance of Cordon reads the same
//! job — its state, how many rows are checked and written, and how it ended.
//!
//! While a job runs, its progress is in the memory of the process running it
//! (`Live`) and, on PostgreSQL, written to its row every second with a
//! heartbeat, so other instances read it too. On SQLite the import holds the
//! write lock until it commits, so nothing else can be written meanwhile: the
//! row is written when the job begins and when it ends, and SQLite, embedded,
//! has one server per file to show the progress from memory.
//!
//! A process that dies takes its jobs with it (their imports roll back): a
//! job still `running` reads as `Interrupted` when its process is known gone —
//! this process, that no longer runs it; another one, on PostgreSQL, whose
//! heartbeat has stopped; or another one on SQLite.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use cordon_domain::{Actor, Refusal};
use serde::Serialize;

use super::{ImportKind, ImportProgress, ImportSummary, Upload, owner};
use crate::sheets::SheetLimits;
use crate::{Store, StoreError, StoreResult};

/// How often a running job's row is written on PostgreSQL.
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(1);

/// A job whose heartbeat is older than this has lost its process.
const STALE_SECONDS: i64 = 30;

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Being checked and written.
    Running,
    /// Written: see the summary.
    Done,
    /// Bad rows: nothing written; see the report.
    Rejected,
    /// Refused whole (unreadable, too large, imported by someone else now): nothing written.
    Refused,
    /// Failed for a reason of the server's (logged): nothing written.
    Failed,
    /// Its process stopped while it ran: nothing written.
    Interrupted,
}

impl JobState {
    fn parse(s: &str) -> JobState {
        match s {
            "running" => JobState::Running,
            "done" => JobState::Done,
            "rejected" => JobState::Rejected,
            "refused" => JobState::Refused,
            _ => JobState::Failed,
        }
    }

    /// Its word in the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Rejected => "rejected",
            JobState::Refused => "refused",
            JobState::Failed => "failed",
            JobState::Interrupted => "interrupted",
        }
    }
}

/// An upload's import, as its user sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ImportJob {
    pub id: i64,
    pub kind: ImportKind,
    pub file_name: String,
    pub state: JobState,
    /// How far it has come (bytes of the file for a CSV; rows for a workbook).
    pub progress: ImportProgress,
    /// What it did, once done.
    pub summary: ImportSummary,
    /// A rejected file's bad cells, and its full report kept for the user.
    pub bad_cells: i64,
    pub report: Option<i64>,
    /// Why it was refused.
    #[serde(skip)]
    pub refusal: Option<Refusal>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The progress of the jobs this process runs, and the name of the process.
#[derive(Debug)]
pub(crate) struct Live {
    instance: String,
    running: Mutex<HashMap<i64, ImportProgress>>,
}

impl Default for Live {
    fn default() -> Live {
        let mut bytes = [0u8; 8];
        rand::RngExt::fill(&mut rand::rng(), &mut bytes[..]);
        Live { instance: hex::encode(bytes), running: Mutex::new(HashMap::new()) }
    }
}

impl Live {
    fn set(&self, id: i64, progress: Option<ImportProgress>) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        match progress {
            Some(p) => running.insert(id, p),
            None => running.remove(&id),
        };
    }

    fn get(&self, id: i64) -> Option<ImportProgress> {
        self.running.lock().unwrap_or_else(|e| e.into_inner()).get(&id).copied()
    }
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    kind: String,
    file_name: String,
    instance: String,
    state: String,
    rows_checked: i64,
    rows_written: i64,
    bytes_done: i64,
    bytes_total: i64,
    imported: i64,
    updated: i64,
    unchanged: i64,
    bad_cells: i64,
    report_id: Option<i64>,
    refusal: Option<String>,
    started_at: DateTime<Utc>,
    heartbeat_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

const JOB_COLUMNS: &str = "id, kind, file_name, instance, state, rows_checked, rows_written, bytes_done, bytes_total, \
     imported, updated, unchanged, bad_cells, report_id, refusal, started_at, heartbeat_at, finished_at";

/// How a job ended, as its row keeps it.
struct Outcome {
    state: JobState,
    summary: ImportSummary,
    bad_cells: usize,
    report: Option<i64>,
    refusal: Option<String>,
}

impl Outcome {
    fn of(result: &StoreResult<ImportSummary>) -> Outcome {
        let mut outcome = Outcome {
            state: JobState::Done,
            summary: ImportSummary::default(),
            bad_cells: 0,
            report: None,
            refusal: None,
        };
        match result {
            Ok(summary) => outcome.summary = *summary,
            Err(StoreError::Rejected(report)) => {
                outcome.state = JobState::Rejected;
                (outcome.bad_cells, outcome.report) = (report.total, report.report);
            }
            Err(StoreError::Sheet(e)) => {
                outcome.state = JobState::Refused;
                outcome.refusal = Some(e.refusal().to_kept());
            }
            Err(StoreError::Conflict(r) | StoreError::Invalid(r) | StoreError::TooMany(r)) => {
                outcome.state = JobState::Refused;
                outcome.refusal = Some(r.to_kept());
            }
            Err(e) => {
                tracing::error!(error = %e, "import job failed");
                outcome.state = JobState::Failed;
            }
        }
        outcome
    }
}

impl Store {
    /// Begins the job of an upload, refusing a kind the actor may not import.
    pub async fn begin_import_job(&self, actor: &Actor, kind: ImportKind, file_name: &str) -> StoreResult<i64> {
        if !kind.allowed(actor) {
            return Err(StoreError::Forbidden);
        }
        let now = self.now();
        let name: String = crate::clean(file_name).chars().take(255).collect();
        // Live here before anyone can read the row (it is live from inside the
        // transaction that writes it): a row of ours that says running with
        // no live job is one that was lost or has just ended (`job_of`).
        let id = on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO import_jobs (kind, file_name, user_id, instance, state, started_at, heartbeat_at) \
                 VALUES ($1, $2, $3, $4, 'running', $5, $5) RETURNING id",
            )
            .bind(kind.as_str())
            .bind(name)
            .bind(owner(actor))
            .bind(self.jobs.instance.clone())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            self.jobs.set(id, Some(ImportProgress::default()));
            if let Err(e) = tx.commit().await {
                self.jobs.set(id, None);
                return Err(e.into());
            }
            id
        });
        Ok(id)
    }

    /// Runs a begun job to its end (as `import_file_within`), keeping its
    /// progress where others read it and recording how it ended.
    pub async fn run_import_job(
        &self,
        id: i64,
        actor: &Actor,
        kind: ImportKind,
        file: Upload<'_>,
        limits: &SheetLimits,
    ) -> StoreResult<ImportSummary> {
        // However this ends (a dropped task too), the job is no longer running here.
        struct Forget<'a>(&'a Live, i64);
        impl Drop for Forget<'_> {
            fn drop(&mut self) {
                self.0.set(self.1, None);
            }
        }
        let forget = Forget(&self.jobs, id);
        let progress = |p: &ImportProgress| self.jobs.set(id, Some(*p));
        let import = self.import_file_within(actor, kind, file, limits, &progress);
        tokio::pin!(import);
        let mut beat = tokio::time::interval(HEARTBEAT);
        let postgres = matches!(self.pool, crate::db::Pool::Postgres(_));
        let result = loop {
            tokio::select! {
                result = &mut import => break result,
                _ = beat.tick(), if postgres => {
                    // A missed beat is only a late figure on another instance's page.
                    if let Err(e) = self.beat(id).await {
                        tracing::warn!(error = %e, job = id, "import job heartbeat");
                    }
                }
            }
        };
        let outcome = Outcome::of(&result);
        let last = self.jobs.get(id).unwrap_or_default();
        let written = on_pool!(self, |p| {
            sqlx::query(
                "UPDATE import_jobs SET state = $2, rows_checked = $3, rows_written = $4, bytes_done = $5, \
                 bytes_total = $6, imported = $7, updated = $8, unchanged = $9, bad_cells = $10, report_id = $11, \
                 refusal = $12, heartbeat_at = $13, finished_at = $13 WHERE id = $1",
            )
            .bind(id)
            .bind(outcome.state.as_str())
            .bind(last.rows_checked as i64)
            .bind(last.rows_written as i64)
            .bind(last.done as i64)
            .bind(last.total as i64)
            .bind(outcome.summary.imported as i64)
            .bind(outcome.summary.updated as i64)
            .bind(outcome.summary.unchanged as i64)
            .bind(outcome.bad_cells as i64)
            .bind(outcome.report)
            .bind(outcome.refusal)
            .bind(self.now())
            .execute(p)
            .await
            .map(|_| ())
        });
        drop(forget);
        written?;
        result
    }

    /// Writes a running job's progress and heartbeat to its row.
    async fn beat(&self, id: i64) -> StoreResult<()> {
        let Some(now) = self.jobs.get(id) else { return Ok(()) };
        on_pool!(self, |p| {
            sqlx::query(
                "UPDATE import_jobs SET rows_checked = $2, rows_written = $3, bytes_done = $4, bytes_total = $5, \
                 heartbeat_at = $6 WHERE id = $1 AND state = 'running'",
            )
            .bind(id)
            .bind(now.rows_checked as i64)
            .bind(now.rows_written as i64)
            .bind(now.done as i64)
            .bind(now.total as i64)
            .bind(self.now())
            .execute(p)
            .await
            .map(|_| ())?
        });
        Ok(())
    }

    /// One of the actor's jobs; another user's reads as none (an id proves nothing).
    pub async fn import_job(&self, actor: &Actor, id: i64) -> StoreResult<ImportJob> {
        let read = || async {
            let row: Option<JobRow> = on_pool!(self, |p| {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {JOB_COLUMNS} FROM import_jobs WHERE id = $1 AND user_id IS NOT DISTINCT FROM $2"
                )))
                .bind(id)
                .bind(owner(actor))
                .fetch_optional(p)
                .await?
            });
            StoreResult::Ok(row)
        };
        let row = read().await?.ok_or(StoreError::NotFound)?;
        match self.job_of(row, Reading::First) {
            Some(job) => Ok(job),
            None => read().await?.and_then(|r| self.job_of(r, Reading::Again)).ok_or(StoreError::NotFound),
        }
    }

    /// The actor's latest jobs, newest first.
    pub async fn import_jobs(&self, actor: &Actor, limit: i64) -> StoreResult<Vec<ImportJob>> {
        let read = || async {
            let rows: Vec<JobRow> = on_pool!(self, |p| {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {JOB_COLUMNS} FROM import_jobs WHERE user_id IS NOT DISTINCT FROM $1 ORDER BY id DESC LIMIT $2"
                )))
                .bind(owner(actor))
                .bind(limit)
                .fetch_all(p)
                .await?
            });
            StoreResult::Ok(rows)
        };
        match read().await?.into_iter().map(|r| self.job_of(r, Reading::First)).collect() {
            Some(jobs) => Ok(jobs),
            None => Ok(read().await?.into_iter().filter_map(|r| self.job_of(r, Reading::Again)).collect()),
        }
    }

    /// A job as it stands: live progress from this process, and a job whose
    /// process is gone read as interrupted.
    ///
    /// A row of this process's that says running while the job is no longer
    /// live here: either the job was lost, or it ended between the read and
    /// now (a job writes its end to its row first and stops being live after).
    /// On a first reading that is None: read the row again, it tells which.
    /// Before, a page polling a job at that instant showed a finished import
    /// as "interrupted".
    fn job_of(&self, r: JobRow, reading: Reading) -> Option<ImportJob> {
        let mut state = JobState::parse(&r.state);
        let mut progress = ImportProgress {
            rows_checked: r.rows_checked as u64,
            rows_written: r.rows_written as u64,
            done: r.bytes_done as u64,
            total: r.bytes_total as u64,
        };
        if state == JobState::Running {
            let ours = r.instance == self.jobs.instance;
            match self.jobs.get(r.id) {
                Some(live) if ours => progress = live,
                _ if ours && reading == Reading::First => return None,
                _ if ours => state = JobState::Interrupted,
                _ => {
                    let sqlite = matches!(self.pool, crate::db::Pool::Sqlite(_));
                    let stale = self.now() - r.heartbeat_at > chrono::Duration::seconds(STALE_SECONDS);
                    if sqlite || stale {
                        state = JobState::Interrupted;
                    }
                }
            }
        }
        Some(ImportJob {
            id: r.id,
            kind: ImportKind::parse(&r.kind).unwrap_or(ImportKind::Residents),
            file_name: r.file_name,
            state,
            progress,
            summary: ImportSummary {
                imported: r.imported as usize,
                updated: r.updated as usize,
                unchanged: r.unchanged as usize,
            },
            bad_cells: r.bad_cells,
            report: r.report_id,
            refusal: r.refusal.as_deref().and_then(Refusal::from_kept),
            started_at: r.started_at,
            finished_at: r.finished_at,
        })
    }
}

/// Which reading of a job's row `job_of` is given (see there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    First,
    Again,
}

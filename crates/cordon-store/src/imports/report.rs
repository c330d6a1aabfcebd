//! The full error report of a rejected upload: every bad cell, kept in the
//! database for the user who sent the file, while the response lists only the
//! first `LISTED_BAD_CELLS`.
//!
//! Bad cells are written to the report as they are found, as CSV with the
//! reason's code and detail (row, column, value, code, detail), so checking a
//! file with a million bad cells holds a compact text rather than a million
//! structs; the web and the command line word the reasons when the report is
//! downloaded, in the reader's language.

use chrono::{DateTime, Utc};
use cordon_domain::Actor;

use super::{BadReason, BadRow, ImportKind, Run, owner};
use crate::{Store, StoreError, StoreResult};

/// How many reports a user keeps: writing one more deletes their oldest.
pub const REPORTS_KEPT: i64 = 10;

/// Writes bad cells in the stored form.
pub(crate) struct ReportWriter(csv::Writer<Vec<u8>>);

impl Default for ReportWriter {
    fn default() -> Self {
        ReportWriter(csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new()))
    }
}

impl ReportWriter {
    /// Adds one bad cell.
    pub fn write(&mut self, bad: &BadRow) {
        let row = bad.row.to_string();
        let detail = bad.reason.detail();
        // Writing to memory cannot fail.
        let _ = self.0.write_record([row.as_str(), &bad.column, &bad.value, bad.reason.code(), &detail]);
    }

    /// The report's bytes.
    pub fn finish(self) -> Vec<u8> {
        // Flushing into memory cannot fail either.
        self.0.into_inner().unwrap_or_default()
    }
}

/// A kept report, as its user downloads it.
#[derive(Debug, Clone)]
pub struct StoredReport {
    /// Its id.
    pub id: i64,
    /// What the file was to import.
    pub kind: ImportKind,
    /// The file's name as uploaded.
    pub file_name: String,
    /// How many bad cells the file has.
    pub total: usize,
    /// When the file was rejected.
    pub created_at: DateTime<Utc>,
    cells: Vec<u8>,
}

impl StoredReport {
    /// Every bad cell, in the order they were found.
    pub fn bad_cells(&self) -> impl Iterator<Item = BadRow> + '_ {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(self.cells.as_slice())
            .into_records()
            .filter_map(|record| {
                let record = record.ok()?;
                Some(BadRow {
                    row: record.get(0)?.parse().ok()?,
                    column: record.get(1)?.to_string(),
                    value: record.get(2)?.to_string(),
                    reason: BadReason::from_parts(record.get(3)?, record.get(4).unwrap_or(""))?,
                })
            })
    }
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    id: i64,
    kind: String,
    file_name: String,
    total: i64,
    created_at: DateTime<Utc>,
    cells: Vec<u8>,
}

impl Store {
    /// Keeps a rejected file's full report for the actor; yields its id.
    pub(super) async fn save_report(&self, actor: &Actor, run: &Run, total: usize, cells: Vec<u8>) -> StoreResult<i64> {
        let now = self.now();
        Ok(on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO import_reports (user_id, kind, file_name, sha256, total, created_at, cells) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(owner(actor))
            .bind(run.kind.as_str())
            .bind(run.file_name.clone())
            .bind(run.sha256.clone())
            .bind(i64::try_from(total).unwrap_or(i64::MAX))
            .bind(now)
            .bind(cells)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "DELETE FROM import_reports WHERE user_id IS NOT DISTINCT FROM $1 AND id NOT IN \
                 (SELECT id FROM import_reports WHERE user_id IS NOT DISTINCT FROM $1 ORDER BY id DESC LIMIT $2)",
            )
            .bind(owner(actor))
            .bind(REPORTS_KEPT)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            id
        }))
    }

    /// A kept report; only its own user may read it (anyone else: not found).
    pub async fn import_report(&self, actor: &Actor, id: i64) -> StoreResult<StoredReport> {
        let row: Option<ReportRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT id, kind, file_name, total, created_at, cells FROM import_reports \
                 WHERE id = $1 AND user_id IS NOT DISTINCT FROM $2",
            )
            .bind(id)
            .bind(owner(actor))
            .fetch_optional(p)
            .await?
        });
        let row = row.ok_or(StoreError::NotFound)?;
        Ok(StoredReport {
            id: row.id,
            kind: ImportKind::parse(&row.kind).ok_or(StoreError::NotFound)?,
            file_name: row.file_name,
            total: usize::try_from(row.total).unwrap_or(0),
            created_at: row.created_at,
            cells: row.cells,
        })
    }
}

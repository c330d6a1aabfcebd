//! Every resident the actor may see, streamed into a file in the columns of
//! the residents import (street, community, compound, building, entrance,
//! room, name, ID number, phone, tags), so that the file edited in Excel or
//! WPS imports again; then age, sex and the resident's id, which the import
//! ignores. Personal numbers masked, unless the actor may reveal them and asks
//! to (`Reveal::Full`: recorded in the export's audit entry); every cell
//! formula-escaped by the sheet writer; the export audited.
//!
//! Constant memory at any size: the rows are read from the database as a
//! stream in the order of their ids (the table's own order, so the database
//! sorts nothing) and written out as they come, on a blocking thread. On
//! SQLite that thread reads them itself, on a rusqlite connection of its own
//! to the same file (sqlx hands each row over between threads, which costs
//! more than the rest of the export together); on PostgreSQL sqlx streams
//! them and hands them over in batches, at most `BATCHES_IN_FLIGHT` of
//! `BATCH` rows at a time. XLSX rows go to rust_xlsxwriter's temporary files,
//! and the workbook is zipped into the sink at the end.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::clock::Zone;
use cordon_domain::{Actor, Capability};
use futures_util::TryStreamExt;
use tokio::sync::mpsc;

use crate::db::Pool;
use crate::places::CompoundRef;
use crate::places::scope_binds;
use crate::sheets::{SheetError, SheetFormat, SheetWriter, XLSX_ROWS_PER_SHEET};
use crate::{Store, StoreError, StoreResult};

/// The import's headers (`imports::residents::COLUMNS`, the Chinese name of
/// each), then three the import ignores.
const HEADERS: [&str; 13] =
    ["街道", "社区", "小区", "楼栋", "单元", "房号", "姓名", "身份证号", "手机号", "标签", "年龄", "性别", "编号"];

/// Whether an export holds the full ID numbers and phones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reveal {
    /// Masked as on every page (the last four characters of an ID number).
    #[default]
    Masked,
    /// In full, for a file to edit and import again: only for an actor who
    /// may reveal personal numbers, and recorded in the export's audit entry.
    Full,
}

/// The sheet's name in an XLSX export (further sheets are "residents 2", …).
const SHEET_NAME: &str = "residents";

/// Rows handed from the reader to the writer at a time (PostgreSQL): large
/// enough that the hand-over costs nothing per row, small enough to hold.
const BATCH: usize = 1024;

/// Batches on their way from the reader to the writer; a reader ahead of a
/// slow sink (a slow download) waits here instead of filling memory.
const BATCHES_IN_FLIGHT: usize = 4;

/// Rows of the PostgreSQL reader's first page: small, so that the first
/// bytes of a download go out at once; each page after doubles, up to
/// `PG_PAGE`.
const PG_FIRST_PAGE: i64 = 1_000;

/// Rows of a page of the PostgreSQL reader at most: enough that a page's
/// start costs nothing beside its rows.
const PG_PAGE: i64 = 10_000;

/// The export's rows without their order: `$1,$2` the scope range. The
/// household chain is joined by primary key, one lookup per level. The
/// columns are those of `ResidentRow`, in its order (the SQLite reader takes
/// them by position).
macro_rules! export_select {
    () => {
        "SELECT r.id, r.name, r.id_number, r.phone, r.birth_date, r.sex, r.tags, \
         b.parent_id AS compound_id, b.name AS building, e.name AS entrance, h.name AS room \
         FROM residents r JOIN places h ON h.id = r.household_id JOIN places e ON e.id = h.parent_id \
         JOIN places b ON b.id = e.parent_id \
         WHERE ($1 IS NULL OR (h.path >= $1 AND h.path < $2))"
    };
}

/// One exported resident as read; the compound's names come from memory
/// (a city has some twenty thousand compounds, and their names would be three
/// more look-ups a row).
#[derive(sqlx::FromRow)]
struct ExportRow {
    id: i64,
    name: String,
    id_number: String,
    phone: Option<String>,
    birth_date: NaiveDate,
    sex: String,
    tags: String,
    compound_id: i64,
    building: String,
    entrance: String,
    room: String,
}

/// SQLite: every row in one statement, in the table's own order (a scan by
/// rowid with four lookups a row: nothing is sorted).
const SQLITE_SQL: &str = concat!(export_select!(), " ORDER BY r.id");

/// PostgreSQL: the rows after `$3` by id, `$4` at a time. Asked for all rows
/// at once, its planner hashes the places and sorts the millions of rows; a
/// page with a limit walks the primary key in order instead.
const PG_PAGE_SQL: &str = concat!(export_select!(), " AND r.id > $3 ORDER BY r.id LIMIT $4");

/// What the PostgreSQL reader hands the writer.
enum Batch {
    /// Rows, in order.
    Rows(Vec<ExportRow>),
    /// Every row was read: the file may be finished. A reader that stops
    /// without saying so (an error) leaves the file unfinished.
    End,
}

impl Store {
    /// Writes every resident the actor may see into `sink` as CSV or XLSX, a
    /// row at a time (ages on today's date in `zone`), and returns how many
    /// rows it wrote. Refused (`Forbidden`) before any query without the
    /// Export and ViewResidents capabilities, and `Reveal::Full` without
    /// RevealPersonal. XLSX sheets hold `XLSX_ROWS_PER_SHEET` rows each.
    pub async fn export_residents_to<W: Write + Send + 'static>(
        &self,
        actor: &Actor,
        format: SheetFormat,
        zone: Zone,
        reveal: Reveal,
        sink: W,
    ) -> StoreResult<u64> {
        self.export_residents_in_sheets_of(actor, format, zone, reveal, XLSX_ROWS_PER_SHEET, sink).await
    }

    /// `export_residents_to` with XLSX sheets of at most `rows_per_sheet`
    /// data rows (each sheet with the header row); CSV ignores it.
    pub async fn export_residents_in_sheets_of<W: Write + Send + 'static>(
        &self,
        actor: &Actor,
        format: SheetFormat,
        zone: Zone,
        reveal: Reveal,
        rows_per_sheet: u32,
        sink: W,
    ) -> StoreResult<u64> {
        if !actor.can(Capability::Export) || !actor.can(Capability::ViewResidents) {
            return Err(StoreError::Forbidden);
        }
        if reveal == Reveal::Full && !actor.can(Capability::RevealPersonal) {
            return Err(StoreError::Forbidden);
        }
        let now = self.now();
        let (a, b) = scope_binds(actor);
        let compounds = Arc::new(self.compounds(actor, None).await?.into_iter().map(|c| (c.id, c)).collect());
        let file = Writing { format, rows_per_sheet, zone, now, reveal, compounds };
        let (rows, result) = match &self.pool {
            Pool::Sqlite(p) => {
                let path = p.connect_options().get_filename().to_path_buf();
                tokio::task::spawn_blocking(move || file.write_from_sqlite(&path, a, b, sink)).await.map_err(stopped)?
            }
            Pool::Postgres(p) => {
                let (tx, rx) = mpsc::channel(BATCHES_IN_FLIGHT);
                // The writer's work (masking, escaping, CSV or XML, zip) is CPU and
                // blocking IO: off the async threads, beside the reader.
                let writer = tokio::task::spawn_blocking(move || file.write(Received::new(rx), sink));
                let read = read_postgres(p, a, b, tx).await;
                let (rows, written) = writer.await.map_err(stopped)?;
                // The reader's error is the cause when both failed (the writer then only saw the rows stop).
                (rows, read.and(written))
            }
        };
        // One entry per export, also for one that stopped halfway (a download
        // cancelled): its rows went out all the same.
        let mut after = serde_json::json!({"rows": rows});
        if result.is_err() {
            after["complete"] = false.into();
        }
        if reveal == Reveal::Full {
            after["reveal"] = true.into();
        }
        let audited: StoreResult<()> = async {
            on_pool!(self, |p| {
                audit_insert!(
                    p,
                    crate::audit::NewEntry::new(now, actor, "export", "residents", format.extension().to_string())
                        .after(after.to_string())
                )?;
            });
            Ok(())
        }
        .await;
        result?;
        audited?;
        Ok(rows)
    }
}

fn stopped(e: tokio::task::JoinError) -> StoreError {
    StoreError::Io(format!("the export's writer stopped: {e}"))
}

/// Streams the rows in scope from PostgreSQL to the writer, a page at a
/// time by id and in batches, then `End`. The pages are read in one
/// read-only repeatable-read transaction: one snapshot, as one statement
/// would see.
async fn read_postgres(
    p: &sqlx::PgPool,
    a: Option<String>,
    b: Option<String>,
    tx: mpsc::Sender<Batch>,
) -> StoreResult<()> {
    let mut snapshot = p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
    // A page walks the primary key with lookups; parallel workers only add
    // their start and the merge (measured: about twice the time a page).
    sqlx::query("SET LOCAL max_parallel_workers_per_gather = 0").execute(&mut *snapshot).await?;
    let mut after = i64::MIN;
    let mut page = PG_FIRST_PAGE;
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let mut rows = sqlx::query_as::<_, ExportRow>(PG_PAGE_SQL)
            .bind(a.clone())
            .bind(b.clone())
            .bind(after)
            .bind(page)
            .fetch(&mut *snapshot);
        let mut in_page = 0;
        while let Some(row) = rows.try_next().await? {
            after = row.id;
            in_page += 1;
            batch.push(row);
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                if tx.send(Batch::Rows(full)).await.is_err() {
                    // The writer stopped (its sink failed): its error says why.
                    return Ok(());
                }
            }
        }
        if in_page < page {
            break;
        }
        page = (page * 2).min(PG_PAGE);
    }
    if !batch.is_empty() && tx.send(Batch::Rows(batch)).await.is_err() {
        return Ok(());
    }
    // A writer that has stopped has its own error to tell.
    let _ = tx.send(Batch::End).await;
    Ok(())
}

/// The rows the PostgreSQL reader sends, one at a time, on the writer's thread.
struct Received {
    rx: mpsc::Receiver<Batch>,
    batch: std::vec::IntoIter<ExportRow>,
    ended: bool,
}

impl Received {
    fn new(rx: mpsc::Receiver<Batch>) -> Received {
        Received { rx, batch: Vec::new().into_iter(), ended: false }
    }
}

impl Iterator for Received {
    type Item = StoreResult<ExportRow>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(row) = self.batch.next() {
                return Some(Ok(row));
            }
            if self.ended {
                return None;
            }
            match self.rx.blocking_recv() {
                Some(Batch::Rows(rows)) => self.batch = rows.into_iter(),
                Some(Batch::End) => self.ended = true,
                None => {
                    // The reader stopped without `End`: it failed, and the file is left unfinished.
                    self.ended = true;
                    return Some(Err(StoreError::Sheet(SheetError::Write("the rows stopped before the end".into()))));
                }
            }
        }
    }
}

/// How the rows are written: the part of the export both engines share.
struct Writing {
    format: SheetFormat,
    rows_per_sheet: u32,
    zone: Zone,
    now: DateTime<Utc>,
    reveal: Reveal,
    /// The compounds in the actor's scope, by id.
    compounds: Arc<HashMap<i64, CompoundRef>>,
}

impl Writing {
    /// Writes the rows as they come and finishes the file after the last;
    /// gives how many rows it wrote, and whether it got to the end.
    fn write<W: Write + Send>(
        self,
        rows: impl Iterator<Item = StoreResult<ExportRow>>,
        sink: W,
    ) -> (u64, StoreResult<()>) {
        let mut written = 0u64;
        let result = (|| {
            let mut sheet = SheetWriter::new(self.format, SHEET_NAME, &HEADERS, sink, self.rows_per_sheet)?;
            for row in rows {
                sheet.row(&self.cells(row?))?;
                written += 1;
            }
            sheet.finish()?;
            Ok(())
        })();
        (written, result)
    }

    /// Reads the rows in scope from the SQLite file on a connection of its own and writes them.
    fn write_from_sqlite<W: Write + Send>(
        self,
        path: &Path,
        a: Option<String>,
        b: Option<String>,
        sink: W,
    ) -> (u64, StoreResult<()>) {
        let conn = match open_reader(path) {
            Ok(conn) => conn,
            Err(e) => return (0, Err(e)),
        };
        let mut stmt = match conn.prepare(SQLITE_SQL) {
            Ok(stmt) => stmt,
            Err(e) => return (0, Err(StoreError::from(e))),
        };
        match stmt.query_map(rusqlite::params![a, b], sqlite_row) {
            Ok(rows) => self.write(rows.map(|r| r.map_err(StoreError::from)), sink),
            Err(e) => (0, Err(StoreError::from(e))),
        }
    }
}

/// A read-only connection to the store's SQLite file.
fn open_reader(path: &Path) -> StoreResult<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        PathBuf::from(path),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(StoreError::from)?;
    conn.busy_timeout(crate::db::SQLITE_BUSY_TIMEOUT).map_err(StoreError::from)?;
    Ok(conn)
}

/// One row of `SQLITE_SQL`, by position.
fn sqlite_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ExportRow> {
    let birth: String = row.get(4)?;
    let birth_date = birth
        .parse::<NaiveDate>()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e)))?;
    Ok(ExportRow {
        id: row.get(0)?,
        name: row.get(1)?,
        id_number: row.get(2)?,
        phone: row.get(3)?,
        birth_date,
        sex: row.get(5)?,
        tags: row.get(6)?,
        compound_id: row.get(7)?,
        building: row.get(8)?,
        entrance: row.get(9)?,
        room: row.get(10)?,
    })
}

impl Writing {
    /// The cells of one resident, in the order of `HEADERS`.
    fn cells(&self, r: ExportRow) -> [String; 13] {
        let (street, community, compound) = match self.compounds.get(&r.compound_id) {
            Some(c) => (c.street.clone(), c.community.clone(), c.name.clone()),
            None => Default::default(),
        };
        let (id_number, phone) = match self.reveal {
            Reveal::Full => (r.id_number, r.phone.unwrap_or_default()),
            Reveal::Masked => {
                (super::masked_id_number(&r.id_number), r.phone.as_deref().map(super::masked_phone).unwrap_or_default())
            }
        };
        let tags = cordon_domain::residents::SpecialGroup::parse_list(&r.tags).unwrap_or_default();
        [
            street,
            community,
            compound,
            r.building,
            r.entrance,
            r.room,
            r.name,
            id_number,
            phone,
            tags.iter().map(|t| t.zh()).collect::<Vec<_>>().join("；"),
            self.zone.age(r.birth_date, self.now).to_string(),
            cordon_domain::Sex::parse(&r.sex).unwrap_or(cordon_domain::Sex::Male).as_str().to_string(),
            r.id.to_string(),
        ]
    }
}

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
//! more than the rest of the export together). On PostgreSQL the server
//! writes the rows as CSV (`COPY … TO STDOUT`), which is handed over in
//! chunks, at most `CHUNKS_IN_FLIGHT` of about `CHUNK` bytes at a time, and
//! read back on the writer's thread: decoding each row through sqlx took
//! more than half of such an export. XLSX rows go to rust_xlsxwriter's
//! temporary files, and the workbook is zipped into the sink at the end.

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

/// Bytes of COPY's CSV handed from the reader to the writer at a time
/// (PostgreSQL; about four hundred rows): large enough that the hand-over
/// costs nothing per row, small enough to hold.
const CHUNK: usize = 64 * 1024;

/// Chunks on their way from the reader to the writer; a reader ahead of a
/// slow sink (a slow download) waits here instead of filling memory.
const CHUNKS_IN_FLIGHT: usize = 8;

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

/// The COPY of the export's rows on PostgreSQL, in the planner's own plan for all the rows at once (at 1M: the
/// places hashed, the residents scanned and sorted by id, in parallel; 2.8 s
/// to psql). Walking the primary key with a look-up a row, as SQLite does and
/// as pages of a limit did, took twice as long. The first row goes out
/// after the sort (about 2 s at 1M).
///
/// The scope's range is written into the statement (COPY takes no
/// parameters). A range is made of place paths (digits and '/') or
/// is the empty range ("~"); anything else is refused, never quoted.
fn pg_copy_sql(a: Option<&str>, b: Option<&str>) -> StoreResult<String> {
    fn literal(v: Option<&str>) -> StoreResult<String> {
        match v {
            None => Ok("NULL".into()),
            Some(v) if v.bytes().all(|c| c.is_ascii_digit() || c == b'/' || c == b'~') => Ok(format!("'{v}'")),
            Some(_) => Err(StoreError::Io("a scope's range holds more than a place path".into())),
        }
    }
    let select = concat!(export_select!(), " ORDER BY r.id").replace("$1", &literal(a)?).replace("$2", &literal(b)?);
    Ok(format!("COPY ({select}) TO STDOUT WITH (FORMAT csv)"))
}

/// What the PostgreSQL reader hands the writer.
enum Chunk {
    /// Rows of COPY's CSV, in order.
    Csv(Vec<u8>),
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
                let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
                // The writer's work (masking, escaping, CSV or XML, zip) is CPU and
                // blocking IO: off the async threads, beside the reader.
                let writer = tokio::task::spawn_blocking(move || {
                    let rows = csv::ReaderBuilder::new().has_headers(false).from_reader(Received::new(rx));
                    file.write(rows.into_records().map(copied_row), sink)
                });
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

/// Streams the rows in scope from PostgreSQL to the writer as COPY's CSV,
/// in chunks, then `End`. One statement: one snapshot.
async fn read_postgres(
    p: &sqlx::PgPool,
    a: Option<String>,
    b: Option<String>,
    tx: mpsc::Sender<Chunk>,
) -> StoreResult<()> {
    let sql = pg_copy_sql(a.as_deref(), b.as_deref())?;
    // Read only; one statement is one snapshot.
    let mut snapshot = p.begin_with("BEGIN READ ONLY").await?;
    let mut chunk = Vec::with_capacity(CHUNK + 1024);
    {
        // The server sends a row a message.
        let mut data = snapshot.copy_out_raw(&sql).await?;
        while let Some(row) = data.try_next().await? {
            chunk.extend_from_slice(&row);
            if chunk.len() >= CHUNK {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK + 1024));
                if tx.send(Chunk::Csv(full)).await.is_err() {
                    // The writer stopped (its sink failed): its error says why.
                    return Ok(());
                }
            }
        }
    }
    if !chunk.is_empty() && tx.send(Chunk::Csv(chunk)).await.is_err() {
        return Ok(());
    }
    snapshot.commit().await?;
    // A writer that has stopped has its own error to tell.
    let _ = tx.send(Chunk::End).await;
    Ok(())
}

/// The CSV the PostgreSQL reader sends, as bytes to read on the writer's thread.
struct Received {
    rx: mpsc::Receiver<Chunk>,
    chunk: Vec<u8>,
    read: usize,
    ended: bool,
}

impl Received {
    fn new(rx: mpsc::Receiver<Chunk>) -> Received {
        Received { rx, chunk: Vec::new(), read: 0, ended: false }
    }
}

impl std::io::Read for Received {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.read < self.chunk.len() {
                let n = buf.len().min(self.chunk.len() - self.read);
                buf[..n].copy_from_slice(&self.chunk[self.read..self.read + n]);
                self.read += n;
                return Ok(n);
            }
            if self.ended {
                return Ok(0);
            }
            match self.rx.blocking_recv() {
                Some(Chunk::Csv(chunk)) => (self.chunk, self.read) = (chunk, 0),
                Some(Chunk::End) => self.ended = true,
                // The reader stopped without `End`: it failed, and the file is left unfinished.
                None => return Err(std::io::Error::other("the rows stopped before the end")),
            }
        }
    }
}

/// One row of COPY's CSV, in the columns of `export_select!`. PostgreSQL
/// writes NULL as an empty field, and only a phone may be NULL.
fn copied_row(record: csv::Result<csv::StringRecord>) -> StoreResult<ExportRow> {
    let broken = |what: &str| StoreError::Sheet(SheetError::Write(format!("the database sent a row without {what}")));
    let record = record.map_err(|e| StoreError::Sheet(SheetError::Write(e.to_string())))?;
    let field = |i: usize| record.get(i).ok_or_else(|| broken("all its columns"));
    let number = |i: usize| field(i)?.parse::<i64>().map_err(|_| broken("a number"));
    let phone = field(3)?;
    Ok(ExportRow {
        id: number(0)?,
        name: field(1)?.to_string(),
        id_number: field(2)?.to_string(),
        phone: (!phone.is_empty()).then(|| phone.to_string()),
        birth_date: field(4)?.parse().map_err(|_| broken("a birth date"))?,
        sex: field(5)?.to_string(),
        tags: field(6)?.to_string(),
        compound_id: number(7)?,
        building: field(8)?.to_string(),
        entrance: field(9)?.to_string(),
        room: field(10)?.to_string(),
    })
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

#[cfg(test)]
mod tests {
    use super::pg_copy_sql;

    #[test]
    fn a_scope_range_is_written_into_the_copy_only_when_it_is_made_of_paths() {
        let all = pg_copy_sql(None, None).unwrap();
        assert!(
            all.starts_with("COPY (SELECT") && all.contains("(NULL IS NULL OR (h.path >= NULL AND h.path < NULL))")
        );
        let some = pg_copy_sql(Some("/1/22/"), Some("/1/220")).unwrap();
        assert!(some.contains("('/1/22/' IS NULL OR (h.path >= '/1/22/' AND h.path < '/1/220'))"), "{some}");
        assert!(pg_copy_sql(Some("~"), Some("~")).is_ok(), "the empty range");
        for bad in ["/1/' OR 1=1 --", "/1/2;", "/1/\\'"] {
            assert!(pg_copy_sql(Some(bad), Some("/1/3")).is_err(), "{bad}");
        }
    }
}

//! All-or-nothing imports of places, residents and cadres from CSV or XLSX.
//!
//! An import runs in two phases. First every row is checked and every bad row
//! reported (row, column, value, reason); if there is one, nothing is written.
//! Then everything is written in one transaction, keyed by natural keys, so
//! importing the same file again changes nothing.
//!
//! An uploaded file (`Store::import_file`) is refused before a byte of it is
//! read when the role may not import its kind; its full error report is kept
//! for the user (`report`), and each finished import is recorded (`runs`), so
//! the same file sent several times at once is imported once.

/// Inside an import's write transaction, before anything is written: refuses
/// the import when an import of the same file finished after this one began
/// (its checks read the database before that import's rows were there). On
/// PostgreSQL a transaction-scoped advisory lock on the file's hash queues
/// imports of one file; on SQLite `BEGIN IMMEDIATE` has queued every writer
/// already. Either lock ends with the transaction, so a crash leaves none.
macro_rules! claim_run {
    ($p:expr, $tx:expr, $run:expr) => {
        async {
            if let Some(run) = $run {
                let run: &$crate::imports::Run = run;
                if let Some(lock) = $crate::imports::run_lock_sql($p) {
                    sqlx::query(lock).bind(run.lock_key()).execute(&mut *$tx).await?;
                }
                let last: i64 = sqlx::query_scalar($crate::imports::LAST_RUN_SQL)
                    .bind(run.sha256.clone())
                    .bind(run.kind.as_str())
                    .fetch_one(&mut *$tx)
                    .await?;
                if last > run.seen {
                    return Err($crate::StoreError::conflict(cordon_domain::Key::ImportRunning));
                }
            }
            Ok::<(), $crate::StoreError>(())
        }
        .await
    };
}

/// Records a finished import of a file and its one audit entry (file name,
/// hash, counts), in the import's transaction.
macro_rules! record_run {
    ($tx:expr, $now:expr, $actor:expr, $run:expr, $summary:expr) => {
        record_run!($tx, $now, $actor, $run, $summary, 0)
    };
    ($tx:expr, $now:expr, $actor:expr, $run:expr, $summary:expr, $places_created:expr) => {
        async {
            if let Some(run) = $run {
                let run: &$crate::imports::Run = run;
                let summary: &$crate::imports::ImportSummary = $summary;
                let actor: &cordon_domain::Actor = $actor;
                let now: chrono::DateTime<chrono::Utc> = $now;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO import_runs (kind, file_name, sha256, imported, updated, unchanged, user_id, actor, \
                     started_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(run.kind.as_str())
                .bind(run.file_name.clone())
                .bind(run.sha256.clone())
                .bind(summary.imported as i64)
                .bind(summary.updated as i64)
                .bind(summary.unchanged as i64)
                .bind($crate::imports::owner(actor))
                .bind(actor.username.clone())
                .bind(run.started)
                .bind(now)
                .fetch_one(&mut *$tx)
                .await?;
                audit_insert!(
                    &mut *$tx,
                    $crate::audit::NewEntry::new(now, actor, "import", "import", id.to_string())
                        .after(run.audit_json(summary, $places_created))
                )?;
            }
            Ok::<(), $crate::StoreError>(())
        }
        .await
    };
}

mod cadres;
mod jobs;
mod places;
mod report;
mod residents;
mod runs;

use cordon_domain::{Actor, Capability, Key, Refusal, Scope};
use serde::Serialize;

pub(crate) use jobs::Live;
pub use jobs::{ImportJob, JobState};
pub use report::{REPORTS_KEPT, StoredReport};
pub(crate) use runs::{LAST_RUN_SQL, Run, run_lock_sql};

use crate::sheets::{ColumnMap, ColumnSpec, RowStream, Sheet, SheetFormat, SheetLimits, SheetRow, read_sheet_within};

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    /// New records.
    pub imported: usize,
    /// Existing records that changed.
    pub updated: usize,
    /// Existing records the file repeats as they are.
    pub unchanged: usize,
}

/// How many bad cells a rejection lists; the total counts them all.
pub const LISTED_BAD_CELLS: usize = 1000;

/// How many bad cells a full report keeps (about 80 MB): a streamed file has no
/// cap on its cells, and a gigabyte of bad rows must not become a gigabyte held
/// in memory and kept in the database. The total counts them all.
pub const REPORT_CELLS_KEPT: usize = 1_000_000;

/// How many characters of a bad cell's value a report shows: enough to find
/// the cell, and a single huge cell cannot swell the report.
pub const REPORTED_VALUE_CHARS: usize = 200;

/// Why a file was rejected: the first bad cells and how many there are.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// The first `LISTED_BAD_CELLS` bad cells, in row order.
    pub bad_rows: Vec<BadRow>,
    /// How many bad cells the file has in all.
    pub total: usize,
    /// The full report of an uploaded file, kept for its user (`Store::import_report`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<i64>,
}

impl ImportReport {
    /// Adds a bad cell: listed while there is room, counted always.
    pub fn push(&mut self, bad: BadRow) {
        if self.bad_rows.len() < LISTED_BAD_CELLS {
            self.bad_rows.push(bad);
        }
        self.total += 1;
    }
}

/// One bad cell.
#[derive(Debug, Clone, Serialize)]
pub struct BadRow {
    /// The row number as a spreadsheet shows it (the header is row 1).
    pub row: usize,
    /// The column's header as the file names it.
    pub column: String,
    /// The cell's text.
    pub value: String,
    /// Why it is bad.
    pub reason: BadReason,
}

/// The reasons a cell can be bad; the web and CLI word them in the user's
/// language (a value's own reason, such as a wrong check character, is a
/// refusal key worded inside).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", content = "detail", rename_all = "kebab-case")]
pub enum BadReason {
    /// A required column is not in the header.
    MissingColumn,
    /// A required cell is empty.
    Required,
    /// Not a valid ID number; the key says why.
    BadIdNumber(Key),
    /// Not a valid mobile number; the key says why.
    BadPhone(Key),
    /// Not a usable name; the key says why.
    BadName(Key),
    /// Not a known special group; the detail is the word.
    UnknownTag(String),
    /// Not 是/否 or yes/no.
    BadYesNo,
    /// Not 男/女 or male/female.
    BadSex,
    /// No such street/community/compound (or not in the importer's scope).
    UnknownCompound,
    /// No such unit (or not in the importer's scope).
    UnknownUnit,
    /// No district to put streets under.
    UnknownDistrict,
    /// The key repeats an earlier row of the same file; the detail is that row.
    DuplicateInFile(usize),
    /// The ID number belongs to a resident the importer may not change.
    RegisteredElsewhere,
    /// A value a domain type refuses, with the refusal's own arguments (a
    /// quarantine manifest's passport, country, birth date...).
    Refused(Refusal),
}

impl BadReason {
    /// The stable key of the reason, for translations and the API.
    pub fn code(&self) -> &'static str {
        match self {
            BadReason::MissingColumn => "missing-column",
            BadReason::Required => "required",
            BadReason::BadIdNumber(_) => "bad-id-number",
            BadReason::BadPhone(_) => "bad-phone",
            BadReason::BadName(_) => "bad-name",
            BadReason::UnknownTag(_) => "unknown-tag",
            BadReason::BadYesNo => "bad-yes-no",
            BadReason::BadSex => "bad-sex",
            BadReason::UnknownCompound => "unknown-compound",
            BadReason::UnknownUnit => "unknown-unit",
            BadReason::UnknownDistrict => "unknown-district",
            BadReason::DuplicateInFile(_) => "duplicate-in-file",
            BadReason::RegisteredElsewhere => "registered-elsewhere",
            BadReason::Refused(_) => "refused",
        }
    }

    /// What the reason carries besides its code, as text: a refusal key, a word or a row.
    pub fn detail(&self) -> String {
        match self {
            BadReason::BadIdNumber(k) | BadReason::BadPhone(k) | BadReason::BadName(k) => k.as_str().to_string(),
            BadReason::UnknownTag(word) => word.clone(),
            BadReason::DuplicateInFile(row) => row.to_string(),
            BadReason::Refused(r) => r.to_kept(),
            _ => String::new(),
        }
    }

    /// The reason back from its code and detail, as a stored report keeps them.
    pub fn from_parts(code: &str, detail: &str) -> Option<BadReason> {
        let key = || Key::ALL.iter().copied().find(|k| k.as_str() == detail);
        Some(match code {
            "missing-column" => BadReason::MissingColumn,
            "required" => BadReason::Required,
            "bad-id-number" => BadReason::BadIdNumber(key()?),
            "bad-phone" => BadReason::BadPhone(key()?),
            "bad-name" => BadReason::BadName(key()?),
            "unknown-tag" => BadReason::UnknownTag(detail.to_string()),
            "bad-yes-no" => BadReason::BadYesNo,
            "bad-sex" => BadReason::BadSex,
            "unknown-compound" => BadReason::UnknownCompound,
            "unknown-unit" => BadReason::UnknownUnit,
            "unknown-district" => BadReason::UnknownDistrict,
            "duplicate-in-file" => BadReason::DuplicateInFile(detail.parse().ok()?),
            "registered-elsewhere" => BadReason::RegisteredElsewhere,
            "refused" => BadReason::Refused(Refusal::from_kept(detail)?),
            _ => return None,
        })
    }
}

/// What is being imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// The administrative tree and checkpoints.
    Places,
    /// Residents.
    Residents,
    /// Cadres of units.
    Cadres,
}

impl Serialize for ImportKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl ImportKind {
    /// Every kind, in the order the upload page offers them.
    pub const ALL: [ImportKind; 3] = [ImportKind::Places, ImportKind::Residents, ImportKind::Cadres];

    /// Whether the actor may import files of this kind: the one rule that the
    /// pages, the API and the store all ask, before a file is read.
    pub fn allowed(self, actor: &Actor) -> bool {
        match self {
            // New streets hang off the district, so only a city-wide user may add them.
            ImportKind::Places => actor.can(Capability::ManagePlaces) && actor.scope == Scope::City,
            ImportKind::Residents => actor.can(Capability::ManageResidents),
            ImportKind::Cadres => actor.can(Capability::ManageCadres),
        }
    }

    /// Reads `places`, `residents` or `cadres`.
    pub fn parse(s: &str) -> Option<ImportKind> {
        match s {
            "places" => Some(ImportKind::Places),
            "residents" => Some(ImportKind::Residents),
            "cadres" => Some(ImportKind::Cadres),
            _ => None,
        }
    }

    /// The key.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Places => "places",
            ImportKind::Residents => "residents",
            ImportKind::Cadres => "cadres",
        }
    }

    /// The columns a file of this kind has.
    pub fn columns(self) -> &'static [ColumnSpec] {
        match self {
            ImportKind::Places => places::COLUMNS,
            ImportKind::Residents => residents::COLUMNS,
            ImportKind::Cadres => cadres::COLUMNS,
        }
    }
}

/// How far an import has come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportProgress {
    /// Rows of the file checked so far.
    pub rows_checked: u64,
    /// Rows handed to the database so far.
    pub rows_written: u64,
    /// How far through: bytes of the file read, or rows written (of `total`).
    pub done: u64,
    /// What `done` counts to.
    pub total: u64,
}

impl ImportProgress {
    /// Progress counted in rows, for the imports that check a sheet in memory first.
    pub fn rows(done: usize, total: usize) -> ImportProgress {
        let (done, total) = (done as u64, total as u64);
        ImportProgress { rows_checked: total, rows_written: done, done, total }
    }
}

/// Told how far an import has come, several times a second at most.
pub type Progress<'a> = &'a (dyn Fn(&ImportProgress) + Send + Sync);

/// Where an uploaded file's bytes are.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// In memory.
    Bytes(&'a [u8]),
    /// In a file on disk (an upload spooled there, or the operator's file), read as it is imported.
    File(&'a std::path::Path),
}

/// An uploaded file to import.
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    /// The file's name as the user's computer called it, for the record.
    pub name: &'a str,
    /// Its bytes.
    pub body: Body<'a>,
    /// How to read them.
    pub format: SheetFormat,
}

impl Body<'_> {
    /// The bytes, read whole: for the imports that check a sheet in memory (places, cadres).
    fn read_all(&self) -> crate::StoreResult<std::borrow::Cow<'_, [u8]>> {
        match self {
            Body::Bytes(b) => Ok(std::borrow::Cow::Borrowed(b)),
            Body::File(path) => {
                std::fs::read(path).map(std::borrow::Cow::Owned).map_err(|e| crate::StoreError::Io(e.to_string()))
            }
        }
    }

    /// A reader of the bytes that owns what it reads, and how many there are.
    fn reader(&self) -> crate::StoreResult<(Box<dyn std::io::Read + Send>, u64)> {
        match self {
            Body::Bytes(b) => Ok((Box::new(std::io::Cursor::new(b.to_vec())), b.len() as u64)),
            Body::File(path) => {
                let file = std::fs::File::open(path).map_err(|e| crate::StoreError::Io(e.to_string()))?;
                let len = file.metadata().map(|m| m.len()).unwrap_or(0);
                Ok((Box::new(std::io::BufReader::with_capacity(1 << 20, file)), len))
            }
        }
    }

    /// Whether there is nothing in it.
    fn is_empty(&self) -> bool {
        match self {
            Body::Bytes(b) => b.is_empty(),
            Body::File(path) => std::fs::metadata(path).map(|m| m.len() == 0).unwrap_or(false),
        }
    }
}

/// Collects bad cells while rows are checked: the first ones listed, all of
/// them counted, and for an uploaded file each one written at once to the
/// full report (as compact CSV, not kept as a struct).
pub(crate) struct Checker {
    pub report: ImportReport,
    cells: Option<report::ReportWriter>,
}

/// The user an import or a report belongs to: none for the operator at the command line.
pub(crate) fn owner(actor: &Actor) -> Option<i64> {
    (actor.user_id != 0).then_some(actor.user_id)
}

/// Cuts a value to what a report shows of it.
fn reported_value(value: &str) -> String {
    match value.char_indices().nth(REPORTED_VALUE_CHARS) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_string(),
    }
}

impl Checker {
    /// A checker; `keep_all` writes every bad cell to a full report as well.
    pub fn new(keep_all: bool) -> Checker {
        Checker { report: ImportReport::default(), cells: keep_all.then(report::ReportWriter::default) }
    }

    /// Adds a bad cell: to the full report while it has room, counted always.
    pub fn push(&mut self, bad: BadRow) {
        if let Some(cells) = &mut self.cells
            && self.report.total < REPORT_CELLS_KEPT
        {
            cells.write(&bad);
        }
        self.report.push(bad);
    }

    pub fn bad(&mut self, row: &SheetRow, map: &ColumnMap, key: &str, reason: BadReason) {
        self.push(BadRow {
            row: row.number,
            column: map.header(key).to_string(),
            value: reported_value(map.get(row, key)),
            reason,
        });
    }

    /// A required cell, or a bad row if it is empty.
    pub fn required<'r>(&mut self, row: &'r SheetRow, map: &ColumnMap, key: &str) -> Option<&'r str> {
        let v = map.get(row, key);
        if v.is_empty() {
            self.bad(row, map, key, BadReason::Required);
            None
        } else {
            Some(v)
        }
    }

    /// Parses a required cell, reporting the parser's error as a reason.
    pub fn parse<T, E: Into<Refusal>>(
        &mut self,
        row: &SheetRow,
        map: &ColumnMap,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
        reason: impl FnOnce(Key) -> BadReason,
    ) -> Option<T> {
        let v = self.required(row, map, key)?;
        match parse(v) {
            Ok(t) => Some(t),
            Err(e) => {
                self.bad(row, map, key, reason(e.into().key));
                None
            }
        }
    }

    /// Maps the header, or records one bad cell per missing column.
    pub fn columns(&mut self, sheet: &Sheet, kind: ImportKind) -> Option<ColumnMap> {
        self.columns_of(&sheet.headers, kind)
    }

    /// Maps header cells, or records one bad cell per missing column.
    pub fn columns_of(&mut self, headers: &[String], kind: ImportKind) -> Option<ColumnMap> {
        self.columns_for(headers, kind.columns())
    }

    /// Maps header cells to these columns, or records one bad cell per missing column.
    pub fn columns_for(&mut self, headers: &[String], specs: &[ColumnSpec]) -> Option<ColumnMap> {
        match ColumnMap::new(headers, specs) {
            Ok(map) => Some(map),
            Err(missing) => {
                for key in missing {
                    self.push(BadRow {
                        row: 1,
                        column: key.to_string(),
                        value: String::new(),
                        reason: BadReason::MissingColumn,
                    });
                }
                None
            }
        }
    }
}

impl crate::Store {
    /// Imports a sheet of the given kind for the actor; all or nothing. For
    /// files that users send, `import_file` also records the import and keeps
    /// the full error report.
    pub async fn import(
        &self,
        actor: &Actor,
        kind: ImportKind,
        sheet: &Sheet,
        progress: Progress<'_>,
    ) -> crate::StoreResult<ImportSummary> {
        if !kind.allowed(actor) {
            return Err(crate::StoreError::Forbidden);
        }
        self.import_sheet(actor, kind, sheet, None, progress).await
    }

    /// Imports an uploaded file; all or nothing. A role that may not import
    /// this kind is refused before the file is read; the file is read within
    /// the limits of an upload (`SheetLimits::DEFAULT`); a rejection keeps
    /// its full report for the actor (`ImportReport::report`); the same file
    /// imported again while this import runs is refused with `import-running` (409).
    pub async fn import_file(
        &self,
        actor: &Actor,
        kind: ImportKind,
        file: Upload<'_>,
        progress: Progress<'_>,
    ) -> crate::StoreResult<ImportSummary> {
        self.import_file_within(actor, kind, file, &SheetLimits::DEFAULT, progress).await
    }

    /// Imports a file as `import_file` does, read within `limits` (the
    /// command line's `SheetLimits::OPERATOR`).
    pub async fn import_file_within(
        &self,
        actor: &Actor,
        kind: ImportKind,
        file: Upload<'_>,
        limits: &SheetLimits,
        progress: Progress<'_>,
    ) -> crate::StoreResult<ImportSummary> {
        if !kind.allowed(actor) {
            return Err(crate::StoreError::Forbidden);
        }
        // Taken before anything is read from the file or the database.
        let mut run = self.begin_run(kind, file.name).await?;
        if file.body.is_empty() {
            return Err(crate::sheets::SheetError::Empty.into());
        }
        if kind == ImportKind::Residents {
            // A roll of ten million rows: read as it is written, never whole.
            let (reader, len) = file.body.reader()?;
            let (format, limits) = (file.format, *limits);
            let stream = tokio::task::spawn_blocking(move || RowStream::open(reader, format, &limits));
            let stream = stream.await.map_err(|e| crate::StoreError::Io(e.to_string()))??;
            return self.import_residents(actor, stream, len, Some(run), progress).await;
        }
        let bytes = file.body.read_all()?;
        run.hashed(<sha2::Sha256 as sha2::Digest>::digest(&bytes).into());
        let sheet = read_sheet_within(&bytes, file.format, limits)?;
        self.import_sheet(actor, kind, &sheet, Some(&run), progress).await
    }

    /// Imports a sheet whose kind the actor was found allowed to import.
    async fn import_sheet(
        &self,
        actor: &Actor,
        kind: ImportKind,
        sheet: &Sheet,
        run: Option<&Run>,
        progress: Progress<'_>,
    ) -> crate::StoreResult<ImportSummary> {
        match kind {
            ImportKind::Places => self.import_places(actor, sheet, run, progress).await,
            ImportKind::Residents => {
                let rows = RowStream::whole(sheet.clone(), [0; 32]);
                self.import_residents(actor, rows, 0, run.cloned(), progress).await
            }
            ImportKind::Cadres => self.import_cadres(actor, sheet, run, progress).await,
        }
    }

    /// Passes a check without bad cells, or rejects the file (`reject`).
    pub(crate) async fn finish_check(
        &self,
        actor: &Actor,
        run: Option<&Run>,
        check: Checker,
    ) -> crate::StoreResult<()> {
        if check.report.total == 0 { Ok(()) } else { Err(self.reject(actor, run, check).await) }
    }

    /// The rejection of a file with bad cells, keeping the full report of an uploaded one for the actor.
    pub(crate) async fn reject(&self, actor: &Actor, run: Option<&Run>, check: Checker) -> crate::StoreError {
        let Checker { mut report, cells } = check;
        if let (Some(run), Some(cells)) = (run, cells) {
            match self.save_report(actor, run, report.total, cells.finish()).await {
                Ok(id) => report.report = Some(id),
                Err(error) => return error,
            }
        }
        crate::StoreError::Rejected(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_report_keeps_its_first_million_bad_cells_and_counts_them_all() {
        let mut check = Checker::new(true);
        for row in 0..REPORT_CELLS_KEPT + 5 {
            let reason = BadReason::Required;
            check.push(BadRow { row: row + 2, column: "身份证号".into(), value: String::new(), reason });
        }
        assert_eq!(check.report.total, REPORT_CELLS_KEPT + 5);
        assert_eq!(check.report.bad_rows.len(), LISTED_BAD_CELLS);
        let kept = check.cells.take().unwrap().finish();
        assert_eq!(kept.iter().filter(|b| **b == b'\n').count(), REPORT_CELLS_KEPT);
    }
}

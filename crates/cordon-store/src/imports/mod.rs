//! All-or-nothing imports of places, residents and cadres from CSV or XLSX.
//!
//! An import runs in two phases. First every row is checked and every bad row
//! reported (row, column, value, reason); if there is one, nothing is written.
//! Then everything is written in one transaction, keyed by natural keys, so
//! importing the same file again changes nothing.

mod cadres;
mod places;
mod residents;

use cordon_domain::{Key, Refusal};
use serde::Serialize;

use crate::sheets::{ColumnMap, ColumnSpec, Sheet, SheetRow};

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

/// Why a file was rejected: the first bad cells and how many there are.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// The first `LISTED_BAD_CELLS` bad cells, in row order.
    pub bad_rows: Vec<BadRow>,
    /// How many bad cells the file has in all.
    pub total: usize,
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
        }
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

impl ImportKind {
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

/// Told how far the write phase has come: `(rows done, rows in all)`.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Send + Sync);

/// Collects bad cells while rows are checked.
#[derive(Default)]
pub(crate) struct Checker {
    pub report: ImportReport,
}

impl Checker {
    pub fn bad(&mut self, row: &SheetRow, map: &ColumnMap, key: &str, reason: BadReason) {
        self.report.push(BadRow {
            row: row.number,
            column: map.header(key).to_string(),
            value: map.get(row, key).to_string(),
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

    pub fn into_result(self) -> Result<(), crate::StoreError> {
        if self.report.total == 0 { Ok(()) } else { Err(crate::StoreError::Rejected(self.report)) }
    }
}

/// Maps the header, or rejects the file with one bad row per missing column.
pub(crate) fn map_columns(sheet: &Sheet, kind: ImportKind) -> Result<ColumnMap, crate::StoreError> {
    ColumnMap::new(&sheet.headers, kind.columns()).map_err(|missing| {
        let mut report = ImportReport::default();
        for key in missing {
            report.push(BadRow {
                row: 1,
                column: key.to_string(),
                value: String::new(),
                reason: BadReason::MissingColumn,
            });
        }
        crate::StoreError::Rejected(report)
    })
}

impl crate::Store {
    /// Imports a file of the given kind for the actor; all or nothing.
    pub async fn import(
        &self,
        actor: &cordon_domain::Actor,
        kind: ImportKind,
        sheet: &Sheet,
        progress: Progress<'_>,
    ) -> crate::StoreResult<ImportSummary> {
        match kind {
            ImportKind::Places => self.import_places(actor, sheet, progress).await,
            ImportKind::Residents => self.import_residents(actor, sheet, progress).await,
            ImportKind::Cadres => self.import_cadres(actor, sheet, progress).await,
        }
    }
}

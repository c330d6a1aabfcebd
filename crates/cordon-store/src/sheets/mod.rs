//! Spreadsheet files for imports and exports: CSV and XLSX in, CSV and XLSX out.
//!
//! Everything a sheet holds comes out as trimmed text, because people type phone
//! numbers, ID numbers and dates into Excel in every possible way and the import
//! code is the one place that should decide what a cell means.

#[cfg(feature = "test-support")]
mod bomb;
mod columns;
mod limits;
mod read;
mod stream;
mod write;

#[cfg(feature = "test-support")]
pub use bomb::zip_bomb;
pub use columns::{ColumnMap, ColumnSpec};
pub use limits::{MAX_CELLS, MAX_UNPACKED_BYTES, SheetLimits};
pub use read::{read_sheet, read_sheet_within};
pub use stream::RowStream;
pub use write::{CsvSheet, SheetWriter, XLSX_ROWS_PER_SHEET, XlsxSheets, escape_formula, write_csv, write_xlsx};

/// Writes a list in the chosen format: CSV text or an XLSX workbook with one sheet.
pub(crate) fn sheet_bytes(
    name: &str,
    format: SheetFormat,
    headers: &[&str],
    rows: Vec<Vec<String>>,
) -> Result<Vec<u8>, SheetError> {
    Ok(match format {
        SheetFormat::Csv => {
            let mut out = Vec::new();
            write_csv(&mut out, headers, rows)?;
            out
        }
        SheetFormat::Xlsx => write_xlsx(name, headers, rows)?,
    })
}

/// A table read from a file: header cells and data rows, all as trimmed strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sheet {
    /// Header cells, in file order, so error reports can name the column the user wrote.
    pub headers: Vec<String>,
    /// Data rows that have at least one non-empty cell, in file order.
    pub rows: Vec<SheetRow>,
}

/// One data row; `number` is the row number a user sees in Excel (the header is row 1, first data row is 2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetRow {
    /// The row number Excel shows, so an error report points at the right line.
    pub number: usize,
    /// Cells in header order; never shorter than the header row.
    pub cells: Vec<String>,
}

/// The file formats users upload and download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SheetFormat {
    /// Comma-separated text, as Excel and WPS save it.
    Csv,
    /// An Office Open XML workbook.
    Xlsx,
}

impl SheetFormat {
    /// Guesses the format from an uploaded file's name; `None` lets the caller fall back to `sniff`.
    pub fn from_file_name(name: &str) -> Option<SheetFormat> {
        let (_, extension) = name.trim().rsplit_once('.')?;
        SheetFormat::parse(extension)
    }

    /// Tells the formats apart by content, for uploads whose name says nothing useful.
    pub fn sniff(bytes: &[u8]) -> SheetFormat {
        // An XLSX workbook is a zip archive and every zip starts with a local file header.
        if bytes.starts_with(b"PK\x03\x04") { SheetFormat::Xlsx } else { SheetFormat::Csv }
    }

    /// Reads the format name used in URLs and command-line flags.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("csv") {
            Some(SheetFormat::Csv)
        } else if s.eq_ignore_ascii_case("xlsx") {
            Some(SheetFormat::Xlsx)
        } else {
            None
        }
    }

    /// The file extension (without the dot) for download file names.
    pub fn extension(&self) -> &'static str {
        match self {
            SheetFormat::Csv => "csv",
            SheetFormat::Xlsx => "xlsx",
        }
    }

    /// The MIME type for download responses, so browsers offer to open the right program.
    pub fn content_type(&self) -> &'static str {
        match self {
            SheetFormat::Csv => "text/csv; charset=utf-8",
            SheetFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// Why a spreadsheet could not be read or written; the messages are meant for the person who uploaded it.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    /// The upload had no bytes at all, usually a failed or cancelled upload.
    #[error("the file is empty")]
    Empty,
    /// Nothing in the file could serve as column headers.
    #[error("the file has no header row: the first non-empty row must name the columns")]
    NoHeader,
    /// The workbook opened but holds no worksheet to read.
    #[error("the workbook has no worksheet")]
    NoWorksheet,
    /// An old binary Excel file, which this reader does not handle.
    #[error("the file is an old Excel 97-2003 (.xls) workbook; save it as .xlsx or .csv and try again")]
    LegacyXls,
    /// The bytes are not a workbook calamine can open; the text says what went wrong.
    #[error("the file could not be read as an XLSX workbook: {0}")]
    Xlsx(String),
    /// The CSV text could not be split into rows.
    #[error("the CSV file is malformed at row {row}: {message}")]
    Csv {
        /// The Excel row number where parsing failed.
        row: usize,
        /// What the CSV parser reported.
        message: String,
    },
    /// A CSV that is neither UTF-8 nor GBK text: no byte of it is guessed at.
    #[error("row {row} of the file is neither UTF-8 nor GBK text")]
    BadEncoding {
        /// The Excel row number of the first byte that fits neither.
        row: usize,
    },
    /// A workbook that unpacks (or whose cells' text adds up) to more than the limit.
    #[error("the workbook unpacks to more than {limit_mb} MB")]
    TooLarge {
        /// The limit, in MiB.
        limit_mb: u64,
    },
    /// A sheet with more cells than the limit.
    #[error("the worksheet has more than {limit} cells")]
    TooManyCells {
        /// The limit.
        limit: usize,
    },
    /// Writing an export failed; the text says why.
    #[error("could not write the spreadsheet: {0}")]
    Write(String),
}

impl SheetError {
    /// A workbook that could not be read, with the reader's reason (for the log).
    pub(crate) fn unreadable_xlsx(error: impl std::fmt::Display) -> SheetError {
        SheetError::Xlsx(error.to_string())
    }

    /// The refusal a person reads (the parser's own text goes only to the log).
    pub fn refusal(&self) -> cordon_domain::Refusal {
        use cordon_domain::Key;
        match self {
            SheetError::Empty => Key::SheetEmpty.into(),
            SheetError::NoHeader => Key::SheetNoHeader.into(),
            SheetError::NoWorksheet => Key::SheetNoWorksheet.into(),
            SheetError::LegacyXls => Key::SheetLegacyXls.into(),
            SheetError::Xlsx(_) => Key::SheetBadXlsx.into(),
            SheetError::Csv { row, .. } => Key::SheetBadCsv.with("row", *row),
            SheetError::BadEncoding { row } => Key::SheetBadEncoding.with("row", *row),
            SheetError::TooLarge { limit_mb } => {
                Key::SheetTooLarge.with("limit", i64::try_from(*limit_mb).unwrap_or(i64::MAX))
            }
            SheetError::TooManyCells { limit } => Key::SheetTooManyCells.with("limit", *limit),
            SheetError::Write(_) => Key::SheetWrite.into(),
        }
    }
}

/// Trims a cell the way a person reading it would: spaces of every width and invisible marks.
fn clean_cell(cell: &str) -> &str {
    // U+3000 is whitespace to Rust already; BOM and zero-width space are not, but
    // they sneak in through copy-paste and BOM-prefixed concatenated files.
    cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_give_the_format_by_extension_in_any_case() {
        assert_eq!(SheetFormat::from_file_name("名单.CSV"), Some(SheetFormat::Csv));
        assert_eq!(SheetFormat::from_file_name("a.b.xlsx"), Some(SheetFormat::Xlsx));
        assert_eq!(SheetFormat::from_file_name("list.xls"), None);
        assert_eq!(SheetFormat::from_file_name("noextension"), None);
    }

    #[test]
    fn a_zip_signature_sniffs_as_xlsx_and_anything_else_as_csv() {
        assert_eq!(SheetFormat::sniff(b"PK\x03\x04rest"), SheetFormat::Xlsx);
        assert_eq!(SheetFormat::sniff("姓名,手机号".as_bytes()), SheetFormat::Csv);
        assert_eq!(SheetFormat::sniff(b""), SheetFormat::Csv);
    }

    #[test]
    fn format_names_parse_and_round_trip_through_extension() {
        for format in [SheetFormat::Csv, SheetFormat::Xlsx] {
            assert_eq!(SheetFormat::parse(format.extension()), Some(format));
        }
        assert_eq!(SheetFormat::parse("XLSX"), Some(SheetFormat::Xlsx));
        assert_eq!(SheetFormat::parse("xls"), None);
        assert!(SheetFormat::Xlsx.content_type().contains("spreadsheetml"));
        assert!(SheetFormat::Csv.content_type().starts_with("text/csv"));
    }

    #[test]
    fn cleaning_a_cell_removes_full_width_spaces_and_bom_remnants() {
        assert_eq!(clean_cell("\u{feff} 张三\u{3000}\t"), "张三");
        assert_eq!(clean_cell("\u{200b}\u{3000}"), "");
        assert_eq!(clean_cell("a b"), "a b");
    }
}

//! Writing exports as CSV and XLSX that open cleanly in Excel and WPS.

use std::borrow::Cow;
use std::io::Write;

use rust_xlsxwriter::{ColNum, Format, Workbook, XlsxError};

use super::{SheetError, SheetFormat};

/// Prefixes a cell that a spreadsheet would run as a formula (starts with = + - @, tab or carriage return) with a single quote, so an export cannot carry a formula injection.
pub fn escape_formula(cell: &str) -> Cow<'_, str> {
    // The OWASP "CSV injection" list. A leading quote is what Excel itself shows for
    // text typed with one, so users recognise it; the cost is that "-3" or "+86"
    // come out as "'-3" and "'+86".
    if runs_as_formula(cell) { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

/// Whether a spreadsheet would run a cell as a formula.
pub(crate) fn runs_as_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// How many data rows one XLSX sheet takes: Excel's 1,048,576 rows less the
/// header. A longer export goes on in further sheets, each with the header.
pub const XLSX_ROWS_PER_SHEET: u32 = 1_048_575;

/// Writes rows as CSV (UTF-8 with BOM so Excel opens Chinese correctly), every cell formula-escaped.
pub fn write_csv<W: Write>(
    out: W,
    headers: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<(), SheetError> {
    let mut sheet = CsvSheet::new(out, headers)?;
    for row in rows {
        sheet.row(&row)?;
    }
    sheet.finish().map(drop)
}

/// Writes rows as an XLSX workbook with one named sheet (more if the rows do not fit in one), header bold and frozen, every cell a formula-escaped string so neither opening nor copying cells can run a formula.
pub fn write_xlsx(
    sheet_name: &str,
    headers: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<Vec<u8>, SheetError> {
    let mut sheet = XlsxSheets::new(sheet_name, headers, XLSX_ROWS_PER_SHEET)?;
    for row in rows {
        sheet.row(&row)?;
    }
    let mut out = Vec::new();
    sheet.finish(&mut out)?;
    Ok(out)
}

/// A sheet written a row at a time, as CSV or XLSX, into `W`: what every
/// export streams through, so the escaping rules are the same for all.
// One writer per export: its size on the stack does not matter.
#[allow(clippy::large_enum_variant)]
pub enum SheetWriter<W: Write> {
    /// CSV text, written to `W` as the rows come.
    Csv(Box<CsvSheet<W>>),
    /// An XLSX workbook, written to `W` when it is finished. (Both boxed: each is large, and there is one an export.)
    Xlsx(Box<XlsxSheets>, W),
}

impl<W: Write + Send> SheetWriter<W> {
    /// Starts a sheet named `name` (XLSX) with its header row; an XLSX sheet
    /// takes at most `rows_per_sheet` data rows before the next one begins.
    pub fn new(
        format: SheetFormat,
        name: &str,
        headers: &[&str],
        out: W,
        rows_per_sheet: u32,
    ) -> Result<SheetWriter<W>, SheetError> {
        Ok(match format {
            SheetFormat::Csv => SheetWriter::Csv(Box::new(CsvSheet::new(out, headers)?)),
            SheetFormat::Xlsx => SheetWriter::Xlsx(Box::new(XlsxSheets::new(name, headers, rows_per_sheet)?), out),
        })
    }

    /// Writes one data row.
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), SheetError> {
        match self {
            SheetWriter::Csv(sheet) => sheet.row(cells),
            SheetWriter::Xlsx(sheets, _) => sheets.row(cells),
        }
    }

    /// Ends the file (XLSX: writes the whole workbook now) and gives the writer back, flushed.
    pub fn finish(self) -> Result<W, SheetError> {
        match self {
            SheetWriter::Csv(sheet) => sheet.finish(),
            SheetWriter::Xlsx(sheets, mut out) => {
                sheets.finish(&mut out)?;
                out.flush().map_err(io_error)?;
                Ok(out)
            }
        }
    }
}

/// CSV written a row at a time: BOM, header, then each row as it comes.
pub struct CsvSheet<W: Write> {
    writer: csv::Writer<W>,
}

impl<W: Write> CsvSheet<W> {
    /// Writes the BOM and the header row.
    pub fn new(mut out: W, headers: &[&str]) -> Result<CsvSheet<W>, SheetError> {
        // Without the BOM, Excel on Chinese Windows reads UTF-8 as GBK and shows mojibake.
        out.write_all(b"\xEF\xBB\xBF").map_err(io_error)?;
        let writer = csv::WriterBuilder::new()
            // CRLF is what Excel writes and what RFC 4180 asks for.
            .terminator(csv::Terminator::CRLF)
            // A row of the wrong length is a caller's bug, but failing halfway through a
            // streamed download would be worse than a ragged row.
            .flexible(true)
            // Rows go out in large writes, not one small write per field.
            .buffer_capacity(64 * 1024)
            .from_writer(out);
        let mut sheet = CsvSheet { writer };
        sheet.row(headers)?;
        Ok(sheet)
    }

    /// Writes one row, every cell formula-escaped.
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), SheetError> {
        for cell in cells {
            self.writer.write_field(escape_formula(cell.as_ref()).as_bytes()).map_err(csv_error)?;
        }
        self.writer.write_record(None::<&[u8]>).map_err(csv_error)
    }

    /// Flushes and gives the writer back.
    pub fn finish(self) -> Result<W, SheetError> {
        self.writer.into_inner().map_err(|error| io_error(error.into_error()))
    }
}

/// An XLSX workbook in constant-memory mode: each row goes to a temporary
/// file as it is written, and a sheet that is full goes on in the next one
/// ("name", "name 2", …), each with the header bold and frozen.
pub struct XlsxSheets {
    workbook: Workbook,
    name: String,
    headers: Vec<String>,
    rows_per_sheet: u32,
    sheets: usize,
    /// Data rows in the current sheet.
    rows: u32,
    bold: Format,
}

impl XlsxSheets {
    /// Starts the first sheet; a sheet holds at most `rows_per_sheet` data
    /// rows (at least one, at most `XLSX_ROWS_PER_SHEET`).
    pub fn new(name: &str, headers: &[&str], rows_per_sheet: u32) -> Result<XlsxSheets, SheetError> {
        let mut workbook = Workbook::new();
        // Deflate at its default level is most of an export's time; the fastest
        // level writes the file about twice as fast for a somewhat larger file.
        workbook.set_zip_compression_level(1);
        let mut sheets = XlsxSheets {
            workbook,
            name: sheet_name_for_excel(name),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows_per_sheet: rows_per_sheet.clamp(1, XLSX_ROWS_PER_SHEET),
            sheets: 0,
            rows: 0,
            bold: Format::new().set_bold(),
        };
        sheets.next_sheet()?;
        Ok(sheets)
    }

    /// Writes one data row, every non-empty cell a formula-escaped string.
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), SheetError> {
        if self.rows == self.rows_per_sheet {
            self.next_sheet()?;
        }
        self.rows += 1;
        let row = self.rows;
        let worksheet = self.workbook.worksheet_from_index(self.sheets - 1).map_err(xlsx_error)?;
        for (col, cell) in cells.iter().enumerate() {
            let cell = cell.as_ref();
            if cell.is_empty() {
                continue;
            }
            worksheet.write_string(row, col_num(col)?, escape_formula(cell)).map_err(xlsx_error)?;
        }
        Ok(())
    }

    /// Writes the finished workbook to `out` (the zip is streamed; the rows come from the temporary files).
    pub fn finish<W: Write + Send>(mut self, out: W) -> Result<(), SheetError> {
        self.workbook.save_to_writer(out).map_err(xlsx_error)
    }

    fn next_sheet(&mut self) -> Result<(), SheetError> {
        self.sheets += 1;
        self.rows = 0;
        let name = match self.sheets {
            1 => self.name.clone(),
            n => numbered_sheet_name(&self.name, n),
        };
        // Constant memory flushes each row to a temporary file, so an export of the
        // whole roll does not hold every cell in memory.
        let worksheet = self.workbook.add_worksheet_with_constant_memory().map_err(xlsx_error)?;
        // A name from code that Excel would refuse should not sink the export.
        if worksheet.set_name(name).is_err() {
            worksheet.set_name(format!("Sheet{}", self.sheets)).map_err(xlsx_error)?;
        }
        worksheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        // Column widths must be set before the first row is flushed in constant memory mode.
        for (col, header) in self.headers.iter().enumerate() {
            worksheet.set_column_width(col_num(col)?, column_width(header)).map_err(xlsx_error)?;
        }
        for (col, header) in self.headers.iter().enumerate() {
            worksheet
                .write_string_with_format(0, col_num(col)?, escape_formula(header), &self.bold)
                .map_err(xlsx_error)?;
        }
        Ok(())
    }
}

/// "name n", the name cut so that the number still fits in Excel's 31 characters.
fn numbered_sheet_name(name: &str, n: usize) -> String {
    let suffix = format!(" {n}");
    let keep = 31usize.saturating_sub(suffix.chars().count());
    let base: String = name.chars().take(keep).collect();
    format!("{}{suffix}", base.trim_end())
}

fn io_error(error: std::io::Error) -> SheetError {
    SheetError::Write(error.to_string())
}

fn csv_error(error: csv::Error) -> SheetError {
    SheetError::Write(error.to_string())
}

fn xlsx_error(error: XlsxError) -> SheetError {
    match error {
        XlsxError::RowColumnLimitError => too_many_columns(),
        error => SheetError::Write(error.to_string()),
    }
}

fn too_many_columns() -> SheetError {
    SheetError::Write("more columns than an Excel sheet can hold (16,384); export as CSV instead".to_owned())
}

fn col_num(col: usize) -> Result<ColNum, SheetError> {
    ColNum::try_from(col).map_err(|_| too_many_columns())
}

/// Makes a sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, no quote at either end.
fn sheet_name_for_excel(name: &str) -> String {
    let cleaned: String = name.chars().map(|c| if "[]:*?/\\".contains(c) { '_' } else { c }).take(31).collect();
    let cleaned = cleaned.trim_matches('\'').trim();
    if cleaned.is_empty() { "Sheet1".to_owned() } else { cleaned.to_owned() }
}

/// A width that fits the header, counting CJK characters as two, so Chinese headers are not cut off.
fn column_width(header: &str) -> f64 {
    let units: usize = header.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    (units + 2).clamp(10, 50) as f64
}

#[cfg(test)]
mod tests {
    use super::super::{SheetFormat, read_sheet};
    use super::*;

    #[test]
    fn escape_formula_quotes_only_cells_a_spreadsheet_would_evaluate() {
        assert_eq!(escape_formula("=1+1"), "'=1+1");
        assert_eq!(escape_formula("+86"), "'+86");
        assert_eq!(escape_formula("-3"), "'-3");
        assert_eq!(escape_formula("@SUM(A1:A2)"), "'@SUM(A1:A2)");
        assert_eq!(escape_formula("\tx"), "'\tx");
        assert_eq!(escape_formula("\rx"), "'\rx");
        assert_eq!(escape_formula("plain"), "plain");
        assert_eq!(escape_formula("张三=1"), "张三=1");
        assert_eq!(escape_formula(""), "");
        assert!(matches!(escape_formula("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn write_csv_starts_with_a_bom_and_escapes_formulas() {
        let mut out = Vec::new();
        write_csv(&mut out, &["姓名", "备注"], [vec!["张三".to_owned(), "=1+1".to_owned()]]).unwrap();
        assert!(out.starts_with(b"\xEF\xBB\xBF"));
        let text = std::str::from_utf8(&out[3..]).unwrap();
        assert_eq!(text, "姓名,备注\r\n张三,'=1+1\r\n");
    }

    #[test]
    fn write_csv_then_read_sheet_round_trips_chinese_text() {
        let mut out = Vec::new();
        let rows = vec![
            vec!["张三".to_owned(), "13800000000".to_owned(), "北京市朝阳区, \"锦江\"宾馆".to_owned()],
            vec!["李四".to_owned(), String::new(), "第一行\n第二行".to_owned()],
        ];
        write_csv(&mut out, &["姓名", "手机号", "隔离地点"], rows.clone()).unwrap();

        let sheet = read_sheet(&out, SheetFormat::Csv).unwrap();
        assert_eq!(sheet.headers, ["姓名", "手机号", "隔离地点"]);
        assert_eq!(sheet.rows.len(), 2);
        assert_eq!(sheet.rows[0].number, 2);
        assert_eq!(sheet.rows[0].cells, rows[0]);
        assert_eq!(sheet.rows[1].number, 3);
        assert_eq!(sheet.rows[1].cells, rows[1]);
    }

    #[test]
    fn write_xlsx_then_read_sheet_round_trips_and_a_formula_comes_back_escaped() {
        let rows = vec![
            vec![
                "张三".to_owned(),
                "13800000000".to_owned(),
                "110101199003071234".to_owned(),
                "=HYPERLINK(\"http://evil.example\",\"点我\")".to_owned(),
            ],
            vec!["李四".to_owned(), String::new(), String::new(), "2024-03-05".to_owned()],
        ];
        let bytes = write_xlsx("隔离人员", &["姓名", "手机号", "身份证号", "备注"], rows.clone()).unwrap();
        assert_eq!(SheetFormat::sniff(&bytes), SheetFormat::Xlsx);

        let sheet = read_sheet(&bytes, SheetFormat::Xlsx).unwrap();
        assert_eq!(sheet.headers, ["姓名", "手机号", "身份证号", "备注"]);
        assert_eq!(sheet.rows.len(), 2);
        assert_eq!(sheet.rows[0].number, 2);
        assert_eq!(
            sheet.rows[0].cells,
            ["张三", "13800000000", "110101199003071234", "'=HYPERLINK(\"http://evil.example\",\"点我\")"]
        );
        assert_eq!(sheet.rows[1].number, 3);
        assert_eq!(sheet.rows[1].cells, rows[1]);

        // No cell may be stored as a formula: formulas live in <f> elements.
        let mut workbook: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(&bytes)).unwrap();
        use calamine::Reader;
        let formulas = workbook.worksheet_formula("隔离人员").unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
    }

    #[test]
    fn write_xlsx_accepts_a_sheet_name_excel_would_refuse() {
        let bytes = write_xlsx("a/b:c*d?[e]", &["x"], [vec!["1".to_owned()]]).unwrap();
        let sheet = read_sheet(&bytes, SheetFormat::Xlsx).unwrap();
        assert_eq!(sheet.rows[0].cells, ["1"]);
        assert_eq!(sheet_name_for_excel("a/b:c*d?[e]"), "a_b_c_d__e_");
        assert_eq!(sheet_name_for_excel("''"), "Sheet1");
        assert_eq!(sheet_name_for_excel(&"长".repeat(40)).chars().count(), 31);
    }

    #[test]
    fn xlsx_sheets_past_their_cap_go_on_in_numbered_sheets_each_with_the_header_and_every_row_once() {
        let mut sheets = XlsxSheets::new("居民", &["编号", "备注"], 2).unwrap();
        for n in 1..=5 {
            sheets.row(&[n.to_string(), format!("=A{n}")]).unwrap();
        }
        let mut bytes = Vec::new();
        sheets.finish(&mut bytes).unwrap();

        use calamine::Reader;
        let mut workbook: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(&bytes)).unwrap();
        assert_eq!(workbook.sheet_names(), ["居民", "居民 2", "居民 3"]);
        let mut numbers = Vec::new();
        for name in workbook.sheet_names() {
            let range = workbook.worksheet_range(&name).unwrap();
            let rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
            assert_eq!(rows[0], ["编号", "备注"], "{name}");
            assert!(rows.len() <= 3, "{name}: at most two data rows");
            for row in &rows[1..] {
                assert_eq!(row[1], format!("'=A{}", row[0]), "formula-escaped");
                numbers.push(row[0].clone());
            }
            assert!(workbook.worksheet_formula(&name).unwrap().used_cells().all(|(_, _, f)| f.is_empty()));
        }
        assert_eq!(numbers, ["1", "2", "3", "4", "5"]);
    }

    #[test]
    fn a_full_sheet_of_exactly_the_cap_starts_no_empty_sheet() {
        let mut sheets = XlsxSheets::new("x", &["a"], 2).unwrap();
        sheets.row(&["1"]).unwrap();
        sheets.row(&["2"]).unwrap();
        let mut bytes = Vec::new();
        sheets.finish(&mut bytes).unwrap();
        use calamine::Reader;
        let workbook: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(&bytes)).unwrap();
        assert_eq!(workbook.sheet_names(), ["x"]);
    }

    #[test]
    fn a_numbered_sheet_name_still_fits_in_excels_31_characters() {
        assert_eq!(numbered_sheet_name("residents", 2), "residents 2");
        let long = numbered_sheet_name(&"长".repeat(31), 12);
        assert_eq!(long.chars().count(), 31);
        assert!(long.ends_with(" 12"));
        assert_eq!(XLSX_ROWS_PER_SHEET, 1_048_576 - 1, "Excel's rows less the header");
    }

    #[test]
    fn write_xlsx_with_no_rows_still_has_its_header() {
        let bytes = write_xlsx("Export", &["Name", "Phone"], Vec::new()).unwrap();
        let sheet = read_sheet(&bytes, SheetFormat::Xlsx).unwrap();
        assert_eq!(sheet.headers, ["Name", "Phone"]);
        assert!(sheet.rows.is_empty());
    }
}

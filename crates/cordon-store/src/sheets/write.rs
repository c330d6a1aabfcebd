//! Writing exports as CSV and XLSX that open cleanly in Excel and WPS.

use std::borrow::Cow;
use std::io::Write;

use rust_xlsxwriter::{ColNum, Format, RowNum, Workbook, XlsxError};

use super::SheetError;

/// Prefixes a cell that a spreadsheet would run as a formula (starts with = + - @, tab or carriage return) with a single quote, so an export cannot carry a formula injection.
pub fn escape_formula(cell: &str) -> Cow<'_, str> {
    // The OWASP "CSV injection" list. A leading quote is what Excel itself shows for
    // text typed with one, so users recognise it; the cost is that "-3" or "+86"
    // come out as "'-3" and "'+86".
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Writes rows as CSV (UTF-8 with BOM so Excel opens Chinese correctly), every cell formula-escaped.
pub fn write_csv<W: Write>(
    mut out: W,
    headers: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<(), SheetError> {
    // Without the BOM, Excel on Chinese Windows reads UTF-8 as GBK and shows mojibake.
    out.write_all(b"\xEF\xBB\xBF").map_err(|error| SheetError::Write(error.to_string()))?;
    let mut writer = csv::WriterBuilder::new()
        // CRLF is what Excel writes and what RFC 4180 asks for.
        .terminator(csv::Terminator::CRLF)
        // A row of the wrong length is a caller's bug, but failing halfway through a
        // streamed download would be worse than a ragged row.
        .flexible(true)
        .from_writer(out);
    let csv_error = |error: csv::Error| SheetError::Write(error.to_string());
    writer.write_record(headers.iter().map(|header| escape_formula(header).into_owned())).map_err(csv_error)?;
    for row in rows {
        writer.write_record(row.iter().map(|cell| escape_formula(cell).into_owned())).map_err(csv_error)?;
    }
    writer.flush().map_err(|error| SheetError::Write(error.to_string()))
}

/// Writes rows as an XLSX workbook with one named sheet, header bold and frozen, every cell a formula-escaped string so neither opening nor copying cells can run a formula.
pub fn write_xlsx(
    sheet_name: &str,
    headers: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<Vec<u8>, SheetError> {
    let mut workbook = Workbook::new();
    {
        // Constant memory flushes each row to a temporary file, so an export of the
        // whole quarantine register does not hold every cell in memory.
        let worksheet = workbook.add_worksheet_with_constant_memory().map_err(xlsx_error)?;
        // A name from code that Excel would refuse should not sink the export.
        if worksheet.set_name(sheet_name_for_excel(sheet_name)).is_err() {
            worksheet.set_name("Sheet1").map_err(xlsx_error)?;
        }
        worksheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;

        let bold = Format::new().set_bold();
        // Column widths must be set before the first row is flushed in constant memory mode.
        for (col, header) in headers.iter().enumerate() {
            worksheet.set_column_width(col_num(col)?, column_width(header)).map_err(xlsx_error)?;
        }
        for (col, header) in headers.iter().enumerate() {
            worksheet.write_string_with_format(0, col_num(col)?, escape_formula(header), &bold).map_err(xlsx_error)?;
        }
        for (index, row) in rows.into_iter().enumerate() {
            let row_num = RowNum::try_from(index + 1).map_err(|_| too_many_rows())?;
            for (col, cell) in row.iter().enumerate() {
                if cell.is_empty() {
                    continue;
                }
                worksheet.write_string(row_num, col_num(col)?, escape_formula(cell)).map_err(xlsx_error)?;
            }
        }
    }
    workbook.save_to_buffer().map_err(xlsx_error)
}

fn xlsx_error(error: XlsxError) -> SheetError {
    match error {
        XlsxError::RowColumnLimitError => too_many_rows(),
        error => SheetError::Write(error.to_string()),
    }
}

fn too_many_rows() -> SheetError {
    SheetError::Write(
        "more rows or columns than an Excel sheet can hold (1,048,576 rows, 16,384 columns); export as CSV instead"
            .to_owned(),
    )
}

fn col_num(col: usize) -> Result<ColNum, SheetError> {
    ColNum::try_from(col).map_err(|_| too_many_rows())
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
    fn write_xlsx_with_no_rows_still_has_its_header() {
        let bytes = write_xlsx("Export", &["Name", "Phone"], Vec::new()).unwrap();
        let sheet = read_sheet(&bytes, SheetFormat::Xlsx).unwrap();
        assert_eq!(sheet.headers, ["Name", "Phone"]);
        assert!(sheet.rows.is_empty());
    }
}

//! Reading uploaded CSV and XLSX files into a [`Sheet`], within [`SheetLimits`].

use std::borrow::Cow;
use std::io::Cursor;

use calamine::{DataRef, Reader, SheetType, SheetVisible, Xlsx};

use super::limits::{SheetLimits, check_workbook};
use super::stream::RowStream;
use super::{Sheet, SheetError, SheetFormat, SheetRow, clean_cell};

/// The signature of an OLE compound file, which is what an Excel 97-2003 `.xls` is.
pub(super) const OLE_SIGNATURE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// Reads the first worksheet of an XLSX, or a whole CSV, so every import sees the same shape of table.
pub fn read_sheet(bytes: &[u8], format: SheetFormat) -> Result<Sheet, SheetError> {
    read_sheet_within(bytes, format, &SheetLimits::DEFAULT)
}

/// Reads a sheet as `read_sheet` does, refusing one beyond the given limits.
pub fn read_sheet_within(bytes: &[u8], format: SheetFormat, limits: &SheetLimits) -> Result<Sheet, SheetError> {
    if bytes.is_empty() {
        return Err(SheetError::Empty);
    }
    // Whatever the name or the caller says, a binary .xls would otherwise show up as
    // a baffling zip error or a page of mojibake.
    if bytes.starts_with(OLE_SIGNATURE) {
        return Err(SheetError::LegacyXls);
    }
    match format {
        SheetFormat::Csv => read_csv(bytes, limits),
        SheetFormat::Xlsx => read_xlsx(bytes, limits),
    }
}

/// Collects rows, taking the first non-empty one as the header, and counts the
/// cells it holds against the limit before holding them.
struct SheetBuilder {
    headers: Option<Vec<String>>,
    rows: Vec<SheetRow>,
    cells: usize,
    limits: SheetLimits,
}

impl SheetBuilder {
    fn new(limits: &SheetLimits) -> SheetBuilder {
        SheetBuilder { headers: None, rows: Vec::new(), cells: 0, limits: *limits }
    }

    /// Counts a non-empty row of `width` cells as it will be held (padded to the
    /// header), refusing it if the sheet would pass the limit.
    fn admit(&mut self, width: usize) -> Result<(), SheetError> {
        let held = width.max(self.headers.as_ref().map_or(0, Vec::len));
        self.cells = self.cells.saturating_add(held);
        if self.cells > self.limits.cells { Err(self.limits.too_many_cells()) } else { Ok(()) }
    }

    /// Adds an admitted, non-empty row.
    fn push(&mut self, number: usize, mut cells: Vec<String>) {
        match &self.headers {
            None => self.headers = Some(cells),
            Some(headers) => {
                // Excel drops trailing empty cells when saving CSV, so short rows are normal.
                if cells.len() < headers.len() {
                    cells.resize(headers.len(), String::new());
                }
                self.rows.push(SheetRow { number, cells });
            }
        }
    }

    fn finish(self) -> Result<Sheet, SheetError> {
        let headers = self.headers.ok_or(SheetError::NoHeader)?;
        Ok(Sheet { headers, rows: self.rows })
    }
}

/// Turns CSV bytes into text: UTF-8, else GBK as Excel and WPS save it on
/// Chinese Windows, never with bytes replaced; else a refusal naming the row
/// where the text stops being either.
pub(super) fn decode_csv(bytes: &[u8]) -> Result<Cow<'_, str>, SheetError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let utf8 = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(Cow::Borrowed(text)),
        Err(error) => error,
    };
    // encoding_rs's GBK decoder is the full GB18030 decoder, so it covers that too.
    if let Some(text) = encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(bytes) {
        return Ok(Cow::Owned(text.into_owned()));
    }
    // The encoding the file reads further in is the one it was meant to be in, so
    // its first bad byte is the one to point at.
    let utf8_prefix = std::str::from_utf8(&bytes[..utf8.valid_up_to()]).unwrap_or_default();
    let gbk_prefix = gbk_prefix(bytes);
    let prefix = if gbk_prefix.len() > utf8_prefix.len() { gbk_prefix.as_str() } else { utf8_prefix };
    Err(SheetError::BadEncoding { row: row_at_end(prefix) })
}

/// The text of the longest prefix of the bytes that is valid GBK.
fn gbk_prefix(bytes: &[u8]) -> String {
    let mut decoder = encoding_rs::GBK.new_decoder_without_bom_handling();
    let mut text = String::with_capacity(decoder.max_utf8_buffer_length_without_replacement(bytes.len()).unwrap_or(0));
    // With room for all of it the decoder stops only at the first malformed
    // sequence, having written the text before it.
    let _ = decoder.decode_to_string_without_replacement(bytes, &mut text, true);
    text
}

/// The Excel row number of the point just after the text: the row a bad byte there belongs to.
fn row_at_end(prefix: &str) -> usize {
    // A character stands in for the bad byte, so the row it starts is read too.
    let text = format!("{prefix}x");
    let mut row = 1;
    let result = csv_rows(text.as_bytes(), |number, _| {
        row = number;
        Ok(())
    });
    match result {
        Err(SheetError::Csv { row: at, .. }) => at,
        _ => row,
    }
}

fn read_csv(bytes: &[u8], limits: &SheetLimits) -> Result<Sheet, SheetError> {
    // One reader for a file in memory and a file streamed from disk.
    let mut stream = RowStream::open(Box::new(bytes), SheetFormat::Csv, limits)?;
    let mut rows = Vec::new();
    while let Some(batch) = stream.next_batch()? {
        rows.extend(batch);
    }
    Ok(Sheet { headers: stream.headers().to_vec(), rows })
}

/// Calls `each` with every record of CSV text and its row number as Excel shows it.
fn csv_rows(
    text: &[u8],
    each: impl FnMut(usize, &csv::StringRecord) -> Result<(), SheetError>,
) -> Result<(), SheetError> {
    csv_rows_from(text, 1, each).map(|_| ())
}

/// Calls `each` with every record of CSV text whose first line is Excel's row
/// `first_row`, and its row number; yields how many of Excel's rows the text
/// spans, so that the next piece of a file streamed in pieces cut at line
/// breaks outside quotes goes on counting.
pub(super) fn csv_rows_from(
    text: &[u8],
    first_row: usize,
    mut each: impl FnMut(usize, &csv::StringRecord) -> Result<(), SheetError>,
) -> Result<usize, SheetError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text);
    let mut record = csv::StringRecord::new();
    // Excel numbers every line break outside quotes as a new row, blank lines
    // included, while a quoted cell with line breaks stays one row. The parser skips
    // blank lines and its own line count is off after CRLF, so rows are counted
    // here: breaks before a record's first byte, less the breaks inside cells.
    let mut counted_to = 0;
    let mut breaks_before = 0;
    let mut breaks_inside_cells = 0;
    loop {
        let record_area = usize::try_from(reader.position().byte()).unwrap_or(usize::MAX);
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(line_breaks(text).saturating_sub(breaks_inside_cells)),
            Ok(true) => {
                // The parser's position is where the previous record ended, before any
                // blank lines; the record itself starts at its first non-break byte.
                let start = record_area.min(text.len());
                let start = start + text[start..].iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
                breaks_before += line_breaks(&text[counted_to.min(start)..start]);
                counted_to = start;
                each(first_row + breaks_before.saturating_sub(breaks_inside_cells), &record)?;
                breaks_inside_cells += record.iter().map(|field| line_breaks(field.as_bytes())).sum::<usize>();
            }
            Err(error) => {
                let at = error
                    .position()
                    .and_then(|position| usize::try_from(position.byte()).ok())
                    .unwrap_or(counted_to)
                    .clamp(counted_to, text.len());
                let row = first_row
                    + (breaks_before + line_breaks(&text[counted_to..at])).saturating_sub(breaks_inside_cells);
                return Err(SheetError::Csv { row, message: error.to_string() });
            }
        }
    }
}

/// Counts line breaks the way Excel does: CRLF, LF and a bare CR are one each.
pub(super) fn line_breaks(text: &[u8]) -> usize {
    text.iter().enumerate().filter(|&(i, &b)| b == b'\n' || (b == b'\r' && text.get(i + 1) != Some(&b'\n'))).count()
}

fn read_xlsx(bytes: &[u8], limits: &SheetLimits) -> Result<Sheet, SheetError> {
    // Before the reader sees the workbook: it unpacks the shared strings as it opens it.
    check_workbook(bytes, limits)?;
    // The Xlsx reader rather than open_workbook_auto_from_rs, which throws away the
    // reason a file failed to open.
    let mut workbook: Xlsx<Cursor<&[u8]>> = Xlsx::new(Cursor::new(bytes)).map_err(SheetError::unreadable_xlsx)?;
    let name = first_worksheet(&workbook).ok_or(SheetError::NoWorksheet)?;
    let cells = filled_cells(&mut workbook, &name, limits)?;

    // The table is read from its first used column, as Excel's used range is, and
    // rows keep the numbers Excel shows.
    let Some(first_column) = cells.iter().map(|(_, column, _)| *column).min() else {
        return Err(SheetError::NoHeader);
    };
    let mut builder = SheetBuilder::new(limits);
    let mut cells = cells.into_iter().peekable();
    while let Some((row, column, text)) = cells.next() {
        let mut row_cells = vec![(column, text)];
        while let Some((_, column, text)) = cells.next_if(|(next_row, _, _)| *next_row == row) {
            row_cells.push((column, text));
        }
        let width = row_cells.last().map_or(0, |(column, _)| (column - first_column) as usize + 1);
        // Counted before the row is laid out: one far-right cell would otherwise
        // make a row of thousands of blanks.
        builder.admit(width)?;
        let mut laid_out = vec![String::new(); width];
        for (column, text) in row_cells {
            laid_out[(column - first_column) as usize] = text;
        }
        builder.push(row as usize + 1, laid_out);
    }
    builder.finish()
}

/// The cells of a worksheet that hold something, as `(row, column, text)` in
/// row and column order, read one by one so the limits hold while reading.
fn filled_cells(
    workbook: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    limits: &SheetLimits,
) -> Result<Vec<(u32, u32, String)>, SheetError> {
    let mut reader = workbook.worksheet_cells_reader(name).map_err(SheetError::unreadable_xlsx)?;
    let mut cells = Vec::new();
    let mut text_bytes: u64 = 0;
    while let Some(cell) = reader.next_cell().map_err(SheetError::unreadable_xlsx)? {
        let value = cell_text(cell.get_value());
        let value = clean_cell(&value);
        if value.is_empty() {
            continue;
        }
        // One shared string can be referenced by every cell, so the text read
        // is limited apart from the size of the archive.
        text_bytes = text_bytes.saturating_add(value.len() as u64);
        if text_bytes > limits.unpacked_bytes {
            return Err(limits.too_large());
        }
        if cells.len() >= limits.cells {
            return Err(limits.too_many_cells());
        }
        let (row, column) = cell.get_position();
        cells.push((row, column, value.to_owned()));
    }
    // Excel writes cells in order; a file that does not is read as Excel would show it.
    cells.sort_by_key(|(row, column, _)| (*row, *column));
    Ok(cells)
}

/// The first visible worksheet, so a hidden lookup sheet or a chart sheet in front is not taken for the data.
fn first_worksheet(workbook: &Xlsx<Cursor<&[u8]>>) -> Option<String> {
    let sheets = workbook.sheets_metadata();
    let is_worksheet = |sheet: &&calamine::Sheet| sheet.typ == SheetType::WorkSheet;
    sheets
        .iter()
        .filter(is_worksheet)
        .find(|sheet| sheet.visible == SheetVisible::Visible)
        .or_else(|| sheets.iter().find(is_worksheet))
        .map(|sheet| sheet.name.clone())
}

/// Renders a cell as the text a person sees in Excel, not as Rust would print the stored value.
fn cell_text<'a>(cell: &'a DataRef<'_>) -> Cow<'a, str> {
    match cell {
        DataRef::Empty => Cow::Borrowed(""),
        DataRef::String(text) => Cow::Borrowed(text),
        DataRef::SharedString(text) => Cow::Borrowed(text),
        DataRef::Int(number) => Cow::Owned(number.to_string()),
        DataRef::Float(number) => Cow::Owned(float_text(*number)),
        DataRef::Bool(value) => Cow::Owned(value.to_string()),
        DataRef::DateTime(datetime) => Cow::Owned(datetime_text(datetime)),
        DataRef::DateTimeIso(text) => Cow::Borrowed(text.strip_suffix("T00:00:00").unwrap_or(text)),
        DataRef::DurationIso(text) => Cow::Borrowed(text),
        // Kept visible (e.g. "#N/A") so validation rejects the row instead of importing a blank.
        DataRef::Error(error) => Cow::Owned(error.to_string()),
    }
}
/// Formats a number without exponents and with Excel's 15 significant digits.
fn float_text(number: f64) -> String {
    if !number.is_finite() {
        return number.to_string();
    }
    // Excel keeps 15 significant digits, so rounding there undoes binary noise such
    // as 0.1 + 0.2 = 0.30000000000000004 and shows what the user typed.
    let scientific = format!("{number:.14e}");
    let rounded: f64 = scientific.parse().unwrap_or(number);
    if rounded.abs() >= 1e15 && rounded.abs() < 1e21 {
        // Past 15 digits Excel shows zeros (an 18-digit ID number in a number
        // cell reads 230104198001011000), where the nearest binary value would
        // print other digits (…1008) that look like real ones.
        return excel_digits(&scientific);
    }
    if rounded == 0.0 {
        // Also turns -0.0 into "0".
        "0".to_owned()
    } else if rounded.fract() == 0.0 {
        // A phone or ID number typed as a number must read "13800000000", never "1.38e10" or "13800000000.0".
        format!("{rounded:.0}")
    } else {
        // f64's Display never uses exponent notation and gives the shortest exact form.
        rounded.to_string()
    }
}

/// The digits of a whole number given as `d.dddddddddddddde<exp>`: its 15
/// significant digits, then zeros up to its length.
fn excel_digits(scientific: &str) -> String {
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific, "0"));
    let exponent: usize = exponent.parse().unwrap_or(0);
    let sign = if mantissa.starts_with('-') { "-" } else { "" };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out: String = digits.chars().take(exponent + 1).collect();
    while out.len() < exponent + 1 {
        out.push('0');
    }
    format!("{sign}{out}")
}

/// Formats an Excel date as ISO 8601, adding the time only when there is one.
fn datetime_text(datetime: &calamine::ExcelDateTime) -> String {
    let serial = datetime.as_f64();
    if datetime.is_duration() {
        let seconds = (serial * 86_400.0).round() as i64;
        let sign = if seconds < 0 { "-" } else { "" };
        let seconds = seconds.unsigned_abs();
        return format!("{sign}{}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
    }
    let (year, month, day, hour, minute, second, _) = datetime.to_ymd_hms_milli();
    let time = format!("{hour:02}:{minute:02}:{second:02}");
    if (0.0..1.0).contains(&serial) {
        // A time of day on its own: Excel stores it on day zero, which is not a real date.
        time
    } else if (hour, minute, second) == (0, 0, 0) {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02} {time}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::{Format, Workbook};

    fn csv(text: &str) -> Sheet {
        read_sheet(text.as_bytes(), SheetFormat::Csv).expect("the CSV reads")
    }

    #[test]
    fn a_utf8_csv_with_a_bom_reads_without_the_bom_in_the_first_header() {
        let sheet = csv("\u{feff}姓名,手机号\r\n张三,13800000000\r\n");
        assert_eq!(sheet.headers, ["姓名", "手机号"]);
        assert_eq!(sheet.rows.len(), 1);
        assert_eq!(sheet.rows[0].number, 2);
        assert_eq!(sheet.rows[0].cells, ["张三", "13800000000"]);
    }

    #[test]
    fn a_utf8_csv_without_a_bom_reads_as_chinese_text() {
        let sheet = csv("姓名,地址\n李四,\"北京市朝阳区, 3号楼\"\n");
        assert_eq!(sheet.headers, ["姓名", "地址"]);
        assert_eq!(sheet.rows[0].cells, ["李四", "北京市朝阳区, 3号楼"]);
    }

    #[test]
    fn a_gbk_csv_reads_as_chinese_text() {
        let (bytes, _, had_errors) = encoding_rs::GBK.encode("姓名,手机号,隔离地点\r\n王五,13900000000,锦江宾馆\r\n");
        assert!(!had_errors);
        assert!(std::str::from_utf8(&bytes).is_err(), "the test input must not be UTF-8");
        let sheet = read_sheet(&bytes, SheetFormat::Csv).expect("the GBK CSV reads");
        assert_eq!(sheet.headers, ["姓名", "手机号", "隔离地点"]);
        assert_eq!(sheet.rows[0].cells, ["王五", "13900000000", "锦江宾馆"]);
    }

    #[test]
    fn short_csv_rows_are_padded_and_blank_rows_skipped_but_still_counted() {
        let sheet = csv("姓名,手机号,备注\n张三\n\n,,\n李四,139\n");
        assert_eq!(sheet.rows.len(), 2);
        assert_eq!(sheet.rows[0].number, 2);
        assert_eq!(sheet.rows[0].cells, ["张三", "", ""]);
        assert_eq!(sheet.rows[1].number, 5);
        assert_eq!(sheet.rows[1].cells, ["李四", "139", ""]);
    }

    #[test]
    fn csv_cells_lose_full_width_spaces_and_ordinary_spaces_at_both_ends() {
        let sheet = csv(" 姓名 ,\u{3000}手机号\u{3000}\n\u{3000}张三 ,\t138 \n");
        assert_eq!(sheet.headers, ["姓名", "手机号"]);
        assert_eq!(sheet.rows[0].cells, ["张三", "138"]);
    }

    #[test]
    fn crlf_blank_lines_count_as_rows() {
        let sheet = csv("姓名\r\n张三\r\n\r\n\r\n李四\r\n");
        assert_eq!(sheet.rows[0].number, 2);
        assert_eq!(sheet.rows[1].number, 5);
    }

    #[test]
    fn line_breaks_count_crlf_lf_and_bare_cr_once_each() {
        assert_eq!(line_breaks(b"a\r\nb\nc\rd"), 3);
        assert_eq!(line_breaks(b"\r\n\r\n"), 2);
        assert_eq!(line_breaks(b"\r"), 1);
        assert_eq!(line_breaks(b""), 0);
    }

    #[test]
    fn a_quoted_cell_with_line_breaks_counts_as_one_excel_row() {
        let sheet = csv("姓名,备注\n张三,\"第一行\n第二行\"\n李四,无\n");
        assert_eq!(sheet.rows[0].number, 2);
        assert_eq!(sheet.rows[0].cells[1], "第一行\n第二行");
        assert_eq!(sheet.rows[1].number, 3);
        let sheet = csv("姓名,备注\r\n\"\r\n张三\",\"a\r\nb\r\nc\"\r\n\r\n李四,无\r\n");
        assert_eq!(sheet.rows[0].number, 2);
        assert_eq!(sheet.rows[0].cells, ["张三", "a\r\nb\r\nc"]);
        assert_eq!(sheet.rows[1].number, 4);
    }

    #[test]
    fn csv_rows_after_leading_blank_lines_keep_their_excel_row_numbers() {
        let sheet = csv("\n,,\n姓名,手机号\n张三,138\n");
        assert_eq!(sheet.headers, ["姓名", "手机号"]);
        assert_eq!(sheet.rows[0].number, 4);
    }

    #[test]
    fn a_csv_with_bare_carriage_returns_gets_row_numbers_right() {
        let sheet = csv("姓名\r张三\r\r李四\r");
        assert_eq!(sheet.rows[0].number, 2);
        assert_eq!(sheet.rows[1].number, 4);
    }

    #[test]
    fn a_zero_byte_file_is_empty_in_either_format() {
        assert!(matches!(read_sheet(b"", SheetFormat::Csv), Err(SheetError::Empty)));
        assert!(matches!(read_sheet(b"", SheetFormat::Xlsx), Err(SheetError::Empty)));
        assert!(matches!(read_sheet(b"\xEF\xBB\xBF", SheetFormat::Csv), Err(SheetError::Empty)));
    }

    #[test]
    fn a_csv_of_only_blank_rows_has_no_header() {
        assert!(matches!(read_sheet(b",,\n \n\t,\r\n", SheetFormat::Csv), Err(SheetError::NoHeader)));
    }

    #[test]
    fn bytes_that_are_not_a_workbook_give_an_xlsx_error_with_the_cause() {
        let error = read_sheet(b"name,phone\n", SheetFormat::Xlsx).unwrap_err();
        assert!(matches!(error, SheetError::Xlsx(_)), "{error:?}");
        assert!(error.to_string().starts_with("the file could not be read as an XLSX workbook: "));
        assert!(error.to_string().len() > "the file could not be read as an XLSX workbook: ".len());
    }

    #[test]
    fn an_old_xls_file_is_named_as_such() {
        let mut bytes = OLE_SIGNATURE.to_vec();
        bytes.extend_from_slice(&[0; 64]);
        for format in [SheetFormat::Csv, SheetFormat::Xlsx] {
            assert!(matches!(read_sheet(&bytes, format), Err(SheetError::LegacyXls)));
        }
    }

    #[test]
    fn an_xlsx_reads_strings_numbers_ids_dates_and_skips_blank_rows() {
        let mut workbook = Workbook::new();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let worksheet = workbook.add_worksheet();
        for (col, header) in [" 姓名 ", "手机号", "身份证号", "出生日期", "已接种", "体温"].into_iter().enumerate()
        {
            worksheet.write_string(0, col as u16, header).unwrap();
        }
        worksheet.write_string(1, 0, "张三").unwrap();
        worksheet.write_number(1, 1, 13_800_000_000.0).unwrap();
        worksheet.write_string(1, 2, "110101199003071234").unwrap();
        worksheet
            .write_datetime_with_format(1, 3, rust_xlsxwriter::ExcelDateTime::from_ymd(1990, 3, 7).unwrap(), &date)
            .unwrap();
        worksheet.write_boolean(1, 4, true).unwrap();
        worksheet.write_number(1, 5, 36.6).unwrap();
        // Row 3 stays blank; row 4 has only a name.
        worksheet.write_string(3, 0, "\u{3000}李四").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();

        let sheet = read_sheet(&bytes, SheetFormat::Xlsx).expect("the XLSX reads");
        assert_eq!(sheet.headers, ["姓名", "手机号", "身份证号", "出生日期", "已接种", "体温"]);
        assert_eq!(sheet.rows.len(), 2);
        assert_eq!(sheet.rows[0].number, 2);
        assert_eq!(sheet.rows[0].cells, ["张三", "13800000000", "110101199003071234", "1990-03-07", "true", "36.6"]);
        assert_eq!(sheet.rows[1].number, 4);
        assert_eq!(sheet.rows[1].cells, ["李四", "", "", "", "", ""]);
    }

    #[test]
    fn an_xlsx_table_that_starts_below_and_right_of_a1_keeps_excel_row_numbers() {
        let mut workbook = Workbook::new();
        let worksheet = workbook.add_worksheet();
        // Header in B3, data in B4 and B6.
        worksheet.write_string(2, 1, "姓名").unwrap();
        worksheet.write_string(2, 2, "Phone").unwrap();
        worksheet.write_string(3, 1, "张三").unwrap();
        worksheet.write_number(3, 2, 13_912_345_678.0).unwrap();
        worksheet.write_string(5, 1, "李四").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();

        let sheet = read_sheet(&bytes, SheetFormat::Xlsx).unwrap();
        assert_eq!(sheet.headers, ["姓名", "Phone"]);
        assert_eq!(sheet.rows[0].number, 4);
        assert_eq!(sheet.rows[0].cells, ["张三", "13912345678"]);
        assert_eq!(sheet.rows[1].number, 6);
    }

    #[test]
    fn the_first_visible_worksheet_is_the_one_read() {
        let mut workbook = Workbook::new();
        let hidden = workbook.add_worksheet();
        hidden.write_string(0, 0, "lookup").unwrap();
        hidden.set_hidden(true);
        let data = workbook.add_worksheet();
        data.write_string(0, 0, "姓名").unwrap();
        data.set_active(true);
        let bytes = workbook.save_to_buffer().unwrap();

        let sheet = read_sheet(&bytes, SheetFormat::Xlsx).unwrap();
        assert_eq!(sheet.headers, ["姓名"]);
    }

    #[test]
    fn an_xlsx_with_no_cells_has_no_header() {
        let mut workbook = Workbook::new();
        workbook.add_worksheet();
        let bytes = workbook.save_to_buffer().unwrap();
        assert!(matches!(read_sheet(&bytes, SheetFormat::Xlsx), Err(SheetError::NoHeader)));
    }

    #[test]
    fn numbers_read_as_excel_shows_them() {
        assert_eq!(float_text(13_800_000_000.0), "13800000000");
        assert_eq!(float_text(0.1 + 0.2), "0.3");
        assert_eq!(float_text(-0.0), "0");
        assert_eq!(float_text(-3.0), "-3");
        assert_eq!(float_text(1e20), "100000000000000000000");
        assert_eq!(
            float_text(230_104_198_001_011_008.0),
            "230104198001011000",
            "as Excel shows an ID number in a number cell"
        );
        assert_eq!(float_text(-1_234_567_890_123_456_789.0), "-1234567890123460000");
        assert_eq!(float_text(36.6), "36.6");
    }

    #[test]
    fn excel_dates_read_as_iso_text_with_a_time_only_when_there_is_one() {
        use calamine::{ExcelDateTime, ExcelDateTimeType};
        let date = |serial| ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, false);
        assert_eq!(datetime_text(&date(45_943.0)), "2025-10-13");
        assert_eq!(datetime_text(&date(45_943.5)), "2025-10-13 12:00:00");
        assert_eq!(datetime_text(&date(0.75)), "18:00:00");
        let duration = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(datetime_text(&duration), "36:00:00");
    }

    #[test]
    fn a_csv_that_is_neither_utf8_nor_gbk_is_refused_at_the_row_of_the_bad_byte() {
        // 0xFF starts no character in UTF-8 or GB18030.
        let mut bytes = "姓名,手机号\n张三,138\n".as_bytes().to_vec();
        bytes.extend(b"\xFF\xFE,139\n");
        let error = read_sheet(&bytes, SheetFormat::Csv).unwrap_err();
        assert!(matches!(error, SheetError::BadEncoding { row: 3 }), "{error:?}");
        assert_eq!(error.refusal(), cordon_domain::Key::SheetBadEncoding.with("row", 3usize));
    }

    #[test]
    fn the_bad_row_is_found_in_the_encoding_the_file_reads_further_in() {
        // A GBK file with a bad byte on row 4: GBK reads further than UTF-8 (which fails on row 1).
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,备注\r\n王五,无\r\n赵六,无\r\n");
        let mut bytes = gbk.into_owned();
        bytes.extend(b"\xFF,x\r\n");
        assert!(matches!(read_sheet(&bytes, SheetFormat::Csv), Err(SheetError::BadEncoding { row: 4 })));
        // A UTF-8 file with a quoted two-line cell on row 2 and a bad byte on row 3.
        let mut bytes = "姓名,备注\n张三,\"第一行\n第二行\"\n李四,".as_bytes().to_vec();
        bytes.extend(b"\xC3\x28\n");
        assert!(matches!(read_sheet(&bytes, SheetFormat::Csv), Err(SheetError::BadEncoding { row: 3 })));
    }

    #[test]
    fn a_gbk_csv_is_still_read_without_a_byte_replaced() {
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名\n€锦江\n");
        let sheet = read_sheet(&gbk, SheetFormat::Csv).unwrap();
        assert_eq!(sheet.rows[0].cells, ["€锦江"]);
        assert!(!sheet.rows[0].cells[0].contains('\u{fffd}'));
    }

    #[test]
    fn a_csv_with_more_cells_than_the_limit_is_refused_before_they_are_held() {
        let limits = SheetLimits { unpacked_bytes: 1 << 20, cells: 10 };
        let ok = "a,b,c\n1,2,3\n4,5,6\n";
        assert_eq!(read_sheet_within(ok.as_bytes(), SheetFormat::Csv, &limits).unwrap().rows.len(), 2);
        // Short rows are held padded to the header, and count so.
        let padded = "a,b,c\n1\n2\n3\n";
        assert!(matches!(
            read_sheet_within(padded.as_bytes(), SheetFormat::Csv, &limits),
            Err(SheetError::TooManyCells { limit: 10 })
        ));
        // One row of more cells than the limit, at the real limit: refused without a cell held.
        let wide = format!("姓名\nx{}\n", ",".repeat(crate::sheets::MAX_CELLS));
        let error = read_sheet(wide.as_bytes(), SheetFormat::Csv).unwrap_err();
        assert!(matches!(error, SheetError::TooManyCells { limit: crate::sheets::MAX_CELLS }), "{error:?}");
        assert_eq!(error.refusal(), cordon_domain::Key::SheetTooManyCells.with("limit", crate::sheets::MAX_CELLS));
    }

    #[test]
    fn an_xlsx_row_with_one_far_right_cell_counts_as_wide_as_it_is_held() {
        let mut workbook = Workbook::new();
        let worksheet = workbook.add_worksheet();
        worksheet.write_string(0, 0, "姓名").unwrap();
        worksheet.write_string(1, 0, "张三").unwrap();
        worksheet.write_string(1, 9, "far").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        let sheet = read_sheet(&bytes, SheetFormat::Xlsx).unwrap();
        assert_eq!(sheet.rows[0].cells.len(), 10);
        assert_eq!(sheet.rows[0].cells[9], "far");
        let limits = SheetLimits { unpacked_bytes: 1 << 30, cells: 10 };
        assert!(matches!(
            read_sheet_within(&bytes, SheetFormat::Xlsx, &limits),
            Err(SheetError::TooManyCells { limit: 10 })
        ));
    }

    #[test]
    fn a_shared_string_repeated_in_many_cells_counts_every_time_it_is_read() {
        // The archive holds the string (96 KB, near Excel's longest) once; the cells read it 60 times.
        let mut workbook = Workbook::new();
        let worksheet = workbook.add_worksheet();
        let long = "长".repeat(32_000);
        for row in 0..60 {
            worksheet.write_string(row, 0, &long).unwrap();
        }
        let bytes = workbook.save_to_buffer().unwrap();
        let limits = SheetLimits { unpacked_bytes: 4 << 20, cells: 1000 };
        let error = read_sheet_within(&bytes, SheetFormat::Xlsx, &limits).unwrap_err();
        assert!(matches!(error, SheetError::TooLarge { limit_mb: 4 }), "{error:?}");
        let roomy = SheetLimits { unpacked_bytes: 16 << 20, cells: 1000 };
        assert_eq!(read_sheet_within(&bytes, SheetFormat::Xlsx, &roomy).unwrap().rows.len(), 59);
    }
}

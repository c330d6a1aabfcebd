//! A sheet read a batch of rows at a time, so that a district's roll of ten
//! million rows is checked and written without being held in memory.
//!
//! A CSV is read in blocks cut at line breaks outside quotes; each block is
//! parsed by the same row reader as a whole file (`read::csv_rows_from`), which
//! goes on counting rows as Excel numbers them. The encoding is chosen on the
//! first block (UTF-8, else GBK, as `read::decode_csv` chooses for a whole
//! file): a line break byte is never inside a UTF-8 or GBK character, so a block
//! cut after one decodes alone. An XLSX workbook is read whole (calamine has no
//! streaming reader, and a worksheet holds at most 1,048,576 rows); its rows are
//! then handed out like a CSV's. The SHA-256 of the bytes is taken as they are
//! read, so the file is read once.

use std::io::Read;

use sha2::{Digest, Sha256};

use super::read::{OLE_SIGNATURE, csv_rows_from, decode_csv, line_breaks};
use super::{Sheet, SheetError, SheetFormat, SheetLimits, SheetRow, clean_cell};

/// How much of a CSV is read at a time.
const BLOCK: usize = 4 << 20;

/// Rows of a sheet, a batch at a time, with the header read first.
pub struct RowStream<'a> {
    headers: Vec<String>,
    source: Source<'a>,
    /// Rows read with the header, handed out first.
    ready: Vec<SheetRow>,
}

enum Source<'a> {
    Csv(Box<CsvBlocks<'a>>),
    Whole { rows: std::vec::IntoIter<SheetRow>, sha256: [u8; 32], total: u64 },
}

/// The two encodings a CSV from Excel or WPS comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Gbk,
}

/// A CSV read in blocks and parsed into rows.
struct CsvBlocks<'a> {
    reader: Box<dyn Read + Send + 'a>,
    limits: SheetLimits,
    /// How much is read at a time (`BLOCK`; tiny in tests, to cut everywhere).
    block: usize,
    hasher: Sha256,
    bytes_read: u64,
    /// Bytes read past the last line break of the last block.
    carry: Vec<u8>,
    /// Decoded text not yet parsed: it starts a row, and `scanned` bytes of it
    /// have been looked through for quotes (`in_quotes` is the state there).
    pending: String,
    scanned: usize,
    in_quotes: bool,
    encoding: Option<Encoding>,
    /// The Excel row number of the first line of `pending`.
    next_row: usize,
    header_len: usize,
    cells: usize,
    eof: bool,
}

impl<'a> RowStream<'a> {
    /// Opens a file of the given format read from `reader`, within `limits`,
    /// and reads up to its header row.
    pub fn open(
        reader: Box<dyn Read + Send + 'a>,
        format: SheetFormat,
        limits: &SheetLimits,
    ) -> Result<RowStream<'a>, SheetError> {
        RowStream::open_in_blocks(reader, format, limits, BLOCK)
    }

    fn open_in_blocks(
        reader: Box<dyn Read + Send + 'a>,
        format: SheetFormat,
        limits: &SheetLimits,
        block: usize,
    ) -> Result<RowStream<'a>, SheetError> {
        match format {
            SheetFormat::Xlsx => {
                let mut bytes = Vec::new();
                reader
                    .take(limits.unpacked_bytes.saturating_add(1))
                    .read_to_end(&mut bytes)
                    .map_err(|e| SheetError::Xlsx(e.to_string()))?;
                if bytes.len() as u64 > limits.unpacked_bytes {
                    return Err(SheetError::TooLarge { limit_mb: limits.unpacked_bytes >> 20 });
                }
                let sha256 = Sha256::digest(&bytes).into();
                let sheet = super::read_sheet_within(&bytes, format, limits)?;
                Ok(RowStream::whole(sheet, sha256))
            }
            SheetFormat::Csv => {
                let mut blocks = Box::new(CsvBlocks {
                    reader,
                    limits: *limits,
                    block,
                    hasher: Sha256::new(),
                    bytes_read: 0,
                    carry: Vec::new(),
                    pending: String::new(),
                    scanned: 0,
                    in_quotes: false,
                    encoding: None,
                    next_row: 1,
                    header_len: 0,
                    cells: 0,
                    eof: false,
                });
                let mut headers = None;
                let mut ready = Vec::new();
                while headers.is_none() {
                    match blocks.next_rows(&mut headers)? {
                        Some(rows) => ready = rows,
                        None => break,
                    }
                }
                let headers = headers.ok_or(SheetError::NoHeader)?;
                Ok(RowStream { headers, source: Source::Csv(blocks), ready })
            }
        }
    }

    /// A sheet already in memory, handed out in batches (`sha256` of the file it came from).
    pub fn whole(sheet: Sheet, sha256: [u8; 32]) -> RowStream<'a> {
        let total = sheet.rows.len() as u64;
        RowStream {
            headers: sheet.headers,
            source: Source::Whole { rows: sheet.rows.into_iter(), sha256, total },
            ready: vec![],
        }
    }

    /// The header cells, as the file names its columns.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The next rows, in file order; `None` at the end.
    pub fn next_batch(&mut self) -> Result<Option<Vec<SheetRow>>, SheetError> {
        if !self.ready.is_empty() {
            return Ok(Some(std::mem::take(&mut self.ready)));
        }
        match &mut self.source {
            Source::Whole { rows, .. } => {
                let batch: Vec<SheetRow> = rows.by_ref().take(BATCH_ROWS).collect();
                Ok((!batch.is_empty()).then_some(batch))
            }
            Source::Csv(blocks) => {
                let mut header = Some(std::mem::take(&mut self.headers));
                let rows = blocks.next_rows(&mut header);
                self.headers = header.unwrap_or_default();
                rows
            }
        }
    }

    /// How far through the file: bytes of a CSV read, or rows of a sheet in memory handed out.
    pub fn done(&self) -> u64 {
        match &self.source {
            Source::Csv(b) => b.bytes_read,
            Source::Whole { rows, total, .. } => total - rows.len() as u64,
        }
    }

    /// What `done` counts to: the rows of a sheet in memory, or `file_len` for a CSV.
    pub fn total(&self, file_len: u64) -> u64 {
        match &self.source {
            Source::Csv(_) => file_len,
            Source::Whole { total, .. } => *total,
        }
    }

    /// The SHA-256 of the bytes read; the file's hash once every batch is read.
    pub fn sha256(&self) -> [u8; 32] {
        match &self.source {
            Source::Csv(b) => b.hasher.clone().finalize().into(),
            Source::Whole { sha256, .. } => *sha256,
        }
    }
}

/// How many rows of a sheet in memory one batch hands out.
const BATCH_ROWS: usize = 16_384;

impl CsvBlocks<'_> {
    /// Parses the next piece of the file; `header` is filled by its first
    /// non-empty row. `None` once the file is read.
    fn next_rows(&mut self, header: &mut Option<Vec<String>>) -> Result<Option<Vec<SheetRow>>, SheetError> {
        loop {
            if let Some(cut) = self.cut() {
                let text: String = self.pending.drain(..cut).collect();
                self.scanned -= cut;
                return self.parse(&text, header).map(Some);
            }
            if self.eof {
                if self.pending.is_empty() {
                    if self.encoding.is_none() {
                        return Err(SheetError::Empty);
                    }
                    return Ok(None);
                }
                let text = std::mem::take(&mut self.pending);
                self.scanned = 0;
                return self.parse(&text, header).map(Some);
            }
            self.read_block()?;
        }
    }

    /// Reads a block, decodes what ends at its last line break and adds it to `pending`.
    fn read_block(&mut self) -> Result<(), SheetError> {
        let start = self.carry.len();
        self.carry.resize(start + self.block, 0);
        let mut filled = start;
        while filled < self.carry.len() {
            match self.reader.read(&mut self.carry[filled..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(SheetError::Csv { row: self.next_row, message: e.to_string() }),
            }
        }
        self.carry.truncate(filled);
        self.hasher.update(&self.carry[start..]);
        self.bytes_read += (filled - start) as u64;
        let end = if self.eof {
            self.carry.len()
        } else {
            match self.carry.iter().rposition(|b| *b == b'\n') {
                Some(i) => i + 1,
                // A block without a line break: read on until one comes.
                None => return Ok(()),
            }
        };
        let rest = self.carry.split_off(end);
        let block = std::mem::replace(&mut self.carry, rest);
        let text = self.decode(&block)?;
        self.pending.push_str(&text);
        Ok(())
    }

    /// Decodes a block of whole lines; the first block chooses the encoding.
    fn decode(&mut self, block: &[u8]) -> Result<String, SheetError> {
        let row_of = |prefix: &str, at: usize| at + line_breaks(prefix.as_bytes());
        let before = self.next_row + line_breaks(self.pending.as_bytes());
        match self.encoding {
            None => {
                if block.starts_with(OLE_SIGNATURE) {
                    return Err(SheetError::LegacyXls);
                }
                let text = match decode_csv(block) {
                    Ok(text) => text,
                    // An empty first block says nothing; the rows come later or never.
                    Err(SheetError::BadEncoding { row }) => {
                        return Err(SheetError::BadEncoding { row: before + row - 1 });
                    }
                    Err(e) => return Err(e),
                };
                let text = text.trim_start_matches('\u{feff}').to_string();
                if text.is_empty() {
                    if self.eof {
                        return Err(SheetError::Empty);
                    }
                    return Ok(text);
                }
                self.encoding =
                    Some(if std::str::from_utf8(block.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(block)).is_ok() {
                        Encoding::Utf8
                    } else {
                        Encoding::Gbk
                    });
                Ok(text)
            }
            Some(Encoding::Utf8) => match std::str::from_utf8(block) {
                Ok(text) => Ok(text.to_string()),
                Err(e) => {
                    let valid = std::str::from_utf8(&block[..e.valid_up_to()]).unwrap_or_default();
                    Err(SheetError::BadEncoding { row: row_of(valid, before) })
                }
            },
            Some(Encoding::Gbk) => encoding_rs::GBK
                .decode_without_bom_handling_and_without_replacement(block)
                .map(|t| t.into_owned())
                .ok_or(SheetError::BadEncoding { row: before }),
        }
    }

    /// Where `pending` can be cut: just after its last line break outside quotes.
    fn cut(&mut self) -> Option<usize> {
        let bytes = self.pending.as_bytes();
        let mut cut = None;
        for (i, b) in bytes.iter().enumerate().skip(self.scanned) {
            match b {
                // A doubled quote inside a quoted cell toggles twice: the state is right after it.
                b'"' => self.in_quotes = !self.in_quotes,
                b'\n' if !self.in_quotes => cut = Some(i + 1),
                _ => {}
            }
        }
        match cut {
            Some(c) => {
                // The state at the cut is outside quotes; the bytes after it are scanned again.
                self.in_quotes = false;
                self.scanned = c;
                Some(c)
            }
            None => {
                self.scanned = bytes.len();
                None
            }
        }
    }

    /// Parses whole rows of text, the first non-empty one being the header.
    fn parse(&mut self, text: &str, header: &mut Option<Vec<String>>) -> Result<Vec<SheetRow>, SheetError> {
        let mut rows = Vec::new();
        let limits = self.limits;
        let (cells, header_len) = (&mut self.cells, &mut self.header_len);
        let consumed = csv_rows_from(text.as_bytes(), self.next_row, |number, record| {
            if record.iter().all(|field| clean_cell(field).is_empty()) {
                return Ok(());
            }
            let held = record.len().max(*header_len);
            *cells = cells.saturating_add(held);
            if *cells > limits.cells {
                return Err(limits.too_many_cells());
            }
            let mut row: Vec<String> = record.iter().map(|field| clean_cell(field).to_owned()).collect();
            if header.is_none() {
                *header_len = row.len();
                *header = Some(row);
            } else {
                // Excel drops trailing empty cells when saving CSV, so short rows are normal.
                if row.len() < *header_len {
                    row.resize(*header_len, String::new());
                }
                rows.push(SheetRow { number, cells: row });
            }
            Ok(())
        })?;
        self.next_row += consumed;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Headers, rows and hash of a file read in blocks of `block` bytes.
    type Read = (Vec<String>, Vec<SheetRow>, [u8; 32]);

    fn streamed(bytes: &[u8], block: usize) -> Result<Read, SheetError> {
        let mut stream = RowStream::open_in_blocks(Box::new(bytes), SheetFormat::Csv, &SheetLimits::DEFAULT, block)?;
        let mut rows = Vec::new();
        while let Some(batch) = stream.next_batch()? {
            rows.extend(batch);
        }
        Ok((stream.headers().to_vec(), rows, stream.sha256()))
    }

    #[test]
    fn a_csv_read_in_tiny_blocks_gives_the_rows_and_numbers_of_the_whole_file() {
        let text = "\u{feff}\r\n姓名,备注\r\n张三,\"两行\r\n的备注\"\r\n\r\n李四,\"引号\"\"里\"\r\n王五\n\n赵六,末行";
        let (headers, whole, sha) = streamed(text.as_bytes(), BLOCK).unwrap();
        assert_eq!(headers, vec!["姓名", "备注"]);
        let numbers: Vec<usize> = whole.iter().map(|r| r.number).collect();
        assert_eq!(numbers, vec![3, 5, 6, 8], "rows as Excel numbers them");
        assert_eq!(whole[0].cells[1], "两行\r\n的备注");
        assert_eq!(whole[1].cells[1], "引号\"里");
        assert_eq!(sha, <[u8; 32]>::from(Sha256::digest(text.as_bytes())));
        for block in [1, 2, 3, 5, 7, 11, 64] {
            let (h, rows, s) = streamed(text.as_bytes(), block).unwrap();
            assert_eq!((h, rows, s), (headers.clone(), whole.clone(), sha), "block of {block} bytes");
        }
    }

    #[test]
    fn a_gbk_csv_streams_and_a_bad_byte_later_names_its_row() {
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,电话\n张三,1\n李四,2\n");
        let (_, rows, _) = streamed(&gbk, 4).unwrap();
        assert_eq!(rows.iter().map(|r| r.cells[0].as_str()).collect::<Vec<_>>(), vec!["张三", "李四"]);
        let mut bad = "姓名\n张三\n李四\n".as_bytes().to_vec();
        bad.extend_from_slice(b"\xff\xfe\n");
        match streamed(&bad, 8) {
            Err(SheetError::BadEncoding { row }) => assert_eq!(row, 4),
            other => panic!("{other:?}"),
        }
    }
}

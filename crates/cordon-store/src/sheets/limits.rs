//! How much an uploaded spreadsheet may unpack to, and the check of an XLSX
//! archive against it before any of it is parsed.
//!
//! An XLSX is a zip archive, and a few megabytes of deflate can unpack to
//! gigabytes of XML (a "zip bomb"); the spreadsheet reader would hold what it
//! unpacks in memory. So before the reader opens the workbook, every entry is
//! measured: first by the sizes the archive declares, which costs nothing and
//! stops an honest bomb at once, then by actually decompressing each entry
//! through a reader that stops one byte past what is left of the limit, so a
//! bomb that lies about its sizes is stopped too.

use std::io::{self, Cursor, Read, Write};

use super::SheetError;

const MIB: u64 = 1024 * 1024;

/// What a workbook may unpack to: the decompressed entries of the archive, and
/// apart from that the text of the cells read from it (a shared string can be
/// referenced by many cells), each at most this many bytes.
pub const MAX_UNPACKED_BYTES: u64 = 512 * MIB;

/// How many cells a sheet may have, counted as they are held: each row as wide
/// as its last filled cell or the header, whichever is wider. A district's file
/// of 500,000 rows × 10 columns is 5,000,000.
pub const MAX_CELLS: usize = 10_000_000;

/// The limits a sheet is read within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SheetLimits {
    /// Bytes the archive's entries may decompress to, and the cells' text may add up to.
    pub unpacked_bytes: u64,
    /// Cells the sheet may hold.
    pub cells: usize,
}

impl SheetLimits {
    /// The limits of every upload: `MAX_UNPACKED_BYTES` and `MAX_CELLS`.
    pub const DEFAULT: SheetLimits = SheetLimits { unpacked_bytes: MAX_UNPACKED_BYTES, cells: MAX_CELLS };

    /// The operator's own file at the command line: no caps. The caps keep
    /// an uploader from making the server hold more than an upload can
    /// justify; the operator reads a file from their own disk into their own
    /// process, and a district's roll (a million people, ten million cells)
    /// must go in whole.
    pub const OPERATOR: SheetLimits = SheetLimits { unpacked_bytes: u64::MAX, cells: usize::MAX };

    /// The refusal of a workbook that unpacks to more than the limit.
    pub(super) fn too_large(&self) -> SheetError {
        SheetError::TooLarge { limit_mb: self.unpacked_bytes / MIB }
    }

    /// The refusal of a sheet with more cells than the limit.
    pub(super) fn too_many_cells(&self) -> SheetError {
        SheetError::TooManyCells { limit: self.cells }
    }
}

/// Measures every entry of an XLSX archive against the limits without keeping
/// any of it: declared sizes first, then the decompressed streams themselves.
pub(super) fn check_workbook(bytes: &[u8], limits: &SheetLimits) -> Result<(), SheetError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(SheetError::unreadable_xlsx)?;
    check_declared(&mut zip, limits)?;
    check_unpacked(&mut zip, limits)
}

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// The sizes the archive declares, added up.
fn check_declared(zip: &mut Archive<'_>, limits: &SheetLimits) -> Result<(), SheetError> {
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        declared = declared.saturating_add(zip.by_index_raw(i).map_err(SheetError::unreadable_xlsx)?.size());
    }
    if declared > limits.unpacked_bytes { Err(limits.too_large()) } else { Ok(()) }
}

/// What the entries actually decompress to, each read through a reader that
/// stops one byte past what is left of the limit. (The zip crate also refuses
/// an entry longer than it declares; this does not depend on it.)
fn check_unpacked(zip: &mut Archive<'_>, limits: &SheetLimits) -> Result<(), SheetError> {
    let mut left = limits.unpacked_bytes;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(SheetError::unreadable_xlsx)?;
        let shared_strings = entry.name().is_ok_and(|name| name.to_ascii_lowercase().ends_with("sharedstrings.xml"));
        let mut sink = Measure { scan: shared_strings, tail: Vec::new(), claimed: 0 };
        let read =
            io::copy(&mut (&mut entry).take(left.saturating_add(1)), &mut sink).map_err(SheetError::unreadable_xlsx)?;
        if read > left {
            return Err(limits.too_large());
        }
        left -= read;
        // The reader reserves room for as many strings as the table claims before
        // reading one: a claim of a trillion in a tiny file would abort the process.
        if sink.claimed > limits.cells as u64 {
            return Err(limits.too_many_cells());
        }
    }
    Ok(())
}

/// How far back a match may start in the bytes already seen: a `uniqueCount`
/// attribute cut by a chunk boundary is found whole in the next chunk.
const TAIL: usize = 256;

/// Swallows an entry's bytes; in the shared-string table, also finds the
/// largest string count it claims.
struct Measure {
    scan: bool,
    tail: Vec<u8>,
    claimed: u64,
}

impl Write for Measure {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.scan {
            let mut window = std::mem::take(&mut self.tail);
            window.extend_from_slice(buf);
            self.claimed = self.claimed.max(largest_unique_count(&window));
            let keep_from = window.len().saturating_sub(TAIL);
            window.drain(..keep_from);
            self.tail = window;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The largest `uniqueCount="N"` in the bytes; a number too long to be a count reads as `u64::MAX`.
fn largest_unique_count(bytes: &[u8]) -> u64 {
    const NAME: &[u8] = b"uniqueCount";
    let mut largest = 0;
    let mut from = 0;
    while let Some(at) = bytes[from..].windows(NAME.len()).position(|w| w == NAME) {
        let mut rest = &bytes[from + at + NAME.len()..];
        from += at + NAME.len();
        let skip_spaces = |r: &mut &[u8]| {
            while let [b, tail @ ..] = *r
                && b.is_ascii_whitespace()
            {
                *r = tail;
            }
        };
        skip_spaces(&mut rest);
        let [b'=', tail @ ..] = rest else { continue };
        rest = tail;
        skip_spaces(&mut rest);
        let [b'"' | b'\'', tail @ ..] = rest else { continue };
        let digits = tail.iter().take_while(|b| b.is_ascii_digit()).count();
        let count = if digits > 19 {
            u64::MAX
        } else {
            std::str::from_utf8(&tail[..digits]).ok().and_then(|d| d.parse().ok()).unwrap_or(0)
        };
        largest = largest.max(count);
    }
    largest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "test-support")]
    #[test]
    fn the_decompressed_streams_are_held_to_the_limit_whatever_the_sizes_declared() {
        let bomb = super::super::zip_bomb(8 << 20, true);
        let limits = SheetLimits { unpacked_bytes: 1 << 20, cells: MAX_CELLS };
        let mut zip = zip::ZipArchive::new(Cursor::new(bomb.as_slice())).unwrap();
        // Past the declared sizes (as if they had lied), the stream itself is cut.
        assert!(matches!(check_unpacked(&mut zip, &limits), Err(SheetError::TooLarge { limit_mb: 1 })));
        let roomy = SheetLimits { unpacked_bytes: 16 << 20, cells: MAX_CELLS };
        assert!(check_unpacked(&mut zip, &roomy).is_ok());
        assert!(check_declared(&mut zip, &roomy).is_ok());
        assert!(matches!(check_declared(&mut zip, &limits), Err(SheetError::TooLarge { .. })));
    }

    #[test]
    fn the_claimed_string_count_is_found_with_spaces_and_either_quote() {
        assert_eq!(largest_unique_count(b"<sst count=\"9\" uniqueCount=\"7\">"), 7);
        assert_eq!(largest_unique_count(b"<x:sst uniqueCount = '12' >"), 12);
        assert_eq!(largest_unique_count(b"<sst uniqueCount=\"3\"/><sst uniqueCount=\"40\"/>"), 40);
        assert_eq!(largest_unique_count(b"<sst count=\"9\">"), 0);
        assert_eq!(largest_unique_count(b"uniqueCount=\"123456789012345678901234\""), u64::MAX);
        assert_eq!(largest_unique_count(b"uniqueCount"), 0);
    }

    #[test]
    fn a_claim_cut_by_a_chunk_boundary_is_still_found() {
        let xml = b"<?xml version=\"1.0\"?><sst uniqueCount=\"1000000000000\"><si><t>a</t></si></sst>";
        for cut in 1..xml.len() {
            let mut sink = Measure { scan: true, tail: Vec::new(), claimed: 0 };
            sink.write_all(&xml[..cut]).unwrap();
            sink.write_all(&xml[cut..]).unwrap();
            assert_eq!(sink.claimed, 1_000_000_000_000, "cut at {cut}");
        }
    }
}

//! Zip bombs for the tests of the limits: a real workbook whose first sheet's
//! XML unpacks to gigabytes from a few megabytes, as one cell of one letter
//! repeated (the best deflate can do: about a thousand to one).
//!
//! Compressing gigabytes would take the test minutes, so one chunk of the
//! letter is compressed once with a full flush (byte-aligned, referring to
//! nothing before it) and its compressed bytes are repeated: a valid deflate
//! stream whose output is the chunk repeated.

use std::io::{Cursor, Read, Write};

use flate2::{Compress, Compression, FlushCompress};

const SHEET: &str = "xl/worksheets/sheet1.xml";

/// A workbook whose sheet XML unpacks to at least `unpacked` bytes (below 4 GiB).
/// An `honest` archive declares that size; a lying one claims a few kilobytes
/// and a checksum of nothing, as an attacker's would, to get past a size check.
pub fn zip_bomb(unpacked: u64, honest: bool) -> Vec<u8> {
    let prefix = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet \
                  xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>\
                  <row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>";
    let chunk = "A".repeat(1 << 20);
    let suffix = "</t></is></c></row></sheetData></worksheet>";
    let chunks = unpacked.saturating_sub((prefix.len() + suffix.len()) as u64).div_ceil(chunk.len() as u64);

    let mut data = deflate(prefix.as_bytes(), FlushCompress::Full);
    let chunk_deflated = deflate(chunk.as_bytes(), FlushCompress::Full);
    for _ in 0..chunks {
        data.extend_from_slice(&chunk_deflated);
    }
    data.extend(deflate(suffix.as_bytes(), FlushCompress::Finish));

    let size = (prefix.len() + suffix.len()) as u64 + chunks * chunk.len() as u64;
    let mut crc = crc32fast::Hasher::new();
    crc.update(prefix.as_bytes());
    let mut chunk_crc = crc32fast::Hasher::new();
    chunk_crc.update(chunk.as_bytes());
    for _ in 0..chunks {
        crc.combine(&chunk_crc);
    }
    let mut suffix_crc = crc32fast::Hasher::new();
    suffix_crc.update(suffix.as_bytes());
    crc.combine(&suffix_crc);
    let (declared, crc) = if honest { (size, crc.finalize()) } else { (4096, 0) };

    let mut archive = Archive::default();
    for (name, bytes) in small_workbook_entries() {
        if name != SHEET {
            archive.stored(&name, &bytes);
        }
    }
    archive.entry(SHEET, 8, crc, &data, declared);
    archive.finish()
}

/// Compresses bytes on their own as raw deflate, ending with a full flush or the final block.
fn deflate(input: &[u8], flush: FlushCompress) -> Vec<u8> {
    let finish = matches!(flush, FlushCompress::Finish);
    let mut compress = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(input.len() / 64 + 1024);
    let mut consumed = 0;
    loop {
        let before = compress.total_in();
        let status = compress.compress_vec(&input[consumed..], &mut out, flush).expect("deflate in memory");
        consumed += (compress.total_in() - before) as usize;
        // Done once all input is in and the flush had room to complete.
        let done = if finish {
            status == flate2::Status::StreamEnd
        } else {
            consumed == input.len() && out.len() < out.capacity()
        };
        if done {
            return out;
        }
        out.reserve(out.capacity());
    }
}

/// The entries of a one-sheet workbook as rust_xlsxwriter writes it, unpacked.
fn small_workbook_entries() -> Vec<(String, Vec<u8>)> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    workbook.add_worksheet().write_string(0, 0, "姓名").expect("a cell");
    let bytes = workbook.save_to_buffer().expect("a workbook");
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("the workbook's archive");
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).expect("an entry");
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).expect("its bytes");
            (entry.name().expect("a name").into_owned(), bytes)
        })
        .collect()
}

/// A zip archive written by hand, so an entry can carry any bytes and any sizes.
#[derive(Default)]
struct Archive {
    out: Vec<u8>,
    directory: Vec<u8>,
    entries: u16,
}

impl Archive {
    fn stored(&mut self, name: &str, bytes: &[u8]) {
        self.entry(name, 0, crc32fast::hash(bytes), bytes, bytes.len() as u64);
    }

    fn entry(&mut self, name: &str, method: u16, crc: u32, data: &[u8], declared: u64) {
        let offset = self.out.len() as u32;
        let (compressed, declared) = (data.len() as u32, declared as u32);
        let header = |out: &mut Vec<u8>, central: bool| {
            out.write_all(if central { b"PK\x01\x02" } else { b"PK\x03\x04" }).expect("memory");
            if central {
                out.extend(20u16.to_le_bytes());
            }
            // Version needed, flags, method, time, date (1980-01-01).
            for field in [20u16, 0, method, 0, 0x21] {
                out.extend(field.to_le_bytes());
            }
            out.extend(crc.to_le_bytes());
            out.extend(compressed.to_le_bytes());
            out.extend(declared.to_le_bytes());
            out.extend((name.len() as u16).to_le_bytes());
            out.extend(0u16.to_le_bytes());
            if central {
                // Comment length, disk, internal and external attributes, offset.
                for field in [0u16, 0, 0] {
                    out.extend(field.to_le_bytes());
                }
                out.extend(0u32.to_le_bytes());
                out.extend(offset.to_le_bytes());
            }
            out.extend(name.as_bytes());
        };
        header(&mut self.out, false);
        self.out.extend_from_slice(data);
        header(&mut self.directory, true);
        self.entries += 1;
    }

    fn finish(mut self) -> Vec<u8> {
        let offset = self.out.len() as u32;
        let size = self.directory.len() as u32;
        self.out.append(&mut self.directory);
        self.out.extend(b"PK\x05\x06");
        for field in [0u16, 0, self.entries, self.entries] {
            self.out.extend(field.to_le_bytes());
        }
        self.out.extend(size.to_le_bytes());
        self.out.extend(offset.to_le_bytes());
        self.out.extend(0u16.to_le_bytes());
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_bomb_is_a_workbook_that_unpacks_to_what_it_says() {
        let bytes = zip_bomb(5 << 20, true);
        assert!(bytes.len() < 64 << 10, "{} bytes", bytes.len());
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes.as_slice())).unwrap();
        let mut sheet = zip.by_name(SHEET).unwrap();
        let declared = sheet.size();
        let mut unpacked = 0u64;
        let mut buf = vec![0; 1 << 16];
        loop {
            let n = sheet.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            unpacked += n as u64;
        }
        assert_eq!(unpacked, declared);
        assert!(unpacked >= 5 << 20);
        drop(sheet);
        // Small enough to read whole: one cell of A.
        let bomb = crate::sheets::read_sheet(&bytes, crate::sheets::SheetFormat::Xlsx).unwrap();
        assert_eq!(bomb.headers.len(), 1);
        assert_eq!(bomb.headers[0].len(), 5 << 20);
        assert!(bomb.headers[0].bytes().all(|b| b == b'A'));
    }
}

//! Reading back what Chromium printed: pages and size (pdfinfo), text
//! (pdftotext) and QR codes from the rasterised pages (pdftoppm, rqrr).
//! Needs poppler-utils; the tests check for it with `programs_present`.

use std::path::Path;
use std::process::Command;

/// Runs a poppler tool and returns its standard output.
pub fn poppler(program: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// Pages and page size in points, from `pdfinfo`.
pub fn pdf_pages_and_size(pdf: &Path) -> (u32, f64, f64) {
    let info = String::from_utf8(poppler("pdfinfo", &[pdf.to_str().unwrap()])).unwrap();
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {name} in pdfinfo: {info}"))
            .to_string()
    };
    let pages = field("Pages:").parse().unwrap();
    // "595.276 x 841.89 pts (A4)"
    let size = field("Page size:");
    let mut dims = size.split_whitespace().filter_map(|w| w.parse::<f64>().ok());
    let (w, h) = (dims.next().unwrap(), dims.next().unwrap());
    (pages, w, h)
}

/// Page `page` (from 1) rasterised in grey at `dpi`: width, height, one byte a pixel.
pub fn rasterise(pdf: &Path, page: u32, dpi: u32) -> (usize, usize, Vec<u8>) {
    let prefix = pdf.with_extension("");
    let (page, dpi) = (page.to_string(), dpi.to_string());
    let args =
        ["-r", &dpi, "-gray", "-f", &page, "-l", &page, "-singlefile", pdf.to_str().unwrap(), prefix.to_str().unwrap()];
    poppler("pdftoppm", &args);
    let pgm = std::fs::read(prefix.with_extension("pgm")).unwrap();
    std::fs::remove_file(prefix.with_extension("pgm")).unwrap();
    // Binary PGM: "P5", width, height, maxval, each after white space
    // (comments from '#' to the end of a line), then one white space and the pixels.
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        match pgm[i] {
            b'#' => {
                while pgm[i] != b'\n' {
                    i += 1;
                }
            }
            c if c.is_ascii_whitespace() => {}
            _ => {
                let start = i;
                while !pgm[i].is_ascii_whitespace() {
                    i += 1;
                }
                fields.push(String::from_utf8_lossy(&pgm[start..i]).into_owned());
                continue;
            }
        }
        i += 1;
    }
    assert_eq!(fields[0], "P5", "a binary PGM");
    assert_eq!(fields[3], "255", "one byte a pixel");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = pgm[i + 1..].to_vec();
    assert_eq!(pixels.len(), w * h, "the whole raster");
    (w, h, pixels)
}

/// Every QR code on the first page, decoded from 150 dpi.
pub fn qr_codes(pdf: &Path) -> Vec<String> {
    qr_codes_on(pdf, 1, 150)
}

/// Every QR code on page `page` (from 1), decoded from `dpi`.
pub fn qr_codes_on(pdf: &Path, page: u32, dpi: u32) -> Vec<String> {
    let (w, h, pixels) = rasterise(pdf, page, dpi);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    img.detect_grids().iter().map(|g| g.decode().expect("the QR code decodes").1).collect()
}

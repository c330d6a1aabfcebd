//! Release certificates as the site manager prints them from a real
//! Chromium, on the demo's earlier flight (its last on-site day is today):
//! the batch page's button issues them, the print is one A4 page a person,
//! in Chinese and Russian, and each page's QR code, read back from the
//! rasterised PDF, opens the public verification page, which accepts it and
//! refuses it with one character changed. Needs poppler-utils.

mod common;

use std::path::PathBuf;

use common::pdf::{pdf_pages_and_size, poppler, qr_codes_on};
use common::{browser_tools, cordon, programs_present, serve, sign_in};
use cordon_store::{Database, Store};
use fantoccini::Locator;
use fantoccini::error::CmdError;
use fantoccini::wd::{PrintConfiguration, PrintSize};

const SITE: &str = "卓林酒店隔离点";
const EARLIER: &str = "SU6411 莫斯科—哈尔滨";

/// What anyone's phone gets at an address: no session.
async fn public(url: &str) -> (u16, String) {
    cordon_web::tls_ready();
    let res = reqwest::get(url).await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The code with one character changed (in its text, not the separator).
fn one_changed(code: &str, at: usize) -> String {
    let mut bytes = code.as_bytes().to_vec();
    let at = if bytes[at] == b'.' { at + 1 } else { at };
    bytes[at] = if bytes[at] == b'Q' { b'R' } else { b'Q' };
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn release_certificates_print_one_a4_page_each_and_their_qr_verifies_only_the_unaltered() {
    let Some((chromium, driver)) = browser_tools("certificate print test") else {
        return;
    };
    if !programs_present("certificate print test", &["pdfinfo", "pdftoppm", "pdftotext"], "poppler-utils") {
        return;
    }
    let root = std::env::temp_dir().join(format!("cordon_certificate_pdf_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let data = root.join("db");
    cordon(&data, &["demo"], None);
    let (batch, names) = {
        let store = Store::connect(&Database::choose(data.clone(), None)).await.unwrap();
        let system = cordon_domain::Actor::system();
        let site = store.site_named(&system, SITE).await.unwrap();
        let batch = store.batch_named(&system, site.id, EARLIER).await.unwrap();
        let stays = store.stays(&system, &batch, cordon_store::residents::Reveal::Masked).await.unwrap();
        store.close().await;
        (batch.id, stays.into_iter().map(|s| s.name).collect::<Vec<_>>())
    };
    assert_eq!(names.len(), 8, "the earlier flight's travellers");
    let (_server, base) = serve(&data).await;
    let (_driver, browser) = common::browser(&chromium, &driver, &root.join("profile"), (1280, 900)).await;
    let result = async {
        sign_in(&browser, &base, "demo-site-manager").await?;
        browser.goto(&format!("{base}/quarantine/batches/{batch}")).await?;
        browser.wait().for_element(Locator::Css("#issue-certificates")).await?.click().await?;
        browser.wait().for_element(Locator::Css("#cert-note")).await?;
        let note = browser.find(Locator::Css("#cert-note")).await?.text().await?;
        assert!(note.contains('8'), "eight issued: {note}");
        let sections = browser.find_all(Locator::Css("section.certificate")).await?;
        assert_eq!(sections.len(), 8, "one certificate a traveller");

        let pdf_bytes = browser.print(PrintConfiguration::builder().size(PrintSize::A4).build().unwrap()).await?;
        let out = PathBuf::from(concat!(env!("CARGO_TARGET_TMPDIR"), "/certificates"));
        std::fs::create_dir_all(&out).unwrap();
        let pdf = out.join("certificates.pdf");
        std::fs::write(&pdf, &pdf_bytes).unwrap();
        let (pages, w, h) = pdf_pages_and_size(&pdf);
        assert_eq!(pages, 8, "one A4 page each: {}", pdf.display());
        assert!((w - 595.3).abs() < 2.0 && (h - 841.9).abs() < 2.0, "A4: {w} x {h} pts");
        let text = String::from_utf8(poppler("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"])).unwrap();
        assert!(text.contains("解除集中隔离证明") && text.contains("Справка об окончании обсервации"), "{text}");
        for name in &names {
            assert!(text.contains(name.as_str()), "{name} is certified: {text}");
        }

        let mut codes = Vec::new();
        for page in 1..=pages {
            // A scan is tried at a few resolutions, as a phone tries a few frames.
            let found = [300, 200, 400, 250]
                .into_iter()
                .map(|dpi| qr_codes_on(&pdf, page, dpi))
                .find(|c| !c.is_empty())
                .unwrap_or_default();
            assert_eq!(found.len(), 1, "one readable QR code on page {page}: {found:?}");
            let code = found[0].strip_prefix(&format!("{base}/v/")).unwrap_or_else(|| panic!("{found:?}")).to_string();
            codes.push(code);
        }
        codes.dedup();
        assert_eq!(codes.len(), 8, "a code of its own on every page");

        // The first page's QR opens the verification page: genuine, with the name and dates.
        let (status, page) = public(&format!("{base}/v/{}", codes[0])).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("id=\"cert-valid\"") && page.contains(SITE), "{page}");
        assert!(names.iter().any(|n| page.contains(n.as_str())), "the person's name: {page}");
        browser.goto(&format!("{base}/v/{}", codes[0])).await?;
        browser.wait().for_element(Locator::Css("#cert-valid")).await?;
        // One character changed anywhere along the code: refused, every time.
        for at in [3, codes[0].len() / 2, codes[0].len() - 3] {
            let (status, page) = public(&format!("{base}/v/{}", one_changed(&codes[0], at))).await;
            assert_eq!(status, 404, "changed at {at}");
            assert!(page.contains("id=\"cert-invalid\""), "changed at {at}: {page}");
        }
        Ok::<_, CmdError>(())
    }
    .await;
    let _ = browser.close().await;
    let _ = std::fs::remove_dir_all(&root);
    result.expect("printing and verifying release certificates");
}

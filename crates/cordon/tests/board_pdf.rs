//! The notice board as a squad leader prints it from a real Chromium: the
//! WebDriver "Print Page" PDF is one A4 page (one A3 page at A3), its text has
//! the compound, the unit and the leader with her full phone, and its QR code,
//! read back from the rasterised page, is the compound's public page, which
//! opens without signing in. Needs poppler-utils (pdfinfo, pdftoppm, pdftotext).

mod common;

use std::path::{Path, PathBuf};

use common::pdf::{pdf_pages_and_size, poppler, qr_codes};
use common::{browser_tools, cordon, programs_present, serve};
use cordon_store::{Database, Store};
use fantoccini::error::CmdError;
use fantoccini::wd::{PrintConfiguration, PrintSize};
use fantoccini::{Client, Locator};

const COMPOUND: &str = "中和胡同小区";

/// A squad as `cordon squads list` has it.
struct Squad {
    unit: String,
    compound: String,
    members: usize,
    leader: String,
}

fn squads(data: &Path) -> Vec<Squad> {
    let csv = cordon(data, &["squads", "list", "--format", "csv"], None);
    csv.lines()
        .skip(1)
        .map(|l| {
            // id, unit, compounds, members, leader, ...
            let cols: Vec<&str> = l.split(',').collect();
            Squad {
                unit: cols[1].into(),
                compound: cols[2].into(),
                members: cols[3].parse().unwrap(),
                leader: cols[4].into(),
            }
        })
        .collect()
}

/// Signs in afresh (no cookies: no session, no language) on the way to a path.
async fn sign_in(browser: &Client, base: &str, path: &str, user: &str) -> Result<(), CmdError> {
    browser.goto(&format!("{base}/")).await?;
    browser.delete_all_cookies().await?;
    browser.goto(&format!("{base}{path}")).await?;
    browser.wait().for_element(Locator::Css("input[name=username]")).await?.send_keys(user).await?;
    browser.find(Locator::Css("input[name=password]")).await?.send_keys("cordon-demo-2022").await?;
    browser.find(Locator::Css("button[type=submit]")).await?.click().await?;
    Ok(())
}

/// The paper sizes the board offers: ?size=, WebDriver's paper, its size in points.
const PAPERS: [(&str, PrintSize, (f64, f64)); 2] =
    [("a4", PrintSize::A4, (595.3, 841.9)), ("a3", PrintSize { width: 29.7, height: 42.0 }, (841.9, 1190.6))];

/// Prints the board in a language on a paper and checks what any board must
/// be: one page of that paper, every member's name and full phone in its
/// text with the title, compound, units and leaders; one QR code, to this
/// server's `/c/{token}`. Returns the QR code's text and the leaders' phones.
async fn print_board(
    browser: &Client,
    base: &str,
    board: &str,
    lang: &str,
    paper: usize,
    squads: &[&Squad],
) -> Result<(String, Vec<String>), CmdError> {
    let (size, print_size, (pw, ph)) = PAPERS[paper].clone();
    let compound = &squads[0].compound;
    let page = format!("{board}?size={size}");
    browser.goto(&format!("{base}/lang/{lang}?back={}", page.replace('?', "%3F").replace('=', "%3D"))).await?;
    browser.wait().for_element(Locator::Css(&format!("html[lang^='{lang}'] .qr svg"))).await?;
    let url = browser.current_url().await?;
    assert_eq!((url.path(), url.query()), (board, Some(&*format!("size={size}"))), "on the board");
    let title = browser.find(Locator::Css("h1")).await?.text().await?;
    let mut members = Vec::new();
    for row in browser.find_all(Locator::Css("tbody tr")).await? {
        let cells = row.find_all(Locator::Css("td")).await?;
        members.push((cells[1].text().await?, cells[3].text().await?));
    }
    let squad_sizes: usize = squads.iter().map(|s| s.members).sum();
    assert_eq!(members.len(), squad_sizes, "every squad member at {compound} on the board");
    let leader_phones = squads
        .iter()
        .map(|s| members.iter().find(|(name, _)| *name == s.leader).expect("the leader on the board").1.clone())
        .collect();

    let pdf_bytes = browser.print(PrintConfiguration::builder().size(print_size).build().unwrap()).await?;
    let out = PathBuf::from(concat!(env!("CARGO_TARGET_TMPDIR"), "/boards"));
    std::fs::create_dir_all(&out).unwrap();
    let pdf = out.join(format!("board-{compound}-{lang}-{size}.pdf"));
    std::fs::write(&pdf, &pdf_bytes).unwrap();
    let shown = pdf.display();

    let (pages, w, h) = pdf_pages_and_size(&pdf);
    assert_eq!(pages, 1, "{shown} prints on one page");
    assert!((w - pw).abs() < 2.0 && (h - ph).abs() < 2.0, "{shown} is {size}: {w} x {h} pts");

    let text = String::from_utf8(poppler("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"])).unwrap();
    let units_and_leaders = squads.iter().flat_map(|s| [&s.unit, &s.leader]);
    for want in [&title, compound].into_iter().chain(units_and_leaders) {
        assert!(text.contains(want.as_str()), "{want} printed on {shown}: {text}");
    }
    for (name, phone) in &members {
        assert!(phone.len() == 11 && phone.chars().all(|c| c.is_ascii_digit()), "a full phone for {name}: {phone}");
        assert!(text.contains(name.as_str()) && text.contains(phone.as_str()), "{name} {phone} printed on {shown}");
    }

    let codes = qr_codes(&pdf);
    assert_eq!(codes.len(), 1, "one readable QR code on {shown}: {codes:?}");
    let token = codes[0].strip_prefix(&format!("{base}/c/")).unwrap_or_else(|| panic!("{shown}: {codes:?}"));
    assert!(!token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric()), "{shown}: {codes:?}");
    Ok((codes[0].clone(), leader_phones))
}

/// What a resident's phone gets at the QR code's address: no session, no sign-in.
async fn public_page(url: &str) -> String {
    cordon_web::tls_ready();
    let phone = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = phone.get(url).send().await.unwrap();
    assert_eq!(res.status(), 200, "{url} opens without signing in");
    res.text().await.unwrap()
}

/// Posts a relief squad of 20 cadres of a new unit at a compound, beside the squad there.
async fn post_relief_squad(store: &Store, compound: &str) {
    use cordon_store::imports::ImportKind;
    use cordon_store::test_support::{post_squad, sheet};
    let system = cordon_domain::Actor::system();
    store.upsert_unit(&system, "市支援服务中心", "City Relief Centre").await.unwrap();
    let cadres: Vec<[String; 6]> = (0..20)
        .map(|i| {
            let name = format!("{}{}", ["赵", "钱", "孙", "李", "周"][i % 5], ["援军", "支华", "助民", "卫东"][i / 5]);
            let party = if i % 2 == 0 { "是" } else { "否" };
            ["市支援服务中心".into(), name, "科员".into(), party.into(), format!("177000000{i:02}"), "男".into()]
        })
        .collect();
    let rows: Vec<Vec<&str>> = cadres.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    let cadres = sheet(&["单位", "姓名", "职务", "党员", "手机号", "性别"], &rows);
    store.import(&system, ImportKind::Cadres, &cadres, &|_| {}).await.unwrap();
    post_squad(store, "市支援服务中心", compound, 0).await;
}

async fn print_every_way(
    browser: &Client,
    base: &str,
    board: &str,
    squads: &[&Squad],
) -> Result<Vec<(String, Vec<String>)>, CmdError> {
    let mut printed = Vec::new();
    for (lang, paper) in [("zh", 0), ("zh", 1), ("en", 0), ("en", 1)] {
        printed.push(print_board(browser, base, board, lang, paper, squads).await?);
    }
    assert!(printed.windows(2).all(|p| p[0] == p[1]), "every print has the same code: {printed:?}");
    let (url, phones) = &printed[0];
    let page = public_page(url).await;
    for want in [&squads[0].compound].into_iter().chain(squads.iter().map(|s| &s.leader)).chain(phones) {
        assert!(page.contains(want.as_str()), "{want} on the public page {url}: {page}");
    }
    Ok(printed)
}

/// The board link on a compound's page.
async fn board_link(browser: &Client) -> Result<String, CmdError> {
    let board = browser.wait().for_element(Locator::Css("a[href$='/board']")).await?.attr("href").await?;
    Ok(board.expect("a link to the board"))
}

#[tokio::test]
async fn the_board_prints_on_one_page_with_a_qr_code_that_opens_the_compound_page() {
    let Some((chromium, driver)) = browser_tools("board print test") else {
        return;
    };
    if !programs_present("board print test", &["pdfinfo", "pdftoppm", "pdftotext"], "poppler-utils") {
        return;
    }
    let root = std::env::temp_dir().join(format!("cordon_board_pdf_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let data = root.join("db");
    cordon(&data, &["demo"], None);
    // The leader's compound; the demo's largest squad (the 20-person team),
    // the longest board; the compound of its second largest, where a relief
    // squad of 20 joins its 6: the longest board of two squads.
    let demo = squads(&data);
    let mut by_size: Vec<&Squad> = demo.iter().collect();
    by_size.sort_by_key(|s| std::cmp::Reverse(s.members));
    assert!(by_size[0].members >= 20, "the demo has its 20-person team");
    let (largest, joined) = (by_size[0].compound.clone(), by_size[1].compound.clone());
    let ids = {
        let store = Store::connect(&Database::choose(data.clone(), None)).await.unwrap();
        post_relief_squad(&store, &joined).await;
        let largest = cordon_store::test_support::compound_id(&store, &largest).await;
        let joined = cordon_store::test_support::compound_id(&store, &joined).await;
        store.close().await;
        [largest, joined]
    };
    let all = squads(&data);
    let at = |compound: &str| all.iter().filter(|s| s.compound == compound).collect::<Vec<_>>();
    let (ours, largest, joined) = (at(COMPOUND), at(&largest), at(&joined));
    assert_eq!((ours.len(), largest.len(), joined.len()), (1, 1, 2), "squads posted");

    let (_server, base) = serve(&data).await;
    let (_driver, browser) = common::browser(&chromium, &driver, &root.join("profile"), (1280, 900)).await;
    let result = async {
        // The squad leader signs in and goes to her compound's checkpoint board.
        sign_in(&browser, &base, "/places", "demo-leader").await?;
        browser.wait().for_element(Locator::LinkText(COMPOUND)).await?.click().await?;
        let board = board_link(&browser).await?;
        print_every_way(&browser, &base, &board, &ours).await?;

        // The command prints the longest boards: still one page each.
        for (id, squads) in ids.iter().zip([&largest, &joined]) {
            sign_in(&browser, &base, &format!("/places/{id}"), "demo-command").await?;
            let board = board_link(&browser).await?;
            print_every_way(&browser, &base, &board, squads).await?;
        }
        Ok::<_, CmdError>(())
    }
    .await;
    let _ = browser.close().await;
    let _ = std::fs::remove_dir_all(&root);
    result.expect("printing the board");
}

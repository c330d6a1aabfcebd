//! The residents export, streamed: the same rows as the list, masked and
//! formula-escaped, in id order; XLSX split into sheets; one audit entry.

use std::io::{Cursor, Write};

use calamine::Reader;
use cordon_domain::clock::Zone;
use cordon_domain::{Actor, Role};
use cordon_store::audit::AuditFilter;
use cordon_store::imports::ImportKind;
use cordon_store::residents::{Resident, ResidentFilter, Reveal};
use cordon_store::sheets::{SheetFormat, escape_formula};
use cordon_store::test_support::{SharedSink, engines, resident_id, seed, sheet, user};
use cordon_store::{Keyset, PageRequest, Store, StoreError};

const RESIDENT_HEADERS: [&str; 10] =
    ["街道", "社区", "小区", "楼栋", "单元", "房号", "姓名", "身份证号", "手机号", "标签"];

/// The import's columns, then age, sex and id.
const EXPORT_HEADERS: [&str; 13] =
    ["街道", "社区", "小区", "楼栋", "单元", "房号", "姓名", "身份证号", "手机号", "标签", "年龄", "性别", "编号"];

/// How many residents the generated set adds to the seed's four.
const GENERATED: u32 = 2_500;

fn none(_: &cordon_store::imports::ImportProgress) {}

/// Names that a spreadsheet would run as formulas, one in so many rows.
const FORMULAS: [&str; 4] = ["=HYPERLINK(\"http://evil.example\")", "+86号", "-1+1", "@SUM(A1:A2)"];

/// The seed plus `GENERATED` residents over both compounds, several
/// buildings, with phones, tags (one and two) and formula-like names.
async fn generated(s: &Store) {
    seed(s).await.unwrap();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for n in 0..GENERATED {
        let (street, community, compound) = if n % 3 == 0 {
            ("大有坊街道", "新一社区", "乙小区")
        } else {
            ("仁里街道", "民强社区", "甲小区")
        };
        let name =
            if n % 97 == 0 { FORMULAS[(n / 97) as usize % FORMULAS.len()].to_string() } else { format!("居民{n}") };
        let phone = if n % 5 == 0 { String::new() } else { format!("139{:08}", n) };
        let tags = match n % 11 {
            0 => "透析",
            1 => "独居老人；慢性病",
            _ => "",
        };
        rows.push(vec![
            street.into(),
            community.into(),
            compound.into(),
            format!("{}号楼", n % 7 + 1),
            format!("{}单元", n % 3 + 1),
            format!("{}", n % 40 + 101),
            name,
            resident_id(n),
            phone,
            tags.into(),
        ]);
    }
    let refs: Vec<Vec<&str>> = rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
    let refs: Vec<&[&str]> = refs.iter().map(|r| r.as_slice()).collect();
    s.import(&Actor::system(), ImportKind::Residents, &sheet(&RESIDENT_HEADERS, &refs), &none).await.unwrap();
}

/// What the list shows the actor, page by page, in id order: the reference.
async fn listed(s: &Store, actor: &Actor) -> Vec<Resident> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let got = s
            .residents(actor, &ResidentFilter::default(), Keyset::new(after, None, Some(500)), Zone::default())
            .await
            .unwrap();
        all.extend(got.items);
        match got.next {
            Some(next) => after = Some(next.parse().unwrap()),
            None => break,
        }
    }
    all.sort_by_key(|r| r.id);
    all
}

/// A listed resident as an export row should show them, formula-escaped:
/// the address split into the import's columns, the street and community
/// those of the seed's two compounds.
fn expected_cells(r: &Resident) -> Vec<String> {
    let tags: Vec<&str> = r.tags.iter().map(|t| t.zh()).collect();
    let (compound, rest) = r.address.split_once(' ').unwrap();
    let mut parts = rest.splitn(3, '-');
    let (building, entrance, room) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let (street, community) = match compound {
        "甲小区" => ("仁里街道", "民强社区"),
        "乙小区" => ("大有坊街道", "新一社区"),
        other => panic!("a compound of the seed: {other}"),
    };
    [
        street.to_string(),
        community.to_string(),
        compound.to_string(),
        building.to_string(),
        entrance.to_string(),
        room.to_string(),
        r.name.clone(),
        r.id_number_masked.clone(),
        r.phone_masked.clone().unwrap_or_default(),
        tags.join("；"),
        r.age.to_string(),
        r.sex.as_str().to_string(),
        r.id.to_string(),
    ]
    .iter()
    .map(|c| escape_formula(c).into_owned())
    .collect()
}

/// The records of a CSV export, exactly as written (no cell trimmed).
fn csv_records(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").expect("a BOM first");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// Every sheet of a workbook: its name and its rows (header first), as text.
fn xlsx_sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let formulas = book.worksheet_formula(&name).unwrap();
            assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no cell of {name} is a formula");
            let range = book.worksheet_range(&name).unwrap();
            let rows = range.rows().map(|row| row.iter().map(|c| c.to_string()).collect()).collect();
            (name, rows)
        })
        .collect()
}

async fn export_entries(s: &Store) -> Vec<Option<String>> {
    let filter = AuditFilter { entity: Some("residents".into()), ..Default::default() };
    let page = s.audit_entries(&Actor::system(), &filter, PageRequest { page: 1, per_page: 500 }).await.unwrap();
    page.items.into_iter().filter(|e| e.action == "export").map(|e| e.after_json).collect()
}

#[tokio::test]
async fn the_streamed_csv_is_the_residents_list_row_for_row_in_id_order_masked_and_formula_escaped() {
    for db in engines().await {
        let s = &db.store;
        generated(s).await;
        let worker = user(s, "w", Role::Community, "道外区/仁里街道/民强社区").await;
        let cmd = user(s, "cmd", Role::Command, "city").await;
        for (actor, sees) in
            [(&cmd, GENERATED as usize + 4), (&worker, (GENERATED - GENERATED.div_ceil(3)) as usize + 2)]
        {
            let reference = listed(s, actor).await;
            assert_eq!(reference.len(), sees, "{}: the list itself", db.engine);
            let sink = SharedSink::default();
            let rows = s
                .export_residents_to(actor, SheetFormat::Csv, Zone::default(), Reveal::Masked, sink.clone())
                .await
                .unwrap();
            assert_eq!(rows, sees as u64, "{}: the count returned", db.engine);
            let records = csv_records(&sink.bytes());
            assert_eq!(records[0], EXPORT_HEADERS, "{}", db.engine);
            assert_eq!(records.len(), sees + 1, "{}: one record per resident", db.engine);
            for (got, r) in records[1..].iter().zip(&reference) {
                assert_eq!(got, &expected_cells(r), "{}: resident {}", db.engine, r.id);
            }
            let text = String::from_utf8(sink.bytes()).unwrap();
            assert!(text.contains("'=HYPERLINK(") && text.contains(",'+86号,") && text.contains(",'-1+1,"));
            assert!(text.contains(",'@SUM(A1:A2),") && !text.contains(",=HYPERLINK("), "{}", db.engine);
            assert!(text.contains("139****0001") && !text.contains("13900000001"), "phones masked");
            assert!(!text.contains(&resident_id(1)), "ID numbers masked");
        }
        let entries = export_entries(s).await;
        assert_eq!(entries.len(), 2, "{}: one entry per export", db.engine);
        let counts: Vec<serde_json::Value> =
            entries.iter().map(|e| serde_json::from_str(e.as_deref().unwrap()).unwrap()).collect();
        assert!(counts.contains(&serde_json::json!({"rows": GENERATED + 4})), "{}: {counts:?}", db.engine);
    }
}

#[tokio::test]
async fn an_xlsx_export_past_the_sheet_cap_goes_on_in_numbered_sheets_each_with_the_header() {
    for db in engines().await {
        let s = &db.store;
        generated(s).await;
        let cmd = user(s, "cmd", Role::Command, "city").await;
        let reference = listed(s, &cmd).await;
        let cap = 1_000;
        let sink = SharedSink::default();
        let rows = s
            .export_residents_in_sheets_of(&cmd, SheetFormat::Xlsx, Zone::default(), Reveal::Masked, cap, sink.clone())
            .await
            .unwrap();
        assert_eq!(rows, reference.len() as u64);
        let sheets = xlsx_sheets(&sink.bytes());
        let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["residents", "residents 2", "residents 3"], "{}", db.engine);
        let sizes: Vec<usize> = sheets.iter().map(|(_, rows)| rows.len() - 1).collect();
        assert_eq!(sizes, [1_000, 1_000, reference.len() - 2_000], "{}", db.engine);
        let mut data = Vec::new();
        for (name, rows) in &sheets {
            assert_eq!(rows[0], EXPORT_HEADERS, "{}: the header of {name}", db.engine);
            data.extend(rows[1..].iter().cloned());
        }
        // calamine gives empty cells back as ""; every row once, in id order.
        let expected: Vec<Vec<String>> = reference.iter().map(expected_cells).collect();
        assert_eq!(data.len(), expected.len());
        for (got, want) in data.iter().zip(&expected) {
            assert_eq!(got, want, "{}", db.engine);
        }
        assert!(data.iter().any(|r| r[6] == "'=HYPERLINK(\"http://evil.example\")"), "formula names escaped");
        assert_eq!(export_entries(s).await.len(), 1, "{}: one entry for the whole workbook", db.engine);
    }
}

#[tokio::test]
async fn an_export_is_refused_before_it_writes_a_byte_to_a_role_without_export() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        // A squad member sees residents but may not export; an organisation user sees none.
        let member = user(s, "m", Role::SquadMember, "道外区/仁里街道/民强社区/甲小区").await;
        let org = user(s, "org", Role::Organisation, "city").await;
        for actor in [&member, &org] {
            for format in [SheetFormat::Csv, SheetFormat::Xlsx] {
                let sink = SharedSink::default();
                let got = s.export_residents_to(actor, format, Zone::default(), Reveal::Masked, sink.clone()).await;
                assert!(matches!(got, Err(StoreError::Forbidden)), "{}: {got:?}", db.engine);
                assert!(sink.bytes().is_empty(), "{}: nothing written", db.engine);
            }
        }
        assert!(export_entries(s).await.is_empty(), "{}: a refused export is no export", db.engine);
    }
}

/// A sink that fails after some bytes, as a download the client drops.
struct Failing(usize);

impl Write for Failing {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.0 < data.len() {
            return Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "gone"));
        }
        self.0 -= data.len();
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn an_export_whose_sink_fails_halfway_stops_with_an_error_and_is_still_audited() {
    for db in engines().await {
        let s = &db.store;
        generated(s).await;
        let cmd = user(s, "cmd", Role::Command, "city").await;
        let got =
            s.export_residents_to(&cmd, SheetFormat::Csv, Zone::default(), Reveal::Masked, Failing(100_000)).await;
        assert!(matches!(got, Err(StoreError::Sheet(_))), "{}: {got:?}", db.engine);
        let entries = export_entries(s).await;
        assert_eq!(entries.len(), 1, "{}", db.engine);
        let after: serde_json::Value = serde_json::from_str(entries[0].as_deref().unwrap()).unwrap();
        assert_eq!(after["complete"], false, "{}: {after}", db.engine);
        let rows = after["rows"].as_u64().unwrap();
        assert!(rows > 0 && rows < u64::from(GENERATED), "{}: the rows that went out: {rows}", db.engine);
    }
}

/// The export in the import's columns, with full numbers, imported again
/// changes nothing (formula-like names included); edited in two cells it
/// updates those two residents; the masked export holds no full number and is
/// refused by the import as masked; the full export is recorded as such.
#[tokio::test]
async fn the_full_export_imports_again_unchanged_and_the_masked_one_holds_no_full_number() {
    use cordon_domain::Key;
    use cordon_store::imports::BadReason;
    use cordon_store::sheets::read_sheet;
    let total = GENERATED as usize + 4;
    for db in engines().await {
        let s = &db.store;
        generated(s).await;
        let cmd = user(s, "cmd", Role::Command, "city").await;
        for format in [SheetFormat::Csv, SheetFormat::Xlsx] {
            let sink = SharedSink::default();
            s.export_residents_to(&cmd, format, Zone::default(), Reveal::Full, sink.clone()).await.unwrap();
            let sheet = read_sheet(&sink.bytes(), format).unwrap();
            assert_eq!(sheet.headers, EXPORT_HEADERS, "{}", db.engine);
            assert!(sheet.rows.iter().any(|r| r.cells[7] == resident_id(1)), "{}: full numbers", db.engine);
            let again = s.import(&cmd, ImportKind::Residents, &sheet, &none).await.unwrap();
            assert_eq!((again.imported, again.updated, again.unchanged), (0, 0, total), "{} {format:?}", db.engine);
        }
        // Edited as a community worker would: a new phone, another room.
        let sink = SharedSink::default();
        s.export_residents_to(&cmd, SheetFormat::Csv, Zone::default(), Reveal::Full, sink.clone()).await.unwrap();
        let mut sheet = read_sheet(&sink.bytes(), SheetFormat::Csv).unwrap();
        sheet.rows[10].cells[8] = "13700000010".into();
        sheet.rows[20].cells[5] = "909".into();
        let edited = s.import(&cmd, ImportKind::Residents, &sheet, &none).await.unwrap();
        assert_eq!((edited.imported, edited.updated, edited.unchanged), (0, 2, total - 2), "{}", db.engine);

        // Masked: no full ID number or phone anywhere, and the import says why it cannot take it.
        let sink = SharedSink::default();
        s.export_residents_to(&cmd, SheetFormat::Csv, Zone::default(), Reveal::Masked, sink.clone()).await.unwrap();
        let text = String::from_utf8(sink.bytes()).unwrap();
        assert!(!text.contains(&resident_id(1)) && !text.contains("13700000010"), "{}", db.engine);
        let masked = read_sheet(&sink.bytes(), SheetFormat::Csv).unwrap();
        let Err(StoreError::Rejected(report)) = s.import(&cmd, ImportKind::Residents, &masked, &none).await else {
            panic!("{}: a masked file is refused", db.engine)
        };
        assert!(report.total >= total, "{}: every ID number (and the masked phones)", db.engine);
        assert!(
            report.bad_rows.iter().any(|b| b.reason == BadReason::BadIdNumber(Key::IdNumberMasked)),
            "{}: {:?}",
            db.engine,
            &report.bad_rows[..2]
        );
        let entries = export_entries(s).await;
        let revealed = entries.iter().filter(|e| e.as_deref().is_some_and(|e| e.contains("\"reveal\":true"))).count();
        assert_eq!(revealed, 3, "{}: each full export recorded as one: {entries:?}", db.engine);
    }
}

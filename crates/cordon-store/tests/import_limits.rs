//! Uploaded files against the limits and the rules around them: who may send
//! a file at all, how large a workbook may unpack, how many cells a sheet may
//! have, text that is neither UTF-8 nor GBK, the full error report of a file
//! with many bad cells, and the same file imported several times at once.

use std::io::{Cursor, Read, Write};
use std::time::{Duration, Instant};

use cordon_domain::{Actor, Key, Role};
use cordon_store::StoreError;
use cordon_store::audit::AuditFilter;
use cordon_store::imports::{ImportKind, LISTED_BAD_CELLS, REPORTS_KEPT, Upload};
use cordon_store::sheets::{MAX_CELLS, MAX_UNPACKED_BYTES, SheetFormat, read_sheet, zip_bomb};
use cordon_store::test_support::{engines, resident_file, resident_id, seed, sqlite, user};
use cordon_store::{PageRequest, Store};

fn none(_: &cordon_store::imports::ImportProgress) {}

fn upload<'a>(name: &'a str, bytes: &'a [u8]) -> Upload<'a> {
    Upload {
        name,
        body: cordon_store::imports::Body::Bytes(bytes),
        format: SheetFormat::from_file_name(name).unwrap_or(SheetFormat::Csv),
    }
}

async fn community(store: &Store, name: &str) -> Actor {
    user(store, name, Role::Community, "道外区/仁里街道/民强社区").await
}

fn refusal_key(error: &StoreError) -> Key {
    match error {
        StoreError::Sheet(sheet) => sheet.refusal().key,
        other => other.refusal().map(|r| r.key).unwrap_or_else(|| panic!("a refusal, got {other:?}")),
    }
}

#[tokio::test]
async fn a_role_without_an_import_right_is_refused_before_the_file_is_read() {
    let db = sqlite().await;
    seed(&db.store).await.unwrap();
    let member = user(&db.store, "队员", Role::SquadMember, "道外区/仁里街道/民强社区/甲小区").await;
    let leader = user(&db.store, "队长", Role::SquadLeader, "道外区/仁里街道/民强社区/甲小区").await;
    let community = community(&db.store, "社区").await;
    let bomb = zip_bomb(3 << 30, false);
    for actor in [&member, &leader] {
        for kind in ImportKind::ALL {
            let started = Instant::now();
            let error = db.store.import_file(actor, kind, upload("x.xlsx", &bomb), &none).await.unwrap_err();
            assert!(matches!(error, StoreError::Forbidden), "{:?} {kind:?}: {error:?}", actor.role);
            assert!(started.elapsed() < Duration::from_secs(1));
            // Not even an unreadable file is looked at.
            let error = db.store.import_file(actor, kind, upload("x.xlsx", b"PK\x03\x04"), &none).await.unwrap_err();
            assert!(matches!(error, StoreError::Forbidden), "{error:?}");
        }
    }
    // A community worker may import residents, but not places or cadres.
    for kind in [ImportKind::Places, ImportKind::Cadres] {
        let error = db.store.import_file(&community, kind, upload("x.xlsx", &bomb), &none).await.unwrap_err();
        assert!(matches!(error, StoreError::Forbidden), "{kind:?}: {error:?}");
    }
}

#[tokio::test]
async fn a_worksheet_with_more_cells_than_the_limit_is_refused_without_holding_them() {
    // Two cells a row, one in column A and one in the last column: 16,384 cells
    // as held, so 700 rows make 11.5 million from a file of a few kilobytes.
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for row in 0..700 {
        sheet.write_string(row, 0, "姓名").unwrap();
        sheet.write_string(row, 16_383, "远").unwrap();
    }
    let bytes = workbook.save_to_buffer().unwrap();
    assert!(bytes.len() < 64 << 10, "{} bytes", bytes.len());
    let started = Instant::now();
    let error = read_sheet(&bytes, SheetFormat::Xlsx).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    let refusal = error.refusal();
    assert_eq!(refusal, Key::SheetTooManyCells.with("limit", MAX_CELLS), "{error:?}");
}

/// Rewrites one entry of a workbook's archive.
fn with_entry(workbook: &[u8], name: &str, change: impl Fn(String) -> String) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(Cursor::new(workbook)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let entry_name = entry.name().unwrap().into_owned();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        if entry_name == name {
            text = change(text);
        }
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        out.start_file(entry_name, options).unwrap();
        out.write_all(text.as_bytes()).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[tokio::test]
async fn a_shared_string_table_claiming_a_trillion_strings_is_refused_before_the_reader_reserves_room() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    workbook.add_worksheet().write_string(0, 0, "姓名").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let claims = |count: &'static str| {
        with_entry(&bytes, "xl/sharedStrings.xml", move |xml| {
            let at = xml.find("uniqueCount=\"").expect("a count") + "uniqueCount=\"".len();
            let end = at + xml[at..].find('"').unwrap();
            format!("{}{count}{}", &xml[..at], &xml[end..])
        })
    };
    // As it is, the workbook reads.
    assert_eq!(read_sheet(&claims("1"), SheetFormat::Xlsx).unwrap().headers, ["姓名"]);
    // The reader would reserve 24 TB for the claim and abort the process.
    let error = read_sheet(&claims("1000000000000"), SheetFormat::Xlsx).unwrap_err();
    assert_eq!(error.refusal(), Key::SheetTooManyCells.with("limit", MAX_CELLS), "{error:?}");
}

#[tokio::test]
async fn a_district_sized_workbook_is_well_inside_the_limits() {
    // 20,000 rows of ten columns as rust_xlsxwriter writes them in constant
    // memory (strings inline, the larger form), scaled to 500,000 rows.
    const ROWS: u32 = 20_000;
    const DISTRICT: u64 = 500_000;
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory().unwrap();
    let headers = ["街道", "社区", "小区", "楼栋", "单元", "房号", "姓名", "身份证号", "手机号", "标签"];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..=ROWS {
        let cells = [
            "大有坊街道".to_string(),
            "新一社区".into(),
            format!("第{}小区", r % 50),
            format!("{}号楼", r % 30),
            format!("{}单元", r % 6),
            format!("{}", 100 + r % 900),
            format!("居民{r}"),
            resident_id(r),
            format!("138{r:08}"),
            "独居老人；慢性病".into(),
        ];
        for (c, v) in cells.iter().enumerate() {
            sheet.write_string(r, c as u16, v).unwrap();
        }
    }
    let bytes = workbook.save_to_buffer().unwrap();
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.as_slice())).unwrap();
    let unpacked: u64 = (0..zip.len()).map(|i| zip.by_index_raw(i).unwrap().size()).sum();
    let district_unpacked = unpacked * DISTRICT / u64::from(ROWS);
    eprintln!(
        "{ROWS} rows: {} bytes packed, {unpacked} unpacked ({} a row); {DISTRICT} rows would unpack to {} MiB of the {} MiB allowed",
        bytes.len(),
        unpacked / u64::from(ROWS),
        district_unpacked >> 20,
        MAX_UNPACKED_BYTES >> 20
    );
    assert!(district_unpacked < MAX_UNPACKED_BYTES * 3 / 4, "{district_unpacked} bytes");
    assert!(DISTRICT as usize * headers.len() <= MAX_CELLS / 2);
    let sheet = read_sheet(&bytes, SheetFormat::Xlsx).expect("the file reads");
    assert_eq!(sheet.rows.len(), ROWS as usize);
    assert_eq!(sheet.rows[0].cells[7], resident_id(1));
}

#[tokio::test]
async fn a_csv_in_neither_utf8_nor_gbk_is_refused_naming_the_row_and_nothing_is_written() {
    for db in engines().await {
        seed(&db.store).await.unwrap();
        let actor = community(&db.store, "社区").await;
        let mut bytes = resident_file(1, 3, false);
        // Row 3 (the second resident) gets a byte that is neither.
        let second = bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(1).unwrap().0 + 1;
        bytes.insert(second + 3, 0xFF);
        let error = db.store.import_file(&actor, ImportKind::Residents, upload("居民.csv", &bytes), &none).await;
        let error = error.unwrap_err();
        let StoreError::Sheet(sheet) = &error else { panic!("{}: {error:?}", db.engine) };
        assert_eq!(sheet.refusal(), Key::SheetBadEncoding.with("row", 3usize), "{}", db.engine);
        let found = db
            .store
            .residents(&actor, &Default::default(), PageRequest::new(None, None), Default::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|r| r.name.starts_with("居民"))
            .count();
        assert_eq!(found, 0, "{}", db.engine);
    }
}

#[tokio::test]
async fn a_file_with_50000_bad_rows_lists_the_first_1000_and_keeps_every_bad_cell_for_its_user() {
    for db in engines().await {
        seed(&db.store).await.unwrap();
        let actor = community(&db.store, "社区").await;
        let other = community(&db.store, "社区二").await;
        let bytes = resident_file(1, 50_000, true);
        let started = Instant::now();
        let error = db.store.import_file(&actor, ImportKind::Residents, upload("居民.csv", &bytes), &none).await;
        let StoreError::Rejected(report) = error.unwrap_err() else { panic!("{}: a rejection", db.engine) };
        eprintln!("{}: 50,000 bad rows checked and kept in {:?}", db.engine, started.elapsed());
        assert_eq!(report.total, 50_000, "{}", db.engine);
        assert_eq!(report.bad_rows.len(), LISTED_BAD_CELLS);
        assert_eq!(report.bad_rows.last().map(|b| b.row), Some(LISTED_BAD_CELLS + 1));
        let id = report.report.expect("the full report is kept");

        let kept = db.store.import_report(&actor, id).await.unwrap();
        assert_eq!((kept.total, kept.file_name.as_str(), kept.kind), (50_000, "居民.csv", ImportKind::Residents));
        let mut rows = 0;
        for (i, bad) in kept.bad_cells().enumerate() {
            assert_eq!(bad.row, i + 2, "{}", db.engine);
            assert_eq!(bad.column, "身份证号");
            assert_eq!(bad.value, format!("12345{}", i + 1));
            assert_eq!(bad.reason.code(), "bad-id-number");
            rows += 1;
        }
        assert_eq!(rows, 50_000, "{}: every bad cell", db.engine);
        // Kept for its user only.
        assert!(matches!(db.store.import_report(&other, id).await, Err(StoreError::NotFound)));
        assert!(matches!(db.store.import_report(&Actor::system(), id).await, Err(StoreError::NotFound)));
        // A plain import of a sheet keeps no report.
        let sheet = read_sheet(&bytes, SheetFormat::Csv).unwrap();
        let StoreError::Rejected(plain) =
            db.store.import(&actor, ImportKind::Residents, &sheet, &none).await.unwrap_err()
        else {
            panic!("a rejection")
        };
        assert_eq!((plain.total, plain.report), (50_000, None));
    }
}

#[tokio::test]
async fn a_user_keeps_only_their_latest_reports() {
    for db in engines().await {
        seed(&db.store).await.unwrap();
        let actor = community(&db.store, "社区").await;
        let mut ids = Vec::new();
        for n in 0..=REPORTS_KEPT as u32 {
            let bytes = resident_file(n * 10, 2, true);
            let error = db.store.import_file(&actor, ImportKind::Residents, upload("坏.csv", &bytes), &none).await;
            let StoreError::Rejected(report) = error.unwrap_err() else { panic!("a rejection") };
            ids.push(report.report.unwrap());
        }
        assert!(matches!(db.store.import_report(&actor, ids[0]).await, Err(StoreError::NotFound)), "{}", db.engine);
        for id in &ids[1..] {
            assert_eq!(db.store.import_report(&actor, *id).await.unwrap().bad_cells().count(), 2);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_file_imported_several_times_at_once_is_imported_once_and_again_later_changes_nothing() {
    for db in engines().await {
        seed(&db.store).await.unwrap();
        let actor = community(&db.store, "社区").await;
        for round in 0..3u32 {
            let bytes = resident_file(10_000 + round * 2_000, 1_500, false);
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..4 {
                let (store, actor, bytes) = (db.store.clone(), actor.clone(), bytes.clone());
                tasks.spawn(async move {
                    store.import_file(&actor, ImportKind::Residents, upload("同一文件.csv", &bytes), &none).await
                });
            }
            let (mut imported, mut refused) = (Vec::new(), 0);
            while let Some(result) = tasks.join_next().await {
                match result.unwrap() {
                    Ok(summary) => imported.push(summary),
                    Err(error) => {
                        assert_eq!(refusal_key(&error), Key::ImportRunning, "{}: {error:?}", db.engine);
                        assert!(matches!(error, StoreError::Conflict(_)));
                        refused += 1;
                    }
                }
            }
            assert_eq!(imported.len(), 1, "{} round {round}: one import, {imported:?}", db.engine);
            assert_eq!((imported[0].imported, refused), (1_500, 3), "{}", db.engine);

            let again = db.store.import_file(&actor, ImportKind::Residents, upload("again.csv", &bytes), &none).await;
            let again = again.unwrap();
            assert_eq!((again.imported, again.updated, again.unchanged), (0, 0, 1_500), "{}", db.engine);
        }
        // Each finished import recorded, with one audit entry naming the file and its hash.
        let runs = db.store.import_runs(&Actor::system(), 100).await.unwrap();
        assert_eq!(runs.len(), 6, "{}", db.engine);
        assert!(runs.iter().all(|r| r.kind == "residents" && r.user_id == Some(actor.user_id) && r.sha256.len() == 64));
        assert_eq!(runs[0].file_name, "again.csv");
        assert_eq!((runs[1].file_name.as_str(), runs[1].imported, runs[0].unchanged), ("同一文件.csv", 1_500, 1_500));
        assert!(runs.iter().all(|r| r.started_at <= r.finished_at));
        let filter = AuditFilter { entity: Some("import".into()), ..Default::default() };
        let entries =
            db.store.audit_entries(&Actor::system(), &filter, PageRequest::new(None, Some(100))).await.unwrap().items;
        assert_eq!(entries.len(), 6, "{}", db.engine);
        let last: serde_json::Value = serde_json::from_str(entries[0].after_json.as_deref().unwrap()).unwrap();
        assert_eq!(last["file_name"], "again.csv");
        assert_eq!(last["sha256"], runs[0].sha256.as_str());
        assert_eq!((last["imported"].as_i64(), last["unchanged"].as_i64()), (Some(0), Some(1_500)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_import_that_dies_inside_its_write_transaction_leaves_no_lock_and_the_file_imports_again() {
    for db in engines().await {
        seed(&db.store).await.unwrap();
        let actor = community(&db.store, "社区").await;
        let bytes = resident_file(30_000, 40_000, false);
        // The import is cut off (its task dropped, as a crash would) once it
        // reports progress, which it does only inside its write transaction.
        let (writing, mut in_transaction) = tokio::sync::mpsc::unbounded_channel();
        let dying = {
            let (store, actor, bytes) = (db.store.clone(), actor.clone(), bytes.clone());
            tokio::spawn(async move {
                let progress = move |p: &cordon_store::imports::ImportProgress| {
                    let _ = writing.send(p.rows_written);
                };
                store.import_file(&actor, ImportKind::Residents, upload("居民.csv", &bytes), &progress).await
            })
        };
        in_transaction.recv().await.expect("the import reaches its write transaction");
        dying.abort();
        assert!(dying.await.unwrap_err().is_cancelled(), "{}: the import was cut off", db.engine);

        // No lock is left: the same file imports at once, whole.
        let again = tokio::time::timeout(
            Duration::from_secs(20),
            db.store.import_file(&actor, ImportKind::Residents, upload("居民.csv", &bytes), &none),
        )
        .await
        .unwrap_or_else(|_| panic!("{}: the import waited for a lock nobody holds", db.engine))
        .unwrap();
        assert_eq!((again.imported, again.updated, again.unchanged), (40_000, 0, 0), "{}", db.engine);
        let runs = db.store.import_runs(&Actor::system(), 10).await.unwrap();
        assert_eq!(runs.len(), 1, "{}: only the finished import is recorded", db.engine);
    }
}

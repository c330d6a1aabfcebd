//! Imports from real files: UTF-8 CSV, GBK CSV as Excel and WPS save it, XLSX,
//! and English headers in another order.

use cordon_domain::Actor;
use cordon_domain::clock::Zone;
use cordon_store::imports::ImportKind;
use cordon_store::residents::ResidentFilter;
use cordon_store::sheets::{SheetFormat, read_sheet};
use cordon_store::test_support::{engines, id_number, seed, sqlite};
use cordon_store::{PageRequest, Store};

fn none(_: &cordon_store::imports::ImportProgress) {}

async fn import_bytes(store: &Store, bytes: &[u8], format: SheetFormat) -> cordon_store::imports::ImportSummary {
    let sheet = read_sheet(bytes, format).expect("readable");
    store.import(&Actor::system(), ImportKind::Residents, &sheet, &none).await.expect("imported")
}

async fn names(store: &Store) -> Vec<String> {
    let mut v: Vec<String> = store
        .residents(&Actor::system(), &ResidentFilter::default(), PageRequest::new(Some(1), Some(500)), Zone::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.name)
        .collect();
    v.sort();
    v
}

fn csv_text() -> String {
    format!(
        "街道,社区,小区,楼栋,单元,房号,姓名,身份证号,手机号,标签\n\
         仁里街道,民强社区,甲小区,5号楼,2单元,501,张伟,{},138 0000 0051,独居老人；慢性病\n\
         大有坊街道,新一社区,乙小区,6号楼,1单元,601,李娜,{},,\n",
        id_number(51),
        id_number(52)
    )
}

#[tokio::test]
async fn a_utf8_csv_with_a_bom_imports_and_a_second_import_changes_nothing() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend(csv_text().as_bytes());
        let first = import_bytes(s, &bytes, SheetFormat::Csv).await;
        assert_eq!((first.imported, first.updated, first.unchanged), (2, 0, 0), "{}", db.engine);
        let again = import_bytes(s, &bytes, SheetFormat::Csv).await;
        assert_eq!((again.imported, again.updated, again.unchanged), (0, 0, 2), "{}", db.engine);
        assert!(names(s).await.contains(&"张伟".to_string()));
        let tagged = s
            .residents(
                &Actor::system(),
                &ResidentFilter {
                    tag: Some(cordon_domain::residents::SpecialGroup::ElderlyAlone),
                    ..Default::default()
                },
                PageRequest::new(None, None),
                Zone::default(),
            )
            .await
            .unwrap();
        assert!(tagged.items.iter().any(|r| r.name == "张伟"));
    }
}

#[tokio::test]
async fn a_gbk_csv_as_excel_saves_it_imports_with_its_chinese_intact() {
    let db = sqlite().await;
    seed(&db.store).await.unwrap();
    let text = csv_text();
    let (gbk, _, had_errors) = encoding_rs::GBK.encode(&text);
    assert!(!had_errors);
    let summary = import_bytes(&db.store, &gbk, SheetFormat::Csv).await;
    assert_eq!(summary.imported, 2);
    assert!(names(&db.store).await.contains(&"李娜".to_string()));
}

#[tokio::test]
async fn an_xlsx_with_english_headers_in_another_order_imports() {
    let db = sqlite().await;
    seed(&db.store).await.unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let headers =
        ["name", "id_number", "phone", "street", "community", "compound", "building", "entrance", "room", "tags"];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let id = id_number(61);
    let row = ["王芳", id.as_str(), "", "仁里街道", "民强社区", "甲小区", "7号楼", "1单元", "701", "pregnant"];
    for (c, v) in row.iter().enumerate() {
        sheet.write_string(1, c as u16, *v).unwrap();
    }
    // A phone typed as a number, as spreadsheets often hold it.
    sheet.write_number(1, 2, 13800000061.0).unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let summary = import_bytes(&db.store, &bytes, SheetFormat::Xlsx).await;
    assert_eq!(summary.imported, 1);
    let found = db
        .store
        .residents(
            &Actor::system(),
            &ResidentFilter { q: Some("王芳".into()), ..Default::default() },
            PageRequest::new(None, None),
            Zone::default(),
        )
        .await
        .unwrap();
    assert_eq!(found.items[0].phone_masked.as_deref(), Some("138****0061"));
    assert_eq!(found.items[0].address, "甲小区 7号楼-1单元-701");
}

/// A roll opened and saved again by an office suite: the ID numbers kept in
/// number cells (15 significant digits, then zeros) and, in CSV, written in the
/// exponent form; phones in number cells. Every ID number is refused with the
/// message that says to format the column as text, not as a typo; the phones are read.
#[tokio::test]
async fn id_numbers_an_office_suite_kept_as_numbers_are_refused_with_the_text_column_message() {
    use cordon_domain::Key;
    use cordon_store::imports::BadReason;
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in ["街道", "社区", "小区", "楼栋", "单元", "房号", "姓名", "身份证号", "手机号"].iter().enumerate()
        {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        for r in 1..=3u32 {
            for (c, v) in ["仁里街道", "民强社区", "甲小区", "8号楼", "1单元", "801"].iter().enumerate()
            {
                sheet.write_string(r, c as u16, *v).unwrap();
            }
            sheet.write_string(r, 6, format!("居民{r}")).unwrap();
            // A number cell cannot hold a final X.
            let digits = (70..).map(id_number).filter(|i| !i.ends_with('X')).nth(r as usize).unwrap();
            let id: f64 = digits.parse().unwrap();
            sheet.write_number(r, 7, id).unwrap();
            sheet.write_number(r, 8, 13800000070.0 + f64::from(r)).unwrap();
        }
        let xlsx = book.save_to_buffer().unwrap();
        let csv = String::from(
            "街道,社区,小区,楼栋,单元,房号,姓名,身份证号,手机号\n仁里街道,民强社区,甲小区,8号楼,1单元,801,居民4,2.30104E+17,13800000074\n",
        );
        for (bytes, format, rows) in [(xlsx, SheetFormat::Xlsx, 3), (csv.into_bytes(), SheetFormat::Csv, 1)] {
            let sheet = read_sheet(&bytes, format).unwrap();
            let Err(cordon_store::StoreError::Rejected(report)) =
                s.import(&Actor::system(), ImportKind::Residents, &sheet, &none).await
            else {
                panic!("{}: the file is refused", db.engine)
            };
            assert_eq!(report.total, rows, "{}: only the ID numbers are bad: {:?}", db.engine, report.bad_rows);
            for bad in &report.bad_rows {
                assert_eq!(bad.column, "身份证号");
                assert_eq!(bad.reason, BadReason::BadIdNumber(Key::IdNumberLostDigits), "{}: {}", db.engine, bad.value);
            }
        }
        assert!(names(s).await.iter().all(|n| !n.starts_with("居民")), "{}: nothing written", db.engine);
    }
}

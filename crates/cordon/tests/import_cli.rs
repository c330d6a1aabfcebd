//! `cordon import` with a file of many bad rows: the first 1,000 on stderr with
//! the total, every one in the `--report` file; a file it cannot read; and an
//! import killed halfway, which leaves no lock behind.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use cordon_domain::IdNumber;
use cordon_store::Database;
use cordon_store::test_support::{engines, seed};

mod common;

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_file_of_50000_bad_rows_lists_1000_with_the_total_and_writes_every_one_to_the_report() {
    let dir = Dir(std::env::temp_dir().join(format!("cordon_import_cli_{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).unwrap();
    let (d, db) = (&dir.0, dir.0.join("db"));
    let places = d.join("places.csv");
    std::fs::write(&places, "市,区,街道,社区,小区,卡口\n哈尔滨市,道外区,仁里街道,民强社区,甲小区,东门\n").unwrap();
    common::cordon(&db, &["import", "places", places.to_str().unwrap()], None);

    let mut csv = String::from("街道,社区,小区,楼栋,单元,房号,姓名,身份证号\n");
    for n in 1..=50_000 {
        csv.push_str(&format!("仁里街道,民强社区,甲小区,1号楼,1单元,{},居民{n},12345{n}\n", n % 500 + 1));
    }
    let bad = d.join("bad.csv");
    std::fs::write(&bad, csv).unwrap();
    let report = d.join("report.csv");
    let out =
        common::run(&db, &["import", "residents", bad.to_str().unwrap(), "--report", report.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.len() < 1 << 20, "{} bytes on stderr", stderr.len());
    assert_eq!(stderr.lines().filter(|l| l.contains("\t身份证号\t")).count(), 1000);
    assert!(stderr.contains("50000 bad cell(s); nothing was imported (the first 1000 are listed"), "{stderr}");
    let written = std::fs::read_to_string(&report).unwrap();
    let lines: Vec<&str> = written.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 50_001);
    assert_eq!(lines[0], "Row,Column,Value,Reason");
    assert!(lines[50_000].starts_with("50001,身份证号,1234550000,"), "{}", lines[50_000]);

    // A file neither UTF-8 nor GBK: refused with the row, exit code 2.
    let mut bytes = b"\xE5\xA7\x93\xE5\x90\x8D\n\xE5\xBC\xA0\xE4\xB8\x89\n".to_vec();
    bytes.extend(b"\xFF\n");
    let mixed = d.join("mixed.csv");
    std::fs::write(&mixed, bytes).unwrap();
    let out = common::run(&db, &["import", "residents", mixed.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("row 3 of the file is neither UTF-8 nor GBK text"));
}

#[test]
fn the_operators_file_is_read_whole_however_many_cells_an_upload_may_have() {
    let dir = Dir(std::env::temp_dir().join(format!("cordon_import_cli_cells_{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).unwrap();
    let db = dir.0.join("db");
    // A district's roll is a million rows of ten columns: more cells than an
    // upload may have. This one is as many cells in little space (short rows
    // are held padded to the header), and lacks the ID-number column, so the
    // answer tells whether the whole file was read.
    let rows = cordon_store::sheets::MAX_CELLS / 10 + 1;
    let mut csv = String::from("街道,社区,小区,楼栋,单元,房号,姓名,手机号,标签,备注\n");
    csv.push_str(&"x\n".repeat(rows));
    let upload = cordon_store::sheets::read_sheet(csv.as_bytes(), cordon_store::sheets::SheetFormat::Csv);
    assert!(matches!(upload, Err(cordon_store::sheets::SheetError::TooManyCells { .. })), "an upload is capped");
    let file = dir.0.join("district.csv");
    std::fs::write(&file, csv).unwrap();
    let out = common::run(&db, &["import", "residents", file.to_str().unwrap()], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("the worksheet has more than"), "not refused for its size: {stderr}");
    assert!(stderr.contains("1 bad cell(s); nothing was imported"), "{stderr}");
    assert!(stderr.lines().any(|l| l.starts_with("1\tid_number\t")), "the missing column is named: {stderr}");
}

/// The data directory and further arguments with which the binary opens this database.
fn opened_by(database: &Database, spare: &std::path::Path) -> (PathBuf, Vec<String>) {
    match database {
        Database::Sqlite { data_dir } => (data_dir.clone(), vec![]),
        Database::Postgres { url } => (spare.to_path_buf(), vec!["--database-url".into(), url.clone()]),
    }
}

#[tokio::test]
async fn an_import_killed_inside_its_write_transaction_leaves_no_lock_and_the_file_imports_again() {
    let dir = Dir(std::env::temp_dir().join(format!("cordon_import_kill_{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).unwrap();
    // Large enough that writing takes most of a second after the first rows are
    // reported, so the kill lands inside the write transaction on a busy machine.
    let mut csv = String::from("街道,社区,小区,楼栋,单元,房号,姓名,身份证号\n");
    for n in 0..150_000u32 {
        let born = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + chrono::Duration::days(i64::from(n / 1000));
        let id = IdNumber::from_body(&format!("230104{}{:03}", born.format("%Y%m%d"), n % 1000)).unwrap();
        csv.push_str(&format!(
            "仁里街道,民强社区,甲小区,{}号楼,1单元,{},居民{n},{}\n",
            n % 20 + 1,
            n % 500 + 1,
            id.as_str()
        ));
    }
    let file = dir.0.join("居民.csv");
    std::fs::write(&file, csv).unwrap();
    let file = file.to_str().unwrap();

    for db in engines().await {
        seed(&db.store).await.unwrap();
        let (data, database) = opened_by(&db.database, &dir.0.join("data"));
        let mut args: Vec<&str> = database.iter().map(String::as_str).collect();
        args.extend(["import", "residents", file]);
        let mut child = Command::new(env!("CARGO_BIN_EXE_cordon"))
            .arg("--data-dir")
            .arg(&data)
            .args(&args)
            .env_remove("CORDON_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // It reports progress only inside its write transaction: killed at the first report.
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let first = stderr.lines().map_while(Result::ok).find(|l| l.starts_with("importing residents: "));
        assert!(first.is_some(), "{}: the import reached its write transaction", db.engine);
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "{}: killed, not finished ({status})", db.engine);

        // No lock is left, and nothing of the killed import: the file imports whole.
        let started = std::time::Instant::now();
        let out = common::run(&data, &args, None);
        assert!(out.status.success(), "{}: {}", db.engine, String::from_utf8_lossy(&out.stderr));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "imported 150000, updated 0, unchanged 0",
            "{}",
            db.engine
        );
        eprintln!("{}: imported again {:?} after the kill", db.engine, started.elapsed());
    }
}

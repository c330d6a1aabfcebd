//! `cordon import` with a file of many bad rows: the first 1,000 on stderr with
//! the total, every one in the `--report` file; and a file it cannot read.

use std::path::PathBuf;

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

//! `cordon quarantine` end to end with the real binary: a hotel from its rooms
//! file, a charter batch, its manifest (a bad file rejected with its rows, the
//! same file twice changing nothing), check-in with a manual move, the
//! timeline as the site's zone counts it, and a hotel-group account refused.

use std::path::Path;
use std::process::Output;

mod common;

fn cordon(data: &Path, args: &[&str]) -> Output {
    common::run(&data.join("db"), args, None)
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn ok(data: &Path, args: &[&str]) -> String {
    let out = cordon(data, args);
    assert!(out.status.success(), "cordon {args:?}: {}", text(&out));
    text(&out)
}

const SITE: &str = "卓林酒店隔离点";

fn manifest(rows: &[&str]) -> String {
    let mut s = String::from(
        "passport,name,name_latin,nationality,birth_date,sex,language,phone,destination_province,destination_institution,group\n",
    );
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

const ANNA: &str = "751000001,Иванова Анна,IVANOVA ANNA,RU,2004-09-20,Ж,ru,+7 916 123 0001,黑龙江省,哈尔滨工业大学,G1";
const OLGA: &str = "751000002,Петрова Ольга,PETROVA OLGA,RU,2003-01-05,Ж,ru,+7 916 123 0002,黑龙江省,哈尔滨工业大学,G1";
const AIDAR: &str = "N12345678,Айдар Нурланов,NURLANOV AIDAR,KZ,2002-11-30,М,kk,+7 701 555 0101,吉林省,吉林大学,";

#[test]
fn a_hotel_receives_a_charter_batch_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("cordon_quarantine_cli_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.as_path();
    let path = |name: &str| d.join(name).to_str().unwrap().to_string();

    std::fs::write(d.join("bad-rooms.csv"), "楼层,房号,床位\n3,301,1\n3,302,零\n").unwrap();
    let out = cordon(d, &["quarantine", "site", "create", "--name", SITE, "--rooms", &path("bad-rooms.csv")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("3\t床位\t零\t"), "the bad cell is listed: {}", text(&out));

    std::fs::write(d.join("rooms.csv"), "楼层,房号,床位\n3,301,1\n3,302,2\n3,303,1\n").unwrap();
    let made = ok(d, &["quarantine", "site", "create", "--name", SITE, "--rooms", &path("rooms.csv")]);
    assert!(made.contains("3 rooms, 4 beds"), "{made}");
    // A batch before the site is active is fine; a check-in is not.
    let batch = |name: &str, at: &str| -> Vec<String> {
        let args = ["quarantine", "batch", "create", "--site", SITE, "--name", name, "--policy", "7+7"];
        let mut v: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        v.extend(["--arrived-at", at, "--transport", "charter Yekaterinburg–Harbin"].map(String::from));
        v
    };
    // Given in UTC: 23:50 in Harbin, so day 0 is still the 16th there.
    let made = ok(d, &strs(&batch("CH-0916", "2026-09-16T15:50:00Z")));
    assert!(made.contains("day 0 is 2026-09-16"), "{made}");
    let out = cordon(d, &strs(&batch("X", "2026-09-16 15:30")));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("not an instant with its offset"), "{}", text(&out));

    std::fs::write(d.join("bad.csv"), manifest(&[ANNA, &OLGA.replace(",RU,", ",ZZ,"), AIDAR])).unwrap();
    let args = ["quarantine", "import-manifest", "--site", SITE, "--batch", "CH-0916"];
    let out = cordon(d, &[&args[..], &[&path("bad.csv")]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("3\tnationality\tZZ\t"), "{}", text(&out));
    assert!(text(&out).contains("nothing was imported"));

    std::fs::write(d.join("manifest.csv"), manifest(&[ANNA, OLGA, AIDAR])).unwrap();
    let first = ok(d, &[&args[..], &[&path("manifest.csv")]].concat());
    assert!(first.contains("imported 3, updated 0, unchanged 0"), "{first}");
    let again = ok(d, &[&args[..], &[&path("manifest.csv")]].concat());
    assert!(again.contains("imported 0, updated 0, unchanged 3"), "{again}");

    let check_in = ["quarantine", "check-in", "--site", SITE, "--batch", "CH-0916"];
    let out = cordon(d, &check_in);
    assert_eq!(out.status.code(), Some(2), "the site is in standby: {}", text(&out));
    ok(d, &["quarantine", "site", "step", "--name", SITE, "prepare"]);
    assert!(ok(d, &["quarantine", "site", "step", "--name", SITE, "activate"]).contains("is active"));
    let out = cordon(d, &[&check_in[..], &["--move", "N12345678=999"]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let done = ok(d, &[&check_in[..], &["--move", "N12345678=303"]].concat());
    assert!(done.contains("checked in 3 into 2 rooms"), "{done}");

    let timeline = ["quarantine", "timeline", "--site", SITE, "--batch", "CH-0916", "--format", "csv"];
    let csv = ok(d, &[&timeline[..], &["--reveal"]].concat());
    let anna = csv.lines().find(|l| l.starts_with("751000001")).unwrap_or_else(|| panic!("{csv}"));
    assert!(anna.contains(",302,2026-09-16,2026-09-23,2026-09-30,是 yes,"), "{anna}");
    let aidar = csv.lines().find(|l| l.starts_with("N12345678")).unwrap();
    assert!(aidar.contains(",303,"), "the manual move holds: {aidar}");
    let masked = ok(d, &timeline);
    assert!(!masked.contains("751000001") && masked.contains("2026-09-23"), "{masked}");

    // A hotel-group account of the site: refused the people's timeline.
    let out = common::run(
        &d.join("db"),
        &["user", "add", "zl-hotel", "--role", "site-group", "--scope", &format!("site:{SITE}"), "--password-stdin"],
        Some("long enough pw\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    ok(d, &["quarantine", "member", "--user", "zl-hotel", "--group", "酒店组"]);
    let out = cordon(d, &[&timeline[..], &["--as", "zl-hotel"]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("may not"), "{}", text(&out));

    // Olga tests positive; by today (the real clock, long after the stay) the
    // others are due: their certificates, then Anna's release and hand-over.
    let at = ["--site", SITE, "--batch", "CH-0916"];
    std::fs::write(
        d.join("results.csv"),
        "护照号,检测日期,结果\n751000001,2026-09-17,阴性\n751000002,2026-09-18,阳性\n",
    )
    .unwrap();
    let import = ["quarantine", "import-results", &path("results.csv")];
    let recorded = ok(d, &[&import[..], &at[..]].concat());
    assert!(recorded.contains("recorded 2, unchanged 0"), "{recorded}");
    assert!(ok(d, &[&import[..], &at[..]].concat()).contains("recorded 0, unchanged 2"));
    std::fs::write(d.join("bad-results.csv"), "护照号,检测日期,结果\n751000001,2026-09-17,阳性\n").unwrap();
    let out = cordon(d, &[&["quarantine", "import-results", &path("bad-results.csv")][..], &at[..]].concat());
    assert_eq!(out.status.code(), Some(2), "a conflicting result: {}", text(&out));
    assert!(text(&out).contains("nothing was imported"), "{}", text(&out));
    let issued = ok(d, &[&["quarantine", "certificates"][..], &at[..]].concat());
    assert!(issued.contains("issued 2; 0 had one already; 1 not released yet"), "{issued}");
    assert!(issued.contains("Петрова Ольга: Not released: this person tested positive"), "{issued}");
    let again = ok(d, &[&["quarantine", "certificates"][..], &at[..]].concat());
    assert!(again.contains("issued 0; 2 had one already"), "{again}");
    let release =
        ["quarantine", "release", "--passport", "751000001", "--to", "哈工大 王老师", "--transport", "学校专车"];
    let released = ok(d, &[&release[..], &at[..]].concat());
    assert!(released.contains("released with certificate Q001-"), "{released}");
    assert!(ok(d, &[&release[..], &at[..]].concat()).contains("released already"));
    let out =
        cordon(d, &[&release[..2], &["--passport", "751000001", "--to", "", "--transport", "bus"], &at[..]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("Write who receives the person"), "{}", text(&out));
    let out = cordon(d, &[&release[..], &at[..], &["--as", "zl-hotel"]].concat());
    assert_eq!(out.status.code(), Some(2), "the hotel group releases nobody: {}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

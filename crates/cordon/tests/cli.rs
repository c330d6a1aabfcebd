//! The real binary, end to end: users, imports with exit codes, tokens, export.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(tag: &str) -> Dir {
    let d = std::env::temp_dir().join(format!("cordon_cli_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Dir(d)
}

/// The binary on the test's database, whatever its exit code.
fn cordon(data: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    common::run(&data.join("db"), args, stdin)
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn id_number(n: u32) -> String {
    cordon_domain::IdNumber::from_body(&format!("23010419900101{n:03}")).unwrap().as_str().to_string()
}

#[test]
fn imports_users_and_exports_work_from_the_command_line_with_exit_codes() {
    let dir = temp_dir("flow");
    let d = &dir.0;
    let places = d.join("places.csv");
    std::fs::write(&places, "市,区,街道,社区,小区,卡口\n哈尔滨市,道外区,仁里街道,民强社区,甲小区,东门\n").unwrap();
    let out = cordon(d, &["import", "places", places.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("imported 1, updated 0, unchanged 0"), "{}", text(&out));

    let bad = d.join("bad.csv");
    std::fs::write(
        &bad,
        format!("街道,社区,小区,楼栋,单元,房号,姓名,身份证号\n仁里街道,民强社区,甲小区,1号楼,1单元,101,好人,{}\n仁里街道,民强社区,甲小区,1号楼,1单元,102,坏人,123\n", id_number(1)),
    )
    .unwrap();
    let out = cordon(d, &["import", "residents", bad.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("3\t身份证号\t123\t"), "every bad row is printed: {}", text(&out));

    let good = d.join("good.csv");
    std::fs::write(&good, format!("街道,社区,小区,楼栋,单元,房号,姓名,身份证号,手机号\n仁里街道,民强社区,甲小区,1号楼,1单元,101,好人,{},13800000001\n", id_number(1)))
        .unwrap();
    let out = cordon(d, &["import", "residents", good.to_str().unwrap()], None);
    assert!(text(&out).contains("imported 1, updated 0, unchanged 0"), "{}", text(&out));
    let out = cordon(d, &["import", "residents", good.to_str().unwrap()], None);
    assert!(text(&out).contains("imported 0, updated 0, unchanged 1"), "{}", text(&out));

    let out = cordon(
        d,
        &["user", "add", "w", "--role", "pilot", "--scope", "city", "--password-stdin"],
        Some("long enough pw\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("unknown role pilot"));
    let out = cordon(
        d,
        &["user", "add", "worker", "--role", "community", "--scope", "道外区/仁里街道/民强社区", "--password-stdin"],
        Some("long enough pw\n"),
    );
    assert!(out.status.success(), "{}", text(&out));

    let csv = d.join("out.csv");
    let out =
        cordon(d, &["export", "residents", "--format", "csv", "--as", "worker", "-o", csv.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out));
    let exported = std::fs::read_to_string(&csv).unwrap();
    assert!(exported.contains("好人") && exported.contains("138****0001") && !exported.contains("13800000001"));

    let out = cordon(d, &["token", "create", "--user", "worker"], None);
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(token.starts_with("cdn_"), "{}", text(&out));
    let out = cordon(d, &["token", "revoke", "--user", "worker"], None);
    assert!(text(&out).contains("revoked 1 token"), "{}", text(&out));
    let out = cordon(d, &["token", "create", "--user", "nobody"], None);
    assert_eq!(out.status.code(), Some(2));

    // Tying an account to a cadre: an unknown cadre or user is refused with a message.
    let out = cordon(d, &["user", "link", "worker", "--cadre", "999"], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no cadre with the id 999"), "{}", text(&out));
    let out = cordon(d, &["user", "link", "nobody", "--none"], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no user named nobody"), "{}", text(&out));
    let out = cordon(d, &["user", "link", "worker", "--none"], None);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn the_residents_export_streams_to_a_file_or_standard_output_and_a_refused_one_leaves_no_file() {
    use cordon_store::sheets::{SheetFormat, read_sheet};
    let dir = temp_dir("export");
    let d = &dir.0;
    let places = d.join("places.csv");
    std::fs::write(&places, "市,区,街道,社区,小区,卡口\n哈尔滨市,道外区,仁里街道,民强社区,甲小区,东门\n").unwrap();
    let out = cordon(d, &["import", "places", places.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out));
    let mut residents = String::from("街道,社区,小区,楼栋,单元,房号,姓名,身份证号,手机号\n");
    for n in 1..=30 {
        let name = if n == 7 { "=HYPERLINK(\"x\")".to_string() } else { format!("居民{n}") };
        residents.push_str(&format!(
            "仁里街道,民强社区,甲小区,1号楼,1单元,{},\"{}\",{},138000000{n:02}\n",
            100 + n,
            name.replace('"', "\"\""),
            id_number(n)
        ));
    }
    let file = d.join("residents.csv");
    std::fs::write(&file, residents).unwrap();
    let out = cordon(d, &["import", "residents", file.to_str().unwrap()], None);
    assert!(text(&out).contains("imported 30"), "{}", text(&out));

    let csv = d.join("out.csv");
    let out = cordon(d, &["export", "residents", "--format", "csv", "-o", csv.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exported 30 residents"), "{}", text(&out));
    let written = std::fs::read(&csv).unwrap();
    let back = read_sheet(&written, SheetFormat::Csv).unwrap();
    assert_eq!(back.rows.len(), 30);
    assert!(back.rows.iter().any(|r| r.cells[6] == "'=HYPERLINK(\"x\")"), "formula escaped");
    assert!(back.rows.iter().all(|r| r.cells[8].contains("****")), "phones masked");
    let left: Vec<_> = std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!left.iter().any(|n| n.to_string_lossy().ends_with(".partial")), "{left:?}");

    // Standard output carries the same bytes.
    let out = cordon(d, &["export", "residents", "--format", "csv"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(out.stdout, written);

    let xlsx = d.join("out.xlsx");
    let out = cordon(d, &["export", "residents", "--format", "xlsx", "--output", xlsx.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out));
    let back = read_sheet(&std::fs::read(&xlsx).unwrap(), SheetFormat::Xlsx).unwrap();
    assert_eq!(back.rows.len(), 30);

    // With --reveal, the full numbers: the file imports again and changes nothing.
    let full = d.join("full.csv");
    let out = cordon(d, &["export", "residents", "--format", "csv", "--reveal", "-o", full.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out));
    let back = read_sheet(&std::fs::read(&full).unwrap(), SheetFormat::Csv).unwrap();
    assert!(back.rows.iter().any(|r| r.cells[7] == id_number(1) && r.cells[8] == "13800000001"), "full numbers");
    let out = cordon(d, &["import", "residents", full.to_str().unwrap()], None);
    assert!(text(&out).contains("imported 0, updated 0, unchanged 30"), "{}", text(&out));

    // A role that may not export: exit code 2, and neither the file nor a partial one.
    let out = cordon(
        d,
        &[
            "user",
            "add",
            "member",
            "--role",
            "squad-member",
            "--scope",
            "道外区/仁里街道/民强社区/甲小区",
            "--password-stdin",
        ],
        Some("long enough pw\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    let refused = d.join("refused.csv");
    let out = cordon(d, &["export", "residents", "--as", "member", "-o", refused.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("may not"), "{}", text(&out));
    let left: Vec<_> =
        std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(!left.iter().any(|n| n.starts_with("refused") || n.contains("refused.csv")), "{left:?}");
}

#[test]
fn a_missing_file_and_bad_arguments_exit_with_two() {
    let dir = temp_dir("usage");
    let out = cordon(&dir.0, &["import", "residents", "/nonexistent.csv"], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("cannot read"));
    let out = cordon(&dir.0, &["frobnicate"], None);
    assert_eq!(out.status.code(), Some(2));
}

/// A cookie-keeping client signed in to a running server as `name`.
async fn signed_in(base: &str, name: &str, password: &str) -> reqwest::Client {
    cordon_web::tls_ready();
    let c = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = c.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let start = page.find("name=\"csrf\" value=\"").expect("the sign-in form") + 19;
    let csrf = page[start..].split('"').next().unwrap().to_string();
    let res = c
        .post(format!("{base}/login"))
        .form(&[("csrf", csrf.as_str()), ("username", name), ("password", password), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER, "sign-in of {name}");
    c
}

#[tokio::test]
async fn the_password_command_ends_every_session_of_the_user_on_a_running_server() {
    let dir = temp_dir("password");
    let data = dir.0.join("db");
    for name in ["worker", "other"] {
        let out = cordon(
            &dir.0,
            &["user", "add", name, "--role", "command", "--scope", "city", "--password-stdin"],
            Some("long enough pw\n"),
        );
        assert!(out.status.success(), "{}", text(&out));
    }
    let (_server, base) = common::serve(&data).await;
    let (a, b) =
        (signed_in(&base, "worker", "long enough pw").await, signed_in(&base, "worker", "long enough pw").await);
    let other = signed_in(&base, "other", "long enough pw").await;
    let home = |c: &reqwest::Client| {
        let (c, url) = (c.clone(), format!("{base}/"));
        async move { c.get(url).send().await.unwrap().status() }
    };
    assert_eq!(home(&a).await, reqwest::StatusCode::OK);

    let out = cordon(&dir.0, &["user", "password", "worker", "--password-stdin"], Some("an operator's reset\n"));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("sessions have ended"), "{}", text(&out));
    assert_eq!(home(&a).await, reqwest::StatusCode::SEE_OTHER, "the first session has ended");
    assert_eq!(home(&b).await, reqwest::StatusCode::SEE_OTHER, "the second too");
    assert_eq!(home(&other).await, reqwest::StatusCode::OK, "another user's session stays");
    let again = signed_in(&base, "worker", "an operator's reset").await;
    assert_eq!(home(&again).await, reqwest::StatusCode::OK, "the new password signs in");
}

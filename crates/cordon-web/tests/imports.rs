//! Uploads by page and API: who may send a file at all (refused before the body
//! is read), the kind before the file, file errors in the user's language, the
//! error report's size and its download, and the same file sent several times at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cordon_domain::Role;
use cordon_store::sheets::zip_bomb;
use cordon_store::test_support::{PASSWORD, engines, resident_file, user};
use reqwest::StatusCode;
use reqwest::cookie::CookieStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod common;

use common::{App, csrf_of, spawn_app, spawn_app_on};

fn form(kind: &str, name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("kind", kind.to_string())
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()))
}

/// Sends a residents file to the API as `token`, with this content type.
async fn api_residents(app: &App, token: &str, content_type: &str, bytes: Vec<u8>) -> reqwest::Response {
    common::api()
        .post(app.url("/api/v1/imports/residents"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap()
}

/// A signed-in page client with its cookie header and CSRF token, for raw requests too.
async fn session(app: &App, name: &str) -> (reqwest::Client, String, String) {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    cordon_web::tls_ready();
    let c = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let token = app.csrf(&c, "/login").await;
    let res = c
        .post(app.url("/login"))
        .form(&[("csrf", token.as_str()), ("username", name), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "login of {name}");
    let cookie = jar.cookies(&app.url("/").parse().unwrap()).expect("a session cookie");
    let csrf = csrf_of(&app.page(&c, "/").await);
    (c, cookie.to_str().unwrap().to_string(), csrf)
}

/// Sends a request whose body claims `length` bytes but stops after `sent`,
/// and reads the status the server answers with meanwhile (None: it waited).
async fn answer_before_the_body_ends(app: &App, head: &str, length: usize, sent: &[u8]) -> Option<u16> {
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("{head}Host: {addr}\r\nContent-Length: {length}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(sent).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok()?;
    let status = String::from_utf8_lossy(&answer).split_whitespace().nth(1)?.parse().ok()?;
    Some(status)
}

const BOUNDARY: &str = "cordonBoundary7MA4YWxk";

fn part(name: &str, file_name: Option<&str>) -> String {
    let file =
        file_name.map(|f| format!("; filename=\"{f}\"\r\nContent-Type: application/octet-stream")).unwrap_or_default();
    format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n")
}

#[tokio::test]
async fn a_zip_bomb_from_a_squad_member_or_leader_is_refused_403_quickly_by_page_and_api() {
    let app = spawn_app().await;
    let bomb = zip_bomb(3 << 30, true);
    for name in ["member-a", "leader-a"] {
        let (c, _, csrf) = session(&app, name).await;
        let started = Instant::now();
        let res = c
            .post(app.url(&format!("/imports?csrf={csrf}")))
            .multipart(form("residents", "bomb.xlsx", bomb.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{name}: the page");
        assert!(started.elapsed() < Duration::from_secs(5), "{name}: {:?}", started.elapsed());

        let token = app.db.store.create_token(name).await.unwrap();
        for kind in ["places", "residents", "cadres"] {
            let started = Instant::now();
            let res = common::api()
                .post(app.url(&format!("/api/v1/imports/{kind}")))
                .bearer_auth(&token)
                .header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .body(bomb.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{name}: the API, {kind}");
            let json: serde_json::Value = res.json().await.unwrap();
            assert_eq!(json["error"]["code"], "forbidden");
            assert!(started.elapsed() < Duration::from_secs(5), "{name}: {:?}", started.elapsed());
        }
    }
}

#[tokio::test]
async fn the_role_and_the_kind_are_checked_before_the_file_is_read() {
    let app = spawn_app().await;
    user(&app.db.store, "社区甲", Role::Community, "道外区/仁里街道/民强社区").await;
    let bomb = zip_bomb(3 << 30, true);
    let length = bomb.len() + 4096;
    let page = |csrf: &str, cookie: &str| {
        format!(
            "POST /imports?csrf={csrf} HTTP/1.1\r\nCookie: {cookie}\r\n\
             Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        )
    };
    let start_of_file = |kind: &str| {
        let mut body = format!("{}{kind}\r\n{}", part("kind", None), part("file", Some("bomb.xlsx"))).into_bytes();
        body.extend_from_slice(&bomb[..4096]);
        body
    };

    // A squad member: refused before a byte of the body.
    let (_, cookie, csrf) = session(&app, "member-a").await;
    assert_eq!(answer_before_the_body_ends(&app, &page(&csrf, &cookie), length, b"").await, Some(403));
    let token = app.db.store.create_token("member-a").await.unwrap();
    let api = format!("POST /api/v1/imports/residents HTTP/1.1\r\nAuthorization: Bearer {token}\r\n");
    assert_eq!(answer_before_the_body_ends(&app, &api, length, b"").await, Some(403));

    // A community worker may import residents but not places: refused once the kind is read.
    let (_, cookie, csrf) = session(&app, "社区甲").await;
    let head = page(&csrf, &cookie);
    assert_eq!(answer_before_the_body_ends(&app, &head, length, &start_of_file("places")).await, Some(403));
    let token = app.db.store.create_token("社区甲").await.unwrap();
    let api = format!("POST /api/v1/imports/places HTTP/1.1\r\nAuthorization: Bearer {token}\r\n");
    assert_eq!(answer_before_the_body_ends(&app, &api, length, &bomb[..4096]).await, Some(403));
    // The file before the kind: refused at the file's first line.
    let mut body = part("file", Some("bomb.xlsx")).into_bytes();
    body.extend_from_slice(&bomb[..4096]);
    assert_eq!(answer_before_the_body_ends(&app, &head, length, &body).await, Some(400));
    // A kind it may import: the server waits for the rest of the file.
    assert_eq!(answer_before_the_body_ends(&app, &head, length, &start_of_file("residents")).await, None);
}

#[tokio::test]
async fn the_kind_must_come_before_the_file_and_the_page_says_so() {
    let app = spawn_app().await;
    let (c, _, csrf) = session(&app, "cmd").await;
    let backwards = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(resident_file(1, 1, false)).file_name("r.csv"))
        .text("kind", "residents");
    let res = c.post(app.url(&format!("/imports?csrf={csrf}"))).multipart(backwards).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("请先选择导入内容，再选择文件"));
    // In the right order the same file imports.
    let res = c
        .post(app.url(&format!("/imports?csrf={csrf}")))
        .multipart(form("residents", "r.csv", resident_file(1, 1, false)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// The text of the page's alert.
fn alert(page: &str) -> &str {
    let start = page.find("role=\"alert\">").expect("an alert") + "role=\"alert\">".len();
    &page[start..start + page[start..].find("</p>").unwrap()]
}

/// Two Latin words in a row: an English phrase.
fn has_english_phrase(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphabetic() || c == ' '))
        .any(|run| run.split(' ').filter(|w| !w.is_empty()).count() >= 2)
}

#[tokio::test]
async fn an_unreadable_file_is_explained_in_chinese_on_a_chinese_page() {
    let app = spawn_app().await;
    let (c, _, csrf) = session(&app, "cmd").await;
    let mut not_gbk = resident_file(1, 3, false);
    not_gbk.extend(b"\xFF\xFE,x\n");
    let files: [(&str, Vec<u8>, &str); 3] = [
        ("broken.xlsx", b"PK\x03\x04 not really a workbook".to_vec(), "无法作为 XLSX 工作簿读取该文件"),
        ("old.xls", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 old".to_vec(), "旧版 Excel"),
        ("mixed.csv", not_gbk, "文件第 5 行既不是 UTF-8 也不是 GBK 编码"),
    ];
    for (name, bytes, expected) in files {
        let res = c
            .post(app.url(&format!("/imports?csrf={csrf}")))
            .multipart(form("residents", name, bytes))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{name}");
        let page = res.text().await.unwrap();
        let text = alert(&page);
        assert!(text.contains(expected), "{name}: {text}");
        assert!(!has_english_phrase(text), "{name}: English on a Chinese page: {text}");
    }
}

#[tokio::test]
async fn a_zip_bomb_from_a_role_that_may_import_is_refused_quickly_in_the_users_language() {
    let app = spawn_app().await;
    user(&app.db.store, "社区甲", Role::Community, "道外区/仁里街道/民强社区").await;
    // Sizes declared (refused on them) and lied about (refused as the archive contradicts itself).
    for (honest, page_text, key) in [
        (true, "工作簿解压后超过 512 MB", "sheet-too-large"),
        (false, "无法作为 XLSX 工作簿读取该文件", "sheet-bad-xlsx"),
    ] {
        let bomb = zip_bomb(3 << 30, honest);
        let (c, _, csrf) = session(&app, "社区甲").await;
        let started = Instant::now();
        let res = c
            .post(app.url(&format!("/imports?csrf={csrf}")))
            .multipart(form("residents", "居民.xlsx", bomb.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "the page");
        let page = res.text().await.unwrap();
        let took = started.elapsed();
        let text = alert(&page);
        assert!(text.contains(page_text), "{text}");
        assert!(!has_english_phrase(text), "English on a Chinese page: {text}");
        assert!(took < Duration::from_secs(5), "the page took {took:?}");

        let token = app.db.store.create_token("社区甲").await.unwrap();
        let started = Instant::now();
        let res =
            api_residents(&app, &token, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", bomb)
                .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "the API");
        let json: serde_json::Value = res.json().await.unwrap();
        assert_eq!(json["error"]["refusal"]["key"], key, "{json}");
        if honest {
            assert_eq!(json["error"]["refusal"]["args"]["limit"], 512, "{json}");
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the API took {:?}", started.elapsed());
    }
}

#[tokio::test]
async fn fifty_thousand_bad_rows_get_a_bounded_answer_with_the_total_and_a_full_report_to_download() {
    let app = spawn_app().await;
    let bytes = resident_file(1, 50_000, true);
    // The page, in Chinese.
    let (c, _, csrf) = session(&app, "cmd").await;
    let res = c
        .post(app.url(&format!("/imports?csrf={csrf}")))
        .multipart(form("residents", "居民.csv", bytes.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    eprintln!("the page for 50,000 bad cells: {} bytes", page.len());
    assert!(page.len() < 1 << 20, "{} bytes", page.len());
    assert!(page.contains("文件有 50000 处错误"));
    assert!(page.contains("下面列出前 1000 处错误，共 50000 处。"));
    assert_eq!(page.matches("<td data-label=\"行\">").count(), 1000);
    let start = page.find("href=\"/imports/reports/").expect("a link to the report") + "href=\"".len();
    let link = &page[start..start + page[start..].find('"').unwrap()];
    let res = c.get(app.url(link)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 50_001, "a header and every bad cell");
    assert_eq!(lines[0], "行,列,内容,原因");
    assert!(lines[1].starts_with("2,身份证号,123451,") && lines[50_000].starts_with("50001,身份证号,1234550000,"));
    assert!(lines[1..].iter().all(|l| l.contains("身份证号无效")));
    // Kept for its user only.
    let (other, _, _) = session(&app, "leader-a").await;
    assert_eq!(other.get(app.url(link)).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    // The API, in English.
    let token = app.db.store.create_token("cmd").await.unwrap();
    let res = api_residents(&app, &token, "text/csv", bytes).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.bytes().await.unwrap();
    eprintln!("the API's answer for 50,000 bad cells: {} bytes", body.len());
    assert!(body.len() < 1 << 20, "{} bytes", body.len());
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["error"]["code"], "rejected");
    assert_eq!(json["error"]["total"], 50_000);
    assert_eq!(json["error"]["details"].as_array().unwrap().len(), 1000);
    let report = json["error"]["report"].as_str().expect("the report's URL");
    assert!(report.starts_with("/api/v1/imports/reports/"));
    let csv = common::api().get(app.url(report)).bearer_auth(&token).send().await.unwrap().text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 50_001);
    assert_eq!(lines[0], "Row,Column,Value,Reason");
    assert!(lines[1..].iter().all(|l| l.contains(",身份证号,") && l.contains("ID number")), "{}", lines[1]);
    // Another user's token finds no such report.
    let leader = app.db.store.create_token("leader-a").await.unwrap();
    let res = common::api().get(app.url(report)).bearer_auth(&leader).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// How many residents the command sees in all (the kept count, exact; a
/// name search counts at most 1,000).
async fn residents_total(app: &App, token: &str) -> u64 {
    let json: serde_json::Value = app.api_json(token, "/api/v1/residents?per_page=1").await;
    assert_eq!(json["total_capped"], false);
    json["total"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_file_uploaded_several_times_at_once_is_imported_once_and_the_others_get_409() {
    for db in engines().await {
        let engine = db.engine;
        let app = spawn_app_on(db).await;
        let token = app.db.store.create_token("cmd").await.unwrap();
        let mut pages = Vec::new();
        for _ in 0..4 {
            pages.push(session(&app, "cmd").await);
        }
        // The fixture's residents, then each round's file once.
        let mut expected = residents_total(&app, &token).await;
        for round in 0..4u32 {
            let rows = 1_500;
            let bytes = resident_file(10_000 + round * 2_000, rows, false);
            let by_page = round % 2 == 1;
            let mut tasks = tokio::task::JoinSet::new();
            for (c, _, csrf) in &pages {
                let (c, csrf, bytes, token) = (c.clone(), csrf.clone(), bytes.clone(), token.clone());
                let (page_url, api_url) =
                    (app.url(&format!("/imports?csrf={csrf}")), app.url("/api/v1/imports/residents"));
                tasks.spawn(async move {
                    let res = if by_page {
                        c.post(page_url).multipart(form("residents", "同一文件.csv", bytes)).send().await.unwrap()
                    } else {
                        common::api()
                            .post(api_url)
                            .bearer_auth(&token)
                            .header("content-type", "text/csv")
                            .body(bytes)
                            .send()
                            .await
                            .unwrap()
                    };
                    (res.status(), res.text().await.unwrap())
                });
            }
            let mut statuses = Vec::new();
            while let Some(done) = tasks.join_next().await {
                let (status, body) = done.unwrap();
                if status == StatusCode::CONFLICT {
                    if by_page {
                        assert!(body.contains("同一个文件正在导入中"), "{engine}: {body}");
                    } else {
                        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
                        assert_eq!(json["error"]["refusal"]["key"], "import-running", "{engine}");
                    }
                }
                statuses.push(status.as_u16());
            }
            statuses.sort();
            // One upload imports; the others, while it runs, are told so (409). On a loaded
            // machine an upload may start only after the first has finished: it is then
            // the same file again, which imports nothing (the count below), and answers 200.
            assert!(
                statuses[0] == 200 && statuses.iter().all(|s| *s == 200 || *s == 409),
                "{engine} round {round} ({}): {statuses:?}",
                if by_page { "page" } else { "API" }
            );
            expected += u64::from(rows);
            assert_eq!(residents_total(&app, &token).await, expected, "{engine}: imported once");

            // The same file later: nothing changes, and it says so.
            let res = api_residents(&app, &token, "text/csv", bytes).await;
            assert_eq!(res.status(), StatusCode::OK, "{engine}");
            let summary: serde_json::Value = res.json().await.unwrap();
            assert_eq!((summary["imported"].as_u64(), summary["updated"].as_u64()), (Some(0), Some(0)), "{engine}");
            assert_eq!(summary["unchanged"].as_u64(), Some(u64::from(rows)), "{engine}");
        }
    }
}

/// The page of a job, fetched until it no longer reloads itself; every page seen.
async fn job_pages_until_done(c: &reqwest::Client, app: &App, job: &str) -> Vec<String> {
    let started = Instant::now();
    let mut pages = Vec::new();
    loop {
        let res = c.get(app.url(job)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{job}");
        let page = res.text().await.unwrap();
        let running = page.contains("http-equiv=\"refresh\"");
        pages.push(page);
        if !running {
            return pages;
        }
        assert!(started.elapsed() < Duration::from_secs(180), "the job never ended");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_upload_that_takes_a_while_runs_as_a_job_whose_page_shows_its_progress_then_its_result() {
    for db in engines().await {
        let engine = db.engine;
        let app = common::spawn_app_configured(db, |s| s.import_wait = Duration::ZERO).await;
        let (c, _, csrf) = session(&app, "cmd").await;
        let res = c
            .post(app.url(&format!("/imports?csrf={csrf}")))
            .multipart(form("residents", "全区居民.csv", resident_file(1, 100_000, false)))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}");
        let job = res.headers()["location"].to_str().unwrap().to_string();
        assert!(job.starts_with("/imports/jobs/"), "{engine}: {job}");

        let pages = job_pages_until_done(&c, &app, &job).await;
        // While it ran: the bar, the rows, the page reloading itself.
        let first = &pages[0];
        assert!(first.contains("http-equiv=\"refresh\""), "{engine}: the first look finds it running");
        assert!(first.contains("<progress id=\"import-progress\""), "{engine}");
        assert!(first.contains("进行中") && first.contains("全区居民.csv"), "{engine}");
        // At the end: the result, as an upload done at once shows it.
        let last = pages.last().unwrap();
        assert!(last.contains("导入完成：新增 100000，更新 0，未变 0。"), "{engine}: {last}");
        assert!(last.contains("已检查 100000 行，已写入 100000 行"), "{engine}");
        // A reload shows the same job, and the upload page lists it.
        assert_eq!(&job_pages_until_done(&c, &app, &job).await[0], last, "{engine}");
        let uploads = app.page(&c, "/imports").await;
        assert!(uploads.contains(&format!("href=\"{job}\"")), "{engine}");

        // Another user, even one who may import, finds no such job.
        let (other, _, _) = session(&app, "leader-a").await;
        assert_eq!(other.get(app.url(&job)).send().await.unwrap().status(), StatusCode::NOT_FOUND, "{engine}");
        // The API reads the same job.
        let token = app.db.store.create_token("cmd").await.unwrap();
        let api = common::api().get(app.url(&format!("/api/v1{job}"))).bearer_auth(&token).send().await.unwrap();
        assert_eq!(api.status(), StatusCode::OK, "{engine}");
        let api: serde_json::Value = api.json().await.unwrap();
        assert_eq!((api["state"].as_str(), api["summary"]["imported"].as_u64()), (Some("done"), Some(100_000)));

        // A file with bad rows: its job ends rejected, listing them with the report's link.
        let res = c
            .post(app.url(&format!("/imports?csrf={csrf}")))
            .multipart(form("residents", "坏.csv", resident_file(1, 30, true)))
            .send()
            .await
            .unwrap();
        let job = res.headers()["location"].to_str().unwrap().to_string();
        let last = job_pages_until_done(&c, &app, &job).await.pop().unwrap();
        assert!(last.contains("文件有 30 处错误"), "{engine}: {last}");
        assert_eq!(last.matches("<td data-label=\"行\">").count(), 30, "{engine}");
        assert!(last.contains("href=\"/imports/reports/"), "{engine}");
    }
}

#[tokio::test]
async fn a_file_over_the_upload_limit_is_refused_while_it_streams_in_with_the_limits_in_the_users_language() {
    let app = spawn_app().await;
    let (c, _, csrf) = session(&app, "cmd").await;
    // Places are read whole: 64 MB at most.
    let big = vec![b'x'; 65 * 1024 * 1024];
    let res = c.post(app.url(&format!("/imports?csrf={csrf}"))).multipart(form("places", "地址.csv", big)).send().await;
    let res = res.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.text().await.unwrap().contains("居民名册 CSV 最大 4 GB，其他文件最大 64 MB"));
}

/// The upload page warns about number cells before the upload, and a roll
/// whose ID numbers an office suite kept as numbers is refused, on a Chinese
/// page, with the fix (format the column as text), not as a typo.
#[tokio::test]
async fn id_numbers_kept_as_numbers_are_explained_before_and_after_the_upload() {
    let app = spawn_app().await;
    let (c, _, csrf) = session(&app, "cmd").await;
    let page = app.page(&c, "/imports").await;
    let form_at = page.find("<form method=\"post\" action=\"/imports").expect("the upload form");
    let hint_at = page.find("id=\"import-text-columns\"").expect("the hint");
    assert!(hint_at < form_at, "said before the upload");
    assert!(page.contains("设置单元格格式 → 文本"));
    let csv = "街道,社区,小区,楼栋,单元,房号,姓名,身份证号,手机号\n\
               仁里街道,民强社区,甲小区,1号楼,1单元,101,居民1,2.30104E+17,13800000001\n\
               仁里街道,民强社区,甲小区,1号楼,1单元,101,居民2,230104198001011000,13800000002\n";
    let res = c
        .post(app.url(&format!("/imports?csrf={csrf}")))
        .multipart(form("residents", "另存为.csv", csv.as_bytes().to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("文件有 2 处错误"), "only the two ID numbers");
    assert_eq!(page.matches("被表格软件存成了数字").count(), 2, "{page}");
    assert!(!page.contains("校验位不符"), "not told to hunt for a typo");
}

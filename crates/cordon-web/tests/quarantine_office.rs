//! The site office over HTTP on both engines, as the walkthrough's site
//! manager does it on the office laptop: a hotel on standby is prepared and
//! opened, a batch is created, its manifest is uploaded with a bad passport
//! (shown, fixed, uploaded again), everyone is checked in, the CDC group
//! uploads the lab's results, and the hotel group disinfects and repairs
//! rooms. The same through `/api/v1`, with two clients pressing the same
//! button at the same instant, and the groups that may not do each step.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use cordon_domain::Actor;
use cordon_domain::Role;
use cordon_domain::clock::FixedClock;
use cordon_domain::quarantine::site::Group;
use cordon_store::test_support::{engines, manifest_person, sheet, user};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

mod common;

use common::{App, spawn_app_on};

const SITE: &str = "卓林酒店隔离点";

/// A manifest of people `from..to` (Chinese headers), with `bad` put in as
/// person `broken`'s passport.
fn manifest(from: usize, to: usize, broken: Option<(usize, &str)>) -> Vec<u8> {
    use cordon_domain::quarantine::manifest::Field;
    let mut out = Field::ALL.map(Field::zh).join(",");
    out.push('\n');
    for i in from..to {
        let mut p = manifest_person(i);
        if let Some((at, bad)) = broken
            && at == i
        {
            p[2] = bad.to_string();
        }
        out.push_str(&p.join(","));
        out.push('\n');
    }
    out.into_bytes()
}

/// A lab's results of day 1 (17 September) for people `from..to`, `positive` among them positive.
fn results(from: usize, to: usize, positive: usize) -> Vec<u8> {
    let mut out = String::from("护照号,检测日期,结果\n");
    for i in from..to {
        let result = if i == positive { "阳性" } else { "阴性" };
        out.push_str(&format!("75{:07},2026-09-17,{result}\n", 1_000_000 + i));
    }
    out.into_bytes()
}

/// A hotel of ten rooms on standby, its manager and three groups; the clock
/// on 17 September 2026, 14:00 in Harbin (day 1 of an arrival on the 16th).
async fn fixture() -> Vec<(App, i64)> {
    let mut out = Vec::new();
    for mut db in engines().await {
        let now = Utc.with_ymd_and_hms(2026, 9, 17, 6, 0, 0).unwrap();
        db.store = db.store.with_clock(Arc::new(FixedClock::at(now)));
        let s = &db.store;
        let system = Actor::system();
        let rows: Vec<[String; 3]> =
            (1..=10).map(|i| ["3".into(), format!("3{i:02}"), if i % 5 == 0 { "2" } else { "1" }.into()]).collect();
        let rows: Vec<Vec<&str>> = rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
        let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
        let site =
            s.create_site(&system, SITE, "Asia/Shanghai", &sheet(&["楼层", "房号", "床位"], &rows)).await.unwrap();
        user(s, "zl-manager", Role::SiteManager, &format!("site:{SITE}")).await;
        for (name, group) in [("zl-hotel", Group::Hotel), ("zl-cdc", Group::Cdc), ("zl-foreign", Group::ForeignAffairs)]
        {
            user(s, name, Role::SiteGroup, &format!("site:{SITE}")).await;
            s.set_site_group(&system, name, group).await.unwrap();
        }
        out.push((spawn_app_on(db).await, site.id));
    }
    out
}

fn file(bytes: Vec<u8>, name: &str) -> Form {
    Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()))
}

async fn upload(app: &App, c: &reqwest::Client, path: &str, csrf: &str, form: Form) -> (StatusCode, String) {
    let res = c.post(app.url(&format!("{path}?csrf={csrf}"))).multipart(form).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn the_site_manager_opens_the_site_creates_a_batch_fixes_its_manifest_and_checks_everyone_in_on_the_page() {
    for (app, site) in fixture().await {
        let engine = app.db.engine;
        let m = app.login("zl-manager").await;
        let page_path = format!("/quarantine/sites/{site}");
        let page = app.page(&m, &page_path).await;
        assert!(page.contains("待命") && page.contains("开始筹备隔离点"), "{engine}: {page}");
        let csrf = common::csrf_of(&page);
        let step = format!("/quarantine/sites/{site}/step");

        // The hotel group does not run the site; a step out of turn is refused in words.
        let hotel = app.login("zl-hotel").await;
        let hotel_csrf = app.csrf(&hotel, &page_path).await;
        let res = app.post_form(&hotel, &step, &format!("csrf={hotel_csrf}&step=prepare")).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{engine}");
        let res = app.post_form(&m, &step, &format!("csrf={csrf}&step=close&confirm=yes")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}");
        assert!(res.text().await.unwrap().contains("刷新页面"), "{engine}");
        for next in ["prepare", "activate"] {
            let res = app.post_form(&m, &step, &format!("csrf={csrf}&step={next}")).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}: {next}");
        }
        let page = app.page(&m, &page_path).await;
        assert!(page.contains("启用") && page.contains("开始终末消毒"), "{engine}: the next step is offered");

        // A batch from the site's page: arrival in Harbin's local time.
        let body = format!(
            "csrf={csrf}&name=CH-0916&policy=7%2B7&arrived_at=2026-09-16T15%3A30&transport=charter+Yekaterinburg&origin="
        );
        let res = app.post_form(&m, &format!("/quarantine/sites/{site}/batches"), &body).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}");
        let batch_path = location(&res);
        let batch: i64 = batch_path.rsplit('/').next().unwrap().parse().unwrap();
        let bad_time = body.replace("2026-09-16T15%3A30", "16.09.2026").replace("CH-0916", "CH-0917");
        let res = app.post_form(&m, &format!("/quarantine/sites/{site}/batches"), &bad_time).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}");
        assert!(res.text().await.unwrap().contains("“16.09.2026”不是有效的入境时间"), "{engine}");
        let page = app.page(&m, &batch_path).await;
        assert!(page.contains("人员名单（CSV 或 XLSX）") && page.contains("7+7 · 09-16 15:30"), "{engine}: {page}");

        // The manifest with a bad passport: shown, nothing written; fixed and sent again.
        let manifest_path = format!("/quarantine/batches/{batch}/manifest");
        let (status, shown) =
            upload(&app, &m, &manifest_path, &csrf, file(manifest(0, 6, Some((3, "75-00!3"))), "名单.csv")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{engine}: {shown}");
        assert!(shown.contains("文件有 1 处错误") && shown.contains("75-00!3"), "{engine}: {shown}");
        assert!(shown.contains("<td data-label=\"行\">5</td>"), "{engine}: the row of person 3");
        assert!(
            shown.contains(&format!("/quarantine/batches/{batch}/manifest?csrf=")),
            "{engine}: the form to send it again"
        );
        assert!(!app.page(&m, &batch_path).await.contains("IVANOVA"), "{engine}: nobody imported");
        let (status, done) = upload(&app, &m, &manifest_path, &csrf, file(manifest(0, 6, None), "名单.csv")).await;
        assert_eq!(status, StatusCode::OK, "{engine}: {done}");
        assert!(done.contains("新增 6，更新 0，未变 0"), "{engine}: {done}");
        let (_, again) = upload(&app, &m, &manifest_path, &csrf, file(manifest(0, 6, None), "名单.csv")).await;
        assert!(again.contains("新增 0，更新 0，未变 6"), "{engine}: {again}");
        let (status, _) = upload(&app, &m, &manifest_path, &csrf, Form::new().text("note", "no file")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{engine}");

        // Check-in: a move by hand, the rest by the plan; the same press again checks nobody in twice.
        let check_in = format!("/quarantine/batches/{batch}/check-in");
        let res = app.post_form(&m, &check_in, &format!("csrf={csrf}&passport=751000004&room=309")).await;
        assert_eq!(res.status(), StatusCode::OK, "{engine}");
        let said = res.text().await.unwrap();
        assert!(said.contains("已为 6 人办理入住，使用 5 个房间；0 人此前已入住"), "{engine}: {said}");
        let res = app.post_form(&m, &check_in, &format!("csrf={csrf}")).await;
        assert!(res.text().await.unwrap().contains("已为 0 人办理入住，使用 0 个房间；6 人此前已入住"), "{engine}");
        let res = app.post_form(&m, &check_in, &format!("csrf={csrf}&passport=751000004&room=")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}");
        assert!(res.text().await.unwrap().contains("须同时填写护照号和房号"), "{engine}: a move half filled in");

        // Terminal disinfection cannot be undone: the page asks for a tick, and with
        // people on site it is refused even then.
        let page = app.page(&m, &page_path).await;
        assert!(page.contains("name=\"confirm\"") && page.contains("且无法撤销"), "{engine}");
        let res = app.post_form(&m, &step, &format!("csrf={csrf}&step=disinfect")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}");
        assert!(res.text().await.unwrap().contains("请勾选确认"), "{engine}");
        let res = app.post_form(&m, &step, &format!("csrf={csrf}&step=disinfect&confirm=yes")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}: six people are on site");
        let people = app.page(&m, &batch_path).await;
        let row4 = people.split("*****0004").nth(1).unwrap().split("</tr>").next().unwrap();
        assert!(row4.contains(">309<"), "{engine}: the move was kept: {row4}");

        // The lab's results: the hotel group may not send them; the CDC group does.
        let results_path = format!("/quarantine/batches/{batch}/results-file");
        let (status, _) = upload(&app, &hotel, &results_path, &hotel_csrf, file(results(0, 6, 2), "结果.csv")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{engine}");
        let cdc = app.login("zl-cdc").await;
        let cdc_csrf = app.csrf(&cdc, &batch_path).await;
        let mut wrong = results(0, 6, 2);
        wrong.extend_from_slice("751000099,2026-09-17,阴性\n".as_bytes());
        let (status, shown) = upload(&app, &cdc, &results_path, &cdc_csrf, file(wrong, "结果.csv")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{engine}: an unknown passport: {shown}");
        let (status, done) = upload(&app, &cdc, &results_path, &cdc_csrf, file(results(0, 6, 2), "结果.csv")).await;
        assert_eq!(status, StatusCode::OK, "{engine}: {done}");
        assert!(done.contains("已记录 6 条结果；0 条此前已记录"), "{engine}: {done}");
        let site_page = app.page(&cdc, &page_path).await;
        assert!(site_page.contains("id=\"transfers\""), "{engine}");
        assert_eq!(
            site_page.split("id=\"transfers\"").nth(1).unwrap().split("</ul>").next().unwrap().matches("<li").count(),
            1
        );

        // Rooms by hand: the hotel takes a vacant room out of service, back in use, disinfected.
        let rooms = app.page(&hotel, &page_path).await;
        assert!(!rooms.contains("id=\"site-step\""), "{engine}: the hotel does not run the site");
        let vacant = app.db.store.site_rooms(&Actor::system(), site).await.unwrap();
        let free = vacant.iter().find(|r| r.state == "vacant").unwrap().id;
        let busy = vacant.iter().find(|r| r.state == "occupied").unwrap().id;
        let room_step = |room: i64| format!("/quarantine/sites/{site}/rooms/{room}/step");
        for (event, state) in [("take-out-of-service", "停用"), ("restore", "待消毒"), ("disinfect", "空房")] {
            let res = app.post_form(&hotel, &room_step(free), &format!("csrf={hotel_csrf}&event={event}")).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}: {event}");
            let page = app.page(&hotel, &page_path).await;
            let line = page.split(&format!("/rooms/{free}/step")).next().unwrap().rsplit("<tr>").next().unwrap();
            assert!(line.contains(state), "{engine}: {event} → {state}: {line}");
        }
        let res =
            app.post_form(&hotel, &room_step(busy), &format!("csrf={hotel_csrf}&event=take-out-of-service")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}: someone sleeps there");
        let res = app.post_form(&hotel, &room_step(free), &format!("csrf={hotel_csrf}&event=occupy")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}: people come by check-in only");
        let foreign = app.login("zl-foreign").await;
        let foreign_csrf = app.csrf(&foreign, &page_path).await;
        let res =
            app.post_form(&foreign, &room_step(free), &format!("csrf={foreign_csrf}&event=take-out-of-service")).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{engine}");
        let filter = cordon_store::audit::AuditFilter { entity: Some("site-room".into()), ..Default::default() };
        let page = cordon_store::PageRequest::new(None, Some(50));
        let log = app.db.store.audit_entries(&Actor::system(), &filter, page).await.unwrap();
        assert_eq!(log.total, 3, "{engine}: each room step is audited");
    }
}

async fn post_json(app: &App, token: &str, path: &str, body: serde_json::Value) -> (StatusCode, serde_json::Value) {
    let res = common::api().post(app.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

async fn post_file(app: &App, token: &str, path: &str, bytes: Vec<u8>) -> (StatusCode, serde_json::Value) {
    let res = common::api()
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn the_office_works_through_the_api_and_two_clients_pressing_at_once_get_one_answer() {
    for (app, site) in fixture().await {
        let engine = app.db.engine;
        let token = app.db.store.create_token("zl-manager").await.unwrap();
        let hotel = app.db.store.create_token("zl-hotel").await.unwrap();
        let steps = format!("/api/v1/quarantine/sites/{site}/steps");
        let (status, _) = post_json(&app, &hotel, &steps, serde_json::json!({"step": "prepare"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{engine}");
        // Two managers press "prepare" at once: one moves the site, the other is told it has moved.
        let (a, b) = tokio::join!(
            post_json(&app, &token, &steps, serde_json::json!({"step": "prepare"})),
            post_json(&app, &token, &steps, serde_json::json!({"step": "prepare"}))
        );
        let mut got = [a.0, b.0];
        got.sort();
        assert_eq!(got, [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY], "{engine}: {a:?} {b:?}");
        let (status, state) = post_json(&app, &token, &steps, serde_json::json!({"step": "activate"})).await;
        assert_eq!((status, state["state"].as_str()), (StatusCode::OK, Some("active")), "{engine}");

        let batches = format!("/api/v1/quarantine/sites/{site}/batches");
        let new = serde_json::json!({"name": "CH-0916", "policy": "7+7", "arrived_at": "2026-09-16T07:30:00Z", "transport": "charter"});
        let (status, batch) = post_json(&app, &token, &batches, new.clone()).await;
        assert_eq!(status, StatusCode::OK, "{engine}: {batch}");
        let id = batch["id"].as_i64().unwrap();
        let (status, _) = post_json(&app, &token, &batches, new).await;
        assert_eq!(status, StatusCode::CONFLICT, "{engine}: the name is taken");
        let stays = format!("/api/v1/quarantine/batches/{id}/stays");

        // The manifest as the body: refused to the hotel before it is read; rejected with its bad cells; imported.
        let manifest_path = format!("/api/v1/quarantine/batches/{id}/manifest");
        let (status, _) = post_file(&app, &hotel, &manifest_path, manifest(0, 8, None)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{engine}");
        let (status, refused) = post_file(&app, &token, &manifest_path, manifest(0, 8, Some((5, "x")))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{engine}: {refused}");
        assert_eq!(refused["error"]["details"][0]["row"], 7, "{engine}: {refused}");
        assert_eq!(app.api_json(&token, &stays).await.as_array().unwrap().len(), 0, "{engine}");
        let (status, done) = post_file(&app, &token, &manifest_path, manifest(0, 8, None)).await;
        assert_eq!((status, done["imported"].as_u64()), (StatusCode::OK, Some(8)), "{engine}: {done}");

        // Two check-ins at once: each person gets one room, and the second finds nobody left.
        let check_in = format!("/api/v1/quarantine/batches/{id}/check-in");
        let (a, b) = tokio::join!(
            post_json(&app, &token, &check_in, serde_json::json!({})),
            post_json(&app, &token, &check_in, serde_json::json!({}))
        );
        assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK), "{engine}: {a:?} {b:?}");
        let total = a.1["checked_in"].as_u64().unwrap() + b.1["checked_in"].as_u64().unwrap();
        assert_eq!(total, 8, "{engine}: {a:?} {b:?}");
        let people = app.api_json(&token, &stays).await;
        let mut rooms: Vec<&str> = people.as_array().unwrap().iter().filter_map(|p| p["room"].as_str()).collect();
        assert_eq!(rooms.len(), 8, "{engine}: {people}");
        rooms.sort();
        rooms.dedup();
        assert_eq!(rooms.len(), 7, "{engine}: the travel group shares a room, nobody else does");
        let (status, _) =
            post_json(&app, &token, &check_in, serde_json::json!({"moves": [{"passport": "751000001", "room": ""}]}))
                .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{engine}");

        // The same results file sent twice at once: recorded once; one transfer for the positive.
        let cdc = app.db.store.create_token("zl-cdc").await.unwrap();
        let import = format!("/api/v1/quarantine/batches/{id}/results/import");
        let (a, b) = tokio::join!(
            post_file(&app, &cdc, &import, results(0, 8, 6)),
            post_file(&app, &cdc, &import, results(0, 8, 6))
        );
        assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK), "{engine}: {a:?} {b:?}");
        let recorded = a.1["imported"].as_u64().unwrap() + b.1["imported"].as_u64().unwrap();
        assert_eq!(recorded, 8, "{engine}: {a:?} {b:?}");
        let transfers = app.api_json(&cdc, &format!("/api/v1/quarantine/sites/{site}/transfers")).await;
        assert_eq!(transfers.as_array().unwrap().len(), 1, "{engine}: {transfers}");
        let (status, _) = post_file(&app, &hotel, &import, results(0, 8, 6)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{engine}");

        // A room's steps: two hotel clients disinfect the same room at once; one does it, one is told.
        let rooms = app.api_json(&hotel, &format!("/api/v1/quarantine/sites/{site}/rooms")).await;
        let free = rooms.as_array().unwrap().iter().find(|r| r["state"] == "vacant").unwrap()["id"].as_i64().unwrap();
        let room_steps = format!("/api/v1/quarantine/sites/{site}/rooms/{free}/steps");
        let (status, state) =
            post_json(&app, &hotel, &room_steps, serde_json::json!({"event": "take-out-of-service"})).await;
        assert_eq!((status, state["state"].as_str()), (StatusCode::OK, Some("out-of-service")), "{engine}");
        post_json(&app, &hotel, &room_steps, serde_json::json!({"event": "restore"})).await;
        let (a, b) = tokio::join!(
            post_json(&app, &hotel, &room_steps, serde_json::json!({"event": "disinfect"})),
            post_json(&app, &hotel, &room_steps, serde_json::json!({"event": "disinfect"}))
        );
        let mut got = [a.0, b.0];
        got.sort();
        assert_eq!(got, [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY], "{engine}: {a:?} {b:?}");
        let (status, _) = post_json(&app, &hotel, &room_steps, serde_json::json!({"event": "vacate"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{engine}");
        let (status, _) = post_json(
            &app,
            &hotel,
            &format!("/api/v1/quarantine/sites/{site}/rooms/999999/steps"),
            serde_json::json!({"event": "disinfect"}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{engine}");
        // Terminal disinfection waits for everyone to leave.
        let (status, _) = post_json(&app, &token, &steps, serde_json::json!({"step": "disinfect"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{engine}");
    }
}

#[tokio::test]
async fn the_command_creates_a_site_from_its_rooms_file_and_adds_a_policy_on_the_page_and_through_the_api() {
    for (app, site) in fixture().await {
        let engine = app.db.engine;
        let cmd = app.login("cmd").await;
        let list = app.page(&cmd, "/quarantine").await;
        assert!(list.contains("id=\"new-site\""), "{engine}: {list}");
        let csrf = common::csrf_of(&list);
        let form = |rooms: &str| {
            Form::new()
                .text("name", "松北宾馆隔离点")
                .text("zone", "Asia/Shanghai")
                .part("file", Part::bytes(rooms.as_bytes().to_vec()).file_name("rooms.csv"))
        };
        // A bad floor and a room twice: shown with their rows, no site made.
        let (status, shown) =
            upload(&app, &cmd, "/quarantine/sites", &csrf, form("楼层,房号,床位\nx,201,1\n2,202,1\n2,202,1\n")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{engine}: {shown}");
        assert!(
            shown.contains("文件有 2 处错误") && shown.contains("<td data-label=\"行\">2</td>"),
            "{engine}: {shown}"
        );
        assert!(!app.page(&cmd, "/quarantine").await.contains("松北宾馆隔离点"), "{engine}: nothing made");
        let res = cmd
            .post(app.url(&format!("/quarantine/sites?csrf={csrf}")))
            .multipart(form("楼层,房号,床位\n2,201,1\n2,202,2\n"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}");
        let page = app.page(&cmd, &location(&res)).await;
        assert!(page.contains("松北宾馆隔离点") && page.contains("待命"), "{engine}: {page}");
        // A site's own manager does not create sites; the form is not even read.
        let m = app.login("zl-manager").await;
        let m_csrf = app.csrf(&m, &format!("/quarantine/sites/{site}")).await;
        let (status, _) = upload(&app, &m, "/quarantine/sites", &m_csrf, form("楼层,房号,床位\n2,201,1\n")).await;
        assert!(matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{engine}: {status}");

        // The API: the same, and policies.
        let token = app.db.store.create_token("cmd").await.unwrap();
        let manager = app.db.store.create_token("zl-manager").await.unwrap();
        let rooms = "楼层,房号,床位\n1,101,1\n".as_bytes().to_vec();
        let (status, _) = post_file(&app, &manager, "/api/v1/quarantine/sites?name=道外宾馆", rooms.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{engine}");
        let (status, made) = post_file(&app, &token, "/api/v1/quarantine/sites?name=道外宾馆", rooms.clone()).await;
        assert_eq!((status, made["rooms"].as_u64()), (StatusCode::OK, Some(1)), "{engine}: {made}");
        let (status, _) = post_file(&app, &token, "/api/v1/quarantine/sites?name=道外宾馆", rooms).await;
        assert_eq!(status, StatusCode::CONFLICT, "{engine}: the name is taken");
        let policies = app.api_json(&manager, "/api/v1/quarantine/policies").await;
        let names: Vec<&str> = policies.as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
        assert_eq!(names, ["7+7", "14+7", "10+7", "5+3"], "{engine}: {policies}");
        let new = serde_json::json!({"name": "7+3", "onsite_tests": [1, 4, 7], "home_tests": [10]});
        let (status, _) = post_json(&app, &manager, "/api/v1/quarantine/policies", new.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{engine}");
        let (status, added) = post_json(&app, &token, "/api/v1/quarantine/policies", new).await;
        assert_eq!((status, added["home_days"].as_u64()), (StatusCode::OK, Some(3)), "{engine}: {added}");
        let bad = serde_json::json!({"name": "7+3", "onsite_tests": [9]});
        let (status, _) = post_json(&app, &token, "/api/v1/quarantine/policies", bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{engine}: day 9 is not on site");
        let policies = app.api_json(&manager, "/api/v1/quarantine/policies").await;
        assert_eq!(policies.as_array().unwrap().len(), 5, "{engine}");
    }
}

//! The web app on port 0 with a fresh database: sign-in, CSRF, rate limit,
//! scope isolation by page and API, tokens, reveal, uploads and languages.

use cordon_domain::Actor;
use cordon_store::residents::ResidentFilter;
use cordon_store::test_support::{PASSWORD, engines, id_number};
use cordon_store::{PageRequest, Store};
use reqwest::StatusCode;

mod common;

use common::{App, client, csrf_of, spawn_app, spawn_app_on};

trait Residents {
    async fn resident_id(&self, name: &str) -> i64;
}

impl Residents for App {
    async fn resident_id(&self, name: &str) -> i64 {
        resident_id(&self.db.store, name).await
    }
}

async fn resident_id(store: &Store, name: &str) -> i64 {
    store
        .residents(
            &Actor::system(),
            &ResidentFilter { q: Some(name.into()), ..Default::default() },
            PageRequest::new(None, None),
            Default::default(),
        )
        .await
        .unwrap()
        .items[0]
        .id
}

#[tokio::test]
async fn a_user_signs_in_sees_the_home_page_and_signs_out() {
    let app = spawn_app().await;
    let anon = client();
    let res = anon.get(app.url("/residents")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/login?next=%2Fresidents"));

    let c = app.login("cmd").await;
    let home = c.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("cmd") && home.contains("指挥部"), "the home page names the user and role");
    assert!(home.contains("您的范围: 全市") && !home.contains(": city<"), "the scope by its name");
    for (user, shown, written) in
        [("lin", "市林草局", "unit:"), ("leader", "道外区 › 仁里街道 › 民强社区 › 甲小区", "道外区/仁里街道")]
    {
        let c = app.login(user).await;
        for path in ["/", "/account"] {
            let page = c.get(app.url(path)).send().await.unwrap().text().await.unwrap();
            assert!(page.contains(shown) && !page.contains(written), "{user} {path}: the scope by its name");
        }
    }
    let token = csrf_of(&home);
    let out = c.post(app.url("/logout")).form(&[("csrf", token.as_str())]).send().await.unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.get(app.url("/")).send().await.unwrap().status(), StatusCode::SEE_OTHER, "signed out");
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_a_message() {
    let app = spawn_app().await;
    let c = client();
    let token = app.csrf(&c, "/login").await;
    let res = c
        .post(app.url("/login"))
        .form(&[("csrf", token.as_str()), ("username", "cmd"), ("password", "not the password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains("用户名或密码错误"));
    assert_eq!(c.get(app.url("/")).send().await.unwrap().status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn repeated_failures_hold_the_account_back_from_that_address_even_for_the_right_password() {
    let app = spawn_app().await;
    let c = client();
    let token = app.csrf(&c, "/login").await;
    for _ in 0..5 {
        let res = c
            .post(app.url("/login"))
            .form(&[("csrf", token.as_str()), ("username", "cmd"), ("password", "guess guess guess")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = c
        .post(app.url("/login"))
        .form(&[("csrf", token.as_str()), ("username", "cmd"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.text().await.unwrap().contains("15 分钟"));
    // Another account from the same address is not locked by these five.
    let other = client();
    let t = app.csrf(&other, "/login").await;
    let ok = other
        .post(app.url("/login"))
        .form(&[("csrf", t.as_str()), ("username", "leader-a"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn forms_without_their_csrf_token_are_refused() {
    let app = spawn_app().await;
    let c = client();
    let _ = app.csrf(&c, "/login").await;
    let res = c
        .post(app.url("/login"))
        .form(&[("csrf", "forged"), ("username", "cmd"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("页面已过期"));

    let c = app.login("leader-a").await;
    let id = app.resident_id("甲一").await;
    let res = c.post(app.url(&format!("/residents/{id}/reveal"))).form(&[("field", "phone")]).send().await.unwrap();
    assert!(res.status().is_client_error(), "a reveal without a token: {}", res.status());
    let res = c.post(app.url("/logout")).form(&[("csrf", "nope")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The API refuses a cookie-authenticated write without X-CSRF-Token.
    let res = c.post(app.url(&format!("/api/v1/residents/{id}/reveal?field=phone"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_squad_member_cannot_reach_another_compounds_resident_by_page_or_api() {
    for db in engines().await {
        let engine = db.engine;
        let app = spawn_app_on(db).await;
        let c = app.login("member-a").await;
        let own = app.resident_id("甲一").await;
        let other = app.resident_id("乙一").await;
        assert_eq!(
            c.get(app.url(&format!("/residents/{own}"))).send().await.unwrap().status(),
            StatusCode::OK,
            "{engine}"
        );
        let page = c.get(app.url(&format!("/residents/{other}"))).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::NOT_FOUND, "{engine}");
        assert!(!page.text().await.unwrap().contains("乙一"));
        let api = c.get(app.url(&format!("/api/v1/residents/{other}"))).send().await.unwrap();
        assert_eq!(api.status(), StatusCode::NOT_FOUND, "{engine}");
        let body: serde_json::Value = api.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not-found");
        let list = c.get(app.url("/residents")).send().await.unwrap().text().await.unwrap();
        assert!(list.contains("甲一") && !list.contains("乙一"), "{engine}");
        let api_list: serde_json::Value =
            c.get(app.url("/api/v1/residents")).send().await.unwrap().json().await.unwrap();
        assert_eq!(api_list["total"], 2, "{engine}");
        // Masked in lists and detail.
        assert!(!list.contains(&id_number(11)) && list.contains("138****0011"));
        // A member cannot open the audit log or the import page.
        assert_eq!(c.get(app.url("/audit")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
        assert_eq!(c.get(app.url("/imports")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn a_unit_coordinator_cannot_see_another_units_cadres() {
    let app = spawn_app().await;
    let c = app.login("unit-lin").await;
    let page = c.get(app.url("/cadres")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("林一") && !page.contains("工一"));
    let all: serde_json::Value = c.get(app.url("/api/v1/cadres")).send().await.unwrap().json().await.unwrap();
    assert_eq!(all["total"], 2);
    let other = app
        .db
        .store
        .cadres(
            &Actor::system(),
            &cordon_store::units::CadreFilter { q: Some("工一".into()), ..Default::default() },
            PageRequest::new(None, None),
        )
        .await
        .unwrap()
        .items[0]
        .id;
    assert_eq!(c.get(app.url(&format!("/cadres/{other}"))).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let units = app.db.store.units(&Actor::system()).await.unwrap();
    let (own, foreign) = (
        units.iter().find(|u| u.name == "市林草局").unwrap().id,
        units.iter().find(|u| u.name == "市总工会").unwrap().id,
    );
    let page = c.get(app.url(&format!("/units/{own}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<h1>市林草局</h1>") && page.contains("林二"));
    assert_eq!(c.get(app.url(&format!("/units/{foreign}"))).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(
        c.get(app.url(&format!("/api/v1/units/{foreign}"))).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn revealing_a_phone_on_the_page_shows_it_and_logs_it() {
    let app = spawn_app().await;
    let c = app.login("leader-a").await;
    let id = app.resident_id("甲一").await;
    let page = c.get(app.url(&format!("/residents/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("138****0011") && !page.contains("13800000011"));
    let token = csrf_of(&page);
    let shown = c
        .post(app.url(&format!("/residents/{id}/reveal")))
        .form(&[("csrf", token.as_str()), ("field", "phone")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.contains("13800000011"));
    let cmd = app.login("cmd").await;
    let audit = cmd.get(app.url("/audit?actor=leader-a")).send().await.unwrap().text().await.unwrap();
    assert!(audit.contains("查看完整手机号"), "the reveal in words on the log page");
    let api: serde_json::Value =
        cmd.get(app.url("/api/v1/audit?actor=leader-a")).send().await.unwrap().json().await.unwrap();
    assert_eq!(api["items"][0]["action"], "reveal-phone");
}

#[tokio::test]
async fn a_bearer_token_acts_with_its_users_scope_until_revoked() {
    let app = spawn_app().await;
    let token = app.db.store.create_token("member-a").await.unwrap();
    let c = common::api();
    let me: serde_json::Value =
        c.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["username"], "member-a");
    assert_eq!(me["role"], "squad-member");
    let list: serde_json::Value =
        c.get(app.url("/api/v1/residents")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 2);
    app.db.store.revoke_tokens("member-a", None).await.unwrap();
    let res = c.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = c.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn health_and_the_openapi_document_answer() {
    let app = spawn_app().await;
    let c = client();
    assert_eq!(c.get(app.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
    let doc: serde_json::Value = c.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    for path in [
        "/api/v1/residents",
        "/api/v1/residents/{id}",
        "/api/v1/cadres",
        "/api/v1/places/{id}/children",
        "/api/v1/imports/{kind}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    let resident = &doc["components"]["schemas"]["Resident"]["properties"];
    assert!(resident["id_number_masked"].is_object(), "the resident schema is described: {resident}");
    assert!(resident.get("id_number").is_none(), "no unmasked field in the schema");
}

#[tokio::test]
async fn the_language_switch_is_remembered() {
    let app = spawn_app().await;
    let c = app.login("cmd").await;
    let res = c.get(app.url("/lang/en?back=/places")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/places");
    let page = c.get(app.url("/places")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("lang=\"en\"") && page.contains("Sign out"), "English after the switch");
    let page = c.get(app.url("/residents")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Residents"), "still English on the next page");
    // An outside address is never followed.
    let res = c.get(app.url("/lang/zh?back=//evil.example")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/");
}

#[tokio::test]
async fn an_upload_with_bad_rows_lists_every_one_and_writes_nothing() {
    let app = spawn_app().await;
    let c = app.login("cmd").await;
    let token = app.csrf(&c, "/imports").await;
    let csv = format!(
        "街道,社区,小区,楼栋,单元,房号,姓名,身份证号\n\
         仁里街道,民强社区,甲小区,9号楼,1单元,901,好人,{}\n\
         仁里街道,民强社区,无名小区,9号楼,1单元,902,无处,{}\n\
         仁里街道,民强社区,甲小区,9号楼,1单元,903,坏号,12345\n",
        id_number(91),
        id_number(92)
    );
    let form = |bytes: Vec<u8>| {
        reqwest::multipart::Form::new()
            .text("kind", "residents")
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name("residents.csv"))
    };
    let res = c
        .post(app.url(&format!("/imports?csrf={token}")))
        .multipart(form(csv.clone().into_bytes()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("2 处错误"), "the count of bad rows");
    assert!(page.contains("没有这个街道、社区和小区") && page.contains("身份证号无效"));
    assert!(page.contains("<td data-label=\"行\">3</td>") && page.contains("<td data-label=\"行\">4</td>"));
    let api: serde_json::Value = c.get(app.url("/api/v1/residents?q=好人")).send().await.unwrap().json().await.unwrap();
    assert_eq!(api["total"], 0, "nothing written");

    let good = csv.lines().take(2).collect::<Vec<_>>().join("\n");
    let res = c
        .post(app.url(&format!("/imports?csrf={token}")))
        .multipart(form(good.clone().into_bytes()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("新增 1，更新 0，未变 0"));
    let res =
        c.post(app.url(&format!("/imports?csrf={token}"))).multipart(form(good.into_bytes())).send().await.unwrap();
    assert!(res.text().await.unwrap().contains("新增 0，更新 0，未变 1"));
}

#[tokio::test]
async fn the_api_import_reports_bad_rows_as_json() {
    let app = spawn_app().await;
    let token = app.db.store.create_token("cmd").await.unwrap();
    let body = "单位,姓名,党员,手机号,性别\n市林草局,新人,是,13900000009,男\n无此单位,某人,也许,139,未知\n";
    let res = common::api()
        .post(app.url("/api/v1/imports/cadres"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let json: serde_json::Value = res.json().await.unwrap();
    let reasons: Vec<&str> =
        json["error"]["details"].as_array().unwrap().iter().map(|d| d["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, vec!["unknown-unit", "bad-yes-no", "bad-phone", "bad-sex"]);
    assert!(json["error"]["details"].as_array().unwrap().iter().all(|d| d["row"] == 3));
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_in_the_users_language_never_a_500() {
    for db in engines().await {
        let engine = db.engine;
        let app = spawn_app_on(db).await;
        let c = app.login("cmd").await;
        let res = c.get(app.url("/residents/abc")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{engine}");
        assert!(res.text().await.unwrap().contains("输入有误"), "{engine}: a page in Chinese");
        let res = c.get(app.url("/api/v1/residents/abc")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let json: serde_json::Value = res.json().await.unwrap();
        assert_eq!(json["error"]["code"], "invalid");
        let res = c.get(app.url("/no/such/page")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(res.text().await.unwrap().contains("没有找到"));
        for path in [
            "/residents?q=%00%25_",
            "/residents?after=-5&per_page=100000",
            "/cadres?q=%00",
            "/audit?actor=%00",
            "/places/1?q=%00",
        ] {
            let res = c.get(app.url(path)).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{engine}: {path}");
        }
        let res = c.get(app.url("/residents?after=abc")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{engine}");
        // A NUL in a user name is a failed sign-in, not a database error.
        let anon = client();
        let token = app.csrf(&anon, "/login").await;
        let res = anon
            .post(app.url("/login"))
            .form(&[("csrf", token.as_str()), ("username", "a\0b"), ("password", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{engine}");
        // A form missing a field.
        let res = anon.post(app.url("/login")).form(&[("csrf", token.as_str())]).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}");
        assert!(res.text().await.unwrap().contains("输入有误"));
        // English users get English.
        let en = client();
        let res = en.get(app.url("/no/such/page")).header("cookie", "lang=en").send().await.unwrap();
        assert!(res.text().await.unwrap().contains("Not found."));
    }
}

#[tokio::test]
async fn a_user_changes_their_own_password_after_proving_the_current_one() {
    let app = spawn_app().await;
    let c = app.login("member-a").await;
    let page = c.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("道外区 › 仁里街道 › 民强社区 › 甲小区"), "the page shows the scope by its names");
    let token = csrf_of(&page);
    let post = |current: &'static str, new: &'static str, confirm: &'static str| {
        c.post(app.url("/account"))
            .form(&[("csrf", token.as_str()), ("current", current), ("new", new), ("confirm", confirm)])
            .send()
    };
    let res = post("wrong password x", "a brand new one", "a brand new one").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("当前密码不正确"));
    let res = post(PASSWORD, "a brand new one", "another one!!").await.unwrap();
    assert!(res.text().await.unwrap().contains("两次输入的新密码不一致"));
    let res = post(PASSWORD, "a brand new one", "a brand new one").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("密码已修改"));
    assert!(app.db.store.authenticate("member-a", "a brand new one").await.unwrap().is_some());
    assert!(app.db.store.authenticate("member-a", PASSWORD).await.unwrap().is_none());
}

#[tokio::test]
async fn the_residents_export_streams_to_those_who_may_export_and_is_refused_with_403_to_others() {
    use cordon_store::audit::AuditFilter;
    use cordon_store::sheets::{SheetFormat, read_sheet};
    for db in engines().await {
        let engine = db.engine;
        let app = spawn_app_on(db).await;
        let s = &app.db.store;
        let exports = || async {
            let filter = AuditFilter { entity: Some("residents".into()), ..Default::default() };
            let page = s.audit_entries(&Actor::system(), &filter, PageRequest::new(None, Some(500))).await.unwrap();
            page.items.into_iter().filter(|e| e.action == "export").map(|e| e.after_json).collect::<Vec<_>>()
        };
        let cmd = app.login("cmd").await;
        let token = s.create_token("cmd").await.unwrap();
        for (path, format) in [
            ("/residents/export?format=csv", SheetFormat::Csv),
            ("/residents/export?format=xlsx", SheetFormat::Xlsx),
            ("/api/v1/residents/export?format=csv", SheetFormat::Csv),
            ("/api/v1/residents/export?format=xlsx", SheetFormat::Xlsx),
        ] {
            let req = if path.starts_with("/api/") {
                common::api().get(app.url(path)).bearer_auth(&token)
            } else {
                cmd.get(app.url(path))
            };
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{engine} {path}");
            // A body of known length would have been built whole; a streamed one is chunked.
            assert!(res.headers().get("content-length").is_none(), "{engine} {path}: {:?}", res.headers());
            assert_eq!(res.headers()["transfer-encoding"], "chunked", "{engine} {path}");
            assert_eq!(res.headers()["content-type"], format.content_type(), "{engine} {path}");
            let disposition = res.headers()["content-disposition"].to_str().unwrap().to_string();
            assert!(disposition.contains(&format!("residents.{}", format.extension())), "{disposition}");
            let back = read_sheet(&res.bytes().await.unwrap(), format).unwrap();
            let mut names: Vec<&str> = back.rows.iter().map(|r| r.cells[6].as_str()).collect();
            names.sort();
            assert_eq!(names, ["乙一", "乙二", "甲一", "甲二"], "{engine} {path}");
        }
        assert_eq!(exports().await.len(), 4, "{engine}: one audit entry per download");

        // A squad member sees residents but may not export them: 403, by page and API, and no entry.
        let member = app.login("member-a").await;
        let member_token = s.create_token("member-a").await.unwrap();
        for format in ["csv", "xlsx"] {
            let res = member.get(app.url(&format!("/residents/export?format={format}"))).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{engine}");
            let res = common::api()
                .get(app.url(&format!("/api/v1/residents/export?format={format}")))
                .bearer_auth(&member_token)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{engine}");
            let body: serde_json::Value = res.json().await.unwrap();
            assert!(body["error"].is_object(), "{engine}: {body}");
        }
        assert_eq!(exports().await.len(), 4, "{engine}: a refused export is not audited");

        // Full numbers: by the page's form (POST, with the tick) or the API's reveal=true, never by a link.
        let full_id = cordon_store::test_support::id_number(11);
        let page = app.page(&cmd, "/residents").await;
        assert!(page.contains("id=\"export-form\"") && page.contains("name=\"reveal\""), "{engine}: the tick");
        let csrf = common::csrf_of(&page);
        let post = |reveal: &'static str| {
            cmd.post(app.url("/residents/export")).form(&[
                ("csrf", csrf.as_str()),
                ("format", "csv"),
                ("reveal", reveal),
            ])
        };
        let ids = |bytes: &[u8]| -> Vec<String> {
            read_sheet(bytes, SheetFormat::Csv).unwrap().rows.into_iter().map(|r| r.cells[7].clone()).collect()
        };
        let full = post("1").send().await.unwrap();
        assert_eq!(full.status(), StatusCode::OK, "{engine}");
        assert!(ids(&full.bytes().await.unwrap()).contains(&full_id), "{engine}: full numbers with the tick");
        let masked = post("").send().await.unwrap().bytes().await.unwrap();
        assert!(ids(&masked).iter().all(|i| i.starts_with("****")), "{engine}: masked without it");
        let link = cmd.get(app.url("/residents/export?format=csv&reveal=true")).send().await.unwrap();
        assert!(ids(&link.bytes().await.unwrap()).iter().all(|i| i.starts_with("****")), "{engine}: not by a link");
        let forged =
            cmd.post(app.url("/residents/export")).form(&[("format", "csv"), ("reveal", "1")]).send().await.unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "{engine}: no POST without the form's token");
        let api = common::api()
            .get(app.url("/api/v1/residents/export?format=csv&reveal=true"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert!(ids(&api.bytes().await.unwrap()).contains(&full_id), "{engine}: the API with reveal=true");
        let revealed =
            exports().await.into_iter().filter(|e| e.as_deref().is_some_and(|e| e.contains("\"reveal\":true")));
        assert_eq!(revealed.count(), 2, "{engine}: each full export recorded as one");
    }
}

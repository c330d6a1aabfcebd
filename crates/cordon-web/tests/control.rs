//! A compound's control status on its page, on /squads and in the API: set by
//! the command with a reason, its history, refused to others, and one change
//! when several people set the same status at once.

mod common;

use common::{App, Received, csrf_of, receiver, spawn_app_on};
use cordon_domain::Actor;
use cordon_store::test_support::engines;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn compound(app: &App, name: &str) -> i64 {
    app.db.store.compounds(&Actor::system(), Some(name)).await.unwrap()[0].id
}

async fn put(app: &App, token: &str, id: i64, body: Value) -> reqwest::Response {
    common::api()
        .put(app.url(&format!("/api/v1/places/{id}/control")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_command_seals_a_compound_on_its_page_and_the_status_shows_on_the_squads_page() {
    for db in engines().await {
        let engine = db.engine;
        let app = spawn_app_on(db).await;
        let jia = compound(&app, "甲小区").await;
        let cmd = app.login("cmd").await;
        let page = app.page(&cmd, &format!("/places/{jia}")).await;
        assert!(page.contains("管控状态") && page.contains("未设定"), "{engine}");
        let csrf = csrf_of(&page);
        let form = |status: &str, reason: &str| {
            let body = [("csrf", csrf.clone()), ("status", status.to_string()), ("reason", reason.to_string())];
            cmd.post(app.url(&format!("/places/{jia}/control"))).form(&body).send()
        };
        // No reason: refused in Chinese, nothing written.
        let res = form("sealed", "  ").await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}");
        assert!(res.text().await.unwrap().contains("变更管控状态必须填写原因"), "{engine}");
        let res = form("sealed", "出现阳性病例").await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}");
        let page = app.page(&cmd, &format!("/places/{jia}")).await;
        let status = &page[page.find("id=\"control-status\"").unwrap()..];
        assert!(status[..80].contains("封控区"), "{engine}: {}", &status[..80]);
        let history = &page[page.find("id=\"control-history\"").expect("the history")..];
        assert!(
            history.contains("出现阳性病例") && history.contains("cmd") && history.contains("未设定 →"),
            "{engine}"
        );
        let squads = app.page(&cmd, "/squads").await;
        let row = &squads[squads.find("甲小区</a>").expect("the compound links its page")..];
        assert!(row[..120].contains("封控区"), "{engine}: {}", &row[..120]);

        // The squad leader sees it but has no form, and a forged post is refused.
        let leader = app.login("leader").await;
        let page = app.page(&leader, &format!("/places/{jia}")).await;
        assert!(page.contains("封控区") && !page.contains(&format!("action=\"/places/{jia}/control\"")), "{engine}");
        let csrf = csrf_of(&page);
        let res = leader
            .post(app.url(&format!("/places/{jia}/control")))
            .form(&[("csrf", csrf.as_str()), ("status", "precaution"), ("reason", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{engine}");
    }
}

#[tokio::test]
async fn the_api_reads_and_sets_the_status_for_the_command_only() {
    for db in engines().await {
        let engine = db.engine;
        let app = spawn_app_on(db).await;
        let s = &app.db.store;
        let jia = compound(&app, "甲小区").await;
        let token = s.create_token("cmd").await.unwrap();
        let leader = s.create_token("leader").await.unwrap();
        let res = put(&app, &token, jia, json!({"status": "sealed", "reason": "出现阳性病例"})).await;
        assert_eq!(res.status(), StatusCode::OK, "{engine}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], "sealed", "{engine}: {body}");
        let res = put(&app, &token, jia, json!({"status": "管控", "reason": "降级"})).await;
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], "controlled", "{engine}: the Chinese word is read");
        assert_eq!(body["history"][0]["from"], "sealed", "{engine}: {body}");
        assert_eq!(body["history"][0]["reason"], "降级", "{engine}");
        let got: Value = app.api_json(&leader, &format!("/api/v1/places/{jia}/control")).await;
        assert_eq!((got["status"].clone(), got["history"].as_array().unwrap().len()), (json!("controlled"), 2));
        let res = put(&app, &leader, jia, json!({"status": "sealed", "reason": "x"})).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{engine}");
        let res = put(&app, &token, jia, json!({"status": "sealed"})).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}: no reason");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["refusal"]["key"], "control-no-reason", "{engine}: {body}");
        let res = put(&app, &token, jia, json!({"status": "lockdown", "reason": "x"})).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["refusal"]["key"], "control-bad-status", "{engine}: {body}");
        // Six clients press the same button at once: all are told "sealed", one change is written.
        let presses: Vec<_> = (0..6)
            .map(|_| {
                let (app_url, token) = (app.url(&format!("/api/v1/places/{jia}/control")), token.clone());
                tokio::spawn(async move {
                    let res = common::api()
                        .put(app_url)
                        .bearer_auth(token)
                        .json(&json!({"status": "sealed", "reason": "同时按下"}))
                        .send()
                        .await
                        .unwrap();
                    (res.status(), res.json::<Value>().await.unwrap())
                })
            })
            .collect();
        for p in presses {
            let (status, body) = p.await.unwrap();
            assert_eq!((status, body["status"].clone()), (StatusCode::OK, json!("sealed")), "{engine}: {body}");
        }
        let control = s.control(&Actor::system(), jia).await.unwrap();
        assert_eq!(control.history.len(), 3, "{engine}: sealed, controlled, sealed once more");
    }
}

/// A change of control status goes out through the webhooks, as its own
/// event, with the compound's page; pressing the same status again sends nothing.
#[tokio::test]
async fn a_change_of_control_status_is_announced_through_the_webhooks() {
    use cordon_store::webhooks::NewWebhook;
    use cordon_web::webhooks::worker::{deliver_due, http_client};
    use std::time::Duration;
    for db in engines().await {
        let engine = db.engine;
        let app = spawn_app_on(db).await;
        let s = &app.db.store;
        let jia = compound(&app, "甲小区").await;
        let cmd = s.authenticate("cmd", cordon_store::test_support::PASSWORD).await.unwrap().unwrap().actor;
        let got: Received = Default::default();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let _stop = receiver(port, got.clone()).await;
        let hook = NewWebhook {
            name: "指挥部".into(),
            format: "json".into(),
            url: format!("http://127.0.0.1:{port}/hook"),
            secret: None,
            enabled: true,
            allow_private: true,
        };
        s.add_webhook(&cmd, &hook).await.unwrap();
        let token = s.create_token("cmd").await.unwrap();
        for _ in 0..2 {
            let res = put(&app, &token, jia, json!({"status": "sealed", "reason": "出现阳性病例"})).await;
            assert_eq!(res.status(), StatusCode::OK, "{engine}");
        }
        assert_eq!(s.webhook_queue_len().await.unwrap(), 1, "{engine}: one change, one message");
        let cfg = common::quick_worker();
        let client = http_client(&cfg).unwrap();
        for _ in 0..100 {
            if s.webhook_queue_len().await.unwrap() == 0 {
                break;
            }
            deliver_due(s, &client, &cfg).await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let got = got.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "{engine}: {got:?}");
        let (event, _, body) = &got[0];
        assert_eq!(event, "control.sealed", "{engine}");
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            (v["compound_id"].clone(), v["state"].clone(), v["from"].clone()),
            (json!(jia), json!("sealed"), Value::Null)
        );
        assert_eq!(v["order_id"], Value::Null, "{engine}");
        let text = v["text"].as_str().unwrap();
        assert!(
            text.starts_with("管控状态 甲小区：封控区（原为未设定），理由：出现阳性病例（cmd，"),
            "{engine}: {text}"
        );
        assert!(text.ends_with(&format!("\nhttps://cordon.example.gov.cn/places/{jia}")), "{engine}: {text}");
        let log = app.page(&app.login("cmd").await, "/webhooks").await;
        assert!(
            log.contains(&format!("href=\"/places/{jia}\"")) && log.contains("封控区"),
            "{engine}: the delivery log"
        );
    }
}

//! Webhooks end to end: a receiver that is down first and up later gets every
//! step of an order once and in order; only the command sees and configures
//! webhooks, and never a URL or secret in full; without
//! `--webhook-allow-private` nothing is saved for or sent to this machine or a
//! private network.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use chrono::Utc;
use cordon_domain::orders::OrderEvent;
use cordon_domain::squads::SquadRole;
use cordon_domain::webhooks::json_signature;
use cordon_domain::{Actor, Role};
use cordon_store::orders::NewOrder;
use cordon_store::test_support::{compound_id, engines, seed, unit_cadres, user};
use cordon_store::webhooks::NewWebhook;
use cordon_web::webhooks::worker::{PRIVATE_REFUSED, deliver_due, http_client};
use cordon_web::{WorkerConfig, run_worker};
use reqwest::StatusCode;

mod common;

use common::{Received, csrf_of, receiver, spawn_app};

#[tokio::test]
async fn a_receiver_down_first_and_up_later_gets_every_event_once_and_in_order() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let command = user(s, "cmd", Role::Command, "city").await;
        let coord = user(s, "lin", Role::Unit, "unit:市林草局").await;
        user(s, "leader", Role::SquadLeader, "道外区/仁里街道/民强社区/甲小区").await;
        // A free port that nobody listens on: the receiver is down.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let hook = NewWebhook {
            name: "值班系统".into(),
            format: "json".into(),
            url: format!("http://127.0.0.1:{port}/hook?token=TOPSECRET"),
            secret: Some("s3cret".into()),
            enabled: true,
            // The receiver runs on this machine, as under `serve --webhook-allow-private`.
            allow_private: true,
        };
        s.add_webhook(&command, &hook).await.unwrap();

        let (unit, cadres) = unit_cadres(s, "市林草局").await;
        let new = NewOrder {
            unit_id: unit,
            people: 2,
            compound_ids: vec![compound_id(s, "甲小区").await],
            deadline: Utc::now() + chrono::Duration::hours(2),
            note: String::new(),
        };
        let id = s.issue_order(&command, &new).await.unwrap();
        s.order_step(&coord, id, OrderEvent::Acknowledge, &[], false).await.unwrap();
        let roles = [(cadres[0], SquadRole::Leader), (cadres[1], SquadRole::Secretary)];
        s.order_step(&coord, id, OrderEvent::Assemble { roster: cadres.clone() }, &roles, false).await.unwrap();
        // 报到 is the tap of the squad's leader: the account belongs to the leading cadre.
        s.link_cadre("leader", Some(cadres[0])).await.unwrap();
        let leader = s.actor_by_username("leader").await.unwrap().unwrap();
        s.order_step(&leader, id, OrderEvent::ReportOnSite, &[], false).await.unwrap();
        s.order_step(&command, id, OrderEvent::StandDown, &[], false).await.unwrap();
        let expected = ["order.issued", "order.acknowledged", "order.assembled", "order.on-site", "order.stood-down"];

        let cfg = common::quick_worker();
        let client = http_client(&cfg).unwrap();
        let until = Instant::now() + Duration::from_millis(700);
        while Instant::now() < until {
            deliver_due(s, &client, &cfg).await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let failed = s.deliveries(None, 500).await.unwrap();
        assert!(failed.len() >= 3, "several attempts while down ({}): {failed:?}", db.engine);
        assert!(failed.iter().all(|d| !d.ok && d.status.is_none() && d.event == "order.issued"), "{failed:?}");
        assert!(failed.iter().all(|d| !d.error.as_deref().unwrap_or("").contains("TOPSECRET")), "no token in the log");
        let attempts: Vec<i64> = failed.iter().rev().map(|d| d.attempt).collect();
        assert_eq!(attempts, (1..=failed.len() as i64).collect::<Vec<_>>());
        assert_eq!(s.webhook_queue_len().await.unwrap(), 5);

        // The receiver comes up on the same port; the worker catches up.
        let got: Received = Arc::default();
        let stop_receiver = receiver(port, got.clone()).await;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let worker = tokio::spawn(run_worker(s.clone(), cfg.clone(), async {
            let _ = stopped.await;
        }));
        let until = Instant::now() + Duration::from_secs(20);
        while s.webhook_queue_len().await.unwrap() > 0 {
            assert!(Instant::now() < until, "delivered in time ({})", db.engine);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // A little longer: nothing is sent twice.
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.send(()).unwrap();
        worker.await.unwrap();
        let _ = stop_receiver.send(());

        let got = got.lock().unwrap().clone();
        let events: Vec<&str> = got.iter().map(|(e, _, _)| e.as_str()).collect();
        assert_eq!(events, expected, "{}", db.engine);
        for (event, signature, body) in &got {
            let v: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(v["event"], event.as_str());
            assert_eq!(v["order_id"], id);
            assert_eq!(v["unit"], "市林草局");
            assert_eq!(v["compounds"], serde_json::json!(["甲小区"]));
            assert!(v["text"].as_str().unwrap().starts_with(&format!("调度令 #{id} 市林草局 → 甲小区：")));
            let link = format!("\nhttps://cordon.example.gov.cn/orders/{id}");
            assert!(v["text"].as_str().unwrap().ends_with(&link), "a link to the order: {v}");
            let t: i64 = signature.trim_start_matches("t=").split(',').next().unwrap().parse().unwrap();
            assert_eq!(signature, &json_signature(t, "s3cret", body), "signed");
        }
        let log = s.deliveries(None, 500).await.unwrap();
        let ok: Vec<&str> = log.iter().rev().filter(|d| d.ok).map(|d| d.event.as_str()).collect();
        assert_eq!(ok, expected, "one successful attempt per event, in order");
        assert!(log.iter().filter(|d| d.ok).all(|d| d.status == Some(200)));
        assert_eq!(log.iter().filter(|d| !d.ok).count(), failed.len(), "no failures once it was up");
    }
}

#[tokio::test]
async fn a_unit_coordinator_can_neither_see_nor_configure_webhooks() {
    let app = spawn_app().await;
    let lin = app.login("unit-lin").await;
    let home = app.page(&lin, "/").await;
    assert!(!home.contains("href=\"/webhooks\""));
    let res = lin.get(app.url("/webhooks")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let token = csrf_of(&home);
    let res = lin
        .post(app.url("/webhooks"))
        .form(&[("csrf", token.as_str()), ("name", "x"), ("format", "json"), ("url", "http://example.org/")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let bearer = app.db.store.create_token("unit-lin").await.unwrap();
    let api = common::api();
    for path in ["/api/v1/webhooks", "/api/v1/webhooks/deliveries"] {
        let res = api.get(app.url(path)).bearer_auth(&bearer).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let res = api
        .post(app.url("/api/v1/webhooks"))
        .bearer_auth(&bearer)
        .json(&serde_json::json!({"name": "x", "format": "json", "url": "http://example.org/"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.db.store.webhook_queue_len().await.unwrap(), 0);
}

#[tokio::test]
async fn the_command_adds_a_robot_and_sees_it_masked_on_the_page_and_in_the_api() {
    let app = spawn_app().await;
    let cmd = app.login("cmd").await;
    let page = app.page(&cmd, "/webhooks").await;
    assert!(page.contains("尚未配置推送地址"), "{page}");
    let token = csrf_of(&page);
    let url = "https://oapi.dingtalk.com/robot/send?access_token=TOPSECRET";
    let res = cmd
        .post(app.url("/webhooks"))
        .form(&[
            ("csrf", token.as_str()),
            ("name", "指挥部值班群"),
            ("format", "dingtalk"),
            ("url", url),
            ("secret", "SECxyz"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = app.page(&cmd, "/webhooks").await;
    assert!(page.contains("指挥部值班群") && page.contains("https://oapi.dingtalk.com/…") && page.contains("钉钉"));
    assert!(!page.contains("TOPSECRET") && !page.contains("SECxyz"));
    // A bad URL or format comes back with a clear message.
    let res = cmd
        .post(app.url("/webhooks"))
        .form(&[("csrf", token.as_str()), ("name", "x"), ("format", "dingtalk"), ("url", "ftp://x/y")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("地址须以 http:// 或 https:// 开头"), "the message in Chinese");

    let bearer = app.db.store.create_token("cmd").await.unwrap();
    let api = common::api();
    let res = api
        .post(app.url("/api/v1/webhooks"))
        .bearer_auth(&bearer)
        .json(&serde_json::json!({"name": "OA", "format": "carrier-pigeon", "url": "https://oa.example.org/hook"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        error["error"]["message"], "Choose one of the formats: WeCom, DingTalk, Feishu, JSON.",
        "English for programs"
    );
    let res = api
        .post(app.url("/api/v1/webhooks"))
        .bearer_auth(&bearer)
        .json(&serde_json::json!({"name": "OA", "format": "json", "url": "https://oa.example.org/hook/TOPSECRET"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let list = api.get(app.url("/api/v1/webhooks")).bearer_auth(&bearer).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("https://oa.example.org/…") && !list.contains("TOPSECRET"), "{list}");
    let log = api.get(app.url("/api/v1/webhooks/deliveries")).bearer_auth(&bearer).send().await.unwrap();
    assert_eq!(log.status(), StatusCode::OK);
    let audit = app.page(&cmd, "/audit?entity=webhook").await;
    assert!(audit.contains("oapi.dingtalk.com") && !audit.contains("TOPSECRET") && !audit.contains("SECxyz"));
    let doc = api.get(app.url("/api/v1/openapi.json")).send().await.unwrap().text().await.unwrap();
    assert!(doc.contains("/api/v1/webhooks/deliveries"));
}

#[tokio::test]
async fn a_robot_that_refuses_with_http_200_is_retried_and_its_reason_logged() {
    let db = cordon_store::test_support::sqlite().await;
    let s = &db.store;
    seed(s).await.unwrap();
    let command = user(s, "cmd", Role::Command, "city").await;
    let bodies: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = bodies.clone();
    let app = axum::Router::new().route(
        "/open-apis/bot/v2/hook/x",
        post(move |body: String| {
            let seen = seen.clone();
            async move {
                let mut seen = seen.lock().unwrap();
                seen.push(body);
                if seen.len() == 1 {
                    r#"{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}"#
                } else {
                    r#"{"code":0,"msg":"success","data":{}}"#
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/open-apis/bot/v2/hook/x", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let hook = NewWebhook {
        name: "飞书群".into(),
        format: "feishu".into(),
        url,
        secret: Some("sec".into()),
        enabled: true,
        allow_private: true,
    };
    s.add_webhook(&command, &hook).await.unwrap();
    let (unit, _) = unit_cadres(s, "市林草局").await;
    let new = NewOrder {
        unit_id: unit,
        people: 1,
        compound_ids: vec![compound_id(s, "甲小区").await],
        deadline: Utc::now() + chrono::Duration::hours(2),
        note: String::new(),
    };
    let id = s.issue_order(&command, &new).await.unwrap();
    let cfg = WorkerConfig { retry_base: Duration::from_millis(10), allow_private: true, ..Default::default() };
    let client = http_client(&cfg).unwrap();
    let first = deliver_due(s, &client, &cfg).await.unwrap();
    assert_eq!((first.attempted, first.delivered), (1, 0));
    tokio::time::sleep(Duration::from_millis(30)).await;
    let second = deliver_due(s, &client, &cfg).await.unwrap();
    assert_eq!((second.attempted, second.delivered), (1, 1));
    let log = s.deliveries(None, 10).await.unwrap();
    assert!(log[1].error.as_deref().unwrap().contains("19021"), "{:?}", log[1]);
    assert_eq!(log[1].status, Some(200));
    let body: serde_json::Value = serde_json::from_str(&bodies.lock().unwrap()[1]).unwrap();
    assert_eq!(body["msg_type"], "text");
    assert!(
        body["content"]["text"]
            .as_str()
            .unwrap()
            .starts_with(&format!("调度令 #{id} 市林草局 → 甲小区：已下达（cmd，"))
    );
    assert!(body["sign"].is_string() && body["timestamp"].is_string());
}

#[tokio::test]
async fn with_private_receivers_off_the_page_and_the_api_refuse_a_webhook_to_this_machine_or_a_private_network() {
    let app = spawn_app().await;
    let cmd = app.login("cmd").await;
    let token = csrf_of(&app.page(&cmd, "/webhooks").await);
    let bearer = app.db.store.create_token("cmd").await.unwrap();
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost:5432/",
        "http://[::1]:8080/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://10.20.30.40/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0:6379/",
    ] {
        let res = cmd
            .post(app.url("/webhooks"))
            .form(&[("csrf", token.as_str()), ("name", "内网"), ("format", "json"), ("url", url), ("secret", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert!(res.text().await.unwrap().contains("该地址指向本机、内网或链路本地地址"), "{url}: said in Chinese");
        let res = common::api()
            .post(app.url("/api/v1/webhooks"))
            .bearer_auth(&bearer)
            .json(&serde_json::json!({"name": "内网", "format": "json", "url": url}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let error: serde_json::Value = res.json().await.unwrap();
        assert_eq!(error["error"]["refusal"]["key"], "webhook-private-address", "{url}: {error}");
    }
    assert!(app.db.store.webhooks(&Actor::system()).await.unwrap().is_empty(), "nothing saved");
}

#[tokio::test]
async fn with_private_receivers_off_localhost_and_loopback_receivers_are_refused_at_delivery_and_the_log_says_why() {
    let app = spawn_app().await;
    let s = &app.db.store;
    let command = Actor::system();
    // A receiver on this machine, saved while private receivers were allowed …
    let got: Received = Arc::default();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _stop = receiver(port, got.clone()).await;
    for (name, url) in
        [("by name", format!("http://localhost:{port}/hook")), ("by address", format!("http://127.0.0.1:{port}/hook"))]
    {
        let hook = NewWebhook {
            name: name.into(),
            format: "json".into(),
            url,
            secret: None,
            enabled: true,
            allow_private: true,
        };
        s.add_webhook(&command, &hook).await.unwrap();
    }
    let (unit, _) = unit_cadres(s, "市林草局").await;
    let new = NewOrder {
        unit_id: unit,
        people: 1,
        compound_ids: vec![compound_id(s, "甲小区").await],
        deadline: Utc::now() + chrono::Duration::hours(2),
        note: String::new(),
    };
    s.issue_order(&command, &new).await.unwrap();

    // … is sent nothing by a worker that does not allow them: `localhost` resolves to loopback only.
    let cfg = WorkerConfig { retry_base: Duration::from_millis(10), ..Default::default() };
    assert!(!cfg.allow_private, "off by default");
    let round = deliver_due(s, &http_client(&cfg).unwrap(), &cfg).await.unwrap();
    assert_eq!((round.attempted, round.delivered), (2, 0));
    assert!(got.lock().unwrap().is_empty(), "the receiver got nothing");
    let log = s.deliveries(None, 10).await.unwrap();
    assert_eq!(log.len(), 2);
    for d in &log {
        let e = d.error.as_deref().unwrap_or("");
        assert!(!d.ok && d.status.is_none() && d.state == "done", "{d:?}");
        assert!(e.starts_with(PRIVATE_REFUSED) && e.contains("--webhook-allow-private"), "a clear error: {e}");
        let host = if d.webhook == "by name" { "localhost resolves to 127.0.0.1" } else { "127.0.0.1" };
        assert!(e.contains(host), "{e}");
    }
    // The page words it in the user's language.
    let cmd = app.login("cmd").await;
    let page = app.page(&cmd, "/webhooks").await;
    assert!(page.contains("该地址指向本机、内网或链路本地地址"), "{page}");
    assert!(!page.contains(PRIVATE_REFUSED), "no English line on the Chinese page");

    // With private receivers allowed, the same messages go out.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let cfg = WorkerConfig { allow_private: true, ..cfg };
    let round = deliver_due(s, &http_client(&cfg).unwrap(), &cfg).await.unwrap();
    assert_eq!((round.attempted, round.delivered), (2, 2));
    assert_eq!(got.lock().unwrap().len(), 2);
}

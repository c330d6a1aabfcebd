//! Mobilisation on pages and the API: the command issues; the unit's
//! coordinator taps 收到 and 集结完毕 on a phone; the leader taps 报到.

use chrono::{Duration, Utc};
use cordon_domain::Actor;
use cordon_store::PageRequest;
use cordon_store::units::CadreFilter;
use reqwest::StatusCode;

mod common;

use cordon_store::test_support::{acknowledged_order, compound_id, post_squad, unit_cadres};

use common::{App, csrf_of, spawn_app};

/// Posts one step of an order through the API with a bearer token.
async fn api_step(app: &App, token: &str, id: i64, body: serde_json::Value) -> reqwest::Response {
    common::api()
        .post(app.url(&format!("/api/v1/orders/{id}/steps")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn spawn() -> App {
    spawn_app().await
}

#[tokio::test]
async fn an_order_is_issued_answered_and_reported_through_the_pages() {
    let app = spawn().await;
    let (unit, cadres) = unit_cadres(&app.db.store, "市林草局").await;
    let compound = compound_id(&app.db.store, "甲小区").await;

    let cmd = app.login("cmd").await;
    let form = app.page(&cmd, "/orders/new").await;
    assert!(form.contains("甲小区") && form.contains("市林草局"));
    let deadline = (Utc::now() + Duration::hours(10)).format("%Y-%m-%dT%H:%M").to_string();
    let body = format!(
        "csrf={}&unit={unit}&people=2&deadline={}&note=tonight&compound={compound}",
        csrf_of(&form),
        deadline.replace(':', "%3A")
    );
    let res = app.post_form(&cmd, "/orders", &body).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let order_url = res.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = order_url.rsplit('/').next().unwrap().parse().unwrap();

    // Another unit's coordinator does not see it.
    let gong = app.login("gong").await;
    assert_eq!(gong.get(app.url(&order_url)).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    let lin = app.login("lin").await;
    let page = app.page(&lin, &order_url).await;
    assert!(page.contains(">收到<"), "one tap to acknowledge");
    let token = csrf_of(&page);
    let res = lin
        .post(app.url(&format!("/orders/{id}/step")))
        .form(&[("csrf", token.as_str()), ("event", "acknowledge")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let roster = app.page(&lin, &format!("/orders/{id}/roster")).await;
    assert!(roster.contains("林一") && roster.contains("林二") && !roster.contains("工一"));
    let body = format!(
        "csrf={}&event=assemble&roster={}&roster={}&leader={}&secretary={}",
        csrf_of(&roster),
        cadres[0],
        cadres[1],
        cadres[0],
        cadres[1]
    );
    let res = app.post_form(&lin, &format!("/orders/{id}/step"), &body).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let leader = app.login("leader").await;
    let page = app.page(&leader, &order_url).await;
    assert!(page.contains(">报到<"));
    let res = leader
        .post(app.url(&format!("/orders/{id}/step")))
        .form(&[("csrf", csrf_of(&page).as_str()), ("event", "report")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let list = app.page(&cmd, "/orders").await;
    assert!(list.contains("已报到") && list.contains("市林草局"), "in flight, with its state");
    let detail = app.page(&cmd, &order_url).await;
    for who in ["cmd", "lin", "leader"] {
        assert!(detail.contains(&format!(">{who}<")), "the step by {who} is shown");
    }
    let squad_link = detail.split("href=\"/squads/").nth(1).unwrap().split('"').next().unwrap().to_string();
    let squad = app.page(&cmd, &format!("/squads/{squad_link}")).await;
    assert!(squad.find("林一").unwrap() < squad.find("林二").unwrap(), "leader first");
    assert!(squad.contains("正式党员不足 3 名"));
}

#[tokio::test]
async fn the_api_runs_the_same_steps_and_refuses_one_out_of_order() {
    let app = spawn().await;
    let (unit, _) = unit_cadres(&app.db.store, "市林草局").await;
    let compound = compound_id(&app.db.store, "甲小区").await;
    let cmd = app.db.store.create_token("cmd").await.unwrap();
    let lin = app.db.store.create_token("lin").await.unwrap();
    let c = common::api();
    let res = c
        .post(app.url("/api/v1/orders"))
        .bearer_auth(&cmd)
        .json(&serde_json::json!({"unit_id": unit, "people": 1, "compound_ids": [compound], "deadline": Utc::now() + Duration::hours(3)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let order: serde_json::Value = res.json().await.unwrap();
    let id = order["id"].as_i64().unwrap();
    assert_eq!(order["state"], "issued");
    let res = api_step(&app, &lin, id, serde_json::json!({"event": "report"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        error["error"]["message"], "This step cannot be taken in the order's present state; reload the page.",
        "programs read English"
    );
    let res = api_step(&app, &lin, id, serde_json::json!({"event": "acknowledge"})).await;
    let order: serde_json::Value = res.json().await.unwrap();
    assert_eq!(order["state"], "acknowledged");
    assert_eq!(order["steps"].as_array().unwrap().len(), 2);
    let res = api_step(&app, &cmd, id, serde_json::json!({"event": "cancel"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "a cancel needs a reason");
}

#[tokio::test]
async fn the_notice_board_lists_the_posted_squad_with_phones_and_a_qr_code_to_the_public_page() {
    let app = spawn().await;
    let s = &app.db.store;
    let system = Actor::system();
    let (compound, _, _) = post_squad(s, "市林草局", "甲小区", 1).await;
    let checkpoint = s.checkpoints(&system, compound).await.unwrap()[0].id;

    let leader = app.login("leader").await;
    let board = app.page(&leader, &format!("/checkpoints/{checkpoint}/board")).await;
    assert!(
        board.contains("<svg") && board.contains("13900000004") && board.contains("13900000003"),
        "phones in full and a QR code"
    );
    assert!(board.find("林二").unwrap() < board.find("林一").unwrap(), "the leader first");
    // The test server answers on 127.0.0.1: the QR code cannot be opened by a resident's phone, and the page says so.
    assert!(board.contains("id=\"board-unreachable\"") && board.contains("127.0.0.1"), "the loopback warning");
    assert!(board.contains("--public-url"), "with the fix");
    let today = cordon_domain::clock::Zone::default().local(app.db.store.now()).format("%Y-%m-%d").to_string();
    assert!(board.contains(&format!("打印于 {today}")), "the print date in the deployment's zone");
    assert!(board.contains("/static/board-a4.css"));
    assert!(
        app.page(&leader, &format!("/checkpoints/{checkpoint}/board?size=a3")).await.contains("/static/board-a3.css")
    );
    let footer = &board[board.rfind("/c/").unwrap()..];
    let public_path = footer.split(|c: char| c == '<' || c.is_whitespace()).next().unwrap();
    let anon = common::api();
    let public = anon.get(app.url(public_path)).send().await.unwrap();
    assert_eq!(public.status(), StatusCode::OK, "no login needed");
    assert!(public.text().await.unwrap().contains("tel:13900000004"));
    assert_eq!(anon.get(app.url("/c/guessed")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    // Someone of another unit does not see this compound's board.
    let gong = app.login("gong").await;
    assert_eq!(
        gong.get(app.url(&format!("/checkpoints/{checkpoint}/board"))).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn behind_a_proxy_the_board_links_the_configured_public_address() {
    let app =
        common::spawn_app_with(cordon_store::test_support::sqlite().await, Some("https://cordon.example.gov.cn")).await;
    let (compound, _, _) = post_squad(&app.db.store, "市林草局", "甲小区", 1).await;
    let checkpoint = app.db.store.checkpoints(&Actor::system(), compound).await.unwrap()[0].id;
    let leader = app.login("leader").await;
    let board = app.page(&leader, &format!("/checkpoints/{checkpoint}/board")).await;
    assert!(board.contains("https://cordon.example.gov.cn/c/"), "the QR's address is the public one");
    assert!(!board.contains("board-unreachable"), "no warning for a public address");
    assert!(!board.contains(&format!("{}/c/", app.base)));
}

#[tokio::test]
async fn a_coordinator_records_training_and_adds_a_liaison_on_the_pages() {
    use cordon_domain::orders::OrderEvent;
    use cordon_domain::squads::SquadRole;
    use cordon_store::orders::NewOrder;
    let app = spawn().await;
    let s = &app.db.store;
    let system = Actor::system();
    let (gong_unit, _) = unit_cadres(s, "市总工会").await;
    let untrained = s
        .cadres(&system, &CadreFilter { q: Some("工二".into()), ..Default::default() }, PageRequest::new(None, None))
        .await
        .unwrap()
        .items[0]
        .id;
    let gong = app.login("gong").await;
    let page = app.page(&gong, &format!("/cadres/{untrained}")).await;
    assert!(page.contains("未培训"));
    let res = gong
        .post(app.url(&format!("/cadres/{untrained}/training")))
        .form(&[("csrf", csrf_of(&page).as_str()), ("course", "岗前培训"), ("day", "2022-12-01")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(app.page(&gong, &format!("/cadres/{untrained}")).await.contains("2022-12-01 · 岗前培训"));

    let compound = compound_id(s, "乙小区").await;
    let order = NewOrder {
        unit_id: gong_unit,
        people: 2,
        compound_ids: vec![compound],
        deadline: Utc::now() + Duration::hours(1),
        note: String::new(),
    };
    let id = s.issue_order(&system, &order).await.unwrap();
    s.order_step(&system, id, OrderEvent::Acknowledge, &[], false).await.unwrap();
    let roles = [(untrained, SquadRole::Leader)];
    s.order_step(&system, id, OrderEvent::Assemble { roster: vec![untrained] }, &roles, false).await.unwrap();
    let squad = s.order(&system, id).await.unwrap().squad_id.unwrap();
    let page = app.page(&gong, &format!("/squads/{squad}")).await;
    let bad = gong
        .post(app.url(&format!("/squads/{squad}/liaisons")))
        .form(&[("csrf", csrf_of(&page).as_str()), ("name", "王书记"), ("role", "社区书记"), ("phone", "123")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("手机号为 11 位数字"), "the bad phone said in Chinese");
    let ok = gong
        .post(app.url(&format!("/squads/{squad}/liaisons")))
        .form(&[("csrf", csrf_of(&page).as_str()), ("name", "王书记"), ("role", "社区书记"), ("phone", "13700000001")])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert!(app.page(&gong, &format!("/squads/{squad}")).await.contains("tel:13700000001"));
}

#[tokio::test]
async fn the_overview_counts_people_per_unit_compound_and_street() {
    let app = spawn().await;
    let s = &app.db.store;
    let system = Actor::system();
    post_squad(s, "市林草局", "甲小区", 0).await;
    let o = s.overview(&system).await.unwrap();
    let lin = o.units.iter().find(|u| u.unit == "市林草局").unwrap();
    assert_eq!((lin.cadres, lin.drawn, lin.squads), (2, 2, 1));
    let jia = o.compounds.iter().find(|c| c.compound == "甲小区").unwrap();
    assert_eq!((jia.headcount, jia.leaders.clone()), (2, vec!["林一".to_string()]));
    let renli = o.streets.iter().find(|st| st.street == "仁里街道").unwrap();
    assert_eq!((renli.compounds, renli.guarded, renli.headcount), (1, 1, 2));
    let dayou = o.streets.iter().find(|st| st.street == "大有坊街道").unwrap();
    assert_eq!(dayou.guarded, 0);
    let cmd = app.login("cmd").await;
    let page = app.page(&cmd, "/squads").await;
    assert!(page.contains("尚无小分队") && page.contains("林一"));
    // A squad leader's overview holds only their compound and no units.
    let leader = app.login("leader").await;
    let api: serde_json::Value = leader.get(app.url("/api/v1/squads")).send().await.unwrap().json().await.unwrap();
    assert_eq!(api["compounds"].as_array().unwrap().len(), 1);
    assert!(api["units"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_leader_records_kits_on_the_squad_page_and_corrects_a_mistake_by_reversal() {
    let app = spawn().await;
    let s = &app.db.store;
    let system = Actor::system();
    let coat = s.upsert_kit_item(&system, "迷彩棉服", "camouflage padded coat", 1).await.unwrap();
    let (_, _, squad) = post_squad(s, "市林草局", "甲小区", 0).await;
    let member = s.squad(&system, squad).await.unwrap().members[0].cadre_id;
    let leader = app.login("leader").await;
    let page = app.page(&leader, &format!("/squads/{squad}")).await;
    assert!(page.contains("防疫战斗包") && page.contains("迷彩棉服"));
    let body =
        [("csrf", csrf_of(&page)), ("cadre", member.to_string()), ("item", coat.to_string()), ("quantity", "2".into())];
    let res = leader.post(app.url(&format!("/squads/{squad}/kits"))).form(&body).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let entry = s.kit_status(&system, squad).await.unwrap().entries[0].id;
    let res = leader
        .post(app.url(&format!("/squads/{squad}/kits/{entry}/reverse")))
        .form(&[("csrf", csrf_of(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let kits = s.kit_status(&system, squad).await.unwrap();
    assert_eq!((kits.entries.len(), kits.lines[0].issued, kits.lines[0].owed), (2, 0, 2));
    let again = leader
        .post(app.url(&format!("/squads/{squad}/kits/{entry}/reverse")))
        .form(&[("csrf", csrf_of(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY, "an entry is corrected once");
    assert!(again.text().await.unwrap().contains("这条记录已经更正过了"), "said in Chinese");
}

#[tokio::test]
async fn only_roles_that_may_see_cadres_see_an_orders_candidates_and_roster_page() {
    let app = spawn().await;
    let s = &app.db.store;
    let (id, _) = acknowledged_order(s, "市林草局", "甲小区", Some(2)).await;
    // The unit's coordinator and the command pick the roster.
    for who in ["lin", "cmd"] {
        let c = app.login(who).await;
        let page = app.page(&c, &format!("/orders/{id}/roster")).await;
        assert!(page.contains("林一") && page.contains("林二"), "{who} sees the unit's cadres");
    }
    // A squad member, a squad leader and a community worker of the compound see the order,
    // but not the unit's cadres: no candidates by page or API, no link to the roster page.
    s.create_user(
        "community-a",
        cordon_store::test_support::PASSWORD,
        cordon_domain::Role::Community,
        &cordon_domain::ScopeSpec::parse("道外区/仁里街道/民强社区/甲小区").unwrap(),
    )
    .await
    .unwrap();
    for who in ["member-a", "leader-a", "community-a"] {
        let c = app.login(who).await;
        assert_eq!(c.get(app.url(&format!("/orders/{id}"))).send().await.unwrap().status(), StatusCode::OK, "{who}");
        let detail = app.page(&c, &format!("/orders/{id}")).await;
        assert!(!detail.contains(&format!("/orders/{id}/roster")), "{who}: no link to a page they may not open");
        let roster = c.get(app.url(&format!("/orders/{id}/roster"))).send().await.unwrap();
        assert_eq!(roster.status(), StatusCode::FORBIDDEN, "{who}");
        assert!(!roster.text().await.unwrap().contains("林二"), "{who}");
        let token = s.create_token(who).await.unwrap();
        let api = common::api()
            .get(app.url(&format!("/api/v1/orders/{id}/candidates")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), StatusCode::FORBIDDEN, "{who}");
    }
}

#[tokio::test]
async fn an_assembly_naming_a_cadre_that_is_no_number_is_refused_not_posted_short() {
    let app = spawn().await;
    let s = &app.db.store;
    let system = Actor::system();
    let (id, cadres) = acknowledged_order(s, "市林草局", "甲小区", Some(2)).await;
    let lin = app.login("lin").await;
    let token = app.csrf(&lin, &format!("/orders/{id}/roster")).await;
    let body = format!("csrf={token}&event=assemble&roster={}&roster=abc&leader={}", cadres[0], cadres[0]);
    let res = app.post_form(&lin, &format!("/orders/{id}/step"), &body).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let after = s.order(&system, id).await.unwrap();
    assert_eq!(after.state.as_str(), "acknowledged", "nobody was posted");
}

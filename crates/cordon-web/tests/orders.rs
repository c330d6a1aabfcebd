//! Mobilisation on pages and the API: the command issues; the unit's
//! coordinator taps 收到 and 集结完毕 on a phone; the squad's leader or
//! secretary taps 报到, once, or a coordinator reports for the squad.

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

    // 报到 is the tap of the squad's leader: the account of 林一.
    app.db.store.link_cadre("leader", Some(cadres[0])).await.unwrap();
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

/// A cadre's id by name.
async fn cadre_named(s: &cordon_store::Store, name: &str) -> i64 {
    let filter = CadreFilter { q: Some(name.into()), ..Default::default() };
    s.cadres(&Actor::system(), &filter, PageRequest::new(None, None)).await.unwrap().items[0].id
}

/// Cadres added to the fixture: unit, name, party member (是/否).
async fn add_cadres(s: &cordon_store::Store, rows: &[(&str, &str, &str)]) {
    let phones: Vec<String> = (0..rows.len()).map(|i| format!("1370000{:04}", 100 + i)).collect();
    let cells: Vec<Vec<&str>> = rows
        .iter()
        .zip(&phones)
        .map(|((unit, name, party), phone)| vec![*unit, *name, "科员", *party, phone, "男"])
        .collect();
    let cells: Vec<&[&str]> = cells.iter().map(|r| r.as_slice()).collect();
    let sheet = cordon_store::test_support::sheet(&["单位", "姓名", "职务", "党员", "手机号", "性别"], &cells);
    let none = |_: &cordon_store::imports::ImportProgress| {};
    s.import(&Actor::system(), cordon_store::imports::ImportKind::Cadres, &sheet, &none).await.unwrap();
}

/// An order of 市林草局 at 甲小区, assembled by the system with 林一 leading, 林二
/// the branch secretary and 林三 a plain member; the accounts `leader`,
/// `member-a` and `leader-a` belong to them, in that order. Returns the order's id.
async fn assembled_lin_squad(app: &App) -> i64 {
    use cordon_domain::orders::OrderEvent;
    use cordon_domain::squads::SquadRole;
    let s = &app.db.store;
    add_cadres(s, &[("市林草局", "林三", "否")]).await;
    let (id, _) = acknowledged_order(s, "市林草局", "甲小区", Some(3)).await;
    let (one, two, three) = (cadre_named(s, "林一").await, cadre_named(s, "林二").await, cadre_named(s, "林三").await);
    let roles = [(one, SquadRole::Leader), (two, SquadRole::Secretary)];
    s.order_step(&Actor::system(), id, OrderEvent::Assemble { roster: vec![one, two, three] }, &roles, true)
        .await
        .unwrap();
    for (account, cadre) in [("leader", one), ("member-a", two), ("leader-a", three)] {
        s.link_cadre(account, Some(cadre)).await.unwrap();
    }
    id
}

/// Posts 报到 on an order's page as this client, with the page's token.
async fn report(app: &App, c: &reqwest::Client, id: i64, token: &str) -> reqwest::Response {
    c.post(app.url(&format!("/orders/{id}/step"))).form(&[("csrf", token), ("event", "report")]).send().await.unwrap()
}

#[tokio::test]
async fn a_roster_whose_leader_is_not_among_the_chosen_is_refused_in_words_with_the_ticks_kept() {
    for db in cordon_store::test_support::engines().await {
        let app = common::spawn_app_on(db).await;
        let s = &app.db.store;
        let (id, _) = acknowledged_order(s, "市林草局", "甲小区", Some(2)).await;
        let (one, two) = (cadre_named(s, "林一").await, cadre_named(s, "林二").await);
        let lin = app.login("lin").await;
        let page = app.page(&lin, &format!("/orders/{id}/roster")).await;
        assert!(page.contains("已选 <span class=\"pick-n\"></span>/2"), "the running count of the 2 asked for");
        // 林二 ticked and made secretary; 林一 made leader but left unticked.
        let body = format!("csrf={}&event=assemble&roster={two}&leader={one}&secretary={two}", csrf_of(&page));
        let res = app.post_form(&lin, &format!("/orders/{id}/step"), &body).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", app.db.engine);
        let page = res.text().await.unwrap();
        assert!(page.contains("所选队长不在已选人员中"), "said in Chinese: {page}");
        let ticked = |name: &str, cadre: i64| format!("name=\"{name}\" value=\"{cadre}\" checked");
        assert!(page.contains(&ticked("roster", two)), "林二 is still ticked");
        assert!(!page.contains(&ticked("roster", one)), "林一 is still not ticked");
        assert!(page.contains(&ticked("leader", one)) && page.contains(&ticked("secretary", two)), "the choices kept");
        assert_eq!(s.order(&Actor::system(), id).await.unwrap().state.as_str(), "acknowledged", "nobody posted");
        // In English too.
        lin.get(app.url("/lang/en?back=/")).send().await.unwrap();
        let res = app.post_form(&lin, &format!("/orders/{id}/step"), &body).await;
        assert!(res.text().await.unwrap().contains("The leader you chose is not among the people picked"));
        // A secretary who is no party member is refused by name; then the roster as meant goes through.
        add_cadres(s, &[("市林草局", "林四", "否")]).await;
        let four = cadre_named(s, "林四").await;
        let body = format!(
            "csrf={}&event=assemble&roster={one}&roster={four}&leader={one}&secretary={four}&confirm=yes",
            csrf_of(&page)
        );
        let res = app.post_form(&lin, &format!("/orders/{id}/step"), &body).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("林四 is not a formal party member"));
        // One person chosen as leader and secretary is refused aloud, not made leader only.
        let body =
            format!("csrf={}&event=assemble&roster={one}&roster={two}&leader={one}&secretary={one}", csrf_of(&page));
        let res = app.post_form(&lin, &format!("/orders/{id}/step"), &body).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", app.db.engine);
        assert!(res.text().await.unwrap().contains("The leader and the branch secretary must be two people"));
        assert_eq!(s.order(&Actor::system(), id).await.unwrap().state.as_str(), "acknowledged", "nobody posted");
        let body =
            format!("csrf={}&event=assemble&roster={one}&roster={two}&leader={one}&secretary={two}", csrf_of(&page));
        let res = app.post_form(&lin, &format!("/orders/{id}/step"), &body).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", app.db.engine);
    }
}

#[tokio::test]
async fn the_picker_lists_free_trained_party_members_first_and_the_unavailable_last_and_disabled() {
    for db in cordon_store::test_support::engines().await {
        let app = common::spawn_app_on(db).await;
        let s = &app.db.store;
        let system = Actor::system();
        // 工一 party, trained and 工二 neither come with the fixture; 工三 to 工六 are trained.
        add_cadres(
            s,
            &[
                ("市总工会", "工三", "是"),
                ("市总工会", "工四", "否"),
                ("市总工会", "工五", "是"),
                ("市总工会", "工六", "是"),
            ],
        )
        .await;
        let day = chrono::NaiveDate::from_ymd_opt(2022, 11, 30).unwrap();
        for name in ["工三", "工四", "工五", "工六"] {
            s.record_training(&system, cadre_named(s, name).await, "岗前培训", day).await.unwrap();
        }
        // 工五 is posted with a squad at 乙小区 already; 工六 is on leave.
        let (first, _) = acknowledged_order(s, "市总工会", "乙小区", Some(1)).await;
        let five = cadre_named(s, "工五").await;
        let roles = [(five, cordon_domain::squads::SquadRole::Leader)];
        s.order_step(&system, first, cordon_domain::orders::OrderEvent::Assemble { roster: vec![five] }, &roles, false)
            .await
            .unwrap();
        let six = cadre_named(s, "工六").await;
        s.execute_raw(&format!("UPDATE cadres SET availability = 'unavailable' WHERE id = {six}")).await.unwrap();
        let (id, _) = acknowledged_order(s, "市总工会", "甲小区", Some(4)).await;

        let gong = app.login("gong").await;
        let page = app.page(&gong, &format!("/orders/{id}/roster")).await;
        let at = |name: &str| page.find(&format!("<strong>{name}</strong>")).unwrap_or_else(|| panic!("{name} listed"));
        let listed = ["工一", "工三", "工四", "工二", "工五", "工六"];
        assert!(
            listed.windows(2).all(|w| at(w[0]) < at(w[1])),
            "{}: free, trained, party members first",
            app.db.engine
        );
        let card = |cadre: i64| {
            page.split(&format!("value=\"{cadre}\"")).nth(1).unwrap().split("</li>").next().unwrap().to_string()
        };
        let six_card = card(six);
        assert!(six_card.starts_with(" disabled>") && six_card.contains("不可抽调"), "工六 cannot be picked, and why");
        assert!(!six_card.contains("name=\"leader\""), "nor lead");
        assert!(card(five).contains("已派驻"), "工五 can be moved, with where they are");
        assert!(
            !card(cadre_named(s, "工四").await).contains("name=\"secretary\""),
            "no secretary who is no party member"
        );
        // The API lists them in the same order.
        let token = s.create_token("gong").await.unwrap();
        let api: serde_json::Value = app.api_json(&token, &format!("/api/v1/orders/{id}/candidates")).await;
        let names: Vec<&str> = api.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, listed);
    }
}

#[tokio::test]
async fn the_leader_reports_a_plain_member_may_not_and_a_coordinator_reports_for_the_squad_on_record() {
    for db in cordon_store::test_support::engines().await {
        let app = common::spawn_app_on(db).await;
        let s = &app.db.store;
        let id = assembled_lin_squad(&app).await;
        // 林三 has a leader's account but is a plain member of this squad: no button, and refused.
        let plain = app.login("leader-a").await;
        let page = app.page(&plain, &format!("/orders/{id}")).await;
        assert!(!page.contains("value=\"report\""), "no 报到 for a plain member");
        assert_eq!(report(&app, &plain, id, &csrf_of(&page)).await.status(), StatusCode::FORBIDDEN);
        // The leader reports; it is the squad's own report.
        let leader = app.login("leader").await;
        let page = app.page(&leader, &format!("/orders/{id}")).await;
        assert!(page.contains(">报到<"));
        assert_eq!(report(&app, &leader, id, &csrf_of(&page)).await.status(), StatusCode::SEE_OTHER);
        let order = s.order(&Actor::system(), id).await.unwrap();
        let last = order.steps.last().unwrap();
        assert_eq!((last.state.as_str(), last.actor.as_str(), last.on_behalf), ("on-site", "leader", false));
        assert!(!app.page(&leader, &format!("/orders/{id}")).await.contains("代小分队"));

        // 市总工会's squad at 乙小区, 工一 leading: their coordinator reports for it, and the page says so.
        let (_, theirs, _) = post_squad(s, "市总工会", "乙小区", 0).await;
        let gong = app.login("gong").await;
        let page = app.page(&gong, &format!("/orders/{theirs}")).await;
        assert!(page.contains(">代小分队报到<"), "the button says it is for the squad");
        assert_eq!(report(&app, &gong, theirs, &csrf_of(&page)).await.status(), StatusCode::SEE_OTHER);
        let cmd = app.login("cmd").await;
        assert!(
            app.page(&cmd, &format!("/orders/{theirs}")).await.contains("由 gong 代小分队报到"),
            "{}",
            app.db.engine
        );
        cmd.get(app.url("/lang/en?back=/")).send().await.unwrap();
        assert!(app.page(&cmd, &format!("/orders/{theirs}")).await.contains("reported by gong for the squad"));
        let token = s.create_token("cmd").await.unwrap();
        let api: serde_json::Value = app.api_json(&token, &format!("/api/v1/orders/{theirs}")).await;
        let step = api["steps"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((step["actor"].as_str(), step["on_behalf"].as_bool()), (Some("gong"), Some(true)));
        let audit = s
            .audit_entries(
                &Actor::system(),
                &cordon_store::audit::AuditFilter {
                    entity: Some("order".into()),
                    entity_id: Some(theirs.to_string()),
                    actor: Some("gong".into()),
                },
                PageRequest::new(None, None),
            )
            .await
            .unwrap();
        assert!(audit.items.iter().any(|e| e.after_json.as_deref().is_some_and(|a| a.contains("\"on_behalf\":true"))));
    }
}

#[tokio::test]
async fn the_leader_and_the_secretary_pressing_report_at_once_make_one_report_and_the_rest_are_told() {
    for db in cordon_store::test_support::engines().await {
        let app = common::spawn_app_on(db).await;
        let id = assembled_lin_squad(&app).await;
        let leader = app.login("leader").await;
        let secretary = app.login("member-a").await;
        let mut presses = Vec::new();
        for c in [&leader, &secretary] {
            let page = app.page(c, &format!("/orders/{id}")).await;
            assert!(page.contains(">报到<"), "the secretary reports as well as the leader");
            let token = csrf_of(&page);
            for _ in 0..4 {
                presses.push((c.clone(), token.clone()));
            }
        }
        let app = std::sync::Arc::new(app);
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(presses.len()));
        let tasks: Vec<_> = presses
            .into_iter()
            .map(|(c, token)| {
                let (app, barrier) = (app.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    let res = report(&app, &c, id, &token).await;
                    (res.status(), res.text().await.unwrap())
                })
            })
            .collect();
        let mut answers = Vec::new();
        for t in tasks {
            answers.push(t.await.unwrap());
        }
        let done = answers.iter().filter(|(st, _)| *st == StatusCode::SEE_OTHER).count();
        assert_eq!(done, 1, "{}: one report: {:?}", app.db.engine, answers.iter().map(|a| a.0).collect::<Vec<_>>());
        for (status, page) in answers.iter().filter(|(st, _)| *st != StatusCode::SEE_OTHER) {
            assert_eq!(*status, StatusCode::CONFLICT, "{}", app.db.engine);
            assert!(page.contains("报到，无需重复报到"), "told it is done: {page}");
        }
        let s = &app.db.store;
        let order = s.order(&Actor::system(), id).await.unwrap();
        assert_eq!(order.steps.iter().filter(|st| st.state == "on-site").count(), 1, "{}", app.db.engine);
        let audit = s
            .audit_entries(
                &Actor::system(),
                &cordon_store::audit::AuditFilter {
                    entity: Some("order".into()),
                    entity_id: Some(id.to_string()),
                    actor: None,
                },
                PageRequest::new(None, None),
            )
            .await
            .unwrap();
        assert_eq!(audit.items.iter().filter(|e| e.action == "report").count(), 1, "one audit entry");
    }
}

/// A refusal the API words with a time shows it in the deployment's zone,
/// not in Shanghai's when the deployment is elsewhere.
#[tokio::test]
async fn an_api_refusal_shows_its_time_in_the_deployments_zone() {
    let moscow = cordon_domain::clock::Zone::parse("Europe/Moscow").unwrap();
    let app = common::spawn_app_configured(cordon_store::test_support::sqlite().await, |s| s.zone = moscow).await;
    let (_, id, _) = post_squad(&app.db.store, "市林草局", "甲小区", 0).await;
    let lin = app.db.store.create_token("lin").await.unwrap();
    let res = api_step(&app, &lin, id, serde_json::json!({"event": "report"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let order: serde_json::Value = res.json().await.unwrap();
    let at: chrono::DateTime<Utc> =
        order["steps"].as_array().unwrap().last().unwrap()["at"].as_str().unwrap().parse().unwrap();
    let res = api_step(&app, &lin, id, serde_json::json!({"event": "report"})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let error: serde_json::Value = res.json().await.unwrap();
    let message = error["error"]["message"].as_str().unwrap();
    let local = moscow.local(at).format("%m-%d %H:%M").to_string();
    let shanghai = cordon_domain::clock::Zone::default().local(at).format("%m-%d %H:%M").to_string();
    assert!(message.contains(&local), "Moscow time {local} in {message}");
    assert!(!message.contains(&shanghai), "not Shanghai's {shanghai}: {message}");
}

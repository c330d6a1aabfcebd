//! Duty rosters on pages and the API: the leader builds the week on a phone
//! and sees who is on duty now; a member reads their own shifts and writes
//! the handover, but cannot edit the roster.

use reqwest::StatusCode;

mod common;

use common::{csrf_of, spawn_app};
use cordon_store::test_support::{post_squad, unit_cadres};

/// Rosters start yesterday, so that one of their shifts runs now whatever the hour.
fn yesterday() -> String {
    cordon_domain::clock::Zone::default().date_of(chrono::Utc::now()).pred_opt().unwrap().to_string()
}

#[tokio::test]
async fn a_leader_builds_the_week_on_the_page_and_a_member_only_reads_and_hands_over() {
    let app = spawn_app().await;
    let s = &app.db.store;
    let (_, _, squad) = post_squad(s, "市林草局", "甲小区", 0).await;
    let cadres = unit_cadres(s, "市林草局").await.1;
    s.link_cadre("member-a", Some(cadres[1])).await.unwrap();

    // The leader opens the roster: nothing yet, the build form open.
    let leader = app.login("leader").await;
    let page = app.page(&leader, &format!("/squads/{squad}/roster")).await;
    assert!(page.contains("当前在岗") && page.contains("东门") && page.contains("西门"), "{page}");
    assert!(page.contains("按模板生成班次") && page.contains("08:00,16:00,00:00"));
    let csrf = csrf_of(&page);

    // A bad pattern is refused with a message in Chinese, nothing built.
    let bad = format!("csrf={csrf}&first_day={}&days=7&pattern=25%3A00&per_shift=1", yesterday());
    let res = app.post_form(&leader, &format!("/squads/{squad}/roster"), &bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("各班开始时间应为"));

    // A week from yesterday: someone at each gate now.
    let good = |csrf: &str| {
        format!("csrf={csrf}&first_day={}&days=7&pattern=08%3A00%2C16%3A00%2C00%3A00&per_shift=1", yesterday())
    };
    let res = app.post_form(&leader, &format!("/squads/{squad}/roster"), &good(&csrf)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = app.page(&leader, &format!("/squads/{squad}/roster")).await;
    assert!(page.contains("林一") && page.contains("林二"), "{page}");
    assert!(!page.contains("class=\"tag late\">无人"), "both gates are staffed now: {page}");
    // The squad page counts them and links the roster.
    let squad_page = app.page(&leader, &format!("/squads/{squad}")).await;
    assert!(squad_page.contains(&format!("/squads/{squad}/roster")));
    assert_eq!(s.squad(&cordon_domain::Actor::system(), squad).await.unwrap().on_duty, 2);
    // Putting both at the west gate now clashes with the east gate: said in Chinese, with the local time.
    let zone = cordon_domain::clock::Zone::default();
    let now = chrono::Utc::now();
    let roster = s.roster(&cordon_domain::Actor::system(), squad, zone.date_of(now), 1, zone, now).await.unwrap();
    let west_now = roster.checkpoints[1].shifts.iter().find(|sh| sh.now).unwrap();
    let both = format!("csrf={}&cadre={}&cadre={}", csrf_of(&page), cadres[0], cadres[1]);
    let res = app.post_form(&leader, &format!("/shifts/{}/members", west_now.id), &both).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = res.text().await.unwrap();
    assert!(text.contains("在该时段已有其他班次（东门，"), "{text}");
    assert!(!text.contains("@roster"), "no message key shows");

    // The member sees their own shifts on the phone …
    let member = app.login("member-a").await;
    let home = app.page(&member, "/").await;
    assert!(home.contains("/me/shifts"), "the member's home links their shifts");
    assert!(home.contains(&format!("href=\"/squads/{squad}\"")), "and their squad");
    let mine = app.page(&member, "/me/shifts").await;
    assert!(mine.contains("甲小区") && mine.contains("当前"), "{mine}");
    let first_shift: i64 = mine.split("href=\"/shifts/").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();

    // … reads the roster without the build form, cannot build or staff it …
    let page = app.page(&member, &format!("/squads/{squad}/roster")).await;
    assert!(!page.contains("按模板生成班次"));
    let csrf = csrf_of(&page);
    let res = app.post_form(&member, &format!("/squads/{squad}/roster"), &good(&csrf)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .post_form(&member, &format!("/shifts/{first_shift}/members"), &format!("csrf={csrf}&cadre={}", cadres[1]))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // … and writes the handover note of their own shift.
    let res = app
        .post_form(
            &member,
            &format!("/shifts/{first_shift}/handover"),
            &format!("csrf={csrf}&note=%E4%B8%89%E5%8F%B7%E6%A5%BC%E5%A4%96%E5%8D%96%E5%B7%B2%E9%80%81"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(app.page(&leader, &format!("/shifts/{first_shift}")).await.contains("三号楼外卖已送"));

    // Clearing shifts to rebuild: the member may not; the leader must tick the box.
    let tomorrow = cordon_domain::clock::Zone::default().date_of(chrono::Utc::now()).succ_opt().unwrap();
    let clear = |csrf: &str, sure: bool| format!("csrf={csrf}&from={tomorrow}{}", if sure { "&sure=yes" } else { "" });
    let res = app.post_form(&member, &format!("/squads/{squad}/roster/clear"), &clear(&csrf, true)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let leader_csrf = csrf_of(&app.page(&leader, &format!("/squads/{squad}/roster")).await);
    let res = app.post_form(&leader, &format!("/squads/{squad}/roster/clear"), &clear(&leader_csrf, false)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("请勾选确认后再清除班次"));
    let res = app.post_form(&leader, &format!("/squads/{squad}/roster/clear"), &clear(&leader_csrf, true)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let system = cordon_domain::Actor::system();
    let left = s.roster(&system, squad, tomorrow, 3, Default::default(), chrono::Utc::now()).await.unwrap();
    assert!(left.checkpoints.iter().all(|c| c.shifts.is_empty()), "nothing from tomorrow on");

    // Another unit's coordinator does not see the roster at all.
    let gong = app.login("gong").await;
    let res = gong.get(app.url(&format!("/squads/{squad}/roster"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = gong.get(app.url(&format!("/shifts/{first_shift}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_roster_api_builds_staffs_and_refuses_a_member() {
    let app = spawn_app().await;
    let s = &app.db.store;
    let (_, _, squad) = post_squad(s, "市林草局", "甲小区", 0).await;
    let cadres = unit_cadres(s, "市林草局").await.1;
    s.link_cadre("member-a", Some(cadres[1])).await.unwrap();
    let lin = s.create_token("lin").await.unwrap();
    let member = s.create_token("member-a").await.unwrap();
    let c = common::api();
    let build =
        serde_json::json!({"first_day": yesterday(), "days": 2, "pattern": "08:00,16:00,00:00", "per_shift": 0});

    let res = c.post(app.url(&format!("/api/v1/squads/{squad}/roster"))).bearer_auth(&member).json(&build);
    assert_eq!(res.send().await.unwrap().status(), StatusCode::FORBIDDEN, "a squad member cannot edit the roster");
    let res = c.post(app.url(&format!("/api/v1/squads/{squad}/roster"))).bearer_auth(&lin).json(&build);
    let built: serde_json::Value = res.send().await.unwrap().json().await.unwrap();
    assert_eq!(built["made"], 12, "two gates, three shifts, two days: {built}");
    assert!(built["roster"]["empty_shifts"].as_u64().unwrap() >= 6, "empty shifts are flagged: {built}");
    let now_shift = built["roster"]["checkpoints"][0]["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["now"] == true)
        .expect("a shift running now")["id"]
        .as_i64()
        .unwrap();

    let staff = serde_json::json!({"cadre_ids": [cadres[1]]});
    let res = c.put(app.url(&format!("/api/v1/shifts/{now_shift}/members"))).bearer_auth(&member).json(&staff);
    assert_eq!(res.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let res = c.put(app.url(&format!("/api/v1/shifts/{now_shift}/members"))).bearer_auth(&lin).json(&staff);
    let shift: serde_json::Value = res.send().await.unwrap().json().await.unwrap();
    assert_eq!((shift["empty"].as_bool(), shift["now"].as_bool()), (Some(false), Some(true)), "{shift}");

    let mine: serde_json::Value =
        c.get(app.url("/api/v1/me/shifts")).bearer_auth(&member).send().await.unwrap().json().await.unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine[0]["id"], now_shift);

    let res = c.put(app.url(&format!("/api/v1/shifts/{now_shift}/handover"))).bearer_auth(&member);
    let shift: serde_json::Value =
        res.json(&serde_json::json!({"note": "西门道闸坏了，已报修"})).send().await.unwrap().json().await.unwrap();
    assert_eq!(shift["handover"], "西门道闸坏了，已报修");

    let url = app.url(&format!("/api/v1/squads/{squad}/roster?from={}", yesterday()));
    assert_eq!(c.delete(&url).bearer_auth(&member).send().await.unwrap().status(), StatusCode::FORBIDDEN);

    let bad = serde_json::json!({"first_day": "tomorrow", "days": 2, "pattern": "08:00", "per_shift": 1});
    let res = c.post(app.url(&format!("/api/v1/squads/{squad}/roster"))).bearer_auth(&lin).json(&bad);
    assert_eq!(res.send().await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The overview counts who is on duty now.
    let cmd = s.create_token("cmd").await.unwrap();
    let o: serde_json::Value =
        c.get(app.url("/api/v1/squads")).bearer_auth(&cmd).send().await.unwrap().json().await.unwrap();
    let lin_line = o["units"].as_array().unwrap().iter().find(|u| u["unit"] == "市林草局").unwrap();
    assert_eq!(lin_line["on_duty"], 1, "{o}");
}

//! The command's home is a dashboard: counts first, then the orders not yet
//! on site with their clocks (nearest first, amber under 30 minutes), the
//! compounds nobody guards and the gates with nobody on duty, each linked;
//! it refreshes itself without script. Other roles keep their own home. Also
//! the squad page's board per gate and the overview's links for who may follow them.

mod common;

use chrono::Duration;
use cordon_domain::Actor;
use cordon_domain::control::ControlStatus;
use cordon_store::imports::ImportKind;
use cordon_store::orders::NewOrder;
use cordon_store::test_support::{compound_id, engines, post_squad, sheet, unit_cadres};
use reqwest::StatusCode;
use serde_json::Value;

use common::{App, spawn_app_on};

/// Issues an order of `people` from `unit` to `compound`, due in `minutes`.
async fn order(app: &App, unit: &str, compound: &str, minutes: i64) -> i64 {
    let s = &app.db.store;
    let (unit_id, _) = unit_cadres(s, unit).await;
    let new = NewOrder {
        unit_id,
        people: 3,
        compound_ids: vec![compound_id(s, compound).await],
        deadline: s.now() + Duration::minutes(minutes),
        note: String::new(),
    };
    s.issue_order(&Actor::system(), &new).await.unwrap()
}

/// The squad of an assembled order reports at its compound.
async fn report_on_site(app: &App, id: i64) {
    let step = cordon_domain::orders::OrderEvent::ReportOnSite;
    app.db.store.order_step(&Actor::system(), id, step, &[], false).await.unwrap();
}

/// The part of a page from a section's heading to the next heading.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("section {id}"));
    let rest = &page[start..];
    let end = rest[4..].find("<h2").map(|e| e + 4).unwrap_or(rest.len());
    &rest[..end]
}

/// The figure of the count tile whose label is `label`.
fn count(page: &str, label: &str) -> i64 {
    let at = page.find(&format!("<span>{label}</span>")).unwrap_or_else(|| panic!("a count {label}"));
    let before = &page[..at];
    let strong = before.rfind("<strong>").unwrap() + 8;
    before[strong..].split('<').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_command_sees_the_waiting_orders_the_unguarded_compound_and_the_empty_gates_first() {
    for db in engines().await {
        let engine = db.engine;
        let app = spawn_app_on(db).await;
        let s = &app.db.store;
        // 市林草局 holds 甲小区 (two gates, no roster yet); 乙小区 has nobody.
        let (_, posted, squad) = post_squad(s, "市林草局", "甲小区", 0).await;
        report_on_site(&app, posted).await;
        let late = order(&app, "市林草局", "乙小区", 180).await;
        let soon = order(&app, "市总工会", "乙小区", 20).await;
        let yi = compound_id(s, "乙小区").await;
        s.set_control(&Actor::system(), yi, ControlStatus::Sealed, "阳性病例").await.unwrap();
        // 乙小区 gets a gate, which nobody holds: listed too, linked to the compound.
        let gate = sheet(
            &["市", "区", "街道", "社区", "小区", "卡口"],
            &[&["哈尔滨市", "道外区", "大有坊街道", "新一社区", "乙小区", "南门"]],
        );
        s.import(&Actor::system(), ImportKind::Places, &gate, &|_: &cordon_store::imports::ImportProgress| {})
            .await
            .unwrap();

        let cmd = app.login("cmd").await;
        let page = app.page(&cmd, "/").await;
        assert!(page.contains("<meta http-equiv=\"refresh\" content=\"60\">"), "{engine}: refreshes itself");
        assert!(page.contains("<h1>指挥看板</h1>"), "{engine}");
        assert_eq!(count(&page, "小区"), 2, "{engine}");
        assert_eq!(count(&page, "已包保"), 1, "{engine}");
        assert_eq!(count(&page, "未包保"), 1, "{engine}");
        assert_eq!(count(&page, "卡口无人在岗"), 3, "{engine}");
        assert_eq!(count(&page, "调度令未报到"), 2, "{engine}");
        assert!(page.contains("封控区 1"), "{engine}: the control counts");

        let waiting = section(&page, "waiting");
        let (first, second) = (waiting.find(&format!("/orders/{soon}\"")), waiting.find(&format!("/orders/{late}\"")));
        assert!(first.is_some() && second.is_some() && first < second, "{engine}: nearest deadline first: {waiting}");
        let soon_card = &waiting[waiting.find(&format!("/orders/{soon}\"")).unwrap()..];
        let soon_card = &soon_card[..soon_card.find("</a>").unwrap()];
        assert!(
            waiting.contains(&format!("card clock-soon\" href=\"/orders/{soon}\"")),
            "{engine}: amber under 30 min"
        );
        assert!(
            soon_card.contains("市总工会") && soon_card.contains("3 人") && soon_card.contains("已下达"),
            "{engine}"
        );
        assert!(soon_card.contains("还剩 19 分钟") || soon_card.contains("还剩 20 分钟"), "{engine}: {soon_card}");
        assert!(waiting.contains("还剩 2 小时 59 分") || waiting.contains("还剩 3 小时 0 分"), "{engine}: {waiting}");
        assert!(waiting.contains(&format!("card clock-calm\" href=\"/orders/{late}\"")), "{engine}");

        let unguarded = section(&page, "unguarded");
        assert!(unguarded.contains(&format!("href=\"/places/{yi}\"")) && unguarded.contains("乙小区"), "{engine}");
        assert!(unguarded.contains("control-sealed"), "{engine}: the sealed compound is marked");
        assert!(!unguarded.contains("甲小区"), "{engine}");
        let gates = section(&page, "gates");
        assert_eq!(gates.matches(&format!("href=\"/squads/{squad}/roster\"")).count(), 2, "{engine}: {gates}");
        assert!(gates.contains("甲小区 · 东门") && gates.contains("甲小区 · 西门"), "{engine}");
        assert!(
            gates.contains(&format!("href=\"/places/{yi}\"")) && gates.contains("乙小区 · 南门"),
            "{engine}: {gates}"
        );

        // A roster that puts someone on every gate now empties the list.
        let zone = cordon_domain::clock::Zone::default();
        let plan = cordon_store::duty::RosterPlan {
            first_day: zone.date_of(s.now()) - Duration::days(1),
            days: 3,
            pattern: cordon_domain::duty::ShiftPattern::parse("08:00,16:00,00:00").unwrap(),
            per_shift: 1,
        };
        s.build_roster(&Actor::system(), squad, &plan, zone).await.unwrap();
        let page = app.page(&cmd, "/").await;
        assert_eq!(count(&page, "卡口无人在岗"), 1, "{engine}: 乙小区's gate is still empty");
        let gates = section(&page, "gates");
        assert!(!gates.contains("甲小区") && gates.contains("乙小区 · 南门"), "{engine}: {gates}");

        // In English, with the units by their English names.
        assert_eq!(cmd.get(app.url("/lang/en")).send().await.unwrap().status(), StatusCode::SEE_OTHER);
        let page = app.page(&cmd, "/").await;
        assert!(page.contains("<h1>Dashboard</h1>") && page.contains("Federation of Trade Unions"), "{engine}");
        assert!(!page.contains("市总工会"), "{engine}: no Chinese unit name on an English page");
        assert!(page.contains("min left"), "{engine}");
        let squads = app.page(&cmd, "/squads").await;
        assert!(squads.contains("Forestry Bureau") && !squads.contains("市林草局"), "{engine}");

        // The API gives the same figures.
        let api: Value = cmd.get(app.url("/api/v1/dashboard")).send().await.unwrap().json().await.unwrap();
        assert_eq!(api["counts"]["unguarded"], 1, "{engine}");
        assert_eq!(api["waiting"][0]["order"]["id"], soon, "{engine}");
        assert_eq!(api["waiting"][0]["urgency"], "soon", "{engine}");
    }
}

#[tokio::test]
async fn other_roles_keep_their_home_and_see_only_their_scope() {
    for db in engines().await {
        let engine = db.engine;
        let app = spawn_app_on(db).await;
        let s = &app.db.store;
        let (_, posted, squad) = post_squad(s, "市林草局", "甲小区", 0).await;
        report_on_site(&app, posted).await;
        order(&app, "市总工会", "乙小区", 20).await;

        // The squad leader's home is her menu of tiles, not the command's dashboard.
        let leader = app.login("leader").await;
        let page = app.page(&leader, "/").await;
        assert!(page.contains("class=\"tile\"") && !page.contains("nav class=\"counts\""), "{engine}");
        // Her dashboard through the API is her compound only: no other street, no other unit's order.
        let api: Value = leader.get(app.url("/api/v1/dashboard")).send().await.unwrap().json().await.unwrap();
        assert_eq!(api["counts"]["compounds"], 1, "{engine}");
        assert_eq!(api["counts"]["waiting_orders"], 0, "{engine}");
        // The squad page has one board button per gate.
        let page = app.page(&leader, &format!("/squads/{squad}")).await;
        assert_eq!(page.matches("href=\"/checkpoints/").count(), 2, "{engine}: a board per gate");
        assert!(page.contains("公示板 · 东门") && page.contains("公示板 · 西门"), "{engine}");

        // A unit's coordinator sees the compound of its squad but no link to a place page she may not open.
        let gong = app.login("gong").await;
        let api: Value = gong.get(app.url("/api/v1/dashboard")).send().await.unwrap().json().await.unwrap();
        assert_eq!(api["counts"]["waiting_orders"], 1, "{engine}: her unit's order");
        let lin = app.login("lin").await;
        let page = app.page(&lin, "/squads").await;
        let link = page.find("href=\"/places/").map(|i| page[i.saturating_sub(200)..i + 60].to_string());
        assert!(page.contains("甲小区") && link.is_none(), "{engine}: no link to a 403: {link:?}");
        let jia = compound_id(s, "甲小区").await;
        assert_eq!(lin.get(app.url(&format!("/places/{jia}"))).send().await.unwrap().status(), StatusCode::FORBIDDEN);

        // Signed out, the API refuses.
        let res = common::api().get(app.url("/api/v1/dashboard")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{engine}");
    }
}

//! Kits at the gate, on SQLite and PostgreSQL: the kits page of a squad with a
//! card per member, the whole kit handed in one tap ("发放全套") and never
//! twice for two taps at the same instant, the owed figures as the ledger has
//! them, a correction that reverses one cell, who sees and who may tap, the
//! CSRF token on the new form, and times in the deployment's zone.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use cordon_domain::clock::{FixedClock, Zone};
use cordon_domain::{Actor, Role};
use cordon_store::audit::AuditFilter;
use cordon_store::test_support::{engines, post_squad, user};
use cordon_store::{PageRequest, Store};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::sync::Barrier;

mod common;

use common::{App, csrf_of, spawn_app_configured, spawn_app_on};

/// A squad of 市林草局 posted at 甲小区 (both its cadres), a squad of 市总工会
/// at 乙小区, and a template of three items.
struct Fixture {
    app: App,
    squad: i64,
    other_squad: i64,
    members: Vec<i64>,
    /// (id, per person) in template order: 迷彩棉服 1, N95口罩 20, 防护服 2.
    items: Vec<(i64, i64)>,
}

async fn fixture(app: App) -> Fixture {
    let s = &app.db.store;
    let system = Actor::system();
    let mut items = Vec::new();
    for (zh, en, n) in [("迷彩棉服", "padded coat", 1), ("N95口罩", "N95 respirator", 20), ("防护服", "coverall", 2)]
    {
        items.push((s.upsert_kit_item(&system, zh, en, n).await.unwrap(), n));
    }
    let (_, _, squad) = post_squad(s, "市林草局", "甲小区", 0).await;
    let (_, _, other_squad) = post_squad(s, "市总工会", "乙小区", 0).await;
    let members = s.squad(&system, squad).await.unwrap().members.iter().map(|m| m.cadre_id).collect();
    user(s, "leader-b", Role::SquadLeader, "道外区/大有坊街道/新一社区/乙小区").await;
    user(s, "member-b", Role::SquadMember, "道外区/大有坊街道/新一社区/乙小区").await;
    Fixture { app, squad, other_squad, members, items }
}

/// The fixture on every engine of the run.
async fn fixtures() -> Vec<Fixture> {
    let mut out = Vec::new();
    for db in engines().await {
        out.push(fixture(spawn_app_on(db).await).await);
    }
    out
}

/// What the kits page shows of each member's card: cadre → item → (given, owed),
/// and the members whose card carries the 发放全套 button.
struct Cards {
    cells: HashMap<i64, HashMap<i64, (i64, i64)>>,
    whole_buttons: Vec<i64>,
}

fn attr(text: &str, name: &str) -> Option<i64> {
    let start = text.find(&format!("{name}=\""))? + name.len() + 2;
    text[start..].split('"').next()?.parse().ok()
}

fn cards_of(page: &str) -> Cards {
    let mut cells = HashMap::new();
    let mut whole_buttons = Vec::new();
    for card in page.split("<li class=\"kit-card").skip(1) {
        let cadre = attr(card, "data-cadre").expect("a card names its member");
        let mut row = HashMap::new();
        for cell in card.split("<li data-item=").skip(1) {
            let cell = format!("data-item={cell}");
            row.insert(
                attr(&cell, "data-item").unwrap(),
                (attr(&cell, "data-given").unwrap(), attr(&cell, "data-owed").unwrap()),
            );
        }
        if card.contains(&format!("/kits/members/{cadre}/all\"")) {
            whole_buttons.push(cadre);
        }
        cells.insert(cadre, row);
    }
    Cards { cells, whole_buttons }
}

/// The net quantity the ledger gives each (member, item), summed from its entries.
async fn ledger_sums(s: &Store, squad: i64) -> HashMap<(i64, i64), i64> {
    let system = Actor::system();
    let names: HashMap<String, i64> =
        s.squad(&system, squad).await.unwrap().members.into_iter().map(|m| (m.name, m.cadre_id)).collect();
    let items: HashMap<String, i64> = s.kit_items().await.unwrap().into_iter().map(|i| (i.name, i.id)).collect();
    let mut sums = HashMap::new();
    for e in s.kit_status(&system, squad).await.unwrap().entries {
        *sums.entry((names[&e.cadre], items[&e.item])).or_insert(0) += e.quantity;
    }
    sums
}

/// Posts a page form with the page's CSRF token.
async fn tap(app: &App, c: &reqwest::Client, page: &str, path: &str, extra: &[(&str, String)]) -> reqwest::Response {
    let mut form = vec![("csrf", csrf_of(page))];
    form.extend(extra.iter().cloned());
    c.post(app.url(path)).form(&form).send().await.unwrap()
}

fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

#[tokio::test]
async fn one_tap_hands_a_member_the_rest_of_the_template_and_the_grids_owed_figures_match_the_ledger() {
    for f in fixtures().await {
        let (app, squad, engine) = (&f.app, f.squad, f.app.db.engine);
        let s = &app.db.store;
        let (first, second) = (f.members[0], f.members[1]);
        let (coat, masks, suits) = (f.items[0].0, f.items[1].0, f.items[2].0);
        let leader = app.login("leader-a").await;
        let kits = format!("/squads/{squad}/kits");
        let page = app.page(&leader, &kits).await;
        let cards = cards_of(&page);
        assert_eq!(cards.cells.len(), 2, "{engine}: a card per member");
        assert_eq!(cards.cells[&first][&masks], (0, 20));
        let mut buttons = cards.whole_buttons.clone();
        buttons.sort();
        let mut everyone = f.members.clone();
        everyone.sort();
        assert_eq!(buttons, everyone, "{engine}: each card has its 发放全套 button");
        assert!(page.contains("发放全套"));

        // Five masks handed one by one before: the tap hands the rest, not a second kit.
        let body = [("cadre", first.to_string()), ("item", masks.to_string()), ("quantity", "5".to_string())];
        let res = tap(app, &leader, &page, &kits, &body).await;
        assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, kits.clone()), "{engine}");
        let before = s.kit_status(&Actor::system(), squad).await.unwrap().entries.len();
        let page = app.page(&leader, &kits).await;
        assert_eq!(cards_of(&page).cells[&first][&masks], (5, 15), "{engine}");
        let res = tap(app, &leader, &page, &format!("{kits}/members/{first}/all"), &[]).await;
        assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, kits.clone()), "{engine}");

        let status = s.kit_status(&Actor::system(), squad).await.unwrap();
        let new: Vec<_> = status.entries[..status.entries.len() - before].to_vec();
        let mut handed: Vec<(String, i64)> = new.iter().map(|e| (e.item.clone(), e.quantity)).collect();
        handed.sort();
        assert_eq!(
            handed,
            vec![("N95口罩".to_string(), 15), ("迷彩棉服".to_string(), 1), ("防护服".to_string(), 2)],
            "{engine}: every item still owed, each once"
        );
        assert!(new.iter().all(|e| e.actor == "leader-a" && e.reverses.is_none()));
        // Audited like single entries: one "issue" of a "kit" per entry, by the leader.
        let cmd = s.actor_by_username("cmd").await.unwrap().unwrap();
        let filter = AuditFilter { entity: Some("kit".into()), actor: Some("leader-a".into()), ..Default::default() };
        let audit = s.audit_entries(&cmd, &filter, PageRequest { page: 1, per_page: 100 }).await.unwrap().items;
        for e in &new {
            let a = audit.iter().find(|a| a.entity_id == e.id.to_string()).expect("an audit entry per ledger entry");
            assert_eq!(a.action, "issue", "{engine}");
            assert!(a.after_json.as_deref().unwrap_or("").contains(&format!("\"quantity\":{}", e.quantity)));
        }

        let page = app.page(&leader, &kits).await;
        let cards = cards_of(&page);
        assert_eq!(cards.whole_buttons, vec![second], "{engine}: the member with the whole kit has no button left");
        assert_eq!(cards.cells[&first][&coat], (1, 0));
        assert_eq!(cards.cells[&first][&suits], (2, 0));
        assert!(page.contains("已发齐"), "{engine}");
        // Every figure of the grid is the ledger's, on the page and in the API.
        let sums = ledger_sums(s, squad).await;
        let token = s.create_token("lin").await.unwrap();
        let api: Value = app.api_json(&token, &format!("/api/v1/squads/{squad}/kits/members")).await;
        for &m in &f.members {
            for &(item, per_person) in &f.items {
                let given = sums.get(&(m, item)).copied().unwrap_or(0);
                let owed = (per_person - given).max(0);
                assert_eq!(cards.cells[&m][&item], (given, owed), "{engine}: member {m} item {item}");
                let row = api["members"].as_array().unwrap().iter().find(|r| r["cadre_id"] == m).unwrap();
                let cell = row["cells"].as_array().unwrap().iter().find(|c| c["item_id"] == item).unwrap();
                assert_eq!((cell["given"].as_i64(), cell["owed"].as_i64()), (Some(given), Some(owed)), "{engine}");
            }
        }
        // The squad's totals count owed member by member too.
        let masks_line = s.kit_status(&Actor::system(), squad).await.unwrap().lines[1].clone();
        assert_eq!((masks_line.due, masks_line.issued, masks_line.owed), (40, 20, 20), "{engine}");
    }
}

#[tokio::test]
async fn a_correction_reverses_the_latest_entry_of_one_cell_and_nothing_else() {
    for f in fixtures().await {
        let (app, squad, engine) = (&f.app, f.squad, f.app.db.engine);
        let s = &app.db.store;
        let first = f.members[0];
        let (coat, masks, suits) = (f.items[0].0, f.items[1].0, f.items[2].0);
        let lin = s.actor_by_username("lin").await.unwrap().unwrap();
        let early = s.issue_kit(&lin, squad, first, masks, 5).await.unwrap();
        let whole = s.issue_whole_kit(&lin, squad, first).await.unwrap();
        let late = whole.iter().find(|h| h.item_id == masks).unwrap().entry_id;
        let leader = app.login("leader-a").await;
        let kits = format!("/squads/{squad}/kits");
        let page = app.page(&leader, &kits).await;
        let card = page.split(&format!("data-cadre=\"{first}\"")).nth(1).unwrap().split("</ul>").next().unwrap();
        let masks_cell = card.split(&format!("data-item=\"{masks}\"")).nth(1).unwrap().split("</li>").next().unwrap();
        let action = format!("/squads/{squad}/kits/{late}/reverse");
        assert!(masks_cell.contains(&action), "{engine}: the cell corrects its latest entry: {masks_cell}");
        let entries = s.kit_status(&Actor::system(), squad).await.unwrap().entries.len();

        let res = tap(app, &leader, &page, &action, &[]).await;
        assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, kits.clone()), "{engine}");
        let status = s.kit_status(&Actor::system(), squad).await.unwrap();
        assert_eq!(status.entries.len(), entries + 1, "{engine}: one new entry, nothing edited or deleted");
        let reversal = &status.entries[0];
        assert_eq!((reversal.quantity, reversal.reverses), (-15, Some(late)));
        assert_eq!(status.entries.iter().find(|e| e.id == late).unwrap().quantity, 15, "the entry itself stands");
        let page = app.page(&leader, &kits).await;
        let cards = cards_of(&page);
        assert_eq!(cards.cells[&first][&masks], (5, 15), "{engine}: only that cell changed");
        assert_eq!((cards.cells[&first][&coat], cards.cells[&first][&suits]), ((1, 0), (2, 0)));
        assert_eq!(cards.cells[&f.members[1]][&masks], (0, 20));
        assert!(cards.whole_buttons.contains(&first), "owed again: the button is back");
        assert!(
            page.contains(&format!("/squads/{squad}/kits/{early}/reverse")),
            "the next correction is the earlier one"
        );
        // The same correction tapped again is told, not done twice.
        let again = tap(app, &leader, &page, &action, &[]).await;
        assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}");
        assert!(again.text().await.unwrap().contains("这条记录已经更正过了"));
        assert_eq!(s.kit_status(&Actor::system(), squad).await.unwrap().entries.len(), entries + 1);
    }
}

/// Makes a member owed their whole kit again by reversing what they hold.
async fn take_back(s: &Store, actor: &Actor, squad: i64, member: i64) {
    let name = s.squad(actor, squad).await.unwrap().members.into_iter().find(|m| m.cadre_id == member).unwrap().name;
    for e in s.kit_status(actor, squad).await.unwrap().entries {
        if e.cadre == name && !e.reversed && e.reverses.is_none() {
            s.reverse_kit_entry(actor, squad, e.id).await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_taps_of_the_whole_kit_at_the_same_instant_hand_it_once() {
    const ROUNDS: usize = 6;
    for f in fixtures().await {
        let (app, squad, engine) = (&f.app, f.squad, f.app.db.engine);
        let s = &app.db.store;
        let lin = s.actor_by_username("lin").await.unwrap().unwrap();
        let token = s.create_token("lin").await.unwrap();
        // Two phones of the leader, each signed in with its own session and connection.
        let phones = [app.login("leader-a").await, app.login("leader-a").await];
        let kits = format!("/squads/{squad}/kits");
        for round in 0..ROUNDS {
            let member = f.members[round % 2];
            take_back(s, &lin, squad, member).await;
            let barrier = Arc::new(Barrier::new(2));
            let mut tasks = Vec::new();
            for phone in &phones {
                let path = format!("{kits}/members/{member}/all");
                let request = if round < ROUNDS / 2 {
                    // The API, as a program would tap.
                    let c = common::api();
                    c.get(app.url("/healthz")).send().await.unwrap();
                    c.post(app.url(&format!("/api/v1/squads/{squad}/kits/members/{member}/all"))).bearer_auth(&token)
                } else {
                    // The page's form, from the two phones.
                    let page = app.page(phone, &kits).await;
                    phone.post(app.url(&path)).form(&[("csrf", csrf_of(&page))])
                };
                let barrier = barrier.clone();
                tasks.push(tokio::spawn(async move {
                    barrier.wait().await;
                    let res = request.send().await.unwrap();
                    (res.status(), res.text().await.unwrap())
                }));
            }
            let mut results = Vec::new();
            for t in tasks {
                results.push(t.await.unwrap());
            }
            if round < ROUNDS / 2 {
                assert!(results.iter().all(|(st, _)| *st == StatusCode::OK), "{engine} round {round}: {results:?}");
                let mut counts: Vec<usize> = results
                    .iter()
                    .map(|(_, b)| serde_json::from_str::<Value>(b).unwrap()["handed"].as_array().unwrap().len())
                    .collect();
                counts.sort();
                assert_eq!(counts, vec![0, 3], "{engine} round {round}: one tap hands the kit, the other nothing");
            } else {
                assert!(
                    results.iter().all(|(st, _)| *st == StatusCode::SEE_OTHER),
                    "{engine} round {round}: both phones come back to the page"
                );
            }
            let sums = ledger_sums(s, squad).await;
            for &(item, per_person) in &f.items {
                assert_eq!(sums[&(member, item)], per_person, "{engine} round {round}: item {item} handed once");
            }
        }
    }
}

#[tokio::test]
async fn only_who_may_issue_sees_the_buttons_others_in_scope_read_and_other_squads_are_refused() {
    for f in fixtures().await {
        let (app, squad, engine) = (&f.app, f.squad, f.app.db.engine);
        let s = &app.db.store;
        let first = f.members[0];
        let kits = format!("/squads/{squad}/kits");
        let whole = format!("{kits}/members/{first}/all");
        let api_whole = format!("/api/v1/squads/{squad}/kits/members/{first}/all");
        s.issue_kit(&s.actor_by_username("lin").await.unwrap().unwrap(), squad, first, f.items[1].0, 5).await.unwrap();
        let entries = s.kit_status(&Actor::system(), squad).await.unwrap().entries.len();

        // A member of this squad's compound reads the grid, without a button or a form.
        let member = app.login("member-a").await;
        let res = member.get(app.url(&kits)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{engine}");
        let page = res.text().await.unwrap();
        assert_eq!(cards_of(&page).cells[&first][&f.items[1].0], (5, 15), "{engine}: the grid, read-only");
        assert!(
            !page.contains("/all\"") && !page.contains("/reverse\"") && !page.contains(&format!("action=\"{kits}\""))
        );
        assert!(!page.contains("发放全套"));
        assert_eq!(tap(app, &member, &page, &whole, &[]).await.status(), StatusCode::FORBIDDEN, "{engine}");

        // A leader and a member of another squad (乙小区), and that squad's unit: this squad does not exist for them.
        for who in ["leader-b", "member-b", "gong"] {
            let c = app.login(who).await;
            assert_eq!(c.get(app.url(&kits)).send().await.unwrap().status(), StatusCode::NOT_FOUND, "{engine} {who}");
            let own = app.page(&c, &format!("/squads/{}", f.other_squad)).await;
            let res = tap(app, &c, &own, &whole, &[]).await;
            let status = res.status();
            assert!(status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN, "{engine} {who}: {status}");
            let token = s.create_token(who).await.unwrap();
            let res = common::api().post(app.url(&api_whole)).bearer_auth(&token).send().await.unwrap();
            let status = res.status();
            assert!(status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN, "{engine} {who}: {status}");
        }
        // The other squad's leader taps on his own squad's page, not on this one.
        let leader_b = app.login("leader-b").await;
        let own = app.page(&leader_b, &format!("/squads/{}/kits", f.other_squad)).await;
        assert_eq!(cards_of(&own).whole_buttons.len(), 2, "{engine}: his own squad's buttons");
        assert_eq!(tap(app, &leader_b, &own, &whole, &[]).await.status(), StatusCode::NOT_FOUND, "{engine}");
        // A member of the squad's compound may not tap through the API either.
        let token = s.create_token("member-a").await.unwrap();
        let res = common::api().post(app.url(&api_whole)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{engine}");
        // Signed out: the sign-in page.
        let res = common::client().get(app.url(&kits)).send().await.unwrap();
        assert!(location(&res).starts_with("/login"), "{engine}");
        assert_eq!(
            s.kit_status(&Actor::system(), squad).await.unwrap().entries.len(),
            entries,
            "{engine}: nothing handed"
        );
    }
}

#[tokio::test]
async fn the_whole_kit_form_is_refused_without_its_csrf_token() {
    for f in fixtures().await {
        let (app, squad, engine) = (&f.app, f.squad, f.app.db.engine);
        let leader = app.login("leader-a").await;
        let path = format!("/squads/{squad}/kits/members/{}/all", f.members[0]);
        let page = app.page(&leader, &format!("/squads/{squad}/kits")).await;
        assert!(page.contains(&format!("action=\"{path}\"")), "{engine}");
        let none = leader.post(app.url(&path)).form(&[("x", "1")]).send().await.unwrap();
        assert_eq!(none.status(), StatusCode::FORBIDDEN, "{engine}: no token");
        let forged = leader.post(app.url(&path)).form(&[("csrf", "forged")]).send().await.unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "{engine}: a wrong token");
        assert!(app.db.store.kit_status(&Actor::system(), squad).await.unwrap().entries.is_empty(), "{engine}");
        let res = tap(app, &leader, &page, &path, &[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}: the page's own token passes");
    }
}

#[tokio::test]
async fn the_squad_page_sums_up_the_kits_and_links_to_their_page() {
    for f in fixtures().await {
        let (app, squad, engine) = (&f.app, f.squad, f.app.db.engine);
        let leader = app.login("leader-a").await;
        let page = app.page(&leader, &format!("/squads/{squad}")).await;
        assert!(page.contains(&format!("href=\"/squads/{squad}/kits\"")), "{engine}: the link");
        assert!(page.contains("N95口罩 欠 40") && page.contains("迷彩棉服 欠 2"), "{engine}: what is owed");
        assert!(
            !page.contains("/kits/members/") && !page.contains("kit-card"),
            "{engine}: the grid is on its own page"
        );
        let lin = app.db.store.actor_by_username("lin").await.unwrap().unwrap();
        for &m in &f.members {
            app.db.store.issue_whole_kit(&lin, squad, m).await.unwrap();
        }
        let page = app.page(&leader, &format!("/squads/{squad}")).await;
        assert!(page.contains("每名队员都已发齐"), "{engine}");
    }
}

#[tokio::test]
async fn the_kit_ledger_shows_times_in_the_deployments_zone() {
    // 17:30 UTC on 1 December is 01:30 on 2 December in Shanghai (the default
    // zone), and 20:30 on 1 December in a deployment configured for Moscow.
    for (zone, local) in [(None, "12-02 01:30"), (Some("Europe/Moscow"), "12-01 20:30")] {
        for mut db in engines().await {
            let engine = db.engine;
            let clock = FixedClock::at(Utc.with_ymd_and_hms(2026, 12, 1, 17, 30, 0).unwrap());
            db.store = db.store.with_clock(Arc::new(clock));
            let app = spawn_app_configured(db, |state| {
                if let Some(z) = zone {
                    state.zone = Zone::parse(z).unwrap();
                }
            })
            .await;
            let f = fixture(app).await;
            let (app, squad) = (&f.app, f.squad);
            let leader = app.login("leader-a").await;
            let kits = format!("/squads/{squad}/kits");
            let page = app.page(&leader, &kits).await;
            let res = tap(app, &leader, &page, &format!("{kits}/members/{}/all", f.members[0]), &[]).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}");
            let page = app.page(&leader, &kits).await;
            let ledger = page.split("<h2>发放台账</h2>").nth(1).expect("the ledger");
            assert_eq!(ledger.matches(local).count(), 3, "{engine} {zone:?}: every entry at {local}");
            assert!(!ledger.contains("17:30"), "{engine} {zone:?}: never UTC");
        }
    }
}

#[test]
fn the_one_tap_button_is_big_and_every_kit_control_is_a_full_tap_target() {
    let css = include_str!("../static/app.css");
    let rule = |selector: &str| {
        let start = css.find(&format!("\n{selector} {{")).unwrap_or_else(|| panic!("a rule for {selector}"));
        css[start..].split('}').next().unwrap().to_string()
    };
    let px = |rule: &str, prop: &str| -> u32 {
        let start = rule.find(&format!("{prop}:")).unwrap_or_else(|| panic!("{prop} in {rule}")) + prop.len() + 1;
        rule[start..].trim_start().split("px").next().unwrap().parse().unwrap()
    };
    assert!(px(&rule("button.kit-whole"), "min-height") >= 48);
    let correct = rule("button.kit-correct");
    assert!(px(&correct, "min-height") >= 44 && px(&correct, "min-width") >= 44);
    assert!(px(&rule(".kit-cells li"), "min-height") >= 44);
    assert!(px(&rule("details.kit-one > summary"), "min-height") >= 44);
    let template = include_str!("../templates/kits/page.html");
    assert!(template.contains("class=\"primary big kit-whole\"") && template.contains("class=\"kit-correct\""));
}

//! Two clients at the same instant: real parallel HTTP clients (each with its
//! own connection) against a spawned app, on SQLite and on PostgreSQL,
//! repeated over several rounds so that a race lost once in a while shows.
//! Each test states the invariant the store must keep whatever the order in
//! which the requests reach it.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Duration, NaiveDate, Utc};
use cordon_domain::Actor;
use cordon_domain::clock::Zone;
use cordon_domain::duty::ShiftPattern;
use cordon_domain::orders::OrderState;
use cordon_store::duty::RosterPlan;
use cordon_store::imports::ImportKind;
use cordon_store::test_support::{acknowledged_order, compound_id, engines, post_squad, sheet, unit_cadres};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Barrier;

mod common;

use common::{App, spawn_app_on};

/// How many times each race is run on each engine.
const ROUNDS: usize = 10;

/// The app on every engine of the run (SQLite, and PostgreSQL when configured).
async fn apps() -> Vec<App> {
    let mut apps = Vec::new();
    for db in engines().await {
        apps.push(spawn_app_on(db).await);
    }
    apps
}

/// A request to send, by method, path and JSON body, from its own client.
struct Call {
    method: reqwest::Method,
    path: String,
    body: Value,
}

impl Call {
    fn new(method: reqwest::Method, path: impl Into<String>, body: Value) -> Call {
        Call { method, path: path.into(), body }
    }
}

/// Sends the calls at the same instant, each from its own client with a
/// connection already open, as `token`; returns status and JSON body in order.
async fn at_once(app: &App, token: &str, calls: Vec<Call>) -> Vec<(StatusCode, Value)> {
    let barrier = Arc::new(Barrier::new(calls.len()));
    let mut tasks = Vec::new();
    for call in calls {
        let client = common::api();
        // Open the connection first, so that the requests themselves leave together.
        client.get(app.url("/healthz")).send().await.unwrap();
        let request = client.request(call.method, app.url(&call.path)).bearer_auth(token).json(&call.body);
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let res = request.send().await.unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// The refusal key of an API error body.
fn refusal_key(body: &Value) -> &str {
    body["error"]["refusal"]["key"].as_str().unwrap_or("")
}

/// Adds two trained cadres to 市林草局 for one round; returns their ids.
async fn fresh_cadres(app: &App, round: usize) -> Vec<i64> {
    let s = &app.db.store;
    let system = Actor::system();
    let (_, before) = unit_cadres(s, "市林草局").await;
    let rows: Vec<[String; 6]> = (1..=2)
        .map(|i| {
            [
                "市林草局".into(),
                format!("林{round}号{i}"),
                "科员".into(),
                "是".into(),
                format!("137{round:04}{i:04}"),
                "男".into(),
            ]
        })
        .collect();
    let rows: Vec<Vec<&str>> = rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    let cadres = sheet(&["单位", "姓名", "职务", "党员", "手机号", "性别"], &rows);
    s.import(&system, ImportKind::Cadres, &cadres, &|_| {}).await.unwrap();
    let (_, after) = unit_cadres(s, "市林草局").await;
    let new: Vec<i64> = after.into_iter().filter(|c| !before.contains(c)).collect();
    assert_eq!(new.len(), 2);
    let day = NaiveDate::from_ymd_opt(2022, 11, 30).unwrap();
    for c in &new {
        s.record_training(&system, *c, "岗前培训", day).await.unwrap();
    }
    new
}

/// What one round of a race left behind, for the summary.
#[derive(Debug)]
struct Round {
    engine: &'static str,
    round: usize,
    statuses: Vec<u16>,
    trouble: Vec<String>,
}

/// Two requests at once of which exactly one may win: the statuses, sorted,
/// and what is wrong unless they are 200 and a 409 with the refusal `key`.
fn one_wins(answers: &[(StatusCode, Value)], key: &str) -> (Vec<u16>, Vec<String>) {
    let mut trouble = Vec::new();
    let mut statuses: Vec<u16> = answers.iter().map(|(st, _)| st.as_u16()).collect();
    statuses.sort();
    if statuses != [200, 409] {
        trouble.push(format!("statuses {statuses:?}"));
    }
    for (st, body) in answers {
        if *st == StatusCode::CONFLICT && refusal_key(body) != key {
            trouble.push(format!("409 without the refusal {key}: {body}"));
        }
    }
    (statuses, trouble)
}

/// Fails with every round that went wrong, after all rounds ran (so the
/// message tells how often the race was lost).
fn assert_rounds(what: &str, rounds: &[Round]) {
    for r in rounds {
        eprintln!("{what}: {} round {}: {:?} {:?}", r.engine, r.round, r.statuses, r.trouble);
    }
    let bad: Vec<&Round> = rounds.iter().filter(|r| !r.trouble.is_empty()).collect();
    assert!(bad.is_empty(), "{what}: {} of {} rounds went wrong: {bad:#?}", bad.len(), rounds.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_orders_assembled_at_once_with_the_same_cadres_post_them_once_and_ask_the_other_to_confirm() {
    let mut rounds = Vec::new();
    for app in apps().await {
        let s = &app.db.store;
        let system = Actor::system();
        let lin = s.create_token("lin").await.unwrap();
        for round in 0..ROUNDS {
            let cadres = fresh_cadres(&app, round).await;
            let orders = [
                acknowledged_order(s, "市林草局", "甲小区", Some(2)).await.0,
                acknowledged_order(s, "市林草局", "甲小区", Some(2)).await.0,
            ];
            let roster = json!({"event": "assemble", "roster": [
                {"cadre_id": cadres[0], "role": "leader"}, {"cadre_id": cadres[1], "role": "member"}]});
            let calls = orders
                .iter()
                .map(|o| Call::new(reqwest::Method::POST, format!("/api/v1/orders/{o}/steps"), roster.clone()))
                .collect();
            let answers = at_once(&app, &lin, calls).await;
            let (statuses, mut trouble) = one_wins(&answers, "roster-posted-elsewhere");
            // Every assembled order has its squad with the whole roster; the other is still to assemble.
            for o in orders {
                let order = s.order(&system, o).await.unwrap();
                match (order.state, order.squad_id) {
                    (OrderState::Assembled, Some(squad)) => {
                        let members = s.squad(&system, squad).await.unwrap().members.len();
                        if members != 2 {
                            trouble.push(format!("order {o} assembled with a squad of {members} members"));
                        }
                    }
                    (OrderState::Acknowledged, None) => {}
                    (state, squad) => trouble.push(format!("order {o} left {state:?} with squad {squad:?}")),
                }
            }
            // Nobody is in two squads that stand.
            let mut postings: HashMap<i64, usize> = HashMap::new();
            for squad in s.squads(&system).await.unwrap().into_iter().filter(|q| q.ended_at.is_none()) {
                for m in squad.members {
                    *postings.entry(m.cadre_id).or_default() += 1;
                }
            }
            for c in &cadres {
                let n = postings.get(c).copied().unwrap_or(0);
                if n != 1 {
                    trouble.push(format!("cadre {c} is in {n} standing squads"));
                }
            }
            rounds.push(Round { engine: app.db.engine, round, statuses, trouble });
        }
    }
    assert_rounds("assembly race", &rounds);
}

/// The local day `n` days from today.
fn day_in(n: u64) -> NaiveDate {
    Zone::default().date_of(Utc::now()).checked_add_days(chrono::Days::new(n)).unwrap()
}

/// Three 8-hour shifts a day.
const PATTERN: &str = "08:00,16:00,00:00";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_cadre_put_on_both_gates_at_once_stands_one_and_the_other_request_is_told_of_the_clash() {
    let mut rounds = Vec::new();
    for app in apps().await {
        let s = &app.db.store;
        let system = Actor::system();
        let zone = Zone::default();
        let (_, _, squad) = post_squad(s, "市林草局", "甲小区", 0).await;
        let cadres = unit_cadres(s, "市林草局").await.1;
        let cmd = s.create_token("cmd").await.unwrap();
        // Empty shifts at both gates (东门, 西门) over four days: twelve slots, one a round.
        let plan =
            RosterPlan { first_day: day_in(2), days: 4, pattern: ShiftPattern::parse(PATTERN).unwrap(), per_shift: 0 };
        s.build_roster(&system, squad, &plan, zone).await.unwrap();
        let roster = s.roster(&system, squad, plan.first_day, plan.days, zone, Utc::now()).await.unwrap();
        let (east, west) = (&roster.checkpoints[0].shifts, &roster.checkpoints[1].shifts);
        assert!(east.len() >= ROUNDS && east.len() == west.len());
        for round in 0..ROUNDS {
            let (e, w) = (&east[round], &west[round]);
            assert_eq!((e.starts_at, e.ends_at), (w.starts_at, w.ends_at), "the two gates' shifts of one slot");
            let cadre = cadres[round % 2];
            let calls = [e.id, w.id]
                .iter()
                .map(|sh| {
                    Call::new(
                        reqwest::Method::PUT,
                        format!("/api/v1/shifts/{sh}/members"),
                        json!({"cadre_ids": [cadre]}),
                    )
                })
                .collect();
            let answers = at_once(&app, &cmd, calls).await;
            let (statuses, mut trouble) = one_wins(&answers, "roster-clash");
            let mut standing = 0;
            for sh in [e.id, w.id] {
                let (_, shift) = s.shift(&system, sh, Utc::now()).await.unwrap();
                standing += shift.members.iter().filter(|m| m.cadre_id == cadre).count();
            }
            if standing != 1 {
                trouble.push(format!("cadre {cadre} stands {standing} of the two overlapping shifts"));
            }
            rounds.push(Round { engine: app.db.engine, round, statuses, trouble });
        }
    }
    assert_rounds("staffing race", &rounds);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_roster_built_four_times_at_once_is_built_once_and_every_request_is_answered_200() {
    const BUILDERS: usize = 4;
    let mut rounds = Vec::new();
    for app in apps().await {
        let s = &app.db.store;
        let system = Actor::system();
        let zone = Zone::default();
        let (_, _, squad) = post_squad(s, "市林草局", "甲小区", 0).await;
        let cmd = s.create_token("cmd").await.unwrap();
        for round in 0..ROUNDS {
            // A day of its own each round (two apart, so no round's shifts touch another's).
            let first_day = day_in(2 + 2 * round as u64);
            let body = json!({"first_day": first_day.to_string(), "days": 1, "pattern": PATTERN, "per_shift": 1});
            let calls = (0..BUILDERS)
                .map(|_| Call::new(reqwest::Method::POST, format!("/api/v1/squads/{squad}/roster"), body.clone()))
                .collect();
            let answers = at_once(&app, &cmd, calls).await;
            let mut trouble = Vec::new();
            let statuses: Vec<u16> = answers.iter().map(|(st, _)| st.as_u16()).collect();
            if statuses.iter().any(|st| *st != 200) {
                let keys: Vec<&str> = answers.iter().map(|(_, b)| refusal_key(b)).collect();
                trouble.push(format!("statuses {statuses:?}, refusals {keys:?}"));
            }
            let made: u64 = answers.iter().filter_map(|(_, b)| b["made"].as_u64()).sum();
            // Three shifts at each of the two gates.
            if made != 6 {
                trouble.push(format!("the builds made {made} shifts together, not 6"));
            }
            // Two days shown: the day's last shift runs past midnight into the next.
            let roster = s.roster(&system, squad, first_day, 2, zone, Utc::now()).await.unwrap();
            let mut seen = std::collections::HashSet::new();
            for cp in &roster.checkpoints {
                for sh in &cp.shifts {
                    if !seen.insert((cp.id, sh.starts_at)) {
                        trouble.push(format!("two shifts at {} from {}", cp.name, sh.starts_at));
                    }
                    if sh.members.len() != 1 {
                        trouble.push(format!("a shift at {} with {} people", cp.name, sh.members.len()));
                    }
                }
            }
            if seen.len() != 6 {
                trouble.push(format!("{} shifts on the roster, not 6", seen.len()));
            }
            rounds.push(Round { engine: app.db.engine, round, statuses, trouble });
        }
    }
    assert_rounds("roster build race", &rounds);
}

/// What one request of a load answered: what it was, its status and body.
type Answer = (String, StatusCode, String);

/// What the API writers of a load write to: the squad, a member, a kit item.
#[derive(Clone, Copy)]
struct Target {
    squad: i64,
    cadre: i64,
    item: i64,
}

/// One API writer's work: at least `n` writes, and on as long as `busy` says
/// other work of the load is still running, taking turns at a kit handed out,
/// a liaison added, an order issued and acknowledged.
async fn writer(
    app: Arc<App>,
    w: usize,
    n: usize,
    busy: Arc<AtomicUsize>,
    tokens: (String, String),
    target: Target,
) -> Vec<Answer> {
    let Target { squad, cadre, item } = target;
    let (cmd, lin) = tokens;
    let c = common::api();
    let (unit, _) = unit_cadres(&app.db.store, "市林草局").await;
    let compound = compound_id(&app.db.store, "甲小区").await;
    let mut out = Vec::new();
    // A bound, so that a load that hangs fails rather than runs forever.
    for i in (0..).take_while(|i| *i < n || (busy.load(Ordering::SeqCst) > 0 && *i < 2000)) {
        let (what, res) = match (w + i) % 3 {
            0 => (
                "kit",
                c.post(app.url(&format!("/api/v1/squads/{squad}/kits")))
                    .bearer_auth(&cmd)
                    .json(&json!({"cadre_id": cadre, "item_id": item, "quantity": 1}))
                    .send()
                    .await
                    .unwrap(),
            ),
            1 => (
                "liaison",
                c.post(app.url(&format!("/api/v1/squads/{squad}/liaisons")))
                    .bearer_auth(&cmd)
                    .json(&json!({"name": format!("联络{w}号{i}"), "role": "社区书记", "phone": format!("138{w:04}{i:04}")}))
                    .send()
                    .await
                    .unwrap(),
            ),
            _ => {
                let res = c
                    .post(app.url("/api/v1/orders"))
                    .bearer_auth(&cmd)
                    .json(&json!({"unit_id": unit, "people": 1, "compound_ids": [compound],
                        "deadline": Utc::now() + Duration::hours(3)}))
                    .send()
                    .await
                    .unwrap();
                if res.status() != StatusCode::CREATED {
                    ("order", res)
                } else {
                    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
                    (
                        "order step",
                        c.post(app.url(&format!("/api/v1/orders/{id}/steps")))
                            .bearer_auth(&lin)
                            .json(&json!({"event": "acknowledge"}))
                            .send()
                            .await
                            .unwrap(),
                    )
                }
            }
        };
        let status = res.status();
        out.push((what.to_string(), status, res.text().await.unwrap_or_default()));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_api_writers_and_four_uploads_at_once_all_succeed_without_a_server_error() {
    const WRITERS: usize = 16;
    const WRITES: usize = 6;
    const UPLOADS: u32 = 4;
    const ROWS: u32 = 1500;
    for db in engines().await {
        let app = Arc::new(spawn_app_on(db).await);
        let s = &app.db.store;
        let system = Actor::system();
        let (_, _, squad) = post_squad(s, "市林草局", "甲小区", 0).await;
        let cadre = unit_cadres(s, "市林草局").await.1[0];
        let item = s.upsert_kit_item(&system, "口罩", "Masks", 10).await.unwrap();
        let tokens = (s.create_token("cmd").await.unwrap(), s.create_token("lin").await.unwrap());
        let residents_before = s
            .residents(&system, &Default::default(), cordon_store::PageRequest::new(None, None), Default::default())
            .await
            .unwrap()
            .total;
        let target = Target { squad, cadre, item };
        let barrier = Arc::new(Barrier::new(WRITERS + UPLOADS as usize));
        // The writers keep writing until every upload has been answered.
        let uploading = Arc::new(AtomicUsize::new(UPLOADS as usize));
        let mut tasks = tokio::task::JoinSet::new();
        for w in 0..WRITERS {
            let (app, barrier, tokens, busy) = (app.clone(), barrier.clone(), tokens.clone(), uploading.clone());
            tasks.spawn(async move {
                barrier.wait().await;
                writer(app, w, WRITES, busy, tokens, target).await
            });
        }
        for u in 0..UPLOADS {
            let (app, barrier, cmd, left) = (app.clone(), barrier.clone(), tokens.0.clone(), uploading.clone());
            let file = cordon_store::test_support::residents_csv(&format!("{}号楼", 10 + u), u * ROWS, ROWS);
            tasks.spawn(async move {
                let c = common::api();
                barrier.wait().await;
                let res = c
                    .post(app.url("/api/v1/imports/residents?format=csv"))
                    .bearer_auth(&cmd)
                    .header("content-type", "text/csv")
                    .body(file)
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                let answer = ("upload".to_string(), status, res.text().await.unwrap_or_default());
                left.fetch_sub(1, Ordering::SeqCst);
                vec![answer]
            });
        }
        let mut answers: Vec<Answer> = Vec::new();
        while let Some(done) = tasks.join_next().await {
            answers.extend(done.unwrap());
        }
        let mut tally: HashMap<(String, u16), usize> = HashMap::new();
        for (what, st, _) in &answers {
            *tally.entry((what.clone(), st.as_u16())).or_default() += 1;
        }
        eprintln!("writer load on {}: {tally:?}", app.db.engine);
        let failed: Vec<&Answer> = answers.iter().filter(|(_, st, _)| !st.is_success()).collect();
        let server_errors = failed.iter().filter(|(_, st, _)| st.is_server_error()).count();
        assert_eq!(
            server_errors,
            0,
            "{}: {server_errors} server errors of {}: {failed:#?}",
            app.db.engine,
            answers.len()
        );
        assert!(failed.is_empty(), "{}: every write succeeds: {failed:#?}", app.db.engine);
        assert!(answers.len() >= WRITERS * WRITES + UPLOADS as usize);
        let residents = s
            .residents(&system, &Default::default(), cordon_store::PageRequest::new(None, None), Default::default())
            .await
            .unwrap()
            .total;
        assert_eq!(residents - residents_before, i64::from(UPLOADS * ROWS), "every upload imported whole");
    }
}

//! The real binary on SQLite, the default: `cordon import` writes into the
//! data directory of a live `cordon serve` while API clients write through
//! the server. Every writer waits its turn for the write lock; nobody fails
//! with "database is locked".

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use chrono::{Duration, Utc};
use cordon_domain::{Actor, Role};
use cordon_store::test_support::{compound_id, post_squad, residents_csv, seed, unit_cadres, user};
use cordon_store::{Database, PageRequest, Store};
use serde_json::json;

mod common;

/// API writers hammering the server while the import runs.
const WRITERS: usize = 16;
/// Rows of the imported file: enough for the import to hold the write lock a while.
const ROWS: u32 = 20_000;

/// What an API writer needs: the base URL, a command token, and what to write to.
#[derive(Clone)]
struct Load {
    base: String,
    token: String,
    squad: i64,
    cadre: i64,
    item: i64,
    unit: i64,
    compound: i64,
}

/// Writes (a kit handed out, a liaison added, an order issued) in turns until
/// `writing` is over, counting each answer in `answered`; returns every answer.
async fn hammer(
    load: Load,
    w: usize,
    writing: Arc<AtomicBool>,
    answered: Arc<AtomicUsize>,
) -> Vec<(String, u16, String)> {
    cordon_web::tls_ready();
    let c = reqwest::Client::new();
    let mut out = Vec::new();
    let mut i = 0usize;
    // A bound, so that a load that hangs fails rather than runs forever.
    while writing.load(Ordering::SeqCst) && i < 5000 {
        let (what, req) = match (w + i) % 3 {
            0 => (
                "kit",
                c.post(format!("{}/api/v1/squads/{}/kits", load.base, load.squad))
                    .json(&json!({"cadre_id": load.cadre, "item_id": load.item, "quantity": 1})),
            ),
            1 => (
                "liaison",
                c.post(format!("{}/api/v1/squads/{}/liaisons", load.base, load.squad)).json(
                    &json!({"name": format!("联络{w}号{i}"), "role": "社区书记", "phone": format!("138{w:04}{i:04}")}),
                ),
            ),
            _ => (
                "order",
                c.post(format!("{}/api/v1/orders", load.base)).json(&json!({"unit_id": load.unit, "people": 1,
                    "compound_ids": [load.compound], "deadline": Utc::now() + Duration::hours(3)})),
            ),
        };
        let res = req.bearer_auth(&load.token).send().await.unwrap();
        let status = res.status().as_u16();
        out.push((what.to_string(), status, res.text().await.unwrap_or_default()));
        answered.fetch_add(1, Ordering::SeqCst);
        i += 1;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cli_import_into_a_live_server_succeeds_while_sixteen_api_writers_write_and_none_gets_a_server_error() {
    let dir = std::env::temp_dir().join(format!("cordon_import_load_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.join("data");
    // The fixture, written before the server starts (as an operator's earlier imports would be).
    let store = Store::connect(&Database::Sqlite { data_dir: data.clone() }).await.unwrap();
    seed(&store).await.unwrap();
    user(&store, "cmd", Role::Command, "city").await;
    let (_, _, squad) = post_squad(&store, "市林草局", "甲小区", 0).await;
    let (unit, cadres) = unit_cadres(&store, "市林草局").await;
    let load = Load {
        base: String::new(),
        token: store.create_token("cmd").await.unwrap(),
        squad,
        cadre: cadres[0],
        item: store.upsert_kit_item(&Actor::system(), "口罩", "Masks", 10).await.unwrap(),
        unit,
        compound: compound_id(&store, "甲小区").await,
    };
    let residents = |s: &Store| {
        let s = s.clone();
        async move {
            s.residents(&Actor::system(), &Default::default(), PageRequest::new(None, None), Default::default())
                .await
                .unwrap()
                .total
        }
    };
    let before = residents(&store).await;
    store.close().await;
    let file = dir.join("residents.csv");
    std::fs::write(&file, residents_csv("30号楼", 0, ROWS)).unwrap();

    let (_server, base) = common::serve(&data).await;
    let load = Load { base, ..load };
    let writing = Arc::new(AtomicBool::new(true));
    let answered = Arc::new(AtomicUsize::new(0));
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..WRITERS {
        writers.spawn(hammer(load.clone(), w, writing.clone(), answered.clone()));
    }
    // The import starts once every writer is under way, so that it meets them.
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    while answered.load(Ordering::SeqCst) < WRITERS && Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let (data_dir, path) = (data.clone(), file.to_str().unwrap().to_string());
    let (started, answered_before) = (Instant::now(), answered.load(Ordering::SeqCst));
    let import = tokio::task::spawn_blocking(move || common::run(&data_dir, &["import", "residents", &path], None));
    let import = import.await.unwrap();
    let (took, answered_during) = (started.elapsed(), answered.load(Ordering::SeqCst) - answered_before);
    // A few more rounds after the import, then stop.
    let after = answered.load(Ordering::SeqCst) + WRITERS;
    while answered.load(Ordering::SeqCst) < after && Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    writing.store(false, Ordering::SeqCst);
    let mut answers = Vec::new();
    while let Some(done) = writers.join_next().await {
        answers.extend(done.unwrap());
    }

    let said = format!("{}{}", String::from_utf8_lossy(&import.stdout), String::from_utf8_lossy(&import.stderr));
    let failed: Vec<_> = answers.iter().filter(|(_, st, _)| !(200..300).contains(st)).collect();
    let server_errors = failed.iter().filter(|(_, st, _)| *st >= 500).count();
    eprintln!(
        "the import of {ROWS} rows took {took:?}; {answered_during} API writes answered meanwhile, {} in all, \
         {} failed, {server_errors} with a server error",
        answers.len(),
        failed.len()
    );
    assert!(import.status.success(), "the import exits 0 under load: {said}");
    assert!(said.contains(&format!("imported {ROWS}, updated 0, unchanged 0")), "{said}");
    assert_eq!(server_errors, 0, "no API request got a server error: {failed:#?}");
    assert!(failed.is_empty(), "every API write succeeded: {failed:#?}");
    assert!(answered_during >= WRITERS, "the writers wrote while the import ran: {answered_during}");

    let store = Store::open(&Database::Sqlite { data_dir: data.clone() }).await.unwrap();
    assert_eq!(residents(&store).await - before, i64::from(ROWS), "the file imported whole");
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

//! Cordon's resident import against peers that insert the same rows, on fresh
//! databases in the same run, reported as ratios to Cordon's own import.
//!
//! `cargo bench -p cordon-store --bench import [-- --rows N --runs R]` runs the
//! benchmark (50,000 rows, median of 3 runs; PostgreSQL too when
//! `CORDON_TEST_PG_URL` is set). Under `cargo test --all-targets` cargo passes
//! no `--bench`, and it only makes a smoke run of 200 rows on SQLite so the
//! suite stays fast while this code keeps compiling and working. What the
//! figures mean, and the last ones taken, are in `bench/README.md`.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cordon_domain::{Actor, IdNumber};
use cordon_store::StoreError;
use cordon_store::imports::{ImportKind, ImportSummary};
use cordon_store::sheets::{Sheet, SheetRow};
use cordon_store::test_support::{self, TestDb};
use sqlx::{Connection, PgConnection, SqliteConnection};
use tokio::runtime::Runtime;

const RESIDENT_HEADERS: [&str; 10] =
    ["街道", "社区", "小区", "楼栋", "单元", "房号", "姓名", "身份证号", "手机号", "标签"];
/// The two compounds every row lives in: street, community, compound.
const COMPOUNDS: [(&str, &str, &str); 2] = [("仁里街道", "民强社区", "甲小区"), ("大有坊街道", "新一社区", "乙小区")];
const SURNAMES: &[&str] =
    &["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭"];
const GIVEN: &[&str] =
    &["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明"];
/// People per household, cycled, as in the demo's draw.
const HOUSEHOLD_SIZES: [usize; 8] = [1, 2, 2, 3, 3, 3, 4, 5];
/// Rows per statement of the batched peer, the same as the store's own CHUNK.
const PEER_CHUNK: usize = 500;
const BARE_TABLE: &str =
    "CREATE TABLE residents (name TEXT NOT NULL, id_number TEXT NOT NULL UNIQUE, phone TEXT, household TEXT NOT NULL)";
const BARE_INSERT: &str = "INSERT INTO residents (name, id_number, phone, household) VALUES ($1, $2, $3, $4)";

/// What to run, from the command line cargo gives the binary.
struct Config {
    rows: usize,
    runs: usize,
    /// False under `cargo test`: a smoke run on SQLite only.
    full: bool,
}

impl Config {
    fn from_args() -> Config {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let full = args.iter().any(|a| a == "--bench");
        let number = |flag: &str| {
            let at = args.iter().position(|a| a == flag)?;
            match args.get(at + 1).and_then(|v| v.parse::<usize>().ok()).filter(|n| *n > 0) {
                Some(n) => Some(n),
                None => {
                    eprintln!("{flag} needs a positive number");
                    std::process::exit(2);
                }
            }
        };
        let (rows, runs) = if full { (50_000, 3) } else { (200, 1) };
        Config { rows: number("--rows").unwrap_or(rows), runs: number("--runs").unwrap_or(runs), full }
    }
}

fn main() {
    let cfg = Config::from_args();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let sheets = Sheets::new(cfg.rows);
    let sheet = &sheets.residents;
    let peak_resets = reset_peak_rss();
    println!(
        "resident import: {} rows, {} run(s) each on a fresh database, median reported; {} build, {} CPUs",
        cfg.rows,
        cfg.runs,
        if cfg!(debug_assertions) { "debug (smoke run)" } else { "optimised" },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    let mut tallies = Vec::new();
    let mut phases = Vec::new();

    let (t, p) = cordon_import(&rt, &cfg, "sqlite", &sheets, || Some(rt.block_on(test_support::sqlite())));
    tallies.extend(t);
    phases.extend(p);
    tallies.push(sqlx_sqlite_peer(&rt, &cfg, sheet, false));
    tallies.push(sqlx_sqlite_peer(&rt, &cfg, sheet, true));
    tallies.push(rusqlite_peer(&cfg, sheet));

    match std::env::var("CORDON_TEST_PG_URL") {
        Ok(admin) if cfg.full => {
            let (t, p) = cordon_import(&rt, &cfg, "postgres", &sheets, || rt.block_on(test_support::postgres()));
            tallies.extend(t);
            phases.extend(p);
            tallies.push(sqlx_pg_peer(&rt, &cfg, sheet, &admin, false));
            tallies.push(sqlx_pg_peer(&rt, &cfg, sheet, &admin, true));
        }
        Ok(_) => println!("PostgreSQL: not in a smoke run"),
        Err(_) => println!("PostgreSQL: skipped (set CORDON_TEST_PG_URL to a server whose user may create databases)"),
    }

    print_times(&tallies, cfg.rows);
    print_memory(&tallies, peak_resets);
    print_phases(&phases);
}

// ---------------------------------------------------------------- the data

/// N residents over two compounds, filled building by building as the demo does;
/// every ID number is valid and unique, phones are the fake 1990xxxxxxx range.
fn residents_sheet(n: usize) -> Sheet {
    let mut rows = Vec::with_capacity(n);
    let first = NaiveDay::new(1940, 1, 1);
    for (c, (street, community, compound)) in COMPOUNDS.iter().enumerate() {
        let target = if c == 0 { n / 2 } else { n - n / 2 };
        let mut placed = 0;
        let mut household = 0;
        while placed < target {
            let size = HOUSEHOLD_SIZES[household % HOUSEHOLD_SIZES.len()].min(target - placed);
            // 36 households a building: 3 entrances of 6 floors of 2 doors.
            let (building, entrance, floor, door) =
                (household / 36 + 1, household % 36 / 12 + 1, household % 12 / 2 + 1, household % 2 + 1);
            for _ in 0..size {
                let i = rows.len();
                // A unique (birth date, sequence) pair per row: 1,000 people a day from 1940 on.
                let body = format!("230104{}{:03}", first.plus_days(i / 1000), i % 1000);
                let id = IdNumber::from_body(&body).expect("a valid ID body");
                let name = format!(
                    "{}{}{}",
                    SURNAMES[i % SURNAMES.len()],
                    GIVEN[i / SURNAMES.len() % GIVEN.len()],
                    if i % 3 == 0 { GIVEN[i / 7 % GIVEN.len()] } else { "" }
                );
                // Children have no phone of their own; a few people are in special groups.
                let phone = if i % 8 == 7 { String::new() } else { format!("1990{:07}", i + 1) };
                let tags = match i % 100 {
                    0 => "慢性病",
                    50 => "独居老人；透析",
                    _ => "",
                };
                rows.push(SheetRow {
                    number: i + 2,
                    cells: vec![
                        street.to_string(),
                        community.to_string(),
                        compound.to_string(),
                        format!("{building}号楼"),
                        format!("{entrance}单元"),
                        format!("{floor}0{door}"),
                        name,
                        id.as_str().to_string(),
                        phone,
                        tags.to_string(),
                    ],
                });
                placed += 1;
            }
            household += 1;
        }
    }
    Sheet { headers: RESIDENT_HEADERS.iter().map(|h| h.to_string()).collect(), rows }
}

/// The two compounds, with their street, community, district and city.
fn places_sheet() -> Sheet {
    test_support::sheet(
        &["市", "区", "街道", "社区", "小区", "卡口"],
        &[
            &["哈尔滨市", "道外区", COMPOUNDS[0].0, COMPOUNDS[0].1, COMPOUNDS[0].2, "东门"],
            &["哈尔滨市", "道外区", COMPOUNDS[1].0, COMPOUNDS[1].1, COMPOUNDS[1].2, ""],
        ],
    )
}

/// The sheets of a run: the places, the residents, and the residents with the
/// last row's phone spoilt.
struct Sheets {
    places: Sheet,
    residents: Sheet,
    bad: Sheet,
}

impl Sheets {
    fn new(rows: usize) -> Sheets {
        let residents = residents_sheet(rows);
        let mut bad = residents.clone();
        if let Some(last) = bad.rows.last_mut() {
            last.cells[8] = "12345".to_string();
        }
        Sheets { places: places_sheet(), residents, bad }
    }
}

/// A first birth date, and the days after it as the eight digits of an ID number.
struct NaiveDay(chrono::NaiveDate);

impl NaiveDay {
    fn new(y: i32, m: u32, d: u32) -> NaiveDay {
        NaiveDay(chrono::NaiveDate::from_ymd_opt(y, m, d).expect("a real date"))
    }

    fn plus_days(&self, days: usize) -> String {
        (self.0 + chrono::Days::new(days as u64)).format("%Y%m%d").to_string()
    }
}

/// The columns a bare peer stores, borrowed from a sheet row.
struct Bare<'a> {
    name: &'a str,
    id_number: &'a str,
    phone: Option<&'a str>,
    household: String,
}

fn bare(row: &SheetRow) -> Bare<'_> {
    let c = &row.cells;
    Bare {
        name: &c[6],
        id_number: &c[7],
        phone: (!c[8].is_empty()).then_some(c[8].as_str()),
        household: format!("{}/{}/{}/{}", c[2], c[3], c[4], c[5]),
    }
}

// ---------------------------------------------------------------- measuring

/// The timings and memory of one contender on one engine.
struct Tally {
    contender: &'static str,
    engine: &'static str,
    times: Vec<Duration>,
    /// RSS at the start of each run and at its end, and VmHWM at its end, in KiB.
    memory: Vec<(u64, u64, u64)>,
}

impl Tally {
    fn new(contender: &'static str, engine: &'static str) -> Tally {
        Tally { contender, engine, times: Vec::new(), memory: Vec::new() }
    }

    /// Times `f` alone (set-up stays outside) and notes the memory around it.
    fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        trim_heap();
        reset_peak_rss();
        let before = memory().rss;
        let start = Instant::now();
        let out = f();
        self.times.push(start.elapsed());
        let after = memory();
        self.memory.push((before, after.rss, after.peak));
        out
    }

    fn median(&self) -> Duration {
        median(&self.times)
    }
}

fn median(times: &[Duration]) -> Duration {
    let mut t = times.to_vec();
    t.sort();
    t.get(t.len() / 2).copied().unwrap_or_default()
}

/// Resident and peak memory of this process, in KiB, from /proc/self/status.
struct Memory {
    rss: u64,
    peak: u64,
}

fn memory() -> Memory {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    Memory { rss: field("VmRSS:"), peak: field("VmHWM:") }
}

/// Resets VmHWM to the current RSS (Linux 4.0+), so a peak belongs to one
/// contender; false where that is not allowed, and then peaks are cumulative.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Gives the heap's free pages back to the system, so that a run's RSS starts
/// from what is live: glibc would keep them, and a later contender would reuse
/// them without its RSS or peak ever showing it.
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: glibc's malloc_trim only releases free memory; it has no preconditions.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Where the time of one Cordon import went, read from its progress ticks:
/// the write loop ticks every 200 rows with `i / 2`, the chunked inserts
/// after it with more than half, and the end with `total`. What falls in
/// each phase depends on the store's code; bench/README.md says it per commit.
struct Phases {
    contender: &'static str,
    engine: &'static str,
    /// Start to the write loop's first tick: every row checked, existing
    /// residents looked up, BEGIN (and, since ed4c884, the tree below the
    /// compounds found or created in bulk).
    before_loop: Vec<Duration>,
    /// First to last tick of the write loop: each row compared with what is on
    /// file (and, before ed4c884, its building, entrance and household found
    /// or created one statement at a time).
    row_loop: Vec<Duration>,
    /// From there to the last chunk tick: the loop's last (<200) rows, then new
    /// residents and their audit entries 500 a statement.
    inserts: Vec<Duration>,
    /// From there to the closing tick: COMMIT.
    commit: Vec<Duration>,
}

impl Phases {
    fn new(contender: &'static str, engine: &'static str) -> Phases {
        Phases { contender, engine, before_loop: vec![], row_loop: vec![], inserts: vec![], commit: vec![] }
    }
}

/// Records the import's progress calls with the time they came.
#[derive(Default)]
struct Ticks(Mutex<Vec<(Instant, usize)>>);

impl Ticks {
    fn record(&self, done: usize) {
        self.0.lock().expect("not poisoned").push((Instant::now(), done));
    }

    /// Splits one import (from `start`) at its ticks: the write loop reports
    /// `i / 2` (below half), the chunked inserts above half, the end `total`.
    fn split(&self, start: Instant, total: usize) -> [Duration; 4] {
        let ticks = self.0.lock().expect("not poisoned");
        let Some(((first, _), (end, _))) = ticks.first().zip(ticks.last()) else {
            return Default::default();
        };
        let body = &ticks[..ticks.len() - 1];
        let loop_end = body.iter().rfind(|(_, d)| 2 * d < total).map_or(*first, |(t, _)| *t);
        let inserts_end = body.iter().rfind(|(_, d)| 2 * d >= total).map_or(loop_end, |(t, _)| *t);
        [*first - start, loop_end - *first, inserts_end - loop_end, *end - inserts_end]
    }
}

// ---------------------------------------------------------------- contenders

/// Cordon on a fresh database after the places: first the sheet with its last
/// row spoilt (every row is checked, then all is rejected: the cost of the
/// checks alone), then (a) the import, then (b) the same sheet again, which
/// changes nothing but compares everything.
fn cordon_import(
    rt: &Runtime,
    cfg: &Config,
    engine: &'static str,
    sheets: &Sheets,
    fresh: impl Fn() -> Option<TestDb>,
) -> (Vec<Tally>, Vec<Phases>) {
    let mut checks = Tally::new("cordon checks only (rejected)", engine);
    let mut first = Tally::new("cordon import", engine);
    let mut again = Tally::new("cordon re-import (no changes)", engine);
    let mut first_phases = Phases::new("cordon import", engine);
    let mut again_phases = Phases::new("cordon re-import (no changes)", engine);
    let system = Actor::system();
    let n = sheets.residents.rows.len();
    for _ in 0..cfg.runs {
        let db = fresh().expect("a fresh database");
        rt.block_on(db.store.import(&system, ImportKind::Places, &sheets.places, &|_| {})).expect("the places");
        let rejected =
            checks.time(|| rt.block_on(db.store.import(&system, ImportKind::Residents, &sheets.bad, &|_| {})));
        match rejected {
            Err(StoreError::Rejected(report)) => assert_eq!(report.bad_rows.len(), 1, "one bad cell on {engine}"),
            other => panic!("the spoilt sheet must be rejected on {engine}, got {other:?}"),
        }
        for (tally, phase, want) in [
            (&mut first, &mut first_phases, ImportSummary { imported: n, updated: 0, unchanged: 0 }),
            (&mut again, &mut again_phases, ImportSummary { imported: 0, updated: 0, unchanged: n }),
        ] {
            let ticks = Ticks::default();
            let progress = |p: &cordon_store::imports::ImportProgress| ticks.record(p.done as usize);
            let mut start = Instant::now();
            let got = tally.time(|| {
                start = Instant::now();
                rt.block_on(db.store.import(&system, ImportKind::Residents, &sheets.residents, &progress))
            });
            assert_eq!(got.expect("the residents import"), want, "{} on {engine}", tally.contender);
            let [b, l, i, c] = ticks.split(start, n);
            phase.before_loop.push(b);
            phase.row_loop.push(l);
            phase.inserts.push(i);
            phase.commit.push(c);
        }
        drop_database(rt, db);
    }
    (vec![checks, first, again], vec![first_phases, again_phases])
}

/// A fresh SQLite file opened as the store opens its own (WAL, synchronous=NORMAL).
fn sqlite_file(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cordon_bench_{}_{tag}_{}", std::process::id(), unique()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

fn unique() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

async fn sqlx_sqlite(dir: &std::path::Path) -> SqliteConnection {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    let opts = SqliteConnectOptions::from_str("sqlite://")
        .expect("sqlite options")
        .filename(dir.join("bench.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    let mut conn = SqliteConnection::connect_with(&opts).await.expect("open sqlite");
    sqlx::query(BARE_TABLE).execute(&mut conn).await.expect("create the bare table");
    conn
}

/// The peers' insert: one body, compiled once per engine's connection type
/// (the store's `on_pool!` does the same), inside one transaction.
macro_rules! insert_bare {
    ($conn:expr, $sheet:expr, $batched:expr) => {{
        let mut tx = $conn.begin().await.expect("begin");
        if $batched {
            for chunk in $sheet.rows.chunks(PEER_CHUNK) {
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO residents (name, id_number, phone, household) ");
                qb.push_values(chunk.iter().map(bare), |mut b, r| {
                    b.push_bind(r.name).push_bind(r.id_number).push_bind(r.phone).push_bind(r.household);
                });
                qb.build().execute(&mut *tx).await.expect("insert a chunk");
            }
        } else {
            for row in &$sheet.rows {
                let r = bare(row);
                sqlx::query(BARE_INSERT)
                    .bind(r.name)
                    .bind(r.id_number)
                    .bind(r.phone)
                    .bind(r.household)
                    .execute(&mut *tx)
                    .await
                    .expect("insert a row");
            }
        }
        tx.commit().await.expect("commit");
    }};
}

/// (c) one INSERT per row, or (d) 500 rows per INSERT, through sqlx into a bare
/// table, in one transaction: what the rows cost with no checks, tree or log.
fn sqlx_sqlite_peer(rt: &Runtime, cfg: &Config, sheet: &Sheet, batched: bool) -> Tally {
    let mut tally = Tally::new(peer_name(batched), "sqlite");
    for _ in 0..cfg.runs {
        let dir = sqlite_file("sqlx");
        let mut conn = rt.block_on(sqlx_sqlite(&dir));
        tally.time(|| rt.block_on(async { insert_bare!(conn, sheet, batched) }));
        rt.block_on(async {
            let count: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM residents").fetch_one(&mut conn).await.expect("count");
            assert_eq!(count as usize, sheet.rows.len(), "{} on sqlite", tally.contender);
            conn.close().await.expect("close");
        });
        let _ = std::fs::remove_dir_all(&dir);
    }
    tally
}

fn peer_name(batched: bool) -> &'static str {
    if batched { "sqlx 500 rows per statement" } else { "sqlx one row per statement" }
}

/// (e) rusqlite with one prepared statement executed per row in one
/// transaction: the engine's own speed, without sqlx's worker thread.
fn rusqlite_peer(cfg: &Config, sheet: &Sheet) -> Tally {
    let mut tally = Tally::new("rusqlite prepared statement", "sqlite");
    for _ in 0..cfg.runs {
        let dir = sqlite_file("rusqlite");
        let mut conn = rusqlite::Connection::open(dir.join("bench.db")).expect("open sqlite");
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)).expect("journal_mode");
        assert_eq!(mode, "wal");
        conn.pragma_update(None, "synchronous", "NORMAL").expect("synchronous");
        conn.execute(BARE_TABLE, []).expect("create the bare table");
        tally.time(|| {
            let tx = conn.transaction().expect("begin");
            {
                let mut insert = tx.prepare(BARE_INSERT).expect("prepare");
                for row in &sheet.rows {
                    let r = bare(row);
                    insert.execute(rusqlite::params![r.name, r.id_number, r.phone, r.household]).expect("insert a row");
                }
            }
            tx.commit().expect("commit");
        });
        let count: i64 = conn.query_row("SELECT COUNT(*) FROM residents", [], |r| r.get(0)).expect("count");
        assert_eq!(count as usize, sheet.rows.len(), "rusqlite rows");
        drop(conn);
        let _ = std::fs::remove_dir_all(&dir);
    }
    tally
}

/// (c) and (d) on PostgreSQL, each run in a database of its own.
fn sqlx_pg_peer(rt: &Runtime, cfg: &Config, sheet: &Sheet, admin: &str, batched: bool) -> Tally {
    let mut tally = Tally::new(peer_name(batched), "postgres");
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    for _ in 0..cfg.runs {
        let name = format!("cordon_bench_{}_{}", std::process::id(), unique());
        let (mut root, mut conn) = rt.block_on(async {
            let mut root = PgConnection::connect(admin).await.expect("reach the PostgreSQL server");
            raw(&mut root, &format!("CREATE DATABASE {name}")).await;
            let mut conn = PgConnection::connect(&format!("{base}/{name}")).await.expect("the new database");
            raw(&mut conn, BARE_TABLE).await;
            (root, conn)
        });
        tally.time(|| rt.block_on(async { insert_bare!(conn, sheet, batched) }));
        rt.block_on(async {
            let count: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM residents").fetch_one(&mut conn).await.expect("count");
            assert_eq!(count as usize, sheet.rows.len(), "{} on postgres", tally.contender);
            conn.close().await.expect("close");
            raw(&mut root, &format!("DROP DATABASE {name}")).await;
            root.close().await.expect("close");
        });
    }
    tally
}

async fn raw(conn: &mut PgConnection, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(conn).await.expect(sql);
}

/// Closes a test database and, on PostgreSQL, drops it: test_support leaves
/// them behind, and a benchmark's are large.
fn drop_database(rt: &Runtime, db: TestDb) {
    rt.block_on(db.store.close());
    if let (cordon_store::Database::Postgres { url }, Ok(admin)) = (&db.database, std::env::var("CORDON_TEST_PG_URL"))
        && let Some((_, name)) = url.rsplit_once('/')
    {
        rt.block_on(async {
            let mut root = PgConnection::connect(&admin).await.expect("reach the PostgreSQL server");
            raw(&mut root, &format!("DROP DATABASE IF EXISTS {name}")).await;
        });
    }
}

// ---------------------------------------------------------------- reports

fn print_times(tallies: &[Tally], rows: usize) {
    println!();
    println!(
        "{:<32} {:<9} {:>9} {:>11} {:>13}  runs (s)",
        "contender", "engine", "median s", "rows/s", "time / cordon"
    );
    for t in tallies {
        let own = t.median().as_secs_f64();
        let cordon = tallies
            .iter()
            .find(|c| c.engine == t.engine && c.contender == "cordon import")
            .map_or(own, |c| c.median().as_secs_f64());
        let runs: Vec<String> = t.times.iter().map(|d| format!("{:.3}", d.as_secs_f64())).collect();
        println!(
            "{:<32} {:<9} {:>9.3} {:>11.0} {:>13.3}  {}",
            t.contender,
            t.engine,
            own,
            rows as f64 / own.max(1e-9),
            own / cordon.max(1e-9),
            runs.join(" ")
        );
    }
}

fn print_memory(tallies: &[Tally], peak_resets: bool) {
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!();
    if peak_resets {
        println!(
            "memory (MiB): VmHWM is reset before each run, so \"peak\" is this contender's own (largest of its runs,"
        );
        println!(
            "the sheet and whatever the process already held included) and \"peak - start\" what a run added at most."
        );
    } else {
        println!(
            "memory (MiB): VmHWM could NOT be reset here, so \"peak\" is cumulative over the whole process so far;"
        );
        println!("read the RSS columns (start of the first run, end of the last, largest growth in one run) instead.");
    }
    println!(
        "{:<32} {:<9} {:>10} {:>10} {:>10} {:>8} {:>12}",
        "contender", "engine", "RSS before", "RSS after", "run delta", "peak", "peak - start"
    );
    for t in tallies {
        let before = t.memory.first().map_or(0, |m| m.0);
        let after = t.memory.last().map_or(0, |m| m.1);
        let delta = t.memory.iter().map(|m| m.1 as i64 - m.0 as i64).max().unwrap_or(0);
        let peak = t.memory.iter().map(|m| m.2).max().unwrap_or(0);
        let above = t.memory.iter().map(|m| m.2.saturating_sub(m.0)).max().unwrap_or(0);
        println!(
            "{:<32} {:<9} {:>10.1} {:>10.1} {:>+10.1} {:>8.1} {:>12}",
            t.contender,
            t.engine,
            mib(before),
            mib(after),
            delta as f64 / 1024.0,
            mib(peak),
            if peak_resets { format!("{:.1}", mib(above)) } else { "n/a".to_string() }
        );
    }
}

fn print_phases(phases: &[Phases]) {
    println!();
    println!("where Cordon's import spends its time (median seconds per phase, cut at its progress ticks):");
    println!(
        "{:<32} {:<9} {:>11} {:>9} {:>8} {:>8}",
        "contender", "engine", "before loop", "row loop", "inserts", "commit"
    );
    for p in phases {
        println!(
            "{:<32} {:<9} {:>11.3} {:>9.3} {:>8.3} {:>8.3}",
            p.contender,
            p.engine,
            median(&p.before_loop).as_secs_f64(),
            median(&p.row_loop).as_secs_f64(),
            median(&p.inserts).as_secs_f64(),
            median(&p.commit).as_secs_f64()
        );
    }
    println!("before loop: checks, lookup of residents on file, BEGIN (+ bulk tree since ed4c884); row loop: rows");
    println!("compared (+ places one at a time before ed4c884); inserts: residents + audit, 500 a statement; commit.");
    println!("\"cordon checks only\" above is the first phase without BEGIN: the same sheet with its last row spoilt.");
}

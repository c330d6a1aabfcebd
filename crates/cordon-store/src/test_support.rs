//! Fresh databases on both engines and a small fixture, for the test suites.
//! SQLite always; PostgreSQL when `CORDON_TEST_PG_URL` names a server whose
//! user may create databases. Without it the PostgreSQL half is skipped with a
//! loud line on stderr, or fails when `CORDON_TEST_REQUIRE_PG=1` (as in CI).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use cordon_domain::Actor;

use crate::imports::{ImportKind, ImportSummary};
use crate::sheets::{Sheet, SheetRow};
use crate::{Database, Store, StoreResult};

/// A fresh database that removes its files when dropped.
pub struct TestDb {
    /// The store on it.
    pub store: Store,
    /// "sqlite" or "postgres", for assertion messages.
    pub engine: &'static str,
    /// How to open it again (for the binary's tests).
    pub database: Database,
    dir: Option<PathBuf>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        crate::accounts::random_secret(3)
    )
}

/// A fresh SQLite database in a temporary directory.
pub async fn sqlite() -> TestDb {
    let dir = std::env::temp_dir().join(unique("cordon_test"));
    let database = Database::Sqlite { data_dir: dir.clone() };
    let store = Store::connect(&database).await.expect("fresh sqlite");
    TestDb { store, engine: "sqlite", database, dir: Some(dir) }
}

/// A fresh PostgreSQL database, when a server is configured.
pub async fn postgres() -> Option<TestDb> {
    postgres_created_with("").await
}

/// A fresh PostgreSQL database made with these `CREATE DATABASE` options
/// (another collation, say), or None (said loudly) when there is no server.
pub async fn postgres_created_with(options: &str) -> Option<TestDb> {
    let Ok(admin) = std::env::var("CORDON_TEST_PG_URL") else {
        if std::env::var("CORDON_TEST_REQUIRE_PG").as_deref() == Ok("1") {
            panic!("CORDON_TEST_REQUIRE_PG=1 but CORDON_TEST_PG_URL is not set");
        }
        eprintln!("!!! PostgreSQL tests SKIPPED: set CORDON_TEST_PG_URL (scripts/test does) !!!");
        return None;
    };
    let name = unique("cordon_test");
    let admin_store =
        Store::open(&Database::Postgres { url: admin.clone() }).await.expect("reach the PostgreSQL test server");
    admin_store.execute_raw(&format!("CREATE DATABASE {name} {options}")).await.expect("create a test database");
    admin_store.close().await;
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin);
    let database = Database::Postgres { url: format!("{base}/{name}") };
    let store = Store::connect(&database).await.expect("fresh postgres");
    Some(TestDb { store, engine: "postgres", database, dir: None })
}

/// SQLite, and PostgreSQL when configured.
pub async fn engines() -> Vec<TestDb> {
    let mut v = vec![sqlite().await];
    v.extend(postgres().await);
    v
}

/// Builds a sheet from a header and rows of text, numbered as a file would be.
pub fn sheet(headers: &[&str], rows: &[&[&str]]) -> Sheet {
    Sheet {
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, r)| SheetRow { number: i + 2, cells: r.iter().map(|c| c.to_string()).collect() })
            .collect(),
    }
}

/// Valid ID numbers for fixtures (checksums computed, not typed).
pub fn id_number(n: u32) -> String {
    cordon_domain::IdNumber::from_body(&format!("23010419800101{:03}", n % 1000))
        .expect("valid body")
        .as_str()
        .to_string()
}

/// Two streets, each with a community and a compound (A: 甲小区, B: 乙小区), two
/// residents in each, and two units with two cadres each.
pub async fn seed(store: &Store) -> StoreResult<()> {
    let system = Actor::system();
    let none = |_: &crate::imports::ImportProgress| {};
    let places = sheet(
        &["市", "区", "街道", "社区", "小区", "卡口"],
        &[
            &["哈尔滨市", "道外区", "仁里街道", "民强社区", "甲小区", "东门"],
            &["哈尔滨市", "道外区", "仁里街道", "民强社区", "甲小区", "西门"],
            &["哈尔滨市", "道外区", "大有坊街道", "新一社区", "乙小区", ""],
        ],
    );
    store.import(&system, ImportKind::Places, &places, &none).await?;
    let (a1, a2, b1, b2) = (id_number(11), id_number(12), id_number(21), id_number(22));
    let residents = sheet(
        &["街道", "社区", "小区", "楼栋", "单元", "房号", "姓名", "身份证号", "手机号", "标签"],
        &[
            &["仁里街道", "民强社区", "甲小区", "1号楼", "1单元", "101", "甲一", &a1, "13800000011", "透析"],
            &["仁里街道", "民强社区", "甲小区", "1号楼", "1单元", "102", "甲二", &a2, "", ""],
            &["大有坊街道", "新一社区", "乙小区", "2号楼", "1单元", "201", "乙一", &b1, "13800000021", "独居老人"],
            &["大有坊街道", "新一社区", "乙小区", "2号楼", "1单元", "202", "乙二", &b2, "", ""],
        ],
    );
    store.import(&system, ImportKind::Residents, &residents, &none).await?;
    store.upsert_unit(&system, "市总工会", "Federation of Trade Unions").await?;
    store.upsert_unit(&system, "市林草局", "Forestry Bureau").await?;
    let cadres = sheet(
        &["单位", "姓名", "职务", "党员", "手机号", "性别"],
        &[
            &["市总工会", "工一", "处长", "是", "13900000001", "男"],
            &["市总工会", "工二", "科员", "否", "13900000002", "女"],
            &["市林草局", "林一", "科长", "是", "13900000003", "男"],
            &["市林草局", "林二", "科员", "是", "13900000004", "女"],
        ],
    );
    store.import(&system, ImportKind::Cadres, &cadres, &none).await?;
    // Everyone but 工二 is trained, so postings need no confirmation unless a test wants one.
    let all = crate::PageRequest { page: 1, per_page: 100 };
    let day = chrono::NaiveDate::from_ymd_opt(2022, 11, 30).expect("a date");
    for c in store.cadres(&system, &crate::units::CadreFilter::default(), all).await?.items {
        if c.name != "工二" {
            store.record_training(&system, c.id, "岗前培训", day).await?;
        }
    }
    Ok(())
}

/// Creates a user with the fixture password and returns its actor.
pub async fn user(store: &Store, name: &str, role: cordon_domain::Role, scope: &str) -> Actor {
    let spec = cordon_domain::ScopeSpec::parse(scope).expect("scope text");
    store.create_user(name, PASSWORD, role, &spec).await.expect("create user");
    store.actor_by_username(name).await.expect("read user").expect("user exists")
}

/// The password of fixture users.
pub const PASSWORD: &str = "correct horse battery";

/// Sum of an import summary's rows.
pub fn rows(s: &ImportSummary) -> usize {
    s.imported + s.updated + s.unchanged
}

/// An order for `people` of a fixture unit at a fixture compound, issued by
/// the system and acknowledged, due in an hour; returns `(order id, the
/// unit's cadres)`, ready to be assembled.
pub async fn acknowledged_order(store: &Store, unit: &str, compound: &str, people: Option<i64>) -> (i64, Vec<i64>) {
    let system = Actor::system();
    let (unit, cadres) = unit_cadres(store, unit).await;
    let order = crate::orders::NewOrder {
        unit_id: unit,
        people: people.unwrap_or(cadres.len() as i64),
        compound_ids: vec![compound_id(store, compound).await],
        deadline: store.now() + chrono::Duration::hours(1),
        note: String::new(),
    };
    let id = store.issue_order(&system, &order).await.unwrap();
    store.order_step(&system, id, cordon_domain::orders::OrderEvent::Acknowledge, &[], false).await.unwrap();
    (id, cadres)
}

/// Posts every fixture cadre of a unit at a compound through a real order
/// (issued, acknowledged, assembled), the `leader`-th cadre leading; returns
/// `(compound id, order id, squad id)`.
pub async fn post_squad(store: &Store, unit: &str, compound: &str, leader: usize) -> (i64, i64, i64) {
    use cordon_domain::orders::OrderEvent;
    use cordon_domain::squads::SquadRole;
    let system = Actor::system();
    let (id, cadres) = acknowledged_order(store, unit, compound, None).await;
    let roles = [(cadres[leader], SquadRole::Leader)];
    store.order_step(&system, id, OrderEvent::Assemble { roster: cadres }, &roles, true).await.unwrap();
    (compound_id(store, compound).await, id, store.order(&system, id).await.unwrap().squad_id.expect("a squad"))
}

/// A fixture unit's id and its cadres' ids, in file order.
pub async fn unit_cadres(store: &Store, unit: &str) -> (i64, Vec<i64>) {
    let system = Actor::system();
    let unit = store.units(&system).await.unwrap().into_iter().find(|u| u.name == unit).expect("a fixture unit").id;
    let all = crate::PageRequest { page: 1, per_page: 100 };
    let filter = crate::units::CadreFilter { unit_id: Some(unit), q: None };
    (unit, store.cadres(&system, &filter, all).await.unwrap().items.iter().map(|c| c.id).collect())
}

/// A fixture compound's id.
pub async fn compound_id(store: &Store, name: &str) -> i64 {
    store.compounds(&Actor::system(), Some(name)).await.unwrap()[0].id
}

/// A residents file (CSV) of `rows` people in a building of 甲小区 of its
/// own, their ID numbers distinct from every other such file whose `first`
/// ranges do not overlap (person `first + i` is born `first + i` days after
/// 1950-01-01): the load of the concurrency tests.
pub fn residents_csv(building: &str, first: u32, rows: u32) -> String {
    let born = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).expect("a date");
    let mut csv = String::from("街道,社区,小区,楼栋,单元,房号,姓名,身份证号,手机号,标签\n");
    for i in 0..rows {
        let n = first + i;
        let day = born + chrono::Days::new(u64::from(n));
        let id = cordon_domain::IdNumber::from_body(&format!("230104{}001", day.format("%Y%m%d"))).expect("valid body");
        csv.push_str(&format!(
            "仁里街道,民强社区,甲小区,{building},{}单元,{}{:02},住户{n},{},,\n",
            i % 6 + 1,
            i / 60 % 30 + 1,
            i % 10 + 1,
            id.as_str()
        ));
    }
    csv
}

/// A valid ID number for each `n`, distinct for every `n` (the birth date
/// moves every thousand, from 1960 on, so none is one of the fixtures'
/// `id_number`s of 1980).
pub fn resident_id(n: u32) -> String {
    let born =
        chrono::NaiveDate::from_ymd_opt(1960, 1, 1).expect("a date") + chrono::Duration::days(i64::from(n / 1000));
    cordon_domain::IdNumber::from_body(&format!("230104{}{:03}", born.format("%Y%m%d"), n % 1000))
        .expect("valid body")
        .as_str()
        .to_string()
}

/// A resident file (CSV) of `count` rows from person `first` on, in 甲小区,
/// ID numbers by [`resident_id`]; with `bad`, every ID number is broken:
/// the files of the import tests.
pub fn resident_file(first: u32, count: u32, bad: bool) -> Vec<u8> {
    let mut csv = String::from("街道,社区,小区,楼栋,单元,房号,姓名,身份证号\n");
    for n in first..first + count {
        let id = if bad { format!("12345{n}") } else { resident_id(n) };
        csv.push_str(&format!("仁里街道,民强社区,甲小区,{}号楼,1单元,{},居民{n},{id}\n", n % 20 + 1, n % 500 + 1));
    }
    csv.into_bytes()
}

/// A sink an export can take (and drop) while the test keeps a handle to read it afterwards.
#[derive(Clone, Default)]
pub struct SharedSink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl SharedSink {
    /// Everything written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().expect("not poisoned").clone()
    }
}

impl std::io::Write for SharedSink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// Quarantine sites: an active hotel, a 7+7 batch and its manifest.

/// The charter's landing: 15:30 in Harbin on 16 September 2026.
pub fn arrived() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-09-16T15:30:00+08:00").unwrap().with_timezone(&chrono::Utc)
}

/// `count` rooms on floor 3, one bed each but every fifth with two.
fn rooms_csv(count: usize) -> Vec<Vec<String>> {
    (1..=count)
        .map(|i| vec!["3".into(), format!("3{i:02}"), if i.is_multiple_of(5) { "2" } else { "1" }.into()])
        .collect()
}

/// An active site with `rooms` rooms on floor 3 (301…), one bed each but every fifth with two.
pub async fn quarantine_site(s: &Store, name: &str, rooms: usize) -> i64 {
    let rows = rooms_csv(rooms);
    let rows: Vec<Vec<&str>> = rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    let system = Actor::system();
    let created =
        s.create_site(&system, name, "Asia/Shanghai", &sheet(&["楼层", "房号", "床位"], &rows)).await.unwrap();
    assert_eq!(created.rooms, rooms);
    s.step_site(&system, created.id, "prepare").await.unwrap();
    assert_eq!(
        s.step_site(&system, created.id, "activate").await.unwrap(),
        cordon_domain::quarantine::site::SiteState::Active
    );
    created.id
}

/// A 7+7 batch at a site that landed at `arrived()`.
pub async fn arrival_batch(s: &Store, site: i64, name: &str) -> crate::quarantine::Batch {
    let new = crate::quarantine::NewBatch {
        name,
        policy: "7+7",
        arrived_at: arrived(),
        transport: "charter Yekaterinburg–Harbin",
        origin: "Екатеринбург",
    };
    s.create_batch(&Actor::system(), site, &new).await.unwrap()
}

/// Person `i` of a manifest: a Cyrillic name, a nine-digit passport, a birth
/// date that falls inside a 7+7 stay from 16 September for every fourth
/// person, and the first two travelling as group G1.
pub fn manifest_person(i: usize) -> [String; 15] {
    let birthday = if i.is_multiple_of(4) { "2004-09-20" } else { "2003-03-0" };
    [
        format!("Иванова Анна {}", ["Сергеевна", "Петровна", "Ивановна"][i % 3]),
        "IVANOVA ANNA".into(),
        format!("75{:07}", 1_000_000 + i),
        "RU".into(),
        if i.is_multiple_of(4) { birthday.to_string() } else { format!("{birthday}{}", 1 + i % 9) },
        if i.is_multiple_of(2) { "Ж" } else { "М" }.into(),
        "ru".into(),
        format!("+7 916 123 {:04}", 1000 + i),
        "黑龙江省".into(),
        "哈尔滨工业大学".into(),
        String::new(),
        if i < 2 { "G1".into() } else { String::new() },
        if i == 3 { "清真 halal".into() } else { String::new() },
        String::new(),
        if i == 3 { "哮喘，随身吸入器".into() } else { String::new() },
    ]
}

/// A manifest of `people` as `manifest_person` writes them, with Chinese headers.
pub fn manifest_csv(people: usize) -> Vec<u8> {
    let mut out =
        cordon_domain::quarantine::manifest::Field::ALL.map(cordon_domain::quarantine::manifest::Field::zh).join(",");
    out.push('\n');
    for i in 0..people {
        out.push_str(&manifest_person(i).join(","));
        out.push('\n');
    }
    out.into_bytes()
}

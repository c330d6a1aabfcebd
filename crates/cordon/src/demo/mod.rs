//! `cordon demo`: builds the scenario of `scenario/daowai.toml` (a copy of
//! `shared/scenario/daowai.toml`) from a fixed seed, through the same import
//! paths users have, so the demo also exercises them. Running it again changes
//! nothing.

mod quarantine;
mod synth;

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate};
use cordon_domain::{Actor, Role, ScopeSpec};
use cordon_store::Store;
use cordon_store::imports::{ImportKind, ImportSummary};
use cordon_store::sheets::{Sheet, SheetRow};
use serde::Deserialize;

use synth::Synth;

const SCENARIO: &str = include_str!("../../scenario/daowai.toml");
/// The seed every demo is built from.
const SEED: u64 = 20221201;
/// The day the demo's ages are counted from: the night of the reported mobilisation.
const DEMO_DAY: (i32, u32, u32) = (2022, 12, 1);
/// The password of every demo account; the demo is for trying Cordon, never for real data.
pub const DEMO_PASSWORD: &str = "cordon-demo-2022";

#[derive(Deserialize)]
struct Scenario {
    city: City,
    district: District,
    named_compound: Vec<NamedCompound>,
    unit: Vec<UnitSpec>,
    kit: KitSpec,
    quarantine_site: quarantine::SiteSpec,
    arrival_batch: Vec<quarantine::BatchSpec>,
}

#[derive(Deserialize)]
struct KitSpec {
    items: Vec<KitItemSpec>,
}

#[derive(Deserialize)]
struct KitItemSpec {
    name_zh: String,
    name_en: String,
    per_person: i64,
}

#[derive(Deserialize)]
struct City {
    name_zh: String,
}

#[derive(Deserialize)]
struct District {
    name_zh: String,
    compounds_under_guarantee: usize,
    residents_synthetic: usize,
    streets: Vec<String>,
}

#[derive(Deserialize)]
struct NamedCompound {
    name: String,
    street: String,
    unit: String,
    #[serde(default)]
    special_needs: Vec<String>,
}

#[derive(Deserialize)]
struct UnitSpec {
    name_zh: String,
    name_en: String,
    cadres: usize,
    squads: Vec<usize>,
}

/// Where progress goes: bars on a terminal, nothing in tests.
pub struct Reporter {
    quiet: bool,
}

impl Reporter {
    /// Progress on the terminal (plain lines when not a terminal).
    pub fn terminal() -> Reporter {
        Reporter { quiet: false }
    }

    /// No output.
    #[cfg(test)]
    pub fn quiet() -> Reporter {
        Reporter { quiet: true }
    }

    fn say(&self, msg: &str) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }
}

/// One compound of the demo, with its street and community.
struct CompoundPlan {
    street: String,
    community: String,
    name: String,
    checkpoints: Vec<&'static str>,
    dialysis: bool,
}

const COMMUNITY_WORDS: &[&str] = &[
    "民强",
    "新一",
    "桃花巷",
    "景阳",
    "北三",
    "南勋",
    "圈河",
    "东莱",
    "太古",
    "南马",
    "振兴",
    "靖宇",
    "大有",
    "安化",
    "宏图",
    "承德",
    "保障",
    "升平",
    "天福",
    "北新",
    "长青",
    "和平",
    "前进",
    "先锋",
];
const COMPOUND_WORDS: &[&str] = &[
    "松花", "江畔", "北秀", "丰润", "华强", "宏伟", "金色", "阳光", "幸福", "祥和", "福顺", "瑞丰", "鑫鑫", "龙华",
    "远大", "富力", "海富", "安居", "和谐", "康乐", "锦绣", "银河", "新城", "东方", "天鹅", "学府", "书香", "欣荣",
    "丽景", "嘉园", "盛世", "永泰",
];
const COMPOUND_SUFFIXES: &[&str] = &["小区", "家园", "花园", "公寓", "新村"];
const GATES: &[&str] = &["东门", "西门", "南门", "北门"];
const POSITIONS: &[&str] = &["处长", "副处长", "科长", "副科长", "一级主任科员", "二级主任科员", "科员"];

fn plan_compounds(s: &Scenario, synth: &mut Synth) -> Vec<CompoundPlan> {
    let streets = &s.district.streets;
    // Two or three communities per street.
    let mut communities: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut words = COMMUNITY_WORDS.iter();
    for street in streets {
        let n = synth.range(2, 4);
        let list = (0..n).filter_map(|_| words.next().map(|w| format!("{w}社区"))).collect();
        communities.insert(street.clone(), list);
    }
    let mut used = std::collections::HashSet::new();
    let mut plans: Vec<CompoundPlan> = Vec::new();
    let gates = |synth: &mut Synth| GATES[..synth.range(1, 3)].to_vec();
    for named in &s.named_compound {
        let community = communities[&named.street][0].clone();
        used.insert(named.name.clone());
        plans.push(CompoundPlan {
            street: named.street.clone(),
            community,
            name: named.name.clone(),
            checkpoints: gates(synth),
            dialysis: named.special_needs.iter().any(|n| n == "dialysis"),
        });
    }
    let mut i = 0;
    while plans.len() < s.district.compounds_under_guarantee {
        let street = streets[i % streets.len()].clone();
        i += 1;
        let list = &communities[&street];
        let community = list[synth.range(0, list.len())].clone();
        let name = loop {
            let n = format!("{}{}", synth.pick(COMPOUND_WORDS), synth.pick(COMPOUND_SUFFIXES));
            if used.insert(n.clone()) {
                break n;
            }
        };
        plans.push(CompoundPlan { street, community, name, checkpoints: gates(synth), dialysis: false });
    }
    // The walkthrough's compound has two checkpoints (step 3: "the compound's two checkpoints").
    plans[0].checkpoints = GATES[..2].to_vec();
    plans
}

fn sheet(headers: &[&str], rows: Vec<Vec<String>>) -> Sheet {
    Sheet {
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows: rows.into_iter().enumerate().map(|(i, cells)| SheetRow { number: i + 2, cells }).collect(),
    }
}

fn places_sheet(s: &Scenario, plans: &[CompoundPlan]) -> Sheet {
    let mut rows = Vec::new();
    for p in plans {
        for gate in &p.checkpoints {
            rows.push(vec![
                s.city.name_zh.clone(),
                s.district.name_zh.clone(),
                p.street.clone(),
                p.community.clone(),
                p.name.clone(),
                gate.to_string(),
            ]);
        }
    }
    sheet(&["市", "区", "街道", "社区", "小区", "卡口"], rows)
}

fn cadres_sheet(s: &Scenario, synth: &mut Synth) -> Sheet {
    let mut rows = Vec::new();
    for unit in &s.unit {
        for _ in 0..unit.cadres {
            let sex = synth.sex();
            rows.push(vec![
                unit.name_zh.clone(),
                synth.name(),
                synth.pick(POSITIONS).to_string(),
                if synth.chance(0.65) { "是" } else { "否" }.to_string(),
                synth.phone(),
                if sex == cordon_domain::Sex::Male { "男" } else { "女" }.to_string(),
            ]);
        }
    }
    sheet(&["单位", "姓名", "职务", "党员", "手机号", "性别"], rows)
}

fn residents_sheet(s: &Scenario, plans: &[CompoundPlan], synth: &mut Synth) -> Sheet {
    let day = NaiveDate::from_ymd_opt(DEMO_DAY.0, DEMO_DAY.1, DEMO_DAY.2).expect("valid");
    let total = s.district.residents_synthetic;
    let per = total / plans.len();
    let mut rows = Vec::with_capacity(total);
    for (ci, p) in plans.iter().enumerate() {
        let target = if ci == plans.len() - 1 { total - per * (plans.len() - 1) } else { per };
        let mut placed = 0;
        let mut dialysis_left = usize::from(p.dialysis);
        'fill: for building in 1.. {
            for entrance in 1..=3 {
                for floor in 1..=6 {
                    for door in 1..=2 {
                        let size = (*synth.pick(&[1, 2, 2, 3, 3, 3, 4, 5])).min(target - placed);
                        for _ in 0..size {
                            let sex = synth.sex();
                            let birth = synth.birth_date(1930, 2022);
                            let age = day.years_since(birth).unwrap_or(0);
                            let mut tags = Vec::new();
                            if age >= 70 && size == 1 {
                                tags.push("独居老人");
                            }
                            if age < 3 {
                                tags.push("婴幼儿");
                            }
                            if age >= 40 && synth.chance(0.04) {
                                tags.push("慢性病");
                            }
                            if synth.chance(0.01) {
                                tags.push("残疾人");
                            }
                            if sex == cordon_domain::Sex::Female && (22..=38).contains(&age) && synth.chance(0.03) {
                                tags.push("孕妇");
                            }
                            if age >= 30 && (dialysis_left > 0 || synth.chance(0.001)) {
                                dialysis_left = dialysis_left.saturating_sub(1);
                                tags.push("透析");
                            }
                            let phone = if age >= 14 { synth.phone() } else { String::new() };
                            rows.push(vec![
                                p.street.clone(),
                                p.community.clone(),
                                p.name.clone(),
                                format!("{building}号楼"),
                                format!("{entrance}单元"),
                                format!("{floor}0{door}"),
                                synth.name(),
                                synth.id_number(birth, sex).as_str().to_string(),
                                phone,
                                tags.join("；"),
                            ]);
                            placed += 1;
                        }
                        if placed >= target {
                            break 'fill;
                        }
                    }
                }
            }
        }
        let _ = day.year();
    }
    sheet(&["街道", "社区", "小区", "楼栋", "单元", "房号", "姓名", "身份证号", "手机号", "标签"], rows)
}

/// The demo accounts: name, role, scope (filled in once the places exist).
fn accounts(s: &Scenario, plans: &[CompoundPlan]) -> Vec<(&'static str, Role, String)> {
    let first = &plans[0];
    let compound = format!("{}/{}/{}/{}", s.district.name_zh, first.street, first.community, first.name);
    let community = format!("{}/{}/{}", s.district.name_zh, first.street, first.community);
    vec![
        ("demo-command", Role::Command, "city".into()),
        ("demo-organisation", Role::Organisation, "city".into()),
        ("demo-unit", Role::Unit, "unit:市林草局".into()),
        ("demo-leader", Role::SquadLeader, compound.clone()),
        ("demo-member", Role::SquadMember, compound),
        ("demo-community", Role::Community, community),
    ]
}

/// Posts the scenario's 56 squads, one per compound, through real orders:
/// issued, acknowledged, assembled with a leader and a branch secretary, and
/// reported on site. The 17-person order of 市林草局 is left issued, so the
/// demo's unit coordinator can answer it on a phone (walkthrough step 2); the
/// order of the walkthrough's compound is left assembled, so its leader
/// (`demo-leader`) taps 报到 at the gate herself (step 3).
/// Returns how many were posted, and the leader and a member of the squad of
/// the walkthrough's compound, who have demo accounts.
async fn post_squads(store: &Store, s: &Scenario, plans: &[CompoundPlan]) -> Result<(usize, Vec<i64>)> {
    use cordon_domain::duty::ShiftPattern;
    use cordon_domain::orders::OrderEvent;
    use cordon_domain::squads::SquadRole;
    use cordon_store::PageRequest;
    use cordon_store::duty::RosterPlan;
    use cordon_store::orders::{NewOrder, OrderFilter};
    use cordon_store::units::CadreFilter;

    let system = Actor::system();
    let all = PageRequest { page: 1, per_page: 1000 };
    let zone = cordon_domain::clock::Zone::default();
    let pattern = ShiftPattern::parse("08:00,16:00,00:00").context("the demo's shift pattern")?;
    if store.orders(&system, &OrderFilter::default(), all).await?.total > 0 {
        return Ok((0, vec![]));
    }
    let compounds: BTreeMap<String, i64> =
        store.compounds(&system, None).await?.into_iter().map(|c| (c.name, c.id)).collect();
    let units = store.units(&system).await?;
    // Named compounds go to their reported units; the rest in plan order.
    // Every member gets the kit before posting (reported) — but the squad of
    // 中和胡同小区, whose leader records the kits in the walkthrough (step 3).
    let mut kit = Vec::new();
    for item in &s.kit.items {
        kit.push((
            store.upsert_kit_item(&system, &item.name_zh, &item.name_en, item.per_person).await?,
            item.per_person,
        ));
    }
    // Every squad is trained before posting (reported).
    let day = chrono::NaiveDate::from_ymd_opt(2022, 12, 1).context("a date")?;
    for c in store.cadres(&system, &CadreFilter::default(), all).await?.items {
        store.record_training(&system, c.id, "岗前培训", day).await?;
    }
    let mut free: Vec<&CompoundPlan> =
        plans.iter().filter(|p| !s.named_compound.iter().any(|n| n.name == p.name)).collect();
    free.reverse();
    let mut posted = 0;
    let mut walkthrough = Vec::new();
    for spec in &s.unit {
        let unit = units.iter().find(|u| u.name == spec.name_zh).context("a scenario unit exists")?;
        let mut cadres =
            store.cadres(&system, &CadreFilter { unit_id: Some(unit.id), q: None }, all).await?.items.into_iter();
        let mut named = s.named_compound.iter().filter(|n| n.unit == spec.name_zh);
        for (i, size) in spec.squads.iter().enumerate() {
            let compound = match named.next() {
                Some(n) => n.name.clone(),
                None => free.pop().context("a compound for every squad")?.name.clone(),
            };
            let roster: Vec<_> = cadres.by_ref().take(*size).collect();
            let order = NewOrder {
                unit_id: unit.id,
                people: *size as i64,
                compound_ids: vec![compounds[&compound]],
                deadline: store.now() + chrono::Duration::hours(2),
                note: String::new(),
            };
            let id = store.issue_order(&system, &order).await?;
            if spec.name_zh == "市林草局" && i == 0 {
                continue;
            }
            store.order_step(&system, id, OrderEvent::Acknowledge, &[], false).await?;
            // The leader is the first cadre, the secretary the first other party member.
            let mut roles = vec![(roster[0].id, SquadRole::Leader)];
            if let Some(sec) = roster.iter().skip(1).find(|c| c.party_member) {
                roles.push((sec.id, SquadRole::Secretary));
            }
            let ids = roster.iter().map(|c| c.id).collect();
            store.order_step(&system, id, OrderEvent::Assemble { roster: ids }, &roles, false).await?;
            posted += 1;
            if compound == plans[0].name {
                // The leader, then a member who is not the branch secretary.
                let secretary = roles.get(1).map(|(id, _)| *id);
                walkthrough = vec![roster[0].id];
                walkthrough.extend(roster.iter().skip(1).map(|c| c.id).find(|id| Some(*id) != secretary));
                continue;
            }
            store.order_step(&system, id, OrderEvent::ReportOnSite, &[], false).await?;
            let squad = store.order(&system, id).await?.squad_id.context("an assembled order has a squad")?;
            for member in &roster {
                for (item, per_person) in &kit {
                    store.issue_kit(&system, squad, member.id, *item, *per_person).await?;
                }
            }
            // Rosters from yesterday for a week, three 8-hour shifts, everyone in turn,
            // so the command sees people on duty now (the walkthrough's leader builds theirs).
            let plan = RosterPlan {
                first_day: zone.date_of(store.now()) - chrono::Duration::days(1),
                days: 8,
                pattern: pattern.clone(),
                per_shift: 1,
            };
            store.build_roster(&system, squad, &plan, zone).await?;
        }
    }
    Ok((posted, walkthrough))
}

/// What the demo build did, per kind.
#[derive(Debug, Default)]
pub struct DemoSummary {
    /// The places import.
    pub places: ImportSummary,
    /// The cadres import.
    pub cadres: ImportSummary,
    /// The residents import.
    pub residents: ImportSummary,
    /// Squads posted this run (none when the demo had them already).
    pub squads: usize,
    /// The quarantine hotel's batch.
    pub site: quarantine::SiteSummary,
}

fn scenario() -> Result<Scenario> {
    toml::from_str(SCENARIO).context("the embedded scenario does not parse")
}

async fn import(store: &Store, kind: ImportKind, sheet: &Sheet, reporter: &Reporter) -> Result<ImportSummary> {
    let bar = (!reporter.quiet)
        .then(|| crate::cli::progress_bar(sheet.rows.len() as u64, &format!("demo {}", kind.as_str())));
    let tick = |p: &cordon_store::imports::ImportProgress| {
        if let Some(b) = &bar {
            b.update(p.done as usize, p.total as usize);
        }
    };
    let summary = store.import(&Actor::system(), kind, sheet, &tick).await.map_err(|e| match e {
        cordon_store::StoreError::Rejected(r) => anyhow::anyhow!("demo data rejected: {:?}", r.bad_rows.first()),
        other => anyhow::Error::new(other),
    })?;
    if let Some(b) = &bar {
        b.finish();
    }
    Ok(summary)
}

/// Builds (or re-confirms) the demo in the store.
pub async fn build(store: &Store, reporter: &mut Reporter) -> Result<DemoSummary> {
    let s = scenario()?;
    let mut synth = Synth::new(SEED);
    let plans = plan_compounds(&s, &mut synth);
    reporter.say(&format!("building the demo: {} {} ({} compounds)", s.city.name_zh, s.district.name_zh, plans.len()));
    let system = Actor::system();
    let places = import(store, ImportKind::Places, &places_sheet(&s, &plans), reporter).await?;
    for unit in &s.unit {
        store.upsert_unit(&system, &unit.name_zh, &unit.name_en).await?;
    }
    let batch = s.arrival_batch.first().context("the scenario has an arrival batch")?;
    let site = quarantine::build(store, &s.quarantine_site, batch, reporter).await?;
    let cadres = import(store, ImportKind::Cadres, &cadres_sheet(&s, &mut synth), reporter).await?;
    let residents = import(store, ImportKind::Residents, &residents_sheet(&s, &plans, &mut synth), reporter).await?;
    let (squads, walkthrough) = post_squads(store, &s, &plans).await?;
    for (name, role, scope) in accounts(&s, &plans) {
        if store.actor_by_username(name).await?.is_none() {
            let spec = ScopeSpec::parse(&scope).map_err(|e| anyhow::anyhow!("demo scope {scope}: {e}"))?;
            store.create_user(name, DEMO_PASSWORD, role, &spec).await?;
            // The walkthrough's leader and a member of their squad are cadres of it.
            let cadre = match role {
                Role::SquadLeader => walkthrough.first(),
                Role::SquadMember => walkthrough.last(),
                _ => None,
            };
            if let Some(c) = cadre {
                store.link_cadre(name, Some(*c)).await?;
            }
        }
    }
    Ok(DemoSummary { places, cadres, residents, squads, site })
}

impl std::fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let all = |s: &ImportSummary| s.imported + s.updated + s.unchanged;
        write!(
            f,
            "demo ready: {} residents, {} cadres, {} checkpoint rows ({} residents new this run, {} squads posted); \
             {} people of the charter batch at the quarantine hotel, {} in rooms",
            all(&self.residents),
            all(&self.cadres),
            all(&self.places),
            self.residents.imported,
            self.squads,
            all(&self.site.manifest),
            self.site.in_rooms
        )
    }
}

/// Prints the demo accounts and their password.
pub fn print_accounts() {
    let Ok(s) = scenario() else { return };
    let mut synth = Synth::new(SEED);
    let plans = plan_compounds(&s, &mut synth);
    println!("demo accounts (password for all: {DEMO_PASSWORD}):");
    let site = quarantine::accounts(&s.quarantine_site);
    for (name, role, scope) in accounts(&s, &plans).into_iter().map(|(n, r, s)| (n.to_string(), r, s)).chain(site) {
        println!("  {name:<28} {:<14} {scope}", role.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scenario_plans_56_compounds_with_the_named_ones_in_their_streets() {
        let s = scenario().unwrap();
        let plans = plan_compounds(&s, &mut Synth::new(SEED));
        assert_eq!(plans.len(), 56);
        let xianfeng = plans.iter().find(|p| p.name == "先锋路419号").unwrap();
        assert_eq!(xianfeng.street, "大有坊街道");
        assert!(xianfeng.dialysis);
        let names: std::collections::HashSet<_> = plans.iter().map(|p| &p.name).collect();
        assert_eq!(names.len(), 56, "compound names are unique");
        assert_eq!(
            (plans[0].name.as_str(), plans[0].checkpoints.len()),
            ("中和胡同小区", 2),
            "the walkthrough's two gates"
        );
    }

    #[test]
    fn the_scenario_has_229_cadres_in_11_units() {
        let s = scenario().unwrap();
        assert_eq!(s.unit.len(), 11);
        assert_eq!(s.unit.iter().map(|u| u.cadres).sum::<usize>(), 229);
        assert_eq!(cadres_sheet(&s, &mut Synth::new(SEED)).rows.len(), 229);
    }

    #[tokio::test]
    async fn the_demo_builds_the_scenario_and_building_it_again_changes_nothing() {
        use cordon_store::PageRequest;
        for db in cordon_store::test_support::engines().await {
            let s = &db.store;
            let first = build(s, &mut Reporter::quiet()).await.unwrap();
            assert_eq!(first.residents.imported, 50_000, "{}", db.engine);
            assert_eq!(first.cadres.imported, 229);
            let system = Actor::system();
            assert_eq!(s.units(&system).await.unwrap().len(), 11);
            assert_eq!(s.compounds(&system, None).await.unwrap().len(), 56);
            let leader = s.actor_by_username("demo-leader").await.unwrap().expect("a demo leader");
            let own = s
                .residents(&leader, &Default::default(), PageRequest::new(None, None), Default::default())
                .await
                .unwrap();
            assert!(own.total > 800 && own.total < 1000, "{}: one compound's residents, got {}", db.engine, own.total);
            assert!(s.authenticate("demo-unit", DEMO_PASSWORD).await.unwrap().is_some());
            let again = build(s, &mut Reporter::quiet()).await.unwrap();
            assert_eq!((again.residents.imported, again.residents.updated), (0, 0), "{}", db.engine);
            assert_eq!(again.residents.unchanged, 50_000);
            assert_eq!((again.cadres.imported, again.places.imported, again.squads), (0, 0, 0));
            // The quarantine hotel: 110 students in rooms, day 2 of 7+7, five birthdays in the stay.
            assert_eq!((first.site.manifest.imported, first.site.in_rooms), (110, 110), "{}", db.engine);
            assert_eq!((again.site.manifest.imported, again.site.manifest.unchanged), (0, 110), "{}", db.engine);
            let manager = s.actor_by_username("demo-site-manager").await.unwrap().unwrap();
            let site = s.site_named(&manager, "卓林酒店隔离点").await.unwrap();
            let batch = s.batch_named(&manager, site.id, quarantine::BATCH).await.unwrap();
            let stays = s.stays(&manager, &batch, cordon_store::residents::Reveal::Masked).await.unwrap();
            assert_eq!(stays.len(), 110);
            let today = site.zone.date_of(s.now());
            assert_eq!(stays[0].arrival_date, today - chrono::Duration::days(2), "{}: mid-stay, day 2", db.engine);
            let birthdays: Vec<_> = stays.iter().filter_map(|p| p.birthday_in_stay).collect();
            assert_eq!(birthdays.len(), 5, "{}", db.engine);
            assert_eq!(birthdays.iter().filter(|d| **d == today + chrono::Duration::days(1)).count(), 1);
            // The first positive, transferred on day 2, is still on the list of tomorrow's birthdays.
            let d = s.site_dashboard(&manager, site.id).await.unwrap();
            assert_eq!((d.positives, d.transfers_under_way), (Some(1), Some(0)), "{}", db.engine);
            assert_eq!(d.missing_results.map(|m| m.len()), Some(0), "{}: day 1's results are in", db.engine);
            assert_eq!(d.due_today.map(|m| m.len()), Some(109), "{}: today's test, but the one who left", db.engine);
            let birthdays = d.birthdays.unwrap();
            assert_eq!(birthdays.len(), 1, "{}", db.engine);
            assert_eq!(birthdays[0].room, None, "{}: she has left for hospital", db.engine);
            assert_eq!(s.transfers(&manager, site.id).await.unwrap()[0].state, "handed-over");
            // Care needs for the groups that meet them: the hotel's meals, and Russian for foreign affairs.
            let hotel_account = s.actor_by_username("demo-site-hotel").await.unwrap().unwrap();
            let hotel_care = s.care_tasks(&hotel_account, site.id).await.unwrap();
            // Four on the charter's manifest, one on the earlier flight's (its sixth traveller eats halal).
            assert_eq!(hotel_care.tasks.len(), 5, "{}: {:?}", db.engine, hotel_care.tasks);
            let foreign = s.actor_by_username("demo-site-foreign-affairs").await.unwrap().unwrap();
            let languages = s.care_tasks(&foreign, site.id).await.unwrap().languages;
            assert_eq!((languages[0].language.as_str(), languages[0].people), ("ru", 109 + 8), "{}", db.engine);
            let hotel = s.actor_by_username("demo-site-hotel").await.unwrap().unwrap();
            // Today's checks: one fever waits for the medical group; two requests wait, one the hotel's.
            assert_eq!((d.health_alerts, d.open_requests), (Some(1), Some(2)), "{}", db.engine);
            let alerts = s.health_alerts(&manager, site.id).await.unwrap();
            assert_eq!((alerts[0].temperature.as_str(), alerts[0].fever), ("37.8", true), "{}", db.engine);
            assert_eq!(
                s.health_checks(&manager, site.id).await.unwrap().len(),
                5,
                "{}: the second run adds none",
                db.engine
            );
            let by_hotel = s.site_dashboard(&hotel, site.id).await.unwrap();
            assert_eq!((by_hotel.health_alerts, by_hotel.open_requests), (None, Some(1)), "{}", db.engine);
            assert!(matches!(
                s.stays(&hotel, &batch, cordon_store::residents::Reveal::Masked).await,
                Err(cordon_store::StoreError::Forbidden)
            ));
            assert_eq!(first.squads, 55, "56 squads, one order left for the demo to answer");
            let orders = s.orders(&system, &Default::default(), PageRequest::new(Some(1), Some(100))).await.unwrap();
            assert_eq!(orders.total, 56);
            let waiting = orders.items.iter().find(|o| o.state == cordon_domain::orders::OrderState::Issued).unwrap();
            assert_eq!((waiting.unit.as_str(), waiting.people), ("市林草局", 17));
            let ours = orders.items.iter().find(|o| o.compounds == vec!["中和胡同小区".to_string()]).unwrap();
            assert_eq!((ours.unit.as_str(), ours.people), ("市住房公积金管理中心", 4));
            let squad = s.squad(&leader, ours.squad_id.unwrap()).await.unwrap();
            assert_eq!(squad.members.len(), 4);
            let kits = s.kit_status(&leader, squad.id).await.unwrap();
            assert_eq!(kits.lines.len(), 5);
            assert!(
                kits.lines.iter().all(|l| l.owed == l.due && l.due > 0),
                "the leader's squad still has its kits to hand out"
            );
            let other = orders.items.iter().find(|o| o.squad_id.is_some() && o.id != ours.id).unwrap();
            let kits = s.kit_status(&system, other.squad_id.unwrap()).await.unwrap();
            assert!(kits.lines.iter().all(|l| l.owed == 0), "the other squads have theirs");
            // The other squads have rosters with people on duty now; the walkthrough's leader builds theirs.
            assert!(s.squad(&system, other.squad_id.unwrap()).await.unwrap().on_duty > 0, "{}", db.engine);
            let overview = s.overview(&system).await.unwrap();
            assert!(overview.units.iter().map(|u| u.on_duty).sum::<i64>() > 55, "{}", db.engine);
            assert_eq!(squad.on_duty, 0);
            assert_eq!(leader.cadre_id, Some(squad.members[0].cadre_id), "the demo leader leads the squad");
            let member = s.actor_by_username("demo-member").await.unwrap().unwrap();
            assert!(squad.members.iter().any(|m| Some(m.cadre_id) == member.cadre_id && m.role == "member"));
            assert_eq!(squad.members[0].role, "leader");
            // The walkthrough's order waits for its leader's 报到; every other assembled one is on site.
            use cordon_domain::orders::{OrderEvent, OrderState};
            assert_eq!(ours.state, OrderState::Assembled, "{}", db.engine);
            let on_site = orders.items.iter().filter(|o| o.state == OrderState::OnSite).count();
            assert_eq!(on_site, 54, "{}", db.engine);
            assert!(matches!(
                s.order_step(&member, ours.id, OrderEvent::ReportOnSite, &[], false).await,
                Err(cordon_store::StoreError::Forbidden)
            ));
            s.order_step(&leader, ours.id, OrderEvent::ReportOnSite, &[], false).await.unwrap();
            let reported = s.order(&leader, ours.id).await.unwrap();
            let last = reported.steps.last().unwrap();
            assert_eq!((last.state.as_str(), last.actor.as_str(), last.on_behalf), ("on-site", "demo-leader", false));
        }
    }

    #[test]
    fn the_synthetic_residents_number_fifty_thousand() {
        let s = scenario().unwrap();
        let mut synth = Synth::new(SEED);
        let plans = plan_compounds(&s, &mut synth);
        let sheet = residents_sheet(&s, &plans, &mut synth);
        assert_eq!(sheet.rows.len(), 50_000);
    }
}

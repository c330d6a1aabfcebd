//! The scenario's quarantine hotel, 卓林酒店隔离点: its rooms, its six groups
//! with an account each, and the charter flight of 110 students from
//! Yekaterinburg under 7+7, mid-stay: they arrived two days before the demo
//! is built (day 0 the local date of arrival), so today is day 2. Five
//! birthdays fall inside the stay, the first student's tomorrow, as the
//! scenario tells it. Names are synthetic, in Cyrillic with their Latin
//! transliteration; 18 destination provinces, 56 universities. Today's health
//! checks have one fever waiting for the medical group, and two requests wait
//! for the hotel and foreign-affairs groups.
//!
//! The stay is played from a script (`POSITIVES`): each test day's results up
//! to today, ten positives over the stay, each taken to hospital at once. A
//! run on a later day plays on from where the last one stopped, so the
//! scenario's counts can be checked by replaying the whole stay. Beside the
//! charter, an earlier flight of eight travellers is on its last on-site day,
//! so the site has people to certify and release today.

use anyhow::{Context, Result};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use cordon_domain::clock::Zone;
use cordon_domain::quarantine::manifest::Field;
use cordon_domain::quarantine::policy::Policy;
use cordon_domain::quarantine::site::{Group, SiteState};
use cordon_domain::quarantine::timeline::Timeline;
use cordon_domain::{Actor, Role, ScopeSpec};
use cordon_store::imports::ImportSummary;
use cordon_store::quarantine::{Batch, NewBatch};
use cordon_store::sheets::Sheet;
use cordon_store::{Store, StoreError};
use serde::Deserialize;

use super::synth::Synth;
use super::{DEMO_PASSWORD, Reporter, sheet};

/// `[quarantine_site]` of the scenario.
#[derive(Deserialize)]
pub(super) struct SiteSpec {
    pub name_zh: String,
    rooms_synthetic: usize,
    groups: Vec<String>,
}

/// `[[arrival_batch]]` of the scenario.
#[derive(Deserialize)]
pub(super) struct BatchSpec {
    transport: String,
    origin: String,
    persons: usize,
    policy: String,
    nationality: String,
    language: String,
    birthdays_during_stay: usize,
}

/// The batch's name on the site's pages.
pub const BATCH: &str = "叶卡捷琳堡包机";

const FEMALE: &[(&str, &str)] = &[
    ("Анна", "ANNA"),
    ("Мария", "MARIIA"),
    ("Екатерина", "EKATERINA"),
    ("Ольга", "OLGA"),
    ("Дарья", "DARIA"),
    ("Полина", "POLINA"),
    ("Алина", "ALINA"),
    ("София", "SOFIIA"),
    ("Виктория", "VIKTORIIA"),
    ("Ксения", "KSENIIA"),
];
const MALE: &[(&str, &str)] = &[
    ("Иван", "IVAN"),
    ("Дмитрий", "DMITRII"),
    ("Алексей", "ALEKSEI"),
    ("Сергей", "SERGEI"),
    ("Никита", "NIKITA"),
    ("Артём", "ARTEM"),
    ("Максим", "MAKSIM"),
    ("Егор", "EGOR"),
    ("Михаил", "MIKHAIL"),
    ("Кирилл", "KIRILL"),
];
/// Surnames in their masculine form; the feminine adds а / A.
const SURNAMES: &[(&str, &str)] = &[
    ("Иванов", "IVANOV"),
    ("Петров", "PETROV"),
    ("Смирнов", "SMIRNOV"),
    ("Кузнецов", "KUZNETSOV"),
    ("Попов", "POPOV"),
    ("Соколов", "SOKOLOV"),
    ("Лебедев", "LEBEDEV"),
    ("Козлов", "KOZLOV"),
    ("Новиков", "NOVIKOV"),
    ("Морозов", "MOROZOV"),
    ("Волков", "VOLKOV"),
    ("Зайцев", "ZAITSEV"),
    ("Павлов", "PAVLOV"),
    ("Семёнов", "SEMENOV"),
    ("Голубев", "GOLUBEV"),
];

/// Universities receiving the students, by province: 18 provinces, 56 universities.
const UNIVERSITIES: &[(&str, &[&str])] = &[
    (
        "黑龙江省",
        &[
            "哈尔滨工业大学",
            "哈尔滨工程大学",
            "东北林业大学",
            "东北农业大学",
            "黑龙江大学",
            "哈尔滨医科大学",
            "哈尔滨师范大学",
            "哈尔滨理工大学",
        ],
    ),
    ("吉林省", &["吉林大学", "东北师范大学", "延边大学"]),
    ("辽宁省", &["大连理工大学", "东北大学", "辽宁大学", "大连外国语大学"]),
    ("北京市", &["北京大学", "清华大学", "北京外国语大学", "北京语言大学", "中国人民大学", "北京师范大学"]),
    ("天津市", &["南开大学", "天津大学"]),
    ("河北省", &["河北大学", "燕山大学"]),
    ("山东省", &["山东大学", "中国海洋大学", "青岛大学"]),
    ("江苏省", &["南京大学", "东南大学", "苏州大学"]),
    ("上海市", &["复旦大学", "上海交通大学", "同济大学", "华东师范大学", "上海外国语大学"]),
    ("浙江省", &["浙江大学", "宁波大学"]),
    ("湖北省", &["武汉大学", "华中科技大学"]),
    ("湖南省", &["中南大学", "湖南大学"]),
    ("广东省", &["中山大学", "华南理工大学", "暨南大学"]),
    ("四川省", &["四川大学", "电子科技大学", "西南交通大学"]),
    ("陕西省", &["西安交通大学", "西北工业大学"]),
    ("河南省", &["郑州大学", "河南大学"]),
    ("安徽省", &["中国科学技术大学", "安徽大学"]),
    ("福建省", &["厦门大学", "福州大学"]),
];

/// The students whose birthday falls inside the stay, and on which day of it:
/// the first, a woman who is the first to test positive, on day 3 (tomorrow).
const BIRTHDAYS: &[(usize, i64)] = &[(0, 3), (17, 0), (38, 1), (61, 5), (90, 6)];

/// The scenario's ten positives over the stay: (student, test day). The first
/// is student 0 on day 2, two days after arrival; each has a room of their
/// own, so no roommate's stay is extended.
const POSITIVES: &[(usize, u32)] =
    &[(0, 2), (12, 3), (27, 3), (33, 5), (46, 5), (58, 5), (64, 7), (71, 7), (85, 7), (93, 7)];

/// The earlier flight, on its last on-site day: its name, transport, size and passports' first number.
const EARLIER: &str = "SU6411 莫斯科—哈尔滨";
const EARLIER_TRANSPORT: &str = "flight SU6411 Moscow–Harbin";
const EARLIER_PEOPLE: usize = 8;
const EARLIER_PASSPORTS: usize = 4_200_000;
/// The charter's passports' first number.
const CHARTER_PASSPORTS: usize = 3_100_000;

/// Care needs on the charter's manifest (student, need): the hotel's meals,
/// the foreign-affairs group's faith, the medical group's medicine.
const DIETARY: [(usize, &str); 4] =
    [(5, "清真 halal"), (28, "清真 halal"), (51, "素食 vegetarian"), (74, "坚果过敏 nut allergy")];
const RELIGION: [(usize, &str); 2] = [(11, "东正教斋戒 Orthodox fast"), (28, "每日礼拜 daily prayers")];
const MEDICAL: [(usize, &str); 2] = [(44, "哮喘，随身吸入器 asthma inhaler"), (77, "青霉素过敏 penicillin allergy")];

/// Student `i`'s need of one kind, or blank.
fn needs(i: usize, list: &[(usize, &str)]) -> String {
    list.iter().find(|(who, _)| *who == i).map(|(_, n)| n.to_string()).unwrap_or_default()
}

/// Students 100-109 travel as five pairs and room together.
fn group_of(i: usize) -> String {
    if (100..110).contains(&i) { format!("G{:02}", (i - 100) / 2 + 1) } else { String::new() }
}

/// `count` rooms on floors of ten from the 2nd, each tenth with two beds.
fn rooms_sheet(count: usize) -> Sheet {
    let rows = (0..count)
        .map(|i| {
            let floor = 2 + i / 10;
            let beds = if i % 10 == 9 { "2" } else { "1" };
            vec![floor.to_string(), format!("{floor}{:02}", i % 10 + 1), beds.to_string()]
        })
        .collect();
    sheet(&["楼层", "房号", "床位"], rows)
}

/// A birth date between 1998 and 2005 whose birthday falls inside the stay
/// on `day`, or (`day` None) outside it.
fn birth_date(synth: &mut Synth, timeline: &Timeline, day: Option<i64>) -> NaiveDate {
    let year = 1998 + synth.range(0, 8) as i32;
    match day {
        Some(day) => {
            let date = timeline.arrival_date() + Duration::days(day);
            // A birthday on 29 February needs a leap year of birth.
            date.with_year(year).unwrap_or_else(|| date.with_year(2004).expect("2004 is a leap year"))
        }
        None => loop {
            let candidate = synth.birth_date(year, year);
            if timeline.birthday_in_stay(candidate).is_none() {
                break candidate;
            }
        },
    }
}

/// A batch's manifest: `persons` people, with the birthdays of `birthdays`
/// (person, day of the stay) inside the stay, passports from `first_passport`.
fn manifest(
    spec: &BatchSpec,
    persons: usize,
    birthdays: &[(usize, i64)],
    first_passport: usize,
    timeline: &Timeline,
    synth: &mut Synth,
) -> Sheet {
    let all: Vec<(&str, &str)> = UNIVERSITIES.iter().flat_map(|(p, us)| us.iter().map(move |u| (*p, *u))).collect();
    let rows = (0..persons)
        .map(|i| {
            let female = i == 0 || synth.chance(0.55);
            let (first, first_latin) = *synth.pick(if female { FEMALE } else { MALE });
            let (surname, surname_latin) = *synth.pick(SURNAMES);
            let (surname, surname_latin) = if female {
                (format!("{surname}а"), format!("{surname_latin}A"))
            } else {
                (surname.into(), surname_latin.into())
            };
            let day = birthdays.iter().find(|(who, _)| *who == i).map(|(_, day)| *day);
            let birth = birth_date(synth, timeline, day);
            // Every university has a student; the rest are spread at random.
            let (province, university) = if i < all.len() { all[i] } else { *synth.pick(&all) };
            vec![
                format!("{surname} {first}"),
                format!("{surname_latin} {first_latin}"),
                passport(first_passport, i),
                spec.nationality.clone(),
                birth.format("%Y-%m-%d").to_string(),
                if female { "Ж" } else { "М" }.to_string(),
                spec.language.clone(),
                format!("+7 912 {:03} {:04}", 200 + i, 1000 + i * 7),
                province.to_string(),
                university.to_string(),
                String::new(),
                group_of(i),
                needs(i, &DIETARY),
                needs(i, &RELIGION),
                needs(i, &MEDICAL),
            ]
        })
        .collect();
    // The manifest's own Chinese headers, in its order.
    sheet(&Field::ALL.map(Field::zh), rows)
}

/// The site's accounts: its manager, and one member of each group.
pub(super) fn accounts(site: &SiteSpec) -> Vec<(String, Role, String)> {
    let scope = format!("site:{}", site.name_zh);
    let mut out = vec![("demo-site-manager".to_string(), Role::SiteManager, scope.clone())];
    for g in site.groups.iter().filter_map(|g| Group::parse(g).ok()) {
        out.push((format!("demo-site-{}", g.as_str()), Role::SiteGroup, scope.clone()));
    }
    out
}

/// What the site part of the demo holds.
#[derive(Debug, Default)]
pub struct SiteSummary {
    /// The batch's manifest import.
    pub manifest: ImportSummary,
    /// People in rooms.
    pub in_rooms: usize,
}

/// Builds the site, its accounts and the batch; a second run changes nothing.
pub(super) async fn build(
    store: &Store,
    site: &SiteSpec,
    batch: &BatchSpec,
    reporter: &Reporter,
) -> Result<SiteSummary> {
    anyhow::ensure!(BIRTHDAYS.len() == batch.birthdays_during_stay, "the demo's birthdays are the scenario's");
    let system = Actor::system();
    let zone = Zone::default();
    reporter.say(&format!("quarantine site {} ({} rooms)", site.name_zh, site.rooms_synthetic));
    let id = match store.site_named(&system, &site.name_zh).await {
        Ok(found) => found.id,
        Err(StoreError::NotFound) => {
            store.create_site(&system, &site.name_zh, zone.name(), &rooms_sheet(site.rooms_synthetic)).await?.id
        }
        Err(e) => return Err(e.into()),
    };
    if store.site(&system, id).await?.state == SiteState::Standby {
        store.step_site(&system, id, "prepare").await?;
        store.step_site(&system, id, "activate").await?;
    }
    for (name, role, scope) in accounts(site) {
        if store.actor_by_username(&name).await?.is_none() {
            let spec = ScopeSpec::parse(&scope).map_err(|e| anyhow::anyhow!("demo scope {scope}: {e}"))?;
            store.create_user(&name, DEMO_PASSWORD, role, &spec).await?;
        }
        if let Some(group) = name.strip_prefix("demo-site-").and_then(|g| Group::parse(g).ok()) {
            store.set_site_group(&system, &name, group).await?;
        }
    }
    let charter = Arrival {
        name: BATCH,
        transport: &batch.transport,
        origin: &batch.origin,
        days_ago: 2,
        landed: (15, 30),
        persons: batch.persons,
        birthdays: BIRTHDAYS,
        first_passport: CHARTER_PASSPORTS,
        positives: POSITIVES,
    };
    let (manifest, done) = arrive(store, id, batch, &charter).await?;
    let earlier = Arrival {
        name: EARLIER,
        transport: EARLIER_TRANSPORT,
        origin: "Москва",
        days_ago: 7,
        landed: (10, 5),
        persons: EARLIER_PEOPLE,
        birthdays: &[],
        first_passport: EARLIER_PASSPORTS,
        positives: &[],
    };
    arrive(store, id, batch, &earlier).await?;
    health_and_requests(store, id).await?;
    Ok(SiteSummary { manifest, in_rooms: done.checked_in + done.already_in })
}

/// One arrival of the demo: a batch, its people and its script.
struct Arrival<'a> {
    name: &'a str,
    transport: &'a str,
    origin: &'a str,
    /// Its day 0, counted back from the first run's today.
    days_ago: i64,
    /// The local time it landed.
    landed: (u32, u32),
    persons: usize,
    birthdays: &'a [(usize, i64)],
    first_passport: usize,
    positives: &'a [(usize, u32)],
}

/// The batch (made on the first run), its manifest, its check-in and its
/// tests up to today: the import and the check-in as they went.
async fn arrive(
    store: &Store,
    site: i64,
    spec: &BatchSpec,
    a: &Arrival<'_>,
) -> Result<(ImportSummary, cordon_store::quarantine::CheckIn)> {
    let system = Actor::system();
    let zone = Zone::default();
    let batch = match store.batch_named(&system, site, a.name).await {
        Ok(b) => b,
        Err(StoreError::NotFound) => {
            let day0 = zone.date_of(store.now()) - Duration::days(a.days_ago);
            let landed = NaiveTime::from_hms_opt(a.landed.0, a.landed.1, 0).expect("a time of day");
            let new = NewBatch {
                name: a.name,
                policy: &spec.policy,
                arrived_at: zone.instant(day0.and_time(landed)),
                transport: a.transport,
                origin: a.origin,
            };
            store.create_batch(&system, site, &new).await?
        }
        Err(e) => return Err(e.into()),
    };
    let policy = Policy::preset(&spec.policy).context("the scenario's policy is a preset")?;
    let timeline = Timeline::new(batch.arrived_at, zone, &policy);
    // The manifest is the same on every run for the same arrival date.
    let seed = u64::try_from(timeline.arrival_date().num_days_from_ce()).unwrap_or(0);
    let mut synth = Synth::new(seed);
    let sheet = manifest(spec, a.persons, a.birthdays, a.first_passport, &timeline, &mut synth);
    let none = |_: &cordon_store::imports::ImportProgress| {};
    let imported = store.import_manifest(&system, &batch, &sheet, &none).await?;
    let done = store.check_in(&system, &batch, &[]).await?;
    play(store, site, &batch, a, &timeline).await?;
    Ok((imported, done))
}

/// Plays the tests of the stay up to today by the script: every test day
/// before today has everyone's result (a person positive earlier has left
/// and is not tested); of today's, the positives are in and the rest are
/// still at the lab, except on a batch's last on-site day, when all are in
/// before release. Each positive is taken closed-loop to the designated
/// hospital at once. A result already recorded changes nothing, so a second
/// run (or a run on a later day) plays on from where the last one stopped.
async fn play(store: &Store, site: i64, batch: &Batch, a: &Arrival<'_>, timeline: &Timeline) -> Result<()> {
    use cordon_domain::quarantine::results::TestResult;
    use cordon_domain::quarantine::timeline::Phase;
    use cordon_domain::quarantine::transfer::{TransferEvent, Vehicle};
    use cordon_domain::values::PersonName;
    let system = Actor::system();
    let today = Zone::default().date_of(store.now());
    let onsite = timeline.test_days().into_iter().filter(|t| t.phase == Phase::OnSite && t.date <= today);
    for test in onsite {
        let all_in = test.date < today || test.date == timeline.onsite_end();
        for i in 0..a.persons {
            let positive_on = a.positives.iter().find(|(who, _)| *who == i).map(|(_, day)| *day);
            if positive_on.is_some_and(|d| d < test.day) {
                continue;
            }
            let result = if positive_on == Some(test.day) { TestResult::Positive } else { TestResult::Negative };
            if result == TestResult::Negative && !all_in {
                continue;
            }
            let pp = passport(a.first_passport, i);
            let done = store.record_result(&system, batch, &pp, test.date, result, 7).await?;
            if let (true, Some(transfer)) = (done.written, done.transfer) {
                let now = store.now();
                let depart = TransferEvent::Depart {
                    hospital: cordon_domain::places::PlaceName::parse("哈尔滨市第六医院")?,
                    vehicle: Vehicle::parse("黑A·120急")?,
                    escorts: vec![PersonName::parse("王医生")?, PersonName::parse("李警官")?],
                    at: now,
                };
                store.step_transfer(&system, site, transfer, &depart).await?;
                store.step_transfer(&system, site, transfer, &TransferEvent::HandOver { at: now }).await?;
            }
        }
    }
    Ok(())
}

/// Person `i`'s passport number, counted from `first`.
fn passport(first: usize, i: usize) -> String {
    format!("75{:07}", first + i * 37)
}

/// This morning's (or afternoon's) checks of the first five students in
/// rooms, the third with a fever that waits for the medical group, and two
/// open requests sent from students' own pages: food for the hotel group,
/// a translator for foreign affairs. A second run finds them and adds nothing
/// (the same reading of the slot is the same check; the requests carry fixed
/// form ids).
async fn health_and_requests(store: &Store, site: i64) -> Result<()> {
    use cordon_domain::quarantine::health::{Reading, Slot, Symptom, Temperature};
    use cordon_domain::quarantine::requests::{ClientId, RequestKind, RequestText};
    let system = Actor::system();
    let slot = Slot::at(Zone::default().local(store.now()).time());
    let people = store.people_on_site(&system, site).await?;
    let readings = [("36.5", &[][..]), ("36.7", &[]), ("37.8", &[Symptom::Cough]), ("36.4", &[]), ("36.6", &[])];
    for (person, (t, symptoms)) in people.iter().zip(readings) {
        let reading = Reading::new(Temperature::parse(t)?, symptoms);
        store.record_health_check(&system, site, person.id, slot, &reading).await?;
    }
    let tokens: Vec<String> = store
        .room_cards(&system, site)
        .await?
        .into_iter()
        .flat_map(|c| c.people.into_iter().map(|p| p.token))
        .collect();
    let asks = [
        (RequestKind::Food, "Можно вегетарианский обед? Я не ем мясо.", "demo-request-food-1"),
        (RequestKind::Translation, "Нужен переводчик для разговора с врачом.", "demo-request-translation-1"),
    ];
    for (token, (kind, text, client)) in tokens.iter().skip(3).step_by(7).zip(asks) {
        store.make_request(token, kind, &RequestText::parse(text)?, &ClientId::parse(client)?).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole stay played day by day from the demo's first run (day 2) to
    /// the charter's last on-site day: the scenario's ten positives, each
    /// taken to hospital, five birthdays, and a certificate for everyone else;
    /// the earlier flight is certified on the first day.
    #[tokio::test]
    async fn the_stay_played_to_its_last_day_holds_the_scenarios_counts() {
        use std::sync::Arc;
        let db = cordon_store::test_support::sqlite().await;
        let clock = cordon_domain::clock::FixedClock::at(
            chrono::DateTime::parse_from_rfc3339("2026-09-18T12:00:00+08:00").unwrap().with_timezone(&chrono::Utc),
        );
        let store = db.store.with_clock(Arc::new(clock.clone()));
        let s = super::super::scenario().unwrap();
        let (site, spec) = (&s.quarantine_site, &s.arrival_batch[0]);
        let system = Actor::system();
        build(&store, site, spec, &super::super::Reporter::quiet()).await.unwrap();
        let id = store.site_named(&system, &site.name_zh).await.unwrap().id;
        let earlier = store.batch_named(&system, id, EARLIER).await.unwrap();
        let certified = store.issue_certificates(&system, &earlier).await.unwrap();
        assert_eq!((certified.issued, certified.refused.len()), (EARLIER_PEOPLE, 0), "released on day 7");
        let d = store.site_dashboard(&system, id).await.unwrap();
        assert_eq!(d.positives, Some(1), "day 2: the first positive");
        for _ in 0..5 {
            clock.advance(Duration::days(1));
            build(&store, site, spec, &super::super::Reporter::quiet()).await.unwrap();
        }
        let charter = store.batch_named(&system, id, BATCH).await.unwrap();
        let stays = store.stays(&system, &charter, cordon_store::residents::Reveal::Masked).await.unwrap();
        assert_eq!(stays[0].onsite_end, Zone::default().date_of(store.now()), "the last on-site day");
        assert_eq!(stays.iter().filter(|p| p.birthday_in_stay.is_some()).count(), 5);
        let d = store.site_dashboard(&system, id).await.unwrap();
        assert_eq!((d.positives, d.transfers_under_way), (Some(10), Some(0)), "ten positives, all handed over");
        assert_eq!(d.missing_results.map(|m| m.len()), Some(0), "every test day has its results");
        assert_eq!(store.transfers(&system, id).await.unwrap().len(), 10);
        let certified = store.issue_certificates(&system, &charter).await.unwrap();
        assert_eq!((certified.issued, certified.refused.len()), (100, 10), "everyone but the positives");
    }

    #[test]
    fn the_universities_are_more_than_fifty_in_eighteen_provinces() {
        assert_eq!(UNIVERSITIES.len(), 18);
        assert!(UNIVERSITIES.iter().map(|(_, u)| u.len()).sum::<usize>() > 50);
    }
}

//! The scenario's quarantine hotel, 卓林酒店隔离点: its rooms, its six groups
//! with an account each, and the charter flight of 110 students from
//! Yekaterinburg under 7+7, mid-stay: they arrived two days before the demo
//! is built (day 0 the local date of arrival), so today is day 2. Five
//! birthdays fall inside the stay, the first student's tomorrow, as the
//! scenario tells it. Names are synthetic, in Cyrillic with their Latin
//! transliteration; 18 destination provinces, 56 universities. Today's health
//! checks have one fever waiting for the medical group, and two requests wait
//! for the hotel and foreign-affairs groups.

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

fn manifest(spec: &BatchSpec, timeline: &Timeline, synth: &mut Synth) -> Sheet {
    let all: Vec<(&str, &str)> = UNIVERSITIES.iter().flat_map(|(p, us)| us.iter().map(move |u| (*p, *u))).collect();
    let rows = (0..spec.persons)
        .map(|i| {
            let female = i == 0 || synth.chance(0.55);
            let (first, first_latin) = *synth.pick(if female { FEMALE } else { MALE });
            let (surname, surname_latin) = *synth.pick(SURNAMES);
            let (surname, surname_latin) = if female {
                (format!("{surname}а"), format!("{surname_latin}A"))
            } else {
                (surname.into(), surname_latin.into())
            };
            let day = BIRTHDAYS.iter().find(|(who, _)| *who == i).map(|(_, day)| *day);
            let birth = birth_date(synth, timeline, day);
            // Every university has a student; the rest are spread at random.
            let (province, university) = if i < all.len() { all[i] } else { *synth.pick(&all) };
            vec![
                format!("{surname} {first}"),
                format!("{surname_latin} {first_latin}"),
                passport(i),
                spec.nationality.clone(),
                birth.format("%Y-%m-%d").to_string(),
                if female { "Ж" } else { "М" }.to_string(),
                spec.language.clone(),
                format!("+7 912 {:03} {:04}", 200 + i, 1000 + i * 7),
                province.to_string(),
                university.to_string(),
                String::new(),
                group_of(i),
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
    let batch_row = arrival_batch(store, id, batch).await?;
    let policy = Policy::preset(&batch.policy).context("the scenario's policy is a preset")?;
    let timeline = Timeline::new(batch_row.arrived_at, zone, &policy);
    // The manifest is the same on every run for the same arrival date.
    let seed = u64::try_from(timeline.arrival_date().num_days_from_ce()).unwrap_or(0);
    let sheet = manifest(batch, &timeline, &mut Synth::new(seed));
    let none = |_: &cordon_store::imports::ImportProgress| {};
    let manifest = store.import_manifest(&system, &batch_row, &sheet, &none).await?;
    let done = store.check_in(&system, &batch_row, &[]).await?;
    tests_so_far(store, id, &batch_row, batch.persons, &timeline).await?;
    health_and_requests(store, id).await?;
    Ok(SiteSummary { manifest, in_rooms: done.checked_in + done.already_in })
}

/// The tests so far: day 1 negative for everyone, then the scenario's first
/// positive: student 0 (whose birthday is tomorrow), positive on today's test,
/// day 2, and already taken closed-loop to the designated hospital. A second
/// run finds the results there and does nothing.
async fn tests_so_far(store: &Store, site: i64, batch: &Batch, persons: usize, timeline: &Timeline) -> Result<()> {
    use cordon_domain::quarantine::results::TestResult;
    use cordon_domain::quarantine::transfer::{TransferEvent, Vehicle};
    use cordon_domain::values::PersonName;
    let system = Actor::system();
    // Day 1's test came back negative for everyone; day 2's (today) is under way.
    let day1 = timeline.arrival_date() + Duration::days(1);
    for i in 0..persons {
        store.record_result(&system, batch, &passport(i), day1, TestResult::Negative, 7).await?;
    }
    let day2 = timeline.arrival_date() + Duration::days(2);
    let done = store.record_result(&system, batch, &passport(0), day2, TestResult::Positive, 7).await?;
    if let (true, Some(transfer)) = (done.written, done.transfer) {
        let now = store.now();
        let depart = TransferEvent::Depart {
            vehicle: Vehicle::parse("黑A·120急")?,
            escorts: vec![PersonName::parse("王医生")?, PersonName::parse("李警官")?],
            at: now,
        };
        store.step_transfer(&system, site, transfer, &depart).await?;
        store.step_transfer(&system, site, transfer, &TransferEvent::HandOver { at: now }).await?;
    }
    Ok(())
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

/// Student `i`'s passport number.
fn passport(i: usize) -> String {
    format!("75{:07}", 3_100_000 + i * 37)
}

/// The batch, created on the first run: it landed at 15:30 local time two days ago.
async fn arrival_batch(store: &Store, site: i64, spec: &BatchSpec) -> Result<Batch> {
    let system = Actor::system();
    match store.batch_named(&system, site, BATCH).await {
        Ok(b) => Ok(b),
        Err(StoreError::NotFound) => {
            let zone = Zone::default();
            let day0 = zone.date_of(store.now()) - Duration::days(2);
            let landed = NaiveTime::from_hms_opt(15, 30, 0).expect("a time of day");
            let new = NewBatch {
                name: BATCH,
                policy: &spec.policy,
                arrived_at: zone.instant(day0.and_time(landed)),
                transport: &spec.transport,
                origin: &spec.origin,
            };
            Ok(store.create_batch(&system, site, &new).await?)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_universities_are_more_than_fifty_in_eighteen_provinces() {
        assert_eq!(UNIVERSITIES.len(), 18);
        assert!(UNIVERSITIES.iter().map(|(_, u)| u.len()).sum::<usize>() > 50);
    }
}

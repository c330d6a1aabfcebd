//! Every stay's dates, computed by the domain's one `Timeline` from the
//! batch's arrival in the site's zone, its policy and the person's
//! extensions; listed and exported one row a person.

use chrono::NaiveDate;
use cordon_domain::Actor;
use cordon_domain::quarantine::manifest::Passport;
use cordon_domain::quarantine::site::{Sight, SiteRole};
use cordon_domain::quarantine::timeline::{ExtensionReason, Timeline, TimelineState};
use serde::Serialize;

use super::Batch;
use crate::residents::Reveal;
use crate::sheets::{SheetFormat, sheet_bytes};
use crate::{Store, StoreError, StoreResult};

/// The export's columns, bilingual like the other exports.
const HEADERS: [&str; 9] = [
    "护照号 passport",
    "姓名 name",
    "拉丁姓名 name_latin",
    "房号 room",
    "入境日期 arrival_date",
    "集中隔离结束 onsite_end",
    "居家监测结束 home_end",
    "隔离期内生日 birthday_in_stay",
    "状态 state",
];

/// One person's stay.
#[derive(Debug, Clone, Serialize)]
pub struct Stay {
    /// The person's id.
    pub id: i64,
    /// The passport number, masked unless revealed.
    pub passport: String,
    /// The name in its original script.
    pub name: String,
    /// The name in Latin letters.
    pub name_latin: String,
    /// The language the person reads.
    pub language: String,
    /// The room, once checked in.
    pub room: Option<String>,
    /// Day 0: the local date of arrival.
    pub arrival_date: NaiveDate,
    /// The last on-site day.
    pub onsite_end: NaiveDate,
    /// The last day of home monitoring.
    pub home_end: NaiveDate,
    /// The birthday inside the stay (day 0 to the last on-site day), if any.
    pub birthday_in_stay: Option<NaiveDate>,
    /// The next test day from today, if any.
    pub next_test: Option<NaiveDate>,
    /// Every test day of the stay (its policy's, moved by extensions), as local dates.
    pub test_days: Vec<NaiveDate>,
    /// Where the stay stands now.
    pub state: TimelineState,
}

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: i64,
    passport: String,
    name: String,
    name_latin: String,
    language: String,
    birth_date: NaiveDate,
    room: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(super) struct ExtensionRow {
    pub(super) person_id: i64,
    days: i64,
    reason: String,
}

impl ExtensionRow {
    /// Its days and reason; both were checked when written, so a row edited by hand reads as a CDC decision.
    pub(super) fn extension(&self) -> (u32, ExtensionReason) {
        let reason = ExtensionReason::parse(&self.reason).unwrap_or(ExtensionReason::CdcDecision);
        (u32::try_from(self.days).unwrap_or(0), reason)
    }
}

/// A state as the export writes it: Chinese and English.
fn state_text(s: TimelineState) -> &'static str {
    match s {
        TimelineState::NotArrived => "未入境 not-arrived",
        TimelineState::OnSite { .. } => "集中隔离 on-site",
        TimelineState::HomeMonitoring { .. } => "居家监测 home-monitoring",
        TimelineState::Ended => "已解除 ended",
    }
}

impl Store {
    /// Every stay of a batch, by room then passport, for a role that sees the
    /// site's people; full passports only for its manager (and the command),
    /// and then recorded in the audit log.
    pub async fn stays(&self, actor: &Actor, batch: &Batch, reveal: Reveal) -> StoreResult<Vec<Stay>> {
        let role = self.site_role_that(actor, batch.site_id, |r| r.may_see(Sight::People)).await?;
        if reveal == Reveal::Full && role != SiteRole::Manager {
            return Err(StoreError::Forbidden);
        }
        let site = self.site(actor, batch.site_id).await?;
        let mut stays = self.compute_stays(batch, site.zone, reveal).await?;
        // A birthday is a care need: only the groups that care for people are told it.
        if !role.may_see(Sight::Care) {
            for s in &mut stays {
                s.birthday_in_stay = None;
            }
        }
        if reveal == Reveal::Full {
            on_pool!(self, |p| {
                audit_insert!(
                    p,
                    crate::audit::NewEntry::new(
                        self.now(),
                        actor,
                        "reveal-passport",
                        "arrival-batch",
                        batch.id.to_string()
                    )
                    .after(
                        serde_json::json!({"field": "passport", "people": stays.len(), "export": "timeline"})
                            .to_string()
                    )
                )?;
            });
        }
        Ok(stays)
    }

    /// Every stay of a batch, for callers that have checked what the actor may see.
    pub(super) async fn compute_stays(
        &self,
        batch: &Batch,
        zone: cordon_domain::clock::Zone,
        reveal: Reveal,
    ) -> StoreResult<Vec<Stay>> {
        let policy = self.policy(&batch.policy).await?;
        let (people, extensions): (Vec<PersonRow>, Vec<ExtensionRow>) = on_pool!(self, |p| {
            let people = sqlx::query_as(
                "SELECT q.id, q.passport, q.name, q.name_latin, q.language, q.birth_date, r.number AS room \
                 FROM quarantined q LEFT JOIN site_rooms r ON r.id = q.room_id WHERE q.batch_id = $1 \
                 AND q.site_id = $2 ORDER BY r.id IS NULL, r.floor, r.number, q.passport",
            )
            .bind(batch.id)
            .bind(batch.site_id)
            .fetch_all(p)
            .await?;
            let extensions = sqlx::query_as(
                "SELECT e.person_id, e.days, e.reason FROM stay_extensions e \
                 JOIN quarantined q ON q.id = e.person_id WHERE q.batch_id = $1 AND q.site_id = $2 ORDER BY e.id",
            )
            .bind(batch.id)
            .bind(batch.site_id)
            .fetch_all(p)
            .await?;
            (people, extensions)
        });
        let now = self.now();
        let base = Timeline::new(batch.arrived_at, zone, &policy);
        let mut stays = Vec::with_capacity(people.len());
        for person in people {
            let mut timeline = base.clone();
            for e in extensions.iter().filter(|e| e.person_id == person.id) {
                let (days, reason) = e.extension();
                timeline = timeline.extended(days, reason).map_err(StoreError::invalid)?;
            }
            let passport = match (reveal, Passport::parse(&person.passport)) {
                (Reveal::Full, _) => person.passport.clone(),
                (Reveal::Masked, Ok(p)) => p.masked(),
                (Reveal::Masked, Err(_)) => "*".repeat(person.passport.chars().count()),
            };
            stays.push(Stay {
                id: person.id,
                passport,
                name: person.name,
                name_latin: person.name_latin,
                language: person.language,
                room: person.room,
                arrival_date: timeline.arrival_date(),
                onsite_end: timeline.onsite_end(),
                home_end: timeline.home_end(),
                birthday_in_stay: timeline.birthday_in_stay(person.birth_date),
                next_test: timeline.next_test(now).map(|t| t.date),
                test_days: timeline.test_days().into_iter().map(|t| t.date).collect(),
                state: timeline.state_at(now),
            });
        }
        Ok(stays)
    }

    /// One person's extensions, in the order they were given.
    pub(super) async fn extensions_of(&self, person_id: i64) -> StoreResult<Vec<(u32, ExtensionReason)>> {
        let rows: Vec<ExtensionRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT person_id, days, reason FROM stay_extensions WHERE person_id = $1 ORDER BY id")
                .bind(person_id)
                .fetch_all(p)
                .await?
        });
        Ok(rows.iter().map(ExtensionRow::extension).collect())
    }

    /// A batch's timeline as CSV or XLSX: one row a person (see `stays`).
    pub async fn export_timeline(
        &self,
        actor: &Actor,
        batch: &Batch,
        format: SheetFormat,
        reveal: Reveal,
    ) -> StoreResult<Vec<u8>> {
        let date = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let sees_care = self.site_role(actor, batch.site_id).await?.may_see(Sight::Care);
        let rows = self
            .stays(actor, batch, reveal)
            .await?
            .into_iter()
            .map(|s| {
                vec![
                    s.passport,
                    s.name,
                    s.name_latin,
                    s.room.unwrap_or_default(),
                    date(s.arrival_date),
                    date(s.onsite_end),
                    date(s.home_end),
                    match (sees_care, s.birthday_in_stay) {
                        (false, _) => "",
                        (true, Some(_)) => "是 yes",
                        (true, None) => "否 no",
                    }
                    .to_string(),
                    state_text(s.state).to_string(),
                ]
            })
            .collect();
        Ok(sheet_bytes("timeline", format, &HEADERS, rows)?)
    }
}

//! Test results of a stay and the transfers positives open. A result is
//! recorded by the groups that test (`SiteRole::records_tests`) and read by
//! those who see results (`Sight::TestResults`: not the hotel group). A
//! positive opens a closed-loop transfer and extends the on-site phase of
//! everyone sharing the person's room, with the reason; when the person
//! departs, their room, if no one is left in it, awaits disinfection. Every
//! write takes the site's lock first, so two results at once for the same
//! person give one transfer and one set of extensions.

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::quarantine::manifest::Passport;
use cordon_domain::quarantine::results::{Recording, ResultColumns, ResultField, ResultRow, TestResult, judge};
use cordon_domain::quarantine::site::Sight;
use cordon_domain::quarantine::timeline::{ExtensionReason, MAX_EXTENSION_DAYS};
use cordon_domain::quarantine::transfer::{TransferEvent, TransferState};
use cordon_domain::{Actor, Key};
use serde::Serialize;

use std::collections::HashMap;

use super::Batch;
use crate::imports::{BadReason, BadRow, Checker, ImportSummary};
use crate::sheets::Sheet;
use crate::{Store, StoreError, StoreResult};

/// What recording a result did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recorded {
    /// False when the same result was there already (nothing changed).
    pub written: bool,
    /// The transfer a positive opened (or the one already open).
    pub transfer: Option<i64>,
    /// Roommates whose stay was extended.
    pub extended: usize,
}

/// A result as the CDC list shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ResultLine {
    /// The person's name.
    pub name: String,
    /// Their room, if in one.
    pub room: Option<String>,
    /// The test day.
    pub day: NaiveDate,
    /// negative or positive.
    pub result: String,
}

/// A transfer on the site's list.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Transfer {
    /// Its id.
    pub id: i64,
    /// The person's id.
    pub person_id: i64,
    /// The person's name.
    pub name: String,
    /// opened, departed, handed-over, followed-up or cancelled.
    pub state: String,
    /// When the positive result opened it.
    pub opened_at: DateTime<Utc>,
    /// When it entered its present state.
    pub state_since: DateTime<Utc>,
    /// The vehicle, once departed.
    pub vehicle: Option<String>,
    /// The escorts, once departed (comma-separated).
    pub escorts: Option<String>,
    /// The designated hospital, once departed.
    pub hospital: Option<String>,
    /// When it left the site.
    pub departed_at: Option<DateTime<Utc>>,
    /// When the hospital took the person over.
    pub handed_over_at: Option<DateTime<Utc>>,
}

/// An entry of a transfer's follow-up log.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct FollowUp {
    /// The transfer.
    pub transfer_id: i64,
    /// When it was made.
    pub at: DateTime<Utc>,
    /// call, translation, institution, hospital or other.
    pub kind: String,
    /// What was said or done.
    pub note: String,
    /// Who logged it.
    pub actor: String,
}

/// Days of an extension, checked before anything is written.
fn extension_days(days: u32) -> StoreResult<()> {
    if (1..=MAX_EXTENSION_DAYS).contains(&days) {
        Ok(())
    } else {
        Err(StoreError::invalid(Key::QuarantineExtensionDays.with("max", i64::from(MAX_EXTENSION_DAYS))))
    }
}

/// Extends a person's on-site phase inside a write transaction that holds
/// the site's lock, and withdraws a release certificate issued before: its
/// dates no longer hold. Expands to whether one was withdrawn.
macro_rules! extend {
    ($tx:ident, $person:expr, $days:expr, $reason:expr, $actor:expr, $now:expr) => {
        async {
            let person: i64 = $person;
            sqlx::query(
                "INSERT INTO stay_extensions (person_id, days, reason, at, user_id, actor) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(person)
            .bind(i64::from($days))
            .bind($reason.as_str())
            .bind($now)
            .bind($actor.user_id)
            .bind($actor.username.clone())
            .execute(&mut *$tx)
            .await?;
            let withdrawn = sqlx::query("DELETE FROM release_certificates WHERE person_id = $1")
                .bind(person)
                .execute(&mut *$tx)
                .await?
                .rows_affected();
            StoreResult::Ok(withdrawn > 0)
        }
    };
}

/// Records one result of a person inside a write transaction that holds
/// the site's lock: the same result again changes nothing, a different one
/// is refused for the CDC group; a positive opens the person's transfer and
/// extends everyone in their room. Expands to what it did.
macro_rules! record_in_tx {
    ($tx:ident, $actor:expr, $batch:expr, $person:expr, $day:expr, $result:expr, $roommate_days:expr, $now:expr) => {
        async {
                let before: Option<String> =
                    sqlx::query_scalar("SELECT result FROM stay_results WHERE person_id = $1 AND day = $2")
                        .bind($person.id)
                        .bind($day)
                        .fetch_optional(&mut *$tx)
                        .await?;
                let before = before.as_deref().and_then(|r| TestResult::parse(r).ok());
                match judge(before, $result) {
                    Recording::Same => return StoreResult::Ok(Recorded { written: false, transfer: None, extended: 0 }),
                    Recording::Conflict { recorded } => {
                        return Err(StoreError::conflict(
                            Key::QuarantineResultConflict.with("date", $day.to_string()).with("recorded", recorded.as_str()),
                        ));
                    }
                    Recording::New => {}
                }
                sqlx::query(
                    "INSERT INTO stay_results (person_id, site_id, day, result, at, actor) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind($person.id)
                .bind($batch.site_id)
                .bind($day)
                .bind($result.as_str())
                .bind($now)
                .bind($actor.username.clone())
                .execute(&mut *$tx)
                .await?;
                audit_insert!(
                    &mut *$tx,
                    crate::audit::NewEntry::new($now, $actor, "record-result", "quarantined", $person.id.to_string())
                        .after(serde_json::json!({"day": $day, "result": $result.as_str()}).to_string())
                )?;
                let mut done = Recorded { written: true, transfer: None, extended: 0 };
                let open: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM transfers WHERE person_id = $1 AND state <> 'cancelled'")
                        .bind($person.id)
                        .fetch_optional(&mut *$tx)
                        .await?;
                // A second positive of someone already being transferred opens nothing more.
                if let Some(open) = open {
                    done.transfer = Some(open);
                } else if $result == TestResult::Positive {
                    // A certificate issued before a positive no longer holds.
                    sqlx::query("DELETE FROM release_certificates WHERE person_id = $1")
                        .bind($person.id)
                        .execute(&mut *$tx)
                        .await?;
                    let transfer: i64 = sqlx::query_scalar(
                        "INSERT INTO transfers (person_id, site_id, state, opened_at, state_since) \
                         VALUES ($1, $2, 'opened', $3, $3) RETURNING id",
                    )
                    .bind($person.id)
                    .bind($batch.site_id)
                    .bind($now)
                    .fetch_one(&mut *$tx)
                    .await?;
                    audit_insert!(
                        &mut *$tx,
                        crate::audit::NewEntry::new($now, $actor, "create", "transfer", transfer.to_string())
                            .after(serde_json::json!({"person": $person.id, "day": $day}).to_string())
                    )?;
                    done.transfer = Some(transfer);
                    let roommates: Vec<i64> = match $person.room_id {
                        None => Vec::new(),
                        Some(room) => {
                            sqlx::query_scalar("SELECT id FROM quarantined WHERE room_id = $1 AND id <> $2 ORDER BY id")
                                .bind(room)
                                .bind($person.id)
                                .fetch_all(&mut *$tx)
                                .await?
                        }
                    };
                    let reason = ExtensionReason::PositiveRoommate;
                    for mate in &roommates {
                        extend!($tx, *mate, $roommate_days, reason, $actor, $now).await?;
                        audit_insert!(
                            &mut *$tx,
                            crate::audit::NewEntry::new($now, $actor, "extend", "quarantined", mate.to_string()).after(
                                serde_json::json!({"days": $roommate_days, "reason": reason.as_str(), "positive": $person.id})
                                    .to_string()
                            )
                        )?;
                    }
                    done.extended = roommates.len();
                }
            StoreResult::Ok(done)
        }
    };
}

/// A person of a batch: id, room, passport.
type PersonRow = (i64, Option<i64>, String);

/// Results recorded, by person and day.
type ResultsByDay = HashMap<(i64, NaiveDate), String>;

#[derive(sqlx::FromRow)]
struct PersonAt {
    id: i64,
    room_id: Option<i64>,
}

impl Store {
    /// Records one person's result for a test day. `roommate_days`: how many
    /// days a positive adds to each roommate's on-site phase.
    pub async fn record_result(
        &self,
        actor: &Actor,
        batch: &Batch,
        passport: &str,
        day: NaiveDate,
        result: TestResult,
        roommate_days: u32,
    ) -> StoreResult<Recorded> {
        self.site_role_that(actor, batch.site_id, |r| r.records_tests()).await?;
        extension_days(roommate_days)?;
        let passport = Passport::parse(passport)
            .map_err(|_| StoreError::invalid(Key::QuarantinePassportUnknown.with("passport", passport.trim())))?;
        let now = self.now();
        let recorded = on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            if !lock_site!(tx, p, batch.site_id).await?.takes_records() {
                return Err(StoreError::invalid(Key::QuarantineSiteClosed));
            }
            let person: Option<PersonAt> = sqlx::query_as(
                "SELECT id, room_id FROM quarantined WHERE batch_id = $1 AND passport = $2 AND site_id = $3",
            )
            .bind(batch.id)
            .bind(passport.as_str().to_string())
            .bind(batch.site_id)
            .fetch_optional(&mut *tx)
            .await?;
            let person = person.ok_or_else(|| {
                StoreError::invalid(Key::QuarantinePassportUnknown.with("passport", passport.masked()))
            })?;
            let done = record_in_tx!(tx, actor, batch, person, day, result, roommate_days, now).await?;
            tx.commit().await?;
            done
        });
        Ok(recorded)
    }

    /// Records a result for a person of a site by their id (a page's form,
    /// whose passports are masked): the id is looked up within the site the
    /// actor has a role at, so another site's person is `NotFound`.
    pub async fn record_result_of(
        &self,
        actor: &Actor,
        site_id: i64,
        person_id: i64,
        day: NaiveDate,
        result: TestResult,
        roommate_days: u32,
    ) -> StoreResult<Recorded> {
        self.site_role_that(actor, site_id, |r| r.records_tests()).await?;
        let found: Option<(i64, String)> = on_pool!(self, |p| {
            sqlx::query_as("SELECT batch_id, passport FROM quarantined WHERE id = $1 AND site_id = $2")
                .bind(person_id)
                .bind(site_id)
                .fetch_optional(p)
                .await?
        });
        let (batch_id, passport) = found.ok_or(StoreError::NotFound)?;
        let batch = self.batch(actor, batch_id).await?;
        self.record_result(actor, &batch, &passport, day, result, roommate_days).await
    }

    /// Extends one person's on-site phase by hand (a declared close contact,
    /// the CDC's decision), under the site's lock, with the reason in the
    /// audit log; a release certificate issued before is withdrawn, since its
    /// dates no longer hold. Gives the new last on-site day.
    pub async fn extend_stay(
        &self,
        actor: &Actor,
        batch: &Batch,
        who: super::Who<'_>,
        days: u32,
        reason: ExtensionReason,
    ) -> StoreResult<NaiveDate> {
        self.site_role_that(actor, batch.site_id, |r| r.extends_stays()).await?;
        extension_days(days)?;
        let (passport, id) = who.binds()?;
        let now = self.now();
        let person = on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            if !lock_site!(tx, p, batch.site_id).await?.takes_records() {
                return Err(StoreError::invalid(Key::QuarantineSiteClosed));
            }
            let person: Option<PersonAt> = sqlx::query_as(
                "SELECT id, room_id FROM quarantined WHERE batch_id = $1 AND site_id = $2 \
                 AND (passport = $3 OR id = $4)",
            )
            .bind(batch.id)
            .bind(batch.site_id)
            .bind(passport.clone())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let person = person.ok_or_else(|| who.not_found())?;
            if person.room_id.is_none() {
                return Err(StoreError::invalid(Key::QuarantineExtendNotOnSite));
            }
            let withdrawn = extend!(tx, person.id, days, reason, actor, now).await?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(now, actor, "extend", "quarantined", person.id.to_string()).after(
                    serde_json::json!({"days": days, "reason": reason.as_str(), "certificate_withdrawn": withdrawn})
                        .to_string()
                )
            )?;
            tx.commit().await?;
            person.id
        });
        let site = self.site(actor, batch.site_id).await?;
        let stays = self.compute_stays(batch, site.zone, crate::residents::Reveal::Masked).await?;
        stays.into_iter().find(|s| s.id == person).map(|s| s.onsite_end).ok_or(StoreError::NotFound)
    }

    /// Imports a batch's results from a file (护照号 passport, 检测日期 day,
    /// 结果 result; Chinese or English headers, date cells too), whole or
    /// nothing: every bad cell, unknown passport or result conflicting with
    /// one recorded is reported, and nothing is written. A result already
    /// recorded changes nothing, so the same file twice writes nothing more.
    /// Each positive does what one recorded by hand does.
    pub async fn import_results(
        &self,
        actor: &Actor,
        batch: &Batch,
        sheet: &Sheet,
        roommate_days: u32,
    ) -> StoreResult<ImportSummary> {
        self.site_role_that(actor, batch.site_id, |r| r.records_tests()).await?;
        extension_days(roommate_days)?;
        let mut check = Checker::new(false);
        let columns = match ResultColumns::locate(&sheet.headers) {
            Ok(c) => c,
            Err(refusals) => {
                for r in refusals {
                    check.push(BadRow {
                        row: 1,
                        column: String::new(),
                        value: String::new(),
                        reason: BadReason::Refused(r),
                    });
                }
                return Err(self.reject(actor, None, check).await);
            }
        };
        let header = |f: ResultField| sheet.headers.iter().find(|h| ResultField::from_header(h) == Some(f));
        let header = |f: ResultField| header(f).cloned().unwrap_or_else(|| f.key().to_string());
        let (people, recorded) = self.results_of(batch).await?;
        let mut rows: Vec<(usize, ResultRow)> = Vec::with_capacity(sheet.rows.len());
        let mut seen: HashMap<(String, NaiveDate), usize> = HashMap::new();
        for row in &sheet.rows {
            let r = match columns.row(&row.cells) {
                Ok(r) => r,
                Err(bad) => {
                    for (field, refusal) in bad {
                        let value = columns.cell(&row.cells, field).to_string();
                        check.push(BadRow {
                            row: row.number,
                            column: header(field),
                            value,
                            reason: BadReason::Refused(refusal),
                        });
                    }
                    continue;
                }
            };
            let bad = |reason| BadRow {
                row: row.number,
                column: header(ResultField::Passport),
                value: r.passport.masked(),
                reason,
            };
            let key = (r.passport.as_str().to_string(), r.day);
            if let Some(first) = seen.get(&key) {
                check.push(bad(BadReason::DuplicateInFile(*first)));
                continue;
            }
            seen.insert(key, row.number);
            let Some(person) = people.get(r.passport.as_str()) else {
                let unknown = Key::QuarantinePassportUnknown.with("passport", r.passport.masked());
                check.push(bad(BadReason::Refused(unknown)));
                continue;
            };
            let before = recorded.get(&(person.id, r.day)).and_then(|t| TestResult::parse(t).ok());
            if let Recording::Conflict { recorded } = judge(before, r.result) {
                let conflict =
                    Key::QuarantineResultConflict.with("date", r.day.to_string()).with("recorded", recorded.as_str());
                check.push(BadRow {
                    row: row.number,
                    column: header(ResultField::Result),
                    value: r.result.as_str().to_string(),
                    reason: BadReason::Refused(conflict),
                });
                continue;
            }
            rows.push((row.number, r));
        }
        self.finish_check(actor, None, check).await?;

        let now = self.now();
        let summary = on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            if !lock_site!(tx, p, batch.site_id).await?.takes_records() {
                return Err(StoreError::invalid(Key::QuarantineSiteClosed));
            }
            // Read again under the lock: a room may have changed since the check.
            let found: Vec<PersonRow> =
                sqlx::query_as("SELECT id, room_id, passport FROM quarantined WHERE batch_id = $1 AND site_id = $2")
                    .bind(batch.id)
                    .bind(batch.site_id)
                    .fetch_all(&mut *tx)
                    .await?;
            let people: HashMap<String, PersonAt> =
                found.into_iter().map(|(id, room_id, passport)| (passport, PersonAt { id, room_id })).collect();
            let mut summary = ImportSummary::default();
            for (_, r) in &rows {
                let person = people.get(r.passport.as_str()).ok_or(StoreError::NotFound)?;
                // A result that arrived between the check and here and conflicts refuses the whole file.
                let done = record_in_tx!(tx, actor, batch, person, r.day, r.result, roommate_days, now).await?;
                if done.written {
                    summary.imported += 1;
                } else {
                    summary.unchanged += 1;
                }
            }
            tx.commit().await?;
            summary
        });
        Ok(summary)
    }

    /// A batch's people by passport, and its recorded results by person and day.
    async fn results_of(&self, batch: &Batch) -> StoreResult<(HashMap<String, PersonAt>, ResultsByDay)> {
        let (people, results): (Vec<PersonRow>, Vec<(i64, NaiveDate, String)>) = on_pool!(self, |p| {
            let people =
                sqlx::query_as("SELECT id, room_id, passport FROM quarantined WHERE batch_id = $1 AND site_id = $2")
                    .bind(batch.id)
                    .bind(batch.site_id)
                    .fetch_all(p)
                    .await?;
            let results = sqlx::query_as(
                "SELECT t.person_id, t.day, t.result FROM stay_results t JOIN quarantined q ON q.id = t.person_id \
                     WHERE q.batch_id = $1 AND q.site_id = $2",
            )
            .bind(batch.id)
            .bind(batch.site_id)
            .fetch_all(p)
            .await?;
            (people, results)
        });
        Ok((
            people.into_iter().map(|(id, room_id, passport)| (passport, PersonAt { id, room_id })).collect(),
            results.into_iter().map(|(person, day, result)| ((person, day), result)).collect(),
        ))
    }

    /// A batch's results, newest day first, for a role that sees results.
    pub async fn stay_results(&self, actor: &Actor, batch: &Batch) -> StoreResult<Vec<ResultLine>> {
        self.site_role_that(actor, batch.site_id, |r| r.may_see(Sight::TestResults)).await?;
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT q.name, r.number AS room, t.day, t.result FROM stay_results t \
                 JOIN quarantined q ON q.id = t.person_id LEFT JOIN site_rooms r ON r.id = q.room_id \
                 WHERE q.batch_id = $1 AND q.site_id = $2 ORDER BY t.day DESC, q.id",
            )
            .bind(batch.id)
            .bind(batch.site_id)
            .fetch_all(p)
            .await?
        }))
    }

    /// A site's transfers, newest first, for a role that sees them.
    pub async fn transfers(&self, actor: &Actor, site_id: i64) -> StoreResult<Vec<Transfer>> {
        self.site_role_that(actor, site_id, |r| r.may_see(Sight::Transfers)).await?;
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT t.id, t.person_id, q.name, t.state, t.opened_at, t.state_since, t.vehicle, t.escorts, \
                 t.hospital, t.departed_at, t.handed_over_at \
                 FROM transfers t JOIN quarantined q ON q.id = t.person_id WHERE t.site_id = $1 ORDER BY t.id DESC",
            )
            .bind(site_id)
            .fetch_all(p)
            .await?
        }))
    }

    /// A site's transfers' follow-up logs, newest first, for a role that sees transfers.
    pub async fn follow_ups(&self, actor: &Actor, site_id: i64) -> StoreResult<Vec<FollowUp>> {
        self.site_role_that(actor, site_id, |r| r.may_see(Sight::Transfers)).await?;
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT f.transfer_id, f.at, f.kind, f.note, f.actor FROM transfer_follow_ups f \
                 JOIN transfers t ON t.id = f.transfer_id WHERE t.site_id = $1 ORDER BY f.at DESC, f.id DESC",
            )
            .bind(site_id)
            .fetch_all(p)
            .await?
        }))
    }

    /// Takes a transfer's step. On departure the person leaves their room,
    /// which awaits disinfection if no one is left in it.
    pub async fn step_transfer(
        &self,
        actor: &Actor,
        site_id: i64,
        transfer_id: i64,
        event: &TransferEvent,
    ) -> StoreResult<TransferState> {
        self.site_role_that(actor, site_id, |r| r.runs_transfers()).await?;
        let now = self.now();
        let next = on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            lock_site!(tx, p, site_id).await?;
            let row: Option<(i64, String, DateTime<Utc>)> =
                sqlx::query_as("SELECT person_id, state, state_since FROM transfers WHERE id = $1 AND site_id = $2")
                    .bind(transfer_id)
                    .bind(site_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let (person, state, since) = row.ok_or(StoreError::NotFound)?;
            let from = TransferState::parse(&state).unwrap_or(TransferState::Opened);
            let next = from.apply(event, since).map_err(StoreError::invalid)?;
            let at = match event {
                TransferEvent::Depart { at, .. }
                | TransferEvent::HandOver { at }
                | TransferEvent::FollowUp { at, .. } => *at,
                TransferEvent::Cancel { .. } => now,
            };
            // A follow-up keeps the hand-over as the time its state began: follow-ups may be logged late.
            let since = if matches!(event, TransferEvent::FollowUp { .. }) { since } else { at };
            sqlx::query("UPDATE transfers SET state = $1, state_since = $2 WHERE id = $3")
                .bind(next.as_str())
                .bind(since)
                .bind(transfer_id)
                .execute(&mut *tx)
                .await?;
            match event {
                TransferEvent::Depart { hospital, vehicle, escorts, at } => {
                    let escorts: Vec<&str> = escorts.iter().map(|e| e.as_str()).collect();
                    sqlx::query(
                        "UPDATE transfers SET vehicle = $1, escorts = $2, departed_at = $3, hospital = $4 WHERE id = $5",
                    )
                    .bind(vehicle.as_str().to_string())
                    .bind(escorts.join(", "))
                    .bind(*at)
                    .bind(hospital.as_str().to_string())
                    .bind(transfer_id)
                        .execute(&mut *tx)
                        .await?;
                    leave_room!(tx, person).await?;
                }
                TransferEvent::HandOver { at } => {
                    sqlx::query("UPDATE transfers SET handed_over_at = $1 WHERE id = $2")
                        .bind(*at)
                        .bind(transfer_id)
                        .execute(&mut *tx)
                        .await?;
                }
                TransferEvent::FollowUp { at, kind, note } => {
                    sqlx::query(
                        "INSERT INTO transfer_follow_ups (transfer_id, at, kind, note, actor) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(transfer_id)
                    .bind(*at)
                    .bind(kind.as_str())
                    .bind(note.as_str().to_string())
                    .bind(actor.username.clone())
                    .execute(&mut *tx)
                    .await?;
                }
                TransferEvent::Cancel { reason } => {
                    sqlx::query("UPDATE transfers SET reason = $1 WHERE id = $2")
                        .bind(reason.as_str().to_string())
                        .bind(transfer_id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(now, actor, "update", "transfer", transfer_id.to_string())
                    .before(serde_json::json!({"state": from.as_str()}).to_string())
                    .after(serde_json::json!({"state": next.as_str(), "event": event.key()}).to_string())
            )?;
            tx.commit().await?;
            next
        });
        Ok(next)
    }
}

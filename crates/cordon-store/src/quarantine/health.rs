//! Health checks of the people on a site: taken by the medical group or the
//! manager (`SiteRole::records_health`), or sent by the person from their
//! own page; read by the roles that see health data (`Sight::HealthChecks`:
//! never the hotel group). A check with a fever or a symptom is an alert on
//! the site's page until the medical group or the manager acknowledges it.
//! Every check is written under the site's lock and is unique by person, day,
//! slot and source, so the same check sent twice at once is one row.

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::quarantine::health::{Checking, Reading, Slot, Source, Symptom, Temperature, judge};
use cordon_domain::quarantine::site::Sight;
use cordon_domain::{Actor, Key};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

/// What recording a check did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CheckRecorded {
    /// The check's id (the one already there when nothing changed).
    pub id: i64,
    /// False when the same reading was there already.
    pub written: bool,
    /// Whether the check is an alert (a fever or a symptom).
    pub alert: bool,
}

/// A check as the site's page and the API list it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HealthCheck {
    /// Its id.
    pub id: i64,
    /// The person's id.
    pub person_id: i64,
    /// The person's name in its own script.
    pub name: String,
    /// In Latin letters.
    pub name_latin: String,
    /// Their room, if still in one.
    pub room: Option<String>,
    /// The local day it belongs to.
    pub day: NaiveDate,
    /// morning or afternoon.
    pub slot: String,
    /// staff or self.
    pub source: String,
    /// °C, one decimal, e.g. "37.5".
    pub temperature: String,
    /// At or above 37.3 °C.
    pub fever: bool,
    /// The symptoms ticked (keys of the list).
    pub symptoms: Vec<String>,
    /// A fever or a symptom.
    pub alert: bool,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// When its alert was acknowledged.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
}

/// Someone in a room at the site, for the form that records their check.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OnSitePerson {
    /// The person's id.
    pub id: i64,
    /// The name in its own script.
    pub name: String,
    /// In Latin letters.
    pub name_latin: String,
    /// The room.
    pub room: String,
}

#[derive(sqlx::FromRow)]
struct CheckRow {
    id: i64,
    person_id: i64,
    name: String,
    name_latin: String,
    room: Option<String>,
    day: NaiveDate,
    slot: String,
    source: String,
    tenths: i32,
    symptoms: String,
    alert: bool,
    at: DateTime<Utc>,
    acknowledged_at: Option<DateTime<Utc>>,
    acknowledged_by: Option<String>,
}

impl CheckRow {
    fn check(self) -> HealthCheck {
        // The CHECK constraint keeps tenths in range; a row edited by hand outside it shows as read.
        let t = Temperature::from_tenths(self.tenths);
        HealthCheck {
            id: self.id,
            person_id: self.person_id,
            name: self.name,
            name_latin: self.name_latin,
            room: self.room,
            day: self.day,
            slot: self.slot,
            source: self.source,
            temperature: t.map(|t| t.to_string()).unwrap_or_else(|| format!("{:.1}", f64::from(self.tenths) / 10.0)),
            fever: t.is_some_and(Temperature::is_fever),
            symptoms: Symptom::split(&self.symptoms).into_iter().map(|s| s.as_str().to_string()).collect(),
            alert: self.alert,
            at: self.at,
            acknowledged_at: self.acknowledged_at,
            acknowledged_by: self.acknowledged_by,
        }
    }
}

const CHECK_COLUMNS: &str = "SELECT h.id, h.person_id, q.name, q.name_latin, r.number AS room, h.day, h.slot, \
     h.source, h.tenths, h.symptoms, h.alert, h.at, h.acknowledged_at, h.acknowledged_by \
     FROM health_checks h JOIN quarantined q ON q.id = h.person_id LEFT JOIN site_rooms r ON r.id = q.room_id";

impl Store {
    /// Records a person's check for today's `slot`, taken by the medical
    /// group or the manager. `person_id` must be in a room at this site.
    pub async fn record_health_check(
        &self,
        actor: &Actor,
        site_id: i64,
        person_id: i64,
        slot: Slot,
        reading: &Reading,
    ) -> StoreResult<CheckRecorded> {
        self.site_role_that(actor, site_id, |r| r.records_health()).await?;
        self.write_check(actor, site_id, person_id, slot, Source::Staff, reading).await
    }

    /// Records the check a person sends from their own page (the token is the credential).
    pub async fn record_own_check(&self, token: &str, slot: Slot, reading: &Reading) -> StoreResult<CheckRecorded> {
        let who = self.token_person(token).await?;
        self.write_check(&who.actor, who.site_id, who.person_id, slot, Source::SelfReport, reading).await
    }

    async fn write_check(
        &self,
        actor: &Actor,
        site_id: i64,
        person_id: i64,
        slot: Slot,
        source: Source,
        reading: &Reading,
    ) -> StoreResult<CheckRecorded> {
        let now = self.now();
        let symptoms = Symptom::join(&reading.symptoms);
        let alert = reading.alerts();
        Ok(on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            if !lock_site!(tx, p, site_id).await?.takes_records() {
                return Err(StoreError::invalid(Key::QuarantineSiteClosed));
            }
            let zone: String =
                sqlx::query_scalar("SELECT zone FROM sites WHERE id = $1").bind(site_id).fetch_one(&mut *tx).await?;
            let day = cordon_domain::clock::Zone::parse(&zone).unwrap_or_default().date_of(now);
            let here: Option<i64> =
                sqlx::query_scalar("SELECT id FROM quarantined WHERE id = $1 AND site_id = $2 AND room_id IS NOT NULL")
                    .bind(person_id)
                    .bind(site_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if here.is_none() {
                return Err(StoreError::invalid(Key::QuarantinePersonNotOnSite));
            }
            let before: Option<(i64, i32, String, bool)> = sqlx::query_as(
                "SELECT id, tenths, symptoms, alert FROM health_checks \
                 WHERE person_id = $1 AND day = $2 AND slot = $3 AND source = $4",
            )
            .bind(person_id)
            .bind(day)
            .bind(slot.as_str())
            .bind(source.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let recorded = before.as_ref().and_then(|(_, tenths, symptoms, _)| {
                Temperature::from_tenths(*tenths).map(|t| Reading::new(t, &Symptom::split(symptoms)))
            });
            match (judge(recorded.as_ref(), reading), &before) {
                (Checking::Same, Some((id, _, _, alert))) => {
                    return Ok(CheckRecorded { id: *id, written: false, alert: *alert });
                }
                (Checking::New, None) => {}
                (judged, _) => {
                    // A stored row that no longer reads (edited by hand) is not written over either.
                    let recorded = match judged {
                        Checking::Conflict { recorded } => recorded.to_string(),
                        _ => "?".to_string(),
                    };
                    return Err(StoreError::conflict(
                        Key::QuarantineCheckConflict
                            .with("date", day.to_string())
                            .with("slot", slot.as_str())
                            .with("recorded", recorded),
                    ));
                }
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO health_checks (person_id, site_id, day, slot, source, tenths, symptoms, alert, at, actor) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(person_id)
            .bind(site_id)
            .bind(day)
            .bind(slot.as_str())
            .bind(source.as_str())
            .bind(reading.temperature.tenths())
            .bind(symptoms.clone())
            .bind(alert)
            .bind(now)
            .bind(actor.username.clone())
            .fetch_one(&mut *tx)
            .await?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(now, actor, "create", "health-check", id.to_string()).after(
                    serde_json::json!({
                        "person": person_id, "day": day, "slot": slot.as_str(), "source": source.as_str(),
                        "temperature": reading.temperature.to_string(), "symptoms": symptoms, "alert": alert,
                    })
                    .to_string()
                )
            )?;
            tx.commit().await?;
            CheckRecorded { id, written: true, alert }
        }))
    }

    /// Today's checks at a site (the site's local day), newest first, for a role that sees health data.
    pub async fn health_checks(&self, actor: &Actor, site_id: i64) -> StoreResult<Vec<HealthCheck>> {
        self.site_role_that(actor, site_id, |r| r.may_see(Sight::HealthChecks)).await?;
        let site = self.site(actor, site_id).await?;
        let today = site.zone.date_of(self.now());
        let rows: Vec<CheckRow> = on_pool!(self, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{CHECK_COLUMNS} WHERE h.site_id = $1 AND h.day = $2 ORDER BY h.id DESC"
            )))
            .bind(site_id)
            .bind(today)
            .fetch_all(p)
            .await?
        });
        Ok(rows.into_iter().map(CheckRow::check).collect())
    }

    /// The alerts not yet acknowledged at a site, oldest first (whatever their day), for a role
    /// that sees health data.
    pub async fn health_alerts(&self, actor: &Actor, site_id: i64) -> StoreResult<Vec<HealthCheck>> {
        self.site_role_that(actor, site_id, |r| r.may_see(Sight::HealthChecks)).await?;
        let rows: Vec<CheckRow> = on_pool!(self, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{CHECK_COLUMNS} WHERE h.site_id = $1 AND h.alert AND h.acknowledged_at IS NULL ORDER BY h.id"
            )))
            .bind(site_id)
            .fetch_all(p)
            .await?
        });
        Ok(rows.into_iter().map(CheckRow::check).collect())
    }

    /// How many alerts wait at a site, for the dashboard (the caller has checked the role).
    pub(super) async fn open_alert_count(&self, site_id: i64) -> StoreResult<i64> {
        Ok(on_pool!(self, |p| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM health_checks WHERE site_id = $1 AND alert AND acknowledged_at IS NULL",
            )
            .bind(site_id)
            .fetch_one(p)
            .await?
        }))
    }

    /// Acknowledges an alert: the medical group or the manager has seen it and
    /// is on it. An alert acknowledged already (by someone a moment ago)
    /// changes nothing and answers false; another site's check is not found.
    pub async fn acknowledge_alert(&self, actor: &Actor, site_id: i64, check_id: i64) -> StoreResult<bool> {
        self.site_role_that(actor, site_id, |r| r.records_health()).await?;
        let now = self.now();
        Ok(on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            let found: Option<(bool, Option<DateTime<Utc>>)> =
                sqlx::query_as("SELECT alert, acknowledged_at FROM health_checks WHERE id = $1 AND site_id = $2")
                    .bind(check_id)
                    .bind(site_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            match found {
                None | Some((false, _)) => return Err(StoreError::NotFound),
                Some((true, Some(_))) => return Ok(false),
                Some((true, None)) => {}
            }
            let done = sqlx::query(
                "UPDATE health_checks SET acknowledged_at = $1, acknowledged_by = $2 \
                 WHERE id = $3 AND site_id = $4 AND acknowledged_at IS NULL",
            )
            .bind(now)
            .bind(actor.username.clone())
            .bind(check_id)
            .bind(site_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            // On PostgreSQL two at once both read it open; the UPDATE lets one through.
            if done == 0 {
                return Ok(false);
            }
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(now, actor, "acknowledge", "health-check", check_id.to_string())
                    .after(serde_json::json!({"acknowledged_at": now}).to_string())
            )?;
            tx.commit().await?;
            true
        }))
    }

    /// The people in rooms at a site, by room, for the form of a role that records checks.
    pub async fn people_on_site(&self, actor: &Actor, site_id: i64) -> StoreResult<Vec<OnSitePerson>> {
        self.site_role_that(actor, site_id, |r| r.records_health()).await?;
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT q.id, q.name, q.name_latin, r.number AS room FROM quarantined q \
                 JOIN site_rooms r ON r.id = q.room_id WHERE q.site_id = $1 ORDER BY r.floor, r.number, q.id",
            )
            .bind(site_id)
            .fetch_all(p)
            .await?
        }))
    }

    /// The checks a person sent from their own page today, for that page.
    pub async fn own_checks(&self, token: &str) -> StoreResult<Vec<HealthCheck>> {
        let who = self.token_person(token).await?;
        let today = who.zone.date_of(self.now());
        let rows: Vec<CheckRow> = on_pool!(self, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{CHECK_COLUMNS} WHERE h.person_id = $1 AND h.day = $2 AND h.source = 'self' ORDER BY h.id"
            )))
            .bind(who.person_id)
            .bind(today)
            .fetch_all(p)
            .await?
        });
        Ok(rows.into_iter().map(CheckRow::check).collect())
    }
}

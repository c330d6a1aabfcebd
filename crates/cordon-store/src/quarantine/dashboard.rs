//! What a site's page and the command's page of every site show: rooms by
//! state, the batches with how many of their people are in rooms, and, for
//! roles that see them, today's and tomorrow's releases, the released still
//! monitored at home, birthdays and tests due (counted from the same stays
//! the timeline export lists), health alerts and open requests.

use chrono::{Duration, NaiveDate};
use cordon_domain::quarantine::site::{RoomState, Sight};
use cordon_domain::quarantine::timeline::TimelineState;
use cordon_domain::{Actor, Scope};
use serde::Serialize;

use super::{Batch, Site, SiteRow, Stay};
use crate::residents::Reveal;
use crate::{Store, StoreError, StoreResult};

/// A site's rooms by state.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct RoomCounts {
    /// Every room.
    pub total: i64,
    /// Beds in every room.
    pub beds: i64,
    /// Ready for people.
    pub vacant: i64,
    /// With people in them.
    pub occupied: i64,
    /// Left by their people, to be disinfected before the next.
    pub awaiting_disinfection: i64,
    /// Not in use.
    pub out_of_service: i64,
}

/// A site on the command's page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SiteLine {
    /// The site.
    #[schema(value_type = Object)]
    pub site: Site,
    /// Its rooms.
    pub rooms: RoomCounts,
    /// People in rooms now.
    pub people_in_rooms: i64,
    /// The site's page in numbers, as far as the caller's role sees it.
    pub glance: Glance,
}

/// A site's page in numbers, for the command's page of every site: each
/// `None` where the caller's role does not see that part.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Glance {
    /// People with a test today and no result yet.
    pub due_today: Option<usize>,
    /// Test days gone by without a result.
    pub missing_results: Option<usize>,
    /// People with a positive result.
    pub positives: Option<i64>,
    /// Transfers not yet handed over.
    pub transfers_under_way: Option<i64>,
    /// Last on-site day today or tomorrow.
    pub releases: Option<usize>,
    /// Released, still monitored at home.
    pub at_home: Option<usize>,
    /// Birthdays today or tomorrow.
    pub birthdays: Option<usize>,
}

impl Glance {
    fn of(d: &Dashboard) -> Glance {
        let len = |l: &Option<Vec<Named>>| l.as_ref().map(Vec::len);
        Glance {
            due_today: len(&d.due_today),
            missing_results: len(&d.missing_results),
            positives: d.positives,
            transfers_under_way: d.transfers_under_way,
            releases: len(&d.releases),
            at_home: len(&d.at_home),
            birthdays: len(&d.birthdays),
        }
    }
}

/// A room as the site's page lists it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RoomLine {
    /// Its id.
    pub id: i64,
    /// The floor.
    pub floor: i64,
    /// Its number, e.g. 305.
    pub number: String,
    /// Beds.
    pub capacity: i64,
    /// vacant, occupied, awaiting-disinfection or out-of-service.
    pub state: String,
    /// People in it now.
    pub people: i64,
}

/// A batch on the site's page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BatchLine {
    /// The batch.
    #[schema(value_type = Object)]
    pub batch: Batch,
    /// Its day 0, the local date of arrival.
    pub arrival_date: NaiveDate,
    /// People on its manifest.
    pub people: usize,
    /// Of them, in a room now.
    pub in_rooms: usize,
}

/// Someone on a list of the day: a release or a birthday.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Named {
    /// The person's id (for a page's forms; it proves nothing: every write checks the site).
    pub id: i64,
    /// The name in its own script.
    pub name: String,
    /// The name in Latin letters.
    pub name_latin: String,
    /// The room, if in one.
    pub room: Option<String>,
    /// The batch.
    pub batch: String,
    /// The day it is about.
    pub date: NaiveDate,
}

/// A site's page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    /// The site.
    #[schema(value_type = Object)]
    pub site: Site,
    /// Today in the site's zone.
    pub today: NaiveDate,
    /// Its rooms by state.
    pub rooms: RoomCounts,
    /// Its batches, newest first.
    pub batches: Vec<BatchLine>,
    /// People whose on-site phase ends today or tomorrow (released after their last on-site day);
    /// none for a role that does not see releases.
    pub releases: Option<Vec<Named>>,
    /// People released and handed over whose home monitoring has not ended,
    /// dated by its last day; none for a role that does not see releases.
    pub at_home: Option<Vec<Named>>,
    /// Birthdays today or tomorrow; none for a role that does not see care needs.
    pub birthdays: Option<Vec<Named>>,
    /// People with a test day of their policy today; none for a role that does not see tests.
    pub tests_due_today: Option<usize>,
    /// The CDC group's list for today: people on site with a test today and no result yet.
    pub due_today: Option<Vec<Named>>,
    /// Test days gone by (before today) of people still on site that have no result: flagged.
    pub missing_results: Option<Vec<Named>>,
    /// People with a positive result over the site's stays; none for a role that does not see tests.
    pub positives: Option<i64>,
    /// Transfers not yet handed over to a hospital; none for a role that does not see transfers.
    pub transfers_under_way: Option<i64>,
    /// Health alerts not yet acknowledged; none for a role that does not see health checks.
    pub health_alerts: Option<i64>,
    /// Requests not yet done of the kinds the role handles; none for a role that does not see requests.
    pub open_requests: Option<i64>,
}

impl Store {
    /// The sites the actor has a role at (every site for the command), with their rooms.
    pub async fn sites(&self, actor: &Actor) -> StoreResult<Vec<SiteLine>> {
        if !cordon_domain::quarantine::site::may_list_sites(actor) {
            return Err(StoreError::Forbidden);
        }
        let only: Option<i64> = match &actor.scope {
            Scope::Site { id } => Some(*id),
            _ => None,
        };
        let rows: Vec<SiteRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT id, name, zone, state FROM sites s WHERE ($1 IS NULL OR id = $1) \
                 AND EXISTS (SELECT 1 FROM site_rooms r WHERE r.site_id = s.id) ORDER BY name",
            )
            .bind(only)
            .fetch_all(p)
            .await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            // The site's page already counts its rooms and who is in them.
            let d = self.site_dashboard(actor, row.id).await?;
            let people_in_rooms = d.batches.iter().map(|b| b.in_rooms as i64).sum();
            out.push(SiteLine { glance: Glance::of(&d), rooms: d.rooms, people_in_rooms, site: d.site });
        }
        Ok(out)
    }

    /// A site's rooms, by floor and number, for a role that sees rooms.
    pub async fn site_rooms(&self, actor: &Actor, site_id: i64) -> StoreResult<Vec<RoomLine>> {
        self.site_role_that(actor, site_id, |r| r.may_see(Sight::Rooms)).await?;
        self.room_lines(site_id).await
    }

    async fn room_lines(&self, site_id: i64) -> StoreResult<Vec<RoomLine>> {
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT r.id, r.floor, r.number, r.capacity, r.state, \
                 (SELECT COUNT(*) FROM quarantined q WHERE q.room_id = r.id) AS people \
                 FROM site_rooms r WHERE r.site_id = $1 ORDER BY r.floor, r.number",
            )
            .bind(site_id)
            .fetch_all(p)
            .await?
        }))
    }

    /// A site's batches, newest first, for anyone with a role at the site.
    pub async fn batches(&self, actor: &Actor, site_id: i64) -> StoreResult<Vec<Batch>> {
        self.site_role(actor, site_id).await?;
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT id, site_id, name, policy, arrived_at, transport, origin FROM arrival_batches \
                 WHERE site_id = $1 ORDER BY arrived_at DESC, id DESC",
            )
            .bind(site_id)
            .fetch_all(p)
            .await?
        }))
    }

    /// A batch by id, for an actor with a role at its site; another site's is NotFound.
    pub async fn batch(&self, actor: &Actor, batch_id: i64) -> StoreResult<Batch> {
        let found: Option<Batch> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT id, site_id, name, policy, arrived_at, transport, origin FROM arrival_batches WHERE id = $1",
            )
            .bind(batch_id)
            .fetch_optional(p)
            .await?
        });
        let batch = found.ok_or(StoreError::NotFound)?;
        self.site_role(actor, batch.site_id).await?;
        Ok(batch)
    }

    /// A site's page: what each role sees of it.
    pub async fn site_dashboard(&self, actor: &Actor, site_id: i64) -> StoreResult<Dashboard> {
        let role = self.site_role(actor, site_id).await?;
        let site = self.site(actor, site_id).await?;
        let today = site.zone.date_of(self.now());
        let tomorrow = today + Duration::days(1);
        let rooms = self.room_lines(site_id).await?;
        let mut batches = Vec::new();
        let (mut releases, mut birthdays, mut due) = (Vec::new(), Vec::new(), 0usize);
        let (mut due_today, mut missing) = (Vec::new(), Vec::new());
        // Every result of the site, by person and day: what is due or missing is what has none.
        let results: Vec<(i64, NaiveDate)> = on_pool!(self, |p| {
            sqlx::query_as("SELECT person_id, day FROM stay_results WHERE site_id = $1")
                .bind(site_id)
                .fetch_all(p)
                .await?
        });
        let results: std::collections::HashSet<(i64, NaiveDate)> = results.into_iter().collect();
        let released = self.released(site_id).await?;
        let mut at_home = Vec::new();
        for batch in self.batches(actor, site_id).await? {
            let stays = self.compute_stays(&batch, site.zone, Reveal::Masked).await?;
            let policy = self.policy(&batch.policy).await?;
            let timeline = cordon_domain::quarantine::timeline::Timeline::new(batch.arrived_at, site.zone, &policy);
            let sees_rooms = role.may_see(Sight::Rooms);
            let named = |s: &Stay, date: NaiveDate| Named {
                id: s.id,
                name: s.name.clone(),
                name_latin: s.name_latin.clone(),
                room: s.room.clone().filter(|_| sees_rooms),
                batch: batch.name.clone(),
                date,
            };
            for s in &stays {
                // Someone who has left (for hospital) is not released from the site.
                if s.room.is_some() && (s.onsite_end == today || s.onsite_end == tomorrow) {
                    releases.push(named(s, s.onsite_end));
                }
                if released.contains(&s.id) && s.state != TimelineState::Ended {
                    at_home.push(named(s, s.home_end));
                }
                if let Some(day) = s.birthday_in_stay.filter(|d| *d == today || *d == tomorrow) {
                    birthdays.push(named(s, day));
                }
                let on_site = matches!(s.state, TimelineState::OnSite { .. });
                // Each person's own next test: an extended stay has its own test days.
                if on_site && s.room.is_some() && s.next_test == Some(today) {
                    due += 1;
                    if !results.contains(&(s.id, today)) {
                        due_today.push(named(s, today));
                    }
                }
                if on_site && s.room.is_some() {
                    for day in s.test_days.iter().filter(|d| **d < today && !results.contains(&(s.id, **d))) {
                        missing.push(named(s, *day));
                    }
                }
            }
            batches.push(BatchLine {
                arrival_date: timeline.arrival_date(),
                people: stays.len(),
                in_rooms: stays.iter().filter(|s| s.room.is_some()).count(),
                batch,
            });
        }
        let (positives, under_way): (i64, i64) = on_pool!(self, |p| {
            let positives = sqlx::query_scalar(
                "SELECT COUNT(DISTINCT person_id) FROM stay_results WHERE site_id = $1 AND result = 'positive'",
            )
            .bind(site_id)
            .fetch_one(p)
            .await?;
            let under_way = sqlx::query_scalar(
                "SELECT COUNT(*) FROM transfers WHERE site_id = $1 AND state IN ('opened', 'departed')",
            )
            .bind(site_id)
            .fetch_one(p)
            .await?;
            (positives, under_way)
        });
        let health_alerts = match role.may_see(Sight::HealthChecks) {
            true => Some(self.open_alert_count(site_id).await?),
            false => None,
        };
        let open_requests = match role.may_see(Sight::Requests) {
            true => Some(self.open_request_count(role, site_id).await?),
            false => None,
        };
        releases.sort_by(|a, b| (a.date, &a.room).cmp(&(b.date, &b.room)));
        birthdays.sort_by(|a, b| (a.date, &a.room).cmp(&(b.date, &b.room)));
        Ok(Dashboard {
            rooms: counts(&rooms),
            batches,
            releases: role.may_see(Sight::Releases).then_some(releases),
            at_home: role.may_see(Sight::Releases).then_some(at_home),
            birthdays: role.may_see(Sight::Care).then_some(birthdays),
            tests_due_today: role.may_see(Sight::TestResults).then_some(due),
            due_today: role.may_see(Sight::TestResults).then_some(due_today),
            missing_results: role.may_see(Sight::TestResults).then_some(missing),
            positives: role.may_see(Sight::TestResults).then_some(positives),
            transfers_under_way: role.may_see(Sight::Transfers).then_some(under_way),
            health_alerts,
            open_requests,
            today,
            site,
        })
    }
}

fn counts(rooms: &[RoomLine]) -> RoomCounts {
    let of = |state: RoomState| rooms.iter().filter(|r| r.state == state.as_str()).count() as i64;
    RoomCounts {
        total: rooms.len() as i64,
        beds: rooms.iter().map(|r| r.capacity).sum(),
        vacant: of(RoomState::Vacant),
        occupied: of(RoomState::Occupied),
        awaiting_disinfection: of(RoomState::AwaitingDisinfection),
        out_of_service: of(RoomState::OutOfService),
    }
}

//! Check-in: the people of a batch who have no room yet get one, by the
//! rooming plan (one person a room, declared groups together, manual moves),
//! all of them or, when rooms are short, none.

use cordon_domain::quarantine::manifest::{Passport, TravelGroup};
use cordon_domain::quarantine::rooming::{self, Lodger};
use cordon_domain::quarantine::site::{Room, RoomEvent, RoomNo, RoomState};
use cordon_domain::{Actor, Key};
use serde::Serialize;

use super::Batch;
use crate::{Store, StoreError, StoreResult};

/// What a check-in did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckIn {
    /// People given a room now.
    pub checked_in: usize,
    /// Rooms that were vacant and are occupied now.
    pub rooms: usize,
    /// People of the batch checked in before (some may have left since, for hospital or home).
    pub already_in: usize,
}

#[derive(sqlx::FromRow)]
struct Waiting {
    id: i64,
    passport: String,
    travel_group: Option<String>,
}

#[derive(sqlx::FromRow)]
struct VacantRoom {
    id: i64,
    floor: i64,
    number: String,
    capacity: i64,
}

impl Store {
    /// Checks in the batch's people who have no room, while the site is
    /// active. `moves` puts a person (by passport) in another vacant room
    /// than the plan chose. Two check-ins at once are taken one after the
    /// other under the site's lock, so nobody gets two rooms and no room
    /// more people than beds; the second finds nobody left to check in.
    pub async fn check_in(&self, actor: &Actor, batch: &Batch, moves: &[(Passport, RoomNo)]) -> StoreResult<CheckIn> {
        self.site_role_that(actor, batch.site_id, |r| r.keeps_roll()).await?;
        let done = on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            lock_site!(tx, p, batch.site_id).await?.check_in().map_err(StoreError::invalid)?;
            let waiting: Vec<Waiting> = sqlx::query_as(
                "SELECT id, passport, travel_group FROM quarantined WHERE batch_id = $1 AND site_id = $2 \
                 AND checked_in_at IS NULL ORDER BY id",
            )
            .bind(batch.id)
            .bind(batch.site_id)
            .fetch_all(&mut *tx)
            .await?;
            let already_in: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM quarantined WHERE batch_id = $1 AND site_id = $2 AND checked_in_at IS NOT NULL",
            )
            .bind(batch.id)
            .bind(batch.site_id)
            .fetch_one(&mut *tx)
            .await?;
            let vacant: Vec<VacantRoom> = sqlx::query_as(
                "SELECT r.id, r.floor, r.number, r.capacity FROM site_rooms r WHERE r.site_id = $1 AND r.state = 'vacant' \
                 AND NOT EXISTS (SELECT 1 FROM quarantined q WHERE q.room_id = r.id) ORDER BY r.floor, r.number",
            )
            .bind(batch.site_id)
            .fetch_all(&mut *tx)
            .await?;
            let rooms: Vec<Room> = vacant
                .iter()
                .filter_map(|r| {
                    Some(Room {
                        floor: i32::try_from(r.floor).ok()?,
                        number: RoomNo::parse(&r.number).ok()?,
                        capacity: u32::try_from(r.capacity).ok()?,
                    })
                })
                .collect();
            let lodgers: Vec<Lodger<i64>> = waiting
                .iter()
                .map(|w| Lodger {
                    person: w.id,
                    group: w.travel_group.as_deref().and_then(|g| TravelGroup::parse(g).ok()).map(|g| g.key()),
                })
                .collect();
            let mut plan = rooming::plan(&lodgers, &rooms).map_err(StoreError::invalid)?;
            for (passport, room) in moves {
                let person = waiting
                    .iter()
                    .find(|w| w.passport == passport.as_str())
                    .ok_or_else(|| StoreError::invalid(Key::QuarantinePersonNotInPlan))?;
                plan.move_person(&person.id, room).map_err(StoreError::invalid)?;
            }
            let mut occupied: Vec<&VacantRoom> = Vec::new();
            for (person, room) in plan.assignments() {
                let room = vacant.iter().find(|r| r.number == room.as_str()).expect("the plan uses the rooms given");
                // The token of the person's own page: kept if they had one, so a card printed stays good.
                let moved = sqlx::query(
                    "UPDATE quarantined SET room_id = $1, page_token = COALESCE(page_token, $2), checked_in_at = $3 \
                     WHERE id = $4 AND checked_in_at IS NULL",
                )
                .bind(room.id)
                .bind(crate::accounts::random_secret(16))
                .bind(self.now())
                .bind(*person)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if moved != 1 {
                    // Only possible if the lock above did not hold: refuse rather than double-book.
                    return Err(StoreError::conflict(Key::QuarantinePersonNotInPlan));
                }
                if !occupied.iter().any(|r| r.id == room.id) {
                    occupied.push(room);
                }
            }
            let next = RoomState::Vacant.apply(RoomEvent::Occupy).map_err(StoreError::invalid)?;
            for room in &occupied {
                sqlx::query("UPDATE site_rooms SET state = $1 WHERE id = $2")
                    .bind(next.as_str())
                    .bind(room.id)
                    .execute(&mut *tx)
                    .await?;
            }
            let done = CheckIn {
                checked_in: plan.assignments().len(),
                rooms: occupied.len(),
                already_in: already_in as usize,
            };
            if done.checked_in > 0 {
                audit_insert!(
                    &mut *tx,
                    crate::audit::NewEntry::new(self.now(), actor, "check-in", "arrival-batch", batch.id.to_string())
                        .after(serde_json::to_string(&done).unwrap_or_default())
                )?;
            }
            tx.commit().await?;
            done
        });
        Ok(done)
    }
}

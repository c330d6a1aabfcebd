//! A site created with its rooms from a rooms file, its steps (standby →
//! preparing → active → terminal disinfection → closed) and its rooms' steps
//! by hand (disinfected, out of service, back in use).

use std::collections::HashMap;

use cordon_domain::clock::Zone;
use cordon_domain::places::PlaceName;
use cordon_domain::quarantine::site::{Room, RoomEvent, RoomState, SiteEvent, SiteState};
use cordon_domain::{Actor, Key};
use serde::Serialize;

use crate::imports::{BadReason, Checker};
use crate::sheets::{ColumnSpec, Sheet};
use crate::{Store, StoreError, StoreResult};

/// The columns of a rooms file.
const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec { key: "floor", aliases: &["楼层", "floor"], required: true },
    ColumnSpec { key: "room", aliases: &["房号", "房间号", "room", "room_no"], required: true },
    ColumnSpec { key: "capacity", aliases: &["床位", "床位数", "capacity", "beds"], required: true },
];

/// What creating a site made.
#[derive(Debug, Clone, Serialize)]
pub struct SiteCreated {
    /// The new site's id.
    pub id: i64,
    /// How many rooms it has.
    pub rooms: usize,
    /// How many beds they hold.
    pub beds: u32,
}

/// The column of a rooms file a room's refusal is about.
fn column_of(key: Key) -> &'static str {
    match key {
        Key::QuarantineRoomFloor => "floor",
        Key::QuarantineRoomCapacity => "capacity",
        _ => "room",
    }
}

impl Store {
    /// Creates a site in standby with the rooms of a rooms file (楼层 floor,
    /// 房号 room, 床位 capacity); whole or nothing: every bad cell is
    /// reported and nothing is written. Only the command at city scope
    /// creates sites.
    pub async fn create_site(&self, actor: &Actor, name: &str, zone: &str, rooms: &Sheet) -> StoreResult<SiteCreated> {
        if !cordon_domain::quarantine::site::runs_sites(actor) {
            return Err(StoreError::Forbidden);
        }
        let name = PlaceName::parse(&crate::clean(name)).map_err(StoreError::invalid)?;
        let zone = Zone::parse(zone.trim())
            .ok_or_else(|| StoreError::invalid(Key::QuarantineZoneUnknown.with("zone", zone.trim())))?;
        let rooms = self.read_rooms(actor, rooms).await?;
        let beds = rooms.iter().map(|r| r.capacity).sum();
        let id = on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO sites (name, zone, state, created_at) VALUES ($1, $2, 'standby', $3) RETURNING id",
            )
            .bind(name.as_str().to_string())
            .bind(zone.name())
            .bind(self.now())
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::from)
            .map_err(|e| e.unique_as(Key::QuarantineSiteNameTaken.with("name", name.as_str())))?;
            for r in &rooms {
                sqlx::query("INSERT INTO site_rooms (site_id, floor, number, capacity) VALUES ($1, $2, $3, $4)")
                    .bind(id)
                    .bind(i64::from(r.floor))
                    .bind(r.number.as_str().to_string())
                    .bind(i64::from(r.capacity))
                    .execute(&mut *tx)
                    .await?;
            }
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(self.now(), actor, "create", "site", id.to_string()).after(
                    serde_json::json!({"name": name.as_str(), "zone": zone.name(), "rooms": rooms.len(), "beds": beds})
                        .to_string()
                )
            )?;
            tx.commit().await?;
            id
        });
        Ok(SiteCreated { id, rooms: rooms.len(), beds })
    }

    /// Every room of a rooms file, checked; a file with a bad cell is rejected whole.
    async fn read_rooms(&self, actor: &Actor, sheet: &Sheet) -> StoreResult<Vec<Room>> {
        let mut check = Checker::new(false);
        let Some(map) = check.columns_for(&sheet.headers, COLUMNS) else {
            return Err(self.reject(actor, None, check).await);
        };
        let mut rooms = Vec::with_capacity(sheet.rows.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for row in &sheet.rows {
            let cells = ["floor", "room", "capacity"].map(|k| check.required(row, &map, k));
            let [Some(floor), Some(number), Some(capacity)] = cells else { continue };
            match Room::parse(floor, number, capacity) {
                Ok(room) => match seen.get(room.number.as_str()) {
                    Some(first) => check.bad(row, &map, "room", BadReason::DuplicateInFile(*first)),
                    None => {
                        seen.insert(room.number.as_str().to_string(), row.number);
                        rooms.push(room);
                    }
                },
                Err(refusals) => {
                    for r in refusals {
                        check.bad(row, &map, column_of(r.key), BadReason::Refused(r));
                    }
                }
            }
        }
        self.finish_check(actor, None, check).await?;
        if rooms.is_empty() {
            return Err(StoreError::invalid(Key::QuarantineRoomsNone));
        }
        Ok(rooms)
    }

    /// Takes a step of a site's state machine: `prepare`, `activate` (with at
    /// least one usable room), `disinfect` (nobody left on site) or `close`.
    /// Two steps at once are taken one after the other; the second is
    /// judged on the state the first left.
    pub async fn step_site(&self, actor: &Actor, site_id: i64, step: &str) -> StoreResult<SiteState> {
        self.site_role_that(actor, site_id, |r| r.keeps_roll()).await?;
        let next = on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            let from = lock_site!(tx, p, site_id).await?;
            let event = match step {
                "prepare" => SiteEvent::Prepare,
                "activate" => {
                    let rooms: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM site_rooms WHERE site_id = $1 AND state <> 'out-of-service'",
                    )
                    .bind(site_id)
                    .fetch_one(&mut *tx)
                    .await?;
                    SiteEvent::Activate { rooms: rooms as usize }
                }
                "disinfect" => {
                    let people: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM quarantined WHERE site_id = $1 AND room_id IS NOT NULL",
                    )
                    .bind(site_id)
                    .fetch_one(&mut *tx)
                    .await?;
                    SiteEvent::BeginDisinfection { people_on_site: people as usize }
                }
                "close" => SiteEvent::Close,
                other => {
                    return Err(StoreError::invalid(
                        Key::QuarantineSiteStep.with("from", from.as_str()).with("event", other.to_string()),
                    ));
                }
            };
            let next = from.apply(&event).map_err(StoreError::invalid)?;
            sqlx::query("UPDATE sites SET state = $1 WHERE id = $2")
                .bind(next.as_str())
                .bind(site_id)
                .execute(&mut *tx)
                .await?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(self.now(), actor, "update", "site", site_id.to_string())
                    .before(serde_json::json!({"state": from.as_str()}).to_string())
                    .after(serde_json::json!({"state": next.as_str()}).to_string())
            )?;
            tx.commit().await?;
            next
        });
        Ok(next)
    }

    /// Takes a room's step by hand (`RoomEvent::by_hand`): disinfected, out of
    /// service, back in use. Under the site's lock, as check-in is, so a room
    /// is not taken out of service while someone is being put in it; two
    /// steps at once are judged one after the other, and the second is
    /// refused if the first changed the state it started from.
    pub async fn step_room(
        &self,
        actor: &Actor,
        site_id: i64,
        room_id: i64,
        event: RoomEvent,
    ) -> StoreResult<RoomState> {
        self.site_role_that(actor, site_id, |r| r.keeps_rooms()).await?;
        let next = on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            lock_site!(tx, p, site_id).await?;
            let room: Option<(String, String, i64)> = sqlx::query_as(
                "SELECT r.number, r.state, (SELECT COUNT(*) FROM quarantined q WHERE q.room_id = r.id) \
                 FROM site_rooms r WHERE r.id = $1 AND r.site_id = $2",
            )
            .bind(room_id)
            .bind(site_id)
            .fetch_optional(&mut *tx)
            .await?;
            let (number, from, people) = room.ok_or(StoreError::NotFound)?;
            let from = RoomState::parse(&from).ok_or_else(|| StoreError::Io(format!("room state {from}")))?;
            // The state machine already refuses an occupied room; the count
            // guards a room whose state and people disagree.
            if people > 0 {
                return Err(StoreError::invalid(
                    Key::QuarantineRoomStep.with("from", RoomState::Occupied.as_str()).with("event", event.key()),
                ));
            }
            let next = from.apply(event).map_err(StoreError::invalid)?;
            sqlx::query("UPDATE site_rooms SET state = $1 WHERE id = $2")
                .bind(next.as_str())
                .bind(room_id)
                .execute(&mut *tx)
                .await?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(self.now(), actor, "update", "site-room", room_id.to_string())
                    .before(serde_json::json!({"room": number, "state": from.as_str()}).to_string())
                    .after(serde_json::json!({"room": number, "state": next.as_str()}).to_string())
            )?;
            tx.commit().await?;
            next
        });
        Ok(next)
    }
}

//! Duty rosters (值守排班): a squad's shifts at the checkpoints of the
//! compounds it is posted to. The leader builds a week from a pattern (three
//! 8-hour shifts, say), with the squad's members taken in turn; then staffs
//! single shifts by hand. Everyone who may see the squad sees who is on duty
//! now; a member sees their own next shifts; the people on a shift leave a
//! handover note for the next.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use cordon_domain::clock::Zone;
use cordon_domain::duty::{ShiftPattern, is_empty_shift, on_duty, overlaps, rotate};
use cordon_domain::{Actor, Capability, Key};
use serde::Serialize;

use crate::squads::Squad;
use crate::{Store, StoreError, StoreResult};

/// A person on a shift.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OnShift {
    /// The cadre's id.
    pub cadre_id: i64,
    /// Name.
    pub name: String,
}

/// One shift at a checkpoint.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Shift {
    /// Its id.
    pub id: i64,
    /// The squad standing it.
    pub squad_id: i64,
    /// The checkpoint's id.
    pub checkpoint_id: i64,
    /// The checkpoint's name.
    pub checkpoint: String,
    /// Starts (inclusive).
    pub starts_at: DateTime<Utc>,
    /// Ends (exclusive).
    pub ends_at: DateTime<Utc>,
    /// Who stands it.
    pub members: Vec<OnShift>,
    /// The note left for the next shift.
    pub handover: String,
    /// Nobody is on it: flagged.
    pub empty: bool,
    /// It is running now.
    pub now: bool,
}

/// A checkpoint's part of a squad's roster.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckpointRoster {
    /// The checkpoint's id.
    pub id: i64,
    /// Its name, e.g. 东门.
    pub name: String,
    /// Its compound.
    pub compound: String,
    /// On duty now.
    pub on_duty: Vec<OnShift>,
    /// The shifts in the asked range, earliest first.
    pub shifts: Vec<Shift>,
}

/// A squad's roster over a range of days.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Roster {
    /// The squad's id.
    pub squad_id: i64,
    /// The squad's name.
    pub squad: String,
    /// The first local day shown.
    pub from: NaiveDate,
    /// How many days.
    pub days: u32,
    /// Per checkpoint of the squad's compounds.
    pub checkpoints: Vec<CheckpointRoster>,
    /// The squad's members, who can be put on shifts.
    pub members: Vec<OnShift>,
    /// Shifts in the range with nobody on them.
    pub empty_shifts: usize,
    /// The asking actor may build and staff this roster.
    pub editable: bool,
}

/// What building a roster takes: a pattern over some days from a first day.
#[derive(Debug, Clone)]
pub struct RosterPlan {
    /// The first local day.
    pub first_day: NaiveDate,
    /// How many days (1 to 14; a week is 7).
    pub days: u32,
    /// How a day is cut into shifts.
    pub pattern: ShiftPattern,
    /// People per shift at each checkpoint (0 builds empty shifts).
    pub per_shift: usize,
}

/// A shift of the member's own, as their phone lists it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MyShift {
    /// The shift's id.
    pub id: i64,
    /// The squad's id.
    pub squad_id: i64,
    /// The checkpoint.
    pub checkpoint: String,
    /// Its compound.
    pub compound: String,
    /// Starts.
    pub starts_at: DateTime<Utc>,
    /// Ends.
    pub ends_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ShiftRow {
    id: i64,
    squad_id: i64,
    checkpoint_id: i64,
    checkpoint: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    handover: String,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    shift_id: i64,
    cadre_id: i64,
    name: String,
}

/// A checkpoint of a squad's compounds: id, name, compound.
type CheckpointRow = (i64, String, String);

/// A shift's time: start (inclusive) and end (exclusive).
type Span = (DateTime<Utc>, DateTime<Utc>);

/// Who stands a shift already: checkpoint, start, end, cadre (none for an empty shift).
type StandingRow = (i64, DateTime<Utc>, DateTime<Utc>, Option<i64>);

/// Puts cadres on a shift inside a transaction of either engine.
macro_rules! put_on_shift {
    ($tx:ident, $shift:expr, $cadres:expr) => {
        for cadre in $cadres {
            sqlx::query("INSERT INTO shift_members (shift_id, cadre_id) VALUES ($1, $2)")
                .bind($shift)
                .bind(*cadre)
                .execute(&mut *$tx)
                .await?;
        }
    };
}

/// A standing member of a squad as a roster write sees them.
#[derive(sqlx::FromRow)]
struct RosterMember {
    cadre_id: i64,
    name: String,
    role: String,
}

/// Holds a squad's roster for a write, inside its transaction `$tx` on pool
/// `$p`: the squad's row, then its members' cadre rows (always in this
/// order, cadres by id, so two writers never wait on each other), and yields
/// the standing members as they are after the wait. An assembly moving a
/// member away holds that cadre's row too, so the two queue. A squad that
/// stood down meanwhile is closed. On SQLite `BEGIN IMMEDIATE` holds the
/// whole database already and `for_update` is empty.
macro_rules! lock_roster {
    ($tx:ident, $p:ident, $squad:expr) => {
        async {
            let squad: i64 = $squad;
            let lock = crate::db::for_update($p);
            let ended: Option<Option<DateTime<Utc>>> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT ended_at FROM squads WHERE id = $1{lock}")))
                    .bind(squad)
                    .fetch_optional(&mut *$tx)
                    .await?;
            match ended {
                None => return Err(StoreError::NotFound),
                Some(Some(_)) => return Err(StoreError::invalid(Key::DutyClosed)),
                Some(None) => {}
            }
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id FROM cadres WHERE id IN \
                 (SELECT cadre_id FROM squad_members WHERE squad_id = $1 AND active) ORDER BY id{lock}"
            )))
            .bind(squad)
            .fetch_all(&mut *$tx)
            .await?;
            // A statement of its own, after the locks: on PostgreSQL it sees
            // what committed while we waited (a statement that waited for a row
            // keeps its earlier snapshot for everything else it reads).
            let members: Vec<RosterMember> = sqlx::query_as(
                "SELECT m.cadre_id, c.name, m.role FROM squad_members m JOIN cadres c ON c.id = m.cadre_id \
                 WHERE m.squad_id = $1 AND m.active ORDER BY c.id",
            )
            .bind(squad)
            .fetch_all(&mut *$tx)
            .await?;
            Ok::<_, StoreError>(members)
        }
        .await
    };
}

/// The shifts a build adds: every (slot, checkpoint) not on the roster yet,
/// staffed in turn without whoever stands another shift of the squad at that
/// time. A slot that overlaps a different existing shift at its checkpoint
/// refuses the whole build.
fn new_shifts(
    slots: &[Span],
    checkpoints: &[CheckpointRow],
    existing: &[StandingRow],
    members: &[RosterMember],
    per_shift: usize,
) -> StoreResult<Vec<(i64, Span, Vec<i64>)>> {
    for slot in slots {
        for (cp, name, _) in checkpoints {
            let clash = existing.iter().find(|(c, s, e, _)| c == cp && (*s, *e) != *slot && overlaps((*s, *e), *slot));
            if let Some((_, s, e, _)) = clash {
                return Err(StoreError::conflict(
                    Key::DutyOverlap.with("checkpoint", name).with("from", *s).with("to", *e),
                ));
            }
        }
    }
    // The leader and the secretary run the squad; the members stand the gates first.
    let rank = |role: &str| match role {
        "member" => 0,
        "secretary" => 1,
        _ => 2,
    };
    let mut people: Vec<(u8, i64)> = members.iter().map(|m| (rank(&m.role), m.cadre_id)).collect();
    people.sort();
    let people: Vec<i64> = people.into_iter().map(|(_, id)| id).collect();
    let staffing = rotate(slots.len(), checkpoints.len(), &people, per_shift);
    let mut new = Vec::new();
    for (slot, at_checkpoints) in slots.iter().zip(&staffing) {
        for ((cp, _, _), on_it) in checkpoints.iter().zip(at_checkpoints) {
            if existing.iter().any(|(c, s, e, _)| c == cp && (*s, *e) == *slot) {
                continue;
            }
            let busy = |m: &i64| existing.iter().any(|(_, s, e, who)| *who == Some(*m) && overlaps((*s, *e), *slot));
            new.push((*cp, *slot, on_it.iter().copied().filter(|m| !busy(m)).collect()));
        }
    }
    Ok(new)
}

/// A shift's own columns, with its checkpoint's name (`ShiftRow`).
const SHIFT_SELECT: &str = "SELECT s.id, s.squad_id, s.checkpoint_id, k.name AS checkpoint, s.starts_at, s.ends_at, \
     s.handover FROM shifts s JOIN checkpoints k ON k.id = s.checkpoint_id";

/// Keeps line breaks (a handover note has several lines) but no other control characters.
fn clean_note(s: &str) -> String {
    s.trim().lines().map(crate::clean).collect::<Vec<_>>().join("\n")
}

/// Whether an actor may build and staff a squad's roster (the domain's rule;
/// the scope is the squad lookup's).
pub fn may_edit_roster(actor: &Actor, squad: &Squad) -> bool {
    cordon_domain::duty::may_edit_roster(actor, squad.ended_at.is_some())
}

impl Store {
    /// The squad, if the actor may change its roster: the roster editors
    /// (leader, unit, command) of a squad still posted, within their scope.
    async fn roster_editable(&self, actor: &Actor, squad_id: i64) -> StoreResult<Squad> {
        let squad = self.squad(actor, squad_id).await?;
        if !actor.can(Capability::EditRosters) {
            return Err(StoreError::Forbidden);
        }
        if !may_edit_roster(actor, &squad) {
            return Err(StoreError::invalid(Key::DutyClosed));
        }
        Ok(squad)
    }

    pub(crate) async fn squad_checkpoints(&self, squad_id: i64) -> StoreResult<Vec<CheckpointRow>> {
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT k.id, k.name, c.name FROM squad_postings sp JOIN places c ON c.id = sp.compound_id \
                 JOIN checkpoints k ON k.compound_id = c.id WHERE sp.squad_id = $1 ORDER BY c.name, k.id",
            )
            .bind(squad_id)
            .fetch_all(p)
            .await?
        }))
    }

    /// Builds shifts for every checkpoint of the squad's compounds from a
    /// pattern, staffing them in turn. Shifts already on the roster at the
    /// same checkpoint and times are kept as they are (so a checkpoint added
    /// later gets its shifts when the week is built again); a new shift that
    /// would overlap a different existing one refuses the whole build.
    /// Returns how many were made.
    pub async fn build_roster(
        &self,
        actor: &Actor,
        squad_id: i64,
        plan: &RosterPlan,
        zone: Zone,
    ) -> StoreResult<usize> {
        self.roster_editable(actor, squad_id).await?;
        if !(1..=14).contains(&plan.days) {
            return Err(StoreError::invalid(Key::DutyBadDays));
        }
        if plan.per_shift > 50 {
            return Err(StoreError::invalid(Key::DutyBadPerShift));
        }
        if !(2000..=2200).contains(&plan.first_day.year()) {
            return Err(StoreError::invalid(Key::DutyBadDay));
        }
        let checkpoints = self.squad_checkpoints(squad_id).await?;
        if checkpoints.is_empty() {
            return Err(StoreError::invalid(Key::DutyNoCheckpoints));
        }
        let slots = plan.pattern.shifts(plan.first_day, plan.days, zone);
        let (from, to) = (slots[0].0, slots[slots.len() - 1].1);
        let now = self.now();
        // Everything the build depends on is read inside its write transaction,
        // with the roster held: a second identical build waits for the first,
        // then finds its shifts and makes nothing (200), rather than meeting
        // them at the UNIQUE constraint (409).
        let made = on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            let members = lock_roster!(tx, p, squad_id)?;
            // Who already stands what in the range, per checkpoint (a shift with nobody has no cadre).
            let existing: Vec<StandingRow> = sqlx::query_as(
                "SELECT s.checkpoint_id, s.starts_at, s.ends_at, sm.cadre_id FROM shifts s \
                 LEFT JOIN shift_members sm ON sm.shift_id = s.id \
                 WHERE s.squad_id = $1 AND s.starts_at < $2 AND s.ends_at > $3",
            )
            .bind(squad_id)
            .bind(to)
            .bind(from)
            .fetch_all(&mut *tx)
            .await?;
            let new = new_shifts(&slots, &checkpoints, &existing, &members, plan.per_shift)?;
            for (cp, slot, members) in &new {
                // The roster is held, so this cannot collide; the UNIQUE constraint stays the last word.
                let shift: i64 = sqlx::query_scalar(
                    "INSERT INTO shifts (squad_id, checkpoint_id, starts_at, ends_at) VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(squad_id)
                .bind(*cp)
                .bind(slot.0)
                .bind(slot.1)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::from(e).unique_as(Key::DutyChanged))?;
                put_on_shift!(tx, shift, members);
            }
            let made = new.len();
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(now, actor, "build", "roster", squad_id.to_string()).after(
                    serde_json::json!({"first_day": plan.first_day, "days": plan.days, "per_shift": plan.per_shift,
                        "shifts": made, "kept": slots.len() * checkpoints.len() - made})
                    .to_string()
                )
            )?;
            tx.commit().await?;
            Ok::<_, StoreError>(made)
        })?;
        Ok(made)
    }

    /// Takes off the roster every shift of the squad that starts on or after
    /// the local day `from` and has not begun yet (to rebuild it with another
    /// pattern); shifts that have begun stay on record. Returns how many went.
    pub async fn clear_roster(&self, actor: &Actor, squad_id: i64, from: NaiveDate, zone: Zone) -> StoreResult<u64> {
        self.roster_editable(actor, squad_id).await?;
        if !(2000..=2200).contains(&from.year()) {
            return Err(StoreError::invalid(Key::DutyBadDay));
        }
        let cut = zone.instant(from.and_time(chrono::NaiveTime::MIN)).max(self.now());
        Ok(on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            let gone = sqlx::query("DELETE FROM shifts WHERE squad_id = $1 AND starts_at >= $2")
                .bind(squad_id)
                .bind(cut)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(self.now(), actor, "clear", "roster", squad_id.to_string())
                    .after(serde_json::json!({"from": from, "shifts": gone}).to_string())
            )?;
            tx.commit().await?;
            gone
        }))
    }

    /// A squad's roster for `days` local days from `from`, with who is on duty at `now`.
    pub async fn roster(
        &self,
        actor: &Actor,
        squad_id: i64,
        from: NaiveDate,
        days: u32,
        zone: Zone,
        now: DateTime<Utc>,
    ) -> StoreResult<Roster> {
        let squad = self.squad(actor, squad_id).await?;
        let days = days.clamp(1, 14);
        let last = from.checked_add_days(chrono::Days::new(u64::from(days)));
        let Some(last) = last.filter(|d| d.year() < 9999 && from.year() > 1) else {
            return Err(StoreError::invalid(Key::DutyBadDay));
        };
        let start = zone.instant(from.and_time(chrono::NaiveTime::MIN));
        let end = zone.instant(last.and_time(chrono::NaiveTime::MIN));
        let checkpoints = self.squad_checkpoints(squad_id).await?;
        // The range shown, and whatever runs now even if it started before the range.
        let (rows, members): (Vec<ShiftRow>, Vec<MemberRow>) = on_pool!(self, |p| {
            let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{SHIFT_SELECT} WHERE s.squad_id = $1 \
                     AND ((s.starts_at < $2 AND s.ends_at > $3) OR (s.starts_at <= $4 AND s.ends_at > $4)) \
                     ORDER BY s.starts_at, s.checkpoint_id"
            )))
            .bind(squad_id)
            .bind(end)
            .bind(start)
            .bind(now)
            .fetch_all(p)
            .await?;
            let members = sqlx::query_as(
                "SELECT sm.shift_id, sm.cadre_id, c.name FROM shift_members sm JOIN shifts s ON s.id = sm.shift_id \
                 JOIN cadres c ON c.id = sm.cadre_id WHERE s.squad_id = $1 \
                 AND ((s.starts_at < $2 AND s.ends_at > $3) OR (s.starts_at <= $4 AND s.ends_at > $4)) ORDER BY c.id",
            )
            .bind(squad_id)
            .bind(end)
            .bind(start)
            .bind(now)
            .fetch_all(p)
            .await?;
            (rows, members)
        });
        let shifts: Vec<Shift> = rows.into_iter().map(|r| shift_of(r, &members, now)).collect();
        let empty_shifts = shifts.iter().filter(|s| s.empty && s.starts_at < end && s.ends_at > start).count();
        let checkpoints = checkpoints
            .into_iter()
            .map(|(id, name, compound)| {
                let here: Vec<Shift> = shifts.iter().filter(|s| s.checkpoint_id == id).cloned().collect();
                CheckpointRoster {
                    id,
                    name,
                    compound,
                    on_duty: here.iter().filter(|s| s.now).flat_map(|s| s.members.clone()).collect(),
                    shifts: here.into_iter().filter(|s| s.starts_at < end && s.ends_at > start).collect(),
                }
            })
            .collect();
        Ok(Roster {
            squad_id,
            editable: may_edit_roster(actor, &squad),
            squad: squad.name,
            from,
            days,
            checkpoints,
            members: squad.members.into_iter().map(|m| OnShift { cadre_id: m.cadre_id, name: m.name }).collect(),
            empty_shifts,
        })
    }

    /// One shift with the squad it belongs to, if the actor may see the squad.
    pub async fn shift(&self, actor: &Actor, shift_id: i64, now: DateTime<Utc>) -> StoreResult<(Squad, Shift)> {
        // The role first: whether a shift exists is nobody else's business.
        if !actor.can(Capability::ViewSquads) {
            return Err(StoreError::Forbidden);
        }
        let (row, members): (Option<ShiftRow>, Vec<MemberRow>) = on_pool!(self, |p| {
            let row = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SHIFT_SELECT} WHERE s.id = $1")))
                .bind(shift_id)
                .fetch_optional(p)
                .await?;
            let members = sqlx::query_as(
                "SELECT sm.shift_id, sm.cadre_id, c.name FROM shift_members sm JOIN cadres c ON c.id = sm.cadre_id \
                 WHERE sm.shift_id = $1 ORDER BY c.id",
            )
            .bind(shift_id)
            .fetch_all(p)
            .await?;
            (row, members)
        });
        let row = row.ok_or(StoreError::NotFound)?;
        let squad = self.squad(actor, row.squad_id).await?;
        Ok((squad, shift_of(row, &members, now)))
    }

    /// Puts these squad members on a shift (and takes everyone else off it).
    /// Nobody can stand two shifts that overlap, at any checkpoint: checked
    /// inside the write transaction with the squad's and the cadres' rows
    /// held, so two requests putting one person on two overlapping shifts at
    /// once cannot both pass.
    pub async fn staff_shift(&self, actor: &Actor, shift_id: i64, cadre_ids: &[i64]) -> StoreResult<()> {
        let (squad, _) = self.shift(actor, shift_id, self.now()).await?;
        let squad = self.roster_editable(actor, squad.id).await?;
        let mut ids = cadre_ids.to_vec();
        ids.sort();
        ids.dedup();
        let now = self.now();
        on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            let members = lock_roster!(tx, p, squad.id)?;
            // The shift as it stands now: a clear of the roster may have taken it meanwhile.
            let span: Option<Span> =
                sqlx::query_as("SELECT starts_at, ends_at FROM shifts WHERE id = $1 AND squad_id = $2")
                    .bind(shift_id)
                    .bind(squad.id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let (starts_at, ends_at) = span.ok_or(StoreError::NotFound)?;
            for id in &ids {
                let Some(m) = members.iter().find(|m| m.cadre_id == *id) else {
                    return Err(StoreError::invalid(Key::DutyNotMember));
                };
                let clash: Option<(String, DateTime<Utc>)> = sqlx::query_as(
                    "SELECT k.name, s.starts_at FROM shift_members sm JOIN shifts s ON s.id = sm.shift_id \
                     JOIN checkpoints k ON k.id = s.checkpoint_id JOIN squads q ON q.id = s.squad_id \
                     WHERE sm.cadre_id = $1 AND s.id <> $2 AND s.starts_at < $3 AND s.ends_at > $4 \
                     AND q.ended_at IS NULL ORDER BY s.starts_at LIMIT 1",
                )
                .bind(*id)
                .bind(shift_id)
                .bind(ends_at)
                .bind(starts_at)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((at, start)) = clash {
                    return Err(StoreError::conflict(
                        Key::DutyClash.with("name", &m.name).with("checkpoint", at).with("from", start),
                    ));
                }
            }
            let before: Vec<i64> =
                sqlx::query_scalar("SELECT cadre_id FROM shift_members WHERE shift_id = $1 ORDER BY cadre_id")
                    .bind(shift_id)
                    .fetch_all(&mut *tx)
                    .await?;
            sqlx::query("DELETE FROM shift_members WHERE shift_id = $1").bind(shift_id).execute(&mut *tx).await?;
            put_on_shift!(tx, shift_id, &ids);
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(now, actor, "staff", "shift", shift_id.to_string())
                    .before(serde_json::json!({"members": before}).to_string())
                    .after(serde_json::json!({"members": ids}).to_string())
            )?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        Ok(())
    }

    /// Writes a shift's handover note: a roster editor, or someone standing that shift.
    pub async fn write_handover(&self, actor: &Actor, shift_id: i64, note: &str) -> StoreResult<()> {
        let (squad, shift) = self.shift(actor, shift_id, self.now()).await?;
        let on_it = actor.cadre_id.is_some_and(|c| shift.members.iter().any(|m| m.cadre_id == c));
        if !on_it {
            self.roster_editable(actor, squad.id).await?;
        }
        let note = clean_note(note);
        if note.chars().count() > 1000 {
            return Err(StoreError::invalid(Key::DutyHandoverLong));
        }
        on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            sqlx::query("UPDATE shifts SET handover = $1 WHERE id = $2")
                .bind(note.clone())
                .bind(shift_id)
                .execute(&mut *tx)
                .await?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(self.now(), actor, "handover", "shift", shift_id.to_string())
                    .before(serde_json::json!({"handover": shift.handover}).to_string())
                    .after(serde_json::json!({"handover": note}).to_string())
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The actor's own shifts that have not ended, earliest first (none for an
    /// account that is not tied to a cadre).
    pub async fn my_shifts(&self, actor: &Actor, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<MyShift>> {
        let Some(cadre) = actor.cadre_id else {
            return Ok(vec![]);
        };
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT s.id, s.squad_id, k.name AS checkpoint, c.name AS compound, s.starts_at, s.ends_at \
                 FROM shift_members sm JOIN shifts s ON s.id = sm.shift_id JOIN squads q ON q.id = s.squad_id \
                 JOIN checkpoints k ON k.id = s.checkpoint_id JOIN places c ON c.id = k.compound_id \
                 WHERE sm.cadre_id = $1 AND s.ends_at > $2 AND q.ended_at IS NULL ORDER BY s.starts_at LIMIT $3",
            )
            .bind(cadre)
            .bind(now)
            .bind(limit)
            .fetch_all(p)
            .await?
        }))
    }
}

fn shift_of(r: ShiftRow, members: &[MemberRow], now: DateTime<Utc>) -> Shift {
    let people: Vec<OnShift> = members
        .iter()
        .filter(|m| m.shift_id == r.id)
        .map(|m| OnShift { cadre_id: m.cadre_id, name: m.name.clone() })
        .collect();
    Shift {
        id: r.id,
        squad_id: r.squad_id,
        checkpoint_id: r.checkpoint_id,
        checkpoint: r.checkpoint,
        empty: is_empty_shift(people.len()),
        now: on_duty(r.starts_at, r.ends_at, now),
        starts_at: r.starts_at,
        ends_at: r.ends_at,
        handover: r.handover,
        members: people,
    }
}

//! Squads (包保小分队): the cadres an assembled order posted to its compounds,
//! with their leader, branch secretary and liaisons. A squad is visible to
//! its unit, to the command, and to place scopes that hold one of its
//! compounds; the scope is applied in the query (`SQUAD_SCOPE`), and a list
//! of squads costs the same few queries whatever its length.

mod export;
mod liaisons;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cordon_domain::squads::can_form_branch;
use cordon_domain::{Actor, Capability, Scope};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

/// A squad member.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SquadMember {
    /// The cadre's id.
    pub cadre_id: i64,
    /// Name.
    pub name: String,
    /// Position.
    pub position: String,
    /// leader, secretary or member.
    pub role: String,
    /// Formal party member.
    pub party_member: bool,
    /// Has a training record.
    pub trained: bool,
}

/// A street or community contact of a squad.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Liaison {
    /// Its id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Their role, e.g. 社区书记.
    pub role: String,
    /// Phone.
    pub phone: String,
}

/// A squad with its members and postings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Squad {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The unit's id.
    pub unit_id: i64,
    /// The unit's name.
    pub unit: String,
    /// Members, leader first.
    pub members: Vec<SquadMember>,
    /// The compounds it is posted to.
    pub compounds: Vec<String>,
    /// At least three formal party members: it can form its temporary branch.
    pub branch_can_form: bool,
    /// When it ended, if it has.
    pub ended_at: Option<DateTime<Utc>>,
    /// Street and community contacts.
    pub liaisons: Vec<Liaison>,
    /// How many members have no training on record.
    pub untrained: usize,
    /// Members on a shift now, at any of its checkpoints.
    pub on_duty: i64,
}

/// A squad's own columns: id, name, unit id, unit name, end.
type SquadRow = (i64, String, i64, String, Option<DateTime<Utc>>);

/// The binds of the posting scope (`SQUAD_SCOPE`, and the orders' scope):
/// `$1` the unit (NULL: any), `$2` a flag that nothing is visible, `$3,$4` a
/// place range that one of the compounds must lie in (NULL: any).
pub(crate) fn posting_binds(actor: &Actor) -> (Option<i64>, i64, Option<String>, Option<String>) {
    match &actor.scope {
        Scope::City => (None, 0, None, None),
        Scope::Unit { id } => (Some(*id), 0, None, None),
        Scope::Place { path, .. } => {
            let (a, b) = path.range();
            (None, 0, Some(a), Some(b))
        }
        Scope::Site { .. } => (None, 1, None, None),
    }
}

/// The squads the actor may see, by `posting_binds`.
const SQUAD_SCOPE: &str = "($1 IS NULL OR s.unit_id = $1) AND $2 = 0 AND ($3 IS NULL OR EXISTS (\
     SELECT 1 FROM squad_postings sp JOIN places p ON p.id = sp.compound_id \
     WHERE sp.squad_id = s.id AND p.path >= $3 AND p.path < $4))";

const SQUAD_SELECT: &str =
    "SELECT s.id, s.name, s.unit_id, u.name, s.ended_at FROM squads s JOIN units u ON u.id = s.unit_id";

/// `SELECT … WHERE <column> IN (ids)` for up to 500 ids at a time, on either engine.
macro_rules! rows_for_ids {
    ($p:expr, $row:ty, $head:expr, $column:expr, $tail:expr, $ids:expr) => {
        async {
            let mut out: Vec<$row> = Vec::new();
            for chunk in $ids.chunks(500) {
                let mut qb = sqlx::QueryBuilder::new(format!("{} WHERE {} IN (", $head, $column));
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                qb.push(") ");
                qb.push($tail);
                out.extend(qb.build_query_as::<$row>().fetch_all($p).await?);
            }
            Ok::<_, StoreError>(out)
        }
        .await
    };
}

impl Store {
    /// A squad, if the actor may see it.
    pub async fn squad(&self, actor: &Actor, id: i64) -> StoreResult<Squad> {
        self.squads_where(actor, Some(id)).await?.pop().ok_or(StoreError::NotFound)
    }

    /// Every squad the actor may see, newest first.
    pub async fn squads(&self, actor: &Actor) -> StoreResult<Vec<Squad>> {
        self.squads_where(actor, None).await
    }

    /// The squads in scope (one, or all), completed in four more queries.
    async fn squads_where(&self, actor: &Actor, only: Option<i64>) -> StoreResult<Vec<Squad>> {
        if !actor.can(Capability::ViewSquads) {
            return Err(StoreError::Forbidden);
        }
        let (unit, none, a, b) = posting_binds(actor);
        let now = self.now();
        type MemberRow = (i64, i64, String, String, String, bool, bool);
        let (rows, members, postings, liaisons, on_duty) = on_pool!(self, |p| {
            let rows: Vec<SquadRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{SQUAD_SELECT} WHERE {SQUAD_SCOPE} AND ($5 IS NULL OR s.id = $5) ORDER BY s.id DESC"
            )))
            .bind(unit)
            .bind(none)
            .bind(a)
            .bind(b)
            .bind(only)
            .fetch_all(p)
            .await?;
            let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
            let members = rows_for_ids!(
                p,
                MemberRow,
                "SELECT m.squad_id, m.cadre_id, c.name, c.position, m.role, c.party_member, \
                 EXISTS (SELECT 1 FROM trainings t WHERE t.cadre_id = c.id) AS trained \
                 FROM squad_members m JOIN cadres c ON c.id = m.cadre_id",
                "m.squad_id",
                "ORDER BY m.squad_id, CASE m.role WHEN 'leader' THEN 0 WHEN 'secretary' THEN 1 ELSE 2 END, c.id",
                ids
            )?;
            let postings = rows_for_ids!(
                p,
                (i64, String),
                "SELECT sp.squad_id, p.name FROM squad_postings sp JOIN places p ON p.id = sp.compound_id",
                "sp.squad_id",
                "ORDER BY sp.squad_id, p.name",
                ids
            )?;
            let liaisons = rows_for_ids!(
                p,
                (i64, i64, String, String, String),
                "SELECT squad_id, id, name, role, phone FROM liaisons",
                "squad_id",
                "ORDER BY squad_id, id",
                ids
            )?;
            // People on a shift now: the squad's own shifts running at `now`.
            let mut on_duty: Vec<(i64, i64)> = Vec::new();
            for chunk in ids.chunks(500) {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT s.squad_id, COUNT(DISTINCT sm.cadre_id) FROM shift_members sm \
                     JOIN shifts s ON s.id = sm.shift_id WHERE s.starts_at <= ",
                );
                qb.push_bind(now).push(" AND s.ends_at > ").push_bind(now).push(" AND s.squad_id IN (");
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                qb.push(") GROUP BY s.squad_id");
                on_duty.extend(qb.build_query_as::<(i64, i64)>().fetch_all(p).await?);
            }
            (rows, members, postings, liaisons, on_duty)
        });
        let mut members_of: HashMap<i64, Vec<SquadMember>> = HashMap::new();
        for (squad, cadre_id, name, position, role, party_member, trained) in members {
            members_of.entry(squad).or_default().push(SquadMember {
                cadre_id,
                name,
                position,
                role,
                party_member,
                trained,
            });
        }
        let mut compounds_of: HashMap<i64, Vec<String>> = HashMap::new();
        for (squad, name) in postings {
            compounds_of.entry(squad).or_default().push(name);
        }
        let mut liaisons_of: HashMap<i64, Vec<Liaison>> = HashMap::new();
        for (squad, id, name, role, phone) in liaisons {
            liaisons_of.entry(squad).or_default().push(Liaison { id, name, role, phone });
        }
        let on_duty: HashMap<i64, i64> = on_duty.into_iter().collect();
        Ok(rows
            .into_iter()
            .map(|(id, name, unit_id, unit, ended_at)| {
                let members = members_of.remove(&id).unwrap_or_default();
                Squad {
                    id,
                    name,
                    unit_id,
                    unit,
                    untrained: members.iter().filter(|m| !m.trained).count(),
                    branch_can_form: can_form_branch(members.iter().map(|m| m.party_member)),
                    members,
                    compounds: compounds_of.remove(&id).unwrap_or_default(),
                    liaisons: liaisons_of.remove(&id).unwrap_or_default(),
                    // A stood-down squad stands no shift.
                    on_duty: if ended_at.is_some() { 0 } else { on_duty.get(&id).copied().unwrap_or(0) },
                    ended_at,
                }
            })
            .collect())
    }

    /// The squad the actor's own cadre is posted with now, if any.
    pub async fn my_squad(&self, actor: &Actor) -> StoreResult<Option<i64>> {
        let Some(cadre) = actor.cadre_id else {
            return Ok(None);
        };
        Ok(on_pool!(self, |p| {
            sqlx::query_scalar("SELECT squad_id FROM squad_members WHERE cadre_id = $1 AND active")
                .bind(cadre)
                .fetch_optional(p)
                .await?
        }))
    }
}

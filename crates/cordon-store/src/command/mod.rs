//! The command's picture of the compound guarantee: per street, unit and
//! compound, who is posted and who is on duty now, in the actor's scope.

mod dashboard;

use cordon_domain::{Actor, Capability};
pub use dashboard::{Counts, Dashboard, EmptyGate, WaitingOrder};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

/// A unit's part in the guarantee.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct UnitLine {
    /// The unit.
    pub unit: String,
    /// Cadres on file.
    pub cadres: i64,
    /// Cadres in squads now.
    pub drawn: i64,
    /// Squads now.
    pub squads: i64,
    /// Cadres on a shift now.
    pub on_duty: i64,
}

/// A compound and who guards it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompoundLine {
    /// The compound's id.
    pub id: i64,
    /// Its control status (sealed, controlled, precaution), if set.
    #[schema(value_type = Option<String>)]
    pub control: Option<cordon_domain::control::ControlStatus>,
    /// Its street.
    pub street: String,
    /// Its community.
    pub community: String,
    /// The compound.
    pub compound: String,
    /// The units of the squads posted there now.
    pub units: Vec<String>,
    /// People posted there now.
    pub headcount: i64,
    /// People on a shift at its checkpoints now.
    pub on_duty: i64,
    /// The leaders.
    pub leaders: Vec<String>,
    /// The squads posted there now.
    pub squads: Vec<i64>,
}

/// A street's compounds and people.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StreetLine {
    /// The street.
    pub street: String,
    /// Its compounds in scope.
    pub compounds: i64,
    /// Of those, with a squad posted now.
    pub guarded: i64,
    /// People posted in the street now.
    pub headcount: i64,
    /// People on duty in the street now.
    pub on_duty: i64,
}

/// The command's views of the guarantee: per unit, per compound, per street.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Overview {
    /// Per unit (empty for a place scope).
    pub units: Vec<UnitLine>,
    /// Per compound.
    pub compounds: Vec<CompoundLine>,
    /// Per street.
    pub streets: Vec<StreetLine>,
}

#[derive(sqlx::FromRow)]
struct PostingRow {
    id: i64,
    street: String,
    community: String,
    compound: String,
    unit: Option<String>,
    squad_id: Option<i64>,
    headcount: i64,
    on_duty: i64,
    leader: Option<String>,
}

impl Store {
    /// Per unit, per compound and per street, in the actor's scope.
    pub async fn overview(&self, actor: &Actor) -> StoreResult<Overview> {
        if !actor.can(Capability::ViewSquads) {
            return Err(StoreError::Forbidden);
        }
        let (unit, none) = crate::units::unit_binds(actor);
        // Compounds as postings are seen: a place scope's range, a unit's squads, nothing for a site.
        let (_, no_postings, a, b) = crate::squads::posting_binds(actor);
        let now = self.now();
        let (units, postings): (Vec<UnitLine>, Vec<PostingRow>) = on_pool!(self, |p| {
            let units = sqlx::query_as(
                "SELECT u.name AS unit, (SELECT COUNT(*) FROM cadres c WHERE c.unit_id = u.id) AS cadres, \
                 (SELECT COUNT(*) FROM squad_members m JOIN squads s ON s.id = m.squad_id WHERE s.unit_id = u.id AND s.ended_at IS NULL) AS drawn, \
                 (SELECT COUNT(*) FROM squads s WHERE s.unit_id = u.id AND s.ended_at IS NULL) AS squads, \
                 (SELECT COUNT(DISTINCT sm.cadre_id) FROM shift_members sm JOIN shifts sh ON sh.id = sm.shift_id \
                  JOIN squads s ON s.id = sh.squad_id WHERE s.unit_id = u.id AND s.ended_at IS NULL \
                  AND sh.starts_at <= $3 AND sh.ends_at > $3) AS on_duty \
                 FROM units u WHERE ($1 IS NULL OR u.id = $1) AND $2 = 0 ORDER BY u.id",
            )
            .bind(unit)
            .bind(none)
            .bind(now)
            .fetch_all(p)
            .await?;
            // Compounds are in scope for a place scope; a unit sees the compounds where it has a squad.
            let postings = sqlx::query_as(
                "SELECT p.id, st.name AS street, c.name AS community, p.name AS compound, u.name AS unit, sq.id AS squad_id, \
                 (SELECT COUNT(*) FROM squad_members m WHERE m.squad_id = sq.id) AS headcount, \
                 (SELECT COUNT(DISTINCT sm.cadre_id) FROM shift_members sm JOIN shifts sh ON sh.id = sm.shift_id \
                  JOIN checkpoints k ON k.id = sh.checkpoint_id \
                  WHERE sh.squad_id = sq.id AND k.compound_id = p.id AND sh.starts_at <= $4 AND sh.ends_at > $4) AS on_duty, \
                 (SELECT cd.name FROM squad_members m JOIN cadres cd ON cd.id = m.cadre_id WHERE m.squad_id = sq.id AND m.role = 'leader') AS leader \
                 FROM places p JOIN places c ON c.id = p.parent_id JOIN places st ON st.id = c.parent_id \
                 LEFT JOIN squad_postings sp ON sp.compound_id = p.id \
                 LEFT JOIN squads sq ON sq.id = sp.squad_id AND sq.ended_at IS NULL \
                 LEFT JOIN units u ON u.id = sq.unit_id \
                 WHERE p.kind = 'compound' AND ($1 IS NULL OR (p.path >= $1 AND p.path < $2)) \
                 AND ($3 IS NULL OR sq.unit_id = $3) AND $5 = 0 \
                 ORDER BY st.name, c.name, p.name",
            )
            .bind(a)
            .bind(b)
            .bind(unit)
            .bind(now)
            .bind(no_postings)
            .fetch_all(p)
            .await?;
            (units, postings)
        });
        let control = self.control_statuses().await?;
        let mut compounds: Vec<(i64, CompoundLine)> = Vec::new();
        for r in postings {
            if compounds.last().map(|(id, _)| *id) != Some(r.id) {
                compounds.push((
                    r.id,
                    CompoundLine {
                        id: r.id,
                        control: control.get(&r.id).copied(),
                        street: r.street,
                        community: r.community,
                        compound: r.compound,
                        units: vec![],
                        headcount: 0,
                        on_duty: 0,
                        leaders: vec![],
                        squads: vec![],
                    },
                ));
            }
            let line = &mut compounds.last_mut().expect("just pushed").1;
            if let Some(u) = r.unit {
                line.units.push(u);
                line.headcount += r.headcount;
                line.on_duty += r.on_duty;
                line.leaders.extend(r.leader);
                line.squads.extend(r.squad_id);
            }
        }
        let compounds: Vec<CompoundLine> = compounds.into_iter().map(|(_, c)| c).collect();
        let mut streets: Vec<StreetLine> = Vec::new();
        for c in &compounds {
            if streets.last().map(|s| s.street != c.street).unwrap_or(true) {
                streets.push(StreetLine {
                    street: c.street.clone(),
                    compounds: 0,
                    guarded: 0,
                    headcount: 0,
                    on_duty: 0,
                });
            }
            let s = streets.last_mut().expect("just pushed");
            s.compounds += 1;
            s.guarded += i64::from(!c.units.is_empty());
            s.headcount += c.headcount;
            s.on_duty += c.on_duty;
        }
        let units = if matches!(actor.scope, cordon_domain::Scope::Place { .. }) { vec![] } else { units };
        Ok(Overview { units, compounds, streets })
    }
}

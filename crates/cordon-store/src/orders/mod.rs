//! Mobilisation orders (调度令): issued by the command to a unit, answered step
//! by step. Reading and issuing are here, the steps in `steps`, the export in
//! `export`. An order is visible as its squad is (`squads::posting_binds`):
//! to its unit, and to place scopes holding one of its compounds.

mod export;
mod steps;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cordon_domain::orders::roster::{Standing, pick_order};
use cordon_domain::orders::{OrderState, may_issue};
use cordon_domain::squads::SquadRole;
use cordon_domain::units::Availability;
use cordon_domain::{Actor, Capability, Key};
use serde::Serialize;

use crate::{Page, PageRequest, Store, StoreError, StoreResult};

/// How far ahead a deadline may lie: an order is for the outbreak at hand.
const DEADLINE_HORIZON_DAYS: i64 = 366;

/// What the command asks of a unit.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// The unit asked.
    pub unit_id: i64,
    /// How many people.
    pub people: i64,
    /// Where they go.
    pub compound_ids: Vec<i64>,
    /// Report by.
    pub deadline: DateTime<Utc>,
    /// Why, in a sentence.
    pub note: String,
}

/// One step an order took.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StepTaken {
    /// The state it reached.
    pub state: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Who moved it.
    pub actor: String,
    /// Taken by a desk for the squad (a coordinator reporting on site for it), not by the squad itself.
    pub on_behalf: bool,
}

/// An order as lists and pages show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Order {
    /// Its id.
    pub id: i64,
    /// The unit's id.
    pub unit_id: i64,
    /// The unit's name.
    pub unit: String,
    /// People asked for.
    pub people: i64,
    /// Report by.
    pub deadline: DateTime<Utc>,
    /// Why.
    pub note: String,
    /// Where it stands.
    #[schema(value_type = String)]
    pub state: OrderState,
    /// Why it was declined or cancelled.
    pub reason: Option<String>,
    /// The squad it created, once assembled.
    pub squad_id: Option<i64>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// Past its deadline and not yet on site.
    pub overdue: bool,
    /// The compounds, by name.
    pub compounds: Vec<String>,
    /// Every step so far, oldest first.
    pub steps: Vec<StepTaken>,
}

/// A step taken: order id, state, when, who, whether for the squad.
type StepRow = (i64, String, DateTime<Utc>, String, bool);

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    unit_id: i64,
    unit: String,
    people: i64,
    deadline: DateTime<Utc>,
    note: String,
    state: String,
    reason: Option<String>,
    squad_id: Option<i64>,
    issued_at: DateTime<Utc>,
}

/// Filters of the order list.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// Only this unit.
    pub unit_id: Option<i64>,
    /// Only orders for this compound.
    pub compound_id: Option<i64>,
    /// Only in this state; `None` and `in_flight` for all in flight.
    pub state: Option<OrderState>,
    /// Only orders still in flight.
    pub in_flight: bool,
}

/// A cadre as the roster picker shows them.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Candidate {
    /// The cadre's id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Position.
    pub position: String,
    /// Formal party member.
    pub party_member: bool,
    /// available, posted, unavailable.
    pub availability: String,
    /// The squad they are posted with, if any.
    pub posted_squad: Option<String>,
    /// Has a training record.
    pub trained: bool,
}

impl Candidate {
    /// Where the cadre stands for this roster: free, posted elsewhere, unavailable.
    pub fn standing(&self) -> Standing {
        Standing::of(Availability::parse(&self.availability), self.posted_squad.is_some())
    }
}

/// The SQL that limits orders to the actor's scope: `$1` unit (NULL: any),
/// `$2` a flag that no order is visible, `$3,$4` a place range (NULL: any).
const ORDER_SCOPE: &str = "($1 IS NULL OR o.unit_id = $1) AND $2 = 0 AND ($3 IS NULL OR EXISTS (\
     SELECT 1 FROM order_compounds oc JOIN places p ON p.id = oc.compound_id \
     WHERE oc.order_id = o.id AND p.path >= $3 AND p.path < $4))";

const ORDER_SELECT: &str = "SELECT o.id, o.unit_id, u.name AS unit, o.people, o.deadline, o.note, o.state, \
     o.reason, o.squad_id, o.issued_at FROM orders o JOIN units u ON u.id = o.unit_id";

/// The cadres of a unit as the roster picker and the assembly check see them;
/// the unit's id follows.
pub(crate) const CANDIDATE_SELECT: &str = "SELECT c.id, c.name, c.position, c.party_member, c.availability, \
     (SELECT s.name FROM squad_members m JOIN squads s ON s.id = m.squad_id \
      WHERE m.cadre_id = c.id AND m.active LIMIT 1) AS posted_squad, \
     EXISTS (SELECT 1 FROM trainings t WHERE t.cadre_id = c.id) AS trained \
     FROM cadres c WHERE c.unit_id = ";

impl Store {
    /// Issues an order to a unit for compounds; command and organisation only.
    pub async fn issue_order(&self, actor: &Actor, new: &NewOrder) -> StoreResult<i64> {
        if !may_issue(actor) {
            return Err(StoreError::Forbidden);
        }
        let now = self.now();
        if new.people < 1 || new.people > 1000 {
            return Err(StoreError::invalid(Key::OrderPeopleRange));
        }
        if new.compound_ids.is_empty() {
            return Err(StoreError::invalid(Key::OrderNoCompounds));
        }
        if new.deadline <= now {
            return Err(StoreError::invalid(Key::OrderDeadlinePassed));
        }
        if new.deadline > now + chrono::Duration::days(DEADLINE_HORIZON_DAYS) {
            return Err(StoreError::invalid(Key::OrderDeadlineFar));
        }
        let note = crate::clean(&new.note);
        if note.chars().count() > 500 {
            return Err(StoreError::invalid(Key::OrderNoteLong));
        }
        // The unit must exist; every compound must exist for the actor.
        let unit = self.unit(&Actor::system(), new.unit_id).await.map_err(|_| StoreError::invalid(Key::OrderNoUnit))?;
        let mut compound_ids = new.compound_ids.clone();
        compound_ids.sort_unstable();
        compound_ids.dedup();
        let places = self.places_by_id(actor, &compound_ids).await?;
        if places.len() != compound_ids.len() {
            return Err(StoreError::invalid(Key::OrderNoCompound));
        }
        for place in places {
            if place.kind != cordon_domain::places::PlaceKind::Compound {
                return Err(StoreError::invalid(Key::OrderNotACompound.with("name", place.name)));
            }
        }
        let id = on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO orders (unit_id, people, deadline, note, state, issued_at) VALUES ($1, $2, $3, $4, 'issued', $5) RETURNING id",
            )
            .bind(unit.id)
            .bind(new.people)
            .bind(new.deadline)
            .bind(note.clone())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for c in &compound_ids {
                sqlx::query("INSERT INTO order_compounds (order_id, compound_id) VALUES ($1, $2)")
                    .bind(id)
                    .bind(*c)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "INSERT INTO order_steps (order_id, state, at, user_id, actor) VALUES ($1, 'issued', $2, $3, $4)",
            )
            .bind(id)
            .bind(now)
            .bind((actor.user_id != 0).then_some(actor.user_id))
            .bind(actor.username.clone())
            .execute(&mut *tx)
            .await?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(now, actor, "issue", "order", id.to_string()).after(
                    serde_json::json!({"unit": unit.name, "people": new.people, "compounds": compound_ids,
                        "deadline": new.deadline, "note": note})
                    .to_string()
                )
            )?;
            webhook_announce!(&mut *tx, id, "issued", actor, now, None)?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// Orders in scope, oldest first, with their steps: four queries whatever the page size.
    pub async fn orders(&self, actor: &Actor, filter: &OrderFilter, page: PageRequest) -> StoreResult<Page<Order>> {
        if !actor.can(Capability::ViewSquads) {
            return Err(StoreError::Forbidden);
        }
        let (unit, none, a, b) = crate::squads::posting_binds(actor);
        let states: Vec<&str> = match (filter.state, filter.in_flight) {
            (Some(s), _) => vec![s.as_str()],
            (None, true) => OrderState::ALL.iter().filter(|s| s.in_flight()).map(|s| s.as_str()).collect(),
            (None, false) => OrderState::ALL.iter().map(|s| s.as_str()).collect(),
        };
        // The state list comes from the enum's own keys above, never from input.
        let state_list = states.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(",");
        let where_sql = format!(
            " WHERE {ORDER_SCOPE} AND o.state IN ({state_list}) AND ($5 IS NULL OR o.unit_id = $5) \
             AND ($6 IS NULL OR EXISTS (SELECT 1 FROM order_compounds x WHERE x.order_id = o.id AND x.compound_id = $6))"
        );
        let (rows, total) = on_pool!(self, |p| {
            let rows: Vec<OrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{ORDER_SELECT}{where_sql} ORDER BY o.issued_at, o.id LIMIT $7 OFFSET $8"
            )))
            .bind(unit)
            .bind(none)
            .bind(a.clone())
            .bind(b.clone())
            .bind(filter.unit_id)
            .bind(filter.compound_id)
            .bind(page.per_page)
            .bind(page.offset())
            .fetch_all(p)
            .await?;
            let total: i64 =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM orders o{where_sql}")))
                    .bind(unit)
                    .bind(none)
                    .bind(a)
                    .bind(b)
                    .bind(filter.unit_id)
                    .bind(filter.compound_id)
                    .fetch_one(p)
                    .await?;
            (rows, total)
        });
        let items = self.order_details(rows).await?;
        Ok(Page { items, total, page: page.page, per_page: page.per_page })
    }

    /// Completes order rows with their compounds and steps, two queries for all of them.
    async fn order_details(&self, rows: Vec<OrderRow>) -> StoreResult<Vec<Order>> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let (compounds, steps): (Vec<(i64, String)>, Vec<StepRow>) = on_pool!(self, |p| {
            let mut compounds = Vec::new();
            let mut steps = Vec::new();
            for chunk in ids.chunks(500) {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT oc.order_id, p.name FROM order_compounds oc JOIN places p ON p.id = oc.compound_id \
                     WHERE oc.order_id IN (",
                );
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                qb.push(") ORDER BY oc.order_id, p.name");
                compounds.extend(qb.build_query_as::<(i64, String)>().fetch_all(p).await?);
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT order_id, state, at, actor, on_behalf FROM order_steps WHERE order_id IN (",
                );
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                qb.push(") ORDER BY order_id, id");
                steps.extend(qb.build_query_as::<StepRow>().fetch_all(p).await?);
            }
            (compounds, steps)
        });
        let mut names: HashMap<i64, Vec<String>> = HashMap::new();
        for (order, name) in compounds {
            names.entry(order).or_default().push(name);
        }
        let mut taken: HashMap<i64, Vec<StepTaken>> = HashMap::new();
        for (order, state, at, actor, on_behalf) in steps {
            taken.entry(order).or_default().push(StepTaken { state, at, actor, on_behalf });
        }
        let now = self.now();
        Ok(rows
            .into_iter()
            .map(|r| {
                // The CHECK constraint admits only the machine's states.
                let state = OrderState::parse(&r.state).unwrap_or(OrderState::Cancelled);
                Order {
                    id: r.id,
                    unit_id: r.unit_id,
                    unit: r.unit,
                    people: r.people,
                    deadline: r.deadline,
                    note: r.note,
                    state,
                    reason: r.reason,
                    squad_id: r.squad_id,
                    issued_at: r.issued_at,
                    overdue: state.is_overdue(r.deadline, now),
                    compounds: names.remove(&r.id).unwrap_or_default(),
                    steps: taken.remove(&r.id).unwrap_or_default(),
                }
            })
            .collect())
    }

    /// One order in scope.
    pub async fn order(&self, actor: &Actor, id: i64) -> StoreResult<Order> {
        if !actor.can(Capability::ViewSquads) {
            return Err(StoreError::Forbidden);
        }
        let (unit, none, a, b) = crate::squads::posting_binds(actor);
        let row: Option<OrderRow> = on_pool!(self, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{ORDER_SELECT} WHERE {ORDER_SCOPE} AND o.id = $5")))
                .bind(unit)
                .bind(none)
                .bind(a)
                .bind(b)
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        let row = row.ok_or(StoreError::NotFound)?;
        Ok(self.order_details(vec![row]).await?.remove(0))
    }

    /// The unit's cadres for the roster picker, with who is posted elsewhere,
    /// in the picker's order (`roster::pick_order`: free, trained party members
    /// first, the unavailable last): only for roles that may see cadres (the
    /// unit, the command).
    pub async fn candidates(&self, actor: &Actor, order_id: i64) -> StoreResult<Vec<Candidate>> {
        if !actor.can(Capability::ViewCadres) {
            return Err(StoreError::Forbidden);
        }
        let order = self.order(actor, order_id).await?;
        let mut found: Vec<Candidate> = on_pool!(self, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{CANDIDATE_SELECT}$1 ORDER BY c.id")))
                .bind(order.unit_id)
                .fetch_all(p)
                .await?
        });
        found.sort_by_key(|c| pick_order(c.standing(), c.trained, c.party_member, c.id));
        Ok(found)
    }

    /// The role in the order's squad of the cadre the actor's account belongs
    /// to: what decides who reports the squad on site. `None` before the
    /// roster is named, for an account without a cadre, or one not in the squad.
    pub async fn own_role(&self, actor: &Actor, order: &Order) -> StoreResult<Option<SquadRole>> {
        let (Some(squad), Some(cadre)) = (order.squad_id, actor.cadre_id) else {
            return Ok(None);
        };
        let role: Option<String> = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT role FROM squad_members WHERE squad_id = $1 AND cadre_id = $2 AND active")
                .bind(squad)
                .bind(cadre)
                .fetch_optional(p)
                .await?
        });
        Ok(role.as_deref().and_then(SquadRole::parse))
    }
}

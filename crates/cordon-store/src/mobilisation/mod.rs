//! Mobilisation orders and the squads an assembled order creates. Every step
//! is a guarded state change (`UPDATE … WHERE state = previous`), a row in
//! `order_steps` and an audit entry, in one transaction.

use chrono::{DateTime, Utc};
use cordon_domain::mobilisation::{OrderError, OrderEvent, OrderState};
use cordon_domain::people::Availability;
use cordon_domain::squads::{SquadRole, can_form_branch, check_roles};
use cordon_domain::{Actor, Capability, Role, Scope};
use serde::Serialize;

use crate::{Page, PageRequest, Store, StoreError, StoreResult};

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
pub struct OrderStep {
    /// The state it reached.
    pub state: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Who moved it.
    pub actor: String,
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
    pub steps: Vec<OrderStep>,
}

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

/// The SQL that limits orders to the actor's scope: `$1` unit (NULL: any),
/// `$2` a flag that no order is visible, `$3,$4` a place range (NULL: any).
const ORDER_SCOPE: &str = "($1 IS NULL OR o.unit_id = $1) AND $2 = 0 AND ($3 IS NULL OR EXISTS (\
     SELECT 1 FROM order_compounds oc JOIN places p ON p.id = oc.compound_id \
     WHERE oc.order_id = o.id AND p.path >= $3 AND p.path < $4))";

fn scope_binds(actor: &Actor) -> (Option<i64>, i64, Option<String>, Option<String>) {
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

fn order_error(e: OrderError) -> StoreError {
    let key = match e {
        OrderError::NotAllowed { .. } => "order-step-not-allowed",
        OrderError::EmptyRoster => "order-empty-roster",
        OrderError::DuplicateOnRoster => "order-duplicate-on-roster",
        OrderError::ReasonRequired => "order-reason-required",
    };
    StoreError::Invalid(crate::refusal(key, &[]))
}

/// Who may take which step: the unit answers; the command issues, cancels and stands down;
/// the squad's leader may also report on site.
fn may_take(actor: &Actor, event: &OrderEvent) -> bool {
    match event {
        OrderEvent::Acknowledge | OrderEvent::Assemble { .. } | OrderEvent::Decline { .. } => {
            actor.can(Capability::AnswerOrders) && actor.role != Role::SquadLeader
        }
        OrderEvent::ReportOnSite => actor.can(Capability::AnswerOrders),
        OrderEvent::StandDown | OrderEvent::Cancel { .. } => actor.can(Capability::IssueOrders),
    }
}

impl Store {
    /// Issues an order to a unit for compounds; command and organisation only.
    pub async fn issue_order(&self, actor: &Actor, new: &NewOrder) -> StoreResult<i64> {
        if !actor.can(Capability::IssueOrders) {
            return Err(StoreError::Forbidden);
        }
        if new.people < 1 || new.people > 1000 {
            return Err(StoreError::Invalid(crate::refusal("order-people-range", &[])));
        }
        if new.compound_ids.is_empty() {
            return Err(StoreError::Invalid(crate::refusal("order-no-compounds", &[])));
        }
        if new.deadline <= Utc::now() {
            return Err(StoreError::Invalid(crate::refusal("order-deadline-passed", &[])));
        }
        let note = crate::clean(&new.note);
        if note.chars().count() > 500 {
            return Err(StoreError::Invalid(crate::refusal("order-note-long", &[])));
        }
        // The unit and every compound must exist for the actor.
        let unit = self
            .unit(&Actor::system(), new.unit_id)
            .await
            .map_err(|_| StoreError::Invalid(crate::refusal("order-no-unit", &[])))?;
        for c in &new.compound_ids {
            let place = self
                .place(actor, *c)
                .await
                .map_err(|_| StoreError::Invalid(crate::refusal("order-no-compound", &[])))?;
            if place.kind != cordon_domain::places::PlaceKind::Compound {
                return Err(StoreError::Invalid(crate::refusal("order-not-a-compound", &[("name", &place.name)])));
            }
        }
        let now = Utc::now();
        let id = on_pool!(self, |p| {
            let mut tx = p.begin().await?;
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
            for c in &new.compound_ids {
                sqlx::query(
                    "INSERT INTO order_compounds (order_id, compound_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
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
                crate::audit::NewEntry::new(actor, "issue", "order", id.to_string()).after(
                    serde_json::json!({"unit": unit.name, "people": new.people, "compounds": new.compound_ids,
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

    /// Orders in scope, oldest first, with their steps.
    pub async fn orders(&self, actor: &Actor, filter: &OrderFilter, page: PageRequest) -> StoreResult<Page<Order>> {
        if !actor.can(Capability::ViewSquads) {
            return Err(StoreError::Forbidden);
        }
        let (unit, none, a, b) = scope_binds(actor);
        let in_flight = ["issued", "acknowledged", "assembled", "on-site"];
        let states: Vec<&str> = match (filter.state, filter.in_flight) {
            (Some(s), _) => vec![s.as_str()],
            (None, true) => in_flight.to_vec(),
            (None, false) => OrderState::ALL.iter().map(|s| s.as_str()).collect(),
        };
        let state_list = states.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(",");
        // The state list comes from the enum's own keys above, never from input.
        let where_sql = format!(
            " FROM orders o JOIN units u ON u.id = o.unit_id WHERE {ORDER_SCOPE} AND o.state IN ({state_list}) \
             AND ($5 IS NULL OR o.unit_id = $5) \
             AND ($6 IS NULL OR EXISTS (SELECT 1 FROM order_compounds x WHERE x.order_id = o.id AND x.compound_id = $6))"
        );
        let (rows, total) = on_pool!(self, |p| {
            let rows: Vec<OrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT o.id, o.unit_id, u.name AS unit, o.people, o.deadline, o.note, o.state, o.reason, o.squad_id, o.issued_at \
                 {where_sql} ORDER BY o.issued_at, o.id LIMIT $7 OFFSET $8"
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
            let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) {where_sql}")))
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
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            items.push(self.order_details(r).await?);
        }
        Ok(Page { items, total, page: page.page, per_page: page.per_page })
    }

    async fn order_details(&self, r: OrderRow) -> StoreResult<Order> {
        let (compounds, steps): (Vec<String>, Vec<OrderStep>) = on_pool!(self, |p| {
            let compounds: Vec<String> = sqlx::query_scalar(
                "SELECT p.name FROM order_compounds oc JOIN places p ON p.id = oc.compound_id WHERE oc.order_id = $1 ORDER BY p.name",
            )
            .bind(r.id)
            .fetch_all(p)
            .await?;
            let steps: Vec<OrderStep> =
                sqlx::query_as("SELECT state, at, actor FROM order_steps WHERE order_id = $1 ORDER BY id")
                    .bind(r.id)
                    .fetch_all(p)
                    .await?;
            (compounds, steps)
        });
        let state = OrderState::parse(&r.state).unwrap_or(OrderState::Cancelled);
        Ok(Order {
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
            overdue: state.is_overdue(r.deadline, Utc::now()),
            compounds,
            steps,
        })
    }

    /// One order in scope.
    pub async fn order(&self, actor: &Actor, id: i64) -> StoreResult<Order> {
        if !actor.can(Capability::ViewSquads) {
            return Err(StoreError::Forbidden);
        }
        let (unit, none, a, b) = scope_binds(actor);
        let row: Option<OrderRow> = on_pool!(self, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT o.id, o.unit_id, u.name AS unit, o.people, o.deadline, o.note, o.state, o.reason, o.squad_id, o.issued_at \
                 FROM orders o JOIN units u ON u.id = o.unit_id WHERE {ORDER_SCOPE} AND o.id = $5"
            )))
            .bind(unit)
            .bind(none)
            .bind(a)
            .bind(b)
            .bind(id)
            .fetch_optional(p)
            .await?
        });
        self.order_details(row.ok_or(StoreError::NotFound)?).await
    }

    /// The unit's cadres for the roster picker, with who is posted elsewhere.
    pub async fn candidates(&self, actor: &Actor, order_id: i64) -> StoreResult<Vec<Candidate>> {
        let order = self.order(actor, order_id).await?;
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT c.id, c.name, c.position, c.party_member, c.availability, \
                 (SELECT s.name FROM squad_members m JOIN squads s ON s.id = m.squad_id \
                  WHERE m.cadre_id = c.id AND s.ended_at IS NULL LIMIT 1) AS posted_squad, \
                 EXISTS (SELECT 1 FROM trainings t WHERE t.cadre_id = c.id) AS trained \
                 FROM cadres c WHERE c.unit_id = $1 ORDER BY c.party_member DESC, c.id",
            )
            .bind(order.unit_id)
            .fetch_all(p)
            .await?
        }))
    }

    /// Takes one step of an order. Assembling names the roster with roles and
    /// creates the squad; moving a cadre posted elsewhere needs `confirm_moves`.
    pub async fn order_step(
        &self,
        actor: &Actor,
        id: i64,
        event: OrderEvent,
        roles: &[(i64, SquadRole)],
        confirm_moves: bool,
    ) -> StoreResult<OrderState> {
        let order = self.order(actor, id).await?;
        if !may_take(actor, &event) {
            return Err(StoreError::Forbidden);
        }
        let next = order.state.apply(&event).map_err(order_error)?;
        if let OrderEvent::Assemble { roster } = &event {
            let role_list: Vec<SquadRole> = roster
                .iter()
                .map(|c| roles.iter().find(|(id, _)| id == c).map(|(_, r)| *r).unwrap_or(SquadRole::Member))
                .collect();
            check_roles(&role_list).map_err(|e| {
                let key = match e {
                    cordon_domain::squads::SquadError::Leader => "squad-one-leader",
                    cordon_domain::squads::SquadError::Secretary => "squad-one-secretary",
                };
                StoreError::Invalid(crate::refusal(key, &[]))
            })?;
            let candidates = self.candidates(actor, id).await?;
            for c in roster {
                let Some(cand) = candidates.iter().find(|x| x.id == *c) else {
                    return Err(StoreError::Invalid(crate::refusal("roster-not-unit-cadre", &[])));
                };
                if cand.availability == Availability::Unavailable.as_str() {
                    return Err(StoreError::Invalid(crate::refusal("roster-unavailable", &[("name", &cand.name)])));
                }
                if cand.posted_squad.is_some() && !confirm_moves {
                    let squad = cand.posted_squad.clone().unwrap_or_default();
                    return Err(StoreError::Conflict(crate::refusal(
                        "roster-posted-elsewhere",
                        &[("name", &cand.name), ("squad", &squad)],
                    )));
                }
                if !cand.trained && !confirm_moves {
                    return Err(StoreError::Conflict(crate::refusal(
                        "roster-untrained-confirm",
                        &[("name", &cand.name)],
                    )));
                }
            }
        }
        let reason = match &event {
            OrderEvent::Decline { reason } | OrderEvent::Cancel { reason } => Some(crate::clean(reason)),
            _ => None,
        };
        let now = Utc::now();
        on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let moved =
                sqlx::query("UPDATE orders SET state = $1, reason = COALESCE($2, reason) WHERE id = $3 AND state = $4")
                    .bind(next.as_str())
                    .bind(reason.clone())
                    .bind(id)
                    .bind(order.state.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if moved == 0 {
                return Err(StoreError::Conflict(crate::refusal("order-moved-meanwhile", &[])));
            }
            sqlx::query("INSERT INTO order_steps (order_id, state, at, user_id, actor) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(next.as_str())
                .bind(now)
                .bind((actor.user_id != 0).then_some(actor.user_id))
                .bind(actor.username.clone())
                .execute(&mut *tx)
                .await?;
            if let OrderEvent::Assemble { roster } = &event {
                let name = format!("{}-{}", order.unit, id);
                let squad: i64 = sqlx::query_scalar(
                    "INSERT INTO squads (unit_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(order.unit_id)
                .bind(name)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                for c in roster {
                    let role = roles.iter().find(|(x, _)| x == c).map(|(_, r)| *r).unwrap_or(SquadRole::Member);
                    // A cadre moved from another squad leaves it.
                    sqlx::query(
                        "DELETE FROM squad_members WHERE cadre_id = $1 AND squad_id IN (SELECT id FROM squads WHERE ended_at IS NULL)",
                    )
                    .bind(*c)
                    .execute(&mut *tx)
                    .await?;
                    // … and the shifts it had given them from now on: their old gate must show as unstaffed.
                    sqlx::query(
                        "DELETE FROM shift_members WHERE cadre_id = $1 AND shift_id IN (SELECT id FROM shifts WHERE ends_at > $2)",
                    )
                    .bind(*c)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("INSERT INTO squad_members (squad_id, cadre_id, role) VALUES ($1, $2, $3)")
                        .bind(squad)
                        .bind(*c)
                        .bind(role.as_str())
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("UPDATE cadres SET availability = 'posted' WHERE id = $1")
                        .bind(*c)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query("INSERT INTO squad_postings (squad_id, compound_id) SELECT $1, compound_id FROM order_compounds WHERE order_id = $2")
                    .bind(squad)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE orders SET squad_id = $1 WHERE id = $2")
                    .bind(squad)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            if matches!(event, OrderEvent::StandDown | OrderEvent::Cancel { .. })
                && let Some(squad) = order.squad_id
            {
                sqlx::query("UPDATE squads SET ended_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(squad)
                    .execute(&mut *tx)
                    .await?;
                // Shifts not yet begun go with the squad; those stood stay on record.
                sqlx::query("DELETE FROM shifts WHERE squad_id = $1 AND starts_at > $2")
                    .bind(squad)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE cadres SET availability = 'available' WHERE id IN (SELECT cadre_id FROM squad_members WHERE squad_id = $1)",
                )
                .bind(squad)
                .execute(&mut *tx)
                .await?;
            }
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(actor, event.key(), "order", id.to_string())
                    .before(serde_json::json!({"state": order.state.as_str()}).to_string())
                    .after(serde_json::json!({"state": next.as_str(), "reason": reason}).to_string())
            )?;
            webhook_announce!(&mut *tx, id, next.as_str(), actor, now, reason.clone())?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        Ok(next)
    }

    /// A squad, if the actor may see it: its unit's coordinator, the command,
    /// and people whose place scope holds one of its compounds.
    pub async fn squad(&self, actor: &Actor, id: i64) -> StoreResult<Squad> {
        if !actor.can(Capability::ViewSquads) {
            return Err(StoreError::Forbidden);
        }
        let row: Option<SquadRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT s.id, s.name, s.unit_id, u.name, s.ended_at FROM squads s JOIN units u ON u.id = s.unit_id WHERE s.id = $1",
            )
            .bind(id)
            .fetch_optional(p)
            .await?
        });
        let (id, name, unit_id, unit, ended_at) = row.ok_or(StoreError::NotFound)?;
        let postings: Vec<(String, String)> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT p.name, p.path FROM squad_postings sp JOIN places p ON p.id = sp.compound_id WHERE sp.squad_id = $1 ORDER BY p.name",
            )
            .bind(id)
            .fetch_all(p)
            .await?
        });
        let visible = match &actor.scope {
            Scope::City => true,
            Scope::Unit { id } => *id == unit_id,
            Scope::Place { .. } => postings.iter().any(|(_, path)| {
                actor.scope.covers_place(&cordon_domain::places::PlacePath::from_stored(path.clone()))
            }),
            Scope::Site { .. } => false,
        };
        if !visible {
            return Err(StoreError::NotFound);
        }
        let members: Vec<SquadMember> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT m.cadre_id, c.name, c.position, m.role, c.party_member, \
                 EXISTS (SELECT 1 FROM trainings t WHERE t.cadre_id = c.id) AS trained FROM squad_members m \
                 JOIN cadres c ON c.id = m.cadre_id WHERE m.squad_id = $1 \
                 ORDER BY CASE m.role WHEN 'leader' THEN 0 WHEN 'secretary' THEN 1 ELSE 2 END, c.id",
            )
            .bind(id)
            .fetch_all(p)
            .await?
        });
        let (liaisons, on_duty): (Vec<Liaison>, i64) = on_pool!(self, |p| {
            let liaisons = sqlx::query_as("SELECT id, name, role, phone FROM liaisons WHERE squad_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(p)
                .await?;
            let on_duty = sqlx::query_scalar(
                "SELECT COUNT(DISTINCT sm.cadre_id) FROM shift_members sm JOIN shifts s ON s.id = sm.shift_id \
                 JOIN squads q ON q.id = s.squad_id WHERE s.squad_id = $1 AND q.ended_at IS NULL \
                 AND s.starts_at <= $2 AND s.ends_at > $2",
            )
            .bind(id)
            .bind(Utc::now())
            .fetch_one(p)
            .await?;
            (liaisons, on_duty)
        });
        Ok(Squad {
            id,
            name,
            unit_id,
            unit,
            liaisons,
            untrained: members.iter().filter(|m| !m.trained).count(),
            branch_can_form: can_form_branch(members.iter().map(|m| m.party_member)),
            members,
            compounds: postings.into_iter().map(|(n, _)| n).collect(),
            ended_at,
            on_duty,
        })
    }
}

impl Store {
    /// Every squad the actor may see, newest first.
    pub async fn squads(&self, actor: &Actor) -> StoreResult<Vec<Squad>> {
        if !actor.can(Capability::ViewSquads) {
            return Err(StoreError::Forbidden);
        }
        let ids: Vec<i64> =
            on_pool!(self, |p| sqlx::query_scalar("SELECT id FROM squads ORDER BY id DESC").fetch_all(p).await?);
        let mut out = Vec::new();
        for id in ids {
            // `squad` applies the scope; the ones outside it are simply not listed.
            match self.squad(actor, id).await {
                Ok(s) => out.push(s),
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

impl Store {
    /// Adds a street or community contact to a squad the actor may answer for.
    pub async fn add_liaison(
        &self,
        actor: &Actor,
        squad_id: i64,
        name: &str,
        role: &str,
        phone: &str,
    ) -> StoreResult<i64> {
        self.squad(actor, squad_id).await?;
        if !(actor.can(Capability::AnswerOrders) || actor.can(Capability::IssueOrders)) {
            return Err(StoreError::Forbidden);
        }
        let bad = |key: &str| StoreError::Invalid(crate::refusal(key, &[]));
        let name = cordon_domain::PersonName::parse(name).map_err(|_| bad("liaison-bad-name"))?;
        let role = cordon_domain::places::PlaceName::parse(role).map_err(|_| bad("liaison-bad-role"))?;
        let phone = cordon_domain::Phone::parse(phone).map_err(|_| bad("liaison-bad-phone"))?;
        Ok(on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO liaisons (squad_id, name, role, phone) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(squad_id)
            .bind(name.as_str().to_string())
            .bind(role.as_str().to_string())
            .bind(phone.as_str().to_string())
            .fetch_one(&mut *tx)
            .await?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(actor, "create", "liaison", id.to_string())
                    .after(serde_json::json!({"squad_id": squad_id, "name": name.as_str(), "role": role.as_str(), "phone": phone.masked()}).to_string())
            )?;
            tx.commit().await?;
            id
        }))
    }

    /// Records that a cadre was trained (a course on a day); the unit's coordinator or the command.
    pub async fn record_training(
        &self,
        actor: &Actor,
        cadre_id: i64,
        course: &str,
        on: chrono::NaiveDate,
    ) -> StoreResult<()> {
        self.cadre(actor, cadre_id).await?;
        if !actor.can(Capability::ManageCadres) {
            return Err(StoreError::Forbidden);
        }
        let course = cordon_domain::places::PlaceName::parse(course)
            .map_err(|_| StoreError::Invalid(crate::refusal("training-bad-course", &[])))?;
        on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "INSERT INTO trainings (cadre_id, course, trained_on) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(cadre_id)
            .bind(course.as_str().to_string())
            .bind(on)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                audit_insert!(
                    &mut *tx,
                    crate::audit::NewEntry::new(actor, "create", "training", cadre_id.to_string())
                        .after(serde_json::json!({"course": course.as_str(), "on": on}).to_string())
                )?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

impl Store {
    /// A cadre's training records, newest first: `(course, day)`.
    pub async fn trainings(&self, actor: &Actor, cadre_id: i64) -> StoreResult<Vec<(String, chrono::NaiveDate)>> {
        self.cadre(actor, cadre_id).await?;
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT course, trained_on FROM trainings WHERE cadre_id = $1 ORDER BY trained_on DESC, id DESC",
            )
            .bind(cadre_id)
            .fetch_all(p)
            .await?
        }))
    }
}

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
        let (a, b) = crate::places::scope_binds(actor);
        let now = Utc::now();
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
                 AND ($3 IS NULL OR sq.unit_id = $3) \
                 ORDER BY st.name, c.name, p.name",
            )
            .bind(a)
            .bind(b)
            .bind(unit)
            .bind(now)
            .fetch_all(p)
            .await?;
            (units, postings)
        });
        let mut compounds: Vec<(i64, CompoundLine)> = Vec::new();
        for r in postings {
            if compounds.last().map(|(id, _)| *id) != Some(r.id) {
                compounds.push((
                    r.id,
                    CompoundLine {
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

//! The command's dashboard: the few figures and lists that must be seen
//! first, in the actor's scope — orders not yet on site with their clocks,
//! compounds nobody guards, gates with nobody on duty now.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use cordon_domain::Actor;
use cordon_domain::command::{Urgency, minutes_left};
use cordon_domain::control::ControlStatus;
use cordon_domain::orders::OrderState;
use serde::Serialize;

use super::CompoundLine;
use crate::orders::{Order, OrderFilter};
use crate::{PageRequest, Store, StoreResult};

/// The states of an order still on its way to the compound.
const NOT_ON_SITE: [OrderState; 3] = [OrderState::Issued, OrderState::Acknowledged, OrderState::Assembled];

/// How many orders of each state the dashboard reads: more than a command
/// has in flight at once; the order list pages through the rest.
const ORDERS_READ: i64 = 200;

/// The figures at the top.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Counts {
    /// Compounds in scope.
    pub compounds: i64,
    /// Of those, with a squad posted now.
    pub guarded: i64,
    /// Of those, with none.
    pub unguarded: i64,
    /// Checkpoints with nobody on a shift now.
    pub empty_gates: i64,
    /// Orders issued, acknowledged or assembled, not yet reported on site.
    pub waiting_orders: i64,
    /// Compounds sealed (封控).
    pub sealed: i64,
    /// Compounds controlled (管控).
    pub controlled: i64,
    /// Compounds under precaution (防范).
    pub precaution: i64,
}

/// An order not yet on site, with its clock.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WaitingOrder {
    /// The order.
    pub order: Order,
    /// Minutes to its deadline, negative once past.
    pub minutes_left: i64,
    /// calm, soon (under 30 min) or overdue.
    pub urgency: String,
}

/// A checkpoint with nobody on duty now.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct EmptyGate {
    /// The checkpoint's id.
    pub checkpoint_id: i64,
    /// Its name.
    pub checkpoint: String,
    /// Its compound's id.
    pub compound_id: i64,
    /// Its compound's name.
    pub compound: String,
    /// A squad posted at the compound, whose roster would fill the gate;
    /// none at an unguarded compound.
    pub squad_id: Option<i64>,
}

/// What the command sees first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    /// When it was read.
    pub at: DateTime<Utc>,
    /// The figures.
    pub counts: Counts,
    /// Orders not yet on site, nearest deadline first.
    pub waiting: Vec<WaitingOrder>,
    /// Compounds with no squad posted.
    pub unguarded: Vec<CompoundLine>,
    /// Gates with nobody on duty, guarded compounds' and unguarded ones'.
    pub empty_gates: Vec<EmptyGate>,
}

#[derive(sqlx::FromRow)]
struct GateRow {
    checkpoint_id: i64,
    checkpoint: String,
    compound_id: i64,
    compound: String,
    on_duty: i64,
}

impl Store {
    /// The dashboard in the actor's scope (as `/squads` sees it).
    pub async fn dashboard(&self, actor: &Actor) -> StoreResult<Dashboard> {
        let overview = self.overview(actor).await?;
        let now = self.now();
        let mut waiting = Vec::new();
        for state in NOT_ON_SITE {
            let filter = OrderFilter { state: Some(state), ..OrderFilter::default() };
            let page = self.orders(actor, &filter, PageRequest::new(Some(1), Some(ORDERS_READ))).await?;
            waiting.extend(page.items);
        }
        waiting.sort_by_key(|o| (o.deadline, o.id));
        let waiting: Vec<WaitingOrder> = waiting
            .into_iter()
            .map(|order| WaitingOrder {
                minutes_left: minutes_left(order.deadline, now),
                urgency: Urgency::of(order.deadline, now).as_str().to_string(),
                order,
            })
            .collect();

        let (_, _, a, b) = crate::squads::posting_binds(actor);
        let gates: Vec<GateRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT k.id AS checkpoint_id, k.name AS checkpoint, p.id AS compound_id, p.name AS compound, \
                 (SELECT COUNT(*) FROM shift_members sm JOIN shifts sh ON sh.id = sm.shift_id \
                  JOIN squads s ON s.id = sh.squad_id AND s.ended_at IS NULL \
                  WHERE sh.checkpoint_id = k.id AND sh.starts_at <= $3 AND sh.ends_at > $3) AS on_duty \
                 FROM checkpoints k JOIN places p ON p.id = k.compound_id \
                 WHERE p.kind = 'compound' AND ($1 IS NULL OR (p.path >= $1 AND p.path < $2)) \
                 ORDER BY p.path, k.name",
            )
            .bind(a)
            .bind(b)
            .bind(now)
            .fetch_all(p)
            .await?
        });
        // The overview already knows which compounds are in scope (a unit
        // sees only where it has a squad) and which are guarded.
        let guarded: std::collections::HashMap<i64, Option<i64>> = overview
            .compounds
            .iter()
            .filter(|c| !c.units.is_empty())
            .map(|c| (c.id, c.squads.first().copied()))
            .collect();
        let in_scope: HashSet<i64> = overview.compounds.iter().map(|c| c.id).collect();
        let empty: Vec<&GateRow> =
            gates.iter().filter(|g| in_scope.contains(&g.compound_id) && g.on_duty == 0).collect();
        // Every empty gate is listed, an unguarded compound's too: the
        // command posts a squad there, so it links the compound, not a roster.
        let empty_gates = empty
            .iter()
            .map(|g| EmptyGate {
                checkpoint_id: g.checkpoint_id,
                checkpoint: g.checkpoint.clone(),
                compound_id: g.compound_id,
                compound: g.compound.clone(),
                squad_id: guarded.get(&g.compound_id).copied().flatten(),
            })
            .collect();

        let status_count = |s: ControlStatus| overview.compounds.iter().filter(|c| c.control == Some(s)).count() as i64;
        let unguarded: Vec<CompoundLine> = overview.compounds.iter().filter(|c| c.units.is_empty()).cloned().collect();
        let counts = Counts {
            compounds: overview.compounds.len() as i64,
            guarded: guarded.len() as i64,
            unguarded: unguarded.len() as i64,
            empty_gates: empty.len() as i64,
            waiting_orders: waiting.len() as i64,
            sealed: status_count(ControlStatus::Sealed),
            controlled: status_count(ControlStatus::Controlled),
            precaution: status_count(ControlStatus::Precaution),
        };
        Ok(Dashboard { at: now, counts, waiting, unguarded, empty_gates })
    }
}

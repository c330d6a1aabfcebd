//! The steps of an order. Every step is a guarded state change (`UPDATE …
//! WHERE state = previous`), a row in `order_steps`, an audit entry and its
//! webhook announcements, in one write transaction. Assembling also names the
//! roster and creates the squad: whether a cadre is posted elsewhere is read
//! inside that transaction, with the cadres' rows held, so two orders
//! assembled at the same instant with the same cadre cannot both post them
//! (and a constraint allows one active posting per cadre in any case).
//! Reporting on site is the squad's leader's or secretary's; a desk reporting
//! for them is recorded as such (`order_steps.on_behalf`). Two reports at the
//! same instant: the guarded update lets one through, the other is told who
//! reported and when.

use cordon_domain::orders::report::{Reporter, reporter};
use cordon_domain::orders::roster::{Standing, may_be_secretary, roles_on_roster};
use cordon_domain::orders::{OrderEvent, OrderState};
use cordon_domain::squads::SquadRole;
use cordon_domain::{Actor, Key, Refusal};

use super::{CANDIDATE_SELECT, Candidate, Order};
use crate::{Store, StoreError, StoreResult};

/// A roster cadre's role: as given, a member otherwise.
fn role_of(roles: &[(i64, SquadRole)], cadre: i64) -> SquadRole {
    roles.iter().find(|(id, _)| *id == cadre).map(|(_, r)| *r).unwrap_or(SquadRole::Member)
}

/// The answer to a second 报到: who reported, and when.
fn already_reported(actor: String, at: chrono::DateTime<chrono::Utc>) -> StoreError {
    StoreError::conflict(Key::OrderAlreadyReported.with("actor", actor).with("at", at))
}

/// The 报到 an order already has, from the steps read with it.
fn report_of(order: &Order) -> Option<StoreError> {
    let step = order.steps.iter().find(|s| s.state == OrderState::OnSite.as_str())?;
    Some(already_reported(step.actor.clone(), step.at))
}

/// Why a roster cannot be posted as it is, read from the candidates as they
/// stand inside the transaction: a refusal (`Invalid`) or a question the user
/// answers by confirming (`Conflict`).
fn check_roster(roster: &[i64], found: &[Candidate], confirm_moves: bool) -> StoreResult<()> {
    for c in roster {
        let Some(cand) = found.iter().find(|x| x.id == *c) else {
            return Err(StoreError::invalid(Key::RosterNotUnitCadre));
        };
        if !cand.standing().can_be_picked() {
            return Err(StoreError::invalid(Key::RosterUnavailable.with("name", &cand.name)));
        }
        if !confirm_moves && cand.standing() == Standing::PostedElsewhere {
            let squad = cand.posted_squad.clone().unwrap_or_default();
            return Err(StoreError::conflict(Key::RosterPostedElsewhere.with("name", &cand.name).with("squad", squad)));
        }
        if !confirm_moves && !cand.trained {
            return Err(StoreError::conflict(Key::RosterUntrainedConfirm.with("name", &cand.name)));
        }
    }
    Ok(())
}

impl Store {
    /// Takes one step of an order. Assembling names the roster with roles and
    /// creates the squad; posting a cadre posted elsewhere, or untrained,
    /// needs `confirm_moves`.
    pub async fn order_step(
        &self,
        actor: &Actor,
        id: i64,
        event: OrderEvent,
        roles: &[(i64, SquadRole)],
        confirm_moves: bool,
    ) -> StoreResult<OrderState> {
        let order = self.order(actor, id).await?;
        let own = self.own_role(actor, &order).await?;
        if !event.step().may_take(actor, own) {
            return Err(StoreError::Forbidden);
        }
        let reporting = matches!(event, OrderEvent::ReportOnSite);
        let next = match order.state.apply(&event) {
            Ok(next) => next,
            // Someone reported a moment ago: say who and when, not "this step cannot be taken".
            Err(e) => return Err(report_of(&order).filter(|_| reporting).unwrap_or_else(|| StoreError::invalid(e))),
        };
        let on_behalf = reporting && reporter(actor, own) == Some(Reporter::OnBehalf);
        let roster: &[i64] = match &event {
            OrderEvent::Assemble { roster } => roster,
            _ => &[],
        };
        if !roster.is_empty() {
            roles_on_roster(roster, roles).map_err(StoreError::invalid)?;
        }
        let reason = match &event {
            OrderEvent::Decline { reason } | OrderEvent::Cancel { reason } => Some(crate::clean(reason)),
            _ => None,
        };
        let now = self.now();
        on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            if !roster.is_empty() {
                // Hold the roster's cadres until commit: another assembly naming
                // one of them waits here. The lock is taken by a statement of its
                // own: PostgreSQL re-reads a row it waited for, but the rest of
                // that statement (who is posted where) keeps the snapshot taken
                // before the wait, so it would miss the other assembly's posting.
                let mut lock = sqlx::QueryBuilder::new("SELECT c.id FROM cadres c WHERE c.unit_id = ");
                lock.push_bind(order.unit_id).push(" AND c.id IN (");
                let mut sep = lock.separated(", ");
                for c in roster {
                    sep.push_bind(*c);
                }
                lock.push(") ORDER BY c.id");
                lock.push(crate::db::for_update(p));
                lock.build().fetch_all(&mut *tx).await?;
                // A new statement, a new snapshot: the postings as they stand after the wait.
                let mut qb = sqlx::QueryBuilder::new(CANDIDATE_SELECT);
                qb.push_bind(order.unit_id).push(" AND c.id IN (");
                let mut sep = qb.separated(", ");
                for c in roster {
                    sep.push_bind(*c);
                }
                qb.push(") ORDER BY c.id");
                let found: Vec<Candidate> = qb.build_query_as().fetch_all(&mut *tx).await?;
                check_roster(roster, &found, confirm_moves)?;
                let secretary = found.iter().find(|c| role_of(roles, c.id) == SquadRole::Secretary);
                if let Some(sec) = secretary {
                    may_be_secretary(sec.party_member)
                        .map_err(|e| StoreError::invalid(Refusal::from(e).with("name", &sec.name)))?;
                }
            }
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
                if reporting {
                    // The other report has committed (the update waited for it): read who it was.
                    let done: Option<(String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
                        "SELECT actor, at FROM order_steps WHERE order_id = $1 AND state = $2 ORDER BY id LIMIT 1",
                    )
                    .bind(id)
                    .bind(OrderState::OnSite.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some((who, at)) = done {
                        return Err(already_reported(who, at));
                    }
                }
                return Err(StoreError::conflict(Key::OrderMovedMeanwhile));
            }
            sqlx::query(
                "INSERT INTO order_steps (order_id, state, at, user_id, actor, on_behalf) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(next.as_str())
            .bind(now)
            .bind((actor.user_id != 0).then_some(actor.user_id))
            .bind(actor.username.clone())
            .bind(on_behalf)
            .execute(&mut *tx)
            .await?;
            if !roster.is_empty() {
                let squad: i64 = sqlx::query_scalar(
                    "INSERT INTO squads (unit_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(order.unit_id)
                .bind(format!("{}-{}", order.unit, id))
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                for c in roster {
                    // A cadre moved from another squad (confirmed) leaves it… Without
                    // the confirmation nobody on the roster is posted (checked above);
                    // should one be all the same, the constraint below refuses the
                    // assembly rather than take them from their squad unasked.
                    if confirm_moves {
                        sqlx::query("DELETE FROM squad_members WHERE cadre_id = $1 AND active")
                            .bind(*c)
                            .execute(&mut *tx)
                            .await?;
                    }
                    // … and the shifts it had given them from now on: their old gate must show as unstaffed.
                    sqlx::query(
                        "DELETE FROM shift_members WHERE cadre_id = $1 AND shift_id IN (SELECT id FROM shifts WHERE ends_at > $2)",
                    )
                    .bind(*c)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("INSERT INTO squad_members (squad_id, cadre_id, role, active) VALUES ($1, $2, $3, $4)")
                        .bind(squad)
                        .bind(*c)
                        .bind(role_of(roles, *c).as_str())
                        .bind(true)
                        .execute(&mut *tx)
                        .await
                        // The one-active-posting constraint, should anything have slipped past the lock.
                        .map_err(|e| StoreError::from(e).unique_as(Key::OrderMovedMeanwhile))?;
                    sqlx::query("UPDATE cadres SET availability = 'posted' WHERE id = $1")
                        .bind(*c)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "INSERT INTO squad_postings (squad_id, compound_id) SELECT $1, compound_id FROM order_compounds WHERE order_id = $2",
                )
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
                    "UPDATE cadres SET availability = 'available' WHERE id IN \
                     (SELECT cadre_id FROM squad_members WHERE squad_id = $1 AND active)",
                )
                .bind(squad)
                .execute(&mut *tx)
                .await?;
                // The members stay on record with the squad, no longer posted.
                sqlx::query("UPDATE squad_members SET active = $1 WHERE squad_id = $2")
                    .bind(false)
                    .bind(squad)
                    .execute(&mut *tx)
                    .await?;
            }
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(now, actor, event.key(), "order", id.to_string())
                    .before(serde_json::json!({"state": order.state.as_str()}).to_string())
                    .after(
                        serde_json::json!({"state": next.as_str(), "reason": reason, "on_behalf": on_behalf})
                            .to_string()
                    )
            )?;
            webhook_announce!(&mut *tx, id, next.as_str(), actor, now, reason.clone())?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        Ok(next)
    }
}

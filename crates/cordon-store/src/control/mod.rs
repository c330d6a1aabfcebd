//! The control status of compounds: the history of changes (one row each)
//! and the current status, which is the latest change. A change is made in
//! one write transaction that holds the compound's row, reads its status and
//! writes only if it differs: two people setting the same status at the same
//! instant make one change, and both are told the compound has it. A change
//! is announced through the outbound webhooks (`control.<status>`).

use chrono::{DateTime, Utc};
use cordon_domain::Actor;
use cordon_domain::control::{self as rules, ControlError, ControlStatus};
use cordon_domain::places::PlaceKind;
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

/// One change of a compound's control status.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ControlChange {
    /// When.
    pub at: DateTime<Utc>,
    /// Who set it (login name).
    pub actor: String,
    /// The status before: sealed, controlled, precaution, or none.
    #[schema(value_type = Option<String>)]
    pub from: Option<ControlStatus>,
    /// The status after.
    #[schema(value_type = String)]
    pub to: ControlStatus,
    /// Why.
    pub reason: String,
}

/// A compound's control status and how it came to be.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Control {
    /// The compound.
    pub compound_id: i64,
    /// The status now (none if never set).
    #[schema(value_type = Option<String>)]
    pub status: Option<ControlStatus>,
    /// Every change, newest first.
    pub history: Vec<ControlChange>,
}

/// What setting a status did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The status changed (from, to).
    Changed(Option<ControlStatus>),
    /// The compound had this status already: nothing written.
    Unchanged,
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    at: DateTime<Utc>,
    actor: String,
    from_status: Option<String>,
    to_status: String,
    reason: String,
}

impl ChangeRow {
    fn change(self) -> ControlChange {
        ControlChange {
            at: self.at,
            actor: self.actor,
            from: self.from_status.as_deref().and_then(ControlStatus::parse),
            to: ControlStatus::parse(&self.to_status).unwrap_or(ControlStatus::Precaution),
            reason: self.reason,
        }
    }
}

/// The current status of each compound that has one, for lists: the latest change of each.
const CURRENT_SQL: &str = "SELECT c.compound_id, c.to_status FROM control_changes c \
     WHERE c.id = (SELECT MAX(x.id) FROM control_changes x WHERE x.compound_id = c.compound_id)";

impl Store {
    /// A compound's control status and history, for whoever may see the compound.
    pub async fn control(&self, actor: &Actor, compound_id: i64) -> StoreResult<Control> {
        let place = self.place(actor, compound_id).await?;
        self.control_of(&place).await
    }

    /// `control` of a place already read for the actor (`Store::place`, which
    /// proves it in their scope), for a page that has read it for its other parts.
    pub async fn control_of(&self, place: &crate::places::Place) -> StoreResult<Control> {
        if place.kind != PlaceKind::Compound {
            return Err(StoreError::invalid(ControlError::NotCompound));
        }
        let rows: Vec<ChangeRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT at, actor, from_status, to_status, reason FROM control_changes \
                 WHERE compound_id = $1 ORDER BY id DESC",
            )
            .bind(place.id)
            .fetch_all(p)
            .await?
        });
        let history: Vec<ControlChange> = rows.into_iter().map(ChangeRow::change).collect();
        Ok(Control { compound_id: place.id, status: history.first().map(|c| c.to), history })
    }

    /// The current status of every compound that has one (compound id, status).
    /// Unscoped: callers list only compounds the actor may see.
    pub async fn control_statuses(&self) -> StoreResult<std::collections::HashMap<i64, ControlStatus>> {
        let rows: Vec<(i64, String)> = on_pool!(self, |p| { sqlx::query_as(CURRENT_SQL).fetch_all(p).await? });
        Ok(rows.into_iter().filter_map(|(id, s)| ControlStatus::parse(&s).map(|s| (id, s))).collect())
    }

    /// Sets a compound's control status, with a reason: the command, within
    /// its scope. Audited; a status the compound has already changes nothing.
    pub async fn set_control(
        &self,
        actor: &Actor,
        compound_id: i64,
        status: ControlStatus,
        reason: &str,
    ) -> StoreResult<Outcome> {
        if !rules::may_set(actor) {
            return Err(StoreError::Forbidden);
        }
        let place = self.place(actor, compound_id).await?;
        if place.kind != PlaceKind::Compound {
            return Err(StoreError::invalid(ControlError::NotCompound));
        }
        let reason = rules::check_reason(reason).map_err(StoreError::invalid)?;
        let now = self.now();
        Ok(on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            // Holds the compound until the commit: a second change waits here
            // and then reads the first.
            let lock = crate::db::for_update(p);
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT id FROM places WHERE id = $1{lock}")))
                .bind(compound_id)
                .execute(&mut *tx)
                .await?;
            let current: Option<String> = sqlx::query_scalar(
                "SELECT to_status FROM control_changes WHERE compound_id = $1 ORDER BY id DESC LIMIT 1",
            )
            .bind(compound_id)
            .fetch_optional(&mut *tx)
            .await?;
            let from = current.as_deref().and_then(ControlStatus::parse);
            if from == Some(status) {
                Outcome::Unchanged
            } else {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO control_changes (compound_id, at, actor, from_status, to_status, reason) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(compound_id)
                .bind(now)
                .bind(actor.username.clone())
                .bind(from.map(ControlStatus::as_str))
                .bind(status.as_str())
                .bind(reason.clone())
                .fetch_one(&mut *tx)
                .await?;
                audit_insert!(
                    &mut *tx,
                    crate::audit::NewEntry::new(now, actor, "set", "control", compound_id.to_string())
                        .before(serde_json::json!({"status": from.map(ControlStatus::as_str)}).to_string())
                        .after(
                            serde_json::json!({"status": status.as_str(), "reason": reason, "change": id}).to_string()
                        )
                )?;
                // Announced in the same transaction: the change and its messages commit together.
                let a = cordon_domain::webhooks::Announcement::control(
                    compound_id,
                    &place.name,
                    from,
                    status,
                    &actor.username,
                    now,
                    &reason,
                );
                outbox_insert!(&mut *tx, &a)?;
                tx.commit().await?;
                Outcome::Changed(from)
            }
        }))
    }
}

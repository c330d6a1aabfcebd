//! The append-only audit log: who changed or revealed what, when, with the
//! record before and after.

use chrono::{DateTime, Utc};
use cordon_domain::{Actor, Capability};
use serde::Serialize;

use crate::{Page, PageRequest, Store, StoreError, StoreResult};

#[cfg(test)]
mod written;

/// Every action the store writes into the log. The log's page words each of
/// them (a test there checks every one has its text), and a test here reads
/// the store's sources so that a write with an action missing here fails.
pub const ACTIONS: &[&str] = &[
    "create",
    "update",
    "delete",
    "enable",
    "disable",
    "set",
    "import",
    "export",
    "issue",
    "reverse",
    "acknowledge",
    "assemble",
    "report",
    "stand-down",
    "decline",
    "cancel",
    "build",
    "clear",
    "staff",
    "handover",
    "link",
    "set-password",
    "change-password",
    "revoke",
    "reveal-id-number",
    "reveal-phone",
    "search-id-number",
    "reveal-passport",
    "check-in",
    "release",
    "record-result",
    "extend",
];

/// Every kind of record the store names in the log (`entity`), checked as [`ACTIONS`] is.
pub const ENTITIES: &[&str] = &[
    "place",
    "checkpoint",
    "site",
    "resident",
    "residents",
    "unit",
    "cadre",
    "training",
    "order",
    "liaison",
    "roster",
    "shift",
    "control",
    "kit",
    "import",
    "webhook",
    "user",
    "token",
    "site-member",
    "quarantine-policy",
    "arrival-batch",
    "release-certificate",
    "quarantined",
    "transfer",
    "health-check",
    "stay-request",
    "site-room",
];

/// One line of the log.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Its id.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// The acting user's id (none for the system).
    pub user_id: Option<i64>,
    /// The acting user's name.
    pub actor: String,
    /// What was done: create, update, reveal-phone, login...
    pub action: String,
    /// Which kind of record.
    pub entity: String,
    /// Which record.
    pub entity_id: String,
    /// The record before, as JSON.
    pub before_json: Option<String>,
    /// The record after, as JSON.
    pub after_json: Option<String>,
}

/// What to write into the log; built by the store modules.
pub(crate) struct NewEntry<'a> {
    pub at: DateTime<Utc>,
    pub actor: &'a Actor,
    pub action: String,
    pub entity: &'a str,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl<'a> NewEntry<'a> {
    /// An entry without record contents (a reveal, say); add them with `before` and `after`.
    pub fn new(
        at: DateTime<Utc>,
        actor: &'a Actor,
        action: impl Into<String>,
        entity: &'a str,
        entity_id: impl Into<String>,
    ) -> Self {
        NewEntry { at, actor, action: action.into(), entity, entity_id: entity_id.into(), before: None, after: None }
    }

    /// The record as it was, as JSON.
    pub fn before(mut self, json: String) -> Self {
        self.before = Some(json);
        self
    }

    /// The record as it is now, as JSON.
    pub fn after(mut self, json: String) -> Self {
        self.after = Some(json);
        self
    }
}

/// Filters for reading the log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this kind of record.
    pub entity: Option<String>,
    /// Only this record.
    pub entity_id: Option<String>,
    /// Only this user's actions.
    pub actor: Option<String>,
}

impl Store {
    /// Reads the log, newest first; command users only.
    pub async fn audit_entries(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> StoreResult<Page<AuditEntry>> {
        if !actor.can(Capability::ViewAudit) {
            return Err(StoreError::Forbidden);
        }
        const WHERE: &str = " FROM audit_log WHERE ($1 IS NULL OR entity = $1) \
             AND ($2 IS NULL OR entity_id = $2) AND ($3 IS NULL OR actor = $3)";
        let (items, total) = on_pool!(self, |p| {
            let items: Vec<AuditEntry> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT id, at, user_id, actor, action, entity, entity_id, before_json, after_json {WHERE} \
                 ORDER BY id DESC LIMIT $4 OFFSET $5"
            )))
            .bind(filter.entity.as_deref().map(crate::clean))
            .bind(filter.entity_id.as_deref().map(crate::clean))
            .bind(filter.actor.as_deref().map(crate::clean))
            .bind(page.per_page)
            .bind(page.offset())
            .fetch_all(p)
            .await?;
            let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) {WHERE}")))
                .bind(filter.entity.as_deref().map(crate::clean))
                .bind(filter.entity_id.as_deref().map(crate::clean))
                .bind(filter.actor.as_deref().map(crate::clean))
                .fetch_one(p)
                .await?;
            (items, total)
        });
        Ok(Page { items, total, page: page.page, per_page: page.per_page })
    }
}

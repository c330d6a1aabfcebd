//! Kits (防疫战斗包): a template of items per person, and a ledger of what
//! each squad member was handed. A correction is a new entry reversing an old
//! one; entries are never edited or deleted.

use chrono::{DateTime, Utc};
use cordon_domain::kits::{QUANTITY, may_edit_template, may_issue};
use cordon_domain::{Actor, Key};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

/// One ledger entry to write.
struct Entry {
    squad: i64,
    cadre: i64,
    item: i64,
    quantity: i64,
    reverses: Option<i64>,
    /// Part of a whole kit handed in one tap (said in the audit entry).
    whole: bool,
}

/// Holds a member's row of a squad until the transaction ends, so that two
/// writes of that member's kit take turns and the second reads what the first
/// wrote (`FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already holds
/// the database). Refuses a cadre who is not (or no longer) in the squad.
macro_rules! lock_member {
    ($p:expr, $conn:expr, $squad:expr, $cadre:expr) => {
        async {
            let lock = crate::db::for_update($p);
            let found: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT cadre_id FROM squad_members WHERE squad_id = $1 AND cadre_id = $2{lock}"
            )))
            .bind($squad)
            .bind($cadre)
            .fetch_optional($conn)
            .await?;
            match found {
                Some(_) => Ok(()),
                None => Err(crate::StoreError::invalid(cordon_domain::Key::KitNotMember)),
            }
        }
        .await
    };
}

/// Writes one ledger entry and its audit entry in the caller's write
/// transaction; yields the entry's id.
macro_rules! ledger_insert {
    ($conn:expr, $now:expr, $actor:expr, $entry:expr) => {
        async {
            let conn = $conn;
            let (now, actor, e): (chrono::DateTime<chrono::Utc>, &cordon_domain::Actor, Entry) = ($now, $actor, $entry);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO kit_ledger (squad_id, cadre_id, item_id, quantity, at, actor, reverses) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(e.squad)
            .bind(e.cadre)
            .bind(e.item)
            .bind(e.quantity)
            .bind(now)
            .bind(actor.username.clone())
            .bind(e.reverses)
            .fetch_one(&mut *conn)
            .await?;
            let mut after = serde_json::json!({
                "squad_id": e.squad, "cadre_id": e.cadre, "item_id": e.item, "quantity": e.quantity, "reverses": e.reverses
            });
            if e.whole {
                after["whole_kit"] = serde_json::Value::Bool(true);
            }
            let action = if e.reverses.is_some() { "reverse" } else { "issue" };
            audit_insert!(
                &mut *conn,
                crate::audit::NewEntry::new(now, actor, action, "kit", id.to_string()).after(after.to_string())
            )?;
            Ok::<i64, crate::StoreError>(id)
        }
        .await
    };
}

pub mod grid;

/// An item of the kit template.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct KitItem {
    /// Its id.
    pub id: i64,
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// How many each person gets.
    pub per_person: i64,
}

impl KitItem {
    /// Its name for a reader of English (the English name where there is one) or of Chinese.
    pub fn name_for(&self, english: bool) -> &str {
        if english && !self.name_en.is_empty() { &self.name_en } else { &self.name }
    }
}

/// One ledger entry.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct KitEntry {
    /// Its id.
    pub id: i64,
    /// The member's name.
    pub cadre: String,
    /// The item's name.
    pub item: String,
    /// Handed (positive) or taken back by a correction (negative).
    pub quantity: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who recorded it.
    pub actor: String,
    /// The entry this one reverses.
    pub reverses: Option<i64>,
    /// Whether a later entry reverses this one.
    pub reversed: bool,
}

/// A squad's totals for one item.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KitLine {
    /// The item.
    pub item: KitItem,
    /// Members × per person.
    pub due: i64,
    /// Handed so far (net of corrections).
    pub issued: i64,
    /// Still owed (never below zero).
    pub owed: i64,
}

/// A squad's kits: totals per item and the ledger.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KitStatus {
    /// Per item.
    pub lines: Vec<KitLine>,
    /// The ledger, newest first.
    pub entries: Vec<KitEntry>,
}

impl KitStatus {
    /// How many pieces the squad is still owed, all items together (the squad page's summary).
    pub fn owed_total(&self) -> i64 {
        self.lines.iter().map(|l| l.owed).sum()
    }
}

impl Store {
    /// Adds an item to the kit template or changes its quantity; command and organisation.
    pub async fn upsert_kit_item(&self, actor: &Actor, name: &str, name_en: &str, per_person: i64) -> StoreResult<i64> {
        if !may_edit_template(actor) {
            return Err(StoreError::Forbidden);
        }
        let name = cordon_domain::places::PlaceName::parse(name).map_err(|e| {
            StoreError::invalid(Key::KitBadItemName.with("reason", cordon_domain::Refusal::from(e).key))
        })?;
        if !QUANTITY.contains(&per_person) {
            return Err(StoreError::invalid(Key::KitPerPersonRange));
        }
        let name_en = crate::clean(name_en);
        Ok(on_pool!(self, |p| {
            sqlx::query_scalar(
                "INSERT INTO kit_items (name, name_en, per_person) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET name_en = excluded.name_en, per_person = excluded.per_person RETURNING id",
            )
            .bind(name.as_str().to_string())
            .bind(name_en)
            .bind(per_person)
            .fetch_one(p)
            .await?
        }))
    }

    /// The kit template.
    pub async fn kit_items(&self) -> StoreResult<Vec<KitItem>> {
        Ok(on_pool!(self, |p| {
            sqlx::query_as("SELECT id, name, name_en, per_person FROM kit_items ORDER BY id").fetch_all(p).await?
        }))
    }

    /// Records items handed to a member of a squad the actor may see.
    pub async fn issue_kit(
        &self,
        actor: &Actor,
        squad_id: i64,
        cadre_id: i64,
        item_id: i64,
        quantity: i64,
    ) -> StoreResult<i64> {
        if !may_issue(actor) {
            return Err(StoreError::Forbidden);
        }
        let squad = self.squad(actor, squad_id).await?;
        if !squad.members.iter().any(|m| m.cadre_id == cadre_id) {
            return Err(StoreError::invalid(Key::KitNotMember));
        }
        if !QUANTITY.contains(&quantity) {
            return Err(StoreError::invalid(Key::KitQuantityRange));
        }
        if !self.kit_items().await?.iter().any(|i| i.id == item_id) {
            return Err(StoreError::invalid(Key::KitNoItem));
        }
        self.kit_entry(actor, squad_id, cadre_id, item_id, quantity, None).await
    }

    /// Corrects an entry by a new one with the opposite quantity; each entry can be reversed once.
    pub async fn reverse_kit_entry(&self, actor: &Actor, squad_id: i64, entry_id: i64) -> StoreResult<i64> {
        if !may_issue(actor) {
            return Err(StoreError::Forbidden);
        }
        self.squad(actor, squad_id).await?;
        let row: Option<(i64, i64, i64, Option<i64>)> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT cadre_id, item_id, quantity, reverses FROM kit_ledger WHERE id = $1 AND squad_id = $2",
            )
            .bind(entry_id)
            .bind(squad_id)
            .fetch_optional(p)
            .await?
        });
        let (cadre, item, quantity, reverses) = row.ok_or(StoreError::NotFound)?;
        if reverses.is_some() {
            return Err(StoreError::invalid(Key::KitCorrectCorrection));
        }
        self.kit_entry(actor, squad_id, cadre, item, -quantity, Some(entry_id))
            .await
            .map_err(|e| e.unique_as(Key::KitCorrectedAlready))
    }

    async fn kit_entry(
        &self,
        actor: &Actor,
        squad: i64,
        cadre: i64,
        item: i64,
        quantity: i64,
        reverses: Option<i64>,
    ) -> StoreResult<i64> {
        let now = self.now();
        Ok(on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            lock_member!(p, &mut *tx, squad, cadre)?;
            let id =
                ledger_insert!(&mut *tx, now, actor, Entry { squad, cadre, item, quantity, reverses, whole: false })?;
            tx.commit().await?;
            id
        }))
    }

    /// A squad's kits: due, issued and owed per item (owed summed member by member), and the ledger.
    pub async fn kit_status(&self, actor: &Actor, squad_id: i64) -> StoreResult<KitStatus> {
        let squad = self.squad(actor, squad_id).await?;
        let members = squad.members.len() as i64;
        let ledger = self.kit_ledger_sums(squad_id).await?;
        // Owed is counted member by member: one member handed too many does not
        // make up for another handed nothing.
        let lines = self
            .kit_items()
            .await?
            .into_iter()
            .map(|item| {
                let given = |m: &crate::squads::SquadMember| ledger.given(m.cadre_id, item.id);
                let issued = squad.members.iter().map(given).sum();
                let owed = squad.members.iter().map(|m| cordon_domain::kits::owed(item.per_person, given(m))).sum();
                KitLine { due: members * item.per_person, issued, owed, item }
            })
            .collect();
        let entries = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT l.id, c.name AS cadre, i.name AS item, l.quantity, l.at, l.actor, l.reverses, \
                 EXISTS (SELECT 1 FROM kit_ledger r WHERE r.reverses = l.id) AS reversed \
                 FROM kit_ledger l JOIN cadres c ON c.id = l.cadre_id JOIN kit_items i ON i.id = l.item_id \
                 WHERE l.squad_id = $1 ORDER BY l.id DESC",
            )
            .bind(squad_id)
            .fetch_all(p)
            .await?
        });
        Ok(KitStatus { lines, entries })
    }
}

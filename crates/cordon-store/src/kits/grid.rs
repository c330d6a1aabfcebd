//! Kits member by member: what each member of a squad was handed and still
//! owes of each item (the grid of the kits page), and the whole kit handed to
//! one member in one tap ("发放全套").

use std::collections::HashMap;

use cordon_domain::Actor;
use cordon_domain::kits::{may_issue, owed, rest_of_kit};
use serde::Serialize;

use super::{Entry, KitItem};
use crate::{Store, StoreError, StoreResult};

/// One member and one item of the grid.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KitCell {
    /// The item's id.
    pub item_id: i64,
    /// How many the template gives each person.
    pub per_person: i64,
    /// Handed to this member so far, net of corrections.
    pub given: i64,
    /// Still owed to this member (never below zero).
    pub owed: i64,
    /// The entry a correction of this cell reverses: the latest one handed
    /// and not reversed yet (none when there is nothing left to correct).
    pub correctable: Option<i64>,
}

/// One member's row of the grid.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KitMemberRow {
    /// The member's cadre id.
    pub cadre_id: i64,
    /// The member's name.
    pub name: String,
    /// The member's role in the squad (`leader`, `secretary`, `member`).
    pub role: String,
    /// One cell per template item, in the template's order.
    pub cells: Vec<KitCell>,
    /// Pieces still owed to this member, all items together.
    pub owed: i64,
}

/// A squad's kits member by member: the template's items (the columns) and a
/// row per member, leader first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KitGrid {
    /// The template's items.
    pub items: Vec<KitItem>,
    /// The members.
    pub members: Vec<KitMemberRow>,
}

impl KitGrid {
    /// How many members are still owed something.
    pub fn members_owed(&self) -> usize {
        self.members.iter().filter(|m| m.owed > 0).count()
    }
}

/// One entry of a whole kit handed in one tap.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KitHanded {
    /// The ledger entry's id.
    pub entry_id: i64,
    /// The item's id.
    pub item_id: i64,
    /// How many were handed.
    pub quantity: i64,
}

/// A row summed per cell: cadre id, item id, and a figure (a quantity or an entry id).
type PerCell = (i64, i64, i64);

/// Per (member, item): the net quantity handed, and the latest reversible entry.
pub(super) struct Ledger {
    given: HashMap<(i64, i64), i64>,
    correctable: HashMap<(i64, i64), i64>,
}

impl Ledger {
    /// The net quantity handed to a member of an item.
    pub(super) fn given(&self, cadre: i64, item: i64) -> i64 {
        self.given.get(&(cadre, item)).copied().unwrap_or(0)
    }
}

impl Store {
    /// The squad's ledger summed per member and item.
    pub(super) async fn kit_ledger_sums(&self, squad_id: i64) -> StoreResult<Ledger> {
        let (given, correctable): (Vec<PerCell>, Vec<PerCell>) = on_pool!(self, |p| {
            let given = sqlx::query_as(
                "SELECT cadre_id, item_id, CAST(SUM(quantity) AS BIGINT) FROM kit_ledger \
                 WHERE squad_id = $1 GROUP BY cadre_id, item_id",
            )
            .bind(squad_id)
            .fetch_all(p)
            .await?;
            // An entry that is a correction is not corrected again, nor one corrected already.
            let correctable = sqlx::query_as(
                "SELECT l.cadre_id, l.item_id, CAST(MAX(l.id) AS BIGINT) FROM kit_ledger l \
                 WHERE l.squad_id = $1 AND l.reverses IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM kit_ledger r WHERE r.reverses = l.id) \
                 GROUP BY l.cadre_id, l.item_id",
            )
            .bind(squad_id)
            .fetch_all(p)
            .await?;
            (given, correctable)
        });
        Ok(Ledger {
            given: given.into_iter().map(|(c, i, n)| ((c, i), n)).collect(),
            correctable: correctable.into_iter().map(|(c, i, e)| ((c, i), e)).collect(),
        })
    }

    /// A squad's kits member by member, for whoever may see the squad.
    pub async fn kit_grid(&self, actor: &Actor, squad_id: i64) -> StoreResult<KitGrid> {
        let squad = self.squad(actor, squad_id).await?;
        let items = self.kit_items().await?;
        let ledger = self.kit_ledger_sums(squad_id).await?;
        let members = squad
            .members
            .into_iter()
            .map(|m| {
                let cells: Vec<KitCell> = items
                    .iter()
                    .map(|i| {
                        let given = ledger.given(m.cadre_id, i.id);
                        KitCell {
                            item_id: i.id,
                            per_person: i.per_person,
                            given,
                            owed: owed(i.per_person, given),
                            correctable: ledger.correctable.get(&(m.cadre_id, i.id)).copied(),
                        }
                    })
                    .collect();
                KitMemberRow {
                    cadre_id: m.cadre_id,
                    name: m.name,
                    role: m.role,
                    owed: cells.iter().map(|c| c.owed).sum(),
                    cells,
                }
            })
            .collect();
        Ok(KitGrid { items, members })
    }

    /// Hands a member of a squad the actor may see everything of the kit
    /// template still owed to them, in one transaction with an audit entry per
    /// ledger entry. What is owed is read after the member's row is locked, so
    /// a second tap at the same instant waits for the first and finds nothing
    /// owed: it hands nothing and yields no entries.
    pub async fn issue_whole_kit(&self, actor: &Actor, squad_id: i64, cadre_id: i64) -> StoreResult<Vec<KitHanded>> {
        if !may_issue(actor) {
            return Err(StoreError::Forbidden);
        }
        self.squad(actor, squad_id).await?;
        let now = self.now();
        Ok(on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            lock_member!(p, &mut *tx, squad_id, cadre_id)?;
            let template: Vec<(i64, i64)> =
                sqlx::query_as("SELECT id, per_person FROM kit_items ORDER BY id").fetch_all(&mut *tx).await?;
            let given: HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(
                "SELECT item_id, CAST(SUM(quantity) AS BIGINT) FROM kit_ledger \
                 WHERE squad_id = $1 AND cadre_id = $2 GROUP BY item_id",
            )
            .bind(squad_id)
            .bind(cadre_id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
            let mut handed = Vec::new();
            for (item, quantity) in rest_of_kit(&template, |item| given.get(&item).copied().unwrap_or(0)) {
                let entry = Entry { squad: squad_id, cadre: cadre_id, item, quantity, reverses: None, whole: true };
                let entry_id = ledger_insert!(&mut *tx, now, actor, entry)?;
                handed.push(KitHanded { entry_id, item_id: item, quantity });
            }
            tx.commit().await?;
            handed
        }))
    }
}

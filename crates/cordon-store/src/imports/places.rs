//! Import of the administrative tree: one row per checkpoint.

use std::collections::HashMap;

use cordon_domain::Actor;
use cordon_domain::places::{PlaceKind, PlaceName};

use super::{BadReason, Checker, ImportKind, ImportSummary, Progress, Run};
use crate::sheets::{ColumnSpec, Sheet};
use crate::{Store, StoreResult};

pub(super) const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec { key: "city", aliases: &["市", "城市", "city"], required: false },
    ColumnSpec { key: "district", aliases: &["区", "district"], required: false },
    ColumnSpec { key: "street", aliases: &["街道", "street"], required: true },
    ColumnSpec { key: "community", aliases: &["社区", "community"], required: true },
    ColumnSpec { key: "compound", aliases: &["小区", "compound"], required: true },
    ColumnSpec { key: "checkpoint", aliases: &["卡口", "checkpoint"], required: true },
];

struct Row {
    district: Option<(PlaceName, PlaceName)>,
    street: PlaceName,
    community: PlaceName,
    compound: PlaceName,
    checkpoint: Option<PlaceName>,
}

impl Store {
    pub(super) async fn import_places(
        &self,
        actor: &Actor,
        sheet: &Sheet,
        run: Option<&Run>,
        progress: Progress<'_>,
    ) -> StoreResult<ImportSummary> {
        let mut check = Checker::new(run.is_some());
        let Some(map) = check.columns(sheet, ImportKind::Places) else {
            return Err(self.reject(actor, run, check).await);
        };
        let existing_district: Option<(i64, String)> = on_pool!(self, |p| {
            sqlx::query_as("SELECT id, path FROM places WHERE kind = 'district' ORDER BY id LIMIT 1")
                .fetch_optional(p)
                .await?
        });
        let mut rows = Vec::new();
        for row in &sheet.rows {
            let name =
                |check: &mut Checker, key: &str| check.parse(row, &map, key, PlaceName::parse, BadReason::BadName);
            let district = match (map.get(row, "city"), map.get(row, "district")) {
                ("", "") => {
                    if existing_district.is_none() {
                        check.bad(row, &map, "district", BadReason::UnknownDistrict);
                    }
                    None
                }
                _ => match (name(&mut check, "city"), name(&mut check, "district")) {
                    (Some(c), Some(d)) => Some((c, d)),
                    _ => None,
                },
            };
            let street = name(&mut check, "street");
            let community = name(&mut check, "community");
            let compound = name(&mut check, "compound");
            let checkpoint = match map.get(row, "checkpoint") {
                "" => None,
                _ => name(&mut check, "checkpoint"),
            };
            if let (Some(street), Some(community), Some(compound)) = (street, community, compound) {
                rows.push(Row { district, street, community, compound, checkpoint });
            }
        }
        self.finish_check(actor, run, check).await?;

        let total = rows.len();
        let summary = on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            claim_run!(p, tx, run)?;
            let mut summary = ImportSummary::default();
            let mut cache: HashMap<(Option<i64>, String), (i64, String)> = HashMap::new();
            for (i, row) in rows.iter().enumerate() {
                let mut created = false;
                let mut parent: Option<(i64, String)> = existing_district.clone();
                let mut chain: Vec<(PlaceKind, &str)> = Vec::new();
                if let Some((city, district)) = &row.district {
                    parent = None;
                    chain.push((PlaceKind::City, city.as_str()));
                    chain.push((PlaceKind::District, district.as_str()));
                }
                chain.push((PlaceKind::Street, row.street.as_str()));
                chain.push((PlaceKind::Community, row.community.as_str()));
                chain.push((PlaceKind::Compound, row.compound.as_str()));
                for (kind, name) in chain {
                    let key = (parent.as_ref().map(|(id, _)| *id), name.to_string());
                    let node = match cache.get(&key) {
                        Some(n) => n.clone(),
                        None => {
                            let (id, path, new) =
                                ensure_place!(&mut *tx, self.now(), actor, parent.clone(), kind, name)?;
                            created |= new;
                            cache.insert(key, (id, path.clone()));
                            (id, path)
                        }
                    };
                    parent = Some(node);
                }
                if let (Some(cp), Some((compound_id, _))) = (&row.checkpoint, &parent) {
                    let inserted = sqlx::query(
                        "INSERT INTO checkpoints (compound_id, name) VALUES ($1, $2) ON CONFLICT (compound_id, name) DO NOTHING",
                    )
                    .bind(*compound_id)
                    .bind(cp.as_str().to_string())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if inserted == 1 {
                        created = true;
                        audit_insert!(
                            &mut *tx,
                            crate::audit::NewEntry::new(
                                self.now(),
                                actor,
                                "create",
                                "checkpoint",
                                format!("{compound_id}/{}", cp.as_str())
                            )
                            .after(serde_json::json!({"compound_id": compound_id, "name": cp.as_str()}).to_string())
                        )?;
                    }
                }
                if created {
                    summary.imported += 1
                } else {
                    summary.unchanged += 1
                }
                if i % 100 == 0 {
                    progress(&super::ImportProgress::rows(i, total));
                }
            }
            record_run!(tx, self.now(), actor, run, &summary)?;
            tx.commit().await?;
            summary
        });
        progress(&super::ImportProgress::rows(total, total));
        Ok(summary)
    }
}

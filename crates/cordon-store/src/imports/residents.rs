//! Import of residents, keyed by ID number.

use std::collections::HashMap;

use cordon_domain::places::{PlaceKind, PlaceName, PlacePath};
use cordon_domain::residents::SpecialGroup;
use cordon_domain::{Actor, IdNumber, PersonName, Phone};

use super::{BadReason, Checker, ImportKind, ImportSummary, Progress, Run};
use crate::places::CompoundRef;
use crate::sheets::{ColumnSpec, Sheet};
use crate::{Store, StoreResult};

pub(super) const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec { key: "street", aliases: &["街道", "street"], required: true },
    ColumnSpec { key: "community", aliases: &["社区", "community"], required: true },
    ColumnSpec { key: "compound", aliases: &["小区", "compound"], required: true },
    ColumnSpec { key: "building", aliases: &["楼栋", "楼号", "building"], required: true },
    ColumnSpec { key: "entrance", aliases: &["单元", "entrance"], required: true },
    ColumnSpec { key: "room", aliases: &["房号", "门牌号", "room"], required: true },
    ColumnSpec { key: "name", aliases: &["姓名", "name"], required: true },
    ColumnSpec {
        key: "id_number", aliases: &["身份证号", "身份证号码", "id_number", "id number"], required: true
    },
    ColumnSpec { key: "phone", aliases: &["手机号", "手机号码", "联系电话", "phone"], required: false },
    ColumnSpec { key: "tags", aliases: &["标签", "特殊群体", "tags"], required: false },
];

/// A checked row, ready to write.
pub(crate) struct ResidentIn {
    pub compound: CompoundRef,
    pub building: PlaceName,
    pub entrance: PlaceName,
    pub room: PlaceName,
    pub name: PersonName,
    pub id_number: IdNumber,
    pub phone: Option<Phone>,
    pub tags: Vec<SpecialGroup>,
}

#[derive(sqlx::FromRow)]
struct Existing {
    id: i64,
    name: String,
    id_number: String,
    phone: Option<String>,
    tags: String,
    household_id: i64,
    path: String,
}

/// How many rows one INSERT carries: far below both engines' bind limits, and
/// large enough that the statement count does not dominate (DESIGN.md).
const CHUNK: usize = 500;

impl ResidentIn {
    fn audit_json(&self, household_id: i64) -> String {
        // The log keeps masked numbers: it must not become a second copy of personal data.
        serde_json::json!({
            "name": self.name.as_str(),
            "id_number": self.id_number.masked(),
            "phone": self.phone.as_ref().map(|p| p.masked()),
            "tags": SpecialGroup::join(&self.tags),
            "household_id": household_id,
        })
        .to_string()
    }
}

fn existing_json(e: &Existing) -> String {
    serde_json::json!({
        "name": e.name,
        "id_number": IdNumber::parse(&e.id_number).map(|i| i.masked()).unwrap_or_default(),
        "phone": e.phone.as_deref().and_then(|p| Phone::parse(p).ok()).map(|p| p.masked()),
        "tags": e.tags,
        "household_id": e.household_id,
    })
    .to_string()
}

impl Store {
    pub(super) async fn import_residents(
        &self,
        actor: &Actor,
        sheet: &Sheet,
        run: Option<&Run>,
        progress: Progress<'_>,
    ) -> StoreResult<ImportSummary> {
        let mut check = Checker::new(run.is_some());
        let Some(map) = check.columns(sheet, ImportKind::Residents) else {
            return Err(self.reject(actor, run, check).await);
        };
        let compounds: HashMap<(String, String, String), CompoundRef> = self
            .compounds(actor, None)
            .await?
            .into_iter()
            .map(|c| ((c.street.clone(), c.community.clone(), c.name.clone()), c))
            .collect();
        // Grown with the good rows only: a file of bad rows reserves nothing for them.
        let mut rows: Vec<ResidentIn> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for row in &sheet.rows {
            let place =
                |check: &mut Checker, key: &str| check.parse(row, &map, key, PlaceName::parse, BadReason::BadName);
            let street = check.required(row, &map, "street");
            let community = check.required(row, &map, "community");
            let compound_name = check.required(row, &map, "compound");
            let compound = match (street, community, compound_name) {
                (Some(s), Some(c), Some(n)) => {
                    let found = compounds.get(&(s.to_string(), c.to_string(), n.to_string())).cloned();
                    if found.is_none() {
                        check.bad(row, &map, "compound", BadReason::UnknownCompound);
                    }
                    found
                }
                _ => None,
            };
            let building = place(&mut check, "building");
            let entrance = place(&mut check, "entrance");
            let room = place(&mut check, "room");
            let name = check.parse(row, &map, "name", PersonName::parse, BadReason::BadName);
            let id_number = check.parse(row, &map, "id_number", IdNumber::parse, BadReason::BadIdNumber);
            if let Some(id) = &id_number
                && let Some(first) = seen.insert(id.as_str().to_string(), row.number)
            {
                check.bad(row, &map, "id_number", BadReason::DuplicateInFile(first));
                seen.insert(id.as_str().to_string(), first);
            }
            let phone = match map.get(row, "phone") {
                "" => Some(None),
                _ => check.parse(row, &map, "phone", Phone::parse, BadReason::BadPhone).map(Some),
            };
            let tags = match SpecialGroup::parse_list(map.get(row, "tags")) {
                Ok(t) => Some(t),
                Err(word) => {
                    check.bad(row, &map, "tags", BadReason::UnknownTag(word));
                    None
                }
            };
            if let (
                Some(compound),
                Some(building),
                Some(entrance),
                Some(room),
                Some(name),
                Some(id_number),
                Some(phone),
                Some(tags),
            ) = (compound, building, entrance, room, name, id_number, phone, tags)
            {
                rows.push(ResidentIn { compound, building, entrance, room, name, id_number, phone, tags });
            }
        }

        // Residents already on file, by ID number; one outside the actor's scope may not be moved in.
        let mut existing: HashMap<String, Existing> = HashMap::new();
        for chunk in rows.chunks(CHUNK) {
            let found: Vec<Existing> = on_pool!(self, |p| {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT r.id, r.name, r.id_number, r.phone, r.tags, r.household_id, h.path FROM residents r \
                     JOIN places h ON h.id = r.household_id WHERE r.id_number IN (",
                );
                let mut sep = qb.separated(", ");
                for r in chunk {
                    sep.push_bind(r.id_number.as_str().to_string());
                }
                qb.push(")");
                qb.build_query_as().fetch_all(p).await?
            });
            existing.extend(found.into_iter().map(|e| (e.id_number.clone(), e)));
        }
        for r in &rows {
            if let Some(e) = existing.get(r.id_number.as_str())
                && !actor.scope.covers_place(&PlacePath::from_stored(e.path.clone()))
            {
                let number = seen.get(r.id_number.as_str()).copied().unwrap_or(0);
                check.push(super::BadRow {
                    row: number,
                    column: map.header("id_number").to_string(),
                    value: r.id_number.masked(),
                    reason: BadReason::RegisteredElsewhere,
                });
            }
        }
        // The listed cells in row order; the full report has the registered-elsewhere ones last.
        check.report.bad_rows.sort_by_key(|b| b.row);
        self.finish_check(actor, run, check).await?;
        self.write_residents(actor, &rows, &existing, run, progress).await
    }

    async fn write_residents(
        &self,
        actor: &Actor,
        rows: &[ResidentIn],
        existing: &HashMap<String, Existing>,
        run: Option<&Run>,
        progress: Progress<'_>,
    ) -> StoreResult<ImportSummary> {
        let total = rows.len();
        let summary = on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            claim_run!(p, tx, run)?;
            let mut summary = ImportSummary::default();
            // The tree below the compounds, one level at a time, in bulk.
            let buildings = ensure_children!(
                &mut *tx,
                self.now(),
                actor,
                PlaceKind::Building,
                rows.iter()
                    .map(|r| (r.compound.id, r.compound.path.clone(), r.building.as_str().to_string()))
                    .collect()
            )?;
            let building_of = |r: &ResidentIn| buildings[&(r.compound.id, r.building.as_str().to_string())].clone();
            let entrances = ensure_children!(
                &mut *tx,
                self.now(),
                actor,
                PlaceKind::Entrance,
                rows.iter()
                    .map(|r| {
                        let (id, path) = building_of(r);
                        (id, path, r.entrance.as_str().to_string())
                    })
                    .collect()
            )?;
            let entrance_of = |r: &ResidentIn| {
                let (b, _) = building_of(r);
                entrances[&(b, r.entrance.as_str().to_string())].clone()
            };
            let households = ensure_children!(
                &mut *tx,
                self.now(),
                actor,
                PlaceKind::Household,
                rows.iter()
                    .map(|r| {
                        let (id, path) = entrance_of(r);
                        (id, path, r.room.as_str().to_string())
                    })
                    .collect()
            )?;
            let mut fresh: Vec<(&ResidentIn, i64)> = Vec::new();
            for (i, r) in rows.iter().enumerate() {
                let (entrance, _) = entrance_of(r);
                let household_id = households[&(entrance, r.room.as_str().to_string())].0;
                let tags = SpecialGroup::join(&r.tags);
                let phone = r.phone.as_ref().map(|p| p.as_str().to_string());
                match existing.get(r.id_number.as_str()) {
                    None => fresh.push((r, household_id)),
                    Some(e)
                        if e.name == r.name.as_str()
                            && e.phone == phone
                            && e.tags == tags
                            && e.household_id == household_id =>
                    {
                        summary.unchanged += 1;
                    }
                    Some(e) => {
                        sqlx::query(
                            "UPDATE residents SET name = $1, phone = $2, tags = $3, household_id = $4 WHERE id = $5",
                        )
                        .bind(r.name.as_str().to_string())
                        .bind(phone)
                        .bind(tags)
                        .bind(household_id)
                        .bind(e.id)
                        .execute(&mut *tx)
                        .await?;
                        audit_insert!(
                            &mut *tx,
                            crate::audit::NewEntry::new(self.now(), actor, "update", "resident", e.id.to_string())
                                .before(existing_json(e))
                                .after(r.audit_json(household_id))
                        )?;
                        summary.updated += 1;
                    }
                }
                if i % 200 == 0 {
                    progress(i / 2, total);
                }
            }
            for (n, chunk) in fresh.chunks(CHUNK).enumerate() {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO residents (household_id, name, id_number, birth_date, sex, phone, tags) ",
                );
                qb.push_values(chunk, |mut b, (r, household_id)| {
                    b.push_bind(*household_id)
                        .push_bind(r.name.as_str().to_string())
                        .push_bind(r.id_number.as_str().to_string())
                        .push_bind(r.id_number.birth_date())
                        .push_bind(r.id_number.sex().as_str())
                        .push_bind(r.phone.as_ref().map(|p| p.as_str().to_string()))
                        .push_bind(SpecialGroup::join(&r.tags));
                });
                qb.build().execute(&mut *tx).await?;
                // The new ids, for the audit log.
                let mut qb = sqlx::QueryBuilder::new("SELECT id, id_number FROM residents WHERE id_number IN (");
                let mut sep = qb.separated(", ");
                for (r, _) in chunk {
                    sep.push_bind(r.id_number.as_str().to_string());
                }
                qb.push(")");
                let ids: Vec<(i64, String)> = qb.build_query_as().fetch_all(&mut *tx).await?;
                let ids: HashMap<String, i64> = ids.into_iter().map(|(id, n)| (n, id)).collect();
                let now = self.now();
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO audit_log (at, user_id, actor, action, entity, entity_id, before_json, after_json) ",
                );
                qb.push_values(chunk, |mut b, (r, household_id)| {
                    b.push_bind(now)
                        .push_bind((actor.user_id != 0).then_some(actor.user_id))
                        .push_bind(actor.username.clone())
                        .push_bind("create")
                        .push_bind("resident")
                        .push_bind(ids.get(r.id_number.as_str()).copied().unwrap_or_default().to_string())
                        .push_bind(None::<String>)
                        .push_bind(Some(r.audit_json(*household_id)));
                });
                qb.build().execute(&mut *tx).await?;
                summary.imported += chunk.len();
                progress(total / 2 + ((n + 1) * CHUNK).min(fresh.len()) / 2, total);
            }
            record_run!(tx, self.now(), actor, run, &summary)?;
            tx.commit().await?;
            summary
        });
        progress(total, total);
        Ok(summary)
    }
}

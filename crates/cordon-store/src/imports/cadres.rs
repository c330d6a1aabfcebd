//! Import of cadres, keyed by unit and phone.

use std::collections::HashMap;

use cordon_domain::places::PlaceName;
use cordon_domain::values::parse_yes_no;
use cordon_domain::{Actor, PersonName, Phone, Sex};

use super::{BadReason, Checker, ImportKind, ImportSummary, Progress, Run};
use crate::sheets::{ColumnSpec, Sheet};
use crate::{Store, StoreResult};

pub(super) const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec { key: "unit", aliases: &["单位", "unit"], required: true },
    ColumnSpec { key: "name", aliases: &["姓名", "name"], required: true },
    ColumnSpec { key: "position", aliases: &["职务", "position"], required: false },
    ColumnSpec {
        key: "party_member", aliases: &["党员", "是否党员", "party_member", "party member"], required: true
    },
    ColumnSpec { key: "phone", aliases: &["手机号", "手机号码", "联系电话", "phone"], required: true },
    ColumnSpec { key: "sex", aliases: &["性别", "sex", "gender"], required: true },
];

/// A checked row, ready to write.
pub(crate) struct CadreIn {
    pub unit_id: i64,
    pub name: PersonName,
    pub position: String,
    pub party_member: bool,
    pub phone: Phone,
    pub sex: Sex,
}

#[derive(sqlx::FromRow)]
struct Existing {
    id: i64,
    unit_id: i64,
    name: String,
    position: String,
    party_member: bool,
    phone: String,
    sex: String,
}

fn json(name: &str, position: &str, party: bool, phone: &str, sex: &str) -> String {
    let masked = Phone::parse(phone).map(|p| p.masked()).unwrap_or_default();
    serde_json::json!({"name": name, "position": position, "party_member": party, "phone": masked, "sex": sex})
        .to_string()
}

impl Store {
    pub(super) async fn import_cadres(
        &self,
        actor: &Actor,
        sheet: &Sheet,
        run: Option<&Run>,
        progress: Progress<'_>,
    ) -> StoreResult<ImportSummary> {
        let mut check = Checker::new(run.is_some());
        let Some(map) = check.columns(sheet, ImportKind::Cadres) else {
            return Err(self.reject(actor, run, check).await);
        };
        let units: HashMap<String, i64> = self.units(actor).await?.into_iter().map(|u| (u.name, u.id)).collect();
        // Grown with the good rows only: a file of bad rows reserves nothing for them.
        let mut rows = Vec::new();
        let mut seen: HashMap<(i64, String), usize> = HashMap::new();
        for row in &sheet.rows {
            let unit_id = check.required(row, &map, "unit").and_then(|u| {
                let id = units.get(u).copied();
                if id.is_none() {
                    check.bad(row, &map, "unit", BadReason::UnknownUnit);
                }
                id
            });
            let name = check.parse(row, &map, "name", PersonName::parse, BadReason::BadName);
            let position = match map.get(row, "position") {
                "" => Some(String::new()),
                _ => check
                    .parse(row, &map, "position", PlaceName::parse, BadReason::BadName)
                    .map(|p| p.as_str().to_string()),
            };
            let party_member = match parse_yes_no(map.get(row, "party_member")) {
                Some(b) => Some(b),
                None => {
                    check.bad(row, &map, "party_member", BadReason::BadYesNo);
                    None
                }
            };
            let phone = check.parse(row, &map, "phone", Phone::parse, BadReason::BadPhone);
            let sex = check.required(row, &map, "sex").and_then(|s| {
                let sex = Sex::parse(s);
                if sex.is_none() {
                    check.bad(row, &map, "sex", BadReason::BadSex);
                }
                sex
            });
            if let (Some(unit_id), Some(phone)) = (unit_id, &phone) {
                if let Some(first) = seen.get(&(unit_id, phone.as_str().to_string())) {
                    check.bad(row, &map, "phone", BadReason::DuplicateInFile(*first));
                } else {
                    seen.insert((unit_id, phone.as_str().to_string()), row.number);
                }
            }
            if let (Some(unit_id), Some(name), Some(position), Some(party_member), Some(phone), Some(sex)) =
                (unit_id, name, position, party_member, phone, sex)
            {
                rows.push(CadreIn { unit_id, name, position, party_member, phone, sex });
            }
        }
        self.finish_check(actor, run, check).await?;

        let total = rows.len();
        let summary = on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            claim_run!(p, tx, run)?;
            let found: Vec<Existing> =
                sqlx::query_as("SELECT id, unit_id, name, position, party_member, phone, sex FROM cadres")
                    .fetch_all(&mut *tx)
                    .await?;
            let existing: HashMap<(i64, String), Existing> =
                found.into_iter().map(|e| ((e.unit_id, e.phone.clone()), e)).collect();
            let mut summary = ImportSummary::default();
            for (i, r) in rows.iter().enumerate() {
                let after = json(r.name.as_str(), &r.position, r.party_member, r.phone.as_str(), r.sex.as_str());
                match existing.get(&(r.unit_id, r.phone.as_str().to_string())) {
                    Some(e)
                        if e.name == r.name.as_str()
                            && e.position == r.position
                            && e.party_member == r.party_member
                            && e.sex == r.sex.as_str() =>
                    {
                        summary.unchanged += 1;
                    }
                    Some(e) => {
                        sqlx::query(
                            "UPDATE cadres SET name = $1, position = $2, party_member = $3, sex = $4 WHERE id = $5",
                        )
                        .bind(r.name.as_str().to_string())
                        .bind(r.position.clone())
                        .bind(r.party_member)
                        .bind(r.sex.as_str())
                        .bind(e.id)
                        .execute(&mut *tx)
                        .await?;
                        audit_insert!(
                            &mut *tx,
                            crate::audit::NewEntry::new(self.now(), actor, "update", "cadre", e.id.to_string())
                                .before(json(&e.name, &e.position, e.party_member, &e.phone, &e.sex))
                                .after(after)
                        )?;
                        summary.updated += 1;
                    }
                    None => {
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO cadres (unit_id, name, position, party_member, phone, sex) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                        )
                        .bind(r.unit_id)
                        .bind(r.name.as_str().to_string())
                        .bind(r.position.clone())
                        .bind(r.party_member)
                        .bind(r.phone.as_str().to_string())
                        .bind(r.sex.as_str())
                        .fetch_one(&mut *tx)
                        .await?;
                        audit_insert!(
                            &mut *tx,
                            crate::audit::NewEntry::new(self.now(), actor, "create", "cadre", id.to_string())
                                .after(after)
                        )?;
                        summary.imported += 1;
                    }
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

//! A batch's manifest imported: Chinese or English headers in any order, as
//! Excel and WPS save it (date cells, number cells); keyed by passport within
//! the batch; whole or nothing, every bad cell reported; the same file twice
//! changes nothing.

use std::collections::HashMap;

use chrono::NaiveDate;
use cordon_domain::quarantine::manifest::{Field, ManifestColumns, ManifestRow};
use cordon_domain::refusals::Arg;
use cordon_domain::{Actor, Refusal};

use super::Batch;
use crate::imports::{BadReason, BadRow, Checker, ImportProgress, ImportSummary, Progress};
use crate::sheets::Sheet;
use crate::{Store, StoreResult};

/// A person's stored values, in the columns' order: what a row of the file
/// is compared with to tell a change from a repeat.
type Values = [Option<String>; 14];

/// Binds a person's columns in the order the statements below name them
/// (the birth date as a date, where [`Values`] holds its text for comparing).
macro_rules! bind_person {
    ($q:expr, $v:expr, $birth:expr) => {
        $q.bind($v[0].clone())
            .bind($v[1].clone())
            .bind($v[2].clone())
            .bind($birth)
            .bind($v[4].clone())
            .bind($v[5].clone())
            .bind($v[6].clone())
            .bind($v[7].clone())
            .bind($v[8].clone())
            .bind($v[9].clone())
            .bind($v[10].clone())
            .bind($v[11].clone())
            .bind($v[12].clone())
            .bind($v[13].clone())
    };
}

fn values(r: &ManifestRow) -> Values {
    [
        Some(r.name.as_str().to_string()),
        Some(r.name_latin.as_str().to_string()),
        Some(r.nationality.as_str().to_string()),
        Some(r.birth_date.format("%Y-%m-%d").to_string()),
        Some(r.sex.as_str().to_string()),
        Some(r.language.as_str().to_string()),
        r.phone.as_ref().map(|p| p.as_str().to_string()),
        Some(r.destination_province.as_str().to_string()),
        Some(r.destination_institution.as_str().to_string()),
        r.emergency_contact.as_ref().map(|c| c.as_str().to_string()),
        r.group.as_ref().map(|g| g.as_str().to_string()),
        r.dietary.as_ref().map(|n| n.as_str().to_string()),
        r.religion.as_ref().map(|n| n.as_str().to_string()),
        r.medical.as_ref().map(|n| n.as_str().to_string()),
    ]
}

/// What the audit log keeps of a person: no phone, the passport masked.
fn audit_json(passport_masked: &str, v: &Values) -> String {
    serde_json::json!({
        "passport": passport_masked, "name": v[0], "name_latin": v[1], "nationality": v[2],
        "birth_date": v[3], "sex": v[4], "language": v[5], "destination_province": v[7],
        "destination_institution": v[8], "group": v[10],
    })
    .to_string()
}

#[derive(sqlx::FromRow)]
struct Existing {
    id: i64,
    passport: String,
    name: String,
    name_latin: String,
    nationality: String,
    birth_date: NaiveDate,
    sex: String,
    language: String,
    phone: Option<String>,
    destination_province: String,
    destination_institution: String,
    emergency_contact: Option<String>,
    travel_group: Option<String>,
    dietary: Option<String>,
    religion: Option<String>,
    medical: Option<String>,
}

impl Existing {
    fn values(&self) -> Values {
        [
            Some(self.name.clone()),
            Some(self.name_latin.clone()),
            Some(self.nationality.clone()),
            Some(self.birth_date.format("%Y-%m-%d").to_string()),
            Some(self.sex.clone()),
            Some(self.language.clone()),
            self.phone.clone(),
            Some(self.destination_province.clone()),
            Some(self.destination_institution.clone()),
            self.emergency_contact.clone(),
            self.travel_group.clone(),
            self.dietary.clone(),
            self.religion.clone(),
            self.medical.clone(),
        ]
    }
}

/// The column a refusal of a row is about: the `field` it names.
fn field_of(r: &Refusal) -> Option<Field> {
    r.args.iter().find(|(name, _)| name == "field").and_then(|(_, arg)| match arg {
        Arg::Text(key) => Field::ALL.into_iter().find(|f| f.key() == key),
        _ => None,
    })
}

impl Store {
    /// Imports a batch's manifest, by the site's manager or information group.
    pub async fn import_manifest(
        &self,
        actor: &Actor,
        batch: &Batch,
        sheet: &Sheet,
        progress: Progress<'_>,
    ) -> StoreResult<ImportSummary> {
        self.site_role_that(actor, batch.site_id, |r| r.keeps_roll()).await?;
        let site = self.site(actor, batch.site_id).await?;
        let arrival = site.zone.date_of(batch.arrived_at);
        let mut check = Checker::new(false);
        let columns = match ManifestColumns::locate(&sheet.headers) {
            Ok(c) => c,
            Err(refusals) => {
                for r in refusals {
                    let column = field_of(&r).map_or("", Field::key).to_string();
                    check.push(BadRow { row: 1, column, value: String::new(), reason: BadReason::Refused(r) });
                }
                return Err(self.reject(actor, None, check).await);
            }
        };
        let header = |f: Field| columns.index(f).and_then(|i| sheet.headers.get(i)).map_or(f.key(), String::as_str);
        let mut rows: Vec<ManifestRow> = Vec::with_capacity(sheet.rows.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for row in &sheet.rows {
            match columns.row(&row.cells, arrival) {
                Ok(person) => match seen.get(person.passport.as_str()) {
                    Some(first) => check.push(BadRow {
                        row: row.number,
                        column: header(Field::Passport).to_string(),
                        value: person.passport.as_str().to_string(),
                        reason: BadReason::DuplicateInFile(*first),
                    }),
                    None => {
                        seen.insert(person.passport.as_str().to_string(), row.number);
                        rows.push(person);
                    }
                },
                Err(refusals) => {
                    for r in refusals {
                        let field = field_of(&r);
                        check.push(BadRow {
                            row: row.number,
                            column: field.map_or("", header).to_string(),
                            value: field.map_or("", |f| columns.cell(&row.cells, f)).to_string(),
                            reason: BadReason::Refused(r),
                        });
                    }
                }
            }
        }
        self.finish_check(actor, None, check).await?;

        let total = rows.len();
        let summary = on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            // Two uploads of the same manifest at once are taken one after the other: the second changes nothing.
            lock_site!(tx, p, batch.site_id).await?;
            let found: Vec<Existing> = sqlx::query_as(
                "SELECT id, passport, name, name_latin, nationality, birth_date, sex, language, phone, \
                 destination_province, destination_institution, emergency_contact, travel_group, \
                 dietary, religion, medical FROM quarantined WHERE batch_id = $1 AND site_id = $2",
            )
            .bind(batch.id)
            .bind(batch.site_id)
            .fetch_all(&mut *tx)
            .await?;
            let existing: HashMap<String, Existing> = found.into_iter().map(|e| (e.passport.clone(), e)).collect();
            let mut summary = ImportSummary::default();
            for (i, r) in rows.iter().enumerate() {
                let v = values(r);
                let masked = r.passport.masked();
                match existing.get(r.passport.as_str()) {
                    Some(e) if e.values() == v => summary.unchanged += 1,
                    Some(e) => {
                        bind_person!(
                            sqlx::query(
                                "UPDATE quarantined SET name = $1, name_latin = $2, nationality = $3, birth_date = $4, \
                                 sex = $5, language = $6, phone = $7, destination_province = $8, \
                                 destination_institution = $9, emergency_contact = $10, travel_group = $11, dietary = $12, \
                                 religion = $13, medical = $14 WHERE id = $15",
                            ),
                            v,
                            r.birth_date
                        )
                        .bind(e.id)
                        .execute(&mut *tx)
                        .await?;
                        audit_insert!(
                            &mut *tx,
                            crate::audit::NewEntry::new(self.now(), actor, "update", "quarantined", e.id.to_string())
                                .before(audit_json(&masked, &e.values()))
                                .after(audit_json(&masked, &v))
                        )?;
                        summary.updated += 1;
                    }
                    None => {
                        let id: i64 = bind_person!(
                            sqlx::query_scalar(
                                "INSERT INTO quarantined (batch_id, site_id, passport, name, name_latin, nationality, \
                                 birth_date, sex, language, phone, destination_province, destination_institution, \
                                 emergency_contact, travel_group, dietary, religion, medical) \
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
                                 RETURNING id",
                            )
                            .bind(batch.id)
                            .bind(batch.site_id)
                            .bind(r.passport.as_str().to_string()),
                            v,
                            r.birth_date
                        )
                        .fetch_one(&mut *tx)
                        .await?;
                        audit_insert!(
                            &mut *tx,
                            crate::audit::NewEntry::new(self.now(), actor, "create", "quarantined", id.to_string())
                                .after(audit_json(&masked, &v))
                        )?;
                        summary.imported += 1;
                    }
                }
                if i % 100 == 0 {
                    progress(&ImportProgress::rows(i, total));
                }
            }
            tx.commit().await?;
            summary
        });
        progress(&ImportProgress::rows(total, total));
        Ok(summary)
    }
}

//! Residents, read within the actor's scope of the administrative tree.

mod export;

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::clock::Zone;
use cordon_domain::residents::SpecialGroup;
use cordon_domain::{Actor, Capability, IdNumber, Key, Phone, Sex};
use serde::Serialize;

use crate::places::scope_binds;
use crate::{Page, PageRequest, Store, StoreError, StoreResult, like_pattern};

/// How many lookups by ID number one user may make in a minute. A lookup
/// answers "is this number one of my residents?", so it is counted (in the
/// audit log, which every instance shares) and capped: enough for a
/// checkpoint checking arrivals by hand, too few to try numbers.
pub const ID_LOOKUPS_PER_MINUTE: i64 = 30;

/// The audit action of a lookup by ID number.
pub const ID_LOOKUP_ACTION: &str = "search-id-number";

/// A resident as lists show them: the ID number masked to its last four
/// characters, the phone masked, and the age instead of the birth date (the
/// birth date is 8 of the ID number's 18 characters).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Resident {
    /// Its id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The ID number, masked: only its last four characters show.
    pub id_number_masked: String,
    /// The phone, masked (none if not on file).
    pub phone_masked: Option<String>,
    /// Age in whole years today, in the deployment's time zone.
    pub age: u32,
    /// Sex, from the ID number: male or female.
    #[schema(value_type = String)]
    pub sex: Sex,
    /// Special groups: elderly-alone, dialysis, pregnant, disabled, chronic-illness, infant.
    #[schema(value_type = Vec<String>)]
    pub tags: Vec<SpecialGroup>,
    /// The household's id.
    pub household_id: i64,
    /// Where they live: compound, building, entrance, room.
    pub address: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ResidentRow {
    pub id: i64,
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub tags: String,
    pub household_id: i64,
    pub compound: String,
    pub building: String,
    pub entrance: String,
    pub room: String,
}

impl ResidentRow {
    /// The resident as shown, with the age on the local day of `now`.
    fn shown(self, zone: Zone, now: DateTime<Utc>) -> Resident {
        let r = self;
        Resident {
            id: r.id,
            name: r.name,
            id_number_masked: IdNumber::parse(&r.id_number).map(|i| i.masked()).unwrap_or_else(|_| "***".into()),
            phone_masked: r
                .phone
                .as_deref()
                .map(|p| Phone::parse(p).map(|p| p.masked()).unwrap_or_else(|_| "***".into())),
            age: zone.age(r.birth_date, now),
            sex: Sex::parse(&r.sex).unwrap_or(Sex::Male),
            tags: SpecialGroup::parse_list(&r.tags).unwrap_or_default(),
            household_id: r.household_id,
            address: format!("{} {}-{}-{}", r.compound, r.building, r.entrance, r.room),
        }
    }
}

/// Filters for the resident list.
#[derive(Debug, Clone, Default)]
pub struct ResidentFilter {
    /// A whole, valid ID number (exact match; the lookup is audited and
    /// rate-limited), or else part of a name. Digits that are not a whole
    /// number match no ID number: numbers cannot be read digit by digit.
    pub q: Option<String>,
    /// Only below this place.
    pub place_id: Option<i64>,
    /// Only this special group.
    pub tag: Option<SpecialGroup>,
}

/// What a search text asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// A whole, valid ID number: an exact, audited look-up.
    IdNumber(IdNumber),
    /// Part of a name.
    Name(String),
}

impl ResidentFilter {
    /// What `q` asks for, if anything: the one rule that tells a look-up by
    /// ID number from a name search, for the list and the pages alike.
    pub fn search(&self) -> Option<Search> {
        let q = self.q.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
        Some(match IdNumber::parse(q) {
            Ok(id) => Search::IdNumber(id),
            Err(_) => Search::Name(q.to_string()),
        })
    }
}

pub(crate) const RESIDENT_SELECT: &str = "SELECT r.id, r.name, r.id_number, r.phone, r.birth_date, r.sex, r.tags, \
     r.household_id, cp.name AS compound, b.name AS building, e.name AS entrance, h.name AS room";

/// `$1,$2` the scope range; `$3,$4` the place filter range; `$5` name pattern;
/// `$6` tag pattern; `$7` a whole ID number.
const RESIDENT_FROM: &str = " FROM residents r JOIN places h ON h.id = r.household_id \
     JOIN places e ON e.id = h.parent_id JOIN places b ON b.id = e.parent_id JOIN places cp ON cp.id = b.parent_id \
     WHERE ($1 IS NULL OR (h.path >= $1 AND h.path < $2)) \
     AND ($3 IS NULL OR (h.path >= $3 AND h.path < $4)) \
     AND ($5 IS NULL OR r.name LIKE $5 ESCAPE '\\') \
     AND ($6 IS NULL OR r.tags LIKE $6) \
     AND ($7 IS NULL OR r.id_number = $7)";

impl Store {
    /// Residents in scope, a page at a time; ages on today's date in `zone`.
    /// A search by a whole ID number is written to the audit log (masked) and
    /// refused past `ID_LOOKUPS_PER_MINUTE` a minute (`TooMany`).
    pub async fn residents(
        &self,
        actor: &Actor,
        filter: &ResidentFilter,
        page: PageRequest,
        zone: Zone,
    ) -> StoreResult<Page<Resident>> {
        if !actor.can(Capability::ViewResidents) {
            return Err(StoreError::Forbidden);
        }
        let (a, b) = scope_binds(actor);
        let (c, d) = match filter.place_id {
            Some(id) => {
                let place = self.place(actor, id).await?;
                let (c, d) = place.path.range();
                (Some(c), Some(d))
            }
            None => (None, None),
        };
        let (pattern, exact) = match filter.search() {
            Some(Search::IdNumber(id)) => (None, Some(id)),
            Some(Search::Name(name)) => (Some(like_pattern(&name)), None),
            None => (None, None),
        };
        if let Some(id) = &exact {
            self.log_id_lookup(actor, id).await?;
        }
        let exact = exact.map(|id| id.as_str().to_string());
        let tag = filter.tag.map(|t| format!("%{}%", t.as_str()));
        let (rows, total) = on_pool!(self, |p| {
            let rows: Vec<ResidentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{RESIDENT_SELECT}{RESIDENT_FROM} ORDER BY cp.name, b.name, e.name, h.name, r.id LIMIT $8 OFFSET $9"
            )))
            .bind(a.clone())
            .bind(b.clone())
            .bind(c.clone())
            .bind(d.clone())
            .bind(pattern.clone())
            .bind(tag.clone())
            .bind(exact.clone())
            .bind(page.per_page)
            .bind(page.offset())
            .fetch_all(p)
            .await?;
            let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*){RESIDENT_FROM}")))
                .bind(a)
                .bind(b)
                .bind(c)
                .bind(d)
                .bind(pattern)
                .bind(tag)
                .bind(exact)
                .fetch_one(p)
                .await?;
            (rows, total)
        });
        let now = self.now();
        Ok(Page {
            items: rows.into_iter().map(|r| r.shown(zone, now)).collect(),
            total,
            page: page.page,
            per_page: page.per_page,
        })
    }

    pub(crate) async fn resident_row(&self, actor: &Actor, id: i64) -> StoreResult<ResidentRow> {
        if !actor.can(Capability::ViewResidents) {
            return Err(StoreError::Forbidden);
        }
        let (a, b) = scope_binds(actor);
        let row: Option<ResidentRow> = on_pool!(self, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{RESIDENT_SELECT}{RESIDENT_FROM} AND r.id = $8")))
                .bind(a)
                .bind(b)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        row.ok_or(StoreError::NotFound)
    }

    /// One resident in scope; the age on today's date in `zone`.
    pub async fn resident(&self, actor: &Actor, id: i64, zone: Zone) -> StoreResult<Resident> {
        let now = self.now();
        self.resident_row(actor, id).await.map(|r| r.shown(zone, now))
    }

    /// Writes a lookup by ID number to the audit log (the number masked, the
    /// resident found in scope by id), unless the user has made
    /// `ID_LOOKUPS_PER_MINUTE` in the last minute: then `TooMany`. The count
    /// is read from the log inside the write transaction, holding the user's
    /// row, so instances sharing one database share it and two lookups at once
    /// cannot both take the last place.
    async fn log_id_lookup(&self, actor: &Actor, id: &IdNumber) -> StoreResult<()> {
        let now = self.now();
        let since = now - chrono::Duration::minutes(1);
        let (a, b) = scope_binds(actor);
        on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            if actor.user_id != 0 {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT id FROM users WHERE id = $1{}",
                    crate::db::for_update(p)
                )))
                .bind(actor.user_id)
                .execute(&mut *tx)
                .await?;
                let recent: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE user_id = $1 AND action = $2 AND at > $3")
                        .bind(actor.user_id)
                        .bind(ID_LOOKUP_ACTION)
                        .bind(since)
                        .fetch_one(&mut *tx)
                        .await?;
                if recent >= ID_LOOKUPS_PER_MINUTE {
                    return Err(StoreError::TooMany(Key::SearchTooMany.into()));
                }
            }
            let found: Option<i64> = sqlx::query_scalar(
                "SELECT r.id FROM residents r JOIN places h ON h.id = r.household_id \
                 WHERE r.id_number = $1 AND ($2 IS NULL OR (h.path >= $2 AND h.path < $3))",
            )
            .bind(id.as_str().to_string())
            .bind(a)
            .bind(b)
            .fetch_optional(&mut *tx)
            .await?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(
                    now,
                    actor,
                    ID_LOOKUP_ACTION,
                    "resident",
                    found.map(|f| f.to_string()).unwrap_or_default()
                )
                .after(serde_json::json!({"id_number": id.masked(), "found": found.is_some()}).to_string())
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Shows a resident's ID number or phone in full and logs that the actor saw it.
    pub async fn reveal_resident(&self, actor: &Actor, id: i64, field: RevealField) -> StoreResult<String> {
        let row = self.resident_row(actor, id).await?;
        if !actor.can(Capability::RevealPersonal) {
            return Err(StoreError::Forbidden);
        }
        let value = match field {
            RevealField::IdNumber => row.id_number,
            RevealField::Phone => row.phone.ok_or(StoreError::NotFound)?,
        };
        self.log_reveal(actor, "resident", id, field.as_str()).await?;
        Ok(value)
    }
}

/// Which masked field to reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevealField {
    /// The ID number.
    IdNumber,
    /// The phone.
    Phone,
}

impl RevealField {
    /// The key used in URLs and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            RevealField::IdNumber => "id-number",
            RevealField::Phone => "phone",
        }
    }
}

//! Residents, read within the actor's scope of the administrative tree.

mod export;

use chrono::NaiveDate;
use cordon_domain::residents::SpecialGroup;
use cordon_domain::{Actor, Capability, IdNumber, Phone, Sex};
use serde::Serialize;

use crate::places::scope_binds;
use crate::{Page, PageRequest, Store, StoreError, StoreResult, like_pattern};

/// A resident as lists show them: ID number and phone masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Resident {
    /// Its id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The ID number, masked.
    pub id_number_masked: String,
    /// The phone, masked (none if not on file).
    pub phone_masked: Option<String>,
    /// Birth date, from the ID number.
    pub birth_date: NaiveDate,
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

impl From<ResidentRow> for Resident {
    fn from(r: ResidentRow) -> Resident {
        Resident {
            id: r.id,
            name: r.name,
            id_number_masked: IdNumber::parse(&r.id_number).map(|i| i.masked()).unwrap_or_else(|_| "***".into()),
            phone_masked: r
                .phone
                .as_deref()
                .map(|p| Phone::parse(p).map(|p| p.masked()).unwrap_or_else(|_| "***".into())),
            birth_date: r.birth_date,
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
    /// Name, or the last digits of the ID number, contains this.
    pub q: Option<String>,
    /// Only below this place.
    pub place_id: Option<i64>,
    /// Only this special group.
    pub tag: Option<SpecialGroup>,
}

pub(crate) const RESIDENT_SELECT: &str = "SELECT r.id, r.name, r.id_number, r.phone, r.birth_date, r.sex, r.tags, \
     r.household_id, cp.name AS compound, b.name AS building, e.name AS entrance, h.name AS room";

/// `$1,$2` the scope range; `$3,$4` the place filter range; `$5` name/ID pattern; `$6` tag pattern.
const RESIDENT_FROM: &str = " FROM residents r JOIN places h ON h.id = r.household_id \
     JOIN places e ON e.id = h.parent_id JOIN places b ON b.id = e.parent_id JOIN places cp ON cp.id = b.parent_id \
     WHERE ($1 IS NULL OR (h.path >= $1 AND h.path < $2)) \
     AND ($3 IS NULL OR (h.path >= $3 AND h.path < $4)) \
     AND ($5 IS NULL OR r.name LIKE $5 ESCAPE '\\' OR r.id_number LIKE $5 ESCAPE '\\') \
     AND ($6 IS NULL OR r.tags LIKE $6)";

impl Store {
    /// Residents in scope, a page at a time.
    pub async fn residents(
        &self,
        actor: &Actor,
        filter: &ResidentFilter,
        page: PageRequest,
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
        let pattern = filter.q.as_deref().filter(|s| !s.trim().is_empty()).map(like_pattern);
        let tag = filter.tag.map(|t| format!("%{}%", t.as_str()));
        let (rows, total) = on_pool!(self, |p| {
            let rows: Vec<ResidentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{RESIDENT_SELECT}{RESIDENT_FROM} ORDER BY cp.name, b.name, e.name, h.name, r.id LIMIT $7 OFFSET $8"
            )))
            .bind(a.clone())
            .bind(b.clone())
            .bind(c.clone())
            .bind(d.clone())
            .bind(pattern.clone())
            .bind(tag.clone())
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
                .fetch_one(p)
                .await?;
            (rows, total)
        });
        Ok(Page {
            items: rows.into_iter().map(Resident::from).collect(),
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
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{RESIDENT_SELECT}{RESIDENT_FROM} AND r.id = $7")))
                .bind(a)
                .bind(b)
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

    /// One resident in scope.
    pub async fn resident(&self, actor: &Actor, id: i64) -> StoreResult<Resident> {
        self.resident_row(actor, id).await.map(Resident::from)
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

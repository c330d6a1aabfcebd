//! Municipal units and their cadres, read within the actor's scope.

mod training;

use cordon_domain::units::Availability;
use cordon_domain::{Actor, Capability, Key, Phone, Sex};
use serde::Serialize;

use crate::{Page, PageRequest, Store, StoreError, StoreResult, like_pattern};

/// A municipal unit with its headcount.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Unit {
    /// Its id.
    pub id: i64,
    /// Its Chinese name.
    pub name: String,
    /// Its English name.
    pub name_en: String,
    /// How many cadres it has on file.
    pub cadres: i64,
}

/// A cadre as lists show it: the phone masked until revealed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Cadre {
    /// Its id.
    pub id: i64,
    /// The unit's id.
    pub unit_id: i64,
    /// The unit's name.
    pub unit: String,
    /// The cadre's name.
    pub name: String,
    /// Position (职务).
    pub position: String,
    /// Formal party member.
    pub party_member: bool,
    /// The phone, masked.
    pub phone_masked: String,
    /// Sex: male or female.
    #[schema(value_type = String)]
    pub sex: Sex,
    /// Whether the cadre can be drawn: available, posted, unavailable.
    #[schema(value_type = String)]
    pub availability: Availability,
}

#[derive(sqlx::FromRow)]
pub(crate) struct CadreRow {
    pub id: i64,
    pub unit_id: i64,
    pub unit: String,
    pub name: String,
    pub position: String,
    pub party_member: bool,
    pub phone: String,
    pub sex: String,
    pub availability: String,
}

impl From<CadreRow> for Cadre {
    fn from(r: CadreRow) -> Cadre {
        Cadre {
            id: r.id,
            unit_id: r.unit_id,
            unit: r.unit,
            name: r.name,
            position: r.position,
            party_member: r.party_member,
            phone_masked: Phone::parse(&r.phone).map(|p| p.masked()).unwrap_or_else(|_| "***".into()),
            sex: Sex::parse(&r.sex).unwrap_or(Sex::Male),
            availability: Availability::parse(&r.availability).unwrap_or(Availability::Unavailable),
        }
    }
}

/// Filters for the cadre list.
#[derive(Debug, Clone, Default)]
pub struct CadreFilter {
    /// Only this unit.
    pub unit_id: Option<i64>,
    /// Name or position contains this.
    pub q: Option<String>,
}

/// `$1` is the unit the scope allows (NULL: all), `$2` a flag that the scope allows none.
const CADRE_WHERE: &str = " FROM cadres c JOIN units u ON u.id = c.unit_id \
     WHERE ($1 IS NULL OR c.unit_id = $1) AND $2 = 0 \
     AND ($3 IS NULL OR c.unit_id = $3) \
     AND ($4 IS NULL OR c.name LIKE $4 ESCAPE '\\' OR c.position LIKE $4 ESCAPE '\\')";

/// The unit the scope allows (`None`: any) and a flag that it allows none, for `CADRE_WHERE`-style clauses.
pub(crate) fn unit_binds(actor: &Actor) -> (Option<i64>, i64) {
    match actor.scope.unit_filter() {
        None => (None, 0),
        Some(Some(id)) => (Some(id), 0),
        Some(None) => (None, 1),
    }
}

impl Store {
    /// The units the actor may see, with headcounts.
    pub async fn units(&self, actor: &Actor) -> StoreResult<Vec<Unit>> {
        self.units_where(actor, None).await
    }

    /// Every unit's English name by its Chinese one, for English pages to
    /// show a unit by the name its people use. Names of municipal units are
    /// public, so this needs no capability: it only translates a name the
    /// page already shows.
    pub async fn unit_names_en(&self) -> StoreResult<std::collections::HashMap<String, String>> {
        let rows: Vec<(String, String)> = on_pool!(self, |p| {
            sqlx::query_as("SELECT name, name_en FROM units WHERE name_en <> ''").fetch_all(p).await?
        });
        Ok(rows.into_iter().collect())
    }

    /// One unit in scope.
    pub async fn unit(&self, actor: &Actor, id: i64) -> StoreResult<Unit> {
        self.units_where(actor, Some(id)).await?.pop().ok_or(StoreError::NotFound)
    }

    /// The units in scope, all or one.
    async fn units_where(&self, actor: &Actor, only: Option<i64>) -> StoreResult<Vec<Unit>> {
        if !actor.can(Capability::ViewCadres) {
            return Err(StoreError::Forbidden);
        }
        let (unit, none) = unit_binds(actor);
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT u.id, u.name, u.name_en, (SELECT COUNT(*) FROM cadres c WHERE c.unit_id = u.id) AS cadres \
                 FROM units u WHERE ($1 IS NULL OR u.id = $1) AND $2 = 0 AND ($3 IS NULL OR u.id = $3) ORDER BY u.id",
            )
            .bind(unit)
            .bind(none)
            .bind(only)
            .fetch_all(p)
            .await?
        }))
    }

    /// Adds a unit (or renames its English name); command and organisation only.
    pub async fn upsert_unit(&self, actor: &Actor, name: &str, name_en: &str) -> StoreResult<i64> {
        if !actor.can(Capability::ManageCadres) || actor.scope.unit_filter().is_some() {
            return Err(StoreError::Forbidden);
        }
        // A unit's name follows the rules of a place name: trimmed, short, no control characters.
        let name = cordon_domain::places::PlaceName::parse(name)
            .map_err(|e| StoreError::invalid(Key::UnitBadName.with("reason", cordon_domain::Refusal::from(e).key)))?
            .as_str()
            .to_string();
        // The English name is shown like the name: hidden characters are refused, not dropped.
        let name_en = name_en.trim();
        if name_en.chars().any(cordon_domain::values::is_hidden_char) {
            return Err(StoreError::invalid(Key::UnitBadName.with("reason", Key::PlaceNameCharacters)));
        }
        let name_en = name_en.to_string();
        let (name, name_en) = (name.as_str(), name_en.as_str());
        Ok(on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            let existing: Option<(i64, String)> = sqlx::query_as("SELECT id, name_en FROM units WHERE name = $1")
                .bind(name.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            let id = match existing {
                Some((id, old)) if old == name_en => id,
                Some((id, old)) => {
                    sqlx::query("UPDATE units SET name_en = $1 WHERE id = $2")
                        .bind(name_en.to_string())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    audit_insert!(
                        &mut *tx,
                        crate::audit::NewEntry::new(self.now(), actor, "update", "unit", id.to_string())
                            .before(serde_json::json!({"name_en": old}).to_string())
                            .after(serde_json::json!({"name_en": name_en}).to_string())
                    )?;
                    id
                }
                None => {
                    let id: i64 = sqlx::query_scalar("INSERT INTO units (name, name_en) VALUES ($1, $2) RETURNING id")
                        .bind(name.to_string())
                        .bind(name_en.to_string())
                        .fetch_one(&mut *tx)
                        .await?;
                    audit_insert!(
                        &mut *tx,
                        crate::audit::NewEntry::new(self.now(), actor, "create", "unit", id.to_string())
                            .after(serde_json::json!({"name": name, "name_en": name_en}).to_string())
                    )?;
                    id
                }
            };
            tx.commit().await?;
            id
        }))
    }

    /// Cadres in scope, a page at a time, by unit then name.
    pub async fn cadres(&self, actor: &Actor, filter: &CadreFilter, page: PageRequest) -> StoreResult<Page<Cadre>> {
        if !actor.can(Capability::ViewCadres) {
            return Err(StoreError::Forbidden);
        }
        let (unit, none) = unit_binds(actor);
        let pattern = filter.q.as_deref().filter(|s| !s.trim().is_empty()).map(like_pattern);
        let (rows, total) = on_pool!(self, |p| {
            let rows: Vec<CadreRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT c.id, c.unit_id, u.name AS unit, c.name, c.position, c.party_member, c.phone, c.sex, c.availability \
                 {CADRE_WHERE} ORDER BY c.unit_id, c.id LIMIT $5 OFFSET $6"
            )))
            .bind(unit)
            .bind(none)
            .bind(filter.unit_id)
            .bind(pattern.clone())
            .bind(page.per_page)
            .bind(page.offset())
            .fetch_all(p)
            .await?;
            let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) {CADRE_WHERE}")))
                .bind(unit)
                .bind(none)
                .bind(filter.unit_id)
                .bind(pattern)
                .fetch_one(p)
                .await?;
            (rows, total)
        });
        Ok(Page { items: rows.into_iter().map(Cadre::from).collect(), total, page: page.page, per_page: page.per_page })
    }

    /// One cadre in scope.
    pub async fn cadre(&self, actor: &Actor, id: i64) -> StoreResult<Cadre> {
        self.cadre_row(actor, id).await.map(Cadre::from)
    }

    pub(crate) async fn cadre_row(&self, actor: &Actor, id: i64) -> StoreResult<CadreRow> {
        if !actor.can(Capability::ViewCadres) {
            return Err(StoreError::Forbidden);
        }
        let (unit, none) = unit_binds(actor);
        let row: Option<CadreRow> = on_pool!(self, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT c.id, c.unit_id, u.name AS unit, c.name, c.position, c.party_member, c.phone, c.sex, c.availability \
                 {CADRE_WHERE} AND c.id = $5"
            )))
            .bind(unit)
            .bind(none)
            .bind(None::<i64>)
            .bind(None::<String>)
            .bind(id)
            .fetch_optional(p)
            .await?
        });
        row.ok_or(StoreError::NotFound)
    }

    /// Shows a cadre's phone in full and logs that the actor saw it.
    pub async fn reveal_cadre_phone(&self, actor: &Actor, id: i64) -> StoreResult<String> {
        let row = self.cadre_row(actor, id).await?;
        if !actor.can(Capability::RevealPersonal) {
            return Err(StoreError::Forbidden);
        }
        self.log_reveal(actor, "cadre", id, "phone").await?;
        Ok(row.phone)
    }

    /// Writes a reveal into the audit log: who saw which field of which record.
    pub(crate) async fn log_reveal(&self, actor: &Actor, entity: &str, id: i64, field: &str) -> StoreResult<()> {
        on_pool!(self, |p| {
            audit_insert!(
                p,
                crate::audit::NewEntry::new(self.now(), actor, format!("reveal-{field}"), entity, id.to_string())
            )?;
        });
        Ok(())
    }
}

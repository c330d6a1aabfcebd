//! Residents, read within the actor's scope of the administrative tree.

mod export;

pub use export::Reveal;

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::clock::Zone;
use cordon_domain::residents::SpecialGroup;
use cordon_domain::{Actor, Capability, IdNumber, Key, Phone, Scope, Sex};
use serde::Serialize;

use crate::places::{Place, scope_binds};
use crate::{COUNTED_AT_MOST, Keyset, Slice, Store, StoreError, StoreResult};

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
            id_number_masked: masked_id_number(&r.id_number),
            phone_masked: r.phone.as_deref().map(masked_phone),
            age: zone.age(r.birth_date, now),
            sex: Sex::parse(&r.sex).unwrap_or(Sex::Male),
            tags: SpecialGroup::parse_list(&r.tags).unwrap_or_default(),
            household_id: r.household_id,
            address: format!("{} {}-{}-{}", r.compound, r.building, r.entrance, r.room),
        }
    }
}

/// A stored ID number as every page and masked export shows it ("***" if it
/// does not read as one: nothing of it is shown).
pub(crate) fn masked_id_number(stored: &str) -> String {
    IdNumber::parse(stored).map(|i| i.masked()).unwrap_or_else(|_| "***".into())
}

/// A stored phone as every page and masked export shows it.
pub(crate) fn masked_phone(stored: &str) -> String {
    Phone::parse(stored).map(|p| p.masked()).unwrap_or_else(|_| "***".into())
}

/// Filters for the resident list.
#[derive(Debug, Clone, Default)]
pub struct ResidentFilter {
    /// A whole, valid ID number (exact match; the lookup is audited and
    /// rate-limited), or else the start of a name. Digits that are not a whole
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

/// The household chain of `r`, for the address; every join is by primary key.
const ADDRESS_JOINS: &str = " JOIN places h ON h.id = r.household_id JOIN places e ON e.id = h.parent_id \
     JOIN places b ON b.id = e.parent_id JOIN places cp ON cp.id = b.parent_id";

/// Below how many residents a place's list with a name search reads the
/// place's rows in list order and filters them, rather than reading the
/// name index and filtering by place: whichever reads fewer rows.
const SMALL_PLACE: i64 = 20_000;

/// The part of the tree a list of residents covers (`Store::covered`).
enum Covered {
    /// A place and everything below it.
    Place(Place),
    /// The whole city.
    City,
    /// No part of the tree (a unit's or a site's scope).
    Nothing,
}

/// How a list is read: which index, and the two columns that order it (and key its cursor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// residents(path, id): a place and everything below it, in tree order.
    Path,
    /// resident_tags(tag, path, resident_id): one special group, in tree order.
    Tag,
    /// residents(name, id): names starting with the search, in name order.
    Name,
}

impl Plan {
    /// The ordering columns.
    fn keys(self) -> (&'static str, &'static str) {
        match self {
            Plan::Path => ("r.path", "r.id"),
            Plan::Tag => ("t.path", "t.resident_id"),
            Plan::Name => ("r.name", "r.id"),
        }
    }

    fn from(self) -> &'static str {
        match self {
            Plan::Tag => " FROM resident_tags t JOIN residents r ON r.id = t.resident_id",
            Plan::Path | Plan::Name => " FROM residents r",
        }
    }
}

/// A list query, built from the clauses it needs and nothing else, so that
/// each engine sees a plain range on one index.
struct ListQuery<'a> {
    plan: Plan,
    range: Option<&'a (String, String)>,
    tag: Option<&'static str>,
    /// A name prefix: `[prefix, prefix + U+10FFFF)`.
    name: Option<&'a (String, String)>,
    /// How names compare byte-wise on this engine (`COLLATE "C"` on PostgreSQL).
    collate: &'static str,
}

impl ListQuery<'_> {
    /// `FROM … WHERE …` with binds pushed in order.
    fn push_from<DB: sqlx::Database>(&self, qb: &mut sqlx::QueryBuilder<DB>)
    where
        for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    {
        // A tag alone is read from its own index; residents are joined only to filter by name too.
        qb.push(match (self.plan, self.name) {
            (Plan::Tag, None) => " FROM resident_tags t",
            _ => self.plan.from(),
        });
        qb.push(" WHERE 1 = 1");
        let path = if self.plan == Plan::Tag { "t.path" } else { "r.path" };
        if let Some(tag) = self.tag {
            qb.push(" AND t.tag = ").push_bind(tag.to_string());
        }
        if let Some((lo, hi)) = self.range {
            qb.push(format!(" AND {path} >= ")).push_bind(lo.clone());
            qb.push(format!(" AND {path} < ")).push_bind(hi.clone());
        }
        if let Some((lo, hi)) = self.name {
            qb.push(format!(" AND r.name{} >= ", self.collate)).push_bind(lo.clone());
            qb.push(format!(" AND r.name{} < ", self.collate)).push_bind(hi.clone());
        }
    }
}

/// The name column's byte-wise comparison per engine: PostgreSQL's default
/// collation orders by language rules, under which a prefix range is not one.
pub(crate) trait NameOrder {
    /// Appended to `r.name` in comparisons and ORDER BY.
    const COLLATE: &'static str;
}

impl NameOrder for sqlx::SqlitePool {
    const COLLATE: &'static str = "";
}

impl NameOrder for sqlx::PgPool {
    const COLLATE: &'static str = " COLLATE \"C\"";
}

fn collate<P: NameOrder>(_: &P) -> &'static str {
    P::COLLATE
}

impl Store {
    /// Residents in scope, a page at a time by keyset (`Keyset`); ages on
    /// today's date in `zone`. A search by a whole ID number is written to the
    /// audit log (masked) and refused past `ID_LOOKUPS_PER_MINUTE` a minute
    /// (`TooMany`); any other search text matches names that start with it.
    pub async fn residents(
        &self,
        actor: &Actor,
        filter: &ResidentFilter,
        keyset: impl Into<Keyset>,
        zone: Zone,
    ) -> StoreResult<Slice<Resident>> {
        if !actor.can(Capability::ViewResidents) {
            return Err(StoreError::Forbidden);
        }
        let keyset = keyset.into();
        // One range: the place asked for (which must lie in scope), else the scope.
        let place = match filter.place_id {
            Some(id) => Some(self.place(actor, id).await?),
            None => None,
        };
        let range = match &place {
            Some(p) => Some(p.path.range()),
            None => actor.scope.place_range(),
        };
        let now = self.now();
        let search = filter.search();
        if let Some(Search::IdNumber(id)) = &search {
            self.log_id_lookup(actor, id).await?;
            // One person at most: no further pages.
            let rows: Vec<ResidentRow> = on_pool!(self, |p| {
                let mut qb = sqlx::QueryBuilder::new(RESIDENT_SELECT);
                qb.push(" FROM residents r").push(ADDRESS_JOINS).push(" WHERE r.id_number = ");
                qb.push_bind(id.as_str().to_string());
                if let Some((lo, hi)) = &range {
                    qb.push(" AND r.path >= ").push_bind(lo.clone()).push(" AND r.path < ").push_bind(hi.clone());
                }
                if let Some(tag) = filter.tag {
                    qb.push(" AND r.id IN (SELECT resident_id FROM resident_tags WHERE tag = ")
                        .push_bind(tag.as_str().to_string())
                        .push(")");
                }
                qb.build_query_as().fetch_all(p).await?
            });
            let items: Vec<Resident> = rows.into_iter().map(|r| r.shown(zone, now)).collect();
            return Ok(Slice {
                total: items.len() as i64,
                items,
                total_capped: false,
                next: None,
                prev: None,
                per_page: keyset.per_page,
            });
        }
        // Text as it may be bound (no NUL, no hidden marks); U+10FFFF sorts after every name that starts so.
        let name = match &search {
            Some(Search::Name(n)) => Some(crate::clean(n)).filter(|n| !n.is_empty()).map(|n| {
                let end = format!("{n}\u{10FFFF}");
                (n, end)
            }),
            _ => None,
        };
        // Residents in the range, from the kept counts where there are some.
        let covered = self.covered(actor, place.as_ref()).await?;
        let in_range = self.residents_in(&covered).await?;
        // A group alone in a place from the compound up: its kept count too.
        let tagged = match (filter.tag, &name) {
            (Some(tag), None) => self.tagged_in(&covered, tag).await?,
            _ => None,
        };
        let plan = match (filter.tag, &name) {
            (Some(_), _) => Plan::Tag,
            (None, Some(_)) if in_range > SMALL_PLACE => Plan::Name,
            _ => Plan::Path,
        };
        let (k1, k2) = plan.keys();
        // The cursor row's keys, read by its id (an id outside the list just places the page).
        let cursor_id = keyset.after.or(keyset.before);
        let backwards = keyset.after.is_none() && keyset.before.is_some();
        let cursor: Option<(String, String)> = match cursor_id {
            None => None,
            Some(id) => on_pool!(self, |p| {
                sqlx::query_as("SELECT path, name FROM residents WHERE id = $1").bind(id).fetch_optional(p).await?
            }),
        };
        let (rows, total, capped) = on_pool!(self, |p| {
            let q = ListQuery {
                plan,
                range: range.as_ref(),
                tag: filter.tag.map(|t| t.as_str()),
                name: name.as_ref(),
                collate: collate(p),
            };
            let c = if plan == Plan::Name { collate(p) } else { "" };
            let dir = if backwards { " DESC" } else { "" };
            // The page's ids are read from the index alone; only they are joined for the address.
            let mut qb = sqlx::QueryBuilder::new(format!(
                "{RESIDENT_SELECT} FROM (SELECT {k2} AS rid, {k1}{c} AS k1, {k2} AS k2"
            ));
            q.push_from(&mut qb);
            if let (Some(id), Some((path, cname))) = (cursor_id, &cursor) {
                let key = if plan == Plan::Name { cname.clone() } else { path.clone() };
                let op = if backwards { "<" } else { ">" };
                // (k1, k2) > (key, id), spelt with a plain bound first: with the key a
                // bound parameter, SQLite reads an OR alone as a scan of the whole index.
                let eq = if backwards { "<=" } else { ">=" };
                qb.push(format!(" AND {k1}{c} {eq} ")).push_bind(key.clone());
                qb.push(format!(" AND ({k1}{c} {op} ")).push_bind(key);
                qb.push(format!(" OR {k2} {op} ")).push_bind(id).push(")");
            }
            qb.push(format!(" ORDER BY {k1}{c}{dir}, {k2}{dir} LIMIT {}", keyset.per_page + 1));
            qb.push(") k JOIN residents r ON r.id = k.rid").push(ADDRESS_JOINS);
            qb.push(format!(" ORDER BY k.k1{dir}, k.k2{dir}"));
            // Every list statement is built of the clauses it uses, so one plan serves
            // any values; a range (of paths or of names) is what PostgreSQL would plan again.
            let generic = range.is_some() || name.is_some();
            let mut read = crate::db::PlannedRead::planned_read(p, generic).await?;
            let rows: Vec<ResidentRow> = qb.build_query_as().fetch_all(&mut *read).await?;
            let (total, capped) = if let Some(n) = tagged {
                (n, false)
            } else if filter.tag.is_none() && name.is_none() {
                (in_range, false)
            } else {
                let mut qb = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM (SELECT 1");
                q.push_from(&mut qb);
                qb.push(format!(" LIMIT {}) n", COUNTED_AT_MOST + 1));
                let n: i64 = qb.build_query_scalar().fetch_one(&mut *read).await?;
                (n.min(COUNTED_AT_MOST), n > COUNTED_AT_MOST)
            };
            read.commit().await?;
            (rows, total, capped)
        });
        let more = rows.len() as i64 > keyset.per_page;
        let mut items: Vec<Resident> =
            rows.into_iter().take(keyset.per_page as usize).map(|r| r.shown(zone, now)).collect();
        if backwards {
            items.reverse();
        }
        let (first, last) = (items.first().map(|r| r.id.to_string()), items.last().map(|r| r.id.to_string()));
        let (next, prev) = match (backwards, cursor_id.is_some()) {
            // Read backwards from a row: the page after is the one left.
            (true, _) => (last, if more { first } else { None }),
            (false, true) => (if more { last } else { None }, first),
            (false, false) => (if more { last } else { None }, None),
        };
        Ok(Slice { items, total, total_capped: capped, next, prev, per_page: keyset.per_page })
    }

    /// The part of the tree a list covers: the place asked for, else the
    /// scope's place, else the whole city; a unit's or a site's scope holds
    /// no part of it. Read once a list, for both kept counts below.
    async fn covered(&self, actor: &Actor, place: Option<&Place>) -> StoreResult<Covered> {
        Ok(match (place, &actor.scope) {
            (Some(p), _) => Covered::Place(p.clone()),
            (None, Scope::Place { id, .. }) => Covered::Place(self.place(actor, *id).await?),
            (None, Scope::City) => Covered::City,
            (None, Scope::Unit { .. } | Scope::Site { .. }) => Covered::Nothing,
        })
    }

    /// How many residents the list covers, as `Place::residents` counts them
    /// (kept from the compound up), or the whole city's.
    async fn residents_in(&self, covered: &Covered) -> StoreResult<i64> {
        match covered {
            Covered::Place(p) => Ok(p.residents),
            Covered::City => Ok(on_pool!(self, |p| {
                sqlx::query_scalar::<_, i64>(
                    "SELECT CAST(COALESCE(SUM(residents), 0) AS BIGINT) FROM places WHERE parent_id IS NULL",
                )
                .fetch_one(p)
                .await?
            })),
            Covered::Nothing => Ok(0),
        }
    }

    /// How many residents of a special group the list covers, from the kept
    /// counts (`place_tags`); none below a compound, where they are not kept
    /// (and a count reads a few rows).
    async fn tagged_in(&self, covered: &Covered, tag: SpecialGroup) -> StoreResult<Option<i64>> {
        let tag = tag.as_str().to_string();
        let n: i64 = match covered {
            Covered::Place(p) if p.kind > cordon_domain::places::PlaceKind::Compound => return Ok(None),
            Covered::Place(p) => on_pool!(self, |pool| {
                sqlx::query_scalar::<_, i64>(
                    "SELECT CAST(COALESCE(SUM(residents), 0) AS BIGINT) FROM place_tags WHERE place_id = $1 AND tag = $2",
                )
                .bind(p.id)
                .bind(tag)
                .fetch_one(pool)
                .await?
            }),
            Covered::City => on_pool!(self, |pool| {
                sqlx::query_scalar::<_, i64>(
                    "SELECT CAST(COALESCE(SUM(t.residents), 0) AS BIGINT) FROM place_tags t \
                     JOIN places p ON p.id = t.place_id WHERE p.parent_id IS NULL AND t.tag = $1",
                )
                .bind(tag)
                .fetch_one(pool)
                .await?
            }),
            Covered::Nothing => 0,
        };
        Ok(Some(n))
    }

    pub(crate) async fn resident_row(&self, actor: &Actor, id: i64) -> StoreResult<ResidentRow> {
        if !actor.can(Capability::ViewResidents) {
            return Err(StoreError::Forbidden);
        }
        let (a, b) = scope_binds(actor);
        let row: Option<ResidentRow> = on_pool!(self, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{RESIDENT_SELECT} FROM residents r{ADDRESS_JOINS} WHERE r.id = $1 \
                 AND ($2 IS NULL OR (r.path >= $2 AND r.path < $3))"
            )))
            .bind(id)
            .bind(a)
            .bind(b)
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
    /// is read from the log by the statement that writes the entry (on
    /// PostgreSQL in a transaction holding the user's row first), so
    /// instances sharing one database share it and two lookups at once
    /// cannot both take the last place. The resident is found before: under
    /// a burst of lookups the writers queue for SQLite's one write lock, and
    /// what they do while holding it is the wait of all the others.
    async fn log_id_lookup(&self, actor: &Actor, id: &IdNumber) -> StoreResult<()> {
        let now = self.now();
        let since = now - chrono::Duration::minutes(1);
        // The system (user 0) has no limit.
        let at_most = if actor.user_id != 0 { ID_LOOKUPS_PER_MINUTE } else { i64::MAX };
        let (a, b) = scope_binds(actor);
        on_pool!(self, |p| {
            let found: Option<i64> = sqlx::query_scalar(
                "SELECT r.id FROM residents r JOIN places h ON h.id = r.household_id \
                 WHERE r.id_number = $1 AND ($2 IS NULL OR (h.path >= $2 AND h.path < $3))",
            )
            .bind(id.as_str().to_string())
            .bind(a)
            .bind(b)
            .fetch_optional(p)
            .await?;
            let mut tx = crate::db::WritePool::begin_one_write(p).await?;
            // The user's row is held where that locks anything (PostgreSQL);
            // SQLite's turn already holds the whole database.
            let hold = crate::db::for_update(p);
            if actor.user_id != 0 && !hold.is_empty() {
                sqlx::query(sqlx::AssertSqlSafe(format!("SELECT id FROM users WHERE id = $1{hold}")))
                    .bind(actor.user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let written = audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(
                    now,
                    actor,
                    ID_LOOKUP_ACTION,
                    "resident",
                    found.map(|f| f.to_string()).unwrap_or_default()
                )
                .after(serde_json::json!({"id_number": id.masked(), "found": found.is_some()}).to_string()),
                unless: (since, at_most)
            )?
            .rows_affected();
            if written == 0 {
                return Err(StoreError::TooMany(Key::SearchTooMany.into()));
            }
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

//! The administrative tree and checkpoints, read within the actor's scope.

use cordon_domain::places::{PlaceKind, PlaceName, PlacePath};
use cordon_domain::{Actor, Capability, Key, Scope, ScopeSpec};
use serde::Serialize;

use crate::{Page, PageRequest, Store, StoreError, StoreResult, like_pattern};

/// A node of the tree as lists and pages show it. Only the store makes one
/// (`non_exhaustive`), and only from a row it read in a scope: one in hand is
/// a place read for an actor (`Store::place`), which the `…_of` reads take as
/// their proof of scope.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[non_exhaustive]
pub struct Place {
    /// Its id.
    pub id: i64,
    /// Its parent's id (none for the city).
    pub parent_id: Option<i64>,
    /// Its level: city, district, street, community, compound, building, entrance, household.
    #[schema(value_type = String)]
    pub kind: PlaceKind,
    /// Its name.
    pub name: String,
    /// Its materialised path.
    #[serde(skip)]
    #[schema(ignore)]
    pub path: PlacePath,
    /// How many children it has.
    pub children: i64,
    /// How many residents live in it and below it.
    pub residents: i64,
}

#[derive(sqlx::FromRow)]
struct PlaceRow {
    id: i64,
    parent_id: Option<i64>,
    kind: String,
    name: String,
    path: String,
    children: i64,
    residents: i64,
}

impl From<PlaceRow> for Place {
    fn from(r: PlaceRow) -> Place {
        Place {
            id: r.id,
            parent_id: r.parent_id,
            // The CHECK constraint admits only known kinds.
            kind: PlaceKind::parse(&r.kind).unwrap_or(PlaceKind::Household),
            name: r.name,
            path: PlacePath::from_stored(r.path),
            children: r.children,
            residents: r.residents,
        }
    }
}

/// A guarded gate of a compound.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Checkpoint {
    /// Its id.
    pub id: i64,
    /// The compound it belongs to.
    pub compound_id: i64,
    /// Its name, e.g. 东门.
    pub name: String,
}

// Children are counted in the same query so a list needs one round trip;
// residents are the count the import keeps for every place.
const PLACE_COLUMNS: &str = "SELECT p.id, p.parent_id, p.kind, p.name, p.path, \
     (SELECT COUNT(*) FROM places c WHERE c.parent_id = p.id) AS children, p.residents FROM places p";

/// The bind values of the scope clause `($1 IS NULL OR (p.path >= $1 AND p.path < $2))`.
pub(crate) fn scope_binds(actor: &Actor) -> (Option<String>, Option<String>) {
    match actor.scope.place_range() {
        None => (None, None),
        Some((a, b)) => (Some(a), Some(b)),
    }
}

/// Builds a place's children query text; kept here so the list and count agree.
fn children_sql(select: &str, tail: &str) -> String {
    format!(
        "{select} WHERE p.parent_id = $3 AND ($1 IS NULL OR (p.path >= $1 AND p.path < $2)) \
         AND ($4 IS NULL OR p.name LIKE $4 ESCAPE '\\') {tail}"
    )
}

impl Store {
    fn require(actor: &Actor, cap: Capability) -> StoreResult<()> {
        if actor.can(cap) { Ok(()) } else { Err(StoreError::Forbidden) }
    }

    /// One place, if it lies in the actor's scope.
    pub async fn place(&self, actor: &Actor, id: i64) -> StoreResult<Place> {
        Self::require(actor, Capability::ViewPlaces)?;
        let (a, b) = scope_binds(actor);
        let row: Option<PlaceRow> = on_pool!(self, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{PLACE_COLUMNS} WHERE p.id = $3 AND ($1 IS NULL OR (p.path >= $1 AND p.path < $2))"
            )))
            .bind(a)
            .bind(b)
            .bind(id)
            .fetch_optional(p)
            .await?
        });
        row.map(Place::from).ok_or(StoreError::NotFound)
    }

    /// The places of these ids that lie in the actor's scope, in one query.
    pub async fn places_by_id(&self, actor: &Actor, ids: &[i64]) -> StoreResult<Vec<Place>> {
        Self::require(actor, Capability::ViewPlaces)?;
        let (a, b) = scope_binds(actor);
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let rows: Vec<PlaceRow> = on_pool!(self, |p| {
                let mut qb = sqlx::QueryBuilder::new(PLACE_COLUMNS);
                qb.push(" WHERE (");
                qb.push_bind(a.clone()).push(" IS NULL OR (p.path >= ").push_bind(a.clone());
                qb.push(" AND p.path < ").push_bind(b.clone()).push(")) AND p.id IN (");
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                qb.push(")");
                qb.build_query_as().fetch_all(p).await?
            });
            out.extend(rows.into_iter().map(Place::from));
        }
        Ok(out)
    }

    /// The places a user starts browsing from: the city, or the place of their scope.
    pub async fn place_roots(&self, actor: &Actor) -> StoreResult<Vec<Place>> {
        Self::require(actor, Capability::ViewPlaces)?;
        match &actor.scope {
            Scope::Place { id, .. } => Ok(vec![self.place(actor, *id).await?]),
            Scope::City => {
                let rows: Vec<PlaceRow> = on_pool!(self, |p| {
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "{PLACE_COLUMNS} WHERE p.parent_id IS NULL ORDER BY p.name"
                    )))
                    .fetch_all(p)
                    .await?
                });
                Ok(rows.into_iter().map(Place::from).collect())
            }
            Scope::Unit { .. } | Scope::Site { .. } => Ok(vec![]),
        }
    }

    /// The children of a place in scope, filtered by name, a page at a time.
    pub async fn place_children(
        &self,
        actor: &Actor,
        parent: i64,
        q: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<Place>> {
        let parent = self.place(actor, parent).await?;
        self.children_of(actor, &parent, q, page).await
    }

    /// `place_children` of a place already read for the actor (`Store::place`,
    /// which is what proves it in their scope): a place's page reads it once
    /// for all its parts, not once a part. Unfiltered, the total is the
    /// parent's own count of children, read with it.
    pub async fn children_of(
        &self,
        actor: &Actor,
        parent: &Place,
        q: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<Place>> {
        let (a, b) = scope_binds(actor);
        let pattern = q.filter(|s| !s.trim().is_empty()).map(like_pattern);
        let (rows, total) = on_pool!(self, |p| {
            let rows: Vec<PlaceRow> =
                sqlx::query_as(sqlx::AssertSqlSafe(children_sql(PLACE_COLUMNS, "ORDER BY p.name LIMIT $5 OFFSET $6")))
                    .bind(a.clone())
                    .bind(b.clone())
                    .bind(parent.id)
                    .bind(pattern.clone())
                    .bind(page.per_page)
                    .bind(page.offset())
                    .fetch_all(p)
                    .await?;
            let total: i64 = match &pattern {
                None => parent.children,
                Some(_) => {
                    sqlx::query_scalar(sqlx::AssertSqlSafe(children_sql("SELECT COUNT(*) FROM places p", "")))
                        .bind(a)
                        .bind(b)
                        .bind(parent.id)
                        .bind(pattern)
                        .fetch_one(p)
                        .await?
                }
            };
            (rows, total)
        });
        Ok(Page { items: rows.into_iter().map(Place::from).collect(), total, page: page.page, per_page: page.per_page })
    }

    /// The chain from the top of the actor's scope down to this place, for
    /// breadcrumbs; ancestors above the scope are not the actor's to see.
    pub async fn place_trail(&self, actor: &Actor, id: i64) -> StoreResult<Vec<Place>> {
        let place = self.place(actor, id).await?;
        self.trail_of(actor, &place).await
    }

    /// `place_trail` of a place already read for the actor (as `children_of`).
    pub async fn trail_of(&self, actor: &Actor, place: &Place) -> StoreResult<Vec<Place>> {
        let ids: Vec<i64> = place.path.as_str().split('/').filter_map(|s| s.parse().ok()).collect();
        let mut trail = self.places_by_id(actor, &ids).await?;
        // Down the tree: a path is longer than its ancestors'.
        trail.sort_by_key(|p| p.path.as_str().len());
        Ok(trail)
    }

    /// Every compound in scope whose name matches, with its street and community, for pickers and imports.
    pub async fn compounds(&self, actor: &Actor, q: Option<&str>) -> StoreResult<Vec<CompoundRef>> {
        Self::require(actor, Capability::ViewPlaces)?;
        let (a, b) = scope_binds(actor);
        let pattern = q.filter(|s| !s.trim().is_empty()).map(like_pattern);
        let rows: Vec<CompoundRef> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT p.id, p.name, p.path, c.name AS community, s.name AS street FROM places p \
                 JOIN places c ON c.id = p.parent_id JOIN places s ON s.id = c.parent_id \
                 WHERE p.kind = 'compound' AND ($1 IS NULL OR (p.path >= $1 AND p.path < $2)) \
                 AND ($3 IS NULL OR p.name LIKE $3 ESCAPE '\\') ORDER BY s.name, c.name, p.name",
            )
            .bind(a)
            .bind(b)
            .bind(pattern)
            .fetch_all(p)
            .await?
        });
        Ok(rows)
    }

    /// The checkpoints of a compound in scope.
    pub async fn checkpoints(&self, actor: &Actor, compound_id: i64) -> StoreResult<Vec<Checkpoint>> {
        let compound = self.place(actor, compound_id).await?;
        self.checkpoints_of(&compound).await
    }

    /// `checkpoints` of a compound already read for the actor (as `children_of`).
    pub async fn checkpoints_of(&self, compound: &Place) -> StoreResult<Vec<Checkpoint>> {
        let rows = on_pool!(self, |p| {
            sqlx::query_as("SELECT id, compound_id, name FROM checkpoints WHERE compound_id = $1 ORDER BY name")
                .bind(compound.id)
                .fetch_all(p)
                .await?
        });
        Ok(rows)
    }

    /// Turns a written scope into the records it names; unknown names are an error for the operator.
    pub async fn resolve_scope(&self, spec: &ScopeSpec) -> StoreResult<Scope> {
        match spec {
            ScopeSpec::City => Ok(Scope::City),
            ScopeSpec::Unit(name) => {
                let id: Option<i64> = on_pool!(self, |p| {
                    sqlx::query_scalar("SELECT id FROM units WHERE name = $1")
                        .bind(name.clone())
                        .fetch_optional(p)
                        .await?
                });
                id.map(|id| Scope::Unit { id }).ok_or_else(|| StoreError::invalid(Key::ScopeNoUnit.with("name", name)))
            }
            ScopeSpec::Site(name) => {
                let id: Option<i64> = on_pool!(self, |p| {
                    sqlx::query_scalar("SELECT id FROM sites WHERE name = $1")
                        .bind(name.clone())
                        .fetch_optional(p)
                        .await?
                });
                id.map(|id| Scope::Site { id }).ok_or_else(|| StoreError::invalid(Key::ScopeNoSite.with("name", name)))
            }
            ScopeSpec::Place(names) => {
                let (mut id, mut path) =
                    self.root_city().await?.ok_or_else(|| StoreError::invalid(Key::ScopeNoTree))?;
                for (i, name) in names.iter().enumerate() {
                    let found: Option<(i64, String)> = on_pool!(self, |p| {
                        sqlx::query_as("SELECT id, path FROM places WHERE parent_id = $1 AND name = $2")
                            .bind(id)
                            .bind(name.as_str().to_string())
                            .fetch_optional(p)
                            .await?
                    });
                    match found {
                        Some((cid, cpath)) => (id, path) = (cid, cpath),
                        // The city's own name may lead the path.
                        None if i == 0 && self.place_name(id).await?.as_deref() == Some(name.as_str()) => {}
                        None => {
                            return Err(StoreError::invalid(Key::ScopeNoPlace.with("name", name.as_str())));
                        }
                    }
                }
                Ok(Scope::Place { id, path: PlacePath::from_stored(path) })
            }
        }
    }

    async fn place_name(&self, id: i64) -> StoreResult<Option<String>> {
        Ok(on_pool!(self, |p| {
            sqlx::query_scalar("SELECT name FROM places WHERE id = $1").bind(id).fetch_optional(p).await?
        }))
    }

    /// The city at the root of the tree, if the tree exists.
    pub(crate) async fn root_city(&self) -> StoreResult<Option<(i64, String)>> {
        Ok(on_pool!(self, |p| {
            sqlx::query_as("SELECT id, path FROM places WHERE parent_id IS NULL AND kind = 'city' ORDER BY id LIMIT 1")
                .fetch_optional(p)
                .await?
        }))
    }

    /// Creates the city and its district if they do not exist yet; every other place hangs below them.
    pub async fn ensure_city(&self, actor: &Actor, city: &PlaceName, district: &PlaceName) -> StoreResult<(i64, i64)> {
        Self::require(actor, Capability::ManagePlaces)?;
        let ids = on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            let (city_id, city_path, _) =
                ensure_place!(&mut *tx, self.now(), actor, None, PlaceKind::City, city.as_str())?;
            let (district_id, _, _) = ensure_place!(
                &mut *tx,
                self.now(),
                actor,
                Some((city_id, city_path)),
                PlaceKind::District,
                district.as_str()
            )?;
            tx.commit().await?;
            (city_id, district_id)
        });
        Ok(ids)
    }
}

/// A compound with the names above it, as an import row names it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CompoundRef {
    /// The compound's id.
    pub id: i64,
    /// The compound's name.
    pub name: String,
    /// Its path.
    #[serde(skip)]
    pub path: String,
    /// Its community's name.
    pub community: String,
    /// Its street's name.
    pub street: String,
}

impl Store {
    /// Registers a quarantine site by name (the quarantine capability fills in the rest).
    pub async fn ensure_site(&self, actor: &Actor, name: &str) -> StoreResult<i64> {
        Self::require(actor, Capability::ManagePlaces)?;
        let name = PlaceName::parse(name)
            .map_err(|e| StoreError::invalid(Key::SiteBadName.with("reason", cordon_domain::Refusal::from(e).key)))?;
        let name = name.as_str();
        Ok(on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            let found: Option<i64> = sqlx::query_scalar("SELECT id FROM sites WHERE name = $1")
                .bind(name.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            let id = match found {
                Some(id) => id,
                None => {
                    let id: i64 = sqlx::query_scalar("INSERT INTO sites (name) VALUES ($1) RETURNING id")
                        .bind(name.to_string())
                        .fetch_one(&mut *tx)
                        .await?;
                    audit_insert!(
                        &mut *tx,
                        crate::audit::NewEntry::new(self.now(), actor, "create", "site", id.to_string())
                            .after(serde_json::json!({"name": name}).to_string())
                    )?;
                    id
                }
            };
            tx.commit().await?;
            id
        }))
    }
}

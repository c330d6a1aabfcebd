//! The administrative tree: browse from the top of one's scope down to the
//! household, with the checkpoints of each compound.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use cordon_domain::places::PlaceKind;
use cordon_store::places::{Checkpoint, Place};
use cordon_store::{Page, PageRequest};
use serde::Deserialize;

use crate::AppState;
use crate::accounts::{ApiActor, Ctx};
use crate::error::{ApiError, PageError};
use crate::views::{Layout, Pager};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/places", get(index)).route("/places/{id}", get(detail))
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_roots))
        .routes(routes!(api_place))
        .routes(routes!(api_children))
        .routes(routes!(api_checkpoints))
}

/// List parameters shared by pages and API.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
pub struct ListQuery {
    /// Name contains.
    pub q: Option<String>,
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Rows per page (at most 500).
    pub per_page: Option<i64>,
}

/// A place as a row of a list.
pub struct PlaceRow {
    id: i64,
    name: String,
    kind: String,
    children: i64,
    residents: i64,
}

fn row(ctx: &Ctx, p: &Place) -> PlaceRow {
    PlaceRow {
        id: p.id,
        name: p.name.clone(),
        kind: ctx.tr.t(&format!("kind-{}", p.kind.as_str())),
        children: p.children,
        residents: p.residents,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "places/index.html")]
struct IndexView {
    l: Layout,
    roots: Vec<PlaceRow>,
}

async fn index(State(app): State<AppState>, ctx: Ctx) -> Result<IndexView, PageError> {
    let roots = app.store.place_roots(&ctx.actor).await?;
    Ok(IndexView { roots: roots.iter().map(|p| row(&ctx, p)).collect(), l: Layout::new(&ctx, "nav-places") })
}

#[derive(Template, WebTemplate)]
#[template(path = "places/detail.html")]
pub(crate) struct DetailView {
    l: Layout,
    place: PlaceRow,
    trail: Vec<PlaceRow>,
    child_kind: String,
    children: Vec<PlaceRow>,
    checkpoints: Vec<Checkpoint>,
    q: String,
    pager: Pager,
    can_see_residents: bool,
    /// A compound's control status.
    control: Option<crate::control::Panel>,
    /// Why a form of the page was refused.
    error: Option<String>,
}

async fn detail(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> Result<DetailView, PageError> {
    detail_view(&app, &ctx, id, q, None).await
}

/// A place's page, with a refused form's message if any.
pub(crate) async fn detail_view(
    app: &AppState,
    ctx: &Ctx,
    id: i64,
    q: ListQuery,
    error: Option<String>,
) -> Result<DetailView, PageError> {
    let store = &app.store;
    // Read once: the place in hand is what the parts below are read for.
    let place = store.place(&ctx.actor, id).await?;
    let trail = store.trail_of(&ctx.actor, &place).await?;
    let children = store.children_of(&ctx.actor, &place, q.q.as_deref(), PageRequest::new(q.page, q.per_page)).await?;
    let compound = place.kind == PlaceKind::Compound;
    let checkpoints = if compound { store.checkpoints_of(&place).await? } else { vec![] };
    let control = if compound {
        let can_set = cordon_domain::control::may_set(&ctx.actor);
        Some(crate::control::Panel::new(&ctx.tr, store.control_of(&place).await?, can_set))
    } else {
        None
    };
    let pager = Pager::new(&format!("/places/{id}"), &[("q", q.q.clone().unwrap_or_default())], &children);
    Ok(DetailView {
        place: row(ctx, &place),
        trail: trail.iter().filter(|p| p.id != id).map(|p| row(ctx, p)).collect(),
        child_kind: place.kind.child().map(|k| ctx.tr.t(&format!("kind-{}", k.as_str()))).unwrap_or_default(),
        children: children.items.iter().map(|p| row(ctx, p)).collect(),
        checkpoints,
        q: q.q.unwrap_or_default(),
        pager,
        can_see_residents: ctx.actor.can(cordon_domain::Capability::ViewResidents),
        control,
        error,
        l: Layout::titled(ctx, place.name.clone()),
    })
}

/// The top places of the caller's scope.
#[utoipa::path(get, path = "/api/v1/places", tag = "places", responses((status = 200, description = "the top places of the caller's scope", body = Vec<Place>)))]
pub async fn api_roots(State(app): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Vec<Place>>, ApiError> {
    Ok(Json(app.store.place_roots(&actor).await?))
}

/// One place in the caller's scope.
#[utoipa::path(get, path = "/api/v1/places/{id}", tag = "places", params(("id" = i64, Path)), responses((status = 200, description = "the place", body = Place), (status = 404, description = "no such place in scope")))]
pub async fn api_place(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Place>, ApiError> {
    Ok(Json(app.store.place(&actor, id).await?))
}

/// The children of a place, paged.
#[utoipa::path(get, path = "/api/v1/places/{id}/children", tag = "places", params(("id" = i64, Path), ListQuery), responses((status = 200, description = "a page of children", body = Page<Place>)))]
pub async fn api_children(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Page<Place>>, ApiError> {
    Ok(Json(app.store.place_children(&actor, id, q.q.as_deref(), PageRequest::new(q.page, q.per_page)).await?))
}

/// The checkpoints of a compound.
#[utoipa::path(get, path = "/api/v1/places/{id}/checkpoints", tag = "places", params(("id" = i64, Path)), responses((status = 200, description = "the checkpoints", body = Vec<Checkpoint>)))]
pub async fn api_checkpoints(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Checkpoint>>, ApiError> {
    Ok(Json(app.store.checkpoints(&actor, id).await?))
}

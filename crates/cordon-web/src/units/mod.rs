//! Municipal units and their cadres.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use cordon_store::units::{Cadre, CadreFilter, Unit};
use cordon_store::{Page, PageRequest};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::accounts::{ApiActor, Ctx};
use crate::error::{ApiError, PageError};
use crate::views::{Layout, Pager};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/units", get(index))
        .route("/units/{id}", get(unit))
        .route("/cadres", get(cadres))
        .route("/cadres/{id}", get(cadre))
        .route("/cadres/{id}/reveal", post(reveal))
        .route("/cadres/{id}/training", post(training))
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_units))
        .routes(routes!(api_unit))
        .routes(routes!(api_cadres))
        .routes(routes!(api_cadre))
        .routes(routes!(api_reveal))
}

/// Filters of the cadre list.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
pub struct CadreQuery {
    /// Only this unit.
    pub unit: Option<i64>,
    /// Name or position contains.
    pub q: Option<String>,
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Rows per page.
    pub per_page: Option<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "units/index.html")]
struct IndexView {
    l: Layout,
    units: Vec<Unit>,
}

async fn index(State(app): State<AppState>, ctx: Ctx) -> Result<IndexView, PageError> {
    let units = app.store.units(&ctx.actor).await?;
    Ok(IndexView { units, l: Layout::new(&ctx, "nav-units") })
}

#[derive(Template, WebTemplate)]
#[template(path = "units/cadres.html")]
struct CadresView {
    l: Layout,
    cadres: Vec<Cadre>,
    units: Vec<Unit>,
    unit: Option<i64>,
    q: String,
    pager: Pager,
}

impl CadresView {
    fn is_unit(&self, id: &i64) -> bool {
        self.unit == Some(*id)
    }
}

async fn cadres(State(app): State<AppState>, ctx: Ctx, Query(q): Query<CadreQuery>) -> Result<CadresView, PageError> {
    let filter = CadreFilter { unit_id: q.unit, q: q.q.clone() };
    let page = app.store.cadres(&ctx.actor, &filter, PageRequest::new(q.page, q.per_page)).await?;
    let units = app.store.units(&ctx.actor).await?;
    let pager = Pager::new(
        "/cadres",
        &[("unit", q.unit.map(|u| u.to_string()).unwrap_or_default()), ("q", q.q.clone().unwrap_or_default())],
        &page,
    );
    let title = match q.unit.and_then(|u| units.iter().find(|x| x.id == u)) {
        Some(u) => u.name.clone(),
        None => ctx.tr.t("nav-cadres"),
    };
    Ok(CadresView {
        cadres: page.items,
        units,
        unit: q.unit,
        q: q.q.unwrap_or_default(),
        pager,
        l: Layout::titled(&ctx, title),
    })
}

/// A unit's page: its cadres, with the unit's name as the title.
async fn unit(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(mut q): Query<CadreQuery>,
) -> Result<CadresView, PageError> {
    // A unit outside the scope is not found, before any list is built.
    app.store.unit(&ctx.actor, id).await?;
    q.unit = Some(id);
    cadres(State(app), ctx, Query(q)).await
}

#[derive(Template, WebTemplate)]
#[template(path = "units/cadre.html")]
struct CadreView {
    l: Layout,
    c: Cadre,
    phone: Option<String>,
    can_reveal: bool,
    trainings: Vec<(String, String)>,
    can_train: bool,
    error: Option<String>,
}

async fn cadre_view(
    app: &AppState,
    ctx: &Ctx,
    id: i64,
    phone: Option<String>,
    error: Option<String>,
) -> Result<CadreView, PageError> {
    let c = app.store.cadre(&ctx.actor, id).await?;
    let trainings =
        app.store.trainings(&ctx.actor, id).await?.into_iter().map(|(course, day)| (course, day.to_string())).collect();
    Ok(CadreView {
        can_reveal: ctx.actor.can(cordon_domain::Capability::RevealPersonal),
        can_train: ctx.actor.can(cordon_domain::Capability::ManageCadres),
        l: Layout::titled(ctx, c.name.clone()),
        c,
        phone,
        trainings,
        error,
    })
}

#[derive(Deserialize)]
struct TrainingForm {
    course: String,
    day: String,
}

async fn training(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<TrainingForm>,
) -> Result<axum::response::Response, PageError> {
    use axum::response::IntoResponse;
    let Ok(day) = chrono::NaiveDate::parse_from_str(&f.day, "%Y-%m-%d") else {
        let v = cadre_view(&app, &ctx, id, None, Some(ctx.tr.t("error-invalid"))).await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, v).into_response());
    };
    match app.store.record_training(&ctx.actor, id, &f.course, day).await {
        Ok(()) => Ok(axum::response::Redirect::to(&format!("/cadres/{id}")).into_response()),
        Err(cordon_store::StoreError::Invalid(m)) => Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            cadre_view(&app, &ctx, id, None, Some(ctx.tr.refusal(&m))).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn cadre(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<CadreView, PageError> {
    cadre_view(&app, &ctx, id, None, None).await
}

async fn reveal(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<CadreView, PageError> {
    let phone = app.store.reveal_cadre_phone(&ctx.actor, id).await?;
    cadre_view(&app, &ctx, id, Some(phone), None).await
}

/// The units the caller may see, with headcounts.
#[utoipa::path(get, path = "/api/v1/units", tag = "units", responses((status = 200, description = "units", body = Vec<Unit>)))]
pub async fn api_units(State(app): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Vec<Unit>>, ApiError> {
    Ok(Json(app.store.units(&actor).await?))
}

/// One unit with its headcount.
#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "units", params(("id" = i64, Path)), responses((status = 200, description = "the unit", body = Unit), (status = 404, description = "no such unit in scope")))]
pub async fn api_unit(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Unit>, ApiError> {
    Ok(Json(app.store.unit(&actor, id).await?))
}

/// Cadres in the caller's scope, paged; phones masked.
#[utoipa::path(get, path = "/api/v1/cadres", tag = "units", params(CadreQuery), responses((status = 200, description = "a page of cadres", body = Page<Cadre>)))]
pub async fn api_cadres(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<CadreQuery>,
) -> Result<Json<Page<Cadre>>, ApiError> {
    let filter = CadreFilter { unit_id: q.unit, q: q.q };
    Ok(Json(app.store.cadres(&actor, &filter, PageRequest::new(q.page, q.per_page)).await?))
}

/// One cadre.
#[utoipa::path(get, path = "/api/v1/cadres/{id}", tag = "units", params(("id" = i64, Path)), responses((status = 200, description = "the cadre", body = Cadre), (status = 404, description = "no such cadre in scope")))]
pub async fn api_cadre(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Cadre>, ApiError> {
    Ok(Json(app.store.cadre(&actor, id).await?))
}

/// A cadre's phone in full; the reveal is logged.
#[utoipa::path(post, path = "/api/v1/cadres/{id}/reveal", tag = "units", params(("id" = i64, Path)), responses((status = 200, description = "the phone")))]
pub async fn api_reveal(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let phone = app.store.reveal_cadre_phone(&actor, id).await?;
    Ok(Json(json!({"id": id, "phone": phone})))
}

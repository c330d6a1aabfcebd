//! A squad's page and API: members (leader first), compounds, branch,
//! on duty now, kits (`crate::kits`), liaisons.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use cordon_domain::Capability;
use cordon_store::StoreError;
use cordon_store::kits::KitStatus;
use cordon_store::squads::Squad;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::accounts::{ApiActor, Ctx};
use crate::error::{ApiError, PageError};
use crate::views::Layout;

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/squads/{id}", get(squad)).route("/squads/{id}/liaisons", post(add_liaison))
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_squad)).routes(routes!(api_add_liaison))
}

#[derive(Template, WebTemplate)]
#[template(path = "squads/detail.html")]
pub(crate) struct SquadView {
    l: Layout,
    s: Squad,
    roles: Vec<String>,
    can_edit: bool,
    can_issue_kits: bool,
    can_see_cadres: bool,
    gates: Vec<cordon_store::boards::Gate>,
    error: Option<String>,
    kits: KitStatus,
}

/// The squad's page, with a message above the kits and liaisons if a form was refused.
pub(crate) async fn squad_view(
    app: &AppState,
    ctx: &Ctx,
    id: i64,
    error: Option<String>,
) -> Result<SquadView, PageError> {
    let s = app.store.squad(&ctx.actor, id).await?;
    Ok(SquadView {
        kits: app.store.kit_status(&ctx.actor, id).await?,
        roles: s.members.iter().map(|m| ctx.tr.tk("squad-role", &m.role)).collect(),
        can_edit: cordon_domain::squads::may_manage(&ctx.actor),
        can_issue_kits: cordon_domain::kits::may_issue(&ctx.actor),
        can_see_cadres: ctx.actor.can(Capability::ViewCadres),
        gates: app.store.squad_gates(&s).await?,
        error,
        l: Layout::titled(ctx, s.name.clone()),
        s,
    })
}

/// Back to the squad after a form, or the squad's page with the refusal.
pub(crate) async fn after_form<T>(
    app: &AppState,
    ctx: &Ctx,
    id: i64,
    result: Result<T, StoreError>,
) -> Result<Response, PageError> {
    crate::views::after_form(ctx, result, &format!("/squads/{id}"), |e| squad_view(app, ctx, id, Some(e))).await
}

async fn squad(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<SquadView, PageError> {
    squad_view(&app, &ctx, id, None).await
}

#[derive(Deserialize)]
struct LiaisonForm {
    name: String,
    role: String,
    phone: String,
}

async fn add_liaison(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<LiaisonForm>,
) -> Result<Response, PageError> {
    let result = app.store.add_liaison(&ctx.actor, id, &f.name, &f.role, &f.phone).await;
    after_form(&app, &ctx, id, result).await
}

/// A street or community contact to add to a squad.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LiaisonBody {
    /// Name.
    pub name: String,
    /// Their role, e.g. 社区书记.
    pub role: String,
    /// Mobile phone.
    pub phone: String,
}

/// Adds a liaison to a squad.
#[utoipa::path(post, path = "/api/v1/squads/{id}/liaisons", tag = "squads", params(("id" = i64, Path)), request_body = LiaisonBody, responses((status = 200, description = "the squad", body = Squad), (status = 422, description = "bad input")))]
pub async fn api_add_liaison(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<LiaisonBody>,
) -> Result<Json<Squad>, ApiError> {
    app.store.add_liaison(&actor, id, &b.name, &b.role, &b.phone).await?;
    Ok(Json(app.store.squad(&actor, id).await?))
}

/// A squad with its members (leader first) and compounds.
#[utoipa::path(get, path = "/api/v1/squads/{id}", tag = "squads", params(("id" = i64, Path)), responses((status = 200, description = "the squad", body = Squad), (status = 404, description = "no such squad in scope")))]
pub async fn api_squad(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Squad>, ApiError> {
    Ok(Json(app.store.squad(&actor, id).await?))
}

//! The command's picture of the guarantee: per street, unit and compound,
//! who is posted and on duty now (`/squads`, `GET /api/v1/squads`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use cordon_store::command::Overview;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::accounts::{ApiActor, Ctx};
use crate::error::{ApiError, PageError};
use crate::views::Layout;

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/squads", get(overview))
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_overview))
}

#[derive(Template, WebTemplate)]
#[template(path = "command/overview.html")]
struct OverviewView {
    l: Layout,
    o: Overview,
}

async fn overview(State(app): State<AppState>, ctx: Ctx) -> Result<OverviewView, PageError> {
    Ok(OverviewView { o: app.store.overview(&ctx.actor).await?, l: Layout::new(&ctx, "nav-squads") })
}

/// The guarantee per unit, per compound and per street, in the caller's scope.
#[utoipa::path(get, path = "/api/v1/squads", tag = "command", responses((status = 200, description = "the overview", body = Overview)))]
pub async fn api_overview(State(app): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Overview>, ApiError> {
    Ok(Json(app.store.overview(&actor).await?))
}

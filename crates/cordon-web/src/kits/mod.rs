//! Kits (防疫战斗包) on the squad's page and in the API: items handed to a
//! member, and a correction as a reversing entry.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use axum::{Json, Router};
use cordon_store::kits::KitStatus;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::accounts::{ApiActor, Ctx};
use crate::error::{ApiError, PageError};
use crate::squads::after_form;

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/squads/{id}/kits", post(issue_kit))
        .route("/squads/{id}/kits/{entry}/reverse", post(reverse_kit))
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_kits, api_issue_kit))
}

#[derive(Deserialize)]
struct KitForm {
    cadre: i64,
    item: i64,
    quantity: i64,
}

async fn issue_kit(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<KitForm>,
) -> Result<Response, PageError> {
    let result = app.store.issue_kit(&ctx.actor, id, f.cadre, f.item, f.quantity).await;
    after_form(&app, &ctx, id, result).await
}

async fn reverse_kit(
    State(app): State<AppState>,
    ctx: Ctx,
    Path((id, entry)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let result = app.store.reverse_kit_entry(&ctx.actor, id, entry).await;
    after_form(&app, &ctx, id, result).await
}

/// A squad's kits: due, issued and owed per item, and the ledger.
#[utoipa::path(get, path = "/api/v1/squads/{id}/kits", tag = "kits", params(("id" = i64, Path)), responses((status = 200, description = "the kits", body = KitStatus)))]
pub async fn api_kits(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<KitStatus>, ApiError> {
    Ok(Json(app.store.kit_status(&actor, id).await?))
}

/// Items handed to a squad member.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct KitBody {
    /// The member's cadre id.
    pub cadre_id: i64,
    /// The kit item's id.
    pub item_id: i64,
    /// How many (a correction is made by reversing an entry, not by a negative number).
    pub quantity: i64,
}

/// Records items handed to a member.
#[utoipa::path(post, path = "/api/v1/squads/{id}/kits", tag = "kits", params(("id" = i64, Path)), request_body = KitBody, responses((status = 200, description = "the kits after the entry", body = KitStatus), (status = 422, description = "bad input")))]
pub async fn api_issue_kit(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<KitBody>,
) -> Result<Json<KitStatus>, ApiError> {
    app.store.issue_kit(&actor, id, b.cadre_id, b.item_id, b.quantity).await?;
    Ok(Json(app.store.kit_status(&actor, id).await?))
}

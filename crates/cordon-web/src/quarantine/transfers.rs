//! Transfers on the site page and in the API: each positive's closed-loop
//! trip to the designated hospital, taken step by step (departure with the
//! hospital, vehicle and escorts; hand-over; follow-ups; a cancel before
//! departure) by the groups that run transfers, and the follow-up log the
//! site keeps. The step is the domain's (`TransferEvent::from_fields`), the
//! rule of who may take it the store's (`SiteRole::runs_transfers`).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use cordon_domain::quarantine::transfer::TransferEvent;
use cordon_store::StoreError;
use cordon_store::quarantine::{FollowUp, Transfer};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::accounts::{ApiActor, Ctx};
use crate::error::{ApiError, PageError};
use crate::views::{field, pairs};

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/quarantine/sites/{id}/transfers/{transfer}/step", post(step_form))
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_transfers)).routes(routes!(api_step))
}

/// A transfer with its log, as the site page shows it.
pub(super) struct TransferView {
    pub t: Transfer,
    pub log: Vec<FollowUp>,
}

/// The site's transfers with their logs, for a role that sees transfers.
pub(super) async fn site_part(app: &AppState, ctx: &Ctx, site: i64) -> Result<Vec<TransferView>, StoreError> {
    let transfers = app.store.transfers(&ctx.actor, site).await?;
    let mut log = app.store.follow_ups(&ctx.actor, site).await?;
    Ok(transfers
        .into_iter()
        .map(|t| {
            let (mine, rest): (Vec<FollowUp>, Vec<FollowUp>) = log.drain(..).partition(|f| f.transfer_id == t.id);
            log = rest;
            TransferView { t, log: mine }
        })
        .collect())
}

/// A step from the site page's form, dated now.
async fn step_form(
    State(app): State<AppState>,
    ctx: Ctx,
    Path((id, transfer)): Path<(i64, i64)>,
    body: String,
) -> Result<Response, PageError> {
    let f = pairs(&body);
    let event = TransferEvent::from_fields(field(&f, "event"), |n| field(&f, n), app.store.now())
        .map_err(StoreError::invalid)?;
    app.store.step_transfer(&ctx.actor, id, transfer, &event).await?;
    Ok(Redirect::to(&format!("/quarantine/sites/{id}#transfers")).into_response())
}

/// A site's transfers, newest first (not for the hotel group).
#[utoipa::path(get, path = "/api/v1/quarantine/sites/{id}/transfers", tag = "quarantine", params(("id" = i64, Path)), responses((status = 200, description = "the transfers", body = Vec<Transfer>), (status = 403, description = "the caller's group does not see transfers"), (status = 404, description = "no such site for the caller")))]
pub async fn api_transfers(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Transfer>>, ApiError> {
    Ok(Json(app.store.transfers(&actor, id).await?))
}

/// A transfer's step.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StepBody {
    /// depart, hand-over, follow-up or cancel.
    pub event: String,
    /// When (RFC 3339); default now.
    #[schema(value_type = Option<String>)]
    pub at: Option<DateTime<Utc>>,
    /// depart: the designated hospital.
    pub hospital: Option<String>,
    /// depart: the vehicle.
    pub vehicle: Option<String>,
    /// depart: the escorts, separated by commas.
    pub escorts: Option<String>,
    /// follow-up: call, translation, institution, hospital or other.
    pub kind: Option<String>,
    /// follow-up: what was said or done.
    pub note: Option<String>,
    /// cancel: why.
    pub reason: Option<String>,
}

/// Takes a transfer's step: departure (the person leaves the room), hand-over, a follow-up, or a cancel.
#[utoipa::path(post, path = "/api/v1/quarantine/sites/{id}/transfers/{transfer}/step", tag = "quarantine", params(("id" = i64, Path), ("transfer" = i64, Path)), request_body = StepBody, responses((status = 200, description = "the transfer's new state", body = String), (status = 403, description = "the caller's group does not run transfers"), (status = 404, description = "no such transfer at the caller's site"), (status = 422, description = "a step that does not follow, or bad input")))]
pub async fn api_step(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((id, transfer)): Path<(i64, i64)>,
    Json(b): Json<StepBody>,
) -> Result<Json<String>, ApiError> {
    let value = |n: &str| -> &str {
        let v = match n {
            "hospital" => &b.hospital,
            "vehicle" => &b.vehicle,
            "escorts" => &b.escorts,
            "kind" => &b.kind,
            "note" => &b.note,
            "reason" => &b.reason,
            _ => &None,
        };
        v.as_deref().unwrap_or("")
    };
    let at = b.at.unwrap_or_else(|| app.store.now());
    let event = TransferEvent::from_fields(&b.event, value, at).map_err(StoreError::invalid)?;
    let next = app.store.step_transfer(&actor, id, transfer, &event).await?;
    Ok(Json(next.as_str().to_string()))
}

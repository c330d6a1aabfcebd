//! A compound's control status on its page (the status, the command's form,
//! the history) and in the API (`GET`/`PUT /api/v1/places/{id}/control`).

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use axum::{Form, Json, Router};
use cordon_domain::Key;
use cordon_domain::control::{ControlStatus, may_set};
use cordon_store::StoreError;
use cordon_store::control::{Control, ControlChange};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::accounts::{ApiActor, Ctx};
use crate::error::{ApiError, PageError};
use crate::i18n::Tr;

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/places/{id}/control", post(set))
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_get, api_put))
}

/// A change as the compound's page lists it, worded and in the deployment's zone.
pub struct ChangeLine {
    pub at: String,
    pub actor: String,
    pub from: String,
    pub to: String,
    pub to_key: &'static str,
    pub reason: String,
}

/// The control part of a compound's page.
pub struct Panel {
    /// The status now, worded ("未设定" if none).
    pub status: String,
    /// Its key for the colour (`none` if none).
    pub key: &'static str,
    /// The form for the command.
    pub can_set: bool,
    /// The three tiers for the form (key, worded).
    pub options: Vec<(&'static str, String)>,
    pub history: Vec<ChangeLine>,
}

/// A status worded, or "not set".
pub fn worded(tr: &Tr, status: Option<ControlStatus>) -> String {
    match status {
        Some(s) => tr.tk("control", s.as_str()),
        None => tr.t("control-none"),
    }
}

impl Panel {
    pub fn new(tr: &Tr, control: Control, can_set: bool) -> Panel {
        let line = |c: ControlChange| ChangeLine {
            at: tr.time(&c.at),
            actor: c.actor,
            from: worded(tr, c.from),
            to: worded(tr, Some(c.to)),
            to_key: c.to.as_str(),
            reason: c.reason,
        };
        Panel {
            status: worded(tr, control.status),
            key: control.status.map_or("none", ControlStatus::as_str),
            can_set,
            options: ControlStatus::ALL.iter().map(|s| (s.as_str(), worded(tr, Some(*s)))).collect(),
            history: control.history.into_iter().map(line).collect(),
        }
    }
}

/// What the page's form and the API send.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ControlBody {
    /// sealed, controlled or precaution (封控, 管控, 防范 are read too).
    #[serde(default)]
    pub status: String,
    /// Why (required, at most 500 characters).
    // Missing reads as empty, so that it is refused with the same words as a blank one.
    #[serde(default)]
    pub reason: String,
}

fn status_of(s: &str) -> Result<ControlStatus, StoreError> {
    ControlStatus::parse(s).ok_or_else(|| StoreError::invalid(Key::ControlBadStatus))
}

async fn set(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ControlBody>,
) -> Result<Response, PageError> {
    let result = match status_of(&f.status) {
        Ok(status) => app.store.set_control(&ctx.actor, id, status, &f.reason).await,
        Err(e) => Err(e),
    };
    crate::views::after_form(&ctx, result, &format!("/places/{id}"), |e| {
        crate::places::detail_view(&app, &ctx, id, Default::default(), Some(e))
    })
    .await
}

/// A compound's control status (sealed, controlled, precaution, or null) and its history, newest first.
#[utoipa::path(get, path = "/api/v1/places/{id}/control", tag = "places", params(("id" = i64, Path)), responses((status = 200, description = "the status and its history", body = Control), (status = 404, description = "no such place in scope"), (status = 422, description = "not a compound (control-not-compound)")))]
pub async fn api_get(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Control>, ApiError> {
    Ok(Json(app.store.control(&actor, id).await?))
}

/// Sets a compound's control status with a reason: the command only (403 otherwise). Setting the status it has changes nothing. Answers with the status and its history.
#[utoipa::path(put, path = "/api/v1/places/{id}/control", tag = "places", params(("id" = i64, Path)), request_body = ControlBody, responses((status = 200, description = "the status and its history", body = Control), (status = 403, description = "not the command"), (status = 404, description = "no such place in scope"), (status = 422, description = "bad status, no reason, or not a compound")))]
pub async fn api_put(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<ControlBody>,
) -> Result<Json<Control>, ApiError> {
    if !may_set(&actor) {
        return Err(StoreError::Forbidden.into());
    }
    app.store.set_control(&actor, id, status_of(&b.status)?, &b.reason).await?;
    Ok(Json(app.store.control(&actor, id).await?))
}

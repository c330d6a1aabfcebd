//! The API's own routes: who am I, and the OpenAPI document.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use cordon_domain::Actor;
use utoipa::OpenApi;

use crate::AppState;
use crate::auth::ApiActor;

/// The API description served at `/api/v1/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Cordon API",
        description = "The operations system of an epidemic-prevention command. Authenticate with `Authorization: Bearer <token>` (`cordon token create --user NAME`)."
    ),
    paths(
        me,
        crate::places::api_roots,
        crate::places::api_place,
        crate::places::api_children,
        crate::places::api_checkpoints,
        crate::units::api_units,
        crate::units::api_cadres,
        crate::units::api_cadre,
        crate::units::api_reveal,
        crate::residents::api_list,
        crate::residents::api_get,
        crate::residents::api_reveal,
        crate::residents::api_export,
        crate::audit::api_list,
        crate::imports::api_import,
        crate::mobilisation::api_list,
        crate::mobilisation::api_create,
        crate::mobilisation::api_get,
        crate::mobilisation::api_candidates,
        crate::mobilisation::api_step,
        crate::mobilisation::api_squad,
        crate::mobilisation::api_add_liaison,
        crate::mobilisation::api_overview,
        crate::mobilisation::api_kits,
        crate::mobilisation::api_issue_kit,
        crate::duty::api_roster,
        crate::duty::api_build,
        crate::duty::api_clear,
        crate::duty::api_shift,
        crate::duty::api_staff,
        crate::duty::api_handover,
        crate::duty::api_mine,
        crate::webhooks::api_list,
        crate::webhooks::api_create,
        crate::webhooks::api_delete,
        crate::webhooks::api_deliveries,
    )
)]
struct ApiDoc;

/// The OpenAPI document as JSON text.
pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}

/// API routes of no one capability.
pub fn router() -> Router<AppState> {
    Router::new().route("/me", get(me)).route("/openapi.json", get(openapi))
}

/// The caller: user, role and scope.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses((status = 200, description = "the calling user"), (status = 401, description = "no valid session or token")))]
pub async fn me(State(_): State<AppState>, ApiActor(actor): ApiActor) -> Json<Actor> {
    Json(actor)
}

async fn openapi() -> axum::response::Response {
    use axum::response::IntoResponse;
    ([(axum::http::header::CONTENT_TYPE, "application/json")], openapi_json()).into_response()
}

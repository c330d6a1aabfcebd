//! The API's own routes (who am I, the OpenAPI document) and the one place
//! where every capability's API routes are put together. Routes and the
//! OpenAPI document come from the same source: each capability's
//! `api_router` registers its handlers with `utoipa_axum::routes!`, which
//! takes a handler's path and method from its `#[utoipa::path]` attribute.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Json, Router};
use cordon_domain::Actor;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::accounts::ApiActor;
use crate::error::ApiError;

/// The API description's title and introduction; the paths come from the routers.
#[derive(OpenApi)]
#[openapi(info(
    title = "Cordon API",
    description = "The operations system of an epidemic-prevention command. Authenticate with `Authorization: Bearer <token>` (`cordon token create --user NAME`)."
))]
struct ApiDoc;

/// Every API route of every capability, with its description.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me))
        .merge(crate::places::api_router())
        .merge(crate::control::api_router())
        .merge(crate::units::api_router())
        .merge(crate::residents::api_router())
        .merge(crate::audit::api_router())
        .merge(crate::imports::api_router())
        .merge(crate::orders::api_router())
        .merge(crate::squads::api_router())
        .merge(crate::kits::api_router())
        .merge(crate::command::api_router())
        .merge(crate::duty::api_router())
        .merge(crate::webhooks::api_router())
        .merge(crate::quarantine::api_router())
}

/// The API's routes (under `/api/v1`), with the OpenAPI document.
pub fn router() -> Router<AppState> {
    let (router, _) = api().split_for_parts();
    router.route("/api/v1/openapi.json", axum::routing::get(openapi))
}

/// The OpenAPI document as JSON text.
pub fn openapi_json() -> String {
    api().into_openapi().to_pretty_json().unwrap_or_default()
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

/// What an address that is no API route answers: distinct from a record not
/// found, so a client (and the route test) can tell the two apart.
pub async fn no_route() -> ApiError {
    ApiError::Status(StatusCode::NOT_FOUND, "no-route", crate::error::english("error-no-route"))
}

//! Mobilisation orders in the API: list, issue, read, candidates, steps.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use cordon_domain::Key;
use cordon_domain::orders::OrderStep;
use cordon_domain::squads::SquadRole;
use cordon_store::orders::{Candidate, NewOrder, Order};
use cordon_store::{Page, PageRequest};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OrderQuery;
use crate::AppState;
use crate::accounts::ApiActor;
use crate::error::ApiError;

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_list, api_create))
        .routes(routes!(api_get))
        .routes(routes!(api_candidates))
        .routes(routes!(api_step))
}

/// Orders in the caller's scope, oldest first; in flight unless `state` says otherwise.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(OrderQuery), responses((status = 200, description = "a page of orders", body = Page<Order>)))]
pub async fn api_list(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<OrderQuery>,
) -> Result<Json<Page<Order>>, ApiError> {
    Ok(Json(app.store.orders(&actor, &q.filter(), PageRequest::new(q.page, q.per_page)).await?))
}

/// What the command asks of a unit.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewOrderBody {
    /// The unit's id.
    pub unit_id: i64,
    /// How many people.
    pub people: i64,
    /// The compounds' ids.
    pub compound_ids: Vec<i64>,
    /// Report by (RFC 3339).
    pub deadline: DateTime<Utc>,
    /// Why.
    #[serde(default)]
    pub note: String,
}

/// Issues an order (command and organisation).
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = NewOrderBody, responses((status = 201, description = "the new order", body = Order), (status = 422, description = "bad input")))]
pub async fn api_create(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<NewOrderBody>,
) -> Result<(StatusCode, Json<Order>), ApiError> {
    let new = NewOrder {
        unit_id: b.unit_id,
        people: b.people,
        compound_ids: b.compound_ids,
        deadline: b.deadline,
        note: b.note,
    };
    let id = app.store.issue_order(&actor, &new).await?;
    Ok((StatusCode::CREATED, Json(app.store.order(&actor, id).await?)))
}

/// One order with its steps.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = i64, Path)), responses((status = 200, description = "the order", body = Order), (status = 404, description = "no such order in scope")))]
pub async fn api_get(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Order>, ApiError> {
    Ok(Json(app.store.order(&actor, id).await?))
}

/// The unit's cadres for the roster, with who is posted elsewhere (roles that may see cadres).
#[utoipa::path(get, path = "/api/v1/orders/{id}/candidates", tag = "orders", params(("id" = i64, Path)), responses((status = 200, description = "cadres", body = Vec<Candidate>), (status = 403, description = "the role may not see cadres")))]
pub async fn api_candidates(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Candidate>>, ApiError> {
    Ok(Json(app.store.candidates(&actor, id).await?))
}

/// One member of a roster.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RosterEntry {
    /// The cadre's id.
    pub cadre_id: i64,
    /// leader, secretary or member.
    #[serde(default = "member")]
    pub role: String,
}

fn member() -> String {
    "member".into()
}

/// A step of an order.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StepBody {
    /// acknowledge, assemble, report, stand-down, decline or cancel.
    pub event: String,
    /// Why (decline, cancel).
    #[serde(default)]
    pub reason: String,
    /// Who goes (assemble).
    #[serde(default)]
    pub roster: Vec<RosterEntry>,
    /// Move cadres posted elsewhere and post untrained ones.
    #[serde(default)]
    pub confirm_moves: bool,
}

/// Takes one step of an order; 409 when someone else moved it, or a roster needs confirmation.
#[utoipa::path(post, path = "/api/v1/orders/{id}/steps", tag = "orders", params(("id" = i64, Path)), request_body = StepBody, responses((status = 200, description = "the order after the step", body = Order), (status = 409, description = "moved meanwhile, or a move needs confirmation"), (status = 422, description = "the step does not follow")))]
pub async fn api_step(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<StepBody>,
) -> Result<Json<Order>, ApiError> {
    let mut roles = Vec::new();
    for r in &b.roster {
        let role = SquadRole::parse(&r.role).ok_or_else(|| Key::OrderUnknownRole.with("role", &r.role))?;
        roles.push((r.cadre_id, role));
    }
    let event = OrderStep::parse(&b.event)
        .ok_or_else(|| Key::OrderUnknownEvent.with("event", &b.event))?
        .event(b.roster.iter().map(|r| r.cadre_id).collect(), b.reason);
    app.store.order_step(&actor, id, event, &roles, b.confirm_moves).await?;
    Ok(Json(app.store.order(&actor, id).await?))
}

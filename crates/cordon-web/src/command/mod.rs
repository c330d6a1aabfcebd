//! The command's picture of the guarantee: per street, unit and compound,
//! who is posted and on duty now (`/squads`, `GET /api/v1/squads`); and the
//! command's dashboard, its home page (`/`, `GET /api/v1/dashboard`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use cordon_store::command::{CompoundLine, Counts, Dashboard, EmptyGate, Overview, WaitingOrder};
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
    OpenApiRouter::new().routes(routes!(api_overview)).routes(routes!(api_dashboard))
}

#[derive(Template, WebTemplate)]
#[template(path = "command/overview.html")]
struct OverviewView {
    l: Layout,
    o: Overview,
    /// A compound links to its page only for those who may open it (a unit's coordinator may not).
    can_see_places: bool,
}

async fn overview(State(app): State<AppState>, ctx: Ctx) -> Result<OverviewView, PageError> {
    Ok(OverviewView {
        o: app.store.overview(&ctx.actor).await?,
        can_see_places: ctx.actor.can(cordon_domain::Capability::ViewPlaces),
        l: Layout::new(&ctx, "nav-squads"),
    })
}

/// The guarantee per unit, per compound and per street, in the caller's scope.
#[utoipa::path(get, path = "/api/v1/squads", tag = "command", responses((status = 200, description = "the overview", body = Overview)))]
pub async fn api_overview(State(app): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Overview>, ApiError> {
    Ok(Json(app.store.overview(&actor).await?))
}

/// An order waiting on the dashboard, worded.
pub struct WaitingLine {
    /// The order and its clock.
    pub w: WaitingOrder,
    /// Its state, translated.
    pub state: String,
    /// The deadline as a local time.
    pub deadline: String,
    /// "1 h 20 min left" or "15 min overdue".
    pub clock: String,
    /// "17 people".
    pub people: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "command/dashboard.html")]
struct DashboardView {
    l: Layout,
    scope: String,
    refreshed: String,
    counts: Counts,
    waiting: Vec<WaitingLine>,
    unguarded: Vec<CompoundLine>,
    empty_gates: Vec<EmptyGate>,
    can_issue: bool,
}

/// Whether the home page of this actor is the command's dashboard: whoever
/// issues orders (the command, the organisation department).
pub fn sees_dashboard(actor: &cordon_domain::Actor) -> bool {
    cordon_domain::orders::may_issue(actor)
}

/// A countdown worded in the user's language: hours and minutes left, or late.
fn clock(tr: &crate::i18n::Tr, minutes_left: i64) -> String {
    let m = minutes_left.unsigned_abs();
    let span = if m >= 60 {
        tr.t_with("dash-hours-minutes", &[("h", (m / 60).to_string()), ("m", (m % 60).to_string())])
    } else {
        tr.t_with("dash-minutes", &[("m", m.to_string())])
    };
    tr.t_with(if minutes_left < 0 { "dash-late" } else { "dash-left" }, &[("span", span)])
}

/// The command's home: counts, the orders not yet on site with their clocks,
/// unguarded compounds and empty gates; it refreshes itself every minute.
pub async fn dashboard_page(app: &AppState, ctx: &Ctx) -> Result<axum::response::Response, PageError> {
    use axum::response::IntoResponse;
    let d = app.store.dashboard(&ctx.actor).await?;
    let tr = ctx.tr;
    let waiting = d
        .waiting
        .into_iter()
        .map(|w| WaitingLine {
            state: tr.tk("order-state", w.order.state.as_str()),
            deadline: tr.time(&w.order.deadline),
            clock: clock(&tr, w.minutes_left),
            people: tr.t_with("dash-people", &[("n", w.order.people.to_string())]),
            w,
        })
        .collect();
    Ok(DashboardView {
        scope: crate::views::scope_shown(&tr, &ctx.actor.scope_label),
        refreshed: tr.t_with("dash-refreshed", &[("at", tr.time(&d.at))]),
        counts: d.counts,
        waiting,
        unguarded: d.unguarded,
        empty_gates: d.empty_gates,
        can_issue: cordon_domain::orders::may_issue(&ctx.actor),
        l: Layout::new(ctx, "nav-dashboard"),
    }
    .into_response())
}

/// The dashboard's figures and lists, in the caller's scope.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "command", responses((status = 200, description = "the dashboard", body = Dashboard), (status = 403, description = "not a role that sees squads")))]
pub async fn api_dashboard(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Dashboard>, ApiError> {
    Ok(Json(app.store.dashboard(&actor).await?))
}

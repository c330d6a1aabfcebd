//! The audit log, for command users.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use cordon_store::audit::{AuditEntry, AuditFilter};
use cordon_store::{Page, PageRequest};
use serde::Deserialize;

use crate::AppState;
use crate::accounts::{ApiActor, Ctx};
use crate::error::{ApiError, PageError};
use crate::views::{Layout, Pager};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(index))
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_list))
}

/// Filters of the log.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Kind of record: resident, cadre, place, unit, user, token...
    pub entity: Option<String>,
    /// The record's id.
    pub entity_id: Option<String>,
    /// The acting user's name.
    pub actor: Option<String>,
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Rows per page.
    pub per_page: Option<i64>,
}

impl AuditQuery {
    fn filter(&self) -> AuditFilter {
        let keep = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
        AuditFilter { entity: keep(&self.entity), entity_id: keep(&self.entity_id), actor: keep(&self.actor) }
    }
}

/// A log line as the page shows it.
struct Line {
    e: AuditEntry,
    at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit/index.html")]
struct IndexView {
    l: Layout,
    lines: Vec<Line>,
    entity: String,
    entity_id: String,
    actor: String,
    pager: Pager,
}

async fn index(State(app): State<AppState>, ctx: Ctx, Query(q): Query<AuditQuery>) -> Result<IndexView, PageError> {
    let page = app.store.audit_entries(&ctx.actor, &q.filter(), PageRequest::new(q.page, q.per_page)).await?;
    let f = q.filter();
    let params = [
        ("entity", f.entity.clone().unwrap_or_default()),
        ("entity_id", f.entity_id.clone().unwrap_or_default()),
        ("actor", f.actor.clone().unwrap_or_default()),
    ];
    let pager = Pager::new("/audit", &params, &page);
    let lines = page
        .items
        .into_iter()
        .map(|e| Line { at: app.zone.local(e.at).format("%Y-%m-%d %H:%M:%S").to_string(), e })
        .collect();
    Ok(IndexView {
        lines,
        entity: f.entity.unwrap_or_default(),
        entity_id: f.entity_id.unwrap_or_default(),
        actor: f.actor.unwrap_or_default(),
        pager,
        l: Layout::new(&ctx, "nav-audit"),
    })
}

/// The audit log, newest first (command users only).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery), responses((status = 200, description = "a page of log entries", body = Page<AuditEntry>), (status = 403, description = "not a command user")))]
pub async fn api_list(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    Ok(Json(app.store.audit_entries(&actor, &q.filter(), PageRequest::new(q.page, q.per_page)).await?))
}

//! The audit log, for command users: who did what to which record, every
//! key in words and the before/after as the fields that changed.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use cordon_store::audit::{AuditEntry, AuditFilter, ENTITIES};
use cordon_store::{Page, PageRequest};
use serde::Deserialize;

use crate::AppState;
use crate::accounts::{ApiActor, Ctx};
use crate::error::{ApiError, PageError};
use crate::views::{Layout, Pager};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod diff;
mod words;

use diff::{Context, Diff, Kind};

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

/// A log line as the page shows it: every key in words.
struct Line {
    at: String,
    actor: String,
    action: String,
    record: String,
    /// The record's page, when it has one the reader may open.
    link: Option<String>,
    /// The word that leads the change (created, deleted, no change), if its kind has one.
    lead: Option<String>,
    change: Diff,
}

impl Line {
    fn of(l: &Layout, zone: &cordon_domain::clock::Zone, links: bool, e: AuditEntry) -> Line {
        let tr = &l.tr;
        let unit = |name: &str| l.unit(name);
        let cx = Context { tr, entity: &e.entity, unit: &unit };
        let change = diff::diff(&cx, &e.action, e.before_json.as_deref(), e.after_json.as_deref());
        let record = match e.entity_id.as_str() {
            "" => words::entity_label(tr, &e.entity),
            id if id.bytes().all(|b| b.is_ascii_digit()) => format!("{} #{id}", words::entity_label(tr, &e.entity)),
            id => format!("{} {id}", words::entity_label(tr, &e.entity)),
        };
        // "Created" under the action "created" would say it twice.
        let lead = match change.kind {
            Kind::Created if e.action != "create" => Some(tr.t("audit-created")),
            Kind::Deleted if e.action != "delete" => Some(tr.t("audit-deleted")),
            Kind::Created | Kind::Deleted => None,
            Kind::Changed if change.lines.is_empty() => Some(tr.t("audit-unchanged")),
            Kind::Changed | Kind::Noted | Kind::Empty => None,
        };
        Line {
            link: if links { words::record_page(&e.entity, &e.entity_id) } else { None },
            lead,
            at: zone.local(e.at).format("%Y-%m-%d %H:%M:%S").to_string(),
            actor: words::actor_shown(tr, &e),
            action: words::action_label(tr, &e.entity, &e.action),
            record,
            change,
        }
    }
}

/// A kind of record to filter by, in words.
struct EntityChoice {
    key: &'static str,
    label: String,
    selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit/index.html")]
struct IndexView {
    l: Layout,
    lines: Vec<Line>,
    entities: Vec<EntityChoice>,
    /// A kind typed in the address that the list does not know: kept as a choice so the filter still shows it.
    other_entity: Option<String>,
    entity_id: String,
    actor: String,
    pager: Pager,
}

async fn index(State(app): State<AppState>, ctx: Ctx, Query(q): Query<AuditQuery>) -> Result<IndexView, PageError> {
    let f = q.filter();
    let mut lookup = f.clone();
    lookup.actor = f.actor.as_deref().map(words::actor_written);
    let page = app.store.audit_entries(&ctx.actor, &lookup, PageRequest::new(q.page, q.per_page)).await?;
    let params = [
        ("entity", f.entity.clone().unwrap_or_default()),
        ("entity_id", f.entity_id.clone().unwrap_or_default()),
        ("actor", f.actor.clone().unwrap_or_default()),
    ];
    let pager = Pager::new("/audit", &params, &page);
    let l = Layout::new(&ctx, "nav-audit");
    // The log is the whole city's; its records' pages open for a city-wide
    // reader only, so nobody else gets a link that ends in a refusal.
    let links = matches!(ctx.actor.scope, cordon_domain::Scope::City);
    let lines = page.items.into_iter().map(|e| Line::of(&l, &app.zone, links, e)).collect();
    let chosen = f.entity.as_deref().map(str::trim);
    let entities: Vec<EntityChoice> = ENTITIES
        .iter()
        .map(|k| EntityChoice { key: k, label: words::entity_label(&l.tr, k), selected: chosen == Some(*k) })
        .collect();
    Ok(IndexView {
        lines,
        other_entity: chosen.filter(|c| !ENTITIES.contains(c)).map(str::to_string),
        entities,
        entity_id: f.entity_id.unwrap_or_default(),
        actor: f.actor.unwrap_or_default(),
        pager,
        l,
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

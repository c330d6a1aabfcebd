//! The shell: home page, language switch, health check and static assets.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use cordon_domain::Capability;
use serde::Deserialize;

use crate::AppState;
use crate::auth::Ctx;
use crate::i18n::Lang;
use crate::views::Layout;

/// Routes of the shell.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/lang/{code}", get(switch_lang))
        .route("/healthz", get(healthz))
        .route("/static/app.css", get(css))
}

/// A tile on the home page.
pub struct Tile {
    /// Where it goes.
    pub href: String,
    /// Its title.
    pub title: String,
    /// What it is for.
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomeView {
    l: Layout,
    scope: String,
    tiles: Vec<Tile>,
}

async fn home(State(app): State<AppState>, ctx: Ctx) -> Result<HomeView, crate::error::PageError> {
    let tr = ctx.tr;
    let a = &ctx.actor;
    let tile = |href: &str, key: &str| Tile {
        href: href.to_string(),
        title: tr.t(&format!("nav-{key}")),
        text: tr.t(&format!("home-{key}")),
    };
    let mut tiles = Vec::new();
    // A member in the field starts from their own squad: roster, kits, board.
    if let Some(squad) = app.store.my_squad(a).await? {
        tiles.push(tile(&format!("/squads/{squad}"), "my-squad"));
    }
    if a.can(Capability::ViewPlaces) {
        tiles.push(tile("/places", "places"));
    }
    if a.can(Capability::ViewResidents) {
        tiles.push(tile("/residents", "residents"));
    }
    if a.can(Capability::ViewCadres) {
        tiles.push(tile("/units", "units"));
    }
    if a.cadre_id.is_some() {
        tiles.push(tile("/me/shifts", "my-shifts"));
    }
    if a.can(Capability::ViewSquads) {
        tiles.push(tile("/orders", "orders"));
    }
    if a.can(Capability::ManagePlaces) || a.can(Capability::ManageResidents) || a.can(Capability::ManageCadres) {
        tiles.push(tile("/imports", "imports"));
    }
    if a.can(Capability::ViewAudit) {
        tiles.push(tile("/audit", "audit"));
    }
    if cordon_store::webhooks::may_manage_webhooks(a) {
        tiles.push(tile("/webhooks", "webhooks"));
    }
    Ok(HomeView { l: Layout::new(&ctx, "nav-home"), scope: a.scope_label.clone(), tiles })
}

#[derive(Deserialize)]
struct Back {
    back: Option<String>,
}

/// Remembers the language for a year and goes back to where the user was.
async fn switch_lang(Path(code): Path<String>, Query(q): Query<Back>, headers: axum::http::HeaderMap) -> Response {
    let Some(lang) = Lang::parse(&code) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // Only a same-site path from Referer or ?back= is followed.
    let referer_path = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()));
    let back =
        q.back.or(referer_path).filter(|b| b.starts_with('/') && !b.starts_with("//")).unwrap_or_else(|| "/".into());
    let cookie = format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code());
    ([(header::SET_COOKIE, cookie)], Redirect::to(&back)).into_response()
}

async fn healthz(State(app): State<AppState>) -> Response {
    match app.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

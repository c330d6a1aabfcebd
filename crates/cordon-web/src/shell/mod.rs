//! The shell: home page, language switch, health check, static assets, the
//! security headers of every response, and the one rule for where a redirect
//! may go.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use cordon_domain::Capability;
use serde::Deserialize;

use crate::AppState;
use crate::accounts::Ctx;
use crate::i18n::Lang;
use crate::views::Layout;

/// Routes of the shell.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/lang/{code}", get(switch_lang))
        .route("/healthz", get(healthz))
        .route("/static/{file}", get(asset))
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

async fn home(State(app): State<AppState>, ctx: Ctx) -> Result<Response, crate::error::PageError> {
    if crate::command::sees_dashboard(&ctx.actor) {
        return crate::command::dashboard_page(&app, &ctx).await;
    }
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
    if cordon_domain::webhooks::may_manage(a) {
        tiles.push(tile("/webhooks", "webhooks"));
    }
    if cordon_domain::quarantine::site::may_list_sites(a) {
        tiles.push(tile("/quarantine", "quarantine"));
    }
    Ok(HomeView { l: Layout::new(&ctx, "nav-home"), scope: crate::views::scope_shown(&ctx.tr, &a.scope_label), tiles }
        .into_response())
}

/// A path on this site that a redirect may go to, or `None`. Only a path
/// that starts with one `/` and has no backslash, whitespace or control
/// character: browsers read `/\host`, `//host` and `/<tab>/host` (tabs and
/// line breaks are dropped from URLs) as another site, and a line break in a
/// `Location` header would split it. Other characters beyond ASCII are
/// percent-encoded, so the header holds only ASCII whatever a browser makes of it.
pub fn same_site_path(candidate: Option<&str>) -> Option<String> {
    let p = candidate?;
    let bad = |c: char| c == '\\' || c.is_whitespace() || c.is_control() || cordon_domain::values::is_hidden_char(c);
    if !p.starts_with('/') || p.starts_with("//") || p.chars().any(bad) {
        return None;
    }
    let mut out = String::with_capacity(p.len());
    for c in p.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    Some(out)
}

/// The path of a Referer that came from this very host, if it did.
fn referer_path(headers: &HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let rest = referer.strip_prefix("https://").or_else(|| referer.strip_prefix("http://"))?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    (authority.eq_ignore_ascii_case(host)).then(|| if path.is_empty() { "/".to_string() } else { path.to_string() })
}

#[derive(Deserialize)]
struct Back {
    back: Option<String>,
}

/// Remembers the language for a year and goes back to where the user was:
/// a same-site path from `?back=` or from this host's Referer, else home.
async fn switch_lang(Path(code): Path<String>, Query(q): Query<Back>, headers: HeaderMap) -> Response {
    let Some(lang) = Lang::parse(&code) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let back = match q.back {
        Some(b) => same_site_path(Some(&b)),
        None => same_site_path(referer_path(&headers).as_deref()),
    }
    .unwrap_or_else(|| "/".into());
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

/// The files under `/static`, compiled into the binary.
const ASSETS: &[(&str, &str, &str)] = &[
    ("app.css", "text/css; charset=utf-8", include_str!("../../static/app.css")),
    ("board.css", "text/css; charset=utf-8", include_str!("../../static/board.css")),
    ("board-a4.css", "text/css; charset=utf-8", include_str!("../../static/board-a4.css")),
    ("board-a3.css", "text/css; charset=utf-8", include_str!("../../static/board-a3.css")),
    ("board.js", "text/javascript; charset=utf-8", include_str!("../../static/board.js")),
    ("cards.css", "text/css; charset=utf-8", include_str!("../../static/cards.css")),
    ("certificate.css", "text/css; charset=utf-8", include_str!("../../static/certificate.css")),
];

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => {
            ([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "public, max-age=3600")], *body)
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// No script but our own files, no inline script or style, nothing framed.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The security headers of every response. Everything but the static files
/// may carry personal data, so nothing else is kept by browsers or proxies.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_followed() {
        for good in ["/", "/residents?page=2", "/orders/12", "/a/b%2Fc"] {
            assert_eq!(same_site_path(Some(good)).as_deref(), Some(good), "{good}");
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/x\r\nSet-Cookie: a=b",
            "https://evil.example/",
            "evil.example",
            "",
            "/ /x",
            "/\u{202e}x",
        ] {
            assert_eq!(same_site_path(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(same_site_path(None), None);
        assert_eq!(same_site_path(Some("/residents?q=甲")).as_deref(), Some("/residents?q=%E7%94%B2"), "ASCII only");
    }

    #[test]
    fn a_referer_counts_only_from_this_host() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("cordon.example"));
        h.insert(header::REFERER, HeaderValue::from_static("https://cordon.example/orders?x=1"));
        assert_eq!(referer_path(&h).as_deref(), Some("/orders?x=1"));
        h.insert(header::REFERER, HeaderValue::from_static("https://evil.example/orders"));
        assert_eq!(referer_path(&h), None);
        h.insert(header::REFERER, HeaderValue::from_static("https://cordon.example.evil.example/"));
        assert_eq!(referer_path(&h), None);
    }
}

//! Notice boards (公示板): a printable A4 or A3 page per checkpoint, and the
//! compound's public page that the board's QR code opens, limited per
//! address so that its tokens cannot be tried at speed nor the page flooded.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cordon_store::boards::Board;
use fast_qr::convert::Builder;
use fast_qr::convert::svg::SvgBuilder;
use fast_qr::qr::QRBuilder;
use serde::Deserialize;

use crate::AppState;
use crate::accounts::Ctx;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::views::ErrorView;

/// Requests of the public page allowed per address in `PUBLIC_WINDOW`: a
/// family opening it many times is far below, a token scanner far above.
const PUBLIC_LIMIT: i64 = 60;
/// The public page's rate window.
const PUBLIC_WINDOW: chrono::Duration = chrono::Duration::minutes(1);

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/checkpoints/{id}/board", get(board)).route("/c/{token}", get(public))
}

#[derive(Deserialize)]
struct BoardQuery {
    size: Option<String>,
}

/// The board as printed: texts translated, the QR code as inline SVG.
#[derive(Template, WebTemplate)]
#[template(path = "boards/board.html")]
struct BoardView {
    tr: Tr,
    b: Board,
    roles: Vec<Vec<String>>,
    qr_svg: String,
    url: String,
    a3: bool,
    density: &'static str,
    /// When it was printed, in the deployment's zone: a board on a gate is
    /// read for days, and the squad on it may have changed since.
    printed: String,
    /// The warning when no resident's phone can reach the QR code's host (this
    /// machine or a private network): said on screen, before anyone prints.
    unreachable: Option<String>,
}

/// How tightly the board is set so that it prints on one sheet: by its
/// lines (each member, and a heading, a branch line and a table head per
/// squad). The board print test (crates/cordon/tests/board_pdf.rs) prints a
/// 23-line board compact and a 32-line one dense, each on one A4 or A3 page;
/// a longer board runs onto a second page.
fn density(b: &Board) -> &'static str {
    match b.squads.iter().map(|s| s.members.len() + 3).sum::<usize>() {
        0..=14 => "",
        15..=24 => "compact",
        _ => "dense",
    }
}

/// The address a QR code encodes for a path of this site: under the
/// configured public address, else this server as the browser reached it
/// (behind a proxy, configure it).
pub(crate) fn public_link(app: &AppState, headers: &HeaderMap, path: &str) -> String {
    if let Some(base) = &app.public_url {
        return format!("{base}{path}");
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = if app.secure_cookies { "https" } else { "http" };
    format!("{scheme}://{host}{path}")
}

/// The QR code of a URL as SVG markup made by fast_qr from our own URL (no user text inside).
pub(crate) fn qr_svg(url: &str) -> String {
    match QRBuilder::new(url).build() {
        Ok(qr) => SvgBuilder::default().margin(2).to_str(&qr),
        Err(e) => {
            tracing::error!(error = ?e, "QR code failed");
            String::new()
        }
    }
}

fn roles(tr: &Tr, b: &Board) -> Vec<Vec<String>> {
    b.squads.iter().map(|s| s.members.iter().map(|m| tr.tk("squad-role", &m.role)).collect()).collect()
}

async fn board(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<BoardQuery>,
    headers: HeaderMap,
) -> Result<BoardView, PageError> {
    let b = app.store.board(&ctx.actor, id).await?;
    let url = public_link(&app, &headers, &format!("/c/{}", b.token));
    let at = app.zone.local(app.store.now()).format("%Y-%m-%d %H:%M").to_string();
    let printed = ctx.tr.t_with("board-printed", &[("at", at)]);
    let unreachable =
        cordon_domain::webhooks::private_host(&url).map(|host| ctx.tr.t_with("board-unreachable", &[("host", host)]));
    Ok(BoardView {
        tr: ctx.tr,
        roles: roles(&ctx.tr, &b),
        qr_svg: qr_svg(&url),
        printed,
        unreachable,
        url,
        a3: q.size.as_deref() == Some("a3"),
        density: density(&b),
        b,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "boards/public.html")]
struct PublicView {
    tr: Tr,
    b: Board,
    roles: Vec<Vec<String>>,
}

/// The 429 page when an address has asked a page opened by a token (a
/// board's, a quarantined person's) more than `PUBLIC_LIMIT` times in
/// `PUBLIC_WINDOW`; counted before the token is looked up, so a wrong token counts too.
pub(crate) async fn over_public_limit(
    app: &AppState,
    bucket: &str,
    peer: SocketAddr,
    tr: Tr,
) -> Result<Option<Response>, PageError> {
    let who = crate::accounts::client_address(peer);
    if app.store.hit_rate(bucket, &who, PUBLIC_LIMIT, PUBLIC_WINDOW).await? {
        return Ok(None);
    }
    let page = ErrorView { tr, status: 429, message: tr.t("public-too-many"), detail: None };
    let wait = PUBLIC_WINDOW.num_seconds().to_string();
    Ok(Some((StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, wait)], page).into_response()))
}

/// Anyone with the QR code may read the compound's contacts: no login, but
/// at most `PUBLIC_LIMIT` requests a minute from one address, counted before
/// the token is looked up (a wrong token counts too).
async fn public(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let tr = crate::accounts::tr_of(&app, &headers);
    if let Some(refused) = over_public_limit(&app, "public-board", peer, tr).await? {
        return Ok(refused);
    }
    let b = app.store.public_board(&token).await?;
    Ok(PublicView { tr, roles: roles(&tr, &b), b }.into_response())
}

//! Cordon's HTTP face: server-rendered pages for people and a JSON API under
//! `/api/v1` for programs, both over the same store calls and the same
//! authorisation. One folder per capability, with the word the domain and
//! the store use.

mod accounts;
mod api;
mod audit;
mod boards;
mod command;
mod control;
mod duty;
mod error;
pub mod i18n;
pub mod imports;
mod kits;
mod orders;
mod places;
mod quarantine;
mod residents;
mod shell;
mod squads;
mod units;
mod views;
pub mod webhooks;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use cordon_domain::clock::Zone;
use cordon_store::Store;
use tokio::net::TcpListener;

pub use api::openapi_json;

/// Makes ring the process's TLS provider, once; every HTTP client of the
/// process (the webhook worker's, and tests') is built after it. Later calls
/// do nothing.
pub fn tls_ready() {
    // An error means a provider is installed already, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
pub use webhooks::worker::{WorkerConfig, run_worker};

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database (and the clock every handler reads "now" from: `store.now()`).
    pub store: Store,
    /// The deployment's time zone.
    pub zone: Zone,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// The address people reach Cordon at (`https://cordon.example.gov.cn`),
    /// for links that leave the browser: QR codes on printed boards. `None`:
    /// the address the request came in on.
    pub public_url: Option<String>,
    /// Accept webhook receivers on this machine or a private network
    /// (`serve --webhook-allow-private`); the worker has the same setting.
    pub webhook_allow_private: bool,
    /// How long an upload's page waits for its import before it shows the
    /// job's progress instead (`IMPORT_WAIT`); the import goes on either way.
    pub import_wait: std::time::Duration,
}

/// An upload's page shows the result of an import done within this, and
/// otherwise the job, with its progress.
pub const IMPORT_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// An address that is no route: the API's JSON error, or the page.
async fn fallback(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        api::no_route().await.into_response()
    } else {
        error::PageError::Status(axum::http::StatusCode::NOT_FOUND, "error-not-found").into_response()
    }
}

/// Every route, pages and API, with sessions, CSRF checks on pages, error
/// pages and security headers.
pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .merge(shell::router())
        .merge(accounts::router())
        .merge(places::router())
        .merge(control::router())
        .merge(units::router())
        .merge(residents::router())
        .merge(audit::router())
        .merge(imports::router())
        .merge(orders::router())
        .merge(squads::router())
        .merge(kits::router())
        .merge(command::router())
        .merge(boards::router())
        .merge(duty::router())
        .merge(webhooks::router())
        .merge(quarantine::router())
        .layer(axum::middleware::from_fn(accounts::csrf::require_csrf));
    Router::new()
        .merge(pages)
        .merge(api::router())
        .fallback(fallback)
        .layer(axum::middleware::from_fn_with_state(state.clone(), error::render_error_pages))
        .layer(accounts::session_layer(&state))
        .layer(axum::middleware::from_fn_with_state(state.clone(), error::session_save_failures))
        .layer(axum::middleware::from_fn(shell::security_headers))
        .with_state(state)
}

/// Serves until `shutdown` resolves; takes a bound listener so tests can use port 0.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

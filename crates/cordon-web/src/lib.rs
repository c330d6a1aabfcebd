//! Cordon's HTTP face: server-rendered pages for people and a JSON API under
//! `/api/v1` for programs, both over the same store calls and the same
//! authorisation.

mod api;
mod audit;
mod auth;
mod boards;
mod duty;
mod error;
pub mod i18n;
mod imports;
mod mobilisation;
mod places;
mod residents;
mod shell;
mod units;
mod views;
pub mod webhooks;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
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
    /// The database.
    pub store: Store,
    /// The deployment's time zone.
    pub zone: Zone,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// The address people reach Cordon at (`https://cordon.example.gov.cn`),
    /// for links that leave the browser: QR codes on printed boards. `None`:
    /// the address the request came in on.
    pub public_url: Option<String>,
}

/// Every route, pages and API, with sessions and error pages.
pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .merge(shell::router())
        .merge(auth::router())
        .merge(places::router())
        .merge(units::router())
        .merge(residents::router())
        .merge(audit::router())
        .merge(imports::router())
        .merge(mobilisation::router())
        .merge(boards::router())
        .merge(duty::router())
        .merge(webhooks::router());
    let api = Router::new()
        .merge(api::router())
        .merge(places::api_router())
        .merge(units::api_router())
        .merge(residents::api_router())
        .merge(audit::api_router())
        .merge(imports::api_router())
        .merge(mobilisation::api_router())
        .merge(duty::api_router())
        .merge(webhooks::api_router());
    Router::new()
        .merge(pages)
        .nest("/api/v1", api)
        .layer(axum::middleware::from_fn(error::render_error_pages))
        .layer(auth::session_layer(&state))
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

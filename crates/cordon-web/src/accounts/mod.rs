//! Who is asking: sessions for people, bearer tokens for programs, the CSRF
//! token every state-changing page request carries (`csrf`), and signing in
//! and out (`login`).

pub mod csrf;
mod login;
mod session_store;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cordon_domain::Actor;
use cordon_store::accounts::random_secret;
use tower_sessions::{Expiry, Session, SessionManagerLayer, cookie::SameSite};

use crate::AppState;
use crate::error::{ApiError, PageError};
use crate::i18n::{Lang, Tr};
use session_store::DbSessionStore;

pub use login::router;

const USER_KEY: &str = "user_id";
pub(crate) const CSRF_KEY: &str = "csrf";
/// Set in a session opened with a one-time password until the user has chosen their own.
const MUST_CHANGE_KEY: &str = "must_change_password";
/// The pages a session that must change its password may still open.
const WHILE_MUST_CHANGE: &[&str] = &["/account", "/logout"];

/// The session layer, storing sessions in the database.
pub fn session_layer(state: &AppState) -> SessionManagerLayer<DbSessionStore> {
    SessionManagerLayer::new(DbSessionStore { store: state.store.clone() })
        .with_name("cordon_session")
        .with_secure(state.secure_cookies)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(12)))
}

/// The language a request asks for: the remembered cookie, else Chinese.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().strip_prefix("lang="))
        .find_map(Lang::parse)
        .unwrap_or_default()
}

/// The translator of a request: its language, the deployment's zone.
pub fn tr_of(app: &AppState, headers: &HeaderMap) -> Tr {
    Tr::new(lang_of(headers), app.zone)
}

async fn csrf_token(session: &Session) -> Result<String, PageError> {
    match session.get::<String>(CSRF_KEY).await.map_err(session_failed)? {
        Some(t) => Ok(t),
        None => {
            let t = random_secret(24);
            session.insert(CSRF_KEY, &t).await.map_err(session_failed)?;
            Ok(t)
        }
    }
}

/// The session store could not be read or written: the database is away (503).
fn session_failed(e: tower_sessions::session::Error) -> PageError {
    tracing::error!(error = %e, "session store failed");
    PageError::Status(StatusCode::SERVICE_UNAVAILABLE, "error-unavailable")
}

/// Who a request comes from, for counting failures and hits: the peer's
/// IPv4 address, or the /64 network of an IPv6 one (a single subscriber
/// usually holds a whole /64, and could otherwise change address at will).
pub(crate) fn client_address(peer: std::net::SocketAddr) -> String {
    match peer.ip() {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

pub(crate) fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A signed-in person on a page: their actor, language and CSRF token.
pub struct Ctx {
    /// Who.
    pub actor: Actor,
    /// In which language.
    pub tr: Tr,
    /// The token forms must carry.
    pub csrf: String,
    /// The path and query of the request, so the language switch can come back to it.
    pub path: String,
    /// Signed in with a one-time password: only the password change is open.
    pub must_change: bool,
    /// Units' English names by their Chinese ones, on English pages (empty otherwise).
    pub unit_names: std::sync::Arc<std::collections::HashMap<String, String>>,
}

impl Ctx {
    /// A unit by the name of the page's language (see `Layout::unit`).
    pub fn unit(&self, name: &str) -> String {
        crate::views::unit_name(&self.unit_names, name)
    }
}

/// Anyone on a page, signed in or not.
pub struct Visitor {
    /// In which language.
    pub tr: Tr,
    /// The token forms must carry.
    pub csrf: String,
    /// The session.
    pub session: Session,
}

impl<S> FromRequestParts<S> for Visitor
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        let session = Session::from_request_parts(parts, state).await.map_err(|e| e.into_response())?;
        let csrf = csrf_token(&session).await.map_err(IntoResponse::into_response)?;
        Ok(Visitor { tr: tr_of(&app, &parts.headers), csrf, session })
    }
}

impl<S> FromRequestParts<S> for Ctx
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        let visitor = Visitor::from_request_parts(parts, state).await?;
        let user = visitor.session.get::<i64>(USER_KEY).await.map_err(|e| session_failed(e).into_response())?;
        let actor = match user {
            Some(id) => app.store.actor_by_user_id(id).await.map_err(|e| PageError::from(e).into_response())?,
            None => None,
        };
        match actor {
            Some(actor) => {
                let must_change = visitor
                    .session
                    .get::<bool>(MUST_CHANGE_KEY)
                    .await
                    .map_err(|e| session_failed(e).into_response())?
                    .unwrap_or(false);
                if must_change && !WHILE_MUST_CHANGE.contains(&parts.uri.path()) {
                    return Err(Redirect::to("/account").into_response());
                }
                // After a form post the page to come back to is the referring one, not the post's URL.
                let path = if parts.method == Method::GET {
                    parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into())
                } else {
                    parts
                        .uri
                        .path()
                        .rsplit_once('/')
                        .map(|(head, _)| head.to_string())
                        .filter(|h| !h.is_empty())
                        .unwrap_or_else(|| "/".into())
                };
                let unit_names = match visitor.tr.lang {
                    crate::i18n::Lang::Zh => Default::default(),
                    _ => app.store.unit_names_en().await.map_err(|e| PageError::from(e).into_response())?,
                };
                Ok(Ctx { actor, tr: visitor.tr, csrf: visitor.csrf, path, must_change, unit_names: unit_names.into() })
            }
            None => {
                let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let q = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
                Err(Redirect::to(&format!("/login?{q}")).into_response())
            }
        }
    }
}

/// The caller of an API route: a bearer token, or a session (with the CSRF
/// token in `X-CSRF-Token` for anything but reads).
pub struct ApiActor(pub Actor);

impl<S> FromRequestParts<S> for ApiActor
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        let unauthorised =
            || ApiError::Status(StatusCode::UNAUTHORIZED, "unauthorised", "sign in or send a bearer token".into());
        let unavailable = |e: tower_sessions::session::Error| {
            tracing::error!(error = %e, "session store failed");
            ApiError::Status(StatusCode::SERVICE_UNAVAILABLE, "unavailable", crate::error::english("error-unavailable"))
        };
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).ok_or_else(unauthorised)?;
            return match app.store.actor_by_token(token.trim()).await? {
                Some(actor) => Ok(ApiActor(actor)),
                None => Err(unauthorised()),
            };
        }
        let session = Session::from_request_parts(parts, state).await.map_err(|_| unauthorised())?;
        let user = session.get::<i64>(USER_KEY).await.map_err(unavailable)?.ok_or_else(unauthorised)?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
            let expected = session.get::<String>(CSRF_KEY).await.map_err(unavailable)?.unwrap_or_default();
            if expected.is_empty() || !constant_eq(expected.as_bytes(), sent.as_bytes()) {
                return Err(ApiError::Status(StatusCode::FORBIDDEN, "csrf", "missing or wrong X-CSRF-Token".into()));
            }
        }
        // A session opened with a one-time password is for choosing a password, on the page.
        if session.get::<bool>(MUST_CHANGE_KEY).await.map_err(unavailable)?.unwrap_or(false) {
            return Err(ApiError::Status(
                StatusCode::FORBIDDEN,
                "password-change-required",
                crate::error::english("account-must-change"),
            ));
        }
        match app.store.actor_by_user_id(user).await? {
            Some(actor) => Ok(ApiActor(actor)),
            None => Err(unauthorised()),
        }
    }
}

//! Who is asking: sessions for people, bearer tokens for programs, CSRF on
//! every form, and a login that slows down guessing.

mod session_store;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::Utc;
use cordon_domain::Actor;
use cordon_store::accounts::random_secret;
use serde::Deserialize;
use std::net::SocketAddr;
use tower_sessions::{Expiry, Session, SessionManagerLayer, cookie::SameSite};

use crate::AppState;
use crate::error::{ApiError, PageError};
use crate::i18n::{Lang, Tr};
use crate::views::{AccountView, Layout, LoginView};
use session_store::DbSessionStore;

const USER_KEY: &str = "user_id";
const CSRF_KEY: &str = "csrf";
/// Failed logins allowed per account in the window before it is locked.
const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failed logins allowed per address in the window (several people may share one).
const MAX_FAILURES_PER_ADDRESS: i64 = 20;
/// The window, in minutes.
const FAILURE_WINDOW_MINUTES: i64 = 15;

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

fn session_failed(e: tower_sessions::session::Error) -> PageError {
    tracing::error!(error = %e, "session store failed");
    PageError::Status(StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
}

/// Checks a submitted CSRF token against the session's, in constant time.
pub async fn check_csrf(session: &Session, submitted: &str) -> Result<(), PageError> {
    let expected = session.get::<String>(CSRF_KEY).await.map_err(session_failed)?;
    match expected {
        Some(e) if constant_eq(e.as_bytes(), submitted.as_bytes()) => Ok(()),
        _ => Err(PageError::Status(StatusCode::FORBIDDEN, "error-csrf")),
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
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
    /// The session, for checking forms.
    pub session: Session,
    /// The path and query of the request, so the language switch can come back to it.
    pub path: String,
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
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await.map_err(|e| e.into_response())?;
        let csrf = csrf_token(&session).await.map_err(IntoResponse::into_response)?;
        Ok(Visitor { tr: Tr { lang: lang_of(&parts.headers) }, csrf, session })
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
                Ok(Ctx { actor, tr: visitor.tr, csrf: visitor.csrf, session: visitor.session, path })
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
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).ok_or_else(unauthorised)?;
            return match app.store.actor_by_token(token.trim()).await? {
                Some(actor) => Ok(ApiActor(actor)),
                None => Err(unauthorised()),
            };
        }
        let session = Session::from_request_parts(parts, state).await.map_err(|_| unauthorised())?;
        let user = session.get::<i64>(USER_KEY).await.ok().flatten().ok_or_else(unauthorised)?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
            let expected = session.get::<String>(CSRF_KEY).await.ok().flatten().unwrap_or_default();
            if expected.is_empty() || !constant_eq(expected.as_bytes(), sent.as_bytes()) {
                return Err(ApiError::Status(StatusCode::FORBIDDEN, "csrf", "missing or wrong X-CSRF-Token".into()));
            }
        }
        match app.store.actor_by_user_id(user).await? {
            Some(actor) => Ok(ApiActor(actor)),
            None => Err(unauthorised()),
        }
    }
}

/// Routes of signing in and out.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", axum::routing::post(logout))
        .route("/account", get(account).post(change_password))
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only same-site paths are followed after login, so a link cannot send a user elsewhere.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

async fn login_page(v: Visitor, Query(q): Query<NextQuery>) -> LoginView {
    LoginView { tr: v.tr, csrf: v.csrf, next: safe_next(q.next.as_deref()), username: String::new(), error: None }
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    username: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    v: Visitor,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    check_csrf(&v.session, &form.csrf).await?;
    let address = peer.ip().to_string();
    let since = Utc::now() - chrono::Duration::minutes(FAILURE_WINDOW_MINUTES);
    let (by_account, by_address) = app.store.login_failures_since(&form.username, &address, since).await?;
    let view = |error: &'static str| LoginView {
        tr: v.tr,
        csrf: v.csrf.clone(),
        next: safe_next(form.next.as_deref()),
        username: form.username.clone(),
        error: Some(v.tr.t(error)),
    };
    if by_account >= MAX_FAILURES_PER_ACCOUNT || by_address >= MAX_FAILURES_PER_ADDRESS {
        return Ok((StatusCode::TOO_MANY_REQUESTS, view("login-too-many")).into_response());
    }
    match app.store.authenticate(&form.username, &form.password).await? {
        Some(actor) => {
            app.store.clear_login_failures(&form.username).await?;
            // A new id at login, so a session id planted before cannot be ridden.
            v.session.cycle_id().await.map_err(session_failed)?;
            v.session.insert(USER_KEY, actor.user_id).await.map_err(session_failed)?;
            v.session.insert(CSRF_KEY, random_secret(24)).await.map_err(session_failed)?;
            Ok(Redirect::to(&safe_next(form.next.as_deref())).into_response())
        }
        None => {
            app.store.record_login_failure(&form.username, &address).await?;
            Ok((StatusCode::UNAUTHORIZED, view("login-failed")).into_response())
        }
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

async fn logout(v: Visitor, Form(form): Form<CsrfOnly>) -> Result<Response, PageError> {
    check_csrf(&v.session, &form.csrf).await?;
    v.session.flush().await.map_err(session_failed)?;
    Ok(Redirect::to("/login").into_response())
}

async fn account(ctx: Ctx) -> AccountView {
    AccountView::new(&ctx, None, None)
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    confirm: String,
}

async fn change_password(
    State(app): State<AppState>,
    ctx: Ctx,
    Form(f): Form<PasswordForm>,
) -> Result<Response, PageError> {
    check_csrf(&ctx.session, &f.csrf).await?;
    let fail = |key: &str| {
        (StatusCode::UNPROCESSABLE_ENTITY, AccountView::new(&ctx, None, Some(ctx.tr.t(key)))).into_response()
    };
    if f.new != f.confirm {
        return Ok(fail("account-mismatch"));
    }
    if f.new.chars().count() < 10 {
        return Ok(fail("account-too-short"));
    }
    // Guessing the current password counts against the account like failed sign-ins.
    let since = Utc::now() - chrono::Duration::minutes(FAILURE_WINDOW_MINUTES);
    let (by_account, _) = app.store.login_failures_since(&ctx.actor.username, "", since).await?;
    if by_account >= MAX_FAILURES_PER_ACCOUNT {
        return Ok((StatusCode::TOO_MANY_REQUESTS, AccountView::new(&ctx, None, Some(ctx.tr.t("login-too-many"))))
            .into_response());
    }
    match app.store.change_password(&ctx.actor, &f.current, &f.new).await {
        Ok(()) => Ok(AccountView::new(&ctx, Some(ctx.tr.t("account-changed")), None).into_response()),
        Err(cordon_store::StoreError::Invalid(_)) => {
            app.store.record_login_failure(&ctx.actor.username, "account-page").await?;
            Ok(fail("account-wrong-current"))
        }
        Err(e) => Err(e.into()),
    }
}

impl AccountView {
    fn new(ctx: &Ctx, done: Option<String>, error: Option<String>) -> AccountView {
        AccountView { scope: ctx.actor.scope_label.clone(), done, error, l: Layout::new(ctx, "account-title") }
    }
}

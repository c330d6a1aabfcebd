//! Signing in and out, and a user's own account page (password change). The
//! login slows down guessing: failures are counted in the database.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use cordon_store::accounts::random_secret;
use serde::Deserialize;

use super::{CSRF_KEY, Ctx, USER_KEY, Visitor, session_failed};
use crate::AppState;
use crate::error::PageError;
use crate::views::{AccountView, Layout, LoginView};

/// Failed logins allowed per account in the window before it is locked.
const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failed logins allowed per address in the window (several people may share one).
const MAX_FAILURES_PER_ADDRESS: i64 = 20;
/// The window, in minutes.
const FAILURE_WINDOW_MINUTES: i64 = 15;

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
    crate::shell::same_site_path(next).unwrap_or_else(|| "/".to_string())
}

async fn login_page(v: Visitor, Query(q): Query<NextQuery>) -> LoginView {
    LoginView { tr: v.tr, csrf: v.csrf, next: safe_next(q.next.as_deref()), username: String::new(), error: None }
}

#[derive(Deserialize)]
struct LoginForm {
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
    let address = peer.ip().to_string();
    let since = app.store.now() - chrono::Duration::minutes(FAILURE_WINDOW_MINUTES);
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

async fn logout(v: Visitor) -> Result<Response, PageError> {
    v.session.flush().await.map_err(session_failed)?;
    Ok(Redirect::to("/login").into_response())
}

async fn account(ctx: Ctx) -> AccountView {
    AccountView::new(&ctx, None, None)
}

#[derive(Deserialize)]
struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

async fn change_password(
    State(app): State<AppState>,
    ctx: Ctx,
    Form(f): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let fail = |message: String| {
        (StatusCode::UNPROCESSABLE_ENTITY, AccountView::new(&ctx, None, Some(message))).into_response()
    };
    if f.new != f.confirm {
        return Ok(fail(ctx.tr.t("account-mismatch")));
    }
    // Guessing the current password counts against the account like failed sign-ins.
    let since = app.store.now() - chrono::Duration::minutes(FAILURE_WINDOW_MINUTES);
    let (by_account, _) = app.store.login_failures_since(&ctx.actor.username, "", since).await?;
    if by_account >= MAX_FAILURES_PER_ACCOUNT {
        return Ok((StatusCode::TOO_MANY_REQUESTS, AccountView::new(&ctx, None, Some(ctx.tr.t("login-too-many"))))
            .into_response());
    }
    match app.store.change_password(&ctx.actor, &f.current, &f.new).await {
        Ok(()) => Ok(AccountView::new(&ctx, Some(ctx.tr.t("account-changed")), None).into_response()),
        Err(cordon_store::StoreError::Invalid(r)) => {
            if r.key == cordon_domain::Key::AccountWrongCurrent {
                app.store.record_login_failure(&ctx.actor.username, "account-page").await?;
            }
            Ok(fail(ctx.tr.refusal(&r)))
        }
        Err(e) => Err(e.into()),
    }
}

impl AccountView {
    fn new(ctx: &Ctx, done: Option<String>, error: Option<String>) -> AccountView {
        AccountView { scope: ctx.actor.scope_label.clone(), done, error, l: Layout::new(ctx, "account-title") }
    }
}

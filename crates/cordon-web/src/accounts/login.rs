//! Signing in and out, and a user's own account page (password change).
//!
//! Guessing is held back without letting a stranger lock anyone out. Every
//! attempt is reserved in the database before its password is checked (so
//! parallel guesses count too); an account may fail 5 times in 15 minutes
//! from one address before that address is refused for it, and an address
//! 20 times for any accounts. The account as a whole is only slowed: the
//! answer waits longer the more it failed lately from anywhere (at most 3
//! seconds), so its owner still signs in from an address without failures.
//! The password change's check of the current password follows the same rules.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use cordon_store::accounts::{LoginAttempt, SignedIn, random_secret};
use serde::Deserialize;
use tower_sessions::Session;

use super::{CSRF_KEY, Ctx, MUST_CHANGE_KEY, USER_KEY, Visitor, client_address, session_failed};
use crate::AppState;
use crate::error::PageError;
use crate::views::{AccountView, Layout, LoginView};

/// Failed guesses of one account from one address allowed in the window.
const MAX_FAILURES_PER_PAIR: i64 = 5;
/// Failed guesses from one address allowed in the window, for any accounts
/// (several people may sign in from behind one address).
const MAX_FAILURES_PER_ADDRESS: i64 = 20;
/// The window, in minutes.
const FAILURE_WINDOW_MINUTES: i64 = 15;
/// Recent failures of an account that cost nothing: a user mistyping.
const FREE_FAILURES: i64 = 2;
/// The delay after the first failures past those, doubling with each one more.
const FIRST_DELAY: Duration = Duration::from_millis(250);
/// The longest delay: long enough to slow a guesser with many addresses,
/// short enough for the owner to wait through.
const MAX_DELAY: Duration = Duration::from_secs(3);

/// How long a guess of an account waits after `failures` recent failures of
/// the account from anywhere.
fn back_off(failures: i64) -> Duration {
    if failures <= FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = u32::try_from(failures - FREE_FAILURES - 1).unwrap_or(u32::MAX).min(16);
    FIRST_DELAY.saturating_mul(1 << doublings).min(MAX_DELAY)
}

/// Reserves a guess of `account`'s password from `peer`: `None` when the pair
/// or the address is over its limit (then it is no guess and is withdrawn),
/// else the attempt, after the account's back-off.
async fn guess(app: &AppState, account: &str, peer: SocketAddr) -> Result<Option<LoginAttempt>, PageError> {
    let since = app.store.now() - chrono::Duration::minutes(FAILURE_WINDOW_MINUTES);
    let attempt = app.store.login_attempt(account, &client_address(peer), since).await?;
    if attempt.pair > MAX_FAILURES_PER_PAIR || attempt.by_address > MAX_FAILURES_PER_ADDRESS {
        app.store.login_attempt_withdraw(&attempt).await?;
        return Ok(None);
    }
    // Waited before the password is checked, whatever it is, so an early answer tells nothing.
    tokio::time::sleep(back_off(attempt.by_account - 1)).await;
    Ok(Some(attempt))
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
    let view = |error: &'static str| LoginView {
        tr: v.tr,
        csrf: v.csrf.clone(),
        next: safe_next(form.next.as_deref()),
        username: form.username.clone(),
        error: Some(v.tr.t(error)),
    };
    let Some(attempt) = guess(&app, &form.username, peer).await? else {
        return Ok((StatusCode::TOO_MANY_REQUESTS, view("login-too-many")).into_response());
    };
    let signed_in = match app.store.authenticate(&form.username, &form.password).await {
        Ok(s) => s,
        Err(e) => {
            // The password was not checked: no guess. The database is likely away, so this may fail too.
            let _ = app.store.login_attempt_withdraw(&attempt).await;
            return Err(e.into());
        }
    };
    match signed_in {
        Some(SignedIn { actor, one_time }) => {
            app.store.login_succeeded(&attempt).await?;
            // A new id at login, so a session id planted before cannot be ridden.
            v.session.cycle_id().await.map_err(session_failed)?;
            v.session.insert(USER_KEY, actor.user_id).await.map_err(session_failed)?;
            v.session.insert(CSRF_KEY, random_secret(24)).await.map_err(session_failed)?;
            if one_time {
                v.session.insert(MUST_CHANGE_KEY, true).await.map_err(session_failed)?;
                return Ok(Redirect::to("/account").into_response());
            }
            Ok(Redirect::to(&safe_next(form.next.as_deref())).into_response())
        }
        // The attempt stays on record: it is a failure.
        None => Ok((StatusCode::UNAUTHORIZED, view("login-failed")).into_response()),
    }
}

async fn logout(v: Visitor) -> Result<Response, PageError> {
    v.session.flush().await.map_err(session_failed)?;
    Ok(Redirect::to("/login").into_response())
}

async fn account(ctx: Ctx) -> AccountView {
    AccountView::new(&ctx, ctx.must_change, None, None)
}

#[derive(Deserialize)]
struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

/// Changes the user's password: every other session of the user ends, this
/// one stays (under a new id) and, if it was opened with a one-time
/// password, is a normal session from now on.
async fn change_password(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    ctx: Ctx,
    Form(f): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let fail = |status: StatusCode, message: String| {
        (status, AccountView::new(&ctx, ctx.must_change, None, Some(message))).into_response()
    };
    if f.new != f.confirm {
        return Ok(fail(StatusCode::UNPROCESSABLE_ENTITY, ctx.tr.t("account-mismatch")));
    }
    // Guessing the current password counts like a failed sign-in.
    let Some(attempt) = guess(&app, &ctx.actor.username, peer).await? else {
        return Ok(fail(StatusCode::TOO_MANY_REQUESTS, ctx.tr.t("login-too-many")));
    };
    let keep = session.id().map(|id| id.to_string());
    match app.store.change_password(&ctx.actor, &f.current, &f.new, keep.as_deref()).await {
        Ok(()) => {
            app.store.login_succeeded(&attempt).await?;
            session.remove::<bool>(MUST_CHANGE_KEY).await.map_err(session_failed)?;
            session.cycle_id().await.map_err(session_failed)?;
            Ok(AccountView::new(&ctx, false, Some(ctx.tr.t("account-changed")), None).into_response())
        }
        // A wrong current password stays on record as a failure.
        Err(cordon_store::StoreError::Invalid(r)) if r.key == cordon_domain::Key::AccountWrongCurrent => {
            Ok(fail(StatusCode::UNPROCESSABLE_ENTITY, ctx.tr.refusal(&r)))
        }
        Err(e) => {
            // Refused before the current password was checked (a new one too short): no guess.
            app.store.login_attempt_withdraw(&attempt).await?;
            match e {
                cordon_store::StoreError::Invalid(r) => Ok(fail(StatusCode::UNPROCESSABLE_ENTITY, ctx.tr.refusal(&r))),
                e => Err(e.into()),
            }
        }
    }
}

impl AccountView {
    fn new(ctx: &Ctx, must_change: bool, done: Option<String>, error: Option<String>) -> AccountView {
        AccountView {
            scope: crate::views::scope_shown(&ctx.tr, &ctx.actor.scope_label),
            must_change: must_change.then(|| ctx.tr.t("account-must-change")),
            done,
            error,
            l: Layout::new(ctx, "account-title"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_back_off_grows_with_the_accounts_failures_and_stops_at_three_seconds() {
        assert_eq!(back_off(0), Duration::ZERO);
        assert_eq!(back_off(2), Duration::ZERO, "a user mistyping twice waits for nothing");
        assert_eq!(back_off(3), Duration::from_millis(250));
        assert_eq!(back_off(4), Duration::from_millis(500));
        assert_eq!(back_off(5), Duration::from_secs(1));
        assert_eq!(back_off(7), MAX_DELAY);
        assert_eq!(back_off(1_000_000), MAX_DELAY);
    }
}

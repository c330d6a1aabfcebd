//! CSRF protection of every state-changing page request, in one middleware:
//! a request that is not a read must carry the session's CSRF token, or it is
//! refused (403) before any handler runs. The token comes in the
//! `X-CSRF-Token` header, as `?csrf=` in the query (uploads: their multipart
//! body is left for the handler to stream), or as the `csrf` field of a
//! urlencoded form, whose body is read here (up to `FORM_LIMIT`) and handed
//! on unchanged.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use super::{CSRF_KEY, constant_eq, session_failed};
use crate::error::PageError;

/// The largest urlencoded form a page takes (the longest is a roster of a few hundred ticks).
const FORM_LIMIT: usize = 1024 * 1024;

/// The refusal: 403 with "this page has expired" in the user's language;
/// but a person's own page (`/stay/{token}/…`, no account, in their language
/// only that page knows) is sent back to itself, which says so in their
/// language and carries a fresh token. Nothing was done either way.
fn refused(req: &Request) -> Response {
    match own_page_of(req.uri().path()) {
        Some(token) => {
            // The language the page was shown in rides in the form's action (`?lang=`), since
            // a form refused here is not read; one Cordon does not speak is left out.
            let lang = sent_in_query(req, "lang").and_then(|l| crate::i18n::Lang::parse(&l));
            let lang = lang.map(|l| format!("lang={}&", l.code())).unwrap_or_default();
            axum::response::Redirect::to(&format!("/stay/{token}?{lang}saved=expired")).into_response()
        }
        None => PageError::Status(StatusCode::FORBIDDEN, "error-csrf").into_response(),
    }
}

/// The token of a form on a person's own page, if the path is one; only
/// letters, digits, '-' and '_', so the redirect cannot lead elsewhere.
fn own_page_of(path: &str) -> Option<&str> {
    let (token, form) = path.strip_prefix("/stay/")?.split_once('/')?;
    let plain = !token.is_empty() && token.len() <= 64;
    let plain = plain && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (plain && matches!(form, "health" | "requests")).then_some(token)
}

/// The token sent in the header or the query, if any.
fn sent_outside_body(req: &Request) -> Option<String> {
    if let Some(v) = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return Some(v.to_string());
    }
    sent_in_query(req, "csrf")
}

/// A parameter of the request's query.
fn sent_in_query(req: &Request, key: &str) -> Option<String> {
    let query = req.uri().query()?;
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).ok()?.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Refuses a state-changing page request without the session's CSRF token.
pub async fn require_csrf(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let Some(session) = req.extensions().get::<Session>().cloned() else {
        return refused(&req);
    };
    let expected = match session.get::<String>(CSRF_KEY).await {
        Ok(Some(t)) if !t.is_empty() => t,
        Ok(_) => return refused(&req),
        Err(e) => return session_failed(e).into_response(),
    };
    let ok = |sent: &str| constant_eq(expected.as_bytes(), sent.as_bytes());
    if let Some(sent) = sent_outside_body(&req) {
        return if ok(&sent) { next.run(req).await } else { refused(&req) };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return refused(&req);
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
        return PageError::Status(StatusCode::PAYLOAD_TOO_LARGE, "error-too-large").into_response();
    };
    let sent = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v));
    match sent {
        Some(sent) if ok(&sent) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        _ => refused(&Request::from_parts(parts, Body::empty())),
    }
}

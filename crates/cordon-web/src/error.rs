//! One error type for pages and one for the API. Every store error maps to a
//! status by an exhaustive match; 5xx are logged with their cause and never
//! shown to the user.

use axum::Json;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cordon_store::StoreError;
use cordon_store::imports::BadRow;
use serde_json::json;

use crate::i18n::Tr;
use crate::views;

/// How a failure is classified: the status and the message key the user reads.
fn classify(e: &StoreError) -> (StatusCode, &'static str) {
    match e {
        StoreError::NotFound => (StatusCode::NOT_FOUND, "error-not-found"),
        StoreError::Forbidden => (StatusCode::FORBIDDEN, "error-forbidden"),
        StoreError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "error-invalid"),
        StoreError::Conflict(_) => (StatusCode::CONFLICT, "error-conflict"),
        StoreError::Rejected(_) => (StatusCode::UNPROCESSABLE_ENTITY, "error-rejected"),
        StoreError::Sheet(_) => (StatusCode::BAD_REQUEST, "error-unreadable-file"),
        StoreError::Io(_) | StoreError::Database(_) | StoreError::Migrate(_) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
        }
    }
}

fn log_if_internal(status: StatusCode, e: &dyn std::error::Error) {
    if status.is_server_error() {
        let mut chain = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            source = s.source();
        }
        tracing::error!(error = %chain, "request failed");
    }
}

/// A failed page request; rendered in the user's language by `render_error_pages`.
#[derive(Debug)]
pub enum PageError {
    /// A store error.
    Store(StoreError),
    /// Something with a fixed status and message key.
    Status(StatusCode, &'static str),
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError::Store(e)
    }
}

/// Marker a failed page response carries so the middleware can render it.
#[derive(Clone, Debug)]
struct ErrorPage {
    key: &'static str,
    detail: Option<String>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, key, detail) = match &self {
            PageError::Store(e) => {
                let (status, key) = classify(e);
                log_if_internal(status, e);
                let detail = match e {
                    StoreError::Invalid(m) | StoreError::Conflict(m) => Some(m.clone()),
                    StoreError::Sheet(s) => Some(s.to_string()),
                    _ => None,
                };
                (status, key, detail)
            }
            PageError::Status(s, k) => (*s, *k, None),
        };
        let mut res = status.into_response();
        res.extensions_mut().insert(ErrorPage { key, detail });
        res
    }
}

/// Renders failures in the user's language: the error page of a failed page
/// response, and also the plain-text rejections of axum's extractors (a bad
/// number in a URL, a missing form field, an unknown route, a body too large),
/// as a page for people or as the API's JSON error for programs.
pub async fn render_error_pages(req: Request, next: Next) -> Response {
    let tr = Tr { lang: crate::auth::lang_of(req.headers()) };
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    let page = match res.extensions().get::<ErrorPage>().cloned() {
        Some(page) => page,
        None if status.is_client_error() && is_plain_rejection(&res) => {
            ErrorPage { key: rejection_key(status), detail: None }
        }
        None => return res,
    };
    if api {
        let code = page.key.trim_start_matches("error-");
        return ApiError::Status(status, code, tr_en(page.key)).into_response();
    }
    let detail = page.detail.map(|d| tr.localise(&d));
    let body = views::ErrorView { tr, status: status.as_u16(), message: tr.t(page.key), detail };
    (status, body).into_response()
}

/// axum's own rejections are plain text (or empty, for an unknown route).
fn is_plain_rejection(res: &Response) -> bool {
    match res.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(ct) => ct.starts_with("text/plain"),
    }
}

fn rejection_key(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "error-not-found",
        StatusCode::METHOD_NOT_ALLOWED => "error-method",
        StatusCode::PAYLOAD_TOO_LARGE => "error-too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "error-media-type",
        StatusCode::UNAUTHORIZED => "error-unauthorised",
        _ => "error-invalid",
    }
}

/// The English text of a key, for the API's messages.
fn tr_en(key: &str) -> String {
    Tr { lang: crate::i18n::Lang::En }.t(key)
}

/// A failed API request: `{"error": {"code", "message", "details"}}`.
#[derive(Debug)]
pub enum ApiError {
    /// A store error.
    Store(StoreError),
    /// A fixed status with a code and an English message.
    Status(StatusCode, &'static str, String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Store(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, details): (StatusCode, &str, String, Vec<BadRow>) = match self {
            ApiError::Store(e) => {
                let (status, key) = classify(&e);
                log_if_internal(status, &e);
                let code = key.trim_start_matches("error-");
                let message = match &e {
                    StoreError::Io(_) | StoreError::Database(_) | StoreError::Migrate(_) => {
                        "internal error".to_string()
                    }
                    // Programs read English.
                    other => Tr { lang: crate::i18n::Lang::En }.localise(&other.to_string()),
                };
                let details = match e {
                    StoreError::Rejected(report) => report.bad_rows,
                    _ => vec![],
                };
                (status, code, message, details)
            }
            ApiError::Status(status, code, message) => (status, code, message, vec![]),
        };
        let details: Vec<_> = details
            .iter()
            .map(|b| json!({"row": b.row, "column": b.column, "value": b.value, "reason": b.reason.code(), "message": b.reason.to_string()}))
            .collect();
        (status, Json(json!({"error": {"code": code, "message": message, "details": details}}))).into_response()
    }
}

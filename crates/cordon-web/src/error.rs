//! One error type for pages and one for the API. Every store error maps to a
//! status by an exhaustive match; 5xx are logged with their cause and never
//! shown to the user. Refusals are worded here, in the user's language on
//! pages and in English for programs, with their key and arguments for
//! programs that word them themselves.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cordon_domain::Refusal;
use cordon_domain::clock::Zone;
use cordon_store::StoreError;
use cordon_store::imports::BadRow;
use serde_json::json;

use crate::AppState;
use crate::i18n::Tr;
use crate::views;

/// How a failure is classified: the status and the message key the user reads.
fn classify(e: &StoreError) -> (StatusCode, &'static str) {
    match e {
        StoreError::NotFound => (StatusCode::NOT_FOUND, "error-not-found"),
        StoreError::Forbidden => (StatusCode::FORBIDDEN, "error-forbidden"),
        StoreError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "error-invalid"),
        StoreError::Conflict(_) => (StatusCode::CONFLICT, "error-conflict"),
        StoreError::TooMany(_) => (StatusCode::TOO_MANY_REQUESTS, "error-too-many"),
        StoreError::Rejected(_) => (StatusCode::UNPROCESSABLE_ENTITY, "error-rejected"),
        StoreError::Sheet(_) => (StatusCode::BAD_REQUEST, "error-unreadable-file"),
        StoreError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "error-unavailable"),
        StoreError::Io(_) | StoreError::Database(_) | StoreError::Migrate(_) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
        }
    }
}

/// The refusal a store error carries for the user, if any.
fn refusal_of(e: &StoreError) -> Option<Refusal> {
    match e {
        StoreError::Sheet(s) => Some(s.refusal()),
        other => other.refusal().cloned(),
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
    detail: Option<Refusal>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, key, detail) = match &self {
            PageError::Store(e) => {
                let (status, key) = classify(e);
                log_if_internal(status, e);
                (status, key, refusal_of(e))
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
pub async fn render_error_pages(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let tr = crate::accounts::tr_of(&app, req.headers());
    let api = req.uri().path().starts_with("/api/");
    let res = ZONE.scope(app.zone, next.run(req)).await;
    let status = res.status();
    let page = match res.extensions().get::<ErrorPage>().cloned() {
        Some(page) => page,
        None if status.is_client_error() && is_plain_rejection(&res) => {
            ErrorPage { key: rejection_key(status), detail: None }
        }
        None => return answered(res),
    };
    answered(error_response(tr, api, status, page))
}

/// Marks a response the app itself answered, so that `session_save_failures`
/// can tell one the session layer threw away afterwards.
#[derive(Clone, Copy, Debug)]
struct Answered;

fn answered(mut res: Response) -> Response {
    res.extensions_mut().insert(Answered);
    res
}

/// The error page, or the API's JSON error, of a status and message key.
fn error_response(tr: Tr, api: bool, status: StatusCode, page: ErrorPage) -> Response {
    if api {
        let code = page.key.trim_start_matches("error-");
        return ApiError::Status(status, code, english(page.key)).into_response();
    }
    let detail = page.detail.map(|d| tr.refusal(&d));
    let body = views::ErrorView { tr, status: status.as_u16(), message: tr.t(page.key), detail };
    (status, body).into_response()
}

/// The session layer saves a changed session (a first visit's CSRF token, a
/// sign-in) after the app has answered; when the database is away the save
/// fails and tower-sessions replaces the answer by a bare 500. Say what it
/// is instead, as any other failure of the database: 503, with the message
/// in the user's language (or the API's JSON error). Sits outside the
/// session layer.
pub async fn session_save_failures(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let tr = crate::accounts::tr_of(&app, req.headers());
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if res.status().is_server_error() && res.extensions().get::<Answered>().is_none() {
        tracing::error!("the session could not be saved; answered 503");
        let page = ErrorPage { key: "error-unavailable", detail: None };
        return error_response(tr, api, StatusCode::SERVICE_UNAVAILABLE, page);
    }
    res
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

tokio::task_local! {
    /// The deployment's zone while a request is answered, so that an API
    /// error (made where no state is at hand) shows its times in it.
    static ZONE: Zone;
}

/// The API's translator: English, with times in the deployment's zone.
pub(crate) fn api_tr() -> Tr {
    Tr::english(ZONE.try_with(|z| *z).unwrap_or_default())
}

/// The English text of a key, for the API's messages.
pub(crate) fn english(key: &str) -> String {
    api_tr().t(key)
}

/// A failed API request: `{"error": {"code", "message", "details"}}`, and
/// for a refusal also `"refusal": {"key", "args"}`.
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

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        ApiError::Store(StoreError::Invalid(r))
    }
}

/// One bad cell as the API reports it, its reason in English.
fn bad_cell(tr: &Tr, b: &BadRow) -> serde_json::Value {
    json!({"row": b.row, "column": b.column, "value": b.value, "reason": b.reason.code(),
        "message": tr.bad_reason(&b.reason)})
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Programs read English; times in the deployment's zone.
        let tr = api_tr();
        match self {
            ApiError::Store(e) => {
                let (status, key) = classify(&e);
                log_if_internal(status, &e);
                let code = key.trim_start_matches("error-");
                let refusal = refusal_of(&e);
                let message = match (&refusal, &e) {
                    (Some(r), _) => tr.refusal(r),
                    (None, StoreError::Rejected(report)) => {
                        tr.t_with("import-rejected", &[("count", report.total.to_string())])
                    }
                    (None, _) => tr.t(key),
                };
                let mut error = json!({"code": code, "message": message, "details": []});
                if let StoreError::Rejected(report) = &e {
                    error["details"] = report.bad_rows.iter().map(|b| bad_cell(&tr, b)).collect();
                    error["total"] = json!(report.total);
                }
                if let Some(r) = refusal {
                    error["refusal"] = json!({"key": r.key, "args": r.args.iter().map(|(k, v)| (k.to_string(), v)).collect::<std::collections::BTreeMap<_, _>>()});
                }
                (status, Json(json!({ "error": error }))).into_response()
            }
            ApiError::Status(status, code, message) => {
                (status, Json(json!({"error": {"code": code, "message": message, "details": []}}))).into_response()
            }
        }
    }
}

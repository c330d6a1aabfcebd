//! Uploads of places, residents and cadres: all or nothing, with the first bad
//! cells listed in the user's language and every one in a report to download.
//!
//! Nothing of a file is read before the caller is known to be allowed: a role
//! with no import right is refused before the body, and on the page the kind
//! must come before the file, so the kind is checked before the file is read.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use cordon_domain::Actor;
use cordon_store::StoreError;
use cordon_store::imports::{Body, ImportKind, ImportReport, ImportSummary, StoredReport, Upload};
use cordon_store::sheets::{SheetError, SheetFormat, write_csv};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::accounts::{ApiActor, Ctx};
use crate::error::{ApiError, PageError};
use crate::i18n::Tr;
use crate::views::Layout;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Uploads may be large spreadsheets of a whole district.
const MAX_UPLOAD: usize = 64 * 1024 * 1024;

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/imports", get(form).post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD)))
        .route("/imports/reports/{id}", get(report))
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    use utoipa_axum::router::UtoipaMethodRouterExt;
    OpenApiRouter::new()
        .routes(routes!(api_import).layer(DefaultBodyLimit::max(MAX_UPLOAD)))
        .routes(routes!(api_report))
}

/// Whether the actor may import anything at all.
fn may_import(actor: &Actor) -> bool {
    ImportKind::ALL.iter().any(|kind| kind.allowed(actor))
}

/// A kind the user may import, for the form.
struct KindOption {
    key: &'static str,
    label: String,
    columns: String,
}

/// One bad cell, worded for the user.
struct BadLine {
    row: usize,
    column: String,
    value: String,
    reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "imports/form.html")]
struct FormView {
    l: Layout,
    kinds: Vec<KindOption>,
    summary: Option<String>,
    error: Option<String>,
    bad: Vec<BadLine>,
    /// "The first N of M are listed", when not all are.
    listed: Option<String>,
    /// Where the full report is downloaded.
    report: Option<String>,
}

fn kinds(tr: &Tr, actor: &Actor) -> Vec<KindOption> {
    ImportKind::ALL
        .into_iter()
        .filter(|k| k.allowed(actor))
        .map(|k| KindOption {
            key: k.as_str(),
            label: tr.t(&format!("import-kind-{}", k.as_str())),
            columns: k
                .columns()
                .iter()
                .map(|c| format!("{}{}", c.aliases[0], if c.required { "" } else { "?" }))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect()
}

fn view(ctx: &Ctx) -> FormView {
    FormView {
        kinds: kinds(&ctx.tr, &ctx.actor),
        summary: None,
        error: None,
        bad: vec![],
        listed: None,
        report: None,
        l: Layout::new(ctx, "nav-imports"),
    }
}

async fn form(ctx: Ctx) -> Result<FormView, PageError> {
    let v = view(&ctx);
    if v.kinds.is_empty() {
        return Err(PageError::Store(StoreError::Forbidden));
    }
    Ok(v)
}

fn summary_text(tr: &Tr, s: &ImportSummary) -> String {
    tr.t_with(
        "import-done",
        &[
            ("imported", s.imported.to_string()),
            ("updated", s.updated.to_string()),
            ("unchanged", s.unchanged.to_string()),
        ],
    )
}

/// Reads the upload form: the kind, checked, then the file. Nothing of the
/// file is read before its kind is known to be allowed.
async fn upload_fields(
    ctx: &Ctx,
    multipart: &mut Multipart,
) -> Result<(ImportKind, Option<(String, Bytes)>), PageError> {
    let bad_upload = |_| PageError::Status(StatusCode::BAD_REQUEST, "error-upload");
    let mut kind = None;
    while let Some(field) = multipart.next_field().await.map_err(bad_upload)? {
        match field.name().unwrap_or("") {
            "kind" => {
                let chosen = ImportKind::parse(&field.text().await.map_err(bad_upload)?)
                    .ok_or(PageError::Status(StatusCode::BAD_REQUEST, "error-import-kind"))?;
                if !chosen.allowed(&ctx.actor) {
                    return Err(StoreError::Forbidden.into());
                }
                kind = Some(chosen);
            }
            "file" => {
                let Some(kind) = kind else {
                    return Err(PageError::Status(StatusCode::BAD_REQUEST, "error-import-kind-first"));
                };
                let name = field.file_name().unwrap_or("").to_string();
                let bytes = field.bytes().await.map_err(bad_upload)?;
                return Ok((kind, Some((name, bytes)).filter(|(_, b)| !b.is_empty())));
            }
            _ => {}
        }
    }
    kind.map(|kind| (kind, None)).ok_or(PageError::Status(StatusCode::BAD_REQUEST, "error-import-kind"))
}

async fn upload(State(app): State<AppState>, ctx: Ctx, mut multipart: Multipart) -> Result<Response, PageError> {
    // Before a byte of the body: a role that may import nothing is refused here.
    if !may_import(&ctx.actor) {
        return Err(StoreError::Forbidden.into());
    }
    let (kind, file) = upload_fields(&ctx, &mut multipart).await?;
    let mut v = view(&ctx);
    let Some((name, bytes)) = file else {
        v.error = Some(ctx.tr.t("error-no-file"));
        return Ok((StatusCode::BAD_REQUEST, v).into_response());
    };
    let format = SheetFormat::from_file_name(&name).unwrap_or_else(|| SheetFormat::sniff(&bytes));
    let file = Upload { name: &name, body: Body::Bytes(&bytes), format };
    match app.store.import_file(&ctx.actor, kind, file, &|_| {}).await {
        Ok(s) => {
            v.summary = Some(summary_text(&ctx.tr, &s));
            Ok(v.into_response())
        }
        Err(StoreError::Rejected(report)) => {
            v.error = Some(ctx.tr.t_with("import-rejected", &[("count", report.total.to_string())]));
            if report.bad_rows.len() < report.total {
                v.listed = Some(ctx.tr.t_with(
                    "import-report-listed",
                    &[("listed", report.bad_rows.len().to_string()), ("total", report.total.to_string())],
                ));
            }
            v.report = report.report.map(|id| format!("/imports/reports/{id}"));
            v.bad = report
                .bad_rows
                .iter()
                .map(|b| BadLine {
                    row: b.row,
                    column: b.column.clone(),
                    value: b.value.clone(),
                    reason: ctx.tr.bad_reason(&b.reason),
                })
                .collect();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, v).into_response())
        }
        // The reason in the user's language; the parser's own words go nowhere near the page.
        Err(StoreError::Sheet(e)) => {
            v.error = Some(ctx.tr.refusal(&e.refusal()));
            Ok((StatusCode::BAD_REQUEST, v).into_response())
        }
        Err(StoreError::Conflict(r)) => {
            v.error = Some(ctx.tr.refusal(&r));
            Ok((StatusCode::CONFLICT, v).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// A kept report as CSV: row, column, value and the reason in the reader's language.
pub fn report_csv(tr: &Tr, report: &StoredReport) -> Result<Vec<u8>, SheetError> {
    let headers = [tr.t("col-row"), tr.t("col-column"), tr.t("col-value"), tr.t("col-reason")];
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let rows = report.bad_cells().map(|b| vec![b.row.to_string(), b.column, b.value, tr.bad_reason(&b.reason)]);
    let mut out = Vec::new();
    write_csv(&mut out, &headers, rows)?;
    Ok(out)
}

/// The download of a kept report.
fn report_response(tr: &Tr, report: &StoredReport) -> Result<Response, StoreError> {
    let bytes = report_csv(tr, report)?;
    let name = format!("attachment; filename=\"import-report-{}.csv\"", report.id);
    Ok((
        [(header::CONTENT_TYPE, SheetFormat::Csv.content_type().to_string()), (header::CONTENT_DISPOSITION, name)],
        bytes,
    )
        .into_response())
}

/// The full report of the user's rejected upload, in their language.
async fn report(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Response, PageError> {
    let report = app.store.import_report(&ctx.actor, id).await?;
    Ok(report_response(&ctx.tr, &report)?)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// csv or xlsx; otherwise taken from Content-Type, then from the bytes.
    pub format: Option<String>,
}

/// The API's rejection: the first bad cells in `details`, their `total`, and
/// where the full report is (`report`).
fn rejected(report: &ImportReport) -> Response {
    let tr = Tr::english(Default::default());
    let details: Vec<serde_json::Value> = report
        .bad_rows
        .iter()
        .map(|b| {
            json!({"row": b.row, "column": b.column, "value": b.value, "reason": b.reason.code(),
                "message": tr.bad_reason(&b.reason)})
        })
        .collect();
    let mut error = json!({
        "code": "rejected",
        "message": tr.t_with("import-rejected", &[("count", report.total.to_string())]),
        "details": details,
        "total": report.total,
    });
    if let Some(id) = report.report {
        error["report"] = json!(format!("/api/v1/imports/reports/{id}"));
    }
    (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "error": error }))).into_response()
}

/// Imports a CSV or XLSX file sent as the request body; all or nothing. A
/// role that may not import the kind is refused (403) before the body is read.
#[utoipa::path(post, path = "/api/v1/imports/{kind}", tag = "imports", params(("kind" = String, Path, description = "places, residents or cadres"), ImportQuery),
    responses((status = 200, description = "imported, updated, unchanged", body = ImportSummary),
        (status = 403, description = "the role may not import this kind; the body is not read"),
        (status = 409, description = "the same file is being imported now (import-running)"),
        (status = 422, description = "rejected: the first 1,000 bad cells in details, their total, and the full report's URL in report")))]
pub async fn api_import(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(kind): Path<String>,
    Query(q): Query<ImportQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    let kind = ImportKind::parse(&kind).ok_or_else(|| {
        ApiError::Status(StatusCode::NOT_FOUND, "not-found", "import kinds are places, residents, cadres".into())
    })?;
    if !kind.allowed(&actor) {
        return Err(StoreError::Forbidden.into());
    }
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    // Only now the body, within the route's limit (413 beyond it).
    let body = match Bytes::from_request(request, &app).await {
        Ok(body) => body,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    if body.is_empty() {
        return Err(ApiError::Status(StatusCode::BAD_REQUEST, "no-file", "send the file as the request body".into()));
    }
    let format = q
        .format
        .as_deref()
        .and_then(SheetFormat::parse)
        .or_else(|| if content_type.contains("spreadsheetml") { Some(SheetFormat::Xlsx) } else { None })
        .or_else(|| if content_type.starts_with("text/csv") { Some(SheetFormat::Csv) } else { None })
        .unwrap_or_else(|| SheetFormat::sniff(&body));
    let name = format!("{}.{}", kind.as_str(), format.extension());
    match app.store.import_file(&actor, kind, Upload { name: &name, body: Body::Bytes(&body), format }, &|_| {}).await {
        Ok(summary) => Ok(Json(summary).into_response()),
        Err(StoreError::Rejected(report)) => Ok(rejected(&report)),
        Err(e) => Err(e.into()),
    }
}

/// The full report of a rejected upload of the caller's, as CSV in English.
#[utoipa::path(get, path = "/api/v1/imports/reports/{id}", tag = "imports", params(("id" = i64, Path)),
    responses((status = 200, description = "every bad cell: row, column, value, reason (text/csv)"), (status = 404, description = "no such report of the caller's")))]
pub async fn api_report(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let report = app.store.import_report(&actor, id).await?;
    Ok(report_response(&Tr::english(Default::default()), &report)?)
}

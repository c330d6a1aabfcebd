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
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use cordon_domain::Actor;
use cordon_store::StoreError;
use cordon_store::imports::{
    BadRow, Body, ImportJob, ImportKind, ImportReport, ImportSummary, JobState, StoredReport, Upload,
};
use cordon_store::sheets::{SheetError, SheetFormat, SheetLimits, write_csv};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::accounts::{ApiActor, Ctx};
use crate::error::{ApiError, PageError};
use crate::i18n::Tr;
use crate::views::Layout;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A workbook, or a sheet of places or cadres, is read whole: a district's is
/// well inside this. The API takes every kind in memory within it too.
const MAX_UPLOAD: usize = 64 * 1024 * 1024;

/// A roll of residents as CSV is streamed to disk on the page and read as it
/// is imported, never whole: a city's roll of ten million is about a gigabyte.
const MAX_STREAMED_UPLOAD: u64 = 4 * 1024 * 1024 * 1024;

/// How many of the user's latest jobs the upload page lists.
const JOBS_LISTED: i64 = 5;

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/imports", get(form).post(upload).layer(DefaultBodyLimit::max(MAX_STREAMED_UPLOAD as usize)))
        .route("/imports/jobs/{id}", get(job_page))
        .route("/imports/reports/{id}", get(report))
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    use utoipa_axum::router::UtoipaMethodRouterExt;
    OpenApiRouter::new()
        .routes(routes!(api_import).layer(DefaultBodyLimit::max(MAX_UPLOAD)))
        .routes(routes!(api_job))
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
pub(crate) struct BadLine {
    pub row: usize,
    pub column: String,
    pub value: String,
    pub reason: String,
}

/// A job of the user's, as the page shows it.
struct JobLine {
    href: String,
    file_name: String,
    kind: String,
    state: String,
    running: bool,
    /// The bar: how far, out of how much (bytes of a CSV).
    done: u64,
    total: u64,
    /// "n rows checked, m written".
    rows: String,
    started: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "imports/form.html")]
struct FormView {
    l: Layout,
    kinds: Vec<KindOption>,
    /// The job this page is about (its own page, or the upload just made).
    job: Option<JobLine>,
    /// The user's latest jobs, on the upload form.
    jobs: Vec<JobLine>,
    o: Outcome,
}

/// How an upload ended, as a page shows it (`imports/outcome.html`): this
/// page's and the quarantine site's uploads of manifests and results.
#[derive(Default)]
pub(crate) struct Outcome {
    pub summary: Option<String>,
    pub error: Option<String>,
    pub bad: Vec<BadLine>,
    /// "The first N of M are listed", when not all are.
    pub listed: Option<String>,
    /// Where the full report is downloaded.
    pub report: Option<String>,
}

impl Outcome {
    /// A file rejected: how many bad cells, the first listed, the report's link.
    pub(crate) fn rejected(tr: &Tr, total: usize, bad: &[BadRow], report: Option<i64>) -> Outcome {
        Outcome {
            error: Some(tr.t_with("import-rejected", &[("count", total.to_string())])),
            listed: (bad.len() < total).then(|| {
                tr.t_with("import-report-listed", &[("listed", bad.len().to_string()), ("total", total.to_string())])
            }),
            report: report.map(|id| format!("/imports/reports/{id}")),
            bad: bad
                .iter()
                .map(|b| BadLine {
                    row: b.row,
                    column: b.column.clone(),
                    value: b.value.clone(),
                    reason: tr.bad_reason(&b.reason),
                })
                .collect(),
            summary: None,
        }
    }

    /// How a file's import failed, worded, with its status; an error that
    /// is not about the file (forbidden, not found, the store) is passed on.
    pub(crate) fn failed(tr: &Tr, e: StoreError) -> Result<(StatusCode, Outcome), StoreError> {
        let said = |status, text| Ok((status, Outcome { error: Some(text), ..Outcome::default() }));
        match e {
            StoreError::Rejected(report) => Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Outcome::rejected(tr, report.total, &report.bad_rows, report.report),
            )),
            // The reason in the user's language; the parser's own words go nowhere near the page.
            StoreError::Sheet(e) => said(StatusCode::BAD_REQUEST, tr.refusal(&e.refusal())),
            StoreError::Conflict(r) => said(StatusCode::CONFLICT, tr.refusal(&r)),
            StoreError::Invalid(r) => said(StatusCode::UNPROCESSABLE_ENTITY, tr.refusal(&r)),
            e => Err(e),
        }
    }
}

fn kinds(tr: &Tr, actor: &Actor) -> Vec<KindOption> {
    ImportKind::ALL
        .into_iter()
        .filter(|k| k.allowed(actor))
        .map(|k| KindOption {
            key: k.as_str(),
            label: kind_label(tr, k),
            columns: k
                .columns()
                .iter()
                .map(|c| format!("{}{}", c.aliases[0], if c.required { "" } else { "?" }))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect()
}

fn kind_label(tr: &Tr, kind: ImportKind) -> String {
    tr.t(&format!("import-kind-{}", kind.as_str()))
}

fn view(ctx: &Ctx) -> FormView {
    FormView {
        kinds: kinds(&ctx.tr, &ctx.actor),
        job: None,
        jobs: vec![],
        o: Outcome::default(),
        l: Layout::new(ctx, "nav-imports"),
    }
}

fn job_line(ctx: &Ctx, job: &ImportJob) -> JobLine {
    let p = &job.progress;
    JobLine {
        href: format!("/imports/jobs/{}", job.id),
        file_name: job.file_name.clone(),
        kind: kind_label(&ctx.tr, job.kind),
        state: ctx.tr.t(&format!("import-job-{}", job.state.as_str())),
        running: job.state == JobState::Running,
        done: p.done.min(p.total),
        total: p.total.max(1),
        rows: ctx.tr.t_with(
            "import-job-rows",
            &[("checked", p.rows_checked.to_string()), ("written", p.rows_written.to_string())],
        ),
        started: ctx.tr.time(&job.started_at),
    }
}

async fn form(State(app): State<AppState>, ctx: Ctx) -> Result<FormView, PageError> {
    let mut v = view(&ctx);
    if v.kinds.is_empty() {
        return Err(PageError::Store(StoreError::Forbidden));
    }
    let jobs = app.store.import_jobs(&ctx.actor, JOBS_LISTED).await?;
    v.jobs = jobs.iter().map(|j| job_line(&ctx, j)).collect();
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

/// An uploaded file, spooled to disk as it arrives; removed when dropped.
struct Spooled {
    name: String,
    file: tempfile::NamedTempFile,
    /// Its first bytes, to tell CSV from XLSX when the name does not.
    head: Vec<u8>,
}

impl Spooled {
    /// Copies the field to a file on disk, refusing more than `cap` bytes.
    async fn write(mut field: axum::extract::multipart::Field<'_>, cap: u64) -> Result<Option<Spooled>, PageError> {
        use tokio::io::AsyncWriteExt;
        let bad_upload = |_| PageError::Status(StatusCode::BAD_REQUEST, "error-upload");
        let stored = |e: std::io::Error| PageError::Store(StoreError::Io(e.to_string()));
        let name = field.file_name().unwrap_or("").to_string();
        let file = tempfile::Builder::new().prefix("cordon-upload-").tempfile().map_err(stored)?;
        let mut out = tokio::fs::File::from_std(file.reopen().map_err(stored)?);
        let (mut len, mut head) = (0u64, Vec::new());
        while let Some(chunk) = field.chunk().await.map_err(bad_upload)? {
            len += chunk.len() as u64;
            if len > cap {
                return Err(PageError::Status(StatusCode::PAYLOAD_TOO_LARGE, "error-upload-too-large"));
            }
            if head.len() < 8 {
                head.extend(chunk.iter().take(8 - head.len()));
            }
            out.write_all(&chunk).await.map_err(stored)?;
        }
        out.flush().await.map_err(stored)?;
        Ok((len > 0).then_some(Spooled { name, file, head }))
    }

    fn format(&self) -> SheetFormat {
        SheetFormat::from_file_name(&self.name).unwrap_or_else(|| SheetFormat::sniff(&self.head))
    }
}

/// Reads the upload form: the kind, checked, then the file, spooled to disk.
/// Nothing of the file is read before its kind is known to be allowed.
async fn upload_fields(ctx: &Ctx, multipart: &mut Multipart) -> Result<(ImportKind, Option<Spooled>), PageError> {
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
                // Only a roll of residents is read as it is imported; the rest whole.
                let cap = if kind == ImportKind::Residents { MAX_STREAMED_UPLOAD } else { MAX_UPLOAD as u64 };
                return Ok((kind, Spooled::write(field, cap).await?));
            }
            _ => {}
        }
    }
    kind.map(|kind| (kind, None)).ok_or(PageError::Status(StatusCode::BAD_REQUEST, "error-import-kind"))
}

/// The limits the file is read within: a CSV of residents is streamed, so its
/// cells are not capped; a workbook, held whole, is.
fn upload_limits(kind: ImportKind, format: SheetFormat) -> SheetLimits {
    if kind == ImportKind::Residents && format == SheetFormat::Csv {
        SheetLimits { cells: usize::MAX, ..SheetLimits::DEFAULT }
    } else {
        SheetLimits::DEFAULT
    }
}

/// Starts the file's import as a job, and shows its result if it is done
/// within `import_wait`, else the job's page, with its progress.
async fn upload(State(app): State<AppState>, ctx: Ctx, mut multipart: Multipart) -> Result<Response, PageError> {
    // Before a byte of the body: a role that may import nothing is refused here.
    if !may_import(&ctx.actor) {
        return Err(StoreError::Forbidden.into());
    }
    let (kind, file) = upload_fields(&ctx, &mut multipart).await?;
    let Some(file) = file else {
        let mut v = view(&ctx);
        v.o.error = Some(ctx.tr.t("error-no-file"));
        return Ok((StatusCode::BAD_REQUEST, v).into_response());
    };
    let id = app.store.begin_import_job(&ctx.actor, kind, &file.name).await?;
    let run = {
        let (store, actor) = (app.store.clone(), ctx.actor.clone());
        // Its own task: the import goes on when the page stops waiting or the user leaves.
        tokio::spawn(async move {
            let format = file.format();
            let upload = Upload { name: &file.name, body: Body::File(file.file.path()), format };
            store.run_import_job(id, &actor, kind, upload, &upload_limits(kind, format)).await
        })
    };
    match tokio::time::timeout(app.import_wait, run).await {
        Ok(Ok(result)) => Ok(result_view(&app, &ctx, id, result).await?),
        Ok(Err(e)) => Err(StoreError::Io(e.to_string()).into()),
        Err(_) => Ok(Redirect::to(&format!("/imports/jobs/{id}")).into_response()),
    }
}

/// The page of a finished import, from what it returned.
async fn result_view(
    app: &AppState,
    ctx: &Ctx,
    id: i64,
    result: Result<ImportSummary, StoreError>,
) -> Result<Response, StoreError> {
    let job = app.store.import_job(&ctx.actor, id).await?;
    let mut v = view(ctx);
    v.job = Some(job_line(ctx, &job));
    match result {
        Ok(s) => {
            v.o.summary = Some(summary_text(&ctx.tr, &s));
            Ok(v.into_response())
        }
        Err(e) => {
            let (status, o) = Outcome::failed(&ctx.tr, e)?;
            v.o = o;
            Ok((status, v).into_response())
        }
    }
}

/// A job's page: its progress while it runs (the page reloads itself), then
/// how it ended. Another user's job is not found.
async fn job_page(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<FormView, PageError> {
    let job = app.store.import_job(&ctx.actor, id).await?;
    let mut v = view(&ctx);
    match job.state {
        JobState::Running => {}
        JobState::Done => v.o.summary = Some(summary_text(&ctx.tr, &job.summary)),
        JobState::Rejected => {
            // The kept report holds every bad cell; the first are listed, as on the upload's own page.
            let listed = match job.report {
                Some(report) => app
                    .store
                    .import_report(&ctx.actor, report)
                    .await?
                    .bad_cells()
                    .take(cordon_store::imports::LISTED_BAD_CELLS)
                    .collect(),
                None => vec![],
            };
            v.o = Outcome::rejected(&ctx.tr, job.bad_cells as usize, &listed, job.report);
        }
        JobState::Refused => v.o.error = job.refusal.as_ref().map(|r| ctx.tr.refusal(r)),
        JobState::Failed | JobState::Interrupted => {
            v.o.error = Some(ctx.tr.t(&format!("import-job-{}-why", job.state.as_str())))
        }
    }
    v.job = Some(job_line(&ctx, &job));
    Ok(v)
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
    let name = format!("import-report-{}.csv", report.id);
    Ok(crate::residents::download::attachment(SheetFormat::Csv.content_type(), &name, bytes))
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
pub(crate) fn rejected(report: &ImportReport) -> Response {
    let tr = crate::error::api_tr();
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
    let (body, format) = match file_body(&app, &q, request).await {
        Ok(file) => file,
        Err(refused) => return Ok(refused),
    };
    let name = format!("{}.{}", kind.as_str(), format.extension());
    match app.store.import_file(&actor, kind, Upload { name: &name, body: Body::Bytes(&body), format }, &|_| {}).await {
        Ok(summary) => Ok(Json(summary).into_response()),
        Err(StoreError::Rejected(report)) => Ok(rejected(&report)),
        Err(e) => Err(e.into()),
    }
}

/// A file sent as an API request's body, and its format: `?format=`, else
/// the Content-Type, else the bytes. Read only when called, so a caller
/// checks the right to send it first; an empty body or one over the route's
/// limit is answered here.
pub(crate) async fn file_body(
    app: &AppState,
    q: &ImportQuery,
    request: Request,
) -> Result<(Bytes, SheetFormat), Response> {
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    // Only now the body, within the route's limit (413 beyond it).
    let body = Bytes::from_request(request, app).await.map_err(IntoResponse::into_response)?;
    if body.is_empty() {
        let none = ApiError::Status(StatusCode::BAD_REQUEST, "no-file", "send the file as the request body".into());
        return Err(none.into_response());
    }
    let format = q
        .format
        .as_deref()
        .and_then(SheetFormat::parse)
        .or_else(|| if content_type.contains("spreadsheetml") { Some(SheetFormat::Xlsx) } else { None })
        .or_else(|| if content_type.starts_with("text/csv") { Some(SheetFormat::Csv) } else { None })
        .unwrap_or_else(|| SheetFormat::sniff(&body));
    Ok((body, format))
}

/// One of the caller's import jobs (an upload on the page): its state, its
/// progress (`done` of `total` bytes of a CSV; rows checked and written) and
/// how it ended. Another user's job is not found.
#[utoipa::path(get, path = "/api/v1/imports/jobs/{id}", tag = "imports", params(("id" = i64, Path)),
    responses((status = 200, description = "the job: state running, done, rejected, refused, failed or interrupted; progress; summary; report"),
        (status = 404, description = "no such job of the caller's")))]
pub async fn api_job(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let job = app.store.import_job(&actor, id).await?;
    let mut body = serde_json::to_value(&job).map_err(|e| StoreError::Io(e.to_string()))?;
    if let Some(r) = &job.refusal {
        body["refusal"] = json!(crate::error::api_tr().refusal(r));
    }
    if let Some(report) = job.report {
        body["report"] = json!(format!("/api/v1/imports/reports/{report}"));
    }
    Ok(Json(body).into_response())
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
    Ok(report_response(&crate::error::api_tr(), &report)?)
}

//! Uploads of places, residents and cadres: all or nothing, with every bad row
//! reported in the user's language.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use cordon_domain::{Actor, Capability};
use cordon_store::StoreError;
use cordon_store::imports::{ImportKind, ImportSummary};
use cordon_store::sheets::{SheetFormat, read_sheet};
use serde::Deserialize;

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
    Router::new().route("/imports", get(form).post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD)))
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    use utoipa_axum::router::UtoipaMethodRouterExt;
    OpenApiRouter::new().routes(routes!(api_import).layer(DefaultBodyLimit::max(MAX_UPLOAD)))
}

fn allowed(actor: &Actor, kind: ImportKind) -> bool {
    match kind {
        ImportKind::Places => actor.can(Capability::ManagePlaces),
        ImportKind::Residents => actor.can(Capability::ManageResidents),
        ImportKind::Cadres => actor.can(Capability::ManageCadres),
    }
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
}

fn kinds(tr: &Tr, actor: &Actor) -> Vec<KindOption> {
    [ImportKind::Places, ImportKind::Residents, ImportKind::Cadres]
        .into_iter()
        .filter(|k| allowed(actor, *k))
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

async fn upload(State(app): State<AppState>, ctx: Ctx, mut multipart: Multipart) -> Result<Response, PageError> {
    let mut kind = None;
    let mut file: Option<(String, Bytes)> = None;
    let bad_upload = |_| PageError::Status(StatusCode::BAD_REQUEST, "error-upload");
    while let Some(field) = multipart.next_field().await.map_err(bad_upload)? {
        match field.name().unwrap_or("") {
            "kind" => kind = ImportKind::parse(&field.text().await.map_err(bad_upload)?),
            "file" => {
                let name = field.file_name().unwrap_or("").to_string();
                file = Some((name, field.bytes().await.map_err(bad_upload)?));
            }
            _ => {}
        }
    }
    let mut v = view(&ctx);
    let Some(kind) = kind.filter(|k| allowed(&ctx.actor, *k)) else {
        return Err(PageError::Status(StatusCode::BAD_REQUEST, "error-import-kind"));
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        v.error = Some(ctx.tr.t("error-no-file"));
        return Ok((StatusCode::BAD_REQUEST, v).into_response());
    };
    let format = SheetFormat::from_file_name(&name).unwrap_or_else(|| SheetFormat::sniff(&bytes));
    let result = match read_sheet(&bytes, format) {
        Ok(sheet) => app.store.import(&ctx.actor, kind, &sheet, &|_, _| {}).await,
        Err(e) => Err(StoreError::Sheet(e)),
    };
    match result {
        Ok(s) => {
            v.summary = Some(summary_text(&ctx.tr, &s));
            Ok(v.into_response())
        }
        Err(StoreError::Rejected(report)) => {
            v.error = Some(ctx.tr.t_with("import-rejected", &[("count", report.total.to_string())]));
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
        Err(StoreError::Sheet(e)) => {
            v.error = Some(format!("{}: {e}", ctx.tr.t("error-unreadable-file")));
            Ok((StatusCode::BAD_REQUEST, v).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// csv or xlsx; otherwise taken from Content-Type, then from the bytes.
    pub format: Option<String>,
}

/// Imports a CSV or XLSX file sent as the request body; all or nothing.
#[utoipa::path(post, path = "/api/v1/imports/{kind}", tag = "imports", params(("kind" = String, Path, description = "places, residents or cadres"), ImportQuery),
    responses((status = 200, description = "imported, updated, unchanged", body = ImportSummary), (status = 422, description = "rejected: every bad row in details")))]
pub async fn api_import(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(kind): Path<String>,
    Query(q): Query<ImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ImportSummary>, ApiError> {
    let kind = ImportKind::parse(&kind).ok_or_else(|| {
        ApiError::Status(StatusCode::NOT_FOUND, "not-found", "import kinds are places, residents, cadres".into())
    })?;
    if body.is_empty() {
        return Err(ApiError::Status(StatusCode::BAD_REQUEST, "no-file", "send the file as the request body".into()));
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let format = q
        .format
        .as_deref()
        .and_then(SheetFormat::parse)
        .or_else(|| if content_type.contains("spreadsheetml") { Some(SheetFormat::Xlsx) } else { None })
        .or_else(|| if content_type.starts_with("text/csv") { Some(SheetFormat::Csv) } else { None })
        .unwrap_or_else(|| SheetFormat::sniff(&body));
    let sheet = read_sheet(&body, format).map_err(StoreError::Sheet)?;
    Ok(Json(app.store.import(&actor, kind, &sheet, &|_, _| {}).await?))
}

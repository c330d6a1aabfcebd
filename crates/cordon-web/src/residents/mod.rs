//! Residents: lists and detail pages with personal numbers masked, reveal as a
//! logged action, and exports of what the caller may see, streamed.

pub(crate) mod download;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use cordon_domain::Capability;
use cordon_domain::residents::SpecialGroup;
use cordon_store::residents::{Resident, ResidentFilter, Reveal, RevealField, Search};
use cordon_store::sheets::SheetFormat;
use cordon_store::{Keyset, Slice, StoreError};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::accounts::{ApiActor, Ctx};
use crate::error::{ApiError, PageError};
use crate::views::{Layout, Pager};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/residents", get(index))
        .route("/residents/export", get(export).post(export_posted))
        .route("/residents/{id}", get(detail))
        .route("/residents/{id}/reveal", post(reveal))
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_list))
        .routes(routes!(api_export))
        .routes(routes!(api_get))
        .routes(routes!(api_reveal))
}

/// Filters of the resident list.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
pub struct ResidentQuery {
    /// A whole ID number (exact match; audited, at most 30 a minute: 429 `search-too-many`), or the start of a name.
    pub q: Option<String>,
    /// Only below this place.
    pub place: Option<i64>,
    /// Only this special group (elderly-alone, dialysis, pregnant, disabled, chronic-illness, infant).
    pub tag: Option<String>,
    /// The rows after this resident (the `next` of the previous page).
    pub after: Option<i64>,
    /// The rows before this resident (the `prev` of the next page).
    pub before: Option<i64>,
    /// Rows per page (at most 500).
    pub per_page: Option<i64>,
}

impl ResidentQuery {
    fn keyset(&self) -> Keyset {
        Keyset::new(self.after, self.before, self.per_page)
    }

    fn filter(&self) -> ResidentFilter {
        ResidentFilter {
            q: self.q.clone(),
            place_id: self.place,
            tag: self.tag.as_deref().and_then(SpecialGroup::parse),
        }
    }
}

/// One choice of the special-group filter.
struct TagOption {
    key: &'static str,
    label: String,
    selected: bool,
}

/// A resident row with its tags translated.
struct Row {
    r: Resident,
    tags: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "residents/index.html")]
struct IndexView {
    l: Layout,
    rows: Vec<Row>,
    q: String,
    /// "Looked up by ID number ****…1234", when the search was by a whole ID number.
    searched: Option<String>,
    place: String,
    tags: Vec<TagOption>,
    pager: Pager,
    can_export: bool,
    /// May export with full numbers.
    can_reveal: bool,
}

async fn index(State(app): State<AppState>, ctx: Ctx, Query(q): Query<ResidentQuery>) -> Result<IndexView, PageError> {
    let filter = q.filter();
    let page = app.store.residents(&ctx.actor, &filter, q.keyset(), app.zone).await?;
    // A whole ID number is not written back into the page (box or links): the
    // page shows it masked, like every other number. It matches one person at
    // most, so its result needs no further pages.
    let searched = match filter.search() {
        Some(Search::IdNumber(id)) => Some(ctx.tr.t_with("search-by-id-number", &[("number", id.masked())])),
        _ => None,
    };
    let typed = if searched.is_some() { String::new() } else { q.q.clone().unwrap_or_default() };
    let params = [
        ("q", typed.clone()),
        ("place", q.place.map(|p| p.to_string()).unwrap_or_default()),
        ("tag", q.tag.clone().unwrap_or_default()),
    ];
    let pager = Pager::keyset("/residents", &params, &page);
    let tr = ctx.tr;
    let mut l = Layout::new(&ctx, "nav-residents");
    if searched.is_some() {
        // The language switch comes back to the list, not to the address with the number in it.
        let back = format!("/residents?{}", serde_urlencoded::to_string(params).unwrap_or_default());
        l.langs = crate::views::langs(tr.lang, &back);
    }
    let rows = page
        .items
        .into_iter()
        .map(|r| Row { tags: r.tags.iter().map(|t| tr.t(&format!("tag-{}", t.as_str()))).collect(), r })
        .collect();
    Ok(IndexView {
        rows,
        q: typed,
        searched,
        place: q.place.map(|p| p.to_string()).unwrap_or_default(),
        tags: SpecialGroup::ALL
            .iter()
            .map(|t| TagOption {
                key: t.as_str(),
                label: tr.t(&format!("tag-{}", t.as_str())),
                selected: q.tag.as_deref() == Some(t.as_str()),
            })
            .collect(),
        pager,
        can_export: ctx.actor.can(Capability::Export),
        can_reveal: ctx.actor.can(Capability::RevealPersonal),
        l,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "residents/detail.html")]
struct DetailView {
    l: Layout,
    r: Resident,
    tags: Vec<String>,
    /// The age, worded.
    age: String,
    id_number: Option<String>,
    phone: Option<String>,
    can_reveal: bool,
}

async fn detail_view(app: &AppState, ctx: &Ctx, id: i64) -> Result<DetailView, PageError> {
    let r = app.store.resident(&ctx.actor, id, app.zone).await?;
    Ok(DetailView {
        tags: r.tags.iter().map(|t| ctx.tr.t(&format!("tag-{}", t.as_str()))).collect(),
        can_reveal: ctx.actor.can(Capability::RevealPersonal),
        age: ctx.tr.t_with("age-years", &[("age", r.age.to_string())]),
        l: Layout::titled(ctx, r.name.clone()),
        r,
        id_number: None,
        phone: None,
    })
}

async fn detail(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<DetailView, PageError> {
    detail_view(&app, &ctx, id).await
}

#[derive(Deserialize)]
struct RevealForm {
    pub field: String,
}

fn parse_field(s: &str) -> Option<RevealField> {
    match s {
        "id-number" => Some(RevealField::IdNumber),
        "phone" => Some(RevealField::Phone),
        _ => None,
    }
}

async fn reveal(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<RevealForm>,
) -> Result<DetailView, PageError> {
    let field = parse_field(&f.field).ok_or(PageError::Status(axum::http::StatusCode::BAD_REQUEST, "error-invalid"))?;
    let value = app.store.reveal_resident(&ctx.actor, id, field).await?;
    let mut view = detail_view(&app, &ctx, id).await?;
    match field {
        RevealField::IdNumber => view.id_number = Some(value),
        RevealField::Phone => view.phone = Some(value),
    }
    Ok(view)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// csv or xlsx.
    pub format: Option<String>,
    /// true: full ID numbers and phones, for a file to edit and import again
    /// (only for roles that may reveal them; recorded in the audit log).
    pub reveal: Option<bool>,
}

/// The export form of the list page: the tick for full numbers comes as a
/// checkbox, and the request is a POST so that no other site can make a
/// browser ask for (and the log record) a file of full numbers.
#[derive(Deserialize)]
pub struct ExportForm {
    pub format: Option<String>,
    pub reveal: Option<String>,
}

async fn export_file(
    app: &AppState,
    actor: &cordon_domain::Actor,
    format: Option<&str>,
    reveal: Reveal,
) -> Result<Response, StoreError> {
    let format = SheetFormat::parse(format.unwrap_or("xlsx"))
        .ok_or_else(|| StoreError::invalid(cordon_domain::Key::ExportBadFormat))?;
    if reveal == Reveal::Full && !actor.can(Capability::RevealPersonal) {
        return Err(StoreError::Forbidden);
    }
    let (store, actor, zone) = (app.store.clone(), actor.clone(), app.zone);
    let name = format!("residents.{}", format.extension());
    download::streamed(format.content_type(), &name, move |sink| async move {
        store.export_residents_to(&actor, format, zone, reveal, sink).await
    })
    .await
}

fn reveal_of(full: bool) -> Reveal {
    if full { Reveal::Full } else { Reveal::Masked }
}

async fn export(State(app): State<AppState>, ctx: Ctx, Query(q): Query<ExportQuery>) -> Result<Response, PageError> {
    // Full numbers only by the page's form (a POST), never by a link.
    Ok(export_file(&app, &ctx.actor, q.format.as_deref(), Reveal::Masked).await?)
}

async fn export_posted(
    State(app): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ExportForm>,
) -> Result<Response, PageError> {
    let reveal = reveal_of(f.reveal.is_some_and(|v| !v.is_empty()));
    Ok(export_file(&app, &ctx.actor, f.format.as_deref(), reveal).await?)
}

/// Residents in the caller's scope, a page at a time by keyset (follow `next` with `after=`, `prev` with `before=`); ID numbers masked to their last four characters, phones masked, ages instead of birth dates. `q` as a whole ID number is an exact, audited look-up (429 past 30 a minute).
#[utoipa::path(get, path = "/api/v1/residents", tag = "residents", params(ResidentQuery), responses((status = 200, description = "a page of residents", body = Slice<Resident>), (status = 429, description = "too many look-ups by ID number (search-too-many)")))]
pub async fn api_list(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ResidentQuery>,
) -> Result<Json<Slice<Resident>>, ApiError> {
    Ok(Json(app.store.residents(&actor, &q.filter(), q.keyset(), app.zone).await?))
}

/// One resident.
#[utoipa::path(get, path = "/api/v1/residents/{id}", tag = "residents", params(("id" = i64, Path)), responses((status = 200, description = "the resident", body = Resident), (status = 404, description = "no such resident in scope")))]
pub async fn api_get(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Resident>, ApiError> {
    Ok(Json(app.store.resident(&actor, id, app.zone).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct RevealQuery {
    /// id-number or phone.
    pub field: String,
}

/// A resident's ID number or phone in full; the reveal is logged.
#[utoipa::path(post, path = "/api/v1/residents/{id}/reveal", tag = "residents", params(("id" = i64, Path), RevealQuery), responses((status = 200, description = "the value")))]
pub async fn api_reveal(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Query(q): Query<RevealQuery>,
) -> Result<Json<Value>, ApiError> {
    let field = parse_field(&q.field).ok_or(StoreError::invalid(cordon_domain::Key::RevealBadField))?;
    let value = app.store.reveal_resident(&actor, id, field).await?;
    Ok(Json(json!({"id": id, "field": field.as_str(), "value": value})))
}

/// Every resident the caller may see, as CSV or XLSX, in the columns of the residents import (street, community, compound, building, entrance, room, name, ID number, phone, tags; then age, sex, id), so that the file imports again; masked, or with `reveal=true` in full for roles that may reveal (403 otherwise; recorded in the audit log).
#[utoipa::path(get, path = "/api/v1/residents/export", tag = "residents", params(ExportQuery), responses((status = 200, description = "the file")))]
pub async fn api_export(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    Ok(export_file(&app, &actor, q.format.as_deref(), reveal_of(q.reveal.unwrap_or(false))).await?)
}

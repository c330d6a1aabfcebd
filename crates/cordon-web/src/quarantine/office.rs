//! The site office: what the site manager and the information group do
//! before and as people arrive (the site's steps, a batch, its manifest,
//! check-in), the rooms' steps by the hotel and the CDC group, and a lab's
//! results file, on pages and under `/api/v1`. Each route asks the caller's
//! role at the site (`keeps_roll`, `keeps_rooms`, `records_tests`) before a
//! byte of a file is read; the store asks again.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDateTime, Utc};
use cordon_domain::quarantine::manifest::Passport;
use cordon_domain::quarantine::site::{RoomEvent, RoomNo, RoomState, SiteRole};
use cordon_domain::{Actor, Key};
use cordon_store::StoreError;
use cordon_store::imports::ImportSummary;
use cordon_store::quarantine::{Batch, CheckIn, NewBatch};
use cordon_store::sheets::{Sheet, SheetFormat, SheetLimits, read_sheet_within};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::AppState;
use crate::accounts::{ApiActor, Ctx};
use crate::error::{ApiError, PageError};
use crate::imports::{ImportQuery, Outcome, file_body, rejected};
use crate::views::Layout;

/// A manifest or a results file is a few hundred rows: well inside this.
const SITE_FILE_LIMIT: usize = 8 * 1024 * 1024;

/// Days a positive in a results file adds to each roommate's stay, unless the API says otherwise.
const ROOMMATE_DAYS: u32 = 7;

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/quarantine/sites", post(site_upload).layer(DefaultBodyLimit::max(SITE_FILE_LIMIT)))
        .route("/quarantine/sites/{id}/step", post(site_step_form))
        .route("/quarantine/sites/{id}/rooms/{room}/step", post(room_step_form))
        .route("/quarantine/sites/{id}/batches", post(batch_form))
        .route("/quarantine/batches/{id}/manifest", post(manifest_upload).layer(DefaultBodyLimit::max(SITE_FILE_LIMIT)))
        .route("/quarantine/batches/{id}/check-in", post(check_in_form))
        .route(
            "/quarantine/batches/{id}/results-file",
            post(results_upload).layer(DefaultBodyLimit::max(SITE_FILE_LIMIT)),
        )
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_policies, api_add_policy))
        .routes(routes!(api_create_site).layer(DefaultBodyLimit::max(SITE_FILE_LIMIT)))
        .routes(routes!(api_site_step))
        .routes(routes!(api_room_step))
        .routes(routes!(api_create_batch))
        .routes(routes!(api_manifest).layer(DefaultBodyLimit::max(SITE_FILE_LIMIT)))
        .routes(routes!(api_check_in))
        .routes(routes!(api_results_file).layer(DefaultBodyLimit::max(SITE_FILE_LIMIT)))
}

/// The caller's role at a site if it passes `allowed`; refused otherwise,
/// before anything the caller sent is read.
async fn role_that(
    app: &AppState,
    actor: &Actor,
    site_id: i64,
    allowed: fn(SiteRole) -> bool,
) -> Result<SiteRole, StoreError> {
    let role = app.store.site_role(actor, site_id).await?;
    if allowed(role) { Ok(role) } else { Err(StoreError::Forbidden) }
}

/// A batch the caller sees, and the right to do `allowed` at its site.
async fn batch_for(app: &AppState, actor: &Actor, id: i64, allowed: fn(SiteRole) -> bool) -> Result<Batch, StoreError> {
    let b = app.store.batch(actor, id).await?;
    role_that(app, actor, b.site_id, allowed).await?;
    Ok(b)
}

/// What a file sent to a batch is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BatchFile {
    /// The people of the batch (`import_manifest`).
    Manifest,
    /// Test results from a lab (`import_results`).
    Results,
}

impl BatchFile {
    fn allowed(self) -> fn(SiteRole) -> bool {
        match self {
            BatchFile::Manifest => SiteRole::keeps_roll,
            BatchFile::Results => SiteRole::records_tests,
        }
    }

    /// The page route it is uploaded to, under the batch.
    fn action(self) -> &'static str {
        match self {
            BatchFile::Manifest => "manifest",
            BatchFile::Results => "results-file",
        }
    }

    async fn import(
        self,
        app: &AppState,
        actor: &Actor,
        b: &Batch,
        sheet: &Sheet,
        roommate_days: u32,
    ) -> Result<ImportSummary, StoreError> {
        match self {
            BatchFile::Manifest => app.store.import_manifest(actor, b, sheet, &|_| {}).await,
            BatchFile::Results => app.store.import_results(actor, b, sheet, roommate_days).await,
        }
    }

    /// "Imported 110, updated 0, unchanged 0", or for results "recorded 12, unchanged 3".
    fn summary(self, tr: &crate::i18n::Tr, s: &ImportSummary) -> String {
        match self {
            BatchFile::Manifest => tr.t_with(
                "import-done",
                &[
                    ("imported", s.imported.to_string()),
                    ("updated", s.updated.to_string()),
                    ("unchanged", s.unchanged.to_string()),
                ],
            ),
            BatchFile::Results => tr.t_with(
                "office-results-done",
                &[("recorded", s.imported.to_string()), ("unchanged", s.unchanged.to_string())],
            ),
        }
    }
}

/// A file as cells, within the limits a page's file is read within.
fn sheet_of(bytes: &[u8], format: SheetFormat) -> Result<Sheet, StoreError> {
    read_sheet_within(bytes, format, &SheetLimits::DEFAULT).map_err(StoreError::from)
}

/// The `file` field of an upload form, and its format (by its name, else its bytes).
async fn file_field(multipart: &mut Multipart) -> Result<Option<(Bytes, SheetFormat)>, PageError> {
    let bad_upload = |_| PageError::Status(StatusCode::BAD_REQUEST, "error-upload");
    while let Some(field) = multipart.next_field().await.map_err(bad_upload)? {
        if field.name() == Some("file") {
            return sheet_file(field).await;
        }
    }
    Ok(None)
}

/// A file field's bytes, within the route's limit, and its format; `None` when empty.
async fn sheet_file(field: axum::extract::multipart::Field<'_>) -> Result<Option<(Bytes, SheetFormat)>, PageError> {
    let name = field.file_name().unwrap_or("").to_string();
    let bytes =
        field.bytes().await.map_err(|_| PageError::Status(StatusCode::PAYLOAD_TOO_LARGE, "error-upload-too-large"))?;
    let format = SheetFormat::from_file_name(&name).unwrap_or_else(|| SheetFormat::sniff(&bytes));
    Ok((!bytes.is_empty()).then_some((bytes, format)))
}

#[derive(Template, WebTemplate)]
#[template(path = "quarantine/upload.html")]
struct UploadView {
    l: Layout,
    b: Batch,
    o: Outcome,
    /// The form to send the file again (fixed) from, after a refusal.
    again: Option<&'static str>,
}

async fn batch_upload(
    app: &AppState,
    ctx: &Ctx,
    id: i64,
    what: BatchFile,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    // Before a byte of the body: a group that may not send this file is refused here.
    let b = batch_for(app, &ctx.actor, id, what.allowed()).await?;
    let site = app.store.site(&ctx.actor, b.site_id).await?;
    let l = Layout::titled(ctx, format!("{} · {}", site.name, b.name));
    let (status, o) = match file_field(&mut multipart).await? {
        None => (StatusCode::BAD_REQUEST, Outcome { error: Some(ctx.tr.t("error-no-file")), ..Outcome::default() }),
        Some((bytes, format)) => {
            let done = match sheet_of(&bytes, format) {
                Ok(sheet) => what.import(app, &ctx.actor, &b, &sheet, ROOMMATE_DAYS).await,
                Err(e) => Err(e),
            };
            match done {
                Ok(s) => (StatusCode::OK, Outcome { summary: Some(what.summary(&ctx.tr, &s)), ..Outcome::default() }),
                Err(e) => Outcome::failed(&ctx.tr, e)?,
            }
        }
    };
    let again = (status != StatusCode::OK).then_some(what.action());
    Ok((status, UploadView { l, b, o, again }).into_response())
}

/// The manifest uploaded on the batch's page: the people, whole or nothing.
async fn manifest_upload(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    batch_upload(&app, &ctx, id, BatchFile::Manifest, multipart).await
}

/// A lab's results file uploaded on the batch's page, whole or nothing.
async fn results_upload(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    batch_upload(&app, &ctx, id, BatchFile::Results, multipart).await
}

#[derive(Deserialize)]
struct CheckInForm {
    /// A manual move: this passport into `room` (both empty for the plan alone).
    #[serde(default)]
    passport: String,
    #[serde(default)]
    room: String,
}

/// One move, or none when both cells are empty.
fn one_move(passport: &str, room: &str) -> Result<Option<(Passport, RoomNo)>, StoreError> {
    match (passport.trim(), room.trim()) {
        ("", "") => Ok(None),
        ("", _) | (_, "") => Err(StoreError::invalid(Key::QuarantineMoveEmpty)),
        (passport, room) => Ok(Some((
            Passport::parse(passport).map_err(StoreError::invalid)?,
            RoomNo::parse(room).map_err(StoreError::invalid)?,
        ))),
    }
}

/// "Checked in 110 into 98 rooms; 0 had a room already."
fn check_in_text(tr: &crate::i18n::Tr, c: &CheckIn) -> String {
    tr.t_with(
        "office-checked-in",
        &[("people", c.checked_in.to_string()), ("rooms", c.rooms.to_string()), ("already", c.already_in.to_string())],
    )
}

/// Check-in from the batch's page: everyone without a room gets one, or
/// nobody when rooms are short (the page says so).
async fn check_in_form(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CheckInForm>,
) -> Result<Response, PageError> {
    let b = batch_for(&app, &ctx.actor, id, SiteRole::keeps_roll).await?;
    let site = app.store.site(&ctx.actor, b.site_id).await?;
    let l = Layout::titled(&ctx, format!("{} · {}", site.name, b.name));
    let done = match one_move(&f.passport, &f.room) {
        Ok(m) => app.store.check_in(&ctx.actor, &b, m.as_slice()).await,
        Err(e) => Err(e),
    };
    let (status, o) = match done {
        Ok(c) => (StatusCode::OK, Outcome { summary: Some(check_in_text(&ctx.tr, &c)), ..Outcome::default() }),
        Err(e) => Outcome::failed(&ctx.tr, e)?,
    };
    Ok((status, UploadView { l, b, o, again: None }).into_response())
}

#[derive(Deserialize)]
struct StepForm {
    step: String,
    /// Ticked for a step there is no way back from.
    confirm: Option<String>,
}

/// The site's next step from its page (the manager, the information group).
/// Terminal disinfection and closing cannot be undone (no batch, no result
/// after them), so the page asks for a tick first, and so does this.
async fn site_step_form(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<StepForm>,
) -> Result<Response, PageError> {
    role_that(&app, &ctx.actor, id, SiteRole::keeps_roll).await?;
    if cordon_domain::quarantine::site::SiteState::final_step(&f.step) && f.confirm.as_deref() != Some("yes") {
        return Err(PageError::Status(StatusCode::UNPROCESSABLE_ENTITY, "error-site-step-confirm"));
    }
    app.store.step_site(&ctx.actor, id, &f.step).await?;
    Ok(Redirect::to(&format!("/quarantine/sites/{id}")).into_response())
}

/// A room's event named by hand, or a refusal that says which events there are.
fn room_event(key: &str) -> Result<RoomEvent, StoreError> {
    RoomEvent::by_hand(key).ok_or_else(|| {
        StoreError::invalid(
            Key::QuarantineRoomStep.with("from", "").with("event", key.chars().take(40).collect::<String>()),
        )
    })
}

#[derive(Deserialize)]
struct RoomStepForm {
    event: String,
}

/// A room disinfected, taken out of service or back in use, from the site's page.
async fn room_step_form(
    State(app): State<AppState>,
    ctx: Ctx,
    Path((id, room)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<RoomStepForm>,
) -> Result<Response, PageError> {
    role_that(&app, &ctx.actor, id, SiteRole::keeps_rooms).await?;
    app.store.step_room(&ctx.actor, id, room, room_event(&f.event)?).await?;
    Ok(Redirect::to(&format!("/quarantine/sites/{id}#rooms")).into_response())
}

#[derive(Deserialize)]
struct BatchForm {
    name: String,
    policy: String,
    /// The local time of arrival in the site's zone, as a `datetime-local` input gives it.
    arrived_at: String,
    transport: String,
    #[serde(default)]
    origin: String,
}

/// A `datetime-local` value (2026-09-16T15:30, seconds optional), in the site's zone.
fn local_arrival(zone: cordon_domain::clock::Zone, text: &str) -> Result<DateTime<Utc>, StoreError> {
    let text = text.trim();
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .map(|local| zone.instant(local))
        .map_err(|_| {
            StoreError::invalid(Key::QuarantineArrivalTime.with("value", text.chars().take(40).collect::<String>()))
        })
}

/// A new batch from the site's page; its page is next, to upload the manifest.
async fn batch_form(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<BatchForm>,
) -> Result<Response, PageError> {
    role_that(&app, &ctx.actor, id, SiteRole::keeps_roll).await?;
    let site = app.store.site(&ctx.actor, id).await?;
    let arrived_at = local_arrival(site.zone, &f.arrived_at)?;
    let new = NewBatch { name: &f.name, policy: &f.policy, arrived_at, transport: &f.transport, origin: &f.origin };
    let b = app.store.create_batch(&ctx.actor, id, &new).await?;
    Ok(Redirect::to(&format!("/quarantine/batches/{}", b.id)).into_response())
}

/// A step of a site's state machine.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SiteStepBody {
    /// prepare, activate, disinfect or close.
    pub step: String,
}

/// A state after a step.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StateBody {
    /// The state's key.
    pub state: &'static str,
}

/// Takes a site's step (the manager, the information group): standby →
/// preparing → active (with a usable room) → terminal disinfection (nobody
/// left) → closed.
#[utoipa::path(post, path = "/api/v1/quarantine/sites/{id}/steps", tag = "quarantine", params(("id" = i64, Path)), request_body = SiteStepBody,
    responses((status = 200, description = "the site's new state", body = StateBody), (status = 403, description = "the caller's group does not run the site"),
        (status = 422, description = "the step does not follow from the site's state, or its condition does not hold")))]
pub async fn api_site_step(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<SiteStepBody>,
) -> Result<Json<StateBody>, ApiError> {
    let state = app.store.step_site(&actor, id, &body.step).await?;
    Ok(Json(StateBody { state: state.as_str() }))
}

/// A room's event by hand.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RoomStepBody {
    /// disinfect, take-out-of-service or restore.
    pub event: String,
}

/// Takes a room's step by hand (the manager, the hotel and CDC groups):
/// awaiting disinfection → vacant, vacant or awaiting disinfection → out of
/// service, out of service → awaiting disinfection. People move in and out
/// by check-in, release and transfer only.
#[utoipa::path(post, path = "/api/v1/quarantine/sites/{id}/rooms/{room}/steps", tag = "quarantine", params(("id" = i64, Path), ("room" = i64, Path)), request_body = RoomStepBody,
    responses((status = 200, description = "the room's new state", body = StateBody), (status = 403, description = "the caller's group does not keep rooms"),
        (status = 404, description = "no such room at the site"), (status = 422, description = "the event does not follow from the room's state")))]
pub async fn api_room_step(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((id, room)): Path<(i64, i64)>,
    Json(body): Json<RoomStepBody>,
) -> Result<Json<StateBody>, ApiError> {
    role_that(&app, &actor, id, SiteRole::keeps_rooms).await?;
    let state: RoomState = app.store.step_room(&actor, id, room, room_event(&body.event)?).await?;
    Ok(Json(StateBody { state: state.as_str() }))
}

/// A new arrival batch.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct BatchBody {
    /// Unique at the site.
    pub name: String,
    /// A preset ("7+7", "14+7", "10+7", "5+3") or one the command added.
    pub policy: String,
    /// The instant of arrival, RFC 3339 with its offset (its local date at the site is day 0).
    #[schema(value_type = String)]
    pub arrived_at: DateTime<chrono::FixedOffset>,
    /// Flight number, train or charter.
    pub transport: String,
    /// Where it came from.
    #[serde(default)]
    pub origin: String,
}

/// Creates an arrival batch at a site (the manager, the information group).
#[utoipa::path(post, path = "/api/v1/quarantine/sites/{id}/batches", tag = "quarantine", params(("id" = i64, Path)), request_body = BatchBody,
    responses((status = 200, description = "the batch", body = Object), (status = 403, description = "the caller's group does not keep the roll"),
        (status = 409, description = "the site has a batch of that name"), (status = 422, description = "bad input, an unknown policy, or the site is closing")))]
pub async fn api_create_batch(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<BatchBody>,
) -> Result<Json<Batch>, ApiError> {
    let new = NewBatch {
        name: &body.name,
        policy: &body.policy,
        arrived_at: body.arrived_at.with_timezone(&Utc),
        transport: &body.transport,
        origin: &body.origin,
    };
    Ok(Json(app.store.create_batch(&actor, id, &new).await?))
}

/// A file for a batch sent as the request's body, imported whole or not at all.
async fn api_batch_file(
    app: &AppState,
    actor: &Actor,
    id: i64,
    what: BatchFile,
    q: &ImportQuery,
    roommate_days: u32,
    request: Request,
) -> Result<Response, ApiError> {
    // The role first; only then the body.
    let b = batch_for(app, actor, id, what.allowed()).await?;
    let (body, format) = match file_body(app, q, request).await {
        Ok(file) => file,
        Err(refused) => return Ok(refused),
    };
    match what.import(app, actor, &b, &sheet_of(&body, format)?, roommate_days).await {
        Ok(summary) => Ok(Json(summary).into_response()),
        Err(StoreError::Rejected(report)) => Ok(rejected(&report)),
        Err(e) => Err(e.into()),
    }
}

/// Imports a batch's manifest (CSV or XLSX as the body; the manager, the
/// information group): whole or nothing, keyed by passport; the same file
/// twice changes nothing.
#[utoipa::path(post, path = "/api/v1/quarantine/batches/{id}/manifest", tag = "quarantine", params(("id" = i64, Path), ImportQuery),
    responses((status = 200, description = "imported, updated, unchanged", body = ImportSummary), (status = 403, description = "the caller's group does not keep the roll; the body is not read"),
        (status = 422, description = "rejected: the bad cells in details, their total, the full report's URL in report")))]
pub async fn api_manifest(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Query(q): Query<ImportQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    api_batch_file(&app, &actor, id, BatchFile::Manifest, &q, ROOMMATE_DAYS, request).await
}

/// The query of a results file.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ResultsFileQuery {
    /// csv or xlsx; otherwise taken from Content-Type, then from the bytes.
    pub format: Option<String>,
    /// Days a positive adds to each roommate's stay (default 7).
    pub roommate_days: Option<u32>,
}

/// Imports a lab's results (护照号 passport, 检测日期 day, 结果 result) as
/// the body (the manager, the CDC and medical groups): whole or nothing; the
/// same file again records nothing; each positive opens its transfer and
/// extends its roommates' stays as a result by hand does.
#[utoipa::path(post, path = "/api/v1/quarantine/batches/{id}/results/import", tag = "quarantine", params(("id" = i64, Path), ResultsFileQuery),
    responses((status = 200, description = "recorded (imported) and unchanged", body = ImportSummary), (status = 403, description = "the caller's group does not record results; the body is not read"),
        (status = 422, description = "rejected: the bad cells in details, their total, the full report's URL in report")))]
pub async fn api_results_file(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Query(q): Query<ResultsFileQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    let format = ImportQuery { format: q.format };
    let days = q.roommate_days.unwrap_or(ROOMMATE_DAYS);
    api_batch_file(&app, &actor, id, BatchFile::Results, &format, days, request).await
}

/// A manual move at check-in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MoveBody {
    /// The person's passport number.
    pub passport: String,
    /// A vacant room's number.
    pub room: String,
}

/// Check-in's moves.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CheckInBody {
    /// People put in another vacant room than the plan chose.
    #[serde(default)]
    pub moves: Vec<MoveBody>,
}

/// Checks in the batch's people who have no room (the manager, the
/// information group) while the site is active: one a room, declared groups
/// together, the moves as asked; all of them or, when rooms are short, none.
/// The same call again checks nobody in twice.
#[utoipa::path(post, path = "/api/v1/quarantine/batches/{id}/check-in", tag = "quarantine", params(("id" = i64, Path)), request_body = CheckInBody,
    responses((status = 200, description = "checked_in, rooms, already_in", body = Object), (status = 403, description = "the caller's group does not keep the roll"),
        (status = 422, description = "rooms are short, a move names a room that is not vacant, or the site is not active")))]
pub async fn api_check_in(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<CheckInBody>,
) -> Result<Json<CheckIn>, ApiError> {
    let b = batch_for(&app, &actor, id, SiteRole::keeps_roll).await?;
    let moves = body
        .moves
        .iter()
        .map(|m| {
            one_move(&m.passport, &m.room).and_then(|m| m.ok_or_else(|| StoreError::invalid(Key::QuarantineMoveEmpty)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(app.store.check_in(&actor, &b, &moves).await?))
}

/// A policy as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PolicyBody {
    /// "a+b", e.g. 7+7.
    pub name: String,
    /// Days on site (a).
    pub onsite_days: u32,
    /// Days of home monitoring (b).
    pub home_days: u32,
    /// The test days on site, counted from day 0, the local date of arrival.
    pub onsite_tests: Vec<u32>,
    /// The test days of home monitoring, counted the same way.
    pub home_tests: Vec<u32>,
}

impl From<&cordon_domain::quarantine::policy::Policy> for PolicyBody {
    fn from(p: &cordon_domain::quarantine::policy::Policy) -> PolicyBody {
        PolicyBody {
            name: p.name().to_string(),
            onsite_days: p.onsite_days(),
            home_days: p.home_days(),
            onsite_tests: p.onsite_tests().to_vec(),
            home_tests: p.home_tests().to_vec(),
        }
    }
}

/// The policies a batch may have: the presets, then those the command added.
#[utoipa::path(get, path = "/api/v1/quarantine/policies", tag = "quarantine",
    responses((status = 200, description = "the policies", body = Vec<PolicyBody>), (status = 403, description = "not a command or site account")))]
pub async fn api_policies(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<PolicyBody>>, ApiError> {
    if !cordon_domain::quarantine::site::may_list_sites(&actor) {
        return Err(StoreError::Forbidden.into());
    }
    let custom = app.store.custom_policies().await?;
    let all = cordon_domain::quarantine::policy::Policy::presets().into_iter().chain(custom);
    Ok(Json(all.map(|p| PolicyBody::from(&p)).collect()))
}

/// A policy to add.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewPolicyBody {
    /// "a+b", e.g. 7+3; a preset's name is refused.
    pub name: String,
    /// The test days on site (1 to a).
    pub onsite_tests: Vec<u32>,
    /// The test days of home monitoring (a+1 to a+b).
    #[serde(default)]
    pub home_tests: Vec<u32>,
}

/// Adds a policy, or changes the test days of one added before (the command at city scope).
#[utoipa::path(post, path = "/api/v1/quarantine/policies", tag = "quarantine", request_body = NewPolicyBody,
    responses((status = 200, description = "the policy", body = PolicyBody), (status = 403, description = "not the command at city scope"),
        (status = 422, description = "not a+b, a preset's name, or test days outside their phase")))]
pub async fn api_add_policy(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(body): Json<NewPolicyBody>,
) -> Result<Json<PolicyBody>, ApiError> {
    let policy = app.store.add_policy(&actor, &body.name, &body.onsite_tests, &body.home_tests).await?;
    Ok(Json(PolicyBody::from(&policy)))
}

/// Where a new site is and what it is called.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NewSiteQuery {
    /// The site's name, e.g. 卓林酒店隔离点.
    pub name: String,
    /// The IANA time zone its days are counted in (default Asia/Shanghai).
    pub zone: Option<String>,
    /// csv or xlsx; otherwise taken from Content-Type, then from the bytes.
    pub format: Option<String>,
}

/// The zone a site is created in unless another is named.
const DEFAULT_ZONE: &str = "Asia/Shanghai";

/// Creates a site in standby with the rooms of a rooms file sent as the
/// body (楼层 floor, 房号 room, 床位 capacity; CSV or XLSX); whole or
/// nothing. The command at city scope only, refused before the body is read.
#[utoipa::path(post, path = "/api/v1/quarantine/sites", tag = "quarantine", params(NewSiteQuery),
    responses((status = 200, description = "the site's id, rooms and beds", body = Object), (status = 403, description = "not the command at city scope; the body is not read"),
        (status = 409, description = "a site of that name exists"), (status = 422, description = "rejected: the bad cells in details, or a bad name or zone")))]
pub async fn api_create_site(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<NewSiteQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    if !cordon_domain::quarantine::site::runs_sites(&actor) {
        return Err(StoreError::Forbidden.into());
    }
    let (body, format) = match file_body(&app, &ImportQuery { format: q.format.clone() }, request).await {
        Ok(file) => file,
        Err(refused) => return Ok(refused),
    };
    let zone = q.zone.as_deref().unwrap_or(DEFAULT_ZONE);
    match app.store.create_site(&actor, &q.name, zone, &sheet_of(&body, format)?).await {
        Ok(created) => Ok(Json(created).into_response()),
        Err(StoreError::Rejected(report)) => Ok(rejected(&report)),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "quarantine/site_created.html")]
struct SiteUploadView {
    l: Layout,
    o: Outcome,
}

/// A new site from the command's list of sites: its name and zone, then its
/// rooms file. The right is asked before the form is read.
async fn site_upload(State(app): State<AppState>, ctx: Ctx, mut multipart: Multipart) -> Result<Response, PageError> {
    if !cordon_domain::quarantine::site::runs_sites(&ctx.actor) {
        return Err(StoreError::Forbidden.into());
    }
    let bad_upload = |_| PageError::Status(StatusCode::BAD_REQUEST, "error-upload");
    let (mut name, mut zone, mut file) = (String::new(), DEFAULT_ZONE.to_string(), None);
    while let Some(field) = multipart.next_field().await.map_err(bad_upload)? {
        match field.name() {
            Some("name") => name = field.text().await.map_err(bad_upload)?,
            Some("zone") => zone = field.text().await.map_err(bad_upload)?,
            Some("file") => file = sheet_file(field).await?,
            _ => {}
        }
    }
    let l = Layout::new(&ctx, "nav-quarantine");
    let Some((bytes, format)) = file else {
        let o = Outcome { error: Some(ctx.tr.t("error-no-file")), ..Outcome::default() };
        return Ok((StatusCode::BAD_REQUEST, SiteUploadView { l, o }).into_response());
    };
    let made = match sheet_of(&bytes, format) {
        Ok(sheet) => app.store.create_site(&ctx.actor, &name, &zone, &sheet).await,
        Err(e) => Err(e),
    };
    match made {
        Ok(created) => Ok(Redirect::to(&format!("/quarantine/sites/{}", created.id)).into_response()),
        Err(e) => {
            let (status, o) = Outcome::failed(&ctx.tr, e)?;
            Ok((status, SiteUploadView { l, o }).into_response())
        }
    }
}

//! Duty rosters on pages and the API: the leader builds the week at the gate
//! on a phone and sees who is on duty now; a shift is staffed and handed over
//! on its own page; a member reads their own next shifts.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use cordon_domain::duty::ShiftPattern;
use cordon_domain::{Key, Refusal};
use cordon_store::StoreError;
use cordon_store::duty::{MyShift, Roster, RosterPlan, Shift, may_edit_roster};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::accounts::{ApiActor, Ctx};
use crate::error::{ApiError, PageError};
use crate::views::{Layout, field, ids_of, pairs};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The pattern a new roster starts from: three 8-hour shifts from 08:00.
const DEFAULT_PATTERN: &str = "08:00,16:00,00:00";

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/squads/{id}/roster", get(roster).post(build))
        .route("/squads/{id}/roster/clear", post(clear))
        .route("/shifts/{id}", get(shift))
        .route("/shifts/{id}/members", post(staff))
        .route("/shifts/{id}/handover", post(handover))
        .route("/me/shifts", get(mine))
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_roster, api_build, api_clear))
        .routes(routes!(api_shift))
        .routes(routes!(api_staff))
        .routes(routes!(api_handover))
        .routes(routes!(api_mine))
}

/// Which days a roster shows.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RangeQuery {
    /// The first local day (YYYY-MM-DD); default today.
    pub from: Option<NaiveDate>,
    /// How many days (1 to 14); default 7.
    pub days: Option<u32>,
}

/// "08:00–16:00" in local time (the day is shown beside it).
fn span(app: &AppState, start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let (s, e) = (app.zone.local(start), app.zone.local(end));
    format!("{}–{}", s.format("%H:%M"), e.format("%H:%M"))
}

fn names(people: &[cordon_store::duty::OnShift]) -> String {
    people.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join("、")
}

struct ShiftLine {
    id: i64,
    time: String,
    members: String,
    empty: bool,
    now: bool,
    handover: bool,
}

struct DayView {
    day: String,
    shifts: Vec<ShiftLine>,
}

struct CheckpointView {
    name: String,
    compound: String,
    on_duty: String,
    days: Vec<DayView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "duty/roster.html")]
struct RosterView {
    l: Layout,
    squad_id: i64,
    checkpoints: Vec<CheckpointView>,
    empty_shifts: usize,
    has_shifts: bool,
    can_edit: bool,
    error: Option<String>,
    today: String,
    prev: String,
    next: String,
    form: BuildForm,
}

/// The build form's fields, as the user last wrote them.
struct BuildForm {
    first_day: String,
    days: String,
    pattern: String,
    per_shift: String,
}

fn group(app: &AppState, r: &Roster) -> Vec<CheckpointView> {
    r.checkpoints
        .iter()
        .map(|c| {
            let mut days: Vec<DayView> = Vec::new();
            for s in &c.shifts {
                let day = app.zone.local(s.starts_at).format("%m-%d").to_string();
                if days.last().map(|d| d.day != day).unwrap_or(true) {
                    days.push(DayView { day, shifts: vec![] });
                }
                days.last_mut().expect("just pushed").shifts.push(ShiftLine {
                    id: s.id,
                    time: span(app, s.starts_at, s.ends_at),
                    members: names(&s.members),
                    empty: s.empty,
                    now: s.now,
                    handover: !s.handover.is_empty(),
                });
            }
            CheckpointView { name: c.name.clone(), compound: c.compound.clone(), on_duty: names(&c.on_duty), days }
        })
        .collect()
}

async fn roster_view(
    app: &AppState,
    ctx: &Ctx,
    id: i64,
    q: &RangeQuery,
    error: Option<String>,
    form: Option<BuildForm>,
) -> Result<RosterView, PageError> {
    let now = app.store.now();
    let today = app.zone.date_of(now);
    let from = q.from.unwrap_or(today);
    // A roster day begins at the pattern's first start (08:00): at 00:40 the
    // night shift running now belongs to yesterday's roster day.
    let pattern = ShiftPattern::parse(DEFAULT_PATTERN).expect("the default pattern parses");
    let build_from = if app.zone.local(now).time() < pattern.day_start() { today - Duration::days(1) } else { today };
    let r = app.store.roster(&ctx.actor, id, from, q.days.unwrap_or(7), app.zone, now).await?;
    // Enough people per shift to cover three shifts at every gate with everyone in turn.
    let per_shift = (r.members.len() / (3 * r.checkpoints.len().max(1))).max(1);
    Ok(RosterView {
        l: Layout::titled(ctx, format!("{} · {}", ctx.tr.t("roster-title"), r.squad)),
        squad_id: id,
        checkpoints: group(app, &r),
        has_shifts: r.checkpoints.iter().any(|c| !c.shifts.is_empty()),
        empty_shifts: r.empty_shifts,
        can_edit: r.editable,
        error,
        today: today.to_string(),
        prev: (from - Duration::days(i64::from(r.days))).to_string(),
        next: (from + Duration::days(i64::from(r.days))).to_string(),
        form: form.unwrap_or(BuildForm {
            first_day: build_from.to_string(),
            days: "7".into(),
            pattern: DEFAULT_PATTERN.into(),
            per_shift: per_shift.to_string(),
        }),
    })
}

async fn roster(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<RangeQuery>,
) -> Result<RosterView, PageError> {
    roster_view(&app, &ctx, id, &q, None, None).await
}

/// Reads a build form or body into a plan, or the refusal of the first bad field.
/// Only the reading is here: the ranges of days and people are the store's rules.
fn plan(first_day: &str, days: &str, pattern: &str, per_shift: &str) -> Result<RosterPlan, Refusal> {
    let first_day = NaiveDate::parse_from_str(first_day.trim(), "%Y-%m-%d").map_err(|_| Key::DutyBadDay)?;
    let days: u32 = days.trim().parse().map_err(|_| Key::DutyBadDays)?;
    let pattern = ShiftPattern::parse(pattern)?;
    let per_shift: usize = per_shift.trim().parse().map_err(|_| Key::DutyBadPerShift)?;
    Ok(RosterPlan { first_day, days, pattern, per_shift })
}

async fn build(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    body: String,
) -> Result<Response, PageError> {
    let f = pairs(&body);
    let form = BuildForm {
        first_day: field(&f, "first_day").to_string(),
        days: field(&f, "days").to_string(),
        pattern: field(&f, "pattern").to_string(),
        per_shift: field(&f, "per_shift").to_string(),
    };
    let result = match plan(&form.first_day, &form.days, &form.pattern, &form.per_shift) {
        Ok(plan) => app.store.build_roster(&ctx.actor, id, &plan, app.zone).await.map(|_| plan.first_day),
        Err(r) => Err(StoreError::Invalid(r)),
    };
    match result {
        Ok(first_day) => Ok(Redirect::to(&format!("/squads/{id}/roster?from={first_day}")).into_response()),
        // The page comes back with the message and what the user wrote.
        Err(StoreError::Invalid(m) | StoreError::Conflict(m)) => {
            let q = RangeQuery { from: None, days: None };
            let view = roster_view(&app, &ctx, id, &q, Some(ctx.tr.refusal(&m)), Some(form)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, view).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct ClearForm {
    from: String,
    /// The checkbox that says the user means it.
    sure: Option<String>,
}

async fn clear(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ClearForm>,
) -> Result<Response, PageError> {
    let from = NaiveDate::parse_from_str(f.from.trim(), "%Y-%m-%d");
    let result = match (f.sure.is_some(), from) {
        (false, _) => Err(ctx.tr.refusal(&Key::DutyClearUnsure.into())),
        (true, Err(_)) => Err(ctx.tr.refusal(&Key::DutyBadDay.into())),
        (true, Ok(from)) => match app.store.clear_roster(&ctx.actor, id, from, app.zone).await {
            Ok(_) => Ok(from),
            Err(StoreError::Invalid(m) | StoreError::Conflict(m)) => Err(ctx.tr.refusal(&m)),
            Err(e) => return Err(e.into()),
        },
    };
    match result {
        Ok(from) => Ok(Redirect::to(&format!("/squads/{id}/roster?from={from}")).into_response()),
        Err(m) => {
            let q = RangeQuery { from: None, days: None };
            let view = roster_view(&app, &ctx, id, &q, Some(m), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, view).into_response())
        }
    }
}

struct Pick {
    id: i64,
    name: String,
    on: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "duty/shift.html")]
struct ShiftView {
    l: Layout,
    s: Shift,
    squad: String,
    day: String,
    time: String,
    picks: Vec<Pick>,
    can_edit: bool,
    can_hand_over: bool,
    error: Option<String>,
}

async fn shift_view(app: &AppState, ctx: &Ctx, id: i64, error: Option<String>) -> Result<ShiftView, PageError> {
    let (squad, s) = app.store.shift(&ctx.actor, id, app.store.now()).await?;
    let can_edit = may_edit_roster(&ctx.actor, &squad);
    let on_it = ctx.actor.cadre_id.is_some_and(|c| s.members.iter().any(|m| m.cadre_id == c));
    Ok(ShiftView {
        l: Layout::titled(ctx, format!("{} · {}", s.checkpoint, squad.compounds.join("、"))),
        squad: squad.name.clone(),
        day: app.zone.local(s.starts_at).format("%Y-%m-%d").to_string(),
        time: span(app, s.starts_at, s.ends_at),
        picks: squad
            .members
            .iter()
            .map(|m| Pick {
                id: m.cadre_id,
                name: m.name.clone(),
                on: s.members.iter().any(|x| x.cadre_id == m.cadre_id),
            })
            .collect(),
        can_hand_over: can_edit || on_it,
        can_edit,
        error,
        s,
    })
}

async fn shift(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<ShiftView, PageError> {
    shift_view(&app, &ctx, id, None).await
}

/// Back to the shift, or the shift's page with the message.
async fn after_shift(
    app: &AppState,
    ctx: &Ctx,
    id: i64,
    result: Result<(), StoreError>,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/shifts/{id}")).into_response()),
        Err(StoreError::Invalid(m) | StoreError::Conflict(m)) => {
            let view = shift_view(app, ctx, id, Some(ctx.tr.refusal(&m))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, view).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn staff(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    body: String,
) -> Result<Response, PageError> {
    let f = pairs(&body);
    // A cadre that is not a number is refused, not dropped: dropping it would
    // take that person off the shift without a word.
    let result = match ids_of(&f, "cadre") {
        Some(cadres) => app.store.staff_shift(&ctx.actor, id, &cadres).await,
        None => Err(StoreError::invalid(Key::DutyBadCadre)),
    };
    after_shift(&app, &ctx, id, result).await
}

#[derive(Deserialize)]
struct HandoverForm {
    note: String,
}

async fn handover(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<HandoverForm>,
) -> Result<Response, PageError> {
    let result = app.store.write_handover(&ctx.actor, id, &f.note).await;
    after_shift(&app, &ctx, id, result).await
}

struct MineLine {
    id: i64,
    day: String,
    time: String,
    place: String,
    now: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "duty/mine.html")]
struct MineView {
    l: Layout,
    linked: bool,
    shifts: Vec<MineLine>,
}

async fn mine(State(app): State<AppState>, ctx: Ctx) -> Result<MineView, PageError> {
    let now = app.store.now();
    let shifts = app.store.my_shifts(&ctx.actor, now, 20).await?;
    Ok(MineView {
        l: Layout::new(&ctx, "nav-my-shifts"),
        linked: ctx.actor.cadre_id.is_some(),
        shifts: shifts
            .into_iter()
            .map(|s| MineLine {
                id: s.id,
                day: app.zone.local(s.starts_at).format("%m-%d").to_string(),
                time: span(&app, s.starts_at, s.ends_at),
                place: format!("{} {}", s.compound, s.checkpoint),
                now: cordon_domain::duty::on_duty(s.starts_at, s.ends_at, now),
            })
            .collect(),
    })
}

/// A squad's roster: per checkpoint, who is on duty now and the shifts of the range.
#[utoipa::path(get, path = "/api/v1/squads/{id}/roster", tag = "duty", params(("id" = i64, Path), RangeQuery), responses((status = 200, description = "the roster", body = Roster), (status = 404, description = "no such squad in scope")))]
pub async fn api_roster(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Query(q): Query<RangeQuery>,
) -> Result<Json<Roster>, ApiError> {
    let now = app.store.now();
    let from = q.from.unwrap_or_else(|| app.zone.date_of(now));
    Ok(Json(app.store.roster(&actor, id, from, q.days.unwrap_or(7), app.zone, now).await?))
}

/// How to build a roster.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct BuildBody {
    /// The first local day, YYYY-MM-DD.
    pub first_day: String,
    /// How many days, 1 to 14.
    pub days: u32,
    /// Shift start times, e.g. `08:00,16:00,00:00`.
    pub pattern: String,
    /// People per shift at each checkpoint.
    pub per_shift: usize,
}

/// What a build made, and the roster after it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Built {
    /// Shifts made (those already on the roster at the same times are kept).
    pub made: usize,
    /// The roster of the built days.
    pub roster: Roster,
}

/// Builds shifts at every checkpoint of the squad's compounds from a pattern, members in turn.
#[utoipa::path(post, path = "/api/v1/squads/{id}/roster", tag = "duty", params(("id" = i64, Path)), request_body = BuildBody, responses((status = 200, description = "built", body = Built), (status = 403, description = "not a roster editor"), (status = 409, description = "overlaps shifts on the roster"), (status = 422, description = "bad input")))]
pub async fn api_build(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<BuildBody>,
) -> Result<Json<Built>, ApiError> {
    let plan = plan(&b.first_day, &b.days.to_string(), &b.pattern, &b.per_shift.to_string())?;
    let made = app.store.build_roster(&actor, id, &plan, app.zone).await?;
    let roster = app.store.roster(&actor, id, plan.first_day, plan.days, app.zone, app.store.now()).await?;
    Ok(Json(Built { made, roster }))
}

/// From which day a roster is cleared.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ClearQuery {
    /// The first local day (YYYY-MM-DD) whose shifts, not yet begun, go.
    pub from: NaiveDate,
}

/// How many shifts were taken off the roster.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Cleared {
    /// Shifts removed.
    pub cleared: u64,
}

/// Takes off the roster the squad's shifts from a day on that have not begun (to rebuild with another pattern).
#[utoipa::path(delete, path = "/api/v1/squads/{id}/roster", tag = "duty", params(("id" = i64, Path), ClearQuery), responses((status = 200, description = "cleared", body = Cleared), (status = 403, description = "not a roster editor")))]
pub async fn api_clear(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Query(q): Query<ClearQuery>,
) -> Result<Json<Cleared>, ApiError> {
    Ok(Json(Cleared { cleared: app.store.clear_roster(&actor, id, q.from, app.zone).await? }))
}

/// One shift.
#[utoipa::path(get, path = "/api/v1/shifts/{id}", tag = "duty", params(("id" = i64, Path)), responses((status = 200, description = "the shift", body = Shift), (status = 404, description = "no such shift in scope")))]
pub async fn api_shift(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Shift>, ApiError> {
    Ok(Json(app.store.shift(&actor, id, app.store.now()).await?.1))
}

/// Who stands a shift.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StaffBody {
    /// The members' cadre ids; everyone else is taken off the shift.
    pub cadre_ids: Vec<i64>,
}

/// Staffs a shift with squad members.
#[utoipa::path(put, path = "/api/v1/shifts/{id}/members", tag = "duty", params(("id" = i64, Path)), request_body = StaffBody, responses((status = 200, description = "the shift", body = Shift), (status = 403, description = "not a roster editor"), (status = 409, description = "someone is on another shift then"), (status = 422, description = "not a squad member")))]
pub async fn api_staff(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<StaffBody>,
) -> Result<Json<Shift>, ApiError> {
    app.store.staff_shift(&actor, id, &b.cadre_ids).await?;
    Ok(Json(app.store.shift(&actor, id, app.store.now()).await?.1))
}

/// A handover note.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct HandoverBody {
    /// The note, up to 1000 characters.
    pub note: String,
}

/// Writes a shift's handover note (a roster editor or someone on the shift).
#[utoipa::path(put, path = "/api/v1/shifts/{id}/handover", tag = "duty", params(("id" = i64, Path)), request_body = HandoverBody, responses((status = 200, description = "the shift", body = Shift), (status = 403, description = "not on this shift")))]
pub async fn api_handover(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<HandoverBody>,
) -> Result<Json<Shift>, ApiError> {
    app.store.write_handover(&actor, id, &b.note).await?;
    Ok(Json(app.store.shift(&actor, id, app.store.now()).await?.1))
}

/// The caller's own next shifts (empty for an account not tied to a cadre).
#[utoipa::path(get, path = "/api/v1/me/shifts", tag = "duty", responses((status = 200, description = "next shifts, earliest first", body = Vec<MyShift>)))]
pub async fn api_mine(State(app): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Vec<MyShift>>, ApiError> {
    Ok(Json(app.store.my_shifts(&actor, app.store.now(), 20).await?))
}

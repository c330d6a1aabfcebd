//! Mobilisation orders on pages and the API: the command issues, the unit's
//! coordinator answers with one tap per step on a phone, the leader reports on
//! site, the command sees every order in flight with the time each step took.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDateTime, Utc};
use cordon_domain::mobilisation::{OrderEvent, OrderState};
use cordon_domain::squads::SquadRole;
use cordon_domain::{Actor, Capability, Role};
use cordon_store::kits::KitStatus;
use cordon_store::mobilisation::{Candidate, NewOrder, Order, OrderFilter, Overview, Squad};
use cordon_store::places::CompoundRef;
use cordon_store::units::Unit;
use cordon_store::{Page, PageRequest, StoreError};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{ApiActor, Ctx, check_csrf};
use crate::error::{ApiError, PageError};
use crate::i18n::Tr;
use crate::views::{Layout, Pager, all_of, field, pairs};

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders", get(index).post(create))
        .route("/orders/new", get(new_form))
        .route("/orders/{id}", get(detail))
        .route("/orders/{id}/roster", get(roster))
        .route("/orders/{id}/step", post(step))
        .route("/squads", get(overview))
        .route("/squads/{id}", get(squad))
        .route("/squads/{id}/liaisons", post(add_liaison))
        .route("/squads/{id}/kits", post(issue_kit))
        .route("/squads/{id}/kits/{entry}/reverse", post(reverse_kit))
}

/// API routes.
pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/orders", get(api_list).post(api_create))
        .route("/orders/{id}", get(api_get))
        .route("/orders/{id}/candidates", get(api_candidates))
        .route("/orders/{id}/steps", post(api_step))
        .route("/squads", get(api_overview))
        .route("/squads/{id}", get(api_squad))
        .route("/squads/{id}/liaisons", post(api_add_liaison))
        .route("/squads/{id}/kits", get(api_kits).post(api_issue_kit))
}

/// Filters of the order list.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
pub struct OrderQuery {
    /// Only this unit.
    pub unit: Option<i64>,
    /// Only orders for this compound.
    pub compound: Option<i64>,
    /// Only this state (issued, acknowledged, assembled, on-site, stood-down, declined, cancelled), or `all`; default: in flight.
    pub state: Option<String>,
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Rows per page.
    pub per_page: Option<i64>,
}

impl OrderQuery {
    fn filter(&self) -> OrderFilter {
        let state = self.state.as_deref().and_then(OrderState::parse);
        OrderFilter {
            unit_id: self.unit,
            compound_id: self.compound,
            state,
            in_flight: state.is_none() && self.state.as_deref() != Some("all"),
        }
    }
}

/// "1 h 25 min" between two instants, in the user's language.
fn duration(tr: &Tr, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let minutes = (to - from).num_minutes().max(0);
    tr.t_with("duration", &[("hours", (minutes / 60).to_string()), ("minutes", (minutes % 60).to_string())])
}

/// An order as a row or a page shows it, with translated state and step times.
struct OrderView {
    o: Order,
    state: String,
    deadline: String,
    steps: Vec<StepView>,
    age: String,
}

struct StepView {
    state: String,
    at: String,
    actor: String,
    took: String,
}

fn view(app: &AppState, tr: &Tr, o: Order) -> OrderView {
    let local = |t: DateTime<Utc>| app.zone.local(t).format("%m-%d %H:%M").to_string();
    let steps = o
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| StepView {
            state: tr.tk("order-state", &s.state),
            at: local(s.at),
            actor: s.actor.clone(),
            took: if i == 0 { String::new() } else { duration(tr, o.steps[i - 1].at, s.at) },
        })
        .collect();
    let end = if o.state.in_flight() { Utc::now() } else { o.steps.last().map(|s| s.at).unwrap_or(o.issued_at) };
    OrderView {
        state: tr.tk("order-state", o.state.as_str()),
        deadline: local(o.deadline),
        age: duration(tr, o.issued_at, end),
        steps,
        o,
    }
}

/// One option of a select.
struct Choice {
    key: String,
    label: String,
    selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "mobilisation/index.html")]
struct IndexView {
    l: Layout,
    orders: Vec<OrderView>,
    units: Vec<Unit>,
    states: Vec<Choice>,
    unit: Option<i64>,
    can_issue: bool,
    pager: Pager,
}

impl IndexView {
    fn is_unit(&self, id: &i64) -> bool {
        self.unit == Some(*id)
    }
}

async fn index(State(app): State<AppState>, ctx: Ctx, Query(q): Query<OrderQuery>) -> Result<IndexView, PageError> {
    let page = app.store.orders(&ctx.actor, &q.filter(), PageRequest::new(q.page, q.per_page)).await?;
    let units = if ctx.actor.can(Capability::ViewCadres) { app.store.units(&ctx.actor).await? } else { vec![] };
    let params = [
        ("unit", q.unit.map(|u| u.to_string()).unwrap_or_default()),
        ("compound", q.compound.map(|u| u.to_string()).unwrap_or_default()),
        ("state", q.state.clone().unwrap_or_default()),
    ];
    let pager = Pager::new("/orders", &params, &page);
    let tr = ctx.tr;
    let current = q.state.clone().unwrap_or_default();
    let choice = |key: &str, label: String| Choice { key: key.to_string(), label, selected: current == key };
    let mut states = vec![choice("", tr.t("order-in-flight")), choice("all", tr.t("order-all"))];
    states.extend(OrderState::ALL.iter().map(|s| choice(s.as_str(), tr.tk("order-state", s.as_str()))));
    Ok(IndexView {
        orders: page.items.into_iter().map(|o| view(&app, &tr, o)).collect(),
        units,
        states,
        unit: q.unit,
        can_issue: ctx.actor.can(Capability::IssueOrders),
        pager,
        l: Layout::new(&ctx, "nav-orders"),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "mobilisation/new.html")]
struct NewView {
    l: Layout,
    units: Vec<Unit>,
    compounds: Vec<CompoundRef>,
    error: Option<String>,
}

async fn new_view(app: &AppState, ctx: &Ctx, error: Option<String>) -> Result<NewView, PageError> {
    if !ctx.actor.can(Capability::IssueOrders) {
        return Err(StoreError::Forbidden.into());
    }
    Ok(NewView {
        units: app.store.units(&ctx.actor).await?,
        compounds: app.store.compounds(&ctx.actor, None).await?,
        error,
        l: Layout::new(ctx, "order-new"),
    })
}

async fn new_form(State(app): State<AppState>, ctx: Ctx) -> Result<NewView, PageError> {
    new_view(&app, &ctx, None).await
}

async fn create(State(app): State<AppState>, ctx: Ctx, body: String) -> Result<Response, PageError> {
    let f = pairs(&body);
    check_csrf(&ctx.session, field(&f, "csrf")).await?;
    let deadline = NaiveDateTime::parse_from_str(field(&f, "deadline"), "%Y-%m-%dT%H:%M").map(|t| app.zone.instant(t));
    let new = match (field(&f, "unit").parse(), field(&f, "people").parse(), deadline) {
        (Ok(unit_id), Ok(people), Ok(deadline)) => NewOrder {
            unit_id,
            people,
            compound_ids: all_of(&f, "compound"),
            deadline,
            note: field(&f, "note").to_string(),
        },
        _ => {
            let v = new_view(&app, &ctx, Some(ctx.tr.t("order-form-incomplete"))).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, v).into_response());
        }
    };
    match app.store.issue_order(&ctx.actor, &new).await {
        Ok(id) => Ok(Redirect::to(&format!("/orders/{id}")).into_response()),
        Err(StoreError::Invalid(m)) => {
            let v = new_view(&app, &ctx, Some(ctx.tr.localise(&m))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, v).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// A step button the user may press now.
struct Action {
    event: &'static str,
    label: String,
    needs_reason: bool,
}

fn actions(tr: &Tr, actor: &Actor, state: OrderState) -> Vec<Action> {
    let answers = actor.can(Capability::AnswerOrders) && actor.role != Role::SquadLeader;
    let mut out = Vec::new();
    let mut push = |event: &'static str, needs_reason: bool| {
        out.push(Action { event, label: tr.tk("order-do", event), needs_reason })
    };
    match state {
        OrderState::Issued if answers => {
            push("acknowledge", false);
            push("decline", true);
        }
        OrderState::Acknowledged if answers => push("decline", true),
        OrderState::Assembled if actor.can(Capability::AnswerOrders) => push("report", false),
        OrderState::OnSite if actor.can(Capability::IssueOrders) => push("stand-down", false),
        _ => {}
    }
    if state.in_flight() && actor.can(Capability::IssueOrders) {
        push("cancel", true);
    }
    out
}

#[derive(Template, WebTemplate)]
#[template(path = "mobilisation/detail.html")]
struct DetailView {
    l: Layout,
    v: OrderView,
    actions: Vec<Action>,
    can_assemble: bool,
    error: Option<String>,
}

async fn detail_view(app: &AppState, ctx: &Ctx, id: i64, error: Option<String>) -> Result<DetailView, PageError> {
    let o = app.store.order(&ctx.actor, id).await?;
    let can_assemble = o.state == OrderState::Acknowledged
        && ctx.actor.can(Capability::AnswerOrders)
        && ctx.actor.role != Role::SquadLeader;
    let title = ctx.tr.t_with("order-title", &[("id", id.to_string()), ("unit", o.unit.clone())]);
    Ok(DetailView {
        actions: actions(&ctx.tr, &ctx.actor, o.state),
        can_assemble,
        v: view(app, &ctx.tr, o),
        error,
        l: Layout::titled(ctx, title),
    })
}

async fn detail(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<DetailView, PageError> {
    detail_view(&app, &ctx, id, None).await
}

#[derive(Template, WebTemplate)]
#[template(path = "mobilisation/roster.html")]
struct RosterView {
    l: Layout,
    id: i64,
    candidates: Vec<Candidate>,
    error: Option<String>,
    ask_confirm: bool,
}

async fn roster_view(
    app: &AppState,
    ctx: &Ctx,
    id: i64,
    error: Option<String>,
    ask_confirm: bool,
) -> Result<RosterView, PageError> {
    let o = app.store.order(&ctx.actor, id).await?;
    Ok(RosterView {
        id,
        candidates: app.store.candidates(&ctx.actor, id).await?,
        error,
        ask_confirm,
        l: Layout::titled(ctx, ctx.tr.t_with("order-roster-title", &[("people", o.people.to_string())])),
    })
}

async fn roster(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<RosterView, PageError> {
    roster_view(&app, &ctx, id, None, false).await
}

/// Turns a submitted step into an event and roles.
fn event_of(f: &[(String, String)]) -> Option<(OrderEvent, Vec<(i64, SquadRole)>)> {
    let reason = field(f, "reason").to_string();
    let event = match field(f, "event") {
        "acknowledge" => OrderEvent::Acknowledge,
        "assemble" => OrderEvent::Assemble { roster: all_of(f, "roster") },
        "report" => OrderEvent::ReportOnSite,
        "stand-down" => OrderEvent::StandDown,
        "decline" => OrderEvent::Decline { reason },
        "cancel" => OrderEvent::Cancel { reason },
        _ => return None,
    };
    let mut roles = Vec::new();
    if let Ok(leader) = field(f, "leader").parse() {
        roles.push((leader, SquadRole::Leader));
    }
    if let Ok(secretary) = field(f, "secretary").parse::<i64>()
        && roles.iter().all(|(c, _)| *c != secretary)
    {
        roles.push((secretary, SquadRole::Secretary));
    }
    Some((event, roles))
}

async fn step(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: String) -> Result<Response, PageError> {
    let f = pairs(&body);
    check_csrf(&ctx.session, field(&f, "csrf")).await?;
    let Some((event, roles)) = event_of(&f) else {
        return Err(PageError::Status(StatusCode::BAD_REQUEST, "error-invalid"));
    };
    let assembling = matches!(event, OrderEvent::Assemble { .. });
    match app.store.order_step(&ctx.actor, id, event, &roles, field(&f, "confirm") == "yes").await {
        Ok(_) => Ok(Redirect::to(&format!("/orders/{id}")).into_response()),
        Err(StoreError::Invalid(m)) if assembling => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, roster_view(&app, &ctx, id, Some(ctx.tr.localise(&m)), false).await?)
                .into_response())
        }
        Err(StoreError::Conflict(m)) if assembling => {
            Ok((StatusCode::CONFLICT, roster_view(&app, &ctx, id, Some(ctx.tr.localise(&m)), true).await?)
                .into_response())
        }
        Err(StoreError::Invalid(m) | StoreError::Conflict(m)) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, detail_view(&app, &ctx, id, Some(ctx.tr.localise(&m))).await?)
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "mobilisation/squad.html")]
struct SquadView {
    l: Layout,
    s: Squad,
    roles: Vec<String>,
    can_edit: bool,
    error: Option<String>,
    kits: KitStatus,
}

async fn squad_view(app: &AppState, ctx: &Ctx, id: i64, error: Option<String>) -> Result<SquadView, PageError> {
    let s = app.store.squad(&ctx.actor, id).await?;
    Ok(SquadView {
        kits: app.store.kit_status(&ctx.actor, id).await?,
        roles: s.members.iter().map(|m| ctx.tr.tk("squad-role", &m.role)).collect(),
        can_edit: ctx.actor.can(Capability::AnswerOrders) || ctx.actor.can(Capability::IssueOrders),
        error,
        l: Layout::titled(ctx, s.name.clone()),
        s,
    })
}

async fn squad(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<SquadView, PageError> {
    squad_view(&app, &ctx, id, None).await
}

#[derive(Deserialize)]
struct LiaisonForm {
    csrf: String,
    name: String,
    role: String,
    phone: String,
}

async fn add_liaison(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<LiaisonForm>,
) -> Result<Response, PageError> {
    check_csrf(&ctx.session, &f.csrf).await?;
    match app.store.add_liaison(&ctx.actor, id, &f.name, &f.role, &f.phone).await {
        Ok(_) => Ok(Redirect::to(&format!("/squads/{id}")).into_response()),
        Err(StoreError::Invalid(m)) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, squad_view(&app, &ctx, id, Some(ctx.tr.localise(&m))).await?)
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// A street or community contact to add to a squad.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LiaisonBody {
    /// Name.
    pub name: String,
    /// Their role, e.g. 社区书记.
    pub role: String,
    /// Mobile phone.
    pub phone: String,
}

/// Adds a liaison to a squad.
#[utoipa::path(post, path = "/api/v1/squads/{id}/liaisons", tag = "mobilisation", params(("id" = i64, Path)), request_body = LiaisonBody, responses((status = 200, description = "the squad", body = Squad), (status = 422, description = "bad input")))]
pub async fn api_add_liaison(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<LiaisonBody>,
) -> Result<Json<Squad>, ApiError> {
    app.store.add_liaison(&actor, id, &b.name, &b.role, &b.phone).await?;
    Ok(Json(app.store.squad(&actor, id).await?))
}

/// Orders in the caller's scope, oldest first; in flight unless `state` says otherwise.
#[utoipa::path(get, path = "/api/v1/orders", tag = "mobilisation", params(OrderQuery), responses((status = 200, description = "a page of orders", body = Page<Order>)))]
pub async fn api_list(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<OrderQuery>,
) -> Result<Json<Page<Order>>, ApiError> {
    Ok(Json(app.store.orders(&actor, &q.filter(), PageRequest::new(q.page, q.per_page)).await?))
}

/// What the command asks of a unit.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewOrderBody {
    /// The unit's id.
    pub unit_id: i64,
    /// How many people.
    pub people: i64,
    /// The compounds' ids.
    pub compound_ids: Vec<i64>,
    /// Report by (RFC 3339).
    pub deadline: DateTime<Utc>,
    /// Why.
    #[serde(default)]
    pub note: String,
}

/// Issues an order (command and organisation).
#[utoipa::path(post, path = "/api/v1/orders", tag = "mobilisation", request_body = NewOrderBody, responses((status = 201, description = "the new order", body = Order), (status = 422, description = "bad input")))]
pub async fn api_create(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<NewOrderBody>,
) -> Result<(StatusCode, Json<Order>), ApiError> {
    let new = NewOrder {
        unit_id: b.unit_id,
        people: b.people,
        compound_ids: b.compound_ids,
        deadline: b.deadline,
        note: b.note,
    };
    let id = app.store.issue_order(&actor, &new).await?;
    Ok((StatusCode::CREATED, Json(app.store.order(&actor, id).await?)))
}

/// One order with its steps.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "mobilisation", params(("id" = i64, Path)), responses((status = 200, description = "the order", body = Order), (status = 404, description = "no such order in scope")))]
pub async fn api_get(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Order>, ApiError> {
    Ok(Json(app.store.order(&actor, id).await?))
}

/// The unit's cadres for the roster, with who is posted elsewhere.
#[utoipa::path(get, path = "/api/v1/orders/{id}/candidates", tag = "mobilisation", params(("id" = i64, Path)), responses((status = 200, description = "cadres", body = Vec<Candidate>)))]
pub async fn api_candidates(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Candidate>>, ApiError> {
    Ok(Json(app.store.candidates(&actor, id).await?))
}

/// One member of a roster.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RosterEntry {
    /// The cadre's id.
    pub cadre_id: i64,
    /// leader, secretary or member.
    #[serde(default = "member")]
    pub role: String,
}

fn member() -> String {
    "member".into()
}

/// A step of an order.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StepBody {
    /// acknowledge, assemble, report, stand-down, decline or cancel.
    pub event: String,
    /// Why (decline, cancel).
    #[serde(default)]
    pub reason: String,
    /// Who goes (assemble).
    #[serde(default)]
    pub roster: Vec<RosterEntry>,
    /// Move cadres posted elsewhere.
    #[serde(default)]
    pub confirm_moves: bool,
}

/// Takes one step of an order; 409 when someone else moved it, or a roster needs confirmation.
#[utoipa::path(post, path = "/api/v1/orders/{id}/steps", tag = "mobilisation", params(("id" = i64, Path)), request_body = StepBody, responses((status = 200, description = "the order after the step", body = Order), (status = 409, description = "moved meanwhile, or a move needs confirmation"), (status = 422, description = "the step does not follow")))]
pub async fn api_step(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<StepBody>,
) -> Result<Json<Order>, ApiError> {
    let mut roles = Vec::new();
    for r in &b.roster {
        let role = SquadRole::parse(&r.role)
            .ok_or_else(|| ApiError::Store(StoreError::Invalid(format!("unknown role {}", r.role))))?;
        roles.push((r.cadre_id, role));
    }
    let event = match b.event.as_str() {
        "acknowledge" => OrderEvent::Acknowledge,
        "assemble" => OrderEvent::Assemble { roster: b.roster.iter().map(|r| r.cadre_id).collect() },
        "report" => OrderEvent::ReportOnSite,
        "stand-down" => OrderEvent::StandDown,
        "decline" => OrderEvent::Decline { reason: b.reason },
        "cancel" => OrderEvent::Cancel { reason: b.reason },
        other => return Err(ApiError::Store(StoreError::Invalid(format!("unknown event {other}")))),
    };
    app.store.order_step(&actor, id, event, &roles, b.confirm_moves).await?;
    Ok(Json(app.store.order(&actor, id).await?))
}

/// A squad with its members (leader first) and compounds.
#[utoipa::path(get, path = "/api/v1/squads/{id}", tag = "mobilisation", params(("id" = i64, Path)), responses((status = 200, description = "the squad", body = Squad), (status = 404, description = "no such squad in scope")))]
pub async fn api_squad(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Squad>, ApiError> {
    Ok(Json(app.store.squad(&actor, id).await?))
}

#[derive(Template, WebTemplate)]
#[template(path = "mobilisation/overview.html")]
struct OverviewView {
    l: Layout,
    o: Overview,
}

async fn overview(State(app): State<AppState>, ctx: Ctx) -> Result<OverviewView, PageError> {
    Ok(OverviewView { o: app.store.overview(&ctx.actor).await?, l: Layout::new(&ctx, "nav-squads") })
}

/// The guarantee per unit, per compound and per street, in the caller's scope.
#[utoipa::path(get, path = "/api/v1/squads", tag = "mobilisation", responses((status = 200, description = "the overview", body = Overview)))]
pub async fn api_overview(State(app): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Overview>, ApiError> {
    Ok(Json(app.store.overview(&actor).await?))
}

/// Answers a kit form: back to the squad, or the squad page with the message.
async fn after_kit(app: &AppState, ctx: &Ctx, id: i64, result: Result<i64, StoreError>) -> Result<Response, PageError> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/squads/{id}")).into_response()),
        Err(StoreError::Invalid(m) | StoreError::Conflict(m)) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, squad_view(app, ctx, id, Some(ctx.tr.localise(&m))).await?)
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct KitForm {
    csrf: String,
    cadre: i64,
    item: i64,
    quantity: i64,
}

async fn issue_kit(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<KitForm>,
) -> Result<Response, PageError> {
    check_csrf(&ctx.session, &f.csrf).await?;
    let result = app.store.issue_kit(&ctx.actor, id, f.cadre, f.item, f.quantity).await;
    after_kit(&app, &ctx, id, result).await
}

#[derive(Deserialize)]
struct ReverseForm {
    csrf: String,
}

async fn reverse_kit(
    State(app): State<AppState>,
    ctx: Ctx,
    Path((id, entry)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<ReverseForm>,
) -> Result<Response, PageError> {
    check_csrf(&ctx.session, &f.csrf).await?;
    let result = app.store.reverse_kit_entry(&ctx.actor, id, entry).await;
    after_kit(&app, &ctx, id, result).await
}

/// A squad's kits: due, issued and owed per item, and the ledger.
#[utoipa::path(get, path = "/api/v1/squads/{id}/kits", tag = "mobilisation", params(("id" = i64, Path)), responses((status = 200, description = "the kits", body = KitStatus)))]
pub async fn api_kits(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<KitStatus>, ApiError> {
    Ok(Json(app.store.kit_status(&actor, id).await?))
}

/// Items handed to a squad member.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct KitBody {
    /// The member's cadre id.
    pub cadre_id: i64,
    /// The kit item's id.
    pub item_id: i64,
    /// How many (a correction is made by reversing an entry, not by a negative number).
    pub quantity: i64,
}

/// Records items handed to a member.
#[utoipa::path(post, path = "/api/v1/squads/{id}/kits", tag = "mobilisation", params(("id" = i64, Path)), request_body = KitBody, responses((status = 200, description = "the kits after the entry", body = KitStatus), (status = 422, description = "bad input")))]
pub async fn api_issue_kit(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<KitBody>,
) -> Result<Json<KitStatus>, ApiError> {
    app.store.issue_kit(&actor, id, b.cadre_id, b.item_id, b.quantity).await?;
    Ok(Json(app.store.kit_status(&actor, id).await?))
}

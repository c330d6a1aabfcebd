//! Mobilisation orders on pages: the command issues, the unit's coordinator
//! answers with one tap per step on a phone (assembling on its own page,
//! `assemble`), the squad's leader or secretary reports on site (a desk
//! reporting for them is shown as such), the command sees every order in
//! flight with the time each step took. The API is in `api`.

mod api;
mod assemble;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDateTime, Utc};
use cordon_domain::orders::report::{Reporter, reporter};
use cordon_domain::orders::{OrderEvent, OrderState, OrderStep, may_issue};
use cordon_domain::squads::SquadRole;
use cordon_domain::{Actor, Capability, Key};
use cordon_store::orders::{NewOrder, Order, OrderFilter};
use cordon_store::places::CompoundRef;
use cordon_store::units::Unit;
use cordon_store::{PageRequest, StoreError};
use serde::Deserialize;

pub use api::api_router;

use crate::AppState;
use crate::accounts::Ctx;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::views::{Layout, Pager, field, ids_of, pairs};

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders", get(index).post(create))
        .route("/orders/new", get(new_form))
        .route("/orders/{id}", get(detail))
        .route("/orders/{id}/roster", get(assemble::roster))
        .route("/orders/{id}/step", post(step))
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
    /// "reported by lin for the squad", when a desk took the step for the squad.
    for_squad: Option<String>,
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
            for_squad: s.on_behalf.then(|| tr.t_with("order-for-squad", &[("actor", s.actor.clone())])),
            took: if i == 0 { String::new() } else { duration(tr, o.steps[i - 1].at, s.at) },
        })
        .collect();
    let end = if o.state.in_flight() { app.store.now() } else { o.steps.last().map(|s| s.at).unwrap_or(o.issued_at) };
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
#[template(path = "orders/index.html")]
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
        can_issue: may_issue(&ctx.actor),
        pager,
        l: Layout::new(&ctx, "nav-orders"),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "orders/new.html")]
struct NewView {
    l: Layout,
    units: Vec<Unit>,
    compounds: Vec<CompoundRef>,
    error: Option<String>,
}

async fn new_view(app: &AppState, ctx: &Ctx, error: Option<String>) -> Result<NewView, PageError> {
    if !may_issue(&ctx.actor) {
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
    if !may_issue(&ctx.actor) {
        return Err(StoreError::Forbidden.into());
    }
    let f = pairs(&body);
    let deadline = NaiveDateTime::parse_from_str(field(&f, "deadline"), "%Y-%m-%dT%H:%M").map(|t| app.zone.instant(t));
    let new = match (field(&f, "unit").parse(), field(&f, "people").parse(), deadline, ids_of(&f, "compound")) {
        (Ok(unit_id), Ok(people), Ok(deadline), Some(compound_ids)) => {
            Ok(NewOrder { unit_id, people, compound_ids, deadline, note: field(&f, "note").to_string() })
        }
        _ => Err(StoreError::invalid(Key::OrderFormIncomplete)),
    };
    match new {
        Ok(new) => match app.store.issue_order(&ctx.actor, &new).await {
            Ok(id) => Ok(Redirect::to(&format!("/orders/{id}")).into_response()),
            Err(e) => refused(&app, &ctx, e).await,
        },
        Err(e) => refused(&app, &ctx, e).await,
    }
}

/// The form again with the refusal, or the error page.
async fn refused(app: &AppState, ctx: &Ctx, e: StoreError) -> Result<Response, PageError> {
    match e {
        StoreError::Invalid(r) => {
            let v = new_view(app, ctx, Some(ctx.tr.refusal(&r))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, v).into_response())
        }
        e => Err(e.into()),
    }
}

/// A step button the user may press now.
struct Action {
    event: &'static str,
    label: String,
    needs_reason: bool,
}

/// The buttons of the steps the actor may take now, with their cadre's role
/// in the order's squad (assembling has its own page).
fn actions(tr: &Tr, actor: &Actor, state: OrderState, own: Option<SquadRole>) -> Vec<Action> {
    state
        .steps_for(actor, own)
        .into_iter()
        .filter(|s| *s != OrderStep::Assemble)
        .map(|s| {
            // A desk's 报到 button says it reports for the squad.
            let label = if s == OrderStep::ReportOnSite && reporter(actor, own) == Some(Reporter::OnBehalf) {
                tr.t("order-do-report-for-squad")
            } else {
                tr.tk("order-do", s.key())
            };
            Action { event: s.key(), label, needs_reason: s.needs_reason() }
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "orders/detail.html")]
struct DetailView {
    l: Layout,
    v: OrderView,
    actions: Vec<Action>,
    can_assemble: bool,
    error: Option<String>,
}

async fn detail_view(app: &AppState, ctx: &Ctx, id: i64, error: Option<String>) -> Result<DetailView, PageError> {
    let o = app.store.order(&ctx.actor, id).await?;
    let own = app.store.own_role(&ctx.actor, &o).await?;
    // The roster page lists the unit's cadres: only for whoever may assemble and see them.
    let can_assemble =
        o.state.steps_for(&ctx.actor, own).contains(&OrderStep::Assemble) && ctx.actor.can(Capability::ViewCadres);
    let title = ctx.tr.t_with("order-title", &[("id", id.to_string()), ("unit", ctx.unit(&o.unit))]);
    Ok(DetailView {
        actions: actions(&ctx.tr, &ctx.actor, o.state, own),
        can_assemble,
        v: view(app, &ctx.tr, o),
        error,
        l: Layout::titled(ctx, title),
    })
}

async fn detail(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<DetailView, PageError> {
    detail_view(&app, &ctx, id, None).await
}

/// Turns a submitted step into an event and roles.
fn event_of(f: &[(String, String)]) -> Option<(OrderEvent, Vec<(i64, SquadRole)>)> {
    // A roster value that is no id refuses the step rather than posting fewer people than were ticked.
    let event = OrderStep::parse(field(f, "event"))?.event(ids_of(f, "roster")?, field(f, "reason").to_string());
    let mut roles = Vec::new();
    if let Ok(leader) = field(f, "leader").parse() {
        roles.push((leader, SquadRole::Leader));
    }
    // The same person as secretary is kept, for the roster to refuse aloud.
    if let Ok(secretary) = field(f, "secretary").parse::<i64>() {
        roles.push((secretary, SquadRole::Secretary));
    }
    Some((event, roles))
}

async fn step(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: String) -> Result<Response, PageError> {
    let f = pairs(&body);
    let Some((event, roles)) = event_of(&f) else {
        return Err(PageError::Status(StatusCode::BAD_REQUEST, "error-invalid"));
    };
    let assembling = matches!(event, OrderEvent::Assemble { .. });
    // The page comes back with what was ticked and chosen, whatever was refused.
    let picked = assemble::Picked::of(&f);
    match app.store.order_step(&ctx.actor, id, event, &roles, field(&f, "confirm") == "yes").await {
        Ok(_) => Ok(Redirect::to(&format!("/orders/{id}")).into_response()),
        Err(StoreError::Invalid(r)) if assembling => {
            let page = assemble::roster_view(&app, &ctx, id, Some(ctx.tr.refusal(&r)), false, &picked).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        // Posted elsewhere or untrained: the same page asks to confirm.
        Err(StoreError::Conflict(r)) if assembling => {
            let page = assemble::roster_view(&app, &ctx, id, Some(ctx.tr.refusal(&r)), true, &picked).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(StoreError::Invalid(r)) => {
            let page = detail_view(&app, &ctx, id, Some(ctx.tr.refusal(&r))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        // Moved meanwhile, or reported by someone else a moment ago: the page as it stands now, saying so.
        Err(StoreError::Conflict(r)) => {
            let page = detail_view(&app, &ctx, id, Some(ctx.tr.refusal(&r))).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

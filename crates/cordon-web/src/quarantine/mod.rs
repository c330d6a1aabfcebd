//! Quarantine sites on pages and in the API: the command's list of every
//! site, a site's page (rooms by state, batches, today's and tomorrow's
//! releases and birthdays, tests due), a batch's people with their dates,
//! and the timeline export. What each role sees is the store's answer
//! (`Store::site_role`, `SiteRole::may_see`): a part a role may not see is
//! left off the page, and asked for directly it is refused. Health checks
//! (`health`) and requests (`requests`) have their own modules, whose parts
//! the site page and the person's own page include.

use askama::Template;
use askama_web::WebTemplate;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use cordon_domain::quarantine::site::{Sight, SiteRole};
use cordon_domain::quarantine::timeline::{ExtensionReason, TimelineState};
use cordon_store::StoreError;
use cordon_store::quarantine::{Batch, Dashboard, OwnStay, RoomLine, SiteLine, Stay};
use cordon_store::residents::Reveal;
use cordon_store::sheets::SheetFormat;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::accounts::{ApiActor, Ctx};
use crate::error::{ApiError, PageError};
use crate::i18n::{Lang, Tr};
use crate::views::Layout;

mod health;
mod office;
mod release;
mod requests;
mod transfers;

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/quarantine", get(sites_page))
        .route("/quarantine/sites/{id}", get(site_page))
        .route("/quarantine/batches/{id}", get(batch_page))
        .route("/quarantine/batches/{id}/timeline", get(timeline_download).post(timeline_revealed))
        .route("/quarantine/sites/{id}/cards", get(cards_page))
        .route("/quarantine/sites/{id}/results", axum::routing::post(result_form))
        .route("/quarantine/batches/{id}/extend", axum::routing::post(extend_form))
        .route("/quarantine/sites/{id}/care", axum::routing::post(care_form))
        .route("/stay/{token}", get(own_page))
        .merge(office::router())
        .merge(release::router())
        .merge(health::router())
        .merge(requests::router())
        .merge(transfers::router())
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_sites))
        .routes(routes!(api_site))
        .routes(routes!(api_rooms))
        .routes(routes!(api_care))
        .routes(routes!(api_extend))
        .routes(routes!(api_stays))
        .routes(routes!(api_results, api_record_result))
        .merge(office::api_router())
        .merge(release::api_router())
        .merge(health::api_router())
        .merge(requests::api_router())
        .merge(transfers::api_router())
}

#[derive(Template, WebTemplate)]
#[template(path = "quarantine/sites.html")]
struct SitesView {
    l: Layout,
    sites: Vec<SiteLine>,
    /// Whether the caller creates sites (the command at city scope).
    runs_sites: bool,
}

async fn sites_page(State(app): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let sites = app.store.sites(&ctx.actor).await?;
    // A site's own accounts have one site: its page is their list.
    if let (cordon_domain::Scope::Site { id }, [_]) = (&ctx.actor.scope, sites.as_slice()) {
        return Ok(axum::response::Redirect::to(&format!("/quarantine/sites/{id}")).into_response());
    }
    let runs_sites = cordon_domain::quarantine::site::runs_sites(&ctx.actor);
    Ok(SitesView { l: Layout::new(&ctx, "nav-quarantine"), sites, runs_sites }.into_response())
}

/// A batch on the site's page, its day 0 worded.
struct BatchCard {
    id: i64,
    name: String,
    policy: String,
    transport: String,
    arrived: String,
    people: usize,
    in_rooms: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "quarantine/site.html")]
struct SiteView {
    l: Layout,
    d: Dashboard,
    state: String,
    batches: Vec<BatchCard>,
    rooms: Option<Vec<RoomRow>>,
    sees_people: bool,
    /// Whether the caller runs the site's office: its steps, new batches.
    keeps_roll: bool,
    /// The site's next step, if any.
    next_step: Option<&'static str>,
    /// Whether there is no way back from it: the page asks for a tick.
    final_step: bool,
    /// The policies a new batch may have.
    policies: Vec<String>,
    prints_cards: bool,
    /// Whether the caller records results: today's list gets its buttons.
    records_tests: bool,
    /// The care tasks of the caller's group, if it sees care needs.
    care: Option<cordon_store::quarantine::CareList>,
    /// The transfers with their logs, if the caller's group sees them.
    transfers: Option<Vec<transfers::TransferView>>,
    /// Whether the caller takes transfers' steps.
    runs_transfers: bool,
    health: Option<health::SitePart>,
    requests: Option<Vec<requests::SiteLine>>,
}

/// A room on the site's page, with the steps the caller may take by hand.
struct RoomRow {
    r: RoomLine,
    steps: Vec<&'static str>,
}

fn room_row(role: SiteRole, r: RoomLine) -> RoomRow {
    use cordon_domain::quarantine::site::{RoomEvent, RoomState};
    let steps = match RoomState::parse(&r.state) {
        Some(state) if role.keeps_rooms() && r.people == 0 => {
            [RoomEvent::Disinfect, RoomEvent::TakeOutOfService, RoomEvent::Restore]
                .into_iter()
                .filter(|e| state.apply(*e).is_ok())
                .map(RoomEvent::key)
                .collect()
        }
        _ => vec![],
    };
    RoomRow { r, steps }
}

async fn site_page(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<SiteView, PageError> {
    let d = app.store.site_dashboard(&ctx.actor, id).await?;
    let role = app.store.site_role(&ctx.actor, id).await?;
    let rooms = if role.may_see(Sight::Rooms) {
        Some(app.store.site_rooms(&ctx.actor, id).await?.into_iter().map(|r| room_row(role, r)).collect())
    } else {
        None
    };
    let policies = if role.keeps_roll() {
        let custom = app.store.custom_policies().await?;
        cordon_domain::quarantine::policy::Policy::presets()
            .into_iter()
            .chain(custom)
            .map(|p| p.name().to_string())
            .collect()
    } else {
        vec![]
    };
    let care = if role.may_see(Sight::Care) { Some(app.store.care_tasks(&ctx.actor, id).await?) } else { None };
    let transfers =
        if role.may_see(Sight::Transfers) { Some(transfers::site_part(&app, &ctx, id).await?) } else { None };
    let batches = d
        .batches
        .iter()
        .map(|b| BatchCard {
            id: b.batch.id,
            name: b.batch.name.clone(),
            policy: b.batch.policy.clone(),
            transport: b.batch.transport.clone(),
            arrived: Tr::new(ctx.tr.lang, d.site.zone).time(&b.batch.arrived_at),
            people: b.people,
            in_rooms: b.in_rooms,
        })
        .collect();
    let health = health::site_part(&app, &ctx, id, role, d.site.zone).await?;
    let requests = requests::site_part(&app, &ctx, id, role).await?;
    Ok(SiteView {
        health,
        requests,
        l: Layout::titled(&ctx, d.site.name.clone()),
        state: ctx.tr.tk("site-state", d.site.state.as_str()),
        batches,
        rooms,
        sees_people: role.may_see(Sight::People),
        keeps_roll: role.keeps_roll(),
        next_step: d.site.state.next_step(),
        final_step: d.site.state.next_step().is_some_and(cordon_domain::quarantine::site::SiteState::final_step),
        policies,
        prints_cards: role.prints_cards(),
        records_tests: role.records_tests(),
        care,
        transfers,
        runs_transfers: role.runs_transfers(),
        d,
    })
}

#[derive(Deserialize)]
struct ResultForm {
    person: i64,
    day: chrono::NaiveDate,
    result: String,
}

/// One result from the site page's list of today's tests: a tap for
/// negative, a confirmed tap for positive (it opens a transfer).
async fn result_form(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ResultForm>,
) -> Result<Response, PageError> {
    let result = cordon_domain::quarantine::results::TestResult::parse(&f.result).map_err(StoreError::invalid)?;
    app.store.record_result_of(&ctx.actor, id, f.person, f.day, result, 7).await?;
    Ok(axum::response::Redirect::to(&format!("/quarantine/sites/{id}#due")).into_response())
}

#[derive(Deserialize)]
struct CareForm {
    person: i64,
    kind: String,
}

/// Ticks a care task off from the site page.
async fn care_form(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CareForm>,
) -> Result<Response, PageError> {
    let kind = cordon_domain::quarantine::care::CareKind::parse(&f.kind)
        .ok_or(PageError::Status(axum::http::StatusCode::BAD_REQUEST, "error-invalid"))?;
    app.store.care_done(&ctx.actor, id, f.person, kind).await?;
    Ok(axum::response::Redirect::to(&format!("/quarantine/sites/{id}#care")).into_response())
}

#[derive(Deserialize)]
struct ExtendForm {
    person: i64,
    days: u32,
    reason: String,
}

/// An extension by hand from the batch page (the CDC group, the manager).
async fn extend_form(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ExtendForm>,
) -> Result<Response, PageError> {
    let b = app.store.batch(&ctx.actor, id).await?;
    let reason = ExtensionReason::by_hand(&f.reason).map_err(StoreError::invalid)?;
    app.store.extend_stay(&ctx.actor, &b, cordon_store::quarantine::Who::Id(f.person), f.days, reason).await?;
    Ok(axum::response::Redirect::to(&format!("/quarantine/batches/{id}")).into_response())
}

/// A person's line on the batch's page, its dates and state worded.
struct StayLine {
    s: Stay,
    state: String,
    next_test: String,
    /// Whether the page offers the release form: in a room on or after the last on-site day.
    releasable: bool,
}

/// A stay's state with its day: "On site, day 2".
fn stay_state(tr: &Tr, state: TimelineState) -> String {
    let word = tr.tk("stay-state", state.as_str());
    match state {
        TimelineState::OnSite { day } | TimelineState::HomeMonitoring { day } => {
            tr.t_with("stay-day", &[("state", word), ("day", day.to_string())])
        }
        _ => word,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "quarantine/batch.html")]
struct BatchView {
    l: Layout,
    b: Batch,
    arrived: String,
    site: String,
    people: Vec<StayLine>,
    can_reveal: bool,
    /// Whether the caller issues certificates and releases people.
    releases: bool,
    /// Whether the caller sees (and prints) the batch's certificates.
    sees_releases: bool,
    /// Whether the caller extends stays by hand.
    extends: bool,
    /// Whether the caller imports the manifest and checks people in.
    keeps_roll: bool,
    /// Whether the caller uploads results files.
    records_tests: bool,
}

async fn batch_page(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<BatchView, PageError> {
    let b = app.store.batch(&ctx.actor, id).await?;
    let site = app.store.site(&ctx.actor, b.site_id).await?;
    let role = app.store.site_role(&ctx.actor, b.site_id).await?;
    let today = site.zone.date_of(app.store.now());
    let people = app
        .store
        .stays(&ctx.actor, &b, Reveal::Masked)
        .await?
        .into_iter()
        .map(|s| StayLine {
            state: stay_state(&ctx.tr, s.state),
            next_test: s.next_test.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
            releasable: role.releases() && s.room.is_some() && s.onsite_end <= today,
            s,
        })
        .collect();
    Ok(BatchView {
        l: Layout::titled(&ctx, format!("{} · {}", site.name, b.name)),
        site: site.name,
        people,
        can_reveal: role == SiteRole::Manager,
        releases: role.releases(),
        sees_releases: role.may_see(Sight::Releases),
        extends: role.extends_stays(),
        keeps_roll: role.keeps_roll(),
        records_tests: role.records_tests(),
        // In the site's zone, as its days are counted and its arrival is entered.
        arrived: Tr::new(ctx.tr.lang, site.zone).time(&b.arrived_at),
        b,
    })
}

#[derive(Deserialize)]
struct TimelineQuery {
    format: Option<String>,
}

/// The timeline as a file, passports masked; revealed ones are a form's POST
/// (`timeline_revealed`), so a link from elsewhere cannot make a manager's
/// browser download them and write a reveal into the log.
async fn timeline_download(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<TimelineQuery>,
) -> Result<Response, PageError> {
    timeline_file(&app, &ctx, id, q.format.as_deref(), Reveal::Masked).await
}

#[derive(Deserialize)]
struct RevealForm {
    format: Option<String>,
}

/// The timeline with full passports, from the batch page's form (CSRF-checked), for the manager.
async fn timeline_revealed(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<RevealForm>,
) -> Result<Response, PageError> {
    timeline_file(&app, &ctx, id, f.format.as_deref(), Reveal::Full).await
}

async fn timeline_file(
    app: &AppState,
    ctx: &Ctx,
    id: i64,
    format: Option<&str>,
    reveal: Reveal,
) -> Result<Response, PageError> {
    let format = SheetFormat::parse(format.unwrap_or("xlsx"))
        .ok_or_else(|| StoreError::invalid(cordon_domain::Key::ExportBadFormat))?;
    let b = app.store.batch(&ctx.actor, id).await?;
    let bytes = app.store.export_timeline(&ctx.actor, &b, format, reveal).await?;
    let name = format!("timeline-{}.{}", b.id, format.extension());
    Ok(crate::residents::download::attachment(format.content_type(), &name, bytes))
}

/// The sites the caller works at (every site for the command), with their rooms by state.
#[utoipa::path(get, path = "/api/v1/quarantine/sites", tag = "quarantine", responses((status = 200, description = "the sites", body = Vec<SiteLine>), (status = 403, description = "not a command or site account")))]
pub async fn api_sites(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<SiteLine>>, ApiError> {
    Ok(Json(app.store.sites(&actor).await?))
}

/// A site's page as data: rooms by state, batches, and, as the caller's group may see them,
/// today's and tomorrow's releases and birthdays and the tests due today.
#[utoipa::path(get, path = "/api/v1/quarantine/sites/{id}", tag = "quarantine", params(("id" = i64, Path)), responses((status = 200, description = "the site", body = Dashboard), (status = 404, description = "no such site for the caller")))]
pub async fn api_site(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Dashboard>, ApiError> {
    Ok(Json(app.store.site_dashboard(&actor, id).await?))
}

/// A site's rooms with their state and how many people are in each.
#[utoipa::path(get, path = "/api/v1/quarantine/sites/{id}/rooms", tag = "quarantine", params(("id" = i64, Path)), responses((status = 200, description = "the rooms", body = Vec<RoomLine>), (status = 403, description = "the caller's group does not see rooms"), (status = 404, description = "no such site for the caller")))]
pub async fn api_rooms(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Vec<RoomLine>>, ApiError> {
    Ok(Json(app.store.site_rooms(&actor, id).await?))
}

/// The care tasks of the people on site, of the kinds the caller's group meets, and the languages spoken.
#[utoipa::path(get, path = "/api/v1/quarantine/sites/{id}/care", tag = "quarantine", params(("id" = i64, Path)), responses((status = 200, description = "the care tasks", body = cordon_store::quarantine::CareList), (status = 403, description = "the caller's group does not see care needs"), (status = 404, description = "no such site for the caller")))]
pub async fn api_care(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<cordon_store::quarantine::CareList>, ApiError> {
    Ok(Json(app.store.care_tasks(&actor, id).await?))
}

/// A batch's people with their rooms and dates (passports masked).
#[utoipa::path(get, path = "/api/v1/quarantine/batches/{id}/stays", tag = "quarantine", params(("id" = i64, Path)), responses((status = 200, description = "the people of the batch", body = Vec<Object>), (status = 403, description = "the caller's group does not see people"), (status = 404, description = "no such batch for the caller")))]
pub async fn api_stays(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Stay>>, ApiError> {
    let b = app.store.batch(&actor, id).await?;
    Ok(Json(app.store.stays(&actor, &b, Reveal::Masked).await?))
}

/// A person on a printed room card: the QR of their own page, and its words in their language.
struct CardLine {
    name: String,
    name_latin: String,
    qr: String,
    scan: String,
}

/// A room's card.
struct CardView {
    number: String,
    people: Vec<CardLine>,
}

#[derive(Template, WebTemplate)]
#[template(path = "quarantine/cards.html")]
struct CardsView {
    tr: Tr,
    site: String,
    site_id: i64,
    cards: Vec<CardView>,
    unreachable: Option<String>,
}

/// The language a person's page and card speak: asked for, else the person's own if Cordon
/// speaks it, else English (the common language of foreign arrivals).
pub(super) fn own_lang(asked: Option<&str>, language: &str) -> Lang {
    asked.and_then(Lang::parse).or_else(|| Lang::parse(language)).unwrap_or(Lang::En)
}

/// The cards of the site's occupied rooms, to print and put on each door: one QR a person.
async fn cards_page(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<CardsView, PageError> {
    let cards = app.store.room_cards(&ctx.actor, id).await?;
    let site = app.store.site(&ctx.actor, id).await?;
    let mut unreachable = None;
    let cards = cards
        .into_iter()
        .map(|c| CardView {
            number: c.number,
            people: c
                .people
                .into_iter()
                .map(|p| {
                    let url = crate::boards::public_link(&app, &headers, &format!("/stay/{}", p.token));
                    if unreachable.is_none() {
                        unreachable = cordon_domain::webhooks::private_host(&url)
                            .map(|host| ctx.tr.t_with("board-unreachable", &[("host", host)]));
                    }
                    let own = Tr::new(own_lang(None, &p.language), app.zone);
                    CardLine {
                        qr: crate::boards::qr_svg(&url),
                        scan: own.t("card-scan"),
                        name: p.name,
                        name_latin: p.name_latin,
                    }
                })
                .collect(),
        })
        .collect();
    Ok(CardsView { tr: ctx.tr, site: site.name, site_id: id, cards, unreachable })
}

/// A language on the person's page switcher.
struct LangChoice {
    code: &'static str,
    html: &'static str,
    name: &'static str,
    current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "quarantine/own.html")]
struct OwnView {
    tr: Tr,
    s: OwnStay,
    state: String,
    birthday_today: bool,
    langs: Vec<LangChoice>,
    /// The page token, for the forms' addresses.
    token: String,
    csrf: String,
    /// What the last form did: sent, or why it was refused.
    notice: Option<Notice>,
    health: health::OwnPart,
    requests: requests::OwnPart,
}

/// A line at the top of the own page after a form: done, or refused and why.
struct Notice {
    ok: bool,
    text: String,
}

#[derive(Deserialize)]
struct OwnQuery {
    lang: Option<String>,
    /// Set by the redirect after a form: `health` or `request`.
    saved: Option<String>,
}

/// A person's own page, opened from their room's card without signing in:
/// their day, next test and release dates, their health check and requests,
/// in their language. Rate-limited per address like the boards' public
/// pages, before the token is looked up.
async fn own_page(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    Query(q): Query<OwnQuery>,
    v: crate::accounts::Visitor,
) -> Result<Response, PageError> {
    if let Some(refused) = crate::boards::over_public_limit(&app, "stay-page", peer, v.tr).await? {
        return Ok(refused);
    }
    let mut view = own_view(&app, &token, q.lang.as_deref(), v.csrf).await?;
    view.notice = match q.saved.as_deref() {
        Some("health") => Some(Notice { ok: true, text: view.tr.t("own-health-saved") }),
        Some("request") => Some(Notice { ok: true, text: view.tr.t("own-request-saved") }),
        // The form was sent from a page whose session had expired (`require_csrf`): nothing was saved.
        Some("expired") => Some(Notice { ok: false, text: view.tr.t("own-expired") }),
        _ => None,
    };
    Ok(view.into_response())
}

/// The own page of a token in the language asked for (else the person's own).
async fn own_view(app: &AppState, token: &str, lang: Option<&str>, csrf: String) -> Result<OwnView, PageError> {
    let s = app.store.own_stay(token).await?;
    let tr = Tr::new(own_lang(lang, &s.language), app.zone);
    let langs = Lang::ALL
        .into_iter()
        .map(|l| LangChoice { code: l.code(), html: l.html(), name: l.native_name(), current: l == tr.lang })
        .collect();
    Ok(OwnView {
        state: stay_state(&tr, s.state),
        birthday_today: s.birthday_in_stay == Some(s.today),
        health: health::own_part(app, &tr, token).await?,
        requests: requests::own_part(app, &tr, token).await?,
        token: token.to_string(),
        csrf,
        notice: None,
        tr,
        langs,
        s,
    })
}

/// What the own page's forms answer: done, back to the page (a redirect, so
/// a reload sends nothing again) saying so; refused, the page again with the
/// reason in the person's language.
async fn own_answer(
    app: &AppState,
    token: &str,
    lang: &str,
    csrf: String,
    done: Result<(), StoreError>,
    what: &str,
) -> Result<Response, PageError> {
    let refusal = match done {
        Ok(()) => {
            // The token opened a stay just now; the language is one we speak or none.
            let lang = Lang::parse(lang).map(|l| format!("lang={}&", l.code())).unwrap_or_default();
            let to = format!("/stay/{}?{lang}saved={what}", token.trim());
            return Ok(axum::response::Redirect::to(&to).into_response());
        }
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict(_))) => e,
        Err(e) => return Err(e.into()),
    };
    let status = match refusal {
        StoreError::Conflict(_) => axum::http::StatusCode::CONFLICT,
        _ => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
    };
    let mut view = own_view(app, token, Some(lang).filter(|l| !l.is_empty()), csrf).await?;
    let text = refusal.refusal().map(|r| view.tr.refusal(r)).unwrap_or_default();
    view.notice = Some(Notice { ok: false, text });
    Ok((status, view).into_response())
}

/// An extension by hand.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ExtensionBody {
    /// The person's passport number.
    pub passport: String,
    /// Days added to the on-site phase (1 to 21).
    pub days: u32,
    /// close-contact (密接) or cdc-decision (疾控研判).
    pub reason: String,
}

/// Extends a person's stay at the site (the CDC group or the manager); gives the new last on-site day.
#[utoipa::path(post, path = "/api/v1/quarantine/batches/{id}/extensions", tag = "quarantine", params(("id" = i64, Path)), request_body = ExtensionBody, responses((status = 200, description = "the new last on-site day", body = String), (status = 403, description = "the caller's group does not extend stays"), (status = 422, description = "bad input, or the person is no longer on site")))]
pub async fn api_extend(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<ExtensionBody>,
) -> Result<Json<chrono::NaiveDate>, ApiError> {
    let b = app.store.batch(&actor, id).await?;
    let reason = ExtensionReason::by_hand(&body.reason).map_err(StoreError::invalid)?;
    let who = cordon_store::quarantine::Who::Passport(&body.passport);
    Ok(Json(app.store.extend_stay(&actor, &b, who, body.days, reason).await?))
}

/// A result to record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ResultBody {
    /// The person's passport number.
    pub passport: String,
    /// The test day, YYYY-MM-DD (local).
    #[schema(value_type = String)]
    pub day: chrono::NaiveDate,
    /// negative or positive (阴性/阳性).
    pub result: String,
    /// Days a positive adds to each roommate's stay (default 7).
    pub roommate_days: Option<u32>,
}

/// Records a person's result for a test day: the same result again changes nothing, a different
/// one is refused (409) for the CDC group to decide; a positive opens a transfer and extends roommates.
#[utoipa::path(post, path = "/api/v1/quarantine/batches/{id}/results", tag = "quarantine", params(("id" = i64, Path)), request_body = ResultBody, responses((status = 200, description = "what was recorded", body = Object), (status = 403, description = "the caller's group does not record results"), (status = 409, description = "a different result is recorded for that day"), (status = 422, description = "bad input")))]
pub async fn api_record_result(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<ResultBody>,
) -> Result<Json<cordon_store::quarantine::Recorded>, ApiError> {
    let b = app.store.batch(&actor, id).await?;
    let result = cordon_domain::quarantine::results::TestResult::parse(&body.result).map_err(StoreError::invalid)?;
    let days = body.roommate_days.unwrap_or(7);
    Ok(Json(app.store.record_result(&actor, &b, &body.passport, body.day, result, days).await?))
}

/// A batch's results, newest day first (not for the hotel group).
#[utoipa::path(get, path = "/api/v1/quarantine/batches/{id}/results", tag = "quarantine", params(("id" = i64, Path)), responses((status = 200, description = "the results", body = Vec<cordon_store::quarantine::ResultLine>), (status = 403, description = "the caller's group does not see results"), (status = 404, description = "no such batch for the caller")))]
pub async fn api_results(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Vec<cordon_store::quarantine::ResultLine>>, ApiError> {
    let b = app.store.batch(&actor, id).await?;
    Ok(Json(app.store.stay_results(&actor, &b).await?))
}

//! Requests on pages and in the API: a person asks from their own page (the
//! form carries a client id made when the page is shown, so a double tap is
//! one request); each group sees on the site page the requests of the kinds
//! it handles and takes their steps (`SiteRole::handles`).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Json, Router};
use cordon_domain::quarantine::requests::{ClientId, RequestEvent, RequestKind, RequestState, RequestText};
use cordon_domain::quarantine::site::{Sight, SiteRole};
use cordon_store::StoreError;
use cordon_store::quarantine::RequestLine;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::accounts::{ApiActor, Ctx, Visitor};
use crate::error::{ApiError, PageError};
use crate::i18n::Tr;
use crate::views::{field, pairs};

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/quarantine/sites/{id}/requests/{rid}/step", post(step_page))
        .route("/stay/{token}/requests", post(own_request))
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_requests)).routes(routes!(api_step))
}

/// A step's button.
pub(super) struct StepButton {
    pub event: &'static str,
    pub label: String,
}

/// A request on the site page, worded, with the buttons of its next steps.
pub(super) struct SiteLine {
    pub id: i64,
    pub name: String,
    pub name_latin: String,
    pub language: String,
    pub room: Option<String>,
    pub kind: String,
    pub text: String,
    pub state: String,
    pub at: String,
    pub steps: Vec<StepButton>,
}

/// The site page's requests, for a role that sees them; the count is the dashboard's.
pub(super) async fn site_part(
    app: &AppState,
    ctx: &Ctx,
    site_id: i64,
    role: SiteRole,
) -> Result<Option<Vec<SiteLine>>, PageError> {
    if !role.may_see(Sight::Requests) {
        return Ok(None);
    }
    let tr = &ctx.tr;
    let lines = app
        .store
        .site_requests(&ctx.actor, site_id)
        .await?
        .into_iter()
        .map(|r: RequestLine| {
            let state = RequestState::parse(&r.state).unwrap_or(RequestState::Open);
            SiteLine {
                id: r.id,
                kind: tr.tk("request-kind", &r.kind),
                state: tr.tk("request-state", state.as_str()),
                at: tr.time(&r.created_at),
                steps: state
                    .next_steps()
                    .into_iter()
                    .map(|e| StepButton { event: e.key(), label: tr.tk("request-do", e.key()) })
                    .collect(),
                name: r.name,
                name_latin: r.name_latin,
                language: r.language,
                room: r.room,
                text: r.text,
            }
        })
        .collect();
    Ok(Some(lines))
}

/// A kind on the own page's form.
pub(super) struct KindChoice {
    pub key: &'static str,
    pub label: String,
}

/// A request on the person's own page.
pub(super) struct OwnLine {
    pub kind: String,
    pub text: String,
    pub state: String,
    pub done: bool,
    pub at: String,
}

/// The own page's requests part: the form (with a fresh client id) and the person's requests.
pub(super) struct OwnPart {
    pub kinds: Vec<KindChoice>,
    pub client: String,
    pub mine: Vec<OwnLine>,
}

/// The own page's requests part.
pub(super) async fn own_part(app: &AppState, tr: &Tr, token: &str) -> Result<OwnPart, PageError> {
    let mine = app
        .store
        .own_requests(token)
        .await?
        .into_iter()
        .map(|r| OwnLine {
            kind: tr.tk("request-kind", &r.kind),
            state: tr.tk("request-state", &r.state),
            done: r.state == RequestState::Done.as_str(),
            at: tr.time(&r.created_at),
            text: r.text,
        })
        .collect();
    Ok(OwnPart {
        kinds: RequestKind::ALL
            .into_iter()
            .map(|k| KindChoice { key: k.as_str(), label: tr.tk("request-kind", k.as_str()) })
            .collect(),
        // Made once per page shown: the same form sent twice carries the same id.
        client: cordon_store::accounts::random_secret(16),
        mine,
    })
}

/// A request from the own page: no sign-in (the token is the credential),
/// rate-limited per address like the page itself.
async fn own_request(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    v: Visitor,
    body: String,
) -> Result<Response, PageError> {
    if let Some(refused) = crate::boards::over_public_limit(&app, "stay-page", peer, v.tr).await? {
        return Ok(refused);
    }
    let f = pairs(&body);
    let parsed = RequestKind::parse(field(&f, "kind"))
        .and_then(|kind| Ok((kind, RequestText::parse(field(&f, "text"))?, ClientId::parse(field(&f, "client"))?)));
    let done = match parsed {
        Ok((kind, text, client)) => app.store.make_request(&token, kind, &text, &client).await.map(|_| ()),
        Err(r) => Err(StoreError::invalid(r)),
    };
    super::own_answer(&app, &token, field(&f, "lang"), v.csrf, done, "request").await
}

/// A group's step on a request, from the site page.
async fn step_page(
    State(app): State<AppState>,
    ctx: Ctx,
    Path((id, rid)): Path<(i64, i64)>,
    body: String,
) -> Result<Response, PageError> {
    let f = pairs(&body);
    let event = RequestEvent::parse(field(&f, "event")).map_err(StoreError::invalid)?;
    app.store.step_request(&ctx.actor, id, rid, event).await?;
    Ok(Redirect::to(&format!("/quarantine/sites/{id}#requests")).into_response())
}

/// The requests not yet done at a site, of the kinds the caller's group handles (the manager: all).
#[utoipa::path(get, path = "/api/v1/quarantine/sites/{id}/requests", tag = "quarantine", params(("id" = i64, Path)), responses((status = 200, description = "the requests", body = Vec<RequestLine>), (status = 403, description = "the caller's group does not see requests"), (status = 404, description = "no such site for the caller")))]
pub async fn api_requests(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Vec<RequestLine>>, ApiError> {
    Ok(Json(app.store.site_requests(&actor, id).await?))
}

/// A step to take on a request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StepBody {
    /// acknowledge or done.
    pub event: String,
}

/// Where a request stands after a step.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Stepped {
    /// open, acknowledged or done.
    pub state: String,
}

/// Takes a request's step: open → acknowledged → done, or open → done; a step that does not
/// follow from its state (taken by someone a moment ago) is refused (409).
#[utoipa::path(post, path = "/api/v1/quarantine/sites/{id}/requests/{rid}/step", tag = "quarantine", params(("id" = i64, Path), ("rid" = i64, Path)), request_body = StepBody, responses((status = 200, description = "the request's new state", body = Stepped), (status = 403, description = "the caller's group does not handle this kind"), (status = 404, description = "no such request at the site for the caller"), (status = 409, description = "the step does not follow from the request's state")))]
pub async fn api_step(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((id, rid)): Path<(i64, i64)>,
    Json(body): Json<StepBody>,
) -> Result<Json<Stepped>, ApiError> {
    let event = RequestEvent::parse(&body.event)?;
    let state = app.store.step_request(&actor, id, rid, event).await?;
    Ok(Json(Stepped { state: state.as_str().to_string() }))
}

//! Outbound webhooks for the command: the page that lists, adds, turns on and
//! off and deletes them with the recent delivery log, the API, and the worker
//! that delivers the announcements (`worker`). URLs and secrets carry access
//! tokens: after saving they are only ever shown masked.

pub mod worker;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use cordon_domain::webhooks::WebhookFormat;
use cordon_store::StoreError;
use cordon_store::webhooks::{Delivery, LOST_ATTEMPT, NewWebhook, Webhook};
use serde::Deserialize;

use crate::AppState;
use crate::accounts::{ApiActor, Ctx};
use crate::error::{ApiError, PageError};
use crate::views::Layout;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks", get(index).post(create))
        .route("/webhooks/{id}/enable", post(enable))
        .route("/webhooks/{id}/disable", post(disable))
        .route("/webhooks/{id}/delete", post(remove))
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_list, api_create))
        .routes(routes!(api_deliveries))
        .routes(routes!(api_delete))
}

/// A delivery attempt as the page shows it.
struct LogLine {
    d: Delivery,
    at: String,
    event: String,
    /// Cordon's own word on the attempt, in the user's language: in flight,
    /// lost, or refused as a private address (instead of the logged detail).
    note: Option<String>,
}

/// What the page says of an attempt Cordon itself judged.
fn note_of(d: &Delivery, tr: &crate::i18n::Tr) -> Option<String> {
    match d.state.as_str() {
        "in-flight" => Some(tr.t("webhook-attempt-in-flight")),
        "lost" => Some(tr.t("webhook-attempt-lost")),
        _ => own_error(d.error.as_deref(), tr),
    }
}

/// An error Cordon wrote itself (not a receiver's answer), worded in the
/// user's language: the log keeps it in English for the operator.
fn own_error(error: Option<&str>, tr: &crate::i18n::Tr) -> Option<String> {
    match error? {
        e if e.starts_with(worker::PRIVATE_REFUSED) => {
            Some(tr.refusal(&cordon_domain::Key::WebhookPrivateAddress.into()))
        }
        LOST_ATTEMPT => Some(tr.t("webhook-attempt-lost")),
        _ => None,
    }
}

/// A webhook as the page shows it.
struct Line {
    w: Webhook,
    format: String,
    failing: String,
    /// The last error, Cordon's own worded in the user's language.
    last_error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "webhooks/index.html")]
struct IndexView {
    l: Layout,
    hooks: Vec<Line>,
    log: Vec<LogLine>,
    formats: Vec<(&'static str, String)>,
    error: Option<String>,
    name: String,
    format: String,
}

async fn view(
    app: &AppState,
    ctx: &Ctx,
    error: Option<String>,
    form: Option<&HookForm>,
) -> Result<IndexView, PageError> {
    let fmt = |t| app.zone.local(t).format("%Y-%m-%d %H:%M:%S").to_string();
    let hooks = app
        .store
        .webhooks(&ctx.actor)
        .await?
        .into_iter()
        .map(|w| Line {
            format: ctx.tr.t(&format!("webhook-format-{}", w.format)),
            failing: ctx.tr.t_with(
                "webhook-failing",
                &[("failures", w.failures.to_string()), ("next", w.next_attempt_at.map(fmt).unwrap_or_default())],
            ),
            last_error: own_error(w.last_error.as_deref(), &ctx.tr).or_else(|| w.last_error.clone()),
            w,
        })
        .collect();
    let log = app
        .store
        .webhook_deliveries(&ctx.actor, 50)
        .await?
        .into_iter()
        .map(|d| LogLine {
            at: fmt(d.at),
            event: match d.event.strip_prefix("control.") {
                Some(status) => ctx.tr.tk("control", status),
                None => ctx.tr.t(&format!("order-state-{}", d.event.trim_start_matches("order."))),
            },
            note: note_of(&d, &ctx.tr),
            d,
        })
        .collect();
    let formats =
        WebhookFormat::ALL.iter().map(|f| (f.as_str(), ctx.tr.t(&format!("webhook-format-{}", f.as_str())))).collect();
    Ok(IndexView {
        l: Layout::new(ctx, "nav-webhooks"),
        hooks,
        log,
        formats,
        error,
        name: form.map(|f| f.name.clone()).unwrap_or_default(),
        format: form.map(|f| f.format.clone()).unwrap_or_default(),
    })
}

async fn index(State(app): State<AppState>, ctx: Ctx) -> Result<IndexView, PageError> {
    view(&app, &ctx, None, None).await
}

#[derive(Deserialize)]
struct HookForm {
    name: String,
    format: String,
    url: String,
    #[serde(default)]
    secret: String,
}

async fn create(State(app): State<AppState>, ctx: Ctx, Form(f): Form<HookForm>) -> Result<Response, PageError> {
    let new = NewWebhook {
        name: f.name.clone(),
        format: f.format.clone(),
        url: f.url.clone(),
        secret: Some(f.secret.clone()),
        enabled: true,
        allow_private: app.webhook_allow_private,
    };
    match app.store.add_webhook(&ctx.actor, &new).await {
        Ok(_) => Ok(Redirect::to("/webhooks").into_response()),
        // The form comes back with the name and format; never with the URL or secret.
        Err(StoreError::Invalid(m)) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, view(&app, &ctx, Some(ctx.tr.refusal(&m)), Some(&f)).await?)
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Turns a webhook on or off (`/webhooks/{id}/enable`, `/webhooks/{id}/disable`).
async fn switch(app: AppState, ctx: Ctx, id: i64, enabled: bool) -> Result<Redirect, PageError> {
    app.store.set_webhook_enabled(&ctx.actor, id, enabled).await?;
    Ok(Redirect::to("/webhooks"))
}

async fn enable(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Redirect, PageError> {
    switch(app, ctx, id, true).await
}

async fn disable(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Redirect, PageError> {
    switch(app, ctx, id, false).await
}

async fn remove(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Redirect, PageError> {
    app.store.delete_webhook(&ctx.actor, id).await?;
    Ok(Redirect::to("/webhooks"))
}

/// The outbound webhooks, URLs masked; command at city scope only.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", responses((status = 200, description = "webhooks", body = Vec<Webhook>), (status = 403, description = "not the command")))]
pub async fn api_list(State(app): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Vec<Webhook>>, ApiError> {
    Ok(Json(app.store.webhooks(&actor).await?))
}

/// A webhook to add.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct WebhookBody {
    /// A name for people.
    pub name: String,
    /// wecom, dingtalk, feishu or json.
    pub format: String,
    /// The receiver's http(s) URL.
    pub url: String,
    /// The robot's signing secret (DingTalk, Feishu; JSON: HMAC in `X-Cordon-Signature`).
    #[serde(default)]
    pub secret: Option<String>,
    /// Whether it starts enabled (default yes).
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Adds a webhook; every step of every order is announced to it from now on.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookBody, responses((status = 201, description = "the new webhook, URL masked", body = Webhook), (status = 422, description = "bad input"), (status = 403, description = "not the command")))]
pub async fn api_create(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<WebhookBody>,
) -> Result<(StatusCode, Json<Webhook>), ApiError> {
    let new = NewWebhook {
        name: b.name,
        format: b.format,
        url: b.url,
        secret: b.secret,
        enabled: b.enabled.unwrap_or(true),
        allow_private: app.webhook_allow_private,
    };
    let id = app.store.add_webhook(&actor, &new).await?;
    Ok((StatusCode::CREATED, Json(app.store.webhook(&actor, id).await?)))
}

/// Deletes a webhook; its undelivered announcements are not sent.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)), responses((status = 204, description = "deleted"), (status = 404, description = "no such webhook")))]
pub async fn api_delete(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    app.store.delete_webhook(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The latest 200 delivery attempts, newest first: time, webhook, event, status or error, attempt.
#[utoipa::path(get, path = "/api/v1/webhooks/deliveries", tag = "webhooks", responses((status = 200, description = "delivery attempts", body = Vec<Delivery>), (status = 403, description = "not the command")))]
pub async fn api_deliveries(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    Ok(Json(app.store.webhook_deliveries(&actor, 200).await?))
}

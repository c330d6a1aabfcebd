//! Health checks on pages and in the API: the site page's health alerts
//! (acknowledged by the medical group or the manager), the form that records
//! a check and today's checks, for the roles that see health data; and the
//! check a person sends from their own page. What a role sees and does is the
//! store's answer (`Sight::HealthChecks`, `SiteRole::records_health`).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Json, Router};
use cordon_domain::Refusal;
use cordon_domain::quarantine::health::{Reading, Slot, Symptom, Temperature};
use cordon_domain::quarantine::site::{Sight, SiteRole};
use cordon_store::StoreError;
use cordon_store::quarantine::{CheckRecorded, HealthCheck, OnSitePerson};
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
        .route("/quarantine/sites/{id}/health-checks", post(record_page))
        .route("/quarantine/sites/{id}/health-alerts/{check}/acknowledge", post(acknowledge_page))
        .route("/stay/{token}/health", post(own_check))
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_checks, api_record_check)).routes(routes!(api_acknowledge))
}

/// A choice of a form (a slot, a symptom), worded.
pub(super) struct Choice {
    pub key: &'static str,
    pub label: String,
    pub current: bool,
}

/// The slots, the one of this time of day chosen.
fn slots(tr: &Tr, now: Slot) -> Vec<Choice> {
    Slot::ALL
        .into_iter()
        .map(|s| Choice { key: s.as_str(), label: tr.tk("slot", s.as_str()), current: s == now })
        .collect()
}

/// The symptoms of the list, none ticked.
fn symptoms(tr: &Tr) -> Vec<Choice> {
    Symptom::ALL
        .into_iter()
        .map(|s| Choice { key: s.as_str(), label: tr.tk("symptom", s.as_str()), current: false })
        .collect()
}

/// A check on a page, its words in the page's language.
pub(super) struct CheckLine {
    pub id: i64,
    pub name: String,
    pub name_latin: String,
    pub room: Option<String>,
    pub slot: String,
    pub source: String,
    pub temperature: String,
    pub fever: bool,
    pub symptoms: String,
    pub at: String,
    pub alert: bool,
}

fn line(tr: &Tr, c: HealthCheck) -> CheckLine {
    let symptoms: Vec<String> = c.symptoms.iter().map(|s| tr.tk("symptom", s)).collect();
    CheckLine {
        id: c.id,
        slot: tr.tk("slot", &c.slot),
        source: tr.tk("check-source", &c.source),
        at: tr.time(&c.at),
        symptoms: symptoms.join(", "),
        // An acknowledged alert is no longer one to act on.
        alert: c.alert && c.acknowledged_at.is_none(),
        fever: c.fever,
        temperature: c.temperature,
        name: c.name,
        name_latin: c.name_latin,
        room: c.room,
    }
}

/// The site page's health part, for a role that sees health data.
pub(super) struct SitePart {
    pub alerts: Vec<CheckLine>,
    pub today: Vec<CheckLine>,
    /// The form's people, for a role that records checks.
    pub people: Option<Vec<OnSitePerson>>,
    pub slots: Vec<Choice>,
    pub symptoms: Vec<Choice>,
}

/// The site page's health part, or none for a role that may not see it.
pub(super) async fn site_part(
    app: &AppState,
    ctx: &Ctx,
    site_id: i64,
    role: SiteRole,
    zone: cordon_domain::clock::Zone,
) -> Result<Option<SitePart>, PageError> {
    if !role.may_see(Sight::HealthChecks) {
        return Ok(None);
    }
    let alerts = app.store.health_alerts(&ctx.actor, site_id).await?;
    let today = app.store.health_checks(&ctx.actor, site_id).await?;
    let people = if role.records_health() { Some(app.store.people_on_site(&ctx.actor, site_id).await?) } else { None };
    let now = Slot::at(zone.local(app.store.now()).time());
    Ok(Some(SitePart {
        alerts: alerts.into_iter().map(|c| line(&ctx.tr, c)).collect(),
        today: today.into_iter().map(|c| line(&ctx.tr, c)).collect(),
        people,
        slots: slots(&ctx.tr, now),
        symptoms: symptoms(&ctx.tr),
    }))
}

/// The own page's health part: the form, and the checks the person sent today.
pub(super) struct OwnPart {
    pub today: Vec<CheckLine>,
    pub slots: Vec<Choice>,
    pub symptoms: Vec<Choice>,
}

/// The own page's health part.
pub(super) async fn own_part(app: &AppState, tr: &Tr, token: &str) -> Result<OwnPart, PageError> {
    let today = app.store.own_checks(token).await?;
    let now = Slot::at(app.zone.local(app.store.now()).time());
    Ok(OwnPart {
        today: today.into_iter().map(|c| line(tr, c)).collect(),
        slots: slots(tr, now),
        symptoms: symptoms(tr),
    })
}

/// A reading and its slot from a form's fields (`slot`, `temperature`, `symptom` repeated).
fn reading_of(f: &[(String, String)]) -> Result<(Slot, Reading), Refusal> {
    let slot = Slot::parse(field(f, "slot"))?;
    let temperature = Temperature::parse(field(f, "temperature"))?;
    let ticked: Vec<Symptom> =
        f.iter().filter(|(k, _)| k == "symptom").map(|(_, v)| Symptom::parse(v)).collect::<Result<_, _>>()?;
    Ok((slot, Reading::new(temperature, &ticked)))
}

/// The medical group's (or the manager's) form on the site page: one person's check.
async fn record_page(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    body: String,
) -> Result<Response, PageError> {
    let f = pairs(&body);
    let person: i64 = field(&f, "person")
        .trim()
        .parse()
        .map_err(|_| StoreError::invalid(cordon_domain::Key::QuarantinePersonNotOnSite))?;
    let (slot, reading) = reading_of(&f).map_err(StoreError::invalid)?;
    app.store.record_health_check(&ctx.actor, id, person, slot, &reading).await?;
    Ok(Redirect::to(&format!("/quarantine/sites/{id}#health")).into_response())
}

/// An alert acknowledged from the site page.
async fn acknowledge_page(
    State(app): State<AppState>,
    ctx: Ctx,
    Path((id, check)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    app.store.acknowledge_alert(&ctx.actor, id, check).await?;
    Ok(Redirect::to(&format!("/quarantine/sites/{id}#alerts")).into_response())
}

/// The check a person sends from their own page: no sign-in (the token is
/// the credential), rate-limited per address like the page itself.
async fn own_check(
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
    let done = match reading_of(&f) {
        Ok((slot, reading)) => app.store.record_own_check(&token, slot, &reading).await.map(|_| ()),
        Err(r) => Err(StoreError::invalid(r)),
    };
    super::own_answer(&app, &token, field(&f, "lang"), v.csrf, done, "health").await
}

/// Today's checks at a site and the alerts waiting.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HealthBoard {
    /// Today's checks (the site's local day), newest first.
    pub today: Vec<HealthCheck>,
    /// Alerts not yet acknowledged, oldest first.
    pub alerts: Vec<HealthCheck>,
}

/// Today's health checks at a site and its alerts (not for the hotel, information, foreign
/// affairs or police groups).
#[utoipa::path(get, path = "/api/v1/quarantine/sites/{id}/health-checks", tag = "quarantine", params(("id" = i64, Path)), responses((status = 200, description = "today's checks and the alerts", body = HealthBoard), (status = 403, description = "the caller's group does not see health checks"), (status = 404, description = "no such site for the caller")))]
pub async fn api_checks(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<HealthBoard>, ApiError> {
    let today = app.store.health_checks(&actor, id).await?;
    let alerts = app.store.health_alerts(&actor, id).await?;
    Ok(Json(HealthBoard { today, alerts }))
}

/// A check to record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CheckBody {
    /// The person's id (in a room at the site).
    pub person_id: i64,
    /// morning or afternoon; by default the one of the site's time of day.
    pub slot: Option<String>,
    /// °C, one decimal, e.g. "37.3".
    pub temperature: String,
    /// Symptoms of the list: cough, sore-throat, fatigue, loss-of-smell-taste,
    /// shortness-of-breath, diarrhoea, other.
    #[serde(default)]
    pub symptoms: Vec<String>,
}

/// Records a person's check for today: the same check again changes nothing, a different reading
/// for the same slot is refused (409). A fever (≥ 37.3 °C) or a symptom is an alert.
#[utoipa::path(post, path = "/api/v1/quarantine/sites/{id}/health-checks", tag = "quarantine", params(("id" = i64, Path)), request_body = CheckBody, responses((status = 200, description = "what was recorded", body = CheckRecorded), (status = 403, description = "the caller's group does not record checks"), (status = 404, description = "no such site for the caller"), (status = 409, description = "a different reading is recorded for the slot"), (status = 422, description = "bad input")))]
pub async fn api_record_check(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<CheckBody>,
) -> Result<Json<CheckRecorded>, ApiError> {
    let slot = match body.slot.as_deref() {
        Some(s) => Slot::parse(s)?,
        None => Slot::at(app.store.site(&actor, id).await?.zone.local(app.store.now()).time()),
    };
    let temperature = Temperature::parse(&body.temperature)?;
    let ticked: Vec<Symptom> = body.symptoms.iter().map(|s| Symptom::parse(s)).collect::<Result<_, _>>()?;
    let reading = Reading::new(temperature, &ticked);
    Ok(Json(app.store.record_health_check(&actor, id, body.person_id, slot, &reading).await?))
}

/// Acknowledges a health alert (the medical group or the manager); true when this call did it.
#[utoipa::path(post, path = "/api/v1/quarantine/sites/{id}/health-alerts/{check}/acknowledge", tag = "quarantine", params(("id" = i64, Path), ("check" = i64, Path)), responses((status = 200, description = "whether this call acknowledged it", body = bool), (status = 403, description = "the caller's group does not acknowledge alerts"), (status = 404, description = "no such alert at the site for the caller")))]
pub async fn api_acknowledge(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((id, check)): Path<(i64, i64)>,
) -> Result<Json<bool>, ApiError> {
    Ok(Json(app.store.acknowledge_alert(&actor, id, check).await?))
}

#[cfg(test)]
mod tests {
    use cordon_domain::quarantine::health::{Slot, Source, Symptom};
    use cordon_domain::quarantine::requests::{RequestEvent, RequestKind, RequestState};

    /// The keys a locale file defines.
    fn keys(ftl: &str) -> std::collections::BTreeSet<String> {
        ftl.lines().filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_string())).collect()
    }

    #[test]
    fn every_symptom_slot_and_request_word_has_its_text_and_the_own_page_s_in_russian_too() {
        let mut own: Vec<String> = Symptom::ALL.iter().map(|s| format!("symptom-{}", s.as_str())).collect();
        own.extend(Slot::ALL.iter().map(|s| format!("slot-{}", s.as_str())));
        own.extend(RequestKind::ALL.iter().map(|k| format!("request-kind-{}", k.as_str())));
        own.extend(RequestState::ALL.iter().map(|s| format!("request-state-{}", s.as_str())));
        let mut staff: Vec<String> = RequestEvent::ALL.iter().map(|e| format!("request-do-{}", e.key())).collect();
        staff.extend([Source::Staff, Source::SelfReport].iter().map(|s| format!("check-source-{}", s.as_str())));
        let ru = keys(include_str!("../../locales/ru/main.ftl"));
        for (lang, ftl) in
            [("zh-CN", include_str!("../../locales/zh-CN/main.ftl")), ("en", include_str!("../../locales/en/main.ftl"))]
        {
            let have = keys(ftl);
            for k in own.iter().chain(&staff) {
                assert!(have.contains(k), "{lang}: {k}");
            }
        }
        for k in &own {
            assert!(ru.contains(k), "ru: {k}");
        }
    }
}

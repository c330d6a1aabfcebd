//! Release on pages and in the API: issuing a batch's certificates, printing
//! them (a batch's, or the site's people released today; one A4 page each,
//! in Chinese and the person's language, with a QR that verifies it), the
//! release with its hand-over, and the public verification page the QR opens.
//! Who may do what is the store's answer (`SiteRole::releases`,
//! `Sight::Releases`).

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cordon_domain::quarantine::release::{CertificateText, Handover};
use cordon_store::StoreError;
use cordon_store::quarantine::{Certificate, Issued, Released, Who};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::own_lang;
use crate::AppState;
use crate::accounts::{ApiActor, Ctx};
use crate::error::{ApiError, PageError};
use crate::i18n::{Lang, Tr};

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/quarantine/batches/{id}/certificates", get(batch_certificates).post(issue))
        .route("/quarantine/sites/{id}/certificates", get(site_certificates_today))
        .route("/quarantine/batches/{id}/release", post(release))
        .route("/v/{code}", get(verify_page))
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_certificates, api_issue)).routes(routes!(api_release))
}

/// A certificate's words in one language.
struct Words {
    lang: &'static str,
    title: String,
    body: String,
    scan: String,
}

impl Words {
    fn of(tr: &Tr, t: &CertificateText) -> Words {
        let date = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
        Words {
            lang: tr.lang.html(),
            title: tr.t("cert-title"),
            body: tr.t_with(
                "cert-body",
                &[
                    ("name", t.name.clone()),
                    ("latin", t.name_latin.clone()),
                    ("passport", t.passport.clone()),
                    ("arrival", date(t.arrival_date)),
                    ("site", t.site.clone()),
                    ("onsite", date(t.onsite_end)),
                    ("home", date(t.home_end)),
                ],
            ),
            scan: tr.t("cert-scan"),
        }
    }
}

/// One certificate as it prints.
struct CertView {
    t: CertificateText,
    qr: String,
    zh: Words,
    /// The person's language, when it is not Chinese.
    own: Option<Words>,
}

#[derive(Template, WebTemplate)]
#[template(path = "quarantine/certificates.html")]
struct CertificatesView {
    tr: Tr,
    back: String,
    back_name: String,
    certs: Vec<CertView>,
    /// What the issue that led here did, for the note above the pages.
    note: Option<String>,
}

fn views(app: &AppState, headers: &HeaderMap, certs: Vec<Certificate>) -> Vec<CertView> {
    let zh = Tr::new(Lang::Zh, app.zone);
    certs
        .into_iter()
        .map(|c| {
            let own = own_lang(None, &c.language);
            let url = crate::boards::public_link(app, headers, &format!("/v/{}", c.code));
            CertView {
                qr: crate::boards::qr_svg(&url),
                zh: Words::of(&zh, &c.text),
                own: (own != Lang::Zh).then(|| Words::of(&Tr::new(own, app.zone), &c.text)),
                t: c.text,
            }
        })
        .collect()
}

#[derive(Deserialize)]
struct IssuedQuery {
    issued: Option<usize>,
    refused: Option<usize>,
}

/// A batch's issued certificates, to print in one go.
async fn batch_certificates(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<IssuedQuery>,
    headers: HeaderMap,
) -> Result<CertificatesView, PageError> {
    let b = app.store.batch(&ctx.actor, id).await?;
    let certs = app.store.certificates(&ctx.actor, b.site_id, Some(&b), None).await?;
    let note = q.issued.map(|n| {
        ctx.tr.t_with("cert-issued-note", &[("n", n.to_string()), ("refused", q.refused.unwrap_or(0).to_string())])
    });
    Ok(CertificatesView {
        back: format!("/quarantine/batches/{id}"),
        back_name: b.name,
        certs: views(&app, &headers, certs),
        note,
        tr: ctx.tr,
    })
}

/// The certificates of the site's people whose last on-site day is today.
async fn site_certificates_today(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<CertificatesView, PageError> {
    let site = app.store.site(&ctx.actor, id).await?;
    let today = site.zone.date_of(app.store.now());
    let certs = app.store.certificates(&ctx.actor, id, None, Some(today)).await?;
    Ok(CertificatesView {
        back: format!("/quarantine/sites/{id}"),
        back_name: site.name,
        certs: views(&app, &headers, certs),
        note: None,
        tr: ctx.tr,
    })
}

/// Issues the batch's certificates (the batch page's button), then shows them to print.
async fn issue(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Response, PageError> {
    let b = app.store.batch(&ctx.actor, id).await?;
    let done = app.store.issue_certificates(&ctx.actor, &b).await?;
    let to = format!("/quarantine/batches/{id}/certificates?issued={}&refused={}", done.issued, done.refused.len());
    Ok(Redirect::to(&to).into_response())
}

#[derive(Deserialize)]
struct ReleaseForm {
    person: i64,
    received_by: String,
    transport: String,
}

/// Releases one person from the batch page's form, then goes back to it.
async fn release(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ReleaseForm>,
) -> Result<Response, PageError> {
    let b = app.store.batch(&ctx.actor, id).await?;
    let handover = Handover::parse(&f.received_by, &f.transport).map_err(StoreError::invalid)?;
    app.store.release(&ctx.actor, &b, Who::Id(f.person), &handover).await?;
    Ok(Redirect::to(&format!("/quarantine/batches/{id}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "quarantine/verify.html")]
struct VerifyView {
    tr: Tr,
    t: Option<CertificateText>,
}

/// The page a certificate's QR opens, for anyone: what the certificate
/// states when its signature holds, and a plain "not valid" otherwise.
/// Rate-limited per address before the code is read.
async fn verify_page(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let tr = crate::accounts::tr_of(&app, &headers);
    if let Some(refused) = crate::boards::over_public_limit(&app, "certificate", peer, tr).await? {
        return Ok(refused);
    }
    let t = app.store.verify_certificate(&code).await?;
    let status = if t.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND };
    Ok((status, VerifyView { tr, t }).into_response())
}

/// A batch's issued certificates: what each states and the code its QR carries.
#[utoipa::path(get, path = "/api/v1/quarantine/batches/{id}/certificates", tag = "quarantine", params(("id" = i64, Path)), responses((status = 200, description = "the certificates", body = Vec<Object>), (status = 403, description = "the caller's group does not see releases"), (status = 404, description = "no such batch for the caller")))]
pub async fn api_certificates(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Certificate>>, ApiError> {
    let b = app.store.batch(&actor, id).await?;
    Ok(Json(app.store.certificates(&actor, b.site_id, Some(&b), None).await?))
}

/// Issues the certificate of everyone in the batch who may be released today and has none;
/// the others are listed with the reason. The same call again issues nothing new.
#[utoipa::path(post, path = "/api/v1/quarantine/batches/{id}/certificates", tag = "quarantine", params(("id" = i64, Path)), responses((status = 200, description = "what was issued", body = Object), (status = 403, description = "the caller's group does not release people"), (status = 404, description = "no such batch for the caller")))]
pub async fn api_issue(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<Issued>, ApiError> {
    let b = app.store.batch(&actor, id).await?;
    Ok(Json(app.store.issue_certificates(&actor, &b).await?))
}

/// A release with its hand-over.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReleaseBody {
    /// The person's passport number.
    pub passport: String,
    /// Who receives them (their institution's or province's contact).
    pub received_by: String,
    /// The onward transport.
    pub transport: String,
}

/// Releases a person on or after their last on-site day: certificate, hand-over, room left.
#[utoipa::path(post, path = "/api/v1/quarantine/batches/{id}/releases", tag = "quarantine", params(("id" = i64, Path)), request_body = ReleaseBody, responses((status = 200, description = "the release", body = Object), (status = 403, description = "the caller's group does not release people"), (status = 422, description = "not yet, positive, or bad input")))]
pub async fn api_release(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<ReleaseBody>,
) -> Result<Json<Released>, ApiError> {
    let b = app.store.batch(&actor, id).await?;
    let handover = Handover::parse(&body.received_by, &body.transport).map_err(StoreError::invalid)?;
    Ok(Json(app.store.release(&actor, &b, Who::Passport(&body.passport), &handover).await?))
}

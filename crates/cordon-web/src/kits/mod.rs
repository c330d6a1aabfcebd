//! Kits (防疫战斗包) on their own page of the squad and in the API: what each
//! member was handed and still owes, the whole kit in one tap per member
//! ("发放全套"), items handed one entry at a time, and a correction as a
//! reversing entry.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use cordon_store::StoreError;
use cordon_store::kits::KitStatus;
use cordon_store::kits::grid::{KitGrid, KitHanded};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::accounts::{ApiActor, Ctx};
use crate::error::{ApiError, PageError};
use crate::i18n::Lang;
use crate::views::Layout;

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/squads/{id}/kits", get(kits_page).post(issue_kit))
        .route("/squads/{id}/kits/{entry}/reverse", post(reverse_kit))
        .route("/squads/{id}/kits/members/{cadre}/all", post(whole_kit))
}

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_kits, api_issue_kit))
        .routes(routes!(api_grid))
        .routes(routes!(api_whole_kit))
}

/// One member's card on the kits page.
struct Card {
    cadre_id: i64,
    name: String,
    role: String,
    owed: i64,
    cells: Vec<CardCell>,
}

/// One item on a member's card.
struct CardCell {
    item_id: i64,
    item: String,
    given: i64,
    per_person: i64,
    owed: i64,
    correctable: Option<i64>,
    /// What the correction button says to a screen reader: whose item it corrects.
    correct_label: String,
}

/// One line of the ledger, its time in the deployment's zone.
struct LedgerLine {
    at: String,
    e: cordon_store::kits::KitEntry,
}

#[derive(Template, WebTemplate)]
#[template(path = "kits/page.html")]
struct KitsView {
    l: Layout,
    squad_id: i64,
    /// The squad's members, for the form of a single entry.
    members: Vec<(i64, String)>,
    /// The template's items in the user's language, for the same form.
    items: Vec<(i64, String)>,
    /// The squad's totals per item, each with the item's name in the user's language.
    lines: Vec<(String, cordon_store::kits::KitLine)>,
    cards: Vec<Card>,
    ledger: Vec<LedgerLine>,
    can_issue: bool,
    error: Option<String>,
}

/// An item's name in the user's language: the English name where there is one.
fn item_name(l: Lang, item: &cordon_store::kits::KitItem) -> String {
    item.name_for(l == Lang::En).to_string()
}

/// The kits page, with a message above the cards if a form was refused.
async fn kits_view(app: &AppState, ctx: &Ctx, id: i64, error: Option<String>) -> Result<KitsView, PageError> {
    let squad = app.store.squad(&ctx.actor, id).await?;
    let grid: KitGrid = app.store.kit_grid(&ctx.actor, id).await?;
    let kits = app.store.kit_status(&ctx.actor, id).await?;
    let names: Vec<String> = grid.items.iter().map(|i| item_name(ctx.tr.lang, i)).collect();
    let cards = grid
        .members
        .into_iter()
        .map(|m| Card {
            cadre_id: m.cadre_id,
            role: ctx.tr.tk("squad-role", &m.role),
            owed: m.owed,
            cells: m
                .cells
                .into_iter()
                .zip(&names)
                .map(|(c, item)| CardCell {
                    item_id: c.item_id,
                    item: item.clone(),
                    given: c.given,
                    per_person: c.per_person,
                    owed: c.owed,
                    correctable: c.correctable,
                    correct_label: ctx
                        .tr
                        .t_with("kit-cell-correct-label", &[("name", m.name.clone()), ("item", item.clone())]),
                })
                .collect(),
            name: m.name,
        })
        .collect();
    // Times are worded by the translator, in the deployment's zone (never as stored, in UTC).
    let ledger = kits.entries.iter().map(|e| LedgerLine { at: ctx.tr.time(&e.at), e: e.clone() }).collect();
    Ok(KitsView {
        l: Layout::titled(ctx, ctx.tr.t_with("kit-page-title", &[("squad", squad.name.clone())])),
        squad_id: id,
        members: squad.members.iter().map(|m| (m.cadre_id, m.name.clone())).collect(),
        lines: kits.lines.iter().map(|k| (item_name(ctx.tr.lang, &k.item), k.clone())).collect(),
        items: grid.items.iter().map(|i| i.id).zip(names).collect(),
        cards,
        ledger,
        can_issue: cordon_domain::kits::may_issue(&ctx.actor),
        error,
    })
}

/// Back to the kits page after a form, or the kits page with the refusal.
async fn after_form<T>(
    app: &AppState,
    ctx: &Ctx,
    id: i64,
    result: Result<T, StoreError>,
) -> Result<Response, PageError> {
    crate::views::after_form(ctx, result, &format!("/squads/{id}/kits"), |e| kits_view(app, ctx, id, Some(e))).await
}

async fn kits_page(State(app): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<KitsView, PageError> {
    kits_view(&app, &ctx, id, None).await
}

#[derive(Deserialize)]
struct KitForm {
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
    let result = app.store.issue_kit(&ctx.actor, id, f.cadre, f.item, f.quantity).await;
    after_form(&app, &ctx, id, result).await
}

async fn reverse_kit(
    State(app): State<AppState>,
    ctx: Ctx,
    Path((id, entry)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let result = app.store.reverse_kit_entry(&ctx.actor, id, entry).await;
    after_form(&app, &ctx, id, result).await
}

/// "发放全套": a second tap finds nothing owed and comes back to the same page.
async fn whole_kit(
    State(app): State<AppState>,
    ctx: Ctx,
    Path((id, cadre)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let result = app.store.issue_whole_kit(&ctx.actor, id, cadre).await;
    after_form(&app, &ctx, id, result).await
}

/// A squad's kits: due, issued and owed per item, and the ledger.
#[utoipa::path(get, path = "/api/v1/squads/{id}/kits", tag = "kits", params(("id" = i64, Path)), responses((status = 200, description = "the kits", body = KitStatus)))]
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
#[utoipa::path(post, path = "/api/v1/squads/{id}/kits", tag = "kits", params(("id" = i64, Path)), request_body = KitBody, responses((status = 200, description = "the kits after the entry", body = KitStatus), (status = 422, description = "bad input")))]
pub async fn api_issue_kit(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<KitBody>,
) -> Result<Json<KitStatus>, ApiError> {
    app.store.issue_kit(&actor, id, b.cadre_id, b.item_id, b.quantity).await?;
    Ok(Json(app.store.kit_status(&actor, id).await?))
}

/// A squad's kits member by member: handed and still owed per member and item.
#[utoipa::path(get, path = "/api/v1/squads/{id}/kits/members", tag = "kits", params(("id" = i64, Path)), responses((status = 200, description = "the grid", body = KitGrid), (status = 404, description = "no such squad in scope")))]
pub async fn api_grid(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<Json<KitGrid>, ApiError> {
    Ok(Json(app.store.kit_grid(&actor, id).await?))
}

/// What one tap of "hand over the whole kit" handed, and the grid after it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WholeKit {
    /// The entries written: empty when the member was owed nothing.
    pub handed: Vec<KitHanded>,
    /// The squad's kits member by member, after the tap.
    pub grid: KitGrid,
}

/// Hands a member everything of the kit template still owed to them, in one
/// transaction; a member owed nothing is handed nothing (`handed` is empty).
#[utoipa::path(post, path = "/api/v1/squads/{id}/kits/members/{cadre_id}/all", tag = "kits", params(("id" = i64, Path), ("cadre_id" = i64, Path)), responses((status = 200, description = "what was handed, and the grid after it", body = WholeKit), (status = 403, description = "the role may not issue kits"), (status = 404, description = "no such squad in scope"), (status = 422, description = "not a member of the squad")))]
pub async fn api_whole_kit(
    State(app): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((id, cadre_id)): Path<(i64, i64)>,
) -> Result<Json<WholeKit>, ApiError> {
    let handed = app.store.issue_whole_kit(&actor, id, cadre_id).await?;
    Ok(Json(WholeKit { handed, grid: app.store.kit_grid(&actor, id).await? }))
}

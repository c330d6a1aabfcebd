//! The assembly page (集结): the unit's coordinator picks who goes from the
//! unit's cadres, names the leader and the branch secretary, and confirms
//! moving cadres posted elsewhere or posting untrained ones.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use cordon_store::orders::Candidate;

use crate::AppState;
use crate::accounts::Ctx;
use crate::error::PageError;
use crate::views::Layout;

#[derive(Template, WebTemplate)]
#[template(path = "orders/roster.html")]
pub(super) struct RosterView {
    l: Layout,
    id: i64,
    candidates: Vec<Candidate>,
    error: Option<String>,
    ask_confirm: bool,
}

pub(super) async fn roster_view(
    app: &AppState,
    ctx: &Ctx,
    id: i64,
    error: Option<String>,
    ask_confirm: bool,
) -> Result<RosterView, PageError> {
    // The candidates first: they say whether the actor may see the unit's cadres at all.
    let candidates = app.store.candidates(&ctx.actor, id).await?;
    let o = app.store.order(&ctx.actor, id).await?;
    Ok(RosterView {
        id,
        candidates,
        error,
        ask_confirm,
        l: Layout::titled(ctx, ctx.tr.t_with("order-roster-title", &[("people", o.people.to_string())])),
    })
}

pub(super) async fn roster(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<RosterView, PageError> {
    roster_view(&app, &ctx, id, None, false).await
}

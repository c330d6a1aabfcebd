//! The assembly page (集结): the unit's coordinator ticks who goes from the
//! unit's cadres on a phone, names the leader and the branch secretary among
//! those ticked, and confirms moving cadres posted elsewhere or posting
//! untrained ones. It works without JavaScript: each candidate is one card
//! that toggles as a whole, the running count "已选 n/17" is a CSS counter
//! of the ticked boxes, and the role choices show on ticked cards only
//! (`:has`). A refused roster comes back with the user's ticks kept.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use cordon_domain::orders::roster::Standing;
use cordon_store::orders::Candidate;

use crate::AppState;
use crate::accounts::Ctx;
use crate::error::PageError;
use crate::views::{Layout, field, ids_of};

/// What the user ticked and chose, kept when the page comes back refused.
#[derive(Debug, Clone, Default)]
pub(super) struct Picked {
    roster: Vec<i64>,
    leader: Option<i64>,
    secretary: Option<i64>,
}

impl Picked {
    /// The choices of a submitted assembly form (one with a value that is no id
    /// is refused before it is shown again).
    pub(super) fn of(f: &[(String, String)]) -> Picked {
        Picked {
            roster: ids_of(f, "roster").unwrap_or_default(),
            leader: field(f, "leader").parse().ok(),
            secretary: field(f, "secretary").parse().ok(),
        }
    }
}

/// A candidate's card.
struct Card {
    c: Candidate,
    /// Can be ticked (the unavailable cannot).
    pickable: bool,
    /// Posted with another squad: moving them needs the confirmation.
    posted: bool,
    picked: bool,
    leader: bool,
    secretary: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "orders/roster.html")]
pub(super) struct RosterView {
    l: Layout,
    id: i64,
    /// People the order asks for.
    people: i64,
    cards: Vec<Card>,
    error: Option<String>,
    ask_confirm: bool,
}

pub(super) async fn roster_view(
    app: &AppState,
    ctx: &Ctx,
    id: i64,
    error: Option<String>,
    ask_confirm: bool,
    picked: &Picked,
) -> Result<RosterView, PageError> {
    // The candidates first: they say whether the actor may see the unit's cadres at all.
    let candidates = app.store.candidates(&ctx.actor, id).await?;
    let o = app.store.order(&ctx.actor, id).await?;
    let cards = candidates
        .into_iter()
        .map(|c| {
            let standing = c.standing();
            Card {
                pickable: standing.can_be_picked(),
                posted: standing == Standing::PostedElsewhere,
                picked: picked.roster.contains(&c.id),
                leader: picked.leader == Some(c.id),
                secretary: picked.secretary == Some(c.id),
                c,
            }
        })
        .collect();
    Ok(RosterView {
        id,
        people: o.people,
        cards,
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
    roster_view(&app, &ctx, id, None, false, &Picked::default()).await
}

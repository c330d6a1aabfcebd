//! Requests people make from their own page, and the groups that handle them
//! (`SiteRole::handles`: food the hotel, medicine the medical group,
//! translation foreign affairs, the rest the information group; the manager
//! all). A request is made once per form shown: the page's form carries a
//! client id, unique per person, so a double tap is one request — by the
//! constraint, not by a read before the insert.

use chrono::{DateTime, Utc};
use cordon_domain::Actor;
use cordon_domain::quarantine::requests::{ClientId, RequestEvent, RequestKind, RequestState, RequestText};
use cordon_domain::quarantine::site::{Sight, SiteRole};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

/// A request as the site's page and the API list it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RequestLine {
    /// Its id.
    pub id: i64,
    /// The person's id.
    pub person_id: i64,
    /// The person's name in its own script.
    pub name: String,
    /// In Latin letters.
    pub name_latin: String,
    /// Their language, so the group knows whether to bring a translator.
    pub language: String,
    /// Their room, if still in one.
    pub room: Option<String>,
    /// food, medicine, translation or other.
    pub kind: String,
    /// What they wrote.
    pub text: String,
    /// open, acknowledged or done.
    pub state: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it entered its present state.
    pub state_since: DateTime<Utc>,
    /// Who took its last step.
    pub handled_by: Option<String>,
}

/// A request on the person's own page.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OwnRequest {
    /// Its id.
    pub id: i64,
    /// food, medicine, translation or other.
    pub kind: String,
    /// What they wrote.
    pub text: String,
    /// open, acknowledged or done.
    pub state: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// What making a request did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestMade {
    /// The request's id.
    pub id: i64,
    /// False when the same form had been sent already.
    pub created: bool,
}

/// The kinds a role handles as four binds for `kind IN ($n..)`: a NULL matches nothing.
fn kind_binds(role: SiteRole) -> [Option<&'static str>; 4] {
    RequestKind::ALL.map(|k| role.handles(k).then_some(k.as_str()))
}

impl Store {
    /// A request from a person's own page (the token is the credential).
    pub async fn make_request(
        &self,
        token: &str,
        kind: RequestKind,
        text: &RequestText,
        client: &ClientId,
    ) -> StoreResult<RequestMade> {
        let who = self.token_person(token).await?;
        let now = self.now();
        Ok(on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            // The unique (person, client id) makes the second of two at once insert nothing.
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO stay_requests (person_id, site_id, kind, body, state, client_id, created_at, state_since) \
                 VALUES ($1, $2, $3, $4, 'open', $5, $6, $6) ON CONFLICT (person_id, client_id) DO NOTHING RETURNING id",
            )
            .bind(who.person_id)
            .bind(who.site_id)
            .bind(kind.as_str())
            .bind(text.as_str().to_string())
            .bind(client.as_str().to_string())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let made = match id {
                Some(id) => {
                    audit_insert!(
                        &mut *tx,
                        crate::audit::NewEntry::new(now, &who.actor, "create", "stay-request", id.to_string()).after(
                            serde_json::json!({"person": who.person_id, "kind": kind.as_str(), "text": text.as_str()})
                                .to_string()
                        )
                    )?;
                    RequestMade { id, created: true }
                }
                None => {
                    let id: i64 =
                        sqlx::query_scalar("SELECT id FROM stay_requests WHERE person_id = $1 AND client_id = $2")
                            .bind(who.person_id)
                            .bind(client.as_str().to_string())
                            .fetch_one(&mut *tx)
                            .await?;
                    RequestMade { id, created: false }
                }
            };
            tx.commit().await?;
            made
        }))
    }

    /// A person's own requests, newest first (the last 20), for their page.
    pub async fn own_requests(&self, token: &str) -> StoreResult<Vec<OwnRequest>> {
        let who = self.token_person(token).await?;
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT id, kind, body AS text, state, created_at FROM stay_requests WHERE person_id = $1 \
                 ORDER BY id DESC LIMIT 20",
            )
            .bind(who.person_id)
            .fetch_all(p)
            .await?
        }))
    }

    /// The requests not yet done at a site of the kinds the actor's role
    /// handles, oldest first: what is waiting longest comes first.
    pub async fn site_requests(&self, actor: &Actor, site_id: i64) -> StoreResult<Vec<RequestLine>> {
        let role = self.site_role_that(actor, site_id, |r| r.may_see(Sight::Requests)).await?;
        let [a, b, c, d] = kind_binds(role);
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT t.id, t.person_id, q.name, q.name_latin, q.language, r.number AS room, t.kind, t.body AS text, \
                 t.state, t.created_at, t.state_since, t.handled_by \
                 FROM stay_requests t JOIN quarantined q ON q.id = t.person_id \
                 LEFT JOIN site_rooms r ON r.id = q.room_id \
                 WHERE t.site_id = $1 AND t.state <> 'done' AND t.kind IN ($2, $3, $4, $5) ORDER BY t.id",
            )
            .bind(site_id)
            .bind(a)
            .bind(b)
            .bind(c)
            .bind(d)
            .fetch_all(p)
            .await?
        }))
    }

    /// How many requests not yet done wait for the role at a site, for the dashboard.
    pub(super) async fn open_request_count(&self, role: SiteRole, site_id: i64) -> StoreResult<i64> {
        let [a, b, c, d] = kind_binds(role);
        Ok(on_pool!(self, |p| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM stay_requests WHERE site_id = $1 AND state <> 'done' \
                 AND kind IN ($2, $3, $4, $5)",
            )
            .bind(site_id)
            .bind(a)
            .bind(b)
            .bind(c)
            .bind(d)
            .fetch_one(p)
            .await?
        }))
    }

    /// Takes a request's step, for a role that handles its kind. Under the
    /// site's lock: of two steps at once the second sees the first's state.
    pub async fn step_request(
        &self,
        actor: &Actor,
        site_id: i64,
        request_id: i64,
        event: RequestEvent,
    ) -> StoreResult<RequestState> {
        let role = self.site_role_that(actor, site_id, |r| r.may_see(Sight::Requests)).await?;
        let now = self.now();
        Ok(on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            lock_site!(tx, p, site_id).await?;
            let row: Option<(String, String)> =
                sqlx::query_as("SELECT kind, state FROM stay_requests WHERE id = $1 AND site_id = $2")
                    .bind(request_id)
                    .bind(site_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let (kind, state) = row.ok_or(StoreError::NotFound)?;
            let kind = RequestKind::parse(&kind).map_err(StoreError::invalid)?;
            if !role.handles(kind) {
                return Err(StoreError::Forbidden);
            }
            let from = RequestState::parse(&state).unwrap_or(RequestState::Open);
            let next = from.apply(event).map_err(StoreError::conflict)?;
            sqlx::query("UPDATE stay_requests SET state = $1, state_since = $2, handled_by = $3 WHERE id = $4")
                .bind(next.as_str())
                .bind(now)
                .bind(actor.username.clone())
                .bind(request_id)
                .execute(&mut *tx)
                .await?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(now, actor, "update", "stay-request", request_id.to_string())
                    .before(serde_json::json!({"state": from.as_str()}).to_string())
                    .after(serde_json::json!({"state": next.as_str(), "event": event.key()}).to_string())
            )?;
            tx.commit().await?;
            next
        }))
    }
}

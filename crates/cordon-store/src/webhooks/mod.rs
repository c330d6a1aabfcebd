//! Outbound webhooks: the command's configuration, the outbox that order steps
//! write into in their own transaction (see `webhook_announce!`), the claim and
//! bookkeeping a delivery worker uses, and the log of every attempt.
//!
//! Delivery is in order per webhook: only the oldest undelivered row of a
//! webhook (its head) is ever handed out, so a failing head holds back the rest
//! of that webhook's queue while other webhooks go on. Nothing is dropped: a
//! row stays until it is delivered (or its webhook is deleted).
//!
//! Every attempt is in the log from the moment it is claimed (in flight) and
//! is completed with its outcome; an attempt whose worker stopped before it
//! could record one is marked lost when its lease runs out and the row is
//! claimed again.

use chrono::{DateTime, Utc};
use cordon_domain::Actor;
use cordon_domain::webhooks::{self as hooks, Announcement, WebhookFormat};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

/// A webhook as pages and the API show it: the URL masked, the secret never.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Webhook {
    /// Its id.
    pub id: i64,
    /// A name for people, e.g. 指挥部值班群.
    pub name: String,
    /// wecom, dingtalk, feishu or json.
    pub format: String,
    /// Scheme and host only; the rest of a robot URL is its access token.
    pub url: String,
    /// Whether a signing secret is set.
    pub has_secret: bool,
    /// Whether new announcements are queued for it.
    pub enabled: bool,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// Announcements waiting to be delivered.
    pub pending: i64,
    /// Failed attempts at the head of its queue (0: not failing).
    pub failures: i64,
    /// The last error at the head of its queue.
    pub last_error: Option<String>,
    /// When the head of its queue is tried next.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: i64,
    name: String,
    format: String,
    url: String,
    secret: Option<String>,
    enabled: bool,
    created_at: DateTime<Utc>,
    pending: i64,
    failures: Option<i64>,
    last_error: Option<String>,
    next_attempt_at: Option<DateTime<Utc>>,
}

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Webhook {
        Webhook {
            id: r.id,
            name: r.name,
            format: r.format,
            url: hooks::mask_url(&r.url),
            has_secret: r.secret.is_some_and(|s| !s.is_empty()),
            enabled: r.enabled,
            created_at: r.created_at,
            pending: r.pending,
            failures: r.failures.unwrap_or(0),
            last_error: r.last_error,
            next_attempt_at: r.next_attempt_at,
        }
    }
}

/// A webhook to add.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    /// A name for people.
    pub name: String,
    /// wecom, dingtalk, feishu or json.
    pub format: String,
    /// The receiver's http(s) URL (a robot's URL with its access token).
    pub url: String,
    /// The robot's signing secret, if it has one.
    pub secret: Option<String>,
    /// Whether it starts enabled.
    pub enabled: bool,
    /// Whether the server accepts receivers on this machine or a private
    /// network (`serve --webhook-allow-private`); the caller passes its setting.
    pub allow_private: bool,
}

/// The error logged for an attempt whose worker stopped before it recorded an
/// outcome (killed, or cut off from the database past its lease).
pub const LOST_ATTEMPT: &str = "no answer recorded: the worker stopped";

/// One delivery attempt, as the log shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Delivery {
    /// Its id.
    pub id: i64,
    /// When the attempt was made.
    pub at: DateTime<Utc>,
    /// The webhook's id.
    pub webhook_id: i64,
    /// The webhook's name.
    pub webhook: String,
    /// The announcement's outbox id.
    pub outbox_id: i64,
    /// The event, e.g. order.acknowledged.
    pub event: String,
    /// The order announced (none for a compound's change of control status).
    pub order_id: Option<i64>,
    /// The compound whose control status changed.
    pub compound_id: Option<i64>,
    /// Which attempt at this announcement, from 1.
    pub attempt: i64,
    /// Delivered.
    pub ok: bool,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<i64>,
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// How long the attempt took.
    pub duration_ms: i64,
    /// in-flight (claimed, no outcome yet), done, or lost (its worker stopped).
    pub state: String,
}

/// The head of a webhook's queue, claimed by a worker for one attempt.
#[derive(Debug, Clone)]
pub struct DueAnnouncement {
    /// The outbox row.
    pub outbox_id: i64,
    /// The webhook.
    pub webhook_id: i64,
    /// Its format.
    pub format: WebhookFormat,
    /// Its full URL.
    pub url: String,
    /// Its signing secret.
    pub secret: Option<String>,
    /// What to announce.
    pub announcement: Announcement,
    /// This attempt's number, from 1.
    pub attempt: i64,
    claim: i64,
    /// Its line in the delivery log, written at the claim.
    delivery_id: i64,
}

#[derive(sqlx::FromRow)]
struct HeadRow {
    id: i64,
    webhook_id: i64,
    format: String,
    url: String,
    secret: Option<String>,
    payload: String,
    attempts: i64,
    next_attempt_at: DateTime<Utc>,
    leased_until: Option<DateTime<Utc>>,
    claim: i64,
}

/// How one attempt ended.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    /// Delivered (a 2xx answer that is not a robot's refusal).
    pub ok: bool,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
    /// When to try again if it failed.
    pub retry_at: DateTime<Utc>,
}

fn guard(actor: &Actor) -> StoreResult<()> {
    if hooks::may_manage(actor) { Ok(()) } else { Err(StoreError::Forbidden) }
}

fn invalid(e: hooks::WebhookError) -> StoreError {
    StoreError::invalid(e)
}

const WEBHOOK_SELECT: &str = "SELECT w.id, w.name, w.format, w.url, w.secret, w.enabled, w.created_at, \
     (SELECT COUNT(*) FROM webhook_outbox o WHERE o.webhook_id = w.id AND o.delivered_at IS NULL) AS pending, \
     h.attempts AS failures, h.last_error, h.next_attempt_at \
     FROM webhooks w LEFT JOIN webhook_outbox h ON h.id = \
     (SELECT MIN(x.id) FROM webhook_outbox x WHERE x.webhook_id = w.id AND x.delivered_at IS NULL) \
     WHERE w.deleted_at IS NULL";

impl Store {
    /// Every webhook, oldest first, with its queue.
    pub async fn webhooks(&self, actor: &Actor) -> StoreResult<Vec<Webhook>> {
        guard(actor)?;
        let rows: Vec<WebhookRow> = on_pool!(self, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{WEBHOOK_SELECT} ORDER BY w.id"))).fetch_all(p).await?
        });
        Ok(rows.into_iter().map(Webhook::from).collect())
    }

    /// One webhook.
    pub async fn webhook(&self, actor: &Actor, id: i64) -> StoreResult<Webhook> {
        guard(actor)?;
        let row: Option<WebhookRow> = on_pool!(self, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{WEBHOOK_SELECT} AND w.id = $1")))
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        row.map(Webhook::from).ok_or(StoreError::NotFound)
    }

    /// Adds a webhook; the audit log gets its masked URL and never the secret.
    pub async fn add_webhook(&self, actor: &Actor, new: &NewWebhook) -> StoreResult<i64> {
        guard(actor)?;
        let name = crate::clean(&new.name);
        hooks::check_name(&name).map_err(invalid)?;
        let format = WebhookFormat::parse(&new.format).ok_or_else(|| invalid(hooks::WebhookError::BadFormat))?;
        let url = new.url.trim().to_string();
        hooks::check_url(&url).map_err(invalid)?;
        hooks::check_address(&url, new.allow_private).map_err(invalid)?;
        let secret = new.secret.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        if let Some(s) = &secret {
            hooks::check_secret(s).map_err(invalid)?;
        }
        let now = self.now();
        let after = serde_json::json!({"name": name, "format": format.as_str(), "url": hooks::mask_url(&url),
            "secret": secret.is_some(), "enabled": new.enabled})
        .to_string();
        Ok(on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO webhooks (name, format, url, secret, enabled, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(name.clone())
            .bind(format.as_str())
            .bind(url.clone())
            .bind(secret.clone())
            .bind(new.enabled)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(self.now(), actor, "create", "webhook", id.to_string())
                    .after(after.clone())
            )?;
            tx.commit().await?;
            id
        }))
    }

    /// Turns a webhook on or off. Off: no new announcements are queued for it
    /// and its queue waits; on again: the queue goes on.
    pub async fn set_webhook_enabled(&self, actor: &Actor, id: i64, enabled: bool) -> StoreResult<()> {
        let before = self.webhook(actor, id).await?;
        on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            sqlx::query("UPDATE webhooks SET enabled = $1 WHERE id = $2 AND deleted_at IS NULL")
                .bind(enabled)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(
                    self.now(),
                    actor,
                    if enabled { "enable" } else { "disable" },
                    "webhook",
                    id.to_string()
                )
                .before(
                    serde_json::json!({"name": before.name, "url": before.url, "enabled": before.enabled}).to_string()
                )
                .after(serde_json::json!({"name": before.name, "url": before.url, "enabled": enabled}).to_string())
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Deletes a webhook: its log stays, its undelivered announcements are never sent.
    pub async fn delete_webhook(&self, actor: &Actor, id: i64) -> StoreResult<()> {
        let before = self.webhook(actor, id).await?;
        let now = self.now();
        on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            sqlx::query("UPDATE webhooks SET deleted_at = $1, enabled = $2 WHERE id = $3 AND deleted_at IS NULL")
                .bind(now)
                .bind(false)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(self.now(), actor, "delete", "webhook", id.to_string()).before(
                    serde_json::json!({"name": before.name, "format": before.format, "url": before.url,
                        "enabled": before.enabled, "pending": before.pending})
                    .to_string()
                )
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The latest delivery attempts, newest first.
    pub async fn webhook_deliveries(&self, actor: &Actor, limit: i64) -> StoreResult<Vec<Delivery>> {
        guard(actor)?;
        self.deliveries(None, limit.clamp(1, 500)).await
    }

    /// The delivery attempts of one announcement or all, newest first, without
    /// an actor: for the worker's own tests and tools.
    pub async fn deliveries(&self, outbox_id: Option<i64>, limit: i64) -> StoreResult<Vec<Delivery>> {
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT d.id, d.at, d.webhook_id, w.name AS webhook, d.outbox_id, o.event, o.order_id, o.compound_id, d.attempt, \
                 d.ok, d.status, d.error, d.duration_ms, d.state FROM webhook_deliveries d \
                 JOIN webhooks w ON w.id = d.webhook_id JOIN webhook_outbox o ON o.id = d.outbox_id \
                 WHERE ($1 IS NULL OR d.outbox_id = $1) ORDER BY d.id DESC LIMIT $2",
            )
            .bind(outbox_id)
            .bind(limit)
            .fetch_all(p)
            .await?
        }))
    }

    /// How many announcements wait for delivery (deleted webhooks' excluded).
    pub async fn webhook_queue_len(&self) -> StoreResult<i64> {
        Ok(on_pool!(self, |p| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM webhook_outbox o JOIN webhooks w ON w.id = o.webhook_id \
                 WHERE o.delivered_at IS NULL AND w.deleted_at IS NULL",
            )
            .fetch_one(p)
            .await?
        }))
    }

    /// Claims the head of every enabled webhook's queue that is due at `now`
    /// and not held by another worker, for `lease`, and logs each claim as an
    /// attempt in flight. A claim is a guarded update, so two workers (two
    /// server instances) never hold the same row; a worker that dies
    /// mid-attempt loses its lease, and the next claim marks its attempt lost
    /// (`LOST_ATTEMPT`), counts it as a failure and tries again (delivery is at
    /// least once). The lease should be the request's time limit and a little
    /// more: a killed worker's row then waits no longer than that.
    pub async fn claim_due_announcements(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> StoreResult<Vec<DueAnnouncement>> {
        let heads: Vec<HeadRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT o.id, o.webhook_id, w.format, w.url, w.secret, o.payload, o.attempts, o.next_attempt_at, \
                 o.leased_until, o.claim FROM webhook_outbox o JOIN webhooks w ON w.id = o.webhook_id \
                 WHERE w.enabled AND w.deleted_at IS NULL AND o.delivered_at IS NULL AND o.id = \
                 (SELECT MIN(x.id) FROM webhook_outbox x WHERE x.webhook_id = o.webhook_id AND x.delivered_at IS NULL) \
                 ORDER BY o.id",
            )
            .fetch_all(p)
            .await?
        });
        let mut out = Vec::new();
        // Times are compared here rather than in SQL: SQLite keeps them as text.
        for h in heads.into_iter().filter(|h| h.next_attempt_at <= now && h.leased_until.is_none_or(|l| l <= now)) {
            let (Some(format), Ok(announcement)) =
                (WebhookFormat::parse(&h.format), serde_json::from_str::<Announcement>(&h.payload))
            else {
                tracing::error!(outbox_id = h.id, "unreadable webhook announcement; left in the queue");
                continue;
            };
            // A lease still set was never followed by a recorded attempt: that
            // attempt is lost, and counts as a failed one.
            let lost = h.leased_until.is_some();
            let attempts = h.attempts + i64::from(lost);
            let delivery_id: Option<i64> = on_pool!(self, |p| {
                let mut tx = crate::db::WritePool::begin_write(p).await?;
                let taken = sqlx::query(
                    "UPDATE webhook_outbox SET claim = claim + 1, leased_until = $1, attempts = $2 \
                     WHERE id = $3 AND claim = $4 AND delivered_at IS NULL",
                )
                .bind(now + lease)
                .bind(attempts)
                .bind(h.id)
                .bind(h.claim)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if taken == 1 {
                    if lost {
                        sqlx::query("UPDATE webhook_outbox SET last_status = NULL, last_error = $1 WHERE id = $2")
                            .bind(LOST_ATTEMPT)
                            .bind(h.id)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query(
                            "UPDATE webhook_deliveries SET state = 'lost', error = $1 \
                             WHERE outbox_id = $2 AND state = 'in-flight'",
                        )
                        .bind(LOST_ATTEMPT)
                        .bind(h.id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO webhook_deliveries (outbox_id, webhook_id, at, attempt, ok, status, error, duration_ms, state) \
                         VALUES ($1, $2, $3, $4, $5, NULL, NULL, 0, 'in-flight') RETURNING id",
                    )
                    .bind(h.id)
                    .bind(h.webhook_id)
                    .bind(now)
                    .bind(attempts + 1)
                    .bind(false)
                    .fetch_one(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Some(id)
                } else {
                    None
                }
            });
            if let Some(delivery_id) = delivery_id {
                out.push(DueAnnouncement {
                    outbox_id: h.id,
                    webhook_id: h.webhook_id,
                    format,
                    url: h.url,
                    secret: h.secret,
                    announcement,
                    attempt: attempts + 1,
                    claim: h.claim + 1,
                    delivery_id,
                });
            }
        }
        Ok(out)
    }

    /// Completes an attempt: its line in the delivery log gets the outcome,
    /// and the row is delivered or scheduled for `retry_at`. A worker whose
    /// lease ran out meanwhile still writes what really happened into its line
    /// (marked lost by then) but does not move the row, which another claim holds.
    pub async fn record_attempt(&self, due: &DueAnnouncement, outcome: &AttemptOutcome) -> StoreResult<()> {
        let now = self.now();
        let error = outcome.error.as_deref().map(|e| e.chars().take(1000).collect::<String>());
        let status = outcome.status.map(i64::from);
        on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            sqlx::query(
                "UPDATE webhook_deliveries SET ok = $1, status = $2, error = $3, duration_ms = $4, state = 'done' \
                 WHERE id = $5",
            )
            .bind(outcome.ok)
            .bind(status)
            .bind(error.clone())
            .bind(outcome.duration_ms)
            .bind(due.delivery_id)
            .execute(&mut *tx)
            .await?;
            if outcome.ok {
                sqlx::query(
                    "UPDATE webhook_outbox SET delivered_at = $1, attempts = $2, leased_until = NULL, \
                     last_status = $3, last_error = NULL WHERE id = $4 AND claim = $5",
                )
                .bind(now)
                .bind(due.attempt)
                .bind(status)
                .bind(due.outbox_id)
                .bind(due.claim)
                .execute(&mut *tx)
                .await?;
            } else {
                sqlx::query(
                    "UPDATE webhook_outbox SET attempts = $1, next_attempt_at = $2, leased_until = NULL, \
                     last_status = $3, last_error = $4 WHERE id = $5 AND claim = $6",
                )
                .bind(due.attempt)
                .bind(outcome.retry_at)
                .bind(status)
                .bind(error)
                .bind(due.outbox_id)
                .bind(due.claim)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

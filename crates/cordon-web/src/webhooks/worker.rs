//! The delivery worker: claims the head of every enabled webhook's queue when
//! it is due, POSTs it, and records the attempt; a failure is retried after a
//! capped exponential back-off, forever, and holds back that webhook's later
//! announcements so they arrive in order.
//!
//! One worker runs inside each `cordon serve`. Claims are guarded updates with
//! a lease, so several instances on one PostgreSQL do not send a row twice
//! while they live; a process that dies mid-attempt leaves its row to be tried
//! again when the lease ends, so delivery is at least once (the
//! `X-Cordon-Delivery` header lets a receiver drop a repeat). The lease is the
//! request's time limit and a small margin, so a killed instance holds a
//! webhook's queue that long and no longer; the next claim logs its attempt
//! as lost.
//!
//! Unless the server runs with `--webhook-allow-private`, the worker sends
//! nothing to this machine or a private network: an IP-literal URL is
//! checked before sending, and host names are resolved by a resolver that
//! drops such addresses (a public name can be pointed at one after it was
//! saved). Otherwise a command user could use the delivery log to probe the
//! internal network.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use cordon_domain::clock::Zone;
use cordon_domain::webhooks::{self as hooks, Announcement, WebhookFormat};
use cordon_store::webhooks::{AttemptOutcome, DueAnnouncement};
use cordon_store::{Store, StoreResult};

use crate::i18n::{Lang, Tr};

/// How the worker paces itself.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Wait after the first failure of an announcement; doubles per failure.
    pub retry_base: Duration,
    /// The longest wait between attempts.
    pub retry_cap: Duration,
    /// How often to look for due announcements when idle.
    pub poll: Duration,
    /// The time limit of one request (connecting, sending and reading the answer).
    pub timeout: Duration,
    /// The zone of the times in messages.
    pub zone: Zone,
    /// The public address of Cordon; messages then end with a link to the order.
    pub public_url: Option<String>,
    /// Deliver to this machine and private networks too (`serve --webhook-allow-private`).
    pub allow_private: bool,
}

/// What a lease adds to the request's time limit: recording the outcome.
pub const LEASE_MARGIN: Duration = Duration::from_secs(5);

impl WorkerConfig {
    /// How long a claimed announcement is held before another worker may take
    /// it: the request's time limit and `LEASE_MARGIN`. A live worker has
    /// answered by then; a dead one holds its webhook's queue no longer.
    pub fn lease(&self) -> Duration {
        self.timeout + LEASE_MARGIN
    }
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            retry_base: Duration::from_secs(2),
            retry_cap: Duration::from_secs(600),
            poll: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            zone: Zone::default(),
            public_url: None,
            allow_private: false,
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Attempts made.
    pub attempted: usize,
    /// Of those, delivered.
    pub delivered: usize,
}

/// The start of the logged error of an attempt refused because its receiver
/// is not a public address; the page words such lines from the locales.
pub const PRIVATE_REFUSED: &str = "refused: not a public address";

/// A receiver that is no public address: an IP literal, or a host name that
/// resolved to no public address (`what` says which).
#[derive(Debug, thiserror::Error)]
#[error("{PRIVATE_REFUSED}: {what} (this machine or a private network; serve --webhook-allow-private allows it)")]
pub struct PrivateAddress {
    what: String,
}

/// Resolves receivers' host names with the system's resolver and drops the
/// addresses that are not public (`is_public_ip`) unless private receivers are
/// allowed: a name that leaves none fails with `PrivateAddress`.
#[derive(Debug, Clone, Copy)]
pub struct PublicResolver {
    /// Keep every address (`--webhook-allow-private`).
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = all.iter().copied().filter(|a| allow || hooks::is_public_ip(a.ip())).collect();
            if kept.is_empty() && !all.is_empty() {
                let addresses = all.iter().map(|a| a.ip().to_string()).collect::<Vec<_>>().join(", ");
                let what = format!("{host} resolves to {addresses}");
                return Err(Box::new(PrivateAddress { what }) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client of the worker: a timeout per request, no redirects (a
/// redirected POST is a misconfigured receiver, shown in the log), host names
/// resolved by `PublicResolver`.
pub fn http_client(cfg: &WorkerConfig) -> reqwest::Result<reqwest::Client> {
    crate::tls_ready();
    reqwest::Client::builder()
        .timeout(cfg.timeout)
        .connect_timeout(cfg.timeout)
        .dns_resolver(PublicResolver { allow_private: cfg.allow_private })
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("cordon-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The message people read, in the command's language (Chinese), e.g.
/// "调度令 #12 市林草局 → 中和胡同小区：已收到（demo-unit，12月1日 20:15）".
pub fn message_text(a: &Announcement, zone: &Zone, public_url: Option<&str>) -> String {
    let tr = Tr::new(Lang::Zh, *zone);
    let local = zone.local(a.at);
    let at = tr.t_with(
        "webhook-at",
        &[
            ("month", local.format("%-m").to_string()),
            ("day", local.format("%-d").to_string()),
            ("time", local.format("%H:%M").to_string()),
        ],
    );
    if let Some(compound_id) = a.compound_id {
        return control_text(&tr, a, compound_id, at, public_url);
    }
    let order_id = a.order_id.unwrap_or_default();
    let mut args = vec![
        ("order", order_id.to_string()),
        ("unit", a.unit.clone()),
        ("compounds", a.compounds.join(&tr.t("webhook-list-separator"))),
        ("state", tr.t(&format!("order-state-{}", a.state))),
        ("actor", a.actor.clone()),
        ("at", at),
    ];
    let text = match a.reason.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => {
            args.push(("reason", r.to_string()));
            tr.t_with("webhook-message-reason", &args)
        }
        None => tr.t_with("webhook-message", &args),
    };
    // The unit's coordinator opens the order from the group chat on her phone.
    match public_url {
        Some(base) => format!("{text}\n{base}/orders/{order_id}"),
        None => text,
    }
}

/// A compound's change of control status, e.g. "管控状态 甲小区：封控区（原为未设定），
/// 理由：出现阳性病例（cmd，12月2日 09:00）", with the compound's page.
fn control_text(tr: &Tr, a: &Announcement, compound_id: i64, at: String, public_url: Option<&str>) -> String {
    use cordon_domain::control::ControlStatus;
    let worded = |s: Option<&str>| crate::control::worded(tr, s.and_then(ControlStatus::parse));
    let text = tr.t_with(
        "webhook-control",
        &[
            ("compound", a.compounds.join(&tr.t("webhook-list-separator"))),
            ("to", worded(Some(&a.state))),
            ("from", worded(a.from.as_deref())),
            ("reason", a.reason.clone().unwrap_or_default()),
            ("actor", a.actor.clone()),
            ("at", at),
        ],
    );
    match public_url {
        Some(base) => format!("{text}\n{base}/places/{compound_id}"),
        None => text,
    }
}

/// An error and its causes in one line, without the URL (it carries the token);
/// a receiver refused by `PublicResolver` is said plainly.
fn error_chain(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut source = std::error::Error::source(&e);
    while let Some(c) = source {
        if let Some(private) = c.downcast_ref::<PrivateAddress>() {
            return private.to_string();
        }
        source = c.source();
    }
    let mut s = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(c) = source {
        s.push_str(": ");
        s.push_str(&c.to_string());
        source = c.source();
    }
    s
}

/// Sends one announcement once, at `now`, and says how it went.
async fn attempt(
    client: &reqwest::Client,
    cfg: &WorkerConfig,
    due: &DueAnnouncement,
    now: DateTime<Utc>,
) -> AttemptOutcome {
    let started = Instant::now();
    let text = message_text(&due.announcement, &cfg.zone, cfg.public_url.as_deref());
    let out = hooks::outgoing(due.format, &due.url, due.secret.as_deref(), &text, &due.announcement, now);
    let failures = u32::try_from(due.attempt).unwrap_or(u32::MAX);
    let wait = hooks::backoff(failures, cfg.retry_base, cfg.retry_cap);
    let retry_at = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(600));
    // An IP literal is never resolved, so the resolver cannot drop it: checked here.
    if let Some(ip) = hooks::host_ip(&out.url).filter(|ip| !cfg.allow_private && !hooks::is_public_ip(*ip)) {
        return AttemptOutcome {
            ok: false,
            status: None,
            error: Some(PrivateAddress { what: ip.to_string() }.to_string()),
            duration_ms: 0,
            retry_at,
        };
    }
    let body = out.body.to_string();
    let mut req = client
        .post(&out.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json; charset=utf-8")
        .header("X-Cordon-Event", due.announcement.event.as_str())
        .header("X-Cordon-Delivery", due.outbox_id.to_string());
    if due.format == WebhookFormat::Json
        && let Some(secret) = due.secret.as_deref().filter(|s| !s.is_empty())
    {
        req = req.header("X-Cordon-Signature", hooks::json_signature(now.timestamp(), secret, &body));
    }
    let (status, error) = match req.body(body).send().await {
        Ok(res) => {
            let status = res.status();
            let text = res.text().await.unwrap_or_default();
            let error = if !status.is_success() {
                // The start of the answer: robots say there why they refuse.
                let excerpt: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
                Some(format!("HTTP {status} {excerpt}").trim_end().to_string())
            } else {
                hooks::robot_refusal(due.format, &text)
            };
            (Some(status.as_u16()), error)
        }
        Err(e) => (e.status().map(|s| s.as_u16()), Some(error_chain(e))),
    };
    let elapsed = started.elapsed();
    AttemptOutcome {
        ok: error.is_none(),
        status,
        error,
        duration_ms: i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX),
        retry_at: retry_at + chrono::Duration::from_std(elapsed).unwrap_or_default(),
    }
}

/// One round: every webhook's due head is claimed (logged in flight),
/// attempted (webhooks side by side) and its outcome recorded. Time is the
/// store's clock.
pub async fn deliver_due(store: &Store, client: &reqwest::Client, cfg: &WorkerConfig) -> StoreResult<Round> {
    let lease = chrono::Duration::from_std(cfg.lease()).unwrap_or(chrono::Duration::seconds(15));
    let due = store.claim_due_announcements(store.now(), lease).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for d in due {
        let (store, client, cfg) = (store.clone(), client.clone(), cfg.clone());
        tasks.spawn(async move {
            let outcome = attempt(&client, &cfg, &d, store.now()).await;
            if let Some(e) = &outcome.error {
                tracing::warn!(webhook = d.webhook_id, outbox = d.outbox_id, attempt = d.attempt, error = %e, "webhook delivery failed");
            }
            store.record_attempt(&d, &outcome).await.map(|()| outcome.ok)
        });
    }
    let mut round = Round::default();
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(ok)) => {
                round.attempted += 1;
                round.delivered += usize::from(ok);
            }
            Ok(Err(e)) => first_error = first_error.or(Some(e)),
            Err(e) => tracing::error!(error = %e, "webhook delivery task failed"),
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(round),
    }
}

/// Delivers announcements until `shutdown` resolves: right away while there is
/// progress, every `poll` otherwise.
pub async fn run_worker(store: Store, cfg: WorkerConfig, shutdown: impl Future<Output = ()>) {
    let client = match http_client(&cfg) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhook worker cannot start: no HTTP client");
            return;
        }
    };
    tokio::pin!(shutdown);
    loop {
        let busy = match deliver_due(&store, &client, &cfg).await {
            Ok(round) => round.delivered > 0,
            Err(e) => {
                tracing::error!(error = %e, "webhook round failed");
                false
            }
        };
        let pause = if busy { Duration::ZERO } else { cfg.poll };
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            () = tokio::time::sleep(pause) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn announcement(state: &str, reason: Option<&str>) -> Announcement {
        Announcement {
            event: Announcement::event_of(state),
            order_id: Some(12),
            unit: "市林草局".into(),
            compounds: vec!["中和胡同小区".into(), "民强小区".into()],
            state: state.into(),
            actor: "demo-unit".into(),
            at: "2022-12-01T12:15:00Z".parse().unwrap(),
            reason: reason.map(str::to_string),
            compound_id: None,
            from: None,
        }
    }

    #[test]
    fn a_change_of_control_status_reads_as_such_with_the_compounds_page() {
        use cordon_domain::control::ControlStatus;
        let at = "2022-12-02T01:00:00Z".parse().unwrap();
        let a = Announcement::control(7, "甲小区", None, ControlStatus::Sealed, "cmd", at, "出现阳性病例");
        assert_eq!(
            message_text(&a, &Zone::default(), Some("https://cordon.example")),
            "管控状态 甲小区：封控区（原为未设定），理由：出现阳性病例（cmd，12月2日 09:00）\nhttps://cordon.example/places/7"
        );
        let back: Announcement = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(back, a, "kept in the outbox and read back");
    }

    #[test]
    fn the_message_is_chinese_in_the_deployments_time_zone() {
        assert_eq!(
            message_text(&announcement("acknowledged", None), &Zone::default(), None),
            "调度令 #12 市林草局 → 中和胡同小区、民强小区：已收到（demo-unit，12月1日 20:15）"
        );
        let linked = message_text(&announcement("issued", None), &Zone::default(), Some("https://cordon.example"));
        assert!(linked.ends_with("\nhttps://cordon.example/orders/12"), "a link to open the order: {linked}");
    }

    #[tokio::test]
    async fn the_resolver_drops_loopback_addresses_unless_private_receivers_are_allowed() {
        use reqwest::dns::Resolve;
        let refused = PublicResolver { allow_private: false }.resolve("localhost".parse().unwrap()).await;
        let e = refused.err().expect("localhost has only loopback addresses");
        assert!(e.downcast_ref::<PrivateAddress>().is_some(), "{e}");
        assert!(e.to_string().starts_with(PRIVATE_REFUSED) && e.to_string().contains("127.0.0.1"), "{e}");
        let allowed = PublicResolver { allow_private: true }.resolve("localhost".parse().unwrap()).await.unwrap();
        assert!(allowed.map(|a| a.ip()).any(|ip| ip.is_loopback()));
    }

    #[test]
    fn the_lease_is_the_request_time_limit_and_a_small_margin() {
        let cfg = WorkerConfig { timeout: Duration::from_secs(10), ..Default::default() };
        assert_eq!(cfg.lease(), Duration::from_secs(15));
    }

    #[tokio::test]
    async fn an_https_robot_address_is_tried_with_tls_and_an_unreachable_one_is_an_error_not_a_panic() {
        let client = http_client(&WorkerConfig { allow_private: true, ..Default::default() }).unwrap();
        let res = client.post("https://127.0.0.1:9/hook").body("{}").send().await;
        assert!(res.is_err());
    }

    #[test]
    fn a_declined_order_says_why() {
        let text = message_text(&announcement("declined", Some("人手不足")), &Zone::default(), None);
        assert!(text.contains("人手不足"), "{text}");
        assert!(text.contains("已婉拒"), "{text}");
    }
}

//! Webhooks on both engines: announcements are queued in the transaction of
//! the order step, one per enabled webhook; none without one; the command alone
//! configures them; the queue hands out only each webhook's oldest row.

use chrono::{Duration, Utc};
use cordon_domain::Key;
use cordon_domain::orders::OrderEvent;
use cordon_domain::{Actor, Role};
use cordon_store::audit::AuditFilter;
use cordon_store::orders::NewOrder;
use cordon_store::test_support::{compound_id, engines, seed, unit_cadres, user};
use cordon_store::webhooks::{AttemptOutcome, NewWebhook};
use cordon_store::{PageRequest, Store, StoreError};

async fn issue(s: &Store, command: &Actor) -> i64 {
    let (unit, _) = unit_cadres(s, "市林草局").await;
    let new = NewOrder {
        unit_id: unit,
        people: 2,
        compound_ids: vec![compound_id(s, "甲小区").await],
        deadline: Utc::now() + Duration::hours(2),
        note: String::new(),
    };
    s.issue_order(command, &new).await.unwrap()
}

fn hook(name: &str, format: &str, enabled: bool) -> NewWebhook {
    NewWebhook {
        name: name.into(),
        format: format.into(),
        url: "https://oapi.dingtalk.com/robot/send?access_token=TOPSECRET".into(),
        secret: Some("SECxyz".into()),
        enabled,
        allow_private: false,
    }
}

#[tokio::test]
async fn without_a_webhook_steps_succeed_and_nothing_is_queued() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let command = user(s, "cmd", Role::Command, "city").await;
        let coord = user(s, "lin", Role::Unit, "unit:市林草局").await;
        let id = issue(s, &command).await;
        s.order_step(&coord, id, OrderEvent::Acknowledge, &[], false).await.unwrap();
        s.order_step(&coord, id, OrderEvent::Decline { reason: "人手不足".into() }, &[], false).await.unwrap();
        s.order_step(&coord, id, OrderEvent::Acknowledge, &[], false).await.unwrap_err();
        assert_eq!(s.webhook_queue_len().await.unwrap(), 0, "{}", db.engine);
        assert!(s.claim_due_announcements(Utc::now(), Duration::seconds(60)).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn every_step_is_queued_once_per_enabled_webhook_and_a_disabled_one_gets_nothing() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let command = user(s, "cmd", Role::Command, "city").await;
        let coord = user(s, "lin", Role::Unit, "unit:市林草局").await;
        let on = s.add_webhook(&command, &hook("值班群", "dingtalk", true)).await.unwrap();
        let off = s.add_webhook(&command, &hook("停用的", "feishu", false)).await.unwrap();
        let id = issue(s, &command).await;
        s.order_step(&coord, id, OrderEvent::Acknowledge, &[], false).await.unwrap();
        let hooks = s.webhooks(&command).await.unwrap();
        let pending = |w: i64| hooks.iter().find(|h| h.id == w).unwrap().pending;
        assert_eq!((pending(on), pending(off)), (2, 0), "{}", db.engine);
        // Turned off, the webhook gets nothing new; turned on, it gets the next steps.
        s.set_webhook_enabled(&command, on, false).await.unwrap();
        s.order_step(&coord, id, OrderEvent::Decline { reason: "人手不足".into() }, &[], false).await.unwrap();
        assert_eq!(s.webhook_queue_len().await.unwrap(), 2);
        assert!(s.claim_due_announcements(Utc::now(), Duration::seconds(60)).await.unwrap().is_empty(), "paused");
        s.set_webhook_enabled(&command, on, true).await.unwrap();
        let due = s.claim_due_announcements(Utc::now(), Duration::seconds(60)).await.unwrap();
        assert_eq!(due.len(), 1, "only the head of the queue");
        assert_eq!(due[0].webhook_id, on);
        assert_eq!(due[0].announcement.event, "order.issued");
        assert_eq!(due[0].announcement.unit, "市林草局");
        assert_eq!(due[0].announcement.compounds, vec!["甲小区"]);
        assert_eq!(due[0].announcement.actor, "cmd");
        assert_eq!(due[0].attempt, 1);
        assert_eq!(due[0].secret.as_deref(), Some("SECxyz"));
        // Claimed: no one else gets it while the lease runs.
        assert!(s.claim_due_announcements(Utc::now(), Duration::seconds(60)).await.unwrap().is_empty());
        // A failure keeps it at the head, retried later, and holds back the rest.
        let retry_at = Utc::now() + Duration::seconds(30);
        let failed =
            AttemptOutcome { ok: false, status: Some(502), error: Some("HTTP 502".into()), duration_ms: 3, retry_at };
        s.record_attempt(&due[0], &failed).await.unwrap();
        assert!(s.claim_due_announcements(Utc::now(), Duration::seconds(60)).await.unwrap().is_empty(), "not due yet");
        let again = s.claim_due_announcements(retry_at, Duration::seconds(60)).await.unwrap();
        assert_eq!((again[0].outbox_id, again[0].attempt), (due[0].outbox_id, 2));
        let shown = s.webhook(&command, on).await.unwrap();
        assert_eq!((shown.failures, shown.last_error.as_deref()), (1, Some("HTTP 502")));
        let ok = AttemptOutcome { ok: true, status: Some(200), error: None, duration_ms: 2, retry_at };
        s.record_attempt(&again[0], &ok).await.unwrap();
        let next = s.claim_due_announcements(Utc::now(), Duration::seconds(60)).await.unwrap();
        assert_eq!(next[0].announcement.event, "order.acknowledged");
        let log = s.webhook_deliveries(&command, 10).await.unwrap();
        // Every claim is in the log at once: the next one in flight, then the outcomes.
        assert_eq!(
            log.iter().map(|d| (d.event.as_str(), d.attempt, d.ok, d.state.as_str())).collect::<Vec<_>>(),
            vec![
                ("order.acknowledged", 1, false, "in-flight"),
                ("order.issued", 2, true, "done"),
                ("order.issued", 1, false, "done")
            ]
        );
        // Deleted, its queue is never sent.
        s.delete_webhook(&command, on).await.unwrap();
        assert!(
            s.claim_due_announcements(Utc::now() + Duration::hours(1), Duration::seconds(60)).await.unwrap().is_empty()
        );
        assert_eq!(s.webhook_queue_len().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn only_the_command_configures_webhooks_and_urls_and_secrets_stay_out_of_sight() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let command = user(s, "cmd", Role::Command, "city").await;
        let district = user(s, "district", Role::Command, "道外区").await;
        let coord = user(s, "lin", Role::Unit, "unit:市林草局").await;
        let organisation = user(s, "org", Role::Organisation, "city").await;
        for who in [&coord, &organisation, &district] {
            assert!(matches!(s.webhooks(who).await, Err(StoreError::Forbidden)), "{}", who.username);
            assert!(matches!(s.add_webhook(who, &hook("x", "json", true)).await, Err(StoreError::Forbidden)));
            assert!(matches!(s.webhook_deliveries(who, 10).await, Err(StoreError::Forbidden)));
        }
        let id = s.add_webhook(&command, &hook("值班群", "dingtalk", true)).await.unwrap();
        let shown = s.webhook(&command, id).await.unwrap();
        assert_eq!(shown.url, "https://oapi.dingtalk.com/…");
        assert!(shown.has_secret);
        s.set_webhook_enabled(&command, id, false).await.unwrap();
        s.delete_webhook(&command, id).await.unwrap();
        let audit = s
            .audit_entries(
                &command,
                &AuditFilter { entity: Some("webhook".into()), ..Default::default() },
                PageRequest::new(None, None),
            )
            .await
            .unwrap();
        assert_eq!(audit.items.len(), 3, "{}", db.engine);
        for e in &audit.items {
            let text = format!("{:?} {:?}", e.before_json, e.after_json);
            assert!(!text.contains("TOPSECRET") && !text.contains("SECxyz"), "{text}");
        }
        for (bad, why) in [
            (NewWebhook { format: "slack".into(), ..hook("x", "json", true) }, Key::WebhookBadFormat),
            (NewWebhook { url: "ftp://example.org/x".into(), ..hook("x", "json", true) }, Key::WebhookBadUrl),
            (NewWebhook { name: " ".into(), ..hook("x", "json", true) }, Key::WebhookBadName),
        ] {
            // The refusal names its message; the web words it in the user's language.
            match s.add_webhook(&command, &bad).await {
                Err(StoreError::Invalid(r)) => assert_eq!(r.key, why),
                other => panic!("{why:?}: {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn a_message_whose_worker_stopped_is_claimed_again_when_the_lease_runs_out_and_the_lost_attempt_is_logged() {
    use cordon_domain::clock::FixedClock;
    use cordon_store::webhooks::LOST_ATTEMPT;
    for db in engines().await {
        let clock = FixedClock::at(Utc::now());
        let s = &db.store.with_clock(std::sync::Arc::new(clock.clone()));
        seed(s).await.unwrap();
        let command = user(s, "cmd", Role::Command, "city").await;
        let hook_id = s.add_webhook(&command, &hook("值班群", "dingtalk", true)).await.unwrap();
        issue(s, &command).await;
        let lease = Duration::seconds(15);
        let first = s.claim_due_announcements(s.now(), lease).await.unwrap();
        assert_eq!((first.len(), first[0].attempt), (1, 1), "{}", db.engine);
        // The claim is in the log at once, in flight.
        let log = s.deliveries(None, 10).await.unwrap();
        assert_eq!(log.iter().map(|d| (d.attempt, d.state.as_str())).collect::<Vec<_>>(), vec![(1, "in-flight")]);
        // The worker is killed here: it never records an outcome. While its lease runs, the queue waits …
        clock.advance(Duration::seconds(14));
        assert!(s.claim_due_announcements(s.now(), lease).await.unwrap().is_empty(), "{}", db.engine);
        // … and no longer: past the lease the same message is claimed again, as attempt 2.
        clock.advance(Duration::seconds(2));
        let again = s.claim_due_announcements(s.now(), lease).await.unwrap();
        assert_eq!(again.len(), 1, "{}", db.engine);
        assert_eq!((again[0].outbox_id, again[0].attempt), (first[0].outbox_id, 2));
        let log = s.deliveries(None, 10).await.unwrap();
        let lines: Vec<_> = log.iter().map(|d| (d.attempt, d.ok, d.state.as_str(), d.error.as_deref())).collect();
        assert_eq!(lines, vec![(2, false, "in-flight", None), (1, false, "lost", Some(LOST_ATTEMPT))], "{}", db.engine);
        let shown = s.webhook(&command, hook_id).await.unwrap();
        assert_eq!((shown.failures, shown.last_error.as_deref()), (1, Some(LOST_ATTEMPT)), "counted as a failure");
        let ok = AttemptOutcome { ok: true, status: Some(200), error: None, duration_ms: 40, retry_at: s.now() };
        s.record_attempt(&again[0], &ok).await.unwrap();
        let log = s.deliveries(None, 10).await.unwrap();
        let lines: Vec<_> = log.iter().map(|d| (d.attempt, d.ok, d.state.as_str())).collect();
        assert_eq!(lines, vec![(2, true, "done"), (1, false, "lost")], "{}", db.engine);
        assert_eq!(s.webhook(&command, hook_id).await.unwrap().pending, 0, "the issued step is delivered");
        // A stopped worker that comes back late cannot move the row it no longer holds.
        let late = AttemptOutcome {
            ok: false,
            status: Some(502),
            error: Some("HTTP 502".into()),
            duration_ms: 9,
            retry_at: s.now(),
        };
        s.record_attempt(&first[0], &late).await.unwrap();
        let shown = s.webhook(&command, hook_id).await.unwrap();
        assert_eq!((shown.pending, shown.failures), (0, 0), "{}: still delivered once", db.engine);
        assert_eq!(s.webhook_queue_len().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn a_webhook_to_this_machine_or_a_private_network_is_refused_when_saved_unless_private_receivers_are_allowed() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let command = user(s, "cmd", Role::Command, "city").await;
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://localhost:8080/hook",
            "http://10.0.0.8/hook",
            "http://192.168.1.20/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://0.0.0.0:22/",
            "http://[::1]/hook",
            "http://[fe80::1]/hook",
            "http://[::ffff:127.0.0.1]/hook",
            "http://224.0.0.251/",
        ] {
            let refused = NewWebhook { url: url.into(), ..hook("内网", "json", true) };
            match s.add_webhook(&command, &refused).await {
                Err(StoreError::Invalid(r)) => assert_eq!(r.key, Key::WebhookPrivateAddress, "{url}"),
                other => panic!("{url} ({}): {other:?}", db.engine),
            }
            let allowed = NewWebhook { allow_private: true, ..refused };
            s.add_webhook(&command, &allowed).await.unwrap_or_else(|e| panic!("{url} allowed: {e:?}"));
        }
        assert_eq!(s.webhooks(&command).await.unwrap().len(), 10, "{}: only the allowed ones", db.engine);
    }
}

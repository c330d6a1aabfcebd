//! Query helpers shared by the store modules. They are macros because their
//! bodies are compiled once per engine inside `on_pool!`.

/// Writes one entry on an executor (usually the transaction of the change it records).
///
/// With `unless: (since, at_most)` the entry is written only while its user
/// has fewer than `at_most` entries of the same action after `since` (a rate
/// limit kept in the log itself), in the same statement, so that the write
/// holds the lock for one round trip; `rows_affected` says whether it was.
macro_rules! audit_insert {
    ($ex:expr, $entry:expr) => {
        audit_insert!(@run $ex, $entry, "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
    };
    ($ex:expr, $entry:expr, unless: ($since:expr, $at_most:expr)) => {
        audit_insert!(@run $ex, $entry,
            "SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE \
             (SELECT COUNT(*) FROM audit_log WHERE user_id = $2 AND action = $4 AND at > $9) < $10",
            $since, $at_most)
    };
    // `match` keeps the entry's temporaries (such as `&Actor::system()`) alive for the whole write.
    (@run $ex:expr, $entry:expr, $rows:literal $(, $extra:expr)*) => {{
        match $entry {
            e => {
                let e: $crate::audit::NewEntry<'_> = e;
                sqlx::query(concat!(
                    "INSERT INTO audit_log (at, user_id, actor, action, entity, entity_id, before_json, after_json) ",
                    $rows
                ))
                .bind(e.at)
                .bind((e.actor.user_id != 0).then_some(e.actor.user_id))
                .bind(e.actor.username.clone())
                .bind(e.action)
                .bind(e.entity.to_string())
                .bind(e.entity_id)
                .bind(e.before)
                .bind(e.after)
                $(.bind($extra))*
                .execute($ex)
                .await
            }
        }
    }};
}

/// Finds or creates a place under a parent; yields `(id, path, created)`.
/// Creating writes the audit entry in the same transaction.
macro_rules! ensure_place {
    ($conn:expr, $now:expr, $actor:expr, $parent:expr, $kind:expr, $name:expr) => {
        async {
            let parent: Option<(i64, String)> = $parent;
            let kind: cordon_domain::places::PlaceKind = $kind;
            let name: &str = $name;
            let conn = $conn;
            let parent_id = parent.as_ref().map(|(id, _)| *id);
            // `parent_id = $1` rather than IS NOT DISTINCT FROM: PostgreSQL uses the
            // (parent_id, name) index only for the plain comparison.
            let found: Option<(i64, String)> = match parent_id {
                Some(pid) => {
                    sqlx::query_as("SELECT id, path FROM places WHERE parent_id = $1 AND name = $2")
                        .bind(pid)
                        .bind(name.to_string())
                        .fetch_optional(&mut *conn)
                        .await?
                }
                None => {
                    sqlx::query_as("SELECT id, path FROM places WHERE parent_id IS NULL AND name = $1")
                        .bind(name.to_string())
                        .fetch_optional(&mut *conn)
                        .await?
                }
            };
            if let Some((id, path)) = found {
                return Ok::<_, $crate::StoreError>((id, path, false));
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO places (parent_id, kind, name) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(parent_id)
            .bind(kind.as_str())
            .bind(name.to_string())
            .fetch_one(&mut *conn)
            .await?;
            let path = match &parent {
                Some((_, pp)) => cordon_domain::places::PlacePath::from_stored(pp.clone()).child(id),
                None => cordon_domain::places::PlacePath::root(id),
            };
            sqlx::query("UPDATE places SET path = $1 WHERE id = $2")
                .bind(path.as_str().to_string())
                .bind(id)
                .execute(&mut *conn)
                .await?;
            audit_insert!(
                &mut *conn,
                $crate::audit::NewEntry::new($now, $actor, "create", "place", id.to_string()).after(serde_json::json!({"kind": kind.as_str(), "name": name, "parent_id": parent_id}).to_string())
            )?;
            Ok((id, path.as_str().to_string(), true))
        }
        .await
    };
}

/// Queues the announcement of an order step for every enabled webhook, on the
/// transaction of the step itself: the step and its announcements commit or
/// fail together (the outbox). Call it after the order's rows are written; it
/// reads the unit and compounds back from the same transaction. Without an
/// enabled webhook it writes nothing.
macro_rules! webhook_announce {
    ($conn:expr, $order_id:expr, $state:expr, $actor:expr, $at:expr, $reason:expr) => {
        async {
            let conn = $conn;
            let order_id: i64 = $order_id;
            let state: &str = $state;
            let actor: &cordon_domain::Actor = $actor;
            let at: chrono::DateTime<chrono::Utc> = $at;
            let reason: Option<String> = $reason;
            let enabled: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE enabled AND deleted_at IS NULL")
                .fetch_one(&mut *conn)
                .await?;
            if enabled > 0 {
                let unit: String =
                    sqlx::query_scalar("SELECT u.name FROM orders o JOIN units u ON u.id = o.unit_id WHERE o.id = $1")
                        .bind(order_id)
                        .fetch_one(&mut *conn)
                        .await?;
                let compounds: Vec<String> = sqlx::query_scalar(
                    "SELECT p.name FROM order_compounds oc JOIN places p ON p.id = oc.compound_id \
                     WHERE oc.order_id = $1 ORDER BY p.name",
                )
                .bind(order_id)
                .fetch_all(&mut *conn)
                .await?;
                let a = cordon_domain::webhooks::Announcement {
                    event: cordon_domain::webhooks::Announcement::event_of(state),
                    order_id: Some(order_id),
                    unit,
                    compounds,
                    state: state.to_string(),
                    actor: actor.username.clone(),
                    at,
                    reason,
                    compound_id: None,
                    from: None,
                };
                // Ids follow the order's steps: the guarded UPDATE of a step
                // waits for the previous step's commit.
                outbox_insert!(&mut *conn, &a)?;
            }
            Ok::<_, $crate::StoreError>(())
        }
        .await
    };
}

/// Queues an announcement for every enabled webhook, in the transaction of
/// the change it announces: one outbox row per webhook, about the order or
/// the compound the announcement names.
macro_rules! outbox_insert {
    ($conn:expr, $a:expr) => {
        async {
            let a: &cordon_domain::webhooks::Announcement = $a;
            let payload = serde_json::to_string(a).expect("an announcement serialises");
            sqlx::query(
                "INSERT INTO webhook_outbox (webhook_id, event, order_id, compound_id, payload, created_at, attempts, next_attempt_at, claim) \
                 SELECT id, $1, $2, $3, $4, $5, 0, $5, 0 FROM webhooks WHERE enabled AND deleted_at IS NULL ORDER BY id",
            )
            .bind(a.event.clone())
            .bind(a.order_id)
            .bind(a.compound_id)
            .bind(payload)
            .bind(a.at)
            .execute($conn)
            .await
        }
        .await
    };
}

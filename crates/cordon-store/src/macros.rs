//! Query helpers shared by the store modules. They are macros because their
//! bodies are compiled once per engine inside `on_pool!`.

/// Writes one entry on an executor (usually the transaction of the change it records).
macro_rules! audit_insert {
    ($ex:expr, $entry:expr) => {{
        let e: $crate::audit::NewEntry<'_> = $entry;
        sqlx::query(
            "INSERT INTO audit_log (at, user_id, actor, action, entity, entity_id, before_json, after_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(chrono::Utc::now())
        .bind((e.actor.user_id != 0).then_some(e.actor.user_id))
        .bind(e.actor.username.clone())
        .bind(e.action.to_string())
        .bind(e.entity.to_string())
        .bind(e.entity_id)
        .bind(e.before)
        .bind(e.after)
        .execute($ex)
        .await
    }};
}

/// Finds or creates a place under a parent; yields `(id, path, created)`.
/// Creating writes the audit entry in the same transaction.
macro_rules! ensure_place {
    ($conn:expr, $actor:expr, $parent:expr, $kind:expr, $name:expr) => {
        async {
            let parent: Option<(i64, String)> = $parent;
            let kind: cordon_domain::places::PlaceKind = $kind;
            let name: &str = $name;
            let conn = $conn;
            let parent_id = parent.as_ref().map(|(id, _)| *id);
            let found: Option<(i64, String)> = sqlx::query_as(
                "SELECT id, path FROM places WHERE parent_id IS NOT DISTINCT FROM $1 AND name = $2",
            )
            .bind(parent_id)
            .bind(name.to_string())
            .fetch_optional(&mut *conn)
            .await?;
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
                $crate::audit::NewEntry {
                    actor: $actor,
                    action: "create",
                    entity: "place",
                    entity_id: id.to_string(),
                    before: None,
                    after: Some(serde_json::json!({"kind": kind.as_str(), "name": name, "parent_id": parent_id}).to_string()),
                }
            )?;
            Ok((id, path.as_str().to_string(), true))
        }
        .await
    };
}

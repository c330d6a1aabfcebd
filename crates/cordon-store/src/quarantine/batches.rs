//! Arrival batches (a flight, a train, a charter) and the policies they follow:
//! the presets, and those the command adds.

use chrono::{DateTime, Utc};
use cordon_domain::places::PlaceName;
use cordon_domain::quarantine::Policy;
use cordon_domain::{Actor, Key};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

/// The longest transport or origin text.
const TRANSPORT_CHARS: usize = 100;

/// An arrival batch.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Batch {
    /// The id.
    pub id: i64,
    /// Its site.
    pub site_id: i64,
    /// The name, unique at the site.
    pub name: String,
    /// The policy's name, e.g. 7+7.
    pub policy: String,
    /// When it arrived.
    pub arrived_at: DateTime<Utc>,
    /// Flight number, train or charter.
    pub transport: String,
    /// Where it came from.
    pub origin: String,
}

/// A batch to create.
#[derive(Debug, Clone)]
pub struct NewBatch<'a> {
    /// Its name, unique at the site.
    pub name: &'a str,
    /// The policy's name: a preset or one the command added.
    pub policy: &'a str,
    /// The instant of arrival (its local date in the site's zone is day 0).
    pub arrived_at: DateTime<Utc>,
    /// Flight number, train or charter.
    pub transport: &'a str,
    /// Where it came from (may be empty).
    pub origin: &'a str,
}

/// A transport or origin text: trimmed, without hidden characters, within the length.
fn short_text(s: &str, required: bool) -> StoreResult<String> {
    let t = crate::clean(s);
    let n = t.chars().count();
    if (required && n == 0) || n > TRANSPORT_CHARS {
        return Err(StoreError::invalid(Key::QuarantineTransport.with("max", TRANSPORT_CHARS as i64)));
    }
    Ok(t)
}

#[derive(sqlx::FromRow)]
struct PolicyRow {
    name: String,
    onsite_tests: String,
    home_tests: String,
}

/// Days kept as `1,2,3`.
fn days_text(days: &[u32]) -> String {
    days.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

fn days_of(text: &str) -> Vec<u32> {
    text.split(',').filter_map(|d| d.trim().parse().ok()).collect()
}

impl Store {
    /// The policies the command added (the presets are `Policy::presets`).
    pub async fn custom_policies(&self) -> StoreResult<Vec<Policy>> {
        let rows: Vec<PolicyRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT name, onsite_tests, home_tests FROM quarantine_policies ORDER BY name")
                .fetch_all(p)
                .await?
        });
        // Each was checked when added; one that no longer parses is left out rather than guessed at.
        Ok(rows
            .into_iter()
            .filter_map(|r| Policy::custom(&r.name, &days_of(&r.onsite_tests), &days_of(&r.home_tests)).ok())
            .collect())
    }

    /// A policy by name: a preset or one the command added.
    pub async fn policy(&self, name: &str) -> StoreResult<Policy> {
        if let Some(p) = Policy::preset(name) {
            return Ok(p);
        }
        Policy::lookup(name, &self.custom_policies().await?).map_err(StoreError::invalid)
    }

    /// Adds a policy ("a+b" with its test days); the command at city scope only.
    pub async fn add_policy(
        &self,
        actor: &Actor,
        name: &str,
        onsite_tests: &[u32],
        home_tests: &[u32],
    ) -> StoreResult<Policy> {
        if !cordon_domain::quarantine::site::runs_sites(actor) {
            return Err(StoreError::Forbidden);
        }
        let policy = Policy::custom(name, onsite_tests, home_tests).map_err(StoreError::invalid)?;
        let key = policy.name().to_string();
        on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            sqlx::query(
                "INSERT INTO quarantine_policies (name, onsite_tests, home_tests, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (name) DO UPDATE SET onsite_tests = excluded.onsite_tests, home_tests = excluded.home_tests",
            )
            .bind(key.clone())
            .bind(days_text(policy.onsite_tests()))
            .bind(days_text(policy.home_tests()))
            .bind(self.now())
            .execute(&mut *tx)
            .await?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(self.now(), actor, "update", "quarantine-policy", key.clone()).after(
                    serde_json::json!({"onsite_tests": policy.onsite_tests(), "home_tests": policy.home_tests()})
                        .to_string()
                )
            )?;
            tx.commit().await?;
        });
        Ok(policy)
    }

    /// Creates an arrival batch at a site, by its manager or information group.
    pub async fn create_batch(&self, actor: &Actor, site_id: i64, batch: &NewBatch<'_>) -> StoreResult<Batch> {
        self.site_role_that(actor, site_id, |r| r.keeps_roll()).await?;
        if !self.site(actor, site_id).await?.state.takes_records() {
            return Err(StoreError::invalid(Key::QuarantineSiteClosed));
        }
        let name = PlaceName::parse(&crate::clean(batch.name)).map_err(StoreError::invalid)?;
        let policy = self.policy(batch.policy).await?;
        let transport = short_text(batch.transport, true)?;
        let origin = short_text(batch.origin, false)?;
        let created: Batch = on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            let created: Batch = sqlx::query_as(
                "INSERT INTO arrival_batches (site_id, name, policy, arrived_at, transport, origin, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 RETURNING id, site_id, name, policy, arrived_at, transport, origin",
            )
            .bind(site_id)
            .bind(name.as_str().to_string())
            .bind(policy.name().to_string())
            .bind(batch.arrived_at)
            .bind(transport.clone())
            .bind(origin.clone())
            .bind(self.now())
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::from)
            .map_err(|e| e.unique_as(Key::QuarantineBatchNameTaken.with("name", name.as_str())))?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(self.now(), actor, "create", "arrival-batch", created.id.to_string())
                    .after(serde_json::to_string(&created).unwrap_or_default())
            )?;
            tx.commit().await?;
            created
        });
        Ok(created)
    }

    /// A batch of a site by name, for an actor with a role at the site.
    pub async fn batch_named(&self, actor: &Actor, site_id: i64, name: &str) -> StoreResult<Batch> {
        self.site_role(actor, site_id).await?;
        let found: Option<Batch> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT id, site_id, name, policy, arrived_at, transport, origin FROM arrival_batches \
                 WHERE site_id = $1 AND name = $2",
            )
            .bind(site_id)
            .bind(crate::clean(name))
            .fetch_optional(p)
            .await?
        });
        found.ok_or(StoreError::NotFound)
    }
}

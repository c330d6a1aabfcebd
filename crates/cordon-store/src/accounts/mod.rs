//! Users, passwords, bearer tokens, sessions and login attempts. The server
//! keeps none of these in memory, so several instances can share one database.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use cordon_domain::places::PlacePath;
use cordon_domain::{Actor, Key, Role, Scope, ScopeSpec};
use rand::RngExt;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Store, StoreError, StoreResult};

/// A user as the user list shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct User {
    /// Its id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Role key.
    pub role: String,
    /// Written scope.
    pub scope_label: String,
}

#[derive(sqlx::FromRow)]
struct ActorRow {
    id: i64,
    username: String,
    role: String,
    scope_kind: String,
    scope_place: Option<i64>,
    scope_unit: Option<i64>,
    scope_site: Option<i64>,
    scope_label: String,
    place_path: Option<String>,
    cadre_id: Option<i64>,
}

const ACTOR_SELECT: &str = "SELECT u.id, u.username, u.role, u.scope_kind, u.scope_place, u.scope_unit, \
     u.scope_site, u.scope_label, p.path AS place_path, u.cadre_id FROM users u LEFT JOIN places p ON p.id = u.scope_place";

impl ActorRow {
    fn into_actor(self) -> Option<Actor> {
        let scope = match self.scope_kind.as_str() {
            "city" => Scope::City,
            "place" => Scope::Place { id: self.scope_place?, path: PlacePath::from_stored(self.place_path?) },
            "unit" => Scope::Unit { id: self.scope_unit? },
            "site" => Scope::Site { id: self.scope_site? },
            _ => return None,
        };
        Some(Actor {
            user_id: self.id,
            username: self.username,
            role: Role::parse(&self.role)?,
            scope,
            scope_label: self.scope_label,
            cadre_id: self.cadre_id,
        })
    }
}

/// Hashes a password with argon2id and a fresh salt.
pub fn hash_password(password: &str) -> StoreResult<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Io(format!("cannot hash password: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A random secret of 32 bytes as hex: passwords and tokens handed to people.
pub fn random_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    hex::encode(buf)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A password's rules: long enough to resist guessing at the rate limit.
fn check_password(password: &str) -> StoreResult<()> {
    if password.chars().count() < 10 {
        return Err(StoreError::invalid(Key::AccountPasswordShort));
    }
    Ok(())
}

impl Store {
    /// Creates a user; the role must fit the scope and the scope must exist.
    pub async fn create_user(&self, username: &str, password: &str, role: Role, spec: &ScopeSpec) -> StoreResult<i64> {
        let username = username.trim();
        if username.is_empty() || username.len() > 64 || username.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(StoreError::invalid(Key::AccountBadUsername));
        }
        if !role.accepts(spec) {
            return Err(StoreError::invalid(
                Key::AccountRoleScope.with("role", role.as_str()).with("scope", spec.to_text()),
            ));
        }
        check_password(password)?;
        let scope = self.resolve_scope(spec).await?;
        let hash = hash_password(password)?;
        let (kind, place, unit, site) = match &scope {
            Scope::City => ("city", None, None, None),
            Scope::Place { id, .. } => ("place", Some(*id), None, None),
            Scope::Unit { id } => ("unit", None, Some(*id), None),
            Scope::Site { id } => ("site", None, None, Some(*id)),
        };
        let id: i64 = on_pool!(self, |p| {
            sqlx::query_scalar(
                "INSERT INTO users (username, password_hash, role, scope_kind, scope_place, scope_unit, scope_site, scope_label, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(crate::clean(username))
            .bind(hash)
            .bind(role.as_str())
            .bind(kind)
            .bind(place)
            .bind(unit)
            .bind(site)
            .bind(spec.to_text())
            .bind(self.now())
            .fetch_one(p)
            .await
            .map_err(StoreError::from)
            .map_err(|e| e.unique_as(Key::AccountNameTaken))?
        });
        on_pool!(self, |p| {
            audit_insert!(
                p,
                crate::audit::NewEntry::new(self.now(), &Actor::system(), "create", "user", id.to_string()).after(
                    serde_json::json!({"username": username, "role": role.as_str(), "scope": spec.to_text()})
                        .to_string()
                )
            )?;
        });
        Ok(id)
    }

    /// Ties a field account to the cadre it belongs to (`cordon user link`), so
    /// the member sees their own shifts; `None` unties it. Logged.
    pub async fn link_cadre(&self, username: &str, cadre: Option<i64>) -> StoreResult<()> {
        let actor = self
            .actor_by_username(username)
            .await?
            .ok_or_else(|| StoreError::invalid(Key::AccountNoUser.with("name", username)))?;
        if let Some(c) = cadre {
            let found: Option<i64> = on_pool!(self, |p| {
                sqlx::query_scalar("SELECT id FROM cadres WHERE id = $1").bind(c).fetch_optional(p).await?
            });
            found.ok_or_else(|| StoreError::invalid(Key::AccountNoCadre.with("id", c)))?;
        }
        on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            sqlx::query("UPDATE users SET cadre_id = $1 WHERE id = $2")
                .bind(cadre)
                .bind(actor.user_id)
                .execute(&mut *tx)
                .await?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(self.now(), &Actor::system(), "link", "user", actor.user_id.to_string())
                    .before(serde_json::json!({"cadre_id": actor.cadre_id}).to_string())
                    .after(serde_json::json!({"cadre_id": cadre}).to_string())
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Sets a user's password (the operator's `cordon user password`); logged.
    pub async fn set_password(&self, username: &str, password: &str) -> StoreResult<()> {
        check_password(password)?;
        let hash = hash_password(password)?;
        let user = self
            .actor_by_username(username)
            .await?
            .ok_or_else(|| StoreError::invalid(Key::AccountNoUser.with("name", username)))?;
        on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(user.user_id)
                .execute(&mut *tx)
                .await?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(
                    self.now(),
                    &Actor::system(),
                    "set-password",
                    "user",
                    user.user_id.to_string()
                )
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// A user changes their own password, proving the current one; logged.
    pub async fn change_password(&self, actor: &Actor, current: &str, new: &str) -> StoreResult<()> {
        if self.authenticate(&actor.username, current).await?.is_none() {
            return Err(StoreError::invalid(Key::AccountWrongCurrent));
        }
        check_password(new)?;
        let hash = hash_password(new)?;
        on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(actor.user_id)
                .execute(&mut *tx)
                .await?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(self.now(), actor, "change-password", "user", actor.user_id.to_string())
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// How many users exist: none means a first start.
    pub async fn user_count(&self) -> StoreResult<i64> {
        Ok(on_pool!(self, |p| sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(p).await?))
    }

    /// On an empty database, creates `admin` (command, city) and returns its one-time password.
    pub async fn ensure_admin(&self) -> StoreResult<Option<String>> {
        if self.user_count().await? > 0 {
            return Ok(None);
        }
        let password = random_secret(8);
        self.create_user("admin", &password, Role::Command, &ScopeSpec::City).await?;
        Ok(Some(password))
    }

    /// Every user, for the operator.
    pub async fn users(&self) -> StoreResult<Vec<User>> {
        Ok(on_pool!(self, |p| {
            sqlx::query_as("SELECT id, username, role, scope_label FROM users ORDER BY id").fetch_all(p).await?
        }))
    }

    /// Checks a password; `None` for an unknown user or a wrong password alike.
    pub async fn authenticate(&self, username: &str, password: &str) -> StoreResult<Option<Actor>> {
        let row: Option<(i64, String)> = on_pool!(self, |p| {
            sqlx::query_as("SELECT id, password_hash FROM users WHERE username = $1")
                .bind(crate::clean(username))
                .fetch_optional(p)
                .await?
        });
        let Some((id, hash)) = row else {
            // Spend the same time as a real check so timing does not tell which names exist.
            let _ = verify_password(password, DUMMY_HASH);
            return Ok(None);
        };
        if !verify_password(password, &hash) {
            return Ok(None);
        }
        self.actor_by_user_id(id).await
    }

    /// The actor behind a user id (a session holds only the id).
    pub async fn actor_by_user_id(&self, id: i64) -> StoreResult<Option<Actor>> {
        let row: Option<ActorRow> = on_pool!(self, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{ACTOR_SELECT} WHERE u.id = $1")))
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.and_then(ActorRow::into_actor))
    }

    /// The actor behind a user name.
    pub async fn actor_by_username(&self, username: &str) -> StoreResult<Option<Actor>> {
        let row: Option<ActorRow> = on_pool!(self, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{ACTOR_SELECT} WHERE u.username = $1")))
                .bind(crate::clean(username))
                .fetch_optional(p)
                .await?
        });
        Ok(row.and_then(ActorRow::into_actor))
    }

    /// Creates a bearer token for a user and returns it; only its hash is kept.
    pub async fn create_token(&self, username: &str) -> StoreResult<String> {
        let actor = self
            .actor_by_username(username)
            .await?
            .ok_or_else(|| StoreError::invalid(Key::AccountNoUser.with("name", username)))?;
        let token = format!("cdn_{}", random_secret(32));
        let prefix = token[..12].to_string();
        on_pool!(self, |p| {
            sqlx::query("INSERT INTO api_tokens (user_id, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4)")
                .bind(actor.user_id)
                .bind(token_hash(&token))
                .bind(prefix.clone())
                .bind(self.now())
                .execute(p)
                .await?;
            audit_insert!(
                p,
                crate::audit::NewEntry::new(self.now(), &Actor::system(), "create", "token", prefix)
                    .after(serde_json::json!({"user": username}).to_string())
            )?;
        });
        Ok(token)
    }

    /// Revokes a user's tokens (all, or the one starting with `prefix`); returns how many ended.
    pub async fn revoke_tokens(&self, username: &str, prefix: Option<&str>) -> StoreResult<u64> {
        let actor = self
            .actor_by_username(username)
            .await?
            .ok_or_else(|| StoreError::invalid(Key::AccountNoUser.with("name", username)))?;
        let n = on_pool!(self, |p| {
            let n = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND ($3 IS NULL OR prefix = $3)",
            )
            .bind(self.now())
            .bind(actor.user_id)
            .bind(prefix.map(|s| s.chars().take(12).collect::<String>()))
            .execute(p)
            .await?
            .rows_affected();
            audit_insert!(
                p,
                crate::audit::NewEntry::new(
                    self.now(),
                    &Actor::system(),
                    "revoke",
                    "token",
                    prefix.unwrap_or("*").to_string()
                )
                .after(serde_json::json!({"user": username, "revoked": n}).to_string())
            )?;
            n
        });
        Ok(n)
    }

    /// The actor a bearer token acts for, if the token is live.
    pub async fn actor_by_token(&self, token: &str) -> StoreResult<Option<Actor>> {
        let user: Option<i64> = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
                .bind(token_hash(token))
                .fetch_optional(p)
                .await?
        });
        match user {
            Some(id) => self.actor_by_user_id(id).await,
            None => Ok(None),
        }
    }

    /// Records a failed login for the account and the address.
    pub async fn record_login_failure(&self, account: &str, address: &str) -> StoreResult<()> {
        on_pool!(self, |p| {
            sqlx::query("INSERT INTO login_attempts (account, address, at) VALUES ($1, $2, $3)")
                .bind(crate::clean(account))
                .bind(crate::clean(address))
                .bind(self.now())
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Failed logins since an instant: `(for this account, from this address)`.
    pub async fn login_failures_since(
        &self,
        account: &str,
        address: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<(i64, i64)> {
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM login_attempts WHERE account = $1 AND at > $3), \
                        (SELECT COUNT(*) FROM login_attempts WHERE address = $2 AND at > $3)",
            )
            .bind(crate::clean(account))
            .bind(crate::clean(address))
            .bind(since)
            .fetch_one(p)
            .await?
        }))
    }

    /// Forgets an account's failures after a good login.
    pub async fn clear_login_failures(&self, account: &str) -> StoreResult<()> {
        on_pool!(self, |p| {
            sqlx::query("DELETE FROM login_attempts WHERE account = $1").bind(crate::clean(account)).execute(p).await?;
        });
        Ok(())
    }

    /// Loads a live session's data.
    pub async fn session_load(&self, id: &str) -> StoreResult<Option<(String, DateTime<Utc>)>> {
        Ok(on_pool!(self, |p| {
            sqlx::query_as("SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2")
                .bind(token_hash(id))
                .bind(self.now())
                .fetch_optional(p)
                .await?
        }))
    }

    /// Inserts a new session; false when the id is taken (the caller picks another).
    pub async fn session_create(&self, id: &str, data: &str, expires_at: DateTime<Utc>) -> StoreResult<bool> {
        let res = on_pool!(self, |p| {
            sqlx::query("INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING")
                .bind(token_hash(id))
                .bind(data.to_string())
                .bind(expires_at)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(res == 1)
    }

    /// Saves a session's data (insert or replace).
    pub async fn session_save(&self, id: &str, data: &str, expires_at: DateTime<Utc>) -> StoreResult<()> {
        on_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
            )
            .bind(token_hash(id))
            .bind(data.to_string())
            .bind(expires_at)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// Deletes a session, and with it any expired ones.
    pub async fn session_delete(&self, id: &str) -> StoreResult<()> {
        on_pool!(self, |p| {
            sqlx::query("DELETE FROM sessions WHERE id = $1 OR expires_at < $2")
                .bind(token_hash(id))
                .bind(self.now())
                .execute(p)
                .await?;
        });
        Ok(())
    }
}

// A valid argon2id hash of a random string, verified against when the user does not exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Y2hhbmdlbWVjaGFuZ2VtZWNoYW5nZW1lY2hhbmdlbWU";

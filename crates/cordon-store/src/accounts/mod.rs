//! Users, passwords, bearer tokens, sessions and login attempts. The server
//! keeps none of these in memory, so several instances can share one database.
//! A general rate limiter lives beside them (`limits`).

mod limits;

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

/// How a user's password came about, stored as `users.password_kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PasswordKind {
    /// Chosen by the user (or set by the operator).
    Chosen,
    /// Handed out to sign in once (the first admin's).
    OneTime,
    /// A one-time password that has signed in; it still proves who changes it.
    Spent,
}

impl PasswordKind {
    fn as_str(self) -> &'static str {
        match self {
            PasswordKind::Chosen => "chosen",
            PasswordKind::OneTime => "one-time",
            PasswordKind::Spent => "spent",
        }
    }

    fn parse(s: &str) -> Option<PasswordKind> {
        [PasswordKind::Chosen, PasswordKind::OneTime, PasswordKind::Spent].into_iter().find(|k| k.as_str() == s)
    }
}

/// A sign-in that got through.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Who signed in.
    pub actor: Actor,
    /// With a one-time password, now spent: the user must choose a password
    /// before anything else.
    pub one_time: bool,
}

/// A sign-in attempt reserved before its password is checked, with the
/// attempts standing against it in the window, itself included.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    id: i64,
    account: String,
    address: String,
    /// Of this account from this address.
    pub pair: i64,
    /// From this address, for any account.
    pub by_address: i64,
    /// Of this account, from anywhere.
    pub by_account: i64,
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
        self.create_user_as(username, password, PasswordKind::Chosen, role, spec).await
    }

    async fn create_user_as(
        &self,
        username: &str,
        password: &str,
        password_kind: PasswordKind,
        role: Role,
        spec: &ScopeSpec,
    ) -> StoreResult<i64> {
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
                "INSERT INTO users (username, password_hash, password_kind, role, scope_kind, scope_place, scope_unit, scope_site, scope_label, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(crate::clean(username))
            .bind(hash)
            .bind(password_kind.as_str())
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

    /// Sets a user's password (the operator's `cordon user password`) and
    /// ends every session of the user, wherever it was opened; logged.
    pub async fn set_password(&self, username: &str, password: &str) -> StoreResult<()> {
        check_password(password)?;
        let hash = hash_password(password)?;
        let user = self
            .actor_by_username(username)
            .await?
            .ok_or_else(|| StoreError::invalid(Key::AccountNoUser.with("name", username)))?;
        self.replace_password(&Actor::system(), "set-password", user.user_id, hash, None).await
    }

    /// A user changes their own password, proving the current one (a spent
    /// one-time password still proves it); every other session of the user
    /// ends, `keep` (the session making the change) stays. Logged.
    pub async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        new: &str,
        keep: Option<&str>,
    ) -> StoreResult<()> {
        let hash: Option<String> = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(actor.user_id)
                .fetch_optional(p)
                .await?
        });
        // The new password's rules first: a refusal of them checks no password and is no guess.
        check_password(new)?;
        if !hash.is_some_and(|h| verify_password(current, &h)) {
            return Err(StoreError::invalid(Key::AccountWrongCurrent));
        }
        self.replace_password(actor, "change-password", actor.user_id, hash_password(new)?, keep).await
    }

    /// Stores a user's new (chosen) password and ends every session of the
    /// user but `keep`, in one transaction, with the audit entry `action` by
    /// `by`: a password that changes leaves no session opened with the old one.
    async fn replace_password(
        &self,
        by: &Actor,
        action: &str,
        user_id: i64,
        hash: String,
        keep: Option<&str>,
    ) -> StoreResult<()> {
        on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            sqlx::query("UPDATE users SET password_hash = $1, password_kind = $2 WHERE id = $3")
                .bind(hash)
                .bind(PasswordKind::Chosen.as_str())
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR id <> $2)")
                .bind(user_id)
                .bind(keep.map(token_hash))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(self.now(), by, action, "user", user_id.to_string())
                    .after(serde_json::json!({"sessions_ended": ended}).to_string())
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// How many users exist: none means a first start.
    pub async fn user_count(&self) -> StoreResult<i64> {
        Ok(on_pool!(self, |p| sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(p).await?))
    }

    /// On an empty database, creates `admin` (command, city) and returns its
    /// one-time password: it signs in once, and that session must choose a
    /// new password before anything else.
    pub async fn ensure_admin(&self) -> StoreResult<Option<String>> {
        if self.user_count().await? > 0 {
            return Ok(None);
        }
        let password = random_secret(8);
        self.create_user_as("admin", &password, PasswordKind::OneTime, Role::Command, &ScopeSpec::City).await?;
        Ok(Some(password))
    }

    /// Every user, for the operator.
    pub async fn users(&self) -> StoreResult<Vec<User>> {
        Ok(on_pool!(self, |p| {
            sqlx::query_as("SELECT id, username, role, scope_label FROM users ORDER BY id").fetch_all(p).await?
        }))
    }

    /// Checks a password for signing in; `None` for an unknown user, a wrong
    /// password and a spent one-time password alike. A one-time password is
    /// spent by the sign-in it lets through, even by two at the same instant.
    pub async fn authenticate(&self, username: &str, password: &str) -> StoreResult<Option<SignedIn>> {
        let row: Option<(i64, String, String)> = on_pool!(self, |p| {
            sqlx::query_as("SELECT id, password_hash, password_kind FROM users WHERE username = $1")
                .bind(crate::clean(username))
                .fetch_optional(p)
                .await?
        });
        let Some((id, hash, kind)) = row else {
            // Spend the same time as a real check so timing does not tell which names exist.
            let _ = verify_password(password, DUMMY_HASH);
            return Ok(None);
        };
        if !verify_password(password, &hash) {
            return Ok(None);
        }
        let one_time = match PasswordKind::parse(&kind) {
            Some(PasswordKind::Chosen) => false,
            Some(PasswordKind::OneTime) => {
                let spent = on_pool!(self, |p| {
                    sqlx::query("UPDATE users SET password_kind = $1 WHERE id = $2 AND password_kind = $3")
                        .bind(PasswordKind::Spent.as_str())
                        .bind(id)
                        .bind(PasswordKind::OneTime.as_str())
                        .execute(p)
                        .await?
                        .rows_affected()
                });
                if spent != 1 {
                    return Ok(None);
                }
                true
            }
            Some(PasswordKind::Spent) | None => return Ok(None),
        };
        Ok(self.actor_by_user_id(id).await?.map(|actor| SignedIn { actor, one_time }))
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
    /// One statement: every API call asks it first, and on PostgreSQL each
    /// round trip to the server is a good part of a list's time.
    pub async fn actor_by_token(&self, token: &str) -> StoreResult<Option<Actor>> {
        let row: Option<ActorRow> = on_pool!(self, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{ACTOR_SELECT} WHERE u.id = (SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL)"
            )))
            .bind(token_hash(token))
            .fetch_optional(p)
            .await?
        });
        Ok(row.and_then(ActorRow::into_actor))
    }

    /// Reserves a sign-in attempt before its password is checked, and counts
    /// the attempts standing against it since `since` (itself included).
    /// Counting after the reservation is what keeps parallel guesses within
    /// the limits: of attempts made at once, the last to count sees them all.
    /// An attempt is a failure unless withdrawn (`login_attempt_withdraw`) or
    /// followed by `login_succeeded`. Attempts older than `since` are cleaned.
    pub async fn login_attempt(&self, account: &str, address: &str, since: DateTime<Utc>) -> StoreResult<LoginAttempt> {
        let (account, address) = (crate::clean(account), crate::clean(address));
        let (id, pair, by_address, by_account) = on_pool!(self, |p| {
            sqlx::query("DELETE FROM login_attempts WHERE at <= $1").bind(since).execute(p).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO login_attempts (account, address, at) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(account.clone())
            .bind(address.clone())
            .bind(self.now())
            .fetch_one(p)
            .await?;
            let (pair, by_address, by_account): (i64, i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM login_attempts WHERE account = $1 AND address = $2 AND at > $3), \
                        (SELECT COUNT(*) FROM login_attempts WHERE address = $2 AND at > $3), \
                        (SELECT COUNT(*) FROM login_attempts WHERE account = $1 AND at > $3)",
            )
            .bind(account.clone())
            .bind(address.clone())
            .bind(since)
            .fetch_one(p)
            .await?;
            (id, pair, by_address, by_account)
        });
        Ok(LoginAttempt { id, account, address, pair, by_address, by_account })
    }

    /// Takes back an attempt that checked no password (it was refused, or
    /// failed for another reason): it is no guess.
    pub async fn login_attempt_withdraw(&self, attempt: &LoginAttempt) -> StoreResult<()> {
        on_pool!(self, |p| {
            sqlx::query("DELETE FROM login_attempts WHERE id = $1").bind(attempt.id).execute(p).await?;
        });
        Ok(())
    }

    /// The attempt had the right password: forgets the failures of its
    /// account from its address, and only those, so that someone guessing
    /// from elsewhere stays held back.
    pub async fn login_succeeded(&self, attempt: &LoginAttempt) -> StoreResult<()> {
        on_pool!(self, |p| {
            sqlx::query("DELETE FROM login_attempts WHERE (account = $1 AND address = $2) OR id = $3")
                .bind(attempt.account.clone())
                .bind(attempt.address.clone())
                .bind(attempt.id)
                .execute(p)
                .await?;
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

    /// Inserts a new session of a user (or of nobody yet); false when the id
    /// is taken (the caller picks another).
    pub async fn session_create(
        &self,
        id: &str,
        data: &str,
        user_id: Option<i64>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let res = on_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO sessions (id, data, user_id, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
            )
            .bind(token_hash(id))
            .bind(data.to_string())
            .bind(user_id)
            .bind(expires_at)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(res == 1)
    }

    /// Saves an existing session's data. A session ended meanwhile (by a
    /// password change, say, while one of its requests was running) is not
    /// brought back.
    pub async fn session_save(
        &self,
        id: &str,
        data: &str,
        user_id: Option<i64>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |p| {
            sqlx::query("UPDATE sessions SET data = $1, user_id = $2, expires_at = $3 WHERE id = $4")
                .bind(data.to_string())
                .bind(user_id)
                .bind(expires_at)
                .bind(token_hash(id))
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// How many live sessions a user has (for the operator and tests).
    pub async fn session_count(&self, user_id: i64) -> StoreResult<i64> {
        Ok(on_pool!(self, |p| {
            sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND expires_at > $2")
                .bind(user_id)
                .bind(self.now())
                .fetch_one(p)
                .await?
        }))
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

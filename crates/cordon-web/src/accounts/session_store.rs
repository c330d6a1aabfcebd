//! tower-sessions' store on Cordon's database, so sessions survive restarts and
//! are shared by every server instance.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cordon_store::Store;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result, SessionStore};

/// Sessions kept in the `sessions` table (ids stored hashed, with their user).
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    pub store: Store,
}

fn to_chrono(t: time::OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()).unwrap_or_else(Utc::now)
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

/// The user a session belongs to, kept beside the data so that a password
/// change can end the user's other sessions.
fn user_of(record: &Record) -> Option<i64> {
    record.data.get(super::USER_KEY).and_then(serde_json::Value::as_i64)
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        // A colliding random id is astronomically rare; pick another rather than overwrite.
        while !self
            .store
            .session_create(&record.id.to_string(), &data, user_of(record), to_chrono(record.expiry_date))
            .await
            .map_err(backend)?
        {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        self.store
            .session_save(&record.id.to_string(), &data, user_of(record), to_chrono(record.expiry_date))
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let Some((data, expires)) = self.store.session_load(&id.to_string()).await.map_err(backend)? else {
            return Ok(None);
        };
        let data = serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date =
            time::OffsetDateTime::from_unix_timestamp(expires.timestamp()).map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.store.session_delete(&id.to_string()).await.map_err(backend)
    }
}

//! A squad's street and community liaisons (街道、社区联络人).

use cordon_domain::places::PlaceName;
use cordon_domain::{Actor, Key, PersonName, Phone};

use crate::{Store, StoreError, StoreResult};

impl Store {
    /// Adds a street or community contact to a squad the actor may manage.
    pub async fn add_liaison(
        &self,
        actor: &Actor,
        squad_id: i64,
        name: &str,
        role: &str,
        phone: &str,
    ) -> StoreResult<i64> {
        if !cordon_domain::squads::may_manage(actor) {
            return Err(StoreError::Forbidden);
        }
        self.squad(actor, squad_id).await?;
        let name = PersonName::parse(name).map_err(|_| StoreError::invalid(Key::LiaisonBadName))?;
        let role = PlaceName::parse(role).map_err(|_| StoreError::invalid(Key::LiaisonBadRole))?;
        let phone = Phone::parse(phone).map_err(|_| StoreError::invalid(Key::LiaisonBadPhone))?;
        let now = self.now();
        Ok(on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO liaisons (squad_id, name, role, phone) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(squad_id)
            .bind(name.as_str().to_string())
            .bind(role.as_str().to_string())
            .bind(phone.as_str().to_string())
            .fetch_one(&mut *tx)
            .await?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(now, actor, "create", "liaison", id.to_string()).after(
                    serde_json::json!({"squad_id": squad_id, "name": name.as_str(), "role": role.as_str(),
                        "phone": phone.masked()})
                    .to_string()
                )
            )?;
            tx.commit().await?;
            id
        }))
    }
}

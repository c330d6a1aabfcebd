//! Cadres' training records (岗前培训): posting an untrained cadre needs a confirmation.

use cordon_domain::{Actor, Capability, Key};

use crate::{Store, StoreError, StoreResult};

impl Store {
    /// Records that a cadre was trained (a course on a day); the unit's coordinator or the command.
    pub async fn record_training(
        &self,
        actor: &Actor,
        cadre_id: i64,
        course: &str,
        on: chrono::NaiveDate,
    ) -> StoreResult<()> {
        if !actor.can(Capability::ManageCadres) {
            return Err(StoreError::Forbidden);
        }
        self.cadre(actor, cadre_id).await?;
        let course =
            cordon_domain::places::PlaceName::parse(course).map_err(|_| StoreError::invalid(Key::TrainingBadCourse))?;
        on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            let n = sqlx::query(
                "INSERT INTO trainings (cadre_id, course, trained_on) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(cadre_id)
            .bind(course.as_str().to_string())
            .bind(on)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                audit_insert!(
                    &mut *tx,
                    crate::audit::NewEntry::new(self.now(), actor, "create", "training", cadre_id.to_string())
                        .after(serde_json::json!({"course": course.as_str(), "on": on}).to_string())
                )?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// A cadre's training records, newest first: `(course, day)`.
    pub async fn trainings(&self, actor: &Actor, cadre_id: i64) -> StoreResult<Vec<(String, chrono::NaiveDate)>> {
        self.cadre(actor, cadre_id).await?;
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT course, trained_on FROM trainings WHERE cadre_id = $1 ORDER BY trained_on DESC, id DESC",
            )
            .bind(cadre_id)
            .fetch_all(p)
            .await?
        }))
    }
}

//! Care tasks: the needs the manifest records for the people on site (diet,
//! faith, medicine) as tasks for the group that meets each (`CareKind`), and
//! the languages spoken on site for the foreign-affairs group. A task ticked
//! off is kept once, with who and when; ticking it again changes nothing.

use cordon_domain::Actor;
use cordon_domain::quarantine::care::{CareKind, tasks};
use cordon_domain::quarantine::site::Sight;
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

/// One person's need, as the group that meets it reads it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CareTask {
    /// The person's id (for the page's form).
    pub person_id: i64,
    /// The name in its own script.
    pub name: String,
    /// In Latin letters.
    pub name_latin: String,
    /// Their room.
    pub room: Option<String>,
    /// meals, faith or medical.
    #[schema(value_type = String)]
    pub kind: CareKind,
    /// What the manifest says.
    pub detail: String,
    /// Whether it was ticked off.
    pub done: bool,
}

/// How many people on site speak a language other than Chinese.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LanguageNeed {
    /// The language (ISO 639-1).
    pub language: String,
    /// People on site who speak it.
    pub people: usize,
}

/// A site's care tasks for one role.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct CareList {
    /// The people's needs of the kinds the role meets, by room.
    pub tasks: Vec<CareTask>,
    /// The languages on site, for the roles that arrange interpreting.
    pub languages: Vec<LanguageNeed>,
}

#[derive(sqlx::FromRow)]
struct NeedRow {
    id: i64,
    name: String,
    name_latin: String,
    room: Option<String>,
    language: String,
    dietary: Option<String>,
    religion: Option<String>,
    medical: Option<String>,
}

impl Store {
    /// The care tasks of the people on a site (in a room now), of the kinds
    /// the actor's role meets: the hotel group meals, the medical group
    /// medicine, the foreign-affairs group faith and languages, the manager all.
    pub async fn care_tasks(&self, actor: &Actor, site_id: i64) -> StoreResult<CareList> {
        let role = self.site_role_that(actor, site_id, |r| r.may_see(Sight::Care)).await?;
        let (rows, done): (Vec<NeedRow>, Vec<(i64, String)>) = on_pool!(self, |p| {
            let rows = sqlx::query_as(
                "SELECT q.id, q.name, q.name_latin, r.number AS room, q.language, q.dietary, q.religion, q.medical \
                 FROM quarantined q JOIN site_rooms r ON r.id = q.room_id WHERE q.site_id = $1 \
                 ORDER BY r.floor, r.number, q.id",
            )
            .bind(site_id)
            .fetch_all(p)
            .await?;
            let done = sqlx::query_as(
                "SELECT c.person_id, c.kind FROM care_done c JOIN quarantined q ON q.id = c.person_id \
                 WHERE q.site_id = $1",
            )
            .bind(site_id)
            .fetch_all(p)
            .await?;
            (rows, done)
        });
        let done: std::collections::HashSet<(i64, String)> = done.into_iter().collect();
        let mut list = CareList::default();
        for row in rows {
            for (kind, detail) in
                tasks(row.dietary.as_deref(), row.religion.as_deref(), row.medical.as_deref(), &row.language)
            {
                if !kind.for_role(role) {
                    continue;
                }
                if kind == CareKind::Language {
                    match list.languages.iter_mut().find(|l| l.language == detail) {
                        Some(l) => l.people += 1,
                        None => list.languages.push(LanguageNeed { language: detail, people: 1 }),
                    }
                    continue;
                }
                list.tasks.push(CareTask {
                    person_id: row.id,
                    name: row.name.clone(),
                    name_latin: row.name_latin.clone(),
                    room: row.room.clone(),
                    kind,
                    detail,
                    done: done.contains(&(row.id, kind.as_str().to_string())),
                });
            }
        }
        Ok(list)
    }

    /// Ticks a person's care task off, by a role that meets its kind; the
    /// same tick twice (or two at once) is kept once.
    pub async fn care_done(&self, actor: &Actor, site_id: i64, person_id: i64, kind: CareKind) -> StoreResult<bool> {
        self.site_role_that(actor, site_id, |r| r.may_see(Sight::Care) && kind.for_role(r)).await?;
        let now = self.now();
        let written = on_pool!(self, |p| {
            // A write transaction from the start: on SQLite a read that later
            // writes would be refused, not queued, when two ticks come at once.
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            let on_site: Option<i64> =
                sqlx::query_scalar("SELECT id FROM quarantined WHERE id = $1 AND site_id = $2 AND room_id IS NOT NULL")
                    .bind(person_id)
                    .bind(site_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            on_site.ok_or(StoreError::NotFound)?;
            let written = sqlx::query(
                "INSERT INTO care_done (person_id, kind, at, actor) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (person_id, kind) DO NOTHING",
            )
            .bind(person_id)
            .bind(kind.as_str())
            .bind(now)
            .bind(actor.username.clone())
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if written {
                audit_insert!(
                    &mut *tx,
                    crate::audit::NewEntry::new(now, actor, "acknowledge", "quarantined", person_id.to_string())
                        .after(serde_json::json!({"care": kind.as_str()}).to_string())
                )?;
            }
            tx.commit().await?;
            written
        });
        Ok(written)
    }
}

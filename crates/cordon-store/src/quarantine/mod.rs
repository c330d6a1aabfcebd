//! Centralised quarantine sites in the store, split as the domain's
//! `quarantine` is:
//!
//! - `sites`: a site with its rooms (from a rooms file) and its steps;
//! - `batches`: arrival batches, and the policies the command adds to the presets;
//! - `manifest`: a batch's manifest imported, whole or nothing;
//! - `checkin`: rooms assigned by the rooming plan, under the site's lock;
//! - `timeline`: every stay's dates, listed and exported;
//! - `dashboard`: what a site's page and the command's list of sites show;
//! - `own_page`: a person's own page, opened from their room's card;
//! - `results`: test results, and the transfers and extensions a positive opens;
//! - `care`: the manifest's care needs as tasks for the groups that meet them;
//! - `release`: release certificates signed with the site's key, their verification, and the hand-over.
//! - `health`: temperatures and symptoms, and the alerts they raise;
//! - `requests`: what people ask for from their own page, and its steps.
//!
//! Who may do what at a site is asked in one place, `Store::site_role`: the
//! command sees every site; a site account sees only its own, and within it
//! what its group's work needs (`SiteRole::may_see`).

/// Takes the site's row lock inside a write transaction and reads its state:
/// every check-in, room change and step at a site takes it first, so two at
/// once are taken one after the other. On SQLite `BEGIN IMMEDIATE` already
/// holds the database and `for_update` is empty. A missing site is NotFound.
macro_rules! lock_site {
    ($tx:ident, $p:ident, $site:expr) => {
        async {
            let lock = crate::db::for_update($p);
            let state: Option<String> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT state FROM sites WHERE id = $1{lock}")))
                    .bind($site)
                    .fetch_optional(&mut *$tx)
                    .await?;
            let state = state.ok_or(crate::StoreError::NotFound)?;
            crate::StoreResult::Ok(
                cordon_domain::quarantine::site::SiteState::parse(&state)
                    .unwrap_or(cordon_domain::quarantine::site::SiteState::Standby),
            )
        }
    };
}

/// Takes a person out of their room inside a write transaction (a departure
/// to hospital, a release): a room left empty awaits disinfection before
/// anyone else sleeps in it; a roommate who stays keeps it occupied.
macro_rules! leave_room {
    ($tx:ident, $person:expr) => {
        async {
            let person: i64 = $person;
            let room: Option<i64> = sqlx::query_scalar("SELECT room_id FROM quarantined WHERE id = $1")
                .bind(person)
                .fetch_one(&mut *$tx)
                .await?;
            sqlx::query("UPDATE quarantined SET room_id = NULL WHERE id = $1").bind(person).execute(&mut *$tx).await?;
            if let Some(room) = room {
                let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM quarantined WHERE room_id = $1")
                    .bind(room)
                    .fetch_one(&mut *$tx)
                    .await?;
                if left == 0 {
                    use cordon_domain::quarantine::site::{RoomEvent, RoomState};
                    let state = RoomState::Occupied.apply(RoomEvent::Vacate).map_err(crate::StoreError::invalid)?;
                    sqlx::query("UPDATE site_rooms SET state = $1 WHERE id = $2")
                        .bind(state.as_str())
                        .bind(room)
                        .execute(&mut *$tx)
                        .await?;
                }
            }
            crate::StoreResult::Ok(())
        }
    };
}

mod batches;
mod care;
mod checkin;
mod dashboard;
mod health;
mod manifest;
mod own_page;
mod release;
mod requests;
mod results;
mod sites;
mod timeline;

use cordon_domain::quarantine::site::{Group, SiteRole, SiteState};
use cordon_domain::{Actor, Role, Scope};
use serde::Serialize;

pub use batches::{Batch, NewBatch};
pub use care::{CareList, CareTask, LanguageNeed};
pub use checkin::CheckIn;
pub use dashboard::{BatchLine, Dashboard, Glance, Named, RoomCounts, RoomLine, SiteLine};
pub use health::{CheckRecorded, HealthCheck, OnSitePerson};
pub use own_page::{CardPerson, OwnStay, RoomCard};
pub use release::{Certificate, Issued, Released, Who};
pub use requests::{OwnRequest, RequestLine, RequestMade};
pub use results::{FollowUp, Recorded, ResultLine, Transfer};
pub use sites::SiteCreated;
pub use timeline::Stay;

use crate::{Store, StoreError, StoreResult};

/// A quarantine site.
#[derive(Debug, Clone, Serialize)]
pub struct Site {
    /// The id.
    pub id: i64,
    /// The name, e.g. 卓林酒店隔离点.
    pub name: String,
    /// The time zone its days are counted in.
    #[serde(serialize_with = "zone_name")]
    pub zone: cordon_domain::clock::Zone,
    /// Where it stands.
    pub state: SiteState,
}

fn zone_name<S: serde::Serializer>(z: &cordon_domain::clock::Zone, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(z.name())
}

#[derive(sqlx::FromRow)]
struct SiteRow {
    id: i64,
    name: String,
    zone: String,
    state: String,
}

impl SiteRow {
    fn site(self) -> Site {
        Site {
            id: self.id,
            name: self.name,
            // Both were checked when written; a row edited by hand reads as the defaults.
            zone: cordon_domain::clock::Zone::parse(&self.zone).unwrap_or_default(),
            state: SiteState::parse(&self.state).unwrap_or(SiteState::Standby),
        }
    }
}

impl Store {
    /// The actor's role at a site: the command at city scope acts as the
    /// manager of every site; a site account only at its own site, a group
    /// member by the group it was put in. Another site is `NotFound` (not
    /// told apart from one that does not exist).
    pub async fn site_role(&self, actor: &Actor, site_id: i64) -> StoreResult<SiteRole> {
        match (actor.role, &actor.scope) {
            (Role::Command, Scope::City) => Ok(SiteRole::Manager),
            (Role::SiteManager, Scope::Site { id }) if *id == site_id => Ok(SiteRole::Manager),
            (Role::SiteGroup, Scope::Site { id }) if *id == site_id => {
                let group: Option<String> = on_pool!(self, |p| {
                    sqlx::query_scalar("SELECT grp FROM site_members WHERE user_id = $1")
                        .bind(actor.user_id)
                        .fetch_optional(p)
                        .await?
                });
                // A member not yet put in a group sees nothing of the site.
                group.and_then(|g| Group::parse(&g).ok()).map(SiteRole::Member).ok_or(StoreError::Forbidden)
            }
            _ => Err(StoreError::NotFound),
        }
    }

    /// The actor's role at a site, if it passes `allowed`; else `Forbidden`.
    pub(crate) async fn site_role_that(
        &self,
        actor: &Actor,
        site_id: i64,
        allowed: impl FnOnce(SiteRole) -> bool,
    ) -> StoreResult<SiteRole> {
        let role = self.site_role(actor, site_id).await?;
        if allowed(role) { Ok(role) } else { Err(StoreError::Forbidden) }
    }

    /// A site by name, if the actor has a role there.
    pub async fn site_named(&self, actor: &Actor, name: &str) -> StoreResult<Site> {
        let row: Option<SiteRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT id, name, zone, state FROM sites WHERE name = $1")
                .bind(crate::clean(name))
                .fetch_optional(p)
                .await?
        });
        let site = row.ok_or(StoreError::NotFound)?.site();
        self.site_role(actor, site.id).await?;
        Ok(site)
    }

    /// A site by id, if the actor has a role there.
    pub async fn site(&self, actor: &Actor, site_id: i64) -> StoreResult<Site> {
        self.site_role(actor, site_id).await?;
        let row: Option<SiteRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT id, name, zone, state FROM sites WHERE id = $1")
                .bind(site_id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.ok_or(StoreError::NotFound)?.site())
    }

    /// Puts a site account in one of its site's groups (or back to none).
    pub async fn set_site_group(&self, actor: &Actor, username: &str, group: Group) -> StoreResult<()> {
        if !cordon_domain::quarantine::site::runs_sites(actor) {
            return Err(StoreError::Forbidden);
        }
        let member = self.actor_by_username(username).await?.ok_or(StoreError::NotFound)?;
        if member.role != Role::SiteGroup {
            return Err(StoreError::invalid(
                cordon_domain::Key::AccountRoleScope.with("role", member.role.as_str()).with("scope", group.as_str()),
            ));
        }
        on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            sqlx::query(
                "INSERT INTO site_members (user_id, grp) VALUES ($1, $2) \
                 ON CONFLICT (user_id) DO UPDATE SET grp = excluded.grp",
            )
            .bind(member.user_id)
            .bind(group.as_str())
            .execute(&mut *tx)
            .await?;
            audit_insert!(
                &mut *tx,
                crate::audit::NewEntry::new(self.now(), actor, "update", "site-member", member.user_id.to_string())
                    .after(serde_json::json!({"username": member.username, "group": group.as_str()}).to_string())
            )?;
            tx.commit().await?;
        });
        Ok(())
    }
}

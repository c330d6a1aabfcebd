//! The control status of a compound: set by the command with a reason, kept
//! as a history, refused to others and outside the scope, and the same answer
//! when several people set the same status at the same instant.

use cordon_domain::control::ControlStatus;
use cordon_domain::{Actor, Key, Role};
use cordon_store::audit::AuditFilter;
use cordon_store::control::Outcome;
use cordon_store::test_support::{engines, seed, user};
use cordon_store::{PageRequest, Store, StoreError};

async fn compound(s: &Store, name: &str) -> i64 {
    s.compounds(&Actor::system(), Some(name)).await.unwrap()[0].id
}

#[tokio::test]
async fn the_command_sets_a_status_with_a_reason_and_every_change_is_kept() {
    for db in engines().await {
        let (s, e) = (&db.store, db.engine);
        seed(s).await.unwrap();
        let cmd = user(s, "cmd", Role::Command, "city").await;
        let jia = compound(s, "甲小区").await;
        assert_eq!(s.control(&cmd, jia).await.unwrap().status, None, "{e}: never set");
        assert_eq!(
            s.set_control(&cmd, jia, ControlStatus::Sealed, " 出现阳性病例 ").await.unwrap(),
            Outcome::Changed(None),
            "{e}"
        );
        assert_eq!(s.set_control(&cmd, jia, ControlStatus::Sealed, "again").await.unwrap(), Outcome::Unchanged, "{e}");
        assert_eq!(
            s.set_control(&cmd, jia, ControlStatus::Controlled, "连续7天无新增").await.unwrap(),
            Outcome::Changed(Some(ControlStatus::Sealed)),
            "{e}"
        );
        let control = s.control(&cmd, jia).await.unwrap();
        assert_eq!(control.status, Some(ControlStatus::Controlled), "{e}");
        let steps: Vec<_> =
            control.history.iter().map(|c| (c.from, c.to, c.reason.as_str(), c.actor.as_str())).collect();
        assert_eq!(
            steps,
            [
                (Some(ControlStatus::Sealed), ControlStatus::Controlled, "连续7天无新增", "cmd"),
                (None, ControlStatus::Sealed, "出现阳性病例", "cmd"),
            ],
            "{e}: newest first, the reason trimmed"
        );
        let statuses = s.control_statuses().await.unwrap();
        assert_eq!(statuses.get(&jia), Some(&ControlStatus::Controlled), "{e}");
        assert_eq!(statuses.len(), 1, "{e}");
        let filter = AuditFilter { entity: Some("control".into()), ..Default::default() };
        let logged = s.audit_entries(&Actor::system(), &filter, PageRequest::new(None, Some(50))).await.unwrap();
        assert_eq!(logged.items.len(), 2, "{e}: one entry per change, none for the unchanged");
    }
}

#[tokio::test]
async fn others_are_refused_and_a_bad_request_writes_nothing() {
    for db in engines().await {
        let (s, e) = (&db.store, db.engine);
        seed(s).await.unwrap();
        let jia = compound(s, "甲小区").await;
        let yi = compound(s, "乙小区").await;
        for (name, role, scope) in [
            ("w", Role::Community, "道外区/仁里街道/民强社区"),
            ("leader", Role::SquadLeader, "道外区/仁里街道/民强社区/甲小区"),
            ("org", Role::Organisation, "city"),
        ] {
            let actor = user(s, name, role, scope).await;
            let got = s.set_control(&actor, jia, ControlStatus::Sealed, "x").await;
            assert!(matches!(got, Err(StoreError::Forbidden)), "{e}: {name}: {got:?}");
        }
        // The command of one street does not reach a compound of another: as if it did not exist.
        let street = user(s, "street-cmd", Role::Command, "道外区/仁里街道").await;
        let got = s.set_control(&street, yi, ControlStatus::Sealed, "x").await;
        assert!(matches!(got, Err(StoreError::NotFound)), "{e}: {got:?}");
        assert!(matches!(s.control(&street, yi).await, Err(StoreError::NotFound)), "{e}");
        assert!(s.set_control(&street, jia, ControlStatus::Precaution, "街道部署").await.is_ok(), "{e}");
        let cmd = user(s, "cmd", Role::Command, "city").await;
        let invalid = |r: StoreResult| match r {
            Err(StoreError::Invalid(refusal)) => refusal.key,
            other => panic!("{e}: {other:?}"),
        };
        type StoreResult = Result<Outcome, StoreError>;
        assert_eq!(invalid(s.set_control(&cmd, yi, ControlStatus::Sealed, "  ").await), Key::ControlNoReason);
        let long = "因".repeat(501);
        assert_eq!(invalid(s.set_control(&cmd, yi, ControlStatus::Sealed, &long).await), Key::ControlLongReason);
        let street_id = s.place(&cmd, jia).await.unwrap().parent_id.unwrap();
        assert_eq!(invalid(s.set_control(&cmd, street_id, ControlStatus::Sealed, "x").await), Key::ControlNotCompound);
        assert_eq!(s.control(&cmd, yi).await.unwrap().history.len(), 0, "{e}: nothing written");
    }
}

/// Eight people press "封控" for the same compound at the same instant: one
/// change is written, every one of them is told the compound is sealed.
#[tokio::test]
async fn the_same_status_set_at_once_by_several_people_is_one_change() {
    for db in engines().await {
        let (s, e) = (&db.store, db.engine);
        seed(s).await.unwrap();
        let jia = compound(s, "甲小区").await;
        let mut actors = Vec::new();
        for n in 0..8 {
            actors.push(user(s, &format!("cmd{n}"), Role::Command, "city").await);
        }
        let tasks: Vec<_> = actors
            .into_iter()
            .map(|a| {
                let s = s.clone();
                tokio::spawn(async move { s.set_control(&a, jia, ControlStatus::Sealed, "同时按下").await })
            })
            .collect();
        let mut changed = 0;
        for t in tasks {
            match t.await.unwrap().unwrap() {
                Outcome::Changed(None) => changed += 1,
                Outcome::Unchanged => {}
                other => panic!("{e}: {other:?}"),
            }
        }
        assert_eq!(changed, 1, "{e}: one change");
        let control = s.control(&Actor::system(), jia).await.unwrap();
        assert_eq!((control.status, control.history.len()), (Some(ControlStatus::Sealed), 1), "{e}");
    }
}

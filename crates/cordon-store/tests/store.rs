//! The store on both engines: scopes, imports, audit, accounts and sessions.

use chrono::{Duration, Utc};
use cordon_domain::clock::Zone;
use cordon_domain::{Actor, Role, ScopeSpec};
use cordon_store::imports::{BadReason, ImportKind};
use cordon_store::residents::{ResidentFilter, RevealField};
use cordon_store::sheets::{SheetFormat, read_sheet};
use cordon_store::test_support::{PASSWORD, SharedSink, engines, id_number, seed, sheet, user};
use cordon_store::units::CadreFilter;
use cordon_store::{PageRequest, StoreError, audit::AuditFilter};

const RESIDENT_HEADERS: [&str; 10] =
    ["街道", "社区", "小区", "楼栋", "单元", "房号", "姓名", "身份证号", "手机号", "标签"];

fn all() -> PageRequest {
    PageRequest::new(Some(1), Some(500))
}

fn none(_: &cordon_store::imports::ImportProgress) {}

async fn resident_names(store: &cordon_store::Store, actor: &Actor) -> Vec<String> {
    let mut names: Vec<String> = store
        .residents(actor, &ResidentFilter::default(), all(), Zone::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.name)
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_squad_member_sees_only_the_residents_of_their_compound() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let member = user(s, "m", Role::SquadMember, "道外区/仁里街道/民强社区/甲小区").await;
        assert_eq!(resident_names(s, &member).await, vec!["甲一", "甲二"], "{}", db.engine);
        let command = Actor::system();
        let other = s
            .residents(
                &command,
                &ResidentFilter { q: Some("乙一".into()), ..Default::default() },
                all(),
                Zone::default(),
            )
            .await
            .unwrap()
            .items[0]
            .id;
        assert!(
            matches!(s.resident(&member, other, Zone::default()).await, Err(StoreError::NotFound)),
            "{}",
            db.engine
        );
        // A place outside the scope does not exist for them either.
        let b = s.compounds(&command, Some("乙小区")).await.unwrap()[0].id;
        assert!(matches!(s.place(&member, b).await, Err(StoreError::NotFound)), "{}", db.engine);
        // Nor do any cadres.
        assert!(matches!(s.cadres(&member, &CadreFilter::default(), all()).await, Err(StoreError::Forbidden)));
    }
}

#[tokio::test]
async fn a_street_scope_covers_its_compounds_and_not_the_next_street() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let street = user(s, "c", Role::Community, "道外区/大有坊街道").await;
        assert_eq!(resident_names(s, &street).await, vec!["乙一", "乙二"], "{}", db.engine);
        let roots = s.place_roots(&street).await.unwrap();
        assert_eq!(roots.len(), 1);
        assert_eq!(roots[0].name, "大有坊街道");
        assert_eq!(roots[0].residents, 2);
    }
}

#[tokio::test]
async fn a_unit_coordinator_sees_only_their_units_cadres() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let unit = user(s, "u", Role::Unit, "unit:市林草局").await;
        let page = s.cadres(&unit, &CadreFilter::default(), all()).await.unwrap();
        let names: Vec<_> = page.items.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["林一", "林二"], "{}", db.engine);
        assert!(page.items.iter().all(|c| c.phone_masked.contains("****")));
        let other = s
            .cadres(&Actor::system(), &CadreFilter { q: Some("工一".into()), ..Default::default() }, all())
            .await
            .unwrap();
        assert!(matches!(s.cadre(&unit, other.items[0].id).await, Err(StoreError::NotFound)));
        assert_eq!(s.units(&unit).await.unwrap().len(), 1);
        // Residents are not theirs to see at all.
        assert!(matches!(
            s.residents(&unit, &ResidentFilter::default(), all(), Zone::default()).await,
            Err(StoreError::Forbidden)
        ));
    }
}

#[tokio::test]
async fn importing_the_same_files_again_changes_nothing() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let before = s.audit_entries(&Actor::system(), &AuditFilter::default(), all()).await.unwrap().total;
        seed(s).await.unwrap();
        let after = s.audit_entries(&Actor::system(), &AuditFilter::default(), all()).await.unwrap().total;
        assert_eq!(before, after, "{}: a repeated import wrote to the audit log", db.engine);
        assert_eq!(resident_names(s, &Actor::system()).await.len(), 4);
        assert_eq!(s.cadres(&Actor::system(), &CadreFilter::default(), all()).await.unwrap().total, 4);
    }
}

#[tokio::test]
async fn a_file_with_bad_rows_is_rejected_whole_with_every_bad_row_reported() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let good = id_number(31);
        let dup = id_number(32);
        let bad = sheet(
            &RESIDENT_HEADERS,
            &[
                &["仁里街道", "民强社区", "甲小区", "3号楼", "1单元", "301", "新人", &good, "", ""],
                &["仁里街道", "民强社区", "甲小区", "3号楼", "1单元", "302", "坏号", "110105194912310021", "", ""],
                &["仁里街道", "民强社区", "丙小区", "3号楼", "1单元", "303", "无处", &dup, "", ""],
                &["仁里街道", "民强社区", "甲小区", "3号楼", "1单元", "304", "重复", &dup, "12345", "飞行员"],
            ],
        );
        let err = s.import(&Actor::system(), ImportKind::Residents, &bad, &none).await.unwrap_err();
        let StoreError::Rejected(report) = err else { panic!("{}: expected a rejection, got {err:?}", db.engine) };
        let got: Vec<(usize, &str, &str)> =
            report.bad_rows.iter().map(|b| (b.row, b.column.as_str(), b.reason.code())).collect();
        assert_eq!(
            got,
            vec![
                (3, "身份证号", "bad-id-number"),
                (4, "小区", "unknown-compound"),
                (5, "身份证号", "duplicate-in-file"),
                (5, "手机号", "bad-phone"),
                (5, "标签", "unknown-tag"),
            ],
            "{}",
            db.engine
        );
        assert_eq!(report.bad_rows[2].reason, BadReason::DuplicateInFile(4));
        // Nothing was written, not even the good row or its building.
        assert_eq!(resident_names(s, &Actor::system()).await.len(), 4, "{}", db.engine);
        let a = s.compounds(&Actor::system(), Some("甲小区")).await.unwrap()[0].id;
        let buildings = s.place_children(&Actor::system(), a, None, all()).await.unwrap();
        assert_eq!(buildings.total, 1, "{}: the new building was written", db.engine);
    }
}

#[tokio::test]
async fn a_file_without_a_required_column_names_the_column() {
    let db = cordon_store::test_support::sqlite().await;
    let s = &db.store;
    seed(s).await.unwrap();
    let bad = sheet(&["街道", "社区", "小区", "姓名"], &[&["仁里街道", "民强社区", "甲小区", "某人"]]);
    let StoreError::Rejected(report) =
        s.import(&Actor::system(), ImportKind::Residents, &bad, &none).await.unwrap_err()
    else {
        panic!("expected a rejection")
    };
    let missing: Vec<_> = report.bad_rows.iter().map(|b| b.column.as_str()).collect();
    assert_eq!(missing, vec!["building", "entrance", "room", "id_number"]);
}

#[tokio::test]
async fn a_changed_row_is_an_update_logged_with_before_and_after() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let id = id_number(12);
        let changed = sheet(
            &RESIDENT_HEADERS,
            &[&["仁里街道", "民强社区", "甲小区", "1号楼", "1单元", "102", "甲二", &id, "13800000012", "慢性病"]],
        );
        let summary = s.import(&Actor::system(), ImportKind::Residents, &changed, &none).await.unwrap();
        assert_eq!((summary.imported, summary.updated, summary.unchanged), (0, 1, 0), "{}", db.engine);
        let log = s
            .audit_entries(
                &Actor::system(),
                &AuditFilter { entity: Some("resident".into()), ..Default::default() },
                all(),
            )
            .await
            .unwrap();
        let update = log.items.iter().find(|e| e.action == "update").expect("an update entry");
        assert!(update.before_json.as_deref().unwrap().contains("\"tags\":\"\""));
        assert!(update.after_json.as_deref().unwrap().contains("chronic-illness"));
        // The log keeps numbers masked.
        assert!(update.after_json.as_deref().unwrap().contains("138****0012"));
        assert!(!update.after_json.as_deref().unwrap().contains(&id));
    }
}

#[tokio::test]
async fn revealing_a_number_is_allowed_by_role_and_logged() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let leader = user(s, "l", Role::SquadLeader, "道外区/仁里街道/民强社区/甲小区").await;
        let member = user(s, "m", Role::SquadMember, "道外区/仁里街道/民强社区/甲小区").await;
        let r = s
            .residents(
                &leader,
                &ResidentFilter { q: Some("甲一".into()), ..Default::default() },
                all(),
                Zone::default(),
            )
            .await
            .unwrap()
            .items[0]
            .clone();
        assert_eq!(r.phone_masked.as_deref(), Some("138****0011"));
        assert_eq!(s.reveal_resident(&leader, r.id, RevealField::Phone).await.unwrap(), "13800000011");
        assert_eq!(s.reveal_resident(&leader, r.id, RevealField::IdNumber).await.unwrap(), id_number(11));
        assert!(matches!(s.reveal_resident(&member, r.id, RevealField::Phone).await, Err(StoreError::Forbidden)));
        let log = s
            .audit_entries(&Actor::system(), &AuditFilter { actor: Some("l".into()), ..Default::default() }, all())
            .await
            .unwrap();
        let actions: Vec<_> = log.items.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, vec!["reveal-id-number", "reveal-phone"], "{}", db.engine);
        assert!(matches!(s.audit_entries(&leader, &AuditFilter::default(), all()).await, Err(StoreError::Forbidden)));
    }
}

#[tokio::test]
async fn passwords_tokens_and_sessions_work_on_both_engines() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        user(s, "cmd", Role::Command, "city").await;
        assert!(s.authenticate("cmd", PASSWORD).await.unwrap().is_some(), "{}", db.engine);
        assert!(s.authenticate("cmd", "wrong password!").await.unwrap().is_none());
        assert!(s.authenticate("nobody", PASSWORD).await.unwrap().is_none());
        // A second user of the same name is refused.
        let again = s.create_user("cmd", PASSWORD, Role::Command, &ScopeSpec::City).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{}: {again:?}", db.engine);

        s.set_password("cmd", "an operator's reset").await.unwrap();
        assert!(s.authenticate("cmd", "an operator's reset").await.unwrap().is_some(), "{}", db.engine);
        assert!(matches!(s.set_password("cmd", "short").await, Err(StoreError::Invalid(_))));
        s.set_password("cmd", PASSWORD).await.unwrap();

        let token = s.create_token("cmd").await.unwrap();
        assert_eq!(s.actor_by_token(&token).await.unwrap().unwrap().username, "cmd");
        assert_eq!(s.revoke_tokens("cmd", None).await.unwrap(), 1);
        assert!(s.actor_by_token(&token).await.unwrap().is_none());

        let later = Utc::now() + Duration::hours(1);
        let cmd = s.actor_by_username("cmd").await.unwrap().unwrap().user_id;
        assert!(s.session_create("abc", "{}", None, later).await.unwrap());
        assert!(!s.session_create("abc", "{}", None, later).await.unwrap(), "a taken id is refused");
        s.session_save("abc", &format!("{{\"user_id\":{cmd}}}"), Some(cmd), later).await.unwrap();
        assert_eq!(s.session_load("abc").await.unwrap().unwrap().0, format!("{{\"user_id\":{cmd}}}"));
        assert_eq!(s.session_count(cmd).await.unwrap(), 1, "{}: the row names its user", db.engine);
        s.session_save("gone", "{}", None, later).await.unwrap();
        assert!(s.session_load("gone").await.unwrap().is_none(), "saving does not bring back an ended session");
        assert!(s.session_create("old", "{}", None, Utc::now() - Duration::hours(1)).await.unwrap());
        assert!(s.session_load("old").await.unwrap().is_none(), "an expired session does not load");
        s.session_delete("abc").await.unwrap();
        assert!(s.session_load("abc").await.unwrap().is_none());

        let since = Utc::now() - Duration::minutes(15);
        let first = s.login_attempt("cmd", "10.0.0.1", since).await.unwrap();
        let second = s.login_attempt("cmd", "10.0.0.2", since).await.unwrap();
        assert_eq!((second.pair, second.by_address, second.by_account), (1, 1, 2), "{}", db.engine);
        let third = s.login_attempt("leader", "10.0.0.1", since).await.unwrap();
        assert_eq!((third.pair, third.by_address, third.by_account), (1, 2, 1));
        s.login_attempt_withdraw(&third).await.unwrap();
        s.login_succeeded(&first).await.unwrap();
        let again = s.login_attempt("cmd", "10.0.0.1", Utc::now() - Duration::minutes(15)).await.unwrap();
        assert_eq!(
            (again.pair, again.by_address, again.by_account),
            (1, 1, 2),
            "only the pair's failures are forgotten"
        );
        let later_window = s.login_attempt("cmd", "10.0.0.1", Utc::now() + Duration::seconds(1)).await.unwrap();
        assert_eq!(later_window.by_account, 0, "attempts before the window do not count");
    }
}

#[tokio::test]
async fn roles_only_take_scopes_that_fit_and_scopes_must_exist() {
    let db = cordon_store::test_support::sqlite().await;
    let s = &db.store;
    seed(s).await.unwrap();
    let unit_at_city = s.create_user("x", PASSWORD, Role::Unit, &ScopeSpec::City).await;
    assert!(matches!(unit_at_city, Err(StoreError::Invalid(_))));
    let unknown = s.create_user("y", PASSWORD, Role::Community, &ScopeSpec::parse("道外区/无此街道").unwrap()).await;
    assert!(matches!(unknown, Err(StoreError::Invalid(_))));
    let short = s.create_user("z", "short", Role::Command, &ScopeSpec::City).await;
    assert!(matches!(short, Err(StoreError::Invalid(_))));
    // The city's name may lead a path.
    assert!(
        s.create_user("w", PASSWORD, Role::Community, &ScopeSpec::parse("哈尔滨市/道外区/仁里街道").unwrap())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn an_export_holds_only_the_scope_masked_and_formula_safe() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let id = id_number(13);
        let tricky = sheet(
            &RESIDENT_HEADERS,
            &[&["仁里街道", "民强社区", "甲小区", "1号楼", "1单元", "103", "=HYPERLINK(\"x\")", &id, "", ""]],
        );
        s.import(&Actor::system(), ImportKind::Residents, &tricky, &none).await.unwrap();
        let worker = user(s, "w", Role::Community, "道外区/仁里街道/民强社区").await;
        for format in [SheetFormat::Csv, SheetFormat::Xlsx] {
            let sink = SharedSink::default();
            let rows = s
                .export_residents_to(
                    &worker,
                    format,
                    Zone::default(),
                    cordon_store::residents::Reveal::Masked,
                    sink.clone(),
                )
                .await
                .unwrap();
            assert_eq!(rows, 3, "{}", db.engine);
            let back = read_sheet(&sink.bytes(), format).unwrap();
            let names: Vec<&str> = back.rows.iter().map(|r| r.cells[6].as_str()).collect();
            assert_eq!(names.len(), 3, "{}: {names:?}", db.engine);
            assert!(names.contains(&"甲一") && !names.contains(&"乙一"));
            assert!(names.contains(&"'=HYPERLINK(\"x\")"), "{names:?}");
            assert!(back.rows.iter().all(|r| r.cells[7].contains('*')), "ID numbers are masked");
        }
        let member = user(s, "m", Role::SquadMember, "道外区/仁里街道/民强社区/甲小区").await;
        assert!(matches!(
            s.export_residents_to(
                &member,
                SheetFormat::Csv,
                Zone::default(),
                cordon_store::residents::Reveal::Masked,
                SharedSink::default()
            )
            .await,
            Err(StoreError::Forbidden)
        ));
    }
}

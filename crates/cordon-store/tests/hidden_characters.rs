//! Names with hidden characters that reorder or hide text (a right-to-left
//! override U+202E, isolates U+2066–U+2069, zero-width marks) are refused,
//! not stored and not silently changed: in a resident or cadre import, a
//! liaison, a unit.

use cordon_domain::{Actor, Key};
use cordon_store::imports::{BadReason, ImportKind};
use cordon_store::residents::ResidentFilter;
use cordon_store::test_support::{engines, id_number, post_squad, seed, sheet};
use cordon_store::{PageRequest, StoreError};

/// Names that read as another name: "张伟" with a right-to-left override, an
/// isolate around it, a zero-width joiner inside, a left-to-right mark at the end.
const HIDDEN: [&str; 5] = ["张\u{202E}伟", "\u{2066}张伟\u{2069}", "\u{2067}王芳", "李\u{200D}娜", "赵敏\u{200E}"];

fn none(_: &cordon_store::imports::ImportProgress) {}

#[tokio::test]
async fn a_resident_or_cadre_import_with_a_hidden_character_in_a_name_is_refused_at_that_cell() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let system = Actor::system();
        for (i, name) in HIDDEN.iter().enumerate() {
            let number = id_number(500 + i as u32);
            let residents = sheet(
                &["街道", "社区", "小区", "楼栋", "单元", "房号", "姓名", "身份证号", "手机号", "标签"],
                &[&["仁里街道", "民强社区", "甲小区", "1号楼", "1单元", "103", name, &number, "", ""]],
            );
            let err = s.import(&system, ImportKind::Residents, &residents, &none).await.unwrap_err();
            let StoreError::Rejected(report) = err else { panic!("{}: {name:?}: {err:?}", db.engine) };
            assert_eq!(report.total, 1, "{}: {name:?}", db.engine);
            assert_eq!(report.bad_rows[0].column, "姓名");
            assert_eq!(report.bad_rows[0].reason, BadReason::BadName(Key::NameCharacters), "{name:?}");

            let cadres = sheet(
                &["单位", "姓名", "职务", "党员", "手机号", "性别"],
                &[&["市林草局", name, "科员", "否", &format!("1390000010{i}"), "男"]],
            );
            let err = s.import(&system, ImportKind::Cadres, &cadres, &none).await.unwrap_err();
            let StoreError::Rejected(report) = err else { panic!("{}: {name:?}: {err:?}", db.engine) };
            assert_eq!(report.bad_rows[0].reason, BadReason::BadName(Key::NameCharacters), "{name:?}");
            // A position is a name too.
            let cadres = sheet(
                &["单位", "姓名", "职务", "党员", "手机号", "性别"],
                &[&["市林草局", "林三", name, "否", &format!("1390000011{i}"), "男"]],
            );
            let err = s.import(&system, ImportKind::Cadres, &cadres, &none).await.unwrap_err();
            assert!(matches!(err, StoreError::Rejected(_)), "{}: position {name:?}: {err:?}", db.engine);
        }
        let all = PageRequest::new(None, Some(500));
        let residents = s.residents(&system, &ResidentFilter::default(), all, Default::default()).await.unwrap();
        assert_eq!(residents.total, 4, "{}: only the fixture's residents", db.engine);
        let cadres = s.cadres(&system, &Default::default(), all).await.unwrap();
        assert_eq!(cadres.total, 4, "{}: only the fixture's cadres", db.engine);
    }
}

#[tokio::test]
async fn a_liaison_or_a_unit_with_a_hidden_character_in_its_name_is_refused() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let system = Actor::system();
        let (_, _, squad) = post_squad(s, "市林草局", "甲小区", 0).await;
        for name in HIDDEN {
            let err = s.add_liaison(&system, squad, name, "社区书记", "13800000099").await.unwrap_err();
            assert!(matches!(&err, StoreError::Invalid(r) if r.key == Key::LiaisonBadName), "{name:?}: {err:?}");
            let err = s.add_liaison(&system, squad, "刘洋", name, "13800000099").await.unwrap_err();
            assert!(matches!(&err, StoreError::Invalid(r) if r.key == Key::LiaisonBadRole), "{name:?}: {err:?}");

            let err = s.upsert_unit(&system, &format!("市{name}局"), "Bureau").await.unwrap_err();
            assert!(matches!(&err, StoreError::Invalid(r) if r.key == Key::UnitBadName), "{name:?}: {err:?}");
            let err = s.upsert_unit(&system, "市水务局", &format!("Water{name}Bureau")).await.unwrap_err();
            assert!(matches!(&err, StoreError::Invalid(r) if r.key == Key::UnitBadName), "English {name:?}: {err:?}");
        }
        assert!(s.squad(&system, squad).await.unwrap().liaisons.is_empty(), "{}", db.engine);
        assert_eq!(s.units(&system).await.unwrap().len(), 2, "{}: only the fixture's units", db.engine);
        // Ordinary names are taken.
        s.add_liaison(&system, squad, "刘洋", "社区书记", "13800000099").await.unwrap();
        s.upsert_unit(&system, "市水务局", "Water Bureau").await.unwrap();
    }
}

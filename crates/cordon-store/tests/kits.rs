//! Kits on both engines: due, issued and owed per squad; corrections reverse, never edit.

use cordon_domain::{Actor, Role};
use cordon_store::StoreError;
use cordon_store::test_support::{engines, post_squad, seed, user};

#[tokio::test]
async fn a_squads_kits_are_a_ledger_with_what_is_still_owed() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let system = Actor::system();
        let coat = s.upsert_kit_item(&system, "迷彩棉服", "camouflage padded coat", 1).await.unwrap();
        let masks = s.upsert_kit_item(&system, "N95口罩", "N95 respirator", 20).await.unwrap();
        let (_, _, squad) = post_squad(s, "市林草局", "甲小区", 0).await;
        let lin = user(s, "lin", Role::Unit, "unit:市林草局").await;
        let members: Vec<i64> = s.squad(&lin, squad).await.unwrap().members.iter().map(|m| m.cadre_id).collect();
        s.issue_kit(&lin, squad, members[0], coat, 1).await.unwrap();
        let wrong = s.issue_kit(&lin, squad, members[0], masks, 200).await.unwrap();
        let status = s.kit_status(&lin, squad).await.unwrap();
        let line = |item: i64| status.lines.iter().find(|l| l.item.id == item).unwrap().clone();
        assert_eq!((line(coat).due, line(coat).issued, line(coat).owed), (2, 1, 1), "{}", db.engine);
        // Owed counts member by member: 200 to one member does not cover the other's 20.
        assert_eq!((line(masks).due, line(masks).issued, line(masks).owed), (40, 200, 20));
        // 200 was a typing error for 20: a correction reverses it, then the right entry follows.
        let fix = s.reverse_kit_entry(&lin, squad, wrong).await.unwrap();
        s.issue_kit(&lin, squad, members[0], masks, 20).await.unwrap();
        let status = s.kit_status(&lin, squad).await.unwrap();
        let masks_line = status.lines.iter().find(|l| l.item.id == masks).unwrap();
        assert_eq!((masks_line.issued, masks_line.owed), (20, 20), "{}", db.engine);
        assert_eq!(status.entries.len(), 4, "nothing is edited or deleted");
        let reversal = status.entries.iter().find(|e| e.id == fix).unwrap();
        assert_eq!((reversal.quantity, reversal.reverses), (-200, Some(wrong)));
        assert!(status.entries.iter().find(|e| e.id == wrong).unwrap().reversed);
        assert!(matches!(s.reverse_kit_entry(&lin, squad, wrong).await, Err(StoreError::Conflict(_))), "{}", db.engine);
        assert!(matches!(s.reverse_kit_entry(&lin, squad, fix).await, Err(StoreError::Invalid(_))));
        // Only members, only positive quantities, only people who may see the squad.
        let outsider =
            s.cadres(&system, &Default::default(), cordon_store::PageRequest::new(None, None)).await.unwrap().items;
        let gong_cadre = outsider.iter().find(|c| c.name == "工一").unwrap().id;
        assert!(matches!(s.issue_kit(&lin, squad, gong_cadre, coat, 1).await, Err(StoreError::Invalid(_))));
        assert!(matches!(s.issue_kit(&lin, squad, members[1], coat, 0).await, Err(StoreError::Invalid(_))));
        let gong = user(s, "gong", Role::Unit, "unit:市总工会").await;
        assert!(matches!(s.kit_status(&gong, squad).await, Err(StoreError::NotFound)));
        let member = user(s, "member", Role::SquadMember, "道外区/仁里街道/民强社区/甲小区").await;
        assert!(matches!(s.issue_kit(&member, squad, members[1], coat, 1).await, Err(StoreError::Forbidden)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_entry_corrected_twice_at_the_same_instant_is_reversed_once_and_the_other_is_told_so() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let system = Actor::system();
        let coat = s.upsert_kit_item(&system, "迷彩棉服", "camouflage padded coat", 1).await.unwrap();
        let (_, _, squad) = post_squad(s, "市林草局", "甲小区", 0).await;
        let lin = user(s, "lin", Role::Unit, "unit:市林草局").await;
        let member = s.squad(&lin, squad).await.unwrap().members[0].cadre_id;
        for round in 0..10 {
            let entry = s.issue_kit(&lin, squad, member, coat, 1).await.unwrap();
            let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..2 {
                let (s, lin, barrier) = (s.clone(), lin.clone(), barrier.clone());
                tasks.spawn(async move {
                    barrier.wait().await;
                    s.reverse_kit_entry(&lin, squad, entry).await
                });
            }
            let results = tasks.join_all().await;
            let won = results.iter().filter(|r| r.is_ok()).count();
            let told = results
                .iter()
                .filter(
                    |r| matches!(r, Err(StoreError::Conflict(k)) if k.key == cordon_domain::Key::KitCorrectedAlready),
                )
                .count();
            assert_eq!((won, told), (1, 1), "{} round {round}: {results:?}", db.engine);
        }
        // Every coat handed out was taken back exactly once.
        let status = s.kit_status(&lin, squad).await.unwrap();
        assert_eq!(status.lines.iter().find(|l| l.item.id == coat).unwrap().issued, 0, "{}", db.engine);
        assert_eq!(status.entries.len(), 20, "{}", db.engine);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_whole_kit_tapped_twice_at_the_same_instant_is_handed_once() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let system = Actor::system();
        let coat = s.upsert_kit_item(&system, "迷彩棉服", "camouflage padded coat", 1).await.unwrap();
        let masks = s.upsert_kit_item(&system, "N95口罩", "N95 respirator", 20).await.unwrap();
        let (_, _, squad) = post_squad(s, "市林草局", "甲小区", 0).await;
        let lin = user(s, "lin", Role::Unit, "unit:市林草局").await;
        let members: Vec<i64> = s.squad(&lin, squad).await.unwrap().members.iter().map(|m| m.cadre_id).collect();
        for (round, &member) in members.iter().enumerate() {
            // Part of the kit is handed already: the tap hands the rest.
            s.issue_kit(&lin, squad, member, masks, 5).await.unwrap();
            let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..2 {
                let (s, lin, barrier) = (s.clone(), lin.clone(), barrier.clone());
                tasks.spawn(async move {
                    barrier.wait().await;
                    s.issue_whole_kit(&lin, squad, member).await.unwrap()
                });
            }
            let mut handed: Vec<Vec<(i64, i64)>> = tasks
                .join_all()
                .await
                .into_iter()
                .map(|h| h.iter().map(|e| (e.item_id, e.quantity)).collect())
                .collect();
            handed.sort();
            assert_eq!(handed, vec![vec![], vec![(coat, 1), (masks, 15)]], "{} round {round}", db.engine);
        }
        let grid = s.kit_grid(&lin, squad).await.unwrap();
        for m in &grid.members {
            assert_eq!(m.owed, 0, "{}: {m:?}", db.engine);
            assert_eq!(m.cells.iter().map(|c| c.given).collect::<Vec<_>>(), vec![1, 20]);
        }
        assert!(s.issue_whole_kit(&lin, squad, members[0]).await.unwrap().is_empty(), "nothing owed, nothing handed");
        // Only the squad's members, only people who may issue.
        let gong_cadre = s
            .cadres(&system, &Default::default(), cordon_store::PageRequest::new(None, None))
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|c| c.name == "工一")
            .unwrap()
            .id;
        assert!(matches!(s.issue_whole_kit(&lin, squad, gong_cadre).await, Err(StoreError::Invalid(_))));
        let member = user(s, "member", Role::SquadMember, "道外区/仁里街道/民强社区/甲小区").await;
        assert!(matches!(s.issue_whole_kit(&member, squad, members[0]).await, Err(StoreError::Forbidden)));
    }
}

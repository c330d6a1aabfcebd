//! Mobilisation orders on both engines: the whole way, scopes, refused steps,
//! rosters that move people, overdue orders.

use std::sync::Arc;

use chrono::{Duration, Utc};
use cordon_domain::clock::FixedClock;
use cordon_domain::orders::{OrderEvent, OrderState};
use cordon_domain::squads::SquadRole;
use cordon_domain::{Actor, Role};
use cordon_store::orders::{NewOrder, OrderFilter};
use cordon_store::test_support::{compound_id, engines, seed, unit_cadres, user};
use cordon_store::units::CadreFilter;
use cordon_store::{PageRequest, Store, StoreError};

async fn ids(s: &Store) -> (i64, i64, Vec<i64>) {
    let (unit, cadres) = unit_cadres(s, "市林草局").await;
    (unit, compound_id(s, "甲小区").await, cadres)
}

async fn issue(s: &Store, command: &Actor, unit: i64, compound: i64) -> i64 {
    let new = NewOrder {
        unit_id: unit,
        people: 2,
        compound_ids: vec![compound],
        deadline: Utc::now() + Duration::hours(2),
        note: "疫情涉及小区，今晚需要一支队伍".into(),
    };
    s.issue_order(command, &new).await.unwrap()
}

#[tokio::test]
async fn an_order_goes_from_issued_to_stood_down_with_who_and_when_at_each_step() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let command = user(s, "cmd", Role::Command, "city").await;
        let coord = user(s, "lin", Role::Unit, "unit:市林草局").await;
        user(s, "leader", Role::SquadLeader, "道外区/仁里街道/民强社区/甲小区").await;
        let (unit, compound, cadres) = ids(s).await;
        let id = issue(s, &command, unit, compound).await;
        s.order_step(&coord, id, OrderEvent::Acknowledge, &[], false).await.unwrap();
        let roles = [(cadres[0], SquadRole::Leader), (cadres[1], SquadRole::Secretary)];
        let next =
            s.order_step(&coord, id, OrderEvent::Assemble { roster: cadres.clone() }, &roles, false).await.unwrap();
        assert_eq!(next, OrderState::Assembled, "{}", db.engine);
        // 报到 is the tap of the squad's leader: the account belongs to 林一.
        s.link_cadre("leader", Some(cadres[0])).await.unwrap();
        let leader = s.actor_by_username("leader").await.unwrap().unwrap();
        s.order_step(&leader, id, OrderEvent::ReportOnSite, &[], false).await.unwrap();
        let order = s.order(&command, id).await.unwrap();
        let steps: Vec<(&str, &str)> = order.steps.iter().map(|st| (st.state.as_str(), st.actor.as_str())).collect();
        assert_eq!(
            steps,
            vec![("issued", "cmd"), ("acknowledged", "lin"), ("assembled", "lin"), ("on-site", "leader")]
        );
        assert!(order.steps.windows(2).all(|w| w[0].at <= w[1].at));
        let squad = s.squad(&leader, order.squad_id.unwrap()).await.unwrap();
        assert_eq!(squad.members[0].role, "leader");
        assert_eq!(squad.members[1].role, "secretary");
        assert_eq!(squad.compounds, vec!["甲小区"]);
        assert!(!squad.branch_can_form, "two party members cannot form a branch");
        let posted = s.cadre(&command, cadres[0]).await.unwrap();
        assert_eq!(posted.availability.as_str(), "posted");
        let overview = s.overview(&command).await.unwrap();
        let jia = overview.compounds.iter().find(|c| c.compound == "甲小区").unwrap();
        assert_eq!((jia.headcount, jia.units.clone()), (2, vec!["市林草局".to_string()]), "{}", db.engine);
        s.order_step(&command, id, OrderEvent::StandDown, &[], false).await.unwrap();
        assert_eq!(s.cadre(&command, cadres[0]).await.unwrap().availability.as_str(), "available");
        assert!(s.squad(&command, order.squad_id.unwrap()).await.unwrap().ended_at.is_some());
    }
}

#[tokio::test]
async fn another_units_coordinator_neither_sees_nor_moves_the_order() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let command = user(s, "cmd", Role::Command, "city").await;
        let other = user(s, "gong", Role::Unit, "unit:市总工会").await;
        let member = user(s, "member", Role::SquadMember, "道外区/仁里街道/民强社区/甲小区").await;
        let (unit, compound, _) = ids(s).await;
        let id = issue(s, &command, unit, compound).await;
        assert!(matches!(s.order(&other, id).await, Err(StoreError::NotFound)), "{}", db.engine);
        assert!(matches!(
            s.order_step(&other, id, OrderEvent::Acknowledge, &[], false).await,
            Err(StoreError::NotFound)
        ));
        let theirs = s.orders(&other, &OrderFilter::default(), PageRequest::new(None, None)).await.unwrap();
        assert_eq!(theirs.total, 0);
        // A squad member at the compound sees the order but cannot move it.
        assert!(s.order(&member, id).await.is_ok());
        assert!(matches!(
            s.order_step(&member, id, OrderEvent::Acknowledge, &[], false).await,
            Err(StoreError::Forbidden)
        ));
        // Nor can a unit coordinator issue orders.
        let new = NewOrder {
            unit_id: unit,
            people: 1,
            compound_ids: vec![compound],
            deadline: Utc::now() + Duration::hours(1),
            note: String::new(),
        };
        assert!(matches!(s.issue_order(&other, &new).await, Err(StoreError::Forbidden)));
    }
}

#[tokio::test]
async fn steps_out_of_order_and_bad_rosters_are_refused() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let command = user(s, "cmd", Role::Command, "city").await;
        let coord = user(s, "lin", Role::Unit, "unit:市林草局").await;
        let (unit, compound, cadres) = ids(s).await;
        let id = issue(s, &command, unit, compound).await;
        let early = s.order_step(&coord, id, OrderEvent::ReportOnSite, &[], false).await;
        assert!(matches!(early, Err(StoreError::Invalid(_))), "{}: {early:?}", db.engine);
        s.order_step(&coord, id, OrderEvent::Acknowledge, &[], false).await.unwrap();
        let no_leader = s.order_step(&coord, id, OrderEvent::Assemble { roster: cadres.clone() }, &[], false).await;
        assert!(matches!(no_leader, Err(StoreError::Invalid(_))), "a squad needs a leader");
        let foreign = s
            .cadres(
                &Actor::system(),
                &CadreFilter { q: Some("工一".into()), ..Default::default() },
                PageRequest::new(None, None),
            )
            .await
            .unwrap()
            .items[0]
            .id;
        let roles = [(foreign, SquadRole::Leader)];
        let wrong = s.order_step(&coord, id, OrderEvent::Assemble { roster: vec![foreign] }, &roles, false).await;
        assert!(matches!(wrong, Err(StoreError::Invalid(_))), "another unit's cadre");
        let decline = s.order_step(&coord, id, OrderEvent::Decline { reason: " ".into() }, &[], false).await;
        assert!(matches!(decline, Err(StoreError::Invalid(_))), "a reason is needed");
        s.order_step(&coord, id, OrderEvent::Decline { reason: "全员已派出".into() }, &[], false).await.unwrap();
        let order = s.order(&command, id).await.unwrap();
        assert_eq!((order.state, order.reason.as_deref()), (OrderState::Declined, Some("全员已派出")));
        assert_eq!(order.steps.len(), 3);
        let _ = cadres;
    }
}

#[tokio::test]
async fn a_cadre_posted_elsewhere_moves_only_with_a_confirmation() {
    let db = cordon_store::test_support::sqlite().await;
    let s = &db.store;
    seed(s).await.unwrap();
    let command = user(s, "cmd", Role::Command, "city").await;
    let coord = user(s, "lin", Role::Unit, "unit:市林草局").await;
    let (unit, compound, cadres) = ids(s).await;
    let first = issue(s, &command, unit, compound).await;
    s.order_step(&coord, first, OrderEvent::Acknowledge, &[], false).await.unwrap();
    let roles = [(cadres[0], SquadRole::Leader)];
    s.order_step(&coord, first, OrderEvent::Assemble { roster: vec![cadres[0]] }, &roles, false).await.unwrap();
    let second = issue(s, &command, unit, compound).await;
    s.order_step(&coord, second, OrderEvent::Acknowledge, &[], false).await.unwrap();
    let candidates = s.candidates(&coord, second).await.unwrap();
    assert!(candidates.iter().find(|c| c.id == cadres[0]).unwrap().posted_squad.is_some(), "shown as posted");
    let refused = s.order_step(&coord, second, OrderEvent::Assemble { roster: vec![cadres[0]] }, &roles, false).await;
    assert!(matches!(refused, Err(StoreError::Conflict(_))));
    s.order_step(&coord, second, OrderEvent::Assemble { roster: vec![cadres[0]] }, &roles, true).await.unwrap();
    let old = s.squad(&command, s.order(&command, first).await.unwrap().squad_id.unwrap()).await.unwrap();
    assert!(old.members.is_empty(), "moved out of the first squad");
}

#[tokio::test]
async fn an_order_past_its_deadline_is_overdue_until_on_site() {
    for db in engines().await {
        // The store's clock stands at chosen instants: the deadline's edge is tested exactly.
        let clock = FixedClock::at("2022-12-01T12:00:00Z".parse().unwrap());
        let s = &db.store.with_clock(Arc::new(clock.clone()));
        seed(s).await.unwrap();
        let command = user(s, "cmd", Role::Command, "city").await;
        let coord = user(s, "lin", Role::Unit, "unit:市林草局").await;
        let (unit, compound, cadres) = ids(s).await;
        let deadline = s.now() + Duration::hours(2);
        let new = NewOrder { unit_id: unit, people: 2, compound_ids: vec![compound], deadline, note: String::new() };
        let id = s.issue_order(&command, &new).await.unwrap();
        clock.set(deadline);
        assert!(!s.order(&command, id).await.unwrap().overdue, "at the deadline itself it is not late yet");
        clock.advance(Duration::seconds(1));
        assert!(s.order(&command, id).await.unwrap().overdue, "{}: a second after", db.engine);
        let late = s
            .orders(&command, &OrderFilter { in_flight: true, ..Default::default() }, PageRequest::new(None, None))
            .await
            .unwrap();
        assert!(late.items.iter().any(|o| o.id == id && o.overdue));
        // Still late while it is being answered; no longer once the squad is on site.
        s.order_step(&coord, id, OrderEvent::Acknowledge, &[], false).await.unwrap();
        let roles = [(cadres[0], SquadRole::Leader)];
        s.order_step(&coord, id, OrderEvent::Assemble { roster: cadres.clone() }, &roles, false).await.unwrap();
        assert!(s.order(&command, id).await.unwrap().overdue);
        s.order_step(&coord, id, OrderEvent::ReportOnSite, &[], false).await.unwrap();
        let on_site = s.order(&command, id).await.unwrap();
        assert!(!on_site.overdue, "{}", db.engine);
        assert_eq!(on_site.steps.last().unwrap().at, deadline + Duration::seconds(1), "steps are stamped by the clock");
        // A deadline that has passed by the clock cannot be set.
        let past = NewOrder { deadline: s.now() - Duration::minutes(1), ..new.clone() };
        assert!(matches!(s.issue_order(&command, &past).await, Err(StoreError::Invalid(_))));
    }
}

#[tokio::test]
async fn the_order_and_squad_lists_export_one_row_each_with_step_times() {
    use cordon_store::sheets::{SheetFormat, read_sheet};
    let db = cordon_store::test_support::sqlite().await;
    let s = &db.store;
    seed(s).await.unwrap();
    let command = user(s, "cmd", Role::Command, "city").await;
    let gong = user(s, "gong", Role::Unit, "unit:市总工会").await;
    let (unit, compound, cadres) = ids(s).await;
    let id = issue(s, &command, unit, compound).await;
    s.order_step(&command, id, OrderEvent::Acknowledge, &[], false).await.unwrap();
    let roles = [(cadres[0], SquadRole::Leader)];
    s.order_step(&command, id, OrderEvent::Assemble { roster: cadres.clone() }, &roles, false).await.unwrap();
    issue(s, &command, unit, compound).await;
    let zone = cordon_domain::clock::Zone::default();
    for format in [SheetFormat::Csv, SheetFormat::Xlsx] {
        let orders =
            read_sheet(&s.export_orders(&command, &OrderFilter::default(), format, zone).await.unwrap(), format)
                .unwrap();
        assert_eq!(orders.rows.len(), 2);
        let first = &orders.rows[0].cells;
        assert_eq!((first[1].as_str(), first[4].as_str()), ("市林草局", "assembled"));
        assert!(!first[8].is_empty() && first[9].is_empty(), "assembled at a time, not yet on site: {first:?}");
        let squads = read_sheet(&s.export_squads(&command, format).await.unwrap(), format).unwrap();
        assert_eq!(squads.rows.len(), 1);
        assert_eq!(squads.rows[0].cells[4], "林一", "the leader");
        assert_eq!(squads.rows[0].cells[6], "否 no", "two party members cannot form a branch");
        assert_eq!(squads.headers[7], "已培训 trained");
        assert_eq!(squads.rows[0].cells[7], "2", "both members trained");
        assert_eq!(squads.rows[0].cells.len(), squads.headers.len());
    }
    // Another unit's coordinator exports nothing of this unit.
    let theirs = read_sheet(
        &s.export_orders(&gong, &OrderFilter::default(), SheetFormat::Csv, zone).await.unwrap(),
        SheetFormat::Csv,
    )
    .unwrap();
    assert!(theirs.rows.is_empty());
}

#[tokio::test]
async fn an_untrained_cadre_is_posted_only_with_a_confirmation_and_liaisons_are_kept_per_squad() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let command = user(s, "cmd", Role::Command, "city").await;
        let gong = user(s, "gong", Role::Unit, "unit:市总工会").await;
        let (unit, cadres) = unit_cadres(s, "市总工会").await;
        let compound = compound_id(s, "乙小区").await;
        let id = issue(s, &command, unit, compound).await;
        s.order_step(&gong, id, OrderEvent::Acknowledge, &[], false).await.unwrap();
        let candidates = s.candidates(&gong, id).await.unwrap();
        assert!(!candidates.iter().find(|c| c.id == cadres[1]).unwrap().trained, "{}", db.engine);
        let roles = [(cadres[0], SquadRole::Leader)];
        let refused = s.order_step(&gong, id, OrderEvent::Assemble { roster: cadres.clone() }, &roles, false).await;
        assert!(matches!(refused, Err(StoreError::Conflict(_))), "{}: {refused:?}", db.engine);
        s.order_step(&gong, id, OrderEvent::Assemble { roster: cadres.clone() }, &roles, true).await.unwrap();
        let squad_id = s.order(&gong, id).await.unwrap().squad_id.unwrap();
        assert_eq!(s.squad(&gong, squad_id).await.unwrap().untrained, 1, "shown on the squad");
        s.add_liaison(&gong, squad_id, "王书记", "社区书记", "13700000001").await.unwrap();
        assert!(matches!(s.add_liaison(&gong, squad_id, "某人", "网格员", "123").await, Err(StoreError::Invalid(_))));
        let squad = s.squad(&command, squad_id).await.unwrap();
        assert_eq!(squad.liaisons.len(), 1);
        assert_eq!((squad.liaisons[0].name.as_str(), squad.liaisons[0].role.as_str()), ("王书记", "社区书记"));
        let lin = user(s, "lin", Role::Unit, "unit:市林草局").await;
        assert!(matches!(
            s.add_liaison(&lin, squad_id, "某人", "网格员", "13700000002").await,
            Err(StoreError::NotFound)
        ));
    }
}

//! Duty rosters on both engines: a week from a pattern, on duty now, empty
//! shifts flagged, handover notes, a member's own next shifts, and who may edit.

use chrono::{Duration, NaiveTime, Utc};
use cordon_domain::clock::Zone;
use cordon_domain::duty::ShiftPattern;
use cordon_domain::orders::OrderEvent;
use cordon_domain::refusals::Arg;
use cordon_domain::{Actor, Key, Role};
use cordon_store::duty::RosterPlan;
use cordon_store::test_support::{engines, post_squad, seed, unit_cadres, user};
use cordon_store::{Store, StoreError};

const JIA: &str = "道外区/仁里街道/民强社区/甲小区";

/// Seeds the fixture and posts 市林草局's two cadres at 甲小区 (gates 东门 and
/// 西门), 林一 leading; returns `(order id, squad id)`.
async fn lin_squad_at_jia(s: &Store) -> (i64, i64) {
    seed(s).await.unwrap();
    let (_, order, squad) = post_squad(s, "市林草局", "甲小区", 0).await;
    (order, squad)
}

fn week_from_today(per_shift: usize) -> RosterPlan {
    let zone = Zone::default();
    RosterPlan {
        first_day: zone.date_of(Utc::now()) - Duration::days(1),
        days: 7,
        pattern: ShiftPattern::equal(3, NaiveTime::from_hms_opt(8, 0, 0).unwrap()).unwrap(),
        per_shift,
    }
}

#[tokio::test]
async fn a_leader_builds_a_week_and_everyone_sees_who_is_on_duty_now() {
    for db in engines().await {
        let s = &db.store;
        let zone = Zone::default();
        let (_, squad) = lin_squad_at_jia(s).await;
        let leader = user(s, "leader", Role::SquadLeader, JIA).await;
        // Two checkpoints (东门, 西门), three shifts a day, seven days, one person each.
        let made = s.build_roster(&leader, squad, &week_from_today(1), zone).await.unwrap();
        assert_eq!(made, 2 * 3 * 7, "{}", db.engine);
        // Building the same week again keeps what is there.
        assert_eq!(s.build_roster(&leader, squad, &week_from_today(1), zone).await.unwrap(), 0);
        let now = Utc::now();
        let roster = s.roster(&leader, squad, zone.date_of(now), 1, zone, now).await.unwrap();
        assert_eq!(roster.checkpoints.len(), 2);
        assert!(roster.checkpoints.iter().all(|c| c.on_duty.len() == 1), "someone at each gate now: {roster:?}");
        let at_east = &roster.checkpoints[0].on_duty[0];
        let at_west = &roster.checkpoints[1].on_duty[0];
        assert_ne!(at_east.cadre_id, at_west.cadre_id, "nobody at two gates at once");
        assert_eq!(roster.empty_shifts, 0);
        // The squad, the overview and the export count the people on duty.
        let command = Actor::system();
        assert_eq!(s.squad(&command, squad).await.unwrap().on_duty, 2, "{}", db.engine);
        let overview = s.overview(&command).await.unwrap();
        let jia = overview.compounds.iter().find(|c| c.compound == "甲小区").unwrap();
        assert_eq!(jia.on_duty, 2);
        let lin = overview.units.iter().find(|u| u.unit == "市林草局").unwrap();
        assert_eq!(lin.on_duty, 2);
        let format = cordon_store::sheets::SheetFormat::Csv;
        let sheet =
            cordon_store::sheets::read_sheet(&s.export_squads(&command, format).await.unwrap(), format).unwrap();
        assert_eq!(sheet.headers[8], "在岗 on_duty_now");
        assert_eq!(sheet.rows[0].cells[8], "2", "{}", db.engine);
        // A member of another scope does not see it.
        let yi = user(s, "yi-leader", Role::SquadLeader, "道外区/大有坊街道/新一社区/乙小区").await;
        assert!(matches!(s.roster(&yi, squad, zone.date_of(now), 1, zone, now).await, Err(StoreError::NotFound)));
        assert!(matches!(s.build_roster(&yi, squad, &week_from_today(1), zone).await, Err(StoreError::NotFound)));
    }
}

#[tokio::test]
async fn empty_shifts_are_flagged_and_staffed_by_hand_without_double_booking() {
    for db in engines().await {
        let s = &db.store;
        let zone = Zone::default();
        let (_, squad) = lin_squad_at_jia(s).await;
        let cadres = unit_cadres(s, "市林草局").await.1;
        let lin = user(s, "lin", Role::Unit, "unit:市林草局").await;
        s.build_roster(&lin, squad, &week_from_today(0), zone).await.unwrap();
        let now = Utc::now();
        let roster = s.roster(&lin, squad, zone.date_of(now), 1, zone, now).await.unwrap();
        assert_eq!(roster.empty_shifts, roster.checkpoints.iter().map(|c| c.shifts.len()).sum::<usize>());
        assert!(roster.checkpoints.iter().flat_map(|c| &c.shifts).all(|s| s.empty));
        let east = roster.checkpoints[0].shifts.iter().find(|s| s.now).unwrap().id;
        let west = roster.checkpoints[1].shifts.iter().find(|s| s.now).unwrap().id;
        s.staff_shift(&lin, east, &[cadres[0], cadres[1]]).await.unwrap();
        // The same people cannot stand the other gate at the same time.
        let clash = s.staff_shift(&lin, west, &[cadres[1]]).await;
        let Err(StoreError::Conflict(why)) = clash else { panic!("{}: {clash:?}", db.engine) };
        assert_eq!(why.key, Key::DutyClash);
        let named: Vec<(&str, &Arg)> = why.args.iter().map(|(name, arg)| (name.as_ref(), arg)).collect();
        assert_eq!(named[..2], [("name", &Arg::Text("林二".into())), ("checkpoint", &Arg::Text("东门".into()))]);
        assert!(matches!(named[2], ("from", Arg::Time(_))), "the time is typed, for the page to show in local time");
        // Only the squad's own members.
        let gong = unit_cadres(s, "市总工会").await.1;
        assert!(matches!(s.staff_shift(&lin, west, &[gong[0]]).await, Err(StoreError::Invalid(_))));
        let (_, shift) = s.shift(&lin, east, now).await.unwrap();
        assert_eq!(shift.members.len(), 2);
        assert!(!shift.empty);
    }
}

#[tokio::test]
async fn a_member_sees_their_own_shifts_and_writes_a_handover_but_cannot_edit_the_roster() {
    for db in engines().await {
        let s = &db.store;
        let zone = Zone::default();
        let (order, squad) = lin_squad_at_jia(s).await;
        let cadres = unit_cadres(s, "市林草局").await.1;
        let leader = user(s, "leader", Role::SquadLeader, JIA).await;
        s.build_roster(&leader, squad, &week_from_today(1), zone).await.unwrap();
        user(s, "member", Role::SquadMember, JIA).await;
        s.link_cadre("member", Some(cadres[1])).await.unwrap();
        let member = s.actor_by_username("member").await.unwrap().unwrap();
        assert_eq!(member.cadre_id, Some(cadres[1]));
        let now = Utc::now();
        let mine = s.my_shifts(&member, now, 5).await.unwrap();
        assert_eq!(mine.len(), 5, "{}", db.engine);
        assert!(mine.windows(2).all(|w| w[0].starts_at <= w[1].starts_at), "earliest first");
        assert!(mine.iter().all(|m| m.ends_at > now && m.compound == "甲小区"));
        // The member writes the handover of their own shift …
        s.write_handover(&member, mine[0].id, "东门：3号楼外卖已送达\n体温枪电池换了").await.unwrap();
        let (_, shift) = s.shift(&member, mine[0].id, now).await.unwrap();
        assert_eq!(shift.handover, "东门：3号楼外卖已送达\n体温枪电池换了");
        // … but not someone else's, and cannot build or staff the roster.
        let roster = s.roster(&member, squad, zone.date_of(now), 2, zone, now).await.unwrap();
        let others = roster
            .checkpoints
            .iter()
            .flat_map(|c| &c.shifts)
            .find(|sh| sh.members.iter().all(|m| m.cadre_id != cadres[1]))
            .unwrap();
        assert!(matches!(s.write_handover(&member, others.id, "x").await, Err(StoreError::Forbidden)));
        assert!(matches!(s.staff_shift(&member, mine[0].id, &[cadres[1]]).await, Err(StoreError::Forbidden)));
        assert!(matches!(s.build_roster(&member, squad, &week_from_today(1), zone).await, Err(StoreError::Forbidden)));
        // An account without a cadre has no shifts of its own.
        assert!(s.my_shifts(&leader, now, 5).await.unwrap().is_empty());
        // Once the squad stands down, its shifts leave the member's list and the roster is closed.
        for step in [OrderEvent::ReportOnSite, OrderEvent::StandDown] {
            s.order_step(&Actor::system(), order, step, &[], false).await.unwrap();
        }
        assert!(s.my_shifts(&member, now, 5).await.unwrap().is_empty(), "{}", db.engine);
        assert!(matches!(s.build_roster(&leader, squad, &week_from_today(1), zone).await, Err(StoreError::Invalid(_))));
    }
}

#[tokio::test]
async fn a_pattern_that_overlaps_the_roster_is_refused_whole() {
    for db in engines().await {
        let s = &db.store;
        let zone = Zone::default();
        let (_, squad) = lin_squad_at_jia(s).await;
        let lin = user(s, "lin", Role::Unit, "unit:市林草局").await;
        s.build_roster(&lin, squad, &week_from_today(1), zone).await.unwrap();
        let twelve = RosterPlan { pattern: ShiftPattern::parse("06:00,18:00").unwrap(), ..week_from_today(1) };
        let refused = s.build_roster(&lin, squad, &twelve, zone).await;
        assert!(matches!(refused, Err(StoreError::Conflict(_))), "{}: {refused:?}", db.engine);
        let now = Utc::now();
        let roster = s.roster(&lin, squad, zone.date_of(now), 1, zone, now).await.unwrap();
        assert!(roster.checkpoints.iter().all(|c| c.shifts.len() == 3), "nothing half-written");
        let long = RosterPlan { days: 30, ..week_from_today(1) };
        assert!(matches!(s.build_roster(&lin, squad, &long, zone).await, Err(StoreError::Invalid(_))));
    }
}

#[tokio::test]
async fn a_moved_cadre_leaves_the_old_gate_and_a_stood_down_squad_leaves_its_roster() {
    for db in engines().await {
        let s = &db.store;
        let zone = Zone::default();
        let system = Actor::system();
        let (order, squad) = lin_squad_at_jia(s).await;
        let cadres = unit_cadres(s, "市林草局").await.1;
        s.build_roster(&system, squad, &week_from_today(1), zone).await.unwrap();
        assert_eq!(s.squad(&system, squad).await.unwrap().on_duty, 2);
        // 林二 is moved to a new squad at 乙小区: the old gate is unstaffed from now on.
        let (unit, _) = unit_cadres(s, "市林草局").await;
        let yi = cordon_store::test_support::compound_id(s, "乙小区").await;
        let new = cordon_store::orders::NewOrder {
            unit_id: unit,
            people: 1,
            compound_ids: vec![yi],
            deadline: Utc::now() + Duration::hours(1),
            note: String::new(),
        };
        let id = s.issue_order(&system, &new).await.unwrap();
        s.order_step(&system, id, OrderEvent::Acknowledge, &[], false).await.unwrap();
        let roles = [(cadres[1], cordon_domain::squads::SquadRole::Leader)];
        s.order_step(&system, id, OrderEvent::Assemble { roster: vec![cadres[1]] }, &roles, true).await.unwrap();
        let now = Utc::now();
        let roster = s.roster(&system, squad, zone.date_of(now), 7, zone, now).await.unwrap();
        let future = roster.checkpoints.iter().flat_map(|c| &c.shifts).filter(|sh| sh.ends_at > now);
        assert!(future.clone().all(|sh| sh.members.iter().all(|m| m.cadre_id != cadres[1])), "{}", db.engine);
        assert!(future.clone().any(|sh| sh.empty), "the gate he stood is flagged empty");
        assert_eq!(s.squad(&system, squad).await.unwrap().on_duty, 1, "{}", db.engine);
        // The old squad stands down: its shifts to come go, the people on duty now are no longer counted.
        for step in [OrderEvent::ReportOnSite, OrderEvent::StandDown] {
            s.order_step(&system, order, step, &[], false).await.unwrap();
        }
        let roster = s.roster(&system, squad, zone.date_of(now), 7, zone, now).await.unwrap();
        assert!(
            roster.checkpoints.iter().flat_map(|c| &c.shifts).all(|sh| sh.starts_at <= Utc::now()),
            "{}",
            db.engine
        );
        assert_eq!(s.squad(&system, squad).await.unwrap().on_duty, 0);
        let overview = s.overview(&system).await.unwrap();
        assert_eq!(overview.units.iter().map(|u| u.on_duty).sum::<i64>(), 0, "{}", db.engine);
    }
}

#[tokio::test]
async fn a_checkpoint_added_later_gets_its_shifts_when_the_week_is_built_again() {
    for db in engines().await {
        let s = &db.store;
        let zone = Zone::default();
        let system = Actor::system();
        let (_, squad) = lin_squad_at_jia(s).await;
        assert_eq!(s.build_roster(&system, squad, &week_from_today(1), zone).await.unwrap(), 42);
        let gate = cordon_store::test_support::sheet(
            &["市", "区", "街道", "社区", "小区", "卡口"],
            &[&["哈尔滨市", "道外区", "仁里街道", "民强社区", "甲小区", "南门"]],
        );
        s.import(&system, cordon_store::imports::ImportKind::Places, &gate, &|_| {}).await.unwrap();
        assert_eq!(s.build_roster(&system, squad, &week_from_today(1), zone).await.unwrap(), 21, "{}", db.engine);
        let now = Utc::now();
        let roster = s.roster(&system, squad, zone.date_of(now), 1, zone, now).await.unwrap();
        assert_eq!(roster.checkpoints.len(), 3);
        assert!(roster.checkpoints.iter().all(|c| c.shifts.len() == 3), "every gate has its day: {roster:?}");
        // Two members: the new gate's shifts get nobody who already stands a gate then.
        for slot in 0..3 {
            let mut at: Vec<i64> =
                roster.checkpoints.iter().flat_map(|c| c.shifts[slot].members.iter().map(|m| m.cadre_id)).collect();
            let n = at.len();
            at.sort();
            at.dedup();
            assert_eq!(at.len(), n, "nobody at two gates at once ({})", db.engine);
        }
    }
}

#[tokio::test]
async fn a_roster_built_with_the_wrong_pattern_is_cleared_from_a_day_and_built_again() {
    for db in engines().await {
        let s = &db.store;
        let zone = Zone::default();
        let (_, squad) = lin_squad_at_jia(s).await;
        let leader = user(s, "leader", Role::SquadLeader, JIA).await;
        s.build_roster(&leader, squad, &week_from_today(1), zone).await.unwrap();
        let tomorrow = zone.date_of(Utc::now()) + Duration::days(1);
        let twelve = RosterPlan {
            first_day: tomorrow,
            days: 5,
            pattern: ShiftPattern::parse("08:00,20:00").unwrap(),
            per_shift: 1,
        };
        assert!(matches!(s.build_roster(&leader, squad, &twelve, zone).await, Err(StoreError::Conflict(_))));
        let member = user(s, "member", Role::SquadMember, JIA).await;
        assert!(matches!(s.clear_roster(&member, squad, tomorrow, zone).await, Err(StoreError::Forbidden)));
        // Tomorrow's and later shifts go (some 00:00 shifts of tomorrow belong to today's roster day).
        let gone = s.clear_roster(&leader, squad, tomorrow, zone).await.unwrap();
        assert!(gone >= 2 * 3 * 5, "{}: {gone}", db.engine);
        assert_eq!(s.build_roster(&leader, squad, &twelve, zone).await.unwrap(), 2 * 2 * 5, "{}", db.engine);
        // Today's shifts, running or to come, are still there.
        let now = Utc::now();
        let roster = s.roster(&leader, squad, zone.date_of(now), 1, zone, now).await.unwrap();
        assert!(roster.checkpoints.iter().all(|c| c.shifts.iter().any(|sh| sh.now)), "{}", db.engine);
    }
}

#[tokio::test]
async fn who_is_on_duty_turns_over_at_local_midnight_not_utc_midnight() {
    for db in engines().await {
        // 23:59:59 in Shanghai: the evening shift (16:00–00:00 local) is still on.
        let clock = cordon_domain::clock::FixedClock::at("2022-12-01T15:59:59Z".parse().unwrap());
        let s = &db.store.with_clock(std::sync::Arc::new(clock.clone()));
        let zone = Zone::default();
        let (_, squad) = lin_squad_at_jia(s).await;
        let leader = user(s, "leader", Role::SquadLeader, JIA).await;
        let day = zone.date_of(s.now());
        assert_eq!(day.to_string(), "2022-12-01");
        let plan = RosterPlan {
            first_day: day,
            days: 2,
            pattern: ShiftPattern::parse("08:00,16:00,00:00").unwrap(),
            per_shift: 1,
        };
        s.build_roster(&leader, squad, &plan, zone).await.unwrap();
        let on_duty = |r: &cordon_store::duty::Roster| -> Vec<i64> {
            r.checkpoints.iter().flat_map(|c| c.on_duty.iter().map(|m| m.cadre_id)).collect()
        };
        let evening = s.roster(&leader, squad, day, 1, zone, s.now()).await.unwrap();
        let shift_of_now = |r: &cordon_store::duty::Roster| {
            r.checkpoints[0]
                .shifts
                .iter()
                .find(|sh| sh.now)
                .map(|sh| zone.local(sh.starts_at).format("%H:%M").to_string())
        };
        assert_eq!(shift_of_now(&evening).as_deref(), Some("16:00"), "{}", db.engine);
        clock.advance(Duration::seconds(1));
        // 00:00 local: the night shift of the same roster day has begun, with other people.
        let night = s.roster(&leader, squad, day, 2, zone, s.now()).await.unwrap();
        assert_eq!(shift_of_now(&night).as_deref(), Some("00:00"), "{}", db.engine);
        assert_eq!(on_duty(&evening).len(), 2);
        assert_eq!(on_duty(&night).len(), 2);
        let running = |r: &cordon_store::duty::Roster| -> Vec<i64> {
            r.checkpoints.iter().flat_map(|c| c.shifts.iter().filter(|sh| sh.now).map(|sh| sh.id)).collect()
        };
        assert_eq!(running(&evening).len(), 2);
        assert!(running(&evening).iter().all(|id| !running(&night).contains(id)), "{}: the watch changed", db.engine);
        assert_eq!(s.squad(&leader, squad).await.unwrap().on_duty, 2, "the squad's count follows the clock");
    }
}

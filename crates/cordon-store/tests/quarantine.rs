//! Quarantine sites on both engines: a site from its rooms file, a batch's
//! manifest (CSV and XLSX as an office suite saves it), check-in by the
//! rooming plan under the site's lock, the timeline export, and who at a
//! site sees what.

use chrono::NaiveDate;
use cordon_domain::quarantine::site::{Group, SiteState};
use cordon_domain::{Actor, Key, Role};
use cordon_store::imports::{ImportProgress, ImportSummary};
use cordon_store::quarantine::{Batch, Stay};
use cordon_store::residents::Reveal;
use cordon_store::sheets::{SheetFormat, read_sheet};
use cordon_store::test_support::{arrival_batch, engines, manifest_csv, manifest_person, quarantine_site, sheet, user};
use cordon_store::{Store, StoreError, StoreResult};

const SITE: &str = "卓林酒店隔离点";

fn none(_: &ImportProgress) {}

/// How many lines the audit log holds.
async fn audit_count(s: &Store) -> i64 {
    let all = cordon_store::audit::AuditFilter::default();
    s.audit_entries(&Actor::system(), &all, cordon_store::PageRequest::new(None, Some(1))).await.unwrap().total
}

/// The same people as an office suite saves them in XLSX: English headers in
/// another order, birth dates as date cells, passports and phones as numbers.
fn manifest_xlsx(people: usize) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let order = [2usize, 0, 1, 4, 3, 5, 6, 7, 8, 9, 10, 11];
    let english = [
        "name",
        "name_latin",
        "passport",
        "nationality",
        "birth_date",
        "sex",
        "language",
        "phone",
        "destination_province",
        "destination_institution",
        "emergency_contact",
        "group",
    ];
    let date_format = Format::new().set_num_format("yyyy/m/d");
    for (c, &f) in order.iter().enumerate() {
        sheet.write_string(0, c as u16, english[f]).unwrap();
    }
    for i in 0..people {
        let values = manifest_person(i);
        let row = (i + 1) as u32;
        for (c, &f) in order.iter().enumerate() {
            let col = c as u16;
            let v = &values[f];
            match f {
                2 => {
                    sheet.write_number(row, col, v.parse::<f64>().unwrap()).unwrap();
                }
                4 => {
                    let d: NaiveDate = v.parse().unwrap();
                    let cell = ExcelDateTime::parse_from_str(&d.format("%Y-%m-%d").to_string()).unwrap();
                    sheet.write_datetime_with_format(row, col, &cell, &date_format).unwrap();
                }
                7 => {
                    let digits: String = v.chars().filter(char::is_ascii_digit).collect();
                    sheet.write_number(row, col, digits.parse::<f64>().unwrap()).unwrap();
                }
                _ if v.is_empty() => {}
                _ => {
                    sheet.write_string(row, col, v).unwrap();
                }
            }
        }
    }
    book.save_to_buffer().unwrap()
}

async fn import(s: &Store, actor: &Actor, b: &Batch, bytes: &[u8], format: SheetFormat) -> ImportSummary {
    let sheet = read_sheet(bytes, format).expect("readable");
    s.import_manifest(actor, b, &sheet, &none).await.expect("manifest imported")
}

/// Each stay as the timeline export's row shows it, room apart.
fn dates(stays: &[Stay]) -> Vec<(String, NaiveDate, NaiveDate, NaiveDate, Option<NaiveDate>)> {
    let mut v: Vec<_> = stays
        .iter()
        .map(|s| (s.passport.clone(), s.arrival_date, s.onsite_end, s.home_end, s.birthday_in_stay))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn a_rooms_file_with_a_bad_cell_creates_no_site_and_every_bad_cell_is_reported() {
    for db in engines().await {
        let s = &db.store;
        let system = Actor::system();
        let rooms = sheet(&["楼层", "房号", "床位"], &[&["3", "301", "1"], &["3", "302", "两"], &["3", "301", "1"]]);
        match s.create_site(&system, SITE, "Asia/Shanghai", &rooms).await {
            Err(StoreError::Rejected(report)) => {
                let rows: Vec<usize> = report.bad_rows.iter().map(|b| b.row).collect();
                assert_eq!(rows, vec![3, 4], "{}: {report:?}", db.engine);
                assert_eq!(report.bad_rows[0].column, "床位");
            }
            other => panic!("{}: {other:?}", db.engine),
        }
        assert!(matches!(s.site_named(&system, SITE).await, Err(StoreError::NotFound)), "{}", db.engine);
        match s
            .create_site(&system, SITE, "Mars/Olympus", &sheet(&["楼层", "房号", "床位"], &[&["3", "301", "1"]]))
            .await
        {
            Err(StoreError::Invalid(r)) => assert_eq!(r.key, Key::QuarantineZoneUnknown),
            other => panic!("{}: {other:?}", db.engine),
        }
        // Only the command creates sites; a name is taken once.
        let id = quarantine_site(s, SITE, 3).await;
        let manager = user(s, "zl-manager", Role::SiteManager, &format!("site:{SITE}")).await;
        let again = s.create_site(&manager, "另一酒店", "Asia/Shanghai", &rooms).await;
        assert!(matches!(again, Err(StoreError::Forbidden)), "{}: {again:?}", db.engine);
        let one_room = sheet(&["楼层", "房号", "床位"], &[&["1", "101", "1"]]);
        match s.create_site(&system, SITE, "Asia/Shanghai", &one_room).await {
            Err(StoreError::Invalid(r) | StoreError::Conflict(r)) => assert_eq!(r.key, Key::QuarantineSiteNameTaken),
            other => panic!("{}: {other:?}", db.engine),
        }
        // The site's state machine: it cannot be closed while active.
        assert!(s.step_site(&manager, id, "close").await.is_err(), "{}", db.engine);
        assert_eq!(s.site(&manager, id).await.unwrap().state, SiteState::Active);
        // Nobody is on site: terminal disinfection, after which the site takes no new batch.
        assert_eq!(s.step_site(&manager, id, "disinfect").await.unwrap(), SiteState::TerminalDisinfection);
        let late = cordon_store::quarantine::NewBatch {
            name: "late",
            policy: "7+7",
            arrived_at: cordon_store::test_support::arrived(),
            transport: "train",
            origin: "",
        };
        match s.create_batch(&manager, id, &late).await {
            Err(StoreError::Invalid(r)) => assert_eq!(r.key, Key::QuarantineSiteClosed, "{}", db.engine),
            other => panic!("{}: {other:?}", db.engine),
        }
    }
}

#[tokio::test]
async fn a_manifest_imported_twice_changes_nothing_and_an_office_suites_xlsx_gives_the_same_timeline() {
    for db in engines().await {
        let s = &db.store;
        let system = Actor::system();
        let site = quarantine_site(s, SITE, 12).await;
        let by_csv = arrival_batch(s, site, "CSV").await;
        let first = import(s, &system, &by_csv, &manifest_csv(8), SheetFormat::Csv).await;
        assert_eq!((first.imported, first.updated, first.unchanged), (8, 0, 0), "{}", db.engine);
        let audit_before = audit_count(s).await;
        let second = import(s, &system, &by_csv, &manifest_csv(8), SheetFormat::Csv).await;
        assert_eq!((second.imported, second.updated, second.unchanged), (0, 0, 8), "{}", db.engine);
        assert_eq!(audit_count(s).await, audit_before, "{}: the same file again writes nothing", db.engine);

        let by_xlsx = arrival_batch(s, site, "XLSX").await;
        let from_xlsx = import(s, &system, &by_xlsx, &manifest_xlsx(8), SheetFormat::Xlsx).await;
        assert_eq!(from_xlsx.imported, 8, "{}", db.engine);
        let csv_stays = s.stays(&system, &by_csv, Reveal::Full).await.unwrap();
        let xlsx_stays = s.stays(&system, &by_xlsx, Reveal::Full).await.unwrap();
        assert_eq!(dates(&csv_stays), dates(&xlsx_stays), "{}", db.engine);
        // 7+7 from 16 September, 15:30 in Harbin: day 0 is the 16th, on site to the 23rd, home to the 30th.
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let ivanova = csv_stays.iter().find(|p| p.passport == "751000000").unwrap();
        assert_eq!(
            (ivanova.arrival_date, ivanova.onsite_end, ivanova.home_end, ivanova.birthday_in_stay),
            (d("2026-09-16"), d("2026-09-23"), d("2026-09-30"), Some(d("2026-09-20")))
        );
        assert_eq!(csv_stays.iter().filter(|p| p.birthday_in_stay.is_some()).count(), 2);
        // The export: bilingual headers, masked passports unless revealed.
        let csv = s.export_timeline(&system, &by_xlsx, SheetFormat::Csv, Reveal::Masked).await.unwrap();
        let text = String::from_utf8(csv).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap().trim_start_matches('\u{feff}');
        for h in ["护照号 passport", "入境日期 arrival_date", "集中隔离结束 onsite_end", "居家监测结束 home_end"]
        {
            assert!(header.contains(h), "{}: {header}", db.engine);
        }
        assert!(!text.contains("751000000"), "{}: a masked export shows no full passport", db.engine);
        assert!(text.contains("2026-09-23") && text.contains("2026-09-30"));

        // A changed row updates that person only; a bad row rejects the whole file.
        let mut changed = String::from_utf8(manifest_csv(8)).unwrap();
        changed = changed.replacen("哈尔滨工业大学", "东北林业大学", 1);
        let third = import(s, &system, &by_csv, changed.as_bytes(), SheetFormat::Csv).await;
        assert_eq!((third.imported, third.updated, third.unchanged), (0, 1, 7), "{}", db.engine);
        let mut bad = String::from_utf8(manifest_csv(10)).unwrap();
        bad = bad.replacen(",RU,", ",XX,", 1).replacen("2003-03-0", "2003-13-4", 1);
        let sheet = read_sheet(bad.as_bytes(), SheetFormat::Csv).unwrap();
        match s.import_manifest(&system, &by_csv, &sheet, &none).await {
            Err(StoreError::Rejected(report)) => {
                assert_eq!(report.total, 2, "{}: {report:?}", db.engine);
                assert_eq!(report.bad_rows[0].column, "国籍");
            }
            other => panic!("{}: {other:?}", db.engine),
        }
        assert_eq!(s.stays(&system, &by_csv, Reveal::Masked).await.unwrap().len(), 8, "{}: nothing written", db.engine);
    }
}

#[tokio::test]
async fn rooms_short_is_refused_before_anyone_is_checked_in_and_groups_room_together() {
    for db in engines().await {
        let s = &db.store;
        let system = Actor::system();
        // Rooms 301-304 have one bed, 305 two: five rooms for six people of whom two travel together.
        let site = quarantine_site(s, SITE, 5).await;
        let b = arrival_batch(s, site, "B1").await;
        import(s, &system, &b, &manifest_csv(7), SheetFormat::Csv).await;
        match s.check_in(&system, &b, &[]).await {
            Err(StoreError::Invalid(r)) => assert_eq!(r.key, Key::QuarantineRoomsShort, "{}", db.engine),
            other => panic!("{}: {other:?}", db.engine),
        }
        assert!(s.stays(&system, &b, Reveal::Masked).await.unwrap().iter().all(|p| p.room.is_none()), "{}", db.engine);
        let small = arrival_batch(s, site, "B2").await;
        import(s, &system, &small, &manifest_csv(6), SheetFormat::Csv).await;
        let done = s.check_in(&system, &small, &[]).await.unwrap();
        assert_eq!((done.checked_in, done.rooms), (6, 5), "{}", db.engine);
        let stays = s.stays(&system, &small, Reveal::Full).await.unwrap();
        let room_of = |p: &str| stays.iter().find(|s| s.passport == p).unwrap().room.clone().unwrap();
        assert_eq!(room_of("751000000"), room_of("751000001"), "{}: group G1 rooms together", db.engine);
        assert_eq!(room_of("751000000"), "305");
        // Again: everyone has a room already.
        let again = s.check_in(&system, &small, &[]).await.unwrap();
        assert_eq!((again.checked_in, again.already_in), (0, 6), "{}", db.engine);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn check_ins_at_the_same_instant_never_give_a_room_twice_or_a_person_two_rooms() {
    for db in engines().await {
        let s = &db.store;
        let system = Actor::system();
        // Ten rooms, twelve beds; two batches of seven people want them at once.
        let site = quarantine_site(s, SITE, 10).await;
        let a = arrival_batch(s, site, "A").await;
        let b = arrival_batch(s, site, "B").await;
        import(s, &system, &a, &manifest_csv(7), SheetFormat::Csv).await;
        import(s, &system, &b, &manifest_csv(7), SheetFormat::Csv).await;
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(4));
        let mut tasks = tokio::task::JoinSet::new();
        for batch in [a.clone(), b.clone(), a.clone(), b.clone()] {
            let (s, system, barrier) = (s.clone(), system.clone(), barrier.clone());
            tasks.spawn(async move {
                barrier.wait().await;
                s.check_in(&system, &batch, &[]).await
            });
        }
        let results = tasks.join_all().await;
        let checked: usize = results.iter().filter_map(|r| r.as_ref().ok()).map(|c| c.checked_in).sum();
        let short = results
            .iter()
            .filter(|r| matches!(r, Err(StoreError::Invalid(k)) if k.key == Key::QuarantineRoomsShort))
            .count();
        // One batch gets its seven into six rooms; the other then finds four rooms for seven
        // people and is refused whole, as is its second try.
        assert_eq!((checked, short), (7, 2), "{}: {results:?}", db.engine);
        let mut rooms: Vec<String> = Vec::new();
        for batch in [&a, &b] {
            rooms.extend(s.stays(&system, batch, Reveal::Masked).await.unwrap().into_iter().filter_map(|p| p.room));
        }
        assert_eq!(rooms.len(), 7, "{}", db.engine);
        rooms.sort();
        let before = rooms.len();
        rooms.dedup();
        assert_eq!(before - rooms.len(), 1, "{}: only the group's two-bed room holds two", db.engine);
    }
}

#[tokio::test]
async fn a_hotel_group_member_sees_no_people_and_another_sites_account_finds_nothing() {
    for db in engines().await {
        let s = &db.store;
        let system = Actor::system();
        let site = quarantine_site(s, SITE, 10).await;
        let other = quarantine_site(s, "松北宾馆隔离点", 3).await;
        let b = arrival_batch(s, site, "B1").await;
        import(s, &system, &b, &manifest_csv(4), SheetFormat::Csv).await;

        let hotel = user(s, "zl-hotel", Role::SiteGroup, &format!("site:{SITE}")).await;
        // A member in no group yet sees nothing of the site.
        assert!(matches!(s.stays(&hotel, &b, Reveal::Masked).await, Err(StoreError::Forbidden)), "{}", db.engine);
        s.set_site_group(&system, "zl-hotel", Group::Hotel).await.unwrap();
        assert!(matches!(s.stays(&hotel, &b, Reveal::Masked).await, Err(StoreError::Forbidden)), "{}", db.engine);
        let export = s.export_timeline(&hotel, &b, SheetFormat::Csv, Reveal::Masked).await;
        assert!(matches!(export, Err(StoreError::Forbidden)), "{}", db.engine);
        let sheet = read_sheet(&manifest_csv(4), SheetFormat::Csv).unwrap();
        assert!(matches!(s.import_manifest(&hotel, &b, &sheet, &none).await, Err(StoreError::Forbidden)));
        assert!(matches!(s.check_in(&hotel, &b, &[]).await, Err(StoreError::Forbidden)), "{}", db.engine);
        // A group member may not put itself in another group.
        assert!(matches!(s.set_site_group(&hotel, "zl-hotel", Group::Cdc).await, Err(StoreError::Forbidden)));

        // The information group keeps the roll, masked; only the manager sees passports in full.
        let info = user(s, "zl-info", Role::SiteGroup, &format!("site:{SITE}")).await;
        s.set_site_group(&system, "zl-info", Group::Information).await.unwrap();
        let masked = s.stays(&info, &b, Reveal::Masked).await.unwrap();
        assert_eq!(masked.len(), 4, "{}", db.engine);
        assert!(masked.iter().all(|p| p.passport.contains('*')), "{}", db.engine);
        assert!(
            masked.iter().all(|p| p.birthday_in_stay.is_none()),
            "{}: birthdays are for the caring groups",
            db.engine
        );
        assert!(matches!(s.stays(&info, &b, Reveal::Full).await, Err(StoreError::Forbidden)), "{}", db.engine);
        let manager = user(s, "zl-manager", Role::SiteManager, &format!("site:{SITE}")).await;
        let audit_before = audit_count(s).await;
        assert!(s.stays(&manager, &b, Reveal::Full).await.unwrap().iter().any(|p| p.passport == "751000000"));
        assert_eq!(audit_count(s).await, audit_before + 1, "{}: a reveal is logged", db.engine);

        // Another site's manager: the site, its batch and its people are not found.
        let theirs = user(s, "sb-manager", Role::SiteManager, "site:松北宾馆隔离点").await;
        assert!(matches!(s.site(&theirs, site).await, Err(StoreError::NotFound)), "{}", db.engine);
        assert!(matches!(s.site_named(&theirs, SITE).await, Err(StoreError::NotFound)));
        assert!(matches!(s.batch_named(&theirs, site, "B1").await, Err(StoreError::NotFound)));
        assert!(matches!(s.stays(&theirs, &b, Reveal::Masked).await, Err(StoreError::NotFound)), "{}", db.engine);
        assert!(matches!(s.check_in(&theirs, &b, &[]).await, Err(StoreError::NotFound)));
        assert!(matches!(s.step_site(&theirs, site, "disinfect").await, Err(StoreError::NotFound)));
        assert_eq!(s.site(&theirs, other).await.unwrap().name, "松北宾馆隔离点");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_positive_opens_one_transfer_extends_the_roommate_and_its_room_awaits_disinfection() {
    use cordon_domain::quarantine::results::TestResult::{Negative, Positive};
    use cordon_domain::quarantine::transfer::{FollowUpKind, Note, TransferEvent, TransferState, Vehicle};
    use cordon_domain::values::PersonName;
    for db in engines().await {
        let s = &db.store;
        let system = Actor::system();
        let site = quarantine_site(s, SITE, 10).await;
        let b = arrival_batch(s, site, "B1").await;
        import(s, &system, &b, &manifest_csv(6), SheetFormat::Csv).await;
        s.check_in(&system, &b, &[]).await.unwrap();
        let cdc = user(s, "zl-cdc", Role::SiteGroup, &format!("site:{SITE}")).await;
        s.set_site_group(&system, "zl-cdc", Group::Cdc).await.unwrap();
        let day = |d: &str| d.parse::<NaiveDate>().unwrap();

        // Person 1 shares room 305 with person 0 (group G1): positive on day 2.
        let done = s.record_result(&cdc, &b, "751000001", day("2026-09-18"), Positive, 7).await.unwrap();
        assert!(done.written && done.transfer.is_some(), "{}: {done:?}", db.engine);
        assert_eq!(done.extended, 1, "{}: the roommate", db.engine);
        let again = s.record_result(&cdc, &b, "751000001", day("2026-09-18"), Positive, 7).await.unwrap();
        assert!(!again.written && again.extended == 0, "{}: the same result again changes nothing", db.engine);
        match s.record_result(&cdc, &b, "751000001", day("2026-09-18"), Negative, 7).await {
            Err(StoreError::Conflict(r)) => assert_eq!(r.key, Key::QuarantineResultConflict, "{}", db.engine),
            other => panic!("{}: a conflicting result is flagged, not written: {other:?}", db.engine),
        }
        let stays = s.stays(&system, &b, Reveal::Full).await.unwrap();
        let roommate = stays.iter().find(|p| p.passport == "751000000").unwrap();
        assert_eq!(roommate.onsite_end, day("2026-09-30"), "{}: 23 September + 7 days", db.engine);
        let other_person = stays.iter().find(|p| p.passport == "751000003").unwrap();
        assert_eq!(other_person.onsite_end, day("2026-09-23"), "{}: nobody else is extended", db.engine);

        // Two results for person 2 at the same instant: one transfer.
        let mut tasks = tokio::task::JoinSet::new();
        for d in ["2026-09-18", "2026-09-19"] {
            let (s, cdc, b) = (s.clone(), cdc.clone(), b.clone());
            tasks.spawn(async move { s.record_result(&cdc, &b, "751000002", day(d), Positive, 7).await });
        }
        let results = tasks.join_all().await;
        assert!(results.iter().all(Result::is_ok), "{}: {results:?}", db.engine);
        let transfers = s.transfers(&system, site).await.unwrap();
        assert_eq!(transfers.len(), 2, "{}: one transfer per positive person: {transfers:?}", db.engine);

        // Person 2 leaves in the vehicle: alone in their room, it awaits disinfection.
        let police = user(s, "zl-police", Role::SiteGroup, &format!("site:{SITE}")).await;
        s.set_site_group(&system, "zl-police", Group::Police).await.unwrap();
        let t2 = transfers.iter().find(|t| t.person_id != transfers.last().unwrap().person_id).unwrap().id;
        let t1 = transfers.iter().find(|t| t.id != t2).unwrap().id;
        let tokens: Vec<String> = s
            .room_cards(&system, site)
            .await
            .unwrap()
            .into_iter()
            .flat_map(|c| c.people.into_iter().map(|p| p.token))
            .collect();
        assert_eq!(tokens.len(), 6, "{}", db.engine);
        let now = s.now();
        let hospital = cordon_domain::places::PlaceName::parse("哈尔滨市第六医院").unwrap();
        let depart = TransferEvent::Depart {
            hospital: hospital.clone(),
            vehicle: Vehicle::parse("黑A·12345").unwrap(),
            escorts: vec![PersonName::parse("王医生").unwrap()],
            at: now,
        };
        let no_escort =
            TransferEvent::Depart {
                hospital, vehicle: Vehicle::parse("黑A·12345").unwrap(), escorts: vec![], at: now
            };
        assert!(matches!(s.step_transfer(&police, site, t2, &no_escort).await, Err(StoreError::Invalid(_))));
        assert_eq!(s.step_transfer(&police, site, t2, &depart).await.unwrap(), TransferState::Departed);
        assert_eq!(s.step_transfer(&police, site, t1, &depart).await.unwrap(), TransferState::Departed);
        let rooms = s.site_rooms(&system, site).await.unwrap();
        let room = |n: &str| rooms.iter().find(|r| r.number == n).unwrap().clone();
        assert_eq!(
            (room("305").state.as_str(), room("305").people),
            ("occupied", 1),
            "{}: the roommate stays",
            db.engine
        );
        let emptied: Vec<_> = rooms.iter().filter(|r| r.state == "awaiting-disinfection").collect();
        assert_eq!(emptied.len(), 1, "{}: {rooms:?}", db.engine);
        assert_eq!(emptied[0].people, 0);
        // The card left on the door of someone who has left opens nothing any more.
        let cards = s.room_cards(&system, site).await.unwrap();
        assert_eq!(cards.iter().map(|c| c.people.len()).sum::<usize>(), 4, "{}", db.engine);
        let mut open = 0;
        for t in &tokens {
            match s.own_stay(t).await {
                Ok(_) => open += 1,
                Err(StoreError::NotFound) => {}
                Err(e) => panic!("{}: {e:?}", db.engine),
            }
        }
        assert_eq!(open, 4, "{}: the two who left have no page", db.engine);
        // Someone who left for hospital is never checked in again.
        let again = s.check_in(&system, &b, &[]).await.unwrap();
        assert_eq!((again.checked_in, again.already_in), (0, 6), "{}", db.engine);
        let left = s.stays(&system, &b, Reveal::Full).await.unwrap();
        assert!(left.iter().find(|p| p.passport == "751000002").unwrap().room.is_none(), "{}", db.engine);
        // Hand-over, then follow-ups; none dated before the hand-over.
        let later = now + chrono::Duration::hours(1);
        s.step_transfer(&police, site, t2, &TransferEvent::HandOver { at: later }).await.unwrap();
        let note = Note::parse("已入院，体温正常").unwrap();
        let early = TransferEvent::FollowUp { at: now, kind: FollowUpKind::Call, note: note.clone() };
        assert!(matches!(s.step_transfer(&cdc, site, t2, &early).await, Err(StoreError::Invalid(_))), "{}", db.engine);
        let call = TransferEvent::FollowUp { at: later + chrono::Duration::hours(2), kind: FollowUpKind::Call, note };
        assert_eq!(s.step_transfer(&cdc, site, t2, &call).await.unwrap(), TransferState::FollowedUp);

        // Who may see and record results.
        let hotel = user(s, "zl-hotel", Role::SiteGroup, &format!("site:{SITE}")).await;
        s.set_site_group(&system, "zl-hotel", Group::Hotel).await.unwrap();
        assert!(matches!(s.stay_results(&hotel, &b).await, Err(StoreError::Forbidden)), "{}", db.engine);
        assert!(matches!(s.transfers(&hotel, site).await, Err(StoreError::Forbidden)));
        let by_hotel = s.record_result(&hotel, &b, "751000003", day("2026-09-18"), Negative, 7).await;
        assert!(matches!(by_hotel, Err(StoreError::Forbidden)), "{}", db.engine);
        assert!(matches!(s.step_transfer(&hotel, site, t1, &depart).await, Err(StoreError::Forbidden)));
        assert_eq!(s.stay_results(&cdc, &b).await.unwrap().len(), 3, "{}", db.engine);
        let d = s.site_dashboard(&cdc, site).await.unwrap();
        assert_eq!((d.positives, d.transfers_under_way), (Some(2), Some(1)), "{}", db.engine);
        let elsewhere = quarantine_site(s, "松北宾馆隔离点", 2).await;
        let theirs = user(s, "sb-cdc", Role::SiteManager, "site:松北宾馆隔离点").await;
        assert!(matches!(s.stay_results(&theirs, &b).await, Err(StoreError::NotFound)), "{}", db.engine);
        assert!(matches!(s.step_transfer(&theirs, site, t1, &depart).await, Err(StoreError::NotFound)));
        assert!(matches!(s.step_transfer(&theirs, elsewhere, t1, &depart).await, Err(StoreError::NotFound)));
    }
}

/// An active site of 10 rooms and a 7+7 batch of `people` checked in.
async fn checked_in(s: &Store, people: usize) -> (i64, Batch) {
    let site = quarantine_site(s, SITE, 10).await;
    let b = arrival_batch(s, site, "B1").await;
    import(s, &Actor::system(), &b, &manifest_csv(people), SheetFormat::Csv).await;
    s.check_in(&Actor::system(), &b, &[]).await.unwrap();
    (site, b)
}

/// An instant in Harbin.
fn harbin(at: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(at).unwrap().with_timezone(&chrono::Utc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn certificates_come_on_the_last_onsite_day_verify_once_and_a_release_empties_the_room() {
    use cordon_domain::quarantine::release::Handover;
    use cordon_domain::quarantine::results::TestResult::Positive;
    use cordon_store::quarantine::Who;
    for db in engines().await {
        let clock = cordon_domain::clock::FixedClock::at(harbin("2026-09-16T16:00:00+08:00"));
        let s = &db.store.with_clock(std::sync::Arc::new(clock.clone()));
        let system = Actor::system();
        let (site, b) = checked_in(s, 6).await;
        let day = |d: &str| d.parse::<NaiveDate>().unwrap();
        // Person 1 positive on day 2: transferred; person 0, their roommate, stays 7 days more.
        s.record_result(&system, &b, "751000001", day("2026-09-18"), Positive, 7).await.unwrap();

        // The day before the last on-site day: nobody yet, each with the reason.
        clock.set(harbin("2026-09-22T10:00:00+08:00"));
        let early = s.issue_certificates(&system, &b).await.unwrap();
        assert_eq!((early.issued, early.refused.len()), (0, 6), "{}: {early:?}", db.engine);
        let keys: Vec<Key> = early.refused.iter().map(|(_, r)| r.key).collect();
        assert_eq!(keys.iter().filter(|k| **k == Key::QuarantineReleasePositive).count(), 1, "{}", db.engine);
        assert_eq!(keys.iter().filter(|k| **k == Key::QuarantineReleaseTooEarly).count(), 5, "{}", db.engine);

        // On the last on-site day four people at once press the button: four
        // certificates, one site key (a second key would fail its insert).
        clock.set(harbin("2026-09-23T09:00:00+08:00"));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..4 {
            let (s, b) = (s.clone(), b.clone());
            tasks.spawn(async move { s.issue_certificates(&Actor::system(), &b).await });
        }
        let done: Vec<_> = tasks.join_all().await.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(done.iter().map(|d| d.issued).sum::<usize>(), 4, "{}: {done:?}", db.engine);
        assert!(done.iter().all(|d| d.issued + d.already == 4), "{}: {done:?}", db.engine);
        let certs = s.certificates(&system, site, Some(&b), None).await.unwrap();
        assert_eq!(certs.len(), 4, "{}", db.engine);
        let today = s.certificates(&system, site, None, Some(day("2026-09-23"))).await.unwrap();
        assert_eq!(today.len(), 4, "{}: released today", db.engine);
        assert!(s.certificates(&system, site, None, Some(day("2026-09-24"))).await.unwrap().is_empty());
        let again = s.issue_certificates(&system, &b).await.unwrap();
        assert_eq!((again.issued, again.already), (0, 4), "{}: the same certificates", db.engine);
        assert_eq!(s.certificates(&system, site, Some(&b), None).await.unwrap()[0].code, certs[0].code);

        // Verification: the paper's code holds; one character changed, or made up, does not.
        let c = &certs[0];
        let shown = s.verify_certificate(&c.code).await.unwrap().expect("a real certificate verifies");
        assert_eq!(shown, c.text, "{}", db.engine);
        assert_eq!(
            (shown.site.as_str(), shown.onsite_end, shown.home_end),
            (SITE, day("2026-09-23"), day("2026-09-30"))
        );
        assert!(shown.passport.starts_with('*') && !shown.passport.contains("75100"), "masked: {}", shown.passport);
        let mut changed = c.code.clone().into_bytes();
        changed[10] = if changed[10] == b'A' { b'B' } else { b'A' };
        assert_eq!(s.verify_certificate(&String::from_utf8(changed).unwrap()).await.unwrap(), None, "{}", db.engine);
        for junk in ["", "x.y", "..."] {
            assert_eq!(s.verify_certificate(junk).await.unwrap(), None, "{}: {junk}", db.engine);
        }

        // Who may: the hotel group neither issues nor prints; another site finds nothing.
        let hotel = user(s, "zl-hotel", Role::SiteGroup, &format!("site:{SITE}")).await;
        s.set_site_group(&system, "zl-hotel", Group::Hotel).await.unwrap();
        assert!(matches!(s.issue_certificates(&hotel, &b).await, Err(StoreError::Forbidden)), "{}", db.engine);
        assert!(matches!(s.certificates(&hotel, site, Some(&b), None).await, Err(StoreError::Forbidden)));
        let handover = Handover::parse("哈尔滨工业大学 王老师", "学校专车").unwrap();
        assert!(matches!(
            s.release(&hotel, &b, Who::Passport("751000003"), &handover).await,
            Err(StoreError::Forbidden)
        ));
        quarantine_site(s, "松北宾馆隔离点", 2).await;
        let theirs = user(s, "sb-manager", Role::SiteManager, "site:松北宾馆隔离点").await;
        assert!(matches!(
            s.release(&theirs, &b, Who::Passport("751000003"), &handover).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(s.certificates(&theirs, site, None, None).await, Err(StoreError::NotFound)));

        // The release: handed over, out of the room, which awaits disinfection; twice is once.
        let info = user(s, "zl-info", Role::SiteGroup, &format!("site:{SITE}")).await;
        s.set_site_group(&system, "zl-info", Group::Information).await.unwrap();
        // Two members press "release" for the same person at the same instant: one release.
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..2 {
            let (s, b, info, handover) = (s.clone(), b.clone(), info.clone(), handover.clone());
            tasks.spawn(async move { s.release(&info, &b, Who::Passport("751000003"), &handover).await });
        }
        let both: Vec<_> = tasks.join_all().await.into_iter().map(|r| r.unwrap().written).collect();
        assert_eq!(both.iter().filter(|w| **w).count(), 1, "{}: {both:?}", db.engine);
        assert!(!s.release(&info, &b, Who::Passport("751000003"), &handover).await.unwrap().written, "{}", db.engine);
        let stays = s.stays(&system, &b, Reveal::Full).await.unwrap();
        let person = |p: &str| stays.iter().find(|s| s.passport == p).unwrap().clone();
        assert!(person("751000003").room.is_none(), "{}", db.engine);
        let rooms = s.site_rooms(&system, site).await.unwrap();
        let emptied: Vec<_> = rooms.iter().filter(|r| r.state == "awaiting-disinfection").collect();
        assert_eq!(emptied.len(), 1, "{}: the released person's room: {rooms:?}", db.engine);
        // Too early (the extended roommate), positive, or not on the manifest: refused with why.
        let refused = |r: StoreResult<cordon_store::quarantine::Released>| match r {
            Err(StoreError::Invalid(r)) => r.key,
            other => panic!("refused: {other:?}"),
        };
        assert_eq!(
            refused(s.release(&info, &b, Who::Passport("751000000"), &handover).await),
            Key::QuarantineReleaseTooEarly
        );
        assert_eq!(
            refused(s.release(&info, &b, Who::Passport("751000001"), &handover).await),
            Key::QuarantineReleasePositive
        );
        assert_eq!(
            refused(s.release(&info, &b, Who::Passport("759999999"), &handover).await),
            Key::QuarantinePassportUnknown
        );

        // A positive on the last day, after the certificate: withdrawn, and no release.
        let late = s.record_result(&system, &b, "751000004", day("2026-09-23"), Positive, 7).await.unwrap();
        assert!(late.transfer.is_some(), "{}", db.engine);
        assert_eq!(s.certificates(&system, site, Some(&b), None).await.unwrap().len(), 3, "{}", db.engine);
        assert_eq!(
            refused(s.release(&info, &b, Who::Passport("751000004"), &handover).await),
            Key::QuarantineReleasePositive
        );
        // The site's page: the released person is monitored at home until 30 September.
        let d = s.site_dashboard(&info, site).await.unwrap();
        let at_home = d.at_home.unwrap();
        assert_eq!(at_home.len(), 1, "{}", db.engine);
        assert_eq!((at_home[0].name.as_str(), at_home[0].date), (person("751000003").name.as_str(), day("2026-09-30")));
        assert!(s.site_dashboard(&hotel, site).await.unwrap().at_home.is_none(), "{}", db.engine);
    }
}

#[tokio::test]
async fn a_close_contact_is_extended_by_the_cdc_with_the_reason_and_loses_a_certificate_issued_before() {
    use cordon_domain::quarantine::timeline::ExtensionReason;
    use cordon_store::quarantine::Who;
    for db in engines().await {
        let clock = cordon_domain::clock::FixedClock::at(harbin("2026-09-23T09:00:00+08:00"));
        let s = &db.store.with_clock(std::sync::Arc::new(clock.clone()));
        let system = Actor::system();
        let (site, b) = checked_in(s, 4).await;
        let day = |d: &str| d.parse::<NaiveDate>().unwrap();
        assert_eq!(s.issue_certificates(&system, &b).await.unwrap().issued, 4, "{}", db.engine);

        let cdc = user(s, "zl-cdc", Role::SiteGroup, &format!("site:{SITE}")).await;
        s.set_site_group(&system, "zl-cdc", Group::Cdc).await.unwrap();
        let info = user(s, "zl-info", Role::SiteGroup, &format!("site:{SITE}")).await;
        s.set_site_group(&system, "zl-info", Group::Information).await.unwrap();
        let contact = ExtensionReason::by_hand("密接").unwrap();
        let by_info = s.extend_stay(&info, &b, Who::Passport("751000003"), 7, contact).await;
        assert!(matches!(by_info, Err(StoreError::Forbidden)), "{}: only the CDC decides", db.engine);
        let end = s.extend_stay(&cdc, &b, Who::Passport("751000003"), 7, contact).await.unwrap();
        assert_eq!(end, day("2026-09-30"), "{}", db.engine);
        // The certificate of the old dates is withdrawn: it no longer verifies or prints.
        let certs = s.certificates(&system, site, Some(&b), None).await.unwrap();
        assert_eq!(certs.len(), 3, "{}", db.engine);
        let again = s.issue_certificates(&system, &b).await.unwrap();
        assert_eq!((again.issued, again.refused.len()), (0, 1), "{}: too early now", db.engine);
        let too_many = s.extend_stay(&cdc, &b, Who::Passport("751000003"), 99, contact).await;
        assert!(matches!(too_many, Err(StoreError::Invalid(r)) if r.key == Key::QuarantineExtensionDays));
        let unknown = s.extend_stay(&cdc, &b, Who::Passport("759999999"), 3, contact).await;
        assert!(matches!(unknown, Err(StoreError::Invalid(r)) if r.key == Key::QuarantinePassportUnknown));
        assert!(ExtensionReason::by_hand("positive-roommate").is_err(), "given by a result, not by hand");
        // Someone released is not extended.
        let handover = cordon_domain::quarantine::release::Handover::parse("王老师", "学校专车").unwrap();
        s.release(&system, &b, Who::Passport("751000002"), &handover).await.unwrap();
        let gone = s.extend_stay(&cdc, &b, Who::Passport("751000002"), 3, contact).await;
        assert!(
            matches!(gone, Err(StoreError::Invalid(r)) if r.key == Key::QuarantineExtendNotOnSite),
            "{}",
            db.engine
        );
        // Another site's manager finds nothing.
        quarantine_site(s, "松北宾馆隔离点", 2).await;
        let theirs = user(s, "sb-manager", Role::SiteManager, "site:松北宾馆隔离点").await;
        let elsewhere = s.extend_stay(&theirs, &b, Who::Passport("751000001"), 3, contact).await;
        assert!(matches!(elsewhere, Err(StoreError::NotFound)), "{}", db.engine);
    }
}

#[tokio::test]
async fn a_results_file_imports_whole_or_not_at_all_and_twice_changes_nothing() {
    for db in engines().await {
        let s = &db.store;
        let system = Actor::system();
        let (site, b) = checked_in(s, 6).await;
        let file = |rows: &[&str]| {
            let mut text = String::from("结果,护照号 passport,检测日期 day\n");
            for r in rows {
                text.push_str(r);
                text.push('\n');
            }
            read_sheet(text.as_bytes(), SheetFormat::Csv).unwrap()
        };
        let day1: Vec<String> = (0..6).map(|i| format!("阴性,75{:07},2026-09-17", 1_000_000 + i)).collect();
        let mut rows: Vec<&str> = day1.iter().map(String::as_str).collect();
        rows.push("阳性,751000003,2026/09/18");
        let good = file(&rows);
        // A bad file: an unknown passport, a day that is no date, the same person and day twice.
        let bad = file(&["阴性,759999999,2026-09-17", "阴性,751000001,tomorrow", rows[0], rows[0]]);
        match s.import_results(&system, &b, &bad, 7).await {
            Err(StoreError::Rejected(report)) => {
                let at: Vec<usize> = report.bad_rows.iter().map(|r| r.row).collect();
                assert_eq!(at, vec![2, 3, 5], "{}: {report:?}", db.engine);
            }
            other => panic!("{}: {other:?}", db.engine),
        }
        let cdc = user(s, "zl-cdc", Role::SiteGroup, &format!("site:{SITE}")).await;
        s.set_site_group(&system, "zl-cdc", Group::Cdc).await.unwrap();
        assert!(s.stay_results(&cdc, &b).await.unwrap().is_empty(), "{}: nothing of a bad file", db.engine);
        let first = s.import_results(&cdc, &b, &good, 7).await.unwrap();
        assert_eq!((first.imported, first.unchanged), (7, 0), "{}", db.engine);
        assert_eq!(s.transfers(&cdc, site).await.unwrap().len(), 1, "{}: the positive's transfer", db.engine);
        let again = s.import_results(&cdc, &b, &good, 7).await.unwrap();
        assert_eq!((again.imported, again.unchanged), (0, 7), "{}: the same file twice", db.engine);
        // A result that conflicts with one recorded refuses the whole file.
        let conflict = file(&["阳性,751000000,2026-09-17", "阴性,751000004,2026-09-18"]);
        assert!(matches!(s.import_results(&cdc, &b, &conflict, 7).await, Err(StoreError::Rejected(_))));
        assert_eq!(s.stay_results(&cdc, &b).await.unwrap().len(), 7, "{}", db.engine);
        // The hotel group imports nothing.
        let hotel = user(s, "zl-hotel", Role::SiteGroup, &format!("site:{SITE}")).await;
        s.set_site_group(&system, "zl-hotel", Group::Hotel).await.unwrap();
        assert!(matches!(s.import_results(&hotel, &b, &good, 7).await, Err(StoreError::Forbidden)));
        let missing = read_sheet("passport,结果\n751000001,阴性\n".as_bytes(), SheetFormat::Csv).unwrap();
        assert!(matches!(s.import_results(&cdc, &b, &missing, 7).await, Err(StoreError::Rejected(_))));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn care_needs_become_tasks_for_the_group_that_meets_them_and_a_tick_is_kept_once() {
    use cordon_domain::quarantine::care::CareKind;
    for db in engines().await {
        let s = &db.store;
        let system = Actor::system();
        // Person 3 eats halal and carries an inhaler; all six speak Russian.
        let (site, _b) = checked_in(s, 6).await;
        let member = |name: &'static str, group| async move {
            let a = user(s, name, Role::SiteGroup, &format!("site:{SITE}")).await;
            s.set_site_group(&Actor::system(), name, group).await.unwrap();
            a
        };
        let hotel = member("zl-hotel", Group::Hotel).await;
        let medical = member("zl-medical", Group::Medical).await;
        let foreign = member("zl-foreign", Group::ForeignAffairs).await;
        let cdc = member("zl-cdc", Group::Cdc).await;
        let meals = s.care_tasks(&hotel, site).await.unwrap();
        assert_eq!(meals.tasks.len(), 1, "{}: {meals:?}", db.engine);
        assert_eq!((meals.tasks[0].kind, meals.tasks[0].detail.as_str()), (CareKind::Meals, "清真 halal"));
        assert!(meals.languages.is_empty(), "{}", db.engine);
        let medicine = s.care_tasks(&medical, site).await.unwrap();
        assert_eq!(medicine.tasks.iter().map(|t| t.kind).collect::<Vec<_>>(), vec![CareKind::Medical]);
        let languages = s.care_tasks(&foreign, site).await.unwrap();
        assert!(languages.tasks.is_empty(), "{}: no faith need in the file", db.engine);
        assert_eq!((languages.languages[0].language.as_str(), languages.languages[0].people), ("ru", 6));
        assert_eq!(s.care_tasks(&system, site).await.unwrap().tasks.len(), 2, "{}: the manager sees all", db.engine);
        assert!(matches!(s.care_tasks(&cdc, site).await, Err(StoreError::Forbidden)), "{}", db.engine);

        // Two taps at once on the hotel's task: one tick. The hotel may not tick the medical one.
        let person = meals.tasks[0].person_id;
        assert!(matches!(s.care_done(&hotel, site, person, CareKind::Medical).await, Err(StoreError::Forbidden)));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..2 {
            let (s, hotel) = (s.clone(), hotel.clone());
            tasks.spawn(async move { s.care_done(&hotel, site, person, CareKind::Meals).await });
        }
        let written: Vec<bool> = tasks.join_all().await.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(written.iter().filter(|w| **w).count(), 1, "{}: {written:?}", db.engine);
        assert!(s.care_tasks(&hotel, site).await.unwrap().tasks[0].done, "{}", db.engine);
        let elsewhere = quarantine_site(s, "松北宾馆隔离点", 2).await;
        assert!(matches!(s.care_done(&system, elsewhere, person, CareKind::Meals).await, Err(StoreError::NotFound)));
    }
}

/// `checked_in`, with the page tokens of everyone, in manifest order.
async fn checked_in_with_tokens(s: &Store, people: usize) -> (i64, Batch, Vec<String>) {
    let system = Actor::system();
    let (site, b) = checked_in(s, people).await;
    let cards = s.room_cards(&system, site).await.unwrap();
    let mut people: Vec<(String, String)> =
        cards.into_iter().flat_map(|c| c.people.into_iter().map(|p| (p.name, p.token))).collect();
    // Cards go by room; the manifest's order is by passport, which the stays give.
    let stays = s.stays(&system, &b, Reveal::Full).await.unwrap();
    let mut tokens = Vec::new();
    for st in &stays {
        let i = people.iter().position(|(name, _)| *name == st.name).unwrap();
        tokens.push(people.remove(i).1);
    }
    (site, b, tokens)
}

/// A site account put in a group.
async fn member(s: &Store, name: &str, group: Group) -> Actor {
    let a = user(s, name, Role::SiteGroup, &format!("site:{SITE}")).await;
    s.set_site_group(&Actor::system(), name, group).await.unwrap();
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn health_checks_are_recorded_once_a_slot_alert_the_medical_group_and_stay_hidden_from_the_hotel() {
    use cordon_domain::quarantine::health::{Reading, Slot, Symptom, Temperature};
    for db in engines().await {
        let s = &db.store;
        let (site, _b, tokens) = checked_in_with_tokens(s, 4).await;
        let medical = member(s, "zl-medical", Group::Medical).await;
        let hotel = member(s, "zl-hotel", Group::Hotel).await;
        let cdc = member(s, "zl-cdc", Group::Cdc).await;
        let reading = |t: &str, symptoms: &[Symptom]| Reading::new(Temperature::parse(t).unwrap(), symptoms);
        let people = s.people_on_site(&medical, site).await.unwrap();
        assert_eq!(people.len(), 4, "{}", db.engine);
        let (p0, p1, p2, p3) = (people[0].id, people[1].id, people[2].id, people[3].id);

        // The same check again changes nothing; a different reading for the slot is refused, not written over.
        let audit_before = audit_count(s).await;
        let first = s.record_health_check(&medical, site, p0, Slot::Morning, &reading("36.6", &[])).await.unwrap();
        assert!(first.written && !first.alert, "{}: {first:?}", db.engine);
        let again = s.record_health_check(&medical, site, p0, Slot::Morning, &reading("36.6", &[])).await.unwrap();
        assert_eq!((again.id, again.written), (first.id, false), "{}", db.engine);
        match s.record_health_check(&medical, site, p0, Slot::Morning, &reading("38.1", &[])).await {
            Err(StoreError::Conflict(r)) => assert_eq!(r.key, Key::QuarantineCheckConflict, "{}", db.engine),
            other => panic!("{}: a different reading is refused: {other:?}", db.engine),
        }
        assert_eq!(audit_count(s).await, audit_before + 1, "{}: one check, one line", db.engine);
        // The person's own reading is kept apart from the staff's: no clash.
        let own = s.record_own_check(&tokens[0], Slot::Morning, &reading("36.8", &[])).await.unwrap();
        assert!(own.written && own.id != first.id, "{}", db.engine);
        assert_eq!(s.own_checks(&tokens[0]).await.unwrap()[0].source, "self");

        // A fever (37.3 and up) or any symptom alerts; 37.2 without symptoms does not.
        let fever = s.record_health_check(&medical, site, p1, Slot::Afternoon, &reading("37.3", &[])).await.unwrap();
        let cough = s.record_own_check(&tokens[2], Slot::Morning, &reading("36.5", &[Symptom::Cough])).await.unwrap();
        let fine = s.record_health_check(&medical, site, p3, Slot::Morning, &reading("37.2", &[])).await.unwrap();
        assert_eq!((fever.alert, cough.alert, fine.alert), (true, true, false), "{}", db.engine);
        let alerts = s.health_alerts(&medical, site).await.unwrap();
        let ids: Vec<i64> = alerts.iter().map(|a| a.id).collect();
        assert_eq!(ids, [fever.id, cough.id], "{}", db.engine);
        assert_eq!((alerts[0].temperature.as_str(), alerts[0].fever), ("37.3", true));
        assert_eq!((alerts[1].symptoms.clone(), alerts[1].person_id), (vec!["cough".to_string()], p2));
        assert!(alerts.iter().all(|a| a.room.is_some()));
        assert_eq!(s.health_checks(&medical, site).await.unwrap().len(), 5, "{}", db.engine);
        assert_eq!(s.site_dashboard(&medical, site).await.unwrap().health_alerts, Some(2));

        // The hotel group sees none of it and records nothing; the CDC group reads but does not acknowledge.
        assert!(matches!(s.health_checks(&hotel, site).await, Err(StoreError::Forbidden)), "{}", db.engine);
        assert!(matches!(s.health_alerts(&hotel, site).await, Err(StoreError::Forbidden)));
        assert!(matches!(s.people_on_site(&hotel, site).await, Err(StoreError::Forbidden)));
        let by_hotel = s.record_health_check(&hotel, site, p2, Slot::Morning, &reading("36.6", &[])).await;
        assert!(matches!(by_hotel, Err(StoreError::Forbidden)), "{}", db.engine);
        assert!(matches!(s.acknowledge_alert(&hotel, site, fever.id).await, Err(StoreError::Forbidden)));
        assert_eq!(s.site_dashboard(&hotel, site).await.unwrap().health_alerts, None, "{}", db.engine);
        assert_eq!(s.health_alerts(&cdc, site).await.unwrap().len(), 2);
        assert!(matches!(s.acknowledge_alert(&cdc, site, fever.id).await, Err(StoreError::Forbidden)));

        // Acknowledged once, logged once; the list keeps the other.
        let audit_before = audit_count(s).await;
        assert!(s.acknowledge_alert(&medical, site, fever.id).await.unwrap(), "{}", db.engine);
        assert!(!s.acknowledge_alert(&medical, site, fever.id).await.unwrap(), "{}: twice is once", db.engine);
        assert_eq!(audit_count(s).await, audit_before + 1, "{}", db.engine);
        assert_eq!(s.health_alerts(&medical, site).await.unwrap().len(), 1);
        let acked = s.health_checks(&medical, site).await.unwrap().into_iter().find(|c| c.id == fever.id).unwrap();
        assert_eq!(acked.acknowledged_by.as_deref(), Some("zl-medical"), "{}", db.engine);
        // A check that is no alert has nothing to acknowledge.
        assert!(matches!(s.acknowledge_alert(&medical, site, fine.id).await, Err(StoreError::NotFound)));

        // The same check from four tasks at the same instant: one row.
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(4));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..4 {
            let (s, medical, barrier) = (s.clone(), medical.clone(), barrier.clone());
            tasks.spawn(async move {
                barrier.wait().await;
                s.record_health_check(&medical, site, p3, Slot::Afternoon, &reading("36.9", &[])).await
            });
        }
        let results = tasks.join_all().await;
        let written = results.iter().filter(|r| matches!(r, Ok(c) if c.written)).count();
        assert!(results.iter().all(Result::is_ok), "{}: {results:?}", db.engine);
        assert_eq!(written, 1, "{}: {results:?}", db.engine);
        assert_eq!(s.health_checks(&medical, site).await.unwrap().len(), 6, "{}", db.engine);

        // Another site sees nothing of this one's, and cannot record for its people.
        let elsewhere = quarantine_site(s, "松北宾馆隔离点", 2).await;
        let theirs = user(s, "sb-manager", Role::SiteManager, "site:松北宾馆隔离点").await;
        assert!(matches!(s.health_checks(&theirs, site).await, Err(StoreError::NotFound)), "{}", db.engine);
        assert!(matches!(s.health_alerts(&theirs, site).await, Err(StoreError::NotFound)));
        assert!(matches!(s.acknowledge_alert(&theirs, site, cough.id).await, Err(StoreError::NotFound)));
        assert!(matches!(s.acknowledge_alert(&theirs, elsewhere, cough.id).await, Err(StoreError::NotFound)));
        match s.record_health_check(&theirs, elsewhere, p2, Slot::Morning, &reading("36.6", &[])).await {
            Err(StoreError::Invalid(r)) => assert_eq!(r.key, Key::QuarantinePersonNotOnSite, "{}", db.engine),
            other => panic!("{}: {other:?}", db.engine),
        }
        assert!(s.health_alerts(&theirs, elsewhere).await.unwrap().is_empty());
        let nobody = "0123456789abcdef0123456789abcdef";
        assert!(matches!(
            s.record_own_check(nobody, Slot::Morning, &reading("36.6", &[])).await,
            Err(StoreError::NotFound)
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_go_to_the_group_of_their_kind_step_once_and_a_double_tap_is_one_request() {
    use cordon_domain::quarantine::requests::{ClientId, RequestEvent, RequestKind, RequestState, RequestText};
    for db in engines().await {
        let s = &db.store;
        let (site, _b, tokens) = checked_in_with_tokens(s, 4).await;
        let text = |t: &str| RequestText::parse(t).unwrap();
        let client = |c: &str| ClientId::parse(&format!("{c:0>16}")).unwrap();

        // A double tap: the same form (its client id) from six tasks at the same instant.
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(6));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..6 {
            let (s, token, barrier) = (s.clone(), tokens[0].clone(), barrier.clone());
            tasks.spawn(async move {
                barrier.wait().await;
                s.make_request(&token, RequestKind::Food, &RequestText::parse("Нужна вода").unwrap(), &client("tap"))
                    .await
            });
        }
        let made: Vec<_> = tasks.join_all().await.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(made.iter().filter(|m| m.created).count(), 1, "{}: {made:?}", db.engine);
        assert!(made.iter().all(|m| m.id == made[0].id), "{}: {made:?}", db.engine);
        assert_eq!(s.own_requests(&tokens[0]).await.unwrap().len(), 1, "{}", db.engine);
        // Another form of the same person is another request; another person's same id is theirs.
        let translation = s
            .make_request(&tokens[0], RequestKind::Translation, &text("Переводчик к врачу"), &client("2"))
            .await
            .unwrap();
        let medicine =
            s.make_request(&tokens[1], RequestKind::Medicine, &text("Ибупрофен"), &client("tap")).await.unwrap();
        let other =
            s.make_request(&tokens[2], RequestKind::Other, &text("Зарядка для телефона"), &client("3")).await.unwrap();
        assert!(translation.created && medicine.created && other.created, "{}", db.engine);
        let mine = s.own_requests(&tokens[0]).await.unwrap();
        assert_eq!(mine.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(), ["translation", "food"]);

        // Each group sees the open requests of its kinds; the manager all; CDC and police none.
        let hotel = member(s, "zl-hotel", Group::Hotel).await;
        let foreign = member(s, "zl-foreign", Group::ForeignAffairs).await;
        let medical = member(s, "zl-medical", Group::Medical).await;
        let info = member(s, "zl-info", Group::Information).await;
        let cdc = member(s, "zl-cdc", Group::Cdc).await;
        let manager = user(s, "zl-manager", Role::SiteManager, &format!("site:{SITE}")).await;
        let kinds = async |a: &Actor| -> Vec<String> {
            s.site_requests(a, site).await.unwrap().into_iter().map(|r| r.kind).collect()
        };
        assert_eq!(kinds(&hotel).await, ["food"], "{}", db.engine);
        assert_eq!(kinds(&foreign).await, ["translation"]);
        assert_eq!(kinds(&medical).await, ["medicine"]);
        assert_eq!(kinds(&info).await, ["other"]);
        assert_eq!(kinds(&manager).await, ["food", "translation", "medicine", "other"]);
        assert!(matches!(s.site_requests(&cdc, site).await, Err(StoreError::Forbidden)), "{}", db.engine);
        assert_eq!(s.site_dashboard(&hotel, site).await.unwrap().open_requests, Some(1));
        assert_eq!(s.site_dashboard(&manager, site).await.unwrap().open_requests, Some(4));
        assert_eq!(s.site_dashboard(&cdc, site).await.unwrap().open_requests, None);

        // Open → acknowledged → done, each step once; another group's request is not theirs to step.
        let food = made[0].id;
        assert_eq!(
            s.step_request(&hotel, site, food, RequestEvent::Acknowledge).await.unwrap(),
            RequestState::Acknowledged
        );
        match s.step_request(&hotel, site, food, RequestEvent::Acknowledge).await {
            Err(StoreError::Conflict(r)) => assert_eq!(r.key, Key::QuarantineRequestStep, "{}", db.engine),
            other => panic!("{}: {other:?}", db.engine),
        }
        assert!(matches!(
            s.step_request(&hotel, site, translation.id, RequestEvent::Done).await,
            Err(StoreError::Forbidden)
        ));
        assert_eq!(s.step_request(&hotel, site, food, RequestEvent::Done).await.unwrap(), RequestState::Done);
        assert!(matches!(s.step_request(&hotel, site, food, RequestEvent::Done).await, Err(StoreError::Conflict(_))));
        assert_eq!(
            s.step_request(&foreign, site, translation.id, RequestEvent::Done).await.unwrap(),
            RequestState::Done
        );
        assert!(s.site_requests(&hotel, site).await.unwrap().is_empty(), "{}: done is off the list", db.engine);
        assert_eq!(s.own_requests(&tokens[0]).await.unwrap()[1].state, "done");
        assert_eq!(s.site_dashboard(&manager, site).await.unwrap().open_requests, Some(2));

        // Another site: nothing, whatever the ids.
        let elsewhere = quarantine_site(s, "松北宾馆隔离点", 2).await;
        let theirs = user(s, "sb-manager", Role::SiteManager, "site:松北宾馆隔离点").await;
        assert!(matches!(s.site_requests(&theirs, site).await, Err(StoreError::NotFound)), "{}", db.engine);
        assert!(matches!(
            s.step_request(&theirs, site, medicine.id, RequestEvent::Done).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            s.step_request(&theirs, elsewhere, medicine.id, RequestEvent::Done).await,
            Err(StoreError::NotFound)
        ));
        assert!(s.site_requests(&theirs, elsewhere).await.unwrap().is_empty());
        let nobody = "0123456789abcdef0123456789abcdef";
        let lost = s.make_request(nobody, RequestKind::Food, &text("x"), &client("4")).await;
        assert!(matches!(lost, Err(StoreError::NotFound)), "{}", db.engine);
    }
}

//! The resident import and lists built for a city, on a small generated roll
//! (20,000 residents in two compounds of two streets): counts, the same file
//! again, changes audited one by one and nothing else, and keyset paging
//! checked against the simplest reference there is — the whole list walked
//! page by page, filtered by hand.

use cordon_domain::Actor;
use cordon_domain::residents::SpecialGroup;
use cordon_store::audit::AuditFilter;
use cordon_store::imports::{Body, ImportKind, ImportProgress, ImportSummary, Upload};
use cordon_store::residents::{Resident, ResidentFilter};
use cordon_store::sheets::SheetFormat;
use cordon_store::test_support::{compound_id, engines, resident_id, seed};
use cordon_store::{Keyset, PageRequest, Store};

const ROWS: u32 = 20_000;

fn none(_: &ImportProgress) {}

fn system() -> &'static Actor {
    static SYSTEM: std::sync::OnceLock<Actor> = std::sync::OnceLock::new();
    SYSTEM.get_or_init(Actor::system)
}

fn everyone() -> &'static ResidentFilter {
    static ALL: std::sync::OnceLock<ResidentFilter> = std::sync::OnceLock::new();
    ALL.get_or_init(ResidentFilter::default)
}

/// The roll: every third person in 乙小区 (another street), every seventh on dialysis;
/// `changed` people get another phone, tag or building.
fn roll(changed: &[u32]) -> Vec<u8> {
    let mut csv = String::from("街道,社区,小区,楼栋,单元,房号,姓名,身份证号,手机号,标签\n");
    for n in 0..ROWS {
        // A changed person of 甲小区 moves to 乙小区.
        let (street, community, compound) = if n % 3 == 0 || changed.contains(&n) {
            ("大有坊街道", "新一社区", "乙小区")
        } else {
            ("仁里街道", "民强社区", "甲小区")
        };
        let building = if changed.contains(&n) { 99 } else { n % 17 + 1 };
        let tag = if n % 7 == 0 { "透析" } else { "" };
        let phone = if changed.contains(&n) { "13900000000" } else { "" };
        csv.push_str(&format!(
            "{street},{community},{compound},{building}号楼,{}单元,{},居民{n},{},{phone},{tag}\n",
            n % 3 + 1,
            n % 400 + 101,
            resident_id(n + 100_000)
        ));
    }
    csv.into_bytes()
}

async fn import(s: &Store, bytes: &[u8]) -> ImportSummary {
    let file = Upload { name: "全区名册.csv", body: Body::Bytes(bytes), format: SheetFormat::Csv };
    s.import_file(system(), ImportKind::Residents, file, &none).await.unwrap()
}

/// Every resident the filter matches, walked forwards page by page.
async fn walk(s: &Store, filter: &ResidentFilter, per_page: i64) -> Vec<Resident> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let slice = s.residents(system(), filter, Keyset::new(after, None, Some(per_page)), Default::default());
        let slice = slice.await.unwrap();
        all.extend(slice.items);
        match slice.next {
            Some(next) => after = Some(next.parse().unwrap()),
            None => return all,
        }
    }
}

/// The total a list of residents on dialysis shows, and whether it is a lower bound.
async fn dialysis_total(s: &Store, place_id: Option<i64>) -> (i64, bool) {
    let filter = ResidentFilter { tag: Some(SpecialGroup::Dialysis), place_id, ..Default::default() };
    let slice = s.residents(system(), &filter, Keyset::new(None, None, Some(10)), Default::default()).await.unwrap();
    (slice.total, slice.total_capped)
}

async fn audit_count(s: &Store, entity: &str) -> i64 {
    let filter = AuditFilter { entity: Some(entity.into()), ..Default::default() };
    s.audit_entries(system(), &filter, PageRequest::new(None, Some(1))).await.unwrap().total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_roll_of_twenty_thousand_imports_once_pages_by_keyset_and_audits_only_what_changed() {
    for db in engines().await {
        let s = &db.store;
        seed(s).await.unwrap();
        let e = db.engine;
        let residents_logged = audit_count(s, "resident").await;
        let imports_logged = audit_count(s, "import").await;

        assert_eq!(import(s, &roll(&[])).await, ImportSummary { imported: 20_000, updated: 0, unchanged: 0 }, "{e}");
        assert_eq!(audit_count(s, "resident").await, residents_logged, "{e}: no audit entry per new resident");
        assert_eq!(audit_count(s, "import").await, imports_logged + 1, "{e}: one entry for the import");

        // The whole list, forwards in pages of 500 and of 7, and backwards.
        let all = walk(s, everyone(), 500).await;
        assert_eq!(all.len(), 20_004, "{e}: the roll and the fixture's four");
        let ids: Vec<i64> = all.iter().map(|r| r.id).collect();
        let mut distinct = ids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), ids.len(), "{e}: nobody twice");
        let small = walk(s, &ResidentFilter { place_id: None, ..Default::default() }, 7).await;
        assert_eq!(small.iter().map(|r| r.id).collect::<Vec<_>>(), ids, "{e}: the page size changes nothing");
        let mut back = Vec::new();
        let mut before = Some(*ids.last().unwrap());
        back.push(*ids.last().unwrap());
        while let Some(b) = before {
            let slice = s.residents(system(), everyone(), Keyset::new(None, Some(b), Some(333)), Default::default());
            let slice = slice.await.unwrap();
            back.splice(0..0, slice.items.iter().map(|r| r.id));
            before = slice.prev.map(|p| p.parse().unwrap());
        }
        assert_eq!(back, ids, "{e}: backwards from the last row gives the same list");
        let first = s.residents(system(), everyone(), Keyset::new(None, None, Some(50)), Default::default());
        let first = first.await.unwrap();
        assert_eq!((first.total, first.total_capped, first.prev.is_none()), (20_004, false, true), "{e}");

        // A place and a special group: the whole list filtered by hand, in the same order.
        let yi = compound_id(s, "乙小区").await;
        let in_yi = walk(s, &ResidentFilter { place_id: Some(yi), ..Default::default() }, 500).await;
        let expected: Vec<i64> = all.iter().filter(|r| r.address.starts_with("乙小区")).map(|r| r.id).collect();
        assert_eq!(in_yi.iter().map(|r| r.id).collect::<Vec<_>>(), expected, "{e}: 乙小区");
        assert_eq!(s.place(system(), yi).await.unwrap().residents, expected.len() as i64, "{e}: kept count");
        let dialysis = ResidentFilter { tag: Some(SpecialGroup::Dialysis), ..Default::default() };
        let on_dialysis = walk(s, &dialysis, 100).await;
        let expected: Vec<i64> =
            all.iter().filter(|r| r.tags.contains(&SpecialGroup::Dialysis)).map(|r| r.id).collect();
        assert!(expected.len() >= 2_858, "{e}: every seventh of the roll at least");
        assert_eq!(on_dialysis.iter().map(|r| r.id).collect::<Vec<_>>(), expected, "{e}: 透析");
        // Its total is the kept count, exact past the cap of a search, in the city and in a compound.
        assert_eq!(dialysis_total(s, None).await, (expected.len() as i64, false), "{e}: the city's 透析");
        let in_yi_on_dialysis = on_dialysis.iter().filter(|r| r.address.starts_with("乙小区")).count() as i64;
        assert_eq!(dialysis_total(s, Some(yi)).await, (in_yi_on_dialysis, false), "{e}: 乙小区's 透析");

        // Names starting with the search, in name order.
        let named = walk(s, &ResidentFilter { q: Some("居民19".into()), ..Default::default() }, 100).await;
        let mut expected: Vec<(String, i64)> =
            all.iter().filter(|r| r.name.starts_with("居民19")).map(|r| (r.name.clone(), r.id)).collect();
        expected.sort();
        assert_eq!(named.iter().map(|r| (r.name.clone(), r.id)).collect::<Vec<_>>(), expected, "{e}: 居民19…");

        // The same file again changes nothing; three changed people are three audit entries.
        assert_eq!(import(s, &roll(&[])).await, ImportSummary { imported: 0, updated: 0, unchanged: 20_000 }, "{e}");
        assert_eq!(audit_count(s, "resident").await, residents_logged, "{e}");
        let moved = [5, 6, 9];
        assert_eq!(import(s, &roll(&moved)).await, ImportSummary { imported: 0, updated: 3, unchanged: 19_997 }, "{e}");
        assert_eq!(audit_count(s, "resident").await, residents_logged + 3, "{e}: one entry per changed resident");
        assert_eq!(audit_count(s, "import").await, imports_logged + 3, "{e}");
        let after = walk(s, everyone(), 500).await;
        assert_eq!(after.len(), 20_004, "{e}");
        let person = after.iter().find(|r| r.name == "居民9").unwrap();
        assert!(person.address.starts_with("乙小区 99号楼"), "{e}: {}", person.address);
        assert!(person.phone_masked.is_some(), "{e}: the new phone");
        // 居民5 moved from 甲小区 to 乙小区; 居民6 and 居民9 only to another building of it.
        let jia = compound_id(s, "甲小区").await;
        assert_eq!(s.place(system(), yi).await.unwrap().residents, in_yi.len() as i64 + 1, "{e}: 乙小区 kept count");
        let in_jia = walk(s, &ResidentFilter { place_id: Some(jia), ..Default::default() }, 500).await;
        assert_eq!(s.place(system(), jia).await.unwrap().residents, in_jia.len() as i64, "{e}: 甲小区 kept count");
        assert_eq!(in_jia.len() + in_yi.len() + 1, 20_004, "{e}");
        // Every building's kept count, against the list walked by hand.
        let buildings = s.place_children(system(), yi, None, PageRequest::new(None, Some(500))).await.unwrap();
        assert_eq!(buildings.items.len(), 18, "{e}: 1号楼…17号楼 and 99号楼");
        let now_in_yi = walk(s, &ResidentFilter { place_id: Some(yi), ..Default::default() }, 500).await;
        for b in &buildings.items {
            let prefix = format!("乙小区 {}-", b.name);
            let listed = now_in_yi.iter().filter(|r| r.address.starts_with(&prefix)).count();
            assert_eq!(b.residents, listed as i64, "{e}: {}", b.name);
        }
        assert_eq!(buildings.items.iter().find(|b| b.name == "99号楼").unwrap().residents, 3, "{e}: 居民5, 6 and 9");
        // 居民7, on dialysis, moves from 甲小区 to 乙小区: the kept counts of both follow,
        // and a building's (not kept) is counted.
        import(s, &roll(&[7])).await;
        let after = walk(s, &dialysis, 500).await;
        for (compound, name) in [(jia, "甲小区"), (yi, "乙小区")] {
            let listed = after.iter().filter(|r| r.address.starts_with(name)).count() as i64;
            assert_eq!(dialysis_total(s, Some(compound)).await, (listed, false), "{e}: {name}'s 透析 after the move");
        }
        assert_eq!(in_yi_on_dialysis + 1, after.iter().filter(|r| r.address.starts_with("乙小区")).count() as i64);
        let b99 = s.place_children(system(), yi, None, PageRequest::new(None, Some(500))).await.unwrap();
        let b99 = b99.items.iter().find(|b| b.name == "99号楼").unwrap().id;
        assert_eq!(dialysis_total(s, Some(b99)).await, (1, false), "{e}: 居民7 in 99号楼");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_roll_into_an_empty_table_is_written_whole_and_its_indexes_hold_after() {
    for db in engines().await {
        let s = &db.store;
        let e = db.engine;
        let places = cordon_store::test_support::sheet(
            &["市", "区", "街道", "社区", "小区", "卡口"],
            &[
                &["哈尔滨市", "道外区", "仁里街道", "民强社区", "甲小区", "东门"],
                &["哈尔滨市", "道外区", "大有坊街道", "新一社区", "乙小区", ""],
            ],
        );
        s.import(system(), ImportKind::Places, &places, &none).await.unwrap();
        assert_eq!(import(s, &roll(&[])).await, ImportSummary { imported: 20_000, updated: 0, unchanged: 0 }, "{e}");
        let all = walk(s, everyone(), 500).await;
        assert_eq!(all.len(), 20_000, "{e}");
        let named = walk(s, &ResidentFilter { q: Some("居民1999".into()), ..Default::default() }, 50).await;
        assert_eq!(named.len(), 11, "{e}: 居民1999 and 居民19990…19999");
        // The rules set aside for the load are back: the ID number is unique, a household must exist.
        let copy = "INSERT INTO residents (household_id, name, id_number, birth_date, sex, phone, tags, path) \
                    SELECT household_id, 'x', id_number, birth_date, sex, phone, tags, path FROM residents";
        assert!(s.execute_raw(&format!("{copy} LIMIT 1")).await.is_err(), "{e}: a second person of one ID number");
        let homeless = copy.replace("household_id, 'x', id_number", "-1, 'x', '23010419600101999X'");
        assert!(s.execute_raw(&format!("{homeless} LIMIT 1")).await.is_err(), "{e}: a person of no household");
        // The ID number's uniqueness is back: the same file again finds every row on file.
        assert_eq!(import(s, &roll(&[])).await, ImportSummary { imported: 0, updated: 0, unchanged: 20_000 }, "{e}");
        assert_eq!(import(s, &roll(&[7])).await, ImportSummary { imported: 0, updated: 1, unchanged: 19_999 }, "{e}");
        let one = s
            .residents(
                system(),
                &ResidentFilter { q: Some(resident_id(100_007)), ..Default::default() },
                Keyset::new(None, None, None),
                Default::default(),
            )
            .await
            .unwrap();
        assert_eq!(one.items.len(), 1, "{e}: a look-up by ID number finds the one person");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_files_naming_the_same_new_people_imported_at_once_both_land_and_count_them_once() {
    for db in engines().await {
        let s = &db.store;
        let e = db.engine;
        seed(s).await.unwrap();
        // Two rolls of 30,000 that share 10,000 people, sent at the same instant, twice over;
        // after the first round every household exists, so nothing but the people can make them wait.
        let file = |first: u32| {
            let mut csv = String::from("街道,社区,小区,楼栋,单元,房号,姓名,身份证号,标签\n");
            for n in first..first + 30_000 {
                csv.push_str(&format!(
                    "仁里街道,民强社区,甲小区,{}号楼,1单元,{},并发{n},{},{}\n",
                    n % 3 + 1,
                    n % 100 + 1,
                    resident_id(n + 500_000),
                    if n % 7 == 0 { "透析" } else { "" }
                ));
            }
            csv.into_bytes()
        };
        for round in 0..2u32 {
            let base = round * 100_000;
            let (a, b) = (file(base), file(base + 20_000));
            let (ra, rb) = tokio::join!(
                tokio::spawn({
                    let (s, a) = (s.clone(), a.clone());
                    async move {
                        s.import_file(
                            system(),
                            ImportKind::Residents,
                            Upload { name: "甲.csv", body: Body::Bytes(&a), format: SheetFormat::Csv },
                            &none,
                        )
                        .await
                    }
                }),
                tokio::spawn({
                    let (s, b) = (s.clone(), b.clone());
                    async move {
                        s.import_file(
                            system(),
                            ImportKind::Residents,
                            Upload { name: "乙.csv", body: Body::Bytes(&b), format: SheetFormat::Csv },
                            &none,
                        )
                        .await
                    }
                }),
            );
            let (ra, rb) = (
                ra.unwrap().unwrap_or_else(|err| panic!("{e}: {err:?}")),
                rb.unwrap().unwrap_or_else(|err| panic!("{e}: {err:?}")),
            );
            // Whichever went first imported 3,000; the other found the shared 1,000 on file.
            assert_eq!(ra.imported + rb.imported, 50_000, "{e} round {round}: {ra:?} {rb:?}");
            assert_eq!(ra.unchanged + rb.unchanged, 10_000, "{e} round {round}");
        }
        let jia = compound_id(s, "甲小区").await;
        let listed = walk(s, &ResidentFilter { place_id: Some(jia), ..Default::default() }, 500).await;
        assert_eq!(s.place(system(), jia).await.unwrap().residents, listed.len() as i64, "{e}: the kept count");
        // Each import counted the special groups again after the other's rows: the kept totals are the people's.
        let on_dialysis = listed.iter().filter(|r| r.tags.contains(&SpecialGroup::Dialysis)).count() as i64;
        assert!(on_dialysis > 1000, "{e}: {on_dialysis}");
        assert_eq!(dialysis_total(s, Some(jia)).await, (on_dialysis, false), "{e}: the compound's kept total");
        assert_eq!(dialysis_total(s, None).await, (on_dialysis, false), "{e}: the city's kept total");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_first_rolls_into_an_empty_table_at_once_both_land_and_the_rules_hold_after() {
    for db in engines().await {
        let (s, e) = (&db.store, db.engine);
        let places = cordon_store::test_support::sheet(
            &["市", "区", "街道", "社区", "小区", "卡口"],
            &[&["哈尔滨市", "道外区", "仁里街道", "民强社区", "甲小区", "东门"]],
        );
        s.import(system(), ImportKind::Places, &places, &none).await.unwrap();
        // Two rolls of 15,000 that share 5,000 people, into a roll with nobody in it yet.
        let file = |first: u32| {
            let mut csv = String::from("街道,社区,小区,楼栋,单元,房号,姓名,身份证号\n");
            for n in first..first + 15_000 {
                let id = resident_id(n + 700_000);
                csv.push_str(&format!(
                    "仁里街道,民强社区,甲小区,{}号楼,1单元,{},首批{n},{id}\n",
                    n % 3 + 1,
                    n % 100 + 1
                ));
            }
            csv.into_bytes()
        };
        let (a, b) = (file(0), file(10_000));
        let one = |bytes: Vec<u8>| {
            let s = s.clone();
            tokio::spawn(async move { import(&s, &bytes).await })
        };
        let (ra, rb) = tokio::join!(one(a), one(b));
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        assert_eq!(ra.imported + rb.imported, 25_000, "{e}: every person once, {ra:?} {rb:?}");
        assert_eq!(ra.unchanged + rb.unchanged, 5_000, "{e}: the shared ones found by the second");
        assert_eq!(walk(s, everyone(), 1000).await.len(), 25_000, "{e}");
        let copy = "INSERT INTO residents (household_id, name, id_number, birth_date, sex, phone, tags, path) \
                    SELECT household_id, 'x', id_number, birth_date, sex, phone, tags, path FROM residents LIMIT 1";
        assert!(s.execute_raw(copy).await.is_err(), "{e}: the ID number is unique again");
    }
}

/// A place's residents are the range of paths below it, and a path compares
/// byte-wise only if its column says so: under a server's language rules
/// that pass over punctuation (glibc's en_US.UTF-8, the default of many
/// servers; ICU's "shifted" here, as this machine has no such locale),
/// "/1/2/3/" sorted outside "/1/2/"'s range and "/12/" inside it. A
/// compound's list was then empty and a scope could hold another's people.
#[tokio::test]
async fn a_place_holds_its_residents_whatever_the_servers_language_rules() {
    let Some(db) = cordon_store::test_support::postgres_created_with(
        "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US-u-ka-shifted' LOCALE 'C.UTF-8'",
    )
    .await
    else {
        return;
    };
    let s = &db.store;
    seed(s).await.unwrap();
    import(s, &roll(&[])).await;
    let all = walk(s, everyone(), 1000).await;
    assert_eq!(all.len(), 20_004, "the roll and the fixture's four");
    for compound in ["甲小区", "乙小区"] {
        let id = compound_id(s, compound).await;
        let listed = walk(s, &ResidentFilter { place_id: Some(id), ..Default::default() }, 500).await;
        let expected: Vec<i64> = all.iter().filter(|r| r.address.starts_with(compound)).map(|r| r.id).collect();
        assert!(expected.len() > 6_000, "{compound}: {}", expected.len());
        assert_eq!(listed.len(), expected.len(), "{compound}: how many are listed");
        assert!(listed.iter().map(|r| r.id).eq(expected.iter().copied()), "{compound}: the same people in order");
        let tagged = ResidentFilter { place_id: Some(id), tag: Some(SpecialGroup::Dialysis), ..Default::default() };
        let on_dialysis = walk(s, &tagged, 500).await;
        let expected_tagged =
            all.iter().filter(|r| r.address.starts_with(compound) && r.tags.contains(&SpecialGroup::Dialysis)).count();
        assert_eq!(on_dialysis.len(), expected_tagged, "{compound}: 透析");
    }
}

/// Every place of the tree, read through the store from the top down.
async fn whole_tree(s: &Store) -> Vec<cordon_store::places::Place> {
    let mut all = s.place_roots(system()).await.unwrap();
    let mut next = 0;
    while next < all.len() {
        let parent = all[next].id;
        next += 1;
        for page in 1.. {
            let children = s.place_children(system(), parent, None, PageRequest::new(Some(page), Some(500))).await;
            let children = children.unwrap();
            let last = (page * 500) >= children.total;
            all.extend(children.items);
            if last {
                break;
            }
        }
    }
    all
}

/// A roll of `people`: (n, compound, building, entrance, room).
fn people(people: &[(u32, &str, u32, u32, u32)]) -> Vec<u8> {
    let mut csv = String::from("街道,社区,小区,楼栋,单元,房号,姓名,身份证号,手机号,标签\n");
    for &(n, compound, building, entrance, room) in people {
        let (street, community) = if compound == "甲小区" {
            ("仁里街道", "民强社区")
        } else {
            ("大有坊街道", "新一社区")
        };
        csv.push_str(&format!(
            "{street},{community},{compound},{building}号楼,{entrance}单元,{room},居民{n},{},,\n",
            resident_id(n + 200_000)
        ));
    }
    csv.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_place_keeps_the_count_of_its_residents_as_a_roll_grows_into_new_and_old_places_and_people_move() {
    for db in engines().await {
        let s = &db.store;
        let e = db.engine;
        seed(s).await.unwrap();
        let seeded = walk(s, everyone(), 500).await.len();
        let first: Vec<_> = (0..300).map(|n| (n, "甲小区", n % 3 + 1, n % 2 + 1, 101 + n % 10)).collect();
        import(s, &people(&first)).await;
        let mut second = first.clone();
        for p in second.iter_mut() {
            match p.0 {
                // Into new rooms of entrances on file, and into households on file.
                0..10 => p.4 = 111,
                10..20 => (p.2, p.3, p.4) = (1, 1, 101),
                // Into a new building of another compound.
                20..25 => (p.1, p.2, p.3, p.4) = ("乙小区", 1, 1, 101),
                _ => {}
            }
        }
        // Newcomers: a new room, a new entrance of a building on file, a new building, households on file.
        second.extend((300..310).map(|n| (n, "甲小区", 2, 1, 112)));
        second.extend((310..320).map(|n| (n, "甲小区", 3, 3, 101)));
        second.extend((320..330).map(|n| (n, "甲小区", 9, 1, 101)));
        second.extend((330..340).map(|n| (n, "甲小区", 1, 2, 101)));
        let summary = import(s, &people(&second)).await;
        assert_eq!((summary.imported, summary.updated, summary.unchanged), (40, 25, 275), "{e}");
        let tree = whole_tree(s).await;
        let by_id: std::collections::HashMap<i64, &cordon_store::places::Place> =
            tree.iter().map(|p| (p.id, p)).collect();
        // The reference: each resident counted in their household and every place above it.
        let mut expected: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
        let residents = walk(s, everyone(), 500).await;
        assert_eq!(residents.len(), seeded + 340, "{e}");
        for r in &residents {
            for id in by_id[&r.household_id].path.as_str().split('/').filter_map(|s| s.parse::<i64>().ok()) {
                *expected.entry(id).or_default() += 1;
            }
        }
        let wrong: Vec<String> = tree
            .iter()
            .filter(|p| p.residents != expected.get(&p.id).copied().unwrap_or(0))
            .map(|p| {
                format!(
                    "{} {}: kept {}, lives {}",
                    p.kind.as_str(),
                    p.name,
                    p.residents,
                    expected.get(&p.id).copied().unwrap_or(0)
                )
            })
            .collect();
        assert!(wrong.is_empty(), "{e}: {wrong:?}");
        assert!(tree.iter().any(|p| p.name == "9号楼"), "{e}: the new building is in the tree");
    }
}

//! Quarantine sites over HTTP on both engines: the command's list and a
//! site's page on day 4 of a 7+7 stay (birthdays and releases of today and
//! tomorrow, tests due), a batch's people with masked passports, the timeline
//! download, and what each account may open: the hotel group no people, the
//! information group no full passports, another site nothing at all; a
//! person's own health check and requests in Russian, and who sees them.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use cordon_domain::Actor;
use cordon_domain::Role;
use cordon_domain::clock::FixedClock;
use cordon_domain::quarantine::site::Group;
use cordon_store::sheets::{SheetFormat, read_sheet};
use cordon_store::test_support::{arrival_batch, engines, manifest_csv, quarantine_site, user};
use reqwest::StatusCode;

mod common;

use common::{App, spawn_app_on};

const SITE: &str = "卓林酒店隔离点";

/// An active hotel of 10 rooms with a batch of 6 people checked in, a second
/// site, and an account of each kind; the clock on 20 September 2026 (day 4:
/// person 0's birthday, 20 September, is today).
async fn fixture() -> Vec<(App, i64, i64, i64)> {
    fixture_at(Utc.with_ymd_and_hms(2026, 9, 20, 2, 0, 0).unwrap()).await
}

/// The same fixture with the clock at another instant.
async fn fixture_at(now: chrono::DateTime<Utc>) -> Vec<(App, i64, i64, i64)> {
    let mut out = Vec::new();
    for mut db in engines().await {
        db.store = db.store.with_clock(Arc::new(FixedClock::at(now)));
        let s = &db.store;
        let system = Actor::system();
        let site = quarantine_site(s, SITE, 10).await;
        let other = quarantine_site(s, "松北宾馆隔离点", 3).await;
        let batch = arrival_batch(s, site, "CH-0916").await;
        let sheet = read_sheet(&manifest_csv(6), SheetFormat::Csv).unwrap();
        s.import_manifest(&system, &batch, &sheet, &|_| {}).await.unwrap();
        s.check_in(&system, &batch, &[]).await.unwrap();
        user(s, "zl-manager", Role::SiteManager, &format!("site:{SITE}")).await;
        for (name, group) in [
            ("zl-hotel", Group::Hotel),
            ("zl-info", Group::Information),
            ("zl-medical", Group::Medical),
            ("zl-foreign", Group::ForeignAffairs),
        ] {
            user(s, name, Role::SiteGroup, &format!("site:{SITE}")).await;
            s.set_site_group(&system, name, group).await.unwrap();
        }
        user(s, "sb-manager", Role::SiteManager, "site:松北宾馆隔离点").await;
        let app = spawn_app_on(db).await;
        out.push((app, site, other, batch.id));
    }
    out
}

async fn status(app: &App, c: &reqwest::Client, path: &str) -> StatusCode {
    c.get(app.url(path)).send().await.unwrap().status()
}

#[tokio::test]
async fn the_command_sees_every_site_and_a_sites_page_shows_todays_birthdays_and_tests() {
    for (app, site, other, batch) in fixture().await {
        let engine = app.db.engine;
        let cmd = app.login("cmd").await;
        let list = app.page(&cmd, "/quarantine").await;
        assert!(list.contains(SITE) && list.contains("松北宾馆隔离点"), "{engine}: {list}");
        assert!(list.contains(&format!("/quarantine/sites/{other}")));
        // Every site on one page, in numbers: day 4, three test days without results for six people.
        assert!(list.contains("18 结果缺失") && list.contains("2 今明两日生日"), "{engine}: {list}");
        let page = app.page(&cmd, &format!("/quarantine/sites/{site}")).await;
        // 7+7 from the 16th: the 20th is day 4, not a test day (1, 2, 3, 5, 7); people 0 and 4 were born on 20 September.
        assert!(page.contains("2026-09-20"), "{engine}: {page}");
        let birthdays = page.split("id=\"birthdays\"").nth(1).unwrap().split("</ul>").next().unwrap();
        assert_eq!(birthdays.matches("<li").count(), 2, "{engine}: {birthdays}");
        assert!(page.contains(&format!("/quarantine/batches/{batch}")));
        let people = app.page(&cmd, &format!("/quarantine/batches/{batch}")).await;
        assert!(people.contains("Иванова Анна") && people.contains("2026-09-23"), "{engine}: {people}");
        assert!(!people.contains("751000000"), "{engine}: passports are masked on the page");
        assert!(people.contains("*****0000"), "{engine}");
        // The timeline as a file, masked; the command may reveal.
        let csv = cmd.get(app.url(&format!("/quarantine/batches/{batch}/timeline?format=csv"))).send().await.unwrap();
        assert_eq!(csv.status(), StatusCode::OK);
        assert!(csv.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
        let text = csv.text().await.unwrap();
        assert!(text.contains("居家监测结束 home_end") && !text.contains("751000000"), "{engine}: {text}");
        // Full passports only by the page's form (its CSRF token), never by a link.
        let link = app.page(&cmd, &format!("/quarantine/batches/{batch}/timeline?format=csv&reveal=true")).await;
        assert!(!link.contains("751000000"), "{engine}");
        let csrf = app.csrf(&cmd, &format!("/quarantine/batches/{batch}")).await;
        let path = format!("/quarantine/batches/{batch}/timeline");
        let full = app.post_form(&cmd, &path, &format!("csrf={csrf}&format=csv")).await.text().await.unwrap();
        assert!(full.contains("751000000"), "{engine}: {full}");
        let forged = app.post_form(&cmd, &path, "format=csv").await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "{engine}: no token, no file");
        assert_eq!(status(&app, &cmd, &format!("/quarantine/batches/{batch}/timeline?format=pdf")).await, 422);

        // The API answers the same, under the same rules.
        let token = app.db.store.create_token("cmd").await.unwrap();
        let sites = app.api_json(&token, "/api/v1/quarantine/sites").await;
        assert_eq!(sites.as_array().unwrap().len(), 2, "{engine}: {sites}");
        let ours = sites.as_array().unwrap().iter().find(|s| s["site"]["id"] == site).unwrap();
        assert_eq!(
            (ours["glance"]["missing_results"].as_i64(), ours["glance"]["birthdays"].as_i64()),
            (Some(18), Some(2))
        );
        let d = app.api_json(&token, &format!("/api/v1/quarantine/sites/{site}")).await;
        assert_eq!(d["rooms"]["total"], 10, "{engine}: {d}");
        assert_eq!(d["batches"][0]["in_rooms"], 6);
        assert_eq!(d["tests_due_today"], 0);
        // Day 4: days 1, 2 and 3 were test days and nobody has a result: 6 people x 3 days flagged.
        assert_eq!(d["missing_results"].as_array().unwrap().len(), 18, "{engine}: {}", d["missing_results"]);
        assert_eq!(d["due_today"].as_array().unwrap().len(), 0);
        let stays = app.api_json(&token, &format!("/api/v1/quarantine/batches/{batch}/stays")).await;
        assert_eq!(stays.as_array().unwrap().len(), 6);
        assert_eq!(stays[0]["onsite_end"], "2026-09-23", "{engine}: {stays}");
        let results = app.url(&format!("/api/v1/quarantine/batches/{batch}/results"));
        let body = serde_json::json!({"passport": "751000003", "day": "2026-09-19", "result": "阳性"});
        let res = common::api().post(&results).bearer_auth(&token).json(&body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{engine}");
        let recorded: serde_json::Value = res.json().await.unwrap();
        assert!(recorded["written"] == true && recorded["transfer"].is_i64(), "{engine}: {recorded}");
        let conflicting = serde_json::json!({"passport": "751000003", "day": "2026-09-19", "result": "negative"});
        let res = common::api().post(&results).bearer_auth(&token).json(&conflicting).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CONFLICT, "{engine}");
        // An extension by the API: the close contact's last on-site day moves a week.
        let extend = app.url(&format!("/api/v1/quarantine/batches/{batch}/extensions"));
        let body = serde_json::json!({"passport": "751000004", "days": 7, "reason": "close-contact"});
        let res = common::api().post(&extend).bearer_auth(&token).json(&body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{engine}");
        assert_eq!(res.json::<serde_json::Value>().await.unwrap(), "2026-09-30", "{engine}");
        let body = serde_json::json!({"passport": "751000004", "days": 7, "reason": "positive-roommate"});
        let res = common::api().post(&extend).bearer_auth(&token).json(&body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}: given by results only");
        let listed = app.api_json(&token, &format!("/api/v1/quarantine/batches/{batch}/results")).await;
        assert_eq!(listed.as_array().unwrap().len(), 1, "{engine}: {listed}");
        let d = app.api_json(&token, &format!("/api/v1/quarantine/sites/{site}")).await;
        assert_eq!(d["missing_results"].as_array().unwrap().len(), 17, "{engine}: one result came in");
        let page = app.page(&cmd, &format!("/quarantine/sites/{site}")).await;
        assert!(page.contains("阳性") && page.contains("转运中"), "{engine}");
        // The transfer, step by step: departure from the page, hand-over by the API, a follow-up from the page.
        let part = page.split("id=\"transfers\"").nth(1).unwrap().split("</ul>").next().unwrap().to_string();
        let step = part.split("action=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        assert!(step.starts_with(&format!("/quarantine/sites/{site}/transfers/")), "{engine}: {part}");
        let csrf = common::csrf_of(&page);
        let no_hospital = format!("csrf={csrf}&event=depart&vehicle=120&escorts=%E7%8E%8B%E5%8C%BB%E7%94%9F");
        assert_eq!(app.post_form(&cmd, &step, &no_hospital).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let depart = format!(
            "csrf={csrf}&event=depart&hospital=%E5%93%88%E5%B0%94%E6%BB%A8%E5%B8%82%E7%AC%AC%E5%85%AD%E5%8C%BB%E9%99%A2\
             &vehicle=%E9%BB%91A120&escorts=%E7%8E%8B%E5%8C%BB%E7%94%9F%E3%80%81%E6%9D%8E%E8%AD%A6%E5%AE%98"
        );
        assert_eq!(app.post_form(&cmd, &step, &depart).await.status(), StatusCode::SEE_OTHER, "{engine}");
        let page = app.page(&cmd, &format!("/quarantine/sites/{site}")).await;
        assert!(page.contains("哈尔滨市第六医院") && page.contains("王医生, 李警官"), "{engine}");
        let api_step = app.url(&format!("/api{}", step.replacen("/quarantine", "/v1/quarantine", 1)));
        let hand_over = || async {
            let body = serde_json::json!({"event": "hand-over"});
            common::api().post(&api_step).bearer_auth(&token).json(&body).send().await.unwrap()
        };
        let res = hand_over().await;
        assert_eq!(res.status(), StatusCode::OK, "{engine}: {api_step}");
        assert_eq!(res.json::<serde_json::Value>().await.unwrap(), "handed-over");
        let again = hand_over().await;
        assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}: a step that does not follow");
        let follow =
            format!("csrf={csrf}&event=follow-up&kind=institution&note=%E5%B7%B2%E9%80%9A%E7%9F%A5%E5%AD%A6%E6%A0%A1");
        assert_eq!(app.post_form(&cmd, &step, &follow).await.status(), StatusCode::SEE_OTHER, "{engine}");
        let page = app.page(&cmd, &format!("/quarantine/sites/{site}")).await;
        assert!(page.contains("已通知学校") && page.contains("联系高校"), "{engine}: the follow-up log");
        let transfers = app.api_json(&token, &format!("/api/v1/quarantine/sites/{site}/transfers")).await;
        assert_eq!(transfers[0]["state"], "followed-up", "{engine}: {transfers}");
        assert_eq!(transfers[0]["hospital"], "哈尔滨市第六医院");
        let elsewhere = step.replacen(&format!("/sites/{site}/"), &format!("/sites/{other}/"), 1);
        assert_eq!(app.post_form(&cmd, &elsewhere, &follow).await.status(), StatusCode::NOT_FOUND, "{engine}");
    }
}

#[tokio::test]
async fn each_site_account_opens_only_what_its_group_sees_and_never_another_site() {
    for (app, site, other, batch) in fixture().await {
        let engine = app.db.engine;
        let hotel = app.login("zl-hotel").await;
        // Its list is its one site.
        let res = hotel.get(app.url("/quarantine")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}");
        let page = app.page(&hotel, &format!("/quarantine/sites/{site}")).await;
        assert!(page.contains("id=\"rooms\"") && page.contains("id=\"birthdays\""), "{engine}: rooms and care");
        assert!(!page.contains(&format!("/quarantine/batches/{batch}")), "{engine}: no link to the people");
        assert!(!page.contains("id=\"releases\""), "{engine}");
        // Its care tasks: the halal meals of person 3, never the inhaler (a medical need).
        let care = page.split("id=\"care\"").nth(1).unwrap().split("</ul>").next().unwrap().to_string();
        assert!(care.contains("清真 halal") && !care.contains("哮喘"), "{engine}: {care}");
        let person = care.split("name=\"person\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let hotel_csrf = common::csrf_of(&page);
        let path = format!("/quarantine/sites/{site}/care");
        let tick = format!("csrf={hotel_csrf}&person={person}&kind=meals");
        assert_eq!(app.post_form(&hotel, &path, &tick).await.status(), StatusCode::SEE_OTHER, "{engine}");
        assert_eq!(
            app.post_form(&hotel, &path, &tick).await.status(),
            StatusCode::SEE_OTHER,
            "{engine}: twice is once"
        );
        let page_after = app.page(&hotel, &format!("/quarantine/sites/{site}")).await;
        assert!(!page_after.split("id=\"care\"").nth(1).unwrap().contains("name=\"kind\""), "{engine}: ticked off");
        let medical = format!("csrf={hotel_csrf}&person={person}&kind=medical");
        assert_eq!(app.post_form(&hotel, &path, &medical).await.status(), StatusCode::FORBIDDEN, "{engine}");
        for path in [format!("/quarantine/batches/{batch}"), format!("/quarantine/batches/{batch}/timeline?format=csv")]
        {
            assert_eq!(status(&app, &hotel, &path).await, StatusCode::FORBIDDEN, "{engine}: {path}");
        }
        for path in [format!("/quarantine/sites/{other}"), "/quarantine/batches/999999".to_string()] {
            assert_eq!(status(&app, &hotel, &path).await, StatusCode::NOT_FOUND, "{engine}: {path}");
        }
        let token = app.db.store.create_token("zl-hotel").await.unwrap();
        let res = common::api()
            .get(app.url(&format!("/api/v1/quarantine/batches/{batch}/stays")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{engine}");
        let res = common::api()
            .get(app.url(&format!("/api/v1/quarantine/batches/{batch}/results")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{engine}: the hotel group reads no test results");
        let d = app.api_json(&token, &format!("/api/v1/quarantine/sites/{site}")).await;
        assert!(d["tests_due_today"].is_null() && d["releases"].is_null(), "{engine}: {d}");
        assert!(d["positives"].is_null() && d["transfers_under_way"].is_null(), "{engine}: {d}");
        assert!(d["missing_results"].is_null() && d["due_today"].is_null(), "{engine}: {d}");

        // The information group sees the people, masked, and may not reveal.
        let info = app.login("zl-info").await;
        assert_eq!(status(&app, &info, &format!("/quarantine/batches/{batch}")).await, StatusCode::OK);
        let csrf = app.csrf(&info, &format!("/quarantine/batches/{batch}")).await;
        let path = format!("/quarantine/batches/{batch}/timeline");
        let res = app.post_form(&info, &path, &format!("csrf={csrf}&format=csv")).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{engine}");
        assert_eq!(status(&app, &info, &format!("/quarantine/batches/{batch}/timeline?format=csv")).await, 200);

        // Another site's manager: not found, by page or API, whatever the id.
        let theirs = app.login("sb-manager").await;
        for path in [format!("/quarantine/sites/{site}"), format!("/quarantine/batches/{batch}")] {
            assert_eq!(status(&app, &theirs, &path).await, StatusCode::NOT_FOUND, "{engine}: {path}");
        }
        let token = app.db.store.create_token("sb-manager").await.unwrap();
        let sites = app.api_json(&token, "/api/v1/quarantine/sites").await;
        assert_eq!(sites.as_array().unwrap().len(), 1, "{engine}: {sites}");
        assert_eq!(sites[0]["site"]["id"], other);
        // A squad member has no sites at all.
        let member = app.login("member-a").await;
        assert_eq!(status(&app, &member, "/quarantine").await, StatusCode::FORBIDDEN, "{engine}");
    }
}

#[tokio::test]
async fn a_room_card_opens_its_persons_own_page_in_russian_without_signing_in() {
    for (app, site, other, _) in fixture().await {
        let engine = app.db.engine;
        let hotel = app.login("zl-hotel").await;
        let path = format!("/quarantine/sites/{site}/cards");
        assert_eq!(status(&app, &hotel, &path).await, StatusCode::FORBIDDEN, "{engine}: a card opens people's dates");
        let info = app.login("zl-info").await;
        let cards = app.page(&info, &path).await;
        // Six people in five rooms (the pair of G1 shares 305): five cards, a QR each person.
        assert_eq!(cards.matches("class=\"room-card\"").count(), 5, "{engine}: {cards}");
        assert_eq!(cards.matches("<svg").count(), 6, "{engine}");
        assert!(cards.contains("Сканируйте"), "{engine}: the card speaks the person's language");
        let theirs = app.login("sb-manager").await;
        assert_eq!(status(&app, &theirs, &format!("/quarantine/sites/{site}/cards")).await, StatusCode::NOT_FOUND);
        assert_eq!(status(&app, &theirs, &format!("/quarantine/sites/{other}/cards")).await, StatusCode::OK);

        let room_cards = app.db.store.room_cards(&Actor::system(), site).await.unwrap();
        assert_eq!(room_cards.iter().map(|c| c.people.len()).sum::<usize>(), 6);
        // Room 305 has two beds: the pair of G1, person 0 (born on 20 September) first.
        let pair = room_cards.iter().find(|c| c.number == "305").unwrap();
        let tokens: Vec<String> = pair.people.iter().map(|p| p.token.clone()).collect();
        assert_eq!(tokens.len(), 2, "{engine}");
        let anyone = common::client();
        let own = anyone.get(app.url(&format!("/stay/{}", tokens[0]))).send().await.unwrap();
        assert_eq!(own.status(), StatusCode::OK, "{engine}: no sign-in");
        let page = own.text().await.unwrap();
        assert!(page.contains("lang=\"ru\""), "{engine}: {page}");
        assert!(page.contains("Иванова Анна") && page.contains("день 4"), "{engine}: {page}");
        assert!(page.contains("2026-09-23") && page.contains("2026-09-30"), "{engine}");
        assert!(page.contains("С днём рождения"), "{engine}: person 0 was born on 20 September");
        assert!(!page.contains("751000000") && !page.contains("+7"), "{engine}: no passport, no phone");
        let roommate = app.page(&anyone, &format!("/stay/{}", tokens[1])).await;
        assert!(roommate.contains("Петровна") && !roommate.contains("Сергеевна"), "{engine}: only one's own page");
        let english = app.page(&anyone, &format!("/stay/{}?lang=en", tokens[0])).await;
        assert!(english.contains("Next test") && english.contains("2026-09-21"), "{engine}: {english}");
        for bad in ["0123456789abcdef0123456789abcdef", "x", "%27%20OR%201=1"] {
            assert_eq!(status(&app, &anyone, &format!("/stay/{bad}")).await, StatusCode::NOT_FOUND, "{engine}: {bad}");
        }
    }
}

#[tokio::test]
async fn on_the_last_onsite_day_certificates_print_and_verify_and_a_release_hands_the_person_over() {
    use cordon_store::residents::Reveal;
    // 23 September, 10:00 in Harbin: the last on-site day of the 7+7 stay.
    for (app, site, other, batch) in fixture_at(Utc.with_ymd_and_hms(2026, 9, 23, 2, 0, 0).unwrap()).await {
        let engine = app.db.engine;
        let info = app.login("zl-info").await;
        let page = app.page(&info, &format!("/quarantine/batches/{batch}")).await;
        assert!(page.contains("id=\"issue-certificates\""), "{engine}: the information group issues");
        assert_eq!(page.matches("class=\"release\"").count(), 6, "{engine}: a release form a person");
        let csrf = common::csrf_of(&page);
        let issued =
            app.post_form(&info, &format!("/quarantine/batches/{batch}/certificates"), &format!("csrf={csrf}")).await;
        assert_eq!(issued.status(), StatusCode::SEE_OTHER, "{engine}");
        let to = issued.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(to, format!("/quarantine/batches/{batch}/certificates?issued=6&refused=0"), "{engine}");
        let print = app.page(&info, &to).await;
        assert_eq!(print.matches("<section class=\"certificate\">").count(), 6, "{engine}");
        assert!(print.contains("解除集中隔离证明") && print.contains("Справка об окончании обсервации"), "{engine}");
        assert!(print.contains("Q00") && print.contains("<svg"), "{engine}: numbered, with a QR code");
        assert!(!print.contains("751000000"), "{engine}: the passport is masked on the paper");
        // Today's certificates of the site are the same six.
        let today = app.page(&info, &format!("/quarantine/sites/{site}/certificates")).await;
        assert_eq!(today.matches("<section class=\"certificate\">").count(), 6, "{engine}");

        // The QR's page, opened by anyone: genuine; one character changed: not valid.
        let system = Actor::system();
        let b = app.db.store.batch(&system, batch).await.unwrap();
        let certs = app.db.store.certificates(&system, site, Some(&b), None).await.unwrap();
        let anyone = common::client();
        let code = &certs[0].code;
        let res = anyone.get(app.url(&format!("/v/{code}"))).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{engine}");
        let shown = res.text().await.unwrap();
        assert!(shown.contains("cert-valid") && shown.contains(&certs[0].text.name), "{engine}: {shown}");
        assert!(shown.contains("2026-09-23") && shown.contains(SITE), "{engine}");
        let mut changed = code.clone().into_bytes();
        changed[20] = if changed[20] == b'x' { b'y' } else { b'x' };
        let changed = String::from_utf8(changed).unwrap();
        let res = anyone.get(app.url(&format!("/v/{changed}"))).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{engine}");
        assert!(res.text().await.unwrap().contains("cert-invalid"), "{engine}");

        // The hotel group neither issues nor prints; the other site's manager finds nothing.
        let hotel = app.login("zl-hotel").await;
        let hotel_csrf = app.csrf(&hotel, &format!("/quarantine/sites/{site}")).await;
        let res = app
            .post_form(&hotel, &format!("/quarantine/batches/{batch}/certificates"), &format!("csrf={hotel_csrf}"))
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{engine}");
        assert_eq!(status(&app, &hotel, &format!("/quarantine/batches/{batch}/certificates")).await, 403);
        let theirs = app.login("sb-manager").await;
        assert_eq!(status(&app, &theirs, &format!("/quarantine/batches/{batch}/certificates")).await, 404);
        assert_eq!(status(&app, &theirs, &format!("/quarantine/sites/{site}/certificates")).await, 404);

        // The release form: without a receiver it says why; with one, the person leaves the room.
        let person = app.db.store.stays(&system, &b, Reveal::Masked).await.unwrap()[0].id;
        let path = format!("/quarantine/batches/{batch}/release");
        let empty =
            app.post_form(&info, &path, &format!("csrf={csrf}&person={person}&received_by=&transport=bus")).await;
        assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}");
        assert!(empty.text().await.unwrap().contains("接收人"), "{engine}: the message names what is missing");
        let body = format!(
            "csrf={csrf}&person={person}&received_by=%E7%8E%8B%E8%80%81%E5%B8%88&transport=%E5%AD%A6%E6%A0%A1%E4%B8%93%E8%BD%A6"
        );
        assert_eq!(app.post_form(&info, &path, &body).await.status(), StatusCode::SEE_OTHER, "{engine}");
        let page = app.page(&info, &format!("/quarantine/batches/{batch}")).await;
        assert_eq!(page.matches("class=\"release\"").count(), 5, "{engine}: released, no form");
        let site_page = app.page(&info, &format!("/quarantine/sites/{site}")).await;
        let at_home = site_page.split("id=\"at-home\"").nth(1).unwrap().split("</ul>").next().unwrap();
        assert!(at_home.contains("2026-09-30"), "{engine}: monitored at home until 30 September: {at_home}");
        // The command's site page: today's test (day 7) with a tap for each result.
        let cmd = app.login("cmd").await;
        let page = app.page(&cmd, &format!("/quarantine/sites/{site}")).await;
        let due = page.split("id=\"due\"").nth(1).unwrap().split("</ul>").next().unwrap().to_string();
        assert_eq!(due.matches("class=\"result\"").count(), 5, "{engine}: five left on site to test: {due}");
        let first = due.split("name=\"person\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let cmd_csrf = common::csrf_of(&page);
        let results = format!("/quarantine/sites/{site}/results");
        let tap = format!("csrf={cmd_csrf}&person={first}&day=2026-09-23&result=negative");
        assert_eq!(app.post_form(&cmd, &results, &tap).await.status(), StatusCode::SEE_OTHER, "{engine}");
        let page = app.page(&cmd, &format!("/quarantine/sites/{site}")).await;
        let due = page.split("id=\"due\"").nth(1).unwrap().split("</ul>").next().unwrap().to_string();
        assert_eq!(due.matches("class=\"result\"").count(), 4, "{engine}: one result in");
        // The command extends a close contact from the batch page: the last on-site day moves.
        let extend = format!("/quarantine/batches/{batch}/extend");
        let ext = format!("csrf={cmd_csrf}&person={first}&days=7&reason=close-contact");
        assert_eq!(app.post_form(&cmd, &extend, &ext).await.status(), StatusCode::SEE_OTHER, "{engine}");
        let people = app.page(&cmd, &format!("/quarantine/batches/{batch}")).await;
        assert!(people.contains("2026-09-30"), "{engine}: extended to 30 September");
        let bad = format!("csrf={cmd_csrf}&person={first}&days=7&reason=boredom");
        assert_eq!(app.post_form(&cmd, &extend, &bad).await.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}");
        let by_info = format!("csrf={csrf}&person={first}&days=7&reason=close-contact");
        assert_eq!(app.post_form(&info, &extend, &by_info).await.status(), StatusCode::FORBIDDEN, "{engine}");
        // The information group does not record results; another site's id finds nothing.
        let info_tap = format!("csrf={csrf}&person={first}&day=2026-09-23&result=negative");
        assert_eq!(app.post_form(&info, &results, &info_tap).await.status(), StatusCode::FORBIDDEN, "{engine}");
        let elsewhere = format!("/quarantine/sites/{other}/results");
        assert_eq!(app.post_form(&cmd, &elsewhere, &tap).await.status(), StatusCode::NOT_FOUND, "{engine}");
        // Another site's manager cannot release this batch's people.
        let theirs_csrf = app.csrf(&theirs, &format!("/quarantine/sites/{other}")).await;
        let res = app.post_form(&theirs, &path, &body.replace(&csrf, &theirs_csrf)).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{engine}");
    }
}

/// The value of a hidden field of a page's form.
fn hidden(html: &str, name: &str) -> String {
    let at = format!("name=\"{name}\" value=\"");
    let start = html.find(&at).unwrap_or_else(|| panic!("no field {name}")) + at.len();
    html[start..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn a_person_reports_a_fever_and_asks_for_a_translator_in_russian_and_only_the_right_groups_see_it() {
    for (app, site, other, _) in fixture().await {
        let engine = app.db.engine;
        let cards = app.db.store.room_cards(&Actor::system(), site).await.unwrap();
        let token = cards.iter().find(|c| c.number == "305").unwrap().people[0].token.clone();
        let own = format!("/stay/{token}");
        let anyone = common::client();
        let page = app.page(&anyone, &own).await;
        assert!(page.contains("Моё самочувствие") && page.contains("Кашель"), "{engine}: {page}");
        assert!(page.contains("Просьб пока нет"), "{engine}");
        let csrf = common::csrf_of(&page);
        let client = hidden(&page, "client");

        // A fever with a cough, this morning (10:00 in Harbin): recorded, and the page says so.
        let body = format!("csrf={csrf}&lang=ru&slot=morning&temperature=38%2C2&symptom=cough");
        let res = app.post_form(&anyone, &format!("{own}/health"), &body).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}");
        let to = res.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(to, format!("{own}?lang=ru&saved=health"), "{engine}");
        let page = app.page(&anyone, &to).await;
        assert!(page.contains("ваш замер записан") && page.contains("38.2"), "{engine}: {page}");
        // A reading out of range, and another reading for the same slot: refused in Russian.
        let res = app
            .post_form(&anyone, &format!("{own}/health"), &format!("csrf={csrf}&lang=ru&slot=morning&temperature=45"))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}");
        assert!(res.text().await.unwrap().contains("не температура"), "{engine}");
        let res = app
            .post_form(&anyone, &format!("{own}/health"), &format!("csrf={csrf}&lang=ru&slot=morning&temperature=36.6"))
            .await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{engine}");
        assert!(res.text().await.unwrap().contains("Утренний замер 2026-09-20 уже записан"), "{engine}");
        // Without the session's token (a forged form, or a page left open until its session
        // expired) nothing is recorded, and the person is sent back to their page, which says so
        // in their language instead of a bare refusal in Chinese.
        let stale = common::client();
        for (c, body) in [
            (&anyone, "lang=ru&slot=afternoon&temperature=36.6"),
            (&stale, &*format!("csrf={csrf}&lang=ru&slot=afternoon&temperature=36.6")),
        ] {
            let res = app.post_form(c, &format!("{own}/health"), body).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}");
            let to = res.headers()["location"].to_str().unwrap().to_string();
            assert_eq!(to, format!("{own}?saved=expired"), "{engine}");
            let page = app.page(c, &to).await;
            assert!(page.contains("ничего не отправлено"), "{engine}: {page}");
        }
        assert_eq!(app.db.store.own_checks(&token).await.unwrap().len(), 1, "{engine}: nothing recorded");
        // The language the page was shown in is kept (the form's action carries it).
        let english = app.post_form(&stale, &format!("{own}/health?lang=en"), "slot=afternoon").await;
        let to = english.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(to, format!("{own}?lang=en&saved=expired"), "{engine}");
        assert!(app.page(&stale, &to).await.contains("nothing was sent"), "{engine}");
        let odd = app.post_form(&stale, "/stay/..%2Fevil/health", "slot=morning").await;
        assert_eq!(odd.status(), StatusCode::FORBIDDEN, "{engine}: a path that is no token is refused, not redirected");

        // A request sent twice from the same form (a double tap) is one request.
        let body = format!(
            "csrf={csrf}&lang=ru&kind=translation&text=%D0%9D%D1%83%D0%B6%D0%B5%D0%BD+%D0%BF%D0%B5%D1%80%D0%B5%D0%B2%D0%BE%D0%B4%D1%87%D0%B8%D0%BA&client={client}"
        );
        for _ in 0..2 {
            let res = app.post_form(&anyone, &format!("{own}/requests"), &body).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}");
        }
        assert_eq!(app.db.store.own_requests(&token).await.unwrap().len(), 1, "{engine}");
        let page = app.page(&anyone, &format!("{own}?saved=request")).await;
        assert!(page.contains("Просьба отправлена") && page.contains("Нужен переводчик"), "{engine}: {page}");
        assert!(page.contains("Перевод") && page.contains("Отправлено"), "{engine}");
        assert_ne!(hidden(&page, "client"), client, "{engine}: each page shown makes its own form id");
        let empty = format!("csrf={csrf}&lang=ru&kind=food&text=+++&client={}", hidden(&page, "client"));
        let res = app.post_form(&anyone, &format!("{own}/requests"), &empty).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}");
        assert!(res.text().await.unwrap().contains("Напишите, что вам нужно"), "{engine}");

        // The medical group sees the alert on the site page and acknowledges it there.
        let medical = app.login("zl-medical").await;
        let path = format!("/quarantine/sites/{site}");
        let page = app.page(&medical, &path).await;
        let alerts = page.split("id=\"alerts\"").nth(1).unwrap().split("</ul>").next().unwrap();
        assert!(alerts.contains("38.2") && alerts.contains("发热") && alerts.contains("咳嗽"), "{engine}: {alerts}");
        assert!(alerts.contains("Иванова Анна") && alerts.contains("305") && alerts.contains("本人自报"), "{engine}");
        let csrf = app.csrf(&medical, &path).await;
        let token_api = app.db.store.create_token("zl-medical").await.unwrap();
        let board = app.api_json(&token_api, &format!("/api/v1/quarantine/sites/{site}/health-checks")).await;
        let alert = board["alerts"][0]["id"].as_i64().unwrap();
        assert_eq!(board["alerts"][0]["temperature"], "38.2", "{engine}: {board}");
        let d = app.api_json(&token_api, &format!("/api/v1/quarantine/sites/{site}")).await;
        assert_eq!(d["health_alerts"], 1, "{engine}");
        let res = app
            .post_form(&medical, &format!("{path}/health-alerts/{alert}/acknowledge"), &format!("csrf={csrf}"))
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}");
        let page = app.page(&medical, &path).await;
        assert!(page.contains("没有待处理的健康预警"), "{engine}");
        // The medical group records a check on the site page; the API refuses a conflicting one.
        let person = board["alerts"][0]["person_id"].as_i64().unwrap();
        let res = app
            .post_form(
                &medical,
                &format!("{path}/health-checks"),
                &format!("csrf={csrf}&person={person}&slot=afternoon&temperature=37.2"),
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}");
        let url = app.url(&format!("/api/v1/quarantine/sites/{site}/health-checks"));
        let body = serde_json::json!({"person_id": person, "slot": "afternoon", "temperature": "37.9"});
        let res = common::api().post(&url).bearer_auth(&token_api).json(&body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CONFLICT, "{engine}");

        // The hotel group sees no health data at all, by page or API, and records none.
        let hotel = app.login("zl-hotel").await;
        let page = app.page(&hotel, &path).await;
        assert!(
            !page.contains("id=\"alerts\"") && !page.contains("id=\"health\"") && !page.contains("38.2"),
            "{engine}"
        );
        assert!(page.contains("id=\"requests\"") && !page.contains("Нужен переводчик"), "{engine}: food only");
        let hotel_api = app.db.store.create_token("zl-hotel").await.unwrap();
        let res = common::api().get(&url).bearer_auth(&hotel_api).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{engine}");
        let csrf_hotel = app.csrf(&hotel, &path).await;
        let res = app
            .post_form(
                &hotel,
                &format!("{path}/health-checks"),
                &format!("csrf={csrf_hotel}&person={person}&slot=afternoon&temperature=36.6"),
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{engine}");
        let d = app.api_json(&hotel_api, &format!("/api/v1/quarantine/sites/{site}")).await;
        assert!(d["health_alerts"].is_null() && d["open_requests"] == 0, "{engine}: {d}");

        // Foreign affairs sees the translation request and marks it done; the person's page says so.
        let foreign = app.login("zl-foreign").await;
        let page = app.page(&foreign, &path).await;
        let requests = page.split("id=\"requests\"").nth(1).unwrap();
        assert!(requests.contains("Нужен переводчик") && requests.contains("翻译"), "{engine}: {requests}");
        let foreign_api = app.db.store.create_token("zl-foreign").await.unwrap();
        let listed = app.api_json(&foreign_api, &format!("/api/v1/quarantine/sites/{site}/requests")).await;
        let rid = listed[0]["id"].as_i64().unwrap();
        let csrf = app.csrf(&foreign, &path).await;
        let step = format!("{path}/requests/{rid}/step");
        let res = app.post_form(&hotel, &step, &format!("csrf={csrf_hotel}&event=done")).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{engine}: not the hotel's kind");
        let res = app.post_form(&foreign, &step, &format!("csrf={csrf}&event=done")).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}");
        let res = app.post_form(&foreign, &step, &format!("csrf={csrf}&event=acknowledge")).await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{engine}: done is done");
        assert!(app.page(&anyone, &own).await.contains("Выполнено"), "{engine}");

        // Another site's manager: this site's health checks and requests are not found, whatever the ids.
        let theirs = app.db.store.create_token("sb-manager").await.unwrap();
        for p in [
            format!("/api/v1/quarantine/sites/{site}/health-checks"),
            format!("/api/v1/quarantine/sites/{site}/requests"),
        ] {
            let res = common::api().get(app.url(&p)).bearer_auth(&theirs).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{engine}: {p}");
        }
        let res = common::api()
            .post(app.url(&format!("/api/v1/quarantine/sites/{other}/requests/{rid}/step")))
            .bearer_auth(&theirs)
            .json(&serde_json::json!({"event": "done"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{engine}");
    }
}

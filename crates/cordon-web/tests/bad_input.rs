//! Bad input is refused with a message, never acted on in part: a cadre that
//! is not a number on the shift form, a deadline in year 9999 on the order
//! form and in the API.

use chrono::{Duration, Utc};
use cordon_domain::Actor;
use cordon_domain::clock::Zone;
use cordon_domain::duty::ShiftPattern;
use cordon_store::duty::RosterPlan;
use cordon_store::test_support::{compound_id, engines, post_squad, unit_cadres};
use reqwest::StatusCode;

mod common;

use common::{csrf_of, spawn_app_on};

#[tokio::test]
async fn a_cadre_that_is_not_a_number_on_the_shift_form_is_refused_and_the_shift_keeps_its_people() {
    for db in engines().await {
        let engine = db.engine;
        let app = spawn_app_on(db).await;
        let s = &app.db.store;
        let system = Actor::system();
        let (_, _, squad) = post_squad(s, "市林草局", "甲小区", 0).await;
        let cadres = unit_cadres(s, "市林草局").await.1;
        let zone = Zone::default();
        let today = zone.date_of(Utc::now());
        let plan = RosterPlan {
            first_day: today,
            days: 1,
            pattern: ShiftPattern::parse("08:00,16:00,00:00").unwrap(),
            per_shift: 1,
        };
        s.build_roster(&system, squad, &plan, zone).await.unwrap();
        let roster = s.roster(&system, squad, today, 1, zone, Utc::now()).await.unwrap();
        let shift = &roster.checkpoints[0].shifts[0];
        let before: Vec<i64> = shift.members.iter().map(|m| m.cadre_id).collect();
        assert_eq!(before.len(), 1, "{engine}: the build staffed it");

        let leader = app.login("leader").await;
        let path = format!("/shifts/{}/members", shift.id);
        let csrf = csrf_of(&app.page(&leader, &format!("/shifts/{}", shift.id)).await);
        for bad in [
            format!("csrf={csrf}&cadre=abc"),
            format!("csrf={csrf}&cadre={}&cadre=%E6%9E%97%E4%BA%8C", cadres[1]),
            format!("csrf={csrf}&cadre="),
            format!("csrf={csrf}&cadre=99999999999999999999"),
        ] {
            let res = app.post_form(&leader, &path, &bad).await;
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}: {bad}");
            let text = res.text().await.unwrap();
            assert!(text.contains("所选人员无效，请刷新页面后重新勾选"), "{engine}: the refusal in Chinese: {text}");
            let (_, now) = s.shift(&system, shift.id, Utc::now()).await.unwrap();
            let after: Vec<i64> = now.members.iter().map(|m| m.cadre_id).collect();
            assert_eq!(after, before, "{engine}: {bad}: nobody taken off, nobody put on");
        }
        // Numbers are still taken as before.
        let res = app.post_form(&leader, &path, &format!("csrf={csrf}&cadre={}", cadres[1])).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}");
        let (_, now) = s.shift(&system, shift.id, Utc::now()).await.unwrap();
        assert_eq!(now.members.iter().map(|m| m.cadre_id).collect::<Vec<_>>(), vec![cadres[1]], "{engine}");
    }
}

#[tokio::test]
async fn a_deadline_in_year_9999_is_refused_on_the_order_form_and_in_the_api() {
    for db in engines().await {
        let engine = db.engine;
        let app = spawn_app_on(db).await;
        let s = &app.db.store;
        let (unit, _) = unit_cadres(s, "市林草局").await;
        let compound = compound_id(s, "甲小区").await;

        let cmd = app.login("cmd").await;
        let csrf = csrf_of(&app.page(&cmd, "/orders/new").await);
        let body = format!("csrf={csrf}&unit={unit}&people=2&deadline=9999-12-31T23%3A59&note=&compound={compound}");
        let res = app.post_form(&cmd, "/orders", &body).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}");
        let text = res.text().await.unwrap();
        assert!(text.contains("报到时限不能晚于一年之后"), "{engine}: the refusal in Chinese: {text}");

        let token = s.create_token("cmd").await.unwrap();
        let res = common::api()
            .post(app.url("/api/v1/orders"))
            .bearer_auth(&token)
            .json(&serde_json::json!({
                "unit_id": unit, "people": 1, "compound_ids": [compound], "deadline": "9999-12-31T23:59:00Z"
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}");
        let error: serde_json::Value = res.json().await.unwrap();
        assert_eq!(error["error"]["refusal"]["key"], "order-deadline-far", "{engine}: {error}");
        assert_eq!(error["error"]["message"], "The deadline may be at most a year ahead.");

        // Nothing was issued; a deadline within the year still is.
        let all = cordon_store::PageRequest::new(None, None);
        assert_eq!(s.orders(&Actor::system(), &Default::default(), all).await.unwrap().total, 0, "{engine}");
        let res = common::api()
            .post(app.url("/api/v1/orders"))
            .bearer_auth(&token)
            .json(&serde_json::json!({
                "unit_id": unit, "people": 1, "compound_ids": [compound], "deadline": Utc::now() + Duration::days(300)
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "{engine}");
    }
}

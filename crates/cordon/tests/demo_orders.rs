//! Walkthrough step 3 from the real binary: after `cordon demo`, the order of
//! the walkthrough's compound waits assembled, and `demo-leader` signs in and
//! taps 报到 herself; her squad's plain member `demo-member` has no such tap.

mod common;

use common::{cordon, serve};
use reqwest::StatusCode;

const PASSWORD: &str = "cordon-demo-2022";

/// A cookie-keeping client signed in as `name`.
async fn signed_in(base: &str, name: &str) -> reqwest::Client {
    cordon_web::tls_ready();
    let c = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = c.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let res = c
        .post(format!("{base}/login"))
        .form(&[("csrf", csrf_of(&page).as_str()), ("username", name), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {name}");
    c
}

fn csrf_of(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("a form with its token") + 19;
    page[start..].split('"').next().unwrap().to_string()
}

async fn text(c: &reqwest::Client, url: String) -> String {
    let res = c.get(url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.unwrap()
}

#[tokio::test]
async fn the_demo_leaves_the_walkthrough_order_assembled_and_demo_leader_reports_it_on_site() {
    let root = std::env::temp_dir().join(format!("cordon_demo_orders_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let data = root.join("db");
    cordon(&data, &["demo"], None);
    let (_server, base) = serve(&data).await;

    // The leader's scope is her compound: the one assembled order there is her squad's.
    let leader = signed_in(&base, "demo-leader").await;
    let list = text(&leader, format!("{base}/orders?state=assembled")).await;
    assert!(list.contains("中和胡同小区") && list.contains("集结完毕"), "her squad's order waits: {list}");
    let id: i64 = list.split("href=\"/orders/").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
    let order = format!("{base}/orders/{id}");

    // Her plain member sees the order but has no 报到, and is refused one.
    let member = signed_in(&base, "demo-member").await;
    let page = text(&member, order.clone()).await;
    assert!(!page.contains("value=\"report\""), "no 报到 for a plain member");
    let res = member.post(format!("{order}/step")).form(&[("csrf", csrf_of(&page)), ("event", "report".into())]).send();
    assert_eq!(res.await.unwrap().status(), StatusCode::FORBIDDEN);

    let page = text(&leader, order.clone()).await;
    assert!(page.contains(">报到<"), "one tap for the leader");
    let res = leader.post(format!("{order}/step")).form(&[("csrf", csrf_of(&page)), ("event", "report".into())]).send();
    assert_eq!(res.await.unwrap().status(), StatusCode::SEE_OTHER);
    let page = text(&leader, order).await;
    assert!(page.contains("<strong>已报到</strong>"), "on site now");
    assert!(page.contains(">demo-leader<") && !page.contains("代小分队"), "her own report, not one for the squad");
    let _ = std::fs::remove_dir_all(&root);
}

//! Walkthrough step 3 in a real Chromium on a phone: the demo's squad leader
//! opens her squad from her home page, builds the week's duty roster
//! for the compound's checkpoints from the default pattern with one tap, and
//! sees someone on duty now at every gate; then her squad member signs in and
//! finds his own next shifts. Drives the real binary over WebDriver.

mod common;

use common::{browser_tools, cordon, serve, sign_in};
use fantoccini::{Client, Locator};

async fn fits(browser: &Client) -> bool {
    browser
        .execute("return document.documentElement.scrollWidth <= window.innerWidth;", vec![])
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

#[tokio::test]
async fn the_leader_builds_the_week_on_her_phone_and_her_member_reads_his_shifts() {
    let Some((chromium, driver)) = browser_tools("roster phone test") else {
        return;
    };
    let root = std::env::temp_dir().join(format!("cordon_roster_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let data = root.join("db");
    cordon(&data, &["demo"], None);
    let (_server, base) = serve(&data).await;
    let (_driver, browser) = common::browser(&chromium, &driver, &root.join("profile"), (390, 844)).await;

    let result = async {
        sign_in(&browser, &base, "demo-leader").await?;
        // From her home page to her squad, as on a phone at the gate.
        browser.goto(&format!("{base}/")).await?;
        browser.wait().for_element(Locator::Css("a.tile[href^='/squads/']")).await?.click().await?;
        browser.wait().for_element(Locator::LinkText("值守排班")).await?.click().await?;
        // No roster yet: the build form is open with the pattern filled in; one tap builds the week.
        let build = browser.wait().for_element(Locator::Css("form[action$='/roster'] button[type=submit]")).await?;
        let page = browser.source().await?;
        assert!(page.contains("08:00,16:00,00:00") && page.contains("尚无班次"), "an empty roster");
        build.click().await?;
        browser.wait().for_element(Locator::Css("caption")).await?;
        let page = browser.source().await?;
        let now_table = page.split("当前在岗</h2>").nth(1).unwrap().split("</table>").next().unwrap().to_string();
        assert!(!now_table.contains("tag late"), "someone is on duty now at every gate: {now_table}");
        assert!(now_table.matches("<tr").count() >= 2, "the compound's checkpoints: {now_table}");
        assert!(fits(&browser).await, "the roster fits a phone's width");
        std::fs::create_dir_all(concat!(env!("CARGO_TARGET_TMPDIR"), "/screenshots")).ok();
        let png = browser.screenshot().await?;
        std::fs::write(concat!(env!("CARGO_TARGET_TMPDIR"), "/screenshots/roster-phone.png"), png).ok();

        // A shift's own page (who stands it, the handover note) fits too.
        browser.find(Locator::Css("a[href^='/shifts/']")).await?.click().await?;
        browser.wait().for_element(Locator::Css("textarea[name=note]")).await?;
        assert!(fits(&browser).await, "a shift's page fits a phone's width");
        let png = browser.screenshot().await?;
        std::fs::write(concat!(env!("CARGO_TARGET_TMPDIR"), "/screenshots/shift-phone.png"), png).ok();

        // The member of her squad signs in and opens his shifts from the home page.
        // Another person on the same phone: a fresh session (signing out through
        // the header's menu is walked by gate_phone.rs).
        browser.delete_all_cookies().await?;
        sign_in(&browser, &base, "demo-member").await?;
        browser.goto(&format!("{base}/")).await?;
        browser.wait().for_element(Locator::Css("a.tile[href='/me/shifts']")).await?.click().await?;
        browser.wait().for_element(Locator::Css("table.cards")).await?;
        let page = browser.source().await?;
        assert!(page.contains("中和胡同小区"), "his shifts at the compound");
        assert!(page.matches("href=\"/shifts/").count() >= 3, "the shifts ahead of him");
        assert!(fits(&browser).await, "his shifts fit a phone's width");
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    let _ = browser.close().await;
    let _ = std::fs::remove_dir_all(&root);
    result.expect("the roster walk on a phone");
}

//! A squad leader on a phone, in a real Chromium: signs in, finds her
//! compound's residents with numbers masked, reveals one, switches to English;
//! the pages fit a phone's width. Drives the real binary over WebDriver.

mod common;

use common::{browser_tools, cordon, serve};
use fantoccini::Locator;

#[tokio::test]
async fn a_squad_leader_on_a_phone_signs_in_and_reads_her_compound() {
    let Some((chromium, driver)) = browser_tools("browser test") else {
        return;
    };
    let root = std::env::temp_dir().join(format!("cordon_browser_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let data = root.join("db");
    let places = root.join("places.csv");
    std::fs::write(&places, "市,区,街道,社区,小区,卡口\n哈尔滨市,道外区,仁里街道,民强社区,中和胡同小区,东门\n")
        .unwrap();
    cordon(&data, &["import", "places", places.to_str().unwrap()], None);
    let id = cordon_domain::IdNumber::from_body("23010419500301002").unwrap();
    let residents = root.join("residents.csv");
    std::fs::write(
        &residents,
        format!(
            "街道,社区,小区,楼栋,单元,房号,姓名,身份证号,手机号,标签\n仁里街道,民强社区,中和胡同小区,3号楼,1单元,302,刘桂兰,{},13800000302,独居老人\n",
            id.as_str()
        ),
    )
    .unwrap();
    cordon(&data, &["import", "residents", residents.to_str().unwrap()], None);
    cordon(
        &data,
        &[
            "user",
            "add",
            "leader",
            "--role",
            "squad-leader",
            "--scope",
            "道外区/仁里街道/民强社区/中和胡同小区",
            "--password-stdin",
        ],
        Some("gate duty 2022\n"),
    );

    let (_server, base) = serve(&data).await;
    let (_driver, browser) = common::browser(&chromium, &driver, &root.join("profile"), (390, 844)).await;

    let result = async {
        browser.goto(&format!("{base}/residents")).await?;
        // Not signed in: sent to the sign-in page, in Chinese.
        browser.wait().for_element(Locator::Css("input[name=username]")).await?.send_keys("leader").await?;
        browser.find(Locator::Css("input[name=password]")).await?.send_keys("gate duty 2022").await?;
        browser.find(Locator::Css("button[type=submit]")).await?.click().await?;
        browser.wait().for_element(Locator::Css("table.cards")).await?;
        assert!(browser.current_url().await?.path().starts_with("/residents"), "back where she was going");
        let page = browser.source().await?;
        assert!(page.contains("刘桂兰") && page.contains("独居老人"));
        assert!(page.contains("138****0302") && !page.contains("13800000302"), "masked in the list");
        let fits: bool = browser
            .execute("return document.documentElement.scrollWidth <= window.innerWidth;", vec![])
            .await?
            .as_bool()
            .unwrap_or(false);
        assert!(fits, "the resident list fits a phone's width");

        browser.find(Locator::LinkText("刘桂兰")).await?.click().await?;
        browser.wait().for_element(Locator::Css("dl.fields")).await?;
        let buttons = browser.find_all(Locator::Css("form[action$='/reveal'] button")).await?;
        assert_eq!(buttons.len(), 2, "ID number and phone can be revealed");
        buttons[1].click().await?;
        let revealed = browser.wait().for_element(Locator::Id("revealed")).await?.text().await?;
        assert_eq!(revealed, "13800000302");

        std::fs::create_dir_all(concat!(env!("CARGO_TARGET_TMPDIR"), "/screenshots")).ok();
        let png = browser.screenshot().await?;
        std::fs::write(concat!(env!("CARGO_TARGET_TMPDIR"), "/screenshots/resident-phone.png"), png).ok();

        // On a phone the header is one bar; its menu holds the language switch.
        browser.find(Locator::Css("label.menu-label")).await?.click().await?;
        browser.find(Locator::LinkText("English")).await?.click().await?;
        browser.wait().for_element(Locator::Css("html[lang=en]")).await?;
        let page = browser.source().await?;
        assert!(page.contains("Sign out") && page.contains("Elderly living alone"), "English after the switch");
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    let _ = browser.close().await;
    let _ = std::fs::remove_dir_all(&root);
    result.expect("the walk through the pages");
}

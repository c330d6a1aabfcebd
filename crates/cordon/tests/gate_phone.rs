//! The pages of the compound guarantee as their users hold them: Chromium at
//! 360 × 780 with the pages' JavaScript off, the demo's people. The command's home, the
//! squads overview, the audit log, the assembly page, the squad page and its
//! kits page fit the width with no sideways scrolling, every tap target is at
//! least 44 × 44 px (measured, not assumed), the header is one bar, and the
//! command's first screen names the unguarded compound and the order still
//! waiting. The quarantine hotel's pages and a student's own page, the same way.
//! Drives the real binary over WebDriver.

mod common;

use common::{browser_tools, cordon, serve};
use fantoccini::{Client, Locator};

const PASSWORD: &str = "cordon-demo-2022";
const WIDTH: u32 = 360;
const HEIGHT: u32 = 780;

type R<T> = Result<T, fantoccini::error::CmdError>;

/// What a page's layout looks like to the test: overflow, the tap targets
/// under 44 px, and the header's height. A control inside a label, or named
/// by a label's `for`, is tapped through the label, so the label is measured.
const MEASURE: &str = r#"
const small = [];
const seen = new Set();
for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
  const byFor = el.id ? document.querySelector('label[for="' + el.id + '"]') : null;
  const t = el.closest('label') || byFor || el;
  if (seen.has(t)) continue;
  seen.add(t);
  const r = t.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  if (getComputedStyle(t).visibility === 'hidden') continue;
  if (r.width < 44 || r.height < 44) {
    const text = (t.innerText || t.value || t.getAttribute('aria-label') || t.name || '').trim().slice(0, 40);
    small.push(t.tagName + ' "' + text + '" ' + Math.round(r.width) + 'x' + Math.round(r.height));
  }
}
const header = document.querySelector('header.top');
return {
  overflow: document.documentElement.scrollWidth - window.innerWidth,
  small: small,
  header: header ? Math.round(header.getBoundingClientRect().height) : 0,
  targets: seen.size,
};
"#;

/// The page fits the width, every target is big enough, the header is one bar.
async fn check_layout(browser: &Client, page: &str) -> R<()> {
    check_page(browser, page, true).await
}

/// As `check_layout`; `signed_in` false for a public page, which has no header.
async fn check_page(browser: &Client, page: &str, signed_in: bool) -> R<()> {
    let m = browser.execute(MEASURE, vec![]).await?;
    let overflow = m["overflow"].as_i64().unwrap_or(i64::MAX);
    let small: Vec<String> =
        m["small"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(String::from)).collect();
    let header = m["header"].as_i64().unwrap_or(0);
    let png = browser.screenshot().await?;
    std::fs::create_dir_all(concat!(env!("CARGO_TARGET_TMPDIR"), "/screenshots")).ok();
    std::fs::write(format!("{}/screenshots/gate-{page}.png", env!("CARGO_TARGET_TMPDIR")), png).ok();
    assert!(overflow <= 0, "{page}: {overflow} px wider than a {WIDTH} px phone");
    assert!(small.is_empty(), "{page}: tap targets under 44 x 44 px: {small:?}");
    assert!(!signed_in || (header > 0 && header <= 60), "{page}: the header is one bar on a phone, not {header} px");
    assert!(m["targets"].as_i64().unwrap_or(0) > 0, "{page}: the measure found the page's controls");
    Ok(())
}

/// Taps a control and, when `leaves` says it leads to another page, waits
/// for that page. With the pages' scripts off chromedriver's own click waits
/// minutes for a load it cannot follow, so the tap is the control's default
/// action (follow the link, submit the form, tick the box) started through
/// WebDriver's script, and the next page is known by a fresh document.
async fn tap(browser: &Client, locator: Locator<'_>, leaves: bool) -> R<()> {
    let el = browser.wait().for_element(locator).await?;
    let arg = serde_json::to_value(&el).expect("an element reference");
    browser.execute("document.documentElement.dataset.left = '1'; arguments[0].click();", vec![arg]).await?;
    if !leaves {
        return Ok(());
    }
    let start = std::time::Instant::now();
    loop {
        let fresh = browser
            .execute("return !document.documentElement.dataset.left && document.readyState === 'complete';", vec![])
            .await;
        if matches!(fresh, Ok(serde_json::Value::Bool(true))) {
            return Ok(());
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(30), "the tap led to no new page");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn sign_in(browser: &Client, base: &str, user: &str) -> R<()> {
    browser.goto(&format!("{base}/login")).await?;
    browser.wait().for_element(Locator::Css("input[name=username]")).await?.send_keys(user).await?;
    browser.find(Locator::Css("input[name=password]")).await?.send_keys(PASSWORD).await?;
    tap(browser, Locator::Css("form[action='/login'] button[type=submit]"), true).await?;
    browser.wait().for_element(Locator::Css("header.top")).await?;
    Ok(())
}

/// Signs out through the header's menu, as a phone shows it: one tap opens it.
async fn sign_out(browser: &Client) -> R<()> {
    tap(browser, Locator::Css("label.menu-label"), false).await?;
    tap(browser, Locator::Css("form[action='/logout'] button"), true).await?;
    browser.wait().for_element(Locator::Css("input[name=username]")).await?;
    Ok(())
}

/// The top of an element on the page, in px from the top of the document.
async fn top_of(browser: &Client, css: &str) -> R<f64> {
    let v = browser
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? e.getBoundingClientRect().bottom + window.scrollY : -1;",
            vec![serde_json::Value::String(css.into())],
        )
        .await?;
    Ok(v.as_f64().unwrap_or(-1.0))
}

#[tokio::test]
async fn the_guarantee_at_the_gate_on_a_phone_with_javascript_off() {
    let Some((chromium, driver)) = browser_tools("gate phone test") else {
        return;
    };
    let root = std::env::temp_dir().join(format!("cordon_gate_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let data = root.join("db");
    cordon(&data, &["demo"], None);
    let (_server, base) = serve(&data).await;
    let (_driver, browser) =
        common::browser_with(&chromium, &driver, &root.join("profile"), (WIDTH, HEIGHT), false).await;

    let result = async {
        // The pages' scripts are off: a page's own script does not run.
        browser.goto("data:text/html,<title>off</title><script>document.title='on'</script>").await?;
        assert_eq!(browser.title().await?, "off", "JavaScript is off for the pages");
        // The command's first screen: the counts, the waiting order, the unguarded compound.
        sign_in(&browser, &base, "demo-command").await?;
        browser.goto(&format!("{base}/")).await?;
        browser.wait().for_element(Locator::Css("nav.counts")).await?;
        let refresh = browser.find(Locator::Css("meta[http-equiv=refresh]")).await?.attr("content").await?;
        assert_eq!(refresh.as_deref(), Some("60"), "the dashboard refreshes itself without script");
        let waiting = browser.find(Locator::Css("#waiting + ul a.card")).await?.text().await?;
        let unguarded = browser.find(Locator::Css("#unguarded + ul a.card strong")).await?.text().await?;
        assert!(
            waiting.contains("市林草局") && waiting.contains("还剩"),
            "the waiting order with its clock: {waiting}"
        );
        let compound = unguarded.split_whitespace().next().unwrap_or_default().to_string();
        assert!(!compound.is_empty() && waiting.contains(&compound), "the order goes to the unguarded compound");
        check_layout(&browser, "home").await?;
        for css in ["#waiting + ul a.card", "#unguarded + ul a.card"] {
            let bottom = top_of(&browser, css).await?;
            assert!(bottom > 0.0 && bottom <= HEIGHT as f64, "{css} on the first screen (ends at {bottom} px)");
        }
        let order_href = browser.find(Locator::Css("#waiting + ul a.card")).await?.attr("href").await?.unwrap();
        browser.goto(&format!("{base}/squads")).await?;
        browser.wait().for_element(Locator::Css("table.cards")).await?;
        check_layout(&browser, "squads").await?;
        browser.goto(&format!("{base}/audit")).await?;
        browser.wait().for_element(Locator::Css("main")).await?;
        check_layout(&browser, "audit").await?;
        sign_out(&browser).await?;

        // The unit's coordinator acknowledges the order and opens the assembly page.
        sign_in(&browser, &base, "demo-unit").await?;
        browser.goto(&format!("{base}{order_href}")).await?;
        browser.wait().for_element(Locator::Css("input[name=event][value=acknowledge]")).await?;
        tap(&browser, Locator::XPath("//input[@name='event'][@value='acknowledge']/following-sibling::button"), true)
            .await?;
        tap(&browser, Locator::Css("a[href$='/roster']"), true).await?;
        browser.wait().for_element(Locator::Css("form input[type=checkbox]")).await?;
        check_layout(&browser, "assembly").await?;
        sign_out(&browser).await?;

        // The squad leader: her squad's page and its kits page.
        sign_in(&browser, &base, "demo-leader").await?;
        browser.goto(&format!("{base}/")).await?;
        tap(&browser, Locator::Css("a.tile[href^='/squads/']"), true).await?;
        browser.wait().for_element(Locator::Css("dl.fields")).await?;
        check_layout(&browser, "squad").await?;
        tap(&browser, Locator::Css("a[href$='/kits']"), true).await?;
        browser.wait().for_element(Locator::Css("main h1")).await?;
        check_layout(&browser, "kits").await?;
        // Still off after every page of the walk.
        browser.goto("data:text/html,<title>off</title><script>document.title='on'</script>").await?;
        assert_eq!(browser.title().await?, "off", "JavaScript stayed off");
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    let _ = browser.close().await;
    let _ = std::fs::remove_dir_all(&root);
    result.expect("the walk through the pages at the gate");
}

/// The quarantine hotel on a phone, JavaScript off: the site manager's site page and the batch of
/// 110 people, then a student's own page as her room card's QR opens it — in Russian, her day of
/// quarantine and her dates, every control big enough for a thumb, her health check sent from the
/// page, and a switch to English.
#[tokio::test]
async fn the_quarantine_hotel_and_a_students_own_page_on_a_phone() {
    let Some((chromium, driver)) = browser_tools("quarantine phone test") else {
        return;
    };
    let root = std::env::temp_dir().join(format!("cordon_quarantine_phone_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let data = root.join("db");
    cordon(&data, &["demo"], None);
    let token = {
        use cordon_store::{Database, Store};
        let store = Store::connect(&Database::choose(data.clone(), None)).await.unwrap();
        let site = store.site_named(&cordon_domain::Actor::system(), "卓林酒店隔离点").await.unwrap();
        let cards = store.room_cards(&cordon_domain::Actor::system(), site.id).await.unwrap();
        store.close().await;
        cards[0].people[0].token.clone()
    };
    let (_server, base) = serve(&data).await;
    let (_driver, browser) =
        common::browser_with(&chromium, &driver, &root.join("profile"), (WIDTH, HEIGHT), false).await;
    let result = async {
        sign_in(&browser, &base, "demo-site-manager").await?;
        // Their list is their one site.
        browser.goto(&format!("{base}/quarantine")).await?;
        browser.wait().for_element(Locator::Css("nav.counts")).await?;
        assert!(browser.current_url().await?.path().starts_with("/quarantine/sites/"));
        check_layout(&browser, "quarantine-site").await?;
        let batch = browser.find(Locator::Css("a.card[href^='/quarantine/batches/']")).await?.attr("href").await?;
        browser.goto(&format!("{base}{}", batch.unwrap())).await?;
        browser.wait().for_element(Locator::Css("table.cards")).await?;
        let rows = browser.find_all(Locator::Css("table.cards tbody tr")).await?;
        assert_eq!(rows.len(), 110, "the charter's 110 students");
        check_layout(&browser, "quarantine-batch").await?;
        sign_out(&browser).await?;

        browser.goto(&format!("{base}/stay/{token}")).await?;
        browser.wait().for_element(Locator::Css("p.own-day")).await?;
        let lang = browser.find(Locator::Css("html")).await?.attr("lang").await?;
        assert_eq!(lang.as_deref(), Some("ru"), "a Russian student's page is in Russian");
        let day = browser.find(Locator::Css("p.own-day")).await?.text().await?;
        assert!(day.contains("день 2"), "day 2 of the stay: {day}");
        check_page(&browser, "quarantine-own", false).await?;
        // Her morning or afternoon check, typed with a comma as a Russian keyboard gives it, with a cough ticked.
        browser.find(Locator::Css("input[name=temperature]")).await?.send_keys("37,9").await?;
        tap(&browser, Locator::Css("input[name=symptom][value=cough]"), false).await?;
        tap(&browser, Locator::Css("form[action*='/health?'] button"), true).await?;
        let said = browser.wait().for_element(Locator::Css("p.ok")).await?.text().await?;
        assert!(said.contains("замер записан"), "the check is recorded: {said}");
        let today = browser.find(Locator::Css("#health ~ ul.cards-list")).await?.text().await?;
        assert!(today.contains("37.9") && today.contains("Кашель"), "her check of today: {today}");
        tap(&browser, Locator::Css("a[hreflang=en]"), true).await?;
        let day = browser.wait().for_element(Locator::Css("p.own-day")).await?.text().await?;
        assert!(day.contains("day 2"), "the switch to English: {day}");
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    let _ = browser.close().await;
    let _ = std::fs::remove_dir_all(&root);
    result.expect("the quarantine hotel's pages on a phone");
}

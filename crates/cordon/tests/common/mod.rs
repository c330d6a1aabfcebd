//! What the end-to-end browser tests share: the real binary as a server,
//! Debian's ChromeDriver and Chromium over WebDriver, and the rule that a
//! missing tool is a loud skip, or a failure under CORDON_TEST_REQUIRE_BROWSER=1.
#![allow(dead_code)]

pub mod pdf;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};

/// A child process, killed when dropped.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn tool(var: &str, default: &str) -> Option<PathBuf> {
    let p = PathBuf::from(std::env::var(var).unwrap_or_else(|_| default.to_string()));
    p.exists().then_some(p)
}

/// Whether a browser test must fail, not skip, when a tool is missing.
fn required() -> bool {
    std::env::var("CORDON_TEST_REQUIRE_BROWSER").as_deref() == Ok("1")
}

/// Chromium and ChromeDriver; None (after a loud SKIP line) when missing and not required.
pub fn browser_tools(test: &str) -> Option<(PathBuf, PathBuf)> {
    match (tool("CORDON_CHROMIUM", "/usr/bin/chromium"), tool("CORDON_CHROMEDRIVER", "/usr/bin/chromedriver")) {
        (Some(chromium), Some(driver)) => Some((chromium, driver)),
        _ if required() => panic!("CORDON_TEST_REQUIRE_BROWSER=1 but chromium or chromedriver is missing"),
        _ => {
            eprintln!("!!! {test} SKIPPED: install chromium and chromium-driver (scripts/test does) !!!");
            None
        }
    }
}

/// Whether every one of these programs runs from PATH; when one does not,
/// a failure under CORDON_TEST_REQUIRE_BROWSER=1, else a loud SKIP line.
pub fn programs_present(test: &str, programs: &[&str], package: &str) -> bool {
    let missing: Vec<&str> = programs
        .iter()
        .copied()
        .filter(|p| Command::new(p).arg("-v").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err())
        .collect();
    if missing.is_empty() {
        return true;
    }
    if required() {
        panic!("CORDON_TEST_REQUIRE_BROWSER=1 but {missing:?} missing: install {package}");
    }
    eprintln!("!!! {test} SKIPPED: {missing:?} missing, install {package} (scripts/test does) !!!");
    false
}

pub async fn wait_until_up(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        cordon_web::tls_ready();
        if reqwest::get(url).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not come up");
}

/// Runs the binary on a data directory, feeding it `stdin`; returns what it did.
pub fn run(data: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("CORDON_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// Runs the binary on a data directory; panics unless it succeeds. Returns its standard output.
pub fn cordon(data: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let Output { status, stdout, stderr } = run(data, args, stdin);
    assert!(status.success(), "cordon {args:?}: {}", String::from_utf8_lossy(&stderr));
    String::from_utf8(stdout).unwrap()
}

/// `cordon serve` on a free port of 127.0.0.1, up; with its base URL.
pub async fn serve(data: &Path) -> (Killed, String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = Killed(
        Command::new(env!("CARGO_BIN_EXE_cordon"))
            .arg("--data-dir")
            .arg(data)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env_remove("CORDON_DATABASE_URL")
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until_up(&format!("{base}/healthz")).await;
    (server, base)
}

/// ChromeDriver and a headless Chromium session on it, with a fresh profile and this window size.
pub async fn browser(chromium: &Path, driver: &Path, profile: &Path, window: (u32, u32)) -> (Killed, Client) {
    browser_with(chromium, driver, profile, window, true).await
}

/// As [`browser`], with the pages' JavaScript on or off (off as a phone with
/// scripts blocked; WebDriver's own scripts, which the tests measure with, still run).
pub async fn browser_with(
    chromium: &Path,
    driver: &Path,
    profile: &Path,
    window: (u32, u32),
    javascript: bool,
) -> (Killed, Client) {
    let driver_port = free_port();
    let driver = Killed(
        Command::new(driver)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until_up(&format!("http://127.0.0.1:{driver_port}/status")).await;
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     format!("--window-size={},{}", window.0, window.1), format!("--user-data-dir={}", profile.display())]
        }
    });
    // Headless Chromium keeps a window at least 500 px wide: a phone's width
    // is emulated, with its viewport, so a 360 px page is really 360 px.
    let mut caps = caps;
    if window.0 < 500 {
        caps["goog:chromeOptions"]["mobileEmulation"] =
            serde_json::json!({ "deviceMetrics": { "width": window.0, "height": window.1, "pixelRatio": 1.0 } });
    }
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps.as_object().unwrap().clone())
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a WebDriver session");
    if !javascript {
        // The pages' own scripts off, as DevTools switches them off (WebDriver's
        // scripts, which the tests measure and tap with, still run). With
        // scripts off chromedriver's own element click waits minutes before it
        // returns (measured: 200–600 s); see `gate_phone::tap`.
        let off = Cdp("Emulation.setScriptExecutionDisabled", serde_json::json!({ "value": true }));
        client.issue_cmd(off).await.expect("scripts switched off");
    }
    (driver, client)
}

/// A Chrome DevTools command sent through chromedriver (`goog/cdp/execute`).
#[derive(Debug)]
pub struct Cdp(pub &'static str, pub serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &reqwest::Url, session: Option<&str>) -> Result<reqwest::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (reqwest::Method, Option<String>) {
        (reqwest::Method::POST, Some(serde_json::json!({ "cmd": self.0, "params": self.1 }).to_string()))
    }
}

/// Signs a demo account in through the login form, with the demo's password.
pub async fn sign_in(browser: &Client, base: &str, user: &str) -> Result<(), fantoccini::error::CmdError> {
    use fantoccini::Locator;
    browser.goto(&format!("{base}/login")).await?;
    browser.wait().for_element(Locator::Css("input[name=username]")).await?.send_keys(user).await?;
    browser.find(Locator::Css("input[name=password]")).await?.send_keys("cordon-demo-2022").await?;
    browser.find(Locator::Css("form[action='/login'] button[type=submit]")).await?.click().await?;
    browser.wait().for_element(Locator::Css("nav")).await?;
    Ok(())
}

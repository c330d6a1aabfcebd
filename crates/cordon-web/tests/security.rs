//! Safe under attack, by HTTP against a spawned app: guessing held back
//! without locking the owner out, sessions ended by a password change, the
//! one-time admin password, redirects that stay on the site, the security
//! headers, no inline script or style in any template, the CSRF token on
//! every state-changing page route, and the public page's rate limit.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cordon_domain::Actor;
use cordon_domain::clock::FixedClock;
use cordon_store::test_support::{PASSWORD, compound_id, engines, sqlite};
use reqwest::StatusCode;
use reqwest::redirect::Policy;

mod common;

use common::{App, client, csrf_of, spawn_app, spawn_app_on};

/// The CSRF page's text: a 403 with it is the CSRF check's refusal.
const CSRF_REFUSAL: &str = "页面已过期";

/// A browser-like client whose requests come from this loopback address
/// (Linux answers on all of 127.0.0.0/8).
fn client_at(ip: &str) -> reqwest::Client {
    cordon_web::tls_ready();
    let ip: IpAddr = ip.parse().unwrap();
    reqwest::Client::builder().cookie_store(true).redirect(Policy::none()).local_address(ip).build().unwrap()
}

/// Posts the sign-in form from a client (fetching its CSRF token first).
async fn sign_in(app: &App, c: &reqwest::Client, name: &str, password: &str) -> reqwest::Response {
    let token = app.csrf(c, "/login").await;
    c.post(app.url("/login"))
        .form(&[("csrf", token.as_str()), ("username", name), ("password", password), ("next", "/")])
        .send()
        .await
        .unwrap()
}

/// Posts the password change of the signed-in user.
async fn change_password(app: &App, c: &reqwest::Client, current: &str, new: &str) -> reqwest::Response {
    let token = app.csrf(c, "/account").await;
    c.post(app.url("/account"))
        .form(&[("csrf", token.as_str()), ("current", current), ("new", new), ("confirm", new)])
        .send()
        .await
        .unwrap()
}

async fn status_of(app: &App, c: &reqwest::Client, path: &str) -> StatusCode {
    c.get(app.url(path)).send().await.unwrap().status()
}

fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default()
}

#[tokio::test]
async fn wrong_passwords_from_one_address_do_not_lock_the_owner_out_from_another() {
    for db in engines().await {
        let engine = db.engine;
        let app = spawn_app_on(db).await;
        let stranger = client_at("127.0.0.1");
        for i in 0..5 {
            let res = sign_in(&app, &stranger, "cmd", "guess guess guess").await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{engine}: guess {i}");
        }
        let owner = client_at("127.0.0.2");
        let res = sign_in(&app, &owner, "cmd", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}: the owner signs in from elsewhere");
        assert_eq!(status_of(&app, &owner, "/").await, StatusCode::OK, "{engine}: signed in");
        // The guesser's address stays held back for this account, even with the right password.
        let res = sign_in(&app, &stranger, "cmd", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{engine}");
        assert!(res.text().await.unwrap().contains("15 分钟"), "{engine}: said in the user's language");
        assert_eq!(status_of(&app, &stranger, "/").await, StatusCode::SEE_OTHER, "{engine}: not signed in");
    }
}

#[tokio::test]
async fn guesses_sent_in_parallel_from_one_address_check_at_most_five_passwords() {
    for db in engines().await {
        let engine = db.engine;
        let app = Arc::new(spawn_app_on(db).await);
        let mut forms = Vec::new();
        for _ in 0..12 {
            let c = client_at("127.0.0.1");
            let token = app.csrf(&c, "/login").await;
            forms.push((c, token));
        }
        let mut set = tokio::task::JoinSet::new();
        for (c, token) in forms {
            let app = app.clone();
            set.spawn(async move {
                c.post(app.url("/login"))
                    .form(&[("csrf", token.as_str()), ("username", "cmd"), ("password", "guess guess guess")])
                    .send()
                    .await
                    .unwrap()
                    .status()
            });
        }
        let statuses: Vec<StatusCode> = set.join_all().await;
        let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
        let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
        assert_eq!(checked + refused, 12, "{engine}: nothing but 401 and 429: {statuses:?}");
        assert!(checked <= 5, "{engine}: {checked} passwords checked at once");
        // Guessing on one by one: five checked in all, then refused.
        let c = client_at("127.0.0.1");
        let mut more = 0;
        loop {
            let res = sign_in(&app, &c, "cmd", "guess guess guess").await;
            if res.status() == StatusCode::TOO_MANY_REQUESTS {
                break;
            }
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{engine}");
            more += 1;
            assert!(more <= 5, "{engine}: more than five guesses checked");
        }
        assert_eq!(checked + more, 5, "{engine}: exactly five guesses checked from the address");
        assert_eq!(sign_in(&app, &c, "cmd", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS, "{engine}");
    }
}

#[tokio::test]
async fn an_address_with_twenty_failures_on_any_accounts_is_held_back() {
    let app = spawn_app().await;
    let c = client_at("127.0.0.1");
    for name in ["cmd", "member-a", "leader-a", "leader", "lin"] {
        for _ in 0..4 {
            assert_eq!(sign_in(&app, &c, name, "guess guess guess").await.status(), StatusCode::UNAUTHORIZED, "{name}");
        }
    }
    assert_eq!(sign_in(&app, &c, "gong", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
    let elsewhere = client_at("127.0.0.2");
    assert_eq!(sign_in(&app, &elsewhere, "gong", PASSWORD).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_account_failing_from_many_addresses_is_slowed_but_its_owner_still_signs_in() {
    let app = spawn_app().await;
    for i in 1..=6 {
        let c = client_at(&format!("127.0.0.{i}"));
        assert_eq!(sign_in(&app, &c, "cmd", "guess guess guess").await.status(), StatusCode::UNAUTHORIZED);
    }
    let owner = client_at("127.0.0.9");
    let token = app.csrf(&owner, "/login").await;
    let started = Instant::now();
    let res = owner
        .post(app.url("/login"))
        .form(&[("csrf", token.as_str()), ("username", "cmd"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the right password from a clean address signs in");
    assert!(took >= Duration::from_millis(1500), "six failures slow the answer (2 s): took {took:?}");
}

#[tokio::test]
async fn guessing_the_current_password_on_the_account_page_follows_the_sign_in_rules() {
    for db in engines().await {
        let engine = db.engine;
        let app = spawn_app_on(db).await;
        let thief = client_at("127.0.0.1");
        assert_eq!(sign_in(&app, &thief, "member-a", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        for i in 0..5 {
            let res = change_password(&app, &thief, "guess guess guess", "taken over!!").await;
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{engine}: guess {i}");
        }
        let res = change_password(&app, &thief, PASSWORD, "taken over!!").await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{engine}: held back even with the right one");
        assert!(res.text().await.unwrap().contains("15 分钟"));
        // The failures count against signing in from that address too.
        let again = client_at("127.0.0.1");
        assert_eq!(sign_in(&app, &again, "member-a", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
        // The owner, elsewhere, is not held back.
        let owner = client_at("127.0.0.2");
        assert_eq!(sign_in(&app, &owner, "member-a", PASSWORD).await.status(), StatusCode::SEE_OTHER, "{engine}");
        let res = change_password(&app, &owner, PASSWORD, "a brand new one").await;
        assert_eq!(res.status(), StatusCode::OK, "{engine}");
    }
}

#[tokio::test]
async fn a_password_change_ends_the_users_other_sessions_and_keeps_the_one_changing() {
    for db in engines().await {
        let engine = db.engine;
        let app = spawn_app_on(db).await;
        let (a, b, other) = (app.login("member-a").await, app.login("member-a").await, app.login("leader-a").await);
        assert_eq!(status_of(&app, &b, "/").await, StatusCode::OK);
        let res = change_password(&app, &a, PASSWORD, "a brand new one").await;
        assert_eq!(res.status(), StatusCode::OK, "{engine}");
        assert!(res.text().await.unwrap().contains("密码已修改"));
        let res = b.get(app.url("/")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}: the other session has ended");
        assert!(location(&res).starts_with("/login"));
        assert_eq!(status_of(&app, &b, "/api/v1/me").await, StatusCode::UNAUTHORIZED, "{engine}: for the API too");
        assert_eq!(status_of(&app, &a, "/").await, StatusCode::OK, "{engine}: the one changing stays signed in");
        assert_eq!(status_of(&app, &other, "/").await, StatusCode::OK, "{engine}: another user's session stays");
        let me = app.db.store.actor_by_username("member-a").await.unwrap().unwrap().user_id;
        assert_eq!(app.db.store.session_count(me).await.unwrap(), 1, "{engine}");
    }
}

#[tokio::test]
async fn the_operators_password_reset_ends_every_session_of_the_user() {
    for db in engines().await {
        let engine = db.engine;
        let app = spawn_app_on(db).await;
        let (a, b, other) = (app.login("member-a").await, app.login("member-a").await, app.login("leader-a").await);
        // What `cordon user password member-a` does.
        app.db.store.set_password("member-a", "an operator's reset").await.unwrap();
        assert_eq!(status_of(&app, &a, "/").await, StatusCode::SEE_OTHER, "{engine}");
        assert_eq!(status_of(&app, &b, "/").await, StatusCode::SEE_OTHER, "{engine}");
        assert_eq!(status_of(&app, &other, "/").await, StatusCode::OK, "{engine}");
        let c = client();
        assert_eq!(sign_in(&app, &c, "member-a", "an operator's reset").await.status(), StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn the_one_time_admin_password_signs_in_once_and_must_be_changed_first() {
    for db in engines().await {
        let engine = db.engine;
        let once = db.store.ensure_admin().await.unwrap().expect("a first start");
        let app = spawn_app_on(db).await;
        let admin = client();
        let token = app.csrf(&admin, "/login").await;
        let res = admin
            .post(app.url("/login"))
            .form(&[("csrf", token.as_str()), ("username", "admin"), ("password", &once), ("next", "/residents")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}");
        assert_eq!(location(&res), "/account", "{engine}: straight to the password change");
        for path in ["/", "/residents", "/orders/new", "/audit"] {
            let res = admin.get(app.url(path)).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{engine}: {path}");
            assert_eq!(location(&res), "/account", "{engine}: {path}");
        }
        let csrf = app.csrf(&admin, "/account").await;
        let res = admin.post(app.url("/orders")).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
        assert_eq!(location(&res), "/account", "{engine}: a form elsewhere is not taken");
        let page = app.page(&admin, "/account").await;
        assert!(page.contains("一次性密码"), "{engine}: the message in Chinese");
        let res = admin.get(app.url("/lang/en?back=/account")).send().await.unwrap();
        assert_eq!(location(&res), "/account", "{engine}: the language may still be switched");
        assert!(app.page(&admin, "/account").await.contains("one-time password"), "{engine}: and in English");
        let res = admin.get(app.url("/api/v1/me")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{engine}: the API refuses the session");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "password-change-required");

        let second = client();
        assert_eq!(sign_in(&app, &second, "admin", &once).await.status(), StatusCode::UNAUTHORIZED, "{engine}: once");

        let res = change_password(&app, &admin, &once, "the admin's own one").await;
        assert_eq!(res.status(), StatusCode::OK, "{engine}");
        assert!(!res.text().await.unwrap().contains("one-time password"), "{engine}: the message is gone");
        assert_eq!(status_of(&app, &admin, "/").await, StatusCode::OK, "{engine}: a normal account now");
        assert_eq!(status_of(&app, &admin, "/residents").await, StatusCode::OK, "{engine}");
        assert_eq!(status_of(&app, &admin, "/api/v1/me").await, StatusCode::OK, "{engine}");
        let third = client();
        assert_eq!(sign_in(&app, &third, "admin", "the admin's own one").await.status(), StatusCode::SEE_OTHER);
        assert_eq!(status_of(&app, &third, "/").await, StatusCode::OK, "{engine}: no password change asked again");
        assert_eq!(sign_in(&app, &client(), "admin", &once).await.status(), StatusCode::UNAUTHORIZED, "{engine}");
    }
}

/// A response that may follow a user-given target: a redirect to a path of
/// this site, or a 400; never elsewhere, never a server error.
fn assert_stays_on_site(res: &reqwest::Response, case: &str) {
    let status = res.status();
    assert!(status == StatusCode::SEE_OTHER || status == StatusCode::BAD_REQUEST, "{case}: {status}");
    if status == StatusCode::SEE_OTHER {
        let to = location(res);
        assert!(to.starts_with('/') && !to.starts_with("//"), "{case}: to {to:?}");
        assert!(!to.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control()), "{case}: to {to:?}");
    }
    assert!(res.headers().get_all("set-cookie").iter().all(|v| !v.to_str().unwrap_or("").starts_with("x=")), "{case}");
}

#[tokio::test]
async fn redirects_never_leave_the_site_nor_fail() {
    let app = spawn_app().await;
    let c = app.login("cmd").await;
    for back in [
        "/%5Chost",
        "/%09/host",
        "//evil.example",
        "/%2F/evil.example",
        "https://evil.example/",
        "/%0d%0aSet-Cookie:%20x=y",
        "/%0aSet-Cookie:%20x=y",
        "/%E2%80%AE/x",
        "%ZZ",
        "%FF",
    ] {
        let res = c.get(app.url(&format!("/lang/en?back={back}"))).send().await.unwrap();
        assert_stays_on_site(&res, back);
        if res.status() == StatusCode::SEE_OTHER {
            assert_eq!(location(&res), "/", "{back}: home");
        }
    }
    let res = c.get(app.url("/lang/en?back=/residents?q=%E7%94%B2")).send().await.unwrap();
    assert_eq!(location(&res), "/residents?q=%E7%94%B2", "a same-site path is followed, in ASCII");
    // The Referer counts only from this host.
    for referer in ["https://evil.example/orders", "http://evil.example", "//evil.example/x"] {
        let res = c.get(app.url("/lang/zh")).header("referer", referer).send().await.unwrap();
        assert_stays_on_site(&res, referer);
        assert_eq!(location(&res), "/", "{referer}");
    }
    let host = app.base.trim_start_matches("http://");
    let res = c.get(app.url("/lang/zh")).header("referer", format!("http://{host}/orders")).send().await.unwrap();
    assert_eq!(location(&res), "/orders", "this host's Referer is followed");

    // After signing in.
    for next in ["//evil.example", "/\\evil", "/\t/evil.example", "https://evil.example", "/\r\nSet-Cookie: x=y"] {
        let anon = client();
        let token = app.csrf(&anon, "/login").await;
        let res = anon
            .post(app.url("/login"))
            .form(&[("csrf", token.as_str()), ("username", "cmd"), ("password", PASSWORD), ("next", next)])
            .send()
            .await
            .unwrap();
        assert_stays_on_site(&res, next);
        assert_eq!(location(&res), "/", "{next:?}");
    }
    for next in ["//evil.example", "/%5Cevil", "/%0d%0aSet-Cookie:%20x=y", "%FF"] {
        let anon = client();
        let res = anon.get(app.url(&format!("/login?next={next}"))).send().await.unwrap();
        assert!(res.status() == StatusCode::OK || res.status() == StatusCode::BAD_REQUEST, "{next}");
        if res.status() == StatusCode::OK {
            assert!(res.text().await.unwrap().contains("name=\"next\" value=\"/\""), "{next}: the form goes home");
        }
    }
}

/// The headers every response carries.
fn assert_secured(res: &reqwest::Response, what: &str) {
    let h = res.headers();
    let csp = h.get("content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP")).to_str().unwrap();
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{what}: {csp}");
    assert_eq!(h.get("x-content-type-options").map(|v| v.to_str().unwrap()), Some("nosniff"), "{what}");
    assert_eq!(h.get("referrer-policy").map(|v| v.to_str().unwrap()), Some("same-origin"), "{what}");
}

fn assert_not_stored(res: &reqwest::Response, what: &str) {
    assert_eq!(res.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "{what}");
}

#[tokio::test]
async fn pages_the_api_errors_the_public_page_and_static_files_carry_the_security_headers() {
    let app = spawn_app().await;
    let s = &app.db.store;
    let system = Actor::system();
    let resident = s
        .residents(
            &system,
            &cordon_store::residents::ResidentFilter { q: Some("甲一".into()), ..Default::default() },
            cordon_store::PageRequest::new(None, None),
            Default::default(),
        )
        .await
        .unwrap()
        .items[0]
        .id;
    let cadre = s
        .cadres(&system, &cordon_store::units::CadreFilter::default(), cordon_store::PageRequest::new(None, None))
        .await
        .unwrap()
        .items[0]
        .id;
    let checkpoint = s.checkpoints(&system, compound_id(s, "甲小区").await).await.unwrap()[0].id;
    let token = s.board(&system, checkpoint).await.unwrap().token;

    let cmd = app.login("cmd").await;
    let personal = [
        "/".to_string(),
        "/residents".into(),
        format!("/residents/{resident}"),
        "/cadres".into(),
        format!("/cadres/{cadre}"),
        format!("/checkpoints/{checkpoint}/board"),
        "/api/v1/me".into(),
        "/api/v1/residents".into(),
        format!("/api/v1/residents/{resident}"),
        "/api/v1/cadres".into(),
        "/no/such/page".into(),
        "/residents/abc".into(),
        "/api/v1/no/such/route".into(),
        "/api/v1/residents/abc".into(),
    ];
    for path in &personal {
        let res = cmd.get(app.url(path)).send().await.unwrap();
        assert!(!res.status().is_server_error(), "{path}: {}", res.status());
        assert_secured(&res, path);
        assert_not_stored(&res, path);
    }
    let anon = client();
    for path in ["/login".to_string(), format!("/c/{token}"), "/c/guessed".into(), "/residents".into()] {
        let res = anon.get(app.url(&path)).send().await.unwrap();
        assert_secured(&res, &path);
        assert_not_stored(&res, &path);
    }
    let res = cmd.post(app.url("/logout")).form(&[("csrf", "forged")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_secured(&res, "a refused form");
    for file in ["app.css", "board.js", "board-a4.css", "missing.css"] {
        let res = anon.get(app.url(&format!("/static/{file}"))).send().await.unwrap();
        assert_secured(&res, file);
    }
}

/// The tags of an HTML template (text between `<` and `>`, leaving out askama's `{% %}` and `{{ }}`).
fn tags(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        let after = &rest[i + 1..];
        let end = after.find('>').unwrap_or(after.len());
        out.push(after[..end].to_string());
        rest = &after[end..];
    }
    out
}

/// What a template holds that the CSP would block or that needs 'unsafe-inline':
/// a script with a body or without `src`, a `<style>` block, a `style=`
/// attribute, an `on…=` event handler.
fn inline_code(html: &str) -> Vec<String> {
    let lower = html.to_lowercase();
    let mut found = Vec::new();
    // A script only by its `src`, with nothing between its tags.
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("<script") {
        let tag_end = rest[i..].find('>').map(|e| i + e + 1).unwrap_or(rest.len());
        let close = rest[tag_end..].find("</script").map(|e| tag_end + e).unwrap_or(rest.len());
        if !rest[i..tag_end].contains("src=") || !rest[tag_end..close].trim().is_empty() {
            found.push("an inline script".to_string());
        }
        rest = &rest[close..];
    }
    if lower.contains("<style") {
        found.push("a <style> block".to_string());
    }
    for tag in tags(&lower) {
        for attr in tag.split(|c: char| c.is_whitespace()) {
            let Some((key, _)) = attr.split_once('=') else {
                continue;
            };
            if key == "style" {
                found.push(format!("a style attribute in <{tag}>"));
            }
            if key.len() > 2 && key.starts_with("on") && key.chars().all(|c| c.is_ascii_alphabetic()) {
                found.push(format!("a handler `{key}` in <{tag}>"));
            }
        }
    }
    found
}

#[test]
fn no_template_has_an_inline_script_an_event_handler_or_a_style() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut stack = vec![root];
    let (mut found, mut files) = (Vec::new(), 0);
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            files += 1;
            let html = std::fs::read_to_string(&path).unwrap();
            found.extend(inline_code(&html).into_iter().map(|f| format!("{}: {f}", path.display())));
        }
    }
    assert!(files > 20, "the templates were read: {files}");
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_template_scan_finds_each_kind_of_inline_code_and_passes_a_clean_page() {
    let clean = "{% if a < b %}<p class=\"x\">ok</p>{% endif %}<script src=\"/static/board.js\" defer></script>\
                 <button type=\"button\" data-on=\"1\">print</button>";
    assert_eq!(inline_code(clean), Vec::<String>::new());
    for (bad, what) in [
        ("<script>alert(1)</script>", "an inline script"),
        ("<SCRIPT src=\"/static/a.js\">alert(1)</SCRIPT>", "an inline script"),
        ("<style>p { color: red }</style>", "a <style> block"),
        ("<p class=\"a\" style=\"color: red\">x</p>", "a style attribute"),
        ("<button class=\"a\" onclick=\"go()\">b</button>", "a handler `onclick`"),
        ("<body\nonload=\"go()\">", "a handler `onload`"),
    ] {
        let found = inline_code(bad);
        assert!(found.iter().any(|f| f.starts_with(what)), "{bad}: {found:?}");
    }
}

/// Every state-changing page route: each non-GET route of the page routers.
// The own page's `/stay/{token}/…` are posted here with the literal `{token}`, which is no
// token: refused with 403. A real token's page sends a refused form back to itself, in the
// person's language (tests/quarantine.rs).
const STATE_CHANGING: &[&str] = &[
    "/account",
    "/cadres/{id}/reveal",
    "/cadres/{id}/training",
    "/imports",
    "/login",
    "/orders",
    "/orders/{id}/step",
    "/places/{id}/control",
    "/quarantine/batches/{id}/certificates",
    "/quarantine/batches/{id}/check-in",
    "/quarantine/batches/{id}/extend",
    "/quarantine/batches/{id}/manifest",
    "/quarantine/batches/{id}/release",
    "/quarantine/batches/{id}/results-file",
    "/quarantine/batches/{id}/timeline",
    "/quarantine/sites",
    "/quarantine/sites/{id}/batches",
    "/quarantine/sites/{id}/care",
    "/quarantine/sites/{id}/results",
    "/quarantine/sites/{id}/rooms/{room}/step",
    "/quarantine/sites/{id}/step",
    "/quarantine/sites/{id}/transfers/{transfer}/step",
    "/quarantine/sites/{id}/health-alerts/{check}/acknowledge",
    "/quarantine/sites/{id}/health-checks",
    "/quarantine/sites/{id}/requests/{rid}/step",
    "/residents/export",
    "/residents/{id}/reveal",
    "/shifts/{id}/handover",
    "/shifts/{id}/members",
    "/squads/{id}/kits",
    "/squads/{id}/kits/{entry}/reverse",
    "/squads/{id}/kits/members/{cadre}/all",
    "/squads/{id}/liaisons",
    "/squads/{id}/roster",
    "/squads/{id}/roster/clear",
    "/stay/{token}/health",
    "/stay/{token}/requests",
    "/webhooks",
    "/webhooks/{id}/delete",
    "/webhooks/{id}/disable",
    "/webhooks/{id}/enable",
    // Last: it ends the session.
    "/logout",
];

/// The page routes that take another method than GET, read from the routers' source.
fn non_get_routes_in_source() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![root];
    let mut out = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let mut from = 0;
            // `.route("/path", …)`, also as rustfmt breaks a long one: `.route(\n    "/path",`.
            while let Some(i) = text[from..].find(".route(") {
                let start = from + i + ".route(".len();
                if !text[start..].trim_start().starts_with('"') {
                    from = start;
                    continue;
                }
                let (mut depth, mut end) = (1, start);
                for (j, c) in text[start..].char_indices() {
                    match c {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                end = start + j;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let call = text[start..end].trim_start();
                let route = call[1..].split('"').next().unwrap().to_string();
                let changes = ["post(", "put(", "patch(", "delete("].iter().any(|m| {
                    call.match_indices(m).any(|(k, _)| {
                        call[..k].chars().next_back().is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
                    })
                });
                if changes && !route.starts_with("/api/") {
                    out.push(route);
                }
                from = end;
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn every_state_changing_page_route_refuses_a_request_without_the_csrf_token() {
    let mut listed: Vec<String> = STATE_CHANGING.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(listed, non_get_routes_in_source(), "the list names every non-GET page route");

    let app = spawn_app().await;
    let c = app.login("cmd").await;
    let token = csrf_of(&app.page(&c, "/").await);
    for route in STATE_CHANGING {
        let path = route.replace("{id}", "1").replace("{entry}", "1");
        let res = c.post(app.url(&path)).form(&[("note", "x")]).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path} without a token");
        assert!(res.text().await.unwrap().contains(CSRF_REFUSAL), "{path}: the CSRF refusal");
        let res = c.post(app.url(&path)).form(&[("csrf", "forged")]).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path} with a wrong token");
    }
    for route in STATE_CHANGING {
        let path = route.replace("{id}", "1").replace("{entry}", "1");
        let res = c
            .post(app.url(&path))
            .header("x-csrf-token", &token)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("")
            .send()
            .await
            .unwrap();
        let status = res.status();
        assert!(!status.is_server_error(), "{path}: {status}");
        let body = res.text().await.unwrap();
        assert!(!(status == StatusCode::FORBIDDEN && body.contains(CSRF_REFUSAL)), "{path}: past the CSRF check");
    }
    // The form field passes too.
    let c = app.login("cmd").await;
    let token = csrf_of(&app.page(&c, "/").await);
    let res = c.post(app.url("/logout")).form(&[("csrf", token.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_public_compound_page_is_rate_limited_per_address() {
    let mut dbs = vec![sqlite().await];
    dbs.extend(cordon_store::test_support::postgres().await);
    for mut db in dbs {
        let engine = db.engine;
        // Five seconds into a minute, so that the half minute later is still in the same one.
        let now = chrono::Utc::now().timestamp();
        let clock = FixedClock::at(chrono::DateTime::from_timestamp(now - now % 60 + 5, 0).unwrap());
        db.store = db.store.with_clock(Arc::new(clock.clone()));
        let app = spawn_app_on(db).await;
        let s = &app.db.store;
        let system = Actor::system();
        let checkpoint = s.checkpoints(&system, compound_id(s, "甲小区").await).await.unwrap()[0].id;
        let token = s.board(&system, checkpoint).await.unwrap().token;
        let page = format!("/c/{token}");
        let visitor = client_at("127.0.0.1");
        // Wrong tokens count too: they are how a scanner would look.
        for _ in 0..10 {
            assert_eq!(status_of(&app, &visitor, "/c/guessed").await, StatusCode::NOT_FOUND, "{engine}");
        }
        for i in 0..50 {
            assert_eq!(status_of(&app, &visitor, &page).await, StatusCode::OK, "{engine}: request {i}");
        }
        let res = visitor.get(app.url(&page)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{engine}: the 61st in a minute");
        assert!(res.headers().contains_key("retry-after"));
        assert!(res.text().await.unwrap().contains("过于频繁"), "{engine}: in Chinese");
        let res = visitor.get(app.url(&page)).header("cookie", "lang=ru").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(res.text().await.unwrap().contains("слишком часто"), "{engine}: in Russian");
        let neighbour = client_at("127.0.0.2");
        assert_eq!(status_of(&app, &neighbour, &page).await, StatusCode::OK, "{engine}: another address");
        clock.advance(chrono::Duration::seconds(30));
        assert_eq!(status_of(&app, &visitor, &page).await, StatusCode::TOO_MANY_REQUESTS, "{engine}: still");
        clock.advance(chrono::Duration::minutes(2));
        assert_eq!(status_of(&app, &visitor, &page).await, StatusCode::OK, "{engine}: open again later");
    }
}

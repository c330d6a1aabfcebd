//! PostgreSQL away: the app's store reaches the server through a small TCP
//! proxy, which the test shuts (its listener and every live connection) to
//! take the database away from a running app. Pages and the API must then
//! say "the database is away, try again" (503), never take the failure for
//! "not signed in" (401, the login page) or a bug (500) — nor a first
//! visit, whose new session cannot be saved —, and a signed-in person must
//! still be signed in when the database is back.

use std::net::SocketAddr;

use cordon_store::test_support::{PASSWORD, postgres};
use cordon_store::{Database, Store};
use cordon_web::i18n::{Lang, Tr};
use reqwest::StatusCode;
use reqwest::header::SET_COOKIE;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

mod common;

/// A TCP proxy to PostgreSQL on a fixed local address; `stop` closes its
/// listener and cuts every connection it carries.
struct Proxy {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Forwards every connection to `addr` (port 0: any free port) to `upstream`.
    async fn start(addr: SocketAddr, upstream: String) -> Proxy {
        let listener = TcpListener::bind(addr).await.expect("bind the proxy");
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            // The connections live in this task: aborting it drops them all.
            let mut conns = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let upstream = upstream.clone();
                conns.spawn(async move {
                    if let Ok(mut out) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
            }
        });
        Proxy { addr, task }
    }

    /// Closes the listener (new connections are refused) and every live connection.
    async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// The host:port and the rest of a `postgres://user@host:port/db` URL.
fn split_url(url: &str) -> (String, String, String) {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (user, rest) = rest.rsplit_once('@').map(|(u, r)| (format!("{u}@"), r)).unwrap_or((String::new(), rest));
    let (host, path) = rest.split_once('/').expect("a database name");
    (format!("{scheme}://{user}"), host.to_string(), format!("/{path}"))
}

/// Whether a response tells the browser to forget its session cookie.
fn clears_session(res: &reqwest::Response) -> bool {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| c.starts_with("cordon_session=") && (c.contains("Max-Age=0") || c.starts_with("cordon_session=;")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_postgresql_away_pages_and_the_api_answer_503_with_a_message_and_nobody_is_signed_out() {
    let Some(mut db) = postgres().await else { return };
    let Database::Postgres { url } = db.database.clone() else { unreachable!("postgres() gives PostgreSQL") };
    let (head, upstream, path) = split_url(&url);
    let proxy = Proxy::start("127.0.0.1:0".parse().unwrap(), upstream.clone()).await;
    let through = Database::Postgres { url: format!("{head}{}{path}", proxy.addr) };
    // The app's store goes through the proxy; the fixture is seeded through it too.
    db.store = Store::open(&through).await.expect("PostgreSQL through the proxy");
    let app = common::spawn_app_on(db).await;

    // While it forwards: signed in on a page, a token, and a stranger with the login form open.
    let signed = app.login("cmd").await;
    assert_eq!(signed.get(app.url("/account")).send().await.unwrap().status(), StatusCode::OK);
    let token = app.db.store.create_token("cmd").await.unwrap();
    let stranger = common::client();
    let login_csrf = app.csrf(&stranger, "/login").await;
    let bearer = common::api();
    assert_eq!(
        bearer.get(app.url("/api/v1/orders")).bearer_auth(&token).send().await.unwrap().status(),
        StatusCode::OK
    );

    let addr = proxy.addr;
    proxy.stop().await;

    let started = std::time::Instant::now();
    let newcomer = common::client();
    let (page, form, by_token, by_session, login, first_visit) = tokio::join!(
        signed.get(app.url("/account")).send(),
        signed
            .post(app.url("/account"))
            .form(&[("csrf", "whatever"), ("current", PASSWORD), ("new", "x"), ("confirm", "x")])
            .send(),
        bearer.get(app.url("/api/v1/orders")).bearer_auth(&token).send(),
        signed.get(app.url("/api/v1/orders")).send(),
        stranger
            .post(app.url("/login"))
            .form(&[("csrf", login_csrf.as_str()), ("username", "cmd"), ("password", PASSWORD), ("next", "/")])
            .send(),
        // No cookie yet: its new session (with a CSRF token) cannot be saved.
        newcomer.get(app.url("/login")).send(),
    );
    eprintln!("answered in {:?} with PostgreSQL away", started.elapsed());

    let zh = Tr::new(Lang::Zh, Default::default()).t("error-unavailable");
    assert!(!zh.is_empty() && zh != "error-unavailable", "the Chinese text exists");
    let pages = [
        ("a signed-in page", page.unwrap()),
        ("a page form", form.unwrap()),
        ("sign-in", login.unwrap()),
        ("a first visit", first_visit.unwrap()),
    ];
    for (what, res) in pages {
        let status = res.status();
        assert!(!clears_session(&res), "{what} keeps the session cookie");
        let html = res.text().await.unwrap();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {html}");
        assert!(html.contains(&zh), "{what} says the database is away, in Chinese: {html}");
        assert!(!html.contains("name=\"password\""), "{what} is not the login page: {html}");
    }
    for (what, res) in [("the API by token", by_token.unwrap()), ("the API by session", by_session.unwrap())] {
        let status = res.status();
        assert!(!clears_session(&res), "{what} keeps the session cookie");
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {body}");
        assert_eq!(body["error"]["code"], "unavailable", "{what}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap_or_default().is_empty(), "{what}: {body}");
    }

    // The database back on the same address: the same person, still signed in, and the same token.
    let proxy = Proxy::start(addr, upstream).await;
    let res = signed.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "still signed in once PostgreSQL is back");
    let res = bearer.get(app.url("/api/v1/orders")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the token works again");
    proxy.stop().await;
}

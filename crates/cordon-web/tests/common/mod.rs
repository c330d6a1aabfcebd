//! The web app on port 0 with a fresh, seeded database, and a browser-like
//! client (cookies, no redirects followed) for the HTTP test suites.
#![allow(dead_code)]

use cordon_domain::Role;
use cordon_store::test_support::{PASSWORD, TestDb, seed, sqlite, user};
use reqwest::StatusCode;
use reqwest::redirect::Policy;

/// A running app; stops when dropped.
pub struct App {
    pub base: String,
    pub db: TestDb,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Seeds the fixture and its users — cmd (command), member-a and leader-a
/// (甲小区), leader (甲小区), lin and unit-lin (市林草局), gong (市总工会) — and serves.
pub async fn spawn_app_on(db: TestDb) -> App {
    spawn_app_with(db, None).await
}

/// As `spawn_app_on`, with a configured public address (`--public-url`).
pub async fn spawn_app_with(db: TestDb, public_url: Option<&str>) -> App {
    let public_url = public_url.map(str::to_string);
    spawn_app_configured(db, |state| state.public_url = public_url).await
}

/// As `spawn_app_on`, with the app's settings changed by `configure`.
pub async fn spawn_app_configured(db: TestDb, configure: impl FnOnce(&mut cordon_web::AppState)) -> App {
    seed(&db.store).await.unwrap();
    let people = [
        ("cmd", Role::Command, "city"),
        ("member-a", Role::SquadMember, "道外区/仁里街道/民强社区/甲小区"),
        ("leader-a", Role::SquadLeader, "道外区/仁里街道/民强社区/甲小区"),
        ("leader", Role::SquadLeader, "道外区/仁里街道/民强社区/甲小区"),
        ("unit-lin", Role::Unit, "unit:市林草局"),
        ("lin", Role::Unit, "unit:市林草局"),
        ("gong", Role::Unit, "unit:市总工会"),
    ];
    for (name, role, scope) in people {
        user(&db.store, name, role, scope).await;
    }
    let (base, stop) = serve(db.store.clone(), configure).await;
    App { base, db, _stop: stop }
}

/// Serves a store on port 0 with the app's settings changed by `configure`:
/// its address, and what stops it when dropped.
async fn serve(
    store: cordon_store::Store,
    configure: impl FnOnce(&mut cordon_web::AppState),
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut state = cordon_web::AppState {
        store,
        zone: Default::default(),
        secure_cookies: false,
        public_url: None,
        webhook_allow_private: false,
        import_wait: cordon_web::IMPORT_WAIT,
    };
    configure(&mut state);
    tokio::spawn(cordon_web::serve(listener, state, async {
        let _ = rx.await;
    }));
    (base, tx)
}

/// Another instance of Cordon on an app's database (a pool of its own), as a
/// city runs several; stops when dropped.
pub struct Instance {
    pub base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl App {
    /// Serves a second instance on this app's database.
    pub async fn another_instance(&self) -> Instance {
        let store = cordon_store::Store::open(&self.db.database).await.unwrap();
        let (base, stop) = serve(store, |_| {}).await;
        Instance { base, _stop: stop }
    }
}

/// The app on a fresh SQLite database.
pub async fn spawn_app() -> App {
    spawn_app_on(sqlite().await).await
}

/// A client that keeps cookies and shows redirects instead of following them.
pub fn client() -> reqwest::Client {
    cordon_web::tls_ready();
    reqwest::Client::builder().cookie_store(true).redirect(Policy::none()).build().unwrap()
}

/// A plain client for the API (no cookies), as a program would use.
pub fn api() -> reqwest::Client {
    cordon_web::tls_ready();
    reqwest::Client::new()
}

/// The CSRF token of the first form on a page.
pub fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
    html[start..].split('"').next().unwrap().to_string()
}

impl App {
    /// An absolute URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The CSRF token of the form on a page.
    pub async fn csrf(&self, c: &reqwest::Client, path: &str) -> String {
        csrf_of(&self.page(c, path).await)
    }

    /// A page's HTML.
    pub async fn page(&self, c: &reqwest::Client, path: &str) -> String {
        c.get(self.url(path)).send().await.unwrap().text().await.unwrap()
    }

    /// The JSON an API path answers a bearer token with.
    pub async fn api_json(&self, token: &str, path: &str) -> serde_json::Value {
        api().get(self.url(path)).bearer_auth(token).send().await.unwrap().json().await.unwrap()
    }

    /// Posts a form body as written (repeated keys and all) and returns the response.
    pub async fn post_form(&self, c: &reqwest::Client, path: &str, body: &str) -> reqwest::Response {
        c.post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }

    /// A client signed in as this fixture user.
    pub async fn login(&self, name: &str) -> reqwest::Client {
        let c = client();
        let token = self.csrf(&c, "/login").await;
        let res = c
            .post(self.url("/login"))
            .form(&[("csrf", token.as_str()), ("username", name), ("password", PASSWORD), ("next", "/")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "login of {name}");
        c
    }
}

/// A webhook receiver on 127.0.0.1:`port` at `/hook`, for the webhook suites.
/// What the receiver got: the event header, the signature header and the body.
pub type Received = std::sync::Arc<std::sync::Mutex<Vec<(String, String, String)>>>;

pub async fn receiver(port: u16, got: Received) -> tokio::sync::oneshot::Sender<()> {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let got = got.clone();
            async move {
                let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                got.lock().unwrap().push((h("x-cordon-event"), h("x-cordon-signature"), body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("the port is free again");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    tx
}

/// A delivery worker that retries within milliseconds, links the public
/// address of the tests, and may send to this machine (the test receiver).
pub fn quick_worker() -> cordon_web::WorkerConfig {
    use std::time::Duration;
    cordon_web::WorkerConfig {
        retry_base: Duration::from_millis(40),
        retry_cap: Duration::from_millis(160),
        poll: Duration::from_millis(20),
        timeout: Duration::from_secs(2),
        zone: Default::default(),
        public_url: Some("https://cordon.example.gov.cn".into()),
        allow_private: true,
    }
}

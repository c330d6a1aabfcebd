//! Who sends the requests: HTTP clients holding an API token or a signed-in
//! page session. Client i of a target uses credential i mod n, so several
//! users share the load (ID-number look-ups are rate-limited per user).

use std::time::Duration;

use anyhow::{Context, Result, bail};
use reqwest::{Client, StatusCode, Url};

use crate::targets::Auth;

/// One client and what it signs with.
#[derive(Clone)]
pub struct Caller {
    /// The HTTP client (its own cookie jar for a session).
    pub client: Client,
    /// The bearer token, for API calls.
    pub bearer: Option<String>,
}

impl Caller {
    /// A GET of `url`, signed.
    pub fn get(&self, url: Url) -> reqwest::RequestBuilder {
        let rb = self.client.get(url);
        match &self.bearer {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }
}

/// The credentials of a run, turned into clients.
pub struct Callers {
    tokens: Vec<String>,
    sessions: Vec<Client>,
    timeout: Duration,
}

/// Installs rustls's ring provider, which reqwest with `rustls-no-provider`
/// needs before it builds a client (a second call changes nothing).
pub fn ready() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client that follows no redirect, so a page that sends to /login counts as an error.
fn client(timeout: Duration, cookies: bool) -> Result<Client> {
    ready();
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(cookies)
        .timeout(timeout)
        .pool_max_idle_per_host(64)
        .build()
        .context("cannot build an HTTP client")
}

/// The value of the login form's hidden `csrf` field.
pub fn csrf_of(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\"")?;
    let rest = &html[at..];
    let value = rest.find("value=\"")? + "value=\"".len();
    let end = rest[value..].find('"')?;
    Some(rest[value..value + end].to_string())
}

/// Signs in at /login as a person would: the login page for its CSRF token
/// and session cookie, then the form.
async fn sign_in(base: &Url, user: &str, password: &str, timeout: Duration) -> Result<Client> {
    let c = client(timeout, true)?;
    let page = c.get(base.join("/login")?).send().await.context("GET /login")?;
    if page.status() != StatusCode::OK {
        bail!("GET /login answered {}", page.status());
    }
    let html = page.text().await?;
    let csrf = csrf_of(&html).context("no csrf field on the login page")?;
    let answer = c
        .post(base.join("/login")?)
        .form(&[("csrf", csrf.as_str()), ("username", user), ("password", password), ("next", "/")])
        .send()
        .await
        .context("POST /login")?;
    let location = answer.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("").to_string();
    if !answer.status().is_redirection() {
        bail!("signing in as {user} answered {} (wrong password, or too many attempts)", answer.status());
    }
    if location.starts_with("/account") {
        bail!("{user} signed in with a one-time password and must change it first");
    }
    Ok(c)
}

impl Callers {
    /// Reads the tokens file (one a line) and signs in every `USER PASSWORD` line of the logins file.
    pub async fn new(base: &Url, tokens: Option<&str>, logins: Option<&str>, timeout: Duration) -> Result<Callers> {
        let tokens: Vec<String> =
            tokens.unwrap_or("").lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
        let mut sessions = Vec::new();
        for (i, line) in logins.unwrap_or("").lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let Some((user, password)) = line.split_once(char::is_whitespace) else {
                bail!("logins line {}: USERNAME PASSWORD", i + 1);
            };
            sessions.push(sign_in(base, user, password.trim(), timeout).await?);
        }
        Ok(Callers { tokens, sessions, timeout })
    }

    /// How many tokens and sessions there are.
    pub fn counts(&self) -> (usize, usize) {
        (self.tokens.len(), self.sessions.len())
    }

    /// The `n` clients of a target signed the way it asks.
    pub fn for_target(&self, auth: Auth, n: usize) -> Result<Vec<Caller>> {
        (0..n)
            .map(|i| {
                Ok(match auth {
                    Auth::Token => {
                        if self.tokens.is_empty() {
                            bail!("an API target needs --tokens");
                        }
                        Caller {
                            client: client(self.timeout, false)?,
                            bearer: Some(self.tokens[i % self.tokens.len()].clone()),
                        }
                    }
                    Auth::Session => {
                        if self.sessions.is_empty() {
                            bail!("a page target needs --logins");
                        }
                        // A session's clients share its cookie jar (and so its connection pool).
                        Caller { client: self.sessions[i % self.sessions.len()].clone(), bearer: None }
                    }
                    Auth::None => Caller { client: client(self.timeout, false)?, bearer: None },
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_token_is_read_from_the_hidden_field() {
        let html = r#"<form><input type="hidden" name="csrf" value="aBc-123_x"><input name="next" value="/"></form>"#;
        assert_eq!(csrf_of(html).as_deref(), Some("aBc-123_x"));
        assert_eq!(csrf_of("<form></form>"), None);
    }
}

//! The targets file: one target a line, `[OPTION...] NAME PATH`.
//!
//! Options (before the name, any order):
//! - `walk:K` — before measuring, reach the K-th page of this list by following
//!   the JSON `next` cursor K−1 times (`?after=<cursor>`), then measure that
//!   page; when the first answer has no `next` field, measure `?page=K`.
//! - `after:NAME` — measure this path at the position a `walk:` target NAME
//!   reached (its cursor as `?after=`, or its `?page=`): the HTML page of the
//!   same deep position, say.
//! - `requests:N` — at most N requests for this target (rate-limited look-ups).
//! - `auth:token`, `auth:session`, `auth:none` — how to sign the requests;
//!   by default `/api/` paths carry a bearer token and other paths a session.
//!
//! `#` starts a comment; blank lines are skipped. Paths hold no spaces.

use anyhow::{Context, Result, bail};

/// How a target's requests are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer` with an API token.
    Token,
    /// The cookie of a signed-in page session.
    Session,
    /// Nothing.
    None,
}

impl Auth {
    /// The word used in the targets file and the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Auth::Token => "token",
            Auth::Session => "session",
            Auth::None => "none",
        }
    }
}

/// One page or API call to measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Its name in the report.
    pub name: String,
    /// Path and query, from the base URL.
    pub path: String,
    /// Reach the K-th page first (`walk:K`).
    pub walk: Option<usize>,
    /// Measure at the position another target's walk reached (`after:NAME`).
    pub after: Option<String>,
    /// At most this many requests (`requests:N`), below the run's own limit.
    pub requests: Option<usize>,
    /// How requests are signed.
    pub auth: Auth,
}

/// Reads a targets file's text.
pub fn parse(text: &str) -> Result<Vec<Target>> {
    let mut out: Vec<Target> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let target = parse_line(line).with_context(|| format!("targets line {}: {raw}", i + 1))?;
        if out.iter().any(|t| t.name == target.name) {
            bail!("targets line {}: the name {} is used twice", i + 1, target.name);
        }
        if let Some(a) = &target.after
            && !out.iter().any(|t| &t.name == a && t.walk.is_some())
        {
            bail!("targets line {}: after:{a} names no earlier walk: target", i + 1);
        }
        out.push(target);
    }
    Ok(out)
}

fn parse_line(line: &str) -> Result<Target> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some((path, rest)) = words.split_last() else { bail!("empty") };
    let Some((name, options)) = rest.split_last() else { bail!("needs NAME PATH") };
    if !path.starts_with('/') {
        bail!("the path {path} does not start with /");
    }
    let mut t = Target {
        name: name.to_string(),
        path: path.to_string(),
        walk: None,
        after: None,
        requests: None,
        auth: if path.starts_with("/api/") { Auth::Token } else { Auth::Session },
    };
    for option in options {
        let Some((key, value)) = option.split_once(':') else { bail!("{option} is not an option (KEY:VALUE)") };
        match key {
            "walk" => t.walk = Some(positive(value).context("walk:K")?),
            "requests" => t.requests = Some(positive(value).context("requests:N")?),
            "after" => t.after = Some(value.to_string()),
            "auth" => {
                t.auth = match value {
                    "token" => Auth::Token,
                    "session" => Auth::Session,
                    "none" => Auth::None,
                    _ => bail!("auth:{value}: one of token, session, none"),
                }
            }
            _ => bail!("unknown option {key}: (walk, after, requests, auth)"),
        }
    }
    if t.walk.is_some() && t.after.is_some() {
        bail!("walk: and after: together");
    }
    Ok(t)
}

fn positive(s: &str) -> Result<usize> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => bail!("{s} is not a whole number above 0"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_options_then_a_name_then_a_path() {
        let t =
            parse("# the list\nwalk:5000 deep /api/v1/residents\n\nrequests:20 auth:none by-id /x?q=1 # a comment\n")
                .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].name, "deep");
        assert_eq!(t[0].walk, Some(5000));
        assert_eq!(t[0].auth, Auth::Token);
        assert_eq!(t[1].path, "/x?q=1");
        assert_eq!(t[1].requests, Some(20));
        assert_eq!(t[1].auth, Auth::None);
    }

    #[test]
    fn pages_are_signed_with_a_session_and_the_api_with_a_token() {
        let t = parse("a /residents\nb /api/v1/places\n").unwrap();
        assert_eq!(t[0].auth, Auth::Session);
        assert_eq!(t[1].auth, Auth::Token);
    }

    #[test]
    fn after_must_name_an_earlier_walk() {
        assert!(parse("after:deep html /residents\nwalk:3 deep /api/v1/residents\n").is_err());
        assert!(parse("plain /api/v1/residents\nafter:plain html /residents\n").is_err());
        let t = parse("walk:3 deep /api/v1/residents\nafter:deep html /residents\n").unwrap();
        assert_eq!(t[1].after.as_deref(), Some("deep"));
    }

    #[test]
    fn bad_lines_are_refused_with_their_number() {
        for bad in
            ["lonely", "name path-without-slash", "walk:0 a /x", "what:1 a /x", "a /x\na /y", "walk:2 after:a b /x"]
        {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let e = parse("ok /x\nbroken\n").unwrap_err();
        assert!(format!("{e:#}").contains("line 2"), "{e:#}");
    }
}

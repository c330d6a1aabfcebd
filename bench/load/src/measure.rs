//! Walking to a deep page, and measuring one target with N concurrent clients.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use reqwest::Url;
use serde_json::Value;

use crate::callers::Caller;

/// Where a walk through a list ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// The cursor of the page reached (`?after=`).
    Cursor(String),
    /// The list has no cursor: the page number (`?page=`).
    Page(usize),
}

impl Position {
    /// `url` at this position: its `after` or `page` parameter set (replaced if present).
    pub fn apply(&self, url: &Url) -> Url {
        let (key, value) = match self {
            Position::Cursor(c) => ("after", c.clone()),
            Position::Page(k) => ("page", k.to_string()),
        };
        set_param(url, key, &value)
    }
}

/// `url` with one query parameter set, every other kept in order.
pub fn set_param(url: &Url, key: &str, value: &str) -> Url {
    let kept: Vec<(String, String)> =
        url.query_pairs().filter(|(k, _)| k != key).map(|(k, v)| (k.into(), v.into())).collect();
    let mut out = url.clone();
    {
        let mut q = out.query_pairs_mut();
        q.clear();
        for (k, v) in &kept {
            q.append_pair(k, v);
        }
        q.append_pair(key, value);
    }
    out
}

/// A walk's outcome.
#[derive(Debug, Clone)]
pub struct Walk {
    /// Where it ended.
    pub position: Position,
    /// The page it reached (1 = the first).
    pub page: usize,
    /// Whether the list ended before the page asked for.
    pub ended_early: bool,
    /// Requests made.
    pub steps: usize,
    /// Time of the whole walk.
    pub seconds: f64,
}

/// What a list answer says of the next page: `None` when the answer has no
/// `next` field (an offset-paged list), `Some(None)` at the end of the list.
pub fn next_cursor(body: &Value, base: &Url) -> Result<Option<Option<String>>> {
    match body.get("next") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.starts_with('/') || s.starts_with("http") => {
            // A link to the next page: its cursor is its `after` parameter.
            let url = base.join(s).with_context(|| format!("next is not a URL: {s}"))?;
            let after = url.query_pairs().find(|(k, _)| k == "after").map(|(_, v)| v.into_owned());
            match after {
                Some(a) => Ok(Some(Some(a))),
                None => bail!("next is a link without after=: {s}"),
            }
        }
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(other) => bail!("next is neither a string nor null: {other}"),
    }
}

/// Reaches the `k`-th page of the JSON list at `url` by following `next`
/// (k − 1 requests after the first), or says `?page=k` when the list has no cursor.
pub async fn walk(caller: &Caller, base: &Url, url: &Url, k: usize) -> Result<Walk> {
    let started = Instant::now();
    let mut current = url.clone();
    let mut cursor: Option<String> = None;
    let mut page = 1;
    let mut steps = 0;
    loop {
        let answer = caller.get(current.clone()).send().await.with_context(|| format!("GET {current}"))?;
        steps += 1;
        let status = answer.status();
        let text = answer.text().await?;
        if !status.is_success() {
            bail!("walking {url}: page {page} answered {status}: {}", snippet(&text));
        }
        let body: Value = serde_json::from_str(&text).with_context(|| format!("walking {url}: not JSON"))?;
        if page == k {
            break;
        }
        match next_cursor(&body, base)? {
            None if page == 1 => {
                return Ok(Walk {
                    position: Position::Page(k),
                    page: k,
                    ended_early: false,
                    steps,
                    seconds: started.elapsed().as_secs_f64(),
                });
            }
            None => bail!("walking {url}: page {page} has no next field, the pages before it had"),
            Some(None) => {
                return Ok(Walk {
                    position: cursor.map(Position::Cursor).unwrap_or(Position::Page(1)),
                    page,
                    ended_early: true,
                    steps,
                    seconds: started.elapsed().as_secs_f64(),
                });
            }
            Some(Some(c)) => {
                current = set_param(url, "after", &c);
                cursor = Some(c);
                page += 1;
            }
        }
    }
    let position = match cursor {
        Some(c) => Position::Cursor(c),
        None => Position::Page(1),
    };
    Ok(Walk { position, page, ended_early: false, steps, seconds: started.elapsed().as_secs_f64() })
}

/// The first characters of an answer, on one line.
pub fn snippet(text: &str) -> String {
    let one_line: String = text.chars().take(200).map(|c| if c.is_control() { ' ' } else { c }).collect();
    one_line.trim().to_string()
}

/// How long to measure a target.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// At most this many measured requests.
    pub requests: usize,
    /// Stop sending after this long.
    pub duration: Duration,
    /// Unmeasured requests first (caches, connections).
    pub warmup: usize,
}

/// The measured requests of one target.
#[derive(Debug, Default)]
pub struct Sample {
    /// Latency of every 2xx answer, milliseconds, sorted.
    pub ok_ms: Vec<f64>,
    /// Answers by status code.
    pub statuses: BTreeMap<u16, usize>,
    /// Requests that got no answer (refused, reset, timed out).
    pub failed: usize,
    /// The first non-2xx answer or failure, for the report.
    pub first_error: Option<String>,
    /// Wall time of the measured part.
    pub seconds: f64,
}

impl Sample {
    /// Requests measured.
    pub fn requests(&self) -> usize {
        self.statuses.values().sum::<usize>() + self.failed
    }

    /// Non-2xx answers and failures.
    pub fn errors(&self) -> usize {
        self.requests() - self.ok_ms.len()
    }

    /// The p-th percentile (nearest rank) of the 2xx latencies.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        percentile(&self.ok_ms, p)
    }

    /// 2xx answers a second.
    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 { self.ok_ms.len() as f64 / self.seconds } else { 0.0 }
    }
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// One request's outcome.
enum Outcome {
    Answer { status: u16, ms: f64, body: Option<String> },
    Failed(String),
}

async fn one(caller: &Caller, url: &Url) -> Outcome {
    let t = Instant::now();
    match caller.get(url.clone()).send().await {
        Ok(answer) => {
            let status = answer.status();
            match answer.bytes().await {
                Ok(bytes) => Outcome::Answer {
                    status: status.as_u16(),
                    ms: t.elapsed().as_secs_f64() * 1000.0,
                    body: (!status.is_success()).then(|| snippet(&String::from_utf8_lossy(&bytes))),
                },
                Err(e) => Outcome::Failed(format!("reading the answer: {e}")),
            }
        }
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// Client `i`'s share of `total` requests over `clients`: even, the first ones
/// one more. A fixed share (not a common counter) keeps each user's count of
/// rate-limited look-ups known in advance.
pub fn share(total: usize, clients: usize, i: usize) -> usize {
    total / clients + usize::from(i < total % clients)
}

/// Sends `budget.requests` GETs of `url` (fewer if the duration runs out)
/// from `callers.len()` concurrent clients, each its share, each sending its
/// next request when its last is answered.
pub async fn measure(callers: &[Caller], url: &Url, budget: Budget) -> Sample {
    // Warm-up: the same clients, not counted.
    let warm = Arc::new(AtomicUsize::new(0));
    let mut set = tokio::task::JoinSet::new();
    for caller in callers {
        let (caller, warm, url) = (caller.clone(), warm.clone(), url.clone());
        set.spawn(async move {
            while warm.fetch_add(1, Ordering::Relaxed) < budget.warmup {
                let _ = one(&caller, &url).await;
            }
        });
    }
    while set.join_next().await.is_some() {}

    let started = Instant::now();
    let deadline = started + budget.duration;
    let mut set = tokio::task::JoinSet::new();
    for (i, caller) in callers.iter().cloned().enumerate() {
        let url = url.clone();
        let quota = share(budget.requests, callers.len(), i);
        set.spawn(async move {
            let mut got = Vec::new();
            while got.len() < quota && Instant::now() < deadline {
                got.push(one(&caller, &url).await);
            }
            got
        });
    }
    let mut sample = Sample::default();
    while let Some(joined) = set.join_next().await {
        for outcome in joined.unwrap_or_default() {
            match outcome {
                Outcome::Answer { status, ms, body } => {
                    *sample.statuses.entry(status).or_default() += 1;
                    if (200..300).contains(&status) {
                        sample.ok_ms.push(ms);
                    } else if sample.first_error.is_none() {
                        sample.first_error = Some(format!("{status}: {}", body.unwrap_or_default()));
                    }
                }
                Outcome::Failed(e) => {
                    sample.failed += 1;
                    sample.first_error.get_or_insert(e);
                }
            }
        }
    }
    sample.seconds = started.elapsed().as_secs_f64();
    sample.ok_ms.sort_by(f64::total_cmp);
    sample
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A stand-in server on 127.0.0.1: `/list` pages of a 10-page list with a
    /// cursor (`after=N` gives page N+1; `next` null on page 10), `/offset` a
    /// list without `next`, `/fail` a 500. One request per connection.
    async fn fake_server() -> Url {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 1024];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&buf);
                    let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let url = Url::parse("http://x").unwrap().join(&target).unwrap();
                    let (status, body) = match url.path() {
                        "/list" => {
                            let after: usize = url
                                .query_pairs()
                                .find(|(k, _)| k == "after")
                                .map(|(_, v)| v.parse().unwrap())
                                .unwrap_or(0);
                            let page = after + 1;
                            let next = if page < 10 { json!(page.to_string()) } else { Value::Null };
                            ("200 OK", json!({"items": [page], "next": next}).to_string())
                        }
                        "/offset" => ("200 OK", json!({"items": [], "page": 1}).to_string()),
                        _ => ("500 Internal Server Error", "{}".to_string()),
                    };
                    let answer = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = conn.write_all(answer.as_bytes()).await;
                });
            }
        });
        base
    }

    fn caller() -> Caller {
        crate::callers::ready();
        Caller { client: reqwest::Client::new(), bearer: Some("t".into()) }
    }

    #[tokio::test]
    async fn a_walk_follows_next_to_the_page_asked_for() {
        let base = fake_server().await;
        let w = walk(&caller(), &base, &base.join("/list?per_page=1").unwrap(), 7).await.unwrap();
        assert_eq!(w.position, Position::Cursor("6".into()));
        assert_eq!((w.page, w.steps, w.ended_early), (7, 7, false));
        let at = w.position.apply(&base.join("/list?per_page=1").unwrap());
        let body: Value = caller().get(at).send().await.unwrap().json().await.unwrap();
        assert_eq!(body["items"], json!([7]));
    }

    #[tokio::test]
    async fn a_walk_stops_at_the_end_of_the_list() {
        let base = fake_server().await;
        let w = walk(&caller(), &base, &base.join("/list").unwrap(), 50).await.unwrap();
        assert_eq!(w.position, Position::Cursor("9".into()));
        assert_eq!((w.page, w.steps, w.ended_early), (10, 10, true));
    }

    #[tokio::test]
    async fn a_list_without_next_is_walked_by_page_number() {
        let base = fake_server().await;
        let w = walk(&caller(), &base, &base.join("/offset").unwrap(), 5000).await.unwrap();
        assert_eq!(w.position, Position::Page(5000));
        assert_eq!(w.steps, 1);
    }

    #[tokio::test]
    async fn every_request_is_counted_and_non_2xx_answers_are_errors() {
        let base = fake_server().await;
        let callers = vec![caller(); 4];
        let budget = Budget { requests: 10, duration: Duration::from_secs(30), warmup: 2 };
        let ok = measure(&callers, &base.join("/offset").unwrap(), budget).await;
        assert_eq!((ok.requests(), ok.errors(), ok.ok_ms.len()), (10, 0, 10));
        assert!(ok.percentile(50.0).unwrap() <= ok.percentile(99.0).unwrap());
        let bad = measure(&callers, &base.join("/fail").unwrap(), budget).await;
        assert_eq!((bad.requests(), bad.errors()), (10, 10));
        assert_eq!(bad.statuses.get(&500), Some(&10));
        assert!(bad.first_error.as_deref().unwrap_or("").starts_with("500"));
        assert_eq!(bad.percentile(50.0), None);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn requests_are_shared_evenly_and_all_sent() {
        assert_eq!((0..16).map(|i| share(100, 16, i)).collect::<Vec<_>>()[..5], [7, 7, 7, 7, 6]);
        assert_eq!((0..16).map(|i| share(100, 16, i)).sum::<usize>(), 100);
        assert_eq!((0..4).map(|i| share(2, 4, i)).collect::<Vec<_>>(), [1, 1, 0, 0]);
    }

    #[test]
    fn a_position_replaces_the_parameter_and_keeps_the_others() {
        let url = Url::parse("http://127.0.0.1:1/api/v1/residents?tag=dialysis&after=old&page=2").unwrap();
        let at = Position::Cursor("a+b/c=".into()).apply(&url);
        let pairs: Vec<(String, String)> = at.query_pairs().map(|(k, v)| (k.into(), v.into())).collect();
        let want = [("tag", "dialysis"), ("page", "2"), ("after", "a+b/c=")];
        assert_eq!(pairs, want.map(|(k, v)| (k.to_string(), v.to_string())));
        assert_eq!(Position::Page(5000).apply(&url).query(), Some("tag=dialysis&after=old&page=5000"));
    }

    #[test]
    fn the_next_field_is_a_cursor_a_link_or_the_end() {
        let base = Url::parse("http://127.0.0.1:1").unwrap();
        assert_eq!(next_cursor(&json!({"items": [], "page": 1}), &base).unwrap(), None);
        assert_eq!(next_cursor(&json!({"next": null}), &base).unwrap(), Some(None));
        assert_eq!(next_cursor(&json!({"next": "k9"}), &base).unwrap(), Some(Some("k9".into())));
        let link = json!({"next": "/api/v1/residents?after=k%2B9&per_page=50"});
        assert_eq!(next_cursor(&link, &base).unwrap(), Some(Some("k+9".into())));
        assert!(next_cursor(&json!({"next": "/api/v1/residents?page=2"}), &base).is_err());
        assert!(next_cursor(&json!({"next": 3}), &base).is_err());
    }
}

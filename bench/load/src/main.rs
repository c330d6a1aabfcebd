//! `cordon-load`: measures Cordon's pages and API calls one target at a time,
//! each with N concurrent clients (default 16) for a bounded number of
//! requests and seconds, and prints requests, errors (non-2xx), p50, p99 and
//! max per target; `--json FILE` writes the same for scripts. Plain HTTP to
//! this machine only, unless `--allow-remote`. See bench/README.md.

mod callers;
mod measure;
mod targets;

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use reqwest::Url;
use serde_json::json;

use measure::{Budget, Position, Sample, Walk};

/// Measures Cordon's pages and API calls under concurrent clients.
#[derive(Parser, Debug)]
#[command(name = "cordon-load", version, about)]
struct Args {
    /// The server, e.g. http://127.0.0.1:18431.
    #[arg(long)]
    base: String,
    /// The targets: one `[walk:K] [after:NAME] [requests:N] [auth:token|session|none] NAME PATH` a line.
    #[arg(long)]
    targets: PathBuf,
    /// API bearer tokens, one a line (`cordon token create --user NAME`); client i uses token i mod n.
    #[arg(long)]
    tokens: Option<PathBuf>,
    /// Page sign-ins, one `USERNAME PASSWORD` a line; client i uses session i mod n.
    #[arg(long)]
    logins: Option<PathBuf>,
    /// Concurrent clients per target.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1024))]
    concurrency: u64,
    /// Measured requests per target, at most.
    #[arg(long, default_value_t = 1000)]
    requests: usize,
    /// Seconds per target, at most (no request starts after it).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Unmeasured requests before each target (default: one per client).
    #[arg(long)]
    warmup: Option<usize>,
    /// Seconds before a request counts as failed.
    #[arg(long, default_value_t = 60.0)]
    timeout: f64,
    /// The p50 goal in ms; rows over it are marked.
    #[arg(long, default_value_t = 10.0)]
    p50_goal: f64,
    /// The p99 goal in ms; rows over it are marked.
    #[arg(long, default_value_t = 50.0)]
    p99_goal: f64,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Only the targets whose name contains this (and the walks they need).
    #[arg(long)]
    only: Option<String>,
    /// Allow a server that is not on this machine.
    #[arg(long)]
    allow_remote: bool,
}

/// One target's results.
struct Row {
    target: targets::Target,
    url: Url,
    walk: Option<Walk>,
    clients: usize,
    sample: Sample,
}

/// Whether the URL's host is this machine (localhost or a loopback address).
fn is_local(url: &Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(h) => h.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// A file's text, when one is named.
fn read(path: &Option<PathBuf>) -> Result<Option<String>> {
    path.as_ref()
        .map(|p| std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display())))
        .transpose()
}

/// A millisecond figure for the table.
fn ms(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "-".into())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let base = Url::parse(&args.base).with_context(|| format!("{} is not a URL", args.base))?;
    if !matches!(base.scheme(), "http") {
        bail!("plain http only: {}", args.base);
    }
    if !is_local(&base) && !args.allow_remote {
        bail!("{} is not on this machine; --allow-remote to measure it", args.base);
    }
    let text =
        std::fs::read_to_string(&args.targets).with_context(|| format!("cannot read {}", args.targets.display()))?;
    let mut list = targets::parse(&text)?;
    if let Some(only) = &args.only {
        let needed: Vec<String> =
            list.iter().filter(|t| t.name.contains(only.as_str())).filter_map(|t| t.after.clone()).collect();
        list.retain(|t| t.name.contains(only.as_str()) || needed.contains(&t.name));
    }
    let timeout = Duration::from_secs_f64(args.timeout);
    let callers =
        callers::Callers::new(&base, read(&args.tokens)?.as_deref(), read(&args.logins)?.as_deref(), timeout).await?;
    let (n_tokens, n_sessions) = callers.counts();
    let concurrency = args.concurrency as usize;
    println!(
        "cordon-load: {base}, {} targets, {concurrency} clients each, at most {} requests and {} s a target; \
         {n_tokens} token(s), {n_sessions} session(s)",
        list.len(),
        args.requests,
        args.duration
    );

    let mut rows: Vec<Row> = Vec::new();
    for target in list {
        let url = base.join(&target.path).with_context(|| format!("{}: bad path {}", target.name, target.path))?;
        let clients = callers.for_target(target.auth, concurrency)?;
        let mut walk = None;
        let url = match (target.walk, &target.after) {
            (Some(k), _) => {
                let w = measure::walk(&clients[0], &base, &url, k).await.with_context(|| target.name.clone())?;
                let how = match &w.position {
                    Position::Cursor(_) => format!("followed next {} times", w.steps - 1),
                    Position::Page(p) => format!("no next field: ?page={p}"),
                };
                let early = if w.ended_early { " (the list ended there)" } else { "" };
                println!("  {}: page {} reached in {:.1} s, {how}{early}", target.name, w.page, w.seconds);
                let at = w.position.apply(&url);
                walk = Some(w);
                at
            }
            (None, Some(from)) => {
                let w = rows.iter().find(|r| &r.target.name == from).and_then(|r| r.walk.as_ref());
                match w {
                    Some(w) => w.position.apply(&url),
                    None => bail!("{}: after:{from}, which did not walk", target.name),
                }
            }
            (None, None) => url,
        };
        let budget = Budget {
            requests: target.requests.map_or(args.requests, |r| r.min(args.requests)),
            duration: Duration::from_secs_f64(args.duration),
            warmup: if target.requests.is_some() { 0 } else { args.warmup.unwrap_or(concurrency) },
        };
        // A rate-limited target spends its few requests on the measurement, none on warming up.
        let n = concurrency.min(budget.requests);
        let sample = measure::measure(&clients[..n], &url, budget).await;
        if let Some(e) = &sample.first_error {
            println!("  {}: {} error(s), the first: {e}", target.name, sample.errors());
        }
        rows.push(Row { target, url, walk, clients: n, sample });
    }

    print_table(&rows, args.p50_goal, args.p99_goal);
    if let Some(path) = &args.json {
        let out = json!({
            "base": base.as_str(),
            "concurrency": concurrency,
            "requests": args.requests,
            "duration_s": args.duration,
            "p50_goal_ms": args.p50_goal,
            "p99_goal_ms": args.p99_goal,
            "targets": rows.iter().map(|r| {
                let s = &r.sample;
                json!({
                    "name": r.target.name,
                    "path": r.target.path,
                    "url": r.url.as_str(),
                    "auth": r.target.auth.as_str(),
                    "clients": r.clients,
                    "requests": s.requests(),
                    "errors": s.errors(),
                    "statuses": s.statuses.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
                    "failed": s.failed,
                    "first_error": s.first_error,
                    "p50_ms": s.percentile(50.0),
                    "p99_ms": s.percentile(99.0),
                    "max_ms": s.ok_ms.last(),
                    "mean_ms": (!s.ok_ms.is_empty()).then(|| s.ok_ms.iter().sum::<f64>() / s.ok_ms.len() as f64),
                    "per_s": s.rate(),
                    "seconds": s.seconds,
                    "walk": r.walk.as_ref().map(|w| json!({
                        "page": w.page,
                        "mode": match w.position { Position::Cursor(_) => "cursor", Position::Page(_) => "page" },
                        "ended_early": w.ended_early,
                        "steps": w.steps,
                        "seconds": w.seconds,
                    })),
                })
            }).collect::<Vec<_>>(),
        });
        std::fs::write(path, serde_json::to_string_pretty(&out)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// The table of every target, goals marked, and the slowest target.
fn print_table(rows: &[Row], p50_goal: f64, p99_goal: f64) {
    let width = rows.iter().map(|r| r.target.name.len()).max().unwrap_or(6).max(6);
    println!();
    println!(
        "{:<width$} {:>8} {:>6} {:>9} {:>9} {:>9} {:>8}  goal (p50 {p50_goal} ms, p99 {p99_goal} ms)",
        "target", "requests", "errors", "p50 ms", "p99 ms", "max ms", "req/s"
    );
    for r in rows {
        let s = &r.sample;
        let (p50, p99) = (s.percentile(50.0), s.percentile(99.0));
        let mut missed = Vec::new();
        if p50.is_none_or(|v| v > p50_goal) {
            missed.push("p50");
        }
        if p99.is_none_or(|v| v > p99_goal) {
            missed.push("p99");
        }
        if s.errors() > 0 {
            missed.push("errors");
        }
        let goal = if missed.is_empty() { "ok".to_string() } else { format!("MISS {}", missed.join(" ")) };
        println!(
            "{:<width$} {:>8} {:>6} {:>9} {:>9} {:>9} {:>8.1}  {goal}",
            r.target.name,
            s.requests(),
            s.errors(),
            ms(p50),
            ms(p99),
            ms(s.ok_ms.last().copied()),
            s.rate()
        );
    }
    let slowest =
        rows.iter().filter_map(|r| r.sample.percentile(99.0).map(|p| (p, r))).max_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((p99, r)) = slowest {
        println!("slowest: {} (p99 {p99:.1} ms, p50 {} ms): {}", r.target.name, ms(r.sample.percentile(50.0)), r.url);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_is_local() {
        for local in ["http://127.0.0.1:8080", "http://localhost/", "http://127.3.0.9", "http://[::1]:80"] {
            assert!(is_local(&Url::parse(local).unwrap()), "{local}");
        }
        for remote in ["http://10.0.0.1", "http://192.168.1.1:8080", "http://example.org", "http://[fe80::1]"] {
            assert!(!is_local(&Url::parse(remote).unwrap()), "{remote}");
        }
    }
}

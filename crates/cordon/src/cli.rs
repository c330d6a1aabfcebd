//! The command line: flags with `CORDON_*` environment fallbacks; exit code 0
//! ok, 1 failure, 2 bad usage or bad input.

use std::io::{IsTerminal, Read};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use cordon_domain::clock::Zone;
use cordon_domain::orders::OrderState;
use cordon_domain::{Actor, Role, ScopeSpec};
use cordon_store::imports::{Body, ImportKind, ImportProgress, ImportSummary, Upload};
use cordon_store::orders::OrderFilter;
use cordon_store::residents::Reveal;
use cordon_store::sheets::{SheetFormat, SheetLimits};
use cordon_store::{Database, Store, StoreError};
use indicatif::{ProgressBar, ProgressStyle};

mod quarantine;

/// Bad input or usage: exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

/// Cordon, the operations system of an epidemic-prevention command.
#[derive(Parser, Debug)]
#[command(name = "cordon", version, about)]
pub struct Cli {
    #[command(flatten)]
    db: DbArgs,
    #[command(subcommand)]
    command: Command,
}

/// Which database every command uses.
#[derive(Args, Debug, Clone)]
pub struct DbArgs {
    /// Directory of the embedded SQLite database.
    #[arg(long, global = true, env = "CORDON_DATA_DIR", default_value = "./cordon-data")]
    data_dir: PathBuf,
    /// A postgres:// URL; when given, PostgreSQL is used instead of SQLite.
    #[arg(long, global = true, env = "CORDON_DATABASE_URL")]
    database_url: Option<String>,
    /// Time zone for every day count.
    #[arg(long, global = true, env = "CORDON_TIMEZONE", default_value = "Asia/Shanghai")]
    timezone: String,
}

impl DbArgs {
    fn database(&self) -> Database {
        Database::choose(self.data_dir.clone(), self.database_url.as_deref())
    }

    fn zone(&self) -> Result<Zone> {
        Zone::parse(&self.timezone).ok_or_else(|| usage(format!("unknown time zone {}", self.timezone)))
    }

    async fn store(&self) -> Result<Store> {
        let db = self.database();
        Store::connect(&db).await.with_context(|| format!("cannot open {}", db.describe()))
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serves the web pages and the API.
    Serve(ServeArgs),
    /// Builds the demo scenario (Daowai district, Harbin) into the database.
    Demo,
    /// Applies pending database migrations.
    Migrate,
    /// Imports a CSV or XLSX file; all or nothing.
    Import {
        /// What the file holds.
        kind: KindArg,
        /// The file.
        file: PathBuf,
        /// Act as this user (their scope limits the import); default: the operator, city-wide.
        #[arg(long = "as")]
        as_user: Option<String>,
        /// If the file is rejected, write every bad cell (row, column, value, reason) to this CSV.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Exports a list to CSV or XLSX.
    Export {
        /// What to export.
        what: ExportWhat,
        /// csv or xlsx.
        #[arg(long, default_value = "xlsx")]
        format: FormatArg,
        /// Output file; default: standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Export what this user may see; default: the operator, city-wide.
        #[arg(long = "as")]
        as_user: Option<String>,
        /// Full ID numbers and phones, for a file to edit and import again
        /// (only for a user who may reveal them; recorded in the audit log).
        #[arg(long)]
        reveal: bool,
    },
    /// Manages users.
    User {
        #[command(subcommand)]
        verb: UserVerb,
    },
    /// Manages API bearer tokens.
    Token {
        #[command(subcommand)]
        verb: TokenVerb,
    },
    /// Lists mobilisation orders (one row per order, with the time of each step).
    Orders {
        #[command(subcommand)]
        verb: ListVerb,
    },
    /// Lists squads (one row per squad).
    Squads {
        #[command(subcommand)]
        verb: ListVerb,
    },
    /// Manages municipal units.
    Unit {
        #[command(subcommand)]
        verb: UnitVerb,
    },
    /// Centralised quarantine sites: sites, arrival batches, manifests, check-in, timelines.
    Quarantine {
        #[command(subcommand)]
        verb: quarantine::Verb,
    },
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CORDON_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Build the demo scenario first.
    #[arg(long)]
    demo: bool,
    /// Mark cookies Secure (serve behind HTTPS).
    #[arg(long, env = "CORDON_SECURE_COOKIES")]
    secure_cookies: bool,
    /// The address people reach Cordon at, e.g. https://cordon.example.gov.cn: QR codes on
    /// printed boards and links in webhook messages use it (default: the address a request came in on; no links).
    #[arg(long, env = "CORDON_PUBLIC_URL", value_parser = parse_public_url)]
    public_url: Option<String>,
    /// Seconds to wait after a webhook's first failed attempt; doubles per failure.
    #[arg(long, env = "CORDON_WEBHOOK_RETRY_BASE", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    webhook_retry_base: u64,
    /// The longest wait in seconds between attempts at one webhook message.
    #[arg(long, env = "CORDON_WEBHOOK_RETRY_CAP", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    webhook_retry_cap: u64,
    /// Let webhooks reach this machine and private networks (loopback, 10/8, 172.16/12, 192.168/16,
    /// link-local, fc00::/7...): off, such URLs are refused when saved and at every delivery.
    #[arg(long, env = "CORDON_WEBHOOK_ALLOW_PRIVATE")]
    webhook_allow_private: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum KindArg {
    Places,
    Residents,
    Cadres,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum ExportWhat {
    Residents,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum FormatArg {
    Csv,
    Xlsx,
}

impl FormatArg {
    fn sheet(self) -> SheetFormat {
        match self {
            FormatArg::Csv => SheetFormat::Csv,
            FormatArg::Xlsx => SheetFormat::Xlsx,
        }
    }
}

/// Writes a file, or standard output when no file is named.
fn write_out(output: Option<PathBuf>, bytes: &[u8]) -> Result<()> {
    match output {
        Some(path) => std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            use std::io::Write;
            std::io::stdout().write_all(bytes)?;
        }
    }
    Ok(())
}

/// Streams an export into a file: written beside it under a temporary name and
/// renamed when complete, so a failed export leaves no file that looks whole.
/// A path that is not a plain file (`/dev/stdout`, a pipe) is written directly.
async fn stream_to_file<F, Fut>(path: &std::path::Path, export: F) -> Result<u64>
where
    F: FnOnce(std::io::BufWriter<std::fs::File>) -> Fut,
    Fut: std::future::Future<Output = Result<u64, StoreError>>,
{
    let plain = std::fs::metadata(path).map(|m| m.is_file()).unwrap_or(true);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let partial = if plain { path.with_file_name(format!(".{name}.partial")) } else { path.to_path_buf() };
    let file = std::fs::File::create(&partial).with_context(|| format!("cannot write {}", path.display()))?;
    match export(std::io::BufWriter::with_capacity(64 * 1024, file)).await {
        Ok(rows) => {
            if plain {
                std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))?;
            }
            Ok(rows)
        }
        Err(e) => {
            if plain {
                let _ = std::fs::remove_file(&partial);
            }
            Err(store_error(e))
        }
    }
}

#[derive(Subcommand, Debug)]
enum UserVerb {
    /// Adds a user.
    Add {
        /// Login name.
        name: String,
        /// command, organisation, unit, squad-leader, squad-member, community, site-manager, site-group.
        #[arg(long)]
        role: String,
        /// city, a place path such as 道外区/仁里街道, unit:NAME or site:NAME.
        #[arg(long)]
        scope: String,
        /// Read the password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Sets a user's password, read from standard input, and ends all of
    /// the user's sessions.
    Password {
        /// Login name.
        name: String,
        /// Read the password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Ties a field account to the cadre it belongs to, so the member sees
    /// their own shifts (`--cadre` the id shown in the cadre's page address).
    Link {
        /// Login name.
        name: String,
        /// The cadre's id.
        #[arg(long, conflicts_with = "none", required_unless_present = "none")]
        cadre: Option<i64>,
        /// Untie the account from its cadre.
        #[arg(long)]
        none: bool,
    },
    /// Lists users.
    List,
}

#[derive(Subcommand, Debug)]
enum TokenVerb {
    /// Creates a token for a user and prints it once.
    Create {
        /// The user the token acts for.
        #[arg(long)]
        user: String,
    },
    /// Revokes a user's tokens (all, or the one starting with --prefix).
    Revoke {
        /// The user.
        #[arg(long)]
        user: String,
        /// The first 12 characters of the token.
        #[arg(long)]
        prefix: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum ListVerb {
    /// Writes the list as CSV or XLSX.
    List {
        /// Only orders in this state (issued, acknowledged, assembled, on-site, stood-down, declined, cancelled); default all.
        #[arg(long)]
        state: Option<String>,
        /// csv or xlsx.
        #[arg(long, default_value = "csv")]
        format: FormatArg,
        /// Output file; default: standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// List what this user may see; default: the operator, city-wide.
        #[arg(long = "as")]
        as_user: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum UnitVerb {
    /// Adds a unit (or updates its English name).
    Add {
        /// Chinese name.
        name: String,
        /// English name.
        #[arg(long, default_value = "")]
        name_en: String,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    let db = cli.db;
    // The zone of every time the command line prints, errors included.
    let _ = ZONE.set(db.zone()?);
    match cli.command {
        Command::Serve(args) => serve(&db, args).await,
        Command::Quarantine { verb } => quarantine::run(&db, verb).await,
        Command::Demo => {
            let store = db.store().await?;
            let summary = crate::demo::build(&store, &mut crate::demo::Reporter::terminal()).await?;
            println!("{summary}");
            crate::demo::print_accounts();
            Ok(())
        }
        Command::Migrate => {
            let store = db.store().await?;
            println!("migrated {} ({})", db.database().describe(), store.engine());
            Ok(())
        }
        Command::Import { kind, file, as_user, report } => {
            let store = db.store().await?;
            let actor = actor(&store, as_user.as_deref()).await?;
            let kind = match kind {
                KindArg::Places => ImportKind::Places,
                KindArg::Residents => ImportKind::Residents,
                KindArg::Cadres => ImportKind::Cadres,
            };
            let summary = import_file(&store, &actor, kind, &file, report.as_ref()).await;
            // Closed before the process ends: SQLite's last connection then writes the write-ahead
            // log back into the file and removes it. Left behind, a 10M roll's log (about 4 GB) made
            // every later command read its pages through the log and the next write copy it back.
            store.close().await;
            let summary = summary?;
            println!("imported {}, updated {}, unchanged {}", summary.imported, summary.updated, summary.unchanged);
            Ok(())
        }
        Command::Export { what: ExportWhat::Residents, format, output, as_user, reveal } => {
            let reveal = if reveal { Reveal::Full } else { Reveal::Masked };
            let store = db.store().await?;
            let actor = actor(&store, as_user.as_deref()).await?;
            let zone = db.zone()?;
            let format = format.sheet();
            match output {
                Some(path) => {
                    let rows =
                        stream_to_file(&path, |file| store.export_residents_to(&actor, format, zone, reveal, file))
                            .await?;
                    eprintln!("exported {rows} residents to {}", path.display());
                }
                None => {
                    let out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout());
                    store.export_residents_to(&actor, format, zone, reveal, out).await.map_err(store_error)?;
                }
            }
            Ok(())
        }
        Command::Orders { verb: ListVerb::List { state, format, output, as_user } } => {
            let store = db.store().await?;
            let actor = actor(&store, as_user.as_deref()).await?;
            let state = match state.as_deref() {
                None => None,
                Some(s) => Some(OrderState::parse(s).ok_or_else(|| usage(format!("unknown state {s}")))?),
            };
            let filter = OrderFilter { state, ..Default::default() };
            let bytes = store.export_orders(&actor, &filter, format.sheet(), db.zone()?).await.map_err(store_error)?;
            write_out(output, &bytes)
        }
        Command::Squads { verb: ListVerb::List { format, output, as_user, state } } => {
            if state.is_some() {
                return Err(usage("--state is for orders"));
            }
            let store = db.store().await?;
            let actor = actor(&store, as_user.as_deref()).await?;
            let bytes = store.export_squads(&actor, format.sheet()).await.map_err(store_error)?;
            write_out(output, &bytes)
        }
        Command::User { verb } => {
            let store = db.store().await?;
            match verb {
                UserVerb::Add { name, role, scope, password_stdin } => {
                    let role = Role::parse(&role).ok_or_else(|| {
                        usage(format!(
                            "unknown role {role}; one of: {}",
                            Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
                        ))
                    })?;
                    let scope = ScopeSpec::parse(&scope).map_err(|e| usage(e.to_string()))?;
                    let password = read_password(password_stdin)?;
                    store.create_user(&name, &password, role, &scope).await.map_err(store_error)?;
                    println!("user {name} added: {} at {}", role.as_str(), scope.to_text());
                    Ok(())
                }
                UserVerb::Password { name, password_stdin } => {
                    let password = read_password(password_stdin)?;
                    store.set_password(&name, &password).await.map_err(store_error)?;
                    println!("password of {name} set; their sessions have ended");
                    Ok(())
                }
                UserVerb::Link { name, cadre, none: _ } => {
                    store.link_cadre(&name, cadre).await.map_err(store_error)?;
                    match cadre {
                        Some(c) => println!("user {name} is cadre {c}"),
                        None => println!("user {name} is tied to no cadre"),
                    }
                    Ok(())
                }
                UserVerb::List => {
                    for u in store.users().await? {
                        println!("{}\t{}\t{}", u.username, u.role, u.scope_label);
                    }
                    Ok(())
                }
            }
        }
        Command::Token { verb } => {
            let store = db.store().await?;
            match verb {
                TokenVerb::Create { user } => {
                    let token = store.create_token(&user).await.map_err(store_error)?;
                    println!("{token}");
                    eprintln!("keep this token: it is shown once and only its hash is stored");
                    Ok(())
                }
                TokenVerb::Revoke { user, prefix } => {
                    let n = store.revoke_tokens(&user, prefix.as_deref()).await.map_err(store_error)?;
                    println!("revoked {n} token(s) of {user}");
                    Ok(())
                }
            }
        }
        Command::Unit { verb: UnitVerb::Add { name, name_en } } => {
            let store = db.store().await?;
            store.upsert_unit(&Actor::system(), &name, &name_en).await.map_err(store_error)?;
            println!("unit {name} saved");
            Ok(())
        }
    }
}

/// Reads one line of standard input as a password; never from an argument, which `ps` would show.
fn read_password(password_stdin: bool) -> Result<String> {
    if !password_stdin {
        return Err(usage("give the password on standard input with --password-stdin"));
    }
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password)?;
    Ok(password.lines().next().unwrap_or("").to_string())
}

/// The zone given with `--timezone`, once the command line is read.
static ZONE: std::sync::OnceLock<Zone> = std::sync::OnceLock::new();

/// The command line speaks English, with times in the deployment's zone.
fn english() -> cordon_web::i18n::Tr {
    cordon_web::i18n::Tr::english(ZONE.get().copied().unwrap_or_default())
}

/// Maps store errors the user can fix to exit code 2, and prints rejected rows.
fn store_error(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Rejected(report) => {
            eprintln!("row\tcolumn\tvalue\treason");
            for b in &report.bad_rows {
                eprintln!("{}\t{}\t{}\t{}", b.row, b.column, b.value, english().bad_reason(&b.reason));
            }
            let listed = if report.bad_rows.len() < report.total {
                format!(" (the first {} are listed; --report FILE writes every one)", report.bad_rows.len())
            } else {
                String::new()
            };
            usage(format!("{} bad cell(s); nothing was imported{listed}", report.total))
        }
        StoreError::Invalid(r) | StoreError::Conflict(r) | StoreError::TooMany(r) => usage(english().refusal(&r)),
        StoreError::Sheet(s) => usage(english().refusal(&s.refusal())),
        StoreError::Forbidden => usage("that user's role may not do this"),
        StoreError::NotFound => usage("not found"),
        other => anyhow::Error::new(other),
    }
}

async fn actor(store: &Store, user: Option<&str>) -> Result<Actor> {
    match user {
        None => Ok(Actor::system()),
        Some(name) => store.actor_by_username(name).await?.ok_or_else(|| usage(format!("no user named {name}"))),
    }
}

async fn import_file(
    store: &Store,
    actor: &Actor,
    kind: ImportKind,
    file: &PathBuf,
    report: Option<&PathBuf>,
) -> Result<ImportSummary> {
    // The file is read as it is imported, never whole: a city's roll is gigabytes.
    let mut head = [0u8; 4];
    let read = std::fs::File::open(file)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .map_err(|e| usage(format!("cannot read {}: {e}", file.display())))?;
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let format = SheetFormat::from_file_name(name).unwrap_or_else(|| SheetFormat::sniff(&head[..read]));
    // The length is set once the file is read and checked.
    let bar = progress_bar(0, &format!("importing {}", kind.as_str()));
    let tick = |p: &ImportProgress| bar.update(p.done as usize, p.total as usize);
    // The operator's own file: not held to an upload's caps (a district's roll is ten million cells).
    let upload = Upload { name, body: Body::File(file), format };
    let result = store.import_file_within(actor, kind, upload, &SheetLimits::OPERATOR, &tick).await;
    bar.finish();
    match result {
        Ok(summary) => Ok(summary),
        Err(StoreError::Sheet(e)) => Err(usage(format!("{}: {e}", file.display()))),
        Err(StoreError::Rejected(rejected)) => {
            if let (Some(path), Some(id)) = (report, rejected.report) {
                let kept = store.import_report(actor, id).await.map_err(store_error)?;
                let csv = cordon_web::imports::report_csv(&english(), &kept).map_err(|e| store_error(e.into()))?;
                std::fs::write(path, csv).with_context(|| format!("writing {}", path.display()))?;
                eprintln!("every bad cell: {}", path.display());
            }
            Err(store_error(StoreError::Rejected(rejected)))
        }
        Err(e) => Err(store_error(e)),
    }
}

/// A progress bar on a terminal, plain lines otherwise.
pub struct Progress {
    bar: Option<ProgressBar>,
    label: String,
    last_line: std::sync::Mutex<usize>,
}

impl Progress {
    /// Reports progress.
    pub fn update(&self, done: usize, total: usize) {
        match &self.bar {
            Some(b) => {
                b.set_length(total as u64);
                b.set_position(done as u64);
            }
            None => {
                // Every tenth, and the end once (an import is told it is at
                // the end for as long as the database applies the rows), so
                // logs stay short.
                let step = (total / 10).max(1);
                let mut last = self.last_line.lock().unwrap_or_else(|e| e.into_inner());
                if (done == total && done != *last) || done >= *last + step {
                    *last = done;
                    eprintln!("{}: {done}/{total}", self.label);
                }
            }
        }
    }

    /// Ends the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Starts a progress report for `total` steps.
pub fn progress_bar(total: u64, label: &str) -> Progress {
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = ProgressBar::new(total);
        b.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b.set_message(label.to_string());
        b
    });
    Progress { bar, label: label.to_string(), last_line: std::sync::Mutex::new(0) }
}

async fn serve(db: &DbArgs, args: ServeArgs) -> Result<()> {
    let zone = db.zone()?;
    let store = db.store().await?;
    if let Some(password) = store.ensure_admin().await? {
        println!("first start: user admin, one-time password {password}");
        println!("(it signs in once, and must then be changed; it is not shown again)");
    }
    if args.demo {
        let summary = crate::demo::build(&store, &mut crate::demo::Reporter::terminal()).await?;
        println!("{summary}");
        crate::demo::print_accounts();
    }
    let listener =
        tokio::net::TcpListener::bind(args.bind).await.with_context(|| format!("cannot listen on {}", args.bind))?;
    let addr = listener.local_addr()?;
    println!("Cordon serving {} on http://{addr}", db.database().describe());
    let state = cordon_web::AppState {
        store: store.clone(),
        zone,
        secure_cookies: args.secure_cookies,
        public_url: args.public_url.clone(),
        webhook_allow_private: args.webhook_allow_private,
        import_wait: cordon_web::IMPORT_WAIT,
    };
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    // The webhook worker lives as long as the server: it stops when serving ends.
    let (stop_worker, worker_stopped) = tokio::sync::oneshot::channel::<()>();
    let worker_cfg = cordon_web::WorkerConfig {
        retry_base: std::time::Duration::from_secs(args.webhook_retry_base),
        retry_cap: std::time::Duration::from_secs(args.webhook_retry_cap.max(args.webhook_retry_base)),
        zone,
        public_url: args.public_url.clone(),
        allow_private: args.webhook_allow_private,
        ..Default::default()
    };
    let worker = tokio::spawn(cordon_web::run_worker(store.clone(), worker_cfg, async {
        let _ = worker_stopped.await;
    }));
    let served = cordon_web::serve(listener, state, shutdown).await;
    let _ = stop_worker.send(());
    let _ = worker.await;
    served?;
    store.close().await;
    Ok(())
}

/// An http(s) address with a host, kept without its trailing slash.
fn parse_public_url(s: &str) -> Result<String, String> {
    let s = s.trim().trim_end_matches('/');
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(s.to_string()),
        _ => Err(format!("{s} is not an http(s) address such as https://cordon.example.gov.cn")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_address_is_an_http_address_without_a_trailing_slash() {
        assert_eq!(parse_public_url("https://cordon.example/").unwrap(), "https://cordon.example");
        assert!(parse_public_url("cordon.example").is_err());
        assert!(parse_public_url("https://").is_err());
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

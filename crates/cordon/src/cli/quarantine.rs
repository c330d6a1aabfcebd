//! `cordon quarantine …`: a quarantine site from its rooms file, its steps,
//! arrival batches, their manifests, check-in, the timeline export, results,
//! release certificates and releases. Every
//! verb acts as `--as USER` (by default the operator, city-wide), so a site
//! account's scope and group hold here as on the pages.

use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::Subcommand;
use cordon_domain::quarantine::manifest::Passport;
use cordon_domain::quarantine::release::Handover;
use cordon_domain::quarantine::results::TestResult;
use cordon_domain::quarantine::site::{Group, RoomNo};
use cordon_domain::quarantine::timeline::ExtensionReason;
use cordon_store::quarantine::{Batch, NewBatch, Who};
use cordon_store::residents::Reveal;
use cordon_store::sheets::{Sheet, SheetFormat, SheetLimits, read_sheet_within};
use cordon_store::{Store, StoreError};

use super::{DbArgs, FormatArg, actor, english, progress_bar, store_error, usage, write_out};

#[derive(Subcommand, Debug)]
pub(super) enum Verb {
    /// Quarantine sites (hotels) and their rooms.
    Site {
        #[command(subcommand)]
        verb: SiteVerb,
    },
    /// Arrival batches (a flight, a train, a charter).
    Batch {
        #[command(subcommand)]
        verb: BatchVerb,
    },
    /// Imports a batch's manifest (CSV or XLSX, Chinese or English headers); all or nothing.
    ImportManifest {
        #[command(flatten)]
        at: At,
        /// The manifest file.
        file: PathBuf,
    },
    /// Gives every person of a batch without a room one (groups together); all of them or none.
    CheckIn {
        #[command(flatten)]
        at: At,
        /// Put a person in another vacant room than the plan chose: PASSPORT=ROOM (repeatable).
        #[arg(long = "move", value_name = "PASSPORT=ROOM")]
        moves: Vec<String>,
    },
    /// Exports a batch's timeline: one row per person with arrival, on-site end and home-monitoring end.
    Timeline {
        #[command(flatten)]
        at: At,
        /// csv or xlsx.
        #[arg(long, default_value = "xlsx")]
        format: FormatArg,
        /// Output file; default: standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Full passport numbers (the site manager and the command only; recorded in the audit log).
        #[arg(long)]
        reveal: bool,
    },
    /// Records one person's test result for a day; a positive opens a transfer and extends roommates.
    Result {
        #[command(flatten)]
        at: At,
        /// The person's passport number.
        #[arg(long)]
        passport: String,
        /// The test day, YYYY-MM-DD.
        #[arg(long)]
        day: chrono::NaiveDate,
        /// negative or positive (阴性/阳性).
        #[arg(long)]
        result: String,
        /// Days a positive adds to each roommate's stay at the site.
        #[arg(long, default_value_t = 7)]
        roommate_days: u32,
    },
    /// Imports test results from a file (护照号 passport, 检测日期 day, 结果 result); all or nothing.
    ImportResults {
        #[command(flatten)]
        at: At,
        /// The results file (CSV or XLSX).
        file: PathBuf,
        /// Days a positive adds to each roommate's stay at the site.
        #[arg(long, default_value_t = 7)]
        roommate_days: u32,
    },
    /// Issues the release certificate of everyone in the batch on or after their last on-site day
    /// (never positive, never transferred); prints who is not released yet and why.
    Certificates {
        #[command(flatten)]
        at: At,
    },
    /// Releases a person (certificate, hand-over, room left) on or after their last on-site day.
    Release {
        #[command(flatten)]
        at: At,
        /// The person's passport number.
        #[arg(long)]
        passport: String,
        /// Who receives them: their institution's or province's contact.
        #[arg(long = "to")]
        received_by: String,
        /// The onward transport.
        #[arg(long)]
        transport: String,
    },
    /// Extends a person's stay at the site by hand: a declared close contact or the CDC's decision.
    Extend {
        #[command(flatten)]
        at: At,
        /// The person's passport number.
        #[arg(long)]
        passport: String,
        /// Days added to the on-site phase (1 to 21).
        #[arg(long)]
        days: u32,
        /// close-contact (密接) or cdc-decision (疾控研判).
        #[arg(long)]
        reason: String,
    },
    /// Puts a site account in one of its site's functional groups.
    Member {
        /// The account's user name (role site-group).
        #[arg(long)]
        user: String,
        /// information, foreign-affairs, cdc, medical, police or hotel (or 信息组, 外事组…).
        #[arg(long)]
        group: String,
    },
    /// Adds a policy beside the presets (7+7, 14+7, 10+7, 5+3).
    Policy {
        /// Its name, days on site + days at home, e.g. 7+3.
        #[arg(long)]
        name: String,
        /// The on-site test days, e.g. 1,4,7 (day 0 is the local date of arrival).
        #[arg(long, value_delimiter = ',')]
        onsite_tests: Vec<u32>,
        /// The test days of home monitoring, numbered on from day 0 like the on-site ones (7+7: 10,14).
        #[arg(long, value_delimiter = ',')]
        home_tests: Vec<u32>,
    },
}

/// The batch a verb works on, and who acts.
#[derive(clap::Args, Debug)]
pub(super) struct At {
    /// The site's name.
    #[arg(long)]
    site: String,
    /// The batch's name.
    #[arg(long)]
    batch: String,
    /// Act as this user; default: the operator, city-wide.
    #[arg(long = "as")]
    as_user: Option<String>,
}

impl At {
    /// The acting user and the batch, found under that user's scope.
    async fn open(&self, store: &Store) -> Result<(cordon_domain::Actor, Batch)> {
        let actor = actor(store, self.as_user.as_deref()).await?;
        let batch = batch_of(store, &actor, &self.site, &self.batch).await?;
        Ok((actor, batch))
    }
}

#[derive(Subcommand, Debug)]
pub(super) enum SiteVerb {
    /// Creates a site in standby from a rooms file (楼层 floor, 房号 room, 床位 capacity).
    Create {
        /// The site's name, e.g. 卓林酒店隔离点.
        #[arg(long)]
        name: String,
        /// The rooms file (CSV or XLSX).
        #[arg(long)]
        rooms: PathBuf,
        /// The time zone its days are counted in; default: --timezone.
        #[arg(long)]
        zone: Option<String>,
    },
    /// Takes a step: prepare, activate, disinfect (when nobody is left) or close.
    Step {
        /// The site's name.
        #[arg(long)]
        name: String,
        /// prepare, activate, disinfect or close.
        step: String,
        /// Act as this user; default: the operator, city-wide.
        #[arg(long = "as")]
        as_user: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub(super) enum BatchVerb {
    /// Creates an arrival batch at a site.
    Create {
        /// The site's name.
        #[arg(long)]
        site: String,
        /// The batch's name, e.g. a flight number and date.
        #[arg(long)]
        name: String,
        /// The policy, e.g. 7+7.
        #[arg(long)]
        policy: String,
        /// The arrival instant with its offset, e.g. 2026-09-16T15:30:00+08:00.
        #[arg(long, value_parser = parse_instant)]
        arrived_at: DateTime<Utc>,
        /// Flight number, train or charter.
        #[arg(long)]
        transport: String,
        /// Where it came from.
        #[arg(long, default_value = "")]
        origin: String,
        /// Act as this user; default: the operator, city-wide.
        #[arg(long = "as")]
        as_user: Option<String>,
    },
}

/// An instant with its offset: a bare time would be read in some zone nobody chose.
fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{s} is not an instant with its offset, such as 2026-09-16T15:30:00+08:00"))
}

/// Reads a small sheet (a rooms file, a manifest) whole, within the operator's limits.
fn read_file(file: &Path) -> Result<Sheet> {
    let bytes = std::fs::read(file).map_err(|e| usage(format!("cannot read {}: {e}", file.display())))?;
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let format = SheetFormat::from_file_name(name).unwrap_or_else(|| SheetFormat::sniff(&bytes));
    read_sheet_within(&bytes, format, &SheetLimits::OPERATOR)
        .map_err(|e| usage(format!("{}: {}", file.display(), english().refusal(&e.refusal()))))
}

async fn batch_of(store: &Store, actor: &cordon_domain::Actor, site: &str, batch: &str) -> Result<Batch> {
    let site = store.site_named(actor, site).await.map_err(|e| named(e, "site", site))?;
    store.batch_named(actor, site.id, batch).await.map_err(|e| named(e, "batch", batch))
}

/// "not found" says which name was not found.
fn named(e: StoreError, what: &str, name: &str) -> anyhow::Error {
    match e {
        StoreError::NotFound => usage(format!("no {what} named {name} (or not one this user may see)")),
        other => store_error(other),
    }
}

pub(super) async fn run(db: &DbArgs, verb: Verb) -> Result<()> {
    let store = db.store().await?;
    match verb {
        Verb::Site { verb: SiteVerb::Create { name, rooms, zone } } => {
            let zone = match zone {
                Some(z) => z,
                None => db.zone()?.name().to_string(),
            };
            let sheet = read_file(&rooms)?;
            let made = store.create_site(&cordon_domain::Actor::system(), &name, &zone, &sheet).await;
            let made = made.map_err(store_error)?;
            println!("site {name} created in standby: {} rooms, {} beds", made.rooms, made.beds);
        }
        Verb::Site { verb: SiteVerb::Step { name, step, as_user } } => {
            let actor = actor(&store, as_user.as_deref()).await?;
            let site = store.site_named(&actor, &name).await.map_err(|e| named(e, "site", &name))?;
            let state = store.step_site(&actor, site.id, &step).await.map_err(store_error)?;
            println!("site {name} is {}", state.as_str());
        }
        Verb::Batch { verb: BatchVerb::Create { site, name, policy, arrived_at, transport, origin, as_user } } => {
            let actor = actor(&store, as_user.as_deref()).await?;
            let found = store.site_named(&actor, &site).await.map_err(|e| named(e, "site", &site))?;
            let new = NewBatch { name: &name, policy: &policy, arrived_at, transport: &transport, origin: &origin };
            let made = store.create_batch(&actor, found.id, &new).await.map_err(store_error)?;
            println!(
                "batch {name} at {site}: policy {}, day 0 is {}",
                made.policy,
                found.zone.date_of(made.arrived_at).format("%Y-%m-%d")
            );
        }
        Verb::ImportManifest { at, file } => {
            let (actor, batch) = at.open(&store).await?;
            let sheet = read_file(&file)?;
            let bar = progress_bar(0, "importing manifest");
            let tick = |p: &cordon_store::imports::ImportProgress| bar.update(p.done as usize, p.total as usize);
            let summary = store.import_manifest(&actor, &batch, &sheet, &tick).await;
            bar.finish();
            let summary = summary.map_err(store_error)?;
            println!("imported {}, updated {}, unchanged {}", summary.imported, summary.updated, summary.unchanged);
        }
        Verb::CheckIn { at, moves } => {
            let (actor, batch) = at.open(&store).await?;
            let moves = moves.iter().map(|m| parse_move(m)).collect::<Result<Vec<_>>>()?;
            let done = store.check_in(&actor, &batch, &moves).await.map_err(store_error)?;
            println!(
                "checked in {} into {} rooms; {} had a room already",
                done.checked_in, done.rooms, done.already_in
            );
        }
        Verb::Timeline { at, format, output, reveal } => {
            let (actor, batch) = at.open(&store).await?;
            let reveal = if reveal { Reveal::Full } else { Reveal::Masked };
            let bytes = store.export_timeline(&actor, &batch, format.sheet(), reveal).await.map_err(store_error)?;
            write_out(output, &bytes)?;
        }
        Verb::Result { at, passport, day, result, roommate_days } => {
            let (actor, batch) = at.open(&store).await?;
            let result = TestResult::parse(&result).map_err(|r| usage(english().refusal(&r)))?;
            let done = store.record_result(&actor, &batch, &passport, day, result, roommate_days).await;
            let done = done.map_err(store_error)?;
            match (done.written, done.transfer) {
                (false, _) => println!("the same result was recorded already: nothing changed"),
                (true, Some(t)) => println!("recorded; transfer {t} is open; {} roommate(s) extended", done.extended),
                (true, None) => println!("recorded"),
            }
        }
        Verb::ImportResults { at, file, roommate_days } => {
            let (actor, batch) = at.open(&store).await?;
            let sheet = read_file(&file)?;
            let done = store.import_results(&actor, &batch, &sheet, roommate_days).await.map_err(store_error)?;
            println!("recorded {}, unchanged {}", done.imported, done.unchanged);
        }
        Verb::Certificates { at } => {
            let (actor, batch) = at.open(&store).await?;
            let done = store.issue_certificates(&actor, &batch).await.map_err(store_error)?;
            println!(
                "issued {}; {} had one already; {} not released yet",
                done.issued,
                done.already,
                done.refused.len()
            );
            for (name, why) in &done.refused {
                println!("  {name}: {}", english().refusal(why));
            }
        }
        Verb::Release { at, passport, received_by, transport } => {
            let (actor, batch) = at.open(&store).await?;
            let handover = Handover::parse(&received_by, &transport).map_err(|r| usage(english().refusal(&r)))?;
            let done = store.release(&actor, &batch, Who::Passport(&passport), &handover).await;
            let done = done.map_err(store_error)?;
            if done.written {
                println!("released with certificate {}, handed over to {received_by}", done.number);
            } else {
                println!("released already (certificate {}): nothing changed", done.number);
            }
        }
        Verb::Extend { at, passport, days, reason } => {
            let (actor, batch) = at.open(&store).await?;
            let reason = ExtensionReason::by_hand(&reason).map_err(|r| usage(english().refusal(&r)))?;
            let end = store.extend_stay(&actor, &batch, Who::Passport(&passport), days, reason).await;
            let end = end.map_err(store_error)?;
            println!("extended by {days} days ({}): last on-site day {end}", reason.as_str());
        }
        Verb::Member { user, group } => {
            let group = Group::parse(&group).map_err(|e| usage(english().refusal(&e.into())))?;
            store.set_site_group(&cordon_domain::Actor::system(), &user, group).await.map_err(store_error)?;
            println!("{user} is in the {} group", group.as_str());
        }
        Verb::Policy { name, onsite_tests, home_tests } => {
            let policy = store.add_policy(&cordon_domain::Actor::system(), &name, &onsite_tests, &home_tests).await;
            let policy = policy.map_err(store_error)?;
            println!("policy {} added", policy.name());
        }
    }
    Ok(())
}

/// `PASSPORT=ROOM`.
fn parse_move(text: &str) -> Result<(Passport, RoomNo)> {
    let bad = || usage(format!("--move {text}: write it as PASSPORT=ROOM, e.g. 751234567=305"));
    let (passport, room) = text.split_once('=').ok_or_else(bad)?;
    let passport = Passport::parse(passport).map_err(|_| bad())?;
    let room = RoomNo::parse(room).map_err(|_| bad())?;
    Ok((passport, room))
}

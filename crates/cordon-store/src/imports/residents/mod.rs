//! Import of residents, keyed by ID number, built for a city's roll of ten
//! million rows.
//!
//! Two threads and the database share the work. The checker reads the file a
//! batch of rows at a time (`RowStream`), checks every cell and each ID number
//! against the rows before it, and hands the good rows on; the writer puts them
//! into the database as they come, in one transaction, by the engine's bulk
//! path: prepared statements on one rusqlite connection for SQLite (`sqlite`),
//! COPY into a staging table and set-wise statements for PostgreSQL
//! (`postgres`). Neither holds the file; the checker keeps only the ID numbers
//! seen (to name the first row of a duplicate), the writer only the places of
//! the compounds it has met. A file with one bad row is rolled back whole,
//! after every row has been checked and reported.
//!
//! The audit log gets one entry for the import (who, file, hash, counts) and a
//! before/after entry for each resident that changed; new residents are counted
//! in the import's entry, not written out one by one.

mod postgres;
mod sqlite;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cordon_domain::places::{PlaceName, PlacePath};
use cordon_domain::residents::SpecialGroup;
use cordon_domain::{Actor, IdNumber, PersonName, Phone};
use tokio::sync::mpsc;

use super::{BadReason, BadRow, Checker, ImportKind, ImportProgress, ImportSummary, Progress, Run};
use crate::places::CompoundRef;
use crate::sheets::{ColumnMap, ColumnSpec, RowStream, SheetRow};
use crate::{Store, StoreError, StoreResult};

pub(super) const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec { key: "street", aliases: &["街道", "street"], required: true },
    ColumnSpec { key: "community", aliases: &["社区", "community"], required: true },
    ColumnSpec { key: "compound", aliases: &["小区", "compound"], required: true },
    ColumnSpec { key: "building", aliases: &["楼栋", "楼号", "building"], required: true },
    ColumnSpec { key: "entrance", aliases: &["单元", "entrance"], required: true },
    ColumnSpec { key: "room", aliases: &["房号", "门牌号", "room"], required: true },
    ColumnSpec { key: "name", aliases: &["姓名", "name"], required: true },
    ColumnSpec {
        key: "id_number", aliases: &["身份证号", "身份证号码", "id_number", "id number"], required: true
    },
    ColumnSpec { key: "phone", aliases: &["手机号", "手机号码", "联系电话", "phone"], required: false },
    ColumnSpec { key: "tags", aliases: &["标签", "特殊群体", "tags"], required: false },
];

/// How many checked rows travel from the checker to the writer at a time.
const BATCH: usize = 4096;

/// A checked row, ready to write.
pub(crate) struct ResidentIn {
    /// Its row in the file, for a bad-row report from the writer.
    pub row: usize,
    /// Its compound, as an index into the compounds the import was given.
    pub compound: u32,
    pub building: String,
    pub entrance: String,
    pub room: String,
    pub name: String,
    pub id_number: IdNumber,
    pub phone: Option<String>,
    /// The stored form of its special groups (`SpecialGroup::join`).
    pub tags: String,
}

/// What the checker hands the writer.
pub(crate) enum Batch {
    /// Good rows, in file order; `clean` while no row so far was bad. Rows
    /// after a bad one are only looked up (a resident registered outside the
    /// actor's scope is a bad row too), never written.
    Rows { rows: Vec<ResidentIn>, clean: bool },
    /// The file is read: `clean` if no row was bad; its hash.
    End { clean: bool, sha256: [u8; 32] },
}

/// What both writers are given besides the rows.
pub(crate) struct WriteJob {
    pub actor: Actor,
    pub run: Option<Run>,
    /// The compounds in the actor's scope, as `ResidentIn::compound` indexes them.
    pub compounds: Arc<Vec<CompoundRef>>,
    pub counters: Arc<Counters>,
    /// About how many rows the file has (a CSV's bytes over 100), for the bulk path to plan by.
    pub estimated_rows: u64,
}

/// What a writer did: the counts, and the rows that name a resident the actor may not change.
#[derive(Default)]
pub(crate) struct Written {
    pub summary: ImportSummary,
    pub places_created: u64,
    /// (row, masked ID number) of residents registered outside the actor's scope.
    pub elsewhere: Vec<(usize, String)>,
}

/// How far an import has come, shared by its threads and read by whoever shows
/// it; and whether whoever started it has gone (its task dropped), in which case
/// the threads stop and the writer rolls back, as a crash would leave it.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub cancelled: std::sync::atomic::AtomicBool,
    pub bytes_read: AtomicU64,
    pub bytes_total: AtomicU64,
    pub rows_checked: AtomicU64,
    pub rows_written: AtomicU64,
    /// Signalled by the writer after each batch, so that the first rows written
    /// are reported at once rather than at the next tick (a small file may be
    /// done before the first tick, and whoever watches would see no progress).
    pub wrote: tokio::sync::Notify,
}

/// Marks the import cancelled when the task that started it is dropped.
struct CancelOnDrop(Arc<Counters>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancelled.store(true, Ordering::Relaxed);
    }
}

impl Counters {
    /// Whether the import was given up.
    pub fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Counts a batch as written and wakes whoever shows the progress.
    pub fn written(&self, rows: usize) {
        self.rows_written.fetch_add(rows as u64, Ordering::Relaxed);
        self.wrote.notify_one();
    }

    fn snapshot(&self) -> ImportProgress {
        ImportProgress {
            rows_checked: self.rows_checked.load(Ordering::Relaxed),
            rows_written: self.rows_written.load(Ordering::Relaxed),
            done: self.bytes_read.load(Ordering::Relaxed),
            total: self.bytes_total.load(Ordering::Relaxed),
        }
    }
}

/// A resident as the database has it, for the before side of an audit entry.
pub(crate) struct Existing {
    pub id: i64,
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
    pub tags: String,
    pub household_id: i64,
    pub path: String,
}

impl Existing {
    /// Whether the row says the same as the database.
    pub fn same_as(&self, r: &ResidentIn, household_id: i64) -> bool {
        self.name == r.name && self.phone == r.phone && self.tags == r.tags && self.household_id == household_id
    }

    /// The before side of an audit entry.
    pub fn audit_json(&self) -> String {
        audit_json(&self.name, &self.id_number, self.phone.as_deref(), &self.tags, self.household_id)
    }
}

/// A resident's side of an audit entry. The log keeps masked numbers: it must
/// not become a second copy of personal data.
pub(super) fn audit_json(name: &str, id_number: &str, phone: Option<&str>, tags: &str, household_id: i64) -> String {
    serde_json::json!({
        "name": name,
        "id_number": IdNumber::parse(id_number).map(|i| i.masked()).unwrap_or_default(),
        "phone": phone.and_then(|p| Phone::parse(p).ok()).map(|p| p.masked()),
        "tags": tags,
        "household_id": household_id,
    })
    .to_string()
}

impl ResidentIn {
    /// The after side of an audit entry, in `household_id`.
    pub fn audit_json(&self, household_id: i64) -> String {
        audit_json(&self.name, self.id_number.as_str(), self.phone.as_deref(), &self.tags, household_id)
    }
}

/// An ID number as one integer, for the set of numbers seen: 17 digits and the
/// check character (X is 10), so ten million fit in a few hundred megabytes.
fn id_key(id: &IdNumber) -> u64 {
    let s = id.as_str().as_bytes();
    let body = s[..17].iter().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
    let check = match s[17] {
        b'X' => 10,
        b => u64::from(b - b'0'),
    };
    body * 11 + check
}

/// The kept counts of each special group in each place from the compound up
/// (`place_tags`), counted again from `resident_tags` at the end of every
/// import, a few rows per tagged resident. The places are a household path's
/// ids but its last three (building, entrance, household); each engine finds
/// them its own way (`sqlite::RECOUNT_TAGS`, `postgres::RECOUNT_TAGS`) after
/// this empties the table.
pub(crate) const FORGET_TAGS: &str = "DELETE FROM place_tags";

/// Adds `delta` residents to a household and to every place above it: the ids
/// of its stored path (`/city/district/…/household/`).
pub(crate) fn count_along(gained: &mut HashMap<i64, i64>, path: &str, delta: i64) {
    for id in path.split('/').filter_map(|s| s.parse::<i64>().ok()) {
        *gained.entry(id).or_default() += delta;
    }
}

/// Checks every row of the file, sending the good ones on while the file is clean.
struct RowCheck {
    map: ColumnMap,
    check: Checker,
    compounds: HashMap<(String, String, String), u32>,
    /// The compound of the last row, which the next row most likely shares.
    last: Option<((String, String, String), u32)>,
    seen: HashMap<u64, u32>,
}

impl RowCheck {
    fn compound(&mut self, street: &str, community: &str, name: &str) -> Option<u32> {
        if let Some(((s, c, n), i)) = &self.last
            && s == street
            && c == community
            && n == name
        {
            return Some(*i);
        }
        let key = (street.to_string(), community.to_string(), name.to_string());
        let found = self.compounds.get(&key).copied()?;
        self.last = Some((key, found));
        Some(found)
    }

    fn row(&mut self, row: &SheetRow) -> Option<ResidentIn> {
        // Cells are checked in the order of the columns, so a row's bad cells are listed as it reads.
        let street = self.check.required(row, &self.map, "street");
        let community = self.check.required(row, &self.map, "community");
        let compound_name = self.check.required(row, &self.map, "compound");
        let compound = match (street, community, compound_name) {
            (Some(s), Some(c), Some(n)) => {
                let found = self.compound(s, c, n);
                if found.is_none() {
                    self.check.bad(row, &self.map, "compound", BadReason::UnknownCompound);
                }
                found
            }
            _ => None,
        };
        let map = &self.map;
        let check = &mut self.check;
        let place = |check: &mut Checker, key: &str| check.parse(row, map, key, PlaceName::parse, BadReason::BadName);
        let building = place(check, "building");
        let entrance = place(check, "entrance");
        let room = place(check, "room");
        let name = check.parse(row, map, "name", PersonName::parse, BadReason::BadName);
        let id_number = check.parse(row, map, "id_number", IdNumber::parse, BadReason::BadIdNumber);
        if let Some(id) = &id_number {
            let number = u32::try_from(row.number).unwrap_or(u32::MAX);
            let first = *self.seen.entry(id_key(id)).or_insert(number);
            if first != number {
                check.bad(row, map, "id_number", BadReason::DuplicateInFile(first as usize));
            }
        }
        let phone = match map.get(row, "phone") {
            "" => Some(None),
            _ => check.parse(row, map, "phone", Phone::parse, BadReason::BadPhone).map(Some),
        };
        let tags = match SpecialGroup::parse_list(map.get(row, "tags")) {
            Ok(t) => Some(t),
            Err(word) => {
                check.bad(row, map, "tags", BadReason::UnknownTag(word));
                None
            }
        };
        Some(ResidentIn {
            row: row.number,
            compound: compound?,
            building: building?.as_str().to_string(),
            entrance: entrance?.as_str().to_string(),
            room: room?.as_str().to_string(),
            name: name?.as_str().to_string(),
            id_number: id_number?,
            phone: phone?.map(|p| p.as_str().to_string()),
            tags: SpecialGroup::join(&tags?),
        })
    }
}

/// Reads and checks the whole file, sending the good rows to the writer; after
/// a bad row, only an actor whose scope is not the whole city still sends them
/// (to be looked up for residents registered elsewhere). Yields the checker
/// with every bad cell.
fn check_file(
    mut stream: RowStream<'static>,
    mut rows: RowCheck,
    to_writer: mpsc::Sender<Batch>,
    scoped: bool,
    counters: &Counters,
) -> StoreResult<Checker> {
    let mut out = Vec::with_capacity(BATCH);
    let mut writer_gone = false;
    let send = |out: &mut Vec<ResidentIn>, clean: bool, writer_gone: &mut bool| {
        if !*writer_gone && !out.is_empty() {
            let rows = std::mem::replace(out, Vec::with_capacity(BATCH));
            *writer_gone = to_writer.blocking_send(Batch::Rows { rows, clean }).is_err();
        }
        out.clear();
    };
    while let Some(batch) = stream.next_batch()? {
        if counters.cancelled() {
            return Ok(rows.check);
        }
        for row in &batch {
            let checked = rows.row(row);
            let clean = rows.check.report.total == 0;
            if let Some(r) = checked.filter(|_| clean || scoped) {
                out.push(r);
            }
            if out.len() == BATCH || (!clean && !scoped) {
                send(&mut out, clean, &mut writer_gone);
            }
        }
        counters.rows_checked.fetch_add(batch.len() as u64, Ordering::Relaxed);
        counters.bytes_read.store(stream.done(), Ordering::Relaxed);
    }
    let clean = rows.check.report.total == 0;
    send(&mut out, clean, &mut writer_gone);
    let _ = to_writer.blocking_send(Batch::End { clean, sha256: stream.sha256() });
    Ok(rows.check)
}

impl Store {
    /// Imports residents from a stream of rows (see the module's comment).
    pub(super) async fn import_residents(
        &self,
        actor: &Actor,
        stream: RowStream<'static>,
        bytes_total: u64,
        run: Option<Run>,
        progress: Progress<'_>,
    ) -> StoreResult<ImportSummary> {
        let keep_all = run.is_some();
        let mut check = Checker::new(keep_all);
        let Some(map) = check.columns_of(stream.headers(), ImportKind::Residents) else {
            return Err(self.reject(actor, run.as_ref(), check).await);
        };
        let compounds = self.compounds(actor, None).await?;
        let index = compounds
            .iter()
            .enumerate()
            .map(|(i, c)| ((c.street.clone(), c.community.clone(), c.name.clone()), i as u32))
            .collect();
        let compounds = Arc::new(compounds);
        let counters = Arc::new(Counters::default());
        counters.bytes_total.store(stream.total(bytes_total), Ordering::Relaxed);
        let _cancel = CancelOnDrop(counters.clone());
        let estimated_rows =
            if bytes_total == 0 { counters.bytes_total.load(Ordering::Relaxed) } else { bytes_total / 100 };
        // The set of ID numbers grows as it fills: made room for at once it is
        // smaller at its peak (no old table beside the new) but every insert
        // misses the cache from the first (10M: 564 MiB and 145 s against 696 MiB and 134 s).
        let rows = RowCheck { map: map.clone(), check, compounds: index, last: None, seen: HashMap::new() };
        let (to_writer, from_checker) = mpsc::channel(4);
        let checker = {
            let counters = counters.clone();
            let scoped = actor.scope != cordon_domain::Scope::City;
            tokio::task::spawn_blocking(move || check_file(stream, rows, to_writer, scoped, &counters))
        };
        let job =
            WriteJob { actor: actor.clone(), run: run.clone(), compounds, counters: counters.clone(), estimated_rows };
        let writer = self.write_residents(job, from_checker);
        tokio::pin!(writer);
        // Reported every 200 ms, and at once when the first rows are written.
        const EVERY: std::time::Duration = std::time::Duration::from_millis(200);
        let mut tick = tokio::time::interval(EVERY);
        let mut reported_writing = false;
        let written = loop {
            tokio::select! {
                written = &mut writer => break written,
                _ = counters.wrote.notified(), if !reported_writing => {
                    reported_writing = true;
                    progress(&counters.snapshot());
                    tick.reset();
                }
                _ = tick.tick() => {
                    let now = counters.snapshot();
                    if now.rows_checked > 0 {
                        progress(&now);
                    }
                }
            }
        };
        let mut check = checker.await.map_err(|e| StoreError::Io(e.to_string()))??;
        let written = written?;
        for (row, masked) in &written.elsewhere {
            check.push(BadRow {
                row: *row,
                column: map.header("id_number").to_string(),
                value: masked.clone(),
                reason: BadReason::RegisteredElsewhere,
            });
        }
        // The listed cells in row order; the full report has the registered-elsewhere ones last.
        check.report.bad_rows.sort_by_key(|b| b.row);
        self.finish_check(actor, run.as_ref(), check).await?;
        progress(&counters.snapshot());
        Ok(written.summary)
    }

    /// Writes the checked rows by the engine's bulk path; commits only a clean file.
    async fn write_residents(&self, job: WriteJob, rows: mpsc::Receiver<Batch>) -> StoreResult<Written> {
        match &self.pool {
            crate::db::Pool::Sqlite(_) => {
                let file = self.sqlite_file().ok_or_else(|| StoreError::Io("no SQLite file".into()))?;
                let now = self.now();
                tokio::task::spawn_blocking(move || sqlite::write(&file, now, job, rows))
                    .await
                    .map_err(|e| StoreError::Io(e.to_string()))?
            }
            crate::db::Pool::Postgres(p) => postgres::write(p, self.now(), job, rows).await,
        }
    }
}

/// Whether a stored path lies in the actor's scope.
pub(crate) fn in_scope(actor: &Actor, path: &str) -> bool {
    actor.scope.covers_place(&PlacePath::from_stored(path.to_string()))
}

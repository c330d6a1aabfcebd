//! The SQLite bulk path: one rusqlite connection to the database file, one
//! `BEGIN IMMEDIATE` transaction, prepared statements row by row (SQLite runs
//! in this process, so a statement costs a function call, not a round trip),
//! and the places below the compounds resolved from memory.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use cordon_domain::places::PlaceKind;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params};
use tokio::sync::mpsc;

use super::{Batch, Existing, ResidentIn, WriteJob, Written, count_along, in_scope};
use crate::{StoreError, StoreResult};

/// Pages SQLite keeps in memory for the import (128 MiB): the ID-number index
/// of ten million residents does not fit, its busy top levels do.
const CACHE_KIB: i64 = 128 * 1024;

/// The indexes a large import does not read, dropped while it writes and built
/// again (one sort each) before it commits: kept up row by row, their random
/// inserts are most of the time of a first import. Readers meanwhile see the
/// database as it was, indexes and all (WAL).
const REBUILT: [&str; 5] =
    ["residents_household", "residents_name", "residents_path", "resident_tags_resident", "places_kind"];

/// How many rows make an import large: at least this many, and more than the roll holds already.
const LARGE: u64 = 10_000;

/// Drops these indexes, giving back the statements that make them.
fn drop_indexes(tx: &Transaction<'_>, names: &[&str]) -> rusqlite::Result<Vec<String>> {
    let mut made = Vec::new();
    for name in names {
        let sql: Option<String> = tx
            .query_row("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1", params![name], |r| r.get(0))
            .optional()?;
        if let Some(sql) = sql {
            tx.execute_batch(&format!("DROP INDEX {name}"))?;
            made.push(sql);
        }
    }
    Ok(made)
}

/// An instant as sqlx writes it into SQLite, so both read it alike.
fn stored_instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// The places below the compounds met so far: children by parent and name.
#[derive(Default)]
struct Tree {
    loaded: HashSet<i64>,
    children: HashMap<i64, HashMap<Box<str>, i64>>,
    next_id: i64,
    created: u64,
}

impl Tree {
    /// Reads the places below a compound the first time a row names it.
    fn load(&mut self, tx: &Transaction<'_>, compound: i64, path: &str) -> rusqlite::Result<()> {
        if !self.loaded.insert(compound) {
            return Ok(());
        }
        let end = format!("{path}~");
        let mut stmt = tx.prepare_cached("SELECT id, parent_id, name FROM places WHERE path > ?1 AND path < ?2")?;
        let mut rows = stmt.query(params![path, end])?;
        while let Some(row) = rows.next()? {
            let (id, parent, name): (i64, i64, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
            self.children.entry(parent).or_default().insert(name.into_boxed_str(), id);
        }
        Ok(())
    }

    /// The child of a place by name, created (with its full path) if missing.
    fn child(
        &mut self,
        tx: &Transaction<'_>,
        parent: i64,
        parent_path: &str,
        kind: PlaceKind,
        name: &str,
    ) -> rusqlite::Result<i64> {
        if let Some(id) = self.children.get(&parent).and_then(|c| c.get(name)) {
            return Ok(*id);
        }
        let id = self.next_id;
        self.next_id += 1;
        tx.prepare_cached("INSERT INTO places (id, parent_id, kind, name, path) VALUES (?1, ?2, ?3, ?4, ?5)")?
            .execute(params![id, parent, kind.as_str(), name, format!("{parent_path}{id}/")])?;
        self.children.entry(parent).or_default().insert(name.into(), id);
        self.created += 1;
        Ok(id)
    }
}

/// Writes the rows as they come; commits if the file was clean and every
/// resident named is the actor's to change, else rolls back.
pub(super) fn write(
    file: &Path,
    now: DateTime<Utc>,
    job: WriteJob,
    mut rows: mpsc::Receiver<Batch>,
) -> StoreResult<Written> {
    let mut conn = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )?;
    conn.busy_timeout(crate::db::SQLITE_BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut tree = Tree {
        next_id: tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM places", [], |r| r.get(0))?,
        ..Tree::default()
    };
    let existing: i64 = tx.query_row("SELECT COUNT(*) FROM residents", [], |r| r.get(0))?;
    let large = job.estimated_rows >= LARGE && job.estimated_rows > existing as u64;
    // Into an empty roll every row is new (the checker has refused duplicates):
    // nothing to look up, and the ID number's index is built at the end too.
    let fresh = large && existing == 0;
    let mut rebuild = if large { drop_indexes(&tx, &REBUILT)? } else { Vec::new() };
    if fresh {
        rebuild.extend(drop_indexes(&tx, &["residents_id_number"])?);
    }
    let mut written = Written::default();
    let mut gained: HashMap<i64, i64> = HashMap::new();
    let at = stored_instant(now);
    let user_id = super::super::owner(&job.actor);
    let end = loop {
        match rows.blocking_recv() {
            // Given up: dropping the transaction rolls it back.
            Some(_) if job.counters.cancelled() => return Ok(written),
            Some(Batch::Rows { rows: batch, clean }) => {
                for r in &batch {
                    if clean {
                        write_row(&tx, &job, &mut tree, r, fresh, &mut written, &mut gained, &at, user_id)?;
                    } else if let Some(path) = resident_path(&tx, r)?
                        && !in_scope(&job.actor, &path)
                    {
                        written.elsewhere.push((r.row, r.id_number.masked()));
                    }
                }
                job.counters.written(batch.len());
            }
            Some(Batch::End { clean, sha256 }) => break Some((clean, sha256)),
            None => break None,
        }
    };
    written.places_created = tree.created;
    let Some((true, sha256)) = end.filter(|_| !job.counters.cancelled()) else { return Ok(written) };
    if !written.elsewhere.is_empty() {
        return Ok(written);
    }
    for sql in &rebuild {
        tx.execute_batch(sql)?;
    }
    let mut gained: Vec<(i64, i64)> = gained.into_iter().filter(|(_, d)| *d != 0).collect();
    // In id order: the pages of the places table are met once each.
    gained.sort_unstable();
    for (place, delta) in gained {
        tx.prepare_cached("UPDATE places SET residents = residents + ?1 WHERE id = ?2")?
            .execute(params![delta, place])?;
    }
    if let Some(mut run) = job.run.clone() {
        run.hashed(sha256);
        let last: i64 =
            tx.query_row(crate::imports::LAST_RUN_SQL, params![run.sha256, run.kind.as_str()], |r| r.get(0))?;
        if last > run.seen {
            return Err(StoreError::conflict(cordon_domain::Key::ImportRunning));
        }
        let id: i64 = tx.query_row(
            "INSERT INTO import_runs (kind, file_name, sha256, imported, updated, unchanged, user_id, actor, \
             started_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            params![
                run.kind.as_str(),
                run.file_name,
                run.sha256,
                written.summary.imported as i64,
                written.summary.updated as i64,
                written.summary.unchanged as i64,
                user_id,
                job.actor.username,
                stored_instant(run.started),
                at,
            ],
            |r| r.get(0),
        )?;
        audit(
            &tx,
            &at,
            user_id,
            &job.actor.username,
            "import",
            "import",
            &id.to_string(),
            None,
            Some(&run.audit_json(&written.summary, written.places_created)),
        )?;
    }
    tx.commit()?;
    Ok(written)
}

#[allow(clippy::too_many_arguments)]
fn audit(
    tx: &Transaction<'_>,
    at: &str,
    user_id: Option<i64>,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> rusqlite::Result<usize> {
    tx.prepare_cached(
        "INSERT INTO audit_log (at, user_id, actor, action, entity, entity_id, before_json, after_json) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![at, user_id, actor, action, entity, entity_id, before, after])
}

fn insert_tags(tx: &Transaction<'_>, tags: &str, path: &str, resident: i64) -> rusqlite::Result<()> {
    for tag in tags.split(';').filter(|t| !t.is_empty()) {
        tx.prepare_cached("INSERT INTO resident_tags (tag, path, resident_id) VALUES (?1, ?2, ?3)")?
            .execute(params![tag, path, resident])?;
    }
    Ok(())
}

/// Where a resident already on file lives.
fn resident_path(tx: &Transaction<'_>, r: &ResidentIn) -> rusqlite::Result<Option<String>> {
    tx.prepare_cached("SELECT path FROM residents WHERE id_number = ?1")?
        .query_row(params![r.id_number.as_str()], |row| row.get(0))
        .optional()
}

#[allow(clippy::too_many_arguments)]
fn write_row(
    tx: &Transaction<'_>,
    job: &WriteJob,
    tree: &mut Tree,
    r: &ResidentIn,
    fresh: bool,
    written: &mut Written,
    gained: &mut HashMap<i64, i64>,
    at: &str,
    user_id: Option<i64>,
) -> StoreResult<()> {
    let compound = &job.compounds[r.compound as usize];
    tree.load(tx, compound.id, &compound.path)?;
    let building = tree.child(tx, compound.id, &compound.path, PlaceKind::Building, &r.building)?;
    let building_path = format!("{}{building}/", compound.path);
    let entrance = tree.child(tx, building, &building_path, PlaceKind::Entrance, &r.entrance)?;
    let entrance_path = format!("{building_path}{entrance}/");
    let household = tree.child(tx, entrance, &entrance_path, PlaceKind::Household, &r.room)?;
    let path = format!("{entrance_path}{household}/");
    let existing: Option<Existing> = if fresh {
        None
    } else {
        tx.prepare_cached("SELECT id, name, phone, tags, household_id, path FROM residents WHERE id_number = ?1")?
            .query_row(params![r.id_number.as_str()], |row| {
                Ok(Existing {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    id_number: r.id_number.as_str().to_string(),
                    phone: row.get(2)?,
                    tags: row.get(3)?,
                    household_id: row.get(4)?,
                    path: row.get(5)?,
                })
            })
            .optional()?
    };
    match existing {
        None => {
            tx.prepare_cached(
                "INSERT INTO residents (household_id, name, id_number, birth_date, sex, phone, tags, path) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                household,
                r.name,
                r.id_number.as_str(),
                r.id_number.birth_date().format("%F").to_string(),
                r.id_number.sex().as_str(),
                r.phone,
                r.tags,
                path,
            ])?;
            insert_tags(tx, &r.tags, &path, tx.last_insert_rowid())?;
            count_along(gained, &path, 1);
            written.summary.imported += 1;
        }
        Some(e) if !in_scope(&job.actor, &e.path) => written.elsewhere.push((r.row, r.id_number.masked())),
        Some(e) if e.same_as(r, household) => written.summary.unchanged += 1,
        Some(e) => {
            tx.prepare_cached(
                "UPDATE residents SET name = ?1, phone = ?2, tags = ?3, household_id = ?4, path = ?5 WHERE id = ?6",
            )?
            .execute(params![r.name, r.phone, r.tags, household, path, e.id])?;
            tx.prepare_cached("DELETE FROM resident_tags WHERE resident_id = ?1")?.execute(params![e.id])?;
            insert_tags(tx, &r.tags, &path, e.id)?;
            if e.household_id != household {
                count_along(gained, &e.path, -1);
                count_along(gained, &path, 1);
            }
            audit(
                tx,
                at,
                user_id,
                &job.actor.username,
                "update",
                "resident",
                &e.id.to_string(),
                Some(&e.audit_json()),
                Some(&r.audit_json(household)),
            )?;
            written.summary.updated += 1;
        }
    }
    Ok(())
}

//! The SQLite bulk path: one rusqlite connection to the database file, one
//! `BEGIN IMMEDIATE` transaction, prepared statements row by row (SQLite runs
//! in this process, so a statement costs a function call, not a round trip),
//! and the places below the compounds resolved from memory.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use cordon_domain::places::PlaceKind;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params};
use tokio::sync::mpsc;

use super::{Batch, Existing, ResidentIn, WriteJob, Written, in_scope};
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

/// `imports::residents::FORGET_TAGS`'s counts, on SQLite: one range of the
/// (tag, path) index per place from the compound up and group.
const RECOUNT_TAGS: &str = "INSERT INTO place_tags (place_id, tag, residents) \
     SELECT p.id, g.tag, COUNT(*) FROM places p \
     CROSS JOIN (SELECT DISTINCT tag FROM resident_tags) g \
     JOIN resident_tags t ON t.tag = g.tag AND t.path >= p.path \
       AND t.path < substr(p.path, 1, length(p.path) - 1) || '0' \
     WHERE p.kind IN ('city', 'district', 'street', 'community', 'compound') \
     GROUP BY p.id, g.tag";

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

/// How many compounds' places the writer holds in memory at once. A roll is
/// mostly in compound order, so a compound once left is rarely met again; one
/// met again is read again. This bounds the writer's memory whatever the size
/// of the file (ten million residents live in some four million places).
const COMPOUNDS_HELD: usize = 256;

/// The places below the compounds met lately: children by parent and name;
/// and the changes to the residents counted in each place, not yet written.
struct Tree {
    /// The compounds held, with when a row last named each.
    held: HashMap<i64, u64>,
    /// At most this many.
    most: usize,
    named: u64,
    /// The places of each held compound that have children here.
    parents: HashMap<i64, Vec<i64>>,
    children: HashMap<i64, HashMap<Box<str>, i64>>,
    /// Residents gained (or lost) by each place held, or above the compounds.
    gained: HashMap<i64, i64>,
    /// The counts of the places let go, kept compact until the end.
    let_go_counts: Vec<(i64, i64)>,
    next_id: i64,
    created: u64,
}

impl Tree {
    fn new(next_id: i64, most: usize) -> Tree {
        Tree {
            held: HashMap::new(),
            most,
            named: 0,
            parents: HashMap::new(),
            children: HashMap::new(),
            gained: HashMap::new(),
            let_go_counts: Vec::new(),
            next_id,
            created: 0,
        }
    }

    /// Reads the places below a compound when a row names it and it is not
    /// held, letting go of the compound named longest ago if too many are.
    fn load(&mut self, tx: &Transaction<'_>, compound: i64, path: &str) -> rusqlite::Result<()> {
        self.named += 1;
        if let Some(last) = self.held.get_mut(&compound) {
            *last = self.named;
            return Ok(());
        }
        if self.held.len() >= self.most
            && let Some((&oldest, _)) = self.held.iter().min_by_key(|(_, last)| **last)
        {
            self.let_go(oldest);
        }
        self.held.insert(compound, self.named);
        let end = format!("{path}~");
        let mut stmt = tx.prepare_cached("SELECT id, parent_id, name FROM places WHERE path > ?1 AND path < ?2")?;
        let mut rows = stmt.query(params![path, end])?;
        while let Some(row) = rows.next()? {
            let (id, parent, name): (i64, i64, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
            self.insert(compound, parent, name.into_boxed_str(), id);
        }
        Ok(())
    }

    fn insert(&mut self, compound: i64, parent: i64, name: Box<str>, id: i64) {
        let children = self.children.entry(parent).or_insert_with(|| {
            self.parents.entry(compound).or_default().push(parent);
            HashMap::new()
        });
        children.insert(name, id);
    }

    /// Forgets a compound's places, keeping the counts gained below them
    /// (16 bytes a place) to be written in id order at the end: written as
    /// each compound is let go, they made a 10M import a quarter slower.
    fn let_go(&mut self, compound: i64) {
        self.held.remove(&compound);
        for parent in self.parents.remove(&compound).unwrap_or_default() {
            for id in self.children.remove(&parent).unwrap_or_default().into_values() {
                if let Some(delta) = self.gained.remove(&id) {
                    self.let_go_counts.push((id, delta));
                }
            }
        }
    }

    /// The child of a place of a held compound by name, created (with its full path) if missing.
    fn child(
        &mut self,
        tx: &Transaction<'_>,
        compound: i64,
        parent: (i64, &str),
        kind: PlaceKind,
        name: &str,
    ) -> rusqlite::Result<i64> {
        let (parent, parent_path) = parent;
        if let Some(id) = self.children.get(&parent).and_then(|c| c.get(name)) {
            return Ok(*id);
        }
        let id = self.next_id;
        self.next_id += 1;
        tx.prepare_cached("INSERT INTO places (id, parent_id, kind, name, path) VALUES (?1, ?2, ?3, ?4, ?5)")?
            .execute(params![id, parent, kind.as_str(), name, format!("{parent_path}{id}/")])?;
        self.insert(compound, parent, name.into(), id);
        self.created += 1;
        Ok(id)
    }

    /// Counts a resident in (or out of) every place of a path.
    fn count(&mut self, path: &str, delta: i64) {
        super::count_along(&mut self.gained, path, delta);
    }

    /// Writes every count not yet written, in id order: the pages of the
    /// places table are met once each.
    fn write_counts(&mut self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        let mut gained = std::mem::take(&mut self.let_go_counts);
        gained.extend(self.gained.drain());
        gained.retain(|(_, d)| *d != 0);
        gained.sort_unstable();
        for (place, delta) in gained {
            add_residents(tx, place, delta)?;
        }
        Ok(())
    }
}

fn add_residents(tx: &Transaction<'_>, place: i64, delta: i64) -> rusqlite::Result<()> {
    if delta != 0 {
        tx.prepare_cached("UPDATE places SET residents = residents + ?1 WHERE id = ?2")?
            .execute(params![delta, place])?;
    }
    Ok(())
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
    let mut tree =
        Tree::new(tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM places", [], |r| r.get(0))?, COMPOUNDS_HELD);
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
    let at = stored_instant(now);
    let user_id = super::super::owner(&job.actor);
    let end = loop {
        match rows.blocking_recv() {
            // Given up: dropping the transaction rolls it back.
            Some(_) if job.counters.cancelled() => return Ok(written),
            Some(Batch::Rows { rows: batch, clean }) => {
                for r in &batch {
                    if clean {
                        write_row(&tx, &job, &mut tree, r, fresh, &mut written, &at, user_id)?;
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
    tree.write_counts(&tx)?;
    tx.execute(super::FORGET_TAGS, [])?;
    tx.execute(RECOUNT_TAGS, [])?;
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
    at: &str,
    user_id: Option<i64>,
) -> StoreResult<()> {
    let compound = &job.compounds[r.compound as usize];
    tree.load(tx, compound.id, &compound.path)?;
    let c = compound.id;
    let building = tree.child(tx, c, (c, &compound.path), PlaceKind::Building, &r.building)?;
    let building_path = format!("{}{building}/", compound.path);
    let entrance = tree.child(tx, c, (building, &building_path), PlaceKind::Entrance, &r.entrance)?;
    let entrance_path = format!("{building_path}{entrance}/");
    let household = tree.child(tx, c, (entrance, &entrance_path), PlaceKind::Household, &r.room)?;
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
            tree.count(&path, 1);
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
                tree.count(&e.path, -1);
                tree.count(&path, 1);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows naming three compounds in turn, with only two held: every compound
    /// is let go and read again, and still no place is made twice and every
    /// count is right.
    #[test]
    fn compounds_let_go_and_read_again_make_no_place_twice_and_count_every_resident() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE places (id INTEGER PRIMARY KEY, parent_id INTEGER, kind TEXT NOT NULL, name TEXT NOT NULL, \
             path TEXT NOT NULL, residents INTEGER NOT NULL DEFAULT 0, UNIQUE (parent_id, name));
             INSERT INTO places (id, parent_id, kind, name, path) VALUES (1, NULL, 'city', '市', '/1/'),
               (2, 1, 'compound', '甲', '/1/2/'), (3, 1, 'compound', '乙', '/1/3/'), (4, 1, 'compound', '丙', '/1/4/');",
        )
        .unwrap();
        let tx = conn.transaction().unwrap();
        let mut tree = Tree::new(5, 2);
        let mut expected: HashMap<String, i64> = HashMap::new();
        for n in 0..300 {
            let (compound, path) = [(2, "/1/2/"), (3, "/1/3/"), (4, "/1/4/")][n % 3];
            tree.load(&tx, compound, path).unwrap();
            let b =
                tree.child(&tx, compound, (compound, path), PlaceKind::Building, &format!("{}号楼", n % 4)).unwrap();
            let building_path = format!("{path}{b}/");
            let h =
                tree.child(&tx, compound, (b, &building_path), PlaceKind::Household, &format!("{}", n % 7)).unwrap();
            tree.count(&format!("{building_path}{h}/"), 1);
            *expected.entry(format!("{compound}/{}/{}", n % 4, n % 7)).or_default() += 1;
        }
        assert!(tree.held.len() <= 2, "at most two compounds held");
        tree.write_counts(&tx).unwrap();
        let count = |sql: &str| -> i64 { tx.query_row(sql, [], |r| r.get(0)).unwrap() };
        // 3 compounds × 4 buildings, each with its households, made once each.
        assert_eq!(count("SELECT COUNT(*) FROM places WHERE kind = 'building'"), 12);
        let households = expected.len() as i64;
        assert_eq!(count("SELECT COUNT(*) FROM places WHERE kind = 'household'"), households);
        assert_eq!(count("SELECT residents FROM places WHERE id = 1"), 300);
        for compound in 2..=4 {
            assert_eq!(count(&format!("SELECT residents FROM places WHERE id = {compound}")), 100);
        }
        let mut stmt = tx
            .prepare(
                "SELECT c.id, b.name, h.name, h.residents FROM places h JOIN places b ON b.id = h.parent_id \
                 JOIN places c ON c.id = b.parent_id WHERE h.kind = 'household'",
            )
            .unwrap();
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get(3)?)))
            .unwrap();
        for row in rows {
            let (c, b, h, residents): (i64, String, String, i64) = row.unwrap();
            let key = format!("{c}/{}/{h}", b.trim_end_matches("号楼"));
            assert_eq!(Some(&residents), expected.get(&key), "{key}");
        }
    }
}

//! The PostgreSQL bulk path: the checked rows are streamed by COPY into a
//! staging table of the transaction, and the rest is done set-wise by the
//! server (a statement a level of the tree, one for the new residents, one for
//! the changed ones), so no row makes a round trip of its own.

use chrono::{DateTime, Utc};
use sqlx::{Connection as _, PgPool};
use tokio::sync::mpsc;

use super::{Batch, Existing, ResidentIn, WriteJob, Written};
use crate::{StoreError, StoreResult};

const STAGING: &str = "CREATE TEMP TABLE import_residents (row_no BIGINT NOT NULL, compound_id BIGINT NOT NULL, \
     building TEXT NOT NULL, entrance TEXT NOT NULL, room TEXT NOT NULL, name TEXT NOT NULL, id_number TEXT NOT NULL, \
     birth_date DATE NOT NULL, sex TEXT NOT NULL, phone TEXT, tags TEXT NOT NULL) ON COMMIT DROP";

/// `imports::residents::FORGET_TAGS`'s counts, on PostgreSQL: each tagged
/// resident's path cut into its ids, the last three left out (measured at
/// 1M: the range join SQLite uses took 7.8 s here, planned as a hash join).
const RECOUNT_TAGS: &str = "INSERT INTO place_tags (place_id, tag, residents) \
     SELECT CAST(a.id AS BIGINT), t.tag, COUNT(*) FROM resident_tags t \
     CROSS JOIN LATERAL (SELECT string_to_array(trim(BOTH '/' FROM t.path), '/') AS ids) x \
     CROSS JOIN LATERAL unnest(x.ids[1:cardinality(x.ids) - 3]) AS a(id) \
     GROUP BY 1, 2";

/// The advisory lock that queues the apply phase of resident imports ("cordon:residents" in ASCII).
const RESIDENT_IMPORT_LOCK: i64 = 0x636f_7264_6f6e_3a72;

/// The most memory the import's temporary tables take before they spill to
/// files; taken only as they fill.
const TEMP_BUFFERS: &str = "1GB";

/// How many residents written make an import refresh the planner's statistics.
const ANALYZED_AFTER: usize = 10_000;

/// A file of at least a quarter of the roll's size is joined by hashing (see `write`).
const HASHED_SHARE: f32 = 4.0;

const COPY: &str = "COPY import_residents FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (tags))";

/// The three levels below a compound: (kind, the name column, the parent's
/// alias, the joins that find the parent from a staged row).
const LEVELS: [(&str, &str, &str, &str); 3] = [
    ("building", "s.building", "c", "JOIN places c ON c.id = s.compound_id"),
    ("entrance", "s.entrance", "b", "JOIN places b ON b.parent_id = s.compound_id AND b.name = s.building"),
    (
        "household",
        "s.room",
        "e",
        "JOIN places b ON b.parent_id = s.compound_id AND b.name = s.building \
         JOIN places e ON e.parent_id = b.id AND e.name = s.entrance",
    ),
];

/// Creates the places of one level from the names the rows give under the
/// level above (already created), with ids drawn from the sequence and paths
/// made in the same statement: no second pass over the new rows. A new place
/// holds exactly the rows under it (nobody lived in it before), so its count
/// of residents is written with it; the count of the places that were there
/// before (in `write`) leaves out the ids this import drew.
///
/// The new places are drawn and inserted in the order of their paths: each
/// id is then above every id before it, so the primary key, the path index
/// and a parent's names are all appended to rather than written all over
/// indexes that, at a city's 3.5 million households, no longer fit in memory
/// (at 10M the households took 157 s in the hash aggregate's order, 91 s so).
///
/// Only resident imports make places below a compound, and they apply one
/// at a time (`RESIDENT_IMPORT_LOCK`, taken before this): `NOT EXISTS` sees
/// every place made before, so no insert can conflict and none is made
/// ready to (`ON CONFLICT` prepared each of 3.5 million rows for one). Were
/// another writer to make one meanwhile, the unique index would fail the
/// import, whole. `sequence` is the oid of the places' id sequence, a
/// constant here: `pg_get_serial_sequence` in the statement was looked up
/// again for every row (4 µs a row; 106 -> 72 s for the households at 10M).
fn level_sql((kind, name, parent, joins): (&str, &str, &str, &str), sequence: i64) -> String {
    format!(
        "INSERT INTO places (id, parent_id, kind, name, path, residents) \
         SELECT n.id, n.parent, '{kind}', n.name, n.ppath || n.id || '/', n.residents FROM (\
           SELECT nextval(CAST(CAST({sequence} AS oid) AS regclass)) AS id, d.* FROM (\
             SELECT {parent}.id AS parent, {parent}.path AS ppath, {name} AS name, COUNT(*) AS residents \
             FROM import_residents s {joins} GROUP BY 1, 2, 3 ORDER BY 2, 3) d \
           WHERE NOT EXISTS (SELECT 1 FROM places x WHERE x.parent_id = d.parent AND x.name = d.name)) n"
    )
}

/// Every row with its household and the resident already on file, if any.
const STAGED: &str = "CREATE TEMP TABLE import_staged ON COMMIT DROP AS \
     SELECT s.row_no, s.compound_id, s.name, s.id_number, s.birth_date, s.sex, s.phone, s.tags, \
     b.id AS building_id, e.id AS entrance_id, h.id AS household_id, h.path, r.id AS resident_id, r.name AS old_name, r.phone AS old_phone, \
     r.tags AS old_tags, r.household_id AS old_household, r.path AS old_path \
     FROM import_residents s JOIN places b ON b.parent_id = s.compound_id AND b.name = s.building \
     JOIN places e ON e.parent_id = b.id AND e.name = s.entrance \
     JOIN places h ON h.parent_id = e.id AND h.name = s.room \
     LEFT JOIN residents r ON r.id_number = s.id_number";

/// A staged row that changes its resident.
const CHANGED: &str = "s.resident_id IS NOT NULL AND (s.old_name, s.old_phone, s.old_tags, s.old_household) \
     IS DISTINCT FROM (s.name, s.phone, s.tags, s.household_id)";

/// Appends a row to the COPY data (CSV; an empty phone is NULL, empty tags are '').
fn copy_row(out: &mut csv::Writer<Vec<u8>>, job: &WriteJob, r: &ResidentIn) -> csv::Result<()> {
    let compound = job.compounds[r.compound as usize].id;
    out.write_record([
        r.row.to_string().as_str(),
        compound.to_string().as_str(),
        &r.building,
        &r.entrance,
        &r.room,
        &r.name,
        r.id_number.as_str(),
        r.id_number.birth_date().format("%F").to_string().as_str(),
        r.id_number.sex().as_str(),
        r.phone.as_deref().unwrap_or(""),
        &r.tags,
    ])
}

/// Streams the rows into the staging table and applies them; commits if the
/// file was clean and every resident named is the actor's to change.
pub(super) async fn write(
    pool: &PgPool,
    now: DateTime<Utc>,
    job: WriteJob,
    mut rows: mpsc::Receiver<Batch>,
) -> StoreResult<Written> {
    // The import's own session, not one of the pool's: only a session that
    // has not yet touched a temporary table can size their buffers, and the
    // default 8 MB sent ten million staged rows through the operating system
    // a page at a time (10M: 295 -> 274 s with 1 GB).
    let options = pool.connect_options().as_ref().clone().options([("temp_buffers", TEMP_BUFFERS)]);
    let mut session = sqlx::PgConnection::connect_with(&options).await?;
    let mut tx = session.begin().await?;
    sqlx::query(STAGING).execute(&mut *tx).await?;
    let mut copy = tx.copy_in_raw(COPY).await?;
    let mut end = None;
    while let Some(batch) = rows.recv().await {
        match batch {
            Batch::Rows { rows: batch, .. } => {
                let mut out = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::with_capacity(1 << 20));
                for r in &batch {
                    copy_row(&mut out, &job, r).map_err(|e| StoreError::Io(e.to_string()))?;
                }
                let data = out.into_inner().map_err(|e| StoreError::Io(e.to_string()))?;
                copy.send(data).await?;
                job.counters.written(batch.len());
            }
            Batch::End { clean, sha256 } => {
                end = Some((clean, sha256));
                break;
            }
        }
    }
    copy.finish().await?;
    let mut written = Written::default();
    let Some((clean, sha256)) = end else { return Ok(written) };
    // One resident import applies its rows at a time (the COPYs before may run
    // together): two files naming the same new person would otherwise both
    // insert them and one fail on the unique ID number, and each would count
    // the other's rows wrong. Each statement after the lock reads what the
    // import before it committed.
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(RESIDENT_IMPORT_LOCK).execute(&mut *tx).await?;
    // Joins of a million rows want hashing, and the planner true sizes: the
    // staging table is new and the places have grown inside this transaction.
    sqlx::query("SET LOCAL work_mem = '256MB'").execute(&mut *tx).await?;
    // Compiling a plan costs up to a second here, and every statement is a plain join run once.
    sqlx::query("SET LOCAL jit = off").execute(&mut *tx).await?;
    sqlx::query("ANALYZE import_residents").execute(&mut *tx).await?;
    // The planner takes a place's parent and name for independent columns and
    // expects a few thousand of a million rows to match: it looks each row up
    // by index (several seconds a million, a minute at ten). When the file is a
    // large share of the roll, every row matches, and hashing both sides is the
    // plan; a small file into a large roll keeps its look-ups.
    let roll: f32 = sqlx::query_scalar("SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = 'residents'::regclass")
        .fetch_one(&mut *tx)
        .await?;
    let staged = job.counters.rows_written.load(std::sync::atomic::Ordering::Relaxed);
    if staged >= ANALYZED_AFTER as u64 && (staged as f32) * HASHED_SHARE >= roll {
        sqlx::query("SET LOCAL enable_nestloop = off").execute(&mut *tx).await?;
    }
    let sequence: i64 = sqlx::query_scalar(
        "SELECT CAST(CAST(CAST(pg_get_serial_sequence('places', 'id') AS regclass) AS oid) AS BIGINT)",
    )
    .fetch_one(&mut *tx)
    .await?;
    // Every id drawn after this one is above it, and every place that was
    // there before drew its id earlier: the places at or above `first` are
    // the ones this import makes (a places import drawing ids meanwhile makes
    // compounds, which no row of this file can name).
    let first: i64 =
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT nextval(CAST(CAST({sequence} AS oid) AS regclass))")))
            .fetch_one(&mut *tx)
            .await?;
    for level in LEVELS {
        written.places_created +=
            sqlx::query(sqlx::AssertSqlSafe(level_sql(level, sequence))).execute(&mut *tx).await?.rows_affected();
        sqlx::query("ANALYZE places").execute(&mut *tx).await?;
    }
    sqlx::query(STAGED).execute(&mut *tx).await?;
    sqlx::query("ANALYZE import_staged").execute(&mut *tx).await?;
    if let Some((a, b)) = job.actor.scope.place_range() {
        let outside: Vec<(i64, String)> = sqlx::query_as(
            "SELECT row_no, id_number FROM import_staged WHERE resident_id IS NOT NULL \
             AND NOT (old_path >= $1 AND old_path < $2) ORDER BY row_no",
        )
        .bind(a)
        .bind(b)
        .fetch_all(&mut *tx)
        .await?;
        written.elsewhere = outside
            .into_iter()
            .map(|(row, id)| {
                let masked = cordon_domain::IdNumber::parse(&id).map(|i| i.masked()).unwrap_or_default();
                (row as usize, masked)
            })
            .collect();
    }
    if !clean || !written.elsewhere.is_empty() {
        return Ok(written);
    }
    let mut run = job.run.clone();
    if let Some(run) = &mut run {
        run.hashed(sha256);
    }
    claim_run!(pool, tx, run.as_ref())?;

    // Residents that change: each gets its before/after entry in the log.
    let changed: Vec<ChangedRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT resident_id, old_name, id_number, old_phone, old_tags, \
             old_household, old_path, name, phone, tags, household_id FROM import_staged s WHERE {CHANGED}"
    )))
    .fetch_all(&mut *tx)
    .await?;
    for chunk in changed.chunks(1000) {
        let mut qb = sqlx::QueryBuilder::new(
            "INSERT INTO audit_log (at, user_id, actor, action, entity, entity_id, before_json, after_json) ",
        );
        qb.push_values(chunk, |mut b, c| {
            let before = c.existing();
            b.push_bind(now)
                .push_bind(super::super::owner(&job.actor))
                .push_bind(job.actor.username.clone())
                .push_bind("update")
                .push_bind("resident")
                .push_bind(c.resident_id.to_string())
                .push_bind(Some(before.audit_json()))
                .push_bind(Some(c.after_json()));
        });
        qb.build().execute(&mut *tx).await?;
    }
    // The count of every place that was there before, from the staged rows:
    // one more for each new (or moved-in) resident in its household, entrance,
    // building, compound and above, one less along a moved one's old path.
    // The places made by this import (ids from `first`; counted when made)
    // are blanked before the rows are grouped, so a roll into new buildings
    // groups by compound alone (10M rows: twenty thousand groups, not 3.5
    // million households to be looked up and left out), and only the
    // compounds' paths are split.
    let moved_in = format!("s.resident_id IS NULL OR ({CHANGED} AND s.old_household <> s.household_id)");
    let old = |column: &str| format!("CASE WHEN s.{column} < {first} THEN s.{column} END");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH g AS MATERIALIZED (\
           SELECT {household} AS household_id, {entrance} AS entrance_id, {building} AS building_id, \
           s.compound_id, COUNT(*) AS n FROM import_staged s WHERE {moved_in} GROUP BY 1, 2, 3, 4), \
         x (id, delta) AS (\
           SELECT household_id, n FROM g WHERE household_id IS NOT NULL \
           UNION ALL SELECT entrance_id, SUM(n) FROM g WHERE entrance_id IS NOT NULL GROUP BY 1 \
           UNION ALL SELECT building_id, SUM(n) FROM g WHERE building_id IS NOT NULL GROUP BY 1 \
           UNION ALL SELECT CAST(a.id AS BIGINT), c.n FROM (SELECT compound_id, SUM(n) AS n FROM g GROUP BY 1) c \
             JOIN places p ON p.id = c.compound_id \
             CROSS JOIN LATERAL unnest(string_to_array(trim(BOTH '/' FROM p.path), '/')) AS a(id) \
           UNION ALL SELECT CAST(a.id AS BIGINT), -1 FROM import_staged s \
             CROSS JOIN LATERAL unnest(string_to_array(trim(BOTH '/' FROM s.old_path), '/')) AS a(id) \
             WHERE {CHANGED} AND s.old_household <> s.household_id), \
         d AS (SELECT x.id, SUM(x.delta) AS delta FROM x GROUP BY x.id HAVING SUM(x.delta) <> 0) \
         UPDATE places p SET residents = p.residents + d.delta FROM d WHERE p.id = d.id",
        household = old("household_id"),
        entrance = old("entrance_id"),
        building = old("building_id"),
    )))
    .execute(&mut *tx)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM resident_tags t USING import_staged s WHERE t.resident_id = s.resident_id AND {CHANGED}"
    )))
    .execute(&mut *tx)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE residents r SET name = s.name, phone = s.phone, tags = s.tags, household_id = s.household_id, \
         path = s.path FROM import_staged s WHERE r.id = s.resident_id AND {CHANGED}"
    )))
    .execute(&mut *tx)
    .await?;

    // New residents, in the order of the list's index.
    let imported: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM import_staged WHERE resident_id IS NULL").fetch_one(&mut *tx).await?;
    let rebuild = if imported as usize >= BULK_ROWS { set_aside_if_empty(&mut tx).await? } else { Vec::new() };
    sqlx::query(
        "INSERT INTO residents (household_id, name, id_number, birth_date, sex, phone, tags, path) \
         SELECT household_id, name, id_number, birth_date, sex, phone, tags, path FROM import_staged \
         WHERE resident_id IS NULL ORDER BY path, row_no",
    )
    .execute(&mut *tx)
    .await?;
    for sql in &rebuild {
        sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).execute(&mut *tx).await?;
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO resident_tags (tag, path, resident_id) \
         SELECT t.tag, s.path, r.id FROM import_staged s JOIN residents r ON r.id_number = s.id_number \
         CROSS JOIN LATERAL unnest(string_to_array(s.tags, ';')) AS t(tag) \
         WHERE s.tags <> '' AND (s.resident_id IS NULL OR ({CHANGED}))"
    )))
    .execute(&mut *tx)
    .await?;

    sqlx::query(super::FORGET_TAGS).execute(&mut *tx).await?;
    sqlx::query(RECOUNT_TAGS).execute(&mut *tx).await?;

    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM import_staged").fetch_one(&mut *tx).await?;
    written.summary.imported = imported as usize;
    written.summary.updated = changed.len();
    written.summary.unchanged = (total - imported) as usize - changed.len();

    // The planner's sizes, for the pages that read right after: without them a
    // roll that grew from nothing is still "empty", and a building's count of
    // residents is planned as a scan of the whole table (seconds a page at 1M).
    if written.summary.imported + written.summary.updated >= ANALYZED_AFTER {
        sqlx::query("ANALYZE residents, resident_tags, places").execute(&mut *tx).await?;
    }
    let summary = written.summary;
    let created = written.places_created;
    record_run!(tx, now, &job.actor, run.as_ref(), &summary, created)?;
    tx.commit().await?;
    Ok(written)
}

/// How many new residents make the first roll into an empty table a bulk load.
const BULK_ROWS: usize = 10_000;

/// Into an empty roll, a bulk load: the residents table's indexes (but its
/// primary key) and constraints are dropped, to be built once from the rows
/// rather than kept row by row (a million index entries five times over and
/// a million foreign-key look-ups: two thirds of such an import). Dropping
/// them holds the table exclusively until the commit, so it is done only
/// when there is nothing in it to read. Returns the statements that put them
/// back, in the transaction, before anything reads the table again.
async fn set_aside_if_empty(tx: &mut sqlx::PgConnection) -> StoreResult<Vec<String>> {
    let empty: bool = sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM residents)").fetch_one(&mut *tx).await?;
    if !empty {
        return Ok(Vec::new());
    }
    sqlx::query("LOCK TABLE residents IN ACCESS EXCLUSIVE MODE").execute(&mut *tx).await?;
    // Someone may have written one between the look and the lock.
    let empty: bool = sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM residents)").fetch_one(&mut *tx).await?;
    if !empty {
        return Ok(Vec::new());
    }
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, pg_get_indexdef(c.oid) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid \
         WHERE x.indrelid = 'residents'::regclass AND NOT x.indisprimary \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)",
    )
    .fetch_all(&mut *tx)
    .await?;
    let constraints: Vec<(String, String)> = sqlx::query_as(
        "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conrelid = 'residents'::regclass AND contype IN ('u', 'f')",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut rebuild = vec!["SET LOCAL maintenance_work_mem = '256MB'".to_string()];
    for (name, def) in &indexes {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX \"{name}\""))).execute(&mut *tx).await?;
        rebuild.push(def.clone());
    }
    for (name, def) in &constraints {
        sqlx::query(sqlx::AssertSqlSafe(format!("ALTER TABLE residents DROP CONSTRAINT \"{name}\"")))
            .execute(&mut *tx)
            .await?;
        rebuild.push(format!("ALTER TABLE residents ADD CONSTRAINT \"{name}\" {def}"));
    }
    Ok(rebuild)
}

#[derive(sqlx::FromRow)]
struct ChangedRow {
    resident_id: i64,
    old_name: String,
    id_number: String,
    old_phone: Option<String>,
    old_tags: String,
    old_household: i64,
    old_path: String,
    name: String,
    phone: Option<String>,
    tags: String,
    household_id: i64,
}

impl ChangedRow {
    fn existing(&self) -> Existing {
        Existing {
            id: self.resident_id,
            name: self.old_name.clone(),
            id_number: self.id_number.clone(),
            phone: self.old_phone.clone(),
            tags: self.old_tags.clone(),
            household_id: self.old_household,
            path: self.old_path.clone(),
        }
    }

    fn after_json(&self) -> String {
        super::audit_json(&self.name, &self.id_number, self.phone.as_deref(), &self.tags, self.household_id)
    }
}

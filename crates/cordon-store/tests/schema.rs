//! The two engines' migrations give the same schema: the same tables, the
//! same columns (and whether they may be NULL), the same CHECK constraints
//! and the same unique keys. The migrations are written twice, once per
//! engine's dialect; this is what keeps them from drifting apart.

use std::collections::{BTreeMap, BTreeSet};

use cordon_store::test_support::{TestDb, postgres, sqlite};
use sqlx::Row;

/// A CHECK constraint reduced to what both dialects keep of it: the columns
/// it names and the text literals it allows (PostgreSQL rewrites
/// `state IN ('a','b')` as `state = ANY (ARRAY['a'::text, 'b'::text])`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Check {
    columns: BTreeSet<String>,
    literals: BTreeSet<String>,
}

/// One table: columns with their nullability, checks, unique keys.
#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    columns: BTreeMap<String, bool>,
    checks: BTreeSet<Check>,
    unique: BTreeSet<Vec<String>>,
}

type Schema = BTreeMap<String, Table>;

/// The words of an expression that are identifiers, and its quoted literals.
fn tokens(expr: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut words, mut literals) = (BTreeSet::new(), BTreeSet::new());
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            let mut lit = String::new();
            while let Some(d) = chars.next() {
                if d == '\'' {
                    if chars.peek() == Some(&'\'') {
                        lit.push(chars.next().unwrap());
                        continue;
                    }
                    break;
                }
                lit.push(d);
            }
            literals.insert(lit);
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut w = String::from(c);
            while let Some(&d) = chars.peek() {
                if d.is_ascii_alphanumeric() || d == '_' {
                    w.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            words.insert(w.to_lowercase());
        }
    }
    (words, literals)
}

fn check_of(expr: &str, columns: &BTreeMap<String, bool>) -> Check {
    let (words, literals) = tokens(expr);
    Check { columns: words.into_iter().filter(|w| columns.contains_key(w)).collect(), literals }
}

/// The bodies of every `CHECK (...)` in a CREATE TABLE statement.
fn check_bodies(sql: &str) -> Vec<String> {
    let upper = sql.to_uppercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = upper[from..].find("CHECK") {
        let start = from + i + 5;
        // The keyword, not the start of a name such as `checkpoints`.
        let before = upper[..from + i].chars().next_back().unwrap_or(' ');
        let after = upper[start..].chars().next().unwrap_or(' ');
        if before.is_ascii_alphanumeric() || before == '_' || !(after.is_whitespace() || after == '(') {
            from = start;
            continue;
        }
        let Some(open) = sql[start..].find('(').map(|o| start + o) else { break };
        let (mut depth, mut end, mut in_quote) = (0, open, false);
        for (j, c) in sql[open..].char_indices() {
            match c {
                '\'' => in_quote = !in_quote,
                '(' if !in_quote => depth += 1,
                ')' if !in_quote => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push(sql[open + 1..end].to_string());
        from = end;
    }
    out
}

async fn sqlite_schema(db: &TestDb) -> Schema {
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        match &db.database {
            cordon_store::Database::Sqlite { data_dir } => data_dir.join("cordon.db").display().to_string(),
            _ => unreachable!("a SQLite test database"),
        }
    ))
    .await
    .unwrap();
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for (name, sql) in tables {
        let mut t = Table::default();
        for row in
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT name, \"notnull\", pk FROM pragma_table_info('{name}')")))
                .fetch_all(&pool)
                .await
                .unwrap()
        {
            let (col, notnull, pk): (String, i64, i64) = (row.get(0), row.get(1), row.get(2));
            // A primary key column is never NULL in practice; PostgreSQL says so, SQLite's pragma does not.
            t.columns.insert(col.to_lowercase(), notnull == 0 && pk == 0);
        }
        t.checks = check_bodies(&sql).iter().map(|b| check_of(b, &t.columns)).collect();
        let indexes: Vec<(String, i64)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT name, \"unique\" FROM pragma_index_list('{name}')")))
                .fetch_all(&pool)
                .await
                .unwrap();
        for (index, _) in indexes.into_iter().filter(|(_, u)| *u == 1) {
            let mut cols: Vec<String> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT name FROM pragma_index_info('{index}')")))
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            cols.iter_mut().for_each(|c| *c = c.to_lowercase());
            t.unique.insert(cols);
        }
        // SQLite's INTEGER PRIMARY KEY is the rowid and has no index of its own.
        let pks: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{name}') WHERE pk > 0 ORDER BY pk"
        )))
        .fetch_all(&pool)
        .await
        .unwrap();
        t.unique.insert(pks.iter().map(|c| c.to_lowercase()).collect());
        schema.insert(name.to_lowercase(), t);
    }
    pool.close().await;
    schema
}

async fn postgres_schema(db: &TestDb) -> Schema {
    let cordon_store::Database::Postgres { url } = &db.database else { unreachable!("a PostgreSQL test database") };
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let mut schema = Schema::new();
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, is_nullable::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for (table, column, nullable) in columns {
        schema.entry(table.to_lowercase()).or_default().columns.insert(column.to_lowercase(), nullable == "YES");
    }
    let checks: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, pg_get_constraintdef(k.oid) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND k.contype = 'c'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for (table, def) in checks {
        let t = schema.get_mut(&table.to_lowercase()).expect("a table of a constraint");
        let body = def.trim_start_matches("CHECK").trim();
        let check = check_of(body, &t.columns);
        t.checks.insert(check);
    }
    let unique: Vec<(String, Vec<String>)> = sqlx::query_as(
        "SELECT t.relname::text, ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) \
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord) \
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND i.indisunique AND t.relname <> '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for (table, cols) in unique {
        if let Some(t) = schema.get_mut(&table.to_lowercase()) {
            t.unique.insert(cols.into_iter().map(|c| c.to_lowercase()).collect());
        }
    }
    pool.close().await;
    schema
}

#[tokio::test]
async fn sqlite_and_postgresql_get_the_same_tables_columns_checks_and_unique_keys() {
    let Some(pg) = postgres().await else { return };
    let lite = sqlite().await;
    let (a, b) = (sqlite_schema(&lite).await, postgres_schema(&pg).await);
    assert!(a.len() > 20, "the migrations made the tables: {:?}", a.keys());
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "the same tables");
    let mut differences = Vec::new();
    for (name, t) in &a {
        let u = &b[name];
        if t.columns != u.columns {
            differences
                .push(format!("{name}: columns (name, nullable) SQLite {:?} / PostgreSQL {:?}", t.columns, u.columns));
        }
        if t.checks != u.checks {
            differences.push(format!("{name}: CHECKs SQLite {:?} / PostgreSQL {:?}", t.checks, u.checks));
        }
        if t.unique != u.unique {
            differences.push(format!("{name}: unique keys SQLite {:?} / PostgreSQL {:?}", t.unique, u.unique));
        }
    }
    assert!(differences.is_empty(), "the engines' schemas differ:\n{}", differences.join("\n"));
}

#[test]
fn a_check_is_read_alike_from_either_dialect() {
    let columns: BTreeMap<String, bool> =
        [("state".to_string(), false), ("ends_at".into(), false), ("starts_at".into(), false)].into();
    let lite = check_of("state IN ('issued','on-site')", &columns);
    let pg = check_of("((state = ANY (ARRAY['issued'::text, 'on-site'::text])))", &columns);
    assert_eq!(lite, pg);
    assert_eq!(check_of("ends_at > starts_at", &columns), check_of("((ends_at > starts_at))", &columns));
    assert_ne!(lite, check_of("state IN ('issued')", &columns));
    assert_eq!(check_bodies("CREATE TABLE t (a TEXT CHECK (a IN ('x)','y')), b INT, CHECK (b > 0))").len(), 2);
    assert!(check_bodies("CREATE TABLE t (c INT REFERENCES checkpoints(id))").is_empty());
}

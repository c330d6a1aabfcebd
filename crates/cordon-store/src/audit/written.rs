//! Reads the store's own sources for every audit write, so that an action or
//! kind of record that is not in [`super::ACTIONS`] / [`super::ENTITIES`] (and
//! so has no words on the log's page) fails a test instead of showing a raw key.
//!
//! A write names its action and record as string literals in almost every
//! case; the few that pass them through a variable are listed in `dynamic`
//! with where their values come from, and a new such write fails until it is
//! listed too.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::residents::RevealField;

/// One call found in a source: its file (relative to `src`) and its arguments as written.
struct Call {
    file: String,
    args: Vec<String>,
}

fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(&root).expect("under src").to_string_lossy().replace('\\', "/");
                // This file names the patterns it looks for.
                if rel != "audit/written.rs" {
                    out.push((rel, std::fs::read_to_string(&path).expect("read source")));
                }
            }
        }
    }
    out
}

/// The arguments of the call whose opening parenthesis is at `open`, split at
/// top-level commas (brackets and string literals respected).
fn arguments(text: &str, open: usize) -> Vec<String> {
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    let mut in_str = false;
    let mut escaped = false;
    for c in text[open + 1..].chars() {
        if in_str {
            current.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                current.push(c);
            }
            '(' | '[' | '{' => {
                depth += 1;
                current.push(c);
            }
            ')' | ']' | '}' if depth == 0 => break,
            ')' | ']' | '}' => {
                depth -= 1;
                current.push(c);
            }
            ',' if depth == 0 => args.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if !current.trim().is_empty() {
        args.push(current);
    }
    args.into_iter().map(|a| a.split_whitespace().collect::<Vec<_>>().join(" ")).collect()
}

/// Every call of `name(` in the sources that is not its definition nor part of a longer name.
fn calls(sources: &[(String, String)], name: &str) -> Vec<Call> {
    let mut out = Vec::new();
    for (file, text) in sources {
        for (at, _) in text.match_indices(&format!("{name}(")) {
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') || text[..at].ends_with("fn ") {
                continue;
            }
            out.push(Call { file: file.clone(), args: arguments(text, at + name.len()) });
        }
    }
    out
}

/// The string literals of an argument; none for a `format!` (a key built at run time).
fn literals(arg: &str) -> Vec<String> {
    if arg.contains("format!") {
        return Vec::new();
    }
    arg.split('"').skip(1).step_by(2).map(str::to_string).collect()
}

fn every_reveal_field() -> Vec<&'static str> {
    let all = [RevealField::IdNumber, RevealField::Phone];
    // A new field fails to compile here until it is listed above.
    for f in all {
        match f {
            RevealField::IdNumber | RevealField::Phone => {}
        }
    }
    all.iter().map(|f| f.as_str()).collect()
}

/// Keys the store writes, each with where it is written.
type Sightings = BTreeSet<(String, String)>;

/// What the store writes into the log: (actions, kinds of record), each with where it is written.
fn written() -> (Sightings, Sightings) {
    let src = sources();
    let mut actions = BTreeSet::new();
    let mut entities = BTreeSet::new();
    let mut unknown = Vec::new();

    // Reveals: `log_reveal(actor, entity, id, field)` writes `reveal-<field>` on `entity`.
    let mut reveal_actions = Vec::new();
    let mut reveal_entities = Vec::new();
    for c in calls(&src, "log_reveal") {
        reveal_entities.extend(literals(&c.args[1]));
        match literals(&c.args[3]).as_slice() {
            [field] => reveal_actions.push(format!("reveal-{field}")),
            [] if c.args[3] == "field.as_str()" => {
                reveal_actions.extend(every_reveal_field().iter().map(|f| format!("reveal-{f}")))
            }
            _ => unknown.push(format!("{}: log_reveal field {}", c.file, c.args[3])),
        }
    }
    // Passwords: `replace_password(by, action, ...)`.
    let mut password_actions = Vec::new();
    for c in calls(&src, "replace_password") {
        match literals(&c.args[1]).as_slice() {
            [a] => password_actions.push(a.clone()),
            _ => unknown.push(format!("{}: replace_password action {}", c.file, c.args[1])),
        }
    }
    let steps: Vec<String> = cordon_domain::orders::OrderStep::ALL.iter().map(|s| s.key().to_string()).collect();
    // The writes whose action or record is a variable, and where its values come from.
    let dynamic = |file: &str, arg: &str| -> Option<Vec<String>> {
        match (file, arg) {
            ("orders/steps.rs", "event.key()") => Some(steps.clone()),
            ("units/mod.rs", "format!(\"reveal-{field}\")") => Some(reveal_actions.clone()),
            ("units/mod.rs", "entity") => Some(reveal_entities.clone()),
            ("accounts/mod.rs", "action") => Some(password_actions.clone()),
            ("residents/mod.rs", "ID_LOOKUP_ACTION") => Some(vec![crate::residents::ID_LOOKUP_ACTION.to_string()]),
            _ => None,
        }
    };
    let texts: std::collections::BTreeMap<&str, &str> = src.iter().map(|(f, t)| (f.as_str(), t.as_str())).collect();
    let mut take = |file: &str, arg: &str, into: &mut BTreeSet<(String, String)>| {
        let mut found = literals(arg);
        // A name bound in the same file to literals (`let action = if .. { "a" } else { "b" };`).
        if found.is_empty() && arg.chars().all(|c| c.is_alphanumeric() || c == '_') {
            let text = texts[file];
            for (at, _) in text.match_indices(&format!("let {arg} = ")) {
                let rest = &text[at..];
                found.extend(literals(&rest[..rest.find(';').unwrap_or(rest.len())]));
            }
        }
        let keys = if found.is_empty() { dynamic(file, arg) } else { Some(found) };
        match keys {
            Some(keys) => into.extend(keys.into_iter().map(|k| (k, file.to_string()))),
            None => unknown.push(format!("{file}: {arg}")),
        }
    };
    let entries = calls(&src, "NewEntry::new");
    assert!(entries.len() > 20, "the scan finds the store's audit writes ({} found)", entries.len());
    for c in &entries {
        assert!(c.args.len() >= 5, "{}: NewEntry::new with {} arguments", c.file, c.args.len());
        take(&c.file, &c.args[2], &mut actions);
        take(&c.file, &c.args[3], &mut entities);
    }

    // The bulk paths write rows of their own; no other file may.
    let raw: Vec<&String> = src.iter().filter(|(_, t)| t.contains("INSERT INTO audit_log")).map(|(f, _)| f).collect();
    let allowed = ["macros.rs", "imports/residents/sqlite.rs", "imports/residents/postgres.rs"];
    for f in &raw {
        assert!(allowed.contains(&f.as_str()), "{f} writes audit_log rows itself: read its keys in this test");
    }
    for (file, text) in src.iter().filter(|(f, _)| f == "imports/residents/sqlite.rs") {
        let writes = calls(&[(file.clone(), text.clone())], "audit");
        assert!(!writes.is_empty(), "the SQLite bulk path's audit writes are found");
        for c in writes {
            take(file, &c.args[4], &mut actions);
            take(file, &c.args[5], &mut entities);
        }
    }
    for (file, text) in src.iter().filter(|(f, _)| f == "imports/residents/postgres.rs") {
        for (at, _) in text.match_indices("INSERT INTO audit_log") {
            let rest = &text[at..];
            let rest = &rest[..rest.find(".execute(").unwrap_or(rest.len())];
            let binds: Vec<String> =
                rest.match_indices(".push_bind(\"").map(|(i, _)| literals(&rest[i..])[0].clone()).collect();
            assert_eq!(binds.len(), 2, "{file}: the bulk path binds its action and record as literals");
            actions.insert((binds[0].clone(), file.clone()));
            entities.insert((binds[1].clone(), file.clone()));
        }
    }
    assert!(unknown.is_empty(), "audit writes whose keys this test cannot read (list them in `dynamic`): {unknown:?}");
    (actions, entities)
}

#[test]
fn every_action_and_record_the_store_logs_is_listed_for_the_log_page() {
    let (actions, entities) = written();
    let missing: Vec<_> = actions.iter().filter(|(a, _)| !super::ACTIONS.contains(&a.as_str())).collect();
    assert!(missing.is_empty(), "actions written but not in audit::ACTIONS: {missing:?}");
    let missing: Vec<_> = entities.iter().filter(|(e, _)| !super::ENTITIES.contains(&e.as_str())).collect();
    assert!(missing.is_empty(), "records written but not in audit::ENTITIES: {missing:?}");
    // And the lists hold nothing that is never written (a renamed key leaves no stale word).
    let written: BTreeSet<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
    let stale: Vec<_> = super::ACTIONS.iter().filter(|a| !written.contains(*a)).collect();
    assert!(stale.is_empty(), "audit::ACTIONS never written: {stale:?}");
    let written: BTreeSet<&str> = entities.iter().map(|(e, _)| e.as_str()).collect();
    let stale: Vec<_> = super::ENTITIES.iter().filter(|e| !written.contains(*e)).collect();
    assert!(stale.is_empty(), "audit::ENTITIES never written: {stale:?}");
}

#[test]
fn the_scan_reads_literals_conditionals_and_nested_calls() {
    let text =
        r#"NewEntry::new(self.now(), &Actor::system(), if on { "enable" } else { "disable" }, "webhook", f(a, b))"#;
    let src = vec![("x.rs".to_string(), text.to_string())];
    let c = calls(&src, "NewEntry::new");
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].args.len(), 5, "{:?}", c[0].args);
    assert_eq!(literals(&c[0].args[2]), ["enable", "disable"]);
    assert_eq!(literals(&c[0].args[3]), ["webhook"]);
    assert!(literals(r#"format!("reveal-{field}")"#).is_empty(), "a built key is not a literal");
}

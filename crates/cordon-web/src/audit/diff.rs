//! A log entry's before/after as a person reads it: only the fields that
//! changed, as "field: old → new", in words (states, roles, scopes, kinds
//! translated), long values cut short, personal numbers masked as every list
//! masks them. A record without a before was created, one without an after
//! was deleted.

use cordon_domain::{IdNumber, Phone};
use serde_json::{Map, Value};

use crate::i18n::Tr;

use super::words::field_label;

/// The most characters a value shows; the log is for seeing what changed, the record's page has the rest.
const LONGEST: usize = 40;
/// The most lines an entry shows (an import's summary, a created record's fields).
const MOST_LINES: usize = 8;

/// What kind of change an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A record that did not exist before.
    Created,
    /// A record that no longer exists.
    Deleted,
    /// Fields that changed.
    Changed,
    /// What an entry that changes no record (a reveal, an export, a search) noted.
    Noted,
    /// Nothing to show.
    Empty,
}

/// An entry's change in words.
#[derive(Debug, Clone)]
pub struct Diff {
    /// What kind of change.
    pub kind: Kind,
    /// Its lines, "field: old → new" or (created, deleted, noted) "field: value".
    pub lines: Vec<String>,
}

/// The words of a diff, for one entry of the log.
pub struct Context<'a> {
    /// The language.
    pub tr: &'a Tr,
    /// The kind of record (some fields read by it: a place's kind, a liaison's role).
    pub entity: &'a str,
    /// A unit as this language names it.
    pub unit: &'a dyn Fn(&str) -> String,
}

/// Actions that bring a record into being when they write no before.
const CREATING: &[&str] = &["create", "issue", "reverse", "import", "build"];

/// The change of an entry with these before/after texts and action.
pub fn diff(cx: &Context<'_>, action: &str, before: Option<&str>, after: Option<&str>) -> Diff {
    let before = before.map(object);
    let after = after.map(object);
    let (kind, lines) = match (before, after) {
        (None, None) => (Kind::Empty, Vec::new()),
        (None, Some(a)) => {
            let kind = if CREATING.contains(&action) { Kind::Created } else { Kind::Noted };
            (kind, fields(cx, &a))
        }
        (Some(b), None) => (Kind::Deleted, fields(cx, &b)),
        (Some(b), Some(a)) => (Kind::Changed, changes(cx, &b, &a)),
    };
    let mut lines = lines;
    if lines.len() > MOST_LINES {
        lines.truncate(MOST_LINES);
        lines.push("…".into());
    }
    let kind = if lines.is_empty() && kind != Kind::Changed { Kind::Empty } else { kind };
    Diff { kind, lines }
}

/// A side as an object of fields; a side that is not one (an old or odd row) is one field, `value`.
fn object(text: &str) -> Map<String, Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => m,
        Ok(Value::Null) => Map::new(),
        Ok(v) => Map::from_iter([("value".to_string(), v)]),
        Err(_) => Map::from_iter([("value".to_string(), Value::String(text.to_string()))]),
    }
}

fn fields(cx: &Context<'_>, side: &Map<String, Value>) -> Vec<String> {
    side.iter()
        .filter(|(_, v)| !v.is_null() && v.as_str() != Some(""))
        .map(|(k, v)| format!("{}: {}", field_label(cx.tr, cx.entity, k), value(cx, k, v)))
        .collect()
}

fn changes(cx: &Context<'_>, before: &Map<String, Value>, after: &Map<String, Value>) -> Vec<String> {
    let mut keys: Vec<&String> = before.keys().collect();
    keys.extend(after.keys().filter(|k| !before.contains_key(*k)));
    let null = Value::Null;
    keys.into_iter()
        .filter_map(|k| {
            let (b, a) = (before.get(k).unwrap_or(&null), after.get(k).unwrap_or(&null));
            (b != a).then(|| format!("{}: {} → {}", field_label(cx.tr, cx.entity, k), value(cx, k, b), value(cx, k, a)))
        })
        .collect()
}

/// A value in words, cut short.
fn value(cx: &Context<'_>, field: &str, v: &Value) -> String {
    short(&worded(cx, field, v))
}

fn worded(cx: &Context<'_>, field: &str, v: &Value) -> String {
    let tr = cx.tr;
    match v {
        // No control status yet reads as such; any other missing value as a dash.
        Value::Null if field == "status" && cx.entity == "control" => tr.t("control-none"),
        Value::Null => "—".into(),
        Value::Bool(b) => tr.t(if *b { "yes" } else { "no" }),
        Value::Number(n) => n.to_string(),
        Value::String(s) => text(cx, field, s),
        Value::Array(items) => {
            let shown: Vec<String> = items.iter().map(|i| worded(cx, field, i)).collect();
            shown.join(", ")
        }
        Value::Object(m) => m.iter().map(|(k, v)| format!("{k} {}", worded(cx, k, v))).collect::<Vec<_>>().join("; "),
    }
}

/// A text value: personal numbers masked whatever their field (the log is no
/// second copy of them), keys of the domain in words.
fn text(cx: &Context<'_>, field: &str, s: &str) -> String {
    let tr = cx.tr;
    if let Ok(id) = IdNumber::parse(s) {
        return id.masked();
    }
    if let Ok(p) = Phone::parse(s) {
        return p.masked();
    }
    let keyed = |prefix: &str| {
        let key = format!("{prefix}-{s}");
        if tr.has(&key) { tr.t(&key) } else { s.to_string() }
    };
    match (cx.entity, field) {
        ("order", "state") => keyed("order-state"),
        (_, "status") => keyed("control"),
        ("liaison", "role") => keyed("squad-role"),
        (_, "role") => keyed("role"),
        (_, "sex") => keyed("sex"),
        ("import", "kind") => keyed("import-kind"),
        (_, "kind") => keyed("kind"),
        (_, "scope") => crate::views::scope_shown(tr, s),
        (_, "unit") => (cx.unit)(s),
        (_, "tags") => s
            .split(';')
            .filter(|t| !t.is_empty())
            .map(|t| {
                let key = format!("tag-{t}");
                if tr.has(&key) { tr.t(&key) } else { t.to_string() }
            })
            .collect::<Vec<_>>()
            .join("、"),
        (_, "sha256") => s.chars().take(12).collect(),
        _ => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(at) => tr.zone.local(at.to_utc()).format("%Y-%m-%d %H:%M").to_string(),
            Err(_) => s.to_string(),
        },
    }
}

fn short(s: &str) -> String {
    if s.chars().count() <= LONGEST {
        s.to_string()
    } else {
        let mut cut: String = s.chars().take(LONGEST - 1).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn zh() -> Tr {
        Tr { lang: Lang::Zh, ..Tr::default() }
    }

    fn run(entity: &str, action: &str, before: Option<&str>, after: Option<&str>) -> Diff {
        let tr = zh();
        let unit = |n: &str| n.to_string();
        diff(&Context { tr: &tr, entity, unit: &unit }, action, before, after)
    }

    #[test]
    fn only_the_changed_fields_show_as_old_to_new_in_words() {
        let d = run(
            "order",
            "acknowledge",
            Some(r#"{"state":"issued"}"#),
            Some(r#"{"state":"acknowledged","reason":null}"#),
        );
        assert_eq!(d.kind, Kind::Changed);
        assert_eq!(d.lines, ["状态: 已下达 → 已收到"]);
        let d = run(
            "control",
            "set",
            Some(r#"{"status":null}"#),
            Some(r#"{"status":"sealed","reason":"阳性","change":3}"#),
        );
        assert_eq!(d.lines[0], "管控状态: 未设定 → 封控区", "{:?}", d.lines);
        assert!(d.lines.contains(&"原因: — → 阳性".to_string()), "{:?}", d.lines);
    }

    #[test]
    fn personal_numbers_are_masked_and_long_values_cut() {
        let id = cordon_store::test_support::id_number(11);
        let after = serde_json::json!({"id_number": id, "phone": "13800000011", "name": "长".repeat(60)}).to_string();
        let d = run("resident", "create", None, Some(&after));
        assert_eq!(d.kind, Kind::Created);
        let all = d.lines.join("\n");
        assert!(!all.contains(&id) && !all.contains(&id[..14]) && !all.contains("13800000011"), "{all}");
        assert!(all.contains(&id[14..]), "the last four stay: {all}");
        assert!(all.contains('…') && !all.contains(&"长".repeat(41)), "{all}");
    }

    #[test]
    fn a_deleted_record_lists_what_it_was_and_odd_rows_never_fail() {
        let d = run("webhook", "delete", Some(r#"{"name":"a","enabled":true}"#), None);
        assert_eq!(d.kind, Kind::Deleted);
        assert!(d.lines.contains(&"启用: 是".to_string()), "{:?}", d.lines);
        assert_eq!(run("x", "y", Some("not json {"), Some("[1,2]")).lines, ["内容: not json { → 1, 2"]);
        assert_eq!(run("resident", "reveal-phone", None, None).kind, Kind::Empty);
        assert_eq!(
            run("user", "create", None, Some(r#"{"scope":"city","role":"command"}"#)).lines,
            ["角色: 指挥部", "范围: 全市"]
        );
    }
}

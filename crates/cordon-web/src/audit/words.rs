//! The log's keys in words: each action, kind of record, field and non-person
//! actor that the store writes has its text in the locales; a key without one
//! (a newer store, an old row) reads as its own words, never blank, never a panic.

use cordon_store::audit::AuditEntry;

use crate::i18n::Tr;

/// The text of `key` when the locales have it.
fn known(tr: &Tr, key: &str) -> Option<String> {
    tr.has(key).then(|| tr.t(key))
}

/// A key as words, for one that has no text: `stand-down` → `stand down`.
pub fn readable(tr: &Tr, key: &str) -> String {
    let words = key.split(['-', '_', '.', ':']).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    if words.is_empty() { tr.t("audit-unknown") } else { words }
}

/// What was done, as people say it: the kind of record may word it its own way
/// (an order is 下达, a kit 发放), else the action's own text.
pub fn action_label(tr: &Tr, entity: &str, action: &str) -> String {
    known(tr, &format!("audit-action-{entity}-{action}"))
        .or_else(|| known(tr, &format!("audit-action-{action}")))
        .unwrap_or_else(|| readable(tr, action))
}

/// The kind of record.
pub fn entity_label(tr: &Tr, entity: &str) -> String {
    known(tr, &format!("audit-entity-{entity}")).unwrap_or_else(|| readable(tr, entity))
}

/// The page of a record named in the log, for the kinds whose id is that
/// page's id; the others (a kit entry, a token, an import) have none.
pub fn record_page(entity: &str, id: &str) -> Option<String> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let path = match entity {
        "place" | "control" => "places",
        "resident" => "residents",
        "unit" => "units",
        "cadre" => "cadres",
        "order" => "orders",
        "roster" => return Some(format!("/squads/{id}/roster")),
        _ => return None,
    };
    Some(format!("/{path}/{id}"))
}

/// Who did it: a person by the name they sign in with; the system (the command
/// line, imports run from it, the first start) by its word.
pub fn actor_shown(tr: &Tr, e: &AuditEntry) -> String {
    if e.user_id.is_none() { tr.t("audit-actor-system") } else { e.actor.clone() }
}

/// The name a filter is written with: the system's word, in any language, stands for `system`.
pub fn actor_written(typed: &str) -> String {
    use crate::i18n::Lang;
    let t = typed.trim();
    let system =
        Lang::ALL.iter().any(|l| Tr { lang: *l, ..Tr::default() }.t("audit-actor-system").eq_ignore_ascii_case(t));
    if system { cordon_domain::Actor::system().username } else { t.to_string() }
}

/// A field of a record's before/after: the column's own label where a page
/// already has one (name, phone, ID number...), else the log's, else its words.
pub fn field_label(tr: &Tr, entity: &str, field: &str) -> String {
    let column = match (entity, field) {
        ("import", "kind") => Some("import-kind"),
        (_, "kind") => Some("col-kind"),
        (_, "name") => Some("col-name"),
        (_, "phone") => Some("col-phone"),
        (_, "id_number") => Some("col-id-number"),
        (_, "tags") => Some("col-tags"),
        (_, "position") => Some("col-position"),
        (_, "party_member") => Some("col-party"),
        (_, "sex") => Some("col-sex"),
        (_, "state") => Some("col-state"),
        (_, "reason") => Some("col-reason"),
        (_, "people") => Some("col-people"),
        (_, "compounds") => Some("col-compounds"),
        (_, "unit") => Some("col-unit"),
        (_, "name_en") => Some("col-name-en"),
        (_, "note") => Some("col-note"),
        (_, "deadline") => Some("col-deadline"),
        (_, "status") => Some("control-title"),
        _ => None,
    };
    column
        .and_then(|k| known(tr, k))
        .or_else(|| known(tr, &format!("audit-field-{}", field.replace('_', "-"))))
        .unwrap_or_else(|| readable(tr, field))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn trs() -> [Tr; 2] {
        [Tr { lang: Lang::Zh, ..Tr::default() }, Tr { lang: Lang::En, ..Tr::default() }]
    }

    #[test]
    fn every_action_and_record_the_store_writes_has_its_words_in_chinese_and_english() {
        for tr in trs() {
            for a in cordon_store::audit::ACTIONS {
                assert!(tr.has(&format!("audit-action-{a}")), "{:?}: audit-action-{a}", tr.lang);
            }
            for e in cordon_store::audit::ENTITIES {
                assert!(tr.has(&format!("audit-entity-{e}")), "{:?}: audit-entity-{e}", tr.lang);
            }
        }
        let en = trs()[1];
        assert_eq!(action_label(&en, "order", "stand-down"), "Stood down");
        assert_eq!(action_label(&en, "kit", "issue"), "Handed out");
        assert_eq!(action_label(&en, "order", "issue"), "Issued");
        assert_eq!(entity_label(&trs()[0], "resident"), "居民");
    }

    #[test]
    fn an_unknown_key_reads_as_its_words_and_never_blank() {
        let [zh, en] = trs();
        assert_eq!(action_label(&en, "order", "re-open_later"), "re open later");
        assert_eq!(entity_label(&zh, "gizmo"), "gizmo");
        assert_eq!(field_label(&en, "x", "sessions_ended"), "Sessions ended");
        assert_eq!(field_label(&en, "x", "brand_new"), "brand new");
        for tr in [zh, en] {
            for odd in ["", "-", "_.:"] {
                let shown = action_label(&tr, "", odd);
                assert!(!shown.trim().is_empty(), "{odd:?} reads as {shown:?}");
                assert!(!entity_label(&tr, odd).trim().is_empty());
                assert!(!field_label(&tr, "", odd).trim().is_empty());
            }
        }
    }

    #[test]
    fn the_system_is_a_word_in_each_language_and_its_word_filters_for_it() {
        assert_eq!(trs()[0].t("audit-actor-system"), "系统");
        assert_eq!(trs()[1].t("audit-actor-system"), "System");
        assert_eq!(actor_written(" 系统 "), "system");
        assert_eq!(actor_written("SYSTEM"), "system");
        assert_eq!(actor_written("cmd"), "cmd");
    }
}

//! Kits (防疫战斗包): a template of items per person, handed to each squad
//! member before posting and kept in a ledger that is corrected by reversing
//! entries, never by editing them.

use std::ops::RangeInclusive;

use crate::Actor;

/// How many of an item one entry may hand out, or a template may give each person.
pub const QUANTITY: RangeInclusive<i64> = 1..=10_000;

/// Who may record kits handed out (and correct them): whoever may manage the squad.
pub fn may_issue(actor: &Actor) -> bool {
    crate::squads::may_manage(actor)
}

/// Who may change the kit template: the command and the organisation department.
pub fn may_edit_template(actor: &Actor) -> bool {
    actor.can(crate::Capability::IssueOrders)
}

/// What one member is still owed of one item: what each person gets minus what
/// the ledger already gives them net of corrections, never below zero (a
/// member handed too many owes nothing back here; a correction does that).
pub fn owed(per_person: i64, given: i64) -> i64 {
    (per_person - given).max(0)
}

/// The entries that hand a member the rest of the kit in one go ("发放全套"):
/// for each template item `(item id, per person)`, the quantity still owed by
/// `given(item id)`; items owed nothing are left out, so a member who has the
/// whole kit is handed nothing.
pub fn rest_of_kit(template: &[(i64, i64)], given: impl Fn(i64) -> i64) -> Vec<(i64, i64)> {
    template
        .iter()
        .map(|&(item, per_person)| (item, owed(per_person, given(item))))
        .filter(|&(_, quantity)| quantity > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_owes_what_the_template_gives_minus_what_was_handed_never_below_zero() {
        assert_eq!(owed(10, 0), 10);
        assert_eq!(owed(10, 4), 6);
        assert_eq!(owed(10, 10), 0);
        assert_eq!(owed(10, 12), 0);
        assert_eq!(owed(10, -2), 12, "a correction beyond the handed quantity owes more, not less");
    }

    #[test]
    fn the_rest_of_the_kit_is_each_item_still_owed_and_nothing_for_a_complete_kit() {
        let template = [(1, 10), (2, 2), (3, 1)];
        let given = |item| match item {
            1 => 4,
            2 => 2,
            _ => 0,
        };
        assert_eq!(rest_of_kit(&template, given), vec![(1, 6), (3, 1)]);
        assert!(rest_of_kit(&template, |item| if item == 1 { 10 } else { 5 }).is_empty());
        assert!(rest_of_kit(&[], |_| 0).is_empty());
    }
}

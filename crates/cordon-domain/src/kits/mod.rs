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

//! The roster of an assembly (集结完毕): in what order the picker offers a
//! unit's cadres, and who may be the squad's leader and branch secretary. The
//! picker and the store's check inside the assembly's transaction both use
//! these, so a page can never offer what the store refuses.

use crate::squads::{SquadError, SquadRole, check_roles};
use crate::units::Availability;

/// Where a cadre stands for a new roster, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Standing {
    /// Not posted with any squad: can go at once.
    Free,
    /// Posted with another squad (on another order): can be moved, once the
    /// coordinator confirms, which leaves the other squad short.
    PostedElsewhere,
    /// On leave, ill or otherwise not to be drawn: cannot be picked at all.
    Unavailable,
}

impl Standing {
    /// A cadre's standing from the stored availability and whether an active
    /// posting holds them (an availability left at `posted` counts as posted).
    pub fn of(availability: Option<Availability>, posted_with_squad: bool) -> Standing {
        match availability {
            Some(Availability::Unavailable) => Standing::Unavailable,
            _ if posted_with_squad => Standing::PostedElsewhere,
            Some(Availability::Posted) => Standing::PostedElsewhere,
            _ => Standing::Free,
        }
    }

    /// Whether the picker offers the cadre at all (the store refuses the others).
    pub fn can_be_picked(self) -> bool {
        self != Standing::Unavailable
    }
}

/// The key the picker sorts candidates by: free before posted elsewhere
/// before unavailable; within each, trained before untrained, then formal
/// party members (a squad needs 3 for its branch), then the unit's own order.
pub fn pick_order(standing: Standing, trained: bool, party_member: bool, id: i64) -> (Standing, bool, bool, i64) {
    (standing, !trained, !party_member, id)
}

/// Why the roles named with a roster are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    /// The leader named is not among the people ticked.
    #[error("the leader is not on the roster")]
    LeaderNotChosen,
    /// The secretary named is not among the people ticked.
    #[error("the branch secretary is not on the roster")]
    SecretaryNotChosen,
    /// The secretary of a temporary party branch is a formal party member.
    #[error("the branch secretary is not a party member")]
    SecretaryNotPartyMember,
    /// One cadre named for two roles (leader and secretary): each person of
    /// a squad holds one role, so the second would be dropped unsaid.
    #[error("one person named for two roles")]
    TwoRoles,
    /// Not one leader, or more than one secretary.
    #[error(transparent)]
    Squad(#[from] SquadError),
}

impl From<RosterError> for crate::Refusal {
    fn from(e: RosterError) -> crate::Refusal {
        use crate::Key;
        match e {
            RosterError::LeaderNotChosen => Key::OrderLeaderNotChosen.into(),
            RosterError::SecretaryNotChosen => Key::OrderSecretaryNotChosen.into(),
            RosterError::SecretaryNotPartyMember => Key::OrderSecretaryNotParty.into(),
            RosterError::TwoRoles => Key::OrderTwoRoles.into(),
            RosterError::Squad(e) => e.into(),
        }
    }
}

/// The role of each cadre of the roster, in roster order: the leader and the
/// secretary are chosen among the chosen, exactly one leader, at most one
/// secretary (`squads::check_roles`); everyone else is a member.
pub fn roles_on_roster(roster: &[i64], roles: &[(i64, SquadRole)]) -> Result<Vec<SquadRole>, RosterError> {
    for (i, (cadre, role)) in roles.iter().enumerate() {
        if roles[..i].iter().any(|(c, r)| c == cadre && r != role) {
            return Err(RosterError::TwoRoles);
        }
        if !roster.contains(cadre) {
            return Err(match role {
                SquadRole::Leader => RosterError::LeaderNotChosen,
                SquadRole::Secretary => RosterError::SecretaryNotChosen,
                // A plain member named apart from the roster changes nothing.
                SquadRole::Member => continue,
            });
        }
    }
    let of = |c: &i64| roles.iter().find(|(id, _)| id == c).map(|(_, r)| *r).unwrap_or(SquadRole::Member);
    let out: Vec<SquadRole> = roster.iter().map(of).collect();
    check_roles(&out)?;
    Ok(out)
}

/// Whether a cadre may be the squad's temporary party branch secretary: the
/// secretary of a party branch is a formal party member.
pub fn may_be_secretary(party_member: bool) -> Result<(), RosterError> {
    if party_member { Ok(()) } else { Err(RosterError::SecretaryNotPartyMember) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SquadRole::*;

    #[test]
    fn free_trained_party_members_come_first_and_unavailable_cadres_last() {
        let mut people = [
            (1, Standing::Unavailable, true, true),
            (2, Standing::Free, false, true),
            (3, Standing::PostedElsewhere, true, true),
            (4, Standing::Free, true, false),
            (5, Standing::Free, true, true),
        ];
        people.sort_by_key(|(id, st, trained, party)| pick_order(*st, *trained, *party, *id));
        assert_eq!(people.iter().map(|p| p.0).collect::<Vec<_>>(), vec![5, 4, 2, 3, 1]);
    }

    #[test]
    fn a_cadre_posted_with_a_squad_stands_posted_and_an_unavailable_one_cannot_be_picked() {
        assert_eq!(Standing::of(Some(Availability::Available), false), Standing::Free);
        assert_eq!(Standing::of(Some(Availability::Available), true), Standing::PostedElsewhere);
        assert_eq!(Standing::of(Some(Availability::Posted), false), Standing::PostedElsewhere);
        assert_eq!(Standing::of(Some(Availability::Unavailable), true), Standing::Unavailable);
        assert!(!Standing::Unavailable.can_be_picked());
        assert!(Standing::PostedElsewhere.can_be_picked());
    }

    #[test]
    fn the_leader_and_the_secretary_are_chosen_among_the_chosen() {
        let roster = [1, 2, 3];
        assert_eq!(roles_on_roster(&roster, &[(1, Leader), (2, Secretary)]), Ok(vec![Leader, Secretary, Member]));
        assert_eq!(roles_on_roster(&roster, &[(9, Leader)]), Err(RosterError::LeaderNotChosen));
        assert_eq!(roles_on_roster(&roster, &[(1, Leader), (9, Secretary)]), Err(RosterError::SecretaryNotChosen));
        assert_eq!(roles_on_roster(&roster, &[]), Err(RosterError::Squad(SquadError::Leader)));
        assert!(may_be_secretary(true).is_ok());
        assert_eq!(may_be_secretary(false), Err(RosterError::SecretaryNotPartyMember));
    }

    #[test]
    fn one_person_named_leader_and_secretary_is_refused_not_made_leader_only() {
        assert_eq!(roles_on_roster(&[1, 2, 3], &[(1, Leader), (1, Secretary)]), Err(RosterError::TwoRoles));
        assert_eq!(roles_on_roster(&[1, 2, 3], &[(1, Leader), (1, Leader)]), Ok(vec![Leader, Member, Member]));
    }
}

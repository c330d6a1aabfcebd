//! Squads (包保小分队): cadres of one unit posted to compounds, with a leader,
//! a temporary party branch secretary and members.

use serde::{Deserialize, Serialize};

use crate::{Actor, Capability};

/// Who may manage a squad they can see (its liaisons, its kits): the unit
/// that answers for it and the command that posted it.
pub fn may_manage(actor: &Actor) -> bool {
    actor.can(Capability::AnswerOrders) || actor.can(Capability::IssueOrders)
}

/// A member's role in the squad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SquadRole {
    /// 队长: listed first everywhere.
    Leader,
    /// 临时党支部书记.
    Secretary,
    /// 队员.
    Member,
}

impl SquadRole {
    /// Every role, in the order boards list them.
    pub const ALL: [SquadRole; 3] = [SquadRole::Leader, SquadRole::Secretary, SquadRole::Member];

    /// The stored key.
    pub fn as_str(self) -> &'static str {
        match self {
            SquadRole::Leader => "leader",
            SquadRole::Secretary => "secretary",
            SquadRole::Member => "member",
        }
    }

    /// Reads the stored key back.
    pub fn parse(s: &str) -> Option<SquadRole> {
        SquadRole::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A temporary party branch needs at least this many formal party members.
pub const BRANCH_MIN_PARTY_MEMBERS: usize = 3;

/// Whether a squad with these members' party membership can form its own temporary branch.
pub fn can_form_branch(party_members: impl IntoIterator<Item = bool>) -> bool {
    party_members.into_iter().filter(|p| *p).count() >= BRANCH_MIN_PARTY_MEMBERS
}

/// Why a squad's make-up is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SquadError {
    /// More than one leader, or none.
    #[error("a squad has exactly one leader")]
    Leader,
    /// More than one branch secretary.
    #[error("a squad has at most one branch secretary")]
    Secretary,
}

impl From<SquadError> for crate::Refusal {
    fn from(e: SquadError) -> crate::Refusal {
        match e {
            SquadError::Leader => crate::Key::SquadOneLeader,
            SquadError::Secretary => crate::Key::SquadOneSecretary,
        }
        .into()
    }
}

/// Checks the roles of a squad's members: one leader, at most one secretary.
pub fn check_roles(roles: &[SquadRole]) -> Result<(), SquadError> {
    if roles.iter().filter(|r| **r == SquadRole::Leader).count() != 1 {
        return Err(SquadError::Leader);
    }
    if roles.iter().filter(|r| **r == SquadRole::Secretary).count() > 1 {
        return Err(SquadError::Secretary);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_branch_needs_three_party_members() {
        assert!(!can_form_branch([true, true, false, false]));
        assert!(can_form_branch([true, true, true]));
        assert!(!can_form_branch([]));
    }

    #[test]
    fn a_squad_has_one_leader_and_at_most_one_secretary() {
        use SquadRole::*;
        assert_eq!(check_roles(&[Leader, Secretary, Member]), Ok(()));
        assert_eq!(check_roles(&[Member, Member]), Err(SquadError::Leader));
        assert_eq!(check_roles(&[Leader, Leader]), Err(SquadError::Leader));
        assert_eq!(check_roles(&[Leader, Secretary, Secretary]), Err(SquadError::Secretary));
    }
}

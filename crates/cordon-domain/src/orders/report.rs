//! Who reports a squad on site (报到). It is the squad's own tap at the gate:
//! its leader or its temporary party branch secretary, known by the cadre
//! their account belongs to. The unit's coordinator or the command may still
//! report for a squad that cannot (a flat phone, no signal), and the order's
//! history says so; any other member of the squad, or a leader of another
//! squad, may not.

use crate::squads::SquadRole;
use crate::{Actor, Capability, Role};

/// How an actor who may report stands to the squad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reporter {
    /// The squad's leader or secretary: their own report.
    Squad,
    /// A desk of the unit or the command reporting for the squad: recorded as on its behalf.
    OnBehalf,
}

/// Whether the actor answers orders from a desk (the unit's coordinator, the
/// command), not from a squad in the field.
pub(crate) fn at_a_desk(actor: &Actor) -> bool {
    actor.can(Capability::AnswerOrders) && !matches!(actor.role, Role::SquadLeader | Role::SquadMember)
}

/// How the actor may report the squad on site, given the role in that squad
/// of the cadre the account belongs to (`None`: not in it, or no cadre); `None`
/// when they may not.
pub fn reporter(actor: &Actor, own: Option<SquadRole>) -> Option<Reporter> {
    match own {
        Some(SquadRole::Leader | SquadRole::Secretary) => Some(Reporter::Squad),
        _ if at_a_desk(actor) => Some(Reporter::OnBehalf),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_role(role: Role) -> Actor {
        Actor { role, cadre_id: Some(7), ..Actor::system() }
    }

    #[test]
    fn the_leader_and_the_secretary_report_a_coordinator_reports_for_them_a_member_does_not() {
        let leader = as_role(Role::SquadLeader);
        assert_eq!(reporter(&leader, Some(SquadRole::Leader)), Some(Reporter::Squad));
        // A secretary may have a member's account: the cadre decides, not the account's role.
        assert_eq!(reporter(&as_role(Role::SquadMember), Some(SquadRole::Secretary)), Some(Reporter::Squad));
        assert_eq!(reporter(&as_role(Role::SquadMember), Some(SquadRole::Member)), None);
        assert_eq!(reporter(&leader, Some(SquadRole::Member)), None, "a leader's account for a plain member");
        assert_eq!(reporter(&leader, None), None, "the leader of another squad");
        assert_eq!(reporter(&as_role(Role::Unit), None), Some(Reporter::OnBehalf));
        assert_eq!(reporter(&Actor::system(), None), Some(Reporter::OnBehalf));
        assert_eq!(reporter(&as_role(Role::Organisation), None), None, "the organisation issues, never reports");
        assert_eq!(reporter(&as_role(Role::Community), None), None);
    }
}

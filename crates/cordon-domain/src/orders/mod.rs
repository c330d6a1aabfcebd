//! Mobilisation orders (调度令): the command asks a unit for N people at one or
//! more compounds by a deadline; the unit acknowledges (收到), assembles a named
//! roster (集结完毕), reports on site (报到), and is later stood down. An order
//! can be declined with a reason, or cancelled by the command. The roster's
//! rules are in `roster`, who reports on site in `report`.

pub mod report;
pub mod roster;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::squads::SquadRole;
use crate::{Actor, Capability};

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrderState {
    /// Sent to the unit, not yet seen.
    Issued,
    /// 收到: the unit has seen it.
    Acknowledged,
    /// 集结完毕: the roster is named and gathered.
    Assembled,
    /// 报到: the squad has reported at the compound.
    OnSite,
    /// The posting is over.
    StoodDown,
    /// The unit cannot send people; a reason is kept.
    Declined,
    /// The command withdrew it; a reason is kept.
    Cancelled,
}

/// Something that happens to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderEvent {
    /// The unit saw the order.
    Acknowledge,
    /// The unit names who goes; the ids are its cadres.
    Assemble {
        /// The cadres of the roster.
        roster: Vec<i64>,
    },
    /// The squad is at the gate.
    ReportOnSite,
    /// The posting ends.
    StandDown,
    /// The unit cannot comply.
    Decline {
        /// Why.
        reason: String,
    },
    /// The command withdraws the order.
    Cancel {
        /// Why.
        reason: String,
    },
}

/// A kind of step, without its data: what a button on the order's page does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStep {
    /// 收到.
    Acknowledge,
    /// 集结完毕.
    Assemble,
    /// 报到.
    ReportOnSite,
    /// The posting ends.
    StandDown,
    /// The unit cannot comply.
    Decline,
    /// The command withdraws the order.
    Cancel,
}

impl OrderStep {
    /// Every step, in the order buttons show them.
    pub const ALL: [OrderStep; 6] = [
        OrderStep::Acknowledge,
        OrderStep::Assemble,
        OrderStep::ReportOnSite,
        OrderStep::StandDown,
        OrderStep::Decline,
        OrderStep::Cancel,
    ];

    /// The stable key of the step, for logs, forms and the API.
    pub fn key(self) -> &'static str {
        match self {
            OrderStep::Acknowledge => "acknowledge",
            OrderStep::Assemble => "assemble",
            OrderStep::ReportOnSite => "report",
            OrderStep::StandDown => "stand-down",
            OrderStep::Decline => "decline",
            OrderStep::Cancel => "cancel",
        }
    }

    /// Reads the key back.
    pub fn parse(s: &str) -> Option<OrderStep> {
        OrderStep::ALL.into_iter().find(|e| e.key() == s)
    }

    /// Whether the step needs a reason typed with it.
    pub fn needs_reason(self) -> bool {
        matches!(self, OrderStep::Decline | OrderStep::Cancel)
    }

    /// Whether this actor may take the step (the scope of the order is the
    /// store's), given the role in the order's squad of the cadre the account
    /// belongs to: the unit's coordinator answers; the squad's leader or
    /// secretary reports on site, or a desk for them (`report::reporter`); the
    /// command issues, cancels and stands down.
    pub fn may_take(self, actor: &Actor, own: Option<SquadRole>) -> bool {
        match self {
            OrderStep::Acknowledge | OrderStep::Assemble | OrderStep::Decline => report::at_a_desk(actor),
            OrderStep::ReportOnSite => report::reporter(actor, own).is_some(),
            OrderStep::StandDown | OrderStep::Cancel => actor.can(Capability::IssueOrders),
        }
    }

    /// The event of this step with its data (the roster of an assembly, the
    /// reason of a decline or cancellation; each step takes what it needs).
    pub fn event(self, roster: Vec<i64>, reason: String) -> OrderEvent {
        match self {
            OrderStep::Acknowledge => OrderEvent::Acknowledge,
            OrderStep::Assemble => OrderEvent::Assemble { roster },
            OrderStep::ReportOnSite => OrderEvent::ReportOnSite,
            OrderStep::StandDown => OrderEvent::StandDown,
            OrderStep::Decline => OrderEvent::Decline { reason },
            OrderStep::Cancel => OrderEvent::Cancel { reason },
        }
    }

    /// An event of this step with placeholder data, to ask the state machine
    /// whether the step can follow a state.
    fn probe(self) -> OrderEvent {
        self.event(vec![1], "-".into())
    }
}

/// Who may issue orders: the command and the organisation department.
pub fn may_issue(actor: &Actor) -> bool {
    actor.can(Capability::IssueOrders)
}

impl OrderEvent {
    /// The kind of step this event is.
    pub fn step(&self) -> OrderStep {
        match self {
            OrderEvent::Acknowledge => OrderStep::Acknowledge,
            OrderEvent::Assemble { .. } => OrderStep::Assemble,
            OrderEvent::ReportOnSite => OrderStep::ReportOnSite,
            OrderEvent::StandDown => OrderStep::StandDown,
            OrderEvent::Decline { .. } => OrderStep::Decline,
            OrderEvent::Cancel { .. } => OrderStep::Cancel,
        }
    }

    /// The stable key of the event, for logs and URLs.
    pub fn key(&self) -> &'static str {
        self.step().key()
    }
}

/// Why an event cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// The event does not follow from the state (e.g. reporting on site before assembling).
    #[error("an order that is {from} cannot take the step {event}")]
    NotAllowed {
        /// The current state's key.
        from: &'static str,
        /// The event's key.
        event: &'static str,
    },
    /// Assembling needs at least one person.
    #[error("the roster is empty")]
    EmptyRoster,
    /// The same cadre appears twice on the roster.
    #[error("a cadre appears twice on the roster")]
    DuplicateOnRoster,
    /// Declining and cancelling need a reason.
    #[error("a reason is required")]
    ReasonRequired,
}

impl From<OrderError> for crate::Refusal {
    fn from(e: OrderError) -> crate::Refusal {
        use crate::Key;
        match e {
            OrderError::NotAllowed { .. } => Key::OrderStepNotAllowed,
            OrderError::EmptyRoster => Key::OrderEmptyRoster,
            OrderError::DuplicateOnRoster => Key::OrderDuplicateOnRoster,
            OrderError::ReasonRequired => Key::OrderReasonRequired,
        }
        .into()
    }
}

impl OrderState {
    /// Every state.
    pub const ALL: [OrderState; 7] = [
        OrderState::Issued,
        OrderState::Acknowledged,
        OrderState::Assembled,
        OrderState::OnSite,
        OrderState::StoodDown,
        OrderState::Declined,
        OrderState::Cancelled,
    ];

    /// The stored key (the database CHECKs it).
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Issued => "issued",
            OrderState::Acknowledged => "acknowledged",
            OrderState::Assembled => "assembled",
            OrderState::OnSite => "on-site",
            OrderState::StoodDown => "stood-down",
            OrderState::Declined => "declined",
            OrderState::Cancelled => "cancelled",
        }
    }

    /// Reads the stored key back.
    pub fn parse(s: &str) -> Option<OrderState> {
        OrderState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the order is still in flight (not ended one way or another).
    pub fn in_flight(self) -> bool {
        matches!(self, OrderState::Issued | OrderState::Acknowledged | OrderState::Assembled | OrderState::OnSite)
    }

    /// The next state after an event, or why the event does not apply.
    pub fn apply(self, event: &OrderEvent) -> Result<OrderState, OrderError> {
        use OrderState::*;
        let next = match (self, event) {
            (Issued, OrderEvent::Acknowledge) => Acknowledged,
            (Acknowledged, OrderEvent::Assemble { roster }) => {
                if roster.is_empty() {
                    return Err(OrderError::EmptyRoster);
                }
                let mut sorted = roster.clone();
                sorted.sort_unstable();
                if sorted.windows(2).any(|w| w[0] == w[1]) {
                    return Err(OrderError::DuplicateOnRoster);
                }
                Assembled
            }
            (Assembled, OrderEvent::ReportOnSite) => OnSite,
            (OnSite, OrderEvent::StandDown) => StoodDown,
            (Issued | Acknowledged, OrderEvent::Decline { reason })
            | (Issued | Acknowledged | Assembled | OnSite, OrderEvent::Cancel { reason }) => {
                if reason.trim().is_empty() {
                    return Err(OrderError::ReasonRequired);
                }
                if matches!(event, OrderEvent::Decline { .. }) { Declined } else { Cancelled }
            }
            (from, event) => return Err(OrderError::NotAllowed { from: from.as_str(), event: event.key() }),
        };
        Ok(next)
    }

    /// The steps that can follow this state, by the rules of `apply`.
    pub fn next_steps(self) -> Vec<OrderStep> {
        OrderStep::ALL.into_iter().filter(|s| self.apply(&s.probe()).is_ok()).collect()
    }

    /// The steps this actor may take now: those that follow the state and
    /// that `may_take` allows them, with their cadre's role in the squad.
    pub fn steps_for(self, actor: &Actor, own: Option<SquadRole>) -> Vec<OrderStep> {
        self.next_steps().into_iter().filter(|s| s.may_take(actor, own)).collect()
    }

    /// Whether an order in this state is late: its people are not yet on site
    /// and the deadline has passed.
    pub fn is_overdue(self, deadline: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        matches!(self, OrderState::Issued | OrderState::Acknowledged | OrderState::Assembled) && now > deadline
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderState::*;

    fn all_events() -> Vec<OrderEvent> {
        vec![
            OrderEvent::Acknowledge,
            OrderEvent::Assemble { roster: vec![1, 2, 3] },
            OrderEvent::ReportOnSite,
            OrderEvent::StandDown,
            OrderEvent::Decline { reason: "no one free".into() },
            OrderEvent::Cancel { reason: "compound reopened".into() },
        ]
    }

    #[test]
    fn the_whole_way_from_issued_to_stood_down() {
        let mut s = Issued;
        for e in [
            OrderEvent::Acknowledge,
            OrderEvent::Assemble { roster: vec![7, 8] },
            OrderEvent::ReportOnSite,
            OrderEvent::StandDown,
        ] {
            s = s.apply(&e).unwrap();
        }
        assert_eq!(s, StoodDown);
    }

    #[test]
    fn every_state_and_event_pair_is_either_allowed_or_refused_as_the_rules_say() {
        let allowed: &[(OrderState, &str, OrderState)] = &[
            (Issued, "acknowledge", Acknowledged),
            (Issued, "decline", Declined),
            (Issued, "cancel", Cancelled),
            (Acknowledged, "assemble", Assembled),
            (Acknowledged, "decline", Declined),
            (Acknowledged, "cancel", Cancelled),
            (Assembled, "report", OnSite),
            (Assembled, "cancel", Cancelled),
            (OnSite, "stand-down", StoodDown),
            (OnSite, "cancel", Cancelled),
        ];
        for s in OrderState::ALL {
            for e in all_events() {
                let expected = allowed.iter().find(|(from, ev, _)| *from == s && *ev == e.key()).map(|(_, _, to)| *to);
                match (s.apply(&e), expected) {
                    (Ok(next), Some(to)) => assert_eq!(next, to, "{s:?} + {}", e.key()),
                    (Err(OrderError::NotAllowed { .. }), None) => {}
                    (got, want) => panic!("{s:?} + {}: got {got:?}, want {want:?}", e.key()),
                }
            }
        }
    }

    #[test]
    fn reporting_on_site_before_assembling_is_refused() {
        assert_eq!(
            Acknowledged.apply(&OrderEvent::ReportOnSite),
            Err(OrderError::NotAllowed { from: "acknowledged", event: "report" })
        );
        assert!(Issued.apply(&OrderEvent::ReportOnSite).is_err());
    }

    #[test]
    fn a_roster_must_name_people_once_each() {
        assert_eq!(Acknowledged.apply(&OrderEvent::Assemble { roster: vec![] }), Err(OrderError::EmptyRoster));
        assert_eq!(
            Acknowledged.apply(&OrderEvent::Assemble { roster: vec![1, 2, 1] }),
            Err(OrderError::DuplicateOnRoster)
        );
    }

    #[test]
    fn declining_and_cancelling_need_a_reason() {
        assert_eq!(Issued.apply(&OrderEvent::Decline { reason: "  ".into() }), Err(OrderError::ReasonRequired));
        assert_eq!(Assembled.apply(&OrderEvent::Cancel { reason: String::new() }), Err(OrderError::ReasonRequired));
    }

    #[test]
    fn an_order_is_overdue_at_every_step_before_on_site_once_the_deadline_passes() {
        let deadline: DateTime<Utc> = "2022-12-01T17:00:00Z".parse().unwrap();
        let before = deadline - chrono::Duration::minutes(1);
        let after = deadline + chrono::Duration::minutes(1);
        for s in OrderState::ALL {
            assert!(!s.is_overdue(deadline, before), "{s:?} before the deadline");
            let late = matches!(s, Issued | Acknowledged | Assembled);
            assert_eq!(s.is_overdue(deadline, after), late, "{s:?} after the deadline");
        }
    }

    #[test]
    fn the_steps_that_follow_a_state_are_those_apply_allows() {
        assert_eq!(Issued.next_steps(), vec![OrderStep::Acknowledge, OrderStep::Decline, OrderStep::Cancel]);
        assert_eq!(Assembled.next_steps(), vec![OrderStep::ReportOnSite, OrderStep::Cancel]);
        assert!(StoodDown.next_steps().is_empty());
    }

    #[test]
    fn the_unit_answers_the_leader_reports_and_the_command_cancels() {
        use crate::Role;
        let as_role = |role| Actor { role, ..Actor::system() };
        let unit = as_role(Role::Unit);
        let leader = as_role(Role::SquadLeader);
        let command = as_role(Role::Command);
        let leads = Some(SquadRole::Leader);
        assert_eq!(Issued.steps_for(&unit, None), vec![OrderStep::Acknowledge, OrderStep::Decline]);
        assert!(Issued.steps_for(&leader, leads).is_empty());
        assert_eq!(Assembled.steps_for(&leader, leads), vec![OrderStep::ReportOnSite]);
        assert!(Assembled.steps_for(&leader, None).is_empty(), "a leader of no squad of this order");
        assert_eq!(Assembled.steps_for(&unit, None), vec![OrderStep::ReportOnSite], "for the squad");
        assert_eq!(OnSite.steps_for(&command, None), vec![OrderStep::StandDown, OrderStep::Cancel]);
        assert!(!OrderStep::Cancel.may_take(&as_role(Role::SquadMember), Some(SquadRole::Secretary)));
        for s in OrderStep::ALL {
            assert_eq!(OrderStep::parse(s.key()), Some(s));
        }
    }

    #[test]
    fn states_read_back() {
        for s in OrderState::ALL {
            assert_eq!(OrderState::parse(s.as_str()), Some(s));
        }
    }
}

//! A positive person's transfer (转运): opened when a positive result comes,
//! a closed-loop trip to the designated hospital (定点医院) in a named vehicle
//! with escorts, the hand-over at the hospital, then a follow-up log (calls,
//! translation help, contact with the person's university) that the site keeps
//! after the person has left. A transfer not yet under way can be cancelled
//! (a retest clears the result), with a reason.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::places::PlaceName;
use crate::values::{PersonName, is_hidden_char};
use crate::{Key, Refusal};

/// Where a transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransferState {
    /// Opened on a positive result; the vehicle is on its way.
    Opened,
    /// 出发: the person has left the site in the vehicle.
    Departed,
    /// 交接: the hospital has taken the person over.
    HandedOver,
    /// The site has logged follow-up since the hand-over.
    FollowedUp,
    /// Called off before departure.
    Cancelled,
}

/// How a follow-up was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FollowUpKind {
    /// A call with the person.
    Call,
    /// Translation help between the person and the hospital.
    Translation,
    /// Contact with the person's university or institution.
    Institution,
    /// Contact with the hospital.
    Hospital,
    /// Anything else.
    Other,
}

impl FollowUpKind {
    /// Every kind.
    pub const ALL: [FollowUpKind; 5] = [
        FollowUpKind::Call,
        FollowUpKind::Translation,
        FollowUpKind::Institution,
        FollowUpKind::Hospital,
        FollowUpKind::Other,
    ];

    /// The stable key.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpKind::Call => "call",
            FollowUpKind::Translation => "translation",
            FollowUpKind::Institution => "institution",
            FollowUpKind::Hospital => "hospital",
            FollowUpKind::Other => "other",
        }
    }

    /// Reads the key back.
    pub fn parse(s: &str) -> Option<FollowUpKind> {
        FollowUpKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// The longest note (a follow-up entry, a reason), in characters.
pub const NOTE_MAX: usize = 1000;

/// A vehicle as the escort writes it: a plate (黑A·12345) or an ambulance's
/// number; trimmed, 1 to 20 characters, no hidden characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Vehicle(String);

impl Vehicle {
    /// Parses a vehicle.
    pub fn parse(input: &str) -> Result<Vehicle, TransferError> {
        let t = input.trim();
        let ok = (1..=20).contains(&t.chars().count()) && !t.chars().any(is_hidden_char);
        if ok { Ok(Vehicle(t.to_string())) } else { Err(TransferError::Vehicle) }
    }

    /// The vehicle as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A note of a transfer (a follow-up entry, a reason for cancelling):
/// trimmed, 1 to `NOTE_MAX` characters; line breaks are kept, other control
/// and hidden characters are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note(String);

impl Note {
    /// Parses a note.
    pub fn parse(input: &str) -> Result<Note, TransferError> {
        let t = input.trim();
        let ok = (1..=NOTE_MAX).contains(&t.chars().count()) && !t.chars().any(|c| c != '\n' && is_hidden_char(c));
        if ok { Ok(Note(t.to_string())) } else { Err(TransferError::Note) }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Something that happens to a transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferEvent {
    /// The person leaves the site in the vehicle with the escorts.
    Depart {
        /// The designated hospital (定点医院) it goes to.
        hospital: PlaceName,
        /// The vehicle.
        vehicle: Vehicle,
        /// Who goes with the person (at least one: the loop is closed by them).
        escorts: Vec<PersonName>,
        /// When it left.
        at: DateTime<Utc>,
    },
    /// The hospital takes the person over.
    HandOver {
        /// When.
        at: DateTime<Utc>,
    },
    /// A follow-up entry, after the hand-over.
    FollowUp {
        /// When it was made.
        at: DateTime<Utc>,
        /// How.
        kind: FollowUpKind,
        /// What was said or done.
        note: Note,
    },
    /// Called off before departure.
    Cancel {
        /// Why.
        reason: Note,
    },
}

impl TransferEvent {
    /// The stable key of the event.
    pub fn key(&self) -> &'static str {
        match self {
            TransferEvent::Depart { .. } => "depart",
            TransferEvent::HandOver { .. } => "hand-over",
            TransferEvent::FollowUp { .. } => "follow-up",
            TransferEvent::Cancel { .. } => "cancel",
        }
    }

    /// An event from a form's or a request's fields (`field(name)` gives ""
    /// for one not sent): depart (hospital, vehicle, escorts separated by
    /// commas or 、), hand-over, follow-up (kind, note) or cancel (reason),
    /// dated `at`. Every bad field is refused with its reason.
    pub fn from_fields<'a>(
        event: &str,
        field: impl Fn(&str) -> &'a str,
        at: DateTime<Utc>,
    ) -> Result<TransferEvent, Refusal> {
        match event.trim() {
            "depart" => {
                let hospital = PlaceName::parse(field("hospital"))?;
                let vehicle = Vehicle::parse(field("vehicle"))?;
                let escorts = field("escorts")
                    .split([',', '，', '、', ';', '；'])
                    .filter(|e| !e.trim().is_empty())
                    .map(PersonName::parse)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(TransferEvent::Depart { hospital, vehicle, escorts, at })
            }
            "hand-over" => Ok(TransferEvent::HandOver { at }),
            "follow-up" => {
                let kind = FollowUpKind::parse(field("kind")).unwrap_or(FollowUpKind::Other);
                Ok(TransferEvent::FollowUp { at, kind, note: Note::parse(field("note"))? })
            }
            "cancel" => Ok(TransferEvent::Cancel { reason: Note::parse(field("reason"))? }),
            other => Err(Key::QuarantineTransferEvent.with("value", other)),
        }
    }

    /// The event's time, for those that have one.
    fn at(&self) -> Option<DateTime<Utc>> {
        match self {
            TransferEvent::Depart { at, .. } | TransferEvent::HandOver { at } | TransferEvent::FollowUp { at, .. } => {
                Some(*at)
            }
            TransferEvent::Cancel { .. } => None,
        }
    }
}

/// Why a transfer's step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    /// The step does not follow from the state (handing over before departing, say).
    #[error("a transfer that is {from} cannot take the step {event}")]
    NotAllowed {
        /// The current state's key.
        from: &'static str,
        /// The event's key.
        event: &'static str,
    },
    /// Departing without an escort.
    #[error("a closed-loop transfer has at least one escort")]
    NoEscort,
    /// A step dated before the step it follows.
    #[error("the step at {at} is before the previous step at {since}")]
    TimeOrder {
        /// The step's time.
        at: DateTime<Utc>,
        /// The previous step's time.
        since: DateTime<Utc>,
    },
    /// A vehicle that is empty, too long or has hidden characters.
    #[error("a vehicle is 1 to 20 characters")]
    Vehicle,
    /// A note that is empty, too long or has hidden characters.
    #[error("a note is 1 to {NOTE_MAX} characters")]
    Note,
}

impl From<TransferError> for Refusal {
    fn from(e: TransferError) -> Refusal {
        match e {
            TransferError::NotAllowed { from, event } => {
                Key::QuarantineTransferStep.with("from", from).with("event", event)
            }
            TransferError::NoEscort => Key::QuarantineTransferNoEscort.into(),
            TransferError::TimeOrder { at, since } => {
                Key::QuarantineTransferTimeOrder.with("at", at).with("since", since)
            }
            TransferError::Vehicle => Key::QuarantineTransferVehicle.into(),
            TransferError::Note => Key::QuarantineTransferNote.with("max", NOTE_MAX),
        }
    }
}

impl TransferState {
    /// Every state.
    pub const ALL: [TransferState; 5] = [
        TransferState::Opened,
        TransferState::Departed,
        TransferState::HandedOver,
        TransferState::FollowedUp,
        TransferState::Cancelled,
    ];

    /// The stored key (the database CHECKs it).
    pub fn as_str(self) -> &'static str {
        match self {
            TransferState::Opened => "opened",
            TransferState::Departed => "departed",
            TransferState::HandedOver => "handed-over",
            TransferState::FollowedUp => "followed-up",
            TransferState::Cancelled => "cancelled",
        }
    }

    /// Reads the stored key back.
    pub fn parse(s: &str) -> Option<TransferState> {
        TransferState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the person has left the site (the room can be disinfected, the
    /// timeline no longer runs at the site).
    pub fn has_left(self) -> bool {
        matches!(self, TransferState::Departed | TransferState::HandedOver | TransferState::FollowedUp)
    }

    /// The next state after an event, or why it does not apply. `since` is
    /// when the current state was entered (opened, departed, handed over): a
    /// step cannot be dated before it, so a follow-up cannot predate the
    /// hand-over, while follow-ups among themselves may be logged late.
    pub fn apply(self, event: &TransferEvent, since: DateTime<Utc>) -> Result<TransferState, TransferError> {
        use TransferState::*;
        let next = match (self, event) {
            (Opened, TransferEvent::Depart { escorts, .. }) => {
                if escorts.is_empty() {
                    return Err(TransferError::NoEscort);
                }
                Departed
            }
            (Departed, TransferEvent::HandOver { .. }) => HandedOver,
            (HandedOver | FollowedUp, TransferEvent::FollowUp { .. }) => FollowedUp,
            (Opened, TransferEvent::Cancel { .. }) => Cancelled,
            (from, event) => return Err(TransferError::NotAllowed { from: from.as_str(), event: event.key() }),
        };
        match event.at() {
            Some(at) if at < since => Err(TransferError::TimeOrder { at, since }),
            _ => Ok(next),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TransferState::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn events(when: DateTime<Utc>) -> Vec<TransferEvent> {
        vec![
            TransferEvent::Depart {
                hospital: PlaceName::parse("哈尔滨市第六医院").unwrap(),
                vehicle: Vehicle::parse("黑A·12345").unwrap(),
                escorts: vec![PersonName::parse("王医生").unwrap()],
                at: when,
            },
            TransferEvent::HandOver { at: when },
            TransferEvent::FollowUp {
                at: when,
                kind: FollowUpKind::Call,
                note: Note::parse("well, fever down").unwrap(),
            },
            TransferEvent::Cancel { reason: Note::parse("retest negative").unwrap() },
        ]
    }

    #[test]
    fn a_transfer_goes_from_opened_to_followed_up_and_keeps_taking_follow_ups() {
        let opened = at("2026-09-18T10:00:00+08:00");
        let mut s = Opened;
        let mut since = opened;
        let when = opened + chrono::Duration::hours(1);
        for e in events(when).into_iter().take(3) {
            s = s.apply(&e, since).unwrap();
            since = when;
        }
        assert_eq!(s, FollowedUp);
        let late = TransferEvent::FollowUp {
            at: opened + chrono::Duration::days(3),
            kind: FollowUpKind::Institution,
            note: Note::parse("told the university").unwrap(),
        };
        assert_eq!(s.apply(&late, since), Ok(FollowedUp));
    }

    #[test]
    fn every_state_and_event_pair_is_either_allowed_or_refused_as_the_rules_say() {
        let allowed = [
            (Opened, "depart", Departed),
            (Opened, "cancel", Cancelled),
            (Departed, "hand-over", HandedOver),
            (HandedOver, "follow-up", FollowedUp),
            (FollowedUp, "follow-up", FollowedUp),
        ];
        let since = at("2026-09-18T10:00:00Z");
        let refused = |s: TransferState, e: &TransferEvent, x: &TransferError| {
            *x == TransferError::NotAllowed { from: s.as_str(), event: e.key() }
        };
        let apply = |s: TransferState, e: &TransferEvent| s.apply(e, since);
        crate::quarantine::assert_steps(
            &TransferState::ALL,
            &events(since),
            TransferEvent::key,
            apply,
            refused,
            &allowed,
        );
    }

    #[test]
    fn handing_over_before_departing_and_following_up_before_the_hand_over_are_refused() {
        let since = at("2026-09-18T10:00:00Z");
        let e = events(since);
        assert_eq!(Opened.apply(&e[1], since), Err(TransferError::NotAllowed { from: "opened", event: "hand-over" }));
        assert!(Departed.apply(&e[2], since).is_err(), "log entries start after the hand-over");
        assert!(Departed.apply(&e[3], since).is_err(), "no cancelling once under way");
    }

    #[test]
    fn a_step_comes_from_a_forms_fields_with_every_bad_one_refused() {
        let when = at("2026-09-18T10:00:00Z");
        let fields = |name: &str| match name {
            "hospital" => "哈尔滨市第六医院",
            "vehicle" => " 黑A·120急 ",
            "escorts" => "王医生、李警官, ",
            "kind" => "translation",
            "note" => "已入院",
            _ => "",
        };
        match TransferEvent::from_fields("depart", fields, when).unwrap() {
            TransferEvent::Depart { hospital, vehicle, escorts, .. } => {
                assert_eq!((hospital.as_str(), vehicle.as_str(), escorts.len()), ("哈尔滨市第六医院", "黑A·120急", 2));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            TransferEvent::from_fields("follow-up", fields, when),
            Ok(TransferEvent::FollowUp { kind: FollowUpKind::Translation, .. })
        ));
        assert!(TransferEvent::from_fields("cancel", fields, when).is_err(), "a cancel needs its reason");
        assert!(TransferEvent::from_fields("depart", |_| "", when).is_err(), "a departure needs its hospital");
        assert_eq!(TransferEvent::from_fields("fly", fields, when).unwrap_err().key, Key::QuarantineTransferEvent);
    }

    #[test]
    fn a_closed_loop_needs_an_escort_and_steps_in_time_order() {
        let since = at("2026-09-18T10:00:00Z");
        let alone = TransferEvent::Depart {
            hospital: PlaceName::parse("哈尔滨市第六医院").unwrap(),
            vehicle: Vehicle::parse("120-07").unwrap(),
            escorts: vec![],
            at: since,
        };
        assert_eq!(Opened.apply(&alone, since), Err(TransferError::NoEscort));
        let early = TransferEvent::HandOver { at: since - chrono::Duration::minutes(5) };
        let refused = Departed.apply(&early, since).unwrap_err();
        assert!(matches!(refused, TransferError::TimeOrder { .. }));
        assert_eq!(Refusal::from(refused).key, Key::QuarantineTransferTimeOrder);
        assert_eq!(Departed.apply(&TransferEvent::HandOver { at: since }, since), Ok(HandedOver), "same minute");
    }

    #[test]
    fn vehicles_and_notes_are_checked_and_states_read_back() {
        assert_eq!(Vehicle::parse("  "), Err(TransferError::Vehicle));
        assert_eq!(Vehicle::parse(&"A".repeat(21)), Err(TransferError::Vehicle));
        assert_eq!(Note::parse("line one\nline two").unwrap().as_str(), "line one\nline two");
        assert_eq!(Note::parse("a\u{202E}b"), Err(TransferError::Note));
        assert_eq!(Note::parse(&"字".repeat(NOTE_MAX + 1)), Err(TransferError::Note));
        for s in TransferState::ALL {
            assert_eq!(TransferState::parse(s.as_str()), Some(s));
            assert_eq!(s.has_left(), matches!(s, Departed | HandedOver | FollowedUp));
        }
        for k in FollowUpKind::ALL {
            assert_eq!(FollowUpKind::parse(k.as_str()), Some(k));
        }
    }
}

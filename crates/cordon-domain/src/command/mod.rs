//! The command's dashboard (指挥部看板): what must be seen first. How near an
//! order's deadline is, the one rule for the countdown's colour, lives here.

use chrono::{DateTime, Duration, Utc};

/// How soon before its deadline an order not yet on site turns amber.
pub const SOON: Duration = Duration::minutes(30);

/// How near an order's deadline is, as the countdown shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// More than [`SOON`] left.
    Calm,
    /// Less than [`SOON`] left (amber).
    Soon,
    /// Past the deadline (red).
    Overdue,
}

impl Urgency {
    /// The urgency of a deadline at an instant.
    pub fn of(deadline: DateTime<Utc>, now: DateTime<Utc>) -> Urgency {
        if now > deadline {
            Urgency::Overdue
        } else if deadline - now < SOON {
            Urgency::Soon
        } else {
            Urgency::Calm
        }
    }

    /// Its stable key, for a CSS class and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Calm => "calm",
            Urgency::Soon => "soon",
            Urgency::Overdue => "overdue",
        }
    }
}

/// The minutes left before a deadline, negative once it has passed, rounded
/// towards "less time": 59 s left is 0 min, 1 s late is −1 min, so a countdown
/// never shows more time than there is.
pub fn minutes_left(deadline: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (deadline - now).num_seconds().div_euclid(60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_countdown_turns_amber_under_half_an_hour_and_red_when_late() {
        let deadline = at("2022-03-31T17:00:00Z");
        assert_eq!(Urgency::of(deadline, at("2022-03-31T16:00:00Z")), Urgency::Calm);
        assert_eq!(Urgency::of(deadline, at("2022-03-31T16:30:00Z")), Urgency::Calm, "exactly 30 min left");
        assert_eq!(Urgency::of(deadline, at("2022-03-31T16:30:01Z")), Urgency::Soon);
        assert_eq!(Urgency::of(deadline, deadline), Urgency::Soon, "due now is not yet late");
        assert_eq!(Urgency::of(deadline, at("2022-03-31T17:00:01Z")), Urgency::Overdue);
    }

    #[test]
    fn minutes_left_never_shows_more_time_than_there_is() {
        let deadline = at("2022-03-31T17:00:00Z");
        assert_eq!(minutes_left(deadline, at("2022-03-31T15:20:00Z")), 100);
        assert_eq!(minutes_left(deadline, at("2022-03-31T16:59:01Z")), 0);
        assert_eq!(minutes_left(deadline, deadline), 0);
        assert_eq!(minutes_left(deadline, at("2022-03-31T17:00:01Z")), -1);
        assert_eq!(minutes_left(deadline, at("2022-03-31T18:30:00Z")), -90);
    }
}

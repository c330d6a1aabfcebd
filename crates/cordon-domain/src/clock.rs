//! Time: where "now" comes from, and day counting in the deployment's time
//! zone. Instants are stored in UTC; every "which day is it" question is
//! answered here and nowhere else. The store and the pages read "now" from a
//! `Clock` handed to them, so deadlines and day counts are tested at chosen
//! instants.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// Where "now" comes from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The present instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's clock: what a deployment runs on.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until it is set or moved on: for tests at chosen
/// instants. Clones share the same time.
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<Mutex<DateTime<Utc>>>);

impl FixedClock {
    /// A clock standing at `at`.
    pub fn at(at: DateTime<Utc>) -> FixedClock {
        FixedClock(Arc::new(Mutex::new(at)))
    }

    /// Sets the time.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    /// Moves the time on.
    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The deployment's time zone (default Asia/Shanghai).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

impl Default for Zone {
    fn default() -> Self {
        Zone(chrono_tz::Asia::Shanghai)
    }
}

impl Zone {
    /// Parses an IANA zone name such as `Asia/Shanghai`.
    pub fn parse(name: &str) -> Option<Zone> {
        name.parse::<Tz>().ok().map(Zone)
    }

    /// The IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The local calendar date of an instant.
    pub fn date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        self.0.from_utc_datetime(&at.naive_utc()).date_naive()
    }

    /// An instant as local wall time, for display.
    pub fn local(&self, at: DateTime<Utc>) -> DateTime<Tz> {
        self.0.from_utc_datetime(&at.naive_utc())
    }

    /// The instant of a local wall time; in a gap (no such local time) the
    /// later side, in an overlap the earlier.
    pub fn instant(&self, local: chrono::NaiveDateTime) -> DateTime<Utc> {
        use chrono::offset::LocalResult;
        match self.0.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            LocalResult::None => self.instant(local + chrono::Duration::hours(1)),
        }
    }

    /// Age in whole years on the local date of `at`.
    pub fn age(&self, birth: NaiveDate, at: DateTime<Utc>) -> u32 {
        let today = self.date_of(at);
        today.years_since(birth).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_local_day_turns_at_local_midnight_not_utc_midnight() {
        let z = Zone::default();
        // 15:59:59 UTC is 23:59:59 in Shanghai; one second later it is the next day.
        assert_eq!(z.date_of(utc("2022-12-01T15:59:59Z")).to_string(), "2022-12-01");
        assert_eq!(z.date_of(utc("2022-12-01T16:00:00Z")).to_string(), "2022-12-02");
    }

    #[test]
    fn a_birthday_counts_from_local_midnight() {
        let z = Zone::default();
        let birth = NaiveDate::from_ymd_opt(2000, 12, 2).unwrap();
        assert_eq!(z.age(birth, utc("2022-12-01T15:59:59Z")), 21);
        assert_eq!(z.age(birth, utc("2022-12-01T16:00:00Z")), 22);
    }

    #[test]
    fn a_fixed_clock_stands_still_until_moved_and_its_clones_move_with_it() {
        let c = FixedClock::at(utc("2022-12-01T08:00:00Z"));
        let other = c.clone();
        c.advance(chrono::Duration::minutes(30));
        assert_eq!(other.now(), utc("2022-12-01T08:30:00Z"));
        other.set(utc("2023-01-01T00:00:00Z"));
        assert_eq!(c.now(), utc("2023-01-01T00:00:00Z"));
    }

    #[test]
    fn zone_names_parse() {
        assert_eq!(Zone::parse("Europe/Moscow").unwrap().name(), "Europe/Moscow");
        assert!(Zone::parse("Mars/Olympus").is_none());
    }
}

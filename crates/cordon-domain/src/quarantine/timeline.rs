//! A stay's timeline: THE one place where the days of a quarantine are
//! counted. The rule used in practice: the local date of arrival in the site's
//! zone is day 0 (入境当日为第0天); "a+b" ends the on-site phase at the end of
//! day a and home monitoring at the end of day a+b; test days are day numbers
//! counted the same way. "Which local date is this instant" and "when does this
//! local date end" are `clock::Zone`'s; this module only adds days to dates.
//!
//! Nothing keeps running after its end: the state at an instant is computed
//! from the instant alone, so a timeline closes on its last day even if no
//! check was logged that day.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Utc};
use serde::Serialize;

use super::policy::Policy;
use crate::clock::Zone;
use crate::{Key, Refusal};

/// The most days one extension may add: a new 14-day quarantine from the last
/// contact with a positive, plus a week's margin for a late result.
pub const MAX_EXTENSION_DAYS: u32 = 21;

/// Why a stay is extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExtensionReason {
    /// 密接: a declared close contact of a positive.
    CloseContact,
    /// 同住阳性: a roommate tested positive.
    PositiveRoommate,
    /// 疾控研判: the CDC group decided so (a late or doubtful result).
    CdcDecision,
}

impl ExtensionReason {
    /// Every reason.
    pub const ALL: [ExtensionReason; 3] =
        [ExtensionReason::CloseContact, ExtensionReason::PositiveRoommate, ExtensionReason::CdcDecision];

    /// The stable key, stored and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ExtensionReason::CloseContact => "close-contact",
            ExtensionReason::PositiveRoommate => "positive-roommate",
            ExtensionReason::CdcDecision => "cdc-decision",
        }
    }

    /// Reads the key back.
    pub fn parse(s: &str) -> Option<ExtensionReason> {
        ExtensionReason::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    /// A reason a person gives by hand: a close contact or the CDC's
    /// decision, by key or in Chinese (密接, 疾控研判). A positive roommate's
    /// extension is given by the result itself, never by hand.
    pub fn by_hand(s: &str) -> Result<ExtensionReason, crate::Refusal> {
        match s.trim() {
            "close-contact" | "密接" | "密切接触者" => Ok(ExtensionReason::CloseContact),
            "cdc-decision" | "疾控研判" => Ok(ExtensionReason::CdcDecision),
            other => Err(crate::Key::QuarantineExtendReason.with("value", other)),
        }
    }
}

/// Days added to the on-site phase, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Extension {
    /// Days added, 1 to `MAX_EXTENSION_DAYS`.
    pub days: u32,
    /// Why.
    pub reason: ExtensionReason,
}

/// Why a timeline cannot be changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimelineError {
    /// An extension of no days or more than `MAX_EXTENSION_DAYS`.
    #[error("an extension adds 1 to {MAX_EXTENSION_DAYS} days")]
    ExtensionDays,
}

impl From<TimelineError> for Refusal {
    fn from(e: TimelineError) -> Refusal {
        match e {
            TimelineError::ExtensionDays => Key::QuarantineExtensionDays.with("max", i64::from(MAX_EXTENSION_DAYS)),
        }
    }
}

/// The two phases of a stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// 集中隔离: at the site.
    OnSite,
    /// 居家健康监测: at home, after release from the site.
    HomeMonitoring,
}

/// Where a stay stands at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum TimelineState {
    /// Before the arrival instant.
    NotArrived,
    /// At the site, on this day of the stay.
    OnSite {
        /// The day number, 0 on the day of arrival.
        day: u32,
    },
    /// At home, on this day of the stay.
    HomeMonitoring {
        /// The day number, counted from arrival like the on-site days.
        day: u32,
    },
    /// Both phases are over.
    Ended,
}

impl TimelineState {
    /// The stable key of the state, for exports and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            TimelineState::NotArrived => "not-arrived",
            TimelineState::OnSite { .. } => "on-site",
            TimelineState::HomeMonitoring { .. } => "home-monitoring",
            TimelineState::Ended => "ended",
        }
    }
}

/// A test day of a stay: its day number, local date and phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TestDay {
    /// The day number.
    pub day: u32,
    /// Its local date in the site's zone.
    pub date: NaiveDate,
    /// The phase it falls in.
    pub phase: Phase,
}

/// One person's stay: arrival, the site's zone, the policy and any extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    arrival: DateTime<Utc>,
    zone: Zone,
    policy: Policy,
    extensions: Vec<Extension>,
}

impl Timeline {
    /// The stay of someone who arrived at `arrival` at a site in `zone`.
    pub fn new(arrival: DateTime<Utc>, zone: Zone, policy: &Policy) -> Timeline {
        Timeline { arrival, zone, policy: policy.clone(), extensions: Vec::new() }
    }

    /// The stay with `days` more on site (home monitoring follows the new end).
    pub fn extended(mut self, days: u32, reason: ExtensionReason) -> Result<Timeline, TimelineError> {
        if !(1..=MAX_EXTENSION_DAYS).contains(&days) {
            return Err(TimelineError::ExtensionDays);
        }
        self.extensions.push(Extension { days, reason });
        Ok(self)
    }

    /// The arrival instant.
    pub fn arrival(&self) -> DateTime<Utc> {
        self.arrival
    }

    /// The policy the stay runs under.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The extensions, in the order they were made.
    pub fn extensions(&self) -> &[Extension] {
        &self.extensions
    }

    /// Day 0: the local date of arrival in the site's zone.
    pub fn arrival_date(&self) -> NaiveDate {
        self.zone.date_of(self.arrival)
    }

    /// The local date of day `day`.
    pub fn date_of_day(&self, day: u32) -> NaiveDate {
        self.arrival_date() + Days::new(u64::from(day))
    }

    /// The day number of an instant: the local dates from day 0 to it
    /// (negative before the day of arrival).
    pub fn day_number(&self, at: DateTime<Utc>) -> i64 {
        (self.zone.date_of(at) - self.arrival_date()).num_days()
    }

    /// The last on-site day's number: a, plus every extension.
    pub fn last_onsite_day(&self) -> u32 {
        self.policy.onsite_days() + self.extensions.iter().map(|e| e.days).sum::<u32>()
    }

    /// The last day's number: the last on-site day plus b.
    pub fn last_day(&self) -> u32 {
        self.last_onsite_day() + self.policy.home_days()
    }

    /// The local date of the last on-site day (集中隔离结束): release is on this day.
    pub fn onsite_end(&self) -> NaiveDate {
        self.date_of_day(self.last_onsite_day())
    }

    /// The local date of the last day of home monitoring (居家监测结束).
    pub fn home_end(&self) -> NaiveDate {
        self.date_of_day(self.last_day())
    }

    /// The instant the on-site phase ends: the end of its last local day.
    pub fn onsite_ends_at(&self) -> DateTime<Utc> {
        self.end_of(self.onsite_end())
    }

    /// The instant home monitoring ends: the end of its last local day.
    pub fn home_ends_at(&self) -> DateTime<Utc> {
        self.end_of(self.home_end())
    }

    /// The end of a local date: the first instant of the next one, which is
    /// not always 24 hours after the start (a DST change), nor always at
    /// 00:00 (a zone whose clocks jump at midnight starts that day at 01:00).
    fn end_of(&self, date: NaiveDate) -> DateTime<Utc> {
        let next = date.succ_opt().unwrap_or(NaiveDate::MAX);
        self.zone.instant(next.and_time(NaiveTime::MIN))
    }

    /// The test days of the stay, in order. The policy's on-site days stand;
    /// an extended stay is also tested on its new last on-site day, since
    /// release is on a negative result of that day; home-monitoring test days
    /// move with the phase.
    pub fn test_days(&self) -> Vec<TestDay> {
        let shift = self.last_onsite_day() - self.policy.onsite_days();
        let mut onsite = self.policy.onsite_tests().to_vec();
        if shift > 0 {
            onsite.push(self.last_onsite_day());
        }
        let home = self.policy.home_tests().iter().map(|d| d + shift);
        let on = |phase| move |day: u32| (day, phase);
        let mut days: Vec<(u32, Phase)> =
            onsite.into_iter().map(on(Phase::OnSite)).chain(home.map(on(Phase::HomeMonitoring))).collect();
        days.sort_unstable_by_key(|(d, _)| *d);
        days.dedup_by_key(|(d, _)| *d);
        days.into_iter().map(|(day, phase)| TestDay { day, date: self.date_of_day(day), phase }).collect()
    }

    /// The test day on a local date, if one falls on it.
    pub fn test_on(&self, date: NaiveDate) -> Option<TestDay> {
        self.test_days().into_iter().find(|t| t.date == date)
    }

    /// The next test from the local date of `at` on (today's included).
    pub fn next_test(&self, at: DateTime<Utc>) -> Option<TestDay> {
        let today = self.zone.date_of(at);
        self.test_days().into_iter().find(|t| t.date >= today)
    }

    /// Where the stay stands at an instant.
    pub fn state_at(&self, at: DateTime<Utc>) -> TimelineState {
        // Within the stay the day number is between 0 and the last day.
        let day = u32::try_from(self.day_number(at)).unwrap_or(0);
        if at < self.arrival {
            TimelineState::NotArrived
        } else if at < self.onsite_ends_at() {
            TimelineState::OnSite { day }
        } else if at < self.home_ends_at() {
            TimelineState::HomeMonitoring { day }
        } else {
            TimelineState::Ended
        }
    }

    /// The date of the birthday that falls in the on-site phase (day 0 to the
    /// last on-site day, both included), if one does (隔离期内生日).
    pub fn birthday_in_stay(&self, birth: NaiveDate) -> Option<NaiveDate> {
        let (first, last) = (self.arrival_date(), self.onsite_end());
        // A stay may cross a new year, so both years' birthdays are candidates.
        (first.year()..=last.year()).map(|y| birthday_in(birth, y)).find(|d| (first..=last).contains(d))
    }
}

/// The date of someone's birthday in a year: the same month and day, except
/// that a 29 February birthday falls on 28 February in other years.
pub fn birthday_in(birth: NaiveDate, year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, birth.month(), birth.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 2, 28))
        .expect("28 February exists in every year")
}

/// Whether a local date is someone's birthday, by `birthday_in`'s rule.
pub fn is_birthday(birth: NaiveDate, date: NaiveDate) -> bool {
    birthday_in(birth, date.year()) == date && date > birth
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn zone(name: &str) -> Zone {
        Zone::parse(name).unwrap()
    }

    fn stay(arrival: &str, policy: &str) -> Timeline {
        Timeline::new(utc(arrival), Zone::default(), &Policy::preset(policy).unwrap())
    }

    /// For each preset, the dates of day 0, the last on-site day and the last
    /// day from an arrival, worked out by hand on a calendar.
    fn assert_dates(arrival: &str, expected: [(&str, &str, &str, &str); 4]) {
        for (policy, day0, onsite_end, home_end) in expected {
            let t = stay(arrival, policy);
            assert_eq!(t.arrival_date(), date(day0), "{policy} from {arrival}: day 0");
            assert_eq!(t.onsite_end(), date(onsite_end), "{policy} from {arrival}: on-site end");
            assert_eq!(t.home_end(), date(home_end), "{policy} from {arrival}: home end");
        }
    }

    #[test]
    fn an_arrival_at_2350_local_is_day_0_for_its_ten_minutes_and_day_1_after_midnight() {
        assert_dates(
            "2026-09-16T23:50:00+08:00",
            [
                ("7+7", "2026-09-16", "2026-09-23", "2026-09-30"),
                ("14+7", "2026-09-16", "2026-09-30", "2026-10-07"),
                ("10+7", "2026-09-16", "2026-09-26", "2026-10-03"),
                ("5+3", "2026-09-16", "2026-09-21", "2026-09-24"),
            ],
        );
        for policy in Policy::preset_names() {
            let t = stay("2026-09-16T23:50:00+08:00", &policy);
            assert_eq!(t.state_at(utc("2026-09-16T23:49:59+08:00")), TimelineState::NotArrived, "{policy}");
            assert_eq!(t.state_at(utc("2026-09-16T23:59:59+08:00")), TimelineState::OnSite { day: 0 }, "{policy}");
            assert_eq!(t.state_at(utc("2026-09-17T00:00:00+08:00")), TimelineState::OnSite { day: 1 }, "{policy}");
            // The on-site phase ends at the local midnight after its last day.
            let a = t.policy().onsite_days();
            let end = t.onsite_ends_at();
            assert_eq!(t.state_at(end - chrono::Duration::seconds(1)), TimelineState::OnSite { day: a }, "{policy}");
            assert_eq!(t.state_at(end), TimelineState::HomeMonitoring { day: a + 1 }, "{policy}");
            assert_eq!(t.state_at(t.home_ends_at() - chrono::Duration::seconds(1)).as_str(), "home-monitoring");
            assert_eq!(t.state_at(t.home_ends_at()), TimelineState::Ended, "{policy}");
        }
    }

    #[test]
    fn an_arrival_on_29_february_of_a_leap_year_counts_through_1_march() {
        assert_dates(
            "2028-02-29T15:30:00+08:00",
            [
                ("7+7", "2028-02-29", "2028-03-07", "2028-03-14"),
                ("14+7", "2028-02-29", "2028-03-14", "2028-03-21"),
                ("10+7", "2028-02-29", "2028-03-10", "2028-03-17"),
                ("5+3", "2028-02-29", "2028-03-05", "2028-03-08"),
            ],
        );
        // The day before the last day of February in a leap year has one more day to go.
        assert_dates(
            "2028-02-28T15:30:00+08:00",
            [
                ("7+7", "2028-02-28", "2028-03-06", "2028-03-13"),
                ("14+7", "2028-02-28", "2028-03-13", "2028-03-20"),
                ("10+7", "2028-02-28", "2028-03-09", "2028-03-16"),
                ("5+3", "2028-02-28", "2028-03-04", "2028-03-07"),
            ],
        );
    }

    #[test]
    fn an_arrival_on_28_february_of_a_common_year_counts_through_1_march() {
        assert_dates(
            "2027-02-28T15:30:00+08:00",
            [
                ("7+7", "2027-02-28", "2027-03-07", "2027-03-14"),
                ("14+7", "2027-02-28", "2027-03-14", "2027-03-21"),
                ("10+7", "2027-02-28", "2027-03-10", "2027-03-17"),
                ("5+3", "2027-02-28", "2027-03-05", "2027-03-08"),
            ],
        );
    }

    #[test]
    fn an_arrival_given_in_utc_that_is_already_the_next_day_in_the_zone_starts_on_that_day() {
        // 17:30 UTC is 01:30 the next morning in Shanghai.
        assert_dates(
            "2026-09-16T17:30:00Z",
            [
                ("7+7", "2026-09-17", "2026-09-24", "2026-10-01"),
                ("14+7", "2026-09-17", "2026-10-01", "2026-10-08"),
                ("10+7", "2026-09-17", "2026-09-27", "2026-10-04"),
                ("5+3", "2026-09-17", "2026-09-22", "2026-09-25"),
            ],
        );
        let t = stay("2026-09-16T17:30:00Z", "7+7");
        assert_eq!(t.day_number(utc("2026-09-16T17:30:00Z")), 0);
        assert_eq!(t.day_number(utc("2026-09-16T15:59:59Z")), -1, "still the 16th in Shanghai");
        assert_eq!(t.onsite_ends_at(), utc("2026-09-24T16:00:00Z"), "midnight of the 25th, Shanghai time");
    }

    #[test]
    fn a_29_february_birthday_falls_on_28_february_in_a_common_year() {
        let birth = date("2004-02-29");
        for policy in Policy::preset_names() {
            // 2027 is a common year: the birthday is on the 28th, inside a stay from the 25th.
            assert_eq!(stay("2027-02-25T10:00:00+08:00", &policy).birthday_in_stay(birth), Some(date("2027-02-28")));
            // ... and the 28th is day 0 of a stay from the 28th.
            assert_eq!(stay("2027-02-28T23:50:00+08:00", &policy).birthday_in_stay(birth), Some(date("2027-02-28")));
            // A stay from 1 March has passed it.
            assert_eq!(stay("2027-03-01T00:10:00+08:00", &policy).birthday_in_stay(birth), None, "{policy}");
            // In a leap year it is on the 29th, and a stay from 1 March has passed it too.
            assert_eq!(stay("2028-02-29T10:00:00+08:00", &policy).birthday_in_stay(birth), Some(date("2028-02-29")));
            assert_eq!(stay("2028-03-01T10:00:00+08:00", &policy).birthday_in_stay(birth), None, "{policy}");
        }
        assert!(is_birthday(birth, date("2027-02-28")));
        assert!(!is_birthday(birth, date("2028-02-28")), "in a leap year the 29th is the birthday");
        assert!(!is_birthday(birth, birth), "the day of birth is no birthday");
    }

    #[test]
    fn a_stay_across_new_year_finds_birthdays_on_both_sides_of_it() {
        // From 28 December 2026: 7+7 is on site until 4 January, 14+7 until
        // the 11th, 10+7 until the 7th, 5+3 until the 2nd.
        let cases = [
            ("7+7", "2027-01-04", [true, true, true, false]),
            ("14+7", "2027-01-11", [true, true, true, true]),
            ("10+7", "2027-01-07", [true, true, true, true]),
            ("5+3", "2027-01-02", [true, true, false, false]),
        ];
        let births = ["2001-12-29", "2001-01-02", "2001-01-04", "2001-01-05"];
        let expected_dates = ["2026-12-29", "2027-01-02", "2027-01-04", "2027-01-05"];
        for (policy, end, inside) in cases {
            let t = stay("2026-12-28T10:00:00+08:00", policy);
            assert_eq!(t.onsite_end(), date(end), "{policy}");
            for ((birth, on), inside) in births.iter().zip(expected_dates).zip(inside) {
                let want = inside.then(|| date(on));
                assert_eq!(t.birthday_in_stay(date(birth)), want, "{policy}, born {birth}");
            }
        }
        // Home monitoring is not the on-site stay: 5+3's home days do not count.
        assert_eq!(stay("2026-12-28T10:00:00+08:00", "5+3").home_end(), date("2027-01-05"));
    }

    #[test]
    fn test_days_are_dated_from_day_0() {
        let t = stay("2026-09-16T15:30:00+08:00", "7+7");
        let dates: Vec<(u32, String)> = t.test_days().iter().map(|d| (d.day, d.date.to_string())).collect();
        assert_eq!(
            dates,
            [
                (1, "2026-09-17".into()),
                (2, "2026-09-18".into()),
                (3, "2026-09-19".into()),
                (5, "2026-09-21".into()),
                (7, "2026-09-23".into()),
                (10, "2026-09-26".into()),
                (14, "2026-09-30".into())
            ]
        );
        assert_eq!(t.test_days()[5].phase, Phase::HomeMonitoring);
        assert_eq!(t.next_test(utc("2026-09-19T23:00:00+08:00")).unwrap().day, 3, "today's counts");
        assert_eq!(t.next_test(utc("2026-09-20T08:00:00+08:00")).unwrap().day, 5);
        assert_eq!(t.next_test(utc("2026-10-01T08:00:00+08:00")), None);
        assert_eq!(t.test_on(date("2026-09-21")).map(|d| d.day), Some(5));
        assert_eq!(t.test_on(date("2026-09-20")), None);
    }

    #[test]
    fn an_extension_moves_the_release_and_home_monitoring_and_adds_a_test_on_the_new_last_day() {
        let t = stay("2026-09-16T15:30:00+08:00", "7+7");
        let t = t.extended(7, ExtensionReason::PositiveRoommate).unwrap();
        assert_eq!(t.onsite_end(), date("2026-09-30"));
        assert_eq!(t.home_end(), date("2026-10-07"));
        let days: Vec<u32> = t.test_days().iter().map(|d| d.day).collect();
        assert_eq!(days, [1, 2, 3, 5, 7, 14, 17, 21]);
        assert_eq!(t.test_on(date("2026-09-30")).unwrap().phase, Phase::OnSite);
        let t = t.extended(2, ExtensionReason::CloseContact).unwrap();
        assert_eq!(t.last_onsite_day(), 16);
        assert_eq!(t.extensions().len(), 2);
        assert_eq!(t.clone().extended(0, ExtensionReason::CdcDecision), Err(TimelineError::ExtensionDays));
        assert_eq!(t.extended(22, ExtensionReason::CdcDecision), Err(TimelineError::ExtensionDays));
        for r in ExtensionReason::ALL {
            assert_eq!(ExtensionReason::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn a_timeline_with_no_home_monitoring_ends_with_the_on_site_phase() {
        let p = Policy::custom("3+0", &[1, 3], &[]).unwrap();
        let t = Timeline::new(utc("2026-09-16T15:30:00+08:00"), Zone::default(), &p);
        assert_eq!(t.onsite_ends_at(), t.home_ends_at());
        assert_eq!(t.state_at(t.onsite_ends_at()), TimelineState::Ended);
    }

    #[test]
    fn a_phase_ends_at_local_midnight_across_a_dst_change() {
        // New York goes to summer time on 14 March 2027: a stay from the 10th
        // ends on site at midnight of the 18th, which is 04:00 UTC, not 05:00.
        let p = Policy::preset("7+7").unwrap();
        let t = Timeline::new(utc("2027-03-10T12:00:00-05:00"), zone("America/New_York"), &p);
        assert_eq!(t.onsite_end(), date("2027-03-17"));
        assert_eq!(t.onsite_ends_at(), utc("2027-03-18T04:00:00Z"));
        // Chile's clocks jump from 00:00 to 01:00 on 6 September 2026: that day
        // begins at 01:00 local, so the day before ends then.
        let p = Policy::custom("4+0", &[4], &[]).unwrap();
        let t = Timeline::new(utc("2026-09-01T12:00:00-04:00"), zone("America/Santiago"), &p);
        assert_eq!(t.onsite_end(), date("2026-09-05"));
        assert_eq!(t.onsite_ends_at(), utc("2026-09-06T04:00:00Z"));
        assert_eq!(t.state_at(utc("2026-09-06T03:59:59Z")), TimelineState::OnSite { day: 4 });
    }

    proptest! {
        #[test]
        fn every_phase_lasts_its_days_and_ends_at_the_first_instant_of_the_next_local_day(
            secs in 1_700_000_000i64..1_900_000_000,
            z in prop::sample::select(vec!["Asia/Shanghai", "Europe/Moscow", "America/New_York", "America/Santiago", "Australia/Lord_Howe", "Pacific/Kiritimati"]),
            preset in 0usize..4,
        ) {
            let policy = &Policy::presets()[preset];
            let t = Timeline::new(DateTime::from_timestamp(secs, 0).unwrap(), zone(z), policy);
            prop_assert_eq!((t.onsite_end() - t.arrival_date()).num_days(), i64::from(policy.onsite_days()));
            prop_assert_eq!((t.home_end() - t.onsite_end()).num_days(), i64::from(policy.home_days()));
            let second = chrono::Duration::seconds(1);
            let zone = zone(z);
            prop_assert_eq!(zone.date_of(t.onsite_ends_at() - second), t.onsite_end());
            prop_assert_eq!(zone.date_of(t.onsite_ends_at()), t.onsite_end().succ_opt().unwrap());
            prop_assert_eq!(t.state_at(t.arrival()), TimelineState::OnSite { day: 0 });
        }
    }
}

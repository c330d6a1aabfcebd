//! Quarantine policies (隔离政策) as data: days on site, days of home
//! monitoring, and the test days of each phase. Four presets ship; the command
//! can add others under a name of the same form. Test days are day numbers of
//! the stay, counted as `timeline` counts them: the local date of arrival is
//! day 0 (入境当日为第0天), so "7+7" is on site on days 0 to 7 and at home on
//! days 8 to 14.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::values::fold_width;
use crate::{Key, Refusal};

/// The longest phase a policy may have, in days: the longest stays of 2020–2022
/// were "14+7+7" (28 days); twice that is a typo, not a policy.
pub const MAX_PHASE_DAYS: u32 = 60;

/// The presets: name, on-site test days, home-monitoring test days.
///
/// - "7+7" (the 2022 pilots of seven days on site and seven at home): on site
///   on days 1, 2, 3, 5 and 7, at home on days 10 and 14 (the 3rd and 7th day at home).
/// - "14+7" (第八版防控方案, 2021): on site on days 1, 4, 7 and 14, at home on
///   the 2nd and 7th day of home monitoring, days 16 and 21.
/// - "10+7" (the spring 2022 pilots): no schedule of its own was published to
///   us, so it takes 14+7's pattern: every third day from day 1 ending on the
///   last on-site day (1, 4, 7, 10), and the 2nd and 7th day at home (12, 17).
/// - "5+3" (第九版 as amended in November 2022): on site on days 1, 2, 3 and 5,
///   at home on the 1st and 3rd day, days 6 and 8.
///
/// Every preset tests on its last on-site day, because release is on a
/// negative result of that day.
const PRESETS: [(u32, u32, &[u32], &[u32]); 4] = [
    (7, 7, &[1, 2, 3, 5, 7], &[10, 14]),
    (14, 7, &[1, 4, 7, 14], &[16, 21]),
    (10, 7, &[1, 4, 7, 10], &[12, 17]),
    (5, 3, &[1, 2, 3, 5], &[6, 8]),
];

/// A policy's name, "a+b": a days on site (at least 1) and b days of home
/// monitoring (0 for none). The name is the two numbers, so it cannot say
/// one thing and mean another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PolicyName {
    onsite: u32,
    home: u32,
}

/// Why a policy is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Not of the form "a+b" with whole numbers.
    #[error("a policy is named as days on site + days at home, such as 7+7")]
    Name(String),
    /// Fewer than 1 day on site, or a phase longer than `MAX_PHASE_DAYS`.
    #[error("a policy has 1 to {MAX_PHASE_DAYS} days on site and 0 to {MAX_PHASE_DAYS} at home")]
    Days,
    /// A test day outside its phase.
    #[error("test day {day} is outside its phase, days {first} to {last}")]
    TestDay {
        /// The day given.
        day: u32,
        /// The phase's first day.
        first: u32,
        /// The phase's last day.
        last: u32,
    },
    /// A custom policy named as a preset is.
    #[error("{0} is a preset and keeps its own test days")]
    Preset(String),
    /// No preset or custom policy of that name.
    #[error("there is no policy {0}")]
    Unknown(String),
}

impl From<PolicyError> for Refusal {
    fn from(e: PolicyError) -> Refusal {
        match e {
            PolicyError::Name(name) => Key::QuarantinePolicyName.with("name", name),
            PolicyError::Days => Key::QuarantinePolicyDays.with("max", i64::from(MAX_PHASE_DAYS)),
            PolicyError::TestDay { day, first, last } => Key::QuarantinePolicyTestDay
                .with("day", i64::from(day))
                .with("first", i64::from(first))
                .with("last", i64::from(last)),
            PolicyError::Preset(name) => Key::QuarantinePolicyPreset.with("name", name),
            PolicyError::Unknown(name) => Key::QuarantinePolicyUnknown.with("name", name),
        }
    }
}

impl PolicyName {
    /// A name of `onsite` days on site and `home` days at home.
    pub fn new(onsite: u32, home: u32) -> Result<PolicyName, PolicyError> {
        if !(1..=MAX_PHASE_DAYS).contains(&onsite) || home > MAX_PHASE_DAYS {
            return Err(PolicyError::Days);
        }
        Ok(PolicyName { onsite, home })
    }

    /// Reads "7+7"; spaces and full-width digits and plus (as a Chinese input
    /// method types them) are allowed.
    pub fn parse(s: &str) -> Result<PolicyName, PolicyError> {
        let folded: String = fold_width(s).chars().filter(|c| !c.is_whitespace()).collect();
        let bad = || PolicyError::Name(s.trim().to_string());
        let (a, b) = folded.split_once('+').ok_or_else(bad)?;
        let number = |t: &str| {
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            // Too many digits for a u32 is a phase too long, not a bad name.
            Ok(t.parse::<u32>().unwrap_or(u32::MAX))
        };
        PolicyName::new(number(a)?, number(b)?)
    }

    /// Days on site: the on-site phase ends at the end of this day.
    pub fn onsite_days(self) -> u32 {
        self.onsite
    }

    /// Days of home monitoring after the on-site phase.
    pub fn home_days(self) -> u32 {
        self.home
    }
}

impl fmt::Display for PolicyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}+{}", self.onsite, self.home)
    }
}

impl Serialize for PolicyName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A policy: its name (which gives its days) and the test days of each
/// phase, sorted and each once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    name: PolicyName,
    onsite_tests: Vec<u32>,
    home_tests: Vec<u32>,
}

impl Policy {
    /// The names of the presets, in the order they are offered.
    pub fn preset_names() -> Vec<String> {
        PRESETS.iter().map(|(a, b, _, _)| format!("{a}+{b}")).collect()
    }

    /// Every preset.
    pub fn presets() -> Vec<Policy> {
        PRESETS
            .iter()
            .map(|&(a, b, onsite, home)| {
                let name = PolicyName::new(a, b).expect("a preset's days are in range");
                Policy::build(name, onsite, home).expect("a preset's test days are in its phases")
            })
            .collect()
    }

    /// The preset of that name ("7+7", also typed "7 + 7"), if there is one.
    pub fn preset(name: &str) -> Option<Policy> {
        let name = PolicyName::parse(name).ok()?;
        Policy::presets().into_iter().find(|p| p.name == name)
    }

    /// A policy the command adds: its name and the test days of each phase,
    /// each inside its phase (on site days 0 to a, at home days a+1 to a+b).
    /// A preset's name is refused, so "7+7" means one schedule everywhere.
    pub fn custom(name: &str, onsite_tests: &[u32], home_tests: &[u32]) -> Result<Policy, PolicyError> {
        let name = PolicyName::parse(name)?;
        if Policy::presets().iter().any(|p| p.name == name) {
            return Err(PolicyError::Preset(name.to_string()));
        }
        Policy::build(name, onsite_tests, home_tests)
    }

    /// The preset of that name, else the command's policy of that name among `custom`.
    pub fn lookup(name: &str, custom: &[Policy]) -> Result<Policy, PolicyError> {
        let unknown = || PolicyError::Unknown(name.trim().to_string());
        let parsed = PolicyName::parse(name).map_err(|_| unknown())?;
        Policy::preset(name).or_else(|| custom.iter().find(|p| p.name == parsed).cloned()).ok_or_else(unknown)
    }

    fn build(name: PolicyName, onsite_tests: &[u32], home_tests: &[u32]) -> Result<Policy, PolicyError> {
        let (a, b) = (name.onsite, name.home);
        Ok(Policy {
            name,
            onsite_tests: days_within(onsite_tests, 0, a)?,
            home_tests: days_within(home_tests, a + 1, a + b)?,
        })
    }

    /// The name, "a+b".
    pub fn name(&self) -> PolicyName {
        self.name
    }

    /// Days on site (a).
    pub fn onsite_days(&self) -> u32 {
        self.name.onsite
    }

    /// Days of home monitoring (b).
    pub fn home_days(&self) -> u32 {
        self.name.home
    }

    /// The on-site test days, as day numbers of the stay.
    pub fn onsite_tests(&self) -> &[u32] {
        &self.onsite_tests
    }

    /// The home-monitoring test days, as day numbers of the stay.
    pub fn home_tests(&self) -> &[u32] {
        &self.home_tests
    }
}

/// The days sorted and each once, or the first outside `first..=last`.
fn days_within(days: &[u32], first: u32, last: u32) -> Result<Vec<u32>, PolicyError> {
    if let Some(&day) = days.iter().find(|d| !(first..=last).contains(*d)) {
        return Err(PolicyError::TestDay { day, first, last });
    }
    let mut days = days.to_vec();
    days.sort_unstable();
    days.dedup();
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_presets_ship_with_their_test_days() {
        assert_eq!(Policy::preset_names(), ["7+7", "14+7", "10+7", "5+3"]);
        let p = Policy::preset("7+7").unwrap();
        assert_eq!((p.onsite_days(), p.home_days()), (7, 7));
        assert_eq!(p.onsite_tests(), [1, 2, 3, 5, 7]);
        assert_eq!(p.home_tests(), [10, 14]);
        assert_eq!(Policy::preset("14+7").unwrap().home_tests(), [16, 21]);
        assert_eq!(Policy::preset("5+3").unwrap().onsite_tests(), [1, 2, 3, 5]);
        assert_eq!(Policy::preset("９+９"), None);
    }

    #[test]
    fn every_preset_tests_on_its_last_on_site_day() {
        for p in Policy::presets() {
            assert_eq!(p.onsite_tests().last(), Some(&p.onsite_days()), "{}", p.name());
        }
    }

    #[test]
    fn a_name_reads_as_people_type_it() {
        assert_eq!(PolicyName::parse(" 7 + 7 ").unwrap().to_string(), "7+7");
        assert_eq!(PolicyName::parse("１４＋７").unwrap(), PolicyName::new(14, 7).unwrap());
        assert_eq!(PolicyName::parse("21+0").unwrap().home_days(), 0);
        for bad in ["7", "7+", "+7", "7+7+7", "a+b", "7.5+7", "-1+7", ""] {
            assert!(matches!(PolicyName::parse(bad), Err(PolicyError::Name(_))), "{bad}");
        }
    }

    #[test]
    fn a_policy_has_at_least_one_day_on_site_and_no_phase_over_the_limit() {
        assert_eq!(PolicyName::parse("0+7"), Err(PolicyError::Days));
        assert_eq!(PolicyName::parse("61+7"), Err(PolicyError::Days));
        assert_eq!(PolicyName::parse("7+61"), Err(PolicyError::Days));
        assert_eq!(PolicyName::parse("99999999999+1"), Err(PolicyError::Days));
        assert!(PolicyName::parse("60+60").is_ok());
    }

    #[test]
    fn a_custom_policy_keeps_its_test_days_inside_their_phases() {
        let p = Policy::custom("3+4", &[3, 1, 1], &[7, 5]).unwrap();
        assert_eq!(p.onsite_tests(), [1, 3], "sorted, each once");
        assert_eq!(p.home_tests(), [5, 7]);
        assert!(Policy::custom("3+4", &[0], &[]).is_ok(), "a test on the day of arrival");
        assert_eq!(Policy::custom("3+4", &[4], &[]), Err(PolicyError::TestDay { day: 4, first: 0, last: 3 }));
        assert_eq!(Policy::custom("3+4", &[1], &[3]), Err(PolicyError::TestDay { day: 3, first: 4, last: 7 }));
        assert_eq!(Policy::custom("3+4", &[1], &[8]), Err(PolicyError::TestDay { day: 8, first: 4, last: 7 }));
        assert_eq!(Policy::custom("3+0", &[1], &[4]), Err(PolicyError::TestDay { day: 4, first: 4, last: 3 }));
        assert_eq!(Policy::custom("7 + 7", &[1], &[]), Err(PolicyError::Preset("7+7".into())));
    }

    #[test]
    fn a_policy_is_looked_up_among_the_presets_then_the_commands_own() {
        let own = [Policy::custom("21+7", &[1, 7, 14, 21], &[28]).unwrap()];
        assert_eq!(Policy::lookup("7+7", &own).unwrap(), Policy::preset("7+7").unwrap());
        assert_eq!(Policy::lookup("21 + 7", &own).unwrap(), own[0]);
        assert_eq!(Policy::lookup("3+3", &own), Err(PolicyError::Unknown("3+3".into())));
        assert_eq!(Policy::lookup("seven", &own), Err(PolicyError::Unknown("seven".into())));
    }

    #[test]
    fn refusals_carry_the_numbers_to_word_them() {
        let r = Refusal::from(PolicyError::TestDay { day: 9, first: 0, last: 7 });
        assert_eq!(r.to_string(), "quarantine-policy-test-day day=9 first=0 last=7");
        assert_eq!(Refusal::from(PolicyError::Days).to_string(), "quarantine-policy-days max=60");
    }
}

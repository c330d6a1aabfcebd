//! Health checks of a stay (健康监测): a temperature twice a day and the
//! symptoms of a fixed list, recorded by the medical group (or the manager)
//! or by the person on their own page, and the one rule that turns a check
//! into an alert for the medical group and the site manager.

use serde::{Deserialize, Serialize};

use super::site::{Group, SiteRole};
use crate::values::fold_width;
use crate::{Key, Refusal};

/// The lowest temperature taken as a reading (°C, tenths): below it the
/// thermometer was not held right, not a person's temperature.
pub const MIN_TENTHS: i32 = 340;
/// The highest temperature taken as a reading (°C, tenths).
pub const MAX_TENTHS: i32 = 430;
/// A fever from this temperature on (≥ 37.3 °C, the rule used at sites), in tenths.
pub const FEVER_TENTHS: i32 = 373;

/// A body temperature in °C to one decimal, inside the plausible range.
/// Held as tenths so that 37.3 is exactly 37.3 and the fever rule has no
/// rounding edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Temperature(i32);

impl Temperature {
    /// Reads "37.3", "37,3", "37" or "３７．３" (with or without °C / ℃);
    /// more than one decimal or outside 34.0–43.0 is refused.
    pub fn parse(input: &str) -> Result<Temperature, Refusal> {
        let refused = || {
            Key::QuarantineTemperature
                .with("value", input.trim())
                .with("min", Temperature(MIN_TENTHS).to_string())
                .with("max", Temperature(MAX_TENTHS).to_string())
        };
        let folded = fold_width(input).replace('，', ",").replace('。', ".");
        let t = folded.trim().trim_end_matches("°C").trim_end_matches('℃').trim_end_matches('°').trim();
        let t = t.replace(',', ".");
        let (whole, tenth) = match t.split_once('.') {
            Some((w, d)) if d.len() == 1 => (w, d),
            Some(_) => return Err(refused()),
            None => (t.as_str(), "0"),
        };
        let digits = |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !digits(tenth) {
            return Err(refused());
        }
        let tenths = whole.parse::<i32>().map_err(|_| refused())? * 10 + tenth.parse::<i32>().map_err(|_| refused())?;
        Temperature::from_tenths(tenths).ok_or_else(refused)
    }

    /// A stored reading, if it is in range.
    pub fn from_tenths(tenths: i32) -> Option<Temperature> {
        (MIN_TENTHS..=MAX_TENTHS).contains(&tenths).then_some(Temperature(tenths))
    }

    /// Tenths of a degree, as stored.
    pub fn tenths(self) -> i32 {
        self.0
    }

    /// The fever rule, written once: 37.3 °C and above.
    pub fn is_fever(self) -> bool {
        self.0 >= FEVER_TENTHS
    }
}

impl std::fmt::Display for Temperature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

/// A symptom of the fixed list a check ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Symptom {
    /// 咳嗽.
    Cough,
    /// 咽痛.
    SoreThroat,
    /// 乏力.
    Fatigue,
    /// 嗅觉或味觉减退.
    LossOfSmellTaste,
    /// 呼吸困难.
    ShortnessOfBreath,
    /// 腹泻.
    Diarrhoea,
    /// 其他.
    Other,
}

impl Symptom {
    /// Every symptom, in the order forms list them.
    pub const ALL: [Symptom; 7] = [
        Symptom::Cough,
        Symptom::SoreThroat,
        Symptom::Fatigue,
        Symptom::LossOfSmellTaste,
        Symptom::ShortnessOfBreath,
        Symptom::Diarrhoea,
        Symptom::Other,
    ];

    /// The stored key (and the locale key after `symptom-`).
    pub fn as_str(self) -> &'static str {
        match self {
            Symptom::Cough => "cough",
            Symptom::SoreThroat => "sore-throat",
            Symptom::Fatigue => "fatigue",
            Symptom::LossOfSmellTaste => "loss-of-smell-taste",
            Symptom::ShortnessOfBreath => "shortness-of-breath",
            Symptom::Diarrhoea => "diarrhoea",
            Symptom::Other => "other",
        }
    }

    /// Reads a key; anything else is refused.
    pub fn parse(input: &str) -> Result<Symptom, Refusal> {
        let t = input.trim();
        Symptom::ALL.into_iter().find(|s| s.as_str() == t).ok_or_else(|| Key::QuarantineSymptomUnknown.with("value", t))
    }

    /// A set of symptoms as stored: keys in list order, comma-separated, each once.
    pub fn join(symptoms: &[Symptom]) -> String {
        let mut v = symptoms.to_vec();
        v.sort();
        v.dedup();
        v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
    }

    /// Reads a stored set back (a key edited by hand is dropped).
    pub fn split(stored: &str) -> Vec<Symptom> {
        stored.split(',').filter_map(|s| Symptom::parse(s).ok()).collect()
    }
}

/// Which of the day's two checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Slot {
    /// 上午.
    Morning,
    /// 下午.
    Afternoon,
}

impl Slot {
    /// Both slots.
    pub const ALL: [Slot; 2] = [Slot::Morning, Slot::Afternoon];

    /// The stored key.
    pub fn as_str(self) -> &'static str {
        match self {
            Slot::Morning => "morning",
            Slot::Afternoon => "afternoon",
        }
    }

    /// Reads a key.
    pub fn parse(input: &str) -> Result<Slot, Refusal> {
        let t = input.trim();
        Slot::ALL.into_iter().find(|s| s.as_str() == t).ok_or_else(|| Key::QuarantineSlotUnknown.with("value", t))
    }

    /// The slot a local time of day falls in: the morning check before noon.
    pub fn at(local: chrono::NaiveTime) -> Slot {
        use chrono::Timelike;
        if local.hour() < 12 { Slot::Morning } else { Slot::Afternoon }
    }
}

/// Who took a check: kept apart, so a person's own reading never stands in
/// for (or clashes with) the medical group's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The medical group or the manager.
    Staff,
    /// The person on their own page.
    #[serde(rename = "self")]
    SelfReport,
}

impl Source {
    /// The stored key.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Staff => "staff",
            Source::SelfReport => "self",
        }
    }

    /// Reads the stored key back.
    pub fn parse(s: &str) -> Option<Source> {
        [Source::Staff, Source::SelfReport].into_iter().find(|x| x.as_str() == s)
    }
}

/// One check's reading: the temperature and the symptoms ticked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reading {
    /// The temperature.
    pub temperature: Temperature,
    /// The symptoms, in list order, each once.
    pub symptoms: Vec<Symptom>,
}

impl Reading {
    /// A reading; symptoms are put in list order and each kept once.
    pub fn new(temperature: Temperature, symptoms: &[Symptom]) -> Reading {
        Reading { temperature, symptoms: Symptom::split(&Symptom::join(symptoms)) }
    }

    /// Whether this reading alerts the medical group and the manager: a fever or any symptom.
    pub fn alerts(&self) -> bool {
        self.temperature.is_fever() || !self.symptoms.is_empty()
    }
}

/// What a check that comes in does, given the one already recorded for the
/// same person, day, slot and source. The same reading again (a double tap, a
/// form sent twice) changes nothing; a different one is refused, never
/// written over the first — as results are: a reading that raised an alert
/// must not vanish because someone typed again, and a correction is a
/// person's decision (they add a note or take the next slot's check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checking {
    /// The first of that slot: written.
    New,
    /// The same reading again: nothing changes.
    Same,
    /// A different reading for the same slot: not written.
    Conflict {
        /// The temperature already recorded.
        recorded: Temperature,
    },
}

/// Judges a reading against the one already recorded for the same slot.
pub fn judge(recorded: Option<&Reading>, new: &Reading) -> Checking {
    match recorded {
        None => Checking::New,
        Some(r) if r == new => Checking::Same,
        Some(r) => Checking::Conflict { recorded: r.temperature },
    }
}

impl SiteRole {
    /// Whether this role takes health checks and acknowledges their alerts:
    /// the manager and the medical group (the CDC group reads them, for its
    /// decisions on positives, but does not take temperatures).
    pub fn records_health(self) -> bool {
        matches!(self, SiteRole::Manager | SiteRole::Member(Group::Medical))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quarantine::site::Sight;

    fn t(s: &str) -> Temperature {
        Temperature::parse(s).unwrap()
    }

    #[test]
    fn a_fever_starts_at_37_3_and_not_a_tenth_below() {
        assert!(!t("37.2").is_fever());
        assert!(t("37.3").is_fever());
        assert!(t("39").is_fever());
        assert!(!t("36.5").is_fever());
    }

    #[test]
    fn temperatures_are_read_as_people_write_them_and_out_of_range_is_refused() {
        assert_eq!(t("36.6").tenths(), 366);
        assert_eq!(t(" 37,3 ").tenths(), 373);
        assert_eq!(t("３７．１").tenths(), 371);
        assert_eq!(t("36.8℃").tenths(), 368);
        assert_eq!(t("37").to_string(), "37.0");
        assert_eq!(t("34.0").tenths(), MIN_TENTHS);
        assert_eq!(t("43.0").tenths(), MAX_TENTHS);
        for bad in ["33.9", "43.1", "", "abc", "36.65", "-37", "3 7", "370", "37."] {
            let r = Temperature::parse(bad).unwrap_err();
            assert_eq!(r.key, Key::QuarantineTemperature, "{bad}");
        }
        assert_eq!(
            Temperature::parse("50").unwrap_err().to_string(),
            "quarantine-temperature value=50 min=34.0 max=43.0"
        );
    }

    #[test]
    fn symptoms_are_of_the_list_and_stored_in_its_order_once() {
        for s in Symptom::ALL {
            assert_eq!(Symptom::parse(s.as_str()), Ok(s));
        }
        assert_eq!(Symptom::parse("headache").unwrap_err().key, Key::QuarantineSymptomUnknown);
        let stored = Symptom::join(&[Symptom::Other, Symptom::Cough, Symptom::Other]);
        assert_eq!(stored, "cough,other");
        assert_eq!(Symptom::split(&stored), [Symptom::Cough, Symptom::Other]);
        assert_eq!(Symptom::split(""), []);
    }

    #[test]
    fn a_fever_or_any_symptom_alerts_and_nothing_else_does() {
        assert!(!Reading::new(t("37.2"), &[]).alerts());
        assert!(Reading::new(t("37.3"), &[]).alerts());
        assert!(Reading::new(t("36.5"), &[Symptom::Fatigue]).alerts());
    }

    #[test]
    fn the_same_reading_again_changes_nothing_and_a_different_one_is_refused() {
        let a = Reading::new(t("36.6"), &[Symptom::Cough]);
        assert_eq!(judge(None, &a), Checking::New);
        assert_eq!(judge(Some(&a), &Reading::new(t("36.6"), &[Symptom::Cough, Symptom::Cough])), Checking::Same);
        assert_eq!(judge(Some(&a), &Reading::new(t("36.6"), &[])), Checking::Conflict { recorded: t("36.6") });
        assert_eq!(judge(Some(&a), &Reading::new(t("38.0"), &[])), Checking::Conflict { recorded: t("36.6") });
    }

    #[test]
    fn slots_split_the_day_at_noon_and_only_the_medical_group_and_manager_record() {
        let at = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(Slot::at(at(11, 59)), Slot::Morning);
        assert_eq!(Slot::at(at(12, 0)), Slot::Afternoon);
        assert_eq!(Slot::at(at(0, 0)), Slot::Morning);
        assert_eq!(Slot::parse("evening").unwrap_err().key, Key::QuarantineSlotUnknown);
        for g in Group::ALL {
            let role = SiteRole::Member(g);
            assert_eq!(role.records_health(), g == Group::Medical, "{g:?}");
            // Whoever records checks sees them.
            assert!(!role.records_health() || role.may_see(Sight::HealthChecks));
        }
        assert!(SiteRole::Manager.records_health());
        assert_eq!(Source::parse(Source::SelfReport.as_str()), Some(Source::SelfReport));
    }
}

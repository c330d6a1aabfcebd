//! Duty rosters (值守排班): shifts at a checkpoint built a week at a time from
//! a pattern, such as three 8-hour shifts a day. Shift times are local wall
//! times of the deployment's zone, stored as UTC instants.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::clock::Zone;
use crate::{Actor, Capability};

/// Whether an actor may build and staff a squad's roster: a roster editor
/// (the squad's leader, its unit, the command) of a squad still posted.
pub fn may_edit_roster(actor: &Actor, squad_ended: bool) -> bool {
    actor.can(Capability::EditRosters) && !squad_ended
}

/// How a day is cut into shifts: the local start times, each shift lasting
/// until the next; the first start is where a day's roster begins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftPattern {
    starts: Vec<NaiveTime>,
}

/// Why a pattern is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// No shifts, or more than 24.
    #[error("a day has 1 to 24 shifts")]
    Count,
    /// A start time is not HH:MM.
    #[error("`{0}` is not a time of day (HH:MM)")]
    Time(String),
    /// Two shifts start at the same time.
    #[error("two shifts start at the same time")]
    Duplicate,
}

impl From<PatternError> for crate::Refusal {
    fn from(_: PatternError) -> crate::Refusal {
        crate::Key::DutyBadPattern.into()
    }
}

impl ShiftPattern {
    /// `n` equal shifts starting at `first` (three 8-hour shifts from 08:00, say).
    pub fn equal(n: u32, first: NaiveTime) -> Result<ShiftPattern, PatternError> {
        if n == 0 || n > 24 || 24 % n != 0 {
            return Err(PatternError::Count);
        }
        let step = 24 / n;
        Ok(ShiftPattern { starts: (0..n).map(|i| first + Duration::hours(i64::from(i * step))).collect() })
    }

    /// Parses start times such as `08:00,16:00,00:00`.
    pub fn parse(s: &str) -> Result<ShiftPattern, PatternError> {
        let mut starts = s
            .split([',', '，', ' '])
            .filter(|p| !p.trim().is_empty())
            .map(|p| NaiveTime::parse_from_str(p.trim(), "%H:%M").map_err(|_| PatternError::Time(p.trim().to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        if starts.is_empty() || starts.len() > 24 {
            return Err(PatternError::Count);
        }
        let first = starts[0];
        starts.sort();
        if starts.windows(2).any(|w| w[0] == w[1]) {
            return Err(PatternError::Duplicate);
        }
        // Keep the written first start first: "08:00,16:00,00:00" begins its day at 08:00.
        let at = starts.iter().position(|t| *t == first).unwrap_or(0);
        starts.rotate_left(at);
        Ok(ShiftPattern { starts })
    }

    /// When a roster day begins: the first shift's start.
    pub fn day_start(&self) -> NaiveTime {
        self.starts[0]
    }

    /// The shifts of `days` local days from `first_day`, as UTC `(start, end)` pairs.
    pub fn shifts(&self, first_day: NaiveDate, days: u32, zone: Zone) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let mut starts: Vec<DateTime<Utc>> = Vec::new();
        for d in 0..=days {
            let day = first_day + Duration::days(i64::from(d));
            for t in &self.starts {
                starts.push(zone.instant(day.and_time(*t)));
            }
        }
        starts.sort();
        // The range runs from the pattern's first start on the first day to the same time `days` later.
        let from = zone.instant(first_day.and_time(self.starts[0]));
        let to = zone.instant((first_day + Duration::days(i64::from(days))).and_time(self.starts[0]));
        starts.windows(2).filter(|w| w[0] >= from && w[0] < to).map(|w| (w[0], w[1])).collect()
    }
}

/// Whether an instant falls within a shift (start inclusive, end exclusive).
pub fn on_duty(start: DateTime<Utc>, end: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    start <= now && now < end
}

/// Whether two shifts overlap in time (touching ends do not).
pub fn overlaps(a: (DateTime<Utc>, DateTime<Utc>), b: (DateTime<Utc>, DateTime<Utc>)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Staffs a run of time slots across several checkpoints, `per_shift` people
/// at each, taking members in turn so the work and the rest are shared evenly.
/// Nobody stands at two checkpoints in the same slot: with too few members a
/// slot's later checkpoints get fewer people, or nobody (and are then flagged
/// as empty). Returns `[slot][checkpoint] -> members`.
pub fn rotate<T: Copy>(slots: usize, checkpoints: usize, members: &[T], per_shift: usize) -> Vec<Vec<Vec<T>>> {
    let mut next = 0;
    (0..slots)
        .map(|_| {
            // At most every member once per slot.
            let mut left = members.len();
            (0..checkpoints)
                .map(|_| {
                    let take = per_shift.min(left);
                    left -= take;
                    (0..take)
                        .map(|_| {
                            let m = members[next % members.len()];
                            next += 1;
                            m
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// A shift with nobody on it is flagged on the roster.
pub fn is_empty_shift(members: usize) -> bool {
    members == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").unwrap()
    }

    #[test]
    fn three_eight_hour_shifts_make_21_in_a_week_without_gaps() {
        let p = ShiftPattern::equal(3, t("08:00")).unwrap();
        let day = NaiveDate::from_ymd_opt(2022, 12, 1).unwrap();
        let shifts = p.shifts(day, 7, Zone::default());
        assert_eq!(shifts.len(), 21);
        // 08:00 in Shanghai is 00:00 UTC.
        assert_eq!(shifts[0].0.to_rfc3339(), "2022-12-01T00:00:00+00:00");
        assert!(shifts.windows(2).all(|w| w[0].1 == w[1].0), "each shift ends when the next starts");
        assert!(shifts.iter().all(|(s, e)| *e - *s == Duration::hours(8)));
    }

    #[test]
    fn patterns_parse_and_refuse_bad_times() {
        assert!(ShiftPattern::parse("00:00, 08:00,16:00").is_ok());
        let from_eight = ShiftPattern::parse("08:00,16:00,00:00").unwrap();
        assert_eq!(from_eight, ShiftPattern::equal(3, t("08:00")).unwrap());
        assert_eq!(ShiftPattern::parse("25:00"), Err(PatternError::Time("25:00".into())));
        assert_eq!(ShiftPattern::parse("08:00,08:00"), Err(PatternError::Duplicate));
        assert_eq!(ShiftPattern::parse(""), Err(PatternError::Count));
        assert_eq!(ShiftPattern::equal(5, t("00:00")), Err(PatternError::Count));
    }

    #[test]
    fn rotation_shares_shifts_evenly_and_never_doubles_a_member_in_a_slot() {
        let members: Vec<u32> = (0..17).collect();
        let plan = rotate(21, 2, &members, 2);
        assert_eq!(plan.len(), 21);
        for slot in &plan {
            let mut seen: Vec<u32> = slot.iter().flatten().copied().collect();
            assert_eq!(seen.len(), 4);
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), 4, "nobody at two gates at once: {slot:?}");
        }
        let mut counts = [0; 17];
        plan.iter().flatten().flatten().for_each(|m| counts[*m as usize] += 1);
        let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(hi - lo <= 1, "even shares: {counts:?}");
    }

    #[test]
    fn too_few_members_leave_later_checkpoints_short_and_none_leave_all_empty() {
        let plan = rotate(3, 2, &[1, 2, 3], 2);
        assert!(plan.iter().all(|slot| slot[0].len() == 2 && slot[1].len() == 1));
        let none: Vec<Vec<Vec<u8>>> = rotate(3, 2, &[], 2);
        assert!(none.iter().flatten().all(|c| is_empty_shift(c.len())));
    }

    #[test]
    fn shifts_that_only_touch_do_not_overlap() {
        let s: DateTime<Utc> = "2022-12-01T00:00:00Z".parse().unwrap();
        let h = Duration::hours(8);
        assert!(!overlaps((s, s + h), (s + h, s + h + h)));
        assert!(overlaps((s, s + h), (s + Duration::hours(4), s + h + h)));
        assert!(overlaps((s, s + h + h), (s + Duration::hours(1), s + Duration::hours(2))));
    }

    #[test]
    fn on_duty_includes_the_start_and_not_the_end() {
        let s: DateTime<Utc> = "2022-12-01T00:00:00Z".parse().unwrap();
        let e = s + Duration::hours(8);
        assert!(on_duty(s, e, s));
        assert!(!on_duty(s, e, e));
    }
}

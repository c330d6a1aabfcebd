//! A person's test result on one of their test days (核酸结果): negative or
//! positive, read as labs and the CDC group write it, and the one rule for a
//! result that comes again: the same result changes nothing, a different one
//! is never written over the first but refused for a person to decide.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::manifest::{Passport, parse_date_cell};

use crate::values::{fold_width, header_key};
use crate::{Key, Refusal};

/// A test's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestResult {
    /// 阴性.
    Negative,
    /// 阳性.
    Positive,
}

impl TestResult {
    /// The stored key.
    pub fn as_str(self) -> &'static str {
        match self {
            TestResult::Negative => "negative",
            TestResult::Positive => "positive",
        }
    }

    /// Reads a result: 阴性/阳性, negative/positive, neg/pos, -/+ (full width too).
    pub fn parse(input: &str) -> Result<TestResult, Refusal> {
        let t = fold_width(input).trim().to_lowercase();
        match t.as_str() {
            "阴性" | "阴" | "negative" | "neg" | "-" => Ok(TestResult::Negative),
            "阳性" | "阳" | "positive" | "pos" | "+" => Ok(TestResult::Positive),
            _ => Err(Key::QuarantineResultUnknown.with("value", input.trim())),
        }
    }
}

/// What a result that comes in does, given the one already recorded for that person and day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recording {
    /// The first result of that day: written.
    New,
    /// The same result again (a lab's file sent twice): nothing changes.
    Same,
    /// A different result for the same day: not written; a person decides.
    Conflict {
        /// The result already recorded.
        recorded: TestResult,
    },
}

/// Judges a result against the one already recorded for the same person and day.
pub fn judge(recorded: Option<TestResult>, new: TestResult) -> Recording {
    match recorded {
        None => Recording::New,
        Some(r) if r == new => Recording::Same,
        Some(recorded) => Recording::Conflict { recorded },
    }
}

/// A column of a results file (as labs and the CDC group send them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultField {
    /// 护照号 passport.
    Passport,
    /// 检测日期 day: the test day, a local date.
    Day,
    /// 结果 result.
    Result,
}

impl ResultField {
    /// Every column, in the order of the file's template.
    pub const ALL: [ResultField; 3] = [ResultField::Passport, ResultField::Day, ResultField::Result];

    /// The English key.
    pub fn key(self) -> &'static str {
        match self {
            ResultField::Passport => "passport",
            ResultField::Day => "day",
            ResultField::Result => "result",
        }
    }

    /// The Chinese header.
    pub fn zh(self) -> &'static str {
        match self {
            ResultField::Passport => "护照号",
            ResultField::Day => "检测日期",
            ResultField::Result => "结果",
        }
    }

    /// The column a header names: Chinese, English, or both ("护照号 passport").
    pub fn from_header(header: &str) -> Option<ResultField> {
        let h = header_key(header);
        ResultField::ALL.into_iter().find(|f| {
            let (zh, en) = (header_key(f.zh()), header_key(f.key()));
            h == zh || h == en || h == format!("{zh}{en}") || (*f == ResultField::Day && h == "testday")
        })
    }
}

/// Where a results file keeps each column.
#[derive(Debug, Clone, Copy)]
pub struct ResultColumns([usize; 3]);

/// One row of a results file, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultRow {
    /// Whose result.
    pub passport: Passport,
    /// The test day.
    pub day: NaiveDate,
    /// Negative or positive.
    pub result: TestResult,
}

impl ResultColumns {
    /// Finds the three columns; each missing one is refused.
    pub fn locate<S: AsRef<str>>(headers: &[S]) -> Result<ResultColumns, Vec<Refusal>> {
        let find = |f: ResultField| headers.iter().position(|h| ResultField::from_header(h.as_ref()) == Some(f));
        let at: Vec<Option<usize>> = ResultField::ALL.iter().map(|f| find(*f)).collect();
        let missing: Vec<Refusal> = ResultField::ALL
            .iter()
            .zip(&at)
            .filter(|(_, i)| i.is_none())
            .map(|(f, _)| Key::QuarantineResultsColumnMissing.with("field", format!("{} {}", f.zh(), f.key())))
            .collect();
        match (at.as_slice(), missing.is_empty()) {
            ([Some(p), Some(d), Some(r)], true) => Ok(ResultColumns([*p, *d, *r])),
            _ => Err(missing),
        }
    }

    /// The cell of a column in a row ("" when the row is short).
    pub fn cell<'a, S: AsRef<str>>(&self, row: &'a [S], field: ResultField) -> &'a str {
        let i = self.0[field as usize];
        row.get(i).map_or("", AsRef::as_ref)
    }

    /// Parses a row; each bad cell is refused with its column.
    pub fn row<S: AsRef<str>>(&self, row: &[S]) -> Result<ResultRow, Vec<(ResultField, Refusal)>> {
        let mut bad = Vec::new();
        let passport = Passport::parse(self.cell(row, ResultField::Passport))
            .map_err(|e| bad.push((ResultField::Passport, e.into())))
            .ok();
        let day_cell = self.cell(row, ResultField::Day);
        let day = parse_date_cell(day_cell)
            .ok_or_else(|| bad.push((ResultField::Day, Key::QuarantineResultDay.with("value", day_cell.trim()))))
            .ok();
        let result =
            TestResult::parse(self.cell(row, ResultField::Result)).map_err(|r| bad.push((ResultField::Result, r))).ok();
        match (passport, day, result) {
            (Some(passport), Some(day), Some(result)) => Ok(ResultRow { passport, day, result }),
            _ => Err(bad),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_results_file_is_read_by_chinese_or_english_headers_and_each_bad_cell_is_named() {
        let cols = ResultColumns::locate(&["结果", "护照号 passport", "day"]).unwrap();
        let row = cols.row(&["阳性", "751000001", "2026-09-18 00:00:00"]).unwrap();
        assert_eq!(
            (row.passport.as_str(), row.day.to_string(), row.result),
            ("751000001", "2026-09-18".into(), TestResult::Positive)
        );
        let serial = cols.row(&["negative", "751000001", "46283"]).unwrap();
        assert_eq!(serial.day.to_string(), "2026-09-18", "an Excel date cell");
        let bad = cols.row(&["maybe", "!", "yesterday"]).unwrap_err();
        let fields: Vec<ResultField> = bad.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, vec![ResultField::Passport, ResultField::Day, ResultField::Result]);
        let missing = ResultColumns::locate(&["passport", "结果"]).unwrap_err();
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].key, Key::QuarantineResultsColumnMissing);
    }

    #[test]
    fn results_read_as_labs_write_them() {
        for s in ["阴性", " negative ", "NEG", "－"] {
            assert_eq!(TestResult::parse(s), Ok(TestResult::Negative), "{s}");
        }
        for s in ["阳性", "Positive", "＋"] {
            assert_eq!(TestResult::parse(s), Ok(TestResult::Positive), "{s}");
        }
        assert_eq!(TestResult::parse("待定").unwrap_err().key, Key::QuarantineResultUnknown);
    }

    #[test]
    fn the_same_result_again_changes_nothing_and_a_different_one_is_a_conflict() {
        use TestResult::*;
        assert_eq!(judge(None, Positive), Recording::New);
        assert_eq!(judge(Some(Negative), Negative), Recording::Same);
        assert_eq!(judge(Some(Negative), Positive), Recording::Conflict { recorded: Negative });
        assert_eq!(judge(Some(Positive), Negative), Recording::Conflict { recorded: Positive });
    }
}

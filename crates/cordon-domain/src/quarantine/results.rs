//! A person's test result on one of their test days (核酸结果): negative or
//! positive, read as labs and the CDC group write it, and the one rule for a
//! result that comes again: the same result changes nothing, a different one
//! is never written over the first but refused for a person to decide.

use serde::{Deserialize, Serialize};

use crate::values::fold_width;
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

#[cfg(test)]
mod tests {
    use super::*;

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

//! Mainland mobile phone numbers.

use serde::{Serialize, Serializer};
use std::fmt;

use super::{fold_width, mask};

/// An 11-digit mainland mobile number (1, then 3–9, then nine digits).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

/// Why a text is not a mobile number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Not 11 digits after removing spaces, dashes and +86.
    #[error("a mobile number has 11 digits")]
    Length,
    /// Does not start 13–19.
    #[error("a mobile number starts with 13 to 19")]
    Prefix,
    /// Letters or other characters.
    #[error("a mobile number has only digits")]
    Characters,
}

impl Phone {
    /// Parses a number as people type it: spaces, dashes and a +86 or 0086 prefix are allowed.
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        let folded = fold_width(input);
        let mut digits: String = folded.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
        if let Some(rest) = digits.strip_prefix("+86").or_else(|| digits.strip_prefix("0086")) {
            digits = rest.to_string();
        }
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(PhoneError::Characters);
        }
        if digits.len() != 11 {
            return Err(PhoneError::Length);
        }
        let b = digits.as_bytes();
        if b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
            return Err(PhoneError::Prefix);
        }
        Ok(Phone(digits))
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form shown until someone reveals it: 138****1234.
    pub fn masked(&self) -> String {
        mask(&self.0, 3, 4)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

impl Serialize for Phone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn typed_forms_normalise_to_eleven_digits() {
        assert_eq!(Phone::parse("+86 138-0000-1234").unwrap().as_str(), "13800001234");
        assert_eq!(Phone::parse("１３８００００１２３４").unwrap().as_str(), "13800001234");
    }

    #[test]
    fn bad_numbers_are_rejected_with_a_reason() {
        assert_eq!(Phone::parse("1380000123"), Err(PhoneError::Length));
        assert_eq!(Phone::parse("12800001234"), Err(PhoneError::Prefix));
        assert_eq!(Phone::parse("1380000123a"), Err(PhoneError::Characters));
    }

    #[test]
    fn masked_form_hides_the_middle() {
        assert_eq!(Phone::parse("13800001234").unwrap().masked(), "138****1234");
    }

    proptest! {
        #[test]
        fn every_valid_number_round_trips(second in 3u8..=9, rest in 0u64..1_000_000_000) {
            let s = format!("1{second}{rest:09}");
            let parsed = Phone::parse(&s).unwrap();
            prop_assert_eq!(parsed.as_str(), s.as_str());
        }

        #[test]
        fn a_changed_length_is_rejected(second in 3u8..=9, rest in 0u64..1_000_000_000, extra in 0u8..10) {
            let longer = format!("1{second}{rest:09}{extra}");
            prop_assert!(Phone::parse(&longer).is_err());
            let shorter = format!("1{second}{rest:09}");
            prop_assert!(Phone::parse(&shorter[..10]).is_err());
        }

        #[test]
        fn a_letter_in_place_of_a_digit_is_rejected(second in 3u8..=9, rest in 0u64..1_000_000_000, pos in 0usize..11) {
            let mut s = format!("1{second}{rest:09}").into_bytes();
            s[pos] = b'a';
            prop_assert!(Phone::parse(&String::from_utf8(s).unwrap()).is_err());
        }
    }
}

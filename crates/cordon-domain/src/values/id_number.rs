//! The resident identity card number of GB 11643-1999.

use chrono::NaiveDate;
use serde::{Serialize, Serializer};
use std::fmt;

use super::{Sex, fold_width, mask};

/// An 18-character citizen ID number whose checksum, birth date and form are valid.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

/// Why a text is not an ID number; each variant is something a clerk can fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    /// Not 18 characters.
    #[error("an ID number has 18 characters, this has {0}")]
    Length(usize),
    /// A character other than a digit (or a final X).
    #[error("an ID number has only digits and may end in X")]
    Characters,
    /// Characters 7 to 14 are not a real date.
    #[error("the birth date inside the ID number is not a real date")]
    BirthDate,
    /// The last character does not match the other 17.
    #[error("the check character does not match: a digit is wrong")]
    Checksum,
    /// The number was kept as a number by a spreadsheet, which holds 15
    /// significant digits: written in exponent form (2.30104E+17) or with its
    /// last three digits turned to zeros (230104197504092000).
    #[error("the ID number was saved as a number and lost its last digits: format the column as text")]
    LostDigits,
    /// The masked form an export without full numbers holds (`**************002X`).
    #[error("the ID number is masked: export with full numbers to edit and import the file again")]
    Masked,
}

/// Whether a cell holds a number as a spreadsheet writes one it keeps as a
/// number: exponent form (`2.30104E+17`) or a decimal point (`230104197504092000.0`).
fn saved_as_number(s: &str) -> bool {
    let (mantissa, exponent) = match s.split_once('E') {
        Some((m, e)) => (m, Some(e.strip_prefix('+').unwrap_or(e))),
        None => (s, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    digits(whole)
        && fraction.is_none_or(digits)
        && exponent.is_none_or(digits)
        && (exponent.is_some() || fraction.is_some())
}

/// Weights of GB 11643: 2^(17-i) mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

impl IdNumber {
    /// Parses a typed or imported ID number; full-width digits and a lower-case x are accepted.
    pub fn parse(input: &str) -> Result<IdNumber, IdNumberError> {
        let folded: String =
            fold_width(input).chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
        if folded.contains('*') {
            return Err(IdNumberError::Masked);
        }
        if saved_as_number(&folded) {
            return Err(IdNumberError::LostDigits);
        }
        let chars: Vec<char> = folded.chars().collect();
        if chars.len() != 18 {
            return Err(IdNumberError::Length(chars.len()));
        }
        if !chars[..17].iter().all(char::is_ascii_digit) || !(chars[17].is_ascii_digit() || chars[17] == 'X') {
            return Err(IdNumberError::Characters);
        }
        if birth_date_of(&folded).is_none() {
            return Err(IdNumberError::BirthDate);
        }
        if check_char(&folded[..17]) != chars[17] {
            // Digits 16 to 18 zeroed are what a number cell leaves of an ID
            // number; a wrong check character is then no typo to hunt for.
            return Err(if folded.ends_with("000") { IdNumberError::LostDigits } else { IdNumberError::Checksum });
        }
        Ok(IdNumber(folded))
    }

    /// Builds a valid number from the first 17 digits by computing its check
    /// character; used to make synthetic demo people.
    pub fn from_body(body: &str) -> Result<IdNumber, IdNumberError> {
        if body.len() != 17 || !body.chars().all(|c| c.is_ascii_digit()) {
            return Err(IdNumberError::Characters);
        }
        IdNumber::parse(&format!("{body}{}", check_char(body)))
    }

    /// The number as 18 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date written in characters 7 to 14.
    pub fn birth_date(&self) -> NaiveDate {
        birth_date_of(&self.0).expect("checked in parse")
    }

    /// Sex from the parity of the 17th digit (odd: male).
    pub fn sex(&self) -> Sex {
        let d = self.0.as_bytes()[16] - b'0';
        if d % 2 == 1 { Sex::Male } else { Sex::Female }
    }

    /// The form shown until someone reveals it: the last four characters only.
    /// Nothing else may show: the region prefix is public knowledge per county
    /// and the birth date is in the middle, so a prefix together with an age or
    /// a birth date would leave only a few numbers to try.
    pub fn masked(&self) -> String {
        mask(&self.0, 0, 4)
    }
}

fn birth_date_of(s: &str) -> Option<NaiveDate> {
    let y: i32 = s.get(6..10)?.parse().ok()?;
    let m: u32 = s.get(10..12)?.parse().ok()?;
    let d: u32 = s.get(12..14)?.parse().ok()?;
    if y < 1880 {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

fn check_char(body: &str) -> char {
    let sum: u32 = body.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    match (12 - sum % 11) % 11 {
        10 => 'X',
        n => char::from_digit(n, 10).expect("below 10"),
    }
}

impl fmt::Debug for IdNumber {
    // Debug output lands in logs: never the whole number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl Serialize for IdNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_known_valid_number_parses_with_its_birth_date_and_sex() {
        // The standard's own worked example.
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.masked(), "**************002X");
    }

    #[test]
    fn a_lower_case_x_and_full_width_digits_are_accepted() {
        assert!(IdNumber::parse("11010519491231002x").is_ok());
        assert!(IdNumber::parse("１１０１０５１９４９１２３１００２Ｘ").is_ok());
    }

    #[test]
    fn bad_forms_are_told_apart() {
        assert_eq!(IdNumber::parse("123"), Err(IdNumberError::Length(3)));
        assert_eq!(IdNumber::parse("11010519491231002Y"), Err(IdNumberError::Characters));
        assert_eq!(IdNumber::parse("110105194913310025"), Err(IdNumberError::BirthDate));
        assert_eq!(IdNumber::parse("110105194912310021"), Err(IdNumberError::Checksum));
    }

    /// What Excel, WPS and LibreOffice leave of 230104197504092101 kept in a
    /// number cell: 15 significant digits, then zeros, or the exponent form.
    #[test]
    fn a_number_a_spreadsheet_kept_as_a_number_is_told_apart_from_a_typo() {
        assert!(IdNumber::parse("230104197504092101").is_ok());
        for saved in ["230104197504092000", "2.30104E+17", "2.30104197504092e17", "230104197504092101.0", "1.5"] {
            assert_eq!(IdNumber::parse(saved), Err(IdNumberError::LostDigits), "{saved}");
        }
        // A wrong digit is still a typo, and a real number ending in 000 is fine.
        assert_eq!(IdNumber::parse("230104197504092102"), Err(IdNumberError::Checksum));
        assert!(IdNumber::parse("110108197504091000").is_ok());
        assert_eq!(IdNumber::parse("12.34.56"), Err(IdNumberError::Length(8)));
        let masked = IdNumber::parse("230104197504092101").unwrap().masked();
        assert_eq!(IdNumber::parse(&masked), Err(IdNumberError::Masked), "an export's masked form");
    }

    #[test]
    fn debug_output_never_shows_the_whole_number() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert!(!format!("{id:?}").contains("19491231"));
    }

    fn body() -> impl Strategy<Value = String> {
        (100000u32..999999, (1900i32..2025, 1u32..=12, 1u32..=28), 0u32..1000)
            .prop_map(|(region, (y, m, d), seq)| format!("{region}{y:04}{m:02}{d:02}{seq:03}"))
    }

    proptest! {
        #[test]
        fn the_masked_form_shows_the_last_four_characters_and_nothing_else(b in body()) {
            let id = IdNumber::from_body(&b).unwrap();
            let masked = id.masked();
            prop_assert_eq!(masked.chars().count(), 18);
            prop_assert!(masked[..14].chars().all(|c| c == '*'), "{}", masked);
            prop_assert_eq!(&masked[14..], &id.as_str()[14..]);
        }

        #[test]
        fn every_valid_number_round_trips(b in body()) {
            let id = IdNumber::from_body(&b).unwrap();
            let again = IdNumber::parse(id.as_str()).unwrap();
            prop_assert_eq!(again.as_str(), id.as_str());
        }

        #[test]
        fn a_changed_digit_is_rejected(b in body(), pos in 0usize..17, delta in 1u8..10) {
            let id = IdNumber::from_body(&b).unwrap();
            let mut bytes = id.as_str().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            // One changed digit either breaks the date or the checksum; GB 11643's
            // weights are all non-zero mod 11, so a single change always moves the sum.
            prop_assert!(IdNumber::parse(&changed).is_err());
        }
    }
}

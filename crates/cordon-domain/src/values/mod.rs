//! Parsed values: each type can only hold what passed its `parse`.

mod id_number;
mod name;
mod phone;

pub use id_number::{IdNumber, IdNumberError};
pub use name::{NameError, PersonName};
pub use phone::{Phone, PhoneError};

use serde::{Deserialize, Serialize};

use crate::refusals::{Key, Refusal};

/// Sex as recorded on an identity card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    /// 男
    Male,
    /// 女
    Female,
}

impl Sex {
    /// The stable key stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    /// Reads 男/女, male/female, m/f as people type them in spreadsheets.
    pub fn parse(s: &str) -> Option<Sex> {
        match s.trim().to_lowercase().as_str() {
            "男" | "male" | "m" => Some(Sex::Male),
            "女" | "female" | "f" => Some(Sex::Female),
            _ => None,
        }
    }
}

/// Characters no typed name has: control characters, and the invisible
/// marks that reorder or hide text (bidirectional overrides and isolates,
/// zero-width characters), with which a name can be made to read as another.
pub fn is_hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

impl From<NameError> for Refusal {
    fn from(e: NameError) -> Refusal {
        match e {
            NameError::Empty => Key::NameEmpty,
            NameError::TooLong => Key::NameTooLong,
            NameError::Control => Key::NameCharacters,
        }
        .into()
    }
}

impl From<PhoneError> for Refusal {
    fn from(e: PhoneError) -> Refusal {
        match e {
            PhoneError::Length => Key::PhoneLength,
            PhoneError::Prefix => Key::PhonePrefix,
            PhoneError::Characters => Key::PhoneCharacters,
        }
        .into()
    }
}

impl From<IdNumberError> for Refusal {
    fn from(e: IdNumberError) -> Refusal {
        match e {
            IdNumberError::Length(_) => Key::IdNumberLength,
            IdNumberError::Characters => Key::IdNumberCharacters,
            IdNumberError::BirthDate => Key::IdNumberBirthDate,
            IdNumberError::Checksum => Key::IdNumberChecksum,
            IdNumberError::LostDigits => Key::IdNumberLostDigits,
            IdNumberError::Masked => Key::IdNumberMasked,
        }
        .into()
    }
}

/// Folds full-width digits and letters (as Chinese input methods type them) to
/// ASCII, so `１３８` and `138` are the same input.
pub(crate) fn fold_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// Reduces a column header to what matters for matching it, so "Phone_No",
/// "phone no" and "ＰＨＯＮＥ　ＮＯ" agree: full width folded, spaces, `_`, the
/// `*` templates mark required columns with ("姓名*") and invisible marks
/// (a BOM, zero-width spaces) dropped, letters lower-cased. Every sheet's
/// headers are matched by this one rule.
pub fn header_key(header: &str) -> String {
    fold_width(header)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '*' | '\u{feff}' | '\u{200b}'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Reads yes/no as people type it: 是/否, yes/no, y/n, true/false, 1/0.
pub fn parse_yes_no(s: &str) -> Option<bool> {
    match fold_width(s).trim().to_lowercase().as_str() {
        "是" | "yes" | "y" | "true" | "1" | "党员" => Some(true),
        "否" | "no" | "n" | "false" | "0" | "" => Some(false),
        _ => None,
    }
}

/// Keeps the first `keep_start` and last `keep_end` characters and stars the rest:
/// how personal numbers are shown until someone reveals them.
pub(crate) fn mask(s: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= keep_start + keep_end {
        return "*".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < keep_start || i >= chars.len() - keep_end { *c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sex_reads_chinese_and_english() {
        assert_eq!(Sex::parse("男"), Some(Sex::Male));
        assert_eq!(Sex::parse(" Female "), Some(Sex::Female));
        assert_eq!(Sex::parse("x"), None);
    }

    #[test]
    fn yes_no_reads_chinese_and_english() {
        assert_eq!(parse_yes_no("是"), Some(true));
        assert_eq!(parse_yes_no("NO"), Some(false));
        assert_eq!(parse_yes_no("maybe"), None);
    }

    #[test]
    fn full_width_digits_fold_to_ascii() {
        assert_eq!(fold_width("１３８ＡＢ"), "138AB");
    }

    #[test]
    fn masking_keeps_the_ends() {
        assert_eq!(mask("13800001234", 3, 4), "138****1234");
        assert_eq!(mask("12", 3, 4), "**");
    }
}

//! Names of people and places as they are typed.

use serde::Serialize;
use std::fmt;

/// A trimmed, non-empty name of at most 64 characters without control characters.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PersonName(String);

/// Why a text is not a usable name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Nothing but spaces.
    #[error("the name is empty")]
    Empty,
    /// More than 64 characters.
    #[error("the name is longer than 64 characters")]
    TooLong,
    /// Control or hidden direction-changing characters, which no person's name has.
    #[error("the name has control or hidden characters")]
    Control,
}

impl PersonName {
    /// Parses a name, trimming spaces (also the full-width space).
    pub fn parse(input: &str) -> Result<PersonName, NameError> {
        let t = input.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
        if t.is_empty() {
            return Err(NameError::Empty);
        }
        if t.chars().count() > 64 {
            return Err(NameError::TooLong);
        }
        if t.chars().any(super::is_hidden_char) {
            return Err(NameError::Control);
        }
        Ok(PersonName(t.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(PersonName::parse("  张三\u{3000}").unwrap().as_str(), "张三");
        assert_eq!(PersonName::parse("   "), Err(NameError::Empty));
        assert_eq!(PersonName::parse(&"名".repeat(65)), Err(NameError::TooLong));
        assert_eq!(PersonName::parse("a\u{7}b"), Err(NameError::Control));
    }
}

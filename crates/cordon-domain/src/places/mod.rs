//! The administrative tree a compound sits in, down to the household, and the
//! checkpoints of a compound.

use serde::{Deserialize, Serialize};

/// A level of the administrative tree, from the city down to one household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlaceKind {
    /// 市
    City,
    /// 区
    District,
    /// 街道
    Street,
    /// 社区
    Community,
    /// 小区
    Compound,
    /// 楼栋
    Building,
    /// 单元
    Entrance,
    /// 户
    Household,
}

impl PlaceKind {
    /// Every level, top down.
    pub const ALL: [PlaceKind; 8] = [
        PlaceKind::City,
        PlaceKind::District,
        PlaceKind::Street,
        PlaceKind::Community,
        PlaceKind::Compound,
        PlaceKind::Building,
        PlaceKind::Entrance,
        PlaceKind::Household,
    ];

    /// The stable key stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceKind::City => "city",
            PlaceKind::District => "district",
            PlaceKind::Street => "street",
            PlaceKind::Community => "community",
            PlaceKind::Compound => "compound",
            PlaceKind::Building => "building",
            PlaceKind::Entrance => "entrance",
            PlaceKind::Household => "household",
        }
    }

    /// Reads the stored key back.
    pub fn parse(s: &str) -> Option<PlaceKind> {
        PlaceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The only kind a child of this place may be; a household has none.
    pub fn child(self) -> Option<PlaceKind> {
        let i = PlaceKind::ALL.iter().position(|k| *k == self)?;
        PlaceKind::ALL.get(i + 1).copied()
    }
}

/// A place name as typed: trimmed, non-empty, at most 64 characters, no '/'
/// (the separator of scope paths such as `道外区/仁里街道`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PlaceName(String);

/// Why a text is not a place name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceNameError {
    /// Blank.
    #[error("the name is empty")]
    Empty,
    /// Over 64 characters.
    #[error("the name is longer than 64 characters")]
    TooLong,
    /// Has a '/', a control character or a hidden direction-changing one.
    #[error("the name may not contain '/' or control or hidden characters")]
    Characters,
}

impl PlaceName {
    /// Parses a place name.
    pub fn parse(input: &str) -> Result<PlaceName, PlaceNameError> {
        let t = input.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
        if t.is_empty() {
            return Err(PlaceNameError::Empty);
        }
        if t.chars().count() > 64 {
            return Err(PlaceNameError::TooLong);
        }
        if t.chars().any(|c| c == '/' || crate::values::is_hidden_char(c)) {
            return Err(PlaceNameError::Characters);
        }
        Ok(PlaceName(t.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<PlaceNameError> for crate::Refusal {
    fn from(e: PlaceNameError) -> crate::Refusal {
        use crate::Key;
        match e {
            PlaceNameError::Empty => Key::NameEmpty,
            PlaceNameError::TooLong => Key::NameTooLong,
            PlaceNameError::Characters => Key::PlaceNameCharacters,
        }
        .into()
    }
}

/// Materialised path of a place: the ids from the root down, as `/1/5/23/`.
/// A place is inside another when its path starts with the other's path; the
/// store filters every scoped query with this one rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PlacePath(String);

impl PlacePath {
    /// The path of a root place with this id.
    pub fn root(id: i64) -> PlacePath {
        PlacePath(format!("/{id}/"))
    }

    /// The path of a child with this id.
    pub fn child(&self, id: i64) -> PlacePath {
        PlacePath(format!("{}{id}/", self.0))
    }

    /// Wraps a stored path.
    pub fn from_stored(s: String) -> PlacePath {
        PlacePath(s)
    }

    /// The stored text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` is this place or below it.
    pub fn contains(&self, other: &PlacePath) -> bool {
        other.0.starts_with(&self.0)
    }

    /// The half-open text range `[start, end)` that holds exactly this place and
    /// everything below it, so SQL can use an index (`path >= start AND path < end`).
    pub fn range(&self) -> (String, String) {
        // '0' is the character after '/', so every descendant sorts before the end.
        let end = format!("{}0", &self.0[..self.0.len() - 1]);
        (self.0.clone(), end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_level_has_one_child_level() {
        assert_eq!(PlaceKind::Street.child(), Some(PlaceKind::Community));
        assert_eq!(PlaceKind::Household.child(), None);
        for k in PlaceKind::ALL {
            assert_eq!(PlaceKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn a_path_contains_its_descendants_and_not_its_siblings() {
        let street = PlacePath::root(1).child(5);
        let compound = street.child(23);
        let other = PlacePath::root(1).child(51);
        assert!(street.contains(&compound));
        assert!(!street.contains(&other));
        let (start, end) = street.range();
        assert!(compound.as_str() >= start.as_str() && compound.as_str() < end.as_str());
        assert!(street.as_str() >= start.as_str() && street.as_str() < end.as_str());
        assert!(!(other.as_str() >= start.as_str() && other.as_str() < end.as_str()));
    }

    #[test]
    fn place_names_refuse_the_path_separator() {
        assert_eq!(PlaceName::parse("a/b"), Err(PlaceNameError::Characters));
        assert_eq!(PlaceName::parse(" 中和胡同小区 ").unwrap().as_str(), "中和胡同小区");
    }
}

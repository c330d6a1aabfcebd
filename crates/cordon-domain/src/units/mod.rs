//! Municipal units (市直单位) and the cadres they can send.

use serde::{Deserialize, Serialize};

/// Whether a cadre can be drawn for a new posting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Availability {
    /// Can be drawn.
    Available,
    /// Posted to a squad already.
    Posted,
    /// On leave, ill, or otherwise not to be drawn.
    Unavailable,
}

impl Availability {
    /// The stable key stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Available => "available",
            Availability::Posted => "posted",
            Availability::Unavailable => "unavailable",
        }
    }

    /// Reads the stored key back.
    pub fn parse(s: &str) -> Option<Availability> {
        [Availability::Available, Availability::Posted, Availability::Unavailable].into_iter().find(|a| a.as_str() == s)
    }
}

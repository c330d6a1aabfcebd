//! The control status of a compound (封控区 / 管控区 / 防范区): which of the
//! three tiers of an outbreak's measures it is under, set by the command with
//! a reason, each change kept in a history. Pure: the store keeps the history,
//! the web layer shows it.

use serde::{Deserialize, Serialize};

use crate::{Actor, Capability, Key, Refusal};

/// The tiers, from the strictest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControlStatus {
    /// 封控区: nobody leaves home; supplies are brought to the door.
    Sealed,
    /// 管控区: nobody leaves the compound.
    Controlled,
    /// 防范区: movement limited, gatherings stopped.
    Precaution,
}

impl ControlStatus {
    /// Every tier, strictest first.
    pub const ALL: [ControlStatus; 3] = [ControlStatus::Sealed, ControlStatus::Controlled, ControlStatus::Precaution];

    /// The stable key, stored and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Sealed => "sealed",
            ControlStatus::Controlled => "controlled",
            ControlStatus::Precaution => "precaution",
        }
    }

    /// The Chinese word of the notices.
    pub fn zh(self) -> &'static str {
        match self {
            ControlStatus::Sealed => "封控",
            ControlStatus::Controlled => "管控",
            ControlStatus::Precaution => "防范",
        }
    }

    /// Reads a key, or the Chinese word with or without 区.
    pub fn parse(s: &str) -> Option<ControlStatus> {
        let t = s.trim();
        let word = t.strip_suffix('区').unwrap_or(t);
        ControlStatus::ALL.into_iter().find(|c| c.as_str() == t.to_ascii_lowercase() || c.zh() == word)
    }
}

/// How long a reason may be, in characters.
pub const REASON_MAX: usize = 500;

/// Why a change of control status is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// Not one of the three tiers.
    #[error("the status must be sealed, controlled or precaution")]
    BadStatus,
    /// No reason given.
    #[error("a change of control status needs a reason")]
    NoReason,
    /// The reason is longer than `REASON_MAX`.
    #[error("the reason is longer than 500 characters")]
    LongReason,
    /// The place is not a compound.
    #[error("only a compound has a control status")]
    NotCompound,
}

impl From<ControlError> for Refusal {
    fn from(e: ControlError) -> Refusal {
        match e {
            ControlError::BadStatus => Key::ControlBadStatus,
            ControlError::NoReason => Key::ControlNoReason,
            ControlError::LongReason => Key::ControlLongReason,
            ControlError::NotCompound => Key::ControlNotCompound,
        }
        .into()
    }
}

/// The reason as it is kept: trimmed, required, at most `REASON_MAX` characters.
pub fn check_reason(reason: &str) -> Result<String, ControlError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ControlError::NoReason);
    }
    if reason.chars().count() > REASON_MAX {
        return Err(ControlError::LongReason);
    }
    Ok(reason.to_string())
}

/// Who may set a compound's control status: the command (its scope still
/// limits which compounds).
pub fn may_set(actor: &Actor) -> bool {
    actor.can(Capability::SetControl)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_reads_as_its_key_or_its_chinese_word() {
        assert_eq!(ControlStatus::parse("sealed"), Some(ControlStatus::Sealed));
        assert_eq!(ControlStatus::parse(" 管控区 "), Some(ControlStatus::Controlled));
        assert_eq!(ControlStatus::parse("防范"), Some(ControlStatus::Precaution));
        assert_eq!(ControlStatus::parse("Sealed"), Some(ControlStatus::Sealed));
        assert_eq!(ControlStatus::parse("lockdown"), None);
    }

    #[test]
    fn a_reason_is_required_and_bounded() {
        assert_eq!(check_reason("  "), Err(ControlError::NoReason));
        assert_eq!(check_reason(" 出现阳性病例 "), Ok("出现阳性病例".to_string()));
        assert_eq!(check_reason(&"因".repeat(REASON_MAX)).map(|r| r.chars().count()), Ok(REASON_MAX));
        assert_eq!(check_reason(&"因".repeat(REASON_MAX + 1)), Err(ControlError::LongReason));
    }

    #[test]
    fn only_the_command_sets_it() {
        use crate::Role;
        let actor = |role| Actor { role, ..Actor::system() };
        assert!(may_set(&actor(Role::Command)));
        for role in [Role::Organisation, Role::Unit, Role::SquadLeader, Role::SquadMember, Role::Community] {
            assert!(!may_set(&actor(role)), "{role:?}");
        }
    }
}

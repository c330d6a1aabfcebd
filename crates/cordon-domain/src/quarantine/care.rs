//! Care needs (关怀): what the manifest says a person needs beyond a room —
//! their diet, their faith's customs, their medicine — and the language they
//! speak, each turned into a task for the group that meets it: meals for the
//! hotel group, medicine for the medical group, faith and language for the
//! foreign-affairs group. The rule which group does what is written here once.

use serde::Serialize;

use super::site::{Group, SiteRole};
use crate::values::is_hidden_char;
use crate::{Key, Refusal};

/// The longest care note a manifest cell holds.
pub const MAX_NOTE: usize = 100;

/// A care need as the manifest writes it, e.g. 清真 halal, 哮喘 随身吸入器.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct CareNote(String);

impl CareNote {
    /// Trimmed, 1 to `MAX_NOTE` characters, no hidden characters.
    pub fn parse(input: &str) -> Result<CareNote, Refusal> {
        let t = input.trim();
        let ok = (1..=MAX_NOTE).contains(&t.chars().count()) && !t.chars().any(is_hidden_char);
        if ok { Ok(CareNote(t.to_string())) } else { Err(Key::QuarantineCareNote.with("max", MAX_NOTE)) }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What kind of care a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CareKind {
    /// Meals the person can eat (halal, vegetarian, allergies).
    Meals,
    /// The customs of their faith (prayer times, fasting).
    Faith,
    /// Medicine and conditions to watch.
    Medical,
    /// A language other than Chinese: interpreting and translated notices.
    Language,
}

impl CareKind {
    /// Every kind.
    pub const ALL: [CareKind; 4] = [CareKind::Meals, CareKind::Faith, CareKind::Medical, CareKind::Language];

    /// The stable key.
    pub fn as_str(self) -> &'static str {
        match self {
            CareKind::Meals => "meals",
            CareKind::Faith => "faith",
            CareKind::Medical => "medical",
            CareKind::Language => "language",
        }
    }

    /// Reads the key back.
    pub fn parse(s: &str) -> Option<CareKind> {
        CareKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// The group whose task it is.
    pub fn group(self) -> Group {
        match self {
            CareKind::Meals => Group::Hotel,
            CareKind::Medical => Group::Medical,
            CareKind::Faith | CareKind::Language => Group::ForeignAffairs,
        }
    }

    /// Whether a role sees (and ticks off) tasks of this kind: the manager
    /// all of them, a group its own.
    pub fn for_role(self, role: SiteRole) -> bool {
        match role {
            SiteRole::Manager => true,
            SiteRole::Member(g) => g == self.group(),
        }
    }
}

/// A person's needs from the manifest as tasks: the kind and what it says.
/// Language is a task of its own for anyone who does not speak Chinese.
pub fn tasks(
    dietary: Option<&str>,
    religion: Option<&str>,
    medical: Option<&str>,
    language: &str,
) -> Vec<(CareKind, String)> {
    let mut out = Vec::new();
    for (kind, note) in [(CareKind::Meals, dietary), (CareKind::Faith, religion), (CareKind::Medical, medical)] {
        if let Some(n) = note.map(str::trim).filter(|n| !n.is_empty()) {
            out.push((kind, n.to_string()));
        }
    }
    if language != "zh" {
        out.push((CareKind::Language, language.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_need_goes_to_the_group_that_meets_it() {
        let t = tasks(Some("清真 halal"), None, Some(" 哮喘，随身吸入器 "), "ru");
        assert_eq!(
            t,
            vec![
                (CareKind::Meals, "清真 halal".to_string()),
                (CareKind::Medical, "哮喘，随身吸入器".to_string()),
                (CareKind::Language, "ru".to_string()),
            ]
        );
        assert!(tasks(None, Some(""), None, "zh").is_empty(), "a Chinese speaker with no needs has no task");
        assert_eq!(CareKind::Meals.group(), Group::Hotel);
        assert!(CareKind::Faith.for_role(SiteRole::Member(Group::ForeignAffairs)));
        assert!(!CareKind::Medical.for_role(SiteRole::Member(Group::Hotel)), "the hotel never reads medical needs");
        assert!(CareKind::ALL.iter().all(|k| k.for_role(SiteRole::Manager)));
    }

    #[test]
    fn a_care_note_is_short_and_plain() {
        assert_eq!(CareNote::parse("  素食 ").unwrap().as_str(), "素食");
        assert!(CareNote::parse(&"x".repeat(MAX_NOTE + 1)).is_err());
        assert!(CareNote::parse("a\u{202e}b").is_err());
    }
}

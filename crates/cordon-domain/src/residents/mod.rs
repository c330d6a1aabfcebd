//! Residents: the special groups (特殊群体) squads look after first.

use serde::{Deserialize, Serialize};

/// A special group (特殊群体) a resident belongs to; squads look after these first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpecialGroup {
    /// 独居老人
    ElderlyAlone,
    /// 透析
    Dialysis,
    /// 孕妇
    Pregnant,
    /// 残疾人
    Disabled,
    /// 慢性病
    ChronicIllness,
    /// 婴幼儿
    Infant,
}

impl SpecialGroup {
    /// Every group.
    pub const ALL: [SpecialGroup; 6] = [
        SpecialGroup::ElderlyAlone,
        SpecialGroup::Dialysis,
        SpecialGroup::Pregnant,
        SpecialGroup::Disabled,
        SpecialGroup::ChronicIllness,
        SpecialGroup::Infant,
    ];

    /// The stable key stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            SpecialGroup::ElderlyAlone => "elderly-alone",
            SpecialGroup::Dialysis => "dialysis",
            SpecialGroup::Pregnant => "pregnant",
            SpecialGroup::Disabled => "disabled",
            SpecialGroup::ChronicIllness => "chronic-illness",
            SpecialGroup::Infant => "infant",
        }
    }

    /// The Chinese word used in spreadsheets.
    pub fn zh(self) -> &'static str {
        match self {
            SpecialGroup::ElderlyAlone => "独居老人",
            SpecialGroup::Dialysis => "透析",
            SpecialGroup::Pregnant => "孕妇",
            SpecialGroup::Disabled => "残疾人",
            SpecialGroup::ChronicIllness => "慢性病",
            SpecialGroup::Infant => "婴幼儿",
        }
    }

    /// Reads a key, its Chinese word, or the English words with spaces.
    pub fn parse(s: &str) -> Option<SpecialGroup> {
        let t = s.trim().to_lowercase().replace([' ', '_'], "-");
        SpecialGroup::ALL.into_iter().find(|g| g.as_str() == t || g.zh() == s.trim())
    }

    /// Reads a list separated by ；, ; , or 、 as spreadsheets hold it; the error is the first unknown word.
    pub fn parse_list(s: &str) -> Result<Vec<SpecialGroup>, String> {
        let mut out = Vec::new();
        for part in s.split(['；', ';', ',', '，', '、']) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let g = SpecialGroup::parse(part).ok_or_else(|| part.to_string())?;
            if !out.contains(&g) {
                out.push(g);
            }
        }
        out.sort();
        Ok(out)
    }

    /// The stored form of a list: keys joined by ';'.
    pub fn join(groups: &[SpecialGroup]) -> String {
        groups.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(";")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_lists_read_chinese_and_english_with_either_semicolon() {
        let tags = SpecialGroup::parse_list("透析；elderly alone;透析").unwrap();
        assert_eq!(tags, vec![SpecialGroup::ElderlyAlone, SpecialGroup::Dialysis]);
        assert_eq!(SpecialGroup::parse_list("飞行员"), Err("飞行员".to_string()));
        assert_eq!(SpecialGroup::parse_list(""), Ok(vec![]));
    }

    #[test]
    fn stored_tag_lists_read_back() {
        let tags = vec![SpecialGroup::Pregnant, SpecialGroup::Infant];
        assert_eq!(SpecialGroup::parse_list(&SpecialGroup::join(&tags)).unwrap(), tags);
    }
}

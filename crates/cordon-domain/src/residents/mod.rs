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

    /// The other words community workers type for a group in a roll: the
    /// short forms (残疾 for 残疾人, 独居 for 独居老人) and the common synonyms.
    /// Each is read as the group; the stored form and the export use `zh`.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            SpecialGroup::ElderlyAlone => {
                &["独居", "独居老年人", "空巢老人", "孤寡老人", "elderly living alone", "lives alone"]
            }
            SpecialGroup::Dialysis => &["血透", "血液透析", "腹透", "腹膜透析", "透析患者", "透析病人"],
            SpecialGroup::Pregnant => &["孕产妇", "怀孕", "孕期", "pregnancy"],
            SpecialGroup::Disabled => &["残疾", "残障", "残障人士", "残疾人士", "disability"],
            SpecialGroup::ChronicIllness => &["慢病", "慢性病患者", "慢性疾病", "基础病", "chronic", "chronic disease"],
            SpecialGroup::Infant => &["婴儿", "幼儿", "婴幼儿童", "baby", "infants"],
        }
    }

    /// Reads a key, its Chinese word, the English words with spaces, or one of its `aliases`.
    pub fn parse(s: &str) -> Option<SpecialGroup> {
        let word = s.trim();
        let t = word.to_lowercase().replace([' ', '_'], "-");
        SpecialGroup::ALL.into_iter().find(|g| {
            g.as_str() == t || g.zh() == word || g.aliases().iter().any(|a| a.to_lowercase().replace(' ', "-") == t)
        })
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
    fn the_short_words_people_type_read_as_their_group() {
        assert_eq!(SpecialGroup::parse("残疾"), Some(SpecialGroup::Disabled));
        assert_eq!(SpecialGroup::parse("独居"), Some(SpecialGroup::ElderlyAlone));
        assert_eq!(SpecialGroup::parse("血透"), Some(SpecialGroup::Dialysis));
        assert_eq!(SpecialGroup::parse("慢病"), Some(SpecialGroup::ChronicIllness));
        assert_eq!(SpecialGroup::parse(" Lives Alone "), Some(SpecialGroup::ElderlyAlone));
        assert_eq!(
            SpecialGroup::parse_list("残疾、独居；残疾人").unwrap(),
            vec![SpecialGroup::ElderlyAlone, SpecialGroup::Disabled],
            "an alias and its word are one group"
        );
        // No word is read as two groups.
        let mut words: Vec<String> = SpecialGroup::ALL
            .into_iter()
            .flat_map(|g| {
                g.aliases().iter().map(|a| a.to_lowercase()).chain([g.zh().to_string(), g.as_str().to_string()])
            })
            .collect();
        let all = words.len();
        words.sort();
        words.dedup();
        assert_eq!(words.len(), all);
    }

    #[test]
    fn stored_tag_lists_read_back() {
        let tags = vec![SpecialGroup::Pregnant, SpecialGroup::Infant];
        assert_eq!(SpecialGroup::parse_list(&SpecialGroup::join(&tags)).unwrap(), tags);
    }
}

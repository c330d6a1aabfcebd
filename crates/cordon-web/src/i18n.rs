//! The user's language and the translated texts. All text a person reads is in
//! `locales/<lang>/main.ftl`; code and templates only name keys.

use std::borrow::Cow;
use std::collections::HashMap;

use cordon_domain::clock::Zone;
use cordon_domain::refusals::{Arg, Refusal};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "zh-CN",
        // Placeables are shown as typed, without Unicode isolation marks around them.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language Cordon speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 中文, the default.
    #[default]
    Zh,
    /// English.
    En,
    /// Русский, for quarantined travellers' pages.
    Ru,
}

impl Lang {
    /// Every language, in the order the switcher shows them.
    pub const ALL: [Lang; 3] = [Lang::Zh, Lang::En, Lang::Ru];

    /// The short code used in the cookie and URLs.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }

    /// The value of the HTML `lang` attribute.
    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }

    /// The language's own name, for the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Zh => "中文",
            Lang::En => "English",
            Lang::Ru => "Русский",
        }
    }

    /// Reads a code.
    pub fn parse(s: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == s || l.html() == s)
    }

    fn id(self) -> LanguageIdentifier {
        self.html().parse().expect("static language tags parse")
    }
}

/// The translator handed to every template: a language, and the
/// deployment's zone in which it shows times.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tr {
    /// The language it speaks.
    pub lang: Lang,
    /// The zone of the times it shows.
    pub zone: Zone,
}

impl Tr {
    /// A translator for a language and zone.
    pub fn new(lang: Lang, zone: Zone) -> Tr {
        Tr { lang, zone }
    }

    /// The English translator of programs (API messages, the command line).
    pub fn english(zone: Zone) -> Tr {
        Tr { lang: Lang::En, zone }
    }

    /// An instant as the local "month-day hour:minute" of the zone.
    pub fn time(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        self.zone.local(*at).format("%m-%d %H:%M").to_string()
    }

    /// The text of a key.
    pub fn t(&self, key: &str) -> String {
        LOCALES.lookup(&self.lang.id(), key)
    }

    /// The text of the key `prefix-name`, for enumerations such as `sex-male`.
    pub fn tk(&self, prefix: &str, name: &str) -> String {
        self.t(&format!("{prefix}-{name}"))
    }

    /// The text of a key with named arguments.
    pub fn t_with(&self, key: &str, args: &[(&str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue> =
            args.iter().map(|(k, v)| (Cow::Owned(k.to_string()), FluentValue::from(v.clone()))).collect();
        LOCALES.lookup_with_args(&self.lang.id(), key, &map)
    }

    /// A refusal in this language: its key's text with the arguments worded
    /// (times as local times of the zone, keys as their own texts).
    pub fn refusal(&self, r: &Refusal) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = r
            .args
            .iter()
            .map(|(name, arg)| {
                let value = match arg {
                    Arg::Text(s) => FluentValue::from(s.clone()),
                    Arg::Number(n) => FluentValue::from(*n),
                    Arg::Time(t) => FluentValue::from(self.time(t)),
                    Arg::Key(k) => FluentValue::from(self.t(k.as_str())),
                };
                (name.clone(), value)
            })
            .collect();
        LOCALES.lookup_with_args(&self.lang.id(), r.key.as_str(), &args)
    }

    /// Why a cell of an import is bad, in this language (a value's own reason worded inside).
    pub fn bad_reason(&self, reason: &cordon_store::imports::BadReason) -> String {
        use cordon_store::imports::BadReason;
        let detail = match reason {
            BadReason::BadIdNumber(k) | BadReason::BadPhone(k) | BadReason::BadName(k) => self.t(k.as_str()),
            BadReason::UnknownTag(word) => word.clone(),
            BadReason::DuplicateInFile(r) => r.to_string(),
            BadReason::Refused(r) => self.refusal(r),
            _ => String::new(),
        };
        self.t_with(&format!("reason-{}", reason.code()), &[("detail", detail)])
    }

    /// Whether a key exists in this language (tests check every locale is complete).
    pub fn has(&self, key: &str) -> bool {
        LOCALES.try_lookup(&self.lang.id(), key).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(ftl: &str) -> BTreeSet<String> {
        ftl.lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with(' '))
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_string()))
            .collect()
    }

    #[test]
    fn every_refusal_has_its_text_in_every_locale() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
        let mut missing = Vec::new();
        for dir in std::fs::read_dir(&root).unwrap() {
            let dir = dir.unwrap().path();
            let have = keys(&std::fs::read_to_string(dir.join("main.ftl")).unwrap());
            for k in cordon_domain::Key::ALL {
                if !have.contains(k.as_str()) {
                    missing.push(format!("{}: {}", dir.file_name().unwrap().to_string_lossy(), k.as_str()));
                }
            }
        }
        assert!(missing.is_empty(), "refusals without text: {missing:?}");
    }

    #[test]
    fn a_refusal_is_worded_with_its_arguments_and_a_time_in_the_zone() {
        use cordon_domain::Key;
        let at: chrono::DateTime<chrono::Utc> = "2022-12-01T12:15:00Z".parse().unwrap();
        let r = Key::DutyClash.with("name", "王|五").with("checkpoint", "东门").with("from", at);
        let zh = Tr::new(Lang::Zh, Zone::default()).refusal(&r);
        assert!(zh.contains("王|五") && zh.contains("东门") && zh.contains("12-01 20:15"), "{zh}");
        let en = Tr::english(Zone::default()).refusal(&r);
        assert!(en.contains("王|五") && en.contains("12-01 20:15") && en.contains("another shift"), "{en}");
        let inner = Key::UnitBadName.with("reason", Key::NameTooLong);
        assert!(Tr::english(Zone::default()).refusal(&inner).contains("64"), "the reason inside is worded too");
    }

    #[test]
    fn chinese_and_english_have_the_same_texts() {
        let zh = keys(include_str!("../locales/zh-CN/main.ftl"));
        let en = keys(include_str!("../locales/en/main.ftl"));
        assert_eq!(zh.difference(&en).collect::<Vec<_>>(), Vec::<&String>::new(), "missing in English");
        assert_eq!(en.difference(&zh).collect::<Vec<_>>(), Vec::<&String>::new(), "missing in Chinese");
    }

    #[test]
    fn every_key_named_in_code_and_templates_exists() {
        let zh = keys(include_str!("../locales/zh-CN/main.ftl"));
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut missing = Vec::new();
        let mut stack = vec![root.join("src"), root.join("templates")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.ends_with("i18n.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                // Keys are named as `.t("key")`, `view("login-…")` and `"error-…"` literals.
                let named = text.match_indices(".t(\"").map(|(i, _)| i + 4);
                let errors = text.match_indices("\"error-").map(|(i, _)| i + 1);
                let logins = text.match_indices("view(\"").map(|(i, _)| i + 6);
                for start in named.chain(errors).chain(logins) {
                    let key: String = text[start..].chars().take_while(|c| *c != '"').collect();
                    let is_key = key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                    // A key ending in '-' is a prefix completed at run time (checked below).
                    if is_key && !key.ends_with('-') && !zh.contains(&key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys without text: {missing:?}");
    }

    #[test]
    fn enumerations_have_texts_for_every_value() {
        use cordon_domain::places::PlaceKind;
        use cordon_domain::{residents::SpecialGroup, units::Availability};
        let tr = Tr { lang: Lang::En, ..Tr::default() };
        let zh = keys(include_str!("../locales/zh-CN/main.ftl"));
        let mut wanted: Vec<String> = cordon_domain::Role::ALL.iter().map(|r| format!("role-{}", r.as_str())).collect();
        wanted.extend(PlaceKind::ALL.iter().map(|k| format!("kind-{}", k.as_str())));
        wanted.extend(SpecialGroup::ALL.iter().map(|g| format!("tag-{}", g.as_str())));
        wanted.extend(
            [Availability::Available, Availability::Posted, Availability::Unavailable]
                .iter()
                .map(|a| format!("availability-{}", a.as_str())),
        );
        wanted.extend(cordon_domain::orders::OrderState::ALL.iter().map(|s| format!("order-state-{}", s.as_str())));
        wanted.extend(cordon_domain::squads::SquadRole::ALL.iter().map(|r| format!("squad-role-{}", r.as_str())));
        wanted.extend(
            cordon_domain::webhooks::WebhookFormat::ALL.iter().map(|f| format!("webhook-format-{}", f.as_str())),
        );
        wanted.extend(cordon_domain::orders::OrderStep::ALL.iter().map(|e| format!("order-do-{}", e.key())));
        for w in wanted {
            assert!(zh.contains(&w), "{w}");
        }
        assert_eq!(
            tr.t_with("page-of", &[("page", "2".into()), ("pages", "7".into()), ("total", "9".into())]),
            "Page 2 of 7, 9 in all"
        );
    }
}

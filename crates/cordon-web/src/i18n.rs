//! The user's language and the translated texts. All text a person reads is in
//! `locales/<lang>/main.ftl`; code and templates only name keys.

use std::borrow::Cow;
use std::collections::HashMap;

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

/// The translator handed to every template.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tr {
    /// The language it speaks.
    pub lang: Lang,
}

impl Tr {
    /// The text of a key.
    pub fn t(&self, key: &str) -> String {
        LOCALES.lookup(&self.lang.id(), key)
    }

    /// The text of the key `prefix-name`, for enumerations such as `sex-male`.
    pub fn tk(&self, prefix: &str, name: &str) -> String {
        self.t(&format!("{prefix}-{name}"))
    }

    /// The text of a key with named arguments.
    pub fn t_with(&self, key: &str, args: &[(&'static str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue> =
            args.iter().map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(v.clone()))).collect();
        LOCALES.lookup_with_args(&self.lang.id(), key, &map)
    }

    /// Whether a key exists in this language (tests check every locale is complete).
    pub fn has(&self, key: &str) -> bool {
        LOCALES.try_lookup(&self.lang.id(), key).is_some()
    }
}

//! One row of an arrival batch's manifest (入境人员名单), parsed into values.
//! Files come from airlines, universities and embassies, in Chinese or English
//! headers in any order, saved by Excel or WPS: birth dates arrive as date
//! cells (already `YYYY-MM-DD`), as text, or as a bare serial number; passport
//! and phone numbers as number cells (digits, the phone without its `+`) or
//! as text. Every bad value of a row is reported, each with its field.
//!
//! Reused values: `PersonName` for the name in its own script (Cyrillic is a
//! name like any other) and the emergency contact; `PlaceName` for the
//! destination province and institution; `Sex` for the sex, with the
//! Cyrillic letters of Russian passports added here. New values: `Passport`,
//! `Country`, `Language`, `LatinName`, `IntlPhone` (the mainland `Phone` holds
//! only 11-digit Chinese mobiles) and `TravelGroup`.

use std::fmt;

use chrono::{Days, NaiveDate};
use serde::{Serialize, Serializer};

use super::care::CareNote;
use crate::places::PlaceName;
use crate::values::{PersonName, Phone, Sex, fold_width, header_key};
use crate::{Key, Refusal};

/// A column of the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// 姓名: the name in its original script.
    Name,
    /// 拉丁姓名: the name in Latin letters, as in the passport.
    NameLatin,
    /// 护照号: the passport number; the batch's key for the person.
    Passport,
    /// 国籍: ISO 3166-1 alpha-2.
    Nationality,
    /// 出生日期.
    BirthDate,
    /// 性别.
    Sex,
    /// 语言: ISO 639-1.
    Language,
    /// 手机号: in international form.
    Phone,
    /// 目的地省份.
    DestinationProvince,
    /// 目的地单位: the university or other institution.
    DestinationInstitution,
    /// 紧急联系人.
    EmergencyContact,
    /// 同行组: people with the same value room together.
    Group,
    /// 饮食需求: halal, vegetarian, allergies (a task for the hotel group).
    Dietary,
    /// 宗教习俗: prayer times, fasting (a task for the foreign-affairs group).
    Religion,
    /// 医疗需求: medicine, conditions to watch (a task for the medical group).
    Medical,
}

impl Field {
    /// Every field, in the order of the issue's list (and of exports).
    pub const ALL: [Field; 15] = [
        Field::Name,
        Field::NameLatin,
        Field::Passport,
        Field::Nationality,
        Field::BirthDate,
        Field::Sex,
        Field::Language,
        Field::Phone,
        Field::DestinationProvince,
        Field::DestinationInstitution,
        Field::EmergencyContact,
        Field::Group,
        Field::Dietary,
        Field::Religion,
        Field::Medical,
    ];

    /// The English header, also the field's key in refusals and the API.
    pub fn key(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::NameLatin => "name_latin",
            Field::Passport => "passport",
            Field::Nationality => "nationality",
            Field::BirthDate => "birth_date",
            Field::Sex => "sex",
            Field::Language => "language",
            Field::Phone => "phone",
            Field::DestinationProvince => "destination_province",
            Field::DestinationInstitution => "destination_institution",
            Field::EmergencyContact => "emergency_contact",
            Field::Group => "group",
            Field::Dietary => "dietary",
            Field::Religion => "religion",
            Field::Medical => "medical",
        }
    }

    /// The Chinese header.
    pub fn zh(self) -> &'static str {
        match self {
            Field::Name => "姓名",
            Field::NameLatin => "拉丁姓名",
            Field::Passport => "护照号",
            Field::Nationality => "国籍",
            Field::BirthDate => "出生日期",
            Field::Sex => "性别",
            Field::Language => "语言",
            Field::Phone => "手机号",
            Field::DestinationProvince => "目的地省份",
            Field::DestinationInstitution => "目的地单位",
            Field::EmergencyContact => "紧急联系人",
            Field::Group => "同行组",
            Field::Dietary => "饮食需求",
            Field::Religion => "宗教习俗",
            Field::Medical => "医疗需求",
        }
    }

    /// Whether a row must have a value here (and the file the column). The
    /// phone, the emergency contact, the group and the care needs may be
    /// blank: a student without a number yet is still checked in, and
    /// all-or-nothing imports must not turn away a whole flight for a
    /// missing contact.
    pub fn required(self) -> bool {
        !matches!(
            self,
            Field::Phone | Field::EmergencyContact | Field::Group | Field::Dietary | Field::Religion | Field::Medical
        )
    }

    /// The field a header names: the Chinese header, the English one, or
    /// both as exports write them ("护照号 passport"); case, spaces,
    /// underscores, a required-column `*` and full-width forms do not matter.
    pub fn from_header(header: &str) -> Option<Field> {
        let h = header_key(header);
        Field::ALL.into_iter().find(|f| {
            let (zh, en) = (header_key(f.zh()), header_key(f.key()));
            h == zh || h == en || h == format!("{zh}{en}")
        })
    }
}

/// Why a value of the manifest is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// A required value is blank.
    #[error("a value is required")]
    Missing,
    /// Not 5 to 20 letters and digits.
    #[error("a passport number has 5 to 20 letters and digits")]
    Passport,
    /// Not an ISO 3166-1 alpha-2 code.
    #[error("{0} is not a two-letter country code")]
    Country(String),
    /// Not an ISO 639-1 code.
    #[error("{0} is not a two-letter language code")]
    Language(String),
    /// Not a date.
    #[error("{0} is not a date")]
    BirthDate(String),
    /// Before 1900 or after arrival.
    #[error("the birth date is before 1900 or after arrival")]
    BirthDateRange,
    /// Not a sex people write.
    #[error("{0} is not a sex")]
    Sex(String),
    /// Letters of another script in the Latin name.
    #[error("the Latin name has letters of another script")]
    NameLatin,
    /// Not + and 8 to 15 digits.
    #[error("an international phone number is + and 8 to 15 digits")]
    Phone,
    /// A header names a column twice.
    #[error("the column {} is in the file twice", .0.key())]
    ColumnTwice(Field),
    /// A required column is not in the file.
    #[error("the column {} is missing", .0.key())]
    ColumnMissing(Field),
}

impl From<ManifestError> for Refusal {
    fn from(e: ManifestError) -> Refusal {
        match e {
            ManifestError::Missing => Key::QuarantineManifestMissing.into(),
            ManifestError::Passport => Key::QuarantinePassport.into(),
            ManifestError::Country(v) => Key::QuarantineCountry.with("value", v),
            ManifestError::Language(v) => Key::QuarantineLanguage.with("value", v),
            ManifestError::BirthDate(v) => Key::QuarantineBirthDate.with("value", v),
            ManifestError::BirthDateRange => Key::QuarantineBirthDateRange.into(),
            ManifestError::Sex(v) => Key::QuarantineSex.with("value", v),
            ManifestError::NameLatin => Key::QuarantineNameLatin.into(),
            ManifestError::Phone => Key::QuarantinePhone.into(),
            ManifestError::ColumnTwice(f) => Key::QuarantineManifestColumnTwice.with("field", f.key()),
            ManifestError::ColumnMissing(f) => Key::QuarantineManifestColumnMissing.with("field", f.key()),
        }
    }
}

/// A passport number: 5 to 20 ASCII letters and digits, upper-cased, with the
/// spaces some passports print inside it ("75 1234567") taken out, so the
/// same passport is one key however it was typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Passport(String);

impl Passport {
    /// Parses a passport number as typed, or as a number cell's digits.
    pub fn parse(input: &str) -> Result<Passport, ManifestError> {
        let t: String =
            fold_width(input).chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        let ok = (5..=20).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric());
        if ok { Ok(Passport(t)) } else { Err(ManifestError::Passport) }
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form the public verification page shows: the last four characters.
    pub fn masked(&self) -> String {
        crate::values::mask(&self.0, 0, 4)
    }
}

/// Declares a two-letter code of a standard: read in either case (and full
/// width), kept in the standard's case, checked against the standard's list.
macro_rules! two_letter_code {
    ($(#[$doc:meta])* $name:ident, $list:ident, $case:ident, $error:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(&'static str);

        impl $name {
            /// Parses a code, in either case.
            pub fn parse(input: &str) -> Result<$name, ManifestError> {
                let code = fold_width(input).trim().$case();
                $list.binary_search(&code.as_str()).map(|i| $name($list[i])).map_err(|_| $error(input.trim().to_string()))
            }

            /// The code.
            pub fn as_str(self) -> &'static str {
                self.0
            }
        }
    };
}

two_letter_code!(
    /// A nationality: an ISO 3166-1 alpha-2 code in use ("RU", "KZ").
    Country, COUNTRIES, to_ascii_uppercase, ManifestError::Country
);

two_letter_code!(
    /// A language: an ISO 639-1 code ("ru", "en", "zh"), by which a person's
    /// pages and certificate are worded.
    Language, LANGUAGES, to_ascii_lowercase, ManifestError::Language
);

macro_rules! serialize_as_str {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

serialize_as_str!(Passport, Country, Language, LatinName, IntlPhone, TravelGroup);

/// A name in Latin letters as the passport's data page has it: a `PersonName`
/// whose letters are all Latin (accented ones too: "Müller", "Łukasz").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LatinName(PersonName);

impl LatinName {
    /// Parses a Latin name.
    pub fn parse(input: &str) -> Result<LatinName, Refusal> {
        let name = PersonName::parse(input)?;
        let latin = |c: char| {
            c.is_ascii_alphabetic()
                || matches!(c, ' ' | '-' | '\'' | '.' | ',')
                || (('\u{C0}'..='\u{24F}').contains(&c) && !matches!(c, '\u{D7}' | '\u{F7}'))
        };
        if name.as_str().chars().all(latin) { Ok(LatinName(name)) } else { Err(ManifestError::NameLatin.into()) }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// A phone number in international form: `+` and 8 to 15 digits (E.164).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IntlPhone(String);

impl IntlPhone {
    /// Parses a number as people and spreadsheets write it: spaces, dashes,
    /// dots and brackets are dropped; `00` stands for `+`; digits without `+`
    /// (a number cell drops it) are read as international, except a mainland
    /// mobile (11 digits, 13–19), which is what the hotel dials and gets +86.
    /// So a North American number must keep its `+1`.
    pub fn parse(input: &str) -> Result<IntlPhone, ManifestError> {
        let t: String = fold_width(input).chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
        let digits = match t.strip_prefix('+').or_else(|| t.strip_prefix("00")) {
            Some(rest) => rest.to_string(),
            None if Phone::parse(&t).is_ok() => format!("86{t}"),
            None => t,
        };
        let ok =
            (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        if ok { Ok(IntlPhone(format!("+{digits}"))) } else { Err(ManifestError::Phone) }
    }

    /// The number, `+` and digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A declared travel group (同行组): people with the same one room together.
/// Written as people type it; two spellings that differ only in case, width
/// or spaces are the same group.
#[derive(Debug, Clone)]
pub struct TravelGroup(PersonName);

impl TravelGroup {
    /// Parses a group label.
    pub fn parse(input: &str) -> Result<TravelGroup, Refusal> {
        Ok(TravelGroup(PersonName::parse(input)?))
    }

    /// The label as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// What makes two labels the same group: width folded, spaces dropped, lower case.
    pub fn key(&self) -> String {
        header_key(self.0.as_str())
    }
}

impl PartialEq for TravelGroup {
    fn eq(&self, other: &TravelGroup) -> bool {
        self.key() == other.key()
    }
}

impl Eq for TravelGroup {}

/// The sex as a manifest writes it: `Sex::parse`'s 男/女, male/female, m/f,
/// and the Cyrillic М/Ж of Russian passports.
pub fn parse_sex(input: &str) -> Result<Sex, ManifestError> {
    let t = input.trim().to_lowercase();
    let sex = match t.as_str() {
        "м" | "муж" | "мужской" => Some(Sex::Male),
        "ж" | "жен" | "женский" => Some(Sex::Female),
        _ => Sex::parse(&t),
    };
    sex.ok_or_else(|| ManifestError::Sex(input.trim().to_string()))
}

/// The date of an Excel serial number in the 1900 date system (as a date cell
/// without its format reads: 36892 is 2001-01-01); a time of day is dropped.
/// Excel counts a 29 February 1900 that never was (Lotus 1-2-3's bug, kept for
/// compatibility): serial 60 is no date, and from 61 on the count is one ahead.
pub fn excel_serial_date(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as u64;
    let day_zero = match days {
        60 => return None,
        ..60 => NaiveDate::from_ymd_opt(1899, 12, 31)?,
        _ => NaiveDate::from_ymd_opt(1899, 12, 30)?,
    };
    day_zero.checked_add_days(Days::new(days))
}

/// A date from a cell: `YYYY-MM-DD` (also with `/` or `.`, as WPS may show
/// it), a date cell's `YYYY-MM-DD 00:00:00`, or an Excel serial number of
/// 10000 or more.
pub fn parse_date_cell(input: &str) -> Option<NaiveDate> {
    let t = fold_width(input).trim().to_string();
    let day = t.split_whitespace().next().unwrap_or("").replace(['/', '.'], "-");
    NaiveDate::parse_from_str(&day, "%Y-%m-%d")
        .ok()
        .filter(|_| day.len() >= 8 && day.find('-') == Some(4))
        // A bare number below 10000 (before 1927) is more likely a year typed
        // alone than a date cell, so it is refused rather than read as 1905.
        .or_else(|| t.parse::<f64>().ok().filter(|n| *n >= 10_000.0).and_then(excel_serial_date))
}

/// A birth date from a cell, read as `parse_date_cell` reads dates.
/// It must be from 1900 to the day of arrival.
pub fn parse_birth_date(input: &str, arrival: NaiveDate) -> Result<NaiveDate, ManifestError> {
    let date = parse_date_cell(input).ok_or_else(|| ManifestError::BirthDate(input.trim().to_string()))?;
    let first = NaiveDate::from_ymd_opt(1900, 1, 1).expect("a date");
    if (first..=arrival).contains(&date) { Ok(date) } else { Err(ManifestError::BirthDateRange) }
}

/// One person of the manifest, every value parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestRow {
    /// The name in its original script.
    pub name: PersonName,
    /// The name in Latin letters.
    pub name_latin: LatinName,
    /// The passport number: the person's key within the batch.
    pub passport: Passport,
    /// The nationality.
    pub nationality: Country,
    /// The birth date.
    pub birth_date: NaiveDate,
    /// The sex.
    pub sex: Sex,
    /// The language pages and certificates are worded in.
    pub language: Language,
    /// The phone, if given.
    pub phone: Option<IntlPhone>,
    /// The province the person goes on to.
    pub destination_province: PlaceName,
    /// The university or institution the person goes on to.
    pub destination_institution: PlaceName,
    /// The emergency contact, if given (a name and a number fit a name's 64 characters).
    pub emergency_contact: Option<PersonName>,
    /// The declared travel group, if any.
    pub group: Option<TravelGroup>,
    /// Dietary needs, if any.
    pub dietary: Option<CareNote>,
    /// Religious customs, if any.
    pub religion: Option<CareNote>,
    /// Medical needs, if any.
    pub medical: Option<CareNote>,
}

impl ManifestRow {
    /// Parses a row from its cells by field (`cell` gives "" for an absent
    /// column). Birth dates must not be after `arrival`, the batch's day 0.
    /// Every bad value is reported, each refusal with its `field`.
    pub fn parse<'a>(cell: impl Fn(Field) -> &'a str, arrival: NaiveDate) -> Result<ManifestRow, Vec<Refusal>> {
        let mut refusals = Vec::new();
        // Each field once: blank and required is `Missing`, blank and optional
        // is `None`, anything else goes through the field's parser.
        fn one<T, E: Into<Refusal>>(
            refusals: &mut Vec<Refusal>,
            field: Field,
            text: &str,
            parse: impl FnOnce(&str) -> Result<T, E>,
        ) -> Option<T> {
            let blank = fold_width(text).trim().is_empty();
            let result = match (blank, field.required()) {
                (true, true) => Err(Refusal::from(ManifestError::Missing)),
                (true, false) => return None,
                (false, _) => parse(text).map_err(Into::into),
            };
            result.map_err(|r| refusals.push(r.with("field", field.key()))).ok()
        }
        let r = &mut refusals;
        let name = one(r, Field::Name, cell(Field::Name), PersonName::parse);
        let name_latin = one(r, Field::NameLatin, cell(Field::NameLatin), LatinName::parse);
        let passport = one(r, Field::Passport, cell(Field::Passport), Passport::parse);
        let nationality = one(r, Field::Nationality, cell(Field::Nationality), Country::parse);
        let birth_date = one(r, Field::BirthDate, cell(Field::BirthDate), |t| parse_birth_date(t, arrival));
        let sex = one(r, Field::Sex, cell(Field::Sex), parse_sex);
        let language = one(r, Field::Language, cell(Field::Language), Language::parse);
        let phone = one(r, Field::Phone, cell(Field::Phone), IntlPhone::parse);
        let province = one(r, Field::DestinationProvince, cell(Field::DestinationProvince), PlaceName::parse);
        let institution = one(r, Field::DestinationInstitution, cell(Field::DestinationInstitution), PlaceName::parse);
        let contact = one(r, Field::EmergencyContact, cell(Field::EmergencyContact), PersonName::parse);
        let group = one(r, Field::Group, cell(Field::Group), TravelGroup::parse);
        let dietary = one(r, Field::Dietary, cell(Field::Dietary), CareNote::parse);
        let religion = one(r, Field::Religion, cell(Field::Religion), CareNote::parse);
        let medical = one(r, Field::Medical, cell(Field::Medical), CareNote::parse);
        match (name, name_latin, passport, nationality, birth_date, sex, language, province, institution) {
            (
                Some(name),
                Some(name_latin),
                Some(passport),
                Some(nationality),
                Some(birth_date),
                Some(sex),
                Some(language),
                Some(destination_province),
                Some(destination_institution),
            ) if refusals.is_empty() => Ok(ManifestRow {
                name,
                name_latin,
                passport,
                nationality,
                birth_date,
                sex,
                language,
                phone,
                destination_province,
                destination_institution,
                emergency_contact: contact,
                group,
                dietary,
                religion,
                medical,
            }),
            _ => Err(refusals),
        }
    }
}

/// Where each field's column is in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestColumns {
    at: Vec<(Field, usize)>,
}

impl ManifestColumns {
    /// Finds the fields among a file's headers, in any order; other columns
    /// are left alone. A field named twice, or a required one missing, is refused.
    pub fn locate<S: AsRef<str>>(headers: &[S]) -> Result<ManifestColumns, Vec<Refusal>> {
        let mut at: Vec<(Field, usize)> = Vec::new();
        let mut refusals = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            match Field::from_header(h.as_ref()) {
                Some(f) if at.iter().any(|(g, _)| *g == f) => refusals.push(ManifestError::ColumnTwice(f).into()),
                Some(f) => at.push((f, i)),
                None => {}
            }
        }
        for f in Field::ALL.into_iter().filter(|f| f.required() && !at.iter().any(|(g, _)| g == f)) {
            refusals.push(ManifestError::ColumnMissing(f).into());
        }
        if refusals.is_empty() { Ok(ManifestColumns { at }) } else { Err(refusals) }
    }

    /// The column a field is in, if the file has it.
    pub fn index(&self, field: Field) -> Option<usize> {
        self.at.iter().find(|(f, _)| *f == field).map(|(_, i)| *i)
    }

    /// The cell of a field in a row: "" when the file has no such column or the row is short.
    pub fn cell<'a, S: AsRef<str>>(&self, row: &'a [S], field: Field) -> &'a str {
        self.index(field).and_then(|i| row.get(i)).map_or("", AsRef::as_ref)
    }

    /// Parses a row of the file (see `ManifestRow::parse`).
    pub fn row<S: AsRef<str>>(&self, row: &[S], arrival: NaiveDate) -> Result<ManifestRow, Vec<Refusal>> {
        ManifestRow::parse(|f| self.cell(row, f), arrival)
    }
}

/// The ISO 3166-1 alpha-2 codes officially assigned (249, from Debian's
/// iso-codes 4.15), sorted for binary search.
pub const COUNTRIES: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA", "BB", "BD",
    "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA",
    "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE",
    "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA",
    "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK",
    "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP",
    "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT",
    "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS",
    "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ",
    "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS",
    "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST",
    "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW",
    "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA",
    "ZM", "ZW",
];

/// The ISO 639-1 codes (183, from Debian's iso-codes 4.15, without `bh`,
/// which ISO withdrew in 2021), sorted for binary search.
pub const LANGUAGES: &[&str] = &[
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bi", "bm", "bn", "bo",
    "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da", "de", "dv", "dz", "ee", "el", "en", "eo",
    "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr", "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi",
    "ho", "hr", "ht", "hu", "hy", "hz", "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka",
    "kg", "ki", "kj", "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
    "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb", "nd", "ne", "ng",
    "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi", "pl", "ps", "pt", "qu", "rm", "rn",
    "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk", "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su",
    "sv", "sw", "ta", "te", "tg", "th", "ti", "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur",
    "uz", "ve", "vi", "vo", "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const ARRIVAL: &str = "2026-09-16";

    fn headers_en() -> Vec<&'static str> {
        Field::ALL.iter().map(|f| f.key()).collect()
    }

    fn good_row() -> Vec<&'static str> {
        vec![
            "Иванова Анна Сергеевна",
            "IVANOVA ANNA",
            "75 1234567",
            "ru",
            "2004-09-20",
            "Ж",
            "RU",
            "+7 (916) 123-45-67",
            "黑龙江省",
            "哈尔滨工业大学",
            "Иванов Сергей +79161112233",
            "G1",
            "清真 halal",
            "",
            "哮喘，随身吸入器",
        ]
    }

    #[test]
    fn a_row_parses_into_values() {
        let cols = ManifestColumns::locate(&headers_en()).unwrap();
        let row = cols.row(&good_row(), date(ARRIVAL)).unwrap();
        assert_eq!(row.name.as_str(), "Иванова Анна Сергеевна");
        assert_eq!(row.passport.as_str(), "751234567");
        assert_eq!(row.nationality.as_str(), "RU");
        assert_eq!(row.language.as_str(), "ru");
        assert_eq!(row.sex, Sex::Female);
        assert_eq!(row.birth_date, date("2004-09-20"));
        assert_eq!(row.phone.unwrap().as_str(), "+79161234567");
        assert_eq!(row.group.unwrap().as_str(), "G1");
        assert_eq!(row.destination_institution.as_str(), "哈尔滨工业大学");
        assert_eq!(row.dietary.unwrap().as_str(), "清真 halal");
        assert_eq!((row.religion, row.medical.unwrap().as_str().to_string()), (None, "哮喘，随身吸入器".to_string()));
    }

    #[test]
    fn headers_are_chinese_or_english_or_both_in_any_order() {
        assert_eq!(Field::from_header("护照号"), Some(Field::Passport));
        assert_eq!(Field::from_header(" Name_Latin "), Some(Field::NameLatin));
        assert_eq!(Field::from_header("BIRTH DATE"), Some(Field::BirthDate));
        assert_eq!(Field::from_header("出生日期 birth_date"), Some(Field::BirthDate));
        assert_eq!(Field::from_header("手机号*"), Some(Field::Phone));
        assert_eq!(Field::from_header("ｐａｓｓｐｏｒｔ"), Some(Field::Passport));
        assert_eq!(Field::from_header("备注"), None);
        for f in Field::ALL {
            assert_eq!(Field::from_header(f.zh()), Some(f));
            assert_eq!(Field::from_header(f.key()), Some(f));
        }
        // Chinese headers, reversed, with an extra column in the middle.
        let mut headers: Vec<&str> = Field::ALL.iter().rev().map(|f| f.zh()).collect();
        headers.insert(3, "备注");
        let mut cells: Vec<&str> = good_row().into_iter().rev().collect();
        cells.insert(3, "a note");
        let cols = ManifestColumns::locate(&headers).unwrap();
        let en = ManifestColumns::locate(&headers_en()).unwrap();
        assert_eq!(cols.row(&cells, date(ARRIVAL)), en.row(&good_row(), date(ARRIVAL)));
    }

    #[test]
    fn a_column_twice_or_a_required_one_missing_is_refused_and_optional_ones_may_be_absent() {
        let refused = ManifestColumns::locate(&["姓名", "name", "护照号"]).unwrap_err();
        assert_eq!(refused[0], Key::QuarantineManifestColumnTwice.with("field", "name"));
        let missing: Vec<String> = refused[1..].iter().map(|r| r.to_string()).collect();
        assert!(missing.contains(&"quarantine-manifest-column-missing field=birth_date".to_string()));
        assert!(!missing.iter().any(|m| m.ends_with("=phone") || m.ends_with("=group")));
        let required: Vec<&str> = Field::ALL.iter().filter(|f| f.required()).map(|f| f.key()).collect();
        let cols = ManifestColumns::locate(&required).unwrap();
        let cells: Vec<&str> = good_row().into_iter().take(7).chain(["黑龙江省", "哈尔滨工业大学"]).collect();
        let row = cols.row(&cells, date(ARRIVAL)).unwrap();
        assert_eq!((row.phone, row.group), (None, None));
    }

    #[test]
    fn every_bad_value_of_a_row_is_reported_with_its_field() {
        let cols = ManifestColumns::locate(&headers_en()).unwrap();
        let mut cells = good_row();
        cells[0] = " ";
        cells[1] = "Иванова";
        cells[2] = "A1";
        cells[3] = "XX";
        cells[4] = "2004-02-30";
        cells[5] = "?";
        cells[6] = "russian";
        cells[7] = "123";
        let refusals = cols.row(&cells, date(ARRIVAL)).unwrap_err();
        let field = |r: &Refusal| r.args.iter().find(|(n, _)| n == "field").map(|(_, a)| a.clone());
        let got: Vec<(Key, Option<crate::refusals::Arg>)> = refusals.iter().map(|r| (r.key, field(r))).collect();
        let want = [
            (Key::QuarantineManifestMissing, "name"),
            (Key::QuarantineNameLatin, "name_latin"),
            (Key::QuarantinePassport, "passport"),
            (Key::QuarantineCountry, "nationality"),
            (Key::QuarantineBirthDate, "birth_date"),
            (Key::QuarantineSex, "sex"),
            (Key::QuarantineLanguage, "language"),
            (Key::QuarantinePhone, "phone"),
        ];
        assert_eq!(got, want.map(|(k, f)| (k, Some(f.into()))));
        let bad_name = ManifestRow::parse(|f| if f == Field::Name { "a\u{7}b" } else { "" }, date(ARRIVAL));
        assert_eq!(bad_name.unwrap_err()[0], Key::NameCharacters.with("field", "name"), "a name's own refusal");
        assert_eq!(refusals[3].to_string(), "quarantine-country value=XX field=nationality");
    }

    #[test]
    fn passports_are_trimmed_upper_cased_and_read_from_number_cells() {
        assert_eq!(Passport::parse(" ab1234567 ").unwrap().as_str(), "AB1234567");
        assert_eq!(Passport::parse("751234567").unwrap().as_str(), "751234567", "a number cell's digits");
        assert_eq!(Passport::parse("ＡＢ１２３４５").unwrap().as_str(), "AB12345");
        for bad in ["1234", &"1".repeat(21), "AB-12345", "АВ12345"] {
            assert_eq!(Passport::parse(bad), Err(ManifestError::Passport), "{bad}");
        }
        assert_eq!(Passport::parse("AB1234567").unwrap().masked(), "*****4567");
    }

    #[test]
    fn country_and_language_codes_are_checked_against_their_lists() {
        assert_eq!(COUNTRIES.len(), 249);
        assert_eq!(LANGUAGES.len(), 183);
        assert!(COUNTRIES.windows(2).all(|w| w[0] < w[1]) && LANGUAGES.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(Country::parse("kz").unwrap().as_str(), "KZ");
        assert_eq!(Country::parse("CN").unwrap().as_str(), "CN");
        assert_eq!(Country::parse("UK"), Err(ManifestError::Country("UK".into())), "Britain is GB");
        assert_eq!(Country::parse("RUS"), Err(ManifestError::Country("RUS".into())));
        assert_eq!(Language::parse("RU").unwrap().as_str(), "ru");
        assert_eq!(Language::parse("zh").unwrap().as_str(), "zh");
        assert!(Language::parse("cn").is_err(), "Chinese is zh");
        assert!(Language::parse("bh").is_err(), "withdrawn");
    }

    #[test]
    fn latin_names_allow_accents_but_not_other_scripts() {
        assert!(LatinName::parse("MÜLLER-ŁUKASZ O'NEIL Jr.").is_ok());
        assert_eq!(LatinName::parse("Ivanova Анна"), Err(ManifestError::NameLatin.into()));
        assert_eq!(LatinName::parse("王"), Err(ManifestError::NameLatin.into()));
        assert_eq!(LatinName::parse(""), Err(Key::NameEmpty.into()));
    }

    #[test]
    fn phones_are_read_in_international_form_from_text_and_number_cells() {
        let p = |s| IntlPhone::parse(s).map(|p| p.as_str().to_string());
        assert_eq!(p("+7 916 123-45-67"), Ok("+79161234567".into()));
        assert_eq!(p("79161234567"), Ok("+79161234567".into()), "a number cell drops the +");
        assert_eq!(p("0077012345678"), Ok("+77012345678".into()));
        assert_eq!(p("13800001234"), Ok("+8613800001234".into()), "a mainland mobile");
        assert_eq!(p("+86 138 0000 1234"), Ok("+8613800001234".into()));
        assert_eq!(p("+12025550123"), Ok("+12025550123".into()));
        for bad in ["+1234567", "+1234567890123456", "+7916abc4567", "+0123456789"] {
            assert_eq!(p(bad), Err(ManifestError::Phone), "{bad}");
        }
    }

    #[test]
    fn sex_reads_cyrillic_as_well() {
        assert_eq!(parse_sex("М"), Ok(Sex::Male));
        assert_eq!(parse_sex("женский"), Ok(Sex::Female));
        assert_eq!(parse_sex("F"), Ok(Sex::Female));
        assert_eq!(parse_sex("男"), Ok(Sex::Male));
        assert_eq!(parse_sex("x"), Err(ManifestError::Sex("x".into())));
    }

    #[test]
    fn excel_serials_follow_the_1900_system_with_its_false_leap_day() {
        let d = |n| excel_serial_date(n).map(|d| d.to_string());
        assert_eq!(d(1.0), Some("1900-01-01".into()));
        assert_eq!(d(59.0), Some("1900-02-28".into()));
        assert_eq!(d(60.0), None, "Excel's 1900-02-29");
        assert_eq!(d(61.0), Some("1900-03-01".into()));
        assert_eq!(d(36892.0), Some("2001-01-01".into()));
        assert_eq!(d(38046.0), Some("2004-02-29".into()));
        assert_eq!(d(46281.75), Some("2026-09-16".into()), "the time of day is dropped");
        assert_eq!(d(2958465.0), Some("9999-12-31".into()));
        for bad in [0.0, -1.0, 2958466.0, f64::NAN] {
            assert_eq!(d(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_birth_date_reads_from_text_a_date_cell_or_a_serial_and_gives_the_same_date() {
        let arrival = date(ARRIVAL);
        for cell in ["2004-02-29", "2004/02/29", "2004.2.29", "2004-02-29 00:00:00", "38046", "38046.0"] {
            assert_eq!(parse_birth_date(cell, arrival), Ok(date("2004-02-29")), "{cell}");
        }
        for bad in ["29.02.2004", "2004-02-30", "04-02-29", "yesterday", "2004"] {
            assert!(matches!(parse_birth_date(bad, arrival), Err(ManifestError::BirthDate(_))), "{bad}");
        }
        assert_eq!(parse_birth_date("2026-09-17", arrival), Err(ManifestError::BirthDateRange), "after arrival");
        assert_eq!(parse_birth_date("1899-12-31", arrival), Err(ManifestError::BirthDateRange));
        assert_eq!(parse_birth_date("2026-09-16", arrival), Ok(arrival), "born on the flight");
    }

    #[test]
    fn travel_groups_match_whatever_their_case_width_or_spaces() {
        let a = TravelGroup::parse("Group 1").unwrap();
        let b = TravelGroup::parse("ＧＲＯＵＰ1").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.key(), "group1");
        assert_ne!(a, TravelGroup::parse("Group 2").unwrap());
    }
}

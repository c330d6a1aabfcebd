//! Refusals: why a request is refused, as a key of the locale files and typed
//! arguments. Neither the domain nor the store speaks a language; the web
//! layer words a refusal in the user's language (times in the deployment's
//! zone), and a test checks that every key of `Key::ALL` has its text in
//! every locale. A refusal never carries text to be parsed back.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One argument of a refusal, typed so the web layer can word it (a time in
/// the user's zone, a number as a number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Arg {
    /// A name or other text, shown as it is.
    Text(String),
    /// A count or a row number.
    Number(i64),
    /// An instant, shown as local time.
    Time(DateTime<Utc>),
    /// Another refusal's key, worded in the same language (the reason inside a reason).
    Key(Key),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Text(s.to_string())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Text(s)
    }
}

impl From<&String> for Arg {
    fn from(s: &String) -> Arg {
        Arg::Text(s.clone())
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::Number(n)
    }
}

impl From<usize> for Arg {
    fn from(n: usize) -> Arg {
        Arg::Number(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<DateTime<Utc>> for Arg {
    fn from(t: DateTime<Utc>) -> Arg {
        Arg::Time(t)
    }
}

impl From<Key> for Arg {
    fn from(k: Key) -> Arg {
        Arg::Key(k)
    }
}

/// A refusal: a key and its named arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// What is refused.
    pub key: Key,
    /// The named arguments the key's text uses.
    pub args: Vec<(Cow<'static, str>, Arg)>,
}

/// A refusal as it is kept (an import job's outcome, read on a later page):
/// each argument tagged with its type, so that it reads back as it was.
#[derive(Serialize, Deserialize)]
struct Kept {
    key: String,
    args: Vec<(String, KeptArg)>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum KeptArg {
    Text(String),
    Number(i64),
    Time(DateTime<Utc>),
    Key(String),
}

impl Refusal {
    /// Adds a named argument.
    pub fn with(mut self, name: &'static str, value: impl Into<Arg>) -> Refusal {
        self.args.push((Cow::Borrowed(name), value.into()));
        self
    }

    /// The refusal as JSON, to be kept and read back by `from_kept`.
    pub fn to_kept(&self) -> String {
        let args = self
            .args
            .iter()
            .map(|(name, arg)| {
                let arg = match arg {
                    Arg::Text(s) => KeptArg::Text(s.clone()),
                    Arg::Number(n) => KeptArg::Number(*n),
                    Arg::Time(t) => KeptArg::Time(*t),
                    Arg::Key(k) => KeptArg::Key(k.as_str().to_string()),
                };
                (name.to_string(), arg)
            })
            .collect();
        serde_json::to_string(&Kept { key: self.key.as_str().to_string(), args }).unwrap_or_default()
    }

    /// A refusal kept by `to_kept`; `None` for what no version of `to_kept` wrote
    /// (a key since removed reads as nothing rather than as some other key).
    pub fn from_kept(json: &str) -> Option<Refusal> {
        let kept: Kept = serde_json::from_str(json).ok()?;
        let mut args = Vec::with_capacity(kept.args.len());
        for (name, arg) in kept.args {
            let arg = match arg {
                KeptArg::Text(s) => Arg::Text(s),
                KeptArg::Number(n) => Arg::Number(n),
                KeptArg::Time(t) => Arg::Time(t),
                KeptArg::Key(k) => Arg::Key(Key::parse(&k)?),
            };
            args.push((Cow::Owned(name), arg));
        }
        Some(Refusal { key: Key::parse(&kept.key)?, args })
    }
}

impl From<Key> for Refusal {
    fn from(key: Key) -> Refusal {
        Refusal { key, args: Vec::new() }
    }
}

impl fmt::Display for Refusal {
    // For logs and the command line's fallback: the key and its arguments.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key.as_str())?;
        for (name, arg) in &self.args {
            match arg {
                Arg::Text(s) => write!(f, " {name}={s}")?,
                Arg::Number(n) => write!(f, " {name}={n}")?,
                Arg::Time(t) => write!(f, " {name}={}", t.to_rfc3339())?,
                Arg::Key(k) => write!(f, " {name}={}", k.as_str())?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for Refusal {}

/// Declares the keys: each variant with its text key in the locale files.
macro_rules! keys {
    ($($(#[$doc:meta])* $variant:ident = $text:literal,)*) => {
        /// Every refusal a user can meet, by the key of its text in the locale files.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Key {
            $($(#[$doc])* $variant,)*
        }

        impl Key {
            /// Every key, for the test that every locale has its text.
            pub const ALL: &'static [Key] = &[$(Key::$variant,)*];

            /// The key named by its text key (`as_str`).
            pub fn parse(text: &str) -> Option<Key> {
                Key::ALL.iter().copied().find(|k| k.as_str() == text)
            }

            /// The key of the text in the locale files (and the API's `refusal.key`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Key::$variant => $text,)*
                }
            }
        }
    };
}

impl Key {
    /// A refusal of this key with one argument.
    pub fn with(self, name: &'static str, value: impl Into<Arg>) -> Refusal {
        Refusal::from(self).with(name, value)
    }
}

impl Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

keys! {
    // Values typed by people.
    /// A name is blank.
    NameEmpty = "name-empty",
    /// A name is longer than 64 characters.
    NameTooLong = "name-too-long",
    /// A name has control or direction-changing characters.
    NameCharacters = "name-characters",
    /// A place name has '/' or hidden characters.
    PlaceNameCharacters = "place-name-characters",
    /// A mobile number does not have 11 digits.
    PhoneLength = "phone-length",
    /// A mobile number does not start 13 to 19.
    PhonePrefix = "phone-prefix",
    /// A mobile number has other characters than digits.
    PhoneCharacters = "phone-characters",
    /// An ID number does not have 18 characters.
    IdNumberLength = "id-number-length",
    /// An ID number has other characters than digits and a final X.
    IdNumberCharacters = "id-number-characters",
    /// The birth date inside an ID number is not a date.
    IdNumberBirthDate = "id-number-birth-date",
    /// An ID number's check character does not match.
    IdNumberChecksum = "id-number-checksum",
    /// An ID number was kept as a number by a spreadsheet and lost its last digits.
    IdNumberLostDigits = "id-number-lost-digits",
    /// An ID number is the masked form of an export without full numbers.
    IdNumberMasked = "id-number-masked",

    // Accounts.
    /// A password is shorter than 10 characters.
    AccountPasswordShort = "account-too-short",
    /// The current password given is wrong.
    AccountWrongCurrent = "account-wrong-current",
    /// A user name breaks the rules.
    AccountBadUsername = "account-bad-username",
    /// The role cannot have that kind of scope (`role`, `scope`).
    AccountRoleScope = "account-role-scope",
    /// A user of that name exists.
    AccountNameTaken = "account-name-taken",
    /// No user of that name (`name`).
    AccountNoUser = "account-no-user",
    /// No cadre with that id (`id`).
    AccountNoCadre = "account-no-cadre",
    /// A scope text cannot be read.
    ScopeBad = "scope-bad",
    /// A scope names a unit that does not exist (`name`).
    ScopeNoUnit = "scope-no-unit",
    /// A scope names a quarantine site that does not exist (`name`).
    ScopeNoSite = "scope-no-site",
    /// A place scope was given before any place was imported.
    ScopeNoTree = "scope-no-tree",
    /// A place scope names a place that does not exist (`name`).
    ScopeNoPlace = "scope-no-place",
    /// Too many lookups by ID number in a short time.
    SearchTooMany = "search-too-many",

    // Units and cadres.
    /// A unit's name is not usable (`reason`).
    UnitBadName = "unit-bad-name",
    /// A site's name is not usable (`reason`).
    SiteBadName = "site-bad-name",
    /// A training course's name is not usable.
    TrainingBadCourse = "training-bad-course",

    // Orders.
    /// The step does not follow from the order's state.
    OrderStepNotAllowed = "order-step-not-allowed",
    /// Assembling with nobody.
    OrderEmptyRoster = "order-empty-roster",
    /// A cadre twice on the roster.
    OrderDuplicateOnRoster = "order-duplicate-on-roster",
    /// Declining or cancelling without a reason.
    OrderReasonRequired = "order-reason-required",
    /// Fewer than 1 or more than 1000 people asked.
    OrderPeopleRange = "order-people-range",
    /// No compound named.
    OrderNoCompounds = "order-no-compounds",
    /// The deadline is in the past.
    OrderDeadlinePassed = "order-deadline-passed",
    /// The deadline is more than a year ahead.
    OrderDeadlineFar = "order-deadline-far",
    /// The note is over 500 characters.
    OrderNoteLong = "order-note-long",
    /// No such unit.
    OrderNoUnit = "order-no-unit",
    /// No such compound in scope.
    OrderNoCompound = "order-no-compound",
    /// A place named is not a compound (`name`).
    OrderNotACompound = "order-not-a-compound",
    /// Someone else moved the order meanwhile.
    OrderMovedMeanwhile = "order-moved-meanwhile",
    /// The form lacks the unit, people or deadline.
    OrderFormIncomplete = "order-form-incomplete",
    /// An unknown step (`event`).
    OrderUnknownEvent = "order-unknown-event",
    /// An unknown squad role (`role`).
    OrderUnknownRole = "order-unknown-role",
    /// The leader named is not among the people ticked.
    OrderLeaderNotChosen = "order-leader-not-chosen",
    /// The branch secretary named is not among the people ticked.
    OrderSecretaryNotChosen = "order-secretary-not-chosen",
    /// One cadre was named both leader and branch secretary.
    OrderTwoRoles = "order-two-roles",
    /// The branch secretary named is not a formal party member (`name`).
    OrderSecretaryNotParty = "order-secretary-not-party",
    /// The squad has reported on site already (`actor`, `at`).
    OrderAlreadyReported = "order-already-reported",

    // Squads.
    /// Not exactly one leader.
    SquadOneLeader = "squad-one-leader",
    /// More than one branch secretary.
    SquadOneSecretary = "squad-one-secretary",
    /// The roster names a cadre of another unit.
    RosterNotUnitCadre = "roster-not-unit-cadre",
    /// A cadre on the roster is unavailable (`name`).
    RosterUnavailable = "roster-unavailable",
    /// A cadre on the roster is posted with another squad (`name`, `squad`).
    RosterPostedElsewhere = "roster-posted-elsewhere",
    /// A cadre on the roster is untrained (`name`).
    RosterUntrainedConfirm = "roster-untrained-confirm",
    /// A liaison's name is not usable.
    LiaisonBadName = "liaison-bad-name",
    /// A liaison's role is not usable.
    LiaisonBadRole = "liaison-bad-role",
    /// A liaison's phone is not a mobile number.
    LiaisonBadPhone = "liaison-bad-phone",

    // Control status.
    /// Not one of the three tiers.
    ControlBadStatus = "control-bad-status",
    /// A change of control status without a reason.
    ControlNoReason = "control-no-reason",
    /// A reason longer than 500 characters.
    ControlLongReason = "control-long-reason",
    /// A control status for a place that is not a compound.
    ControlNotCompound = "control-not-compound",

    // Kits.
    /// A kit item's name is not usable (`reason`).
    KitBadItemName = "kit-bad-item-name",
    /// Per person outside 1 to 10000.
    KitPerPersonRange = "kit-per-person-range",
    /// The cadre is not a member of the squad.
    KitNotMember = "kit-not-member",
    /// A quantity outside 1 to 10000.
    KitQuantityRange = "kit-quantity-range",
    /// No such kit item.
    KitNoItem = "kit-no-item",
    /// A correction cannot be corrected.
    KitCorrectCorrection = "kit-correct-correction",
    /// The entry is corrected already.
    KitCorrectedAlready = "kit-corrected-already",

    // Duty rosters.
    /// The squad has stood down.
    DutyClosed = "roster-closed",
    /// A day is not a date, or out of range.
    DutyBadDay = "roster-bad-day",
    /// Days outside 1 to 14.
    DutyBadDays = "roster-bad-days",
    /// The start times are not a pattern.
    DutyBadPattern = "roster-bad-pattern",
    /// People per shift outside 0 to 50.
    DutyBadPerShift = "roster-bad-per-shift",
    /// The squad's compounds have no checkpoints.
    DutyNoCheckpoints = "roster-no-checkpoints",
    /// A pattern overlaps a different shift on the roster (`checkpoint`, `from`, `to`).
    DutyOverlap = "roster-overlap",
    /// Someone changed the roster meanwhile.
    DutyChanged = "roster-changed",
    /// Someone not of the squad put on a shift.
    DutyNotMember = "roster-not-member",
    /// A cadre given on the shift form is not a number.
    DutyBadCadre = "roster-bad-cadre",
    /// Someone stands an overlapping shift (`name`, `checkpoint`, `from`).
    DutyClash = "roster-clash",
    /// A handover note over 1000 characters.
    DutyHandoverLong = "roster-handover-long",
    /// The clear form's box was not ticked.
    DutyClearUnsure = "roster-clear-unsure",

    // Webhooks.
    /// Not an http(s) URL with a host.
    WebhookBadUrl = "webhook-bad-url",
    /// A URL over 2000 characters.
    WebhookLongUrl = "webhook-long-url",
    /// Not one of the four formats.
    WebhookBadFormat = "webhook-bad-format",
    /// A name outside 1 to 100 characters.
    WebhookBadName = "webhook-bad-name",
    /// A secret too long or with spaces.
    WebhookBadSecret = "webhook-bad-secret",
    /// A URL to a loopback, private or link-local address.
    WebhookPrivateAddress = "webhook-private-address",

    // Residents.
    /// Reveal names no such field.
    RevealBadField = "reveal-bad-field",
    /// An export format other than csv or xlsx.
    ExportBadFormat = "export-bad-format",

    // Files.
    /// The file is empty.
    SheetEmpty = "sheet-empty",
    /// No header row.
    SheetNoHeader = "sheet-no-header",
    /// A workbook without a worksheet.
    SheetNoWorksheet = "sheet-no-worksheet",
    /// An Excel 97-2003 file.
    SheetLegacyXls = "sheet-legacy-xls",
    /// Not a readable XLSX workbook.
    SheetBadXlsx = "sheet-bad-xlsx",
    /// A CSV that cannot be split into rows (`row`).
    SheetBadCsv = "sheet-bad-csv",
    /// Text neither UTF-8 nor GBK (`row`).
    SheetBadEncoding = "sheet-bad-encoding",
    /// A workbook that unpacks to more than the limit (`limit` in MB).
    SheetTooLarge = "sheet-too-large",
    /// A worksheet with more cells than the limit (`limit`).
    SheetTooManyCells = "sheet-too-many-cells",
    /// Writing a spreadsheet failed.
    SheetWrite = "sheet-write",
    /// No file was sent.
    ImportNoFile = "error-no-file",
    /// No kind of import chosen, or one the user may not import.
    ImportKind = "error-import-kind",
    /// The same file is being imported by someone else right now.
    ImportRunning = "import-running",
    /// A quarantine policy not named "a+b" (`name`).
    QuarantinePolicyName = "quarantine-policy-name",
    /// A policy phase of too few or too many days (`max`).
    QuarantinePolicyDays = "quarantine-policy-days",
    /// A policy's test day outside its phase (`day`, `first`, `last`).
    QuarantinePolicyTestDay = "quarantine-policy-test-day",
    /// A custom policy given a preset's name (`name`).
    QuarantinePolicyPreset = "quarantine-policy-preset",
    /// No policy of that name (`name`).
    QuarantinePolicyUnknown = "quarantine-policy-unknown",
    /// An extension of a stay of no days or too many (`max`).
    QuarantineExtensionDays = "quarantine-extension-days",
    /// A site's step that does not follow from its state (`from`, `event`).
    QuarantineSiteStep = "quarantine-site-step-not-allowed",
    /// Opening a site without a usable room.
    QuarantineSiteNoRooms = "quarantine-site-no-rooms",
    /// Terminal disinfection with people still on site (`people`).
    QuarantineSiteNotEmpty = "quarantine-site-not-empty",
    /// Checking people in while the site is not active.
    QuarantineSiteNotActive = "quarantine-site-not-active",
    /// A room's step that does not follow from its state (`from`, `event`).
    QuarantineRoomStep = "quarantine-room-step-not-allowed",
    /// An arrival time that is not a date and time (`value`).
    QuarantineArrivalTime = "quarantine-arrival-time",
    /// A manual move at check-in without its passport or its room.
    QuarantineMoveEmpty = "quarantine-move-empty",
    /// A room number that is not 1 to 12 letters, digits or '-' (`room`).
    QuarantineRoomNumber = "quarantine-room-number",
    /// A floor that is not a whole number in range (`floor`, `min`, `max`).
    QuarantineRoomFloor = "quarantine-room-floor",
    /// Beds of a room out of range (`beds`, `min`, `max`).
    QuarantineRoomCapacity = "quarantine-room-capacity",
    /// None of a site's six groups (`group`).
    QuarantineGroupUnknown = "quarantine-group-unknown",
    /// A transfer's step that does not follow from its state (`from`, `event`).
    QuarantineTransferStep = "quarantine-transfer-step-not-allowed",
    /// A transfer departing without an escort.
    QuarantineTransferNoEscort = "quarantine-transfer-no-escort",
    /// A transfer's step dated before the previous one (`at`, `since`).
    QuarantineTransferTimeOrder = "quarantine-transfer-time-order",
    /// A vehicle empty or over 20 characters.
    QuarantineTransferVehicle = "quarantine-transfer-vehicle",
    /// A transfer's note empty or too long (`max`).
    QuarantineTransferNote = "quarantine-transfer-note",
    /// A required manifest value is blank (`field`).
    QuarantineManifestMissing = "quarantine-manifest-missing",
    /// A manifest column named twice (`field`).
    QuarantineManifestColumnTwice = "quarantine-manifest-column-twice",
    /// A required manifest column missing (`field`).
    QuarantineManifestColumnMissing = "quarantine-manifest-column-missing",
    /// A passport number not of 5 to 20 letters and digits.
    QuarantinePassport = "quarantine-passport",
    /// Not an ISO 3166-1 alpha-2 code (`value`).
    QuarantineCountry = "quarantine-country",
    /// Not an ISO 639-1 code (`value`).
    QuarantineLanguage = "quarantine-language",
    /// A birth date that is not a date (`value`).
    QuarantineBirthDate = "quarantine-birth-date",
    /// A birth date before 1900 or after arrival.
    QuarantineBirthDateRange = "quarantine-birth-date-range",
    /// A sex that is none of those people write (`value`).
    QuarantineSex = "quarantine-sex",
    /// A Latin name with letters of another script.
    QuarantineNameLatin = "quarantine-name-latin",
    /// A phone number not + and 8 to 15 digits.
    QuarantinePhone = "quarantine-phone",
    /// Too few vacant rooms to check a batch in (`rooms`, `people`).
    QuarantineRoomsShort = "quarantine-rooms-short",
    /// A room with every bed taken (`room`, `capacity`).
    QuarantineRoomFull = "quarantine-room-full",
    /// A room awaiting disinfection (`room`).
    QuarantineRoomAwaitingDisinfection = "quarantine-room-awaiting-disinfection",
    /// A room out of service (`room`).
    QuarantineRoomOutOfService = "quarantine-room-out-of-service",
    /// No such room among those a plan may use (`room`).
    QuarantineRoomUnknown = "quarantine-room-unknown",
    /// A person not in the rooming plan.
    QuarantinePersonNotInPlan = "quarantine-person-not-in-plan",
    /// A site name already in use (`name`).
    QuarantineSiteNameTaken = "quarantine-site-name-taken",
    /// A release before the last on-site day (`date`).
    QuarantineReleaseTooEarly = "quarantine-release-too-early",
    /// A release of someone who tested positive or was transferred.
    QuarantineReleasePositive = "quarantine-release-positive",
    /// A release of someone never given a room.
    QuarantineReleaseNotCheckedIn = "quarantine-release-not-checked-in",
    /// A care need of the manifest too long or with hidden characters (`max`).
    QuarantineCareNote = "quarantine-care-note",
    /// A transfer's step that is none of depart, hand-over, follow-up, cancel (`value`).
    QuarantineTransferEvent = "quarantine-transfer-event",
    /// A results file without one of its columns (`field`).
    QuarantineResultsColumnMissing = "quarantine-results-column-missing",
    /// A test day that is not a date (`value`).
    QuarantineResultDay = "quarantine-result-day",
    /// An extension of someone no longer on site (left for hospital or released).
    QuarantineExtendNotOnSite = "quarantine-extend-not-on-site",
    /// An extension's reason that is not close-contact or cdc-decision (`value`).
    QuarantineExtendReason = "quarantine-extend-reason",
    /// A release whose receiver or onward transport is missing or too long (`max`).
    QuarantineReleaseHandover = "quarantine-release-handover",
    /// A rooms file without a room.
    QuarantineRoomsNone = "quarantine-rooms-none",
    /// A time zone that is not in the tz database (`zone`).
    QuarantineZoneUnknown = "quarantine-zone-unknown",
    /// An arrival batch name already in use at the site (`name`).
    QuarantineBatchNameTaken = "quarantine-batch-name-taken",
    /// A batch's transport missing or too long (`max`).
    QuarantineTransport = "quarantine-transport",
    /// A test result that is neither negative nor positive (`value`).
    QuarantineResultUnknown = "quarantine-result-unknown",
    /// A result for a person and day that already has a different one (`date`, `recorded`).
    QuarantineResultConflict = "quarantine-result-conflict",
    /// A batch or a result for a site in terminal disinfection or closed.
    QuarantineSiteClosed = "quarantine-site-closed",
    /// A passport not on the batch's manifest (`passport`).
    QuarantinePassportUnknown = "quarantine-passport-unknown",
    /// A temperature that is not a reading in range (`value`, `min`, `max`).
    QuarantineTemperature = "quarantine-temperature",
    /// A symptom not on the list (`value`).
    QuarantineSymptomUnknown = "quarantine-symptom-unknown",
    /// A check's slot that is neither morning nor afternoon (`value`).
    QuarantineSlotUnknown = "quarantine-slot-unknown",
    /// A check for a slot that already has a different reading (`date`, `slot`, `recorded`).
    QuarantineCheckConflict = "quarantine-check-conflict",
    /// A health check or request for someone not in a room at the site.
    QuarantinePersonNotOnSite = "quarantine-person-not-on-site",
    /// A request kind not on the list (`value`).
    QuarantineRequestKind = "quarantine-request-kind",
    /// A request with no text.
    QuarantineRequestEmpty = "quarantine-request-empty",
    /// A request text longer than `max` characters.
    QuarantineRequestTooLong = "quarantine-request-too-long",
    /// A request text with control or hidden characters.
    QuarantineRequestCharacters = "quarantine-request-characters",
    /// A request form without a usable client id (an old or altered page).
    QuarantineRequestClientId = "quarantine-request-client-id",
    /// A request's step that does not follow from its state (`from`, `event`).
    QuarantineRequestStep = "quarantine-request-step-not-allowed",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_written_once() {
        let mut seen = std::collections::HashSet::new();
        for k in Key::ALL {
            assert!(seen.insert(k.as_str()), "{} twice", k.as_str());
            assert!(k.as_str().chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{}", k.as_str());
        }
    }

    #[test]
    fn a_kept_refusal_reads_back_as_it_was_and_an_unknown_key_reads_as_nothing() {
        let at: DateTime<Utc> = "2022-12-01T12:00:00Z".parse().unwrap();
        let r = Key::SheetTooLarge.with("limit", 512usize).with("name", "1").with("at", at).with("why", Key::NameEmpty);
        let kept = r.to_kept();
        assert_eq!(Refusal::from_kept(&kept), Some(r));
        // A number as text stays text: the type is kept, not guessed.
        let text = Refusal::from_kept(&kept).unwrap();
        assert_eq!(text.args[1].1, Arg::Text("1".into()));
        assert_eq!(Refusal::from_kept(&kept.replace("sheet-too-large", "no-such-key")), None);
        assert_eq!(Refusal::from_kept("not json"), None);
    }

    #[test]
    fn a_refusal_carries_typed_arguments_and_shows_them_in_logs() {
        let at: DateTime<Utc> = "2022-12-01T12:00:00Z".parse().unwrap();
        let r = Key::DutyClash.with("name", "王|五").with("from", at).with("n", 3usize);
        assert_eq!(r.args[0], (Cow::Borrowed("name"), Arg::Text("王|五".into())));
        assert_eq!(r.args[1].1, Arg::Time(at));
        assert_eq!(r.to_string(), "roster-clash name=王|五 from=2022-12-01T12:00:00+00:00 n=3");
    }
}

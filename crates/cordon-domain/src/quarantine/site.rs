//! A quarantine site and its rooms, each a state machine, and who at a site
//! sees what. A site account is scoped to its site (`accounts`); within it,
//! the account's role at the site (the manager or one functional group)
//! decides which parts of the site's records it sees, by `SiteRole::may_see`.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

use crate::values::fold_width;
use crate::{Key, Refusal};

/// Where a site stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SiteState {
    /// 待命: a hotel on the list, not yet in use.
    Standby,
    /// 筹备: groups formed, rooms readied, no one checked in yet.
    Preparing,
    /// 启用: receiving and holding people.
    Active,
    /// 终末消毒: everyone has left; the whole site is disinfected.
    TerminalDisinfection,
    /// 关闭: handed back to the hotel.
    Closed,
}

/// Something that happens to a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteEvent {
    /// The command designates the hotel and the groups start.
    Prepare,
    /// The site opens for arrivals; it needs rooms to open.
    Activate {
        /// Rooms usable (not out of service).
        rooms: usize,
    },
    /// The last person has left; terminal disinfection begins.
    BeginDisinfection {
        /// People still on site (checked in, not released or transferred).
        people_on_site: usize,
    },
    /// Disinfection is done and the hotel is handed back.
    Close,
}

impl SiteEvent {
    /// The stable key of the event, for logs, forms and the API.
    pub fn key(&self) -> &'static str {
        match self {
            SiteEvent::Prepare => "prepare",
            SiteEvent::Activate { .. } => "activate",
            SiteEvent::BeginDisinfection { .. } => "disinfect",
            SiteEvent::Close => "close",
        }
    }
}

/// Why a site's or room's step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteError {
    /// The site's step does not follow from its state.
    #[error("a site that is {from} cannot take the step {event}")]
    SiteStep {
        /// The current state's key.
        from: &'static str,
        /// The event's key.
        event: &'static str,
    },
    /// Opening a site without rooms.
    #[error("a site opens with at least one usable room")]
    NoRooms,
    /// Disinfecting a site people are still in.
    #[error("{0} people are still on site")]
    NotEmpty(usize),
    /// Checking people in while the site is not active.
    #[error("people are checked in only while the site is active")]
    NotActive,
    /// The room's step does not follow from its state.
    #[error("a room that is {from} cannot take the step {event}")]
    RoomStep {
        /// The current state's key.
        from: &'static str,
        /// The event's key.
        event: &'static str,
    },
    /// A room number that is not letters, digits and '-'.
    #[error("a room number has 1 to 12 letters, digits or '-'")]
    RoomNumber(String),
    /// A floor outside the range.
    #[error("a floor is a whole number between {} and {}", FLOORS.start(), FLOORS.end())]
    Floor(String),
    /// A capacity outside the range.
    #[error("a room has {} to {} beds", CAPACITY.start(), CAPACITY.end())]
    Capacity(String),
    /// A group name that is none of the six.
    #[error("no group {0}")]
    UnknownGroup(String),
}

impl From<SiteError> for Refusal {
    fn from(e: SiteError) -> Refusal {
        match e {
            SiteError::SiteStep { from, event } => Key::QuarantineSiteStep.with("from", from).with("event", event),
            SiteError::NoRooms => Key::QuarantineSiteNoRooms.into(),
            SiteError::NotEmpty(people) => Key::QuarantineSiteNotEmpty.with("people", people),
            SiteError::NotActive => Key::QuarantineSiteNotActive.into(),
            SiteError::RoomStep { from, event } => Key::QuarantineRoomStep.with("from", from).with("event", event),
            SiteError::RoomNumber(room) => Key::QuarantineRoomNumber.with("room", room),
            SiteError::Floor(floor) => Key::QuarantineRoomFloor
                .with("floor", floor)
                .with("min", i64::from(*FLOORS.start()))
                .with("max", i64::from(*FLOORS.end())),
            SiteError::Capacity(beds) => Key::QuarantineRoomCapacity
                .with("beds", beds)
                .with("min", i64::from(*CAPACITY.start()))
                .with("max", i64::from(*CAPACITY.end())),
            SiteError::UnknownGroup(group) => Key::QuarantineGroupUnknown.with("group", group),
        }
    }
}

impl SiteState {
    /// Every state, in the order a site goes through them.
    pub const ALL: [SiteState; 5] = [
        SiteState::Standby,
        SiteState::Preparing,
        SiteState::Active,
        SiteState::TerminalDisinfection,
        SiteState::Closed,
    ];

    /// The stored key (the database CHECKs it).
    pub fn as_str(self) -> &'static str {
        match self {
            SiteState::Standby => "standby",
            SiteState::Preparing => "preparing",
            SiteState::Active => "active",
            SiteState::TerminalDisinfection => "terminal-disinfection",
            SiteState::Closed => "closed",
        }
    }

    /// Reads the stored key back.
    pub fn parse(s: &str) -> Option<SiteState> {
        SiteState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The next state after an event, or why the event does not apply.
    pub fn apply(self, event: &SiteEvent) -> Result<SiteState, SiteError> {
        use SiteState::*;
        match (self, event) {
            (Standby, SiteEvent::Prepare) => Ok(Preparing),
            (Preparing, SiteEvent::Activate { rooms: 0 }) => Err(SiteError::NoRooms),
            (Preparing, SiteEvent::Activate { .. }) => Ok(Active),
            (Active, SiteEvent::BeginDisinfection { people_on_site: 0 }) => Ok(TerminalDisinfection),
            (Active, SiteEvent::BeginDisinfection { people_on_site }) => Err(SiteError::NotEmpty(*people_on_site)),
            (TerminalDisinfection, SiteEvent::Close) => Ok(Closed),
            (from, event) => Err(SiteError::SiteStep { from: from.as_str(), event: event.key() }),
        }
    }

    /// The step that leads on from this state and where it leads (`None`
    /// once closed): the event `apply` takes when its conditions hold (rooms
    /// to open with, nobody left to disinfect around).
    fn next(self) -> Option<(&'static str, SiteState)> {
        [
            SiteEvent::Prepare,
            SiteEvent::Activate { rooms: 1 },
            SiteEvent::BeginDisinfection { people_on_site: 0 },
            SiteEvent::Close,
        ]
        .into_iter()
        .find_map(|e| self.apply(&e).ok().map(|to| (e.key(), to)))
    }

    /// The key of the step that leads on from this state, for a page's one button.
    pub fn next_step(self) -> Option<&'static str> {
        self.next().map(|(key, _)| key)
    }

    /// Whether a step's key leads where there is no way back: to a state
    /// that takes no new records (terminal disinfection, closed).
    pub fn final_step(step: &str) -> bool {
        SiteState::ALL.into_iter().filter_map(SiteState::next).any(|(key, to)| key == step && !to.takes_records())
    }

    /// Whether the site still takes new records (batches, results): not once
    /// everyone has left and it is being disinfected or is closed.
    pub fn takes_records(self) -> bool {
        !matches!(self, SiteState::TerminalDisinfection | SiteState::Closed)
    }

    /// Whether people may be checked in now: only while the site is active.
    pub fn check_in(self) -> Result<(), SiteError> {
        if self == SiteState::Active { Ok(()) } else { Err(SiteError::NotActive) }
    }
}

/// The floors a room may be on: basements to a tall hotel's top.
pub const FLOORS: std::ops::RangeInclusive<i32> = -5..=200;

/// Beds a room may have: a single to a family suite.
pub const CAPACITY: std::ops::RangeInclusive<u32> = 1..=8;

/// A room number as the hotel writes it on the door: 1 to 12 ASCII letters,
/// digits or '-', upper-cased ("0812", "A-812"). A spreadsheet's number cell
/// is read as its digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoomNo(String);

impl RoomNo {
    /// Parses a room number; full-width characters fold to ASCII.
    pub fn parse(input: &str) -> Result<RoomNo, SiteError> {
        let t = fold_width(input).trim().to_ascii_uppercase();
        let ok = (1..=12).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if ok { Ok(RoomNo(t)) } else { Err(SiteError::RoomNumber(input.trim().to_string())) }
    }

    /// The number as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the next door along has this number: 813 after 812. Numbers
    /// with letters are nobody's neighbours, since "A12" and "B12" may be
    /// two wings apart.
    pub fn follows(&self, before: &RoomNo) -> bool {
        matches!((before.numeric(), self.numeric()), (Some(a), Some(b)) if b == a + 1)
    }

    /// The number's digits as a number, if it is all digits: so that 812
    /// sorts before 1012, and 0812 and 812 sort together.
    fn numeric(&self) -> Option<u64> {
        self.0.bytes().all(|b| b.is_ascii_digit()).then(|| self.0.parse().ok()).flatten()
    }
}

impl Ord for RoomNo {
    // Numbers in number order, then the others in text order; ties by text, so
    // the order is total and agrees with `Eq`.
    fn cmp(&self, other: &RoomNo) -> Ordering {
        let key = |r: &RoomNo| (r.numeric().is_none(), r.numeric().unwrap_or(0));
        key(self).cmp(&key(other)).then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for RoomNo {
    fn partial_cmp(&self, other: &RoomNo) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for RoomNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for RoomNo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// A room of a site, as its rooms file gives it (楼层 floor, 房号 room, 床位 capacity).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Room {
    /// The floor.
    pub floor: i32,
    /// The number on the door.
    pub number: RoomNo,
    /// Beds.
    pub capacity: u32,
}

impl Room {
    /// A room from the rooms file's three cells, each checked; a number cell
    /// written as `8.0` by some tools reads as 8.
    pub fn parse(floor: &str, number: &str, capacity: &str) -> Result<Room, Vec<Refusal>> {
        let floor = whole_number(floor)
            .and_then(|f| i32::try_from(f).ok())
            .filter(|f| FLOORS.contains(f))
            .ok_or_else(|| SiteError::Floor(floor.trim().to_string()));
        let capacity = whole_number(capacity)
            .and_then(|c| u32::try_from(c).ok())
            .filter(|c| CAPACITY.contains(c))
            .ok_or_else(|| SiteError::Capacity(capacity.trim().to_string()));
        match (floor, RoomNo::parse(number), capacity) {
            (Ok(floor), Ok(number), Ok(capacity)) => Ok(Room { floor, number, capacity }),
            (f, n, c) => Err([f.err(), n.err(), c.err()].into_iter().flatten().map(Refusal::from).collect()),
        }
    }
}

/// A whole number as a cell holds it: `8`, `８`, or `8.0`.
fn whole_number(cell: &str) -> Option<i64> {
    let t = fold_width(cell);
    let t = t.trim();
    t.strip_suffix(".0").unwrap_or(t).parse().ok()
}

/// Where a room stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoomState {
    /// 空闲: clean and empty.
    Vacant,
    /// 入住: someone sleeps here.
    Occupied,
    /// 待消毒: emptied (a release, a transfer), not yet disinfected.
    AwaitingDisinfection,
    /// 停用: not to be used (a repair, a broken window).
    OutOfService,
}

/// Something that happens to a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoomEvent {
    /// Someone moves in (the first, or a roommate of the same group).
    Occupy,
    /// The last person leaves.
    Vacate,
    /// The room is disinfected.
    Disinfect,
    /// The room is taken out of use.
    TakeOutOfService,
    /// The room is back in use.
    Restore,
}

impl RoomEvent {
    /// Every event.
    pub const ALL: [RoomEvent; 5] =
        [RoomEvent::Occupy, RoomEvent::Vacate, RoomEvent::Disinfect, RoomEvent::TakeOutOfService, RoomEvent::Restore];

    /// The stable key of the event.
    pub fn key(self) -> &'static str {
        match self {
            RoomEvent::Occupy => "occupy",
            RoomEvent::Vacate => "vacate",
            RoomEvent::Disinfect => "disinfect",
            RoomEvent::TakeOutOfService => "take-out-of-service",
            RoomEvent::Restore => "restore",
        }
    }

    /// The event a room's form or API call names by hand; `occupy` and
    /// `vacate` are not among them: check-in, releases and transfers take
    /// people in and out, so a room's count of people and its state agree.
    pub fn by_hand(key: &str) -> Option<RoomEvent> {
        [RoomEvent::Disinfect, RoomEvent::TakeOutOfService, RoomEvent::Restore].into_iter().find(|e| e.key() == key)
    }
}

impl RoomState {
    /// Every state.
    pub const ALL: [RoomState; 4] =
        [RoomState::Vacant, RoomState::Occupied, RoomState::AwaitingDisinfection, RoomState::OutOfService];

    /// The stored key (the database CHECKs it).
    pub fn as_str(self) -> &'static str {
        match self {
            RoomState::Vacant => "vacant",
            RoomState::Occupied => "occupied",
            RoomState::AwaitingDisinfection => "awaiting-disinfection",
            RoomState::OutOfService => "out-of-service",
        }
    }

    /// Reads the stored key back.
    pub fn parse(s: &str) -> Option<RoomState> {
        RoomState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The next state after an event, or why the event does not apply.
    pub fn apply(self, event: RoomEvent) -> Result<RoomState, SiteError> {
        use RoomState::*;
        match (self, event) {
            (Vacant | Occupied, RoomEvent::Occupy) => Ok(Occupied),
            (Occupied, RoomEvent::Vacate) => Ok(AwaitingDisinfection),
            (AwaitingDisinfection, RoomEvent::Disinfect) => Ok(Vacant),
            // Not while someone is in it: they are moved out first.
            (Vacant | AwaitingDisinfection, RoomEvent::TakeOutOfService) => Ok(OutOfService),
            // Workers have been in a room under repair: it is disinfected before anyone sleeps in it.
            (OutOfService, RoomEvent::Restore) => Ok(AwaitingDisinfection),
            (from, event) => Err(SiteError::RoomStep { from: from.as_str(), event: event.key() }),
        }
    }

    /// Whether someone can move into a room in this state (beds aside), by `apply`.
    pub fn takes_people(self) -> bool {
        self.apply(RoomEvent::Occupy).is_ok()
    }
}

/// The functional groups of a site (工作组).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    /// 信息组: registration, lists and daily reports.
    Information,
    /// 外事组: foreign affairs, translation, universities and embassies.
    ForeignAffairs,
    /// 疾控组: the CDC: sampling, results, epidemiology, release decisions.
    Cdc,
    /// 医疗组: health checks and medical care.
    Medical,
    /// 公安组: the police: security and escorts.
    Police,
    /// 酒店组: the hotel: rooms, meals, cleaning.
    Hotel,
}

impl Group {
    /// Every group.
    pub const ALL: [Group; 6] =
        [Group::Information, Group::ForeignAffairs, Group::Cdc, Group::Medical, Group::Police, Group::Hotel];

    /// The stable key.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Information => "information",
            Group::ForeignAffairs => "foreign-affairs",
            Group::Cdc => "cdc",
            Group::Medical => "medical",
            Group::Police => "police",
            Group::Hotel => "hotel",
        }
    }

    /// The Chinese name as sites write it.
    pub fn zh(self) -> &'static str {
        match self {
            Group::Information => "信息组",
            Group::ForeignAffairs => "外事组",
            Group::Cdc => "疾控组",
            Group::Medical => "医疗组",
            Group::Police => "公安组",
            Group::Hotel => "酒店组",
        }
    }

    /// Reads the key or the Chinese name (with or without 组).
    pub fn parse(s: &str) -> Result<Group, SiteError> {
        let t = s.trim();
        let key = t.to_ascii_lowercase();
        Group::ALL
            .into_iter()
            .find(|g| g.as_str() == key || g.zh() == t || g.zh().strip_suffix('组') == Some(t))
            .ok_or_else(|| SiteError::UnknownGroup(t.to_string()))
    }
}

/// Someone's role at a site: the manager (点长) or a member of one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SiteRole {
    /// 点长: runs the site and sees all of it.
    Manager,
    /// A member of a functional group.
    Member(Group),
}

/// A part of a site's records that a page or an API call shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sight {
    /// The people on the roll: names, passports, phones, destinations.
    People,
    /// Rooms, their state and who is in them.
    Rooms,
    /// Meals and dietary needs.
    Meals,
    /// Temperatures and symptoms.
    HealthChecks,
    /// Test results.
    TestResults,
    /// Transfers to hospital and their follow-up.
    Transfers,
    /// Requests people make (food, medicine, translation, other).
    Requests,
    /// Birthdays, language, religious and other care needs.
    Care,
    /// Releases, certificates and hand-overs.
    Releases,
}

impl Sight {
    /// Every part.
    pub const ALL: [Sight; 9] = [
        Sight::People,
        Sight::Rooms,
        Sight::Meals,
        Sight::HealthChecks,
        Sight::TestResults,
        Sight::Transfers,
        Sight::Requests,
        Sight::Care,
        Sight::Releases,
    ];
}

impl SiteRole {
    /// Whether this role keeps the site's roll: creates arrival batches,
    /// imports their manifests, checks people in and steps the site. The
    /// manager, and the information group that keeps the lists.
    pub fn keeps_roll(self) -> bool {
        matches!(self, SiteRole::Manager | SiteRole::Member(Group::Information))
    }

    /// Whether this role takes rooms' steps by hand (disinfected, out of
    /// service, back in use): the manager, the hotel that cleans and repairs,
    /// and the CDC group that guides disinfection.
    pub fn keeps_rooms(self) -> bool {
        matches!(self, SiteRole::Manager | SiteRole::Member(Group::Hotel | Group::Cdc))
    }

    /// Whether this role prints the room cards: a card's QR opens a person's
    /// own page with their dates, so only the roles that keep the roll (and
    /// see releases) hand them out.
    pub fn prints_cards(self) -> bool {
        self.keeps_roll() && self.may_see(Sight::Releases)
    }

    /// Whether this role records test results: the manager, the CDC group
    /// that samples and the medical group that cares for the sick.
    pub fn records_tests(self) -> bool {
        matches!(self, SiteRole::Manager | SiteRole::Member(Group::Cdc | Group::Medical))
    }

    /// Whether this role takes a transfer's steps: the manager, the CDC and
    /// medical groups, and the police who escort the closed loop.
    pub fn runs_transfers(self) -> bool {
        matches!(self, SiteRole::Manager | SiteRole::Member(Group::Cdc | Group::Medical | Group::Police))
    }

    /// Whether this role extends a stay by hand (a close contact, a doubtful
    /// result): the manager and the CDC group that decides on it.
    pub fn extends_stays(self) -> bool {
        matches!(self, SiteRole::Manager | SiteRole::Member(Group::Cdc))
    }

    /// Whether this role releases people: issues their certificates and
    /// records the hand-over. The manager, the CDC group that decides on
    /// releases, and the information group that keeps the roll.
    pub fn releases(self) -> bool {
        matches!(self, SiteRole::Manager | SiteRole::Member(Group::Cdc | Group::Information))
    }

    /// Whether this role sees this part of the site's records: each group
    /// what its work needs, and health data only the groups who care for it.
    pub fn may_see(self, sight: Sight) -> bool {
        use Sight::*;
        let group = match self {
            SiteRole::Manager => return true,
            SiteRole::Member(g) => g,
        };
        let sees: &[Sight] = match group {
            // Keeps the lists and reports up: everything but health checks.
            Group::Information => &[People, Rooms, TestResults, Transfers, Requests, Releases],
            // Speaks for foreigners to hospitals, universities and families: no medical data.
            Group::ForeignAffairs => &[People, Requests, Care, Transfers, Releases],
            // Samples room by room, decides on positives and releases.
            Group::Cdc => &[People, Rooms, HealthChecks, TestResults, Transfers, Releases],
            // Cares for the sick: health checks and results, medicine requests, needs.
            Group::Medical => &[People, Rooms, HealthChecks, TestResults, Transfers, Requests, Care],
            // Guards the site and escorts transfers.
            Group::Police => &[People, Rooms, Transfers],
            // Houses and feeds: rooms, meals and what people ask for, not their health.
            Group::Hotel => &[Rooms, Meals, Requests, Care],
        };
        sees.contains(&sight)
    }
}

/// Whether an account runs the city's quarantine sites as a whole: creates
/// sites, adds policies, puts accounts into a site's groups. The command at
/// city scope only; a site's own manager runs their site, not the list.
pub fn runs_sites(actor: &crate::Actor) -> bool {
    actor.role == crate::Role::Command && actor.scope == crate::Scope::City
}

/// Whether an account works with quarantine sites at all: the command at
/// city scope (every site) and the accounts of a site (their own).
pub fn may_list_sites(actor: &crate::Actor) -> bool {
    use crate::{Role, Scope};
    matches!(
        (actor.role, &actor.scope),
        (Role::Command, Scope::City) | (Role::SiteManager | Role::SiteGroup, Scope::Site { .. })
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_goes_from_standby_to_closed() {
        let mut s = SiteState::Standby;
        for e in [
            SiteEvent::Prepare,
            SiteEvent::Activate { rooms: 120 },
            SiteEvent::BeginDisinfection { people_on_site: 0 },
            SiteEvent::Close,
        ] {
            s = s.apply(&e).unwrap();
        }
        assert_eq!(s, SiteState::Closed);
    }

    #[test]
    fn each_state_but_closed_has_one_step_on() {
        use SiteState::*;
        let next: Vec<_> = SiteState::ALL.into_iter().map(SiteState::next_step).collect();
        assert_eq!(SiteState::ALL, [Standby, Preparing, Active, TerminalDisinfection, Closed]);
        assert_eq!(next, [Some("prepare"), Some("activate"), Some("disinfect"), Some("close"), None]);
        let last: Vec<_> = ["prepare", "activate", "disinfect", "close", "other"].map(SiteState::final_step).into();
        assert_eq!(last, [false, false, true, true, false], "no way back from disinfection and closing");
    }

    #[test]
    fn every_site_state_and_event_pair_is_either_allowed_or_refused_as_the_rules_say() {
        use SiteState::*;
        let events = [
            SiteEvent::Prepare,
            SiteEvent::Activate { rooms: 3 },
            SiteEvent::BeginDisinfection { people_on_site: 0 },
            SiteEvent::Close,
        ];
        let allowed = [
            (Standby, "prepare", Preparing),
            (Preparing, "activate", Active),
            (Active, "disinfect", TerminalDisinfection),
            (TerminalDisinfection, "close", Closed),
        ];
        let refused =
            |s: SiteState, e: &SiteEvent, x: &SiteError| *x == SiteError::SiteStep { from: s.as_str(), event: e.key() };
        crate::quarantine::assert_steps(&SiteState::ALL, &events, SiteEvent::key, |s, e| s.apply(e), refused, &allowed);
    }

    #[test]
    fn a_site_opens_with_rooms_and_is_disinfected_only_when_empty() {
        assert_eq!(SiteState::Preparing.apply(&SiteEvent::Activate { rooms: 0 }), Err(SiteError::NoRooms));
        assert_eq!(
            SiteState::Active.apply(&SiteEvent::BeginDisinfection { people_on_site: 3 }),
            Err(SiteError::NotEmpty(3))
        );
        assert_eq!(Refusal::from(SiteError::NotEmpty(3)).to_string(), "quarantine-site-not-empty people=3");
    }

    #[test]
    fn people_are_checked_in_only_while_the_site_is_active() {
        for s in SiteState::ALL {
            assert_eq!(s.check_in().is_ok(), s == SiteState::Active, "{s:?}");
        }
        assert_eq!(SiteState::Preparing.check_in(), Err(SiteError::NotActive));
    }

    #[test]
    fn every_room_state_and_event_pair_is_either_allowed_or_refused_as_the_rules_say() {
        use RoomState::*;
        let allowed = [
            (Vacant, "occupy", Occupied),
            (Occupied, "occupy", Occupied),
            (Occupied, "vacate", AwaitingDisinfection),
            (AwaitingDisinfection, "disinfect", Vacant),
            (Vacant, "take-out-of-service", OutOfService),
            (AwaitingDisinfection, "take-out-of-service", OutOfService),
            (OutOfService, "restore", AwaitingDisinfection),
        ];
        let refused =
            |s: RoomState, e: &RoomEvent, x: &SiteError| *x == SiteError::RoomStep { from: s.as_str(), event: e.key() };
        let key = |e: &RoomEvent| e.key();
        crate::quarantine::assert_steps(&RoomState::ALL, &RoomEvent::ALL, key, |s, e| s.apply(*e), refused, &allowed);
        for s in RoomState::ALL {
            assert_eq!(s.takes_people(), matches!(s, Vacant | Occupied), "{s:?}");
        }
        // By hand only what no check-in, release or transfer does.
        let by_hand: Vec<_> = RoomEvent::ALL.into_iter().filter(|e| RoomEvent::by_hand(e.key()) == Some(*e)).collect();
        assert_eq!(by_hand, [RoomEvent::Disinfect, RoomEvent::TakeOutOfService, RoomEvent::Restore]);
        assert_eq!(RoomEvent::by_hand("vacate"), None);
        assert_eq!(RoomEvent::by_hand("Disinfect"), None);
    }

    #[test]
    fn states_read_back() {
        for s in SiteState::ALL {
            assert_eq!(SiteState::parse(s.as_str()), Some(s));
        }
        for s in RoomState::ALL {
            assert_eq!(RoomState::parse(s.as_str()), Some(s));
        }
        for g in Group::ALL {
            assert_eq!(Group::parse(g.as_str()), Ok(g));
            assert_eq!(Group::parse(g.zh()), Ok(g));
        }
        assert_eq!(Group::parse("酒店"), Ok(Group::Hotel));
        assert_eq!(Group::parse(" CDC "), Ok(Group::Cdc));
        assert_eq!(Group::parse("后勤组"), Err(SiteError::UnknownGroup("后勤组".into())));
    }

    #[test]
    fn who_sees_what_at_a_site_is_the_table_below_and_nothing_else() {
        use Sight::*;
        // One row per role, in the order of Sight::ALL:
        //          People Rooms Meals Health Tests Transfers Requests Care Releases
        let table: [(SiteRole, [bool; 9]); 7] = [
            (SiteRole::Manager, [true, true, true, true, true, true, true, true, true]),
            (SiteRole::Member(Group::Information), [true, true, false, false, true, true, true, false, true]),
            (SiteRole::Member(Group::ForeignAffairs), [true, false, false, false, false, true, true, true, true]),
            (SiteRole::Member(Group::Cdc), [true, true, false, true, true, true, false, false, true]),
            (SiteRole::Member(Group::Medical), [true, true, false, true, true, true, true, true, false]),
            (SiteRole::Member(Group::Police), [true, true, false, false, false, true, false, false, false]),
            (SiteRole::Member(Group::Hotel), [false, true, true, false, false, false, true, true, false]),
        ];
        for (role, row) in table {
            for (sight, want) in Sight::ALL.into_iter().zip(row) {
                assert_eq!(role.may_see(sight), want, "{role:?} sees {sight:?}");
            }
        }
        // The two named rules, said again plainly.
        assert!(!SiteRole::Member(Group::Hotel).may_see(TestResults));
        assert!(SiteRole::Member(Group::Hotel).may_see(Meals));
        assert!(SiteRole::Member(Group::Medical).may_see(HealthChecks));
    }

    fn no(s: &str) -> RoomNo {
        RoomNo::parse(s).unwrap()
    }

    #[test]
    fn room_numbers_are_read_as_doors_show_them_and_sort_as_numbers() {
        assert_eq!(RoomNo::parse(" a-812 ").unwrap().as_str(), "A-812");
        assert_eq!(RoomNo::parse("０８１２").unwrap().as_str(), "0812");
        for bad in ["", "8 12", "房812", "1234567890123"] {
            assert!(RoomNo::parse(bad).is_err(), "{bad}");
        }
        let mut rooms: Vec<RoomNo> =
            ["1012", "A1", "812", "0813", "90"].iter().map(|r| RoomNo::parse(r).unwrap()).collect();
        rooms.sort();
        let sorted: Vec<&str> = rooms.iter().map(RoomNo::as_str).collect();
        assert_eq!(sorted, ["90", "812", "0813", "1012", "A1"]);
        assert!(no("813").follows(&no("812")) && no("0813").follows(&no("812")));
        assert!(!no("812").follows(&no("813")) && !no("814").follows(&no("812")) && !no("A2").follows(&no("A1")));
    }

    #[test]
    fn a_room_is_read_from_its_three_cells_and_every_bad_cell_is_told() {
        let r = Room::parse("8", "812", "2").unwrap();
        assert_eq!((r.floor, r.number.as_str(), r.capacity), (8, "812", 2));
        assert_eq!(Room::parse("8.0", "812", "2.0").unwrap().capacity, 2, "number cells");
        let bad = Room::parse("x", "8 12", "0").unwrap_err();
        let keys: Vec<Key> = bad.iter().map(|r| r.key).collect();
        assert_eq!(keys, [Key::QuarantineRoomFloor, Key::QuarantineRoomNumber, Key::QuarantineRoomCapacity]);
        assert!(Room::parse("201", "1", "1").is_err());
        assert!(Room::parse("-5", "B1", "9").is_err());
    }
}

//! Requests a person makes from their own page (诉求): food, medicine,
//! translation or other, each handled by one group, as a small state machine
//! (open → acknowledged → done, or open → done).

use serde::{Deserialize, Serialize};

use super::site::{Group, Sight, SiteRole};
use crate::values::is_hidden_char;
use crate::{Key, Refusal};

/// The longest request text, in characters: a line or two typed on a phone.
pub const TEXT_MAX: usize = 300;

/// What a request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestKind {
    /// Meals, water, a dietary need.
    Food,
    /// Medicine or a doctor.
    Medicine,
    /// Someone to translate.
    Translation,
    /// Anything else.
    Other,
}

impl RequestKind {
    /// Every kind, in the order forms list them.
    pub const ALL: [RequestKind; 4] =
        [RequestKind::Food, RequestKind::Medicine, RequestKind::Translation, RequestKind::Other];

    /// The stored key (and the locale key after `request-kind-`).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Food => "food",
            RequestKind::Medicine => "medicine",
            RequestKind::Translation => "translation",
            RequestKind::Other => "other",
        }
    }

    /// Reads a key.
    pub fn parse(input: &str) -> Result<RequestKind, Refusal> {
        let t = input.trim();
        RequestKind::ALL
            .into_iter()
            .find(|k| k.as_str() == t)
            .ok_or_else(|| Key::QuarantineRequestKind.with("value", t))
    }

    /// The group that handles it: the hotel feeds, the medical group treats,
    /// foreign affairs translates, and the information group takes the rest.
    pub fn handler(self) -> Group {
        match self {
            RequestKind::Food => Group::Hotel,
            RequestKind::Medicine => Group::Medical,
            RequestKind::Translation => Group::ForeignAffairs,
            RequestKind::Other => Group::Information,
        }
    }
}

impl SiteRole {
    /// Whether this role handles (sees and steps) requests of this kind: the
    /// manager every kind, a group those it handles.
    pub fn handles(self, kind: RequestKind) -> bool {
        self.may_see(Sight::Requests)
            && match self {
                SiteRole::Manager => true,
                SiteRole::Member(g) => kind.handler() == g,
            }
    }

    /// The kinds this role handles (none for a group that handles none).
    pub fn handled_kinds(self) -> Vec<RequestKind> {
        RequestKind::ALL.into_iter().filter(|k| self.handles(*k)).collect()
    }
}

/// A request's text: trimmed, 1 to `TEXT_MAX` characters, no control or
/// hidden characters but line breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestText(String);

impl RequestText {
    /// Parses a text.
    pub fn parse(input: &str) -> Result<RequestText, Refusal> {
        let t = input.trim().replace("\r\n", "\n");
        let n = t.chars().count();
        if n == 0 {
            return Err(Key::QuarantineRequestEmpty.into());
        }
        if n > TEXT_MAX {
            return Err(Key::QuarantineRequestTooLong.with("max", TEXT_MAX));
        }
        if t.chars().any(|c| c != '\n' && is_hidden_char(c)) {
            return Err(Key::QuarantineRequestCharacters.into());
        }
        Ok(RequestText(t))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The id a page's form makes when it is shown, sent with the request, so the
/// same form sent twice (a double tap, a resend after a timeout) is one
/// request: 16 to 64 letters, digits, '-' or '_'.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientId(String);

impl ClientId {
    /// Parses a client id.
    pub fn parse(input: &str) -> Result<ClientId, Refusal> {
        let t = input.trim();
        let ok = (16..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok { Ok(ClientId(t.to_string())) } else { Err(Key::QuarantineRequestClientId.into()) }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestState {
    /// Made, nobody has taken it yet.
    Open,
    /// A group has seen it and is on it.
    Acknowledged,
    /// Done.
    Done,
}

/// A step a group takes on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestEvent {
    /// 收到: seen and taken on.
    Acknowledge,
    /// 已办结: done.
    Done,
}

impl RequestEvent {
    /// Both events.
    pub const ALL: [RequestEvent; 2] = [RequestEvent::Acknowledge, RequestEvent::Done];

    /// The stable key, for forms and the API.
    pub fn key(self) -> &'static str {
        match self {
            RequestEvent::Acknowledge => "acknowledge",
            RequestEvent::Done => "done",
        }
    }

    /// Reads a key.
    pub fn parse(input: &str) -> Result<RequestEvent, Refusal> {
        let t = input.trim();
        RequestEvent::ALL
            .into_iter()
            .find(|e| e.key() == t)
            .ok_or_else(|| Key::QuarantineRequestStep.with("from", "?").with("event", t))
    }
}

impl RequestState {
    /// Every state.
    pub const ALL: [RequestState; 3] = [RequestState::Open, RequestState::Acknowledged, RequestState::Done];

    /// The stored key (the database CHECKs it).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Open => "open",
            RequestState::Acknowledged => "acknowledged",
            RequestState::Done => "done",
        }
    }

    /// Reads the stored key back.
    pub fn parse(s: &str) -> Option<RequestState> {
        RequestState::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The next state after an event, or why the event does not apply.
    pub fn apply(self, event: RequestEvent) -> Result<RequestState, Refusal> {
        use RequestState::*;
        match (self, event) {
            (Open, RequestEvent::Acknowledge) => Ok(Acknowledged),
            (Open | Acknowledged, RequestEvent::Done) => Ok(Done),
            (from, event) => Err(Key::QuarantineRequestStep.with("from", from.as_str()).with("event", event.key())),
        }
    }

    /// The steps that follow from this state, for the buttons of a page.
    pub fn next_steps(self) -> Vec<RequestEvent> {
        RequestEvent::ALL.into_iter().filter(|e| self.apply(*e).is_ok()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_state_and_event_pair_is_either_allowed_or_refused_as_the_rules_say() {
        use RequestState::*;
        let allowed = [(Open, "acknowledge", Acknowledged), (Open, "done", Done), (Acknowledged, "done", Done)];
        let refused = |s: RequestState, e: &RequestEvent, x: &Refusal| {
            *x == Key::QuarantineRequestStep.with("from", s.as_str()).with("event", e.key())
        };
        let key = |e: &RequestEvent| e.key();
        crate::quarantine::assert_steps(
            &RequestState::ALL,
            &RequestEvent::ALL,
            key,
            |s, e| s.apply(*e),
            refused,
            &allowed,
        );
        assert_eq!(Open.next_steps(), RequestEvent::ALL);
        assert_eq!(Acknowledged.next_steps(), [RequestEvent::Done]);
        assert!(Done.next_steps().is_empty());
        for s in RequestState::ALL {
            assert_eq!(RequestState::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn each_kind_goes_to_its_group_and_the_manager_handles_all() {
        let hotel = SiteRole::Member(Group::Hotel);
        assert_eq!(hotel.handled_kinds(), [RequestKind::Food]);
        assert_eq!(SiteRole::Member(Group::Medical).handled_kinds(), [RequestKind::Medicine]);
        assert_eq!(SiteRole::Member(Group::ForeignAffairs).handled_kinds(), [RequestKind::Translation]);
        assert_eq!(SiteRole::Member(Group::Information).handled_kinds(), [RequestKind::Other]);
        assert!(SiteRole::Member(Group::Cdc).handled_kinds().is_empty());
        assert!(SiteRole::Member(Group::Police).handled_kinds().is_empty());
        assert_eq!(SiteRole::Manager.handled_kinds(), RequestKind::ALL);
        for k in RequestKind::ALL {
            assert_eq!(RequestKind::parse(k.as_str()), Ok(k));
            assert!(SiteRole::Member(k.handler()).may_see(Sight::Requests), "{k:?}: its group sees requests");
        }
        assert_eq!(RequestKind::parse("taxi").unwrap_err().key, Key::QuarantineRequestKind);
    }

    #[test]
    fn a_request_text_is_trimmed_and_neither_empty_nor_too_long() {
        assert_eq!(RequestText::parse("  Нужна вода  \r\n").unwrap().as_str(), "Нужна вода");
        assert_eq!(RequestText::parse("   ").unwrap_err().key, Key::QuarantineRequestEmpty);
        assert!(RequestText::parse(&"я".repeat(TEXT_MAX)).is_ok());
        assert_eq!(RequestText::parse(&"я".repeat(TEXT_MAX + 1)).unwrap_err().key, Key::QuarantineRequestTooLong);
        assert_eq!(RequestText::parse("a\u{202e}b").unwrap_err().key, Key::QuarantineRequestCharacters);
        assert_eq!(RequestText::parse("line one\nline two").unwrap().as_str(), "line one\nline two");
    }

    #[test]
    fn a_client_id_is_a_short_token_of_safe_characters() {
        assert!(ClientId::parse("0123456789abcdef").is_ok());
        for bad in ["short", "0123456789abcdef'--", &"a".repeat(65)] {
            assert_eq!(ClientId::parse(bad).unwrap_err().key, Key::QuarantineRequestClientId, "{bad}");
        }
    }
}

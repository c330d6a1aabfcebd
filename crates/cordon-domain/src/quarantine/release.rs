//! Release (解除隔离): when a person may be released, and the release
//! certificate that proves it. A certificate's QR code carries its own text
//! and an Ed25519 signature made with the site's key, so anyone holding the
//! paper can check it on the public verification page: one character changed
//! in the text, or a certificate made up without the key, fails.
//!
//! The code in the QR is `<text>.<signature>`, both base64url without
//! padding; the text is the certificate's JSON, signed as the bytes it is, so
//! nothing is re-encoded before the signature is checked.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use ring::signature::{ED25519, Ed25519KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

use super::timeline::Timeline;
use crate::{Key, Refusal};

/// The version of the certificate's text; a later layout gets a new number
/// and the verifier reads both.
const VERSION: u8 = 1;

/// The longest code the verifier reads: a certificate's text is a few hundred
/// bytes; anything much longer is not one and is not decoded.
pub const MAX_CODE_LEN: usize = 2048;

/// What a certificate states: exactly what the public verification page
/// shows, and nothing more (no full passport, no phone, no birth date).
/// Short keys keep the QR code small enough to read from a phone's camera.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateText {
    /// The layout version.
    pub v: u8,
    /// The certificate's number, e.g. Q001-000123.
    #[serde(rename = "n")]
    pub number: String,
    /// The site that signed it (its key is looked up by this id).
    #[serde(rename = "s")]
    pub site_id: i64,
    /// The site's name: not inside the code (the site's id is, and it is
    /// looked up), so the QR stays small enough for a phone's camera.
    #[serde(skip)]
    pub site: String,
    /// The person's name in its own script.
    #[serde(rename = "nm")]
    pub name: String,
    /// In Latin letters.
    #[serde(rename = "nl")]
    pub name_latin: String,
    /// The passport, masked as the verification page shows it.
    #[serde(rename = "p")]
    pub passport: String,
    /// Day 0, the local date of arrival.
    #[serde(rename = "a")]
    pub arrival_date: NaiveDate,
    /// The last on-site day.
    #[serde(rename = "o")]
    pub onsite_end: NaiveDate,
    /// The last day of home monitoring that follows.
    #[serde(rename = "h")]
    pub home_end: NaiveDate,
    /// The local date it was issued.
    #[serde(rename = "i")]
    pub issued_on: NaiveDate,
}

impl CertificateText {
    /// The certificate of a stay, numbered by the site and the person.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        site_id: i64,
        site: &str,
        person_id: i64,
        name: &str,
        name_latin: &str,
        passport_masked: &str,
        timeline: &Timeline,
        issued_on: NaiveDate,
    ) -> CertificateText {
        CertificateText {
            v: VERSION,
            number: number(site_id, person_id),
            site_id,
            site: site.to_string(),
            name: name.to_string(),
            name_latin: name_latin.to_string(),
            passport: passport_masked.to_string(),
            arrival_date: timeline.arrival_date(),
            onsite_end: timeline.onsite_end(),
            home_end: timeline.home_end(),
            issued_on,
        }
    }

    /// Signs the text with the site's key (a PKCS#8 Ed25519 document) and
    /// gives the code the QR carries.
    pub fn seal(&self, key_pkcs8: &[u8]) -> Result<String, CertificateError> {
        let key = Ed25519KeyPair::from_pkcs8(key_pkcs8).map_err(|_| CertificateError::Key)?;
        let text = serde_json::to_vec(self).map_err(|_| CertificateError::Malformed)?;
        let signature = key.sign(&text);
        Ok(format!("{}.{}", URL_SAFE_NO_PAD.encode(&text), URL_SAFE_NO_PAD.encode(signature.as_ref())))
    }
}

/// A certificate's number: the site and the person, so one person has one.
pub fn number(site_id: i64, person_id: i64) -> String {
    format!("Q{site_id:03}-{person_id:06}")
}

/// Why a code is not a valid certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// Not `<text>.<signature>` in base64url, too long, or text that is not a certificate.
    #[error("not a certificate code")]
    Malformed,
    /// The signature does not match the text under the site's key: altered or made up.
    #[error("the signature does not match")]
    Forged,
    /// The site's key could not be read (a server fault, not the holder's).
    #[error("the site's key is unreadable")]
    Key,
}

/// The part of a code the verifier reads first: the site whose key checks
/// it, from the unsigned text (trusted only once the signature matches).
pub fn claimed_site(code: &str) -> Result<i64, CertificateError> {
    Ok(decode(code)?.0.site_id)
}

/// Checks a code against the site's public key (32 bytes) and gives the text it signs.
pub fn verify(code: &str, public_key: &[u8]) -> Result<CertificateText, CertificateError> {
    let (text, bytes, signature) = decode(code)?;
    UnparsedPublicKey::new(&ED25519, public_key).verify(&bytes, &signature).map_err(|_| CertificateError::Forged)?;
    Ok(text)
}

/// Splits and decodes a code: the text, its bytes, the signature's bytes.
fn decode(code: &str) -> Result<(CertificateText, Vec<u8>, Vec<u8>), CertificateError> {
    if code.len() > MAX_CODE_LEN {
        return Err(CertificateError::Malformed);
    }
    let (text, signature) = code.split_once('.').ok_or(CertificateError::Malformed)?;
    // The decoder refuses non-canonical last characters, so no two codes
    // decode to the same bytes: one character changed is always caught.
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| CertificateError::Malformed)?;
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| CertificateError::Malformed)?;
    let parsed: CertificateText = serde_json::from_slice(&bytes).map_err(|_| CertificateError::Malformed)?;
    if parsed.v != VERSION {
        return Err(CertificateError::Malformed);
    }
    Ok((parsed, bytes, signature))
}

/// Where a person's stay stands, as far as release is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleaseFacts {
    /// Whether they were ever given a room.
    pub checked_in: bool,
    /// Whether a transfer to hospital was opened for them.
    pub transferred: bool,
    /// Whether any result of theirs is positive.
    pub positive: bool,
}

/// Whether a person may be released (certified and handed over) today: on
/// their last on-site day or after it, checked in, never positive and never
/// transferred. The refusal says which and, when it is too early, the date.
pub fn may_release(timeline: &Timeline, today: NaiveDate, facts: ReleaseFacts) -> Result<(), Refusal> {
    if !facts.checked_in {
        return Err(Key::QuarantineReleaseNotCheckedIn.into());
    }
    if facts.transferred || facts.positive {
        return Err(Key::QuarantineReleasePositive.into());
    }
    if today < timeline.onsite_end() {
        return Err(Key::QuarantineReleaseTooEarly.with("date", timeline.onsite_end().to_string()));
    }
    Ok(())
}

/// The longest receiver or transport the hand-over keeps.
pub const MAX_HANDOVER_LEN: usize = 100;

/// The hand-over at release (交接): who receives the person (their
/// institution's or province's contact) and how they travel on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handover {
    received_by: String,
    transport: String,
}

impl Handover {
    /// Both given, trimmed, each at most `MAX_HANDOVER_LEN` characters.
    pub fn parse(received_by: &str, transport: &str) -> Result<Handover, Refusal> {
        let (received_by, transport) = (received_by.trim(), transport.trim());
        let fits = |s: &str| !s.is_empty() && s.chars().count() <= MAX_HANDOVER_LEN;
        if !(fits(received_by) && fits(transport)) {
            return Err(Key::QuarantineReleaseHandover.with("max", MAX_HANDOVER_LEN));
        }
        Ok(Handover { received_by: received_by.to_string(), transport: transport.to_string() })
    }

    /// Who receives the person.
    pub fn received_by(&self) -> &str {
        &self.received_by
    }

    /// The onward transport.
    pub fn transport(&self) -> &str {
        &self.transport
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Zone;
    use crate::quarantine::Policy;
    use ring::rand::SystemRandom;

    fn key() -> Vec<u8> {
        Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap().as_ref().to_vec()
    }

    fn public(pkcs8: &[u8]) -> Vec<u8> {
        use ring::signature::KeyPair;
        Ed25519KeyPair::from_pkcs8(pkcs8).unwrap().public_key().as_ref().to_vec()
    }

    fn timeline() -> Timeline {
        let policy = Policy::preset("7+7").unwrap();
        Timeline::new("2026-09-16T07:30:00Z".parse().unwrap(), Zone::default(), &policy)
    }

    fn text() -> CertificateText {
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        CertificateText::new(
            1,
            "卓林酒店隔离点",
            42,
            "Анна Иванова",
            "Anna Ivanova",
            "*****1234",
            &timeline(),
            day("2026-09-23"),
        )
    }

    #[test]
    fn a_sealed_certificate_verifies_and_says_what_it_was_given() {
        let k = key();
        let code = text().seal(&k).unwrap();
        let read = verify(&code, &public(&k)).unwrap();
        assert_eq!(
            read,
            CertificateText { site: String::new(), ..text() },
            "all but the site's name, which is looked up"
        );
        assert_eq!(claimed_site(&code).unwrap(), 1);
        assert_eq!(text().number, "Q001-000042");
        assert_eq!(text().onsite_end.to_string(), "2026-09-23");
    }

    #[test]
    fn one_character_changed_anywhere_fails() {
        let k = key();
        let code = text().seal(&k).unwrap();
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for i in 0..code.len() {
            if code.as_bytes()[i] == b'.' {
                continue;
            }
            for &c in alphabet.iter().filter(|&&c| c != code.as_bytes()[i]).take(3) {
                let mut changed = code.clone().into_bytes();
                changed[i] = c;
                let changed = String::from_utf8(changed).unwrap();
                assert!(verify(&changed, &public(&k)).is_err(), "{changed} verified");
            }
        }
    }

    #[test]
    fn a_certificate_made_with_another_key_or_edited_fails() {
        let (site_key, other) = (key(), key());
        let made_up = text().seal(&other).unwrap();
        assert_eq!(verify(&made_up, &public(&site_key)), Err(CertificateError::Forged));
        // The text edited and re-encoded, keeping the signature.
        let code = text().seal(&site_key).unwrap();
        let mut edited = text();
        edited.onsite_end = edited.onsite_end.pred_opt().unwrap();
        let sig = code.split_once('.').unwrap().1;
        let edited = format!("{}.{sig}", URL_SAFE_NO_PAD.encode(serde_json::to_vec(&edited).unwrap()));
        assert_eq!(verify(&edited, &public(&site_key)), Err(CertificateError::Forged));
        for junk in ["", ".", "abc", "abc.def", &"A".repeat(MAX_CODE_LEN + 1)] {
            assert_eq!(verify(junk, &public(&site_key)), Err(CertificateError::Malformed), "{junk}");
        }
    }

    #[test]
    fn a_handover_needs_a_receiver_and_a_transport() {
        let h = Handover::parse(" 哈尔滨工业大学 王老师 ", "学校专车").unwrap();
        assert_eq!((h.received_by(), h.transport()), ("哈尔滨工业大学 王老师", "学校专车"));
        for (who, how) in [("", "car"), ("someone", " "), (&*"x".repeat(MAX_HANDOVER_LEN + 1), "car")] {
            assert_eq!(Handover::parse(who, how).unwrap_err().key, Key::QuarantineReleaseHandover);
        }
    }

    #[test]
    fn release_comes_on_the_last_onsite_day_and_never_after_a_positive() {
        let t = timeline();
        let ok = ReleaseFacts { checked_in: true, transferred: false, positive: false };
        let last = t.onsite_end();
        assert_eq!(may_release(&t, last, ok), Ok(()));
        assert_eq!(may_release(&t, last.succ_opt().unwrap(), ok), Ok(()));
        let early = may_release(&t, last.pred_opt().unwrap(), ok).unwrap_err();
        assert_eq!(early.key, Key::QuarantineReleaseTooEarly);
        let positive = ReleaseFacts { positive: true, ..ok };
        assert_eq!(may_release(&t, last, positive).unwrap_err().key, Key::QuarantineReleasePositive);
        let transferred = ReleaseFacts { transferred: true, ..ok };
        assert_eq!(may_release(&t, last, transferred).unwrap_err().key, Key::QuarantineReleasePositive);
        let away = ReleaseFacts { checked_in: false, ..ok };
        assert_eq!(may_release(&t, last, away).unwrap_err().key, Key::QuarantineReleaseNotCheckedIn);
    }
}

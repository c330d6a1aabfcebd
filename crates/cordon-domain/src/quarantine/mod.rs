//! Centralised quarantine sites (集中隔离点): a hotel run by a site manager
//! (点长) and functional groups, receiving arrival batches whose people stay
//! under a policy such as "7+7", are tested on its days, transferred to
//! hospital when positive, and released. Split by sub-area:
//!
//! - `policy`: a policy as data (days on site, days at home, test days) and its presets;
//! - `timeline`: the one place a stay's days are counted, in the site's zone;
//! - `site`: the site's and its rooms' state machines, and who at a site sees what;
//! - `transfer`: a positive person's closed-loop transfer to hospital and its follow-up;
//! - `manifest`: one row of an arrival batch's manifest, parsed into values;
//! - `rooming`: who sleeps in which room at check-in, planned before anyone is checked in;
//! - `results`: a test day's result, and what a result that comes again does;
//! - `care`: a person's diet, faith, medicine and language as tasks for the groups that meet them;
//! - `release`: when a person may be released, and the signed certificate that proves it;
//! - `health`: temperatures and symptoms twice a day, and the fever rule that alerts;
//! - `requests`: what a person asks the site for, the group that handles it, and its steps.

pub mod care;
pub mod health;
pub mod manifest;
pub mod policy;
pub mod release;
pub mod requests;
pub mod results;
pub mod rooming;
pub mod site;
pub mod timeline;
pub mod transfer;

pub use policy::Policy;
pub use timeline::Timeline;

/// For the state machines' tests: applies every event to every state and
/// checks the outcome against the table of allowed steps `(from, event key,
/// to)`; every pair not in the table must be refused as `refused` says.
#[cfg(test)]
fn assert_steps<S, E, X>(
    states: &[S],
    events: &[E],
    key: impl Fn(&E) -> &'static str,
    apply: impl Fn(S, &E) -> Result<S, X>,
    refused: impl Fn(S, &E, &X) -> bool,
    allowed: &[(S, &str, S)],
) where
    S: Copy + PartialEq + std::fmt::Debug,
    X: std::fmt::Debug,
{
    for &s in states {
        for e in events {
            let want = allowed.iter().find(|(f, k, _)| *f == s && *k == key(e)).map(|(_, _, to)| *to);
            match (apply(s, e), want) {
                (Ok(next), Some(to)) => assert_eq!(next, to, "{s:?} + {}", key(e)),
                (Err(x), None) if refused(s, e, &x) => {}
                (got, want) => panic!("{s:?} + {}: got {got:?}, want {want:?}", key(e)),
            }
        }
    }
}

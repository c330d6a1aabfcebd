//! Cordon's domain: the types, rules and state machines of an epidemic-prevention
//! command. Pure: no IO, no database, no web. Values are parsed here once, at the
//! edge, into newtypes that cannot hold bad data.

pub mod accounts;
pub mod clock;
pub mod command;
pub mod control;
pub mod duty;
pub mod kits;
pub mod orders;
pub mod places;
pub mod quarantine;
pub mod refusals;
pub mod residents;
pub mod squads;
pub mod units;
pub mod values;
pub mod webhooks;

pub use accounts::{Actor, Capability, Role, Scope, ScopeSpec};
pub use refusals::{Key, Refusal};
pub use values::{IdNumber, PersonName, Phone, Sex};

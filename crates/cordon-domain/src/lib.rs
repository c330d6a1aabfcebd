//! Cordon's domain: the types, rules and state machines of an epidemic-prevention
//! command. Pure: no IO, no database, no web. Values are parsed here once, at the
//! edge, into newtypes that cannot hold bad data.

pub mod accounts;
pub mod clock;
pub mod duty;
pub mod mobilisation;
pub mod people;
pub mod places;
pub mod squads;
pub mod values;
pub mod webhooks;

pub use accounts::{Actor, Capability, Role, Scope, ScopeSpec};
pub use values::{IdNumber, PersonName, Phone, Sex};

//! Centralised quarantine sites (集中隔离点): a hotel run by a site manager
//! (点长) and functional groups, receiving arrival batches whose people stay
//! under a policy such as "7+7", are tested on its days, transferred to
//! hospital when positive, and released. Split by sub-area:
//!
//! - `policy`: a policy as data (days on site, days at home, test days) and its presets;
//! - `timeline`: the one place a stay's days are counted, in the site's zone;
//!
//! To come (issue 11): `site` (the site's and its rooms' state machines, and who
//! at a site sees what), `transfer` (a positive person's closed-loop transfer and
//! its follow-up), `manifest` (one row of an arrival batch's manifest, parsed into
//! values) and `rooming` (who sleeps in which room, planned before anyone is
//! checked in).

pub mod policy;
pub mod timeline;

pub use policy::Policy;
pub use timeline::Timeline;

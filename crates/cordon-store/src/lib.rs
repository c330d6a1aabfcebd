//! Cordon's persistence. One `Store` API over two engines: SQLite (embedded,
//! the default) and PostgreSQL (shared by several server instances). Every call
//! that reads or writes people's data takes the acting user and filters by its
//! scope in the query itself.

#[macro_use]
mod db;
#[macro_use]
mod macros;
pub mod accounts;
pub mod audit;
pub mod boards;
pub mod command;
pub mod control;
pub mod duty;
mod error;
pub mod imports;
pub mod kits;
pub mod orders;
pub mod places;
pub mod quarantine;
pub mod residents;
pub mod sheets;
pub mod squads;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod units;
pub mod webhooks;

pub use db::{Database, Store};
pub use error::{StoreError, StoreResult};

/// One page of a list, with the total the filter matched.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// How many rows match in all.
    pub total: i64,
    /// This page's number, from 1.
    pub page: i64,
    /// Rows per page.
    pub per_page: i64,
}

impl<T> Page<T> {
    /// How many pages there are.
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

/// Which page of a list to read.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    /// From 1.
    pub page: i64,
    /// Rows per page, at most 500.
    pub per_page: i64,
}

impl PageRequest {
    /// Clamps user-given numbers into a sane page.
    pub fn new(page: Option<i64>, per_page: Option<i64>) -> PageRequest {
        PageRequest { page: page.unwrap_or(1).max(1), per_page: per_page.unwrap_or(50).clamp(1, 500) }
    }

    fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }
}

/// Which part of a long list to read: the rows after (or before) a row, named by
/// its id, so that the ten-thousandth page costs what the first does.
#[derive(Debug, Clone, Copy)]
pub struct Keyset {
    /// The rows after this one, in list order.
    pub after: Option<i64>,
    /// The rows before this one (when `after` is none).
    pub before: Option<i64>,
    /// Rows per page, at most 500.
    pub per_page: i64,
}

impl Keyset {
    /// Clamps user-given values into a sane request.
    pub fn new(after: Option<i64>, before: Option<i64>, per_page: Option<i64>) -> Keyset {
        Keyset { after, before: before.filter(|_| after.is_none()), per_page: per_page.unwrap_or(50).clamp(1, 500) }
    }
}

impl From<PageRequest> for Keyset {
    /// The first page of the given size.
    fn from(p: PageRequest) -> Keyset {
        Keyset::new(None, None, Some(p.per_page))
    }
}

/// How many rows a search counts at most: past it, the total says "more than"
/// (a name that a thousand people share is narrowed, not paged through; the
/// count read ten thousand index entries a request at 10,000). A special
/// group's total in a place is kept exactly (`place_tags`).
pub const COUNTED_AT_MOST: i64 = 1_000;

/// Part of a long list, with the rows on either side named for the links.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Slice<T> {
    /// The rows.
    pub items: Vec<T>,
    /// How many rows match in all; a lower bound when `total_capped`.
    pub total: i64,
    /// Whether more than `total` rows match (a search or filter counts up to `COUNTED_AT_MOST`).
    pub total_capped: bool,
    /// The cursor of the next rows (`after=`), if there are more.
    pub next: Option<String>,
    /// The cursor of the rows before these (`before=`), if any.
    pub prev: Option<String>,
    /// Rows per page.
    pub per_page: i64,
}

/// Typed text as it may be bound: without control characters and the hidden
/// marks that reorder text, which no name or search has (and PostgreSQL
/// refuses NUL in text).
pub(crate) fn clean(s: &str) -> String {
    s.trim().chars().filter(|c| !cordon_domain::values::is_hidden_char(*c)).collect()
}

/// `%text%` for LIKE, with LIKE's own wildcards escaped (ESCAPE '\').
pub(crate) fn like_pattern(q: &str) -> String {
    let mut s = String::from("%");
    for c in clean(q).chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

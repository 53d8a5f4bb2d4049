//! The fund ledger of Tongchou: pure rules, no I/O.
//!
//! - [`chart`]: the chart of accounts as data (`data/chart-of-accounts.toml`). An account is
//!   (region, kind); each region (province, city, county agency) keeps its own books.
//! - [`transfer`]: requests, recorded transfers, person-level lines, canonical encoding and the
//!   SHA-256 hash chain.
//! - [`engine`]: the rules. Transfers are double-entry within one book, idempotent by key
//!   (same key + same content = [`Outcome::Exists`], other content = an error), two-phase
//!   (pending → post in full or part, or void; never both), linked (a chain succeeds or fails
//!   whole) and limited (bank and expenditure accounts never go below zero, pending included).
//!   Corrections are new transfers ([`transfer::Op::Reverse`]), never edits.
//! - [`report`]: invariants, balances at a date, trial balance, month-end check.
//! - [`flows`]: the flows of provincial pooling as linked per-book pairs.
//! - [`MemLedger`]: the whole ledger in memory, the reference semantics; the SQL store in
//!   `tongchou-store` runs the same [`engine`] over the rows a batch touches.

pub mod chart;
pub mod engine;
pub mod flows;
pub mod mem;
pub mod report;
pub mod transfer;

pub use chart::{AccountId, Chart, Class, Limit};
pub use engine::{
    Account, Balances, Execution, Head, Known, Outcome, Replay, State, TransferError, execute,
};
pub use mem::MemLedger;
pub use report::{Problem, TrialBalance};
pub use transfer::{Hash, JournalEntry, Line, LinesSummary, Op, Request, Transfer};

#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
#[cfg(test)]
mod tests;

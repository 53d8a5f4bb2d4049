//! Simulated counterparts of the province, for the demo and tests only; nothing on the
//! production path depends on this crate. Each produces what a real counterpart would (receipts,
//! status reports) and hands it to the same use cases as real input.
//!
//! - `alive`: other departments' records of pensioners seen alive, for the eligibility
//!   certification (most are seen before their certification falls due, a few are not);
//! - `accounts`: synthetic paying accounts for every county agency (the fictional bank of
//!   `tongchou_bank::Debtor::synthetic`), set through the real use case;
//! - `tax`: the tax bureau's collection results for a month's assessments (most payers pay in
//!   full on time, some late, some in part, a few not at all), deterministic from a seed;
//! - `bank`: the banks' pain.002 status reports for the month's payment files;
//! - `historical`: the cities' and counties' balances before provincial pooling;
//! - `load`: a synthetic province (`tongchou-synth`) written into the registry tables;
//! - `legacy`: a synthetic province written out as one city's legacy files, for the migration.
//! - `defects`: the demo's eleven cities as legacy files with planted defects, where the check
//!   must find them, and the files as corrected.

pub mod accounts;
pub mod alive;
pub mod bank;
pub mod defects;
pub mod historical;
pub mod legacy;
pub mod load;
pub mod tax;

pub use tax::mix;

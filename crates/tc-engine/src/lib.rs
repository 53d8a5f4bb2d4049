//! The batch engine: the monthly cycle over millions of persons.
//!
//! Kernels (`collection`, `disbursement`, `payroll`, `crosscheck`, `simulate`) are pure and work
//! on plain slices, so a month of 10 million persons is computed in memory in well under a second.
//! Jobs (`collect`, …) read their inputs from the store, write results with bulk writes, post the
//! aggregates to the ledger, and record each step in the same transaction (`jobs`).

pub mod accounts;
pub mod benefits;
pub mod collect;
pub mod collection;
pub mod crosscheck;
pub mod disburse;
pub mod disbursement;
pub mod error;
pub mod income;
pub mod jobs;
pub mod payroll;
pub mod simulate;

pub use error::{EngineError, Result};

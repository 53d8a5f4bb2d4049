//! The batch engine: the monthly cycle over millions of persons.
//!
//! Kernels here are pure and work on plain slices (struct-of-arrays style rows), so a month of
//! 10 million persons is computed in memory in well under a second; the job modules around them
//! read their inputs from the store, write the results with bulk writes, and post the aggregates
//! to the ledger.

pub mod collection;
pub mod crosscheck;
pub mod disbursement;
pub mod payroll;
pub mod simulate;

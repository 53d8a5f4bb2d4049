//! The pure batch kernels of the monthly cycle, over plain slices, with no I/O: a month of
//! 10 million persons is computed in memory in well under a second. The use cases of
//! `tongchou-app` read their inputs through the store, call these kernels and write the results.
//!
//! - `assessment`: the target assessment of cities and counties (six indicators, scores, ranks);
//! - `collection`: assessment of contributions, oldest-first matching of receipts with late fees,
//!   the exact pooling/account split;
//! - `disbursement`: plan consolidation, exact partial approval, the month's calendar;
//! - `evaluation`: the budget's performance evaluation (绩效评价) of a region's year: five
//!   indicators with their formulas and scores under dated bands;
//! - `gap`: a year's gap by county and cause, shared among province, city and county to the fen;
//! - `payroll`: the month's payment lines;
//! - `projection`: the fund's cohort projection, year by year, from the start year's aggregates;
//! - `crosscheck`: death records and other payment rolls against the payroll;
//! - `certification`: when a pensioner's eligibility certification is due, overdue or missed;
//! - `warning`: the month's early-warning indicators per county, city and province, THE months
//!   payable, and the warnings with their evidence and who must act.

pub mod assessment;
pub mod certification;
pub mod collection;
pub mod crosscheck;
pub mod disbursement;
pub mod evaluation;
pub mod gap;
pub mod payroll;
pub mod projection;
pub mod warning;

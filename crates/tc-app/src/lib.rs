//! Tongchou's use cases: one function per thing a user (or the monthly job) does. Each owns its
//! database transaction and its step record; the CLI and the web service are thin edges that
//! call these functions and never touch SQL themselves.
//!
//! - `collect`: the collection close of a month (统收): assessment, matching, arrears, the
//!   ledger transfers into the provincial fiscal special account;
//! - `income`: other income and the historical balances of cities and counties;
//! - `disburse`: the resumable disbursement month (统支): payroll, plans, the finance decision,
//!   allocation, pass-down, payment files, bank returns;
//! - `benefits`: retirement approval, the yearly adjustment, deaths, survivors' claims,
//!   recomputation;
//! - `agency_accounts`: the county agencies' paying accounts (the debtor of their payment
//!   files), set as dated versions;
//! - `accounts`: individual accounts' yearly crediting and statements;
//! - `imports`: a file of persons, employers, wage declarations or the tax bureau's collection
//!   results, checked against the register and written all or nothing;
//! - `acting`: a staff member's login checked for an edge that acts once in their name;
//! - `reports`: the collection, arrears, disbursement and cross-check reports as one sheet
//!   model with its text, CSV, JSON and XLSX renderings, and the staff member's region checked;
//! - `budget`: the fund budget of a year compiled bottom up (draft from the ledger, the registry
//!   and dated forecast rates; edits with notes; county → city → province; HRSS, finance and
//!   government), adjustments through the same chain, the collection tasks;
//! - `execution`: the budget's execution from the ledger through a month, by item, region and
//!   level, beside the approved budget, with pending payments as commitments;
//! - `final_accounts`: the year's final accounts (决算) of every book and of every city and the
//!   province consolidated, by budget item, from the ledger;
//! - `close`: period close (结账) county → city → province with the ledger's locks, and a
//!   closed month reopened through a maker–checker approval;
//! - `jobs`: the record of each finished step;
//! - `audit_log`, `ledger_view`, `users`: the oversight pages' use cases: the audit log read
//!   and exported by its readers, the ledger's trial balance and history, the administrators'
//!   work on accounts with the separation of the three administrators (`export`: their tables
//!   as CSV and XLSX);
//! - `migrate`: a city's legacy records checked against its control totals and the province,
//!   and loaded all or nothing, with the review list of persons registered in two cities.

pub mod accounts;
pub mod acting;
pub mod agency_accounts;
pub mod analysis;
pub mod assess;
pub mod audit_log;
pub mod backpay;
pub mod backup;
pub mod benefits;
pub mod budget;
pub mod central;
pub mod certification;
pub mod clock;
pub mod close;
pub mod collect;
pub mod disburse;
pub mod dues;
pub mod error;
pub mod evaluation;
pub mod exchange;
pub mod execution;
pub mod export;
pub mod final_accounts;
pub mod gap;
pub mod imports;
pub mod income;
pub mod jobs;
pub mod keys;
pub mod ledger_refs;
pub mod ledger_view;
pub mod migrate;
pub mod month;
pub mod own;
pub mod plan_chain;
pub mod projection;
pub mod recoveries;
pub mod reports;
pub mod reserve;
pub mod transfer;
pub mod users;
pub mod warn;

pub use error::{AppError, Result};

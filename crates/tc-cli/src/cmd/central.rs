//! `tongchou central remit|allocate|advance|settle|pooling|show --year Y`: the central adjustment
//! fund (中央调剂基金, 2018-07 to 2021) and national pooling (全国统筹, 2022 on) as the province books
//! them, each movement through the ledger (`tongchou_app::central`), audited, idempotent.
//!
//! - `remit --year Y --as LOGIN [--on DATE]`: the year's remittance by the national formula.
//! - `allocate --year Y --per-capita YUAN [--pensioners N] --source DOC --as LOGIN [--on DATE]`:
//!   拨付 = 离退休人数 × 人均拨付额, the per-capita amount and the approved pensioners as the
//!   centre's notice states them (the register's pensioners when `--pensioners` is left out).
//! - `advance --year Y --quarter Q --source DOC --as LOGIN [--paid YUAN] [--received YUAN]`: the
//!   quarter's 预缴 and 预拨 (a quarter of the remittance and of the allocation by default).
//! - `settle --year Y --source DOC --as LOGIN [--on DATE]`: the year-end settlement (清算).
//! - `pooling --year Y (--remitted YUAN | --received YUAN) --source DOC --as LOGIN`: a national
//!   pooling year's 上解 or 下拨 as the finance department records it.
//! - `show --year Y [--format table|json|csv|xlsx]`: the year under either regime.

use super::report::{OutArgs, emit};
use crate::output::{CliError, CliResult};
use crate::session::acting_user;
use std::process::ExitCode;
use tongchou_app::central::{self, AdvanceInput, AllocationInput, Booked, PoolingInput};
use tongchou_app::clock::{now_ms, today_china};
use tongchou_core::i18n::word;
use tongchou_core::{Date, Fen, tr};
use tongchou_store::Db;

#[derive(clap::Subcommand)]
pub enum CentralCmd {
    /// Compute the year's remittance and book it as due (once), with the formula's terms.
    Remit {
        #[arg(long)]
        year: i32,
        /// The value date of the remittance (default today in China).
        #[arg(long)]
        on: Option<Date>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Book the year's allocation: approved pensioners × the national per-capita amount.
    Allocate {
        #[arg(long)]
        year: i32,
        /// The national per-capita allocation amount of the notice, yuan (人均拨付额).
        #[arg(long)]
        per_capita: Fen,
        /// The pensioners approved by MOHRSS and MOF (default: the register's at the end of Y-1).
        #[arg(long)]
        pensioners: Option<i64>,
        /// The notice the figures come from (文号).
        #[arg(long)]
        source: String,
        #[arg(long)]
        on: Option<Date>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Book a quarter's advances: 预缴 paid and 预拨 received.
    Advance {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        quarter: u8,
        /// Yuan paid in advance (default a quarter of the remittance).
        #[arg(long)]
        paid: Option<Fen>,
        /// Yuan received in advance (default a quarter of the allocation).
        #[arg(long)]
        received: Option<Fen>,
        #[arg(long)]
        source: String,
        #[arg(long)]
        on: Option<Date>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Settle the year: the difference of remittance and allocation less the advances.
    Settle {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        source: String,
        #[arg(long)]
        on: Option<Date>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Record a national pooling year's 上解 (--remitted) or 下拨 (--received).
    Pooling {
        #[arg(long)]
        year: i32,
        #[arg(
            long,
            conflicts_with = "received",
            required_unless_present = "received"
        )]
        remitted: Option<Fen>,
        #[arg(long)]
        received: Option<Fen>,
        #[arg(long)]
        source: String,
        #[arg(long)]
        on: Option<Date>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// The year's remittance, allocation, advances and settlement, or its national pooling.
    Show {
        #[arg(long)]
        year: i32,
        #[command(flatten)]
        out: OutArgs,
    },
}

fn said(b: &Booked) {
    let m = &b.movement;
    let state = booked(b.created);
    let line = if m.quarter > 0 {
        tr!(
            "cli-central-movement-quarter",
            year = m.year,
            kind = central::kind_name(&m.kind),
            quarter = m.quarter,
            amount = m.amount.grouped(),
            doc = m.source_doc,
            state = state
        )
    } else {
        tr!(
            "cli-central-movement",
            year = m.year,
            kind = central::kind_name(&m.kind),
            amount = m.amount.grouped(),
            doc = m.source_doc,
            state = state
        )
    };
    outln!("{line}");
}

/// "booked" or "already booked, unchanged", in the reader's language.
fn booked(created: bool) -> &'static str {
    word(if created {
        "cli-booked"
    } else {
        "cli-booked-unchanged"
    })
}

fn remit(db: &mut Db, year: i32, on: Option<Date>, as_login: &str) -> Result<(), CliError> {
    let who = acting_user(db, as_login)?;
    let on = on.unwrap_or_else(today_china);
    let r = central::remit(db, &who, year, on, now_ms()).map_err(|e| CliError(e.to_string()))?;
    let t = &r.terms;
    outln!(
        "{}",
        tr!(
            "cli-central-remit",
            year = year,
            amount = r.amount.grouped(),
            wage = t.avg_wage.grouped(),
            factor = t.wage_factor,
            insured = r.insured,
            ratio = t.ratio,
            state = booked(r.created)
        )
    );
    Ok(())
}

pub fn run(c: CentralCmd, url: &str) -> CliResult {
    let mut db = Db::open(url)?;
    let err = |e: tongchou_app::AppError| CliError(e.to_string());
    match c {
        CentralCmd::Remit { year, on, as_login } => remit(&mut db, year, on, &as_login)?,
        CentralCmd::Allocate {
            year,
            per_capita,
            pensioners,
            source,
            on,
            as_login,
        } => {
            let who = acting_user(&mut db, &as_login)?;
            let a = AllocationInput {
                year,
                per_capita,
                pensioners,
                source_doc: source,
                on: on.unwrap_or_else(today_china),
            };
            let b = central::allocate(&mut db, &who, &a, now_ms()).map_err(err)?;
            said(&b);
        }
        CentralCmd::Advance {
            year,
            quarter,
            paid,
            received,
            source,
            on,
            as_login,
        } => {
            let who = acting_user(&mut db, &as_login)?;
            let a = AdvanceInput {
                year,
                quarter,
                paid,
                received,
                source_doc: source,
                on: on.unwrap_or_else(today_china),
            };
            for b in central::advance(&mut db, &who, &a, now_ms()).map_err(err)? {
                said(&b);
            }
        }
        CentralCmd::Settle {
            year,
            source,
            on,
            as_login,
        } => {
            let who = acting_user(&mut db, &as_login)?;
            let on = on.unwrap_or_else(today_china);
            let b = central::settle(&mut db, &who, year, &source, on, now_ms()).map_err(err)?;
            said(&b);
        }
        CentralCmd::Pooling {
            year,
            remitted,
            received,
            source,
            on,
            as_login,
        } => {
            let who = acting_user(&mut db, &as_login)?;
            let p = PoolingInput {
                year,
                remitted: remitted.is_some(),
                amount: remitted.or(received).unwrap_or(Fen::ZERO),
                source_doc: source,
                on: on.unwrap_or_else(today_china),
            };
            let b = central::pooling(&mut db, &who, &p, now_ms()).map_err(err)?;
            said(&b);
        }
        CentralCmd::Show { year, out } => {
            let v = central::show(&mut db, year).map_err(err)?;
            emit(&central::sheet(&v), Some(&central::json(&v)), &out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! `tongchou gap compute|show|settle --year Y`: gap sharing (缺口分担, mechanisms.md §2) through
//! `tongchou_app::gap`.
//!
//! - `gap compute --year Y --as LOGIN [--on DATE]`: the year's gap per county by cause, shared
//!   among province, city and county, recorded with each government's liability in the ledger
//!   (a provincial bureau or finance officer; audited). Computing a recorded year again with the
//!   same figures changes nothing.
//! - `gap show --year Y [--region R] [--as-of DATE]`: the shares, what is paid, what is overdue
//!   (table, JSON: `year`, `regions` [{`region`, `gap`, `causes`, `shares` [..]}], CSV or XLSX).
//! - `gap settle --year Y --region R [--amount YUAN] [--on DATE] --as LOGIN`: a government's
//!   payment into the provincial fiscal special account (the finance department; audited).

use super::report::{OutArgs, emit};
use crate::output::{CliError, CliResult};
use crate::session::acting_user;
use std::process::ExitCode;
use tongchou_app::clock::{now, now_ms, today_china};
use tongchou_app::gap;
use tongchou_core::{Date, Fen, RegionCode, tr};
use tongchou_store::Db;

#[derive(clap::Subcommand)]
pub enum GapCmd {
    /// Compute and record the year's gap and its shares (provincial bureau or finance officer).
    Compute {
        #[arg(long)]
        year: i32,
        /// The day the liabilities are recognised (default today in China; after the year).
        #[arg(long)]
        on: Option<Date>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// The recorded shares per county, cause and level, paid and overdue.
    Show {
        #[arg(long)]
        year: i32,
        /// The province (default), a city or a county: the counties within it.
        #[arg(long)]
        region: Option<RegionCode>,
        /// Overdue as of this day (default today in China).
        #[arg(long)]
        as_of: Option<Date>,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Record a government's payment of its shares into the provincial fiscal special account.
    Settle {
        #[arg(long)]
        year: i32,
        /// The paying government: the province, a city or a county.
        #[arg(long)]
        region: RegionCode,
        /// Yuan paid (default: all that is outstanding).
        #[arg(long)]
        amount: Option<Fen>,
        /// The day the money arrived (default today in China).
        #[arg(long)]
        on: Option<Date>,
        #[arg(long = "as")]
        as_login: String,
    },
}

pub fn run(c: GapCmd, url: &str) -> CliResult {
    let mut db = Db::open(url)?;
    match c {
        GapCmd::Compute { year, on, as_login } => {
            let who = acting_user(&mut db, &as_login)?;
            let on = on.unwrap_or_else(today_china);
            let created = gap::compute(&mut db, &who, year, on, &now().to_string(), now_ms())?;
            let v = gap::show(&mut db, year, on)?;
            outln!(
                "{}",
                tr!(
                    "cli-gap-computed",
                    year = year,
                    amount = v.year.gap.grouped(),
                    state = tongchou_core::i18n::word(if created {
                        "cli-recorded"
                    } else {
                        "cli-recorded-unchanged"
                    }),
                    due = v.year.due
                )
            );
        }
        GapCmd::Show {
            year,
            region,
            as_of,
            out,
        } => {
            let v = gap::show(&mut db, year, as_of.unwrap_or_else(today_china))?;
            emit(
                &gap::sheet(&v, region)?,
                Some(&gap::json(&v, region)?),
                &out,
            )?;
        }
        GapCmd::Settle {
            year,
            region,
            amount,
            on,
            as_login,
        } => {
            let who = acting_user(&mut db, &as_login)?;
            let p = gap::Payment {
                year,
                region,
                amount,
                on: on.unwrap_or_else(today_china),
            };
            let paid = gap::settle(&mut db, &who, &p, &now().to_string(), now_ms())
                .map_err(|e| CliError(e.to_string()))?;
            outln!(
                "{}",
                tr!(
                    "cli-gap-settled",
                    region = region,
                    amount = paid.grouped(),
                    year = year
                )
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

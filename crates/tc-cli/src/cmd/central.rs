//! `tongchou central remit --year Y --as LOGIN [--on DATE]`: the province's remittance to the
//! central adjustment fund (中央调剂基金, 2018-07 to 2021) by the national formula, booked through
//! the ledger (`tongchou_app::central`); a year of national pooling is refused. What the fund
//! allocates back is income: `tongchou income record --kind central-adjustment`.

use crate::output::{CliError, CliResult};
use crate::session::acting_user;
use std::process::ExitCode;
use tongchou_app::central;
use tongchou_app::clock::{now_ms, today_china};
use tongchou_core::Date;
use tongchou_store::Db;

#[derive(clap::Subcommand)]
pub enum CentralCmd {
    /// Compute the year's remittance and book it (once), with the formula's terms.
    Remit {
        #[arg(long)]
        year: i32,
        /// The value date of the remittance (default today in China).
        #[arg(long)]
        on: Option<Date>,
        #[arg(long = "as")]
        as_login: String,
    },
}

pub fn run(c: CentralCmd, url: &str) -> CliResult {
    let mut db = Db::open(url)?;
    match c {
        CentralCmd::Remit { year, on, as_login } => {
            let who = acting_user(&mut db, &as_login)?;
            let on = on.unwrap_or_else(today_china);
            let r = central::remit(&mut db, &who, year, on, now_ms())
                .map_err(|e| CliError(e.to_string()))?;
            let t = &r.terms;
            outln!(
                "central adjustment remittance of {year}: {} yuan = average wage {} × wage factor {} × {} in-service insured × ratio {} ({})",
                r.amount.grouped(),
                t.avg_wage.grouped(),
                t.wage_factor,
                r.insured,
                t.ratio,
                if r.created {
                    "booked"
                } else {
                    "already booked, unchanged"
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

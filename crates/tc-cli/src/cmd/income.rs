//! `tongchou income`: record money arriving in the provincial fiscal special account.

use crate::output::{CliError, CliResult};
use std::process::ExitCode;
use tongchou_core::{Date, Fen, RegionCode, tr};
use tongchou_store::Db;

#[derive(clap::Subcommand)]
pub enum IncomeCmd {
    /// Record income of a region (fiscal subsidy by level, central transfer, central adjustment
    /// allocation, interest, other) landing in the provincial fiscal special account, booked as
    /// that region's income. Idempotent by --key.
    Record {
        /// A unique key of the business event (e.g. the treasury's voucher number).
        #[arg(long)]
        key: String,
        /// The province, a city or a county (GB/T 2260).
        #[arg(long)]
        region: RegionCode,
        /// subsidy-central, subsidy-province, subsidy-city, subsidy-county, central-adjustment,
        /// national-pooling, interest or other.
        #[arg(long)]
        kind: String,
        /// Amount in yuan, e.g. 1000000.00.
        #[arg(long)]
        amount: Fen,
        /// Value date.
        #[arg(long)]
        date: Date,
        /// The document it comes from.
        #[arg(long, default_value = "")]
        reference: String,
        /// The staff member who acts (password from `TONGCHOU_PASSWORD` or standard input).
        #[arg(long = "as")]
        as_login: String,
    },
}

pub fn run(c: IncomeCmd, db_url: &str) -> CliResult {
    let mut db = Db::open(db_url)?;
    match c {
        IncomeCmd::Record {
            key,
            region,
            kind,
            amount,
            date,
            reference,
            as_login,
        } => {
            use tongchou_core::access::Permission::{AllocationSubmit, PlanSubmit};
            let actor = crate::session::staff(
                &mut db,
                &as_login,
                &[AllocationSubmit, PlanSubmit],
                tongchou_core::i18n::word("cli-err-what-income"),
            )?;
            let created = tongchou_app::income::record(
                &mut db,
                &actor,
                tongchou_app::clock::now_ms(),
                &tongchou_app::income::Income {
                    key: &key,
                    region,
                    kind: &kind,
                    amount,
                    date,
                    reference: &reference,
                },
            )
            .map_err(|e| CliError(e.to_string()))?;
            if created {
                outln!(
                    "{}",
                    tr!(
                        "cli-income-recorded",
                        amount = amount,
                        kind = kind,
                        region = region,
                        date = date,
                        key = key
                    )
                );
            } else {
                outln!("{}", tr!("cli-income-unchanged", key = key));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

//! `tongchou warn --period M [--region R]`: the month's early warning (预警, mechanisms.md §4)
//! per county, city and province — months payable (THE definition, `tongchou_app::warn`),
//! dependency ratio, collection against the task, working balance, arrears growth, improper
//! payments, base anomalies and the budget items whose execution deviates from the time-progress
//! expectation (budget × months elapsed ÷ 12, an assumption) — with every warning's evidence and who must act.
//!
//! Formats: an aligned table (a row per warning; default), JSON (`period`, `regions`
//! [{`region`, `months_payable`, `dependency_ratio`, `warnings` [..]}]), CSV or XLSX.

use super::report::{OutArgs, emit};
use crate::output::CliResult;
use std::process::ExitCode;
use tongchou_app::warn;
use tongchou_core::{Period, RegionCode};
use tongchou_store::Db;

#[derive(clap::Args)]
pub struct Args {
    /// The month, YYYY-MM (its collection must have been closed).
    #[arg(long)]
    pub period: Period,
    /// The province (default), a city or a county: the regions within it are shown.
    #[arg(long)]
    pub region: Option<RegionCode>,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(a: Args, url: &str) -> CliResult {
    let mut db = Db::open(url)?;
    let report = warn::compute(&mut db, a.period)?;
    let sheet = warn::sheet(&report, a.region)?;
    let json = warn::json(&report, a.region)?;
    emit(&sheet, Some(&json), &a.out)?;
    Ok(ExitCode::SUCCESS)
}

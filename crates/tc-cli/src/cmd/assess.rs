//! `tongchou assess --year Y [--region R]`: the target assessment (考核, mechanisms.md §3) of
//! cities and counties through `tongchou_app::assess`: the six indicators from ledger and
//! registry truth, the weighted score, the ranking, the reward and accountability lists; every
//! indicator with its measure (numerator ÷ denominator); `--region COUNTY --drill INDICATOR` lists
//! the records behind it.
//!
//! Formats: an aligned table (default), JSON (`year`, `cities` and `counties` [{`region`,
//! `score`, `rank`, `indicators` {name → value}}]), CSV or XLSX.

use super::report::{OutArgs, emit};
use crate::output::CliResult;
use std::process::ExitCode;
use tongchou_app::assess;
use tongchou_core::RegionCode;
use tongchou_store::Db;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    pub year: i32,
    /// The province (default), a city or a county: the regions within it (and above it).
    #[arg(long)]
    pub region: Option<RegionCode>,
    /// The records behind this indicator of the county given with --region (policy_execution,
    /// coverage, collection, retirement_approval, payment, fund_security).
    #[arg(long, requires = "region")]
    pub drill: Option<String>,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(a: Args, url: &str) -> CliResult {
    let mut db = Db::open(url)?;
    if let (Some(indicator), Some(county)) = (&a.drill, a.region) {
        let sheet = assess::drill(&mut db, a.year, county, indicator)?;
        emit(&sheet, None, &a.out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let result = assess::assess(&mut db, a.year)?;
    emit(
        &assess::sheet(&result, a.region)?,
        Some(&assess::json(&result, a.region)?),
        &a.out,
    )?;
    Ok(ExitCode::SUCCESS)
}

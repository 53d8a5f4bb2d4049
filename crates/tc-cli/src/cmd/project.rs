//! `tongchou project --from-year Y --years N [--scenario NAME ...]`: the fund's cohort projection
//! (基金精算预测) through `tongchou_app::projection`, from the database's aggregates at the end of
//! Y under the assumptions of `policy/projection.toml`, every scenario by default.
//!
//! Formats: an aligned table (a row per scenario and year: income, expenditure, balance, months
//! payable, insured, contributors, pensioners, dependency ratio) followed by the start's figures
//! and every assumption with its date, status and source; JSON (`from_year`, `start`,
//! `scenarios` [{`scenario`, `years` [..], `assumptions` [..]}]); CSV; XLSX (the table, the start
//! and the assumptions).

use super::report::{Format, OutArgs, write_out, xlsx_target};
use crate::output::{CliError, CliResult};
use std::process::ExitCode;
use tongchou_app::projection;
use tongchou_store::Db;

#[derive(clap::Args)]
pub struct Args {
    /// The year whose end the projection starts from (its contributions must have been assessed).
    #[arg(long)]
    pub from_year: i32,
    /// How many years to project (1-100).
    #[arg(long, default_value_t = 30)]
    pub years: u32,
    /// A scenario of policy/projection.toml (repeatable; default: every scenario listed there).
    #[arg(long = "scenario")]
    pub scenarios: Vec<String>,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(a: Args, url: &str) -> CliResult {
    let mut db = Db::open(url)?;
    let p = projection::project(&mut db, a.from_year, a.years, &a.scenarios)?;
    let bytes = match a.out.format {
        Format::Table => projection::text(&p).into_bytes(),
        Format::Csv => projection::sheet(&p).csv().into_bytes(),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&projection::json(&p))
                .map_err(|e| CliError(format!("json: {e}")))?;
            s.push('\n');
            s.into_bytes()
        }
        Format::Xlsx => {
            xlsx_target(&a.out)?;
            projection::xlsx(&p)?
        }
    };
    write_out(&a.out, &bytes)?;
    Ok(ExitCode::SUCCESS)
}

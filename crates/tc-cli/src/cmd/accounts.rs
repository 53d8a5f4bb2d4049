//! `tongchou accounts final --year Y`: the year's final accounts (决算) of every book and of every
//! city and the province consolidated, by budget item, from the ledger
//! (`tongchou_app::final_accounts`). Formats: a table (rows of items, columns of the region's
//! group, its own book and the groups or books below it), JSON (every book within the region) or
//! an XLSX workbook (every book within the region as a column).

use crate::cmd::report::{Format, OutArgs, write_out, xlsx_target};
use crate::output::{CliError, CliResult};
use std::process::ExitCode;
use tongchou_app::final_accounts;
use tongchou_core::items::Statement;
use tongchou_core::{Divisions, RegionCode, tr};
use tongchou_store::Db;

#[derive(clap::Subcommand)]
pub enum AccountsCmd {
    /// The final accounts of a year: opening balance, income and expenditure by item, closing
    /// balance, per region and level (a draft until the province has closed the year).
    Final(FinalArgs),
}

#[derive(clap::Args)]
pub struct FinalArgs {
    /// The year, e.g. 2020.
    #[arg(long)]
    pub year: i32,
    /// The province (default), a city or a county (six-digit code).
    #[arg(long)]
    pub region: Option<RegionCode>,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(c: AccountsCmd, url: &str) -> CliResult {
    let mut db = Db::open(url)?;
    let AccountsCmd::Final(a) = c;
    if !(1900..=9999).contains(&a.year) {
        return Err(CliError(tr!("cli-acct-bad-year", year = a.year)));
    }
    let d = Divisions::shanxi();
    let region = a.region.unwrap_or(d.province().code);
    if !final_accounts::ordered_books().contains(&region) {
        return Err(CliError(tr!("cli-acct-no-books", region = region)));
    }
    let fa = final_accounts::compute(&mut db, a.year).map_err(|e| CliError(e.to_string()))?;
    let all = a.out.format == Format::Xlsx;
    let cols = fa.columns(region, all);
    let json = fa.json(region)?;
    emit_matrix(
        &a.out,
        &fa.title(),
        &tr!("acct-sheet", year = a.year),
        &cols,
        &json,
    )?;
    Ok(ExitCode::SUCCESS)
}

/// A table of items × columns (final accounts, a budget, its execution) as a text table, JSON
/// or an XLSX workbook, to `--output` or standard output.
pub fn emit_matrix(
    out: &OutArgs,
    title: &str,
    sheet: &str,
    cols: &[(String, &Statement)],
    json: &serde_json::Value,
) -> Result<(), CliError> {
    let bytes = match out.format {
        Format::Json => {
            let mut s =
                serde_json::to_string_pretty(json).map_err(|e| CliError(format!("json: {e}")))?;
            s.push('\n');
            s.into_bytes()
        }
        Format::Table => final_accounts::text_table(title, cols)?.into_bytes(),
        Format::Csv => return Err(CliError(tr!("cli-acct-formats"))),
        Format::Xlsx => {
            xlsx_target(out)?;
            final_accounts::workbook(title, sheet, cols)?
        }
    };
    write_out(out, &bytes)
}

//! `tongchou report …`: the reports of `tongchou_app::reports`, read from the stored results of
//! the monthly jobs and the ledger (the web pages at `/reports` show the same sheets).
//!
//! - `report collection --period M [--region R]`: a month's collection per city (per county
//!   inside a city or county given with `--region`), and the provincial fiscal special account.
//! - `report arrears [--by county|employer] [--as-of D]`: the open arrears now, with the late
//!   fee accrued on what is outstanding until `--as-of` (default today).
//! - `report crosscheck`: the cross-check findings by county.
//! - `report disbursement --period M`: a month's disbursement per city.
//!
//! Formats: an aligned table (default), JSON, CSV (UTF-8 with a header line) or XLSX.

use crate::output::{CliError, CliResult};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use tongchou_app::reports::{self, Sheet};
use tongchou_core::{Date, Period, RegionCode};
use tongchou_store::Db;

#[derive(clap::Subcommand)]
pub enum ReportCmd {
    /// A month's collection per city (per county with --region CITY or COUNTY): insured,
    /// contributors, assessed, collected, late fees, arrears outstanding, remitted to the
    /// province; and the provincial fiscal special account balance.
    Collection(CollectionArgs),
    /// Open arrears by county or employer, with the late fee accrued until --as-of.
    Arrears(ArrearsArgs),
    /// Cross-check findings by county: deaths, settlements, pension paid after death, duplicate
    /// receipt, corrections, recovery cases open (`tongchou crosscheck run` finds them).
    Crosscheck(CrosscheckArgs),
    /// A month's disbursement per city: planned, approved, allocated (days late), issued, paid,
    /// returned, pending; the provincial balance and months payable.
    Disbursement(DisbursementArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Xlsx,
}

#[derive(clap::Args)]
pub struct OutArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct CollectionArgs {
    /// The month, YYYY-MM (its collection must have been run).
    #[arg(long)]
    pub period: Period,
    /// The province (default), a city or a county (six-digit code).
    #[arg(long)]
    pub region: Option<RegionCode>,
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    County,
    Employer,
}

#[derive(clap::Args)]
pub struct ArrearsArgs {
    /// The province (default), a city or a county (six-digit code).
    #[arg(long)]
    pub region: Option<RegionCode>,
    #[arg(long, value_enum, default_value_t = By::County)]
    pub by: By,
    /// Late fees accrue until the end of this day (default: today in China).
    #[arg(long)]
    pub as_of: Option<Date>,
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(clap::Args)]
pub struct CrosscheckArgs {
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(clap::Args)]
pub struct DisbursementArgs {
    /// The month, YYYY-MM (its disbursement must have been run).
    #[arg(long)]
    pub period: Period,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(c: ReportCmd, url: &str) -> CliResult {
    let mut db = Db::open(url)?;
    let (sheet, out) = match c {
        ReportCmd::Collection(a) => (reports::collection(&mut db, a.period, a.region)?, a.out),
        ReportCmd::Arrears(a) => {
            let by = match a.by {
                By::County => reports::By::County,
                By::Employer => reports::By::Employer,
            };
            let as_of = a.as_of.unwrap_or_else(tongchou_app::clock::today_china);
            (reports::arrears(&mut db, a.region, by, as_of)?, a.out)
        }
        ReportCmd::Crosscheck(a) => (reports::crosscheck(&mut db)?, a.out),
        ReportCmd::Disbursement(a) => (reports::disbursement(&mut db, a.period, None)?, a.out),
    };
    emit(&sheet, None, &out)?;
    Ok(ExitCode::SUCCESS)
}

/// Write `sheet` in the format asked for; `json`, when given, is the JSON rendering instead of
/// the sheet's own.
pub fn emit(
    sheet: &Sheet,
    json: Option<&serde_json::Value>,
    out: &OutArgs,
) -> Result<(), CliError> {
    let bytes = match out.format {
        Format::Table => sheet.table().into_bytes(),
        Format::Csv => sheet.csv().into_bytes(),
        Format::Json => {
            let own;
            let value = match json {
                Some(j) => j,
                None => {
                    own = sheet.json();
                    &own
                }
            };
            let mut s =
                serde_json::to_string_pretty(value).map_err(|e| CliError(format!("json: {e}")))?;
            s.push('\n');
            s.into_bytes()
        }
        Format::Xlsx => {
            xlsx_target(out)?;
            sheet
                .xlsx()
                .map_err(|e| CliError(format!("--format xlsx: {e}")))?
        }
    };
    write_out(out, &bytes)
}

/// A workbook goes to `--output` or a redirected standard output, never to a terminal.
pub fn xlsx_target(out: &OutArgs) -> Result<(), CliError> {
    if out.output.is_none() && std::io::stdout().is_terminal() {
        return Err(CliError(tongchou_core::tr!("cli-err-xlsx-output")));
    }
    Ok(())
}

/// The bytes to `--output FILE`, or to standard output.
pub fn write_out(out: &OutArgs, bytes: &[u8]) -> Result<(), CliError> {
    match &out.output {
        Some(p) => std::fs::write(p, bytes).map_err(|e| {
            CliError(format!(
                "--output {}: {}",
                p.display(),
                tongchou_core::i18n::io_text(&e)
            ))
        }),
        None => {
            let mut o = std::io::stdout().lock();
            o.write_all(bytes)
                .and_then(|_| o.flush())
                .map_err(crate::output::stdout_error)
        }
    }
}

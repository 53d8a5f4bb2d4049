//! `tongchou close`: period close (结账) of a month or a year by level, county → city →
//! province, as a staff member (`--as LOGIN`, password from `TONGCHOU_PASSWORD` or standard
//! input); `--status` lists every book's last closed month. `tongchou reopen request|approve|
//! reject`: a closed month reopened only through a maker–checker approval (`tongchou_app::close`).

use crate::output::{CliError, CliResult, print_json};
use crate::session::acting_user;
use std::process::ExitCode;
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::close::{self, CloseRequest};
use tongchou_core::region::Level;
use tongchou_core::{Divisions, Period, RegionCode, tr};
use tongchou_store::Db;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LevelArg {
    County,
    City,
    Province,
}

#[derive(clap::Args)]
pub struct Args {
    /// Close the books through this month (YYYY-MM).
    #[arg(long, conflicts_with_all = ["year", "status"], required_unless_present_any = ["year", "status"])]
    pub period: Option<Period>,
    /// Close this year (its December).
    #[arg(long, conflicts_with = "status")]
    pub year: Option<i32>,
    /// The level of the books to close.
    #[arg(long, value_enum, required_unless_present = "status")]
    pub level: Option<LevelArg>,
    /// One book (six-digit code); default every book of the level within the user's region.
    #[arg(long)]
    pub region: Option<RegionCode>,
    /// The staff member who closes.
    #[arg(long = "as", required_unless_present = "status")]
    pub as_login: Option<String>,
    /// List every book's last closed month (within --region, default the province).
    #[arg(long)]
    pub status: bool,
}

pub fn run(a: Args, db_url: &str) -> CliResult {
    let mut db = Db::open(db_url)?;
    if a.status {
        let region = a.region.unwrap_or(Divisions::shanxi().province().code);
        let books = close::status(&mut db, region).map_err(|e| CliError(e.to_string()))?;
        for b in books {
            outln!(
                "{} {:<8} {:<12} {}",
                b.region,
                b.level,
                b.name,
                b.closed_through.as_deref().unwrap_or("-")
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (period, year) = match (a.period, a.year) {
        (Some(p), None) => (p, false),
        (None, Some(y)) => (
            Period::new(y, 12).map_err(|e| CliError(format!("--year: {e}")))?,
            true,
        ),
        _ => return Err(CliError(tongchou_core::tr!("cli-err-period-or-year"))),
    };
    let level = match a.level {
        Some(LevelArg::County) => Level::County,
        Some(LevelArg::City) => Level::City,
        Some(LevelArg::Province) => Level::Province,
        None => return Err(CliError(tongchou_core::tr!("cli-err-level"))),
    };
    let login = a
        .as_login
        .ok_or_else(|| CliError(tongchou_core::tr!("cli-err-as-needed")))?;
    let who = acting_user(&mut db, &login)?;
    let req = CloseRequest {
        level,
        period,
        year,
        region: a.region,
        today: today_china(),
    };
    let closed =
        close::close(&mut db, &who, &req, now_ms()).map_err(|e| CliError(e.to_string()))?;
    let new = closed.iter().filter(|c| !c.already).count();
    outln!(
        "{}",
        tr!(
            if year {
                "cli-closed-year"
            } else {
                "cli-closed-month"
            },
            level = close::level_name(level),
            period = period,
            new = new,
            already = closed.len() - new
        )
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Subcommand)]
pub enum ReopenCmd {
    /// Ask for a closed month of a book to be reopened (the maker): prints the approval.
    Request {
        #[arg(long)]
        region: RegionCode,
        #[arg(long)]
        period: Period,
        /// Why (one line).
        #[arg(long)]
        reason: String,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Approve a reopening (the checker, never the maker): the month reopens at once.
    Approve {
        #[arg(long)]
        approval: i64,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Reject a reopening.
    Reject {
        #[arg(long)]
        approval: i64,
        #[arg(long)]
        note: String,
        #[arg(long = "as")]
        as_login: String,
    },
}

pub fn run_reopen(c: ReopenCmd, db_url: &str) -> CliResult {
    let mut db = Db::open(db_url)?;
    match c {
        ReopenCmd::Request {
            region,
            period,
            reason,
            as_login,
        } => {
            let who = acting_user(&mut db, &as_login)?;
            let a = close::request_reopen(&mut db, &who, region, period, &reason, now_ms())
                .map_err(|e| CliError(e.to_string()))?;
            print_json(&a.to_json())?;
        }
        ReopenCmd::Approve {
            approval,
            note,
            as_login,
        } => decide(&mut db, approval, true, &note, &as_login)?,
        ReopenCmd::Reject {
            approval,
            note,
            as_login,
        } => decide(&mut db, approval, false, &note, &as_login)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn decide(
    db: &mut Db,
    approval: i64,
    approve: bool,
    note: &str,
    login: &str,
) -> Result<(), CliError> {
    let who = acting_user(db, login)?;
    let r = close::decide_reopen(db, &who, approval, approve, note, now_ms())
        .map_err(|e| CliError(e.to_string()))?;
    print_json(&serde_json::to_value(&r).map_err(|e| CliError(e.to_string()))?)?;
    Ok(())
}

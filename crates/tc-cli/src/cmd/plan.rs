//! `tongchou plan show|decide`: the month's fund-use application (用款计划申请) and the finance
//! department's decision on it. The decision is made by the approver themself (`--as`, password
//! from `TONGCHOU_PASSWORD` or standard input), never by the officer who submitted the
//! application; `tongchou month run` (without `--simulate`) waits for it after the plans step and
//! applies it when run again.

use crate::output::{CliError, CliResult, print_json};
use crate::session::acting_user;
use std::process::ExitCode;
use tongchou_app::clock::now_ms;
use tongchou_app::disburse;
use tongchou_core::{Fen, Period};
use tongchou_engine::disbursement::Decision;
use tongchou_store::Db;

#[derive(clap::Subcommand)]
pub enum PlanCmd {
    /// The month's application: approval id, status, planned and approved amounts, and the
    /// planned amount of every city and county.
    Show {
        #[arg(long)]
        period: Period,
    },
    /// Decide the month's application (finance department approver).
    Decide {
        #[arg(long)]
        period: Period,
        /// Approve the whole planned amount.
        #[arg(long, conflicts_with_all = ["approve_yuan", "reject"], required_unless_present_any = ["approve_yuan", "reject"])]
        full: bool,
        /// Approve this amount (yuan, e.g. 1234567.89), above 0 and at most the planned amount.
        #[arg(long, conflicts_with = "reject")]
        approve_yuan: Option<Fen>,
        /// Reject the application, with this reason.
        #[arg(long)]
        reject: Option<String>,
        /// The approver's login.
        #[arg(long = "as")]
        as_login: String,
    },
}

pub fn run(c: PlanCmd, db_url: &str) -> CliResult {
    let mut db = Db::open(db_url)?;
    match c {
        PlanCmd::Show { period } => {
            let Some(app) =
                disburse::application(&mut db, period).map_err(|e| CliError(e.to_string()))?
            else {
                return Err(CliError(format!(
                    "--period: no fund-use application for {period} (its plans step has not run)"
                )));
            };
            let regions = tongchou_store::plans::region_plans(&mut db, period)?;
            let plans: Vec<serde_json::Value> = regions
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "region": r.region.get(),
                        "level": r.level.as_str(),
                        "planned": r.planned,
                    })
                })
                .collect();
            print_json(&serde_json::json!({"application": app, "plans": plans}))?;
            Ok(ExitCode::SUCCESS)
        }
        PlanCmd::Decide {
            period,
            full,
            approve_yuan,
            reject,
            as_login,
        } => {
            let decision = match (full, approve_yuan, reject) {
                (true, None, None) => Decision::Full,
                (false, Some(a), None) => Decision::Partial { approved: a },
                (false, None, Some(reason)) => Decision::Rejected { reason },
                _ => {
                    return Err(CliError(
                        "give one of --full, --approve-yuan AMOUNT or --reject REASON".into(),
                    ));
                }
            };
            let who = acting_user(&mut db, &as_login)?;
            let a = disburse::decide_fund_plan(&mut db, &who, period, &decision, now_ms())
                .map_err(|e| CliError(e.to_string()))?;
            print_json(&serde_json::json!({"period": period, "decided": a}))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

//! `tongchou plan submit|return|forward|status`: the county and city plans of the chain
//! (`tongchou_app::plan_chain`: a county submits, its city returns it with a reason or forwards
//! it, then submits its consolidated plan). `tongchou plan show|decide`: the month's fund-use
//! application (用款计划申请) and the finance department's decision on it. The decision is made by the approver themself (`--as`, password
//! from `TONGCHOU_PASSWORD` or standard input), never by the officer who submitted the
//! application; `tongchou month run` (without `--simulate`) waits for it after the plans step and
//! applies it when run again.

use crate::output::{CliError, CliResult, print_json};
use crate::session::acting_user;
use std::process::ExitCode;
use tongchou_app::clock::now_ms;
use tongchou_app::disburse;
use tongchou_app::plan_chain::{self, Review};
use tongchou_core::region::Level;
use tongchou_core::{Divisions, Fen, Period, RegionCode};
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
    /// Submit (or, after a return, resubmit) a plan: a county agency its county's proposal from
    /// the payroll; a city agency its consolidated plan once all its counties are forwarded.
    Submit {
        #[arg(long)]
        month: Period,
        /// The county's or city's code.
        #[arg(long)]
        region: u32,
        /// A note to the reviewer (at most 500 characters; required with --adjust).
        #[arg(long, alias = "reason", default_value = "")]
        note: String,
        /// A county's own figure for an item instead of the payroll's proposal (调整), e.g.
        /// `--adjust basic_pension=1,200,000.00`; repeat for several items. The items not named
        /// are left out; the total may not exceed what the payroll needs.
        #[arg(long = "adjust", value_name = "ITEM=YUAN")]
        adjust: Vec<String>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Return a county's submitted plan to it, with the reason (the city agency).
    Return {
        #[arg(long)]
        month: Period,
        #[arg(long)]
        region: u32,
        #[arg(long)]
        reason: String,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Forward a county's submitted plan into the city's consolidated plan (the city agency).
    Forward {
        #[arg(long)]
        month: Period,
        #[arg(long)]
        region: u32,
        #[arg(long = "as")]
        as_login: String,
    },
    /// The chain's state within the user's region; with --region, that plan with its versions,
    /// actions and (while it may be submitted) the proposal from the payroll.
    Status {
        #[arg(long)]
        month: Period,
        #[arg(long)]
        region: Option<u32>,
        #[arg(long = "as")]
        as_login: String,
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
        /// Confirm paying beyond what is left of the year's approved expenditure budget.
        #[arg(long)]
        override_budget: bool,
        /// The approver's login.
        #[arg(long = "as")]
        as_login: String,
    },
}

fn region(code: u32) -> Result<RegionCode, CliError> {
    RegionCode::new(code).map_err(|e| CliError(format!("--region: {e}")))
}

fn app<T>(r: Result<T, tongchou_app::AppError>) -> Result<T, CliError> {
    r.map_err(|e| CliError(e.to_string()))
}

/// A city's verdict on a county's plan, as `{"month", "<what>": state}`.
fn reviewed(
    db: &mut Db,
    month: Period,
    r: u32,
    verdict: Review<'_>,
    as_login: &str,
    what: &str,
) -> Result<serde_json::Value, CliError> {
    let who = acting_user(db, as_login)?;
    let s = app(plan_chain::review(
        db,
        &who,
        month,
        region(r)?,
        verdict,
        now_ms(),
    ))?;
    Ok(serde_json::json!({"month": month, what: s}))
}

/// The chain's commands: submit, return, forward, status.
fn chain(db: &mut Db, c: PlanCmd) -> CliResult {
    let out = match c {
        PlanCmd::Submit {
            month,
            region: r,
            note,
            adjust,
            as_login,
        } => {
            let who = acting_user(db, &as_login)?;
            let r = region(r)?;
            let s = if Divisions::shanxi().get(r).map(|x| x.level) == Some(Level::City) {
                app(plan_chain::submit_city(db, &who, month, r, &note, now_ms()))?
            } else if adjust.is_empty() {
                app(plan_chain::submit(db, &who, month, r, &note, now_ms()))?
            } else {
                let items = app(plan_chain::parse_adjustment(&adjust))?;
                app(plan_chain::submit_adjusted(
                    db,
                    &who,
                    month,
                    r,
                    &items,
                    &note,
                    now_ms(),
                ))?
            };
            serde_json::json!({"month": month, "submitted": s})
        }
        PlanCmd::Return {
            month,
            region: r,
            reason,
            as_login,
        } => reviewed(db, month, r, Review::Return(&reason), &as_login, "returned")?,
        PlanCmd::Forward {
            month,
            region: r,
            as_login,
        } => reviewed(db, month, r, Review::Forward, &as_login, "forwarded")?,
        PlanCmd::Status {
            month,
            region: r,
            as_login,
        } => {
            let who = acting_user(db, &as_login)?;
            match r {
                Some(r) => {
                    serde_json::json!({"plan": app(plan_chain::plan(db, &who, month, region(r)?, now_ms()))?})
                }
                None => serde_json::json!({
                    "month": month,
                    "cities": app(plan_chain::status(db, &who, month))?,
                    "waiting": app(plan_chain::waiting(db, month))?.iter().map(|(r, s)| serde_json::json!({"region": r.get(), "name": plan_chain::name(*r), "state": s})).collect::<Vec<_>>(),
                }),
            }
        }
        _ => return Err(CliError(tongchou_core::tr!("cli-err-not-plan-chain"))),
    };
    print_json(&out)?;
    Ok(ExitCode::SUCCESS)
}

pub fn run(c: PlanCmd, db_url: &str) -> CliResult {
    let mut db = Db::open(db_url)?;
    match c {
        c @ (PlanCmd::Submit { .. }
        | PlanCmd::Return { .. }
        | PlanCmd::Forward { .. }
        | PlanCmd::Status { .. }) => chain(&mut db, c),
        PlanCmd::Show { period } => {
            let Some(app) =
                disburse::application(&mut db, period).map_err(|e| CliError(e.to_string()))?
            else {
                return Err(CliError(tongchou_core::tr!(
                    "cli-err-no-application",
                    period = period
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
            override_budget,
            as_login,
        } => {
            let decision = match (full, approve_yuan, reject) {
                (true, None, None) => Decision::Full,
                (false, Some(a), None) => Decision::Partial { approved: a },
                (false, None, Some(reason)) => Decision::Rejected { reason },
                _ => {
                    return Err(CliError(tongchou_core::tr!("cli-err-decision-needed")));
                }
            };
            let who = acting_user(&mut db, &as_login)?;
            let a = disburse::decide_fund_plan_checked(
                &mut db,
                &who,
                period,
                &decision,
                override_budget,
                now_ms(),
            )
            .map_err(|e| CliError(e.to_string()))?;
            print_json(&serde_json::json!({"period": period, "decided": a}))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

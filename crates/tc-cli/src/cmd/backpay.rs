//! `tongchou backpay assess | decide | list | show`: back-payments (补缴) of past months never
//! assessed, a thin edge over `tongchou_app::backpay`. Every change acts as an authenticated staff
//! member (`--as LOGIN`, password from `TONGCHOU_PASSWORD` or standard input).

use crate::cmd::benefits::engine;
use crate::output::{CliError, CliResult, print_json};
use crate::session::acting_user;
use std::process::ExitCode;
use tongchou_app::backpay::{self, Request};
use tongchou_app::clock::{now_ms, today_china};
use tongchou_core::{Date, Policy};
use tongchou_store::Db;

#[derive(clap::Subcommand)]
pub enum Cmd {
    /// Assess a back-payment: each month under its own period's rules; released at once below
    /// `contribution.backpay_approval_threshold`, else pending a provincial approver.
    Assess {
        #[arg(long)]
        person: i64,
        /// Months with the wage declared for each, in yuan: `2020-06..2020-08:5000,2021-01:5200`.
        #[arg(long)]
        months: String,
        /// Why the months were not declared (one line).
        #[arg(long)]
        reason: String,
        /// The day of the assessment (default: today).
        #[arg(long)]
        on: Option<Date>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Decide a pending back-payment (checker, never the clerk who assessed it).
    Decide {
        #[arg(long)]
        approval: i64,
        /// approve or reject
        #[arg(long)]
        decision: String,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        on: Option<Date>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// The back-payments within the user's region, pending first (JSON).
    List {
        #[arg(long = "as")]
        as_login: String,
    },
    /// One back-payment with its months (JSON).
    Show {
        #[arg(long)]
        id: i64,
        #[arg(long = "as")]
        as_login: String,
    },
}

pub fn run(c: Cmd, db_url: &str) -> CliResult {
    let mut db = Db::open(db_url)?;
    match c {
        Cmd::Assess {
            person,
            months,
            reason,
            on,
            as_login,
        } => {
            let months = backpay::parse_months(&months).map_err(engine)?;
            let who = acting_user(&mut db, &as_login)?;
            let policy = Policy::builtin().map_err(|e| CliError(e.to_string()))?;
            let r = Request {
                person,
                months: &months,
                reason: &reason,
            };
            let today = on.unwrap_or_else(today_china);
            let (b, ms) =
                backpay::assess(&mut db, &policy, &who, &r, today, now_ms()).map_err(engine)?;
            for m in &ms {
                outln!(
                    "{}  基数 {:>12}  统筹 {:>10}  个人账户 {:>10}  缴费截止 {}",
                    m.period,
                    m.base.grouped(),
                    m.pooling.grouped(),
                    m.account.grouped(),
                    m.due
                );
            }
            match b.approval {
                Some(a) => outln!(
                    "补缴 {}：合计 {} 元，{}（审批 {a}）",
                    b.id,
                    b.total.grouped(),
                    backpay::status_name(&b.status)
                ),
                None => outln!(
                    "补缴 {}：合计 {} 元，{}",
                    b.id,
                    b.total.grouped(),
                    backpay::status_name(&b.status)
                ),
            }
        }
        Cmd::Decide {
            approval,
            decision,
            note,
            on,
            as_login,
        } => {
            let approve = match decision.as_str() {
                "approve" => true,
                "reject" => false,
                other => {
                    return Err(CliError(tongchou_core::tr!(
                        "cli-err-decision-value",
                        got = format!("{other:?}")
                    )));
                }
            };
            let who = acting_user(&mut db, &as_login)?;
            let today = on.unwrap_or_else(today_china);
            let b = backpay::decide(&mut db, &who, approval, approve, &note, today, now_ms())
                .map_err(engine)?;
            outln!(
                "补缴 {}：{}，合计 {} 元",
                b.id,
                backpay::status_name(&b.status),
                b.total.grouped()
            );
        }
        Cmd::List { as_login } => {
            let who = acting_user(&mut db, &as_login)?;
            let list = backpay::list(&mut db, &who).map_err(engine)?;
            print_json(&serde_json::Value::Array(
                list.iter().map(json_of).collect(),
            ))?;
        }
        Cmd::Show { id, as_login } => {
            let who = acting_user(&mut db, &as_login)?;
            let (b, months) = backpay::show(&mut db, &who, id).map_err(engine)?;
            let mut j = json_of(&b);
            j["months"] = serde_json::to_value(&months).map_err(|e| CliError(e.to_string()))?;
            print_json(&j)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn json_of(b: &tongchou_store::backpay::BackPay) -> serde_json::Value {
    serde_json::json!({
        "id": b.id, "person": b.person, "county": b.county, "employer": b.employer,
        "payer_kind": b.payer_kind, "reason": b.reason, "total": b.total.to_string(),
        "status": b.status, "approval": b.approval, "created_at": b.created_at,
        "decided_at": b.decided_at, "note": b.note,
    })
}

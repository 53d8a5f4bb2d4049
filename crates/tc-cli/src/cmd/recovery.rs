//! `tongchou recovery list | repay | write-off | decide | report`: recovery cases (追回) and what
//! ends them, a thin edge over `tongchou_app::recoveries`. Every change acts as an authenticated
//! staff member (`--as LOGIN`, password from `TONGCHOU_PASSWORD` or standard input).

use crate::cmd::benefits::engine;
use crate::output::{CliResult, print_json};
use crate::session::acting_user;
use std::process::ExitCode;
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::recoveries as rec;
use tongchou_core::{Date, Divisions, Fen, RegionCode, tr};
use tongchou_store::Db;

#[derive(clap::Subcommand)]
pub enum Cmd {
    /// The cases of a county (all when omitted): open ones first, with what remains.
    List {
        #[arg(long)]
        county: Option<u32>,
    },
    /// Record a repayment into the county's income account (booked as other income, 其他收入).
    Repay {
        #[arg(long)]
        person: i64,
        #[arg(long)]
        case: i64,
        /// Yuan, e.g. 1234.56.
        #[arg(long)]
        amount: Fen,
        /// The day the money arrived (default: today).
        #[arg(long)]
        on: Option<Date>,
        /// The bank's voucher number.
        #[arg(long)]
        reference: String,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Propose writing off what remains of a case (maker); prints the approval id.
    WriteOff {
        #[arg(long)]
        person: i64,
        #[arg(long)]
        case: i64,
        #[arg(long)]
        reason: String,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Decide a proposed write-off (checker, never the proposer).
    Decide {
        #[arg(long)]
        approval: i64,
        /// approve or reject
        #[arg(long)]
        decision: String,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Per county: open (and what remains), recovered, written off.
    Report {
        #[arg(long)]
        region: Option<RegionCode>,
    },
}

pub fn run(c: Cmd, db_url: &str) -> CliResult {
    let mut db = Db::open(db_url)?;
    match c {
        Cmd::List { county } => list(&mut db, county)?,
        Cmd::Repay {
            person,
            case,
            amount,
            on,
            reference,
            as_login,
        } => {
            let who = acting_user(&mut db, &as_login)?;
            let on = on.unwrap_or_else(today_china);
            let c = rec::repay(
                &mut db,
                &who,
                person,
                case,
                amount,
                on,
                &reference,
                now_ms(),
            )
            .map_err(engine)?;
            outln!(
                "追回 {} 元；待追回 {} 元，状态 {}",
                amount.grouped(),
                c.remaining().grouped(),
                c.status
            );
        }
        Cmd::WriteOff {
            person,
            case,
            reason,
            as_login,
        } => {
            let who = acting_user(&mut db, &as_login)?;
            let id = rec::propose_write_off(&mut db, &who, person, case, &reason, now_ms())
                .map_err(engine)?;
            outln!("{}", tr!("cli-write-off-proposed", approval = id));
        }
        Cmd::Decide {
            approval,
            decision,
            note,
            as_login,
        } => {
            let approve = match decision.as_str() {
                "approve" => true,
                "reject" => false,
                other => {
                    return Err(crate::output::CliError(tongchou_core::tr!(
                        "cli-err-decision-value",
                        got = format!("{other:?}")
                    )));
                }
            };
            let who = acting_user(&mut db, &as_login)?;
            let c = rec::decide_write_off(&mut db, &who, approval, approve, &note, now_ms())
                .map_err(engine)?;
            outln!(
                "案件 {}:{} 状态 {}，核销 {} 元",
                c.person,
                c.id,
                c.status,
                c.written_off.grouped()
            );
        }
        Cmd::Report { region } => {
            let region = region.unwrap_or(Divisions::shanxi().province().code);
            print_json(&rec::report(&mut db, region).map_err(engine)?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list(db: &mut Db, county: Option<u32>) -> Result<(), crate::output::CliError> {
    let cases = tongchou_store::recoveries::cases(db, county)?;
    outln!(
        "{:<10} {:<18} {:<18} {:<8} {:<8} {:>12} {:>12} {:<12}",
        "人员",
        "案件",
        "类型",
        "区县",
        "月份",
        "金额",
        "待追回",
        "状态"
    );
    for c in cases {
        outln!(
            "{:<10} {:<18} {:<18} {:<8} {:<8} {:>12} {:>12} {:<12}",
            c.person,
            c.id,
            c.kind,
            c.county,
            c.month,
            c.amount.grouped(),
            c.remaining().grouped(),
            c.status
        );
    }
    Ok(())
}

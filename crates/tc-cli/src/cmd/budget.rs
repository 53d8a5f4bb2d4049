//! `tongchou budget …`: the fund budget of a year (`tongchou_app::budget`) and its execution
//! (`tongchou_app::execution`). Every change is made by a staff member (`--as LOGIN`, password
//! from `TONGCHOU_PASSWORD` or standard input) and audited.
//!
//! - `draft --year Y [--region R]`: propose the sections of the books within the region;
//! - `edit --year Y --region R --item K --amount A --note N [--source S]`: a new version;
//! - `show --year Y [--number N] [--region R] [--format table|json|xlsx]`;
//! - `submit --year Y --region R`: a county, a city (its counties accepted), the province;
//! - `review --year Y --region R (--accept | --return REASON)`: the level above;
//!   `review --year Y --stage hrss|finance (--accept | --return REASON)`: the departments;
//! - `approve --year Y [--return REASON]`: the government;
//! - `adjust --year Y --reason R`: open an adjustment of the approved budget;
//! - `comment --year Y --region R --note N`: the tax bureau on the income targets;
//! - `tasks --year Y`: the collection tasks (征缴任务) of the approved budget;
//! - `execution --year Y [--period M] [--region R] [--format table|json|xlsx]`;
//! - `evaluate --year Y [--region R] [--format table|json|xlsx]`: the performance evaluation
//!   (绩效评价) of every region within R, each indicator with its formula, figures, score and the
//!   parameters of `policy/budget.toml` it used;
//! - `analysis draft|explain|submit|review|show --year Y --quarter Q --region R`: the quarterly
//!   execution analysis (`cmd::budget_analysis`).

use crate::cmd::accounts::emit_matrix;
use crate::cmd::report::{Format, OutArgs};
use crate::output::{CliError, CliResult, print_json};
use crate::session::acting_user;
use std::process::ExitCode;
use tongchou_app::clock::now_ms;
use tongchou_app::{budget, evaluation, execution, final_accounts};
use tongchou_core::items::Statement;
use tongchou_core::{Divisions, Fen, Period, Policy, RegionCode, tr};
use tongchou_store::Db;

#[derive(clap::Args)]
pub struct Which {
    /// The budget year.
    #[arg(long)]
    pub year: i32,
    /// The budget's number: 0 the original, 1… its adjustments (default the latest).
    #[arg(long)]
    pub number: Option<i32>,
}

#[derive(clap::Subcommand)]
pub enum BudgetCmd {
    /// Propose the budget sections of the books within a region from the ledger, the registry
    /// and the forecast rates (policy/budget.toml).
    Draft {
        #[arg(long)]
        year: i32,
        /// One book; default every book within the user's region.
        #[arg(long)]
        region: Option<RegionCode>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Change one figure of a section, with a note (a new version; all versions are kept).
    Edit {
        #[command(flatten)]
        which: Which,
        #[arg(long)]
        region: RegionCode,
        /// The item key (opening, contribution, subsidy, basic_pension, …).
        #[arg(long)]
        item: String,
        /// Amount in yuan.
        #[arg(long)]
        amount: Fen,
        #[arg(long)]
        note: String,
        /// Where the figure comes from.
        #[arg(long)]
        source: Option<String>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// The budget: rows of items, columns of regions (an adjustment beside the budget before it).
    Show {
        #[command(flatten)]
        which: Which,
        #[arg(long)]
        region: Option<RegionCode>,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Submit a section to the level above (the province: the consolidated budget).
    Submit {
        #[command(flatten)]
        which: Which,
        #[arg(long)]
        region: RegionCode,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Review: a lower level's section (--region), or the HRSS or finance review (--stage).
    Review {
        #[command(flatten)]
        which: Which,
        #[arg(long, conflicts_with = "stage", required_unless_present = "stage")]
        region: Option<RegionCode>,
        /// hrss or finance.
        #[arg(long)]
        stage: Option<String>,
        #[arg(
            long,
            conflicts_with = "return_reason",
            required_unless_present = "return_reason"
        )]
        accept: bool,
        /// Return it, with this reason.
        #[arg(long = "return")]
        return_reason: Option<String>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// The government's approval (or return, with a reason).
    Approve {
        #[command(flatten)]
        which: Which,
        #[arg(long = "return")]
        return_reason: Option<String>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Open an adjustment of the year's approved budget.
    Adjust {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        reason: String,
        #[arg(long = "as")]
        as_login: String,
    },
    /// The tax bureau's comment on a region's income targets.
    Comment {
        #[command(flatten)]
        which: Which,
        #[arg(long)]
        region: RegionCode,
        #[arg(long)]
        note: String,
        #[arg(long = "as")]
        as_login: String,
    },
    /// The collection tasks (征缴任务) of the approved budget, per city and county.
    Tasks {
        #[arg(long)]
        year: i32,
    },
    /// The budget's execution from the ledger through a month, by item and region.
    Execution {
        #[arg(long)]
        year: i32,
        /// Through this month (default December).
        #[arg(long)]
        period: Option<Period>,
        #[arg(long)]
        region: Option<RegionCode>,
        #[command(flatten)]
        out: OutArgs,
    },
    /// The quarterly budget-execution analysis (季度预算执行分析) of a region.
    Analysis {
        #[command(subcommand)]
        cmd: crate::cmd::budget_analysis::AnalysisCmd,
    },
    /// The budget's performance evaluation (绩效评价) of a year: execution rate, collection-task
    /// completion, budget accuracy per side, timeliness of allocations, scored per region.
    Evaluate {
        #[arg(long)]
        year: i32,
        /// The province (default), a city or a county: the regions within it.
        #[arg(long)]
        region: Option<RegionCode>,
        #[command(flatten)]
        out: OutArgs,
    },
}

fn app<T>(r: tongchou_app::Result<T>) -> Result<T, CliError> {
    r.map_err(|e| CliError(e.to_string()))
}

pub fn run(c: BudgetCmd, url: &str) -> CliResult {
    let mut db = Db::open(url)?;
    let db = &mut db;
    match c {
        BudgetCmd::Show { which, region, out } => show(db, &which, region, &out)?,
        BudgetCmd::Tasks { year } => {
            let Some(t) = app(budget::collection_tasks(db, year))? else {
                return Err(CliError(tr!("cli-budget-none-approved", year = year)));
            };
            let rows: Vec<serde_json::Value> = t
                .iter()
                .map(|(r, f)| serde_json::json!({"region": r.to_string(), "task": f.to_string()}))
                .collect();
            print_json(&serde_json::json!({"year": year, "tasks": rows}))?;
        }
        BudgetCmd::Execution {
            year,
            period,
            region,
            out,
        } => {
            let e = app(execution::execution(db, year, period))?;
            let region = region.unwrap_or(Divisions::shanxi().province().code);
            let cols = e.columns(region, out.format == Format::Xlsx);
            let refs: Vec<(String, &Statement)> =
                cols.iter().map(|(l, s)| (l.clone(), s)).collect();
            let json = e.json(region)?;
            let sheet = tr!("cli-budget-sheet-execution", year = year);
            emit_matrix(&out, &e.title(), &sheet, &refs, &json)?;
        }
        BudgetCmd::Analysis { cmd } => crate::cmd::budget_analysis::run(db, cmd)?,
        BudgetCmd::Evaluate { year, region, out } => {
            let e = app(evaluation::evaluate(db, year, region))?;
            crate::cmd::report::emit(&e.sheet(), Some(&e.json()), &out)?;
        }
        c @ (BudgetCmd::Review { .. } | BudgetCmd::Approve { .. } | BudgetCmd::Comment { .. }) => {
            review(db, c, now_ms())?
        }
        c => compile(db, c, now_ms())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Draft, edit, submit, adjust.
fn compile(db: &mut Db, c: BudgetCmd, now: i64) -> Result<(), CliError> {
    match c {
        BudgetCmd::Draft {
            year,
            region,
            as_login,
        } => {
            let who = acting_user(db, &as_login)?;
            let policy = Policy::builtin()?;
            let done = app(budget::draft(db, &policy, &who, year, region, now))?;
            outln!("{}", tr!("cli-budget-drafted", year = year, n = done.len()));
        }
        BudgetCmd::Edit {
            which,
            region,
            item,
            amount,
            note,
            source,
            as_login,
        } => {
            let who = acting_user(db, &as_login)?;
            let change = budget::Change {
                region,
                item: &item,
                amount,
                note: &note,
                source: source.as_deref(),
            };
            let v = app(budget::edit(
                db,
                &who,
                which.year,
                which.number,
                &change,
                now,
            ))?;
            let amount = amount.grouped();
            outln!(
                "{}",
                tr!(
                    "cli-budget-line",
                    region = region,
                    item = item,
                    amount = amount,
                    version = v
                )
            );
        }
        BudgetCmd::Submit {
            which,
            region,
            as_login,
        } => {
            let who = acting_user(db, &as_login)?;
            let s = app(budget::submit(
                db,
                &who,
                which.year,
                which.number,
                region,
                now,
            ))?;
            outln!("{}", section_line(region, &s.status));
        }
        BudgetCmd::Adjust {
            year,
            reason,
            as_login,
        } => {
            let who = acting_user(db, &as_login)?;
            let n = app(budget::adjust(db, &who, year, &reason, now))?;
            outln!("{}", tr!("cli-budget-adjusting", year = year, n = n));
        }
        _ => return Err(CliError(tongchou_core::tr!("cli-err-not-compiling"))),
    }
    Ok(())
}

/// The reviews, the approval, the tax bureau's comment.
fn review(db: &mut Db, c: BudgetCmd, now: i64) -> Result<(), CliError> {
    match c {
        BudgetCmd::Review {
            which,
            region,
            stage,
            accept,
            return_reason,
            as_login,
        } => {
            let who = acting_user(db, &as_login)?;
            let v = match (accept, return_reason.as_deref()) {
                (true, None) => budget::Verdict::Accept,
                (false, Some(r)) => budget::Verdict::Return(r),
                _ => return Err(CliError(tongchou_core::tr!("cli-err-accept-or-return"))),
            };
            match (region, stage) {
                (Some(r), None) => {
                    let s = app(budget::review(
                        db,
                        &who,
                        which.year,
                        which.number,
                        r,
                        v,
                        now,
                    ))?;
                    outln!("{}", section_line(r, &s.status));
                }
                (None, Some(st)) if st == "hrss" || st == "finance" => {
                    let s = app(budget::decide(
                        db,
                        &who,
                        which.year,
                        which.number,
                        &st,
                        v,
                        now,
                    ))?;
                    outln!("{}", stage_line(which.year, &s));
                }
                _ => return Err(CliError(tongchou_core::tr!("cli-err-region-or-stage"))),
            }
        }
        BudgetCmd::Approve {
            which,
            return_reason,
            as_login,
        } => {
            let who = acting_user(db, &as_login)?;
            let v = match return_reason.as_deref() {
                None => budget::Verdict::Accept,
                Some(r) => budget::Verdict::Return(r),
            };
            let s = app(budget::decide(
                db,
                &who,
                which.year,
                which.number,
                "government",
                v,
                now,
            ))?;
            outln!("{}", stage_line(which.year, &s));
        }
        BudgetCmd::Comment {
            which,
            region,
            note,
            as_login,
        } => {
            let who = acting_user(db, &as_login)?;
            app(budget::comment(
                db,
                &who,
                which.year,
                which.number,
                region,
                &note,
                now,
            ))?;
            outln!("{}", tr!("cli-budget-comment", region = region));
        }
        _ => return Err(CliError(tongchou_core::tr!("cli-err-not-review"))),
    }
    Ok(())
}

fn show(
    db: &mut Db,
    which: &Which,
    region: Option<RegionCode>,
    out: &OutArgs,
) -> Result<(), CliError> {
    let v = app(budget::show(db, which.year, which.number))?;
    let region = region.unwrap_or(Divisions::shanxi().province().code);
    let now = app(budget::statements(&v.amounts()))?;
    let before = match &v.before {
        Some((_, b)) => Some(app(budget::statements(b))?),
        None => None,
    };
    let d = Divisions::shanxi();
    let mut owned: Vec<(String, Statement)> = Vec::new();
    for r in final_accounts::ordered_books()
        .into_iter()
        .filter(|&r| d.within(r, region))
    {
        let direct = r == region || d.get(r).is_some_and(|x| x.parent == Some(region));
        if !(direct || out.format == Format::Xlsx) {
            continue;
        }
        let n = d.get(r).map(|x| x.name.clone()).unwrap_or_default();
        let pick = |m: &std::collections::BTreeMap<RegionCode, (Statement, Option<Statement>)>| {
            m.get(&r).map(|(own, g)| g.as_ref().unwrap_or(own).clone())
        };
        if let (Some(b), true) = (before.as_ref().and_then(pick), r == region) {
            owned.push((tr!("cli-budget-col-before", name = n), b));
        }
        if let Some(s) = pick(&now) {
            owned.push((n, s));
        }
    }
    let cols: Vec<(String, &Statement)> = owned.iter().map(|(l, s)| (l.clone(), s)).collect();
    let title = tr!(
        "cli-budget-title",
        year = v.budget.year,
        number = v.budget.number,
        stage = budget::stage_name(&v.budget.stage)
    );
    let json = app(v.json(region))?;
    let sheet = tr!("cli-budget-sheet", year = which.year);
    emit_matrix(out, &title, &sheet, &cols, &json)
}

/// The line saying the stage a budget reached.
/// A region's section after an action: its status in the reader's language.
fn section_line(region: RegionCode, status: &str) -> String {
    tr!(
        "cli-budget-section",
        region = region,
        status = budget::section_status_name(status)
    )
}

fn stage_line(year: i32, stage: &str) -> String {
    tr!(
        "cli-budget-stage",
        year = year,
        stage = budget::stage_name(stage)
    )
}

#[cfg(test)]
mod tests {
    use super::section_line;
    use tongchou_core::RegionCode;
    use tongchou_core::i18n::{Lang, scope};

    /// A section's status after `submit` or `review` is a word of the reader's language, never
    /// the stored code.
    #[test]
    fn a_sections_status_in_the_readers_language() {
        let r = RegionCode::new(140105).expect("region");
        assert_eq!(
            scope(Lang::ZhCn, || section_line(r, "submitted")),
            "140105：已报送待审核"
        );
        assert_eq!(
            scope(Lang::En, || section_line(r, "returned")),
            "140105: Returned"
        );
    }
}

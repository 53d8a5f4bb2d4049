//! `tongchou budget analysis …`: the quarterly budget-execution analysis (季度预算执行分析,
//! `tongchou_app::analysis`) of a county, city or the province. Every change is made by a staff
//! member (`--as LOGIN`, password from `TONGCHOU_PASSWORD` or standard input) and audited.
//!
//! - `draft --year Y --quarter Q --region R --as L`: the region's agency drafts (or redrafts) it
//!   from the ledger against the approved budget;
//! - `explain … --item K --text T --as L`: the explanation of an item's deviation;
//! - `submit … --as L`: every deviation beyond `warning.budget_deviation` explained; a submission
//!   after the quarter's end + `budget.execution_report_days` is recorded late;
//! - `review … (--accept | --return REASON) --as L`: the level above (never the maker);
//! - `show --year Y --quarter Q --region R [--format table|json|xlsx]`.

use crate::cmd::report::{OutArgs, emit};
use crate::output::CliError;
use crate::session::acting_user;
use tongchou_app::analysis::{self, Analysis, Quarter, Verdict, deviation_text, item_name};
use tongchou_app::clock::now_ms;
use tongchou_app::reports::sheet::{Cell, Col, Sheet};
use tongchou_core::RegionCode;
use tongchou_core::access::Principal;
use tongchou_store::Db;

#[derive(clap::Args)]
pub struct Which {
    #[arg(long)]
    pub year: i32,
    /// 1–4.
    #[arg(long)]
    pub quarter: u8,
    /// The county, city or province whose analysis it is.
    #[arg(long)]
    pub region: RegionCode,
}

#[derive(clap::Subcommand)]
pub enum AnalysisCmd {
    /// Draft (or redraft) the analysis from the ledger (a new version).
    Draft {
        #[command(flatten)]
        which: Which,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Explain an item's deviation (a new version).
    Explain {
        #[command(flatten)]
        which: Which,
        /// The item key (basic_pension, subsidy, …).
        #[arg(long)]
        item: String,
        #[arg(long)]
        text: String,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Submit it to the level above.
    Submit {
        #[command(flatten)]
        which: Which,
        #[arg(long = "as")]
        as_login: String,
    },
    /// The level above accepts it or returns it with a reason.
    Review {
        #[command(flatten)]
        which: Which,
        #[arg(
            long,
            conflicts_with = "return_reason",
            required_unless_present = "return_reason"
        )]
        accept: bool,
        #[arg(long = "return")]
        return_reason: Option<String>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// The analysis: its lines, status, actions and late submissions.
    Show {
        #[command(flatten)]
        which: Which,
        #[command(flatten)]
        out: OutArgs,
    },
}

fn app<T>(r: tongchou_app::Result<T>) -> Result<T, CliError> {
    r.map_err(|e| CliError(e.to_string()))
}

fn quarter(w: &Which) -> Result<Quarter, CliError> {
    app(Quarter::new(w.year, w.quarter))
}

/// The acting user and the quarter.
fn acting(db: &mut Db, w: &Which, login: &str) -> Result<(Principal, Quarter), CliError> {
    Ok((acting_user(db, login)?, quarter(w)?))
}

pub fn run(db: &mut Db, c: AnalysisCmd) -> Result<(), CliError> {
    let now = now_ms();
    let (w, state) = match c {
        AnalysisCmd::Show { which, out } => {
            let qt = quarter(&which)?;
            let a = app(analysis::show(db, qt, which.region))?;
            return emit(&sheet(&a, qt), Some(&a.json(qt)), &out);
        }
        AnalysisCmd::Draft { which, as_login } => {
            let (who, qt) = acting(db, &which, &as_login)?;
            let s = analysis::draft(db, &who, qt, which.region, now);
            (which, app(s)?)
        }
        AnalysisCmd::Explain {
            which,
            item,
            text,
            as_login,
        } => {
            let (who, qt) = acting(db, &which, &as_login)?;
            let s = analysis::explain(db, &who, qt, which.region, &item, &text, now);
            (which, app(s)?)
        }
        AnalysisCmd::Submit { which, as_login } => {
            let (who, qt) = acting(db, &which, &as_login)?;
            let s = analysis::submit(db, &who, qt, which.region, now);
            (which, app(s)?)
        }
        AnalysisCmd::Review {
            which,
            accept,
            return_reason,
            as_login,
        } => {
            let (who, qt) = acting(db, &which, &as_login)?;
            let v = match (accept, return_reason.as_deref()) {
                (true, None) => Verdict::Accept,
                (false, Some(r)) => Verdict::Return(r),
                _ => return Err(CliError(tongchou_core::tr!("cli-err-accept-or-return"))),
            };
            let s = analysis::review(db, &who, qt, which.region, v, now);
            (which, app(s)?)
        }
    };
    outln!(
        "{} {} 第 {} 季度执行分析：{}（第 {} 版）",
        w.region,
        analysis::name(w.region),
        w.quarter,
        analysis::status_label(Some(&state.status)),
        state.version
    );
    Ok(())
}

/// The analysis as one table: a row per item.
pub fn sheet(a: &Analysis, qt: Quarter) -> Sheet {
    const COLS: [Col; 8] = [
        Col::new("item", "项目 item"),
        Col::new("side", "收支 side"),
        Col::new("budget", "年度预算 budget"),
        Col::new("expected", "序时进度 expected"),
        Col::new("executed", "执行数 executed"),
        Col::new("deviation", "偏差 deviation"),
        Col::new("beyond", "超阈值 beyond"),
        Col::new("explanation", "说明 explanation"),
    ];
    let rows = a
        .lines
        .iter()
        .map(|l| {
            vec![
                Cell::Text(item_name(&l.item)),
                Cell::Text(analysis::side_of(&l.item).into()),
                Cell::Money(l.budget),
                Cell::Money(l.expected),
                Cell::Money(l.executed),
                Cell::Text(deviation_text(&l.deviation)),
                Cell::Text(if l.beyond { "是" } else { "" }.into()),
                Cell::Text(l.explanation.clone()),
            ]
        })
        .collect();
    let status = analysis::status_label(a.state.as_ref().map(|s| s.status.as_str()));
    Sheet {
        title: format!(
            "{} {}（{}）预算执行分析：{status}，报送期限 {}；序时进度 = 年度预算 × 已过月数 ÷ 12（假设）",
            qt, a.name, a.region, a.due_on
        ),
        name: format!("执行分析 {}Q{}", qt.year, qt.q),
        meta: vec![
            ("report", serde_json::json!("budget_analysis")),
            ("year", serde_json::json!(qt.year)),
            ("quarter", serde_json::json!(qt.q)),
            ("region", serde_json::json!(a.region.get())),
        ],
        cols: COLS.to_vec(),
        rows,
        total: None,
        extras: vec![],
    }
}

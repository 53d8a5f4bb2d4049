//! `report disbursement --period M`: per city the month's payroll, what the county accounts
//! already held (netted off the plan), what was planned, approved, allocated (and how late),
//! issued to banks or deferred, paid, returned and still pending, with the province's totals; the
//! provincial fund's balance and months payable.

use super::sheet::{Cell, Col, Extra, Sheet};
use super::{OutArgs, name_of};
use crate::output::CliError;
use serde_json::json;
use tongchou_app::disburse;
use tongchou_core::{Divisions, Fen, Period};
use tongchou_ledger::Chart;
use tongchou_store::Db;
use tongchou_store::ledger::Ledger;

#[derive(clap::Args)]
pub struct DisbursementArgs {
    /// The month, YYYY-MM (its disbursement must have been run).
    #[arg(long)]
    pub period: Period,
    #[command(flatten)]
    pub out: OutArgs,
}

const COLS: [Col; 14] = [
    Col {
        key: "city",
        label: "市代码 city",
    },
    Col {
        key: "city_name",
        label: "市 name",
    },
    Col {
        key: "need",
        label: "应发 payroll",
    },
    Col {
        key: "from_balance",
        label: "余额抵用 from balance",
    },
    Col {
        key: "planned",
        label: "计划 planned",
    },
    Col {
        key: "approved",
        label: "批复 approved",
    },
    Col {
        key: "allocated",
        label: "拨付 allocated",
    },
    Col {
        key: "late_days",
        label: "迟拨天数 days late",
    },
    Col {
        key: "issued",
        label: "发出 issued",
    },
    Col {
        key: "deferred",
        label: "暂缓 deferred",
    },
    Col {
        key: "paid",
        label: "已发放 paid",
    },
    Col {
        key: "returned",
        label: "退回 returned",
    },
    Col {
        key: "pending",
        label: "待回执 pending",
    },
    Col {
        key: "breach",
        label: "违规 breach",
    },
];

fn cells(code: Cell, name: Cell, f: &disburse::RegionFigures) -> Vec<Cell> {
    vec![
        code,
        name,
        Cell::Money(f.need),
        Cell::Money(f.from_balance),
        Cell::Money(f.planned),
        Cell::Money(f.approved),
        Cell::Money(f.allocated),
        Cell::Int(f.late_days),
        Cell::Money(f.issued),
        Cell::Money(f.deferred),
        Cell::Money(f.paid),
        Cell::Money(f.returned),
        Cell::Money(f.pending),
        Cell::Text(if f.late_days > 0 {
            "late allocation".into()
        } else {
            String::new()
        }),
    ]
}

pub fn sheet(db: &mut Db, a: &DisbursementArgs) -> Result<Sheet, CliError> {
    let figs = disburse::figures(db, a.period).map_err(|e| CliError(e.to_string()))?;
    if figs.is_empty() {
        return Err(CliError(format!(
            "--period: the disbursement of {} has not been run",
            a.period
        )));
    }
    let d = Divisions::shanxi();
    let province = d.province().code.get();
    let mut rows = Vec::new();
    for f in figs.iter().filter(|f| f.region != province) {
        rows.push(cells(
            Cell::Text(f.region.to_string()),
            Cell::Text(name_of(d, f.region as i64)),
            f,
        ));
    }
    // the province's figures add up its cities (disburse::figures)
    let total = figs
        .iter()
        .find(|f| f.region == province)
        .cloned()
        .unwrap_or_default();
    let chart = Chart::standard();
    let mut ledger = Ledger::new(db);
    let mut balance = 0i64;
    for kind in ["fiscal_special_account", "expenditure_account"] {
        if let Some(id) = chart.account(d.province().code, kind)
            && let Some(acc) = ledger.account(id).map_err(|e| CliError(e.to_string()))?
        {
            balance += acc.balances.debits_posted.fen() - acc.balances.credits_posted.fen();
        }
    }
    let months_payable = if total.paid.is_positive() {
        balance * 10 / total.paid.fen()
    } else {
        0
    };
    Ok(Sheet {
        title: format!(
            "统支 disbursement {}: payroll = from balance + planned; planned ≥ approved = allocated; payroll = issued + deferred; issued = paid + returned + pending",
            a.period
        ),
        name: "disbursement".into(),
        meta: vec![
            ("report", json!("disbursement")),
            ("period", json!(a.period.to_string())),
        ],
        cols: COLS.to_vec(),
        rows,
        total: Some(cells(Cell::Text("total".into()), Cell::Empty, &total)),
        extras: vec![
            Extra {
                key: "provincial_balance",
                label: "省级基金余额 provincial balance".into(),
                value: Cell::Money(Fen::new(balance)),
            },
            Extra {
                key: "months_payable_x10",
                label: "可支付月数×10 months payable ×10 (at this month's payments)".into(),
                value: Cell::Int(months_payable),
            },
        ],
    })
}

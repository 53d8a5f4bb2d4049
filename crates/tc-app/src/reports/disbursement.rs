//! The disbursement report of a month: per city the month's payroll, what the county accounts
//! already held (netted off the plan), what was planned, approved, allocated (and how late),
//! issued to banks or deferred, paid, returned and still pending, with the province's totals; the
//! provincial fund's balance and months payable.

//!
//! Within a city the report holds that city's row; within a county, the row of its city (the
//! month's money is planned and allocated per city). The provincial balance and months payable
//! are figures of the province's report only.

use super::sheet::{Cell, Col, Extra, Sheet};
use super::{name_of, scope};
use crate::{AppError, Result, disburse};
use serde_json::json;
use tongchou_core::{Level, Period, RegionCode};
use tongchou_engine::warning::tenths_text;
use tongchou_store::Db;

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
            tongchou_core::tr!("rep-late")
        } else {
            String::new()
        }),
    ]
}

/// The provincial fund's balance and months payable at the end of `period`: THE figure of
/// `tongchou warn` (`crate::warn`), the same wherever it is shown.
fn provincial_extras(db: &mut Db, period: Period) -> Result<Vec<Extra>> {
    let (balance, months) = crate::warn::provincial_fund(db, period)?;
    Ok(vec![
        Extra {
            key: "provincial_balance",
            label: "省级统筹基金累计结余 provincial fund balance".into(),
            zh: "省级基金余额（累计结余）".into(),
            value: Cell::Money(balance),
        },
        Extra {
            key: "months_payable",
            label: "可支付月数 months payable (balance ÷ average monthly expenditure of the last 12 months)".into(),
            zh: "累计结余可支付月数（结余 ÷ 近12个月月均支出）".into(),
            value: months.map(|m| Cell::Text(tenths_text(m))).unwrap_or(Cell::Empty),
        },
    ])
}

/// A month's disbursement within `region` (the province by default): per city, with the total.
pub fn disbursement(db: &mut Db, period: Period, region: Option<RegionCode>) -> Result<Sheet> {
    let (d, region, level) = scope(region)?;
    let figs = disburse::figures(db, period)?;
    if figs.is_empty() {
        return Err(AppError::NotFound(tongchou_core::tr!(
            "app-rep-no-disbursement",
            period = period
        )));
    }
    let province = d.province().code.get();
    // the cities shown: all of them, the city asked for, or the city of the county asked for
    let city = match level {
        Level::Province => None,
        Level::City => Some(region.get()),
        Level::County => Some(d.city_of(region).map(|c| c.get()).unwrap_or(region.get())),
    };
    let mut rows = Vec::new();
    for f in figs
        .iter()
        .filter(|f| f.region != province && city.is_none_or(|c| c == f.region))
    {
        rows.push(cells(
            Cell::Text(f.region.to_string()),
            Cell::Text(name_of(d, f.region as i64)),
            f,
        ));
    }
    // the province's figures add up its cities (disburse::figures); a city's total is its row
    let total = figs
        .iter()
        .find(|f| f.region == city.unwrap_or(province))
        .cloned()
        .unwrap_or_default();
    let extras = match city {
        None => provincial_extras(db, period)?,
        Some(_) => vec![],
    };
    let mut meta = vec![
        ("report", json!("disbursement")),
        ("period", json!(period.to_string())),
    ];
    if let Some(c) = city {
        meta.push(("region", json!(c)));
        meta.push(("region_name", json!(name_of(d, c as i64))));
    }
    Ok(Sheet {
        title: tongchou_core::tr!("app-rep-disbursement-title", period = period),
        name: tongchou_core::tr!("app-rep-disbursement-sheet"),
        meta,
        cols: COLS.to_vec(),
        rows,
        total: Some(cells(
            Cell::Text(tongchou_core::tr!("app-rep-total")),
            Cell::Empty,
            &total,
        )),
        extras,
    })
}

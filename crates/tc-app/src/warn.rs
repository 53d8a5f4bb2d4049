//! Analysis and early warning (预警, mechanisms.md §4): a month's indicators per county, city and
//! province read from the ledger and the registry, computed by the pure kernel
//! `tongchou_engine::warning`, with the thresholds of `policy/early-warning.toml` in force at the
//! month's end.
//!
//! THE months payable of Tongchou is this module's [`months_payable`] (the kernel's definition):
//! `tongchou warn`, `tongchou report disbursement`, the demo's summary and the web dashboard all
//! show it.
//!
//! The collection task (征缴任务) to date, [`collection_task`]: the contribution income of the
//! year's approved budget (`budget::collection_tasks`), spread evenly over the months (the
//! year's task × months to date ÷ 12, rounded half up: an assumption, Shanxi's own phasing is not
//! known); for a year without an approved budget, the contributions assessed (应缴) for the
//! year's months to date stand in.
//!
//! The budget-execution deviation (预算执行偏差): every item of the latest approved budget except
//! the items between levels and contribution income (the collection task's warning covers it),
//! its execution from the ledger (`execution::execution`) against the time-progress expectation
//! of `tongchou_engine::warning::budget_deviation` (budget × months elapsed ÷ 12: an assumption).

use crate::reports::collection::arrears_at_close;
use crate::reports::sheet::{Cell, Col, Sheet};
use crate::reports::{name_of, scope};
use crate::{AppError, Result};
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use tongchou_core::items::Side;
use tongchou_core::policy::ParamUse;
use tongchou_core::rules::governance::WarningTerms;
use tongchou_core::{Divisions, Fen, Period, Policy, RegionCode};
use tongchou_engine::warning::{
    self, BookFigures, BudgetItem, Inputs, RegionIndicators, tenths_text,
};
use tongchou_ledger::{Chart, Class};
use tongchou_store::{Db, governance, reports};

/// The month's indicators of every region, with the parameters they used.
#[derive(Clone, Debug)]
pub struct WarnReport {
    pub period: Period,
    /// The province first, then the cities, then the counties.
    pub regions: Vec<RegionIndicators>,
    pub uses: Vec<ParamUse>,
}

impl WarnReport {
    /// The province's months payable in tenths (`None` before any expenditure).
    pub fn province_months_payable(&self) -> Option<i64> {
        self.regions.first().and_then(|r| r.months_payable)
    }
}

/// The collection task of the year of `period` to its end, per county (see the module
/// documentation): the approved budget's, pro rata to `period`; without one, the contributions
/// assessed for the year's months to `period`.
pub fn collection_task(db: &mut Db, period: Period) -> Result<BTreeMap<i64, Fen>> {
    if let Some(tasks) = crate::budget::collection_tasks(db, period.year())? {
        let months = i128::from(period.month());
        let d = Divisions::shanxi();
        let mut out = BTreeMap::new();
        for (region, year_task) in tasks {
            if d.get(region)
                .is_some_and(|r| r.level == tongchou_core::region::Level::County)
            {
                let to_date = Fen::div_half_up(i128::from(year_task.fen()) * months, 12)?;
                out.insert(i64::from(region.get()), to_date);
            }
        }
        return Ok(out);
    }
    let january = Period::new(period.year(), 1)?;
    Ok(governance::assessed_between(db, january, period)?
        .into_iter()
        .collect())
}

/// Each book's own figures from the ledger's posted flows to the end of `period`: balance,
/// expenditure of the last `window` months, working balance, the month's benefits. Returns the
/// books and the window (12 months, or the months since the first expenditure).
fn ledger_books(db: &mut Db, period: Period) -> Result<(BTreeMap<RegionCode, BookFigures>, i64)> {
    let chart = Chart::standard();
    let flows = governance::flows_by_month(db, period.last_day())?;
    let first_spend = flows
        .iter()
        .filter(|((id, _), f)| {
            f.debits > 0
                && chart
                    .kind_of(*id)
                    .is_some_and(|k| k.class == Class::Expenditure && k.pair.is_none())
        })
        .map(|((_, m), _)| *m)
        .min();
    let window = match first_spend {
        Some(m) => (Period::from_yyyymm(m)?.months_until(period) as i64 + 1).clamp(1, 12),
        None => 12,
    };
    let from = period.add_months(1 - window as i32).yyyymm();
    let mut books: BTreeMap<RegionCode, BookFigures> = BTreeMap::new();
    for ((id, month), f) in flows {
        let (Some(kind), Some(region)) = (chart.kind_of(id), id.region()) else {
            continue;
        };
        if kind.pair.is_some() {
            continue; // flows between levels: not a region's own
        }
        let b = books
            .entry(region)
            .or_insert_with(|| BookFigures::new(region));
        let net_debit = Fen::new(f.debits + f.gap_debits - f.credits - f.gap_credits);
        let add = |a: Fen, x: Fen| a.try_add(x);
        match kind.class {
            // the reserve fund (储备基金) is not the pension fund's until a use moves it in
            Class::NetAssets if kind.key == "reserve_fund" => {}
            Class::Income | Class::NetAssets => {
                b.balance = add(b.balance, Fen::new(-net_debit.fen()))?
            }
            Class::Expenditure => {
                b.balance = b.balance.try_sub(net_debit)?;
                if month >= from {
                    b.expenditure = add(b.expenditure, net_debit)?;
                }
                if month == period.yyyymm() && kind.key.starts_with("benefit_") {
                    b.benefits_month = add(b.benefits_month, net_debit)?;
                }
            }
            Class::Asset if kind.key == "expenditure_account" => {
                b.working = add(b.working, net_debit)?;
            }
            _ => {}
        }
    }
    Ok((books, window))
}

fn book(books: &mut BTreeMap<RegionCode, BookFigures>, county: i64) -> Option<&mut BookFigures> {
    let code = RegionCode::from_stored(county)?;
    Some(books.entry(code).or_insert_with(|| BookFigures::new(code)))
}

/// The registry's figures per county: contributors, pensioners, task and collection to date,
/// arrears at this and the previous close, improper payments open, base jumps.
fn registry_figures(
    db: &mut Db,
    period: Period,
    terms: &WarningTerms,
    books: &mut BTreeMap<RegionCode, BookFigures>,
) -> Result<()> {
    for (county, n) in reports::contributors_by_county(db, period)? {
        if let Some(b) = book(books, county) {
            b.contributors = n;
        }
    }
    for (county, n) in governance::pensioners_by_county(db, period)? {
        if let Some(b) = book(books, county) {
            b.pensioners = n;
        }
    }
    for (county, task) in collection_task(db, period)? {
        if let Some(b) = book(books, county) {
            b.task = task;
        }
    }
    for m in 1..=period.month() {
        for (county, collected, _) in
            reports::collected_by_county(db, Period::new(period.year(), m)?)?
        {
            if let Some(b) = book(books, county) {
                b.collected = b.collected.try_add(collected)?;
            }
        }
    }
    let prev = arrears_at_close(db, period.add_months(-1))?;
    let now = arrears_at_close(db, period)?;
    if now.is_none() {
        return Err(AppError::NotFound(tongchou_core::tr!(
            "app-rep-no-collection",
            period = period
        )));
    }
    for (county, a) in now.into_iter().flatten() {
        if let Some(b) = book(books, county) {
            b.arrears = Some(a);
            b.arrears_prev = Some(Fen::ZERO);
        }
    }
    for (county, a) in prev.into_iter().flatten() {
        if let Some(b) = book(books, county) {
            b.arrears_prev = Some(a);
            b.arrears.get_or_insert(Fen::ZERO);
        }
    }
    for (county, n, amount) in governance::open_recoveries(db, period)? {
        if let Some(b) = book(books, county) {
            b.improper_open = n;
            b.improper_fen = amount;
        }
    }
    for (county, n) in governance::base_jumps(db, period, terms.base_jump)? {
        if let Some(b) = book(books, county) {
            b.base_jumps = n;
        }
    }
    Ok(())
}

/// The month's indicators and warnings of every region. The collection of `period` must have
/// been closed.
pub fn compute(db: &mut Db, period: Period) -> Result<WarnReport> {
    build(db, period, true)
}

/// The items of the year's approved budget measured by the deviation warning, with their
/// execution from January through `period` (none without an approved budget).
pub fn budget_items(db: &mut Db, period: Period) -> Result<Vec<BudgetItem>> {
    let ex = crate::execution::execution(db, period.year(), Some(period))?;
    Ok(ex
        .items()
        .into_iter()
        .filter(|i| i.key != "contribution")
        .map(|i| BudgetItem {
            region: i.region,
            item: i.name,
            expenditure: i.side == Side::Expenditure,
            budget: i.budget,
            executed: i.executed,
        })
        .collect())
}

/// The report of `period`; without `full`, from the ledger's figures only (balance,
/// expenditure, months payable: the registry's figures and the budget's deviations change none
/// of them), also for a month whose collection is not closed.
fn build(db: &mut Db, period: Period, full: bool) -> Result<WarnReport> {
    let policy = Policy::builtin()?;
    let terms = WarningTerms::at(&policy, period.last_day())?;
    let (mut books, window) = ledger_books(db, period)?;
    let budget_items = if full {
        registry_figures(db, period, &terms, &mut books)?;
        budget_items(db, period)?
    } else {
        Vec::new()
    };
    let inputs = Inputs {
        books: books.into_values().collect(),
        window_months: window,
        budget_items,
        months_elapsed: i64::from(period.month()),
    };
    let regions = warning::evaluate(Divisions::shanxi(), &inputs, &terms).map_err(|e| {
        AppError::Invalid(tongchou_core::tr!(
            "app-rep-warning",
            period = period,
            error = e
        ))
    })?;
    Ok(WarnReport {
        period,
        regions,
        uses: terms.uses,
    })
}

/// THE province's months payable at the end of `period`, in tenths (see the module doc), with
/// the fund's balance; whether or not the month's collection is closed.
pub fn provincial_fund(db: &mut Db, period: Period) -> Result<(Fen, Option<i64>)> {
    let report = build(db, period, false)?;
    Ok(report
        .regions
        .first()
        .map(|p| (p.figures.balance, p.months_payable))
        .unwrap_or((Fen::ZERO, None)))
}

/// THE province's months payable at the end of `period`, in tenths (see the module doc).
pub fn months_payable(db: &mut Db, period: Period) -> Result<Option<i64>> {
    Ok(provincial_fund(db, period)?.1)
}

/// The region's figure of the last month whose collection was closed, for a dashboard: (month,
/// months payable in tenths, warnings within the region); `None` before any close.
pub fn latest(db: &mut Db, region: RegionCode) -> Result<Option<(Period, Option<i64>, usize)>> {
    latest_report(db)?.map(|r| summary(&r, region)).transpose()
}

/// The report of the last month whose collection was closed (a dashboard shows it, with its
/// chart); `None` before any close.
pub fn latest_report(db: &mut Db) -> Result<Option<WarnReport>> {
    let done =
        tongchou_store::jobs::periods_done(db, crate::collect::JOB, crate::collect::STEP_CLOSE)?;
    match done.last().copied() {
        Some(last) => Ok(Some(compute(db, last)?)),
        None => Ok(None),
    }
}

/// A report's figure of `region` for a dashboard: (month, months payable in tenths, warnings
/// within the region).
pub fn summary(report: &WarnReport, region: RegionCode) -> Result<(Period, Option<i64>, usize)> {
    let here = report.regions.iter().find(|r| r.region == region);
    let warnings = within(report, Some(region))?
        .iter()
        .map(|r| r.warnings.len())
        .sum();
    Ok((report.period, here.and_then(|r| r.months_payable), warnings))
}

/// The regions of the report within `region` (the province by default).
fn within(report: &WarnReport, region: Option<RegionCode>) -> Result<Vec<&RegionIndicators>> {
    let (d, region, _) = scope(region)?;
    Ok(report
        .regions
        .iter()
        .filter(|r| d.within(r.region, region))
        .collect())
}

fn decimal(tenths_or_ratio: Option<String>) -> Json {
    match tenths_or_ratio.and_then(|s| s.parse::<f64>().ok()) {
        Some(v) => json!(v),
        None => Json::Null,
    }
}

/// The report as JSON: `period`, `regions` [{`region`, `name`, `level`, `months_payable`,
/// `dependency_ratio`, `collection_rate`, …, `warnings` [..]}]; amounts as exact yuan strings.
pub fn json(report: &WarnReport, region: Option<RegionCode>) -> Result<Json> {
    let d = Divisions::shanxi();
    let regions: Vec<Json> = within(report, region)?
        .into_iter()
        .map(|r| {
            let f = &r.figures;
            json!({
                "region": r.region.get(),
                "name": name_of(d, r.region.get() as i64),
                "level": r.level.as_str(),
                "months_payable": decimal(r.months_payable.map(tenths_text)),
                "dependency_ratio": decimal(r.dependency_ratio.map(|x| x.to_string())),
                "collection_rate": decimal(r.collection_rate.map(|x| x.to_string())),
                "balance": f.balance.to_string(),
                "expenditure": f.expenditure.to_string(),
                "expenditure_months": r.window,
                "working_balance": f.working.to_string(),
                "contributors": f.contributors,
                "pensioners": f.pensioners,
                "task": f.task.to_string(),
                "collected": f.collected.to_string(),
                "arrears": f.arrears.map(|a| a.to_string()),
                "arrears_growth": decimal(r.arrears_growth.map(|x| x.to_string())),
                "warnings": r.warnings,
            })
        })
        .collect();
    Ok(json!({
        "report": "warn",
        "period": report.period.to_string(),
        "regions": regions,
        "parameters": report.uses,
    }))
}

const COLS: [Col; 11] = [
    Col::new("region", "区划 region"),
    Col::new("name", "名称 name"),
    Col::new("months_payable", "可支付月数 months payable"),
    Col::new("dependency_ratio", "抚养比 dependency"),
    Col::new("collection_rate", "征缴完成率 collection"),
    Col::new("balance", "累计结余 balance"),
    Col::new("working_balance", "支出户余额 working balance"),
    Col::new("severity", "等级 severity"),
    Col::new("message", "预警 warning"),
    Col::new("evidence", "依据 evidence"),
    Col::new("act", "责任主体 who acts"),
];

/// The report as one table: a row per warning (a region without any has one row of figures).
pub fn sheet(report: &WarnReport, region: Option<RegionCode>) -> Result<Sheet> {
    let d = Divisions::shanxi();
    let opt = |s: Option<String>| s.map(Cell::Text).unwrap_or(Cell::Empty);
    let mut rows = Vec::new();
    for r in within(report, region)? {
        let head = vec![
            Cell::Text(r.region.to_string()),
            Cell::Text(name_of(d, r.region.get() as i64)),
            opt(r.months_payable.map(tenths_text)),
            opt(r.dependency_ratio.map(|x| x.to_string())),
            opt(r.collection_rate.map(|x| x.as_percent_string())),
            Cell::Money(r.figures.balance),
            Cell::Money(r.figures.working),
        ];
        if r.warnings.is_empty() {
            let mut row = head.clone();
            row.extend([Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty]);
            rows.push(row);
        }
        for w in &r.warnings {
            let mut row = head.clone();
            row.extend([
                Cell::Text(w.severity.label().into()),
                Cell::Text(w.message.clone()),
                Cell::Text(w.evidence.clone()),
                Cell::Text(w.act.clone()),
            ]);
            rows.push(row);
        }
    }
    let (_, code, _) = scope(region)?;
    Ok(Sheet {
        title: tongchou_core::tr!(
            "app-rep-warn-title",
            period = report.period,
            name = name_of(d, code.get() as i64),
            code = code
        ),
        name: tongchou_core::tr!("app-rep-warn-sheet", period = report.period),
        meta: vec![
            ("report", json!("warn")),
            ("period", json!(report.period.to_string())),
            ("region", json!(code.get())),
            ("region_name", json!(name_of(d, code.get() as i64))),
        ],
        cols: COLS.to_vec(),
        rows,
        total: None,
        extras: vec![],
    })
}

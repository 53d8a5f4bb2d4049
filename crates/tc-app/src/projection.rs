//! The fund's cohort projection (基金精算预测, issue 12 item 5): 30 years (or N) ahead of a year,
//! from the database's aggregates (`tongchou_store::projection`: the insured in service by birth
//! month and category, the pensioners by birth year and sex with their pensions, the last
//! assessed month's contributors, bases and contributions; the fund's balance at the year's end,
//! the one of `warn::provincial_fund`), under each scenario's assumptions of
//! `policy/projection.toml` in force at the year's end, through the pure kernel
//! `tongchou_engine::projection`. Retirement months are those of the 2025 reform as
//! `tongchou_core::rules::retirement::statutory` computes them. The register holds no past
//! states cheaply: the insured and pensioners are counted as the register stands (for a past
//! year, today's register), pensions at the amount in force; the money (balance, base, rate) is
//! the year's. The results render as a table
//! (a row per scenario and year) with the assumptions printed, JSON or an XLSX workbook.

use crate::reports::sheet::{Cell, Col, Sheet};
use crate::reports::xlsx::{self, XCell};
use crate::{AppError, Result};
use serde_json::{Value as Json, json};
use tongchou_core::i18n::word;
use tongchou_core::policy::ParamUse;
use tongchou_core::rules::projection::{ProjectionTerms, scenarios};
use tongchou_core::rules::retirement::{Category, statutory};
use tongchou_core::{Fen, Period, Policy, Ratio, tr};
use tongchou_engine::projection::{self as kernel, Insured, MILLI, Pensioners, Start, Year};
use tongchou_engine::warning::{ratio_of, tenths_text};
use tongchou_store::Db;
use tongchou_store::projection as store;

/// The longest projection asked for.
pub const MAX_YEARS: u32 = 100;

/// One scenario's projection.
#[derive(Clone, Debug)]
pub struct Run {
    pub terms: ProjectionTerms,
    pub years: Vec<Year>,
}

/// A projection of every scenario from the same start.
#[derive(Clone, Debug)]
pub struct Projection {
    pub from_year: i32,
    /// The month whose contributions gave the start's base and rate.
    pub base_month: Period,
    pub start: Start,
    pub runs: Vec<Run>,
}

fn parse_birth(s: &str) -> Result<Period> {
    s.parse::<Period>().map_err(|e| {
        AppError::State(tongchou_core::tr!(
            "app-proj-birth",
            value = format!("{s:?}"),
            error = e.0
        ))
    })
}

/// The start of the projection: the aggregates at the end of `year`.
pub fn start_of(db: &mut Db, policy: &Policy, year: i32) -> Result<(Start, Period)> {
    let mut insured = Vec::new();
    for (birth, category, n) in store::insured_by_birth(db)? {
        let birth = parse_birth(&birth)?;
        let category: Category = category.parse().map_err(AppError::State)?;
        let (age, _) = statutory(policy, birth, category)?;
        insured.push(Insured {
            birth,
            category,
            retire: age.retire,
            persons: n * MILLI,
        });
    }
    let december = Period::new(year, 12)?;
    // in payment from the next January: those retiring in December count as pensioners
    let mut pensioners = Vec::new();
    for (birth_year, sex, n, total) in store::pensioners_by_birth(db, december.add_months(1))? {
        let birth_year: i32 = birth_year.parse().map_err(|_| {
            AppError::State(tongchou_core::tr!(
                "app-proj-birth-year",
                value = format!("{birth_year:?}")
            ))
        })?;
        pensioners.push(Pensioners {
            birth_year,
            female: sex == "female",
            persons: n * MILLI,
            monthly: Fen::div_half_up(total.fen() as i128, n.max(1) as i128)?,
        });
    }
    let month = store::last_assessed_month(db, year)?
        .ok_or_else(|| AppError::NotFound(tongchou_core::tr!("app-proj-no-year", year = year)))?;
    let (contributors, bases, contributions) = store::assessed_month(db, month)?;
    let avg_base = Fen::div_half_up(bases.fen() as i128, contributors.max(1) as i128)?;
    let rate = ratio_of(contributions.fen() as i128, bases.fen() as i128, 8).unwrap_or_default();
    let (balance, _) = crate::warn::provincial_fund(db, december)?;
    let start = Start {
        year,
        insured,
        pensioners,
        contributors,
        avg_base,
        rate,
        balance,
    };
    Ok((start, month))
}

/// The latest year with assessed contributions (the default start of a projection).
pub fn latest_year(db: &mut Db) -> Result<Option<i32>> {
    Ok(store::latest_assessed_month(db)?.map(|m| m.year()))
}

/// Project `years` years after `from_year` under `scenarios` (the policy's list when empty).
pub fn project(db: &mut Db, from_year: i32, years: u32, asked: &[String]) -> Result<Projection> {
    if !(1..=MAX_YEARS).contains(&years) {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-proj-years",
            max = MAX_YEARS,
            years = years
        )));
    }
    if !(2000..=2100).contains(&from_year) {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-proj-from-year",
            year = from_year
        )));
    }
    let policy = Policy::builtin()?;
    let on = Period::new(from_year, 12)?.last_day();
    let names = if asked.is_empty() {
        scenarios(&policy, on)?
    } else {
        asked.to_vec()
    };
    let terms = names
        .iter()
        .map(|s| ProjectionTerms::at(&policy, s, on))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let (start, base_month) = start_of(db, &policy, from_year)?;
    let retire =
        |birth: Period, c: Category| statutory(&policy, birth, c).ok().map(|(a, _)| a.retire);
    let mut runs = Vec::with_capacity(terms.len());
    for t in terms {
        let years = kernel::project(&start, &t, years, &retire).map_err(|e| {
            AppError::Invalid(tongchou_core::tr!(
                "app-proj-run",
                scenario = t.scenario,
                error = e
            ))
        })?;
        runs.push(Run { terms: t, years });
    }
    Ok(Projection {
        from_year,
        base_month,
        start,
        runs,
    })
}

fn months_text(m: Option<i64>) -> String {
    m.map(tenths_text).unwrap_or_default()
}

fn ratio_text(r: Option<Ratio>) -> String {
    r.map(|r| r.to_string()).unwrap_or_default()
}

/// The start's figures as (key, label in the current language, value).
pub fn start_figures(p: &Projection) -> Vec<(&'static str, &'static str, String)> {
    let s = &p.start;
    let insured: i64 = s.insured.iter().map(|c| c.persons).sum::<i64>() / MILLI;
    let pensioners: i64 = s.pensioners.iter().map(|c| c.persons).sum::<i64>() / MILLI;
    vec![
        (
            "balance",
            word("app-proj-start-balance"),
            s.balance.to_string(),
        ),
        (
            "insured",
            word("app-proj-start-insured"),
            insured.to_string(),
        ),
        (
            "contributors",
            word("app-proj-start-contributors"),
            s.contributors.to_string(),
        ),
        (
            "avg_base",
            word("app-proj-start-avg-base"),
            s.avg_base.to_string(),
        ),
        ("rate", word("app-proj-start-rate"), s.rate.to_string()),
        (
            "pensioners",
            word("app-proj-start-pensioners"),
            pensioners.to_string(),
        ),
        (
            "base_month",
            word("app-proj-start-base-month"),
            p.base_month.to_string(),
        ),
    ]
}

/// Every assumption used, once per scenario: (the scenario's name, parameter).
pub fn assumptions(p: &Projection) -> Vec<(String, &ParamUse)> {
    p.runs
        .iter()
        .flat_map(|r| {
            let name = scenario_name(&r.terms);
            r.terms.uses.iter().map(move |u| (name.clone(), u))
        })
        .collect()
}

/// A scenario's name in the current language: the catalogue's `app-proj-scenario-KEY` for the
/// scenarios of `policy/projection.toml`, else (a scenario added to the policy since) its
/// Chinese name there. Never its key: the key is for the command line's `--scenario` and JSON.
pub fn scenario_name(t: &ProjectionTerms) -> String {
    use tongchou_core::i18n;
    let id = format!("app-proj-scenario-{}", t.scenario);
    i18n::text(i18n::current(), &id)
        .map(str::to_string)
        .unwrap_or_else(|| t.name_zh.clone())
}

/// The projection as JSON: `from_year`, `years`, `start` {…}, `scenarios` [{`scenario`,
/// `name`, `years` [{`year`, `opening`, `income`, `contributions`, `interest`, `expenditure`,
/// `closing`, `months_payable`, `insured`, `contributors`, `pensioners`, `dependency_ratio`,
/// `avg_base`, `new_retirees`, `deaths`, `entrants`}], `assumptions` [{`name`, `value`,
/// `effective_from`, `status`, `source`}]}]; amounts as exact yuan strings.
pub fn json(p: &Projection) -> Json {
    let start: serde_json::Map<String, Json> = start_figures(p)
        .into_iter()
        .map(|(k, _, v)| (k.to_string(), json!(v)))
        .collect();
    json!({
        "report": "projection",
        "from_year": p.from_year,
        "years": p.runs.first().map_or(0, |r| r.years.len()),
        "start": start,
        "scenarios": p.runs.iter().map(|r| json!({
            "scenario": r.terms.scenario,
            "name": r.terms.name_zh,
            "years": r.years.iter().map(|y| json!({
                "year": y.year,
                "opening": y.opening.to_string(),
                "income": y.income.to_string(),
                "contributions": y.contributions.to_string(),
                "interest": y.interest.to_string(),
                "expenditure": y.expenditure.to_string(),
                "closing": y.closing.to_string(),
                "months_payable": y.months_payable.map(tenths_text),
                "insured": y.insured,
                "contributors": y.contributors,
                "pensioners": y.pensioners,
                "dependency_ratio": y.dependency_ratio.map(|r| r.to_string()),
                "avg_base": y.avg_base.to_string(),
                "new_retirees": y.new_retirees,
                "deaths": y.deaths,
                "entrants": y.entrants,
            })).collect::<Vec<_>>(),
            "assumptions": r.terms.uses.iter().map(|u| json!({
                "name": u.name,
                "value": u.value,
                "effective_from": u.effective_from.to_string(),
                "status": u.status,
                "source": u.source,
                "source_zh": u.source_zh,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// The columns of the table, in order.
pub const COLS: [Col; 12] = [
    Col::new("scenario", "情景 scenario"),
    Col::new("year", "年度 year"),
    Col::new("income", "基金收入 income"),
    Col::new("contributions", "其中缴费 contributions"),
    Col::new("expenditure", "基金支出 expenditure"),
    Col::new("closing", "年末累计结余 balance"),
    Col::new("months_payable", "可支付月数 months payable"),
    Col::new("insured", "在职参保 insured"),
    Col::new("contributors", "缴费人数 contributors"),
    Col::new("pensioners", "离退休 pensioners"),
    Col::new("dependency_ratio", "抚养比 dependency"),
    Col::new("avg_base", "平均缴费基数 avg base"),
];

/// A row of the table.
pub fn row(r: &Run, y: &Year) -> Vec<Cell> {
    vec![
        Cell::Text(scenario_name(&r.terms)),
        Cell::Int(y.year as i64),
        Cell::Money(y.income),
        Cell::Money(y.contributions),
        Cell::Money(y.expenditure),
        Cell::Money(y.closing),
        Cell::Text(months_text(y.months_payable)),
        Cell::Int(y.insured),
        Cell::Int(y.contributors),
        Cell::Int(y.pensioners),
        Cell::Text(ratio_text(y.dependency_ratio)),
        Cell::Money(y.avg_base),
    ]
}

/// The table: a row per scenario and year.
pub fn sheet(p: &Projection) -> Sheet {
    Sheet {
        title: tongchou_core::tr!(
            "app-rep-projection-title",
            from = p.from_year + 1,
            to = p.from_year + p.runs.first().map_or(0, |r| r.years.len() as i32),
            year = p.from_year,
            balance = p.start.balance.grouped()
        ),
        name: tongchou_core::tr!("app-rep-projection-sheet", year = p.from_year),
        meta: vec![
            ("report", json!("projection")),
            ("from_year", json!(p.from_year)),
        ],
        cols: COLS.to_vec(),
        rows: p
            .runs
            .iter()
            .flat_map(|r| r.years.iter().map(move |y| row(r, y)))
            .collect(),
        total: None,
        extras: vec![],
    }
}

/// The table as text with the start's figures and every assumption printed after it.
pub fn text(p: &Projection) -> String {
    let mut out = sheet(p).table();
    out.push_str(&format!("\n{}:\n", word("app-proj-start")));
    for (_, label, v) in start_figures(p) {
        out.push_str(&format!("  {label}: {v}\n"));
    }
    out.push_str(&format!("\n{}:\n", word("app-proj-assumptions")));
    for (scenario, u) in assumptions(p) {
        let line = tr!(
            "app-proj-assumption",
            scenario = scenario,
            name = u.label(),
            value = u.value_in(tongchou_core::i18n::current()),
            from = u.effective_from,
            status = u.status.name(),
            source = u.source_shown()
        );
        out.push_str(&format!("  {line}\n"));
    }
    out
}

/// The workbook: the table, then the start's figures and the assumptions.
pub fn xlsx(p: &Projection) -> Result<Vec<u8>> {
    let s = sheet(p);
    let mut rows: Vec<Vec<XCell>> = vec![vec![XCell::Heading(s.title.clone())], vec![]];
    rows.push(
        s.cols
            .iter()
            .map(|c| XCell::Heading(c.text().into()))
            .collect(),
    );
    for r in &s.rows {
        rows.push(r.iter().map(Cell::xlsx).collect());
    }
    rows.push(vec![]);
    rows.push(vec![XCell::Heading(word("app-proj-start").into())]);
    for (_, label, v) in start_figures(p) {
        rows.push(vec![XCell::Text(label.into()), XCell::Text(v)]);
    }
    rows.push(vec![]);
    rows.push(
        [
            "app-proj-col-scenario",
            "app-proj-col-parameter",
            "app-proj-col-value",
            "app-proj-col-from",
            "app-proj-col-status",
            "app-proj-col-source",
        ]
        .iter()
        .map(|h| XCell::Heading(word(h).into()))
        .collect(),
    );
    for (scenario, u) in assumptions(p) {
        rows.push(vec![
            XCell::Text(scenario),
            XCell::Text(u.label()),
            XCell::Text(u.value_in(tongchou_core::i18n::current())),
            XCell::Text(u.effective_from.to_string()),
            XCell::Text(u.status.name().into()),
            XCell::Text(u.source_shown().to_string()),
        ]);
    }
    let widths = [
        16.0, 8.0, 20.0, 20.0, 20.0, 22.0, 12.0, 12.0, 12.0, 12.0, 10.0, 14.0,
    ];
    xlsx::workbook_with_widths(&s.name, &rows, &widths)
        .map_err(|e| AppError::Invalid(tongchou_core::tr!("app-xlsx", error = e)))
}

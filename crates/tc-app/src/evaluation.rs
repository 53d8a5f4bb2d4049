//! The budget's performance evaluation (绩效评价, issue 11 item 6) of a year, per region: the
//! figures from the budget's execution (`execution::execution`, the ledger against the latest
//! approved budget, January to December or the month reached) and from the allocations to the
//! cities (`tc-store::plans::city_allocations_of_year`), scored by the pure kernel
//! `tongchou_engine::evaluation` under `policy/budget.toml`'s `budget.evaluation.*` (assumptions)
//! and `calendar.allocation_day`, each parameter reported with its value, date and source.
//!
//! A county's or city's figures are its group's (a county: its own book; a city: its own book
//! and its counties'; the province: every book), the items between levels left out. The
//! timeliness of a county is its city's (allocations reach the cities; the counties are served
//! by their city); a month counts as allocated when the province allocated to any city in it, so
//! a city left out of a month counts as late for that month.

use crate::execution;
use crate::reports::sheet::{Cell, Col, Sheet};
use crate::reports::{name_of, scope};
use crate::{AppError, Result};
use serde_json::{Map, Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};
use tongchou_core::items::Side;
use tongchou_core::policy::ParamUse;
use tongchou_core::region::Level;
use tongchou_core::rules::governance::EvaluationTerms;
use tongchou_core::{Date, Divisions, Period, Policy, RegionCode, tr};
use tongchou_engine::evaluation::{self, Indicator, YearFigures, hundredths_text};
use tongchou_store::Db;

/// One region's evaluation.
#[derive(Clone, Debug)]
pub struct RegionEvaluation {
    pub region: RegionCode,
    pub name: String,
    pub level: Level,
    pub figures: YearFigures,
    pub indicators: Vec<Indicator>,
    /// The total in hundredths of a point, of `max` points measured.
    pub score: i64,
    pub max: i64,
}

/// The evaluation of a year.
#[derive(Clone, Debug)]
pub struct Evaluation {
    pub year: i32,
    /// The approved budget measured against (its number), if any.
    pub budget_number: Option<i32>,
    /// The province first, then the cities, then the counties, within the region asked for.
    pub regions: Vec<RegionEvaluation>,
    pub uses: Vec<ParamUse>,
}

/// Per city: (months allocated, months on time) of `year`, with the allocation day's parameters.
fn timeliness(
    db: &mut Db,
    policy: &Policy,
    year: i32,
    uses: &mut Vec<ParamUse>,
) -> Result<BTreeMap<RegionCode, (i64, i64)>> {
    let rows = tongchou_store::plans::city_allocations_of_year(db, year)?;
    let months: BTreeSet<Period> = rows.iter().map(|(m, _, _)| *m).collect();
    let mut deadline: BTreeMap<Period, Date> = BTreeMap::new();
    for m in &months {
        let (day, u) = policy.int("calendar.allocation_day", m.day(1))?;
        let day = u8::try_from(day).map_err(|_| {
            AppError::Invalid(tongchou_core::tr!(
                "app-policy-day",
                name = "calendar.allocation_day",
                day = day
            ))
        })?;
        deadline.insert(*m, m.day(day));
        if !uses
            .iter()
            .any(|x| x.name == u.name && x.effective_from == u.effective_from)
        {
            uses.push(u);
        }
    }
    let d = Divisions::shanxi();
    let n = months.len() as i64;
    let mut out: BTreeMap<RegionCode, (i64, i64)> = d.cities().map(|c| (c.code, (n, 0))).collect();
    for (m, city, done) in rows {
        let on_time = done
            .parse::<Date>()
            .ok()
            .zip(deadline.get(&m))
            .is_some_and(|(done, by)| done <= *by);
        if on_time && let Some(e) = out.get_mut(&city) {
            e.1 += 1;
        }
    }
    Ok(out)
}

/// Every book's figures of the year: the budget's items and their execution, by group.
fn figures(
    ex: &execution::Execution,
    allocations: &BTreeMap<RegionCode, (i64, i64)>,
) -> Result<BTreeMap<RegionCode, YearFigures>> {
    let d = Divisions::shanxi();
    let mut out: BTreeMap<RegionCode, YearFigures> = BTreeMap::new();
    for book in &ex.actual.books {
        let f = out.entry(book.region).or_default();
        let cities: Vec<RegionCode> = match book.level {
            Level::Province => d.cities().map(|c| c.code).collect(),
            _ => d.city_of(book.region).into_iter().collect(),
        };
        for c in cities {
            let (n, ok) = allocations.get(&c).copied().unwrap_or_default();
            f.months_allocated += n;
            f.months_on_time += ok;
        }
    }
    for i in ex.items() {
        let f = out.entry(i.region).or_default();
        let (budget, fin) = match i.side {
            Side::Income => (&mut f.income_budget, &mut f.income_final),
            Side::Expenditure => (&mut f.expenditure_budget, &mut f.expenditure_final),
        };
        *budget = budget.try_add(i.budget)?;
        *fin = fin.try_add(i.executed)?;
        if i.key == "contribution" {
            f.task = f.task.try_add(i.budget)?;
            f.contributions = f.contributions.try_add(i.executed)?;
        }
    }
    Ok(out)
}

/// The evaluation of `year` for the regions within `region` (the province by default).
pub fn evaluate(db: &mut Db, year: i32, region: Option<RegionCode>) -> Result<Evaluation> {
    let (d, within, _) = scope(region)?;
    let policy = Policy::builtin()?;
    let terms = EvaluationTerms::at(&policy, Period::new(year, 12)?.last_day())?;
    let mut uses = terms.uses.clone();
    let allocations = timeliness(db, &policy, year, &mut uses)?;
    let ex = execution::execution(db, year, None)?;
    let mut regions = Vec::new();
    for (code, f) in figures(&ex, &allocations)? {
        if !d.within(code, within) {
            continue;
        }
        let indicators = evaluation::evaluate(&f, &terms);
        let (score, max) = evaluation::total(&indicators);
        regions.push(RegionEvaluation {
            region: code,
            name: name_of(d, i64::from(code.get())),
            level: d.get(code).map(|r| r.level).unwrap_or(Level::County),
            figures: f,
            indicators,
            score,
            max,
        });
    }
    regions.sort_by_key(|r| (r.level, r.region));
    Ok(Evaluation {
        year,
        budget_number: ex.budget_number,
        regions,
        uses,
    })
}

/// A rate as a percentage ("87.5%"), or "—".
pub fn percent(r: Option<tongchou_core::Ratio>) -> String {
    r.map(|r| r.as_percent_string())
        .unwrap_or_else(|| "—".into())
}

/// A score ("24.00"), or "—".
pub fn points(s: Option<i64>) -> String {
    s.map(hundredths_text).unwrap_or_else(|| "—".into())
}

impl Evaluation {
    pub fn title(&self) -> String {
        let against = execution::against(self.budget_number);
        tr!("app-eval-title", year = self.year, against = against)
    }

    /// `year`, `budget_number`, `regions` [{`region`, `name`, `level`, `score`, `max`,
    /// `indicators` {key → {`name`, `value`, `score`, `weight`, `formula`, `evidence`,
    /// `parameters`}}}], `parameters` (every parameter used, with its value, date and source).
    pub fn json(&self) -> Json {
        let regions: Vec<Json> = self
            .regions
            .iter()
            .map(|r| {
                let mut m = Map::new();
                for i in &r.indicators {
                    let mut params: Vec<String> = self
                        .uses
                        .iter()
                        .filter(|u| u.name.starts_with(&format!("budget.evaluation.{}.", i.key)))
                        .map(|u| u.name.clone())
                        .collect();
                    if i.key == "timeliness" {
                        params.push("calendar.allocation_day".into());
                    }
                    m.insert(
                        i.key.into(),
                        json!({
                            "name": i.name,
                            "value": i.value.map(|v| v.to_string()),
                            "score": i.score.map(hundredths_text),
                            "weight": i.weight,
                            "formula": i.formula,
                            "evidence": i.evidence,
                            "parameters": params,
                        }),
                    );
                }
                json!({
                    "region": r.region.to_string(),
                    "name": r.name,
                    "level": r.level.as_str(),
                    "score": hundredths_text(r.score),
                    "max": r.max,
                    "indicators": Json::Object(m),
                })
            })
            .collect();
        json!({
            "report": "budget_evaluation",
            "year": self.year,
            "budget_number": self.budget_number,
            "regions": regions,
            "parameters": self.uses,
        })
    }

    /// One table: a row per region and indicator, then the region's total.
    pub fn sheet(&self) -> Sheet {
        const COLS: [Col; 8] = [
            Col::new("region", "区划 region"),
            Col::new("name", "名称 name"),
            Col::new("indicator", "指标 indicator"),
            Col::new("value", "指标值 value"),
            Col::new("score", "得分 score"),
            Col::new("weight", "分值 weight"),
            Col::new("formula", "公式 formula"),
            Col::new("evidence", "依据 evidence"),
        ];
        let mut rows = Vec::new();
        for r in &self.regions {
            let head = [Cell::Text(r.region.to_string()), Cell::Text(r.name.clone())];
            for i in &r.indicators {
                let mut row = head.to_vec();
                row.extend([
                    Cell::Text(i.name.into()),
                    Cell::Text(percent(i.value)),
                    Cell::Text(points(i.score)),
                    Cell::Int(i.weight),
                    Cell::Text(i.formula.clone()),
                    Cell::Text(i.evidence.clone()),
                ]);
                rows.push(row);
            }
            let mut row = head.to_vec();
            row.extend([
                Cell::Text(tr!("app-eval-total")),
                Cell::Empty,
                Cell::Text(hundredths_text(r.score)),
                Cell::Int(r.max),
                Cell::Text(tr!("app-eval-total-note")),
                Cell::Empty,
            ]);
            rows.push(row);
        }
        Sheet {
            title: self.title(),
            name: tr!("app-eval-sheet", year = self.year),
            meta: vec![
                ("report", json!("budget_evaluation")),
                ("year", json!(self.year)),
            ],
            cols: COLS.to_vec(),
            rows,
            total: None,
            extras: vec![],
        }
    }
}

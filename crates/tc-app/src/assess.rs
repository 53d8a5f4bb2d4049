//! Target assessment (考核, 晋政发〔2019〕4号 二(四), mechanisms.md §3): the six indicators of
//! every county and city for a year from ledger and registry truth, scored with the weights of
//! `policy/assessment.toml` in force at the year's end by the pure kernel
//! `tongchou_engine::assessment`, ranked, with the reward and accountability lists.
//!
//! The measures per county (numerator ÷ denominator, each the drill-down of its indicator):
//! - policy execution: assessments and payroll lines of the year without a violation found
//!   (recovery cases of the year's months) ÷ all;
//! - coverage: persons enrolled in the year ÷ the target (the insured at the start of the year ×
//!   `assessment.coverage_target_ratio`, rounded up);
//! - collection: contributions collected for the year's months ÷ the collection task
//!   ([`crate::warn::collection_task`], the budget's stand-in);
//! - retirement approval: applications submitted in the year and decided within
//!   `assessment.retirement_time_limit_days` ÷ all submitted;
//! - payment: payroll paid on its first attempt ÷ the payroll due (amounts);
//! - fund security: benefit expenditure less unrecovered improper payments ÷ benefit expenditure.

use crate::reports::sheet::{Cell, Col, Sheet};
use crate::reports::{name_of, scope};
use crate::{AppError, Result};
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use tongchou_core::i18n::{self, word};
use tongchou_core::rules::governance::{AssessmentTerms, INDICATORS};
use tongchou_core::{Date, Divisions, Fen, Period, Policy, RegionCode};
use tongchou_engine::assessment::{self, CountyMeasures, Measure, Scored, indicator_name};
use tongchou_store::{Db, governance as store, reports};

/// A year's assessment: the cities and the counties, each ranked (best first).
#[derive(Clone, Debug)]
pub struct Assessment {
    pub year: i32,
    pub terms: AssessmentTerms,
    pub cities: Vec<Scored>,
    pub counties: Vec<Scored>,
}

fn days_between(from: &str, to: &str) -> Option<i64> {
    let a: Date = from.get(..10)?.parse().ok()?;
    let b: Date = to.get(..10)?.parse().ok()?;
    Some(a.days_until(b))
}

/// The measures of every county of `year` (see the module doc).
pub fn measures(db: &mut Db, year: i32, t: &AssessmentTerms) -> Result<Vec<CountyMeasures>> {
    let d = Divisions::shanxi();
    let mut by: BTreeMap<i64, CountyMeasures> = d
        .counties()
        .map(|c| {
            (
                c.code.get() as i64,
                CountyMeasures {
                    county: c.code,
                    measures: [Measure::default(); 6],
                    improper: Fen::ZERO,
                },
            )
        })
        .collect();
    let mut set = |county: i64, f: &mut dyn FnMut(&mut CountyMeasures)| {
        if let Some(c) = by.get_mut(&county) {
            f(c);
        }
    };
    // policy execution: items and violations
    for (county, n) in store::assessments_of_year(db, year)? {
        set(county, &mut |c| c.measures[0].den += n);
    }
    for (county, lines, due, paid) in store::payroll_of_year(db, year)? {
        set(county, &mut |c| {
            c.measures[0].den += lines;
            c.measures[4] = Measure::new(paid.fen(), due.fen());
        });
    }
    let mut violations: BTreeMap<i64, i64> = BTreeMap::new();
    for (county, n) in store::violations_of_year(db, year)? {
        violations.insert(county, n);
    }
    // coverage
    let start = Period::new(year, 1)?.first_day();
    let before = start.add_days(-1);
    for (county, insured) in reports::insured_by_county(db, before)? {
        // rounded up: a county with insured persons has a target of at least one
        let scaled = insured as i128 * t.coverage_target.0 as i128;
        let target = ((scaled + 99_999_999) / 100_000_000) as i64;
        set(county, &mut |c| c.measures[1].den = target);
    }
    for (county, n) in store::enrolled_in_year(db, year)? {
        set(county, &mut |c| c.measures[1].num = n);
    }
    // collection
    for (county, task) in crate::warn::collection_task(db, Period::new(year, 12)?)? {
        set(county, &mut |c| c.measures[2].den = task.fen());
    }
    for m in 1..=12 {
        for (county, collected, _) in reports::collected_by_county(db, Period::new(year, m)?)? {
            set(county, &mut |c| c.measures[2].num += collected.fen());
        }
    }
    // retirement approval
    for (county, submitted, decided) in store::retirement_applications_of_year(db, year)? {
        let on_time = decided
            .and_then(|d| days_between(&submitted, &d))
            .is_some_and(|days| days <= t.retirement_days);
        set(county, &mut |c| {
            c.measures[3].den += 1;
            c.measures[3].num += on_time as i64;
        });
    }
    // fund security: benefit expenditure less what is not recovered
    for (county, improper) in store::noncompliant_by_county(db, year)? {
        set(county, &mut |c| c.improper = improper);
    }
    for (code, (spent, _)) in crate::gap::year_books(db, year)? {
        set(code.get() as i64, &mut |c| {
            c.measures[5] = Measure::new(spent.fen() - c.improper.fen(), spent.fen());
        });
    }
    for c in by.values_mut() {
        let v = violations
            .get(&(c.county.get() as i64))
            .copied()
            .unwrap_or(0);
        c.measures[0].num = c.measures[0].den - v;
        if c.measures[5].den == 0 && c.improper.is_positive() {
            c.measures[5] = Measure::new(0, c.improper.fen());
        }
    }
    Ok(by.into_values().collect())
}

/// Assess `year` (its parameters those in force on its last day).
pub fn assess(db: &mut Db, year: i32) -> Result<Assessment> {
    let policy = Policy::builtin()?;
    let terms = AssessmentTerms::at(&policy, Period::new(year, 12)?.last_day())?;
    let m = measures(db, year, &terms)?;
    if m.iter().all(|c| c.measures.iter().all(|x| x.den == 0)) {
        return Err(AppError::NotFound(tongchou_core::tr!(
            "app-rep-nothing",
            year = year
        )));
    }
    let (cities, counties) = assessment::assess(Divisions::shanxi(), &m, &terms);
    Ok(Assessment {
        year,
        terms,
        cities,
        counties,
    })
}

fn points(hundredths: i64) -> Json {
    json!(hundredths as f64 / 100.0)
}

fn region_json(d: &Divisions, s: &Scored) -> Json {
    let mut ind = serde_json::Map::new();
    let mut drill = serde_json::Map::new();
    for (i, name) in INDICATORS.iter().enumerate() {
        ind.insert(
            name.to_string(),
            json!(s.values[i].to_string().parse::<f64>().unwrap_or(0.0)),
        );
        drill.insert(
            name.to_string(),
            json!({"num": s.measures[i].num, "den": s.measures[i].den}),
        );
    }
    json!({
        "region": s.region.get(),
        "name": name_of(d, s.region.get() as i64),
        "score": points(s.score),
        "rank": s.rank,
        "indicators": ind,
        "measures": drill,
        "improper": s.improper.to_string(),
        "reward": s.reward,
        "accountable": s.accountable,
        "reasons": s.reasons,
    })
}

/// The assessment as JSON: `year`, `cities` and `counties` [{`region`, `score`, `rank`,
/// `indicators` {name → value}, `measures` {name → {num, den}}, …}], `reward` and
/// `accountability` lists; regions within `region`.
pub fn json(a: &Assessment, region: Option<RegionCode>) -> Result<Json> {
    let (d, within, _) = scope(region)?;
    let keep = |s: &&Scored| d.within(s.region, within) || d.within(within, s.region);
    let list = |v: &[Scored]| {
        v.iter()
            .filter(keep)
            .map(|s| region_json(d, s))
            .collect::<Vec<_>>()
    };
    let codes = |f: fn(&Scored) -> bool| {
        a.cities
            .iter()
            .chain(&a.counties)
            .filter(keep)
            .filter(|s| f(s))
            .map(|s| s.region.get())
            .collect::<Vec<_>>()
    };
    Ok(json!({
        "report": "assess",
        "year": a.year,
        "weights": INDICATORS.iter().zip(a.terms.weights).map(|(n, w)| (n.to_string(), json!(w))).collect::<serde_json::Map<_, _>>(),
        "cities": list(&a.cities),
        "counties": list(&a.counties),
        "reward": codes(|s| s.reward),
        "accountability": codes(|s| s.accountable),
        "parameters": a.terms.uses,
    }))
}

/// The assessment as one table: the cities then the counties within `region`, ranked.
pub fn sheet(a: &Assessment, region: Option<RegionCode>) -> Result<Sheet> {
    let (d, within, _) = scope(region)?;
    let mut cols = vec![
        Col::new("level", "层级 level"),
        Col::new("rank", "排名 rank"),
        Col::new("region", "区划 region"),
        Col::new("name", "名称 name"),
        Col::new("score", "得分 score"),
    ];
    for key in INDICATORS {
        cols.push(Col::new(key, indicator_name(key)));
    }
    cols.push(Col::new("lists", "奖惩 reward/accountability"));
    let mut rows = Vec::new();
    for s in a.cities.iter().chain(&a.counties) {
        if !(d.within(s.region, within) || d.within(within, s.region)) {
            continue;
        }
        let mut r = vec![
            Cell::Text(if s.level == tongchou_core::Level::City {
                tongchou_core::tr!("app-ass-city")
            } else {
                tongchou_core::tr!("app-ass-county")
            }),
            Cell::Int(s.rank as i64),
            Cell::Text(s.region.to_string()),
            Cell::Text(name_of(d, s.region.get() as i64)),
            Cell::Text(format!("{}.{:02}", s.score / 100, s.score % 100)),
        ];
        r.extend(s.values.iter().map(|v| Cell::Text(v.as_percent_string())));
        let mut lists = Vec::new();
        if s.reward {
            lists.push(tongchou_core::tr!("app-ass-reward"));
        }
        if s.accountable {
            lists.push(tongchou_core::tr!(
                "app-ass-accountable",
                reasons = s.reasons.join("；")
            ));
        }
        r.push(Cell::Text(lists.join(" ")));
        rows.push(r);
    }
    Ok(Sheet {
        title: tongchou_core::tr!(
            "app-rep-assess-title",
            year = a.year,
            weights = a
                .terms
                .weights
                .iter()
                .map(|w| w.to_string())
                .collect::<Vec<_>>()
                .join("/")
        ),
        name: tongchou_core::tr!("app-rep-assess-sheet", year = a.year),
        meta: vec![
            ("report", json!("assess")),
            ("year", json!(a.year)),
            ("region", json!(within.get())),
            ("region_name", json!(name_of(d, within.get() as i64))),
        ],
        cols,
        rows,
        total: None,
        extras: vec![],
    })
}

fn money(fen: &str) -> Cell {
    fen.parse::<i64>()
        .map(|f| Cell::Money(Fen::new(f)))
        .unwrap_or(Cell::Text(fen.to_string()))
}

fn text_rows(rows: store::Records, money_col: Option<usize>) -> Vec<Vec<Cell>> {
    rows.into_iter()
        .map(|r| {
            r.into_iter()
                .enumerate()
                .map(|(i, t)| {
                    if Some(i) == money_col {
                        money(&t)
                    } else {
                        Cell::Text(t)
                    }
                })
                .collect()
        })
        .collect()
}

/// The records behind one indicator of one county's score (the drill-down): recovery cases
/// (policy execution; fund security: those not recovered), persons enrolled (coverage), the task
/// and collection per month (collection), retirement applications with their days to a decision
/// (retirement approval), payroll lines not paid on their first attempt (payment).
pub fn drill(db: &mut Db, year: i32, county: RegionCode, indicator: &str) -> Result<Sheet> {
    let d = Divisions::shanxi();
    if d.get(county)
        .is_none_or(|r| r.level != tongchou_core::Level::County)
    {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-rep-not-county",
            county = county
        )));
    }
    let terms = AssessmentTerms::at(&Policy::builtin()?, Period::new(year, 12)?.last_day())?;
    let c = county.get() as i64;
    let (cols, rows): Table = match indicator {
        "policy_execution" | "fund_security" => (
            vec![
                Col::new("person", "人员 person"),
                Col::new("kind", "类型 kind"),
                Col::new("month", "月份 month"),
                Col::new("amount", "金额 amount"),
                Col::new("status", "状态 status"),
                Col::new("source", "来源 source"),
            ],
            recovery_words(text_rows(
                store::recovery_records(db, year, c, indicator == "fund_security")?,
                Some(3),
            )),
        ),
        "coverage" => (
            vec![
                Col::new("person", "人员 person"),
                Col::new("enrolled_on", "参保日期 enrolled on"),
            ],
            text_rows(store::enrolled_records(db, year, c)?, None),
        ),
        "collection" => collection_records(db, year, c)?,
        "retirement_approval" => retirement_records(db, year, c, terms.retirement_days)?,
        "payment" => (
            vec![
                Col::new("month", "月份 month"),
                Col::new("person", "人员 person"),
                Col::new("item", "项目 item"),
                Col::new("amount", "金额 amount"),
                Col::new("status", "状态 status"),
            ],
            payment_words(text_rows(store::unpaid_records(db, year, c)?, Some(3))),
        ),
        other => {
            return Err(AppError::Invalid(tongchou_core::tr!(
                "app-rep-indicator",
                indicator = format!("{other:?}"),
                known = INDICATORS.join(", ")
            )));
        }
    };
    Ok(Sheet {
        title: tongchou_core::tr!(
            "app-rep-drill-title",
            year = year,
            name = name_of(d, c),
            county = county,
            indicator = indicator
        ),
        name: tongchou_core::tr!("app-rep-drill-sheet", year = year),
        meta: vec![
            ("report", json!("assess-drill")),
            ("year", json!(year)),
            ("region", json!(county.get())),
            ("indicator", json!(indicator)),
        ],
        cols,
        rows,
        total: None,
        extras: vec![],
    })
}

type Table = (Vec<Col>, Vec<Vec<Cell>>);

/// Recovery cases' rows with their kind (column 1) and status (column 4), stored as codes, in
/// the current language.
fn recovery_words(mut rows: Vec<Vec<Cell>>) -> Vec<Vec<Cell>> {
    for r in &mut rows {
        for i in [1, 4] {
            if let Some(Cell::Text(code)) = r.get_mut(i) {
                *code = recovery_word(code).to_string();
            }
        }
    }
    rows
}

/// Unpaid payroll lines' rows with their item (column 2) and status (column 4), stored as
/// codes, in the current language.
fn payment_words(mut rows: Vec<Vec<Cell>>) -> Vec<Vec<Cell>> {
    for r in &mut rows {
        if let Some(Cell::Text(code)) = r.get_mut(2)
            && let Some(item) = tongchou_engine::disbursement::Item::parse(code)
        {
            let id = format!("item-{}", item.as_str());
            *code = i18n::text(i18n::current(), &id)
                .unwrap_or(item.chinese())
                .to_string();
        }
        if let Some(Cell::Text(code)) = r.get_mut(4) {
            let w = match code.as_str() {
                "planned" => word("mine-planned"),
                "issued" => word("mine-sent-to-the-bank"),
                "paid" => word("mine-paid"),
                "returned" => word("mine-returned-by-the-bank"),
                "deferred" => word("mine-deferred"),
                "carried" => word("mine-carried-to-a-later-month"),
                _ => word("rec-other"),
            };
            *code = w.to_string();
        }
    }
    rows
}

/// A recovery case's kind or status (their codes do not overlap) in the current language.
fn recovery_word(code: &str) -> &'static str {
    match code {
        "paid_after_death" => word("rec-k-after-death"),
        "duplicate_receipt" => word("rec-k-duplicate"),
        "correction" => word("rec-k-correction"),
        "open" => word("rec-s-open"),
        "recovered" => word("rec-s-recovered"),
        "written_off" => word("rec-s-written-off"),
        _ => word("rec-other"),
    }
}

/// The task and the collection of one county, month by month.
fn collection_records(db: &mut Db, year: i32, c: i64) -> Result<Table> {
    let mut rows = Vec::new();
    for m in 1..=12 {
        let p = Period::new(year, m)?;
        let task = collection_task_of(db, p, c)?;
        let collected = reports::collected_by_county(db, p)?
            .into_iter()
            .find(|(k, _, _)| *k == c)
            .map(|(_, f, _)| f)
            .unwrap_or(Fen::ZERO);
        rows.push(vec![
            Cell::Text(p.to_string()),
            Cell::Money(task),
            Cell::Money(collected),
        ]);
    }
    Ok((
        vec![
            Col::new("period", "月份 period"),
            Col::new("task", "征缴任务 task"),
            Col::new("collected", "实缴 collected"),
        ],
        rows,
    ))
}

/// One county's retirement applications of the year with the days to their decision.
fn retirement_records(db: &mut Db, year: i32, c: i64, limit: i64) -> Result<Table> {
    let mut rows = text_rows(store::retirement_records(db, year, c)?, None);
    for r in &mut rows {
        let days = days_between(&r[1].text(), &r[2].text());
        let on_time = days.is_some_and(|x| x <= limit);
        if let Cell::Text(status) = &mut r[3] {
            let w = match status.as_str() {
                "pending" => word("retire-pending"),
                "approved" => word("retire-approved"),
                "refused" => word("retire-refused"),
                _ => word("rec-other"),
            };
            *status = w.to_string();
        }
        r.push(days.map(Cell::Int).unwrap_or(Cell::Empty));
        r.push(Cell::Text(
            if on_time {
                word("app-ass-on-time")
            } else {
                word("app-ass-late")
            }
            .into(),
        ));
    }
    Ok((
        vec![
            Col::new("person", "人员 person"),
            Col::new("submitted_at", "申报时间 submitted"),
            Col::new("decided_at", "审批时间 decided"),
            Col::new("status", "状态 status"),
            Col::new("days", "天数 days"),
            Col::new("on_time", "时限 on time"),
        ],
        rows,
    ))
}

/// The collection task of one county for one month (the stand-in of `warn::collection_task`).
fn collection_task_of(db: &mut Db, p: Period, county: i64) -> Result<Fen> {
    Ok(store::assessed_between(db, p, p)?
        .into_iter()
        .find(|(k, _)| *k == county)
        .map(|(_, f)| f)
        .unwrap_or(Fen::ZERO))
}

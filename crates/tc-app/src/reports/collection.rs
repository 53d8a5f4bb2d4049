//! The collection report of a month (see the module above).

use super::sheet::{Cell, Col, Extra, Sheet};
use super::{name_of, scope};
use crate::{AppError, Result, collect};
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use tongchou_core::{Date, Divisions, Fen, Level, Period, Policy, RegionCode};
use tongchou_ledger::Chart;
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, reports};

/// The row a county's figures go to: its city in a provincial report, itself below a city.
fn row_of(d: &Divisions, county: i64, region: RegionCode, level: Level) -> Option<i64> {
    let code = RegionCode::new(u32::try_from(county).ok()?).ok()?;
    if !d.within(code, region) {
        return None;
    }
    match level {
        Level::Province => Some(
            d.city_of(code)
                .map(|c| c.get() as i64)
                .unwrap_or(county / 100 * 100),
        ),
        Level::City | Level::County => Some(county),
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct CollectionLine {
    insured: i64,
    contributors: i64,
    assessed: i64,
    collected: i64,
    late_fees: i64,
    arrears: i64,
    remitted: i64,
}

impl CollectionLine {
    fn add(&mut self, o: &CollectionLine) {
        self.insured += o.insured;
        self.contributors += o.contributors;
        self.assessed += o.assessed;
        self.collected += o.collected;
        self.late_fees += o.late_fees;
        self.arrears += o.arrears;
        self.remitted += o.remitted;
    }
    fn cells(&self) -> [Cell; 7] {
        [
            Cell::Int(self.insured),
            Cell::Int(self.contributors),
            Cell::Money(Fen::new(self.assessed)),
            Cell::Money(Fen::new(self.collected)),
            Cell::Money(Fen::new(self.late_fees)),
            Cell::Money(Fen::new(self.arrears)),
            Cell::Money(Fen::new(self.remitted)),
        ]
    }
}

/// The arrears outstanding when the month was closed, as its run recorded them per county.
fn recorded_arrears(
    details: &Json,
    period: Period,
    by: &mut BTreeMap<i64, CollectionLine>,
) -> Result<()> {
    let Some(counties) = details.get("counties").and_then(Json::as_array) else {
        return Ok(());
    };
    for c in counties {
        let county = c.get("county").and_then(Json::as_i64);
        let arrears = c.get("arrears").and_then(Json::as_str);
        let (Some(county), Some(arrears)) = (county, arrears) else {
            return Err(AppError::State(tongchou_core::tr!(
                "app-rep-county-line",
                period = period,
                line = c
            )));
        };
        let f: Fen = arrears.parse().map_err(|e| {
            AppError::State(tongchou_core::tr!(
                "app-rep-arrears",
                county = county,
                error = e
            ))
        })?;
        by.entry(county).or_default().arrears = f.fen();
    }
    Ok(())
}

/// The arrears outstanding per county when the collection of `period` was closed, as its run
/// recorded them; `None` when the collection of `period` has not been run.
pub(crate) fn arrears_at_close(db: &mut Db, period: Period) -> Result<Option<BTreeMap<i64, Fen>>> {
    let Some(details) = crate::jobs::details(db, collect::JOB, period, collect::STEP_CLOSE)? else {
        return Ok(None);
    };
    let mut by: BTreeMap<i64, CollectionLine> = BTreeMap::new();
    recorded_arrears(&details, period, &mut by)?;
    Ok(Some(
        by.into_iter()
            .map(|(c, l)| (c, Fen::new(l.arrears)))
            .collect(),
    ))
}

/// The balance of the provincial fiscal special account at the end of `day`.
fn fiscal_balance(db: &mut Db, chart: &Chart, day: Date) -> Result<Fen> {
    let province = Divisions::shanxi().province().code;
    let fiscal = chart
        .account(province, "fiscal_special_account")
        .ok_or_else(|| AppError::State(tongchou_core::tr!("app-rep-no-fiscal")))?;
    let side = chart
        .kind_of(fiscal)
        .map(|k| k.class.normal())
        .ok_or_else(|| AppError::State(tongchou_core::tr!("app-rep-fiscal-kind")))?;
    let balance = Ledger::new(db)
        .balances_at(day)?
        .get(&fiscal)
        .map(|b| b.posted_on(side))
        .unwrap_or(0);
    Ok(Fen::new(balance))
}

/// Per county code: what the stored results of the collection of `period` say.
fn collection_by_county(
    db: &mut Db,
    policy: &Policy,
    period: Period,
) -> Result<(BTreeMap<i64, CollectionLine>, Date, Fen)> {
    let details =
        crate::jobs::details(db, collect::JOB, period, collect::STEP_CLOSE)?.ok_or_else(|| {
            AppError::NotFound(tongchou_core::tr!("app-rep-no-collection", period = period))
        })?;
    let close = collect::close_date(policy, period)?;
    let mut by: BTreeMap<i64, CollectionLine> = BTreeMap::new();

    for (county, n) in reports::insured_by_county(db, period.last_day())? {
        by.entry(county).or_default().insured = n;
    }
    for (county, n, assessed) in reports::assessed_by_county(db, period)? {
        let l = by.entry(county).or_default();
        l.contributors = n;
        l.assessed = assessed.fen();
    }
    for (county, collected, late_fees) in reports::collected_by_county(db, period)? {
        let l = by.entry(county).or_default();
        l.collected = collected.fen();
        l.late_fees = late_fees.fen();
    }
    recorded_arrears(&details, period, &mut by)?;
    // remitted: debits to a region's 上解上级支出 under the month's collection transfers
    let chart = Chart::standard();
    for (id, amount) in reports::collection_debits(db, period)? {
        if chart
            .kind_of(id)
            .is_some_and(|k| k.key == "remittance_to_higher")
            && let Some(region) = id.region()
        {
            by.entry(region.get() as i64).or_default().remitted += amount;
        }
    }
    let balance = fiscal_balance(db, chart, close)?;
    Ok((by, close, balance))
}

/// The report's rows: every city (province), every county of a city, or the county itself.
fn empty_rows(d: &Divisions, region: RegionCode, level: Level) -> BTreeMap<i64, CollectionLine> {
    let codes: Vec<i64> = match level {
        Level::Province => d.cities().map(|c| c.code.get() as i64).collect(),
        Level::City => d.counties_of(region).map(|c| c.code.get() as i64).collect(),
        Level::County => vec![region.get() as i64],
    };
    codes
        .into_iter()
        .map(|c| (c, CollectionLine::default()))
        .collect()
}

/// A month's collection within `region` (the province by default), per city or per county.
pub fn collection(db: &mut Db, period: Period, region: Option<RegionCode>) -> Result<Sheet> {
    let policy = Policy::builtin()?;
    let (d, region, level) = scope(region)?;
    let (by_county, close, balance) = collection_by_county(db, &policy, period)?;
    let mut rows = empty_rows(d, region, level);
    for (county, line) in &by_county {
        if let Some(k) = row_of(d, *county, region, level) {
            rows.entry(k).or_default().add(line);
        }
    }
    let mut total = CollectionLine::default();
    let mut out = Vec::with_capacity(rows.len());
    for (code, line) in &rows {
        total.add(line);
        let mut r = vec![Cell::Text(code.to_string()), Cell::Text(name_of(d, *code))];
        r.extend(line.cells());
        out.push(r);
    }
    let mut t = vec![Cell::Text(tongchou_core::tr!("app-rep-total")), Cell::Empty];
    t.extend(total.cells());
    let (unit, unit_name) = if level == Level::Province {
        ("city", tongchou_core::i18n::word("app-rep-unit-city"))
    } else {
        ("county", tongchou_core::i18n::word("app-rep-unit-county"))
    };
    let region_name = name_of(d, region.get() as i64);
    Ok(Sheet {
        title: tongchou_core::tr!(
            "app-rep-collection-title",
            period = period,
            close = close,
            region_name = region_name,
            region = region,
            unit = unit_name
        ),
        name: tongchou_core::tr!("app-rep-collection-sheet", period = period),
        meta: vec![
            ("report", json!("collection")),
            ("period", json!(period.to_string())),
            ("region", json!(region.get())),
            ("region_name", json!(region_name)),
            ("close_date", json!(close.to_string())),
        ],
        cols: vec![
            Col::new("region", unit),
            Col::new("name", "name"),
            Col::new("insured", "insured"),
            Col::new("contributors", "contributors"),
            Col::new("assessed", "assessed"),
            Col::new("collected", "collected"),
            Col::new("late_fees", "late fees"),
            Col::new("arrears", "arrears"),
            Col::new("remitted", "remitted"),
        ],
        rows: out,
        total: Some(t),
        extras: vec![Extra {
            key: "fiscal_special_account",
            label: format!("provincial fiscal special account at the end of {close}"),
            zh: format!("省级财政专户余额（{close} 日终）"),
            value: Cell::Money(balance),
        }],
    })
}

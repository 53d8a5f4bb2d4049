//! The month's figures per city and the province: plans, approvals, allocations and what became
//! of every payment line.

use crate::error::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use tongchou_core::period::Period;
use tongchou_core::{Divisions, Fen};
use tongchou_store::Db;

/// Per-region figures of a month. How the money of a city's month adds up:
/// - `need` (every payment line of the month) = `planned` + `from_balance` (what the county
///   accounts already held — returned payments, an earlier partial approval — netted off the plan);
/// - `planned` ≥ `approved` = `allocated` (what reached the city);
/// - `need` = `issued` + `deferred` (lines the county could not pay yet, for lack of approval);
/// - `issued` = `paid` + `returned` + `pending` (no bank answer yet).
///
/// So with a full approval: `allocated` + `from_balance` = `paid` + `returned` + `pending`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RegionFigures {
    pub region: u32,
    pub need: Fen,
    pub from_balance: Fen,
    pub planned: Fen,
    pub approved: Fen,
    pub allocated: Fen,
    pub issued: Fen,
    pub deferred: Fen,
    pub paid: Fen,
    pub returned: Fen,
    pub pending: Fen,
    /// Of `need`: payments deferred in an earlier month and carried into this one.
    pub carried_in: Fen,
    pub late_days: i64,
}

fn entry(out: &mut BTreeMap<u32, RegionFigures>, region: u32) -> &mut RegionFigures {
    out.entry(region).or_insert_with(|| RegionFigures {
        region,
        ..Default::default()
    })
}

/// Add a county's lines of one status to its city's figures.
fn add_lines(f: &mut RegionFigures, status: &str, v: Fen) -> Result<()> {
    f.need = f.need.try_add(v)?;
    let column = match status {
        "paid" => &mut f.paid,
        "returned" => &mut f.returned,
        "issued" => &mut f.pending,
        _ => &mut f.deferred,
    };
    *column = column.try_add(v)?;
    if matches!(status, "issued" | "paid" | "returned") {
        f.issued = f.issued.try_add(v)?;
    }
    Ok(())
}

/// The province's line adds up its cities.
fn add_up_province(out: &mut BTreeMap<u32, RegionFigures>, province: u32) -> Result<()> {
    let cities: Vec<RegionFigures> = out
        .values()
        .filter(|f| f.region != province)
        .cloned()
        .collect();
    let Some(p) = out.get_mut(&province) else {
        return Ok(());
    };
    for c in &cities {
        for (t, v) in [
            (&mut p.need, c.need),
            (&mut p.allocated, c.allocated),
            (&mut p.issued, c.issued),
            (&mut p.deferred, c.deferred),
            (&mut p.paid, c.paid),
            (&mut p.returned, c.returned),
            (&mut p.pending, c.pending),
            (&mut p.carried_in, c.carried_in),
        ] {
            *t = t.try_add(v)?;
        }
        p.late_days = p.late_days.max(c.late_days);
    }
    Ok(())
}

/// The month's figures per city (and the province as region 140000).
pub fn figures(db: &mut Db, month: Period) -> Result<Vec<RegionFigures>> {
    let d = Divisions::shanxi();
    let mut out: BTreeMap<u32, RegionFigures> = BTreeMap::new();
    for (region, planned, approved) in tongchou_store::plans::upper_plans(db, month)? {
        let f = entry(&mut out, region);
        f.planned = planned;
        f.approved = approved;
    }
    for (region, amount, late) in tongchou_store::plans::city_allocations(db, month)? {
        let f = entry(&mut out, region);
        f.allocated = amount;
        f.late_days = late;
    }
    for (county, status, amount) in tongchou_store::payroll::sums_by_county_status(db, month)? {
        let city = d.city_of(county).map(|c| c.get()).unwrap_or(0);
        add_lines(entry(&mut out, city), &status, amount)?;
    }
    for (county, amount) in tongchou_store::payroll::carried_in_by_county(db, month)? {
        let city = d.city_of(county).map(|c| c.get()).unwrap_or(0);
        let f = entry(&mut out, city);
        f.carried_in = f.carried_in.try_add(amount)?;
    }
    add_up_province(&mut out, d.province().code.get())?;
    for f in out.values_mut() {
        f.from_balance = f.need.try_sub(f.planned)?;
    }
    Ok(out.into_values().collect())
}

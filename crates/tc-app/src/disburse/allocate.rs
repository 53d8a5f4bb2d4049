//! Steps 4 and 5: the reserved allocations to the cities are posted (due by day 10), then the
//! cities pass the money down to their counties (due within the configured working days); each
//! allocation is recorded with its delay, a late one as a breach.

use super::submit;
use crate::error::{AppError, Result};
use crate::ledger_refs::Reference;
use std::collections::BTreeMap;
use tongchou_core::period::{Date, Period};
use tongchou_core::{Divisions, Fen, RegionCode};
use tongchou_engine::disbursement::{Approved, Calendar};
use tongchou_ledger::Chart;
use tongchou_ledger::flows::{Doc, allocation, resolve_pair};
use tongchou_store::Db;
use tongchou_store::ledger::Ledger;
use tongchou_store::plans::{self as store, Allocation, Breach, Level};

/// The approved amounts of the month, as the `approve` step recorded them.
fn approved_of(db: &mut Db, month: Period) -> Result<Approved> {
    let mut a = Approved {
        total: Fen::ZERO,
        counties: BTreeMap::new(),
        cities: BTreeMap::new(),
    };
    for (region, level, amount) in store::approved_by_region(db, month)? {
        match level {
            Level::County => {
                a.counties.insert(region, amount);
            }
            Level::City => {
                a.cities.insert(region, amount);
            }
            Level::Province => a.total = amount,
        }
    }
    Ok(a)
}

#[allow(clippy::too_many_arguments)]
fn record_allocation(
    db: &mut Db,
    month: Period,
    region: RegionCode,
    level: Level,
    amount: Fen,
    deadline: Date,
    done: Date,
    key: &str,
) -> Result<()> {
    let delay = Calendar::delay(deadline, done);
    let (d, o) = (deadline.to_string(), done.to_string());
    store::write_allocation(
        db,
        &Allocation {
            month,
            region,
            level,
            amount,
            deadline: &d,
            done_on: &o,
            delay_days: delay,
            transfer_key: key,
        },
    )?;
    if delay > 0 {
        store::write_breach(
            db,
            &Breach {
                month,
                region,
                kind: &format!("late_allocation_to_{}", level.as_str()),
                deadline: &d,
                happened_on: &o,
                delay_days: delay,
            },
        )?;
    }
    Ok(())
}

/// Step 4: post the reserved allocations to the cities.
pub(super) fn step_allocate(
    db: &mut Db,
    month: Period,
    cal: &Calendar,
    day: Option<u8>,
) -> Result<serde_json::Value> {
    let a = approved_of(db, month)?;
    let m = month.yyyymm() as i64;
    let done = day.map(|d| month.day(d)).unwrap_or(cal.allocation_by);
    let province = Divisions::shanxi().province().code;
    let reference = Reference::Allocation { month }.to_string();
    let mut reqs = Vec::new();
    if a.total.is_positive() {
        for (city, v) in &a.cities {
            if v.is_positive() {
                let doc = Doc {
                    key: &format!("alloc/{m}/{city}/post"),
                    reference: &reference,
                    date: done,
                };
                reqs.extend(resolve_pair(
                    doc,
                    &format!("alloc/{m}/{city}"),
                    [province, *city],
                    true,
                    None,
                ));
            }
        }
    }
    submit(&mut Ledger::new(db), &reqs)?;
    for (city, v) in &a.cities {
        record_allocation(
            db,
            month,
            *city,
            Level::City,
            *v,
            cal.allocation_by,
            done,
            &format!("alloc/{m}/{city}/post"),
        )?;
    }
    Ok(
        serde_json::json!({"allocated_fen": a.total.fen(), "on": done.to_string(), "late_days": Calendar::delay(cal.allocation_by, done)}),
    )
}

/// Step 5: cities pass the money down to their counties.
pub(super) fn step_passdown(
    db: &mut Db,
    month: Period,
    cal: &Calendar,
    alloc_day: Option<u8>,
) -> Result<serde_json::Value> {
    let a = approved_of(db, month)?;
    let m = month.yyyymm() as i64;
    let allocated_on = alloc_day.map(|d| month.day(d)).unwrap_or(cal.allocation_by);
    let done = cal
        .work_days
        .add(allocated_on, 1)
        .min(cal.passdown_by.max(allocated_on));
    let chart = Chart::standard();
    let d = Divisions::shanxi();
    let reference = Reference::PassDown { month }.to_string();
    let mut total = 0i64;
    let mut reqs = Vec::new();
    for (county, v) in &a.counties {
        if !v.is_positive() {
            continue;
        }
        let city = d.city_of(*county).ok_or_else(|| {
            AppError::Invalid(tongchou_core::tr!("app-an-no-city", region = county))
        })?;
        let key = format!("passdown/{m}/{county}");
        reqs.extend(allocation(
            chart,
            Doc {
                key: &key,
                reference: &reference,
                date: done,
            },
            city,
            *county,
            *v,
            false,
        )?);
        total += v.fen();
    }
    submit(&mut Ledger::new(db), &reqs)?;
    for (county, v) in &a.counties {
        record_allocation(
            db,
            month,
            *county,
            Level::County,
            *v,
            cal.passdown_by,
            done,
            &format!("passdown/{m}/{county}"),
        )?;
    }
    Ok(serde_json::json!({"passed_down_fen": total, "on": done.to_string()}))
}

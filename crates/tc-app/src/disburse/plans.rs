//! Step 2: county plans (payroll − what the county account already holds), consolidated by city
//! and province; the province's application is submitted by the bureau officer (maker).

use super::{Actors, available, now_ms};
use crate::error::{AppError, Result};
use std::collections::BTreeMap;
use tongchou_core::access::ApprovalKind;
use tongchou_core::period::{Date, Period};
use tongchou_core::{Divisions, Fen, RegionCode};
use tongchou_engine::disbursement::{Calendar, Consolidated, CountyPlan, Item};
use tongchou_ledger::Chart;
use tongchou_store::Db;
use tongchou_store::access::submit_approval;
use tongchou_store::ledger::Ledger;
use tongchou_store::plans::{self as store, Level, NewPlan};

/// Planned lines of the month per county and item.
fn planned_by_county(
    db: &mut Db,
    month: Period,
) -> Result<BTreeMap<RegionCode, BTreeMap<Item, Fen>>> {
    let mut m: BTreeMap<RegionCode, BTreeMap<Item, Fen>> = BTreeMap::new();
    for (county, item, amount) in tongchou_store::payroll::planned_by_county_item(db, month)? {
        m.entry(county).or_default().insert(item, amount);
    }
    Ok(m)
}

/// Each county's plan: what its payroll needs beyond the balance on hand.
fn county_plans(db: &mut Db, month: Period) -> Result<Vec<CountyPlan>> {
    let chart = Chart::standard();
    let by_county = planned_by_county(db, month)?;
    let mut plans = Vec::new();
    let mut ledger = Ledger::new(db);
    for (county, items) in &by_county {
        let need: i64 = items.values().map(|f| f.fen()).sum();
        let on_hand = available(&mut ledger, chart, *county)?;
        let request = Fen::new((need - on_hand.fen().max(0)).max(0));
        // the plan asks for what the payroll needs beyond the balance on hand; the items
        // keep the payroll's split for the report
        let mut planned = items.clone();
        if request.fen() < need {
            planned = BTreeMap::from([(Item::BasicPension, request)]);
        }
        plans.push(CountyPlan {
            county: *county,
            items: planned,
        });
    }
    Ok(plans)
}

/// Write the plans of every county (with their items), city and the province.
fn write_plans(
    db: &mut Db,
    month: Period,
    cal: &Calendar,
    officer: i64,
    c: &Consolidated,
    province: RegionCode,
) -> Result<()> {
    let write = |db: &mut Db, region: RegionCode, level: Level, planned: Fen, on: Date| {
        let on = on.to_string();
        store::write_plan(
            db,
            &NewPlan {
                month,
                region,
                level,
                planned,
                submitted_by: officer,
                submitted_on: &on,
            },
        )
    };
    for (city, ps) in &c.cities {
        for p in ps {
            write(db, p.county, Level::County, p.total(), cal.county_plan_by)?;
            for (item, amount) in &p.items {
                store::write_plan_item(db, month, p.county, *item, *amount)?;
            }
        }
        write(
            db,
            *city,
            Level::City,
            c.city_total(*city),
            cal.city_plan_by,
        )?;
    }
    write(
        db,
        province,
        Level::Province,
        c.total(),
        cal.province_apply_by,
    )?;
    Ok(())
}

/// Step 2: county plans, consolidation, the province's application (maker).
pub(super) fn step_plans(
    db: &mut Db,
    month: Period,
    cal: &Calendar,
    actors: &Actors,
) -> Result<serde_json::Value> {
    let divisions = Divisions::shanxi();
    let plans = county_plans(db, month)?;
    let c = Consolidated::build(divisions, month, plans)?;
    let province = divisions.province().code;
    write_plans(db, month, cal, actors.officer.user_id, &c, province)?;
    let a = submit_approval(
        db,
        &actors.officer,
        ApprovalKind::FundPlan,
        &format!("fund_plan/{month}"),
        province,
        now_ms(),
    )
    .map_err(|e| AppError::Invalid(format!("submitting the plan: {e}")))?;
    store::set_application_approval(db, month, a.id)?;
    Ok(
        serde_json::json!({"planned_fen": c.total().fen(), "approval_id": a.id, "counties": c.cities.values().map(Vec::len).sum::<usize>()}),
    )
}

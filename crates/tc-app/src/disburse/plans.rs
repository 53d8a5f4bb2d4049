//! Step 2: the county plans as their agencies submitted them and their cities forwarded them
//! (`crate::plan_chain`: payroll − what the county account holds), consolidated by city and
//! province; the province's application is submitted by the bureau officer (maker).

use super::{Actors, now_ms};
use crate::error::{AppError, Result};
use tongchou_core::access::ApprovalKind;
use tongchou_core::period::{Date, Period};
use tongchou_core::{Divisions, Fen, RegionCode};
use tongchou_engine::disbursement::{Calendar, Consolidated};
use tongchou_store::Db;
use tongchou_store::access::submit_approval;
use tongchou_store::plans::{self as store, Level, NewPlan};

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
    let plans = crate::plan_chain::county_plans(db, month)?;
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
    .map_err(|e| AppError::Invalid(tongchou_core::tr!("app-dis-submit", error = e)))?;
    store::set_application_approval(db, month, a.id)?;
    Ok(
        serde_json::json!({"planned_fen": c.total().fen(), "approval_id": a.id, "counties": c.cities.values().map(Vec::len).sum::<usize>()}),
    )
}

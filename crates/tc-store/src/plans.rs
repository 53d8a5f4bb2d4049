//! Fund-use plans (用款计划, migration 0005): each month's plan per county, city and the province
//! (`fund_plans`), the counties' items (`fund_plan_items`), the province's application and its
//! approval (joined with `approvals`), and how the approved money went down: `allocations` to
//! cities and counties with their deadlines, and `breaches` of those deadlines.

use crate::{Db, Result, StoreError, Val};
use tongchou_core::{Fen, Period, RegionCode};
use tongchou_engine::disbursement::Item;

fn region(v: i64) -> Result<RegionCode> {
    RegionCode::from_stored(v).ok_or_else(|| crate::corrupt("region", v))
}

fn period(v: i64) -> Result<Period> {
    Period::from_yyyymm(v as i32).map_err(|e| crate::corrupt("period", (v, e.0)))
}

/// The level of a plan or an allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    County,
    City,
    Province,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::County => "county",
            Level::City => "city",
            Level::Province => "province",
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "county" => Level::County,
            "city" => Level::City,
            "province" => Level::Province,
            _ => return None,
        })
    }
}

fn level(s: &str) -> Result<Level> {
    Level::parse(s).ok_or_else(|| crate::corrupt("plan_level", s))
}

/// A region's plan as submitted (status `submitted`, deadline = the day it is submitted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewPlan<'a> {
    pub month: Period,
    pub region: RegionCode,
    pub level: Level,
    pub planned: Fen,
    pub submitted_by: i64,
    /// `YYYY-MM-DD`
    pub submitted_on: &'a str,
}

pub fn write_plan(db: &mut Db, p: &NewPlan<'_>) -> Result<()> {
    db.exec(
        "INSERT INTO fund_plans (month, region, level, planned_fen, submitted_by, submitted_on, deadline, status) VALUES ($1, $2, $3, $4, $5, $6, $6, 'submitted')",
        &[
            Val::I64(p.month.yyyymm() as i64),
            Val::I64(p.region.get() as i64),
            Val::Str(p.level.as_str()),
            Val::I64(p.planned.fen()),
            Val::I64(p.submitted_by),
            Val::Str(p.submitted_on),
        ],
    )?;
    Ok(())
}

/// One item of a county's plan.
pub fn write_plan_item(
    db: &mut Db,
    month: Period,
    county: RegionCode,
    item: Item,
    amount: Fen,
) -> Result<()> {
    db.exec(
        "INSERT INTO fund_plan_items (month, county, item, amount_fen) VALUES ($1, $2, $3, $4)",
        &[
            Val::I64(month.yyyymm() as i64),
            Val::I64(county.get() as i64),
            Val::Str(item.as_str()),
            Val::I64(amount.fen()),
        ],
    )?;
    Ok(())
}

/// Link the province's plan to the approval that decides the month's application.
pub fn set_application_approval(db: &mut Db, month: Period, approval_id: i64) -> Result<()> {
    db.exec(
        "UPDATE fund_plans SET approval_id = $1 WHERE month = $2 AND level = 'province'",
        &[Val::I64(approval_id), Val::I64(month.yyyymm() as i64)],
    )?;
    Ok(())
}

/// The counties' plan items of the month, by county and item.
pub fn plan_items(db: &mut Db, month: Period) -> Result<Vec<(RegionCode, Item, Fen)>> {
    let rows = db.query(
        "SELECT county, item, amount_fen FROM fund_plan_items WHERE month = $1 ORDER BY county, item",
        &[Val::I64(month.yyyymm() as i64)],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let item =
            Item::parse(r[1].text()?).ok_or_else(|| StoreError::Invalid("unknown item".into()))?;
        out.push((region(r[0].i64()?)?, item, Fen::new(r[2].i64()?)));
    }
    Ok(out)
}

/// The approved amount of every region's plan of the month (0 while undecided).
pub fn approved_by_region(db: &mut Db, month: Period) -> Result<Vec<(RegionCode, Level, Fen)>> {
    let rows = db.query(
        "SELECT region, level, COALESCE(approved_fen, 0) FROM fund_plans WHERE month = $1",
        &[Val::I64(month.yyyymm() as i64)],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push((
            region(r[0].i64()?)?,
            level(r[1].text()?)?,
            Fen::new(r[2].i64()?),
        ));
    }
    Ok(out)
}

/// The province's row of a month's application and its approval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    pub month: Period,
    pub approval_id: i64,
    pub planned: Fen,
    /// Set by a partial decision, and by the `approve` step for every decision.
    pub approved: Option<Fen>,
    /// The approval's status: pending, approved, partly_approved or rejected.
    pub status: String,
    pub note: String,
}

/// The applications, latest first (at most 36), or the one of `month`.
pub fn applications(db: &mut Db, month: Option<Period>) -> Result<Vec<Application>> {
    let mut sql = String::from(
        "SELECT f.month, f.approval_id, f.planned_fen, f.approved_fen, a.status, a.note FROM fund_plans f \
         JOIN approvals a ON a.id = f.approval_id WHERE f.level = 'province'",
    );
    let mut params = Vec::new();
    if let Some(m) = month {
        sql.push_str(" AND f.month = $1");
        params.push(Val::I64(m.yyyymm() as i64));
    }
    sql.push_str(" ORDER BY f.month DESC LIMIT 36");
    let mut out = Vec::new();
    for r in db.query(&sql, &params)? {
        out.push(Application {
            month: period(r[0].i64()?)?,
            approval_id: r[1].i64()?,
            planned: Fen::new(r[2].i64()?),
            approved: r[3].opt_i64()?.map(Fen::new),
            status: r[4].text()?.to_string(),
            note: r[5].text()?.to_string(),
        });
    }
    Ok(out)
}

/// The application of `month`, once its plans step has run.
pub fn application(db: &mut Db, month: Period) -> Result<Option<Application>> {
    Ok(applications(db, Some(month))?.into_iter().next())
}

/// The months whose application awaits the finance department's decision, oldest first.
pub fn pending_months(db: &mut Db) -> Result<Vec<Period>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT f.month FROM fund_plans f JOIN approvals a ON a.id = f.approval_id \
         WHERE f.level = 'province' AND a.status = 'pending' ORDER BY f.month",
        &[],
    )? {
        out.push(period(r[0].i64()?)?);
    }
    Ok(out)
}

/// The approval id of the month's application (0 if there is none).
pub fn application_approval_id(db: &mut Db, month: Period) -> Result<i64> {
    db.query_i64(
        "SELECT approval_id FROM fund_plans WHERE month = $1 AND level = 'province'",
        &[Val::I64(month.yyyymm() as i64)],
    )
}

/// Record the amount of a partial decision on the province's plan.
pub fn set_application_approved(db: &mut Db, month: Period, approved: Fen) -> Result<()> {
    db.exec(
        "UPDATE fund_plans SET approved_fen = $1 WHERE month = $2 AND level = 'province'",
        &[Val::I64(approved.fen()), Val::I64(month.yyyymm() as i64)],
    )?;
    Ok(())
}

/// Record a region's approved amount and the decision's status.
pub fn set_decided(
    db: &mut Db,
    month: Period,
    region: RegionCode,
    approved: Fen,
    status: &str,
) -> Result<()> {
    db.exec(
        "UPDATE fund_plans SET approved_fen = $1, status = $2 WHERE month = $3 AND region = $4",
        &[
            Val::I64(approved.fen()),
            Val::Str(status),
            Val::I64(month.yyyymm() as i64),
            Val::I64(region.get() as i64),
        ],
    )?;
    Ok(())
}

/// A city's or county's plan of the month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionPlan {
    pub region: RegionCode,
    pub level: Level,
    pub planned: Fen,
    pub approved: Option<Fen>,
}

/// The plans of the month's cities and counties, by region code.
pub fn region_plans(db: &mut Db, month: Period) -> Result<Vec<RegionPlan>> {
    let rows = db.query(
        "SELECT region, level, planned_fen, approved_fen FROM fund_plans WHERE month = $1 AND level <> 'province' ORDER BY region",
        &[Val::I64(month.yyyymm() as i64)],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(RegionPlan {
            region: region(r[0].i64()?)?,
            level: level(r[1].text()?)?,
            planned: Fen::new(r[2].i64()?),
            approved: r[3].opt_i64()?.map(Fen::new),
        });
    }
    Ok(out)
}

/// Planned and approved (0 while undecided) amounts of the month's cities and the province.
pub fn upper_plans(db: &mut Db, month: Period) -> Result<Vec<(u32, Fen, Fen)>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT region, level, planned_fen, COALESCE(approved_fen, 0) FROM fund_plans WHERE month = $1 AND level <> 'county'",
        &[Val::I64(month.yyyymm() as i64)],
    )? {
        out.push((r[0].i64()? as u32, Fen::new(r[2].i64()?), Fen::new(r[3].i64()?)));
    }
    Ok(out)
}

/// An allocation made (province → city, or city → county).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allocation<'a> {
    pub month: Period,
    pub region: RegionCode,
    pub level: Level,
    pub amount: Fen,
    /// `YYYY-MM-DD`
    pub deadline: &'a str,
    /// `YYYY-MM-DD`
    pub done_on: &'a str,
    pub delay_days: i64,
    pub transfer_key: &'a str,
}

pub fn write_allocation(db: &mut Db, a: &Allocation<'_>) -> Result<()> {
    db.exec(
        "INSERT INTO allocations (month, region, level, amount_fen, deadline, done_on, delay_days, transfer_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            Val::I64(a.month.yyyymm() as i64),
            Val::I64(a.region.get() as i64),
            Val::Str(a.level.as_str()),
            Val::I64(a.amount.fen()),
            Val::Str(a.deadline),
            Val::Str(a.done_on),
            Val::I64(a.delay_days),
            Val::Str(a.transfer_key),
        ],
    )?;
    Ok(())
}

/// A missed deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Breach<'a> {
    pub month: Period,
    pub region: RegionCode,
    pub kind: &'a str,
    /// `YYYY-MM-DD`
    pub deadline: &'a str,
    /// `YYYY-MM-DD`
    pub happened_on: &'a str,
    pub delay_days: i64,
}

pub fn write_breach(db: &mut Db, b: &Breach<'_>) -> Result<()> {
    db.exec(
        "INSERT INTO breaches (month, region, kind, deadline, happened_on, delay_days) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            Val::I64(b.month.yyyymm() as i64),
            Val::I64(b.region.get() as i64),
            Val::Str(b.kind),
            Val::Str(b.deadline),
            Val::Str(b.happened_on),
            Val::I64(b.delay_days),
        ],
    )?;
    Ok(())
}

/// The month's allocations to cities: region, amount, days late.
pub fn city_allocations(db: &mut Db, month: Period) -> Result<Vec<(u32, Fen, i64)>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT region, amount_fen, delay_days FROM allocations WHERE month = $1 AND level = 'city'",
        &[Val::I64(month.yyyymm() as i64)],
    )? {
        out.push((r[0].i64()? as u32, Fen::new(r[1].i64()?), r[2].i64()?));
    }
    Ok(out)
}

/// The allocations to cities of the months of `year`, in order: (month, city, the day the
/// money reached it `YYYY-MM-DD`). The performance evaluation's timeliness reads them.
pub fn city_allocations_of_year(
    db: &mut Db,
    year: i32,
) -> Result<Vec<(Period, RegionCode, String)>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT month, region, done_on FROM allocations WHERE month >= $1 AND month <= $2 AND level = 'city' ORDER BY month, region",
        &[Val::I64(i64::from(year) * 100 + 1), Val::I64(i64::from(year) * 100 + 12)],
    )? {
        out.push((period(r[0].i64()?)?, region(r[1].i64()?)?, r[2].text()?.to_string()));
    }
    Ok(out)
}

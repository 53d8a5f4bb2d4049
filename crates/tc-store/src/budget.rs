//! Fund budgets (migration `0016_budget.sql`): the budget of a year and its adjustments, one
//! section per book with every version of its lines kept, and the chain's actions. The rules
//! (who may do what, in which order, the balance) are `tongchou-app::budget`'s.

use crate::{Db, Result, StoreError, Val};
use std::collections::BTreeMap;
use tongchou_core::{Fen, RegionCode};

/// A budget of a year: the original (number 0) or an adjustment.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Budget {
    pub id: i64,
    pub year: i32,
    pub number: i32,
    pub stage: String,
    pub created_by: i64,
    pub created_at: String,
    pub reason: String,
}

/// One book's section.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Section {
    pub region: RegionCode,
    pub status: String,
    pub version: i32,
    pub submitted_by: Option<i64>,
    pub updated_at: String,
}

/// One line of a section's version.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Line {
    pub item: String,
    pub amount: Fen,
    pub source: String,
    pub note: String,
}

/// One action of the chain.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Action {
    pub region: i64,
    pub action: String,
    pub user_id: i64,
    pub login: String,
    pub at: String,
    pub reason: String,
}

fn bad(what: &str) -> StoreError {
    crate::corrupt(format!("budget.{what}"), "")
}

fn int32(v: i64, what: &str) -> Result<i32> {
    i32::try_from(v).map_err(|_| bad(what))
}

fn budget_of(r: &crate::Row) -> Result<Budget> {
    Ok(Budget {
        id: r[0].i64()?,
        year: int32(r[1].i64()?, "year")?,
        number: int32(r[2].i64()?, "number")?,
        stage: r[3].text()?.to_string(),
        created_by: r[4].i64()?,
        created_at: r[5].text()?.to_string(),
        reason: r[6].text()?.to_string(),
    })
}

const BUDGET_COLS: &str = "id, year, number, stage, created_by, created_at, reason";

/// Every budget of a year, the original first.
pub fn budgets(db: &mut Db, year: i32) -> Result<Vec<Budget>> {
    let rows = db.query(
        &format!("SELECT {BUDGET_COLS} FROM budgets WHERE year = $1 ORDER BY number"),
        &[Val::I64(year as i64)],
    )?;
    rows.iter().map(budget_of).collect()
}

pub fn budget(db: &mut Db, id: i64) -> Result<Option<Budget>> {
    db.query_opt(
        &format!("SELECT {BUDGET_COLS} FROM budgets WHERE id = $1"),
        &[Val::I64(id)],
    )?
    .map(|r| budget_of(&r))
    .transpose()
}

pub fn create(db: &mut Db, b: &Budget) -> Result<()> {
    db.exec(
        "INSERT INTO budgets (id, year, number, stage, created_by, created_at, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            Val::I64(b.id),
            Val::I64(b.year as i64),
            Val::I64(b.number as i64),
            Val::Str(&b.stage),
            Val::I64(b.created_by),
            Val::Str(&b.created_at),
            Val::Str(&b.reason),
        ],
    )?;
    Ok(())
}

/// Move a budget from stage `from` to `to`; false when it was not at `from` (nothing changes).
pub fn set_stage(db: &mut Db, id: i64, from: &str, to: &str) -> Result<bool> {
    Ok(db.exec(
        "UPDATE budgets SET stage = $3 WHERE id = $1 AND stage = $2",
        &[Val::I64(id), Val::Str(from), Val::Str(to)],
    )? == 1)
}

/// Every section of a budget, by region.
pub fn sections(db: &mut Db, budget: i64) -> Result<BTreeMap<RegionCode, Section>> {
    let rows = db.query(
        "SELECT region, status, version, submitted_by, updated_at FROM budget_sections WHERE budget_id = $1",
        &[Val::I64(budget)],
    )?;
    rows.iter()
        .map(|r| {
            let region = RegionCode::from_stored(r[0].i64()?).ok_or_else(|| bad("region"))?;
            Ok((
                region,
                Section {
                    region,
                    status: r[1].text()?.to_string(),
                    version: int32(r[2].i64()?, "version")?,
                    submitted_by: r[3].opt_i64()?,
                    updated_at: r[4].text()?.to_string(),
                },
            ))
        })
        .collect()
}

/// Write a section's state (insert or replace).
pub fn put_section(db: &mut Db, budget: i64, s: &Section) -> Result<()> {
    db.exec(
        "INSERT INTO budget_sections (budget_id, region, status, version, submitted_by, updated_at) \
         VALUES ($1, $2, $3, $4, CAST($5 AS BIGINT), $6) \
         ON CONFLICT (budget_id, region) DO UPDATE SET status = excluded.status, version = excluded.version, \
         submitted_by = excluded.submitted_by, updated_at = excluded.updated_at",
        &[
            Val::I64(budget),
            Val::I64(s.region.get() as i64),
            Val::Str(&s.status),
            Val::I64(s.version as i64),
            s.submitted_by.map_or(Val::Null, Val::I64),
            Val::Str(&s.updated_at),
        ],
    )?;
    Ok(())
}

/// Write a version's lines (a new version: never an overwrite).
pub fn put_lines(
    db: &mut Db,
    budget: i64,
    region: RegionCode,
    version: i32,
    lines: &[Line],
) -> Result<()> {
    for l in lines {
        db.exec(
            "INSERT INTO budget_lines (budget_id, region, version, item, amount_fen, source, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                Val::I64(budget),
                Val::I64(region.get() as i64),
                Val::I64(version as i64),
                Val::Str(&l.item),
                Val::I64(l.amount.fen()),
                Val::Str(&l.source),
                Val::Str(&l.note),
            ],
        )?;
    }
    Ok(())
}

/// The lines of every section's current version: region → item → line.
pub fn current_lines(
    db: &mut Db,
    budget: i64,
) -> Result<BTreeMap<RegionCode, BTreeMap<String, Line>>> {
    let rows = db.query(
        "SELECT l.region, l.item, l.amount_fen, l.source, l.note FROM budget_lines l \
         JOIN budget_sections s ON s.budget_id = l.budget_id AND s.region = l.region AND s.version = l.version \
         WHERE l.budget_id = $1",
        &[Val::I64(budget)],
    )?;
    let mut out: BTreeMap<RegionCode, BTreeMap<String, Line>> = BTreeMap::new();
    for r in &rows {
        let region = RegionCode::from_stored(r[0].i64()?).ok_or_else(|| bad("region"))?;
        let item = r[1].text()?.to_string();
        out.entry(region).or_default().insert(
            item.clone(),
            Line {
                item,
                amount: Fen::new(r[2].i64()?),
                source: r[3].text()?.to_string(),
                note: r[4].text()?.to_string(),
            },
        );
    }
    Ok(out)
}

/// The lines of one version of a section.
pub fn version_lines(
    db: &mut Db,
    budget: i64,
    region: RegionCode,
    version: i32,
) -> Result<Vec<Line>> {
    let rows = db.query(
        "SELECT item, amount_fen, source, note FROM budget_lines WHERE budget_id = $1 AND region = $2 AND version = $3 ORDER BY item",
        &[Val::I64(budget), Val::I64(region.get() as i64), Val::I64(version as i64)],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Line {
                item: r[0].text()?.to_string(),
                amount: Fen::new(r[1].i64()?),
                source: r[2].text()?.to_string(),
                note: r[3].text()?.to_string(),
            })
        })
        .collect()
}

pub fn add_action(db: &mut Db, budget: i64, region: RegionCode, a: &Action) -> Result<()> {
    db.exec(
        "INSERT INTO budget_actions (id, seq, budget_id, region, action, user_id, login, at, reason) \
         VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM budget_actions), $2, $3, $4, $5, $6, $7, $8)",
        &[
            Val::I64(crate::closing::new_id()?),
            Val::I64(budget),
            Val::I64(region.get() as i64),
            Val::Str(&a.action),
            Val::I64(a.user_id),
            Val::Str(&a.login),
            Val::Str(&a.at),
            Val::Str(&a.reason),
        ],
    )?;
    Ok(())
}

/// The actions of a budget, oldest first.
pub fn actions(db: &mut Db, budget: i64) -> Result<Vec<Action>> {
    let rows = db.query(
        "SELECT region, action, user_id, login, at, reason FROM budget_actions WHERE budget_id = $1 ORDER BY seq",
        &[Val::I64(budget)],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Action {
                region: r[0].i64()?,
                action: r[1].text()?.to_string(),
                user_id: r[2].i64()?,
                login: r[3].text()?.to_string(),
                at: r[4].text()?.to_string(),
                reason: r[5].text()?.to_string(),
            })
        })
        .collect()
}

/// The months of a year in which the ledger booked contribution collections (to annualize a
/// year that ran only some months).
pub fn collection_months(db: &mut Db, year: i32) -> Result<i64> {
    let lo = year as i64 * 10000;
    db.query_i64(
        "SELECT count(DISTINCT value_date / 100) FROM ledger_transfer WHERE category = 'contribution' AND value_date > $1 AND value_date < $2",
        &[Val::I64(lo), Val::I64(lo + 10000)],
    )
}

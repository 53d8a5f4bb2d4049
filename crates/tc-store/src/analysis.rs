//! Quarterly budget-execution analyses (migration 0044): per quarter and region the current
//! state (`analyses`), every version's lines (`analysis_lines`, never overwritten), every action
//! (`analysis_actions`) and the late submissions (`analysis_lates`). The rules are in
//! `tongchou-app::analysis`. A quarter is stored as `YYYYQ` (20213: the third quarter of 2021).

use crate::{Db, Result, Val};
use std::collections::BTreeMap;
use tongchou_core::{Fen, RegionCode};

fn region(v: i64) -> Result<RegionCode> {
    RegionCode::from_stored(v).ok_or_else(|| crate::corrupt("region", v))
}

fn rv(r: RegionCode) -> Val<'static> {
    Val::I64(i64::from(r.get()))
}

/// A quarter's key: `YYYYQ`.
pub fn quarter_key(year: i32, quarter: u8) -> i64 {
    i64::from(year) * 10 + i64::from(quarter)
}

/// An analysis's current state.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct State {
    pub region: RegionCode,
    /// draft | submitted | returned | accepted
    pub status: String,
    pub version: i64,
    /// `YYYY-MM-DD`
    pub due_on: String,
    pub updated_at: String,
}

/// One line of a version.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Line {
    /// The item's key (data/budget-items.toml).
    pub item: String,
    pub budget: Fen,
    pub executed: Fen,
    pub expected: Fen,
    /// The deviation as a decimal ("-0.1234"), "" without an expectation.
    pub deviation: String,
    pub beyond: bool,
    pub explanation: String,
}

/// An action of the chain.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Action {
    pub version: i64,
    pub action: String,
    pub user_id: i64,
    pub login: String,
    pub at: String,
    pub reason: String,
}

/// A late submission.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Late {
    pub version: i64,
    pub due_on: String,
    pub submitted_on: String,
    pub days_late: i64,
}

/// The states of a quarter's analyses, by region.
pub fn states(db: &mut Db, quarter: i64) -> Result<BTreeMap<RegionCode, State>> {
    let mut out = BTreeMap::new();
    for r in db.query(
        "SELECT region, status, version, due_on, updated_at FROM analyses WHERE quarter = $1",
        &[Val::I64(quarter)],
    )? {
        let s = State {
            region: region(r[0].i64()?)?,
            status: r[1].text()?.to_string(),
            version: r[2].i64()?,
            due_on: r[3].text()?.to_string(),
            updated_at: r[4].text()?.to_string(),
        };
        out.insert(s.region, s);
    }
    Ok(out)
}

/// One region's state (None before its first draft).
pub fn state(db: &mut Db, quarter: i64, r: RegionCode) -> Result<Option<State>> {
    Ok(states(db, quarter)?.remove(&r))
}

/// Set a region's state (insert or replace).
pub fn put_state(db: &mut Db, quarter: i64, s: &State) -> Result<()> {
    db.exec(
        "INSERT INTO analyses (quarter, region, status, version, due_on, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (quarter, region) DO UPDATE SET status = excluded.status, version = excluded.version, \
         due_on = excluded.due_on, updated_at = excluded.updated_at",
        &[
            Val::I64(quarter),
            rv(s.region),
            Val::Str(&s.status),
            Val::I64(s.version),
            Val::Str(&s.due_on),
            Val::Str(&s.updated_at),
        ],
    )?;
    Ok(())
}

/// Write a version's lines.
pub fn write_lines(
    db: &mut Db,
    quarter: i64,
    r: RegionCode,
    version: i64,
    lines: &[Line],
) -> Result<()> {
    for l in lines {
        db.exec(
            "INSERT INTO analysis_lines (quarter, region, version, item, budget_fen, executed_fen, expected_fen, \
             deviation, beyond, explanation) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                Val::I64(quarter),
                rv(r),
                Val::I64(version),
                Val::Str(&l.item),
                Val::I64(l.budget.fen()),
                Val::I64(l.executed.fen()),
                Val::I64(l.expected.fen()),
                Val::Str(&l.deviation),
                Val::I64(i64::from(l.beyond)),
                Val::Str(&l.explanation),
            ],
        )?;
    }
    Ok(())
}

/// A version's lines, in the order of the items' keys.
pub fn lines(db: &mut Db, quarter: i64, r: RegionCode, version: i64) -> Result<Vec<Line>> {
    let mut out = Vec::new();
    for row in db.query(
        "SELECT item, budget_fen, executed_fen, expected_fen, deviation, beyond, explanation FROM analysis_lines \
         WHERE quarter = $1 AND region = $2 AND version = $3 ORDER BY item",
        &[Val::I64(quarter), rv(r), Val::I64(version)],
    )? {
        out.push(Line {
            item: row[0].text()?.to_string(),
            budget: Fen::new(row[1].i64()?),
            executed: Fen::new(row[2].i64()?),
            expected: Fen::new(row[3].i64()?),
            deviation: row[4].text()?.to_string(),
            beyond: row[5].i64()? == 1,
            explanation: row[6].text()?.to_string(),
        });
    }
    Ok(out)
}

/// Append an action (numbered in order within the analysis).
pub fn add_action(db: &mut Db, quarter: i64, r: RegionCode, a: &Action) -> Result<()> {
    let seq = db.query_i64(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM analysis_actions WHERE quarter = $1 AND region = $2",
        &[Val::I64(quarter), rv(r)],
    )?;
    db.exec(
        "INSERT INTO analysis_actions (quarter, region, seq, version, action, user_id, login, at, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            Val::I64(quarter),
            rv(r),
            Val::I64(seq),
            Val::I64(a.version),
            Val::Str(&a.action),
            Val::I64(a.user_id),
            Val::Str(&a.login),
            Val::Str(&a.at),
            Val::Str(&a.reason),
        ],
    )?;
    Ok(())
}

/// The analysis's actions, oldest first.
pub fn actions(db: &mut Db, quarter: i64, r: RegionCode) -> Result<Vec<Action>> {
    let mut out = Vec::new();
    for row in db.query(
        "SELECT version, action, user_id, login, at, reason FROM analysis_actions \
         WHERE quarter = $1 AND region = $2 ORDER BY seq",
        &[Val::I64(quarter), rv(r)],
    )? {
        out.push(Action {
            version: row[0].i64()?,
            action: row[1].text()?.to_string(),
            user_id: row[2].i64()?,
            login: row[3].text()?.to_string(),
            at: row[4].text()?.to_string(),
            reason: row[5].text()?.to_string(),
        });
    }
    Ok(out)
}

/// Record a late submission.
pub fn add_late(db: &mut Db, quarter: i64, r: RegionCode, l: &Late) -> Result<()> {
    db.exec(
        "INSERT INTO analysis_lates (quarter, region, version, due_on, submitted_on, days_late) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            Val::I64(quarter),
            rv(r),
            Val::I64(l.version),
            Val::Str(&l.due_on),
            Val::Str(&l.submitted_on),
            Val::I64(l.days_late),
        ],
    )?;
    Ok(())
}

/// The analysis's late submissions, by version.
pub fn lates(db: &mut Db, quarter: i64, r: RegionCode) -> Result<Vec<Late>> {
    let mut out = Vec::new();
    for row in db.query(
        "SELECT version, due_on, submitted_on, days_late FROM analysis_lates \
         WHERE quarter = $1 AND region = $2 ORDER BY version",
        &[Val::I64(quarter), rv(r)],
    )? {
        out.push(Late {
            version: row[0].i64()?,
            due_on: row[1].text()?.to_string(),
            submitted_on: row[2].text()?.to_string(),
            days_late: row[3].i64()?,
        });
    }
    Ok(out)
}

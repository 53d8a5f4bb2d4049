//! Recovery cases (`recovery_cases`, migration 0007) and what ends them (`recovery_movements`,
//! migration 0026): repayments and write-offs. The use cases are `tongchou_app::recoveries`.

use crate::benefits::period_of;
use crate::{Db, Result, StoreError, Val};
use tongchou_core::{Fen, Period};

/// A recovery case with what has come back of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub person: i64,
    pub id: i64,
    /// paid_after_death, duplicate_receipt or correction
    pub kind: String,
    pub county: u32,
    /// The month paid too much.
    pub month: Period,
    pub amount: Fen,
    /// open, recovered or written_off
    pub status: String,
    pub source: String,
    /// Repaid and deducted from pensions.
    pub repaid: Fen,
    pub written_off: Fen,
    /// Movements so far (the next one is `movements + 1`).
    pub movements: i64,
}

impl Case {
    /// What is still to recover.
    pub fn remaining(&self) -> Fen {
        Fen::new((self.amount.fen() - self.repaid.fen() - self.written_off.fen()).max(0))
    }
}

const CASE_SQL: &str = "SELECT c.person_id, c.id, c.kind, c.county, c.month, c.amount_fen, c.status, c.source, \
     COALESCE((SELECT CAST(SUM(m.amount_fen) AS BIGINT) FROM recovery_movements m WHERE m.person_id = c.person_id AND m.case_id = c.id AND m.kind IN ('repayment', 'deduction')), 0), \
     COALESCE((SELECT CAST(SUM(m.amount_fen) AS BIGINT) FROM recovery_movements m WHERE m.person_id = c.person_id AND m.case_id = c.id AND m.kind = 'write_off'), 0), \
     (SELECT count(*) FROM recovery_movements m WHERE m.person_id = c.person_id AND m.case_id = c.id) \
     FROM recovery_cases c";

fn case_of(r: &[crate::Value]) -> Result<Case> {
    Ok(Case {
        person: r[0].i64()?,
        id: r[1].i64()?,
        kind: r[2].text()?.to_string(),
        county: u32::try_from(r[3].i64()?)
            .map_err(|_| StoreError::Invalid("recovery case county".into()))?,
        month: period_of(r[4].i64()?)?,
        amount: Fen::new(r[5].i64()?),
        status: r[6].text()?.to_string(),
        source: r[7].text()?.to_string(),
        repaid: Fen::new(r[8].i64()?),
        written_off: Fen::new(r[9].i64()?),
        movements: r[10].i64()?,
    })
}

/// One case.
pub fn case(db: &mut Db, person: i64, id: i64) -> Result<Option<Case>> {
    let rows = db.query(
        &format!("{CASE_SQL} WHERE c.person_id = $1 AND c.id = $2"),
        &[Val::I64(person), Val::I64(id)],
    )?;
    rows.first().map(|r| case_of(r)).transpose()
}

/// The cases of a county (all counties when `None`), open ones first, by person.
pub fn cases(db: &mut Db, county: Option<u32>) -> Result<Vec<Case>> {
    let rows = match county {
        Some(c) => db.query(
            &format!("{CASE_SQL} WHERE c.county = $1 ORDER BY c.status, c.person_id, c.id"),
            &[Val::I64(c as i64)],
        )?,
        None => db.query(
            &format!("{CASE_SQL} ORDER BY c.status, c.county, c.person_id, c.id"),
            &[],
        )?,
    };
    rows.iter().map(|r| case_of(r)).collect()
}

/// A movement to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Movement<'a> {
    pub person: i64,
    pub case_id: i64,
    pub seq: i64,
    /// repayment or write_off
    pub kind: &'a str,
    pub amount: Fen,
    pub on_date: &'a str,
    pub reference: &'a str,
    pub ledger_key: Option<&'a str>,
    pub approval_id: Option<i64>,
    pub recorded_by: &'a str,
    pub recorded_at: &'a str,
}

/// Write a movement (its sequence number makes a concurrent second writer fail on the key).
pub fn add_movement(db: &mut Db, m: &Movement<'_>) -> Result<()> {
    db.exec(
        "INSERT INTO recovery_movements (person_id, case_id, seq, kind, amount_fen, on_date, reference, ledger_key, approval_id, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CAST($9 AS BIGINT), $10, $11)",
        &[
            Val::I64(m.person),
            Val::I64(m.case_id),
            Val::I64(m.seq),
            Val::Str(m.kind),
            Val::I64(m.amount.fen()),
            Val::Str(m.on_date),
            Val::Str(m.reference),
            m.ledger_key.map(Val::Str).unwrap_or(Val::Null),
            m.approval_id.map(Val::I64).unwrap_or(Val::Null),
            Val::Str(m.recorded_by),
            Val::Str(m.recorded_at),
        ],
    )?;
    Ok(())
}

/// Set an open case's status (`recovered` or `written_off`).
pub fn close_case(db: &mut Db, person: i64, id: i64, status: &str) -> Result<()> {
    db.exec(
        "UPDATE recovery_cases SET status = $3 WHERE person_id = $1 AND id = $2 AND status = 'open'",
        &[Val::I64(person), Val::I64(id), Val::Str(status)],
    )?;
    Ok(())
}

/// The open cases with something left, of pensioners paid this month (active), oldest first per
/// person: what the payroll may deduct.
pub fn open_of_active_pensioners(db: &mut Db) -> Result<Vec<Case>> {
    let rows = db.query(
        &format!(
            "{CASE_SQL} WHERE c.status = 'open' AND EXISTS (SELECT 1 FROM pensioners n \
             WHERE n.person_id = c.person_id AND n.status = 'active') \
             ORDER BY c.person_id, c.opened_month, c.month, c.id"
        ),
        &[],
    )?;
    Ok(rows
        .iter()
        .map(|r| case_of(r))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter(|c| c.remaining().is_positive())
        .collect())
}

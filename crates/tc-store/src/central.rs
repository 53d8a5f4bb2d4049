//! The central adjustment fund's and national pooling's movements as the province books them
//! (`central_movements`, migration 0040; use case `tongchou_app::central`): one row per year,
//! kind and quarter, each the record of one ledger transfer written in the same transaction.

use crate::{Db, Result, Val};
use tongchou_core::{Date, Fen};

/// One recorded movement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Movement {
    pub year: i32,
    /// remittance, allocation, advance_paid, advance_received, settlement, pooling_remitted,
    /// pooling_received
    pub kind: String,
    /// 1-4 for an advance, 0 otherwise
    pub quarter: i64,
    /// signed for a settlement: + received from the centre, − paid to it
    pub amount: Fen,
    pub pensioners: Option<i64>,
    pub per_capita: Option<Fen>,
    pub value_date: Date,
    pub source_doc: String,
    pub transfer_key: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

const COLUMNS: &str = "year, kind, quarter, amount_fen, pensioners, per_capita_fen, value_date, \
                       source_doc, transfer_key, recorded_by, recorded_at";

fn of_row(r: &crate::Row) -> Result<Movement> {
    Ok(Movement {
        year: r[0].i64()? as i32,
        kind: r[1].text()?.to_string(),
        quarter: r[2].i64()?,
        amount: Fen::new(r[3].i64()?),
        pensioners: r[4].opt_i64()?,
        per_capita: r[5].opt_i64()?.map(Fen::new),
        value_date: crate::benefits::date_of(r[6].text()?)?,
        source_doc: r[7].text()?.to_string(),
        transfer_key: r[8].text()?.to_string(),
        recorded_by: r[9].text()?.to_string(),
        recorded_at: r[10].text()?.to_string(),
    })
}

/// The movements of `year`, in the order of kind and quarter as recorded.
pub fn movements(db: &mut Db, year: i32) -> Result<Vec<Movement>> {
    db.query(
        &format!(
            "SELECT {COLUMNS} FROM central_movements WHERE year = $1 ORDER BY value_date, kind, quarter"
        ),
        &[Val::I64(year as i64)],
    )?
    .iter()
    .map(of_row)
    .collect()
}

/// The movement of `year`, `kind` and `quarter`, if recorded.
pub fn movement(db: &mut Db, year: i32, kind: &str, quarter: i64) -> Result<Option<Movement>> {
    db.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM central_movements WHERE year = $1 AND kind = $2 AND quarter = $3"
        ),
        &[Val::I64(year as i64), Val::Str(kind), Val::I64(quarter)],
    )?
    .as_ref()
    .map(of_row)
    .transpose()
}

/// Record a movement (inside the caller's transaction, with its ledger transfer).
pub fn insert_movement(db: &mut Db, m: &Movement) -> Result<()> {
    let on = m.value_date.to_string();
    let opt = |v: Option<i64>| v.map_or(Val::Null, Val::I64);
    db.exec(
        &format!(
            "INSERT INTO central_movements ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, CAST($5 AS BIGINT), CAST($6 AS BIGINT), $7, $8, $9, $10, $11)"
        ),
        &[
            Val::I64(m.year as i64),
            Val::Str(&m.kind),
            Val::I64(m.quarter),
            Val::I64(m.amount.fen()),
            opt(m.pensioners),
            opt(m.per_capita.map(Fen::fen)),
            Val::Str(&on),
            Val::Str(&m.source_doc),
            Val::Str(&m.transfer_key),
            Val::Str(&m.recorded_by),
            Val::Str(&m.recorded_at),
        ],
    )?;
    Ok(())
}

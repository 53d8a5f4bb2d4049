//! Transfers of the pension relationship between provinces (migration 0031;
//! `tongchou_app::transfer`): the transfers out and in, a person's paid months from the
//! collection closes, and the updates of a person's record that a transfer makes.
//!
//! The transactions belong to the callers; every function runs inside whichever is open.

use crate::{Db, Result, Row, Val};

/// One transfer, out or in.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Transfer {
    pub id: i64,
    /// out or in
    pub direction: String,
    pub person_id: i64,
    pub id_number: String,
    pub other_province: i64,
    pub transfer_date: String,
    pub paid_months: i64,
    pub balance_fen: i64,
    pub pooling_fen: i64,
    pub total_fen: i64,
    pub received_fen: Option<i64>,
    /// done or held
    pub status: String,
    pub certificate: String,
    pub certificate_sha: String,
    pub ledger_key: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

const COLS: &str = "id, direction, person_id, id_number, other_province, transfer_date, paid_months, balance_fen, pooling_fen, total_fen, received_fen, status, certificate, certificate_sha, ledger_key, created_by, created_at";

fn of(r: &Row) -> Result<Transfer> {
    Ok(Transfer {
        id: r[0].i64()?,
        direction: r[1].text()?.to_string(),
        person_id: r[2].i64()?,
        id_number: r[3].text()?.to_string(),
        other_province: r[4].i64()?,
        transfer_date: r[5].text()?.to_string(),
        paid_months: r[6].i64()?,
        balance_fen: r[7].i64()?,
        pooling_fen: r[8].i64()?,
        total_fen: r[9].i64()?,
        received_fen: r[10].opt_i64()?,
        status: r[11].text()?.to_string(),
        certificate: r[12].text()?.to_string(),
        certificate_sha: r[13].text()?.to_string(),
        ledger_key: r[14].opt_text()?.map(str::to_string),
        created_by: r[15].text()?.to_string(),
        created_at: r[16].text()?.to_string(),
    })
}

pub fn insert(db: &mut Db, t: &Transfer) -> Result<()> {
    db.exec(
        &format!("INSERT INTO transfers ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CAST($11 AS BIGINT), $12, $13, $14, $15, $16, $17)"),
        &[
            Val::I64(t.id),
            Val::Str(&t.direction),
            Val::I64(t.person_id),
            Val::Str(&t.id_number),
            Val::I64(t.other_province),
            Val::Str(&t.transfer_date),
            Val::I64(t.paid_months),
            Val::I64(t.balance_fen),
            Val::I64(t.pooling_fen),
            Val::I64(t.total_fen),
            t.received_fen.map_or(Val::Null, Val::I64),
            Val::Str(&t.status),
            Val::Str(&t.certificate),
            Val::Str(&t.certificate_sha),
            t.ledger_key.as_deref().map_or(Val::Null, Val::Str),
            Val::Str(&t.created_by),
            Val::Str(&t.created_at),
        ],
    )?;
    Ok(())
}

/// The transfer of a certificate already read or issued (same direction and SHA-256).
pub fn by_certificate(db: &mut Db, direction: &str, sha: &str) -> Result<Option<Transfer>> {
    db.query_opt(
        &format!("SELECT {COLS} FROM transfers WHERE direction = $1 AND certificate_sha = $2"),
        &[Val::Str(direction), Val::Str(sha)],
    )?
    .map(|r| of(&r))
    .transpose()
}

/// Every transfer, of one status or all, oldest first.
pub fn list(db: &mut Db, status: Option<&str>) -> Result<Vec<Transfer>> {
    db.query(
        &format!("SELECT {COLS} FROM transfers WHERE (CAST($1 AS TEXT) IS NULL OR status = $1) ORDER BY created_at, id"),
        &[status.map_or(Val::Null, Val::Str)],
    )?
    .iter()
    .map(of)
    .collect()
}

/// The months the collection closes assessed for a person and that are not open arrears, with
/// their contribution base: (yyyymm, base).
pub fn paid_periods(db: &mut Db, person: i64) -> Result<Vec<(i64, i64)>> {
    db.query(
        "SELECT a.period, a.base_fen FROM assessments a WHERE a.person_id = $1
         AND NOT EXISTS (SELECT 1 FROM arrears r WHERE r.person_id = a.person_id AND r.period = a.period)
         ORDER BY a.period",
        &[Val::I64(person)],
    )?
    .iter()
    .map(|r| Ok((r[0].i64()?, r[1].i64()?)))
    .collect()
}

/// A person leaves the province: status transferred out from `on`.
pub fn close_person(db: &mut Db, person: i64, on: &str) -> Result<bool> {
    let n = db.exec(
        "UPDATE persons SET status = 'transferred_out', status_since = $2, version = version + 1 WHERE id = $1 AND status IN ('active', 'suspended')",
        &[Val::I64(person), Val::Str(on)],
    )?;
    Ok(n == 1)
}

/// Add the months and balance a certificate brings to a person's record, the average index
/// becoming `avg_index`.
pub fn add_to_person(
    db: &mut Db,
    person: i64,
    paid_months: i64,
    deemed_months: i64,
    avg_index: i64,
    balance_fen: i64,
) -> Result<bool> {
    let n = db.exec(
        "UPDATE persons SET paid_months = paid_months + $2, deemed_months = deemed_months + $3, avg_index = $4, balance_fen = balance_fen + $5, version = version + 1 WHERE id = $1",
        &[
            Val::I64(person),
            Val::I64(paid_months),
            Val::I64(deemed_months),
            Val::I64(avg_index),
            Val::I64(balance_fen),
        ],
    )?;
    Ok(n == 1)
}

/// Add a year of contributions to a person's history (months and credits add up; the base
/// becomes the months-weighted average).
pub fn add_year(db: &mut Db, y: &crate::migration::YearRow, source: &str) -> Result<()> {
    db.exec(
        "INSERT INTO contribution_years (person_id, year, months, base_fen, idx, credited_fen, source) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (person_id, year) DO UPDATE SET
           base_fen = (contribution_years.base_fen * contribution_years.months + excluded.base_fen * excluded.months) / (contribution_years.months + excluded.months),
           idx = (contribution_years.idx * contribution_years.months + excluded.idx * excluded.months) / (contribution_years.months + excluded.months),
           months = contribution_years.months + excluded.months,
           credited_fen = contribution_years.credited_fen + excluded.credited_fen",
        &[
            Val::I64(y.person_id),
            Val::I64(y.year),
            Val::I64(y.months),
            Val::I64(y.base_fen),
            Val::I64(y.idx),
            Val::I64(y.credited_fen),
            Val::Str(source),
        ],
    )?;
    Ok(())
}

/// What a transfer reads of a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonSummary {
    pub id: i64,
    pub name: String,
    pub category: String,
    pub status: String,
    pub paid_months: i64,
    pub deemed_months: i64,
    pub avg_index: i64,
    pub balance_fen: i64,
    /// Whether a pensioner row exists (someone drawing, or who drew, a pension).
    pub pensioner: bool,
}

/// The person with this ID number, if registered.
pub fn person(db: &mut Db, id_number: &str) -> Result<Option<PersonSummary>> {
    db.query_opt(
        "SELECT p.id, p.name, p.category, p.status, p.paid_months, p.deemed_months, p.avg_index, p.balance_fen,
                (SELECT count(*) FROM pensioners r WHERE r.person_id = p.id)
         FROM person_ids i JOIN persons p ON p.id = i.person_id WHERE i.id_number = $1",
        &[Val::Str(id_number)],
    )?
    .map(|r| {
        Ok(PersonSummary {
            id: r[0].i64()?,
            name: r[1].text()?.to_string(),
            category: r[2].text()?.to_string(),
            status: r[3].text()?.to_string(),
            paid_months: r[4].i64()?,
            deemed_months: r[5].i64()?,
            avg_index: r[6].i64()?,
            balance_fen: r[7].i64()?,
            pensioner: r[8].i64()? > 0,
        })
    })
    .transpose()
}

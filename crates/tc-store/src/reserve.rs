//! The provincial pension reserve fund's register (养老保险储备基金, migration 0040; use case
//! `tongchou_app::reserve`): the state-owned equity transferred to it (`reserve_holdings`), the
//! returns collected into it (`reserve_returns`) and its uses covering a year's gap, each with
//! its maker–checker approval (`reserve_uses`). Every booked row names its ledger unit.

use crate::benefits::date_of;
use crate::{Db, Result, Row, Val};
use tongchou_core::{Date, Fen};

/// Transferred equity (划转国有股权).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holding {
    pub id: i64,
    pub enterprise: String,
    pub credit_code: String,
    /// the share of the enterprise's equity held, a decimal ratio ("0.1")
    pub share: String,
    pub book_value: Fen,
    pub transfer_date: Date,
    pub lockup_end: Date,
    pub source_doc: String,
    /// held or sold
    pub status: String,
    pub sold_on: Option<Date>,
    pub proceeds: Option<Fen>,
    pub transfer_key: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// A dividend or other return collected into the fund.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Return {
    pub id: i64,
    pub holding_id: i64,
    /// dividend or other
    pub kind: String,
    pub amount: Fen,
    pub received_on: Date,
    pub reference: String,
    pub transfer_key: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// A use of the fund covering a year's gap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Use {
    pub id: i64,
    pub year: i32,
    pub amount: Fen,
    /// a sale of this holding for `proceeds` first
    pub holding_id: Option<i64>,
    pub proceeds: Option<Fen>,
    pub reason: String,
    pub reference: String,
    pub approval_id: i64,
    /// pending, approved or rejected
    pub status: String,
    pub recorded_by: String,
    pub recorded_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub value_date: Option<Date>,
    pub transfer_key: Option<String>,
}

fn opt_date(s: Option<&str>) -> Result<Option<Date>> {
    s.map(date_of).transpose()
}

/// The register's tables, for [`next_id`].
#[derive(Clone, Copy, Debug)]
pub enum Table {
    Holdings,
    Returns,
    Uses,
}

/// The next id of a table (1, 2, …): the callers write inside a transaction, and a concurrent
/// writer of the same id fails on the primary key and retries.
pub fn next_id(db: &mut Db, table: Table) -> Result<i64> {
    let t = match table {
        Table::Holdings => "reserve_holdings",
        Table::Returns => "reserve_returns",
        Table::Uses => "reserve_uses",
    };
    db.query_i64(&format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {t}"), &[])
}

const HOLDING: &str = "id, enterprise, credit_code, share, book_value_fen, transfer_date, lockup_end, \
     source_doc, status, sold_on, proceeds_fen, transfer_key, recorded_by, recorded_at";

fn holding_of(r: &Row) -> Result<Holding> {
    Ok(Holding {
        id: r[0].i64()?,
        enterprise: r[1].text()?.to_string(),
        credit_code: r[2].text()?.to_string(),
        share: r[3].text()?.to_string(),
        book_value: Fen::new(r[4].i64()?),
        transfer_date: date_of(r[5].text()?)?,
        lockup_end: date_of(r[6].text()?)?,
        source_doc: r[7].text()?.to_string(),
        status: r[8].text()?.to_string(),
        sold_on: opt_date(r[9].opt_text()?)?,
        proceeds: r[10].opt_i64()?.map(Fen::new),
        transfer_key: r[11].text()?.to_string(),
        recorded_by: r[12].text()?.to_string(),
        recorded_at: r[13].text()?.to_string(),
    })
}

/// Every holding, by id.
pub fn holdings(db: &mut Db) -> Result<Vec<Holding>> {
    db.query(
        &format!("SELECT {HOLDING} FROM reserve_holdings ORDER BY id"),
        &[],
    )?
    .iter()
    .map(holding_of)
    .collect()
}

/// One holding by id.
pub fn holding(db: &mut Db, id: i64) -> Result<Option<Holding>> {
    let sql = format!("SELECT {HOLDING} FROM reserve_holdings WHERE id = $1");
    db.query_opt(&sql, &[Val::I64(id)])?
        .as_ref()
        .map(holding_of)
        .transpose()
}

/// The holding of an enterprise transferred on a day, if registered.
pub fn holding_by_transfer(db: &mut Db, credit_code: &str, on: Date) -> Result<Option<Holding>> {
    let sql = format!(
        "SELECT {HOLDING} FROM reserve_holdings WHERE credit_code = $1 AND transfer_date = $2"
    );
    let on = on.to_string();
    db.query_opt(&sql, &[Val::Str(credit_code), Val::Str(&on)])?
        .as_ref()
        .map(holding_of)
        .transpose()
}

/// Register a holding (inside the caller's transaction).
pub fn insert_holding(db: &mut Db, h: &Holding) -> Result<()> {
    let id = h.id;
    let (t, l) = (h.transfer_date.to_string(), h.lockup_end.to_string());
    db.exec(
        &format!(
            "INSERT INTO reserve_holdings ({HOLDING}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'held', NULL, NULL, $9, $10, $11)"
        ),
        &[
            Val::I64(id),
            Val::Str(&h.enterprise),
            Val::Str(&h.credit_code),
            Val::Str(&h.share),
            Val::I64(h.book_value.fen()),
            Val::Str(&t),
            Val::Str(&l),
            Val::Str(&h.source_doc),
            Val::Str(&h.transfer_key),
            Val::Str(&h.recorded_by),
            Val::Str(&h.recorded_at),
        ],
    )?;
    Ok(())
}

/// Mark a held holding sold; false when it was not held.
pub fn set_sold(db: &mut Db, id: i64, on: Date, proceeds: Fen) -> Result<bool> {
    let on = on.to_string();
    let n = db.exec(
        "UPDATE reserve_holdings SET status = 'sold', sold_on = $2, proceeds_fen = $3 \
         WHERE id = $1 AND status = 'held'",
        &[Val::I64(id), Val::Str(&on), Val::I64(proceeds.fen())],
    )?;
    Ok(n == 1)
}

const RETURN: &str = "id, holding_id, kind, amount_fen, received_on, reference, transfer_key, \
     recorded_by, recorded_at";

fn return_of(r: &Row) -> Result<Return> {
    Ok(Return {
        id: r[0].i64()?,
        holding_id: r[1].i64()?,
        kind: r[2].text()?.to_string(),
        amount: Fen::new(r[3].i64()?),
        received_on: date_of(r[4].text()?)?,
        reference: r[5].text()?.to_string(),
        transfer_key: r[6].text()?.to_string(),
        recorded_by: r[7].text()?.to_string(),
        recorded_at: r[8].text()?.to_string(),
    })
}

/// Every return, by id.
pub fn returns(db: &mut Db) -> Result<Vec<Return>> {
    db.query(
        &format!("SELECT {RETURN} FROM reserve_returns ORDER BY id"),
        &[],
    )?
    .iter()
    .map(return_of)
    .collect()
}

/// The return recorded with a voucher, if any.
pub fn return_by_reference(db: &mut Db, reference: &str) -> Result<Option<Return>> {
    let sql = format!("SELECT {RETURN} FROM reserve_returns WHERE reference = $1");
    db.query_opt(&sql, &[Val::Str(reference)])?
        .as_ref()
        .map(return_of)
        .transpose()
}

/// Record a return (inside the caller's transaction).
pub fn insert_return(db: &mut Db, r: &Return) -> Result<()> {
    let id = r.id;
    let on = r.received_on.to_string();
    db.exec(
        &format!(
            "INSERT INTO reserve_returns ({RETURN}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ),
        &[
            Val::I64(id),
            Val::I64(r.holding_id),
            Val::Str(&r.kind),
            Val::I64(r.amount.fen()),
            Val::Str(&on),
            Val::Str(&r.reference),
            Val::Str(&r.transfer_key),
            Val::Str(&r.recorded_by),
            Val::Str(&r.recorded_at),
        ],
    )?;
    Ok(())
}

const USE: &str = "id, year, amount_fen, holding_id, proceeds_fen, reason, reference, approval_id, \
     status, recorded_by, recorded_at, decided_by, decided_at, value_date, transfer_key";

fn use_of(r: &Row) -> Result<Use> {
    Ok(Use {
        id: r[0].i64()?,
        year: r[1].i64()? as i32,
        amount: Fen::new(r[2].i64()?),
        holding_id: r[3].opt_i64()?,
        proceeds: r[4].opt_i64()?.map(Fen::new),
        reason: r[5].text()?.to_string(),
        reference: r[6].text()?.to_string(),
        approval_id: r[7].i64()?,
        status: r[8].text()?.to_string(),
        recorded_by: r[9].text()?.to_string(),
        recorded_at: r[10].text()?.to_string(),
        decided_by: r[11].opt_text()?.map(str::to_string),
        decided_at: r[12].opt_text()?.map(str::to_string),
        value_date: opt_date(r[13].opt_text()?)?,
        transfer_key: r[14].opt_text()?.map(str::to_string),
    })
}

/// Every use, by id.
pub fn uses(db: &mut Db) -> Result<Vec<Use>> {
    db.query(&format!("SELECT {USE} FROM reserve_uses ORDER BY id"), &[])?
        .iter()
        .map(use_of)
        .collect()
}

/// The use an approval decides, if any.
pub fn use_by_approval(db: &mut Db, approval: i64) -> Result<Option<Use>> {
    let sql = format!("SELECT {USE} FROM reserve_uses WHERE approval_id = $1");
    db.query_opt(&sql, &[Val::I64(approval)])?
        .as_ref()
        .map(use_of)
        .transpose()
}

/// The use recorded with a reference, if any.
pub fn use_by_reference(db: &mut Db, reference: &str) -> Result<Option<Use>> {
    let sql = format!("SELECT {USE} FROM reserve_uses WHERE reference = $1");
    db.query_opt(&sql, &[Val::Str(reference)])?
        .as_ref()
        .map(use_of)
        .transpose()
}

/// What the approved uses of `year` add up to, with the pending ones when `pending_too`.
pub fn used_in_year(db: &mut Db, year: i32, pending_too: bool) -> Result<Fen> {
    let statuses = if pending_too {
        "('approved', 'pending')"
    } else {
        "('approved')"
    };
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM reserve_uses \
         WHERE year = $1 AND status IN {statuses}"
    );
    Ok(Fen::new(db.query_i64(&sql, &[Val::I64(year as i64)])?))
}

/// Record a pending use (inside the caller's transaction).
pub fn insert_use(db: &mut Db, u: &Use) -> Result<()> {
    let id = u.id;
    let opt = |v: Option<i64>| v.map_or(Val::Null, Val::I64);
    db.exec(
        &format!(
            "INSERT INTO reserve_uses ({USE}) \
             VALUES ($1, $2, $3, CAST($4 AS BIGINT), CAST($5 AS BIGINT), $6, $7, $8, 'pending', $9, $10, \
             NULL, NULL, NULL, NULL)"
        ),
        &[
            Val::I64(id),
            Val::I64(u.year as i64),
            Val::I64(u.amount.fen()),
            opt(u.holding_id),
            opt(u.proceeds.map(Fen::fen)),
            Val::Str(&u.reason),
            Val::Str(&u.reference),
            Val::I64(u.approval_id),
            Val::Str(&u.recorded_by),
            Val::Str(&u.recorded_at),
        ],
    )?;
    Ok(())
}

/// The decision of a pending use: approved (booked on `value_date` under `transfer_key`) or
/// rejected; false when it was no longer pending.
pub fn decide_use(
    db: &mut Db,
    id: i64,
    approved: bool,
    by: &str,
    at: &str,
    booked: Option<(Date, &str)>,
) -> Result<bool> {
    let on = booked.map(|(d, _)| d.to_string());
    let n = db.exec(
        "UPDATE reserve_uses SET status = $2, decided_by = $3, decided_at = $4, value_date = $5, \
         transfer_key = $6 WHERE id = $1 AND status = 'pending'",
        &[
            Val::I64(id),
            Val::Str(if approved { "approved" } else { "rejected" }),
            Val::Str(by),
            Val::Str(at),
            on.as_deref().map_or(Val::Null, Val::Str),
            booked.map_or(Val::Null, |(_, k)| Val::Str(k)),
        ],
    )?;
    Ok(n == 1)
}

//! Period close (结账, migration `0015_period_close.sql`): the lock each book's ledger carries
//! (`ledger_lock`: the last closed month; the ledger refuses new transfers of the book dated on or
//! before it, [`crate::StoreError::PeriodClosed`]), every close and reopen as an event, and the
//! reopenings asked for with their reason. The rules (the order of levels, who may, the
//! maker–checker approval of a reopening) are the use case's, `tongchou-app::close`.

use crate::{Backend, Db, Result, StoreError, Val};
use std::collections::HashMap;
use tongchou_core::{Period, RegionCode};

/// One close or reopen of a book's month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event<'a> {
    pub region: RegionCode,
    /// `county`, `city` or `province`.
    pub level: &'a str,
    pub period: Period,
    /// `month` or `year` (a year closes with its December).
    pub kind: &'a str,
    pub user_id: i64,
    pub login: &'a str,
    pub at: &'a str,
    /// The approval of a reopening.
    pub approval_id: Option<i64>,
    pub reason: &'a str,
}

/// A stored event.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EventRow {
    pub region: i64,
    pub level: String,
    pub period: String,
    pub kind: String,
    pub action: String,
    pub login: String,
    pub at: String,
    pub approval_id: Option<i64>,
    pub reason: String,
}

fn period_of(v: i64) -> Result<Period> {
    i32::try_from(v)
        .ok()
        .and_then(|v| Period::from_yyyymm(v).ok())
        .ok_or_else(|| crate::corrupt("ledger_lock.period", v))
}

/// Every book's last closed month (books that closed nothing are absent).
pub fn locks(db: &mut Db) -> Result<HashMap<i64, i32>> {
    let rows = db.query("SELECT region, closed_through FROM ledger_lock", &[])?;
    rows.iter()
        .map(|r| {
            let through = i32::try_from(r[1].i64()?)
                .map_err(|_| StoreError::Invalid("ledger_lock: closed_through".into()))?;
            Ok((r[0].i64()?, through))
        })
        .collect()
}

/// A book's last closed month.
pub fn closed_through(db: &mut Db, region: RegionCode) -> Result<Option<Period>> {
    db.query_opt(
        "SELECT closed_through FROM ledger_lock WHERE region = $1",
        &[Val::I64(region.get() as i64)],
    )?
    .map(|r| period_of(r[0].i64()?))
    .transpose()
}

/// Writers of the ledger lock the journal head first; a close or reopen updates it, so on
/// PostgreSQL a batch that began before the change fails its head lock and is retried (then
/// sees the change), and one that holds the head makes the change wait. SQLite's write lock
/// already orders them.
fn touch_head(db: &mut Db) -> Result<()> {
    if db.backend() == Backend::Postgres {
        db.exec("UPDATE ledger_head SET seq = seq WHERE id = 1", &[])?;
    }
    Ok(())
}

/// A fresh random id (see `access::random_id`) as a store result.
pub(crate) fn new_id() -> Result<i64> {
    crate::access::random_id().map_err(|e| StoreError::Backend(e.to_string()))
}

fn insert_event(db: &mut Db, e: &Event<'_>, action: &str) -> Result<()> {
    let id = new_id()?;
    db.exec(
        "INSERT INTO period_close_events (id, seq, region, level, period, kind, action, user_id, login, at, approval_id, reason) \
         VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM period_close_events), $2, $3, $4, $5, $6, $7, $8, $9, CAST($10 AS BIGINT), $11)",
        &[
            Val::I64(id),
            Val::I64(e.region.get() as i64),
            Val::Str(e.level),
            Val::I64(e.period.yyyymm() as i64),
            Val::Str(e.kind),
            Val::Str(action),
            Val::I64(e.user_id),
            Val::Str(e.login),
            Val::Str(e.at),
            e.approval_id.map_or(Val::Null, Val::I64),
            Val::Str(e.reason),
        ],
    )?;
    Ok(())
}

/// Close the book's months through `e.period` (call inside the use case's transaction).
pub fn close(db: &mut Db, e: &Event<'_>) -> Result<()> {
    touch_head(db)?;
    db.exec(
        "INSERT INTO ledger_lock (region, closed_through) VALUES ($1, $2) \
         ON CONFLICT (region) DO UPDATE SET closed_through = excluded.closed_through",
        &[
            Val::I64(e.region.get() as i64),
            Val::I64(e.period.yyyymm() as i64),
        ],
    )?;
    insert_event(db, e, "close")
}

/// Reopen the book's month `e.period` (and every later one): the book stays closed through the
/// month before. Call inside the use case's transaction, with the approval in `e`.
pub fn reopen(db: &mut Db, e: &Event<'_>) -> Result<()> {
    if e.approval_id.is_none() {
        return Err(StoreError::Invalid(
            "closing: a reopening needs its approval".into(),
        ));
    }
    touch_head(db)?;
    db.exec(
        "UPDATE ledger_lock SET closed_through = $2 WHERE region = $1",
        &[
            Val::I64(e.region.get() as i64),
            Val::I64(e.period.add_months(-1).yyyymm() as i64),
        ],
    )?;
    insert_event(db, e, "reopen")
}

/// The events of a book (or of every book), oldest first.
pub fn events(db: &mut Db, region: Option<RegionCode>) -> Result<Vec<EventRow>> {
    let rows = db.query(
        "SELECT region, level, period, kind, action, login, at, approval_id, reason \
         FROM period_close_events WHERE ($1 = 0 OR region = $1) ORDER BY seq",
        &[Val::I64(region.map_or(0, |r| r.get() as i64))],
    )?;
    rows.iter()
        .map(|r| {
            Ok(EventRow {
                region: r[0].i64()?,
                level: r[1].text()?.to_string(),
                period: period_of(r[2].i64()?)?.to_string(),
                kind: r[3].text()?.to_string(),
                action: r[4].text()?.to_string(),
                login: r[5].text()?.to_string(),
                at: r[6].text()?.to_string(),
                approval_id: r[7].opt_i64()?,
                reason: r[8].text()?.to_string(),
            })
        })
        .collect()
}

/// A reopening asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReopenRequest {
    pub approval_id: i64,
    pub region: RegionCode,
    pub period: Period,
    pub reason: String,
    pub requested_by: i64,
    pub applied: bool,
}

pub fn add_reopen_request(db: &mut Db, r: &ReopenRequest, at: &str) -> Result<()> {
    db.exec(
        "INSERT INTO period_reopen_requests (approval_id, region, period, reason, requested_by, requested_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            Val::I64(r.approval_id),
            Val::I64(r.region.get() as i64),
            Val::I64(r.period.yyyymm() as i64),
            Val::Str(&r.reason),
            Val::I64(r.requested_by),
            Val::Str(at),
        ],
    )?;
    Ok(())
}

pub fn reopen_request(db: &mut Db, approval_id: i64) -> Result<Option<ReopenRequest>> {
    let Some(r) = db.query_opt(
        "SELECT approval_id, region, period, reason, requested_by, applied_at \
         FROM period_reopen_requests WHERE approval_id = $1",
        &[Val::I64(approval_id)],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(ReopenRequest {
        approval_id: r[0].i64()?,
        region: RegionCode::from_stored(r[1].i64()?)
            .ok_or_else(|| StoreError::Invalid("period_reopen_requests: region".into()))?,
        period: period_of(r[2].i64()?)?,
        reason: r[3].text()?.to_string(),
        requested_by: r[4].i64()?,
        applied: r[5].opt_text()?.is_some(),
    }))
}

/// Mark a request applied; false when it already was (then nothing changes).
pub fn mark_applied(db: &mut Db, approval_id: i64, at: &str) -> Result<bool> {
    let n = db.exec(
        "UPDATE period_reopen_requests SET applied_at = $2 WHERE approval_id = $1 AND applied_at IS NULL",
        &[Val::I64(approval_id), Val::Str(at)],
    )?;
    Ok(n == 1)
}

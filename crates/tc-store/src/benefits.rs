//! The benefit tables (migrations `0007_benefits.sql` and `0009_survivor_claims.sql`) and what the
//! benefit use cases (`tongchou_app::benefits`) read from the registry and the collection tables:
//!
//! - this module: the one-off amounts the payroll pays (`benefit_dues`), the lock that serialises
//!   their writers with the payroll step ([`lock_dues`]), and recovery cases (`recovery_cases`);
//! - [`retirement`]: the persons' histories as a retirement reads them, retirement applications;
//! - [`pensions`]: pensions in force and their history (`pensions`, `pensioners`,
//!   `pension_explanations`), yearly adjustment runs, recomputations (`benefit_corrections`);
//! - [`deaths`]: death records, other payment rolls, the cross-checks' reads and writes, death
//!   settlements, survivors' claims, and the figures of the cross-check report.
//!
//! The transactions belong to the callers; every function runs inside whichever is open.

pub mod deaths;
pub mod pensions;
pub mod retirement;

use crate::{Backend, Db, Result, StoreError, Val};
use tongchou_core::{Date, Fen, Period};
use tongchou_engine::disbursement::Item;

/// A month as stored (INTEGER yyyymm).
pub(crate) fn ym(p: Period) -> Val<'static> {
    Val::I64(p.yyyymm() as i64)
}

/// A stored yyyymm month back as a [`Period`].
pub(crate) fn period_of(v: i64) -> Result<Period> {
    let v = i32::try_from(v).map_err(|_| crate::corrupt("period", v))?;
    Period::from_yyyymm(v).map_err(|e| StoreError::Invalid(e.0))
}

/// A stored county code (INTEGER) back as a `u32`.
pub(crate) fn county_of(v: i64) -> Result<u32> {
    u32::try_from(v).map_err(|_| crate::corrupt("county", v))
}

/// A stored `YYYY-MM-DD` back as a [`Date`].
pub(crate) fn date_of(s: &str) -> Result<Date> {
    s.parse()
        .map_err(|e: tongchou_core::period::DateError| StoreError::Invalid(e.0))
}

/// A stored count of months back as a `u32` (the error names `what`).
pub(crate) fn u32_of(v: i64, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| crate::corrupt(what, v))
}

/// Serialise the writers of `benefit_dues` with the payroll step that reads them, so a due is
/// never written for a month whose payroll has just run without it. Call it FIRST in the
/// transaction: on PostgreSQL (repeatable read) a transaction's snapshot is taken at its first
/// query, and a table lock taken before it makes that snapshot include every writer that
/// committed before; `writer` takes a self-conflicting mode (writers queue behind each other and
/// behind a payroll step), the payroll step a shared one. SQLite runs one writer at a time
/// already (`BEGIN IMMEDIATE`), so there is nothing to do.
pub fn lock_dues(db: &mut Db, writer: bool) -> Result<()> {
    if db.backend() == Backend::Postgres {
        db.batch(if writer {
            "LOCK TABLE benefit_dues IN SHARE ROW EXCLUSIVE MODE"
        } else {
            "LOCK TABLE benefit_dues IN SHARE MODE"
        })?;
    }
    Ok(())
}

/// One one-off amount for the payroll of `due_month`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDue<'a> {
    pub person: i64,
    /// What it comes from: `adjustment:YEAR`, `correction:ID`, `death`.
    pub source: &'a str,
    pub item: Item,
    pub due_month: Period,
    pub county: u32,
    pub amount: Fen,
    pub created_at: &'a str,
}

/// Write one due (one statement).
pub fn add_due(db: &mut Db, d: &NewDue<'_>) -> Result<()> {
    db.exec(
        "INSERT INTO benefit_dues (person_id, source, item, due_month, county, amount_fen, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            Val::I64(d.person),
            Val::Str(d.source),
            Val::Str(d.item.as_str()),
            ym(d.due_month),
            Val::I64(d.county as i64),
            Val::I64(d.amount.fen()),
            Val::Str(d.created_at),
        ],
    )?;
    Ok(())
}

/// Bulk-write dues of one source, item and month: `(person, county, amount)` each.
pub fn write_dues(
    db: &mut Db,
    source: &str,
    item: Item,
    due_month: Period,
    created_at: &str,
    dues: &[(i64, u32, Fen)],
) -> Result<u64> {
    db.bulk_insert(
        "benefit_dues",
        &[
            "person_id",
            "source",
            "item",
            "due_month",
            "county",
            "amount_fen",
            "created_at",
        ],
        &mut |sink| {
            for (person, county, a) in dues {
                sink.row(&[
                    Val::I64(*person),
                    Val::Str(source),
                    Val::Str(item.as_str()),
                    ym(due_month),
                    Val::I64(*county as i64),
                    Val::I64(a.fen()),
                    Val::Str(created_at),
                ])?;
            }
            Ok(())
        },
    )
}

/// The dues of a month summed per (person, county, item).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueSum {
    pub person: i64,
    pub county: u32,
    pub item: Item,
    pub amount: Fen,
}

/// The dues of `month`, summed per (person, county, item), in (person, item) order.
pub fn dues_of_month(db: &mut Db, month: Period) -> Result<Vec<DueSum>> {
    let rows = db.query(
        "SELECT person_id, county, item, CAST(SUM(amount_fen) AS BIGINT) FROM benefit_dues \
         WHERE due_month = $1 GROUP BY person_id, county, item ORDER BY person_id, item",
        &[ym(month)],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let item_s = r[2].text()?;
        let item =
            Item::parse(item_s).ok_or_else(|| crate::corrupt("benefit_dues.item", item_s))?;
        out.push(DueSum {
            person: r[0].i64()?,
            county: county_of(r[1].i64()?)?,
            item,
            amount: Fen::new(r[3].i64()?),
        });
    }
    Ok(out)
}

/// A recovery case to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRecovery<'a> {
    pub person: i64,
    pub id: i64,
    /// `paid_after_death`, `duplicate_receipt` or `correction`.
    pub kind: &'a str,
    pub county: u32,
    /// The month paid too much.
    pub month: Period,
    /// Negative amounts are stored as zero.
    pub amount: Fen,
    pub source: &'a str,
    /// The month of the run that opened it.
    pub opened: Period,
    /// JSON.
    pub details: &'a str,
}

/// Open a recovery case unless the same (person, kind, month, source) exists. Returns whether a
/// case was opened.
pub fn open_recovery(db: &mut Db, c: &NewRecovery<'_>) -> Result<bool> {
    let n = db.exec(
        "INSERT INTO recovery_cases (person_id, id, kind, county, month, amount_fen, status, source, opened_month, details) \
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9) ON CONFLICT (person_id, kind, month, source) DO NOTHING",
        &[
            Val::I64(c.person),
            Val::I64(c.id),
            Val::Str(c.kind),
            Val::I64(c.county as i64),
            ym(c.month),
            Val::I64(c.amount.fen().max(0)),
            Val::Str(c.source),
            ym(c.opened),
            Val::Str(c.details),
        ],
    )?;
    Ok(n == 1)
}

/// The next sequence number of a person's events.
pub fn next_event_seq(db: &mut Db, person: i64) -> Result<i64> {
    db.query_i64(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM person_events WHERE person_id = $1",
        &[Val::I64(person)],
    )
}

/// Active pensioners (status `active`) with their ID number, by person id: `(person, ID number)`.
/// The ID numbers are decrypted (a full-ID export: the demo's death-record source).
pub fn active_pensioner_id_numbers(db: &mut Db) -> Result<Vec<(i64, String)>> {
    let mut out = Vec::new();
    let ring = db.keyring.clone();
    db.each(
        "SELECT s.person_id, p.id_number FROM pensioners s JOIN persons p ON p.id = s.person_id \
         WHERE s.status = 'active' ORDER BY s.person_id",
        &[],
        |r| {
            let id = crate::keys::reveal_with(ring.as_deref(), "persons.id_number", r.text(1)?)?;
            out.push((r.i64(0)?, id));
            Ok(())
        },
    )?;
    Ok(out)
}

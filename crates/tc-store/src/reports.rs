//! What the reports (`tongchou report …`) and the demo's summary read from the stored results of
//! the monthly jobs: per-county figures of a month's collection, open arrears with their
//! employers, and what the payroll paid.

use crate::{Backend, Db, Result, Val};
use std::collections::BTreeMap;
use tongchou_core::{Date, Fen, Period};
use tongchou_ledger::AccountId;

/// Persons on the register at the end of `last_day` (enrolled by then, and not deceased or
/// transferred out by then), per county: (county, persons). On SQLite, every person per county
/// from the (county, status) index alone, less the persons not on the register that day, found by
/// reading the table in its own order (`NOT INDEXED`): its planner would otherwise walk that index
/// to save a sort and look up every person at random, or sort every person by county.
pub fn insured_by_county(db: &mut Db, last_day: Date) -> Result<Vec<(i64, i64)>> {
    let last = last_day.to_string();
    let counts = |db: &mut Db, sql: &str, params: &[Val<'_>]| -> Result<Vec<(i64, i64)>> {
        db.query(sql, params)?
            .iter()
            .map(|r| Ok((r[0].i64()?, r[1].i64()?)))
            .collect()
    };
    if db.backend() == Backend::Postgres {
        return counts(
            db,
            "SELECT county, count(*) FROM persons WHERE enrolled_on <= $1 \
             AND NOT (status IN ('deceased', 'transferred_out') AND status_since <= $1) GROUP BY county",
            &[Val::Str(&last)],
        );
    }
    let mut by: BTreeMap<i64, i64> = counts(
        db,
        "SELECT county, count(*) FROM persons GROUP BY county",
        &[],
    )?
    .into_iter()
    .collect();
    for (county, n) in counts(
        db,
        "SELECT county, count(*) FROM persons NOT INDEXED WHERE enrolled_on > $1 \
         OR (status IN ('deceased', 'transferred_out') AND status_since <= $1) GROUP BY county",
        &[Val::Str(&last)],
    )? {
        if let Some(all) = by.get_mut(&county) {
            *all -= n;
        }
    }
    Ok(by.into_iter().filter(|(_, n)| *n > 0).collect())
}

/// Contributors assessed for `period` and the amount assessed, per county: (county, persons,
/// pooling + account parts), from the stored totals (migration 0048).
pub fn assessed_by_county(db: &mut Db, period: Period) -> Result<Vec<(i64, i64, Fen)>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT county, assessments, pooling_fen + account_fen FROM assessment_totals \
         WHERE period = $1 AND assessments > 0 ORDER BY county",
        &[Val::I64(period.yyyymm() as i64)],
    )? {
        out.push((
            r[0].i64()?,
            r[1].i64()?,
            Fen::new(r[2].opt_i64()?.unwrap_or(0)),
        ));
    }
    Ok(out)
}

/// Contributors assessed for `period`, per county: (county, persons), from the stored totals
/// (migration 0048).
pub fn contributors_by_county(db: &mut Db, period: Period) -> Result<Vec<(i64, i64)>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT county, assessments FROM assessment_totals WHERE period = $1 AND assessments > 0 \
         ORDER BY county",
        &[Val::I64(period.yyyymm() as i64)],
    )? {
        out.push((r[0].i64()?, r[1].i64()?));
    }
    Ok(out)
}

/// What the collection close of `period` applied, per county: (county, collected, late fees).
/// Read from the close's postings (`collection_postings`, a few rows per county) instead of its
/// applications (one row per person): per county and kind every transfer of one ledger unit
/// carries the unit's amount, the sum of the applications' pooling parts, account parts or late
/// fees, which `collect::reconcile` proves against the applications and the ledger.
pub fn collected_by_county(db: &mut Db, period: Period) -> Result<Vec<(i64, Fen, Fen)>> {
    let mut out: Vec<(i64, Fen, Fen)> = Vec::new();
    for r in db.query(
        "SELECT county, kind, CAST(MAX(amount_fen) AS BIGINT) FROM collection_postings \
         WHERE period = $1 GROUP BY county, kind ORDER BY county, kind",
        &[Val::I64(period.yyyymm() as i64)],
    )? {
        let (county, amount) = (r[0].i64()?, Fen::new(r[2].i64()?));
        if out.last().is_none_or(|l| l.0 != county) {
            out.push((county, Fen::ZERO, Fen::ZERO));
        }
        let Some(last) = out.last_mut() else {
            continue;
        };
        let sum = if r[1].text()? == "other_income" {
            &mut last.2
        } else {
            &mut last.1
        };
        *sum = sum
            .try_add(amount)
            .map_err(|_| crate::StoreError::Invalid("collected by county".into()))?;
    }
    Ok(out)
}

/// The amounts debited per account by the posted ledger transfers of the collection close of
/// `period` (the transfers `collection_postings` records for it).
pub fn collection_debits(db: &mut Db, period: Period) -> Result<Vec<(AccountId, i64)>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT t.debit_account, CAST(SUM(t.amount) AS BIGINT) FROM collection_postings p \
         JOIN ledger_transfer t ON t.idem_key = p.transfer_key \
         WHERE p.period = $1 AND t.op = 0 GROUP BY t.debit_account",
        &[Val::I64(period.yyyymm() as i64)],
    )? {
        out.push((AccountId(r[0].i64()?), r[1].i64()?));
    }
    Ok(out)
}

/// One open arrears item with its employer (if any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArrearsItem {
    pub person: i64,
    pub period: Period,
    pub county: i64,
    /// 0 for flexibly employed persons.
    pub employer: i64,
    pub due: Date,
    pub outstanding: Fen,
    pub credit_code: Option<String>,
    pub employer_name: Option<String>,
}

/// Every open arrears item, by county, employer, person and period.
pub fn open_arrears(db: &mut Db) -> Result<Vec<ArrearsItem>> {
    let rows = db.query(
        "SELECT a.person_id, a.period, a.county, a.employer_id, a.due_date, a.total_fen, a.paid_fen, \
         e.credit_code, e.name FROM arrears a LEFT JOIN employers e ON e.id = a.employer_id \
         ORDER BY a.county, a.employer_id, a.person_id, a.period",
        &[],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(ArrearsItem {
            person: r[0].i64()?,
            period: crate::benefits::period_of(r[1].i64()?)?,
            county: r[2].i64()?,
            employer: r[3].i64()?,
            due: crate::benefits::date_of(r[4].text()?)?,
            outstanding: Fen::new(r[5].i64()? - r[6].i64()?),
            credit_code: r[7].opt_text()?.map(str::to_string),
            employer_name: r[8].opt_text()?.map(str::to_string),
        });
    }
    Ok(out)
}

/// Σ payroll lines of `month`, whatever their status.
pub fn payroll_of_month(db: &mut Db, month: Period) -> Result<Fen> {
    Ok(Fen::new(db.query_i64(
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM payroll_totals WHERE month = $1",
        &[Val::I64(month.yyyymm() as i64)],
    )?))
}

/// Σ payroll lines the banks confirmed paid, every month.
pub fn paid_to_date(db: &mut Db) -> Result<Fen> {
    Ok(Fen::new(db.query_i64(
        "SELECT CAST(COALESCE(SUM(paid_fen), 0) AS BIGINT) FROM payroll_totals",
        &[],
    )?))
}

//! Back-payments (`back_payments`, `back_payment_months`, migration 0042): kept as assessed,
//! decided, and released into the assessments and the open arrears of their own months. The use
//! cases are `tongchou_app::backpay`.

use crate::benefits::{county_of, period_of, ym};
use crate::{Db, Result, StoreError, Val, Value};
use tongchou_core::rules::backpay::Month;
use tongchou_core::{Date, Fen, Period};

/// A back-payment as kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackPay {
    pub id: i64,
    pub person: i64,
    pub county: u32,
    pub employer: i64,
    /// employee or flexible
    pub payer_kind: String,
    pub reason: String,
    pub total: Fen,
    /// pending, released or refused
    pub status: String,
    pub approval: Option<i64>,
    /// The assessment's explanation, as JSON.
    pub explanation: String,
    pub created_by: i64,
    pub created_at: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<String>,
    pub note: String,
}

/// The person's county, employer (0 for none) and payer kind, if registered.
pub fn payer(db: &mut Db, person: i64) -> Result<Option<(u32, i64, String, String)>> {
    let Some(r) = db.query_opt(
        "SELECT county, COALESCE(employer_id, 0), payer_kind, status FROM persons WHERE id = $1",
        &[Val::I64(person)],
    )?
    else {
        return Ok(None);
    };
    Ok(Some((
        county_of(r[0].i64()?)?,
        r[1].i64()?,
        r[2].text()?.to_string(),
        r[3].text()?.to_string(),
    )))
}

/// The months among `periods` the person already has an assessment for.
pub fn assessed(db: &mut Db, person: i64, periods: &[Period]) -> Result<Vec<Period>> {
    let (Some(lo), Some(hi)) = (periods.iter().min(), periods.iter().max()) else {
        return Ok(Vec::new());
    };
    let rows = db.query(
        &format!(
            "WITH RECURSIVE {} \
             SELECT a.period FROM m CROSS JOIN assessments a WHERE a.period = m.p AND a.person_id = $1 \
             UNION SELECT k.period FROM back_payment_months k JOIN back_payments b ON b.id = k.back_payment_id \
             WHERE b.person_id = $1 AND b.status = 'pending' AND k.period >= $2 AND k.period <= $3",
            crate::months::months("m", "$2", "$3")
        ),
        &[Val::I64(person), ym(*lo), ym(*hi)],
    )?;
    let mut out = Vec::new();
    for r in rows {
        let p = period_of(r[0].i64()?)?;
        if periods.contains(&p) {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Keep a new back-payment with its months.
pub fn insert(db: &mut Db, b: &BackPay, months: &[Month]) -> Result<()> {
    db.exec(
        "INSERT INTO back_payments (id, person_id, county, employer_id, payer_kind, reason, total_fen, \
         status, approval_id, explanation, created_by, created_at, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CAST($9 AS BIGINT), $10, $11, $12, $13)",
        &[
            Val::I64(b.id),
            Val::I64(b.person),
            Val::I64(b.county as i64),
            Val::I64(b.employer),
            Val::Str(&b.payer_kind),
            Val::Str(&b.reason),
            Val::I64(b.total.fen()),
            Val::Str(&b.status),
            b.approval.map_or(Val::Null, Val::I64),
            Val::Str(&b.explanation),
            Val::I64(b.created_by),
            Val::Str(&b.created_at),
            Val::Str(&b.note),
        ],
    )?;
    for m in months {
        let due = m.due.to_string();
        db.exec(
            "INSERT INTO back_payment_months (back_payment_id, period, declared_fen, base_fen, \
             pooling_fen, account_fen, due_date) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                Val::I64(b.id),
                ym(m.period),
                Val::I64(m.declared.fen()),
                Val::I64(m.base.fen()),
                Val::I64(m.pooling.fen()),
                Val::I64(m.account.fen()),
                Val::Str(&due),
            ],
        )?;
    }
    Ok(())
}

const SQL: &str = "SELECT id, person_id, county, employer_id, payer_kind, reason, total_fen, status, \
     approval_id, explanation, created_by, created_at, decided_by, decided_at, note FROM back_payments";

fn opt_i64(v: &Value) -> Result<Option<i64>> {
    match v {
        Value::Null => Ok(None),
        v => v.i64().map(Some),
    }
}

fn of_row(r: &[Value]) -> Result<BackPay> {
    Ok(BackPay {
        id: r[0].i64()?,
        person: r[1].i64()?,
        county: county_of(r[2].i64()?)?,
        employer: r[3].i64()?,
        payer_kind: r[4].text()?.to_string(),
        reason: r[5].text()?.to_string(),
        total: Fen::new(r[6].i64()?),
        status: r[7].text()?.to_string(),
        approval: opt_i64(&r[8])?,
        explanation: r[9].text()?.to_string(),
        created_by: r[10].i64()?,
        created_at: r[11].text()?.to_string(),
        decided_by: opt_i64(&r[12])?,
        decided_at: match &r[13] {
            Value::Null => None,
            v => Some(v.text()?.to_string()),
        },
        note: r[14].text()?.to_string(),
    })
}

/// One back-payment with its months.
pub fn get(db: &mut Db, id: i64) -> Result<Option<(BackPay, Vec<Month>)>> {
    let Some(r) = db.query_opt(&format!("{SQL} WHERE id = $1"), &[Val::I64(id)])? else {
        return Ok(None);
    };
    let b = of_row(&r)?;
    let rows = db.query(
        "SELECT period, declared_fen, base_fen, pooling_fen, account_fen, due_date \
         FROM back_payment_months WHERE back_payment_id = $1 ORDER BY period",
        &[Val::I64(id)],
    )?;
    let months = rows
        .iter()
        .map(|m| {
            Ok(Month {
                period: period_of(m[0].i64()?)?,
                declared: Fen::new(m[1].i64()?),
                base: Fen::new(m[2].i64()?),
                pooling: Fen::new(m[3].i64()?),
                account: Fen::new(m[4].i64()?),
                due: m[5]
                    .text()?
                    .parse::<Date>()
                    .map_err(|e| crate::corrupt("backpay_months.due", e.to_string()))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some((b, months)))
}

/// The newest back-payments (at most `limit`), pending first.
pub fn list(db: &mut Db, limit: i64) -> Result<Vec<BackPay>> {
    db.query(
        &format!(
            "{SQL} ORDER BY CASE status WHEN 'pending' THEN 0 ELSE 1 END, created_at DESC, id LIMIT $1"
        ),
        &[Val::I64(limit)],
    )?
    .iter()
    .map(|r| of_row(r))
    .collect()
}

/// Move a pending back-payment to `status` (released or refused). False when it was not pending.
pub fn decide(db: &mut Db, id: i64, status: &str, by: i64, at: &str, note: &str) -> Result<bool> {
    Ok(db.exec(
        "UPDATE back_payments SET status = $2, decided_by = $3, decided_at = $4, note = $5 \
         WHERE id = $1 AND status = 'pending'",
        &[
            Val::I64(id),
            Val::Str(status),
            Val::I64(by),
            Val::Str(at),
            Val::Str(note),
        ],
    )? == 1)
}

/// Take the collection gate (see migration 0042): the collection close and a release take turns.
pub fn take_collection_gate(db: &mut Db) -> Result<()> {
    db.exec("UPDATE collection_gate SET n = n + 1 WHERE id = 1", &[])?;
    Ok(())
}

/// Release a back-payment's months: each an assessment of its own month (batch `batch`, the
/// month it was released in) and an open arrears item owed from its due date.
pub fn release(db: &mut Db, b: &BackPay, months: &[Month], batch: Period) -> Result<()> {
    take_collection_gate(db)?;
    let mut totals = std::collections::BTreeMap::new();
    for m in months {
        totals
            .entry((m.period, b.county as i64))
            .or_insert_with(crate::collection::AssessedTotal::default)
            .add(m.base, m.pooling, m.account);
    }
    crate::collection::add_assessment_totals(db, &totals)?;
    for m in months {
        let due = m.due.to_string();
        let total = m
            .pooling
            .try_add(m.account)
            .map_err(|_| StoreError::Invalid("back-payment month total".into()))?;
        db.exec(
            "INSERT INTO assessments (person_id, period, county, employer_id, payer_kind, declared_fen, \
             base_fen, pooling_fen, account_fen, due_date, batch_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                Val::I64(b.person),
                ym(m.period),
                Val::I64(b.county as i64),
                Val::I64(b.employer),
                Val::Str(&b.payer_kind),
                Val::I64(m.declared.fen()),
                Val::I64(m.base.fen()),
                Val::I64(m.pooling.fen()),
                Val::I64(m.account.fen()),
                Val::Str(&due),
                ym(batch),
            ],
        )?;
        if total.is_positive() {
            db.exec(
                "INSERT INTO arrears (person_id, period, county, employer_id, due_date, total_fen, \
                 account_total_fen, paid_fen) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
                &[
                    Val::I64(b.person),
                    ym(m.period),
                    Val::I64(b.county as i64),
                    Val::I64(b.employer),
                    Val::Str(&due),
                    Val::I64(total.fen()),
                    Val::I64(m.account.fen()),
                ],
            )?;
        }
    }
    Ok(())
}

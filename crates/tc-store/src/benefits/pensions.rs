//! Pensions in force and their history (`pensions`, `pensioners`, `pension_explanations`), the
//! yearly adjustment runs (`adjustment_runs`) and recomputations (`benefit_corrections`).

use super::{county_of, date_of, period_of, u32_of, ym};
use crate::registry::{self, PensionRow};
use crate::{Db, Result, Val, Value};
use serde::Serialize;
use tongchou_core::rules::retirement::Category;
use tongchou_core::{Date, Fen, Period, Ratio};

/// A row of `pensions`, owned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PensionRecord {
    pub person: i64,
    pub effective_from: Period,
    pub reason: String,
    pub benefit_base: Fen,
    pub avg_index: Ratio,
    pub deemed_index: Ratio,
    pub paid_months: u32,
    pub deemed_months: u32,
    pub account_at_retirement: Fen,
    pub divisor_tenths: i64,
    pub basic: Fen,
    pub account: Fen,
    pub transitional: Fen,
    pub adjustment: Fen,
    pub total: Fen,
}

impl PensionRecord {
    /// The 国发〔2005〕38号 components without the yearly increases.
    pub fn base(&self) -> Fen {
        // Each component is a pension's part: their sum stays far inside Fen's range.
        Fen::try_sum([self.basic, self.account, self.transitional]).expect("a pension fits")
    }

    /// The row as the registry writer takes it (the total is recomputed from the components).
    pub fn row(&self) -> PensionRow<'_> {
        PensionRow {
            person_id: self.person,
            effective_from: self.effective_from.yyyymm() as i64,
            reason: &self.reason,
            benefit_base_fen: self.benefit_base.fen(),
            avg_index: self.avg_index.0,
            deemed_index: self.deemed_index.0,
            paid_months: self.paid_months as i64,
            deemed_months: self.deemed_months as i64,
            account_at_retirement_fen: self.account_at_retirement.fen(),
            divisor_tenths: self.divisor_tenths,
            basic_fen: self.basic.fen(),
            account_fen: self.account.fen(),
            transitional_fen: self.transitional.fen(),
            adjustment_fen: self.adjustment.fen(),
        }
    }
}

const PENSION_COLS: &str = "person_id, effective_from, reason, benefit_base_fen, avg_index, deemed_index, paid_months, \
     deemed_months, account_at_retirement_fen, divisor_tenths, basic_fen, account_fen, transitional_fen, adjustment_fen, total_fen";

fn months_of(v: i64) -> Result<u32> {
    u32_of(v, "month count")
}

fn pension_record(r: &[Value]) -> Result<PensionRecord> {
    Ok(PensionRecord {
        person: r[0].i64()?,
        effective_from: period_of(r[1].i64()?)?,
        reason: r[2].text()?.to_string(),
        benefit_base: Fen::new(r[3].i64()?),
        avg_index: Ratio(r[4].i64()?),
        deemed_index: Ratio(r[5].i64()?),
        paid_months: months_of(r[6].i64()?)?,
        deemed_months: months_of(r[7].i64()?)?,
        account_at_retirement: Fen::new(r[8].i64()?),
        divisor_tenths: r[9].i64()?,
        basic: Fen::new(r[10].i64()?),
        account: Fen::new(r[11].i64()?),
        transitional: Fen::new(r[12].i64()?),
        adjustment: Fen::new(r[13].i64()?),
        total: Fen::new(r[14].i64()?),
    })
}

/// A pensioner's pension history, oldest first.
pub fn history(db: &mut Db, person: i64) -> Result<Vec<PensionRecord>> {
    db.query(
        &format!(
            "SELECT {PENSION_COLS} FROM pensions WHERE person_id = $1 ORDER BY effective_from"
        ),
        &[Val::I64(person)],
    )?
    .iter()
    .map(|r| pension_record(r))
    .collect()
}

/// Write pension rows (one bulk write).
pub fn write_records(db: &mut Db, rows: &[PensionRecord]) -> Result<u64> {
    registry::write_pensions(db, &mut |push| {
        for r in rows {
            push(&r.row())?;
        }
        Ok(())
    })
}

/// Store the explanation of the pension row of `person` effective from `effective_from`.
pub fn add_explanation(
    db: &mut Db,
    person: i64,
    effective_from: Period,
    explanation: &str,
) -> Result<()> {
    db.exec(
        "INSERT INTO pension_explanations (person_id, effective_from, explanation) VALUES ($1, $2, $3)",
        &[Val::I64(person), ym(effective_from), Val::Str(explanation)],
    )?;
    Ok(())
}

/// Whether the adjustment of `year` has been run.
pub fn adjustment_run_exists(db: &mut Db, year: i32) -> Result<bool> {
    Ok(db.query_i64(
        "SELECT count(*) FROM adjustment_runs WHERE year = $1",
        &[Val::I64(year as i64)],
    )? > 0)
}

/// A pensioner eligible for a yearly adjustment, with the pension row in force in January.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eligible {
    pub person: i64,
    pub county: u32,
    pub contribution_months: i64,
    /// Pension rows effective after January.
    pub later_rows: i64,
    /// The row in force in January, if any.
    pub in_force: Option<PensionRecord>,
}

/// The next `limit` pensioners after person id `after` who are active and retired by
/// `last_retire`, with the pension row in force in `jan`, in person order.
pub fn eligible_chunk(
    db: &mut Db,
    jan: Period,
    last_retire: Period,
    after: i64,
    limit: i64,
) -> Result<Vec<Eligible>> {
    let cols: Vec<String> = PENSION_COLS
        .split(", ")
        .map(|c| format!("p.{}", c.trim()))
        .collect();
    let rows = db.query(
        &format!(
            "SELECT n.person_id, n.county, n.contribution_months, \
             (SELECT count(*) FROM pensions q WHERE q.person_id = n.person_id AND q.effective_from > $1), {} \
             FROM pensioners n LEFT JOIN pensions p ON p.person_id = n.person_id AND p.effective_from = \
             (SELECT MAX(q.effective_from) FROM pensions q WHERE q.person_id = n.person_id AND q.effective_from <= $1) \
             WHERE n.status = 'active' AND n.retire_period <= $2 AND n.person_id > $3 ORDER BY n.person_id LIMIT $4",
            cols.join(", ")
        ),
        &[ym(jan), ym(last_retire), Val::I64(after), Val::I64(limit)],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let in_force = if r[4] == Value::Null {
            None
        } else {
            Some(pension_record(&r[4..])?)
        };
        out.push(Eligible {
            person: r[0].i64()?,
            county: county_of(r[1].i64()?)?,
            contribution_months: r[2].i64()?,
            later_rows: r[3].i64()?,
            in_force,
        });
    }
    Ok(out)
}

/// Raise the pension rows effective from `from` in place: `(person, increase)` each.
pub fn raise_in_place(db: &mut Db, from: Period, raises: &[(i64, Fen)]) -> Result<()> {
    for (person, inc) in raises {
        db.exec(
            "UPDATE pensions SET adjustment_fen = adjustment_fen + $3, total_fen = total_fen + $3 \
             WHERE person_id = $1 AND effective_from = $2",
            &[Val::I64(*person), ym(from), Val::I64(inc.fen())],
        )?;
    }
    Ok(())
}

/// After an adjustment: the active pensioners retired by `last_retire` whose latest pension row
/// is effective from `jan` are paid that row's total.
pub fn pay_rows_from(db: &mut Db, jan: Period, last_retire: Period) -> Result<u64> {
    db.exec(
        "UPDATE pensioners SET monthly_fen = (SELECT p.total_fen FROM pensions p \
         WHERE p.person_id = pensioners.person_id AND p.effective_from = $1), version = version + 1 \
         WHERE status = 'active' AND retire_period <= $2 \
         AND EXISTS (SELECT 1 FROM pensions p WHERE p.person_id = pensioners.person_id AND p.effective_from = $1) \
         AND NOT EXISTS (SELECT 1 FROM pensions p WHERE p.person_id = pensioners.person_id AND p.effective_from > $1)",
        &[ym(jan), ym(last_retire)],
    )
}

/// One yearly adjustment run, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdjustmentRun<'a> {
    pub year: i32,
    /// The announcement month, whose payroll pays the arrears.
    pub month: Period,
    pub adjusted: u64,
    pub increase: Fen,
    pub arrears: Fen,
    /// JSON.
    pub terms: &'a str,
    pub run_at: &'a str,
}

/// Record the run of a yearly adjustment (fails if that year's is recorded).
pub fn record_adjustment_run(db: &mut Db, r: &AdjustmentRun<'_>) -> Result<()> {
    db.exec(
        "INSERT INTO adjustment_runs (year, month, eligible, increase_fen, arrears_fen, terms, run_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            Val::I64(r.year as i64),
            ym(r.month),
            Val::I64(r.adjusted as i64),
            Val::I64(r.increase.fen()),
            Val::I64(r.arrears.fen()),
            Val::Str(r.terms),
            Val::Str(r.run_at),
        ],
    )?;
    Ok(())
}

/// A pensioner as a recomputation reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pensioner {
    pub county: u32,
    pub retire: Period,
    pub status: String,
    pub monthly: Fen,
    pub birth: Date,
    pub category: Category,
}

/// One pensioner, if `person` is one.
pub fn pensioner(db: &mut Db, person: i64) -> Result<Option<Pensioner>> {
    let Some(r) = db.query_opt(
        "SELECT n.county, n.retire_period, n.status, n.monthly_fen, p.birth, p.category \
         FROM pensioners n JOIN persons p ON p.id = n.person_id WHERE n.person_id = $1",
        &[Val::I64(person)],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(Pensioner {
        county: county_of(r[0].i64()?)?,
        retire: period_of(r[1].i64()?)?,
        status: r[2].text()?.to_string(),
        monthly: Fen::new(r[3].i64()?),
        birth: date_of(r[4].text()?)?,
        category: r[5]
            .text()?
            .parse()
            .map_err(|e: String| crate::corrupt(format!("persons[{person}].category"), e))?,
    }))
}

/// Pay `person` `monthly` from now on.
pub fn set_monthly(db: &mut Db, person: i64, monthly: Fen) -> Result<()> {
    db.exec(
        "UPDATE pensioners SET monthly_fen = $2, version = version + 1 WHERE person_id = $1",
        &[Val::I64(person), Val::I64(monthly.fen())],
    )?;
    Ok(())
}

/// Whether the pensioner was already recomputed from `month`.
pub fn correction_exists(db: &mut Db, person: i64, month: Period) -> Result<bool> {
    Ok(db.query_i64(
        "SELECT count(*) FROM benefit_corrections WHERE person_id = $1 AND month = $2",
        &[Val::I64(person), ym(month)],
    )? > 0)
}

/// Σ differences of the pensioner's corrections from months before `month`.
pub fn earlier_corrections(db: &mut Db, person: i64, month: Period) -> Result<Fen> {
    Ok(Fen::new(db.query_i64(
        "SELECT CAST(SUM(difference_fen) AS BIGINT) FROM benefit_corrections WHERE person_id = $1 AND month < $2",
        &[Val::I64(person), ym(month)],
    )?))
}

/// A recomputation's result, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorrectionRow<'a> {
    pub person: i64,
    pub id: i64,
    pub county: u32,
    pub month: Period,
    pub old_monthly: Fen,
    pub new_monthly: Fen,
    pub months: u32,
    pub difference: Fen,
    /// `to_pay`, `to_recover` or `none`.
    pub status: &'a str,
    pub note: &'a str,
    /// JSON.
    pub explanation: &'a str,
    pub created_at: &'a str,
}

/// Record a recomputation.
pub fn insert_correction(db: &mut Db, c: &CorrectionRow<'_>) -> Result<()> {
    db.exec(
        "INSERT INTO benefit_corrections (person_id, id, county, month, old_monthly_fen, new_monthly_fen, months, \
         difference_fen, status, note, explanation, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            Val::I64(c.person),
            Val::I64(c.id),
            Val::I64(c.county as i64),
            ym(c.month),
            Val::I64(c.old_monthly.fen()),
            Val::I64(c.new_monthly.fen()),
            Val::I64(c.months as i64),
            Val::I64(c.difference.fen()),
            Val::Str(c.status),
            Val::Str(c.note),
            Val::Str(c.explanation),
            Val::Str(c.created_at),
        ],
    )?;
    Ok(())
}

//! The yearly adjustment (调整基本养老金) and recomputation after a corrected parameter.
//!
//! # Yearly adjustment, [`adjust_year`]
//! For year Y, run in the announcement month M = Y-`adjustment.announce_month` before M's
//! payroll, once (`adjustment_runs`):
//! - eligible: pensioners `active` with `retire_period ≤ (Y−1)-12` (retired by the end of the
//!   previous year, as `payroll::AdjustmentRun::eligible`);
//! - the terms: `AdjustmentTerms::at(Y, average pension, average contribution months)` over the
//!   eligible pensioners, from the pension row in force in January of Y (each average rounded
//!   half-up to the fen / month);
//! - per pensioner: increase = `terms.increase(pension, contribution_months)`; a new `pensions`
//!   row `adjustment` effective from Y-01 (the row in force with `adjustment_fen` + increase);
//!   `pensioners.monthly_fen` = its total. A pensioner who retired in December of Y−1 has the
//!   award itself effective from Y-01: that row is raised in place (one row per month). A
//!   pensioner with a pension row effective after Y-01 (a recomputation already dated later) is
//!   skipped and listed;
//! - arrears = increase × (M − January) months (January to the month before M, paid at the old
//!   amount), written to `benefit_dues` (item `adjustment_arrears`, source `adjustment:Y`, due in
//!   M): the payroll of M pays them through [`super::settlements_due`]. Pensioners no longer
//!   active in M (died before the announcement) get no arrears here.
//!
//! # Recomputation, [`recompute`]
//! A pensioner's pension is computed again from the award's inputs (months, indices, account at
//! retirement, retirement month) with a corrected policy; from month N on it is paid at the new
//! amount (a `pensions` row `recalculation` effective N, carrying the yearly increases already
//! granted unchanged). The difference for the months already paid (from the first pension month
//! to N−1, each at the components then in force, less the differences of earlier corrections) is
//! recorded in `benefit_corrections`: positive,
//! it is due in N (`benefit_dues`, item `adjustment_arrears`, source `correction:ID`); negative,
//! a recovery case (`correction`) is opened. Increases of past adjustments that depended on the
//! old amount (their proportional part) are not recomputed.

use super::{RecoveryKind, add_due, iso, new_id, open_recovery, period_of, ym};
use crate::error::{AppError, Result};
use serde::Serialize;
use tongchou_core::money::div_round_half_up;
use tongchou_core::rules::benefit::AdjustmentTerms;
use tongchou_core::rules::pension::{PensionInput, pension};
use tongchou_core::{Date, Fen, Period, Policy, Ratio};
use tongchou_engine::disbursement::Item;
use tongchou_store::registry::{self, PensionRow};
use tongchou_store::{Db, Val};

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
        Fen(self.basic.0 + self.account.0 + self.transitional.0)
    }
    fn row(&self) -> PensionRow<'_> {
        PensionRow {
            person_id: self.person,
            effective_from: self.effective_from.yyyymm() as i64,
            reason: &self.reason,
            benefit_base_fen: self.benefit_base.0,
            avg_index: self.avg_index.0,
            deemed_index: self.deemed_index.0,
            paid_months: self.paid_months as i64,
            deemed_months: self.deemed_months as i64,
            account_at_retirement_fen: self.account_at_retirement.0,
            divisor_tenths: self.divisor_tenths,
            basic_fen: self.basic.0,
            account_fen: self.account.0,
            transitional_fen: self.transitional.0,
            adjustment_fen: self.adjustment.0,
        }
    }
}

const PENSION_COLS: &str = "person_id, effective_from, reason, benefit_base_fen, avg_index, deemed_index, paid_months, \
     deemed_months, account_at_retirement_fen, divisor_tenths, basic_fen, account_fen, transitional_fen, adjustment_fen, total_fen";

fn months_of(v: i64) -> Result<u32> {
    u32::try_from(v).map_err(|_| AppError::Invalid(format!("month count {v} out of range")))
}

fn pension_record(r: &[tongchou_store::Value]) -> Result<PensionRecord> {
    Ok(PensionRecord {
        person: r[0].i64()?,
        effective_from: period_of(r[1].i64()?)?,
        reason: r[2].text()?.to_string(),
        benefit_base: Fen(r[3].i64()?),
        avg_index: Ratio(r[4].i64()?),
        deemed_index: Ratio(r[5].i64()?),
        paid_months: months_of(r[6].i64()?)?,
        deemed_months: months_of(r[7].i64()?)?,
        account_at_retirement: Fen(r[8].i64()?),
        divisor_tenths: r[9].i64()?,
        basic: Fen(r[10].i64()?),
        account: Fen(r[11].i64()?),
        transitional: Fen(r[12].i64()?),
        adjustment: Fen(r[13].i64()?),
        total: Fen(r[14].i64()?),
    })
}

/// A pensioner's pension history, oldest first.
pub fn pension_history(db: &mut Db, person: i64) -> Result<Vec<PensionRecord>> {
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

/// What a yearly adjustment did.
#[derive(Clone, Debug, Serialize)]
pub struct AdjustmentReport {
    pub year: i32,
    /// The announcement month, whose payroll pays the arrears.
    pub month: Period,
    pub eligible: u64,
    pub adjusted: u64,
    /// Awards effective from January of the year raised in place.
    pub raised_in_place: u64,
    /// Eligible pensioners not adjusted, and (person, why) of the first hundred.
    pub skipped_count: u64,
    pub skipped: Vec<(i64, String)>,
    pub arrears_months: i32,
    /// Σ monthly increases and Σ arrears.
    pub increase: Fen,
    pub arrears: Fen,
    pub terms: AdjustmentTerms,
}

/// The announcement month of year `year`'s adjustment.
pub fn announce_month(policy: &Policy, year: i32) -> Result<Period> {
    let (m, _) = policy.int("adjustment.announce_month", Date::new(year, 1, 1)?)?;
    let m = u8::try_from(m)
        .ok()
        .filter(|m| (1..=12).contains(m))
        .ok_or_else(|| {
            AppError::Invalid(format!("adjustment.announce_month {m} is not a month"))
        })?;
    Ok(Period::new(year, m)?)
}

/// Run the yearly adjustment of `year` (see the module documentation). Refused the second time.
pub fn adjust_year(
    db: &mut Db,
    policy: &Policy,
    year: i32,
    now_ms: i64,
) -> Result<AdjustmentReport> {
    adjust_year_in_chunks(db, policy, year, now_ms, CHUNK)
}

/// [`adjust_year`] reading `chunk` pensioners at a time (tests use small chunks).
#[doc(hidden)]
pub fn adjust_year_in_chunks(
    db: &mut Db,
    policy: &Policy,
    year: i32,
    now_ms: i64,
    chunk: i64,
) -> Result<AdjustmentReport> {
    let chunk_size = chunk.max(1);
    let month = announce_month(policy, year)?;
    let jan = Period::new(year, 1)?;
    let last_retire = Period::new(year - 1, 12)?;
    let arrears_months = jan.months_until(month);
    let now = iso(now_ms);
    let source = format!("adjustment:{year}");
    db.transaction(|db| {
        // first: it writes dues (arrears) for a month whose payroll must not run meanwhile
        super::lock_dues(db, true)?;
        if db.query_i64(
            "SELECT count(*) FROM adjustment_runs WHERE year = $1",
            &[Val::I64(year as i64)],
        )? > 0
        {
            return Err(AppError::State(format!(
                "the adjustment of {year} has already been run"
            )));
        }
        // pass 1: the averages (and who is skipped), chunk by chunk in person order
        let mut skipped = Vec::new();
        let mut skipped_count = 0u64;
        let (mut n, mut sum_pension, mut sum_months, mut eligible) = (0i128, 0i128, 0i128, 0u64);
        let mut after = i64::MIN;
        loop {
            let chunk = eligible_chunk(db, jan, last_retire, after, chunk_size)?;
            let Some(last) = chunk.last() else { break };
            after = last.person;
            for e in &chunk {
                eligible += 1;
                match &e.base {
                    Ok((months, row)) => {
                        n += 1;
                        sum_pension += row.total.0 as i128;
                        sum_months += *months as i128;
                    }
                    Err(why) => {
                        skipped_count += 1;
                        if skipped.len() < LISTED {
                            skipped.push((e.person, why.clone()));
                        }
                    }
                }
            }
        }
        if n == 0 {
            return Err(AppError::NotFound(format!(
                "no pensioner is eligible for the adjustment of {year}"
            )));
        }
        let avg_pension = Fen(div_round_half_up(sum_pension, n) as i64);
        let avg_months = (div_round_half_up(sum_months, n) as u32).max(1);
        let terms = AdjustmentTerms::at(policy, year, avg_pension, avg_months)?;

        // pass 2: the increases, written chunk by chunk
        let (mut increase, mut arrears, mut adjusted, mut in_place_n) = (0i64, 0i64, 0u64, 0u64);
        let mut after = i64::MIN;
        loop {
            let chunk = eligible_chunk(db, jan, last_retire, after, chunk_size)?;
            let Some(last) = chunk.last() else { break };
            after = last.person;
            let mut new_rows: Vec<PensionRecord> = Vec::new();
            let mut in_place: Vec<(i64, Fen)> = Vec::new();
            let mut dues: Vec<(i64, u32, Fen)> = Vec::new();
            for e in &chunk {
                let Ok((months, row)) = &e.base else { continue };
                let inc = terms.increase(row.total, *months);
                if !inc.is_positive() {
                    skipped_count += 1;
                    if skipped.len() < LISTED {
                        skipped.push((row.person, format!("increase {inc} is not positive")));
                    }
                    continue;
                }
                increase += inc.0;
                adjusted += 1;
                if row.effective_from == jan {
                    in_place.push((row.person, inc));
                } else {
                    let mut r = row.clone();
                    r.effective_from = jan;
                    r.reason = "adjustment".into();
                    r.adjustment = Fen(r.adjustment.0 + inc.0);
                    r.total = Fen(r.total.0 + inc.0);
                    new_rows.push(r);
                }
                let a = Fen(inc.0 * arrears_months as i64);
                if a.is_positive() {
                    arrears += a.0;
                    dues.push((row.person, e.county, a));
                }
            }
            in_place_n += in_place.len() as u64;
            registry::write_pensions(db, &mut |push| {
                for r in &new_rows {
                    push(&r.row())?;
                }
                Ok(())
            })?;
            for (person, inc) in &in_place {
                db.exec(
                    "UPDATE pensions SET adjustment_fen = adjustment_fen + $3, total_fen = total_fen + $3 \
                     WHERE person_id = $1 AND effective_from = $2",
                    &[Val::I64(*person), ym(jan), Val::I64(inc.0)],
                )?;
            }
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
                    for (person, county, a) in &dues {
                        sink.row(&[
                            Val::I64(*person),
                            Val::Str(&source),
                            Val::Str(Item::AdjustmentArrears.as_str()),
                            ym(month),
                            Val::I64(*county as i64),
                            Val::I64(a.0),
                            Val::Str(&now),
                        ])?;
                    }
                    Ok(())
                },
            )?;
        }
        db.exec(
            "UPDATE pensioners SET monthly_fen = (SELECT p.total_fen FROM pensions p \
             WHERE p.person_id = pensioners.person_id AND p.effective_from = $1), version = version + 1 \
             WHERE status = 'active' AND retire_period <= $2 \
             AND EXISTS (SELECT 1 FROM pensions p WHERE p.person_id = pensioners.person_id AND p.effective_from = $1) \
             AND NOT EXISTS (SELECT 1 FROM pensions p WHERE p.person_id = pensioners.person_id AND p.effective_from > $1)",
            &[ym(jan), ym(last_retire)],
        )?;
        let report = AdjustmentReport {
            year,
            month,
            eligible,
            adjusted,
            raised_in_place: in_place_n,
            skipped_count,
            skipped,
            arrears_months,
            increase: Fen(increase),
            arrears: Fen(arrears),
            terms,
        };
        db.exec(
            "INSERT INTO adjustment_runs (year, month, eligible, increase_fen, arrears_fen, terms, run_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                Val::I64(year as i64),
                ym(month),
                Val::I64(report.adjusted as i64),
                Val::I64(increase),
                Val::I64(arrears),
                Val::Str(&super::json_text(&report.terms)?),
                Val::Str(&now),
            ],
        )?;
        Ok(report)
    })
}

/// Pensioners read per chunk by the adjustment.
const CHUNK: i64 = 50_000;
/// Skipped pensioners listed in a report (all are counted).
const LISTED: usize = 100;

/// An eligible pensioner with the pension row in force in January (or why it cannot be used).
struct Eligible {
    person: i64,
    county: u32,
    /// (contribution months, row in force) or the reason the pensioner is skipped.
    base: std::result::Result<(u32, PensionRecord), String>,
}

/// The next `limit` eligible pensioners after person id `after`.
fn eligible_chunk(
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
        let person = r[0].i64()?;
        let county = super::county_of(r[1].i64()?)?;
        let base = if r[4] == tongchou_store::Value::Null {
            Err(format!("no pension row in force in {jan}"))
        } else if r[3].i64()? > 0 {
            Err(format!("a pension row dated after {jan} exists"))
        } else {
            Ok((months_of(r[2].i64()?)?, pension_record(&r[4..])?))
        };
        out.push(Eligible {
            person,
            county,
            base,
        });
    }
    Ok(out)
}

/// A recomputation's result (see the module documentation).
#[derive(Clone, Debug, Serialize)]
pub struct Correction {
    pub id: i64,
    pub person: i64,
    pub county: u32,
    /// First month paid at the new amount.
    pub month: Period,
    pub old_monthly: Fen,
    pub new_monthly: Fen,
    /// Months already paid (first pension month to `month` − 1).
    pub months: u32,
    /// Σ over those months of (new components − components then in force): > 0 to pay, < 0 to
    /// recover.
    pub difference: Fen,
    /// `to_pay`, `to_recover` or `none`.
    pub status: String,
    pub explanation: serde_json::Value,
}

/// Recompute an active pensioner's award with a corrected policy, from `month` on.
pub fn recompute(
    db: &mut Db,
    corrected: &Policy,
    person: i64,
    month: Period,
    note: &str,
    now_ms: i64,
) -> Result<Correction> {
    if note.chars().count() > 500 {
        return Err(AppError::Invalid("note: at most 500 characters".into()));
    }
    let now = iso(now_ms);
    db.transaction(|db| {
        // first: a positive difference becomes a due (see `lock_dues`)
        super::lock_dues(db, true)?;
        let r = db
            .query_opt(
                "SELECT n.county, n.retire_period, n.status, n.monthly_fen, p.birth, p.category \
                 FROM pensioners n JOIN persons p ON p.id = n.person_id WHERE n.person_id = $1",
                &[Val::I64(person)],
            )?
            .ok_or_else(|| AppError::Invalid(format!("person {person} is not a pensioner")))?;
        if db.query_i64(
            "SELECT count(*) FROM benefit_corrections WHERE person_id = $1 AND month = $2",
            &[Val::I64(person), ym(month)],
        )? > 0
        {
            return Err(AppError::State(format!(
                "pensioner {person} was already recomputed for {month}"
            )));
        }
        let county = super::county_of(r[0].i64()?)?;
        let retire = period_of(r[1].i64()?)?;
        if r[2].text()? != "active" {
            return Err(AppError::Invalid(format!(
                "pensioner {person} is {}: only active pensions are recomputed",
                r[2].text()?
            )));
        }
        let old_monthly = Fen(r[3].i64()?);
        let birth: Date = r[4].text()?.parse()?;
        let category = r[5]
            .text()?
            .parse()
            .map_err(|e: String| AppError::Invalid(format!("person {person}: {e}")))?;
        let history = pension_history(db, person)?;
        let award = history
            .iter()
            .find(|h| h.reason == "award")
            .or_else(|| history.first())
            .cloned()
            .ok_or_else(|| AppError::Invalid(format!("pensioner {person} has no pension row")))?;
        if let Some(later) = history.iter().find(|h| h.effective_from >= month) {
            return Err(AppError::Invalid(format!(
                "pensioner {person} has a pension row from {} ({}): recompute from a later month",
                later.effective_from, later.reason
            )));
        }
        let current = history
            .last()
            .cloned()
            .ok_or_else(|| AppError::Invalid(format!("pensioner {person} has no pension row")))?;
        let input = PensionInput {
            birth: birth.period(),
            category,
            retire: Some(retire),
            paid_months: award.paid_months,
            deemed_months: award.deemed_months,
            avg_index: award.avg_index,
            deemed_index: award.deemed_index,
            account_balance: award.account_at_retirement,
            benefit_base: None,
            transition_coefficient: None,
        };
        let new = pension(corrected, &input)?;
        let (benefit_base, _) = corrected.yuan("benefit.base_monthly", retire.first_day())?;
        // the difference over the months already paid, row by row
        let mut difference = 0i64;
        let mut months = 0u32;
        let mut per_row = Vec::new();
        for (i, h) in history.iter().enumerate() {
            let from = h.effective_from;
            let to = history
                .get(i + 1)
                .map(|n| n.effective_from)
                .unwrap_or(month)
                .min(month);
            let k = from.months_until(to).max(0);
            let d = new.total.0 - h.base().0;
            difference += d * k as i64;
            months += k as u32;
            per_row.push(serde_json::json!({
                "from": from, "months": k, "paid_components": h.base(), "new_components": new.total, "difference": Fen(d * k as i64),
            }));
        }
        // differences already recorded by earlier corrections were paid or are being recovered
        let earlier = db.query_i64(
            "SELECT CAST(SUM(difference_fen) AS BIGINT) FROM benefit_corrections WHERE person_id = $1 AND month < $2",
            &[Val::I64(person), ym(month)],
        )?;
        difference -= earlier;
        let new_monthly = Fen(new.total.0 + current.adjustment.0);
        let status = if difference > 0 {
            "to_pay"
        } else if difference < 0 {
            "to_recover"
        } else {
            "none"
        };
        let id = new_id()?;
        let explanation = serde_json::json!({
            "rule": "benefit.recompute",
            "formula": "difference = Σ over the months paid of (new components − components then in force) − differences of earlier corrections; from `month` on the new components plus the increases already granted",
            "earlier_corrections": Fen(earlier),
            "note": note,
            "input": input,
            "benefit_base": benefit_base,
            "pension": new,
            "old": current,
            "months": per_row,
        });
        let changed = new.total != current.base();
        if changed {
            let row = PensionRecord {
                person,
                effective_from: month,
                reason: "recalculation".into(),
                benefit_base,
                avg_index: award.avg_index,
                deemed_index: award.deemed_index,
                paid_months: award.paid_months,
                deemed_months: award.deemed_months,
                account_at_retirement: award.account_at_retirement,
                divisor_tenths: new.divisor_tenths,
                basic: new.basic,
                account: new.account,
                transitional: new.transitional,
                adjustment: current.adjustment,
                total: new_monthly,
            };
            registry::write_pensions(db, &mut |push| push(&row.row()))?;
            db.exec(
                "INSERT INTO pension_explanations (person_id, effective_from, explanation) VALUES ($1, $2, $3)",
                &[Val::I64(person), ym(month), Val::Str(&explanation.to_string())],
            )?;
            db.exec(
                "UPDATE pensioners SET monthly_fen = $2, version = version + 1 WHERE person_id = $1",
                &[Val::I64(person), Val::I64(new_monthly.0)],
            )?;
        }
        db.exec(
            "INSERT INTO benefit_corrections (person_id, id, county, month, old_monthly_fen, new_monthly_fen, months, \
             difference_fen, status, note, explanation, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                Val::I64(person),
                Val::I64(id),
                Val::I64(county as i64),
                ym(month),
                Val::I64(old_monthly.0),
                Val::I64(if changed { new_monthly.0 } else { old_monthly.0 }),
                Val::I64(months as i64),
                Val::I64(difference),
                Val::Str(status),
                Val::Str(note),
                Val::Str(&explanation.to_string()),
                Val::Str(&now),
            ],
        )?;
        let source = format!("correction:{id}");
        if difference > 0 {
            add_due(
                db,
                person,
                &source,
                Item::AdjustmentArrears,
                month,
                county,
                Fen(difference),
                &now,
            )?;
        } else if difference < 0 {
            open_recovery(
                db,
                person,
                RecoveryKind::Correction,
                county,
                month,
                Fen(-difference),
                &source,
                month,
                &serde_json::json!({"correction": id, "months": months, "note": note}),
            )?;
        }
        Ok(Correction {
            id,
            person,
            county,
            month,
            old_monthly,
            new_monthly: if changed { new_monthly } else { old_monthly },
            months,
            difference: Fen(difference),
            status: status.to_string(),
            explanation,
        })
    })
}

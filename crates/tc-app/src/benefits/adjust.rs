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

use super::{RecoveryKind, add_due, iso, new_id, open_recovery};
use crate::error::{AppError, Result};
use serde::Serialize;
use tongchou_core::money::div_round_half_up;
use tongchou_core::rules::benefit::AdjustmentTerms;
use tongchou_core::rules::pension::{PensionInput, pension};
use tongchou_core::{Date, Fen, Period, Policy};
use tongchou_engine::disbursement::Item;
use tongchou_store::Db;
use tongchou_store::benefits::{self as stored, pensions};

pub use tongchou_store::benefits::pensions::PensionRecord;

fn months_of(v: i64) -> Result<u32> {
    u32::try_from(v)
        .map_err(|_| AppError::Invalid(tongchou_core::tr!("app-ben-months", months = v)))
}

/// A pensioner's pension history, oldest first.
pub fn pension_history(db: &mut Db, person: i64) -> Result<Vec<PensionRecord>> {
    Ok(pensions::history(db, person)?)
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
        .ok_or_else(|| AppError::Invalid(tongchou_core::tr!("app-ben-announce", month = m)))?;
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
    let now = iso(now_ms);
    db.transaction(|db| {
        // first: it writes dues (arrears) for a month whose payroll must not run meanwhile
        super::lock_dues(db, true)?;
        if pensions::adjustment_run_exists(db, year)? {
            return Err(AppError::State(tongchou_core::tr!(
                "app-ben-adjusted",
                year = year
            )));
        }
        let mut run = AdjustmentRun {
            month,
            jan,
            last_retire,
            chunk: chunk_size,
            source: format!("adjustment:{year}"),
            now: now.clone(),
            skipped: Vec::new(),
            skipped_count: 0,
        };
        // pass 1: the averages (and who is skipped), chunk by chunk in person order
        let (eligible, avg_pension, avg_months) = run.averages(db)?.ok_or_else(|| {
            AppError::NotFound(tongchou_core::tr!("app-ben-none-eligible", year = year))
        })?;
        let terms = AdjustmentTerms::at(policy, year, avg_pension, avg_months)?;
        // pass 2: the increases, written chunk by chunk
        let raised = run.raise(db, &terms)?;
        pensions::pay_rows_from(db, jan, last_retire)?;
        let report = AdjustmentReport {
            year,
            month,
            eligible,
            adjusted: raised.adjusted,
            raised_in_place: raised.in_place,
            skipped_count: run.skipped_count,
            skipped: run.skipped,
            arrears_months: jan.months_until(month),
            increase: raised.increase,
            arrears: raised.arrears,
            terms,
        };
        pensions::record_adjustment_run(
            db,
            &pensions::AdjustmentRun {
                year,
                month,
                adjusted: report.adjusted,
                increase: report.increase,
                arrears: report.arrears,
                terms: &super::json_text(&report.terms)?,
                run_at: &now,
            },
        )?;
        Ok(report)
    })
}

/// One yearly adjustment under way: what it reads and who it skipped so far.
struct AdjustmentRun {
    /// The announcement month (the arrears are due in it).
    month: Period,
    jan: Period,
    last_retire: Period,
    chunk: i64,
    source: String,
    now: String,
    skipped: Vec<(i64, String)>,
    skipped_count: u64,
}

/// What pass 2 raised.
#[derive(Default)]
struct Raised {
    adjusted: u64,
    in_place: u64,
    increase: Fen,
    arrears: Fen,
}

impl AdjustmentRun {
    fn skip(&mut self, person: i64, why: String) {
        self.skipped_count += 1;
        if self.skipped.len() < LISTED {
            self.skipped.push((person, why));
        }
    }

    /// Pass 1: the eligible count, and the average pension and contribution months of those
    /// with a usable row (`None` when nobody has one).
    fn averages(&mut self, db: &mut Db) -> Result<Option<(u64, Fen, u32)>> {
        let (mut n, mut sum_pension, mut sum_months, mut eligible) = (0i128, 0i128, 0i128, 0u64);
        let mut after = i64::MIN;
        loop {
            let chunk = eligible_chunk(db, self.jan, self.last_retire, after, self.chunk)?;
            let Some(last) = chunk.last() else { break };
            after = last.person;
            for e in chunk {
                eligible += 1;
                match e.base {
                    Ok((months, row)) => {
                        n += 1;
                        sum_pension += row.total.fen() as i128;
                        sum_months += months as i128;
                    }
                    Err(why) => self.skip(e.person, why),
                }
            }
        }
        if n == 0 {
            return Ok(None);
        }
        let avg_pension = Fen::new(div_round_half_up(sum_pension, n) as i64);
        let avg_months = (div_round_half_up(sum_months, n) as u32).max(1);
        Ok(Some((eligible, avg_pension, avg_months)))
    }

    /// Pass 2: every usable pensioner's increase, chunk by chunk.
    fn raise(&mut self, db: &mut Db, terms: &AdjustmentTerms) -> Result<Raised> {
        let mut raised = Raised::default();
        let mut after = i64::MIN;
        loop {
            let chunk = eligible_chunk(db, self.jan, self.last_retire, after, self.chunk)?;
            let Some(last) = chunk.last() else { break };
            after = last.person;
            self.raise_chunk(db, terms, &chunk, &mut raised)?;
        }
        Ok(raised)
    }

    /// The increases of one chunk: new rows from January, rows of January raised in place, and
    /// the arrears as dues of the announcement month.
    fn raise_chunk(
        &mut self,
        db: &mut Db,
        terms: &AdjustmentTerms,
        chunk: &[Eligible],
        raised: &mut Raised,
    ) -> Result<()> {
        let arrears_months = self.jan.months_until(self.month);
        let mut new_rows: Vec<PensionRecord> = Vec::new();
        let mut in_place: Vec<(i64, Fen)> = Vec::new();
        let mut dues: Vec<(i64, u32, Fen)> = Vec::new();
        for e in chunk {
            let Ok((months, row)) = &e.base else { continue };
            let inc = terms.increase(row.total, *months);
            if !inc.is_positive() {
                self.skip(
                    row.person,
                    tongchou_core::tr!("app-ben-increase", increase = inc),
                );
                continue;
            }
            raised.increase = raised.increase.try_add(inc)?;
            raised.adjusted += 1;
            if row.effective_from == self.jan {
                in_place.push((row.person, inc));
            } else {
                let mut r = row.clone();
                r.effective_from = self.jan;
                r.reason = "adjustment".into();
                r.adjustment = r.adjustment.try_add(inc)?;
                r.total = r.total.try_add(inc)?;
                new_rows.push(r);
            }
            let a = inc
                .checked_mul(arrears_months as i64)
                .ok_or(tongchou_core::money::MoneyError::Overflow)?;
            if a.is_positive() {
                raised.arrears = raised.arrears.try_add(a)?;
                dues.push((row.person, e.county, a));
            }
        }
        raised.in_place += in_place.len() as u64;
        pensions::write_records(db, &new_rows)?;
        pensions::raise_in_place(db, self.jan, &in_place)?;
        stored::write_dues(
            db,
            &self.source,
            Item::AdjustmentArrears,
            self.month,
            &self.now,
            &dues,
        )?;
        Ok(())
    }
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
    let rows = pensions::eligible_chunk(db, jan, last_retire, after, limit)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let base = match r.in_force {
            None => Err(tongchou_core::tr!("app-ben-no-row", month = jan)),
            Some(_) if r.later_rows > 0 => {
                Err(tongchou_core::tr!("app-ben-later-row", month = jan))
            }
            Some(row) => Ok((months_of(r.contribution_months)?, row)),
        };
        out.push(Eligible {
            person: r.person,
            county: r.county,
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
        return Err(AppError::Invalid(tongchou_core::tr!("app-ben-note")));
    }
    let now = iso(now_ms);
    db.transaction(|db| {
        // first: a positive difference becomes a due (see `lock_dues`)
        super::lock_dues(db, true)?;
        let r = load_for_recompute(db, person, month)?;
        let input = PensionInput {
            birth: r.pensioner.birth.period(),
            category: r.pensioner.category,
            retire: Some(r.pensioner.retire),
            paid_months: r.award.paid_months,
            deemed_months: r.award.deemed_months,
            avg_index: r.award.avg_index,
            deemed_index: r.award.deemed_index,
            account_balance: r.award.account_at_retirement,
            benefit_base: None,
            transition_coefficient: None,
        };
        let new = pension(corrected, &input)?;
        let (benefit_base, _) =
            corrected.yuan("benefit.base_monthly", r.pensioner.retire.first_day())?;
        let (paid_difference, months, per_row) = differences(&r.history, new.total, month);
        // differences already recorded by earlier corrections were paid or are being recovered
        let earlier = pensions::earlier_corrections(db, person, month)?.fen();
        let difference = paid_difference - earlier;
        let new_monthly = new.total.try_add(r.current.adjustment)?;
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
            "earlier_corrections": Fen::new(earlier),
            "note": note,
            "input": input,
            "benefit_base": benefit_base,
            "pension": new,
            "old": r.current,
            "months": per_row,
        });
        let changed = new.total != r.current.base();
        if changed {
            let row = PensionRecord {
                person,
                effective_from: month,
                reason: "recalculation".into(),
                benefit_base,
                avg_index: r.award.avg_index,
                deemed_index: r.award.deemed_index,
                paid_months: r.award.paid_months,
                deemed_months: r.award.deemed_months,
                account_at_retirement: r.award.account_at_retirement,
                divisor_tenths: new.divisor_tenths,
                basic: new.basic,
                account: new.account,
                transitional: new.transitional,
                adjustment: r.current.adjustment,
                total: new_monthly,
            };
            pensions::write_records(db, std::slice::from_ref(&row))?;
            pensions::add_explanation(db, person, month, &explanation.to_string())?;
            pensions::set_monthly(db, person, new_monthly)?;
        }
        let c = Correction {
            id,
            person,
            county: r.pensioner.county,
            month,
            old_monthly: r.pensioner.monthly,
            new_monthly: if changed {
                new_monthly
            } else {
                r.pensioner.monthly
            },
            months,
            difference: Fen::new(difference),
            status: status.to_string(),
            explanation,
        };
        record_correction(db, &c, note, &now)?;
        Ok(c)
    })
}

/// What a recomputation reads of a pensioner.
struct ToRecompute {
    pensioner: pensions::Pensioner,
    /// The award (or the first row), and the row in force now.
    award: PensionRecord,
    current: PensionRecord,
    history: Vec<PensionRecord>,
}

/// Read an active pensioner whose pension rows all precede `month` and who was not recomputed
/// from `month` yet.
fn load_for_recompute(db: &mut Db, person: i64, month: Period) -> Result<ToRecompute> {
    let pensioner = pensions::pensioner(db, person)?.ok_or_else(|| {
        AppError::Invalid(tongchou_core::tr!("app-not-pensioner", person = person))
    })?;
    if pensions::correction_exists(db, person, month)? {
        return Err(AppError::State(tongchou_core::tr!(
            "app-ben-recomputed",
            person = person,
            month = month
        )));
    }
    if pensioner.status != "active" {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-ben-not-active",
            person = person,
            status = pensioner.status
        )));
    }
    let history = pension_history(db, person)?;
    let award = history
        .iter()
        .find(|h| h.reason == "award")
        .or_else(|| history.first())
        .cloned()
        .ok_or_else(|| {
            AppError::Invalid(tongchou_core::tr!("app-ben-no-pension", person = person))
        })?;
    if let Some(later) = history.iter().find(|h| h.effective_from >= month) {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-ben-row-from",
            person = person,
            from = later.effective_from,
            reason = later.reason
        )));
    }
    let current = history.last().cloned().ok_or_else(|| {
        AppError::Invalid(tongchou_core::tr!("app-ben-no-pension", person = person))
    })?;
    Ok(ToRecompute {
        pensioner,
        award,
        current,
        history,
    })
}

/// Σ over the months paid before `month` of (new components − components then in force), the
/// months counted, and the explanation of each row.
fn differences(
    history: &[PensionRecord],
    new_total: Fen,
    month: Period,
) -> (i64, u32, Vec<serde_json::Value>) {
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
        let d = new_total.fen() - h.base().fen();
        difference += d * k as i64;
        months += k as u32;
        per_row.push(serde_json::json!({
            "from": from, "months": k, "paid_components": h.base(), "new_components": new_total, "difference": Fen::new(d * k as i64),
        }));
    }
    (difference, months, per_row)
}

/// Store the correction; a positive difference is due in its month, a negative one opens a
/// recovery case.
fn record_correction(db: &mut Db, c: &Correction, note: &str, now: &str) -> Result<()> {
    pensions::insert_correction(
        db,
        &pensions::CorrectionRow {
            person: c.person,
            id: c.id,
            county: c.county,
            month: c.month,
            old_monthly: c.old_monthly,
            new_monthly: c.new_monthly,
            months: c.months,
            difference: c.difference,
            status: &c.status,
            note,
            explanation: &c.explanation.to_string(),
            created_at: now,
        },
    )?;
    let source = format!("correction:{}", c.id);
    let difference = c.difference.fen();
    if difference > 0 {
        add_due(
            db,
            c.person,
            &source,
            Item::AdjustmentArrears,
            c.month,
            c.county,
            c.difference,
            now,
        )?;
    } else if difference < 0 {
        open_recovery(
            db,
            c.person,
            RecoveryKind::Correction,
            c.county,
            c.month,
            Fen::new(-difference),
            &source,
            c.month,
            &serde_json::json!({"correction": c.id, "months": c.months, "note": note}),
        )?;
    }
    Ok(())
}

//! Benefits (issue 5, items 1–3): retirement approval, the yearly adjustment, recomputation after
//! a corrected parameter, deaths and cross-checks (数据比对). Tables: migration
//! `0007_benefits.sql`; inputs: the registry (`persons`, `pensioners`, `pensions`) and the
//! collection tables (`assessments`, `applications`, `arrears`, `account_years`).
//!
//! # Retirement (退休审批), [`retire`]
//! A county agency user submits an application ([`retire::submit`]) for a person whose statutory
//! month (or a flexible month within the window) is M ([`retire::due_in_month`] lists who reaches
//! the statutory month in M). Submission goes through `tongchou_store::access::submit_approval`
//! (kind `retirement`, object id = the application id) and stores the facts checked and the
//! reasons the checks refuse. Another user holding `retirement_approve` decides
//! ([`retire::decide`], via `decide_approval`: never the submitter). The checks
//! (`rules::benefit::check_retirement`) are run again at the decision; an approval is possible only
//! when they pass (otherwise it is refused with the reasons, and the application stays pending
//! so it can be approved once, say, the arrears are paid); a refusal stores the checks' reasons
//! and the approver's note.
//!
//! The person's own history, as of the decision ([`retire::gather_facts`]):
//! - **paid months** = the registry's `paid_months` (as of the first day of `persons.as_of`) + the
//!   months from `as_of` to the retirement month whose assessment is fully paid (Σ
//!   `applications.amount_fen` of the person and period ≥ the assessment's pooling + account
//!   parts);
//! - **average index** = round_half_up((registry avg_index × registry paid_months + A × n) /
//!   (registry paid_months + n), 4 decimals), where A = `rules::benefit::average_index` over the
//!   `base_fen` of those n paid months (itself rounded to 4 decimals, so the combination is off by
//!   at most 0.00005 × n / total before the final rounding);
//! - **account balance** = registry `balance_fen` + Σ `applications.account_fen` applied in the
//!   collection batches from `as_of` on (`batch_id ≥ as_of`, so late payments of older months
//!   count too) + Σ interest (`interest_opening_fen + interest_contrib_fen`) of the closed years in
//!   `account_years` from the year of `as_of` on. Interest of the current, unclosed year is not
//!   added (the year's crediting rate is not known before it closes);
//! - **deemed index** = the index given on the application (archive review), else the person's own
//!   average index; **open arrears** = Σ (`total_fen − paid_fen`) of the person's `arrears` rows.
//!
//! Approval fixes the pension with `rules::pension::pension` on those inputs (retirement month of
//! the application, benefit base and coefficients of the policy in force then) and writes, in one
//! transaction with the decision: a `pensions` row `award` effective from the month after
//! retirement, its explanation (`pension_explanations`: facts, every rule's explanation, inputs),
//! a `pensioners` row (active, paying county = the person's county), the person's status
//! `retired` and a `retire` event.
//!
//! # Yearly adjustment and corrections, [`adjust`]
//! [`adjust::adjust_year`] and [`adjust::recompute`]; see there.
//!
//! # Deaths and cross-checks, [`deaths`]
//! [`deaths::import_deaths`], [`deaths::import_roll`], [`deaths::run_crosscheck`],
//! [`deaths::report`]; a death settlement is paid to the survivor who claims it
//! ([`deaths::file_claim`], table `survivor_claims` of migration `0009_survivor_claims.sql`;
//! [`deaths::awaiting_claims`]); see there.
//!
//! # What the payroll job reads
//! - The monthly pension: `pensioners.monthly_fen` of the active pensioners with `retire_period <
//!   M` (kept equal to the `total_fen` of the pension row in force by every writer here).
//! - Everything else, once: [`settlements_due`] for month M gives (person, county, item, amount),
//!   summed per person and item: yearly adjustment arrears (due in the announcement month),
//!   death settlements (funeral grant, survivor grant, account refund; due once a survivor has
//!   claimed them, in the first month whose payroll has not run, never before the month after
//!   the cross-check that found the death; paid to the claimant) and positive corrections (as
//!   `adjustment_arrears`: back pay of a pension difference). Rows live in `benefit_dues`, due in
//!   exactly one month: whoever writes them picks a month whose payroll has not run.
//! - Amounts to take back are never paid: they are `recovery_cases` (status `open`).

pub mod adjust;
pub mod deaths;
pub mod retire;

use crate::error::{AppError, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use tongchou_core::tr;
use tongchou_core::{Fen, Period};
use tongchou_engine::disbursement::Item;
use tongchou_store::Db;
use tongchou_store::benefits;

/// A fresh application id (random, positive, below 2^53).
pub(crate) fn new_id() -> Result<i64> {
    tongchou_store::access::random_id().map_err(|e| AppError::Invalid(e.to_string()))
}

pub(crate) fn iso(now_ms: i64) -> String {
    tongchou_store::access::iso_time(now_ms)
}

pub(crate) fn json_text<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v)
        .map_err(|e| AppError::Invalid(tongchou_core::tr!("app-json", error = e)))
}

/// Run `f` in a transaction, again (up to 10 times) when it lost a race for the audit chain or a
/// serialization conflict: the audit log numbers its entries, so two writers may collide.
pub(crate) fn with_retry<T>(db: &mut Db, mut f: impl FnMut(&mut Db) -> Result<T>) -> Result<T> {
    let mut n = 0u64;
    loop {
        n += 1;
        match db.transaction(&mut f) {
            Err(e) if n < 10 && e.is_conflict() => {
                std::thread::sleep(std::time::Duration::from_millis(1 + (n * 7) % 23));
            }
            r => return r,
        }
    }
}

/// Refuse a free-text field that is empty, longer than `max` characters or not on one line
/// (the error names `field`).
pub(crate) fn check_text(field: &str, v: &str, max: usize) -> Result<()> {
    let t = v.trim();
    if t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(AppError::Invalid(tr!(
            "app-ben-text",
            field = field,
            max = max
        )));
    }
    Ok(())
}

/// Check a bank's code and name ([`check_text`]) and return the account number without its
/// whitespace (each caller applies its own rule to it).
pub(crate) fn bank_fields(code: &str, name: &str, account: &str) -> Result<String> {
    check_text("bank_code", code, 32)?;
    check_text("bank_name", name, 64)?;
    Ok(account.chars().filter(|c| !c.is_whitespace()).collect())
}

/// Serialise the writers of `benefit_dues` with the payroll step that reads them
/// (`tongchou_store::benefits::lock_dues`): call it FIRST in the transaction; `writer` for the
/// writers of dues, not for the payroll step.
pub fn lock_dues(db: &mut Db, writer: bool) -> Result<()> {
    Ok(benefits::lock_dues(db, writer)?)
}

/// Write one one-off amount for the payroll of `due_month` (nothing when not positive).
#[allow(clippy::too_many_arguments)]
pub(crate) fn add_due(
    db: &mut Db,
    person: i64,
    source: &str,
    item: Item,
    due_month: Period,
    county: u32,
    amount: Fen,
    now: &str,
) -> Result<()> {
    if !amount.is_positive() {
        return Ok(());
    }
    benefits::add_due(
        db,
        &benefits::NewDue {
            person,
            source,
            item,
            due_month,
            county,
            amount,
            created_at: now,
        },
    )?;
    Ok(())
}

/// What a recovery case is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryKind {
    PaidAfterDeath,
    DuplicateReceipt,
    Correction,
}

impl RecoveryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecoveryKind::PaidAfterDeath => "paid_after_death",
            RecoveryKind::DuplicateReceipt => "duplicate_receipt",
            RecoveryKind::Correction => "correction",
        }
    }
}

/// Open a recovery case unless the same (person, kind, month, source) is already open. Returns
/// whether a case was opened.
#[allow(clippy::too_many_arguments)]
pub(crate) fn open_recovery(
    db: &mut Db,
    person: i64,
    kind: RecoveryKind,
    county: u32,
    month: Period,
    amount: Fen,
    source: &str,
    opened: Period,
    details: &serde_json::Value,
) -> Result<bool> {
    let d = details.to_string();
    Ok(benefits::open_recovery(
        db,
        &benefits::NewRecovery {
            person,
            id: new_id()?,
            kind: kind.as_str(),
            county,
            month,
            amount,
            source,
            opened,
            details: &d,
        },
    )?)
}

/// One line the payroll of a month pays besides the monthly pension.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Due {
    pub person: i64,
    pub county: u32,
    pub item: Item,
    pub amount: Fen,
}

/// The one-off amounts the payroll of `month` pays: yearly adjustment arrears, death settlement
/// items and positive corrections, one line per (person, item) in (person, item) order, as
/// `(person, county, item, amount)`.
pub fn settlements_due(db: &mut Db, month: Period) -> Result<Vec<(i64, u32, Item, Fen)>> {
    Ok(dues(db, month)?
        .into_iter()
        .map(|d| (d.person, d.county, d.item, d.amount))
        .collect())
}

/// [`settlements_due`] as structs.
pub fn dues(db: &mut Db, month: Period) -> Result<Vec<Due>> {
    let mut by: BTreeMap<(i64, Item), Due> = BTreeMap::new();
    for r in benefits::dues_of_month(db, month)? {
        let (person, county, item, amount) = (r.person, r.county, r.item, r.amount);
        // a person has one paying county; sum across rows written under another county
        let e = by.entry((person, item)).or_insert(Due {
            person,
            county,
            item,
            amount: Fen::ZERO,
        });
        e.amount = e.amount.try_add(amount)?;
    }
    Ok(by.into_values().collect())
}

/// The estimator's inputs within what a person's record can hold (the public endpoints take
/// anything): born between 1920 and 16 years before `today`, retiring between ages 40 and 75,
/// at most 60 years of contributions, indices within the base's 60 %–300 % band (0.6–3.0, with
/// room for rounding: 0.5–3.5), an account balance below 10 million yuan and a benefit base
/// below 1 million yuan a month. Each refusal names its field.
fn check_estimate_bounds(
    input: &tongchou_core::rules::pension::PensionInput,
    today: tongchou_core::Date,
) -> Result<()> {
    use tongchou_core::{Fen, Ratio};
    let bad = |field: &str, why: String| Err(AppError::Invalid(format!("{field}: {why}")));
    let now = today.period();
    if input.birth.year() < 1920 || input.birth > now.add_months(-16 * 12) {
        return bad(
            "birth",
            tr!("app-est-birth", latest = now.add_months(-16 * 12)),
        );
    }
    if let Some(r) = input.retire {
        let age = input.birth.months_until(r);
        if !(40 * 12..=75 * 12).contains(&age) {
            return bad("retire", tr!("app-est-retire"));
        }
    }
    if input.paid_months > 720
        || input.deemed_months > 720
        || input.paid_months + input.deemed_months > 720
    {
        return bad("paid_months", tr!("app-est-months"));
    }
    let index_ok = |r: Ratio| (Ratio(50_000_000)..=Ratio(350_000_000)).contains(&r);
    if !index_ok(input.avg_index) {
        return bad("avg_index", tr!("app-est-index"));
    }
    if !index_ok(input.deemed_index) && input.deemed_months > 0 {
        return bad("deemed_index", tr!("app-est-deemed-index"));
    }
    if input.account_balance < Fen::ZERO || input.account_balance > Fen::new(1_000_000_000) {
        return bad("account_balance", tr!("app-est-balance"));
    }
    if let Some(b) = input.benefit_base
        && (b <= Fen::ZERO || b > Fen::new(100_000_000))
    {
        return bad("benefit_base", tr!("app-est-base"));
    }
    if let Some(c) = input.transition_coefficient
        && !(Ratio(0)..=Ratio(5_000_000)).contains(&c)
    {
        return bad("transition_coefficient", tr!("app-est-coefficient"));
    }
    Ok(())
}

/// The public pension estimator (`tongchou pension estimate`, `/estimate`, the API): the
/// 国发〔2005〕38号 rule on the input, and a warning when the retirement month asked about is
/// already past on `today` (the figures are then those of the parameters in force back then,
/// not a pension one could still apply for).
pub fn estimate(
    policy: &tongchou_core::Policy,
    input: &tongchou_core::rules::pension::PensionInput,
    today: tongchou_core::Date,
) -> Result<tongchou_core::rules::pension::Pension> {
    check_estimate_bounds(input, today)?;
    let mut p = tongchou_core::rules::pension::pension(policy, input)?;
    if p.retire < today.period() {
        p.warnings.push(tongchou_core::tr!(
            "app-ben-past",
            retire = p.retire,
            month = today.period()
        ));
    }
    Ok(p)
}

#[cfg(test)]
mod estimate_tests {
    use super::*;

    #[test]
    fn impossible_inputs_are_refused_with_their_field() {
        let policy = tongchou_core::Policy::builtin().expect("policy");
        let today = "2026-12-02".parse::<tongchou_core::Date>().expect("date");
        let base = r#""category":"male","paid_months":300,"deemed_months":96,"avg_index":"1.15","deemed_index":"1.0""#;
        for (json, field) in [
            (
                format!(r#"{{"birth":"9999-12",{base},"account_balance":"120000.00"}}"#),
                "birth:",
            ),
            (
                format!(
                    r#"{{"birth":"1965-01",{base},"account_balance":"120000.00","benefit_base":"99999999999999.99"}}"#
                ),
                "benefit_base:",
            ),
            (
                format!(r#"{{"birth":"1965-01",{base},"account_balance":"99999999999.00"}}"#),
                "account_balance:",
            ),
            (
                format!(
                    r#"{{"birth":"1965-01",{base},"account_balance":"1.00","retire":"2160-01"}}"#
                ),
                "retire:",
            ),
        ] {
            let input = tongchou_core::rules::pension::parse_input(&json).expect("input");
            let e = estimate(&policy, &input, today)
                .expect_err(&json)
                .to_string();
            assert!(e.starts_with(field), "{json}: {e}");
        }
    }

    #[test]
    fn a_retirement_month_in_the_past_is_said_to_be() {
        let policy = tongchou_core::Policy::builtin().expect("policy");
        let input = tongchou_core::rules::pension::parse_input(
            r#"{"birth":"1965-01","category":"male","paid_months":300,"deemed_months":96,
            "avg_index":"1.15","deemed_index":"1.0","account_balance":"120000.00"}"#,
        )
        .expect("input");
        let day = |s: &str| s.parse::<tongchou_core::Date>().expect("date");
        let before = estimate(&policy, &input, day("2024-06-01")).expect("estimate");
        assert!(
            before.warnings.iter().all(|w| !w.contains("早于本月")),
            "{:?}",
            before.warnings
        );
        let after = estimate(&policy, &input, day("2026-12-02")).expect("estimate");
        assert!(
            after
                .warnings
                .iter()
                .any(|w| w.contains("退休年月 2025-02 早于本月 2026-12")),
            "{:?}",
            after.warnings
        );
        assert_eq!(before.total, after.total);
    }
}

//! Step 1: the payroll of the month — pensions in force, the caller's extra lines, and re-issues
//! of returned payments — written as planned lines in the order the pay step issues them.

use super::{end_to_end, rc};
use crate::error::{AppError, Result};
use std::collections::HashSet;
use tongchou_core::Fen;
use tongchou_core::period::Period;
use tongchou_core::policy::Policy;
use tongchou_engine::disbursement::Item;
use tongchou_engine::payroll::{
    Pensioner, PensionerStatus, heating_lines, heating_subsidy, payroll,
};
use tongchou_store::Db;
use tongchou_store::payroll::{self as store, NewLine};

/// A line without its end-to-end id yet (filled in by [`with_end_to_end`]).
fn line(
    person: i64,
    item: Item,
    attempt: u8,
    county: u32,
    amount: Fen,
    reissue_of: Option<String>,
) -> NewLine {
    NewLine {
        person,
        item,
        attempt,
        county,
        amount,
        end_to_end: String::new(),
        reissue_of,
    }
}

/// The pensions in force for `month` (the payroll kernel over every active pensioner), and in
/// the heating-subsidy month one subsidy line per pensioner paid.
fn pensions_in_force(db: &mut Db, policy: &Policy, month: Period) -> Result<Vec<NewLine>> {
    let mut ps = Vec::new();
    store::each_active_pensioner(db, |p| {
        ps.push(Pensioner {
            person: p.person,
            county: p.county,
            // paid from the month after retirement
            retire: p.retire_period.add_months(1),
            monthly: p.monthly,
            contribution_months: p.contribution_months,
            status: PensionerStatus::Active,
        });
        Ok(())
    })?;
    let mut lines = payroll(month, &ps, None).lines;
    if let Some((amount, _)) = heating_subsidy(policy, month)? {
        let heating = heating_lines(&lines, amount);
        lines.extend(heating);
    }
    Ok(lines
        .drain(..)
        .map(|l| line(l.person, l.item, 0, l.county, l.amount, None))
        .collect())
}

/// Successors of earlier lines, in `month`: re-issues of returned payments not yet re-issued,
/// and deferred payments of earlier months carried forward (a partial or rejected approval left
/// them unpaid; they are paid now, with this month's plan). Each keeps its item (payee,
/// expense) and gets a later attempt; a person's successors of one item in one month get
/// distinct attempts (January's and February's pension both returned once may be re-issued in
/// the same month). The carried lines become `carried` when these are written.
fn successors(db: &mut Db, month: Period, out: &mut Vec<NewLine>) -> Result<()> {
    super::guard::check_before_reissue(db)?;
    let mut used: HashSet<(i64, Item, i64)> = HashSet::new();
    let mut earlier = store::returned_not_reissued(db)?;
    earlier.extend(store::deferred_before(db, month)?);
    for r in earlier {
        let mut next = r.attempt + 1;
        while !used.insert((r.person, r.item, next)) {
            next += 1;
        }
        let attempt = u8::try_from(next)
            .ok()
            .filter(|a| *a <= 99)
            .ok_or_else(|| {
                AppError::Invalid(tongchou_core::tr!("app-dis-reissues", person = r.person))
            })?;
        out.push(line(
            r.person,
            r.item,
            attempt,
            r.county,
            r.amount,
            Some(r.end_to_end),
        ));
    }
    Ok(())
}

/// Give each line its end-to-end id and put the lines in the order the pay step issues them
/// (county, then end-to-end id, as the files list them): a county's lines are neighbours in the
/// table, so reading a message's lines (its county's range of ids: the returns, the checks)
/// reads a few contiguous pages instead of touching every page of the month. (The lines are not
/// rewritten when their message goes out or is paid: migration 0073.)
fn with_end_to_end(month: Period, lines: &mut [NewLine]) -> Result<()> {
    for l in lines.iter_mut() {
        l.end_to_end = end_to_end(rc(l.county as i64)?, month, l.item, l.person, l.attempt)?;
    }
    lines.sort_by(|a, b| (a.county, &a.end_to_end).cmp(&(b.county, &b.end_to_end)));
    Ok(())
}

/// Step 1: the payroll of `month`.
pub(super) fn step_payroll(
    db: &mut Db,
    policy: &Policy,
    month: Period,
    extra: &[(i64, u32, Item, Fen)],
    recover: bool,
) -> Result<serde_json::Value> {
    let mut lines = pensions_in_force(db, policy, month)?;
    let deducted = if recover {
        let now = crate::clock::now().to_string();
        Some(crate::recoveries::deduct(
            db, policy, month, &mut lines, &now,
        )?)
    } else {
        None
    };
    for (person, county, item, amount) in extra {
        if amount.is_positive() {
            lines.push(line(*person, *item, 0, *county, *amount, None));
        }
    }
    successors(db, month, &mut lines)?;
    with_end_to_end(month, &mut lines)?;
    let total = Fen::try_sum(lines.iter().map(|l| l.amount))?;
    store::write_planned(db, month, &lines)?;
    let carried = store::mark_carried_before(db, month)?;
    Ok(serde_json::json!({
        "lines": lines.len(), "total_fen": total.fen(), "carried_in": carried,
        "recovery_deductions": deducted,
    }))
}

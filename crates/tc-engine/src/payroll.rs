//! The monthly payroll (发放名册) of each county: one line per (pensioner, month, item), from the
//! pensions in force, the yearly adjustment with its arrears, and death settlements.

use crate::disbursement::Item;
use serde::Serialize;
use tongchou_core::Fen;
use tongchou_core::period::Period;
use tongchou_core::policy::{ParamUse, Policy};
use tongchou_core::rules::RuleError;
use tongchou_core::rules::benefit::AdjustmentTerms;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PensionerStatus {
    Active,
    Suspended,
    Deceased,
}

/// A pensioner as the payroll sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pensioner {
    pub person: i64,
    pub county: u32,
    pub retire: Period,
    pub monthly: Fen,
    pub contribution_months: u32,
    pub status: PensionerStatus,
}

/// One payment to make.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PayLine {
    pub person: i64,
    pub county: u32,
    pub month: Period,
    pub item: Item,
    pub amount: Fen,
}

/// A yearly adjustment being paid in `month`: increases from January of its year.
pub struct AdjustmentRun<'a> {
    pub terms: &'a AdjustmentTerms,
    /// The month the adjustment is announced and first paid (with arrears back to January).
    pub month: Period,
}

impl AdjustmentRun<'_> {
    /// Whether a pensioner is eligible: retired by the end of the previous year, and active.
    pub fn eligible(&self, p: &Pensioner) -> bool {
        p.status == PensionerStatus::Active
            && p.retire.year() < self.terms.year
            && p.retire <= self.month
    }
    /// Months of arrears owed in the announcement month (January up to the month before).
    pub fn arrears_months(&self) -> i32 {
        (self.month.month() as i32 - 1).max(0)
    }
}

/// The result of a payroll run: the lines and, when an adjustment ran, the new monthly amounts.
#[derive(Clone, Debug, Default)]
pub struct Payroll {
    pub lines: Vec<PayLine>,
    /// (person, new monthly pension) for pensioners whose pension the adjustment raised.
    pub raised: Vec<(i64, Fen)>,
}

/// Build the payroll of `month` for the given pensioners (any order; output sorted by person).
pub fn payroll(
    month: Period,
    pensioners: &[Pensioner],
    adjustment: Option<&AdjustmentRun<'_>>,
) -> Payroll {
    let mut out = Payroll::default();
    for p in pensioners {
        if p.status != PensionerStatus::Active || p.retire > month {
            continue;
        }
        let mut monthly = p.monthly;
        if let Some(a) = adjustment.filter(|a| a.month == month && a.eligible(p)) {
            let inc = a.terms.increase(p.monthly, p.contribution_months);
            if inc.is_positive() {
                // An increase is a fraction of the pension: the sum stays far inside Fen's range.
                monthly = p.monthly.checked_add(inc).expect("pension + increase fits");
                out.raised.push((p.person, monthly));
                let arrears = inc
                    .checked_mul(a.arrears_months() as i64)
                    .expect("an increase × at most 12 months fits");
                if arrears.is_positive() {
                    out.lines.push(PayLine {
                        person: p.person,
                        county: p.county,
                        month,
                        item: Item::AdjustmentArrears,
                        amount: arrears,
                    });
                }
            }
        }
        if monthly.is_positive() {
            out.lines.push(PayLine {
                person: p.person,
                county: p.county,
                month,
                item: Item::BasicPension,
                amount: monthly,
            });
        }
    }
    out.lines.sort_by_key(|l| (l.person, l.item));
    out
}

/// The winter heating subsidy (冬季取暖补贴) due in `month`: the yearly amount of
/// `benefit.heating_subsidy_annual` when `month` is the month of `benefit.heating_subsidy_month`,
/// with the parameters used; `None` in any other month and before the parameters are in force.
pub fn heating_subsidy(
    policy: &Policy,
    month: Period,
) -> Result<Option<(Fen, Vec<ParamUse>)>, RuleError> {
    let on = month.first_day();
    const MONTH: &str = "benefit.heating_subsidy_month";
    const AMOUNT: &str = "benefit.heating_subsidy_annual";
    let in_force = |name: &str| {
        policy
            .param(name)
            .map(|p| p.values.first().is_some_and(|v| v.from <= on))
    };
    if !in_force(MONTH)? || !in_force(AMOUNT)? {
        return Ok(None);
    }
    let (m, u1) = policy.int(MONTH, on)?;
    if m != i64::from(month.month()) {
        return Ok(None);
    }
    let (amount, u2) = policy.yuan(AMOUNT, on)?;
    Ok(amount.is_positive().then(|| (amount, vec![u1, u2])))
}

/// One heating-subsidy line per person whose pension is paid in the lines given (their
/// `BasicPension` lines), in their county.
pub fn heating_lines(pensions: &[PayLine], amount: Fen) -> Vec<PayLine> {
    let mut seen = std::collections::HashSet::new();
    pensions
        .iter()
        .filter(|l| l.item == Item::BasicPension && seen.insert(l.person))
        .map(|l| PayLine {
            person: l.person,
            county: l.county,
            month: l.month,
            item: Item::HeatingSubsidy,
            amount,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heating_subsidy_is_paid_once_in_october() {
        let policy = Policy::builtin().expect("policy");
        let p = |s: &str| s.parse::<Period>().expect("p");
        let (amount, uses) = heating_subsidy(&policy, p("2020-10"))
            .expect("rule")
            .expect("due in October");
        assert_eq!(amount, Fen::from_yuan(3360));
        assert_eq!(uses.len(), 2);
        assert!(
            heating_subsidy(&policy, p("2020-09"))
                .expect("rule")
                .is_none()
        );
        assert!(
            heating_subsidy(&policy, p("2016-10"))
                .expect("rule")
                .is_none()
        );
        let line = |person, item| PayLine {
            person,
            county: 140105,
            month: p("2020-10"),
            item,
            amount: Fen::from_yuan(3000),
        };
        let lines = heating_lines(
            &[
                line(1, Item::BasicPension),
                line(1, Item::BasicPension),
                line(2, Item::FuneralGrant),
                line(3, Item::BasicPension),
            ],
            amount,
        );
        assert_eq!(lines.len(), 2);
        assert!(
            lines
                .iter()
                .all(|l| l.item == Item::HeatingSubsidy && l.amount == amount)
        );
    }
    use tongchou_core::Policy;

    fn pen(person: i64, retire: &str, monthly: i64, status: PensionerStatus) -> Pensioner {
        Pensioner {
            person,
            county: 140105,
            retire: retire.parse().expect("p"),
            monthly: Fen::new(monthly),
            contribution_months: 360,
            status,
        }
    }

    #[test]
    fn payroll_with_adjustment_and_arrears() {
        let policy = Policy::builtin().expect("policy");
        let terms = AdjustmentTerms::at(&policy, 2023, Fen::new(300_000), 360).expect("terms");
        let july: Period = "2023-07".parse().expect("p");
        let run = AdjustmentRun {
            terms: &terms,
            month: july,
        };
        let ps = vec![
            pen(1, "2010-05", 300_000, PensionerStatus::Active),
            pen(2, "2023-02", 250_000, PensionerStatus::Active), // retired this year: not eligible
            pen(3, "2015-01", 280_000, PensionerStatus::Deceased),
            pen(4, "2023-09", 200_000, PensionerStatus::Active), // not yet retired
        ];
        let p = payroll(july, &ps, Some(&run));
        assert_eq!(p.raised, vec![(1, Fen::new(311_400))]);
        assert_eq!(p.lines.len(), 3);
        assert_eq!(p.lines[0].item, Item::BasicPension);
        assert_eq!(p.lines[0].amount, Fen::new(311_400));
        assert_eq!(p.lines[1].item, Item::AdjustmentArrears);
        assert_eq!(p.lines[1].amount, Fen::new(11_400 * 6));
        assert_eq!(p.lines[2].person, 2);
        // the adjustment does not apply in other months
        let aug = payroll("2023-08".parse().expect("p"), &ps, Some(&run));
        assert!(aug.raised.is_empty());
    }
}

//! Back-payments (补缴): contributions of past months that were never assessed (a person left
//! undeclared, a flexible payer catching up), assessed month by month under the rules of each
//! month's own period (the base bounds and rates in force on its first day, its due date), never
//! today's. What is owed becomes an open item of that month, so the late fee runs from that
//! month's due date to the day the money is paid (`arrears::apply_payment`), and the money lands
//! in the collection period that is open when it is paid.

use super::arrears::due_date;
use super::contribution::{ContributionTerms, PayerKind};
use super::{RuleError, input};
use crate::explain::Explanation;
use crate::money::Fen;
use crate::period::{Date, Period};
use crate::policy::Policy;
use serde::Serialize;

/// One month of a back-payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Month {
    pub period: Period,
    /// The wage declared for the month (the chosen base of a flexible payer).
    pub declared: Fen,
    /// The base clamped to that month's bounds.
    pub base: Fen,
    pub pooling: Fen,
    pub account: Fen,
    /// That month's due date: the late fee runs from the day after.
    pub due: Date,
}

impl Month {
    pub fn total(&self) -> Fen {
        // both parts are rates (< 1) of a base clamped to the ceiling: no overflow
        self.pooling
            .checked_add(self.account)
            .expect("both parts are below the clamped base")
    }
}

/// A back-payment's assessment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assessed {
    pub months: Vec<Month>,
    pub total: Fen,
    /// The total reaches `contribution.backpay_approval_threshold` on `today`.
    pub needs_approval: bool,
    pub threshold: Fen,
    pub explanation: Explanation,
}

/// Assess the back-payment of `months` (period, declared wage) for a payer of `kind`, as of
/// `today`: every month must lie before today's month (the current month is declared, not
/// back-paid), at most once.
pub fn assess(
    policy: &Policy,
    kind: PayerKind,
    months: &[(Period, Fen)],
    today: Date,
) -> Result<Assessed, RuleError> {
    if months.is_empty() {
        return Err(input("months", crate::tr!("rule-bp-no-month")));
    }
    let current = today.period();
    let mut seen = std::collections::BTreeSet::new();
    let mut e = Explanation::new(
        "contribution.backpay",
        "for each month m: base = clamp(declared, floor(m), ceiling(m)); parts by the rates in force on m's first day; due = m's due day; total = Σ parts",
    );
    let mut out = Vec::with_capacity(months.len());
    for &(period, declared) in months {
        if period >= current {
            return Err(input(
                "months",
                crate::tr!("rule-bp-not-before", period = period, current = current),
            ));
        }
        if !seen.insert(period) {
            return Err(input(
                "months",
                crate::tr!("rule-bp-twice", period = period),
            ));
        }
        if declared.is_negative() {
            return Err(input("declared", format!("{period} 的申报工资为负数")));
        }
        let terms = ContributionTerms::at(policy, period)?;
        let (c, ex) = terms.explain(kind, declared);
        for u in ex.params {
            e.param(u);
        }
        let due = due_date(policy, period)?;
        e.step(
            "month",
            crate::stored!(
                "explain-value-backpay-month",
                period = period,
                declared = declared.grouped(),
                base = c.base.grouped(),
                pooling = c.pooling.grouped(),
                account = c.account.grouped(),
                due = due
            ),
        );
        out.push(Month {
            period,
            declared,
            base: c.base,
            pooling: c.pooling,
            account: c.account,
            due,
        });
    }
    out.sort_by_key(|m| m.period);
    let total =
        Fen::try_sum(out.iter().map(Month::total)).map_err(|_| RuleError::Overflow("total"))?;
    let (threshold, u) = policy.yuan("contribution.backpay_approval_threshold", today)?;
    e.param(u);
    e.step("total", total);
    Ok(Assessed {
        months: out,
        total,
        needs_approval: total >= threshold,
        threshold,
        explanation: e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        s.parse().expect("period")
    }

    #[test]
    fn each_month_under_its_own_rules() {
        let policy = Policy::builtin().expect("policy");
        let today: Date = "2026-12-03".parse().expect("d");
        let a = assess(
            &policy,
            PayerKind::Employee,
            &[
                (p("2021-03"), Fen::new(100)),
                (p("2020-06"), Fen::new(500_000)),
            ],
            today,
        )
        .expect("assess");
        // sorted by month; each base within its own year's bounds
        assert_eq!(a.months[0].period, p("2020-06"));
        for m in &a.months {
            let t = ContributionTerms::at(&policy, m.period).expect("terms");
            assert_eq!(m.base, t.clamp(m.declared));
            assert_eq!(m.pooling, t.employer_rate.of(m.base));
            assert_eq!(m.account, t.individual_rate.of(m.base));
            assert_eq!(m.due, due_date(&policy, m.period).expect("due"));
        }
        // a tiny declared wage is raised to that month's floor, not today's
        let floor_2021 = ContributionTerms::at(&policy, p("2021-03"))
            .expect("t")
            .floor;
        assert_eq!(a.months[1].base, floor_2021);
        assert_ne!(
            floor_2021,
            ContributionTerms::at(&policy, p("2026-01"))
                .expect("t")
                .floor
        );
        assert_eq!(
            a.total,
            a.months[0]
                .total()
                .try_add(a.months[1].total())
                .expect("sum")
        );
        assert!(
            a.explanation
                .params
                .iter()
                .any(|u| u.name == "contribution.backpay_approval_threshold")
        );
    }

    #[test]
    fn threshold_and_refusals() {
        let policy = Policy::builtin().expect("policy");
        let today: Date = "2026-12-03".parse().expect("d");
        let small = assess(
            &policy,
            PayerKind::Employee,
            &[(p("2024-01"), Fen::new(500_000))],
            today,
        )
        .expect("small");
        assert!(!small.needs_approval, "{:?}", small.total);
        let many: Vec<(Period, Fen)> = (1..=12)
            .map(|m| (p(&format!("2023-{m:02}")), Fen::new(1_000_000)))
            .collect();
        let big = assess(&policy, PayerKind::Employee, &many, today).expect("big");
        assert!(big.needs_approval && big.total >= big.threshold);
        for bad in [
            vec![],
            vec![(p("2026-12"), Fen::new(1))],
            vec![(p("2024-01"), Fen::new(1)), (p("2024-01"), Fen::new(2))],
            vec![(p("2024-01"), Fen::new(-1))],
        ] {
            assert!(
                assess(&policy, PayerKind::Employee, &bad, today).is_err(),
                "{bad:?}"
            );
        }
    }
}

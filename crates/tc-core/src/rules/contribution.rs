//! Monthly contribution assessment (核定): base clamped to the bounds in force, employer and
//! individual parts at the dated rates, each rounded half-up to the fen.

use super::RuleError;
use crate::explain::Explanation;
use crate::money::Fen;
use crate::period::Period;
use crate::policy::{ParamUse, Policy};
use crate::ratio::Ratio;
use serde::Serialize;

/// How a person contributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PayerKind {
    /// An employee: employer part to pooling, individual part to the account.
    Employee,
    /// Flexibly employed (灵活就业): pays the whole flexible rate on a chosen base; the account
    /// rate goes to the individual account, the rest to pooling.
    Flexible,
}

/// The parameters of one period, resolved once.
#[derive(Clone, Debug)]
pub struct ContributionTerms {
    pub period: Period,
    pub floor: Fen,
    pub ceiling: Fen,
    pub employer_rate: Ratio,
    pub individual_rate: Ratio,
    pub flexible_rate: Ratio,
    pub flexible_account_rate: Ratio,
    pub uses: Vec<ParamUse>,
}

/// The result for one person and period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Contribution {
    /// The declared wage (or the chosen base of a flexible payer).
    pub declared: Fen,
    /// The base after clamping to [floor, ceiling].
    pub base: Fen,
    /// To the pooling fund (employer part, or the flexible payer's pooling part).
    pub pooling: Fen,
    /// To the individual account.
    pub account: Fen,
}

impl Contribution {
    pub fn total(&self) -> Fen {
        // Both parts are rates (< 1) of a base clamped to the ceiling: the sum cannot overflow.
        self.pooling
            .checked_add(self.account)
            .expect("both parts are below the clamped base")
    }
}

impl ContributionTerms {
    /// Resolve the terms in force on the first day of `period` (back-payments use their own period).
    pub fn at(policy: &Policy, period: Period) -> Result<ContributionTerms, RuleError> {
        let d = period.first_day();
        let (floor, u1) = policy.yuan("contribution.base_floor_monthly", d)?;
        let (ceiling, u2) = policy.yuan("contribution.base_ceiling_monthly", d)?;
        let (employer_rate, u3) = policy.ratio("contribution.employer_rate", d)?;
        let (individual_rate, u4) = policy.ratio("contribution.individual_rate", d)?;
        let (flexible_rate, u5) = policy.ratio("contribution.flexible_rate", d)?;
        let (flexible_account_rate, u6) = policy.ratio("contribution.flexible_account_rate", d)?;
        if floor > ceiling {
            return Err(RuleError::Policy(format!(
                "floor {floor} above ceiling {ceiling} in {period}"
            )));
        }
        Ok(ContributionTerms {
            period,
            floor,
            ceiling,
            employer_rate,
            individual_rate,
            flexible_rate,
            flexible_account_rate,
            uses: vec![u1, u2, u3, u4, u5, u6],
        })
    }

    #[inline]
    pub fn clamp(&self, declared: Fen) -> Fen {
        declared.max(self.floor).min(self.ceiling)
    }

    /// Assess one person. `declared` must not be negative (checked by the caller's parser).
    #[inline]
    pub fn assess(&self, kind: PayerKind, declared: Fen) -> Contribution {
        let base = self.clamp(declared);
        match kind {
            PayerKind::Employee => Contribution {
                declared,
                base,
                pooling: self.employer_rate.of(base),
                account: self.individual_rate.of(base),
            },
            PayerKind::Flexible => {
                let total = self.flexible_rate.of(base);
                let account = self.flexible_account_rate.of(base);
                Contribution {
                    declared,
                    base,
                    pooling: total
                        .checked_sub(account)
                        .expect("both parts are below the clamped base"),
                    account,
                }
            }
        }
    }

    pub fn explain(&self, kind: PayerKind, declared: Fen) -> (Contribution, Explanation) {
        let c = self.assess(kind, declared);
        let mut e = match kind {
            PayerKind::Employee => Explanation::new(
                "contribution.employee",
                "base = clamp(declared, floor, ceiling); employer = round_half_up(base × employer_rate); individual = round_half_up(base × individual_rate)",
            ),
            PayerKind::Flexible => Explanation::new(
                "contribution.flexible",
                "base = clamp(chosen, floor, ceiling); total = round_half_up(base × flexible_rate); account = round_half_up(base × flexible_account_rate); pooling = total − account",
            ),
        };
        for u in &self.uses {
            e.param(u.clone());
        }
        e.step("period", self.period)
            .step("declared", declared)
            .step("floor", self.floor)
            .step("ceiling", self.ceiling)
            .step("base", c.base)
            .step("pooling", c.pooling)
            .step("account", c.account)
            .step("total", c.total());
        (c, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn terms(p: &str) -> ContributionTerms {
        let policy = Policy::builtin().expect("policy");
        ContributionTerms::at(&policy, p.parse().expect("period")).expect("terms")
    }

    #[test]
    fn worked_examples_2026() {
        let t = terms("2026-03");
        // Below the floor: 3,000 -> 4,244; employer 16% = 679.04; individual 8% = 339.52
        let c = t.assess(PayerKind::Employee, Fen::from_yuan(3000));
        assert_eq!(
            (c.base, c.pooling, c.account),
            (Fen::new(424400), Fen::new(67904), Fen::new(33952))
        );
        // Above the ceiling: 30,000 -> 21,219; 3,395.04 and 1,697.52
        let c = t.assess(PayerKind::Employee, Fen::from_yuan(30000));
        assert_eq!(
            (c.base, c.pooling, c.account),
            (Fen::new(2121900), Fen::new(339504), Fen::new(169752))
        );
        // Inside: 5,555.55 -> 888.888 -> 888.89; 444.444 -> 444.44
        let c = t.assess(PayerKind::Employee, Fen::new(555555));
        assert_eq!((c.pooling, c.account), (Fen::new(88889), Fen::new(44444)));
        // Flexible at the floor: total 20% = 848.80, account 339.52, pooling 509.28
        let c = t.assess(PayerKind::Flexible, Fen::from_yuan(4244));
        assert_eq!(
            (c.total(), c.account, c.pooling),
            (Fen::new(84880), Fen::new(33952), Fen::new(50928))
        );
    }

    #[test]
    fn back_payment_uses_its_own_period() {
        let t = terms("2019-04");
        assert_eq!(t.employer_rate.to_string(), "0.2");
        assert_eq!(t.floor, Fen::from_yuan(2739));
        let (_, e) = t.explain(PayerKind::Employee, Fen::from_yuan(5000));
        assert!(
            e.params
                .iter()
                .any(|p| p.name == "contribution.employer_rate" && p.value == "0.2")
        );
        assert_eq!(terms("2019-05").employer_rate.to_string(), "0.16");
    }

    proptest! {
        #[test]
        fn base_always_within_bounds(w in 0i64..100_000_000, y in 2015i32..2027, m in 1u8..=12) {
            let p = Period::new(y, m).expect("p");
            let t = terms(&p.to_string());
            for kind in [PayerKind::Employee, PayerKind::Flexible] {
                let c = t.assess(kind, Fen::new(w));
                prop_assert!(c.base >= t.floor && c.base <= t.ceiling);
                prop_assert!(c.pooling.fen() >= 0 && c.account.fen() >= 0);
                prop_assert_eq!(c.total().fen(), c.pooling.fen() + c.account.fen());
            }
        }
    }
}

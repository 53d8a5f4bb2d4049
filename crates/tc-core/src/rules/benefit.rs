//! Benefits after retirement: the average contribution-wage index from a person's own history,
//! retirement eligibility, the yearly adjustment, and what is paid on a pensioner's death.

use super::retirement::{Category, statutory};
use super::{RuleError, input};
use crate::explain::{Exact, Explanation};
use crate::money::{Fen, div_round_half_up};
use crate::period::{Date, Period};
use crate::policy::{ParamUse, Policy};
use crate::ratio::{RATIO_SCALE, Ratio};
use serde::Serialize;

/// The reference monthly average wage for contributions of `period`: the previous year's annual
/// average ÷ 12 (all-caliber from 2019, on-post before, as the bounds use), exact.
fn reference_monthly(policy: &Policy, period: Period) -> Result<(Fen, ParamUse), RuleError> {
    let prev_year_end = Date::new(period.year() - 1, 12, 31).map_err(|e| input("period", e.0))?;
    let name = if period.year() >= 2019 {
        "wages.all_caliber_avg_annual"
    } else {
        "wages.on_post_avg_annual"
    };
    let (annual, u) = policy.yuan(name, prev_year_end)?;
    Ok((annual, u))
}

/// Average contribution-wage index (平均缴费工资指数) over the months of a history: the mean of
/// base ÷ (previous-year annual average ÷ 12), rounded half-up to four decimals (the usual
/// published precision). Months without a reference wage are an error naming the month.
pub fn average_index(
    policy: &Policy,
    history: &[(Period, Fen)],
) -> Result<(Ratio, Explanation), RuleError> {
    let mut e = Explanation::new(
        "benefit.average_index",
        "avg_index = round_half_up(mean over months of base_m ÷ (annual_avg(year(m) − 1) ÷ 12), 4 decimals)",
    );
    if history.is_empty() {
        return Err(input("history", crate::tr!("rule-in-no-months")));
    }
    // Σ base × 12 / annual, as an exact sum of fractions grouped by year
    let mut num: i128 = 0; // numerator over common denominator handled per year by scaling
    let scale: i128 = 10_000 * 1_000_000; // accumulate in units of 1e-10
    for (p, base) in history {
        let (annual, u) = reference_monthly(policy, *p)?;
        if !annual.is_positive() {
            return Err(RuleError::Policy(format!(
                "average wage for {} is not positive",
                p.year() - 1
            )));
        }
        e.param(u);
        num += div_round_half_up(base.fen() as i128 * 12 * scale, annual.fen() as i128);
    }
    let n = history.len() as i128;
    // mean in 1e-10 units, then to 4 decimals, then to the Ratio scale (1e8)
    let mean_4dp = div_round_half_up(num, n * 1_000_000);
    let idx = Ratio((mean_4dp * (RATIO_SCALE as i128 / 10_000)) as i64);
    e.step("months", n)
        .step("sum_of_indices_approx", Exact::new(num, scale))
        .step("avg_index", idx);
    Ok((idx, e))
}

/// Why a retirement application is refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub code: &'static str,
    pub reason: String,
}

/// Facts about an applicant, gathered by the caller from the registry.
#[derive(Clone, Debug, Serialize)]
pub struct Applicant {
    pub birth: Period,
    pub category: Category,
    pub paid_months: u32,
    pub deemed_months: u32,
    pub open_arrears: Fen,
    pub account_balance: Fen,
}

/// Check a retirement application for the month `retire`. Returns every reason to refuse.
pub fn check_retirement(
    policy: &Policy,
    a: &Applicant,
    retire: Period,
) -> Result<Vec<Refusal>, RuleError> {
    let (age, _) = statutory(policy, a.birth, a.category)?;
    let mut out = Vec::new();
    if retire < age.earliest {
        out.push(Refusal {
            code: "too_early",
            reason: crate::tr!(
                "rule-ret-too-early",
                retire = retire,
                earliest = age.earliest,
                statutory = age.retire
            ),
        });
    }
    if retire > age.latest {
        out.push(Refusal {
            code: "too_late",
            reason: crate::tr!("rule-ret-too-late", retire = retire, latest = age.latest),
        });
    }
    let (min, _) = policy.int("contribution.min_months", retire.first_day())?;
    let months = a.paid_months as i64 + a.deemed_months as i64;
    if months < min {
        out.push(Refusal {
            code: "insufficient_contributions",
            reason: crate::tr!(
                "rule-ret-months",
                months = months,
                retire = retire,
                min = min
            ),
        });
    }
    if a.open_arrears.is_positive() {
        out.push(Refusal {
            code: "open_arrears",
            reason: crate::tr!("rule-ret-arrears", amount = a.open_arrears.grouped()),
        });
    }
    if a.account_balance.is_negative() {
        out.push(Refusal {
            code: "negative_account",
            reason: crate::tr!(
                "rule-ret-negative-account",
                amount = a.account_balance.grouped()
            ),
        });
    }
    Ok(out)
}

/// The yearly adjustment, resolved for a year from province-wide averages.
#[derive(Clone, Debug, Serialize)]
pub struct AdjustmentTerms {
    pub year: i32,
    pub overall: Ratio,
    /// The same amount for everyone (定额).
    pub fixed_amount: Fen,
    /// Per year of contributions (挂钩: years), in fen per 12 months, exact numerator over 12.
    pub per_year: Fen,
    /// Proportional to one's own pension (挂钩: level).
    pub proportional: Ratio,
    pub explanation: Explanation,
}

impl AdjustmentTerms {
    /// Split the overall percentage into a fixed amount, a per-year amount and a proportional
    /// rate so that, for the province as a whole, the increase equals overall × total pensions.
    /// `avg_pension` and `avg_years_x12` (average contribution months) describe the pensioners
    /// eligible (retired by the end of the previous year).
    pub fn at(
        policy: &Policy,
        year: i32,
        avg_pension: Fen,
        avg_months: u32,
    ) -> Result<AdjustmentTerms, RuleError> {
        let d = Date::new(year, 1, 1).map_err(|e| input("year", e.0))?;
        let (overall, u1) = policy.ratio("adjustment.overall_rate", d)?;
        let (fixed_share, u2) = policy.ratio("adjustment.fixed_share", d)?;
        let (years_share, u3) = policy.ratio("adjustment.years_share", d)?;
        if fixed_share.0 + years_share.0 > RATIO_SCALE || fixed_share.0 < 0 || years_share.0 < 0 {
            return Err(RuleError::Policy(
                "adjustment shares must be non-negative and sum to at most 1".into(),
            ));
        }
        if avg_months == 0 {
            return Err(input("avg_months", crate::tr!("rule-in-positive")));
        }
        let s = RATIO_SCALE as i128;
        let pool = avg_pension.fen() as i128 * overall.0 as i128; // fen × 1e8 per average pensioner
        let overflow = |_| RuleError::Overflow("adjustment");
        let fixed_amount =
            Fen::div_half_up(pool * fixed_share.0 as i128, s * s).map_err(overflow)?;
        let per_year = Fen::div_half_up(
            pool * years_share.0 as i128 * 12,
            s * s * avg_months as i128,
        )
        .map_err(overflow)?;
        let proportional = Ratio(div_round_half_up(
            overall.0 as i128 * (s - fixed_share.0 as i128 - years_share.0 as i128),
            s,
        ) as i64);
        let mut e = Explanation::new(
            "benefit.adjustment",
            "increase = fixed_amount + per_year × years + own_pension × proportional; fixed_amount = avg_pension × overall × fixed_share; per_year = avg_pension × overall × years_share ÷ avg_years; proportional = overall × (1 − fixed_share − years_share)",
        );
        e.param(u1).param(u2).param(u3);
        e.step("year", year)
            .step("avg_pension", avg_pension)
            .step("avg_years", Exact::new(avg_months as i128, 12))
            .step("fixed_amount", fixed_amount)
            .step("per_year", per_year)
            .step("proportional", proportional);
        Ok(AdjustmentTerms {
            year,
            overall,
            fixed_amount,
            per_year,
            proportional,
            explanation: e,
        })
    }

    /// The monthly increase for one pensioner: each part rounded half-up to the fen.
    pub fn increase(&self, pension: Fen, contribution_months: u32) -> Fen {
        self.try_increase(pension, contribution_months)
            .expect("an increase is a fraction of a pension and stays within the range of Fen")
    }

    /// [`AdjustmentTerms::increase`], or an overflow error.
    pub fn try_increase(&self, pension: Fen, contribution_months: u32) -> Result<Fen, RuleError> {
        let overflow = |_| RuleError::Overflow("increase");
        let years_part = Fen::div_half_up(
            self.per_year.fen() as i128 * contribution_months as i128,
            12,
        )
        .map_err(overflow)?;
        let proportional = self.proportional.try_of(pension).map_err(overflow)?;
        Fen::try_sum([self.fixed_amount, years_part, proportional]).map_err(overflow)
    }
}

/// What is paid when a pensioner dies.
#[derive(Clone, Debug, Serialize)]
pub struct DeathSettlement {
    pub funeral_grant: Fen,
    pub survivor_grant: Fen,
    /// The individual-account balance left, refunded to the heirs.
    pub account_refund: Fen,
    pub explanation: Explanation,
}

/// Death settlement: funeral grant = months × benefit base in force; survivor grant = months ×
/// the deceased's own monthly pension; account refund = balance at retirement − account pension
/// paid so far (never below zero, the excess having been paid from pooling).
pub fn death_settlement(
    policy: &Policy,
    died: Date,
    monthly_pension: Fen,
    account_at_retirement: Fen,
    account_paid: Fen,
) -> Result<DeathSettlement, RuleError> {
    let (fm, u1) = policy.int("benefit.funeral_grant_months", died)?;
    let (sm, u2) = policy.int("benefit.survivor_grant_months", died)?;
    let (base, u3) = policy.yuan("benefit.base_monthly", died)?;
    let funeral = base
        .checked_mul(fm)
        .ok_or(RuleError::Overflow("funeral grant"))?;
    let survivor = monthly_pension
        .checked_mul(sm)
        .ok_or(RuleError::Overflow("survivor grant"))?;
    let refund = account_at_retirement
        .checked_sub(account_paid)
        .ok_or(RuleError::Overflow("account refund"))?
        .max(Fen::ZERO);
    let mut e = Explanation::new(
        "benefit.death",
        "funeral = funeral_months × benefit_base; survivor = survivor_months × monthly_pension; refund = max(0, account_at_retirement − account_paid)",
    );
    e.param(u1).param(u2).param(u3);
    e.step("funeral_grant", funeral)
        .step("survivor_grant", survivor)
        .step("account_refund", refund);
    Ok(DeathSettlement {
        funeral_grant: funeral,
        survivor_grant: survivor,
        account_refund: refund,
        explanation: e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pol() -> Policy {
        Policy::builtin().expect("policy")
    }

    #[test]
    fn average_index_of_a_history() {
        // 2020 bases against the 2019 all-caliber average 58,316 (monthly 4,859.666…):
        // a base of 4,859.67 is index ≈ 1.0000; twice that ≈ 2.0000 -> mean 1.5000
        let h = vec![
            ("2020-01".parse().expect("p"), Fen::new(485_967)),
            ("2020-02".parse().expect("p"), Fen::new(971_933)),
        ];
        let (idx, e) = average_index(&pol(), &h).expect("index");
        assert_eq!(idx.to_string(), "1.5");
        assert!(
            e.params
                .iter()
                .any(|u| u.name == "wages.all_caliber_avg_annual")
        );
        // before 2019 the on-post series applies
        let (_, e) = average_index(
            &pol(),
            &[("2018-03".parse().expect("p"), Fen::new(500_000))],
        )
        .expect("index");
        assert!(
            e.params
                .iter()
                .any(|u| u.name == "wages.on_post_avg_annual")
        );
    }

    #[test]
    fn retirement_checks() {
        let a = Applicant {
            birth: "1965-01".parse().expect("p"),
            category: Category::Male,
            paid_months: 170,
            deemed_months: 0,
            open_arrears: Fen::new(100),
            account_balance: Fen::new(0),
        };
        let r = check_retirement(&pol(), &a, "2024-12".parse().expect("p")).expect("check");
        let codes: Vec<_> = r.iter().map(|x| x.code).collect();
        assert_eq!(
            codes,
            vec!["too_early", "insufficient_contributions", "open_arrears"]
        );
        let ok = Applicant {
            paid_months: 200,
            open_arrears: Fen::ZERO,
            ..a
        };
        assert!(
            check_retirement(&pol(), &ok, "2025-02".parse().expect("p"))
                .expect("check")
                .is_empty()
        );
    }

    #[test]
    fn adjustment_reproduces_the_overall_rate_on_average() {
        // 2023: 3.8% of an average pension of 3,000 with 30 average years = 114.00 in total for
        // the average pensioner: fixed 45.60 + years 34.20 + proportional 34.20
        let t = AdjustmentTerms::at(&pol(), 2023, Fen::from_yuan(3000), 360).expect("terms");
        assert_eq!(t.fixed_amount, Fen::new(4560));
        assert_eq!(t.increase(Fen::from_yuan(3000), 360), Fen::new(11400));
        assert!(t.increase(Fen::from_yuan(2000), 200) < t.increase(Fen::from_yuan(4000), 480));
    }

    #[test]
    fn death() {
        let d = death_settlement(
            &pol(),
            "2025-06-10".parse().expect("d"),
            Fen::new(400_000),
            Fen::new(12_000_000),
            Fen::new(3_000_000),
        )
        .expect("death");
        assert_eq!(d.funeral_grant, Fen::new(725_300 * 3));
        assert_eq!(d.survivor_grant, Fen::new(4_000_000));
        assert_eq!(d.account_refund, Fen::new(9_000_000));
    }
}

//! Individual accounts (个人账户): monthly crediting of the individual part once paid, and yearly
//! interest at the crediting rate of the year (记账利率), compounded annually.
//!
//! Interest of year Y = opening balance × rate(Y) + Σ contributions credited in month m of Y ×
//! rate(Y) × (12 − m) / 12 under the "monthly-pro-rata" convention (nothing under "none").
//! Both parts are computed exactly and rounded half-up to the fen once each.

use super::{RuleError, input};
use crate::explain::{Exact, Explanation};
use crate::money::Fen;
use crate::period::{Date, Period};
use crate::policy::Policy;
use crate::ratio::RATIO_SCALE;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct YearEnd {
    pub year: i32,
    pub opening: Fen,
    pub contributions: Fen,
    pub interest_on_opening: Fen,
    pub interest_on_contributions: Fen,
    pub closing: Fen,
}

/// The terms of one year, resolved once for a batch.
#[derive(Clone, Debug)]
pub struct InterestTerms {
    pub year: i32,
    pub rate_scaled: i64,
    pub pro_rata: bool,
    pub explanation: Explanation,
}

impl InterestTerms {
    pub fn at(policy: &Policy, year: i32) -> Result<InterestTerms, RuleError> {
        let d = Date::new(year, 12, 31).map_err(|e| input("year", e.0))?;
        let (rate, u1) = policy.ratio("account.crediting_rate", d)?;
        let (conv, u2) = policy.text("account.current_year_interest", d)?;
        let pro_rata = match conv {
            "monthly-pro-rata" => true,
            "none" => false,
            other => {
                return Err(RuleError::Policy(format!(
                    "unknown account.current_year_interest {other:?}"
                )));
            }
        };
        let mut e = Explanation::new(
            "account.year_end",
            "closing = opening + contributions + round_half_up(opening × rate) + round_half_up(Σ c_m × rate × (12 − m) / 12)",
        );
        e.param(u1)
            .param(u2)
            .step("year", year)
            .step("rate", rate.as_percent_string());
        Ok(InterestTerms {
            year,
            rate_scaled: rate.0,
            pro_rata,
            explanation: e,
        })
    }

    /// Close the year for one account. `monthly[m-1]` is what was credited in month m.
    pub fn close(&self, opening: Fen, monthly: &[Fen; 12]) -> YearEnd {
        let r = self.rate_scaled as i128;
        // An account holds at most a working life of contributions (well under a billion yuan):
        // the year's figures cannot leave the range of Fen.
        const FITS: &str = "an individual account stays within the range of Fen";
        let on_open = Fen::div_half_up(opening.fen() as i128 * r, RATIO_SCALE as i128).expect(FITS);
        let weighted: i128 = monthly
            .iter()
            .enumerate()
            .map(|(i, c)| c.fen() as i128 * (11 - i as i128)) // Σ c_m × (12 − m)
            .sum();
        let sum = Fen::try_sum(monthly.iter().copied()).expect(FITS);
        let on_contrib = if self.pro_rata {
            Fen::div_half_up(weighted * r, 12 * RATIO_SCALE as i128).expect(FITS)
        } else {
            Fen::ZERO
        };
        YearEnd {
            year: self.year,
            opening,
            contributions: sum,
            interest_on_opening: on_open,
            interest_on_contributions: on_contrib,
            closing: Fen::try_sum([opening, sum, on_open, on_contrib]).expect(FITS),
        }
    }

    pub fn explain(&self, opening: Fen, monthly: &[Fen; 12]) -> (YearEnd, Explanation) {
        let y = self.close(opening, monthly);
        let mut e = self.explanation.clone();
        let weighted: i128 = monthly
            .iter()
            .enumerate()
            .map(|(i, c)| c.fen() as i128 * (11 - i as i128))
            .sum();
        e.step("opening", opening)
            .step("contributions", y.contributions)
            .step(
                "interest_on_opening_exact_fen",
                Exact::new(
                    opening.fen() as i128 * self.rate_scaled as i128,
                    RATIO_SCALE as i128,
                ),
            )
            .step("interest_on_opening", y.interest_on_opening)
            .step(
                "interest_on_contributions_exact_fen",
                if self.pro_rata {
                    Exact::new(
                        weighted * self.rate_scaled as i128,
                        12 * RATIO_SCALE as i128,
                    )
                } else {
                    Exact::new(0, 1)
                },
            )
            .step("interest_on_contributions", y.interest_on_contributions)
            .step("closing", y.closing);
        (y, e)
    }
}

/// Roll an account forward from `opening` at the start of `from_year` through the end of
/// `to_year` with credits given per period.
pub fn roll_forward(
    policy: &Policy,
    opening: Fen,
    credits: &[(Period, Fen)],
    from_year: i32,
    to_year: i32,
) -> Result<(Fen, Vec<YearEnd>), RuleError> {
    let mut bal = opening;
    let mut out = Vec::new();
    for y in from_year..=to_year {
        let t = InterestTerms::at(policy, y)?;
        let mut m = [Fen::ZERO; 12];
        for (p, c) in credits.iter().filter(|(p, _)| p.year() == y) {
            m[p.month() as usize - 1] = m[p.month() as usize - 1]
                .checked_add(*c)
                .ok_or(RuleError::Overflow("credits"))?;
        }
        let ye = t.close(bal, &m);
        bal = ye.closing;
        out.push(ye);
    }
    Ok((bal, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_2024() {
        let p = Policy::builtin().expect("policy");
        let t = InterestTerms::at(&p, 2024).expect("terms");
        // opening 50,000.00 at 2.62% = 1,310.00; 12 × 400.00 with (11+10+...+0)=66 weights:
        // 400 × 66 × 0.0262 / 12 = 57.64
        let ye = t.close(Fen::from_yuan(50000), &[Fen::from_yuan(400); 12]);
        assert_eq!(ye.interest_on_opening, Fen::new(131000));
        assert_eq!(ye.interest_on_contributions, Fen::new(5764));
        assert_eq!(ye.closing, Fen::new(5_000_000 + 480_000 + 131_000 + 5_764));
    }

    #[test]
    fn roll_two_years() {
        let p = Policy::builtin().expect("policy");
        let (bal, years) = roll_forward(&p, Fen::from_yuan(10000), &[], 2023, 2024).expect("roll");
        // 10,000 × 1.0397 = 10,397.00; × 1.0262 = 10,669.4014 -> +272.40 = 10,669.40
        assert_eq!(years[0].closing, Fen::new(1_039_700));
        assert_eq!(bal, Fen::new(1_066_940));
    }
}

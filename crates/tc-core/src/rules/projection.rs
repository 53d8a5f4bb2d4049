//! The assumptions of the fund's cohort projection (`policy/projection.toml`), resolved on a date
//! for one scenario: the base value of every assumption is `projection.NAME`, a scenario's own
//! value `projection.scenario.SCENARIO.NAME` replaces it where present. Rates are exact
//! [`Ratio`]s, mortality integer probabilities per million; nothing here is a float.

use super::RuleError;
use crate::period::Date;
use crate::policy::{ParamUse, Policy};
use crate::ratio::Ratio;
use std::collections::BTreeMap;

/// One scenario's assumptions in force on a date.
#[derive(Clone, Debug)]
pub struct ProjectionTerms {
    /// The scenario's key (`base`, `low_wage`, …) and Chinese name.
    pub scenario: String,
    pub name_zh: String,
    /// Yearly growth of the average contribution base.
    pub wage_growth: Ratio,
    /// Entrants from coverage extension and entrants replacing leavers, a year, as shares of the
    /// insured in service at the year's start.
    pub coverage_growth: Ratio,
    pub new_entrant_rate: Ratio,
    /// Age of new entrants.
    pub entry_age: i32,
    /// Share of the assessed contributions collected.
    pub compliance: Ratio,
    /// Yearly indexation of pensions in payment.
    pub indexation: Ratio,
    /// A new pension ÷ the average contribution base of its year.
    pub new_pension_ratio: Ratio,
    /// Yearly return on a positive opening balance.
    pub interest_rate: Ratio,
    /// q(age) per 1,000,000 by the first age of each band, men and women.
    pub mortality_male: BTreeMap<i64, i64>,
    pub mortality_female: BTreeMap<i64, i64>,
    /// Every parameter read, with its provenance.
    pub uses: Vec<ParamUse>,
}

/// The default scenarios in force on `on` (`projection.scenarios`).
pub fn scenarios(policy: &Policy, on: Date) -> Result<Vec<String>, RuleError> {
    let (t, _) = policy.text("projection.scenarios", on)?;
    Ok(t.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect())
}

impl ProjectionTerms {
    /// The assumptions of `scenario` in force on `on`; an unknown scenario (no Chinese name) is
    /// refused, naming the known ones.
    pub fn at(policy: &Policy, scenario: &str, on: Date) -> Result<ProjectionTerms, RuleError> {
        let own = |name: &str| format!("projection.scenario.{scenario}.{name}");
        let name_zh = match policy.text(&own("name_zh"), on) {
            Ok((t, _)) => t.to_string(),
            Err(_) => {
                return Err(RuleError::Input {
                    field: "scenario",
                    reason: crate::tr!(
                        "rule-in-scenario",
                        scenario = scenario,
                        known = scenarios(policy, on)?.join(", ")
                    ),
                });
            }
        };
        let mut uses = Vec::new();
        // the scenario's value where it has one, else the base value
        let pick = |name: &str| -> String {
            if policy.param(&own(name)).is_ok() {
                own(name)
            } else {
                format!("projection.{name}")
            }
        };
        let mut rate = |name: &str| -> Result<Ratio, RuleError> {
            let (r, u) = policy.ratio(&pick(name), on)?;
            if r < Ratio::ZERO || r > Ratio::ONE {
                return Err(RuleError::Policy(format!(
                    "{} is outside 0..1 ({r}) on {on}",
                    u.name
                )));
            }
            uses.push(u);
            Ok(r)
        };
        let wage_growth = rate("wage_growth")?;
        let coverage_growth = rate("coverage_growth")?;
        let new_entrant_rate = rate("new_entrant_rate")?;
        let compliance = rate("compliance")?;
        let indexation = rate("indexation")?;
        let new_pension_ratio = rate("new_pension_ratio")?;
        let interest_rate = rate("interest_rate")?;
        let (entry_age, u) = policy.int(&pick("entry_age"), on)?;
        if !(14..=60).contains(&entry_age) {
            return Err(RuleError::Policy(format!(
                "projection.entry_age {entry_age} is not a working age"
            )));
        }
        uses.push(u);
        let mut table = |name: &str| -> Result<BTreeMap<i64, i64>, RuleError> {
            let (t, u) = policy.table(&pick(name), on)?;
            // stored with one decimal (×10): per 100,000 × 10 = per 1,000,000
            if t.values().any(|q| !(0..=1_000_000).contains(q)) || !t.contains_key(&0) {
                return Err(RuleError::Policy(format!(
                    "{}: probabilities 0..100000 per 100,000 from age 0",
                    u.name
                )));
            }
            uses.push(u);
            Ok(t.clone())
        };
        let mortality_male = table("mortality.male")?;
        let mortality_female = table("mortality.female")?;
        Ok(ProjectionTerms {
            scenario: scenario.to_string(),
            name_zh,
            wage_growth,
            coverage_growth,
            new_entrant_rate,
            entry_age: entry_age as i32,
            compliance,
            indexation,
            new_pension_ratio,
            interest_rate,
            mortality_male,
            mortality_female,
            uses,
        })
    }

    /// q(`age`) per million: the band's value whose first age is the largest at or below `age`.
    pub fn mortality(&self, female: bool, age: i64) -> i64 {
        let t = if female {
            &self.mortality_female
        } else {
            &self.mortality_male
        };
        t.range(..=age.max(0)).next_back().map_or(0, |(_, q)| *q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    #[test]
    fn scenarios_override_the_base_and_unknown_ones_are_refused() {
        let p = Policy::builtin().expect("policy");
        let on = d("2024-12-31");
        let names = scenarios(&p, on).expect("scenarios");
        assert_eq!(names[0], "base");
        let base = ProjectionTerms::at(&p, "base", on).expect("base");
        let low = ProjectionTerms::at(&p, "low_wage", on).expect("low");
        assert!(low.wage_growth < base.wage_growth);
        assert_eq!(low.compliance, base.compliance);
        assert!(
            low.uses
                .iter()
                .any(|u| u.name == "projection.scenario.low_wage.wage_growth")
        );
        assert!(ProjectionTerms::at(&p, "nonsense", on).is_err());
        for t in names.iter().map(|s| ProjectionTerms::at(&p, s, on)) {
            assert!(t.expect("every listed scenario resolves").uses.len() >= 10);
        }
        // per million, step function by band, certain death at 110
        assert_eq!(base.mortality(false, 60), 10_883);
        assert_eq!(base.mortality(false, 64), 10_883);
        assert_eq!(base.mortality(true, 10), 68);
        assert_eq!(base.mortality(true, 130), 1_000_000);
        assert!(
            base.uses
                .iter()
                .all(|u| u.status == crate::policy::Status::Assumed)
        );
    }
}

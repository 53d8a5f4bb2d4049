//! Statutory retirement month under the 2025 reform, and the flexible window around it.

use super::{RuleError, input};
use crate::explain::Explanation;
use crate::period::{Date, Period};
use crate::policy::Policy;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Male,
    FemaleCadre,
    FemaleWorker,
}

impl Category {
    pub fn key(self) -> &'static str {
        match self {
            Category::Male => "male",
            Category::FemaleCadre => "female_cadre",
            Category::FemaleWorker => "female_worker",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Male => "male",
            Category::FemaleCadre => "female-cadre",
            Category::FemaleWorker => "female-worker",
        }
    }
}

impl FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Category, String> {
        match s.trim() {
            "male" => Ok(Category::Male),
            "female-cadre" => Ok(Category::FemaleCadre),
            "female-worker" => Ok(Category::FemaleWorker),
            other => Err(crate::tr!(
                "retire-err-category",
                text = format!("{other:?}")
            )),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RetirementAge {
    pub original_age_months: i32,
    pub delay_months: i32,
    pub age_months: i32,
    pub retire: Period,
    /// Earliest month of flexible early retirement (never before the original age).
    pub earliest: Period,
    /// Latest month of flexible late retirement.
    pub latest: Period,
}

impl RetirementAge {
    pub fn years(&self) -> i32 {
        self.age_months / 12
    }
    pub fn months(&self) -> i32 {
        self.age_months % 12
    }
}

fn period_param(
    policy: &Policy,
    name: &str,
    d: Date,
) -> Result<(Period, crate::policy::ParamUse), RuleError> {
    let (t, u) = policy.text(name, d)?;
    let p = t
        .parse::<Period>()
        .map_err(|e| RuleError::Policy(format!("{name}: {}", e.0)))?;
    Ok((p, u))
}

/// The statutory retirement age and month of a person born in `birth`.
pub fn statutory(
    policy: &Policy,
    birth: Period,
    category: Category,
) -> Result<(RetirementAge, Explanation), RuleError> {
    // The schedule is read as published on the reform date; earlier versions of the law are
    // the "original age" values.
    let (reform_text, u0) = policy.text(
        "retirement.reform_effective",
        Date::new(2100, 1, 1).map_err(|e| input("date", e.0))?,
    )?;
    let reform: Date = reform_text
        .parse()
        .map_err(|e: crate::period::DateError| RuleError::Policy(e.0))?;
    let k = category.key();
    let (orig, u1) = policy.int(&format!("retirement.{k}.original_age_months"), reform)?;
    let (start, u2) = period_param(policy, &format!("retirement.{k}.reform_birth"), reform)?;
    let (step, u3) = policy.int(&format!("retirement.{k}.step_months"), reform)?;
    let (maxd, u4) = policy.int(&format!("retirement.{k}.max_delay_months"), reform)?;
    if step <= 0 {
        return Err(RuleError::Policy(format!(
            "retirement.{k}.step_months must be positive"
        )));
    }
    let since = start.months_until(birth);
    let delay = if since < 0 {
        0
    } else {
        (since as i64 / step + 1).min(maxd) as i32
    };
    let age = orig as i32 + delay;
    let retire = birth.add_months(age);
    let (early, u5) = policy.int("retirement.flexible_early_max_months", reform)?;
    let (late, u6) = policy.int("retirement.flexible_late_max_months", reform)?;
    // Flexible retirement exists from the reform on: a statutory month before it has no window,
    // and a window never opens before the reform month.
    let reform_month = reform.period();
    let (earliest, latest) = if retire < reform_month {
        (retire, retire)
    } else {
        (
            birth
                .add_months((age - early as i32).max(orig as i32))
                .max(reform_month),
            birth.add_months(age + late as i32),
        )
    };
    let mut e = Explanation::new(
        "retirement.statutory",
        "delay = 0 if birth < reform_birth else min(max_delay, floor(months(reform_birth → birth) / step) + 1); age = original_age + delay; retire = birth + age; flexible window = [max(birth + max(age − early_max, original_age), reform month), birth + age + late_max], none when retire < reform month",
    );
    for u in [u0, u1, u2, u3, u4, u5, u6] {
        e.param(u);
    }
    e.step("birth", birth)
        .step("category", category.as_str())
        .step("months_since_reform_birth", since)
        .step("delay_months", delay)
        .step("age", format!("{}y{}m", age / 12, age % 12))
        .step("retire", retire)
        .step("flexible_earliest", earliest)
        .step("flexible_latest", latest);
    Ok((
        RetirementAge {
            original_age_months: orig as i32,
            delay_months: delay,
            age_months: age,
            retire,
            earliest,
            latest,
        },
        e,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn run(b: &str, c: Category) -> RetirementAge {
        let p = Policy::builtin().expect("policy");
        statutory(&p, b.parse().expect("p"), c).expect("rule").0
    }

    #[test]
    fn no_flexible_window_before_the_reform() {
        let p = Policy::builtin().expect("policy");
        // retired at the old age before 2025: no window at all
        let (a, _) =
            statutory(&p, "1966-03".parse().expect("p"), Category::FemaleWorker).expect("age");
        assert_eq!((a.earliest, a.latest), (a.retire, a.retire));
        assert_eq!(a.retire.to_string(), "2016-03");
        let (a, _) = statutory(&p, "1961-04".parse().expect("p"), Category::Male).expect("age");
        assert_eq!((a.earliest, a.latest), (a.retire, a.retire));
        // a statutory month in 2025 or later: the window never opens before 2025-01
        let (a, _) = statutory(&p, "1965-06".parse().expect("p"), Category::Male).expect("age");
        assert!(a.retire >= "2025-01".parse().expect("p"));
        assert!(a.earliest >= "2025-01".parse().expect("p"), "{a:?}");
        assert!(a.latest > a.retire);
    }

    #[test]
    fn test_vectors() {
        let r = run("1965-01", Category::Male);
        assert_eq!(
            (r.delay_months, r.retire.to_string()),
            (1, "2025-02".into())
        );
        let r = run("1976-02", Category::Male);
        assert_eq!(
            (r.years(), r.months(), r.retire.to_string()),
            (62, 10, "2038-12".into())
        );
        assert_eq!(run("1976-09", Category::Male).delay_months, 36);
        assert_eq!(run("1990-01", Category::Male).age_months, 63 * 12);
        assert_eq!(run("1964-12", Category::Male).retire.to_string(), "2024-12");
        // women workers: 1 month per 2 from 1975-01, max 60
        assert_eq!(run("1975-01", Category::FemaleWorker).delay_months, 1);
        assert_eq!(run("1975-03", Category::FemaleWorker).delay_months, 2);
        assert_eq!(run("1990-01", Category::FemaleWorker).age_months, 55 * 12);
        // women cadres: 4-month step from 1970-01, max 36
        assert_eq!(run("1970-05", Category::FemaleCadre).delay_months, 2);
        assert_eq!(run("1969-12", Category::FemaleCadre).age_months, 55 * 12);
        // flexible window: never before the original age
        let r = run("1965-01", Category::Male);
        assert_eq!(r.earliest.to_string(), "2025-01");
        assert_eq!(r.latest.to_string(), "2028-02");
    }

    proptest! {
        #[test]
        fn delay_is_monotone_and_bounded(y in 1940i32..2010, m in 1u8..=12) {
            let b = Period::new(y, m).expect("p");
            for c in [Category::Male, Category::FemaleCadre, Category::FemaleWorker] {
                let p = Policy::builtin().expect("policy");
                let a = statutory(&p, b, c).expect("r").0;
                let n = statutory(&p, b.add_months(1), c).expect("r").0;
                prop_assert!(n.delay_months >= a.delay_months);
                prop_assert!(n.delay_months - a.delay_months <= 1);
                prop_assert!(a.delay_months <= 60);
                prop_assert!(a.earliest <= a.retire && a.retire <= a.latest);
            }
        }
    }
}

/// A reason to refuse a retirement application, as stored with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    pub reason: String,
}

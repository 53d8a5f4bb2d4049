//! Explanations: every computed amount can say which parameters and which formula produced it.
//!
//! An explanation keeps ids, not words: its rule (`pension.basic`), its formula written with the
//! steps' names, and each step's name (`benefit_base`) and value (a number, an amount, a date, a
//! code such as `male` or `true`, or a message kept by [`crate::i18n::stored`]). The JSON API
//! gives them so. A reader sees them in their language from the message catalogue
//! ([`Explanation::formula_in`], [`Step::name_in`], [`Step::value_in`]): the formula
//! `explain-formula-<rule, dots as dashes>`, the step `explain-step-<name, underscores as
//! dashes>`, an amount as `1,234.56 元`; an id the catalogue lacks is shown as it is.

use crate::i18n::{self, Lang};
use crate::money::Fen;
use crate::policy::ParamUse;
use serde::{Deserialize, Serialize};

/// One named value in a computation, exact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// Stable rule identifier, e.g. "pension.basic".
    pub rule: String,
    /// The formula in words and symbols.
    pub formula: String,
    /// The dated parameters that were read, with their provenance.
    pub params: Vec<ParamUse>,
    /// Inputs and intermediate values, in order of computation.
    pub steps: Vec<Step>,
}

impl Explanation {
    pub fn new(rule: &str, formula: &str) -> Explanation {
        Explanation {
            rule: rule.into(),
            formula: formula.into(),
            params: Vec::new(),
            steps: Vec::new(),
        }
    }
    pub fn param(&mut self, u: ParamUse) -> &mut Self {
        if !self
            .params
            .iter()
            .any(|p| p.name == u.name && p.effective_from == u.effective_from)
        {
            self.params.push(u);
        }
        self
    }
    pub fn step(&mut self, name: &str, value: impl ToString) -> &mut Self {
        self.steps.push(Step {
            name: name.into(),
            value: value.to_string(),
        });
        self
    }
}

/// The steps whose value is an amount in yuan (a [`Fen`]), shown as `1,234.56 元`.
pub const MONEY_STEPS: &[&str] = &[
    "account",
    "account_credited_since",
    "account_refund",
    "arrears",
    "avg_pension",
    "balance",
    "base",
    "base_total",
    "basic",
    "benefit_base",
    "benefit_base_given",
    "ceiling",
    "closing",
    "contributions",
    "declared",
    "fee",
    "fixed_amount",
    "floor",
    "funeral_grant",
    "interest_on_contributions",
    "interest_on_opening",
    "opening",
    "per_year",
    "pooling",
    "registry_balance",
    "survivor_grant",
    "total",
    "transitional",
];

/// The codes a step's value may be that the reader sees in words: `explain-value-<code>` (in
/// lower case, words joined by dashes: `HouseholdRegistration` → `household-registration`).
pub const VALUE_CODES: &[&str] = &[
    "true",
    "false",
    "none",
    "male",
    "female",
    "female-cadre",
    "female-worker",
    "HouseholdRegistration",
    "Relationship",
    "LastWithYears",
    "CollectedToHouseholdRegistration",
];

/// The catalogue's id of a rule's formula: `pension.basic` → `explain-formula-pension-basic`.
pub fn formula_id(rule: &str) -> String {
    format!("explain-formula-{}", rule.replace('.', "-"))
}

/// The catalogue's id of a step's name: `benefit_base` → `explain-step-benefit-base`.
pub fn step_id(name: &str) -> String {
    format!("explain-step-{}", name.replace('_', "-"))
}

/// The catalogue's id of a value's code (one of [`VALUE_CODES`]).
pub fn value_id(code: &str) -> String {
    let mut out = String::from("explain-value-");
    for (i, c) in code.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(if c == '_' {
            '-'
        } else {
            c.to_ascii_lowercase()
        });
    }
    out
}

impl Explanation {
    /// The formula in `lang`'s words; `None` when the catalogue lacks the rule (show
    /// [`Explanation::formula`], the formula in the steps' names, then).
    pub fn formula_in(&self, lang: Lang) -> Option<&'static str> {
        i18n::text(lang, &formula_id(&self.rule))
    }

    /// A step's name in `lang` as this rule words it: the rule's own word where the catalogue
    /// has one (`explain-step-<rule>-<name>`, e.g. the account pension of `pension.account`),
    /// else [`Step::name_in`].
    pub fn step_name_in(&self, step: &Step, lang: Lang) -> Option<&'static str> {
        let own = format!(
            "explain-step-{}-{}",
            self.rule.replace('.', "-"),
            step.name.replace('_', "-")
        );
        i18n::text(lang, &own).or_else(|| step.name_in(lang))
    }
}

impl Step {
    /// The step's name in `lang`; `None` when the catalogue lacks it (show [`Step::name`]).
    pub fn name_in(&self, lang: Lang) -> Option<&'static str> {
        i18n::text(lang, &step_id(&self.name))
    }

    /// The value as a reader of `lang` reads it: an amount as `1,234.56 元`, an age `60y0m` as
    /// `60 岁 0 个月`, a code in words, a kept message in `lang`; anything else as it is.
    pub fn value_in(&self, lang: Lang) -> String {
        let v = self.value.as_str();
        if v.starts_with("{\"msg\":") {
            return i18n::shown_in(lang, v);
        }
        if VALUE_CODES.contains(&v) {
            return i18n::text(lang, &value_id(v)).unwrap_or(v).to_string();
        }
        if MONEY_STEPS.contains(&self.name.as_str())
            && let Ok(f) = v.parse::<Fen>()
        {
            let yuan = i18n::text(lang, "web-yuan").unwrap_or("元");
            return format!("{} {yuan}", f.grouped());
        }
        if let Some((years, months)) = age(v) {
            let args = [("years", years), ("months", months)];
            return i18n::format(lang, "explain-value-age", &args).unwrap_or_else(|| v.into());
        }
        v.to_string()
    }
}

/// An age written `60y0m`: its years and months.
fn age(v: &str) -> Option<(&str, &str)> {
    let (years, rest) = v.split_once('y')?;
    let months = rest.strip_suffix('m')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(years) && digits(months)).then_some((years, months))
}

/// An exact rational number `num / den` (den > 0), rendered as a terminating decimal when it is
/// one, else as a fraction with a 10-digit approximation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exact {
    pub num: i128,
    pub den: i128,
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

impl Exact {
    pub fn new(num: i128, den: i128) -> Exact {
        let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
        let g = gcd(num, den);
        Exact {
            num: num / g,
            den: den / g,
        }
    }
}

impl std::fmt::Display for Exact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = self.den;
        while d % 2 == 0 {
            d /= 2;
        }
        while d % 5 == 0 {
            d /= 5;
        }
        let sign = if self.num < 0 { "-" } else { "" };
        let a = self.num.abs();
        let int = a / self.den;
        let mut rem = a % self.den;
        if rem == 0 {
            return write!(f, "{sign}{int}");
        }
        let terminating = d == 1;
        let mut digits = String::new();
        let limit = if terminating { 40 } else { 10 };
        while rem != 0 && digits.len() < limit {
            rem *= 10;
            digits.push((b'0' + (rem / self.den) as u8) as char);
            rem %= self.den;
        }
        if terminating {
            write!(f, "{sign}{int}.{digits}")
        } else {
            write!(f, "{sign}{}/{} (≈ {sign}{int}.{digits}…)", a, self.den)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn exact_rendering() {
        assert_eq!(Exact::new(427, 12).to_string(), "427/12 (≈ 35.5833333333…)");
        assert_eq!(Exact::new(71, 2).to_string(), "35.5");
        assert_eq!(Exact::new(-3, 4).to_string(), "-0.75");
        assert_eq!(Exact::new(10, 5).to_string(), "2");
    }

    #[test]
    fn every_value_code_is_in_the_catalogue() {
        for code in VALUE_CODES {
            for lang in Lang::ALL {
                let id = value_id(code);
                assert!(i18n::text(lang, &id).is_some(), "{id} in {}", lang.tag());
            }
        }
        assert_eq!(
            value_id("CollectedToHouseholdRegistration"),
            "explain-value-collected-to-household-registration"
        );
        assert_eq!(value_id("female-cadre"), "explain-value-female-cadre");
    }

    #[test]
    fn shown_in_the_readers_language() {
        let mut e = Explanation::new("pension.basic", "basic = benefit_base × …");
        e.step("benefit_base", Fen::new(725_300))
            .step("avg_index", "1.1500")
            .step("age", "60y3m")
            .step("drawing_pension", true)
            .step("category", "female-cadre")
            .step(
                "month",
                crate::stored!("explain-value-months-in", place = 140000, months = 36),
            );
        let zh: Vec<String> = e.steps.iter().map(|s| s.value_in(Lang::ZhCn)).collect();
        let en: Vec<String> = e.steps.iter().map(|s| s.value_in(Lang::En)).collect();
        assert_eq!(
            zh,
            [
                "7,253.00 元",
                "1.1500",
                "60 岁 3 个月",
                "是",
                "女干部",
                "140000：36 个月"
            ]
        );
        assert_eq!(
            en,
            [
                "7,253.00 yuan",
                "1.1500",
                "60 years 3 months",
                "yes",
                "female cadre",
                "140000: 36 months"
            ]
        );
        assert_eq!(e.steps[0].name_in(Lang::ZhCn), Some("计发基数"));
        assert_eq!(e.steps[0].name_in(Lang::En), Some("benefit base"));
        let account = Step {
            name: "account".into(),
            value: "863.31".into(),
        };
        let pension = Explanation::new("pension.account", "account = balance ÷ divisor");
        let contribution = Explanation::new("contribution.employee", "…");
        assert_eq!(
            pension.step_name_in(&account, Lang::ZhCn),
            Some("个人账户养老金")
        );
        assert_eq!(
            contribution.step_name_in(&account, Lang::ZhCn),
            Some("个人账户部分")
        );
        let zh = e.formula_in(Lang::ZhCn).unwrap_or_default();
        assert!(zh.starts_with("基础养老金 = 计发基数 × (1 + 本人平均缴费工资指数) ÷ 2"));
        assert!(
            e.formula_in(Lang::En)
                .is_some_and(|f| f.starts_with("basic pension ="))
        );
        // what the catalogue lacks is none: the caller shows the id
        let unknown = Explanation {
            rule: "no.such_rule".into(),
            ..e.clone()
        };
        assert_eq!(unknown.formula_in(Lang::ZhCn), None);
        let step = Step {
            name: "no_such_step".into(),
            value: "12y".into(),
        };
        assert_eq!(step.name_in(Lang::En), None);
        assert_eq!(step.value_in(Lang::ZhCn), "12y");
    }
}

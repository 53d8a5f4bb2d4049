//! The monthly pension of 国发〔2005〕38号.
//!
//! - basic = benefit_base × (1 + avg_index) / 2 × years × 1%, years = (paid + deemed months) / 12
//! - account = balance ÷ divisor(age at retirement)
//! - transitional = benefit_base × deemed_index × deemed_months / 12 × transition_coefficient
//!
//! Intermediate values are exact rationals; each component is rounded half-up to the fen once;
//! the total is the sum of the rounded components.

use super::retirement::{Category, statutory};
use super::{RuleError, input};
use crate::explain::{Exact, Explanation};
use crate::money::{Fen, div_round_half_up};
use crate::period::{Date, Period};
use crate::policy::Policy;
use crate::ratio::{RATIO_SCALE, Ratio};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PensionInput {
    pub birth: Period,
    pub category: Category,
    #[serde(default)]
    pub retire: Option<Period>,
    pub paid_months: u32,
    pub deemed_months: u32,
    pub avg_index: Ratio,
    pub deemed_index: Ratio,
    pub account_balance: Fen,
    #[serde(default)]
    pub benefit_base: Option<Fen>,
    #[serde(default)]
    pub transition_coefficient: Option<Ratio>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Pension {
    pub basic: Fen,
    pub account: Fen,
    pub transitional: Fen,
    pub total: Fen,
    pub retire: Period,
    pub age_years: i32,
    pub age_months: i32,
    /// Divisor in tenths of a month (138.4 = 1384).
    pub divisor_tenths: i64,
    pub explain: PensionExplain,
    /// Facts a reader should know (e.g. below the minimum contribution period).
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PensionExplain {
    pub basic: Explanation,
    pub account: Explanation,
    pub transitional: Explanation,
    pub retirement: Option<Explanation>,
}

/// Parse estimator input from JSON text, naming the field of any error.
pub fn parse_input(text: &str) -> Result<PensionInput, RuleError> {
    const FIELDS: [&str; 10] = [
        "birth",
        "category",
        "retire",
        "paid_months",
        "deemed_months",
        "avg_index",
        "deemed_index",
        "account_balance",
        "benefit_base",
        "transition_coefficient",
    ];
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| input("input", crate::tr!("rule-in-json", error = e)))?;
    let obj = v
        .as_object()
        .ok_or_else(|| input("input", crate::tr!("rule-in-object")))?;
    if let Some(k) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(RuleError::Input {
            field: "input",
            reason: crate::tr!("rule-in-unknown", name = k),
        });
    }
    fn field<T: serde::de::DeserializeOwned>(
        obj: &serde_json::Map<String, serde_json::Value>,
        name: &'static str,
        required: bool,
    ) -> Result<Option<T>, RuleError> {
        match obj.get(name) {
            None | Some(serde_json::Value::Null) if !required => Ok(None),
            None | Some(serde_json::Value::Null) => {
                Err(input(name, crate::tr!("rule-in-required")))
            }
            Some(v) => serde_json::from_value(v.clone())
                .map(Some)
                .map_err(|e| input(name, crate::tr!("rule-in-invalid", error = e))),
        }
    }
    fn req<T: serde::de::DeserializeOwned>(
        obj: &serde_json::Map<String, serde_json::Value>,
        name: &'static str,
    ) -> Result<T, RuleError> {
        field(obj, name, true)?.ok_or_else(|| input(name, crate::tr!("rule-in-required")))
    }
    Ok(PensionInput {
        birth: req(obj, "birth")?,
        category: req(obj, "category")?,
        retire: field(obj, "retire", false)?,
        paid_months: req(obj, "paid_months")?,
        deemed_months: req(obj, "deemed_months")?,
        avg_index: req(obj, "avg_index")?,
        deemed_index: req(obj, "deemed_index")?,
        account_balance: req(obj, "account_balance")?,
        benefit_base: field(obj, "benefit_base", false)?,
        transition_coefficient: field(obj, "transition_coefficient", false)?,
    })
}

/// The warning of a pension whose paid and deemed `months` are below the minimum contribution
/// period in force on `d`, in the current language.
fn below_minimum(policy: &Policy, d: Date, months: i128) -> Result<Option<String>, RuleError> {
    let (min, _) = policy.int("contribution.min_months", d)?;
    Ok(((months as i64) < min).then(|| {
        crate::tr!(
            "explain-warn-below-min-months",
            months = months,
            min = min,
            date = d
        )
    }))
}

/// Divisor (计发月数) in tenths of a month for an age at retirement.
pub fn divisor_tenths(
    policy: &Policy,
    retire: Period,
    age_months: i32,
) -> Result<(i64, Explanation), RuleError> {
    let d = retire.first_day();
    let (table, u1) = policy.table("benefit.divisor_months", d)?;
    let (method, u2) = policy.text("benefit.divisor_interpolation", d)?;
    let mut e = Explanation::new(
        "pension.divisor",
        "whole ages from the table; non-whole ages: linear-1dp = round_half_up(t[y] + (t[y+1] − t[y]) × m / 12, 1 decimal), floor = t[y]",
    );
    e.param(u1).param(u2);
    let (lo, hi) = match (table.keys().next(), table.keys().next_back()) {
        (Some(l), Some(h)) => (*l, *h),
        _ => return Err(RuleError::Policy("empty divisor table".into())),
    };
    let y = (age_months / 12) as i64;
    let m = (age_months % 12) as i64;
    if y < lo {
        return Err(input(
            "age",
            crate::tr!("rule-in-age-table", age = y, lo = lo, hi = hi),
        ));
    }
    let v = if y >= hi {
        e.step("beyond_table", hi);
        table[&hi]
    } else {
        let a = table
            .get(&y)
            .copied()
            .ok_or_else(|| RuleError::Policy(format!("divisor table has no age {y}")))?;
        let b = table
            .get(&(y + 1))
            .copied()
            .ok_or_else(|| RuleError::Policy(format!("divisor table has no age {}", y + 1)))?;
        match method {
            "floor" => a,
            "linear-1dp" => a + div_round_half_up(((b - a) * m) as i128, 12) as i64,
            other => {
                return Err(RuleError::Policy(format!(
                    "unknown divisor interpolation {other:?}"
                )));
            }
        }
    };
    e.step("age", format!("{y}y{m}m"))
        .step("divisor", Exact::new(v as i128, 10));
    Ok((v, e))
}

/// Estimate (or fix, on approval) the monthly pension.
pub fn pension(policy: &Policy, inp: &PensionInput) -> Result<Pension, RuleError> {
    let mut warnings = Vec::new();
    let (retire, retirement_explain) = match inp.retire {
        Some(r) => (r, None),
        None => {
            let (a, e) = statutory(policy, inp.birth, inp.category)?;
            (a.retire, Some(e))
        }
    };
    let age = inp.birth.months_until(retire);
    if age < 40 * 12 {
        return Err(input(
            "retire",
            crate::tr!("rule-in-age-40", retire = retire),
        ));
    }
    if inp.avg_index.0 < 0 || inp.deemed_index.0 < 0 {
        return Err(input("avg_index", crate::tr!("rule-in-index-negative")));
    }
    if inp.account_balance.is_negative() {
        return Err(input("account_balance", crate::tr!("rule-in-negative")));
    }
    if inp.paid_months > 12 * 70 || inp.deemed_months > 12 * 70 {
        return Err(input("paid_months", crate::tr!("rule-in-months-70")));
    }
    let d = retire.first_day();
    let s = RATIO_SCALE as i128;

    // Benefit base
    let (base, base_use) = match inp.benefit_base {
        Some(b) => (b, None),
        None => {
            let (b, u) = policy.yuan("benefit.base_monthly", d)?;
            (b, Some(u))
        }
    };
    if !base.is_positive() {
        return Err(input("benefit_base", crate::tr!("rule-in-positive")));
    }
    let (rate1, u_rate) = policy.ratio("benefit.basic_rate_per_year", d)?;
    let months = (inp.paid_months + inp.deemed_months) as i128;
    let mut basic_e = Explanation::new(
        "pension.basic",
        "basic = benefit_base × (1 + avg_index) / 2 × years × rate_per_year; years = (paid_months + deemed_months) / 12",
    );
    if let Some(u) = base_use.clone() {
        basic_e.param(u);
    } else {
        basic_e.step("benefit_base_given", base);
    }
    basic_e.param(u_rate);
    let bnum = base.fen() as i128 * (s + inp.avg_index.0 as i128) * months * rate1.0 as i128;
    let bden = 2 * s * 12 * s;
    let basic = Fen::div_half_up(bnum, bden).map_err(|_| RuleError::Overflow("basic pension"))?;
    basic_e
        .step("benefit_base", base)
        .step("avg_index", inp.avg_index)
        .step(
            "indexed_wage",
            Exact::new(base.fen() as i128 * inp.avg_index.0 as i128, s * 100),
        )
        .step("years", Exact::new(months, 12))
        .step("basic_exact", Exact::new(bnum, bden * 100))
        .step("basic", basic);

    // Account
    let (div, div_e) = divisor_tenths(policy, retire, age)?;
    let mut acc_e = Explanation::new("pension.account", "account = balance ÷ divisor");
    for u in div_e.params.iter().cloned() {
        acc_e.param(u);
    }
    acc_e.steps.extend(div_e.steps);
    let anum = inp.account_balance.fen() as i128 * 10;
    let account =
        Fen::div_half_up(anum, div as i128).map_err(|_| RuleError::Overflow("account pension"))?;
    acc_e
        .step("balance", inp.account_balance)
        .step("account_exact", Exact::new(anum, div as i128 * 100))
        .step("account", account);

    // Transitional
    let (coef, coef_use) = match inp.transition_coefficient {
        Some(c) => (c, None),
        None => {
            let (c, u) = policy.ratio("benefit.transition_coefficient", d)?;
            (c, Some(u))
        }
    };
    let mut tr_e = Explanation::new(
        "pension.transitional",
        "transitional = benefit_base × deemed_index × deemed_months / 12 × transition_coefficient",
    );
    if let Some(u) = base_use {
        tr_e.param(u);
    }
    match coef_use {
        Some(u) => {
            tr_e.param(u);
        }
        None => {
            tr_e.step("transition_coefficient_given", coef);
        }
    }
    let tnum = base.fen() as i128
        * inp.deemed_index.0 as i128
        * inp.deemed_months as i128
        * coef.0 as i128;
    let tden = s * 12 * s;
    let transitional =
        Fen::div_half_up(tnum, tden).map_err(|_| RuleError::Overflow("transitional pension"))?;
    tr_e.step("benefit_base", base)
        .step("deemed_index", inp.deemed_index)
        .step("deemed_years", Exact::new(inp.deemed_months as i128, 12))
        .step("transition_coefficient", coef)
        .step("transitional_exact", Exact::new(tnum, tden * 100))
        .step("transitional", transitional);

    let total =
        Fen::checked_sum([basic, account, transitional]).ok_or(RuleError::Overflow("total"))?;
    warnings.extend(below_minimum(policy, d, months)?);
    Ok(Pension {
        basic,
        account,
        transitional,
        total,
        retire,
        age_years: age / 12,
        age_months: age % 12,
        divisor_tenths: div,
        explain: PensionExplain {
            basic: basic_e,
            account: acc_e,
            transitional: tr_e,
            retirement: retirement_explain,
        },
        warnings,
    })
}

impl Pension {
    /// The estimate as JSON, the one shape shown to users: `tongchou pension estimate` prints it
    /// and `POST /api/pension/estimate` answers it. `retire` (YYYY-MM), `age` `{years, months}`
    /// at retirement, `basic`, `account`, `transitional` and `total` (yuan strings with two
    /// decimals), `warnings`, and `explain` (each component's explanation).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "retire": self.retire,
            "age": {"years": self.age_years, "months": self.age_months},
            "basic": self.basic,
            "account": self.account,
            "transitional": self.transitional,
            "total": self.total,
            "warnings": self.warnings,
            "explain": self.explain,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn input_json(s: &str) -> PensionInput {
        serde_json::from_str(s).expect("input")
    }

    #[test]
    fn worked_example_2025_with_given_base() {
        // Male born 1965-01 retires 2025-02 at 60y1m; base 7,253; index 1.15; 300 paid + 96 deemed
        let p = Policy::builtin().expect("policy");
        let i = input_json(
            r#"{"birth":"1965-01","category":"male","paid_months":300,"deemed_months":96,
            "avg_index":"1.15","deemed_index":"1.0","account_balance":"120000.00","benefit_base":"7253",
            "transition_coefficient":"0.013"}"#,
        );
        let r = pension(&p, &i).expect("pension");
        assert_eq!(r.retire.to_string(), "2025-02");
        assert_eq!((r.age_years, r.age_months), (60, 1));
        // 7253 × (1+1.15)/2 × (396/12) × 0.01 = 7253 × 1.075 × 33 × 0.01 = 2573.00175 -> 2573.00
        assert_eq!(r.basic, Fen::new(257300));
        // divisor 60y1m = 138.4; 120000 / 138.4 = 867.0520... -> 867.05
        assert_eq!(r.divisor_tenths, 1384);
        assert_eq!(r.account, Fen::new(86705));
        // 7253 × 1.0 × 8 × 0.013 = 754.312 -> 754.31
        assert_eq!(r.transitional, Fen::new(75431));
        assert_eq!(r.total, Fen::new(257300 + 86705 + 75431));
        assert!(r.warnings.is_empty());
        // the JSON shown by the CLI and the API
        let v = r.to_json();
        let keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "retire",
                "age",
                "basic",
                "account",
                "transitional",
                "total",
                "warnings",
                "explain"
            ]
        );
        assert_eq!(v["retire"], "2025-02");
        assert_eq!(v["age"], serde_json::json!({"years": 60, "months": 1}));
        assert_eq!(
            (&v["basic"], &v["account"], &v["transitional"], &v["total"]),
            (
                &serde_json::json!("2573.00"),
                &serde_json::json!("867.05"),
                &serde_json::json!("754.31"),
                &serde_json::json!("4194.36")
            )
        );
        assert_eq!(v["warnings"], serde_json::json!([]));
        assert_eq!(
            v["explain"]["basic"],
            serde_json::to_value(&r.explain.basic).expect("json")
        );
        // no retirement month given: the statutory one, explained
        assert!(v["explain"]["retirement"].is_object(), "{v}");
    }

    #[test]
    fn defaults_come_from_policy_and_are_cited() {
        let p = Policy::builtin().expect("policy");
        let i = input_json(
            r#"{"birth":"1964-03","category":"male","paid_months":100,"deemed_months":0,
            "avg_index":"1","deemed_index":"0","account_balance":"0"}"#,
        );
        let r = pension(&p, &i).expect("pension");
        assert_eq!(r.retire.to_string(), "2024-03");
        assert!(
            r.explain
                .basic
                .params
                .iter()
                .any(|u| u.name == "benefit.base_monthly" && u.value == "7111.00")
        );
        assert_eq!(r.divisor_tenths, 1390);
        assert_eq!(r.warnings.len(), 1);
        assert!(r.warnings[0].starts_with("实际缴费月数与视同缴费月数合计 100 个月"));
        let en = crate::i18n::scope(crate::i18n::Lang::En, || pension(&p, &i));
        let en = en.expect("pension").warnings;
        assert!(
            en[0].starts_with("months paid and deemed, 100, are below"),
            "{en:?}"
        );
    }

    #[test]
    fn divisor_interpolation_examples() {
        let p = Policy::builtin().expect("policy");
        let r: Period = "2030-01".parse().expect("p");
        assert_eq!(divisor_tenths(&p, r, 50 * 12 + 1).expect("d").0, 1946);
        assert_eq!(divisor_tenths(&p, r, 62 * 12 + 10).expect("d").0, 1183);
        assert_eq!(divisor_tenths(&p, r, 47 * 12).expect("d").0, 2070);
        // before the reform the whole age applies
        let old: Period = "2020-01".parse().expect("p");
        assert_eq!(divisor_tenths(&p, old, 60 * 12 + 6).expect("d").0, 1390);
    }

    #[test]
    fn parse_input_names_the_field() {
        let e =
            parse_input(r#"{"birth":"1965-01","category":"male","paid_months":-3}"#).unwrap_err();
        assert!(
            matches!(
                e,
                RuleError::Input {
                    field: "paid_months",
                    ..
                }
            ),
            "{e}"
        );
        let e = parse_input(r#"{"birth":"1965-13","category":"male"}"#).unwrap_err();
        assert!(matches!(e, RuleError::Input { field: "birth", .. }), "{e}");
        let e = parse_input(
            r#"{"birth":"1965-01","category":"male","paid_months":1,"deemed_months":0,
            "avg_index":"1","deemed_index":"0"}"#,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "个人账户储存额（account_balance）：必填");
        let e = parse_input(r#"{"birth":"1965-01","extra":1}"#).unwrap_err();
        assert!(e.to_string().contains("未知字段 extra"), "{e}");
        let e = crate::i18n::scope(crate::i18n::Lang::En, || {
            parse_input(
                r#"{"birth":"1965-01","category":"male","paid_months":1,"deemed_months":0,
            "avg_index":"1","deemed_index":"0","account_balance":"1.001"}"#,
            )
            .unwrap_err()
            .to_string()
        });
        assert!(
            e.starts_with("account_balance: more than two decimals"),
            "{e}"
        );
    }

    #[test]
    fn bad_inputs_refused() {
        let p = Policy::builtin().expect("policy");
        let mut i = input_json(
            r#"{"birth":"1990-01","category":"male","retire":"2020-01","paid_months":1,"deemed_months":0,
            "avg_index":"1","deemed_index":"0","account_balance":"0"}"#,
        );
        assert!(matches!(
            pension(&p, &i),
            Err(RuleError::Input {
                field: "retire",
                ..
            })
        ));
        i.retire = None;
        i.account_balance = Fen::new(-1);
        assert!(matches!(
            pension(&p, &i),
            Err(RuleError::Input {
                field: "account_balance",
                ..
            })
        ));
    }

    proptest! {
        #[test]
        fn total_is_sum_of_rounded_parts(paid in 0u32..600, deemed in 0u32..300, z in 0i64..300_000_000,
                                         zd in 0i64..300_000_000, bal in 0i64..100_000_000) {
            let p = Policy::builtin().expect("policy");
            let i = PensionInput { birth: "1960-06".parse().expect("p"), category: Category::Male, retire: None,
                paid_months: paid, deemed_months: deemed, avg_index: Ratio(z), deemed_index: Ratio(zd),
                account_balance: Fen::new(bal), benefit_base: None, transition_coefficient: None };
            let r = pension(&p, &i).expect("pension");
            prop_assert_eq!(r.total.fen(), r.basic.fen() + r.account.fen() + r.transitional.fen());
            prop_assert!(r.basic.fen() >= 0 && r.account.fen() >= 0 && r.transitional.fen() >= 0);
        }
    }
}

//! The fund-governance parameters of the notice's 二(三)–(六) (mechanisms.md §2–§4), resolved
//! once for a date into typed "terms": early warning (`policy/early-warning.toml`), gap sharing
//! (`policy/gap-sharing.toml`) and target assessment (`policy/assessment.toml`). Each carries the
//! [`ParamUse`]s it read, for the explanation of whatever it decides.

use super::RuleError;
use crate::money::Fen;
use crate::period::Date;
use crate::policy::{ParamUse, Policy};
use crate::ratio::Ratio;

fn positive_int(
    policy: &Policy,
    name: &str,
    on: Date,
    uses: &mut Vec<ParamUse>,
) -> Result<i64, RuleError> {
    let (v, u) = policy.int(name, on)?;
    if v < 0 {
        return Err(RuleError::Policy(format!(
            "{name} is negative ({v}) on {on}"
        )));
    }
    uses.push(u);
    Ok(v)
}

fn ratio(
    policy: &Policy,
    name: &str,
    on: Date,
    uses: &mut Vec<ParamUse>,
) -> Result<Ratio, RuleError> {
    let (v, u) = policy.ratio(name, on)?;
    if v.0 < 0 {
        return Err(RuleError::Policy(format!(
            "{name} is negative ({v}) on {on}"
        )));
    }
    uses.push(u);
    Ok(v)
}

/// Early-warning thresholds in force on a date (mechanisms.md §4).
#[derive(Clone, Debug)]
pub struct WarningTerms {
    /// Months payable below these: watch, warning, alarm (whole months).
    pub watch_months: i64,
    pub warning_months: i64,
    pub alarm_months: i64,
    /// Collection against the task deviating beyond this (either way) is a warning.
    pub task_deviation: Ratio,
    /// The working balance should hold this many months of benefits.
    pub working_floor_months: i64,
    /// Fewer contributors per pensioner than this is a warning.
    pub dependency_floor: Ratio,
    /// Arrears growing by more than this ratio in a month is a warning.
    pub arrears_growth: Ratio,
    /// A contribution base jumping by more than this ratio within the 12 months before
    /// retirement is an anomaly.
    pub base_jump: Ratio,
    pub uses: Vec<ParamUse>,
}

impl WarningTerms {
    pub fn at(policy: &Policy, on: Date) -> Result<WarningTerms, RuleError> {
        let mut uses = Vec::new();
        let watch_months = positive_int(policy, "warning.months_payable.watch", on, &mut uses)?;
        let warning_months = positive_int(policy, "warning.months_payable.warning", on, &mut uses)?;
        let alarm_months = positive_int(policy, "warning.months_payable.alarm", on, &mut uses)?;
        if !(alarm_months <= warning_months && warning_months <= watch_months) {
            return Err(RuleError::Policy(format!(
                "months payable tiers must be alarm ≤ warning ≤ watch on {on} ({alarm_months}, {warning_months}, {watch_months})"
            )));
        }
        Ok(WarningTerms {
            watch_months,
            warning_months,
            alarm_months,
            task_deviation: ratio(policy, "warning.budget_deviation", on, &mut uses)?,
            working_floor_months: positive_int(
                policy,
                "warning.expenditure_account_floor_months",
                on,
                &mut uses,
            )?,
            dependency_floor: ratio(policy, "warning.dependency_ratio_floor", on, &mut uses)?,
            arrears_growth: ratio(policy, "warning.arrears_growth", on, &mut uses)?,
            base_jump: ratio(policy, "warning.base_jump_ratio", on, &mut uses)?,
            uses,
        })
    }
}

/// The indicators of the budget's performance evaluation (绩效评价), in their order.
pub const EVALUATION_INDICATORS: [&str; 5] = [
    "execution",
    "collection",
    "accuracy_income",
    "accuracy_expenditure",
    "timeliness",
];

/// One indicator's scoring band: its points, and the scored values of full and of no marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Band {
    pub weight: i64,
    pub full: Ratio,
    pub zero: Ratio,
}

/// The performance evaluation's indicator definitions in force on a date (`policy/budget.toml`,
/// `budget.evaluation.*`), in the order of [`EVALUATION_INDICATORS`].
#[derive(Clone, Debug)]
pub struct EvaluationTerms {
    pub bands: [Band; 5],
    pub uses: Vec<ParamUse>,
}

impl EvaluationTerms {
    pub fn at(policy: &Policy, on: Date) -> Result<EvaluationTerms, RuleError> {
        let mut uses = Vec::new();
        let mut bands = [Band {
            weight: 0,
            full: Ratio::ONE,
            zero: Ratio(0),
        }; 5];
        for (band, key) in bands.iter_mut().zip(EVALUATION_INDICATORS) {
            let p = |part: &str| format!("budget.evaluation.{key}.{part}");
            band.weight = positive_int(policy, &p("weight"), on, &mut uses)?;
            band.full = ratio(policy, &p("full"), on, &mut uses)?;
            band.zero = ratio(policy, &p("zero"), on, &mut uses)?;
            if band.zero >= band.full {
                return Err(RuleError::Policy(format!(
                    "budget.evaluation.{key}: zero ({}) must be below full ({}) on {on}",
                    band.zero, band.full
                )));
            }
        }
        Ok(EvaluationTerms { bands, uses })
    }

    /// The parameters of one indicator (its weight, full and zero).
    pub fn uses_of(&self, key: &str) -> Vec<&ParamUse> {
        let prefix = format!("budget.evaluation.{key}.");
        self.uses
            .iter()
            .filter(|u| u.name.starts_with(&prefix))
            .collect()
    }
}

/// The factors of the notice (二(三)) by which the policy gap's city and county parts are
/// allocated, with their weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FactorWeights {
    pub structural_deficit: u64,
    pub dependency: u64,
    pub employment: u64,
    pub economic: u64,
}

impl FactorWeights {
    pub fn as_array(&self) -> [u64; 4] {
        [
            self.structural_deficit,
            self.dependency,
            self.employment,
            self.economic,
        ]
    }
}

/// Gap-sharing rules in force on a date (mechanisms.md §2).
#[derive(Clone, Debug)]
pub struct GapTerms {
    /// The county's part of its collection shortfall (the rest: its city).
    pub shortfall_county: Ratio,
    /// The county's part of its non-compliant expenditure (the rest: its city).
    pub noncompliant_county: Ratio,
    /// The policy gap's parts: province, cities, counties (they add up to 1).
    pub policy_province: Ratio,
    pub policy_city: Ratio,
    pub policy_county: Ratio,
    pub factors: FactorWeights,
    /// The shares of year Y are due by the end of this month of Y + 1.
    pub due_month: u8,
    pub uses: Vec<ParamUse>,
}

impl GapTerms {
    pub fn at(policy: &Policy, on: Date) -> Result<GapTerms, RuleError> {
        let mut uses = Vec::new();
        let mut share = |name: &str| -> Result<Ratio, RuleError> {
            let r = ratio(policy, name, on, &mut uses)?;
            if r > Ratio::ONE {
                return Err(RuleError::Policy(format!(
                    "{name} is above 1 ({r}) on {on}"
                )));
            }
            Ok(r)
        };
        let shortfall_county = share("gap.collection_shortfall.county_share")?;
        let noncompliant_county = share("gap.noncompliant.county_share")?;
        let policy_province = share("gap.policy.province_share")?;
        let policy_city = share("gap.policy.city_share")?;
        let policy_county = share("gap.policy.county_share")?;
        if policy_province.0 + policy_city.0 + policy_county.0 != Ratio::ONE.0 {
            return Err(RuleError::Policy(format!(
                "the policy gap's shares add up to {} on {on}, not 1",
                Ratio(policy_province.0 + policy_city.0 + policy_county.0)
            )));
        }
        let mut w = |name: &str| positive_int(policy, name, on, &mut uses).map(|v| v as u64);
        let factors = FactorWeights {
            structural_deficit: w("gap.policy.factor.structural_deficit")?,
            dependency: w("gap.policy.factor.dependency")?,
            employment: w("gap.policy.factor.employment")?,
            economic: w("gap.policy.factor.economic")?,
        };
        if factors.as_array().iter().all(|&x| x == 0) {
            return Err(RuleError::Policy(format!(
                "every factor weight of the policy gap is 0 on {on}"
            )));
        }
        let due_month = positive_int(policy, "gap.settlement_due_month", on, &mut uses)?;
        if !(1..=12).contains(&due_month) {
            return Err(RuleError::Policy(format!(
                "gap.settlement_due_month is not a month ({due_month})"
            )));
        }
        Ok(GapTerms {
            shortfall_county,
            noncompliant_county,
            policy_province,
            policy_city,
            policy_county,
            factors,
            due_month: due_month as u8,
            uses,
        })
    }

    /// The day the shares of `year` are due.
    pub fn due_date(&self, year: i32) -> Result<Date, RuleError> {
        let p = crate::period::Period::new(year + 1, self.due_month)
            .map_err(|e| RuleError::Policy(format!("due date: {e}")))?;
        Ok(p.last_day())
    }
}

/// The six indicators of the target assessment (mechanisms.md §3), in their fixed order.
pub const INDICATORS: [&str; 6] = [
    "policy_execution",
    "coverage",
    "collection",
    "retirement_approval",
    "payment",
    "fund_security",
];

/// Target-assessment rules in force on a date (mechanisms.md §3).
#[derive(Clone, Debug)]
pub struct AssessmentTerms {
    /// Weights of [`INDICATORS`], in that order (they add up to 100).
    pub weights: [i64; 6],
    pub reward_top: usize,
    pub accountability_bottom: usize,
    /// Unrecovered improper payments above this make a region accountable whatever its rank.
    pub improper_threshold: Fen,
    pub retirement_days: i64,
    /// New insured expected in a year, as a share of those insured at its start.
    pub coverage_target: Ratio,
    pub uses: Vec<ParamUse>,
}

impl AssessmentTerms {
    pub fn at(policy: &Policy, on: Date) -> Result<AssessmentTerms, RuleError> {
        let mut uses = Vec::new();
        let mut weights = [0i64; 6];
        for (w, name) in weights.iter_mut().zip(INDICATORS) {
            *w = positive_int(policy, &format!("assessment.weight.{name}"), on, &mut uses)?;
        }
        let sum: i64 = weights.iter().sum();
        if sum != 100 {
            return Err(RuleError::Policy(format!(
                "the assessment weights add up to {sum} on {on}, not 100"
            )));
        }
        let reward_top = positive_int(policy, "assessment.reward_top", on, &mut uses)? as usize;
        let accountability_bottom =
            positive_int(policy, "assessment.accountability_bottom", on, &mut uses)? as usize;
        let (improper_threshold, u) = policy.yuan("assessment.improper_payment_threshold", on)?;
        uses.push(u);
        let retirement_days = positive_int(
            policy,
            "assessment.retirement_time_limit_days",
            on,
            &mut uses,
        )?;
        let coverage_target = ratio(policy, "assessment.coverage_target_ratio", on, &mut uses)?;
        Ok(AssessmentTerms {
            coverage_target,
            weights,
            reward_top,
            accountability_bottom,
            improper_threshold,
            retirement_days,
            uses,
        })
    }
}

/// The central adjustment fund (中央调剂基金, 国发〔2018〕18号; `policy/central-adjustment.toml`)
/// in force in a year: the province's remittance = the previous year's provincial average wage
/// × the wage factor × the in-service insured who should be covered × the remittance ratio. From
/// 2022 national pooling replaced it (`regime` "national-pooling", ratio 0), whose formulas were
/// not found.
#[derive(Clone, Debug)]
pub struct CentralAdjustmentTerms {
    pub regime: String,
    pub ratio: Ratio,
    pub wage_factor: Ratio,
    /// The provincial all-caliber average wage of the previous year.
    pub avg_wage: Fen,
    pub uses: Vec<ParamUse>,
}

impl CentralAdjustmentTerms {
    /// The terms of `year`: the ratio and regime in force on its last day, the average wage of
    /// the year before.
    pub fn of_year(policy: &Policy, year: i32) -> Result<CentralAdjustmentTerms, RuleError> {
        let on = Date::new(year, 12, 31).map_err(|e| RuleError::Policy(e.to_string()))?;
        let before = Date::new(year - 1, 12, 31).map_err(|e| RuleError::Policy(e.to_string()))?;
        let mut uses = Vec::new();
        let (regime, u) = policy.text("central_adjustment.regime", on)?;
        let regime = regime.to_string();
        uses.push(u);
        let remit_ratio = ratio(policy, "central_adjustment.remittance_ratio", on, &mut uses)?;
        let wage_factor = ratio(policy, "central_adjustment.wage_factor", on, &mut uses)?;
        let (avg_wage, u) = policy.yuan("wages.all_caliber_avg_annual", before)?;
        uses.push(u);
        Ok(CentralAdjustmentTerms {
            regime,
            ratio: remit_ratio,
            wage_factor,
            avg_wage,
            uses,
        })
    }

    /// The year's remittance for `insured` persons, rounded half up to the fen once.
    pub fn remittance(&self, insured: i64) -> Result<Fen, RuleError> {
        let scale = crate::ratio::RATIO_SCALE as i128;
        let num = self.avg_wage.fen() as i128
            * self.wage_factor.0 as i128
            * insured.max(0) as i128
            * self.ratio.0 as i128;
        Fen::div_half_up(num, scale * scale).map_err(|_| RuleError::Overflow("remittance"))
    }

    /// Whether the year is under the central adjustment fund (2018-07 to 2021), not national
    /// pooling.
    pub fn is_central_adjustment(&self) -> bool {
        self.regime == "central-adjustment" && self.ratio.0 > 0
    }
}

/// The province's allocation from the central adjustment fund (拨付 = 离退休人数 × 人均拨付额,
/// 国发〔2018〕18号): the pensioners as approved by MOHRSS and MOF × the national per-capita
/// amount (the year's collections ÷ the nation's pensioners, set by the centre: an entered
/// figure with its source document, never a parameter of ours).
pub fn central_allocation(pensioners: i64, per_capita: Fen) -> Result<Fen, RuleError> {
    if pensioners <= 0 || !per_capita.is_positive() {
        return Err(RuleError::Input {
            field: "allocation",
            reason: "离退休人数和人均拨付额都必须大于零".into(),
        });
    }
    per_capita
        .checked_mul(pensioners)
        .ok_or(RuleError::Overflow("allocation"))
}

/// Quarter `quarter` (1-4) of a year's amount for the quarterly advances (预缴/预拨): four equal
/// parts to the fen, a remainder to the earlier quarters (largest remainder, ties to the earlier).
pub fn quarter_part(amount: Fen, quarter: u8) -> Result<Fen, RuleError> {
    if !(1..=4).contains(&quarter) {
        return Err(RuleError::Input {
            field: "quarter",
            reason: format!("季度应为 1-4（{quarter}）"),
        });
    }
    Ok(amount.split_by_weights(&[1, 1, 1, 1])[quarter as usize - 1])
}

/// The year-end settlement (年终清算) of the central adjustment fund: what the province is owed
/// on the year (allocation − remittance) less what the advances already moved (received −
/// paid). Positive: the centre pays the province; negative: the province pays the centre.
pub fn central_settlement(
    remitted: Fen,
    allocated: Fen,
    advances_paid: Fen,
    advances_received: Fen,
) -> Result<Fen, RuleError> {
    let owed = allocated.checked_sub(remitted);
    let moved = advances_received.checked_sub(advances_paid);
    owed.zip(moved)
        .and_then(|(o, m)| o.checked_sub(m))
        .ok_or(RuleError::Overflow("settlement"))
}

/// The reserve fund from transferred state capital (国发〔2017〕49号, `policy/reserve.toml`): the
/// share transferred and the lock-up in force on a date.
#[derive(Clone, Debug)]
pub struct ReserveTerms {
    pub transfer_ratio: Ratio,
    pub lockup_months: i64,
    pub uses: Vec<ParamUse>,
}

impl ReserveTerms {
    pub fn at(policy: &Policy, on: Date) -> Result<ReserveTerms, RuleError> {
        let mut uses = Vec::new();
        let transfer_ratio = ratio(
            policy,
            "reserve.state_capital_transfer_ratio",
            on,
            &mut uses,
        )?;
        let lockup_months = positive_int(policy, "reserve.lockup_months", on, &mut uses)?;
        Ok(ReserveTerms {
            transfer_ratio,
            lockup_months,
            uses,
        })
    }

    /// The first day transferred equity may be sold (禁售期满): the transfer date plus the
    /// lock-up months, the day kept (the month's last day when shorter).
    pub fn lockup_end(&self, transfer: Date) -> Result<Date, RuleError> {
        let months =
            i32::try_from(self.lockup_months).map_err(|_| RuleError::Overflow("lockup"))?;
        let p = transfer.period().add_months(months);
        let day = transfer
            .day()
            .min(crate::period::days_in_month(p.year(), p.month()));
        Date::new(p.year(), p.month(), day).map_err(|e| RuleError::Policy(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    #[test]
    fn builtin_terms_are_the_mechanisms_defaults() {
        let p = Policy::builtin().expect("policy");
        let w = WarningTerms::at(&p, d("2024-06-30")).expect("warning");
        assert_eq!(
            (w.watch_months, w.warning_months, w.alarm_months),
            (9, 6, 3)
        );
        assert_eq!(w.task_deviation.to_string(), "0.05");
        assert_eq!(w.working_floor_months, 2);
        assert_eq!(w.dependency_floor.to_string(), "1.5");
        let g = GapTerms::at(&p, d("2024-12-31")).expect("gap");
        assert_eq!(g.shortfall_county, Ratio::ONE);
        assert_eq!(g.policy_province.to_string(), "0.5");
        assert_eq!(g.factors.as_array(), [1, 0, 0, 0]);
        assert_eq!(g.due_date(2024).expect("due"), d("2025-06-30"));
        let a = AssessmentTerms::at(&p, d("2024-12-31")).expect("assessment");
        assert_eq!(a.weights, [10, 20, 30, 15, 15, 10]);
        assert_eq!(a.improper_threshold, Fen::from_yuan(100_000));
        assert_eq!((a.reward_top, a.accountability_bottom), (3, 3));
        assert!(
            a.uses
                .iter()
                .any(|u| u.name == "assessment.weight.collection")
        );
    }

    #[test]
    fn evaluation_bands_add_up_to_a_hundred_points() {
        let p = Policy::builtin().expect("policy");
        let e = EvaluationTerms::at(&p, d("2021-12-31")).expect("evaluation");
        assert_eq!(e.bands.iter().map(|b| b.weight).sum::<i64>(), 100);
        assert_eq!(e.bands[1].full, Ratio::ONE);
        assert_eq!(e.uses.len(), 15);
        assert_eq!(e.uses_of("timeliness").len(), 3);
        assert!(
            e.uses
                .iter()
                .all(|u| u.source.contains("Shanxi's own rules not found"))
        );
    }

    #[test]
    fn central_adjustment_by_year_and_the_reserve() {
        let p = Policy::builtin().expect("policy");
        let t = CentralAdjustmentTerms::of_year(&p, 2020).expect("2020");
        assert_eq!(t.regime, "central-adjustment");
        assert_eq!(t.ratio.to_string(), "0.04");
        // 2019's average 58,316 × 0.9 × 1,000 insured × 4 % = 2,099,376.00
        assert_eq!(t.avg_wage, Fen::from_yuan(58_316));
        assert_eq!(t.remittance(1_000).expect("r"), Fen::from_yuan(2_099_376));
        let later = CentralAdjustmentTerms::of_year(&p, 2022).expect("2022");
        assert_eq!(later.regime, "national-pooling");
        assert_eq!(later.remittance(1_000).expect("r"), Fen::ZERO);
        let r = ReserveTerms::at(&p, d("2024-01-01")).expect("reserve");
        assert_eq!(r.lockup_end(d("2020-12-14")).expect("end"), d("2023-12-14"));
        assert_eq!(r.lockup_end(d("2020-02-29")).expect("end"), d("2023-02-28"));
        assert_eq!(
            (r.transfer_ratio.to_string().as_str(), r.lockup_months),
            ("0.1", 36)
        );
    }

    #[test]
    fn allocation_advances_and_settlement_add_up() {
        // 拨付 = 离退休人数 × 人均拨付额
        let a = central_allocation(1_000, Fen::new(123_456)).expect("alloc");
        assert_eq!(a, Fen::new(123_456_000));
        assert!(central_allocation(0, Fen::new(1)).is_err());
        assert!(central_allocation(5, Fen::ZERO).is_err());
        let q: Vec<Fen> = (1..=4)
            .map(|i| quarter_part(Fen::new(10_003), i).expect("q"))
            .collect();
        assert_eq!(q, [2_501, 2_501, 2_501, 2_500].map(Fen::new));
        assert!(quarter_part(Fen::new(1), 5).is_err());
        // remitted 100, allocated 160, advances paid 75 and received 120: 15 still to receive
        let net = central_settlement(Fen::new(100), Fen::new(160), Fen::new(75), Fen::new(120));
        assert_eq!(net.expect("net"), Fen::new(15));
        let owe = central_settlement(Fen::new(100), Fen::new(40), Fen::new(0), Fen::new(0));
        assert_eq!(owe.expect("owe"), Fen::new(-60));
    }

    #[test]
    fn a_dated_change_applies_from_its_date_only() {
        let extra = r#"topic = "gap-sharing"
[[param]]
name = "gap.policy.province_share"
unit = "ratio"
description = "d"
values = [ { from = "2019-01-01", value = "0.5", status = "assumed", source = "s", source_zh = "来源" },
           { from = "2023-01-01", value = "0.6", status = "assumed", source = "s", source_zh = "来源" } ]
[[param]]
name = "gap.policy.city_share"
unit = "ratio"
description = "d"
values = [ { from = "2019-01-01", value = "0.25", status = "assumed", source = "s", source_zh = "来源" },
           { from = "2023-01-01", value = "0.2", status = "assumed", source = "s", source_zh = "来源" } ]
[[param]]
name = "gap.policy.county_share"
unit = "ratio"
description = "d"
values = [ { from = "2019-01-01", value = "0.25", status = "assumed", source = "s", source_zh = "来源" },
           { from = "2023-01-01", value = "0.2", status = "assumed", source = "s", source_zh = "来源" } ]
"#;
        let files = crate::policy::BUILTIN_FILES.iter().copied();
        let gap_rest: String = crate::policy::BUILTIN_FILES
            .iter()
            .find(|(n, _)| *n == "gap-sharing.toml")
            .map(|(_, t)| {
                t.split("[[param]]")
                    .filter(|s| {
                        !["province_share", "city_share", "county_share"]
                            .iter()
                            .any(|k| s.contains(&format!("name = \"gap.policy.{k}\"")))
                    })
                    .collect::<Vec<_>>()
                    .join("[[param]]")
            })
            .expect("gap file");
        let p = Policy::from_files(files.filter(|(n, _)| *n != "gap-sharing.toml").chain([
            ("gap-rest.toml", gap_rest.as_str()),
            ("gap-new.toml", extra),
        ]))
        .expect("policy");
        let before = GapTerms::at(&p, d("2022-12-31")).expect("2022");
        let after = GapTerms::at(&p, d("2023-12-31")).expect("2023");
        assert_eq!(before.policy_province.to_string(), "0.5");
        assert_eq!(after.policy_province.to_string(), "0.6");
        assert_eq!(after.policy_city.to_string(), "0.2");
    }
}

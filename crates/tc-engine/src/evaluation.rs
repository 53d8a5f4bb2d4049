//! The budget's performance evaluation (绩效评价, issue 11 item 6): a region's year measured by
//! five indicators, each with its formula, the figures behind it and its score under the dated
//! definitions of `policy/budget.toml` (`budget.evaluation.*`, all assumptions: Shanxi's own
//! rules were not found).
//!
//! - 执行率 execution: expenditure executed ÷ expenditure budget; scored on 1 − |rate − 1|
//!   (under- and over-spending alike);
//! - 征缴任务完成率 collection: contribution income ÷ collection task;
//! - 收入/支出预算准确率 accuracy: 1 − |final − budget| ÷ budget, per side;
//! - 拨付及时率 timeliness: months whose allocation reached the city by `calendar.allocation_day`
//!   ÷ months allocated.
//!
//! A scored value at or above the band's `full` earns the weight, at or below its `zero`
//! nothing, linearly in between; scores in hundredths of a point, rounded half up.

use crate::warning::ratio_of;
use serde::Serialize;
use tongchou_core::i18n::word;
use tongchou_core::money::div_round_half_up;
use tongchou_core::rules::governance::{Band, EVALUATION_INDICATORS, EvaluationTerms};
use tongchou_core::{Fen, Ratio, tr};

/// A region's figures of the year.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct YearFigures {
    /// Income and expenditure of the budget (the items between levels left out) and of the
    /// ledger's final figures (January to December, or to the month reached).
    pub income_budget: Fen,
    pub income_final: Fen,
    pub expenditure_budget: Fen,
    pub expenditure_final: Fen,
    /// The collection task (the budget's contribution income) and the contribution income.
    pub task: Fen,
    pub contributions: Fen,
    /// Months of the year allocated to the region's cities, and those on time (city-months).
    pub months_allocated: i64,
    pub months_on_time: i64,
}

/// One indicator of a region's year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Indicator {
    pub key: &'static str,
    pub name: &'static str,
    /// The measured value (a rate); `None` without a denominator.
    pub value: Option<Ratio>,
    /// The value the band scores.
    pub scored: Option<Ratio>,
    pub weight: i64,
    /// Hundredths of a point; `None` when the value is not measurable.
    pub score: Option<i64>,
    /// The formula and the band, in words; the figures it took.
    pub formula: String,
    pub evidence: String,
}

/// The score of a scored value under its band, in hundredths of a point.
pub fn score(band: &Band, scored: Ratio) -> i64 {
    if scored >= band.full {
        band.weight * 100
    } else if scored <= band.zero {
        0
    } else {
        let v = div_round_half_up(
            i128::from(band.weight) * 100 * i128::from(scored.0 - band.zero.0),
            i128::from(band.full.0 - band.zero.0),
        );
        i64::try_from(v).unwrap_or(0)
    }
}

/// `1 − |actual − plan| ÷ plan`, to 0.0001.
fn accuracy(actual: Fen, plan: Fen) -> Option<Ratio> {
    let (a, p) = (i128::from(actual.fen()), i128::from(plan.fen()));
    ratio_of(p - (a - p).abs(), p, 4)
}

/// An indicator's name in the current language (`eng-eval-name-<key>`).
fn name_of(key: &str) -> &'static str {
    match key {
        "execution" => word("eng-eval-name-execution"),
        "collection" => word("eng-eval-name-collection"),
        "accuracy_income" => word("eng-eval-name-accuracy_income"),
        "accuracy_expenditure" => word("eng-eval-name-accuracy_expenditure"),
        _ => word("eng-eval-name-timeliness"),
    }
}

/// (formula, evidence, value, scored) of one indicator.
fn measure(key: &str, f: &YearFigures) -> (String, String, Option<Ratio>, Option<Ratio>) {
    match key {
        "execution" => {
            let rate = ratio_of(
                i128::from(f.expenditure_final.fen()),
                i128::from(f.expenditure_budget.fen()),
                4,
            );
            let scored = rate.map(|r| Ratio(Ratio::ONE.0 - (r.0 - Ratio::ONE.0).abs()));
            (
                word("eng-eval-formula-execution").into(),
                tr!(
                    "eng-eval-evidence-execution",
                    executed = f.expenditure_final.grouped(),
                    budget = f.expenditure_budget.grouped()
                ),
                rate,
                scored,
            )
        }
        "collection" => {
            let rate = ratio_of(
                i128::from(f.contributions.fen()),
                i128::from(f.task.fen()),
                4,
            );
            (
                word("eng-eval-formula-collection").into(),
                tr!(
                    "eng-eval-evidence-collection",
                    contributions = f.contributions.grouped(),
                    task = f.task.grouped()
                ),
                rate,
                rate,
            )
        }
        "accuracy_income" | "accuracy_expenditure" => {
            let (side, fin, plan) = if key == "accuracy_income" {
                (
                    word("eng-eval-side-income"),
                    f.income_final,
                    f.income_budget,
                )
            } else {
                (
                    word("eng-eval-side-expenditure"),
                    f.expenditure_final,
                    f.expenditure_budget,
                )
            };
            let a = accuracy(fin, plan);
            (
                tr!("eng-eval-formula-accuracy", side = side),
                tr!(
                    "eng-eval-evidence-accuracy",
                    side = side,
                    actual = fin.grouped(),
                    budget = plan.grouped()
                ),
                a,
                a,
            )
        }
        _ => {
            let rate = ratio_of(
                i128::from(f.months_on_time),
                i128::from(f.months_allocated),
                4,
            );
            (
                word("eng-eval-formula-timeliness").into(),
                tr!(
                    "eng-eval-evidence-timeliness",
                    on_time = f.months_on_time,
                    allocated = f.months_allocated
                ),
                rate,
                rate,
            )
        }
    }
}

/// The five indicators of a region's year, in the order of [`EVALUATION_INDICATORS`].
pub fn evaluate(f: &YearFigures, terms: &EvaluationTerms) -> Vec<Indicator> {
    EVALUATION_INDICATORS
        .iter()
        .zip(terms.bands.iter())
        .map(|(&key, band)| {
            let (formula, evidence, value, scored) = measure(key, f);
            Indicator {
                key,
                name: name_of(key),
                value,
                scored,
                weight: band.weight,
                score: scored.map(|s| score(band, s)),
                formula: tr!(
                    "eng-eval-band",
                    formula = formula,
                    full = band.full,
                    weight = band.weight,
                    zero = band.zero
                ),
                evidence,
            }
        })
        .collect()
}

/// The total in hundredths of a point, and the points of the indicators measured.
pub fn total(indicators: &[Indicator]) -> (i64, i64) {
    indicators
        .iter()
        .filter_map(|i| i.score.map(|s| (s, i.weight)))
        .fold((0, 0), |(s, w), (a, b)| (s + a, w + b))
}

/// Hundredths as text: 8_765 → "87.65".
pub fn hundredths_text(h: i64) -> String {
    let sign = if h < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:02}",
        h.unsigned_abs() / 100,
        h.unsigned_abs() % 100
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_core::Policy;

    fn terms() -> EvaluationTerms {
        let p = Policy::builtin().expect("policy");
        EvaluationTerms::at(&p, "2021-12-31".parse().expect("date")).expect("terms")
    }

    #[test]
    fn scores_follow_the_bands() {
        let t = terms();
        let b = t.bands[0]; // 30 points, full 0.95, zero 0.7
        assert_eq!(score(&b, Ratio::ONE), 3_000);
        assert_eq!(score(&b, "0.95".parse().expect("r")), 3_000);
        assert_eq!(score(&b, "0.7".parse().expect("r")), 0);
        assert_eq!(score(&b, "0.5".parse().expect("r")), 0);
        // (0.825 − 0.7) ÷ 0.25 × 30 = 15.00
        assert_eq!(score(&b, "0.825".parse().expect("r")), 1_500);
        assert_eq!(hundredths_text(1_505), "15.05");
    }

    fn figures() -> YearFigures {
        YearFigures {
            income_budget: Fen::from_yuan(1_000),
            income_final: Fen::from_yuan(1_100),
            expenditure_budget: Fen::from_yuan(800),
            expenditure_final: Fen::from_yuan(720),
            task: Fen::from_yuan(600),
            contributions: Fen::from_yuan(540),
            months_allocated: 12,
            months_on_time: 9,
        }
    }

    #[test]
    fn indicators_of_a_year() {
        let f = figures();
        let out = evaluate(&f, &terms());
        let v = |i: usize| out[i].value.map(|r| r.to_string());
        let s = |i: usize| out[i].score;
        // execution 720 ÷ 800 = 0.9, scored 0.9: (0.9 − 0.7) ÷ 0.25 × 30 = 24
        assert_eq!((v(0), s(0)), (Some("0.9".into()), Some(2_400)));
        // collection 0.9: (0.9 − 0.8) ÷ 0.2 × 30 = 15
        assert_eq!((v(1), s(1)), (Some("0.9".into()), Some(1_500)));
        // income accuracy 1 − 100 ÷ 1,000 = 0.9: 0.2 ÷ 0.25 × 10 = 8
        assert_eq!((v(2), s(2)), (Some("0.9".into()), Some(800)));
        assert_eq!((v(3), s(3)), (Some("0.9".into()), Some(800)));
        // timeliness 9 ÷ 12 = 0.75: 0.25 ÷ 0.5 × 20 = 10
        assert_eq!((v(4), s(4)), (Some("0.75".into()), Some(1_000)));
        assert_eq!(total(&out), (6_500, 100));
        assert!(
            out[0].formula.contains("1 − |执行率 − 1|"),
            "{}",
            out[0].formula
        );
        assert!(out[0].evidence.contains("720.00"), "{}", out[0].evidence);
        // over-spending scores like under-spending: 880 ÷ 800 = 1.1 → scored 0.9
        let over = YearFigures {
            expenditure_final: Fen::from_yuan(880),
            ..f.clone()
        };
        assert_eq!(evaluate(&over, &terms())[0].score, Some(2_400));
        // without a budget nothing is measured, and the total counts only what is
        let none = evaluate(&YearFigures::default(), &terms());
        assert!(none.iter().all(|i| i.score.is_none()));
        assert_eq!(total(&none), (0, 0));
    }

    fn cjk(s: &str) -> bool {
        s.chars()
            .any(|c| matches!(c, '\u{3000}'..='\u{303f}' | '\u{3400}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}'))
    }

    #[test]
    fn names_formulas_and_figures_in_the_current_language() {
        use tongchou_core::i18n::{Lang, scope};
        let f = figures();
        let zh = scope(Lang::ZhCn, || evaluate(&f, &terms()));
        assert_eq!(zh[1].name, "征缴任务完成率");
        assert!(zh[2].formula.contains("收入决算数"), "{}", zh[2].formula);
        assert!(zh[4].evidence.contains("按期 9 个"), "{}", zh[4].evidence);
        let en = scope(Lang::En, || evaluate(&f, &terms()));
        for i in &en {
            for text in [i.name, &i.formula, &i.evidence] {
                assert!(!cjk(text), "{}: {text}", i.key);
            }
        }
        assert_eq!(en[1].name, "collection task completion rate");
        assert!(en[2].formula.contains("income final"), "{}", en[2].formula);
        assert!(en[3].evidence.contains("720.00"), "{}", en[3].evidence);
        assert!(en[0].formula.contains("30 points"), "{}", en[0].formula);
    }
}

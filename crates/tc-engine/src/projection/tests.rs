use super::*;
use proptest::prelude::*;

fn p(y: i32, m: u8) -> Period {
    Period::new(y, m).expect("period")
}

/// Assumptions with every rate zero and no mortality.
fn still() -> ProjectionTerms {
    ProjectionTerms {
        scenario: "test".into(),
        name_zh: "测试".into(),
        wage_growth: Ratio::ZERO,
        coverage_growth: Ratio::ZERO,
        new_entrant_rate: Ratio::ZERO,
        entry_age: 25,
        compliance: Ratio::ONE,
        indexation: Ratio::ZERO,
        new_pension_ratio: Ratio::ZERO,
        interest_rate: Ratio::ZERO,
        mortality_male: [(0, 0)].into_iter().collect(),
        mortality_female: [(0, 0)].into_iter().collect(),
        uses: vec![],
    }
}

/// A stand-in for the retirement rules: 60 years for men, 55 for women.
fn retire_at(birth: Period, c: Category) -> Option<Period> {
    Some(birth.add_months(if c == Category::Male { 720 } else { 660 }))
}

fn start(insured: Vec<Insured>, pensioners: Vec<Pensioners>) -> Start {
    let contributors = insured.iter().map(|c| c.persons).sum::<i64>() / MILLI;
    Start {
        year: 2024,
        insured,
        pensioners,
        contributors,
        avg_base: Fen::new(500_000),
        rate: Ratio(24_000_000),
        balance: Fen::new(1_000_000_000),
    }
}

fn cohort(birth: Period, category: Category, persons: i64) -> Insured {
    Insured {
        birth,
        category,
        retire: retire_at(birth, category).expect("r"),
        persons: persons * MILLI,
    }
}

#[test]
fn without_growth_or_mortality_people_only_age_into_retirement() {
    let s = start(
        vec![
            cohort(p(1965, 7), Category::Male, 1000),
            cohort(p(1972, 3), Category::FemaleWorker, 500),
            cohort(p(1990, 1), Category::Male, 2000),
        ],
        vec![Pensioners {
            birth_year: 1950,
            female: false,
            persons: 300 * MILLI,
            monthly: Fen::new(300_000),
        }],
    );
    let years = project(&s, &still(), 30, &retire_at).expect("project");
    assert_eq!(years.len(), 30);
    for y in &years {
        assert_eq!(y.insured + y.pensioners, 3800, "{y:?}");
        assert_eq!(y.deaths, 0);
        assert_eq!(y.entrants, 0);
    }
    // the 1965 men retire in July 2025, the 1972 women in March 2027
    assert_eq!(years[0].year, 2025);
    assert_eq!(years[0].new_retirees, 1000);
    assert_eq!((years[0].insured, years[0].pensioners), (2500, 1300));
    assert_eq!(years[1].new_retirees, 0);
    assert_eq!(years[2].new_retirees, 500);
    assert_eq!((years[2].insured, years[2].pensioners), (2000, 1800));
    // 2025: 1000 men × 7 months + 2500 × 12 months at 5,000 yuan × 24 %
    let months = 1000 * 7 + 2500 * 12;
    assert_eq!(years[0].contributions, Fen::new(months * 120_000));
    // the old pensioners all year; the new ones at a pension of 0 (ratio 0)
    assert_eq!(years[0].expenditure, Fen::new(300 * 12 * 300_000));
    assert_eq!(
        years[0].months_payable,
        months_payable(years[0].closing, years[0].expenditure, 12)
    );
    // contributors per pensioner: 2,500 ÷ 1,300 = 1.92
    assert_eq!(years[0].dependency_ratio, Some(Ratio(192_000_000)));
}

#[test]
fn certain_death_empties_the_population_and_entrants_replace_it() {
    let mut t = still();
    t.mortality_male = [(0, 1_000_000)].into_iter().collect();
    t.mortality_female = [(0, 1_000_000)].into_iter().collect();
    let s = start(vec![cohort(p(1990, 1), Category::Male, 100)], vec![]);
    let y = project(&s, &t, 2, &retire_at).expect("project");
    assert_eq!((y[0].insured, y[0].deaths), (0, 100));
    t.new_entrant_rate = Ratio(50_000_000);
    let y = project(&s, &t, 1, &retire_at).expect("project");
    assert_eq!((y[0].insured, y[0].entrants), (50, 50));
}

#[test]
fn growth_indexation_and_interest_round_half_up_once_a_year() {
    let mut t = still();
    t.wage_growth = Ratio(5_000_000);
    t.indexation = Ratio(3_000_000);
    t.interest_rate = Ratio(2_500_000);
    t.compliance = Ratio(95_000_000);
    let s = start(
        vec![cohort(p(1990, 1), Category::Male, 3)],
        vec![Pensioners {
            birth_year: 1950,
            female: true,
            persons: MILLI,
            monthly: Fen::new(123_457),
        }],
    );
    let y = project(&s, &t, 1, &retire_at).expect("project");
    // base 5,000.00 × 1.05 = 5,250.00; × 24 % = 1,260.00; 36 months × 0.95 = 34.2
    assert_eq!(y[0].avg_base, Fen::new(525_000));
    assert_eq!(y[0].contributions, Fen::new(34_200 * 126_000 / 1000));
    // 1,234.57 × 1.03 = 1,271.6071 → 1,271.61 a month
    assert_eq!(y[0].expenditure, Fen::new(127_161 * 12));
    assert_eq!(y[0].interest, Fen::new(25_000_000));
}

fn arb_start() -> impl Strategy<Value = Start> {
    let cohorts =
        prop::collection::vec((1960i32..2004, 1u8..=12, 0usize..3, 0i64..5_000_000), 0..12);
    let pensioners = prop::collection::vec(
        (
            1930i32..1965,
            any::<bool>(),
            0i64..3_000_000,
            0i64..2_000_000,
        ),
        0..6,
    );
    (
        cohorts,
        pensioners,
        0i64..100_000_000_000,
        100_000i64..5_000_000,
    )
        .prop_map(|(cs, ps, balance, base)| {
            let cats = [
                Category::Male,
                Category::FemaleCadre,
                Category::FemaleWorker,
            ];
            let insured: Vec<Insured> = cs
                .into_iter()
                .map(|(y, m, c, n)| Insured {
                    birth: p(y, m),
                    category: cats[c],
                    retire: retire_at(p(y, m), cats[c]).expect("r"),
                    persons: n,
                })
                .collect();
            let contributors = insured.iter().map(|c| c.persons).sum::<i64>() / MILLI * 9 / 10;
            Start {
                year: 2024,
                insured,
                pensioners: ps
                    .into_iter()
                    .map(|(y, f, n, m)| Pensioners {
                        birth_year: y,
                        female: f,
                        persons: n,
                        monthly: Fen::new(m),
                    })
                    .collect(),
                contributors,
                avg_base: Fen::new(base),
                rate: Ratio(24_000_000),
                balance: Fen::new(balance),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every year: opening + income − expenditure = closing, and the next year opens with it.
    #[test]
    fn balance_identity_every_year(s in arb_start(), growth in 0i64..10_000_000, q in 0i64..50_000) {
        let mut t = still();
        t.wage_growth = Ratio(growth);
        t.indexation = Ratio(growth / 2);
        t.interest_rate = Ratio(growth / 3);
        t.coverage_growth = Ratio(1_000_000);
        t.new_entrant_rate = Ratio(2_000_000);
        t.compliance = Ratio(90_000_000);
        t.new_pension_ratio = Ratio(55_000_000);
        t.mortality_male = [(0, q), (60, q * 4)].into_iter().collect();
        t.mortality_female = [(0, q / 2)].into_iter().collect();
        let years = project(&s, &t, 30, &retire_at).expect("project");
        let mut opening = s.balance;
        for y in &years {
            prop_assert_eq!(y.opening, opening);
            prop_assert_eq!(y.income, y.contributions.try_add(y.interest).expect("sum"));
            prop_assert_eq!(y.opening.fen() + y.income.fen() - y.expenditure.fen(), y.closing.fen());
            prop_assert!(y.insured >= 0 && y.pensioners >= 0);
            opening = y.closing;
        }
    }
}

#[test]
fn errors_in_the_readers_language() {
    use tongchou_core::i18n::{Lang, scope};
    let e = |lang| scope(lang, || overflow("growth").to_string());
    assert_eq!(e(Lang::ZhCn), "增长：金额超出范围");
    assert_eq!(e(Lang::En), "growth: amount out of range");
}

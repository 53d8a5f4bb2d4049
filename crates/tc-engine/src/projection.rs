//! The fund's cohort projection (基金精算预测, in the style of the ILO's PENS and the World Bank's
//! PROST), pure: from the start year's aggregates ([`Start`]: the insured in service by birth
//! month and category with their statutory retirement month, the pensioners by birth year and sex
//! with their average pension, the contributors, the average contribution base, the contribution
//! rate assessed and the fund's balance) and one scenario's assumptions
//! ([`ProjectionTerms`]), year by year:
//!
//! 1. the average base grows by the wage growth, pensions in payment by the indexation;
//! 2. the insured contribute 12 months, or up to their statutory retirement month in the year of
//!    retirement (the month included), and then draw a pension of `new_pension_ratio` × the
//!    year's average base for the rest of the year; anyone past the month retires in January;
//! 3. contributions = insured-months × (contributors ÷ insured at the start) × compliance ×
//!    (average base × rate); expenditure = pensioner-months × pension; interest = the rate × a
//!    positive opening balance; closing = opening + contributions + interest − expenditure;
//! 4. at the year's end, deaths by the mortality of the age attained in the year, then new
//!    entrants (`new_entrant_rate` + `coverage_growth`) × the insured at the year's start, aged
//!    `entry_age`, in the categories' proportions at the start.
//!
//! Persons are counted in thousandths (`MILLI`) so that rates apply without losing people; money
//! is integer fen. Every division rounds half up at the step named in the code: the average
//! base and pensions once a year, the contributors' months and the contribution per month once a
//! year, each year's contributions, expenditure and interest once. Months payable is THE
//! definition, [`crate::warning::months_payable`], over the year's expenditure (12 months).

use crate::warning::{months_payable, ratio_of};
use std::collections::BTreeMap;
use tongchou_core::money::div_round_half_up;
use tongchou_core::ratio::RATIO_SCALE;
use tongchou_core::rules::projection::ProjectionTerms;
use tongchou_core::rules::retirement::Category;
use tongchou_core::{Fen, Period, Ratio};

/// Persons are held in thousandths.
pub const MILLI: i64 = 1000;

/// A cohort of insured persons in service: born in `birth`, of `category`, retiring in `retire`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insured {
    pub birth: Period,
    pub category: Category,
    pub retire: Period,
    /// Persons × [`MILLI`].
    pub persons: i64,
}

/// A cohort of pensioners: born in `birth_year`, drawing `monthly` each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pensioners {
    pub birth_year: i32,
    pub female: bool,
    /// Persons × [`MILLI`].
    pub persons: i64,
    pub monthly: Fen,
}

/// The start year's aggregates.
#[derive(Clone, Debug)]
pub struct Start {
    /// The year whose end the projection starts from (the first projected year is the next).
    pub year: i32,
    pub insured: Vec<Insured>,
    pub pensioners: Vec<Pensioners>,
    /// Contributors assessed in the start year's last assessed month, and their average base.
    pub contributors: i64,
    pub avg_base: Fen,
    /// Contributions assessed ÷ bases of that month (pooling + account).
    pub rate: Ratio,
    /// The fund's accumulated balance at the start year's end.
    pub balance: Fen,
}

/// One projected year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Year {
    pub year: i32,
    pub opening: Fen,
    pub contributions: Fen,
    pub interest: Fen,
    /// contributions + interest.
    pub income: Fen,
    pub expenditure: Fen,
    pub closing: Fen,
    /// Tenths of a month, THE definition; `None` without expenditure.
    pub months_payable: Option<i64>,
    /// Whole persons at the year's end (rounded half up).
    pub insured: i64,
    pub contributors: i64,
    pub pensioners: i64,
    pub new_retirees: i64,
    pub deaths: i64,
    pub entrants: i64,
    /// Contributors per pensioner at the year's end, to 0.01.
    pub dependency_ratio: Option<Ratio>,
    pub avg_base: Fen,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectionError(pub String);

impl std::fmt::Display for ProjectionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProjectionError {}

/// An amount out of range while computing `what` (one of the kernel's fixed names), in the
/// reader's language.
fn overflow(what: &str) -> ProjectionError {
    use tongchou_core::i18n::word;
    let what = match what {
        "growth" => word("eng-proj-growth"),
        "new pension" => word("eng-proj-new-pension"),
        "contribution" => word("eng-proj-contribution"),
        "contributions" => word("eng-proj-contributions"),
        "expenditure" => word("eng-proj-expenditure"),
        "interest" => word("eng-proj-interest"),
        "income" => word("eng-proj-income"),
        "balance" => word("eng-proj-balance"),
        other => other,
    };
    ProjectionError(tongchou_core::tr!("eng-proj-overflow", what = what))
}

fn fen(v: i128, what: &str) -> Result<Fen, ProjectionError> {
    i64::try_from(v).map(Fen::new).map_err(|_| overflow(what))
}

/// `v × (1 + r)`, half up.
fn grow(v: Fen, r: Ratio) -> Result<Fen, ProjectionError> {
    fen(
        div_round_half_up(
            v.fen() as i128 * (RATIO_SCALE + r.0) as i128,
            RATIO_SCALE as i128,
        ),
        "growth",
    )
}

fn times(v: i128, r: Ratio) -> i128 {
    div_round_half_up(v * r.0 as i128, RATIO_SCALE as i128)
}

fn whole(milli: i64) -> i64 {
    div_round_half_up(milli as i128, MILLI as i128) as i64
}

fn female(c: Category) -> bool {
    c != Category::Male
}

/// The retirement month of a person born in `birth` of `category`, as the retirement rules
/// compute it (passed in: the kernel reads no policy itself).
pub type RetireFn<'a> = dyn Fn(Period, Category) -> Option<Period> + 'a;

/// The state carried from year to year.
struct State {
    insured: Vec<Insured>,
    pensioners: Vec<Pensioners>,
    avg_base: Fen,
    balance: Fen,
}

/// Project `years` years after `start.year` under `terms`.
pub fn project(
    start: &Start,
    terms: &ProjectionTerms,
    years: u32,
    retire: &RetireFn<'_>,
) -> Result<Vec<Year>, ProjectionError> {
    let insured0: i64 = start.insured.iter().map(|c| c.persons).sum();
    // contributors per insured person, to 10^-8
    let contributing = if insured0 > 0 {
        Ratio(
            div_round_half_up(
                start.contributors as i128 * MILLI as i128 * RATIO_SCALE as i128,
                insured0 as i128,
            )
            .min(RATIO_SCALE as i128) as i64,
        )
    } else {
        Ratio::ZERO
    };
    let mut mix: BTreeMap<Category, i64> = BTreeMap::new();
    for c in &start.insured {
        *mix.entry(c.category).or_default() += c.persons;
    }
    let mut s = State {
        insured: start.insured.clone(),
        pensioners: start.pensioners.clone(),
        avg_base: start.avg_base,
        balance: start.balance,
    };
    let mut out = Vec::with_capacity(years as usize);
    for year in (start.year + 1)..=(start.year + years as i32) {
        out.push(one_year(
            &mut s,
            year,
            start.rate,
            contributing,
            &mix,
            terms,
            retire,
        )?);
    }
    Ok(out)
}

/// The money of one year: contributions, retirements and expenditure; the state's insured lose
/// the year's retirees, its pensioners gain them.
fn one_year(
    s: &mut State,
    year: i32,
    rate: Ratio,
    contributing: Ratio,
    mix: &BTreeMap<Category, i64>,
    terms: &ProjectionTerms,
    retire: &RetireFn<'_>,
) -> Result<Year, ProjectionError> {
    s.avg_base = grow(s.avg_base, terms.wage_growth)?;
    for p in &mut s.pensioners {
        p.monthly = grow(p.monthly, terms.indexation)?;
    }
    let insured_start: i64 = s.insured.iter().map(|c| c.persons).sum();
    let new_pension = terms
        .new_pension_ratio
        .try_of(s.avg_base)
        .map_err(|_| overflow("new pension"))?;
    // pensioner-months × pension, in thousandths of a fen
    let mut spent: i128 = s
        .pensioners
        .iter()
        .map(|p| p.persons as i128 * 12 * p.monthly.fen() as i128)
        .sum();
    let (insured_months, retiring_spent, retirees) = retire_cohorts(s, year, new_pension);
    spent += retiring_spent;
    // contributor-months in thousandths, then the contribution of a month, then the year's
    let contributor_months = times(times(insured_months, contributing), terms.compliance);
    let per_month = rate
        .try_of(s.avg_base)
        .map_err(|_| overflow("contribution"))?;
    let contributions = fen(
        div_round_half_up(contributor_months * per_month.fen() as i128, MILLI as i128),
        "contributions",
    )?;
    let expenditure = fen(div_round_half_up(spent, MILLI as i128), "expenditure")?;
    let interest = if s.balance.is_positive() {
        terms
            .interest_rate
            .try_of(s.balance)
            .map_err(|_| overflow("interest"))?
    } else {
        Fen::ZERO
    };
    let opening = s.balance;
    let income = contributions
        .try_add(interest)
        .map_err(|_| overflow("income"))?;
    let closing = opening
        .try_add(income)
        .and_then(|v| v.try_sub(expenditure))
        .map_err(|_| overflow("balance"))?;
    s.balance = closing;
    let deaths = die(s, year, terms);
    let entrants = enter(s, year, insured_start, mix, terms, retire)?;
    let insured: i64 = s.insured.iter().map(|c| c.persons).sum();
    let pensioners: i64 = s.pensioners.iter().map(|p| p.persons).sum();
    let contributors = times(insured as i128, contributing) as i64;
    Ok(Year {
        year,
        opening,
        contributions,
        interest,
        income,
        expenditure,
        closing,
        months_payable: months_payable(closing, expenditure, 12),
        insured: whole(insured),
        contributors: whole(contributors),
        pensioners: whole(pensioners),
        new_retirees: whole(retirees),
        deaths: whole(deaths),
        entrants: whole(entrants),
        dependency_ratio: ratio_of(contributors as i128, pensioners as i128, 2),
        avg_base: s.avg_base,
    })
}

/// The insured's months of `year` (thousandths of person-months), the year's pensions of those
/// who retire in it (thousandths of fen) and how many retire (thousandths): they leave the
/// insured for the pensioners at `new_pension`.
fn retire_cohorts(s: &mut State, year: i32, new_pension: Fen) -> (i128, i128, i64) {
    let mut insured_months: i128 = 0;
    let mut spent: i128 = 0;
    let mut retirees = 0i64;
    let mut staying = Vec::with_capacity(s.insured.len());
    for c in s.insured.drain(..) {
        let months = if c.retire.year() < year {
            0
        } else if c.retire.year() == year {
            c.retire.month() as i128
        } else {
            12
        };
        insured_months += c.persons as i128 * months;
        if c.retire.year() <= year {
            spent += c.persons as i128 * (12 - months) * new_pension.fen() as i128;
            retirees += c.persons;
            s.pensioners.push(Pensioners {
                birth_year: c.birth.year(),
                female: female(c.category),
                persons: c.persons,
                monthly: new_pension,
            });
        } else {
            staying.push(c);
        }
    }
    s.insured = staying;
    (insured_months, spent, retirees)
}

/// Deaths at the year's end by the mortality of the age attained in `year`; returns the deaths
/// (thousandths). Emptied cohorts are dropped.
fn die(s: &mut State, year: i32, terms: &ProjectionTerms) -> i64 {
    let mut deaths = 0i64;
    let mut dead = |persons: &mut i64, female: bool, age: i32| {
        let q = terms.mortality(female, age as i64);
        let d = div_round_half_up(*persons as i128 * q as i128, 1_000_000) as i64;
        *persons -= d;
        deaths += d;
    };
    for c in &mut s.insured {
        dead(&mut c.persons, female(c.category), year - c.birth.year());
    }
    for p in &mut s.pensioners {
        dead(&mut p.persons, p.female, year - p.birth_year);
    }
    s.insured.retain(|c| c.persons > 0);
    s.pensioners.retain(|p| p.persons > 0);
    deaths
}

/// New entrants at the year's end: aged `entry_age` in the next year, born in July, split over
/// the categories by the start's proportions (largest remainder); returns them (thousandths).
fn enter(
    s: &mut State,
    year: i32,
    insured_start: i64,
    mix: &BTreeMap<Category, i64>,
    terms: &ProjectionTerms,
    retire: &RetireFn<'_>,
) -> Result<i64, ProjectionError> {
    let share = Ratio(terms.new_entrant_rate.0 + terms.coverage_growth.0);
    let total = times(insured_start as i128, share) as i64;
    if total <= 0 || mix.is_empty() {
        return Ok(0);
    }
    let birth = Period::new(year + 1 - terms.entry_age, 7)
        .map_err(|e| ProjectionError(tongchou_core::tr!("eng-proj-entrants-birth", error = e)))?;
    let weights: Vec<u64> = mix.values().map(|v| (*v).max(0) as u64).collect();
    // the largest-remainder rule of the money splits, on thousandths of persons
    let parts = Fen::new(total).split_by_weights(&weights);
    for (category, part) in mix.keys().zip(parts) {
        if part.fen() > 0 {
            let r = retire(birth, *category).ok_or_else(|| {
                ProjectionError(tongchou_core::tr!(
                    "eng-proj-no-retirement",
                    birth = birth,
                    category = category.as_str()
                ))
            })?;
            s.insured.push(Insured {
                birth,
                category: *category,
                retire: r,
                persons: part.fen(),
            });
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests;

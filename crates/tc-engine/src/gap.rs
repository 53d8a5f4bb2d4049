//! Gap sharing (缺口分担, 晋政发〔2019〕4号 二(三), mechanisms.md §2): a year's provincial gap
//! attributed to each county by cause, and each county's gap shared among the province, its city
//! and itself by the dated rules of `policy/gap-sharing.toml`.
//!
//! - G = max(0, Σ expenditure − Σ income) over every book of the province (the gap-sharing money
//!   itself left out of income).
//! - Collection shortfall S_c = max(0, task − contribution income) and non-compliant expenditure
//!   V_c are the county's own; when Σ S + Σ V exceeds G they are cut down to G in proportion.
//! - The policy gap P = G − Σ S − Σ V is allocated to the counties by the notice's factors
//!   (structural deficit, dependency, employment, economic development) with their weights; a
//!   county's part is then shared province / city / county.
//!
//! Every split is [`Fen::split_by_weights`]: the largest-remainder method, a remainder fen going
//! to the larger remainder and, on a tie, to the earlier item (counties in code order; the levels
//! in the order province, city, county). So every county's shares add up exactly to its gap, by
//! cause and by level, and the counties' gaps add up exactly to G.

use serde::Serialize;
use tongchou_core::i18n::word;
use tongchou_core::rules::governance::GapTerms;
use tongchou_core::{Divisions, Fen, Level, Ratio, RegionCode, stored};

/// A cause of the gap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    CollectionShortfall,
    Noncompliant,
    Policy,
}

impl Cause {
    pub const ALL: [Cause; 3] = [
        Cause::CollectionShortfall,
        Cause::Noncompliant,
        Cause::Policy,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::CollectionShortfall => "collection_shortfall",
            Cause::Noncompliant => "noncompliant",
            Cause::Policy => "policy",
        }
    }
    pub fn parse(s: &str) -> Option<Cause> {
        Cause::ALL.into_iter().find(|c| c.as_str() == s)
    }
    /// The cause's name in the current language.
    pub fn name(self) -> &'static str {
        word(self.name_id())
    }
    fn name_id(self) -> &'static str {
        match self {
            Cause::CollectionShortfall => "eng-gap-cause-shortfall",
            Cause::Noncompliant => "eng-gap-cause-noncompliant",
            Cause::Policy => "eng-gap-cause-policy",
        }
    }
}

/// One county's figures of the year.
#[derive(Clone, Debug)]
pub struct CountyYear {
    pub county: RegionCode,
    /// Own expenditure and own income of the year (gap-sharing money and flows between levels
    /// left out).
    pub expenditure: Fen,
    pub income: Fen,
    /// The collection task and the contribution income of the year.
    pub task: Fen,
    pub contributions: Fen,
    /// Benefits flagged non-compliant and not recovered.
    pub noncompliant: Fen,
    /// Factor values: pensioners and contributors (December), the year's contribution base.
    pub pensioners: i64,
    pub contributors: i64,
    pub base_total: Fen,
}

/// The year's inputs: every county, and the books above them (provincial and city books'
/// own expenditure and income count in G).
#[derive(Clone, Debug)]
pub struct Inputs {
    pub counties: Vec<CountyYear>,
    pub other_expenditure: Fen,
    pub other_income: Fen,
}

/// One share of a county's gap: which level's government bears how much, for which cause.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Share {
    pub level: Level,
    pub region: RegionCode,
    pub cause: Cause,
    pub amount: Fen,
    /// Why: a message kept by id and arguments ([`tongchou_core::i18n::stored`]), shown in the
    /// reader's language by [`tongchou_core::i18n::shown`].
    pub explanation: String,
}

/// One county's gap by cause, and its shares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountyGap {
    pub county: RegionCode,
    pub gap: Fen,
    /// In the order of [`Cause::ALL`].
    pub causes: [Fen; 3],
    pub shares: Vec<Share>,
}

/// The year's result: the provincial gap and every county's part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub expenditure: Fen,
    pub income: Fen,
    pub gap: Fen,
    pub shortfall: Fen,
    pub noncompliant: Fen,
    pub policy: Fen,
    pub counties: Vec<CountyGap>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GapError(pub String);
impl std::fmt::Display for GapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl std::error::Error for GapError {}

fn out_of_range() -> GapError {
    GapError(tongchou_core::tr!("engine-err-out-of-range"))
}

fn sum(it: impl IntoIterator<Item = Fen>) -> Result<Fen, GapError> {
    Fen::try_sum(it).map_err(|_| out_of_range())
}

fn weight(f: Fen) -> u64 {
    f.fen().max(0) as u64
}

fn ratio_weight(r: Ratio) -> u64 {
    r.0.max(0) as u64
}

/// The policy gap's allocation key of each county for each factor (in the order of
/// `FactorWeights::as_array`).
fn factor_values(c: &CountyYear) -> [u64; 4] {
    let deficit = c.expenditure.fen().saturating_sub(c.income.fen()).max(0) as u64;
    let dependency = if c.contributors > 0 {
        (c.pensioners.max(0) as u64).saturating_mul(1000) / c.contributors as u64
    } else {
        0
    };
    [
        deficit,
        dependency,
        c.contributors.max(0) as u64,
        weight(c.base_total),
    ]
}

/// The policy gap `p` allocated to the counties by the factors' weights.
fn allocate_policy(p: Fen, counties: &[CountyYear], terms: &GapTerms) -> Vec<Fen> {
    let n = counties.len();
    let mut out = vec![Fen::ZERO; n];
    if n == 0 || p.is_zero() {
        return out;
    }
    let values: Vec<[u64; 4]> = counties.iter().map(factor_values).collect();
    let pots = p.split_by_weights(&terms.factors.as_array());
    for (f, pot) in pots.into_iter().enumerate() {
        let mut keys: Vec<u64> = values.iter().map(|v| v[f]).collect();
        if keys.iter().all(|&k| k == 0) {
            // mechanisms.md §2: with every key zero, in proportion to expenditure
            keys = counties.iter().map(|c| weight(c.expenditure)).collect();
        }
        for (o, part) in out.iter_mut().zip(pot.split_by_weights(&keys)) {
            *o = o.checked_add(part).unwrap_or(*o);
        }
    }
    out
}

fn share(level: Level, region: RegionCode, cause: Cause, amount: Fen, why: String) -> Share {
    Share {
        level,
        region,
        cause,
        amount,
        explanation: why,
    }
}

/// max(0, task − contributions).
fn raw_shortfall(c: &CountyYear) -> Fen {
    c.task
        .checked_sub(c.contributions)
        .unwrap_or(Fen::ZERO)
        .max(Fen::ZERO)
}

/// A county's shares of its three causes.
fn county_shares(
    d: &Divisions,
    c: &CountyYear,
    causes: [Fen; 3],
    terms: &GapTerms,
) -> Result<Vec<Share>, GapError> {
    let province = d.province().code;
    let city = d
        .city_of(c.county)
        .ok_or_else(|| GapError(tongchou_core::tr!("engine-err-no-city", county = c.county)))?;
    let rest = |r: Ratio| Ratio(Ratio::ONE.0 - r.0);
    let mut out = Vec::new();
    let [s, v, p] = causes;
    let local = |amount: Fen, county_part: Ratio, cause: Cause, basis: String| {
        let parts =
            amount.split_by_weights(&[ratio_weight(rest(county_part)), ratio_weight(county_part)]);
        [
            share(
                Level::City,
                city,
                cause,
                parts[0],
                borne(&basis, Level::City, rest(county_part)),
            ),
            share(
                Level::County,
                c.county,
                cause,
                parts[1],
                borne(&basis, Level::County, county_part),
            ),
        ]
    };
    out.extend(local(
        s,
        terms.shortfall_county,
        Cause::CollectionShortfall,
        stored!(
            if s == raw_shortfall(c) {
                "eng-gap-basis-shortfall"
            } else {
                "eng-gap-basis-shortfall-cut"
            },
            amount = s,
            task = c.task,
            contributions = c.contributions,
            raw = raw_shortfall(c)
        ),
    ));
    out.extend(local(
        v,
        terms.noncompliant_county,
        Cause::Noncompliant,
        stored!(
            "eng-gap-basis-noncompliant",
            amount = v,
            unrecovered = c.noncompliant
        ),
    ));
    let weights = [
        ratio_weight(terms.policy_province),
        ratio_weight(terms.policy_city),
        ratio_weight(terms.policy_county),
    ];
    let parts = p.split_by_weights(&weights);
    let basis = stored!("eng-gap-basis-policy", amount = p);
    for (i, (level, region, r)) in [
        (Level::Province, province, terms.policy_province),
        (Level::City, city, terms.policy_city),
        (Level::County, c.county, terms.policy_county),
    ]
    .into_iter()
    .enumerate()
    {
        out.push(share(
            level,
            region,
            Cause::Policy,
            parts[i],
            borne(&basis, level, r),
        ));
    }
    Ok(out)
}

/// A share's explanation, kept as a message ([`tongchou_core::i18n::stored`]) that
/// [`tongchou_core::i18n::shown`] renders in the reader's language: the cause's basis and the
/// part `level` bears.
fn borne(basis: &str, level: Level, part: Ratio) -> String {
    let level = stored!(match level {
        Level::Province => "eng-gap-level-province",
        Level::City => "eng-gap-level-city",
        Level::County => "eng-gap-level-county",
    });
    stored!(
        "eng-gap-borne",
        basis = basis,
        level = level,
        percent = part.as_percent_string()
    )
}

/// The year's gap and its sharing. Counties are taken in code order.
pub fn compute(d: &Divisions, inputs: &Inputs, terms: &GapTerms) -> Result<Outcome, GapError> {
    let mut counties = inputs.counties.clone();
    counties.sort_by_key(|c| c.county);
    let expenditure = sum(counties
        .iter()
        .map(|c| c.expenditure)
        .chain([inputs.other_expenditure]))?;
    let income = sum(counties
        .iter()
        .map(|c| c.income)
        .chain([inputs.other_income]))?;
    let gap = expenditure
        .checked_sub(income)
        .map(|g| g.max(Fen::ZERO))
        .ok_or_else(out_of_range)?;
    let raw_s: Vec<Fen> = counties.iter().map(raw_shortfall).collect();
    let raw_v: Vec<Fen> = counties
        .iter()
        .map(|c| c.noncompliant.max(Fen::ZERO))
        .collect();
    let local = sum(raw_s.iter().chain(raw_v.iter()).copied())?;
    let n = counties.len();
    let (s, v, p) = if local > gap {
        // cut down to G in proportion
        let w: Vec<u64> = raw_s
            .iter()
            .chain(raw_v.iter())
            .map(|f| weight(*f))
            .collect();
        let cut = gap.split_by_weights(&w);
        (cut[..n].to_vec(), cut[n..].to_vec(), Fen::ZERO)
    } else {
        let p = gap.checked_sub(local).ok_or_else(out_of_range)?;
        (raw_s, raw_v, p)
    };
    let policy = allocate_policy(p, &counties, terms);
    let mut out = Vec::with_capacity(n);
    for (i, c) in counties.iter().enumerate() {
        let causes = [s[i], v[i], policy[i]];
        let shares = county_shares(d, c, causes, terms)?;
        out.push(CountyGap {
            county: c.county,
            gap: sum(causes)?,
            causes,
            shares,
        });
    }
    Ok(Outcome {
        expenditure,
        income,
        gap,
        shortfall: sum(s.iter().copied())?,
        noncompliant: sum(v.iter().copied())?,
        policy: p,
        counties: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tongchou_core::Policy;

    fn terms() -> GapTerms {
        let p = Policy::builtin().expect("policy");
        GapTerms::at(&p, "2024-12-31".parse().expect("date")).expect("terms")
    }

    fn county(code: u32, spent: i64, income: i64, task: i64, paid: i64, bad: i64) -> CountyYear {
        CountyYear {
            county: RegionCode::new(code).expect("code"),
            expenditure: Fen::new(spent),
            income: Fen::new(income),
            task: Fen::new(task),
            contributions: Fen::new(paid),
            noncompliant: Fen::new(bad),
            pensioners: 10,
            contributors: 30,
            base_total: Fen::new(1_000),
        }
    }

    #[test]
    fn the_mechanisms_example() {
        // G = 1,000 − 600 = 400; S = 50 (140105), V = 10 (140106); P = 340 by deficit 300 : 100
        let inputs = Inputs {
            counties: vec![
                county(140105, 500, 200, 250, 200, 0),
                county(140106, 500, 400, 0, 0, 10),
            ],
            other_expenditure: Fen::ZERO,
            other_income: Fen::ZERO,
        };
        let o = compute(Divisions::shanxi(), &inputs, &terms()).expect("gap");
        assert_eq!(o.gap, Fen::new(400));
        assert_eq!(o.policy, Fen::new(340));
        let a = &o.counties[0];
        assert_eq!(a.causes, [Fen::new(50), Fen::ZERO, Fen::new(255)]);
        assert_eq!(a.gap, Fen::new(305));
        let b = &o.counties[1];
        assert_eq!(b.causes, [Fen::ZERO, Fen::new(10), Fen::new(85)]);
        // the policy part of 140105: 255 → province 127.5, city and county 63.75 each: the two
        // fen left go to the larger remainders (city, county)
        let policy: Vec<i64> = a
            .shares
            .iter()
            .filter(|s| s.cause == Cause::Policy)
            .map(|s| s.amount.fen())
            .collect();
        assert_eq!(policy, [127, 64, 64]);
        let shortfall = a
            .shares
            .iter()
            .find(|s| s.cause == Cause::CollectionShortfall && s.level == Level::County)
            .expect("county share");
        assert_eq!(shortfall.amount, Fen::new(50));
        use tongchou_core::i18n::{Lang, shown_in};
        let zh = shown_in(Lang::ZhCn, &shortfall.explanation);
        assert!(
            zh.starts_with("征缴不力 0.50 元（max(0, 征缴任务 ") && zh.contains("；县级承担 "),
            "{zh}"
        );
        let en = shown_in(Lang::En, &shortfall.explanation);
        assert!(
            en.starts_with("collection shortfall 0.50 yuan (max(0, collection task ")
                && en.contains("; the county level bears "),
            "{en}"
        );
        assert_eq!(Cause::Policy.name(), "政策性缺口");
        let policy = a
            .shares
            .iter()
            .find(|s| s.cause == Cause::Policy && s.level == Level::Province)
            .expect("province share");
        assert!(
            shown_in(Lang::En, &policy.explanation).contains("; the provincial level bears 50"),
            "{}",
            policy.explanation
        );
    }

    #[test]
    fn local_causes_are_cut_to_the_gap() {
        let inputs = Inputs {
            counties: vec![
                county(140105, 100, 70, 300, 100, 0), // S 200
                county(140106, 100, 100, 0, 0, 100),  // V 100
            ],
            other_expenditure: Fen::ZERO,
            other_income: Fen::ZERO,
        };
        let o = compute(Divisions::shanxi(), &inputs, &terms()).expect("gap");
        assert_eq!(o.gap, Fen::new(30));
        assert_eq!(o.counties[0].causes, [Fen::new(20), Fen::ZERO, Fen::ZERO]);
        assert_eq!(o.counties[1].causes, [Fen::ZERO, Fen::new(10), Fen::ZERO]);
    }

    #[test]
    fn no_gap_no_shares() {
        let inputs = Inputs {
            counties: vec![county(140105, 100, 100, 300, 100, 50)],
            other_expenditure: Fen::ZERO,
            other_income: Fen::new(1),
        };
        let o = compute(Divisions::shanxi(), &inputs, &terms()).expect("gap");
        assert_eq!(o.gap, Fen::ZERO);
        assert!(o.counties[0].shares.iter().all(|s| s.amount.is_zero()));
    }

    proptest! {
        #[test]
        fn shares_add_up_exactly(
            rows in proptest::collection::vec((0i64..10_000_000, 0i64..10_000_000, 0i64..1_000_000, 0i64..1_000_000, 0i64..100_000, 0i64..500, 0i64..500), 1..12),
            other in 0i64..5_000_000,
        ) {
            let d = Divisions::shanxi();
            let codes: Vec<RegionCode> = d.counties().map(|c| c.code).take(rows.len()).collect();
            let counties: Vec<CountyYear> = rows.iter().zip(&codes).map(|(r, code)| CountyYear {
                county: *code,
                expenditure: Fen::new(r.0),
                income: Fen::new(r.1),
                task: Fen::new(r.2),
                contributions: Fen::new(r.3),
                noncompliant: Fen::new(r.4),
                pensioners: r.5,
                contributors: r.6,
                base_total: Fen::new(r.2),
            }).collect();
            let inputs = Inputs { counties, other_expenditure: Fen::new(other), other_income: Fen::ZERO };
            let o = compute(d, &inputs, &terms()).expect("gap");
            let total: i64 = o.counties.iter().map(|c| c.gap.fen()).sum();
            prop_assert_eq!(total, o.gap.fen());
            for c in &o.counties {
                prop_assert_eq!(c.causes.iter().map(|f| f.fen()).sum::<i64>(), c.gap.fen());
                for (i, cause) in Cause::ALL.iter().enumerate() {
                    let by: i64 = c.shares.iter().filter(|s| s.cause == *cause).map(|s| s.amount.fen()).sum();
                    prop_assert_eq!(by, c.causes[i].fen());
                }
                prop_assert!(c.shares.iter().all(|s| !s.amount.is_negative()));
                for s in &c.shares {
                    let region_level = d.get(s.region).map(|r| r.level);
                    prop_assert_eq!(region_level, Some(s.level));
                }
            }
        }
    }
}

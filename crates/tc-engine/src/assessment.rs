//! Target assessment (考核, 晋政发〔2019〕4号 二(四), mechanisms.md §3): the six indicators of
//! every county and city, as exact ratios of counts or amounts each capped at 1, their weighted
//! score out of 100, the ranking of the cities and of the counties, and the reward and
//! accountability lists.
//!
//! A city's indicators are its counties' numerators over their denominators (not an average of
//! their ratios). An indicator with nothing to measure (a zero denominator) scores in full.

use serde::Serialize;
use std::collections::BTreeMap;
use tongchou_core::rules::governance::{AssessmentTerms, INDICATORS};
use tongchou_core::{Divisions, Fen, Level, Ratio, RegionCode};

/// One indicator's measure: `num ÷ den`, capped at 1 (a full score when `den` is 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Measure {
    pub num: i64,
    pub den: i64,
}

impl Measure {
    pub fn new(num: i64, den: i64) -> Measure {
        Measure { num, den }
    }
    /// The value to 0.0001, in [0, 1].
    pub fn value(self) -> Ratio {
        if self.den <= 0 {
            return Ratio::ONE;
        }
        let num = self.num.clamp(0, self.den) as i128;
        let q = tongchou_core::money::div_round_half_up(num * 10_000, self.den as i128);
        Ratio(q as i64 * 10_000)
    }
    fn add(&mut self, o: Measure) {
        self.num = self.num.saturating_add(o.num);
        self.den = self.den.saturating_add(o.den);
    }
}

/// One county's measures of the year, in the order of [`INDICATORS`], and its unrecovered
/// improper payments.
#[derive(Clone, Debug)]
pub struct CountyMeasures {
    pub county: RegionCode,
    pub measures: [Measure; 6],
    pub improper: Fen,
}

/// One region's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scored {
    pub region: RegionCode,
    pub level: Level,
    pub measures: [Measure; 6],
    pub values: [Ratio; 6],
    /// Σ weight × value, in hundredths of a point (0..=10,000).
    pub score: i64,
    /// 1 = best, among the regions of its level.
    pub rank: usize,
    pub improper: Fen,
    pub reward: bool,
    pub accountable: bool,
    /// Why accountable: bottom of the ranking, improper payments above the threshold.
    pub reasons: Vec<String>,
}

/// The score in hundredths: Σ weight × value (values to 0.0001, weights summing to 100).
pub fn score(values: &[Ratio; 6], weights: &[i64; 6]) -> i64 {
    let s: i128 = values
        .iter()
        .zip(weights)
        .map(|(v, w)| v.0 as i128 * *w as i128)
        .sum();
    // value scaled 1e8 × weight (points) → hundredths of a point: ÷ 1e6
    tongchou_core::money::div_round_half_up(s, 1_000_000) as i64
}

fn scored(
    region: RegionCode,
    level: Level,
    m: [Measure; 6],
    improper: Fen,
    t: &AssessmentTerms,
) -> Scored {
    let values = m.map(Measure::value);
    Scored {
        region,
        level,
        measures: m,
        values,
        score: score(&values, &t.weights),
        rank: 0,
        improper,
        reward: false,
        accountable: false,
        reasons: Vec::new(),
    }
}

fn rank(list: &mut [Scored], t: &AssessmentTerms) {
    list.sort_by(|a, b| b.score.cmp(&a.score).then(a.region.cmp(&b.region)));
    let n = list.len();
    for (i, s) in list.iter_mut().enumerate() {
        s.rank = i + 1;
        s.reward = i < t.reward_top && s.improper <= t.improper_threshold;
        if i + t.accountability_bottom >= n {
            s.accountable = true;
            s.reasons
                .push(tongchou_core::tr!("eng-rank-last", rank = i + 1, n = n));
        }
        if s.improper > t.improper_threshold {
            s.accountable = true;
            s.reasons.push(tongchou_core::tr!(
                "eng-improper-over",
                amount = s.improper.grouped(),
                threshold = t.improper_threshold.grouped()
            ));
        }
    }
}

/// The year's cities and counties, each ranked among its level (best first).
pub fn assess(
    d: &Divisions,
    counties: &[CountyMeasures],
    t: &AssessmentTerms,
) -> (Vec<Scored>, Vec<Scored>) {
    let mut by_county: BTreeMap<RegionCode, ([Measure; 6], Fen)> = d
        .counties()
        .map(|c| (c.code, ([Measure::default(); 6], Fen::ZERO)))
        .collect();
    for c in counties {
        if let Some(e) = by_county.get_mut(&c.county) {
            for (m, x) in e.0.iter_mut().zip(c.measures) {
                m.add(x);
            }
            e.1 = e.1.checked_add(c.improper).unwrap_or(e.1);
        }
    }
    let mut by_city: BTreeMap<RegionCode, ([Measure; 6], Fen)> = d
        .cities()
        .map(|c| (c.code, ([Measure::default(); 6], Fen::ZERO)))
        .collect();
    for (code, (m, improper)) in &by_county {
        if let Some(e) = d.city_of(*code).and_then(|c| by_city.get_mut(&c)) {
            for (a, x) in e.0.iter_mut().zip(m) {
                a.add(*x);
            }
            e.1 = e.1.checked_add(*improper).unwrap_or(e.1);
        }
    }
    let mut cities: Vec<Scored> = by_city
        .into_iter()
        .map(|(c, (m, i))| scored(c, Level::City, m, i, t))
        .collect();
    let mut list: Vec<Scored> = by_county
        .into_iter()
        .map(|(c, (m, i))| scored(c, Level::County, m, i, t))
        .collect();
    rank(&mut cities, t);
    rank(&mut list, t);
    (cities, list)
}

/// The indicators' names, in order (for renderings).
pub fn names() -> [&'static str; 6] {
    INDICATORS
}

/// An indicator's name in the current language (`tongchou_core::i18n::current`); the key
/// itself when it is not one of [`names`].
pub fn indicator_name(key: &str) -> &str {
    use tongchou_core::i18n::word;
    match key {
        "policy_execution" => word("eng-ind-policy_execution"),
        "coverage" => word("eng-ind-coverage"),
        "collection" => word("eng-ind-collection"),
        "retirement_approval" => word("eng-ind-retirement_approval"),
        "payment" => word("eng-ind-payment"),
        "fund_security" => word("eng-ind-fund_security"),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_core::Policy;

    fn terms() -> AssessmentTerms {
        let p = Policy::builtin().expect("policy");
        AssessmentTerms::at(&p, "2024-12-31".parse().expect("d")).expect("terms")
    }

    fn code(c: u32) -> RegionCode {
        RegionCode::new(c).expect("code")
    }

    #[test]
    fn measures_cap_at_one_and_score_by_weight() {
        assert_eq!(Measure::new(3, 4).value().to_string(), "0.75");
        assert_eq!(Measure::new(5, 4).value(), Ratio::ONE);
        assert_eq!(Measure::new(-1, 4).value(), Ratio::ZERO);
        assert_eq!(Measure::new(0, 0).value(), Ratio::ONE);
        assert_eq!(Measure::new(1, 3).value().to_string(), "0.3333");
        let all = [Ratio::ONE; 6];
        assert_eq!(score(&all, &terms().weights), 10_000);
        // collection (weight 30) at 0.5, the rest full: 85.00
        let mut v = all;
        v[2] = Measure::new(1, 2).value();
        assert_eq!(score(&v, &terms().weights), 8_500);
    }

    #[test]
    fn cities_add_their_counties_and_lists_follow_the_rank() {
        let d = Divisions::shanxi();
        let full = [Measure::new(1, 1); 6];
        let mut weak = full;
        weak[2] = Measure::new(1, 4); // collection 25 %
        let counties = vec![
            CountyMeasures {
                county: code(140105),
                measures: weak,
                improper: Fen::ZERO,
            },
            CountyMeasures {
                county: code(140106),
                measures: full,
                improper: Fen::from_yuan(200_000), // above the threshold
            },
        ];
        let (cities, list) = assess(d, &counties, &terms());
        assert_eq!(list.len(), d.counties().count());
        assert_eq!(cities.len(), 11);
        let taiyuan = cities
            .iter()
            .find(|c| c.region == code(140100))
            .expect("city");
        // collection over both counties: (1 + 1) ÷ (4 + 1) = 0.4
        assert_eq!(taiyuan.values[2].to_string(), "0.4");
        assert_eq!(taiyuan.score, 10_000 - 30 * 60);
        let weak = list
            .iter()
            .find(|c| c.region == code(140105))
            .expect("weak");
        assert_eq!(weak.rank, list.len());
        assert!(weak.accountable && !weak.reward);
        let improper = list
            .iter()
            .find(|c| c.region == code(140106))
            .expect("improper");
        assert!(improper.accountable && !improper.reward, "{improper:?}");
        assert!(improper.reasons.iter().any(|r| r.contains("违规发放")));
        // ties rank by code: of the first three, 140106 is not rewarded (its improper payments)
        let rewarded: Vec<RegionCode> =
            list.iter().filter(|c| c.reward).map(|c| c.region).collect();
        assert_eq!(rewarded.len(), 2, "{rewarded:?}");
        assert_eq!(list[0].rank, 1);
    }
}

//! The rules of 国办发〔2009〕66号 (城镇企业职工基本养老保险关系转移接续暂行办法, in force
//! 2010-01-01; policy-reference.md §12a), each with its explanation and dated parameters
//! (`policy/transfer.toml`):
//!
//! - `transfer.pensioner` ([`may_transfer`]): people already drawing a pension do not transfer.
//! - `transfer.pooling` ([`pooling_of_year`]): the pooling money of a year since
//!   `transfer.pooling_since_year` is `transfer.pooling_share` (12 %) of its contribution base.
//! - `transfer.temporary_account` ([`temporary_account`]): a man aged
//!   `transfer.temporary_account_age_male` (50) or more, or a woman aged
//!   `transfer.temporary_account_age_female` (40) or more, insured in a place that is not their
//!   household registration, keeps the relationship where it was; the new place opens a temporary
//!   contribution account (临时基本养老保险缴费账户). Leaving it moves the money, not the
//!   relationship.
//! - `transfer.pension_place` ([`pension_place`]): the place of pension, decided at retirement
//!   approval: (1) the household registration place if the relationship is there; (2) else the
//!   relationship's place if the person contributed there `transfer.pension_place_min_years`
//!   (10) years or more in total; (3) else the last earlier place with that many years; (4) else
//!   the household registration place. In cases (3) and (4) the relationship and the money are
//!   collected to that place.

use super::{RuleError, input};
use crate::explain::Explanation;
use crate::ident::Sex;
use crate::money::Fen;
use crate::period::Date;
use crate::policy::Policy;
use crate::ratio::Ratio;
use serde::Serialize;

/// People drawing a pension do not transfer: refused with the rule's explanation.
pub fn may_transfer(drawing_pension: bool) -> Result<Explanation, RuleError> {
    let mut e = Explanation::new(
        "transfer.pensioner",
        "a person drawing a pension does not transfer (国办发〔2009〕66号)",
    );
    e.step("drawing_pension", drawing_pension);
    if drawing_pension {
        return Err(input("person", crate::tr!("rule-tr-pensioner")));
    }
    Ok(e)
}

/// The pooling money of one year: `transfer.pooling_share` of the year's base total (half up),
/// nothing before `transfer.pooling_since_year`; the parameters in force on `on`.
pub fn pooling_of_year(
    policy: &Policy,
    on: Date,
    year: i32,
    base_total: Fen,
) -> Result<(Fen, Explanation), RuleError> {
    let (share, u1) = policy.ratio("transfer.pooling_share", on)?;
    let (since, u2) = policy.int("transfer.pooling_since_year", on)?;
    let mut e = Explanation::new(
        "transfer.pooling",
        "pooling(year) = share × base_total(year) if year ≥ since, else 0 (half up to the fen)",
    );
    e.param(u1).param(u2);
    let v = pooling_with(share, since, year, base_total);
    e.step("year", year)
        .step("base_total", base_total)
        .step("pooling", v);
    Ok((v, e))
}

/// [`pooling_of_year`] with its parameters resolved (the hot path).
pub fn pooling_with(share: Ratio, since: i64, year: i32, base_total: Fen) -> Fen {
    if (year as i64) < since {
        return Fen::ZERO;
    }
    share.try_of(base_total).unwrap_or(Fen::ZERO)
}

/// Full years of age on `on` of someone born on `birth`.
pub fn age_on(birth: Date, on: Date) -> i64 {
    let mut years = (on.year() - birth.year()) as i64;
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// Whether someone of `sex` born on `birth`, insured from `on` in province `place` while their
/// household registration is in province `hukou`, gets a temporary contribution account there.
pub fn temporary_account(
    policy: &Policy,
    sex: Sex,
    birth: Date,
    on: Date,
    hukou: u32,
    place: u32,
) -> Result<(bool, Explanation), RuleError> {
    let (name, label) = match sex {
        Sex::Male => ("transfer.temporary_account_age_male", "male"),
        Sex::Female => ("transfer.temporary_account_age_female", "female"),
    };
    let (min_age, u) = policy.int(name, on)?;
    let mut e = Explanation::new(
        "transfer.temporary_account",
        "temporary = place ≠ household registration ∧ age ≥ min_age(sex); a temporary account's money moves, the relationship stays where it was",
    );
    e.param(u);
    let age = age_on(birth, on);
    let away = province_of(place) != province_of(hukou);
    let temporary = away && age >= min_age;
    e.step("sex", label)
        .step("age", age)
        .step("min_age", min_age)
        .step("household_registration", hukou)
        .step("place", place)
        .step("away_from_household_registration", away)
        .step("temporary_account", temporary);
    Ok((temporary, e))
}

/// The province (GB/T 2260, e.g. 140000) of a region code.
pub fn province_of(region: u32) -> u32 {
    region / 10_000 * 10_000
}

/// The months a person contributed in one place (a province), cumulative.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Place {
    pub province: u32,
    pub months: u32,
}

/// Why a place of pension was chosen (the four cases of 66号 art. 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PlaceCase {
    /// (1) the relationship is at the household registration place.
    HouseholdRegistration,
    /// (2) the relationship's place, with the years required there.
    Relationship,
    /// (3) the last earlier place with the years required: relationship and money collected.
    LastWithYears,
    /// (4) no place has the years: collected to the household registration place.
    CollectedToHouseholdRegistration,
}

impl PlaceCase {
    /// The case in the current language (the rule's item of 国办发〔2009〕66号 art. 6).
    pub fn name(self) -> &'static str {
        use crate::i18n::word;
        match self {
            PlaceCase::HouseholdRegistration => word("rule-place-household"),
            PlaceCase::Relationship => word("rule-place-relationship"),
            PlaceCase::LastWithYears => word("rule-place-last"),
            PlaceCase::CollectedToHouseholdRegistration => word("rule-place-collected"),
        }
    }
}

/// The place of pension decided on `on` (retirement approval).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PensionPlace {
    pub province: u32,
    pub case: PlaceCase,
    /// Whether the relationship and the money are collected to `province` from where they are.
    pub collected: bool,
    pub explanation: Explanation,
}

/// The place of pension of someone whose household registration is in `hukou`, whose
/// relationship is in `relationship`, having contributed in `places` (oldest last contribution
/// first, the relationship's place among them). See the module documentation.
pub fn pension_place(
    policy: &Policy,
    on: Date,
    hukou: u32,
    relationship: u32,
    places: &[Place],
) -> Result<PensionPlace, RuleError> {
    let (years, u) = policy.int("transfer.pension_place_min_years", on)?;
    let need = u32::try_from(years.max(0) * 12).map_err(|_| RuleError::Overflow("years"))?;
    let mut e = Explanation::new(
        "transfer.pension_place",
        "household registration if the relationship is there; else the relationship's place if months there ≥ 12 × min_years; else the last earlier place with ≥ 12 × min_years; else the household registration (relationship and money collected there)",
    );
    e.param(u);
    let (hukou, relationship) = (province_of(hukou), province_of(relationship));
    e.step("household_registration", hukou)
        .step("relationship", relationship);
    for p in places {
        let months = crate::stored!(
            "explain-value-months-in",
            place = p.province,
            months = p.months
        );
        e.step("months_in_place", months);
    }
    let months_in = |prov: u32| -> u32 {
        places
            .iter()
            .filter(|p| province_of(p.province) == prov)
            .map(|p| p.months)
            .sum()
    };
    let (province, case) = if relationship == hukou {
        (hukou, PlaceCase::HouseholdRegistration)
    } else if months_in(relationship) >= need {
        (relationship, PlaceCase::Relationship)
    } else if let Some(p) = places.iter().rev().find(|p| {
        province_of(p.province) != relationship && months_in(province_of(p.province)) >= need
    }) {
        (province_of(p.province), PlaceCase::LastWithYears)
    } else {
        (hukou, PlaceCase::CollectedToHouseholdRegistration)
    };
    let collected = province != relationship;
    e.step("case", format!("{case:?}"))
        .step("place_of_pension", province)
        .step("collected", collected);
    Ok(PensionPlace {
        province,
        case,
        collected,
        explanation: e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    fn policy() -> Policy {
        Policy::builtin().expect("policy")
    }

    #[test]
    fn a_pensioner_does_not_transfer() {
        use crate::i18n::{Lang, other_language, scope};
        let zh = may_transfer(true)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(zh.contains("不再转移"), "{zh}");
        let en = scope(Lang::En, || may_transfer(true).err().map(|e| e.to_string()));
        let en = en.unwrap_or_default();
        assert!(en.contains("do not transfer"), "{en}");
        assert_eq!(other_language(&zh, Lang::ZhCn), None, "{zh}");
        assert_eq!(other_language(&en, Lang::En), None, "{en}");
        let e = may_transfer(false).expect("may");
        assert_eq!(e.rule, "transfer.pensioner");
    }

    #[test]
    fn twelve_percent_of_each_year_since_1998() {
        let p = policy();
        let on = d("2020-03-15");
        let (v, e) = pooling_of_year(&p, on, 1998, Fen::new(1_000_001)).expect("pooling");
        assert_eq!(v, Fen::new(120_000));
        assert!(e.params.iter().any(|u| u.name == "transfer.pooling_share"));
        let (v, _) = pooling_of_year(&p, on, 1997, Fen::new(1_000_000)).expect("pooling");
        assert_eq!(v, Fen::ZERO);
    }

    #[test]
    fn the_temporary_account_from_50_for_men_and_40_for_women_away_from_home() {
        let p = policy();
        let on = d("2020-06-01");
        let t = |sex, birth: &str, hukou, place| {
            temporary_account(&p, sex, d(birth), on, hukou, place)
                .expect("rule")
                .0
        };
        // a man of 50 insured in Shanxi, registered in Beijing: temporary
        assert!(t(Sex::Male, "1970-06-01", 110000, 140105));
        // one day short of 50: a normal transfer
        assert!(!t(Sex::Male, "1970-06-02", 110000, 140105));
        // a woman of 40 away from home: temporary; at home: not
        assert!(t(Sex::Female, "1980-01-01", 110105, 140105));
        assert!(!t(Sex::Female, "1980-01-01", 140300, 140105));
        assert!(!t(Sex::Female, "1980-06-02", 110105, 140105));
        let (_, e) =
            temporary_account(&p, Sex::Female, d("1980-01-01"), on, 110105, 140105).expect("rule");
        assert!(
            e.params
                .iter()
                .any(|u| u.name == "transfer.temporary_account_age_female" && u.value == "40")
        );
    }

    #[test]
    fn the_place_of_pension_by_the_ten_year_rule() {
        let p = policy();
        let on = d("2025-06-01");
        let pl = |province, months| Place { province, months };
        let at = |hukou, rel, places: &[Place]| {
            let r = pension_place(&p, on, hukou, rel, places).expect("rule");
            (r.province, r.case, r.collected)
        };
        // (1) the relationship at home: home, whatever the years
        assert_eq!(
            at(140105, 140000, &[pl(110000, 200), pl(140000, 12)]),
            (140000, PlaceCase::HouseholdRegistration, false)
        );
        // (2) away with 10 years where the relationship is
        assert_eq!(
            at(110105, 140000, &[pl(110000, 24), pl(140000, 120)]),
            (140000, PlaceCase::Relationship, false)
        );
        // (3) 119 months here; the last earlier place with 10 years is Hebei, not Henan
        assert_eq!(
            at(
                110105,
                140000,
                &[pl(130000, 150), pl(410000, 60), pl(140000, 119)]
            ),
            (130000, PlaceCase::LastWithYears, true)
        );
        // (4) no place with 10 years: collected home
        assert_eq!(
            at(110105, 140000, &[pl(130000, 100), pl(140000, 100)]),
            (110000, PlaceCase::CollectedToHouseholdRegistration, true)
        );
        let r = pension_place(&p, on, 110105, 140000, &[pl(140000, 100)]).expect("rule");
        assert!(
            r.explanation
                .params
                .iter()
                .any(|u| u.name == "transfer.pension_place_min_years" && u.value == "10")
        );
    }
}

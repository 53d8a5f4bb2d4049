//! Disbursement kernels (统支): fund-use plans consolidated county → city → province, the finance
//! department's decision (full, partial, rejected) spread back down exactly, and the calendar of
//! the month with breaches of the "by the 10th" rule.

use serde::Serialize;
use std::collections::BTreeMap;
use tongchou_core::period::{Date, Period};
use tongchou_core::policy::{ParamUse, Policy};
use tongchou_core::rules::RuleError;
use tongchou_core::{Divisions, Fen, RegionCode};

/// Benefit items a plan and a payroll carry (社会保险待遇支出 sub-accounts and refunds). A
/// re-issue of a returned payment keeps the item of the payment it re-issues (a later attempt,
/// linked by `reissue_of`), so it is paid to the same payee and booked to the same expense.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    BasicPension,
    AdjustmentArrears,
    FuneralGrant,
    SurvivorGrant,
    AccountRefund,
    /// The winter heating subsidy (冬季取暖补贴), once a year.
    HeatingSubsidy,
    /// The pension of the months a pensioner was suspended for want of an eligibility
    /// certification, paid once they are certified (暂停期间养老金补发).
    ResumedArrears,
}

impl Item {
    pub fn as_str(self) -> &'static str {
        match self {
            Item::BasicPension => "basic_pension",
            Item::AdjustmentArrears => "adjustment_arrears",
            Item::FuneralGrant => "funeral_grant",
            Item::SurvivorGrant => "survivor_grant",
            Item::AccountRefund => "account_refund",
            Item::HeatingSubsidy => "heating_subsidy",
            Item::ResumedArrears => "resumed_arrears",
        }
    }
    /// The item as payees and staff read it (also the remittance text of a payment).
    pub fn chinese(self) -> &'static str {
        match self {
            Item::BasicPension => "基本养老金",
            Item::AdjustmentArrears => "调待补发",
            Item::FuneralGrant => "丧葬补助金",
            Item::SurvivorGrant => "抚恤金",
            Item::AccountRefund => "个人账户余额退还",
            Item::HeatingSubsidy => "冬季取暖补贴",
            Item::ResumedArrears => "暂停期间养老金补发",
        }
    }
    pub fn parse(s: &str) -> Option<Item> {
        Some(match s {
            "basic_pension" => Item::BasicPension,
            "adjustment_arrears" => Item::AdjustmentArrears,
            "funeral_grant" => Item::FuneralGrant,
            "survivor_grant" => Item::SurvivorGrant,
            "account_refund" => Item::AccountRefund,
            "heating_subsidy" => Item::HeatingSubsidy,
            "resumed_arrears" => Item::ResumedArrears,
            _ => return None,
        })
    }
    pub const ALL: [Item; 7] = [
        Item::BasicPension,
        Item::AdjustmentArrears,
        Item::FuneralGrant,
        Item::SurvivorGrant,
        Item::AccountRefund,
        Item::HeatingSubsidy,
        Item::ResumedArrears,
    ];
}

/// A county's fund-use plan for a month: the amount per item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CountyPlan {
    pub county: RegionCode,
    pub items: BTreeMap<Item, Fen>,
}

/// A month's plan of a whole province is a few billion yuan, nine orders of magnitude inside
/// the range of `Fen`; its sums cannot overflow.
const WITHIN_RANGE: &str = "a province's monthly plan stays within the range of Fen";

impl CountyPlan {
    pub fn total(&self) -> Fen {
        Fen::try_sum(self.items.values().copied()).expect(WITHIN_RANGE)
    }
}

/// Plans consolidated by city, as the provincial bureau applies for them.
#[derive(Clone, Debug, Serialize)]
pub struct Consolidated {
    pub month: Period,
    pub cities: BTreeMap<RegionCode, Vec<CountyPlan>>,
}

impl Consolidated {
    pub fn build(
        divisions: &Divisions,
        month: Period,
        plans: Vec<CountyPlan>,
    ) -> Result<Consolidated, RuleError> {
        let mut cities: BTreeMap<RegionCode, Vec<CountyPlan>> = BTreeMap::new();
        for p in plans {
            let city = divisions
                .city_of(p.county)
                .ok_or_else(|| RuleError::Input {
                    field: "county",
                    reason: tongchou_core::tr!("engine-err-not-a-county", county = p.county),
                })?;
            cities.entry(city).or_default().push(p);
        }
        Ok(Consolidated { month, cities })
    }
    pub fn city_total(&self, city: RegionCode) -> Fen {
        Fen::new(
            self.cities
                .get(&city)
                .map(|v| v.iter().map(|p| p.total().fen()).sum())
                .unwrap_or(0),
        )
    }
    pub fn total(&self) -> Fen {
        Fen::try_sum(self.cities.values().flatten().map(CountyPlan::total)).expect(WITHIN_RANGE)
    }
}

/// The finance department's decision on the provincial application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum Decision {
    Full,
    Partial { approved: Fen },
    Rejected { reason: String },
}

/// Approved amounts per county (and so per city), summing exactly to the approved total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Approved {
    pub total: Fen,
    pub counties: BTreeMap<RegionCode, Fen>,
    pub cities: BTreeMap<RegionCode, Fen>,
}

/// Spread a decision over the counties in proportion to what each planned (largest remainder,
/// so no fen is created or lost).
pub fn approve(c: &Consolidated, d: &Decision) -> Result<Approved, RuleError> {
    let planned = c.total();
    let total = match d {
        Decision::Full => planned,
        Decision::Partial { approved } => {
            if approved.is_negative() || *approved > planned {
                return Err(RuleError::Input {
                    field: "approved",
                    reason: tongchou_core::tr!(
                        "engine-err-approved-range",
                        approved = approved,
                        planned = planned
                    ),
                });
            }
            *approved
        }
        Decision::Rejected { .. } => Fen::ZERO,
    };
    let list: Vec<(RegionCode, RegionCode, Fen)> = c
        .cities
        .iter()
        .flat_map(|(city, ps)| ps.iter().map(move |p| (*city, p.county, p.total())))
        .collect();
    let weights: Vec<u64> = list.iter().map(|x| x.2.fen().max(0) as u64).collect();
    let parts = total.split_by_weights(&weights);
    let mut counties = BTreeMap::new();
    let mut cities: BTreeMap<RegionCode, Fen> = BTreeMap::new();
    for ((city, county, _), part) in list.iter().zip(parts) {
        counties.insert(*county, part);
        let e = cities.entry(*city).or_insert(Fen::ZERO);
        // The parts split `total` exactly, so every partial sum lies between 0 and `total`.
        *e = e.checked_add(part).expect(WITHIN_RANGE);
    }
    Ok(Approved {
        total,
        counties,
        cities,
    })
}

/// The month's deadlines, from `policy/calendar.toml`.
#[derive(Clone, Debug, Serialize)]
pub struct Calendar {
    pub month: Period,
    pub county_plan_by: Date,
    pub city_plan_by: Date,
    pub province_apply_by: Date,
    pub approval_by: Date,
    pub allocation_by: Date,
    pub passdown_by: Date,
    pub pay_day: Date,
    /// The working days these dates were counted in.
    pub work_days: WorkDays,
    pub params: Vec<ParamUse>,
}

/// Working days: Monday to Friday, less the public holidays and plus the make-up working weekend
/// days (调休上班) of `calendar.holidays` (one table per year of the State Council's notice).
#[derive(Clone, Debug, Default, Serialize)]
pub struct WorkDays {
    /// yyyymmdd → positive: public holiday, 0: worked weekend day.
    exceptions: BTreeMap<i64, i64>,
}

impl WorkDays {
    /// Monday to Friday, no holidays.
    pub fn weekdays() -> WorkDays {
        WorkDays::default()
    }

    /// The holiday tables in force for the years `from` to `to`, with their provenance.
    pub fn of(
        policy: &Policy,
        from: i32,
        to: i32,
        params: &mut Vec<ParamUse>,
    ) -> Result<WorkDays, RuleError> {
        let mut exceptions = BTreeMap::new();
        for y in from..=to {
            let Ok(jan1) = Date::new(y, 1, 1) else {
                continue;
            };
            // a year before the first table has none; a later year without its own table gets
            // the last one, whose dates are all in its own year and so never match
            if let Ok((t, u)) = policy.table("calendar.holidays", jan1) {
                exceptions.extend(t.iter().map(|(k, v)| (*k, *v)));
                if !params
                    .iter()
                    .any(|p| p.name == u.name && p.effective_from == u.effective_from)
                {
                    params.push(u);
                }
            }
        }
        Ok(WorkDays { exceptions })
    }

    pub fn is_working(&self, d: Date) -> bool {
        let key = d.year() as i64 * 10_000 + d.month() as i64 * 100 + d.day() as i64;
        // (policy tables hold tenths: a holiday's 1 reads as 10)
        match self.exceptions.get(&key) {
            Some(v) if *v > 0 => false,
            Some(_) => true,
            // 1970-01-01 was a Thursday: weekday 0 = Monday
            None => (d.days_since_epoch() + 3).rem_euclid(7) < 5,
        }
    }

    /// `n` working days after `d`.
    pub fn add(&self, d: Date, n: i64) -> Date {
        let mut cur = d;
        let mut left = n;
        while left > 0 {
            cur = cur.add_days(1);
            if self.is_working(cur) {
                left -= 1;
            }
        }
        cur
    }

    /// `d` if it is a working day, else the working day before it.
    pub fn on_or_before(&self, d: Date) -> Date {
        let mut cur = d;
        while !self.is_working(cur) {
            cur = cur.add_days(-1);
        }
        cur
    }

    /// `d` if it is a working day, else the working day after it.
    pub fn on_or_after(&self, d: Date) -> Date {
        let mut cur = d;
        while !self.is_working(cur) {
            cur = cur.add_days(1);
        }
        cur
    }
}

impl Calendar {
    pub fn of(policy: &Policy, month: Period) -> Result<Calendar, RuleError> {
        let on = month.first_day();
        let prev = month.add_months(-1);
        let mut params = Vec::new();
        let mut day = |name: &str| -> Result<u8, RuleError> {
            let (v, u) = policy.int(name, on)?;
            params.push(u);
            u8::try_from(v)
                .ok()
                .filter(|d| (1..=31).contains(d))
                .ok_or_else(|| {
                    RuleError::Policy(tongchou_core::tr!("eng-policy-day", name = name, value = v))
                })
        };
        let county_plan_by = prev.day(day("calendar.county_plan_day")?);
        let city_plan_by = prev.day(day("calendar.city_plan_day")?);
        let province_apply_by = month.day(day("calendar.province_apply_day")?);
        let approval_by = month.day(day("calendar.approval_day")?);
        let allocation_by = month.day(day("calendar.allocation_day")?);
        let pay_day = month.day(day("calendar.pay_day")?);
        let (wd, u) = policy.int("calendar.passdown_working_days", on)?;
        params.push(u);
        let (shift, u) = policy.text("calendar.pay_day_on_day_off", on)?;
        params.push(u);
        let shift = shift.to_string();
        let work_days = WorkDays::of(policy, prev.year(), month.year() + 1, &mut params)?;
        let passdown_by = work_days.add(allocation_by, wd);
        // a pay day that falls on a day off moves as `calendar.pay_day_on_day_off` says
        let pay_day = match shift.as_str() {
            "previous" => work_days.on_or_before(pay_day),
            "next" => work_days.on_or_after(pay_day),
            "same" => pay_day,
            other => {
                return Err(RuleError::Policy(tongchou_core::tr!(
                    "eng-policy-pay-shift",
                    name = "calendar.pay_day_on_day_off",
                    value = format!("{other:?}")
                )));
            }
        };
        Ok(Calendar {
            month,
            county_plan_by,
            city_plan_by,
            province_apply_by,
            approval_by,
            allocation_by,
            passdown_by,
            pay_day,
            work_days,
            params,
        })
    }

    /// Days late of an event that happened on `on` against deadline `by` (0 when on time).
    pub fn delay(by: Date, on: Date) -> i64 {
        by.days_until(on).max(0)
    }
}

#[cfg(test)]
#[allow(clippy::inconsistent_digit_grouping)] // fen written as yuan_fen
mod tests {
    use super::*;

    fn rc(v: u32) -> RegionCode {
        RegionCode::new(v).expect("code")
    }

    fn plan(county: u32, basic: i64) -> CountyPlan {
        CountyPlan {
            county: rc(county),
            items: BTreeMap::from([(Item::BasicPension, Fen::new(basic))]),
        }
    }

    #[test]
    fn consolidate_and_partial_approval_is_exact() {
        let d = Divisions::shanxi();
        let c = Consolidated::build(
            d,
            "2020-03".parse().expect("p"),
            vec![
                plan(140105, 100_000_01),
                plan(140106, 200_000_00),
                plan(140212, 300_000_00),
            ],
        )
        .expect("consolidate");
        assert_eq!(c.cities.len(), 2);
        assert_eq!(c.city_total(rc(140100)), Fen::new(300_000_01));
        let a = approve(
            &c,
            &Decision::Partial {
                approved: Fen::new(500_000_00),
            },
        )
        .expect("approve");
        assert_eq!(
            a.counties.values().map(|f| f.fen()).sum::<i64>(),
            500_000_00
        );
        assert_eq!(a.cities.values().map(|f| f.fen()).sum::<i64>(), 500_000_00);
        assert!(
            approve(
                &c,
                &Decision::Partial {
                    approved: Fen::new(700_000_00)
                }
            )
            .is_err()
        );
        let r = approve(
            &c,
            &Decision::Rejected {
                reason: "budget".into(),
            },
        )
        .expect("reject");
        assert_eq!(r.total, Fen::ZERO);
        let f = approve(&c, &Decision::Full).expect("full");
        assert_eq!(f.counties[&rc(140105)], Fen::new(100_000_01));
        assert!(
            Consolidated::build(d, "2020-03".parse().expect("p"), vec![plan(110105, 1)]).is_err()
        );
    }

    #[test]
    fn holidays_and_make_up_days_move_the_dates() {
        let p = Policy::builtin().expect("policy");
        // October 2020: 1–8 off (National Day and Mid-Autumn), Saturday the 10th worked; the
        // allocation deadline (the 10th) is that Saturday, two working days later is Tuesday
        let oct = Calendar::of(&p, "2020-10".parse().expect("p")).expect("calendar");
        assert_eq!(oct.allocation_by.to_string(), "2020-10-10");
        assert!(oct.work_days.is_working("2020-10-10".parse().expect("d")));
        assert!(!oct.work_days.is_working("2020-10-08".parse().expect("d")));
        assert_eq!(oct.passdown_by.to_string(), "2020-10-13");
        // the 15th of October 2020 is a Thursday: paid that day
        assert_eq!(oct.pay_day.to_string(), "2020-10-15");
        // 15 February 2020 is a Saturday: paid on Friday the 14th (previous working day)
        let feb = Calendar::of(&p, "2020-02".parse().expect("p")).expect("calendar");
        assert_eq!(feb.pay_day.to_string(), "2020-02-14");
        // January 2020: the Spring Festival (24 Jan – 2 Feb, extended) is off, Sunday the 19th worked
        let jan = Calendar::of(&p, "2020-01".parse().expect("p")).expect("calendar");
        assert!(jan.work_days.is_working("2020-01-19".parse().expect("d")));
        assert_eq!(
            jan.work_days
                .add("2020-01-23".parse().expect("d"), 1)
                .to_string(),
            "2020-02-03"
        );
        // the tables used are listed with their provenance
        assert!(jan.params.iter().any(|u| u.name == "calendar.holidays"));
        // a year without a table: weekends only
        let w = Calendar::of(&p, "2035-05".parse().expect("p")).expect("calendar");
        assert!(w.work_days.is_working("2035-05-01".parse().expect("d")));
    }

    #[test]
    fn calendar_of_a_month() {
        let p = Policy::builtin().expect("policy");
        let c = Calendar::of(&p, "2020-03".parse().expect("p")).expect("calendar");
        assert_eq!(c.county_plan_by.to_string(), "2020-02-25");
        assert_eq!(c.city_plan_by.to_string(), "2020-02-28");
        assert_eq!(c.allocation_by.to_string(), "2020-03-10");
        // 2020-03-10 is a Tuesday: two working days later is Thursday the 12th
        assert_eq!(c.passdown_by.to_string(), "2020-03-12");
        // the 15th is a Sunday: paid on the Friday before
        assert_eq!(c.pay_day.to_string(), "2020-03-13");
        // 2020-01-10 was a Friday: +2 working days = Tuesday 2020-01-14
        let w = WorkDays::weekdays();
        assert_eq!(
            w.add("2020-01-10".parse().expect("d"), 2).to_string(),
            "2020-01-14"
        );
        assert_eq!(
            Calendar::delay(c.allocation_by, "2020-03-12".parse().expect("d")),
            2
        );
        assert_eq!(
            Calendar::delay(c.allocation_by, "2020-03-09".parse().expect("d")),
            0
        );
    }
}

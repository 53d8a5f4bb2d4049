//! Everything the generator reads from the policy, resolved once before the parallel part:
//! statutory retirement months, a wage history, the individual-account accumulation, the pension
//! terms of each retirement month and the yearly adjustment multipliers.
//!
//! Where the policy has no value for a year the generator needs (years before the series begin),
//! it uses a synthetic stand-in, named here and in the crate docs. These stand-ins shape synthetic
//! data only; no rule reads them.

use crate::SynthError;
use tongchou_core::money::div_round_half_up;
use tongchou_core::rules::pension::divisor_tenths;
use tongchou_core::rules::retirement::{Category, statutory};
use tongchou_core::{Date, Fen, Period, Policy};

const MICRO: i128 = 1_000_000;
/// Ratio scale of the core (1e8).
pub(crate) const S: i128 = 100_000_000;
/// Scale of the crediting cumulative product.
const C_SCALE: i128 = 1_000_000_000;
/// Scale of the per-year account terms.
const V_SCALE: i128 = 1_000_000_000_000_000_000;

/// First retirement month of the synthetic pensioners: the 国发〔2005〕38号 formula applies from
/// 2006-01 (the policy's benefit parameters start there).
pub(crate) const FIRST_RETIREMENT: (i32, u8) = (2006, 1);
/// Synthetic wage growth before the first all-caliber average wage of the policy: 9 % a year.
const BACK_GROWTH_PCT: i64 = 109;
/// Synthetic wage growth after the last policy value: 5 % a year.
const FORWARD_GROWTH_PCT: i64 = 105;
/// Synthetic crediting rate for years before the policy's series (2016): 3 % (order of the
/// one-year deposit rate then).
const EARLY_CREDITING_RATE: i64 = 3_000_000;
/// Synthetic yearly pension increase for years before the policy's series (2016): 10 %, the
/// national rate of 2005-2015.
const EARLY_ADJUSTMENT_RATE: i64 = 10_000_000;
/// Share of the wage credited to the individual account in every year (8 %); before 2006 the
/// real share differed, the generator keeps 8 % throughout.
const ACCOUNT_RATE: i64 = 8_000_000;

const YEAR0: i32 = 1950;
const BIRTH0: (i32, u8) = (1900, 1);
const CATS: [Category; 3] = [
    Category::Male,
    Category::FemaleCadre,
    Category::FemaleWorker,
];

pub(crate) fn cat_index(c: Category) -> usize {
    match c {
        Category::Male => 0,
        Category::FemaleCadre => 1,
        Category::FemaleWorker => 2,
    }
}

fn month(y: i32, m: u8) -> Result<i32, SynthError> {
    Period::new(y, m)
        .map(Period::index)
        .map_err(|e| SynthError(e.0))
}

/// Terms of the monthly pension for one retirement month.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PensionTerms {
    pub base: i64,
    pub rate: i64,
    pub coef: i64,
    /// Index into `Tables::divisors`.
    pub divisor_table: usize,
}

/// Divisors in tenths of a month for ages 40y0m .. 70y11m at retirement.
const DIV_AGE0: i32 = 40 * 12;
const DIV_AGES: usize = 31 * 12;

pub(crate) struct Tables {
    pub start: i32,
    pub start_year: i32,
    pub account_start: i32,
    pub first_retirement: i32,
    pub orig_age: [i32; 3],
    birth0: i32,
    retire: [Vec<i32>; 3],
    /// Monthly average wage in fen by year from YEAR0 to the start year.
    wage: Vec<i64>,
    /// Account contribution of one month at index 1.0, in fen, by year.
    unit: Vec<i64>,
    /// Crediting cumulative product by year (C_SCALE at the end of the account start year − 1).
    cum: Vec<i128>,
    /// unit × V_SCALE / cum, by year.
    v: Vec<i128>,
    pension: Vec<PensionTerms>,
    divisors: Vec<Vec<u16>>,
    /// Yearly adjustment multiplier (scaled 1e8) from a retirement year to the start, by year.
    adjust: Vec<i64>,
    pub floor: Fen,
    pub ceiling: Fen,
}

fn yidx(y: i32) -> usize {
    (y - YEAR0).max(0) as usize
}

impl Tables {
    pub fn new(policy: &Policy, start: Period) -> Result<Tables, SynthError> {
        let start_i = start.index();
        let sy = start.year();
        let years = (sy - YEAR0 + 1) as usize;

        // Statutory retirement month by birth month, per category.
        let birth0 = month(BIRTH0.0, BIRTH0.1)?;
        let births = (start_i - birth0 + 1).max(1) as usize;
        let mut retire: [Vec<i32>; 3] = [Vec::new(), Vec::new(), Vec::new()];
        let mut orig_age = [0i32; 3];
        for (k, c) in CATS.iter().enumerate() {
            let mut v = Vec::with_capacity(births);
            for b in 0..births {
                let birth = Period::from_index(birth0 + b as i32);
                let (a, _) = statutory(policy, birth, *c).map_err(|e| SynthError(e.to_string()))?;
                orig_age[k] = a.original_age_months;
                v.push(a.retire.index());
            }
            retire[k] = v;
        }

        // Wage history: the all-caliber average wage of the policy where it has the year's own
        // value, extended backwards and forwards with the synthetic growth rates above.
        let mut annual: Vec<Option<i64>> = vec![None; years];
        for y in YEAR0..=sy {
            let d = Date::new(y, 12, 31).map_err(|e| SynthError(e.0))?;
            if let Ok((f, u)) = policy.yuan("wages.all_caliber_avg_annual", d)
                && u.effective_from.year() == y
            {
                annual[yidx(y)] = Some(f.fen());
            }
        }
        let first_known = annual
            .iter()
            .position(Option::is_some)
            .ok_or_else(|| SynthError("policy has no all-caliber average wage".into()))?;
        for i in (0..first_known).rev() {
            annual[i] = annual[i + 1].map(|w| w * 100 / BACK_GROWTH_PCT);
        }
        for i in first_known + 1..years {
            if annual[i].is_none() {
                annual[i] = annual[i - 1].map(|w| w * FORWARD_GROWTH_PCT / 100);
            }
        }
        let wage: Vec<i64> = annual
            .iter()
            .map(|a| div_round_half_up(a.unwrap_or(0) as i128, 12) as i64)
            .collect();
        let unit: Vec<i64> = wage
            .iter()
            .map(|w| div_round_half_up(*w as i128 * ACCOUNT_RATE as i128, S) as i64)
            .collect();

        // Account start and crediting.
        let account_start = match policy.text("benefit.account_start", start.first_day()) {
            Ok((t, _)) => t
                .parse::<Period>()
                .map(Period::index)
                .map_err(|e| SynthError(e.0))?,
            Err(_) => month(1998, 1)?,
        };
        let mut cum = vec![C_SCALE; years];
        let mut v = vec![0i128; years];
        let ay = Period::from_index(account_start).year();
        for y in YEAR0..=sy {
            let i = yidx(y);
            let d = Date::new(y, 12, 31).map_err(|e| SynthError(e.0))?;
            let r = match policy.ratio("account.crediting_rate", d) {
                Ok((r, _)) => r.0,
                Err(_) => EARLY_CREDITING_RATE,
            };
            if y >= ay && i > 0 {
                cum[i] = div_round_half_up(cum[i - 1] * (S + r as i128), S);
            }
            v[i] = unit[i] as i128 * V_SCALE / cum[i];
        }

        // Pension terms by retirement month.
        let first_retirement = month(FIRST_RETIREMENT.0, FIRST_RETIREMENT.1)?;
        let mut pension = Vec::new();
        let mut divisors: Vec<Vec<u16>> = Vec::new();
        let mut div_keys: Vec<(Date, Date)> = Vec::new();
        for m in first_retirement..start_i.max(first_retirement + 1) {
            let p = Period::from_index(m);
            let d = p.first_day();
            let base = match policy.yuan("benefit.base_monthly", d) {
                Ok((b, _)) => b.fen(),
                // Synthetic: the previous year's average monthly wage, to the yuan.
                Err(_) => div_round_half_up(wage[yidx(p.year() - 1)] as i128, 100) as i64 * 100,
            };
            let rate = policy
                .ratio("benefit.basic_rate_per_year", d)
                .map_err(|e| SynthError(e.to_string()))?
                .0
                .0;
            let coef = policy
                .ratio("benefit.transition_coefficient", d)
                .map_err(|e| SynthError(e.to_string()))?
                .0
                .0;
            let k1 = policy
                .at("benefit.divisor_months", d)
                .map_err(|e| SynthError(e.to_string()))?
                .1
                .effective_from;
            let k2 = policy
                .at("benefit.divisor_interpolation", d)
                .map_err(|e| SynthError(e.to_string()))?
                .1
                .effective_from;
            let t = match div_keys.iter().position(|k| *k == (k1, k2)) {
                Some(t) => t,
                None => {
                    let mut tab = Vec::with_capacity(DIV_AGES);
                    for a in 0..DIV_AGES as i32 {
                        let (dv, _) = divisor_tenths(policy, p, DIV_AGE0 + a)
                            .map_err(|e| SynthError(e.to_string()))?;
                        tab.push(
                            u16::try_from(dv)
                                .map_err(|_| SynthError(format!("divisor {dv} out of range")))?,
                        );
                    }
                    divisors.push(tab);
                    div_keys.push((k1, k2));
                    divisors.len() - 1
                }
            };
            pension.push(PensionTerms {
                base,
                rate,
                coef,
                divisor_table: t,
            });
        }

        // Adjustment multipliers: people retired in year Y get the increases of Y+1 .. start−1.
        let mut rates = vec![0i64; years];
        for y in YEAR0..=sy {
            let d = Date::new(y, 1, 1).map_err(|e| SynthError(e.0))?;
            rates[yidx(y)] = match policy.ratio("adjustment.overall_rate", d) {
                Ok((r, _)) => r.0,
                Err(_) => EARLY_ADJUSTMENT_RATE,
            };
        }
        let mut adjust = vec![S as i64; years];
        for ry in (YEAR0..sy).rev() {
            let next = ry + 1;
            adjust[yidx(ry)] = if next < sy {
                div_round_half_up(
                    adjust[yidx(next)] as i128 * (S + rates[yidx(next)] as i128),
                    S,
                ) as i64
            } else {
                S as i64
            };
        }

        let d = start.first_day();
        let floor = policy
            .yuan("contribution.base_floor_monthly", d)
            .map_err(|e| SynthError(e.to_string()))?
            .0;
        let ceiling = policy
            .yuan("contribution.base_ceiling_monthly", d)
            .map_err(|e| SynthError(e.to_string()))?
            .0;

        Ok(Tables {
            start: start_i,
            start_year: sy,
            account_start,
            first_retirement,
            orig_age,
            birth0,
            retire,
            wage,
            unit,
            cum,
            v,
            pension,
            divisors,
            adjust,
            floor,
            ceiling,
        })
    }

    /// Statutory retirement month of a birth month.
    pub fn retire_of(&self, birth: i32, cat: Category) -> i32 {
        let k = cat_index(cat);
        let i = birth - self.birth0;
        if i >= 0 && (i as usize) < self.retire[k].len() {
            self.retire[k][i as usize]
        } else {
            birth + self.orig_age[k]
        }
    }

    /// The average monthly wage of a year, in fen.
    pub fn wage(&self, year: i32) -> i64 {
        self.wage[yidx(year).min(self.wage.len() - 1)]
    }

    /// Individual-account balance on the first day of month `asof` from contributions in months
    /// `[a, b)` at wage index `idx` (1e-4), of which `paid` of the `b − a` months were paid.
    /// Interest at the crediting rate of each year, on the opening balance of the year.
    pub fn balance(&self, a: i32, b: i32, asof: i32, idx: u32, paid: u32) -> Fen {
        let a = a.max(self.account_start);
        let b = b.min(asof);
        if a >= b || paid == 0 {
            return Fen::ZERO;
        }
        let e = Period::from_index(asof).year();
        let (ya, yb) = (
            Period::from_index(a).year(),
            Period::from_index(b - 1).year(),
        );
        let months_in = |y: i32| -> i128 {
            let lo = a.max(y * 12);
            let hi = b.min(y * 12 + 12);
            (hi - lo).max(0) as i128
        };
        let last = self.v.len() - 1;
        let mut sum_v: i128 = 0;
        for y in ya..=yb.min(e - 1) {
            sum_v += months_in(y) * self.v[yidx(y).min(last)];
        }
        // in millionths of a fen, rounded once at the end
        let mut full = sum_v * self.cum[yidx(e - 1).min(last)] * MICRO / V_SCALE;
        if yb >= e {
            full += months_in(e) * self.unit[yidx(e).min(last)] as i128 * MICRO;
        }
        let span = (b - a) as i128;
        let paid = (paid as i128).min(span);
        Fen::new(div_round_half_up(full * idx as i128 * paid, MICRO * 10_000 * span) as i64)
    }

    pub fn pension_terms(&self, retire: i32) -> Option<&PensionTerms> {
        let i = retire - self.first_retirement;
        if i < 0 {
            return None;
        }
        self.pension.get(i as usize)
    }

    pub fn divisor(&self, t: &PensionTerms, age_months: i32) -> Option<u16> {
        let i = (age_months - DIV_AGE0).clamp(0, DIV_AGES as i32 - 1) as usize;
        self.divisors.get(t.divisor_table).map(|d| d[i])
    }

    /// The multiplier (scaled 1e8) of the yearly increases from a retirement year to the start.
    pub fn adjustment(&self, retire_year: i32) -> i64 {
        self.adjust[yidx(retire_year).min(self.adjust.len() - 1)]
    }
}

/// The 国发〔2005〕38号 components of one pension, with the same exact arithmetic and rounding as
/// `tongchou_core::rules::pension::pension` (checked against it in the tests).
pub(crate) fn pension_components(
    t: &PensionTerms,
    divisor_tenths: u16,
    paid: u32,
    deemed: u32,
    avg_index: i64,
    deemed_index: i64,
    balance: Fen,
) -> (Fen, Fen, Fen) {
    let months = (paid + deemed) as i128;
    let basic = div_round_half_up(
        t.base as i128 * (S + avg_index as i128) * months * t.rate as i128,
        2 * S * 12 * S,
    );
    let account = div_round_half_up(balance.fen() as i128 * 10, (divisor_tenths as i128).max(1));
    let transitional = div_round_half_up(
        t.base as i128 * deemed_index as i128 * deemed as i128 * t.coef as i128,
        S * 12 * S,
    );
    (
        Fen::new(basic as i64),
        Fen::new(account as i64),
        Fen::new(transitional as i64),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> Tables {
        let p = Policy::builtin().expect("policy");
        Tables::new(&p, "2026-01".parse().expect("period")).expect("tables")
    }

    #[test]
    fn wages_follow_policy_and_synthetic_growth() {
        let t = tables();
        // 2025 all-caliber 84,881 a year -> 7,073.42 a month
        assert_eq!(t.wage(2025), 707_342);
        // 2017 = 2018 (54,783) / 1.09, integer yuan
        assert_eq!(
            t.wage(2017),
            div_round_half_up(5_478_300 * 100 / 109, 12) as i64
        );
        assert!(t.wage(2026) > t.wage(2025));
        assert!(t.wage(1990) < t.wage(2000));
    }

    #[test]
    fn balance_of_one_year() {
        let t = tables();
        let y = |s: &str| s.parse::<Period>().expect("p").index();
        // 12 months of 2024 at index 1.0, read on 2025-01-01: 12 × 8% × wage(2024), no interest yet
        let b = t.balance(y("2024-01"), y("2025-01"), y("2025-01"), 10_000, 12);
        assert_eq!(b.fen(), 12 * t.unit[yidx(2024)]);
        // read a year later: + 1.50% crediting of 2025
        let b2 = t.balance(y("2024-01"), y("2025-01"), y("2026-01"), 10_000, 12);
        let expect = div_round_half_up(12 * t.unit[yidx(2024)] as i128 * 101_500_000, S) as i64;
        assert!((b2.fen() - expect).abs() <= 1, "{} vs {expect}", b2.fen());
        // half the months paid, index 2.0: the same
        let b3 = t.balance(y("2024-01"), y("2025-01"), y("2025-01"), 20_000, 6);
        assert_eq!(b3, b);
        assert_eq!(
            t.balance(y("1990-01"), y("1997-01"), y("2025-01"), 10_000, 84),
            Fen::ZERO
        );
    }

    #[test]
    fn retirement_table_matches_rule() {
        let t = tables();
        let p = Policy::builtin().expect("policy");
        for b in ["1960-05", "1965-01", "1971-07", "1980-12"] {
            let bp: Period = b.parse().expect("p");
            for c in CATS {
                let (a, _) = statutory(&p, bp, c).expect("rule");
                assert_eq!(t.retire_of(bp.index(), c), a.retire.index());
            }
        }
    }

    #[test]
    fn adjustment_multipliers() {
        let t = tables();
        assert_eq!(t.adjustment(2025), S as i64);
        // retired 2024: only the 2025 increase of 2 %
        assert_eq!(t.adjustment(2024), 102_000_000);
        // retired 2023: 3 % then 2 %
        assert_eq!(t.adjustment(2023), 105_060_000);
        assert!(t.adjustment(2006) > 2 * S as i64);
    }
}

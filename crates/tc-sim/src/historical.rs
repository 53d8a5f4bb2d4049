//! The demo's balances of cities and counties before provincial pooling, made up from their
//! pension bills: a county holds some months of pensions on demand deposit and some on fixed
//! deposit maturing over the following year; a city, a demand deposit. Booked through the same
//! use case as real ones (`tongchou_app::income::open_historical`).

use crate::tax::mix;
use std::collections::BTreeMap;
use tongchou_app::Result;
use tongchou_app::income::{HistoricalBalance, monthly_pensions_by_county, open_historical};
use tongchou_core::period::Date;
use tongchou_core::{Divisions, Fen, RegionCode};
use tongchou_store::Db;

/// Made-up balances for these monthly pension bills per county.
pub fn balances(seed: u64, bills: &[(RegionCode, Fen)], as_of: Date) -> Vec<HistoricalBalance> {
    let d = Divisions::shanxi();
    let mut out = Vec::new();
    let mut city_totals: BTreeMap<RegionCode, i64> = BTreeMap::new();
    for &(county, monthly) in bills {
        let monthly = monthly.fen();
        let h = mix(seed ^ county.get() as u64);
        let maturity = as_of
            .period()
            .add_months(2 + ((h >> 16) % 12) as i32)
            .day(20);
        out.push(HistoricalBalance {
            id: county.get() as i64 * 10 + 1,
            region: county,
            fixed: false,
            amount: Fen::new(monthly * (6 + (h % 10) as i64)),
            maturity: None,
        });
        out.push(HistoricalBalance {
            id: county.get() as i64 * 10 + 2,
            region: county,
            fixed: true,
            amount: Fen::new(monthly * (3 + ((h >> 8) % 6) as i64)),
            maturity: Some(maturity),
        });
        if let Some(city) = d.city_of(county) {
            *city_totals.entry(city).or_default() += monthly;
        }
    }
    for (city, monthly) in city_totals {
        out.push(HistoricalBalance {
            id: city.get() as i64 * 10 + 1,
            region: city,
            fixed: false,
            amount: Fen::new(monthly * 2),
            maturity: None,
        });
    }
    out
}

/// Book the demo's historical balances on `as_of`. Returns how many deposits.
pub fn seed(db: &mut Db, seed: u64, as_of: Date) -> Result<u64> {
    let bills = monthly_pensions_by_county(db)?;
    open_historical(db, &balances(seed, &bills, as_of), as_of)
}

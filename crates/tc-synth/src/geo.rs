//! Shanxi's counties as the generator uses them: real GB/T 2260 codes and names from
//! `tongchou_core::Divisions::shanxi()`, synthetic size weights, and the retired codes (GB/T 2260
//! history) that a county's older residents may still carry in their ID numbers.

use tongchou_core::region::gbt2260_entry;
use tongchou_core::{Divisions, RegionCode};

/// A retired GB/T 2260 code whose area is now handled by a county.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Predecessor {
    pub code: u32,
    pub first_year: u16,
    pub last_year: u16,
}

/// One county-level unit with its own handling agency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct County {
    pub code: RegionCode,
    pub city: RegionCode,
    pub name: String,
    /// Relative share of the province's insured persons and employers (synthetic).
    pub weight: u64,
    /// Retired codes handled by this county today, oldest first.
    pub predecessors: Vec<Predecessor>,
}

/// Synthetic weight of each city: its resident population in ten thousands (approximately the
/// 2020 census, rounded) times an urban-employment factor in percent (Taiyuan, the capital and
/// main industrial centre, has about twice the enterprise coverage of an agricultural city).
const CITY_WEIGHTS: &[(u32, u64, u64)] = &[
    (140100, 530, 200), // 太原
    (140200, 310, 110), // 大同
    (140300, 132, 120), // 阳泉
    (140400, 318, 100), // 长治
    (140500, 219, 110), // 晋城
    (140600, 159, 100), // 朔州
    (140700, 338, 100), // 晋中
    (140800, 477, 80),  // 运城
    (140900, 268, 80),  // 忻州
    (141000, 398, 90),  // 临汾
    (141100, 340, 80),  // 吕梁
];

/// Weight of a county inside its city by kind: districts are urban and larger, county-level
/// cities next, counties smallest; Taiyuan's six central districts larger still.
fn kind_weight(code: u32, kind: &str) -> u64 {
    match kind {
        "district" if (140105..=140110).contains(&code) => 60,
        "district" => 40,
        "county_level_city" => 20,
        _ => 10,
    }
}

/// The 117 counties of Shanxi (functional zones are handled by their city and get no persons).
pub fn shanxi_counties() -> Vec<County> {
    let div = Divisions::shanxi();
    let mut out = Vec::with_capacity(117);
    for city in div.cities() {
        let city_w = CITY_WEIGHTS
            .iter()
            .find(|c| c.0 == city.code.get())
            .map(|c| c.1 * c.2)
            .unwrap_or(10_000);
        let members: Vec<_> = div.counties_of(city.code).collect();
        let sum: u64 = members
            .iter()
            .map(|c| kind_weight(c.code.get(), &c.kind))
            .sum::<u64>()
            .max(1);
        for c in members {
            out.push(County {
                code: c.code,
                city: city.code,
                name: c.name.clone(),
                weight: city_w * kind_weight(c.code.get(), &c.kind) * 1_000 / sum,
                predecessors: Vec::new(),
            });
        }
    }
    // Retired county-level codes of Shanxi (14xxxx), each given to the county that handles it.
    for code in 140_001u32..150_000 {
        if code % 100 == 0 {
            continue;
        }
        let Some(h) = gbt2260_entry(code) else {
            continue;
        };
        let Ok(rc) = RegionCode::new(code) else {
            continue;
        };
        if h.in_use || div.get(rc).is_some() {
            continue;
        }
        let Some(last) = h.last_year else { continue };
        let Some(agency) = div.handling_agency(rc) else {
            continue;
        };
        if let Some(c) = out.iter_mut().find(|c| c.code == agency) {
            c.predecessors.push(Predecessor {
                code,
                first_year: h.first_year,
                last_year: last,
            });
        }
    }
    for c in &mut out {
        c.predecessors.sort_by_key(|p| (p.first_year, p.code));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counties_and_predecessors() {
        let cs = shanxi_counties();
        assert_eq!(cs.len(), 117);
        assert!(cs.iter().all(|c| c.weight > 0));
        let div = Divisions::shanxi();
        let mut n = 0;
        for c in &cs {
            assert_eq!(div.city_of(c.code), Some(c.city));
            for p in &c.predecessors {
                let rc = RegionCode::new(p.code).expect("code");
                assert_eq!(div.handling_agency(rc), Some(c.code));
                assert!(p.first_year <= p.last_year);
                n += 1;
            }
        }
        assert!(n >= 20, "only {n} predecessor codes");
        // 大同 城区 (140202, retired 2018) is handled by 平城区 (140213)
        let pingcheng = cs.iter().find(|c| c.code.get() == 140213).expect("平城区");
        assert!(pingcheng.predecessors.iter().any(|p| p.code == 140202));
        // Taiyuan's districts weigh more than a mountain county
        let xiaodian = cs.iter().find(|c| c.code.get() == 140105).expect("小店");
        let loufan = cs.iter().find(|c| c.code.get() == 140123).expect("娄烦");
        assert!(xiaodian.weight > 5 * loufan.weight);
    }
}

//! Administrative division codes (GB/T 2260) and Shanxi's reference divisions.
//!
//! Two data sets are compiled in (no file is read at run time):
//! - `data/gbt2260-history.csv`: every county-level-and-above code of China since 1981, in use or
//!   retired, with successors (CC0, yescallop/areacodes, snapshot 2025-11). ID numbers carry the
//!   code of the place of first registration, which may have been retired since.
//! - `data/shanxi-divisions.csv`: Shanxi's province, 11 cities, 117 county-level units and 4
//!   functional zones (china-division data set). Functional zones are handled by their city.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

const HISTORY_CSV: &str = include_str!("../../../data/gbt2260-history.csv");
const SHANXI_CSV: &str = include_str!("../../../data/shanxi-divisions.csv");

/// A six-digit GB/T 2260 code. Parsing checks the form only; use [`Divisions`] or
/// [`gbt2260_known`] to check that it names a real division.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionCode(u32);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionError(pub String);
impl fmt::Display for RegionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl std::error::Error for RegionError {}

impl RegionCode {
    pub fn new(v: u32) -> Result<RegionCode, RegionError> {
        if !(110000..=829999).contains(&v) {
            return Err(RegionError(crate::tr!("region-err-range", code = v)));
        }
        Ok(RegionCode(v))
    }
    pub const fn get(self) -> u32 {
        self.0
    }
    /// A code as stored in an integer column, or `None` when it is not a GB/T 2260 code.
    pub fn from_stored(v: i64) -> Option<RegionCode> {
        u32::try_from(v).ok().and_then(|c| RegionCode::new(c).ok())
    }
    pub fn province(self) -> RegionCode {
        RegionCode(self.0 / 10000 * 10000)
    }
    pub fn prefecture(self) -> RegionCode {
        RegionCode(self.0 / 100 * 100)
    }
    pub fn is_province_level(self) -> bool {
        self.0.is_multiple_of(10000)
    }
    pub fn is_prefecture_level(self) -> bool {
        self.0.is_multiple_of(100) && !self.is_province_level()
    }
}

impl FromStr for RegionCode {
    type Err = RegionError;
    fn from_str(s: &str) -> Result<RegionCode, RegionError> {
        let t = s.trim();
        if t.len() != 6 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionError(crate::tr!(
                "region-err-digits",
                got = format!("{s:?}")
            )));
        }
        RegionCode::new(
            t.parse().map_err(|_| {
                RegionError(crate::tr!("region-err-digits", got = format!("{s:?}")))
            })?,
        )
    }
}
impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}
impl Serialize for RegionCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
impl<'de> Deserialize<'de> for RegionCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RegionCode, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One entry of the national history table.
#[derive(Clone, Debug)]
pub struct HistoricCode {
    pub code: u32,
    pub name: String,
    pub in_use: bool,
    pub first_year: u16,
    pub last_year: Option<u16>,
    pub successors: Vec<u32>,
}

fn history() -> &'static HashMap<u32, HistoricCode> {
    static H: OnceLock<HashMap<u32, HistoricCode>> = OnceLock::new();
    H.get_or_init(|| {
        let mut m = HashMap::with_capacity(7000);
        for line in HISTORY_CSV.trim_start_matches('\u{feff}').lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() < 9 {
                continue;
            }
            let Ok(code) = f[0].parse::<u32>() else {
                continue;
            };
            m.insert(
                code,
                HistoricCode {
                    code,
                    name: f[3].to_string(),
                    in_use: f[5] == "在用",
                    first_year: f[6].parse().unwrap_or(1981),
                    last_year: f[7].parse().ok(),
                    successors: f[8].split(';').filter_map(|c| c.parse().ok()).collect(),
                },
            );
        }
        m
    })
}

/// Whether a code is or was a GB/T 2260 code (county level or above) since 1981.
pub fn gbt2260_known(code: u32) -> bool {
    history().contains_key(&code)
}

pub fn gbt2260_entry(code: u32) -> Option<&'static HistoricCode> {
    history().get(&code)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Province,
    City,
    County,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::County => "county",
        }
    }
    /// 省级, 市级, 县级.
    pub fn label_zh(self) -> &'static str {
        match self {
            Level::Province => "省级",
            Level::City => "市级",
            Level::County => "县级",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    pub level: Level,
    pub parent: Option<RegionCode>,
    /// district, county, county_level_city, functional_zone, city, province
    pub kind: String,
}

impl Region {
    pub fn is_functional_zone(&self) -> bool {
        self.kind == "functional_zone"
    }
}

/// The divisions of one province: the province, its cities and county-level units.
#[derive(Debug)]
pub struct Divisions {
    regions: Vec<Region>,
    by_code: HashMap<RegionCode, usize>,
}

impl Divisions {
    /// Parse a divisions CSV (`code,name,level,parent_code,kind`).
    pub fn parse_csv(text: &str) -> Result<Divisions, RegionError> {
        let mut regions = Vec::new();
        for (i, line) in text.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split(',').collect();
            let row = i + 1;
            if f.len() != 5 {
                return Err(RegionError(format!(
                    "divisions row {row}: expected 5 fields"
                )));
            }
            let code: RegionCode = f[0]
                .parse()
                .map_err(|e| RegionError(format!("divisions row {row}, code: {e}")))?;
            let level = match f[2] {
                "province" => Level::Province,
                "city" => Level::City,
                "county" => Level::County,
                other => {
                    return Err(RegionError(format!(
                        "divisions row {row}, level: unknown {other:?}"
                    )));
                }
            };
            let parent = if f[3].is_empty() {
                None
            } else {
                Some(
                    f[3].parse()
                        .map_err(|e| RegionError(format!("divisions row {row}, parent: {e}")))?,
                )
            };
            let kind = if f[4].is_empty() { f[2] } else { f[4] }.to_string();
            regions.push(Region {
                code,
                name: f[1].to_string(),
                level,
                parent,
                kind,
            });
        }
        let by_code = regions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.code, i))
            .collect();
        Ok(Divisions { regions, by_code })
    }

    /// Shanxi (140000), compiled in.
    pub fn shanxi() -> &'static Divisions {
        static D: OnceLock<Divisions> = OnceLock::new();
        D.get_or_init(|| match Divisions::parse_csv(SHANXI_CSV) {
            Ok(d) => d,
            Err(e) => panic!("compiled-in Shanxi divisions are invalid: {e}"),
        })
    }

    pub fn get(&self, code: RegionCode) -> Option<&Region> {
        self.by_code.get(&code).map(|&i| &self.regions[i])
    }
    pub fn province(&self) -> &Region {
        &self.regions[0]
    }
    pub fn all(&self) -> &[Region] {
        &self.regions
    }
    pub fn cities(&self) -> impl Iterator<Item = &Region> {
        self.regions.iter().filter(|r| r.level == Level::City)
    }
    /// County-level units with their own handling agency (functional zones excluded).
    pub fn counties(&self) -> impl Iterator<Item = &Region> {
        self.regions
            .iter()
            .filter(|r| r.level == Level::County && !r.is_functional_zone())
    }
    pub fn counties_of(&self, city: RegionCode) -> impl Iterator<Item = &Region> {
        self.counties().filter(move |r| r.parent == Some(city))
    }
    /// The city of a county (or the city itself).
    pub fn city_of(&self, code: RegionCode) -> Option<RegionCode> {
        let r = self.get(code)?;
        match r.level {
            Level::Province => None,
            Level::City => Some(r.code),
            Level::County => r.parent,
        }
    }
    /// The region whose agency handles business registered at `code`: a county handles itself; a
    /// functional zone is handled by its city; a retired code by its (first) current successor.
    pub fn handling_agency(&self, code: RegionCode) -> Option<RegionCode> {
        if let Some(r) = self.get(code) {
            return if r.is_functional_zone() {
                r.parent
            } else {
                Some(r.code)
            };
        }
        let mut c = code.get();
        for _ in 0..8 {
            let h = gbt2260_entry(c)?;
            let next = *h.successors.first()?;
            if let Ok(rc) = RegionCode::new(next)
                && self.get(rc).is_some()
            {
                return self.handling_agency(rc);
            }
            c = next;
        }
        None
    }
    /// Whether `inner` is `outer` or lies inside it.
    pub fn within(&self, inner: RegionCode, outer: RegionCode) -> bool {
        let mut cur = Some(inner);
        while let Some(c) = cur {
            if c == outer {
                return true;
            }
            cur = self.get(c).and_then(|r| r.parent);
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shanxi_shape() {
        let d = Divisions::shanxi();
        assert_eq!(d.province().code.get(), 140000);
        assert_eq!(d.cities().count(), 11);
        assert_eq!(d.counties().count(), 117);
        let taiyuan = RegionCode::new(140100).expect("code");
        assert_eq!(d.counties_of(taiyuan).count(), 10);
    }

    #[test]
    fn history_and_handling() {
        assert!(gbt2260_known(140202)); // 大同 城区, retired
        assert!(!gbt2260_known(140299));
        let d = Divisions::shanxi();
        let old = RegionCode::new(140202).expect("code");
        assert_eq!(d.handling_agency(old).map(|c| c.get()), Some(140213));
        let zone = RegionCode::new(140171).expect("code");
        assert_eq!(d.handling_agency(zone).map(|c| c.get()), Some(140100));
        assert!(d.within(
            RegionCode::new(140105).expect("code"),
            RegionCode::new(140000).expect("code")
        ));
    }

    #[test]
    fn parse_codes() {
        assert!("14010".parse::<RegionCode>().is_err());
        assert!("990000".parse::<RegionCode>().is_err());
        assert_eq!(
            "140105".parse::<RegionCode>().map(|c| c.prefecture().get()),
            Ok(140100)
        );
    }
}

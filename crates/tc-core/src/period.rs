//! Calendar dates and year-month periods, without a clock: "today" is always passed in.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateError(pub String);
impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl std::error::Error for DateError {}

/// A proleptic Gregorian calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

pub fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

impl Date {
    pub fn new(year: i32, month: u8, day: u8) -> Result<Date, DateError> {
        if !(1..=9999).contains(&year) {
            return Err(DateError(crate::tr!("date-err-year", year = year)));
        }
        if !(1..=12).contains(&month) {
            return Err(DateError(crate::tr!("date-err-month", month = month)));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(DateError(crate::tr!(
                "date-err-day",
                month = format!("{year:04}-{month:02}"),
                day = day
            )));
        }
        Ok(Date { year, month, day })
    }
    pub fn year(self) -> i32 {
        self.year
    }
    pub fn month(self) -> u8 {
        self.month
    }
    pub fn day(self) -> u8 {
        self.day
    }
    pub fn period(self) -> Period {
        Period {
            year: self.year,
            month: self.month,
        }
    }
    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    pub fn days_since_epoch(self) -> i64 {
        let y = self.year as i64 - if self.month <= 2 { 1 } else { 0 };
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = self.month as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + self.day as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146097 + doe - 719468
    }
    pub fn from_days_since_epoch(z: i64) -> Date {
        let z = z + 719468;
        let era = if z >= 0 { z } else { z - 146096 } / 146097;
        let doe = z - era * 146097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        Date {
            year: (y + if m <= 2 { 1 } else { 0 }) as i32,
            month: m,
            day: d,
        }
    }
    pub fn add_days(self, n: i64) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() + n)
    }
    /// Days from `self` to `other` (positive when `other` is later).
    pub fn days_until(self, other: Date) -> i64 {
        other.days_since_epoch() - self.days_since_epoch()
    }
    /// Parse the compact form YYYYMMDD used inside ID numbers.
    pub fn parse_compact(s: &str) -> Result<Date, DateError> {
        if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DateError(crate::tr!(
                "date-err-compact",
                text = format!("{s:?}")
            )));
        }
        let n = |a: usize, b: usize| s[a..b].parse::<i32>().unwrap_or(0);
        Date::new(n(0, 4), n(4, 6) as u8, n(6, 8) as u8)
    }
}

impl FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Date, DateError> {
        let b = s.trim().as_bytes();
        let ok = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !ok {
            return Err(DateError(crate::tr!(
                "date-err-date",
                text = format!("{s:?}")
            )));
        }
        let t = s.trim();
        let y: i32 = t[0..4]
            .parse()
            .map_err(|_| DateError(crate::tr!("date-err-bad-year", text = format!("{s:?}"))))?;
        let m: u8 = t[5..7]
            .parse()
            .map_err(|_| DateError(crate::tr!("date-err-bad-month", text = format!("{s:?}"))))?;
        let d: u8 = t[8..10]
            .parse()
            .map_err(|_| DateError(crate::tr!("date-err-bad-day", text = format!("{s:?}"))))?;
        Date::new(y, m, d)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A calendar month, e.g. 2020-01: the unit of contributions, payrolls and fund-use plans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    month: u8,
}

impl Period {
    pub fn new(year: i32, month: u8) -> Result<Period, DateError> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(DateError(crate::tr!(
                "date-err-no-month",
                month = format!("{year:04}-{month:02}")
            )));
        }
        Ok(Period { year, month })
    }
    pub fn year(self) -> i32 {
        self.year
    }
    pub fn month(self) -> u8 {
        self.month
    }
    /// Months since year 0 (a dense, ordered index).
    pub fn index(self) -> i32 {
        self.year * 12 + self.month as i32 - 1
    }
    pub fn from_index(i: i32) -> Period {
        Period {
            year: i.div_euclid(12),
            month: (i.rem_euclid(12) + 1) as u8,
        }
    }
    pub fn add_months(self, n: i32) -> Period {
        Period::from_index(self.index() + n)
    }
    pub fn months_until(self, other: Period) -> i32 {
        other.index() - self.index()
    }
    pub fn first_day(self) -> Date {
        Date {
            year: self.year,
            month: self.month,
            day: 1,
        }
    }
    pub fn last_day(self) -> Date {
        Date {
            year: self.year,
            month: self.month,
            day: days_in_month(self.year, self.month),
        }
    }
    /// The given day of this month, clamped to the month's last day.
    pub fn day(self, d: u8) -> Date {
        Date {
            year: self.year,
            month: self.month,
            day: d.clamp(1, days_in_month(self.year, self.month)),
        }
    }
    /// Compact integer form YYYYMM, used in storage.
    pub fn yyyymm(self) -> i32 {
        self.year * 100 + self.month as i32
    }
    pub fn from_yyyymm(v: i32) -> Result<Period, DateError> {
        Period::new(v / 100, (v % 100) as u8)
    }
    /// Every period from `self` to `to`, inclusive.
    pub fn through(self, to: Period) -> impl Iterator<Item = Period> {
        (self.index()..=to.index()).map(Period::from_index)
    }
}

impl FromStr for Period {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Period, DateError> {
        let t = s.trim();
        let b = t.as_bytes();
        let ok = b.len() == 7
            && b[4] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || c.is_ascii_digit());
        if !ok {
            return Err(DateError(crate::tr!(
                "date-err-period",
                text = format!("{s:?}")
            )));
        }
        let y: i32 = t[0..4]
            .parse()
            .map_err(|_| DateError(crate::tr!("date-err-bad-year", text = format!("{s:?}"))))?;
        let m: u8 = t[5..7]
            .parse()
            .map_err(|_| DateError(crate::tr!("date-err-bad-month", text = format!("{s:?}"))))?;
        Period::new(y, m)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

macro_rules! serde_via_str {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
serde_via_str!(Date);
serde_via_str!(Period);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dates() {
        assert!("2019-02-29".parse::<Date>().is_err());
        assert!("2020-02-29".parse::<Date>().is_ok());
        assert!("2020-2-29".parse::<Date>().is_err());
        let d: Date = "1970-01-01".parse().expect("date");
        assert_eq!(d.days_since_epoch(), 0);
        let d: Date = "2000-03-01".parse().expect("date");
        assert_eq!(Date::from_days_since_epoch(d.days_since_epoch()), d);
        assert_eq!(d.add_days(-1).to_string(), "2000-02-29");
    }

    #[test]
    fn periods() {
        let p: Period = "2020-12".parse().expect("period");
        assert_eq!(p.add_months(1).to_string(), "2021-01");
        assert_eq!(p.add_months(-12).to_string(), "2019-12");
        assert!("2020-13".parse::<Period>().is_err());
        assert_eq!(p.last_day().to_string(), "2020-12-31");
        assert_eq!(
            Period::from_yyyymm(202002).map(|p| p.last_day().day()),
            Ok(29)
        );
    }

    proptest! {
        #[test]
        fn epoch_roundtrip(z in -700_000i64..2_900_000i64) {
            let d = Date::from_days_since_epoch(z);
            prop_assert_eq!(d.days_since_epoch(), z);
            prop_assert_eq!(d.to_string().parse::<Date>(), Ok(d));
        }
    }
}

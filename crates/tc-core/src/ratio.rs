//! Exact decimal ratios (rates, indices, coefficients) as scaled integers.
//!
//! A [`Ratio`] is an `i64` scaled by 10^8: 2.62% is `Ratio(2_620_000)`, an index of 1.1500 is
//! `Ratio(115_000_000)`, a late-fee rate of 0.05% a day is `Ratio(50_000)`. Parsing accepts plain
//! decimals ("0.0262", "1.15") and percentages ("2.62%"); more precision than 10^-8 is refused,
//! never rounded silently.

use crate::money::Fen;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub const RATIO_SCALE: i64 = 100_000_000;
const DIGITS: usize = 8;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ratio(pub i64);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RatioError(pub String);
impl fmt::Display for RatioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl std::error::Error for RatioError {}

impl Ratio {
    pub const ZERO: Ratio = Ratio(0);
    pub const ONE: Ratio = Ratio(RATIO_SCALE);
    pub const fn scaled(self) -> i64 {
        self.0
    }
    /// `amount × self`, rounded half-up to the fen.
    ///
    /// Panics only if the product leaves ±92 billion yuan × the ratio's range, which no amount
    /// and rate of this fund comes near; use [`Ratio::try_of`] where either comes from outside.
    pub fn of(self, amount: Fen) -> Fen {
        self.try_of(amount)
            .expect("amount × rate stays within the range of Fen")
    }
    /// `amount × self`, rounded half-up to the fen, or an overflow error.
    pub fn try_of(self, amount: Fen) -> Result<Fen, crate::money::MoneyError> {
        Fen::div_half_up(amount.fen() as i128 * self.0 as i128, RATIO_SCALE as i128)
    }
    /// As a percentage, for display: "2.62%" (shortest exact decimal). Any ratio at all:
    /// a typed one near the range's end once overflowed ×100 (found by the fuzzer).
    pub fn as_percent_string(self) -> String {
        // the percentage is the same digits with the decimal point two places later
        const PCT_SCALE: u64 = RATIO_SCALE as u64 / 100;
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        let (int, frac) = (a / PCT_SCALE, a % PCT_SCALE);
        if frac == 0 {
            return format!("{sign}{int}%");
        }
        let s = format!("{frac:06}");
        format!("{sign}{int}.{}%", s.trim_end_matches('0'))
    }
}

impl FromStr for Ratio {
    type Err = RatioError;
    fn from_str(s: &str) -> Result<Ratio, RatioError> {
        let t = s.trim();
        let (body, pct) = match t.strip_suffix('%') {
            Some(b) => (b.trim(), true),
            None => (t, false),
        };
        let (neg, body) = match body.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, body),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || (body.contains('.') && frac.is_empty())
        {
            return Err(RatioError(crate::tr!(
                "ratio-err-invalid",
                text = format!("{s:?}")
            )));
        }
        let digits = if pct { DIGITS - 2 } else { DIGITS };
        if frac.len() > digits {
            return Err(RatioError(crate::tr!(
                "ratio-err-decimals",
                text = format!("{s:?}"),
                digits = digits
            )));
        }
        let scale: i64 = if pct { RATIO_SCALE / 100 } else { RATIO_SCALE };
        let i: i64 = int
            .parse()
            .map_err(|_| RatioError(crate::tr!("ratio-err-range", text = format!("{s:?}"))))?;
        let mut f: i64 = 0;
        for (k, b) in frac.bytes().enumerate() {
            f += (b - b'0') as i64 * 10i64.pow((digits - 1 - k) as u32);
        }
        let v = i
            .checked_mul(scale)
            .and_then(|v| v.checked_add(f))
            .ok_or_else(|| RatioError(crate::tr!("ratio-err-range", text = format!("{s:?}"))))?;
        Ok(Ratio(if neg { -v } else { v }))
    }
}

impl fmt::Display for Ratio {
    /// Shortest exact decimal: "0.0262", "1.15", "0".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        let int = a / RATIO_SCALE as u64;
        let frac = a % RATIO_SCALE as u64;
        if frac == 0 {
            return write!(f, "{sign}{int}");
        }
        let s = format!("{frac:08}");
        write!(f, "{sign}{int}.{}", s.trim_end_matches('0'))
    }
}

impl Serialize for Ratio {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}
impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Ratio, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse() {
        assert_eq!("2.62%".parse::<Ratio>(), Ok(Ratio(2_620_000)));
        assert_eq!("0.0262".parse::<Ratio>(), Ok(Ratio(2_620_000)));
        assert_eq!("1.1500".parse::<Ratio>(), Ok(Ratio(115_000_000)));
        assert_eq!("0.05%".parse::<Ratio>(), Ok(Ratio(50_000)));
        assert_eq!("1.3%".parse::<Ratio>(), Ok(Ratio(1_300_000)));
        assert!("0.123456789".parse::<Ratio>().is_err());
        assert!("abc".parse::<Ratio>().is_err());
        assert_eq!(Ratio(2_620_000).to_string(), "0.0262");
        assert_eq!(Ratio(2_620_000).as_percent_string(), "2.62%");
        assert_eq!(Ratio(115_000_000).to_string(), "1.15");
    }

    #[test]
    fn percent_of_any_ratio() {
        // fuzz/corpus/amounts/crash-4e7a5f6b…: "9223372058.07" parses, ×100 overflowed
        let big = "9223372058.07".parse::<Ratio>().expect("in range");
        assert_eq!(big.as_percent_string(), "922337205807%");
        assert_eq!(
            Ratio(i64::MIN).as_percent_string(),
            "-9223372036854.775808%"
        );
        assert_eq!(Ratio(i64::MAX).as_percent_string(), "9223372036854.775807%");
        assert_eq!(Ratio(-50_000).as_percent_string(), "-0.05%");
        assert_eq!(Ratio(0).as_percent_string(), "0%");
        assert_eq!(Ratio(100_000_000).as_percent_string(), "100%");
    }

    #[test]
    fn of_rounds_half_up() {
        // 16% of 4,243.80 = 679.008 -> 679.01
        assert_eq!(
            "0.16".parse::<Ratio>().map(|r| r.of(Fen::new(424380))),
            Ok(Fen::new(67901))
        );
        // 8% of 0.06 = 0.0048 -> 0.00 ; 8% of 0.07 = 0.0056 -> 0.01
        assert_eq!(Ratio(8_000_000).of(Fen::new(6)), Fen::new(0));
        assert_eq!(Ratio(8_000_000).of(Fen::new(7)), Fen::new(1));
    }

    proptest! {
        #[test]
        fn roundtrip(v in -1_000_000_000_000i64..1_000_000_000_000i64) {
            prop_assert_eq!(Ratio(v).to_string().parse::<Ratio>(), Ok(Ratio(v)));
        }
    }
}

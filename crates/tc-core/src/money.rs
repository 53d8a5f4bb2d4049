//! Money as integer fen (分). Never floating point.
//!
//! `Fen` wraps an `i64`; all arithmetic is checked and returns `None`/an error on overflow.
//! Yuan strings ("1234.50", "-3", "0.5") are parsed exactly; more than two decimals is refused.
//! Rounding is always explicit: see [`div_round_half_up`] and [`Fen::round_to_yuan`].

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An amount of money in fen (0.01 yuan).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fen(i64);

/// Why a yuan string was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MoneyError {
    Empty,
    Invalid(String),
    TooManyDecimals(String),
    Overflow,
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoneyError::Empty => f.write_str(&crate::tr!("money-err-empty")),
            MoneyError::Invalid(s) => {
                f.write_str(&crate::tr!("money-err-invalid", text = format!("{s:?}")))
            }
            MoneyError::TooManyDecimals(s) => {
                f.write_str(&crate::tr!("money-err-decimals", text = format!("{s:?}")))
            }
            MoneyError::Overflow => f.write_str(&crate::tr!("money-err-overflow")),
        }
    }
}
impl std::error::Error for MoneyError {}

impl Fen {
    pub const ZERO: Fen = Fen(0);

    /// An amount given in fen (as stored in the database or carried in a file).
    pub const fn new(fen: i64) -> Fen {
        Fen(fen)
    }
    /// Whole yuan; panics on overflow (only for constants and test data: amounts from outside
    /// are parsed with [`str::parse`]).
    pub const fn from_yuan(yuan: i64) -> Fen {
        match yuan.checked_mul(100) {
            Some(f) => Fen(f),
            None => panic!("yuan amount out of range"),
        }
    }
    /// The amount in fen.
    pub const fn fen(self) -> i64 {
        self.0
    }
    /// `self + o`, or [`MoneyError::Overflow`].
    pub fn try_add(self, o: Fen) -> Result<Fen, MoneyError> {
        self.checked_add(o).ok_or(MoneyError::Overflow)
    }
    /// `self - o`, or [`MoneyError::Overflow`].
    pub fn try_sub(self, o: Fen) -> Result<Fen, MoneyError> {
        self.checked_sub(o).ok_or(MoneyError::Overflow)
    }
    /// Sum of an iterator, or [`MoneyError::Overflow`].
    pub fn try_sum<I: IntoIterator<Item = Fen>>(it: I) -> Result<Fen, MoneyError> {
        Fen::checked_sum(it).ok_or(MoneyError::Overflow)
    }
    /// `|self|`, or [`MoneyError::Overflow`] for the one amount with no positive counterpart.
    pub fn try_abs(self) -> Result<Fen, MoneyError> {
        self.0.checked_abs().map(Fen).ok_or(MoneyError::Overflow)
    }
    /// An exact quotient already rounded (by [`div_round_half_up`]) to the fen, or
    /// [`MoneyError::Overflow`] when it does not fit.
    pub fn from_i128(v: i128) -> Result<Fen, MoneyError> {
        i64::try_from(v).map(Fen).map_err(|_| MoneyError::Overflow)
    }
    /// `num / den` rounded half away from zero to the fen; `den` must be positive.
    pub fn div_half_up(num: i128, den: i128) -> Result<Fen, MoneyError> {
        Fen::from_i128(div_round_half_up(num, den))
    }
    /// Yuan with thousands separators and two decimals, as staff read amounts:
    /// "1,234,567.89", "-0.05". (Add " 元" where the unit is not said elsewhere.)
    pub fn grouped(self) -> String {
        let plain = self.to_string();
        let (sign, digits) = match plain.strip_prefix('-') {
            Some(d) => ("-", d),
            None => ("", plain.as_str()),
        };
        let (whole, cents) = digits.split_once('.').unwrap_or((digits, "00"));
        let mut out = String::with_capacity(plain.len() + whole.len() / 3);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        format!("{sign}{out}.{cents}")
    }
    /// An amount as staff type it: `12000000`, `12,000,000.00` or `12,000,000.00 元`
    /// (separators only where they group thousands; at most two decimals).
    pub fn parse_grouped(text: &str) -> Result<Fen, MoneyError> {
        let t = text.trim().trim_end_matches('元').trim();
        let (int, frac) = t.split_once('.').map_or((t, None), |(i, f)| (i, Some(f)));
        if int.contains(',') {
            let groups: Vec<&str> = int.trim_start_matches('-').split(',').collect();
            let ok = (1..=3).contains(&groups[0].len()) && groups[1..].iter().all(|g| g.len() == 3);
            if !ok {
                return Err(MoneyError::Invalid(text.to_string()));
            }
        }
        let plain = int.replace(',', "");
        match frac {
            Some(f) => format!("{plain}.{f}").parse(),
            None => plain.parse(),
        }
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
    pub fn checked_add(self, o: Fen) -> Option<Fen> {
        self.0.checked_add(o.0).map(Fen)
    }
    pub fn checked_sub(self, o: Fen) -> Option<Fen> {
        self.0.checked_sub(o.0).map(Fen)
    }
    pub fn checked_mul(self, k: i64) -> Option<Fen> {
        self.0.checked_mul(k).map(Fen)
    }
    pub fn checked_neg(self) -> Option<Fen> {
        self.0.checked_neg().map(Fen)
    }
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
    pub fn is_positive(self) -> bool {
        self.0 > 0
    }
    pub fn max(self, o: Fen) -> Fen {
        Fen(self.0.max(o.0))
    }
    pub fn min(self, o: Fen) -> Fen {
        Fen(self.0.min(o.0))
    }
    /// Round half-up (away from zero on .5) to the whole yuan.
    pub fn round_to_yuan(self) -> Fen {
        Fen(div_round_half_up(self.0 as i128, 100) as i64 * 100)
    }
    /// Sum of an iterator, `None` on overflow.
    pub fn checked_sum<I: IntoIterator<Item = Fen>>(it: I) -> Option<Fen> {
        it.into_iter().try_fold(Fen::ZERO, |a, b| a.checked_add(b))
    }
    /// Split `self` into parts proportional to `weights`, largest-remainder method:
    /// the parts always add up to `self` exactly (no fen created or lost).
    pub fn split_by_weights(self, weights: &[u64]) -> Vec<Fen> {
        let total: u128 = weights.iter().map(|&w| w as u128).sum();
        if weights.is_empty() {
            return Vec::new();
        }
        if total == 0 {
            let mut v = vec![Fen::ZERO; weights.len()];
            v[0] = self;
            return v;
        }
        let neg = self.0 < 0;
        let amount = self.0.unsigned_abs() as u128;
        let mut parts: Vec<(usize, u128, u128)> = weights
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                let num = amount * w as u128;
                (i, num / total, num % total)
            })
            .collect();
        let assigned: u128 = parts.iter().map(|p| p.1).sum();
        let mut left = amount - assigned;
        let mut order: Vec<usize> = (0..parts.len()).collect();
        order.sort_by(|&a, &b| parts[b].2.cmp(&parts[a].2).then(a.cmp(&b)));
        for i in order {
            if left == 0 {
                break;
            }
            parts[i].1 += 1;
            left -= 1;
        }
        parts
            .into_iter()
            .map(|(_, q, _)| {
                let v = q as i64;
                Fen(if neg { -v } else { v })
            })
            .collect()
    }
}

/// Integer division rounding half away from zero. `den` must be positive.
pub fn div_round_half_up(num: i128, den: i128) -> i128 {
    debug_assert!(den > 0);
    let q = num / den;
    let r = num % den;
    if 2 * r.abs() >= den {
        if num >= 0 { q + 1 } else { q - 1 }
    } else {
        q
    }
}

impl FromStr for Fen {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Fen, MoneyError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (neg, body) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        if int.is_empty() && frac.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || (body.contains('.') && frac.is_empty())
            || int.is_empty()
        {
            return Err(MoneyError::Invalid(s.to_string()));
        }
        if frac.len() > 2 {
            return Err(MoneyError::TooManyDecimals(s.to_string()));
        }
        // the magnitude in i128, the sign applied before the range check: the most negative
        // amount, -92233720368547758.08, prints and parses back (found by the fuzzer)
        let yuan: i128 = int.parse().map_err(|_| MoneyError::Overflow)?;
        let mut fen: i128 = 0;
        for (i, b) in frac.bytes().enumerate() {
            fen += i128::from(b - b'0') * if i == 0 { 10 } else { 1 };
        }
        let v = yuan
            .checked_mul(100)
            .and_then(|y| y.checked_add(fen))
            .ok_or(MoneyError::Overflow)?;
        let v = if neg { -v } else { v };
        i64::try_from(v).map(Fen).map_err(|_| MoneyError::Overflow)
    }
}

impl fmt::Display for Fen {
    /// Yuan with exactly two decimals: "1234.50", "-0.05".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

impl Serialize for Fen {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}
impl<'de> Deserialize<'de> for Fen {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Fen, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn grouped_amounts_parse_with_or_without_separators() {
        for (text, fen) in [
            ("12000000", 1_200_000_000),
            ("12,000,000.00", 1_200_000_000),
            ("12,000,000.00 元", 1_200_000_000),
            ("1,234.5", 123_450),
            ("-1,234.56", -123_456),
        ] {
            assert_eq!(Fen::parse_grouped(text), Ok(Fen(fen)), "{text}");
        }
        for bad in ["12,00,000", "1,2345", "abc", "", "1.234"] {
            assert!(Fen::parse_grouped(bad).is_err(), "{bad}");
        }
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_amount_parses_back_from_its_text() {
        // fuzz/corpus/amounts/crash-fen-min-round-trip: i64::MIN fen printed, then refused
        for v in [i64::MIN, i64::MIN + 1, i64::MAX, -1, 0] {
            let f = Fen(v);
            assert_eq!(f.to_string().parse::<Fen>(), Ok(f), "{v}");
            assert_eq!(Fen::parse_grouped(&f.grouped()), Ok(f), "{v}");
        }
        assert_eq!(
            "92233720368547758.08".parse::<Fen>(),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            "-92233720368547758.09".parse::<Fen>(),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            "1000000000000000000000000000000000000000".parse::<Fen>(),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn grouped_yuan() {
        assert_eq!(Fen::new(123_456_789).grouped(), "1,234,567.89");
        assert_eq!(Fen::new(-5).grouped(), "-0.05");
        assert_eq!(Fen::new(100_000).grouped(), "1,000.00");
        assert_eq!(Fen::new(99_999).grouped(), "999.99");
        assert_eq!(Fen::new(i64::MIN).grouped(), "-92,233,720,368,547,758.08");
    }

    #[test]
    fn parse_and_print() {
        assert_eq!("1234.50".parse::<Fen>(), Ok(Fen(123450)));
        assert_eq!("1234.5".parse::<Fen>(), Ok(Fen(123450)));
        assert_eq!("0.05".parse::<Fen>(), Ok(Fen(5)));
        assert_eq!("-3".parse::<Fen>(), Ok(Fen(-300)));
        assert_eq!(Fen(123450).to_string(), "1234.50");
        assert_eq!(Fen(-5).to_string(), "-0.05");
        assert!(matches!(
            "1.234".parse::<Fen>(),
            Err(MoneyError::TooManyDecimals(_))
        ));
        assert!("abc".parse::<Fen>().is_err());
        assert!("1.".parse::<Fen>().is_err());
        assert!(".5".parse::<Fen>().is_err());
        assert!("".parse::<Fen>().is_err());
        assert!("1e3".parse::<Fen>().is_err());
        assert!("99999999999999999999".parse::<Fen>().is_err());
    }

    #[test]
    fn rounding() {
        assert_eq!(div_round_half_up(5, 10), 1);
        assert_eq!(div_round_half_up(4, 10), 0);
        assert_eq!(div_round_half_up(-5, 10), -1);
        assert_eq!(div_round_half_up(-4, 10), 0);
        assert_eq!(Fen(424380).round_to_yuan(), Fen(424400));
        assert_eq!(Fen(424349).round_to_yuan(), Fen(424300));
        assert_eq!(Fen(424350).round_to_yuan(), Fen(424400));
    }

    #[test]
    fn split_exact() {
        assert_eq!(
            Fen(100).split_by_weights(&[1, 1, 1]),
            vec![Fen(34), Fen(33), Fen(33)]
        );
        assert_eq!(
            Fen(-100).split_by_weights(&[1, 1, 1]),
            vec![Fen(-34), Fen(-33), Fen(-33)]
        );
        assert_eq!(Fen(7).split_by_weights(&[0, 0]), vec![Fen(7), Fen(0)]);
    }

    proptest! {
        #[test]
        fn roundtrip(v in -10_000_000_000_000i64..10_000_000_000_000i64) {
            let f = Fen(v);
            prop_assert_eq!(f.to_string().parse::<Fen>(), Ok(f));
        }

        #[test]
        fn split_never_creates_or_loses(v in -1_000_000_000_000i64..1_000_000_000_000i64,
                                        w in proptest::collection::vec(0u64..1_000_000, 1..20)) {
            let parts = Fen(v).split_by_weights(&w);
            prop_assert_eq!(parts.len(), w.len());
            prop_assert_eq!(Fen::checked_sum(parts), Some(Fen(v)));
        }
    }
}

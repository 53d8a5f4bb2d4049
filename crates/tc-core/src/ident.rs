//! Identifiers: resident ID numbers (GB 11643-1999) and unified social credit codes (GB 32100-2015).

use crate::period::{Date, DateError};
use crate::region::{RegionCode, gbt2260_known};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdError(pub String);
impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl std::error::Error for IdError {}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// The ISO 7064 MOD 11-2 check character of the first 17 digits.
pub fn id_check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let s: u32 = first17
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(d, w)| (d - b'0') as u32 * w)
        .sum();
    Some(ID_CHECK[(s % 11) as usize])
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

/// A valid 18-character resident ID number (legacy 15-digit numbers are upgraded on parse).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber([u8; 18]);

impl IdNumber {
    /// Parse and fully check an ID number. `today` bounds the birth date.
    pub fn parse(input: &str, today: Date) -> Result<IdNumber, IdError> {
        let s = input.trim();
        let b = s.as_bytes();
        let mut out = [0u8; 18];
        match b.len() {
            18 => {
                if let Some(p) = b[..17].iter().position(|c| !c.is_ascii_digit()) {
                    return Err(IdError(crate::tr!(
                        "id-err-digit",
                        n = p + 1,
                        got = format!("{:?}", b[p] as char)
                    )));
                }
                let last = b[17].to_ascii_uppercase();
                if !(last.is_ascii_digit() || last == b'X') {
                    return Err(IdError(crate::tr!(
                        "id-err-check-char",
                        got = format!("{:?}", b[17] as char)
                    )));
                }
                out[..17].copy_from_slice(&b[..17]);
                out[17] = last;
                if b[17] == b'x' {
                    return Err(IdError(crate::tr!("id-err-upper-x")));
                }
            }
            15 => {
                if let Some(p) = b.iter().position(|c| !c.is_ascii_digit()) {
                    return Err(IdError(crate::tr!(
                        "id-err-digit",
                        n = p + 1,
                        got = format!("{:?}", b[p] as char)
                    )));
                }
                out[..6].copy_from_slice(&b[..6]);
                out[6..8].copy_from_slice(b"19");
                out[8..17].copy_from_slice(&b[6..15]);
                out[17] = id_check_char(&out[..17]).unwrap_or(b'0');
            }
            n => {
                return Err(IdError(crate::tr!("id-err-length", n = n)));
            }
        }
        let code: u32 = std::str::from_utf8(&out[..6])
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        if !gbt2260_known(code) {
            return Err(IdError(crate::tr!(
                "id-err-area",
                code = format!("{code:06}")
            )));
        }
        let ds = std::str::from_utf8(&out[6..14]).unwrap_or("");
        let birth = Date::parse_compact(ds)
            .map_err(|DateError(e)| IdError(crate::tr!("id-err-birth", error = e)))?;
        if birth > today {
            return Err(IdError(crate::tr!("id-err-birth-future", birth = birth)));
        }
        if birth.year() < 1880 {
            return Err(IdError(crate::tr!("id-err-birth-1880", birth = birth)));
        }
        if &out[14..17] == b"000" {
            return Err(IdError(crate::tr!("id-err-sequence")));
        }
        let expect = id_check_char(&out[..17]).unwrap_or(b'?');
        if out[17] != expect {
            return Err(IdError(crate::tr!(
                "id-err-check",
                got = format!("{:?}", out[17] as char),
                want = format!("{:?}", expect as char)
            )));
        }
        Ok(IdNumber(out))
    }

    /// Build from trusted parts (the synthetic generator); computes the check character.
    pub fn from_parts(address: RegionCode, birth: Date, seq: u16) -> IdNumber {
        let s = format!(
            "{:06}{:04}{:02}{:02}{:03}",
            address.get(),
            birth.year(),
            birth.month(),
            birth.day(),
            seq % 1000
        );
        let mut out = [0u8; 18];
        out[..17].copy_from_slice(s.as_bytes());
        out[17] = id_check_char(&out[..17]).unwrap_or(b'0');
        IdNumber(out)
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }
    pub fn address_code(&self) -> u32 {
        self.as_str()[..6].parse().unwrap_or(0)
    }
    pub fn birth(&self) -> Date {
        Date::parse_compact(&self.as_str()[6..14])
            .unwrap_or_else(|_| Date::from_days_since_epoch(0))
    }
    pub fn sex(&self) -> Sex {
        if (self.0[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }
    /// Display form for roles that may not see the full number: first 6 + last 4.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.as_str()[..6], &self.as_str()[14..])
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl fmt::Debug for IdNumber {
    /// Debug output never leaks a full ID number into logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

const CC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const CC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

fn cc_value(c: u8) -> Option<u32> {
    CC_CHARS.iter().position(|&x| x == c).map(|p| p as u32)
}

/// The GB 32100 check character of the first 17 characters.
pub fn credit_code_check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 {
        return None;
    }
    let mut s = 0u32;
    for (c, w) in first17.iter().zip(CC_WEIGHTS) {
        s += cc_value(*c)? * w;
    }
    Some(CC_CHARS[((31 - s % 31) % 31) as usize])
}

/// The GB 11714 organisation-code check character of its first 8 characters.
pub fn org_code_check_char(first8: &[u8]) -> Option<u8> {
    if first8.len() != 8 {
        return None;
    }
    let mut s = 0u32;
    for (c, w) in first8.iter().zip(ORG_WEIGHTS) {
        let v = match c {
            b'0'..=b'9' => (c - b'0') as u32,
            b'A'..=b'Z' => (c - b'A') as u32 + 10,
            _ => return None,
        };
        s += v * w;
    }
    Some(match 11 - s % 11 {
        10 => b'X',
        11 => b'0',
        d => b'0' + d as u8,
    })
}

/// A valid unified social credit code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode([u8; 18]);

impl CreditCode {
    pub fn parse(input: &str) -> Result<CreditCode, IdError> {
        let s = input.trim();
        let b = s.as_bytes();
        if b.len() != 18 {
            return Err(IdError(crate::tr!(
                "credit-err-length",
                n = s.chars().count()
            )));
        }
        if let Some(p) = b.iter().position(|c| cc_value(*c).is_none()) {
            return Err(IdError(crate::tr!(
                "credit-err-char",
                n = p + 1,
                got = format!("{:?}", s.chars().nth(p).unwrap_or('?'))
            )));
        }
        if !b[2..8].iter().all(u8::is_ascii_digit) {
            return Err(IdError(crate::tr!("credit-err-area")));
        }
        let expect = org_code_check_char(&b[8..16]);
        if expect != Some(b[16]) {
            return Err(IdError(crate::tr!(
                "credit-err-org",
                code = &s[8..17],
                got = format!("{:?}", b[16] as char),
                want = format!("{:?}", expect.map(|c| c as char).unwrap_or('?'))
            )));
        }
        let check = credit_code_check_char(&b[..17]);
        if check != Some(b[17]) {
            return Err(IdError(crate::tr!(
                "credit-err-check",
                got = format!("{:?}", b[17] as char),
                want = format!("{:?}", check.map(|c| c as char).unwrap_or('?'))
            )));
        }
        let mut out = [0u8; 18];
        out.copy_from_slice(b);
        Ok(CreditCode(out))
    }

    /// Build from a registration area and an 8-character organisation body (generator use).
    /// Returns `None` if the body has characters outside the organisation-code set.
    pub fn from_parts(
        authority: u8,
        category: u8,
        area: RegionCode,
        org8: &[u8; 8],
    ) -> Option<CreditCode> {
        let mut out = [0u8; 18];
        out[0] = authority;
        out[1] = category;
        out[2..8].copy_from_slice(format!("{:06}", area.get()).as_bytes());
        out[8..16].copy_from_slice(org8);
        out[16] = org_code_check_char(org8)?;
        out[17] = credit_code_check_char(&out[..17])?;
        CreditCode::parse(std::str::from_utf8(&out).ok()?).ok()
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}
impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl fmt::Debug for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CreditCode({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> Date {
        Date::new(2026, 11, 27).expect("date")
    }

    #[test]
    fn known_ids() {
        let id = IdNumber::parse("11010519491231002X", today()).expect("valid");
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.birth().to_string(), "1949-12-31");
        assert_eq!(id.masked(), "110105********002X");
        assert!(IdNumber::parse("440524188001010014", today()).is_ok());
        assert!(IdNumber::parse("110105194912310021", today()).is_err());
        assert!(IdNumber::parse("11010519491231002x", today()).is_err());
        assert!(IdNumber::parse("110105194902300020", today()).is_err());
        assert!(IdNumber::parse("99010519491231002X", today()).is_err());
    }

    #[test]
    fn legacy_upgrade() {
        // 15-digit 110105491231002 -> 11010519491231002X
        let id = IdNumber::parse("110105491231002", today()).expect("valid");
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn future_birth_refused() {
        let e = IdNumber::from_parts(
            RegionCode::new(140105).expect("c"),
            Date::new(2027, 1, 1).expect("d"),
            11,
        );
        assert!(
            IdNumber::parse(e.as_str(), today())
                .unwrap_err()
                .0
                .contains("晚于今天")
        );
    }

    #[test]
    fn credit_codes() {
        for ok in [
            "91350100M000100Y43",
            "91110000600037341L",
            "9144030071526726XG",
        ] {
            assert!(CreditCode::parse(ok).is_ok(), "{ok}");
        }
        assert!(CreditCode::parse("91350100M000100Y44").is_err());
        assert!(CreditCode::parse("91350100M000100Y4").is_err());
        assert!(CreditCode::parse("91350100M0001O0Y43").is_err());
        let c =
            CreditCode::from_parts(b'9', b'1', RegionCode::new(140105).expect("c"), b"MA0K7Q2L");
        assert!(c.is_some());
    }

    proptest! {
        #[test]
        fn any_single_change_is_refused(addr in prop::sample::select(vec![140105u32, 140202, 140213, 141102, 110105]),
                                        days in -20000i64..20000, seq in 1u16..999,
                                        pos in 0usize..18, ch in 0usize..11) {
            let birth = Date::from_days_since_epoch(days);
            let id = IdNumber::from_parts(RegionCode::new(addr).expect("c"), birth, seq);
            prop_assert!(IdNumber::parse(id.as_str(), today()).is_ok());
            let mut b = id.as_str().as_bytes().to_vec();
            let alphabet = b"0123456789X";
            let new = alphabet[ch];
            prop_assume!(new != b[pos]);
            prop_assume!(pos == 17 || new != b'X');
            b[pos] = new;
            let s = String::from_utf8(b).expect("ascii");
            prop_assert!(IdNumber::parse(&s, today()).is_err(), "{} accepted", s);
        }

        #[test]
        fn credit_code_single_change_refused(org in "[0-9A-HJ-NPQRTUWXY]{8}", pos in 0usize..18, ch in 0usize..31) {
            let org8: [u8; 8] = org.as_bytes().try_into().expect("8");
            let Some(c) = CreditCode::from_parts(b'9', b'1', RegionCode::new(140105).expect("c"), &org8) else {
                return Ok(()); // bodies whose GB 11714 check is not in the 31-character set
            };
            let mut b = c.as_str().as_bytes().to_vec();
            let new = CC_CHARS[ch];
            prop_assume!(new != b[pos]);
            b[pos] = new;
            let s = String::from_utf8(b).expect("ascii");
            prop_assert!(CreditCode::parse(&s).is_err(), "{} accepted", s);
        }
    }
}

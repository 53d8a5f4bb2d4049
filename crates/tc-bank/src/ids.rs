//! Identifiers on bank files: message ids, end-to-end ids, BICs, CNAPS codes, account numbers.
//!
//! Message and end-to-end ids are *derived*, never drawn: the same batch or payment always gets
//! the same id, so a monthly cycle that is killed and resumed writes byte-identical files, and a
//! bank that receives a file twice sees the same ids twice (and refuses the duplicate).

use crate::BankError;
use sha2::{Digest, Sha256};
use std::fmt;
use tongchou_core::{Period, RegionCode};

/// Crockford's base-32 alphabet: digits and upper-case letters without I, L, O, U.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `MsgId` of a pain.001 file: `TC` + county code (6) + period `yyyymm` (6) + batch sequence (4),
/// e.g. `TC1401052020010001`. Unique as long as each (county, period) numbers its batches once,
/// which [`crate::plan_batches`] does given the next free sequence.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(String);

impl MessageId {
    pub fn new(county: RegionCode, period: Period, sequence: u16) -> Result<MessageId, BankError> {
        if !(1..=9999).contains(&sequence) {
            return Err(BankError::Sequence(format!(
                "{sequence} is outside 1..=9999"
            )));
        }
        Ok(MessageId(format!(
            "TC{county}{:06}{sequence:04}",
            period.yyyymm()
        )))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The `PmtInfId` of the file's single payment-information block: the message id + `-1`.
    pub fn payment_info_id(&self) -> String {
        payment_info_id_of(&self.0)
    }
}

/// The `PmtInfId` this crate writes for the message `message_id` (as stored): `message_id` + `-1`.
pub fn payment_info_id_of(message_id: &str) -> String {
    format!("{message_id}-1")
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The business key of one payment: who is paid what, for which month, and which attempt.
///
/// `item` names the benefit item (e.g. `BP` basic pension, `ARR` arrears of an adjustment, `FUN`
/// funeral grant, `SUR` survivor pension, `REF` account refund): 1 to 8 ASCII letters or digits.
/// `payee` is the payee's stable reference in our records (a pension number, a person id): 1 to
/// 64 printable ASCII characters; it only enters a hash, never the file. `attempt` is 0 for the
/// first issue and counts re-issues of the same payment after a reject (up to 99).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PaymentKey<'a> {
    pub county: RegionCode,
    pub period: Period,
    pub item: &'a str,
    pub payee: &'a str,
    pub attempt: u8,
}

/// `EndToEndId` of one payment: county (6) + `yyyymm` (6) + attempt (2) + 18 base-32 characters
/// of SHA-256 over the whole key (90 bits), 32 characters in all, e.g.
/// `14010520200100` + `7K3M...`. Readable where it helps (whose county, which month, which
/// attempt), opaque where it must be (no personal data on the wire).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EndToEndId(String);

impl EndToEndId {
    pub fn derive(key: &PaymentKey<'_>) -> Result<EndToEndId, BankError> {
        if key.item.is_empty()
            || key.item.len() > 8
            || !key.item.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(BankError::Key(format!(
                "item {:?}: 1 to 8 ASCII letters or digits",
                key.item
            )));
        }
        if key.payee.is_empty()
            || key.payee.len() > 64
            || !key.payee.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(BankError::Key(format!(
                "payee reference {:?}: 1 to 64 printable ASCII characters",
                key.payee
            )));
        }
        if key.attempt > 99 {
            return Err(BankError::Key(format!(
                "attempt {} is above 99",
                key.attempt
            )));
        }
        // Fields are separated by a byte that cannot occur in any of them.
        let mut h = Sha256::new();
        h.update(b"tongchou-e2e-v1\x1f");
        h.update(key.county.to_string().as_bytes());
        h.update(b"\x1f");
        h.update(key.period.to_string().as_bytes());
        h.update(b"\x1f");
        h.update(key.item.as_bytes());
        h.update(b"\x1f");
        h.update(key.payee.as_bytes());
        h.update(b"\x1f");
        h.update(key.attempt.to_string().as_bytes());
        let digest = h.finalize();
        Ok(EndToEndId(format!(
            "{}{:06}{:02}{}",
            key.county,
            key.period.yyyymm(),
            key.attempt,
            base32_prefix(&digest, 18)
        )))
    }

    /// Accept an end-to-end id made elsewhere (e.g. kept in our store): 1 to 35 ASCII letters,
    /// digits or `-`, as every bank accepts.
    pub fn from_stored(s: &str) -> Result<EndToEndId, BankError> {
        if s.is_empty()
            || s.len() > 35
            || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(BankError::Key(format!(
                "end-to-end id {s:?}: 1 to 35 letters, digits or '-'"
            )));
        }
        Ok(EndToEndId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EndToEndId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The first `n` base-32 characters of `bytes` (5 bits each, most significant first).
fn base32_prefix(bytes: &[u8], n: usize) -> String {
    let mut out = String::with_capacity(n);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(CROCKFORD[((acc >> bits) & 31) as usize] as char);
            if out.len() == n {
                return out;
            }
        }
        acc &= (1 << bits) - 1;
    }
    out
}

/// A bank's ISO 9362 business identifier code (BIC), 8 or 11 characters:
/// bank (4 letters or digits), country (2 letters), location (2), optional branch (3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Bic(String);

impl Bic {
    pub fn parse(s: &str) -> Result<Bic, BankError> {
        let b = s.as_bytes();
        let upper_alnum = |c: &u8| c.is_ascii_uppercase() || c.is_ascii_digit();
        let ok = (b.len() == 8 || b.len() == 11)
            && b[..4].iter().all(upper_alnum)
            && b[4..6].iter().all(|c| c.is_ascii_uppercase())
            && b[6..].iter().all(upper_alnum);
        if ok {
            Ok(Bic(s.to_string()))
        } else {
            Err(BankError::Bic(s.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A bank's 12-digit CNAPS code (支付系统行号), its member id in China's national payment system.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cnaps(String);

impl Cnaps {
    pub fn parse(s: &str) -> Result<Cnaps, BankError> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Cnaps(s.to_string()))
        } else {
            Err(BankError::Cnaps(s.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A domestic bank account number: 6 to 34 ASCII digits (Chinese personal accounts and cards
/// have 16 to 19, agency accounts 12 to 25; 34 is ISO 20022's limit).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountNumber(String);

impl AccountNumber {
    pub fn parse(s: &str) -> Result<AccountNumber, BankError> {
        if (6..=34).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(AccountNumber(s.to_string()))
        } else {
            Err(BankError::Account(s.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn county() -> RegionCode {
        RegionCode::new(140105).unwrap()
    }
    fn period() -> Period {
        Period::new(2020, 1).unwrap()
    }

    #[test]
    fn message_ids() {
        let m = MessageId::new(county(), period(), 1).unwrap();
        assert_eq!(m.as_str(), "TC1401052020010001");
        assert_eq!(m.payment_info_id(), "TC1401052020010001-1");
        assert!(m.as_str().len() <= 35 && m.payment_info_id().len() <= 35);
        assert!(MessageId::new(county(), period(), 0).is_err());
        assert!(MessageId::new(county(), period(), 10000).is_err());
        assert_ne!(m, MessageId::new(county(), period(), 2).unwrap());
        assert_ne!(
            m,
            MessageId::new(county(), Period::new(2020, 2).unwrap(), 1).unwrap()
        );
    }

    #[test]
    fn end_to_end_ids_are_deterministic_and_shaped() {
        let key = PaymentKey {
            county: county(),
            period: period(),
            item: "BP",
            payee: "140105195501011234",
            attempt: 0,
        };
        let a = EndToEndId::derive(&key).unwrap();
        assert_eq!(a, EndToEndId::derive(&key).unwrap());
        assert_eq!(a.as_str().len(), 32);
        assert!(a.as_str().starts_with("14010520200100"));
        assert!(a.as_str().bytes().all(|b| CROCKFORD.contains(&b)));
        let again = EndToEndId::derive(&PaymentKey { attempt: 1, ..key }).unwrap();
        assert!(again.as_str().starts_with("14010520200101"));
        assert_ne!(a, again);
        assert_ne!(
            a,
            EndToEndId::derive(&PaymentKey { item: "ARR", ..key }).unwrap()
        );
        assert!(EndToEndId::derive(&PaymentKey { item: "", ..key }).is_err());
        assert!(EndToEndId::derive(&PaymentKey { item: "B-P", ..key }).is_err());
        assert!(
            EndToEndId::derive(&PaymentKey {
                payee: "a b",
                ..key
            })
            .is_err()
        );
        assert!(
            EndToEndId::derive(&PaymentKey {
                payee: "张三",
                ..key
            })
            .is_err()
        );
        assert!(
            EndToEndId::derive(&PaymentKey {
                attempt: 100,
                ..key
            })
            .is_err()
        );
        assert_eq!(EndToEndId::from_stored(a.as_str()), Ok(a));
        assert!(EndToEndId::from_stored("a&b").is_err());
        assert!(EndToEndId::from_stored(&"A".repeat(36)).is_err());
    }

    #[test]
    fn base32_known_values() {
        assert_eq!(base32_prefix(&[0xff, 0xff], 3), "ZZZ");
        assert_eq!(base32_prefix(&[0x00, 0x00], 3), "000");
        // 0b00001_00010_00011_... from 0x08 0x86
        assert_eq!(base32_prefix(&[0x08, 0x86], 3), "123");
    }

    #[test]
    fn bank_identifiers() {
        assert!(Bic::parse("ICBKCNBJ").is_ok());
        assert!(Bic::parse("ICBKCNBJSXI").is_ok());
        assert!(Bic::parse("ICBKCNB").is_err());
        assert!(Bic::parse("ICBK1NBJ").is_err());
        assert!(Bic::parse("icbkcnbj").is_err());
        assert!(Bic::parse("ICBKCNBJSX").is_err());
        assert!(Cnaps::parse("102161000010").is_ok());
        assert!(Cnaps::parse("10216100001").is_err());
        assert!(Cnaps::parse("10216100001X").is_err());
        assert!(AccountNumber::parse("6222020200000000001").is_ok());
        assert!(AccountNumber::parse("12345").is_err());
        assert!(AccountNumber::parse("6222 0202").is_err());
        assert!(AccountNumber::parse(&"1".repeat(35)).is_err());
    }

    proptest! {
        #[test]
        fn distinct_keys_get_distinct_ids(payees in proptest::collection::hash_set("[0-9A-Z]{1,18}", 1..300),
                                          attempt in 0u8..100) {
            let mut seen = HashSet::new();
            for p in &payees {
                let id = EndToEndId::derive(&PaymentKey {
                    county: county(), period: period(), item: "BP", payee: p, attempt,
                }).unwrap();
                prop_assert!(id.as_str().len() <= 35);
                prop_assert!(seen.insert(id));
            }
        }
    }
}

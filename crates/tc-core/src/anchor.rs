//! An anchor: the sequence number and hash of one entry of a hash chain (the audit log, the
//! fund ledger's journal), published outside the database (in the month-end report, with the
//! auditors). A chain that was truncated or rebuilt since no longer carries it.

use std::fmt;
use std::str::FromStr;

/// `SEQ:HASH`, the hash as 64 lowercase hex digits, after the tag `sm3:` on an SM3 chain
/// (`7:sm3:ab…`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
}

impl FromStr for Anchor {
    type Err = String;
    fn from_str(s: &str) -> Result<Anchor, String> {
        let bad = || crate::tr!("anchor-err", text = format!("{s:?}"));
        let (seq, tagged) = s.trim().split_once(':').ok_or_else(bad)?;
        let seq: i64 = seq.parse().map_err(|_| bad())?;
        let (tag, hash) = match tagged.strip_prefix("sm3:") {
            Some(h) => ("sm3:", h),
            None => ("", tagged),
        };
        if seq < 0 || hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(Anchor {
            seq,
            hash: format!("{tag}{}", hash.to_ascii_lowercase()),
        })
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl Anchor {
    /// Whether a chain whose last entry is `head_seq`, and whose entry `self.seq` now has the
    /// hash `stored` (if it exists), still carries this anchor; why not otherwise.
    pub fn check(&self, head_seq: i64, stored: Option<&str>) -> Result<(), String> {
        if self.seq > head_seq {
            return Err(crate::tr!(
                "ledger-chk-anchor-removed",
                head = head_seq,
                seq = self.seq
            ));
        }
        match stored {
            Some(h) if h.eq_ignore_ascii_case(&self.hash) => Ok(()),
            _ => Err(crate::tr!(
                "ledger-chk-anchor-rebuilt",
                seq = self.seq,
                hash = self.hash
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_check() {
        let h = "ab".repeat(32);
        let a: Anchor = format!("7:{}", h.to_uppercase()).parse().expect("anchor");
        assert_eq!(a.to_string(), format!("7:{h}"));
        assert!(a.check(9, Some(&h)).is_ok());
        let sm3: Anchor = format!("7:sm3:{h}").parse().expect("sm3 anchor");
        assert_eq!(sm3.hash, format!("sm3:{h}"));
        assert_eq!(sm3.to_string(), format!("7:sm3:{h}"));
        assert!("7:md5:00".parse::<Anchor>().is_err());
        assert!(
            a.check(6, None)
                .expect_err("truncated")
                .contains("末尾的记录被删除")
        );
        assert!(
            a.check(9, Some(&"cd".repeat(32)))
                .expect_err("rebuilt")
                .contains("哈希链被重建")
        );
        for bad in [
            "7",
            "x:ab",
            "7:abc",
            "-1:00",
            &format!("7:{}", "g".repeat(64)),
        ] {
            assert!(bad.parse::<Anchor>().is_err(), "{bad}");
        }
    }
}

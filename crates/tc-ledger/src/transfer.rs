//! Transfers: what a caller asks for ([`Request`]), what the ledger records ([`Transfer`]), the
//! person-level lines a transfer aggregates ([`Line`], [`LinesSummary`]), and the canonical byte
//! encoding and hash chain of the journal ([`JournalEntry`]): SM3 or SHA-256, the algorithm
//! recorded with every entry (its stored hash carries the tag, `tongchou_crypto::hash`).

use crate::chart::AccountId;
use serde::Serialize;
use std::fmt;
use tongchou_core::{Date, Fen};
use tongchou_crypto::hash::{HashAlg, Hasher};

/// What a transfer does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Debit and credit at once (single phase).
    Post,
    /// Reserve: the amount counts against limits but is not yet posted.
    Pending,
    /// Post a pending transfer, in full or in part; the rest of the reservation is released.
    PostPending,
    /// Release a pending transfer without posting anything.
    VoidPending,
    /// Undo (part of) a posted transfer by moving the amount back: debit and credit swapped.
    Reverse,
}

impl Op {
    pub fn code(self) -> i64 {
        match self {
            Op::Post => 0,
            Op::Pending => 1,
            Op::PostPending => 2,
            Op::VoidPending => 3,
            Op::Reverse => 4,
        }
    }
    pub fn from_code(c: i64) -> Option<Op> {
        Some(match c {
            0 => Op::Post,
            1 => Op::Pending,
            2 => Op::PostPending,
            3 => Op::VoidPending,
            4 => Op::Reverse,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Post => "post",
            Op::Pending => "pending",
            Op::PostPending => "post_pending",
            Op::VoidPending => "void_pending",
            Op::Reverse => "reverse",
        }
    }
    /// Whether the transfer moves posted balances.
    pub fn posts(self) -> bool {
        matches!(self, Op::Post | Op::PostPending | Op::Reverse)
    }
    /// Whether the transfer refers to an earlier one.
    pub fn has_target(self) -> bool {
        matches!(self, Op::PostPending | Op::VoidPending | Op::Reverse)
    }
}

/// A 32-byte digest (SHA-256 or SM3; the algorithm travels beside it).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    pub const ZERO: Hash = Hash([0; 32]);
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(char::from(b"0123456789abcdef"[(b >> 4) as usize]));
            s.push(char::from(b"0123456789abcdef"[(b & 15) as usize]));
        }
        s
    }
    /// The digest as stored: the algorithm's tag (none for SHA-256, `sm3:`), then hex.
    pub fn to_tagged(&self, alg: HashAlg) -> String {
        alg.tagged_hex(&self.0)
    }
    /// A stored digest and the algorithm its tag names.
    pub fn from_tagged(s: &str) -> Option<(HashAlg, Hash)> {
        let (alg, hex) = tongchou_crypto::hash::split_tagged(s);
        Some((alg, Hash::from_hex(hex)?))
    }
    pub fn from_hex(s: &str) -> Option<Hash> {
        let b = s.as_bytes();
        if b.len() != 64 {
            return None;
        }
        let nib = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = nib(b[2 * i])? << 4 | nib(b[2 * i + 1])?;
        }
        Some(Hash(out))
    }
}
impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_hex())
    }
}
impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_hex())
    }
}
impl Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

/// One person-level line aggregated into a transfer (a contribution of one person, a payment
/// to one pensioner). Its position in the slice is its line number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    /// The person (or employer) the line belongs to: an application id.
    pub person: i64,
    /// A positive amount.
    pub amount: Fen,
}

/// Count, total and digest of the lines of one transfer. The digest goes into the transfer's
/// hash, so changing, adding or dropping a stored line breaks the chain check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LinesSummary {
    pub count: u64,
    pub total: Fen,
    pub digest: Hash,
}

/// Incremental digest of lines, so a checker can stream millions of them.
pub struct LinesHasher {
    h: Hasher,
    count: u64,
    total: i64,
    overflow: bool,
    nonpositive: bool,
}

impl Default for LinesHasher {
    fn default() -> Self {
        let mut h = HashAlg::Sha256.hasher();
        h.update(b"TCLN1");
        LinesHasher {
            h,
            count: 0,
            total: 0,
            overflow: false,
            nonpositive: false,
        }
    }
}

impl LinesHasher {
    pub fn push(&mut self, line: &Line) {
        let mut buf = [0u8; 16];
        buf[..8].copy_from_slice(&line.person.to_be_bytes());
        buf[8..].copy_from_slice(&line.amount.fen().to_be_bytes());
        self.h.update(buf);
        self.count += 1;
        if line.amount.fen() <= 0 {
            self.nonpositive = true;
        }
        match self.total.checked_add(line.amount.fen()) {
            Some(t) => self.total = t,
            None => self.overflow = true,
        }
    }
    /// The summary, or why the lines are unacceptable (a line not positive, a total overflow).
    pub fn finish(self) -> Result<LinesSummary, &'static str> {
        if self.nonpositive {
            return Err("a line amount is not positive");
        }
        if self.overflow {
            return Err("the lines' total overflows");
        }
        Ok(LinesSummary {
            count: self.count,
            total: Fen::new(self.total),
            digest: Hash(self.h.finalize()),
        })
    }
}

impl LinesSummary {
    pub fn of(lines: &[Line]) -> Result<LinesSummary, &'static str> {
        let mut h = LinesHasher::default();
        for l in lines {
            h.push(l);
        }
        h.finish()
    }
}

/// What a caller submits. Build it with [`Request::post`], [`Request::pending`],
/// [`Request::post_pending`], [`Request::void`] or [`Request::reverse`], then chain
/// [`Request::linked`] and [`Request::lines`] as needed.
///
/// For `PostPending`, `VoidPending` and `Reverse` the accounts come from the target (swapped for a
/// reversal); if given they must match. The amount defaults to the whole pending amount (post),
/// is the pending amount (void), or defaults to what is left to reverse (reverse).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The idempotency key, chosen by the caller from the business event (e.g.
    /// `contrib/202401/140105/employer`). Reusing it with the same content is a no-op.
    pub key: String,
    pub op: Op,
    /// Key of the pending transfer to post or void, or of the posted transfer to reverse.
    pub target: Option<String>,
    pub debit: Option<AccountId>,
    pub credit: Option<AccountId>,
    pub amount: Option<Fen>,
    /// A category key of the chart (why money moved).
    pub category: String,
    /// The business document (batch id, plan number, bank file…).
    pub reference: String,
    /// Value date: the day the money moved in the books.
    pub date: Date,
    /// Chain to the next request of the batch: all of a chain succeed or none does.
    pub linked: bool,
    /// The person-level lines this transfer aggregates, if any (their sum must be the amount).
    pub lines: Option<LinesSummary>,
}

impl Request {
    fn base(op: Op, key: &str, category: &str, reference: &str, date: Date) -> Request {
        Request {
            key: key.to_string(),
            op,
            target: None,
            debit: None,
            credit: None,
            amount: None,
            category: category.to_string(),
            reference: reference.to_string(),
            date,
            linked: false,
            lines: None,
        }
    }
    /// Debit `debit` and credit `credit` by `amount`, at once.
    pub fn post(
        key: &str,
        debit: AccountId,
        credit: AccountId,
        amount: Fen,
        category: &str,
        reference: &str,
        date: Date,
    ) -> Request {
        Request {
            debit: Some(debit),
            credit: Some(credit),
            amount: Some(amount),
            ..Request::base(Op::Post, key, category, reference, date)
        }
    }
    /// Reserve `amount` from `credit` to `debit` until it is posted or voided.
    pub fn pending(
        key: &str,
        debit: AccountId,
        credit: AccountId,
        amount: Fen,
        category: &str,
        reference: &str,
        date: Date,
    ) -> Request {
        Request {
            debit: Some(debit),
            credit: Some(credit),
            amount: Some(amount),
            ..Request::base(Op::Pending, key, category, reference, date)
        }
    }
    /// Post the pending transfer `pending_key`: all of it (`None`) or part of it.
    pub fn post_pending(
        key: &str,
        pending_key: &str,
        amount: Option<Fen>,
        category: &str,
        reference: &str,
        date: Date,
    ) -> Request {
        Request {
            target: Some(pending_key.to_string()),
            amount,
            ..Request::base(Op::PostPending, key, category, reference, date)
        }
    }
    /// Void the pending transfer `pending_key`.
    pub fn void(
        key: &str,
        pending_key: &str,
        category: &str,
        reference: &str,
        date: Date,
    ) -> Request {
        Request {
            target: Some(pending_key.to_string()),
            ..Request::base(Op::VoidPending, key, category, reference, date)
        }
    }
    /// Reverse the posted transfer `of_key`: what is left of it (`None`) or part of it.
    pub fn reverse(
        key: &str,
        of_key: &str,
        amount: Option<Fen>,
        category: &str,
        reference: &str,
        date: Date,
    ) -> Request {
        Request {
            target: Some(of_key.to_string()),
            amount,
            ..Request::base(Op::Reverse, key, category, reference, date)
        }
    }
    /// Chain this request to the next one of the batch.
    pub fn linked(mut self) -> Request {
        self.linked = true;
        self
    }
    /// Attach the summary of the lines this transfer aggregates.
    pub fn lines(mut self, summary: LinesSummary) -> Request {
        self.lines = Some(summary);
        self
    }
}

/// A recorded transfer: every field resolved. Immutable once recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Transfer {
    /// The journal sequence number (1, 2, 3, …), assigned by the ledger.
    pub id: i64,
    pub key: String,
    pub op: Op,
    /// Id of the pending transfer posted or voided, or of the transfer reversed.
    pub target: Option<i64>,
    pub debit: AccountId,
    pub credit: AccountId,
    pub amount: Fen,
    pub category: String,
    pub reference: String,
    #[serde(serialize_with = "ser_date")]
    pub date: Date,
    pub linked: bool,
    pub line_count: u64,
    /// Digest of the lines ([`Hash::ZERO`] when there are none).
    pub lines_digest: Hash,
    /// When it was recorded, UTC microseconds since 1970 (passed in by the caller: no clock here).
    pub recorded_at: i64,
}

fn ser_date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

/// A date as the integer `yyyymmdd` (how dates are stored).
pub fn date_to_int(d: Date) -> i64 {
    d.year() as i64 * 10000 + d.month() as i64 * 100 + d.day() as i64
}

/// The inverse of [`date_to_int`].
pub fn date_from_int(v: i64) -> Option<Date> {
    let y = i32::try_from(v / 10000).ok()?;
    Date::new(y, ((v / 100) % 100) as u8, (v % 100) as u8).ok()
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

impl Transfer {
    /// The canonical encoding hashed into the journal: a version tag, then every field in a fixed
    /// order, integers big-endian, strings length-prefixed. Two transfers have the same encoding
    /// if and only if all their fields are equal.
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.key.len() + self.reference.len());
        out.extend_from_slice(b"TCL1");
        out.extend_from_slice(&self.id.to_be_bytes());
        put_str(&mut out, &self.key);
        out.push(self.op.code() as u8);
        match self.target {
            Some(t) => {
                out.push(1);
                out.extend_from_slice(&t.to_be_bytes());
            }
            None => out.push(0),
        }
        out.extend_from_slice(&self.debit.0.to_be_bytes());
        out.extend_from_slice(&self.credit.0.to_be_bytes());
        out.extend_from_slice(&self.amount.fen().to_be_bytes());
        put_str(&mut out, &self.category);
        put_str(&mut out, &self.reference);
        out.extend_from_slice(&date_to_int(self.date).to_be_bytes());
        out.push(self.linked as u8);
        out.extend_from_slice(&self.line_count.to_be_bytes());
        out.extend_from_slice(&self.lines_digest.0);
        out.extend_from_slice(&self.recorded_at.to_be_bytes());
        out
    }

    /// The journal hash of this transfer after `prev`: SHA-256(prev ‖ canonical).
    pub fn chain_hash(&self, prev: &Hash) -> Hash {
        self.chain_hash_with(HashAlg::Sha256, prev)
    }
    /// The journal hash of this transfer after `prev` under `alg`: H(prev ‖ canonical).
    pub fn chain_hash_with(&self, alg: HashAlg, prev: &Hash) -> Hash {
        let mut h = alg.hasher();
        h.update(prev.0);
        h.update(self.canonical());
        Hash(h.finalize())
    }
}

/// A transfer as it stands in the hash-chained journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JournalEntry {
    pub transfer: Transfer,
    pub prev_hash: Hash,
    pub hash: Hash,
    /// The algorithm of `hash` (stored as the tag of the hash text).
    #[serde(serialize_with = "alg_name")]
    pub alg: HashAlg,
    /// The algorithm of the entry before (of `prev_hash`).
    #[serde(serialize_with = "alg_name")]
    pub prev_alg: HashAlg,
}

pub(crate) fn alg_name<S: serde::Serializer>(a: &HashAlg, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(a.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Transfer {
        Transfer {
            id: 1,
            key: "k".into(),
            op: Op::Post,
            target: None,
            debit: AccountId(140000004),
            credit: AccountId(140000051),
            amount: Fen::new(100),
            category: "contribution".into(),
            reference: "r".into(),
            date: Date::new(2024, 1, 5).unwrap(),
            linked: false,
            line_count: 0,
            lines_digest: Hash::ZERO,
            recorded_at: 0,
        }
    }

    #[test]
    fn every_field_changes_the_hash() {
        let t = sample();
        let h = t.chain_hash(&Hash::ZERO);
        let variants: Vec<Transfer> = vec![
            Transfer { id: 2, ..t.clone() },
            Transfer {
                key: "k2".into(),
                ..t.clone()
            },
            Transfer {
                op: Op::Pending,
                ..t.clone()
            },
            Transfer {
                target: Some(0),
                ..t.clone()
            },
            Transfer {
                debit: AccountId(140000003),
                ..t.clone()
            },
            Transfer {
                credit: AccountId(140000003),
                ..t.clone()
            },
            Transfer {
                amount: Fen::new(101),
                ..t.clone()
            },
            Transfer {
                category: "benefit".into(),
                ..t.clone()
            },
            Transfer {
                reference: "s".into(),
                ..t.clone()
            },
            Transfer {
                date: Date::new(2024, 1, 6).unwrap(),
                ..t.clone()
            },
            Transfer {
                linked: true,
                ..t.clone()
            },
            Transfer {
                line_count: 1,
                ..t.clone()
            },
            Transfer {
                lines_digest: Hash([1; 32]),
                ..t.clone()
            },
            Transfer {
                recorded_at: 1,
                ..t.clone()
            },
        ];
        for v in variants {
            assert_ne!(v.chain_hash(&Hash::ZERO), h, "{v:?}");
        }
        assert_ne!(t.chain_hash(&Hash([9; 32])), h);
        // length prefixes keep field boundaries: moving a byte between key and reference differs
        let a = Transfer {
            key: "ab".into(),
            reference: "c".into(),
            ..t.clone()
        };
        let b = Transfer {
            key: "a".into(),
            reference: "bc".into(),
            ..t.clone()
        };
        assert_ne!(a.canonical(), b.canonical());
    }

    #[test]
    fn hex_roundtrip_and_known_digest() {
        let h = Hash([0xab; 32]);
        assert_eq!(Hash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(Hash::from_hex("zz"), None);
        // SHA-256 of the empty string, to pin the primitive
        let e: [u8; 32] = HashAlg::Sha256.digest(b"");
        assert_eq!(
            Hash(e).to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn lines_summary() {
        let lines = [
            Line {
                person: 1,
                amount: Fen::new(5),
            },
            Line {
                person: 2,
                amount: Fen::new(7),
            },
        ];
        let s = LinesSummary::of(&lines).unwrap();
        assert_eq!((s.count, s.total), (2, Fen::new(12)));
        let swapped = [lines[1], lines[0]];
        assert_ne!(LinesSummary::of(&swapped).unwrap().digest, s.digest);
        assert!(
            LinesSummary::of(&[Line {
                person: 1,
                amount: Fen::new(0)
            }])
            .is_err()
        );
        assert!(
            LinesSummary::of(&[
                Line {
                    person: 1,
                    amount: Fen::new(i64::MAX)
                },
                Line {
                    person: 1,
                    amount: Fen::new(1)
                }
            ])
            .is_err()
        );
        assert_eq!(
            date_from_int(date_to_int(Date::new(2024, 2, 29).unwrap())),
            Some(Date::new(2024, 2, 29).unwrap())
        );
        assert_eq!(date_from_int(20240230), None);
    }
}

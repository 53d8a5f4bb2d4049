//! Archiving old audit entries (issue 16 item 6) without breaking the chain.
//!
//! An archive holds a contiguous run of entries `first_seq..=last_seq` as JSON lines: a header
//! line (format, first seq, the hash before it), every entry with all its fields and both hashes,
//! and a trailer (entries, last hash). It is written while the run is verified
//! ([`write_lines`]), sealed by the caller, read back and verified again ([`verify_lines`]), and
//! only then [`commit`] records it in `audit_archives` (migration 0051), deletes exactly those
//! rows (after checking they are still the ones archived) and appends the `audit.archive` entry,
//! in one transaction. [`super::verify_audit_chain`] then starts from the newest archive's last
//! hash (the chain link), and requires the live log to hold the `audit.archive` entry that
//! names it, so an archive row cannot be forged to hide a deletion.

use super::{Broken, COLUMNS, Entry, GENESIS, Record, record};
use crate::{Db, Result, StoreError, Val};
use std::io::{BufRead, Write};

pub const FORMAT: &str = "tongchou-audit-archive/1";

/// The newest archive's (last seq, last hash), if any entry was archived.
pub fn archived_head(db: &mut Db) -> Result<Option<(i64, String)>> {
    match db.query_opt(
        "SELECT last_seq, last_hash FROM audit_archives ORDER BY last_seq DESC LIMIT 1",
        &[],
    )? {
        Some(r) => Ok(Some((r[0].i64()?, r[1].text()?.to_string()))),
        None => Ok(None),
    }
}

/// The recorded archive ending at `last_seq`: its (first seq, last hash).
pub fn recorded(db: &mut Db, last_seq: i64) -> Result<Option<(i64, String)>> {
    match db.query_opt(
        "SELECT first_seq, last_hash FROM audit_archives WHERE last_seq = $1",
        &[Val::I64(last_seq)],
    )? {
        Some(r) => Ok(Some((r[0].i64()?, r[1].text()?.to_string()))),
        None => Ok(None),
    }
}

/// The live log's first entry and the last one whose time, and every earlier entry's, is before
/// `before` (an ISO time); `None` when no entry is that old.
pub fn range_before(db: &mut Db, before: &str) -> Result<Option<(i64, i64)>> {
    let first = db.query_opt("SELECT min(seq) FROM audit_log", &[])?;
    let Some(first) = first.map(|r| r[0].opt_i64()).transpose()?.flatten() else {
        return Ok(None);
    };
    let newer = db.query_opt(
        "SELECT min(seq) FROM audit_log WHERE at >= $1",
        &[Val::Str(before)],
    )?;
    let last = match newer.map(|r| r[0].opt_i64()).transpose()?.flatten() {
        Some(s) => s - 1,
        None => db.query_i64("SELECT max(seq) FROM audit_log", &[])?,
    };
    Ok((last >= first).then_some((first, last)))
}

fn line(r: &Record) -> serde_json::Value {
    serde_json::json!({
        "seq": r.seq, "at": r.at, "user_id": r.user_id, "login": r.login, "action": r.action,
        "object_type": r.object_type, "object_id": r.object_id, "region": r.region,
        "result": r.result, "details": r.details, "prev_hash": r.prev_hash, "hash": r.hash,
    })
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Invalid(tongchou_core::tr!(
        "store-err-archive-io",
        error = tongchou_core::i18n::io_text(&e)
    ))
}

/// Write entries `first..=last` as archive lines, verifying the chain from `prev_hash` as they
/// go; the last hash. A broken entry stops it (nothing is archived from a broken chain).
pub fn write_lines(
    db: &mut Db,
    first: i64,
    last: i64,
    prev_hash: &str,
    out: &mut dyn Write,
) -> Result<String> {
    let head = serde_json::json!({"format": FORMAT, "first_seq": first, "prev_hash": prev_hash});
    writeln!(out, "{head}").map_err(io)?;
    let (mut seq, mut prev) = (first, prev_hash.to_string());
    while seq <= last {
        let rows = db.query(
            &format!("SELECT {COLUMNS} FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT 5000"),
            &[Val::I64(seq), Val::I64(last)],
        )?;
        if rows.is_empty() {
            break;
        }
        for r in rows {
            let rec = record(&r)?;
            if let Some(b) = check(&rec, seq, &prev) {
                return Err(StoreError::Invalid(tongchou_core::tr!(
                    "store-err-archive-broken",
                    seq = b.seq,
                    reason = b.reason
                )));
            }
            writeln!(out, "{}", line(&rec)).map_err(io)?;
            prev = rec.hash;
            seq += 1;
        }
    }
    if seq != last + 1 {
        return Err(StoreError::Invalid(tongchou_core::tr!(
            "store-err-archive-missing",
            seq = seq
        )));
    }
    let tail = serde_json::json!({"end": true, "last_seq": last, "entries": last - first + 1, "last_hash": prev});
    writeln!(out, "{tail}").map_err(io)?;
    Ok(prev)
}

/// The first problem of `rec` as entry `seq` after `prev`.
pub(crate) fn check(rec: &Record, seq: i64, prev: &str) -> Option<Broken> {
    let b = |reason: String| Some(Broken { seq, reason });
    if rec.seq != seq {
        return b(tongchou_core::tr!("store-audit-missing", next = rec.seq));
    }
    if rec.prev_hash != prev {
        return b(tongchou_core::tr!("store-audit-not-linked", prev = seq - 1));
    }
    if rec.expected_hash() != rec.hash {
        return b(tongchou_core::tr!("store-audit-altered"));
    }
    None
}

/// What an archive file holds, as verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveCheck {
    pub first_seq: i64,
    pub last_seq: i64,
    pub prev_hash: String,
    pub last_hash: String,
    pub entries: i64,
    pub broken: Option<Broken>,
}

fn text(v: &serde_json::Value, k: &str) -> Result<String> {
    v.get(k)
        .and_then(|x| x.as_str())
        .map(str::to_string)
        .ok_or_else(|| missing_field(k))
}

fn missing_field(k: &str) -> StoreError {
    StoreError::Invalid(tongchou_core::tr!("store-err-archive-field", field = k))
}

fn num(v: &serde_json::Value, k: &str) -> Result<i64> {
    v.get(k)
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| missing_field(k))
}

fn parse_record(v: &serde_json::Value) -> Result<Record> {
    Ok(Record {
        seq: num(v, "seq")?,
        at: text(v, "at")?,
        user_id: v.get("user_id").and_then(serde_json::Value::as_i64),
        login: text(v, "login")?,
        action: text(v, "action")?,
        object_type: text(v, "object_type")?,
        object_id: text(v, "object_id")?,
        region: v.get("region").and_then(serde_json::Value::as_i64),
        result: text(v, "result")?,
        details: text(v, "details")?,
        prev_hash: text(v, "prev_hash")?,
        hash: text(v, "hash")?,
    })
}

/// Recompute the chain of an archive's lines: every entry's hash, the links, the trailer.
pub fn verify_lines(input: &mut dyn BufRead) -> Result<ArchiveCheck> {
    let mut lines = input.lines();
    let mut next = || -> Result<Option<serde_json::Value>> {
        match lines.next() {
            None => Ok(None),
            Some(l) => {
                let l = l.map_err(io)?;
                serde_json::from_str(&l).map(Some).map_err(|e| {
                    StoreError::Invalid(tongchou_core::tr!("store-err-archive-json", error = e))
                })
            }
        }
    };
    let head = next()?
        .ok_or_else(|| StoreError::Invalid(tongchou_core::tr!("store-err-archive-empty")))?;
    if head.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(StoreError::Invalid(tongchou_core::tr!(
            "store-err-archive-format",
            format = FORMAT
        )));
    }
    let (first, prev_hash) = (num(&head, "first_seq")?, text(&head, "prev_hash")?);
    let mut c = ArchiveCheck {
        first_seq: first,
        last_seq: first - 1,
        prev_hash: prev_hash.clone(),
        last_hash: prev_hash,
        entries: 0,
        broken: None,
    };
    loop {
        let Some(v) = next()? else {
            c.broken = Some(Broken {
                seq: c.last_seq + 1,
                reason: tongchou_core::tr!("store-audit-archive-cut"),
            });
            return Ok(c);
        };
        if v.get("end").is_some() {
            if num(&v, "entries")? != c.entries || text(&v, "last_hash")? != c.last_hash {
                c.broken = Some(Broken {
                    seq: c.last_seq,
                    reason: tongchou_core::tr!("store-audit-archive-trailer"),
                });
            }
            return Ok(c);
        }
        let rec = parse_record(&v)?;
        if let Some(b) = check(&rec, c.last_seq + 1, &c.last_hash) {
            c.broken = Some(b);
            return Ok(c);
        }
        c.last_seq = rec.seq;
        c.last_hash = rec.hash;
        c.entries += 1;
    }
}

/// An archive to record.
#[derive(Clone, Debug)]
pub struct Archived<'a> {
    pub check: &'a ArchiveCheck,
    pub before_day: &'a str,
    pub file_name: &'a str,
    pub file_sha256: &'a str,
    pub at: &'a str,
    pub by: &'a str,
}

/// Record the archive, delete exactly its entries (still the archived ones: same count, same
/// last hash) and append `entry`, in one transaction.
pub fn commit(db: &mut Db, a: &Archived<'_>, entry: &Entry<'_>, now_ms: i64) -> Result<()> {
    let c = a.check;
    db.transaction(|db| {
        let n = db.query_i64(
            "SELECT count(*) FROM audit_log WHERE seq >= $1 AND seq <= $2",
            &[Val::I64(c.first_seq), Val::I64(c.last_seq)],
        )?;
        if n != c.entries || super::hash_at(db, c.last_seq)?.as_deref() != Some(&c.last_hash) {
            return Err(StoreError::Conflict(tongchou_core::tr!(
                "store-audit-archive-changed"
            )));
        }
        let id = db.query_i64("SELECT COALESCE(MAX(id), 0) + 1 FROM audit_archives", &[])?;
        db.exec(
            "INSERT INTO audit_archives (id, first_seq, last_seq, prev_hash, last_hash, entries, before_day, file_name, file_sha256, archived_at, archived_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                Val::I64(id), Val::I64(c.first_seq), Val::I64(c.last_seq), Val::Str(&c.prev_hash),
                Val::Str(&c.last_hash), Val::I64(c.entries), Val::Str(a.before_day),
                Val::Str(a.file_name), Val::Str(a.file_sha256), Val::Str(a.at), Val::Str(a.by),
            ],
        )?;
        db.exec(
            "DELETE FROM audit_log WHERE seq >= $1 AND seq <= $2",
            &[Val::I64(c.first_seq), Val::I64(c.last_seq)],
        )?;
        super::append(db, entry, now_ms)?;
        Ok(())
    })
}

/// Where the live chain starts: after the newest archive (checked: the archives are contiguous
/// from entry 1 and the live log holds the `audit.archive` entry naming the newest), else at 1.
pub(crate) fn chain_start(db: &mut Db) -> Result<std::result::Result<(i64, String), Broken>> {
    let rows = db.query(
        "SELECT first_seq, last_seq, prev_hash, last_hash FROM audit_archives ORDER BY first_seq",
        &[],
    )?;
    let (mut seq, mut prev) = (0i64, GENESIS.to_string());
    for r in &rows {
        if r[0].i64()? != seq + 1 || r[2].text()? != prev {
            return Ok(Err(Broken {
                seq: seq + 1,
                reason: tongchou_core::tr!("store-audit-archives-gap"),
            }));
        }
        seq = r[1].i64()?;
        prev = r[3].text()?.to_string();
    }
    if seq > 0 {
        let named = db.query(
            "SELECT details FROM audit_log WHERE action = 'audit.archive' AND object_id = $1",
            &[Val::Str(&seq.to_string())],
        )?;
        let mut confirmed = false;
        for r in named {
            confirmed |= r[0].text()?.contains(&prev);
        }
        if !confirmed {
            return Ok(Err(Broken {
                seq: seq + 1,
                reason: tongchou_core::tr!("store-audit-archive-unnamed", last = seq),
            }));
        }
    }
    Ok(Ok((seq + 1, prev)))
}

//! The append-only, hash-chained audit log.
//!
//! Every change, every authentication event, every refusal and every read of personal data is one
//! row of `audit_log`: `seq` (contiguous from 1), time (UTC), user, action, object type and id,
//! region, result, details (JSON), `prev_hash` and `hash = H(prev_hash || canonical entry)`.
//! The canonical entry is every field, length-prefixed, so no two entries share an encoding.
//! H is the deployment's chain hash (`settings::chain_hash`): SHA-256, stored as bare hex as
//! every entry before SM3 was offered, or SM3, stored with the tag `sm3:`; each entry's hash
//! names its algorithm, the verifier follows it, and an SHA-256 entry after an SM3 one is a
//! break (a downgrade).
//!
//! [`verify_audit_chain`] recomputes the chain and names the first entry that was edited,
//! removed or inserted. A truncated tail or a rebuilt chain is caught by comparing the head with a
//! copy published outside the database ([`Verification::check_anchor`]).
//!
//! Details must never hold a password, a session token, or a full ID number or bank account.

pub mod archive;
pub mod group;

use crate::{Db, Result, StoreError, Val, Value};
use sha2::{Digest, Sha256};
use tongchou_crypto::HashAlg;
use tongchou_crypto::hash::split_tagged;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who acted: a user, or a named operator at the command line (`cli:root`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub login: String,
}

impl Actor {
    pub fn user(user_id: i64, login: &str) -> Actor {
        Actor {
            user_id: Some(user_id),
            login: login.to_string(),
        }
    }
    /// An operator without an account (the command line, the server itself).
    pub fn operator(name: &str) -> Actor {
        Actor {
            user_id: None,
            login: name.to_string(),
        }
    }
    pub fn of(p: &tongchou_core::access::Principal) -> Actor {
        Actor::user(p.user_id, &p.login)
    }
}

/// What happened, before it is numbered and chained.
#[derive(Clone, Debug)]
pub struct Entry<'a> {
    pub actor: &'a Actor,
    /// Dotted verb: `auth.login`, `person.read`, `user.add`, `approval.decide`…
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    pub region: Option<u32>,
    /// `ok`, `denied`, `failed` or `error`.
    pub result: &'a str,
    pub details: serde_json::Value,
}

/// An [`Entry`] that owns its text, kept by [`Db::audit_after_transaction`] until the open
/// transaction ends.
#[derive(Clone, Debug)]
pub struct Deferred {
    pub actor: Actor,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub region: Option<u32>,
    pub result: String,
    pub details: serde_json::Value,
    pub at_ms: i64,
}

impl Deferred {
    /// [`Deferred::of`] taking the entry, its details moved rather than copied (a read's entry
    /// is built for the group-commit writer on every request).
    pub fn new(e: Entry<'_>, at_ms: i64) -> Deferred {
        Deferred {
            actor: e.actor.clone(),
            action: e.action.to_string(),
            object_type: e.object_type.to_string(),
            object_id: e.object_id.to_string(),
            region: e.region,
            result: e.result.to_string(),
            details: e.details,
            at_ms,
        }
    }
    /// The entry's text copied, to be written later.
    pub fn of(e: &Entry<'_>, at_ms: i64) -> Deferred {
        Deferred::new(e.clone(), at_ms)
    }
    pub fn entry(&self) -> Entry<'_> {
        Entry {
            actor: &self.actor,
            action: &self.action,
            object_type: &self.object_type,
            object_id: &self.object_id,
            region: self.region,
            result: &self.result,
            details: self.details.clone(),
        }
    }
}

/// Record a refusal: at once outside a transaction, after it ends inside one (whether it commits
/// or rolls back), so that no refusal is lost with the work it stopped.
pub fn refusal(db: &mut Db, e: &Entry<'_>, now_ms: i64) -> Result<()> {
    db.audit_after_transaction(Deferred::of(e, now_ms), now_ms)
}

/// A stored audit row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub seq: i64,
    pub at: String,
    pub user_id: Option<i64>,
    pub login: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub region: Option<i64>,
    pub result: String,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Record {
    pub fn to_json(&self) -> serde_json::Value {
        let details: serde_json::Value = serde_json::from_str(&self.details)
            .unwrap_or_else(|_| serde_json::Value::String(self.details.clone()));
        serde_json::json!({
            "seq": self.seq,
            "at": self.at,
            "user_id": self.user_id,
            "login": self.login,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "region": self.region.map(|r| format!("{r:06}")),
            "result": self.result,
            "details": details,
            "hash": self.hash,
        })
    }
}

fn push_field(out: &mut Vec<u8>, v: &str) {
    push_number(out, v.len() as i64);
    out.push(b':');
    out.extend_from_slice(v.as_bytes());
    out.push(b';');
}

/// A number's decimal digits (what `to_string` writes), without an allocation.
fn push_number(out: &mut Vec<u8>, v: i64) {
    use std::io::Write;
    // writing to a Vec cannot fail
    let _ = write!(out, "{v}");
}

/// [`push_field`] of a number's decimal text, or of the empty text for none.
fn push_opt_number(out: &mut Vec<u8>, v: Option<i64>) {
    let Some(v) = v else {
        return push_field(out, "");
    };
    use std::io::Write;
    // an i64 has at most 19 digits and a sign
    let mut buf = [0u8; 20];
    let n = {
        let mut w = &mut buf[..];
        let _ = write!(w, "{v}");
        20 - w.len()
    };
    push_number(out, n as i64);
    out.push(b':');
    out.extend_from_slice(&buf[..n]);
    out.push(b';');
}

/// The bytes that are hashed for one entry: every field but the hashes, length-prefixed.
#[allow(clippy::too_many_arguments)]
fn canonical(
    seq: i64,
    at: &str,
    user_id: Option<i64>,
    login: &str,
    action: &str,
    object_type: &str,
    object_id: &str,
    region: Option<i64>,
    result: &str,
    details: &str,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + details.len());
    push_opt_number(&mut out, Some(seq));
    push_field(&mut out, at);
    push_opt_number(&mut out, user_id);
    push_field(&mut out, login);
    push_field(&mut out, action);
    push_field(&mut out, object_type);
    push_field(&mut out, object_id);
    push_opt_number(&mut out, region);
    push_field(&mut out, result);
    push_field(&mut out, details);
    out
}

pub fn hex(bytes: &[u8]) -> String {
    tongchou_crypto::to_hex(bytes)
}

/// SHA-256 as lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn chain_hash(alg: HashAlg, prev_hash: &str, canonical: &[u8]) -> String {
    let mut h = alg.hasher();
    h.update(prev_hash.as_bytes());
    h.update(canonical);
    alg.tagged_hex(&h.finalize())
}

impl Record {
    /// The algorithm of this entry's hash (its tag).
    pub fn alg(&self) -> HashAlg {
        split_tagged(&self.hash).0
    }
    /// The hash this record should carry given its fields, `prev_hash` and its algorithm.
    pub fn expected_hash(&self) -> String {
        let c = canonical(
            self.seq,
            &self.at,
            self.user_id,
            &self.login,
            &self.action,
            &self.object_type,
            &self.object_id,
            self.region,
            &self.result,
            &self.details,
        );
        chain_hash(self.alg(), &self.prev_hash, &c)
    }
}

/// Keep a free-text field to one line and a bounded length (log-injection safe).
fn clean(s: &str, max: usize) -> String {
    // the usual case, one copy: short enough (bytes bound characters) and one line already
    if s.len() <= max && !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect()
}

const COLUMNS: &str = "seq, at, user_id, login, action, object_type, object_id, region, result, details, prev_hash, hash";

fn record(r: &[Value]) -> Result<Record> {
    if r.len() < 12 {
        return Err(StoreError::Invalid("audit row: short".into()));
    }
    Ok(Record {
        seq: r[0].i64()?,
        at: r[1].text()?.to_string(),
        user_id: r[2].opt_i64()?,
        login: r[3].text()?.to_string(),
        action: r[4].text()?.to_string(),
        object_type: r[5].text()?.to_string(),
        object_id: r[6].text()?.to_string(),
        region: r[7].opt_i64()?,
        result: r[8].text()?.to_string(),
        details: r[9].text()?.to_string(),
        prev_hash: r[10].text()?.to_string(),
        hash: r[11].text()?.to_string(),
    })
}

/// Whether an error is a lost race (for the next sequence number, or a serialization failure)
/// that a retry of the whole transaction resolves.
pub fn is_conflict(e: &StoreError) -> bool {
    e.is_conflict()
}

/// An entry's fields, borrowed from an [`Entry`] or a [`Deferred`] (whose details are not
/// copied to be hashed).
struct Fields<'a> {
    actor: &'a Actor,
    action: &'a str,
    object_type: &'a str,
    object_id: &'a str,
    region: Option<u32>,
    result: &'a str,
    details: &'a serde_json::Value,
}

impl<'a> From<&'a Entry<'_>> for Fields<'a> {
    fn from(e: &'a Entry<'_>) -> Fields<'a> {
        Fields {
            actor: e.actor,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            region: e.region,
            result: e.result,
            details: &e.details,
        }
    }
}

impl<'a> From<&'a Deferred> for Fields<'a> {
    fn from(d: &'a Deferred) -> Fields<'a> {
        Fields {
            actor: &d.actor,
            action: &d.action,
            object_type: &d.object_type,
            object_id: &d.object_id,
            region: d.region,
            result: &d.result,
            details: &d.details,
        }
    }
}

/// The entry `seq` after `prev_hash`, numbered, cleaned and chained with `alg`.
fn chained<'a>(
    alg: HashAlg,
    seq: i64,
    prev_hash: &str,
    e: impl Into<Fields<'a>>,
    at: &str,
) -> Record {
    let e: Fields<'a> = e.into();
    let details = e.details.to_string();
    let login = clean(&e.actor.login, 64);
    let action = clean(e.action, 64);
    let object_type = clean(e.object_type, 64);
    let object_id = clean(e.object_id, 128);
    let result = clean(e.result, 16);
    let region = e.region.map(i64::from);
    let c = canonical(
        seq,
        at,
        e.actor.user_id,
        &login,
        &action,
        &object_type,
        &object_id,
        region,
        &result,
        &details,
    );
    let hash = chain_hash(alg, prev_hash, &c);
    Record {
        seq,
        at: at.to_string(),
        user_id: e.actor.user_id,
        login,
        action,
        object_type,
        object_id,
        region,
        result,
        details,
        prev_hash: prev_hash.to_string(),
        hash,
    }
}

/// Rows of one multi-row INSERT of [`insert_records`] (12 parameters each).
const INSERT_ROWS: usize = 64;

/// The INSERT of `rows` records (1 to [`INSERT_ROWS`]), written once per process: the writer
/// inserts every batch with it, and a batch's text was built again each time.
fn insert_sql(rows: usize) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        (1..=INSERT_ROWS)
            .map(|n| {
                let rows: Vec<String> = (0..n)
                    .map(|i| {
                        let p = |k: usize| 12 * i + k;
                        format!(
                            "(${}, ${}, CAST(${} AS BIGINT), ${}, ${}, ${}, ${}, CAST(${} AS INTEGER), ${}, ${}, ${}, ${})",
                            p(1), p(2), p(3), p(4), p(5), p(6), p(7), p(8), p(9), p(10), p(11), p(12)
                        )
                    })
                    .collect();
                format!(
                    "INSERT INTO audit_log ({COLUMNS}) VALUES {} ON CONFLICT (seq) DO NOTHING",
                    rows.join(", ")
                )
            })
            .collect()
    });
    &all[rows.clamp(1, INSERT_ROWS) - 1]
}

/// Insert chained records in order; a seq already taken (a lost race) is a conflict.
fn insert_records(db: &mut Db, recs: &[Record]) -> Result<()> {
    // the optional numbers go as text, NULL or not, so that a statement's parameter types (and
    // PostgreSQL's prepared statement) depend on the number of rows only
    let texts: Vec<[Option<String>; 2]> = recs
        .iter()
        .map(|r| {
            [
                r.user_id.map(|v| v.to_string()),
                r.region.map(|v| v.to_string()),
            ]
        })
        .collect();
    fn opt(v: &Option<String>) -> Val<'_> {
        v.as_deref().map(Val::Str).unwrap_or(Val::Null)
    }
    for (chunk, texts) in recs.chunks(INSERT_ROWS).zip(texts.chunks(INSERT_ROWS)) {
        let mut params = Vec::with_capacity(12 * chunk.len());
        for (r, [user_id, region]) in chunk.iter().zip(texts) {
            params.extend([
                Val::I64(r.seq),
                Val::Str(&r.at),
                opt(user_id),
                Val::Str(&r.login),
                Val::Str(&r.action),
                Val::Str(&r.object_type),
                Val::Str(&r.object_id),
                opt(region),
                Val::Str(&r.result),
                Val::Str(&r.details),
                Val::Str(&r.prev_hash),
                Val::Str(&r.hash),
            ]);
        }
        let n = db.exec(insert_sql(chunk.len()), &params)?;
        if n != chunk.len() as u64 {
            return Err(StoreError::Conflict(format!(
                "audit chain moved: a seq from {} was taken, retry",
                chunk[0].seq
            )));
        }
    }
    Ok(())
}

/// Append `entries` in order after the head, inside the open transaction: one read of the head,
/// the hashes chained in memory, multi-row inserts.
pub(crate) fn append_all_in_tx(db: &mut Db, entries: &[Deferred]) -> Result<Vec<Record>> {
    let (mut seq, mut prev) = head(db)?;
    let alg = db.chain_hash()?;
    let mut recs = Vec::with_capacity(entries.len());
    // a batch's entries mostly share their millisecond: its text is written once
    let mut at: (i64, String) = (i64::MIN, String::new());
    for d in entries {
        seq += 1;
        if at.0 != d.at_ms {
            at = (d.at_ms, crate::access::iso_time(d.at_ms));
        }
        let r = chained(alg, seq, &prev, d, &at.1);
        prev.clone_from(&r.hash);
        recs.push(r);
    }
    insert_records(db, &recs)?;
    Ok(recs)
}

fn append_in_tx(db: &mut Db, e: &Entry<'_>, at: &str) -> Result<Record> {
    let (seq, prev_hash) = head(db)?;
    let r = chained(db.chain_hash()?, seq + 1, &prev_hash, e, at);
    insert_records(db, std::slice::from_ref(&r))?;
    Ok(r)
}

/// Append one entry at time `now_ms` (milliseconds since the Unix epoch).
///
/// Inside an open transaction the entry joins it (it is kept or rolled back with the change it
/// records; a lost race fails the transaction, see [`is_conflict`] and [`retry`]). Otherwise it
/// runs in a transaction of its own, retried on a lost race.
pub fn append(db: &mut Db, e: &Entry<'_>, now_ms: i64) -> Result<Record> {
    let at = crate::access::iso_time(now_ms);
    if db.in_transaction() {
        return append_in_tx(db, e, &at);
    }
    retry(db, 60, |db| append_in_tx(db, e, &at))
}

/// Run `f` in a transaction, retrying up to `tries` times when it lost a race ([`is_conflict`]).
pub fn retry<T, E: From<StoreError> + AsConflict>(
    db: &mut Db,
    tries: usize,
    mut f: impl FnMut(&mut Db) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    let mut n = 0;
    loop {
        n += 1;
        match db.transaction(&mut f) {
            Err(e) if n < tries && e.is_conflict() => {
                // random back-off growing with the attempts, so racing writers fall out of step
                // (a hasher's random keys: no clock read)
                use std::hash::{BuildHasher, Hasher};
                let r = std::hash::RandomState::new().build_hasher().finish();
                let span = 2 + 4 * (n as u64).min(10);
                std::thread::sleep(std::time::Duration::from_millis(1 + r % span));
            }
            r => return r,
        }
    }
}

/// Errors that can say whether they are a lost race.
pub trait AsConflict {
    fn is_conflict(&self) -> bool;
}
impl AsConflict for StoreError {
    fn is_conflict(&self) -> bool {
        is_conflict(self)
    }
}

/// Which rows to list.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only entries by this login.
    pub login: Option<String>,
    /// Only entries of this action.
    pub action: Option<String>,
    /// Only entries with this object type and id.
    pub object: Option<(String, String)>,
    /// At most this many (newest first); default 100.
    pub limit: Option<i64>,
}

/// Entries matching `f`, newest first.
pub fn list(db: &mut Db, f: &Filter) -> Result<Vec<Record>> {
    let mut sql = format!("SELECT {COLUMNS} FROM audit_log WHERE 1 = 1");
    let mut params: Vec<Val<'_>> = Vec::new();
    if let Some(l) = &f.login {
        params.push(Val::Str(l));
        sql.push_str(&format!(" AND login = ${}", params.len()));
    }
    if let Some(a) = &f.action {
        params.push(Val::Str(a));
        sql.push_str(&format!(" AND action = ${}", params.len()));
    }
    if let Some((t, id)) = &f.object {
        params.push(Val::Str(t));
        sql.push_str(&format!(" AND object_type = ${}", params.len()));
        params.push(Val::Str(id));
        sql.push_str(&format!(" AND object_id = ${}", params.len()));
    }
    params.push(Val::I64(f.limit.unwrap_or(100).clamp(1, 100_000)));
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", params.len()));
    db.query(&sql, &params)?.iter().map(|r| record(r)).collect()
}

/// A filtered view of the log for a reader (the `/audit` page and its exports).
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// Entries at or after this instant (`iso_time` text).
    pub from: Option<String>,
    /// Entries before this instant.
    pub until: Option<String>,
    pub login: Option<String>,
    pub action: Option<String>,
    /// Text found in the object type or id.
    pub object: Option<String>,
    /// `ok`, `denied`, `failed`, `error`.
    pub result: Option<String>,
    /// Only entries of regions in this inclusive range of codes (a reader below the province).
    pub regions: Option<(i64, i64)>,
}

/// Where a page of [`page`] starts: the newest entries, entries before a seq (the next page),
/// or entries after a seq (the previous page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cursor {
    Newest,
    Before(i64),
    After(i64),
}

impl Cursor {
    /// Cut `rows` (newest first, read with a limit of `page + 1`) to one page and return the
    /// cursors of the newer and the older page, where there is one. `key` is a row's sequence.
    pub fn trim<T>(
        self,
        rows: &mut Vec<T>,
        page: usize,
        key: impl Fn(&T) -> i64,
    ) -> (Option<i64>, Option<i64>) {
        let more = rows.len() > page;
        match self {
            Cursor::After(_) => {
                if more {
                    rows.remove(0);
                }
                (
                    rows.first().map(&key).filter(|_| more),
                    rows.last().map(&key),
                )
            }
            Cursor::Newest | Cursor::Before(_) => {
                rows.truncate(page);
                (
                    rows.first().map(&key).filter(|_| self != Cursor::Newest),
                    rows.last().map(&key).filter(|_| more),
                )
            }
        }
    }
}

/// Append an allowed action of `who` (`result = ok`) on an object of `region`.
pub fn record_ok(
    db: &mut Db,
    who: &tongchou_core::access::Principal,
    action: &str,
    (object_type, object_id): (&str, &str),
    region: u32,
    details: serde_json::Value,
    now_ms: i64,
) -> Result<Record> {
    append(
        db,
        &Entry {
            actor: &Actor::of(who),
            action,
            object_type,
            object_id,
            region: Some(region),
            result: "ok",
            details,
        },
        now_ms,
    )
}

fn like_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// At most `limit` entries matching `q` from `cursor`, newest first (keyset on `seq`).
pub fn page(db: &mut Db, q: &Query, cursor: Cursor, limit: i64) -> Result<Vec<Record>> {
    let pattern = q.object.as_deref().map(like_pattern);
    let mut sql = format!("SELECT {COLUMNS} FROM audit_log WHERE 1 = 1");
    let mut params: Vec<Val<'_>> = Vec::new();
    let texts = [
        (&q.from, "at >="),
        (&q.until, "at <"),
        (&q.login, "login ="),
        (&q.action, "action ="),
        (&q.result, "result ="),
    ];
    for (v, cond) in texts {
        if let Some(v) = v {
            params.push(Val::Str(v));
            sql.push_str(&format!(" AND {cond} ${}", params.len()));
        }
    }
    if let Some(p) = &pattern {
        params.push(Val::Str(p));
        let n = params.len();
        sql.push_str(&format!(
            " AND (object_type LIKE ${n} ESCAPE '\\' OR object_id LIKE ${n} ESCAPE '\\')"
        ));
    }
    if let Some((lo, hi)) = q.regions {
        params.push(Val::I64(lo));
        params.push(Val::I64(hi));
        let n = params.len();
        sql.push_str(&format!(" AND region >= ${} AND region <= ${n}", n - 1));
    }
    let order = match cursor {
        Cursor::Newest => "DESC",
        Cursor::Before(seq) => {
            params.push(Val::I64(seq));
            sql.push_str(&format!(" AND seq < ${}", params.len()));
            "DESC"
        }
        Cursor::After(seq) => {
            params.push(Val::I64(seq));
            sql.push_str(&format!(" AND seq > ${}", params.len()));
            "ASC"
        }
    };
    params.push(Val::I64(limit.clamp(1, 1_000_000)));
    sql.push_str(&format!(" ORDER BY seq {order} LIMIT ${}", params.len()));
    let mut out: Vec<Record> = db
        .query(&sql, &params)?
        .iter()
        .map(|r| record(r))
        .collect::<Result<_>>()?;
    if order == "ASC" {
        out.reverse();
    }
    Ok(out)
}

/// The last entry's (seq, hash), or (0, GENESIS) for an empty log. Publish it outside the
/// database to detect truncation later.
pub fn head(db: &mut Db) -> Result<(i64, String)> {
    match db.query_opt(
        "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
        &[],
    )? {
        Some(r) => Ok((r[0].i64()?, r[1].text()?.to_string())),
        None => Ok((0, GENESIS.to_string())),
    }
}

/// The first entry that does not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    pub seq: i64,
    pub reason: String,
}

/// The outcome of [`verify_audit_chain`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// Entries read.
    pub entries: i64,
    pub head_seq: i64,
    pub head_hash: String,
    pub broken: Option<Broken>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.broken.is_none()
    }
    /// Compare with a head published earlier: the entry `seq` must still carry `hash`.
    /// (Needs the hash of that entry; see [`hash_at`].)
    pub fn check_anchor(
        &self,
        seq: i64,
        hash: &str,
        stored_hash_at_seq: Option<&str>,
    ) -> Option<Broken> {
        if seq > self.head_seq {
            return Some(Broken {
                seq: self.head_seq + 1,
                reason: tongchou_core::tr!("store-audit-ends-early", head = self.head_seq),
            });
        }
        match stored_hash_at_seq {
            Some(h) if h == hash => None,
            _ => Some(Broken {
                seq,
                reason: tongchou_core::tr!("store-audit-rebuilt", hash = hash),
            }),
        }
    }
}

/// The stored hash of entry `seq`.
pub fn hash_at(db: &mut Db, seq: i64) -> Result<Option<String>> {
    Ok(
        match db.query_opt(
            "SELECT hash FROM audit_log WHERE seq = $1",
            &[Val::I64(seq)],
        )? {
            Some(r) => Some(r[0].text()?.to_string()),
            None => None,
        },
    )
}

/// Recompute the whole chain, in pages, and name the first broken entry: an edited field (hash
/// mismatch), a removed entry (gap in seq or prev_hash mismatch) or an inserted one.
pub fn verify_audit_chain(db: &mut Db) -> Result<Verification> {
    const PAGE: i64 = 5000;
    // after an archive, the live log starts from the archive's last hash (the chain link)
    let (start, prev_start) = match archive::chain_start(db)? {
        Ok(s) => s,
        Err(broken) => {
            return Ok(Verification {
                entries: 0,
                head_seq: broken.seq - 1,
                head_hash: String::new(),
                broken: Some(broken),
            });
        }
    };
    let mut expected_seq = start;
    let mut prev = prev_start;
    let mut entries = 0i64;
    loop {
        let rows = db.query(
            &format!("SELECT {COLUMNS} FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2"),
            &[Val::I64(expected_seq), Val::I64(PAGE)],
        )?;
        if rows.is_empty() {
            break;
        }
        let n = rows.len() as i64;
        for r in rows {
            let rec = record(&r)?;
            entries += 1;
            let broken = |reason: String| Verification {
                entries,
                head_seq: expected_seq - 1,
                head_hash: prev.clone(),
                broken: Some(Broken {
                    seq: rec.seq,
                    reason,
                }),
            };
            if rec.seq != expected_seq {
                let mut v = broken(tongchou_core::tr!("store-audit-missing", next = rec.seq));
                if let Some(b) = v.broken.as_mut() {
                    b.seq = expected_seq;
                }
                return Ok(v);
            }
            if rec.prev_hash != prev {
                return Ok(broken(tongchou_core::tr!(
                    "store-audit-not-linked",
                    prev = rec.seq - 1
                )));
            }
            if split_tagged(&prev).0 == HashAlg::Sm3 && rec.alg() == HashAlg::Sha256 {
                return Ok(broken(tongchou_core::tr!("store-audit-sm3-back")));
            }
            if rec.expected_hash() != rec.hash {
                return Ok(broken(tongchou_core::tr!("store-audit-altered")));
            }
            prev = rec.hash;
            expected_seq += 1;
        }
        if n < PAGE {
            break;
        }
    }
    // Rows below the start would never be read above: count them as insertions.
    let stray = db.query_i64(
        "SELECT count(*) FROM audit_log WHERE seq < $1",
        &[Val::I64(start)],
    )?;
    let broken = if stray > 0 {
        Some(Broken {
            seq: db.query_i64("SELECT min(seq) FROM audit_log", &[])?,
            reason: tongchou_core::tr!("store-audit-inserted", start = start),
        })
    } else {
        None
    };
    Ok(Verification {
        entries,
        head_seq: expected_seq - 1,
        head_hash: prev,
        broken,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn a_cursor_cuts_one_page_and_names_its_neighbours() {
        // newest page of 3 read with one more: an older page exists, no newer one
        let mut rows = vec![9, 8, 7, 6];
        assert_eq!(Cursor::Newest.trim(&mut rows, 3, |r| *r), (None, Some(7)));
        assert_eq!(rows, vec![9, 8, 7]);
        // the last older page: a newer one exists, no older one
        let mut rows = vec![6, 5];
        assert_eq!(
            Cursor::Before(7).trim(&mut rows, 3, |r| *r),
            (Some(6), None)
        );
        // back towards the newest (read ascending, given newest first): the extra is the newest
        let mut rows = vec![9, 8, 7, 6];
        assert_eq!(
            Cursor::After(5).trim(&mut rows, 3, |r| *r),
            (Some(8), Some(6))
        );
        assert_eq!(rows, vec![8, 7, 6]);
        let mut rows = vec![7, 6];
        assert_eq!(Cursor::After(5).trim(&mut rows, 3, |r| *r), (None, Some(6)));
        let mut none: Vec<i64> = Vec::new();
        assert_eq!(Cursor::Newest.trim(&mut none, 3, |r| *r), (None, None));
    }

    fn entry<'a>(actor: &'a Actor, action: &'a str, id: &'a str) -> Entry<'a> {
        Entry {
            actor,
            action,
            object_type: "person",
            object_id: id,
            region: Some(140105),
            result: "ok",
            details: serde_json::json!({"fields": ["id_number", "name"], "n": 1}),
        }
    }

    fn chain_and_tamper(url: &str, alg: HashAlg) {
        let mut db = Db::open(url).expect("open");
        crate::settings::set_chain_hash(&mut db, alg).expect("set");
        let v = verify_audit_chain(&mut db).expect("verify empty");
        assert!(v.ok());
        assert_eq!((v.entries, v.head_seq), (0, 0));
        let a = Actor::user(7, "clerk");
        let t0 = 1_767_225_600_000; // 2026-01-01
        for i in 0..30 {
            let id = format!("{}", 1000 + i);
            append(&mut db, &entry(&a, "person.read", &id), t0 + i).expect("append");
        }
        // an entry written inside a rolled-back transaction leaves no trace
        db.begin().expect("begin");
        append(&mut db, &entry(&a, "person.write", "1"), t0 + 99).expect("append in tx");
        db.rollback().expect("rollback");
        let v = verify_audit_chain(&mut db).expect("verify");
        assert!(v.ok(), "{v:?}");
        assert_eq!(v.entries, 30);
        assert_eq!(split_tagged(&v.head_hash).0, alg);
        assert_eq!(head(&mut db).expect("head"), (30, v.head_hash.clone()));
        let published = (v.head_seq, v.head_hash.clone());

        let listed = list(
            &mut db,
            &Filter {
                login: Some("clerk".into()),
                limit: Some(5),
                ..Filter::default()
            },
        )
        .expect("list");
        assert_eq!(listed.len(), 5);
        assert_eq!(listed[0].seq, 30);
        assert_eq!(listed[0].at, "2026-01-01T00:00:00.029Z");
        let none = list(
            &mut db,
            &Filter {
                login: Some("nobody".into()),
                ..Filter::default()
            },
        )
        .expect("list");
        assert!(none.is_empty());

        // tamper: change who was read in entry 12
        db.exec(
            "UPDATE audit_log SET object_id = '9999' WHERE seq = 12",
            &[],
        )
        .expect("tamper");
        let v = verify_audit_chain(&mut db).expect("verify");
        let b = v.broken.expect("broken");
        assert_eq!(b.seq, 12);
        assert!(b.reason.contains("被篡改"), "{}", b.reason);
        crate::testing::assert_chinese_only(&b.reason);
        assert_eq!(v.head_seq, 11);
        // in the reader's language: an English reader sees English only
        let en = tongchou_core::i18n::scope(tongchou_core::i18n::Lang::En, || {
            verify_audit_chain(&mut db).expect("verify")
        });
        let reason = en.broken.expect("broken").reason;
        assert!(reason.contains("was altered"), "{reason}");
        crate::testing::assert_english_only(&reason);

        // tamper consistently (recompute the row's own hash): the next entry breaks
        let mut r = record(
            &db.query_opt(
                &format!("SELECT {COLUMNS} FROM audit_log WHERE seq = 12"),
                &[],
            )
            .expect("q")
            .expect("row"),
        )
        .expect("rec");
        r.hash = r.expected_hash();
        db.exec(
            "UPDATE audit_log SET hash = $1 WHERE seq = 12",
            &[Val::Str(&r.hash)],
        )
        .expect("rehash");
        let b = verify_audit_chain(&mut db)
            .expect("verify")
            .broken
            .expect("broken");
        assert_eq!(b.seq, 13);
        assert!(b.reason.contains("不衔接"), "{}", b.reason);

        // deletion in the middle
        let mut db2 = Db::open(url).expect("reopen");
        db2.exec("DELETE FROM audit_log WHERE seq = 20", &[])
            .expect("delete");
        let b = verify_audit_chain(&mut db2)
            .expect("verify")
            .broken
            .expect("broken");
        assert_eq!(b.seq, 13, "the first break is still reported first");

        // truncation of the tail is caught against the published head
        db2.exec("DELETE FROM audit_log WHERE seq >= 12", &[])
            .expect("truncate");
        let v = verify_audit_chain(&mut db2).expect("verify");
        assert!(v.ok());
        let stored = hash_at(&mut db2, published.0).expect("hash_at");
        let b = v
            .check_anchor(published.0, &published.1, stored.as_deref())
            .expect("anchor breaks");
        assert_eq!(b.seq, 12);
        // appends continue the chain after the truncation point
        append(&mut db2, &entry(&a, "person.read", "x"), t0 + 200).expect("append");
        assert!(verify_audit_chain(&mut db2).expect("verify").ok());
    }

    #[test]
    fn sqlite_chain_and_tamper() {
        chain_and_tamper(&testing::sqlite_url("audit"), HashAlg::Sha256);
        chain_and_tamper(&testing::sqlite_url("audit_sm3"), HashAlg::Sm3);
    }

    #[test]
    fn postgres_chain_and_tamper() {
        chain_and_tamper(&testing::pg_url("audit"), HashAlg::Sha256);
        chain_and_tamper(&testing::pg_url("audit_sm3"), HashAlg::Sm3);
    }

    /// An SHA-256 chain written before SM3 was chosen keeps verifying and goes on under SM3;
    /// rewriting an SM3 entry back to SHA-256 is caught.
    fn old_chain_then_sm3(url: &str) {
        let mut db = Db::open(url).expect("open");
        assert_eq!(db.chain_hash().expect("alg"), HashAlg::Sha256);
        let a = Actor::user(7, "clerk");
        let t0 = 1_767_225_600_000;
        for i in 0..3 {
            append(&mut db, &entry(&a, "person.read", "x"), t0 + i).expect("append");
        }
        let old = hash_at(&mut db, 3).expect("hash").expect("entry 3");
        assert_eq!(old.len(), 64, "SHA-256 entries are bare hex");
        crate::settings::set_chain_hash(&mut db, HashAlg::Sm3).expect("sm3");
        let err = crate::settings::set_chain_hash(&mut db, HashAlg::Sha256).expect_err("back");
        assert!(err.to_string().contains("不允许改回 SHA-256"), "{err}");
        for i in 3..6 {
            append(&mut db, &entry(&a, "person.read", "y"), t0 + i).expect("append");
        }
        let v = verify_audit_chain(&mut db).expect("verify");
        assert!(v.ok(), "{v:?}");
        assert_eq!(v.entries, 6);
        assert_eq!(hash_at(&mut db, 3).expect("hash"), Some(old.clone()));
        let r4 = list(&mut db, &Filter::default()).expect("list");
        let r4 = r4.iter().find(|r| r.seq == 4).expect("entry 4");
        assert_eq!(
            (r4.prev_hash.as_str(), r4.alg()),
            (old.as_str(), HashAlg::Sm3)
        );
        // rewrite entry 6 consistently as SHA-256: a downgrade
        let mut r6 = list(&mut db, &Filter::default()).expect("list")[0].clone();
        r6.hash = "0".repeat(64);
        r6.hash = r6.expected_hash();
        db.exec(
            "UPDATE audit_log SET hash = $1 WHERE seq = 6",
            &[Val::Str(&r6.hash)],
        )
        .expect("rewrite");
        let b = verify_audit_chain(&mut db)
            .expect("verify")
            .broken
            .expect("broken");
        assert_eq!(b.seq, 6);
        assert!(b.reason.contains("由 SM3 退回 SHA-256"), "{}", b.reason);
    }

    #[test]
    fn sqlite_old_sha256_chain_then_sm3() {
        old_chain_then_sm3(&testing::sqlite_url("audit_mixed"));
    }

    #[test]
    fn postgres_old_sha256_chain_then_sm3() {
        old_chain_then_sm3(&testing::pg_url("audit_mixed"));
    }

    fn concurrent(url: &str) {
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let url = url.to_string();
                std::thread::spawn(move || {
                    let mut db = Db::open(&url).expect("open");
                    let a = Actor::user(t, "w");
                    for i in 0..25 {
                        let id = format!("{t}-{i}");
                        append(
                            &mut db,
                            &entry(&a, "person.read", &id),
                            1_767_225_600_000 + i,
                        )
                        .expect("append");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("join");
        }
        let mut db = Db::open(url).expect("open");
        let v = verify_audit_chain(&mut db).expect("verify");
        assert!(v.ok(), "{v:?}");
        assert_eq!(v.entries, 100);
    }

    #[test]
    fn sqlite_concurrent_appends_keep_one_chain() {
        let url = testing::sqlite_url("audit_conc");
        Db::open(&url).expect("migrate first");
        concurrent(&url);
    }

    #[test]
    fn postgres_concurrent_appends_keep_one_chain() {
        let url = testing::pg_url("audit_conc");
        Db::open(&url).expect("migrate first");
        concurrent(&url);
    }

    #[test]
    fn canonical_is_unambiguous() {
        let a = canonical(1, "t", None, "ab", "c", "", "", None, "ok", "{}");
        let b = canonical(1, "t", None, "a", "bc", "", "", None, "ok", "{}");
        assert_ne!(a, b);
        assert_eq!(clean("a\nb\u{1b}[31m", 64), "a b [31m");
        assert_eq!(clean("审计日志", 2), "审计");
        assert_eq!(clean("plain", 64), "plain");
    }

    /// The hashed bytes are the fields' text, each `LEN:TEXT;` (the chains written so far were
    /// hashed over exactly this).
    #[test]
    fn canonical_bytes_are_fixed() {
        let c = canonical(
            12,
            "2026-12-06T10:00:00.000Z",
            Some(7),
            "reader",
            "person.read",
            "person",
            "42",
            Some(140105),
            "ok",
            "{}",
        );
        assert_eq!(
            String::from_utf8(c).expect("utf-8"),
            "2:12;24:2026-12-06T10:00:00.000Z;1:7;6:reader;11:person.read;6:person;2:42;6:140105;2:ok;2:{};"
        );
        let none = canonical(-5, "", None, "", "", "", "", None, "", "");
        assert_eq!(
            String::from_utf8(none).expect("utf-8"),
            "2:-5;0:;0:;0:;0:;0:;0:;0:;0:;0:;"
        );
    }
}

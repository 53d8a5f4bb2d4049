//! A file of transfer requests (`transfer-requests`, `docs/FORMATS.md`): other provinces'
//! request lines, each a person to transfer out ([`super::transfer_out`]), read as every import
//! is read and written all or nothing:
//!
//! 1. the reader ([`tongchou_import::TransferRequest`]: CSV UTF-8/GBK or XLSX, every bad row
//!    named with its field; one person once per file);
//! 2. the same file (its SHA-256, an `imports` row of kind `transfer-requests`) read before:
//!    nothing changes, the transfers it made are named ([`Outcome::Already`]);
//! 3. in ONE transaction: every line checked against the register (the request number not
//!    handled before, the person registered, within the user's region, not drawing a pension,
//!    insured here, the name as registered) — any problem and nothing is written, every problem
//!    named by row and field ([`Outcome::Rejected`], the refusal audited); else every line
//!    transferred out (certificate, 转移支出 booked, record closed, `transfer.out` audited), the
//!    lines recorded with their transfers (`transfer_requests`), the file as an import, and the
//!    file audited (`transfer.requests`). A failure on any line rolls all of it back.

use super::{Certificate, out, province, require};
use crate::{AppError, Result};
use serde_json::json;
use tongchou_core::access::{self, Principal};
use tongchou_core::{Date, Divisions, Policy};
use tongchou_import::{ImportError, Kind, Options, RowError, TransferRequest};
use tongchou_store::Db;
use tongchou_store::audit::sha256_hex;
use tongchou_store::imports::{self, ImportRow};
use tongchou_store::transfers::{self as store, RequestLine};

/// The kind's name in the `imports` table.
pub const KIND: &str = "transfer-requests";

/// A line transferred out, with its certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transferred {
    pub line: RequestLine,
    pub certificate: Certificate,
}

/// What a request file came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every line transferred out (the import's id, the lines in row order).
    Transferred(i64, Vec<Transferred>),
    /// The same file was read before (the import's id): nothing changed; its lines.
    Already(i64, Vec<RequestLine>),
    /// Refused: nothing was written; every problem, in row order.
    Rejected(Vec<RowError>),
}

/// The canonical header of a column of the kind (the problems name it).
fn column(k: usize) -> String {
    Kind::TransferRequests
        .columns()
        .get(k)
        .map_or_else(String::new, |c| c.header.to_string())
}

/// Read a request file (`file_name` for the record) and transfer every line out on `on`.
pub fn read_requests(
    db: &mut Db,
    who: &Principal,
    policy: &Policy,
    (file_name, bytes): (&str, &[u8]),
    on: Date,
    now_ms: i64,
) -> Result<Outcome> {
    require(db, who, "transfer persons out of the province", now_ms)?;
    let sha = sha256_hex(bytes);
    if let Some(i) = imports::find(db, KIND, &sha)? {
        return Ok(Outcome::Already(i.id, store::requests_of_import(db, i.id)?));
    }
    let mut opts = Options::new(on);
    opts.error_limit = 1000;
    let lines = match tongchou_import::read_all::<TransferRequest>(bytes, opts) {
        Ok((lines, _)) => lines,
        Err(ImportError::Rejected(r)) => {
            return refused(db, who, (file_name, &sha), r.errors, now_ms);
        }
        Err(ImportError::Io(e)) => return Err(AppError::Invalid(format!("{file_name}: {e}"))),
    };
    let outcome = crate::benefits::with_retry(db, |db| {
        if let Some(i) = imports::find(db, KIND, &sha)? {
            return Ok(Outcome::Already(i.id, store::requests_of_import(db, i.id)?));
        }
        let problems = check(db, who, &lines)?;
        if !problems.is_empty() {
            return Ok(Outcome::Rejected(problems));
        }
        let import_id = imports::next_id(db, "imports")?;
        let mut done = Vec::with_capacity(lines.len());
        for l in &lines {
            let (transfer_id, certificate) = out::out_once(
                db,
                who,
                policy,
                (l.id_number.as_str(), l.to_province),
                on,
                now_ms,
            )?;
            let line = RequestLine {
                import_id,
                row_no: l.row as i64,
                to_province: l.to_province as i64,
                request_no: l.request_no.clone(),
                transfer_id,
                to_agency: l.to_agency.clone(),
                account: l.account.clone(),
            };
            store::insert_request(db, &line)?;
            done.push(Transferred { line, certificate });
        }
        let at = crate::benefits::iso(now_ms);
        imports::record(
            db,
            &ImportRow {
                id: import_id,
                kind: KIND,
                file_name,
                file_sha256: &sha,
                rows: lines.len() as i64,
                imported_at: &at,
                imported_by: &who.login,
            },
        )?;
        let total: i64 = done.iter().map(|t| t.certificate.total.fen()).sum();
        let details =
            json!({"file": file_name, "sha256": sha, "lines": done.len(), "total_fen": total});
        crate::migrate::audit_ok(
            db,
            who,
            "transfer.requests",
            ("import", &import_id.to_string()),
            province().get(),
            details,
            now_ms,
        )?;
        Ok(Outcome::Transferred(import_id, done))
    })?;
    match outcome {
        Outcome::Rejected(p) => refused(db, who, (file_name, &sha), p, now_ms),
        o => Ok(o),
    }
}

/// A refused file: audited (`transfer.requests`, failed), its problems returned.
fn refused(
    db: &mut Db,
    who: &Principal,
    (file_name, sha): (&str, &str),
    problems: Vec<RowError>,
    now_ms: i64,
) -> Result<Outcome> {
    let actor = tongchou_store::audit::Actor::of(who);
    tongchou_store::audit::append(
        db,
        &tongchou_store::audit::Entry {
            actor: &actor,
            action: "transfer.requests",
            object_type: "import",
            object_id: file_name,
            region: Some(who.region.get()),
            result: "failed",
            details: json!({"sha256": sha, "problems": problems.len()}),
        },
        now_ms,
    )?;
    Ok(Outcome::Rejected(problems))
}

/// Every line against the register: its problems (none: every line may be transferred).
fn check(db: &mut Db, who: &Principal, lines: &[TransferRequest]) -> Result<Vec<RowError>> {
    use tongchou_import::requests::columns as c;
    let mut out = Vec::new();
    for l in lines {
        let mut bad = |col: usize, why: String| {
            out.push(RowError {
                row: l.row,
                column: Some(column(col)),
                reason: why,
            })
        };
        if let Some(t) = store::request_done(db, l.to_province as i64, &l.request_no)? {
            bad(c::REQUEST_NO, tongchou_core::tr!("app-tr-req-done", id = t));
            continue;
        }
        let id = l.id_number.as_str();
        let Some(p) = store::person(db, id)? else {
            bad(c::ID, tongchou_core::tr!("app-tr-req-unknown"));
            continue;
        };
        let county = tongchou_store::registry::person_record(db, p.id)?.map(|r| r.county);
        if !county.is_some_and(|r| access::in_scope(Divisions::shanxi(), who, r)) {
            bad(c::ID, tongchou_core::tr!("app-tr-scope"));
            continue;
        }
        if let Err(e) = super::not_a_pensioner(p.pensioner || p.status == "retired", id) {
            bad(c::ID, e.to_string());
        } else if !matches!(p.status.as_str(), "active" | "suspended") {
            bad(
                c::ID,
                tongchou_core::tr!("app-tr-req-status", status = p.status),
            );
        }
        if p.name.trim() != l.name {
            bad(c::NAME, tongchou_core::tr!("app-tr-req-name"));
        }
    }
    Ok(out)
}

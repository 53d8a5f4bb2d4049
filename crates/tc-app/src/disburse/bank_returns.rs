//! A person reads a bank's return file ([`import_returns`]): the command line's `tongchou bank
//! returns FILE` and the web page's upload. And the return files read so far, as a user may see
//! them ([`return_files`]).
//!
//! Who may read one: a user holding `bank_return_import` (the provincial bureau officer, a county
//! agency) whose region holds every county the file answers: a county agency reads its own
//! county's files only, the province reads any. A file that answers no payment file the
//! database knows belongs to the province. Refusals are audited (`bank_returns.read`, `denied`),
//! so is a file refused for its content (`failed`, with the reason) and every file read (`ok`,
//! with its counts). A refused file writes nothing else; a file read before changes nothing.

use super::returns::{
    ReturnsReport, already_read, apply_file_after, common_region, counties_of, parse,
};
use crate::error::{AppError, Result};
use crate::transfer::returns as transfer_returns;
use tongchou_bank::file_digest;
use tongchou_core::access::{Permission, Principal};
use tongchou_core::{Date, Divisions};
use tongchou_store::Db;
use tongchou_store::access::{self, Target};
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::payroll::{self as store, ReadReturnFile};

const ACTION: &str = "bank_returns.read";
const OBJECT: &str = "return_file";

/// Audit one reading of a file by `who` (inside the caller's transaction if one is open).
fn audit_read(
    db: &mut Db,
    who: &Principal,
    object_id: &str,
    region: Option<u32>,
    result: &str,
    details: serde_json::Value,
    now_ms: i64,
) -> Result<()> {
    audit::append(
        db,
        &Entry {
            actor: &Actor::of(who),
            action: ACTION,
            object_type: OBJECT,
            object_id,
            region,
            result,
            details,
        },
        now_ms,
    )?;
    Ok(())
}

/// `who` reads the return file `file_name` (its bytes) on `on`: checked, applied like the month
/// job's reading ([`super::read_returns`]) and audited; see the module documentation.
pub fn import_returns(
    db: &mut Db,
    who: &Principal,
    file_name: &str,
    bytes: &[u8],
    on: Date,
    now_ms: i64,
) -> Result<ReturnsReport> {
    let sha = file_digest(bytes);
    let mut target = Target {
        action: ACTION,
        object_type: OBJECT,
        object_id: &sha,
        region: who.region,
    };
    // the role first, before the file is looked at (a refusal is audited)
    access::authorize(db, who, Permission::BankReturnImport, &target, now_ms)?;
    let file = match parse(file_name, bytes) {
        Ok(f) => f,
        Err(e) => {
            let why = serde_json::json!({"file_name": file_name, "reason": e.to_string()});
            audit_read(db, who, &sha, Some(who.region.get()), "failed", why, now_ms)?;
            return Err(e);
        }
    };
    // the lines answering transfers' payment files are the province's (crate::transfer::returns)
    let (file, transfers, attempts) = crate::transfer::returns::split(db, file)?;
    // then every county the file answers must be in the user's region
    let mut counties = counties_of(db, &file)?;
    if !transfers.lines.is_empty() {
        counties.push(Divisions::shanxi().province().code);
    }
    let region = common_region(&counties).unwrap_or(Divisions::shanxi().province().code);
    for county in counties
        .iter()
        .copied()
        .chain(counties.is_empty().then_some(region))
    {
        target.region = county;
        access::authorize(db, who, Permission::BankReturnImport, &target, now_ms)?;
    }
    db.transaction(|db| {
        let report = if store::return_file_read(db, &sha)? {
            already_read(&sha)
        } else {
            let t =
                transfer_returns::apply(db, who, (file_name, &sha), &transfers, &attempts, now_ms)?;
            let base = ReturnsReport {
                file_sha256: sha.clone(),
                accepted: t.answered.iter().filter(|a| a.2 == "paid").count() as u64,
                rejected: t.answered.iter().filter(|a| a.2 == "returned").count() as u64,
                quarantined: t.quarantined,
                transfer_payments: t.answered,
                ..Default::default()
            };
            let other = transfers.lines.len() as u64;
            let names = (file_name, sha.as_str(), other);
            apply_file_after(db, names, &file, on, Some(&who.login), base)?
        };
        let details = serde_json::json!({
            "file_name": file_name,
            "read_on": on.to_string(),
            "already_read": report.already_read,
            "accepted": report.accepted,
            "rejected": report.rejected,
            "quarantined": report.quarantined,
            "conflicts": report.conflicts,
            "posted_transfers": report.posted_transfers,
        });
        audit_read(db, who, &sha, Some(region.get()), "ok", details, now_ms)?;
        Ok(report)
    })
}

/// The return files read, latest first (at most `limit`), that `who` may see: those of their
/// region (files read before regions were recorded: the province's users only). Users who may
/// read returns or reports see them; others are refused.
pub fn return_files(db: &mut Db, who: &Principal, limit: i64) -> Result<Vec<ReadReturnFile>> {
    if !(who.role.has(Permission::BankReturnImport) || who.role.has(Permission::ReportRead)) {
        return Err(AppError::Forbidden(tongchou_core::tr!(
            "app-dec-returns-forbidden",
            role = who.role.label(tongchou_core::i18n::current())
        )));
    }
    let d = Divisions::shanxi();
    let province = d.province().code;
    let mut files = store::return_files(db, limit)?;
    files.retain(|f| match f.region {
        Some(r) => d.within(r, who.region),
        None => who.region == province,
    });
    Ok(files)
}

//! The confirmation of a transfer (转移接续确认), the exchange document the receiving province
//! sends back once it has decided what to do with a certificate and its money
//! (`tongchou-transfer-confirmation/1`, `docs/FORMATS.md`): accepted (booked there: what was
//! booked) or refused (the money goes back, with the reason). Written by the receiving side
//! ([`confirmation`]), read by the sending side ([`read_confirmation`]) against its transfer
//! out with the same certificate: the whole document or nothing, every problem naming the file
//! and the field, once (the same file again changes nothing), by the provincial bureau,
//! audited (`transfer.confirmation`).

use super::{audit_ok, province};
use crate::{AppError, Result};
use serde::Serialize;
use serde_json::json;
use tongchou_core::access::{Permission, Principal};
use tongchou_core::{Date, Fen};
use tongchou_store::Db;
use tongchou_store::audit::sha256_hex;
use tongchou_store::transfers::{self as store, Confirmation as Stored};

/// The format name of the confirmation document.
pub const CONFIRMATION: &str = tongchou_core::exchange::CONFIRMATION;

/// The receiving province's answer to a certificate (`tongchou_core::exchange`).
pub type ConfirmationDoc = tongchou_core::exchange::Confirmation;

/// What reading a confirmation did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReadConfirmation {
    pub transfer: i64,
    pub outcome: String,
    /// The same file was read before: nothing changed.
    pub already_read: bool,
}

fn provincial(who: &Principal) -> Result<()> {
    if who.region == province() && who.role.has(Permission::PersonWrite) {
        return Ok(());
    }
    Err(AppError::Forbidden(tongchou_core::tr!(
        "app-tr-bureau-exchanges",
        login = who.login
    )))
}

/// The confirmation of transfer in `id` once decided (done, released or refused).
pub fn confirmation(db: &mut Db, who: &Principal, id: i64, on: Date) -> Result<ConfirmationDoc> {
    provincial(who)?;
    let t = store::by_id(db, id)?
        .filter(|t| t.direction == "in")
        .ok_or_else(|| AppError::NotFound(tongchou_core::tr!("app-tr-in-none", id = id)))?;
    let (outcome, booked) = match t.status.as_str() {
        "done" => ("accepted", t.total_fen),
        "released" => ("accepted", t.received_fen.unwrap_or(t.total_fen)),
        "refused" => ("refused", 0),
        s => {
            return Err(AppError::State(tongchou_core::tr!(
                "app-tr-undecided",
                id = id,
                status = s
            )));
        }
    };
    let reason = store::review(db, id)?
        .and_then(|r| r.reason)
        .unwrap_or_default();
    Ok(ConfirmationDoc {
        format: CONFIRMATION.into(),
        certificate_sha256: t.certificate_sha.clone(),
        from_province: t.other_province as u32,
        to_province: province().get(),
        id_number: t.id_number.clone(),
        outcome: outcome.into(),
        booked: Fen::new(booked),
        reason,
        confirmed_on: on,
    })
}

/// Parse and check a confirmation document; every problem names the file and the field
/// (`tongchou_core::exchange::parse_confirmation`).
pub fn parse_confirmation(file: &str, bytes: &[u8]) -> Result<ConfirmationDoc> {
    tongchou_core::exchange::parse_confirmation(bytes, province().get())
        .map_err(|e| AppError::Invalid(format!("{file}: {e}")))
}

/// Read a confirmation of one of this province's transfers out (see the module documentation).
pub fn read_confirmation(
    db: &mut Db,
    who: &Principal,
    file: &str,
    bytes: &[u8],
    now_ms: i64,
) -> Result<ReadConfirmation> {
    provincial(who)?;
    let c = parse_confirmation(file, bytes)?;
    let sha = sha256_hex(bytes);
    crate::benefits::with_retry(db, |db| {
        if let Some(t) = store::confirmation_by_sha(db, &sha)? {
            return Ok(ReadConfirmation {
                transfer: t,
                outcome: c.outcome.clone(),
                already_read: true,
            });
        }
        let t = store::by_certificate(db, "out", &c.certificate_sha256)?
            .ok_or_else(|| AppError::Invalid(tongchou_core::tr!("app-tr-no-out", file = file)))?;
        if t.id_number != c.id_number || t.other_province != c.to_province as i64 {
            return Err(AppError::Invalid(tongchou_core::tr!(
                "app-tr-not-those",
                file = file,
                id = t.id
            )));
        }
        let row = Stored {
            transfer_id: t.id,
            outcome: c.outcome.clone(),
            booked_fen: c.booked.fen(),
            reason: c.reason.trim().to_string(),
            file_name: file.to_string(),
            file_sha: sha.clone(),
            read_by: who.login.clone(),
            read_at: crate::benefits::iso(now_ms),
        };
        if !store::insert_confirmation(db, &row)? {
            return Err(AppError::State(tongchou_core::tr!(
                "app-tr-confirmed",
                file = file,
                id = t.id
            )));
        }
        let details = json!({"file": file, "outcome": c.outcome, "booked_fen": c.booked.fen()});
        audit_ok(db, who, "transfer.confirmation", t.id, details, now_ms)?;
        Ok(ReadConfirmation {
            transfer: t.id,
            outcome: c.outcome.clone(),
            already_read: false,
        })
    })
}

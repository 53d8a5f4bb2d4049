//! A transfer's money as a bank payment file (pain.001 through `tongchou_bank`, like the
//! payroll's): a transfer out paid to the receiving province's account, or a refused transfer
//! in's money returned to the sender. The debtor is the province's fiscal special account
//! (财政专户, `agency_accounts` kind `fiscal_special_account`) confirmed and in force on the day.
//! One file per attempt (migration 0053, `transfer_payments`); the bank's answer is recorded
//! (paid or returned, [`bank_answer`]); a returned attempt may be issued again, with corrected
//! creditor details if need be. By the provincial bureau (staff who change persons' records, at
//! the province); audited (`transfer.payment_file`, `transfer.bank_answer`).

use super::{audit_ok, province};
use crate::{AppError, Result};
use serde_json::json;
use tongchou_bank::{
    AccountNumber, BankId, Cnaps, DateTime, Debtor, EndToEndId, Payment, PaymentBatch, PaymentKey,
    write_pain001,
};
use tongchou_core::access::{Permission, Principal};
use tongchou_core::{Date, Fen};
use tongchou_store::Db;
use tongchou_store::audit::sha256_hex;
use tongchou_store::transfers::{self as store, Payment as Stored};

/// The receiving account: the other province's fund account (from the request or the
/// certificate's sender).
#[derive(Clone, Copy, Debug)]
pub struct Creditor<'a> {
    pub name: &'a str,
    pub account: &'a str,
    /// The bank's CNAPS code (12 digits).
    pub cnaps: &'a str,
    pub bank_name: Option<&'a str>,
}

fn bank(e: tongchou_bank::BankError) -> AppError {
    AppError::Invalid(tongchou_core::tr!("app-tr-payment-file", error = e))
}

fn provincial(who: &Principal) -> Result<()> {
    if who.region == province() && who.role.has(Permission::PersonWrite) {
        return Ok(());
    }
    Err(AppError::Forbidden(tongchou_core::tr!(
        "app-tr-bureau-pays",
        login = who.login
    )))
}

/// What the transfer pays and to whom: (purpose, item, amount).
fn purpose_of(t: &store::Transfer) -> Result<(&'static str, &'static str, Fen)> {
    match (t.direction.as_str(), t.status.as_str()) {
        ("out", "done" | "confirmed") => Ok(("transfer_out", "TRO", Fen::new(t.total_fen))),
        ("in", "refused") => Ok((
            "refund",
            "TRR",
            Fen::new(t.received_fen.unwrap_or(t.total_fen)),
        )),
        (d, s) => Err(AppError::State(tongchou_core::tr!(
            "app-tr-not-paid",
            id = t.id,
            direction = d,
            status = s
        ))),
    }
}

/// Issue the payment file of transfer `id` to `creditor` on `on` (see the module
/// documentation): the stored attempt and the pain.001 XML.
pub fn payment_file(
    db: &mut Db,
    who: &Principal,
    id: i64,
    creditor: &Creditor<'_>,
    on: Date,
    now_ms: i64,
) -> Result<(Stored, Vec<u8>)> {
    provincial(who)?;
    let debtor = crate::agency_accounts::in_force_of(db, province(), "fiscal_special_account", on)?
        .ok_or_else(|| AppError::State(tongchou_core::tr!("app-tr-no-fiscal", on = on)))?;
    let debtor = crate::agency_accounts::debtor_of(&debtor)?;
    let agent = BankId::new(
        None,
        Some(Cnaps::parse(creditor.cnaps).map_err(bank)?),
        creditor.bank_name,
    )
    .map_err(bank)?;
    let account = AccountNumber::parse(creditor.account).map_err(bank)?;
    crate::benefits::with_retry(db, |db| {
        let t = store::by_id(db, id)?
            .ok_or_else(|| AppError::NotFound(tongchou_core::tr!("app-tr-none", id = id)))?;
        let (purpose, item, amount) = purpose_of(&t)?;
        let before = store::payments(db, id)?;
        if let Some(last) = before.last().filter(|p| p.state != "returned") {
            return Err(AppError::State(tongchou_core::tr!(
                "app-tr-attempt",
                id = id,
                attempt = last.attempt,
                state = last.state
            )));
        }
        let attempt = before.len() as i64 + 1;
        let period = on.period();
        let key = PaymentKey {
            county: province(),
            period,
            item,
            payee: &id.to_string(),
            attempt: u8::try_from(attempt - 1).unwrap_or(u8::MAX),
        };
        let e2e = EndToEndId::derive(&key).map_err(bank)?;
        let remittance = format!(
            "{} {id}",
            if purpose == "refund" {
                "转移退回"
            } else {
                "转移支出"
            }
        );
        let pay = Payment::new(
            e2e.clone(),
            creditor.name,
            account.clone(),
            Some(agent.clone()),
            amount,
            &remittance,
        )
        .map_err(bank)?;
        let batch = batch_of(db, on, debtor.clone(), pay)?;
        let xml = write_pain001(&batch).into_bytes();
        let row = Stored {
            transfer_id: id,
            attempt,
            purpose: purpose.into(),
            message_id: batch.message_id().as_str().to_string(),
            end_to_end_id: e2e.as_str().to_string(),
            amount_fen: amount.fen(),
            creditor_name: creditor.name.to_string(),
            creditor_account: creditor.account.to_string(),
            creditor_cnaps: Some(creditor.cnaps.to_string()),
            state: "issued".into(),
            file_sha: sha256_hex(&xml),
            created_by: who.login.clone(),
            created_at: crate::benefits::iso(now_ms),
            answered_by: None,
            answered_at: None,
            answer_note: None,
        };
        store::insert_payment(db, &row)?;
        let details = json!({"attempt": attempt, "purpose": purpose, "message_id": row.message_id, "amount_fen": amount.fen()});
        audit_ok(db, who, "transfer.payment_file", id, details, now_ms)?;
        Ok((row, xml.clone()))
    })
}

/// [`payment_file`] to the account the transfer's request named (a transfer made from another
/// province's request file, `transfer_requests`), refused when it named none or no request
/// made the transfer: then the creditor must be given.
pub fn payment_file_as_requested(
    db: &mut Db,
    who: &Principal,
    id: i64,
    on: Date,
    now_ms: i64,
) -> Result<(Stored, Vec<u8>)> {
    provincial(who)?;
    let account = store::request_of_transfer(db, id)?.and_then(|r| r.account);
    let Some((name, account, cnaps)) = account else {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-transfer-no-requested-account",
            id = id
        )));
    };
    let to = Creditor {
        name: &name,
        account: &account,
        cnaps: &cnaps,
        bank_name: None,
    };
    payment_file(db, who, id, &to, on, now_ms)
}

/// The file of one payment, numbered after the month's transfer files so far.
fn batch_of(db: &mut Db, on: Date, debtor: Debtor, pay: Payment) -> Result<PaymentBatch> {
    let period = on.period();
    let prefix = format!("TC{}{:06}", province(), period.yyyymm());
    let seq = u16::try_from(store::payment_files_like(db, &prefix)? + 1)
        .map_err(|_| AppError::State(tongchou_core::tr!("app-tr-too-many")))?;
    let created = DateTime::new(on, 9, 0, 0).map_err(bank)?;
    PaymentBatch::new(province(), period, seq, created, on, debtor, vec![pay]).map_err(bank)
}

/// The bank's answer to the last issued attempt of transfer `id`: paid, or returned with the
/// bank's reason (then it may be issued again).
pub fn bank_answer(
    db: &mut Db,
    who: &Principal,
    id: i64,
    paid: bool,
    note: &str,
    now_ms: i64,
) -> Result<Stored> {
    provincial(who)?;
    let state = if paid { "paid" } else { "returned" };
    crate::benefits::with_retry(db, |db| {
        let last = store::payments(db, id)?
            .pop()
            .ok_or_else(|| AppError::NotFound(tongchou_core::tr!("app-tr-no-payment", id = id)))?;
        let at = crate::benefits::iso(now_ms);
        if !store::answer_payment(db, id, last.attempt, state, (&who.login, &at, note.trim()))? {
            return Err(AppError::State(tongchou_core::tr!(
                "app-tr-answered",
                id = id,
                attempt = last.attempt,
                state = last.state
            )));
        }
        let details = json!({"attempt": last.attempt, "state": state, "note": note.trim()});
        audit_ok(db, who, "transfer.bank_answer", id, details, now_ms)?;
        store::payments(db, id)?
            .pop()
            .ok_or_else(|| AppError::State(tongchou_core::tr!("app-tr-payment-vanished", id = id)))
    })
}

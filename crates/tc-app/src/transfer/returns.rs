//! The bank's answer to a transfer's payment file read from the bank's return file (pain.002 or
//! CSV, `tongchou_bank::read_return_file`), the same files the payroll's answers come in and
//! read by the same use case ([`crate::disburse::import_returns`], `tongchou bank returns`, the
//! `/returns` page): the lines whose original message is a transfer payment file
//! ([`super::payment_file`]) are split off ([`split`]) and reconciled against the transfers'
//! issued attempts by `tongchou_bank`'s reconciliation like any payment; an accepted attempt
//! becomes `paid`, a rejected one `returned` (with the bank's reason, then it may be issued
//! again), each audited `transfer.bank_answer` with the file. Inside the reading's transaction:
//! the file is read once (`bank_returns`), and a file answering transfers is the province's.

use super::audit_ok;
use crate::{AppError, Result};
use serde_json::json;
use tongchou_bank::{Final, IssuedPayment, IssuedSet, PaymentState, ReturnFile};
use tongchou_core::Fen;
use tongchou_core::access::Principal;
use tongchou_store::Db;
use tongchou_store::transfers::{self as store, Payment};

/// What a file said of transfer payments.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TransferAnswers {
    /// (transfer, attempt, paid or returned)
    pub answered: Vec<(i64, i64, String)>,
    /// Lines about transfer payments that could not be applied (unknown payment, conflict).
    pub quarantined: u64,
}

/// The file's lines split in two: those answering transfer payment files (their attempts
/// attached), and the rest (the payroll's).
pub fn split(db: &mut Db, file: ReturnFile) -> Result<(ReturnFile, ReturnFile, Vec<Payment>)> {
    let mut attempts: Vec<Payment> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let (mut mine, mut rest) = (Vec::new(), Vec::new());
    for line in file.lines {
        let msg = line.original_message_id.clone();
        if !seen.contains(&msg) {
            attempts.extend(store::payments_of_message(db, &msg)?);
            seen.push(msg.clone());
        }
        if attempts.iter().any(|p| p.message_id == msg) {
            mine.push(line);
        } else {
            rest.push(line);
        }
    }
    let part = |lines| ReturnFile {
        format: file.format,
        report_id: file.report_id.clone(),
        lines,
        malformed: Vec::new(),
    };
    let transfers = part(mine);
    let payroll = ReturnFile {
        malformed: file.malformed.clone(),
        ..part(rest)
    };
    Ok((payroll, transfers, attempts))
}

fn issued(attempts: &[Payment]) -> Result<IssuedSet> {
    let payments = attempts
        .iter()
        .map(|p| IssuedPayment {
            message_id: p.message_id.clone(),
            end_to_end_id: p.end_to_end_id.clone(),
            amount: Fen::new(p.amount_fen),
            state: match p.state.as_str() {
                "paid" => PaymentState::Final(Final::Accepted),
                "returned" => PaymentState::Final(Final::Rejected),
                _ => PaymentState::Pending,
            },
        })
        .collect();
    IssuedSet::new(payments).map_err(|e| AppError::Invalid(e.to_string()))
}

/// Apply the transfer lines of file `file_name` (read by `who`), inside the reading's
/// transaction: each transition recorded on its attempt and audited.
pub fn apply(
    db: &mut Db,
    who: &Principal,
    (file_name, sha): (&str, &str),
    file: &ReturnFile,
    attempts: &[Payment],
    now_ms: i64,
) -> Result<TransferAnswers> {
    let mut out = TransferAnswers::default();
    if file.lines.is_empty() {
        return Ok(out);
    }
    let rec = issued(attempts)?.reconcile(file);
    let at = crate::benefits::iso(now_ms);
    for t in &rec.transitions {
        let Some(p) = attempts.iter().find(|p| p.end_to_end_id == t.end_to_end_id) else {
            continue;
        };
        let (state, note) = match t.to {
            Final::Accepted => ("paid", format!("{file_name}: {}", t.status)),
            Final::Rejected => {
                let why = t.reason.clone().unwrap_or_else(|| t.status.clone());
                ("returned", format!("{file_name}: {why}"))
            }
        };
        if !store::answer_payment(
            db,
            p.transfer_id,
            p.attempt,
            state,
            (&who.login, &at, &note),
        )? {
            out.quarantined += 1;
            continue;
        }
        let details =
            json!({"attempt": p.attempt, "state": state, "note": note, "file_sha256": sha});
        audit_ok(
            db,
            who,
            "transfer.bank_answer",
            p.transfer_id,
            details,
            now_ms,
        )?;
        out.answered
            .push((p.transfer_id, p.attempt, state.to_string()));
    }
    out.quarantined += (rec.quarantined().count() + rec.conflicts().count()) as u64;
    Ok(out)
}

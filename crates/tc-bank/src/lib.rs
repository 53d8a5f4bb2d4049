//! Bank files for Tongchou's pension payments (统支, issue 5 item 7). Pure: no database, no
//! clock, no file system; the caller stores what it needs and passes "now" in.
//!
//! # Out: payment files
//! 1. Per payee, derive the end-to-end id from the business key: [`EndToEndId::derive`] with a
//!    [`PaymentKey`] (county, period, item, payee reference, attempt — a re-issue after a reject
//!    is the same key with `attempt + 1`, so it is linked to the original and gets a new id).
//! 2. Build [`Payment`]s (creditor name and account, amount in [`Fen`], remittance text such as
//!    "2020-01 基本养老金") and the county's [`Debtor`]: its real expenditure account from
//!    configuration, parsed into [`AgencyName`], [`CreditCode`](tongchou_core::CreditCode),
//!    [`AccountNumber`], [`AccountTitle`] and [`BankId`] and given to [`Debtor::new`].
//!    (`Debtor::synthetic`, behind the feature `sim`, makes a fictional one for simulations and
//!    tests only.)
//! 3. [`plan_batches`] sorts them and cuts them into [`PaymentBatch`]es numbered from the next
//!    free sequence of (county, period); each has a deterministic [`MessageId`]
//!    (`TC` + county + yyyymm + sequence), its count and control sum.
//! 4. Write each with [`write_pain001`] (ISO 20022 pain.001.001.09, valid against the official
//!    schema in `schemas/`) or [`write_payment_csv`]. Same batch in, same bytes out.
//!
//! # In: return files
//! [`read_pain002`] (pain.002.001.03, .10–.12) and [`read_return_csv`] give a [`ReturnFile`]:
//! [`StatusLine`]s (original message id, end-to-end id or a group scope, status, reason, amount)
//! and [`Malformed`] entries. A file is refused whole only when it cannot be trusted at all.
//!
//! # Reconciliation
//! Load the issued payments and their states into an [`IssuedSet`], call
//! [`IssuedSet::reconcile`], then act on [`Reconciliation::transitions`] — post the accepted,
//! void the rejected back to the county expenditure account and queue them for re-issue — and
//! persist the new states (or call [`IssuedSet::apply`] in memory). Conflicts and quarantined
//! lines are listed in [`Reconciliation::outcomes`] for manual handling; the [`fmt::Display`] of a
//! [`Reconciliation`] is the report. Reading a file again yields no transitions
//! ([`Reconciliation::changed`] is false). See [`reconcile`] for the rules.
//!
//! # Simulated banks
//! [`StatusReport::for_batch`] answers a batch with chosen rejects; [`write_pain002`] and
//! [`write_return_csv`] write it, so demos exercise the same readers as real returns.
//!
//! [`fmt::Display`]: std::fmt::Display

pub mod batch;
pub mod csv;
pub mod error;
pub mod ids;
pub mod pain001;
pub mod pain002;
pub mod reconcile;
pub mod status;
pub mod text;
pub mod xml;

pub use batch::{
    AccountTitle, AgencyName, BankId, Debtor, MAX_CONTROL_SUM, MAX_PAYMENTS_PER_BATCH, Payment,
    PaymentBatch, plan_batches,
};
pub use csv::{
    PAYMENT_CSV_HEADER, RETURN_CSV_HEADER, read_return_csv, write_payment_csv, write_return_csv,
};
pub use error::BankError;
pub use ids::{AccountNumber, Bic, Cnaps, EndToEndId, MessageId, PaymentKey, payment_info_id_of};
pub use pain001::{PAIN001_MESSAGE_NAME, PAIN001_NAMESPACE, write_pain001};
pub use pain002::{PAIN002_VERSIONS, read_pain002, write_pain002};
pub use reconcile::{
    Decision, Final, IssuedPayment, IssuedSet, Outcome, PaymentState, Quarantine, Reconciliation,
    Summary, Transition,
};
pub use status::{
    Malformed, ReturnFile, ReturnFormat, Scope, StatusCode, StatusKind, StatusLine, StatusReport,
    TxStatusReport, describe_reason, is_duplicate_submission_reason,
};
pub use text::DateTime;
pub use tongchou_core::Fen;

/// Read a return file of either format: XML if it starts (after a byte-order mark and
/// whitespace) with `<`, else CSV.
pub fn read_return_file(text: &str) -> Result<ReturnFile, BankError> {
    let t = text.strip_prefix('\u{FEFF}').unwrap_or(text).trim_start();
    if t.starts_with('<') {
        read_pain002(text)
    } else {
        read_return_csv(text)
    }
}

/// SHA-256 of a file's bytes in lower-case hex, for recording which files were read (a store
/// can refuse to import the same bytes twice, though reconciliation is safe either way).
pub fn file_digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in d {
        s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        s.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_and_dispatch() {
        assert_eq!(
            file_digest(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let csv = format!("{RETURN_CSV_HEADER}\nM1,E1,ACSC,,\n");
        assert_eq!(read_return_file(&csv).unwrap().format, ReturnFormat::Csv);
        assert!(matches!(
            read_return_file("\u{FEFF}  <x/>"),
            Err(BankError::Pain002(_))
        ));
    }
}

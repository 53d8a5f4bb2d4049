//! The one error type of the crate.

use std::fmt;
use tongchou_core::tr;

/// Why a batch could not be built or a file could not be read.
///
/// Building a batch refuses bad input up front, so the writers never fail. Reading a return file
/// fails as a whole only when the file cannot be trusted at all (not XML, wrong message type, bad
/// CSV header); a bad *line* is not an error but a quarantined entry of the [`crate::ReturnFile`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BankError {
    /// A text field is empty, too long or has characters a bank file must not carry.
    Text { field: &'static str, reason: String },
    /// A bank account number is not 6 to 34 ASCII digits.
    Account(String),
    /// A BIC does not match the ISO 9362 form.
    Bic(String),
    /// A CNAPS bank code is not 12 digits.
    Cnaps(String),
    /// A bank identification has neither a BIC nor a CNAPS code.
    NoBankIdentification,
    /// An amount is zero, negative or too large for a payment file.
    Amount(String),
    /// A date-time is out of range.
    DateTime(String),
    /// A batch sequence number is outside 1..=9999, or there are more batches than numbers left.
    Sequence(String),
    /// A business-key part (item, payee) is unusable for an end-to-end id.
    Key(String),
    /// Two payments share an end-to-end id.
    DuplicateEndToEndId(String),
    /// Two batches share a message id.
    DuplicateMessageId(String),
    /// A batch has no payments, or more than a file may carry.
    BatchSize(String),
    /// The XML is not well-formed (or uses a feature we refuse, such as a DOCTYPE).
    Xml {
        line: usize,
        column: usize,
        reason: String,
    },
    /// Well-formed XML that is not a status report we can read.
    Pain002(String),
    /// A CSV file whose shape (header, encoding) is wrong.
    Csv { line: usize, reason: String },
    /// Applying a reconciliation to a set whose states changed since it was computed.
    Stale(String),
}

/// A payment file's text field by its name in the reader's language (the name itself for any
/// other).
fn field_name(field: &str) -> &str {
    use tongchou_core::i18n::word;
    match field {
        "bank name" => word("bank-field-bank-name"),
        "debtor name" => word("bank-field-debtor-name"),
        "debtor account name" => word("bank-field-debtor-account-name"),
        "creditor name" => word("bank-field-creditor-name"),
        "remittance information" => word("bank-field-remittance"),
        other => other,
    }
}

/// In the reader's language (`bank-err-*` of the catalogue, `tongchou_core::i18n::current`).
impl fmt::Display for BankError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = |s: &str| format!("{s:?}");
        f.write_str(&match self {
            BankError::Text { field, reason } => {
                tr!("bank-err-text", field = field_name(field), reason = reason)
            }
            BankError::Account(s) => tr!("bank-err-account", value = q(s)),
            BankError::Bic(s) => tr!("bank-err-bic", value = q(s)),
            BankError::Cnaps(s) => tr!("bank-err-cnaps", value = q(s)),
            BankError::NoBankIdentification => tr!("bank-err-no-bank-id"),
            BankError::Amount(s) => tr!("bank-err-amount", detail = s),
            BankError::DateTime(s) => tr!("bank-err-date-time", detail = s),
            BankError::Sequence(s) => tr!("bank-err-sequence", detail = s),
            BankError::Key(s) => tr!("bank-err-key", detail = s),
            BankError::DuplicateEndToEndId(s) => tr!("bank-err-e2e-twice", id = s),
            BankError::DuplicateMessageId(s) => tr!("bank-err-message-twice", id = s),
            BankError::BatchSize(s) => tr!("bank-err-batch-size", detail = s),
            BankError::Xml {
                line,
                column,
                reason,
            } => tr!(
                "bank-err-xml",
                line = line,
                column = column,
                detail = reason
            ),
            BankError::Pain002(s) => tr!("bank-err-pain002", detail = s),
            BankError::Csv { line, reason } => tr!("bank-err-csv", line = line, detail = reason),
            BankError::Stale(s) => tr!("bank-err-stale", detail = s),
        })
    }
}

impl std::error::Error for BankError {}

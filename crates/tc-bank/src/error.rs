//! The one error type of the crate.

use std::fmt;

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

impl fmt::Display for BankError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BankError::Text { field, reason } => write!(f, "{field}: {reason}"),
            BankError::Account(s) => write!(f, "bad account number {s:?}: 6 to 34 digits"),
            BankError::Bic(s) => write!(f, "bad BIC {s:?}: expected e.g. ICBKCNBJXXX"),
            BankError::Cnaps(s) => write!(f, "bad CNAPS bank code {s:?}: 12 digits"),
            BankError::NoBankIdentification => write!(f, "a bank needs a BIC or a CNAPS code"),
            BankError::Amount(s) => write!(f, "bad amount: {s}"),
            BankError::DateTime(s) => write!(f, "bad date-time: {s}"),
            BankError::Sequence(s) => write!(f, "bad batch sequence: {s}"),
            BankError::Key(s) => write!(f, "bad payment key: {s}"),
            BankError::DuplicateEndToEndId(s) => write!(f, "end-to-end id {s} used twice"),
            BankError::DuplicateMessageId(s) => write!(f, "message id {s} used twice"),
            BankError::BatchSize(s) => write!(f, "bad batch size: {s}"),
            BankError::Xml {
                line,
                column,
                reason,
            } => write!(f, "XML error at {line}:{column}: {reason}"),
            BankError::Pain002(s) => write!(f, "not a readable pain.002 status report: {s}"),
            BankError::Csv { line, reason } => write!(f, "CSV error at line {line}: {reason}"),
            BankError::Stale(s) => write!(f, "stale reconciliation: {s}"),
        }
    }
}

impl std::error::Error for BankError {}

//! What banks say back: status codes, the status lines read from a return file, and the
//! outgoing status report a simulated bank writes.

use crate::DateTime;
use crate::batch::PaymentBatch;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use tongchou_core::Fen;

/// An ISO 20022 payment status code (`GrpSts`, `PmtInfSts`, `TxSts`, or the CSV `status`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StatusCode {
    /// AcceptedCustomerProfile.
    Accp,
    /// AcceptedCreditSettlementCompleted (credited to the payee).
    Accc,
    /// AcceptedSettlementCompleted.
    Acsc,
    /// AcceptedSettlementInProcess.
    Acsp,
    /// AcceptedTechnicalValidation.
    Actc,
    /// Rejected.
    Rjct,
    /// Pending.
    Pdng,
    /// Received.
    Rcvd,
    /// PartiallyAccepted (group level only).
    Part,
    /// Any other code (ACWC, ACWP, ACFC, CANC, BLCK, …): not understood, so never applied.
    Other(String),
}

/// How reconciliation treats a status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusKind {
    Accepted,
    Rejected,
    /// Not a final answer yet (PDNG, RCVD, PART): no change.
    NotFinal,
    /// A code we do not apply automatically: quarantined.
    Unsupported,
}

impl StatusCode {
    pub fn parse(s: &str) -> StatusCode {
        match s.trim() {
            "ACCP" => StatusCode::Accp,
            "ACCC" => StatusCode::Accc,
            "ACSC" => StatusCode::Acsc,
            "ACSP" => StatusCode::Acsp,
            "ACTC" => StatusCode::Actc,
            "RJCT" => StatusCode::Rjct,
            "PDNG" => StatusCode::Pdng,
            "RCVD" => StatusCode::Rcvd,
            "PART" => StatusCode::Part,
            other => StatusCode::Other(other.to_string()),
        }
    }
    pub fn as_str(&self) -> &str {
        match self {
            StatusCode::Accp => "ACCP",
            StatusCode::Accc => "ACCC",
            StatusCode::Acsc => "ACSC",
            StatusCode::Acsp => "ACSP",
            StatusCode::Actc => "ACTC",
            StatusCode::Rjct => "RJCT",
            StatusCode::Pdng => "PDNG",
            StatusCode::Rcvd => "RCVD",
            StatusCode::Part => "PART",
            StatusCode::Other(s) => s,
        }
    }
    /// ACCP, ACCC, ACSC, ACSP and ACTC are accepted; RJCT is rejected; PDNG, RCVD and PART
    /// are not final; anything else is unsupported.
    ///
    /// Note that ACTC (technical validation only) counts as accepted, as the project decided:
    /// a bank that later rejects such a payment produces a *conflict* for manual handling.
    pub fn kind(&self) -> StatusKind {
        match self {
            StatusCode::Accp
            | StatusCode::Accc
            | StatusCode::Acsc
            | StatusCode::Acsp
            | StatusCode::Actc => StatusKind::Accepted,
            StatusCode::Rjct => StatusKind::Rejected,
            StatusCode::Pdng | StatusCode::Rcvd | StatusCode::Part => StatusKind::NotFinal,
            StatusCode::Other(_) => StatusKind::Unsupported,
        }
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reason codes that mean "you sent this before": a bank refusing a *re-sent* file or
/// transaction. Such a reject says nothing about the original, so it never voids a payment.
/// DU01 message id, DU02 payment information id, DU03 transaction, DU04 end-to-end id,
/// DU05 instruction id, AM05 duplication.
pub fn is_duplicate_submission_reason(code: &str) -> bool {
    matches!(code, "DU01" | "DU02" | "DU03" | "DU04" | "DU05" | "AM05")
}

/// A short description of common ISO 20022 status reason codes, for reports.
pub fn describe_reason(code: &str) -> Option<&'static str> {
    Some(match code {
        "AC01" => "incorrect account number / 账号错误",
        "AC03" => "invalid creditor account number / 收款账号无效",
        "AC04" => "closed account / 账户已销户",
        "AC06" => "blocked account / 账户冻结",
        "AC13" => "invalid debtor account type / 付款账户类型无效",
        "AG01" => "transaction forbidden / 禁止交易",
        "AM04" => "insufficient funds / 余额不足",
        "AM05" => "duplication / 重复",
        "BE01" => "name does not match account / 户名不符",
        "BE05" => "unrecognised initiating party / 发起方无法识别",
        "DU01" => "duplicate message id / 报文编号重复",
        "DU02" => "duplicate payment information id / 批次编号重复",
        "DU03" => "duplicate transaction / 交易重复",
        "DU04" => "duplicate end-to-end id / 端到端编号重复",
        "DU05" => "duplicate instruction id / 指令编号重复",
        "FF01" => "invalid file format / 文件格式错误",
        "MD07" => "end customer deceased / 收款人已死亡",
        "MS02" => "not specified reason customer generated / 客户原因",
        "MS03" => "not specified reason agent generated / 银行原因",
        "NARR" => "see narrative / 见附言",
        "RC01" => "bank identifier incorrect / 银行标识错误",
        "RR01" => "missing debtor account or identification / 缺少付款人信息",
        _ => return None,
    })
}

/// Which payments a status line speaks of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One payment, by end-to-end id.
    Transaction { end_to_end_id: String },
    /// Every payment of the original message (or of one of its payment-information blocks)
    /// that the same file does not report on individually.
    Group {
        /// `OrgnlPmtInfId` when the status is given per payment-information block.
        payment_info_id: Option<String>,
        /// End-to-end ids the same file reports on individually.
        excluding: BTreeSet<String>,
        /// Payment-information blocks the same file gives their own status.
        excluding_payment_infos: BTreeSet<String>,
    },
}

/// One status read from a return file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusLine {
    /// Where in the file: the CSV line number, or the entry's ordinal in a pain.002.
    pub source: usize,
    pub original_message_id: String,
    pub scope: Scope,
    pub status: StatusCode,
    /// Reason code (`Rsn/Cd` or `Rsn/Prtry`), e.g. AC04.
    pub reason: Option<String>,
    /// Free text the bank added (`AddtlInf`).
    pub additional_info: Option<String>,
    /// The amount the bank quotes: the payment's for a transaction, the control sum for a group.
    pub amount: Option<Fen>,
    /// The number of transactions the bank quotes for a group.
    pub count: Option<u64>,
}

impl StatusLine {
    pub fn end_to_end_id(&self) -> Option<&str> {
        match &self.scope {
            Scope::Transaction { end_to_end_id } => Some(end_to_end_id),
            Scope::Group { .. } => None,
        }
    }
}

/// An entry of a return file that could not be read; it is quarantined, never guessed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    pub source: usize,
    pub reason: String,
    /// What could be made out, for the person who handles it.
    pub original_message_id: Option<String>,
    pub end_to_end_id: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnFormat {
    /// pain.002 of the given version (3 for pain.002.001.03, 10 for pain.002.001.10, …).
    Pain002 {
        version: u8,
    },
    Csv,
}

/// Everything read from one return file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnFile {
    pub format: ReturnFormat,
    /// The report's own message id (pain.002 `GrpHdr/MsgId`); none for CSV.
    pub report_id: Option<String>,
    pub lines: Vec<StatusLine>,
    pub malformed: Vec<Malformed>,
}

/// One transaction's status in an outgoing (simulated bank) report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxStatusReport {
    pub end_to_end_id: String,
    pub status: StatusCode,
    pub reason: Option<String>,
    pub amount: Option<Fen>,
}

/// A status report as a bank would send it, for simulated returns and tests. Written as
/// pain.002 by [`crate::write_pain002`] or as CSV by [`crate::write_return_csv`]. Fields are
/// written as given (escaped): keep ids within 35 characters for schema validity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusReport {
    pub report_id: String,
    pub created: DateTime,
    pub original_message_id: String,
    pub original_count: Option<u64>,
    pub original_sum: Option<Fen>,
    pub group_status: Option<StatusCode>,
    pub group_reason: Option<String>,
    /// `OrgnlPmtInfId` under which the transactions are listed.
    pub payment_info_id: String,
    pub transactions: Vec<TxStatusReport>,
}

impl StatusReport {
    /// What a bank answers to `batch` when it credits every payment except `rejects`
    /// (end-to-end id and reason code): group status ACSC with no detail when nothing is
    /// rejected, RJCT when everything is, else PART with every transaction listed (ACSC or
    /// RJCT, with its amount). Rejects naming no payment of the batch are ignored.
    pub fn for_batch(
        batch: &PaymentBatch,
        report_id: &str,
        created: DateTime,
        rejects: &[(&str, &str)],
    ) -> StatusReport {
        let payments: Vec<(&str, Fen)> = batch
            .payments()
            .iter()
            .map(|p| (p.end_to_end_id().as_str(), p.amount()))
            .collect();
        StatusReport::for_payments(
            batch.message_id().as_str(),
            &batch.payment_info_id(),
            &payments,
            report_id,
            created,
            rejects,
        )
    }

    /// As [`StatusReport::for_batch`], from what a bank keeps of a file it received: its message
    /// id, its payment-information id and each payment's end-to-end id and amount.
    pub fn for_payments(
        original_message_id: &str,
        payment_info_id: &str,
        payments: &[(&str, Fen)],
        report_id: &str,
        created: DateTime,
        rejects: &[(&str, &str)],
    ) -> StatusReport {
        let rejects: HashMap<&str, &str> = rejects.iter().copied().collect();
        let transactions: Vec<TxStatusReport> = payments
            .iter()
            .map(|&(id, amount)| {
                let reason = rejects.get(id);
                TxStatusReport {
                    end_to_end_id: id.to_string(),
                    status: if reason.is_some() {
                        StatusCode::Rjct
                    } else {
                        StatusCode::Acsc
                    },
                    reason: reason.map(|r| r.to_string()),
                    amount: Some(amount),
                }
            })
            .collect();
        let n_rejected = transactions
            .iter()
            .filter(|t| t.status == StatusCode::Rjct)
            .count();
        let (group_status, transactions) = if n_rejected == 0 {
            (StatusCode::Acsc, Vec::new())
        } else if n_rejected == transactions.len() {
            (StatusCode::Rjct, transactions)
        } else {
            (StatusCode::Part, transactions)
        };
        StatusReport {
            report_id: report_id.to_string(),
            created,
            original_message_id: original_message_id.to_string(),
            original_count: Some(payments.len() as u64),
            original_sum: Fen::checked_sum(payments.iter().map(|p| p.1)),
            group_status: Some(group_status),
            group_reason: None,
            payment_info_id: payment_info_id.to_string(),
            transactions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_classify() {
        for c in ["ACCP", "ACCC", "ACSC", "ACSP", "ACTC"] {
            assert_eq!(StatusCode::parse(c).as_str(), c);
            assert_eq!(StatusCode::parse(c).kind(), StatusKind::Accepted);
        }
        assert_eq!(StatusCode::parse(" RJCT ").kind(), StatusKind::Rejected);
        for c in ["PDNG", "RCVD", "PART"] {
            assert_eq!(StatusCode::parse(c).kind(), StatusKind::NotFinal);
        }
        for c in ["ACWC", "accp", "", "CANC"] {
            assert_eq!(StatusCode::parse(c).kind(), StatusKind::Unsupported, "{c}");
        }
        assert!(is_duplicate_submission_reason("DU01"));
        assert!(!is_duplicate_submission_reason("AC04"));
        assert!(describe_reason("MD07").is_some());
        assert!(describe_reason("ZZ99").is_none());
    }
}

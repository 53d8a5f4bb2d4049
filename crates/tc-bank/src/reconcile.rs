//! Reconciliation of bank returns against the payments we issued. Pure: it decides, the caller
//! applies (ledger postings for accepted payments, voids and the re-issue queue for rejected
//! ones) and then records the new states.
//!
//! Rules, line by line in file order, against the states as they stand *after* the earlier
//! lines of the same file:
//! - a readable line about a known payment with a final status moves a **pending** payment to
//!   that state (**applied**); a payment already in that state is a **duplicate** (no change); a
//!   payment in the other final state is a **conflict**: the first final state wins, the line is
//!   reported for manual handling (a late reject after an accept, or an accept after a reject);
//! - a not-final status (PDNG, RCVD, PART) changes nothing;
//! - a reject whose reason says the bank refused a *re-sent* file or transaction (DU01–DU05,
//!   AM05) changes nothing: the original stands;
//! - an unknown end-to-end id or message, a line naming the wrong message, an amount (or group
//!   count/sum) that differs from what we issued, an unsupported status code and an unreadable
//!   line are **quarantined**: nothing changes, nothing is guessed.
//!
//! So every payment moves at most once, from pending to one final state, and reading the same
//! file again changes nothing ([`Reconciliation::changed`] is false and the report says so).

use crate::BankError;
use crate::batch::PaymentBatch;
use crate::status::{ReturnFile, Scope, StatusKind, StatusLine, is_duplicate_submission_reason};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use tongchou_core::Fen;

/// A final state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Final {
    Accepted,
    Rejected,
}

impl fmt::Display for Final {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Final::Accepted => "accepted",
            Final::Rejected => "rejected",
        })
    }
}

/// Where an issued payment stands with the bank.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaymentState {
    Pending,
    Final(Final),
}

/// A payment as sent: the facts reconciliation checks lines against, and its current state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedPayment {
    pub message_id: String,
    pub end_to_end_id: String,
    pub amount: Fen,
    pub state: PaymentState,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct MessageInfo {
    payment_info_id: String,
    members: Vec<usize>,
    sum: Fen,
}

/// The payments issued, indexed by end-to-end id and by message. Load **every** payment of each
/// message a return file may be about, final ones included: group lines are checked against the
/// whole message's count and control sum, and repeats and conflicts are recognised only against
/// the payments' recorded states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedSet {
    payments: Vec<IssuedPayment>,
    by_e2e: HashMap<String, usize>,
    messages: BTreeMap<String, MessageInfo>,
}

impl IssuedSet {
    /// Refuses a repeated end-to-end id. The payment-information id of each message is the
    /// message id + `-1`, as [`crate::write_pain001`] writes it.
    pub fn new(payments: Vec<IssuedPayment>) -> Result<IssuedSet, BankError> {
        let mut by_e2e = HashMap::with_capacity(payments.len());
        let mut messages: BTreeMap<String, MessageInfo> = BTreeMap::new();
        for (i, p) in payments.iter().enumerate() {
            if by_e2e.insert(p.end_to_end_id.clone(), i).is_some() {
                return Err(BankError::DuplicateEndToEndId(p.end_to_end_id.clone()));
            }
            let m = messages
                .entry(p.message_id.clone())
                .or_insert_with(|| MessageInfo {
                    payment_info_id: format!("{}-1", p.message_id),
                    members: Vec::new(),
                    sum: Fen::ZERO,
                });
            m.members.push(i);
            m.sum = m
                .sum
                .checked_add(p.amount)
                .ok_or_else(|| BankError::Amount(format!("sum of {} overflows", p.message_id)))?;
        }
        Ok(IssuedSet {
            payments,
            by_e2e,
            messages,
        })
    }

    /// Every payment of `batches`, pending. Refuses a repeated message id.
    pub fn from_batches(batches: &[PaymentBatch]) -> Result<IssuedSet, BankError> {
        let mut seen = std::collections::HashSet::new();
        let mut v = Vec::new();
        for b in batches {
            if !seen.insert(b.message_id().as_str()) {
                return Err(BankError::DuplicateMessageId(b.message_id().to_string()));
            }
            for p in b.payments() {
                v.push(IssuedPayment {
                    message_id: b.message_id().to_string(),
                    end_to_end_id: p.end_to_end_id().to_string(),
                    amount: p.amount(),
                    state: PaymentState::Pending,
                });
            }
        }
        IssuedSet::new(v)
    }

    pub fn get(&self, end_to_end_id: &str) -> Option<&IssuedPayment> {
        self.by_e2e.get(end_to_end_id).map(|&i| &self.payments[i])
    }

    pub fn payments(&self) -> &[IssuedPayment] {
        &self.payments
    }

    /// Payments with no final answer yet (still with the bank, or their return was quarantined).
    pub fn pending(&self) -> impl Iterator<Item = &IssuedPayment> {
        self.payments
            .iter()
            .filter(|p| p.state == PaymentState::Pending)
    }

    /// Decide every line of `file` (readable and malformed, in source order).
    pub fn reconcile(&self, file: &ReturnFile) -> Reconciliation {
        let mut entries: Vec<(usize, Result<&StatusLine, &crate::Malformed>)> = file
            .lines
            .iter()
            .map(|l| (l.source, Ok(l)))
            .chain(file.malformed.iter().map(|m| (m.source, Err(m))))
            .collect();
        entries.sort_by_key(|e| e.0);

        let mut overlay: HashMap<usize, Final> = HashMap::new();
        let mut outcomes = Vec::new();
        let mut transitions = Vec::new();
        for (source, entry) in entries {
            match entry {
                Err(m) => outcomes.push(Outcome {
                    source,
                    original_message_id: m.original_message_id.clone(),
                    end_to_end_id: m.end_to_end_id.clone(),
                    decision: Decision::Quarantined(Quarantine::Malformed(m.reason.clone())),
                }),
                Ok(line) => self.decide_line(line, &mut overlay, &mut outcomes, &mut transitions),
            }
        }
        Reconciliation {
            outcomes,
            transitions,
        }
    }

    fn decide_line(
        &self,
        line: &StatusLine,
        overlay: &mut HashMap<usize, Final>,
        outcomes: &mut Vec<Outcome>,
        transitions: &mut Vec<Transition>,
    ) {
        let outcome = |e2e: Option<&str>, decision: Decision| Outcome {
            source: line.source,
            original_message_id: Some(line.original_message_id.clone()),
            end_to_end_id: e2e.map(str::to_string),
            decision,
        };
        let quarantine = |e2e: Option<&str>, q: Quarantine| outcome(e2e, Decision::Quarantined(q));

        let targets: Vec<usize> = match &line.scope {
            Scope::Transaction { end_to_end_id } => {
                let e2e = end_to_end_id.as_str();
                let Some(&i) = self.by_e2e.get(e2e) else {
                    outcomes.push(quarantine(Some(e2e), Quarantine::UnknownEndToEndId));
                    return;
                };
                let p = &self.payments[i];
                if p.message_id != line.original_message_id {
                    outcomes.push(quarantine(
                        Some(e2e),
                        Quarantine::WrongMessage {
                            issued_message_id: p.message_id.clone(),
                        },
                    ));
                    return;
                }
                if let Some(a) = line.amount.filter(|a| *a != p.amount) {
                    outcomes.push(quarantine(
                        Some(e2e),
                        Quarantine::AmountMismatch {
                            issued: p.amount,
                            returned: a,
                        },
                    ));
                    return;
                }
                vec![i]
            }
            Scope::Group {
                payment_info_id,
                excluding,
                excluding_payment_infos,
            } => {
                let Some(m) = self.messages.get(&line.original_message_id) else {
                    outcomes.push(quarantine(None, Quarantine::UnknownMessage));
                    return;
                };
                if let Some(pi) = payment_info_id
                    .as_ref()
                    .filter(|pi| **pi != m.payment_info_id)
                {
                    outcomes.push(quarantine(
                        None,
                        Quarantine::UnknownPaymentInfo {
                            returned: pi.clone(),
                            expected: m.payment_info_id.clone(),
                        },
                    ));
                    return;
                }
                let count = m.members.len() as u64;
                if line.count.is_some_and(|c| c != count) || line.amount.is_some_and(|a| a != m.sum)
                {
                    outcomes.push(quarantine(
                        None,
                        Quarantine::TotalsMismatch {
                            issued_count: count,
                            issued_sum: m.sum,
                            returned_count: line.count,
                            returned_sum: line.amount,
                        },
                    ));
                    return;
                }
                if payment_info_id.is_none() && excluding_payment_infos.contains(&m.payment_info_id)
                {
                    outcomes.push(outcome(None, Decision::NothingLeft));
                    return;
                }
                let left: Vec<usize> = m
                    .members
                    .iter()
                    .copied()
                    .filter(|&i| !excluding.contains(&self.payments[i].end_to_end_id))
                    .collect();
                if left.is_empty() {
                    outcomes.push(outcome(None, Decision::NothingLeft));
                    return;
                }
                left
            }
        };

        let claimed = match line.status.kind() {
            StatusKind::Unsupported => {
                outcomes.push(quarantine(
                    line.end_to_end_id(),
                    Quarantine::UnsupportedStatus(line.status.to_string()),
                ));
                return;
            }
            StatusKind::NotFinal => {
                outcomes.push(outcome(
                    line.end_to_end_id(),
                    Decision::NotFinal(line.status.to_string()),
                ));
                return;
            }
            StatusKind::Rejected
                if line
                    .reason
                    .as_deref()
                    .is_some_and(is_duplicate_submission_reason) =>
            {
                outcomes.push(outcome(
                    line.end_to_end_id(),
                    Decision::DuplicateSubmission(line.reason.clone().unwrap_or_default()),
                ));
                return;
            }
            StatusKind::Rejected => Final::Rejected,
            StatusKind::Accepted => Final::Accepted,
        };

        for i in targets {
            let p = &self.payments[i];
            let current = match overlay.get(&i) {
                Some(&f) => PaymentState::Final(f),
                None => p.state,
            };
            let decision = match current {
                PaymentState::Pending => {
                    overlay.insert(i, claimed);
                    transitions.push(Transition {
                        source: line.source,
                        message_id: p.message_id.clone(),
                        end_to_end_id: p.end_to_end_id.clone(),
                        amount: p.amount,
                        to: claimed,
                        status: line.status.to_string(),
                        reason: line.reason.clone(),
                        additional_info: line.additional_info.clone(),
                    });
                    Decision::Applied(claimed)
                }
                PaymentState::Final(f) if f == claimed => Decision::AlreadyFinal(f),
                PaymentState::Final(kept) => Decision::Conflict { kept, claimed },
            };
            outcomes.push(outcome(Some(&p.end_to_end_id), decision));
        }
    }

    /// Record the transitions of `rec` (computed on this set). Refused as a whole, changing
    /// nothing, if any payment is no longer pending.
    pub fn apply(&mut self, rec: &Reconciliation) -> Result<(), BankError> {
        let mut idx = Vec::with_capacity(rec.transitions.len());
        let mut seen = std::collections::HashSet::with_capacity(rec.transitions.len());
        for t in &rec.transitions {
            match self.by_e2e.get(&t.end_to_end_id) {
                Some(&i) if self.payments[i].state == PaymentState::Pending && seen.insert(i) => {
                    idx.push(i)
                }
                _ => {
                    return Err(BankError::Stale(format!(
                        "{} is not pending in this set",
                        t.end_to_end_id
                    )));
                }
            }
        }
        for (t, i) in rec.transitions.iter().zip(idx) {
            self.payments[i].state = PaymentState::Final(t.to);
        }
        Ok(())
    }
}

/// Why a line was set aside for manual handling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Quarantine {
    UnknownEndToEndId,
    UnknownMessage,
    /// The end-to-end id is ours but was issued in another message.
    WrongMessage {
        issued_message_id: String,
    },
    UnknownPaymentInfo {
        returned: String,
        expected: String,
    },
    AmountMismatch {
        issued: Fen,
        returned: Fen,
    },
    TotalsMismatch {
        issued_count: u64,
        issued_sum: Fen,
        returned_count: Option<u64>,
        returned_sum: Option<Fen>,
    },
    UnsupportedStatus(String),
    Malformed(String),
}

impl fmt::Display for Quarantine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quarantine::UnknownEndToEndId => f.write_str(&tongchou_core::tr!("bank-q-unknown-e2e")),
            Quarantine::UnknownMessage => {
                f.write_str(&tongchou_core::tr!("bank-q-unknown-message"))
            }
            Quarantine::WrongMessage { issued_message_id } => f.write_str(&tongchou_core::tr!(
                "bank-q-wrong-message",
                id = issued_message_id
            )),
            Quarantine::UnknownPaymentInfo { returned, expected } => {
                f.write_str(&tongchou_core::tr!(
                    "bank-q-payment-info",
                    returned = returned,
                    expected = expected
                ))
            }
            Quarantine::AmountMismatch { issued, returned } => f.write_str(&tongchou_core::tr!(
                "bank-q-amount",
                returned = returned,
                issued = issued
            )),
            Quarantine::TotalsMismatch {
                issued_count,
                issued_sum,
                returned_count,
                returned_sum,
            } => f.write_str(&tongchou_core::tr!(
                "bank-q-totals",
                returned_count = returned_count.map_or("-".to_string(), |c| c.to_string()),
                returned_sum = returned_sum.map_or("-".to_string(), |s| s.to_string()),
                issued_count = issued_count,
                issued_sum = issued_sum
            )),
            Quarantine::UnsupportedStatus(s) => {
                f.write_str(&tongchou_core::tr!("bank-q-status", status = s))
            }
            Quarantine::Malformed(s) => {
                f.write_str(&tongchou_core::tr!("bank-q-malformed", detail = s))
            }
        }
    }
}

/// What happened to one line (or, for a group line, to one payment it covers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The payment moved from pending to this state.
    Applied(Final),
    /// The payment was already in this state: no change.
    AlreadyFinal(Final),
    /// The payment is already `kept`; the line claims `claimed`. First final state wins; report
    /// for manual handling.
    Conflict {
        kept: Final,
        claimed: Final,
    },
    /// PDNG, RCVD, PART: no change.
    NotFinal(String),
    /// The bank refused a re-sent file or transaction (reason code given): no change.
    DuplicateSubmission(String),
    /// A group line whose payments the file all reports individually.
    NothingLeft,
    Quarantined(Quarantine),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub source: usize,
    pub original_message_id: Option<String>,
    pub end_to_end_id: Option<String>,
    pub decision: Decision,
}

/// One payment moving from pending to a final state: what the caller posts (accepted) or voids
/// and queues for re-issue (rejected).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub source: usize,
    pub message_id: String,
    pub end_to_end_id: String,
    pub amount: Fen,
    pub to: Final,
    /// The status code that decided it (ACSC, RJCT, …).
    pub status: String,
    pub reason: Option<String>,
    pub additional_info: Option<String>,
}

/// The decisions for one return file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reconciliation {
    /// In source order; a group line has one outcome per payment it reaches.
    pub outcomes: Vec<Outcome>,
    /// At most one per payment, each from pending.
    pub transitions: Vec<Transition>,
}

/// Counts and amounts of a [`Reconciliation`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub accepted: usize,
    pub accepted_amount: Fen,
    pub rejected: usize,
    pub rejected_amount: Fen,
    pub already_final: usize,
    pub conflicts: usize,
    pub not_final: usize,
    pub duplicate_submissions: usize,
    pub nothing_left: usize,
    pub quarantined: usize,
}

impl Reconciliation {
    /// Whether applying this changes any payment. False when a file is read again.
    pub fn changed(&self) -> bool {
        !self.transitions.is_empty()
    }

    pub fn conflicts(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes
            .iter()
            .filter(|o| matches!(o.decision, Decision::Conflict { .. }))
    }

    pub fn quarantined(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes
            .iter()
            .filter(|o| matches!(o.decision, Decision::Quarantined(_)))
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for t in &self.transitions {
            // Sums of issued amounts cannot overflow: IssuedSet::new checked each message.
            match t.to {
                Final::Accepted => {
                    s.accepted += 1;
                    s.accepted_amount = s
                        .accepted_amount
                        .checked_add(t.amount)
                        .unwrap_or(s.accepted_amount);
                }
                Final::Rejected => {
                    s.rejected += 1;
                    s.rejected_amount = s
                        .rejected_amount
                        .checked_add(t.amount)
                        .unwrap_or(s.rejected_amount);
                }
            }
        }
        for o in &self.outcomes {
            match o.decision {
                Decision::Applied(_) => {}
                Decision::AlreadyFinal(_) => s.already_final += 1,
                Decision::Conflict { .. } => s.conflicts += 1,
                Decision::NotFinal(_) => s.not_final += 1,
                Decision::DuplicateSubmission(_) => s.duplicate_submissions += 1,
                Decision::NothingLeft => s.nothing_left += 1,
                Decision::Quarantined(_) => s.quarantined += 1,
            }
        }
        s
    }
}

impl fmt::Display for Reconciliation {
    /// A short report: the counts, then one line per conflict and quarantined entry.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.summary();
        if self.changed() {
            writeln!(
                f,
                "applied: {} accepted ({} yuan), {} rejected ({} yuan)",
                s.accepted, s.accepted_amount, s.rejected, s.rejected_amount
            )?;
        } else {
            writeln!(
                f,
                "no change: nothing in this file moves a payment (already applied, or nothing applicable)"
            )?;
        }
        writeln!(
            f,
            "unchanged: {} already final, {} not final, {} duplicate submissions, {} group lines with nothing left",
            s.already_final, s.not_final, s.duplicate_submissions, s.nothing_left
        )?;
        writeln!(
            f,
            "for manual handling: {} conflicts, {} quarantined",
            s.conflicts, s.quarantined
        )?;
        for o in &self.outcomes {
            let what = match &o.decision {
                Decision::Conflict { kept, claimed } => {
                    format!("conflict: payment is {kept}, line says {claimed}; kept {kept}")
                }
                Decision::Quarantined(q) => format!("quarantined: {q}"),
                _ => continue,
            };
            writeln!(
                f,
                "  entry {}: message {} payment {}: {what}",
                o.source,
                o.original_message_id.as_deref().unwrap_or("?"),
                o.end_to_end_id.as_deref().unwrap_or("(group)"),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{Malformed, ReturnFormat, StatusCode};
    use proptest::prelude::*;
    use std::collections::{BTreeSet, HashSet};

    #[test]
    fn quarantine_reasons_in_the_readers_language() {
        use tongchou_core::i18n::{Lang, scope};
        let q = Quarantine::AmountMismatch {
            issued: Fen::new(12_345),
            returned: Fen::new(100),
        };
        assert_eq!(
            scope(Lang::ZhCn, || q.to_string()),
            "金额 1.00，发出时为 123.45"
        );
        assert_eq!(
            scope(Lang::En, || q.to_string()),
            "amount 1.00, issued 123.45"
        );
        let q = Quarantine::Malformed("x".into());
        assert_eq!(scope(Lang::ZhCn, || q.to_string()), "无法读取：x");
        assert_eq!(scope(Lang::En, || q.to_string()), "unreadable: x");
        let q = Quarantine::UnknownEndToEndId;
        assert_eq!(scope(Lang::ZhCn, || q.to_string()), "未知的端到端标识");
    }

    fn tx_line(
        source: usize,
        msg: &str,
        e2e: &str,
        status: &str,
        amount: Option<i64>,
    ) -> StatusLine {
        StatusLine {
            source,
            original_message_id: msg.into(),
            scope: Scope::Transaction {
                end_to_end_id: e2e.into(),
            },
            status: StatusCode::parse(status),
            reason: None,
            additional_info: None,
            amount: amount.map(Fen::new),
            count: None,
        }
    }

    fn file(lines: Vec<StatusLine>, malformed: Vec<Malformed>) -> ReturnFile {
        ReturnFile {
            format: ReturnFormat::Csv,
            report_id: None,
            lines,
            malformed,
        }
    }

    fn set(n: usize) -> IssuedSet {
        IssuedSet::new(
            (0..n)
                .map(|i| IssuedPayment {
                    message_id: format!("M{}", i % 2),
                    end_to_end_id: format!("E{i}"),
                    amount: Fen::new(100 + i as i64),
                    state: PaymentState::Pending,
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn rules_one_by_one() {
        let mut s = set(4);
        let f = file(
            vec![
                tx_line(1, "M0", "E0", "ACSC", Some(100)),
                tx_line(2, "M0", "E0", "RJCT", None),
                tx_line(3, "M1", "E0", "ACSC", None),
                tx_line(4, "M1", "E1", "RJCT", Some(999)),
                tx_line(5, "M1", "E9", "RJCT", None),
                tx_line(6, "M1", "E1", "RJCT", None),
                tx_line(7, "M1", "E1", "RJCT", None),
                tx_line(8, "M1", "E1", "ACCP", None),
            ],
            vec![Malformed {
                source: 9,
                reason: "x".into(),
                original_message_id: None,
                end_to_end_id: None,
            }],
        );
        let rec = s.reconcile(&f);
        let d: Vec<&Decision> = rec.outcomes.iter().map(|o| &o.decision).collect();
        assert_eq!(d[0], &Decision::Applied(Final::Accepted));
        assert_eq!(
            d[1],
            &Decision::Conflict {
                kept: Final::Accepted,
                claimed: Final::Rejected
            }
        );
        assert!(matches!(
            d[2],
            Decision::Quarantined(Quarantine::WrongMessage { .. })
        ));
        assert!(matches!(
            d[3],
            Decision::Quarantined(Quarantine::AmountMismatch { .. })
        ));
        assert_eq!(d[4], &Decision::Quarantined(Quarantine::UnknownEndToEndId));
        assert_eq!(d[5], &Decision::Applied(Final::Rejected));
        assert_eq!(d[6], &Decision::AlreadyFinal(Final::Rejected));
        assert!(matches!(d[7], Decision::Conflict { .. }));
        assert!(matches!(
            d[8],
            Decision::Quarantined(Quarantine::Malformed(_))
        ));
        assert_eq!(rec.transitions.len(), 2);
        s.apply(&rec).unwrap();
        assert_eq!(
            s.get("E0").unwrap().state,
            PaymentState::Final(Final::Accepted)
        );
        assert_eq!(
            s.get("E1").unwrap().state,
            PaymentState::Final(Final::Rejected)
        );
        assert!(!s.reconcile(&f).changed());
        let pending: Vec<&str> = s.pending().map(|p| p.end_to_end_id.as_str()).collect();
        assert_eq!(pending, vec!["E2", "E3"]);
        assert!(IssuedSet::new(vec![s.payments()[0].clone(), s.payments()[0].clone()]).is_err());
    }

    #[test]
    fn group_lines() {
        let s = set(4); // M0: E0, E2 (sum 202); M1: E1, E3 (sum 204)
        let group = |source,
                     msg: &str,
                     status: &str,
                     excl: &[&str],
                     count: Option<u64>,
                     sum: Option<i64>| StatusLine {
            source,
            original_message_id: msg.into(),
            scope: Scope::Group {
                payment_info_id: None,
                excluding: excl.iter().map(|e| e.to_string()).collect(),
                excluding_payment_infos: BTreeSet::new(),
            },
            status: StatusCode::parse(status),
            reason: None,
            additional_info: None,
            amount: sum.map(Fen::new),
            count,
        };
        let rec = s.reconcile(&file(
            vec![
                tx_line(1, "M0", "E2", "RJCT", None),
                group(2, "M0", "ACSC", &["E2"], Some(2), Some(202)),
                group(3, "M1", "ACSC", &[], Some(3), None),
                group(4, "M9", "ACSC", &[], None, None),
                group(5, "M1", "RJCT", &["E1", "E3"], None, None),
            ],
            vec![],
        ));
        let got: Vec<(Option<&str>, &Decision)> = rec
            .outcomes
            .iter()
            .map(|o| (o.end_to_end_id.as_deref(), &o.decision))
            .collect();
        assert_eq!(got[0], (Some("E2"), &Decision::Applied(Final::Rejected)));
        assert_eq!(got[1], (Some("E0"), &Decision::Applied(Final::Accepted)));
        assert!(matches!(
            got[2],
            (
                None,
                Decision::Quarantined(Quarantine::TotalsMismatch { .. })
            )
        ));
        assert_eq!(
            got[3],
            (None, &Decision::Quarantined(Quarantine::UnknownMessage))
        );
        assert_eq!(got[4], (None, &Decision::NothingLeft));
        assert_eq!(got.len(), 5);
    }

    // ---- Property tests: random files against random issued sets. ----

    #[derive(Clone, Debug)]
    enum Op {
        Tx {
            payment: usize,
            status: &'static str,
            dup_reason: bool,
            amount: u8, // 0 none, 1 right, 2 wrong
            wrong_message: bool,
        },
        Unknown(&'static str),
        Group {
            message: usize, // >= messages means unknown
            status: &'static str,
            excluding: Vec<usize>,
            totals: u8, // 0 none, 1 right, 2 wrong
        },
        Malformed,
    }

    const STATUSES: [&str; 8] = [
        "ACSC", "ACCP", "ACTC", "RJCT", "RJCT", "PDNG", "ACWC", "ACSP",
    ];

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0usize..40, 0usize..8, any::<bool>(), 0u8..3, any::<bool>()).prop_map(
                |(payment, s, dup, amount, wm)| Op::Tx {
                    payment,
                    status: STATUSES[s],
                    dup_reason: dup && s % 5 == 0,
                    amount,
                    wrong_message: wm && amount == 2,
                }
            ),
            1 => (0usize..8).prop_map(|s| Op::Unknown(STATUSES[s])),
            1 => (0usize..5, 0usize..8, proptest::collection::vec(0usize..40, 0..6), 0u8..3)
                .prop_map(|(message, s, excluding, totals)| Op::Group {
                    message,
                    status: STATUSES[s],
                    excluding,
                    totals,
                }),
            1 => Just(Op::Malformed),
        ]
    }

    fn scenario() -> impl Strategy<Value = (Vec<(i64, u8)>, usize, Vec<Op>)> {
        (
            proptest::collection::vec((1i64..1_000_000, 0u8..10), 1..40),
            1usize..4,
            proptest::collection::vec(op(), 0..60),
        )
    }

    fn build(payments: &[(i64, u8)], messages: usize) -> IssuedSet {
        IssuedSet::new(
            payments
                .iter()
                .enumerate()
                .map(|(i, &(amount, st))| IssuedPayment {
                    message_id: format!("M{}", i % messages),
                    end_to_end_id: format!("E{i}"),
                    amount: Fen::new(amount),
                    // Mostly pending, some already final.
                    state: match st {
                        0 => PaymentState::Final(Final::Accepted),
                        1 => PaymentState::Final(Final::Rejected),
                        _ => PaymentState::Pending,
                    },
                })
                .collect(),
        )
        .unwrap()
    }

    fn to_file(set: &IssuedSet, messages: usize, ops: &[Op]) -> ReturnFile {
        let n = set.payments().len();
        let mut lines = Vec::new();
        let mut malformed = Vec::new();
        for (k, op) in ops.iter().enumerate() {
            let source = k + 1;
            match op {
                Op::Tx {
                    payment,
                    status,
                    dup_reason,
                    amount,
                    wrong_message,
                } => {
                    let p = &set.payments()[payment % n];
                    let mut l = tx_line(source, &p.message_id, &p.end_to_end_id, status, None);
                    l.amount = match amount {
                        1 => Some(p.amount),
                        2 => Some(Fen::new(p.amount.fen() + 1)),
                        _ => None,
                    };
                    if *wrong_message {
                        l.amount = None;
                        l.original_message_id = format!("X{}", p.message_id);
                    }
                    if *dup_reason {
                        l.reason = Some("DU01".into());
                    }
                    lines.push(l);
                }
                Op::Unknown(status) => lines.push(tx_line(source, "M0", "NOPE", status, None)),
                Op::Group {
                    message,
                    status,
                    excluding,
                    totals,
                } => {
                    let msg = if *message < messages {
                        format!("M{message}")
                    } else {
                        "M404".into()
                    };
                    let members: Vec<&IssuedPayment> = set
                        .payments()
                        .iter()
                        .filter(|p| p.message_id == msg)
                        .collect();
                    let sum = Fen::new(members.iter().map(|p| p.amount.fen()).sum());
                    let (count, amount) = match totals {
                        1 => (Some(members.len() as u64), Some(sum)),
                        2 => (Some(members.len() as u64 + 1), None),
                        _ => (None, None),
                    };
                    lines.push(StatusLine {
                        source,
                        original_message_id: msg,
                        scope: Scope::Group {
                            payment_info_id: None,
                            excluding: excluding.iter().map(|i| format!("E{}", i % n)).collect(),
                            excluding_payment_infos: BTreeSet::new(),
                        },
                        status: StatusCode::parse(status),
                        reason: None,
                        additional_info: None,
                        amount,
                        count,
                    });
                }
                Op::Malformed => malformed.push(Malformed {
                    source,
                    reason: "garbage".into(),
                    original_message_id: None,
                    end_to_end_id: None,
                }),
            }
        }
        file(lines, malformed)
    }

    /// Independent model: the payments each valid line claims, and the final state claimed.
    fn oracle(set: &IssuedSet, f: &ReturnFile) -> Vec<PaymentState> {
        let mut states: Vec<PaymentState> = set.payments().iter().map(|p| p.state).collect();
        let mut lines: Vec<&StatusLine> = f.lines.iter().collect();
        lines.sort_by_key(|l| l.source);
        for l in lines {
            let claim = match l.status.as_str() {
                "ACSC" | "ACCP" | "ACTC" | "ACSP" | "ACCC" => Final::Accepted,
                "RJCT" if l.reason.as_deref() != Some("DU01") => Final::Rejected,
                _ => continue,
            };
            let targets: Vec<usize> = match &l.scope {
                Scope::Transaction { end_to_end_id } => set
                    .payments()
                    .iter()
                    .position(|p| {
                        &p.end_to_end_id == end_to_end_id
                            && p.message_id == l.original_message_id
                            && l.amount.is_none_or(|a| a == p.amount)
                    })
                    .into_iter()
                    .collect(),
                Scope::Group { excluding, .. } => {
                    let members: Vec<usize> = (0..states.len())
                        .filter(|&i| set.payments()[i].message_id == l.original_message_id)
                        .collect();
                    let sum: i64 = members
                        .iter()
                        .map(|&i| set.payments()[i].amount.fen())
                        .sum();
                    if l.count.is_some_and(|c| c != members.len() as u64)
                        || l.amount.is_some_and(|a| a.fen() != sum)
                    {
                        continue;
                    }
                    members
                        .into_iter()
                        .filter(|&i| !excluding.contains(&set.payments()[i].end_to_end_id))
                        .collect()
                }
            };
            for i in targets {
                if states[i] == PaymentState::Pending {
                    states[i] = PaymentState::Final(claim);
                }
            }
        }
        states
    }

    fn states(set: &IssuedSet) -> Vec<PaymentState> {
        set.payments().iter().map(|p| p.state).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn every_payment_moves_at_most_once_and_rereading_changes_nothing(
            (payments, messages, ops) in scenario()
        ) {
            let mut set = build(&payments, messages);
            let before = states(&set);
            let f = to_file(&set, messages, &ops);
            let rec = set.reconcile(&f);

            // Transitions: each payment at most once, only from pending, only for valid lines.
            let mut seen = HashSet::new();
            for t in &rec.transitions {
                prop_assert!(seen.insert(t.end_to_end_id.clone()), "{} moved twice", t.end_to_end_id);
                prop_assert_eq!(set.get(&t.end_to_end_id).unwrap().state, PaymentState::Pending);
                let line = f.lines.iter().find(|l| l.source == t.source).unwrap();
                prop_assert!(line.status.kind() != StatusKind::Unsupported);
            }
            // Every entry of the file is accounted for.
            let sources: BTreeSet<usize> = rec.outcomes.iter().map(|o| o.source).collect();
            prop_assert_eq!(sources.len(), f.lines.len() + f.malformed.len());

            set.apply(&rec).unwrap();
            let after = states(&set);
            prop_assert_eq!(&after, &oracle(&build(&payments, messages), &f));
            // Finals never change, money is neither created nor lost.
            for (b, a) in before.iter().zip(&after) {
                if *b != PaymentState::Pending {
                    prop_assert_eq!(b, a);
                }
            }
            let total: i64 = set.payments().iter().map(|p| p.amount.fen()).sum();
            prop_assert_eq!(total, payments.iter().map(|p| p.0).sum::<i64>());

            // Reading the same file again: nothing moves, every applied line is now a duplicate.
            let again = set.reconcile(&f);
            prop_assert!(!again.changed());
            let applied = rec.outcomes.iter().filter(|o| matches!(o.decision, Decision::Applied(_))).count();
            let already_now = again.outcomes.iter().filter(|o| matches!(o.decision, Decision::AlreadyFinal(_))).count();
            let already_before = rec.outcomes.iter().filter(|o| matches!(o.decision, Decision::AlreadyFinal(_))).count();
            prop_assert_eq!(already_now, already_before + applied);
            prop_assert_eq!(again.summary().quarantined, rec.summary().quarantined);
            prop_assert!(again.to_string().starts_with("no change"));
        }

        #[test]
        fn order_decides_only_between_conflicting_claims(
            (payments, messages, ops) in scenario(), seed in any::<u64>()
        ) {
            let set = build(&payments, messages);
            let f = to_file(&set, messages, &ops);
            // The same lines in another order (sources renumbered to the new order).
            let mut order: Vec<usize> = (0..ops.len()).collect();
            let mut x = seed | 1;
            for i in (1..order.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                order.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let shuffled_ops: Vec<Op> = order.iter().map(|&i| ops[i].clone()).collect();
            let g = to_file(&set, messages, &shuffled_ops);

            let mut a = set.clone();
            a.apply(&a.reconcile(&f)).unwrap();
            let mut b = set.clone();
            b.apply(&b.reconcile(&g)).unwrap();
            // The same payments end final either way; where they differ, both orders saw
            // conflicting claims, and both report a conflict or the payment was pending.
            for ((pa, pb), p0) in a.payments().iter().zip(b.payments()).zip(set.payments()) {
                prop_assert_eq!(pa.state == PaymentState::Pending, pb.state == PaymentState::Pending);
                if pa.state != pb.state {
                    prop_assert_eq!(p0.state, PaymentState::Pending);
                    let ra = a.reconcile(&f);
                    prop_assert!(ra.conflicts().any(|o| o.end_to_end_id.as_deref() == Some(&pa.end_to_end_id)));
                }
            }
        }

        #[test]
        fn two_files_in_a_row_equal_one_file(
            (payments, messages, ops) in scenario(), cut in any::<prop::sample::Index>()
        ) {
            let set = build(&payments, messages);
            let k = if ops.is_empty() { 0 } else { cut.index(ops.len() + 1) };
            let whole = to_file(&set, messages, &ops);
            let first = to_file(&set, messages, &ops[..k]);
            // Sources of the second file continue the first's so group lines match up.
            let mut second = to_file(&set, messages, &ops);
            second.lines.retain(|l| l.source > k);
            second.malformed.retain(|m| m.source > k);

            let mut one = set.clone();
            one.apply(&one.reconcile(&whole)).unwrap();
            let mut two = set.clone();
            let r1 = two.reconcile(&first);
            two.apply(&r1).unwrap();
            let r2 = two.reconcile(&second);
            two.apply(&r2).unwrap();
            prop_assert_eq!(states(&one), states(&two));
            // And a file made of the same lines twice moves nothing more than once.
            let mut doubled = whole.clone();
            let extra: Vec<StatusLine> = whole.lines.iter().cloned().map(|mut l| { l.source += 1000; l }).collect();
            doubled.lines.extend(extra);
            let mut three = set.clone();
            let rd = three.reconcile(&doubled);
            three.apply(&rd).unwrap();
            prop_assert_eq!(states(&one), states(&three));
        }
    }
}

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

/// The payments issued, indexed by end-to-end id and by message. Build it from the rows of the
/// payments a return file may be about (typically every payment not yet final, plus the final
/// ones of the same messages so duplicates and conflicts are recognised).
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
        for t in &rec.transitions {
            match self.by_e2e.get(&t.end_to_end_id) {
                Some(&i)
                    if self.payments[i].state == PaymentState::Pending && !idx.contains(&i) =>
                {
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
            Quarantine::UnknownEndToEndId => write!(f, "unknown end-to-end id"),
            Quarantine::UnknownMessage => write!(f, "unknown message id"),
            Quarantine::WrongMessage { issued_message_id } => {
                write!(f, "payment was issued in message {issued_message_id}")
            }
            Quarantine::UnknownPaymentInfo { returned, expected } => {
                write!(f, "payment information {returned}, expected {expected}")
            }
            Quarantine::AmountMismatch { issued, returned } => {
                write!(f, "amount {returned}, issued {issued}")
            }
            Quarantine::TotalsMismatch {
                issued_count,
                issued_sum,
                returned_count,
                returned_sum,
            } => write!(
                f,
                "group totals {} tx / {} yuan, issued {issued_count} tx / {issued_sum} yuan",
                returned_count.map_or("-".to_string(), |c| c.to_string()),
                returned_sum.map_or("-".to_string(), |s| s.to_string()),
            ),
            Quarantine::UnsupportedStatus(s) => write!(f, "unsupported status {s}"),
            Quarantine::Malformed(s) => write!(f, "unreadable: {s}"),
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

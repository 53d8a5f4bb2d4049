//! The ledger's rules, over an in-memory [`State`]: every way a transfer can be refused, how it
//! moves balances, linked chains, idempotency and the hash chain.
//!
//! The same code serves three callers: [`crate::MemLedger`] (whole state in memory, the reference
//! semantics), the SQL store (loads the accounts and transfers a batch touches into a `State`,
//! runs [`execute`], writes back what changed) and the checker ([`Replay`], which re-validates a
//! stored journal from the first entry).

use crate::chart::{AccountId, Chart, Limit, Side};
use crate::report::inter_level_part;
use crate::transfer::{Hash, JournalEntry, Op, Request, Transfer};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use tongchou_core::{Fen, tr};
use tongchou_crypto::HashAlg;

/// Longest idempotency key, in bytes.
pub const MAX_KEY: usize = 200;
/// Longest business reference, in bytes.
pub const MAX_REFERENCE: usize = 500;

/// The four balances of an account (TigerBeetle's model). All stay ≥ 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Balances {
    pub debits_posted: Fen,
    pub credits_posted: Fen,
    pub debits_pending: Fen,
    pub credits_pending: Fen,
}

/// The four balances in the current language, for the ledger's findings.
impl fmt::Display for Balances {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&tr!(
            "ledger-balances",
            debits = self.debits_posted,
            credits = self.credits_posted,
            debits_pending = self.debits_pending,
            credits_pending = self.credits_pending
        ))
    }
}

impl Balances {
    /// Posted balance on the given normal side (debits − credits for a debit-normal account).
    pub fn posted_on(&self, side: Side) -> i64 {
        match side {
            Side::Debit => self.debits_posted.fen() - self.credits_posted.fen(),
            Side::Credit => self.credits_posted.fen() - self.debits_posted.fen(),
        }
    }
    /// Pending balance on the given normal side.
    pub fn pending_on(&self, side: Side) -> i64 {
        match side {
            Side::Debit => self.debits_pending.fen() - self.credits_pending.fen(),
            Side::Credit => self.credits_pending.fen() - self.debits_pending.fen(),
        }
    }
    pub fn is_zero(&self) -> bool {
        *self == Balances::default()
    }
    /// Whether the balances respect `limit` (and are all non-negative).
    pub fn within(&self, limit: Limit) -> bool {
        let nonneg = self.debits_posted.fen() >= 0
            && self.credits_posted.fen() >= 0
            && self.debits_pending.fen() >= 0
            && self.credits_pending.fen() >= 0;
        let sum = |a: Fen, b: Fen| a.fen().checked_add(b.fen());
        nonneg
            && match limit {
                Limit::None => true,
                Limit::DebitsMustNotExceedCredits => {
                    matches!(sum(self.debits_pending, self.debits_posted), Some(d) if d <= self.credits_posted.fen())
                }
                Limit::CreditsMustNotExceedDebits => {
                    matches!(sum(self.credits_pending, self.credits_posted), Some(c) if c <= self.debits_posted.fen())
                }
            }
    }
}

/// An open account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: AccountId,
    pub limit: Limit,
    pub balances: Balances,
}

/// A recorded transfer with what later transfers did to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Known {
    pub transfer: Transfer,
    /// For a pending transfer: the transfer that posted or voided it.
    pub resolved_by: Option<i64>,
    /// For a posted transfer: how much has been reversed so far.
    pub reversed: Fen,
}

/// The last journal entry: its sequence number (0 before the first) and hash.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Head {
    pub seq: i64,
    pub hash: Hash,
    /// The algorithm of `hash` (SHA-256 for the empty journal).
    #[serde(serialize_with = "crate::transfer::alg_name")]
    pub alg: HashAlg,
}

/// What the rules need to see. [`crate::MemLedger`] holds everything; the SQL store fills in
/// only the accounts and transfers a batch refers to (a transfer absent here is "not found").
#[derive(Clone, Debug, Default)]
pub struct State {
    pub accounts: HashMap<AccountId, Account>,
    pub transfers: HashMap<i64, Known>,
    pub keys: HashMap<String, i64>,
    pub head: Head,
    /// The hash algorithm of new entries: the deployment's choice.
    pub chain: HashAlg,
}

impl State {
    pub fn insert_known(&mut self, k: Known) {
        self.keys.insert(k.transfer.key.clone(), k.transfer.id);
        self.transfers.insert(k.transfer.id, k);
    }
    pub fn by_key(&self, key: &str) -> Option<&Known> {
        self.keys.get(key).and_then(|id| self.transfers.get(id))
    }
}

/// The result of one accepted request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Recorded now, as journal entry `id`.
    Created { id: i64 },
    /// The same key with the same content was recorded earlier as `id`: nothing was done.
    Exists { id: i64 },
}

impl Outcome {
    pub fn id(self) -> i64 {
        match self {
            Outcome::Created { id } | Outcome::Exists { id } => id,
        }
    }
}

/// Why a request was refused. Nothing of a refused request (or of its linked chain) is recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum TransferError {
    KeyInvalid,
    /// The key was used before with other content; the field named is the first that differs.
    ExistsWithDifferent {
        field: &'static str,
    },
    MissingField {
        field: &'static str,
    },
    UnexpectedField {
        field: &'static str,
    },
    AmountNotPositive,
    UnknownCategory,
    ReferenceTooLong,
    /// The lines' total is not the amount, or an empty set of lines was attached.
    LinesMismatch,
    AccountNotFound {
        account: AccountId,
    },
    SameAccount,
    /// Debit and credit are in different books (regions): link one transfer per book instead.
    CrossBook,
    TargetNotFound,
    TargetNotPending,
    PendingAlreadyPosted,
    PendingAlreadyVoided,
    TargetNotReversible,
    AlreadyFullyReversed,
    AmountExceedsPending,
    AmountExceedsUnreversed,
    VoidAmountMismatch,
    AccountMismatch {
        field: &'static str,
    },
    DateBeforeTarget,
    LimitExceeded {
        account: AccountId,
        limit: Limit,
    },
    Overflow,
    /// Inter-level accounts (补助下级支出/上级补助收入, 上解上级支出/下级上解收入) would not move
    /// together: money would appear at one level without leaving the other.
    InterLevelImbalance,
    /// Another request of the same linked chain failed.
    LinkedEventFailed,
    /// The batch ended inside a linked chain.
    LinkedChainOpen,
    /// (Replay only) the journal entry's sequence number is not the next one.
    OutOfSequence,
    /// (Replay only) the key was recorded twice.
    DuplicateKey,
}

impl fmt::Display for TransferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TransferError::*;
        let text = match self {
            KeyInvalid => tr!("ledger-err-key-invalid", max = MAX_KEY),
            ExistsWithDifferent { field } => tr!("ledger-err-exists-different", field = field),
            MissingField { field } => tr!("ledger-err-missing-field", field = field),
            UnexpectedField { field } => tr!("ledger-err-unexpected-field", field = field),
            AmountNotPositive => tr!("ledger-err-amount-not-positive"),
            UnknownCategory => tr!("ledger-err-unknown-category"),
            ReferenceTooLong => tr!("ledger-err-reference-too-long", max = MAX_REFERENCE),
            LinesMismatch => tr!("ledger-err-lines-mismatch"),
            AccountNotFound { account } => tr!("ledger-err-account-not-found", account = account),
            SameAccount => tr!("ledger-err-same-account"),
            CrossBook => tr!("ledger-err-cross-book"),
            TargetNotFound => tr!("ledger-err-target-not-found"),
            TargetNotPending => tr!("ledger-err-target-not-pending"),
            PendingAlreadyPosted => tr!("ledger-err-pending-posted"),
            PendingAlreadyVoided => tr!("ledger-err-pending-voided"),
            TargetNotReversible => tr!("ledger-err-not-reversible"),
            AlreadyFullyReversed => tr!("ledger-err-fully-reversed"),
            AmountExceedsPending => tr!("ledger-err-exceeds-pending"),
            AmountExceedsUnreversed => tr!("ledger-err-exceeds-unreversed"),
            VoidAmountMismatch => tr!("ledger-err-void-amount"),
            AccountMismatch { field } => tr!("ledger-err-account-mismatch", field = field),
            DateBeforeTarget => tr!("ledger-err-date-before-target"),
            LimitExceeded { account, limit } => tr!(
                "ledger-err-limit-exceeded",
                account = account,
                limit = limit
            ),
            Overflow => tr!("ledger-err-overflow"),
            InterLevelImbalance => tr!("ledger-err-inter-level"),
            LinkedEventFailed => tr!("ledger-err-linked-failed"),
            LinkedChainOpen => tr!("ledger-err-linked-open"),
            OutOfSequence => tr!("ledger-err-out-of-sequence"),
            DuplicateKey => tr!("ledger-err-duplicate-key"),
        };
        f.write_str(&text)
    }
}
impl std::error::Error for TransferError {}

/// The result of [`execute`]: one result per request, and the journal entries created, in order.
#[derive(Debug, Default)]
pub struct Execution {
    pub results: Vec<Result<Outcome, TransferError>>,
    pub created: Vec<JournalEntry>,
}

/// What to restore when a linked chain fails.
struct Undo {
    head: Head,
    created_len: usize,
    accounts: Vec<(AccountId, Balances)>,
    inserted: Vec<i64>,
    resolved: Vec<i64>,
    reversed: Vec<(i64, Fen)>,
}

impl Undo {
    fn new(head: Head, created_len: usize) -> Undo {
        Undo {
            head,
            created_len,
            accounts: Vec::new(),
            inserted: Vec::new(),
            resolved: Vec::new(),
            reversed: Vec::new(),
        }
    }
    fn touch(&mut self, a: &Account) {
        if !self.accounts.iter().any(|(id, _)| *id == a.id) {
            self.accounts.push((a.id, a.balances));
        }
    }
    fn rollback(self, state: &mut State, created: &mut Vec<JournalEntry>) {
        for (id, b) in self.accounts {
            if let Some(a) = state.accounts.get_mut(&id) {
                a.balances = b;
            }
        }
        for id in self.inserted {
            if let Some(k) = state.transfers.remove(&id) {
                state.keys.remove(&k.transfer.key);
            }
        }
        for t in self.resolved {
            if let Some(k) = state.transfers.get_mut(&t) {
                k.resolved_by = None;
            }
        }
        for (t, amt) in self.reversed {
            if let Some(k) = state.transfers.get_mut(&t) {
                // Undoing exactly what this batch added.
                k.reversed = k.reversed.checked_sub(amt).expect("undo what was added");
            }
        }
        state.head = self.head;
        created.truncate(self.created_len);
    }
}

/// Apply a batch of requests to `state`. Requests with `linked` set chain to the next one; a chain
/// (or a lone request) is a unit that succeeds or fails as a whole, and each unit must keep the
/// inter-level accounts in step. A failing unit leaves `state` exactly as it was.
pub fn execute(chart: &Chart, state: &mut State, batch: &[Request], recorded_at: i64) -> Execution {
    let mut ex = Execution {
        results: Vec::with_capacity(batch.len()),
        created: Vec::new(),
    };
    let mut i = 0;
    while i < batch.len() {
        let (last, open) = match batch[i..].iter().position(|r| !r.linked) {
            Some(p) => (i + p, false),
            None => (batch.len() - 1, true),
        };
        let unit = &batch[i..=last];
        let mut undo = Undo::new(state.head, ex.created.len());
        let mut ok = Vec::with_capacity(unit.len());
        let mut failed: Option<(usize, TransferError)> = None;
        if open {
            failed = Some((unit.len() - 1, TransferError::LinkedChainOpen));
        } else {
            for (k, r) in unit.iter().enumerate() {
                match apply_request(chart, state, r, recorded_at, &mut undo, &mut ex.created) {
                    Ok(o) => ok.push(o),
                    Err(e) => {
                        failed = Some((k, e));
                        break;
                    }
                }
            }
            if failed.is_none() && !inter_level_balanced(chart, state, &undo) {
                failed = Some((unit.len() - 1, TransferError::InterLevelImbalance));
            }
        }
        match failed {
            None => ex.results.extend(ok.into_iter().map(Ok)),
            Some((k, e)) => {
                undo.rollback(state, &mut ex.created);
                for j in 0..unit.len() {
                    ex.results.push(Err(if j == k {
                        e.clone()
                    } else {
                        TransferError::LinkedEventFailed
                    }));
                }
            }
        }
        i = last + 1;
    }
    ex
}

fn inter_level_balanced(chart: &Chart, state: &State, undo: &Undo) -> bool {
    // per pair group, what the unit changed must add up to 0 (posted and pending)
    let mut diff: Vec<(&str, i128, i128)> = Vec::new();
    for (id, before) in &undo.accounts {
        let (Some(kind), Some(after)) = (chart.kind_of(*id), state.accounts.get(id)) else {
            continue;
        };
        let (Some((group, p1, q1)), Some((_, p0, q0))) = (
            inter_level_part(kind, &after.balances),
            inter_level_part(kind, before),
        ) else {
            continue;
        };
        match diff.iter_mut().find(|d| d.0 == group) {
            Some(d) => {
                d.1 += p1 - p0;
                d.2 += q1 - q0;
            }
            None => diff.push((group, p1 - p0, q1 - q0)),
        }
    }
    diff.iter().all(|d| d.1 == 0 && d.2 == 0)
}

fn apply_request(
    chart: &Chart,
    state: &mut State,
    r: &Request,
    recorded_at: i64,
    undo: &mut Undo,
    created: &mut Vec<JournalEntry>,
) -> Result<Outcome, TransferError> {
    if r.key.is_empty() || r.key.len() > MAX_KEY {
        return Err(TransferError::KeyInvalid);
    }
    if let Some(k) = state.by_key(&r.key) {
        same_content(state, r, &k.transfer)?;
        return Ok(Outcome::Exists { id: k.transfer.id });
    }
    let t = resolve(state, r, recorded_at)?;
    apply_resolved(chart, state, &t, Some(undo))?;
    let id = t.id;
    created.push(record(state, t));
    Ok(Outcome::Created { id })
}

/// Compare a repeated request with what was recorded under its key. Fields the request leaves
/// open (accounts and amounts taken from the target) match anything.
fn same_content(state: &State, r: &Request, t: &Transfer) -> Result<(), TransferError> {
    let diff = |field| Err(TransferError::ExistsWithDifferent { field });
    if r.op != t.op {
        return diff("op");
    }
    let target = r.target.as_deref().map(|k| state.keys.get(k).copied());
    match (target, t.target) {
        (None, None) => {}
        (Some(Some(a)), Some(b)) if a == b => {}
        _ => return diff("target"),
    }
    if r.debit.is_some_and(|d| d != t.debit) {
        return diff("debit");
    }
    if r.credit.is_some_and(|c| c != t.credit) {
        return diff("credit");
    }
    if r.amount.is_some_and(|a| a != t.amount) {
        return diff("amount");
    }
    if r.category != t.category {
        return diff("category");
    }
    if r.reference != t.reference {
        return diff("reference");
    }
    if r.date != t.date {
        return diff("date");
    }
    if r.linked != t.linked {
        return diff("linked");
    }
    let (count, digest) = r
        .lines
        .map(|l| (l.count, l.digest))
        .unwrap_or((0, Hash::ZERO));
    if count != t.line_count || digest != t.lines_digest {
        return diff("lines");
    }
    Ok(())
}

/// Turn a request into the transfer it would record: fill accounts and amount from the target.
fn resolve(state: &State, r: &Request, recorded_at: i64) -> Result<Transfer, TransferError> {
    let (target, debit, credit, amount) = match r.op {
        Op::Post | Op::Pending => {
            if r.target.is_some() {
                return Err(TransferError::UnexpectedField { field: "target" });
            }
            let debit = r
                .debit
                .ok_or(TransferError::MissingField { field: "debit" })?;
            let credit = r
                .credit
                .ok_or(TransferError::MissingField { field: "credit" })?;
            let amount = r
                .amount
                .ok_or(TransferError::MissingField { field: "amount" })?;
            (None, debit, credit, amount)
        }
        Op::PostPending | Op::VoidPending | Op::Reverse => {
            let key = r
                .target
                .as_deref()
                .ok_or(TransferError::MissingField { field: "target" })?;
            let k = state.by_key(key).ok_or(TransferError::TargetNotFound)?;
            let t = &k.transfer;
            let (d, c) = if r.op == Op::Reverse {
                (t.credit, t.debit)
            } else {
                (t.debit, t.credit)
            };
            if r.debit.is_some_and(|x| x != d) {
                return Err(TransferError::AccountMismatch { field: "debit" });
            }
            if r.credit.is_some_and(|x| x != c) {
                return Err(TransferError::AccountMismatch { field: "credit" });
            }
            let amount = match (r.op, r.amount) {
                (_, Some(a)) => a,
                (Op::Reverse, None) => t.amount.checked_sub(k.reversed).unwrap_or(Fen::ZERO),
                (_, None) => t.amount,
            };
            if r.op == Op::Reverse && amount.fen() <= 0 && r.amount.is_none() {
                return Err(TransferError::AlreadyFullyReversed);
            }
            (Some(t.id), d, c, amount)
        }
    };
    let (line_count, lines_digest) = match r.lines {
        None => (0, Hash::ZERO),
        Some(l) if l.count > 0 && l.total == amount => (l.count, l.digest),
        Some(_) => return Err(TransferError::LinesMismatch),
    };
    Ok(Transfer {
        id: state.head.seq + 1,
        key: r.key.clone(),
        op: r.op,
        target,
        debit,
        credit,
        amount,
        category: r.category.clone(),
        reference: r.reference.clone(),
        date: r.date,
        linked: r.linked,
        line_count,
        lines_digest,
        recorded_at,
    })
}

/// Validate a fully resolved transfer against `state` and apply it (balances, target status).
/// Does not touch the head: see [`record`].
fn apply_resolved(
    chart: &Chart,
    state: &mut State,
    t: &Transfer,
    undo: Option<&mut Undo>,
) -> Result<(), TransferError> {
    use TransferError as E;
    if t.id != state.head.seq + 1 {
        return Err(E::OutOfSequence);
    }
    if t.key.is_empty() || t.key.len() > MAX_KEY {
        return Err(E::KeyInvalid);
    }
    if state.keys.contains_key(&t.key) {
        return Err(E::DuplicateKey);
    }
    if t.amount.fen() <= 0 {
        return Err(E::AmountNotPositive);
    }
    if chart.category(&t.category).is_none() {
        return Err(E::UnknownCategory);
    }
    if t.reference.len() > MAX_REFERENCE {
        return Err(E::ReferenceTooLong);
    }
    if t.debit == t.credit {
        return Err(E::SameAccount);
    }
    let da = *state
        .accounts
        .get(&t.debit)
        .ok_or(E::AccountNotFound { account: t.debit })?;
    let ca = *state
        .accounts
        .get(&t.credit)
        .ok_or(E::AccountNotFound { account: t.credit })?;
    if t.debit.region() != t.credit.region() {
        return Err(E::CrossBook);
    }
    // what the transfer releases from a pending reservation
    let mut release = Fen::ZERO;
    match (t.op, t.target) {
        (Op::Post | Op::Pending, Some(_)) => return Err(E::UnexpectedField { field: "target" }),
        (Op::Post | Op::Pending, None) => {}
        (_, None) => return Err(E::MissingField { field: "target" }),
        (op, Some(tid)) => {
            let k = state.transfers.get(&tid).ok_or(E::TargetNotFound)?;
            let target = &k.transfer;
            if t.date < target.date {
                return Err(E::DateBeforeTarget);
            }
            let (d, c) = if op == Op::Reverse {
                (target.credit, target.debit)
            } else {
                (target.debit, target.credit)
            };
            if t.debit != d {
                return Err(E::AccountMismatch { field: "debit" });
            }
            if t.credit != c {
                return Err(E::AccountMismatch { field: "credit" });
            }
            if op == Op::Reverse {
                if !matches!(target.op, Op::Post | Op::PostPending) {
                    return Err(E::TargetNotReversible);
                }
                let left = target.amount.fen() - k.reversed.fen();
                if left <= 0 {
                    return Err(E::AlreadyFullyReversed);
                }
                if t.amount.fen() > left {
                    return Err(E::AmountExceedsUnreversed);
                }
            } else {
                if target.op != Op::Pending {
                    return Err(E::TargetNotPending);
                }
                if let Some(by) = k.resolved_by {
                    let posted = state
                        .transfers
                        .get(&by)
                        .is_some_and(|b| b.transfer.op == Op::PostPending);
                    return Err(if posted {
                        E::PendingAlreadyPosted
                    } else {
                        E::PendingAlreadyVoided
                    });
                }
                if op == Op::PostPending && t.amount > target.amount {
                    return Err(E::AmountExceedsPending);
                }
                if op == Op::VoidPending && t.amount != target.amount {
                    return Err(E::VoidAmountMismatch);
                }
                release = target.amount;
            }
        }
    }
    let (mut bd, mut bc) = (da.balances, ca.balances);
    let add = |x: &mut Fen, v: Fen| -> Result<(), TransferError> {
        *x = x.checked_add(v).ok_or(E::Overflow)?;
        Ok(())
    };
    let sub = |x: &mut Fen, v: Fen| -> Result<(), TransferError> {
        *x = x
            .checked_sub(v)
            .filter(|r| r.fen() >= 0)
            .ok_or(E::Overflow)?;
        Ok(())
    };
    match t.op {
        Op::Post | Op::Reverse => {
            add(&mut bd.debits_posted, t.amount)?;
            add(&mut bc.credits_posted, t.amount)?;
        }
        Op::Pending => {
            add(&mut bd.debits_pending, t.amount)?;
            add(&mut bc.credits_pending, t.amount)?;
        }
        Op::PostPending => {
            sub(&mut bd.debits_pending, release)?;
            sub(&mut bc.credits_pending, release)?;
            add(&mut bd.debits_posted, t.amount)?;
            add(&mut bc.credits_posted, t.amount)?;
        }
        Op::VoidPending => {
            sub(&mut bd.debits_pending, release)?;
            sub(&mut bc.credits_pending, release)?;
        }
    }
    if !bd.within(da.limit) {
        return Err(E::LimitExceeded {
            account: t.debit,
            limit: da.limit,
        });
    }
    if !bc.within(ca.limit) {
        return Err(E::LimitExceeded {
            account: t.credit,
            limit: ca.limit,
        });
    }
    // all checks passed: apply
    if let Some(u) = undo {
        u.touch(&da);
        u.touch(&ca);
        u.inserted.push(t.id);
        match t.op {
            Op::PostPending | Op::VoidPending => u.resolved.extend(t.target),
            Op::Reverse => u.reversed.extend(t.target.map(|x| (x, t.amount))),
            _ => {}
        }
    }
    if let Some(a) = state.accounts.get_mut(&t.debit) {
        a.balances = bd;
    }
    if let Some(a) = state.accounts.get_mut(&t.credit) {
        a.balances = bc;
    }
    if let Some(target) = t.target.and_then(|x| state.transfers.get_mut(&x)) {
        match t.op {
            Op::PostPending | Op::VoidPending => target.resolved_by = Some(t.id),
            // Validation refused a reversal beyond what is left of the target: reversed ≤ amount.
            Op::Reverse => {
                target.reversed = target
                    .reversed
                    .checked_add(t.amount)
                    .expect("reversed never exceeds the target's amount")
            }
            _ => {}
        }
    }
    state.insert_known(Known {
        transfer: t.clone(),
        resolved_by: None,
        reversed: Fen::ZERO,
    });
    Ok(())
}

/// Chain an applied transfer onto the journal: hash it after the head and advance the head.
fn record(state: &mut State, t: Transfer) -> JournalEntry {
    let prev = state.head;
    let alg = state.chain;
    let hash = t.chain_hash_with(alg, &prev.hash);
    state.head = Head {
        seq: t.id,
        hash,
        alg,
    };
    JournalEntry {
        transfer: t,
        prev_hash: prev.hash,
        hash,
        alg,
        prev_alg: prev.alg,
    }
}

/// A stored journal entry that fails verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayError {
    /// `prev_hash` is not the hash of the entry before.
    BrokenLink { expected: Hash, found: Hash },
    /// `hash` is not H(prev ‖ canonical content) under the entry's algorithm.
    BadHash { expected: Hash, found: Hash },
    /// An SHA-256 entry after an SM3 one: a chain never goes back to the weaker choice.
    Downgrade { from: HashAlg, to: HashAlg },
    /// The transfer breaks a rule of the ledger at that point of history.
    Invalid(TransferError),
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::BrokenLink { expected, found } => f.write_str(&tr!(
                "ledger-chk-broken-link",
                found = found,
                expected = expected
            )),
            ReplayError::BadHash { expected, found } => f.write_str(&tr!(
                "ledger-chk-bad-hash",
                found = found,
                expected = expected
            )),
            ReplayError::Downgrade { from, to } => f.write_str(&tr!(
                "ledger-chk-downgrade",
                from = from.name(),
                to = to.name()
            )),
            ReplayError::Invalid(e) => f.write_str(&tr!("ledger-chk-invalid", error = e)),
        }
    }
}

/// Re-verifies a journal from its first entry: the hash chain, and every transfer against the
/// rules at its point of history, rebuilding the balances as it goes.
pub struct Replay<'c> {
    chart: &'c Chart,
    state: State,
}

impl<'c> Replay<'c> {
    /// Start from the given open accounts, all at zero.
    pub fn new(
        chart: &'c Chart,
        accounts: impl IntoIterator<Item = (AccountId, Limit)>,
    ) -> Replay<'c> {
        let mut state = State::default();
        for (id, limit) in accounts {
            state.accounts.insert(
                id,
                Account {
                    id,
                    limit,
                    balances: Balances::default(),
                },
            );
        }
        Replay { chart, state }
    }

    /// Verify and apply the next entry.
    pub fn push(&mut self, e: &JournalEntry) -> Result<(), ReplayError> {
        let head = self.state.head;
        if e.prev_hash != head.hash || e.prev_alg != head.alg {
            return Err(ReplayError::BrokenLink {
                expected: head.hash,
                found: e.prev_hash,
            });
        }
        if head.alg == HashAlg::Sm3 && e.alg == HashAlg::Sha256 {
            return Err(ReplayError::Downgrade {
                from: head.alg,
                to: e.alg,
            });
        }
        let computed = e.transfer.chain_hash_with(e.alg, &e.prev_hash);
        if computed != e.hash {
            return Err(ReplayError::BadHash {
                expected: computed,
                found: e.hash,
            });
        }
        apply_resolved(self.chart, &mut self.state, &e.transfer, None)
            .map_err(ReplayError::Invalid)?;
        self.state.head = Head {
            seq: e.transfer.id,
            hash: e.hash,
            alg: e.alg,
        };
        Ok(())
    }

    pub fn state(&self) -> &State {
        &self.state
    }
    pub fn head(&self) -> Head {
        self.state.head
    }
}

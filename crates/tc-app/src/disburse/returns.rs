//! Reading a bank's status report ([`read_returns`]), and step 7: with a bank counterpart
//! standing in for the banks, each file of the month is answered and the answer read like any
//! return file.

use super::{BankCounterpart, SentFile, StepOutput, submit};
use super::{files, overlap};
use crate::error::{AppError, Result};
use crate::ledger_refs::Reference;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tongchou_bank::{
    DateTime, Final, IssuedPayment, IssuedSet, PaymentState, Reconciliation, ReturnFile,
    file_digest, read_return_file,
};
use tongchou_core::period::{Date, Period};
use tongchou_core::{Divisions, Fen, RegionCode};
use tongchou_engine::disbursement::Calendar;
use tongchou_ledger::Request;
use tongchou_store::Db;
use tongchou_store::ledger::Ledger;
use tongchou_store::payroll::{self as store, LineState};

/// What reading one return file did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReturnsReport {
    pub file_sha256: String,
    pub already_read: bool,
    pub accepted: u64,
    pub rejected: u64,
    pub quarantined: u64,
    pub conflicts: u64,
    pub posted_transfers: u64,
    /// Transfers' payment attempts the file answered (transfer, attempt, paid or returned):
    /// `crate::transfer::returns`.
    pub transfer_payments: Vec<(i64, i64, String)>,
}

/// Where each message of the file went: its month and county locate its lines
/// (`payroll_lines_county`). Messages the database does not know are left out.
fn sent_messages<'f>(db: &mut Db, file: &'f ReturnFile) -> Result<BTreeMap<&'f str, (i64, i64)>> {
    let mut msgs: Vec<&str> = file
        .lines
        .iter()
        .map(|l| l.original_message_id.as_str())
        .collect();
    msgs.sort();
    msgs.dedup();
    let mut sent = BTreeMap::new();
    for msg in msgs {
        if let Some(at) = store::file_of_message(db, msg)? {
            sent.insert(msg, at);
        }
    }
    Ok(sent)
}

/// The lines that went out in the months and counties of a file's messages, read once
/// (`store::each_line_out`): the file's messages' payments as an [`IssuedSet`] with what became
/// of them so far, and every line's (month, county, item) group, so that the groups' outcomes
/// after the file are known without reading the lines again.
struct LinesOut {
    /// Every payment of the file's messages (their whole messages, final ones included).
    issued: IssuedSet,
    /// Each group: (month, county, item).
    groups: Vec<Group>,
    /// The group of each payment of `issued`, by its index there.
    group_of_issued: Vec<usize>,
    /// The lines of the same groups in other messages: (group, amount, state).
    others: Vec<(usize, Fen, PaymentState)>,
}

fn payment_state(s: LineState) -> PaymentState {
    match s {
        LineState::Paid => PaymentState::Final(Final::Accepted),
        LineState::Returned => PaymentState::Final(Final::Rejected),
        LineState::Pending => PaymentState::Pending,
    }
}

/// Read the lines out of every (month, county) the file's messages went out in, once each.
fn lines_out(db: &mut Db, sent: &BTreeMap<&str, (i64, i64)>) -> Result<LinesOut> {
    let mut places: Vec<(i64, i64)> = sent.values().copied().collect();
    places.sort();
    places.dedup();
    let mut groups = Vec::new();
    let mut issued = Vec::new();
    let mut group_of_issued = Vec::new();
    let mut others = Vec::new();
    for (month, county) in places {
        // the groups of this month and county by item (looked up without a key per line)
        let mut by_item: BTreeMap<String, usize> = BTreeMap::new();
        store::each_line_out(db, month, county, |l| {
            let g = match by_item.get(l.item) {
                Some(g) => *g,
                None => {
                    groups.push((month, county, l.item.to_string()));
                    by_item.insert(l.item.to_string(), groups.len() - 1);
                    groups.len() - 1
                }
            };
            let state = payment_state(l.state);
            if sent.contains_key(l.msg_id) {
                issued.push(IssuedPayment {
                    message_id: l.msg_id.to_string(),
                    end_to_end_id: l.end_to_end.to_string(),
                    amount: l.amount,
                    state,
                });
                group_of_issued.push(g);
            } else {
                others.push((g, l.amount, state));
            }
            Ok(())
        })?;
    }
    Ok(LinesOut {
        issued: IssuedSet::new(issued).map_err(|e| AppError::Invalid(e.to_string()))?,
        groups,
        group_of_issued,
        others,
    })
}

/// A (month, county, item) group of payment lines.
type Group = (i64, i64, String);

/// Where the lines of one (month, county, item) group stand: the amount paid, and how many
/// still await the bank's answer.
#[derive(Clone, Copy, Debug, Default)]
struct Outcome {
    paid: Fen,
    issued: u64,
}

impl LinesOut {
    /// The outcome of each group of the file's messages' lines, the file's transitions applied.
    fn outcomes_after(mut self, rec: &Reconciliation) -> Result<Vec<(Group, Outcome)>> {
        self.issued
            .apply(rec)
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let mut outcome = vec![Outcome::default(); self.groups.len()];
        let mut answered = vec![false; self.groups.len()];
        let issued = self.issued.payments().iter().map(|p| (p.amount, p.state));
        let lines = self
            .group_of_issued
            .iter()
            .copied()
            .zip(issued)
            .map(|(g, a)| (g, a, true))
            .chain(
                self.others
                    .iter()
                    .map(|&(g, amount, state)| (g, (amount, state), false)),
            );
        for (g, (amount, state), in_file) in lines {
            answered[g] |= in_file;
            let o = &mut outcome[g];
            match state {
                PaymentState::Final(Final::Accepted) => {
                    o.paid = o.paid.checked_add(amount).ok_or_else(|| {
                        let (m, county, item) = &self.groups[g];
                        AppError::Invalid(tongchou_core::tr!(
                            "app-dis-overflow",
                            key = format!("pay/{m}/{county}/{item}")
                        ))
                    })?
                }
                PaymentState::Final(Final::Rejected) => {}
                PaymentState::Pending => o.issued += 1,
            }
        }
        Ok(self
            .groups
            .into_iter()
            .zip(outcome)
            .zip(answered)
            .filter_map(|(go, answered)| answered.then_some(go))
            .collect())
    }
}

/// Apply the file's transitions: rejected payments line by line (few); accepted ones in one
/// statement per message when the file answers every payment of the message still issued
/// (`issued`: the file's messages' payments as they stood before the file).
fn apply_transitions(
    db: &mut Db,
    rec: &Reconciliation,
    sent: &BTreeMap<&str, (i64, i64)>,
    issued: &IssuedSet,
    report: &mut ReturnsReport,
) -> Result<()> {
    let mut accepted_by_msg: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    // each message's payments with no answer after the file (the rejected ones are returned
    // first)
    let mut pending: BTreeMap<&str, usize> = BTreeMap::new();
    for p in issued.pending() {
        *pending.entry(p.message_id.as_str()).or_default() += 1;
    }
    for t in &rec.transitions {
        if let Some(n) = pending.get_mut(t.message_id.as_str()) {
            *n = n.saturating_sub(1);
        }
        match t.to {
            Final::Accepted => {
                accepted_by_msg
                    .entry(t.message_id.as_str())
                    .or_default()
                    .push(t.end_to_end_id.as_str());
                report.accepted += 1;
            }
            Final::Rejected => {
                let Some(&(month, _)) = sent.get(t.message_id.as_str()) else {
                    continue;
                };
                let reason = t.reason.clone().unwrap_or_else(|| t.status.clone());
                store::mark_returned(db, month, &t.message_id, &t.end_to_end_id, &reason)?;
                report.rejected += 1;
            }
        }
    }
    for (msg, e2es) in &accepted_by_msg {
        let Some(&(month, county)) = sent.get(msg) else {
            continue;
        };
        // every payment still issued in the message is accepted by the file
        if pending.get(msg).copied().unwrap_or(0) == 0 {
            store::mark_message_paid(db, month, county, msg)?;
        } else {
            for e in e2es {
                store::mark_line_paid(db, month, msg, e)?;
            }
        }
    }
    Ok(())
}

/// Post every pending benefit transfer whose payments are now all final (`outcomes`: the
/// groups of the file's messages after the file): for the accepted part, or voided (the money
/// stays in the county account) when nothing was accepted.
fn settle_transfers(
    db: &mut Db,
    outcomes: Vec<(Group, Outcome)>,
    sha: &str,
    on: Date,
) -> Result<u64> {
    let mut reqs = Vec::new();
    {
        let mut ledger = Ledger::new(db);
        for ((month, county, item), o) in outcomes {
            if o.issued > 0 {
                continue;
            }
            let key = format!("pay/{month}/{county}/{item}");
            let post_key = format!("{key}/final");
            if ledger.transfer(&post_key)?.is_some() {
                continue;
            }
            let reference = Reference::bank_returns(sha).to_string();
            reqs.push(if o.paid.is_positive() {
                Request::post_pending(&post_key, &key, Some(o.paid), "benefit", &reference, on)
            } else {
                Request::void(&post_key, &key, "bank_return", &reference, on)
            });
        }
    }
    submit(&mut Ledger::new(db), &reqs)?;
    Ok(reqs.len() as u64)
}

/// The report of a file read before: nothing changes.
pub(super) fn already_read(sha: &str) -> ReturnsReport {
    ReturnsReport {
        file_sha256: sha.to_string(),
        already_read: true,
        ..Default::default()
    }
}

/// The file's status lines: a file that is not UTF-8 or neither a pain.002 nor a CSV return file
/// is refused whole, naming the file and the reason.
pub(super) fn parse(file_name: &str, bytes: &[u8]) -> Result<ReturnFile> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| AppError::Invalid(tongchou_core::tr!("app-dis-utf8", file = file_name)))?;
    read_return_file(text).map_err(|e| AppError::Invalid(format!("{file_name}: {e}")))
}

/// The counties whose payment files the file answers (messages the database does not know are
/// left out), in order, each once.
pub(super) fn counties_of(db: &mut Db, file: &ReturnFile) -> Result<Vec<RegionCode>> {
    let mut counties: Vec<RegionCode> = Vec::new();
    for (_, county) in sent_messages(db, file)?.into_values() {
        counties.push(super::rc(county)?);
    }
    counties.sort();
    counties.dedup();
    Ok(counties)
}

/// The smallest region holding every county: the county, else their city, else the province;
/// `None` without a county.
pub(super) fn common_region(counties: &[RegionCode]) -> Option<RegionCode> {
    let d = Divisions::shanxi();
    let first = *counties.first()?;
    if counties.iter().all(|c| *c == first) {
        return Some(first);
    }
    let city = d.city_of(first);
    if city.is_some() && counties.iter().all(|c| d.city_of(*c) == city) {
        return city;
    }
    Some(d.province().code)
}

/// Apply a parsed file not read before, inside the caller's transaction (see [`read_returns`]);
/// `read_by` is the login of the person who read it, if one did.
pub(super) fn apply_file(
    db: &mut Db,
    file_name: &str,
    sha: &str,
    file: &ReturnFile,
    on: Date,
    read_by: Option<&str>,
) -> Result<ReturnsReport> {
    let base = ReturnsReport {
        file_sha256: sha.to_string(),
        ..Default::default()
    };
    apply_file_after(db, (file_name, sha, 0), file, on, read_by, base)
}

/// [`apply_file`] after `other_lines` other lines of the file were applied (`base`: their
/// counts).
pub(super) fn apply_file_after(
    db: &mut Db,
    (file_name, sha, other_lines): (&str, &str, u64),
    file: &ReturnFile,
    on: Date,
    read_by: Option<&str>,
    base: ReturnsReport,
) -> Result<ReturnsReport> {
    let sent = sent_messages(db, file)?;
    let lines = lines_out(db, &sent)?;
    let rec = lines.issued.reconcile(file);
    let mut report = base;
    apply_transitions(db, &rec, &sent, &lines.issued, &mut report)?;
    for q in rec.quarantined().chain(rec.conflicts()) {
        let why = format!("{:?}", q.decision);
        let e2e = q.end_to_end_id.as_deref().unwrap_or("");
        store::quarantine(db, sha, q.source as i64, e2e, &why)?;
    }
    report.quarantined += rec.quarantined().count() as u64;
    report.conflicts += rec.conflicts().count() as u64;
    report.posted_transfers = settle_transfers(db, lines.outcomes_after(&rec)?, sha, on)?;
    let mut counties = Vec::with_capacity(sent.len());
    for (_, county) in sent.values() {
        counties.push(super::rc(*county)?);
    }
    store::record_return_file(
        db,
        &store::ReturnFile {
            sha256: sha,
            file_name,
            read_on: &on.to_string(),
            counts: store::ReturnCounts {
                lines: (file.lines.len() as u64 + other_lines) as i64,
                accepted: report.accepted as i64,
                rejected: report.rejected as i64,
                quarantined: report.quarantined as i64,
                conflicts: report.conflicts as i64,
            },
            // lines of transfers' payments (other_lines) are the province's
            region: common_region(&counties)
                .or((other_lines > 0).then(|| Divisions::shanxi().province().code)),
            read_by,
        },
    )?;
    Ok(report)
}

/// Read a bank status report (pain.002 or CSV return file): accepted payments become paid,
/// rejected ones returned (queued for re-issue); every pending benefit transfer whose payments are
/// all final is posted for the accepted part (the rejected part goes back to the county account).
/// Reading the same file again changes nothing. No one is checked or audited here: this is the
/// month job's reading of a counterpart's answer; a person reads a bank's file with
/// [`super::import_returns`].
pub fn read_returns(db: &mut Db, file_name: &str, bytes: &[u8], on: Date) -> Result<ReturnsReport> {
    let sha = file_digest(bytes);
    read_parsed(db, file_name, &sha, on, || parse(file_name, bytes))
}

/// [`read_returns`] of a file whose digest is `sha`, `file` giving its status lines (asked only
/// when the file was not read before).
fn read_parsed(
    db: &mut Db,
    file_name: &str,
    sha: &str,
    on: Date,
    file: impl FnOnce() -> Result<ReturnFile>,
) -> Result<ReturnsReport> {
    db.transaction(|db| {
        if store::return_file_read(db, sha)? {
            return Ok(already_read(sha));
        }
        let file = file()?;
        apply_file(db, file_name, sha, &file, on, None)
    })
}

/// Where the counterpart's answer to the payment file at `xml_path` is written: beside the
/// month's files in `out_dir`, `<msg>.pain002.xml`.
pub(super) fn answer_path(out_dir: &Path, xml_path: &str) -> PathBuf {
    let p = PathBuf::from(xml_path)
        .with_extension("")
        .with_extension("pain002.xml");
    out_dir.join(p.file_name().unwrap_or_default())
}

/// A payment file of the month as the bank received it: each payment's id and amount.
struct Sent {
    file: store::MonthFile,
    payments: Vec<(String, Fen)>,
}

/// The bank's answer to a file as the worker prepared it: staged under `path`, its digest, its
/// status lines.
struct Answer {
    path: PathBuf,
    name: String,
    sha: String,
    file: Result<ReturnFile>,
}

/// The worker's part of a file (no database): the counterpart answers it, the answer is staged
/// beside the file, digested and parsed.
fn answer(
    bank: &dyn BankCounterpart,
    out_dir: &Path,
    answered_at: DateTime,
    sent: Result<Sent>,
) -> Result<Answer> {
    let sent = sent?;
    let payments: Vec<(&str, Fen)> = sent
        .payments
        .iter()
        .map(|(e, a)| (e.as_str(), *a))
        .collect();
    let bytes = bank.answer(&SentFile {
        msg_id: &sent.file.msg_id,
        payments: &payments,
        answered_at,
    })?;
    let path = answer_path(out_dir, &sent.file.xml_path);
    files::stage(&path, &bytes)?;
    let name = path.display().to_string();
    Ok(Answer {
        sha: file_digest(&bytes),
        file: parse(&name, &bytes),
        path,
        name,
    })
}

/// The month's files, one after the other: read here, answered by the worker (`answer`) while
/// the previous answer is read here like any return file.
struct Answers {
    files: std::vec::IntoIter<store::MonthFile>,
    month: Period,
    on: Date,
    /// Reading a file's payments failed: nothing more is read.
    stopped: bool,
    accepted: u64,
    rejected: u64,
    staged: Vec<PathBuf>,
}

impl overlap::Units for Answers {
    type In = Result<Sent>;
    type Out = Result<Answer>;

    fn next(&mut self, db: &mut Db) -> Option<Result<Sent>> {
        if self.stopped {
            return None;
        }
        let file = self.files.next()?;
        // what the bank keeps of the file it received: each payment's id and amount
        let sent = match store::payments_of_file(db, self.month, file.county, &file.msg_id) {
            Ok(payments) => Ok(Sent { file, payments }),
            Err(e) => {
                self.stopped = true;
                Err(e.into())
            }
        };
        Some(sent)
    }

    fn apply(&mut self, db: &mut Db, answer: Result<Answer>) -> Result<()> {
        let a = answer?;
        self.staged.push(a.path);
        let r = read_parsed(db, &a.name, &a.sha, self.on, || a.file)?;
        self.accepted += r.accepted;
        self.rejected += r.rejected;
        Ok(())
    }
}

/// Step 7 (with a bank counterpart only): each file of the month is answered by the counterpart
/// and its answer is written beside the file (staged until the step commits) and read like any
/// return file.
pub(super) fn step_returns(
    db: &mut Db,
    month: Period,
    cal: &Calendar,
    out_dir: &Path,
    bank: &dyn BankCounterpart,
) -> Result<StepOutput> {
    let on = cal.pay_day.add_days(2);
    let answered_at = DateTime::new(on, 18, 0, 0).map_err(|e| AppError::Invalid(e.to_string()))?;
    let mut answers = Answers {
        files: store::files_of_month(db, month)?.into_iter(),
        month,
        on,
        stopped: false,
        accepted: 0,
        rejected: 0,
        staged: Vec::new(),
    };
    overlap::run(db, &mut answers, |sent| {
        answer(bank, out_dir, answered_at, sent)
    })?;
    files::sync(&answers.staged)?;
    Ok(StepOutput {
        details: serde_json::json!({"accepted": answers.accepted, "rejected": answers.rejected}),
        staged: answers.staged,
    })
}

//! Payments under the ledger's guard: the payroll lines that went out to the banks must agree
//! with what the ledger recorded when they did, so a line changed behind the system's back (a
//! paid line turned `returned` to be paid again, an amount raised, a line deleted, a file's
//! control sum or digest edited) is caught before anything acts on it.
//!
//! For every (month, county, item) with issued lines, the pending benefit transfer
//! `pay/<month>/<county>/<item>` holds the person-level lines as they were issued (count, total
//! and a digest chained into the journal's hash): the lines today, in the same order, must give
//! the same summary. Its settlement `…/final` posts the paid part (or voids it): the paid lines
//! must add up to it and none may still wait for an answer. Every payment file must hold as many
//! lines and as much money as it says, and its XML on disk must have the recorded digest.
//!
//! [`check_payments`] checks everything (`tongchou ledger check` runs it); the payroll runs
//! [`check_before_reissue`] on the groups whose returned lines it is about to re-issue.

use crate::error::{AppError, Result};
use tongchou_core::Fen;
use tongchou_ledger::transfer::LinesHasher;
use tongchou_ledger::{Line, LinesSummary, Op, Transfer};
use tongchou_store::Db;
use tongchou_store::ledger::Ledger;
use tongchou_store::payroll::{self as store, IssuedLine};

/// What the payroll lines of one (month, county, item) say today.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupLines {
    pub month: i64,
    pub county: i64,
    pub item: String,
    /// The issued lines in the ledger's order.
    pub summary: LinesSummary,
    /// The amount of the lines marked paid.
    pub paid: Fen,
    /// How many lines still wait for the bank's answer.
    pub open: i64,
}

impl GroupLines {
    fn key(&self) -> String {
        format!("pay/{}/{}/{}", self.month, self.county, self.item)
    }
}

/// What is wrong with a group, judged against its pending transfer and its settlement.
pub fn judge(
    g: &GroupLines,
    pending: Option<&Transfer>,
    settled: Option<&Transfer>,
) -> Vec<String> {
    let key = g.key();
    let mut out = Vec::new();
    let Some(p) = pending else {
        return vec![tongchou_core::tr!("app-dis-no-transfer", key = key)];
    };
    if p.line_count != g.summary.count || p.amount != g.summary.total {
        out.push(tongchou_core::tr!(
            "app-dis-count",
            key = key,
            ledger_lines = p.line_count,
            ledger_amount = p.amount,
            lines = g.summary.count,
            amount = g.summary.total
        ));
    } else if p.lines_digest != g.summary.digest {
        out.push(tongchou_core::tr!("app-dis-digest", key = key));
    }
    match settled {
        Some(s) if s.op == Op::PostPending => {
            if g.open > 0 {
                out.push(tongchou_core::tr!("app-dis-open", key = key, open = g.open));
            }
            if s.amount != g.paid {
                out.push(tongchou_core::tr!(
                    "app-dis-paid",
                    key = key,
                    ledger = s.amount,
                    paid = g.paid
                ));
            }
        }
        Some(_) if !g.paid.is_zero() || g.open > 0 => {
            out.push(tongchou_core::tr!("app-dis-voided", key = key));
        }
        Some(_) => {}
        None if g.open == 0 => {
            out.push(tongchou_core::tr!("app-dis-pending", key = key));
        }
        None => {}
    }
    out
}

/// Stream issued lines into groups; `each` is called with every finished group.
fn groups(
    db: &mut Db,
    only: Option<(i64, i64, &str)>,
    mut each: impl FnMut(GroupLines) -> Result<()>,
) -> Result<()> {
    let mut cur: Option<(GroupLines, LinesHasher)> = None;
    let mut finished: Vec<GroupLines> = Vec::new();
    let mut bad: Option<String> = None;
    store::each_issued_line(db, only, |l: &IssuedLine<'_>| {
        let same = cur.as_ref().is_some_and(|(g, _)| {
            (g.month, g.county, g.item.as_str()) == (l.month, l.county, l.item)
        });
        if !same {
            if let Some((g, h)) = cur.take() {
                finished.push(close(g, h, &mut bad));
            }
            cur = Some((
                GroupLines {
                    month: l.month,
                    county: l.county,
                    item: l.item.to_string(),
                    ..Default::default()
                },
                LinesHasher::default(),
            ));
        }
        if let Some((g, h)) = cur.as_mut() {
            h.push(&Line {
                person: l.person,
                amount: l.amount,
            });
            match l.status {
                "paid" => match g.paid.checked_add(l.amount) {
                    Some(p) => g.paid = p,
                    None => bad = Some(tongchou_core::tr!("app-dis-overflow", key = g.key())),
                },
                "issued" => g.open += 1,
                _ => {}
            }
        }
        Ok(())
    })?;
    if let Some((g, h)) = cur.take() {
        finished.push(close(g, h, &mut bad));
    }
    if let Some(b) = bad {
        return Err(AppError::Invalid(b));
    }
    for g in finished {
        each(g)?;
    }
    Ok(())
}

fn close(mut g: GroupLines, h: LinesHasher, bad: &mut Option<String>) -> GroupLines {
    match h.finish() {
        Ok(s) => g.summary = s,
        Err(e) => *bad = Some(format!("{}: {e}", g.key())),
    }
    g
}

/// Judge one group against the ledger.
fn judge_in_ledger(db: &mut Db, g: &GroupLines) -> Result<Vec<String>> {
    let key = g.key();
    let mut ledger = Ledger::new(db);
    let pending = ledger.transfer(&key)?;
    let settled = ledger.transfer(&format!("{key}/final"))?;
    Ok(judge(g, pending.as_ref(), settled.as_ref()))
}

/// Every issued line and payment file against the ledger and the files on disk: the problems
/// found, none when all agree.
pub fn check_payments(db: &mut Db) -> Result<Vec<String>> {
    let mut all = Vec::new();
    groups(db, None, |g| {
        all.push(g);
        Ok(())
    })?;
    let mut problems = Vec::new();
    for g in &all {
        problems.extend(judge_in_ledger(db, g)?);
    }
    for f in store::files_against_lines(db)? {
        if f.payments != f.lines || f.ctrl_sum != f.lines_sum {
            problems.push(tongchou_core::tr!(
                "app-dis-file-count",
                file = f.msg_id,
                payments = f.payments,
                sum = f.ctrl_sum,
                lines = f.lines,
                lines_sum = f.lines_sum
            ));
        }
        match std::fs::read(&f.xml_path) {
            Ok(bytes) if tongchou_bank::file_digest(&bytes) != f.xml_sha256 => {
                problems.push(tongchou_core::tr!(
                    "app-dis-file-digest",
                    file = f.msg_id,
                    path = f.xml_path
                ));
            }
            Ok(_) => {}
            Err(e) => problems.push(tongchou_core::tr!(
                "app-dis-file-read",
                file = f.msg_id,
                path = f.xml_path,
                error = e
            )),
        }
    }
    Ok(problems)
}

/// Before returned payments are re-issued, their groups must agree with the ledger (a paid
/// line turned `returned` behind the system's back would otherwise be paid twice).
pub(super) fn check_before_reissue(db: &mut Db) -> Result<()> {
    let mut problems = Vec::new();
    for (m, c, item) in store::groups_of_returned_not_reissued(db)? {
        let mut gs = Vec::new();
        groups(db, Some((m, c, &item)), |g| {
            gs.push(g);
            Ok(())
        })?;
        for g in &gs {
            problems.extend(judge_in_ledger(db, g)?);
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(AppError::State(tongchou_core::tr!(
        "app-dis-reissue",
        problems = problems.join("; ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_ledger::Hash;

    fn summary(lines: &[(i64, i64)]) -> LinesSummary {
        let mut h = LinesHasher::default();
        for &(person, fen) in lines {
            h.push(&Line {
                person,
                amount: Fen::new(fen),
            });
        }
        h.finish().expect("lines")
    }

    fn transfer(op: Op, amount: i64, s: Option<LinesSummary>) -> Transfer {
        Transfer {
            id: 1,
            key: "k".into(),
            op,
            target: None,
            debit: tongchou_ledger::AccountId(1),
            credit: tongchou_ledger::AccountId(2),
            amount: Fen::new(amount),
            category: "benefit".into(),
            reference: String::new(),
            date: "2020-01-15".parse().expect("d"),
            linked: false,
            line_count: s.map(|s| s.count).unwrap_or(0),
            lines_digest: s.map(|s| s.digest).unwrap_or(Hash::ZERO),
            recorded_at: 0,
        }
    }

    fn group(lines: &[(i64, i64)], paid: i64, open: i64) -> GroupLines {
        let paid = Fen::new(paid);
        GroupLines {
            month: 202001,
            county: 140105,
            item: "basic_pension".into(),
            summary: summary(lines),
            paid,
            open,
        }
    }

    #[test]
    fn agreeing_lines_pass_and_every_tamper_is_named() {
        let issued = [(1, 10_000), (2, 20_000), (3, 30_000)];
        let pending = transfer(Op::Pending, 60_000, Some(summary(&issued)));
        let settled = transfer(Op::PostPending, 50_000, None);
        // lines 1 paid, 2 returned, 3 paid: 400 paid
        let ok = group(&issued, 40_000, 0);
        let posted = transfer(Op::PostPending, 40_000, None);
        assert!(judge(&ok, Some(&pending), Some(&posted)).is_empty());
        // a paid line turned returned: the paid lines no longer add up to the posting
        let flipped = group(&issued, 10_000, 0);
        let p = judge(&flipped, Some(&pending), Some(&posted));
        assert!(p[0].contains("账本记已付 400.00 元"), "{p:?}");
        // an amount raised
        let raised = group(&[(1, 10_000), (2, 120_000), (3, 30_000)], 40_000, 0);
        assert!(judge(&raised, Some(&pending), Some(&posted))[0].contains("发放名册"));
        // same count and total, another person
        let swapped = group(&[(1, 10_000), (4, 20_000), (3, 30_000)], 40_000, 0);
        assert!(judge(&swapped, Some(&pending), Some(&posted))[0].contains("人员或金额"));
        // a line deleted
        let deleted = group(&issued[..2], 10_000, 0);
        assert!(!judge(&deleted, Some(&pending), Some(&settled)).is_empty());
        // no transfer at all; all answered but never settled; settled with lines still open
        assert!(judge(&ok, None, None)[0].contains("没有待遇转账"));
        assert!(judge(&ok, Some(&pending), None)[0].contains("仍未结算"));
        let open = group(&issued, 40_000, 1);
        assert!(judge(&open, Some(&pending), Some(&posted))[0].contains("等待银行回盘"));
        assert!(judge(&open, Some(&pending), None).is_empty());
        let void = transfer(Op::VoidPending, 60_000, None);
        assert!(judge(&group(&issued, 0, 0), Some(&pending), Some(&void)).is_empty());
        assert!(!judge(&ok, Some(&pending), Some(&void)).is_empty());
    }
}

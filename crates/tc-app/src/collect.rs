//! The collection month (统收) as one atomic job step over the store and the ledger.
//!
//! For month M, in ONE database transaction (a killed run leaves nothing behind; a finished month
//! is refused the second time):
//! 1. assess every active contributor (declared wage or the month's wage declaration, clamped to
//!    the bounds in force, employer and individual parts at the dated rates);
//! 2. (demo only) add the simulated tax bureau's receipts for M;
//! 3. match every receipt not yet matched whose payment date is on or before the close date
//!    (day `calendar.collection_day` of M+1) to what is owed, oldest period first, with late fees;
//! 4. write assessments, applications (those not implied by an assessment paid in full at once,
//!    which carries the receipt instead: migration 0067), the new set of open arrears and
//!    unapplied money;
//! 5. post to the ledger, per county: employer (pooling) part, individual part and late fees, each
//!    one transfer aggregating its person-level lines (their count, total and digest; the lines
//!    are the applications, named by reference, not copied), landing in the provincial fiscal special
//!    account as that county's income (through the county income account and a sweep where the
//!    county still has one);
//! 6. record the step with its totals.
//!
//! Steps 1–4 run slice by slice of [`SLICE`] contributors in person order, a person's
//! assessment, receipts and open items always in one slice: the close holds one slice's persons
//! at a time, not the province's, and writes exactly what one pass over every person would.

use crate::error::{AppError, Result};
use crate::ledger_refs::Reference;
use crate::{clock, jobs};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tongchou_core::period::{Date, Period};
use tongchou_core::policy::Policy;
use tongchou_core::rules::arrears::due_date;
use tongchou_core::rules::contribution::ContributionTerms;
use tongchou_core::{Fen, RegionCode};
use tongchou_engine::collection::{
    Application, Assessment, Contributor, CountyTotals, Matched, OpenItem, Receipt, assess,
    county_totals, match_receipts,
};
use tongchou_ledger::LinesSummary;
use tongchou_ledger::flows::{ContributionPart, Doc, collection, pair_key};
use tongchou_ledger::{Chart, Request};
use tongchou_store::Db;
use tongchou_store::collection::{self as store, Posting, PostingKind, Unapplied};
use tongchou_store::ledger::sources::AppliedLines;
use tongchou_store::ledger::{Ledger, LineSource};

pub const JOB: &str = "collection";
pub const STEP_CLOSE: &str = "close";

/// A stand-in for the tax bureau (`tongchou-sim`, for the demo and benchmarks): the receipts it
/// reports for a month's assessments.
pub trait TaxCounterpart {
    fn receipts(&self, assessments: &[Assessment]) -> Vec<Receipt>;
}

/// Where the month's receipts come from.
#[derive(Clone, Copy)]
pub enum ReceiptSource<'a> {
    /// Only what was imported from the tax bureau (`tongchou import collections`).
    Imported,
    /// Also the receipts a counterpart reports for this month's assessments, in memory (the
    /// demo's and the benchmarks' simulated tax bureau, `tongchou-sim`): written already marked
    /// with the close that applies them.
    Counterpart(&'a dyn TaxCounterpart),
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct CountyLine {
    pub county: u32,
    pub contributors: u64,
    pub assessed: Fen,
    pub collected: Fen,
    pub pooling: Fen,
    pub account: Fen,
    pub late_fees: Fen,
    pub arrears: Fen,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct MonthReport {
    pub period: Option<Period>,
    pub close_date: Option<Date>,
    pub contributors: u64,
    pub assessed: Fen,
    pub receipts: u64,
    pub collected: Fen,
    pub late_fees: Fen,
    pub unapplied: Fen,
    pub unknown_receipts: u64,
    pub arrears_items: u64,
    pub arrears: Fen,
    pub transfers: u64,
    /// Historical city and county balances remitted this month (demand deposits by the
    /// deadline, fixed deposits at maturity).
    pub historical_remitted: Fen,
    pub counties: Vec<CountyLine>,
}

/// The close date of month M: day `calendar.collection_day` of M+1.
pub fn close_date(policy: &Policy, period: Period) -> Result<Date> {
    let next = period.add_months(1);
    let (d, _) = policy.int("calendar.collection_day", next.first_day())?;
    let d = u8::try_from(d).map_err(|_| {
        AppError::Invalid(tongchou_core::tr!(
            "app-policy-day",
            name = "calendar.collection_day",
            day = d
        ))
    })?;
    Ok(next.day(d))
}

/// Insert receipts (the tax bureau's results) under an import id.
pub fn write_receipts(db: &mut Db, import_id: i64, receipts: &[Receipt]) -> Result<u64> {
    Ok(store::write_receipts(db, import_id, receipts, None)?)
}

/// [`write_receipts`] of the receipts `fill` pushes, in one bulk write.
pub fn stream_receipts(
    db: &mut Db,
    import_id: i64,
    fill: &mut dyn FnMut(&mut store::PushReceipt<'_>) -> tongchou_store::Result<()>,
) -> Result<u64> {
    Ok(store::stream_receipts(db, import_id, fill)?)
}

/// The ledger requests (with their lines) that book `amount` as `income_kind` of `county` and
/// land it in the provincial fiscal special account: directly, or through the county's income
/// account and a sweep on the same day when the county has one.
#[allow(clippy::too_many_arguments)]
pub fn county_income_requests(
    chart: &Chart,
    key: &str,
    reference: &str,
    date: Date,
    county: RegionCode,
    income_kind: &str,
    category: &str,
    amount: Fen,
    via_income_account: bool,
) -> Result<Vec<Request>> {
    let acct = |region: RegionCode, kind: &str| {
        chart.account(region, kind).ok_or_else(|| {
            AppError::Invalid(tongchou_core::tr!(
                "app-no-account",
                region = region,
                kind = kind
            ))
        })
    };
    let province = county.province();
    if !via_income_account {
        if income_kind == "contribution_employer" || income_kind == "contribution_individual" {
            let part = if income_kind == "contribution_employer" {
                ContributionPart::Employer
            } else {
                ContributionPart::Individual
            };
            return Ok(collection(
                chart,
                Doc {
                    key,
                    reference,
                    date,
                },
                county,
                part,
                amount,
                None,
            )?);
        }
        let lower = Request::post(
            &pair_key(key, county),
            acct(county, "remittance_to_higher")?,
            acct(county, income_kind)?,
            amount,
            category,
            reference,
            date,
        );
        let upper = Request::post(
            &pair_key(key, province),
            acct(province, "fiscal_special_account")?,
            acct(province, "remittance_from_lower")?,
            amount,
            category,
            reference,
            date,
        );
        return Ok(vec![lower.linked(), upper]);
    }
    let receive = Request::post(
        &pair_key(key, county),
        acct(county, "income_account")?,
        acct(county, income_kind)?,
        amount,
        category,
        reference,
        date,
    );
    let sweep_out = Request::post(
        &format!("{key}/sweep/{county}"),
        acct(county, "remittance_to_higher")?,
        acct(county, "income_account")?,
        amount,
        "remittance",
        reference,
        date,
    );
    let sweep_in = Request::post(
        &format!("{key}/sweep/{province}"),
        acct(province, "fiscal_special_account")?,
        acct(province, "remittance_from_lower")?,
        amount,
        "remittance",
        reference,
        date,
    );
    Ok(vec![receive.linked(), sweep_out.linked(), sweep_in])
}

/// Contributors a slice of the close holds at once, with their assessments, receipts,
/// applications and open items: the close's memory is one slice's, whatever the province's size
/// (docs/PERFORMANCE.md, the month's peak memory).
const SLICE: usize = 131_072;

/// The close of one month: the policy in force, the month, its close date, and the month's
/// contribution terms and due date.
struct Close<'a> {
    policy: &'a Policy,
    period: Period,
    /// The close date: receipts paid by then are applied.
    date: Date,
    terms: ContributionTerms,
    due: Date,
    /// Contributors per slice ([`SLICE`]).
    slice: usize,
}

/// What the slices closed so far add up to: the report's figures, the applied money per county
/// with the digests of its person-level lines, and the money matched to nothing (written once
/// every slice is closed, overpayments first, in the order matched).
#[derive(Default)]
struct Tally {
    contributors: u64,
    assessed: Fen,
    receipts: u64,
    collected: Fen,
    late_fees: Fen,
    arrears_items: u64,
    arrears: Fen,
    counties: BTreeMap<u32, CountyLine>,
    totals: BTreeMap<u32, CountyTotals>,
    lines: AppliedLines,
    unapplied: Vec<(String, i64, Fen)>,
    unknown: Vec<Receipt>,
}

impl Tally {
    fn county(&mut self, county: u32) -> &mut CountyLine {
        self.counties.entry(county).or_insert_with(|| CountyLine {
            county,
            ..Default::default()
        })
    }

    /// Add a closed slice: its assessments, the receipts it applied, what matching left and the
    /// open items after it.
    fn add(
        &mut self,
        assessed: &[Assessment],
        receipts: usize,
        matched: Matched,
        open: &[OpenItem],
    ) -> Result<()> {
        for a in assessed {
            let l = self.county(a.county);
            l.contributors += 1;
            l.assessed = l.assessed.try_add(a.total())?;
            self.assessed = self.assessed.try_add(a.total())?;
        }
        self.contributors += assessed.len() as u64;
        self.receipts += receipts as u64;
        for (county, t) in county_totals(&matched.applications)? {
            let sum = self.totals.entry(county).or_default();
            sum.pooling = sum.pooling.try_add(t.pooling)?;
            sum.account = sum.account.try_add(t.account)?;
            sum.late_fees = sum.late_fees.try_add(t.late_fees)?;
            sum.persons += t.persons;
        }
        for a in &matched.applications {
            self.collected = self.collected.try_add(a.amount)?;
            self.late_fees = self.late_fees.try_add(a.late_fee)?;
        }
        self.lines.add(&matched.applications);
        for i in open {
            let l = self.county(i.county);
            l.arrears = l.arrears.try_add(i.outstanding())?;
            self.arrears = self.arrears.try_add(i.outstanding())?;
        }
        self.arrears_items += open.len() as u64;
        self.unapplied.extend(matched.unapplied);
        self.unknown.extend(matched.unknown);
        Ok(())
    }
}

/// Run the collection of `period`. Fails (writing nothing) if the month was already closed.
pub fn run_month(
    db: &mut Db,
    policy: &Policy,
    period: Period,
    source: ReceiptSource<'_>,
) -> Result<MonthReport> {
    run_month_sliced(db, policy, period, source, SLICE)
}

/// [`run_month`] in slices of `slice` contributors (at least one) instead of [`SLICE`]: what it
/// writes and reports does not depend on the slices (`tests/collect.rs` compares).
pub fn run_month_sliced(
    db: &mut Db,
    policy: &Policy,
    period: Period,
    source: ReceiptSource<'_>,
    slice: usize,
) -> Result<MonthReport> {
    let c = Close {
        slice: slice.max(1),
        policy,
        period,
        date: close_date(policy, period)?,
        terms: ContributionTerms::at(policy, period)?,
        due: due_date(policy, period)?,
    };
    db.transaction(|db| {
        if jobs::is_done(db, JOB, period, STEP_CLOSE)? {
            return Err(AppError::State(tongchou_core::tr!(
                "app-col-closed",
                period = period
            )));
        }
        // take turns with a back-payment's release: the close reads and writes the open arrears
        tongchou_store::backpay::take_collection_gate(db)?;
        let mut tally = close_slices(db, &c, source)?;
        let unapplied = write_unapplied(db, &c, &tally)?;
        let summaries = std::mem::take(&mut tally.lines).finish()?;
        let transfers = post_to_ledger(db, &c, &summaries, &tally.totals)?;
        let history = crate::income::remit_historical(db, policy, period)?;
        let mut report = month_report(&c, tally, unapplied)?;
        report.transfers = transfers;
        report.historical_remitted = history.amount;
        let details =
            serde_json::to_value(&report).map_err(|e| AppError::Invalid(e.to_string()))?;
        jobs::mark_done(db, JOB, period, STEP_CLOSE, clock::now(), &details)?;
        Ok(report)
    })
}

/// Steps 1–4, slice by slice of `c.slice` contributors in person order: each slice covers the
/// persons from the last one's up to its last contributor (the last slice: every person after),
/// so that a person's receipts, open items and new assessment are matched in the same slice;
/// then the receipts the close applied marked. The stored receipts to apply are read once, at
/// the start (the table has no index by person), and handed to the slices.
fn close_slices(db: &mut Db, c: &Close<'_>, source: ReceiptSource<'_>) -> Result<Tally> {
    let mut stored = store::receipts_to_apply(db, c.date)?;
    // by person, descending (stable): each slice takes its persons' receipts off the end
    stored.sort_by_key(|r| std::cmp::Reverse(r.person));
    let mut tally = Tally::default();
    let mut after = i64::MIN;
    loop {
        let people = store::contributors_after(db, c.period, after, c.slice)?;
        let upto = match people.last() {
            Some(p) if people.len() == c.slice => p.person,
            _ => i64::MAX,
        };
        let cut = stored.partition_point(|r| r.person > upto);
        let receipts = stored.split_off(cut);
        close_slice(db, c, source, &people, (after, upto), receipts, &mut tally)?;
        if upto == i64::MAX {
            break;
        }
        after = upto;
    }
    store::mark_receipts_applied(db, c.period, c.date)?;
    Ok(tally)
}

/// One slice of the close, the persons with an id in `range` (`(after, upto]`): its contributors
/// `people` assessed and the assessments written; the counterpart's receipts for them (the
/// simulated tax bureau's) written already marked with this close and, with the stored
/// receipts of these persons, matched to what they owe, oldest first; the applications and the
/// persons' new open arrears written; the rest added to `tally`.
fn close_slice(
    db: &mut Db,
    c: &Close<'_>,
    source: ReceiptSource<'_>,
    people: &[Contributor],
    range: (i64, i64),
    mut receipts: Vec<Receipt>,
    tally: &mut Tally,
) -> Result<()> {
    let assessed = assess(&c.terms, c.due, people);
    if let ReceiptSource::Counterpart(bureau) = source {
        let sim = bureau.receipts(&assessed);
        store::write_receipts(db, 0, &sim, Some((c.period, c.date)))?;
        receipts.extend(sim.into_iter().filter(|r| r.paid_on <= c.date));
    }
    let mut old = store::open_items_between(db, range.0, range.1)?;
    let before = old.clone();
    let mut current: Vec<OpenItem> = assessed.iter().map(OpenItem::from_assessment).collect();
    let matched = match_receipts(c.policy, &mut current, &mut old, &mut receipts)?;
    {
        let (paid_by, explicit) = implied(c.period, &assessed, &matched.applications);
        store::write_assessments(db, c.period, &assessed, &paid_by)?;
        store::write_applications(db, c.period, explicit)?;
    }
    // what matching changed: the old items it settled or paid in part, this month's it left open
    let employers: HashMap<i64, i64> = people.iter().map(|p| (p.person, p.employer)).collect();
    let changes = arrears_changes(&before, &old, &current);
    store::write_arrears_changes(db, range, &changes, &employers)?;
    // the new open set: old arrears and this month's items with something outstanding
    let open: Vec<OpenItem> = old
        .into_values()
        .flatten()
        .chain(current)
        .filter(|i| i.outstanding().is_positive())
        .collect();
    tally.add(&assessed, receipts.len(), matched, &open)
}

/// The changes matching made to a slice's open arrears: each old item (`after`, as `before`
/// was read; matching only adds to an item's `paid`, in place) settled or paid in part, and
/// this month's items `current` with something outstanding, in key order (person, period).
fn arrears_changes(
    before: &HashMap<i64, Vec<OpenItem>>,
    after: &HashMap<i64, Vec<OpenItem>>,
    current: &[OpenItem],
) -> store::ArrearsChanges {
    let mut changes = store::ArrearsChanges::default();
    for (person, items) in after {
        let was = before.get(person).map_or(&[][..], Vec::as_slice);
        for (i, b) in items.iter().zip(was) {
            if i.paid == b.paid {
                continue;
            }
            if i.outstanding().is_positive() {
                changes.part_paid.push((i.person, i.period, i.paid));
            } else {
                changes.settled.push((i.person, i.period));
            }
        }
    }
    changes.settled.sort_unstable();
    changes.part_paid.sort_unstable();
    changes.opened = current
        .iter()
        .filter(|i| i.outstanding().is_positive())
        .copied()
        .collect();
    changes
}

/// The receipt that paid each assessment of the slice in full, at once and on time (by the
/// assessment's index), and the applications not implied so by an assessment, written as rows
/// of their own (migration 0067: each person-level fact stored once; the view `applications`
/// shows both alike). `assessed` is in person order, one per person. Only an assessment of the
/// close's own month `batch` is paid so (its batch is its period: the ledger check finds those
/// rows by period, `tc-store::ledger::sources`).
fn implied<'m>(
    batch: Period,
    assessed: &[Assessment],
    apps: &'m [Application],
) -> (Vec<Option<&'m str>>, Vec<&'m Application>) {
    let mut paid_by = vec![None; assessed.len()];
    let mut explicit = Vec::new();
    for x in apps {
        match assessed.binary_search_by_key(&x.person, |a| a.person) {
            Ok(k)
                if paid_by[k].is_none()
                    && assessed[k].period == batch
                    && store::implied_application(&assessed[k], x) =>
            {
                paid_by[k] = Some(x.receipt.as_str());
            }
            _ => explicit.push(x),
        }
    }
    (paid_by, explicit)
}

/// Why a receipt's money was not applied, as the close stores it in `unapplied.reason`: a fixed
/// code kept as it is (the collection's rows are compared and digested as stored), shown to a
/// reader through [`unapplied_reason`].
pub const OVERPAYMENT: &str = "overpayment: nothing left owed";
/// See [`OVERPAYMENT`]: a receipt of a person with no assessment in the batch.
pub const NO_ASSESSMENT: &str = "no assessment for this person";

/// An unapplied row's stored reason in the reader's language (any other text as it is).
pub fn unapplied_reason(stored: &str) -> String {
    match stored {
        OVERPAYMENT => tongchou_core::tr!("app-col-unapplied-overpayment"),
        NO_ASSESSMENT => tongchou_core::tr!("app-col-unapplied-no-assessment"),
        other => other.to_string(),
    }
}

/// The money the close could not apply, written once every slice is closed: the overpayments,
/// then the receipts of persons with nothing open. Returns its total.
fn write_unapplied(db: &mut Db, c: &Close<'_>, tally: &Tally) -> Result<Fen> {
    let unapplied: Vec<Unapplied<'_>> = tally
        .unapplied
        .iter()
        .map(|(r, p, a)| Unapplied {
            receipt: r,
            person: *p,
            amount: *a,
            reason: OVERPAYMENT,
        })
        .chain(tally.unknown.iter().map(|r| Unapplied {
            receipt: &r.receipt,
            person: r.person,
            amount: r.paid,
            reason: NO_ASSESSMENT,
        }))
        .collect();
    store::write_unapplied(db, c.period, &unapplied)?;
    Ok(Fen::try_sum(unapplied.iter().map(|u| u.amount))?)
}

/// Step 5: per county, the employer part, the individual part and the late fees, each one ledger
/// unit landing in the provincial fiscal special account, whose county transfer carries the
/// count, total and digest of the person-level lines (`summaries`, of the applications) and
/// names the applications that hold them (`LineSource::Applications`: the lines are not copied);
/// every transfer recorded in `collection_postings`. Returns how many transfers.
fn post_to_ledger(
    db: &mut Db,
    c: &Close<'_>,
    summaries: &BTreeMap<(u32, PostingKind), LinesSummary>,
    totals: &BTreeMap<u32, CountyTotals>,
) -> Result<u64> {
    let chart = Chart::standard();
    let with_income = store::income_account_counties(db)?;
    let reference = Reference::CollectionBatch { period: c.period }.to_string();
    let batch = c.period.yyyymm();
    let mut posted: Vec<(String, u32, PostingKind, Fen)> = Vec::new();
    let mut ledger = Ledger::new(db);
    for (county, t) in totals {
        let rc = RegionCode::new(*county).map_err(|e| AppError::Invalid(e.0))?;
        let via = with_income.contains(county);
        for (kind, category, amount) in [
            (PostingKind::Employer, "contribution", t.pooling),
            (PostingKind::Individual, "contribution", t.account),
            (PostingKind::LateFees, "other", t.late_fees),
        ] {
            if !amount.is_positive() {
                continue;
            }
            let key = format!("collect/{batch}/{county}/{}", kind.account_kind());
            let reqs = county_income_requests(
                chart,
                &key,
                &reference,
                c.date,
                rc,
                kind.account_kind(),
                category,
                amount,
                via,
            )?;
            let lines = summaries.get(&(*county, kind)).copied();
            let batch_reqs: Vec<(Request, Option<LineSource>)> = reqs
                .into_iter()
                .enumerate()
                .map(|(i, r)| match lines {
                    Some(s) if i == 0 => (
                        r.lines(s),
                        Some(LineSource::Applications {
                            batch: c.period,
                            county: *county,
                            kind,
                        }),
                    ),
                    _ => (r, None),
                })
                .collect();
            let results = ledger.submit_with_sources(&batch_reqs)?;
            for (r, res) in batch_reqs.iter().zip(results) {
                if let Err(e) = res {
                    return Err(AppError::Invalid(tongchou_core::tr!(
                        "app-ledger-refused",
                        key = r.0.key,
                        reason = e
                    )));
                }
                posted.push((r.0.key.clone(), *county, kind, amount));
            }
        }
    }
    let postings: Vec<Posting<'_>> = posted
        .iter()
        .map(|(key, county, kind, amount)| Posting {
            transfer_key: key,
            period: c.period,
            county: *county,
            kind: *kind,
            amount: *amount,
        })
        .collect();
    Ok(store::write_postings(ledger.db(), &postings)?)
}

/// Step 6: the report of the close, per county and in total (the ledger transfers and the
/// historical remittance are filled in by the caller).
fn month_report(c: &Close<'_>, mut tally: Tally, unapplied: Fen) -> Result<MonthReport> {
    let totals = std::mem::take(&mut tally.totals);
    for (county, t) in &totals {
        let l = tally.county(*county);
        l.pooling = t.pooling;
        l.account = t.account;
        l.collected = t.pooling.try_add(t.account)?;
        l.late_fees = t.late_fees;
    }
    Ok(MonthReport {
        period: Some(c.period),
        close_date: Some(c.date),
        contributors: tally.contributors,
        assessed: tally.assessed,
        receipts: tally.receipts,
        collected: tally.collected,
        late_fees: tally.late_fees,
        unapplied,
        unknown_receipts: tally.unknown.len() as u64,
        arrears_items: tally.arrears_items,
        arrears: tally.arrears,
        transfers: 0,
        historical_remitted: Fen::ZERO,
        counties: tally.counties.into_values().collect(),
    })
}

/// Where the stored totals of the assessments and of the payroll (migration 0048) disagree with
/// their rows, one problem line each.
fn totals_problems(db: &mut Db, problems: &mut Vec<String>) -> Result<()> {
    for ((period, county), a, b) in store::assessment_totals_disagree(db)? {
        problems.push(tongchou_core::tr!(
            "app-col-assess-totals",
            period = period,
            county = county,
            n = a.assessments,
            base = Fen::new(a.base),
            pooling = Fen::new(a.pooling),
            account = Fen::new(a.account),
            rows = b.assessments,
            rbase = Fen::new(b.base),
            rpooling = Fen::new(b.pooling),
            raccount = Fen::new(b.account)
        ));
    }
    for ((month, county), a, b) in tongchou_store::payroll::payroll_totals_disagree(db)? {
        problems.push(tongchou_core::tr!(
            "app-col-payroll-totals",
            month = month,
            county = county,
            n = a.lines,
            amount = Fen::new(a.amount),
            paid = Fen::new(a.paid),
            rn = a.reissue_lines,
            ramount = Fen::new(a.reissue_amount),
            rpaid = Fen::new(a.reissue_paid),
            bn = b.lines,
            bamount = Fen::new(b.amount),
            bpaid = Fen::new(b.paid),
            brn = b.reissue_lines,
            bramount = Fen::new(b.reissue_amount),
            brpaid = Fen::new(b.reissue_paid)
        ));
    }
    Ok(())
}

/// Prove, for every close, that the income booked for each county (employer part, individual
/// part, late fees) equals the sum of its person-level collected amounts (applications); that
/// every posting `collection_postings` records is in the ledger with its amount, each transfer's
/// lines (stored, or the applications its line source names) adding up to it; and that every ledger transfer booking person-level collection
/// income is recorded there. Returns the differences found (empty when everything reconciles).
pub fn reconcile(db: &mut Db) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut expected: BTreeMap<(Period, u32, PostingKind), Fen> = BTreeMap::new();
    for t in store::applied_totals(db)? {
        for kind in PostingKind::ALL {
            if t.of(kind) != Fen::ZERO {
                expected.insert((t.batch, t.county, kind), t.of(kind));
            }
        }
    }
    // what the recorded postings book, per close, county and kind (every transfer of one unit
    // carries the same amount)
    let mut booked: BTreeMap<(Period, u32, PostingKind), BTreeSet<Fen>> = BTreeMap::new();
    for p in store::postings_with_ledger(db)? {
        let key = &p.transfer_key;
        match &p.booked {
            None => problems.push(tongchou_core::tr!(
                "app-col-posting-missing",
                key = key,
                amount = p.amount
            )),
            Some(b) if b.amount != p.amount => problems.push(tongchou_core::tr!(
                "app-col-posting-differs",
                key = key,
                recorded = p.amount,
                booked = b.amount
            )),
            Some(_) => {}
        }
        if let Some(b) = &p.booked
            && b.line_count > 0
            && (b.lines != b.line_count || b.line_sum != b.amount)
        {
            problems.push(tongchou_core::tr!(
                "app-col-lines",
                key = key,
                amount = b.amount,
                lines = b.lines,
                sum = b.line_sum
            ));
        }
        booked
            .entry((p.period, p.county, p.kind))
            .or_default()
            .insert(p.amount);
    }
    totals_problems(db, &mut problems)?;
    for (key, amount) in store::unrecorded_postings(db)? {
        problems.push(tongchou_core::tr!(
            "app-col-unrecorded",
            key = key,
            amount = amount
        ));
    }
    let label = |(period, county, kind): &(Period, u32, PostingKind)| {
        tongchou_core::tr!(
            "app-col-label",
            period = period,
            county = county,
            kind = kind.account_kind()
        )
    };
    for (k, v) in &expected {
        match booked.get(k) {
            None => problems.push(tongchou_core::tr!(
                "app-col-not-booked",
                label = label(k),
                paid = v
            )),
            Some(amounts) => {
                for a in amounts.iter().filter(|a| *a != v) {
                    problems.push(tongchou_core::tr!(
                        "app-col-booked-differs",
                        label = label(k),
                        booked = a,
                        paid = v
                    ));
                }
            }
        }
    }
    for (k, amounts) in &booked {
        if !expected.contains_key(k) {
            for a in amounts {
                problems.push(tongchou_core::tr!(
                    "app-col-booked-alone",
                    label = label(k),
                    booked = a
                ));
            }
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_core::i18n::{Lang, scope};

    #[test]
    fn unapplied_reasons_in_the_readers_language() {
        let both = |r: &str| {
            (
                scope(Lang::ZhCn, || unapplied_reason(r)),
                scope(Lang::En, || unapplied_reason(r)),
            )
        };
        let (zh, en) = both(OVERPAYMENT);
        assert_eq!((zh.as_str(), en.as_str()), ("多缴：已无欠缴", OVERPAYMENT));
        let (zh, en) = both(NO_ASSESSMENT);
        assert_eq!(
            (zh.as_str(), en.as_str()),
            ("此人无核定记录", NO_ASSESSMENT)
        );
        let (zh, en) = both("typed by a person");
        assert_eq!(
            (zh.as_str(), en.as_str()),
            ("typed by a person", "typed by a person")
        );
    }
}

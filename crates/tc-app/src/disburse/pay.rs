//! Step 6: per county, the payments the county account can cover go out in pain.001.001.09 and
//! CSV payment files (staged under a temporary name until the step commits, see `files`); their
//! lines are marked issued and each (county, item) becomes a pending benefit transfer carrying
//! its person-level lines' count, total and digest and naming those payment lines (not copied). Each county's files are drawn on its paying account in force on the pay
//! day (`crate::agency_accounts`); a county without one stops the step before anything is
//! written. The counties go one after the other (`overlap`): while a worker thread plans,
//! renders, digests and stages one county's files, the next county's lines are read and the
//! previous county's files are recorded — only a few counties' lines are in memory at a time.
//! Each line's payee comes from every pensioner's payee, read once at the start of the step in
//! person order (`Payees`).

use super::{StepOutput, available, benefit_kind};
use super::{files, overlap};
use crate::agency_accounts;
use crate::error::{AppError, Result};
use crate::ledger_refs::Reference;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use tongchou_bank::{
    AccountNumber, DateTime, Debtor, EndToEndId, Payment, PaymentBatch, file_digest, plan_batches,
    write_pain001, write_payment_csv,
};
use tongchou_core::period::Period;
use tongchou_core::{Fen, RegionCode};
use tongchou_engine::disbursement::{Calendar, Item};
use tongchou_ledger::flows::{Doc, payment};
use tongchou_ledger::transfer::LinesHasher;
use tongchou_ledger::{Chart, Line, Request};
use tongchou_store::ledger::{Ledger, LineSource};
use tongchou_store::payroll::{self as store, Payees, PaymentFile, Replaced};
use tongchou_store::{Db, StoreError};

/// Files of at most this many payments.
const PAYMENTS_PER_FILE: usize = 50_000;

struct PayRow {
    person: i64,
    item: Item,
    attempt: i64,
    amount: Fen,
    e2e: String,
    name: String,
    account: String,
    /// A re-issue of a returned payment or a deferred payment carried forward (said so in the
    /// remittance text).
    replaces: Option<Replaced>,
}

/// A county's planned lines of the month, each with its payee (`book`, read once for the
/// step): a death settlement's items go to the survivor who claimed it, everything else to the
/// pensioner.
fn payees(db: &mut Db, month: Period, county: RegionCode, book: &Payees) -> Result<Vec<PayRow>> {
    let mut rows = Vec::new();
    store::each_planned_line(db, month, county, book, |l| {
        let (name, account) = if crate::benefits::deaths::paid_to_claimant(l.item) {
            match l.payee.claimant {
                Some(claimant) => claimant,
                None => {
                    return Err(StoreError::Invalid(tongchou_core::tr!(
                        "app-dis-no-claim",
                        person = l.person,
                        item = l.item.as_str()
                    )));
                }
            }
        } else {
            (l.payee.name, l.payee.account)
        };
        rows.push(PayRow {
            person: l.person,
            item: l.item,
            attempt: l.attempt,
            amount: l.amount,
            e2e: l.end_to_end.to_string(),
            name: name.to_string(),
            account: account.to_string(),
            replaces: l.replaces,
        });
        Ok(())
    })?;
    // by person, item and attempt (the store gives them in no order)
    rows.sort_by(|a, b| {
        (a.person, a.item.as_str(), a.attempt).cmp(&(b.person, b.item.as_str(), b.attempt))
    });
    Ok(rows)
}

/// What the county account can pay now, pensions first, then by person (a partial approval
/// defers the rest); and the deferred rows.
fn within_balance(
    db: &mut Db,
    chart: &Chart,
    county: RegionCode,
    mut rows: Vec<PayRow>,
) -> Result<(Vec<PayRow>, Vec<PayRow>)> {
    let mut left = available(&mut Ledger::new(db), chart, county)?.fen();
    rows.sort_by(|a, b| {
        (a.item != Item::BasicPension, a.person).cmp(&(b.item != Item::BasicPension, b.person))
    });
    let mut pay = Vec::new();
    let mut deferred = Vec::new();
    for r in rows {
        if r.amount.fen() <= left {
            left -= r.amount.fen();
            pay.push(r);
        } else {
            deferred.push(r);
        }
    }
    Ok((pay, deferred))
}

/// The payments of a county's rows, with the remittance text the payee reads.
fn payments(month: Period, pay: &[PayRow]) -> Result<Vec<Payment>> {
    let mut payments = Vec::with_capacity(pay.len());
    for r in pay {
        let acct = AccountNumber::parse(&r.account).map_err(|e| {
            AppError::Invalid(tongchou_core::tr!(
                "app-dis-person",
                person = r.person,
                error = e
            ))
        })?;
        let id = EndToEndId::from_stored(&r.e2e).map_err(|e| AppError::Invalid(e.to_string()))?;
        // the remittance information the bank carries to the pensioner's statement: Chinese
        // whatever the reader's language (the bank file is an exchange format, not a page)
        let remit = format!(
            "{month} {}{}",
            r.item.chinese(),
            match r.replaces {
                Some(Replaced::Returned) => "（重发）",
                Some(Replaced::Carried) => "（补发）",
                None => "",
            }
        );
        payments.push(
            Payment::new(id, &r.name, acct, None, r.amount, &remit)
                .map_err(|e| AppError::Invalid(e.to_string()))?,
        );
    }
    Ok(payments)
}

/// A county's payment files as the worker prepared them (`overlap`): its batches, the files
/// staged so far (each batch's pain.001 and CSV, and the pain.001's digest) and, once all are
/// staged, its benefit transfers; `failed`: what stopped the preparation before.
struct Prepared {
    run: CountyRun,
    /// The day the files are created on.
    on: String,
    batches: Vec<PaymentBatch>,
    files: Vec<StagedFile>,
    failed: Option<AppError>,
    transfers: Result<Vec<(Request, Option<LineSource>)>>,
}

/// A batch's files, staged (`files::stage`) under the final paths named here.
struct StagedFile {
    xml_path: PathBuf,
    csv_path: PathBuf,
    xml_sha256: String,
}

/// The worker's part of a county (no database): its batches, files staged, and its benefit
/// transfers.
fn prepare(month: Period, cal: &Calendar, out_dir: &Path, run: CountyRun) -> Prepared {
    let mut p = Prepared {
        run,
        on: String::new(),
        batches: Vec::new(),
        files: Vec::new(),
        failed: None,
        transfers: Ok(Vec::new()),
    };
    if let Err(e) = stage_files(month, cal, out_dir, &mut p) {
        p.failed = Some(e);
        return p;
    }
    p.transfers = benefit_transfers(Chart::standard(), month, cal, p.run.county, &p.run.pay);
    p
}

/// Plan the county's batches, render and stage each batch's pain.001 and CSV file (into `p`,
/// one batch after the other, until one fails).
fn stage_files(month: Period, cal: &Calendar, out_dir: &Path, p: &mut Prepared) -> Result<()> {
    let created = DateTime::new(cal.pay_day.add_days(-1), 9, 0, 0)
        .map_err(|e| AppError::Invalid(e.to_string()))?;
    p.on = created.date().to_string();
    let r = &p.run;
    p.batches = plan_batches(
        r.county,
        month,
        1,
        created,
        cal.pay_day,
        &r.debtor,
        payments(month, &r.pay)?,
        PAYMENTS_PER_FILE,
    )
    .map_err(|e| AppError::Invalid(e.to_string()))?;
    for b in &p.batches {
        let xml = write_pain001(b);
        let csv = write_payment_csv(b);
        let msg = b.message_id().as_str();
        let xml_path = out_dir.join(format!("{msg}.pain001.xml"));
        let csv_path = out_dir.join(format!("{msg}.csv"));
        files::stage(&xml_path, xml.as_bytes())?;
        files::stage(&csv_path, csv.as_bytes())?;
        p.files.push(StagedFile {
            xml_path,
            csv_path,
            xml_sha256: file_digest(xml.as_bytes()),
        });
    }
    Ok(())
}

/// Record each staged file of the county in `payment_files` under its final path; the staged
/// paths are added to `staged`.
fn record_files(db: &mut Db, month: Period, p: &Prepared, staged: &mut Vec<PathBuf>) -> Result<()> {
    for (b, f) in p.batches.iter().zip(&p.files) {
        staged.push(f.xml_path.clone());
        staged.push(f.csv_path.clone());
        let (xp, cp) = (
            f.xml_path.display().to_string(),
            f.csv_path.display().to_string(),
        );
        store::record_payment_file(
            db,
            &PaymentFile {
                msg_id: b.message_id().as_str(),
                month,
                county: p.run.county,
                payments: b.len() as i64,
                ctrl_sum: b.control_sum(),
                xml_sha256: &f.xml_sha256,
                xml_path: &xp,
                csv_path: &cp,
                created_on: &p.on,
            },
        )?;
    }
    Ok(())
}

/// Mark the county's paid lines issued in their message. Batches hold payments sorted by
/// end-to-end id, so each is a contiguous id range: when the whole county goes out (`whole`),
/// one statement per file marks its lines; else line by line.
fn mark_issued(
    db: &mut Db,
    month: Period,
    county: RegionCode,
    batches: &[PaymentBatch],
    pay: &[PayRow],
    whole: bool,
) -> Result<()> {
    if whole {
        for b in batches {
            let ids = b.payments();
            let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
                continue;
            };
            store::mark_range_issued(
                db,
                month,
                county,
                b.message_id().as_str(),
                first.end_to_end_id().as_str(),
                last.end_to_end_id().as_str(),
            )?;
        }
        return Ok(());
    }
    // which message each payment went out in
    let msg_of: HashMap<&str, &str> = batches
        .iter()
        .flat_map(|b| {
            b.payments()
                .iter()
                .map(move |p| (p.end_to_end_id().as_str(), b.message_id().as_str()))
        })
        .collect();
    for r in pay {
        let msg = msg_of.get(r.e2e.as_str()).copied().unwrap_or_default();
        store::mark_line_issued(db, month, r.person, r.item, r.attempt, msg)?;
    }
    Ok(())
}

/// One pending benefit transfer per item of the county's paid lines, carrying the count, total
/// and digest of its person-level lines in their canonical order (person, attempt) and naming
/// the payment lines that hold them (`LineSource::Payroll`: the lines are not copied).
fn benefit_transfers(
    chart: &Chart,
    month: Period,
    cal: &Calendar,
    county: RegionCode,
    pay: &[PayRow],
) -> Result<Vec<(Request, Option<LineSource>)>> {
    let m = month.yyyymm() as i64;
    let mut by_item: BTreeMap<Item, Vec<&PayRow>> = BTreeMap::new();
    for r in pay {
        by_item.entry(r.item).or_default().push(r);
    }
    let mut out = Vec::with_capacity(by_item.len());
    for (item, mut rows) in by_item {
        rows.sort_by_key(|r| (r.person, r.attempt));
        let mut h = LinesHasher::default();
        for r in &rows {
            h.push(&Line {
                person: r.person,
                amount: r.amount,
            });
        }
        let lines = h.finish().map_err(|e| {
            AppError::Invalid(tongchou_core::tr!(
                "app-dis-payments",
                month = month,
                county = county,
                error = e
            ))
        })?;
        let amount = lines.total;
        let key = format!("pay/{m}/{county}/{}", item.as_str());
        let reference = Reference::Payment { month, item }.to_string();
        let doc = Doc {
            key: &key,
            reference: &reference,
            date: cal.pay_day,
        };
        let r = payment(chart, doc, county, benefit_kind(item), amount, Some(lines))?;
        let source = LineSource::Payroll {
            month,
            county: county.get(),
            item: item.as_str().to_string(),
        };
        out.push((r, Some(source)));
    }
    Ok(out)
}

/// What the step did so far.
#[derive(Default)]
struct Totals {
    files: u64,
    issued: i64,
    deferred: u64,
    deferred_amount: Fen,
    deferred_persons: std::collections::BTreeSet<i64>,
    /// Counties with lines deferred, marked so once their payments went out.
    deferred_counties: Vec<RegionCode>,
    staged: Vec<PathBuf>,
    transfers: Vec<(Request, Option<LineSource>)>,
}

/// The counties' payments, drawn on their paying accounts, one county after the other: a
/// county's lines are read and what its account can pay now is found here (`next`) while the
/// worker prepares the previous county's files (`prepare`) and the one before is written here
/// (`apply`).
struct Counties<'a> {
    counties: std::vec::IntoIter<RegionCode>,
    /// The paying account of each county that has one on the pay day.
    debtors: BTreeMap<RegionCode, Debtor>,
    month: Period,
    /// The pay day (named in a refusal).
    pay_day: tongchou_core::period::Date,
    /// Every pensioner's payee.
    payees: &'a Payees,
    t: &'a mut Totals,
    /// Reading a county failed: nothing more is read.
    stopped: bool,
}

impl Counties<'_> {
    /// The next county that pays something now, with what it pays.
    fn next_run(&mut self, db: &mut Db) -> Result<Option<CountyRun>> {
        let chart = Chart::standard();
        for county in self.counties.by_ref() {
            let rows = payees(db, self.month, county, self.payees)?;
            let (pay, deferred) = within_balance(db, chart, county, rows)?;
            let t = &mut *self.t;
            t.deferred += deferred.len() as u64;
            for r in &deferred {
                t.deferred_amount = t.deferred_amount.try_add(r.amount)?;
                t.deferred_persons.insert(r.person);
            }
            if !deferred.is_empty() {
                t.deferred_counties.push(county);
            }
            if pay.is_empty() {
                continue;
            }
            // `paying_accounts` found every county that pays something an account
            let debtor = self
                .debtors
                .remove(&county)
                .ok_or_else(|| AppError::NoPayingAccount {
                    counties: vec![agency_accounts::named(county)],
                    day: self.pay_day,
                })?;
            return Ok(Some(CountyRun {
                county,
                pay,
                whole: deferred.is_empty(),
                debtor,
            }));
        }
        Ok(None)
    }
}

impl overlap::Units for Counties<'_> {
    type In = Result<CountyRun>;
    type Out = Result<Prepared>;

    fn next(&mut self, db: &mut Db) -> Option<Result<CountyRun>> {
        if self.stopped {
            return None;
        }
        let run = self.next_run(db);
        self.stopped = run.is_err();
        run.transpose()
    }

    /// One county: its files recorded, its lines issued, its benefit transfers (added to `t`).
    fn apply(&mut self, db: &mut Db, p: Result<Prepared>) -> Result<()> {
        let p = p?;
        let (month, t) = (self.month, &mut *self.t);
        record_files(db, month, &p, &mut t.staged)?;
        if let Some(e) = p.failed {
            return Err(e);
        }
        t.files += p.batches.len() as u64;
        let r = &p.run;
        mark_issued(db, month, r.county, &p.batches, &r.pay, r.whole)?;
        t.issued += r.pay.iter().map(|r| r.amount.fen()).sum::<i64>();
        t.transfers.extend(p.transfers?);
        Ok(())
    }
}

/// A county's payments of the month as they go out: what its account can pay now, whether that
/// is all of it (nothing deferred), and the paying account they are drawn on.
struct CountyRun {
    county: RegionCode,
    pay: Vec<PayRow>,
    whole: bool,
    debtor: Debtor,
}

/// The paying account of each county with planned lines, found before anything is written: a
/// county without one on the pay day stops the step (`AppError::NoPayingAccount`, naming every
/// such county) unless its account can pay none of its lines now (then nothing of it goes out).
fn paying_accounts(
    db: &mut Db,
    month: Period,
    cal: &Calendar,
    counties: &[RegionCode],
    book: &Payees,
) -> Result<BTreeMap<RegionCode, Debtor>> {
    let chart = Chart::standard();
    let mut debtors = BTreeMap::new();
    let mut missing = Vec::new();
    for &county in counties {
        match agency_accounts::debtor_on(db, county, cal.pay_day)? {
            Some(debtor) => {
                debtors.insert(county, debtor);
            }
            None => {
                let rows = payees(db, month, county, book)?;
                if !within_balance(db, chart, county, rows)?.0.is_empty() {
                    missing.push(agency_accounts::named(county));
                }
            }
        }
    }
    if !missing.is_empty() {
        return Err(AppError::NoPayingAccount {
            counties: missing,
            day: cal.pay_day,
        });
    }
    Ok(debtors)
}

/// Step 6: payment files per county and pending benefit transfers. Returns the staged files,
/// renamed to their final names once the step has committed.
pub(super) fn step_pay(
    db: &mut Db,
    month: Period,
    cal: &Calendar,
    out_dir: &Path,
) -> Result<StepOutput> {
    let counties = tongchou_store::plan_chain::counties_with_payroll(db, month)?;
    let book = Payees::read(db)?;
    let debtors = paying_accounts(db, month, cal, &counties, &book)?;
    let mut t = Totals::default();
    std::fs::create_dir_all(out_dir)
        .map_err(|e| AppError::Invalid(format!("{}: {e}", out_dir.display())))?;
    let mut counties = Counties {
        counties: counties.into_iter(),
        debtors,
        month,
        pay_day: cal.pay_day,
        payees: &book,
        t: &mut t,
        stopped: false,
    };
    overlap::run(db, &mut counties, |run| {
        run.map(|r| prepare(month, cal, out_dir, r))
    })?;
    // what the county accounts could not cover is deferred, once the payments went out
    for county in std::mem::take(&mut t.deferred_counties) {
        store::mark_county_deferred(db, month, county)?;
    }
    let batch = std::mem::take(&mut t.transfers);
    let res = Ledger::new(db).submit_with_sources(&batch)?;
    for (r, x) in batch.iter().zip(res) {
        if let Err(e) = x {
            return Err(AppError::Invalid(tongchou_core::tr!(
                "app-ledger-refused",
                key = r.0.key,
                reason = e
            )));
        }
    }
    files::sync(&t.staged)?;
    Ok(StepOutput {
        details: serde_json::json!({
            "files": t.files,
            "issued_fen": t.issued,
            "deferred_lines": t.deferred,
            "deferred_fen": t.deferred_amount.fen(),
            "deferred_persons": t.deferred_persons.len(),
        }),
        staged: t.staged,
    })
}

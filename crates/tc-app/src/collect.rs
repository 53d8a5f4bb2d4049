//! The collection month (统收) as one atomic job step over the store and the ledger.
//!
//! For month M, in ONE database transaction (a killed run leaves nothing behind; a finished month
//! is refused the second time):
//! 1. assess every active contributor (declared wage or the month's wage declaration, clamped to
//!    the bounds in force, employer and individual parts at the dated rates);
//! 2. (demo only) add the simulated tax bureau's receipts for M;
//! 3. match every receipt not yet matched whose payment date is on or before the close date
//!    (day `calendar.collection_day` of M+1) to what is owed, oldest period first, with late fees;
//! 4. write assessments, applications, the new set of open arrears and unapplied money;
//! 5. post to the ledger, per county: employer (pooling) part, individual part and late fees, each
//!    one transfer aggregating its person-level lines, landing in the provincial fiscal special
//!    account as that county's income (through the county income account and a sweep where the
//!    county still has one);
//! 6. record the step with its totals.

use crate::error::{AppError, Result};
use crate::jobs;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tongchou_core::period::{Date, Period};
use tongchou_core::policy::Policy;
use tongchou_core::rules::arrears::due_date;
use tongchou_core::rules::contribution::{ContributionTerms, PayerKind};
use tongchou_core::{Fen, RegionCode};
use tongchou_engine::collection::{
    Application, Assessment, Contributor, OpenItem, Receipt, assess, county_totals, match_receipts,
};
use tongchou_ledger::flows::{ContributionPart, Doc, collection, pair_key};
use tongchou_ledger::{Chart, Line, Request};
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, StoreError, Val};

/// Columns of `receipts` as the collection close writes them.
pub const RECEIPTS_COLS: [&str; 7] = [
    "receipt",
    "person_id",
    "period",
    "paid_fen",
    "paid_on",
    "import_id",
    "batch_id",
];
/// Columns of `assessments` as the collection close writes them.
pub const ASSESSMENTS_COLS: [&str; 11] = [
    "person_id",
    "period",
    "county",
    "employer_id",
    "payer_kind",
    "declared_fen",
    "base_fen",
    "pooling_fen",
    "account_fen",
    "due_date",
    "batch_id",
];
/// Columns of `applications` as the collection close writes them.
pub const APPLICATIONS_COLS: [&str; 10] = [
    "receipt",
    "period",
    "person_id",
    "county",
    "amount_fen",
    "pooling_fen",
    "account_fen",
    "days_late",
    "late_fee_fen",
    "batch_id",
];
/// Columns of `arrears` as the collection close writes them.
pub const ARREARS_COLS: [&str; 8] = [
    "person_id",
    "period",
    "county",
    "employer_id",
    "due_date",
    "total_fen",
    "account_total_fen",
    "paid_fen",
];

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
    let d = u8::try_from(d)
        .map_err(|_| AppError::Invalid(format!("calendar.collection_day {d} out of range")))?;
    Ok(next.day(d))
}

fn load_contributors(db: &mut Db, period: Period) -> Result<Vec<Contributor>> {
    let last = period.last_day().to_string();
    let mut out = Vec::new();
    db.each(
        "SELECT p.id, p.county, COALESCE(p.employer_id, 0), p.payer_kind, COALESCE(w.declared_fen, p.declared_fen)
         FROM persons p LEFT JOIN wage_declarations w ON w.person_id = p.id AND w.period = $1
         WHERE p.status = 'active' AND p.enrolled_on <= $2
         ORDER BY p.id",
        &[Val::I64(period.yyyymm() as i64), Val::Str(&last)],
        |r| {
            let kind = match r.text(3)? {
                "employee" => PayerKind::Employee,
                "flexible" => PayerKind::Flexible,
                other => {
                    return Err(StoreError::Invalid(format!(
                        "person {}: payer kind {other:?}",
                        r.i64(0)?
                    )));
                }
            };
            out.push(Contributor {
                person: r.i64(0)?,
                county: u32::try_from(r.i64(1)?)
                    .map_err(|_| StoreError::Invalid("county out of range".into()))?,
                employer: r.i64(2)?,
                kind,
                declared: Fen::new(r.i64(4)?),
            });
            Ok(())
        },
    )?;
    Ok(out)
}

fn parse_date(s: &str) -> Result<Date> {
    Ok(s.parse::<Date>()?)
}

fn load_arrears(db: &mut Db) -> Result<HashMap<i64, Vec<OpenItem>>> {
    let mut m: HashMap<i64, Vec<OpenItem>> = HashMap::new();
    db.each(
        "SELECT person_id, period, county, due_date, total_fen, account_total_fen, paid_fen FROM arrears",
        &[],
        |r| {
            let person = r.i64(0)?;
            let item = (|| {
                Ok::<_, AppError>(OpenItem {
                    person,
                    period: Period::from_yyyymm(r.i64(1)? as i32)?,
                    county: r.i64(2)? as u32,
                    due: parse_date(r.text(3)?)?,
                    total: Fen::new(r.i64(4)?),
                    account_total: Fen::new(r.i64(5)?),
                    paid: Fen::new(r.i64(6)?),
                })
            })()
            .map_err(|e| StoreError::Invalid(format!("arrears of person {person}: {e}")))?;
            m.entry(person).or_default().push(item);
            Ok(())
        },
    )?;
    Ok(m)
}

fn load_receipts(db: &mut Db, until: Date) -> Result<Vec<Receipt>> {
    let until = until.to_string();
    let mut out = Vec::new();
    db.each(
        "SELECT receipt, person_id, period, paid_fen, paid_on FROM receipts WHERE batch_id IS NULL AND paid_on <= $1",
        &[Val::Str(&until)],
        |r| {
            let receipt = r.text(0)?;
            let parsed = (|| {
                Ok::<_, AppError>(Receipt {
                    receipt: receipt.to_string(),
                    person: r.i64(1)?,
                    period: Period::from_yyyymm(r.i64(2)? as i32)?,
                    paid: Fen::new(r.i64(3)?),
                    paid_on: parse_date(r.text(4)?)?,
                })
            })()
            .map_err(|e| StoreError::Invalid(format!("receipt {receipt}: {e}")))?;
            out.push(parsed);
            Ok(())
        },
    )?;
    Ok(out)
}

/// Insert receipts (the tax bureau's results) under an import id.
pub fn write_receipts(db: &mut Db, import_id: i64, receipts: &[Receipt]) -> Result<u64> {
    write_receipt_rows(db, import_id, receipts, None)
}

/// Write receipts. With `applied_by = (batch, close)`, the close of `batch` applies them in the
/// same transaction: those paid by the close date carry the batch already (no second pass over
/// them), the later ones wait for a later close. Without it, none is applied yet.
fn write_receipt_rows(
    db: &mut Db,
    import_id: i64,
    receipts: &[Receipt],
    applied_by: Option<(i64, Date)>,
) -> Result<u64> {
    let n = db.bulk_insert("receipts", &RECEIPTS_COLS, &mut |sink| {
        for r in receipts {
            let d = r.paid_on.to_string();
            let batch = match applied_by {
                Some((batch, close)) if r.paid_on <= close => Val::I64(batch),
                _ => Val::Null,
            };
            sink.row(&[
                Val::Str(&r.receipt),
                Val::I64(r.person),
                Val::I64(r.period.yyyymm() as i64),
                Val::I64(r.paid.fen()),
                Val::Str(&d),
                Val::I64(import_id),
                batch,
            ])?;
        }
        Ok(())
    })?;
    Ok(n)
}

fn write_assessments(db: &mut Db, batch: i64, a: &[Assessment]) -> Result<()> {
    let due = a.first().map(|x| x.due.to_string()).unwrap_or_default();
    db.bulk_insert("assessments", &ASSESSMENTS_COLS, &mut |sink| {
        for x in a {
            sink.row(&[
                Val::I64(x.person),
                Val::I64(x.period.yyyymm() as i64),
                Val::I64(x.county as i64),
                Val::I64(x.employer),
                Val::Str(match x.kind {
                    PayerKind::Employee => "employee",
                    PayerKind::Flexible => "flexible",
                }),
                Val::I64(x.declared.fen()),
                Val::I64(x.base.fen()),
                Val::I64(x.pooling.fen()),
                Val::I64(x.account.fen()),
                Val::Str(&due),
                Val::I64(batch),
            ])?;
        }
        Ok(())
    })?;
    Ok(())
}

fn write_applications(db: &mut Db, batch: i64, apps: &[Application]) -> Result<()> {
    db.bulk_insert("applications", &APPLICATIONS_COLS, &mut |sink| {
        for x in apps {
            sink.row(&[
                Val::Str(&x.receipt),
                Val::I64(x.period.yyyymm() as i64),
                Val::I64(x.person),
                Val::I64(x.county as i64),
                Val::I64(x.amount.fen()),
                Val::I64(x.pooling.fen()),
                Val::I64(x.account.fen()),
                Val::I64(x.days_late),
                Val::I64(x.late_fee.fen()),
                Val::I64(batch),
            ])?;
        }
        Ok(())
    })?;
    Ok(())
}

fn write_arrears(db: &mut Db, items: &[OpenItem], employers: &HashMap<i64, i64>) -> Result<()> {
    db.exec("DELETE FROM arrears", &[])?;
    db.bulk_insert("arrears", &ARREARS_COLS, &mut |sink| {
        for i in items {
            let due = i.due.to_string();
            sink.row(&[
                Val::I64(i.person),
                Val::I64(i.period.yyyymm() as i64),
                Val::I64(i.county as i64),
                Val::I64(employers.get(&i.person).copied().unwrap_or(0)),
                Val::Str(&due),
                Val::I64(i.total.fen()),
                Val::I64(i.account_total.fen()),
                Val::I64(i.paid.fen()),
            ])?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Counties whose agency still has an income account (收入户).
fn income_account_counties(db: &mut Db) -> Result<BTreeSet<u32>> {
    let rows = db.query(
        "SELECT county FROM county_settings WHERE has_income_account <> 0",
        &[],
    )?;
    rows.iter().map(|r| Ok(r[0].i64()? as u32)).collect()
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
        chart
            .account(region, kind)
            .ok_or_else(|| AppError::Invalid(format!("region {region} has no account {kind}")))
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

/// Run the collection of `period`. Fails (writing nothing) if the month was already closed.
pub fn run_month(
    db: &mut Db,
    policy: &Policy,
    period: Period,
    source: ReceiptSource<'_>,
) -> Result<MonthReport> {
    let close = close_date(policy, period)?;
    let batch = period.yyyymm() as i64;
    db.transaction(|db| {
        if jobs::is_done(db, JOB, period, STEP_CLOSE)? {
            return Err(AppError::State(format!(
                "collection of {period} is already closed"
            )));
        }
        let terms = ContributionTerms::at(policy, period)?;
        let due = due_date(policy, period)?;
        let people = load_contributors(db, period)?;
        let assessed = assess(&terms, due, &people);
        write_assessments(db, batch, &assessed)?;
        // the receipts this close applies: those stored and not yet applied (imported), and the
        // simulated tax bureau's, written already marked with this close
        let mut receipts = load_receipts(db, close)?;
        if let ReceiptSource::Counterpart(bureau) = source {
            let sim = bureau.receipts(&assessed);
            write_receipt_rows(db, 0, &sim, Some((batch, close)))?;
            receipts.extend(sim.into_iter().filter(|r| r.paid_on <= close));
        }
        let mut old = load_arrears(db)?;
        let mut current: Vec<OpenItem> = assessed.iter().map(OpenItem::from_assessment).collect();
        let matched = match_receipts(policy, &mut current, &mut old, &mut receipts)?;
        write_applications(db, batch, &matched.applications)?;
        let until = close.to_string();
        db.exec(
            "UPDATE receipts SET batch_id = $1 WHERE batch_id IS NULL AND paid_on <= $2",
            &[Val::I64(batch), Val::Str(&until)],
        )?;
        let unapplied_rows: Vec<(String, i64, Fen, &str)> = matched
            .unapplied
            .iter()
            .map(|(r, p, a)| (r.clone(), *p, *a, "overpayment: nothing left owed"))
            .chain(matched.unknown.iter().map(|r| {
                (
                    r.receipt.clone(),
                    r.person,
                    r.paid,
                    "no assessment for this person",
                )
            }))
            .collect();
        db.bulk_insert(
            "unapplied",
            &["receipt", "person_id", "amount_fen", "reason", "batch_id"],
            &mut |sink| {
                for (r, p, a, why) in &unapplied_rows {
                    sink.row(&[
                        Val::Str(r),
                        Val::I64(*p),
                        Val::I64(a.fen()),
                        Val::Str(why),
                        Val::I64(batch),
                    ])?;
                }
                Ok(())
            },
        )?;
        // the new open set: old arrears and this month's items with something outstanding
        let employers: HashMap<i64, i64> = people.iter().map(|c| (c.person, c.employer)).collect();
        let mut open: Vec<OpenItem> = old
            .into_values()
            .flatten()
            .chain(current)
            .filter(|i| i.outstanding().is_positive())
            .collect();
        open.sort_by_key(|i| (i.person, i.period));
        write_arrears(db, &open, &employers)?;

        // ledger
        let chart = Chart::standard();
        let with_income = income_account_counties(db)?;
        let totals = county_totals(&matched.applications)?;
        let mut pooling_lines: BTreeMap<u32, Vec<Line>> = BTreeMap::new();
        let mut account_lines: BTreeMap<u32, Vec<Line>> = BTreeMap::new();
        let mut fee_lines: BTreeMap<u32, Vec<Line>> = BTreeMap::new();
        for a in &matched.applications {
            if a.pooling.is_positive() {
                pooling_lines.entry(a.county).or_default().push(Line {
                    person: a.person,
                    amount: a.pooling,
                });
            }
            if a.account.is_positive() {
                account_lines.entry(a.county).or_default().push(Line {
                    person: a.person,
                    amount: a.account,
                });
            }
            if a.late_fee.is_positive() {
                fee_lines.entry(a.county).or_default().push(Line {
                    person: a.person,
                    amount: a.late_fee,
                });
            }
        }
        let reference = format!("collection batch {period}");
        let mut transfers = 0u64;
        let mut ledger = Ledger::new(db);
        for (county, t) in &totals {
            let rc = RegionCode::new(*county).map_err(|e| AppError::Invalid(e.0))?;
            let via = with_income.contains(county);
            for (kind, category, amount, lines) in [
                (
                    "contribution_employer",
                    "contribution",
                    t.pooling,
                    pooling_lines.get(county),
                ),
                (
                    "contribution_individual",
                    "contribution",
                    t.account,
                    account_lines.get(county),
                ),
                ("other_income", "other", t.late_fees, fee_lines.get(county)),
            ] {
                if !amount.is_positive() {
                    continue;
                }
                let key = format!("collect/{batch}/{county}/{kind}");
                let reqs = county_income_requests(
                    chart, &key, &reference, close, rc, kind, category, amount, via,
                )?;
                let empty: &[Line] = &[];
                let lines: &[Line] = lines.map(|v| v.as_slice()).unwrap_or(empty);
                let batch_reqs: Vec<(Request, &[Line])> = reqs
                    .into_iter()
                    .enumerate()
                    .map(|(i, r)| (r, if i == 0 { lines } else { empty }))
                    .collect();
                let results = ledger.submit_with_lines(&batch_reqs)?;
                for (r, res) in batch_reqs.iter().zip(results) {
                    if let Err(e) = res {
                        return Err(AppError::Invalid(format!(
                            "ledger refused {}: {e}",
                            r.0.key
                        )));
                    }
                }
                transfers += batch_reqs.len() as u64;
            }
        }
        let db = ledger.db();
        let history = crate::income::remit_historical(db, policy, period)?;

        // report
        let mut counties: BTreeMap<u32, CountyLine> = BTreeMap::new();
        for a in &assessed {
            let c = counties.entry(a.county).or_insert_with(|| CountyLine {
                county: a.county,
                ..Default::default()
            });
            c.contributors += 1;
            c.assessed = c.assessed.try_add(a.total())?;
        }
        for (county, t) in &totals {
            let c = counties.entry(*county).or_insert_with(|| CountyLine {
                county: *county,
                ..Default::default()
            });
            c.pooling = t.pooling;
            c.account = t.account;
            c.collected = t.pooling.try_add(t.account)?;
            c.late_fees = t.late_fees;
        }
        for i in &open {
            let c = counties.entry(i.county).or_insert_with(|| CountyLine {
                county: i.county,
                ..Default::default()
            });
            c.arrears = c.arrears.try_add(i.outstanding())?;
        }
        let report = MonthReport {
            period: Some(period),
            close_date: Some(close),
            contributors: assessed.len() as u64,
            assessed: Fen::try_sum(assessed.iter().map(|a| a.total()))?,
            receipts: receipts.len() as u64,
            collected: Fen::try_sum(matched.applications.iter().map(|a| a.amount))?,
            late_fees: Fen::try_sum(matched.applications.iter().map(|a| a.late_fee))?,
            unapplied: Fen::try_sum(unapplied_rows.iter().map(|x| x.2))?,
            unknown_receipts: matched.unknown.len() as u64,
            arrears_items: open.len() as u64,
            arrears: Fen::try_sum(open.iter().map(|i| i.outstanding()))?,
            transfers,
            historical_remitted: history.amount,
            counties: counties.into_values().collect(),
        };
        let details =
            serde_json::to_value(&report).map_err(|e| AppError::Invalid(e.to_string()))?;
        jobs::mark_done(db, JOB, period, STEP_CLOSE, &details)?;
        Ok(report)
    })
}

/// Prove that the contribution income booked for every county and month equals the sum of its
/// person-level collected amounts (applications), and that each collection transfer's stored lines
/// add up to it. Returns the differences found (empty when everything reconciles).
pub fn reconcile(db: &mut Db) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let apps = db.query(
        "SELECT batch_id, county, CAST(SUM(pooling_fen) AS BIGINT), CAST(SUM(account_fen) AS BIGINT), CAST(SUM(late_fee_fen) AS BIGINT)
         FROM applications GROUP BY batch_id, county ORDER BY batch_id, county",
        &[],
    )?;
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    for r in &apps {
        let (b, c) = (r[0].i64()?, r[1].i64()?);
        for (kind, v) in [
            ("contribution_employer", r[2].i64()?),
            ("contribution_individual", r[3].i64()?),
            ("other_income", r[4].i64()?),
        ] {
            if v != 0 {
                expected.insert(format!("collect/{b}/{c}/{kind}/{c}"), v);
            }
        }
    }
    let booked = db.query(
        "SELECT t.idem_key, t.amount, t.line_count, COALESCE(CAST(SUM(l.amount) AS BIGINT), 0), count(l.line_no)
         FROM ledger_transfer t LEFT JOIN ledger_line l ON l.transfer_id = t.id
         WHERE t.idem_key LIKE 'collect/%' AND t.idem_key NOT LIKE '%/sweep/%'
         GROUP BY t.idem_key, t.amount, t.line_count",
        &[],
    )?;
    let mut seen: BTreeMap<String, i64> = BTreeMap::new();
    for r in &booked {
        let key = r[0].text()?.to_string();
        let (amount, line_count, line_sum, lines) =
            (r[1].i64()?, r[2].i64()?, r[3].i64()?, r[4].i64()?);
        if line_count > 0 && (lines != line_count || line_sum != amount) {
            problems.push(format!(
                "transfer {key}: amount {} but {lines} stored lines add up to {}",
                Fen::new(amount),
                Fen::new(line_sum)
            ));
        }
        // only the county book's transfer carries the lines (key ends with the county itself)
        if line_count > 0 {
            seen.insert(key, amount);
        }
    }
    for (k, v) in &expected {
        match seen.get(k) {
            Some(a) if a == v => {}
            Some(a) => problems.push(format!(
                "{k}: booked {} but persons paid {}",
                Fen::new(*a),
                Fen::new(*v)
            )),
            None => problems.push(format!(
                "{k}: persons paid {} but nothing is booked",
                Fen::new(*v)
            )),
        }
    }
    for (k, a) in &seen {
        if !expected.contains_key(k) {
            problems.push(format!(
                "{k}: booked {} with no person-level collection behind it",
                Fen::new(*a)
            ));
        }
    }
    Ok(problems)
}

//! The disbursement month (统支) as a resumable job: each step runs in one transaction that also
//! records the step, so a killed run resumes at the first unfinished step and ends in the same
//! state as an uninterrupted run; a finished month is refused.
//!
//! Steps of month M (dates from `policy/calendar.toml`):
//! 1. `payroll`   — payment lines for M: pensions in force, re-issues of returned payments, and
//!    whatever `extra` lines the caller adds (adjustment arrears, death settlements…);
//! 2. `plans`     — county plans = payroll − what the county account already holds; consolidated
//!    by city and province; the province's application is submitted (maker);
//! 3. `approve`   — the finance department decides (checker, never the submitter): full, partial
//!    or rejected; approved amounts are spread down exactly, funded from the provincial fiscal
//!    special account into the provincial expenditure account, and reserved as pending
//!    allocations to the cities;
//! 4. `allocate`  — the pending allocations are posted: provincial expenditure account → city
//!    expenditure accounts, due by day 10 (late = breach);
//! 5. `passdown`  — cities → counties, due within the configured working days (late = breach);
//! 6. `pay`       — per county, pain.001.001.09 + CSV payment files; pending benefit transfers per
//!    (county, item) with their person-level lines;
//! 7. `returns`   — only with a bank counterpart standing in for the banks (demo and tests,
//!    `tongchou-sim`): it answers each file of the month with a status report, read like any
//!    return file; a real bank's answers are read later with [`read_returns`].

use crate::error::{AppError, Result};
use crate::jobs;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use tongchou_bank::{
    AccountNumber, DateTime, Debtor, EndToEndId, Final, IssuedPayment, IssuedSet, Payment,
    PaymentKey, PaymentState, file_digest, plan_batches, read_return_file, write_pain001,
    write_payment_csv,
};
use tongchou_core::access::{ApprovalKind, Principal};
use tongchou_core::period::{Date, Period};
use tongchou_core::policy::Policy;
use tongchou_core::{Divisions, Fen, RegionCode};
use tongchou_engine::disbursement::{
    Approved, Calendar, Consolidated, CountyPlan, Decision, Item, approve,
};
use tongchou_engine::payroll::{Pensioner, PensionerStatus, payroll};
use tongchou_ledger::flows::{Doc, allocation, funding, payment, resolve_pair};
use tongchou_ledger::{Chart, Line, Request};
use tongchou_store::access::{ApprovalStatus, decide_approval, submit_approval};
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, StoreError, Val};

pub const JOB: &str = "disbursement";

/// The steps of a disbursement month, in order; each is recorded in `job_steps` by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Payroll,
    Plans,
    Approve,
    Allocate,
    Passdown,
    Pay,
    Returns,
}

impl Step {
    pub const ALL: [Step; 7] = [
        Step::Payroll,
        Step::Plans,
        Step::Approve,
        Step::Allocate,
        Step::Passdown,
        Step::Pay,
        Step::Returns,
    ];

    /// The step's name as recorded in `job_steps`.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Payroll => "payroll",
            Step::Plans => "plans",
            Step::Approve => "approve",
            Step::Allocate => "allocate",
            Step::Passdown => "passdown",
            Step::Pay => "pay",
            Step::Returns => "returns",
        }
    }
}

/// A payment file as the bank received it: what a bank keeps of it to answer.
#[derive(Clone, Debug)]
pub struct SentFile<'a> {
    pub msg_id: &'a str,
    /// Each payment's end-to-end id and amount, in end-to-end order.
    pub payments: &'a [(&'a str, Fen)],
    /// When the answer is made (two days after the pay day, 18:00).
    pub answered_at: DateTime,
}

/// A stand-in for the banks (`tongchou-sim`, for the demo and tests): answers a payment file
/// with the bytes of its status report (pain.002), as a real bank would. Real answers are read
/// with [`read_returns`].
pub trait BankCounterpart: Send + Sync {
    fn answer(&self, sent: &SentFile<'_>) -> Result<Vec<u8>>;
}

/// The bank counterpart of a month run, if any.
#[derive(Clone)]
pub struct Counterpart(pub std::sync::Arc<dyn BankCounterpart>);

impl std::fmt::Debug for Counterpart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Counterpart(bank)")
    }
}

/// Who acts in the month: the provincial bureau officer submits; under a simulated decision
/// ([`PlanDecision::Simulated`]) the job records the finance department's decision in the
/// approver's name (demo, benchmarks, tests). A real decision is made by the approver themself
/// ([`decide_fund_plan`]) and needs no approver here.
#[derive(Clone, Debug)]
pub struct Actors {
    pub officer: Principal,
    pub approver: Option<Principal>,
}

/// How the finance department's decision on the month's fund-use application is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanDecision {
    /// The job decides `MonthOptions::approve_share` in the name of `Actors::approver`.
    Simulated,
    /// The decision the finance approver recorded ([`decide_fund_plan`]): until there is one,
    /// the month stops after the `plans` step and says what it waits for; run it again later.
    Recorded,
}

/// How the month is run: the finance decision, the day money actually reached the cities (to
/// record lateness), where bank files go, and the simulated bank.
#[derive(Clone, Debug)]
pub struct MonthOptions {
    /// How the application is decided.
    pub decision: PlanDecision,
    /// Approved share of the plan in parts per 10,000 (10,000 = full), for a simulated decision.
    pub approve_share: u32,
    /// Day of M the allocation to cities is actually made (default: the deadline).
    pub allocation_day: Option<u8>,
    pub out_dir: PathBuf,
    /// A stand-in for the banks that answers the month's files in the `returns` step; `None`:
    /// the step is skipped and the real banks' answers are read with [`read_returns`].
    pub bank: Option<Counterpart>,
    /// Extra payment lines (adjustment arrears, death settlements, corrections) for the month.
    pub extra: Vec<(i64, u32, Item, Fen)>,
    /// Also pay what `benefits::settlements_due` gives for the month, read inside the payroll
    /// step's own transaction, so a claim or adjustment recorded up to that moment is paid and
    /// one recorded after it is due in the next month (`benefits` never writes dues for a month
    /// whose payroll step is done).
    pub include_dues: bool,
}

impl MonthOptions {
    pub fn new(out_dir: &Path) -> MonthOptions {
        MonthOptions {
            decision: PlanDecision::Simulated,
            approve_share: 10_000,
            allocation_day: None,
            out_dir: out_dir.to_path_buf(),
            bank: None,
            extra: Vec::new(),
            include_dues: false,
        }
    }
}

fn item_code(i: Item) -> &'static str {
    match i {
        Item::BasicPension => "BP",
        Item::AdjustmentArrears => "AA",
        Item::FuneralGrant => "FG",
        Item::SurvivorGrant => "SG",
        Item::AccountRefund => "AR",
    }
}

/// The chart account a benefit item is paid from.
fn benefit_kind(i: Item) -> &'static str {
    match i {
        Item::BasicPension | Item::AdjustmentArrears | Item::AccountRefund => {
            "benefit_basic_pension"
        }
        Item::FuneralGrant | Item::SurvivorGrant => "benefit_funeral_survivor",
    }
}

fn rc(v: i64) -> Result<RegionCode> {
    u32::try_from(v)
        .ok()
        .and_then(|v| RegionCode::new(v).ok())
        .ok_or_else(|| AppError::Invalid(format!("bad region code {v}")))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn submit(ledger: &mut Ledger<'_>, reqs: &[Request]) -> Result<()> {
    let res = ledger.submit(reqs)?;
    for (r, x) in reqs.iter().zip(res) {
        if let Err(e) = x {
            return Err(AppError::Invalid(format!("ledger refused {}: {e}", r.key)));
        }
    }
    Ok(())
}

fn end_to_end(
    county: RegionCode,
    month: Period,
    item: Item,
    person: i64,
    attempt: u8,
) -> Result<String> {
    let payee = person.to_string();
    let id = EndToEndId::derive(&PaymentKey {
        county,
        period: month,
        item: item_code(item),
        payee: &payee,
        attempt,
    })
    .map_err(|e| AppError::Invalid(e.to_string()))?;
    Ok(id.as_str().to_string())
}

/// Step 1: the payroll of `month`.
fn step_payroll(
    db: &mut Db,
    month: Period,
    extra: &[(i64, u32, Item, Fen)],
) -> Result<serde_json::Value> {
    let mut ps = Vec::new();
    db.each(
        "SELECT person_id, county, retire_period, monthly_fen, contribution_months FROM pensioners WHERE status = 'active'",
        &[],
        |r| {
            ps.push(Pensioner {
                person: r.i64(0)?,
                county: r.i64(1)? as u32,
                // paid from the month after retirement
                retire: Period::from_yyyymm(r.i64(2)? as i32)
                    .map_err(|e| StoreError::Invalid(format!("pensioner {}: {e}", r.i64(0).unwrap_or(0))))?
                    .add_months(1),
                monthly: Fen(r.i64(3)?),
                contribution_months: r.i64(4)? as u32,
                status: PensionerStatus::Active,
            });
            Ok(())
        },
    )?;
    let mut lines = payroll(month, &ps, None).lines;
    let mut out: Vec<(i64, Item, u8, u32, Fen, Option<String>)> = lines
        .drain(..)
        .map(|l| (l.person, l.item, 0, l.county, l.amount, None))
        .collect();
    for (person, county, item, amount) in extra {
        if amount.is_positive() {
            out.push((*person, *item, 0, *county, *amount, None));
        }
    }
    // re-issues of returned payments not yet re-issued: the same item (payee, expense), a later
    // attempt; a person's re-issues of one item in one month get distinct attempts (two returned
    // payments of the same attempt, say January's and February's pension both returned once, may
    // be re-issued in the same month)
    let returned = db.query(
        "SELECT r.person_id, r.county, r.amount_fen, r.attempt, r.end_to_end, r.item FROM payroll_lines r
         WHERE r.status = 'returned' AND NOT EXISTS (SELECT 1 FROM payroll_lines x WHERE x.reissue_of = r.end_to_end)
         ORDER BY r.person_id, r.end_to_end",
        &[],
    )?;
    let mut used: std::collections::HashSet<(i64, Item, i64)> = std::collections::HashSet::new();
    for r in returned {
        let person = r[0].i64()?;
        let item = Item::parse(r[5].text()?)
            .ok_or_else(|| AppError::Invalid(format!("unknown item {:?}", r[5])))?;
        let mut next = r[3].i64()? + 1;
        while !used.insert((person, item, next)) {
            next += 1;
        }
        let attempt = u8::try_from(next)
            .ok()
            .filter(|a| *a <= 99)
            .ok_or_else(|| AppError::Invalid(format!("person {person}: more than 99 re-issues")))?;
        out.push((
            person,
            item,
            attempt,
            r[1].i64()? as u32,
            Fen(r[2].i64()?),
            Some(r[4].text()?.to_string()),
        ));
    }
    let m = month.yyyymm() as i64;
    let mut total = 0i64;
    let n = out.len();
    let mut keyed = Vec::with_capacity(n);
    for line in out {
        let (person, item, attempt, county, _, _) = &line;
        let e2e = end_to_end(rc(*county as i64)?, month, *item, *person, *attempt)?;
        keyed.push((line, e2e));
    }
    // Written in the order the pay step issues them (county, then end-to-end id, as the files
    // list them): a county's lines are neighbours in the table, so marking a file's lines issued
    // and later paid rewrites a few contiguous pages instead of touching every page each time.
    keyed.sort_by(|a, b| (a.0.3, &a.1).cmp(&(b.0.3, &b.1)));
    db.bulk_insert(
        "payroll_lines",
        &[
            "month",
            "person_id",
            "item",
            "attempt",
            "county",
            "amount_fen",
            "end_to_end",
            "status",
            "reissue_of",
        ],
        &mut |sink| {
            for ((person, item, attempt, county, amount, of), e2e) in &keyed {
                total += amount.0;
                sink.row(&[
                    Val::I64(m),
                    Val::I64(*person),
                    Val::Str(item.as_str()),
                    Val::I64(*attempt as i64),
                    Val::I64(*county as i64),
                    Val::I64(amount.0),
                    Val::Str(e2e),
                    Val::Str("planned"),
                    of.as_deref().map(Val::Str).unwrap_or(Val::Null),
                ])?;
            }
            Ok(())
        },
    )?;
    Ok(serde_json::json!({"lines": n, "total_fen": total}))
}

/// Planned lines of the month per county and item.
fn planned_by_county(
    db: &mut Db,
    month: Period,
) -> Result<BTreeMap<RegionCode, BTreeMap<Item, Fen>>> {
    let rows = db.query(
        "SELECT county, item, CAST(SUM(amount_fen) AS BIGINT) FROM payroll_lines WHERE month = $1 AND status = 'planned' GROUP BY county, item",
        &[Val::I64(month.yyyymm() as i64)],
    )?;
    let mut m: BTreeMap<RegionCode, BTreeMap<Item, Fen>> = BTreeMap::new();
    for r in rows {
        let item = Item::parse(r[1].text()?)
            .ok_or_else(|| AppError::Invalid(format!("unknown item {:?}", r[1])))?;
        m.entry(rc(r[0].i64()?)?)
            .or_default()
            .insert(item, Fen(r[2].i64()?));
    }
    Ok(m)
}

fn available(ledger: &mut Ledger<'_>, chart: &Chart, region: RegionCode) -> Result<Fen> {
    let Some(id) = chart.account(region, "expenditure_account") else {
        return Ok(Fen::ZERO);
    };
    Ok(match ledger.account(id)? {
        Some(a) => {
            let b = a.balances;
            Fen(b.debits_posted.0 - b.credits_posted.0 - b.credits_pending.0)
        }
        None => Fen::ZERO,
    })
}

/// Step 2: county plans, consolidation, the province's application (maker).
fn step_plans(
    db: &mut Db,
    month: Period,
    cal: &Calendar,
    actors: &Actors,
) -> Result<serde_json::Value> {
    let chart = Chart::standard();
    let divisions = Divisions::shanxi();
    let by_county = planned_by_county(db, month)?;
    let mut plans = Vec::new();
    {
        let mut ledger = Ledger::new(db);
        for (county, items) in &by_county {
            let need: i64 = items.values().map(|f| f.0).sum();
            let on_hand = available(&mut ledger, chart, *county)?;
            let request = Fen((need - on_hand.0.max(0)).max(0));
            // the plan asks for what the payroll needs beyond the balance on hand; the items
            // keep the payroll's split for the report
            let mut planned = items.clone();
            if request.0 < need {
                planned = BTreeMap::from([(Item::BasicPension, request)]);
            }
            plans.push(CountyPlan {
                county: *county,
                items: planned,
            });
        }
    }
    let c = Consolidated::build(divisions, month, plans)?;
    let m = month.yyyymm() as i64;
    let officer = actors.officer.user_id;
    let write_plan = |db: &mut Db,
                      region: RegionCode,
                      level: &str,
                      amount: Fen,
                      on: Date|
     -> Result<()> {
        let on = on.to_string();
        db.exec(
            "INSERT INTO fund_plans (month, region, level, planned_fen, submitted_by, submitted_on, deadline, status) VALUES ($1, $2, $3, $4, $5, $6, $6, 'submitted')",
            &[Val::I64(m), Val::I64(region.get() as i64), Val::Str(level), Val::I64(amount.0), Val::I64(officer), Val::Str(&on)],
        )?;
        Ok(())
    };
    for (city, ps) in &c.cities {
        for p in ps {
            write_plan(db, p.county, "county", p.total(), cal.county_plan_by)?;
            for (item, amount) in &p.items {
                db.exec(
                    "INSERT INTO fund_plan_items (month, county, item, amount_fen) VALUES ($1, $2, $3, $4)",
                    &[Val::I64(m), Val::I64(p.county.get() as i64), Val::Str(item.as_str()), Val::I64(amount.0)],
                )?;
            }
        }
        write_plan(db, *city, "city", c.city_total(*city), cal.city_plan_by)?;
    }
    let province = divisions.province().code;
    write_plan(db, province, "province", c.total(), cal.province_apply_by)?;
    let a = submit_approval(
        db,
        &actors.officer,
        ApprovalKind::FundPlan,
        &format!("fund_plan/{month}"),
        province,
        now_ms(),
    )
    .map_err(|e| AppError::Invalid(format!("submitting the plan: {e}")))?;
    db.exec(
        "UPDATE fund_plans SET approval_id = $1 WHERE month = $2 AND level = 'province'",
        &[Val::I64(a.id), Val::I64(m)],
    )?;
    Ok(
        serde_json::json!({"planned_fen": c.total().0, "approval_id": a.id, "counties": c.cities.values().map(Vec::len).sum::<usize>()}),
    )
}

fn load_consolidated(db: &mut Db, month: Period) -> Result<Consolidated> {
    let rows = db.query(
        "SELECT county, item, amount_fen FROM fund_plan_items WHERE month = $1 ORDER BY county, item",
        &[Val::I64(month.yyyymm() as i64)],
    )?;
    let mut by: BTreeMap<RegionCode, BTreeMap<Item, Fen>> = BTreeMap::new();
    for r in rows {
        let item =
            Item::parse(r[1].text()?).ok_or_else(|| AppError::Invalid("unknown item".into()))?;
        by.entry(rc(r[0].i64()?)?)
            .or_default()
            .insert(item, Fen(r[2].i64()?));
    }
    let plans = by
        .into_iter()
        .map(|(county, items)| CountyPlan { county, items })
        .collect();
    Ok(Consolidated::build(Divisions::shanxi(), month, plans)?)
}

fn approved_of(db: &mut Db, month: Period) -> Result<Approved> {
    let rows = db.query(
        "SELECT region, level, COALESCE(approved_fen, 0) FROM fund_plans WHERE month = $1",
        &[Val::I64(month.yyyymm() as i64)],
    )?;
    let mut a = Approved {
        total: Fen::ZERO,
        counties: BTreeMap::new(),
        cities: BTreeMap::new(),
    };
    for r in rows {
        let (region, amount) = (rc(r[0].i64()?)?, Fen(r[2].i64()?));
        match r[1].text()? {
            "county" => {
                a.counties.insert(region, amount);
            }
            "city" => {
                a.cities.insert(region, amount);
            }
            _ => a.total = amount,
        }
    }
    Ok(a)
}

fn status_of(d: &Decision) -> ApprovalStatus {
    match d {
        Decision::Full => ApprovalStatus::Approved,
        Decision::Partial { .. } => ApprovalStatus::PartlyApproved,
        Decision::Rejected { .. } => ApprovalStatus::Rejected,
    }
}

/// The province's row of the month's application and its approval.
struct ApplicationRow {
    approval_id: i64,
    planned: Fen,
    status: String,
    note: String,
    approved: Option<Fen>,
}

fn application_row(db: &mut Db, month: Period) -> Result<Option<ApplicationRow>> {
    let Some(r) = db.query_opt(
        "SELECT f.approval_id, f.planned_fen, a.status, a.note, f.approved_fen FROM fund_plans f \
         JOIN approvals a ON a.id = f.approval_id WHERE f.month = $1 AND f.level = 'province'",
        &[Val::I64(month.yyyymm() as i64)],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(ApplicationRow {
        approval_id: r[0].i64()?,
        planned: Fen(r[1].i64()?),
        status: r[2].text()?.to_string(),
        note: r[3].text()?.to_string(),
        approved: r[4].opt_i64()?.map(Fen),
    }))
}

/// The month's application as it stands: approval id and status, planned and (once decided)
/// approved amounts of the province. `None` before the `plans` step.
pub fn application(db: &mut Db, month: Period) -> Result<Option<serde_json::Value>> {
    Ok(application_row(db, month)?.map(|a| {
        serde_json::json!({
            "month": month.to_string(),
            "approval_id": a.approval_id,
            "planned": a.planned,
            "status": a.status,
            "note": a.note,
            "approved": a.approved,
        })
    }))
}

/// The finance department's recorded decision on the month's application, if any.
fn recorded_decision(db: &mut Db, month: Period) -> Result<Option<Decision>> {
    let Some(a) = application_row(db, month)? else {
        return Err(AppError::Invalid(format!(
            "no fund-use application for {month}: its plans step has not run"
        )));
    };
    Ok(match a.status.as_str() {
        "approved" => Some(Decision::Full),
        "partly_approved" => {
            let amount = a.approved.ok_or_else(|| {
                AppError::Invalid(format!(
                    "the application of {month} is partly approved without an amount: decide it with `tongchou plan decide`"
                ))
            })?;
            Some(Decision::Partial { approved: amount })
        }
        "rejected" => Some(Decision::Rejected { reason: a.note }),
        _ => None,
    })
}

/// The finance approver decides the month's fund-use application: in full, in part (an amount
/// above 0 and below the planned one) or not at all (with a reason). Never by the officer who
/// submitted it, only by a user allowed to approve fund plans for the province, once, and only
/// between the month's `plans` and `approve` steps; refusals are audited like every decision
/// (`tongchou_store::access::decide_approval`). The month's `approve` step then applies it
/// ([`PlanDecision::Recorded`]).
pub fn decide_fund_plan(
    db: &mut Db,
    approver: &Principal,
    month: Period,
    decision: &Decision,
    now: i64,
) -> Result<serde_json::Value> {
    db.transaction(|db| {
        if !jobs::is_done(db, JOB, month, "plans")? {
            return Err(AppError::Invalid(format!(
                "no fund-use application for {month} yet: its plans step has not run"
            )));
        }
        if jobs::is_done(db, JOB, month, "approve")? {
            return Err(AppError::State(format!(
                "the application of {month} was already decided and applied"
            )));
        }
        let m = month.yyyymm() as i64;
        let Some(app) = application_row(db, month)? else {
            return Err(AppError::Invalid(format!("no fund-use application for {month}")));
        };
        let (id, planned) = (app.approval_id, app.planned);
        let (decision, note) = match decision {
            Decision::Partial { approved } if *approved == planned => {
                (Decision::Full, String::new())
            }
            Decision::Partial { approved } if !approved.is_positive() || *approved > planned => {
                return Err(AppError::Invalid(format!(
                    "approved amount {approved}: must be above 0 and at most the planned {planned} (or reject the application)"
                )));
            }
            Decision::Rejected { reason } if reason.trim().is_empty() => {
                return Err(AppError::Invalid("reason: a rejection needs a reason".into()));
            }
            Decision::Rejected { reason } => (
                Decision::Rejected {
                    reason: reason.trim().to_string(),
                },
                reason.trim().to_string(),
            ),
            other => (other.clone(), String::new()),
        };
        let a = decide_approval(db, approver, id, status_of(&decision), &note, now)?;
        if let Decision::Partial { approved } = decision {
            db.exec(
                "UPDATE fund_plans SET approved_fen = $1 WHERE month = $2 AND level = 'province'",
                &[Val::I64(approved.0), Val::I64(m)],
            )?;
        }
        Ok(a.to_json())
    })
}

/// Step 3: the finance department's decision (simulated, or recorded by the approver) is applied;
/// approved amounts are reserved as pending transfers.
fn step_approve(
    db: &mut Db,
    month: Period,
    cal: &Calendar,
    actors: &Actors,
    opts_decision: PlanDecision,
    share: u32,
) -> Result<serde_json::Value> {
    let c = load_consolidated(db, month)?;
    let m = month.yyyymm() as i64;
    let approval_id = db.query_i64(
        "SELECT approval_id FROM fund_plans WHERE month = $1 AND level = 'province'",
        &[Val::I64(m)],
    )?;
    let planned = c.total();
    let (decision, status) = match opts_decision {
        PlanDecision::Simulated => {
            let decision = if share >= 10_000 {
                Decision::Full
            } else if share == 0 {
                Decision::Rejected {
                    reason: "rejected by the finance department".into(),
                }
            } else {
                Decision::Partial {
                    approved: Fen((planned.0 as i128 * share as i128 / 10_000) as i64),
                }
            };
            let status = status_of(&decision);
            let approver = actors.approver.as_ref().ok_or_else(|| {
                AppError::Invalid(
                    "a simulated decision needs the approver in whose name it is recorded".into(),
                )
            })?;
            decide_approval(db, approver, approval_id, status, "", now_ms())
                .map_err(|e| AppError::Invalid(format!("deciding the plan: {e}")))?;
            (decision, status)
        }
        PlanDecision::Recorded => {
            let Some(decision) = recorded_decision(db, month)? else {
                return Err(AppError::State(format!(
                    "the fund-use application of {month} (approval {approval_id}) awaits the finance department's decision"
                )));
            };
            let status = status_of(&decision);
            (decision, status)
        }
    };
    let a = approve(&c, &decision)?;
    let st = status.as_str();
    let set =
        |db: &mut Db, region: RegionCode, amount: Fen| -> Result<()> {
            db.exec(
            "UPDATE fund_plans SET approved_fen = $1, status = $2 WHERE month = $3 AND region = $4",
            &[Val::I64(amount.0), Val::Str(st), Val::I64(m), Val::I64(region.get() as i64)],
        )?;
            Ok(())
        };
    for (county, v) in &a.counties {
        set(db, *county, *v)?;
    }
    for (city, v) in &a.cities {
        set(db, *city, *v)?;
    }
    let province = Divisions::shanxi().province().code;
    set(db, province, a.total)?;
    // reserve: pending funding and pending allocations to the cities
    let chart = Chart::standard();
    let date = cal.approval_by;
    let reference = format!("fund plan {month}");
    let mut reqs = Vec::new();
    if a.total.is_positive() {
        let key = format!("funding/{m}");
        // the approved amount moves to the provincial expenditure account on approval; the
        // allocations to the cities are reserved (pending) until the day they are made
        reqs.push(funding(
            chart,
            Doc {
                key: &key,
                reference: &reference,
                date,
            },
            province,
            a.total,
            false,
        )?);
        for (city, v) in &a.cities {
            if v.is_positive() {
                let key = format!("alloc/{m}/{city}");
                reqs.extend(allocation(
                    chart,
                    Doc {
                        key: &key,
                        reference: &reference,
                        date,
                    },
                    province,
                    *city,
                    *v,
                    true,
                )?);
            }
        }
    }
    submit(&mut Ledger::new(db), &reqs)?;
    Ok(
        serde_json::json!({"decision": status.as_str(), "planned_fen": planned.0, "approved_fen": a.total.0}),
    )
}

#[allow(clippy::too_many_arguments)]
fn record_allocation(
    db: &mut Db,
    month: Period,
    region: RegionCode,
    level: &str,
    amount: Fen,
    deadline: Date,
    done: Date,
    key: &str,
) -> Result<()> {
    let m = month.yyyymm() as i64;
    let delay = Calendar::delay(deadline, done);
    let (d, o) = (deadline.to_string(), done.to_string());
    db.exec(
        "INSERT INTO allocations (month, region, level, amount_fen, deadline, done_on, delay_days, transfer_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[Val::I64(m), Val::I64(region.get() as i64), Val::Str(level), Val::I64(amount.0), Val::Str(&d), Val::Str(&o), Val::I64(delay), Val::Str(key)],
    )?;
    if delay > 0 {
        db.exec(
            "INSERT INTO breaches (month, region, kind, deadline, happened_on, delay_days) VALUES ($1, $2, $3, $4, $5, $6)",
            &[Val::I64(m), Val::I64(region.get() as i64), Val::Str(&format!("late_allocation_to_{level}")), Val::Str(&d), Val::Str(&o), Val::I64(delay)],
        )?;
    }
    Ok(())
}

/// Step 4: post the reserved allocations to the cities.
fn step_allocate(
    db: &mut Db,
    month: Period,
    cal: &Calendar,
    day: Option<u8>,
) -> Result<serde_json::Value> {
    let a = approved_of(db, month)?;
    let m = month.yyyymm() as i64;
    let done = day.map(|d| month.day(d)).unwrap_or(cal.allocation_by);
    let province = Divisions::shanxi().province().code;
    let reference = format!("allocation {month}");
    let mut reqs = Vec::new();
    if a.total.is_positive() {
        for (city, v) in &a.cities {
            if v.is_positive() {
                let doc = Doc {
                    key: &format!("alloc/{m}/{city}/post"),
                    reference: &reference,
                    date: done,
                };
                reqs.extend(resolve_pair(
                    doc,
                    &format!("alloc/{m}/{city}"),
                    [province, *city],
                    true,
                    None,
                ));
            }
        }
    }
    submit(&mut Ledger::new(db), &reqs)?;
    for (city, v) in &a.cities {
        record_allocation(
            db,
            month,
            *city,
            "city",
            *v,
            cal.allocation_by,
            done,
            &format!("alloc/{m}/{city}/post"),
        )?;
    }
    Ok(
        serde_json::json!({"allocated_fen": a.total.0, "on": done.to_string(), "late_days": Calendar::delay(cal.allocation_by, done)}),
    )
}

/// Step 5: cities pass the money down to their counties.
fn step_passdown(
    db: &mut Db,
    month: Period,
    cal: &Calendar,
    alloc_day: Option<u8>,
) -> Result<serde_json::Value> {
    let a = approved_of(db, month)?;
    let m = month.yyyymm() as i64;
    let allocated_on = alloc_day.map(|d| month.day(d)).unwrap_or(cal.allocation_by);
    let done = cal
        .work_days
        .add(allocated_on, 1)
        .min(cal.passdown_by.max(allocated_on));
    let chart = Chart::standard();
    let d = Divisions::shanxi();
    let reference = format!("pass-down {month}");
    let mut total = 0i64;
    let mut reqs = Vec::new();
    for (county, v) in &a.counties {
        if !v.is_positive() {
            continue;
        }
        let city = d
            .city_of(*county)
            .ok_or_else(|| AppError::Invalid(format!("{county} has no city")))?;
        let key = format!("passdown/{m}/{county}");
        reqs.extend(allocation(
            chart,
            Doc {
                key: &key,
                reference: &reference,
                date: done,
            },
            city,
            *county,
            *v,
            false,
        )?);
        total += v.0;
    }
    submit(&mut Ledger::new(db), &reqs)?;
    for (county, v) in &a.counties {
        record_allocation(
            db,
            month,
            *county,
            "county",
            *v,
            cal.passdown_by,
            done,
            &format!("passdown/{m}/{county}"),
        )?;
    }
    Ok(serde_json::json!({"passed_down_fen": total, "on": done.to_string()}))
}

struct PayRow {
    person: i64,
    item: Item,
    attempt: i64,
    amount: Fen,
    e2e: String,
    name: String,
    account: String,
    /// A re-issue of a returned payment (said so in the remittance text).
    reissue: bool,
}

/// Step 6: payment files per county and pending benefit transfers.
fn step_pay(
    db: &mut Db,
    month: Period,
    cal: &Calendar,
    out_dir: &Path,
) -> Result<serde_json::Value> {
    let m = month.yyyymm() as i64;
    let mut by_county: BTreeMap<RegionCode, Vec<PayRow>> = BTreeMap::new();
    // a death settlement's items go to the survivor who claimed it, everything else to the
    // pensioner
    db.each(
        "SELECT l.person_id, l.item, l.attempt, l.county, l.amount_fen, l.end_to_end, p.name, s.bank_account,
         c.claimant_name, c.bank_account, l.reissue_of
         FROM payroll_lines l JOIN persons p ON p.id = l.person_id JOIN pensioners s ON s.person_id = l.person_id
         LEFT JOIN survivor_claims c ON c.person_id = l.person_id
         WHERE l.month = $1 AND l.status = 'planned' ORDER BY l.person_id, l.item, l.attempt",
        &[Val::I64(m)],
        |r| {
            let item = Item::parse(r.text(1)?)
                .ok_or_else(|| StoreError::Invalid(format!("unknown item {:?}", r.text(1))))?;
            let county = rc(r.i64(3)?).map_err(|e| StoreError::Invalid(e.to_string()))?;
            let person = r.i64(0)?;
            let (name, account) = if crate::benefits::deaths::paid_to_claimant(item) {
                match (r.opt_text(8)?, r.opt_text(9)?) {
                    (Some(n), Some(a)) => (n, a),
                    _ => {
                        return Err(StoreError::Invalid(format!(
                            "person {person}: {} is paid to the survivor who claims it, and no claim was filed",
                            item.as_str()
                        )));
                    }
                }
            } else {
                (r.text(6)?, r.text(7)?)
            };
            by_county.entry(county).or_default().push(PayRow {
                person,
                item,
                attempt: r.i64(2)?,
                amount: Fen(r.i64(4)?),
                e2e: r.text(5)?.to_string(),
                name: name.to_string(),
                account: account.to_string(),
                reissue: r.opt_text(10)?.is_some(),
            });
            Ok(())
        },
    )?;
    std::fs::create_dir_all(out_dir)
        .map_err(|e| AppError::Invalid(format!("{}: {e}", out_dir.display())))?;
    let chart = Chart::standard();
    let d = Divisions::shanxi();
    let created = DateTime::new(cal.pay_day.add_days(-1), 9, 0, 0)
        .map_err(|e| AppError::Invalid(e.to_string()))?;
    let mut files = 0u64;
    let mut paid_total = 0i64;
    let mut ledger_batch: Vec<(Request, Vec<Line>)> = Vec::new();
    let mut deferred = 0u64;
    for (county, mut rows) in by_county {
        // pay only what the county account holds (a partial approval defers the rest)
        let mut ledger = Ledger::new(db);
        let mut left = available(&mut ledger, chart, county)?.0;
        let db = ledger.db();
        rows.sort_by(|a, b| {
            (a.item != Item::BasicPension, a.person).cmp(&(b.item != Item::BasicPension, b.person))
        });
        let mut pay = Vec::new();
        let mut county_deferred = 0u64;
        for r in rows {
            if r.amount.0 <= left {
                left -= r.amount.0;
                pay.push(r);
            } else {
                county_deferred += 1;
            }
        }
        deferred += county_deferred;
        if pay.is_empty() {
            continue;
        }
        let agency = format!(
            "{}社会保险事业管理中心",
            d.get(county).map(|r| r.name.as_str()).unwrap_or("县")
        );
        let debtor =
            Debtor::synthetic(county, &agency).map_err(|e| AppError::Invalid(e.to_string()))?;
        let mut payments = Vec::with_capacity(pay.len());
        for r in &pay {
            let acct = AccountNumber::parse(&r.account)
                .map_err(|e| AppError::Invalid(format!("person {}: {e}", r.person)))?;
            let id =
                EndToEndId::from_stored(&r.e2e).map_err(|e| AppError::Invalid(e.to_string()))?;
            let remit = format!(
                "{month} {}{}",
                match r.item {
                    Item::BasicPension => "基本养老金",
                    Item::AdjustmentArrears => "调待补发",
                    Item::FuneralGrant => "丧葬补助金",
                    Item::SurvivorGrant => "抚恤金",
                    Item::AccountRefund => "个人账户余额退还",
                },
                if r.reissue { "（重发）" } else { "" }
            );
            payments.push(
                Payment::new(id, &r.name, acct, None, r.amount, &remit)
                    .map_err(|e| AppError::Invalid(e.to_string()))?,
            );
        }
        let batches = plan_batches(
            county,
            month,
            1,
            created,
            cal.pay_day,
            &debtor,
            payments,
            50_000,
        )
        .map_err(|e| AppError::Invalid(e.to_string()))?;
        for b in &batches {
            let xml = write_pain001(b);
            let csv = write_payment_csv(b);
            let msg = b.message_id().as_str().to_string();
            let xml_path = out_dir.join(format!("{msg}.pain001.xml"));
            let csv_path = out_dir.join(format!("{msg}.csv"));
            std::fs::write(&xml_path, xml.as_bytes())
                .map_err(|e| AppError::Invalid(format!("{}: {e}", xml_path.display())))?;
            std::fs::write(&csv_path, csv.as_bytes())
                .map_err(|e| AppError::Invalid(format!("{}: {e}", csv_path.display())))?;
            let (xp, cp, on) = (
                xml_path.display().to_string(),
                csv_path.display().to_string(),
                created.date().to_string(),
            );
            let sha = file_digest(xml.as_bytes());
            db.exec(
                "INSERT INTO payment_files (msg_id, month, county, payments, ctrl_sum_fen, xml_sha256, xml_path, csv_path, created_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[Val::Str(&msg), Val::I64(m), Val::I64(county.get() as i64), Val::I64(b.len() as i64), Val::I64(b.control_sum().0), Val::Str(&sha), Val::Str(&xp), Val::Str(&cp), Val::Str(&on)],
            )?;
            files += 1;
        }
        let mut by_item: BTreeMap<Item, Vec<Line>> = BTreeMap::new();
        // one statement when the whole county goes out in one file, else line by line
        // Batches hold payments sorted by end-to-end id, so each is a contiguous id range: when the
        // whole county goes out, one statement per file marks its lines; else line by line.
        let whole = county_deferred == 0;
        // which message each payment went out in (needed only when marking line by line)
        let msg_of: HashMap<&str, &str> = if whole {
            HashMap::new()
        } else {
            batches
                .iter()
                .flat_map(|b| {
                    b.payments()
                        .iter()
                        .map(move |p| (p.end_to_end_id().as_str(), b.message_id().as_str()))
                })
                .collect()
        };
        if whole {
            for b in &batches {
                let ids = b.payments();
                let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
                    continue;
                };
                db.exec(
                    "UPDATE payroll_lines SET status = 'issued', msg_id = $1 WHERE month = $2 AND county = $3 AND status = 'planned' AND end_to_end >= $4 AND end_to_end <= $5",
                    &[
                        Val::Str(b.message_id().as_str()),
                        Val::I64(m),
                        Val::I64(county.get() as i64),
                        Val::Str(first.end_to_end_id().as_str()),
                        Val::Str(last.end_to_end_id().as_str()),
                    ],
                )?;
            }
        }
        for r in &pay {
            if !whole {
                let msg = msg_of.get(r.e2e.as_str()).copied().unwrap_or_default();
                db.exec(
                    "UPDATE payroll_lines SET status = 'issued', msg_id = $1 WHERE month = $2 AND person_id = $3 AND item = $4 AND attempt = $5 AND status = 'planned'",
                    &[Val::Str(msg), Val::I64(m), Val::I64(r.person), Val::Str(r.item.as_str()), Val::I64(r.attempt)],
                )?;
            }
            by_item.entry(r.item).or_default().push(Line {
                person: r.person,
                amount: r.amount,
            });
            paid_total += r.amount.0;
        }
        for (item, lines) in by_item {
            let amount = Fen(lines.iter().map(|l| l.amount.0).sum());
            let key = format!("pay/{m}/{county}/{}", item.as_str());
            let reference = format!("payment {month} {}", item.as_str());
            let r = payment(
                chart,
                Doc {
                    key: &key,
                    reference: &reference,
                    date: cal.pay_day,
                },
                county,
                benefit_kind(item),
                amount,
                None,
            )?;
            ledger_batch.push((r, lines));
        }
    }
    let batch: Vec<(Request, &[Line])> = ledger_batch
        .iter()
        .map(|(r, l)| (r.clone(), l.as_slice()))
        .collect();
    let res = Ledger::new(db).submit_with_lines(&batch)?;
    for (r, x) in batch.iter().zip(res) {
        if let Err(e) = x {
            return Err(AppError::Invalid(format!(
                "ledger refused {}: {e}",
                r.0.key
            )));
        }
    }
    Ok(serde_json::json!({"files": files, "issued_fen": paid_total, "deferred_lines": deferred}))
}

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
}

/// Read a bank status report (pain.002 or CSV return file): accepted payments become paid,
/// rejected ones returned (queued for re-issue); every pending benefit transfer whose payments are
/// all final is posted for the accepted part (the rejected part goes back to the county account).
/// Reading the same file again changes nothing.
pub fn read_returns(db: &mut Db, file_name: &str, bytes: &[u8], on: Date) -> Result<ReturnsReport> {
    let sha = file_digest(bytes);
    db.transaction(|db| {
        if db.query_i64("SELECT count(*) FROM bank_returns WHERE file_sha256 = $1", &[Val::Str(&sha)])? > 0 {
            return Ok(ReturnsReport { file_sha256: sha.clone(), already_read: true, ..Default::default() });
        }
        let text = std::str::from_utf8(bytes).map_err(|_| AppError::Invalid(format!("{file_name}: not UTF-8")))?;
        let file = read_return_file(text).map_err(|e| AppError::Invalid(format!("{file_name}: {e}")))?;
        let mut msgs: Vec<String> = file.lines.iter().map(|l| l.original_message_id.clone()).collect();
        msgs.sort();
        msgs.dedup();
        // where each message went: its month and county locate its lines (payroll_lines_county)
        let mut sent: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
        for msg in &msgs {
            if let Some(r) = db
                .query("SELECT month, county FROM payment_files WHERE msg_id = $1", &[Val::Str(msg)])?
                .first()
            {
                sent.insert(msg.as_str(), (r[0].i64()?, r[1].i64()?));
            }
        }
        let mut issued = Vec::new();
        for (msg, (month, county)) in &sent {
            db.each(
                "SELECT end_to_end, amount_fen, status FROM payroll_lines WHERE month = $1 AND county = $2 AND msg_id = $3",
                &[Val::I64(*month), Val::I64(*county), Val::Str(msg)],
                |r| {
                    let state = match r.text(2)? {
                        "paid" => PaymentState::Final(Final::Accepted),
                        "returned" => PaymentState::Final(Final::Rejected),
                        _ => PaymentState::Pending,
                    };
                    issued.push(IssuedPayment {
                        message_id: msg.to_string(),
                        end_to_end_id: r.text(0)?.to_string(),
                        amount: Fen(r.i64(1)?),
                        state,
                    });
                    Ok(())
                },
            )?;
        }
        let set = IssuedSet::new(issued).map_err(|e| AppError::Invalid(e.to_string()))?;
        let rec = set.reconcile(&file);
        let mut report = ReturnsReport { file_sha256: sha.clone(), ..Default::default() };
        // rejected payments line by line (few); accepted ones in one statement per message when
        // every other issued payment of the message was accepted
        let mut accepted_by_msg: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for t in &rec.transitions {
            match t.to {
                Final::Accepted => {
                    accepted_by_msg.entry(t.message_id.as_str()).or_default().push(t.end_to_end_id.as_str());
                    report.accepted += 1;
                }
                Final::Rejected => {
                    let reason = t.reason.clone().unwrap_or_else(|| t.status.clone());
                    db.exec(
                        "UPDATE payroll_lines SET status = 'returned', reason = $1 WHERE end_to_end = $2 AND status = 'issued'",
                        &[Val::Str(&reason), Val::Str(&t.end_to_end_id)],
                    )?;
                    report.rejected += 1;
                }
            }
        }
        for (msg, e2es) in &accepted_by_msg {
            let Some(&(month, county)) = sent.get(msg) else { continue };
            let issued = db.query_i64(
                "SELECT count(*) FROM payroll_lines WHERE month = $1 AND county = $2 AND msg_id = $3 AND status = 'issued'",
                &[Val::I64(month), Val::I64(county), Val::Str(msg)],
            )?;
            if issued == e2es.len() as i64 {
                db.exec(
                    "UPDATE payroll_lines SET status = 'paid' WHERE month = $1 AND county = $2 AND msg_id = $3 AND status = 'issued'",
                    &[Val::I64(month), Val::I64(county), Val::Str(msg)],
                )?;
            } else {
                for e in e2es {
                    db.exec(
                        "UPDATE payroll_lines SET status = 'paid' WHERE end_to_end = $1 AND status = 'issued'",
                        &[Val::Str(e)],
                    )?;
                }
            }
        }
        for q in rec.quarantined().chain(rec.conflicts()) {
            let why = format!("{:?}", q.decision);
            db.exec(
                "INSERT INTO return_quarantine (file_sha256, line_no, end_to_end, reason) VALUES ($1, $2, $3, $4)",
                &[Val::Str(&sha), Val::I64(q.source as i64), Val::Str(q.end_to_end_id.as_deref().unwrap_or("")), Val::Str(&why)],
            )?;
        }
        report.quarantined = rec.quarantined().count() as u64;
        report.conflicts = rec.conflicts().count() as u64;
        // post every pending benefit transfer whose payments are now all final
        let mut groups: Vec<(i64, i64, String)> = Vec::new();
        for (msg, (month, county)) in &sent {
            for r in db.query(
                "SELECT DISTINCT month, county, item FROM payroll_lines WHERE month = $1 AND county = $2 AND msg_id = $3",
                &[Val::I64(*month), Val::I64(*county), Val::Str(msg)],
            )? {
                groups.push((r[0].i64()?, r[1].i64()?, r[2].text()?.to_string()));
            }
        }
        groups.sort();
        groups.dedup();
        let mut open = Vec::new();
        for (m, county, item) in &groups {
            open.extend(db.query(
                "SELECT month, county, item, CAST(SUM(CASE WHEN status = 'paid' THEN amount_fen ELSE 0 END) AS BIGINT),
                        CAST(SUM(CASE WHEN status = 'issued' THEN 1 ELSE 0 END) AS BIGINT)
                 FROM payroll_lines WHERE month = $1 AND county = $2 AND item = $3 AND msg_id IS NOT NULL GROUP BY month, county, item",
                &[Val::I64(*m), Val::I64(*county), Val::Str(item)],
            )?);
        }
        let mut reqs = Vec::new();
        {
            let mut ledger = Ledger::new(db);
            for r in open {
                if r[4].i64()? > 0 {
                    continue;
                }
                let (m, county, item, paid) = (r[0].i64()?, r[1].i64()?, r[2].text()?.to_string(), Fen(r[3].i64()?));
                let key = format!("pay/{m}/{county}/{item}");
                let post_key = format!("{key}/final");
                if ledger.transfer(&post_key)?.is_some() {
                    continue;
                }
                let reference = format!("bank returns {}", &sha[..12]);
                reqs.push(if paid.is_positive() {
                    Request::post_pending(&post_key, &key, Some(paid), "benefit", &reference, on)
                } else {
                    Request::void(&post_key, &key, "bank_return", &reference, on)
                });
            }
        }
        report.posted_transfers = reqs.len() as u64;
        submit(&mut Ledger::new(db), &reqs)?;
        let now = on.to_string();
        db.exec(
            "INSERT INTO bank_returns (file_sha256, file_name, read_on, lines, accepted, rejected, quarantined, conflicts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[Val::Str(&sha), Val::Str(file_name), Val::Str(&now), Val::I64(file.lines.len() as i64), Val::I64(report.accepted as i64), Val::I64(report.rejected as i64), Val::I64(report.quarantined as i64), Val::I64(report.conflicts as i64)],
        )?;
        Ok(report)
    })
}

/// Step 7 (with a bank counterpart only): each file of the month is answered by the counterpart
/// and its answer is written beside the file and read like any return file.
fn step_returns(
    db: &mut Db,
    month: Period,
    cal: &Calendar,
    out_dir: &Path,
    bank: &dyn BankCounterpart,
) -> Result<serde_json::Value> {
    let m = month.yyyymm() as i64;
    let files = db.query(
        "SELECT msg_id, xml_path, county FROM payment_files WHERE month = $1 ORDER BY msg_id",
        &[Val::I64(m)],
    )?;
    let on = cal.pay_day.add_days(2);
    let answered_at = DateTime::new(on, 18, 0, 0).map_err(|e| AppError::Invalid(e.to_string()))?;
    let (mut acc, mut rej) = (0u64, 0u64);
    for f in files {
        let (msg, path, county) = (
            f[0].text()?.to_string(),
            f[1].text()?.to_string(),
            f[2].i64()?,
        );
        // what the bank keeps of the file it received: each payment's id and amount
        let lines = db.query(
            "SELECT end_to_end, amount_fen FROM payroll_lines WHERE month = $1 AND county = $2 AND msg_id = $3 ORDER BY end_to_end",
            &[Val::I64(m), Val::I64(county), Val::Str(&msg)],
        )?;
        let mut payments: Vec<(&str, Fen)> = Vec::with_capacity(lines.len());
        for r in &lines {
            payments.push((r[0].text()?, Fen(r[1].i64()?)));
        }
        let answer = bank.answer(&SentFile {
            msg_id: &msg,
            payments: &payments,
            answered_at,
        })?;
        let ret_path = PathBuf::from(&path)
            .with_extension("")
            .with_extension("pain002.xml");
        let ret_path = out_dir.join(ret_path.file_name().unwrap_or_default());
        std::fs::write(&ret_path, &answer)
            .map_err(|e| AppError::Invalid(format!("{}: {e}", ret_path.display())))?;
        let r = read_returns(db, &ret_path.display().to_string(), &answer, on)?;
        acc += r.accepted;
        rej += r.rejected;
    }
    Ok(serde_json::json!({"accepted": acc, "rejected": rej}))
}

/// Run the remaining steps of month M. Refuses a month whose steps are all done.
pub fn run_month(
    db: &mut Db,
    policy: &Policy,
    month: Period,
    actors: &Actors,
    opts: &MonthOptions,
) -> Result<serde_json::Value> {
    let cal = Calendar::of(policy, month)?;
    let mut done_any = false;
    let mut out = serde_json::Map::new();
    for step in Step::ALL {
        if jobs::is_done(db, JOB, month, step.as_str())? {
            continue;
        }
        if step == Step::Returns && opts.bank.is_none() {
            continue;
        }
        if step == Step::Approve
            && opts.decision == PlanDecision::Recorded
            && recorded_decision(db, month)?.is_none()
        {
            // nothing to do until the finance department decides: stop here, resumable
            out.insert(
                "waiting".to_string(),
                serde_json::json!({
                    "for": "the finance department's decision on the fund-use application",
                    "application": application(db, month)?,
                    "then": format!("tongchou plan decide --period {month} ..., then run the month again"),
                }),
            );
            done_any = true;
            break;
        }
        done_any = true;
        let started = std::time::Instant::now();
        let details = db.transaction(|db| {
            let d = match step {
                Step::Payroll => {
                    let mut extra = opts.extra.clone();
                    if opts.include_dues {
                        // first statement of the step: every due committed so far is seen,
                        // none is written for this month while it runs
                        crate::benefits::lock_dues(db, false)?;
                        extra.extend(crate::benefits::settlements_due(db, month)?);
                    }
                    step_payroll(db, month, &extra)?
                }
                Step::Plans => step_plans(db, month, &cal, actors)?,
                Step::Approve => {
                    step_approve(db, month, &cal, actors, opts.decision, opts.approve_share)?
                }
                Step::Allocate => step_allocate(db, month, &cal, opts.allocation_day)?,
                Step::Passdown => step_passdown(db, month, &cal, opts.allocation_day)?,
                Step::Pay => step_pay(db, month, &cal, &opts.out_dir)?,
                Step::Returns => match &opts.bank {
                    Some(bank) => step_returns(db, month, &cal, &opts.out_dir, bank.0.as_ref())?,
                    None => serde_json::Value::Null,
                },
            };
            jobs::mark_done(db, JOB, month, step.as_str(), &d)?;
            Ok::<_, AppError>(d)
        })?;
        if std::env::var_os("TONGCHOU_TIMING").is_some() {
            eprintln!(
                "{JOB} {month} {}: {:.3} s",
                step.as_str(),
                started.elapsed().as_secs_f64()
            );
        }
        out.insert(step.as_str().to_string(), details);
        #[cfg(feature = "crash-injection")]
        if std::env::var("TONGCHOU_CRASH_AFTER_STEP").ok().as_deref() == Some(step.as_str()) {
            // test builds only: die right after a committed step, as a kill would
            std::process::abort();
        }
    }
    if !done_any {
        return Err(AppError::State(format!(
            "disbursement of {month} is already complete"
        )));
    }
    Ok(serde_json::Value::Object(out))
}

/// Per-region figures of a month. How the money of a city's month adds up:
/// - `need` (every payment line of the month) = `planned` + `from_balance` (what the county
///   accounts already held — returned payments, an earlier partial approval — netted off the plan);
/// - `planned` ≥ `approved` = `allocated` (what reached the city);
/// - `need` = `issued` + `deferred` (lines the county could not pay yet, for lack of approval);
/// - `issued` = `paid` + `returned` + `pending` (no bank answer yet).
///
/// So with a full approval: `allocated` + `from_balance` = `paid` + `returned` + `pending`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RegionFigures {
    pub region: u32,
    pub need: Fen,
    pub from_balance: Fen,
    pub planned: Fen,
    pub approved: Fen,
    pub allocated: Fen,
    pub issued: Fen,
    pub deferred: Fen,
    pub paid: Fen,
    pub returned: Fen,
    pub pending: Fen,
    pub late_days: i64,
}

/// The month's figures per city (and the province as region 140000).
pub fn figures(db: &mut Db, month: Period) -> Result<Vec<RegionFigures>> {
    let m = month.yyyymm() as i64;
    let d = Divisions::shanxi();
    let mut out: BTreeMap<u32, RegionFigures> = BTreeMap::new();
    for r in db.query("SELECT region, level, planned_fen, COALESCE(approved_fen, 0) FROM fund_plans WHERE month = $1 AND level <> 'county'", &[Val::I64(m)])? {
        let region = r[0].i64()? as u32;
        let f = out.entry(region).or_insert_with(|| RegionFigures { region, ..Default::default() });
        f.planned = Fen(r[2].i64()?);
        f.approved = Fen(r[3].i64()?);
    }
    for r in db.query("SELECT region, amount_fen, delay_days FROM allocations WHERE month = $1 AND level = 'city'", &[Val::I64(m)])? {
        let region = r[0].i64()? as u32;
        let f = out.entry(region).or_insert_with(|| RegionFigures { region, ..Default::default() });
        f.allocated = Fen(r[1].i64()?);
        f.late_days = r[2].i64()?;
    }
    for r in db.query(
        "SELECT county, status, CAST(SUM(amount_fen) AS BIGINT) FROM payroll_lines WHERE month = $1 GROUP BY county, status",
        &[Val::I64(m)],
    )? {
        let county = rc(r[0].i64()?)?;
        let city = d.city_of(county).map(|c| c.get()).unwrap_or(0);
        let f = out.entry(city).or_insert_with(|| RegionFigures { region: city, ..Default::default() });
        let v = r[2].i64()?;
        f.need.0 += v;
        match r[1].text()? {
            "paid" => f.paid.0 += v,
            "returned" => f.returned.0 += v,
            "issued" => f.pending.0 += v,
            _ => f.deferred.0 += v,
        }
        if r[1].text()? != "planned" {
            f.issued.0 += v;
        }
    }
    // the province's line adds up its cities
    let province = d.province().code.get();
    let cities: Vec<RegionFigures> = out
        .values()
        .filter(|f| f.region != province)
        .cloned()
        .collect();
    if let Some(p) = out.get_mut(&province) {
        for c in &cities {
            for (t, v) in [
                (&mut p.need, c.need),
                (&mut p.allocated, c.allocated),
                (&mut p.issued, c.issued),
                (&mut p.deferred, c.deferred),
                (&mut p.paid, c.paid),
                (&mut p.returned, c.returned),
                (&mut p.pending, c.pending),
            ] {
                *t = Fen(t.0 + v.0);
            }
            p.late_days = p.late_days.max(c.late_days);
        }
    }
    for f in out.values_mut() {
        f.from_balance = Fen(f.need.0 - f.planned.0);
    }
    Ok(out.into_values().collect())
}

/// A digest of the month's business state (no timestamps or hashes), to compare a resumed run
/// with an uninterrupted one.
pub fn state_digest(db: &mut Db) -> Result<String> {
    use std::fmt::Write as _;
    let mut s = String::new();
    for (name, sql) in [
        (
            "payroll",
            "SELECT month, person_id, item, attempt, county, amount_fen, end_to_end, COALESCE(msg_id, ''), status, COALESCE(reissue_of, '') FROM payroll_lines ORDER BY month, person_id, item, attempt",
        ),
        (
            "plans",
            "SELECT month, region, level, planned_fen, COALESCE(approved_fen, -1), status FROM fund_plans ORDER BY month, region",
        ),
        (
            "allocations",
            "SELECT month, region, level, amount_fen, deadline, done_on, delay_days FROM allocations ORDER BY month, region",
        ),
        (
            "files",
            "SELECT msg_id, payments, ctrl_sum_fen, xml_sha256 FROM payment_files ORDER BY msg_id",
        ),
        (
            "returns",
            "SELECT file_sha256, lines, accepted, rejected FROM bank_returns ORDER BY file_sha256",
        ),
        (
            "transfers",
            "SELECT idem_key, op, debit_account, credit_account, amount, category, value_date, line_count, lines_digest FROM ledger_transfer ORDER BY idem_key",
        ),
        (
            "accounts",
            "SELECT id, debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_account ORDER BY id",
        ),
    ] {
        let rows = db.query(sql, &[])?;
        let _ = writeln!(s, "{name} {}", rows.len());
        for r in rows {
            let _ = writeln!(s, "{r:?}");
        }
    }
    Ok(file_digest(s.as_bytes()))
}

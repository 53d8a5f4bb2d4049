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
//! 6. `pay`       — per county, pain.001.001.09 + CSV payment files drawn on the county agency's
//!    paying account in force on the pay day (`crate::agency_accounts`; a county without one stops
//!    the step, writing nothing); pending benefit transfers per (county, item) carrying their
//!    person-level lines' count, total and digest and naming the payment lines that hold them;
//! 7. `returns`   — only with a bank counterpart standing in for the banks (demo and tests,
//!    `tongchou-sim`): it answers each file of the month with a status report, read like any
//!    return file; a real bank's answers are read later by a person with [`import_returns`]
//!    (`tongchou bank returns FILE`, the page `/bank/returns`).

//!
//! The month's payment files and the simulated bank's answers are staged under a temporary name
//! inside the step's transaction and take their final name only once it has committed (`files`):
//! a killed run never leaves a bank file the database does not know, and a run killed between
//! the commit and the renaming has them renamed by the next run of the month.
//! A worker thread prepares these files (renders, digests, stages; the answers: staged and
//! parsed) beside the step's database work, a county or file ahead, the database writes staying
//! those and in the order of one thread (`overlap`).
//!
//! All SQL is in the store (`tongchou_store::payroll`, `tongchou_store::plans`); each step here
//! is orchestration: read, apply the kernels' rules, write, in the step's transaction.

mod allocate;
mod approve;
mod bank_returns;
mod figures;
mod files;
mod guard;
mod overlap;
mod pay;
mod payroll;
mod plans;
mod returns;

pub use approve::{application, decide_fund_plan, decide_fund_plan_checked};
pub use bank_returns::{import_returns, return_files};
pub use figures::{RegionFigures, figures};
pub use guard::check_payments;
pub use returns::{ReturnsReport, read_returns};
pub use tongchou_store::payroll::ReadReturnFile;

use crate::clock::now_ms;
use crate::error::{AppError, Result};
use crate::jobs;
use std::path::{Path, PathBuf};
use tongchou_bank::{DateTime, EndToEndId, PaymentKey};
use tongchou_core::access::Principal;
use tongchou_core::period::Period;
use tongchou_core::policy::Policy;
use tongchou_core::{Fen, RegionCode};
use tongchou_engine::disbursement::{Calendar, Item};
use tongchou_ledger::{Chart, Request};
use tongchou_store::Db;
use tongchou_store::ledger::Ledger;

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

/// How the county and city plans of the month reach the `plans` step (`crate::plan_chain`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanSubmissions {
    /// The job plays every county and city agency through the chain's use cases in the names of
    /// synthetic users (demo, `--simulate`, tests).
    Simulated,
    /// The agencies submit, return and forward them themselves; until every county with a
    /// payroll is forwarded and every city has submitted, the month stops before its `plans`
    /// step, naming the regions it waits for; run it again later.
    Submitted,
}

/// How the month is run: the finance decision, the day money actually reached the cities (to
/// record lateness), where bank files go, and the simulated bank.
#[derive(Clone, Debug)]
pub struct MonthOptions {
    /// How the application is decided.
    pub decision: PlanDecision,
    /// How the county and city plans are submitted.
    pub plans: PlanSubmissions,
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
    /// Run the eligibility certification's sweep in the payroll step before the pensions are
    /// read (`certification::sweep`: suspensions of the uncertified and of pensioners named by a
    /// death record, reminders). The edges set it; tests of other matters may leave it off.
    pub certify: bool,
    /// Print each step's duration on standard error (the edges set it from `TONGCHOU_TIMING`).
    pub timing: bool,
}

impl MonthOptions {
    pub fn new(out_dir: &Path) -> MonthOptions {
        MonthOptions {
            decision: PlanDecision::Simulated,
            plans: PlanSubmissions::Simulated,
            approve_share: 10_000,
            allocation_day: None,
            out_dir: out_dir.to_path_buf(),
            bank: None,
            extra: Vec::new(),
            include_dues: false,
            certify: false,
            timing: false,
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
        Item::HeatingSubsidy => "HS",
        Item::ResumedArrears => "RA",
    }
}

/// The chart account a benefit item is paid from. The heating subsidy is booked with the basic
/// pension expenditure (基本养老金支出): unverified, Shanxi's final-account tables were not at
/// hand; a separate account would be a chart change.
fn benefit_kind(i: Item) -> &'static str {
    match i {
        Item::BasicPension
        | Item::AdjustmentArrears
        | Item::AccountRefund
        | Item::HeatingSubsidy
        | Item::ResumedArrears => "benefit_basic_pension",
        Item::FuneralGrant | Item::SurvivorGrant => "benefit_funeral_survivor",
    }
}

fn rc(v: i64) -> Result<RegionCode> {
    u32::try_from(v)
        .ok()
        .and_then(|v| RegionCode::new(v).ok())
        .ok_or_else(|| AppError::Invalid(tongchou_core::tr!("app-region-bad", region = v)))
}

fn submit(ledger: &mut Ledger<'_>, reqs: &[Request]) -> Result<()> {
    let res = ledger.submit(reqs)?;
    for (r, x) in reqs.iter().zip(res) {
        if let Err(e) = x {
            return Err(AppError::Invalid(tongchou_core::tr!(
                "app-ledger-refused",
                key = r.key,
                reason = e
            )));
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

pub(crate) fn available(ledger: &mut Ledger<'_>, chart: &Chart, region: RegionCode) -> Result<Fen> {
    let Some(id) = chart.account(region, "expenditure_account") else {
        return Ok(Fen::ZERO);
    };
    Ok(match ledger.account(id)? {
        Some(a) => {
            let b = a.balances;
            b.debits_posted
                .try_sub(b.credits_posted)?
                .try_sub(b.credits_pending)?
        }
        None => Fen::ZERO,
    })
}

/// What a step did: its details (recorded with the step) and the files it staged, to be given
/// their final names once the step's transaction has committed.
struct StepOutput {
    details: serde_json::Value,
    staged: Vec<PathBuf>,
}

impl From<serde_json::Value> for StepOutput {
    fn from(details: serde_json::Value) -> StepOutput {
        StepOutput {
            details,
            staged: Vec::new(),
        }
    }
}

/// One step's work, inside the step's transaction.
fn run_step(
    db: &mut Db,
    policy: &Policy,
    step: Step,
    month: Period,
    cal: &Calendar,
    actors: &Actors,
    opts: &MonthOptions,
) -> Result<StepOutput> {
    Ok(match step {
        Step::Payroll => {
            let certification = if opts.certify {
                crate::certification::sweep(db, policy, month, &crate::clock::now().to_string())?
            } else {
                None
            };
            let mut extra = opts.extra.clone();
            if opts.include_dues {
                // first statement of the step: every due committed so far is seen,
                // none is written for this month while it runs
                crate::benefits::lock_dues(db, false)?;
                extra.extend(crate::benefits::settlements_due(db, month)?);
            }
            // recoveries are deducted where dues are paid: in the months the edges run
            let mut details = payroll::step_payroll(db, policy, month, &extra, opts.include_dues)?;
            if let Some(s) = certification {
                details["certification"] = serde_json::to_value(s)
                    .map_err(|e| AppError::Invalid(tongchou_core::tr!("app-json", error = e)))?;
            }
            details.into()
        }
        Step::Plans => plans::step_plans(db, month, cal, actors)?.into(),
        Step::Approve => {
            approve::step_approve(db, month, cal, actors, opts.decision, opts.approve_share)?.into()
        }
        Step::Allocate => allocate::step_allocate(db, month, cal, opts.allocation_day)?.into(),
        Step::Passdown => allocate::step_passdown(db, month, cal, opts.allocation_day)?.into(),
        Step::Pay => pay::step_pay(db, month, cal, &opts.out_dir)?,
        Step::Returns => match &opts.bank {
            Some(bank) => returns::step_returns(db, month, cal, &opts.out_dir, bank.0.as_ref())?,
            None => serde_json::Value::Null.into(),
        },
    })
}

/// What the month waits for when the finance department has not decided yet.
fn waiting_for_decision(db: &mut Db, month: Period) -> Result<serde_json::Value> {
    Ok(serde_json::json!({
        "for": tongchou_core::tr!("app-dis-waiting-decision"),
        "application": application(db, month)?,
        "then": tongchou_core::tr!("app-dis-then-decide", month = month),
    }))
}

/// What the month waits for when county or city plans are missing.
fn waiting_for_plans(month: Period, regions: &[(RegionCode, String)]) -> serde_json::Value {
    serde_json::json!({
        "for": crate::plan_chain::waiting_text(regions),
        "regions": regions.iter().map(|(r, s)| serde_json::json!({"region": r.get(), "name": crate::plan_chain::name(*r), "state": s})).collect::<Vec<_>>(),
        "then": tongchou_core::tr!("app-dis-then-plans", month = month),
    })
}

/// Test builds only (`crash-injection`), right after a committed step: die, as a kill would
/// (`TONGCHOU_CRASH_AFTER_STEP=step`), or hold the run there until it is killed
/// (`TONGCHOU_PAUSE_AFTER_STEP=step`: a second runner meets a month in progress).
#[cfg(feature = "crash-injection")]
fn crash_hooks(step: Step) {
    let is = |var: &str| std::env::var(var).ok().as_deref() == Some(step.as_str());
    if is("TONGCHOU_CRASH_AFTER_STEP") {
        std::process::abort();
    }
    if is("TONGCHOU_PAUSE_AFTER_STEP") {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
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
    // a run killed after a step committed and before its files were renamed left them staged
    files::recover(db, month, &opts.out_dir)?;
    let mut done_any = false;
    let mut out = serde_json::Map::new();
    for step in Step::ALL {
        if jobs::is_done(db, JOB, month, step.as_str())? {
            continue;
        }
        if step == Step::Returns && opts.bank.is_none() {
            continue;
        }
        done_any = true;
        if step == Step::Plans {
            if opts.plans == PlanSubmissions::Simulated {
                crate::plan_chain::simulate(db, month, now_ms())?;
            }
            let regions = crate::plan_chain::waiting(db, month)?;
            if !regions.is_empty() {
                // nothing to apply for until the counties and cities have submitted: resumable
                out.insert("waiting".to_string(), waiting_for_plans(month, &regions));
                break;
            }
        }
        if step == Step::Approve
            && opts.decision == PlanDecision::Recorded
            && approve::recorded_decision(db, month)?.is_none()
        {
            // nothing to do until the finance department decides: stop here, resumable
            out.insert("waiting".to_string(), waiting_for_decision(db, month)?);
            break;
        }
        let started = std::time::Instant::now();
        let done = db.transaction(|db| {
            let o = run_step(db, policy, step, month, &cal, actors, opts)?;
            jobs::mark_done(
                db,
                JOB,
                month,
                step.as_str(),
                crate::clock::now(),
                &o.details,
            )?;
            Ok::<_, AppError>(o)
        })?;
        files::publish(&done.staged)?;
        if opts.timing {
            eprintln!(
                "{JOB} {month} {}: {:.3} s",
                step.as_str(),
                started.elapsed().as_secs_f64()
            );
        }
        out.insert(step.as_str().to_string(), done.details);
        #[cfg(feature = "crash-injection")]
        crash_hooks(step);
    }
    if !done_any {
        return Err(AppError::State(tongchou_core::tr!(
            "app-dis-complete",
            month = month
        )));
    }
    // the journal head to publish (auditors keep it; `tongchou ledger check --anchor` proves
    // later that the journal was neither truncated nor rebuilt)
    let head = Ledger::new(db).head()?;
    out.insert(
        "ledger_anchor".to_string(),
        serde_json::Value::String(format!("{}:{}", head.seq, head.hash.to_hex())),
    );
    Ok(serde_json::Value::Object(out))
}

/// A digest of the month's business state (no timestamps or hashes), to compare a resumed run
/// with an uninterrupted one.
pub fn state_digest(db: &mut Db) -> Result<String> {
    Ok(tongchou_store::payroll::disbursement_digest(db)?)
}

/// A month's run as the provincial bureau follows it: whether the collection is closed, each
/// disbursement step done or not (with what it recorded), and what the run waits for.
#[derive(Clone, Debug)]
pub struct MonthState {
    pub month: Period,
    pub collection_closed: bool,
    /// Each step in order, with the details it recorded when done.
    pub steps: Vec<(Step, Option<serde_json::Value>)>,
    /// What the next step waits for, if it waits for someone.
    pub waiting: Option<String>,
}

impl Step {
    /// The step as the bureau names it, in the current language (`step-<step>` of the
    /// catalogue).
    pub fn name(self) -> &'static str {
        tongchou_core::i18n::word(match self {
            Step::Payroll => "step-payroll",
            Step::Plans => "step-plans",
            Step::Approve => "step-approve",
            Step::Allocate => "step-allocate",
            Step::Passdown => "step-passdown",
            Step::Pay => "step-pay",
            Step::Returns => "step-returns",
        })
    }
}

/// The state of month `month`'s run (reads only).
pub fn month_state(db: &mut Db, month: Period) -> Result<MonthState> {
    let collection_closed =
        jobs::is_done(db, crate::collect::JOB, month, crate::collect::STEP_CLOSE)?;
    let mut steps = Vec::with_capacity(Step::ALL.len());
    for step in Step::ALL {
        steps.push((step, jobs::details(db, JOB, month, step.as_str())?));
    }
    let done = |s: Step| steps.iter().any(|(x, d)| *x == s && d.is_some());
    let waiting = if !collection_closed && !done(Step::Payroll) {
        Some(tongchou_core::tr!("app-dis-wait-collection"))
    } else if done(Step::Payroll) && !done(Step::Plans) {
        let regions = crate::plan_chain::waiting(db, month)?;
        (!regions.is_empty()).then(|| crate::plan_chain::waiting_text(&regions))
    } else if done(Step::Plans)
        && !done(Step::Approve)
        && approve::recorded_decision(db, month)?.is_none()
    {
        Some(tongchou_core::tr!("app-dis-wait-finance"))
    } else {
        None
    };
    Ok(MonthState {
        month,
        collection_closed,
        steps,
        waiting,
    })
}

/// The latest month whose payroll step is done, if any.
pub fn latest_month(db: &mut Db) -> Result<Option<Period>> {
    Ok(
        tongchou_store::jobs::periods_done(db, JOB, Step::Payroll.as_str())?
            .into_iter()
            .next_back(),
    )
}

#[cfg(test)]
mod tests {
    use super::Step;
    use tongchou_core::i18n::{Lang, scope};

    #[test]
    fn a_step_is_named_in_the_readers_language() {
        assert_eq!(scope(Lang::ZhCn, || Step::Approve.name()), "财政审批");
        assert_eq!(scope(Lang::En, || Step::Returns.name()), "bank returns");
    }
}

//! The month's run started by the provincial bureau officer from an edge (the web page `/month`):
//! the officer's role checked (a refusal audited), the month's run lock taken in their name, the
//! collection close from the receipts imported so far (once), then the disbursement steps as far
//! as they can go: the agencies' plans submitted through the chain and the finance department's
//! decision recorded by the approver themself, so the run stops, resumably, where it waits for
//! them. Every run is audited (`month.run`) with what it did or why it failed.

use crate::collect::{self, ReceiptSource};
use crate::disburse::{self, Actors, MonthOptions, PlanDecision, PlanSubmissions};
use crate::error::{AppError, Result};
use serde_json::{Value, json};
use std::path::Path;
use tongchou_core::access::{Permission, Principal, Role};
use tongchou_core::{Divisions, Period, Policy};
use tongchou_store::Db;
use tongchou_store::audit::{self, Actor, Entry};

/// The audit log's action of a run.
pub const ACTION: &str = "month.run";

/// Whether `who` may run the province's month: the provincial bureau officer, who submits its
/// fund-use application.
pub fn may_run(who: &Principal) -> bool {
    who.role == Role::ProvinceBureauOfficer
        && who.role.has(Permission::PlanSubmit)
        && who.region == Divisions::shanxi().province().code
}

/// What one run did: the collection close's report if it closed now, and the disbursement
/// steps done now (each with its details) or what the run waits for (`waiting`).
#[derive(Clone, Debug)]
pub struct Run {
    pub collection: Option<collect::MonthReport>,
    pub disbursement: Value,
}

impl Run {
    /// What the run waits for, if it stopped for someone.
    pub fn waiting(&self) -> Option<String> {
        self.disbursement["waiting"]["for"]
            .as_str()
            .map(str::to_string)
    }

    /// The disbursement steps this run did, in order.
    pub fn steps_done(&self) -> Vec<disburse::Step> {
        disburse::Step::ALL
            .into_iter()
            .filter(|s| self.disbursement.get(s.as_str()).is_some())
            .collect()
    }
}

fn entry<'a>(actor: &'a Actor, month: &'a str, result: &'a str, details: Value) -> Entry<'a> {
    Entry {
        actor,
        action: ACTION,
        object_type: "month",
        object_id: month,
        region: Some(Divisions::shanxi().province().code.get()),
        result,
        details,
    }
}

/// The refusal of a run of `month` to `who`, who may not run months ([`may_run`]): audited
/// (outside any transaction, so that it stays), and the error to show.
pub fn refuse(db: &mut Db, who: &Principal, month: Period, now_ms: i64) -> Result<AppError> {
    let reason = || {
        let role = who.role.label(tongchou_core::i18n::current());
        tongchou_core::tr!("app-month-forbidden", role = role, region = who.region)
    };
    // the audit log in Chinese, the reader's message in theirs
    let zh = tongchou_core::i18n::scope(tongchou_core::i18n::Lang::ZhCn, reason);
    let details = json!({ "reason": zh });
    let e = AppError::Forbidden(reason());
    let m = month.to_string();
    audit::refusal(db, &entry(&Actor::of(who), &m, "denied", details), now_ms)?;
    Ok(e)
}

/// Run `month` as far as it goes now, in the name of `who`; payment files under `out_dir`.
/// Refused (audited) for anyone but the provincial bureau officer; a month already complete,
/// or being run by someone else, is [`AppError::State`] (audited as failed).
pub fn run(
    db: &mut Db,
    policy: &Policy,
    who: &Principal,
    month: Period,
    out_dir: &Path,
    now_ms: i64,
) -> Result<Run> {
    if !may_run(who) {
        return Err(refuse(db, who, month, now_ms)?);
    }
    let actor = Actor::of(who);
    let m = month.to_string();
    match run_steps(db, policy, who, month, out_dir) {
        Ok(r) => {
            let details = json!({
                "collection_closed_now": r.collection.is_some(),
                "steps": r.steps_done().iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                "waiting": r.waiting(),
            });
            audit::append(db, &entry(&actor, &m, "ok", details), now_ms)?;
            Ok(r)
        }
        Err(e) => {
            let details = json!({"error": e.to_string()});
            audit::append(db, &entry(&actor, &m, "failed", details), now_ms)?;
            Err(e)
        }
    }
}

fn run_steps(
    db: &mut Db,
    policy: &Policy,
    who: &Principal,
    month: Period,
    out_dir: &Path,
) -> Result<Run> {
    let mut opts = MonthOptions::new(out_dir);
    opts.decision = PlanDecision::Recorded;
    opts.plans = PlanSubmissions::Submitted;
    let actors = Actors {
        officer: who.clone(),
        approver: None,
    };
    steps(
        db,
        policy,
        month,
        (&actors, &opts),
        ReceiptSource::Imported,
        &mut |_| Ok(()),
    )
}

/// The month's steps as every edge runs them (the page through [`run`], the command line with
/// its simulated counterparts): the month's run lock held in the officer's name for the whole
/// run (a second runner is refused, told who runs it and since when, before anything is
/// written); the collection close from `source`, once; then `between` (a simulated month's
/// other records, read before the payroll); then the disbursement steps as far as they go, with
/// the month's one-off dues and the eligibility certification's sweep always included.
pub fn steps(
    db: &mut Db,
    policy: &Policy,
    month: Period,
    (actors, opts): (&Actors, &MonthOptions),
    source: ReceiptSource<'_>,
    between: &mut dyn FnMut(&mut Db) -> Result<()>,
) -> Result<Run> {
    let _lock = crate::jobs::lock_run(
        db,
        crate::jobs::MONTH_RUN,
        month,
        &actors.officer.login,
        crate::clock::now(),
    )?;
    let collection = if crate::jobs::is_done(db, collect::JOB, month, collect::STEP_CLOSE)? {
        None
    } else {
        Some(collect::run_month(db, policy, month, source)?)
    };
    between(db)?;
    let mut opts = opts.clone();
    // one-off amounts due to this payroll (adjustment arrears, death settlements, corrections),
    // read inside the payroll step's transaction
    opts.include_dues = true;
    // the uncertified and those named by a death record are suspended before the pensions are read
    opts.certify = true;
    let disbursement = disburse::run_month(db, policy, month, actors, &opts)?;
    Ok(Run {
        collection,
        disbursement,
    })
}

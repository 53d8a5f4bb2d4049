//! Step 3 and the finance department's decision: the month's application, the approver's
//! recorded decision ([`decide_fund_plan`]), and the `approve` step that applies it (or a
//! simulated one), spreads it down exactly and reserves the money as pending transfers.

use super::{Actors, JOB, PlanDecision, now_ms, submit};
use crate::error::{AppError, Result};
use crate::jobs;
use crate::ledger_refs::Reference;
use std::collections::BTreeMap;
use tongchou_core::access::Principal;
use tongchou_core::period::Period;
use tongchou_core::{Divisions, Fen, RegionCode};
use tongchou_core::{i18n, tr};
use tongchou_engine::disbursement::{
    Approved, Calendar, Consolidated, CountyPlan, Decision, Item, approve,
};
use tongchou_ledger::Chart;
use tongchou_ledger::Request;
use tongchou_ledger::flows::{Doc, allocation, funding};
use tongchou_store::Db;
use tongchou_store::access::{ApprovalStatus, decide_approval};
use tongchou_store::ledger::Ledger;
use tongchou_store::plans as store;

fn status_of(d: &Decision) -> ApprovalStatus {
    match d {
        Decision::Full => ApprovalStatus::Approved,
        Decision::Partial { .. } => ApprovalStatus::PartlyApproved,
        Decision::Rejected { .. } => ApprovalStatus::Rejected,
    }
}

/// The month's application as it stands: approval id and status, planned and (once decided)
/// approved amounts of the province. `None` before the `plans` step.
pub fn application(db: &mut Db, month: Period) -> Result<Option<serde_json::Value>> {
    Ok(store::application(db, month)?.map(|a| {
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
pub(super) fn recorded_decision(db: &mut Db, month: Period) -> Result<Option<Decision>> {
    let Some(a) = store::application(db, month)? else {
        return Err(AppError::Invalid(tr!(
            "app-dec-no-application-yet",
            month = month
        )));
    };
    Ok(match a.status.as_str() {
        "approved" => Some(Decision::Full),
        "partly_approved" => {
            let amount = a.approved.ok_or_else(|| {
                AppError::Invalid(tr!("app-dec-partial-no-amount", month = month))
            })?;
            Some(Decision::Partial { approved: amount })
        }
        "rejected" => Some(Decision::Rejected { reason: a.note }),
        _ => None,
    })
}

/// The decision as it is recorded, with its note: a partial approval of the whole planned amount
/// is a full one; refused: an amount not above 0 or above the plan, a rejection without reason.
fn normalise(decision: &Decision, planned: Fen) -> Result<(Decision, String)> {
    Ok(match decision {
        Decision::Partial { approved } if *approved == planned => (Decision::Full, String::new()),
        Decision::Partial { approved } if !approved.is_positive() || *approved > planned => {
            return Err(AppError::Invalid(tr!(
                "app-dec-amount",
                approved = approved.grouped(),
                planned = planned.grouped()
            )));
        }
        Decision::Rejected { reason } if reason.trim().is_empty() => {
            return Err(AppError::Invalid(tr!("app-dec-reason")));
        }
        Decision::Rejected { reason } => (
            Decision::Rejected {
                reason: reason.trim().to_string(),
            },
            reason.trim().to_string(),
        ),
        other => (other.clone(), String::new()),
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
    decide_fund_plan_checked(db, approver, month, decision, false, now)
}

/// The money a decision lets out would exceed what is left of the province's approved
/// expenditure budget: refused unless the approver confirms it (`override_budget`), and then
/// said in the approval's note. Nothing to check without an approved budget or for a rejection.
fn over_budget(
    db: &mut Db,
    month: Period,
    approved: Option<Fen>,
    override_budget: bool,
) -> Result<Option<String>> {
    let Some(approved) = approved else {
        return Ok(None);
    };
    let province = Divisions::shanxi().province().code;
    let Some(h) = crate::execution::headroom(db, month, province)? else {
        return Ok(None);
    };
    if approved <= h.remaining {
        return Ok(None);
    }
    let text = || {
        tr!(
            "app-dis-over-budget",
            approved = approved.grouped(),
            year = month.year(),
            number = h.budget_number,
            budget = h.budget.grouped(),
            executed = h.executed.grouped(),
            committed = h.committed.grouped(),
            remaining = h.remaining.grouped()
        )
    };
    if !override_budget {
        return Err(AppError::State(tr!("app-dec-over-budget", text = text())));
    }
    // the approval's note, as the audit entries' reasons, is kept in Chinese
    Ok(Some(i18n::scope(i18n::Lang::ZhCn, || {
        tr!("app-dis-over-budget-confirmed", text = text())
    })))
}

/// [`decide_fund_plan`], with the finance approver's explicit confirmation that the money may
/// exceed what is left of the year's approved expenditure budget (see [`over_budget`]).
pub fn decide_fund_plan_checked(
    db: &mut Db,
    approver: &Principal,
    month: Period,
    decision: &Decision,
    override_budget: bool,
    now: i64,
) -> Result<serde_json::Value> {
    db.transaction(|db| {
        if !jobs::is_done(db, JOB, month, "plans")? {
            return Err(AppError::Invalid(tr!(
                "app-dec-no-application-yet",
                month = month
            )));
        }
        if jobs::is_done(db, JOB, month, "approve")? {
            return Err(AppError::State(tr!("app-dec-applied", month = month)));
        }
        let Some(app) = store::application(db, month)? else {
            return Err(AppError::Invalid(tr!(
                "app-dec-no-application",
                month = month
            )));
        };
        let (decision, mut note) = normalise(decision, app.planned)?;
        let lets_out = match decision {
            Decision::Full => Some(app.planned),
            Decision::Partial { approved } => Some(approved),
            Decision::Rejected { .. } => None,
        };
        if let Some(said) = over_budget(db, month, lets_out, override_budget)? {
            note = if note.is_empty() {
                said
            } else {
                format!("{note} {said}")
            };
        }
        let a = decide_approval(
            db,
            approver,
            app.approval_id,
            status_of(&decision),
            &note,
            now,
        )?;
        if let Decision::Partial { approved } = decision {
            store::set_application_approved(db, month, approved)?;
        }
        Ok(a.to_json())
    })
}

/// The consolidated plan of the month, as its items were written by the `plans` step.
fn load_consolidated(db: &mut Db, month: Period) -> Result<Consolidated> {
    let mut by: BTreeMap<RegionCode, BTreeMap<Item, Fen>> = BTreeMap::new();
    for (county, item, amount) in store::plan_items(db, month)? {
        by.entry(county).or_default().insert(item, amount);
    }
    let plans = by
        .into_iter()
        .map(|(county, items)| CountyPlan { county, items })
        .collect();
    Ok(Consolidated::build(Divisions::shanxi(), month, plans)?)
}

/// The decision the step applies: simulated (recorded now in the approver's name) or the one the
/// finance approver recorded.
fn decision_to_apply(
    db: &mut Db,
    month: Period,
    planned: Fen,
    approval_id: i64,
    actors: &Actors,
    opts_decision: PlanDecision,
    share: u32,
) -> Result<(Decision, ApprovalStatus)> {
    match opts_decision {
        PlanDecision::Simulated => {
            let decision = if share >= 10_000 {
                Decision::Full
            } else if share == 0 {
                Decision::Rejected {
                    reason: tongchou_core::tr!("app-dis-rejected"),
                }
            } else {
                Decision::Partial {
                    approved: Fen::new((planned.fen() as i128 * share as i128 / 10_000) as i64),
                }
            };
            let status = status_of(&decision);
            let approver = actors
                .approver
                .as_ref()
                .ok_or_else(|| AppError::Invalid(tr!("app-dec-sim-approver")))?;
            decide_approval(db, approver, approval_id, status, "", now_ms())
                .map_err(|e| AppError::Invalid(tr!("app-dec-deciding", reason = e)))?;
            Ok((decision, status))
        }
        PlanDecision::Recorded => {
            let Some(decision) = recorded_decision(db, month)? else {
                return Err(AppError::State(tr!(
                    "app-dec-awaits",
                    month = month,
                    id = approval_id
                )));
            };
            let status = status_of(&decision);
            Ok((decision, status))
        }
    }
}

/// The reservation of the approved money: the funding of the provincial expenditure account
/// (posted on approval) and the allocations to the cities (pending until the day they are made).
fn reservation(
    month: Period,
    cal: &Calendar,
    a: &Approved,
    province: RegionCode,
) -> Result<Vec<Request>> {
    let chart = Chart::standard();
    let m = month.yyyymm() as i64;
    let date = cal.approval_by;
    let reference = Reference::FundPlan { month }.to_string();
    let mut reqs = Vec::new();
    if !a.total.is_positive() {
        return Ok(reqs);
    }
    let key = format!("funding/{m}");
    let doc = Doc {
        key: &key,
        reference: &reference,
        date,
    };
    reqs.push(funding(chart, doc, province, a.total, false)?);
    for (city, v) in &a.cities {
        if v.is_positive() {
            let key = format!("alloc/{m}/{city}");
            let doc = Doc {
                key: &key,
                reference: &reference,
                date,
            };
            reqs.extend(allocation(chart, doc, province, *city, *v, true)?);
        }
    }
    Ok(reqs)
}

/// Step 3: the finance department's decision (simulated, or recorded by the approver) is applied;
/// approved amounts are reserved as pending transfers.
pub(super) fn step_approve(
    db: &mut Db,
    month: Period,
    cal: &Calendar,
    actors: &Actors,
    opts_decision: PlanDecision,
    share: u32,
) -> Result<serde_json::Value> {
    let c = load_consolidated(db, month)?;
    let approval_id = store::application_approval_id(db, month)?;
    let planned = c.total();
    let (decision, status) = decision_to_apply(
        db,
        month,
        planned,
        approval_id,
        actors,
        opts_decision,
        share,
    )?;
    let a = approve(&c, &decision)?;
    let st = status.as_str();
    for (county, v) in &a.counties {
        store::set_decided(db, month, *county, *v, st)?;
    }
    for (city, v) in &a.cities {
        store::set_decided(db, month, *city, *v, st)?;
    }
    let province = Divisions::shanxi().province().code;
    store::set_decided(db, month, province, a.total, st)?;
    let reqs = reservation(month, cal, &a, province)?;
    submit(&mut Ledger::new(db), &reqs)?;
    Ok(
        serde_json::json!({"decision": status.as_str(), "planned_fen": planned.fen(), "approved_fen": a.total.fen()}),
    )
}

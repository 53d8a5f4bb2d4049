//! Recoveries (追回): what ends a recovery case (pension paid after death, duplicate receipt,
//! an overpayment found by a recomputation; opened by `benefits`).
//!
//! - [`repay`]: money paid back by the person or their heirs reaches the county's income account
//!   (收入户) and is booked through the ledger as other income (其他收入, category `other`) of
//!   the county, remitted to the provincial fiscal special account as contributions are; never
//!   more than what remains; the case is `recovered` when nothing remains.
//! - [`propose_write_off`] / [`decide_write_off`]: what cannot be recovered is written off
//!   (核销) with a maker–checker approval (`approvals` kind `recovery_write_off`: the county
//!   agency submits with a reason, a provincial approver of benefits decides, never the
//!   submitter); the case is then `written_off`. No ledger posting: the money left the fund when
//!   it was paid, as expenditure; the write-off only ends the claim on it.
//! - [`report`]: per county, the cases open with what remains, recovered and written off.
//!
//! - [`deduct`], run by the payroll step of a month: an active pensioner's basic pension line is
//!   reduced by what remains of their open cases (oldest first), at most
//!   `benefit.recovery_deduction_cap` of the month's pension; the county's book shows the full
//!   pension as expenditure and the deduction as other income (one transfer per county,
//!   category `other`, no money moves); a case is `recovered` when nothing remains.
//!
//! Every change is audited (`recovery.repay`, `recovery.write_off`; the approval's own entries).

use crate::collect::county_income_requests;
use crate::error::{AppError, Result};
use crate::ledger_refs::Reference;
use serde::Serialize;
use std::collections::BTreeMap;
use tongchou_core::Period;
use tongchou_core::Policy;
use tongchou_core::access::{ApprovalKind, Permission, Principal};
use tongchou_core::{Date, Divisions, Fen, RegionCode};
use tongchou_engine::disbursement::Item;
use tongchou_ledger::{Chart, Outcome, Request};
use tongchou_store::Db;
use tongchou_store::access::{self, ApprovalStatus, Target};
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::ledger::Ledger;
use tongchou_store::payroll::NewLine;
use tongchou_store::recoveries::{self as store, Case, Movement};

fn county_of(c: &Case) -> Result<RegionCode> {
    RegionCode::new(c.county).map_err(|e| {
        AppError::Invalid(tongchou_core::tr!(
            "app-county-code",
            county = c.county,
            error = e
        ))
    })
}

fn open_case(db: &mut Db, person: i64, id: i64) -> Result<Case> {
    let c = store::case(db, person, id)?.ok_or_else(|| {
        AppError::NotFound(tongchou_core::tr!("app-rec-none", id = id, person = person))
    })?;
    if c.status != "open" || !c.remaining().is_positive() {
        return Err(AppError::State(tongchou_core::tr!(
            "app-rec-closed",
            id = id,
            person = person,
            status = c.status
        )));
    }
    Ok(c)
}

fn audit_ok(
    db: &mut Db,
    who: &Principal,
    action: &str,
    c: &Case,
    details: serde_json::Value,
    now_ms: i64,
) -> Result<()> {
    audit::append(
        db,
        &Entry {
            actor: &Actor::of(who),
            action,
            object_type: "recovery_case",
            object_id: &format!("{}:{}", c.person, c.id),
            region: Some(c.county),
            result: "ok",
            details,
        },
        now_ms,
    )?;
    Ok(())
}

/// A repayment of `amount` on `on` with the bank's voucher `reference`, recorded by `who` (who
/// needs `person_write` in the case's county). Returns the case as it is after it.
#[allow(clippy::too_many_arguments)]
pub fn repay(
    db: &mut Db,
    who: &Principal,
    person: i64,
    case_id: i64,
    amount: Fen,
    on: Date,
    reference: &str,
    now_ms: i64,
) -> Result<Case> {
    let reference = reference.trim();
    if reference.is_empty()
        || reference.chars().count() > 64
        || reference.chars().any(char::is_control)
    {
        return Err(AppError::Invalid(tongchou_core::tr!("app-rec-reference")));
    }
    if !amount.is_positive() {
        return Err(AppError::Invalid(tongchou_core::tr!("app-amount-positive")));
    }
    let c = open_case(db, person, case_id)?;
    let county = county_of(&c)?;
    let id = format!("{person}:{case_id}");
    let target = Target {
        action: "recovery.repay",
        object_type: "recovery_case",
        object_id: &id,
        region: county,
    };
    access::authorize(db, who, Permission::PersonWrite, &target, now_ms)?;
    let now = crate::benefits::iso(now_ms);
    db.transaction(|db| {
        // read again inside the transaction: a concurrent movement fails on the sequence key
        let c = open_case(db, person, case_id)?;
        if amount > c.remaining() {
            return Err(AppError::Invalid(tongchou_core::tr!(
                "app-rec-too-much",
                amount = amount,
                remaining = c.remaining()
            )));
        }
        let seq = c.movements + 1;
        let key = format!("recovery/{person}/{case_id}/{seq}");
        let reqs = county_income_requests(
            Chart::standard(),
            &key,
            reference,
            on,
            county,
            "other_income",
            "other",
            amount,
            false,
        )?;
        for (r, x) in reqs.iter().zip(Ledger::new(db).submit(&reqs)?) {
            match x {
                Ok(Outcome::Created { .. }) => {}
                Ok(_) => return Err(AppError::State(tongchou_core::tr!("app-ledger-posted", key = r.key))),
                Err(e) => return Err(AppError::Invalid(tongchou_core::tr!("app-ledger-refused", key = r.key, reason = e))),
            }
        }
        let on_s = on.to_string();
        store::add_movement(
            db,
            &Movement {
                person,
                case_id,
                seq,
                kind: "repayment",
                amount,
                on_date: &on_s,
                reference,
                ledger_key: Some(&key),
                approval_id: None,
                recorded_by: &who.login,
                recorded_at: &now,
            },
        )?;
        if amount == c.remaining() {
            store::close_case(db, person, case_id, "recovered")?;
        }
        let details = serde_json::json!({"amount": amount.to_string(), "on": on_s, "reference": reference, "ledger_key": key});
        audit_ok(db, who, "recovery.repay", &c, details, now_ms)?;
        store::case(db, person, case_id)?
            .ok_or_else(|| AppError::NotFound(tongchou_core::tr!("app-rec-case", id = case_id)))
    })
}

/// Submit the write-off of what remains of a case, with a reason (maker). Returns the approval id.
pub fn propose_write_off(
    db: &mut Db,
    who: &Principal,
    person: i64,
    case_id: i64,
    reason: &str,
    now_ms: i64,
) -> Result<i64> {
    crate::benefits::check_text("reason", reason, 200)?;
    let c = open_case(db, person, case_id)?;
    let county = county_of(&c)?;
    let object = format!("recovery:{person}:{case_id}");
    let a = access::submit_approval(
        db,
        who,
        ApprovalKind::RecoveryWriteOff,
        &object,
        county,
        now_ms,
    )?;
    audit_ok(
        db,
        who,
        "recovery.write_off_proposed",
        &c,
        serde_json::json!({"approval": a.id, "reason": reason.trim(), "remaining": c.remaining().to_string()}),
        now_ms,
    )?;
    Ok(a.id)
}

/// Decide a proposed write-off (checker: never the submitter). Approved, the rest of the case is
/// written off and the case closed. Returns the case as it is after the decision.
pub fn decide_write_off(
    db: &mut Db,
    who: &Principal,
    approval: i64,
    approve: bool,
    note: &str,
    now_ms: i64,
) -> Result<Case> {
    let a = access::get_approval(db, approval)?.ok_or_else(|| {
        AppError::NotFound(tongchou_core::tr!("app-approval-none", id = approval))
    })?;
    if a.kind != ApprovalKind::RecoveryWriteOff {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-rec-not-write-off",
            id = approval
        )));
    }
    let (person, case_id) = parse_object(&a.object_id)?;
    let decision = if approve {
        ApprovalStatus::Approved
    } else {
        ApprovalStatus::Rejected
    };
    let a = access::decide_approval(db, who, approval, decision, note, now_ms)?;
    if a.status != ApprovalStatus::Approved {
        return store::case(db, person, case_id)?
            .ok_or_else(|| AppError::NotFound(tongchou_core::tr!("app-rec-case", id = case_id)));
    }
    let now = crate::benefits::iso(now_ms);
    db.transaction(|db| {
        let c = open_case(db, person, case_id)?;
        let on = now.get(..10).unwrap_or_default().to_string();
        let rest = c.remaining();
        store::add_movement(
            db,
            &Movement {
                person,
                case_id,
                seq: c.movements + 1,
                kind: "write_off",
                amount: rest,
                on_date: &on,
                reference: &format!("approval {approval}"),
                ledger_key: None,
                approval_id: Some(approval),
                recorded_by: &who.login,
                recorded_at: &now,
            },
        )?;
        store::close_case(db, person, case_id, "written_off")?;
        let details =
            serde_json::json!({"approval": approval, "amount": rest.to_string(), "note": note});
        audit_ok(db, who, "recovery.write_off", &c, details, now_ms)?;
        store::case(db, person, case_id)?
            .ok_or_else(|| AppError::NotFound(tongchou_core::tr!("app-rec-case", id = case_id)))
    })
}

fn parse_object(s: &str) -> Result<(i64, i64)> {
    let mut it = s.strip_prefix("recovery:").unwrap_or_default().split(':');
    match (
        it.next().map(str::parse),
        it.next().map(str::parse),
        it.next(),
    ) {
        (Some(Ok(p)), Some(Ok(c)), None) => Ok((p, c)),
        _ => Err(AppError::Invalid(tongchou_core::tr!(
            "app-rec-object",
            object = format!("{s:?}")
        ))),
    }
}

/// Per county: cases open and what remains of them, recovered, written off.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CountyRecoveries {
    pub county: u32,
    pub name: String,
    pub open: u64,
    pub open_remaining: Fen,
    pub recovered: u64,
    pub repaid: Fen,
    pub written_off_cases: u64,
    pub written_off: Fen,
}

/// The report for the counties within `region`, and their total last.
pub fn report(db: &mut Db, region: RegionCode) -> Result<Vec<CountyRecoveries>> {
    let d = Divisions::shanxi();
    let mut by: BTreeMap<u32, CountyRecoveries> = BTreeMap::new();
    for c in store::cases(db, None)? {
        let Ok(code) = RegionCode::new(c.county) else {
            continue;
        };
        if !d.within(code, region) {
            continue;
        }
        let e = by.entry(c.county).or_default();
        e.repaid = e.repaid.try_add(c.repaid)?;
        e.written_off = e.written_off.try_add(c.written_off)?;
        match c.status.as_str() {
            "open" => {
                e.open += 1;
                e.open_remaining = e.open_remaining.try_add(c.remaining())?;
            }
            "recovered" => e.recovered += 1,
            _ => e.written_off_cases += 1,
        }
    }
    let mut total = CountyRecoveries {
        county: region.get(),
        name: d.get(region).map(|r| r.name.clone()).unwrap_or_default(),
        ..Default::default()
    };
    let mut out = Vec::new();
    for (county, mut e) in by {
        e.county = county;
        e.name = RegionCode::new(county)
            .ok()
            .and_then(|c| d.get(c))
            .map(|r| r.name.clone())
            .unwrap_or_default();
        total.open += e.open;
        total.open_remaining = total.open_remaining.try_add(e.open_remaining)?;
        total.recovered += e.recovered;
        total.repaid = total.repaid.try_add(e.repaid)?;
        total.written_off_cases += e.written_off_cases;
        total.written_off = total.written_off.try_add(e.written_off)?;
        out.push(e);
    }
    out.push(total);
    Ok(out)
}

/// What the payroll's deduction did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Deducted {
    pub pensioners: u64,
    pub cases_recovered: u64,
    pub amount: Fen,
}

/// Deduct open recovery cases from the basic pension lines of `month` (see the module
/// documentation), inside the payroll step's transaction, before the lines are written. Lines
/// left at zero are dropped.
pub(crate) fn deduct(
    db: &mut Db,
    policy: &Policy,
    month: Period,
    lines: &mut Vec<NewLine>,
    now: &str,
) -> Result<Deducted> {
    let (cap, _) = policy.ratio("benefit.recovery_deduction_cap", month.first_day())?;
    let mut by_person: BTreeMap<i64, Vec<Case>> = BTreeMap::new();
    for c in store::open_of_active_pensioners(db)? {
        by_person.entry(c.person).or_default().push(c);
    }
    let mut out = Deducted::default();
    let mut by_county: BTreeMap<u32, Fen> = BTreeMap::new();
    let on = month.first_day().to_string();
    let reference = Reference::Recovery { month }.to_string();
    for l in lines.iter_mut() {
        if l.item != Item::BasicPension || l.attempt != 0 || l.reissue_of.is_some() {
            continue;
        }
        let Some(cases) = by_person.get_mut(&l.person) else {
            continue;
        };
        let mut room = cap.try_of(l.amount)?.min(l.amount);
        let mut took = Fen::ZERO;
        for c in cases.iter_mut() {
            let d = c.remaining().min(room);
            if !d.is_positive() {
                continue;
            }
            store::add_movement(
                db,
                &Movement {
                    person: c.person,
                    case_id: c.id,
                    seq: c.movements + 1,
                    kind: "deduction",
                    amount: d,
                    on_date: &on,
                    reference: &reference,
                    ledger_key: Some(&format!("recovery-deduction/{month}/{}", l.county)),
                    approval_id: None,
                    recorded_by: "payroll",
                    recorded_at: now,
                },
            )?;
            c.movements += 1;
            c.repaid = c.repaid.try_add(d)?;
            if !c.remaining().is_positive() {
                store::close_case(db, c.person, c.id, "recovered")?;
                out.cases_recovered += 1;
            }
            room = room.try_sub(d)?;
            took = took.try_add(d)?;
        }
        if took.is_positive() {
            l.amount = l.amount.try_sub(took)?;
            out.pensioners += 1;
            out.amount = out.amount.try_add(took)?;
            let e = by_county.entry(l.county).or_insert(Fen::ZERO);
            *e = e.try_add(took)?;
        }
    }
    lines.retain(|l| l.amount.is_positive());
    post_deductions(db, month, &by_county, &reference)?;
    Ok(out)
}

/// One transfer per county: the full pension stays expenditure, the deduction is other income.
fn post_deductions(
    db: &mut Db,
    month: Period,
    by_county: &BTreeMap<u32, Fen>,
    reference: &str,
) -> Result<()> {
    let chart = Chart::standard();
    let mut reqs = Vec::new();
    for (county, amount) in by_county {
        let region = RegionCode::new(*county).map_err(|e| {
            AppError::Invalid(tongchou_core::tr!(
                "app-county-code",
                county = county,
                error = e
            ))
        })?;
        let acct = |kind: &str| {
            chart.account(region, kind).ok_or_else(|| {
                AppError::Invalid(tongchou_core::tr!(
                    "app-no-account",
                    region = region,
                    kind = kind
                ))
            })
        };
        reqs.push(Request::post(
            &format!("recovery-deduction/{month}/{county}"),
            acct("benefit_basic_pension")?,
            acct("other_income")?,
            *amount,
            "other",
            reference,
            month.first_day(),
        ));
    }
    if reqs.is_empty() {
        return Ok(());
    }
    for (r, x) in reqs.iter().zip(Ledger::new(db).submit(&reqs)?) {
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

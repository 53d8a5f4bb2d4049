//! The provincial pension reserve fund (养老保险储备基金, 晋政发〔2019〕4号 二(五), 国发〔2017〕49号,
//! policy-reference §11): its register and its ledger accounts in the provincial book (category
//! `reserve_fund`), every action audited.
//!
//! - [`register`]: state-owned equity transferred to the fund (enterprise, credit code, the share
//!   of its equity, book value, transfer date; the lock-up end = transfer date +
//!   `reserve.lockup_months` in force then): Dr 储备基金—划转国有股权 / Cr 储备基金.
//! - [`collect`]: a dividend or other return the finance department collects into the fund:
//!   Dr 储备基金专户存款 / Cr 储备基金.
//! - [`propose_use`] / [`decide_use`]: money leaving the fund, only to cover a year's gap as
//!   `tongchou_app::gap` computed it (`gap_years`): recorded by a finance officer (maker), approved
//!   by a finance approver who is not the maker (checker, `approvals` kind `reserve_use`), then
//!   booked: [Dr 储备基金 / Cr 储备基金专户存款, Dr 财政专户存款 / Cr 储备基金弥补缺口收入]. A use may
//!   first sell a holding, never before its lock-up end. The uses of a year never exceed its gap.
//!
//! The reserve's money is left out of the gap and of months payable until used (it is not the
//! pension fund's own income: `tongchou_store::governance::RESERVE_CATEGORY`).

use crate::central::guard;
use crate::reports::sheet::{Cell, Col, Extra, Sheet};
use crate::{AppError, Result};
use serde_json::{Value as Json, json};
use tongchou_core::access::{ApprovalKind, Permission, Principal, Role};
use tongchou_core::i18n::word;
use tongchou_core::rules::governance::ReserveTerms;
use tongchou_core::{CreditCode, Date, Divisions, Fen, Policy, Ratio, RegionCode, tr};
use tongchou_ledger::flows::{self, Doc};
use tongchou_ledger::{Chart, Request};
use tongchou_store::access::{self, ApprovalStatus};
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::ledger::Ledger;
use tongchou_store::reserve::{self as store, Holding, Return, Table, Use};
use tongchou_store::{Db, governance};

/// Who records the register (the maker of a use).
pub const MAKERS: [Role; 1] = [Role::FinanceOfficer];

fn province() -> RegionCode {
    Divisions::shanxi().province().code
}

fn text(field: &str, v: &str, max: usize) -> Result<String> {
    let t = v.trim();
    if t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(AppError::Invalid(tr!(
            "app-res-text",
            field = field,
            max = max
        )));
    }
    Ok(t.to_string())
}

const KINDS: [&str; 6] = [
    "reserve_equity",
    "reserve_deposit",
    "reserve_fund",
    "reserve_income",
    "fiscal_special_account",
    "fund_balance",
];

/// Submit the flow's transfers (opening the reserve's accounts on a database older than them).
fn post(db: &mut Db, reqs: &[Request]) -> Result<()> {
    let chart = Chart::standard();
    let ids: Vec<_> = KINDS
        .iter()
        .filter_map(|k| chart.account(province(), k))
        .collect();
    let mut ledger = Ledger::new(db);
    ledger.open_accounts(&ids)?;
    for (r, x) in reqs.iter().zip(ledger.submit(reqs)?) {
        if let Err(e) = x {
            return Err(AppError::Invalid(tr!(
                "app-cen-ledger-refused",
                key = r.key,
                error = e
            )));
        }
    }
    Ok(())
}

fn audit_ok(
    db: &mut Db,
    who: &Principal,
    action: &str,
    object: &str,
    details: Json,
    now_ms: i64,
) -> Result<()> {
    audit::append(
        db,
        &Entry {
            actor: &Actor::of(who),
            action,
            object_type: "reserve_fund",
            object_id: object,
            region: Some(province().get()),
            result: "ok",
            details,
        },
        now_ms,
    )?;
    Ok(())
}

/// `e` for a use refused by the rules (the gap, the lock-up, the deposits), audited as `failed`.
fn refused(
    db: &mut Db,
    who: &Principal,
    action: &str,
    object: &str,
    e: AppError,
    now_ms: i64,
) -> AppError {
    let entry = Entry {
        actor: &Actor::of(who),
        action,
        object_type: "reserve_fund",
        object_id: object,
        region: Some(province().get()),
        result: "failed",
        details: json!({"reason": e.to_string()}),
    };
    match audit::refusal(db, &entry, now_ms) {
        Ok(()) => e,
        Err(s) => AppError::Store(s),
    }
}

/// Equity transferred to the fund, as the finance department enters it.
#[derive(Clone, Debug)]
pub struct HoldingInput {
    pub enterprise: String,
    pub credit_code: String,
    /// The share of the enterprise's equity transferred ("0.1" = 10 %).
    pub share: String,
    pub book_value: Fen,
    pub transfer_date: Date,
    /// The transfer's document (the provincial plan, the SASAC transfer notice…).
    pub source_doc: String,
}

fn holding_of(who: &Principal, h: &HoldingInput, now_ms: i64) -> Result<Holding> {
    let code = CreditCode::parse(&h.credit_code)
        .map_err(|e| AppError::Invalid(tr!("app-res-credit-code", error = e)))?;
    let share: Ratio = h
        .share
        .trim()
        .parse()
        .map_err(|_| AppError::Invalid(tr!("app-res-share-number", share = h.share)))?;
    if share.0 <= 0 || share > Ratio::ONE {
        return Err(AppError::Invalid(tr!("app-res-share-range", share = share)));
    }
    if !h.book_value.is_positive() {
        return Err(AppError::Invalid(tr!("app-res-book-value")));
    }
    let terms = ReserveTerms::at(&Policy::builtin()?, h.transfer_date)?;
    let code = code.to_string();
    Ok(Holding {
        id: 0,
        enterprise: text("--enterprise", &h.enterprise, 100)?,
        transfer_key: format!("reserve/holding/{code}/{}", h.transfer_date),
        credit_code: code,
        share: share.to_string(),
        book_value: h.book_value,
        transfer_date: h.transfer_date,
        lockup_end: terms.lockup_end(h.transfer_date)?,
        source_doc: text("--source", &h.source_doc, 200)?,
        status: "held".into(),
        sold_on: None,
        proceeds: None,
        recorded_by: who.login.clone(),
        recorded_at: crate::benefits::iso(now_ms),
    })
}

/// Register transferred equity and book it at its book value, once (the same enterprise and
/// transfer date again with the same figures changes nothing; other figures are refused).
/// Returns the holding and whether it was registered now.
pub fn register(
    db: &mut Db,
    who: &Principal,
    h: &HoldingInput,
    now_ms: i64,
) -> Result<(Holding, bool)> {
    guard(
        db,
        who,
        &MAKERS,
        "reserve.register",
        &|| word("app-res-what-register"),
        now_ms,
    )?;
    let mut new = holding_of(who, h, now_ms)?;
    db.transaction(|db| {
        if let Some(old) = store::holding_by_transfer(db, &new.credit_code, new.transfer_date)? {
            let same = (old.book_value, &old.share, &old.source_doc, &old.enterprise)
                == (new.book_value, &new.share, &new.source_doc, &new.enterprise);
            if same {
                return Ok((old, false));
            }
            return Err(AppError::State(tr!(
                "app-res-registered",
                enterprise = old.enterprise,
                date = old.transfer_date,
                id = old.id,
                value = old.book_value.grouped()
            )));
        }
        new.id = store::next_id(db, Table::Holdings)?;
        let doc = Doc {
            key: &new.transfer_key,
            reference: &format!("划转国有股权 {} {}", new.enterprise, new.source_doc),
            date: new.transfer_date,
        };
        post(db, &[flows::reserve_equity(Chart::standard(), doc, province(), new.book_value)?])?;
        store::insert_holding(db, &new)?;
        let details = json!({"holding": new.id, "enterprise": new.enterprise,
            "credit_code": new.credit_code, "share": new.share, "book_value_fen": new.book_value.fen(),
            "transfer_date": new.transfer_date.to_string(), "lockup_end": new.lockup_end.to_string(),
            "source_doc": new.source_doc});
        audit_ok(db, who, "reserve.register", &new.transfer_key, details, now_ms)?;
        Ok((new, true))
    })
}

/// A return collected into the fund.
#[derive(Clone, Debug)]
pub struct ReturnInput {
    pub holding_id: i64,
    /// dividend (分红) or other (其他收益)
    pub kind: String,
    pub amount: Fen,
    pub received_on: Date,
    /// The collection voucher (缴款书) number: one return per voucher.
    pub reference: String,
}

/// Record a dividend or other return collected by the finance department into the fund, once per
/// voucher. Returns the return and whether it was recorded now.
pub fn collect(
    db: &mut Db,
    who: &Principal,
    r: &ReturnInput,
    now_ms: i64,
) -> Result<(Return, bool)> {
    guard(
        db,
        who,
        &MAKERS,
        "reserve.return",
        &|| word("app-res-what-return"),
        now_ms,
    )?;
    if !["dividend", "other"].contains(&r.kind.as_str()) {
        return Err(AppError::Invalid(tongchou_core::tr!("app-res-kind")));
    }
    if !r.amount.is_positive() {
        return Err(AppError::Invalid(tr!("app-res-amount-positive")));
    }
    let reference = text("--reference", &r.reference, 64)?;
    db.transaction(|db| {
        let h = store::holding(db, r.holding_id)?.ok_or_else(|| {
            AppError::NotFound(tr!("app-res-no-holding", id = r.holding_id))
        })?;
        if r.received_on < h.transfer_date {
            return Err(AppError::Invalid(tr!(
                "app-res-return-early",
                on = r.received_on,
                date = h.transfer_date
            )));
        }
        if let Some(old) = store::return_by_reference(db, &reference)? {
            let same = (old.holding_id, &old.kind, old.amount, old.received_on)
                == (r.holding_id, &r.kind, r.amount, r.received_on);
            if same {
                return Ok((old, false));
            }
            return Err(AppError::State(tr!(
                "app-res-voucher-recorded",
                reference = reference,
                amount = old.amount.grouped(),
                on = old.received_on
            )));
        }
        let id = store::next_id(db, Table::Returns)?;
        let row = Return {
            id,
            holding_id: h.id,
            kind: r.kind.clone(),
            amount: r.amount,
            received_on: r.received_on,
            reference: reference.clone(),
            transfer_key: format!("reserve/return/{id}"),
            recorded_by: who.login.clone(),
            recorded_at: crate::benefits::iso(now_ms),
        };
        let doc = Doc {
            key: &row.transfer_key,
            reference: &format!("{} 收益 {}", h.enterprise, reference),
            date: r.received_on,
        };
        post(db, &[flows::reserve_return(Chart::standard(), doc, province(), r.amount)?])?;
        store::insert_return(db, &row)?;
        let details = json!({"return": id, "holding": h.id, "kind": row.kind,
            "amount_fen": row.amount.fen(), "on": row.received_on.to_string(), "reference": reference});
        audit_ok(db, who, "reserve.return", &row.transfer_key, details, now_ms)?;
        Ok((row, true))
    })
}

fn posted(db: &mut Db, kind: &str) -> Result<Fen> {
    let Some(id) = Chart::standard().account(province(), kind) else {
        return Ok(Fen::ZERO);
    };
    Ok(match Ledger::new(db).account(id)? {
        Some(a) => a
            .balances
            .debits_posted
            .try_sub(a.balances.credits_posted)?,
        None => Fen::ZERO,
    })
}

/// What may still be used for `year`: its gap less the uses approved (and pending, when
/// `pending_too`). Refused when the gap of the year has not been computed.
pub fn room(db: &mut Db, year: i32, pending_too: bool) -> Result<(Fen, Fen)> {
    let gap = governance::gap_year(db, year)?
        .ok_or_else(|| AppError::State(tongchou_core::tr!("app-res-no-gap", year = year)))?
        .gap;
    let used = store::used_in_year(db, year, pending_too)?;
    Ok((gap, gap.try_sub(used)?.max(Fen::ZERO)))
}

fn check_use(db: &mut Db, u: &Use, on: Date, pending_too: bool) -> Result<()> {
    let (gap, left) = room(db, u.year, pending_too)?;
    if u.amount > left {
        let used = gap.try_sub(left)?.grouped();
        let (amount, gap, left) = (u.amount.grouped(), gap.grouped(), left.grouped());
        return Err(AppError::Invalid(if pending_too {
            tr!(
                "app-res-over-gap-pending",
                amount = amount,
                year = u.year,
                gap = gap,
                used = used,
                left = left
            )
        } else {
            tr!(
                "app-res-over-gap",
                amount = amount,
                year = u.year,
                gap = gap,
                used = used,
                left = left
            )
        }));
    }
    let mut cash = posted(db, "reserve_deposit")?;
    if let (Some(id), Some(p)) = (u.holding_id, u.proceeds) {
        let h = store::holding(db, id)?
            .ok_or_else(|| AppError::NotFound(tr!("app-res-no-holding-sell", id = id)))?;
        if h.status != "held" {
            return Err(AppError::State(tr!(
                "app-res-sold",
                id = id,
                enterprise = h.enterprise
            )));
        }
        if on < h.lockup_end {
            return Err(AppError::Invalid(tr!(
                "app-res-lockup",
                id = id,
                enterprise = h.enterprise,
                until = h.lockup_end.add_days(-1),
                on = on
            )));
        }
        if !p.is_positive() {
            return Err(AppError::Invalid(tr!("app-res-proceeds")));
        }
        cash = cash.try_add(p)?;
    }
    if u.amount > cash {
        return Err(AppError::Invalid(tr!(
            "app-res-cash",
            cash = cash.grouped(),
            amount = u.amount.grouped()
        )));
    }
    Ok(())
}

/// A use as the maker records it.
#[derive(Clone, Debug)]
pub struct UseInput {
    pub year: i32,
    pub amount: Fen,
    /// Sell this holding for these proceeds first.
    pub sell: Option<(i64, Fen)>,
    pub reason: String,
    /// The finance department's document number for the use: one use per reference.
    pub reference: String,
}

/// Record a use of the fund to cover `u.year`'s gap, for another user's approval (maker: a
/// finance officer). Refused when it exceeds the gap less the uses approved and pending, when a
/// sale is before the lock-up end, or the deposits (with the sale) do not cover it. The same
/// reference again returns the use recorded.
pub fn propose_use(
    db: &mut Db,
    who: &Principal,
    u: &UseInput,
    today: Date,
    now_ms: i64,
) -> Result<Use> {
    guard(
        db,
        who,
        &MAKERS,
        "reserve.use_proposed",
        &|| word("app-res-what-use"),
        now_ms,
    )?;
    let reference = text("--reference", &u.reference, 64)?;
    let mut row = Use {
        id: 0,
        year: u.year,
        amount: u.amount,
        holding_id: u.sell.map(|s| s.0),
        proceeds: u.sell.map(|s| s.1),
        reason: text("--reason", &u.reason, 200)?,
        reference,
        approval_id: 0,
        status: "pending".into(),
        recorded_by: who.login.clone(),
        recorded_at: crate::benefits::iso(now_ms),
        decided_by: None,
        decided_at: None,
        value_date: None,
        transfer_key: None,
    };
    if let Some(old) = store::use_by_reference(db, &row.reference)? {
        let same = (old.year, old.amount, old.holding_id, old.proceeds)
            == (row.year, row.amount, row.holding_id, row.proceeds);
        if same {
            return Ok(old);
        }
        return Err(AppError::State(tr!(
            "app-res-use-recorded",
            reference = old.reference,
            year = old.year,
            amount = old.amount.grouped()
        )));
    }
    if !row.amount.is_positive() {
        return Err(AppError::Invalid(tr!("app-res-amount-positive")));
    }
    if let Err(e) = check_use(db, &row, today, true) {
        return Err(refused(
            db,
            who,
            "reserve.use_proposed",
            &row.reference,
            e,
            now_ms,
        ));
    }
    row.id = store::next_id(db, Table::Uses)?;
    let object = format!("reserve_use/{}", row.id);
    let a = access::submit_approval(
        db,
        who,
        ApprovalKind::ReserveUse,
        &object,
        province(),
        now_ms,
    )?;
    row.approval_id = a.id;
    db.transaction(|db| {
        store::insert_use(db, &row)?;
        let details = json!({"use": row.id, "approval": a.id, "year": row.year,
            "amount_fen": row.amount.fen(), "sell": row.holding_id,
            "proceeds_fen": row.proceeds.map(Fen::fen), "reason": row.reason, "reference": row.reference});
        audit_ok(db, who, "reserve.use_proposed", &object, details, now_ms)?;
        Ok(row.clone())
    })
}

fn book_use(db: &mut Db, who: &Principal, u: &Use, on: Date, now_ms: i64) -> Result<Use> {
    let key = format!("reserve/use/{}", u.id);
    let chart = Chart::standard();
    db.transaction(|db| {
        let mut reqs = Vec::new();
        if let (Some(id), Some(p)) = (u.holding_id, u.proceeds) {
            let h = store::holding(db, id)?
                .ok_or_else(|| AppError::NotFound(tr!("app-res-holding", id = id)))?;
            if !store::set_sold(db, id, on, p)? {
                return Err(AppError::State(tr!("app-res-holding-sold", id = id)));
            }
            let sale_key = format!("{key}/sale");
            let doc = Doc {
                key: &sale_key,
                reference: &u.reference,
                date: on,
            };
            reqs.extend(flows::reserve_sale(
                chart,
                doc,
                province(),
                p,
                h.book_value,
            )?);
        }
        let doc = Doc {
            key: &key,
            reference: &u.reference,
            date: on,
        };
        reqs.extend(flows::reserve_use(chart, doc, province(), u.amount)?);
        post(db, &reqs)?;
        let at = crate::benefits::iso(now_ms);
        if !store::decide_use(db, u.id, true, &who.login, &at, Some((on, &key)))? {
            return Err(AppError::State(tr!("app-res-use-decided", id = u.id)));
        }
        let details = json!({"use": u.id, "approval": u.approval_id, "year": u.year,
            "amount_fen": u.amount.fen(), "on": on.to_string(), "sold": u.holding_id});
        audit_ok(db, who, "reserve.use", &key, details, now_ms)?;
        Ok(())
    })?;
    store::use_by_approval(db, u.approval_id)?.ok_or(AppError::NotFound(key))
}

/// Decide a pending use (checker: a finance approver, never its maker; `approvals`): approved,
/// it is checked again against the gap, the lock-up and the deposits on `on` and booked;
/// rejected, nothing moves. Returns the use as it is after the decision.
pub fn decide_use(
    db: &mut Db,
    who: &Principal,
    approval: i64,
    approve: bool,
    note: &str,
    on: Date,
    now_ms: i64,
) -> Result<Use> {
    let u = store::use_by_approval(db, approval)?
        .ok_or_else(|| AppError::NotFound(tongchou_core::tr!("app-res-not-use", id = approval)))?;
    if u.status != "pending" {
        return Err(AppError::State(if u.status == "approved" {
            tr!("app-res-use-approved", id = u.id, approval = approval)
        } else {
            tr!("app-res-use-rejected", id = u.id, approval = approval)
        }));
    }
    let a = access::get_approval(db, approval)?
        .ok_or_else(|| AppError::NotFound(tr!("app-res-approval", approval = approval)))?;
    // an approval decided but not booked (the booking failed after it): its approver books it
    let decided_by_me = a.status == ApprovalStatus::Approved && a.decided_by == Some(who.user_id);
    if approve {
        if a.status == ApprovalStatus::Pending {
            // the checker's right first (never the maker, the permission, the region), audited
            let perm = Permission::AllocationApprove;
            let d = Divisions::shanxi();
            if let Err(e) =
                tongchou_core::access::check_approval(d, a.submitted_by, who, perm, a.region)
            {
                // refused by the approvals' own rule, which audits the refusal
                let refused = access::decide_approval(
                    db,
                    who,
                    approval,
                    ApprovalStatus::Approved,
                    note,
                    now_ms,
                );
                return Err(refused
                    .err()
                    .map_or_else(|| AppError::Forbidden(e.to_string()), AppError::from));
            }
        }
        if let Err(e) = check_use(db, &u, on, false) {
            return Err(refused(
                db,
                who,
                "reserve.use",
                &format!("reserve_use/{}", u.id),
                e,
                now_ms,
            ));
        }
    }
    if a.status == ApprovalStatus::Pending {
        let status = if approve {
            ApprovalStatus::Approved
        } else {
            ApprovalStatus::Rejected
        };
        access::decide_approval(db, who, approval, status, note, now_ms)?;
    } else if !decided_by_me {
        return Err(AppError::State(tr!(
            "app-res-approval-other",
            approval = approval
        )));
    }
    if approve {
        return book_use(db, who, &u, on, now_ms);
    }
    let at = crate::benefits::iso(now_ms);
    db.transaction(|db| {
        store::decide_use(db, u.id, false, &who.login, &at, None)?;
        let details = json!({"use": u.id, "approval": approval, "note": note});
        audit_ok(
            db,
            who,
            "reserve.use_rejected",
            &format!("reserve_use/{}", u.id),
            details,
            now_ms,
        )
    })?;
    store::use_by_approval(db, approval)?
        .ok_or_else(|| AppError::NotFound(tr!("app-res-approval", approval = approval)))
}

/// The register with the ledger's balances.
#[derive(Clone, Debug)]
pub struct ReserveView {
    pub holdings: Vec<Holding>,
    pub returns: Vec<Return>,
    pub uses: Vec<Use>,
    /// 储备基金—划转国有股权, 储备基金专户存款, 储备基金 (credit side), from the ledger.
    pub equity: Fen,
    pub deposits: Fen,
    pub fund: Fen,
}

/// Read the register (the provincial staff of `central::READERS`; anyone else refused, audited).
pub fn show(db: &mut Db, who: &Principal, now_ms: i64) -> Result<ReserveView> {
    let readers = crate::central::READERS;
    guard(
        db,
        who,
        &readers,
        "reserve.read",
        &|| word("app-res-what-read"),
        now_ms,
    )?;
    Ok(ReserveView {
        holdings: store::holdings(db)?,
        returns: store::returns(db)?,
        uses: store::uses(db)?,
        equity: posted(db, "reserve_equity")?,
        deposits: posted(db, "reserve_deposit")?,
        fund: Fen::new(-posted(db, "reserve_fund")?.fen()),
    })
}

/// A use's or a holding's status in the current language (`cr-v-*` of the catalogue).
pub fn status_name(s: &str) -> &'static str {
    use tongchou_core::i18n::word;
    match s {
        "pending" => word("cr-v-pending"),
        "approved" => word("cr-v-approved"),
        "rejected" => word("cr-v-rejected"),
        "held" => word("cr-v-held"),
        "sold" => word("cr-v-sold"),
        _ => "",
    }
}

/// The view as JSON: `holdings`, `returns`, `uses` and the balances (yuan strings).
pub fn json(v: &ReserveView) -> Json {
    let holdings: Vec<Json> = v
        .holdings
        .iter()
        .map(|h| {
            json!({
        "id": h.id, "enterprise": h.enterprise, "credit_code": h.credit_code, "share": h.share,
        "book_value": h.book_value.to_string(), "transfer_date": h.transfer_date.to_string(),
        "lockup_end": h.lockup_end.to_string(), "status": h.status,
        "sold_on": h.sold_on.map(|d| d.to_string()), "proceeds": h.proceeds.map(|p| p.to_string()),
        "source_doc": h.source_doc})
        })
        .collect();
    let returns: Vec<Json> = v
        .returns
        .iter()
        .map(|r| {
            json!({
        "id": r.id, "holding": r.holding_id, "kind": r.kind, "amount": r.amount.to_string(),
        "received_on": r.received_on.to_string(), "reference": r.reference,
        "recorded_by": r.recorded_by})
        })
        .collect();
    let uses: Vec<Json> = v
        .uses
        .iter()
        .map(|u| {
            json!({
        "id": u.id, "year": u.year, "amount": u.amount.to_string(), "sell": u.holding_id,
        "proceeds": u.proceeds.map(|p| p.to_string()), "reason": u.reason,
        "reference": u.reference, "approval": u.approval_id, "status": u.status,
        "recorded_by": u.recorded_by, "decided_by": u.decided_by,
        "on": u.value_date.map(|d| d.to_string())})
        })
        .collect();
    json!({"equity": v.equity.to_string(), "deposits": v.deposits.to_string(),
        "fund": v.fund.to_string(), "holdings": holdings, "returns": returns, "uses": uses})
}

const COLS: [Col; 8] = [
    Col::new("id", "编号 id"),
    Col::new("enterprise", "企业 enterprise"),
    Col::new("credit_code", "统一社会信用代码 credit code"),
    Col::new("share", "划转比例 share"),
    Col::new("book_value", "账面价值 book value"),
    Col::new("transfer_date", "划转日 transferred"),
    Col::new("lockup_end", "禁售期满 lock-up end"),
    Col::new("status", "状态 status"),
];

/// The register as one table (a row per holding) with the balances beside it.
pub fn sheet(v: &ReserveView) -> Sheet {
    let rows = v
        .holdings
        .iter()
        .map(|h| {
            vec![
                Cell::Int(h.id),
                Cell::Text(h.enterprise.clone()),
                Cell::Text(h.credit_code.clone()),
                Cell::Text(h.share.clone()),
                Cell::Money(h.book_value),
                Cell::Text(h.transfer_date.to_string()),
                Cell::Text(h.lockup_end.to_string()),
                Cell::Text(status_name(&h.status).into()),
            ]
        })
        .collect();
    let extra = |key, zh: &str, en: &str, f: Fen| Extra {
        key,
        label: format!("{zh} {en}"),
        zh: zh.to_string(),
        value: Cell::Money(f),
    };
    Sheet {
        title: tongchou_core::tr!("app-rep-reserve-title"),
        name: tongchou_core::tr!("app-rep-reserve-sheet"),
        meta: vec![("report", json!("reserve"))],
        cols: COLS.to_vec(),
        rows,
        total: None,
        extras: vec![
            extra("equity", "划转国有股权", "equity", v.equity),
            extra("deposits", "储备基金专户存款", "deposits", v.deposits),
            extra("fund", "储备基金", "fund", v.fund),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_core::i18n::{Lang, scope};

    #[test]
    fn a_status_is_named_in_the_readers_language() {
        assert_eq!(scope(Lang::ZhCn, || status_name("pending")), "待审批");
        assert_eq!(scope(Lang::ZhCn, || status_name("sold")), "已出售");
        let en = scope(Lang::En, || status_name("sold"));
        assert!(!en.is_empty() && en.is_ascii(), "{en}");
        assert_eq!(status_name("x"), "");
    }
}

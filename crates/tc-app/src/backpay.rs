//! Back-payments (补缴) without reopening a closed month:
//!
//! 1. [`assess`]: a county clerk (`person_write` over the person's county) assesses months before
//!    this one that were never assessed, each under its own period's rules
//!    (`tongchou_core::rules::backpay`), with a reason. A month already assessed (declared then,
//!    or in another back-payment) is refused: what was declared stands.
//! 2. Below `contribution.backpay_approval_threshold` the assessment is released at once; at or
//!    above it, it waits for a provincial approver who is not the clerk ([`decide`], the
//!    approval kind `back_payment`, maker–checker in `tongchou_store::access`).
//! 3. Released, each month becomes an assessment of its own period and an open arrears item owed
//!    since its due date: the tax bureau collects it like any arrears, and the collection close of
//!    the month the money arrives applies it with the late fee to the day and books it in that
//!    (open) month, the application naming the month it concerns.
//!
//! Every assessment, decision and refusal is audited (`backpay.*`).

use crate::error::{AppError, Result};
use tongchou_core::access::{ApprovalKind, Permission, Principal};
use tongchou_core::rules::backpay::{self as rule, Month};
use tongchou_core::rules::contribution::PayerKind;
use tongchou_core::tr;
use tongchou_core::{Date, Divisions, Fen, Period, Policy, RegionCode};
use tongchou_store::Db;
use tongchou_store::access::{self, ApprovalStatus, Target};
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::backpay::{self as store, BackPay};

/// What a clerk asks.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    pub person: i64,
    /// Each month with the wage declared for it.
    pub months: &'a [(Period, Fen)],
    pub reason: &'a str,
}

fn county(b: &BackPay) -> Result<RegionCode> {
    RegionCode::new(b.county).map_err(|e| AppError::Invalid(e.0))
}

fn audit_ok(
    db: &mut Db,
    who: &Principal,
    action: &str,
    b: &BackPay,
    details: serde_json::Value,
    now_ms: i64,
) -> Result<()> {
    audit::append(
        db,
        &Entry {
            actor: &Actor::of(who),
            action,
            object_type: "back_payment",
            object_id: &b.id.to_string(),
            region: Some(b.county),
            result: "ok",
            details,
        },
        now_ms,
    )?;
    Ok(())
}

/// Assess a back-payment (see the module). Returns it with its months, released or pending.
pub fn assess(
    db: &mut Db,
    policy: &Policy,
    who: &Principal,
    r: &Request<'_>,
    today: Date,
    now_ms: i64,
) -> Result<(BackPay, Vec<Month>)> {
    crate::benefits::check_text("reason", r.reason, 200)?;
    let (county_code, employer, kind_s, status) = store::payer(db, r.person)?
        .ok_or_else(|| AppError::NotFound(tr!("app-ben-person-unknown", person = r.person)))?;
    let county = RegionCode::new(county_code).map_err(|e| AppError::Invalid(e.0))?;
    let id_s = format!("person:{}", r.person);
    let target = Target {
        action: "backpay.assess",
        object_type: "back_payment",
        object_id: &id_s,
        region: county,
    };
    access::authorize(db, who, Permission::PersonWrite, &target, now_ms)?;
    if matches!(status.as_str(), "deceased" | "transferred_out") {
        return Err(AppError::State(tr!(
            "app-bp-status",
            person = r.person,
            status = status
        )));
    }
    let kind = if kind_s == "flexible" {
        PayerKind::Flexible
    } else {
        PayerKind::Employee
    };
    let a = rule::assess(policy, kind, r.months, today)?;
    let periods: Vec<Period> = a.months.iter().map(|m| m.period).collect();
    let taken = store::assessed(db, r.person, &periods)?;
    if !taken.is_empty() {
        let list: Vec<String> = taken.iter().map(Period::to_string).collect();
        return Err(AppError::Invalid(tr!(
            "app-bp-assessed",
            months = list.join("、")
        )));
    }
    let id = access::random_id()?;
    let approval = if a.needs_approval {
        let object = format!("backpay:{id}");
        Some(
            access::submit_approval(db, who, ApprovalKind::BackPayment, &object, county, now_ms)?
                .id,
        )
    } else {
        None
    };
    let b = BackPay {
        id,
        person: r.person,
        county: county_code,
        employer,
        payer_kind: kind_s,
        reason: r.reason.trim().to_string(),
        total: a.total,
        status: if a.needs_approval {
            "pending"
        } else {
            "released"
        }
        .into(),
        approval,
        explanation: serde_json::to_string(&a.explanation)
            .map_err(|e| AppError::Invalid(e.to_string()))?,
        created_by: who.user_id,
        created_at: crate::benefits::iso(now_ms),
        decided_by: None,
        decided_at: None,
        note: String::new(),
    };
    db.transaction(|db| {
        store::insert(db, &b, &a.months)?;
        if !a.needs_approval {
            store::release(db, &b, &a.months, today.period())?;
        }
        let details = serde_json::json!({
            "person": b.person, "months": periods.iter().map(Period::to_string).collect::<Vec<_>>(),
            "total": b.total.to_string(), "threshold": a.threshold.to_string(),
            "status": b.status, "approval": approval, "reason": b.reason,
        });
        audit_ok(db, who, "backpay.assess", &b, details, now_ms)
    })?;
    Ok((b, a.months))
}

/// Decide a pending back-payment's approval (never by the clerk who assessed it): approved, its
/// months are released into the open arrears; rejected, it is refused and nothing is owed.
pub fn decide(
    db: &mut Db,
    who: &Principal,
    approval: i64,
    approve: bool,
    note: &str,
    today: Date,
    now_ms: i64,
) -> Result<BackPay> {
    let a = access::get_approval(db, approval)?
        .ok_or_else(|| AppError::NotFound(tr!("app-bp-no-approval", id = approval)))?;
    if a.kind != ApprovalKind::BackPayment {
        return Err(AppError::Invalid(tr!("app-bp-not-backpay", id = approval)));
    }
    let id: i64 = a
        .object_id
        .strip_prefix("backpay:")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            AppError::Invalid(tongchou_core::tr!(
                "app-approval-object",
                object = format!("{:?}", a.object_id)
            ))
        })?;
    let decision = if approve {
        ApprovalStatus::Approved
    } else {
        ApprovalStatus::Rejected
    };
    let a = access::decide_approval(db, who, approval, decision, note, now_ms)?;
    let at = crate::benefits::iso(now_ms);
    db.transaction(|db| {
        let (b, months) =
            store::get(db, id)?.ok_or_else(|| AppError::NotFound(tr!("app-bp-none", id = id)))?;
        let to = if a.status == ApprovalStatus::Approved {
            "released"
        } else {
            "refused"
        };
        if !store::decide(db, id, to, who.user_id, &at, note.trim())? {
            return Err(AppError::State(tr!("app-bp-decided", id = id)));
        }
        if to == "released" {
            store::release(db, &b, &months, today.period())?;
        }
        let details = serde_json::json!({"approval": approval, "status": to, "note": note.trim()});
        audit_ok(
            db,
            who,
            &format!(
                "backpay.{}",
                if to == "released" {
                    "release"
                } else {
                    "refuse"
                }
            ),
            &b,
            details,
            now_ms,
        )?;
        store::get(db, id)?
            .map(|x| x.0)
            .ok_or_else(|| AppError::NotFound(tr!("app-bp-none", id = id)))
    })
}

/// The back-payments within the user's region (`contribution_read`), pending first, newest first.
pub fn list(db: &mut Db, who: &Principal) -> Result<Vec<BackPay>> {
    if !who.role.has(Permission::ContributionRead) {
        return Err(AppError::Forbidden(tr!("app-bp-forbidden")));
    }
    let d = Divisions::shanxi();
    Ok(store::list(db, 1000)?
        .into_iter()
        .filter(|b| county(b).is_ok_and(|c| d.within(c, who.region)))
        .take(200)
        .collect())
}

/// One back-payment with its months, within the user's region.
pub fn show(db: &mut Db, who: &Principal, id: i64) -> Result<(BackPay, Vec<Month>)> {
    let (b, months) =
        store::get(db, id)?.ok_or_else(|| AppError::NotFound(tr!("app-bp-none", id = id)))?;
    let id_s = id.to_string();
    let target = Target {
        action: "backpay.read",
        object_type: "back_payment",
        object_id: &id_s,
        region: county(&b)?,
    };
    access::authorize(db, who, Permission::ContributionRead, &target, 0)?;
    Ok((b, months))
}

/// Status as staff read it, in the current language (`backpay-status-*` of the catalogue).
pub fn status_name(s: &str) -> &'static str {
    use tongchou_core::i18n::word;
    match s {
        "pending" => word("backpay-status-pending"),
        "released" => word("backpay-status-released"),
        "refused" => word("backpay-status-refused"),
        _ => word("backpay-status-other"),
    }
}

/// `"2020-06:5000,2020-07:5200"` or `"2020-06..2020-08:5000"` (yuan) into months, one line of
/// the CLI or of the page's form.
pub fn parse_months(text: &str) -> Result<Vec<(Period, Fen)>> {
    let mut out = Vec::new();
    for part in text
        .split([',', '，', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let bad = || AppError::Invalid(tr!("app-bp-months", part = part));
        let (span, wage) = part.split_once([':', '：']).ok_or_else(bad)?;
        let wage = Fen::parse_grouped(wage).map_err(|_| bad())?;
        let (from, to) = match span.split_once("..") {
            Some((a, b)) => (a.trim().parse::<Period>(), b.trim().parse::<Period>()),
            None => (span.trim().parse::<Period>(), span.trim().parse::<Period>()),
        };
        let (from, to) = (from.map_err(|_| bad())?, to.map_err(|_| bad())?);
        if to < from || from.months_until(to) > 600 {
            return Err(bad());
        }
        out.extend(from.through(to).map(|p| (p, wage)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_named_in_the_readers_language() {
        use tongchou_core::i18n::{Lang, scope};
        assert_eq!(
            scope(Lang::ZhCn, || status_name("released")),
            "已核定，待征收"
        );
        assert_eq!(scope(Lang::En, || status_name("refused")), "refused");
        assert_eq!(scope(Lang::ZhCn, || status_name("x")), "其他");
    }

    #[test]
    fn months_are_parsed_by_span_and_list() {
        let m = parse_months("2020-06..2020-08:5000, 2021-01：5200.50").expect("parse");
        assert_eq!(m.len(), 4);
        assert_eq!(m[2], ("2020-08".parse().expect("p"), Fen::new(500_000)));
        assert_eq!(m[3].1, Fen::new(520_050));
        for bad in ["2020-06", "2020-08..2020-06:1", "x:1", "2020-06:abc"] {
            assert!(parse_months(bad).is_err(), "{bad}");
        }
    }
}

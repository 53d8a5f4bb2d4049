//! Period close (结账): a month, or a year with its December, closes book by book in the order
//! county → city → province; once a book's month is closed the ledger refuses any new transfer
//! of that book dated in it ([`tongchou_store::StoreError::PeriodClosed`]).
//!
//! - [`close`]: a staff member with `period_close` closes the books of one level in their region
//!   (one book with `region`, or every book of the level within their region). A city closes
//!   only when every county of it has closed the month, the province only when every city has;
//!   a month that has not ended cannot close. All the books of one call close together or none
//!   (one transaction); each close is audited (`period.close`) and kept as an event.
//! - [`request_reopen`] (maker, `period_close`) and [`decide_reopen`] (checker,
//!   `period_reopen_approve`, never the maker): a closed month is reopened only through an
//!   approval (`approvals`, kind `period_reopen`), from the top down — a county's month only
//!   while its city and the province have it open — and re-closes through the chain again.
//!   Asking, deciding and applying are each audited.

use crate::error::{AppError, Result};
use std::collections::BTreeSet;
use tongchou_core::access::{self as rules, ApprovalKind, Permission, Principal};
use tongchou_core::region::Level;
use tongchou_core::tr;
use tongchou_core::{Date, Divisions, Period, RegionCode};
use tongchou_ledger::Chart;
use tongchou_ledger::chart::level_of;
use tongchou_store::Db;
use tongchou_store::access::{self, Approval, ApprovalStatus, Target, iso_time};
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::closing::{self as store, Event, ReopenRequest};

/// What to close.
#[derive(Clone, Copy, Debug)]
pub struct CloseRequest {
    pub level: Level,
    /// The month to close through (a year closes through its December).
    pub period: Period,
    /// Whether this is the year's close (recorded as such; the period must be a December).
    pub year: bool,
    /// One book, or every book of the level within the user's region.
    pub region: Option<RegionCode>,
    /// Today (a month closes only once it has ended).
    pub today: Date,
}

/// One book's close.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Closed {
    pub region: RegionCode,
    pub name: String,
    pub through: String,
    /// It was already closed through the month: nothing changed.
    pub already: bool,
}

/// Every region that keeps books (the province, its cities, its counties).
pub fn books() -> BTreeSet<RegionCode> {
    Chart::standard()
        .standard_accounts(Divisions::shanxi())
        .iter()
        .filter_map(|a| a.region())
        .collect()
}

fn name(code: RegionCode) -> String {
    Divisions::shanxi()
        .get(code)
        .map(|r| r.name.clone())
        .unwrap_or_default()
}

/// The books directly below `region` (a city's counties, the province's cities).
fn below(all: &BTreeSet<RegionCode>, region: RegionCode) -> Vec<RegionCode> {
    let d = Divisions::shanxi();
    let next = match level_of(region) {
        Level::Province => Level::City,
        Level::City => Level::County,
        Level::County => return Vec::new(),
    };
    all.iter()
        .copied()
        .filter(|&r| level_of(r) == next && r != region && d.within(r, region))
        .collect()
}

/// The books above `region` (its city and the province).
fn above(all: &BTreeSet<RegionCode>, region: RegionCode) -> Vec<RegionCode> {
    let d = Divisions::shanxi();
    all.iter()
        .copied()
        .filter(|&r| r != region && level_of(r) < level_of(region) && d.within(region, r))
        .collect()
}

fn refuse(
    db: &mut Db,
    who: &Principal,
    action: &str,
    region: RegionCode,
    e: AppError,
    now: i64,
) -> AppError {
    let r = audit::refusal(
        db,
        &Entry {
            actor: &Actor::of(who),
            action,
            object_type: "period",
            object_id: &region.to_string(),
            region: Some(region.get()),
            result: "denied",
            details: serde_json::json!({"reason": e.to_string()}),
        },
        now,
    );
    match r {
        Ok(_) => e,
        Err(s) => AppError::Store(s),
    }
}

/// The books a close covers, checked against the user's permission and region.
fn targets(db: &mut Db, who: &Principal, req: &CloseRequest, now: i64) -> Result<Vec<RegionCode>> {
    let all = books();
    let d = Divisions::shanxi();
    let asked = req.region.unwrap_or(who.region);
    let target = Target {
        action: "period.close",
        object_type: "period",
        object_id: &req.period.to_string(),
        region: asked,
    };
    access::authorize(db, who, Permission::PeriodClose, &target, now)?;
    let regions: Vec<RegionCode> = match req.region {
        Some(r) => {
            if !all.contains(&r) || level_of(r) != req.level {
                let e = AppError::Invalid(tr!(
                    "app-close-not-level",
                    region = r,
                    name = name(r),
                    level = level_name(req.level)
                ));
                return Err(refuse(db, who, "period.close", r, e, now));
            }
            vec![r]
        }
        None => all
            .iter()
            .copied()
            .filter(|&r| level_of(r) == req.level && d.within(r, who.region))
            .collect(),
    };
    if regions.is_empty() {
        let e = AppError::Invalid(tr!(
            "app-close-no-books",
            region = who.region,
            level = level_name(req.level)
        ));
        return Err(refuse(db, who, "period.close", who.region, e, now));
    }
    Ok(regions)
}

/// The level's name in the current language (省级/市级/县级, province/city/county).
pub fn level_name(l: Level) -> &'static str {
    use tongchou_core::i18n::word;
    match l {
        Level::Province => word("app-close-level-province"),
        Level::City => word("app-close-level-city"),
        Level::County => word("app-close-level-county"),
    }
}

/// Close the books of one level through a month (see the module doc). Returns each book.
pub fn close(db: &mut Db, who: &Principal, req: &CloseRequest, now: i64) -> Result<Vec<Closed>> {
    if req.year && req.period.month() != 12 {
        return Err(AppError::Invalid(tr!("app-close-december")));
    }
    if req.period.last_day() >= req.today {
        return Err(AppError::State(tr!(
            "app-close-not-ended",
            period = req.period
        )));
    }
    let regions = targets(db, who, req, now)?;
    let all = books();
    let at = iso_time(now);
    let kind = if req.year { "year" } else { "month" };
    audit::retry(db, 10, |db| {
        let mut out = Vec::with_capacity(regions.len());
        for &r in &regions {
            let through = store::closed_through(db, r)?;
            if through.is_some_and(|t| t >= req.period) {
                out.push(Closed {
                    region: r,
                    name: name(r),
                    through: req.period.to_string(),
                    already: true,
                });
                continue;
            }
            let mut open = Vec::new();
            for b in below(&all, r) {
                if store::closed_through(db, b)?.is_none_or(|t| t < req.period) {
                    open.push(format!("{b} {}", name(b)));
                }
            }
            if !open.is_empty() {
                return Err(AppError::State(tr!(
                    "app-close-lower-open",
                    region = r,
                    name = name(r),
                    period = req.period,
                    open = open.join("、")
                )));
            }
            store::close(
                db,
                &Event {
                    region: r,
                    level: req.level.as_str(),
                    period: req.period,
                    kind,
                    user_id: who.user_id,
                    login: &who.login,
                    at: &at,
                    approval_id: None,
                    reason: "",
                },
            )?;
            audit::append(
                db,
                &Entry {
                    actor: &Actor::of(who),
                    action: "period.close",
                    object_type: "period",
                    object_id: &format!("{r}:{}", req.period),
                    region: Some(r.get()),
                    result: "ok",
                    details: serde_json::json!({"kind": kind, "level": req.level.as_str(), "through": req.period.to_string()}),
                },
                now,
            )?;
            out.push(Closed {
                region: r,
                name: name(r),
                through: req.period.to_string(),
                already: false,
            });
        }
        Ok(out)
    })
}

/// Ask for a closed month of a book to be reopened (the maker's half): the approval waiting for
/// a checker.
pub fn request_reopen(
    db: &mut Db,
    who: &Principal,
    region: RegionCode,
    period: Period,
    reason: &str,
    now: i64,
) -> Result<Approval> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 || reason.contains(['\n', '\r']) {
        return Err(AppError::Invalid(tr!("app-close-reason")));
    }
    let all = books();
    if !all.contains(&region) {
        return Err(AppError::Invalid(tr!("app-close-no-book", region = region)));
    }
    let object_id = format!("{region}:{period}");
    let target = Target {
        action: "period.reopen_request",
        object_type: "period",
        object_id: &object_id,
        region,
    };
    access::authorize(db, who, Permission::PeriodClose, &target, now)?;
    if store::closed_through(db, region)?.is_none_or(|t| t < period) {
        return Err(AppError::State(tr!(
            "app-close-not-closed",
            region = region,
            name = name(region),
            period = period
        )));
    }
    check_above_open(db, &all, region, period)?;
    let at = iso_time(now);
    audit::retry(db, 10, |db| {
        let a =
            access::submit_approval(db, who, ApprovalKind::PeriodReopen, &object_id, region, now)?;
        store::add_reopen_request(
            db,
            &ReopenRequest {
                approval_id: a.id,
                region,
                period,
                reason: reason.to_string(),
                requested_by: who.user_id,
                applied: false,
            },
            &at,
        )?;
        audit::append(
            db,
            &Entry {
                actor: &Actor::of(who),
                action: "period.reopen_request",
                object_type: "period",
                object_id: &object_id,
                region: Some(region.get()),
                result: "ok",
                details: serde_json::json!({"approval_id": a.id, "reason": reason}),
            },
            now,
        )?;
        Ok(a)
    })
}

/// A book's month reopens only while every book above it has it open.
fn check_above_open(
    db: &mut Db,
    all: &BTreeSet<RegionCode>,
    region: RegionCode,
    period: Period,
) -> Result<()> {
    let mut closed = Vec::new();
    for b in above(all, region) {
        if store::closed_through(db, b)?.is_some_and(|t| t >= period) {
            closed.push(format!("{b} {}", name(b)));
        }
    }
    if closed.is_empty() {
        return Ok(());
    }
    Err(AppError::State(tr!(
        "app-close-upper-closed",
        region = region,
        name = name(region),
        period = period,
        closed = closed.join("、")
    )))
}

/// What a decision on a reopening did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Reopened {
    pub approval_id: i64,
    pub region: RegionCode,
    pub period: String,
    pub status: String,
    /// The book's last closed month after the decision.
    pub closed_through: Option<String>,
}

/// The checker's decision on a reopening; an approved one is applied at once (an approval
/// decided but not applied, e.g. because a higher book closed meanwhile, is applied by calling
/// again). The checker is never the maker and needs `period_reopen_approve` over the region.
pub fn decide_reopen(
    db: &mut Db,
    who: &Principal,
    approval_id: i64,
    approve: bool,
    note: &str,
    now: i64,
) -> Result<Reopened> {
    let req = store::reopen_request(db, approval_id)?
        .ok_or_else(|| AppError::NotFound(tr!("app-close-no-reopening", id = approval_id)))?;
    let a = access::get_approval(db, approval_id)?
        .ok_or_else(|| AppError::NotFound(tr!("app-bp-no-approval", id = approval_id)))?;
    let a = match a.status {
        ApprovalStatus::Pending => {
            let decision = if approve {
                ApprovalStatus::Approved
            } else {
                ApprovalStatus::Rejected
            };
            access::decide_approval(db, who, approval_id, decision, note, now)?
        }
        ApprovalStatus::Approved if approve && !req.applied => {
            let perm = Permission::PeriodReopenApprove;
            if let Err(e) =
                rules::check_approval(Divisions::shanxi(), a.submitted_by, who, perm, a.region)
            {
                let target = Target {
                    action: "approval.decide",
                    object_type: a.kind.as_str(),
                    object_id: &a.object_id,
                    region: a.region,
                };
                return Err(access::deny(db, who, &target, e, now).into());
            }
            a
        }
        s => {
            return Err(AppError::State(if req.applied {
                tr!(
                    "app-close-approval-applied",
                    id = approval_id,
                    status = s.as_str()
                )
            } else {
                tr!(
                    "app-close-approval-is",
                    id = approval_id,
                    status = s.as_str()
                )
            }));
        }
    };
    if a.status == ApprovalStatus::Approved {
        apply_reopen(db, who, &req, now)?;
    }
    Ok(Reopened {
        approval_id,
        region: req.region,
        period: req.period.to_string(),
        status: a.status.as_str().to_string(),
        closed_through: store::closed_through(db, req.region)?.map(|p| p.to_string()),
    })
}

fn apply_reopen(db: &mut Db, who: &Principal, req: &ReopenRequest, now: i64) -> Result<()> {
    let all = books();
    check_above_open(db, &all, req.region, req.period)?;
    let at = iso_time(now);
    let level = level_of(req.region);
    audit::retry(db, 10, |db| {
        if !store::mark_applied(db, req.approval_id, &at)? {
            return Ok(());
        }
        store::reopen(
            db,
            &Event {
                region: req.region,
                level: level.as_str(),
                period: req.period,
                kind: "month",
                user_id: who.user_id,
                login: &who.login,
                at: &at,
                approval_id: Some(req.approval_id),
                reason: &req.reason,
            },
        )?;
        audit::append(
            db,
            &Entry {
                actor: &Actor::of(who),
                action: "period.reopen",
                object_type: "period",
                object_id: &format!("{}:{}", req.region, req.period),
                region: Some(req.region.get()),
                result: "ok",
                details: serde_json::json!({"approval_id": req.approval_id, "reason": req.reason}),
            },
            now,
        )?;
        Ok::<(), AppError>(())
    })
}

/// One book's state: its last closed month.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BookState {
    pub region: RegionCode,
    pub name: String,
    pub level: &'static str,
    pub closed_through: Option<String>,
}

/// Every book within `region` with its last closed month (province first, then each city
/// followed by its counties).
pub fn status(db: &mut Db, region: RegionCode) -> Result<Vec<BookState>> {
    let d = Divisions::shanxi();
    let locks = store::locks(db)?;
    let mut all: Vec<RegionCode> = books()
        .into_iter()
        .filter(|&r| d.within(r, region))
        .collect();
    all.sort_by_key(|&r| {
        (
            r.prefecture() != r.province(),
            r.prefecture(),
            level_of(r),
            r,
        )
    });
    Ok(all
        .into_iter()
        .map(|r| BookState {
            region: r,
            name: name(r),
            level: level_of(r).as_str(),
            closed_through: locks
                .get(&(r.get() as i64))
                .and_then(|&p| Period::from_yyyymm(p).ok())
                .map(|p| p.to_string()),
        })
        .collect())
}

/// The close and reopen events of a book (or of every book).
pub fn events(db: &mut Db, region: Option<RegionCode>) -> Result<Vec<store::EventRow>> {
    Ok(store::events(db, region)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_core::i18n::{Lang, scope};

    #[test]
    fn a_level_is_named_in_the_readers_language() {
        assert_eq!(scope(Lang::ZhCn, || level_name(Level::County)), "县级");
        let en = scope(Lang::En, || level_name(Level::Province));
        assert!(en.is_ascii() && !en.is_empty(), "{en}");
    }
}

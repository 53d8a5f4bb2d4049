//! The quarterly budget-execution analysis (季度预算执行分析, issue 11 item 4). For a quarter,
//! each county, city and the province has one analysis, drafted by its own agency from the
//! ledger against the latest approved budget (`execution::execution` to the quarter's last
//! month): per item the annual budget, the execution to the quarter's end, the time-progress
//! expectation (budget × months elapsed ÷ 12, `tongchou_engine::warning::expected_to_date`, an
//! assumption) and the deviation. Every item deviating beyond `warning.budget_deviation` (and
//! any item executed without a budget) carries the agency's explanation before it can submit.
//!
//! Each county first, then its city (once every county's analysis is accepted), then the
//! province (once every city's is). Due by the quarter's end + `budget.execution_report_days`:
//! a version submitted later is recorded with its days late (`analysis_lates`, audited `analysis.late`). The level above
//! accepts it or returns it with a reason — a county's by its city's agency, a city's by the
//! provincial bureau, the province's by the HRSS department's reviewer (`budget_hrss_review`) —
//! never by a user who drafted, explained or submitted it. A redraft or an explanation is a new
//! version, and so is a returned analysis submitted again; every version is kept (migration
//! 0044) and every action and refusal audited.

use crate::clock::china_date;
use crate::execution;
use crate::{AppError, Result};
use serde::Serialize;
use tongchou_core::access::{AccessError, Permission, Principal};
use tongchou_core::items::{Items, Side};
use tongchou_core::region::Level;
use tongchou_core::rules::governance::WarningTerms;
use tongchou_core::{Date, Divisions, Fen, Period, Policy, RegionCode};
use tongchou_engine::warning::{beyond, deviation, expected_to_date};
use tongchou_store::Db;
use tongchou_store::access::{self, Target, iso_time};
use tongchou_store::analysis::{self as store, Action, Late, Line, State, quarter_key};
use tongchou_store::audit::{self, Actor, Entry};

/// A quarter of a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quarter {
    pub year: i32,
    pub q: u8,
}

impl Quarter {
    pub fn new(year: i32, q: u8) -> Result<Quarter> {
        if !(1..=4).contains(&q) || !(1900..=9999).contains(&year) {
            return Err(AppError::Invalid(tongchou_core::tr!("app-an-quarter")));
        }
        Ok(Quarter { year, q })
    }
    fn key(self) -> i64 {
        quarter_key(self.year, self.q)
    }
    /// The quarter's last month.
    pub fn end(self) -> Result<Period> {
        Ok(Period::new(self.year, self.q * 3)?)
    }
    /// The analysis is due by the quarter's last day + `budget.execution_report_days`.
    pub fn due_on(self) -> Result<Date> {
        let last = self.end()?.last_day();
        let (days, _) = Policy::builtin()?.int("budget.execution_report_days", last)?;
        Ok(last.add_days(days))
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = tongchou_core::tr!("app-an-quarter-name", year = self.year, q = self.q);
        f.write_str(&name)
    }
}

/// One region's analysis as shown: its state, the current version's lines, every action, the
/// late submissions.
#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    pub region: RegionCode,
    pub name: String,
    /// None before the first draft.
    pub state: Option<State>,
    pub due_on: String,
    pub lines: Vec<Line>,
    pub actions: Vec<Action>,
    pub lates: Vec<Late>,
}

/// The verdict of the level above.
#[derive(Clone, Copy, Debug)]
pub enum Verdict<'a> {
    Accept,
    Return(&'a str),
}

/// A region's name (`小店区`).
pub fn name(r: RegionCode) -> String {
    Divisions::shanxi()
        .get(r)
        .map(|x| x.name.clone())
        .unwrap_or_default()
}

/// An item key's Chinese row label.
pub fn item_name(key: &str) -> String {
    Items::standard()
        .items
        .iter()
        .find(|i| i.key == key)
        .map(|i| i.name.clone())
        .unwrap_or_else(|| key.to_string())
}

/// A status as people read it.
pub fn status_label(s: Option<&str>) -> &'static str {
    use tongchou_core::i18n::word;
    match s {
        None => word("app-an-status-none"),
        Some("draft") => word("app-an-status-draft"),
        Some("submitted") => word("app-an-status-submitted"),
        Some("returned") => word("app-an-status-returned"),
        Some("accepted") => word("app-an-status-accepted"),
        Some(_) => "?",
    }
}

fn checked_text(text: &str, what: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > 500 || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-an-text",
            what = what
        )));
    }
    Ok(t.to_string())
}

/// `p` over `region` and the user of exactly `at`; refusals audited.
fn allow(
    db: &mut Db,
    who: &Principal,
    p: Permission,
    (qt, action): (Quarter, &str),
    region: RegionCode,
    at: RegionCode,
    now: i64,
) -> Result<()> {
    let id = format!("{}Q{}/{region}", qt.year, qt.q);
    let t = Target {
        action,
        object_type: "budget_analysis",
        object_id: &id,
        region,
    };
    access::authorize(db, who, p, &t, now)?;
    if who.region != at {
        let msg = tongchou_core::tr!(
            "app-an-who",
            region = region,
            name = name(region),
            at = at,
            at_name = name(at)
        );
        return Err(access::deny(db, who, &t, AccessError::Invalid(msg), now).into());
    }
    Ok(())
}

/// The region's own agency (`budget_compile` over it, of exactly its region).
fn agency(
    db: &mut Db,
    who: &Principal,
    qt: Quarter,
    action: &str,
    region: RegionCode,
    now: i64,
) -> Result<()> {
    let p = Permission::BudgetCompile;
    allow(db, who, p, (qt, action), region, region, now)
}

/// The current state of a drafted analysis.
fn drafted(db: &mut Db, qt: Quarter, region: RegionCode) -> Result<State> {
    store::state(db, qt.key(), region)?.ok_or_else(|| {
        AppError::State(tongchou_core::tr!(
            "app-an-not-drafted",
            region = region,
            name = name(region),
            quarter = qt
        ))
    })
}

/// The lines of `region` for the quarter from the ledger and the approved budget, the
/// explanations of `keep` carried over by item.
pub fn compute_lines(
    db: &mut Db,
    qt: Quarter,
    region: RegionCode,
    keep: &[Line],
) -> Result<Vec<Line>> {
    let end = qt.end()?;
    let ex = execution::execution(db, qt.year, Some(end))?;
    if ex.budget_number.is_none() {
        return Err(AppError::State(tongchou_core::tr!(
            "app-an-no-budget",
            year = qt.year
        )));
    }
    let threshold = WarningTerms::at(&Policy::builtin()?, end.last_day())?.task_deviation;
    let months = i64::from(end.month());
    let mut out = Vec::new();
    for i in ex.items().into_iter().filter(|i| i.region == region) {
        if i.budget == Fen::ZERO && i.executed == Fen::ZERO {
            continue;
        }
        let expected = expected_to_date(i.budget, months)
            .ok_or_else(|| AppError::Invalid(tongchou_core::tr!("app-an-range", item = i.key)))?;
        let dev = deviation(i.executed, expected);
        let explanation = keep
            .iter()
            .find(|l| l.item == i.key)
            .map(|l| l.explanation.clone())
            .unwrap_or_default();
        out.push(Line {
            beyond: dev.is_none_or(|d| beyond(d, threshold)),
            deviation: dev.map(|d| d.to_string()).unwrap_or_default(),
            item: i.key,
            budget: i.budget,
            executed: i.executed,
            expected,
            explanation,
        });
    }
    Ok(out)
}

/// Record an action: the state, the action row, the audit entry.
fn record(
    db: &mut Db,
    who: &Principal,
    qt: Quarter,
    next: &State,
    action: &str,
    reason: &str,
    now: i64,
) -> Result<()> {
    store::put_state(db, qt.key(), next)?;
    store::add_action(
        db,
        qt.key(),
        next.region,
        &Action {
            version: next.version,
            action: action.into(),
            user_id: who.user_id,
            login: who.login.clone(),
            at: iso_time(now),
            reason: reason.into(),
        },
    )?;
    audit::append(
        db,
        &Entry {
            actor: &Actor::of(who),
            action: &format!("analysis.{action}"),
            object_type: "budget_analysis",
            object_id: &format!("{}Q{}/{}", qt.year, qt.q, next.region),
            region: Some(next.region.get()),
            result: "ok",
            details: serde_json::json!({"version": next.version, "status": next.status, "reason": reason}),
        },
        now,
    )?;
    Ok(())
}

/// The analysis is open to its agency (not drafted, a draft, or returned).
fn editable(s: Option<&State>, qt: Quarter, region: RegionCode) -> Result<()> {
    match s.map(|s| s.status.as_str()) {
        None | Some("draft") | Some("returned") => Ok(()),
        Some(st) => Err(AppError::State(tongchou_core::tr!(
            "app-an-locked",
            region = region,
            name = name(region),
            quarter = qt,
            status = status_label(Some(st))
        ))),
    }
}

/// A new version of the lines, in state `draft`.
fn new_version(
    db: &mut Db,
    qt: Quarter,
    region: RegionCode,
    prev: Option<&State>,
    lines: &[Line],
    now: i64,
) -> Result<State> {
    let version = prev.map_or(1, |s| s.version + 1);
    store::write_lines(db, qt.key(), region, version, lines)?;
    Ok(State {
        region,
        status: "draft".into(),
        version,
        due_on: qt.due_on()?.to_string(),
        updated_at: iso_time(now),
    })
}

/// The region's agency drafts (or redrafts) its analysis from the ledger: a new version, the
/// explanations given so far kept by item.
pub fn draft(
    db: &mut Db,
    who: &Principal,
    qt: Quarter,
    region: RegionCode,
    now: i64,
) -> Result<State> {
    agency(db, who, qt, "analysis.draft", region, now)?;
    audit::retry(db, 10, |db| {
        let s = store::state(db, qt.key(), region)?;
        editable(s.as_ref(), qt, region)?;
        let keep = match &s {
            Some(s) => store::lines(db, qt.key(), region, s.version)?,
            None => Vec::new(),
        };
        let lines = compute_lines(db, qt, region, &keep)?;
        let next = new_version(db, qt, region, s.as_ref(), &lines, now)?;
        record(db, who, qt, &next, "draft", "", now)?;
        Ok(next)
    })
}

/// The agency explains an item's deviation: a new version with the explanation.
pub fn explain(
    db: &mut Db,
    who: &Principal,
    qt: Quarter,
    region: RegionCode,
    item: &str,
    text: &str,
    now: i64,
) -> Result<State> {
    let text = checked_text(text, "--text")?;
    agency(db, who, qt, "analysis.explain", region, now)?;
    audit::retry(db, 10, |db| {
        let s = drafted(db, qt, region)?;
        editable(Some(&s), qt, region)?;
        let mut lines = store::lines(db, qt.key(), region, s.version)?;
        let line = lines
            .iter_mut()
            .find(|l| l.item == item)
            .ok_or_else(|| AppError::NotFound(tongchou_core::tr!("app-an-no-item", item = item)))?;
        line.explanation = text.clone();
        let next = new_version(db, qt, region, Some(&s), &lines, now)?;
        record(
            db,
            who,
            qt,
            &next,
            "explain",
            &format!("{item}: {text}"),
            now,
        )?;
        Ok(next)
    })
}

/// The agency submits its analysis: every line beyond the threshold explained; after the due
/// date the lateness is recorded.
pub fn submit(
    db: &mut Db,
    who: &Principal,
    qt: Quarter,
    region: RegionCode,
    now: i64,
) -> Result<State> {
    agency(db, who, qt, "analysis.submit", region, now)?;
    let on = china_date(now);
    audit::retry(db, 10, |db| {
        let s = drafted(db, qt, region)?;
        editable(Some(&s), qt, region)?;
        let lines = store::lines(db, qt.key(), region, s.version)?;
        let missing: Vec<String> = lines
            .iter()
            .filter(|l| l.beyond && l.explanation.is_empty())
            .map(|l| item_name(&l.item))
            .collect();
        if !missing.is_empty() {
            return Err(AppError::State(tongchou_core::tr!(
                "app-an-explain",
                items = missing.join("、")
            )));
        }
        below_accepted(db, qt, region)?;
        // a returned analysis submitted again unchanged is still a new version of its own
        let s = if s.status == "returned" {
            new_version(db, qt, region, Some(&s), &lines, now)?
        } else {
            s
        };
        let next = State {
            status: "submitted".into(),
            updated_at: iso_time(now),
            ..s
        };
        record(db, who, qt, &next, "submit", "", now)?;
        late(db, who, qt, &next, on, now)?;
        Ok(next)
    })
}

/// A city submits once every county's analysis is accepted, the province once every city's.
fn below_accepted(db: &mut Db, qt: Quarter, region: RegionCode) -> Result<()> {
    let d = Divisions::shanxi();
    let below: Vec<RegionCode> = match d.get(region).map(|r| r.level) {
        Some(Level::City) => d.counties_of(region).map(|r| r.code).collect(),
        Some(Level::Province) => d.cities().map(|r| r.code).collect(),
        _ => return Ok(()),
    };
    let states = store::states(db, qt.key())?;
    let open: Vec<String> = below
        .into_iter()
        .filter(|r| states.get(r).is_none_or(|s| s.status != "accepted"))
        .map(name)
        .collect();
    if open.is_empty() {
        return Ok(());
    }
    Err(AppError::State(tongchou_core::tr!(
        "app-an-below-open",
        count = open.len(),
        open = open.iter().take(3).cloned().collect::<Vec<_>>().join("、")
    )))
}

/// Record the submission of `s` on `on` as late when it is after the due date.
fn late(db: &mut Db, who: &Principal, qt: Quarter, s: &State, on: Date, now: i64) -> Result<()> {
    let due: Date = s
        .due_on
        .parse()
        .map_err(|_| AppError::Invalid(tongchou_core::tr!("app-an-due", due = s.due_on)))?;
    let days_late = due.days_until(on);
    if days_late <= 0 {
        return Ok(());
    }
    let l = Late {
        version: s.version,
        due_on: s.due_on.clone(),
        submitted_on: on.to_string(),
        days_late,
    };
    store::add_late(db, qt.key(), s.region, &l)?;
    audit::append(
        db,
        &Entry {
            actor: &Actor::of(who),
            action: "analysis.late",
            object_type: "budget_analysis",
            object_id: &format!("{}Q{}/{}", qt.year, qt.q, s.region),
            region: Some(s.region.get()),
            result: "ok",
            details: serde_json::json!({"version": s.version, "due_on": l.due_on, "submitted_on": l.submitted_on, "days_late": days_late}),
        },
        now,
    )?;
    Ok(())
}

/// Who reviews a region's analysis: the permission and the region of the reviewer.
fn reviewer_of(region: RegionCode) -> Result<(Permission, RegionCode)> {
    let d = Divisions::shanxi();
    let province = d.province().code;
    match d.get(region).map(|r| r.level) {
        Some(Level::County) => d
            .city_of(region)
            .map(|c| (Permission::BudgetReview, c))
            .ok_or_else(|| {
                AppError::Invalid(tongchou_core::tr!("app-an-no-city", region = region))
            }),
        Some(Level::City) => Ok((Permission::BudgetReview, province)),
        Some(Level::Province) => Ok((Permission::BudgetHrssReview, province)),
        None => Err(AppError::Invalid(tongchou_core::tr!(
            "app-an-no-region",
            region = region
        ))),
    }
}

/// The level above accepts the submitted analysis or returns it with a reason; the reviewer
/// did not draft, explain or submit any version of it.
pub fn review(
    db: &mut Db,
    who: &Principal,
    qt: Quarter,
    region: RegionCode,
    verdict: Verdict<'_>,
    now: i64,
) -> Result<State> {
    let (action, reason) = match verdict {
        Verdict::Accept => ("accept", String::new()),
        Verdict::Return(r) => (
            "return",
            checked_text(r, &tongchou_core::tr!("app-an-return"))?,
        ),
    };
    let (perm, at) = reviewer_of(region)?;
    let act = format!("analysis.{action}");
    allow(db, who, perm, (qt, &act), region, at, now)?;
    audit::retry(db, 10, |db| {
        let s = store::state(db, qt.key(), region)?
            .filter(|s| s.status == "submitted")
            .ok_or_else(|| {
                AppError::State(tongchou_core::tr!(
                    "app-an-not-submitted",
                    region = region,
                    name = name(region),
                    quarter = qt
                ))
            })?;
        let makers = store::actions(db, qt.key(), region)?;
        if makers.iter().any(|a| {
            a.user_id == who.user_id && ["draft", "explain", "submit"].contains(&a.action.as_str())
        }) {
            let id = format!("{}Q{}/{region}", qt.year, qt.q);
            let t = Target {
                action: &act,
                object_type: "budget_analysis",
                object_id: &id,
                region,
            };
            return Err(access::deny(db, who, &t, AccessError::SelfApproval, now).into());
        }
        let next = State {
            status: if action == "accept" {
                "accepted"
            } else {
                "returned"
            }
            .into(),
            updated_at: iso_time(now),
            ..s
        };
        record(db, who, qt, &next, action, &reason, now)?;
        Ok(next)
    })
}

/// A region's analysis of the quarter (its current version; an empty one before any draft).
pub fn show(db: &mut Db, qt: Quarter, region: RegionCode) -> Result<Analysis> {
    if Divisions::shanxi().get(region).is_none() {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-an-no-region",
            region = region
        )));
    }
    let state = store::state(db, qt.key(), region)?;
    let lines = match &state {
        Some(s) => store::lines(db, qt.key(), region, s.version)?,
        None => Vec::new(),
    };
    Ok(Analysis {
        region,
        name: name(region),
        due_on: qt.due_on()?.to_string(),
        actions: store::actions(db, qt.key(), region)?,
        lates: store::lates(db, qt.key(), region)?,
        state,
        lines,
    })
}

/// A deviation as a signed percentage ("-12.34%"), or "—" without an expectation.
pub fn deviation_text(d: &str) -> String {
    match d.parse::<tongchou_core::Ratio>() {
        Ok(r) if r.0 > 0 => format!("+{}", r.as_percent_string()),
        Ok(r) => r.as_percent_string(),
        Err(_) => "—".into(),
    }
}

impl Analysis {
    /// The JSON: region, status, version, due date, lines with names and yuan strings, actions,
    /// late submissions.
    pub fn json(&self, qt: Quarter) -> serde_json::Value {
        let lines: Vec<serde_json::Value> = self
            .lines
            .iter()
            .map(|l| {
                serde_json::json!({
                    "item": l.item,
                    "name": item_name(&l.item),
                    "side": side_of(&l.item),
                    "budget": l.budget.to_string(),
                    "executed": l.executed.to_string(),
                    "expected": l.expected.to_string(),
                    "deviation": if l.deviation.is_empty() { None } else { Some(l.deviation.clone()) },
                    "beyond": l.beyond,
                    "explanation": l.explanation,
                })
            })
            .collect();
        serde_json::json!({
            "report": "budget_analysis",
            "year": qt.year,
            "quarter": qt.q,
            "region": self.region.to_string(),
            "name": self.name,
            "status": self.state.as_ref().map(|s| s.status.clone()),
            "version": self.state.as_ref().map(|s| s.version),
            "due_on": self.due_on,
            "lines": lines,
            "actions": self.actions,
            "late": self.lates,
        })
    }
}

/// 收入 or 支出.
pub fn side_of(key: &str) -> &'static str {
    match Items::standard()
        .items
        .iter()
        .find(|i| i.key == key)
        .map(|i| i.side)
    {
        Some(Side::Expenditure) => "支出",
        _ => "收入",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_core::i18n::{Lang, scope};

    #[test]
    fn a_quarter_and_a_refusal_in_the_readers_language() {
        let qt = Quarter { year: 2021, q: 3 };
        assert_eq!(scope(Lang::ZhCn, || qt.to_string()), "2021 年第 3 季度");
        assert_eq!(scope(Lang::En, || qt.to_string()), "Q3 2021");
        let s = State {
            region: RegionCode::new(140105).expect("r"),
            status: "submitted".into(),
            version: 1,
            due_on: "2021-10-20".into(),
            updated_at: String::new(),
        };
        let said = |lang| {
            scope(lang, || {
                editable(Some(&s), qt, s.region)
                    .expect_err("locked")
                    .to_string()
            })
        };
        assert!(
            said(Lang::ZhCn).contains("2021 年第 3 季度执行分析已报送待审核"),
            "{}",
            said(Lang::ZhCn)
        );
        assert!(
            said(Lang::En).contains("for Q3 2021 is submitted"),
            "{}",
            said(Lang::En)
        );
    }
}

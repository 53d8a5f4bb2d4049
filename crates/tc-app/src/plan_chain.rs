//! The plan chain of the notice (晋政发〔2019〕4号: counties and cities submit their monthly
//! fund-use plans; `../shared/domain/mechanisms.md`):
//!
//! 1. [`propose`]: once the month's payroll has run, a county's plan is proposed from it: what
//!    the payroll needs beyond the balance its expenditure account holds, by item.
//! 2. [`submit`]: the county's agency (a user of that county, `plan_submit`) submits the proposal
//!    with a note; each submission is a new version, every version kept.
//! 3. [`review`]: the city's agency (`plan_review`, a user of the county's city) returns it with a
//!    reason (the county resubmits) or forwards it; never the person who submitted it.
//! 4. [`submit_city`]: once all its counties are forwarded, the city submits its consolidated
//!    plan (the sum of its counties' forwarded versions).
//! 5. The month's `plans` step ([`crate::disburse::run_month`]) waits until every county with a
//!    payroll is forwarded and every city submitted ([`waiting`], naming the regions), then the
//!    provincial bureau applies to the finance department with exactly the submitted figures
//!    ([`county_plans`]). A simulated month ([`simulate`]) plays every county and city through
//!    these same functions in the names of synthetic users (`sim.county.CODE`, `sim.city.CODE`).
//!
//! Every action is kept (`plan_actions`) and audited (`plan.submit`, `plan.return`,
//! `plan.forward`); every refusal is audited (`tongchou_store::access::deny`).

use crate::disburse::{JOB, Step};
use crate::error::{AppError, Result};
use crate::jobs;
use serde::Serialize;
use std::collections::BTreeMap;
use tongchou_core::access::{AccessError, Permission, Principal, Role};
use tongchou_core::region::Level;
use tongchou_core::tr;
use tongchou_core::{Date, Divisions, Fen, Period, RegionCode};
use tongchou_engine::disbursement::{CountyPlan, Item};
use tongchou_ledger::Chart;
use tongchou_store::Db;
use tongchou_store::access::{self, Target, iso_time};
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::ledger::Ledger;
use tongchou_store::plan_chain::{self as store, Action, State, Version};

/// The region's name (`小店区`).
pub fn name(r: RegionCode) -> String {
    Divisions::shanxi()
        .get(r)
        .map(|x| x.name.clone())
        .unwrap_or_default()
}

fn level(r: RegionCode) -> Option<Level> {
    Divisions::shanxi().get(r).map(|x| x.level)
}

/// A state as people read it.
pub fn state_label(s: Option<&str>) -> String {
    match s {
        None => tr!("app-plan-state-none"),
        Some("submitted") => tr!("app-plan-state-submitted"),
        Some("returned") => tr!("app-plan-state-returned"),
        Some("forwarded") => tr!("app-plan-state-forwarded"),
        Some(_) => "?".into(),
    }
}

/// An item as people read it.
pub fn item_label(i: Item) -> &'static str {
    use tongchou_core::i18n::word;
    match i {
        Item::BasicPension => word("item-basic_pension"),
        Item::AdjustmentArrears => word("item-adjustment_arrears"),
        Item::FuneralGrant => word("item-funeral_grant"),
        Item::SurvivorGrant => word("item-survivor_grant"),
        Item::AccountRefund => word("item-account_refund"),
        Item::HeatingSubsidy => word("item-heating_subsidy"),
        Item::ResumedArrears => word("item-resumed_arrears"),
    }
}

fn target<'a>(action: &'a str, object_id: &'a str, region: RegionCode) -> Target<'a> {
    Target {
        action,
        object_type: "fund_plan",
        object_id,
        region,
    }
}

/// A refusal by the rules, audited (inside a transaction: written after it ends).
/// Who acts on which month, when.
struct Ctx<'a> {
    who: &'a Principal,
    month: Period,
    now: i64,
    /// The day the action counts as taken (China's date of `now`; a simulated agency acts on its
    /// deadline).
    on: Date,
}

use crate::clock::china_date;

/// The deadline of a level's plan of `month` (`calendar.county_plan_day` / `city_plan_day` of
/// the month before).
pub fn deadline(month: Period, lvl: &str) -> Result<Date> {
    let policy = tongchou_core::Policy::builtin()?;
    let cal = tongchou_engine::disbursement::Calendar::of(&policy, month)?;
    Ok(if lvl == "city" {
        cal.city_plan_by
    } else {
        cal.county_plan_by
    })
}

fn refuse(db: &mut Db, c: &Ctx<'_>, action: &str, region: RegionCode, e: AccessError) -> AppError {
    let id = format!("{}/{region}", c.month);
    access::deny(db, c.who, &target(action, &id, region), e, c.now).into()
}

/// `p` over `region`, and the user of exactly `at` (a county's own agency, the county's city):
/// refusals audited.
fn allow(
    db: &mut Db,
    c: &Ctx<'_>,
    p: Permission,
    action: &str,
    region: RegionCode,
    at: RegionCode,
) -> Result<()> {
    let id = format!("{}/{region}", c.month);
    access::authorize(db, c.who, p, &target(action, &id, region), c.now)?;
    if c.who.region != at {
        let msg = tr!(
            "app-plan-other-agency",
            region = region,
            name = name(region),
            at = at,
            at_name = name(at)
        );
        return Err(refuse(db, c, action, region, AccessError::Invalid(msg)));
    }
    Ok(())
}

/// The chain of `month` is open: its payroll has run and its application not yet been made.
fn open(db: &mut Db, month: Period) -> Result<()> {
    if !jobs::is_done(db, JOB, month, Step::Payroll.as_str())? {
        return Err(AppError::State(tr!("app-plan-no-payroll", month = month)));
    }
    if jobs::is_done(db, JOB, month, Step::Plans.as_str())? {
        return Err(AppError::State(tr!("app-plan-applied", month = month)));
    }
    Ok(())
}

fn checked_text(text: &str, what: &str) -> Result<String> {
    let t = text.trim();
    if t.chars().count() > 500 || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::Invalid(tr!("app-plan-text-long", what = what)));
    }
    Ok(t.to_string())
}

/// A county's plan as its payroll proposes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Proposal {
    pub county: RegionCode,
    /// What the payroll needs.
    pub need: Fen,
    /// What the county's expenditure account holds.
    pub on_hand: Fen,
    /// What is asked for, by item.
    pub items: BTreeMap<Item, Fen>,
    pub total: Fen,
}

/// The county's plan proposed from its payroll: the need beyond the balance on hand (the items
/// keep the payroll's split while nothing is on hand; otherwise the request is basic pension).
pub fn propose(db: &mut Db, month: Period, county: RegionCode) -> Result<Proposal> {
    let items = store::planned_items(db, month, county)?;
    let need: i64 = items.values().map(|f| f.fen()).sum();
    let on_hand = crate::disburse::available(&mut Ledger::new(db), Chart::standard(), county)?;
    let request = Fen::new((need - on_hand.fen().max(0)).max(0));
    let items = if request.fen() < need {
        BTreeMap::from([(Item::BasicPension, request)])
    } else {
        items
    };
    Ok(Proposal {
        county,
        need: Fen::new(need),
        on_hand,
        items,
        total: request,
    })
}

/// Record an action: the chain's row, the action, the audit entry.
fn record(db: &mut Db, c: &Ctx<'_>, next: &State, action: &str, reason: &str) -> Result<()> {
    let (who, month, now) = (c.who, c.month, c.now);
    store::put_state(db, month, next)?;
    store::add_action(
        db,
        month,
        &Action {
            region: next.region,
            version: next.version,
            action: action.to_string(),
            user_id: who.user_id,
            login: who.login.clone(),
            at: iso_time(now),
            reason: reason.to_string(),
        },
    )?;
    audit::append(
        db,
        &Entry {
            actor: &Actor::of(who),
            action: &format!("plan.{action}"),
            object_type: "fund_plan",
            object_id: &format!("{month}/{}", next.region),
            region: Some(next.region.get()),
            result: "ok",
            details: serde_json::json!({"version": next.version, "level": next.level, "reason": reason}),
        },
        now,
    )?;
    Ok(())
}

/// Write a new version of `region`'s plan, submitted by `who`: returns the new state.
fn new_version(
    db: &mut Db,
    c: &Ctx<'_>,
    region: RegionCode,
    lvl: &str,
    items: BTreeMap<Item, Fen>,
    note: &str,
) -> Result<State> {
    let (who, month, now) = (c.who, c.month, c.now);
    let version = store::versions(db, month, Some(region))?.len() as i64 + 1;
    let total = items.values().try_fold(Fen::ZERO, |a, b| a.try_add(*b))?;
    let at = iso_time(now);
    store::write_version(
        db,
        month,
        &Version {
            region,
            version,
            total,
            note: note.to_string(),
            submitted_by: who.user_id,
            submitted_login: who.login.clone(),
            submitted_at: at.clone(),
            items,
        },
    )?;
    let next = State {
        region,
        level: lvl.to_string(),
        state: "submitted".into(),
        version,
        updated_at: at,
    };
    record(db, c, &next, "submit", note)?;
    let by = deadline(month, lvl)?;
    let days_late = by.days_until(c.on);
    if days_late > 0 {
        let b = store::Breach {
            region,
            version,
            level: lvl.to_string(),
            deadline: by.to_string(),
            submitted_on: c.on.to_string(),
            days_late,
        };
        store::add_breach(db, month, &b)?;
        audit::append(
            db,
            &Entry {
                actor: &Actor::of(who),
                action: "plan.late",
                object_type: "fund_plan",
                object_id: &format!("{month}/{region}"),
                region: Some(region.get()),
                result: "ok",
                details: serde_json::json!({"version": version, "deadline": b.deadline, "submitted_on": b.submitted_on, "days_late": days_late}),
            },
            now,
        )?;
    }
    Ok(next)
}

/// A county's agency submits (or, after a return, resubmits) its plan of `month` with a note:
/// the proposal from its payroll, as a new version.
pub fn submit(
    db: &mut Db,
    who: &Principal,
    month: Period,
    county: RegionCode,
    note: &str,
    now: i64,
) -> Result<State> {
    submit_on(db, who, month, county, None, note, now, china_date(now))
}

/// A county's agency submits its plan of `month` with its own figures by item instead of the
/// proposal's (an adjustment, 调整): every figure at least zero, their total not above what the
/// month's payroll needs, and a note saying why (required). The proposal and the adjustment are
/// both kept in the version's note. Asking less than the proposal leaves lines to a later plan,
/// like a partial approval (nothing strands: `disburse` carries them).
pub fn submit_adjusted(
    db: &mut Db,
    who: &Principal,
    month: Period,
    county: RegionCode,
    items: &BTreeMap<Item, Fen>,
    note: &str,
    now: i64,
) -> Result<State> {
    submit_on(
        db,
        who,
        month,
        county,
        Some(items),
        note,
        now,
        china_date(now),
    )
}

/// A county's adjustment as typed: `ITEM=YUAN` pairs (`basic_pension=1,234,567.89`); an
/// item named twice, an unknown item or a bad amount is refused naming it.
pub fn parse_adjustment<S: AsRef<str>>(pairs: &[S]) -> Result<BTreeMap<Item, Fen>> {
    let mut out = BTreeMap::new();
    for pair in pairs {
        let pair = pair.as_ref();
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| AppError::Invalid(tr!("app-plan-adjust-pair", pair = pair)))?;
        let item = Item::parse(k.trim())
            .ok_or_else(|| AppError::Invalid(tr!("app-plan-adjust-item", item = k.trim())))?;
        let amount = Fen::parse_grouped(v)
            .map_err(|e| AppError::Invalid(format!("{}: {e}", item.as_str())))?;
        if out.insert(item, amount).is_some() {
            return Err(AppError::Invalid(tr!(
                "app-plan-adjust-twice",
                item = item.as_str()
            )));
        }
    }
    Ok(out)
}

/// The items to submit: the proposal's, or the county's adjustment of them (checked), with the
/// note the version keeps.
fn adjusted(
    p: Proposal,
    adjust: Option<&BTreeMap<Item, Fen>>,
    note: &str,
) -> Result<(BTreeMap<Item, Fen>, String)> {
    let Some(items) = adjust else {
        return Ok((p.items, note.to_string()));
    };
    if note.is_empty() {
        return Err(AppError::Invalid(tr!("app-plan-adjust-note")));
    }
    if let Some((i, f)) = items.iter().find(|(_, f)| f.is_negative()) {
        return Err(AppError::Invalid(tr!(
            "app-plan-adjust-negative",
            item = i.as_str(),
            amount = f.grouped()
        )));
    }
    let items: BTreeMap<Item, Fen> = items
        .iter()
        .filter(|(_, f)| f.is_positive())
        .map(|(i, f)| (*i, *f))
        .collect();
    let total = items.values().try_fold(Fen::ZERO, |a, b| a.try_add(*b))?;
    if total > p.need || total == Fen::ZERO {
        return Err(AppError::Invalid(tr!(
            "app-plan-adjust-total",
            total = total.grouped(),
            need = p.need.grouped()
        )));
    }
    let note = tr!(
        "app-plan-adjusted",
        note = note,
        proposed = p.total.grouped(),
        total = total.grouped()
    );
    Ok((items, note))
}

#[allow(clippy::too_many_arguments)]
fn submit_on(
    db: &mut Db,
    who: &Principal,
    month: Period,
    county: RegionCode,
    adjust: Option<&BTreeMap<Item, Fen>>,
    note: &str,
    now: i64,
    on: Date,
) -> Result<State> {
    let note = checked_text(note, "note")?;
    if level(county) != Some(Level::County) {
        return Err(AppError::Invalid(tr!(
            "app-plan-not-county",
            region = county
        )));
    }
    let c = Ctx {
        who,
        month,
        now,
        on,
    };
    allow(
        db,
        &c,
        Permission::PlanSubmit,
        "plan.submit",
        county,
        county,
    )?;
    open(db, month)?;
    audit::retry(db, 10, |db| {
        let s = store::state(db, month, county)?;
        if let Some(s) = s.as_ref().filter(|s| s.state != "returned") {
            return Err(AppError::State(tr!(
                "app-plan-already",
                region = county,
                name = name(county),
                month = month,
                state = state_label(Some(&s.state))
            )));
        }
        let p = propose(db, month, county)?;
        if p.need == Fen::ZERO {
            return Err(AppError::State(tr!(
                "app-plan-nothing",
                region = county,
                name = name(county),
                month = month
            )));
        }
        let (items, note) = adjusted(p, adjust, &note)?;
        new_version(db, &c, county, "county", items, &note)
    })
}

/// The city's verdict on a county's plan.
#[derive(Clone, Copy, Debug)]
pub enum Review<'a> {
    /// Back to the county, with the reason (required).
    Return(&'a str),
    /// On to the city's consolidated plan.
    Forward,
}

/// The level above reviews a submitted plan: a county's city returns it with a reason or
/// forwards it (and may return a forwarded one while the city's own plan is not submitted, e.g.
/// after the province returned it, so that the county answers with a new version and the city's
/// next version carries a new sum); the province returns a city's consolidated plan with a reason (the city answers
/// with a new version; a city's plan is never "forwarded": the province applies with it). The
/// reviewer has not submitted any version of it.
pub fn review(
    db: &mut Db,
    who: &Principal,
    month: Period,
    county: RegionCode,
    verdict: Review<'_>,
    now: i64,
) -> Result<State> {
    let (action, reason) = match verdict {
        Review::Return(r) => ("return", checked_text(r, "reason")?),
        Review::Forward => ("forward", String::new()),
    };
    if action == "return" && reason.is_empty() {
        return Err(AppError::Invalid(tr!("app-plan-return-reason")));
    }
    let d = Divisions::shanxi();
    let city = match level(county) {
        Some(Level::County) => d.city_of(county),
        Some(Level::City) if action == "return" => Some(d.province().code),
        Some(Level::City) => {
            return Err(AppError::Invalid(tr!(
                "app-plan-city-forward",
                region = county,
                name = name(county)
            )));
        }
        _ => None,
    }
    .ok_or_else(|| AppError::Invalid(tr!("app-plan-not-county-or-city", region = county)))?;
    let act = format!("plan.{action}");
    let c = Ctx {
        who,
        month,
        now,
        on: china_date(now),
    };
    allow(db, &c, Permission::PlanReview, &act, county, city)?;
    open(db, month)?;
    audit::retry(db, 10, |db| {
        // a forwarded county plan may still be returned while its city's own plan is not
        // submitted (not yet, or returned by the province): the city reopens what it must change
        let reopenable = action == "return"
            && level(county) == Some(Level::County)
            && store::state(db, month, city)?.is_none_or(|c| c.state == "returned");
        let s = store::state(db, month, county)?
            .filter(|s| s.state == "submitted" || (reopenable && s.state == "forwarded"))
            .ok_or_else(|| {
                AppError::State(tr!(
                    "app-plan-not-awaiting",
                    region = county,
                    name = name(county),
                    month = month
                ))
            })?;
        let submitters = store::versions(db, month, Some(county))?;
        if submitters.iter().any(|v| v.submitted_by == who.user_id) {
            return Err(refuse(db, &c, &act, county, AccessError::SelfApproval));
        }
        let next = State {
            state: if action == "return" {
                "returned"
            } else {
                "forwarded"
            }
            .into(),
            updated_at: iso_time(now),
            ..s
        };
        record(db, &c, &next, action, &reason)?;
        Ok(next)
    })
}

/// The counties that must plan in `month`: those with a payroll to pay.
fn counties_of_city(db: &mut Db, month: Period, city: RegionCode) -> Result<Vec<RegionCode>> {
    let d = Divisions::shanxi();
    Ok(store::counties_with_payroll(db, month)?
        .into_iter()
        .filter(|c| d.city_of(*c) == Some(city))
        .collect())
}

/// The city's agency submits its consolidated plan once every county of it with a payroll has
/// been forwarded: the sum of their forwarded versions, by item.
pub fn submit_city(
    db: &mut Db,
    who: &Principal,
    month: Period,
    city: RegionCode,
    note: &str,
    now: i64,
) -> Result<State> {
    submit_city_on(db, who, month, city, note, now, china_date(now))
}

fn submit_city_on(
    db: &mut Db,
    who: &Principal,
    month: Period,
    city: RegionCode,
    note: &str,
    now: i64,
    on: Date,
) -> Result<State> {
    let note = checked_text(note, "note")?;
    if level(city) != Some(Level::City) {
        return Err(AppError::Invalid(tr!("app-plan-not-city", region = city)));
    }
    let c = Ctx {
        who,
        month,
        now,
        on,
    };
    allow(db, &c, Permission::PlanSubmit, "plan.submit", city, city)?;
    open(db, month)?;
    audit::retry(db, 10, |db| {
        if store::state(db, month, city)?.is_some_and(|s| s.state != "returned") {
            return Err(AppError::State(tr!(
                "app-plan-city-submitted",
                region = city,
                name = name(city),
                month = month
            )));
        }
        let states = store::states(db, month)?;
        let counties = counties_of_city(db, month, city)?;
        let open: Vec<String> = counties
            .iter()
            .filter(|c| states.get(c).map(|s| s.state.as_str()) != Some("forwarded"))
            .map(|c| {
                format!(
                    "{c} {}（{}）",
                    name(*c),
                    state_label(states.get(c).map(|s| s.state.as_str()))
                )
            })
            .collect();
        if counties.is_empty() || !open.is_empty() {
            return Err(AppError::State(tr!(
                "app-plan-counties-open",
                region = city,
                name = name(city),
                open = open.join("、")
            )));
        }
        let mut items: BTreeMap<Item, Fen> = BTreeMap::new();
        for county in &counties {
            for (item, amount) in latest(db, month, *county)?.items {
                let e = items.entry(item).or_default();
                *e = e.try_add(amount)?;
            }
        }
        new_version(db, &c, city, "city", items, &note)
    })
}

/// The latest version of a region's plan.
fn latest(db: &mut Db, month: Period, r: RegionCode) -> Result<Version> {
    store::versions(db, month, Some(r))?
        .pop()
        .ok_or_else(|| AppError::NotFound(tr!("app-plan-none", region = r, month = month)))
}

/// The regions the month's plans step waits for, each with its state: the counties with a
/// payroll not yet forwarded, the cities not yet submitted (empty: the step may apply).
pub fn waiting(db: &mut Db, month: Period) -> Result<Vec<(RegionCode, String)>> {
    let d = Divisions::shanxi();
    let states = store::states(db, month)?;
    let label = |r: &RegionCode| state_label(states.get(r).map(|s| s.state.as_str()));
    let counties = store::counties_with_payroll(db, month)?;
    let mut out: Vec<(RegionCode, String)> = counties
        .iter()
        .filter(|c| states.get(c).map(|s| s.state.as_str()) != Some("forwarded"))
        .map(|c| (*c, label(c)))
        .collect();
    let mut cities: Vec<RegionCode> = counties.iter().filter_map(|c| d.city_of(*c)).collect();
    cities.dedup();
    cities.sort();
    cities.dedup();
    out.extend(
        cities
            .iter()
            .filter(|c| states.get(c).map(|s| s.state.as_str()) != Some("submitted"))
            .map(|c| (*c, label(c))),
    );
    Ok(out)
}

/// "waiting for plans from 140105 小店区（已退回 returned）、140100 太原市（未报送 not submitted）"
pub fn waiting_text(regions: &[(RegionCode, String)]) -> String {
    let named: Vec<String> = regions
        .iter()
        .map(|(r, s)| format!("{r} {}（{s}）", name(*r)))
        .collect();
    tr!("app-plan-waiting", regions = named.join("、"))
}

/// The counties' plans as forwarded (their latest versions), for the month's application.
pub fn county_plans(db: &mut Db, month: Period) -> Result<Vec<CountyPlan>> {
    let mut latest: BTreeMap<RegionCode, Version> = BTreeMap::new();
    for v in store::versions(db, month, None)? {
        latest.insert(v.region, v);
    }
    let mut out = Vec::new();
    for county in store::counties_with_payroll(db, month)? {
        let v = latest.remove(&county).ok_or_else(|| {
            AppError::State(tr!(
                "app-plan-not-submitted",
                region = county,
                month = month
            ))
        })?;
        out.push(CountyPlan {
            county,
            items: v.items,
        });
    }
    Ok(out)
}

/// One plan of the chain as a page or the command line shows it.
#[derive(Clone, Debug, Serialize)]
pub struct PlanRow {
    pub region: RegionCode,
    pub name: String,
    /// None before the first submission.
    pub state: Option<String>,
    pub version: i64,
    /// The latest version's total (None before the first submission).
    pub total: Option<Fen>,
    /// Days the latest version came after its deadline (None: on time, or not submitted).
    pub late_days: Option<i64>,
}

/// Per region, the days its latest version of `month` came late.
fn late_days(db: &mut Db, month: Period) -> Result<BTreeMap<RegionCode, i64>> {
    let states = store::states(db, month)?;
    Ok(store::breaches(db, month)?
        .into_iter()
        .filter(|b| {
            states
                .get(&b.region)
                .is_some_and(|s| s.version == b.version)
        })
        .map(|b| (b.region, b.days_late))
        .collect())
}

/// A city and its counties in the chain.
#[derive(Clone, Debug, Serialize)]
pub struct CityRow {
    pub city: PlanRow,
    pub counties: Vec<PlanRow>,
}

/// Whether the user reads plans: those who submit, review or approve them, or read reports.
pub fn may_read(who: &Principal) -> bool {
    [
        Permission::PlanSubmit,
        Permission::PlanReview,
        Permission::PlanApprove,
        Permission::ReportRead,
    ]
    .iter()
    .any(|p| who.role.has(*p))
}

/// The chain of `month` within the user's region: each city (with a payroll in its counties)
/// and its counties, with their states and latest totals.
pub fn status(db: &mut Db, who: &Principal, month: Period) -> Result<Vec<CityRow>> {
    if !may_read(who) {
        let id = month.to_string();
        let e = AccessError::NoPermission {
            role: who.role,
            permission: Permission::PlanSubmit,
        };
        return Err(access::deny(
            db,
            who,
            &target("plan.status", &id, who.region),
            e,
            crate::clock::now_ms(),
        )
        .into());
    }
    let d = Divisions::shanxi();
    let states = store::states(db, month)?;
    let mut totals: BTreeMap<RegionCode, Fen> = BTreeMap::new();
    for v in store::versions(db, month, None)? {
        totals.insert(v.region, v.total);
    }
    let late = late_days(db, month)?;
    let row = |r: RegionCode| PlanRow {
        region: r,
        name: name(r),
        state: states.get(&r).map(|s| s.state.clone()),
        version: states.get(&r).map(|s| s.version).unwrap_or(0),
        total: totals.get(&r).copied(),
        late_days: late.get(&r).copied(),
    };
    let mut by_city: BTreeMap<RegionCode, Vec<PlanRow>> = BTreeMap::new();
    let mut counties = store::counties_with_payroll(db, month)?;
    counties.extend(
        states
            .values()
            .filter(|s| s.level == "county")
            .map(|s| s.region),
    );
    counties.sort();
    counties.dedup();
    for c in counties {
        let Some(city) = d.city_of(c) else { continue };
        if d.within(c, who.region) || d.within(city, who.region) {
            by_city.entry(city).or_default().push(row(c));
        }
    }
    Ok(by_city
        .into_iter()
        .map(|(city, counties)| CityRow {
            city: row(city),
            counties,
        })
        .collect())
}

/// One region's plan: its state, every version with its items, every action with its reason,
/// and (for a county whose plan may be submitted now) the proposal from its payroll.
#[derive(Clone, Debug, Serialize)]
pub struct PlanView {
    pub month: Period,
    pub row: PlanRow,
    pub versions: Vec<Version>,
    pub actions: Vec<Action>,
    pub proposal: Option<Proposal>,
    /// The chain of the month is open (payroll run, application not yet made).
    pub open: bool,
    /// What is left of the county's approved expenditure budget before the month, beside the
    /// proposal (None without an approved budget or a proposal).
    pub headroom: Option<crate::execution::Headroom>,
    /// The region's deadline for the month's plan (`policy/calendar.toml`).
    pub deadline: Option<Date>,
    /// A forwarded county plan its city may still return (the city's own plan is not
    /// submitted: not yet, or returned by the province).
    pub reopenable: bool,
}

/// The plan of `region` in `month`, for a user whose region holds it (a refusal audited).
pub fn plan(
    db: &mut Db,
    who: &Principal,
    month: Period,
    region: RegionCode,
    now: i64,
) -> Result<PlanView> {
    let id = format!("{month}/{region}");
    let t = target("plan.read", &id, region);
    if !may_read(who) {
        let e = AccessError::NoPermission {
            role: who.role,
            permission: Permission::PlanSubmit,
        };
        return Err(access::deny(db, who, &t, e, now).into());
    }
    if !tongchou_core::access::in_scope(Divisions::shanxi(), who, region) {
        let e = AccessError::OutOfScope {
            region,
            scope: who.region,
        };
        return Err(access::deny(db, who, &t, e, now).into());
    }
    let lvl = level(region);
    if !matches!(lvl, Some(Level::County | Level::City)) {
        return Err(AppError::Invalid(tr!(
            "app-plan-not-county-or-city",
            region = region
        )));
    }
    let state = store::state(db, month, region)?;
    let versions = store::versions(db, month, Some(region))?;
    let actions = store::actions(db, month, Some(region))?;
    let open = open(db, month).is_ok();
    let may_submit = state.as_ref().is_none_or(|s| s.state == "returned");
    let proposal = if open && lvl == Some(Level::County) && may_submit {
        Some(propose(db, month, region)?)
    } else {
        None
    };
    let headroom = match proposal {
        Some(_) => crate::execution::headroom(db, month, region)?,
        None => None,
    };
    let lvl_s = if lvl == Some(Level::City) {
        "city"
    } else {
        "county"
    };
    let reopenable = open
        && state.as_ref().is_some_and(|s| s.state == "forwarded")
        && match Divisions::shanxi().city_of(region) {
            Some(city) if lvl == Some(Level::County) => {
                store::state(db, month, city)?.is_none_or(|c| c.state == "returned")
            }
            _ => false,
        };
    Ok(PlanView {
        reopenable,
        deadline: Some(deadline(month, lvl_s)?),
        headroom,
        month,
        row: PlanRow {
            region,
            name: name(region),
            state: state.as_ref().map(|s| s.state.clone()),
            version: state.as_ref().map(|s| s.version).unwrap_or(0),
            total: versions.last().map(|v| v.total),
            late_days: late_days(db, month)?.get(&region).copied(),
        },
        versions,
        actions,
        proposal,
        open,
    })
}

/// The login of the synthetic agency of a region in a simulated month.
pub fn synthetic_login(r: RegionCode) -> String {
    match level(r) {
        Some(Level::City) => format!("sim.city.{r}"),
        _ => format!("sim.county.{r}"),
    }
}

/// The synthetic agency's user, its display name stored in Chinese (a stored name, as the
/// simulated submissions' note "模拟报送 simulated": data kept in the record, not a message).
fn synthetic(db: &mut Db, r: RegionCode, now: i64) -> Result<Principal> {
    let (role, what) = match level(r) {
        Some(Level::City) => (Role::CityAgency, "市级经办"),
        _ => (Role::CountyAgency, "县级经办"),
    };
    let display = format!("模拟{what} {r} {}", name(r));
    Ok(store::synthetic_user(
        db,
        &synthetic_login(r),
        &display,
        role,
        r,
        now,
    )?)
}

/// A simulated month (demo, `--simulate`, tests): every county with a payroll submits its
/// proposal and its city forwards it, then every city submits, each through the use cases above
/// in the name of its synthetic agency (created once, unable to log in). Picks up where a killed
/// run left off. Returns the number of actions taken.
pub fn simulate(db: &mut Db, month: Period, now: i64) -> Result<usize> {
    // the synthetic agencies act on their level's deadline
    let (county_by, city_by) = (deadline(month, "county")?, deadline(month, "city")?);
    let d = Divisions::shanxi();
    let mut n = 0;
    let counties = store::counties_with_payroll(db, month)?;
    let mut cities: Vec<RegionCode> = counties.iter().filter_map(|c| d.city_of(*c)).collect();
    cities.sort();
    cities.dedup();
    for county in counties {
        let Some(city) = d.city_of(county) else {
            continue;
        };
        let mut s = store::state(db, month, county)?.map(|s| s.state);
        if s.is_none() || s.as_deref() == Some("returned") {
            let who = synthetic(db, county, now)?;
            submit_on(
                db,
                &who,
                month,
                county,
                None,
                "模拟报送 simulated",
                now,
                county_by,
            )?;
            s = Some("submitted".into());
            n += 1;
        }
        if s.as_deref() == Some("submitted") {
            let who = synthetic(db, city, now)?;
            review(db, &who, month, county, Review::Forward, now)?;
            n += 1;
        }
    }
    for city in cities {
        if store::state(db, month, city)?.is_none() {
            let who = synthetic(db, city, now)?;
            submit_city_on(db, &who, month, city, "模拟报送 simulated", now, city_by)?;
            n += 1;
        }
    }
    Ok(n)
}

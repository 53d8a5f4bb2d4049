//! The fund budget (基金预算) of a year, compiled bottom up and approved by procedure:
//!
//! 1. [`draft`]: each book's section is proposed from the ledger (the year before's execution,
//!    scaled to twelve months), the registry (the pensions in force) and the forecast rates,
//!    each a dated parameter (`policy/budget.toml`, the wage series, the year's adjustment) named
//!    in the line's source (`tongchou_core::budget::propose`).
//! 2. [`edit`]: a figure replaced, with a note (and its source); every edit is a new version of
//!    the section, all versions kept.
//! 3. [`submit`]: a county submits; its city reviews ([`review`]: accepts, or returns it with a
//!    reason) and, with all its counties accepted, submits; the province reviews its cities and,
//!    with all accepted, submits the consolidated budget, which must balance.
//! 4. [`decide`]: the HRSS review (`budget_hrss_review`), the finance review
//!    (`budget_finance_review`) and the government's approval (`budget_approve`), each by a user
//!    who has not acted on the budget before (maker–checker throughout); any may return it.
//! 5. [`adjust`]: an approved budget changes only through an adjustment budget (number 1, 2, …)
//!    with its reason, compiled by the province from the approved figures and taken through the
//!    same province chain; it must still balance, and [`show`] puts it beside the original.
//! 6. [`collection_tasks`]: the approved contribution income of each county and city is its
//!    collection task (征缴任务) for the year.
//!
//! Every action is kept (`budget_actions`) and audited (`budget.*`).

use crate::error::{AppError, Result};
use crate::final_accounts;
use std::collections::BTreeMap;
use tongchou_core::access::{self as rules, Permission, Principal};
use tongchou_core::budget::{self as kernel, Forecast, OPENING, Totals};
use tongchou_core::items::{Items, Statement};
use tongchou_core::region::Level;
use tongchou_core::{Divisions, Fen, Policy, Ratio, RegionCode};
use tongchou_core::{i18n, stored, tr};
use tongchou_ledger::chart::level_of;
use tongchou_store::Db;
use tongchou_store::access::{self, Target, iso_time};
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::budget::{self as store, Action, Budget, Line, Section};

/// The stages of the province's chain after compiling, in order, with the permission that
/// moves a budget into each.
pub const CHAIN: [(&str, &str, Permission); 3] = [
    ("hrss", "hrss_reviewed", Permission::BudgetHrssReview),
    (
        "finance",
        "finance_reviewed",
        Permission::BudgetFinanceReview,
    ),
    ("government", "approved", Permission::BudgetApprove),
];

fn name(r: RegionCode) -> String {
    Divisions::shanxi()
        .get(r)
        .map(|x| x.name.clone())
        .unwrap_or_default()
}

fn province() -> RegionCode {
    Divisions::shanxi().province().code
}

/// A book's section's status (`draft`, `submitted`, `accepted`, `returned`; `missing` for a book
/// without its section) as staff read it, in the current language (`budget-st-*` of the
/// catalogue): the page and the command line alike.
pub fn section_status_name(s: &str) -> &'static str {
    use tongchou_core::i18n::word;
    match s {
        "draft" => word("budget-st-draft"),
        "submitted" => word("budget-st-submitted"),
        "accepted" => word("budget-st-accepted"),
        "returned" => word("budget-st-returned"),
        "missing" => word("budget-st-missing"),
        _ => word("budget-other"),
    }
}

/// The budget's stage as staff read it, in the current language (`budget-v-*` of the
/// catalogue).
pub fn stage_name(s: &str) -> &'static str {
    use tongchou_core::i18n::word;
    match s {
        "compiling" => word("budget-v-compiling"),
        "submitted" => word("budget-v-submitted"),
        "hrss_reviewed" => word("budget-v-hrss-reviewed"),
        "finance_reviewed" => word("budget-v-finance-reviewed"),
        "approved" => word("budget-v-approved"),
        _ => word("budget-other"),
    }
}

/// The budget `number` of `year` (the latest when None).
pub fn find(db: &mut Db, year: i32, number: Option<i32>) -> Result<Budget> {
    let all = store::budgets(db, year)?;
    let b = match number {
        Some(n) => all.into_iter().find(|b| b.number == n),
        None => all.into_iter().last(),
    };
    b.ok_or_else(|| match number {
        Some(n) => AppError::NotFound(tr!("app-budget-none-number", year = year, number = n)),
        None => AppError::NotFound(tr!("app-budget-none", year = year)),
    })
}

/// Check a permission over a region, auditing a refusal.
fn allow(
    db: &mut Db,
    who: &Principal,
    p: Permission,
    region: RegionCode,
    action: &str,
    now: i64,
) -> Result<()> {
    let t = Target {
        action,
        object_type: "budget",
        object_id: &region.to_string(),
        region,
    };
    access::authorize(db, who, p, &t, now)?;
    Ok(())
}

/// Record an action of the chain (table and audit log).
fn record(
    db: &mut Db,
    who: &Principal,
    b: &Budget,
    region: RegionCode,
    action: &str,
    reason: &str,
    now: i64,
) -> Result<()> {
    store::add_action(
        db,
        b.id,
        region,
        &Action {
            region: region.get() as i64,
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
            action: &format!("budget.{action}"),
            object_type: "budget",
            object_id: &format!("{}/{}/{region}", b.year, b.number),
            region: Some(region.get()),
            result: "ok",
            details: serde_json::json!({"budget_id": b.id, "reason": reason}),
        },
        now,
    )?;
    Ok(())
}

/// The forecast rates of budget year `year`, from the dated parameters.
pub fn forecast(policy: &Policy, year: i32, months_run: i64) -> Result<Forecast> {
    let on = |y: i32| tongchou_core::Period::new(y, 1).map(|p| p.first_day());
    let (w1, u1) = policy.yuan("wages.all_caliber_avg_annual", on(year - 1)?)?;
    let (w0, u0) = policy.yuan("wages.all_caliber_avg_annual", on(year - 2)?)?;
    let wage = if w0.is_positive() {
        Ratio(
            i64::try_from(
                (w1.fen() - w0.fen()) as i128 * tongchou_core::ratio::RATIO_SCALE as i128
                    / w0.fen() as i128,
            )
            .map_err(|_| AppError::Invalid(tr!("app-budget-wage-growth")))?,
        )
    } else {
        Ratio::ZERO
    };
    let (cov, uc) = policy.ratio("budget.forecast.coverage_growth", on(year)?)?;
    let (adj, ua) = policy.ratio("adjustment.overall_rate", on(year)?)?;
    let (pen, up) = policy.ratio("budget.forecast.pensioner_growth", on(year)?)?;
    let (oth, uo) = policy.ratio("budget.forecast.other_growth", on(year)?)?;
    let st = |u: &tongchou_core::policy::ParamUse| format!("{:?}", u.status).to_lowercase();
    Ok(Forecast {
        months_run,
        contribution_growth: (
            Ratio(wage.0 + cov.0),
            stored!(
                "app-budget-why-contribution",
                wage = wage.as_percent_string(),
                wage_param = u1.name,
                from = year - 2,
                to = year - 1,
                status_from = st(&u0),
                status_to = st(&u1),
                coverage = cov.as_percent_string(),
                coverage_param = uc.name,
                coverage_status = st(&uc)
            ),
        ),
        benefit_growth: (
            Ratio(adj.0 + pen.0),
            stored!(
                "app-budget-why-benefit",
                adjustment = adj.as_percent_string(),
                adjustment_param = ua.name,
                adjustment_status = st(&ua),
                pensioners = pen.as_percent_string(),
                pensioners_param = up.name,
                pensioners_status = st(&up)
            ),
        ),
        other_growth: (
            oth,
            stored!("app-budget-why-other", param = uo.name, status = st(&uo)),
        ),
    })
}

/// Propose the sections of the books within `region` (one book, or all books within the
/// user's region when None) for budget year `year`, creating the year's budget if needed.
/// Books already drafted are left alone. Returns the books drafted.
pub fn draft(
    db: &mut Db,
    policy: &Policy,
    who: &Principal,
    year: i32,
    region: Option<RegionCode>,
    now: i64,
) -> Result<Vec<RegionCode>> {
    let scope = region.unwrap_or(who.region);
    allow(
        db,
        who,
        Permission::BudgetCompile,
        scope,
        "budget.draft",
        now,
    )?;
    let d = Divisions::shanxi();
    let books: Vec<RegionCode> = final_accounts::ordered_books()
        .into_iter()
        .filter(|&r| match region {
            Some(x) => r == x,
            None => d.within(r, who.region),
        })
        .collect();
    if books.is_empty() {
        return Err(AppError::Invalid(tr!("app-close-no-book", region = scope)));
    }
    let exec = final_accounts::compute(db, year - 1)?;
    let months = store::collection_months(db, year - 1)?;
    let f = forecast(policy, year, months)?;
    let pensions: BTreeMap<RegionCode, Fen> = crate::income::monthly_pensions_by_county(db)?
        .into_iter()
        .collect();
    let items = Items::standard();
    let at = iso_time(now);
    audit::retry(db, 10, |db| {
        let b = match store::budgets(db, year)?.into_iter().next() {
            Some(b) => b,
            None => {
                let b = Budget {
                    id: access::random_id()?,
                    year,
                    number: 0,
                    stage: "compiling".into(),
                    created_by: who.user_id,
                    created_at: at.clone(),
                    reason: String::new(),
                };
                store::create(db, &b)?;
                b
            }
        };
        if b.stage != "compiling" {
            return Err(AppError::State(tr!(
                "app-budget-stage-reached",
                year = year,
                stage = b.stage
            )));
        }
        let have = store::sections(db, b.id)?;
        let mut done = Vec::new();
        for &r in &books {
            if have.contains_key(&r) {
                continue;
            }
            let Some(e) = exec.books.iter().find(|x| x.region == r) else {
                continue;
            };
            let monthly = (level_of(r) == Level::County)
                .then(|| pensions.get(&r).copied().unwrap_or(Fen::ZERO));
            let lines: Vec<Line> = kernel::propose(items, &e.own, monthly, &f)?
                .into_iter()
                .map(|p| Line {
                    item: p.item,
                    amount: p.amount,
                    source: p.source,
                    note: String::new(),
                })
                .collect();
            store::put_lines(db, b.id, r, 1, &lines)?;
            store::put_section(
                db,
                b.id,
                &Section {
                    region: r,
                    status: "draft".into(),
                    version: 1,
                    submitted_by: None,
                    updated_at: at.clone(),
                },
            )?;
            record(db, who, &b, r, "draft", "", now)?;
            done.push(r);
        }
        Ok(done)
    })
}

/// The line keys a budget carries: the opening and every item that is not a transfer between
/// levels.
pub fn line_keys() -> Vec<String> {
    std::iter::once(OPENING.to_string())
        .chain(
            Items::standard()
                .items
                .iter()
                .filter(|i| i.role.is_none())
                .map(|i| i.key.clone()),
        )
        .collect()
}

/// One change to a section.
#[derive(Clone, Debug)]
pub struct Change<'a> {
    pub region: RegionCode,
    pub item: &'a str,
    pub amount: Fen,
    pub note: &'a str,
    /// Where the figure comes from (an entered figure's source); default "entered by LOGIN".
    pub source: Option<&'a str>,
}

impl Change<'_> {
    /// The note, trimmed, once the change is well formed (a line key, a one-line note).
    fn checked_note(&self) -> Result<&str> {
        let note = self.note.trim();
        if note.is_empty() || note.chars().count() > 500 || note.contains(['\n', '\r']) {
            return Err(AppError::Invalid(tr!("app-budget-note-change")));
        }
        if !line_keys().iter().any(|k| k == self.item) {
            return Err(AppError::Invalid(tr!(
                "app-budget-item",
                items = line_keys().join(", ")
            )));
        }
        Ok(note)
    }
}

/// Edit a figure of a section (a draft or returned section of a budget still compiling): a new
/// version of the section with the change and its note. Returns the new version.
pub fn edit(
    db: &mut Db,
    who: &Principal,
    year: i32,
    number: Option<i32>,
    c: &Change<'_>,
    now: i64,
) -> Result<i32> {
    let note = c.checked_note()?;
    allow(
        db,
        who,
        Permission::BudgetCompile,
        c.region,
        "budget.edit",
        now,
    )?;
    let b = find(db, year, number)?;
    let at = iso_time(now);
    audit::retry(db, 10, |db| {
        let sections = store::sections(db, b.id)?;
        let s = sections.get(&c.region).ok_or_else(|| {
            AppError::NotFound(tr!(
                "app-budget-no-section",
                region = c.region,
                name = name(c.region)
            ))
        })?;
        let editable = b.stage == "compiling"
            && (s.status == "draft"
                || s.status == "returned"
                || (b.number > 0
                    && level_of(c.region) != Level::Province
                    && s.status == "accepted"));
        if !editable {
            return Err(AppError::State(tr!(
                "app-budget-not-editable",
                region = c.region,
                name = name(c.region),
                status = s.status,
                stage = b.stage
            )));
        }
        let mut lines = store::version_lines(db, b.id, c.region, s.version)?;
        let source = c
            .source
            .map(str::to_string)
            .unwrap_or_else(|| stored!("app-budget-entered", login = who.login));
        match lines.iter_mut().find(|l| l.item == c.item) {
            Some(l) => {
                l.amount = c.amount;
                l.source = source;
                l.note = note.to_string();
            }
            None => lines.push(Line {
                item: c.item.to_string(),
                amount: c.amount,
                source,
                note: note.to_string(),
            }),
        }
        let version = s.version + 1;
        store::put_lines(db, b.id, c.region, version, &lines)?;
        let status = if s.status == "accepted" {
            "accepted"
        } else {
            "draft"
        };
        store::put_section(
            db,
            b.id,
            &Section {
                region: c.region,
                status: status.into(),
                version,
                submitted_by: s.submitted_by,
                updated_at: at.clone(),
            },
        )?;
        record(
            db,
            who,
            &b,
            c.region,
            "edit",
            &format!("{} = {}: {note}", c.item, c.amount),
            now,
        )?;
        Ok(version)
    })
}

/// Every section's lines as item → amount, by region.
pub type Amounts = BTreeMap<RegionCode, BTreeMap<String, Fen>>;

/// The current lines of every section as item → amount.
fn amounts(db: &mut Db, b: &Budget) -> Result<BTreeMap<RegionCode, BTreeMap<String, Fen>>> {
    Ok(store::current_lines(db, b.id)?
        .into_iter()
        .map(|(r, ls)| (r, ls.into_iter().map(|(k, l)| (k, l.amount)).collect()))
        .collect())
}

/// The totals of the books within `region` (its consolidated budget).
pub fn totals_within(
    lines: &BTreeMap<RegionCode, BTreeMap<String, Fen>>,
    region: RegionCode,
) -> Result<Totals> {
    let d = Divisions::shanxi();
    let mut sum: BTreeMap<String, Fen> = BTreeMap::new();
    for (r, ls) in lines {
        if !d.within(*r, region) {
            continue;
        }
        for (k, v) in ls {
            let e = sum.entry(k.clone()).or_default();
            *e = e.try_add(*v)?;
        }
    }
    Totals::of(Items::standard(), &sum).map_err(AppError::Invalid)
}

/// `region` has no section in the budget.
fn no_section(region: RegionCode) -> AppError {
    AppError::NotFound(tr!(
        "app-budget-no-section",
        region = region,
        name = name(region)
    ))
}

/// Submit a section: a county's; a city's once all its counties are accepted; the province's
/// once all its cities are accepted, when the consolidated budget balances (the budget moves to
/// `submitted`).
pub fn submit(
    db: &mut Db,
    who: &Principal,
    year: i32,
    number: Option<i32>,
    region: RegionCode,
    now: i64,
) -> Result<Section> {
    allow(
        db,
        who,
        Permission::BudgetCompile,
        region,
        "budget.submit",
        now,
    )?;
    let b = find(db, year, number)?;
    let at = iso_time(now);
    audit::retry(db, 10, |db| {
        if b.stage != "compiling" {
            return Err(AppError::State(tr!(
                "app-budget-stage-no-submit",
                stage = b.stage
            )));
        }
        let sections = store::sections(db, b.id)?;
        let s = sections.get(&region).ok_or_else(|| no_section(region))?;
        if s.status != "draft" && s.status != "returned" {
            return Err(AppError::State(tr!(
                "app-budget-already",
                region = region,
                name = name(region),
                status = s.status
            )));
        }
        let lower = below(&sections, region);
        let open: Vec<String> = lower
            .iter()
            .filter(|x| x.status != "accepted")
            .map(|x| format!("{} {}（{}）", x.region, name(x.region), x.status))
            .collect();
        if !open.is_empty() {
            return Err(AppError::State(tr!(
                "app-budget-lower-open",
                region = region,
                name = name(region),
                open = open.join("、")
            )));
        }
        let is_province = level_of(region) == Level::Province;
        if is_province {
            let t = totals_within(&amounts(db, &b)?, region)?;
            if !t.balances() {
                return Err(AppError::State(tr!(
                    "app-budget-unbalanced",
                    closing = t.closing.grouped(),
                    opening = t.opening.grouped(),
                    income = t.income.grouped(),
                    expenditure = t.expenditure.grouped()
                )));
            }
            store::set_stage(db, b.id, "compiling", "submitted")?;
        }
        let next = Section {
            region,
            status: if is_province { "accepted" } else { "submitted" }.into(),
            version: s.version,
            submitted_by: Some(who.user_id),
            updated_at: at.clone(),
        };
        store::put_section(db, b.id, &next)?;
        record(db, who, &b, region, "submit", "", now)?;
        Ok(next)
    })
}

/// A reviewer's verdict: accept, or return with a reason.
#[derive(Clone, Copy, Debug)]
pub enum Verdict<'a> {
    Accept,
    Return(&'a str),
}

impl Verdict<'_> {
    fn parts(&self) -> (bool, &str) {
        match self {
            Verdict::Accept => (true, ""),
            Verdict::Return(r) => (false, r.trim()),
        }
    }
}

/// The sections directly below a book (a city's counties, the province's cities).
fn below(sections: &BTreeMap<RegionCode, Section>, region: RegionCode) -> Vec<Section> {
    let d = Divisions::shanxi();
    let next = match level_of(region) {
        Level::Province => Level::City,
        Level::City => Level::County,
        Level::County => return Vec::new(),
    };
    final_accounts::ordered_books()
        .into_iter()
        .filter(|&r| level_of(r) == next && d.within(r, region))
        .map(|r| {
            sections.get(&r).cloned().unwrap_or(Section {
                region: r,
                status: "missing".into(),
                version: 0,
                submitted_by: None,
                updated_at: String::new(),
            })
        })
        .collect()
}

/// The level above reviews a submitted section: accept it, or return it with a reason. The
/// reviewer (`budget_review` over the section's region, at the level above it) is not its
/// submitter.
pub fn review(
    db: &mut Db,
    who: &Principal,
    year: i32,
    number: Option<i32>,
    region: RegionCode,
    verdict: Verdict<'_>,
    now: i64,
) -> Result<Section> {
    let (accept, reason) = verdict.parts();
    if !accept && reason.is_empty() {
        return Err(AppError::Invalid(tr!("app-budget-return-reason")));
    }
    allow(
        db,
        who,
        Permission::BudgetReview,
        region,
        "budget.review",
        now,
    )?;
    if level_of(who.region) >= level_of(region) {
        return Err(AppError::Forbidden(tr!(
            "app-budget-reviewed-above",
            region = region,
            name = name(region)
        )));
    }
    let b = find(db, year, number)?;
    let at = iso_time(now);
    audit::retry(db, 10, |db| {
        let sections = store::sections(db, b.id)?;
        let s = sections.get(&region).ok_or_else(|| no_section(region))?;
        if s.status != "submitted" {
            return Err(AppError::State(tr!(
                "app-budget-not-submitted",
                region = region,
                name = name(region),
                status = s.status
            )));
        }
        if s.submitted_by == Some(who.user_id) {
            return Err(AppError::Forbidden(tr!("app-budget-own")));
        }
        let next = Section {
            status: if accept { "accepted" } else { "returned" }.into(),
            updated_at: at.clone(),
            ..s.clone()
        };
        store::put_section(db, b.id, &next)?;
        record(
            db,
            who,
            &b,
            region,
            if accept { "accept" } else { "return" },
            reason,
            now,
        )?;
        Ok(next)
    })
}

/// A step of the province's chain: the HRSS review (`hrss`), the finance review (`finance`) or
/// the government's approval (`government`), in that order, each by a user who has not acted on
/// the province's budget before; `accept = false` returns it (with a reason) to the province for
/// compiling again. Returns the budget's new stage.
pub fn decide(
    db: &mut Db,
    who: &Principal,
    year: i32,
    number: Option<i32>,
    step: &str,
    verdict: Verdict<'_>,
    now: i64,
) -> Result<String> {
    let (accept, reason) = verdict.parts();
    let Some(i) = CHAIN.iter().position(|(s, _, _)| *s == step) else {
        return Err(AppError::Invalid(tr!("app-budget-stage-arg")));
    };
    if !accept && reason.is_empty() {
        return Err(AppError::Invalid(tr!("app-budget-return-reason")));
    }
    let (_, to, perm) = CHAIN[i];
    let from = if i == 0 { "submitted" } else { CHAIN[i - 1].1 };
    let p = province();
    allow(db, who, perm, p, "budget.decide", now)?;
    let b = find(db, year, number)?;
    if b.stage != from {
        return Err(AppError::State(tr!(
            "app-budget-stage-needs",
            stage = b.stage,
            step = step,
            from = from
        )));
    }
    // maker–checker: nobody who compiled, submitted or reviewed the province's budget decides
    let acted: Vec<i64> = store::actions(db, b.id)?
        .into_iter()
        .filter(|a| {
            a.region == p.get() as i64
                && ["adjust", "edit", "submit", "hrss", "finance"].contains(&a.action.as_str())
        })
        .map(|a| a.user_id)
        .collect();
    for submitter in acted {
        if let Err(e) = rules::check_approval(Divisions::shanxi(), submitter, who, perm, p) {
            let t = Target {
                action: "budget.decide",
                object_type: "budget",
                object_id: &format!("{year}/{}", b.number),
                region: p,
            };
            return Err(access::deny(db, who, &t, e, now).into());
        }
    }
    let at = iso_time(now);
    audit::retry(db, 10, |db| {
        if accept {
            if to == "approved" {
                let t = totals_within(&amounts(db, &b)?, p)?;
                if !t.balances() {
                    return Err(AppError::State(tr!("app-budget-unbalanced-approve")));
                }
            }
            if !store::set_stage(db, b.id, from, to)? {
                return Err(AppError::State(tr!("app-budget-moved")));
            }
            record(db, who, &b, p, step, reason, now)?;
            Ok(to.to_string())
        } else {
            store::set_stage(db, b.id, from, "compiling")?;
            let mut s = store::sections(db, b.id)?
                .remove(&p)
                .ok_or_else(|| AppError::NotFound(tr!("app-budget-no-province-section")))?;
            s.status = "returned".into();
            s.updated_at = at.clone();
            store::put_section(db, b.id, &s)?;
            record(db, who, &b, p, &format!("{step}_return"), reason, now)?;
            Ok("compiling".to_string())
        }
    })
}

/// Open an adjustment of the year's approved budget (the province's bureau), with its reason:
/// a new budget (the next number) starting from the approved figures, every lower section
/// accepted as it stands and the province's to compile. Returns its number.
pub fn adjust(db: &mut Db, who: &Principal, year: i32, reason: &str, now: i64) -> Result<i32> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::Invalid(tr!("app-budget-adjust-reason")));
    }
    let p = province();
    allow(db, who, Permission::BudgetCompile, p, "budget.adjust", now)?;
    let last = find(db, year, None)?;
    if last.stage != "approved" {
        return Err(AppError::State(tr!(
            "app-budget-adjust-stage",
            year = year,
            number = last.number,
            stage = last.stage
        )));
    }
    let at = iso_time(now);
    audit::retry(db, 10, |db| {
        let b = Budget {
            id: access::random_id()?,
            year,
            number: last.number + 1,
            stage: "compiling".into(),
            created_by: who.user_id,
            created_at: at.clone(),
            reason: reason.to_string(),
        };
        store::create(db, &b)?;
        for (r, ls) in store::current_lines(db, last.id)? {
            let lines: Vec<Line> = ls.into_values().collect();
            store::put_lines(db, b.id, r, 1, &lines)?;
            let status = if r == p { "draft" } else { "accepted" };
            store::put_section(
                db,
                b.id,
                &Section {
                    region: r,
                    status: status.into(),
                    version: 1,
                    submitted_by: None,
                    updated_at: at.clone(),
                },
            )?;
        }
        record(db, who, &b, p, "adjust", reason, now)?;
        Ok(b.number)
    })
}

/// The tax bureau's comment on a region's income targets (kept with the budget's actions).
pub fn comment(
    db: &mut Db,
    who: &Principal,
    year: i32,
    number: Option<i32>,
    region: RegionCode,
    note: &str,
    now: i64,
) -> Result<()> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(AppError::Invalid(tr!("app-budget-comment")));
    }
    allow(
        db,
        who,
        Permission::BudgetComment,
        region,
        "budget.comment",
        now,
    )?;
    let b = find(db, year, number)?;
    audit::retry(db, 10, |db| {
        record(db, who, &b, region, "comment", note, now)
    })
}

/// A budget's figures as statements (rows of items for the tables): every book's and every
/// group's, by region.
pub fn statements(
    lines: &BTreeMap<RegionCode, BTreeMap<String, Fen>>,
) -> Result<BTreeMap<RegionCode, (Statement, Option<Statement>)>> {
    let items = Items::standard();
    let d = Divisions::shanxi();
    let one = |ls: &BTreeMap<String, Fen>| -> Result<Statement> {
        let mut amounts = vec![Fen::ZERO; items.items.len()];
        for (k, v) in ls {
            if let Some(i) = items.index(k) {
                amounts[i] = *v;
            }
        }
        let t = Totals::of(items, ls).map_err(AppError::Invalid)?;
        Ok(Statement {
            opening: t.opening,
            amounts,
            adjustment: Fen::ZERO,
            closing: t.closing,
        })
    };
    let mut own = BTreeMap::new();
    for r in final_accounts::ordered_books() {
        let empty = BTreeMap::new();
        own.insert(r, one(lines.get(&r).unwrap_or(&empty))?);
    }
    let mut out = BTreeMap::new();
    for (&r, s) in &own {
        let group = if level_of(r) == Level::County {
            None
        } else {
            let parts: Vec<&Statement> = own
                .iter()
                .filter(|(b, _)| d.within(**b, r))
                .map(|(_, s)| s)
                .collect();
            Some(items.consolidate(&parts)?)
        };
        out.insert(r, (s.clone(), group));
    }
    Ok(out)
}

/// What [`show`] returns.
#[derive(Clone, Debug)]
pub struct View {
    pub budget: Budget,
    pub sections: BTreeMap<RegionCode, Section>,
    pub lines: BTreeMap<RegionCode, BTreeMap<String, Line>>,
    pub actions: Vec<Action>,
    /// For an adjustment: the budget it adjusts (the one before), its lines as amounts.
    pub before: Option<(Budget, Amounts)>,
}

/// A budget with its sections, current lines, actions and, for an adjustment, the budget it
/// adjusts.
pub fn show(db: &mut Db, year: i32, number: Option<i32>) -> Result<View> {
    let budget = find(db, year, number)?;
    let before = if budget.number > 0 {
        let prev = find(db, year, Some(budget.number - 1))?;
        let a = amounts(db, &prev)?;
        Some((prev, a))
    } else {
        None
    };
    Ok(View {
        sections: store::sections(db, budget.id)?,
        lines: store::current_lines(db, budget.id)?,
        actions: store::actions(db, budget.id)?,
        budget,
        before,
    })
}

impl View {
    pub fn amounts(&self) -> BTreeMap<RegionCode, BTreeMap<String, Fen>> {
        self.lines
            .iter()
            .map(|(r, ls)| (*r, ls.iter().map(|(k, l)| (k.clone(), l.amount)).collect()))
            .collect()
    }

    /// The JSON of the budget within `region`.
    pub fn json(&self, region: RegionCode) -> Result<serde_json::Value> {
        let d = Divisions::shanxi();
        let now = self.amounts();
        let items = Items::standard();
        let label = |k: &str| -> String {
            if k == OPENING {
                items.labels.opening.clone()
            } else {
                items
                    .index(k)
                    .map(|i| items.items[i].name.clone())
                    .unwrap_or_else(|| k.to_string())
            }
        };
        let mut regions = Vec::new();
        for r in final_accounts::ordered_books()
            .into_iter()
            .filter(|&r| d.within(r, region))
        {
            let lines: Vec<serde_json::Value> = self
                .lines
                .get(&r)
                .map(|ls| {
                    ls.values()
                        .map(|l| {
                            let was = self.before.as_ref().and_then(|(_, b)| b.get(&r)).and_then(|b| b.get(&l.item));
                            serde_json::json!({
                                "item": l.item, "name": label(&l.item), "amount": l.amount.to_string(),
                                "before": was.map(|f| f.to_string()), "source": i18n::shown(&l.source), "note": l.note,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            let t = totals_within(&now, r)?;
            regions.push(serde_json::json!({
                "region": r.to_string(), "name": name(r), "level": level_of(r).as_str(),
                "status": self.sections.get(&r).map(|s| s.status.clone()),
                "version": self.sections.get(&r).map(|s| s.version),
                "lines": lines, "consolidated": t,
            }));
        }
        Ok(serde_json::json!({
            "report": "budget", "year": self.budget.year, "number": self.budget.number,
            "stage": self.budget.stage, "reason": self.budget.reason,
            "regions": regions, "actions": self.actions,
        }))
    }
}

/// The collection task (征缴任务) of every county and city for `year`: the contribution income
/// of the latest approved budget (a city's: its counties' and its own).
pub fn collection_tasks(db: &mut Db, year: i32) -> Result<Option<BTreeMap<RegionCode, Fen>>> {
    let Some(b) = store::budgets(db, year)?
        .into_iter()
        .rev()
        .find(|b| b.stage == "approved")
    else {
        return Ok(None);
    };
    let lines = amounts(db, &b)?;
    let d = Divisions::shanxi();
    let mut out = BTreeMap::new();
    for r in final_accounts::ordered_books() {
        let mut task = Fen::ZERO;
        for (b, ls) in &lines {
            if d.within(*b, r) {
                task = task.try_add(ls.get("contribution").copied().unwrap_or(Fen::ZERO))?;
            }
        }
        out.insert(r, task);
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_core::i18n::{Lang, scope};

    #[test]
    fn a_stage_is_named_in_the_readers_language() {
        assert_eq!(scope(Lang::ZhCn, || stage_name("compiling")), "编制中");
        assert_eq!(scope(Lang::En, || stage_name("approved")), "Approved");
        for s in ["submitted", "hrss_reviewed", "finance_reviewed", "other"] {
            let (zh, en) = (
                scope(Lang::ZhCn, || stage_name(s)),
                scope(Lang::En, || stage_name(s)),
            );
            assert!(!zh.is_ascii() && en.is_ascii(), "{s}: {zh} / {en}");
        }
    }
}

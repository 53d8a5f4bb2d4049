//! Gap sharing (缺口分担, 晋政发〔2019〕4号 二(三), mechanisms.md §2): `compute` a year's gap
//! from the ledger and the registry with the pure kernel `tongchou_engine::gap` and record it
//! (each county's shares by cause and level, and each bearing government's liability recognised
//! in its own book), `show` it with what is paid and overdue, and `settle` a government's
//! payment into the provincial fiscal special account through the ledger.
//!
//! Inputs of year Y: every book's own expenditure and income of the year from the ledger (flows
//! between levels and the gap-sharing money itself left out); per county the collection task
//! ([`crate::warn::collection_task`], the budget's stand-in), the contributions collected for the
//! year's months, the non-compliant benefits (recovery cases of the year's months not recovered),
//! and the factor values (pensioners and contributors in December, the contributions assessed).

use crate::ledger_refs::Reference;
use crate::reports::sheet::{Cell, Col, Sheet};
use crate::reports::{name_of, scope};
use crate::{AppError, Result};
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use tongchou_core::access::{Principal, Role};
use tongchou_core::region::Level;
use tongchou_core::rules::governance::GapTerms;
use tongchou_core::{Date, Divisions, Fen, Period, Policy, RegionCode};
use tongchou_engine::gap::{self, Cause, CountyYear, Inputs, Outcome};
use tongchou_ledger::flows::{Doc, gap_recognition, gap_settlement};
use tongchou_ledger::{Chart, Class, Request};
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::governance::{self as store, GapSettlement, GapShareRow, GapYear};
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, reports};

/// Every book's own expenditure and income of `year` (gap-sharing money and flows between levels
/// left out), by region.
pub(crate) fn year_books(db: &mut Db, year: i32) -> Result<BTreeMap<RegionCode, (Fen, Fen)>> {
    let chart = Chart::standard();
    let through = Period::new(year, 12)?.last_day();
    let mut out: BTreeMap<RegionCode, (Fen, Fen)> = BTreeMap::new();
    for ((id, month), f) in store::flows_by_month(db, through)? {
        let (Some(kind), Some(region)) = (chart.kind_of(id), id.region()) else {
            continue;
        };
        if month / 100 != year || kind.pair.is_some() {
            continue;
        }
        let e = out.entry(region).or_insert((Fen::ZERO, Fen::ZERO));
        match kind.class {
            Class::Expenditure => e.0 = e.0.try_add(Fen::new(f.debits - f.credits))?,
            Class::Income => e.1 = e.1.try_add(Fen::new(f.credits - f.debits))?,
            _ => {}
        }
    }
    Ok(out)
}

/// The kernel's inputs of `year`.
pub fn inputs(db: &mut Db, year: i32) -> Result<Inputs> {
    let d = Divisions::shanxi();
    let december = Period::new(year, 12)?;
    let books = year_books(db, year)?;
    let mut counties: BTreeMap<i64, CountyYear> = d
        .counties()
        .map(|c| {
            let (expenditure, income) = books.get(&c.code).copied().unwrap_or_default();
            (
                c.code.get() as i64,
                CountyYear {
                    county: c.code,
                    expenditure,
                    income,
                    task: Fen::ZERO,
                    contributions: Fen::ZERO,
                    noncompliant: Fen::ZERO,
                    pensioners: 0,
                    contributors: 0,
                    base_total: Fen::ZERO,
                },
            )
        })
        .collect();
    let (mut other_expenditure, mut other_income) = (Fen::ZERO, Fen::ZERO);
    for (region, (e, i)) in &books {
        if !counties.contains_key(&(region.get() as i64)) {
            other_expenditure = other_expenditure.try_add(*e)?;
            other_income = other_income.try_add(*i)?;
        }
    }
    for (county, task) in crate::warn::collection_task(db, december)? {
        if let Some(c) = counties.get_mut(&county) {
            c.task = task;
            c.base_total = task;
        }
    }
    for m in 1..=12 {
        for (county, collected, _) in reports::collected_by_county(db, Period::new(year, m)?)? {
            if let Some(c) = counties.get_mut(&county) {
                c.contributions = c.contributions.try_add(collected)?;
            }
        }
    }
    for (county, amount) in store::noncompliant_by_county(db, year)? {
        if let Some(c) = counties.get_mut(&county) {
            c.noncompliant = amount;
        }
    }
    for (county, n) in store::pensioners_by_county(db, december)? {
        if let Some(c) = counties.get_mut(&county) {
            c.pensioners = n;
        }
    }
    for (county, n) in reports::contributors_by_county(db, december)? {
        if let Some(c) = counties.get_mut(&county) {
            c.contributors = n;
        }
    }
    Ok(Inputs {
        counties: counties.into_values().collect(),
        other_expenditure,
        other_income,
    })
}

fn may(who: &Principal, roles: &[Role], what: &str) -> Result<()> {
    let province = Divisions::shanxi().province().code;
    if roles.contains(&who.role) && who.region == province {
        return Ok(());
    }
    let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    Err(AppError::Forbidden(tongchou_core::tr!(
        "app-gap-denied",
        what = what,
        roles = roles.join(" / "),
        role = who.role.as_str(),
        region = who.region
    )))
}

fn rows_of(year: i32, o: &Outcome) -> Vec<GapShareRow> {
    o.counties
        .iter()
        .flat_map(|c| {
            c.shares.iter().map(move |s| GapShareRow {
                year,
                county: c.county.get() as i64,
                cause: s.cause.as_str().into(),
                level: s.level.as_str().into(),
                region: s.region.get() as i64,
                amount: s.amount,
                paid: Fen::ZERO,
                explanation: s.explanation.clone(),
            })
        })
        .collect()
}

/// Each bearing government's total of `shares`.
fn by_government(shares: &[GapShareRow]) -> Result<BTreeMap<i64, Fen>> {
    let mut out: BTreeMap<i64, Fen> = BTreeMap::new();
    for s in shares {
        let e = out.entry(s.region).or_default();
        *e = e.try_add(s.amount)?;
    }
    Ok(out)
}

fn ledger_submit(db: &mut Db, reqs: &[Request]) -> Result<()> {
    for (r, x) in reqs.iter().zip(Ledger::new(db).submit(reqs)?) {
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

fn receivables(shares: &[GapShareRow]) -> Result<Vec<tongchou_ledger::AccountId>> {
    let chart = Chart::standard();
    by_government(shares)?
        .keys()
        .map(|r| {
            RegionCode::from_stored(*r)
                .and_then(|c| chart.account(c, "gap_share_receivable"))
                .ok_or_else(|| {
                    AppError::State(tongchou_core::tr!("app-gap-receivable", region = r))
                })
        })
        .collect()
}

/// A year already recorded: `false` when the ledger and registry give the same figures again,
/// else refused (the record stands; the difference is reported).
fn recorded_again(
    db: &mut Db,
    stored: &GapYear,
    outcome: &Outcome,
    shares: &[GapShareRow],
) -> Result<bool> {
    let same = stored.gap == outcome.gap
        && store::gap_shares(db, stored.year, None)?
            .iter()
            .map(|s| s.amount)
            .eq(shares.iter().map(|s| s.amount));
    if same {
        return Ok(false);
    }
    Err(AppError::State(tongchou_core::tr!(
        "app-gap-recorded",
        year = stored.year,
        on = stored.computed_at,
        recorded = stored.gap.grouped(),
        now = outcome.gap.grouped()
    )))
}

/// Compute the gap of `year` and record it on `on`: the year's figures, every county's shares,
/// and each bearing government's liability recognised in its book (`gap/{year}/{region}`),
/// audited (`gap.compute`). A year already recorded is not recorded again: the same figures
/// return `false`, other figures are refused (the record stands; the difference is reported).
pub fn compute(
    db: &mut Db,
    who: &Principal,
    year: i32,
    on: Date,
    at: &str,
    now_ms: i64,
) -> Result<bool> {
    may(
        who,
        &[Role::ProvinceBureauOfficer, Role::FinanceOfficer],
        tongchou_core::i18n::word("app-gap-what-compute"),
    )?;
    if on <= Period::new(year, 12)?.last_day() {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-gap-on",
            year = year,
            on = on
        )));
    }
    let policy = Policy::builtin()?;
    let terms = GapTerms::at(&policy, Period::new(year, 12)?.last_day())?;
    let outcome = gap::compute(Divisions::shanxi(), &inputs(db, year)?, &terms).map_err(|e| {
        AppError::Invalid(tongchou_core::tr!(
            "app-gap-compute",
            year = year,
            error = e
        ))
    })?;
    let shares = rows_of(year, &outcome);
    if let Some(stored) = store::gap_year(db, year)? {
        return recorded_again(db, &stored, &outcome, &shares);
    }
    let accounts = receivables(&shares)?;
    Ledger::new(db).open_accounts(&accounts)?;
    let row = GapYear {
        year,
        expenditure: outcome.expenditure,
        income: outcome.income,
        gap: outcome.gap,
        shortfall: outcome.shortfall,
        noncompliant: outcome.noncompliant,
        policy: outcome.policy,
        due: terms.due_date(year)?,
        parameters: serde_json::to_string(&terms.uses)
            .map_err(|e| AppError::Invalid(e.to_string()))?,
        computed_by: who.login.clone(),
        computed_at: at.to_string(),
    };
    let chart = Chart::standard();
    let reference = Reference::GapSharing { year }.to_string();
    let mut reqs = Vec::new();
    for (region, amount) in by_government(&shares)? {
        let code = RegionCode::from_stored(region).ok_or_else(|| {
            AppError::State(tongchou_core::tr!("app-region-bad", region = region))
        })?;
        if amount.is_positive() {
            let key = format!("gap/{year}/{region}");
            let doc = Doc {
                key: &key,
                reference: &reference,
                date: on,
            };
            reqs.push(gap_recognition(chart, doc, code, amount)?);
        }
    }
    db.transaction(|db| {
        store::insert_gap(db, &row, &shares)?;
        ledger_submit(db, &reqs)?;
        audit::append(
            db,
            &Entry {
                actor: &Actor::of(who),
                action: "gap.compute",
                object_type: "gap_year",
                object_id: &year.to_string(),
                region: Some(Divisions::shanxi().province().code.get()),
                result: "ok",
                details: json!({
                    "gap_fen": outcome.gap.fen(),
                    "shortfall_fen": outcome.shortfall.fen(),
                    "noncompliant_fen": outcome.noncompliant.fen(),
                    "policy_fen": outcome.policy.fen(),
                    "on": on.to_string(),
                }),
            },
            now_ms,
        )?;
        Ok(true)
    })
}

/// A recorded year's gap with what is paid, as of a day.
#[derive(Clone, Debug)]
pub struct GapView {
    pub year: GapYear,
    pub shares: Vec<GapShareRow>,
    pub settlements: Vec<GapSettlement>,
    pub as_of: Date,
}

/// The recorded gap of `year` as of `as_of` (overdue: unpaid after the due date).
pub fn show(db: &mut Db, year: i32, as_of: Date) -> Result<GapView> {
    let y = store::gap_year(db, year)?
        .ok_or_else(|| AppError::NotFound(tongchou_core::tr!("app-gap-none", year = year)))?;
    Ok(GapView {
        shares: store::gap_shares(db, year, None)?,
        settlements: store::gap_settlements(db, year)?,
        year: y,
        as_of,
    })
}

/// A government's payment of its gap shares of a year.
#[derive(Clone, Copy, Debug)]
pub struct Payment {
    pub year: i32,
    /// The paying government: the province, a city or a county.
    pub region: RegionCode,
    /// What is paid; everything outstanding when `None`.
    pub amount: Option<Fen>,
    /// The day the money arrived in the provincial fiscal special account.
    pub on: Date,
}

/// Record a government's payment of its shares of `year` into the provincial fiscal special
/// account (all that is outstanding, or `amount`), dated `on`: the shares are paid in order
/// (county, cause, level), the ledger unit clears the receivable, audited (`gap.settle`).
/// Returns the amount paid.
pub fn settle(db: &mut Db, who: &Principal, p: &Payment, at: &str, now_ms: i64) -> Result<Fen> {
    let Payment {
        year,
        region,
        amount,
        on,
    } = *p;
    may(
        who,
        &[Role::FinanceOfficer, Role::FinanceApprover],
        tongchou_core::i18n::word("app-gap-what-settle"),
    )?;
    store::gap_year(db, year)?
        .ok_or_else(|| AppError::NotFound(tongchou_core::tr!("app-gap-none", year = year)))?;
    let mut shares = store::gap_shares(db, year, Some(region.get() as i64))?;
    let outstanding = Fen::try_sum(
        shares
            .iter()
            .map(|s| s.amount.fen() - s.paid.fen())
            .map(Fen::new),
    )?;
    let pay = amount.unwrap_or(outstanding);
    if !pay.is_positive() || pay > outstanding {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-gap-amount",
            region = region,
            owed = outstanding.grouped(),
            year = year
        )));
    }
    let mut left = pay;
    let mut changed = Vec::new();
    for s in &mut shares {
        let open = Fen::new(s.amount.fen() - s.paid.fen());
        let part = open.min(left);
        if part.is_positive() {
            s.paid = s.paid.try_add(part)?;
            left = left.try_sub(part)?;
            changed.push(s.clone());
        }
    }
    let seq = store::gap_settlements(db, year)?
        .iter()
        .filter(|s| s.region == region.get() as i64)
        .count() as i64
        + 1;
    let key = format!("gap/{year}/settle/{region}/{seq}");
    let reference = Reference::GapReceived { year }.to_string();
    let reqs = gap_settlement(
        Chart::standard(),
        Doc {
            key: &key,
            reference: &reference,
            date: on,
        },
        region,
        pay,
    )?;
    let row = GapSettlement {
        year,
        region: region.get() as i64,
        seq,
        amount: pay,
        paid_on: on,
        transfer_key: key.clone(),
        recorded_by: who.login.clone(),
        recorded_at: at.to_string(),
    };
    db.transaction(|db| {
        for s in &changed {
            store::set_share_paid(db, s)?;
        }
        store::insert_settlement(db, &row)?;
        ledger_submit(db, &reqs)?;
        audit::append(
            db,
            &Entry {
                actor: &Actor::of(who),
                action: "gap.settle",
                object_type: "gap_settlement",
                object_id: &key,
                region: Some(region.get()),
                result: "ok",
                details: json!({"year": year, "amount_fen": pay.fen(), "on": on.to_string()}),
            },
            now_ms,
        )?;
        Ok(pay)
    })
}

fn causes_of(shares: &[&GapShareRow]) -> Result<[Fen; 3]> {
    let mut out = [Fen::ZERO; 3];
    for s in shares {
        let i = Cause::ALL
            .iter()
            .position(|c| c.as_str() == s.cause)
            .ok_or_else(|| AppError::State(tongchou_core::tr!("app-gap-cause", cause = s.cause)))?;
        out[i] = out[i].try_add(s.amount)?;
    }
    Ok(out)
}

fn overdue(v: &GapView, s: &GapShareRow) -> bool {
    v.as_of > v.year.due && s.paid < s.amount
}

/// The view as JSON: `year`, `gap`, `due_date`, `regions` [{`region`, `name`, `gap`, `causes`
/// {cause → yuan}, `shares` [{`level`, `region`, `cause`, `amount`, `paid`, `overdue`,
/// `explanation`}]}], `governments` [{`region`, `amount`, `paid`, `outstanding`, `overdue`}];
/// counties within `region`.
pub fn json(v: &GapView, region: Option<RegionCode>) -> Result<Json> {
    let (d, within, _) = scope(region)?;
    let mut by_county: BTreeMap<i64, Vec<&GapShareRow>> = BTreeMap::new();
    for s in &v.shares {
        by_county.entry(s.county).or_default().push(s);
    }
    let mut regions = Vec::new();
    for (county, shares) in &by_county {
        let inside = RegionCode::from_stored(*county).is_some_and(|c| d.within(c, within));
        if !inside {
            continue;
        }
        let causes = causes_of(shares)?;
        let gap = Fen::try_sum(causes)?;
        let mut c = serde_json::Map::new();
        for (cause, amount) in Cause::ALL.iter().zip(causes) {
            c.insert(cause.as_str().into(), json!(amount.to_string()));
        }
        regions.push(json!({
            "region": county,
            "name": name_of(d, *county),
            "gap": gap.to_string(),
            "causes": c,
            "shares": shares.iter().map(|s| json!({
                "level": s.level,
                "region": s.region,
                "cause": s.cause,
                "amount": s.amount.to_string(),
                "paid": s.paid.to_string(),
                "overdue": overdue(v, s),
                "explanation": tongchou_core::i18n::shown(&s.explanation),
            })).collect::<Vec<_>>(),
        }));
    }
    Ok(json!({
        "report": "gap",
        "year": v.year.year,
        "gap": v.year.gap.to_string(),
        "expenditure": v.year.expenditure.to_string(),
        "income": v.year.income.to_string(),
        "due_date": v.year.due.to_string(),
        "as_of": v.as_of.to_string(),
        "regions": regions,
        "governments": governments(v, d, within)?,
    }))
}

/// Per bearing government within `within`: its liability, paid, outstanding, overdue.
fn governments(v: &GapView, d: &Divisions, within: RegionCode) -> Result<Vec<Json>> {
    let mut by: BTreeMap<i64, (Fen, Fen, bool)> = BTreeMap::new();
    for s in &v.shares {
        let e = by.entry(s.region).or_default();
        e.0 = e.0.try_add(s.amount)?;
        e.1 = e.1.try_add(s.paid)?;
        e.2 |= overdue(v, s);
    }
    Ok(by
        .into_iter()
        .filter(|(r, (amount, _, _))| {
            amount.is_positive() && RegionCode::from_stored(*r).is_some_and(|c| d.within(c, within))
        })
        .map(|(r, (amount, paid, late))| {
            json!({
                "region": r,
                "name": name_of(d, r),
                "amount": amount.to_string(),
                "paid": paid.to_string(),
                "outstanding": Fen::new(amount.fen() - paid.fen()).to_string(),
                "overdue": late,
            })
        })
        .collect())
}

const COLS: [Col; 9] = [
    Col::new("county", "区县 county"),
    Col::new("name", "名称 name"),
    Col::new("cause", "成因 cause"),
    Col::new("level", "承担层级 level"),
    Col::new("region", "承担地区 bearer"),
    Col::new("amount", "分担金额 amount"),
    Col::new("paid", "已到账 paid"),
    Col::new("overdue", "逾期 overdue"),
    Col::new("explanation", "说明 explanation"),
];

/// The view as one table: a row per non-zero share of the counties within `region`, with the
/// year's total.
pub fn sheet(v: &GapView, region: Option<RegionCode>) -> Result<Sheet> {
    /// A stored level (`county`) in the current language (`县级`), else as stored.
    fn level_shown(stored: &str) -> String {
        let level = [Level::Province, Level::City, Level::County]
            .into_iter()
            .find(|l| l.as_str() == stored);
        match level {
            Some(l) => crate::close::level_name(l).to_string(),
            None => stored.to_string(),
        }
    }
    let (d, within, _) = scope(region)?;
    let mut rows = Vec::new();
    let (mut total, mut paid) = (Fen::ZERO, Fen::ZERO);
    for s in &v.shares {
        let inside = RegionCode::from_stored(s.county).is_some_and(|c| d.within(c, within));
        if !inside || s.amount.is_zero() {
            continue;
        }
        total = total.try_add(s.amount)?;
        paid = paid.try_add(s.paid)?;
        let cause = Cause::ALL
            .iter()
            .find(|c| c.as_str() == s.cause)
            .map(|c| c.name())
            .unwrap_or("");
        rows.push(vec![
            Cell::Text(s.county.to_string()),
            Cell::Text(name_of(d, s.county)),
            Cell::Text(cause.into()),
            Cell::Text(level_shown(&s.level)),
            Cell::Text(format!("{} {}", s.region, name_of(d, s.region))),
            Cell::Money(s.amount),
            Cell::Money(s.paid),
            Cell::Text(if overdue(v, s) {
                tongchou_core::i18n::word("gap-overdue-mark").into()
            } else {
                String::new()
            }),
            Cell::Text(tongchou_core::i18n::shown(&s.explanation)),
        ]);
    }
    Ok(Sheet {
        title: tongchou_core::tr!(
            "app-rep-gap-title",
            year = v.year.year,
            expenditure = v.year.expenditure.grouped(),
            income = v.year.income.grouped(),
            gap = v.year.gap.grouped(),
            due = v.year.due
        ),
        name: tongchou_core::tr!("app-rep-gap-sheet", year = v.year.year),
        meta: vec![
            ("report", json!("gap")),
            ("year", json!(v.year.year)),
            ("region", json!(within.get())),
            ("region_name", json!(name_of(d, within.get() as i64))),
        ],
        cols: COLS.to_vec(),
        rows,
        total: Some(vec![
            Cell::Text(tongchou_core::tr!("app-rep-total")),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Money(total),
            Cell::Money(paid),
            Cell::Empty,
            Cell::Empty,
        ]),
        extras: vec![],
    })
}

//! Money that reaches the provincial fiscal special account other than contributions: fiscal
//! subsidies by level, central transfers and central adjustment allocations, interest, other
//! income; and the one-off remittance of historical city and county balances (demand deposits
//! by 2020-01-31, fixed deposits when they mature).

use crate::collect::county_income_requests;
use crate::error::{AppError, Result};
use crate::ledger_refs::Reference;
use serde::Serialize;
use tongchou_core::period::{Date, Period};
use tongchou_core::region::Level;
use tongchou_core::{Divisions, Fen, RegionCode};
use tongchou_ledger::flows::{Doc, remittance};
use tongchou_ledger::{Chart, Request};
use tongchou_store::Db;
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::income as store;
pub use tongchou_store::income::HistoricalBalance;
use tongchou_store::ledger::Ledger;

/// Income kinds that can be recorded, with the chart account and category each books to.
pub const KINDS: &[(&str, &str, &str)] = &[
    ("subsidy-central", "subsidy_central", "subsidy"),
    ("subsidy-province", "subsidy_province", "subsidy"),
    ("subsidy-city", "subsidy_city", "subsidy"),
    ("subsidy-county", "subsidy_county", "subsidy"),
    (
        "central-adjustment",
        "central_adjustment_income",
        "central_adjustment",
    ),
    (
        "national-pooling",
        "national_pooling_income",
        "central_adjustment",
    ),
    ("interest", "interest_income", "interest"),
    ("other", "other_income", "other"),
];

fn submit(ledger: &mut Ledger<'_>, reqs: &[Request]) -> Result<bool> {
    let res = ledger.submit(reqs)?;
    let mut created = false;
    for (r, x) in reqs.iter().zip(res) {
        match x {
            Ok(tongchou_ledger::Outcome::Created { .. }) => created = true,
            Ok(tongchou_ledger::Outcome::Exists { .. }) => {}
            Err(e) => {
                return Err(AppError::Invalid(tongchou_core::tr!(
                    "app-ledger-refused",
                    key = r.key,
                    reason = e
                )));
            }
        }
    }
    Ok(created)
}

/// Income arriving in the provincial fiscal special account, as a user records it.
#[derive(Clone, Copy, Debug)]
pub struct Income<'a> {
    /// A unique key of the business event (e.g. the treasury's voucher number).
    pub key: &'a str,
    /// The province, a city or a county whose income it is.
    pub region: RegionCode,
    /// One of [`KINDS`].
    pub kind: &'a str,
    pub amount: Fen,
    /// Value date.
    pub date: Date,
    /// The document it comes from.
    pub reference: &'a str,
}

/// Record income of a region (the province, a city or a county) arriving in the provincial
/// fiscal special account, by `who`, audited (`income.record`) in the same transaction.
/// Idempotent by key: recording the same income again changes nothing (and audits nothing) and
/// returns false.
pub fn record(db: &mut Db, who: &Actor, now_ms: i64, income: &Income<'_>) -> Result<bool> {
    let (key, region, kind, amount) = (income.key, income.region, income.kind, income.amount);
    let (date, reference) = (income.date, income.reference);
    let (_, account, category) = KINDS.iter().find(|k| k.0 == kind).ok_or_else(|| {
        AppError::Invalid(tongchou_core::tr!(
            "app-inc-kind",
            kind = format!("{kind:?}"),
            kinds = KINDS.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
        ))
    })?;
    if !amount.is_positive() {
        return Err(AppError::Invalid(tongchou_core::tr!("app-amount-positive")));
    }
    let d = Divisions::shanxi();
    let r = d.get(region).ok_or_else(|| {
        AppError::Invalid(tongchou_core::tr!("app-region-outside", region = region))
    })?;
    let chart = Chart::standard();
    let reqs = if r.level == Level::Province {
        let fiscal = chart
            .account(region, "fiscal_special_account")
            .ok_or_else(|| AppError::Invalid(tongchou_core::tr!("app-inc-no-fiscal")))?;
        let income = chart.account(region, account).ok_or_else(|| {
            AppError::Invalid(tongchou_core::tr!("app-inc-no-account", account = account))
        })?;
        vec![Request::post(
            &format!("{key}/{region}"),
            fiscal,
            income,
            amount,
            category,
            reference,
            date,
        )]
    } else {
        county_income_requests(
            chart, key, reference, date, region, account, category, amount, false,
        )?
    };
    db.transaction(|db| {
        let created = submit(&mut Ledger::new(db), &reqs)?;
        if created {
            audit::append(
                db,
                &Entry {
                    actor: who,
                    action: "income.record",
                    object_type: "income",
                    object_id: key,
                    region: Some(region.get()),
                    result: "ok",
                    details: serde_json::json!({
                        "kind": kind,
                        "amount_fen": amount.fen(),
                        "date": date.to_string(),
                        "reference": reference,
                    }),
                },
                now_ms,
            )?;
        }
        Ok(created)
    })
}

/// The monthly pensions in force, summed per county (the scale of a county's pension bill).
pub fn monthly_pensions_by_county(db: &mut Db) -> Result<Vec<(RegionCode, Fen)>> {
    Ok(store::monthly_pensions_by_county(db)?)
}

/// Book the balances cities and counties held before provincial pooling as opening balances on
/// `as_of` (each once: its id is the key). Returns how many were given.
pub fn open_historical(db: &mut Db, balances: &[HistoricalBalance], as_of: Date) -> Result<u64> {
    let chart = Chart::standard();
    let mut reqs = Vec::new();
    for h in balances {
        let (id, region, amount) = (&h.id, &h.region, &h.amount);
        if !amount.is_positive() {
            continue;
        }
        store::record_deposit(db, h)?;
        let asset = if h.fixed {
            "fixed_deposit"
        } else {
            "expenditure_account"
        };
        let (Some(debit), Some(credit)) = (
            chart.account(*region, asset),
            chart.account(*region, "fund_balance"),
        ) else {
            return Err(AppError::Invalid(tongchou_core::tr!(
                "app-inc-opening",
                region = region,
                asset = asset
            )));
        };
        reqs.push(Request::post(
            &format!("opening/{id}"),
            debit,
            credit,
            *amount,
            "opening",
            "historical balance before provincial pooling",
            as_of,
        ));
    }
    submit(&mut Ledger::new(db), &reqs)?;
    Ok(balances.len() as u64)
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Remitted {
    pub deposits: u64,
    pub amount: Fen,
}

/// Remit what is due by the end of `period`: every demand balance not yet remitted (due by the
/// deadline `calendar.historical_balance_deadline`), and every fixed deposit that has matured.
/// Each remittance is one linked ledger unit (withdrawal at maturity, then the remittance pair).
pub fn remit_historical(
    db: &mut Db,
    policy: &tongchou_core::Policy,
    period: Period,
) -> Result<Remitted> {
    let (deadline, _) = policy.text("calendar.historical_balance_deadline", period.first_day())?;
    let deadline: Date = deadline.parse()?;
    let end = period.last_day();
    let chart = Chart::standard();
    let province = Divisions::shanxi().province().code;
    let mut out = Remitted::default();
    for h in store::unremitted(db)? {
        let (id, region, amount) = (h.id, h.region, h.amount);
        let on = if h.fixed {
            let m = h.maturity.ok_or_else(|| {
                AppError::Invalid(tongchou_core::tr!("app-inc-maturity", id = id))
            })?;
            if m > end {
                continue;
            }
            m
        } else {
            deadline.min(end).max(period.first_day())
        };
        let key = format!("history/{id}");
        let reference = Reference::HistoricalBalance { id, fixed: h.fixed }.to_string();
        let mut reqs = Vec::new();
        if h.fixed {
            let (Some(exp), Some(fd)) = (
                chart.account(region, "expenditure_account"),
                chart.account(region, "fixed_deposit"),
            ) else {
                return Err(AppError::Invalid(tongchou_core::tr!(
                    "app-inc-deposit",
                    region = region
                )));
            };
            reqs.push(
                Request::post(
                    &format!("{key}/withdraw"),
                    exp,
                    fd,
                    amount,
                    "remittance",
                    &reference,
                    on,
                )
                .linked(),
            );
        }
        reqs.extend(remittance(
            chart,
            Doc {
                key: &key,
                reference: &reference,
                date: on,
            },
            region,
            province,
            amount,
        )?);
        submit(&mut Ledger::new(db), &reqs)?;
        store::mark_remitted(db, id, on, &key)?;
        out.deposits += 1;
        out.amount = out.amount.try_add(amount)?;
    }
    Ok(out)
}

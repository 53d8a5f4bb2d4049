//! The central adjustment fund (中央调剂基金, 国发〔2018〕18号, 2018-07 to 2021): the province's
//! remittance of a year, computed from the register by the national formula
//! (`tongchou_core::rules::governance::CentralAdjustmentTerms`: the previous year's provincial
//! average wage × the wage factor × the in-service insured × the remittance ratio) and booked in
//! the provincial book through the ledger (category `central_adjustment`: Dr 中央调剂基金支出 / Cr
//! 财政专户存款), audited (`central.remit`). What the fund allocates back to the province is
//! recorded as income (`tongchou income record --kind central-adjustment`). National pooling
//! (2022 on) is its own regime whose formulas were not found: a year under it is refused.
//!
//! The in-service insured who should be covered: STAND-IN, the persons on the register at the end
//! of the previous year less the pensioners in payment in its December.

use crate::{AppError, Result};
use serde_json::json;
use tongchou_core::access::{Principal, Role};
use tongchou_core::rules::governance::CentralAdjustmentTerms;
use tongchou_core::{Date, Divisions, Fen, Period, Policy};
use tongchou_ledger::{Chart, Request};
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, governance, reports};

/// A year's remittance: the terms, the insured counted, the amount, whether it was booked now.
#[derive(Clone, Debug)]
pub struct Remittance {
    pub year: i32,
    pub terms: CentralAdjustmentTerms,
    pub insured: i64,
    pub amount: Fen,
    pub created: bool,
}

/// The in-service insured at the end of `year - 1` (see the module doc).
pub fn insured_in_service(db: &mut Db, year: i32) -> Result<i64> {
    let december = Period::new(year - 1, 12)?;
    let persons: i64 = reports::insured_by_county(db, december.last_day())?
        .iter()
        .map(|(_, n)| n)
        .sum();
    let pensioners: i64 = governance::pensioners_by_county(db, december)?
        .iter()
        .map(|(_, n)| n)
        .sum();
    Ok((persons - pensioners).max(0))
}

/// Compute the province's remittance of `year` and book it on `on` (once: the same again
/// changes nothing), by a provincial bureau or finance officer.
pub fn remit(db: &mut Db, who: &Principal, year: i32, on: Date, now_ms: i64) -> Result<Remittance> {
    let province = Divisions::shanxi().province().code;
    let allowed = [Role::ProvinceBureauOfficer, Role::FinanceOfficer];
    if !allowed.contains(&who.role) || who.region != province {
        return Err(AppError::Forbidden(format!(
            "无权上解中央调剂基金：需要省级 province_bureau_officer / finance_officer 角色（当前 {}）",
            who.role.as_str()
        )));
    }
    let terms = CentralAdjustmentTerms::of_year(&Policy::builtin()?, year)?;
    if terms.regime != "central-adjustment" || !terms.ratio.0.is_positive() {
        return Err(AppError::Invalid(format!(
            "--year: {year} is under {} (central_adjustment.regime); its formulas were not found — record its money with `tongchou income record --kind national-pooling`",
            terms.regime
        )));
    }
    let insured = insured_in_service(db, year)?;
    let amount = terms.remittance(insured)?;
    if !amount.is_positive() {
        return Err(AppError::Invalid(format!(
            "--year: no in-service insured at the end of {} to remit for",
            year - 1
        )));
    }
    let chart = Chart::standard();
    let account = |kind: &str| {
        chart
            .account(province, kind)
            .ok_or_else(|| AppError::State(format!("no provincial account {kind}")))
    };
    let key = format!("central/{year}/remit");
    let req = Request::post(
        &key,
        account("central_adjustment_expenditure")?,
        account("fiscal_special_account")?,
        amount,
        "central_adjustment",
        &format!("中央调剂基金上解 {year}"),
        on,
    );
    let created = db.transaction(|db| {
        let result = Ledger::new(db).submit(std::slice::from_ref(&req))?;
        let created = match result.into_iter().next() {
            Some(Ok(tongchou_ledger::Outcome::Created { .. })) => true,
            Some(Ok(tongchou_ledger::Outcome::Exists { .. })) => false,
            Some(Err(e)) => return Err(AppError::Invalid(format!("ledger refused {key}: {e}"))),
            None => return Err(AppError::State("the ledger answered nothing".into())),
        };
        if created {
            audit::append(
                db,
                &Entry {
                    actor: &Actor::of(who),
                    action: "central.remit",
                    object_type: "central_adjustment",
                    object_id: &key,
                    region: Some(province.get()),
                    result: "ok",
                    details: json!({"year": year, "insured": insured, "amount_fen": amount.fen(), "on": on.to_string()}),
                },
                now_ms,
            )?;
        }
        Ok(created)
    })?;
    Ok(Remittance {
        year,
        terms,
        insured,
        amount,
        created,
    })
}

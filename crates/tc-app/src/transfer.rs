//! Transfers of the pension relationship between provinces (转移接续, 国办发〔2009〕66号;
//! `docs/FORMATS.md`, "Transfer certificate").
//!
//! - [`transfer_out`]: an insured person leaving the province. People already drawing a pension
//!   do not transfer (refused). The certificate (参保缴费凭证) lists the person's insured years
//!   (`contribution_years`, then the months the collection closes assessed and that are not in
//!   arrears); the money is the whole individual-account balance (the closing of the last closed
//!   year, else the registry balance, plus what the closes of the current year credited) and,
//!   from the pooling fund, `transfer.pooling_share` (12 %) of each year's contribution base
//!   (the sum of its monthly bases) for the years since `transfer.pooling_since_year` (1998),
//!   each year rounded half up to the fen. Booked once through the ledger at the province
//!   (Dr 转移支出 / Cr 财政专户, category 关系转移); the person's record closed as transferred out
//!   (event `transfer_out`); audited (`transfer.out`).
//! - [`transfer_in`]: a certificate received with the money. If the money disagrees with the
//!   certificate, or the certificate's own pooling portion with its years, the transfer is held
//!   (`status = held`), nothing booked nor added. Otherwise booked as 转移收入 into the provincial
//!   fiscal special account (Dr 财政专户 / Cr 转移收入), the years added to the person's history
//!   and the months, index and balance to their record (a person unknown to the province is
//!   registered in the county given, suspended until an employer or they themselves contribute);
//!   audited (`transfer.in`). The same certificate twice is refused.
//!
//! The exchange with the national transfer platform is one adapter: the certificate as JSON
//! ([`Certificate`]); the real format is not known.

use crate::{AppError, Result};
use serde::{Deserialize, Serialize};

use tongchou_core::access::{Permission, Principal};
use tongchou_core::{Date, Divisions, Fen, Ratio, RegionCode};
use tongchou_ledger::{Chart, Outcome, Request as LedgerRequest};
use tongchou_store::Db;
use tongchou_store::ledger::Ledger;
use tongchou_store::migration::{self as years, YearRow};
use tongchou_store::transfers as store;

/// The format name of the certificate document.
pub const FORMAT: &str = "tongchou-transfer-certificate/1";

/// One insured year of a certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertYear {
    pub year: i32,
    pub months: u32,
    /// The sum of the year's monthly contribution bases.
    pub base_total: Fen,
    /// The year's contribution index.
    pub index: Ratio,
    /// What the year credited to the individual account.
    pub credited: Fen,
    /// The pooling money this year moves (0 before the first pooling year).
    pub pooling: Fen,
}

/// The contribution certificate (参保缴费凭证) of a person leaving a province.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub format: String,
    pub from_province: u32,
    pub to_province: u32,
    pub id_number: String,
    pub name: String,
    /// male, female-cadre or female-worker
    pub category: String,
    pub transfer_date: Date,
    pub paid_months: u32,
    pub deemed_months: u32,
    pub avg_index: Ratio,
    /// The whole individual-account balance.
    pub account_balance: Fen,
    /// The pooling money: Σ of the years' pooling.
    pub pooling: Fen,
    /// account_balance + pooling: what the money transfer carries.
    pub total: Fen,
    pub years: Vec<CertYear>,
}

fn province() -> RegionCode {
    Divisions::shanxi().province().code
}

fn require(db: &mut Db, who: &Principal, what: &str, now_ms: i64) -> Result<()> {
    crate::migrate::require_province(db, who, what, now_ms)?;
    if !who.role.has(Permission::PersonWrite) {
        return Err(AppError::Forbidden(format!(
            "{}: may not {what}",
            who.login
        )));
    }
    Ok(())
}

/// The pooling money of one year: share × the year's base total, half up; 0 before `since`.
pub fn year_pooling(share: Ratio, since: i64, year: i32, base_total: Fen) -> Fen {
    if (year as i64) < since {
        return Fen::ZERO;
    }
    share.try_of(base_total).unwrap_or(Fen::ZERO)
}

/// The certificate's years: the stored history, then the months the closes assessed.
fn insured_years(db: &mut Db, person: i64) -> Result<Vec<CertYear>> {
    let mut out: Vec<CertYear> = years::years_of(db, person)?
        .into_iter()
        .map(|y| CertYear {
            year: y.year as i32,
            months: y.months as u32,
            base_total: Fen::new(y.base_fen * y.months),
            index: Ratio(y.idx),
            credited: Fen::new(y.credited_fen),
            pooling: Fen::ZERO,
        })
        .collect();
    for (yyyymm, base) in store::paid_periods(db, person)? {
        let year = (yyyymm / 100) as i32;
        match out.iter_mut().find(|y| y.year == year) {
            Some(y) => {
                y.months += 1;
                y.base_total = Fen::new(y.base_total.fen() + base);
            }
            None => out.push(CertYear {
                year,
                months: 1,
                base_total: Fen::new(base),
                index: Ratio::ZERO,
                credited: Fen::ZERO,
                pooling: Fen::ZERO,
            }),
        }
    }
    out.sort_by_key(|y| y.year);
    Ok(out)
}

/// The individual-account balance on `on`: the last closed year's closing (else the registry
/// balance) plus the current year's credits.
fn balance_on(db: &mut Db, person: i64, on: Date) -> Result<Fen> {
    let year = on.year();
    let opening = tongchou_store::accounts::openings(db, year)?
        .into_iter()
        .find(|o| o.0 == person)
        .map(|o| o.1);
    let opening = match opening {
        Some(o) => o,
        None => tongchou_store::registry::person_record(db, person)?
            .map(|p| p.balance)
            .unwrap_or(Fen::ZERO),
    };
    let credits = tongchou_store::accounts::credits_of_person(db, person, year)?;
    Ok(Fen::new(
        opening.fen() + credits.iter().map(|c| c.1.fen()).sum::<i64>(),
    ))
}

/// Book `amount` at the province, debit `debit`, credit `credit`, once by `key`.
fn book(
    db: &mut Db,
    key: &str,
    debit: &str,
    credit: &str,
    amount: Fen,
    memo: &str,
    on: Date,
) -> Result<()> {
    let chart = Chart::standard();
    let account = |kind: &str| {
        chart
            .account(province(), kind)
            .ok_or_else(|| AppError::State(format!("no provincial account {kind}")))
    };
    let req = LedgerRequest::post(
        key,
        account(debit)?,
        account(credit)?,
        amount,
        "transfer",
        memo,
        on,
    );
    match Ledger::new(db)
        .submit(std::slice::from_ref(&req))?
        .into_iter()
        .next()
    {
        Some(Ok(Outcome::Created { .. })) => Ok(()),
        Some(Ok(other)) => Err(AppError::State(format!("ledger {key}: {other:?}"))),
        Some(Err(e)) => Err(AppError::Invalid(format!("ledger refused {key}: {e}"))),
        None => Err(AppError::State("the ledger answered nothing".into())),
    }
}

fn audit_ok(
    db: &mut Db,
    who: &Principal,
    action: &str,
    id: i64,
    details: serde_json::Value,
    now_ms: i64,
) -> Result<()> {
    let object = ("transfer", id.to_string());
    let region = province().get();
    crate::migrate::audit_ok(
        db,
        who,
        action,
        (object.0, &object.1),
        region,
        details,
        now_ms,
    )
}

pub mod out;
pub use out::transfer_out;
pub mod incoming;
pub use incoming::{InReport, transfer_in};

/// The certificate as its exchange document (JSON, UTF-8).
pub fn to_bytes(c: &Certificate) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(c).map_err(|e| AppError::Invalid(format!("certificate: {e}")))
}

/// Read a certificate document: the whole document or nothing, naming what is wrong.
pub fn from_bytes(b: &[u8]) -> Result<Certificate> {
    let c: Certificate =
        serde_json::from_slice(b).map_err(|e| AppError::Invalid(format!("certificate: {e}")))?;
    if c.format != FORMAT {
        return Err(AppError::Invalid(format!(
            "certificate: format {:?}, expected {FORMAT}",
            c.format
        )));
    }
    Ok(c)
}

pub(crate) fn year_row(person: i64, y: &CertYear) -> YearRow {
    YearRow {
        person_id: person,
        year: y.year as i64,
        months: y.months as i64,
        base_fen: y.base_total.fen() / (y.months.max(1) as i64),
        idx: y.index.0,
        credited_fen: y.credited.fen(),
    }
}

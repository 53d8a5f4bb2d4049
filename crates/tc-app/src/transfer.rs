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
//! - [`decide`]: a held transfer released (the money received booked as 转移收入, the record
//!   filled) or refused (the money to go back to the sender) by a provincial bureau user other
//!   than the one who recorded it, with a reason; audited (`transfer.release`,
//!   `transfer.refuse`; refusals `transfer.denied`).
//!
//! - [`payment_file`]: the money of a transfer out (to the receiving province's account) or of a
//!   refused transfer in (back to the sender) as a pain.001 file, debtor the province's fiscal
//!   special account; [`bank_answer`] records the bank's answer (paid / returned, a returned one
//!   issued again).
//!
//! - [`confirmation`] / [`read_confirmation`]: the receiving province's answer to a certificate
//!   (accepted with what it booked, or refused with the reason) as an exchange document, read by
//!   the sending side against its transfer out (state `confirmed` or `rejected`).
//!
//! Recorded by staff who change persons' records: the provincial bureau, or a city or county
//! agency for the persons of its region and into a county of its region (else refused as not
//! found, audited `transfer.denied`).
//!
//! - [`requests::read_requests`]: a file of other provinces' transfer requests (kind
//!   `transfer-requests`), every line transferred out in one transaction or none (the file's
//!   problems named by row and field), the same file twice transferring nothing twice.
//!
//! The exchange with the national transfer platform is one adapter: the certificate as JSON
//! ([`Certificate`]), the requests as an import file; the real format is not known.

use crate::{AppError, Result};

use serde_json::json;
use tongchou_core::access::{self, Permission, Principal};
use tongchou_core::{Date, Divisions, Fen, Ratio, RegionCode};
use tongchou_ledger::{Chart, Outcome, Request as LedgerRequest};
use tongchou_store::Db;
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::ledger::Ledger;
use tongchou_store::migration::{self as years, YearRow};
use tongchou_store::transfers as store;

/// The format name of the certificate document.
pub const FORMAT: &str = tongchou_core::exchange::CERTIFICATE;

pub use tongchou_core::exchange::{CertYear, Certificate};

fn province() -> RegionCode {
    Divisions::shanxi().province().code
}

/// Who may record transfers: staff who change persons' records (the provincial bureau, a city
/// or county agency for the persons of its region); else refused, audited.
fn require(db: &mut Db, who: &Principal, what: &str, now_ms: i64) -> Result<()> {
    if who.role.has(Permission::PersonWrite) {
        return Ok(());
    }
    let why = tongchou_core::tr!("app-tr-may-not", login = who.login);
    Err(denied(db, who, what, &why, now_ms)?)
}

/// `region` (a person's county, the county taking someone in) must lie within the user's scope;
/// else refused as not found (no detail of another region), audited.
fn require_scope(
    db: &mut Db,
    who: &Principal,
    region: RegionCode,
    object: &str,
    now_ms: i64,
) -> Result<()> {
    if access::in_scope(Divisions::shanxi(), who, region) {
        return Ok(());
    }
    let why = tongchou_core::tr!("app-tr-scope");
    Err(match denied(db, who, object, &why, now_ms)? {
        AppError::Forbidden(m) => AppError::NotFound(m),
        e => e,
    })
}

/// A refusal written to the audit log (outside any transaction, so it stays) and returned.
fn denied(db: &mut Db, who: &Principal, object: &str, why: &str, now_ms: i64) -> Result<AppError> {
    let actor = Actor::of(who);
    audit::append(
        db,
        &Entry {
            actor: &actor,
            action: "transfer.denied",
            object_type: "transfer",
            object_id: object,
            region: Some(who.region.get()),
            result: "denied",
            details: json!({"role": who.role.as_str(), "why": why}),
        },
        now_ms,
    )?;
    Ok(AppError::Forbidden(why.to_string()))
}

/// The pooling money of one year (`tongchou_core::rules::transfer::pooling_with`).
pub use tongchou_core::rules::transfer::pooling_with as year_pooling;

/// Refused for someone drawing a pension (rule `transfer.pensioner`).
fn not_a_pensioner(drawing: bool, id_number: &str) -> Result<()> {
    tongchou_core::rules::transfer::may_transfer(drawing)
        .map(|_| ())
        .map_err(|e| {
            let why = match e {
                tongchou_core::rules::RuleError::Input { reason, .. } => reason,
                other => other.to_string(),
            };
            AppError::State(tongchou_core::tr!(
                "app-tr-pensioner",
                id = out::mask(id_number),
                why = why
            ))
        })
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
            .ok_or_else(|| AppError::State(tongchou_core::tr!("app-tr-no-account", kind = kind)))
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
        Some(Ok(other)) => Err(AppError::State(tongchou_core::tr!(
            "app-tr-ledger",
            key = key,
            answer = format!("{other:?}")
        ))),
        Some(Err(e)) => Err(AppError::Invalid(tongchou_core::tr!(
            "app-ledger-refused",
            key = key,
            reason = e
        ))),
        None => Err(AppError::State(tongchou_core::tr!("app-ledger-no-answer"))),
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
pub mod review;
pub use review::{Decision, decide};
pub mod payment;
pub use payment::{Creditor, bank_answer, payment_file, payment_file_as_requested};
pub mod exchange;
pub mod requests;
pub mod returns;
pub use exchange::{ConfirmationDoc, confirmation, read_confirmation};

/// The certificate as its exchange document (JSON, UTF-8).
pub fn to_bytes(c: &Certificate) -> Result<Vec<u8>> {
    Ok(tongchou_core::exchange::certificate_bytes(c))
}

/// The sealed kind of a certificate for another province.
pub const SEALED_KIND: &str = "transfer-certificate";

/// A certificate written to `out` for the receiving province: sealed for its exchange key
/// (kind [`SEALED_KIND`]) or plain, as `exchange` says ([`crate::exchange::write_for`]).
pub fn write_certificate(
    db: &mut Db,
    c: &Certificate,
    exchange: crate::exchange::Exchange,
    out: &mut dyn std::io::Write,
) -> Result<()> {
    let bytes = to_bytes(c)?;
    crate::exchange::write_for(db, exchange, SEALED_KIND, out, |_, out| {
        out.write_all(&bytes)
            .map_err(|e| AppError::Invalid(format!("certificate: {e}")))
    })
}

/// Read a certificate document: the whole document or nothing, naming what is wrong
/// (`tongchou_core::exchange::parse_certificate`).
pub fn from_bytes(b: &[u8]) -> Result<Certificate> {
    tongchou_core::exchange::parse_certificate(b)
        .map_err(|e| AppError::Invalid(tongchou_core::tr!("app-transfer-certificate", why = e)))
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

/// A transfer as staff see it in a list: the ID number masked, the county it belongs to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Listed {
    pub id: i64,
    pub direction: String,
    pub id_number_masked: String,
    pub county: Option<u32>,
    pub other_province: i64,
    pub transfer_date: String,
    pub paid_months: i64,
    pub total: Fen,
    pub received: Option<Fen>,
    pub status: String,
    pub created_by: String,
}

/// The transfers within `who`'s region (all for the province), of one state or all, oldest
/// first; ID numbers masked.
pub fn list(db: &mut Db, who: &Principal, status: Option<&str>) -> Result<Vec<Listed>> {
    let d = Divisions::shanxi();
    let counties: std::collections::HashMap<i64, Option<i64>> =
        store::counties(db)?.into_iter().collect();
    let county_of = |id: i64| {
        counties
            .get(&id)
            .copied()
            .flatten()
            .and_then(|c| u32::try_from(c).ok())
            .and_then(|c| RegionCode::new(c).ok())
    };
    Ok(store::list(db, status)?
        .into_iter()
        .filter(|t| {
            who.region == province() || county_of(t.id).is_some_and(|c| access::in_scope(d, who, c))
        })
        .map(|t| Listed {
            id: t.id,
            direction: t.direction.clone(),
            id_number_masked: out::mask(&t.id_number),
            county: county_of(t.id).map(|c| c.get()),
            other_province: t.other_province,
            transfer_date: t.transfer_date.clone(),
            paid_months: t.paid_months,
            total: Fen::new(t.total_fen),
            received: t.received_fen.map(Fen::new),
            status: t.status.clone(),
            created_by: t.created_by.clone(),
        })
        .collect())
}

/// The certificate of transfer `id` (issued or received) for `who`, within their region: a read
/// of personal data, audited (`transfer.read`).
pub fn certificate_of(db: &mut Db, who: &Principal, id: i64, now_ms: i64) -> Result<Certificate> {
    let listed = list(db, who, None)?;
    if !who.role.has(Permission::PersonRead) || !listed.iter().any(|t| t.id == id) {
        let why = tongchou_core::tr!("app-tr-not-yours", id = id);
        return Err(match denied(db, who, &id.to_string(), &why, now_ms)? {
            AppError::Forbidden(m) => AppError::NotFound(m),
            e => e,
        });
    }
    let t = store::by_id(db, id)?
        .ok_or_else(|| AppError::NotFound(tongchou_core::tr!("app-tr-none", id = id)))?;
    let c = from_bytes(t.certificate.as_bytes())?;
    audit_ok(
        db,
        who,
        "transfer.read",
        id,
        json!({"direction": t.direction}),
        now_ms,
    )?;
    Ok(c)
}

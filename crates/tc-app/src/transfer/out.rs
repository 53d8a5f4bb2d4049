//! A transfer out of the province (see the module documentation of `transfer`).

use super::{
    Certificate, FORMAT, audit_ok, balance_on, book, insured_years, not_a_pensioner, province,
    require, require_scope, to_bytes, year_pooling,
};
use crate::{AppError, Result};
use serde_json::json;
use tongchou_core::access::Principal;
use tongchou_core::rules::transfer::temporary_account;
use tongchou_core::{Date, Fen, IdNumber, Policy, Ratio};
use tongchou_store::Db;
use tongchou_store::audit::sha256_hex;
use tongchou_store::registry::{self, PersonEventRow};
use tongchou_store::transfers::{self as store, Transfer};

/// The certificate of a person leaving for `to_province` on `on`, its money booked and the
/// person's record closed. Refused for someone drawing a pension, already gone or unknown.
pub fn transfer_out(
    db: &mut Db,
    who: &Principal,
    policy: &Policy,
    id_number: &str,
    to_province: u32,
    on: Date,
    now_ms: i64,
) -> Result<Certificate> {
    require(db, who, "transfer a person out of the province", now_ms)?;
    if !to_province.is_multiple_of(10_000) || to_province == province().get() {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-tr-to",
            code = to_province
        )));
    }
    let known = store::person(db, id_number)?.map(|p| p.id);
    if let Some(r) = known
        .map(|p| registry::person_record(db, p))
        .transpose()?
        .flatten()
    {
        require_scope(db, who, r.county, "transfer out", now_ms)?;
    }
    crate::benefits::with_retry(db, |db| {
        out_once(db, who, policy, (id_number, to_province), on, now_ms).map(|x| x.1)
    })
}

/// The transfer out itself, inside the caller's transaction: (the transfer's id, the
/// certificate). A file of requests runs it for every line in one transaction.
pub(super) fn out_once(
    db: &mut Db,
    who: &Principal,
    policy: &Policy,
    (id_number, to_province): (&str, u32),
    on: Date,
    now_ms: i64,
) -> Result<(i64, Certificate)> {
    let p = store::person(db, id_number)?
        .ok_or_else(|| AppError::NotFound(tongchou_core::tr!("app-tr-no-id", id = id_number)))?;
    not_a_pensioner(p.pensioner || p.status == "retired", id_number)?;
    if !matches!(p.status.as_str(), "active" | "suspended") {
        return Err(AppError::State(tongchou_core::tr!(
            "app-tr-status",
            id = id_number,
            status = p.status
        )));
    }
    let cert = certificate(db, &p, id_number, to_province, on, policy)?;
    let bytes = to_bytes(&cert)?;
    let t = record(db, who, &p, &cert, &bytes, now_ms)?;
    let key = t.ledger_key.clone().unwrap_or_default();
    book(
        db,
        &key,
        "transfer_out",
        "fiscal_special_account",
        cert.total,
        &format!("转移支出 {}", mask(id_number)),
        on,
    )?;
    let day = on.to_string();
    if !store::close_person(db, p.id, &day)? {
        return Err(AppError::State(tongchou_core::tr!(
            "app-tr-changed",
            id = id_number
        )));
    }
    let seq = tongchou_store::migration::last_event_seq(db, p.id)? + 1;
    let county =
        tongchou_store::registry::person_record(db, p.id)?.map_or(0, |r| r.county.get() as i64);
    registry::write_person_events(db, &mut |push| {
        push(&PersonEventRow {
            person_id: p.id,
            seq,
            event_date: &day,
            kind: "transfer_out",
            status: "transferred_out",
            county,
            from_county: None,
            employer_id: None,
            from_employer: None,
        })
    })?;
    let details = json!({"to": to_province, "balance_fen": cert.account_balance.fen(), "pooling_fen": cert.pooling.fen(), "total_fen": cert.total.fen()});
    audit_ok(db, who, "transfer.out", t.id, details, now_ms)?;
    Ok((t.id, cert))
}

pub(super) fn mask(id: &str) -> String {
    id.chars()
        .enumerate()
        .map(|(i, c)| if (6..14).contains(&i) { '*' } else { c })
        .collect()
}

fn certificate(
    db: &mut Db,
    p: &store::PersonSummary,
    id_number: &str,
    to_province: u32,
    on: Date,
    policy: &Policy,
) -> Result<Certificate> {
    let (share, _) = policy.ratio("transfer.pooling_share", on)?;
    let (since, _) = policy.int("transfer.pooling_since_year", on)?;
    let mut years = insured_years(db, p.id)?;
    for y in &mut years {
        y.pooling = year_pooling(share, since, y.year, y.base_total);
    }
    let pooling = Fen::new(years.iter().map(|y| y.pooling.fen()).sum());
    let balance = balance_on(db, p.id, on)?;
    let hukou = store::household_registration(db, p.id)?.and_then(|r| u32::try_from(r).ok());
    let temporary_account = match hukou {
        Some(h) => temporary(db, policy, (p.id, id_number), h, on)?,
        None => false,
    };
    Ok(Certificate {
        format: FORMAT.into(),
        from_province: province().get(),
        to_province,
        id_number: id_number.to_string(),
        name: p.name.clone(),
        category: p.category.clone(),
        transfer_date: on,
        paid_months: years.iter().map(|y| y.months).sum(),
        deemed_months: p.deemed_months as u32,
        avg_index: Ratio(p.avg_index),
        account_balance: balance,
        pooling,
        total: Fen::new(balance.fen() + pooling.fen()),
        years,
        household_registration: hukou,
        temporary_account,
    })
}

fn record(
    db: &mut Db,
    who: &Principal,
    p: &store::PersonSummary,
    cert: &Certificate,
    bytes: &[u8],
    now_ms: i64,
) -> Result<Transfer> {
    let id = crate::benefits::new_id()?;
    let t = Transfer {
        id,
        direction: "out".into(),
        person_id: p.id,
        id_number: cert.id_number.clone(),
        other_province: cert.to_province as i64,
        transfer_date: cert.transfer_date.to_string(),
        paid_months: cert.paid_months as i64,
        balance_fen: cert.account_balance.fen(),
        pooling_fen: cert.pooling.fen(),
        total_fen: cert.total.fen(),
        received_fen: None,
        status: "done".into(),
        certificate: String::from_utf8_lossy(bytes).into_owned(),
        certificate_sha: sha256_hex(bytes),
        ledger_key: Some(format!("transfer/out/{id}")),
        created_by: who.login.clone(),
        created_at: crate::benefits::iso(now_ms),
    };
    store::insert(db, &t)?;
    Ok(t)
}

/// Whether the person's account here is a temporary contribution account (rule
/// `transfer.temporary_account`): aged 50+ (men) or 40+ (women) when enrolled here, their
/// household registration `hukou` in another province.
fn temporary(
    db: &mut Db,
    policy: &Policy,
    (person, id_number): (i64, &str),
    hukou: u32,
    on: Date,
) -> Result<bool> {
    let Some(r) = registry::person_record(db, person)? else {
        return Ok(false);
    };
    let (Ok(enrolled), Ok(id)) = (
        r.enrolled_on.parse::<Date>(),
        IdNumber::parse(id_number, on),
    ) else {
        return Ok(false);
    };
    let place = province().get();
    let (t, _) = temporary_account(policy, id.sex(), id.birth(), enrolled, hukou, place)?;
    Ok(t)
}

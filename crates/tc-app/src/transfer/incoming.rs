//! A transfer into the province (see the module documentation of `transfer`).

use super::{
    Certificate, audit_ok, book, from_bytes, not_a_pensioner, province, require, require_scope,
    year_row,
};
use crate::{AppError, Result};
use serde_json::json;
use tongchou_core::access::Principal;
use tongchou_core::{Date, Divisions, Fen, IdNumber, Level, Policy, RegionCode, Sex};
use tongchou_store::Db;
use tongchou_store::audit::sha256_hex;
use tongchou_store::imports::next_id;
use tongchou_store::registry::{self, PersonEventRow, PersonRow};
use tongchou_store::transfers::{self as store, Transfer};

/// What a transfer in did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InReport {
    pub transfer: i64,
    pub person: i64,
    /// done, or held: the money or the pooling portion disagrees with the certificate.
    pub status: String,
    /// Why it is held.
    pub reasons: Vec<String>,
}

/// Why the money or the certificate's own figures disagree (empty when they agree), under the
/// pooling rule in force on the transfer date (`tongchou_core::exchange::disagreements`).
fn disagreements(policy: &Policy, c: &Certificate, received: Fen) -> Result<Vec<String>> {
    let (share, _) = policy.ratio("transfer.pooling_share", c.transfer_date)?;
    let (since, _) = policy.int("transfer.pooling_since_year", c.transfer_date)?;
    Ok(tongchou_core::exchange::disagreements(
        c, received, share, since,
    ))
}

/// Read a certificate with its money into `county` (see the module documentation).
#[allow(clippy::too_many_arguments)]
pub fn transfer_in(
    db: &mut Db,
    who: &Principal,
    policy: &Policy,
    certificate: &[u8],
    received: Fen,
    county: RegionCode,
    on: Date,
    now_ms: i64,
) -> Result<InReport> {
    require(db, who, "transfer a person into the province", now_ms)?;
    if !matches!(
        Divisions::shanxi().get(county).map(|r| r.level),
        Some(Level::County)
    ) {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-tr-county",
            county = county
        )));
    }
    require_scope(db, who, county, "transfer in", now_ms)?;
    let c = from_bytes(certificate)?;
    if c.to_province != province().get() {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-tr-other-province",
            province = c.to_province
        )));
    }
    let id = IdNumber::parse(&c.id_number, on)
        .map_err(|e| AppError::Invalid(tongchou_core::tr!("app-tr-id", error = e.0)))?;
    let sha = sha256_hex(certificate);
    let reasons = disagreements(policy, &c, received)?;
    crate::benefits::with_retry(db, |db| {
        if let Some(t) = store::by_certificate(db, "in", &sha)? {
            return Err(AppError::State(tongchou_core::tr!(
                "app-tr-read",
                id = t.id,
                status = t.status
            )));
        }
        let person = match store::person(db, id.as_str())? {
            Some(p) => {
                not_a_pensioner(p.pensioner, &c.id_number)?;
                p.id
            }
            None if reasons.is_empty() => register(db, &c, &id, county, on)?,
            None => 0,
        };
        let t = record(
            db,
            who,
            &c,
            person,
            received,
            certificate,
            &sha,
            &reasons,
            now_ms,
        )?;
        if reasons.is_empty() {
            let key = t.ledger_key.clone().unwrap_or_default();
            apply(db, &c, person, &key, c.total, on)?;
        } else {
            store::hold(db, t.id, county.get() as i64)?;
        }
        let details = json!({"from": c.from_province, "received_fen": received.fen(), "status": t.status, "reasons": reasons});
        audit_ok(db, who, "transfer.in", t.id, details, now_ms)?;
        Ok(InReport {
            transfer: t.id,
            person,
            status: t.status.clone(),
            reasons: reasons.clone(),
        })
    })
}

/// Book `amount` (the money received) by `key`, add the years, months, index and balance.
pub(super) fn apply(
    db: &mut Db,
    c: &Certificate,
    person: i64,
    key: &str,
    amount: Fen,
    on: Date,
) -> Result<()> {
    book(
        db,
        key,
        "fiscal_special_account",
        "transfer_in",
        amount,
        "转移收入",
        on,
    )?;
    let source = format!("transfer_in:{}", c.from_province);
    for y in &c.years {
        store::add_year(db, &year_row(person, y), &source)?;
    }
    let p = store::person(db, &c.id_number)?.ok_or_else(|| {
        AppError::State(tongchou_core::tr!(
            "app-tr-person-vanished",
            person = person
        ))
    })?;
    let (m0, m1) = (p.paid_months as i128, c.paid_months as i128);
    let avg = if m0 + m1 == 0 {
        0
    } else {
        ((2 * (p.avg_index as i128 * m0 + c.avg_index.0 as i128 * m1) + m0 + m1) / (2 * (m0 + m1)))
            as i64
    };
    if let Some(h) = c.household_registration {
        let at = format!("{on}");
        store::set_household_registration(db, person, h as i64, "transfer_in", &at)?;
    }
    store::add_to_person(
        db,
        person,
        c.paid_months as i64,
        c.deemed_months as i64,
        avg,
        c.account_balance.fen(),
    )?;
    Ok(())
}

/// A person unknown to the province: registered in `county`, suspended (not contributing yet),
/// with an empty record the certificate then fills.
pub(super) fn register(
    db: &mut Db,
    c: &Certificate,
    id: &IdNumber,
    county: RegionCode,
    on: Date,
) -> Result<i64> {
    let pid = next_id(db, "persons")?;
    let (birth, day) = (id.birth().to_string(), on.to_string());
    let sex = if id.sex() == Sex::Male {
        "male"
    } else {
        "female"
    };
    registry::write_persons(db, &mut |push| {
        push(&PersonRow {
            id: pid,
            id_number: id.as_str(),
            name: &c.name,
            sex,
            birth: &birth,
            category: &c.category,
            county: county.get() as i64,
            employer_id: None,
            payer_kind: "flexible",
            status: "suspended",
            status_since: &day,
            enrolled_on: &day,
            declared_fen: 0,
            as_of: on.period().yyyymm() as i64,
            paid_months: 0,
            deemed_months: 0,
            avg_index: 0,
            balance_fen: 0,
        })
    })?;
    registry::write_person_ids(db, &mut |push| push(&(id.as_str(), pid)))?;
    registry::write_person_events(db, &mut |push| {
        push(&PersonEventRow {
            person_id: pid,
            seq: 1,
            event_date: &day,
            kind: "enrol",
            status: "suspended",
            county: county.get() as i64,
            from_county: None,
            employer_id: None,
            from_employer: None,
        })
    })?;
    Ok(pid)
}

#[allow(clippy::too_many_arguments)]
fn record(
    db: &mut Db,
    who: &Principal,
    c: &Certificate,
    person: i64,
    received: Fen,
    bytes: &[u8],
    sha: &str,
    reasons: &[String],
    now_ms: i64,
) -> Result<Transfer> {
    let id = crate::benefits::new_id()?;
    let t = Transfer {
        id,
        direction: "in".into(),
        person_id: person,
        id_number: c.id_number.clone(),
        other_province: c.from_province as i64,
        transfer_date: c.transfer_date.to_string(),
        paid_months: c.paid_months as i64,
        balance_fen: c.account_balance.fen(),
        pooling_fen: c.pooling.fen(),
        total_fen: c.total.fen(),
        received_fen: Some(received.fen()),
        status: if reasons.is_empty() { "done" } else { "held" }.into(),
        certificate: String::from_utf8_lossy(bytes).into_owned(),
        certificate_sha: sha.to_string(),
        ledger_key: reasons.is_empty().then(|| format!("transfer/in/{id}")),
        created_by: who.login.clone(),
        created_at: crate::benefits::iso(now_ms),
    };
    store::insert(db, &t)?;
    Ok(t)
}

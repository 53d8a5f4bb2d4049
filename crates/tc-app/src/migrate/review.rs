//! The review list: persons registered in two cities, held until a provincial user decides.
//! `existing` keeps the province's record (the incoming one stays in the review row); `incoming`
//! replaces an insured person's record with the incoming one (county, employer, history
//! summary, balance and contribution years), with a `move_county` event. A pensioner in either
//! city is resolved by keeping the existing record only: two awards are never merged here.

use super::check::{Parsed, key};
use super::write::{event, payer};
use super::{audit_ok, require_province};
use crate::{AppError, Result};
use serde_json::{Value as Json, json};
use tongchou_core::Period;
use tongchou_core::access::Principal;
use tongchou_store::Db;
use tongchou_store::migration::{self as store, Review, Takeover};
use tongchou_store::registry;

/// The incoming record of an ID number, as the review row keeps it.
pub(crate) fn incoming_json(p: &Parsed, id_number: &str) -> Json {
    if let Some(x) = p.insured.iter().find(|x| key(&x.id_number) == id_number) {
        let h = p.history.get(&x.id_number).copied().unwrap_or_default();
        return json!({
            "kind": "insured",
            "row": x.row,
            "name": x.name,
            "county": x.county.get(),
            "employer": x.employer.as_ref().map(|c| c.as_str()),
            "payer_kind": payer(x.payer_kind),
            "enrolled": x.enrolled.to_string(),
            "suspended": x.suspended,
            "declared_fen": x.declared.fen(),
            "deemed_months": x.deemed_months,
            "balance_fen": x.balance.fen(),
            "paid_months": h.months,
            "avg_index": h.avg_index(),
        });
    }
    match p.pensioners.iter().find(|x| key(&x.id_number) == id_number) {
        Some(x) => json!({
            "kind": "pensioner",
            "row": x.row,
            "name": x.name,
            "county": x.county.get(),
            "retire": x.retire.to_string(),
            "monthly_fen": x.monthly.fen(),
        }),
        None => Json::Null,
    }
}

/// The review list (open items only unless `all`), of one city or all.
pub fn list(db: &mut Db, city: Option<u32>, all: bool) -> Result<Vec<Review>> {
    Ok(store::reviews(db, city.map(i64::from), !all)?)
}

/// A provincial user's decision on a review item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The province's record stands; the incoming record is not loaded.
    Existing,
    /// The incoming record replaces the insured person's record.
    Incoming,
}

impl std::str::FromStr for Decision {
    type Err = AppError;
    fn from_str(s: &str) -> Result<Decision> {
        match s.trim() {
            "existing" | "保留原记录" => Ok(Decision::Existing),
            "incoming" | "采用迁入记录" => Ok(Decision::Incoming),
            o => Err(AppError::Invalid(tongchou_core::tr!(
                "app-mig-decision",
                value = format!("{o:?}")
            ))),
        }
    }
}

/// Resolve review item `id` (see the module documentation); audited as `migrate.review`.
pub fn resolve(
    db: &mut Db,
    who: &Principal,
    id: i64,
    decision: Decision,
    now_ms: i64,
) -> Result<Review> {
    require_province(db, who, "resolve a migration review", now_ms)?;
    let at = crate::benefits::iso(now_ms);
    crate::benefits::with_retry(db, |db| {
        let Some(r) = store::review(db, id)? else {
            return Err(AppError::NotFound(tongchou_core::tr!(
                "app-mig-review-none",
                id = id
            )));
        };
        if r.status != "open" {
            return Err(AppError::State(tongchou_core::tr!(
                "app-mig-resolved",
                id = id,
                status = r.status,
                by = r.resolved_by.as_deref().unwrap_or("?")
            )));
        }
        let status = match decision {
            Decision::Existing => "kept_existing",
            Decision::Incoming => {
                let load = store::loaded(db, r.city)?.ok_or_else(|| {
                    AppError::State(tongchou_core::tr!("app-mig-not-loaded", city = r.city))
                })?;
                let cutover = Period::from_yyyymm(load.cutover as i32).map_err(|e| {
                    AppError::State(tongchou_core::tr!(
                        "app-mig-cutover",
                        city = r.city,
                        error = e.0
                    ))
                })?;
                take_incoming(db, &r, cutover)?;
                "took_incoming"
            }
        };
        store::resolve(db, id, status, &who.login, &at)?;
        let details = json!({"id_number": tongchou_core::access::mask_id_number(&r.id_number), "decision": status, "city": r.city});
        audit_ok(
            db,
            who,
            "migrate.review",
            ("migration", &id.to_string()),
            r.county as u32,
            details,
            now_ms,
        )?;
        store::review(db, id)?
            .ok_or_else(|| AppError::NotFound(tongchou_core::tr!("app-mig-review-none", id = id)))
    })
}

fn field(rec: &Json, name: &str) -> Result<i64> {
    rec[name]
        .as_i64()
        .ok_or_else(|| AppError::State(tongchou_core::tr!("app-mig-record-field", name = name)))
}

/// Replace the existing insured person's record with the incoming one.
fn take_incoming(db: &mut Db, r: &Review, cutover: Period) -> Result<()> {
    let rec: Json = serde_json::from_str(&r.record).map_err(|e| {
        AppError::State(tongchou_core::tr!(
            "app-mig-review-error",
            id = r.id,
            error = e
        ))
    })?;
    if r.kind != "insured" || rec["kind"] != "insured" {
        return Err(AppError::State(tongchou_core::tr!(
            "app-mig-pensioner",
            id = r.id
        )));
    }
    let employer = match rec["employer"].as_str() {
        Some(code) => Some(
            store::known_employers(db, &[code])?
                .first()
                .map(|e| e.1)
                .ok_or_else(|| {
                    AppError::State(tongchou_core::tr!("app-mig-employer-none", code = code))
                })?,
        ),
        None => None,
    };
    let suspended = rec["suspended"].as_bool().unwrap_or(false);
    let since = cutover.first_day().to_string();
    let t = Takeover {
        person: r.existing_person,
        county: field(&rec, "county")?,
        employer_id: employer,
        payer_kind: rec["payer_kind"].as_str().unwrap_or("employee"),
        status: if suspended { "suspended" } else { "active" },
        status_since: &since,
        declared_fen: field(&rec, "declared_fen")?,
        as_of: cutover.yyyymm() as i64,
        paid_months: field(&rec, "paid_months")?,
        deemed_months: field(&rec, "deemed_months")?,
        avg_index: field(&rec, "avg_index")?,
        balance_fen: field(&rec, "balance_fen")?,
    };
    if !store::take_over(db, &t)? {
        return Err(AppError::State(tongchou_core::tr!(
            "app-mig-not-insured",
            person = r.existing_person
        )));
    }
    let seq = store::last_event_seq(db, r.existing_person)? + 1;
    registry::write_person_events(db, &mut |push| {
        let mut e = event(
            t.person,
            seq,
            &since,
            "move_county",
            t.status,
            t.county,
            employer,
        );
        e.from_county = Some(r.existing_county);
        push(&e)
    })?;
    Ok(())
}

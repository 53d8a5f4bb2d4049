//! Reading a person's record: region scope, masking by role, and an audit row for every read and
//! every refusal. Runs on a blocking thread; each read returns its audit entry for the
//! group-commit writer (`tongchou_store::audit::group`), and is answered once that is durable.

use crate::contract::{CountyRef, PersonBody, PersonPension};
use crate::{AppError, Audited};
use serde_json::json;
use tongchou_core::access::{
    AccessError, Masking, Permission, Pii, Principal, can, mask_id_number,
};
use tongchou_core::{Divisions, IdNumber};
use tongchou_store::access::{self, Target, User};
use tongchou_store::audit::{Actor, Deferred, Entry};
use tongchou_store::registry::{ByNumber, PensionRecord, PersonRecord};
use tongchou_store::{Db, registry};

/// A `person.*` audit entry of `who` at `now`.
fn entry(
    who: &Principal,
    (action, object_id): (&str, &str),
    region: Option<u32>,
    result: &str,
    details: serde_json::Value,
    now: i64,
) -> Deferred {
    Deferred::new(
        Entry {
            actor: &Actor::of(who),
            action,
            object_type: "person",
            object_id,
            region,
            result,
            details,
        },
        now,
    )
}

/// Write a `person.*` audit entry at once, in a transaction of its own (the search page's reads;
/// the reads by ID number go through the group commit).
#[allow(clippy::too_many_arguments)]
fn record(
    db: &mut Db,
    who: &Principal,
    action: &str,
    object_id: &str,
    region: Option<u32>,
    result: &str,
    details: serde_json::Value,
    now: i64,
) -> Result<(), AppError> {
    let e = entry(who, (action, object_id), region, result, details, now);
    tongchou_store::audit::append(db, &e.entry(), now)?;
    Ok(())
}

fn load(db: &mut Db, person_id: i64) -> Result<Option<PersonRecord>, AppError> {
    Ok(registry::person_record(db, person_id)?)
}

/// The pension in force and the bank account, for a pensioner, masked for the viewer.
fn pension(p: Option<PensionRecord>, m: &Masking) -> Option<PersonPension> {
    let p = p?;
    Some(PersonPension {
        retire_period: p.retire_period,
        status: p.status,
        monthly: p.monthly.to_string(),
        bank_name: p.bank_name,
        bank_account: m.bank_account(&p.bank_account),
    })
}

/// A person's record with their pension (if a pensioner), read by id.
fn load_with_pension(
    db: &mut Db,
    person_id: i64,
) -> Result<Option<(PersonRecord, Option<PensionRecord>)>, AppError> {
    let Some(p) = load(db, person_id)? else {
        return Ok(None);
    };
    let pension = registry::pension_record(db, person_id)?;
    Ok(Some((p, pension)))
}

fn view(
    p: &PersonRecord,
    pension_record: Option<PensionRecord>,
    viewer: &Principal,
) -> Result<(PersonBody, Vec<&'static str>), AppError> {
    let m = Masking::for_viewer(viewer, Some(p.id));
    let d = Divisions::shanxi();
    let county_name = d.get(p.county).map(|r| r.name.clone()).unwrap_or_default();
    let mut full = Vec::new();
    for (k, name) in [
        (Pii::IdNumber, "id_number"),
        (Pii::Name, "name"),
        (Pii::BankAccount, "bank_account"),
    ] {
        if m.full(k) {
            full.push(name);
        }
    }
    Ok((
        PersonBody {
            person_id: p.id,
            id_number: m.id_number(&p.id_number),
            name: m.name(&p.name),
            sex: p.sex.clone(),
            birth: m.birth(&p.birth),
            category: p.category.clone(),
            county: CountyRef {
                code: p.county.to_string(),
                name: county_name,
            },
            status: p.status.clone(),
            status_since: p.status_since.clone(),
            enrolled_on: p.enrolled_on.clone(),
            payer_kind: p.payer_kind.clone(),
            as_of: p.as_of,
            paid_months: p.paid_months,
            deemed_months: p.deemed_months,
            account_balance: p.balance.to_string(),
            pension: pension(pension_record, &m),
            unmasked: full.clone(),
        },
        full,
    ))
}

/// A staff read of the person with this ID number (`via` names the channel: api or page): the
/// answer (the record or the refusal) and its audit entry, which the caller makes durable before
/// answering (`crate::with_db_audited`). `Err` only when the database fails.
pub(crate) fn read_by_id_number(
    db: &mut Db,
    user: &User,
    id_number: &str,
    via: &str,
    client: &str,
    now: i64,
) -> Result<Audited<PersonBody>, AppError> {
    let who = user.principal();
    // the number as a refusal's entry names it (masked): only refusals need it
    let shown = || mask_id_number(id_number.trim());
    let failed = |object_id: &str, reason: &str| {
        let details = json!({"reason": reason, "via": via, "client": client});
        entry(
            &who,
            ("person.read", object_id),
            None,
            "failed",
            details,
            now,
        )
    };
    if !who.role.has(Permission::PersonRead) {
        let t = Target {
            action: "person.read",
            object_type: "person",
            object_id: &shown(),
            region: who.region,
        };
        let e = AccessError::NoPermission {
            role: who.role,
            permission: Permission::PersonRead,
        };
        return Ok(refused(&who, &t, &e, now));
    }
    let today = tongchou_app::clock::today_china();
    let id = match IdNumber::parse(id_number.trim(), today) {
        Ok(id) => id,
        Err(e) => {
            let err = AppError::BadRequest(format!("id_number: {e}"));
            return Ok((Err(err), failed(&shown(), "invalid_id_number")));
        }
    };
    let not_found = || AppError::NotFound(tongchou_core::tr!("web-err-no-person"));
    // the number's person and pension in one statement (one snapshot, one statement's work)
    match registry::person_by_number(db, id.as_str())? {
        ByNumber::Unknown => Ok((Err(not_found()), failed(&id.masked(), "not_found"))),
        ByNumber::NoRecord(pid) => Ok((Err(not_found()), failed(&pid.to_string(), "not_found"))),
        ByNumber::Found(p, pension) => read_found(&who, &p, pension, via, client, now),
    }
}

/// A person's record read by `who`: region-checked (a refusal audited), masked by role, audited
/// with the fields shown in full.
fn read_found(
    who: &Principal,
    p: &PersonRecord,
    pension: Option<PensionRecord>,
    via: &str,
    client: &str,
    now: i64,
) -> Result<Audited<PersonBody>, AppError> {
    let oid = p.id.to_string();
    if let Err(e) = can(Divisions::shanxi(), who, Permission::PersonRead, p.county) {
        let t = Target {
            action: "person.read",
            object_type: "person",
            object_id: &oid,
            region: p.county,
        };
        return Ok(refused(who, &t, &e, now));
    }
    let (v, full) = view(p, pension, who)?;
    let details = json!({"via": via, "unmasked": full, "client": client});
    let ok = ("person.read", oid.as_str());
    Ok((
        Ok(v),
        entry(who, ok, Some(p.county.get()), "ok", details, now),
    ))
}

/// A refusal by the access rules, answered as `403` with its audit entry.
fn refused<T>(who: &Principal, t: &Target<'_>, e: &AccessError, now: i64) -> Audited<T> {
    let err = AppError::Forbidden(e.code().to_string());
    (Err(err), access::denial(who, t, e, now))
}

/// An insured person's own record, with the audit entry of the read (a refusal of another role
/// is audited by `tongchou_app::own`).
pub(crate) fn read_own(
    db: &mut Db,
    user: &User,
    via: &str,
    client: &str,
    now: i64,
) -> Result<Audited<PersonBody>, AppError> {
    let who = user.principal();
    // the person's own account only (the refusal audited): `tongchou_app::own`
    let pid = tongchou_app::own::own_person(db, &who, now)?;
    let Some((p, pension)) = load_with_pension(db, pid)? else {
        return Err(AppError::NotFound(
            crate::lang::t("web-err-own-not-registered").into(),
        ));
    };
    let (v, full) = view(&p, pension, &who)?;
    let details = json!({"via": via, "unmasked": full, "client": client});
    let ok = ("person.read_own", pid.to_string());
    let e = entry(
        &who,
        (ok.0, &ok.1),
        Some(p.county.get()),
        "ok",
        details,
        now,
    );
    Ok((Ok(v), e))
}

/// The inclusive range of county codes within a region (a county, a city's counties, the
/// province's).
fn county_range(region: tongchou_core::RegionCode) -> (i64, i64) {
    let c = region.get() as i64;
    if c % 10_000 == 0 {
        (c, c + 9_999)
    } else if c % 100 == 0 {
        (c, c + 99)
    } else {
        (c, c)
    }
}

/// Most persons a name search lists.
pub(crate) const SEARCH_LIMIT: i64 = 50;

/// A staff search of the register by a person's exact name within the searcher's own region:
/// for roles that read persons and see names in full (a name search by a role that sees names
/// masked would tell it who is insured). Audited with the persons listed (`person.search`); a
/// refusal too.
pub(crate) fn search_by_name(
    db: &mut Db,
    user: &User,
    name: &str,
    client: &str,
    now: i64,
) -> Result<Vec<(registry::Found, String, String)>, AppError> {
    let who = user.principal();
    if !who.role.has(Permission::PersonRead) || !who.role.sees_full(Pii::Name) {
        let t = Target {
            action: "person.search",
            object_type: "person",
            object_id: "name",
            region: who.region,
        };
        let e = tongchou_core::access::AccessError::NoPermission {
            role: who.role,
            permission: Permission::PersonRead,
        };
        return Err(access::deny(db, &who, &t, e, now).into());
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 30 {
        return Err(AppError::BadRequest(
            "姓名：请填写 1 至 30 个字 Name: 1 to 30 characters".into(),
        ));
    }
    let found = registry::search_by_name(db, name, county_range(who.region), SEARCH_LIMIT)?;
    let ids: Vec<i64> = found.iter().map(|f| f.id).collect();
    record(
        db,
        &who,
        "person.search",
        "name",
        Some(who.region.get()),
        "ok",
        json!({"via": "page", "found": ids, "client": client}),
        now,
    )?;
    Ok(found
        .into_iter()
        .map(|f| {
            let m = Masking::for_viewer(&who, Some(f.id));
            let (id_number, birth) = (m.id_number(&f.id_number), m.birth(&f.birth));
            (f, id_number, birth)
        })
        .collect())
}

/// A staff read of a person found by a search, by their register id: region-checked, masked and
/// audited exactly as a read by ID number (the entry for the group-commit writer,
/// `crate::with_db_audited`).
pub(crate) fn read_by_person_id(
    db: &mut Db,
    user: &User,
    person_id: i64,
    client: &str,
    now: i64,
) -> Result<Audited<PersonBody>, AppError> {
    let who = user.principal();
    let Some((p, pension)) = load_with_pension(db, person_id)? else {
        let details = json!({"reason": "not_found", "via": "search", "client": client});
        let oid = person_id.to_string();
        let e = entry(&who, ("person.read", &oid), None, "failed", details, now);
        return Ok((
            Err(AppError::NotFound(tongchou_core::tr!(
                "web-err-no-such-person"
            ))),
            e,
        ));
    };
    read_found(&who, &p, pension, "search", client, now)
}

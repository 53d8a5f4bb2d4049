//! Reading a person's record: region scope, masking by role, and an audit row for every read and
//! every refusal. Runs on a blocking thread.

use crate::AppError;
use serde_json::json;
use tongchou_core::access::{Masking, Permission, Pii, Principal, Role, mask_id_number};
use tongchou_core::{Divisions, IdNumber, RegionCode};
use tongchou_store::access::{self, Target, User};
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::{Db, Val, registry};

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
    audit::append(
        db,
        &Entry {
            actor: &Actor::of(who),
            action,
            object_type: "person",
            object_id,
            region,
            result,
            details,
        },
        now,
    )?;
    Ok(())
}

struct Row {
    id: i64,
    id_number: String,
    name: String,
    sex: String,
    birth: String,
    category: String,
    county: RegionCode,
    status: String,
    status_since: String,
    enrolled_on: String,
    payer_kind: String,
    as_of: i64,
    paid_months: i64,
    deemed_months: i64,
    balance_fen: i64,
}

fn load(db: &mut Db, person_id: i64) -> Result<Option<Row>, AppError> {
    let Some(r) = db.query_opt(
        "SELECT id, id_number, name, sex, birth, category, county, status, status_since, enrolled_on, \
         payer_kind, as_of, paid_months, deemed_months, balance_fen FROM persons WHERE id = $1",
        &[Val::I64(person_id)],
    )?
    else {
        return Ok(None);
    };
    let county = u32::try_from(r[6].i64()?)
        .ok()
        .and_then(|c| RegionCode::new(c).ok())
        .ok_or_else(|| AppError::Internal(format!("person {person_id}: bad county")))?;
    Ok(Some(Row {
        id: r[0].i64()?,
        id_number: r[1].text()?.to_string(),
        name: r[2].text()?.to_string(),
        sex: r[3].text()?.to_string(),
        birth: r[4].text()?.to_string(),
        category: r[5].text()?.to_string(),
        county,
        status: r[7].text()?.to_string(),
        status_since: r[8].text()?.to_string(),
        enrolled_on: r[9].text()?.to_string(),
        payer_kind: r[10].text()?.to_string(),
        as_of: r[11].i64()?,
        paid_months: r[12].i64()?,
        deemed_months: r[13].i64()?,
        balance_fen: r[14].i64()?,
    }))
}

fn yuan(fen: i64) -> String {
    tongchou_core::Fen(fen).to_string()
}

/// The pension in force and the bank account, for a pensioner.
fn pension(db: &mut Db, person_id: i64, m: &Masking) -> Result<serde_json::Value, AppError> {
    let Some(r) = db.query_opt(
        "SELECT retire_period, status, monthly_fen, bank_name, bank_account FROM pensioners WHERE person_id = $1",
        &[Val::I64(person_id)],
    )?
    else {
        return Ok(serde_json::Value::Null);
    };
    Ok(json!({
        "retire_period": r[0].i64()?,
        "status": r[1].text()?,
        "monthly": yuan(r[2].i64()?),
        "bank_name": r[3].text()?,
        "bank_account": m.bank_account(r[4].text()?),
    }))
}

fn view(
    db: &mut Db,
    p: &Row,
    viewer: &Principal,
) -> Result<(serde_json::Value, Vec<&'static str>), AppError> {
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
        json!({
            "person_id": p.id,
            "id_number": m.id_number(&p.id_number),
            "name": m.name(&p.name),
            "sex": p.sex,
            "birth": p.birth,
            "category": p.category,
            "county": {"code": p.county.to_string(), "name": county_name},
            "status": p.status,
            "status_since": p.status_since,
            "enrolled_on": p.enrolled_on,
            "payer_kind": p.payer_kind,
            "as_of": p.as_of,
            "paid_months": p.paid_months,
            "deemed_months": p.deemed_months,
            "account_balance": yuan(p.balance_fen),
            "pension": pension(db, p.id, &m)?,
            "unmasked": full,
        }),
        full,
    ))
}

/// A staff read of the person with this ID number (`via` names the channel: api or page).
pub(crate) fn read_by_id_number(
    db: &mut Db,
    user: &User,
    id_number: &str,
    via: &str,
    client: &str,
    now: i64,
) -> Result<serde_json::Value, AppError> {
    let who = user.principal();
    let shown = mask_id_number(id_number.trim());
    if !who.role.has(Permission::PersonRead) {
        let t = Target {
            action: "person.read",
            object_type: "person",
            object_id: &shown,
            region: who.region,
        };
        let e = tongchou_core::access::AccessError::NoPermission {
            role: who.role,
            permission: Permission::PersonRead,
        };
        return Err(access::deny(db, &who, &t, e, now).into());
    }
    let today = tongchou_app::clock::today_china();
    let id = match IdNumber::parse(id_number.trim(), today) {
        Ok(id) => id,
        Err(e) => {
            record(
                db,
                &who,
                "person.read",
                &shown,
                None,
                "failed",
                json!({"reason": "invalid_id_number", "via": via, "client": client}),
                now,
            )?;
            return Err(AppError::BadRequest(format!("id_number: {e}")));
        }
    };
    let shown = id.masked();
    let Some(pid) = registry::person_id_by_number(db, id.as_str())? else {
        record(
            db,
            &who,
            "person.read",
            &shown,
            None,
            "failed",
            json!({"reason": "not_found", "via": via, "client": client}),
            now,
        )?;
        return Err(AppError::NotFound("no person with this ID number".into()));
    };
    let Some(p) = load(db, pid)? else {
        record(
            db,
            &who,
            "person.read",
            &pid.to_string(),
            None,
            "failed",
            json!({"reason": "not_found", "via": via, "client": client}),
            now,
        )?;
        return Err(AppError::NotFound("no person with this ID number".into()));
    };
    let oid = pid.to_string();
    let t = Target {
        action: "person.read",
        object_type: "person",
        object_id: &oid,
        region: p.county,
    };
    access::authorize(db, &who, Permission::PersonRead, &t, now)?;
    let (v, full) = view(db, &p, &who)?;
    record(
        db,
        &who,
        "person.read",
        &oid,
        Some(p.county.get()),
        "ok",
        json!({"via": via, "unmasked": full, "client": client}),
        now,
    )?;
    Ok(v)
}

/// An insured person's own record.
pub(crate) fn read_own(
    db: &mut Db,
    user: &User,
    via: &str,
    client: &str,
    now: i64,
) -> Result<serde_json::Value, AppError> {
    let who = user.principal();
    let pid = match (who.role, who.person_id) {
        (Role::InsuredPerson, Some(pid)) => pid,
        _ => {
            let t = Target {
                action: "person.read_own",
                object_type: "person",
                object_id: "-",
                region: who.region,
            };
            let e = tongchou_core::access::AccessError::NoPermission {
                role: who.role,
                permission: Permission::OwnRecordRead,
            };
            return Err(access::deny(db, &who, &t, e, now).into());
        }
    };
    let Some(p) = load(db, pid)? else {
        return Err(AppError::NotFound(
            "your record is not in the registry yet".into(),
        ));
    };
    let (v, full) = view(db, &p, &who)?;
    record(
        db,
        &who,
        "person.read_own",
        &pid.to_string(),
        Some(p.county.get()),
        "ok",
        json!({"via": via, "unmasked": full, "client": client}),
        now,
    )?;
    Ok(v)
}
